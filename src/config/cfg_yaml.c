/* src/config/cfg_yaml.c: YAML text -> document tree, with libyaml's event parser.
 *
 * Every node keeps its 1-based line and column. Bounded: CFG_MAX_FILE_BYTES of input,
 * CFG_MAX_DEPTH levels, CFG_MAX_NODES nodes counting alias expansions, CFG_MAX_SCALAR_BYTES
 * per value and 4 x CFG_MAX_FILE_BYTES of scalar text in total (so "billion laughs" stops
 * early). Anchors and aliases are resolved by copying the anchored node (an alias to an
 * anchor that is not finished yet is an error); YAML 1.1 merge keys (`<<: *defaults`) are
 * supported, explicit keys win. Duplicate keys, several documents and complex keys are
 * errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_int.h"

struct anchor {
    const char *name;
    struct cfg_node *node;
};

struct frame {
    struct cfg_node *node;
    struct cfg_node *key;        /* MAP: key waiting for its value */
    const char *anchor;          /* registered when the container ends */
};

struct yload {
    struct cfg_doc *doc;
    struct cfg_diags *d;
    struct frame stack[CFG_MAX_DEPTH + 1];
    size_t depth;
    struct anchor *anchors;
    size_t n_anchors, cap_anchors;
    struct cfg_budget budget;
    bool failed;
    int docs;
};

static void yerr(struct yload *y, int line, int col, const char *fmt, ...) PRINTF_LIKE(4, 5);
static void yerr(struct yload *y, int line, int col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (y->failed)
        return;   /* one structural error per file: the rest would be noise */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(y->d, CFG_SEV_ERROR, y->doc->name, line, col, "", "%s", msg);
    y->failed = true;
}

static void oom(struct yload *y, int line, int col)
{
    yerr(y, line, col, "out of memory while reading the file");
}

static bool count_node(struct yload *y, int line, int col)
{
    if (++y->budget.nodes > CFG_MAX_NODES) {
        yerr(y, line, col, "more than %d values (maps, lists and scalars, aliases expanded)",
             CFG_MAX_NODES);
        return false;
    }
    return true;
}

static bool count_bytes(struct yload *y, size_t n, int line, int col)
{
    y->budget.bytes += n;
    if (y->budget.bytes > 4 * (size_t)CFG_MAX_FILE_BYTES) {
        yerr(y, line, col, "aliases expand to more than %u bytes of text",
             4 * CFG_MAX_FILE_BYTES);
        return false;
    }
    return true;
}

static int mline(yaml_mark_t m)
{
    return (int)MIN(m.line + 1, (size_t)INT32_MAX);
}

static int mcol(yaml_mark_t m)
{
    return (int)MIN(m.column + 1, (size_t)INT32_MAX);
}

/* Height of a subtree (1 for a scalar). Bounded by CFG_MAX_DEPTH by construction. */
static size_t height(const struct cfg_node *n)
{
    size_t h = 0;

    if (n->kind == CFG_N_MAP) {
        for (size_t i = 0; i < n->n; i++)
            h = MAX(h, height(n->pairs[i].val));
    } else if (n->kind == CFG_N_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            h = MAX(h, height(n->items[i]));
    }
    return h + 1;
}

/* Deep copy for an alias. Scalar text is shared (immutable), structure is copied. */
static struct cfg_node *copy_node(struct yload *y, const struct cfg_node *src, int line, int col)
{
    struct cfg_arena *a = y->doc->arena;
    struct cfg_node *n;

    if (!count_node(y, line, col) || !count_bytes(y, src->len, line, col))
        return NULL;
    n = cfg__node_new(a, src->kind, src->line, src->col);
    if (!n) {
        oom(y, line, col);
        return NULL;
    }
    n->quoted = src->quoted;
    n->s = src->s;
    n->len = src->len;
    if (src->kind == CFG_N_MAP) {
        for (size_t i = 0; i < src->n; i++) {
            struct cfg_node *v = copy_node(y, src->pairs[i].val, line, col);
            if (!v)
                return NULL;
            if (!cfg__map_add(a, n, src->pairs[i].key, v)) {   /* keys are scalars: share */
                oom(y, line, col);
                return NULL;
            }
        }
    } else if (src->kind == CFG_N_SEQ) {
        for (size_t i = 0; i < src->n; i++) {
            struct cfg_node *v = copy_node(y, src->items[i], line, col);
            if (!v)
                return NULL;
            if (!cfg__seq_add(a, n, v)) {
                oom(y, line, col);
                return NULL;
            }
        }
    }
    return n;
}

static void add_anchor(struct yload *y, const char *name, struct cfg_node *n)
{
    struct cfg_arena *a = y->doc->arena;

    if (y->n_anchors == y->cap_anchors) {
        size_t ncap = y->cap_anchors ? y->cap_anchors * 2 : 8;
        struct anchor *na = cfg__arena_alloc(a, ncap * sizeof(*na));
        if (!na) {
            oom(y, n->line, n->col);
            return;
        }
        if (y->n_anchors)
            memcpy(na, y->anchors, y->n_anchors * sizeof(*na));
        y->anchors = na;
        y->cap_anchors = ncap;
    }
    y->anchors[y->n_anchors].name = name;
    y->anchors[y->n_anchors].node = n;
    y->n_anchors++;
}

static struct cfg_node *find_anchor(struct yload *y, const char *name)
{
    for (size_t i = y->n_anchors; i-- > 0;)   /* a redefined anchor: the latest wins */
        if (strcmp(y->anchors[i].name, name) == 0)
            return y->anchors[i].node;
    return NULL;
}

static bool key_eq(const struct cfg_node *a, const struct cfg_node *b)
{
    return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

static bool is_merge_key(const struct cfg_node *k)
{
    return !k->quoted && k->len == 2 && memcmp(k->s, "<<", 2) == 0;
}

struct merge_entry {
    struct cfg_pair pair;
    size_t order;        /* explicit pairs first, then each merged map in turn */
    bool drop;
};

static int cmp_entry(const void *x, const void *y)
{
    const struct merge_entry *a = x, *b = y;
    size_t l = MIN(a->pair.key->len, b->pair.key->len);
    int c = memcmp(a->pair.key->s, b->pair.key->s, l);

    if (c)
        return c;
    if (a->pair.key->len != b->pair.key->len)
        return a->pair.key->len < b->pair.key->len ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

static int cmp_order(const void *x, const void *y)
{
    const struct merge_entry *a = x, *b = y;
    return (a->order > b->order) - (a->order < b->order);
}

/* Resolve `<<` keys: pairs of the merged maps are added unless the key is already there
 * (explicit keys and earlier merges win). Sorting keeps this O(n log n) on big maps.
 * Duplicate explicit keys are left for the duplicate check. */
static void resolve_merges(struct yload *y, struct cfg_node *map)
{
    struct cfg_arena *a = y->doc->arena;
    struct cfg_node **merged;
    struct merge_entry *e;
    size_t n_merged = 0, total, n_explicit, k = 0;

    for (size_t i = 0; i < map->n; i++)
        if (is_merge_key(map->pairs[i].key))
            n_merged += map->pairs[i].val->kind == CFG_N_SEQ ? map->pairs[i].val->n : 1;
    if (n_merged == 0)
        return;
    merged = cfg__arena_alloc(a, n_merged * sizeof(*merged));
    if (!merged) {
        oom(y, map->line, map->col);
        return;
    }
    n_merged = 0;
    for (size_t i = 0; i < map->n;) {
        struct cfg_pair *p = &map->pairs[i];
        if (!is_merge_key(p->key)) {
            i++;
            continue;
        }
        if (p->val->kind == CFG_N_MAP) {
            merged[n_merged++] = p->val;
        } else if (p->val->kind == CFG_N_SEQ) {
            for (size_t j = 0; j < p->val->n; j++) {
                if (p->val->items[j]->kind != CFG_N_MAP) {
                    yerr(y, p->val->items[j]->line, p->val->items[j]->col,
                         "'<<' (merge key) takes a map or a list of maps");
                    return;
                }
                merged[n_merged++] = p->val->items[j];
            }
        } else {
            yerr(y, p->key->line, p->key->col, "'<<' (merge key) takes a map or a list of maps");
            return;
        }
        cfg__map_remove(map, i);
    }
    n_explicit = total = map->n;
    for (size_t m = 0; m < n_merged; m++)
        total += merged[m]->n;
    e = cfg__arena_alloc(a, (total ? total : 1) * sizeof(*e));
    if (!e) {
        oom(y, map->line, map->col);
        return;
    }
    for (size_t i = 0; i < n_explicit; i++, k++)
        e[k] = (struct merge_entry){map->pairs[i], k, false};
    for (size_t m = 0; m < n_merged; m++)
        for (size_t j = 0; j < merged[m]->n; j++, k++)
            e[k] = (struct merge_entry){merged[m]->pairs[j], k, false};
    qsort(e, total, sizeof(*e), cmp_entry);
    for (size_t i = 0; i < total;) {
        size_t j = i + 1;
        while (j < total && key_eq(e[j].pair.key, e[i].pair.key))
            j++;
        /* e[i..j) share a key, in file order: keep the explicit ones, else the first merged */
        for (size_t t = i; t < j; t++)
            e[t].drop = e[t].order >= n_explicit && (t > i || e[i].order < n_explicit);
        i = j;
    }
    qsort(e, total, sizeof(*e), cmp_order);
    map->n = 0;
    for (size_t i = 0; i < total; i++) {
        if (e[i].drop)
            continue;
        if (!cfg__map_add(a, map, e[i].pair.key, e[i].pair.val)) {
            oom(y, map->line, map->col);
            return;
        }
    }
}

static int cmp_pair_key(const void *x, const void *y)
{
    const struct cfg_pair *const *a = x, *const *b = y;
    size_t l = MIN((*a)->key->len, (*b)->key->len);
    int c = memcmp((*a)->key->s, (*b)->key->s, l);
    if (c)
        return c;
    if ((*a)->key->len != (*b)->key->len)
        return (*a)->key->len < (*b)->key->len ? -1 : 1;
    /* same key: earlier position first */
    if ((*a)->key->line != (*b)->key->line)
        return (*a)->key->line < (*b)->key->line ? -1 : 1;
    return ((*a)->key->col > (*b)->key->col) - ((*a)->key->col < (*b)->key->col);
}

/* Duplicate keys are an error (YAML and JSON both say keys are unique; a silent "last wins"
 * would hide a mistake). Shared with the JSON reader. */
bool cfg__check_duplicates(struct cfg_arena *a, const struct cfg_node *map, const char *name,
                           struct cfg_diags *d);
bool cfg__check_duplicates(struct cfg_arena *a, const struct cfg_node *map, const char *name,
                           struct cfg_diags *d)
{
    const struct cfg_pair **v;

    if (map->n < 2)
        return true;
    v = cfg__arena_alloc(a, map->n * sizeof(*v));
    if (!v)
        return true;   /* cannot check; not a reason to refuse the file */
    for (size_t i = 0; i < map->n; i++)
        v[i] = &map->pairs[i];
    qsort(v, map->n, sizeof(*v), cmp_pair_key);
    for (size_t i = 1; i < map->n; i++) {
        if (key_eq(v[i - 1]->key, v[i]->key)) {
            const struct cfg_node *k = v[i]->key;
            cfg_diag_add(d, CFG_SEV_ERROR, name, k->line, k->col, "",
                         "duplicate key \"%.*s\" (first at line %d)", (int)MIN(k->len, 200),
                         k->s, v[i - 1]->key->line);
            return false;
        }
    }
    return true;
}

/* A finished node goes into its parent (or becomes the root). */
static void attach(struct yload *y, struct cfg_node *n)
{
    struct frame *f;

    if (y->depth == 0) {
        y->doc->root = n;
        return;
    }
    f = &y->stack[y->depth - 1];
    if (f->node->kind == CFG_N_SEQ) {
        if (!cfg__seq_add(y->doc->arena, f->node, n))
            oom(y, n->line, n->col);
        return;
    }
    if (!f->key) {
        if (n->kind == CFG_N_MAP || n->kind == CFG_N_SEQ) {
            yerr(y, n->line, n->col, "a map key must be a single value, not %s",
                 cfg__kind_name(n));
            return;
        }
        n->kind = CFG_N_SCALAR;   /* `~:` or `null:` as a key is the text "~"/"null" */
        f->key = n;
        return;
    }
    if (!cfg__map_add(y->doc->arena, f->node, f->key, n))
        oom(y, n->line, n->col);
    f->key = NULL;
}

static bool is_null_scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    const char *tag = (const char *)ev->data.scalar.tag;

    if (tag && strcmp(tag, YAML_NULL_TAG) == 0)
        return true;
    if (tag || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *keep_anchor(struct yload *y, const yaml_char_t *anchor)
{
    return anchor ? cfg__arena_strdup(y->doc->arena, (const char *)anchor) : NULL;
}

static void on_scalar(struct yload *y, const yaml_event_t *ev)
{
    int line = mline(ev->start_mark), col = mcol(ev->start_mark);
    size_t len = ev->data.scalar.length;
    struct cfg_node *n;
    const char *tag = (const char *)ev->data.scalar.tag;

    if (!count_node(y, line, col))
        return;
    if (len > CFG_MAX_SCALAR_BYTES) {
        yerr(y, line, col, "value is %zu bytes long (at most %d)", len, CFG_MAX_SCALAR_BYTES);
        return;
    }
    if (!count_bytes(y, len, line, col))
        return;
    n = cfg__node_new(y->doc->arena, is_null_scalar(ev) ? CFG_N_NULL : CFG_N_SCALAR, line, col);
    if (!n || !(n->s = cfg__arena_strndup(y->doc->arena, (const char *)ev->data.scalar.value, len))) {
        oom(y, line, col);
        return;
    }
    n->len = len;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                (tag && strcmp(tag, YAML_STR_TAG) == 0);
    if (ev->data.scalar.anchor) {
        const char *an = keep_anchor(y, ev->data.scalar.anchor);
        if (!an) {
            oom(y, line, col);
            return;
        }
        add_anchor(y, an, n);
    }
    attach(y, n);
}

static void on_alias(struct yload *y, const yaml_event_t *ev)
{
    int line = mline(ev->start_mark), col = mcol(ev->start_mark);
    const char *name = (const char *)ev->data.alias.anchor;
    struct cfg_node *src = find_anchor(y, name);
    struct cfg_node *n;

    if (!src) {
        yerr(y, line, col, "alias *%s: no finished anchor &%s before it", name, name);
        return;
    }
    if (y->depth + height(src) > CFG_MAX_DEPTH) {
        yerr(y, line, col, "alias *%s nests deeper than %d levels", name, CFG_MAX_DEPTH);
        return;
    }
    n = copy_node(y, src, line, col);
    if (n)
        attach(y, n);
}

static void on_start(struct yload *y, const yaml_event_t *ev, enum cfg_nkind kind)
{
    int line = mline(ev->start_mark), col = mcol(ev->start_mark);
    const yaml_char_t *anchor = kind == CFG_N_MAP ? ev->data.mapping_start.anchor
                                                  : ev->data.sequence_start.anchor;
    struct cfg_node *n;

    if (y->depth >= CFG_MAX_DEPTH) {
        yerr(y, line, col, "nesting deeper than %d levels", CFG_MAX_DEPTH);
        return;
    }
    if (!count_node(y, line, col))
        return;
    n = cfg__node_new(y->doc->arena, kind, line, col);
    if (!n) {
        oom(y, line, col);
        return;
    }
    y->stack[y->depth].node = n;
    y->stack[y->depth].key = NULL;
    y->stack[y->depth].anchor = keep_anchor(y, anchor);
    y->depth++;
}

static void on_end(struct yload *y)
{
    struct frame *f;

    if (y->depth == 0)
        return;
    f = &y->stack[--y->depth];
    if (f->node->kind == CFG_N_MAP) {
        resolve_merges(y, f->node);
        if (!y->failed && !cfg__check_duplicates(y->doc->arena, f->node, y->doc->name, y->d))
            y->failed = true;
    }
    if (y->failed)
        return;
    if (f->anchor)
        add_anchor(y, f->anchor, f->node);
    attach(y, f->node);
}

/* The character at 0-based (line, column in characters), or 0. */
static char char_at(const char *text, size_t len, size_t line, size_t column)
{
    size_t i = 0;

    for (size_t l = 0; l < line && i < len; i++)
        if (text[i] == '\n')
            l++;
    for (size_t c = 0; c < column && i < len && text[i] != '\n'; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            c++;
    while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
        i++;
    return i < len ? text[i] : 0;
}

static void syntax_error(struct yload *y, const yaml_parser_t *p, const char *text, size_t len)
{
    const char *problem = p->problem ? p->problem : "unknown problem";
    int line = mline(p->problem_mark), col = mcol(p->problem_mark);

    if (p->error == YAML_SCANNER_ERROR &&
        char_at(text, len, p->problem_mark.line, p->problem_mark.column) == '\t') {
        yerr(y, line, col, "YAML syntax error: a tab; YAML indents with spaces only");
        return;
    }

    if (p->error == YAML_MEMORY_ERROR) {
        oom(y, line, col);
        return;
    }
    if (p->error == YAML_READER_ERROR) {   /* bad bytes: problem_offset is a byte offset */
        yerr(y, line, col, "not valid UTF-8 text (%s at byte %zu)", problem, p->problem_offset);
        return;
    }
    if (p->context)
        yerr(y, line, col, "YAML syntax error: %s (%s at line %d, column %d)", problem,
             p->context, mline(p->context_mark), mcol(p->context_mark));
    else
        yerr(y, line, col, "YAML syntax error: %s", problem);
}

static void on_event(struct yload *y, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++y->docs > 1)
            yerr(y, mline(ev->start_mark), mcol(ev->start_mark),
                 "a second YAML document ('---'): put everything in one document");
        break;
    case YAML_SCALAR_EVENT:
        on_scalar(y, ev);
        break;
    case YAML_ALIAS_EVENT:
        on_alias(y, ev);
        break;
    case YAML_MAPPING_START_EVENT:
        on_start(y, ev, CFG_N_MAP);
        break;
    case YAML_SEQUENCE_START_EVENT:
        on_start(y, ev, CFG_N_SEQ);
        break;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        on_end(y);
        break;
    default:
        break;
    }
}

static struct cfg_doc *doc_new(const char *name)
{
    struct cfg_arena *a = cfg__arena_new(0);
    struct cfg_doc *doc = a ? cfg__arena_alloc(a, sizeof(*doc)) : NULL;

    if (!doc) {
        cfg__arena_free(a);
        return NULL;
    }
    doc->arena = a;
    doc->name = cfg__arena_strdup(a, name ? name : "<config>");
    if (!doc->name) {
        cfg__arena_free(a);
        return NULL;
    }
    return doc;
}

/* Shared with the JSON reader. */
struct cfg_doc *cfg__doc_new(const char *name);
struct cfg_doc *cfg__doc_new(const char *name)
{
    return doc_new(name);
}

struct cfg_doc *cfg__parse_yaml(const char *text, size_t len, const char *name,
                                struct cfg_diags *d)
{
    struct yload y;
    yaml_parser_t parser;
    yaml_event_t ev;
    bool done = false;

    memset(&y, 0, sizeof(y));
    y.d = d;
    y.doc = doc_new(name);
    if (!y.doc) {
        cfg_diag_add(d, CFG_SEV_ERROR, name, 0, 0, "", "out of memory");
        return NULL;
    }
    if (len > CFG_MAX_FILE_BYTES) {
        yerr(&y, 0, 0, "file is %zu bytes (at most %u)", len, CFG_MAX_FILE_BYTES);
        cfg__doc_free(y.doc);
        return NULL;
    }
    if (!yaml_parser_initialize(&parser)) {
        yerr(&y, 0, 0, "out of memory");
        cfg__doc_free(y.doc);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done && !y.failed) {
        if (!yaml_parser_parse(&parser, &ev)) {
            syntax_error(&y, &parser, text, len);
            break;
        }
        on_event(&y, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (y.failed) {
        cfg__doc_free(y.doc);
        return NULL;
    }
    if (!y.doc->root) {   /* empty file or comments only */
        y.doc->root = cfg__node_new(y.doc->arena, CFG_N_NULL, 1, 1);
        if (!y.doc->root) {
            cfg_diag_add(d, CFG_SEV_ERROR, name, 0, 0, "", "out of memory");
            cfg__doc_free(y.doc);
            return NULL;
        }
    }
    return y.doc;
}
