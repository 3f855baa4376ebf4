/* src/worker/worker.c: the record pipeline of one connector task.
 *
 * Consumer thread (worker_run): fetch batches, route each record to the processing thread
 * that owns its partition, pause/resume on max-queued-records, commit the per-partition
 * watermarks every offset.flush.interval.ms, handle rebalances, drain on stop.
 *
 * Processing thread: for each record, in partition order: take a slot, decode, map, and
 * either finish it (skip / policy) or submit it; a record whose Aerospike key already has a
 * write in flight waits behind it. Completions (inside aero_client_poll) finish the record,
 * hand the key to the next waiter, and advance the partition watermark: the offset after the
 * longest prefix of finished records, published for the consumer thread to commit.
 *
 * Invariants: a partition's records are only ever touched by one processing thread; a
 * watermark never passes an unfinished record; a retriable failure never finishes a record. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <unistd.h>

#include "convert/convert.h"
#include "kafka/kafka.h"
#include "worker.h"

#define BATCH_MAX 2048
#define SLOT_CHUNK 512
#define ACTIVE_MAX 2048       /* started records per thread; the rest wait as raw messages */
#define RETRY_BASE_MS 100
#define REVOKE_WAIT_MS 30000
#define LOG_BURST 20          /* record-level lines per LOG_WINDOW_MS before summarising */
#define LOG_WINDOW_MS 10000
#define PAUSE_AFTER_MS 500    /* a full queue for this long pauses the partitions */

enum slot_state { SLOT_FREE, SLOT_NEW, SLOT_WAIT_KEY, SLOT_IN_FLIGHT, SLOT_RETRY_WAIT, SLOT_RETRY_START,
                  SLOT_DONE, SLOT_ABANDONED };

struct part;
struct thread;

struct slot {
    struct slot *fifo_next;    /* partition order (owned by the partition's thread) */
    struct slot *key_next;     /* waiters for the same key (holder keeps head and tail) */
    struct slot *key_tail;
    struct slot *retry_next;
    struct slot *ready_next;   /* settled synchronously, finished by the thread loop */
    struct slot *held_next;    /* waiting while its partition is held */
    struct slot *free_next;
    kafka_message *msg;
    struct part *part;
    struct thread *th;
    int64_t offset;
    uint64_t key_hash;
    uint64_t retry_at_ms;
    uint64_t submit_us;        /* when the current attempt was submitted */
    uint32_t failures;         /* consecutive retriable failures */
    uint8_t state;
    bool holds_key;
    bool is_delete;
    bool abandon;              /* on the ready list: give up instead of finishing */
    struct aero_cmd cmd;
};

struct part {
    struct part *hnext;        /* consumer thread's table */
    struct part *znext;        /* zombie list */
    rd_kafka_topic_t *rkt;
    char *topic;
    int32_t partition;
    const struct worker_topic *tcfg;
    int thread;
    _Atomic int64_t next_commit;   /* watermark published by the processing thread; -1 none */
    _Atomic uint64_t finished;     /* records finished (processing thread) */
    _Atomic bool revoked;
    uint64_t dispatched;           /* records handed to the thread (consumer thread) */
    int64_t committed;             /* last committed offset (consumer thread) */
    int64_t next_fetch;            /* offset after the last dispatched record */
    _Atomic int64_t position;      /* = next_fetch, for other threads (metrics) */
    _Atomic int64_t committed_a;   /* = committed, for other threads */
    _Atomic uint64_t dispatched_a; /* = dispatched, for other threads */
    /* processing thread only */
    struct slot *fifo_head, *fifo_tail;
    int64_t last_finished;         /* offset of the last popped record */
    bool held;                     /* a record could not be started (e.g. schema registry down): */
    struct slot *held_head, *held_tail;   /* later records wait here, in order */
};

struct key_ent {
    uint64_t hash;
    struct slot *s;
};

struct inbox_item {
    kafka_message *msg;
    struct part *part;
};

enum ctr {
    CTR_CONSUMED, CTR_WRITTEN, CTR_DELETED, CTR_SKIPPED_TOMBSTONE, CTR_SKIPPED_INVALID, CTR_SKIPPED_OTHER,
    CTR_WRITE_FAILURES, CTR_DEAD_LETTERED, CTR_RETRIES, CTR__COUNT
};

/* Record counters of one thread for one topic; written by that thread only. */
struct counters {
    _Atomic uint64_t v[CTR__COUNT];
};

#define LAT_BUCKETS 15   /* upper bounds in worker.h (WORKER_LATENCY_BOUNDS_US) + +Inf */

struct thread {
    struct worker *w;
    int idx;
    pthread_t tid;
    bool started;
    struct aero_client *cl;
    int evfd;                      /* dry run: wake-up fd (no client) */
    struct conv_converter *kconv, *vconv;
    struct conv_doc *kdoc, *vdoc;
    pthread_mutex_t mu;
    struct inbox_item *inbox, *work;
    size_t inbox_n, inbox_cap, work_cap;
    size_t work_n, work_pos;       /* taken from the inbox, not yet started */
    size_t active;                 /* slots in use (started, not yet popped) */
    _Atomic bool quit;
    struct slot *free_slots;
    struct slot **chunks;
    size_t n_chunks;
    struct key_ent *keytab;        /* in-flight keys: the slot holding each */
    size_t keycap;
    struct slot *retry_head;
    struct slot *ready_head, *ready_tail;
    struct mapping_header *hdrs;
    size_t hdr_cap;
    struct counters *tc;           /* per topic (index into the worker's topic configs) */
    _Atomic uint64_t finished;     /* records settled or discarded (queue accounting) */
    _Atomic uint64_t lat[LAT_BUCKETS];   /* write latency histogram (submit -> ack) */
    _Atomic uint64_t lat_sum_us, lat_count;
    _Atomic uint64_t last_done_ms;   /* when this thread last settled a record */
    uint64_t log_window_start;
    uint32_t log_in_window, log_suppressed;
};

struct worker {
    struct worker_config cfg;
    char *name, *group_id;
    void **owned;                  /* copies of config strings and arrays */
    size_t n_owned;
    struct worker_topic *tcfgs;
    struct log_ctx log;
    struct kafka_consumer *kc;
    struct kafka_producer *dlq;
    pthread_mutex_t dlq_mu;
    struct thread *th;
    int nth;
    struct part **ptab;
    size_t pcap, pcount;
    struct part **parr;            /* scratch list of every partition (commit_all) */
    size_t parr_cap;
    struct part *zombies;
    int next_thread;
    uint64_t dispatched_total;
    bool paused;
    uint64_t full_since;           /* queue at max-queued-records since (0 = not full) */
    uint64_t first_record_ms;      /* when the first record was taken */
    bool user_paused;              /* paused by worker_set_paused (REST pause) */
    _Atomic bool target_paused;
    uint64_t pauses;
    bool stopping;
    _Atomic int failed;
    pthread_mutex_t fail_mu;
    char failure[1024];
    uint64_t last_commit_ms, last_progress_ms;
    uint64_t prog_in, prog_out;
    _Atomic uint64_t committed_records;
    _Atomic uint64_t lag_cache;
    _Atomic int nparts;
    pthread_mutex_t pmu;           /* guards ptab changes against readers on other threads */
    _Atomic uint64_t rebalances;
    _Atomic bool paused_flag;
    _Atomic bool in_outage;        /* retriable failures are being retried */
    _Atomic uint64_t outage_since, outage_logged, last_failure_ms, failures_since_log;
};

/* ------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------ */

static void *own(struct worker *w, void *p)
{
    void **n;
    if (!p)
        return NULL;
    n = mem_realloc(w->owned, (w->n_owned + 1) * sizeof(*n));
    if (!n) {
        mem_free(p);
        return NULL;
    }
    w->owned = n;
    w->owned[w->n_owned++] = p;
    return p;
}

static const char *copy_str(struct worker *w, const char *s)
{
    return s ? own(w, mem_strdup(s)) : NULL;
}

/* Copy a NULL-terminated array of strings. */
static const char *const *copy_kv(struct worker *w, const char *const *kv)
{
    size_t n = 0;
    const char **out;
    if (!kv)
        return NULL;
    while (kv[n])
        n++;
    out = own(w, mem_calloc(n + 1, sizeof(char *)));
    for (size_t i = 0; out && i < n; i++)
        out[i] = copy_str(w, kv[i]);
    return out;
}

static void fail_task(struct worker *w, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void fail_task(struct worker *w, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&w->fail_mu);
    if (!atomic_load(&w->failed)) {
        va_start(ap, fmt);
        vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
        va_end(ap);
        atomic_store(&w->failed, 1);
    }
    pthread_mutex_unlock(&w->fail_mu);
}

static uint64_t hash_key(const char *ns, const uint8_t digest[AERO_DIGEST_SZ])
{
    uint64_t h;
    memcpy(&h, digest + 4, 8);      /* digests are uniformly random */
    for (const char *p = ns; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    return h ? h : 1;
}

static const char *tp_name(const struct slot *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s[%d]@%lld", s->part->topic, (int)s->part->partition, (long long)s->offset);
    return buf;
}

/* Record-level log lines, at most LOG_BURST per window per thread. */
static bool log_allowed(struct thread *t)
{
    uint64_t now = clock_mono_ms();
    if (now - t->log_window_start >= LOG_WINDOW_MS) {
        if (t->log_suppressed)
            log_warn(&t->w->log, "%u more record-level messages suppressed in the last %ds",
                     t->log_suppressed, LOG_WINDOW_MS / 1000);
        t->log_window_start = now;
        t->log_in_window = 0;
        t->log_suppressed = 0;
    }
    if (t->log_in_window++ < LOG_BURST)
        return true;
    t->log_suppressed++;
    return false;
}

/* ------------------------------------------------------------------------------------
 * Processing thread: slots, keys, watermarks
 * ------------------------------------------------------------------------------------ */

static void count(struct thread *t, const struct part *p, enum ctr which)
{
    atomic_fetch_add_explicit(&t->tc[p->tcfg - t->w->tcfgs].v[which], 1, memory_order_relaxed);
}

static struct slot *slot_get(struct thread *t)
{
    struct slot *s = t->free_slots;
    if (!s) {
        struct slot **nc = mem_realloc(t->chunks, (t->n_chunks + 1) * sizeof(*nc));
        struct slot *chunk = mem_calloc(SLOT_CHUNK, sizeof(*chunk));
        if (!nc || !chunk) {
            mem_free(chunk);
            if (nc)
                t->chunks = nc;
            return NULL;
        }
        t->chunks = nc;
        t->chunks[t->n_chunks++] = chunk;
        for (size_t i = 0; i < SLOT_CHUNK; i++) {
            chunk[i].free_next = t->free_slots;
            chunk[i].th = t;
            t->free_slots = &chunk[i];
        }
        s = t->free_slots;
    }
    t->free_slots = s->free_next;
    t->active++;
    s->fifo_next = s->key_next = s->key_tail = s->retry_next = s->ready_next = s->held_next = s->free_next = NULL;
    s->msg = NULL;
    s->part = NULL;
    s->failures = 0;
    s->holds_key = false;
    s->is_delete = false;
    s->abandon = false;
    s->state = SLOT_NEW;
    return s;
}

/* In-flight keys: open addressing with linear probing; entries keep the hash so probes do
 * not touch the (cold) slots. Sized for ACTIVE_MAX keys at a load factor <= 1/4. */
static size_t key_probe(const struct thread *t, uint64_t h)
{
    return (size_t)(h & (t->keycap - 1));
}

static struct slot *key_find(struct thread *t, const struct slot *s)
{
    for (size_t i = key_probe(t, s->key_hash);; i = (i + 1) & (t->keycap - 1)) {
        struct key_ent *k = &t->keytab[i];
        if (!k->s)
            return NULL;
        if (k->hash == s->key_hash && memcmp(k->s->cmd.digest, s->cmd.digest, AERO_DIGEST_SZ) == 0 &&
            strcmp(k->s->cmd.ns, s->cmd.ns) == 0)
            return k->s;
    }
}

static void key_insert(struct thread *t, struct slot *s)
{
    size_t i = key_probe(t, s->key_hash);
    while (t->keytab[i].s)
        i = (i + 1) & (t->keycap - 1);
    t->keytab[i] = (struct key_ent){s->key_hash, s};
    s->holds_key = true;
}

static size_t key_index(const struct thread *t, const struct slot *s)
{
    size_t i = key_probe(t, s->key_hash);
    while (t->keytab[i].s != s)
        i = (i + 1) & (t->keycap - 1);
    return i;
}

/* Replace holder @old by @nu in place (same key, same position). */
static void key_replace(struct thread *t, struct slot *old, struct slot *nu)
{
    t->keytab[key_index(t, old)].s = nu;
    old->holds_key = false;
    nu->holds_key = true;
}

static void key_remove(struct thread *t, struct slot *s)
{
    size_t mask = t->keycap - 1, i = key_index(t, s), j = i;

    /* backward-shift deletion keeps every probe chain unbroken */
    for (;;) {
        j = (j + 1) & mask;
        if (!t->keytab[j].s)
            break;
        size_t home = key_probe(t, t->keytab[j].hash);
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->keytab[i] = t->keytab[j];
            i = j;
        }
    }
    t->keytab[i] = (struct key_ent){0, NULL};
    s->holds_key = false;
}

/* Pop finished records off the partition's head and publish the new watermark. */
static void advance_watermark(struct thread *t, struct part *p)
{
    bool moved = false;
    while (p->fifo_head && p->fifo_head->state == SLOT_DONE) {
        struct slot *s = p->fifo_head;
        p->fifo_head = s->fifo_next;
        if (!p->fifo_head)
            p->fifo_tail = NULL;
        p->last_finished = s->offset;
        moved = true;
        kafka_message_free(s->msg);
        s->msg = NULL;
        s->state = SLOT_FREE;
        s->free_next = t->free_slots;
        t->free_slots = s;
        t->active--;
    }
    if (moved)
        atomic_store_explicit(&p->next_commit, p->last_finished + 1, memory_order_release);
}

static void submit(struct slot *s);

/* Hand @s's key to the next waiter (which is then submitted) or drop it. */
static void release_key(struct thread *t, struct slot *s)
{
    struct slot *next;

    if (!s->holds_key)
        return;
    next = s->key_next;
    if (!next) {
        key_remove(t, s);
        return;
    }
    next->key_tail = s->key_tail == next ? NULL : s->key_tail;
    key_replace(t, s, next);
    submit(next);
}

static void count_finished(struct thread *t, struct part *p)
{
    atomic_fetch_add_explicit(&p->finished, 1, memory_order_release);
    atomic_fetch_add_explicit(&t->finished, 1, memory_order_relaxed);
}

/* The record is settled (written, skipped, dead-lettered, ignored). */
static void finish(struct slot *s)
{
    struct thread *t = s->th;

    release_key(t, s);
    s->state = SLOT_DONE;
    count_finished(t, s->part);
    advance_watermark(t, s->part);
}

/* The task failed: this record is no longer queued, but it is never done, so the watermark
 * (and every commit) stays before it. */
static void abandon(struct slot *s)
{
    release_key(s->th, s);
    s->state = SLOT_ABANDONED;
    count_finished(s->th, s->part);
}

/* Settle later, from the thread loop: keeps key hand-over chains iterative. */
static void settle_later(struct slot *s, bool give_up)
{
    struct thread *t = s->th;
    s->abandon = give_up;
    s->ready_next = NULL;
    if (t->ready_tail)
        t->ready_tail->ready_next = s;
    else
        t->ready_head = s;
    t->ready_tail = s;
}

static void run_ready(struct thread *t)
{
    while (t->ready_head) {
        struct slot *s = t->ready_head;
        t->ready_head = s->ready_next;
        if (!t->ready_head)
            t->ready_tail = NULL;
        if (s->abandon)
            abandon(s);
        else
            finish(s);
    }
}

/* ------------------------------------------------------------------------------------
 * Policies: invalid records, write failures, dead-letter queue
 * ------------------------------------------------------------------------------------ */

static const char *stage_name(int stage)
{
    return stage == 0 ? "KEY_CONVERTER" : stage == 1 ? "VALUE_CONVERTER" : "TASK_PUT";
}

static enum status dead_letter(struct thread *t, struct slot *s, int stage, const char *exc, const char *why)
{
    struct worker *w = t->w;
    kafka_message *m = s->msg;
    struct kafka_header h[64];
    size_t nh = 0;
    char part_s[16], off_s[24], task_s[8];
    struct err e = {0};
    enum status st;
    rd_kafka_headers_t *orig = NULL;

    if (!w->dlq || !m) {
        log_error(&w->log, "dead-letter %s[%d]@%lld: %s", s->part->topic, (int)s->part->partition,
                  (long long)s->offset, !m ? "the original record was already released" : "no dead-letter topic");
        return ST_CONFIG;
    }
    /* the original headers first, then Connect's context headers */
    if (rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *val;
        size_t len;
        for (size_t i = 0; nh < 50 && rd_kafka_header_get_all(orig, i, &name, &val, &len) == 0; i++)
            h[nh++] = (struct kafka_header){name, val, len};
    }
    if (w->cfg.dlq_context_headers) {
        snprintf(part_s, sizeof(part_s), "%d", (int)s->part->partition);
        snprintf(off_s, sizeof(off_s), "%lld", (long long)s->offset);
        snprintf(task_s, sizeof(task_s), "%d", 0);
        h[nh++] = (struct kafka_header){"__connect.errors.topic", s->part->topic, strlen(s->part->topic)};
        h[nh++] = (struct kafka_header){"__connect.errors.partition", part_s, strlen(part_s)};
        h[nh++] = (struct kafka_header){"__connect.errors.offset", off_s, strlen(off_s)};
        h[nh++] = (struct kafka_header){"__connect.errors.connector.name", w->name, strlen(w->name)};
        h[nh++] = (struct kafka_header){"__connect.errors.task.id", task_s, strlen(task_s)};
        h[nh++] = (struct kafka_header){"__connect.errors.stage", stage_name(stage), strlen(stage_name(stage))};
        h[nh++] = (struct kafka_header){"__connect.errors.class.name", "com.aerospike.connect.kafka.inbound.AerospikeSinkTask",
                                        strlen("com.aerospike.connect.kafka.inbound.AerospikeSinkTask")};
        h[nh++] = (struct kafka_header){"__connect.errors.exception.class.name", exc, strlen(exc)};
        h[nh++] = (struct kafka_header){"__connect.errors.exception.message", why, strlen(why)};
        h[nh++] = (struct kafka_header){"__connect.errors.exception.stacktrace", why, strlen(why)};
    }
    pthread_mutex_lock(&w->dlq_mu);
    st = kafka_produce_sync(w->dlq, w->cfg.dlq_topic, RD_KAFKA_PARTITION_UA, m->key, m->key_len, m->payload,
                            m->len, h, nh, 30000, &e);
    pthread_mutex_unlock(&w->dlq_mu);
    if (st != ST_OK)
        log_error(&w->log, "dead-letter produce of %s[%d]@%lld to %s failed: %s", s->part->topic,
                  (int)s->part->partition, (long long)s->offset, w->cfg.dlq_topic, e.msg);
    return st;
}

/* Apply @policy to a record that cannot be written. stage: 0 key conv, 1 value conv, 2 put. */
static void bad_record(struct thread *t, struct slot *s, enum worker_policy policy, int stage,
                       const char *exc, const char *why, const char *policy_name)
{
    struct worker *w = t->w;
    char where[320];

    tp_name(s, where, sizeof(where));
    switch (policy) {
    case WORKER_IGNORE:
        if (log_allowed(t))
            log_warn(&w->log, "skipped %s: %s (%s)", where, why, policy_name);
        count(t, s->part, CTR_SKIPPED_INVALID);
        finish(s);
        return;
    case WORKER_DEAD_LETTER:
        if (dead_letter(t, s, stage, exc, why) == ST_OK) {
            if (log_allowed(t))
                log_warn(&w->log, "dead-lettered %s to %s: %s", where, w->cfg.dlq_topic, why);
            count(t, s->part, CTR_DEAD_LETTERED);
            finish(s);
            return;
        }
        fail_task(w, "%s: %s; and the dead-letter queue is unavailable", where, why);
        abandon(s);
        return;
    case WORKER_KILL_TASK:
        log_error(&w->log, "task failed at %s: %s (%s)", where, why, policy_name);
        fail_task(w, "%s: %s (%s)", where, why, policy_name);
        abandon(s);   /* never done: the watermark stays before it */
        return;
    }
}

/* Connect's errors.tolerance governs the converter stages; the skip/DLQ line says why. */
static void conversion_failed(struct thread *t, struct slot *s, int stage, const struct err *e)
{
    struct worker *w = t->w;
    enum worker_policy pol;
    char why[ERR_MSG_LEN + 200];

    if (!w->cfg.errors_tolerance_all)
        pol = WORKER_KILL_TASK;
    else if (w->cfg.dlq_topic && *w->cfg.dlq_topic)
        pol = WORKER_DEAD_LETTER;
    else
        pol = WORKER_IGNORE;
    snprintf(why, sizeof(why), "%s: %s", stage_name(stage), e->msg);
    if (w->cfg.errors_log_include_messages && s->msg) {
        size_t n = strlen(why);
        snprintf(why + n, sizeof(why) - n, " (key '%.*s', value '%.*s')", (int)MIN(s->msg->key_len, 40),
                 s->msg->key ? (const char *)s->msg->key : "", (int)MIN(s->msg->len, 80),
                 s->msg->payload ? (const char *)s->msg->payload : "");
    }
    bad_record(t, s, pol, stage, "org.apache.kafka.connect.errors.DataException", why,
               pol == WORKER_KILL_TASK ? "errors.tolerance=none" : "errors.tolerance=all");
}

/* ------------------------------------------------------------------------------------
 * Processing thread: Aerospike completions and retries
 * ------------------------------------------------------------------------------------ */

static bool ignorable(const struct worker_topic *tc, int rc)
{
    for (size_t i = 0; i < tc->n_ignore_codes; i++)
        if (tc->ignore_codes[i] == rc)
            return true;
    return false;
}

static void schedule_retry(struct thread *t, struct slot *s, const char *what, const struct err *e)
{
    struct worker *w = t->w;
    uint64_t now = clock_mono_ms();
    uint64_t delay = RETRY_BASE_MS << MIN(s->failures, 10u);
    uint64_t cap = w->cfg.retry_backoff_max_ms ? w->cfg.retry_backoff_max_ms : 5000;

    if (delay > cap)
        delay = cap;
    s->failures++;
    s->retry_at_ms = now + delay;
    s->state = SLOT_RETRY_WAIT;
    s->retry_next = t->retry_head;
    t->retry_head = s;
    count(t, s->part, CTR_RETRIES);
    atomic_store_explicit(&w->last_failure_ms, now, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->failures_since_log, 1, memory_order_relaxed);
    /* One line (for the whole task, all threads) when failures start, then at most one
     * summary per window: never one per record. */
    bool was = false;
    if (atomic_compare_exchange_strong(&w->in_outage, &was, true)) {
        atomic_store(&w->outage_since, now);
        atomic_store(&w->outage_logged, now);
        atomic_store(&w->failures_since_log, 0);
        log_warn(&w->log, "%s failing (%s); holding offsets and retrying with back-off", what,
                 e ? e->msg : "unknown");
        return;
    }
    uint64_t logged = atomic_load(&w->outage_logged);
    if (now - logged >= LOG_WINDOW_MS && atomic_compare_exchange_strong(&w->outage_logged, &logged, now))
        log_warn(&w->log, "%s still failing: %llu retries in the last %llus (last: %s)", what,
                 (unsigned long long)atomic_exchange(&w->failures_since_log, 0),
                 (unsigned long long)((now - logged) / 1000), e ? e->msg : "unknown");
}

/* Called on every success: an outage ends after a quiet period without failures. */
static void outage_check_over(struct thread *t)
{
    struct worker *w = t->w;
    uint64_t now, last;
    bool was = true;

    if (!atomic_load_explicit(&w->in_outage, memory_order_relaxed))
        return;
    now = clock_mono_ms();
    last = atomic_load(&w->last_failure_ms);
    if (now - last < 5000 || !atomic_compare_exchange_strong(&w->in_outage, &was, false))
        return;
    log_info(&w->log, "recovered from retriable failures (they lasted %llus)",
             (unsigned long long)((last - atomic_load(&w->outage_since)) / 1000));
}

static const uint64_t lat_bounds_us[LAT_BUCKETS - 1] = {WORKER_LATENCY_BOUNDS_US};
_Static_assert(LAT_BUCKETS == WORKER_LATENCY_BUCKETS, "latency buckets");
_Static_assert(ARRAY_LEN(lat_bounds_us) == WORKER_LATENCY_BUCKETS - 1, "latency bounds");

static void record_latency(struct thread *t, uint64_t us)
{
    size_t b = 0;
    while (b < LAT_BUCKETS - 1 && us > lat_bounds_us[b])
        b++;
    atomic_fetch_add_explicit(&t->lat[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->lat_sum_us, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->lat_count, 1, memory_order_relaxed);
}

static void on_reply(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    struct slot *s = cmd->ctx;
    struct thread *t = s->th;
    struct worker *w = t->w;
    const struct worker_topic *tc = s->part->tcfg;
    int rc = cmd->result_code;
    enum status_class cls;
    char why[600];

    if (st == ST_OK || (rc != 0 && ignorable(tc, rc)) || (s->is_delete && rc == AERO_RC_ERR_NOT_FOUND)) {
        outage_check_over(t);
        record_latency(t, clock_mono_us() - s->submit_us);
        if (st == ST_OK)
            count(t, s->part, s->is_delete ? CTR_DELETED : CTR_WRITTEN);
        else
            count(t, s->part, CTR_SKIPPED_OTHER);
        finish(s);
        return;
    }
    if (st == ST_CANCELLED) {
        s->state = SLOT_NEW;   /* client going away: the record stays unfinished */
        return;
    }
    cls = rc ? aero_rc_class(rc) : status_class(st);
    if (rc == AERO_RC_ERR_NAMESPACE && tc->namespace_is_dynamic)
        cls = CLASS_RECORD;
    if (cls == CLASS_RETRIABLE || cls == CLASS_AGAIN) {
        schedule_retry(t, s, "Aerospike writes", e);
        return;
    }
    snprintf(why, sizeof(why), "Aerospike %s %s/%s: %s", s->is_delete ? "delete" : "write", cmd->ns,
             aero_rc_name(rc) ? aero_rc_name(rc) : status_name(st), e ? e->msg : "");
    if (cls == CLASS_RECORD) {
        count(t, s->part, CTR_WRITE_FAILURES);
        bad_record(t, s, tc->on_write_failure, 2, "org.apache.kafka.connect.errors.ConnectException", why,
                   tc->on_write_failure == WORKER_IGNORE ? "on-write-failure: ignore"
                   : tc->on_write_failure == WORKER_DEAD_LETTER ? "on-write-failure: dead-letter"
                                                                 : "on-write-failure: kill-task");
        return;
    }
    count(t, s->part, CTR_WRITE_FAILURES);
    {
        char where[320];
        tp_name(s, where, sizeof(where));
        log_error(&w->log, "task failed at %s: %s", where, why);
        fail_task(w, "%s: %s", where, why);
        abandon(s);
    }
}

static void submit(struct slot *s)
{
    struct thread *t = s->th;
    struct err e = {0};

    if (atomic_load_explicit(&t->w->failed, memory_order_relaxed)) {
        settle_later(s, true);
        return;
    }
    if (t->w->cfg.dry_run || !t->cl) {
        count(t, s->part, s->is_delete ? CTR_DELETED : CTR_WRITTEN);
        settle_later(s, false);
        return;
    }
    s->state = SLOT_IN_FLIGHT;
    s->submit_us = clock_mono_us();
    if (aero_submit(t->cl, &s->cmd, &e) != ST_OK)
        schedule_retry(t, s, "Aerospike writes", &e);
}

static void retry_start(struct slot *s);

static void run_due_retries(struct thread *t)
{
    uint64_t now = clock_mono_ms();
    struct slot **pp = &t->retry_head;
    while (*pp) {
        struct slot *s = *pp;
        if (s->retry_at_ms <= now) {
            *pp = s->retry_next;
            s->retry_next = NULL;
            if (s->state == SLOT_RETRY_START)
                retry_start(s);
            else
                submit(s);
        } else {
            pp = &s->retry_next;
        }
    }
}

static int next_retry_in(struct thread *t, int cap)
{
    uint64_t now = clock_mono_ms();
    int best = cap;
    for (struct slot *s = t->retry_head; s; s = s->retry_next) {
        int d = s->retry_at_ms <= now ? 0 : (int)MIN(s->retry_at_ms - now, (uint64_t)cap);
        best = MIN(best, d);
    }
    return best;
}

/* ------------------------------------------------------------------------------------
 * Processing thread: one record
 * ------------------------------------------------------------------------------------ */

static size_t collect_headers(struct thread *t, kafka_message *m)
{
    rd_kafka_headers_t *hs = NULL;
    const char *name;
    const void *val;
    size_t len, n = 0;

    if (rd_kafka_message_headers(m, &hs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    for (size_t i = 0; rd_kafka_header_get_all(hs, i, &name, &val, &len) == 0; i++) {
        if (n == t->hdr_cap) {
            size_t cap = t->hdr_cap ? t->hdr_cap * 2 : 16;
            struct mapping_header *nh = mem_realloc(t->hdrs, cap * sizeof(*nh));
            if (!nh)
                break;
            t->hdrs = nh;
            t->hdr_cap = cap;
        }
        t->hdrs[n++] = (struct mapping_header){name, val, len};
    }
    return n;
}

/* Decode, map and submit (or settle) one record that is already in its partition's FIFO.
 * Returns false when the record must be retried later (a retriable decode failure): the
 * caller then holds the partition so no later record overtakes it. */
static bool start(struct thread *t, struct slot *s)
{
    struct worker *w = t->w;
    struct part *p = s->part;
    const struct worker_topic *tc = p->tcfg;
    kafka_message *m = s->msg;
    struct err e = {0};
    struct mapping_input in;
    struct mapping_result res;
    enum status st;
    uint32_t ttl_ms;
    int stage = 0;

    st = conv_decode(t->kconv, m->key, m->key ? m->key_len : 0, t->kdoc, &e);
    if (st == ST_OK) {
        stage = 1;
        st = conv_decode(t->vconv, m->payload, m->payload ? m->len : 0, t->vdoc, &e);
    }
    if (st != ST_OK) {
        if (stage == 0)
            err_prefix(&e, "key");
        if (status_class(st) == CLASS_RETRIABLE) {
            /* e.g. the schema registry is unreachable: hold the offset, never drop */
            schedule_retry(t, s, "Record decoding", &e);
            s->state = SLOT_RETRY_START;
            return false;
        }
        if (status_class(st) == CLASS_FATAL) {
            fail_task(w, "%s[%d]@%lld: %s", p->topic, (int)p->partition, (long long)s->offset, e.msg);
            abandon(s);
            return true;
        }
        conversion_failed(t, s, stage, &e);
        return true;
    }

    ttl_ms = tc->socket_timeout_ms && tc->socket_timeout_ms < tc->total_timeout_ms ? tc->socket_timeout_ms
                                                                                     : tc->total_timeout_ms;
    in = (struct mapping_input){.key = t->kdoc, .value = t->vdoc, .headers = t->hdrs, .n_headers = 0,
                                .now_ms = clock_wall_ms(), .transaction_ttl_ms = ttl_ms};
    if (mapping_uses_headers(tc->mapping))
        in.n_headers = collect_headers(t, m);
    in.headers = t->hdrs;
    buf_reset(&s->cmd.req);
    st = mapping_encode(tc->mapping, &in, &s->cmd.req, &res, &e);
    if (st != ST_OK) {
        if (status_class(st) == CLASS_RECORD) {
            bad_record(t, s, tc->on_invalid, 2, "org.apache.kafka.connect.errors.DataException", e.msg,
                       tc->on_invalid == WORKER_IGNORE ? "invalid-record: ignore"
                       : tc->on_invalid == WORKER_DEAD_LETTER ? "invalid-record: dead-letter"
                                                               : "invalid-record: kill-task");
        } else {
            fail_task(w, "%s[%d]@%lld: %s", p->topic, (int)p->partition, (long long)s->offset, e.msg);
            abandon(s);
        }
        return true;
    }
    if (res.action == MAPPING_SKIP) {
        if (strstr(res.skip_reason, "tombstone"))
            count(t, s->part, CTR_SKIPPED_TOMBSTONE);
        else
            count(t, s->part, CTR_SKIPPED_OTHER);
        finish(s);
        return true;
    }
    s->is_delete = res.action == MAPPING_DELETE;
    aero_cmd_route(&s->cmd, res.ns, res.digest, true);
    s->cmd.socket_timeout_ms = tc->socket_timeout_ms;
    s->cmd.total_timeout_ms = tc->total_timeout_ms;
    s->cmd.max_retries = tc->max_retries;
    s->cmd.sleep_between_retries_ms = tc->sleep_between_retries_ms;
    s->cmd.cb = on_reply;
    s->cmd.ctx = s;
    s->key_hash = hash_key(res.ns, res.digest);
    /* The request holds everything a (re)send needs: release librdkafka's fetch buffer now
     * unless a write failure may still need the original bytes for the dead-letter queue. */
    if (tc->on_write_failure != WORKER_DEAD_LETTER) {
        kafka_message_free(s->msg);
        s->msg = NULL;
    }

    /* at most one write per key in flight: wait behind the holder */
    struct slot *holder = key_find(t, s);
    if (holder) {
        s->state = SLOT_WAIT_KEY;
        if (holder->key_tail)
            holder->key_tail->key_next = s;
        else
            holder->key_next = s;
        holder->key_tail = s;
        return true;
    }
    key_insert(t, s);
    submit(s);
    return true;
}

/* Start the held records of @p in order until one has to wait again. */
static void release_held(struct thread *t, struct part *p)
{
    while (p->held_head) {
        struct slot *s = p->held_head;
        p->held_head = s->held_next;
        if (!p->held_head)
            p->held_tail = NULL;
        s->held_next = NULL;
        if (!start(t, s)) {
            /* it is scheduled for a retry; keep the rest behind it */
            return;
        }
    }
    p->held = false;
}

/* A record whose start failed retriably is due again. */
static void retry_start(struct slot *s)
{
    struct thread *t = s->th;
    s->state = SLOT_NEW;
    if (start(t, s))
        release_held(t, s->part);
}

static void process(struct thread *t, kafka_message *m, struct part *p)
{
    struct slot *s;

    count(t, p, CTR_CONSUMED);
    s = slot_get(t);
    if (!s) {
        fail_task(t->w, "out of memory for record slots");
        kafka_message_free(m);
        return;
    }
    s->msg = m;
    s->part = p;
    s->offset = m->offset;
    if (p->fifo_tail)
        p->fifo_tail->fifo_next = s;
    else
        p->fifo_head = s;
    p->fifo_tail = s;
    if (p->held) {
        if (p->held_tail)
            p->held_tail->held_next = s;
        else
            p->held_head = s;
        p->held_tail = s;
        return;
    }
    if (!start(t, s))
        p->held = true;
}

static void thread_wake(struct thread *t)
{
    if (t->cl) {
        aero_client_wake(t->cl);
    } else {
        uint64_t one = 1;
        ssize_t r = write(t->evfd, &one, sizeof(one));
        (void)r;
    }
}

static void *thread_main(void *arg)
{
    struct thread *t = arg;
    struct worker *w = t->w;

    while (!atomic_load(&t->quit)) {
        size_t n = 0;
        if (t->work_pos == t->work_n) {
            pthread_mutex_lock(&t->mu);
            struct inbox_item *items = t->inbox;
            size_t cap = t->inbox_cap;
            t->work_n = t->inbox_n;
            t->inbox = t->work;
            t->inbox_cap = t->work_cap;
            t->work = items;
            t->work_cap = cap;
            t->inbox_n = 0;
            t->work_pos = 0;
            pthread_mutex_unlock(&t->mu);
        }
        uint64_t fin_before = atomic_load_explicit(&t->finished, memory_order_relaxed);
        /* Start records while there is room: a bounded number of started records keeps slots,
         * request buffers and the client's queues small; the rest wait as Kafka messages. */
        while (t->work_pos < t->work_n && t->active < ACTIVE_MAX) {
            struct inbox_item *it = &t->work[t->work_pos++];
            struct part *p = it->part;
            n++;
            if (atomic_load_explicit(&p->revoked, memory_order_acquire) || atomic_load(&w->failed)) {
                /* not started: the next owner (or the restart) reads it again */
                kafka_message_free(it->msg);
                atomic_fetch_add_explicit(&p->finished, 1, memory_order_release);
                atomic_fetch_add_explicit(&t->finished, 1, memory_order_relaxed);
                continue;
            }
            process(t, it->msg, p);
        }
        run_ready(t);
        run_due_retries(t);
        run_ready(t);
        int timeout = n && t->active < ACTIVE_MAX ? 0 : next_retry_in(t, 100);
        if (t->cl) {
            aero_client_poll(t->cl, timeout);
            run_ready(t);
        }
        if (atomic_load_explicit(&t->finished, memory_order_relaxed) != fin_before)
            atomic_store_explicit(&t->last_done_ms, clock_mono_ms(), memory_order_relaxed);
        if (!t->cl && timeout > 0) {
            struct pollfd pfd = {t->evfd, POLLIN, 0};
            if (poll(&pfd, 1, timeout) > 0) {
                uint64_t v;
                ssize_t r = read(t->evfd, &v, sizeof(v));
                (void)r;
            }
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------
 * Consumer thread: partitions, rebalances, dispatch, commits
 * ------------------------------------------------------------------------------------ */

static size_t phash(const char *topic, int32_t partition, size_t cap)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = topic; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    h ^= (uint64_t)(uint32_t)partition * 0x9e3779b97f4a7c15ull;
    return (size_t)(h & (cap - 1));
}

static struct part *part_find(struct worker *w, const char *topic, int32_t partition)
{
    for (struct part *p = w->ptab[phash(topic, partition, w->pcap)]; p; p = p->hnext)
        if (p->partition == partition && strcmp(p->topic, topic) == 0)
            return p;
    return NULL;
}

static const struct worker_topic *topic_cfg(struct worker *w, const char *topic)
{
    for (size_t i = 0; i < w->cfg.n_topic_cfgs; i++)
        if (strcmp(w->tcfgs[i].name, topic) == 0)
            return &w->tcfgs[i];
    return NULL;
}

static void on_assign(void *ctx, const struct kafka_tp *tps, size_t n)
{
    struct worker *w = ctx;

    for (size_t i = 0; i < n; i++) {
        const struct worker_topic *tc = topic_cfg(w, tps[i].topic);
        struct part *p;
        size_t hb;
        if (!tc) {
            log_error(&w->log, "assigned %s[%d], but the mapping file has no topics.%s entry", tps[i].topic,
                      (int)tps[i].partition, tps[i].topic);
            fail_task(w, "consumed topic '%s' has no mapping (add topics.%s to the aerospike config)",
                      tps[i].topic, tps[i].topic);
            continue;
        }
        if (part_find(w, tps[i].topic, tps[i].partition))
            continue;
        p = mem_calloc(1, sizeof(*p));
        if (!p || !(p->topic = mem_strdup(tps[i].topic))) {
            mem_free(p);
            fail_task(w, "out of memory assigning %s[%d]", tps[i].topic, (int)tps[i].partition);
            continue;
        }
        p->partition = tps[i].partition;
        p->tcfg = tc;
        p->thread = w->next_thread++ % w->nth;
        atomic_store(&p->next_commit, -1);
        p->committed = -1;
        p->next_fetch = -1;
        p->last_finished = -1;
        atomic_store(&p->position, -1);
        atomic_store(&p->committed_a, -1);
        hb = phash(p->topic, p->partition, w->pcap);
        pthread_mutex_lock(&w->pmu);
        p->hnext = w->ptab[hb];
        w->ptab[hb] = p;
        w->pcount++;
        pthread_mutex_unlock(&w->pmu);
    }
    atomic_store(&w->nparts, (int)w->pcount);
    atomic_fetch_add(&w->rebalances, 1);
    if (w->paused || w->user_paused)
        kafka_pause_all(w->kc);   /* new partitions start unpaused */
    log_info(&w->log, "assigned %zu partition(s); now %zu", n, w->pcount);
}

static void commit_parts(struct worker *w, struct part **ps, size_t n, bool sync)
{
    struct kafka_tp tps[256];
    size_t k = 0;
    struct err e = {0};

    for (size_t i = 0; i < n; i++) {
        int64_t nc = atomic_load_explicit(&ps[i]->next_commit, memory_order_acquire);
        if (nc < 0 || nc <= ps[i]->committed)
            continue;
        tps[k++] = (struct kafka_tp){ps[i]->topic, ps[i]->partition, nc};
        if (ps[i]->committed >= 0)
            atomic_fetch_add(&w->committed_records, (uint64_t)(nc - ps[i]->committed));
        ps[i]->committed = nc;
        atomic_store_explicit(&ps[i]->committed_a, nc, memory_order_relaxed);
        if (k == ARRAY_LEN(tps)) {
            if (kafka_commit(w->kc, tps, k, sync, &e) != ST_OK)
                log_warn(&w->log, "offset commit failed: %s", e.msg);
            k = 0;
        }
    }
    if (k && kafka_commit(w->kc, tps, k, sync, &e) != ST_OK)
        log_warn(&w->log, "offset commit failed: %s", e.msg);
}

/* Every assigned partition, in a reused array (grown at assignment, never per record). */
static size_t all_parts(struct worker *w, struct part ***out)
{
    size_t n = 0;
    if (w->parr_cap < w->pcount) {
        struct part **a = mem_realloc(w->parr, w->pcount * sizeof(*a));
        if (!a) {
            *out = NULL;
            return 0;
        }
        w->parr = a;
        w->parr_cap = w->pcount;
    }
    for (size_t b = 0; b < w->pcap; b++)
        for (struct part *p = w->ptab[b]; p; p = p->hnext)
            w->parr[n++] = p;
    *out = w->parr;
    return n;
}

static void commit_all(struct worker *w, bool sync)
{
    struct part **arr;
    size_t n = all_parts(w, &arr);
    commit_parts(w, arr, n, sync);
}

static uint64_t part_inflight(struct part *p)
{
    return p->dispatched - atomic_load_explicit(&p->finished, memory_order_acquire);
}

static void free_part(struct part *p)
{
    mem_free(p->topic);
    mem_free(p);
}

static void on_revoke(void *ctx, const struct kafka_tp *tps, size_t n, bool lost)
{
    struct worker *w = ctx;
    struct part **rev = mem_calloc(n ? n : 1, sizeof(*rev));
    size_t k = 0;
    uint64_t deadline;

    if (!rev)
        return;
    for (size_t i = 0; i < n; i++) {
        struct part *p = part_find(w, tps[i].topic, tps[i].partition);
        if (p) {
            atomic_store_explicit(&p->revoked, true, memory_order_release);
            rev[k++] = p;
        }
    }
    for (int i = 0; i < w->nth; i++)
        thread_wake(&w->th[i]);
    /* let started records finish so their offsets can be committed before the handover */
    deadline = clock_mono_ms() + (w->stopping ? MIN(w->cfg.drain_timeout_ms, REVOKE_WAIT_MS) : REVOKE_WAIT_MS);
    for (;;) {
        bool busy = false;
        for (size_t i = 0; i < k; i++)
            busy |= part_inflight(rev[i]) > 0;
        if (!busy || clock_mono_ms() >= deadline)
            break;
        sleep_ms(2);
    }
    if (!lost)
        commit_parts(w, rev, k, true);
    for (size_t i = 0; i < k; i++) {
        struct part *p = rev[i], **pp = &w->ptab[phash(p->topic, p->partition, w->pcap)];
        while (*pp != p)
            pp = &(*pp)->hnext;
        pthread_mutex_lock(&w->pmu);
        *pp = p->hnext;
        w->pcount--;
        pthread_mutex_unlock(&w->pmu);
        if (part_inflight(p) > 0) {
            log_warn(&w->log, "%s[%d] revoked with %llu record(s) still in flight; their writes continue and "
                     "the next owner re-reads them (at-least-once)", p->topic, (int)p->partition,
                     (unsigned long long)part_inflight(p));
            p->znext = w->zombies;
            w->zombies = p;
        } else {
            free_part(p);
        }
    }
    atomic_store(&w->nparts, (int)w->pcount);
    atomic_fetch_add(&w->rebalances, 1);
    log_info(&w->log, "revoked %zu partition(s)%s; now %zu", k, lost ? " (lost)" : "", w->pcount);
    mem_free(rev);
}

static void on_kafka_error(void *ctx, enum status st, const char *msg)
{
    struct worker *w = ctx;
    if (st == ST_FATAL) {
        log_error(&w->log, "Kafka: %s", msg);
        fail_task(w, "Kafka: %s", msg);
    } else {
        log_warn(&w->log, "Kafka: %s", msg);
    }
}

static bool inbox_push(struct thread *t, kafka_message *m, struct part *p)
{
    if (t->inbox_n == t->inbox_cap) {
        size_t cap = t->inbox_cap ? t->inbox_cap * 2 : 4096;
        struct inbox_item *a = mem_realloc(t->inbox, cap * sizeof(*a));
        if (!a)
            return false;
        t->inbox = a;
        t->inbox_cap = cap;
    }
    t->inbox[t->inbox_n++] = (struct inbox_item){m, p};
    return true;
}

static uint64_t total_finished(struct worker *w)
{
    uint64_t f = 0;
    for (int i = 0; i < w->nth; i++)
        f += atomic_load_explicit(&w->th[i].finished, memory_order_acquire);
    return f;
}

static uint64_t queued(struct worker *w)
{
    return w->dispatched_total - total_finished(w);
}

static void dispatch(struct worker *w, kafka_message **msgs, size_t n)
{
    bool touched[64] = {false};

    for (int ti = 0; ti < w->nth; ti++)
        pthread_mutex_lock(&w->th[ti].mu);
    if (!w->first_record_ms && n)
        w->first_record_ms = clock_mono_ms();
    for (size_t i = 0; i < n; i++) {
        kafka_message *m = msgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        struct part *p = part_find(w, topic, m->partition);
        if (!p) {   /* not (or no longer) ours */
            kafka_message_free(m);
            continue;
        }
        struct thread *t = &w->th[p->thread];
        if (!inbox_push(t, m, p)) {
            kafka_message_free(m);
            fail_task(w, "out of memory dispatching records");
            continue;
        }
        p->dispatched++;
        p->next_fetch = m->offset + 1;
        atomic_store_explicit(&p->position, p->next_fetch, memory_order_relaxed);
        atomic_store_explicit(&p->dispatched_a, p->dispatched, memory_order_relaxed);
        w->dispatched_total++;
        touched[p->thread % 64] = true;
    }
    for (int ti = 0; ti < w->nth; ti++)
        pthread_mutex_unlock(&w->th[ti].mu);
    for (int ti = 0; ti < w->nth; ti++)
        if (touched[ti % 64])
            thread_wake(&w->th[ti]);
}

static void sum_counters(struct worker *w, size_t topic, uint64_t out[CTR__COUNT])
{
    memset(out, 0, sizeof(uint64_t) * CTR__COUNT);
    for (int i = 0; i < w->nth; i++)
        for (int c = 0; c < CTR__COUNT; c++)
            out[c] += atomic_load_explicit(&w->th[i].tc[topic].v[c], memory_order_relaxed);
}

static void worker_totals(struct worker *w, struct worker_stats *o)
{
    uint64_t v[CTR__COUNT];

    memset(o, 0, sizeof(*o));
    for (size_t t = 0; t < w->cfg.n_topic_cfgs; t++) {
        sum_counters(w, t, v);
        o->consumed += v[CTR_CONSUMED];
        o->written += v[CTR_WRITTEN];
        o->deleted += v[CTR_DELETED];
        o->skipped_tombstone += v[CTR_SKIPPED_TOMBSTONE];
        o->skipped_invalid += v[CTR_SKIPPED_INVALID];
        o->skipped_other += v[CTR_SKIPPED_OTHER];
        o->write_failures += v[CTR_WRITE_FAILURES];
        o->dead_lettered += v[CTR_DEAD_LETTERED];
        o->retries += v[CTR_RETRIES];
    }
}

static void progress(struct worker *w, uint64_t now)
{
    struct worker_stats s;
    uint64_t lag = 0;
    double secs = (double)(now - w->last_progress_ms) / 1000.0;
    uint64_t out;

    worker_totals(w, &s);
    for (size_t b = 0; b < w->pcap; b++)
        for (struct part *p = w->ptab[b]; p; p = p->hnext) {
            int64_t l = kafka_lag(w->kc, p->topic, p->partition, p->next_fetch);
            if (l > 0)
                lag += (uint64_t)l;
        }
    atomic_store(&w->lag_cache, lag);
    out = s.written + s.deleted + s.skipped_tombstone + s.skipped_invalid + s.skipped_other + s.dead_lettered;
    if (w->cfg.progress_interval_ms && secs > 0)
        log_info(&w->log,
                 "in %.0f/s out %.0f/s | lag %llu in-flight %llu%s | total in %llu written %llu deleted %llu "
                 "skipped %llu dead-lettered %llu failed %llu retries %llu",
                 (double)(s.consumed - w->prog_in) / secs, (double)(out - w->prog_out) / secs,
                 (unsigned long long)lag, (unsigned long long)queued(w), w->paused ? " (paused)" : "",
                 (unsigned long long)s.consumed, (unsigned long long)s.written, (unsigned long long)s.deleted,
                 (unsigned long long)(s.skipped_tombstone + s.skipped_invalid + s.skipped_other),
                 (unsigned long long)s.dead_lettered, (unsigned long long)s.write_failures,
                 (unsigned long long)s.retries);
    w->prog_in = s.consumed;
    w->prog_out = out;
    w->last_progress_ms = now;
}

/* All assigned partitions read to their (cached) high watermark and nothing in flight. */
static bool drained(struct worker *w)
{
    if (w->pcount == 0 || queued(w) != 0)
        return false;
    for (size_t b = 0; b < w->pcap; b++)
        for (struct part *p = w->ptab[b]; p; p = p->hnext)
            if (kafka_lag(w->kc, p->topic, p->partition, p->next_fetch) != 0)
                return false;
    return true;
}

static void reap_zombies(struct worker *w)
{
    struct part **pp = &w->zombies;
    while (*pp) {
        struct part *p = *pp;
        if (part_inflight(p) == 0) {
            *pp = p->znext;
            free_part(p);
        } else {
            pp = &p->znext;
        }
    }
}

/* One line for operators and benchmarks: throughput from the first record taken to the last
 * one settled, CPU per record and peak memory of the process. */
static void summary(struct worker *w)
{
    struct worker_stats st;
    uint64_t last = 0, settled;
    double secs, cpu_s = (double)clock_cpu_us() / 1e6;
    long hwm_kb = -1;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            hwm_kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    worker_totals(w, &st);
    for (int i = 0; i < w->nth; i++)
        last = MAX(last, atomic_load(&w->th[i].last_done_ms));
    settled = st.written + st.deleted + st.skipped_tombstone + st.skipped_invalid + st.skipped_other +
              st.dead_lettered;
    secs = w->first_record_ms && last > w->first_record_ms ? (double)(last - w->first_record_ms) / 1000.0 : 0;
    log_info(&w->log, "summary: %llu records settled (%llu written) in %.2f s from the first record: %.0f records/s; "
             "process CPU %.2f s (%.2f us/record); peak RSS %.1f MiB",
             (unsigned long long)settled, (unsigned long long)st.written, secs, secs > 0 ? (double)settled / secs : 0,
             cpu_s, settled ? cpu_s * 1e6 / (double)settled : 0, hwm_kb >= 0 ? (double)hwm_kb / 1024.0 : -1.0);
}

int worker_run(struct worker *w, volatile sig_atomic_t *stop)
{
    kafka_message **msgs = mem_calloc(BATCH_MAX, sizeof(*msgs));
    struct kafka_consumer_config cc = {
        .bootstrap = w->cfg.bootstrap, .group_id = w->group_id, .client_id = w->name,
        .topics = w->cfg.topics, .topics_regex = w->cfg.topics_regex, .props = w->cfg.consumer_props,
    };
    struct kafka_hooks hooks = {on_assign, on_revoke, on_kafka_error, w};
    struct err e = {0};
    uint64_t drain_deadline = 0, last_drain_check = 0;
    int rc = 0, drained_checks = 0;

    if (!msgs) {
        fail_task(w, "out of memory");
        return 1;
    }
    w->kc = kafka_consumer_new(&cc, &hooks, &e);
    if (!w->kc) {
        fail_task(w, "%s", e.msg);
        mem_free(msgs);
        return 1;
    }
    for (int i = 0; i < w->nth; i++) {
        if (pthread_create(&w->th[i].tid, NULL, thread_main, &w->th[i]) != 0) {
            fail_task(w, "cannot start processing thread %d: %s", i, strerror(errno));
            break;
        }
        w->th[i].started = true;
    }
    log_info(&w->log, "started: group %s, %d processing thread(s), max-queued-records %u%s", w->group_id, w->nth,
             w->cfg.max_queued_records, w->cfg.dry_run ? ", DRY RUN (no writes)" : "");
    w->last_commit_ms = w->last_progress_ms = clock_mono_ms();

    for (;;) {
        uint64_t now = clock_mono_ms();
        bool want_stop = (stop && *stop) || atomic_load(&w->failed);

        if (w->cfg.exit_when_drained && !w->stopping && now - last_drain_check >= 250) {
            last_drain_check = now;
            drained_checks = drained(w) ? drained_checks + 1 : 0;
            if (drained_checks >= 3) {
                log_info(&w->log, "every assigned partition is consumed to its end: stopping (--exit-when-drained)");
                want_stop = true;
            }
        }

        if (want_stop && !w->stopping) {
            w->stopping = true;
            drain_deadline = now + w->cfg.drain_timeout_ms;
            kafka_pause_all(w->kc);
            log_info(&w->log, "%s: draining %llu in-flight record(s)",
                     atomic_load(&w->failed) ? "task failed" : "stopping", (unsigned long long)queued(w));
        }
        if (w->stopping) {
            if (queued(w) == 0 || now >= drain_deadline)
                break;
            size_t n = kafka_consumer_poll(w->kc, msgs, BATCH_MAX, 5);
            for (size_t i = 0; i < n; i++)
                kafka_message_free(msgs[i]);
        } else {
            /* Back-pressure, max-queued-records: above the limit stop taking records; if that
             * lasts (a slow or absent Aerospike), pause every partition and keep polling so the
             * group membership survives; resume below half. Brief bursts never pause, because a
             * librdkafka pause drops the prefetched records that must then be fetched again. */
            uint64_t q = queued(w);
            bool want_user_pause = atomic_load(&w->target_paused);
            if (want_user_pause != w->user_paused) {
                enum status pst = want_user_pause ? kafka_pause_all(w->kc)
                                  : w->paused   ? ST_OK
                                                : kafka_resume_all(w->kc);
                if (pst == ST_OK) {
                    w->user_paused = want_user_pause;
                    log_info(&w->log, "%s by request", want_user_pause ? "paused" : "resumed");
                }
            }
            if (q >= w->cfg.max_queued_records) {
                if (!w->full_since)
                    w->full_since = now;
                if (!w->paused && now - w->full_since >= PAUSE_AFTER_MS && kafka_pause_all(w->kc) == ST_OK) {
                    w->paused = true;
                    w->pauses++;
                    atomic_store(&w->paused_flag, true);
                    log_debug(&w->log, "paused all partitions: %llu records queued", (unsigned long long)q);
                }
            } else if (q < w->cfg.max_queued_records / 2) {
                w->full_since = 0;
                if (w->paused && (w->user_paused || kafka_resume_all(w->kc) == ST_OK)) {
                    w->paused = false;
                    atomic_store(&w->paused_flag, false);
                    log_debug(&w->log, "resumed: %llu records queued", (unsigned long long)q);
                }
            }
            if (w->full_since && !w->paused) {
                sleep_ms(1);       /* full: let the processing threads catch up */
            } else {
                size_t n = kafka_consumer_poll(w->kc, msgs, BATCH_MAX, w->paused || w->user_paused ? 5 : 10);
                if (n)
                    dispatch(w, msgs, n);
            }
        }
        now = clock_mono_ms();
        if (now - w->last_commit_ms >= w->cfg.offset_flush_interval_ms) {
            commit_all(w, false);
            w->last_commit_ms = now;
            reap_zombies(w);
        }
        if (now - w->last_progress_ms >= (w->cfg.progress_interval_ms ? w->cfg.progress_interval_ms : 5000))
            progress(w, now);
    }

    if (queued(w) > 0)
        log_warn(&w->log, "stopping with %llu record(s) unfinished after %ums; they will be read again on restart",
                 (unsigned long long)queued(w), w->cfg.drain_timeout_ms);
    commit_all(w, true);
    progress(w, clock_mono_ms());
    kafka_consumer_close(w->kc);   /* revokes (and commits, again idempotently) what is left */
    for (int i = 0; i < w->nth; i++) {
        atomic_store(&w->th[i].quit, true);
        thread_wake(&w->th[i]);
    }
    for (int i = 0; i < w->nth; i++)
        if (w->th[i].started) {
            pthread_join(w->th[i].tid, NULL);
            w->th[i].started = false;
        }
    if (atomic_load(&w->failed)) {
        log_error(&w->log, "task failed: %s", w->failure);
        rc = 1;
    } else {
        log_info(&w->log, "stopped cleanly");
    summary(w);
    }
    mem_free(msgs);
    return rc;
}

/* ------------------------------------------------------------------------------------
 * Construction
 * ------------------------------------------------------------------------------------ */

static enum status thread_init(struct worker *w, struct thread *t, int idx, struct err *e)
{
    t->w = w;
    t->idx = idx;
    t->evfd = -1;
    pthread_mutex_init(&t->mu, NULL);
    t->keycap = 1024;
    while (t->keycap < (size_t)ACTIVE_MAX * 4)
        t->keycap <<= 1;
    t->keytab = mem_calloc(t->keycap, sizeof(*t->keytab));
    t->tc = mem_calloc(w->cfg.n_topic_cfgs ? w->cfg.n_topic_cfgs : 1, sizeof(*t->tc));
    t->kdoc = conv_doc_new();
    t->vdoc = conv_doc_new();
    if (!t->keytab || !t->tc || !t->kdoc || !t->vdoc)
        return err_set(e, ST_NOMEM, "processing thread %d", idx);
    t->kconv = conv_converter_new(w->cfg.key_converter, w->cfg.key_converter_props, e);
    if (!t->kconv)
        return err_prefix(e, "key.converter");
    t->vconv = conv_converter_new(w->cfg.value_converter, w->cfg.value_converter_props, e);
    if (!t->vconv)
        return err_prefix(e, "value.converter");
    if (w->cfg.dry_run || !w->cfg.cluster) {
        t->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (t->evfd < 0)
            return err_set(e, ST_FATAL, "eventfd: %s", strerror(errno));
    } else {
        t->cl = aero_client_new(w->cfg.cluster, NULL, e);
        if (!t->cl)
            return err_prefix(e, "aerospike client");
    }
    return ST_OK;
}

static void thread_free(struct thread *t)
{
    aero_client_free(t->cl);   /* cancels anything still in flight */
    t->cl = NULL;
    for (size_t i = 0; i < t->n_chunks; i++) {
        for (size_t j = 0; j < SLOT_CHUNK; j++) {
            kafka_message_free(t->chunks[i][j].msg);
            aero_cmd_free(&t->chunks[i][j].cmd);
        }
        mem_free(t->chunks[i]);
    }
    mem_free(t->chunks);
    for (size_t i = 0; i < t->inbox_n; i++)
        kafka_message_free(t->inbox[i].msg);
    for (size_t i = t->work_pos; i < t->work_n; i++)
        kafka_message_free(t->work[i].msg);
    mem_free(t->inbox);
    mem_free(t->work);
    mem_free(t->keytab);
    mem_free(t->tc);
    mem_free(t->hdrs);
    conv_converter_free(t->kconv);
    conv_converter_free(t->vconv);
    conv_doc_free(t->kdoc);
    conv_doc_free(t->vdoc);
    if (t->evfd >= 0)
        close(t->evfd);
    pthread_mutex_destroy(&t->mu);
}

struct worker *worker_new(const struct worker_config *cfg, struct err *e)
{
    struct worker *w = mem_calloc(1, sizeof(*w));
    char gid[512];

    if (!w)
        goto nomem;
    pthread_mutex_init(&w->fail_mu, NULL);
    pthread_mutex_init(&w->pmu, NULL);
    pthread_mutex_init(&w->dlq_mu, NULL);
    w->cfg = *cfg;
    w->name = (char *)copy_str(w, cfg->name ? cfg->name : "aerosink");
    snprintf(gid, sizeof(gid), "connect-%s", w->name);
    w->group_id = (char *)copy_str(w, cfg->group_id ? cfg->group_id : gid);
    w->cfg.bootstrap = copy_str(w, cfg->bootstrap);
    w->cfg.topics = copy_kv(w, cfg->topics);
    w->cfg.topics_regex = copy_str(w, cfg->topics_regex);
    w->cfg.consumer_props = copy_kv(w, cfg->consumer_props);
    w->cfg.producer_props = copy_kv(w, cfg->producer_props);
    w->cfg.key_converter = copy_str(w, cfg->key_converter);
    w->cfg.key_converter_props = copy_kv(w, cfg->key_converter_props);
    w->cfg.value_converter = copy_str(w, cfg->value_converter);
    w->cfg.value_converter_props = copy_kv(w, cfg->value_converter_props);
    w->cfg.dlq_topic = copy_str(w, cfg->dlq_topic);
    w->tcfgs = mem_calloc(cfg->n_topic_cfgs ? cfg->n_topic_cfgs : 1, sizeof(*w->tcfgs));
    if (!w->tcfgs || !w->name || !w->group_id)
        goto nomem;
    for (size_t i = 0; i < cfg->n_topic_cfgs; i++) {
        w->tcfgs[i] = cfg->topic_cfgs[i];
        w->tcfgs[i].name = copy_str(w, cfg->topic_cfgs[i].name);
    }
    w->cfg.topic_cfgs = w->tcfgs;
    if (w->cfg.processing_threads < 1)
        w->cfg.processing_threads = 1;
    if (w->cfg.processing_threads > 64)
        w->cfg.processing_threads = 64;
    if (w->cfg.max_queued_records == 0)
        w->cfg.max_queued_records = 32768;
    if (w->cfg.offset_flush_interval_ms == 0)
        w->cfg.offset_flush_interval_ms = 60000;
    if (w->cfg.drain_timeout_ms == 0)
        w->cfg.drain_timeout_ms = 30000;
    if (!w->cfg.key_converter || !w->cfg.value_converter) {
        err_set(e, ST_CONFIG, "key.converter and value.converter are required");
        goto fail;
    }
    if (!w->cfg.dry_run && !w->cfg.cluster) {
        err_set(e, ST_CONFIG, "no Aerospike cluster (and not a dry run)");
        goto fail;
    }
    w->log = (struct log_ctx){cfg->log_level, w->name, 2};
    w->pcap = 1024;
    w->ptab = mem_calloc(w->pcap, sizeof(*w->ptab));
    w->nth = w->cfg.processing_threads;
    w->th = mem_calloc((size_t)w->nth, sizeof(*w->th));
    if (!w->ptab || !w->th)
        goto nomem;
    for (int i = 0; i < w->nth; i++)
        if (thread_init(w, &w->th[i], i, e) != ST_OK)
            goto fail;
    if (w->cfg.dlq_topic && *w->cfg.dlq_topic) {
        w->dlq = kafka_producer_new(w->cfg.bootstrap, w->cfg.producer_props, e);
        if (!w->dlq) {
            err_prefix(e, "dead-letter producer");
            goto fail;
        }
    }
    return w;
nomem:
    err_set(e, ST_NOMEM, "worker");
fail:
    worker_free(w);
    return NULL;
}

void worker_stats(struct worker *w, struct worker_stats *out)
{
    worker_totals(w, out);
    uint64_t fin = total_finished(w);
    out->in_flight = out->consumed > fin ? out->consumed - fin : 0;
    out->lag = atomic_load(&w->lag_cache);
    out->paused = atomic_load(&w->paused_flag) || atomic_load(&w->target_paused);
    out->partitions = atomic_load(&w->nparts);
    out->rebalances = atomic_load(&w->rebalances);
    out->committed_records = atomic_load(&w->committed_records);
}

size_t worker_topic_count(const struct worker *w)
{
    return w->cfg.n_topic_cfgs;
}

void worker_topic_stats(struct worker *w, size_t i, struct worker_topic_stats *out)
{
    uint64_t v[CTR__COUNT];
    sum_counters(w, i, v);
    out->topic = w->tcfgs[i].name;
    out->consumed = v[CTR_CONSUMED];
    out->written = v[CTR_WRITTEN];
    out->deleted = v[CTR_DELETED];
    out->skipped_tombstone = v[CTR_SKIPPED_TOMBSTONE];
    out->skipped_invalid = v[CTR_SKIPPED_INVALID];
    out->skipped_other = v[CTR_SKIPPED_OTHER];
    out->write_failures = v[CTR_WRITE_FAILURES];
    out->dead_lettered = v[CTR_DEAD_LETTERED];
    out->retries = v[CTR_RETRIES];
}

void worker_latency(struct worker *w, struct worker_latency *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < w->nth; i++) {
        for (int b = 0; b < LAT_BUCKETS; b++)
            out->counts[b] += atomic_load_explicit(&w->th[i].lat[b], memory_order_relaxed);
        out->sum_us += atomic_load_explicit(&w->th[i].lat_sum_us, memory_order_relaxed);
        out->count += atomic_load_explicit(&w->th[i].lat_count, memory_order_relaxed);
    }
}

void worker_partitions(struct worker *w, worker_partition_cb cb, void *ctx)
{
    pthread_mutex_lock(&w->pmu);
    for (size_t b = 0; b < w->pcap; b++)
        for (struct part *p = w->ptab[b]; p; p = p->hnext) {
            int64_t nc = atomic_load_explicit(&p->next_commit, memory_order_acquire);
            int64_t pos = atomic_load_explicit(&p->position, memory_order_relaxed);
            uint64_t fin = atomic_load_explicit(&p->finished, memory_order_acquire);
            uint64_t disp = atomic_load_explicit(&p->dispatched_a, memory_order_relaxed);
            int64_t lag = w->kc ? kafka_lag(w->kc, p->topic, p->partition, pos) : -1;
            cb(ctx, p->topic, p->partition, pos, atomic_load_explicit(&p->committed_a, memory_order_relaxed),
               nc, lag, disp > fin ? disp - fin : 0);
        }
    pthread_mutex_unlock(&w->pmu);
}

void worker_set_paused(struct worker *w, bool paused)
{
    atomic_store(&w->target_paused, paused);
}

bool worker_is_paused(struct worker *w)
{
    return atomic_load(&w->target_paused);
}

const char *worker_failure(struct worker *w)
{
    return atomic_load(&w->failed) ? w->failure : "";
}

void worker_free(struct worker *w)
{
    if (!w)
        return;
    for (int i = 0; w->th && i < w->nth; i++) {
        if (w->th[i].started) {
            atomic_store(&w->th[i].quit, true);
            thread_wake(&w->th[i]);
            pthread_join(w->th[i].tid, NULL);
        }
        thread_free(&w->th[i]);
    }
    mem_free(w->th);
    kafka_consumer_free(w->kc);
    kafka_producer_free(w->dlq);
    for (size_t b = 0; w->ptab && b < w->pcap; b++) {
        struct part *p = w->ptab[b];
        while (p) {
            struct part *n = p->hnext;
            free_part(p);
            p = n;
        }
    }
    while (w->zombies) {
        struct part *n = w->zombies->znext;
        free_part(w->zombies);
        w->zombies = n;
    }
    mem_free(w->ptab);
    mem_free(w->parr);
    mem_free(w->tcfgs);
    for (size_t i = 0; i < w->n_owned; i++)
        mem_free(w->owned[i]);
    mem_free(w->owned);
    pthread_mutex_destroy(&w->fail_mu);
    pthread_mutex_destroy(&w->pmu);
    pthread_mutex_destroy(&w->dlq_mu);
    mem_free(w);
}
