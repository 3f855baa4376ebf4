/* tests/support/avro_enc.h: an Avro binary encoder for tests (written independently of the
 * decoder in src/convert/), plus Confluent Schema Registry framing.
 *   struct buf b = BUF_INIT;
 *   avro_frame(&b, id);           0x00 + 4-byte big-endian schema id
 *   avro_long(&b, 42);            zigzag varint
 *   avro_string(&b, "x", 1);
 * Containers: avro_block(&b, n) before n items (n > 0), then avro_block(&b, 0) to end
 * (an array or map of no items is just avro_block(&b, 0)). A union value is avro_long(&b,
 * branch index) followed by the branch's value. All functions append to @b; out of memory
 * aborts the test (tests only). */
#ifndef AEROSINK_AVRO_ENC_H
#define AEROSINK_AVRO_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../src/common/common.h"

void avro_frame(struct buf *b, uint32_t schema_id);
void avro_bool(struct buf *b, bool v);
void avro_int(struct buf *b, int32_t v);          /* zigzag, at most 5 bytes */
void avro_long(struct buf *b, int64_t v);         /* zigzag, at most 10 bytes */
void avro_float(struct buf *b, float v);          /* 4 bytes little-endian IEEE 754 */
void avro_double(struct buf *b, double v);        /* 8 bytes little-endian IEEE 754 */
void avro_bytes(struct buf *b, const void *p, size_t n);   /* long length + bytes */
void avro_string(struct buf *b, const char *s, size_t n);  /* same as bytes (UTF-8) */
void avro_cstring(struct buf *b, const char *s);
void avro_fixed(struct buf *b, const void *p, size_t n);   /* the bytes alone */
void avro_block(struct buf *b, int64_t count);    /* array/map block count; 0 ends */
/* Decimal as Avro bytes: the minimal big-endian two's-complement form of @unscaled (the same
 * bytes Connect's Decimal carries). Returns the length; @out needs 8 bytes. */
size_t avro_decimal_unscaled(int64_t unscaled, uint8_t out[8]);
void avro_decimal(struct buf *b, int64_t unscaled);

/* Zigzag varint of @v into @out (10 bytes); returns the length (for encoder self-tests). */
size_t avro_zigzag(int64_t v, uint8_t out[10]);

#endif
