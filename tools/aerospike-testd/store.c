/* tools/aerospike-testd/store.c: namespaces, sets and records of aerospike-testd.
 * Records live in one open-addressing table per namespace keyed by the 20-byte digest
 * (uniformly random, so its first 8 bytes are the hash); deletion shifts back the cluster.
 * Expired records are invisible (td_rec_get removes them) and swept for counts. */
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "testd.h"

uint32_t td_now_cl(void)
{
    uint64_t s = clock_wall_ms() / 1000;
    return s > AERO_CITRUSLEAF_EPOCH ? (uint32_t)(s - AERO_CITRUSLEAF_EPOCH) : 0;
}

/* Slot tables of 4 MiB and more are mapped on their own and asked for transparent huge pages:
 * a lookup of a random digest in a table of a million records otherwise misses the TLB on
 * every probe (32 MiB of slots is 8192 small pages). Smaller tables come from the heap. */
#define SLOTS_MAP_MIN ((size_t)4 << 20)

static struct td_slot *slots_new(size_t cap)
{
    size_t bytes = cap * sizeof(struct td_slot);
    void *p;

    if (bytes < SLOTS_MAP_MIN)
        return mem_calloc(cap, sizeof(struct td_slot));
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, bytes, MADV_HUGEPAGE);    /* a hint: without THP the table still works */
    return p;
}

static void slots_free(struct td_slot *slots, size_t cap)
{
    size_t bytes = cap * sizeof(struct td_slot);

    if (bytes < SLOTS_MAP_MIN)
        mem_free(slots);
    else if (slots)
        munmap(slots, bytes);
}

int td_store_add_ns(struct td_store *st, const char *name, struct err *e)
{
    size_t n = strlen(name);
    struct td_ns *ns;

    if (n == 0 || n > AERO_NAMESPACE_MAX) {
        err_set(e, ST_USAGE, "namespace '%s': name must be 1..%d bytes", name, AERO_NAMESPACE_MAX);
        return -1;
    }
    if (td_store_ns(st, (const uint8_t *)name, n)) {
        err_set(e, ST_USAGE, "namespace '%s' given twice", name);
        return -1;
    }
    if (st->n_ns >= 2) {
        err_set(e, ST_USAGE, "too many namespaces (max is 2, like Community Edition)");
        return -1;
    }
    ns = &st->ns[st->n_ns];
    memset(ns, 0, sizeof(*ns));
    memcpy(ns->name, name, n);
    ns->default_ttl = 0;
    ns->nsup_period = 120;
    ns->max_record_size = AERO_DEFAULT_MAX_RECORD_SIZE;
    ns->rf = 2;
    ns->cap = 1024;
    ns->slots = slots_new(ns->cap);
    ns->sets = mem_calloc(TD_MAX_SETS + 1, sizeof(*ns->sets));
    ns->n_sets = 1;
    if (!ns->slots || !ns->sets) {
        slots_free(ns->slots, ns->cap);
        mem_free(ns->sets);
        err_set(e, ST_NOMEM, "namespace %s", name);
        return -1;
    }
    st->n_ns++;
    return 0;
}

struct td_ns *td_store_ns(struct td_store *st, const uint8_t *name, size_t len)
{
    for (int i = 0; i < st->n_ns; i++)
        if (strlen(st->ns[i].name) == len && memcmp(st->ns[i].name, name, len) == 0)
            return &st->ns[i];
    return NULL;
}

static void rec_free(struct td_rec *r)
{
    if (!r)
        return;
    if (!r->bins_inline)
        mem_free(r->bins);
    if (!r->key_inline)
        mem_free(r->key);
    mem_free(r);
}

void td_ns_truncate(struct td_ns *ns)
{
    size_t left = ns->count;

    for (size_t i = 0; i < ns->cap && left; i++) {
        if (ns->slots[i].rec) {
            rec_free(ns->slots[i].rec);
            ns->slots[i].rec = NULL;
            left--;
        }
    }
    ns->count = 0;
    ns->with_ttl = 0;
    for (uint32_t i = 0; i < ns->n_sets; i++)
        ns->sets[i].objects = 0;
    if (ns->cap > 4096) {              /* give a big table back */
        struct td_slot *small = slots_new(1024);
        if (small) {
            slots_free(ns->slots, ns->cap);
            ns->slots = small;
            ns->cap = 1024;
        }
    }
}

void td_store_free(struct td_store *st)
{
    for (int i = 0; i < st->n_ns; i++) {
        td_ns_truncate(&st->ns[i]);
        slots_free(st->ns[i].slots, st->ns[i].cap);
        mem_free(st->ns[i].sets);
    }
    st->n_ns = 0;
}

static uint64_t hash_of(const uint8_t *d)
{
    uint64_t h;
    memcpy(&h, d + 4, sizeof(h));   /* RIPEMD bytes are uniform */
    return h;
}

/* Fixed-size compare: inlined, where memcmp would be a library call per probe. */
static bool digest_eq(const uint8_t *a, const uint8_t *b)
{
    uint64_t a0, a1, b0, b1;
    uint32_t a2, b2;
    memcpy(&a0, a, 8);
    memcpy(&b0, b, 8);
    memcpy(&a1, a + 8, 8);
    memcpy(&b1, b + 8, 8);
    memcpy(&a2, a + 16, 4);
    memcpy(&b2, b + 16, 4);
    return ((a0 ^ b0) | (a1 ^ b1) | (uint64_t)(a2 ^ b2)) == 0;
}

/* Slot holding @d, or the empty slot ending its probe chain. A record is looked at only when
 * its stored hash matches, so a probe past other records costs no cache miss on them. */
static size_t find_slot(const struct td_ns *ns, const uint8_t *d, uint64_t h)
{
    size_t mask = ns->cap - 1, i = (size_t)(h & mask);
    const struct td_slot *sl = ns->slots;

    for (; sl[i].rec; i = (i + 1) & mask) {
        if (sl[i].hash != h)
            continue;
        /* Almost surely the record: fetch the lines after its header (stored key, bin
         * headers) together with the header rather than one miss after the other. */
        __builtin_prefetch((const uint8_t *)sl[i].rec + 64);
        __builtin_prefetch((const uint8_t *)sl[i].rec + 128);
        if (digest_eq(sl[i].rec->digest, d))
            break;
    }
    return i;
}

static bool grow(struct td_ns *ns)
{
    size_t old_cap = ns->cap, mask = old_cap * 2 - 1;
    struct td_slot *old = ns->slots;
    struct td_slot *slots = slots_new(old_cap * 2);

    if (!slots)
        return false;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].rec)
            continue;
        size_t j = (size_t)(old[i].hash & mask);   /* digests are distinct: first free slot */
        while (slots[j].rec)
            j = (j + 1) & mask;
        slots[j] = old[i];
    }
    ns->slots = slots;
    ns->cap = old_cap * 2;
    slots_free(old, old_cap);
    return true;
}

static void unlink_slot(struct td_ns *ns, size_t i)
{
    size_t j = i, mask = ns->cap - 1;
    struct td_slot *sl = ns->slots;

    sl[i].rec = NULL;
    for (;;) {          /* backward-shift deletion keeps probe chains intact */
        j = (j + 1) & mask;
        if (!sl[j].rec)
            return;
        size_t k = (size_t)(sl[j].hash & mask);
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            sl[i] = sl[j];
            sl[j].rec = NULL;
            i = j;
        }
    }
}

static void drop(struct td_ns *ns, size_t i)
{
    struct td_rec *r = ns->slots[i].rec;

    if (r->set_id && ns->sets[r->set_id].objects)
        ns->sets[r->set_id].objects--;
    if (r->void_time)
        ns->with_ttl--;
    ns->count--;
    unlink_slot(ns, i);
    rec_free(r);
}

static bool expired(const struct td_rec *r, uint32_t now)
{
    return r->void_time != 0 && r->void_time <= now;
}

struct td_rec *td_rec_get(struct td_ns *ns, const uint8_t digest[AERO_DIGEST_SZ], uint32_t now)
{
    size_t i = find_slot(ns, digest, hash_of(digest));
    struct td_rec *r = ns->slots[i].rec;

    if (r && expired(r, now)) {
        ns->expired++;
        drop(ns, i);
        return NULL;
    }
    if (r && !r->bins_inline)    /* its own block: start fetching it now too */
        __builtin_prefetch(r->bins);
    return r;
}

void td_rec_prefetch_slot(const struct td_ns *ns, const uint8_t digest[AERO_DIGEST_SZ])
{
    __builtin_prefetch(&ns->slots[hash_of(digest) & (ns->cap - 1)]);
}

#define PF_REC_LINES 8    /* 512 bytes: measured better than 3 or 5 lines on 8-bin records */

void td_rec_prefetch_rec(const struct td_ns *ns, const uint8_t digest[AERO_DIGEST_SZ])
{
    uint64_t h = hash_of(digest);
    size_t mask = ns->cap - 1, i = (size_t)(h & mask);
    const struct td_slot *sl = ns->slots;

    for (; sl[i].rec; i = (i + 1) & mask) {
        if (sl[i].hash == h) {
            /* The size is in the record itself, so fetch a fixed 512 bytes: header, key,
             * and bin headers and values of a typical record (8 bins of 20 bytes take 460). */
            for (int k = 0; k < PF_REC_LINES; k++)
                __builtin_prefetch((const uint8_t *)sl[i].rec + 64 * k);
            return;
        }
    }
}

struct td_rec *td_rec_insert(struct td_ns *ns, const uint8_t digest[AERO_DIGEST_SZ],
                             const uint8_t *key, uint32_t key_len, size_t bins_room)
{
    struct td_rec *r;
    uint64_t h = hash_of(digest);
    size_t key_room = (key_len + 7u) & ~(size_t)7, i;   /* keeps the bins 8-aligned */

    if (bins_room > UINT32_MAX || ((ns->count + 1) * 2 > ns->cap && !grow(ns)))
        return NULL;
    r = mem_malloc(sizeof(*r) + key_room + bins_room);
    if (!r)
        return NULL;
    memset(r, 0, sizeof(*r));
    memcpy(r->digest, digest, AERO_DIGEST_SZ);
    if (key) {
        r->key = (uint8_t *)(r + 1);
        memcpy(r->key, key, key_len);
        r->key_len = key_len;
        r->key_inline = true;
    }
    r->bins = (struct td_bin *)((uint8_t *)(r + 1) + key_room);
    r->bins_cap = (uint32_t)bins_room;
    r->bins_inline = true;
    i = find_slot(ns, digest, h);
    ns->slots[i] = (struct td_slot){h, r};
    ns->count++;
    return r;
}

void td_rec_remove(struct td_ns *ns, struct td_rec *r)
{
    size_t i = find_slot(ns, r->digest, hash_of(r->digest));
    if (ns->slots[i].rec == r)
        drop(ns, i);
}

int td_set_find(struct td_ns *ns, const uint8_t *name, size_t len, bool create)
{
    if (len == 0)
        return 0;
    for (uint32_t i = 1; i < ns->n_sets; i++)
        if (ns->sets[i].len == len && memcmp(ns->sets[i].name, name, len) == 0)
            return (int)i;
    if (!create)
        return -2;
    if (ns->n_sets > TD_MAX_SETS || len > AERO_SET_MAX)
        return -1;
    memcpy(ns->sets[ns->n_sets].name, name, len);
    ns->sets[ns->n_sets].name[len] = '\0';
    ns->sets[ns->n_sets].len = (uint8_t)len;
    ns->sets[ns->n_sets].objects = 0;
    return (int)ns->n_sets++;
}

size_t td_ns_sweep(struct td_ns *ns, uint32_t now)
{
    size_t n = 0;

    if (ns->with_ttl == 0)
        return 0;
    for (size_t i = 0; i < ns->cap; i++) {
        /* while: a shifted record may land here */
        while (ns->slots[i].rec && expired(ns->slots[i].rec, now)) {
            drop(ns, i);
            ns->expired++;
            n++;
        }
    }
    return n;
}
