/* tests/support/pb_enc.c: the test-only Protobuf encoder (see pb_enc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_enc.h"

static void put(struct buf *b, const void *p, size_t n)
{
    if (buf_append(b, p, n) != ST_OK) {
        fprintf(stderr, "pb_enc: out of memory\n");
        exit(1);
    }
}

void pb_varint(struct buf *b, uint64_t v)
{
    uint8_t out[10];
    size_t n = 0;

    do {
        out[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            out[n] |= 0x80;
        n++;
    } while (v);
    put(b, out, n);
}

uint64_t pb_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

void pb_frame(struct buf *b, uint32_t id, size_t n, const int32_t *idx)
{
    uint8_t h[5] = {0, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};

    put(b, h, 5);
    if (n == 0) {
        put(b, "", 1);
        return;
    }
    pb_varint(b, pb_zigzag((int64_t)n));
    for (size_t i = 0; i < n; i++)
        pb_varint(b, pb_zigzag(idx[i]));
}

void pb_tag(struct buf *b, uint32_t field, unsigned wire_type)
{
    pb_varint(b, (uint64_t)field << 3 | wire_type);
}

void pb_varint_field(struct buf *b, uint32_t field, uint64_t v)
{
    pb_tag(b, field, PBE_VARINT);
    pb_varint(b, v);
}

static void put_le(struct buf *b, uint64_t v, unsigned n)
{
    uint8_t out[8];
    for (unsigned i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * i));
    put(b, out, n);
}

void pb_fixed32_field(struct buf *b, uint32_t field, uint32_t v)
{
    pb_tag(b, field, PBE_I32);
    put_le(b, v, 4);
}

void pb_fixed64_field(struct buf *b, uint32_t field, uint64_t v)
{
    pb_tag(b, field, PBE_I64);
    put_le(b, v, 8);
}

void pb_float_field(struct buf *b, uint32_t field, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    pb_fixed32_field(b, field, bits);
}

void pb_double_field(struct buf *b, uint32_t field, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    pb_fixed64_field(b, field, bits);
}

void pb_bytes_field(struct buf *b, uint32_t field, const void *p, size_t n)
{
    pb_tag(b, field, PBE_LEN);
    pb_varint(b, n);
    put(b, p, n);
}

void pb_str_field(struct buf *b, uint32_t field, const char *s)
{
    pb_bytes_field(b, field, s, strlen(s));
}

size_t pb_begin(struct buf *b, uint32_t field)
{
    pb_tag(b, field, PBE_LEN);
    return b->len;
}

void pb_end(struct buf *b, size_t mark)
{
    size_t n = b->len - mark;
    struct buf len = BUF_INIT;

    pb_varint(&len, n);
    put(b, len.p, len.len);   /* make room, then shift the contents right */
    memmove(b->p + mark + len.len, b->p + mark, n);
    memcpy(b->p + mark, len.p, len.len);
    buf_free(&len);
}
