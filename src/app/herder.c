/* src/app/herder.c: distributed mode's state, assignment and task threads (see herder.h).
 *
 * State: one table of connectors (config, target state, pending restart request, local task
 * slot), one of status records, one of workers (heartbeats). The reader thread
 * (herder_store.c) applies records to them; the control loop reads them every tick and
 * starts, relabels, pauses or stops the local task of each connector; REST threads read them
 * and write through the store. Everything is guarded by h->mu; h->cond is broadcast whenever
 * the reader applied something. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/herder_int.h"
#include "app/metrics.h"
#include "app/rest_backend.h"
#include "app/sdnotify.h"

/* ------------------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------------------ */

struct hconn *herder__conn(struct herder *h, const char *name, bool create)
{
    for (size_t i = 0; i < h->n_conns; i++)
        if (strcmp(h->conns[i]->name, name) == 0)
            return h->conns[i];
    if (!create)
        return NULL;
    if (h->n_conns == h->cap_conns) {
        size_t cap = h->cap_conns ? h->cap_conns * 2 : 8;
        struct hconn **v = mem_realloc(h->conns, cap * sizeof(*v));
        if (!v)
            return NULL;
        h->conns = v;
        h->cap_conns = cap;
    }
    struct hconn *c = mem_calloc(1, sizeof(*c));
    if (!c || !(c->name = mem_strdup(name))) {
        mem_free(c);
        return NULL;
    }
    c->gen = c->created = c->claim_off = -1;
    c->rep_task = -1;
    h->conns[h->n_conns++] = c;
    return c;
}

static void conn_free(struct hconn *c)
{
    rest_kvs_free(&c->config);
    mem_free(c->rep_trace);
    mem_free(c->name);
    mem_free(c);
}

struct hstat *herder__stat(struct herder *h, const char *key, bool create)
{
    for (size_t i = 0; i < h->n_stats; i++)
        if (strcmp(h->stats[i].key, key) == 0)
            return &h->stats[i];
    if (!create)
        return NULL;
    if (!mem_grow(&h->stats, &h->cap_stats, h->n_stats + 1, sizeof(*h->stats), 16))
        return NULL;
    struct hstat *s = &h->stats[h->n_stats];
    memset(s, 0, sizeof(*s));
    if (!(s->key = mem_strdup(key)))
        return NULL;
    h->n_stats++;
    return s;
}

void herder__stat_clear(struct hstat *s)
{
    mem_free(s->trace);
    mem_free(s->worker_id);
    s->trace = s->worker_id = NULL;
    s->present = false;
}

struct hworker *herder__worker(struct herder *h, const char *id, bool create)
{
    for (size_t i = 0; i < h->n_workers; i++)
        if (strcmp(h->workers[i].id, id) == 0)
            return &h->workers[i];
    if (!create)
        return NULL;
    if (h->n_workers == h->cap_workers) {
        size_t cap = h->cap_workers ? h->cap_workers * 2 : 8;
        struct hworker *v = mem_realloc(h->workers, cap * sizeof(*v));
        if (!v)
            return NULL;
        h->workers = v;
        h->cap_workers = cap;
    }
    struct hworker *w = &h->workers[h->n_workers];
    memset(w, 0, sizeof(*w));
    if (!(w->id = mem_strdup(id)))
        return NULL;
    h->n_workers++;
    return w;
}

struct htopic *herder__topic(struct herder *h, const char *connector, const char *topic, bool create)
{
    for (size_t i = 0; i < h->n_topics; i++)
        if (strcmp(h->topics[i].connector, connector) == 0 && strcmp(h->topics[i].topic, topic) == 0)
            return &h->topics[i];
    if (!create)
        return NULL;
    if (!mem_grow(&h->topics, &h->cap_topics, h->n_topics + 1, sizeof(*h->topics), 8))
        return NULL;
    struct htopic *t = &h->topics[h->n_topics];
    t->connector = mem_strdup(connector);
    t->topic = mem_strdup(topic);
    if (!t->connector || !t->topic) {
        mem_free(t->connector);
        mem_free(t->topic);
        return NULL;
    }
    h->n_topics++;
    return t;
}

void herder__topic_remove(struct herder *h, const char *connector, const char *topic)
{
    struct htopic *t = herder__topic(h, connector, topic, false);
    if (!t)
        return;
    mem_free(t->connector);
    mem_free(t->topic);
    *t = h->topics[--h->n_topics];
}

bool herder__claim_granted(const struct hconn *c, uint64_t time)
{
    if (c->present)
        return false;
    return c->claim_off < 0 || time >= c->claim_time + c->claim_ttl;
}

int32_t herder__tasks_max(const struct hconn *c)
{
    const struct rest_kv *kv = rest_kvs_find(&c->config, "tasks.max");
    int64_t v = 1;

    if (kv && kv->value && !str_to_i64(kv->value, strlen(kv->value), &v))
        v = 1;
    return (int32_t)(v < 1 ? 1 : v > 1024 ? 1024 : v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Live workers (self always), sorted by id; @out holds borrowed ids. Returns the count. */
static size_t live_workers(struct herder *h, const char **out, size_t cap)
{
    uint64_t now = clock_wall_ms();
    size_t n = 0;

    out[n++] = h->id;
    for (size_t i = 0; i < h->n_workers && n < cap; i++) {
        const struct hworker *w = &h->workers[i];
        if (w->gone || strcmp(w->id, h->id) == 0)
            continue;
        if (w->seen_ms + h->o.session_timeout_ms >= now)
            out[n++] = w->id;
    }
    qsort(out, n, sizeof(*out), cmp_str);
    return n;
}

static int my_rank(struct herder *h, const char **live, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(live[i], h->id) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------------------
 * Local task slots
 * ------------------------------------------------------------------------------------ */

static void slot_set_failed(struct slot *s, const char *trace)
{
    pthread_mutex_lock(&s->mu);
    s->state = REST_FAILED;
    mem_free(s->trace);
    s->trace = mem_strdup(trace);
    pthread_mutex_unlock(&s->mu);
}

static void *slot_main(void *arg)
{
    struct slot *s = arg;
    struct herder *h = s->h;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct err e = {0};
    char display[300];
    struct cfg_props *p;

    snprintf(display, sizeof(display), "connector %s", s->name);
    /* the config topic holds the config as written: config-provider references are
     * resolved here, when the task starts, with this worker's providers (as Connect does) */
    struct cfg_providers *pv = cfg_providers_new(h->o.worker->props, NULL);
    struct cfg_resolved *res = NULL;
    p = app_props_from_kvs(display, &s->config);
    s->cc = p ? cfg_connector_new_resolved(p, pv, &res, &d) : NULL;
    cfg_providers_free(pv);
    if (s->cc) {
        s->map = cfg_connector_load_mapping(s->cc, CFG_LOAD_READ_FILES, &d);
        if (s->map)
            cfg_connector_check_mapping(s->cc, s->map, &d);
        cfg_check_converters(h->o.worker, s->cc, &d);
    }
    cfg_resolved_scrub(&res, 1, &d);
    cfg_resolved_free(res);
    cfg_diags_sort(&d);
    if (!s->cc || !s->map || d.errors) {
        app_diags_to_err(&d, &e);
        if (!e.msg[0])
            err_set(&e, ST_NOMEM, "connector %s: cannot build its configuration", s->name);
        slot_set_failed(s, e.msg);
        log_error(&h->log, "connector %s: %s", s->name, e.msg);
        goto out;
    }
    /* an unreachable Aerospike is retried until it answers or this task is stopped */
    struct app_run_opts ro = h->o.run;
    ro.stop = &s->stop;
    struct app_connector *ac = app_connector_new(h->o.worker, s->cc, s->map, &ro, &e);
    if (!ac) {
        slot_set_failed(s, e.msg);
        log_error(&h->log, "connector %s: %s", s->name, e.msg);
        goto out;
    }
    pthread_mutex_lock(&s->mu);
    s->ac = ac;
    worker_set_paused(app_connector_worker(ac), s->want_paused);
    s->state = REST_RUNNING;
    pthread_mutex_unlock(&s->mu);
    log_info(&h->log, "connector %s: task %d started (config generation %lld)", s->name, (int)s->task,
             (long long)s->gen);

    int rc = app_connector_run(ac, &s->stop);

    pthread_mutex_lock(&s->mu);
    if (rc != 0) {
        s->state = REST_FAILED;
        mem_free(s->trace);
        s->trace = mem_strdup(worker_failure(app_connector_worker(ac)));
    } else {
        s->state = REST_UNASSIGNED;
    }
    s->ac = NULL;
    pthread_mutex_unlock(&s->mu);
    if (rc != 0)
        log_error(&h->log, "connector %s: task failed: %s", s->name, s->trace ? s->trace : "");
    app_connector_free(ac);
out:
    cfg_free(s->map);
    s->map = NULL;
    cfg_connector_free(s->cc);
    s->cc = NULL;
    cfg_diags_free(&d);
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->mu);
    /* Last: the control loop joins an exited slot while holding h->mu. */
    atomic_store(&s->exited, true);
    return NULL;
}

static struct slot *slot_start(struct herder *h, struct hconn *c, int32_t task)
{
    struct slot *s = mem_calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->h = h;
    s->gen = c->gen;
    s->task = task;
    s->state = REST_UNASSIGNED;
    s->want_paused = c->target == TGT_PAUSED;
    pthread_mutex_init(&s->mu, NULL);
    if (!(s->name = mem_strdup(c->name)) || rest_kvs_copy(&s->config, &c->config) != ST_OK ||
        pthread_create(&s->tid, NULL, slot_main, s) != 0) {
        rest_kvs_free(&s->config);
        mem_free(s->name);
        pthread_mutex_destroy(&s->mu);
        mem_free(s);
        return NULL;
    }
    return s;
}

static void slot_free(struct slot *s)
{
    if (!s)
        return;
    if (!s->joined)
        pthread_join(s->tid, NULL);
    rest_kvs_free(&s->config);
    for (size_t i = 0; i < s->n_tt; i++)
        mem_free(s->tt[i].name);
    mem_free(s->tt);
    mem_free(s->trace);
    mem_free(s->name);
    pthread_mutex_destroy(&s->mu);
    mem_free(s);
}

/* The state this worker reports for its task (RUNNING becomes PAUSED when paused). */
static enum rest_state slot_state(struct slot *s, char **trace)
{
    enum rest_state st;

    pthread_mutex_lock(&s->mu);
    st = s->state;
    if (st == REST_RUNNING && s->want_paused)
        st = REST_PAUSED;
    if (trace)
        *trace = st == REST_FAILED && s->trace ? mem_strdup(s->trace) : NULL;
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Status reports
 * ------------------------------------------------------------------------------------ */

static enum status status_json(struct buf *b, enum rest_state st, const char *trace, const char *wid,
                               int64_t gen)
{
    enum status rc = buf_printf(b, "{\"state\":\"%s\",\"trace\":", rest_state_name(st));
    if (rc == ST_OK)
        rc = trace ? json_append_str(b, trace, strlen(trace)) : buf_append_str(b, "null");
    if (rc == ST_OK)
        rc = buf_append_str(b, ",\"worker_id\":");
    if (rc == ST_OK)
        rc = json_append_str(b, wid, strlen(wid));
    if (rc == ST_OK)
        rc = buf_printf(b, ",\"generation\":%lld}", (long long)gen);
    return rc;
}

/* Write this worker's task status for @c when it changed since the last report. */
static void report_task(struct herder *h, struct hconn *c)
{
    char key[600], *trace = NULL;
    struct buf b = BUF_INIT;
    enum rest_state st;

    if (!c->slot)
        return;
    st = slot_state(c->slot, &trace);
    if (c->rep_task == c->slot->task && c->rep_state == st && c->rep_gen == c->slot->gen &&
        ((!trace && !c->rep_trace) || (trace && c->rep_trace && strcmp(trace, c->rep_trace) == 0))) {
        mem_free(trace);
        return;
    }
    snprintf(key, sizeof(key), "status-task-%s-%d", c->name, (int)c->slot->task);
    if (status_json(&b, st, trace, h->id, c->slot->gen) == ST_OK &&
        herder__produce_async(h, h->status_topic, key, b.p, b.len) == ST_OK) {
        c->rep_task = c->slot->task;
        c->rep_state = st;
        c->rep_gen = c->slot->gen;
        mem_free(c->rep_trace);
        c->rep_trace = trace;
        trace = NULL;
    }
    mem_free(trace);
    buf_free(&b);
}

/* Rank 0 writes the connector's own state. */
static void report_connector(struct herder *h, struct hconn *c)
{
    enum rest_state st = c->target == TGT_PAUSED ? REST_PAUSED : c->target == TGT_STOPPED ? REST_STOPPED
                                                                                         : REST_RUNNING;
    char key[600];
    struct buf b = BUF_INIT;

    if (c->rep_conn_valid && c->rep_conn_state == st && c->rep_conn_gen == c->gen)
        return;
    snprintf(key, sizeof(key), "status-connector-%s", c->name);
    if (status_json(&b, st, NULL, h->id, c->gen) == ST_OK &&
        herder__produce_async(h, h->status_topic, key, b.p, b.len) == ST_OK) {
        c->rep_conn_valid = true;
        c->rep_conn_state = st;
        c->rep_conn_gen = c->gen;
    }
    buf_free(&b);
}

static void heartbeat(struct herder *h, bool goodbye)
{
    char key[300];
    struct buf b = BUF_INIT;

    snprintf(key, sizeof(key), "worker-%s", h->id);
    if (!goodbye) {
        buf_append_str(&b, "{\"worker_id\":");
        json_append_str(&b, h->id, strlen(h->id));
        buf_append_str(&b, ",\"url\":");
        json_append_str(&b, h->o.url, strlen(h->o.url));
        buf_printf(&b, ",\"time\":%llu}", (unsigned long long)clock_wall_ms());
    }
    herder__produce_async(h, h->status_topic, key, goodbye ? NULL : b.p, goodbye ? 0 : b.len);
    buf_free(&b);
}

/* ------------------------------------------------------------------------------------
 * Topic tracking (Kafka Connect's KIP-558, GET /connectors/{n}/topics): the status topic
 * holds "status-topic-<topic>:connector-<n>" once a task of n consumed a record of the topic
 * (since n was created or its topics reset). Local tasks are watched from the control loop
 * through their worker's per-topic counters, so the record path pays nothing.
 * ------------------------------------------------------------------------------------ */

#define TOPIC_RETRY_MS 10000   /* write the record again when not read back by then */

static void topic_key(char *key, size_t cap, const char *connector, const char *topic)
{
    snprintf(key, cap, "status-topic-%s:connector-%s", topic, connector);
}

/* {"topic":{"name":..,"connector":..,"task":..,"discoverTimestamp":..}}, as Connect writes it. */
static void record_topic(struct herder *h, const char *connector, const char *topic, int32_t task)
{
    char key[700];
    struct buf b = BUF_INIT;
    enum status st = buf_append_str(&b, "{\"topic\":{\"name\":");

    topic_key(key, sizeof(key), connector, topic);
    if (st == ST_OK)
        st = json_append_str(&b, topic, strlen(topic));
    if (st == ST_OK)
        st = buf_append_str(&b, ",\"connector\":");
    if (st == ST_OK)
        st = json_append_str(&b, connector, strlen(connector));
    if (st == ST_OK)
        st = buf_printf(&b, ",\"task\":%d,\"discoverTimestamp\":%llu}}", (int)task,
                        (unsigned long long)clock_wall_ms());
    if (st == ST_OK && herder__produce_async(h, h->status_topic, key, b.p, b.len) == ST_OK)
        log_debug(&h->log, "connector %s: task %d consumed topic %s", connector, (int)task, topic);
    buf_free(&b);
}

static void slot_topics_init(struct slot *s, struct worker *w)
{
    size_t n = worker_topic_count(w);
    struct slot_topic *tt = mem_calloc(n ? n : 1, sizeof(*tt));

    for (size_t i = 0; tt && i < n; i++) {
        struct worker_topic_stats ts;
        worker_topic_stats(w, i, &ts);
        if (!(tt[i].name = mem_strdup(ts.topic))) {
            while (i > 0)
                mem_free(tt[--i].name);
            mem_free(tt);
            return;   /* tried again next tick */
        }
    }
    s->tt = tt;
    s->n_tt = tt ? n : 0;
}

/* Record each topic the local task of @c consumed a record of, once (h->mu held). */
static void track_topics(struct herder *h, struct hconn *c)
{
    struct slot *s = c->slot;
    uint64_t now = clock_mono_ms();

    if (!h->track_topics || !s || !c->present || s->gen != c->gen)
        return;
    pthread_mutex_lock(&s->mu);
    struct worker *w = s->ac ? app_connector_worker(s->ac) : NULL;
    if (w && !s->tt)
        slot_topics_init(s, w);
    for (size_t i = 0; w && i < s->n_tt; i++) {
        struct slot_topic *t = &s->tt[i];
        struct worker_topic_stats ts;
        worker_topic_stats(w, i, &ts);
        if (herder__topic(h, c->name, t->name, false)) {
            t->known = true;
            t->pending = false;
            continue;
        }
        if (t->known) {   /* reset since: only records consumed after it count */
            t->known = false;
            t->mark = ts.consumed;
        }
        if (ts.consumed <= t->mark || (t->pending && now - t->pending_ms < TOPIC_RETRY_MS))
            continue;
        record_topic(h, c->name, t->name, s->task);
        t->pending = true;
        t->pending_ms = now;
    }
    pthread_mutex_unlock(&s->mu);
}

/* A deleted connector's task has stopped: take back what it recorded (its own records may
 * have reached the status topic after the deleting worker reset the connector's topics). */
static void forget_slot_topics(struct herder *h, const char *connector, const struct slot *s)
{
    char key[700];

    for (size_t i = 0; h->track_topics && i < s->n_tt; i++) {
        if (!s->tt[i].known && !s->tt[i].pending)
            continue;
        topic_key(key, sizeof(key), connector, s->tt[i].name);
        herder__produce_async(h, h->status_topic, key, NULL, 0);
    }
}

/* ------------------------------------------------------------------------------------
 * The control loop
 * ------------------------------------------------------------------------------------ */

/* One connector: converge the local task to what the tables say. h->mu held. */
static void converge(struct herder *h, struct hconn *c, int rank)
{
    bool run = c->present && c->target != TGT_STOPPED && rank >= 0 && rank < herder__tasks_max(c);
    bool restart = false;
    struct slot *s = c->slot;

    if (c->restart_pending) {
        if (s && c->restart_task >= 0)
            restart = s->task == c->restart_task;
        else if (s && c->restart_include_tasks)
            restart = !c->restart_only_failed || slot_state(s, NULL) == REST_FAILED;
        c->restart_pending = false;
        if (restart)
            log_info(&h->log, "connector %s: restarting task %d by request", c->name, (int)s->task);
    }
    if (s && s->exited && !s->joined) {
        pthread_join(s->tid, NULL);
        s->joined = true;
    }
    if (s && (!run || s->gen != c->gen || restart || s->restart_on_exit)) {
        if (!s->exited) {
            if (!s->stop) {
                log_info(&h->log, "connector %s: stopping task %d (%s)", c->name, (int)s->task,
                         !run ? (c->present ? (c->target == TGT_STOPPED ? "connector stopped"
                                                                        : "not assigned to this worker")
                                            : "connector deleted")
                              : restart ? "restart" : "new configuration");
                s->stop = 1;
            }
            if (restart)
                s->restart_on_exit = true;
            return;
        }
        if (!c->present)
            forget_slot_topics(h, c->name, s);
        slot_free(s);
        c->slot = s = NULL;
        c->rep_task = -1;
    }
    if (!s && run) {
        c->slot = s = slot_start(h, c, (int32_t)rank);
        if (!s) {
            log_error(&h->log, "connector %s: cannot start a task thread", c->name);
            return;
        }
    }
    if (!s)
        return;
    if (s->task != rank && rank >= 0) {
        log_info(&h->log, "connector %s: this worker's task is now %d (was %d)", c->name, rank, (int)s->task);
        s->task = (int32_t)rank;
    }
    bool paused = c->target == TGT_PAUSED;
    pthread_mutex_lock(&s->mu);
    if (s->want_paused != paused) {
        s->want_paused = paused;
        if (s->ac)
            worker_set_paused(app_connector_worker(s->ac), paused);
        log_info(&h->log, "connector %s: task %d %s", c->name, (int)s->task, paused ? "paused" : "resumed");
    }
    pthread_mutex_unlock(&s->mu);
    report_task(h, c);
    track_topics(h, c);
}

static void tick(struct herder *h)
{
    const char *live[256];
    size_t n_live = live_workers(h, live, ARRAY_LEN(live));
    int rank = my_rank(h, live, n_live);

    struct buf b = BUF_INIT;
    for (size_t i = 0; i < n_live; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", live[i]);
    buf_cstr(&b);
    if (b.p && (!h->last_live || strcmp(h->last_live, (const char *)b.p) != 0)) {
        log_info(&h->log, "live workers (%zu): %s; this worker is rank %d", n_live, (const char *)b.p, rank);
        mem_free(h->last_live);
        h->last_live = (char *)b.p;   /* keeps the buffer */
    } else {
        buf_free(&b);
    }
    /* Deleted connectors keep their (empty) entry: a target state read before the config
     * of a re-created connector must not be lost. */
    for (size_t i = 0; i < h->n_conns; i++) {
        struct hconn *c = h->conns[i];
        converge(h, c, rank);
        if (c->present && rank == 0)
            report_connector(h, c);
    }
}

/* At stop, the last status records (the tasks' states, the goodbye) may wait this long for
 * Kafka even when the tasks' drain used up the drain timeout: a reachable Kafka confirms them
 * in milliseconds. */
#define STOP_FLUSH_MIN_MS 500

void herder_run(struct herder *h, volatile sig_atomic_t *stop)
{
    uint64_t last_hb = 0;
    bool notified = false;

    pthread_mutex_lock(&h->mu);
    while (!*stop) {
        uint64_t now = clock_mono_ms();
        if (now - last_hb >= h->o.heartbeat_ms) {
            heartbeat(h, false);
            last_hb = now;
        }
        herder__poll(h);
        if (h->ready && !notified) {   /* systemd Type=notify: REST listens, config topic read */
            app_sd_ready("worker %s: config topic read, serving REST", h->o.worker_id);
            notified = true;
        }
        if (h->ready)
            tick(h);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->cond, &h->mu, &ts);
    }
    /* Shut down: stop every local task (drain, commit) in parallel, then say goodbye. The
     * slots are taken out of the table: the reader may still grow it meanwhile. One
     * --drain-timeout bounds it all, the status topic's last records included. */
    uint64_t deadline = clock_mono_ms() + (h->o.run.drain_timeout_ms ? h->o.run.drain_timeout_ms : 30000);
    struct slot **slots = mem_calloc(h->n_conns + 1, sizeof(*slots));
    size_t n = 0;
    for (size_t i = 0; i < h->n_conns; i++) {
        struct slot *s = h->conns[i]->slot;
        if (!s)
            continue;
        s->stop = 1;
        if (slots) {
            slots[n++] = s;
            h->conns[i]->slot = NULL;
        }
    }
    pthread_mutex_unlock(&h->mu);
    /* a second SIGTERM/SIGINT meanwhile: the tasks stop waiting for their in-flight writes */
    for (bool busy = n > 0; busy;) {
        sleep_ms(5);
        busy = false;
        for (size_t i = 0; i < n; i++) {
            if (*stop == WORKER_STOP_NOW)
                slots[i]->stop = WORKER_STOP_NOW;
            busy |= !atomic_load(&slots[i]->exited);
        }
    }
    for (size_t i = 0; i < n; i++)
        slot_free(slots[i]);
    mem_free(slots);
    heartbeat(h, true);
    /* The status records wait until Kafka confirms them: not longer than the drain timeout
     * (at least STOP_FLUSH_MIN_MS when the tasks' drain took it all), nor past the session
     * timeout counted from the last record Kafka confirmed: the other workers have then seen
     * this worker die, so a Kafka that is gone has nothing more to wait for. */
    pthread_mutex_lock(&h->pmu);
    uint64_t alive_until = h->confirmed_ms + h->o.session_timeout_ms;
    pthread_mutex_unlock(&h->pmu);
    deadline = MAX(deadline, clock_mono_ms() + STOP_FLUSH_MIN_MS);
    bool by_session = alive_until < deadline;
    size_t dropped = herder__flush_until(h, MIN(deadline, alive_until), stop);
    if (dropped)
        log_warn(&h->log,
                 "stopping: %zu status record(s) not confirmed by Kafka %s are dropped (each "
                 "logged above); other workers keep this worker's earlier states until its "
                 "session times out",
                 dropped,
                 *stop == WORKER_STOP_NOW ? "before the second stop signal"
                 : by_session             ? "within session.timeout.ms of the last record it confirmed"
                                          : "within the drain timeout");
    log_info(&h->log, "worker %s stopped", h->id);
}

/* ------------------------------------------------------------------------------------
 * Reads
 * ------------------------------------------------------------------------------------ */

static struct hconn *live_conn(struct herder *h, const char *name, struct err *e)
{
    struct hconn *c = herder__conn(h, name, false);
    if (!c || !c->present) {
        err_set(e, ST_NOT_FOUND, "Connector %s not found", name);
        return NULL;
    }
    return c;
}

enum status herder_list(struct herder *h, struct rest_strs *out, struct err *e)
{
    enum status st = ST_OK;
    (void)e;
    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->n_conns && st == ST_OK; i++)
        if (h->conns[i]->present)
            st = rest_strs_add(out, h->conns[i]->name);
    pthread_mutex_unlock(&h->mu);
    if (st == ST_OK && out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), cmp_str);
    return st;
}

static int32_t visible_tasks(const struct hconn *c)
{
    return c->target == TGT_STOPPED ? 0 : herder__tasks_max(c);
}

enum status herder_info(struct herder *h, const char *name, struct rest_connector_info *out,
                        struct err *e)
{
    enum status st;
    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    struct hconn *c = live_conn(h, name, e);
    if (!c) {
        pthread_mutex_unlock(&h->mu);
        return ST_NOT_FOUND;
    }
    st = rest_kvs_copy(&out->config, &c->config);
    out->type = REST_TYPE_SINK;
    for (int32_t t = 0; t < visible_tasks(c) && st == ST_OK; t++)
        st = rest_info_add_task(out, t);
    pthread_mutex_unlock(&h->mu);
    return st;
}

enum status herder_config(struct herder *h, const char *name, struct rest_kvs *out, struct err *e)
{
    enum status st;
    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    struct hconn *c = live_conn(h, name, e);
    st = c ? rest_kvs_copy(out, &c->config) : ST_NOT_FOUND;
    pthread_mutex_unlock(&h->mu);
    return st;
}

/* Task @t of @c as the cluster sees it: the status of the worker that should run it now
 * (rank t among the live workers), when that worker has reported for this incarnation of
 * the connector; UNASSIGNED otherwise. h->mu held. */
static void task_view(struct herder *h, const struct hconn *c, int32_t t, const char **live, size_t n_live,
                      enum rest_state *st, const char **wid, const char **trace)
{
    char key[600];
    const char *owner = (size_t)t < n_live ? live[t] : NULL;
    const struct hstat *s;

    snprintf(key, sizeof(key), "status-task-%s-%d", c->name, (int)t);
    s = herder__stat(h, key, false);
    *st = REST_UNASSIGNED;
    *trace = NULL;
    *wid = owner ? owner : (s && s->present ? s->worker_id : "");
    if (owner && s && s->present && s->worker_id && strcmp(s->worker_id, owner) == 0 && s->gen >= c->created) {
        *st = s->state;
        *trace = s->state == REST_FAILED ? s->trace : NULL;
    }
}

static enum status fill_status(struct herder *h, const struct hconn *c, struct rest_status *out)
{
    const char *live[256], *wid, *trace;
    size_t n_live = live_workers(h, live, ARRAY_LEN(live));
    enum rest_state cst = c->target == TGT_PAUSED ? REST_PAUSED : c->target == TGT_STOPPED ? REST_STOPPED
                                                                                          : REST_RUNNING;
    enum status st = rest_status_set(out, cst, live[0], NULL);

    out->type = REST_TYPE_SINK;
    for (int32_t t = 0; t < visible_tasks(c) && st == ST_OK; t++) {
        enum rest_state ts;
        task_view(h, c, t, live, n_live, &ts, &wid, &trace);
        st = rest_status_add_task(out, t, ts, wid, trace);
    }
    return st;
}

enum status herder_stopped_config(struct herder *h, const char *name, struct rest_kvs *out, struct err *e)
{
    enum status st;
    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    struct hconn *c = live_conn(h, name, e);
    if (!c)
        st = ST_NOT_FOUND;
    else if (c->target != TGT_STOPPED)
        st = err_set(e, ST_CONFIG, "Connectors must be in the STOPPED state before their offsets can be modified. "
                     "This can be done for the specified connector by issuing a 'PUT' request to the "
                     "'/connectors/%s/stop' endpoint", name);
    else
        st = rest_kvs_copy(out, &c->config);
    pthread_mutex_unlock(&h->mu);
    return st;
}

enum status herder_status(struct herder *h, const char *name, struct rest_status *out, struct err *e)
{
    enum status st;
    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    struct hconn *c = live_conn(h, name, e);
    st = c ? fill_status(h, c, out) : ST_NOT_FOUND;
    pthread_mutex_unlock(&h->mu);
    return st;
}

enum status herder_task_status(struct herder *h, const char *name, int32_t task,
                               struct rest_task_state *out, struct err *e)
{
    const char *live[256], *wid, *trace;
    enum status st = ST_OK;

    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    struct hconn *c = live_conn(h, name, e);
    if (!c) {
        st = ST_NOT_FOUND;
    } else if (task < 0 || task >= visible_tasks(c)) {
        st = err_set(e, ST_NOT_FOUND, "No status found for task %s-%d", name, (int)task);
    } else {
        size_t n_live = live_workers(h, live, ARRAY_LEN(live));
        task_view(h, c, task, live, n_live, &out->state, &wid, &trace);
        out->id = task;
        out->worker_id = mem_strdup(wid);
        out->trace = trace ? mem_strdup(trace) : NULL;
        if (!out->worker_id || (trace && !out->trace))
            st = ST_NOMEM;
    }
    pthread_mutex_unlock(&h->mu);
    return st;
}

enum status herder_task_configs(struct herder *h, const char *name, struct rest_task_configs *out,
                                struct err *e)
{
    enum status st = ST_OK;
    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    struct hconn *c = live_conn(h, name, e);
    if (!c)
        st = ST_NOT_FOUND;
    for (int32_t t = 0; c && t < visible_tasks(c) && st == ST_OK; t++) {
        struct rest_kvs *kv = rest_task_configs_add(out, t);
        st = kv ? rest_kvs_copy(kv, &c->config) : ST_NOMEM;
        if (st == ST_OK)
            st = rest_kvs_put(kv, "task.class", APP_TASK_CLASS);
    }
    pthread_mutex_unlock(&h->mu);
    return st;
}

/* Kafka Connect answers from its status store whether the connector exists or not: an
 * unknown or deleted connector has no topics. */
enum status herder_topics(struct herder *h, const char *name, struct rest_strs *out, struct err *e)
{
    enum status st = ST_OK;

    (void)e;
    if (!h->track_topics)
        return ST_UNSUPPORTED;   /* 403 "Topic tracking is disabled." */
    herder__sync_status(h);
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->n_topics && st == ST_OK; i++)
        if (strcmp(h->topics[i].connector, name) == 0)
            st = rest_strs_add(out, h->topics[i].topic);
    pthread_mutex_unlock(&h->mu);
    if (st == ST_OK && out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), cmp_str);
    return st;
}

/* Tombstone every topic record of @name, then wait until this worker has read them. */
static enum status forget_topics(struct herder *h, const char *name, struct err *e)
{
    struct rest_strs topics = {0};
    char key[700];
    enum status st = herder_topics(h, name, &topics, e);

    for (size_t i = 0; i < topics.n && st == ST_OK; i++) {
        topic_key(key, sizeof(key), name, topics.v[i]);
        st = herder__produce_status_sync(h, key, NULL, 0, e);
    }
    if (st == ST_OK && topics.n)
        herder__sync_status(h);
    rest_strs_free(&topics);
    return st;
}

enum status herder_topics_reset(struct herder *h, const char *name, struct err *e)
{
    enum status st;

    if (!h->track_topics)
        return err_set(e, ST_UNSUPPORTED, "Topic tracking is disabled.");
    if (!h->allow_topic_reset)
        return err_set(e, ST_UNSUPPORTED, "Topic tracking reset is disabled.");
    st = forget_topics(h, name, e);
    if (st == ST_OK)
        log_info(&h->log, "connector %s: active topics reset", name);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Writes
 * ------------------------------------------------------------------------------------ */

/* Wait until the initial read of the config topic is done. h->mu held. */
static enum status wait_ready(struct herder *h, struct err *e)
{
    uint64_t deadline = clock_mono_ms() + h->o.request_timeout_ms;
    while (!h->ready) {
        if (clock_mono_ms() >= deadline)
            return err_set(e, ST_UNAVAILABLE, "worker %s is still reading config topic %s", h->id,
                           h->config_topic);
        herder__wait(h, 100);
    }
    return ST_OK;
}

static const char *target_name(enum rest_target_state t)
{
    return t == REST_TARGET_PAUSED ? "PAUSED" : t == REST_TARGET_STOPPED ? "STOPPED" : "STARTED";
}

/* Produce @key=@val to the config topic and wait until the reader applied it; *@off: its
 * offset, *@what: what applying it did (HOUT_NONE when not known). Called without h->mu. */
static enum status write_config_at(struct herder *h, const char *key, const struct buf *val, int64_t *off,
                                   enum herder_outcome *what, struct err *e)
{
    enum status st = herder__produce_sync(h, key, val ? val->p : NULL, val ? val->len : 0, off, e);
    if (st == ST_OK)
        st = herder__wait_applied(h, *off, e);
    if (st == ST_OK && what) {
        pthread_mutex_lock(&h->mu);
        *what = herder__outcome(h, *off);
        pthread_mutex_unlock(&h->mu);
    }
    return st;
}

static enum status write_config(struct herder *h, const char *key, const struct buf *val, struct err *e)
{
    int64_t off = -1;
    return write_config_at(h, key, val, &off, NULL, e);
}

static enum status write_target(struct herder *h, const char *name, enum rest_target_state t, struct err *e)
{
    char key[600];
    struct buf b = BUF_INIT;
    enum status st;

    snprintf(key, sizeof(key), "target-state-%s", name);
    st = buf_printf(&b, "{\"state\":\"%s\"}", target_name(t));
    if (st == ST_OK)
        st = write_config(h, key, &b, e);
    buf_free(&b);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Creating a connector. Kafka Connect applies writes one at a time on its leader; here any
 * worker writes, so two requests creating one name at once both see it absent. The config
 * topic's order decides instead: a create first writes a claim, "aerosink-create-<n>"
 * {"worker_id","time","ttl_ms"}; every worker applies the records in the same order, and a
 * claim is granted only when the connector does not exist and no earlier granted claim is
 * pending (see herder__claim_granted). Only the writer of the granted claim then writes the
 * target state and the config, plain absolute records as before (so a compacted topic and
 * older workers read them as they always did); the other create answers 409. A claim whose
 * writer died is pending until its ttl has passed by a later claim's clock.
 * ------------------------------------------------------------------------------------ */

#define CLAIM_TTL_FACTOR 4   /* a claim lives 4 request timeouts; its writer gives up after 2 */

struct claim {
    int64_t off;
    uint64_t time, ttl;
};

/* Claim @name (see above). ST_OK and *@held: the create is ours; ST_OK without: (@may_update
 * only) another request created it meanwhile: update it instead; ST_EXISTS: another create
 * came first. Called without h->mu. */
static enum status claim_name(struct herder *h, const char *name, bool may_update, struct claim *cl, bool *held,
                              struct err *e)
{
    char key[600];
    uint64_t deadline = clock_mono_ms() + h->o.request_timeout_ms;
    enum status st = ST_OK;

    *held = false;
    snprintf(key, sizeof(key), "aerosink-create-%s", name);
    while (st == ST_OK) {
        struct buf b = BUF_INIT;
        enum herder_outcome what = HOUT_NONE;
        bool present = false;

        cl->time = clock_wall_ms();
        cl->ttl = (uint64_t)CLAIM_TTL_FACTOR * h->o.request_timeout_ms;
        st = buf_append_str(&b, "{\"worker_id\":");
        if (st == ST_OK)
            st = json_append_str(&b, h->id, strlen(h->id));
        if (st == ST_OK)
            st = buf_printf(&b, ",\"time\":%llu,\"ttl_ms\":%llu}", (unsigned long long)cl->time,
                            (unsigned long long)cl->ttl);
        if (st == ST_OK)
            st = write_config_at(h, key, &b, &cl->off, &what, e);
        else
            err_set(e, st, "connector %s: encoding its create claim", name);
        buf_free(&b);
        if (st != ST_OK)
            return st;
        if (what == HOUT_CLAIM_GRANTED) {
            *held = true;
            return ST_OK;
        }
        if (what != HOUT_CLAIM_REFUSED)
            return err_set(e, ST_BUSY, "connector %s: the outcome of its create claim %s@%lld is no longer known "
                           "(too many config changes at once); check whether it exists and retry", name,
                           h->config_topic, (long long)cl->off);
        if (!may_update)
            return err_set(e, ST_EXISTS, "Connector %s already exists", name);
        /* PUT: wait until the other create is done (then update) or abandoned (claim again) */
        pthread_mutex_lock(&h->mu);
        for (;;) {
            struct hconn *c = herder__conn(h, name, false);
            present = c && c->present;
            if (!c || present || c->claim_off < 0 || clock_wall_ms() >= c->claim_time + c->claim_ttl)
                break;
            if (clock_mono_ms() >= deadline) {
                st = err_set(e, ST_TIMEOUT, "connector %s: another request is creating it and did not finish "
                             "within %u ms", name, h->o.request_timeout_ms);
                break;
            }
            herder__wait(h, 100);
        }
        pthread_mutex_unlock(&h->mu);
        if (present)
            return ST_OK;
        if (st == ST_OK && clock_mono_ms() >= deadline)
            st = err_set(e, ST_TIMEOUT, "connector %s: could not claim its creation within %u ms", name,
                         h->o.request_timeout_ms);
    }
    return st;
}

/* Give a granted claim back (the create failed after it). */
static void release_claim(struct herder *h, const char *name, const struct claim *cl)
{
    char key[600];
    struct buf b = BUF_INIT;

    snprintf(key, sizeof(key), "aerosink-create-%s", name);
    if (buf_printf(&b, "{\"release\":%lld}", (long long)cl->off) == ST_OK)
        write_config(h, key, &b, NULL);
    buf_free(&b);
}

/* {"properties":{...}}: Kafka Connect's connector record. */
static enum status config_record(const struct rest_kvs *config, struct buf *b)
{
    enum status st = buf_append_str(b, "{\"properties\":{");
    for (size_t i = 0; i < config->n && st == ST_OK; i++) {
        if (!config->v[i].value)
            continue;
        if (b->p[b->len - 1] != '{')
            st = buf_append_str(b, ",");
        if (st == ST_OK)
            st = json_append_str(b, config->v[i].key, strlen(config->v[i].key));
        if (st == ST_OK)
            st = buf_append_str(b, ":");
        if (st == ST_OK)
            st = json_append_str(b, config->v[i].value, strlen(config->v[i].value));
    }
    return st == ST_OK ? buf_append_str(b, "}}") : st;
}

/* The create we hold the claim for: target state first (the task starts in it), then the
 * config, before the claim could expire. */
static enum status create_claimed(struct herder *h, const char *name, const struct buf *record,
                                  enum rest_target_state initial, const struct claim *cl, struct err *e)
{
    char key[600];
    enum status st = write_target(h, name, initial == REST_TARGET_DEFAULT ? REST_TARGET_RUNNING : initial, e);

    if (st == ST_OK && clock_wall_ms() >= cl->time + cl->ttl / 2)
        st = err_set(e, ST_TIMEOUT, "connector %s: creating it took too long (its claim %s@%lld expires); retry",
                     name, h->config_topic, (long long)cl->off);
    snprintf(key, sizeof(key), "connector-%s", name);
    if (st == ST_OK)
        st = write_config(h, key, record, e);
    if (st != ST_OK)
        release_claim(h, name, cl);
    return st;
}

enum status herder_put_config(struct herder *h, const char *name, const struct rest_kvs *config,
                              enum rest_target_state initial, bool must_be_new, bool must_exist,
                              bool *created, struct err *e)
{
    char key[600];
    struct buf b = BUF_INIT;
    struct claim cl = {-1, 0, 0};
    enum herder_outcome what = HOUT_NONE;
    int64_t off = -1;
    enum status st;
    bool exists, held = false;

    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    st = wait_ready(h, e);
    struct hconn *c = herder__conn(h, name, false);
    exists = c && c->present;
    pthread_mutex_unlock(&h->mu);
    if (st != ST_OK)
        return st;
    if (must_be_new && exists)
        return err_set(e, ST_EXISTS, "Connector %s already exists", name);
    if (must_exist && !exists)
        return err_set(e, ST_NOT_FOUND, "Connector %s not found", name);
    if ((st = config_record(config, &b)) != ST_OK) {
        buf_free(&b);
        return err_set(e, st, "connector %s: encoding its config", name);
    }
    if (!exists)
        st = claim_name(h, name, !must_be_new, &cl, &held, e);
    snprintf(key, sizeof(key), "connector-%s", name);
    if (st == ST_OK && held)
        st = create_claimed(h, name, &b, initial, &cl, e);
    else if (st == ST_OK)   /* an update; it creates the connector again if a delete came first */
        st = write_config_at(h, key, &b, &off, &what, e);
    buf_free(&b);
    if (st != ST_OK)
        return st;
    if (created)
        *created = held || what == HOUT_CREATED;
    log_info(&h->log, "connector %s: configuration %s", name, held || what == HOUT_CREATED ? "created" : "updated");
    return ST_OK;
}

enum status herder_delete(struct herder *h, const char *name, struct err *e)
{
    char key[600];
    enum status st;

    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    st = wait_ready(h, e);
    struct hconn *c = st == ST_OK ? live_conn(h, name, e) : NULL;
    pthread_mutex_unlock(&h->mu);
    if (st != ST_OK)
        return st;
    if (!c)
        return ST_NOT_FOUND;
    snprintf(key, sizeof(key), "connector-%s", name);
    if ((st = write_config(h, key, NULL, e)) != ST_OK)
        return st;
    snprintf(key, sizeof(key), "target-state-%s", name);
    write_config(h, key, NULL, NULL);
    if (h->track_topics)   /* as in Connect, deleting a connector resets its topics */
        forget_topics(h, name, NULL);
    log_info(&h->log, "connector %s: deleted", name);
    return ST_OK;
}

enum status herder_set_target(struct herder *h, const char *name, enum rest_target_state t, struct err *e)
{
    enum status st;

    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    st = wait_ready(h, e);
    struct hconn *c = st == ST_OK ? live_conn(h, name, e) : NULL;
    pthread_mutex_unlock(&h->mu);
    if (st != ST_OK)
        return st;
    if (!c)
        return ST_NOT_FOUND;
    st = write_target(h, name, t, e);
    if (st == ST_OK)
        log_info(&h->log, "connector %s: target state %s", name, target_name(t));
    return st;
}

enum status herder_restart(struct herder *h, const char *name, bool include_tasks, bool only_failed,
                           struct rest_status *out, struct err *e)
{
    char key[600];
    struct buf b = BUF_INIT;
    enum status st;

    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    st = wait_ready(h, e);
    struct hconn *c = st == ST_OK ? live_conn(h, name, e) : NULL;
    if (c && (include_tasks || only_failed)) {
        st = fill_status(h, c, out);
        for (size_t i = 0; i < out->n_tasks && st == ST_OK; i++)
            if (include_tasks && (!only_failed || out->tasks[i].state == REST_FAILED))
                out->tasks[i].state = REST_RESTARTING;
        if (!only_failed || out->state == REST_FAILED)
            out->state = REST_RESTARTING;
    }
    pthread_mutex_unlock(&h->mu);
    if (st != ST_OK)
        return st;
    if (!c)
        return ST_NOT_FOUND;
    snprintf(key, sizeof(key), "restart-connector-%s", name);
    st = buf_printf(&b, "{\"include_tasks\":%s,\"only_failed\":%s}", include_tasks ? "true" : "false",
                    only_failed ? "true" : "false");
    if (st == ST_OK)
        st = write_config(h, key, &b, e);
    buf_free(&b);
    return st;
}

enum status herder_restart_task(struct herder *h, const char *name, int32_t task, struct err *e)
{
    char key[600];
    struct buf b = BUF_INIT;
    enum status st;

    herder__sync(h);
    pthread_mutex_lock(&h->mu);
    st = wait_ready(h, e);
    struct hconn *c = st == ST_OK ? live_conn(h, name, e) : NULL;
    bool known = c && task >= 0 && task < visible_tasks(c);
    pthread_mutex_unlock(&h->mu);
    if (st != ST_OK)
        return st;
    if (!c)
        return ST_NOT_FOUND;
    if (!known)
        return err_set(e, ST_NOT_FOUND, "Task %s-%d not found", name, (int)task);
    snprintf(key, sizeof(key), "restart-task-%s-%d", name, (int)task);
    st = buf_append_str(&b, "{}");
    if (st == ST_OK)
        st = write_config(h, key, &b, e);
    buf_free(&b);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Metrics
 * ------------------------------------------------------------------------------------ */

static void label(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_put_u8(out, '\\');
        if (*s == '\n')
            buf_append_str(out, "\\n");
        else
            buf_put_u8(out, (uint8_t)*s);
    }
}

enum status herder_metrics(struct herder *h, struct buf *out, struct err *e)
{
    enum status st = ST_OK;
    (void)e;
    pthread_mutex_lock(&h->mu);
    buf_append_str(out, "# HELP aerosink_worker_ready 1 once the config topic has been read.\n"
                        "# TYPE aerosink_worker_ready gauge\n");
    buf_printf(out, "aerosink_worker_ready %d\n", h->ready ? 1 : 0);
    buf_append_str(out, "# HELP aerosink_task_config_generation Config topic offset of the configuration "
                        "this worker's task runs.\n# TYPE aerosink_task_config_generation gauge\n");
    /* the running slots stay locked while their counters are rendered */
    struct slot **locked = mem_calloc(h->n_conns + 1, sizeof(*locked));
    struct app_metrics_source *src = mem_calloc(h->n_conns + 1, sizeof(*src));
    size_t n = 0;
    for (size_t i = 0; i < h->n_conns; i++) {
        struct hconn *c = h->conns[i];
        struct slot *sl = c->slot;
        if (!sl)
            continue;
        pthread_mutex_lock(&sl->mu);
        enum rest_state state = sl->state == REST_RUNNING && sl->want_paused ? REST_PAUSED : sl->state;
        buf_append_str(out, "aerosink_task_config_generation{connector=\"");
        label(out, c->name);
        buf_printf(out, "\",task=\"%d\",state=\"%s\"} %lld\n", (int)sl->task, rest_state_name(state),
                   (long long)sl->gen);
        if (sl->ac && locked && src) {
            src[n] = (struct app_metrics_source){c->name, (int)sl->task, app_connector_worker(sl->ac),
                                                 app_connector_cluster(sl->ac),
                                                 sl->map ? (uint32_t)sl->map->max_queued_records : 0};
            locked[n++] = sl;
        } else {
            pthread_mutex_unlock(&sl->mu);
        }
    }
    if (!locked || !src)
        st = ST_NOMEM;
    else
        st = app_metrics_render(src, n, out);
    for (size_t i = 0; i < n; i++)
        pthread_mutex_unlock(&locked[i]->mu);
    mem_free(locked);
    mem_free(src);
    pthread_mutex_unlock(&h->mu);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Small accessors
 * ------------------------------------------------------------------------------------ */

bool herder_ready(struct herder *h)
{
    pthread_mutex_lock(&h->mu);
    bool r = h->ready;
    pthread_mutex_unlock(&h->mu);
    return r;
}

const char *herder_worker_id(const struct herder *h)
{
    return h->id;
}

void herder__free_tables(struct herder *h)
{
    for (size_t i = 0; i < h->n_conns; i++) {
        slot_free(h->conns[i]->slot);
        conn_free(h->conns[i]);
    }
    mem_free(h->conns);
    for (size_t i = 0; i < h->n_stats; i++) {
        herder__stat_clear(&h->stats[i]);
        mem_free(h->stats[i].key);
    }
    mem_free(h->stats);
    for (size_t i = 0; i < h->n_workers; i++) {
        mem_free(h->workers[i].id);
        mem_free(h->workers[i].url);
    }
    mem_free(h->workers);
    for (size_t i = 0; i < h->n_topics; i++) {
        mem_free(h->topics[i].connector);
        mem_free(h->topics[i].topic);
    }
    mem_free(h->topics);
    mem_free(h->last_live);
}
