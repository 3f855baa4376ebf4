/* src/aerospike/aero_msg.c: the request builder (wire doc §1-§4) and info requests (§7.1).
 * Layout: 8-byte proto header, 22-byte AS_MSG header, fields, ops. Sizes and counts are
 * patched in aero_msg_end, so callers stream fields and ops without knowing them up front. */
#include <stdio.h>
#include <string.h>

#include "aero.h"

static void fail(struct aero_msg *m, enum status st, const char *why, const char *name, size_t n)
{
    if (m->st != ST_OK)
        return;
    m->st = st;
    if (name)
        snprintf(m->why, sizeof(m->why), "%s '%.*s'", why, (int)MIN(n, 40), name);
    else
        snprintf(m->why, sizeof(m->why), "%s", why);
}

static bool room(struct aero_msg *m, size_t n)
{
    if (m->st != ST_OK)
        return false;
    if (m->b->cap - m->b->len > n)    /* fast path: buf_reserve keeps one spare byte too */
        return true;
    if (buf_reserve(m->b, n) != ST_OK) {
        fail(m, ST_NOMEM, "out of memory building a request", NULL, 0);
        return false;
    }
    return true;
}

void aero_msg_begin(struct aero_msg *m, struct buf *b, uint8_t info1, uint8_t info2, uint8_t info3,
                    uint32_t generation, uint32_t record_ttl, uint32_t transaction_ttl)
{
    uint8_t *h;

    m->b = b;
    m->start = b->len;
    m->op_start = 0;
    m->n_fields = m->n_ops = 0;
    m->st = ST_OK;
    m->why[0] = '\0';
    if (!room(m, AERO_PROTO_HEADER_SZ + AERO_MSG_HEADER_SZ))
        return;
    h = b->p + b->len;
    memset(h, 0, AERO_PROTO_HEADER_SZ + AERO_MSG_HEADER_SZ);
    h[8] = AERO_MSG_HEADER_SZ;
    h[9] = info1;
    h[10] = info2;
    h[11] = info3;
    store_u32be(h + 14, generation);
    store_u32be(h + 18, record_ttl);
    store_u32be(h + 22, transaction_ttl);
    b->len += AERO_PROTO_HEADER_SZ + AERO_MSG_HEADER_SZ;
}

void aero_msg_field(struct aero_msg *m, uint8_t type, const void *data, size_t n)
{
    uint8_t *p;

    if (m->n_ops > 0) {
        fail(m, ST_INTERNAL, "field written after ops", NULL, 0);
        return;
    }
    if (n > UINT32_MAX - 1) {
        fail(m, ST_TOO_BIG, "field too large", NULL, 0);
        return;
    }
    if (!room(m, 5 + n))
        return;
    p = m->b->p + m->b->len;
    store_u32be(p, (uint32_t)n + 1);
    p[4] = type;
    if (n)
        memcpy(p + 5, data, n);
    m->b->len += 5 + n;
    m->n_fields++;
}

void aero_msg_key_fields(struct aero_msg *m, const char *ns, size_t ns_len, const char *set,
                         size_t set_len, const uint8_t digest[AERO_DIGEST_SZ],
                         const struct aero_key_value *send_key)
{
    if (ns_len == 0 || ns_len > AERO_NAMESPACE_MAX) {
        fail(m, ST_RECORD, ns_len ? "namespace over 31 bytes" : "empty namespace", ns, ns_len);
        return;
    }
    if (set_len > AERO_SET_MAX) {
        fail(m, ST_RECORD, "set name over 63 bytes", set, set_len);
        return;
    }
    aero_msg_field(m, AERO_FIELD_NAMESPACE, ns, ns_len);
    aero_msg_field(m, AERO_FIELD_SET, set, set_len);
    m->digest_at = m->b->len + 5;
    aero_msg_field(m, AERO_FIELD_DIGEST_RIPE, digest, AERO_DIGEST_SZ);
    if (send_key) {
        uint8_t *p;
        size_t kn = send_key->type == AERO_PT_INTEGER ? 8 : send_key->n;
        if (!room(m, 6 + kn))
            return;
        p = m->b->p + m->b->len;
        store_u32be(p, (uint32_t)kn + 2);
        p[4] = AERO_FIELD_KEY;
        p[5] = send_key->type;
        if (send_key->type == AERO_PT_INTEGER)
            store_u64be(p + 6, (uint64_t)send_key->i);
        else if (kn)
            memcpy(p + 6, send_key->p, kn);
        m->b->len += 6 + kn;
        m->n_fields++;
    }
}

static bool check_name(struct aero_msg *m, uint8_t op, const char *name, size_t name_len)
{
    if (m->st != ST_OK)
        return false;
    if (name_len > AERO_BIN_NAME_MAX) {
        fail(m, ST_BIN_NAME, "bin name over 15 bytes:", name, name_len);
        return false;
    }
    if (name_len && memchr(name, '\0', name_len)) {
        fail(m, ST_BIN_NAME, "bin name contains NUL:", name, name_len);
        return false;
    }
    if (m->n_ops >= AERO_MAX_OPS) {
        fail(m, ST_TOO_BIG, "more than 32768 ops", NULL, 0);
        return false;
    }
    (void)op;
    return true;
}

void aero_msg_op_open(struct aero_msg *m, uint8_t op, uint8_t particle, const char *name, size_t name_len)
{
    uint8_t *p;

    if (m->op_start) {
        fail(m, ST_INTERNAL, "op opened twice", NULL, 0);
        return;
    }
    if (!check_name(m, op, name, name_len) || !room(m, 8 + name_len))
        return;
    m->op_start = m->b->len;
    p = m->b->p + m->b->len;
    p[4] = op;
    p[5] = particle;
    p[6] = 0;
    p[7] = (uint8_t)name_len;
    if (name_len)
        memcpy(p + 8, name, name_len);
    m->b->len += 8 + name_len;
}

void aero_msg_op_close(struct aero_msg *m)
{
    size_t sz;

    if (m->st != ST_OK)
        return;
    if (!m->op_start) {
        fail(m, ST_INTERNAL, "op closed without open", NULL, 0);
        return;
    }
    sz = m->b->len - m->op_start - 4;
    if (sz > UINT32_MAX) {
        fail(m, ST_TOO_BIG, "bin value too large", NULL, 0);
        return;
    }
    store_u32be(m->b->p + m->op_start, (uint32_t)sz);
    m->op_start = 0;
    m->n_ops++;
}

void aero_msg_op(struct aero_msg *m, uint8_t op, uint8_t particle, const char *name, size_t name_len,
                 const void *val, size_t val_len)
{
    aero_msg_op_open(m, op, particle, name, name_len);
    if (val_len && room(m, val_len)) {
        memcpy(m->b->p + m->b->len, val, val_len);
        m->b->len += val_len;
    }
    aero_msg_op_close(m);
}

void aero_msg_op_int(struct aero_msg *m, uint8_t op, const char *name, size_t name_len, int64_t v)
{
    uint8_t t[8];
    store_u64be(t, (uint64_t)v);
    aero_msg_op(m, op, AERO_PT_INTEGER, name, name_len, t, 8);
}

void aero_msg_op_double(struct aero_msg *m, uint8_t op, const char *name, size_t name_len, double v)
{
    uint8_t t[8];
    uint64_t u;
    memcpy(&u, &v, 8);
    store_u64be(t, u);
    aero_msg_op(m, op, AERO_PT_FLOAT, name, name_len, t, 8);
}

void aero_msg_op_bool(struct aero_msg *m, uint8_t op, const char *name, size_t name_len, bool v)
{
    uint8_t t = v ? 1 : 0;
    aero_msg_op(m, op, AERO_PT_BOOL, name, name_len, &t, 1);
}

enum status aero_msg_end(struct aero_msg *m, struct err *e)
{
    uint8_t *h;
    uint64_t body;

    if (m->st == ST_OK && m->op_start)
        fail(m, ST_INTERNAL, "op left open", NULL, 0);
    if (m->st == ST_OK && m->n_fields > UINT16_MAX)
        fail(m, ST_TOO_BIG, "too many fields", NULL, 0);
    if (m->st != ST_OK)
        return err_set(e, m->st, "%s", m->why);
    h = m->b->p + m->start;
    body = m->b->len - m->start - AERO_PROTO_HEADER_SZ;
    if (body > AERO_PROTO_MAX_BODY) {
        m->st = ST_TOO_BIG;
        return err_set(e, ST_TOO_BIG, "request of %llu bytes exceeds 128 MiB", (unsigned long long)body);
    }
    store_u64be(h, ((uint64_t)AERO_PROTO_VERSION << 56) | ((uint64_t)AERO_PROTO_MSG << 48) | body);
    store_u16be(h + 26, (uint16_t)m->n_fields);
    store_u16be(h + 28, (uint16_t)m->n_ops);
    return ST_OK;
}

void aero_msg_abort(struct aero_msg *m)
{
    if (m->b && m->b->len > m->start)
        m->b->len = m->start;
    m->op_start = 0;
}

enum status aero_info_request(struct buf *b, const char *const cmds[], size_t n_cmds)
{
    size_t start = b->len;
    uint64_t body;

    if (buf_put_u64be(b, 0) != ST_OK)
        return ST_NOMEM;
    for (size_t i = 0; i < n_cmds; i++) {
        size_t l = strlen(cmds[i]);
        if (buf_append(b, cmds[i], l) != ST_OK)
            return ST_NOMEM;
        if ((l == 0 || cmds[i][l - 1] != '\n') && buf_put_u8(b, '\n') != ST_OK)
            return ST_NOMEM;
    }
    body = b->len - start - AERO_PROTO_HEADER_SZ;
    store_u64be(b->p + start, ((uint64_t)AERO_PROTO_VERSION << 56) | ((uint64_t)AERO_PROTO_INFO << 48) | body);
    return ST_OK;
}
