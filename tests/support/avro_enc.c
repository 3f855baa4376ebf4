/* tests/support/avro_enc.c: Avro binary encoding (Avro 1.11 spec, "Binary Encoding"). */
#include "avro_enc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct buf *b, const void *p, size_t n)
{
    if (buf_append(b, p, n) != ST_OK) {
        fprintf(stderr, "avro_enc: out of memory\n");
        exit(1);
    }
}

size_t avro_zigzag(int64_t v, uint8_t out[10])
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);   /* arithmetic shift: sign in every bit */
    size_t n = 0;
    while (z >= 0x80) {
        out[n++] = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    out[n++] = (uint8_t)z;
    return n;
}

void avro_frame(struct buf *b, uint32_t schema_id)
{
    uint8_t h[5] = {0};
    store_u32be(h + 1, schema_id);
    put(b, h, 5);
}

void avro_bool(struct buf *b, bool v)
{
    uint8_t c = v ? 1 : 0;
    put(b, &c, 1);
}

void avro_int(struct buf *b, int32_t v)
{
    avro_long(b, v);   /* an int's zigzag is the long's: at most 5 bytes for int32 values */
}

void avro_long(struct buf *b, int64_t v)
{
    uint8_t t[10];
    put(b, t, avro_zigzag(v, t));
}

void avro_float(struct buf *b, float v)
{
    uint32_t u;
    uint8_t t[4];
    memcpy(&u, &v, 4);
    for (int i = 0; i < 4; i++)
        t[i] = (uint8_t)(u >> (8 * i));
    put(b, t, 4);
}

void avro_double(struct buf *b, double v)
{
    uint64_t u;
    uint8_t t[8];
    memcpy(&u, &v, 8);
    for (int i = 0; i < 8; i++)
        t[i] = (uint8_t)(u >> (8 * i));
    put(b, t, 8);
}

void avro_bytes(struct buf *b, const void *p, size_t n)
{
    avro_long(b, (int64_t)n);
    if (n)
        put(b, p, n);
}

void avro_string(struct buf *b, const char *s, size_t n)
{
    avro_bytes(b, s, n);
}

void avro_cstring(struct buf *b, const char *s)
{
    avro_bytes(b, s, strlen(s));
}

void avro_fixed(struct buf *b, const void *p, size_t n)
{
    if (n)
        put(b, p, n);
}

void avro_block(struct buf *b, int64_t count)
{
    avro_long(b, count);
}

size_t avro_decimal_unscaled(int64_t unscaled, uint8_t out[8])
{
    uint8_t be[8];
    size_t skip = 0;
    store_u64be(be, (uint64_t)unscaled);
    /* drop leading bytes that only repeat the sign (BigInteger.toByteArray: minimal form) */
    while (skip < 7 && ((be[skip] == 0x00 && !(be[skip + 1] & 0x80)) ||
                        (be[skip] == 0xff && (be[skip + 1] & 0x80))))
        skip++;
    memcpy(out, be + skip, 8 - skip);
    return 8 - skip;
}

void avro_decimal(struct buf *b, int64_t unscaled)
{
    uint8_t t[8];
    avro_bytes(b, t, avro_decimal_unscaled(unscaled, t));
}
