/* src/convert/decimal.c: decimals as plain text ("-12.30"), like BigDecimal.toPlainString(),
 * from an unscaled big-endian two's-complement integer (Connect Decimal, Avro decimal) or from
 * JSON number text (Connect decimal.format=NUMERIC). No precision is ever lost. */
#include <string.h>

#include "convert/convert_int.h"

/* Write sign, @digits (no leading zeros, "0" for zero) and a decimal point @scale digits from
 * the right into a fresh arena buffer. */
static enum status render(struct conv__arena *a, bool neg, const char *digits, size_t nd, int32_t scale,
                          const char **out, uint32_t *out_n, struct err *e)
{
    bool zero = nd == 1 && digits[0] == '0';
    size_t cap = nd + (size_t)(scale < 0 ? -(int64_t)scale : scale) + 3, o = 0;
    char *w = conv__arena_alloc(a, cap);

    if (!w)
        return err_set(e, ST_NOMEM, "decimal: out of memory");
    if (neg && !zero)
        w[o++] = '-';
    if (scale <= 0) {
        memcpy(w + o, digits, nd);
        o += nd;
        if (!zero)
            for (int32_t i = 0; i < -scale; i++)
                w[o++] = '0';
    } else if (nd <= (size_t)scale) {
        w[o++] = '0';
        w[o++] = '.';
        for (size_t i = nd; i < (size_t)scale; i++)
            w[o++] = '0';
        memcpy(w + o, digits, nd);
        o += nd;
    } else {
        memcpy(w + o, digits, nd - (size_t)scale);
        o += nd - (size_t)scale;
        w[o++] = '.';
        memcpy(w + o, digits + nd - (size_t)scale, (size_t)scale);
        o += (size_t)scale;
    }
    conv__arena_trim(a, w, cap, o);
    *out = w;
    *out_n = (uint32_t)o;
    return ST_OK;
}

static enum status check_scale(int32_t scale, struct err *e)
{
    if (scale > CONV__DECIMAL_MAX_SCALE || scale < -CONV__DECIMAL_MAX_SCALE)
        return err_set(e, ST_TYPE, "decimal scale %d is outside -%d..%d", scale,
                       CONV__DECIMAL_MAX_SCALE, CONV__DECIMAL_MAX_SCALE);
    return ST_OK;
}

enum status conv__decimal_from_twos(struct conv__arena *a, const uint8_t *p, size_t n, int32_t scale,
                                    const char **out, uint32_t *out_n, struct err *e)
{
    uint32_t limb[CONV__DECIMAL_MAX_BYTES / 4 + 1];
    char digits[CONV__DECIMAL_MAX_BYTES * 5 / 2 + 16];
    size_t nl = 0, nd = 0, pos = sizeof(digits);
    bool neg;

    if (n == 0)
        return err_set(e, ST_TYPE, "decimal has no bytes");
    if (n > CONV__DECIMAL_MAX_BYTES)
        return err_set(e, ST_TYPE, "decimal of %zu bytes is over the limit of %d", n,
                       CONV__DECIMAL_MAX_BYTES);
    if (check_scale(scale, e) != ST_OK)
        return ST_TYPE;
    neg = p[0] & 0x80;
    /* little-endian 32-bit limbs of the magnitude */
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4 && i + k < n; k++)
            v |= (uint32_t)p[n - 1 - i - k] << (8 * k);
        if (n - i < 4 && neg)
            v |= ~0u << (8 * (n - i));   /* sign-extend the top limb */
        limb[nl++] = v;
    }
    if (neg) {   /* magnitude = ~x + 1 */
        uint64_t carry = 1;
        for (size_t i = 0; i < nl; i++) {
            uint64_t s = (uint64_t)(uint32_t)~limb[i] + carry;
            limb[i] = (uint32_t)s;
            carry = s >> 32;
        }
    }
    while (nl > 0 && limb[nl - 1] == 0)
        nl--;
    /* repeated division by 10^9, nine digits at a time, written right to left */
    while (nl > 0) {
        uint64_t rem = 0;
        for (size_t i = nl; i-- > 0;) {
            uint64_t cur = (rem << 32) | limb[i];
            limb[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        while (nl > 0 && limb[nl - 1] == 0)
            nl--;
        for (int k = 0; k < 9 && (nl > 0 || rem > 0 || k == 0); k++) {
            digits[--pos] = (char)('0' + rem % 10);
            rem /= 10;
            if (nl == 0 && rem == 0)
                break;
        }
    }
    nd = sizeof(digits) - pos;
    if (nd == 0) {
        digits[--pos] = '0';
        nd = 1;
    }
    return render(a, neg, digits + pos, nd, scale, out, out_n, e);
}

enum status conv__decimal_from_text(struct conv__arena *a, const char *s, size_t n, int32_t scale,
                                    const char **out, uint32_t *out_n, struct err *e)
{
    char digits[1100 + 2 * CONV__DECIMAL_MAX_SCALE + 16];
    size_t nd = 0, i = 0;
    int64_t exp = 0, frac = 0, k;
    bool neg = false, in_frac = false;

    if (check_scale(scale, e) != ST_OK)
        return ST_TYPE;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            in_frac = true;
            continue;
        }
        if (nd == 0 && s[i] == '0') {   /* leading zeros carry no value */
            if (in_frac)
                frac++;
            continue;
        }
        if (nd >= 1100)
            return err_set(e, ST_TYPE, "decimal has too many digits");
        digits[nd++] = s[i];
        if (in_frac)
            frac++;
    }
    if (i < n) {
        bool eneg = false;
        i++;
        if (s[i] == '+' || s[i] == '-')
            eneg = s[i++] == '-';
        for (; i < n; i++) {
            if (exp > 100000)
                return err_set(e, ST_TYPE, "decimal exponent out of range");
            exp = exp * 10 + (s[i] - '0');
        }
        if (eneg)
            exp = -exp;
    }
    if (nd == 0)
        return render(a, false, "0", 1, scale, out, out_n, e);
    /* unscaled = digits * 10^k */
    k = exp - frac + scale;
    if (k > 0) {
        if (nd + (size_t)k > sizeof(digits))
            return err_set(e, ST_TYPE, "decimal %.*s is too large for scale %d", (int)MIN(n, 64), s,
                           scale);
        memset(digits + nd, '0', (size_t)k);
        nd += (size_t)k;
    } else if (k < 0) {
        for (int64_t z = 0; z < -k; z++)
            if ((size_t)z >= nd || digits[nd - 1 - (size_t)z] != '0')
                return err_set(e, ST_TYPE, "decimal %.*s has more than %d fraction digit%s",
                               (int)MIN(n, 64), s, scale, scale == 1 ? "" : "s");
        nd -= (size_t)-k;
    }
    return render(a, neg, digits, nd, scale, out, out_n, e);
}
