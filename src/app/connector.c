/* src/app/connector.c: configuration -> cluster, mappings, worker. */
#include <stdio.h>
#include <string.h>

#include "aerospike/aero.h"
#include "connector.h"
#include "mapping/mapping.h"

struct app_connector {
    char *name;
    struct aero_cluster *cluster;
    struct mapping **mappings;
    struct worker_topic *topics;
    size_t n_topics;
    struct worker *worker;
    const char **kv_arrays[8];   /* owned NULL-terminated key/value arrays */
    size_t n_kv;
    struct log_ctx aero_log;     /* cluster membership lines (tend thread only) */
};

/* One line per Aerospike membership change (node down/back/left/joined), never per record. */
static void on_cluster_event(void *ctx, const struct aero_cluster_event *ev)
{
    struct app_connector *ac = ctx;
    enum log_level lvl = ev->kind == AERO_EV_NODE_DOWN || ev->kind == AERO_EV_NODE_REMOVED ? LOG_WARN
                                                                                            : LOG_INFO;
    log_at(&ac->aero_log, lvl, "Aerospike node %s (%s) %s%s%s; %zu node(s) in the cluster view", ev->node,
           ev->addr, aero_cluster_event_name(ev->kind), ev->why[0] ? ": " : "", ev->why, ev->n_nodes);
}

bool app_print_diags(const struct cfg_diags *d)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < d->n; i++) {
        buf_reset(&b);
        cfg_diag_format(&d->v[i], &b);
        fprintf(stderr, "%s\n", buf_cstr(&b));
    }
    if (d->truncated)
        fprintf(stderr, "(more problems not shown)\n");
    buf_free(&b);
    return d->errors > 0;
}

const char **app_kv_array(const struct cfg_kvs *const *lists, size_t n_lists)
{
    size_t total = 0, k = 0;
    const char **out;

    for (size_t i = 0; i < n_lists; i++)
        total += lists[i] ? lists[i]->n : 0;
    out = mem_calloc(total * 2 + 1, sizeof(*out));
    for (size_t i = 0; out && i < n_lists; i++) {
        for (size_t j = 0; lists[i] && j < lists[i]->n; j++) {
            out[k++] = lists[i]->v[j].key;
            out[k++] = lists[i]->v[j].value;
        }
    }
    return out;
}

/* app_kv_array, owned by @ac (freed with it). */
static const char **kv_array(struct app_connector *ac, const struct cfg_kvs *const *lists, size_t n_lists)
{
    const char **out;

    if (ac->n_kv == ARRAY_LEN(ac->kv_arrays) || !(out = app_kv_array(lists, n_lists)))
        return NULL;
    ac->kv_arrays[ac->n_kv++] = out;
    return out;
}

struct log_levels *app_log_levels_new(struct app_run_opts *o, struct log_ctx *lc, const char *command)
{
    char name[64];
    struct log_levels *ll = log_levels_new(o->log_level);

    if (!ll) {
        fprintf(stderr, "aerosink %s: out of memory\n", command);
        return NULL;
    }
    snprintf(name, sizeof(name), "aerosink.%s", command);
    o->levels = ll;
    lc->live = log_levels_cell(ll, name);
    return ll;
}

/* The level cell of logger @name when REST may change levels (o->levels), else NULL. */
static const atomic_int *live_level(const struct app_run_opts *o, const char *name)
{
    return o->levels ? log_levels_cell(o->levels, name) : NULL;
}

static enum worker_policy invalid_policy(enum cfg_invalid_record r)
{
    switch (r) {
    case CFG_INVALID_KILL_TASK: return WORKER_KILL_TASK;
    case CFG_INVALID_DEAD_LETTER: return WORKER_DEAD_LETTER;
    default: return WORKER_IGNORE;
    }
}

static enum worker_policy write_failure_policy(const struct cfg_topic *t)
{
    switch (t->on_write_failure) {
    case CFG_WFAIL_DEAD_LETTER: return WORKER_DEAD_LETTER;
    case CFG_WFAIL_IGNORE: return WORKER_IGNORE;
    case CFG_WFAIL_INVALID_RECORD: return invalid_policy(t->invalid_record);
    default: return WORKER_KILL_TASK;
    }
}

struct mapping *app_compile_mapping(const struct cfg *m, const struct cfg_topic *t, struct err *e)
{
    const struct cfg_mapping *mp = &t->mapping;
    struct mapping_spec s;
    struct mapping_bin *bins = NULL;
    struct mapping_rop *rops = NULL;
    struct mapping *out;

    memset(&s, 0, sizeof(s));
    s.topic = t->name;
    s.op = t->op.type == CFG_OP_DELETE ? MAPPING_OP_DELETE : t->op.type == CFG_OP_OPERATE ? MAPPING_OP_OPERATE
                                                                                         : MAPPING_OP_WRITE;
    if (t->op.type == CFG_OP_OPERATE && t->op.n_ops) {
        static const enum mapping_rop_kind kinds[] = {
            [CFG_ROP_WRITE] = MAPPING_ROP_WRITE, [CFG_ROP_LIST_APPEND] = MAPPING_ROP_LIST_APPEND,
            [CFG_ROP_MAP_PUT] = MAPPING_ROP_MAP_PUT, [CFG_ROP_INCREMENT] = MAPPING_ROP_INCREMENT};
        static const enum mapping_scalar_type types[] = {
            [CFG_VAL_NONE] = MAPPING_SCALAR_NONE, [CFG_VAL_INT] = MAPPING_SCALAR_INT,
            [CFG_VAL_DOUBLE] = MAPPING_SCALAR_DOUBLE, [CFG_VAL_BOOL] = MAPPING_SCALAR_BOOL,
            [CFG_VAL_STRING] = MAPPING_SCALAR_STRING};
        if (!(rops = mem_calloc(t->op.n_ops, sizeof(*rops)))) {
            err_set(e, ST_NOMEM, "mapping");
            return NULL;
        }
        for (size_t i = 0; i < t->op.n_ops; i++) {
            const struct cfg_record_op *o = &t->op.ops[i];
            rops[i] = (struct mapping_rop){
                .kind = kinds[o->op], .bin = o->bin, .field = o->field_name,
                .value = {types[o->value.type], o->value.i, o->value.d, o->value.b,
                          o->value.type == CFG_VAL_STRING ? o->value.s : NULL},
                .key_field = o->key_field, .key = o->key};
        }
        s.rops = rops;
        s.n_rops = t->op.n_ops;
    }
    s.ns = mp->ns.mode == CFG_MODE_STATIC ? (struct mapping_ref){MAPPING_SRC_STATIC, mp->ns.value}
                                          : (struct mapping_ref){MAPPING_SRC_VALUE_FIELD, mp->ns.field_name};
    if (!mp->set.present)
        s.set = (struct mapping_ref){MAPPING_SRC_NONE, NULL};
    else
        s.set = mp->set.mode == CFG_MODE_STATIC ? (struct mapping_ref){MAPPING_SRC_STATIC, mp->set.value}
                                                : (struct mapping_ref){MAPPING_SRC_VALUE_FIELD, mp->set.field_name};
    if (mp->digest.present) {
        s.key_kind = MAPPING_KEY_DIGEST_FIELD;
        s.key_field = mp->digest.field_name;
    } else if (mp->key_field.source == CFG_SRC_VALUE_FIELD) {
        s.key_kind = MAPPING_KEY_VALUE_FIELD;
        s.key_field = mp->key_field.field_name;
    } else {
        s.key_kind = MAPPING_KEY_KAFKA_KEY;
    }
    if (mp->ttl.present) {
        if (mp->ttl.mode == CFG_MODE_STATIC) {
            s.ttl = (struct mapping_ref){MAPPING_SRC_STATIC, NULL};
            s.ttl_static = mp->ttl.value;
        } else if (mp->ttl.source == CFG_SRC_HEADER) {
            s.ttl = (struct mapping_ref){MAPPING_SRC_HEADER, mp->ttl.header_name};
        } else {
            s.ttl = (struct mapping_ref){MAPPING_SRC_VALUE_FIELD, mp->ttl.field_name};
        }
        s.ttl_unit = mp->ttl.unit == CFG_TTL_EPOCH_SECONDS  ? MAPPING_TTL_EPOCH_SECONDS
                     : mp->ttl.unit == CFG_TTL_EPOCH_MILLIS ? MAPPING_TTL_EPOCH_MILLIS
                                                            : MAPPING_TTL_SECONDS;
    }
    s.all_value_fields = mp->bins.all_value_fields;
    if (mp->bins.n_map) {
        bins = mem_calloc(mp->bins.n_map, sizeof(*bins));
        if (!bins) {
            err_set(e, ST_NOMEM, "mapping");
            return NULL;
        }
        for (size_t i = 0; i < mp->bins.n_map; i++)
            bins[i] = (struct mapping_bin){mp->bins.map[i].name, mp->bins.map[i].field_name};
        s.bins = bins;
        s.n_bins = mp->bins.n_map;
    }
    switch (t->op.record_exists_action) {
    case CFG_EXISTS_UPDATE_ONLY: s.exists = MAPPING_EXISTS_UPDATE_ONLY; break;
    case CFG_EXISTS_REPLACE: s.exists = MAPPING_EXISTS_REPLACE; break;
    case CFG_EXISTS_REPLACE_ONLY: s.exists = MAPPING_EXISTS_REPLACE_ONLY; break;
    case CFG_EXISTS_CREATE_ONLY: s.exists = MAPPING_EXISTS_CREATE_ONLY; break;
    default: s.exists = MAPPING_EXISTS_UPDATE; break;
    }
    s.send_key = t->op.send_key;
    s.durable_delete = t->op.durable_delete;
    s.guard_kafka_ts = t->op.stale_write_guard == CFG_STALE_KAFKA_TIMESTAMP;
    s.commit_master = t->op.commit_level == CFG_COMMIT_MASTER;
    s.bool_as_int = m->aerospike.boolean_particle == CFG_BOOL_AS_INTEGER;
    switch (t->on_null_value) {
    case CFG_NULL_DELETE: s.on_null_value = MAPPING_NULL_DELETE; break;
    case CFG_NULL_INVALID_RECORD: s.on_null_value = MAPPING_NULL_INVALID; break;
    default: s.on_null_value = MAPPING_NULL_SKIP; break;
    }
    out = mapping_new(&s, e);
    if (!out && t->op.type == CFG_OP_OPERATE)
        err_prefix(e, "%s:%d:%d", t->pos.file, t->pos.line, t->pos.col);
    mem_free(bins);
    mem_free(rops);
    return out;
}

static enum status cluster_config(const struct cfg *m, struct aero_cluster_config *cc, struct err *e)
{
    const struct cfg_aerospike *a = &m->aerospike;

    aero_cluster_config_init(cc);
    for (size_t i = 0; i < a->n_seeds && cc->n_seeds < AERO_MAX_SEEDS; i++) {
        struct aero_host *h = &cc->seeds[cc->n_seeds++];
        snprintf(h->name, sizeof(h->name), "%s", a->seeds[i].host);
        h->port = (uint16_t)a->seeds[i].port;
        if (a->seeds[i].tls_name)
            snprintf(h->tls_name, sizeof(h->tls_name), "%s", a->seeds[i].tls_name);
    }
    if (a->cluster_name)
        snprintf(cc->cluster_name, sizeof(cc->cluster_name), "%s", a->cluster_name);
    if (a->credentials.present) {
        static const enum aero_auth_mode modes[] = {
            [CFG_AUTH_INTERNAL] = AERO_AUTH_INTERNAL, [CFG_AUTH_EXTERNAL] = AERO_AUTH_EXTERNAL,
            [CFG_AUTH_EXTERNAL_INSECURE] = AERO_AUTH_EXTERNAL_INSECURE, [CFG_AUTH_PKI] = AERO_AUTH_PKI};
        cc->auth = true;
        cc->auth_mode = modes[a->credentials.auth_mode];
        snprintf(cc->user, sizeof(cc->user), "%s", a->credentials.username ? a->credentials.username : "");
        if (a->credentials.password &&
            (size_t)snprintf(cc->password, sizeof(cc->password), "%s", a->credentials.password) >=
                sizeof(cc->password))
            return err_set(e, ST_CONFIG, "%s: aerospike.credentials.password-file: password over %zu bytes",
                           m->file, sizeof(cc->password) - 1);
    }
    cc->tls.enabled = a->tls.enabled;
    for (int k = 0; k < 2 && a->tls.enabled; k++) {
        const struct cfg_store *src = k ? &a->tls.key_store : &a->tls.trust_store;
        struct aero_tls_store *dst = k ? &cc->tls.key : &cc->tls.trust;
        if (!src->present || !src->file)
            continue;
        if ((size_t)snprintf(dst->file, sizeof(dst->file), "%s", src->file) >= sizeof(dst->file))
            return err_set(e, ST_CONFIG, "%s: aerospike.tls: path over %zu bytes: %s", m->file,
                           sizeof(dst->file) - 1, src->file);
        if (src->password)
            snprintf(dst->password, sizeof(dst->password), "%s", src->password);
        dst->type = src->type == CFG_STORE_PKCS12 ? AERO_STORE_PKCS12 : AERO_STORE_PEM;
    }
    cc->conn_timeout_ms = (uint32_t)a->connect_timeout_ms;
    cc->login_timeout_ms = (uint32_t)a->login_timeout_ms;
    cc->tend_interval_ms = (uint32_t)a->tend_interval_ms;
    cc->max_conns_per_node = (uint32_t)a->max_connections_per_node;
    cc->max_socket_idle_ms = (uint32_t)a->max_socket_idle_s * 1000u;
    cc->max_error_rate = (uint32_t)a->max_error_rate;
    cc->error_rate_window = (uint32_t)a->error_rate_window;
    return ST_OK;
}

/* Aerospike may be down when we start (a restart after an outage, a rolling upgrade): keep
 * trying, like a Connect task would, until it answers or we are told to stop. */
static struct aero_cluster *connect_cluster(const struct aero_cluster_config *acc, const char *name,
                                            const struct app_run_opts *o, struct err *e)
{
    struct log_ctx lc = {o->log_level, name, 2, live_level(o, "aerosink.aerospike")};
    uint64_t first = clock_mono_ms(), logged = 0;

    for (;;) {
        struct aero_cluster *cl = aero_cluster_new(acc, e);
        if (cl) {
            if (logged)
                log_info(&lc, "Aerospike answered after %llus", (unsigned long long)((clock_mono_ms() - first) / 1000));
            return cl;
        }
        if (!o->stop || status_class(e->status) != CLASS_RETRIABLE || *o->stop)
            return NULL;
        uint64_t now = clock_mono_ms();
        if (!logged || now - logged >= 10000) {
            log_warn(&lc, "Aerospike unreachable (%s); retrying every 2 s (SIGTERM to give up)", e->msg);
            logged = now;
        }
        for (int i = 0; i < 20 && !*o->stop; i++)
            sleep_ms(100);
    }
}

struct app_connector *app_connector_new(const struct cfg_worker *w, const struct cfg_connector *c,
                                        const struct cfg *m, const struct app_run_opts *o,
                                        struct err *e)
{
    struct app_connector *ac = mem_calloc(1, sizeof(*ac));
    struct worker_config wc;
    struct cfg_converter kc, vc;
    struct aero_cluster_config acc;

    if (!ac)
        goto nomem;
    ac->name = mem_strdup(c->name);
    ac->n_topics = m->n_topics;
    ac->mappings = mem_calloc(m->n_topics ? m->n_topics : 1, sizeof(*ac->mappings));
    ac->topics = mem_calloc(m->n_topics ? m->n_topics : 1, sizeof(*ac->topics));
    if (!ac->name || !ac->mappings || !ac->topics)
        goto nomem;
    for (size_t i = 0; i < m->n_topics; i++) {
        const struct cfg_topic *t = &m->topics[i];
        struct worker_topic *wt = &ac->topics[i];
        ac->mappings[i] = app_compile_mapping(m, t, e);
        if (!ac->mappings[i])
            goto fail;
        wt->name = t->name;
        wt->mapping = ac->mappings[i];
        wt->on_invalid = invalid_policy(t->invalid_record);
        wt->on_write_failure = write_failure_policy(t);
        wt->max_retries = (uint32_t)t->op.max_retries;
        wt->total_timeout_ms = (uint32_t)t->op.total_timeout_ms;
        wt->socket_timeout_ms = (uint32_t)t->op.socket_timeout_ms;
        wt->sleep_between_retries_ms = (uint32_t)t->op.sleep_between_retries_ms;
        wt->ignore_codes = t->op.ignore_error_codes;
        wt->n_ignore_codes = t->op.n_ignore_error_codes;
        wt->namespace_is_dynamic = t->mapping.ns.mode == CFG_MODE_DYNAMIC;
    }
    if (!o->dry_run) {
        if (cluster_config(m, &acc, e) != ST_OK)
            goto fail;
        ac->aero_log = (struct log_ctx){o->log_level, ac->name, 2, live_level(o, "aerosink.aerospike")};
        acc.on_event = on_cluster_event;
        acc.event_ctx = ac;
        ac->cluster = connect_cluster(&acc, c->name, o, e);
        if (!ac->cluster) {
            err_prefix(e, "%s: aerospike", m->file);
            goto fail;
        }
    }

    cfg_effective_converter(w, c, true, &kc);
    cfg_effective_converter(w, c, false, &vc);
    /* Kafka security and client settings: the worker's top-level client keys (security.protocol,
     * ssl.*, sasl.* ...) first, then consumer.* / producer.*, then the connector's overrides. */
    const struct cfg_kvs *consumer_lists[] = {&w->client, &w->consumer, &c->consumer_override};
    const struct cfg_kvs *producer_lists[] = {&w->client, &w->producer, &c->producer_override};
    const struct cfg_kvs *key_lists[] = {&kc.props};
    const struct cfg_kvs *val_lists[] = {&vc.props};
    const char **topics = mem_calloc(c->n_topics + 1, sizeof(*topics));
    if (!topics)
        goto nomem;
    for (size_t i = 0; i < c->n_topics; i++)
        topics[i] = c->topics[i];

    memset(&wc, 0, sizeof(wc));
    wc.name = c->name;
    wc.bootstrap = w->bootstrap_servers;
    wc.topics = c->n_topics ? topics : NULL;
    wc.topics_regex = c->topics_pattern;   /* whole-name POSIX form of topics.regex */
    wc.consumer_props = kv_array(ac, consumer_lists, 3);
    wc.producer_props = kv_array(ac, producer_lists, 3);
    wc.key_converter = kc.class_name;
    wc.key_converter_props = kv_array(ac, key_lists, 1);
    wc.value_converter = vc.class_name;
    wc.value_converter_props = kv_array(ac, val_lists, 1);
    wc.topic_cfgs = ac->topics;
    wc.n_topic_cfgs = ac->n_topics;
    wc.processing_threads = (int)m->processing_threads;
    wc.max_queued_records = (uint32_t)m->max_queued_records;
    wc.batch_max_records = (uint32_t)m->aerospike.batch_max_records;
    wc.offset_flush_interval_ms = (uint32_t)w->offset_flush_interval_ms;
    wc.progress_interval_ms = o->progress_interval_ms;
    wc.drain_timeout_ms = o->drain_timeout_ms;
    wc.errors_tolerance_all = c->errors.tolerance_all;
    wc.dlq_topic = c->errors.dlq_topic;
    wc.dlq_context_headers = c->errors.dlq_context_headers;
    wc.errors_log_enable = c->errors.log_enable;
    wc.errors_log_include_messages = c->errors.log_include_messages;
    wc.retry_backoff_max_ms = 5000;
    wc.cluster = ac->cluster;
    wc.dry_run = o->dry_run;
    wc.exit_when_drained = o->exit_when_drained;
    wc.log_level = o->log_level;
    wc.log_live = live_level(o, "aerosink.worker");
    ac->worker = worker_new(&wc, e);
    mem_free(topics);
    if (!ac->worker)
        goto fail;
    return ac;
nomem:
    err_set(e, ST_NOMEM, "connector");
fail:
    app_connector_free(ac);
    return NULL;
}

int app_connector_run(struct app_connector *ac, volatile sig_atomic_t *stop)
{
    return worker_run(ac->worker, stop);
}

struct worker *app_connector_worker(struct app_connector *ac)
{
    return ac->worker;
}

struct aero_cluster *app_connector_cluster(struct app_connector *ac)
{
    return ac->cluster;
}

const char *app_connector_name(const struct app_connector *ac)
{
    return ac->name;
}

void app_connector_free(struct app_connector *ac)
{
    if (!ac)
        return;
    worker_free(ac->worker);
    for (size_t i = 0; ac->mappings && i < ac->n_topics; i++)
        mapping_free(ac->mappings[i]);
    mem_free(ac->mappings);
    mem_free(ac->topics);
    aero_cluster_free(ac->cluster);
    for (size_t i = 0; i < ac->n_kv; i++)
        mem_free(ac->kv_arrays[i]);
    mem_free(ac->name);
    mem_free(ac);
}
