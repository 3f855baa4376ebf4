/* tools/aerospike-testd/info.c: info protocol (proto type 1, wire doc §7) of aerospike-testd.
 * Each command terminated by '\n' is echoed as received, then TAB, value, '\n'; text after
 * the last newline is ignored. Values follow CE 8.1.2 formats; testd-* commands are our test
 * levers (documented in --help). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "testd.h"

#define FEATURES "batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;" \
    "float;geo;sindex-exists;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;" \
    "replicas-all;replicas-master;replicas-max;truncate-namespace;udf"

/* Value of parameter @key in "name:k=v;k=v" (NULL when absent). */
static const char *param(const char *cmd, size_t len, const char *key, size_t *vlen)
{
    const char *p = memchr(cmd, ':', len), *end = cmd + len;
    size_t kl = strlen(key);

    if (!p)
        return NULL;
    p++;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *item_end = semi ? semi : end;
        if ((size_t)(item_end - p) > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
            *vlen = (size_t)(item_end - p - (ptrdiff_t)kl - 1);
            return p + kl + 1;
        }
        p = item_end + 1;
    }
    return NULL;
}

static int live_nodes(const struct td_ctx *c)
{
    int n = 0;
    for (int i = 0; i < c->n_nodes; i++)
        n += c->nodes[i].up;
    return n;
}

static void put_bitmap(struct buf *o, const struct td_ctx *c, int node, int column)
{
    uint8_t bm[AERO_PARTITIONS / 8] = {0};
    char b64[700];

    for (int pid = 0; pid < AERO_PARTITIONS; pid++) {
        int owner = column == 0 ? c->master[pid] : c->replica[pid];
        if (owner == node)
            bm[pid >> 3] |= (uint8_t)(0x80 >> (pid & 7));
    }
    base64_encode(bm, sizeof(bm), b64);
    buf_append(o, b64, base64_encoded_len(sizeof(bm)));
}

static int n_repl(const struct td_ctx *c, const struct td_ns *ns)
{
    int live = live_nodes(c), r = (int)ns->rf;
    if (r > live)
        r = live;
    return r < 1 ? 1 : (r > 2 ? 2 : r);
}

static void replicas(struct buf *o, const struct td_ctx *c, int node, int style, int max)
{
    for (int i = 0; i < c->store.n_ns; i++) {
        const struct td_ns *ns = &c->store.ns[i];
        int cols = n_repl(c, ns);
        if (max > 0 && cols > max)
            cols = max;
        if (i)
            buf_put_u8(o, ';');
        if (style == 0)
            buf_printf(o, "%s:0,%d", ns->name, cols);
        else if (style == 1)
            buf_printf(o, "%s:%d", ns->name, cols);
        else
            buf_printf(o, "%s", ns->name);
        for (int col = 0; col < (style == 2 ? 1 : cols); col++) {
            buf_put_u8(o, style == 2 && col == 0 ? ':' : ',');
            put_bitmap(o, c, node, col);
        }
    }
}

static void peers(struct buf *o, const struct td_ctx *c, int node, const char *tls_name)
{
    bool first = true;

    buf_printf(o, "%" PRIu64 ",3000,[", c->peers_gen);
    for (int i = 0; i < c->n_nodes; i++) {
        if (i == node || !c->nodes[i].up)
            continue;
        buf_printf(o, "%s[%" PRIX64 ",%s,[127.0.0.1", first ? "" : ",", c->nodes[i].id, tls_name);
        if (c->nodes[i].port != 3000)
            buf_printf(o, ":%d", c->nodes[i].port);
        buf_append_str(o, "]]");
        first = false;
    }
    buf_put_u8(o, ']');
}

/* Records held by @node (master or replica) per set; objects[0] = all. */
static void count_objects(struct td_ctx *c, struct td_ns *ns, int node, uint64_t *master,
                          uint64_t *prole, uint64_t *per_set)
{
    *master = *prole = 0;
    td_ns_sweep(ns, td_now_cl());
    for (size_t i = 0; i < ns->cap; i++) {
        const struct td_rec *r = ns->slots[i].rec;
        uint16_t pid;
        if (!r)
            continue;
        pid = td_pid(r->digest);
        if (c->master[pid] == node)
            (*master)++;
        else if (c->replica[pid] == node && n_repl(c, ns) > 1)
            (*prole)++;
        else
            continue;
        if (per_set)
            per_set[r->set_id]++;
    }
}

static void ns_info(struct buf *o, struct td_ctx *c, int node, struct td_ns *ns)
{
    uint64_t m, p;

    count_objects(c, ns, node, &m, &p, NULL);
    buf_printf(o, "ns_cluster_size=%d;effective_replication_factor=%d;objects=%" PRIu64
               ";tombstones=0;xdr_tombstones=0;xdr_bin_cemeteries=0;master_objects=%" PRIu64
               ";master_tombstones=0;prole_objects=%" PRIu64 ";prole_tombstones=0;"
               "non_replica_objects=0;non_replica_tombstones=0;unreplicated_records=0;"
               "dead_partitions=0;unavailable_partitions=0;clock_skew_stop_writes=false;"
               "stop_writes=false;hwm_breached=false;expired_objects=%" PRIu64 ";evicted_objects=0;"
               "data_used_bytes=0;",
               live_nodes(c), n_repl(c, ns), m + p, m, p, ns->expired);
    buf_printf(o, "replication-factor=%u;storage-engine=memory;default-ttl=%u;nsup-period=%u;"
               "allow-ttl-without-nsup=%s;max-record-size=%u;default-read-touch-ttl-pct=0;"
               "apply-ttl-reductions=true;conflict-resolution-policy=generation;"
               "strong-consistency=false;single-bin=false",
               ns->rf, ns->default_ttl, ns->nsup_period,
               ns->allow_ttl_without_nsup ? "true" : "false", ns->max_record_size);
}

static void sets_info(struct buf *o, struct td_ctx *c, int node, struct td_ns *only_ns,
                      const char *only_set, size_t only_set_len)
{
    for (int i = 0; i < c->store.n_ns; i++) {
        struct td_ns *ns = &c->store.ns[i];
        uint64_t m, p, *per = mem_calloc(TD_MAX_SETS + 1, sizeof(uint64_t));
        if (!per || (only_ns && only_ns != ns)) {
            mem_free(per);
            continue;
        }
        count_objects(c, ns, node, &m, &p, per);
        for (uint32_t s = 1; s < ns->n_sets; s++) {
            if (only_set && !str_eq(only_set, only_set_len, ns->sets[s].name))
                continue;
            buf_printf(o, "ns=%s:set=%s:objects=%" PRIu64 ":tombstones=0:data_used_bytes=0:"
                       "truncate_lut=0:sindexes=0:index_populating=false:truncating=false:"
                       "default-read-touch-ttl-pct=0:default-ttl=0:disable-eviction=false:"
                       "enable-index=false:stop-writes-count=0:stop-writes-size=0;",
                       ns->name, ns->sets[s].name, per[s]);
        }
        mem_free(per);
    }
}

static void statistics(struct buf *o, struct td_ctx *c, int node)
{
    const struct td_node *nd = &c->nodes[node];
    const struct td_node_stats *s = &nd->st;

    buf_printf(o, "cluster_size=%d;cluster_key=%" PRIX64 ";cluster_generation=%" PRId64
               ";cluster_principal=%" PRIX64 ";cluster_integrity=true;cluster_is_member=true;"
               "uptime=%" PRIu64 ";client_connections=%" PRIu64
               ";client_connections_opened=%" PRIu64 ";client_connections_closed=%" PRIu64 ";",
               live_nodes(c), (uint64_t)0xA5A50000u + (uint64_t)c->partition_gen, c->partition_gen,
               c->nodes[0].id, (clock_mono_ms() - c->start_ms) / 1000, nd->conns, s->conns_opened,
               s->conns_closed);
    buf_printf(o, "batch_index_initiate=%" PRIu64 ";batch_index_complete=%" PRIu64
               ";batch_index_error=%" PRIu64 ";info_complete=%" PRIu64 ";client_read_success=%" PRIu64
               ";client_read_not_found=%" PRIu64 ";client_read_error=%" PRIu64
               ";client_write_success=%" PRIu64 ";client_write_error=%" PRIu64
               ";client_delete_success=%" PRIu64 ";client_delete_not_found=%" PRIu64
               ";client_proxy_complete=%" PRIu64 ";batch_sub_proxy_complete=%" PRIu64
               ";batch_sub_read_success=0;testd_requests_received=%" PRIu64
               ";testd_requests_proxied=%" PRIu64 ";testd_batch_rows=%" PRIu64
               ";testd_fail_injected=%" PRIu64 ";testd_filtered_out=%" PRIu64
               ";testd_writes_discarded=%" PRIu64,
               s->batches, s->batches - s->batch_errors, s->batch_errors, s->info_requests, s->reads_ok, s->reads_not_found,
               s->reads_error, s->writes_ok, s->writes_error, s->deletes_ok, s->deletes_not_found,
               s->proxied, s->batch_sub_proxied, s->received, s->proxied + s->batch_sub_proxied,
               s->batch_rows, s->fail_injected, s->filtered_out, c->discarded);
}

static void testd_stats(struct buf *o, struct td_ctx *c)
{
    buf_printf(o, "nodes=%d;live_nodes=%d;partition_generation=%" PRId64 ";peers_generation=%" PRIu64
               ";paused=%s;fail_rate=%g;latency_ms=%u",
               c->n_nodes, live_nodes(c), c->partition_gen, c->peers_gen,
               c->paused_until_ms > clock_mono_ms() ? "true" : "false", c->fail_rate, c->latency_ms);
    buf_printf(o, ";tls=%s;security=%s;logins=%" PRIu64 ";logins_refused=%" PRIu64
               ";authenticates=%" PRIu64 ";authenticates_refused=%" PRIu64
               ";requests_refused=%" PRIu64,
               c->tls_cert ? "true" : "false", c->sec.n_users ? "true" : "false", c->sec.logins,
               c->sec.logins_refused, c->sec.authenticates, c->sec.authenticates_refused,
               c->sec.rejected_requests);
    for (int i = 0; i < c->n_nodes; i++) {
        const struct td_node *nd = &c->nodes[i];
        buf_printf(o, ";node%d=id:%" PRIX64 ",port:%d,state:%s,received:%" PRIu64
                   ",proxied:%" PRIu64 ",batch_sub_proxied:%" PRIu64 ",writes:%" PRIu64
                   ",write_errors:%" PRIu64 ",reads:%" PRIu64 ",fail_injected:%" PRIu64
                   ",connections:%" PRIu64,
                   i + 1, nd->id, nd->port, nd->up ? "up" : "down", nd->st.received,
                   nd->st.proxied, nd->st.batch_sub_proxied, nd->st.writes_ok, nd->st.writes_error,
                   nd->st.reads_ok + nd->st.reads_not_found, nd->st.fail_injected, nd->conns);
    }
}

static bool parse_u64(const char *v, size_t n, uint64_t *out)
{
    return v && n > 0 && str_to_u64(v, n, out);
}

/* testd-set:fail-rate=X;fail-codes=a,b;latency-ms=N */
static const char *testd_set(struct td_ctx *c, const char *cmd, size_t len)
{
    size_t n;
    const char *v;
    uint64_t u;
    double d;
    bool any = false;

    if ((v = param(cmd, len, "fail-rate", &n))) {
        if (!str_to_double(v, n, &d) || d < 0 || d > 1)
            return "ERROR:4:fail-rate must be 0..1";
        c->fail_rate = d;
        any = true;
    }
    if ((v = param(cmd, len, "fail-codes", &n))) {
        int codes[TD_MAX_FAIL_CODES], k = 0;
        const char *p = v, *end = v + n;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *e = comma ? comma : end;
            int64_t rc;
            if (k >= TD_MAX_FAIL_CODES || !str_to_i64(p, (size_t)(e - p), &rc) || rc <= 0 || rc > 255)
                return "ERROR:4:fail-codes must be result codes 1..255, comma separated";
            codes[k++] = (int)rc;
            p = e + 1;
        }
        memcpy(c->fail_codes, codes, sizeof(codes));
        c->n_fail_codes = k;
        any = true;
    }
    if ((v = param(cmd, len, "latency-ms", &n))) {
        if (!parse_u64(v, n, &u) || u > 600000)
            return "ERROR:4:latency-ms must be 0..600000";
        c->latency_ms = (uint32_t)u;
        any = true;
    }
    return any ? "ok" : "ERROR:4:expected fail-rate=, fail-codes= or latency-ms=";
}

static int node_arg(struct td_ctx *c, const char *v, size_t n)
{
    uint64_t u;
    if (parse_u64(v, n, &u) && u >= 1 && u <= (uint64_t)c->n_nodes)
        return (int)u - 1;
    for (int i = 0; i < c->n_nodes; i++) {
        char id[32];
        int l = snprintf(id, sizeof(id), "%" PRIX64, c->nodes[i].id);
        if ((size_t)l == n && strncasecmp(id, v, n) == 0)
            return i;
    }
    return -1;
}

static bool name_is(const char *cmd, size_t nlen, const char *name)
{
    return str_eq(cmd, nlen, name);
}

static void one(struct td_ctx *c, int node, const char *cmd, size_t len, bool *ua_set,
                struct buf *o, struct td_info_result *res)
{
    size_t nlen = td_info_name_len(cmd, len), vl;
    const char *v;
    struct td_ns *ns;

    if (nlen >= 32)
        goto unknown;
    if (name_is(cmd, nlen, "node")) {
        buf_printf(o, "%" PRIX64, c->nodes[node].id);
    } else if (name_is(cmd, nlen, "build")) {
        buf_append_str(o, c->build);
    } else if (name_is(cmd, nlen, "version")) {
        buf_printf(o, "Aerospike Community Edition build %s", c->build);
    } else if (name_is(cmd, nlen, "edition")) {
        buf_append_str(o, "Aerospike Community Edition");
    } else if (name_is(cmd, nlen, "release")) {
        buf_printf(o, "edition=Aerospike Community Edition;version=%s;os=debian12;arch=x86_64;"
                      "sha=aerospike-testd", c->build);
    } else if (name_is(cmd, nlen, "cluster-name")) {
        buf_append_str(o, c->cluster_name);
    } else if (name_is(cmd, nlen, "namespaces")) {
        for (int i = 0; i < c->store.n_ns; i++)
            buf_printf(o, "%s%s", i ? ";" : "", c->store.ns[i].name);
    } else if (name_is(cmd, nlen, "namespace")) {
        if (nlen < len && cmd[nlen] == '/' &&
            (ns = td_store_ns(&c->store, (const uint8_t *)cmd + nlen + 1, len - nlen - 1)))
            ns_info(o, c, node, ns);
        else
            buf_append_str(o, "type=unknown");
    } else if (name_is(cmd, nlen, "partitions")) {
        buf_append_str(o, "4096");
    } else if (name_is(cmd, nlen, "partition-generation")) {
        buf_printf(o, "%" PRId64, c->partition_gen);
    } else if (name_is(cmd, nlen, "rebalance-generation")) {
        buf_printf(o, "%" PRIu64, c->rebalance_gen);
    } else if (name_is(cmd, nlen, "peers-generation")) {
        buf_printf(o, "%" PRIu64, c->peers_gen);
    } else if (name_is(cmd, nlen, "peers-clear-std") || name_is(cmd, nlen, "peers-clear-alt")) {
        peers(o, c, node, "");
    } else if (name_is(cmd, nlen, "peers-tls-std") || name_is(cmd, nlen, "peers-tls-alt")) {
        if (c->tls_cert)                          /* the service ports speak TLS */
            peers(o, c, node, c->tls_name);
        else
            buf_append_str(o, "ERROR:25:enterprise only");
    } else if (name_is(cmd, nlen, "service-clear-std") || name_is(cmd, nlen, "service-clear-alt")) {
        buf_printf(o, "127.0.0.1:%d", c->nodes[node].port);
    } else if (name_is(cmd, nlen, "service-tls-std") || name_is(cmd, nlen, "service-tls-alt")) {
        if (c->tls_cert)                          /* no TLS service in CE: empty value */
            buf_printf(o, "127.0.0.1:%d", c->nodes[node].port);
    } else if (name_is(cmd, nlen, "replicas")) {
        uint64_t max = 0;
        if ((v = param(cmd, len, "max", &vl)) && (!parse_u64(v, vl, &max) || max < 1 || max > 255)) {
            buf_append_str(o, "ERROR:4:bad max");
        } else {
            replicas(o, c, node, 0, (int)max);
        }
    } else if (name_is(cmd, nlen, "replicas-all")) {
        replicas(o, c, node, 1, 0);
    } else if (name_is(cmd, nlen, "replicas-master")) {
        replicas(o, c, node, 2, 0);
    } else if (name_is(cmd, nlen, "features")) {
        buf_append_str(o, FEATURES);
    } else if (name_is(cmd, nlen, "user-agent-set")) {
        if (!param(cmd, len, "value", &vl))
            buf_append_str(o, "ERROR:4:missing value");
        else if (*ua_set)
            buf_append_str(o, "ERROR:4:already set");
        else {
            *ua_set = true;
            buf_append_str(o, "ok");
        }
    } else if (name_is(cmd, nlen, "statistics")) {
        statistics(o, c, node);
    } else if (name_is(cmd, nlen, "sets")) {
        /* sets, sets/<ns>, sets/<ns>/<set> */
        const char *a = nlen < len && cmd[nlen] == '/' ? cmd + nlen + 1 : NULL;
        const char *set = NULL;
        size_t alen = a ? len - nlen - 1 : 0, slen = 0;
        if (a) {
            const char *slash = memchr(a, '/', alen);
            if (slash) {
                set = slash + 1;
                slen = alen - (size_t)(slash - a) - 1;
                alen = (size_t)(slash - a);
            }
            ns = td_store_ns(&c->store, (const uint8_t *)a, alen);
            if (!ns) {
                buf_append_str(o, "ERROR::namespace not found");
                return;
            }
            sets_info(o, c, node, ns, set, slen);
        } else {
            sets_info(o, c, node, NULL, NULL, 0);
        }
    } else if (name_is(cmd, nlen, "truncate-namespace") || name_is(cmd, nlen, "truncate")) {
        v = param(cmd, len, "namespace", &vl);
        ns = v ? td_store_ns(&c->store, (const uint8_t *)v, vl) : NULL;
        if (!ns) {
            buf_append_str(o, "ERROR:4:namespace not found");
        } else if (name_is(cmd, nlen, "truncate")) {
            const char *set = param(cmd, len, "set", &vl);
            int sid = set ? td_set_find(ns, (const uint8_t *)set, vl, false) : -2;
            if (sid <= 0) {
                buf_append_str(o, "ERROR:4:set not found");
            } else {
                for (size_t i = 0; i < ns->cap; i++)
                    while (ns->slots[i].rec && ns->slots[i].rec->set_id == sid)
                        td_rec_remove(ns, ns->slots[i].rec);
                buf_append_str(o, "ok");
            }
        } else {
            td_ns_truncate(ns);
            buf_append_str(o, "ok");
        }
    } else if (name_is(cmd, nlen, "testd-stats")) {
        testd_stats(o, c);
    } else if (name_is(cmd, nlen, "testd-set")) {
        buf_append_str(o, testd_set(c, cmd, len));
    } else if (name_is(cmd, nlen, "testd-pause")) {
        uint64_t ms;
        v = param(cmd, len, "ms", &vl);
        if (!parse_u64(v, vl, &ms) || ms > 3600000) {
            buf_append_str(o, "ERROR:4:expected ms=0..3600000");
        } else {
            res->act = TD_ACT_PAUSE;
            res->pause_ms = ms;
            buf_append_str(o, "ok");
        }
    } else if (name_is(cmd, nlen, "testd-node")) {
        const char *st = param(cmd, len, "state", &vl);
        size_t idl;
        const char *id = param(cmd, len, "id", &idl);
        int target = id ? node_arg(c, id, idl) : -1;
        if (target < 0 || !st || !(str_eq(st, vl, "up") || str_eq(st, vl, "down"))) {
            buf_append_str(o, "ERROR:4:expected id=<1..N or node id>;state=up|down");
        } else if (str_eq(st, vl, "down") && c->nodes[target].up && live_nodes(c) == 1) {
            buf_append_str(o, "ERROR:4:cannot take down the last live node (use testd-pause)");
        } else {
            res->act = TD_ACT_NODE;
            res->node = target;
            res->node_up = str_eq(st, vl, "up");
            buf_append_str(o, "ok");
        }
    } else if (name_is(cmd, nlen, "testd-snapshot")) {
        struct err e = {0};
        if (!c->snapshot_path)
            buf_append_str(o, "ERROR:4:no --snapshot file");
        else if (td_snapshot_save(c, c->snapshot_path, &e) != 0)
            buf_printf(o, "ERROR::%s", e.msg);
        else
            buf_append_str(o, "ok");
    } else {
        goto unknown;
    }
    return;
unknown:
    buf_append_str(o, "ERROR:4:unrecognized command");
}

void td_info(struct td_ctx *c, int node, const uint8_t *body, size_t n, bool *ua_set,
             struct buf *out, struct td_info_result *res)
{
    size_t at = out->len;
    const uint8_t *cur = body;
    const char *cmd;
    size_t len;
    static const uint8_t zero[AERO_PROTO_HEADER_SZ];

    memset(res, 0, sizeof(*res));
    c->nodes[node].st.info_requests++;
    buf_append(out, zero, sizeof(zero));
    while (td_info_next(&cur, body + n, &cmd, &len)) {
        buf_append(out, cmd, len);
        buf_put_u8(out, '\t');
        one(c, node, cmd, len, ua_set, out, res);
        buf_put_u8(out, '\n');
    }
    store_u64be(out->p + at, ((uint64_t)AERO_PROTO_VERSION << 56) |
                                 ((uint64_t)AERO_PROTO_INFO << 48) |
                                 (uint64_t)(out->len - at - AERO_PROTO_HEADER_SZ));
}
