/* src/config/cfg_load.c: document tree -> struct cfg, driven by the key table.
 *
 * The walker visits every map: each key is looked up in cfg__keys by its path pattern
 * (unknown -> error with "did you mean"), its value is type-checked and stored at the row's
 * offset, required keys that are missing are reported at the key that owns the map, and
 * defaults come from the rows. Cross-key rules (cfg_rules.c) run per topic and for the
 * aerospike section; the v1.1 mapping form is rewritten first (cfg_legacy.c). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aerospike/aero_proto.h"
#include "config_int.h"

#define CFG_ARENA_LIMIT ((size_t)64 << 20)

/* --- messages and paths --- */

const char *cfg__q(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    const size_t keep = cap > 8 ? cap - 8 : 0;   /* room for "\xNN" and "..." */

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o >= keep) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
            if (c == '"' || c == '\\') {
                out[o++] = '\\';
                out[o++] = (char)c;
            } else {
                o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
            }
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

void cfg__path_push_key(struct cfg_walk *w, const char *key)
{
    char q[CFG_Q_LEN];
    size_t l;

    cfg__q(key, strlen(key), q, sizeof(q));
    l = strlen(q);
    if (w->plen + l + 2 >= sizeof(w->path))
        return;
    if (w->plen)
        w->path[w->plen++] = '.';
    memcpy(w->path + w->plen, q, l);
    w->plen += l;
    w->path[w->plen] = '\0';
}

void cfg__path_push_index(struct cfg_walk *w, size_t i)
{
    int n = snprintf(w->path + w->plen, sizeof(w->path) - w->plen, "[%zu]", i);
    if (n > 0 && w->plen + (size_t)n < sizeof(w->path))
        w->plen += (size_t)n;
    w->path[w->plen] = '\0';
}

void cfg__path_pop(struct cfg_walk *w, size_t saved)
{
    w->plen = saved;
    w->path[saved] = '\0';
}

static void vreport(struct cfg_walk *w, enum cfg_severity sev, const struct cfg_node *at,
                    const char *sub, const char *fmt, va_list ap)
{
    char msg[640], path[1200];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (sub && *sub)
        snprintf(path, sizeof(path), "%s%s%s", w->path, w->plen ? "." : "", sub);
    else
        snprintf(path, sizeof(path), "%s", w->path);
    cfg_diag_add(w->d, sev, w->file, at ? at->line : 1, at ? at->col : 1, path, "%s", msg);
}

void cfg__err(struct cfg_walk *w, const struct cfg_node *at, const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(w, CFG_SEV_ERROR, at, sub, fmt, ap);
    va_end(ap);
}

void cfg__warn(struct cfg_walk *w, const struct cfg_node *at, const char *sub, const char *fmt,
               ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(w, CFG_SEV_WARNING, at, sub, fmt, ap);
    va_end(ap);
}

static void report_oom(struct cfg_walk *w, const struct cfg_node *at)
{
    if (w->oom)
        return;
    w->oom = true;
    cfg__err(w, at, NULL, "configuration too large (more than %zu MiB in memory)",
             CFG_ARENA_LIMIT >> 20);
}

static void *walloc(struct cfg_walk *w, size_t n, const struct cfg_node *at)
{
    void *p = cfg__arena_alloc(w->arena, n);
    if (!p)
        report_oom(w, at);
    return p;
}

static char *wstr(struct cfg_walk *w, const struct cfg_node *n)
{
    char *s = cfg__arena_strndup(w->arena, n->s, n->len);
    if (!s)
        report_oom(w, n);
    return s;
}

/* --- scalar conversion (shared by defaults and values) --- */

static void *scope_base(struct cfg_walk *w, enum cfg_scope s)
{
    switch (s) {
    case CFG_S_ROOT: return w->cfg;
    case CFG_S_TOPIC: return w->topic;
    case CFG_S_SEED: return w->seed;
    case CFG_S_BIN: return w->bin;
    case CFG_S_ROP: return w->rop;
    case CFG_S_NONE: return NULL;
    }
    return NULL;
}

static const char *expected_scalar(enum cfg_ktype t)
{
    switch (t) {
    case CFG_K_INT: return "an integer";
    case CFG_K_BOOL: return "true or false";
    case CFG_K_ENUM: return "one of the allowed values";
    case CFG_K_PATH: return "a file path";
    default: return "a single value";
    }
}

static void enum_list(const struct cfg_enum_val *v, char *out, size_t cap)
{
    size_t o = 0;

    out[0] = '\0';
    for (; v->name && o < cap; v++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? " | " : "", v->name);
}

static bool parse_int(struct cfg_walk *w, const struct cfg_key *row, const struct cfg_node *n,
                      int64_t *out)
{
    char q[CFG_Q_LEN];
    double dv;

    if (!str_to_i64(n->s, n->len, out)) {
        /* 1500.0 or 1.5e3 (JSON writers do that): a whole number is fine */
        if (str_to_double(n->s, n->len, &dv) && dv == floor(dv) && dv >= -9.0e15 &&
            dv <= 9.0e15) {
            *out = (int64_t)dv;
        } else if (str_to_double(n->s, n->len, &dv)) {
            cfg__err(w, n, NULL, "invalid value \"%s\": expected a whole number",
                     cfg__q(n->s, n->len, q, sizeof(q)));
            return false;
        } else {
            cfg__err(w, n, NULL, "invalid value \"%s\": expected an integer",
                     cfg__q(n->s, n->len, q, sizeof(q)));
            return false;
        }
    }
    if (*out < row->min || *out > row->max) {
        if (row->range)
            cfg__err(w, n, NULL, "value %lld out of range: %s", (long long)*out, row->range);
        else if (*out < row->min && row->max >= INT32_MAX)
            cfg__err(w, n, NULL, "value %lld is too small (at least %lld)", (long long)*out,
                     (long long)row->min);
        else
            cfg__err(w, n, NULL, "value %lld out of range %lld..%lld", (long long)*out,
                     (long long)row->min, (long long)row->max);
        return false;
    }
    return true;
}

/* YAML 1.1's other boolean words, as the original's YAML reader (Jackson on SnakeYAML) takes
 * them when written plain: y, yes, on / n, no, off, each lower, Capitalised or UPPER. */
static int yaml11_bool(const struct cfg_node *n)
{
    static const char *const words[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
                                        "n", "N", "no", "No", "NO", "off", "Off", "OFF"};

    if (n->quoted)
        return -1;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i]) == n->len && memcmp(words[i], n->s, n->len) == 0)
            return i < 8;
    return -1;
}

static bool parse_bool(struct cfg_walk *w, const struct cfg_node *n, bool *out)
{
    char q[CFG_Q_LEN];
    int b;

    if (n->len == 4 && strncasecmp(n->s, "true", 4) == 0) {
        *out = true;
        return true;
    }
    if (n->len == 5 && strncasecmp(n->s, "false", 5) == 0) {
        *out = false;
        return true;
    }
    if ((b = yaml11_bool(n)) >= 0) {
        *out = b == 1;
        return true;
    }
    cfg__err(w, n, NULL, "invalid value \"%s\": expected true or false",
             cfg__q(n->s, n->len, q, sizeof(q)));
    return false;
}

static bool parse_enum(struct cfg_walk *w, const struct cfg_key *row, const struct cfg_node *n,
                       int *out)
{
    const char *cands[16];
    size_t nc = 0;
    char q[CFG_Q_LEN], list[256], text[CFG_Q_LEN];
    const char *sug;

    for (const struct cfg_enum_val *v = row->vals; v->name; v++) {
        if (str_eq(n->s, n->len, v->name) ||
            ((row->flags & CFG_F_ICASE) && n->len == strlen(v->name) &&
             strncasecmp(n->s, v->name, n->len) == 0)) {
            *out = v->value;
            return true;
        }
        if (nc < ARRAY_LEN(cands))
            cands[nc++] = v->name;
    }
    enum_list(row->vals, list, sizeof(list));
    cfg__q(n->s, n->len, q, sizeof(q));
    snprintf(text, sizeof(text), "%.*s", (int)MIN(n->len, sizeof(text) - 1), n->s);
    sug = memchr(n->s, 0, n->len) ? NULL : cfg__suggest(text, cands, nc);
    if (sug)
        cfg__err(w, n, NULL, "invalid value \"%s\": expected %s (did you mean \"%s\"?)", q, list,
                 sug);
    else
        cfg__err(w, n, NULL, "invalid value \"%s\": expected %s", q, list);
    return false;
}

static void parse_value(const struct cfg_node *n, struct cfg_value *v, char *s)
{
    v->s = s;
    v->len = n->len;
    if (n->quoted) {
        v->type = CFG_VAL_STRING;
        return;
    }
    if (str_to_i64(n->s, n->len, &v->i)) {
        v->type = CFG_VAL_INT;
    } else if (str_to_double(n->s, n->len, &v->d)) {
        v->type = CFG_VAL_DOUBLE;
    } else if ((n->len == 4 && strncasecmp(n->s, "true", 4) == 0) ||
               (n->len == 5 && strncasecmp(n->s, "false", 5) == 0)) {
        v->type = CFG_VAL_BOOL;
        v->b = n->len == 4;
    } else {
        v->type = CFG_VAL_STRING;
    }
}

/* Store scalar @n for @row. */
static void store_scalar(struct cfg_walk *w, const struct cfg_key *row, const struct cfg_node *n)
{
    unsigned char *base = scope_base(w, row->scope);
    char q[CFG_Q_LEN];
    int64_t iv;
    bool bv;
    int ev;
    char *s;

    if (n->kind != CFG_N_SCALAR) {
        cfg__err(w, n, NULL, "expected %s, got %s", expected_scalar(row->type), cfg__kind_name(n));
        return;
    }
    switch (row->type) {
    case CFG_K_STR:
    case CFG_K_PATH:
        if ((row->flags & CFG_F_NONEMPTY) && n->len == 0) {
            cfg__err(w, n, NULL, "must not be empty");
            return;
        }
        if (memchr(n->s, 0, n->len)) {
            cfg__err(w, n, NULL, "invalid value \"%s\": contains a NUL character",
                     cfg__q(n->s, n->len, q, sizeof(q)));
            return;
        }
        if (base && (s = wstr(w, n)))
            *(char **)(base + row->off) = s;
        break;
    case CFG_K_INT:
        if (parse_int(w, row, n, &iv) && base)
            *(int64_t *)(base + row->off) = iv;
        break;
    case CFG_K_BOOL:
        if (parse_bool(w, n, &bv) && base)
            *(bool *)(base + row->off) = bv;
        break;
    case CFG_K_ENUM:
        if (parse_enum(w, row, n, &ev) && base)
            *(int *)(base + row->off) = ev;
        break;
    case CFG_K_SCALAR:
        if (base && (s = wstr(w, n)))
            parse_value(n, (struct cfg_value *)(base + row->off), s);
        break;
    default:
        break;
    }
}

static void apply_defaults(struct cfg_walk *w, enum cfg_scope scope)
{
    for (size_t i = 0; i < cfg__n_keys; i++) {
        const struct cfg_key *row = &cfg__keys[i];
        struct cfg_node n = {.kind = CFG_N_SCALAR};
        if (row->scope != scope || !row->def)
            continue;
        n.s = row->def;
        n.len = strlen(row->def);
        n.line = n.col = 1;
        store_scalar(w, row, &n);
    }
}

/* --- walking --- */

static void walk_value(struct cfg_walk *w, const struct cfg_key *row, struct cfg_node *val,
                       const struct cfg_node *key);

static const char *last_seg(const char *pattern)
{
    const char *dot = strrchr(pattern, '.');
    return dot ? dot + 1 : pattern;
}

/* Required children of @pattern missing from @map: reported at @owner (the key whose value
 * is the map) or the map itself. */
static void check_required(struct cfg_walk *w, const struct cfg_node *map, const char *pattern,
                           const struct cfg_node *owner)
{
    size_t pl = strlen(pattern);

    for (size_t i = 0; i < cfg__n_keys; i++) {
        const struct cfg_key *row = &cfg__keys[i];
        const char *name;
        if (!(row->flags & CFG_F_REQUIRED))
            continue;
        if (pl == 0) {
            if (strchr(row->path, '.') || strchr(row->path, '['))
                continue;
            name = row->path;
        } else {
            if (strncmp(row->path, pattern, pl) != 0 || row->path[pl] != '.')
                continue;
            name = row->path + pl + 1;
            if (strchr(name, '.') || strchr(name, '[') || strcmp(name, "*") == 0)
                continue;
        }
        if (cfg__map_pair(map, name))
            continue;
        /* a transformer topic has no mapping: the transformer error says it all */
        if (strcmp(row->path, "topics.*.mapping") == 0 && cfg__map_pair(map, "message-transformer"))
            continue;
        cfg__err(w, owner ? owner : map, NULL, "missing required key \"%s\"", name);
    }
}

static void walk_map(struct cfg_walk *w, struct cfg_node *map, const char *pattern,
                     const struct cfg_node *owner)
{
    char child[512], q[CFG_Q_LEN];

    for (size_t i = 0; i < map->n && !w->oom; i++) {
        struct cfg_node *k = map->pairs[i].key;
        const struct cfg_key *row = NULL;
        size_t saved = w->plen;
        int l = snprintf(child, sizeof(child), "%s%s%.*s", pattern, *pattern ? "." : "",
                         (int)MIN(k->len, 400), k->s);

        if (l > 0 && (size_t)l < sizeof(child) && !memchr(k->s, 0, k->len) && k->len < 400 &&
            !strchr(child + strlen(pattern), '*') && !strstr(child + strlen(pattern), "[]"))
            row = cfg__key_find(child);
        cfg__path_push_key(w, k->s);
        if (!row) {
            char text[128];
            const char *sug;
            snprintf(text, sizeof(text), "%.*s", (int)MIN(k->len, sizeof(text) - 1), k->s);
            sug = memchr(k->s, 0, k->len) ? NULL : cfg__key_suggest(pattern, text);
            cfg__q(k->s, k->len, q, sizeof(q));
            if (sug)
                cfg__err(w, k, NULL, "unknown key \"%s\" (did you mean \"%s\"?)", q, sug);
            else
                cfg__err(w, k, NULL, "unknown key \"%s\"", q);
        } else {
            walk_value(w, row, map->pairs[i].val, k);
        }
        cfg__path_pop(w, saved);
    }
    check_required(w, map, pattern, owner);
}

static void walk_seed(struct cfg_walk *w, struct cfg_node *item);
static void walk_codes(struct cfg_walk *w, struct cfg_node *val);

static void open_topic(struct cfg_walk *w, struct cfg_node *val, const struct cfg_node *key)
{
    struct cfg_topic *t = &w->cfg->topics[w->cfg->n_topics++];
    char q[CFG_Q_LEN];

    w->topic = t;
    t->name = wstr(w, key);
    t->pos = (struct cfg_pos){w->file, key->line, key->col};
    apply_defaults(w, CFG_S_TOPIC);
    if (!cfg__valid_topic_name(key->s, key->len))
        cfg__err(w, key, NULL,
                 "\"%s\" is not a valid Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -)",
                 cfg__q(key->s, key->len, q, sizeof(q)));
    cfg__legacy_rewrite(w, cfg__map_get(val, "mapping"));
    walk_map(w, val, "topics.*", key);
    if (!w->oom)
        cfg__rules_topic(w, t, val);
    w->topic = NULL;
}

static void open_bin(struct cfg_walk *w, struct cfg_node *val, const struct cfg_node *key)
{
    struct cfg_bins *bins = &w->topic->mapping.bins;
    struct cfg_bin *b = &bins->map[bins->n_map++];

    w->bin = b;
    b->name = wstr(w, key);
    apply_defaults(w, CFG_S_BIN);
    walk_map(w, val, "topics.*.mapping.bins.map.*", key);
    w->bin = NULL;
}

static void open_rop(struct cfg_walk *w, struct cfg_node *val, const struct cfg_node *key)
{
    struct cfg_operation *op = &w->topic->op;
    struct cfg_record_op *r = &op->ops[op->n_ops++];

    w->rop = r;
    r->pos = (struct cfg_pos){w->file, val->line, val->col};
    apply_defaults(w, CFG_S_ROP);
    walk_map(w, val, "topics.*.aerospike-operation.operations[]", key);
    if (!w->oom)
        cfg__rules_rop(w, r, val);
    w->rop = NULL;
}

/* Arrays for the objects a NAMED map or a list will open, sized before walking. */
static bool alloc_children(struct cfg_walk *w, const struct cfg_key *child, size_t n,
                           const struct cfg_node *at)
{
    switch (child->opens) {
    case CFG_S_TOPIC:
        w->cfg->topics = walloc(w, n * sizeof(struct cfg_topic), at);
        return w->cfg->topics != NULL;
    case CFG_S_BIN:
        w->topic->mapping.bins.map = walloc(w, n * sizeof(struct cfg_bin), at);
        return w->topic->mapping.bins.map != NULL;
    case CFG_S_SEED:
        w->cfg->aerospike.seeds = walloc(w, n * sizeof(struct cfg_seed), at);
        return w->cfg->aerospike.seeds != NULL;
    case CFG_S_ROP:
        w->topic->op.ops = walloc(w, n * sizeof(struct cfg_record_op), at);
        return w->topic->op.ops != NULL;
    default:
        return true;
    }
}

static void unsupported(struct cfg_walk *w, const struct cfg_key *row, const struct cfg_node *key)
{
    if (strcmp(last_seg(row->path), "message-transformer") == 0)
        cfg__err(w, key, NULL,
                 "Java transformers are not supported; use aerospike-operation: {type: operate, "
                 "operations: [...]} for list/map/increment operations");
    else
        cfg__err(w, key, NULL, "\"%s\" is not supported by aerosink", last_seg(row->path));
}

/* A single value where a {mode: ...} or {source: ..., field-name: ...} map belongs:
 * show the map that was probably meant. */
static bool map_hint(struct cfg_walk *w, const struct cfg_key *row, const struct cfg_node *val)
{
    char pat[512], q[CFG_Q_LEN];

    cfg__q(val->s, val->len, q, sizeof(q));
    snprintf(pat, sizeof(pat), "%s.mode", row->path);
    if (cfg__key_find(pat)) {
        cfg__err(w, val, NULL, "expected a map, e.g. {mode: static, value: %s}, got a single value",
                 q);
        return true;
    }
    snprintf(pat, sizeof(pat), "%s.field-name", row->path);
    if (cfg__key_find(pat)) {
        cfg__err(w, val, NULL,
                 "expected a map, e.g. {source: value-field, field-name: %s}, got a single value",
                 q);
        return true;
    }
    return false;
}

static void walk_value(struct cfg_walk *w, const struct cfg_key *row, struct cfg_node *val,
                       const struct cfg_node *key)
{
    char pat[512];

    if (row->flags & CFG_F_UNSUPPORTED) {
        unsupported(w, row, key);
        return;
    }
    if (row->flags & CFG_F_DEPRECATED)
        cfg__warn(w, key, NULL, "deprecated since 2.2.0 and ignored by aerosink");
    if (cfg__is_null(val)) {
        if (row->flags & CFG_F_REQUIRED)
            cfg__err(w, key, NULL, "empty value: this key is required");
        return;
    }
    switch (row->type) {
    case CFG_K_MAP:
        if (val->kind == CFG_N_SCALAR && map_hint(w, row, val))
            return;
        if (val->kind != CFG_N_MAP) {
            cfg__err(w, val, NULL, "expected a map (key: value), got %s", cfg__kind_name(val));
            return;
        }
        if (row->opens == CFG_S_TOPIC)
            open_topic(w, val, key);
        else if (row->opens == CFG_S_BIN)
            open_bin(w, val, key);
        else if (row->opens == CFG_S_ROP)
            open_rop(w, val, key);
        else
            walk_map(w, val, row->path, key);
        return;
    case CFG_K_NAMED: {
        const struct cfg_key *child;
        if (val->kind != CFG_N_MAP) {
            cfg__err(w, val, NULL, "expected a map (name: settings), got %s", cfg__kind_name(val));
            return;
        }
        if ((row->flags & CFG_F_NONEMPTY) && val->n == 0) {
            cfg__err(w, val, NULL, "must not be empty");
            return;
        }
        snprintf(pat, sizeof(pat), "%s.*", row->path);
        child = cfg__key_find(pat);
        if (!child || !alloc_children(w, child, val->n, val))
            return;
        for (size_t i = 0; i < val->n && !w->oom; i++) {
            size_t saved = w->plen;
            if (child->opens == CFG_S_BIN)
                cfg__check_bin_name(w, val->pairs[i].key, NULL);
            cfg__path_push_key(w, val->pairs[i].key->s);
            if (cfg__is_null(val->pairs[i].val))   /* `orders:` alone: never silently skip */
                cfg__err(w, val->pairs[i].key, NULL, "empty: expected a map of settings");
            else
                walk_value(w, child, val->pairs[i].val, val->pairs[i].key);
            cfg__path_pop(w, saved);
        }
        return;
    }
    case CFG_K_SEQ: {
        const struct cfg_key *item;
        if (val->kind != CFG_N_SEQ) {
            cfg__err(w, val, NULL, "expected a list, got %s", cfg__kind_name(val));
            return;
        }
        if ((row->flags & CFG_F_NONEMPTY) && val->n == 0) {
            cfg__err(w, val, NULL, "must not be empty");
            return;
        }
        snprintf(pat, sizeof(pat), "%s[]", row->path);
        item = cfg__key_find(pat);
        if (!item || !alloc_children(w, item, val->n, val))
            return;
        for (size_t i = 0; i < val->n && !w->oom; i++) {
            size_t saved = w->plen;
            cfg__path_push_index(w, i);
            if (item->opens == CFG_S_SEED)
                walk_seed(w, val->items[i]);
            else if (cfg__is_null(val->items[i]))
                cfg__err(w, val->items[i], NULL, "empty list item");
            else
                walk_value(w, item, val->items[i], val->items[i]);
            cfg__path_pop(w, saved);
        }
        return;
    }
    case CFG_K_CODES:
        walk_codes(w, val);
        return;
    case CFG_K_ANY:
        return;
    default:
        store_scalar(w, row, val);
        return;
    }
}

/* --- seeds --- */

static bool split_host_port(struct cfg_walk *w, struct cfg_node *n, struct cfg_seed *s)
{
    const char *p = n->s, *colon;
    size_t len = n->len;
    char q[CFG_Q_LEN];
    int64_t port;

    if (len > 0 && p[0] == '[') {   /* [v6]:port or [v6] */
        const char *close = memchr(p, ']', len);
        if (!close) {
            cfg__err(w, n, NULL, "invalid seed \"%s\": missing ']'", cfg__q(p, len, q, sizeof(q)));
            return false;
        }
        s->host = cfg__arena_strndup(w->arena, p + 1, (size_t)(close - p - 1));
        colon = close + 1 < p + len && close[1] == ':' ? close + 1 : NULL;
        if (!colon && close + 1 != p + len) {
            cfg__err(w, n, NULL, "invalid seed \"%s\": expected \"[address]:port\"",
                     cfg__q(p, len, q, sizeof(q)));
            return false;
        }
    } else {
        colon = memchr(p, ':', len);
        if (colon && memchr(colon + 1, ':', len - (size_t)(colon - p) - 1))
            colon = NULL;   /* a bare IPv6 address: no port */
        s->host = cfg__arena_strndup(w->arena, p, colon ? (size_t)(colon - p) : len);
    }
    if (!s->host) {
        report_oom(w, n);
        return false;
    }
    if (!s->host[0]) {
        cfg__err(w, n, NULL, "invalid seed \"%s\": empty host", cfg__q(p, len, q, sizeof(q)));
        return false;
    }
    if (colon) {
        size_t pl = len - (size_t)(colon + 1 - p);
        if (!str_to_i64(colon + 1, pl, &port) || port < 1 || port > 65535) {
            cfg__err(w, n, NULL, "invalid seed \"%s\": port must be 1..65535",
                     cfg__q(p, len, q, sizeof(q)));
            return false;
        }
        s->port = port;
    }
    return true;
}

static void walk_seed(struct cfg_walk *w, struct cfg_node *item)
{
    struct cfg_seed *s = &w->cfg->aerospike.seeds[w->cfg->aerospike.n_seeds++];
    struct cfg_node *host, *val;
    char q[CFG_Q_LEN];

    w->seed = s;
    s->pos = (struct cfg_pos){w->file, item->line, item->col};
    apply_defaults(w, CFG_S_SEED);
    if (item->kind == CFG_N_SCALAR) {
        split_host_port(w, item, s);
    } else if (item->kind == CFG_N_MAP && item->n == 1) {
        host = item->pairs[0].key;
        val = item->pairs[0].val;
        s->host = wstr(w, host);
        if (s->host && !s->host[0])
            cfg__err(w, host, NULL, "empty host name");
        if (val->kind == CFG_N_MAP)
            walk_map(w, val, "aerospike.seeds[].*", host);
        else if (!cfg__is_null(val))
            cfg__err(w, val, NULL, "expected {port: ..., tls-name: ...} after the host, got %s",
                     cfg__kind_name(val));
    } else if (item->kind == CFG_N_MAP && cfg__map_get(item, "host") &&
               cfg__map_get(item, "host")->kind == CFG_N_SCALAR) {
        host = cfg__map_get(item, "host");
        cfg__err(w, item, NULL,
                 "a seed is the host as the key: write \"- %s: {port: ...}\" instead of "
                 "\"host:\" and \"port:\" keys",
                 cfg__q(host->s, host->len, q, sizeof(q)));
    } else if (item->kind == CFG_N_MAP) {
        cfg__err(w, item, NULL, "a seed map has exactly one key, the host: \"- db1: {port: 3000}\"");
    } else {
        cfg__err(w, item, NULL, "expected a host or \"host: {port: ...}\", got %s",
                 cfg__kind_name(item));
    }
    w->seed = NULL;
}

/* --- ignore-error-codes --- */

static void suggest_code(const char *text, char *out, size_t cap)
{
    /* the Java client's names people write (com.aerospike.client.ResultCode) */
    static const char *const java[] = {
        "KEY_NOT_FOUND_ERROR", "GENERATION_ERROR", "PARAMETER_ERROR", "KEY_EXISTS_ERROR",
        "BIN_EXISTS_ERROR", "SERVER_NOT_AVAILABLE", "BIN_TYPE_ERROR", "RECORD_TOO_BIG",
        "KEY_BUSY", "TIMEOUT", "DEVICE_OVERLOAD", "SERVER_FULL", "KEY_MISMATCH",
        "BIN_NAME_TOO_LONG", "FAIL_FORBIDDEN", "FILTERED_OUT", "LOST_CONFLICT"};
    const char *cands[320];
    size_t n = 0;
    const char *s;
    int rc;

    out[0] = '\0';
    for (size_t i = 0; i < ARRAY_LEN(java); i++)
        if (aero_rc_parse(java[i], &rc))
            cands[n++] = java[i];
    for (rc = -20; rc < 256 && n < ARRAY_LEN(cands); rc++)
        if ((s = aero_rc_name(rc)))
            cands[n++] = s;
    s = cfg__suggest(text, cands, n);
    if (s)
        snprintf(out, cap, " (did you mean \"%s\"?)", s);
}

static void walk_codes(struct cfg_walk *w, struct cfg_node *val)
{
    struct cfg_operation *op = &w->topic->op;
    size_t n = val->kind == CFG_N_SEQ ? val->n : 1;
    char q[CFG_Q_LEN], text[80], sug[96];

    if (val->kind == CFG_N_MAP) {
        cfg__err(w, val, NULL, "expected a list of result codes, got a map");
        return;
    }
    op->ignore_error_codes = walloc(w, n * sizeof(int), val);
    if (!op->ignore_error_codes)
        return;
    for (size_t i = 0; i < n; i++) {
        struct cfg_node *c = val->kind == CFG_N_SEQ ? val->items[i] : val;
        size_t saved = w->plen;
        int rc;
        if (val->kind == CFG_N_SEQ)
            cfg__path_push_index(w, i);
        snprintf(text, sizeof(text), "%.*s", (int)MIN(c->len, sizeof(text) - 1), c->s);
        if (c->kind != CFG_N_SCALAR) {
            cfg__err(w, c, NULL, "expected a result code (number or name), got %s",
                     cfg__kind_name(c));
        } else if (c->len >= sizeof(text) || memchr(c->s, 0, c->len) || !aero_rc_parse(text, &rc)) {
            suggest_code(text, sug, sizeof(sug));
            cfg__err(w, c, NULL, "unknown result code \"%s\"%s", cfg__q(c->s, c->len, q, sizeof(q)),
                     sug);
        } else if (rc == 0) {
            cfg__warn(w, c, NULL, "result code 0 is success already");
        } else {
            op->ignore_error_codes[op->n_ignore_error_codes++] = rc;
        }
        cfg__path_pop(w, saved);
    }
}

/* --- entry points --- */

static long cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : n;
}

static struct cfg *build(struct cfg_doc *doc, unsigned flags, struct cfg_diags *d)
{
    struct cfg_walk w;
    struct cfg_arena *a = cfg__arena_new(CFG_ARENA_LIMIT);
    struct cfg_node *root = doc->root;

    memset(&w, 0, sizeof(w));
    w.d = d;
    w.flags = flags;
    w.arena = a;
    w.cfg = a ? cfg__arena_alloc(a, sizeof(struct cfg)) : NULL;
    if (!w.cfg) {
        cfg__arena_free(a);
        cfg_diag_add(d, CFG_SEV_ERROR, doc->name, 0, 0, "", "out of memory");
        return NULL;
    }
    w.cfg->arena = a;
    w.cfg->file = cfg__arena_strdup(a, doc->name);
    w.file = w.cfg->file;
    apply_defaults(&w, CFG_S_ROOT);
    w.cfg->processing_threads = cpu_count();
    if (root->kind == CFG_N_NULL) {
        cfg__err(&w, root, NULL, "the file is empty: it needs \"aerospike:\" and \"topics:\"");
        return w.cfg;
    }
    if (root->kind != CFG_N_MAP) {
        cfg__err(&w, root, NULL, "expected a map with \"aerospike:\" and \"topics:\", got %s",
                 cfg__kind_name(root));
        return w.cfg;
    }
    walk_map(&w, root, "", NULL);
    if (w.oom)
        return w.cfg;
    cfg__rules_aerospike(&w, cfg__map_get(root, "aerospike"));
    if (flags & CFG_LOAD_READ_FILES)
        cfg__read_files(&w, root);
    return w.cfg;
}

struct cfg *cfg_load_text(const char *text, size_t len, const char *name, unsigned flags,
                          struct cfg_diags *d)
{
    struct cfg_diags local = CFG_DIAGS_INIT;
    struct cfg_diags *dd = d ? d : &local;
    size_t errors = dd->errors;
    bool json;
    struct cfg_doc *doc;
    struct cfg *c = NULL;

    if (!name)
        name = "<config>";
    json = (flags & CFG_LOAD_JSON) ||
           (!(flags & CFG_LOAD_YAML) && cfg__looks_like_json(name, text, len));
    doc = cfg__parse(text, len, name, json, dd);
    if (doc) {
        c = build(doc, flags, dd);
        cfg__doc_free(doc);
    }
    cfg_diags_sort(dd);
    if (dd->errors > errors && !(flags & CFG_LOAD_PARTIAL)) {
        cfg_free(c);
        c = NULL;
    }
    cfg_diags_free(&local);
    return c;
}

char *cfg_read_file(const char *path, size_t *len, struct err *e)
{
    struct stat st;
    /* O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; it is refused
     * below. Reads of a regular file are unaffected. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    char *buf = NULL;
    size_t got = 0;

    if (fd < 0) {
        err_set(e, ST_IO, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err_set(e, ST_IO, "%s", S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
        goto fail;
    }
    if ((uint64_t)st.st_size > CFG_MAX_FILE_BYTES) {
        err_set(e, ST_TOO_BIG, "file is %lld bytes (at most %u)", (long long)st.st_size,
                CFG_MAX_FILE_BYTES);
        goto fail;
    }
    buf = mem_malloc((size_t)st.st_size + 1);
    if (!buf) {
        err_set(e, ST_NOMEM, "out of memory");
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err_set(e, ST_IO, "read: %s", strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;   /* shrank meanwhile: take what is there */
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fd);
    if (len)
        *len = got;
    return buf;
fail:
    mem_free(buf);
    close(fd);
    return NULL;
}

struct cfg *cfg_load_file(const char *path, unsigned flags, struct cfg_diags *d)
{
    struct err e = {0};
    size_t len = 0;
    char *text = cfg_read_file(path, &len, &e);
    struct cfg *c;

    if (!text) {
        cfg_diag_add(d, CFG_SEV_ERROR, path, 0, 0, "", "%s", e.msg);
        return NULL;
    }
    c = cfg_load_text(text, len, path, flags, d);
    mem_free(text);
    return c;
}

void cfg_free(struct cfg *c)
{
    if (c)
        cfg__arena_free(c->arena);   /* c lives in its arena */
}

const struct cfg_topic *cfg_topic_find(const struct cfg *c, const char *name)
{
    for (size_t i = 0; c && i < c->n_topics; i++)
        if (strcmp(c->topics[i].name, name) == 0)
            return &c->topics[i];
    return NULL;
}

bool cfg__valid_topic_name(const char *s, size_t n)
{
    if (n == 0 || n > 249 || (n == 1 && s[0] == '.') || (n == 2 && memcmp(s, "..", 2) == 0))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}
