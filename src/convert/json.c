/* src/convert/json.c: strict RFC 8259 JSON -> document.
 * One pass, no recursion (an explicit container stack bounded by max_depth), no allocation
 * once the document has grown. Strings without escapes point into the input; escaped ones
 * are rewritten into the document's arena. Invalid UTF-8, lone surrogates, control
 * characters, leading zeros, trailing commas and trailing content are refused with
 * "JSON: line L col C: reason". Duplicate object keys: the last one wins (Jackson). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "convert/convert_int.h"

#define MAX_NUMBER_TEXT 1000

/* 1 for bytes that can appear in a string as themselves and need no further check. */
static const uint8_t plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

struct jp {
    const uint8_t *start, *end;
    struct conv_doc *d;
    unsigned flags;
    struct err *e;
    const uint8_t *skip_at;     /* see conv__json_parse_skip */
    size_t skip_len;
};

void conv__json_where(const uint8_t *p, size_t n, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;

    if (off > n)
        off = n;
    for (size_t i = 0; i < off; i++) {
        if (p[i] == '\n') {
            l++;
            c = 1;
        } else if ((p[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static enum status jerr(struct jp *j, const uint8_t *at, enum status st, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
static enum status jerr(struct jp *j, const uint8_t *at, enum status st, const char *fmt, ...)
{
    char msg[256];
    unsigned line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    conv__json_where(j->start, (size_t)(j->end - j->start), (size_t)(at - j->start), &line, &col);
    return err_set(j->e, st, "JSON: line %u col %u: %s", line, col, msg);
}

/* A printable description of the byte at @p for messages. */
static const char *what_at(const struct jp *j, const uint8_t *p, char buf[16])
{
    if (p >= j->end)
        return "end of input";
    if (*p >= 0x20 && *p < 0x7f && *p != '\'')
        snprintf(buf, 16, "'%c'", *p);
    else
        snprintf(buf, 16, "byte 0x%02x", *p);
    return buf;
}

static inline const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && *p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \uXXXX at @p (pointing at the 'u'); -1 if not 4 hex digits. */
static long read_u4(const uint8_t *p, const uint8_t *end)
{
    long v = 0;

    if (end - p < 5)
        return -1;
    for (int i = 1; i <= 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Rewrite the escaped string body [s, q) (q at the closing quote) into the arena. */
static enum status unescape(struct jp *j, const uint8_t *s, const uint8_t *q, struct conv_value *v)
{
    size_t raw = (size_t)(q - s);
    uint8_t *out = conv__arena_alloc(&j->d->arena, raw), *o = out;
    const uint8_t *p = s;

    if (!out)
        return err_set(j->e, ST_NOMEM, "JSON: out of memory for a %zu-byte string", raw);
    while (p < q) {
        const uint8_t *run = p;
        while (p < q && *p != '\\')
            p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p == q)
            break;
        switch (p[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            long cp = read_u4(p + 1, q), lo;
            if (cp < 0)
                return jerr(j, p, ST_PARSE, "invalid \\u escape (expected 4 hex digits)");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return jerr(j, p, ST_PARSE, "unpaired surrogate \\u%04lX", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (q - (p + 6) < 6 || p[6] != '\\' || p[7] != 'u' ||
                    (lo = read_u4(p + 7, q)) < 0xDC00 || lo > 0xDFFF)
                    return jerr(j, p, ST_PARSE, "unpaired surrogate \\u%04lX", cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            o += put_utf8(o, (uint32_t)cp);
            p += 6;
            continue;
        }
        default:
            return jerr(j, p, ST_PARSE, "invalid escape '\\%c'",
                        p[1] >= 0x20 && p[1] < 0x7f ? p[1] : '?');
        }
        p += 2;
    }
    conv__arena_trim(&j->d->arena, out, raw, (size_t)(o - out));
    v->s.p = (const char *)out;
    v->s.n = (uint32_t)(o - out);
    return ST_OK;
}

/* The high bit of each byte of @w that is not plain: '"', '\\', below 0x20 or from 0x80 (the
 * same set as the table). A borrow may also flag bytes after a true hit, never before one, so
 * the lowest flag is exact. */
static inline uint64_t special_bytes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');

    return (((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) | ((w - ones * 0x20) & ~w) | w) &
           high;
}

/* First byte at or after @q (before @end) that is not plain, or @end. */
static inline const uint8_t *skip_plain(const uint8_t *q, const uint8_t *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - q >= 8) {          /* 8 bytes at a time: the first byte is the lowest */
        uint64_t w, m;
        memcpy(&w, q, 8);
        if ((m = special_bytes(w)) != 0)
            return q + (__builtin_ctzll(m) >> 3);
        q += 8;
    }
#endif
    while (q < end && plain[*q])
        q++;
    return q;
}

/* String starting after the opening quote at *pp. */
static enum status parse_string(struct jp *j, const uint8_t **pp, struct conv_value *v)
{
    const uint8_t *s = *pp, *q = s, *end = j->end;
    bool esc = false;

    for (;;) {
        q = skip_plain(q, end);
        if (q == end)
            return jerr(j, s - 1, ST_PARSE, "unterminated string");
        if (*q == '"')
            break;
        if (*q == '\\') {
            esc = true;
            if (q + 1 == end)
                return jerr(j, s - 1, ST_PARSE, "unterminated string");
            q += 2;   /* checked in unescape(); skipping keeps \" from ending the string */
            continue;
        }
        if (*q < 0x20)
            return jerr(j, q, ST_PARSE, "control character 0x%02x in string (must be escaped)", *q);
        size_t l = conv__utf8_len(q, end);
        if (!l)
            return jerr(j, q, ST_PARSE, "invalid UTF-8 in string (byte 0x%02x)", *q);
        q += l;
    }
    if ((size_t)(q - s) > UINT32_MAX)
        return jerr(j, s, ST_TOO_BIG, "string over 4 GiB");
    *pp = q + 1;
    if (!esc) {
        v->s.p = (const char *)s;
        v->s.n = (uint32_t)(q - s);
        return ST_OK;
    }
    return unescape(j, s, q, v);
}

static enum status parse_number(struct jp *j, const uint8_t **pp, struct conv_value *v)
{
    const uint8_t *s = *pp, *p = s, *end = j->end;
    uint64_t u = 0;
    bool neg = false, integral = true, big = false;
    char tmp[16];

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p < end && *p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return jerr(j, s, ST_PARSE, "leading zeros are not allowed in numbers");
    } else if (p < end && *p >= '1' && *p <= '9') {
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            unsigned dg = (unsigned)(*p - '0');
            if (u > (UINT64_MAX - dg) / 10)
                big = true;
            else
                u = u * 10 + dg;
        }
    } else {
        return jerr(j, p, ST_PARSE, "invalid number: expected a digit, got %s", what_at(j, p, tmp));
    }
    if (p < end && *p == '.') {
        integral = false;
        p++;
        if (p == end || *p < '0' || *p > '9')
            return jerr(j, p, ST_PARSE, "invalid number: expected a digit after '.', got %s",
                        what_at(j, p, tmp));
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integral = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || *p < '0' || *p > '9')
            return jerr(j, p, ST_PARSE, "invalid number: expected a digit in the exponent, got %s",
                        what_at(j, p, tmp));
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p - s > MAX_NUMBER_TEXT)
        return jerr(j, s, ST_PARSE, "number longer than %d characters", MAX_NUMBER_TEXT);
    *pp = p;
    if (j->flags & CONV__JSON_RAW_NUMBERS) {
        v->type = CONV__RAWNUM;
        v->s.p = (const char *)s;
        v->s.n = (uint32_t)(p - s);
        v->count = integral;
        return ST_OK;
    }
    if (integral && !big && (neg ? u <= (uint64_t)INT64_MAX + 1 : u <= (uint64_t)INT64_MAX)) {
        v->type = CONV_INT;
        v->i = neg ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u) : (int64_t)u;
        return ST_OK;
    }
    /* fraction, exponent, or an integer beyond int64: a double (see docs/formats.md) */
    v->type = CONV_DOUBLE;
    v->d = conv__num_to_double((const char *)s, (size_t)(p - s));
    return ST_OK;
}

static enum status parse_literal(struct jp *j, const uint8_t **pp, const char *word, size_t n)
{
    const uint8_t *p = *pp;

    if ((size_t)(j->end - p) < n || memcmp(p, word, n) != 0) {
        size_t k = 0;
        while (k < n && p + k < j->end && p[k] == (uint8_t)word[k])
            k++;
        return jerr(j, p + k, ST_PARSE, "invalid literal (expected '%s')", word);
    }
    *pp = p + n;
    return ST_OK;
}

struct frame {
    uint32_t idx, count;
    bool map;
};

/* The parser proper: a state machine over three labels instead of recursion.
 *   value: one JSON value starts here (scalars are finished in place; '{' and '[' push a frame)
 *   key:   a string key and its ':' inside an object
 *   after: a value ended: count it in the enclosing frame, then ',' or the closing bracket
 *          (closing pops the frame and is itself "a value ended" for the parent)
 * The frame stack is bounded by max_depth, so hostile nesting cannot exhaust the C stack. */
static enum status parse(struct jp *j)
{
    struct frame st[CONV__MAX_DEPTH_CAP];
    struct conv_doc *d = j->d;
    const uint8_t *p = j->start, *end = j->end;
    uint32_t depth = 0, max_depth = d->lim.max_depth;
    struct conv_value *v;
    enum status rc;
    char tmp[16];

    if (max_depth > CONV__MAX_DEPTH_CAP)
        max_depth = CONV__MAX_DEPTH_CAP;
    p = skip_ws(p, end);
    if (p == end) {
        if (!conv__add(d, CONV_NULL))
            return conv__add_error(d, "JSON", j->e);
        return ST_OK;
    }
value:
    p = skip_ws(p, end);
    if (p == end)
        return jerr(j, p, ST_PARSE, "unexpected end of input, expected a value");
    if (p == j->skip_at) {
        if (!conv__add(d, CONV__SKIPPED))
            return conv__add_error(d, "JSON", j->e);
        p += j->skip_len;
        goto after;
    }
    switch (*p) {
    case '{':
    case '[':
        if (depth == max_depth)
            return jerr(j, p, ST_TOO_BIG, "nesting deeper than %u", max_depth);
        if (!(v = conv__add(d, *p == '{' ? CONV_MAP : CONV_LIST)))
            return conv__add_error(d, "JSON", j->e);
        st[depth].idx = d->n - 1;
        st[depth].count = 0;
        st[depth].map = *p == '{';
        depth++;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (st[depth - 1].map ? '}' : ']')) {
            p++;
            conv__close(d, st[--depth].idx, 0);
            goto after;
        }
        if (st[depth - 1].map)
            goto key;
        goto value;
    case '"':
        if (!(v = conv__add(d, CONV_STRING)))
            return conv__add_error(d, "JSON", j->e);
        p++;
        if ((rc = parse_string(j, &p, v)) != ST_OK)
            return rc;
        goto after;
    case 't':
    case 'f':
        if (!(v = conv__add(d, CONV_BOOL)))
            return conv__add_error(d, "JSON", j->e);
        v->b = *p == 't';
        if ((rc = parse_literal(j, &p, v->b ? "true" : "false", v->b ? 4 : 5)) != ST_OK)
            return rc;
        goto after;
    case 'n':
        if (!conv__add(d, CONV_NULL))
            return conv__add_error(d, "JSON", j->e);
        if ((rc = parse_literal(j, &p, "null", 4)) != ST_OK)
            return rc;
        goto after;
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            if (!(v = conv__add(d, CONV_INT)))
                return conv__add_error(d, "JSON", j->e);
            if ((rc = parse_number(j, &p, v)) != ST_OK)
                return rc;
            goto after;
        }
        return jerr(j, p, ST_PARSE, "expected a value, got %s", what_at(j, p, tmp));
    }
key:
    if (p == end || *p != '"')
        return jerr(j, p, ST_PARSE, "expected a string key, got %s", what_at(j, p, tmp));
    if (!(v = conv__add(d, CONV_STRING)))
        return conv__add_error(d, "JSON", j->e);
    p++;
    if ((rc = parse_string(j, &p, v)) != ST_OK)
        return rc;
    p = skip_ws(p, end);
    if (p == end || *p != ':')
        return jerr(j, p, ST_PARSE, "expected ':', got %s", what_at(j, p, tmp));
    p++;
    goto value;
after:
    if (depth == 0) {
        p = skip_ws(p, end);
        if (p != end)
            return jerr(j, p, ST_PARSE, "unexpected %s after the value", what_at(j, p, tmp));
        return ST_OK;
    }
    st[depth - 1].count++;
    p = skip_ws(p, end);
    if (p < end && *p == ',') {
        p = skip_ws(p + 1, end);
        if (st[depth - 1].map)
            goto key;
        goto value;
    }
    if (p < end && *p == (st[depth - 1].map ? '}' : ']')) {
        p++;
        depth--;
        if (conv__close(d, st[depth].idx, st[depth].count) != ST_OK)
            return conv__add_error(d, "JSON", j->e);
        goto after;
    }
    return jerr(j, p, ST_PARSE, "expected ',' or '%c', got %s", st[depth - 1].map ? '}' : ']',
                what_at(j, p, tmp));
}

size_t conv__json_container_len(const uint8_t *p, size_t n)
{
    size_t depth = 0, i = 0;

    if (n == 0 || (p[0] != '{' && p[0] != '['))
        return 0;
    for (; i < n; i++) {
        if (p[i] == '"') {
            for (i++; i < n && p[i] != '"'; i++)
                if (p[i] == '\\')
                    i++;
        } else if (p[i] == '{' || p[i] == '[') {
            depth++;
        } else if ((p[i] == '}' || p[i] == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

enum status conv__json_parse_skip(struct conv_doc *out, const uint8_t *p, size_t n, unsigned flags,
                                  const uint8_t *skip_at, size_t skip_len, struct err *e)
{
    struct jp j = {p, p + n, out, flags, e, skip_at, skip_len};

    conv_doc_reset(out);
    if (n > out->lim.max_input)
        return err_set(e, ST_TOO_BIG, "JSON: record of %zu bytes is over the limit of %zu", n,
                       out->lim.max_input);
    return parse(&j);
}

enum status conv__json_parse(struct conv_doc *out, const uint8_t *p, size_t n, unsigned flags,
                             struct err *e)
{
    struct jp j = {p, p + n, out, flags, e, NULL, 0};

    conv_doc_reset(out);
    if (n > out->lim.max_input)
        return err_set(e, ST_TOO_BIG, "JSON: record of %zu bytes is over the limit of %zu", n,
                       out->lim.max_input);
    if (!p)
        j.start = j.end = (const uint8_t *)"";
    return parse(&j);
}

enum status conv_json_parse(struct conv_doc *out, const uint8_t *p, size_t n, struct err *e)
{
    return conv__json_parse(out, p, n, 0, e);
}
