/* src/aerospike/aero_mp.c: MessagePack as Aerospike uses it for LIST/MAP particles (wire doc §5).
 * Writer: smallest integer forms, doubles always 0xcb, strings/blobs as msgpack str with the
 * particle prefix byte inside. Reader: a bounds-checked cursor for replies and tests. */
#include <string.h>

#include "aero.h"

static enum status put1(struct buf *b, uint8_t tag)
{
    return buf_put_u8(b, tag);
}

static enum status put_tag_u16(struct buf *b, uint8_t tag, uint16_t v)
{
    uint8_t t[3] = {tag, (uint8_t)(v >> 8), (uint8_t)v};
    return buf_append(b, t, 3);
}

static enum status put_tag_u32(struct buf *b, uint8_t tag, uint32_t v)
{
    uint8_t t[5] = {tag};
    store_u32be(t + 1, v);
    return buf_append(b, t, 5);
}

static enum status put_tag_u64(struct buf *b, uint8_t tag, uint64_t v)
{
    uint8_t t[9] = {tag};
    store_u64be(t + 1, v);
    return buf_append(b, t, 9);
}

enum status aero_mp_array(struct buf *b, uint32_t n)
{
    if (n < 16)
        return put1(b, (uint8_t)(0x90 | n));
    if (n <= 0xffff)
        return put_tag_u16(b, 0xdc, (uint16_t)n);
    return put_tag_u32(b, 0xdd, n);
}

enum status aero_mp_map(struct buf *b, uint32_t n)
{
    if (n < 16)
        return put1(b, (uint8_t)(0x80 | n));
    if (n <= 0xffff)
        return put_tag_u16(b, 0xde, (uint16_t)n);
    return put_tag_u32(b, 0xdf, n);
}

enum status aero_mp_nil(struct buf *b)
{
    return put1(b, 0xc0);
}

enum status aero_mp_bool(struct buf *b, bool v)
{
    return put1(b, v ? 0xc3 : 0xc2);
}

/* @v as msgpack in its smallest form into @out; returns the bytes used (1..9). */
static size_t int_to(uint8_t out[9], int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t tag;
    int nb;

    if (v >= -32 && v < 128) {
        out[0] = (uint8_t)(int8_t)v;
        return 1;
    }
    if (v >= 0) {
        nb = u <= 0xff ? 1 : u <= 0xffff ? 2 : u <= 0xffffffffu ? 4 : 8;
        tag = nb == 1 ? 0xcc : nb == 2 ? 0xcd : nb == 4 ? 0xce : 0xcf;
    } else {
        nb = v >= INT8_MIN ? 1 : v >= INT16_MIN ? 2 : v >= INT32_MIN ? 4 : 8;
        tag = nb == 1 ? 0xd0 : nb == 2 ? 0xd1 : nb == 4 ? 0xd2 : 0xd3;
    }
    out[0] = tag;
    for (int k = 0; k < nb; k++)
        out[1 + k] = (uint8_t)(u >> (8 * (nb - 1 - k)));
    return 1 + (size_t)nb;
}

enum status aero_mp_int(struct buf *b, int64_t v)
{
    uint8_t t[9];
    return buf_append(b, t, int_to(t, v));
}

enum status aero_mp_double(struct buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return put_tag_u64(b, 0xcb, u);
}

/* msgpack str header for n bytes (prefix included by the caller in n) */
static enum status str_header(struct buf *b, size_t n)
{
    if (n < 32)
        return put1(b, (uint8_t)(0xa0 | n));
    if (n <= 0xff) {
        uint8_t t[2] = {0xd9, (uint8_t)n};
        return buf_append(b, t, 2);
    }
    if (n <= 0xffff)
        return put_tag_u16(b, 0xda, (uint16_t)n);
    if (n > UINT32_MAX)
        return ST_TOO_BIG;
    return put_tag_u32(b, 0xdb, (uint32_t)n);
}

static enum status prefixed(struct buf *b, uint8_t prefix, const void *p, size_t n)
{
    if (n >= UINT32_MAX)
        return ST_TOO_BIG;
    if (buf_reserve(b, n + 6) != ST_OK)
        return ST_NOMEM;
    str_header(b, n + 1);
    b->p[b->len++] = prefix;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return ST_OK;
}

size_t aero_exp_absent_or_le(uint8_t out[AERO_EXP_GUARD_MAX], const char *bin, int64_t value)
{
    size_t n = strlen(bin), o = 0;

    if (n == 0 || n > AERO_BIN_NAME_MAX)
        return 0;
    /* [OR, [EQ, [BIN_TYPE, bin], 0], [LE, [BIN, INT, bin], value]] */
    out[o++] = 0x93;
    out[o++] = AERO_EXP_OR;
    out[o++] = 0x93;
    out[o++] = AERO_EXP_EQ;
    out[o++] = 0x92;
    out[o++] = AERO_EXP_BIN_TYPE;
    out[o++] = (uint8_t)(0xa0 | n);
    memcpy(out + o, bin, n);
    o += n;
    out[o++] = 0x00;
    out[o++] = 0x93;
    out[o++] = AERO_EXP_LE;
    out[o++] = 0x93;
    out[o++] = AERO_EXP_BIN;
    out[o++] = AERO_EXP_TYPE_INT;
    out[o++] = (uint8_t)(0xa0 | n);
    memcpy(out + o, bin, n);
    o += n;
    return o + int_to(out + o, value);
}

enum status aero_mp_str(struct buf *b, const char *s, size_t n)
{
    return prefixed(b, AERO_PT_STRING, s, n);
}

enum status aero_mp_blob(struct buf *b, const uint8_t *p, size_t n)
{
    return prefixed(b, AERO_PT_BLOB, p, n);
}

enum status aero_mp_map_flags(struct buf *b, uint8_t flags)
{
    uint8_t t[4] = {0xc7, 0x00, flags, 0xc0};
    return buf_append(b, t, 4);
}

enum status aero_mp_list_flags(struct buf *b, uint8_t flags)
{
    uint8_t t[3] = {0xc7, 0x00, flags};
    return buf_append(b, t, 3);
}

/* --- Reader --- */

void aero_mp_reader_init(struct aero_mp_reader *r, const uint8_t *p, size_t n)
{
    r->p = p;
    r->end = p + n;
    r->bad = false;
}

static bool take(struct aero_mp_reader *r, size_t n, const uint8_t **out)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return false;
    }
    *out = r->p;
    r->p += n;
    return true;
}

static bool take_uint(struct aero_mp_reader *r, size_t width, uint64_t *v)
{
    const uint8_t *q;
    if (!take(r, width, &q))
        return false;
    switch (width) {
    case 1: *v = q[0]; break;
    case 2: *v = load_u16be(q); break;
    case 4: *v = load_u32be(q); break;
    default: *v = load_u64be(q); break;
    }
    return true;
}

static enum status bytes_item(struct aero_mp_reader *r, struct aero_mp_item *it, size_t n, bool str_family)
{
    const uint8_t *q;
    if (!take(r, n, &q))
        return ST_PARSE;
    if (str_family && n > 0) {
        /* Aerospike prefix: 0x03 string, anything else bytes (wire doc §5.2) */
        it->prefix = q[0];
        it->type = q[0] == AERO_PT_STRING ? AERO_MP_STR : AERO_MP_BLOB;
        it->p = q + 1;
        it->n = (uint32_t)(n - 1);
    } else {
        it->prefix = str_family ? AERO_PT_STRING : AERO_PT_BLOB;
        it->type = str_family ? AERO_MP_STR : AERO_MP_BLOB;
        it->p = q;
        it->n = (uint32_t)n;
    }
    return ST_OK;
}

static enum status ext_item(struct aero_mp_reader *r, struct aero_mp_item *it, size_t n)
{
    const uint8_t *q;
    if (!take(r, 1 + n, &q))
        return ST_PARSE;
    it->type = AERO_MP_EXT;
    it->prefix = q[0];
    it->p = q + 1;
    it->n = (uint32_t)n;
    return ST_OK;
}

enum status aero_mp_next(struct aero_mp_reader *r, struct aero_mp_item *it)
{
    const uint8_t *q;
    uint64_t v;
    uint8_t c;

    memset(it, 0, sizeof(*it));
    if (r->bad)
        return ST_PARSE;
    if (r->p == r->end)
        return ST_EOF;
    c = *r->p++;
    if (c <= 0x7f) {
        it->type = AERO_MP_INT;
        it->i = c;
        return ST_OK;
    }
    if (c >= 0xe0) {
        it->type = AERO_MP_INT;
        it->i = (int8_t)c;
        return ST_OK;
    }
    if ((c & 0xf0) == 0x80) {
        it->type = AERO_MP_MAP;
        it->n = c & 0x0f;
        return ST_OK;
    }
    if ((c & 0xf0) == 0x90) {
        it->type = AERO_MP_ARRAY;
        it->n = c & 0x0f;
        return ST_OK;
    }
    if ((c & 0xe0) == 0xa0)
        return bytes_item(r, it, c & 0x1f, true);
    switch (c) {
    case 0xc0: it->type = AERO_MP_NIL; return ST_OK;
    case 0xc2: it->type = AERO_MP_BOOL; it->b = false; return ST_OK;
    case 0xc3: it->type = AERO_MP_BOOL; it->b = true; return ST_OK;
    case 0xc4: case 0xc5: case 0xc6:
        if (!take_uint(r, (size_t)1 << (c - 0xc4), &v))
            return ST_PARSE;
        return bytes_item(r, it, (size_t)v, false);
    case 0xc7: case 0xc8: case 0xc9:
        if (!take_uint(r, (size_t)1 << (c - 0xc7), &v))
            return ST_PARSE;
        return ext_item(r, it, (size_t)v);
    case 0xca:
        if (!take(r, 4, &q))
            return ST_PARSE;
        {
            uint32_t u = load_u32be(q);
            float f;
            memcpy(&f, &u, 4);
            it->type = AERO_MP_DOUBLE;
            it->d = f;
        }
        return ST_OK;
    case 0xcb:
        if (!take(r, 8, &q))
            return ST_PARSE;
        {
            uint64_t u = load_u64be(q);
            memcpy(&it->d, &u, 8);
            it->type = AERO_MP_DOUBLE;
        }
        return ST_OK;
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        if (!take_uint(r, (size_t)1 << (c - 0xcc), &v))
            return ST_PARSE;
        if (v > (uint64_t)INT64_MAX) {
            r->bad = true;
            return ST_PARSE;
        }
        it->type = AERO_MP_INT;
        it->i = (int64_t)v;
        return ST_OK;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        size_t w = (size_t)1 << (c - 0xd0);
        if (!take_uint(r, w, &v))
            return ST_PARSE;
        it->type = AERO_MP_INT;
        it->i = w == 1 ? (int8_t)v : w == 2 ? (int16_t)v : w == 4 ? (int32_t)v : (int64_t)v;
        return ST_OK;
    }
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        return ext_item(r, it, (size_t)1 << (c - 0xd4));
    case 0xd9: case 0xda: case 0xdb:
        if (!take_uint(r, (size_t)1 << (c - 0xd9), &v))
            return ST_PARSE;
        return bytes_item(r, it, (size_t)v, true);
    case 0xdc: case 0xdd:
        if (!take_uint(r, c == 0xdc ? 2 : 4, &v))
            return ST_PARSE;
        it->type = AERO_MP_ARRAY;
        it->n = (uint32_t)v;
        return ST_OK;
    case 0xde: case 0xdf:
        if (!take_uint(r, c == 0xde ? 2 : 4, &v))
            return ST_PARSE;
        it->type = AERO_MP_MAP;
        it->n = (uint32_t)v;
        return ST_OK;
    default:
        r->bad = true;   /* 0xc1 is never used */
        return ST_PARSE;
    }
}

enum status aero_mp_skip(struct aero_mp_reader *r)
{
    /* Iterative: count of values still to skip, bounded by the input size. */
    uint64_t pending = 1;
    struct aero_mp_item it;

    while (pending > 0) {
        enum status st = aero_mp_next(r, &it);
        if (st != ST_OK)
            return st == ST_EOF ? ST_PARSE : st;
        pending--;
        if (it.type == AERO_MP_ARRAY)
            pending += it.n;
        else if (it.type == AERO_MP_MAP)
            pending += 2ull * it.n;
        if (pending > (uint64_t)(r->end - r->p)) {   /* every value takes >= 1 byte */
            r->bad = true;
            return ST_PARSE;
        }
    }
    return ST_OK;
}
