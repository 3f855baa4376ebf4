/* src/convert/shared.c: what the schema-driven decoders share (connect.c, jsonschema.c, avro.c,
 * protobuf.c): the error path ("items[3].price", "#/properties/a") and, for the two that type a
 * parsed JSON document by a schema (Connect JSON, JSON Schema), reading its nodes: type names,
 * map lookups, integral numbers, base64 bytes and Decimal values. Messages here carry no prefix
 * and no place: the caller adds both. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "convert/convert_int.h"

void conv__path_text(const struct conv__seg *path, uint32_t np, uint32_t cap, unsigned flags, char *out, size_t n)
{
    bool pointer = flags & CONV__PATH_POINTER;
    size_t o = 0;

    out[0] = '\0';
    if (pointer) {
        snprintf(out, n, "#");
        o = 1;
    }
    for (uint32_t i = 0; i < np && i < cap && o < n - 1; i++) {
        const struct conv__seg *s = &path[i];
        bool dot = flags & CONV__PATH_DOT_AFTER_TEXT ? o > 0 : i > 0;
        int w;
        if (pointer)
            w = s->name ? snprintf(out + o, n - o, "/%.*s", (int)MIN(s->n, 60), s->name)
                        : snprintf(out + o, n - o, "/%" PRIu64, s->index);
        else if (!s->name)
            w = snprintf(out + o, n - o, "[%" PRIu64 "]", s->index);
        else if (s->key)
            w = snprintf(out + o, n - o, "[\"%.*s\"]", (int)MIN(s->n, 40), s->name);
        else
            w = snprintf(out + o, n - o, "%s%.*s", dot ? "." : "", (int)MIN(s->n, 60), s->name);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

const char *conv__json_type(const struct conv_value *v)
{
    switch (v->type) {
    case CONV_NULL: return "null";
    case CONV_BOOL: return "boolean";
    case CONV__RAWNUM: return "number";
    case CONV_STRING: return "string";
    case CONV_LIST: return "array";
    case CONV_MAP: return "object";
    default: return "?";
    }
}

uint32_t conv__map_index(const struct conv_doc *d, uint32_t mi, const char *key)
{
    const struct conv_value *v = conv_map_get(d, &d->nodes[mi], key, strlen(key));
    return v ? conv_doc_index(d, v) : UINT32_MAX;
}

bool conv__str_is(const struct conv_value *v, const char *s)
{
    return v->type == CONV_STRING && str_eq(v->s.p, v->s.n, s);
}

enum conv__int_result conv__rawnum_int(struct conv__arena *a, const struct conv_value *t, bool exact_only,
                                       int64_t lo, int64_t hi, int64_t *out)
{
    const char *txt = t->s.p;
    uint32_t n = t->s.n;
    struct err sub;

    if (!t->count && (exact_only || conv__decimal_from_text(a, t->s.p, t->s.n, 0, &txt, &n, &sub) != ST_OK))
        return CONV__INT_NOT_INTEGRAL;
    if (!str_to_i64(txt, n, out) || *out < lo || *out > hi)
        return CONV__INT_RANGE;
    return CONV__INT_OK;
}

enum status conv__base64_bytes(struct conv__arena *a, const char *p, uint32_t n, const uint8_t **out, size_t *out_n,
                               struct err *e)
{
    size_t cap = n / 4 * 3;    /* base64_decode takes whole 4-character groups only */
    uint8_t *b = conv__arena_alloc(a, cap);
    long got;

    if (!b)
        return err_set(e, ST_NOMEM, "out of memory");
    got = base64_decode(p, n, b, cap);
    if (got < 0)
        return err_set(e, ST_TYPE, "invalid base64 (%" PRIu32 " characters)", n);
    conv__arena_trim(a, b, cap, (size_t)got);
    *out = b;
    *out_n = (size_t)got;
    return ST_OK;
}

enum status conv__decimal_from_json(struct conv__arena *a, const struct conv_value *t, int32_t scale,
                                    const char **out, uint32_t *out_n, struct err *e)
{
    const uint8_t *b;
    size_t bn;
    enum status st;

    if (t->type == CONV__RAWNUM)
        return conv__decimal_from_text(a, t->s.p, t->s.n, scale, out, out_n, e);
    if ((st = conv__base64_bytes(a, t->s.p, t->s.n, &b, &bn, e)) != ST_OK)
        return st;
    return conv__decimal_from_twos(a, b, bn, scale, out, out_n, e);
}
