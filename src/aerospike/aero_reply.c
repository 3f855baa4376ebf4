/* src/aerospike/aero_reply.c: parsing what a server sends back (wire doc §1, §2, §6, §7.1).
 * Pure functions over caller bytes; every size is checked before it is used. */
#include <string.h>

#include "aero.h"

enum status aero_proto_parse(const uint8_t p[AERO_PROTO_HEADER_SZ], uint64_t max_body,
                             struct aero_proto_header *h, struct err *e)
{
    uint64_t v = load_u64be(p);

    h->version = (uint8_t)(v >> 56);
    h->type = (uint8_t)(v >> 48);
    h->size = v & 0xFFFFFFFFFFFFull;
    if (h->version != AERO_PROTO_VERSION)
        return err_set(e, ST_PROTO, "proto version %u (expected 2)", h->version);
    if (h->type == AERO_PROTO_COMPRESSED)
        return err_set(e, ST_PROTO, "compressed reply (type 4) not supported");
    if (h->type != AERO_PROTO_INFO && h->type != AERO_PROTO_MSG && h->type != AERO_PROTO_ADMIN)
        return err_set(e, ST_PROTO, "proto type %u unknown", h->type);
    if (h->size > max_body || h->size > AERO_PROTO_MAX_BODY)
        return err_set(e, ST_PROTO, "proto size %llu over limit %llu", (unsigned long long)h->size,
                       (unsigned long long)MIN(max_body, AERO_PROTO_MAX_BODY));
    return ST_OK;
}

enum status aero_msg_parse(const uint8_t *p, size_t n, struct aero_msg_view *v, struct err *e)
{
    const uint8_t *cur, *end = p + n;

    if (n < AERO_MSG_HEADER_SZ)
        return err_set(e, ST_PROTO, "message of %zu bytes is shorter than its 22-byte header", n);
    if (p[0] != AERO_MSG_HEADER_SZ)
        return err_set(e, ST_PROTO, "message header size %u (expected 22)", p[0]);
    v->info1 = p[1];
    v->info2 = p[2];
    v->info3 = p[3];
    v->info4 = p[4];
    v->result_code = p[5];
    v->generation = load_u32be(p + 6);
    v->record_ttl = load_u32be(p + 10);
    v->transaction_ttl = load_u32be(p + 14);
    v->n_fields = load_u16be(p + 18);
    v->n_ops = load_u16be(p + 20);
    cur = p + AERO_MSG_HEADER_SZ;
    v->fields = cur;
    for (unsigned i = 0; i < v->n_fields; i++) {
        uint32_t sz;
        if (end - cur < 4)
            return err_set(e, ST_PROTO, "field %u header runs past the message", i);
        sz = load_u32be(cur);
        if (sz < 1 || (uint64_t)(end - cur - 4) < sz)
            return err_set(e, ST_PROTO, "field %u size %u runs past the message", i, sz);
        cur += 4 + sz;
    }
    v->ops = cur;
    for (unsigned i = 0; i < v->n_ops; i++) {
        uint32_t sz;
        if (end - cur < 8)
            return err_set(e, ST_PROTO, "op %u header runs past the message", i);
        sz = load_u32be(cur);
        if (sz < 4 || (uint64_t)(end - cur - 4) < sz || cur[7] > sz - 4)
            return err_set(e, ST_PROTO, "op %u size %u is inconsistent", i, sz);
        cur += 4 + sz;
    }
    v->end = cur;
    return ST_OK;
}

enum status aero_msg_next_bin(const struct aero_msg_view *v, const uint8_t **cursor,
                              struct aero_bin_view *bin, struct err *e)
{
    const uint8_t *c = *cursor;
    uint32_t sz;

    if (c >= v->end)
        return ST_EOF;
    /* aero_msg_parse validated every op; re-check cheaply in case of a foreign cursor */
    if (c < v->ops || v->end - c < 8)
        return err_set(e, ST_PROTO, "op cursor out of range");
    sz = load_u32be(c);
    if (sz < 4 || (uint64_t)(v->end - c - 4) < sz || c[7] > sz - 4)
        return err_set(e, ST_PROTO, "op size %u is inconsistent", sz);
    bin->op = c[4];
    bin->particle = c[5];
    bin->name_len = c[7];
    bin->name = (const char *)c + 8;
    bin->value = c + 8 + bin->name_len;
    bin->value_len = sz - 4 - bin->name_len;
    *cursor = c + 4 + sz;
    return ST_OK;
}

int64_t aero_void_time_to_ttl(uint32_t void_time, uint64_t now_unix)
{
    uint64_t now2010;

    if (void_time == 0)
        return -1;
    now2010 = now_unix > AERO_CITRUSLEAF_EPOCH ? now_unix - AERO_CITRUSLEAF_EPOCH : 0;
    if (void_time <= now2010)
        return 1;
    return (int64_t)(void_time - now2010);
}

bool aero_info_value(const char *reply, size_t n, const char *cmd, const char **val, size_t *val_len)
{
    size_t cl = strlen(cmd);
    const char *p = reply, *end = reply + n;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        if ((size_t)(line_end - p) > cl && memcmp(p, cmd, cl) == 0 && p[cl] == '\t') {
            *val = p + cl + 1;
            *val_len = (size_t)(line_end - (p + cl + 1));
            return true;
        }
        p = line_end + 1;
    }
    return false;
}
