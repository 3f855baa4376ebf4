/* tests/support/pb_enc.h: a Protobuf binary encoder for tests (written independently of the
 * decoder in src/convert/protobuf.c), plus Confluent's Protobuf framing.
 *   struct buf b = BUF_INIT;
 *   pb_frame(&b, id, 0, NULL);     0x00, 4-byte big-endian id, message indexes (a single 0x00)
 *   pb_varint_field(&b, 1, 150);   tag (field 1, VARINT) + 150
 *   pb_str_field(&b, 2, "hi");     tag (field 2, LEN) + length + bytes
 *   size_t at = pb_begin(&b, 3);   an embedded message / packed run: tag, then pb_end(&b, at)
 * All functions append to @b; out of memory aborts the test (tests only). */
#ifndef AEROSINK_PB_ENC_H
#define AEROSINK_PB_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "../../src/common/common.h"

enum { PBE_VARINT = 0, PBE_I64 = 1, PBE_LEN = 2, PBE_SGROUP = 3, PBE_EGROUP = 4, PBE_I32 = 5 };

/* 0x00 + id; then the message-index list: @n == 0 writes the short form (one 0x00), else
 * zigzag(n) and each zigzag(idx[i]). */
void pb_frame(struct buf *b, uint32_t id, size_t n, const int32_t *idx);
void pb_varint(struct buf *b, uint64_t v);            /* base-128, least significant group first */
uint64_t pb_zigzag(int64_t v);                        /* sint32/sint64 mapping */
void pb_tag(struct buf *b, uint32_t field, unsigned wire_type);
void pb_varint_field(struct buf *b, uint32_t field, uint64_t v);
void pb_fixed32_field(struct buf *b, uint32_t field, uint32_t v);   /* little-endian */
void pb_fixed64_field(struct buf *b, uint32_t field, uint64_t v);
void pb_float_field(struct buf *b, uint32_t field, float v);
void pb_double_field(struct buf *b, uint32_t field, double v);
void pb_bytes_field(struct buf *b, uint32_t field, const void *p, size_t n);
void pb_str_field(struct buf *b, uint32_t field, const char *s);
/* A LEN field whose contents come next: returns a mark for pb_end, which writes the length
 * (the contents are moved right past a varint of the right size). */
size_t pb_begin(struct buf *b, uint32_t field);
void pb_end(struct buf *b, size_t mark);

#endif
