/* src/convert/doc.c: the reusable document (flat pre-order node array), its scratch arena,
 * duplicate-key removal, subtree hashing/equality and a debug rendering. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "convert/convert_int.h"

/* --- Arena --- */

static bool arena_new_chunk(struct conv__arena *a, size_t need)
{
    size_t cap = a->nchunks ? a->cap[a->nchunks - 1] * 2 : 4096;

    if (a->nchunks == CONV__ARENA_CHUNKS)
        return false;
    while (cap < need)
        cap *= 2;
    a->chunk[a->nchunks] = mem_malloc(cap);
    if (!a->chunk[a->nchunks])
        return false;
    a->cap[a->nchunks++] = cap;
    return true;
}

void *conv__arena_alloc(struct conv__arena *a, size_t n)
{
    void *p;

    if (a->nchunks && a->cap[a->cur] - a->used >= n) {
        p = a->chunk[a->cur] + a->used;
        a->used += n;
        return p;
    }
    /* move on to a later chunk that fits, or add one */
    while (a->cur + 1 < a->nchunks) {
        a->cur++;
        a->used = 0;
        if (a->cap[a->cur] >= n) {
            a->used = n;
            return a->chunk[a->cur];
        }
    }
    if (!arena_new_chunk(a, n ? n : 1))
        return NULL;
    a->cur = a->nchunks - 1;
    a->used = n;
    return a->chunk[a->cur];
}

void conv__arena_trim(struct conv__arena *a, const void *p, size_t had, size_t keep)
{
    if (a->nchunks && (const uint8_t *)p + had == a->chunk[a->cur] + a->used)
        a->used -= had - keep;
}

void conv__arena_reset(struct conv__arena *a)
{
    if (a->nchunks > 1) {
        /* the last round spilled: replace all chunks by one that holds them all */
        size_t total = 0;
        for (uint32_t i = 0; i < a->nchunks; i++)
            total += a->cap[i];
        conv__arena_free(a);
        a->chunk[0] = mem_malloc(total);
        if (a->chunk[0]) {
            a->cap[0] = total;
            a->nchunks = 1;
        }
    }
    a->cur = 0;
    a->used = 0;
}

void conv__arena_free(struct conv__arena *a)
{
    for (uint32_t i = 0; i < a->nchunks; i++)
        mem_free(a->chunk[i]);
    memset(a, 0, sizeof(*a));
}

/* --- Document --- */

struct conv_doc *conv_doc_new(void)
{
    struct conv_doc *d = mem_calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    d->lim.max_depth = CONV_DEFAULT_MAX_DEPTH;
    d->lim.max_nodes = CONV_DEFAULT_MAX_NODES;
    d->lim.max_input = CONV_DEFAULT_MAX_INPUT;
    if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) != (ssize_t)sizeof(d->seed))
        d->seed = (uint64_t)(uintptr_t)d ^ (uint64_t)time(NULL) << 20;   /* still unknown to a sender */
    return d;
}

void conv_doc_free(struct conv_doc *d)
{
    if (!d)
        return;
    mem_free(d->nodes);
    mem_free(d->hash);
    conv__arena_free(&d->arena);
    mem_free(d);
}

void conv_doc_reset(struct conv_doc *d)
{
    d->n = 0;
    d->fail = ST_OK;
    d->dedupe_work = 0;
    d->key_work = 0;
    conv__arena_reset(&d->arena);
}

void conv_doc_set_limits(struct conv_doc *d, const struct conv_limits *lim)
{
    d->lim = *lim;
    if (d->lim.max_depth > CONV__MAX_DEPTH_CAP)
        d->lim.max_depth = CONV__MAX_DEPTH_CAP;
    if (d->lim.max_depth == 0)
        d->lim.max_depth = 1;
    if (d->lim.max_input > UINT32_MAX)
        d->lim.max_input = UINT32_MAX;   /* string/bytes lengths are 32-bit */
    d->room = MIN(d->cap, d->lim.max_nodes);
}

const struct conv_limits *conv_doc_limits(const struct conv_doc *d)
{
    return &d->lim;
}

enum status conv__grow(struct conv_doc *d)
{
    uint32_t cap = d->cap ? d->cap * 2 : 64;
    struct conv_value *nv;

    if (d->n >= d->lim.max_nodes) {
        d->fail = ST_TOO_BIG;
        return ST_TOO_BIG;
    }
    if (d->n < d->cap) {          /* limits were raised: room grows without allocating */
        d->room = MIN(d->cap, d->lim.max_nodes);
        return ST_OK;
    }
    if (cap > d->lim.max_nodes)
        cap = d->lim.max_nodes;
    nv = mem_realloc(d->nodes, (size_t)cap * sizeof(*nv));
    if (!nv) {
        d->fail = ST_NOMEM;
        return ST_NOMEM;
    }
    d->nodes = nv;
    d->cap = cap;
    d->room = MIN(d->cap, d->lim.max_nodes);
    return ST_OK;
}

enum status conv__add_error(struct conv_doc *d, const char *what, struct err *e)
{
    if (d->fail == ST_NOMEM)
        return err_set(e, ST_NOMEM, "%s: out of memory for %" PRIu32 " values", what, d->n);
    return err_set(e, ST_TOO_BIG, "%s: more than %" PRIu32 " values in one record", what,
                   d->lim.max_nodes);
}

const struct conv_value *conv_doc_root(const struct conv_doc *d)
{
    return d && d->n ? &d->nodes[0] : NULL;
}

const struct conv_value *conv_doc_node(const struct conv_doc *d, uint32_t index)
{
    return index < d->n ? &d->nodes[index] : NULL;
}

uint32_t conv_doc_index(const struct conv_doc *d, const struct conv_value *v)
{
    return (uint32_t)(v - d->nodes);
}

uint32_t conv_doc_count(const struct conv_doc *d)
{
    return d->n;
}

const struct conv_value *conv_first(const struct conv_doc *d, const struct conv_value *v)
{
    uint32_t i = conv_doc_index(d, v);

    if ((v->type != CONV_LIST && v->type != CONV_MAP) || v->next == i + 1)
        return NULL;
    return &d->nodes[i + 1];
}

const struct conv_value *conv_next(const struct conv_doc *d, const struct conv_value *v,
                                   const struct conv_value *parent)
{
    return v->next < parent->next ? &d->nodes[v->next] : NULL;
}

const struct conv_value *conv_map_get(const struct conv_doc *d, const struct conv_value *map,
                                      const char *key, size_t n)
{
    uint32_t i, end;

    if (!map || map->type != CONV_MAP)
        return NULL;
    end = map->next;
    for (i = conv_doc_index(d, map) + 1; i < end;) {
        const struct conv_value *k = &d->nodes[i];
        const struct conv_value *v = &d->nodes[k->next];
        if (k->type == CONV_STRING && k->s.n == n && memcmp(k->s.p, key, n) == 0)
            return v;
        i = v->next;
    }
    return NULL;
}

/* --- Subtree hash and equality --- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_bytes(const char *p, uint32_t n)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

static uint64_t node_payload(const struct conv_value *v)
{
    uint64_t bits;

    switch (v->type) {
    case CONV_BOOL: return v->b;
    case CONV_INT: return (uint64_t)v->i;
    case CONV_DOUBLE: memcpy(&bits, &v->d, 8); return bits;
    case CONV_STRING: case CONV_BYTES: case CONV__RAWNUM: return hash_bytes(v->s.p, v->s.n);
    default: return v->count;
    }
}

uint64_t conv__subtree_hash(const struct conv_doc *d, uint32_t i)
{
    uint64_t h = 0;
    uint32_t end = d->nodes[i].next;

    for (; i < end; i++)
        h = mix(mix(h, d->nodes[i].type), node_payload(&d->nodes[i]));
    return h;
}

static bool node_equal(const struct conv_value *x, const struct conv_value *y, bool float_bits)
{
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case CONV_NULL: return true;
    case CONV_BOOL: return x->b == y->b;
    case CONV_INT: return x->i == y->i;
    case CONV_DOUBLE: return float_bits ? memcmp(&x->d, &y->d, 8) == 0 : x->d == y->d;
    case CONV_STRING: case CONV_BYTES: case CONV__RAWNUM:
        return x->s.n == y->s.n && (x->s.n == 0 || memcmp(x->s.p, y->s.p, x->s.n) == 0);
    default: return x->count == y->count;
    }
}

bool conv__subtree_equal(const struct conv_doc *a, uint32_t ia, const struct conv_doc *b, uint32_t ib,
                         bool float_bits)
{
    uint32_t na = a->nodes[ia].next - ia, nb = b->nodes[ib].next - ib;

    if (na != nb)
        return false;
    for (uint32_t k = 0; k < na; k++) {
        const struct conv_value *x = &a->nodes[ia + k], *y = &b->nodes[ib + k];
        if (x->next - (ia + k) != y->next - (ib + k) || !node_equal(x, y, float_bits))
            return false;
    }
    return true;
}

bool conv_value_equal(const struct conv_doc *a, const struct conv_value *va,
                      const struct conv_doc *b, const struct conv_value *vb)
{
    if (!va || !vb)
        return va == vb;
    return conv__subtree_equal(a, conv_doc_index(a, va), b, conv_doc_index(b, vb), false);
}

/* --- Closing containers, duplicate keys --- */

/* Grow the scratch used by the hash path of dedupe() to @want entries. */
static enum status ensure_hash(struct conv_doc *d, uint32_t want)
{
    uint32_t *h;

    if (d->hash_cap >= want)
        return ST_OK;
    h = mem_realloc(d->hash, (size_t)want * sizeof(*h));
    if (!h)
        return ST_NOMEM;
    d->hash = h;
    d->hash_cap = want;
    return ST_OK;
}

/* The table slot of the key at @i: its subtree hash keyed by the document's random seed and
 * finalized (murmur3's fmix64), so that a sender cannot pick keys that share low bits and make
 * every probe sequence long. */
static uint32_t key_slot(const struct conv_doc *d, uint32_t i, uint32_t mask)
{
    uint64_t h = conv__subtree_hash(d, i) ^ d->seed;

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)h & mask;
}

/* Is there a later pair whose key equals the key at @k? Small maps: a scan. */
static bool key_repeats_later(const struct conv_doc *d, uint32_t k, uint32_t end)
{
    uint32_t i = d->nodes[d->nodes[k].next].next;

    while (i < end) {
        if (conv__subtree_equal(d, k, d, i, true))
            return true;
        i = d->nodes[d->nodes[i].next].next;
    }
    return false;
}

/* Remove the pairs whose key starts at an index listed in drop[0..ndrop) (ascending), shifting
 * the rest of the map down and fixing their next fields. */
static void drop_pairs(struct conv_doc *d, uint32_t idx, const uint32_t *drop, uint32_t ndrop)
{
    uint32_t end = d->n, w = idx + 1, r = idx + 1, di = 0;

    while (r < end) {
        uint32_t pair_end = d->nodes[d->nodes[r].next].next;
        if (di < ndrop && drop[di] == r) {
            di++;
        } else {
            uint32_t shift = r - w;
            if (shift) {
                for (uint32_t j = r; j < pair_end; j++)
                    d->nodes[j].next -= shift;
                memmove(&d->nodes[w], &d->nodes[r], (size_t)(pair_end - r) * sizeof(d->nodes[0]));
            }
            w += pair_end - r;
        }
        r = pair_end;
    }
    d->n = w;
}

static uint64_t str_sig(const struct conv_value *k)
{
    const uint8_t *p = (const uint8_t *)k->s.p;
    uint32_t n = k->s.n;
    return n ? (uint64_t)n | (uint64_t)p[0] << 32 | (uint64_t)p[n / 2] << 40 | (uint64_t)p[n - 1] << 48 : 0;
}

/* Maps of up to 32 single-node string keys (every JSON object): compare cheap signatures
 * first. Returns false when the keys are not all strings (use the general path). */
static bool dedupe_strings(struct conv_doc *d, uint32_t idx, uint32_t *count)
{
    uint32_t key[32], drop[32], nd = 0, k = 0, end = d->n;
    uint64_t sig[32];

    for (uint32_t i = idx + 1; i < end; i = d->nodes[d->nodes[i].next].next) {
        if (d->nodes[i].type != CONV_STRING)
            return false;
        key[k] = i;
        sig[k++] = str_sig(&d->nodes[i]);
    }
    for (uint32_t a = 0; a < k; a++)
        for (uint32_t b = a + 1; b < k; b++)
            if (sig[a] == sig[b] && memcmp(d->nodes[key[a]].s.p, d->nodes[key[b]].s.p, d->nodes[key[a]].s.n) == 0) {
                drop[nd++] = key[a];   /* a later pair has the same key */
                break;
            }
    if (nd) {
        drop_pairs(d, idx, drop, nd);
        *count -= nd;
    }
    return true;
}

static enum status dedupe(struct conv_doc *d, uint32_t idx, uint32_t *count)
{
    uint32_t end = d->n, nd = 0, slots, mask, *table, *drop;

    if (*count < 2)
        return ST_OK;
    if (*count <= 32 && dedupe_strings(d, idx, count))
        return ST_OK;
    if (*count <= 8) {
        uint32_t dl[8];
        for (uint32_t i = idx + 1; i < end; i = d->nodes[d->nodes[i].next].next)
            if (key_repeats_later(d, i, end))
                dl[nd++] = i;
        if (nd) {
            drop_pairs(d, idx, dl, nd);
            *count -= nd;
        }
        return ST_OK;
    }
    /* open addressing over pair-key indices: a key seen again replaces the earlier pair,
     * which will be dropped */
    for (slots = 16; slots < *count * 2; slots *= 2)
        ;
    if (ensure_hash(d, slots + *count) != ST_OK)
        return ST_NOMEM;
    table = d->hash;
    drop = d->hash + slots;
    mask = slots - 1;
    memset(table, 0xff, (size_t)slots * sizeof(*table));
    for (uint32_t i = idx + 1; i < end; i = d->nodes[d->nodes[i].next].next) {
        uint32_t s = key_slot(d, i, mask);
        while (d->dedupe_work++, table[s] != UINT32_MAX && !conv__subtree_equal(d, table[s], d, i, true))
            s = (s + 1) & mask;
        if (table[s] != UINT32_MAX)
            nd++;                           /* an earlier pair with this key loses */
        table[s] = i;
    }
    if (nd) {
        /* list the losers in pair order (drop_pairs wants them ascending; the order their keys
         * came again can be descending, and sorting that cost O(nd^2)): the table holds the
         * last pair of each key, every other pair loses */
        nd = 0;
        for (uint32_t i = idx + 1; i < end; i = d->nodes[d->nodes[i].next].next) {
            uint32_t s = key_slot(d, i, mask);
            while (d->dedupe_work++, !conv__subtree_equal(d, table[s], d, i, true))
                s = (s + 1) & mask;
            if (table[s] != i)
                drop[nd++] = i;
        }
        drop_pairs(d, idx, drop, nd);
        *count -= nd;
    }
    return ST_OK;
}

enum status conv__close(struct conv_doc *d, uint32_t idx, uint32_t count)
{
    if (d->nodes[idx].type == CONV_MAP && dedupe(d, idx, &count) != ST_OK) {
        d->fail = ST_NOMEM;
        return ST_NOMEM;
    }
    d->nodes[idx].next = d->n;
    d->nodes[idx].count = count;
    return ST_OK;
}

/* --- Rendering --- */

const char *conv_type_name(enum conv_type t)
{
    static const char *const names[] = {"null", "boolean", "integer", "double",
                                        "string", "bytes", "list", "map"};
    return (unsigned)t < ARRAY_LEN(names) ? names[t] : "?";
}

static enum status dump_rec(const struct conv_doc *d, uint32_t i, struct buf *out, unsigned depth)
{
    const struct conv_value *v = &d->nodes[i];
    enum status st = ST_OK;
    char *b64;

    if (depth > CONV__MAX_DEPTH_CAP + 2)
        return buf_append_str(out, "...");
    switch (v->type) {
    case CONV_NULL: return buf_append_str(out, "null");
    case CONV_BOOL: return buf_append_str(out, v->b ? "true" : "false");
    case CONV_INT: return buf_printf(out, "%" PRId64, v->i);
    case CONV_DOUBLE:
        if (isnan(v->d)) return buf_append_str(out, "NaN");
        if (isinf(v->d)) return buf_append_str(out, v->d > 0 ? "Infinity" : "-Infinity");
        return buf_printf(out, "%.17g", v->d);
    case CONV_STRING: return json_append_str(out, v->s.p, v->s.n);
    case CONV__RAWNUM: return buf_append(out, v->s.p, v->s.n);
    case CONV_BYTES:
        b64 = mem_malloc(base64_encoded_len(v->s.n) + 1);
        if (!b64)
            return ST_NOMEM;
        base64_encode((const uint8_t *)v->s.p, v->s.n, b64);
        st = buf_printf(out, "b64\"%.*s\"", (int)base64_encoded_len(v->s.n), b64);
        mem_free(b64);
        return st;
    case CONV_LIST:
    case CONV_MAP: {
        bool map = v->type == CONV_MAP;
        uint32_t k = 0;
        st = buf_put_u8(out, map ? '{' : '[');
        for (uint32_t c = i + 1; c < v->next && st == ST_OK; c = d->nodes[c].next, k++) {
            if (k)
                st = buf_put_u8(out, map && (k & 1) ? ':' : ',');
            if (st == ST_OK)
                st = dump_rec(d, c, out, depth + 1);
        }
        return st != ST_OK ? st : buf_put_u8(out, map ? '}' : ']');
    }
    default: return buf_append_str(out, "?");
    }
}

enum status conv_value_dump(const struct conv_doc *d, const struct conv_value *v, struct buf *out)
{
    if (!v)
        return buf_append_str(out, "(empty)");
    return dump_rec(d, conv_doc_index(d, v), out, 0);
}

/* --- Small helpers shared by the converters --- */

const char *conv__prop(const char *const *props, const char *key)
{
    const char *v = NULL;

    for (; props && props[0] && props[1]; props += 2)
        if (strcmp(props[0], key) == 0)
            v = props[1];   /* the last one wins, as in a properties file */
    return v;
}

bool conv__parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0)
        *out = true;
    else if (strcasecmp(s, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}
