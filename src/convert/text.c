/* src/convert/text.c: UTF-8 well-formedness (RFC 3629 / Unicode ch. 3 table 3-7) and
 * JSON number text -> int64 / double / float. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert/convert_int.h"

/* Allowed second-byte range by lead byte; later continuation bytes are 80..BF. */
static bool second_ok(uint8_t lead, uint8_t b)
{
    switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;   /* no overlongs */
    case 0xED: return b >= 0x80 && b <= 0x9F;   /* no surrogates */
    case 0xF0: return b >= 0x90 && b <= 0xBF;   /* no overlongs */
    case 0xF4: return b >= 0x80 && b <= 0x8F;   /* <= U+10FFFF */
    default: return b >= 0x80 && b <= 0xBF;
    }
}

static size_t seq_len(uint8_t lead)
{
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

size_t conv__utf8_len(const uint8_t *p, const uint8_t *end)
{
    size_t n = seq_len(p[0]);

    if (n <= 1)
        return n;
    if ((size_t)(end - p) < n || !second_ok(p[0], p[1]))
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

size_t conv__utf8_bad_len(const uint8_t *p, const uint8_t *end)
{
    /* the maximal subpart: the longest prefix of a well-formed sequence, at least 1 byte */
    size_t n = seq_len(p[0]), i;

    if (n <= 1)
        return 1;
    if (p + 1 == end || !second_ok(p[0], p[1]))
        return 1;
    for (i = 2; i < n && p + i < end && (p[i] & 0xC0) == 0x80; i++)
        ;
    return i;
}

enum status conv__utf8_fix(struct conv__arena *a, const uint8_t *p, size_t n, const char **out,
                           uint32_t *out_n)
{
    const uint8_t *q = p, *end = p + n;
    uint8_t *o, *w;
    bool bad = false;

    while (q < end && !bad) {
        size_t l = *q < 0x80 ? 1 : conv__utf8_len(q, end);
        bad = l == 0;
        q += l;
    }
    if (!bad) {
        *out = (const char *)p;
        *out_n = (uint32_t)n;
        return ST_OK;
    }
    /* each replaced subpart (1-3 bytes) becomes 3 bytes: at most 3n */
    if (!(o = conv__arena_alloc(a, n * 3)))
        return ST_NOMEM;
    for (q = p, w = o; q < end;) {
        size_t l = *q < 0x80 ? 1 : conv__utf8_len(q, end);
        if (l) {
            memcpy(w, q, l);
            w += l;
        } else {
            l = conv__utf8_bad_len(q, end);
            memcpy(w, "\xEF\xBF\xBD", 3);
            w += 3;
        }
        q += l;
    }
    conv__arena_trim(a, o, n * 3, (size_t)(w - o));
    *out = (const char *)o;
    *out_n = (uint32_t)(w - o);
    return ST_OK;
}

/* --- Numbers --- */

#define MAX_NUMBER_TEXT 1000   /* Jackson's StreamReadConstraints default */

bool conv__num_to_i64(const char *s, size_t n, int64_t *out)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
            return false;
    return str_to_i64(s, n, out);
}

static const double pow10_exact[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Clinger's fast path: at most 19 significant digits whose value is below 2^53 and a power
 * of ten that is exact in a double give a correctly rounded product/quotient. */
static bool fast_double(const char *s, size_t n, double *out)
{
    uint64_t m = 0;
    int digits = 0, exp10 = 0, e = 0, esign = 1;
    bool neg = false, frac = false;
    size_t i = 0;

    if (s[0] == '-') {
        neg = true;
        i++;
    }
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (m == 0 && c == '0') {
                if (frac)
                    exp10--;
                continue;
            }
            if (++digits > 19)
                return false;
            m = m * 10 + (uint64_t)(c - '0');
            if (frac)
                exp10--;
        } else if (c == '.') {
            frac = true;
        } else {
            break;   /* e or E */
        }
    }
    if (i < n) {
        i++;
        if (s[i] == '-' || s[i] == '+')
            esign = s[i++] == '-' ? -1 : 1;
        for (; i < n; i++) {
            if (e > 10000)
                return false;
            e = e * 10 + (s[i] - '0');
        }
        exp10 += esign * e;
    }
    if (m > (1ull << 53))
        return false;
    if (m == 0) {
        *out = 0.0;   /* Connect reads floats as BigDecimal, which has no -0 */
        return true;
    }
    if (exp10 < -22 || exp10 > 22)
        return false;
    *out = exp10 >= 0 ? (double)m * pow10_exact[exp10] : (double)m / pow10_exact[-exp10];
    if (neg)
        *out = -*out;
    return true;
}

double conv__num_to_double(const char *s, size_t n)
{
    char tmp[MAX_NUMBER_TEXT + 1];
    double d;

    if (fast_double(s, n, &d))
        return d;
    if (n > MAX_NUMBER_TEXT)
        n = MAX_NUMBER_TEXT;   /* the JSON parser refuses longer numbers */
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return strtod(tmp, NULL);  /* C locale; overflow gives +-HUGE_VAL (= +-inf) like Java */
}

float conv__num_to_float(const char *s, size_t n)
{
    char tmp[MAX_NUMBER_TEXT + 1];

    if (n > MAX_NUMBER_TEXT)
        n = MAX_NUMBER_TEXT;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return strtof(tmp, NULL);  /* rounds the decimal text once, as BigDecimal.floatValue() */
}
