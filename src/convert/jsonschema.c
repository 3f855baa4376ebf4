/* src/convert/jsonschema.c: io.confluent.connect.json.JsonSchemaConverter: Confluent Schema Registry
 * framing (magic 0x00, 4-byte big-endian schema id, JSON text), the JSON Schema compiler (a
 * registry schema -> a compact typed tree, as Confluent's JsonSchemaData.toConnectSchema reads it)
 * and the typing of a record's JSON by that tree (as JsonSchemaData.toConnectData does).
 * Types: boolean; integer -> INT (connect.type int8/int16/int32/int64, range-checked; default
 * int64); number -> DOUBLE even for integral text (connect.type float32 rounds); string; connect.type
 * bytes -> BYTES from base64; array -> LIST; object -> MAP of the declared properties in
 * connect.index order (undeclared ones dropped, missing ones null); object with connect.type map ->
 * MAP typed by additionalProperties; array with connect.type map -> MAP from {key, value} entries;
 * oneOf/anyOf/type lists: [null, T] -> optional T, else a union MAP with one key per branch;
 * local $ref (#, #/definitions/..., #/$defs/...); default; title Decimal/Date/Time/Timestamp.
 * Not here: the registry client and cache (schemas.c), the JSON parser (json.c). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "convert/convert_int.h"

#define NONE UINT32_MAX
#define MAX_SCHEMA_DEPTH 64     /* nested schemas plus $ref hops while compiling */
#define ONEOF_FIELD "io.confluent.connect.json.OneOf.field."
#define UNION_FIELD "connect_union_field_"

enum js_kind { JS_BOOLEAN, JS_INT, JS_NUMBER, JS_STRING, JS_BYTES, JS_ARRAY, JS_MAP, JS_ENTRIES, JS_STRUCT,
               JS_UNION };
enum js_logical { JL_NONE, JL_DECIMAL, JL_DATE, JL_TIME, JL_TIMESTAMP };

/* One compiled schema. Children are members (struct jm), so that a schema reached by several
 * $refs is compiled once and a recursive one is a cycle. */
struct js {
    uint8_t kind, logical, bits;    /* bits: JS_INT 8..64, JS_NUMBER 32 or 64 */
    int32_t scale;                  /* JL_DECIMAL */
    uint32_t dflt;                  /* schema document node of a non-null "default", or NONE */
    uint32_t a, b;                  /* members. ARRAY: items = a; MAP: values = b; ENTRIES: key a,
                                     * value b; STRUCT, UNION: first field/branch = a */
    uint32_t n;                     /* STRUCT fields, UNION branches */
    uint32_t l, h, hmask;           /* STRUCT: fields by position are fl[l..l+n); by name, the
                                     * positions in fh[h..h+hmask] (open addressing, NONE: free) */
};

/* A use of a schema: the root, a struct field, array items, map keys/values, a union branch. */
struct jm {
    uint32_t s;                     /* struct js index */
    uint32_t next;                  /* next field/branch, or NONE */
    const char *name, *alt;         /* field name; union branch: ONEOF_FIELD N and UNION_FIELD N */
    uint32_t name_n, alt_n;
    bool optional;                  /* null allowed: oneOf/anyOf or a type list with "null" */
    bool required;                  /* struct field listed in "required" */
};

struct jss {
    char *text;                     /* the schema text; doc's strings point into it */
    struct conv_doc *doc;           /* the schema as JSON (numbers kept as text) */
    struct js *s;
    uint32_t ns, s_cap;
    struct jm *m;
    uint32_t nm, m_cap;
    uint32_t root;                  /* member */
    struct conv__arena names;       /* union branch names */
    uint32_t *fl, *fh;              /* struct field indexes (see struct js) */
};

struct edge {
    uint32_t s;
    bool optional;
};

/* --- Small helpers shared by the compiler and the decoder --- */

/* --- Compiler --- */

struct jc {
    struct jss *x;
    struct edge *memo;              /* per schema node: what it compiled to (s == NONE: not yet) */
    unsigned depth;
    struct err *e;
    uint32_t np;
    struct conv__seg path[MAX_SCHEMA_DEPTH * 4 + 8];
};

#define SN(c, i) (&(c)->x->doc->nodes[(i)])

static enum status cerr(struct jc *c, enum status st, const char *fmt, ...) PRINTF_LIKE(3, 4);
static enum status cerr(struct jc *c, enum status st, const char *fmt, ...)
{
    char path[200], msg[260];
    va_list ap;

    conv__path_text(c->path, c->np, ARRAY_LEN(c->path), CONV__PATH_POINTER, path, sizeof(path));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(c->e, st, "%s: %s", path, msg);
}

static void cpush(struct jc *c, const char *name, uint32_t n, uint64_t index)
{
    conv__path_push(c->path, ARRAY_LEN(c->path), &c->np, name, n, index, false);
}

static void cpop(struct jc *c)
{
    c->np--;
}

static enum status new_js(struct jc *c, uint8_t kind, uint32_t *out)
{
    struct jss *x = c->x;

    if (x->ns == x->s_cap) {
        uint32_t cap = x->s_cap ? x->s_cap * 2 : 16;
        struct js *n = mem_realloc(x->s, (size_t)cap * sizeof(*n));
        if (!n)
            return err_set(c->e, ST_NOMEM, "out of memory for the schema");
        x->s = n;
        x->s_cap = cap;
    }
    *out = x->ns++;
    x->s[*out] = (struct js){.kind = kind, .bits = 64, .dflt = NONE, .a = NONE, .b = NONE};
    return ST_OK;
}

static enum status new_member(struct jc *c, struct edge e, uint32_t *out)
{
    struct jss *x = c->x;

    if (x->nm == x->m_cap) {
        uint32_t cap = x->m_cap ? x->m_cap * 2 : 16;
        struct jm *n = mem_realloc(x->m, (size_t)cap * sizeof(*n));
        if (!n)
            return err_set(c->e, ST_NOMEM, "out of memory for the schema");
        x->m = n;
        x->m_cap = cap;
    }
    *out = x->nm++;
    x->m[*out] = (struct jm){.s = e.s, .next = NONE, .optional = e.optional};
    return ST_OK;
}

static enum status cmp(struct jc *c, uint32_t ji, struct edge *out);

/* Compile the schema at @key of map node @ji into a new member. */
static enum status cmp_child(struct jc *c, uint32_t ji, const char *key, const char *what, uint32_t *mi)
{
    uint32_t ci = conv__map_index(c->x->doc, ji, key);
    struct edge e;
    enum status st;

    if (ci == NONE)
        return cerr(c, ST_PARSE, "%s has no \"%s\"", what, key);
    cpush(c, key, (uint32_t)strlen(key), 0);
    st = cmp(c, ci, &e);
    cpop(c);
    return st == ST_OK ? new_member(c, e, mi) : st;
}

static bool is_null_schema(struct jc *c, uint32_t ji)
{
    uint32_t t = SN(c, ji)->type == CONV_MAP ? conv__map_index(c->x->doc, ji, "type") : NONE;
    return t != NONE && conv__str_is(SN(c, t), "null");
}

/* A non-negative integer written as JSON number text or (Connect parameters) as a string. */
static bool node_int(const struct conv_value *v, int64_t lo, int64_t hi, int64_t *out)
{
    if ((v->type != CONV__RAWNUM || !v->count) && v->type != CONV_STRING)
        return false;
    return str_to_i64(v->s.p, v->s.n, out) && *out >= lo && *out <= hi;
}

/* "title" names a Connect logical type; Decimal takes its scale from connect.parameters. */
static enum status cmp_logical(struct jc *c, uint32_t ji, uint32_t si)
{
    static const char *const names[] = {NULL, "org.apache.kafka.connect.data.Decimal",
                                        "org.apache.kafka.connect.data.Date", "org.apache.kafka.connect.data.Time",
                                        "org.apache.kafka.connect.data.Timestamp"};
    uint32_t ti = conv__map_index(c->x->doc, ji, "title"), pi, sc;
    int64_t scale;

    if (ti == NONE)
        return ST_OK;
    for (uint8_t k = 1; k < ARRAY_LEN(names); k++)
        if (conv__str_is(SN(c, ti), names[k]))
            c->x->s[si].logical = k;
    if (c->x->s[si].logical != JL_DECIMAL)
        return ST_OK;
    pi = conv__map_index(c->x->doc, ji, "connect.parameters");
    sc = pi != NONE && SN(c, pi)->type == CONV_MAP ? conv__map_index(c->x->doc, pi, "scale") : NONE;
    if (sc == NONE)
        return cerr(c, ST_PARSE, "Decimal has no connect.parameters \"scale\"");
    if (!node_int(SN(c, sc), -CONV__DECIMAL_MAX_SCALE, CONV__DECIMAL_MAX_SCALE, &scale))
        return cerr(c, ST_PARSE, "Decimal scale \"%.*s\" is not an integer within +-%d", (int)MIN(SN(c, sc)->s.n, 40),
                    SN(c, sc)->s.p, CONV__DECIMAL_MAX_SCALE);
    c->x->s[si].scale = (int32_t)scale;
    return ST_OK;
}

/* connect.type on a number or integer schema: the Connect type it stands for. */
static enum status number_type(struct jc *c, uint32_t si, const struct conv_value *ct)
{
    static const struct {
        const char *name;
        uint8_t kind, bits;
    } types[] = {{"int8", JS_INT, 8},        {"int16", JS_INT, 16},       {"int32", JS_INT, 32},
                 {"int64", JS_INT, 64},      {"float32", JS_NUMBER, 32},  {"float64", JS_NUMBER, 64},
                 {"bytes", JS_BYTES, 64}};

    for (size_t k = 0; k < ARRAY_LEN(types); k++)
        if (conv__str_is(ct, types[k].name)) {
            c->x->s[si].kind = types[k].kind;
            c->x->s[si].bits = types[k].bits;
            return ST_OK;
        }
    return cerr(c, ST_PARSE, "unsupported connect.type \"%.*s\" on a number",
                ct->type == CONV_STRING ? (int)MIN(ct->s.n, 40) : 1, ct->type == CONV_STRING ? ct->s.p : "?");
}

struct prop {
    int64_t key;                    /* connect.index, else the position */
    uint32_t name, schema;          /* schema document nodes */
};

static bool listed(struct jc *c, uint32_t req, const struct conv_value *name)
{
    if (req == NONE || SN(c, req)->type != CONV_LIST)
        return false;
    for (uint32_t k = req + 1; k < SN(c, req)->next; k = SN(c, k)->next)
        if (SN(c, k)->type == CONV_STRING && SN(c, k)->s.n == name->s.n &&
            memcmp(SN(c, k)->s.p, name->s.p, name->s.n) == 0)
            return true;
    return false;
}

/* Properties in connect.index order (Connect writes it on every field), else as written. */
static enum status cmp_struct(struct jc *c, uint32_t ji, uint32_t si)
{
    uint32_t pi = conv__map_index(c->x->doc, ji, "properties"), req = conv__map_index(c->x->doc, ji, "required"), last = NONE, np = 0;
    struct prop *ps;
    enum status st = ST_OK;

    if (pi == NONE)
        return ST_OK;
    if (SN(c, pi)->type != CONV_MAP)
        return cerr(c, ST_PARSE, "\"properties\" is not an object");
    if (!(ps = mem_calloc(SN(c, pi)->count + 1, sizeof(*ps))))
        return err_set(c->e, ST_NOMEM, "out of memory for the schema");
    for (uint32_t k = pi + 1; k < SN(c, pi)->next; k = SN(c, SN(c, k)->next)->next) {
        uint32_t v = SN(c, k)->next, ix = SN(c, v)->type == CONV_MAP ? conv__map_index(c->x->doc, v, "connect.index") : NONE;
        struct prop p = {np, k, v};
        uint32_t at = np;
        if (ix != NONE && !node_int(SN(c, ix), 0, INT32_MAX, &p.key)) {
            cpush(c, "properties", 10, 0);
            cpush(c, SN(c, k)->s.p, SN(c, k)->s.n, 0);
            st = cerr(c, ST_PARSE, "connect.index is not a non-negative integer");
            goto out;
        }
        while (at > 0 && ps[at - 1].key > p.key) {
            ps[at] = ps[at - 1];
            at--;
        }
        if (at > 0 && ps[at - 1].key == p.key) {
            cpush(c, "properties", 10, 0);
            cpush(c, SN(c, k)->s.p, SN(c, k)->s.n, 0);
            st = cerr(c, ST_PARSE, "two properties at connect.index %" PRId64, p.key);
            goto out;
        }
        ps[at] = p;
        np++;
    }
    cpush(c, "properties", 10, 0);
    for (uint32_t k = 0; k < np; k++) {
        const struct conv_value *name = SN(c, ps[k].name);
        struct edge e;
        uint32_t mi;
        cpush(c, name->s.p, name->s.n, 0);
        if ((st = cmp(c, ps[k].schema, &e)) != ST_OK || (st = new_member(c, e, &mi)) != ST_OK)
            goto out;
        c->x->m[mi].name = name->s.p;
        c->x->m[mi].name_n = name->s.n;
        c->x->m[mi].required = listed(c, req, name);
        if (last == NONE)
            c->x->s[si].a = mi;
        else
            c->x->m[last].next = mi;
        last = mi;
        c->x->s[si].n++;
        cpop(c);
    }
    cpop(c);
out:
    mem_free(ps);
    return st;
}

/* array: items, or with connect.type map, {key, value} entries. */
static enum status cmp_array(struct jc *c, uint32_t ji, uint32_t si, bool map)
{
    uint32_t it = conv__map_index(c->x->doc, ji, "items"), props, k, v, mi;
    enum status st;

    if (it == NONE)
        return cerr(c, ST_PARSE, "array schema has no \"items\"");
    if (SN(c, it)->type != CONV_MAP)
        return cerr(c, ST_PARSE, "\"items\" must be one schema (an object), got %s", conv__json_type(SN(c, it)));
    props = conv__map_index(c->x->doc, it, "properties");
    if (map && SN(c, it)->type == CONV_MAP && conv__map_index(c->x->doc, it, "type") != NONE &&
        conv__str_is(SN(c, conv__map_index(c->x->doc, it, "type")), "object")) {
        c->x->s[si].kind = JS_ENTRIES;
        k = props != NONE && SN(c, props)->type == CONV_MAP ? conv__map_index(c->x->doc, props, "key") : NONE;
        v = props != NONE && SN(c, props)->type == CONV_MAP ? conv__map_index(c->x->doc, props, "value") : NONE;
        if (k == NONE || v == NONE)
            return cerr(c, ST_PARSE, "connect.type map entries need properties \"key\" and \"value\"");
        cpush(c, "items", 5, 0);
        cpush(c, "properties", 10, 0);
        st = cmp_child(c, props, "key", "map entry", &mi);
        if (st == ST_OK) {
            c->x->s[si].a = mi;
            st = cmp_child(c, props, "value", "map entry", &mi);
            c->x->s[si].b = mi;
        }
        cpop(c);
        cpop(c);
        return st;
    }
    if ((st = cmp_child(c, ji, "items", "array schema", &mi)) != ST_OK)
        return st;
    c->x->s[si].a = mi;
    return ST_OK;
}

/* Schema @ji read as JSON Schema type @t (its other keywords apply). @memo: record the result
 * for @ji (not for the branches of a type list, which share @ji). */
static enum status cmp_typed(struct jc *c, uint32_t ji, const struct conv_value *t, bool memo, struct edge *out)
{
    static const char *const types[] = {"boolean", "integer", "number", "string", "array", "object"};
    static const uint8_t kinds[] = {JS_BOOLEAN, JS_INT, JS_NUMBER, JS_STRING, JS_ARRAY, JS_STRUCT};
    uint32_t si, ct = conv__map_index(c->x->doc, ji, "connect.type"), di = conv__map_index(c->x->doc, ji, "default"), mi;
    bool map = ct != NONE && conv__str_is(SN(c, ct), "map");
    int k = -1;
    enum status st;

    for (size_t i = 0; i < ARRAY_LEN(types); i++)
        if (conv__str_is(t, types[i]))
            k = (int)i;
    if (k < 0 && conv__str_is(t, "null"))
        return cerr(c, ST_PARSE, "type \"null\" is only supported next to another type (oneOf, anyOf or a "
                    "type list)");
    if (k < 0)
        return cerr(c, ST_PARSE, "unknown type \"%.*s\"", t->type == CONV_STRING ? (int)MIN(t->s.n, 40) : 1,
                    t->type == CONV_STRING ? t->s.p : "?");
    if ((st = new_js(c, kinds[k], &si)) != ST_OK)
        return st;
    if (memo)
        c->memo[ji] = (struct edge){si, false};
    if (di != NONE && SN(c, di)->type != CONV_NULL)
        c->x->s[si].dflt = di;
    if ((st = cmp_logical(c, ji, si)) != ST_OK)
        return st;
    if (ct != NONE && (kinds[k] == JS_INT || kinds[k] == JS_NUMBER)) {
        cpush(c, "connect.type", 12, 0);
        st = number_type(c, si, SN(c, ct));
        cpop(c);
        if (st != ST_OK)
            return st;
    } else if (ct != NONE && kinds[k] == JS_STRING && conv__str_is(SN(c, ct), "bytes")) {
        c->x->s[si].kind = JS_BYTES;
    } else if (kinds[k] == JS_ARRAY) {
        if ((st = cmp_array(c, ji, si, map)) != ST_OK)
            return st;
    } else if (kinds[k] == JS_STRUCT && map) {
        c->x->s[si].kind = JS_MAP;
        if ((st = cmp_child(c, ji, "additionalProperties", "connect.type map object", &mi)) != ST_OK)
            return st;
        c->x->s[si].b = mi;
    } else if (kinds[k] == JS_STRUCT) {
        if ((st = cmp_struct(c, ji, si)) != ST_OK)
            return st;
    }
    *out = (struct edge){si, false};
    return ST_OK;
}

/* Union branch names, both spellings (generalized.sum.type.support picks one when decoding). */
static enum status branch_names(struct jc *c, uint32_t mi, uint32_t index)
{
    char *p = conv__arena_alloc(&c->x->names, 32 + sizeof(ONEOF_FIELD) + 16);
    int a, b;

    if (!p)
        return err_set(c->e, ST_NOMEM, "out of memory for the schema");
    a = snprintf(p, 32, UNION_FIELD "%" PRIu32, index);
    b = snprintf(p + 32, sizeof(ONEOF_FIELD) + 16, ONEOF_FIELD "%" PRIu32, index);
    c->x->m[mi].alt = p;
    c->x->m[mi].alt_n = (uint32_t)a;
    c->x->m[mi].name = p + 32;
    c->x->m[mi].name_n = (uint32_t)b;
    return ST_OK;
}

static enum status add_branch(struct jc *c, uint32_t u, uint32_t *last, struct edge e)
{
    uint32_t mi;
    enum status st;

    e.optional = true;   /* Connect makes every branch optional */
    if ((st = new_member(c, e, &mi)) != ST_OK || (st = branch_names(c, mi, c->x->s[u].n)) != ST_OK)
        return st;
    if (*last == NONE)
        c->x->s[u].a = mi;
    else
        c->x->m[*last].next = mi;
    *last = mi;
    c->x->s[u].n++;
    return ST_OK;
}

/* oneOf / anyOf: exactly [null, T] is an optional T; anything else a union (null makes it optional). */
static enum status cmp_union(struct jc *c, uint32_t ji, uint32_t li, const char *kw, struct edge *out)
{
    uint32_t nulls = 0, other = NONE, u, last = NONE, k = 0;
    struct edge e;
    enum status st;

    cpush(c, kw, (uint32_t)strlen(kw), 0);
    if (SN(c, li)->type != CONV_LIST || SN(c, li)->count == 0)
        return cerr(c, ST_PARSE, "not a non-empty array of schemas");
    for (uint32_t b = li + 1; b < SN(c, li)->next; b = SN(c, b)->next)
        if (is_null_schema(c, b))
            nulls++;
        else
            other = b;
    if (SN(c, li)->count == 2 && nulls == 1) {
        for (uint32_t b = li + 1; b < SN(c, li)->next; b = SN(c, b)->next, k++)
            if (b == other)
                cpush(c, NULL, 0, k);
        st = cmp(c, other, out);
        out->optional = true;
        cpop(c);
        cpop(c);
        return st;
    }
    if (other == NONE)
        return cerr(c, ST_PARSE, "no branch other than null");
    if ((st = new_js(c, JS_UNION, &u)) != ST_OK)
        return st;
    c->memo[ji] = (struct edge){u, nulls > 0};
    for (uint32_t b = li + 1; b < SN(c, li)->next; b = SN(c, b)->next, k++) {
        if (is_null_schema(c, b))
            continue;
        cpush(c, NULL, 0, k);
        if ((st = cmp(c, b, &e)) != ST_OK || (st = add_branch(c, u, &last, e)) != ST_OK)
            return st;
        cpop(c);
    }
    cpop(c);
    *out = (struct edge){u, nulls > 0};
    return ST_OK;
}

/* "type": [T1, T2, ...] reads like anyOf of the same schema with each type. */
static enum status cmp_type_list(struct jc *c, uint32_t ji, uint32_t li, struct edge *out)
{
    uint32_t nulls = 0, others = 0, other = NONE, u, last = NONE;
    struct edge e;
    enum status st;

    for (uint32_t t = li + 1; t < SN(c, li)->next; t = SN(c, t)->next) {
        if (SN(c, t)->type != CONV_STRING)
            return cerr(c, ST_PARSE, "\"type\" list holds a %s, not a type name", conv__json_type(SN(c, t)));
        if (conv__str_is(SN(c, t), "null"))
            nulls++;
        else {
            others++;
            other = t;
        }
    }
    if (others == 0)
        return cerr(c, ST_PARSE, "\"type\" list has no type other than null");
    if (others == 1 && nulls <= 1) {
        st = cmp_typed(c, ji, SN(c, other), true, out);
        out->optional = nulls == 1;
        if (st == ST_OK)
            c->memo[ji] = *out;
        return st;
    }
    if ((st = new_js(c, JS_UNION, &u)) != ST_OK)
        return st;
    c->memo[ji] = (struct edge){u, nulls > 0};
    for (uint32_t t = li + 1; t < SN(c, li)->next; t = SN(c, t)->next) {
        if (conv__str_is(SN(c, t), "null"))
            continue;
        if ((st = cmp_typed(c, ji, SN(c, t), false, &e)) != ST_OK || (st = add_branch(c, u, &last, e)) != ST_OK)
            return st;
    }
    *out = (struct edge){u, nulls > 0};
    return ST_OK;
}

/* A local JSON pointer: "#", "#/definitions/X", "#/$defs/X/properties/y" (~0 ~1 escapes). */
static enum status resolve_ref(struct jc *c, const struct conv_value *ref, uint32_t *target)
{
    const char *p = ref->s.p, *end = ref->s.p + ref->s.n;
    uint32_t at = 0;
    char tok[256];

    if (ref->type != CONV_STRING || ref->s.n == 0 || p[0] != '#')
        return cerr(c, ST_UNSUPPORTED, "$ref \"%.*s\" is not local (only #/... references are supported)",
                    ref->type == CONV_STRING ? (int)MIN(ref->s.n, 80) : 1, ref->type == CONV_STRING ? ref->s.p : "?");
    p++;
    while (p < end) {
        size_t n = 0;
        const struct conv_value *v;
        if (*p++ != '/')
            return cerr(c, ST_PARSE, "$ref \"%.*s\" is not a JSON pointer", (int)MIN(ref->s.n, 80), ref->s.p);
        while (p < end && *p != '/') {
            char ch = *p++;
            if (ch == '~' && p < end && (*p == '0' || *p == '1'))
                ch = *p++ == '0' ? '~' : '/';
            if (n == sizeof(tok))
                return cerr(c, ST_PARSE, "$ref \"%.*s\": name too long", (int)MIN(ref->s.n, 80), ref->s.p);
            tok[n++] = ch;
        }
        v = SN(c, at)->type == CONV_MAP ? conv_map_get(c->x->doc, SN(c, at), tok, n) : NULL;
        if (!v && SN(c, at)->type == CONV_LIST) {
            int64_t i;
            uint32_t k = at + 1;
            if (str_to_i64(tok, n, &i) && i >= 0 && i < SN(c, at)->count) {
                while (i-- > 0)
                    k = SN(c, k)->next;
                v = SN(c, k);
            }
        }
        if (!v)
            return cerr(c, ST_PARSE, "$ref \"%.*s\" points at nothing", (int)MIN(ref->s.n, 80), ref->s.p);
        at = conv_doc_index(c->x->doc, v);
    }
    *target = at;
    return ST_OK;
}

static enum status cmp(struct jc *c, uint32_t ji, struct edge *out)
{
    const struct conv_doc *d = c->x->doc;
    uint32_t k, t;
    enum status st;

    if (SN(c, ji)->type != CONV_MAP)
        return cerr(c, ST_PARSE, "a schema must be an object, got %s", conv__json_type(SN(c, ji)));
    if (c->memo[ji].s != NONE) {
        *out = c->memo[ji];
        return ST_OK;
    }
    if (c->depth >= MAX_SCHEMA_DEPTH)
        return cerr(c, ST_PARSE, "schemas nested deeper than %d (or a $ref loop)", MAX_SCHEMA_DEPTH);
    c->depth++;
    if ((k = conv__map_index(d, ji, "$ref")) != NONE) {
        cpush(c, "$ref", 4, 0);
        st = resolve_ref(c, SN(c, k), &t);
        cpop(c);
        if (st == ST_OK)
            st = cmp(c, t, out);
    } else if ((k = conv__map_index(d, ji, "allOf")) != NONE || (k = conv__map_index(d, ji, "not")) != NONE) {
        st = cerr(c, ST_PARSE, "%s is not supported", k == conv__map_index(d, ji, "allOf") ? "allOf" : "not");
    } else if ((k = conv__map_index(d, ji, "oneOf")) != NONE || (k = conv__map_index(d, ji, "anyOf")) != NONE) {
        if (conv__map_index(d, ji, "type") != NONE)
            st = cerr(c, ST_PARSE, "oneOf/anyOf next to \"type\" is not supported");
        else
            st = cmp_union(c, ji, k, k == conv__map_index(d, ji, "oneOf") ? "oneOf" : "anyOf", out);
    } else if ((t = conv__map_index(d, ji, "type")) != NONE) {
        if (SN(c, t)->type == CONV_LIST)
            st = cmp_type_list(c, ji, t, out);
        else
            st = cmp_typed(c, ji, SN(c, t), true, out);
    } else if (conv__map_index(d, ji, "enum") != NONE) {
        static const struct conv_value string_type = {.type = CONV_STRING, .s = {"string", 6}};
        st = cmp_typed(c, ji, &string_type, true, out);
    } else {
        st = cerr(c, ST_PARSE, "schema has no \"type\" (supported: type, enum, oneOf, anyOf, $ref)");
    }
    c->depth--;
    return st;
}

static void jss_free(struct jss *x)
{
    if (!x)
        return;
    mem_free(x->text);
    conv_doc_free(x->doc);
    mem_free(x->s);
    mem_free(x->m);
    mem_free(x->fl);
    mem_free(x->fh);
    conv__arena_free(&x->names);
    mem_free(x);
}

static uint32_t name_hash(const char *p, uint32_t n)
{
    uint32_t h = 2166136261u;   /* FNV-1a */

    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

/* Position of the field named @p[0..n) in struct @s, or NONE. Adds the slots probed to *@work. */
static uint32_t field_pos(const struct jss *x, const struct js *s, const char *p, uint32_t n, uint64_t *work)
{
    for (uint32_t i = name_hash(p, n) & s->hmask;; i = (i + 1) & s->hmask) {
        uint32_t pos = x->fh[s->h + i];
        const struct jm *fm;
        ++*work;
        if (pos == NONE)
            return NONE;
        fm = &x->m[x->fl[s->l + pos]];
        if (fm->name_n == n && memcmp(fm->name, p, n) == 0)
            return pos;
    }
}

/* Index every struct's fields by position and by name, so that typing an object costs its keys
 * plus its fields, not their product. */
static enum status index_fields(struct jss *x)
{
    size_t nfl = 0, nfh = 0, l = 0, h = 0;

    for (uint32_t i = 0; i < x->ns; i++)
        if (x->s[i].kind == JS_STRUCT) {
            uint32_t slots = 4;
            while (slots < 2 * x->s[i].n)
                slots *= 2;
            nfl += x->s[i].n;
            nfh += slots;
        }
    x->fl = mem_malloc((nfl ? nfl : 1) * sizeof(*x->fl));
    x->fh = mem_malloc((nfh ? nfh : 1) * sizeof(*x->fh));
    if (!x->fl || !x->fh)
        return ST_NOMEM;
    memset(x->fh, 0xff, nfh * sizeof(*x->fh));
    for (uint32_t i = 0; i < x->ns; i++) {
        struct js *s = &x->s[i];
        uint32_t slots = 4, pos = 0;
        if (s->kind != JS_STRUCT)
            continue;
        while (slots < 2 * s->n)
            slots *= 2;
        s->l = (uint32_t)l;
        s->h = (uint32_t)h;
        s->hmask = slots - 1;
        for (uint32_t f = s->a; f != NONE; f = x->m[f].next, pos++) {
            uint32_t k = name_hash(x->m[f].name, x->m[f].name_n) & s->hmask;
            x->fl[l + pos] = f;
            while (x->fh[h + k] != NONE)
                k = (k + 1) & s->hmask;
            x->fh[h + k] = pos;
        }
        l += s->n;
        h += slots;
    }
    return ST_OK;
}

static void *compile_jss(const char *text, size_t n, struct err *e)
{
    struct jss *x = mem_calloc(1, sizeof(*x));
    struct jc *c = NULL;
    struct edge root;
    struct err sub = {0};

    if (!x || !(x->text = mem_malloc(n ? n : 1)) || !(x->doc = conv_doc_new()) || !(c = mem_calloc(1, sizeof(*c)))) {
        err_set(e, ST_NOMEM, "out of memory for the schema");
        goto fail;
    }
    memcpy(x->text, text, n);
    if (conv__json_parse(x->doc, (const uint8_t *)x->text, n, CONV__JSON_RAW_NUMBERS, &sub) != ST_OK) {
        err_set(e, sub.status == ST_NOMEM ? ST_NOMEM : ST_PARSE, "schema text: %s", sub.msg);
        goto fail;
    }
    if (!conv_doc_root(x->doc)) {
        err_set(e, ST_PARSE, "schema text is empty");
        goto fail;
    }
    if (!(c->memo = mem_malloc((size_t)conv_doc_count(x->doc) * sizeof(*c->memo)))) {
        err_set(e, ST_NOMEM, "out of memory for the schema");
        goto fail;
    }
    for (uint32_t i = 0; i < conv_doc_count(x->doc); i++)
        c->memo[i].s = NONE;
    c->x = x;
    c->e = e;
    if (cmp(c, 0, &root) != ST_OK || new_member(c, root, &x->root) != ST_OK)
        goto fail;
    if (index_fields(x) != ST_OK) {
        err_set(e, ST_NOMEM, "out of memory for the schema");
        goto fail;
    }
    mem_free(c->memo);
    mem_free(c);
    return x;
fail:
    if (c)
        mem_free(c->memo);
    mem_free(c);
    jss_free(x);
    return NULL;
}

static void free_jss(void *x)
{
    jss_free(x);
}

/* --- The converter --- */

static const struct conv__registry_format jsonschema_format = {
    .what = "JSON Schema", .klass = "JsonSchemaConverter", .schema_type = "JSON", .compile = compile_jss,
    .free = free_jss,
};

struct conv__jsonschema {
    struct conv__registry *reg;
    bool opt_nonreq;                /* use.optional.for.nonrequired */
    bool generalized;               /* generalized.sum.type.support */
    struct conv_doc *tmp;           /* the record's JSON; output strings may point into it */
    char prefix[64];                /* "JSON Schema: schema id N" */
    uint32_t prefix_id;
    /* the decode in progress */
    const struct jss *x;
    const struct conv_doc *in;      /* tmp, or the schema document while a default is typed */
    struct conv_doc *out;
    struct err *e;
    uint32_t depth, np;
    uint32_t *val;                  /* per open struct, its fields' value nodes (NONE: absent) */
    size_t nval, val_cap;
    struct conv__seg path[CONV__MAX_DEPTH_CAP * 2 + 8];
};

static enum status bool_prop(const char *const *props, const char *key, bool *out, struct err *e)
{
    const char *v = conv__prop(props, key);

    if (v && !conv__parse_bool(v, out))
        return err_set(e, ST_CONFIG, "JsonSchemaConverter: %s must be true or false, not '%s'", key, v);
    return ST_OK;
}

/* Settings that only shape what Confluent writes, or that aerosink does not implement. */
static enum status check_props(const char *const *props, struct err *e)
{
    bool additional = true, validate = false;
    const char *v;
    int64_t sz;

    if (bool_prop(props, "object.additional.properties", &additional, e) != ST_OK ||
        bool_prop(props, "json.fail.invalid.schema", &validate, e) != ST_OK)
        return ST_CONFIG;
    if (validate)
        return err_set(e, ST_CONFIG, "JsonSchemaConverter: json.fail.invalid.schema=true (validating every "
                       "keyword of the schema) is not supported; aerosink checks each value's type only");
    v = conv__prop(props, "decimal.format");
    if (v && strcasecmp(v, "BASE64") != 0 && strcasecmp(v, "NUMERIC") != 0)
        return err_set(e, ST_CONFIG, "JsonSchemaConverter: decimal.format must be BASE64 or NUMERIC, not '%s'", v);
    v = conv__prop(props, "schemas.cache.size");
    if (v && (!str_to_i64(v, strlen(v), &sz) || sz < 0))
        return err_set(e, ST_CONFIG, "JsonSchemaConverter: schemas.cache.size must be a whole number >= 0, "
                       "not '%s'", v);
    return ST_OK;
}

struct conv__jsonschema *conv__jsonschema_new(const char *const *props, struct err *e)
{
    struct conv__jsonschema *j = mem_calloc(1, sizeof(*j));

    if (!j || !(j->tmp = conv_doc_new())) {
        err_set(e, ST_NOMEM, "JsonSchemaConverter");
        goto fail;
    }
    if (bool_prop(props, "use.optional.for.nonrequired", &j->opt_nonreq, e) != ST_OK ||
        bool_prop(props, "generalized.sum.type.support", &j->generalized, e) != ST_OK ||
        check_props(props, e) != ST_OK)
        goto fail;
    if (!(j->reg = conv__registry_new(&jsonschema_format, props, e)))
        goto fail;
    return j;
fail:
    conv__jsonschema_free(j);
    return NULL;
}

void conv__jsonschema_free(struct conv__jsonschema *j)
{
    if (!j)
        return;
    conv__registry_free(j->reg);
    conv_doc_free(j->tmp);
    mem_free(j->val);
    mem_free(j);
}

void conv__jsonschema_set_http(struct conv__jsonschema *j, conv_http_get_fn fn, void *ctx)
{
    conv__registry_set_http(j->reg, fn, ctx);
}

/* --- Decoder --- */

#define TN(j, i) (&(j)->in->nodes[(i)])

static enum status perr(struct conv__jsonschema *j, enum status st, const char *fmt, ...) PRINTF_LIKE(3, 4);
static enum status perr(struct conv__jsonschema *j, enum status st, const char *fmt, ...)
{
    char path[200], msg[300];
    va_list ap;

    conv__path_text(j->path, j->np, ARRAY_LEN(j->path), CONV__PATH_DOT_AFTER_TEXT, path, sizeof(path));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(j->e, st, "%s: %s%s%s", j->prefix, path, path[0] ? ": " : "", msg);
}

static void push(struct conv__jsonschema *j, const char *name, uint32_t n, uint64_t index, bool key)
{
    conv__path_push(j->path, ARRAY_LEN(j->path), &j->np, name, n, index, key);
}

static void pop(struct conv__jsonschema *j)
{
    j->np--;
}

static enum status out_full(struct conv__jsonschema *j)
{
    if (j->out->fail == ST_NOMEM)
        return err_set(j->e, ST_NOMEM, "%s: out of memory", j->prefix);
    return perr(j, ST_TOO_BIG, "more than %" PRIu32 " values in one record", j->out->lim.max_nodes);
}

static enum status put_null(struct conv__jsonschema *j)
{
    return conv__add(j->out, CONV_NULL) ? ST_OK : out_full(j);
}

static enum status put_int(struct conv__jsonschema *j, int64_t i)
{
    return conv__add_int(j->out, i) ? ST_OK : out_full(j);
}

static enum status put_str(struct conv__jsonschema *j, uint8_t type, const char *p, uint32_t n)
{
    return conv__add_str(j->out, type, p, n) ? ST_OK : out_full(j);
}

static const char *kind_name(const struct js *s)
{
    static const char *const names[] = {"boolean", "integer", "number", "string", "bytes (a base64 string)", "array",
                                        "object", "array of {\"key\", \"value\"} objects", "object", "oneOf"};
    return names[s->kind];
}

static enum status mismatch(struct conv__jsonschema *j, const struct js *s, const struct conv_value *t)
{
    return perr(j, ST_TYPE, "expected %s, got %s", kind_name(s), conv__json_type(t));
}

/* Integral value of number text. @exact_only: integer text only (Jackson's isInt/isIntegralNumber);
 * else also "1.0" or "1e2" (Jackson's longValue of an exact double). Never truncates. */
static enum status to_int(struct conv__jsonschema *j, const struct conv_value *t, bool exact_only, int bits,
                          const char *what, int64_t *out)
{
    int64_t lo = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1)), hi = bits == 64 ? INT64_MAX : -lo - 1;

    if (t->type != CONV__RAWNUM)
        return perr(j, ST_TYPE, "expected %s, got %s", what, conv__json_type(t));
    switch (conv__rawnum_int(&j->out->arena, t, exact_only, lo, hi, out)) {
    case CONV__INT_NOT_INTEGRAL:
        return perr(j, ST_TYPE, "expected %s, got non-integral number %.*s", what, (int)MIN(t->s.n, 40), t->s.p);
    case CONV__INT_RANGE:
        return perr(j, ST_TYPE, "%.*s is out of range for %s", (int)MIN(t->s.n, 40), t->s.p, what);
    default:
        return ST_OK;
    }
}

/* A shared helper's failure @sub at the current place (out of memory: no place). */
static enum status sub_err(struct conv__jsonschema *j, const struct err *sub)
{
    if (sub->status == ST_NOMEM)
        return err_set(j->e, ST_NOMEM, "%s: %s", j->prefix, sub->msg);
    return perr(j, sub->status, "%s", sub->msg);
}

static enum status base64_bytes(struct conv__jsonschema *j, const struct conv_value *t, const uint8_t **out,
                                size_t *n)
{
    struct err sub;

    if (conv__base64_bytes(&j->out->arena, t->s.p, t->s.n, out, n, &sub) != ST_OK)
        return sub_err(j, &sub);
    return ST_OK;
}

static enum status logical(struct conv__jsonschema *j, const struct js *s, const struct conv_value *t)
{
    static const char *const names[] = {NULL, "Decimal", "Date", "Time", "Timestamp"};
    const char *txt;
    uint32_t n;
    int64_t i;
    enum status st;
    struct err sub = {0};

    switch (s->logical) {
    case JL_DECIMAL:
        if (t->type != CONV__RAWNUM && t->type != CONV_STRING)
            return perr(j, ST_TYPE, "expected Decimal (a number or base64 string), got %s", conv__json_type(t));
        if (conv__decimal_from_json(&j->out->arena, t, s->scale, &txt, &n, &sub) != ST_OK)
            return sub_err(j, &sub);
        return put_str(j, CONV_STRING, txt, n);
    case JL_DATE:
    case JL_TIME:
        if ((st = to_int(j, t, true, 32, names[s->logical], &i)) != ST_OK)
            return st;
        if (s->logical == JL_TIME && (i < 0 || i > 86400000))
            return perr(j, ST_TYPE, "Time %" PRId64 " is not within 0..86400000 ms", i);
        return put_int(j, i);
    default:   /* JL_TIMESTAMP */
        if ((st = to_int(j, t, true, 64, "Timestamp", &i)) != ST_OK)
            return st;
        return put_int(j, i);
    }
}

static enum status convert(struct conv__jsonschema *j, uint32_t si, uint32_t ni);

/* The value @ni (NONE: absent) of member @mi. @field: a struct field (use.optional.for.nonrequired
 * applies). Like Connect: null or absent -> the default; absent or optional null -> null. */
static enum status member(struct conv__jsonschema *j, uint32_t mi, uint32_t ni, bool field)
{
    const struct jm *m = &j->x->m[mi];
    const struct js *s = &j->x->s[m->s];
    const struct conv_doc *saved;
    enum status st;

    if (ni != NONE && TN(j, ni)->type != CONV_NULL)
        return convert(j, m->s, ni);
    if (s->dflt != NONE) {
        saved = j->in;
        j->in = j->x->doc;
        st = convert(j, m->s, s->dflt);
        j->in = saved;
        return st;
    }
    if (ni == NONE || m->optional || (field && j->opt_nonreq && !m->required))
        return put_null(j);
    return perr(j, ST_TYPE, "expected %s, got null", s->logical ? "a value" : kind_name(s));
}

static enum status open_container(struct conv__jsonschema *j, uint8_t type, uint32_t *idx)
{
    if (j->depth >= j->out->lim.max_depth)
        return perr(j, ST_TOO_BIG, "nesting deeper than %u", j->out->lim.max_depth);
    *idx = j->out->n;
    if (!conv__add(j->out, type))
        return out_full(j);
    j->depth++;
    return ST_OK;
}

static void close_container(struct conv__jsonschema *j, uint32_t idx, uint32_t count)
{
    j->out->nodes[idx].next = j->out->n;
    j->out->nodes[idx].count = count;
    j->depth--;
}

static enum status convert_array(struct conv__jsonschema *j, const struct js *s, uint32_t ni)
{
    uint32_t idx, k = 0, items = s->a;
    enum status st;

    if ((st = open_container(j, CONV_LIST, &idx)) != ST_OK)
        return st;
    for (uint32_t c = ni + 1; c < TN(j, ni)->next; c = TN(j, c)->next, k++) {
        push(j, NULL, 0, k, false);
        if ((st = member(j, items, c, false)) != ST_OK)
            return st;
        pop(j);
    }
    close_container(j, idx, k);
    return ST_OK;
}

static enum status convert_map(struct conv__jsonschema *j, const struct js *s, uint32_t ni)
{
    uint32_t idx, k = 0, values = s->b;
    enum status st;

    if ((st = open_container(j, CONV_MAP, &idx)) != ST_OK)
        return st;
    for (uint32_t c = ni + 1; c < TN(j, ni)->next; c = TN(j, TN(j, c)->next)->next, k++) {
        const struct conv_value *key = TN(j, c);
        if ((st = put_str(j, CONV_STRING, key->s.p, key->s.n)) != ST_OK)
            return st;
        push(j, key->s.p, key->s.n, 0, true);
        if ((st = member(j, values, key->next, false)) != ST_OK)
            return st;
        pop(j);
    }
    close_container(j, idx, k);   /* the parser kept one value per key */
    return ST_OK;
}

/* [{"key": k, "value": v}, ...]: keys of any type; a repeated key keeps its last value. */
static enum status convert_entries(struct conv__jsonschema *j, const struct js *s, uint32_t ni)
{
    uint32_t idx, k = 0, keys = s->a, values = s->b;
    enum status st;

    if ((st = open_container(j, CONV_MAP, &idx)) != ST_OK)
        return st;
    for (uint32_t c = ni + 1; c < TN(j, ni)->next; c = TN(j, c)->next, k++) {
        const struct conv_value *kv = TN(j, c), *kn, *vn;
        push(j, NULL, 0, k, false);
        kn = conv_map_get(j->in, kv, "key", 3);
        vn = conv_map_get(j->in, kv, "value", 5);
        if (kv->type != CONV_MAP || kv->count != 2 || !kn || !vn)
            return perr(j, ST_TYPE, "map entry must be an object with exactly \"key\" and \"value\", got %s",
                        conv__json_type(kv));
        push(j, "key", 3, 0, false);
        if ((st = member(j, keys, conv_doc_index(j->in, kn), false)) != ST_OK)
            return st;
        pop(j);
        push(j, "value", 5, 0, false);
        if ((st = member(j, values, conv_doc_index(j->in, vn), false)) != ST_OK)
            return st;
        pop(j);
        pop(j);
    }
    j->depth--;
    return conv__close(j->out, idx, k) == ST_OK ? ST_OK : out_full(j);
}

/* The declared properties, in schema order; others are dropped, absent ones are null. */
static enum status convert_struct(struct conv__jsonschema *j, const struct js *s, uint32_t ni)
{
    uint32_t idx, end = TN(j, ni)->next, count = s->n, pos = 0;
    size_t base = j->nval;
    enum status st;

    if ((st = open_container(j, CONV_MAP, &idx)) != ST_OK)
        return st;
    if (!mem_grow(&j->val, &j->val_cap, base + s->n + 1, sizeof(*j->val), 64))   /* + 1: never NULL */
        return err_set(j->e, ST_NOMEM, "%s: out of memory", j->prefix);
    memset(j->val + base, 0xff, (size_t)s->n * sizeof(*j->val));
    j->nval = base + s->n;
    for (uint32_t k = ni + 1; k < end; k = TN(j, TN(j, k)->next)->next) {
        uint32_t f = field_pos(j->x, s, TN(j, k)->s.p, TN(j, k)->s.n, &j->out->key_work);
        if (f != NONE)
            j->val[base + f] = TN(j, k)->next;
    }
    for (uint32_t f = s->a; f != NONE; f = j->x->m[f].next, pos++) {
        const struct jm *fm = &j->x->m[f];
        if ((st = put_str(j, CONV_STRING, fm->name, fm->name_n)) != ST_OK)
            return st;
        push(j, fm->name, fm->name_n, 0, false);
        if ((st = member(j, f, j->val[base + pos], true)) != ST_OK)
            return st;
        pop(j);
    }
    j->nval = base;
    close_container(j, idx, count);
    return ST_OK;
}

/* How many of object @ni's keys are fields of struct @s (Confluent's matchStructSchema). */
static int struct_score(struct conv__jsonschema *j, const struct js *s, uint32_t ni)
{
    int score = 0;

    if (s->kind != JS_STRUCT)
        return 0;
    for (uint32_t k = ni + 1; k < TN(j, ni)->next; k = TN(j, TN(j, k)->next)->next)
        if (field_pos(j->x, s, TN(j, k)->s.p, TN(j, k)->s.n, &j->out->key_work) != NONE)
            score++;
    return score;
}

/* Does @t fit branch @s by type alone (Confluent's isInstanceOfSchemaTypeForSimpleSchema)? */
static bool simple_match(const struct js *s, const struct conv_value *t)
{
    if (s->logical == JL_DECIMAL)
        return false;   /* Connect type bytes: Jackson gives no binary node for JSON text [unverified] */
    switch (s->kind) {
    case JS_BOOLEAN: return t->type == CONV_BOOL;
    case JS_INT: return t->type == CONV__RAWNUM && t->count;
    case JS_NUMBER: return t->type == CONV__RAWNUM;
    case JS_STRING: return t->type == CONV_STRING;
    case JS_ARRAY: return t->type == CONV_LIST;
    case JS_MAP:
    case JS_ENTRIES: return t->type == CONV_MAP || t->type == CONV_LIST;
    default: return false;   /* bytes, struct, union */
    }
}

/* A union is a MAP with one key per branch: the matching branch holds the value, the others null.
 * The first branch that fits by type wins, else the struct branch sharing most keys. */
static enum status convert_union(struct conv__jsonschema *j, const struct js *s, uint32_t ni)
{
    const struct conv_value *t = TN(j, ni);
    uint32_t idx, pick = NONE, best_b = NONE;
    int best = -1;
    enum status st;

    for (uint32_t b = s->a; b != NONE && pick == NONE; b = j->x->m[b].next) {
        const struct js *bs = &j->x->s[j->x->m[b].s];
        if (simple_match(bs, t))
            pick = b;
    }
    for (uint32_t b = s->a; b != NONE && pick == NONE && t->type == CONV_MAP; b = j->x->m[b].next) {
        const struct js *bs = &j->x->s[j->x->m[b].s];
        int score = bs->kind == JS_STRUCT || bs->kind == JS_UNION ? struct_score(j, bs, ni) : -1;
        if (score > best) {
            best = score;
            best_b = b;
        }
    }
    if (pick == NONE)
        pick = best_b;
    if (pick == NONE)
        return perr(j, ST_TYPE, "no oneOf/anyOf branch matches %s", conv__json_type(t));
    if ((st = open_container(j, CONV_MAP, &idx)) != ST_OK)
        return st;
    for (uint32_t b = s->a; b != NONE; b = j->x->m[b].next) {
        const struct jm *bm = &j->x->m[b];
        if ((st = j->generalized ? put_str(j, CONV_STRING, bm->alt, bm->alt_n)
                                 : put_str(j, CONV_STRING, bm->name, bm->name_n)) != ST_OK)
            return st;
        if ((st = b == pick ? convert(j, bm->s, ni) : put_null(j)) != ST_OK)
            return st;
    }
    close_container(j, idx, s->n);
    return ST_OK;
}

/* Type non-null JSON value @ni by schema @si. */
static enum status convert(struct conv__jsonschema *j, uint32_t si, uint32_t ni)
{
    const struct js *s = &j->x->s[si];
    const struct conv_value *t = TN(j, ni);
    struct conv_value *v;
    const uint8_t *b;
    size_t bn;
    int64_t i;
    enum status st;

    if (s->logical)
        return logical(j, s, t);
    switch (s->kind) {
    case JS_BOOLEAN:
        if (t->type != CONV_BOOL)
            return mismatch(j, s, t);
        if (!(v = conv__add(j->out, CONV_BOOL)))
            return out_full(j);
        v->b = t->b;
        return ST_OK;
    case JS_INT: {
        char what[16];
        snprintf(what, sizeof(what), "int%u", (unsigned)s->bits);
        if ((st = to_int(j, t, false, s->bits, s->bits == 64 ? "integer" : what, &i)) != ST_OK)
            return st;
        return put_int(j, i);
    }
    case JS_NUMBER:
        if (t->type != CONV__RAWNUM)
            return mismatch(j, s, t);
        if (!(v = conv__add(j->out, CONV_DOUBLE)))
            return out_full(j);
        v->d = s->bits == 32 ? (double)conv__num_to_float(t->s.p, t->s.n) : conv__num_to_double(t->s.p, t->s.n);
        return ST_OK;
    case JS_STRING:
        if (t->type != CONV_STRING)
            return mismatch(j, s, t);
        return put_str(j, CONV_STRING, t->s.p, t->s.n);
    case JS_BYTES:
        if (t->type != CONV_STRING)
            return mismatch(j, s, t);
        if ((st = base64_bytes(j, t, &b, &bn)) != ST_OK)
            return st;
        return put_str(j, CONV_BYTES, (const char *)b, (uint32_t)bn);
    case JS_ARRAY:
        return t->type == CONV_LIST ? convert_array(j, s, ni) : mismatch(j, s, t);
    case JS_MAP:
        return t->type == CONV_MAP ? convert_map(j, s, ni) : mismatch(j, s, t);
    case JS_ENTRIES:
        return t->type == CONV_LIST ? convert_entries(j, s, ni) : mismatch(j, s, t);
    case JS_STRUCT:
        return t->type == CONV_MAP ? convert_struct(j, s, ni) : mismatch(j, s, t);
    default:
        return convert_union(j, s, ni);
    }
}

enum status conv__jsonschema_decode(struct conv__jsonschema *j, const uint8_t *p, size_t n, struct conv_doc *out,
                                    struct err *e)
{
    const void *x = NULL;
    uint32_t id;
    size_t k;
    struct err sub = {0};
    enum status st;

    conv_doc_reset(out);
    if ((st = conv__registry_frame(&jsonschema_format, p, n, &id, e)) != ST_OK)
        return st;
    if ((st = conv__registry_lookup(j->reg, id, &x, e)) != ST_OK)
        return st;
    if (id != j->prefix_id || !j->prefix[0]) {
        snprintf(j->prefix, sizeof(j->prefix), "JSON Schema: schema id %" PRIu32, id);
        j->prefix_id = id;
    }
    conv_doc_set_limits(j->tmp, &out->lim);
    for (k = 5; k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r'); k++)
        ;
    if (k == n)
        return err_set(e, ST_PARSE, "%s: no JSON value after the 5-byte header", j->prefix);
    if ((st = conv__json_parse(j->tmp, p + 5, n - 5, CONV__JSON_RAW_NUMBERS, &sub)) != ST_OK)
        return err_set(e, st, "%s: %s", j->prefix, sub.msg);
    j->x = x;
    j->in = j->tmp;
    j->out = out;
    j->e = e;
    j->depth = 0;
    j->np = 0;
    j->nval = 0;
    st = member(j, j->x->root, 0, false);
    if (st != ST_OK)
        conv_doc_reset(out);
    return st;
}
