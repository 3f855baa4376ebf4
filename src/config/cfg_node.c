/* src/config/cfg_node.c: arena, document tree helpers, UTF-8 helpers, parser dispatch. */
#include <string.h>
#include <strings.h>

#include "config_int.h"

/* --- Arena --- */

struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

struct cfg_arena {
    struct chunk *head;
    size_t total, limit;
};

#define CHUNK_DEFAULT 16384

struct cfg_arena *cfg__arena_new(size_t limit)
{
    struct cfg_arena *a = mem_calloc(1, sizeof(*a));
    if (a)
        a->limit = limit;
    return a;
}

void *cfg__arena_alloc(struct cfg_arena *a, size_t n)
{
    struct chunk *c;
    size_t need = (n + 15) & ~(size_t)15;

    if (!a || need < n)
        return NULL;
    if (need == 0)
        need = 16;
    c = a->head;
    if (!c || c->size - c->used < need) {
        size_t size = need > CHUNK_DEFAULT / 2 ? need : CHUNK_DEFAULT;
        if (a->limit && a->total + size > a->limit)
            return NULL;
        c = mem_malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        a->total += size;
        if (need > CHUNK_DEFAULT / 2 && a->head) {
            /* big block: keep the current chunk in front for small ones */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += need;
    memset(p, 0, need);
    return p;
}

char *cfg__arena_strndup(struct cfg_arena *a, const char *s, size_t n)
{
    char *p = cfg__arena_alloc(a, n + 1);
    if (p && n)
        memcpy(p, s, n);
    return p;
}

char *cfg__arena_strdup(struct cfg_arena *a, const char *s)
{
    return s ? cfg__arena_strndup(a, s, strlen(s)) : NULL;
}

void cfg__arena_free(struct cfg_arena *a)
{
    if (!a)
        return;
    for (struct chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        explicit_bzero(c->data, c->used);   /* password text lives here too */
        mem_free(c);
    }
    mem_free(a);
}

/* --- Nodes --- */

struct cfg_node *cfg__node_new(struct cfg_arena *a, enum cfg_nkind k, int line, int col)
{
    struct cfg_node *n = cfg__arena_alloc(a, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = k;
    n->line = line;
    n->col = col;
    n->s = "";
    return n;
}

static bool grow(struct cfg_arena *a, void **arr, size_t *cap, size_t n, size_t elem)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return true;
    ncap = *cap ? *cap * 2 : 4;
    p = cfg__arena_alloc(a, ncap * elem);
    if (!p)
        return false;
    if (n)
        memcpy(p, *arr, n * elem);
    *arr = p;
    *cap = ncap;
    return true;
}

bool cfg__map_add(struct cfg_arena *a, struct cfg_node *map, struct cfg_node *k, struct cfg_node *v)
{
    if (!grow(a, (void **)&map->pairs, &map->cap, map->n, sizeof(*map->pairs)))
        return false;
    map->pairs[map->n].key = k;
    map->pairs[map->n].val = v;
    map->n++;
    return true;
}

bool cfg__seq_add(struct cfg_arena *a, struct cfg_node *seq, struct cfg_node *v)
{
    if (!grow(a, (void **)&seq->items, &seq->cap, seq->n, sizeof(*seq->items)))
        return false;
    seq->items[seq->n++] = v;
    return true;
}

const struct cfg_pair *cfg__map_pair(const struct cfg_node *map, const char *key)
{
    if (!map || map->kind != CFG_N_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++) {
        const struct cfg_node *k = map->pairs[i].key;
        if (k->len == strlen(key) && memcmp(k->s, key, k->len) == 0)
            return &map->pairs[i];
    }
    return NULL;
}

struct cfg_node *cfg__map_get(const struct cfg_node *map, const char *key)
{
    const struct cfg_pair *p = cfg__map_pair(map, key);
    return p ? p->val : NULL;
}

void cfg__map_remove(struct cfg_node *map, size_t i)
{
    if (i >= map->n)
        return;
    memmove(&map->pairs[i], &map->pairs[i + 1], (map->n - i - 1) * sizeof(*map->pairs));
    map->n--;
}

struct cfg_node *cfg__node_at(const struct cfg_node *n, const char *dotted)
{
    char seg[128];

    while (n && *dotted) {
        const char *dot = strchr(dotted, '.');
        size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
        if (l >= sizeof(seg))
            return NULL;
        memcpy(seg, dotted, l);
        seg[l] = '\0';
        n = cfg__map_get(n, seg);
        dotted += l + (dot ? 1 : 0);
    }
    return (struct cfg_node *)n;
}

bool cfg__is_null(const struct cfg_node *n)
{
    return !n || n->kind == CFG_N_NULL;
}

const char *cfg__kind_name(const struct cfg_node *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case CFG_N_NULL: return "an empty value";
    case CFG_N_SCALAR: return "a single value";
    case CFG_N_MAP: return "a map";
    case CFG_N_SEQ: return "a list";
    }
    return "?";
}

/* --- UTF-8 --- */

size_t cfg__utf8_put(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t cfg__utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t l;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        l = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        l = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        l = 4, cp = c & 0x07;
    else
        return 0;
    if (n < l)
        return 0;
    for (size_t i = 1; i < l; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((l == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (l == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return l;
}

/* --- Dispatch --- */

bool cfg__looks_like_json(const char *name, const char *text, size_t len)
{
    size_t nl = name ? strlen(name) : 0;

    if (nl >= 5 && strcasecmp(name + nl - 5, ".json") == 0)
        return true;
    if (nl >= 4 && strcasecmp(name + nl - 4, ".yml") == 0)
        return false;
    if (nl >= 5 && strcasecmp(name + nl - 5, ".yaml") == 0)
        return false;
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    return i < len && text[i] == '{';
}

struct cfg_doc *cfg__parse(const char *text, size_t len, const char *name, bool json,
                           struct cfg_diags *d)
{
    return json ? cfg__parse_json(text, len, name, d) : cfg__parse_yaml(text, len, name, d);
}

void cfg__doc_free(struct cfg_doc *doc)
{
    if (doc)
        cfg__arena_free(doc->arena);   /* the doc itself lives in its arena */
}
