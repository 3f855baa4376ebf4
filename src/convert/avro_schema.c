/* src/convert/avro_schema.c: Avro schema (JSON, Avro 1.11 spec) -> a compiled tree for the
 * binary decoder. Named types (record, enum, fixed) with namespaces and references, recursive
 * types, unions, and the logical types the decoder maps: decimal (bytes/fixed), date,
 * time-millis/-micros, timestamp-millis/-micros, local-timestamp-millis/-micros, uuid.
 * Invalid logical types are ignored, as the spec says. Allocates only while parsing. */
#include <string.h>

#include "convert/avro_int.h"

#define NONE UINT32_MAX

struct ps {                     /* parser state */
    struct conv__avsc *s;
    struct conv_doc *d;         /* parsed schema JSON */
    struct err *e;
    unsigned depth;
};

static const char *const prim_names[] = {
    [AV_NULL] = "null", [AV_BOOLEAN] = "boolean", [AV_INT] = "int", [AV_LONG] = "long",
    [AV_FLOAT] = "float", [AV_DOUBLE] = "double", [AV_BYTES] = "bytes", [AV_STRING] = "string",
};

#define N(ps, i) (&(ps)->d->nodes[(i)])

static bool is_str(const struct conv_value *v, const char *s)
{
    return v->type == CONV_STRING && str_eq(v->s.p, v->s.n, s);
}

static uint32_t get(struct ps *ps, uint32_t obj, const char *key)
{
    const struct conv_value *v = conv_map_get(ps->d, N(ps, obj), key, strlen(key));
    return v ? conv_doc_index(ps->d, v) : NONE;
}

static enum status grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    uint32_t c = *cap ? *cap : 16;
    void *n;

    if (need <= *cap)
        return ST_OK;
    while (c < need)
        c *= 2;
    n = mem_realloc(*arr, (size_t)c * elem);
    if (!n)
        return ST_NOMEM;
    *arr = n;
    *cap = c;
    return ST_OK;
}

static enum status nomem(struct ps *ps)
{
    return err_set(ps->e, ST_NOMEM, "Avro schema: out of memory");
}

static enum status new_node(struct ps *ps, uint8_t type, uint32_t *out)
{
    struct conv__avsc *s = ps->s;

    if (s->nn >= CONV__AVRO_MAX_SCHEMA_NODES)
        return err_set(ps->e, ST_TOO_BIG, "Avro schema: more than %d types", CONV__AVRO_MAX_SCHEMA_NODES);
    if (grow((void **)&s->nodes, &s->nodes_cap, s->nn + 1, sizeof(*s->nodes)) != ST_OK)
        return nomem(ps);
    memset(&s->nodes[s->nn], 0, sizeof(s->nodes[0]));
    s->nodes[s->nn].type = type;
    s->nodes[s->nn].a = NONE;
    *out = s->nn++;
    return ST_OK;
}

/* "ns.name" (or just name) in the schema's arena. */
static enum status full_name(struct ps *ps, const char *ns, uint32_t nsn, const char *name, uint32_t n,
                             const char **out, uint32_t *out_n)
{
    char *w;

    if (memchr(name, '.', n) || nsn == 0) {
        *out = name;
        *out_n = n;
        return ST_OK;
    }
    if (!(w = conv__arena_alloc(&ps->s->arena, nsn + 1 + n)))
        return nomem(ps);
    memcpy(w, ns, nsn);
    w[nsn] = '.';
    memcpy(w + nsn + 1, name, n);
    *out = w;
    *out_n = nsn + 1 + n;
    return ST_OK;
}

static uint32_t find_named(const struct conv__avsc *s, const char *name, uint32_t n)
{
    for (uint32_t i = 0; i < s->nn; i++)
        if (s->nodes[i].name && s->nodes[i].name_n == n && memcmp(s->nodes[i].name, name, n) == 0)
            return i;
    return NONE;
}

static bool valid_name(const char *p, uint32_t n)
{
    /* [A-Za-z_][A-Za-z0-9_]* per dot-separated part */
    bool start = true;

    if (n == 0)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        char c = p[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (c == '.') {
            if (start)
                return false;
            start = true;
        } else if (start ? !alpha : !(alpha || (c >= '0' && c <= '9'))) {
            return false;
        } else {
            start = false;
        }
    }
    return !start;
}

static enum status parse(struct ps *ps, uint32_t ji, const char *ns, uint32_t nsn, uint32_t *out);

/* A type given by name: a primitive or a named type defined earlier (or being defined). */
static enum status by_name(struct ps *ps, const char *p, uint32_t n, const char *ns, uint32_t nsn,
                           uint32_t *out)
{
    const char *fn;
    uint32_t fnn, i;
    enum status st;

    for (int t = AV_NULL; t <= AV_STRING; t++)
        if (str_eq(p, n, prim_names[t]))
            return new_node(ps, (uint8_t)t, out);
    if ((st = full_name(ps, ns, nsn, p, n, &fn, &fnn)) != ST_OK)
        return st;
    i = find_named(ps->s, fn, fnn);
    if (i == NONE && fnn != n)
        i = find_named(ps->s, p, n);   /* a name in the null namespace */
    if (i == NONE)
        return err_set(ps->e, ST_PARSE, "Avro schema: unknown type \"%.*s\"", (int)MIN(n, 80), p);
    *out = i;
    return ST_OK;
}

static enum status parse_union(struct ps *ps, uint32_t ji, const char *ns, uint32_t nsn, uint32_t *out)
{
    struct conv__avsc *s = ps->s;
    uint32_t k = 0, ui, first, cnt = N(ps, ji)->count;
    uint32_t tmp[CONV__AVRO_MAX_BRANCHES];
    enum status st;

    if (cnt == 0)
        return err_set(ps->e, ST_PARSE, "Avro schema: empty union");
    if (cnt > CONV__AVRO_MAX_BRANCHES)
        return err_set(ps->e, ST_TOO_BIG, "Avro schema: union of more than %d branches",
                       CONV__AVRO_MAX_BRANCHES);
    for (uint32_t c = ji + 1; c < N(ps, ji)->next; c = N(ps, c)->next) {
        if (N(ps, c)->type == CONV_LIST)
            return err_set(ps->e, ST_PARSE, "Avro schema: a union may not contain a union");
        if ((st = parse(ps, c, ns, nsn, &tmp[k])) != ST_OK)
            return st;
        for (uint32_t j = 0; j < k; j++) {   /* one branch per unnamed type */
            const struct conv__avnode *x = &s->nodes[tmp[j]], *y = &s->nodes[tmp[k]];
            if (x->type == y->type && (!x->name || x->name == y->name))
                return err_set(ps->e, ST_PARSE, "Avro schema: union has two branches of type %s",
                               conv__avro_type_name(y->type));
        }
        k++;
    }
    if (grow((void **)&s->refs, &s->refs_cap, s->nrefs + k, sizeof(*s->refs)) != ST_OK)
        return nomem(ps);
    first = s->nrefs;
    memcpy(&s->refs[first], tmp, k * sizeof(tmp[0]));
    s->nrefs += k;
    if ((st = new_node(ps, AV_UNION, &ui)) != ST_OK)
        return st;
    s->nodes[ui].first = first;
    s->nodes[ui].n = k;
    *out = ui;
    return ST_OK;
}

static enum status parse_fields(struct ps *ps, uint32_t ji, uint32_t ri, const char *ns, uint32_t nsn)
{
    struct conv__avsc *s = ps->s;
    uint32_t fl = get(ps, ji, "fields"), k = 0, first;
    enum status st;

    if (fl == NONE || N(ps, fl)->type != CONV_LIST)
        return err_set(ps->e, ST_PARSE, "Avro schema: record %.*s has no \"fields\" array",
                       (int)MIN(s->nodes[ri].name_n, 80), s->nodes[ri].name);
    /* reserve the field slots first: nested records add their own fields while we parse */
    first = s->nfields;
    if (grow((void **)&s->fields, &s->fields_cap, s->nfields + N(ps, fl)->count, sizeof(*s->fields)) != ST_OK)
        return nomem(ps);
    s->nfields += N(ps, fl)->count;
    s->nodes[ri].first = first;
    s->nodes[ri].n = N(ps, fl)->count;
    for (uint32_t c = fl + 1; c < N(ps, fl)->next; c = N(ps, c)->next, k++) {
        uint32_t nm, ty, t;
        if (N(ps, c)->type != CONV_MAP || (nm = get(ps, c, "name")) == NONE || N(ps, nm)->type != CONV_STRING ||
            (ty = get(ps, c, "type")) == NONE)
            return err_set(ps->e, ST_PARSE, "Avro schema: record %.*s: field %u needs a \"name\" and a \"type\"",
                           (int)MIN(s->nodes[ri].name_n, 80), s->nodes[ri].name, k);
        if (!valid_name(N(ps, nm)->s.p, N(ps, nm)->s.n) || memchr(N(ps, nm)->s.p, '.', N(ps, nm)->s.n))
            return err_set(ps->e, ST_PARSE, "Avro schema: invalid field name \"%.*s\"",
                           (int)MIN(N(ps, nm)->s.n, 80), N(ps, nm)->s.p);
        for (uint32_t j = 0; j < k; j++)
            if (s->fields[first + j].name_n == N(ps, nm)->s.n &&
                memcmp(s->fields[first + j].name, N(ps, nm)->s.p, N(ps, nm)->s.n) == 0)
                return err_set(ps->e, ST_PARSE, "Avro schema: record %.*s: duplicate field \"%.*s\"",
                               (int)MIN(s->nodes[ri].name_n, 80), s->nodes[ri].name,
                               (int)MIN(N(ps, nm)->s.n, 80), N(ps, nm)->s.p);
        if ((st = parse(ps, ty, ns, nsn, &t)) != ST_OK)
            return st;
        s = ps->s;
        s->fields[first + k].name = N(ps, nm)->s.p;
        s->fields[first + k].name_n = N(ps, nm)->s.n;
        s->fields[first + k].type = t;
    }
    return ST_OK;
}

static enum status parse_enum(struct ps *ps, uint32_t ji, uint32_t ei)
{
    struct conv__avsc *s = ps->s;
    uint32_t sy = get(ps, ji, "symbols"), k = 0;

    if (sy == NONE || N(ps, sy)->type != CONV_LIST)
        return err_set(ps->e, ST_PARSE, "Avro schema: enum %.*s has no \"symbols\" array",
                       (int)MIN(s->nodes[ei].name_n, 80), s->nodes[ei].name);
    if (grow((void **)&s->syms, &s->syms_cap, s->nsyms + N(ps, sy)->count, sizeof(*s->syms)) != ST_OK)
        return nomem(ps);
    s->nodes[ei].first = s->nsyms;
    s->nodes[ei].n = N(ps, sy)->count;
    for (uint32_t c = sy + 1; c < N(ps, sy)->next; c = N(ps, c)->next, k++) {
        if (N(ps, c)->type != CONV_STRING || !valid_name(N(ps, c)->s.p, N(ps, c)->s.n) ||
            memchr(N(ps, c)->s.p, '.', N(ps, c)->s.n))
            return err_set(ps->e, ST_PARSE, "Avro schema: enum %.*s: symbol %u is not a valid name",
                           (int)MIN(s->nodes[ei].name_n, 80), s->nodes[ei].name, k);
        for (uint32_t j = 0; j < k; j++)
            if (conv__subtree_equal(ps->d, c, ps->d, c - (k - j), false))
                return err_set(ps->e, ST_PARSE, "Avro schema: enum %.*s: duplicate symbol \"%.*s\"",
                               (int)MIN(s->nodes[ei].name_n, 80), s->nodes[ei].name,
                               (int)MIN(N(ps, c)->s.n, 80), N(ps, c)->s.p);
        s->syms[s->nsyms].p = N(ps, c)->s.p;
        s->syms[s->nsyms++].n = N(ps, c)->s.n;
    }
    return ST_OK;
}

/* Integer JSON property (e.g. "size", "precision"); false if absent or not a whole number. */
static bool int_prop(struct ps *ps, uint32_t ji, const char *key, int64_t *out)
{
    uint32_t v = get(ps, ji, key);
    return v != NONE && N(ps, v)->type == CONV_INT && ((*out = N(ps, v)->i), true);
}

static void apply_logical(struct ps *ps, uint32_t ji, uint32_t ni)
{
    struct conv__avnode *n = &ps->s->nodes[ni];
    uint32_t lt = get(ps, ji, "logicalType");
    const struct conv_value *l;
    int64_t prec, scale = 0;

    if (lt == NONE || N(ps, lt)->type != CONV_STRING)
        return;
    l = N(ps, lt);
    if (is_str(l, "decimal") && (n->type == AV_BYTES || n->type == AV_FIXED)) {
        /* invalid parameters: the logical type is ignored (spec) */
        if (!int_prop(ps, ji, "precision", &prec) || prec <= 0)
            return;
        if (get(ps, ji, "scale") != NONE && (!int_prop(ps, ji, "scale", &scale) || scale < 0 || scale > prec))
            return;
        if (n->type == AV_FIXED && prec > (int64_t)(n->size * 8 * 0.30103))
            return;   /* precision that the fixed size cannot hold */
        if (scale > CONV__DECIMAL_MAX_SCALE)
            return;
        n->logical = AL_DECIMAL;
        n->scale = (int32_t)scale;
    } else if (n->type == AV_INT && is_str(l, "date")) {
        n->logical = AL_DATE;
    } else if (n->type == AV_INT && is_str(l, "time-millis")) {
        n->logical = AL_TIME_MILLIS;
    } else if (n->type == AV_LONG && is_str(l, "time-micros")) {
        n->logical = AL_TIME_MICROS;
    } else if (n->type == AV_LONG && is_str(l, "timestamp-millis")) {
        n->logical = AL_TS_MILLIS;
    } else if (n->type == AV_LONG && is_str(l, "timestamp-micros")) {
        n->logical = AL_TS_MICROS;
    } else if (n->type == AV_LONG && is_str(l, "local-timestamp-millis")) {
        n->logical = AL_LOCAL_TS_MILLIS;
    } else if (n->type == AV_LONG && is_str(l, "local-timestamp-micros")) {
        n->logical = AL_LOCAL_TS_MICROS;
    } else if (n->type == AV_STRING && is_str(l, "uuid")) {
        n->logical = AL_UUID;
    }
}

/* record / enum / fixed: name, namespace, registration (before the body: recursion). */
static enum status parse_named(struct ps *ps, uint32_t ji, uint8_t type, const char *ns, uint32_t nsn,
                               uint32_t *out)
{
    uint32_t nm = get(ps, ji, "name"), nsi = get(ps, ji, "namespace"), ni;
    const char *fn, *own_ns;
    uint32_t fnn, own_nsn;
    enum status st;
    int64_t size;

    if (nm == NONE || N(ps, nm)->type != CONV_STRING || !valid_name(N(ps, nm)->s.p, N(ps, nm)->s.n))
        return err_set(ps->e, ST_PARSE, "Avro schema: %s needs a valid \"name\"", conv__avro_type_name(type));
    if (nsi != NONE && N(ps, nsi)->type == CONV_STRING) {
        ns = N(ps, nsi)->s.p;
        nsn = N(ps, nsi)->s.n;
        if (nsn && !valid_name(ns, nsn))
            return err_set(ps->e, ST_PARSE, "Avro schema: invalid namespace \"%.*s\"", (int)MIN(nsn, 80), ns);
    }
    if ((st = full_name(ps, ns, nsn, N(ps, nm)->s.p, N(ps, nm)->s.n, &fn, &fnn)) != ST_OK)
        return st;
    if (find_named(ps->s, fn, fnn) != NONE)
        return err_set(ps->e, ST_PARSE, "Avro schema: type %.*s is defined twice", (int)MIN(fnn, 80), fn);
    if ((st = new_node(ps, type, &ni)) != ST_OK)
        return st;
    ps->s->nodes[ni].name = fn;
    ps->s->nodes[ni].name_n = fnn;
    /* names inside take this type's namespace */
    own_ns = fn;
    own_nsn = 0;
    for (uint32_t i = 0; i < fnn; i++)
        if (fn[i] == '.')
            own_nsn = i;
    switch (type) {
    case AV_RECORD:
        st = parse_fields(ps, ji, ni, own_ns, own_nsn);
        break;
    case AV_ENUM:
        st = parse_enum(ps, ji, ni);
        break;
    default:   /* AV_FIXED */
        if (!int_prop(ps, ji, "size", &size) || size < 0 || size > CONV__AVRO_MAX_FIXED)
            return err_set(ps->e, ST_PARSE, "Avro schema: fixed %.*s needs a \"size\" in 0..%d",
                           (int)MIN(fnn, 80), fn, CONV__AVRO_MAX_FIXED);
        ps->s->nodes[ni].size = (uint32_t)size;
        apply_logical(ps, ji, ni);
        break;
    }
    *out = ni;
    return st;
}

static enum status parse(struct ps *ps, uint32_t ji, const char *ns, uint32_t nsn, uint32_t *out)
{
    const struct conv_value *j = N(ps, ji), *t;
    uint32_t ti, ci, ni;
    enum status st;

    if (++ps->depth > 64) {
        ps->depth--;
        return err_set(ps->e, ST_TOO_BIG, "Avro schema: types nested deeper than 64");
    }
    switch (j->type) {
    case CONV_STRING:
        st = by_name(ps, j->s.p, j->s.n, ns, nsn, out);
        break;
    case CONV_LIST:
        st = parse_union(ps, ji, ns, nsn, out);
        break;
    case CONV_MAP:
        ti = get(ps, ji, "type");
        if (ti == NONE) {
            st = err_set(ps->e, ST_PARSE, "Avro schema: object without \"type\"");
            break;
        }
        t = N(ps, ti);
        if (t->type != CONV_STRING) {   /* {"type": {...}} or {"type": [...]} */
            st = parse(ps, ti, ns, nsn, out);
            break;
        }
        if (is_str(t, "record") || is_str(t, "error")) {
            st = parse_named(ps, ji, AV_RECORD, ns, nsn, out);
        } else if (is_str(t, "enum")) {
            st = parse_named(ps, ji, AV_ENUM, ns, nsn, out);
        } else if (is_str(t, "fixed")) {
            st = parse_named(ps, ji, AV_FIXED, ns, nsn, out);
        } else if (is_str(t, "array") || is_str(t, "map")) {
            bool arr = is_str(t, "array");
            if ((ci = get(ps, ji, arr ? "items" : "values")) == NONE) {
                st = err_set(ps->e, ST_PARSE, "Avro schema: %s without \"%s\"", arr ? "array" : "map",
                             arr ? "items" : "values");
                break;
            }
            if ((st = parse(ps, ci, ns, nsn, &ci)) != ST_OK || (st = new_node(ps, arr ? AV_ARRAY : AV_MAP, &ni)) != ST_OK)
                break;
            ps->s->nodes[ni].a = ci;
            *out = ni;
        } else {
            /* a primitive, possibly with a logical type; a named reference is allowed too */
            if ((st = by_name(ps, t->s.p, t->s.n, ns, nsn, &ni)) != ST_OK)
                break;
            if (ps->s->nodes[ni].type <= AV_STRING) {
                apply_logical(ps, ji, ni);
            }
            *out = ni;
        }
        break;
    default:
        st = err_set(ps->e, ST_PARSE, "Avro schema: a type must be a string, object or array, not %s",
                     conv_type_name(j->type == CONV__RAWNUM ? CONV_DOUBLE : (enum conv_type)j->type));
        break;
    }
    ps->depth--;
    return st;
}

struct conv__avsc *conv__avsc_parse(const char *json, size_t n, struct err *e)
{
    struct conv__avsc *s = mem_calloc(1, sizeof(*s));
    struct ps ps = {s, NULL, e, 0};
    struct conv_limits lim = {64, 1000000, 16u << 20};
    char *text;

    if (!s || !(s->doc = conv_doc_new()) || !(text = mem_malloc(n ? n : 1))) {
        err_set(e, ST_NOMEM, "Avro schema: out of memory");
        goto fail;
    }
    memcpy(text, json, n);
    s->text = text;
    ps.d = s->doc;
    conv_doc_set_limits(s->doc, &lim);
    if (conv__json_parse(s->doc, (const uint8_t *)text, n, 0, e) != ST_OK) {
        err_prefix(e, "Avro schema");
        goto fail;
    }
    if (parse(&ps, 0, "", 0, &s->root) != ST_OK)
        goto fail;
    return s;
fail:
    conv__avsc_free(s);
    return NULL;
}

void conv__avsc_free(struct conv__avsc *s)
{
    if (!s)
        return;
    conv_doc_free(s->doc);
    mem_free(s->text);
    mem_free(s->nodes);
    mem_free(s->fields);
    mem_free(s->refs);
    mem_free(s->syms);
    conv__arena_free(&s->arena);
    mem_free(s);
}

const char *conv__avro_type_name(uint8_t t)
{
    static const char *const names[] = {"null", "boolean", "int", "long", "float", "double", "bytes",
                                        "string", "record", "enum", "array", "map", "union", "fixed"};
    return t < ARRAY_LEN(names) ? names[t] : "?";
}
