/* src/aerospike/aero_batch.c: batch writes ("batch operate", wire doc §8, server 6.0+).
 * A batch is built from complete single-record requests, the exact bytes a caller would
 * otherwise submit one by one (aero_write_begin ... aero_msg_end): each becomes one row
 * (index, digest, INFO|GEN|TTL[|INFO4] header, namespace and the other fields minus the
 * digest, ops), or a 1-byte REPEAT row when everything but the digest equals the previous
 * row (and that row sent no key). The parent request is then submitted as an ordinary
 * aero_cmd: the client reads its reply until the LAST message. Nothing allocates once the
 * command's request buffer has grown to its working size. */
#include <string.h>

#include "aero.h"

#define ROW_FLAGS_WRITE 0x0e      /* INFO | GEN | TTL */
#define ROW_FLAG_REPEAT 0x01
#define ROW_FLAG_INFO4 0x10
#define PARENT_FLAGS 0x0d         /* per-row errors | respond all keys | allow inline */

/* offsets inside a request: proto header (8) + AS_MSG header (22) */
#define H_INFO1 (AERO_PROTO_HEADER_SZ + 1)
#define H_INFO2 (AERO_PROTO_HEADER_SZ + 2)
#define H_INFO3 (AERO_PROTO_HEADER_SZ + 3)
#define H_INFO4 (AERO_PROTO_HEADER_SZ + 4)
#define H_GEN (AERO_PROTO_HEADER_SZ + 6)
#define H_TTL (AERO_PROTO_HEADER_SZ + 10)
#define H_NFIELDS (AERO_PROTO_HEADER_SZ + 18)
#define H_NOPS (AERO_PROTO_HEADER_SZ + 20)
#define H_END (AERO_PROTO_HEADER_SZ + AERO_MSG_HEADER_SZ)

enum status aero_batch_begin(struct aero_batch *b, struct err *e)
{
    struct buf *r = &b->cmd.req;
    uint8_t *p;

    buf_reset(r);
    b->count = 0;
    b->prev_off = b->prev_len = 0;
    b->prev_key = false;
    b->first = true;
    if (buf_reserve(r, H_END + 5 + 5) != ST_OK)
        return err_set(e, ST_NOMEM, "batch request");
    p = r->p;
    memset(p, 0, H_END);
    p[AERO_PROTO_HEADER_SZ] = AERO_MSG_HEADER_SZ;
    p[H_INFO1] = AERO_INFO1_BATCH;
    store_u16be(p + H_NFIELDS, 1);
    /* field 41: size (patched), type, row count (patched), parent flags */
    store_u32be(p + H_END, 0);
    p[H_END + 4] = AERO_FIELD_BATCH;
    store_u32be(p + H_END + 5, 0);
    p[H_END + 9] = PARENT_FLAGS;
    r->len = H_END + 10;
    return ST_OK;
}

/* One field of a request: *off at its size word; false when it overruns @n. */
static bool next_field(const uint8_t *req, size_t n, size_t *off, uint8_t *type, size_t *len)
{
    uint32_t sz;

    if (n - *off < 5)
        return false;
    sz = load_u32be(req + *off);
    if (sz < 1 || sz > n - *off - 4)
        return false;
    *type = req[*off + 4];
    *len = 4 + (size_t)sz;
    return true;
}

enum status aero_batch_add(struct aero_batch *b, uint32_t index, const uint8_t *req, size_t n,
                           struct err *e)
{
    struct buf *r = &b->cmd.req;
    const uint8_t *digest = NULL;
    size_t off = H_END, row, body, ops_off;
    uint32_t n_fields, n_ops, kept = 0;
    bool has_key = false;
    uint8_t *p;

    if (n < H_END || req[0] != AERO_PROTO_VERSION || req[1] != AERO_PROTO_MSG ||
        (load_u64be(req) & 0xFFFFFFFFFFFFull) != n - AERO_PROTO_HEADER_SZ ||
        req[AERO_PROTO_HEADER_SZ] != AERO_MSG_HEADER_SZ)
        return err_set(e, ST_USAGE, "batch row %u: not one complete AS_MSG request", index);
    if (req[H_INFO1] & AERO_INFO1_BATCH)
        return err_set(e, ST_USAGE, "batch row %u: a batch inside a batch", index);
    n_fields = load_u16be(req + H_NFIELDS);
    n_ops = load_u16be(req + H_NOPS);
    /* find the digest, check the namespace comes first and the fields fit */
    for (uint32_t i = 0; i < n_fields; i++) {
        uint8_t type;
        size_t len;
        if (!next_field(req, n, &off, &type, &len))
            return err_set(e, ST_USAGE, "batch row %u: field %u overruns the request", index, i);
        if (i == 0 && type != AERO_FIELD_NAMESPACE)
            return err_set(e, ST_USAGE, "batch row %u: the namespace must be the first field", index);
        if (type == AERO_FIELD_DIGEST_RIPE && len == 5 + AERO_DIGEST_SZ)
            digest = req + off + 5;
        has_key |= type == AERO_FIELD_KEY;
        off += len;
    }
    ops_off = off;
    if (!digest)
        return err_set(e, ST_USAGE, "batch row %u: no digest field", index);
    if (n_fields == 0)
        return err_set(e, ST_USAGE, "batch row %u: no namespace", index);
    /* row: index, digest, flags, info1-3, [info4], gen u16, ttl u32, n_fields, n_ops, fields
     * (without the digest), ops */
    if (buf_reserve(r, 4 + AERO_DIGEST_SZ + 1 + 4 + 2 + 4 + 4 + (n - H_END)) != ST_OK)
        return err_set(e, ST_NOMEM, "batch request");
    row = r->len;
    p = r->p + row;
    store_u32be(p, index);
    memcpy(p + 4, digest, AERO_DIGEST_SZ);
    p += 4 + AERO_DIGEST_SZ;
    body = (size_t)(p - r->p);
    *p++ = (uint8_t)(ROW_FLAGS_WRITE | (req[H_INFO4] ? ROW_FLAG_INFO4 : 0));
    *p++ = req[H_INFO1];
    *p++ = req[H_INFO2];
    *p++ = req[H_INFO3];
    if (req[H_INFO4])
        *p++ = req[H_INFO4];
    store_u16be(p, (uint16_t)load_u32be(req + H_GEN));
    store_u32be(p + 2, load_u32be(req + H_TTL));
    p += 6;
    uint8_t *counts = p;
    p += 4;
    off = H_END;
    for (uint32_t i = 0; i < n_fields; i++) {
        uint8_t type = 0;
        size_t len = 0;
        next_field(req, n, &off, &type, &len);   /* cannot fail: the first pass checked */
        if (type != AERO_FIELD_DIGEST_RIPE) {
            memcpy(p, req + off, len);
            p += len;
            kept++;
        }
        off += len;
    }
    memcpy(p, req + ops_off, n - ops_off);
    p += n - ops_off;
    store_u16be(counts, (uint16_t)kept);
    store_u16be(counts + 2, (uint16_t)n_ops);
    r->len = (size_t)(p - r->p);
    /* REPEAT: the same namespace, fields, flags and ops as the previous row, which sent no key */
    if (!b->first && !b->prev_key && !has_key && r->len - body == b->prev_len &&
        memcmp(r->p + body, r->p + b->prev_off, b->prev_len) == 0) {
        r->p[body] = ROW_FLAG_REPEAT;
        r->len = body + 1;
    } else {
        b->prev_off = body;
        b->prev_len = r->len - body;
        b->prev_key = has_key;
    }
    if (b->first) {                   /* route the parent like its first row */
        size_t ns_len = load_u32be(req + H_END) - 1;
        char ns[AERO_NAMESPACE_MAX + 1];
        if (ns_len > AERO_NAMESPACE_MAX) {
            r->len = row;
            return err_set(e, ST_USAGE, "batch row %u: namespace over 31 bytes", index);
        }
        memcpy(ns, req + H_END + 5, ns_len);
        ns[ns_len] = '\0';
        aero_cmd_route(&b->cmd, ns, digest, true);
        b->first = false;
    }
    b->count++;
    return ST_OK;
}

enum status aero_batch_end(struct aero_batch *b, struct err *e)
{
    struct buf *r = &b->cmd.req;
    uint64_t body;

    if (b->count == 0)
        return err_set(e, ST_USAGE, "empty batch");
    body = r->len - AERO_PROTO_HEADER_SZ;
    if (body > AERO_PROTO_MAX_BODY)
        return err_set(e, ST_TOO_BIG, "batch of %u rows exceeds 128 MiB", b->count);
    store_u64be(r->p, ((uint64_t)AERO_PROTO_VERSION << 56) | ((uint64_t)AERO_PROTO_MSG << 48) | body);
    store_u32be(r->p + H_END, (uint32_t)(r->len - H_END - 4));
    store_u32be(r->p + H_END + 5, b->count);
    return ST_OK;
}

enum status aero_batch_next_result(const struct aero_cmd *cmd, const uint8_t **cursor,
                                   struct aero_batch_result *res, struct err *e)
{
    const uint8_t *end = cmd->reply.p + cmd->reply.len;
    struct aero_msg_view v;

    if (!*cursor)
        *cursor = cmd->reply.p;
    if (!*cursor || *cursor >= end)
        return ST_EOF;
    if (aero_msg_parse(*cursor, (size_t)(end - *cursor), &v, e) != ST_OK)
        return ST_PROTO;
    if (v.info3 & AERO_INFO3_LAST) {
        *cursor = end;
        return ST_EOF;
    }
    res->index = v.transaction_ttl;
    res->result_code = v.result_code;
    res->generation = v.generation;
    res->void_time = v.record_ttl;
    *cursor = v.end;
    return ST_OK;
}
