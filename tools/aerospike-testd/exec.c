/* tools/aerospike-testd/exec.c: executes type-3 messages against the store, CE 8.1.2 rules.
 *
 * A write works on a copy of the record's bin list ("work bins") whose values point at the
 * stored record, the request or the scratch buffer; nothing changes until every op and every
 * limit passed, then the record's block (bins + values) is rewritten, in place when it fits.
 * Bin order follows the real server: new bins appended, a deleted bin replaced by the last one
 * (wire doc §6.1).
 * Check order (wire doc §2-§4, §12): framing/params (4), digest (4), namespace (20), TTL (4),
 * set name (4), ops and bin names (4, 21), nsup (22), record: create-only (5), update/replace-
 * only (2), generation (3), set mismatch (4), key (16, 19), ops (12, 2, CDT codes), bins (4),
 * size (13), durable delete (25). */
#include <string.h>

#include "testd.h"

#define BATCH_BUF_MAX (128u * 1024u)

struct vref {
    bool scr;           /* value lives in c->scratch at off, else at p */
    const uint8_t *p;
    size_t off;
    uint32_t len;
};

struct wbin {
    uint8_t name_len;
    char name[AERO_BIN_NAME_MAX];
    uint8_t particle;
    struct vref v;
};

struct result {
    uint8_t op, particle, name_len;
    char name[AERO_BIN_NAME_MAX];
    struct vref v;
};

struct wstate {
    struct td_ctx *c;
    struct wbin *w;
    uint32_t n;
    struct result *res;
    uint32_t n_res;
    bool touched;
    bool indexed;        /* c->bin_index matches w[0..n) */
    size_t max_bins;     /* bound on n for this request (sizes the index) */
    uint32_t hint;       /* where the next op's bin probably is (see find_bin) */
};

#define LINEAR_BINS 32   /* above this, bin lookups go through a hash index */

static const uint8_t *vptr(const struct td_ctx *c, const struct vref *v)
{
    return v->scr ? c->scratch.p + v->off : v->p;
}

static struct vref scr_put(struct td_ctx *c, const void *p, size_t n)
{
    struct vref v = {true, NULL, c->scratch.len, (uint32_t)n};
    buf_append(&c->scratch, p, n);
    return v;
}

static bool ensure(void **arr, size_t *cap, size_t want, size_t elem)
{
    void *p;
    if (want <= *cap)
        return true;
    want = want < 64 ? 64 : want;
    p = mem_realloc(*arr, want * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = want;
    return true;
}

/* --- reply writing --- */
static void put_hdr(struct buf *o, int rc, uint32_t gen, uint32_t vt, uint32_t tt, uint16_t n_ops,
                    uint8_t info3)
{
    uint8_t h[AERO_MSG_HEADER_SZ] = {AERO_MSG_HEADER_SZ, 0, 0, info3, 0, (uint8_t)rc};
    store_u32be(h + 6, gen);
    store_u32be(h + 10, vt);
    store_u32be(h + 14, tt);
    store_u16be(h + 18, 0);
    store_u16be(h + 20, n_ops);
    buf_append(o, h, sizeof(h));
}

static void put_proto(struct buf *o, size_t at, uint8_t type)
{
    store_u64be(o->p + at, ((uint64_t)AERO_PROTO_VERSION << 56) | ((uint64_t)type << 48) |
                               (uint64_t)(o->len - at - AERO_PROTO_HEADER_SZ));
}

static size_t begin_proto(struct buf *o)
{
    static const uint8_t zero[AERO_PROTO_HEADER_SZ];
    size_t at = o->len;
    buf_append(o, zero, sizeof(zero));
    return at;
}

void td_reply_rc(struct buf *out, int rc)
{
    size_t at = begin_proto(out);
    put_hdr(out, rc, 0, 0, 0, 0, 0);
    put_proto(out, at, AERO_PROTO_MSG);
}

static void put_results(struct td_ctx *c, struct buf *o, const struct result *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint8_t h[8];
        store_u32be(h, 4u + r[i].name_len + r[i].v.len);
        h[4] = r[i].op;
        h[5] = r[i].particle;
        h[6] = 0;
        h[7] = r[i].name_len;
        buf_append(o, h, 8);
        buf_append(o, r[i].name, r[i].name_len);
        if (r[i].v.len)
            buf_append(o, vptr(c, &r[i].v), r[i].v.len);
    }
}

/* --- checks --- */
static int bin_name_rc(const struct td_op *op)
{
    if (op->name_len > AERO_BIN_NAME_MAX)
        return AERO_RC_ERR_BIN_NAME;
    for (uint8_t k = 0; k < op->name_len; k++)     /* at most 15 bytes: no memchr call */
        if (op->name[k] == 0)
            return AERO_RC_ERR_BIN_NAME;
    return 0;
}

static bool is_blobish(uint8_t pt)
{
    return pt == AERO_PT_BLOB || (pt >= AERO_PT_JAVA_BLOB && pt <= AERO_PT_ERLANG_BLOB);
}

/* Particle check for a value written by the client (wire doc §4.3). */
static int particle_rc(uint8_t pt, const uint8_t *v, uint32_t n)
{
    switch (pt) {
    case AERO_PT_NULL: return n == 0 ? 0 : AERO_RC_ERR_PARAMETER;
    case AERO_PT_INTEGER: return (n == 1 || n == 2 || n == 4 || n == 8) ? 0 : AERO_RC_ERR_PARAMETER;
    case AERO_PT_FLOAT: return n == 8 ? 0 : AERO_RC_ERR_PARAMETER;
    case AERO_PT_BOOL: return (n == 1 && v[0] <= 1) ? 0 : AERO_RC_ERR_PARAMETER;
    case AERO_PT_STRING: case AERO_PT_HLL: case AERO_PT_VECTOR:
        return 0;
    case AERO_PT_GEOJSON:
        if (n < 3 || (size_t)load_u16be(v + 1) * 8 > n - 3)
            return AERO_RC_ERR_PARAMETER;
        return 0;
    case AERO_PT_MAP: case AERO_PT_LIST:
        return 0;          /* checked (and compacted) when applied */
    default:
        return is_blobish(pt) ? 0 : AERO_RC_ERR_PARAMETER;
    }
}

static uint64_t int_value(const uint8_t *v, uint32_t n)
{
    uint64_t x = 0;
    for (uint32_t i = 0; i < n; i++)   /* 1/2/4 bytes are zero-extended (wire doc §4.3) */
        x = (x << 8) | v[i];
    return x;
}

static size_t particle_size(uint8_t pt, uint32_t len)
{
    switch (pt) {
    case AERO_PT_INTEGER: case AERO_PT_FLOAT: return 8;
    case AERO_PT_BOOL: return 1;
    default: return 4 + (size_t)len;
    }
}

/* Stored size like the real server's flat record: 43 bytes of record metadata, the stored
 * key (3 + type + bytes), and per bin 1 + name + 1 + particle. With max-record-size 4096 a
 * single 1-character-named blob of 4,046 bytes fits and 4,047 does not (wire doc §12). */
static size_t record_size(const struct wstate *ws, uint32_t key_len)
{
    size_t s = 43 + (key_len ? 3 + (size_t)key_len : 0);
    for (uint32_t i = 0; i < ws->n; i++)
        s += 2 + ws->w[i].name_len + particle_size(ws->w[i].particle, ws->w[i].v.len);
    return s;
}

static uint32_t name_hash(const void *name, uint8_t len)
{
    const uint8_t *p = name;
    uint32_t h = 2166136261u;
    for (uint8_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void index_put(struct td_ctx *c, const struct wbin *w, uint32_t i)
{
    size_t mask = c->bin_index_cap - 1, k = name_hash(w[i].name, w[i].name_len) & mask;
    while (c->bin_index[k])
        k = (k + 1) & mask;
    c->bin_index[k] = i + 1;
}

/* (Re)build the name index for the work bins; false on out of memory. */
static bool index_build(struct wstate *ws, size_t max_bins)
{
    struct td_ctx *c = ws->c;
    size_t cap = 64;
    while (cap < max_bins * 2)
        cap *= 2;
    if (cap > c->bin_index_cap) {
        uint32_t *p = mem_realloc(c->bin_index, cap * sizeof(uint32_t));
        if (!p)
            return false;
        c->bin_index = p;
        c->bin_index_cap = cap;
    }
    memset(c->bin_index, 0, c->bin_index_cap * sizeof(uint32_t));
    for (uint32_t i = 0; i < ws->n; i++)
        index_put(c, ws->w, i);
    ws->indexed = true;
    return true;
}

/* Whether a stored name (@slen bytes) is @name. Bin names are at most 15 bytes: a loop the
 * compiler inlines beats a memcmp call. */
static bool stored_name_is(const char *stored, uint8_t slen, const uint8_t *name, uint8_t len)
{
    if (slen != len)
        return false;
    for (uint8_t k = 0; k < len; k++)
        if ((uint8_t)stored[k] != name[k])
            return false;
    return true;
}

static bool bin_is(const struct wbin *w, const uint8_t *name, uint8_t len)
{
    return stored_name_is(w->name, w->name_len, name, len);
}

/* Append @r's stored bins to the work bins, values pointing into the record's block (a write
 * or read then applies its ops to them). */
static void load_stored_bins(struct wstate *ws, const struct td_rec *r)
{
    for (uint32_t i = 0; i < r->n_bins; i++) {
        struct wbin *w = &ws->w[ws->n++];
        w->name_len = r->bins[i].name_len;
        memcpy(w->name, r->bins[i].name, AERO_BIN_NAME_MAX);
        w->particle = r->bins[i].particle;
        w->v = (struct vref){false, td_bin_val(r, &r->bins[i]), 0, r->bins[i].len};
    }
}

static int find_bin(struct wstate *ws, const uint8_t *name, uint8_t len)
{
    struct td_ctx *c = ws->c;

    if (ws->n <= LINEAR_BINS || (!ws->indexed && !index_build(ws, ws->max_bins))) {
        /* Names are unique among the work bins, so trying first the bin after the last one
         * found cannot change the answer; a rewrite that lists the bins in their stored
         * order then finds each with one compare. */
        if (ws->hint < ws->n && bin_is(&ws->w[ws->hint], name, len))
            return (int)ws->hint++;
        for (uint32_t i = 0; i < ws->n; i++) {
            if (bin_is(&ws->w[i], name, len)) {
                ws->hint = i + 1;
                return (int)i;
            }
        }
        return -1;
    }
    size_t mask = c->bin_index_cap - 1, k = name_hash(name, len) & mask;
    for (; c->bin_index[k]; k = (k + 1) & mask) {
        const struct wbin *w = &ws->w[c->bin_index[k] - 1];
        if (w->name_len == len && memcmp(w->name, name, len) == 0)
            return (int)c->bin_index[k] - 1;
    }
    return -1;
}

static struct result *add_result(struct wstate *ws, uint8_t op, const uint8_t *name, uint8_t nlen)
{
    struct result *r = &ws->res[ws->n_res++];
    memset(r, 0, sizeof(*r));
    r->op = op;
    r->name_len = nlen;
    memcpy(r->name, name, nlen);
    return r;
}

/* Set bin @i (from find_bin for this op; -1: append a new bin). */
static void set_bin(struct wstate *ws, int i, const struct td_op *op, uint8_t pt, struct vref v)
{
    if (i < 0) {
        i = (int)ws->n++;
        ws->w[i].name_len = op->name_len;
        memcpy(ws->w[i].name, op->name, op->name_len);
        if (ws->indexed)
            index_put(ws->c, ws->w, (uint32_t)i);
    }
    ws->w[i].particle = pt;
    ws->w[i].v = v;
}

static void remove_bin(struct wstate *ws, int i)
{
    ws->w[i] = ws->w[ws->n - 1];      /* swap-remove like the real server */
    ws->n--;
    ws->indexed = false;
}

/* Apply one op of a write to the working bins. Returns a result code. */
static int apply_op(struct wstate *ws, const struct td_op *op, bool respond_all)
{
    struct td_ctx *c = ws->c;
    int i = find_bin(ws, op->name, op->name_len);
    struct result *r;

    switch (op->op) {
    case AERO_OP_READ:
        if (op->name_len == 0) {           /* GET_ALL */
            for (uint32_t k = 0; k < ws->n; k++) {
                r = add_result(ws, AERO_OP_READ, (const uint8_t *)ws->w[k].name, ws->w[k].name_len);
                r->particle = ws->w[k].particle;
                r->v = ws->w[k].v;
            }
            return 0;
        }
        if (i >= 0 || respond_all) {
            r = add_result(ws, AERO_OP_READ, op->name, op->name_len);
            if (i >= 0) {
                r->particle = ws->w[i].particle;
                r->v = ws->w[i].v;
            }
        }
        return 0;
    case AERO_OP_WRITE:
        if (op->particle == AERO_PT_NULL) {
            if (i >= 0)
                remove_bin(ws, i);
        } else if (op->particle == AERO_PT_INTEGER) {
            uint8_t b[8];
            store_u64be(b, int_value(op->val, op->val_len));
            set_bin(ws, i, op, op->particle, scr_put(c, b, 8));
        } else if (op->particle == AERO_PT_LIST || op->particle == AERO_PT_MAP) {
            size_t off = c->scratch.len;
            if (td_mp_store(op->particle, op->val, op->val_len, &c->scratch) != 0)
                return AERO_RC_ERR_PARAMETER;
            set_bin(ws, i, op, op->particle, (struct vref){true, NULL, off, (uint32_t)(c->scratch.len - off)});
        } else {
            set_bin(ws, i, op, op->particle, (struct vref){false, op->val, 0, op->val_len});
        }
        break;
    case AERO_OP_INCR: {
        uint8_t b[8];
        if (i < 0) {
            if (op->particle == AERO_PT_INTEGER)
                store_u64be(b, int_value(op->val, op->val_len));
            else
                memcpy(b, op->val, 8);
            set_bin(ws, i, op, op->particle, scr_put(c, b, 8));
            break;
        }
        if (ws->w[i].particle != op->particle)
            return AERO_RC_ERR_INCOMPATIBLE_TYPE;
        uint64_t cur = load_u64be(vptr(c, &ws->w[i].v));
        if (op->particle == AERO_PT_INTEGER) {
            store_u64be(b, cur + int_value(op->val, op->val_len));   /* 64-bit wrap */
        } else {
            double x, y;
            uint64_t yb = load_u64be(op->val);
            memcpy(&x, &cur, 8);
            memcpy(&y, &yb, 8);
            x += y;
            memcpy(&cur, &x, 8);
            store_u64be(b, cur);
        }
        ws->w[i].v = scr_put(c, b, 8);
        break;
    }
    case AERO_OP_APPEND:
    case AERO_OP_PREPEND: {
        if (i < 0) {
            set_bin(ws, i, op, op->particle, (struct vref){false, op->val, 0, op->val_len});
            break;
        }
        if (ws->w[i].particle != op->particle)
            return AERO_RC_ERR_INCOMPATIBLE_TYPE;
        struct vref old = ws->w[i].v;
        size_t off = c->scratch.len;
        if (buf_reserve(&c->scratch, (size_t)old.len + op->val_len) != ST_OK)
            return AERO_RC_ERR_UNKNOWN;
        if (op->op == AERO_OP_PREPEND)
            buf_append(&c->scratch, op->val, op->val_len);
        buf_append(&c->scratch, vptr(c, &old), old.len);
        if (op->op == AERO_OP_APPEND)
            buf_append(&c->scratch, op->val, op->val_len);
        ws->w[i].v = (struct vref){true, NULL, off, (uint32_t)(c->scratch.len - off)};
        break;
    }
    case AERO_OP_TOUCH:
        ws->touched = true;
        break;
    case AERO_OP_DELETE_ALL:
        ws->n = 0;
        ws->indexed = false;
        break;
    case AERO_OP_CDT_MODIFY:
    case AERO_OP_CDT_READ: {
        bool modify = op->op == AERO_OP_CDT_MODIFY;
        uint8_t np = 0, rp = 0;
        struct buf *nv = &c->reply_ops, *rv = &c->cdt_res;
        int rc;
        buf_reset(nv);
        buf_reset(rv);
        rc = td_cdt_apply(modify, op->val, op->val_len, i >= 0 ? ws->w[i].particle : 0,
                          i >= 0 ? vptr(c, &ws->w[i].v) : NULL, i >= 0 ? ws->w[i].v.len : 0,
                          &np, nv, &rp, rv);
        if (rc)
            return rc;
        if (modify && np)
            set_bin(ws, i, op, np, scr_put(c, nv->p, nv->len));
        if (rp || respond_all) {
            r = add_result(ws, op->op, op->name, op->name_len);
            r->particle = rp;
            if (rp)
                r->v = scr_put(c, rv->p, rv->len);
        }
        return 0;
    }
    default:
        return AERO_RC_ERR_PARAMETER;
    }
    if (respond_all)
        add_result(ws, op->op, op->name, op->name_len);
    return 0;
}

/* Request-level op checks for a write (no record needed). */
static int check_write_ops(const struct td_msg *m, bool *has_result_ops, uint32_t *n_get_all)
{
    const uint8_t *cur = m->ops;
    struct td_op op;
    bool replace = m->info3 & (AERO_INFO3_CREATE_OR_REPLACE | AERO_INFO3_REPLACE_ONLY);
    int rc;

    *has_result_ops = false;
    *n_get_all = 0;
    while (td_op_next(&cur, m->ops_end, &op)) {
        switch (op.op) {
        case AERO_OP_READ:
            if (!(m->info1 & AERO_INFO1_READ))
                return AERO_RC_ERR_PARAMETER;
            if (op.name_len == 0) {
                if (!(m->info1 & AERO_INFO1_GET_ALL))
                    return AERO_RC_ERR_PARAMETER;
                (*n_get_all)++;
                continue;
            }
            *has_result_ops = true;
            break;
        case AERO_OP_CDT_READ:
            if (!(m->info1 & AERO_INFO1_READ))
                return AERO_RC_ERR_PARAMETER;
            *has_result_ops = true;
            if (td_cdt_check(op.val, op.val_len))
                return AERO_RC_ERR_PARAMETER;
            break;
        case AERO_OP_WRITE:
            if ((rc = particle_rc(op.particle, op.val, op.val_len)) != 0)
                return rc;
            if (op.particle == AERO_PT_NULL && replace)
                return AERO_RC_ERR_PARAMETER;
            if (op.name_len == 0)
                return AERO_RC_ERR_BIN_NAME;
            break;
        case AERO_OP_INCR:
            if (replace || !((op.particle == AERO_PT_INTEGER && !particle_rc(op.particle, op.val, op.val_len)) ||
                             (op.particle == AERO_PT_FLOAT && op.val_len == 8)))
                return AERO_RC_ERR_PARAMETER;
            break;
        case AERO_OP_APPEND:
        case AERO_OP_PREPEND:
            if (replace || !(op.particle == AERO_PT_STRING || is_blobish(op.particle)))
                return AERO_RC_ERR_PARAMETER;
            break;
        case AERO_OP_TOUCH:
        case AERO_OP_DELETE_ALL:
            if (replace)
                return AERO_RC_ERR_PARAMETER;
            continue;        /* empty name allowed */
        case AERO_OP_CDT_MODIFY:
            if (replace || td_cdt_check(op.val, op.val_len))
                return AERO_RC_ERR_PARAMETER;
            *has_result_ops = true;
            break;
        default:
            /* EXP, BITS and HLL ops are not implemented by the test server; unknown ops are
             * parameter errors on the real one too. */
            return AERO_RC_ERR_PARAMETER;
        }
        if ((rc = bin_name_rc(&op)) != 0)
            return rc;
    }
    if (*n_get_all && (*n_get_all != 1 || *has_result_ops || (m->info2 & AERO_INFO2_RESPOND_ALL_OPS)))
        return AERO_RC_ERR_PARAMETER;
    return 0;
}

static bool ttl_ok(uint32_t ttl)
{
    return ttl <= AERO_TTL_MAX || ttl == AERO_TTL_NEVER_EXPIRE || ttl == AERO_TTL_DONT_UPDATE;
}

static bool key_equal(const struct td_rec *r, const struct td_msg *m)
{
    return r->key_len == m->key_len && memcmp(r->key, m->key, m->key_len) == 0;
}

/* Set check for an existing record on read/delete: empty or missing set matches anything. */
static bool set_matches_lenient(struct td_ns *ns, const struct td_rec *r, const struct td_msg *m)
{
    if (!m->has_set || m->set_len == 0)
        return true;
    return td_set_find(ns, m->set, m->set_len, false) == (int)r->set_id;
}

static bool set_matches_strict(struct td_ns *ns, const struct td_rec *r, const struct td_msg *m)
{
    if (!m->has_set || m->set_len == 0)
        return r->set_id == 0;
    return td_set_find(ns, m->set, m->set_len, false) == (int)r->set_id;
}

static uint32_t void_time_for(const struct td_ns *ns, uint32_t ttl, const struct td_rec *existing,
                              uint32_t now)
{
    if (ttl == AERO_TTL_NEVER_EXPIRE)
        return 0;
    if (ttl == AERO_TTL_DONT_UPDATE) {
        if (existing)
            return existing->void_time;
        ttl = 0;
    }
    if (ttl == 0)
        ttl = ns->default_ttl;
    return ttl ? now + ttl : 0;
}

static bool ttl_forbidden(const struct td_ns *ns, uint32_t ttl)
{
    if (ns->nsup_period != 0 || ns->allow_ttl_without_nsup)
        return false;
    if (ttl >= 1 && ttl <= AERO_TTL_MAX)
        return true;
    return (ttl == 0 || ttl == AERO_TTL_DONT_UPDATE) && ns->default_ttl != 0;
}

/* Bytes of the block holding the work bins: headers then values. */
static size_t block_size(const struct wstate *ws)
{
    size_t total = ws->n * sizeof(struct td_bin);
    for (uint32_t i = 0; i < ws->n; i++)
        total += ws->w[i].v.len;
    return total;
}

static bool points_into(const struct vref *v, uintptr_t lo, uintptr_t hi)
{
    return !v->scr && v->len && (uintptr_t)v->p >= lo && (uintptr_t)v->p < hi;
}

/* Whether the record's block can be rewritten in place: big enough, and no work bin or
 * result value still points into it (an untouched bin of a partial update, or a read op). */
static bool fits_in_place(const struct td_rec *r, const struct wstate *ws, size_t need)
{
    uintptr_t lo = (uintptr_t)r->bins, hi = lo + r->bins_cap;

    if (need > r->bins_cap)
        return false;
    for (uint32_t i = 0; i < ws->n; i++)
        if (points_into(&ws->w[i].v, lo, hi))
            return false;
    for (uint32_t i = 0; i < ws->n_res; i++)
        if (points_into(&ws->res[i].v, lo, hi))
            return false;
    return true;
}

/* Store the work bins in the record: in its own block when they fit there (no allocation;
 * overwrites with values of the same size are the common case), else in a new block. A
 * replaced block is handed back in *old (free it after the reply is written: result values
 * may point into it; NULL when there is nothing to free). */
static bool commit(struct td_ctx *c, struct td_rec *r, const struct wstate *ws, struct td_bin **old)
{
    size_t need = block_size(ws), total = 0;
    struct td_bin *blk = r->bins;
    uint8_t *vals;

    *old = NULL;
    if (!fits_in_place(r, ws, need)) {
        need = (need + 15u) & ~(size_t)15;    /* malloc rounds up anyway: room to grow */
        if (need > UINT32_MAX || !(blk = mem_malloc(need)))
            return false;
        *old = r->bins_inline ? NULL : r->bins;
        r->bins = blk;
        r->bins_cap = (uint32_t)need;
        r->bins_inline = false;
    }
    vals = (uint8_t *)(blk + ws->n);
    for (uint32_t i = 0; i < ws->n; i++) {
        struct td_bin *b = &blk[i];
        b->name_len = ws->w[i].name_len;
        memcpy(b->name, ws->w[i].name, AERO_BIN_NAME_MAX);
        b->particle = ws->w[i].particle;
        b->len = ws->w[i].v.len;
        b->off = (uint32_t)total;
        memcpy(vals + total, vptr(c, &ws->w[i].v), b->len);
        total += b->len;
    }
    r->n_bins = ws->n;
    return true;
}

/* The common rewrite, without copying the record's bins and applying the ops one by one: an
 * existing record (no replace, no respond-all-ops) whose bins are all written by plain writes,
 * one op per bin in the record's own bin order. Fills the work bins with the new values, with
 * apply_op's conversions (integers widened to 8 bytes, lists and maps checked and compacted,
 * the first bad one failing the write with a parameter error); the size check and the commit
 * are the general path's. Returns -1, nothing filled, for any other request; else 0 or the
 * result code. */
static int rewrite_every_bin(struct wstate *ws, const struct td_rec *r, const struct td_msg *m)
{
    struct td_ctx *c = ws->c;
    const uint8_t *cur = m->ops;
    struct td_op op;
    uint32_t n = r->n_bins, i = 0;

    if (m->n_ops != n || n == 0)
        return -1;
    while (td_op_next(&cur, m->ops_end, &op)) {
        const struct td_bin *b = &r->bins[i++];
        if (op.op != AERO_OP_WRITE || op.particle == AERO_PT_NULL ||
            !stored_name_is(b->name, b->name_len, op.name, op.name_len))
            return -1;
    }
    cur = m->ops;
    for (i = 0; td_op_next(&cur, m->ops_end, &op); i++) {
        struct wbin *w = &ws->w[i];
        w->name_len = r->bins[i].name_len;
        memcpy(w->name, r->bins[i].name, AERO_BIN_NAME_MAX);
        w->particle = op.particle;
        if (op.particle == AERO_PT_INTEGER) {
            uint8_t v[8];
            store_u64be(v, int_value(op.val, op.val_len));
            w->v = scr_put(c, v, 8);
        } else if (op.particle == AERO_PT_LIST || op.particle == AERO_PT_MAP) {
            size_t off = c->scratch.len;
            if (td_mp_store(op.particle, op.val, op.val_len, &c->scratch) != 0)
                return AERO_RC_ERR_PARAMETER;
            w->v = (struct vref){true, NULL, off, (uint32_t)(c->scratch.len - off)};
        } else {
            w->v = (struct vref){false, op.val, 0, op.val_len};
        }
    }
    ws->n = n;
    return 0;
}

struct xreply {
    int rc;
    uint32_t gen, vt;
};

static int reply_err(struct buf *o, uint32_t tt, int rc, const struct td_rec *r)
{
    put_hdr(o, rc, r ? r->gen : 0, r ? r->void_time : 0, tt, 0, 0);
    return rc;
}

static int exec_delete(struct td_ctx *c, struct td_ns *ns, const struct td_msg *m, struct buf *o,
                       uint32_t tt, uint32_t now)
{
    struct td_rec *r = td_rec_get(ns, m->digest, now);

    if (!r)
        return reply_err(o, tt, AERO_RC_ERR_NOT_FOUND, NULL);
    if (((m->info2 & AERO_INFO2_GENERATION) && r->gen != m->generation) ||
        ((m->info2 & AERO_INFO2_GENERATION_GT) && !(m->generation > r->gen)))
        return reply_err(o, tt, AERO_RC_ERR_GENERATION, r);
    if (!set_matches_lenient(ns, r, m))
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, r);
    if (m->has_key && r->key && !key_equal(r, m))
        return reply_err(o, tt, AERO_RC_ERR_KEY_MISMATCH, r);
    if (m->info2 & AERO_INFO2_DURABLE_DELETE)
        return reply_err(o, tt, AERO_RC_ERR_ENTERPRISE_ONLY, r);
    td_rec_remove(ns, r);
    (void)c;
    put_hdr(o, 0, 0, 0, tt, 0, 0);
    return 0;
}

static int key_field_rc(const struct td_msg *m)
{
    if (!m->has_key)
        return 0;
    if (m->key_len < 1)
        return AERO_RC_ERR_PARAMETER;
    switch (m->key[0]) {
    case AERO_PT_INTEGER:
    case AERO_PT_FLOAT:
        return m->key_len == 9 ? 0 : AERO_RC_ERR_UNSUPPORTED_FEATURE;
    case AERO_PT_STRING:
        return 0;
    default:
        return is_blobish(m->key[0]) ? 0 : AERO_RC_ERR_UNSUPPORTED_FEATURE;
    }
}

static int exec_write(struct td_ctx *c, struct td_ns *ns, const struct td_msg *m, struct buf *o,
                      uint32_t tt, uint32_t now)
{
    bool has_results;
    uint32_t n_get_all;
    bool respond_all = m->info2 & AERO_INFO2_RESPOND_ALL_OPS;
    bool replace = m->info3 & (AERO_INFO3_CREATE_OR_REPLACE | AERO_INFO3_REPLACE_ONLY);
    struct td_rec *r;
    struct wstate ws = {c, NULL, 0, NULL, 0, false, false, 0};
    int rc, set_id = 0;
    const uint8_t *cur;
    struct td_op op;

    if (!ttl_ok(m->record_ttl))
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    if (m->has_set && m->set_len > AERO_SET_MAX)
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    if (m->info2 & AERO_INFO2_DELETE) {
        if (m->n_ops != 0)
            return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
        return exec_delete(c, ns, m, o, tt, now);
    }
    if (m->n_ops == 0)
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    if ((rc = check_write_ops(m, &has_results, &n_get_all)) != 0)
        return reply_err(o, tt, rc, NULL);
    if (ttl_forbidden(ns, m->record_ttl))
        return reply_err(o, tt, AERO_RC_ERR_FORBIDDEN, NULL);
    if (c->discard_writes && !has_results && !(m->info2 & AERO_INFO2_CREATE_ONLY) &&
        !(m->info3 & (AERO_INFO3_UPDATE_ONLY | AERO_INFO3_REPLACE_ONLY)) &&
        !(m->info2 & (AERO_INFO2_GENERATION | AERO_INFO2_GENERATION_GT))) {
        c->discarded++;          /* answered as a new record's first write, nothing kept */
        put_hdr(o, 0, 1, 0, tt, 0, 0);
        return 0;
    }

    r = td_rec_get(ns, m->digest, now);
    if (r && (m->info2 & AERO_INFO2_CREATE_ONLY))
        return reply_err(o, tt, AERO_RC_ERR_RECORD_EXISTS, r);
    if (!r && (m->info3 & (AERO_INFO3_UPDATE_ONLY | AERO_INFO3_REPLACE_ONLY)))
        return reply_err(o, tt, AERO_RC_ERR_NOT_FOUND, NULL);
    if (r && (((m->info2 & AERO_INFO2_GENERATION) && r->gen != m->generation) ||
              ((m->info2 & AERO_INFO2_GENERATION_GT) && !(m->generation > r->gen))))
        return reply_err(o, tt, AERO_RC_ERR_GENERATION, r);
    if (r) {
        if (!set_matches_strict(ns, r, m))
            return reply_err(o, tt, AERO_RC_ERR_PARAMETER, r);
        set_id = r->set_id;
    } else if (m->has_set && m->set_len) {
        set_id = td_set_find(ns, m->set, m->set_len, true);
        if (set_id < 0)
            return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    }
    if ((rc = key_field_rc(m)) != 0)
        return reply_err(o, tt, rc, r);
    if (r && m->has_key && r->key && !key_equal(r, m))
        return reply_err(o, tt, AERO_RC_ERR_KEY_MISMATCH, r);

    /* working copy */
    size_t base = r ? r->n_bins : 0;
    if (!ensure(&c->work, &c->work_cap, base + m->n_ops, sizeof(struct wbin)) ||
        !ensure(&c->results, &c->results_cap, (size_t)m->n_ops + base + m->n_ops, sizeof(struct result)))
        return reply_err(o, tt, AERO_RC_ERR_UNKNOWN, NULL);
    ws.w = c->work;
    ws.res = c->results;
    ws.max_bins = base + m->n_ops;
    buf_reset(&c->scratch);
    rc = r && !replace && !respond_all ? rewrite_every_bin(&ws, r, m) : -1;
    if (rc > 0)
        return reply_err(o, tt, rc, r);
    if (rc < 0) {
        if (r && !replace)
            load_stored_bins(&ws, r);
        cur = m->ops;
        while (td_op_next(&cur, m->ops_end, &op)) {
            if (op.op == AERO_OP_TOUCH && !r)
                return reply_err(o, tt, AERO_RC_ERR_NOT_FOUND, NULL);
            if ((rc = apply_op(&ws, &op, respond_all)) != 0)
                return reply_err(o, tt, rc, r);
        }
    }
    if (ws.n > AERO_MAX_BINS)
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, r);
    uint32_t key_len = r && r->key ? r->key_len : (m->has_key ? m->key_len : 0);
    if (record_size(&ws, key_len) > ns->max_record_size)
        return reply_err(o, tt, AERO_RC_ERR_RECORD_TOO_BIG, r);
    if (ws.n == 0) {
        if (!r)
            return reply_err(o, tt, AERO_RC_ERR_NOT_FOUND, NULL);
        if (m->info2 & AERO_INFO2_DURABLE_DELETE)
            return reply_err(o, tt, AERO_RC_ERR_ENTERPRISE_ONLY, r);
        put_hdr(o, 0, 0, 0, tt, (uint16_t)ws.n_res, 0);
        put_results(c, o, ws.res, ws.n_res);
        td_rec_remove(ns, r);
        return 0;
    }

    uint32_t vt = void_time_for(ns, m->record_ttl, r, now);
    bool created = !r;
    if (created) {
        r = td_rec_insert(ns, m->digest, m->has_key ? m->key : NULL, m->key_len,
                          block_size(&ws));
        if (!r)
            return reply_err(o, tt, AERO_RC_ERR_UNKNOWN, NULL);
        r->set_id = (uint16_t)set_id;
        if (set_id)
            ns->sets[set_id].objects++;
    }
    struct td_bin *old_blk = NULL;
    if (!commit(c, r, &ws, &old_blk)) {
        if (created)
            td_rec_remove(ns, r);
        return reply_err(o, tt, AERO_RC_ERR_UNKNOWN, NULL);
    }
    if (m->has_key && !r->key) {
        r->key = mem_malloc(m->key_len);      /* a record stored without key gets one */
        if (r->key) {
            memcpy(r->key, m->key, m->key_len);
            r->key_len = m->key_len;
        }
    }
    r->gen = created ? 1 : (r->gen >= 0xFFFF ? 1 : (uint16_t)(r->gen + 1));
    if (!r->void_time && vt)
        ns->with_ttl++;
    else if (r->void_time && !vt)
        ns->with_ttl--;
    r->void_time = vt;
    put_hdr(o, 0, r->gen, r->void_time, tt, (uint16_t)ws.n_res, 0);
    put_results(c, o, ws.res, ws.n_res);
    mem_free(old_blk);
    return 0;
}

static int exec_read(struct td_ctx *c, struct td_ns *ns, const struct td_msg *m, struct buf *o,
                     uint32_t tt, uint32_t now)
{
    const uint8_t *cur = m->ops;
    struct td_op op;
    struct td_rec *r;
    bool respond_all = m->info2 & AERO_INFO2_RESPOND_ALL_OPS;
    int rc;
    struct wstate ws = {c, NULL, 0, NULL, 0, false, false, 0};

    while (td_op_next(&cur, m->ops_end, &op)) {
        if (op.op != AERO_OP_READ && op.op != AERO_OP_CDT_READ)
            return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
        if (op.name_len == 0 && !(m->info1 & AERO_INFO1_GET_ALL))
            return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
        if ((rc = bin_name_rc(&op)) != 0)
            return reply_err(o, tt, rc, NULL);
        if (op.op == AERO_OP_CDT_READ && td_cdt_check(op.val, op.val_len))
            return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    }
    r = td_rec_get(ns, m->digest, now);
    if (!r)
        return reply_err(o, tt, AERO_RC_ERR_NOT_FOUND, NULL);
    if (!set_matches_lenient(ns, r, m))
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, r);
    if (m->has_key && r->key && !key_equal(r, m))
        return reply_err(o, tt, AERO_RC_ERR_KEY_MISMATCH, r);
    /* read-touch-ttl-percent: 0, 1..100 or -1; only looked at for records with a TTL */
    if (r->void_time && m->record_ttl > 100 && m->record_ttl != AERO_TTL_NEVER_EXPIRE)
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, r);
    if (m->info1 & AERO_INFO1_GET_NO_BINS) {
        put_hdr(o, 0, r->gen, r->void_time, tt, 0, 0);
        return 0;
    }
    if ((m->info1 & AERO_INFO1_GET_ALL) || m->n_ops == 0) {
        put_hdr(o, 0, r->gen, r->void_time, tt, (uint16_t)r->n_bins, 0);
        for (uint32_t i = 0; i < r->n_bins; i++) {
            const struct td_bin *b = &r->bins[i];
            uint8_t h[8];
            store_u32be(h, 4u + b->name_len + b->len);
            h[4] = AERO_OP_READ;
            h[5] = b->particle;
            h[6] = 0;
            h[7] = b->name_len;
            buf_append(o, h, 8);
            buf_append(o, b->name, b->name_len);
            buf_append(o, td_bin_val(r, b), b->len);
        }
        return 0;
    }
    if (!ensure(&c->work, &c->work_cap, r->n_bins + 1, sizeof(struct wbin)) ||
        !ensure(&c->results, &c->results_cap, (size_t)m->n_ops + 1, sizeof(struct result)))
        return reply_err(o, tt, AERO_RC_ERR_UNKNOWN, NULL);
    ws.w = c->work;
    ws.res = c->results;
    ws.max_bins = r->n_bins + 1;
    buf_reset(&c->scratch);
    load_stored_bins(&ws, r);
    cur = m->ops;
    while (td_op_next(&cur, m->ops_end, &op))
        if ((rc = apply_op(&ws, &op, respond_all)) != 0)
            return reply_err(o, tt, rc, r);
    put_hdr(o, 0, r->gen, r->void_time, tt, (uint16_t)ws.n_res, 0);
    put_results(c, o, ws.res, ws.n_res);
    return 0;
}

/* Fault injection lever: true (and *rc set) when this write must fail unapplied. */
static bool inject_failure(struct td_ctx *c, int *rc)
{
    if (c->fail_rate <= 0 || c->n_fail_codes == 0)
        return false;
    if ((double)(td_rand(c) >> 11) / 9007199254740992.0 >= c->fail_rate)
        return false;
    *rc = c->fail_codes[td_rand(c) % (uint64_t)c->n_fail_codes];
    return true;
}

/* Execute one single-record request (or batch row) and append its AS_MSG reply to @o. */
static int exec_record(struct td_ctx *c, int node, const struct td_msg *m, struct buf *o,
                       uint32_t tt, bool batch_row, uint32_t now)
{
    struct td_node *nd = &c->nodes[node];
    struct td_ns *ns;
    bool write = m->info2 & AERO_INFO2_WRITE;
    int rc;

    if (!m->has_digest || m->digest_len != AERO_DIGEST_SZ)
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    ns = m->has_ns ? td_store_ns(&c->store, m->ns, m->ns_len) : NULL;
    if (!ns)
        return reply_err(o, tt, AERO_RC_ERR_NAMESPACE, NULL);
    if (m->n_ops > AERO_MAX_OPS)
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    if (m->has_mrt || (m->info4 & 0x1f))
        return reply_err(o, tt, AERO_RC_ERR_ENTERPRISE_ONLY, NULL);
    if (m->has_udf)                       /* not implemented by the test server */
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    if (m->has_filter) {
        /* the expression is checked whatever the record; it filters an existing record only:
         * a write then creates the record, a read or delete finds none (assumed, unverified
         * against a real server; the stale-write guard's filter passes on both) */
        const struct td_rec *fr = td_rec_get(ns, m->digest, now);
        bool pass = true;
        if (td_filter_eval(m->filter, m->filter_len, fr, &pass) != 0)
            return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
        if (fr && !pass) {
            nd->st.filtered_out++;
            return reply_err(o, tt, AERO_RC_ERR_FILTERED_OUT, fr);
        }
    }
    uint16_t pid = td_pid(m->digest);
    /* writes go to the master; reads are also served by the replica (RF 2) */
    bool owner = write ? c->master[pid] == node
                       : (c->master[pid] == node || (c->replica[pid] == node && ns->rf > 1));
    if (!owner) {
        if (batch_row)
            nd->st.batch_sub_proxied++;
        else
            nd->st.proxied++;
    }
    if (write) {
        if (inject_failure(c, &rc)) {
            nd->st.fail_injected++;
            nd->st.writes_error++;
            return reply_err(o, tt, rc, NULL);
        }
        rc = exec_write(c, ns, m, o, tt, now);
        if (m->info2 & AERO_INFO2_DELETE) {
            if (rc == 0) nd->st.deletes_ok++;
            else if (rc == AERO_RC_ERR_NOT_FOUND) nd->st.deletes_not_found++;
            else nd->st.writes_error++;
        } else if (rc == 0) {
            nd->st.writes_ok++;
        } else {
            nd->st.writes_error++;
        }
        return rc;
    }
    if (!(m->info1 & AERO_INFO1_READ))
        return reply_err(o, tt, AERO_RC_ERR_PARAMETER, NULL);
    rc = exec_read(c, ns, m, o, tt, now);
    if (rc == 0) nd->st.reads_ok++;
    else if (rc == AERO_RC_ERR_NOT_FOUND) nd->st.reads_not_found++;
    else nd->st.reads_error++;
    return rc;
}

/* Prefetch pipeline over batch rows: rows are parsed once, up to ROW_PF_SLOT_AHEAD ahead of
 * execution, into a ring; the slot of each parsed row is fetched then, and its record
 * ROW_PF_REC_AHEAD rows ahead, so by the time a row runs its lookups hit the cache. */
#define ROW_PF_SLOT_AHEAD 16
#define ROW_PF_REC_AHEAD 8

struct parsed_row {
    struct td_msg row;
    uint32_t index;
    struct td_prefetch pf;
};

struct row_pipe {
    struct td_batch b;           /* the row cursor */
    int end_st;                  /* what td_batch_next said after the last parsed row */
    bool ended;
    uint32_t parsed, recs;       /* rows parsed (slot prefetched) / whose record was prefetched */
    struct parsed_row ring[ROW_PF_SLOT_AHEAD];
};

static void pipe_fill(struct td_ctx *c, struct row_pipe *pp, uint32_t done)
{
    while (!pp->ended && pp->parsed < done + ROW_PF_SLOT_AHEAD) {
        struct parsed_row *e = &pp->ring[pp->parsed % ROW_PF_SLOT_AHEAD];
        int st = td_batch_next(&pp->b, &e->row, &e->index);
        if (st != 0) {
            pp->ended = true;
            pp->end_st = st;
            break;
        }
        e->pf.ns = td_store_ns(&c->store, e->row.ns, e->row.ns_len);
        e->pf.digest = e->row.digest;
        if (e->pf.ns)
            td_rec_prefetch_slot(e->pf.ns, e->pf.digest);
        pp->parsed++;
    }
    for (; pp->recs < pp->parsed && pp->recs < done + ROW_PF_REC_AHEAD; pp->recs++) {
        const struct td_prefetch *e = &pp->ring[pp->recs % ROW_PF_SLOT_AHEAD].pf;
        if (e->ns)
            td_rec_prefetch_rec(e->ns, e->digest);
    }
}

static void exec_batch(struct td_ctx *c, int node, const struct td_msg *m, struct buf *out,
                       uint32_t now)
{
    struct row_pipe pp;
    uint32_t done = 0;
    size_t start = out->len, msg_at;
    int rc = 0, st;

    c->nodes[node].st.batches++;
    if (!m->has_batch || td_batch_begin(&pp.b, m->batch, m->batch_len, m->transaction_ttl) != 0) {
        rc = AERO_RC_ERR_PARAMETER;
        goto last;
    }
    if (c->batch_max_requests && pp.b.count > c->batch_max_requests) {
        rc = AERO_RC_ERR_BATCH_MAX_REQUESTS;   /* the batch does not start (wire doc §8.2) */
        goto last;
    }
    msg_at = begin_proto(out);
    pp.ended = false;
    pp.end_st = 0;
    pp.parsed = pp.recs = 0;
    for (;;) {
        pipe_fill(c, &pp, done);
        if (done == pp.parsed) {
            st = pp.end_st;                      /* -1 at the end, > 0 for a malformed row */
            break;
        }
        const struct parsed_row *r = &pp.ring[done % ROW_PF_SLOT_AHEAD];
        done++;
        c->nodes[node].st.batch_rows++;
        if (!r->pf.ns) {
            st = AERO_RC_ERR_PARAMETER;          /* unknown namespace fails the whole batch */
            break;
        }
        if (!c->batch_writes && (r->row.info2 & AERO_INFO2_WRITE)) {
            st = AERO_RC_ERR_PARAMETER;          /* before 6.0 batches only read */
            break;
        }
        struct td_msg inherit;
        const struct td_msg *row = &r->row;
        if (m->has_filter && !row->has_filter) {   /* the batch's filter, for rows without one */
            inherit = *row;
            inherit.filter = m->filter;
            inherit.filter_len = m->filter_len;
            inherit.has_filter = true;
            row = &inherit;
        }
        int rrc = exec_record(c, node, row, out, r->index, true, now);
        if (rrc != 0 && rrc != AERO_RC_ERR_NOT_FOUND && rrc != AERO_RC_ERR_FILTERED_OUT &&
            !(pp.b.flags & TD_BATCH_RESPOND_ALL_KEYS)) {
            rc = rrc;
            out->len = start;
            goto last;
        }
        if (out->len - msg_at >= BATCH_BUF_MAX) {
            put_proto(out, msg_at, AERO_PROTO_MSG);
            msg_at = begin_proto(out);
        }
    }
    if (st > 0) {                   /* malformed row: no row replies at all (wire doc §8.1) */
        rc = st;
        out->len = start;
        goto last;
    }
    if (out->len - msg_at == AERO_PROTO_HEADER_SZ)
        out->len = msg_at;          /* nothing in the last data message */
    else
        put_proto(out, msg_at, AERO_PROTO_MSG);
last:
    if (rc)
        c->nodes[node].st.batch_errors++;
    msg_at = begin_proto(out);
    put_hdr(out, rc, 0, 0, 0, 0, AERO_INFO3_LAST);
    put_proto(out, msg_at, AERO_PROTO_MSG);
}

void td_exec_prefetch(struct td_ctx *c, const uint8_t *body, size_t n, struct td_prefetch *pf)
{
    const uint8_t *p = body + AERO_MSG_HEADER_SZ, *end = body + n, *ns = NULL, *digest = NULL;
    uint32_t ns_len = 0;

    pf->ns = NULL;
    if (n < AERO_MSG_HEADER_SZ || body[0] != AERO_MSG_HEADER_SZ || (body[1] & AERO_INFO1_BATCH))
        return;
    for (uint32_t i = load_u16be(body + 18); i > 0; i--) {   /* fields only, bounds checked */
        uint32_t sz;
        if ((size_t)(end - p) < 5)
            return;
        sz = load_u32be(p);
        if (sz < 1 || sz - 1 > (size_t)(end - p) - 5)
            return;
        if (p[4] == AERO_FIELD_NAMESPACE) {
            ns = p + 5;
            ns_len = sz - 1;
        } else if (p[4] == AERO_FIELD_DIGEST_RIPE && sz - 1 == AERO_DIGEST_SZ) {
            digest = p + 5;
        }
        p += 4 + (size_t)sz;
    }
    if (!ns || !digest || !(pf->ns = td_store_ns(&c->store, ns, ns_len)))
        return;
    pf->digest = digest;
    td_rec_prefetch_slot(pf->ns, digest);
}

void td_exec_message(struct td_ctx *c, int node, const uint8_t *body, size_t n, struct buf *out)
{
    struct td_msg m;
    size_t at;
    /* the clock is read once per batch, and once per read chunk when the server set now_cl */
    uint32_t now = c->now_cl ? c->now_cl : td_now_cl();

    c->nodes[node].st.received++;
    if (td_msg_parse(body, n, &m) != 0) {
        td_reply_rc(out, AERO_RC_ERR_PARAMETER);
        return;
    }
    if (m.info1 & AERO_INFO1_BATCH) {
        exec_batch(c, node, &m, out, now);
        return;
    }
    at = begin_proto(out);
    exec_record(c, node, &m, out, 0, false, now);
    put_proto(out, at, AERO_PROTO_MSG);
}
