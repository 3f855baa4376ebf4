/* src/aerospike/aero_cluster.c: the cluster view (wire doc §11.1, §11.2).
 * Bootstrap from seeds, discover peers (`peers-clear-std`), build the partition map from every
 * node's `replicas` bitmaps, and keep all of it current from a tend thread. Clients read the
 * map as an immutable refcounted snapshot: a lock-free generation check on the hot path, a
 * short lock only when the generation moved. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "aero_int.h"

/* ---------- configuration ---------- */

void aero_cluster_config_init(struct aero_cluster_config *c)
{
    memset(c, 0, sizeof(*c));
    c->conn_timeout_ms = 1000;
    c->login_timeout_ms = 5000;
    c->info_timeout_ms = 1000;
    c->tend_interval_ms = 1000;
    c->max_conns_per_node = 100;
    c->fail_threshold = 5;
    c->max_socket_idle_ms = 55000;
    c->max_error_rate = 100;
    c->error_rate_window = 1;
}

enum status aero_cluster_config_seeds(struct aero_cluster_config *c, const char *list,
                                      struct err *e)
{
    const char *p = list;

    while (*p) {
        size_t n;
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        n = strcspn(p, ", \t");
        if (n == 0)
            break;
        if (c->n_seeds == AERO_MAX_SEEDS)
            return err_set(e, ST_CONFIG, "more than %d seeds", AERO_MAX_SEEDS);
        if (aero_host_parse(p, n, AERO_DEFAULT_PORT, &c->seeds[c->n_seeds], e) != ST_OK)
            return ST_CONFIG;
        c->n_seeds++;
        p += n;
    }
    return ST_OK;
}

/* ---------- membership events ---------- */

const char *aero_cluster_event_name(enum aero_cluster_event_kind k)
{
    switch (k) {
    case AERO_EV_NODE_ADDED: return "joined";
    case AERO_EV_NODE_DOWN: return "not answering";
    case AERO_EV_NODE_BACK: return "answering again";
    case AERO_EV_NODE_REMOVED: return "left";
    }
    return "?";
}

static void emit(struct aero_cluster *c, enum aero_cluster_event_kind kind, struct aero_node *nd)
{
    struct aero_cluster_event ev;

    if (!c->cfg.on_event || !c->started)
        return;
    ev.kind = kind;
    ev.node = nd->name;
    ev.addr = nd->addr;
    ev.why = kind == AERO_EV_NODE_DOWN || kind == AERO_EV_NODE_REMOVED ? nd->last_err.msg : "";
    ev.n_nodes = c->n_nodes;
    c->cfg.on_event(c->cfg.event_ctx, &ev);
}

/* ---------- nodes ---------- */

void aero__node_ref(struct aero_node *nd)
{
    atomic_fetch_add_explicit(&nd->refs, 1, memory_order_relaxed);
}

void aero__node_unref(struct aero_node *nd)
{
    if (!nd || atomic_fetch_sub_explicit(&nd->refs, 1, memory_order_acq_rel) != 1)
        return;
    aero__sock_close(&nd->info);
    aero__session_destroy(&nd->sess);
    mem_free(nd->maps);
    aero__peers_free(&nd->peers);
    mem_free(nd);
}

static bool build_at_least(const char *build, unsigned major, unsigned minor);

static struct aero_node *node_new(struct aero_cluster *c, const char *name, const struct aero_host *h,
                                  const struct sockaddr_storage *sa, socklen_t len,
                                  struct aero__sock *info, struct aero__session *sess,
                                  const char *build)
{
    struct aero_node *nd = mem_calloc(1, sizeof(*nd));

    if (!nd)
        return NULL;
    atomic_init(&nd->refs, 1);
    nd->id = c->next_node_id++;
    snprintf(nd->name, sizeof(nd->name), "%s", name);
    nd->host = *h;
    memcpy(&nd->sa, sa, len);
    nd->sa_len = len;
    aero__sa_format((const struct sockaddr *)sa, nd->addr, sizeof(nd->addr));
    snprintf(nd->build, sizeof(nd->build), "%s", build);
    nd->batch_writes = build_at_least(build, 6, 0);
    atomic_init(&nd->active, true);
    atomic_init(&nd->partition_gen_seen, -1);
    nd->info = *info;                 /* owned from here */
    aero__session_init(&nd->sess);
    aero__session_take(&nd->sess, sess);
    nd->partition_gen = -2;
    return nd;
}

static struct aero_node *find_node(struct aero_cluster *c, const char *name)
{
    for (size_t i = 0; i < c->n_nodes; i++)
        if (strcmp(c->nodes[i]->name, name) == 0)
            return c->nodes[i];
    return NULL;
}

static enum status add_node(struct aero_cluster *c, struct aero_node *nd, struct err *e)
{
    pthread_mutex_lock(&c->lock);
    if (c->n_nodes == c->cap_nodes) {
        size_t cap = c->cap_nodes ? c->cap_nodes * 2 : 8;
        struct aero_node **v = mem_realloc(c->nodes, cap * sizeof(*v));
        if (!v) {
            pthread_mutex_unlock(&c->lock);
            return err_set(e, ST_NOMEM, "node list");
        }
        c->nodes = v;
        c->cap_nodes = cap;
    }
    c->nodes[c->n_nodes++] = nd;
    pthread_mutex_unlock(&c->lock);
    return ST_OK;
}

static void remove_node(struct aero_cluster *c, size_t i)
{
    struct aero_node *nd = c->nodes[i];

    pthread_mutex_lock(&c->lock);
    memmove(&c->nodes[i], &c->nodes[i + 1], (c->n_nodes - i - 1) * sizeof(c->nodes[0]));
    c->n_nodes--;
    atomic_store(&nd->active, false);
    pthread_mutex_unlock(&c->lock);
    emit(c, AERO_EV_NODE_REMOVED, nd);
    aero__sock_close(&nd->info);
    aero__node_unref(nd);
}

/* ---------- info values ---------- */

static bool info_i64(const struct buf *b, const char *cmd, int64_t *out)
{
    const char *v;
    size_t n;
    return aero__info_find((const char *)b->p, b->len, cmd, &v, &n) && str_to_i64(v, n, out);
}

static bool info_u64(const struct buf *b, const char *cmd, uint64_t *out)
{
    const char *v;
    size_t n;
    return aero__info_find((const char *)b->p, b->len, cmd, &v, &n) && str_to_u64(v, n, out);
}

/* Copy the value of @cmd into @out; false when absent, too long or an error value. */
static bool info_str(const struct buf *b, const char *cmd, char *out, size_t cap)
{
    const char *v;
    size_t n;
    if (!aero__info_find((const char *)b->p, b->len, cmd, &v, &n) || n >= cap ||
        aero__info_is_error(v, n))
        return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

/* "8.1.2.0" is at least @major.@minor; @unparsable when it does not read as a version. */
static bool build_cmp(const char *build, unsigned major, unsigned minor, bool unparsable)
{
    unsigned ma = 0, mi = 0;
    if (sscanf(build, "%u.%u", &ma, &mi) != 2)
        return unparsable;
    return ma > major || (ma == major && mi >= minor);
}

/* Version checks: a build that is not a version is accepted (as the official client does),
 * but gets no feature that needs a known version. */
static bool build_supported(const char *build)
{
    return build_cmp(build, 4, 9, true);
}

static bool build_at_least(const char *build, unsigned major, unsigned minor)
{
    return build_cmp(build, major, minor, false);
}

/* ---------- validating a seed or a peer (wire doc §11.1) ---------- */

/* Check an answer to the validation request; fills @name and @build. */
static enum status check_identity(struct aero_cluster *c, const struct buf *r, const char *where,
                                  const char *expect, char *name, char *build, struct err *e)
{
    int64_t pgen;
    char cname[128];

    if (!info_str(r, "node", name, AERO_NODE_NAME_SZ) || !aero__valid_node_name(name, strlen(name)))
        return err_set(e, ST_PROTO, "%s: no valid 'node' in the info reply", where);
    if (expect && strcmp(name, expect) != 0)
        return err_set(e, ST_CONNECT, "%s: answers as node %s, peers list said %s", where, name,
                       expect);
    if (!info_i64(r, "partition-generation", &pgen))
        return err_set(e, ST_PROTO, "%s: no valid 'partition-generation' in the info reply", where);
    if (pgen < 0)
        return err_set(e, ST_UNAVAILABLE,
                       "%s: node %s not ready (partition-generation %lld: partitions not balanced yet)",
                       where, name, (long long)pgen);
    if (!info_str(r, "build", build, 32))
        return err_set(e, ST_PROTO, "%s: no valid 'build' in the info reply", where);
    if (!build_supported(build))
        return err_set(e, ST_UNSUPPORTED, "%s: server build %s is older than 4.9", where, build);
    if (c->cfg.cluster_name[0]) {
        if (!info_str(r, "cluster-name", cname, sizeof(cname)))
            return err_set(e, ST_CONFIG, "%s: node %s did not report its cluster-name", where, name);
        if (strcmp(cname, c->cfg.cluster_name) != 0)
            return err_set(e, ST_CONFIG, "%s: node %s is in cluster '%s', expected '%s'", where,
                           name, cname, c->cfg.cluster_name);
    }
    return ST_OK;
}

/* Connect to @h, validate it; returns a new node (one ref) or NULL with @e set. When the node
 * is already known (@known != NULL after return), the probe is dropped. */
static struct aero_node *probe(struct aero_cluster *c, const struct aero_host *h,
                               const char *expect, struct aero_node **known, struct err *e)
{
    struct sockaddr_storage sa[8];
    socklen_t lens[8];
    size_t n = 0;
    char where[AERO_ADDR_SZ], name[AERO_NODE_NAME_SZ], build[32];
    const char *req = c->cfg.cluster_name[0] ? "node\npartition-generation\nbuild\ncluster-name\n"
                                             : "node\npartition-generation\nbuild\n";
    const char *tls_name = h->tls_name[0] ? h->tls_name : h->name;
    struct buf r = BUF_INIT;
    struct aero__session sess;
    struct aero_node *found = NULL;

    *known = NULL;
    aero_host_format(h, where, sizeof(where));
    if (aero__resolve(h, sa, lens, ARRAY_LEN(sa), &n, e) != ST_OK)
        return NULL;
    aero__session_init(&sess);
    for (size_t i = 0; i < n; i++) {
        struct aero__sock s = AERO_SOCK_CLOSED;
        char addr[AERO_ADDR_SZ];

        aero__sa_format((struct sockaddr *)&sa[i], addr, sizeof(addr));
        /* wire doc §11.1: connect (+ TLS), log in, then the info request */
        if (aero__sock_open(c, (struct sockaddr *)&sa[i], lens[i], tls_name, &s, addr, e) != ST_OK)
            continue;
        if ((c->cfg.auth && aero__login(c, &s, &sess, addr, e) != ST_OK) ||
            aero__info_exchange(&s, req, &r, c->cfg.info_timeout_ms, addr, e) != ST_OK ||
            check_identity(c, &r, addr, expect, name, build, e) != ST_OK) {
            aero__sock_close(&s);
            if (e && status_class(e->status) == CLASS_FATAL)
                break;                /* refused credentials or certificate: same elsewhere */
            continue;
        }
        if ((*known = find_node(c, name)) != NULL) {
            aero__sock_close(&s);
            break;
        }
        found = node_new(c, name, h, &sa[i], lens[i], &s, &sess, build);
        if (!found) {
            aero__sock_close(&s);
            err_set(e, ST_NOMEM, "%s: node", addr);
        }
        break;
    }
    buf_free(&r);
    aero__session_destroy(&sess);
    return found;
}

/* ---------- one tend pass ---------- */

struct tend {
    bool peers_dirty;
    bool map_dirty;
    size_t healthy;
};

static void node_failed(struct aero_node *nd)
{
    nd->healthy = false;
    atomic_fetch_add(&nd->tend_failures, 1);
    aero__sock_close(&nd->info);
}

static bool node_exchange(struct aero_cluster *c, struct aero_node *nd, const char *cmds,
                          struct buf *r)
{
    if (nd->info.fd < 0 &&
        (aero__sock_open(c, (struct sockaddr *)&nd->sa, nd->sa_len,
                         nd->host.tls_name[0] ? nd->host.tls_name : nd->host.name, &nd->info,
                         nd->addr, &nd->last_err) != ST_OK ||
         aero__sock_auth(c, nd, &nd->info, &nd->last_err) != ST_OK))
        aero__sock_close(&nd->info);
    if (nd->info.fd < 0 ||
        aero__info_exchange(&nd->info, cmds, r, c->cfg.info_timeout_ms, nd->addr,
                            &nd->last_err) != ST_OK) {
        node_failed(nd);
        return false;
    }
    return true;
}

/* `node`, `peers-generation`, `partition-generation` (wire doc §11.2). */
static void refresh_node(struct aero_cluster *c, struct aero_node *nd, struct buf *r,
                         struct tend *t)
{
    char name[AERO_NODE_NAME_SZ];
    uint64_t pgen_peers;
    int64_t pgen;

    if (!node_exchange(c, nd, "node\npeers-generation\npartition-generation\n", r)) {
        t->peers_dirty = true;
        return;
    }
    if (!info_str(r, "node", name, sizeof(name)) || strcmp(name, nd->name) != 0 ||
        !info_u64(r, "peers-generation", &pgen_peers) || !info_i64(r, "partition-generation", &pgen)) {
        /* another node behind the same address (restart with a new id) or garbage */
        err_set(&nd->last_err, ST_PROTO, "%s: answers as another node or not as a node", nd->addr);
        node_failed(nd);
        atomic_store(&nd->tend_failures, c->cfg.fail_threshold);
        t->peers_dirty = true;
        return;
    }
    nd->healthy = true;
    atomic_store(&nd->tend_failures, 0);
    atomic_store(&nd->peers_gen_seen, pgen_peers);
    atomic_store(&nd->partition_gen_seen, pgen);
    if (!nd->peers_gen_valid || pgen_peers != nd->peers_gen)
        t->peers_dirty = true;
    if (pgen >= 0 && pgen != nd->partition_gen)
        nd->need_replicas = true;
}

static void fetch_peers(struct aero_cluster *c, struct aero_node *nd, struct buf *r)
{
    const char *v;
    size_t n;

    const char *cmd = c->tls ? "peers-tls-std" : "peers-clear-std";

    if (!node_exchange(c, nd, c->tls ? "peers-tls-std\n" : "peers-clear-std\n", r))
        return;
    if (!aero__info_find((const char *)r->p, r->len, cmd, &v, &n) ||
        aero__parse_peers(v, n, &nd->peers, NULL) != ST_OK) {
        err_set(&nd->last_err, ST_PROTO, "%s: malformed %s reply", nd->addr, cmd);
        node_failed(nd);
        return;
    }
    nd->peers_gen = nd->peers.generation;
    nd->peers_gen_valid = true;
}

static bool listed_by_peer(struct aero_cluster *c, const struct aero_node *nd)
{
    for (size_t i = 0; i < c->n_nodes; i++) {
        const struct aero_node *o = c->nodes[i];
        if (o == nd || !o->healthy || !o->peers_gen_valid)
            continue;
        for (size_t k = 0; k < o->peers.n; k++)
            if (strcmp(o->peers.v[k].node, nd->name) == 0)
                return true;
    }
    return false;
}

/* Add every peer some healthy node lists and we do not know yet. */
static void add_peers(struct aero_cluster *c, struct tend *t)
{
    size_t n = c->n_nodes;

    for (size_t i = 0; i < n; i++) {
        struct aero_node *nd = c->nodes[i];
        if (!nd->healthy || !nd->peers_gen_valid)
            continue;
        for (size_t k = 0; k < nd->peers.n; k++) {
            const struct aero__peer *pr = &nd->peers.v[k];
            if (pr->n_eps == 0 || find_node(c, pr->node))
                continue;
            for (size_t j = 0; j < pr->n_eps; j++) {
                struct aero_host h = pr->eps[j];
                if (pr->tls_name[0])          /* peers-tls-std: the name its certificate has */
                    snprintf(h.tls_name, sizeof(h.tls_name), "%s", pr->tls_name);
                struct aero_node *known, *nn = probe(c, &h, pr->node, &known, NULL);
                if (known)
                    break;
                if (!nn)
                    continue;
                nn->healthy = true;
                nn->need_replicas = true;
                if (add_node(c, nn, NULL) != ST_OK) {
                    aero__node_unref(nn);
                    break;
                }
                emit(c, AERO_EV_NODE_ADDED, nn);
                t->map_dirty = true;
                t->healthy++;
                break;
            }
        }
    }
}

static void fetch_replicas(struct aero_cluster *c, struct aero_node *nd, struct buf *r,
                           struct tend *t)
{
    struct aero__ns_map *maps = NULL, *fit;
    const char *v;
    size_t n, n_maps = 0;
    int64_t pgen;

    if (!node_exchange(c, nd, "partition-generation\nreplicas\n", r))
        return;
    maps = mem_malloc(AERO_MAX_NS * sizeof(*maps));
    if (!maps || !info_i64(r, "partition-generation", &pgen) || pgen < 0 ||
        !aero__info_find((const char *)r->p, r->len, "replicas", &v, &n) ||
        aero__parse_replicas(v, n, maps, AERO_MAX_NS, &n_maps, NULL) != ST_OK) {
        mem_free(maps);
        if (maps) {
            err_set(&nd->last_err, ST_PROTO, "%s: malformed replicas reply", nd->addr);
            node_failed(nd);
        }
        return;
    }
    fit = n_maps ? mem_realloc(maps, n_maps * sizeof(*maps)) : NULL;
    if (n_maps && !fit) {
        mem_free(maps);
        return;
    }
    if (!n_maps)
        mem_free(maps);
    mem_free(nd->maps);
    nd->maps = fit;
    nd->n_maps = n_maps;
    nd->partition_gen = pgen;
    nd->need_replicas = false;
    nd->replicas_seq = ++c->replicas_seq;
    t->map_dirty = true;
}

/* Nodes that failed too often, or that no healthy peer lists any more, go away; never the
 * last ones standing when nothing answers (they are retried every pass). */
static void remove_dead(struct aero_cluster *c, struct tend *t)
{
    if (t->healthy == 0)
        return;
    for (size_t i = c->n_nodes; i-- > 0;) {
        struct aero_node *nd = c->nodes[i];
        unsigned fails = atomic_load(&nd->tend_failures);
        if (nd->healthy)
            continue;
        if (fails >= c->cfg.fail_threshold || (c->n_nodes > 1 && !listed_by_peer(c, nd))) {
            remove_node(c, i);
            t->map_dirty = true;
        }
    }
}

static int cmp_seq(const void *a, const void *b)
{
    const struct aero_node *x = *(struct aero_node *const *)a, *y = *(struct aero_node *const *)b;
    return x->replicas_seq < y->replicas_seq ? -1 : x->replicas_seq > y->replicas_seq;
}

void aero__pmap_unref(struct aero_pmap *pm)
{
    if (!pm || atomic_fetch_sub_explicit(&pm->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < pm->n_nodes; i++)
        aero__node_unref(pm->nodes[i]);
    mem_free(pm->nodes);
    mem_free(pm->ns);
    mem_free(pm);
}

static struct aero_pmap_ns *pmap_ns(struct aero_pmap *pm, const char *name, size_t cap)
{
    for (size_t i = 0; i < pm->n_ns; i++)
        if (strcmp(pm->ns[i].name, name) == 0)
            return &pm->ns[i];
    if (pm->n_ns == cap)
        return NULL;
    snprintf(pm->ns[pm->n_ns].name, sizeof(pm->ns[0].name), "%s", name);
    return &pm->ns[pm->n_ns++];
}

/* Build a snapshot from every node's bitmaps (newer fetches win conflicts) and publish it. */
static enum status publish_map(struct aero_cluster *c)
{
    size_t n = c->n_nodes, cap_ns = 0;
    struct aero_pmap *pm = mem_calloc(1, sizeof(*pm)), *old;
    struct aero_node **order = mem_malloc((n ? n : 1) * sizeof(*order));

    for (size_t i = 0; i < n; i++)
        cap_ns += c->nodes[i]->n_maps;
    cap_ns = MIN(cap_ns, AERO_MAX_NS);
    if (!pm || !order || !(pm->nodes = mem_malloc((n ? n : 1) * sizeof(*pm->nodes))) ||
        (cap_ns && !(pm->ns = mem_calloc(cap_ns, sizeof(*pm->ns))))) {
        mem_free(order);
        if (pm) {
            mem_free(pm->nodes);
            mem_free(pm);
        }
        return ST_NOMEM;
    }
    atomic_init(&pm->refs, 1);
    memcpy(order, c->nodes, n * sizeof(*order));
    qsort(order, n, sizeof(*order), cmp_seq);
    for (size_t i = 0; i < n; i++) {
        struct aero_node *nd = order[i];
        unsigned masters = 0;
        aero__node_ref(nd);
        pm->nodes[pm->n_nodes++] = nd;
        for (size_t m = 0; m < nd->n_maps; m++) {
            struct aero_pmap_ns *pn = pmap_ns(pm, nd->maps[m].name, cap_ns);
            if (!pn)
                continue;
            pn->n_repl = (uint8_t)MAX(pn->n_repl, nd->maps[m].n_kept);
            for (unsigned col = 0; col < nd->maps[m].n_kept; col++)
                for (uint32_t pid = 0; pid < AERO_PARTITIONS; pid++)
                    if (aero__bit(nd->maps[m].bits[col], pid))
                        pn->owner[col][pid] = nd;
        }
        for (size_t m = 0; m < pm->n_ns; m++)
            for (uint32_t pid = 0; pid < AERO_PARTITIONS; pid++)
                masters += pm->ns[m].owner[0][pid] == nd;
        atomic_store(&nd->partitions_master, masters);
    }
    mem_free(order);
    pthread_mutex_lock(&c->lock);
    old = c->pmap;
    pm->gen = old ? old->gen + 1 : 1;
    c->pmap = pm;
    atomic_store_explicit(&c->pmap_gen, pm->gen, memory_order_release);
    pthread_mutex_unlock(&c->lock);
    aero__pmap_unref(old);
    return ST_OK;
}

/* No node answers: try the seeds again (a restarted node may have a new id). */
static void reseed(struct aero_cluster *c, struct tend *t)
{
    for (size_t i = 0; i < c->cfg.n_seeds; i++) {
        struct aero_node *known, *nd = probe(c, &c->cfg.seeds[i], NULL, &known, NULL);
        if (!nd)
            continue;
        nd->healthy = true;
        nd->need_replicas = true;
        if (add_node(c, nd, NULL) != ST_OK) {
            aero__node_unref(nd);
            continue;
        }
        emit(c, AERO_EV_NODE_ADDED, nd);
        t->healthy++;
        t->peers_dirty = true;
        t->map_dirty = true;
    }
}

/* Circuit breaker: start a new error-rate window once this one lasted error_rate_window tend
 * intervals (wall time, so the extra passes a client asks for after a connect failure do not
 * shorten it), or that many passes without a tend thread. Tend lock held. */
static void error_window(struct aero_cluster *c)
{
    uint32_t window = MAX(c->cfg.error_rate_window, 1u);
    uint64_t now = clock_mono_ms();
    bool over;

    if (c->cfg.tend_interval_ms)
        over = now - c->window_start_ms >= (uint64_t)window * c->cfg.tend_interval_ms;
    else
        over = ++c->window_passes >= window;
    if (!over)
        return;
    c->window_start_ms = now;
    c->window_passes = 0;
    for (size_t i = 0; i < c->n_nodes; i++)
        atomic_store_explicit(&c->nodes[i]->error_rate, 0, memory_order_relaxed);
}

/* A node's health changes are reported once per pass, after every request of the pass, so a
 * node that fails its peers or replicas request is "not answering" before remove_dead may let
 * it leave in the same pass. */
static void report_health(struct aero_cluster *c)
{
    for (size_t i = 0; i < c->n_nodes; i++) {
        struct aero_node *nd = c->nodes[i];
        if (!nd->healthy && !nd->reported_down) {
            nd->reported_down = true;
            emit(c, AERO_EV_NODE_DOWN, nd);
        } else if (nd->healthy && nd->reported_down) {
            nd->reported_down = false;
            emit(c, AERO_EV_NODE_BACK, nd);
        }
    }
}

/* aero_cluster_free began: every wait of a pass now ends at once (ST_CANCELLED), so what the
 * pass saw since is no news about the cluster and must not be reported or published. */
static bool stopping(struct aero_cluster *c)
{
    bool stop;

    pthread_mutex_lock(&c->lock);
    stop = c->stop;
    pthread_mutex_unlock(&c->lock);
    return stop;
}

static enum status tend_pass(struct aero_cluster *c, bool force_map, struct err *e)
{
    struct tend t = {false, force_map, 0};
    struct buf *r;

    pthread_mutex_lock(&c->tend_lock);
    r = &c->tend_buf;
    for (size_t i = 0; i < c->n_nodes && !stopping(c); i++) {
        struct aero_node *nd = c->nodes[i];
        aero__session_tend(c, nd);   /* token refresh ahead of its TTL */
        refresh_node(c, nd, r, &t);
        t.healthy += nd->healthy;
    }
    if (stopping(c)) {
        pthread_mutex_unlock(&c->tend_lock);
        return err_set(e, ST_CANCELLED, "aerospike: the cluster is closing");
    }
    if (t.healthy == 0)
        reseed(c, &t);
    if (t.peers_dirty) {
        for (size_t i = 0; i < c->n_nodes; i++)
            if (c->nodes[i]->healthy)
                fetch_peers(c, c->nodes[i], r);
        add_peers(c, &t);
    }
    for (size_t i = 0; i < c->n_nodes; i++)
        if (c->nodes[i]->healthy && c->nodes[i]->need_replicas)
            fetch_replicas(c, c->nodes[i], r, &t);
    if (stopping(c)) {
        pthread_mutex_unlock(&c->tend_lock);
        return err_set(e, ST_CANCELLED, "aerospike: the cluster is closing");
    }
    report_health(c);
    t.healthy = 0;
    for (size_t i = 0; i < c->n_nodes; i++)
        t.healthy += c->nodes[i]->healthy;
    remove_dead(c, &t);
    error_window(c);
    if (t.map_dirty && publish_map(c) != ST_OK)
        c->replicas_seq++;            /* out of memory: try again next pass */
    pthread_mutex_unlock(&c->tend_lock);
    if (t.healthy == 0)
        return err_set(e, ST_UNAVAILABLE, "no cluster node answered the tend request");
    return ST_OK;
}

enum status aero_cluster_tend(struct aero_cluster *c, struct err *e)
{
    return tend_pass(c, false, e);
}

/* ---------- tend thread ---------- */

static void *tend_main(void *arg)
{
    struct aero_cluster *c = arg;
    uint64_t min_gap = MAX(c->cfg.tend_interval_ms / 10, 50);
    uint64_t last = clock_mono_ms();

    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        uint64_t now = clock_mono_ms();
        uint64_t due = last + (c->tend_requested ? min_gap : c->cfg.tend_interval_ms);
        if (now < due) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t ns = (uint64_t)ts.tv_nsec + (due - now) * 1000000ull;
            ts.tv_sec += (time_t)(ns / 1000000000ull);
            ts.tv_nsec = (long)(ns % 1000000000ull);
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
            continue;
        }
        c->tend_requested = false;
        pthread_mutex_unlock(&c->lock);
        tend_pass(c, false, NULL);
        last = clock_mono_ms();
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

void aero_cluster_poke(struct aero_cluster *c)
{
    pthread_mutex_lock(&c->lock);
    if (!c->tend_requested) {
        c->tend_requested = true;
        pthread_cond_signal(&c->cond);
    }
    pthread_mutex_unlock(&c->lock);
}

/* ---------- create / free ---------- */

static enum status check_config(const struct aero_cluster_config *cfg, struct err *e)
{
    if (cfg->n_seeds == 0 || cfg->n_seeds > AERO_MAX_SEEDS)
        return err_set(e, ST_CONFIG, "aerospike: no seed hosts");
    if (cfg->auth && cfg->auth_mode != AERO_AUTH_PKI && !cfg->user[0])
        return err_set(e, ST_CONFIG, "aerospike: credentials without a user name");
    if (cfg->auth && cfg->auth_mode == AERO_AUTH_PKI && (!cfg->tls.enabled || !cfg->tls.key.file[0]))
        return err_set(e, ST_CONFIG,
                       "aerospike: auth-mode pki logs in with the client certificate: it needs "
                       "TLS with a key store");
    if (cfg->conn_timeout_ms == 0 || cfg->info_timeout_ms == 0)
        return err_set(e, ST_CONFIG, "aerospike: connect and info timeouts must be > 0");
    return ST_OK;
}

/* Probe every seed; @e lists each failure ("h:p: why; h2:p: why"). */
static enum status bootstrap(struct aero_cluster *c, struct err *e)
{
    char why[ERR_MSG_LEN] = "";
    size_t used = 0;
    enum status fatal = ST_OK;

    for (size_t i = 0; i < c->cfg.n_seeds; i++) {
        struct err pe = {0};
        struct aero_node *known, *nd = probe(c, &c->cfg.seeds[i], NULL, &known, &pe);
        if (nd) {
            nd->healthy = true;
            nd->need_replicas = true;
            if (add_node(c, nd, e) != ST_OK) {
                aero__node_unref(nd);
                return ST_NOMEM;
            }
        } else if (!known && used + 4 < sizeof(why)) {
            if (status_class(pe.status) == CLASS_FATAL && fatal == ST_OK)
                fatal = pe.status;    /* TLS / credentials refused: retrying cannot help */
            if (pe.msg[0] == '\0') {
                char where[AERO_ADDR_SZ];
                aero_host_format(&c->cfg.seeds[i], where, sizeof(where));
                snprintf(pe.msg, sizeof(pe.msg), "%s: failed", where);
            }
            used += (size_t)snprintf(why + used, sizeof(why) - used, "%s%s", used ? "; " : "",
                                     pe.msg);
            used = MIN(used, sizeof(why) - 1);
        }
    }
    if (c->n_nodes == 0 && fatal != ST_OK)
        return err_set(e, fatal, "%s", why);
    if (c->n_nodes == 0)
        return err_set(e, ST_CONNECT, "aerospike: no seed answered: %s", why);
    return ST_OK;
}

struct aero_cluster *aero_cluster_new(const struct aero_cluster_config *cfg, struct err *e)
{
    struct aero_cluster *c;
    pthread_condattr_t ca;

    if (check_config(cfg, e) != ST_OK)
        return NULL;
    c = mem_calloc(1, sizeof(*c));
    if (!c) {
        err_set(e, ST_NOMEM, "aerospike cluster");
        return NULL;
    }
    c->cfg = *cfg;
    c->stop_fd = -1;
    if (c->cfg.fail_threshold == 0)
        c->cfg.fail_threshold = 1;
    c->window_start_ms = clock_mono_ms();
    if (c->cfg.login_timeout_ms == 0)
        c->cfg.login_timeout_ms = 5000;
    if (c->cfg.tls.enabled && c->cfg.tls.pipeline_depth == 0)
        c->cfg.tls.pipeline_depth = 1;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->tend_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->stop_fd < 0) {
        err_set(e, ST_INTERNAL, "aerospike: eventfd: %s", strerror(errno));
        goto fail;
    }
    if (c->cfg.tls.enabled && !(c->tls = aero__tls_ctx_new(&c->cfg.tls, e)))
        goto fail;
    if (c->cfg.auth && c->cfg.auth_mode != AERO_AUTH_PKI &&
        aero_bcrypt(c->cfg.password, AERO_LOGIN_SALT, c->credential, e) != ST_OK)
        goto fail;
    if (bootstrap(c, e) != ST_OK || tend_pass(c, true, e) != ST_OK || !c->pmap)
        goto fail;
    c->started = true;                /* written before the tend thread starts */
    if (c->cfg.tend_interval_ms > 0) {
        int rc = pthread_create(&c->tend_thread, NULL, tend_main, c);
        if (rc != 0) {
            err_set(e, ST_INTERNAL, "aerospike: tend thread: %s", strerror(rc));
            goto fail;
        }
        c->tend_running = true;
    }
    return c;
fail:
    if (!c->pmap && c->n_nodes > 0)
        err_set(e, ST_NOMEM, "aerospike: partition map");
    aero_cluster_free(c);
    return NULL;
}

void aero_cluster_free(struct aero_cluster *c)
{
    if (!c)
        return;
    if (c->tend_running) {
        uint64_t one = 1;
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
        /* a pass blocked on a node that does not answer (stopped, frozen, unreachable) gives
         * up now rather than at its connect/login/info timeouts (seconds per node) */
        if (write(c->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
            /* cannot happen (counter far from overflow); the join then waits the timeouts */
        }
        pthread_join(c->tend_thread, NULL);
    }
    if (c->stop_fd >= 0)
        close(c->stop_fd);
    c->started = false;               /* closing is not a membership change */
    while (c->n_nodes > 0)
        remove_node(c, c->n_nodes - 1);
    aero__pmap_unref(c->pmap);
    buf_free(&c->tend_buf);
    mem_free(c->nodes);
    aero__tls_ctx_free(c->tls);
    explicit_bzero(c->cfg.password, sizeof(c->cfg.password));
    explicit_bzero(c->credential, sizeof(c->credential));
    explicit_bzero(c->cfg.tls.key.password, sizeof(c->cfg.tls.key.password));
    explicit_bzero(c->cfg.tls.trust.password, sizeof(c->cfg.tls.trust.password));
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->tend_lock);
    pthread_mutex_destroy(&c->lock);
    mem_free(c);
}

/* ---------- readers ---------- */

struct aero_pmap *aero__cluster_pmap(struct aero_cluster *c)
{
    struct aero_pmap *pm;

    pthread_mutex_lock(&c->lock);
    pm = c->pmap;
    if (pm)
        atomic_fetch_add_explicit(&pm->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&c->lock);
    return pm;
}

const struct aero_pmap_ns *aero__pmap_ns(const struct aero_pmap *pm, const char *ns)
{
    for (size_t i = 0; i < pm->n_ns; i++)
        if (strcmp(pm->ns[i].name, ns) == 0)
            return &pm->ns[i];
    return NULL;
}

struct aero_node *aero__pmap_ns_owner(const struct aero_pmap_ns *pn, uint32_t pid, unsigned replica)
{
    unsigned n = pn->n_repl, col;

    pid &= 0xFFF;
    if (replica == 0 && n > 0 && pn->owner[0][pid])
        return pn->owner[0][pid];     /* the hot path: the master is known */
    if (n == 0)
        return NULL;
    col = replica % n;
    for (unsigned k = 0; k < n; k++, col = col + 1 == n ? 0 : col + 1) {
        struct aero_node *nd = pn->owner[col][pid];
        if (nd)
            return nd;
    }
    return NULL;
}

struct aero_node *aero__pmap_owner(const struct aero_pmap *pm, const char *ns, uint32_t pid,
                                   unsigned replica)
{
    const struct aero_pmap_ns *pn = aero__pmap_ns(pm, ns);
    return pn ? aero__pmap_ns_owner(pn, pid, replica) : NULL;
}

bool aero_cluster_owner(struct aero_cluster *c, const char *ns, const uint8_t digest[AERO_DIGEST_SZ],
                        unsigned replica, char name[AERO_NODE_NAME_SZ])
{
    struct aero_pmap *pm = aero__cluster_pmap(c);
    uint32_t pid = ((uint32_t)digest[0] | ((uint32_t)digest[1] << 8)) & 0xFFF;
    struct aero_node *nd = pm ? aero__pmap_owner(pm, ns, pid, replica) : NULL;

    if (nd)
        snprintf(name, AERO_NODE_NAME_SZ, "%s", nd->name);
    aero__pmap_unref(pm);
    return nd != NULL;
}

uint64_t aero_cluster_map_generation(struct aero_cluster *c)
{
    return atomic_load_explicit(&c->pmap_gen, memory_order_acquire);
}

size_t aero_cluster_nodes(struct aero_cluster *c, struct aero_node_info *out, size_t cap)
{
    size_t n;

    pthread_mutex_lock(&c->lock);
    n = c->n_nodes;
    for (size_t i = 0; i < n && i < cap; i++) {
        struct aero_node *nd = c->nodes[i];
        struct aero_node_info *o = &out[i];
        memset(o, 0, sizeof(*o));
        snprintf(o->name, sizeof(o->name), "%s", nd->name);
        snprintf(o->addr, sizeof(o->addr), "%s", nd->addr);
        snprintf(o->build, sizeof(o->build), "%s", nd->build);
        o->partition_generation = atomic_load(&nd->partition_gen_seen);
        o->peers_generation = atomic_load(&nd->peers_gen_seen);
        o->partitions_master = atomic_load(&nd->partitions_master);
        o->tend_failures = atomic_load(&nd->tend_failures);
        o->commands = atomic_load(&nd->n_commands);
        o->errors = atomic_load(&nd->n_errors);
        o->timeouts = atomic_load(&nd->n_timeouts);
        o->refused = atomic_load(&nd->n_refused);
        o->error_rate = atomic_load(&nd->error_rate);
        o->retries = atomic_load(&nd->n_retries);
        o->conns_open = atomic_load(&nd->n_conns);
        o->conns_opened = atomic_load(&nd->n_conns_opened);
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}
