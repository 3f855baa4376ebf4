/* src/common/buf.c: growable byte buffers. */
#include <stdio.h>
#include <string.h>

#include "common.h"

enum status buf_reserve(struct buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;   /* +1 keeps room for buf_cstr's NUL */
    size_t cap;
    uint8_t *p;

    if (need < b->len)
        return ST_NOMEM;
    if (need <= b->cap)
        return ST_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap * 2 > cap ? cap * 2 : need;
    p = mem_realloc(b->p, cap);
    if (!p)
        return ST_NOMEM;
    b->p = p;
    b->cap = cap;
    return ST_OK;
}

enum status buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != ST_OK)
        return ST_NOMEM;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return ST_OK;
}

enum status buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

enum status buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || buf_reserve(b, (size_t)n) != ST_OK)
        return ST_NOMEM;
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return ST_OK;
}

enum status buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    enum status st;

    va_start(ap, fmt);
    st = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return st;
}

enum status buf_put_u8(struct buf *b, uint8_t v)
{
    return buf_append(b, &v, 1);
}

enum status buf_put_u16be(struct buf *b, uint16_t v)
{
    uint8_t t[2];
    store_u16be(t, v);
    return buf_append(b, t, 2);
}

enum status buf_put_u32be(struct buf *b, uint32_t v)
{
    uint8_t t[4];
    store_u32be(t, v);
    return buf_append(b, t, 4);
}

enum status buf_put_u64be(struct buf *b, uint64_t v)
{
    uint8_t t[8];
    store_u64be(t, v);
    return buf_append(b, t, 8);
}

const char *buf_cstr(struct buf *b)
{
    if (buf_reserve(b, 0) != ST_OK)
        return "";
    b->p[b->len] = '\0';
    return (const char *)b->p;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void buf_free(struct buf *b)
{
    if (!b)
        return;
    mem_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
