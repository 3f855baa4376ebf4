/* src/app/herder_store.c: the herder's Kafka side: the config and status topics.
 * A producer (acks=all, idempotent) writes config records synchronously (REST writes wait for
 * the ack, then until the reader applied them: read-your-writes) and status records
 * asynchronously (but a topic-tracking reset synchronously). A non-group consumer (manual assign, from the beginning, never commits)
 * follows partition 0 of the config topic and every partition of the status topic and applies
 * each record to the herder's tables, last value wins (kafka-mock has no compaction, so the
 * whole history is replayed the same way). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/herder_int.h"
#include "kafka/kafka.h"

struct pending {
    bool done;
    rd_kafka_resp_err_t err;
    int64_t offset;
};

/* ------------------------------------------------------------------------------------
 * Applying records (h->mu held, reader thread)
 * ------------------------------------------------------------------------------------ */

static bool has_prefix(const char *s, size_t n, const char *p, const char **rest)
{
    size_t pn = strlen(p);
    if (n < pn || memcmp(s, p, pn) != 0)
        return false;
    *rest = s + pn;
    return true;
}

static char *value_str(const struct conv_doc *d, const struct conv_value *map, const char *k)
{
    const struct conv_value *v = map ? conv_map_get(d, map, k, strlen(k)) : NULL;
    char tmp[64];

    if (!v)
        return NULL;
    switch (v->type) {
    case CONV_STRING: return mem_strndup(v->s.p, v->s.n);
    case CONV_INT: snprintf(tmp, sizeof(tmp), "%lld", (long long)v->i); return mem_strdup(tmp);
    case CONV_BOOL: return mem_strdup(v->b ? "true" : "false");
    case CONV_DOUBLE: snprintf(tmp, sizeof(tmp), "%.17g", v->d); return mem_strdup(tmp);
    default: return NULL;
    }
}

static int64_t value_int(const struct conv_doc *d, const struct conv_value *map, const char *k, int64_t dflt)
{
    const struct conv_value *v = map ? conv_map_get(d, map, k, strlen(k)) : NULL;
    return v && v->type == CONV_INT ? v->i : dflt;
}

static bool value_bool(const struct conv_doc *d, const struct conv_value *map, const char *k)
{
    const struct conv_value *v = map ? conv_map_get(d, map, k, strlen(k)) : NULL;
    return v && v->type == CONV_BOOL && v->b;
}

static bool state_from(const char *s, enum rest_state *out)
{
    static const enum rest_state all[] = {REST_UNASSIGNED, REST_RUNNING, REST_PAUSED,
                                          REST_STOPPED,    REST_FAILED,  REST_RESTARTING};
    for (size_t i = 0; s && i < ARRAY_LEN(all); i++)
        if (strcmp(s, rest_state_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

/* Parse @val as a JSON object into h->doc; NULL for a tombstone or junk (logged). */
static const struct conv_value *parse(struct herder *h, const char *topic, const char *key,
                                      const void *val, size_t len)
{
    struct err e = {0};
    const struct conv_value *root;

    if (!val)
        return NULL;
    if (conv_json_parse(h->doc, val, len, &e) != ST_OK || !(root = conv_doc_root(h->doc)) ||
        root->type != CONV_MAP) {
        log_warn(&h->log, "%s: record %s is not a JSON object, ignored: %s", topic, key, e.msg);
        return NULL;
    }
    return root;
}

static void set_outcome(struct herder *h, int64_t off, enum herder_outcome what)
{
    if (off < 0)
        return;
    h->outcomes[off % HERDER_OUTCOMES].off = off;
    h->outcomes[off % HERDER_OUTCOMES].what = what;
}

enum herder_outcome herder__outcome(const struct herder *h, int64_t off)
{
    if (off < 0 || h->outcomes[off % HERDER_OUTCOMES].off != off)
        return HOUT_NONE;
    return h->outcomes[off % HERDER_OUTCOMES].what;
}

/* "aerosink-create-<n>": {"worker_id":..,"time":ms,"ttl_ms":ms} claims the name for one
 * create; {"release":<offset of the claim>} gives it back. Claims never change what a
 * connector is: only its writer looks at the outcome, and every worker reaches the same one
 * because all apply the topic in the same order. (A compacted topic may lose old claims;
 * nobody waits on those any more.) */
static void apply_claim(struct herder *h, const char *name, const void *val, size_t len, int64_t off)
{
    struct hconn *c = herder__conn(h, name, true);
    const struct conv_value *root = parse(h, h->config_topic, name, val, len);
    int64_t release = root ? value_int(h->doc, root, "release", -1) : -1;
    int64_t time = root ? value_int(h->doc, root, "time", -1) : -1;
    int64_t ttl = root ? value_int(h->doc, root, "ttl_ms", 0) : 0;

    if (!c || !root)
        return;
    if (release >= 0) {
        if (c->claim_off == release)
            c->claim_off = -1;
        return;
    }
    if (time < 0 || ttl <= 0 || !herder__claim_granted(c, (uint64_t)time)) {
        set_outcome(h, off, HOUT_CLAIM_REFUSED);
        return;
    }
    c->claim_off = off;
    c->claim_time = (uint64_t)time;
    c->claim_ttl = (uint64_t)ttl;
    set_outcome(h, off, HOUT_CLAIM_GRANTED);
}

void herder__apply_config(struct herder *h, const char *key, size_t kn, const void *val, size_t len,
                          int64_t off)
{
    const char *rest;
    char name[512];
    struct hconn *c;
    const struct conv_value *root;

    if (has_prefix(key, kn, "connector-", &rest)) {
        snprintf(name, sizeof(name), "%.*s", (int)(kn - (size_t)(rest - key)), rest);
        if (!(c = herder__conn(h, name, true)))
            return;
        root = parse(h, h->config_topic, name, val, len);
        const struct conv_value *props = root ? conv_map_get(h->doc, root, "properties", 10) : NULL;
        if (!props || props->type != CONV_MAP) {
            if (val) {
                log_warn(&h->log, "%s@%lld: connector %s: no \"properties\" object, ignored", h->config_topic,
                         (long long)off, name);
            } else if (c->present) {
                c->present = false, c->gen = off, rest_kvs_free(&c->config);
                set_outcome(h, off, HOUT_DELETED);
            }
            return;
        }
        rest_kvs_free(&c->config);
        for (const struct conv_value *k = conv_first(h->doc, props); k;
             k = conv_next(h->doc, conv_doc_node(h->doc, k->next), props)) {
            char kbuf[512];
            if (k->type != CONV_STRING)
                continue;
            snprintf(kbuf, sizeof(kbuf), "%.*s", (int)k->s.n, k->s.p);
            char *v = value_str(h->doc, props, kbuf);
            if (v)
                rest_kvs_add(&c->config, kbuf, v);
            mem_free(v);
        }
        set_outcome(h, off, c->present ? HOUT_UPDATED : HOUT_CREATED);
        if (!c->present) {
            c->created = off;
            c->rep_task = -1;
            c->rep_conn_valid = false;
        }
        c->present = true;
        c->gen = off;
        c->claim_off = -1;   /* a pending create is done */
    } else if (has_prefix(key, kn, "aerosink-create-", &rest)) {
        snprintf(name, sizeof(name), "%.*s", (int)(kn - (size_t)(rest - key)), rest);
        apply_claim(h, name, val, len, off);
    } else if (has_prefix(key, kn, "target-state-", &rest)) {
        snprintf(name, sizeof(name), "%.*s", (int)(kn - (size_t)(rest - key)), rest);
        if (!(c = herder__conn(h, name, true)))
            return;
        root = parse(h, h->config_topic, name, val, len);
        char *s = root ? value_str(h->doc, root, "state") : NULL;
        c->target = s && strcmp(s, "PAUSED") == 0 ? TGT_PAUSED : s && strcmp(s, "STOPPED") == 0 ? TGT_STOPPED
                                                                                              : TGT_STARTED;
        mem_free(s);
    } else if (has_prefix(key, kn, "restart-connector-", &rest) && off >= h->cfg_end0) {
        snprintf(name, sizeof(name), "%.*s", (int)(kn - (size_t)(rest - key)), rest);
        if (!(c = herder__conn(h, name, false)) || !(root = parse(h, h->config_topic, name, val, len)))
            return;
        c->restart_pending = true;
        c->restart_task = -1;
        c->restart_include_tasks = value_bool(h->doc, root, "include_tasks");
        c->restart_only_failed = value_bool(h->doc, root, "only_failed");
    } else if (has_prefix(key, kn, "restart-task-", &rest) && off >= h->cfg_end0) {
        const char *dash = NULL;
        int64_t t;
        for (const char *p = rest; p < key + kn; p++)
            if (*p == '-')
                dash = p;
        if (!dash || !str_to_i64(dash + 1, (size_t)(key + kn - dash - 1), &t))
            return;
        snprintf(name, sizeof(name), "%.*s", (int)(dash - rest), rest);
        if (!(c = herder__conn(h, name, false)))
            return;
        c->restart_pending = true;
        c->restart_task = (int32_t)t;
    }
    /* anything else (Connect's task-* and commit-* records): not ours */
}

/* "status-topic-<topic>:connector-<connector>" (Kafka Connect's KIP-558 record, as its
 * KafkaStatusBackingStore splits it: the topic ends at the first ':'), value
 * {"topic":{"name":..,"connector":..,"task":..,"discoverTimestamp":..}}; null: reset. */
static void apply_topic(struct herder *h, const char *k, const void *val, size_t len)
{
    const char *topic = k + strlen("status-topic-"), *colon = strchr(topic, ':');
    char t[300];
    const struct conv_value *root;

    if (!colon || colon == topic || strncmp(colon, ":connector-", 11) != 0 || !colon[11]) {
        log_warn(&h->log, "%s: record %s: not status-topic-<topic>:connector-<connector>, ignored",
                 h->status_topic, k);
        return;
    }
    snprintf(t, sizeof(t), "%.*s", (int)(colon - topic), topic);
    if (!val) {
        herder__topic_remove(h, colon + 11, t);
        return;
    }
    root = parse(h, h->status_topic, k, val, len);
    const struct conv_value *inner = root ? conv_map_get(h->doc, root, "topic", 5) : NULL;
    if (!inner || inner->type != CONV_MAP) {
        if (root)
            log_warn(&h->log, "%s: record %s: no \"topic\" object, ignored", h->status_topic, k);
        return;
    }
    herder__topic(h, colon + 11, t, true);
}

void herder__apply_status(struct herder *h, const char *key, size_t kn, const void *val, size_t len)
{
    const char *rest;
    char k[600];
    const struct conv_value *root;

    snprintf(k, sizeof(k), "%.*s", (int)kn, key);
    if (has_prefix(key, kn, "status-topic-", &rest)) {
        apply_topic(h, k, val, len);
    } else if (has_prefix(key, kn, "worker-", &rest)) {
        struct hworker *w = herder__worker(h, k + 7, true);
        if (!w)
            return;
        root = parse(h, h->status_topic, k, val, len);
        if (!root) {
            w->gone = true;
            return;
        }
        w->gone = false;
        w->seen_ms = (uint64_t)MAX(value_int(h->doc, root, "time", 0), 0);
        mem_free(w->url);
        w->url = value_str(h->doc, root, "url");
    } else if (has_prefix(key, kn, "status-", &rest)) {
        struct hstat *s = herder__stat(h, k, true);
        if (!s)
            return;
        herder__stat_clear(s);
        root = parse(h, h->status_topic, k, val, len);
        if (!root)
            return;
        char *st = value_str(h->doc, root, "state");
        if (state_from(st, &s->state)) {
            s->present = true;
            s->trace = value_str(h->doc, root, "trace");
            s->worker_id = value_str(h->doc, root, "worker_id");
            s->gen = value_int(h->doc, root, "generation", -1);
        }
        mem_free(st);
    }
}

static void check_ready(struct herder *h)
{
    if (h->ready || h->cfg_next < h->cfg_end0)
        return;
    for (int32_t p = 0; p < h->n_status_parts; p++)
        if (h->status_next[p] < h->status_end0[p])
            return;
    h->ready = true;
    log_info(&h->log, "read config topic %s (%lld records) and status topic %s: ready", h->config_topic,
             (long long)h->cfg_end0, h->status_topic);
}

static void *reader_main(void *arg)
{
    struct herder *h = arg;

    while (!atomic_load(&h->quit)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(h->cons, 100);
        if (!m)
            continue;
        const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
        bool is_cfg = strcmp(topic, h->config_topic) == 0;
        pthread_mutex_lock(&h->mu);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (is_cfg && m->partition == 0)
                h->cfg_next = MAX(h->cfg_next, m->offset);
            else if (!is_cfg && m->partition >= 0 && m->partition < h->n_status_parts)
                h->status_next[m->partition] = MAX(h->status_next[m->partition], m->offset);
        } else if (m->err) {
            log_warn(&h->log, "reading %s[%d]: %s", topic, (int)m->partition, rd_kafka_message_errstr(m));
        } else if (is_cfg && m->partition == 0) {
            if (m->key)
                herder__apply_config(h, m->key, m->key_len, m->payload, m->len, m->offset);
            h->cfg_next = m->offset + 1;
        } else if (!is_cfg && m->partition >= 0 && m->partition < h->n_status_parts) {
            if (m->key)
                herder__apply_status(h, m->key, m->key_len, m->payload, m->len);
            h->status_next[m->partition] = m->offset + 1;
        }
        check_ready(h);
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->mu);
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------
 * Producing
 * ------------------------------------------------------------------------------------ */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct herder *h = opaque;
    struct pending *p = m->_private;
    (void)rk;

    if (p) {
        pthread_mutex_lock(&h->pmu);
        p->err = m->err;
        p->offset = m->offset;
        p->done = true;
        pthread_cond_broadcast(&h->pcond);
        pthread_mutex_unlock(&h->pmu);
    } else if (m->err) {
        log_warn(&h->log, "record %.*s to %s not confirmed by Kafka: %s", (int)MIN(m->key_len, 400),
                 m->key ? (const char *)m->key : "", m->rkt ? rd_kafka_topic_name(m->rkt) : "?",
                 rd_kafka_err2str(m->err));
        pthread_mutex_lock(&h->pmu);
        h->n_unwritten++;
        pthread_mutex_unlock(&h->pmu);
    } else {
        pthread_mutex_lock(&h->pmu);
        h->confirmed_ms = clock_mono_ms();
        pthread_mutex_unlock(&h->pmu);
    }
}

/* Produce to @topic[@partition] (RD_KAFKA_PARTITION_UA: by key) and wait for the ack;
 * @where names the destination in errors. */
static enum status produce_wait(struct herder *h, const char *topic, int32_t partition, const char *where,
                                const char *key, const void *val, size_t len, int64_t *offset, struct err *e)
{
    struct pending p = {false, RD_KAFKA_RESP_ERR_NO_ERROR, -1};
    uint64_t deadline = clock_mono_ms() + h->o.request_timeout_ms;
    rd_kafka_resp_err_t r;
    bool done;

    r = rd_kafka_producev(h->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)val, val ? len : 0),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&p), RD_KAFKA_V_END);
    if (r)
        return err_set(e, ST_UNAVAILABLE, "%s: cannot write %s: %s", where, key, rd_kafka_err2str(r));
    for (;;) {
        rd_kafka_poll(h->prod, 20);
        pthread_mutex_lock(&h->pmu);
        done = p.done;
        pthread_mutex_unlock(&h->pmu);
        if (done)
            break;
        if (clock_mono_ms() >= deadline) {
            /* the message still points at p: wait for its report, however long it takes */
            rd_kafka_flush(h->prod, 60000);
            pthread_mutex_lock(&h->pmu);
            while (!p.done)
                pthread_cond_wait(&h->pcond, &h->pmu);
            pthread_mutex_unlock(&h->pmu);
            if (!p.err)
                break;
            return err_set(e, ST_TIMEOUT, "%s: writing %s timed out: %s", where, key, rd_kafka_err2str(p.err));
        }
    }
    if (p.err)
        return err_set(e, ST_UNAVAILABLE, "%s: writing %s failed: %s", where, key, rd_kafka_err2str(p.err));
    *offset = p.offset;
    return ST_OK;
}

enum status herder__produce_sync(struct herder *h, const char *key, const void *val, size_t len,
                                 int64_t *offset, struct err *e)
{
    char where[300];
    snprintf(where, sizeof(where), "%s[0]", h->config_topic);
    return produce_wait(h, h->config_topic, 0, where, key, val, len, offset, e);
}

enum status herder__produce_status_sync(struct herder *h, const char *key, const void *val, size_t len,
                                        struct err *e)
{
    int64_t off = -1;
    return produce_wait(h, h->status_topic, RD_KAFKA_PARTITION_UA, h->status_topic, key, val, len, &off, e);
}

enum status herder__produce_async(struct herder *h, const char *topic, const char *key, const void *val,
                                  size_t len)
{
    rd_kafka_resp_err_t r = rd_kafka_producev(
        h->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE((void *)val, val ? len : 0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (r) {
        log_warn(&h->log, "%s: cannot write %s: %s", topic, key, rd_kafka_err2str(r));
        return ST_UNAVAILABLE;
    }
    return ST_OK;
}

void herder__wait(struct herder *h, unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&h->cond, &h->mu, &ts);
}

enum status herder__wait_applied(struct herder *h, int64_t offset, struct err *e)
{
    uint64_t deadline = clock_mono_ms() + h->o.request_timeout_ms;
    enum status st = ST_OK;

    pthread_mutex_lock(&h->mu);
    while (h->cfg_next <= offset) {
        if (clock_mono_ms() >= deadline) {
            st = err_set(e, ST_TIMEOUT, "%s@%lld was written but not read back within %u ms", h->config_topic,
                         (long long)offset, h->o.request_timeout_ms);
            break;
        }
        herder__wait(h, 100);
    }
    pthread_mutex_unlock(&h->mu);
    return st;
}

void herder__sync(struct herder *h)
{
    int64_t lo = 0, hi = 0;
    uint64_t deadline;

    if (rd_kafka_query_watermark_offsets(h->cons, h->config_topic, 0, &lo, &hi, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;   /* answer from what was read */
    deadline = clock_mono_ms() + 5000;
    pthread_mutex_lock(&h->mu);
    while (h->cfg_next < hi && clock_mono_ms() < deadline)
        herder__wait(h, 50);
    pthread_mutex_unlock(&h->mu);
}

void herder__sync_status(struct herder *h)
{
    int64_t lo = 0, *hi = mem_calloc((size_t)h->n_status_parts + 1, sizeof(*hi));
    uint64_t deadline = clock_mono_ms() + 5000;
    bool behind = true;

    if (!hi)
        return;
    for (int32_t p = 0; p < h->n_status_parts; p++)
        if (rd_kafka_query_watermark_offsets(h->cons, h->status_topic, p, &lo, &hi[p], 5000) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
            hi[p] = 0;   /* answer from what was read */
    pthread_mutex_lock(&h->mu);
    while (behind && clock_mono_ms() < deadline) {
        behind = false;
        for (int32_t p = 0; p < h->n_status_parts; p++)
            behind |= h->status_next[p] < hi[p];
        if (behind)
            herder__wait(h, 50);
    }
    pthread_mutex_unlock(&h->mu);
    mem_free(hi);
}

void herder__poll(struct herder *h)
{
    rd_kafka_poll(h->prod, 0);
}

size_t herder__flush_until(struct herder *h, uint64_t deadline, volatile sig_atomic_t *stop)
{
    size_t before, after;

    for (;;) {
        uint64_t now = clock_mono_ms();
        if (rd_kafka_outq_len(h->prod) == 0)
            return 0;
        if (now >= deadline || (stop && *stop == WORKER_STOP_NOW))
            break;
        /* returns as soon as the queue is empty; slices so a second signal is seen */
        rd_kafka_flush(h->prod, (int)MIN(deadline - now, 50));
    }
    pthread_mutex_lock(&h->pmu);
    before = h->n_unwritten;
    pthread_mutex_unlock(&h->pmu);
    /* no waiting for librdkafka's own timeouts: the undelivered records fail now, and their
     * delivery reports (served here) log each one */
    rd_kafka_purge(h->prod, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(h->prod, 0);
    pthread_mutex_lock(&h->pmu);
    after = h->n_unwritten;
    pthread_mutex_unlock(&h->pmu);
    return after - before;
}

/* ------------------------------------------------------------------------------------
 * Setup
 * ------------------------------------------------------------------------------------ */

static rd_kafka_conf_t *base_conf(struct herder *h, enum kafka_client client, struct err *e)
{
    const struct cfg_worker *w = h->o.worker;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char **kv = mem_calloc(w->client.n * 2 + 3, sizeof(*kv));
    size_t k = 0;
    enum status st;

    if (!kv) {
        rd_kafka_conf_destroy(conf);
        err_set(e, ST_NOMEM, "kafka config");
        return NULL;
    }
    kv[k++] = "bootstrap.servers";
    kv[k++] = w->bootstrap_servers;
    for (size_t i = 0; i < w->client.n; i++) {
        kv[k++] = w->client.v[i].key;
        kv[k++] = w->client.v[i].value;
    }
    st = kafka_conf_apply(conf, kv, client, e);
    mem_free(kv);
    if (st != ST_OK) {
        err_prefix(e, "%s", w->props->file);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

/* librdkafka's own lines of the storage clients come through the herder's log in our format,
 * never raw to stderr: its warnings as warnings, its errors and the rest at debug (the
 * producer's errors reach store_error_cb, which warns once per event; the consumer's, when
 * about partitions, come back as messages the reader logs). From librdkafka's threads; the
 * opaque of both clients is the herder, which outlives them. */
static void store_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct herder *h = rd_kafka_opaque(rk);

    if (!h)
        return;
    if (level == 4)
        log_warn(&h->log, "Kafka %s: %s", fac, buf);
    else
        log_debug(&h->log, "Kafka %s: %s", fac, buf);
}

static void store_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct herder *h = opaque;

    (void)rk;
    log_warn(&h->log, "Kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* The callbacks and opaque every storage client has. */
static void store_hooks(struct herder *h, rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_log_cb(conf, store_log_cb);
    rd_kafka_conf_set_error_cb(conf, store_error_cb);
    rd_kafka_conf_set_opaque(conf, h);
}

static bool conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, struct err *e)
{
    char es[256];
    if (rd_kafka_conf_set(conf, k, v, es, sizeof(es)) != RD_KAFKA_CONF_OK) {
        err_set(e, ST_CONFIG, "kafka %s=%s: %s", k, v, es);
        return false;
    }
    return true;
}

/* Partitions of @topic (0 when it does not exist); -1 on a metadata failure. */
static int topic_partitions(rd_kafka_t *rk, const char *topic, struct err *e)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t r = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    int n = -1;

    if (r) {
        err_set(e, ST_UNAVAILABLE, "metadata of topic %s: %s", topic, rd_kafka_err2str(r));
    } else if (md->topic_cnt == 1 && !md->topics[0].err) {
        n = md->topics[0].partition_cnt;
    } else {
        n = 0;
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return n;
}

/* Create @topic (Admin API) when it is missing. kafka-mock has no Admin API: its topics are
 * created up front (tests) or on first use. */
static enum status ensure_topic(struct herder *h, const char *topic, int parts, const char *rf_key,
                                int *out_parts, struct err *e)
{
    int n = topic_partitions(h->prod, topic, e);
    const char *rf_s = cfg_props_get(h->o.worker->props, rf_key);
    int64_t rf = -1;

    if (n > 0) {
        *out_parts = n;
        return ST_OK;
    }
    if (n < 0)
        return ST_UNAVAILABLE;
    if (rf_s && (!str_to_i64(rf_s, strlen(rf_s), &rf) || rf == 0))
        rf = -1;
    char es[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, (int)rf, es, sizeof(es));
    rd_kafka_queue_t *q = rd_kafka_queue_new(h->prod);
    if (nt) {
        rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
        rd_kafka_CreateTopics(h->prod, &nt, 1, NULL, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
        if (ev) {
            const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
            size_t cnt = 0;
            const rd_kafka_topic_result_t **tr = res ? rd_kafka_CreateTopics_result_topics(res, &cnt) : NULL;
            if (rd_kafka_event_error(ev))
                log_warn(&h->log, "creating topic %s: %s", topic, rd_kafka_event_error_string(ev));
            else if (tr && cnt == 1 && rd_kafka_topic_result_error(tr[0]))
                log_warn(&h->log, "creating topic %s: %s", topic, rd_kafka_topic_result_error_string(tr[0]));
            else
                log_info(&h->log, "created topic %s (%d partitions)", topic, parts);
            rd_kafka_event_destroy(ev);
        }
        rd_kafka_NewTopic_destroy(nt);
    }
    rd_kafka_queue_destroy(q);
    for (int i = 0; i < 50 && (n = topic_partitions(h->prod, topic, e)) == 0; i++)
        sleep_ms(200);
    if (n <= 0)
        return err_set(e, ST_CONFIG, "topic %s does not exist and could not be created: create it (%d partition%s, "
                       "compacted)", topic, parts, parts == 1 ? "" : "s");
    *out_parts = n;
    return ST_OK;
}

static enum status start_store(struct herder *h, struct err *e)
{
    rd_kafka_conf_t *pc = NULL, *cc = NULL;
    char es[512], gid[400];
    int cfg_parts = 0, st_parts = 0;
    int64_t lo, hi;
    const char *sp = cfg_props_get(h->o.worker->props, "status.storage.partitions");
    int64_t want_status_parts = 5;

    if (sp && (!str_to_i64(sp, strlen(sp), &want_status_parts) || want_status_parts < 1))
        want_status_parts = 5;
    if (!(pc = base_conf(h, KAFKA_CLIENT_PRODUCER, e)) || !conf_set(pc, "acks", "all", e) ||
        !conf_set(pc, "enable.idempotence", "true", e) || !conf_set(pc, "linger.ms", "0", e))
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);
    store_hooks(h, pc);
    h->prod = rd_kafka_new(RD_KAFKA_PRODUCER, pc, es, sizeof(es));
    if (!h->prod) {
        err_set(e, ST_CONFIG, "kafka producer: %s", es);
        goto fail;
    }
    pc = NULL;
    if (ensure_topic(h, h->config_topic, 1, "config.storage.replication.factor", &cfg_parts, e) != ST_OK ||
        ensure_topic(h, h->status_topic, (int)want_status_parts, "status.storage.replication.factor", &st_parts,
                     e) != ST_OK)
        return ST_CONFIG;
    if (cfg_parts != 1)
        log_warn(&h->log, "config topic %s has %d partitions; Kafka Connect needs 1 (aerosink uses partition 0)",
                 h->config_topic, cfg_parts);
    char *cid = rd_kafka_clusterid(h->prod, 5000);
    if (cid) {
        snprintf(h->cluster_id, sizeof(h->cluster_id), "%s", cid);
        rd_kafka_mem_free(h->prod, cid);
    }

    snprintf(gid, sizeof(gid), "aerosink-store-%s", h->id);
    if (!(cc = base_conf(h, KAFKA_CLIENT_CONSUMER, e)) || !conf_set(cc, "group.id", gid, e) ||
        !conf_set(cc, "enable.auto.commit", "false", e) || !conf_set(cc, "enable.auto.offset.store", "false", e) ||
        !conf_set(cc, "enable.partition.eof", "true", e) || !conf_set(cc, "fetch.wait.max.ms", "50", e) ||
        !conf_set(cc, "auto.offset.reset", "earliest", e))
        goto fail;
    store_hooks(h, cc);
    h->cons = rd_kafka_new(RD_KAFKA_CONSUMER, cc, es, sizeof(es));
    if (!h->cons) {
        err_set(e, ST_CONFIG, "kafka consumer: %s", es);
        goto fail;
    }
    cc = NULL;
    h->n_status_parts = st_parts;
    h->status_next = mem_calloc((size_t)st_parts, sizeof(int64_t));
    h->status_end0 = mem_calloc((size_t)st_parts, sizeof(int64_t));
    if (!h->status_next || !h->status_end0)
        return err_set(e, ST_NOMEM, "status topic partitions");
    rd_kafka_resp_err_t r = rd_kafka_query_watermark_offsets(h->cons, h->config_topic, 0, &lo, &hi, 10000);
    if (r)
        return err_set(e, ST_UNAVAILABLE, "%s[0]: end offset: %s", h->config_topic, rd_kafka_err2str(r));
    h->cfg_end0 = hi;
    for (int32_t p = 0; p < st_parts; p++) {
        r = rd_kafka_query_watermark_offsets(h->cons, h->status_topic, p, &lo, &hi, 10000);
        if (r)
            return err_set(e, ST_UNAVAILABLE, "%s[%d]: end offset: %s", h->status_topic, (int)p, rd_kafka_err2str(r));
        h->status_end0[p] = hi;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(st_parts + 1);
    rd_kafka_topic_partition_list_add(l, h->config_topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    for (int32_t p = 0; p < st_parts; p++)
        rd_kafka_topic_partition_list_add(l, h->status_topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    r = rd_kafka_assign(h->cons, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (r)
        return err_set(e, ST_UNAVAILABLE, "assigning %s and %s: %s", h->config_topic, h->status_topic,
                       rd_kafka_err2str(r));
    pthread_mutex_lock(&h->mu);
    check_ready(h);
    pthread_mutex_unlock(&h->mu);
    if (pthread_create(&h->reader, NULL, reader_main, h) != 0)
        return err_set(e, ST_INTERNAL, "cannot start the config topic reader");
    h->reader_started = true;
    return ST_OK;
fail:
    if (pc)
        rd_kafka_conf_destroy(pc);
    if (cc)
        rd_kafka_conf_destroy(cc);
    return e ? e->status : ST_CONFIG;
}

struct herder *herder_new(const struct herder_opts *o, struct err *e)
{
    struct herder *h = mem_calloc(1, sizeof(*h));

    if (!h) {
        err_set(e, ST_NOMEM, "herder");
        return NULL;
    }
    h->o = *o;
    h->id = mem_strdup(o->worker_id);
    h->url = mem_strdup(o->url);
    h->o.worker_id = h->id;
    h->o.url = h->url;
    h->config_topic = o->worker->config_storage_topic;
    h->status_topic = o->worker->status_storage_topic;
    h->log = (struct log_ctx){o->run.log_level, "herder", 2,
                              o->run.levels ? log_levels_cell(o->run.levels, "aerosink.herder") : NULL};
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cond, NULL);
    pthread_mutex_init(&h->pmu, NULL);
    pthread_cond_init(&h->pcond, NULL);
    h->doc = conv_doc_new();
    if (!h->id || !h->url || !h->doc) {
        err_set(e, ST_NOMEM, "herder");
        goto fail;
    }
    h->track_topics = o->worker->topic_tracking;
    h->allow_topic_reset = o->worker->topic_tracking_reset;
    h->confirmed_ms = clock_mono_ms();
    if (start_store(h, e) != ST_OK)
        goto fail;
    return h;
fail:
    herder_free(h);
    return NULL;
}

void herder_cluster_id(struct herder *h, char *out, size_t cap)
{
    char *cid = NULL;

    pthread_mutex_lock(&h->mu);
    bool known = h->cluster_id[0] != '\0';
    pthread_mutex_unlock(&h->mu);
    if (!known && h->prod && (cid = rd_kafka_clusterid(h->prod, 1000)) != NULL) {
        pthread_mutex_lock(&h->mu);
        if (!h->cluster_id[0])
            snprintf(h->cluster_id, sizeof(h->cluster_id), "%s", cid);
        pthread_mutex_unlock(&h->mu);
        rd_kafka_mem_free(h->prod, cid);
    }
    pthread_mutex_lock(&h->mu);
    snprintf(out, cap, "%s", h->cluster_id);
    pthread_mutex_unlock(&h->mu);
}

void herder_free(struct herder *h)
{
    if (!h)
        return;
    atomic_store(&h->quit, true);
    if (h->reader_started)
        pthread_join(h->reader, NULL);
    if (h->cons) {
        rd_kafka_consumer_close(h->cons);
        rd_kafka_destroy(h->cons);
    }
    if (h->prod) {
        /* herder_run already waited for its records; anything left (a failed start) is
         * dropped and logged rather than waited for */
        herder__flush_until(h, 0, NULL);
        rd_kafka_destroy(h->prod);
    }
    herder__free_tables(h);
    mem_free(h->status_next);
    mem_free(h->status_end0);
    conv_doc_free(h->doc);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->pmu);
    pthread_cond_destroy(&h->pcond);
    mem_free(h->id);
    mem_free(h->url);
    mem_free(h);
}
