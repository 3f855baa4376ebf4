/* src/kafka/kafka.c: librdkafka consumer and producer wrappers. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "kafka_int.h"

#define MAX_TPS_STACK 256

struct kafka_consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;      /* the consumer queue: messages and rebalance events */
    struct kafka_hooks hooks;
    bool cooperative;
    bool reset_earliest;      /* auto.offset.reset: a partition without a committed offset
                                 starts at its low watermark */
};

/* kafka_conf_apply: the first translation error goes into e; warnings are check's to report. */
struct apply_ctx {
    const char *const *props;
    struct err *e;
    bool failed;
};

static void apply_note(void *ctx, size_t pair, enum kafka_conf_problem what, const char *msg)
{
    struct apply_ctx *ac = ctx;

    if (what == KAFKA_CONF_WARNING || ac->failed)
        return;
    ac->failed = true;
    err_set(ac->e, ST_CONFIG, "%s: %s", ac->props[2 * pair], msg);
}

enum status kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *props, enum kafka_client client,
                             struct err *e)
{
    struct apply_ctx ac = {props, e, false};
    struct kafka__props tp;
    char errstr[512];

    if (kafka__props_translate(props, client, &tp, apply_note, &ac)) {
        kafka__props_free(&tp);
        return ST_CONFIG;
    }
    for (size_t i = 0; i < tp.n; i++) {
        const struct kafka__prop *p = &tp.v[i];
        const char *java = props[2 * p->pair];
        if (rd_kafka_conf_set(conf, p->key, p->value, errstr, sizeof(errstr)) == RD_KAFKA_CONF_OK)
            continue;
        if (strcmp(java, p->key))   /* translated: name both */
            err_set(e, ST_CONFIG, "%s=%s (as %s): %s", java,
                    kafka__secret_key(java) ? "(secret)" : props[2 * p->pair + 1], p->key, errstr);
        else
            err_set(e, ST_CONFIG, "%s=%s: %s", p->key,
                    kafka__secret_key(p->key) ? "(secret)" : p->value, errstr);
        kafka__props_free(&tp);
        return ST_CONFIG;
    }
    kafka__props_free(&tp);
    return ST_OK;
}

size_t kafka_conf_check(const char *const *props, kafka_conf_bad_cb bad, void *ctx)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct kafka__props tp;
    size_t n_bad = kafka__props_translate(props, KAFKA_CLIENT_ANY, &tp, bad, ctx);
    char errstr[512];

    for (size_t i = 0; i < tp.n; i++) {
        rd_kafka_conf_res_t r;
        size_t len;
        errstr[0] = '\0';
        r = rd_kafka_conf_set(conf, tp.v[i].key, tp.v[i].value, errstr, sizeof(errstr));
        if (r == RD_KAFKA_CONF_OK)
            continue;
        len = strlen(errstr);
        while (len && (errstr[len - 1] == '\n' || errstr[len - 1] == '\r'))
            errstr[--len] = '\0';
        n_bad++;
        if (bad)
            bad(ctx, tp.v[i].pair, r == RD_KAFKA_CONF_UNKNOWN ? KAFKA_CONF_UNKNOWN_KEY
                                                              : KAFKA_CONF_BAD_VALUE, errstr);
    }
    kafka__props_free(&tp);
    rd_kafka_conf_destroy(conf);
    return n_bad;
}

static struct kafka_tp *to_tps(const rd_kafka_topic_partition_list_t *l, struct kafka_tp *stack,
                               size_t *n)
{
    struct kafka_tp *tps = l->cnt <= MAX_TPS_STACK ? stack : mem_calloc((size_t)l->cnt, sizeof(*tps));
    if (!tps) {
        *n = 0;
        return stack;
    }
    for (int i = 0; i < l->cnt; i++) {
        tps[i].topic = l->elems[i].topic;
        tps[i].partition = l->elems[i].partition;
        tps[i].offset = l->elems[i].offset;
    }
    *n = (size_t)l->cnt;
    return tps;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    struct kafka_consumer *kc = opaque;
    struct kafka_tp stack[MAX_TPS_STACK], *tps;
    size_t n;
    rd_kafka_error_t *error = NULL;
    char msg[256];

    kc->cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    tps = to_tps(parts, stack, &n);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (kc->cooperative)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        if (kc->hooks.on_assign && n)
            kc->hooks.on_assign(kc->hooks.ctx, tps, n);
    } else {
        bool lost = rd_kafka_assignment_lost(rk);
        if (kc->hooks.on_revoke && n)
            kc->hooks.on_revoke(kc->hooks.ctx, tps, n, lost);
        if (kc->cooperative)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            rd_kafka_assign(rk, NULL);
    }
    if (error) {
        snprintf(msg, sizeof(msg), "rebalance: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        if (kc->hooks.on_error)
            kc->hooks.on_error(kc->hooks.ctx, ST_FATAL, msg);
    }
    if (tps != stack)
        mem_free(tps);
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
                      void *opaque)
{
    struct kafka_consumer *kc = opaque;
    struct kafka_tp stack[MAX_TPS_STACK], *tps;
    int estack[MAX_TPS_STACK], *errs;
    size_t n;

    (void)rk;
    if (!kc->hooks.on_commit || !offsets || offsets->cnt == 0)
        return;
    tps = to_tps(offsets, stack, &n);
    errs = n <= MAX_TPS_STACK ? estack : mem_calloc(n, sizeof(*errs));
    if (errs) {
        for (size_t i = 0; i < n; i++)
            errs[i] = offsets->elems[i].err ? (int)offsets->elems[i].err : (int)err;
        kc->hooks.on_commit(kc->hooks.ctx, tps, errs, n);
    }
    if (errs != estack)
        mem_free(errs);
    if (tps != stack)
        mem_free(tps);
}

/* librdkafka's log lines go to the consumer's on_log hook, never to stderr directly: the
 * clients without hooks (group handle, producers) drop them, their outcomes come back as
 * return values and delivery reports. */
static void consumer_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct kafka_consumer *kc = rd_kafka_opaque(rk);

    if (kc && kc->hooks.on_log)
        kc->hooks.on_log(kc->hooks.ctx, level, fac, buf);
}

static void quiet_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct kafka_consumer *kc = opaque;
    char msg[512];
    bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;

    (void)rk;
    /* Transport errors are retried by librdkafka itself; report them once they matter. */
    if (!kc->hooks.on_error)
        return;
    snprintf(msg, sizeof(msg), "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
    kc->hooks.on_error(kc->hooks.ctx, fatal ? ST_FATAL : ST_UNAVAILABLE, msg);
}

struct kafka_consumer *kafka_consumer_new(const struct kafka_consumer_config *cc,
                                          const struct kafka_hooks *hooks, struct err *e)
{
    struct kafka_consumer *kc = mem_calloc(1, sizeof(*kc));
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_topic_partition_list_t *subs = NULL;
    rd_kafka_resp_err_t rerr;
    char errstr[512];
    /* Our defaults first; the user's consumer.* may override the tunables, never the
     * delivery-critical ones which are applied last. */
    const char *const defaults[] = {
        "auto.offset.reset", "earliest",
        "fetch.wait.max.ms", "100",
        /* prefetch; bounds memory (see kafka_consumer_refetch). 2 MiB held two of the ~1 MB
         * batches a producer makes with librdkafka's defaults, so with 12 partitions most
         * stood parked: the bench topic filled that way ran dry at 558k-881k records/s and
         * e2e at 509k-679k; with 4 MiB 894k-1.2M and 688k-720k, peak RSS 54 MiB (bench/README) */
        "queued.max.messages.kbytes", "4096",
        "fetch.max.bytes", "2097152",   /* one fetch may overshoot the prefetch by this much */
        "session.timeout.ms", "10000",
        "heartbeat.interval.ms", "3000",
        "log_level", "4",
        NULL,
    };
    const char *const fixed[] = {
        "enable.auto.commit", "false",
        "enable.auto.offset.store", "false",
        "enable.partition.eof", "false",
        NULL,
    };

    if (!kc)
        goto nomem;
    if (hooks)
        kc->hooks = *hooks;
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", cc->bootstrap, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "group.id", cc->group_id, errstr, sizeof(errstr))) {
        err_set(e, ST_CONFIG, "bootstrap.servers/group.id: %s", errstr);
        goto fail;
    }
    if (cc->client_id && rd_kafka_conf_set(conf, "client.id", cc->client_id, errstr, sizeof(errstr))) {
        err_set(e, ST_CONFIG, "client.id: %s", errstr);
        goto fail;
    }
    if (kafka_conf_apply(conf, defaults, KAFKA_CLIENT_CONSUMER, e) != ST_OK ||
        kafka_conf_apply(conf, cc->props, KAFKA_CLIENT_CONSUMER, e) != ST_OK ||
        kafka_conf_apply(conf, fixed, KAFKA_CLIENT_CONSUMER, e) != ST_OK)
        goto fail;
    {
        char v[32];
        size_t vn = sizeof(v);
        kc->reset_earliest = rd_kafka_conf_get(conf, "auto.offset.reset", v, &vn) == RD_KAFKA_CONF_OK &&
                             (!strcmp(v, "earliest") || !strcmp(v, "smallest") || !strcmp(v, "beginning"));
    }
    rd_kafka_conf_set_opaque(conf, kc);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
    rd_kafka_conf_set_log_cb(conf, consumer_log_cb);
    kc->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!kc->rk) {
        err_set(e, ST_CONFIG, "kafka consumer: %s", errstr);
        goto fail;
    }
    conf = NULL;   /* owned by rk now */
    rd_kafka_poll_set_consumer(kc->rk);
    kc->q = rd_kafka_queue_get_consumer(kc->rk);

    subs = rd_kafka_topic_partition_list_new(4);
    if (cc->topics_regex) {
        char rx[1024];   /* librdkafka subscribes by regex to a name starting with ^ */
        if ((size_t)snprintf(rx, sizeof(rx), "%s%s", cc->topics_regex[0] == '^' ? "" : "^",
                             cc->topics_regex) >= sizeof(rx)) {
            err_set(e, ST_CONFIG, "topics.regex is longer than %zu bytes", sizeof(rx) - 2);
            goto fail;
        }
        rd_kafka_topic_partition_list_add(subs, rx, RD_KAFKA_PARTITION_UA);
    }
    for (size_t i = 0; cc->topics && cc->topics[i]; i++)
        rd_kafka_topic_partition_list_add(subs, cc->topics[i], RD_KAFKA_PARTITION_UA);
    if (subs->cnt == 0) {
        err_set(e, ST_CONFIG, "nothing to consume: no topics and no topics.regex");
        goto fail;
    }
    rerr = rd_kafka_subscribe(kc->rk, subs);
    if (rerr) {
        err_set(e, ST_CONFIG, "subscribe: %s", rd_kafka_err2str(rerr));
        goto fail;
    }
    rd_kafka_topic_partition_list_destroy(subs);
    return kc;

nomem:
    err_set(e, ST_NOMEM, "kafka consumer");
fail:
    if (subs)
        rd_kafka_topic_partition_list_destroy(subs);
    if (conf)
        rd_kafka_conf_destroy(conf);
    kafka_consumer_free(kc);
    return NULL;
}

size_t kafka_consumer_poll(struct kafka_consumer *kc, kafka_message **msgs, size_t cap, int timeout_ms)
{
    /* rd_kafka_consume_batch_queue waits until the batch is full or the timeout passes: take
     * what is there, and wait only for a first message, so records never sit in librdkafka's
     * queue while the processing threads run dry. */
    ssize_t n = rd_kafka_consume_batch_queue(kc->q, 0, msgs, cap);
    size_t out = 0;

    if (n == 0 && timeout_ms > 0 && cap > 0) {
        n = rd_kafka_consume_batch_queue(kc->q, timeout_ms, msgs, 1);
        if (n == 1 && cap > 1) {
            ssize_t more = rd_kafka_consume_batch_queue(kc->q, 0, msgs + 1, cap - 1);
            if (more > 0)
                n += more;
        }
    }
    if (n <= 0)
        return 0;
    for (ssize_t i = 0; i < n; i++) {
        kafka_message *m = msgs[i];
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && kc->hooks.on_error) {
                char msg[512];
                snprintf(msg, sizeof(msg), "%s[%d]: %s", m->rkt ? rd_kafka_topic_name(m->rkt) : "?",
                         (int)m->partition, rd_kafka_message_errstr(m));
                kc->hooks.on_error(kc->hooks.ctx,
                                   m->err == RD_KAFKA_RESP_ERR__FATAL ? ST_FATAL : ST_UNAVAILABLE, msg);
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        msgs[out++] = m;
    }
    return out;
}

/* A detached message's _private points here (librdkafka's never do). */
static const char detached_mark;

bool kafka_message_detached(const kafka_message *m)
{
    return m && m->_private == (const void *)&detached_mark;
}

void kafka_message_free(kafka_message *m)
{
    if (m && !kafka_message_detached(m))
        rd_kafka_message_destroy(m);
}

int64_t kafka_message_timestamp(const kafka_message *m)
{
    return kafka_message_detached(m) ? -1 : rd_kafka_message_timestamp(m, NULL);
}

kafka_message *kafka_message_detach(kafka_message *m, void *cell, size_t cap)
{
    kafka_message *d = cell;
    uint8_t *p = (uint8_t *)(d + 1);

    if (m->err || kafka_message_detached(m) || cap < sizeof(*d) || m->key_len > cap - sizeof(*d) ||
        m->len > cap - sizeof(*d) - m->key_len)
        return NULL;
    *d = (kafka_message){.partition = m->partition, .offset = m->offset,
                         ._private = (void *)&detached_mark};
    if (m->key) {
        memcpy(p, m->key, m->key_len);
        d->key = p;
        d->key_len = m->key_len;
        p += m->key_len;
    }
    if (m->payload) {
        memcpy(p, m->payload, m->len);
        d->payload = p;
        d->len = m->len;
    }
    rd_kafka_message_destroy(m);
    return d;
}

static rd_kafka_topic_partition_list_t *tp_list(const struct kafka_tp *tps, size_t n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, tps[i].topic, tps[i].partition)->offset = tps[i].offset;
    return l;
}

enum status kafka_commit(struct kafka_consumer *kc, const struct kafka_tp *tps, size_t n, bool sync,
                         int *errs, struct err *e)
{
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t r;
    enum status st = ST_OK;

    if (n == 0)
        return ST_OK;
    l = tp_list(tps, n);
    r = rd_kafka_commit(kc->rk, l, sync ? 0 : 1);
    if (sync)
        for (int i = 0; errs && i < l->cnt; i++)
            errs[i] = r ? (int)r : (int)l->elems[i].err;
    if (r == RD_KAFKA_RESP_ERR_NO_ERROR && sync) {
        for (int i = 0; i < l->cnt; i++) {
            if (l->elems[i].err) {
                st = err_set(e, ST_UNAVAILABLE, "commit %s[%d]@%lld: %s", l->elems[i].topic,
                             (int)l->elems[i].partition, (long long)l->elems[i].offset,
                             rd_kafka_err2str(l->elems[i].err));
                break;
            }
        }
    } else if (r) {
        st = err_set(e, r == RD_KAFKA_RESP_ERR__NO_OFFSET ? ST_OK : ST_UNAVAILABLE, "commit: %s",
                     rd_kafka_err2str(r));
    }
    rd_kafka_topic_partition_list_destroy(l);
    return st;
}

enum status kafka_committed(struct kafka_consumer *kc, struct kafka_tp *tps, size_t n, int timeout_ms,
                            struct err *e)
{
    rd_kafka_topic_partition_list_t *l = tp_list(tps, n);
    rd_kafka_resp_err_t r = rd_kafka_committed(kc->rk, l, timeout_ms);

    if (r == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (size_t i = 0; i < n; i++)
            tps[i].offset = l->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return r ? err_set(e, ST_UNAVAILABLE, "committed offsets: %s", rd_kafka_err2str(r)) : ST_OK;
}

static enum status pause_resume(struct kafka_consumer *kc, bool pause)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    rd_kafka_resp_err_t r = rd_kafka_assignment(kc->rk, &l);

    if (r)
        return ST_UNAVAILABLE;
    if (l->cnt)
        r = pause ? rd_kafka_pause_partitions(kc->rk, l) : rd_kafka_resume_partitions(kc->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    return r ? ST_UNAVAILABLE : ST_OK;
}

enum status kafka_pause_all(struct kafka_consumer *kc)
{
    return pause_resume(kc, true);
}

enum status kafka_resume_all(struct kafka_consumer *kc)
{
    return pause_resume(kc, false);
}

enum status kafka_consumer_refetch(struct kafka_consumer *kc, const struct kafka_tp *tps, size_t n)
{
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_error_t *err;

    if (n == 0)
        return ST_OK;
    l = tp_list(tps, n);
    err = rd_kafka_seek_partitions(kc->rk, l, 0);   /* asynchronous */
    rd_kafka_topic_partition_list_destroy(l);
    if (err) {
        rd_kafka_error_destroy(err);
        return ST_UNAVAILABLE;
    }
    return ST_OK;
}

int64_t kafka_lag(struct kafka_consumer *kc, const char *topic, int32_t partition, int64_t next_offset)
{
    int64_t lo = -1, hi = -1;

    if (rd_kafka_get_watermark_offsets(kc->rk, topic, partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0)
        return -1;
    if (next_offset < 0) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, partition);
        if (rd_kafka_position(kc->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR)
            next_offset = l->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(l);
        if (next_offset < 0)
            return -1;   /* not known yet: no fetch position, nothing read */
    }
    return hi > next_offset ? hi - next_offset : 0;
}

bool kafka_reset_earliest(const struct kafka_consumer *kc)
{
    return kc->reset_earliest;
}

bool kafka_watermarks(struct kafka_consumer *kc, const char *topic, int32_t partition, int64_t *lo, int64_t *hi)
{
    return rd_kafka_get_watermark_offsets(kc->rk, topic, partition, lo, hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
           *lo >= 0 && *hi >= 0;
}

bool kafka_consumer_cluster_id(struct kafka_consumer *kc, char *out, size_t cap, int timeout_ms)
{
    char *id = kc && kc->rk ? rd_kafka_clusterid(kc->rk, timeout_ms) : NULL;
    bool ok = id && *id && strlen(id) < cap;

    if (ok)
        memcpy(out, id, strlen(id) + 1);
    if (id)
        rd_kafka_mem_free(kc->rk, id);
    return ok;
}

void kafka_consumer_close(struct kafka_consumer *kc)
{
    if (kc && kc->rk)
        rd_kafka_consumer_close(kc->rk);
}

void kafka_consumer_free(struct kafka_consumer *kc)
{
    if (!kc)
        return;
    if (kc->q)
        rd_kafka_queue_destroy(kc->q);
    if (kc->rk)
        rd_kafka_destroy_flags(kc->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    mem_free(kc);
}

/* --- A consumer group's offsets, from outside the group --- */

struct kafka_group {
    rd_kafka_t *rk;
    char group[256];     /* the effective group.id, for messages */
    bool joined;
};

struct kafka_group *kafka_group_new(const char *bootstrap, const char *group_id, const char *const *props,
                                    struct err *e)
{
    struct kafka_group *kg = mem_calloc(1, sizeof(*kg));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    size_t len;
    const char *const defaults[] = {"session.timeout.ms", "10000", "heartbeat.interval.ms", "3000",
                                    "log_level", "4", NULL};
    /* never read or commit anything by itself; a joined handle leaves without committing */
    const char *const fixed[] = {"enable.auto.commit", "false", "enable.auto.offset.store", "false",
                                 "enable.partition.eof", "false", NULL};

    if (!kg) {
        err_set(e, ST_NOMEM, "kafka group %s", group_id);
        goto fail;
    }
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "group.id", group_id, errstr, sizeof(errstr))) {
        err_set(e, ST_CONFIG, "group %s: bootstrap.servers/group.id: %s", group_id, errstr);
        goto fail;
    }
    if (kafka_conf_apply(conf, defaults, KAFKA_CLIENT_CONSUMER, e) != ST_OK ||
        kafka_conf_apply(conf, props, KAFKA_CLIENT_CONSUMER, e) != ST_OK ||
        kafka_conf_apply(conf, fixed, KAFKA_CLIENT_CONSUMER, e) != ST_OK)
        goto fail;
    len = sizeof(kg->group);
    if (rd_kafka_conf_get(conf, "group.id", kg->group, &len) != RD_KAFKA_CONF_OK)
        snprintf(kg->group, sizeof(kg->group), "%s", group_id);
    rd_kafka_conf_set_log_cb(conf, quiet_log_cb);
    kg->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!kg->rk) {
        err_set(e, ST_CONFIG, "group %s: kafka consumer: %s", kg->group, errstr);
        goto fail;
    }
    rd_kafka_poll_set_consumer(kg->rk);
    return kg;
fail:
    if (!kg || !kg->rk)
        rd_kafka_conf_destroy(conf);
    kafka_group_free(kg);
    return NULL;
}

static enum status kerr_status(rd_kafka_resp_err_t r)
{
    return r == RD_KAFKA_RESP_ERR__TIMED_OUT ? ST_TIMEOUT : ST_UNAVAILABLE;
}

static bool wanted_topic(const char *topic, const char *const *topics, const regex_t *rx)
{
    for (size_t i = 0; topics && topics[i]; i++)
        if (strcmp(topics[i], topic) == 0)
            return true;
    return rx && regexec(rx, topic, 0, NULL, 0) == 0;
}

/* Every partition of the wanted topics, sorted, from cluster metadata. */
static enum status topic_partitions(struct kafka_group *kg, const char *const *topics, const regex_t *rx,
                                    int timeout_ms, rd_kafka_topic_partition_list_t **out, struct err *e)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t r = rd_kafka_metadata(kg->rk, 1, NULL, &md, timeout_ms);
    rd_kafka_topic_partition_list_t *l;
    enum status st = ST_OK;

    *out = NULL;
    if (r)
        return err_set(e, kerr_status(r), "group %s: cluster metadata: %s", kg->group, rd_kafka_err2str(r));
    l = rd_kafka_topic_partition_list_new(16);
    for (int i = 0; i < md->topic_cnt && st == ST_OK; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        if (!wanted_topic(t->topic, topics, rx))
            continue;
        if (t->err)
            st = err_set(e, ST_UNAVAILABLE, "group %s: topic %s: %s", kg->group, t->topic, rd_kafka_err2str(t->err));
        for (int p = 0; p < t->partition_cnt; p++)
            rd_kafka_topic_partition_list_add(l, t->topic, t->partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
    if (st != ST_OK) {
        rd_kafka_topic_partition_list_destroy(l);
        return st;
    }
    rd_kafka_topic_partition_list_sort(l, NULL, NULL);
    *out = l;
    return ST_OK;
}

enum status kafka_group_committed(struct kafka_group *kg, const char *const *topics, const char *topics_regex,
                                  int timeout_ms, kafka_offset_cb cb, void *ctx, struct err *e)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    rd_kafka_resp_err_t r;
    regex_t rx;
    enum status st;

    if (topics_regex) {
        char pat[1024];
        snprintf(pat, sizeof(pat), "%s%s", topics_regex[0] == '^' ? "" : "^", topics_regex);
        if (regcomp(&rx, pat, REG_EXTENDED | REG_NOSUB) != 0)
            return err_set(e, ST_CONFIG, "group %s: topics.regex '%s' is not a regular expression", kg->group,
                           topics_regex);
    }
    st = topic_partitions(kg, topics, topics_regex ? &rx : NULL, timeout_ms, &l, e);
    if (topics_regex)
        regfree(&rx);
    if (st != ST_OK || l->cnt == 0)
        goto out;
    r = rd_kafka_committed(kg->rk, l, timeout_ms);
    if (r) {
        st = err_set(e, kerr_status(r), "group %s: committed offsets: %s", kg->group, rd_kafka_err2str(r));
        goto out;
    }
    for (int i = 0; i < l->cnt && st == ST_OK; i++) {
        const rd_kafka_topic_partition_t *tp = &l->elems[i];
        if (tp->err)
            st = err_set(e, ST_UNAVAILABLE, "group %s: committed offset of %s[%d]: %s", kg->group, tp->topic,
                         (int)tp->partition, rd_kafka_err2str(tp->err));
        else if (tp->offset >= 0)
            st = cb(ctx, tp->topic, tp->partition, tp->offset);
    }
out:
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
    return st;
}

/* A synchronous commit of @l; *@rerr gets the broker's answer (overall, else the first
 * partition's). */
static enum status group_commit_once(struct kafka_group *kg, rd_kafka_topic_partition_list_t *l,
                                     rd_kafka_resp_err_t *rerr, struct err *e)
{
    rd_kafka_resp_err_t r = rd_kafka_commit(kg->rk, l, 0);

    *rerr = r;
    if (r)
        return err_set(e, kerr_status(r), "group %s: commit: %s", kg->group, rd_kafka_err2str(r));
    for (int i = 0; i < l->cnt; i++) {
        if (l->elems[i].err) {
            *rerr = l->elems[i].err;
            return err_set(e, kerr_status(*rerr), "group %s: commit %s[%d]@%lld: %s", kg->group, l->elems[i].topic,
                           (int)l->elems[i].partition, (long long)l->elems[i].offset, rd_kafka_err2str(*rerr));
        }
    }
    return ST_OK;
}

/* Serve the joined handle's group events for @ms (messages fetched meanwhile are dropped:
 * never stored nor committed). */
static void group_poll(struct kafka_group *kg, int ms)
{
    uint64_t until = clock_mono_ms() + (uint64_t)ms;
    do {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(kg->rk, 100);
        if (m)
            rd_kafka_message_destroy(m);
    } while (clock_mono_ms() < until);
}

/* Join the group on the topics of @l (sorted) and wait until this handle is assigned every
 * partition of them: then it is the group's only consumer of them. */
static enum status group_join_alone(struct kafka_group *kg, const rd_kafka_topic_partition_list_t *l,
                                    int timeout_ms, struct err *e)
{
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(4), *all = NULL, *mine = NULL;
    const char **names = mem_calloc((size_t)l->cnt + 1, sizeof(*names));
    uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;
    rd_kafka_resp_err_t r;
    enum status st;
    size_t n = 0;
    int got = 0;

    if (!names) {
        rd_kafka_topic_partition_list_destroy(subs);
        return err_set(e, ST_NOMEM, "group %s", kg->group);
    }
    for (int i = 0; i < l->cnt; i++)
        if (i == 0 || strcmp(l->elems[i].topic, l->elems[i - 1].topic) != 0) {
            names[n++] = l->elems[i].topic;
            rd_kafka_topic_partition_list_add(subs, l->elems[i].topic, RD_KAFKA_PARTITION_UA);
        }
    st = topic_partitions(kg, names, NULL, timeout_ms, &all, e);
    if (st == ST_OK && all->cnt == 0)
        st = err_set(e, ST_CONFIG, "group %s: topic %s%s not in the cluster's metadata", kg->group, names[0],
                     n > 1 ? " and the other topics are" : " is");
    if (st == ST_OK && !kg->joined && (r = rd_kafka_subscribe(kg->rk, subs)) != RD_KAFKA_RESP_ERR_NO_ERROR)
        st = err_set(e, ST_UNAVAILABLE, "group %s: subscribe: %s", kg->group, rd_kafka_err2str(r));
    kg->joined |= st == ST_OK;
    while (st == ST_OK) {
        group_poll(kg, 100);
        if (rd_kafka_assignment(kg->rk, &mine) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            got = mine->cnt;
            rd_kafka_topic_partition_list_destroy(mine);
            if (got >= all->cnt)
                break;
        }
        if (clock_mono_ms() >= deadline)
            st = err_set(e, ST_BUSY, "group %s: another consumer is still active in the group (this client was "
                         "assigned %d of the %d partitions of %s%s)", kg->group, got, all->cnt, names[0],
                         n > 1 ? " and the other topics" : "");
    }
    if (all)
        rd_kafka_topic_partition_list_destroy(all);
    rd_kafka_topic_partition_list_destroy(subs);
    mem_free(names);
    return st;
}

enum status kafka_group_commit(struct kafka_group *kg, const struct kafka_tp *tps, size_t n, int timeout_ms,
                               struct err *e)
{
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t r;
    enum status st;

    if (n == 0)
        return ST_OK;
    l = tp_list(tps, n);
    rd_kafka_topic_partition_list_sort(l, NULL, NULL);
    st = group_commit_once(kg, l, &r, e);
    if (st != ST_OK && (r == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || r == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION)) {
        /* a rebalance between the assignment and the commit (a topic's metadata changed, a
         * member came or went) refuses it once: wait for the whole assignment again */
        for (int tries = 0; tries < 3; tries++) {
            err_clear(e);
            r = RD_KAFKA_RESP_ERR_NO_ERROR;
            if (tries)
                group_poll(kg, 1000);   /* let the rebalance that refused it take its course */
            st = group_join_alone(kg, l, timeout_ms, e);
            if (st == ST_OK)
                st = group_commit_once(kg, l, &r, e);
            if (st == ST_OK || (r != RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID && r != RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION &&
                                r != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS))
                break;
        }
        if (st != ST_OK && (r == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || r == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
                            r == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS))
            st = err_set(e, ST_BUSY, "group %s: commit refused (%s): another consumer joined the group",
                         kg->group, rd_kafka_err2str(r));
    }
    rd_kafka_topic_partition_list_destroy(l);
    return st;
}

void kafka_group_free(struct kafka_group *kg)
{
    if (!kg)
        return;
    if (kg->rk) {
        if (kg->joined)
            rd_kafka_consumer_close(kg->rk);   /* leave now, not after session.timeout.ms */
        rd_kafka_destroy(kg->rk);
    }
    mem_free(kg);
}

/* --- Producer --- */

struct kafka_producer {
    rd_kafka_t *rk;
    kafka_delivery_cb cb;    /* asynchronous producers only */
    void *cb_ctx;
};

struct delivery {
    volatile int done;
    rd_kafka_resp_err_t err;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct kafka_producer *kp = opaque;
    struct delivery *d = m->_private;
    (void)rk;
    if (kp && kp->cb) {
        kp->cb(kp->cb_ctx, m->_private, m->err ? ST_UNAVAILABLE : ST_OK, m->err ? rd_kafka_err2str(m->err) : "");
        return;
    }
    if (d) {
        d->err = m->err;
        d->done = 1;
    }
}

static struct kafka_producer *producer_new(const char *bootstrap, const char *const *props, kafka_delivery_cb cb,
                                           void *cb_ctx, struct err *e)
{
    struct kafka_producer *kp = mem_calloc(1, sizeof(*kp));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    const char *const fixed[] = {"enable.idempotence", "true", "acks", "all", "linger.ms", "5",
                                 "message.timeout.ms", "30000", "log_level", "4", NULL};

    if (!kp) {
        err_set(e, ST_NOMEM, "kafka producer");
        goto fail;
    }
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr))) {
        err_set(e, ST_CONFIG, "bootstrap.servers: %s", errstr);
        goto fail;
    }
    if (kafka_conf_apply(conf, fixed, KAFKA_CLIENT_PRODUCER, e) != ST_OK ||
        kafka_conf_apply(conf, props, KAFKA_CLIENT_PRODUCER, e) != ST_OK)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_log_cb(conf, quiet_log_cb);
    kp->cb = cb;
    kp->cb_ctx = cb_ctx;
    rd_kafka_conf_set_opaque(conf, kp);
    kp->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!kp->rk) {
        err_set(e, ST_CONFIG, "kafka producer: %s", errstr);
        goto fail;
    }
    return kp;
fail:
    if (!kp || !kp->rk)
        rd_kafka_conf_destroy(conf);
    kafka_producer_free(kp);
    return NULL;
}

struct kafka_producer *kafka_producer_new(const char *bootstrap, const char *const *props, struct err *e)
{
    return producer_new(bootstrap, props, NULL, NULL, e);
}

struct kafka_producer *kafka_producer_new_async(const char *bootstrap, const char *const *props,
                                                kafka_delivery_cb cb, void *ctx, struct err *e)
{
    return producer_new(bootstrap, props, cb, ctx, e);
}

enum status kafka_produce_async(struct kafka_producer *kp, const char *topic, int32_t partition,
                                const void *key, size_t key_len, const void *val, size_t val_len,
                                const struct kafka_header *hdrs, size_t n_hdrs, void *msg_opaque,
                                struct err *e)
{
    rd_kafka_headers_t *hs = rd_kafka_headers_new(n_hdrs ? n_hdrs : 1);
    rd_kafka_resp_err_t r;

    for (size_t i = 0; i < n_hdrs; i++)
        rd_kafka_header_add(hs, hdrs[i].name, -1, hdrs[i].value, (ssize_t)hdrs[i].len);
    r = rd_kafka_producev(kp->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)val, val_len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hs),
                          RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
    if (r) {
        rd_kafka_headers_destroy(hs);
        return err_set(e, r == RD_KAFKA_RESP_ERR__QUEUE_FULL ? ST_BUSY : ST_UNAVAILABLE, "produce to %s: %s", topic,
                       rd_kafka_err2str(r));
    }
    return ST_OK;
}

int kafka_producer_poll(struct kafka_producer *kp, int timeout_ms)
{
    return rd_kafka_poll(kp->rk, timeout_ms);
}

enum status kafka_produce_sync(struct kafka_producer *kp, const char *topic, int32_t partition,
                               const void *key, size_t key_len, const void *val, size_t val_len,
                               const struct kafka_header *hdrs, size_t n_hdrs, int timeout_ms,
                               struct err *e)
{
    struct delivery d = {0, RD_KAFKA_RESP_ERR_NO_ERROR};
    rd_kafka_headers_t *hs = rd_kafka_headers_new(n_hdrs ? n_hdrs : 1);
    rd_kafka_resp_err_t r;
    uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;

    for (size_t i = 0; i < n_hdrs; i++)
        rd_kafka_header_add(hs, hdrs[i].name, -1, hdrs[i].value, (ssize_t)hdrs[i].len);
    r = rd_kafka_producev(kp->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)val, val_len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hs),
                          RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
    if (r) {
        rd_kafka_headers_destroy(hs);
        return err_set(e, ST_UNAVAILABLE, "produce to %s: %s", topic, rd_kafka_err2str(r));
    }
    while (!d.done && clock_mono_ms() < deadline)
        rd_kafka_poll(kp->rk, 10);
    if (!d.done) {
        /* message.timeout.ms bounds this: librdkafka always reports, so &d never dangles */
        while (!d.done)
            rd_kafka_poll(kp->rk, 100);
        if (d.err == RD_KAFKA_RESP_ERR_NO_ERROR)
            return ST_OK;
        return err_set(e, ST_TIMEOUT, "produce to %s: %s", topic, rd_kafka_err2str(d.err));
    }
    if (d.err)
        return err_set(e, ST_UNAVAILABLE, "produce to %s: %s", topic, rd_kafka_err2str(d.err));
    return ST_OK;
}

void kafka_producer_free(struct kafka_producer *kp)
{
    if (!kp)
        return;
    if (kp->rk) {
        rd_kafka_flush(kp->rk, 10000);
        rd_kafka_destroy(kp->rk);
    }
    mem_free(kp);
}
