/* src/convert/connect.c: Kafka Connect's JSON envelope, JsonConverter with schemas.enable=true:
 * {"schema": {...}, "payload": ...}. The whole record is parsed (numbers kept as text), the
 * schema compiled into a small tree, and the payload converted into the caller's document
 * honouring it: range-checked integers, float32 rounding, base64 bytes, maps with string or
 * non-string keys, structs in schema order, optional/default/null, and the logical types
 * Decimal (-> decimal string), Date (-> days), Time (-> ms of day), Timestamp (-> epoch ms).
 * Errors name the place: "Connect JSON: payload.items[3].price: expected double, got string". */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "convert/convert_int.h"

#define NONE UINT32_MAX

enum cs_type { CS_BOOLEAN, CS_INT8, CS_INT16, CS_INT32, CS_INT64, CS_FLOAT32, CS_FLOAT64,
               CS_BYTES, CS_STRING, CS_ARRAY, CS_MAP, CS_STRUCT };
static const char *const cs_names[] = {"boolean", "int8", "int16", "int32", "int64", "float",
                                       "double", "bytes", "string", "array", "map", "struct"};
enum cs_logical { CL_NONE, CL_DECIMAL, CL_DATE, CL_TIME, CL_TIMESTAMP };

struct cs {
    uint8_t type, logical;
    bool optional;
    int32_t scale;          /* Decimal */
    uint32_t dflt;          /* sdoc node of a non-null "default", or NONE */
    uint32_t a, b;          /* ARRAY: a = items; MAP: a = keys, b = values; STRUCT: a = first field */
    uint32_t next_field;    /* in a struct's field list */
    uint32_t nfields;
    const char *fname;      /* field name, for struct fields */
    uint32_t fname_n;
    uint32_t pos;           /* struct fields: position in the struct */
    uint32_t h, hmask;      /* STRUCT: its fields by name in fh[h..h+hmask] (open addressing) */
};

struct conv__connect {
    bool replace_null;
    struct conv_doc *tmp;   /* the parsed record; strings in the output may point into it */
    struct conv_doc *sdoc;  /* a private copy of the last schema, which cs[] was compiled from */
    struct conv_doc *cur;   /* the document TN() reads: tmp, or sdoc for schemas and defaults */
    bool cached;            /* cs[] holds the compiled sdoc (root cached_root) */
    uint32_t cached_root;
    struct buf raw;         /* the cached schema's bytes when records start {"schema":<raw>, */
    struct cs *cs;
    uint32_t ncs, cs_cap;
    uint32_t *fh;           /* struct field tables (struct cs h, hmask): cs indexes, NONE free */
    size_t nfh, fh_cap;
    uint32_t *val;          /* per open struct, its fields' payload nodes (NONE: absent) */
    size_t nval, val_cap;
    struct conv__seg path[CONV__MAX_DEPTH_CAP * 2 + 8];
    uint32_t depth;
    struct err *e;          /* of the decode in progress */
    struct conv_doc *out;
};

struct conv__connect *conv__connect_new(const char *const *props, struct err *e)
{
    struct conv__connect *cj = mem_calloc(1, sizeof(*cj));
    const char *v;

    if (!cj || !(cj->tmp = conv_doc_new()) || !(cj->sdoc = conv_doc_new())) {
        err_set(e, ST_NOMEM, "JsonConverter");
        goto fail;
    }
    cj->replace_null = true;
    v = conv__prop(props, "replace.null.with.default");
    if (v && !conv__parse_bool(v, &cj->replace_null)) {
        err_set(e, ST_CONFIG, "JsonConverter: replace.null.with.default must be true or false, not '%s'", v);
        goto fail;
    }
    v = conv__prop(props, "decimal.format");   /* only shapes what Connect writes; both are read */
    if (v && strcasecmp(v, "BASE64") != 0 && strcasecmp(v, "NUMERIC") != 0) {
        err_set(e, ST_CONFIG, "JsonConverter: decimal.format must be BASE64 or NUMERIC, not '%s'", v);
        goto fail;
    }
    v = conv__prop(props, "schemas.cache.size");
    if (v) {
        int64_t sz;
        if (!str_to_i64(v, strlen(v), &sz) || sz < 0) {
            err_set(e, ST_CONFIG, "JsonConverter: schemas.cache.size must be a whole number >= 0, not '%s'", v);
            goto fail;
        }
    }
    return cj;
fail:
    conv__connect_free(cj);
    return NULL;
}

void conv__connect_free(struct conv__connect *cj)
{
    if (!cj)
        return;
    conv_doc_free(cj->tmp);
    conv_doc_free(cj->sdoc);
    buf_free(&cj->raw);
    mem_free(cj->cs);
    mem_free(cj->fh);
    mem_free(cj->val);
    mem_free(cj);
}

/* --- Errors with a path --- */

static void push_name(struct conv__connect *cj, const char *name, uint32_t n, bool key)
{
    conv__path_push(cj->path, ARRAY_LEN(cj->path), &cj->depth, name, n, 0, key);
}

static void push_index(struct conv__connect *cj, uint64_t i)
{
    conv__path_push(cj->path, ARRAY_LEN(cj->path), &cj->depth, NULL, 0, i, false);
}

static void pop(struct conv__connect *cj)
{
    cj->depth--;
}

static enum status perr(struct conv__connect *cj, enum status st, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
static enum status perr(struct conv__connect *cj, enum status st, const char *fmt, ...)
{
    char path[200], msg[300];
    va_list ap;

    conv__path_text(cj->path, cj->depth, ARRAY_LEN(cj->path), 0, path, sizeof(path));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(cj->e, st, "Connect JSON: %s%s%s", path, path[0] ? ": " : "", msg);
}

/* --- The parsed record --- */

#define TN(cj, i) (&(cj)->cur->nodes[(i)])

/* --- Schema --- */

static const char *cs_name(const struct cs *s)
{
    static const char *const logical[] = {NULL, "Decimal", "Date", "Time", "Timestamp"};
    return s->logical ? logical[s->logical] : cs_names[s->type];
}

static enum status cs_new(struct conv__connect *cj, uint32_t *si)
{
    if (cj->ncs == cj->cs_cap) {
        uint32_t cap = cj->cs_cap ? cj->cs_cap * 2 : 32;
        struct cs *n = mem_realloc(cj->cs, (size_t)cap * sizeof(*n));
        if (!n)
            return err_set(cj->e, ST_NOMEM, "Connect JSON: out of memory for the schema");
        cj->cs = n;
        cj->cs_cap = cap;
    }
    *si = cj->ncs++;
    memset(&cj->cs[*si], 0, sizeof(cj->cs[0]));
    cj->cs[*si].dflt = cj->cs[*si].a = cj->cs[*si].b = cj->cs[*si].next_field = NONE;
    return ST_OK;
}

static enum status compile(struct conv__connect *cj, uint32_t ni, uint32_t *out);

static enum status compile_child(struct conv__connect *cj, uint32_t ni, const char *what,
                                 const char *key, uint32_t *out)
{
    uint32_t ci = conv__map_index(cj->cur, ni, key);
    enum status st;

    if (ci == NONE || TN(cj, ci)->type == CONV_NULL)
        return perr(cj, ST_PARSE, "%s schema has no \"%s\"", what, key);
    push_name(cj, key, (uint32_t)strlen(key), false);
    st = compile(cj, ci, out);
    pop(cj);
    return st;
}

/* FNV-1a keyed by @seed and finalized (murmur3's fmix64): the names come with the record, so
 * a sender must not be able to pick names that share a slot. */
static uint32_t name_hash(const char *p, uint32_t n, uint64_t seed)
{
    uint64_t h = 1469598103934665603ull ^ seed;

    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    h ^= seed;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)h;
}

/* The slot of struct @s's table holding the field named @p[0..n), or the free slot where it
 * would go. Adds the slots probed to *@work. */
static uint32_t field_slot(const struct conv__connect *cj, const struct cs *s, const char *p, uint32_t n,
                           uint64_t *work)
{
    for (uint32_t i = name_hash(p, n, cj->sdoc->seed) & s->hmask;; i = (i + 1) & s->hmask) {
        uint32_t f = cj->fh[s->h + i];
        ++*work;
        if (f == NONE || (cj->cs[f].fname_n == n && memcmp(cj->cs[f].fname, p, n) == 0))
            return s->h + i;
    }
}

/* Index struct @si's fields by name (refusing a name given twice), so that typing a payload
 * object costs its keys plus its fields, not their product. */
static enum status index_fields(struct conv__connect *cj, uint32_t si)
{
    struct cs *s = &cj->cs[si];
    uint32_t slots = 4, pos = 0;

    while (slots < 2 * s->nfields)
        slots *= 2;
    if (!mem_grow(&cj->fh, &cj->fh_cap, cj->nfh + slots, sizeof(*cj->fh), 64))
        return err_set(cj->e, ST_NOMEM, "Connect JSON: out of memory");
    s->h = (uint32_t)cj->nfh;
    s->hmask = slots - 1;
    memset(cj->fh + cj->nfh, 0xff, (size_t)slots * sizeof(*cj->fh));
    cj->nfh += slots;
    for (uint32_t f = s->a; f != NONE; f = cj->cs[f].next_field, pos++) {
        const struct cs *fs = &cj->cs[f];
        uint32_t at = field_slot(cj, s, fs->fname, fs->fname_n, &cj->out->key_work);
        if (cj->fh[at] != NONE) {
            push_index(cj, pos);
            return perr(cj, ST_PARSE, "duplicate field name \"%.*s\"", (int)MIN(fs->fname_n, 60), fs->fname);
        }
        cj->fh[at] = f;
    }
    return ST_OK;
}

static enum status compile_fields(struct conv__connect *cj, uint32_t ni, uint32_t si)
{
    uint32_t fi = conv__map_index(cj->cur, ni, "fields"), last = NONE, k = 0;
    const struct conv_value *f;

    if (fi == NONE || TN(cj, fi)->type != CONV_LIST)
        return perr(cj, ST_PARSE, "struct schema's \"fields\" is not an array");
    push_name(cj, "fields", 6, false);
    for (uint32_t c = fi + 1; c < TN(cj, fi)->next; c = TN(cj, c)->next, k++) {
        uint32_t name_i, fs;
        enum status st;
        push_index(cj, k);
        if (TN(cj, c)->type != CONV_MAP || (name_i = conv__map_index(cj->cur, c, "field")) == NONE ||
            TN(cj, name_i)->type != CONV_STRING)
            return perr(cj, ST_PARSE, "struct field has no string \"field\" (its name)");
        f = TN(cj, name_i);
        if ((st = compile(cj, c, &fs)) != ST_OK)
            return st;
        cj->cs[fs].fname = f->s.p;
        cj->cs[fs].fname_n = f->s.n;
        cj->cs[fs].pos = k;
        if (last == NONE)
            cj->cs[si].a = fs;
        else
            cj->cs[last].next_field = fs;
        last = fs;
        cj->cs[si].nfields++;
        pop(cj);
    }
    if (index_fields(cj, si) != ST_OK)
        return cj->e->status;
    pop(cj);
    return ST_OK;
}

static enum status compile_logical(struct conv__connect *cj, uint32_t ni, uint32_t si)
{
    uint32_t name_i = conv__map_index(cj->cur, ni, "name"), par = conv__map_index(cj->cur, ni, "parameters"), sc;
    const struct conv_value *nm;
    int64_t scale;

    if (par != NONE && TN(cj, par)->type == CONV_MAP)
        for (uint32_t c = par + 1; c < TN(cj, par)->next; c = TN(cj, TN(cj, c)->next)->next)
            if (TN(cj, TN(cj, c)->next)->type != CONV_STRING)
                return perr(cj, ST_PARSE, "schema parameter \"%.*s\" is not a string",
                            (int)MIN(TN(cj, c)->s.n, 60), TN(cj, c)->s.p);
    if (name_i == NONE || TN(cj, name_i)->type != CONV_STRING)
        return ST_OK;
    nm = TN(cj, name_i);
    if (conv__str_is(nm, "org.apache.kafka.connect.data.Date"))
        cj->cs[si].logical = CL_DATE;
    else if (conv__str_is(nm, "org.apache.kafka.connect.data.Time"))
        cj->cs[si].logical = CL_TIME;
    else if (conv__str_is(nm, "org.apache.kafka.connect.data.Timestamp"))
        cj->cs[si].logical = CL_TIMESTAMP;
    else if (conv__str_is(nm, "org.apache.kafka.connect.data.Decimal")) {
        cj->cs[si].logical = CL_DECIMAL;
        sc = par != NONE && TN(cj, par)->type == CONV_MAP ? conv__map_index(cj->cur, par, "scale") : NONE;
        if (sc == NONE)
            return perr(cj, ST_PARSE, "Decimal schema has no \"scale\" parameter");
        if (!str_to_i64(TN(cj, sc)->s.p, TN(cj, sc)->s.n, &scale) || scale < INT32_MIN ||
            scale > INT32_MAX)
            return perr(cj, ST_PARSE, "Decimal scale \"%.*s\" is not an int32",
                        (int)MIN(TN(cj, sc)->s.n, 40), TN(cj, sc)->s.p);
        cj->cs[si].scale = (int32_t)scale;
    }
    return ST_OK;
}

static enum status compile(struct conv__connect *cj, uint32_t ni, uint32_t *out)
{
    uint32_t ti, oi, di, si = 0, child;
    const struct conv_value *t;
    enum status st;
    int type = -1;

    if (TN(cj, ni)->type != CONV_MAP)
        return perr(cj, ST_PARSE, "schema must be an object, got %s", conv__json_type(TN(cj, ni)));
    ti = conv__map_index(cj->cur, ni, "type");
    if (ti == NONE || TN(cj, ti)->type != CONV_STRING)
        return perr(cj, ST_PARSE, "schema has no string \"type\"");
    t = TN(cj, ti);
    for (size_t k = 0; k < ARRAY_LEN(cs_names); k++)
        if (conv__str_is(t, cs_names[k]))
            type = (int)k;
    if (type < 0)
        return perr(cj, ST_PARSE, "unknown schema type \"%.*s\"", (int)MIN(t->s.n, 40), t->s.p);
    if ((st = cs_new(cj, &si)) != ST_OK)
        return st;
    cj->cs[si].type = (uint8_t)type;
    oi = conv__map_index(cj->cur, ni, "optional");
    cj->cs[si].optional = oi != NONE && TN(cj, oi)->type == CONV_BOOL && TN(cj, oi)->b;
    di = conv__map_index(cj->cur, ni, "default");
    if (di != NONE && TN(cj, di)->type != CONV_NULL)
        cj->cs[si].dflt = di;
    if ((st = compile_logical(cj, ni, si)) != ST_OK)
        return st;
    switch (type) {
    case CS_ARRAY:
        if ((st = compile_child(cj, ni, "array", "items", &child)) != ST_OK)
            return st;
        cj->cs[si].a = child;
        break;
    case CS_MAP:
        if ((st = compile_child(cj, ni, "map", "keys", &child)) != ST_OK)
            return st;
        cj->cs[si].a = child;
        if ((st = compile_child(cj, ni, "map", "values", &child)) != ST_OK)
            return st;
        cj->cs[si].b = child;
        break;
    case CS_STRUCT:
        if ((st = compile_fields(cj, ni, si)) != ST_OK)
            return st;
        break;
    default:
        break;
    }
    *out = si;
    return ST_OK;
}

/* --- Payload --- */

static enum status out_full(struct conv__connect *cj)
{
    return conv__add_error(cj->out, "Connect JSON", cj->e);
}

static enum status mismatch(struct conv__connect *cj, const struct cs *s, const struct conv_value *t)
{
    return perr(cj, ST_TYPE, "expected %s, got %s", cs_name(s), conv__json_type(t));
}

/* Integral value of number text, also for "1.0" or "1e2" (exact values only). */
static enum status to_int(struct conv__connect *cj, const struct cs *s, const struct conv_value *t,
                          int64_t lo, int64_t hi, int64_t *out)
{
    if (t->type != CONV__RAWNUM)
        return mismatch(cj, s, t);
    switch (conv__rawnum_int(&cj->out->arena, t, false, lo, hi, out)) {
    case CONV__INT_NOT_INTEGRAL:
        return perr(cj, ST_TYPE, "expected %s, got non-integral number %.*s", cs_name(s),
                    (int)MIN(t->s.n, 40), t->s.p);
    case CONV__INT_RANGE:
        return perr(cj, ST_TYPE, "%.*s is out of range for %s", (int)MIN(t->s.n, 40), t->s.p,
                    cs_name(s));
    default:
        return ST_OK;
    }
}

static enum status put_int(struct conv__connect *cj, int64_t i)
{
    return conv__add_int(cj->out, i) ? ST_OK : out_full(cj);
}

static enum status put_str(struct conv__connect *cj, uint8_t type, const char *p, uint32_t n)
{
    return conv__add_str(cj->out, type, p, n) ? ST_OK : out_full(cj);
}

/* A shared helper's failure @sub at the current place (out of memory: no place). */
static enum status sub_err(struct conv__connect *cj, const struct err *sub)
{
    if (sub->status == ST_NOMEM)
        return err_set(cj->e, ST_NOMEM, "Connect JSON: %s", sub->msg);
    return perr(cj, sub->status, "%s", sub->msg);
}

static enum status base64_bytes(struct conv__connect *cj, const struct conv_value *t,
                                const uint8_t **out, size_t *n)
{
    struct err sub;

    if (conv__base64_bytes(&cj->out->arena, t->s.p, t->s.n, out, n, &sub) != ST_OK)
        return sub_err(cj, &sub);
    return ST_OK;
}

static enum status convert(struct conv__connect *cj, uint32_t si, uint32_t ni);

static enum status logical(struct conv__connect *cj, const struct cs *s, const struct conv_value *t)
{
    const char *txt;
    uint32_t n;
    int64_t i;
    enum status st;
    struct err sub;

    switch (s->logical) {
    case CL_DECIMAL:
        if (t->type != CONV__RAWNUM && t->type != CONV_STRING)
            return perr(cj, ST_TYPE, "expected Decimal (base64 string or number), got %s", conv__json_type(t));
        if (conv__decimal_from_json(&cj->out->arena, t, s->scale, &txt, &n, &sub) != ST_OK)
            return sub_err(cj, &sub);
        return put_str(cj, CONV_STRING, txt, n);
    case CL_DATE:
        if ((st = to_int(cj, s, t, INT32_MIN, INT32_MAX, &i)) != ST_OK)
            return st;
        return put_int(cj, i);
    case CL_TIME:
        if ((st = to_int(cj, s, t, INT32_MIN, INT32_MAX, &i)) != ST_OK)
            return st;
        if (i < 0 || i > 86400000)
            return perr(cj, ST_TYPE, "Time %" PRId64 " is not within 0..86400000 ms", i);
        return put_int(cj, i);
    default:   /* CL_TIMESTAMP */
        if ((st = to_int(cj, s, t, INT64_MIN, INT64_MAX, &i)) != ST_OK)
            return st;
        return put_int(cj, i);
    }
}

static enum status convert_struct(struct conv__connect *cj, const struct cs *s, uint32_t ni)
{
    uint32_t idx = cj->out->n, end = TN(cj, ni)->next, pos = 0;
    size_t base = cj->nval;
    enum status st;

    if (!conv__add(cj->out, CONV_MAP))
        return out_full(cj);
    if (!mem_grow(&cj->val, &cj->val_cap, base + s->nfields + 1, sizeof(*cj->val), 64))   /* + 1: never NULL */
        return err_set(cj->e, ST_NOMEM, "Connect JSON: out of memory");
    memset(cj->val + base, 0xff, (size_t)s->nfields * sizeof(*cj->val));
    cj->nval = base + s->nfields;
    for (uint32_t k = ni + 1; k < end; k = TN(cj, TN(cj, k)->next)->next) {
        uint32_t f = cj->fh[field_slot(cj, s, TN(cj, k)->s.p, TN(cj, k)->s.n, &cj->out->key_work)];
        if (f != NONE)
            cj->val[base + cj->cs[f].pos] = TN(cj, k)->next;
    }
    for (uint32_t f = s->a; f != NONE; f = cj->cs[f].next_field, pos++) {
        const struct cs *fs = &cj->cs[f];
        if ((st = put_str(cj, CONV_STRING, fs->fname, fs->fname_n)) != ST_OK)
            return st;
        push_name(cj, fs->fname, fs->fname_n, false);
        if ((st = convert(cj, f, cj->val[base + pos])) != ST_OK)
            return st;
        pop(cj);
    }
    cj->nval = base;
    cj->out->nodes[idx].next = cj->out->n;   /* field names are unique: nothing to drop */
    cj->out->nodes[idx].count = s->nfields;
    return ST_OK;
}

static enum status convert_map(struct conv__connect *cj, const struct cs *s, uint32_t ni)
{
    const struct conv_value *t = TN(cj, ni);
    uint32_t idx = cj->out->n, end = t->next, k = 0;
    bool string_keys = cj->cs[s->a].type == CS_STRING && !cj->cs[s->a].logical;
    enum status st;

    if (string_keys ? t->type != CONV_MAP : t->type != CONV_LIST)
        return perr(cj, ST_TYPE, "expected map as %s, got %s",
                    string_keys ? "an object" : "an array of [key, value] arrays", conv__json_type(t));
    if (!conv__add(cj->out, CONV_MAP))
        return out_full(cj);
    for (uint32_t c = ni + 1; c < end; k++) {
        const struct conv_value *kn = TN(cj, c);
        if (string_keys) {
            if ((st = put_str(cj, CONV_STRING, kn->s.p, kn->s.n)) != ST_OK)
                return st;
            push_name(cj, kn->s.p, kn->s.n, true);
            if ((st = convert(cj, s->b, kn->next)) != ST_OK)
                return st;
            pop(cj);
            c = TN(cj, kn->next)->next;
            continue;
        }
        push_index(cj, k);
        if (kn->type != CONV_LIST || kn->count != 2)
            return perr(cj, ST_TYPE, "map entry must be a [key, value] array, got %s%s", conv__json_type(kn),
                        kn->type == CONV_LIST ? " of another length" : "");
        push_index(cj, 0);
        if ((st = convert(cj, s->a, c + 1)) != ST_OK)
            return st;
        cj->path[cj->depth - 1].index = 1;
        if ((st = convert(cj, s->b, TN(cj, c + 1)->next)) != ST_OK)
            return st;
        pop(cj);
        pop(cj);
        c = kn->next;
    }
    /* string keys were made unique by the parser; other keys may repeat: the last wins */
    if (string_keys) {
        cj->out->nodes[idx].next = cj->out->n;
        cj->out->nodes[idx].count = k;
        return ST_OK;
    }
    return conv__close(cj->out, idx, k) == ST_OK ? ST_OK : out_full(cj);
}

static enum status convert_array(struct conv__connect *cj, const struct cs *s, uint32_t ni)
{
    uint32_t idx = cj->out->n, k = 0;
    enum status st;

    if (TN(cj, ni)->type != CONV_LIST)
        return mismatch(cj, s, TN(cj, ni));
    if (!conv__add(cj->out, CONV_LIST))
        return out_full(cj);
    for (uint32_t c = ni + 1; c < TN(cj, ni)->next; c = TN(cj, c)->next, k++) {
        push_index(cj, k);
        if ((st = convert(cj, s->a, c)) != ST_OK)
            return st;
        pop(cj);
    }
    cj->out->nodes[idx].next = cj->out->n;
    cj->out->nodes[idx].count = k;
    return ST_OK;
}

static enum status convert(struct conv__connect *cj, uint32_t si, uint32_t ni)
{
    const struct cs *s = &cj->cs[si];
    const struct conv_value *t;
    struct conv_value *v;
    const uint8_t *b;
    size_t bn;
    int64_t i;
    enum status st;
    static const int64_t lo[] = {[CS_INT8] = INT8_MIN, [CS_INT16] = INT16_MIN,
                                 [CS_INT32] = INT32_MIN, [CS_INT64] = INT64_MIN};
    static const int64_t hi[] = {[CS_INT8] = INT8_MAX, [CS_INT16] = INT16_MAX,
                                 [CS_INT32] = INT32_MAX, [CS_INT64] = INT64_MAX};

    if (ni == NONE || TN(cj, ni)->type == CONV_NULL) {
        if (s->dflt != NONE && cj->replace_null) {
            /* the default lives in the schema document and is never null (see compile()) */
            struct conv_doc *saved = cj->cur;
            cj->cur = cj->sdoc;
            st = convert(cj, si, s->dflt);
            cj->cur = saved;
            return st;
        } else if (s->optional) {
            return conv__add(cj->out, CONV_NULL) ? ST_OK : out_full(cj);
        } else {
            return perr(cj, ST_TYPE, "required %s field is %s", cs_name(s), ni == NONE ? "missing" : "null");
        }
    }
    t = TN(cj, ni);
    if (s->logical)
        return logical(cj, s, t);
    switch (s->type) {
    case CS_BOOLEAN:
        if (t->type != CONV_BOOL)
            return mismatch(cj, s, t);
        if (!(v = conv__add(cj->out, CONV_BOOL)))
            return out_full(cj);
        v->b = t->b;
        return ST_OK;
    case CS_INT8:
    case CS_INT16:
    case CS_INT32:
    case CS_INT64:
        if ((st = to_int(cj, s, t, lo[s->type], hi[s->type], &i)) != ST_OK)
            return st;
        return put_int(cj, i);
    case CS_FLOAT32:
    case CS_FLOAT64:
        if (t->type != CONV__RAWNUM)
            return mismatch(cj, s, t);
        if (!(v = conv__add(cj->out, CONV_DOUBLE)))
            return out_full(cj);
        v->d = s->type == CS_FLOAT32 ? (double)conv__num_to_float(t->s.p, t->s.n)
                                     : conv__num_to_double(t->s.p, t->s.n);
        return ST_OK;
    case CS_BYTES:
        if (t->type != CONV_STRING)
            return perr(cj, ST_TYPE, "expected bytes (a base64 string), got %s", conv__json_type(t));
        if ((st = base64_bytes(cj, t, &b, &bn)) != ST_OK)
            return st;
        return put_str(cj, CONV_BYTES, (const char *)b, (uint32_t)bn);
    case CS_STRING:
        if (t->type != CONV_STRING)
            return mismatch(cj, s, t);
        return put_str(cj, CONV_STRING, t->s.p, t->s.n);
    case CS_ARRAY:
        return convert_array(cj, s, ni);
    case CS_MAP:
        return convert_map(cj, s, ni);
    default:
        if (t->type != CONV_MAP)
            return mismatch(cj, s, t);
        return convert_struct(cj, s, ni);
    }
}

/* schema null: the payload as plain JSON would give it */
static enum status copy_schemaless(struct conv__connect *cj, uint32_t ni)
{
    uint32_t end = TN(cj, ni)->next, base = cj->out->n;

    for (uint32_t k = ni; k < end; k++) {
        const struct conv_value *t = TN(cj, k);
        struct conv_value *v = conv__add(cj->out, t->type);
        int64_t i;
        if (!v)
            return out_full(cj);
        *v = *t;
        v->next = base + (t->next - ni);
        if (t->type == CONV__RAWNUM) {
            if (t->count && conv__num_to_i64(t->s.p, t->s.n, &i)) {
                v->type = CONV_INT;
                v->i = i;
            } else {
                v->type = CONV_DOUBLE;
                v->d = conv__num_to_double(t->s.p, t->s.n);
            }
            v->count = 0;
        }
    }
    return ST_OK;
}

#define PREFIX "{\"schema\":"
#define PREFIX_LEN 10

/* Deep-copy the schema subtree at tmp[si] into sdoc (strings too), so the compiled schema
 * outlives the record it came with. */
static enum status copy_schema(struct conv__connect *cj, uint32_t si)
{
    uint32_t end = cj->tmp->nodes[si].next;

    conv_doc_reset(cj->sdoc);
    for (uint32_t k = si; k < end; k++) {
        const struct conv_value *t = &cj->tmp->nodes[k];
        struct conv_value *v = conv__add(cj->sdoc, t->type);
        if (!v)
            return conv__add_error(cj->sdoc, "Connect JSON: schema", cj->e);
        *v = *t;
        v->next = t->next - si;
        if (t->type == CONV_STRING || t->type == CONV__RAWNUM) {
            char *c = conv__arena_alloc(&cj->sdoc->arena, t->s.n);
            if (!c)
                return err_set(cj->e, ST_NOMEM, "Connect JSON: out of memory for the schema");
            memcpy(c, t->s.p, t->s.n);
            v->s.p = c;
        }
    }
    return ST_OK;
}

enum status conv__connect_decode(struct conv__connect *cj, const uint8_t *p, size_t n,
                                 struct conv_doc *out, struct err *e)
{
    const struct conv_value *root;
    uint32_t si, pi, cs_root;
    enum status st;

    cj->e = e;
    cj->out = out;
    cj->depth = 0;
    cj->cur = cj->tmp;
    conv_doc_reset(out);
    conv_doc_set_limits(cj->tmp, &out->lim);
    conv_doc_set_limits(cj->sdoc, &out->lim);
    /* Connect writes {"schema":...,"payload":...}: when the schema bytes are those of the last
     * record, they are neither parsed nor compiled again */
    if (cj->cached && cj->raw.len && n > PREFIX_LEN + cj->raw.len && memcmp(p, PREFIX, PREFIX_LEN) == 0 &&
        memcmp(p + PREFIX_LEN, cj->raw.p, cj->raw.len) == 0)
        st = conv__json_parse_skip(cj->tmp, p, n, CONV__JSON_RAW_NUMBERS, p + PREFIX_LEN, cj->raw.len, e);
    else
        st = conv__json_parse(cj->tmp, p, n, CONV__JSON_RAW_NUMBERS, e);
    if (st != ST_OK)
        return st;
    root = conv_doc_root(cj->tmp);
    if (root->type != CONV_MAP || root->count != 2 || (si = conv__map_index(cj->cur, 0, "schema")) == NONE ||
        (pi = conv__map_index(cj->cur, 0, "payload")) == NONE)
        return err_set(e, ST_PARSE, "Connect JSON: with schemas.enable=true the record must be an "
                       "object with exactly \"schema\" and \"payload\" (for plain JSON set "
                       "schemas.enable=false)");
    if (TN(cj, si)->type == CONV_NULL)
        return copy_schemaless(cj, pi);
    /* the same schema as the last record (the usual case): reuse the compiled one */
    if (TN(cj, si)->type != CONV__SKIPPED &&
        (!cj->cached || !conv__subtree_equal(cj->tmp, si, cj->sdoc, 0, true))) {
        cj->cached = false;
        buf_reset(&cj->raw);
        if ((st = copy_schema(cj, si)) != ST_OK)
            return st;
        cj->cur = cj->sdoc;
        cj->ncs = 0;
        cj->nfh = 0;
        push_name(cj, "schema", 6, false);
        st = compile(cj, 0, &cj->cached_root);
        cj->cur = cj->tmp;
        if (st != ST_OK) {
            conv_doc_reset(out);
            return st;
        }
        pop(cj);
        cj->cached = true;
    }
    if (!cj->raw.len && TN(cj, si)->type != CONV__SKIPPED && n > PREFIX_LEN && memcmp(p, PREFIX, PREFIX_LEN) == 0 &&
        TN(cj, si - 1)->s.p == (const char *)p + 2) {
        /* remember the bytes of this (valid, compiled) schema for the fast path above; only
         * when the schema in force is the one at the start (a repeated "schema" key wins) */
        size_t len = conv__json_container_len(p + PREFIX_LEN, n - PREFIX_LEN);
        if (len && buf_append(&cj->raw, p + PREFIX_LEN, len) != ST_OK)
            buf_reset(&cj->raw);   /* no fast path, still correct */
    }
    cs_root = cj->cached_root;
    cj->nval = 0;
    push_name(cj, "payload", 7, false);
    st = convert(cj, cs_root, pi);
    if (st != ST_OK)
        conv_doc_reset(out);
    return st;
}
