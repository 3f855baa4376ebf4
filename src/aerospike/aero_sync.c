/* src/aerospike/aero_sync.c: keys, write-policy encoding (wire doc §2.2, §2.3, §11.5) and the
 * blocking convenience calls (put/get/exists/delete/touch/operate/batch read) for tools and
 * tests. Each call builds one request with the codec and runs it with aero_exec; none of
 * this is on the record hot path (the worker builds its own requests and uses aero_submit). */
#include <stdio.h>
#include <string.h>

#include "aero_int.h"

/* ---------- keys and policies ---------- */

enum status aero_key_init(struct aero_key *k, const char *ns, const char *set,
                          const struct aero_key_value *v, struct err *e)
{
    size_t ns_len = ns ? strlen(ns) : 0, set_len = set ? strlen(set) : 0;

    if (ns_len == 0 || ns_len > AERO_NAMESPACE_MAX)
        return err_set(e, ST_RECORD, "namespace '%s': must be 1..%d bytes", ns ? ns : "",
                       AERO_NAMESPACE_MAX);
    if (set_len > AERO_SET_MAX)
        return err_set(e, ST_RECORD, "set '%.40s...': over %d bytes", set, AERO_SET_MAX);
    k->ns = ns;
    k->set = set ? set : "";
    if (!v || v->type == AERO_PT_NULL) {
        memset(&k->value, 0, sizeof(k->value));     /* digest-only: caller fills k->digest */
        return ST_OK;
    }
    if (v->type != AERO_PT_INTEGER && v->type != AERO_PT_STRING && v->type != AERO_PT_BLOB)
        return err_set(e, ST_RECORD, "key type %u: only integer, string or blob keys", v->type);
    k->value = *v;
    aero_digest(k->set, set_len, v, k->digest);
    return ST_OK;
}

void aero_write_policy_init(struct aero_write_policy *p)
{
    static const struct aero_policy def = AERO_POLICY_WRITE_DEFAULT;
    memset(p, 0, sizeof(*p));
    p->base = def;
}

void aero_write_policy_bits(const struct aero_write_policy *p, uint8_t *info2, uint8_t *info3)
{
    uint8_t i2 = 0, i3 = 0;

    switch (p->exists) {
    case AERO_EXISTS_UPDATE: break;
    case AERO_EXISTS_UPDATE_ONLY: i3 |= AERO_INFO3_UPDATE_ONLY; break;
    case AERO_EXISTS_REPLACE: i3 |= AERO_INFO3_CREATE_OR_REPLACE; break;
    case AERO_EXISTS_REPLACE_ONLY: i3 |= AERO_INFO3_REPLACE_ONLY; break;
    case AERO_EXISTS_CREATE_ONLY: i2 |= AERO_INFO2_CREATE_ONLY; break;
    }
    if (p->gen_policy == AERO_GEN_EQ)
        i2 |= AERO_INFO2_GENERATION;
    else if (p->gen_policy == AERO_GEN_GT)
        i2 |= AERO_INFO2_GENERATION_GT;
    if (p->durable_delete)
        i2 |= AERO_INFO2_DURABLE_DELETE;
    if (p->commit_level == AERO_COMMIT_MASTER)
        i3 |= AERO_INFO3_COMMIT_MASTER;
    *info2 = i2;
    *info3 = i3;
}

void aero_write_begin(struct aero_msg *m, struct buf *b, const struct aero_write_policy *p,
                      const struct aero_key *k, uint8_t info1, uint8_t info2)
{
    uint8_t i2, i3;

    aero_write_policy_bits(p, &i2, &i3);
    aero_msg_begin(m, b, info1, (uint8_t)(info2 | i2 | AERO_INFO2_WRITE), i3,
                   p->gen_policy != AERO_GEN_NONE ? p->generation : 0, p->ttl, 0);
    aero_msg_key_fields(m, k->ns, strlen(k->ns), k->set, strlen(k->set), k->digest,
                        p->send_key && k->value.type != AERO_PT_NULL ? &k->value : NULL);
}

void aero_read_begin(struct aero_msg *m, struct buf *b, const struct aero_key *k, uint8_t info1)
{
    aero_msg_begin(m, b, (uint8_t)(info1 | AERO_INFO1_READ), 0, 0, 0, 0, 0);
    aero_msg_key_fields(m, k->ns, strlen(k->ns), k->set, strlen(k->set), k->digest, NULL);
}

/* ---------- values ---------- */

enum status aero_bin_to_mp(struct buf *b, const struct aero_bin *bin)
{
    switch (bin->type) {
    case AERO_PT_NULL: return aero_mp_nil(b);
    case AERO_PT_INTEGER: return aero_mp_int(b, bin->i);
    case AERO_PT_FLOAT: return aero_mp_double(b, bin->d);
    case AERO_PT_BOOL: return aero_mp_bool(b, bin->b);
    case AERO_PT_STRING: return aero_mp_str(b, bin->p, bin->n);
    case AERO_PT_BLOB: return aero_mp_blob(b, bin->p, bin->n);
    case AERO_PT_LIST:
    case AERO_PT_MAP: return buf_append(b, bin->p, bin->n);
    default: return ST_UNSUPPORTED;
    }
}

static void msg_fail(struct aero_msg *m, enum status st, const char *why, const char *name)
{
    if (m->st != ST_OK)
        return;
    m->st = st;
    snprintf(m->why, sizeof(m->why), "%s '%.40s'", why, name);
}

/* One op carrying @bin's value with its particle type. */
static void op_value(struct aero_msg *m, uint8_t op, const struct aero_bin *bin)
{
    const char *name = bin->name ? bin->name : "";
    size_t nl = strlen(name);
    static const uint8_t geo_head[3] = {0, 0, 0};   /* flags, cell count (wire doc §4.3) */

    switch (bin->type) {
    case AERO_PT_INTEGER: aero_msg_op_int(m, op, name, nl, bin->i); break;
    case AERO_PT_FLOAT: aero_msg_op_double(m, op, name, nl, bin->d); break;
    case AERO_PT_BOOL: aero_msg_op_bool(m, op, name, nl, bin->b); break;
    case AERO_PT_GEOJSON:
        aero_msg_op_open(m, op, AERO_PT_GEOJSON, name, nl);
        if (m->st == ST_OK && (buf_append(m->b, geo_head, 3) != ST_OK ||
                               buf_append(m->b, bin->p, bin->n) != ST_OK))
            msg_fail(m, ST_NOMEM, "out of memory for bin", name);
        aero_msg_op_close(m);
        break;
    default: aero_msg_op(m, op, bin->type, name, nl, bin->p, bin->n); break;
    }
}

/* A CDT_MODIFY op: [opcode, args...] in msgpack. */
static void op_cdt(struct aero_msg *m, const struct aero_op *o)
{
    const char *name = o->bin.name ? o->bin.name : "";
    bool map = o->kind == AERO_OPK_MAP_PUT;
    enum status st;

    aero_msg_op_open(m, AERO_OP_CDT_MODIFY, AERO_PT_BLOB, name, strlen(name));
    if (m->st != ST_OK)
        return;
    st = aero_mp_array(m->b, map ? 3 : 2);
    if (st == ST_OK)
        st = aero_mp_int(m->b, map ? AERO_CDT_MAP_PUT : AERO_CDT_LIST_APPEND);
    if (st == ST_OK && map)
        st = aero_bin_to_mp(m->b, &o->map_key);
    if (st == ST_OK)
        st = aero_bin_to_mp(m->b, &o->bin);
    if (st != ST_OK)
        msg_fail(m, st == ST_NOMEM ? ST_NOMEM : ST_RECORD, "cannot encode the value of bin", name);
    aero_msg_op_close(m);
}

/* ---------- records ---------- */

enum status aero_record_next_bin(const struct aero_record *r, const uint8_t **cursor,
                                 struct aero_bin_view *bin, struct err *e)
{
    if (!r->raw.p)
        return ST_EOF;
    if (!*cursor)
        *cursor = r->v.ops;
    return aero_msg_next_bin(&r->v, cursor, bin, e);
}

bool aero_record_bin(const struct aero_record *r, const char *name, struct aero_bin_view *bin)
{
    const uint8_t *cur = NULL;
    size_t n = strlen(name);

    while (aero_record_next_bin(r, &cur, bin, NULL) == ST_OK)
        if (bin->name_len == n && memcmp(bin->name, name, n) == 0)
            return true;
    return false;
}

void aero_record_free(struct aero_record *r)
{
    if (!r)
        return;
    buf_free(&r->raw);
    memset(r, 0, sizeof(*r));
}

/* Take the reply of @cmd into @rec (buffer ownership moves). */
static enum status take_reply(struct aero_cmd *cmd, struct aero_record *rec, struct err *e)
{
    if (!rec)
        return ST_OK;
    buf_free(&rec->raw);
    rec->raw = cmd->reply;
    memset(&cmd->reply, 0, sizeof(cmd->reply));
    rec->result_code = cmd->result_code;
    rec->generation = cmd->generation;
    rec->void_time = cmd->void_time;
    memset(&rec->v, 0, sizeof(rec->v));
    if (rec->raw.len == 0)
        return ST_OK;
    return aero_msg_parse(rec->raw.p, rec->raw.len, &rec->v, e);
}

/* Run a built request; @rec gets the reply (also on server errors). */
static enum status run(struct aero_client *cl, struct aero_cmd *cmd, struct aero_msg *m,
                       const struct aero_key *k, bool is_write, const struct aero_policy *p,
                       struct aero_record *rec, struct err *e)
{
    static const struct aero_policy rd = AERO_POLICY_READ_DEFAULT;
    enum status st;

    if (aero_msg_end(m, e) != ST_OK) {
        aero_cmd_free(cmd);
        return m->st;
    }
    aero_cmd_route(cmd, k->ns, k->digest, is_write);
    aero_cmd_policy(cmd, p ? p : &rd);
    st = aero_exec(cl, cmd, e);
    if (st == ST_OK || cmd->result_code != 0) {
        struct err pe;
        if (take_reply(cmd, rec, &pe) != ST_OK && st == ST_OK)
            st = err_set(e, ST_PROTO, "reply: %s", pe.msg);
    }
    aero_cmd_free(cmd);
    return st;
}

static const struct aero_write_policy *wpol(const struct aero_write_policy *p,
                                            struct aero_write_policy *def)
{
    if (p)
        return p;
    aero_write_policy_init(def);
    return def;
}

/* ---------- the calls ---------- */

enum status aero_put(struct aero_client *cl, const struct aero_write_policy *p,
                     const struct aero_key *k, const struct aero_bin *bins, size_t n,
                     struct aero_record *rec, struct err *e)
{
    struct aero_write_policy def;
    struct aero_cmd cmd = {0};
    struct aero_msg m;

    p = wpol(p, &def);
    aero_write_begin(&m, &cmd.req, p, k, 0, 0);
    for (size_t i = 0; i < n; i++)
        op_value(&m, AERO_OP_WRITE, &bins[i]);
    return run(cl, &cmd, &m, k, true, &p->base, rec, e);
}

enum status aero_get(struct aero_client *cl, const struct aero_policy *p, const struct aero_key *k,
                     const char *const *bins, size_t n_bins, struct aero_record *rec, struct err *e)
{
    struct aero_cmd cmd = {0};
    struct aero_msg m;

    aero_read_begin(&m, &cmd.req, k, n_bins ? 0 : AERO_INFO1_GET_ALL);
    for (size_t i = 0; i < n_bins; i++)
        aero_msg_op(&m, AERO_OP_READ, AERO_PT_NULL, bins[i], strlen(bins[i]), NULL, 0);
    return run(cl, &cmd, &m, k, false, p, rec, e);
}

enum status aero_get_header(struct aero_client *cl, const struct aero_policy *p,
                            const struct aero_key *k, struct aero_record *rec, struct err *e)
{
    struct aero_cmd cmd = {0};
    struct aero_msg m;

    aero_read_begin(&m, &cmd.req, k, AERO_INFO1_GET_NO_BINS);
    return run(cl, &cmd, &m, k, false, p, rec, e);
}

enum status aero_exists(struct aero_client *cl, const struct aero_policy *p,
                        const struct aero_key *k, bool *exists, struct err *e)
{
    enum status st = aero_get_header(cl, p, k, NULL, e);

    *exists = st == ST_OK;
    if (st == ST_NOT_FOUND) {
        err_clear(e);
        return ST_OK;
    }
    return st;
}

enum status aero_delete(struct aero_client *cl, const struct aero_write_policy *p,
                        const struct aero_key *k, bool *existed, struct err *e)
{
    struct aero_write_policy def;
    struct aero_cmd cmd = {0};
    struct aero_msg m;
    enum status st;

    p = wpol(p, &def);
    aero_write_begin(&m, &cmd.req, p, k, 0, AERO_INFO2_DELETE);
    st = run(cl, &cmd, &m, k, true, &p->base, NULL, e);
    if (existed)
        *existed = st == ST_OK;
    if (st == ST_NOT_FOUND) {
        err_clear(e);
        return ST_OK;
    }
    return st;
}

enum status aero_touch(struct aero_client *cl, const struct aero_write_policy *p,
                       const struct aero_key *k, struct aero_record *rec, struct err *e)
{
    struct aero_write_policy def;
    struct aero_cmd cmd = {0};
    struct aero_msg m;

    p = wpol(p, &def);
    aero_write_begin(&m, &cmd.req, p, k, 0, 0);
    aero_msg_op(&m, AERO_OP_TOUCH, AERO_PT_NULL, "", 0, NULL, 0);
    return run(cl, &cmd, &m, k, true, &p->base, rec, e);
}

enum status aero_operate(struct aero_client *cl, const struct aero_write_policy *p,
                         const struct aero_key *k, const struct aero_op *ops, size_t n,
                         struct aero_record *rec, struct err *e)
{
    struct aero_write_policy def;
    struct aero_cmd cmd = {0};
    struct aero_msg m;
    bool reads = false, read_all = false, writes = false, cdt = false;
    uint8_t info1 = 0, info2 = 0;

    p = wpol(p, &def);
    for (size_t i = 0; i < n; i++) {
        if (ops[i].kind == AERO_OPK_READ) {
            reads = true;
            read_all |= !ops[i].bin.name || !ops[i].bin.name[0];
        } else {
            writes = true;
            cdt |= ops[i].kind == AERO_OPK_LIST_APPEND || ops[i].kind == AERO_OPK_MAP_PUT;
        }
    }
    if (reads)
        info1 = (uint8_t)(AERO_INFO1_READ | (read_all ? AERO_INFO1_GET_ALL : 0));
    if (cdt && !read_all)
        info2 = AERO_INFO2_RESPOND_ALL_OPS;   /* wire doc §11.5 */
    if (writes)
        aero_write_begin(&m, &cmd.req, p, k, info1, info2);
    else
        aero_read_begin(&m, &cmd.req, k, info1);
    for (size_t i = 0; i < n; i++) {
        const struct aero_op *o = &ops[i];
        const char *name = o->bin.name ? o->bin.name : "";
        switch (o->kind) {
        case AERO_OPK_WRITE: op_value(&m, AERO_OP_WRITE, &o->bin); break;
        case AERO_OPK_READ: aero_msg_op(&m, AERO_OP_READ, AERO_PT_NULL, name, strlen(name), NULL, 0); break;
        case AERO_OPK_INCR: op_value(&m, AERO_OP_INCR, &o->bin); break;
        case AERO_OPK_APPEND: op_value(&m, AERO_OP_APPEND, &o->bin); break;
        case AERO_OPK_PREPEND: op_value(&m, AERO_OP_PREPEND, &o->bin); break;
        case AERO_OPK_TOUCH: aero_msg_op(&m, AERO_OP_TOUCH, AERO_PT_NULL, "", 0, NULL, 0); break;
        case AERO_OPK_DELETE_ALL: aero_msg_op(&m, AERO_OP_DELETE_ALL, AERO_PT_NULL, "", 0, NULL, 0); break;
        case AERO_OPK_LIST_APPEND:
        case AERO_OPK_MAP_PUT: op_cdt(&m, o); break;
        }
    }
    return run(cl, &cmd, &m, k, writes, &p->base, rec, e);
}

/* ---------- batch read (wire doc §8) ---------- */

struct batch_group {
    struct aero_node *nd;          /* owner at build time (borrowed from the snapshot) */
    struct aero_cmd cmd;
    size_t first;                  /* a key routed to this node: the command's routing key */
    bool done;
    enum status st;
    struct err e;
};

static void batch_cb(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    struct batch_group *g = cmd->ctx;
    g->done = true;
    g->st = st;
    g->e = *e;
}

/* One row (full, or REPEAT of the previous row's namespace/set/ops). */
static enum status batch_row(struct buf *f, uint32_t index, const struct aero_key *k,
                             const struct aero_key *prev, const char *const *bins, size_t n_bins)
{
    enum status st = buf_put_u32be(f, index);

    if (st == ST_OK)
        st = buf_append(f, k->digest, AERO_DIGEST_SZ);
    if (st != ST_OK)
        return st;
    if (prev && strcmp(prev->ns, k->ns) == 0 && strcmp(prev->set, k->set) == 0)
        return buf_put_u8(f, 0x01);                          /* REPEAT */
    /* INFO|TTL: info1, info2, info3, ttl (read-touch pct 0), n_fields, n_ops */
    buf_put_u8(f, 0x0a);
    buf_put_u8(f, (uint8_t)(AERO_INFO1_READ | (n_bins ? 0 : AERO_INFO1_GET_ALL)));
    buf_put_u8(f, 0);
    buf_put_u8(f, 0);
    buf_put_u32be(f, 0);
    buf_put_u16be(f, 2);
    buf_put_u16be(f, (uint16_t)n_bins);
    buf_put_u32be(f, (uint32_t)strlen(k->ns) + 1);
    buf_put_u8(f, AERO_FIELD_NAMESPACE);
    buf_append_str(f, k->ns);
    buf_put_u32be(f, (uint32_t)strlen(k->set) + 1);
    buf_put_u8(f, AERO_FIELD_SET);
    buf_append_str(f, k->set);
    for (size_t i = 0; i < n_bins; i++) {
        size_t nl = strlen(bins[i]);
        if (nl > AERO_BIN_NAME_MAX)
            return ST_BIN_NAME;
        buf_put_u32be(f, (uint32_t)(4 + nl));
        buf_put_u8(f, AERO_OP_READ);
        buf_put_u8(f, AERO_PT_NULL);
        buf_put_u8(f, 0);
        buf_put_u8(f, (uint8_t)nl);
        st = buf_append(f, bins[i], nl);
    }
    return st;
}

static enum status batch_build(struct batch_group *g, const struct aero_key *keys, size_t n,
                               const size_t *owner_of, size_t gi, const char *const *bins,
                               size_t n_bins, struct err *e)
{
    struct buf f = BUF_INIT;
    struct aero_msg m;
    const struct aero_key *prev = NULL;
    uint32_t count = 0;
    enum status st = ST_OK;

    buf_put_u32be(&f, 0);
    buf_put_u8(&f, 0x0d);          /* report errors per row | respond all keys | allow inline */
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        if (owner_of[i] != gi)
            continue;
        st = batch_row(&f, (uint32_t)i, &keys[i], prev, bins, n_bins);
        prev = &keys[i];
        count++;
    }
    if (st != ST_OK) {
        buf_free(&f);
        return err_set(e, st, "batch read: %s", st == ST_BIN_NAME ? "bin name over 15 bytes"
                                                                  : "out of memory");
    }
    store_u32be(f.p, count);
    aero_msg_begin(&m, &g->cmd.req, AERO_INFO1_BATCH, 0, 0, 0, 0, 0);
    aero_msg_field(&m, AERO_FIELD_BATCH, f.p, f.len);
    buf_free(&f);
    return aero_msg_end(&m, e);
}

/* Spread the rows of @g's reply into @recs by their index. */
static enum status batch_scatter(struct batch_group *g, size_t n, struct aero_record *recs,
                                 struct err *e)
{
    const uint8_t *p = g->cmd.reply.p, *end = p + g->cmd.reply.len;

    while (p && p < end) {
        struct aero_msg_view v;
        struct aero_record *r;
        if (aero_msg_parse(p, (size_t)(end - p), &v, e) != ST_OK)
            return ST_PROTO;
        if (v.info3 & AERO_INFO3_LAST)
            break;
        if (v.transaction_ttl >= n)
            return err_set(e, ST_PROTO, "batch reply row index %u out of range", v.transaction_ttl);
        r = &recs[v.transaction_ttl];
        buf_reset(&r->raw);
        if (buf_append(&r->raw, p, (size_t)(v.end - p)) != ST_OK)
            return err_set(e, ST_NOMEM, "batch reply");
        r->result_code = v.result_code;
        r->generation = v.generation;
        r->void_time = v.record_ttl;
        aero_msg_parse(r->raw.p, r->raw.len, &r->v, NULL);
        p = v.end;
    }
    return ST_OK;
}

enum status aero_batch_read(struct aero_client *cl, const struct aero_policy *p,
                            const struct aero_key *keys, size_t n, const char *const *bins,
                            size_t n_bins, struct aero_record *recs, struct err *e)
{
    static const struct aero_policy rd = AERO_POLICY_READ_DEFAULT;
    struct aero_pmap *pm = aero__cluster_pmap(aero_client_cluster(cl));
    struct batch_group *groups = mem_calloc(n ? n : 1, sizeof(*groups));
    size_t *owner_of = mem_calloc(n ? n : 1, sizeof(*owner_of));
    size_t n_groups = 0, pending = 0;
    enum status st = ST_OK;

    if (!groups || !owner_of || !pm) {
        st = err_set(e, ST_NOMEM, "batch read of %zu keys", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct aero_node *nd = aero__pmap_owner(pm, keys[i].ns, aero_partition_id(keys[i].digest), 0);
        size_t g = 0;
        struct buf keep = recs[i].raw;               /* reuse buffers of an earlier call */
        buf_reset(&keep);
        memset(&recs[i], 0, sizeof(recs[i]));
        recs[i].raw = keep;
        recs[i].result_code = AERO_RC_NO_RESPONSE;
        while (g < n_groups && !(groups[g].nd == nd && nd))
            g++;
        if (g == n_groups) {
            groups[g].nd = nd;
            groups[g].first = i;
            n_groups++;
        }
        owner_of[i] = g;
    }
    for (size_t g = 0; g < n_groups && st == ST_OK; g++) {
        struct batch_group *bg = &groups[g];
        st = batch_build(bg, keys, n, owner_of, g, bins, n_bins, e);
        if (st != ST_OK)
            break;
        aero_cmd_route(&bg->cmd, keys[bg->first].ns, keys[bg->first].digest, false);
        aero_cmd_policy(&bg->cmd, p ? p : &rd);
        bg->cmd.cb = batch_cb;
        bg->cmd.ctx = bg;
        st = aero_submit(cl, &bg->cmd, e);
        pending += st == ST_OK;
        bg->done = st != ST_OK;
    }
    while (pending > 0) {
        aero_client_poll(cl, 1000);
        pending = 0;
        for (size_t g = 0; g < n_groups; g++)
            pending += !groups[g].done;
    }
    for (size_t g = 0; g < n_groups && st == ST_OK; g++) {
        struct batch_group *bg = &groups[g];
        if (bg->st != ST_OK) {
            st = bg->st;
            if (e)
                *e = bg->e;
            for (size_t i = 0; i < n; i++)
                if (owner_of[i] == g)
                    recs[i].result_code = bg->cmd.result_code ? bg->cmd.result_code : AERO_RC_CLIENT;
            continue;
        }
        st = batch_scatter(bg, n, recs, e);
    }
out:
    for (size_t g = 0; g < n_groups; g++)
        aero_cmd_free(&groups[g].cmd);
    mem_free(groups);
    mem_free(owner_of);
    aero__pmap_unref(pm);
    return st;
}
