/* src/worker/processing.c: a processing thread. For each record routed to it (all records of
 * a Kafka key come to the same thread, in Kafka order): take a slot, decode, map, and settle it
 * (skip / policy) or submit it (plain writes ready in the same loop pass go to their node as
 * one batch write); a record whose Aerospike key already has a write in flight waits behind
 * it. Completions (inside aero_client_poll) settle the record, hand the key to the next waiter
 * and report the outcome to the consumer thread. A retriable failure never settles a record:
 * it is retried with back-off until it succeeds or the task stops. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "worker_int.h"

/* ------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------ */

bool worker__fail(struct worker *w, const char *fmt, ...)
{
    va_list ap;
    bool first = false;
    pthread_mutex_lock(&w->fail_mu);
    if (!atomic_load(&w->failed)) {
        va_start(ap, fmt);
        vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
        va_end(ap);
        atomic_store(&w->failed, 1);
        first = true;
    }
    pthread_mutex_unlock(&w->fail_mu);
    return first;
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

/* Say how many record-level lines were held back, once their window ended (or at @force). */
static void log_flush(struct thread *t, bool force)
{
    uint64_t now = clock_mono_ms();
    if (!force && now - t->log_window_start < LOG_WINDOW_MS)
        return;
    if (t->log_suppressed)
        log_warn(&t->w->log, "%u more record-level messages suppressed in the last %.0fs (the counters have them)",
                 t->log_suppressed, (double)(now - t->log_window_start) / 1000.0);
    t->log_window_start = now;
    t->log_in_window = 0;
    t->log_suppressed = 0;
}

/* Record-level log lines, at most LOG_BURST per window per thread. */
static bool log_allowed(struct thread *t)
{
    log_flush(t, false);
    if (t->log_in_window++ < LOG_BURST)
        return true;
    t->log_suppressed++;
    return false;
}

/* Add to a counter only this thread writes (others read it): a plain load and store, no
 * locked read-modify-write on every record. */
static void bump(_Atomic uint64_t *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by, memory_order_relaxed);
}

static void count(struct thread *t, const struct part *p, enum ctr which)
{
    bump(&t->tc[p->tidx].v[which], 1);
}

/* ------------------------------------------------------------------------------------
 * Slots and the in-flight key table
 * ------------------------------------------------------------------------------------ */

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
    s->key_next = s->key_tail = s->retry_next = s->ready_next = s->sq_next = s->free_next = NULL;
    s->msg = NULL;
    s->part = NULL;
    s->failures = 0;
    s->holds_key = false;
    s->is_delete = false;
    s->give_up = false;
    s->in_doubt = false;
    s->no_batch = false;
    s->state = SLOT_NEW;
    return s;
}

/* Done with @m: the consumer thread frees it (see struct thread). */
static void discard_msg(struct thread *t, kafka_message *m)
{
    if (!m)
        return;
    if (!mem_grow(&t->gc_local, &t->gc_local_cap, t->gc_local_n + 1, sizeof(*t->gc_local), 1024)) {
        kafka_message_free(m);   /* out of memory: a detached one's cell is lost until the end */
        return;
    }
    t->gc_local[t->gc_local_n++] = m;
}

static void slot_put(struct thread *t, struct slot *s)
{
    discard_msg(t, s->msg);
    s->msg = NULL;
    s->state = SLOT_FREE;
    s->free_next = t->free_slots;
    t->free_slots = s;
    t->active--;
}

/* In-flight keys: open addressing with linear probing; entries keep the hash so probes do
 * not touch the (cold) slots. Sized for active_max keys at a load factor <= 1/4. */
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

/* ------------------------------------------------------------------------------------
 * Settling records
 * ------------------------------------------------------------------------------------ */

static void submit(struct slot *s);
static void settle_later(struct slot *s, bool abandon);
static bool still_wanted(const struct worker *w, const struct part *p, int64_t offset);

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
    t->keytab[key_index(t, s)].s = next;
    s->holds_key = false;
    next->holds_key = true;
    if (still_wanted(t->w, next->part, next->offset))
        submit(next);
    else
        settle_later(next, true);
}

/* Tell the consumer thread (through the outbox, flushed once per loop). */
static void report(struct thread *t, struct part *p, uint64_t seq, enum outcome o)
{
    if (!mem_grow(&t->out_local, &t->out_local_cap, t->out_local_n + 1, sizeof(*t->out_local), 1024)) {
        worker__fail(t->w, "out of memory reporting record outcomes");
        return;
    }
    t->out_local[t->out_local_n++] = (struct outbox_item){p, seq, (uint8_t)o};
}

/* The record is settled (written, skipped, dead-lettered, ignored): OUT_DONE. */
static void settle(struct slot *s)
{
    struct thread *t = s->th;

    release_key(t, s);
    report(t, s->part, s->seq, OUT_DONE);
    slot_put(t, s);
}

/* The record is never done, so the watermark (and every commit) stays before it. @failed: the
 * task fails at this record (its partition's earlier records still finish); else it is only
 * dropped because the task is stopping (it will be read again). */
static void give_up(struct slot *s, bool failed)
{
    struct thread *t = s->th;

    if (failed) {
        int64_t cur = atomic_load(&s->part->fail_offset);
        while (s->offset < cur && !atomic_compare_exchange_weak(&s->part->fail_offset, &cur, s->offset))
            ;
    }
    release_key(t, s);
    report(t, s->part, s->seq, OUT_LEFT);
    slot_put(t, s);
}

/* After a task failure, only records of the failing partition before the failing one still
 * go to Aerospike; everything else not yet sent is dropped (and read again on restart). */
static bool still_wanted(const struct worker *w, const struct part *p, int64_t offset)
{
    if (!atomic_load_explicit(&w->failed, memory_order_relaxed))
        return true;
    return offset < atomic_load_explicit(&p->fail_offset, memory_order_relaxed);
}

/* Settle later, from the thread loop: keeps key hand-over chains iterative. */
static void settle_later(struct slot *s, bool abandon)
{
    struct thread *t = s->th;
    s->give_up = abandon;
    s->state = SLOT_SETTLED;
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
        if (s->give_up)
            give_up(s, false);
        else
            settle(s);
    }
}

/* ------------------------------------------------------------------------------------
 * Policies: invalid records, write failures, dead-letter queue
 * ------------------------------------------------------------------------------------ */

static const char *stage_name(int stage)
{
    return stage == 0 ? "KEY_CONVERTER" : stage == 1 ? "VALUE_CONVERTER" : "TASK_PUT";
}

/* Produce the original record to the DLQ (asynchronously: the thread keeps serving Aerospike
 * replies meanwhile); the record settles when the broker acknowledged it (dlq_delivered). */
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
    static const char cls[] = "com.aerospike.connect.kafka.inbound.AerospikeSinkTask";

    if (!t->dlq || !m || kafka_message_detached(m)) {   /* detached: never with a DLQ policy */
        log_error(&w->log, "dead-letter %s[%d]@%lld: %s", s->part->topic, (int)s->part->partition,
                  (long long)s->offset, !m ? "the original record was already released"
                  : kafka_message_detached(m) ? "the record was taken without its headers" : "no dead-letter topic");
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
        h[nh++] = (struct kafka_header){"__connect.errors.class.name", cls, strlen(cls)};
        h[nh++] = (struct kafka_header){"__connect.errors.exception.class.name", exc, strlen(exc)};
        h[nh++] = (struct kafka_header){"__connect.errors.exception.message", why, strlen(why)};
        h[nh++] = (struct kafka_header){"__connect.errors.exception.stacktrace", why, strlen(why)};
    }
    for (int tries = 0;; tries++) {
        st = kafka_produce_async(t->dlq, w->cfg.dlq_topic, RD_KAFKA_PARTITION_UA, m->key, m->key_len, m->payload,
                                 m->len, h, nh, s, &e);
        if (st != ST_BUSY || tries > 300)
            break;
        kafka_producer_poll(t->dlq, 10);   /* local queue full: let deliveries drain it */
    }
    if (st != ST_OK) {
        log_error(&w->log, "dead-letter produce of %s[%d]@%lld to %s failed: %s", s->part->topic,
                  (int)s->part->partition, (long long)s->offset, w->cfg.dlq_topic, e.msg);
        return st;
    }
    s->state = SLOT_DEAD_LETTER;
    s->dlq_why = mem_strdup(why);
    t->dlq_pending++;
    return ST_OK;
}

static const char *policy_name(enum worker_policy p, const char *key, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s: %s", key,
             p == WORKER_IGNORE ? "ignore" : p == WORKER_DEAD_LETTER ? "dead-letter" : "kill-task");
    return buf;
}

/* @where (topic[partition]@offset) fails the task for @why. The first failure is the task's
 * reason and logged as an ERROR; records failing after it (others in flight) are logged only
 * when their reason differs, so ten in-flight records refused for one cause make one line. */
static void task_failed(struct thread *t, const char *where, const char *why)
{
    struct worker *w = t->w;

    if (worker__fail(w, "%s: %s", where, why))
        log_error(&w->log, "task failed at %s: %s", where, why);
    else if (!strstr(w->failure, why) && log_allowed(t))
        log_warn(&w->log, "also failed at %s: %s", where, why);
}

/* Apply @policy to a record that cannot be written. stage: 0 key conv, 1 value conv, 2 put. */
static void bad_record(struct thread *t, struct slot *s, enum worker_policy policy, int stage,
                       const char *exc, const char *why, const char *policy_desc)
{
    struct worker *w = t->w;
    char where[320];

    tp_name(s, where, sizeof(where));
    switch (policy) {
    case WORKER_IGNORE:
        if (log_allowed(t))
            log_warn(&w->log, "skipped %s: %s (%s)", where, why, policy_desc);
        count(t, s->part, CTR_SKIPPED_INVALID);
        settle(s);
        return;
    case WORKER_DEAD_LETTER:
        if (dead_letter(t, s, stage, exc, why) == ST_OK)
            return;   /* settles in dlq_delivered */
        worker__fail(w, "%s: %s; and the dead-letter queue is unavailable", where, why);
        give_up(s, true);
        return;
    case WORKER_KILL_TASK: {
        char full[ERR_MSG_LEN + 800];
        snprintf(full, sizeof(full), "%s (%s)", why, policy_desc);
        task_failed(t, where, full);
        give_up(s, true);
        return;
    }
    }
}

/* The DLQ broker answered for @msg_opaque's record. */
static void dlq_delivered(void *ctx, void *msg_opaque, enum status st, const char *why)
{
    struct thread *t = ctx;
    struct slot *s = msg_opaque;
    struct worker *w = t->w;
    char where[320];

    t->dlq_pending--;
    tp_name(s, where, sizeof(where));
    if (st == ST_OK) {
        if (log_allowed(t))
            log_warn(&w->log, "dead-lettered %s to %s: %s", where, w->cfg.dlq_topic, s->dlq_why ? s->dlq_why : "");
        count(t, s->part, CTR_DEAD_LETTERED);
        mem_free(s->dlq_why);
        s->dlq_why = NULL;
        settle(s);
        return;
    }
    char full[ERR_MSG_LEN + 800];
    snprintf(full, sizeof(full), "the dead-letter queue %s did not take it (%s); reason it was bad: %s",
             w->cfg.dlq_topic, why, s->dlq_why ? s->dlq_why : "");
    task_failed(t, where, full);
    mem_free(s->dlq_why);
    s->dlq_why = NULL;
    give_up(s, true);
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
 * Aerospike completions and retries
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
        atomic_store(&w->outage_what, what);
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

/* An outage ends when something succeeded after the last failure and a second passed without
 * a new one (checked on successes and by the consumer loop): one "recovered" line. Back-off
 * gaps alone never end it. */
void worker__outage_tick(struct worker *w)
{
    uint64_t now, last;
    bool was = true;

    if (!atomic_load_explicit(&w->in_outage, memory_order_relaxed))
        return;
    now = clock_mono_ms();
    last = atomic_load(&w->last_failure_ms);
    if (now - last < 1000 || atomic_load(&w->last_success_ms) <= last ||
        !atomic_compare_exchange_strong(&w->in_outage, &was, false))
        return;
    log_info(&w->log, "%s recovered after %.1fs", atomic_load(&w->outage_what),
             (double)(now - atomic_load(&w->outage_since)) / 1000.0);
}

static void outage_check_over(struct thread *t)
{
    struct worker *w = t->w;
    if (!atomic_load_explicit(&w->in_outage, memory_order_relaxed))
        return;
    atomic_store(&w->last_success_ms, clock_mono_ms());
    worker__outage_tick(w);
}

static const uint64_t lat_bounds_us[LAT_BUCKETS - 1] = {WORKER_LATENCY_BOUNDS_US};
_Static_assert(LAT_BUCKETS == WORKER_LATENCY_BUCKETS, "latency buckets");
_Static_assert(ARRAY_LEN(lat_bounds_us) == WORKER_LATENCY_BUCKETS - 1, "latency bounds");

static void record_latency(struct thread *t, uint64_t us)
{
    size_t b = 0;
    while (b < LAT_BUCKETS - 1 && us > lat_bounds_us[b])
        b++;
    bump(&t->lat[b], 1);
    bump(&t->lat_sum_us, us);
    bump(&t->lat_count, 1);
}

/* The outcome of one write attempt of @s (a single command or a row of a batch): @st and the
 * server's @rc, @in_doubt when it was sent but its outcome is unknown; @now_us 0 = read the
 * clock. */
/* Settle @s on an answer that is not a plain success: the node answered (an outage may be
 * over), the record counts under @ctr, one debug line says @why. */
static void settle_answered(struct slot *s, enum ctr ctr, const char *why)
{
    struct thread *t = s->th;

    outage_check_over(t);
    count(t, s->part, ctr);
    log_debug(&t->w->log, "%s[%d]@%lld: %s", s->part->topic, (int)s->part->partition, (long long)s->offset, why);
    settle(s);
}

static void complete(struct slot *s, enum status st, int rc, bool in_doubt, const struct err *e,
                     uint64_t now_us)
{
    struct thread *t = s->th;
    const struct worker_topic *tc = s->part->tcfg;
    enum status_class cls;
    char why[ERR_MSG_LEN + 400];
    /* A create-only write whose earlier attempt was sent but never answered (timeout) finds
     * the record existing: that is most likely our own attempt, not a conflict. */
    bool own_create = rc == AERO_RC_ERR_RECORD_EXISTS && s->in_doubt && s->cmd.req.len > 10 &&
                      (s->cmd.req.p[10] & AERO_INFO2_CREATE_ONLY);

    if (in_doubt)
        s->in_doubt = true;
    if (own_create) {
        settle_answered(s, CTR_WRITTEN, "create-only write found the record it created in an unanswered attempt");
        return;
    }
    if (rc == AERO_RC_ERR_FILTERED_OUT) {
        /* only the stale-write guard sends a filter: Aerospike holds a newer record */
        settle_answered(s, CTR_SKIPPED_STALE, "skipped: Aerospike holds a newer record (stale-write-guard)");
        return;
    }
    if (st == ST_OK || (rc != 0 && ignorable(tc, rc)) || (s->is_delete && rc == AERO_RC_ERR_NOT_FOUND)) {
        outage_check_over(t);
        record_latency(t, (now_us ? now_us : clock_mono_us()) - s->submit_us);
        if (st == ST_OK)
            count(t, s->part, s->is_delete ? CTR_DELETED : CTR_WRITTEN);
        else
            count(t, s->part, CTR_SKIPPED_OTHER);
        settle(s);
        return;
    }
    if (st == ST_CANCELLED) {
        s->state = SLOT_NEW;   /* the client is going away: the record stays unsettled */
        return;
    }
    cls = rc ? aero_rc_class(rc) : status_class(st);
    if (rc == AERO_RC_ERR_NAMESPACE && tc->namespace_is_dynamic)
        cls = CLASS_RECORD;
    if (cls == CLASS_RETRIABLE || cls == CLASS_AGAIN) {
        schedule_retry(t, s, "Aerospike writes", e);
        return;
    }
    char dhex[2 * AERO_DIGEST_SZ + 1];
    str_hex(s->cmd.digest, AERO_DIGEST_SZ, dhex);
    /* e->msg names the node and the result code (NAME (n): text) */
    snprintf(why, sizeof(why), "Aerospike %s in namespace %s (digest %s): %s%s",
             s->is_delete ? "delete" : "write", s->cmd.ns, dhex,
             e && e->msg[0] ? e->msg : (aero_rc_name(rc) ? aero_rc_name(rc) : status_name(st)),
             rc == AERO_RC_ERR_ENTERPRISE_ONLY && s->is_delete
                 ? " (aerospike-operation durable-delete: true needs Aerospike Enterprise Edition; "
                   "set it to false on Community Edition)"
                 : "");
    count(t, s->part, CTR_WRITE_FAILURES);
    if (cls == CLASS_RECORD) {
        char pol[64];
        bad_record(t, s, tc->on_write_failure, 2, "org.apache.kafka.connect.errors.ConnectException", why,
                   policy_name(tc->on_write_failure, "on-write-failure", pol, sizeof(pol)));
        return;
    }
    char where[320];
    tp_name(s, where, sizeof(where));
    task_failed(t, where, why);
    give_up(s, true);
}

static void on_reply(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    complete(cmd->ctx, st, cmd->result_code, cmd->in_doubt, e, 0);
}

/* ------------------------------------------------------------------------------------
 * Batch writes: plain writes that become ready during one pass of the thread loop go to their
 * node as one batch request (wire doc §8) instead of one request each. A batch carries one
 * topic's rows (its timeouts and retries). Its rows may be applied twice when the client
 * retries it, so only writes that may repeat go into batches (see batchable).
 * ------------------------------------------------------------------------------------ */

struct wbatch {
    struct aero_batch b;
    struct thread *t;
    struct wbatch *next;           /* the thread's open list or free list */
    struct wbatch *all_next;       /* every batch of the thread (freed with it) */
    struct slot **rows;            /* row i's record; NULL once its result arrived */
    uint32_t cap;
    uint32_t node;
    const struct worker_topic *tc;
};

/* Plain writes only: deletes, create-only and generation writes would not come out the same
 * the second time a retried batch applies them. */
static bool batchable(const struct thread *t, const struct slot *s)
{
    const uint8_t *h = s->cmd.req.p + AERO_PROTO_HEADER_SZ;

    return t->w->cfg.batch_max_records > 1 && !s->is_delete && !s->no_batch &&
           s->cmd.req.len > AERO_PROTO_HEADER_SZ + AERO_MSG_HEADER_SZ &&
           !(h[2] & (AERO_INFO2_DELETE | AERO_INFO2_GENERATION | AERO_INFO2_GENERATION_GT |
                     AERO_INFO2_CREATE_ONLY));
}

static void send_now(struct thread *t, struct slot *s);

/* Hand @s's own request to the client (its submit time set); a refusal is retried later. */
static void submit_single(struct thread *t, struct slot *s)
{
    struct err e;

    err_clear(&e);
    if (aero_submit(t->cl, &s->cmd, &e) != ST_OK)
        schedule_retry(t, s, "Aerospike writes", &e);
}

static void batch_put(struct thread *t, struct wbatch *wb)
{
    wb->next = t->wb_free;
    t->wb_free = wb;
}

/* Rows' results come in row order, and by then their slots (written when the batch was
 * built, a few thousand records ago) are cold: fetch the lines complete() and settle() touch
 * (links, part, thread, times; the request header) a few rows ahead, and the in-flight key
 * entry release_key() looks up two rows ahead. */
#define ROW_PREFETCH_AHEAD 4

static void prefetch_slot(const struct slot *s)
{
    __builtin_prefetch(&s->part);
    __builtin_prefetch(&s->submit_us);
    __builtin_prefetch(&s->cmd);
}

static void on_batch_reply(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    struct wbatch *wb = cmd->ctx;
    struct thread *t = wb->t;
    uint32_t n = wb->b.count;
    uint64_t now = clock_mono_us();
    struct err re = {0};

    if (st == ST_OK) {
        const uint8_t *cur = NULL;
        struct aero_batch_result r;
        enum status rs;
        while ((rs = aero_batch_next_result(cmd, &cur, &r, &re)) == ST_OK) {
            struct slot *s = r.index < n ? wb->rows[r.index] : NULL;
            /* r.index + k < n, written so that a bogus index cannot overflow */
            if (r.index < n - MIN(n, ROW_PREFETCH_AHEAD) && wb->rows[r.index + ROW_PREFETCH_AHEAD])
                prefetch_slot(wb->rows[r.index + ROW_PREFETCH_AHEAD]);
            if (r.index < n - MIN(n, 2) && wb->rows[r.index + 2])    /* its slot is here by now */
                __builtin_prefetch(&t->keytab[key_probe(t, wb->rows[r.index + 2]->key_hash)]);
            if (!s)
                continue;   /* a second result for one row: the first counts */
            wb->rows[r.index] = NULL;
            if (r.result_code == 0) {
                complete(s, ST_OK, 0, false, NULL, now);
            } else {
                const char *name = aero_rc_name(r.result_code), *msg = aero_rc_message(r.result_code);
                err_set(&re, aero_rc_status(r.result_code), "%s (%d): %s (this record's row of a batch write)",
                        name ? name : "result", r.result_code, msg ? msg : "unknown result code");
                complete(s, aero_rc_status(r.result_code), r.result_code, false, &re, now);
            }
        }
        /* rows still without a result (an aborted or malformed reply): maybe applied, maybe
         * not, so in doubt and retried */
        if (rs == ST_EOF)
            err_set(&re, ST_UNAVAILABLE, "batch write: the node did not answer this row");
        for (uint32_t i = 0; i < n; i++)
            if (wb->rows[i]) {
                struct slot *s = wb->rows[i];
                wb->rows[i] = NULL;
                complete(s, ST_UNAVAILABLE, 0, true, &re, now);
            }
    } else if (cmd->result_code && aero_rc_class(cmd->result_code) != CLASS_RETRIABLE) {
        /* the server refused the batch as a whole (one row names an unknown namespace, batches
         * disabled or too big): each record gets its own verdict as a single write, now */
        for (uint32_t i = 0; i < n; i++) {
            struct slot *s = wb->rows[i];
            wb->rows[i] = NULL;
            s->no_batch = true;
            send_now(t, s);
        }
    } else {   /* the batch failed (connection, timeout, server): every row shares its outcome */
        for (uint32_t i = 0; i < n; i++) {
            struct slot *s = wb->rows[i];
            wb->rows[i] = NULL;
            complete(s, st, cmd->result_code, cmd->in_doubt, e, now);
        }
    }
    batch_put(t, wb);
}

/* Take @wb off the open list and hand it to the client (one row goes as its single write). */
static void batch_send(struct thread *t, struct wbatch *wb)
{
    struct wbatch **pp = &t->wb_open;
    struct slot *one = wb->b.count == 1 ? wb->rows[0] : NULL;
    struct err e = {0};

    uint64_t now = clock_mono_us();

    while (*pp != wb)
        pp = &(*pp)->next;
    *pp = wb->next;
    for (uint32_t i = 0; i < wb->b.count; i++)
        wb->rows[i]->submit_us = now;
    if (wb->b.count <= 1) {
        wb->rows[0] = NULL;
        batch_put(t, wb);
        if (one)
            submit_single(t, one);
        return;
    }
    wb->b.cmd.socket_timeout_ms = wb->tc->socket_timeout_ms;
    wb->b.cmd.total_timeout_ms = wb->tc->total_timeout_ms;
    wb->b.cmd.max_retries = wb->tc->max_retries;
    wb->b.cmd.sleep_between_retries_ms = wb->tc->sleep_between_retries_ms;
    wb->b.cmd.cb = on_batch_reply;
    wb->b.cmd.ctx = wb;
    if (aero_batch_end(&wb->b, &e) == ST_OK && aero_submit(t->cl, &wb->b.cmd, &e) == ST_OK)
        return;
    for (uint32_t i = 0; i < wb->b.count; i++) {
        struct slot *s = wb->rows[i];
        wb->rows[i] = NULL;
        schedule_retry(t, s, "Aerospike writes", &e);
    }
    batch_put(t, wb);
}

static void flush_batches(struct thread *t)
{
    while (t->wb_open)
        batch_send(t, t->wb_open);
}

/* Add @s to the open batch for its node and topic; false when it must go singly. */
static bool batch_add(struct thread *t, struct slot *s)
{
    const struct worker_topic *tc = s->part->tcfg;
    uint32_t max = t->w->cfg.batch_max_records;
    uint32_t node = aero_client_batch_node_of(t->cl, s->cmd.ns, s->cmd.digest);
    struct wbatch *wb;
    struct err e;

    if (node == UINT32_MAX)
        return false;
    for (wb = t->wb_open; wb && (wb->node != node || wb->tc != tc); wb = wb->next)
        ;
    if (!wb) {
        if ((wb = t->wb_free)) {
            t->wb_free = wb->next;
        } else {
            if (!(wb = mem_calloc(1, sizeof(*wb))))
                return false;
            wb->t = t;
            wb->all_next = t->wb_all;
            t->wb_all = wb;
        }
        if (wb->cap < max) {
            struct slot **rows = mem_realloc(wb->rows, max * sizeof(*rows));
            if (!rows) {
                batch_put(t, wb);
                return false;
            }
            wb->rows = rows;
            wb->cap = max;
        }
        if (aero_batch_begin(&wb->b, &e) != ST_OK) {
            batch_put(t, wb);
            return false;
        }
        wb->node = node;
        wb->tc = tc;
        wb->next = t->wb_open;
        t->wb_open = wb;
    }
    if (aero_batch_add(&wb->b, wb->b.count, s->cmd.req.p, s->cmd.req.len, &e) != ST_OK)
        return false;   /* not a request a batch can carry: it goes singly */
    wb->rows[wb->b.count - 1] = s;
    if (wb->b.count >= max)
        batch_send(t, wb);   /* full: the rest of this pass opens another */
    return true;
}

static void send_now(struct thread *t, struct slot *s)
{
    s->state = SLOT_IN_FLIGHT;
    if (batchable(t, s) && batch_add(t, s))
        return;   /* its submit time is set when the batch leaves */
    s->submit_us = clock_mono_us();
    submit_single(t, s);
}

/* Room for one more command in the client: at most SUBMIT_MAX requests per thread, single
 * writes or batches (a batch carries up to batch-max-records records, so more records are in
 * flight and each goes out while its request is still in the cache). */
static bool client_room(const struct thread *t)
{
    return aero_client_inflight(t->cl) < SUBMIT_MAX;
}

static void submit(struct slot *s)
{
    struct thread *t = s->th;

    if (t->w->cfg.dry_run || !t->cl) {
        count(t, s->part, s->is_delete ? CTR_DELETED : CTR_WRITTEN);
        settle_later(s, false);
        return;
    }
    if (!client_room(t) || t->sq_head) {
        s->state = SLOT_READY;
        s->sq_next = NULL;
        if (t->sq_tail)
            t->sq_tail->sq_next = s;
        else
            t->sq_head = s;
        t->sq_tail = s;
        return;
    }
    send_now(t, s);
}

/* Move queued key holders into the client as replies make room. */
static void pump(struct thread *t)
{
    while (t->sq_head && client_room(t)) {
        struct slot *s = t->sq_head;
        t->sq_head = s->sq_next;
        if (!t->sq_head)
            t->sq_tail = NULL;
        s->sq_next = NULL;
        send_now(t, s);
    }
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
 * One record
 * ------------------------------------------------------------------------------------ */

static size_t collect_headers(struct thread *t, kafka_message *m)
{
    rd_kafka_headers_t *hs = NULL;
    const char *name;
    const void *val;
    size_t len, n = 0;

    if (kafka_message_detached(m) ||   /* not with a mapping that reads headers (detachable()) */
        rd_kafka_message_headers(m, &hs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    for (size_t i = 0; rd_kafka_header_get_all(hs, i, &name, &val, &len) == 0; i++) {
        if (!mem_grow(&t->hdrs, &t->hdr_cap, n + 1, sizeof(*t->hdrs), 16))
            break;
        t->hdrs[n++] = (struct mapping_header){name, val, len};
    }
    return n;
}

/* What start_encode did with a record. */
enum started {
    STARTED,           /* submitted, waiting behind its key, or settled (skipped, bad, ...) */
    STARTED_HELD,      /* a retriable failure: retried later, nothing more is started till then */
    STARTED_DIGEST,    /* encoded but for its key digest: start_finish once the caller has it */
};

static void start_finish(struct thread *t, struct slot *s, const struct mapping_result *res);

/* First half of starting a record: decode and map it. With @digest_block the key digest may
 * be left to the caller (STARTED_DIGEST: @res and @digest_block describe it). */
static enum started start_encode(struct thread *t, struct slot *s, struct mapping_result *res,
                                 uint8_t *digest_block)
{
    struct worker *w = t->w;
    struct part *p = s->part;
    const struct worker_topic *tc = p->tcfg;
    kafka_message *m = s->msg;
    struct err e;               /* err_clear, not = {0}: no 520-byte memset per record */
    struct mapping_input in;
    enum status st;
    uint32_t ttl_ms;
    int stage = 0;

    err_clear(&e);

    st = conv_decode(t->kconv, m->key, m->key ? m->key_len : 0, t->kdoc, &e);
    if (st == ST_OK) {
        stage = 1;
        st = conv_decode(t->vconv, m->payload, m->payload ? m->len : 0, t->vdoc, &e);
    }
    if (st != ST_OK) {
        if (stage == 0)
            err_prefix(&e, "key");
        if (status_class(st) == CLASS_RETRIABLE) {
            schedule_retry(t, s, "Record decoding", &e);
            s->state = SLOT_RETRY_START;
            return STARTED_HELD;
        }
        if (status_class(st) == CLASS_FATAL) {
            worker__fail(w, "%s[%d]@%lld: %s", p->topic, (int)p->partition, (long long)s->offset, e.msg);
            give_up(s, true);
            return STARTED;
        }
        conversion_failed(t, s, stage, &e);
        return STARTED;
    }

    ttl_ms = tc->socket_timeout_ms && tc->socket_timeout_ms < tc->total_timeout_ms ? tc->socket_timeout_ms
                                                                                     : tc->total_timeout_ms;
    in = (struct mapping_input){.key = t->kdoc, .value = t->vdoc, .headers = t->hdrs, .n_headers = 0,
                                .now_ms = t->wall_ms, .kafka_ts_ms = -1,
                                .transaction_ttl_ms = ttl_ms, .digest_block = digest_block};
    if (mapping_uses_headers(tc->mapping))
        in.n_headers = collect_headers(t, m);
    if (mapping_uses_kafka_ts(tc->mapping))   /* a line of librdkafka's message read for nothing else */
        in.kafka_ts_ms = kafka_message_timestamp(m);
    in.headers = t->hdrs;
    buf_reset(&s->cmd.req);
    st = mapping_encode(tc->mapping, &in, &s->cmd.req, res, &e);
    if (st != ST_OK) {
        if (status_class(st) == CLASS_RECORD) {
            char pol[64];
            bad_record(t, s, tc->on_invalid, 2, "org.apache.kafka.connect.errors.DataException", e.msg,
                       policy_name(tc->on_invalid, "invalid-record", pol, sizeof(pol)));
        } else {
            worker__fail(w, "%s[%d]@%lld: %s", p->topic, (int)p->partition, (long long)s->offset, e.msg);
            give_up(s, true);
        }
        return STARTED;
    }
    if (res->action == MAPPING_SKIP) {
        bool tomb = strstr(res->skip_reason, "tombstone") != NULL;
        count(t, p, tomb ? CTR_SKIPPED_TOMBSTONE : CTR_SKIPPED_OTHER);
        if (log_allowed(t)) {
            char where[320];
            log_info(&w->log, "skipped %s: %s%s", tp_name(s, where, sizeof(where)), res->skip_reason,
                     tomb ? " (on-null-value: ignore)" : "");
        }
        settle(s);
        return STARTED;
    }
    if (res->digest_deferred)
        return STARTED_DIGEST;
    start_finish(t, s, res);
    return STARTED;
}

/* Second half: route by the digest and submit (or wait behind the record's key). */
static void start_finish(struct thread *t, struct slot *s, const struct mapping_result *res)
{
    const struct worker_topic *tc = s->part->tcfg;

    s->is_delete = res->action == MAPPING_DELETE;
    if (!res->repeatable)
        s->no_batch = true;   /* list-append / increment: a replayed batch would repeat it */
    aero_cmd_route(&s->cmd, res->ns, res->digest, true);
    s->cmd.socket_timeout_ms = tc->socket_timeout_ms;
    s->cmd.total_timeout_ms = tc->total_timeout_ms;
    s->cmd.max_retries = tc->max_retries;
    s->cmd.sleep_between_retries_ms = tc->sleep_between_retries_ms;
    s->cmd.cb = on_reply;
    s->cmd.ctx = s;
    s->key_hash = hash_key(res->ns, res->digest);
    /* The request holds everything a (re)send needs: release librdkafka's fetch buffer now
     * unless a write failure may still need the original bytes for the dead-letter queue. */
    if (tc->on_write_failure != WORKER_DEAD_LETTER) {
        discard_msg(t, s->msg);
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
        return;
    }
    key_insert(t, s);
    submit(s);
}

/* Decode, map and submit (or settle) one record, its digest computed here. Returns false when
 * it must be retried later (a retriable decode failure, e.g. the schema registry is down): the
 * thread then starts no other record until it went through, so no later record of the same
 * key overtakes it. start_some starts records the same way, in two halves (process). */
static bool start(struct thread *t, struct slot *s)
{
    struct mapping_result res;

    return start_encode(t, s, &res, NULL) != STARTED_HELD;
}

/* Compute the digests of the records start_encode left waiting for them, together, and start
 * them on in the order they came. */
static void flush_digests(struct thread *t)
{
    if (t->n_dig == 0)
        return;
    aero_digest_blocks((const uint8_t (*)[AERO_DIGEST_BLOCK_SZ])t->dig_block, t->n_dig, t->dig_out);
    for (size_t i = 0; i < t->n_dig; i++) {
        mapping_set_digest(&t->dig_slot[i]->cmd.req, &t->dig_res[i], t->dig_out[i]);
        start_finish(t, t->dig_slot[i], &t->dig_res[i]);
    }
    t->n_dig = 0;
}

/* A record whose start failed retriably is due again. */
static void retry_start(struct slot *s)
{
    struct thread *t = s->th;
    s->state = SLOT_NEW;
    if (start(t, s))
        t->held = false;
}

/* Start a record taken from the inbox. One whose key digest the mapping left to us waits in
 * the thread's digest group until it is full or start_some is done (flush_digests), so the
 * digests of up to DIGEST_GROUP records are computed together. */
static void process(struct thread *t, const struct inbox_item *it)
{
    struct slot *s;

    count(t, it->part, CTR_CONSUMED);
    s = slot_get(t);
    if (!s) {
        worker__fail(t->w, "out of memory for record slots");
        discard_msg(t, it->msg);
        report(t, it->part, it->seq, OUT_LEFT);
        return;
    }
    s->msg = it->msg;
    s->part = it->part;
    s->seq = it->seq;
    s->offset = it->msg->offset;
    switch (start_encode(t, s, &t->dig_res[t->n_dig], t->dig_block[t->n_dig])) {
    case STARTED_HELD:
        t->held = true;
        break;
    case STARTED_DIGEST:
        t->dig_slot[t->n_dig++] = s;
        if (t->n_dig == DIGEST_GROUP)
            flush_digests(t);
        break;
    case STARTED:
        break;
    }
}

/* ------------------------------------------------------------------------------------
 * The thread
 * ------------------------------------------------------------------------------------ */

static void flush_outbox(struct thread *t)
{
    if (t->out_local_n == 0 && t->gc_local_n == 0)
        return;
    pthread_mutex_lock(&t->mu);
    if (t->gc_local_n) {
        if (mem_grow(&t->gc, &t->gc_cap, t->gc_n + t->gc_local_n, sizeof(*t->gc), 1024)) {
            memcpy(t->gc + t->gc_n, t->gc_local, t->gc_local_n * sizeof(*t->gc));
            t->gc_n += t->gc_local_n;
        } else {
            for (size_t i = 0; i < t->gc_local_n; i++)   /* no memory: free them here (cells */
                kafka_message_free(t->gc_local[i]);      /* of detached ones: at the end) */
        }
        t->gc_local_n = 0;
    }
    if (t->out_local_n == 0) {
        pthread_mutex_unlock(&t->mu);
        return;
    }
    if (!mem_grow(&t->outbox, &t->outbox_cap, t->outbox_n + t->out_local_n, sizeof(*t->outbox), 1024)) {
        pthread_mutex_unlock(&t->mu);
        worker__fail(t->w, "out of memory reporting record outcomes");
        return;
    }
    memcpy(t->outbox + t->outbox_n, t->out_local, t->out_local_n * sizeof(*t->out_local));
    t->outbox_n += t->out_local_n;
    pthread_mutex_unlock(&t->mu);
    t->out_local_n = 0;
    atomic_store_explicit(&t->last_done_ms, clock_mono_ms(), memory_order_relaxed);
}

void worker__thread_wake(struct thread *t)
{
    if (t->cl) {
        aero_client_wake(t->cl);
    } else {
        uint64_t one = 1;
        ssize_t r = write(t->evfd, &one, sizeof(one));
        (void)r;
    }
}

/* The key and the first PREFETCH_VALUE_LINES lines of the value of @m (its header lines
 * already fetched): queued behind up to max-queued-records others, they are cold. */
#define PREFETCH_VALUE_LINES 4

static void prefetch_record_bytes(const kafka_message *m)
{
    const char *v = m->payload;
    size_t lines = (m->len + 63) / 64;

    if (m->key)
        __builtin_prefetch(m->key);
    if (!v)
        return;
    if (lines > PREFETCH_VALUE_LINES)
        lines = PREFETCH_VALUE_LINES;
    for (size_t i = 0; i < lines; i++)
        __builtin_prefetch(v + 64 * i);
}

/* Start records while there is room: a bounded number of started records keeps slots, request
 * buffers and the client's queues small; the rest wait as Kafka messages. */
static size_t start_some(struct thread *t)
{
    struct worker *w = t->w;
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
    t->wall_ms = clock_wall_ms();   /* "now" of the mappings (TTLs in seconds) in this pass */
    while (!t->held && t->work_pos < t->work_n && t->active < t->active_max) {
        struct inbox_item *it = &t->work[t->work_pos++];
        n++;
        /* Both are cold: the items were written by the consumer thread on another core, and
         * librdkafka's message long ago. Fetch the items 16 ahead and, once their line is
         * here, the message 8 ahead, so neither is waited for. */
        if (t->work_pos + 16 < t->work_n)
            __builtin_prefetch(&t->work[t->work_pos + 16]);
        if (t->work_pos + 8 < t->work_n) {
            const kafka_message *m8 = t->work[t->work_pos + 8].msg;
            __builtin_prefetch(&m8->payload);
            __builtin_prefetch(&m8->offset);
        }
        if (t->work_pos + 4 < t->work_n)
            prefetch_record_bytes(t->work[t->work_pos + 4].msg);
        if (atomic_load_explicit(&it->part->revoked, memory_order_acquire) ||
            !still_wanted(w, it->part, it->msg->offset)) {
            /* not started: the next owner (or the restart) reads it again */
            discard_msg(t, it->msg);
            report(t, it->part, it->seq, OUT_LEFT);
            continue;
        }
        process(t, it);
    }
    flush_digests(t);
    return n;
}

void *worker__thread_main(void *arg)
{
    struct thread *t = arg;

    while (!atomic_load(&t->quit)) {
        size_t n = start_some(t);
        run_ready(t);
        run_due_retries(t);
        pump(t);
        run_ready(t);
        if (t->dlq_pending)
            kafka_producer_poll(t->dlq, 0);
        bool more = !t->held && t->work_pos < t->work_n && t->active < t->active_max;
        int timeout = n && more ? 0 : next_retry_in(t, t->dlq_pending ? 5 : 100);
        if (t->cl) {
            flush_batches(t);
            aero_client_poll(t->cl, timeout);
            pump(t);
            run_ready(t);
        } else if (timeout > 0 && !t->out_local_n) {
            struct pollfd pfd = {t->evfd, POLLIN, 0};
            if (poll(&pfd, 1, timeout) > 0) {
                uint64_t v;
                ssize_t r = read(t->evfd, &v, sizeof(v));
                (void)r;
            }
        }
        flush_outbox(t);
        if (t->log_suppressed)
            log_flush(t, false);
    }
    /* deliveries still owed by the DLQ settle here, before the slots go away */
    /* at most 30 s, and not past a requested stop's drain deadline (read after quit, which
     * the consumer thread stores, seq_cst, after setting it): a delivery left unanswered is
     * not settled, so its record is read again */
    uint64_t until = clock_mono_ms() + 30000;
    if (t->w->stop_deadline && t->w->stop_deadline < until)
        until = t->w->stop_deadline;
    for (; t->dlq_pending && clock_mono_ms() < until;)
        kafka_producer_poll(t->dlq, 50);
    flush_outbox(t);
    log_flush(t, true);
    return NULL;
}

enum status worker__thread_init(struct worker *w, struct thread *t, int idx, struct err *e)
{
    t->w = w;
    t->idx = idx;
    t->evfd = -1;
    pthread_mutex_init(&t->mu, NULL);
    t->active_max = ACTIVE_MIN;
    if ((size_t)w->cfg.batch_max_records * 4 > t->active_max)
        t->active_max = (size_t)w->cfg.batch_max_records * 4;
    t->keycap = 1024;
    while (t->keycap < t->active_max * 4)
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
    if (w->cfg.dlq_topic && *w->cfg.dlq_topic) {
        t->dlq = kafka_producer_new_async(w->cfg.bootstrap, w->cfg.producer_props, dlq_delivered, t, e);
        if (!t->dlq)
            return err_prefix(e, "dead-letter producer");
    }
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

void worker__thread_free(struct thread *t)
{
    aero_client_free(t->cl);   /* cancels anything still in flight */
    t->cl = NULL;
    for (struct wbatch *wb = t->wb_all, *next; wb; wb = next) {
        next = wb->all_next;
        aero_cmd_free(&wb->b.cmd);
        mem_free(wb->rows);
        mem_free(wb);
    }
    t->wb_all = t->wb_open = t->wb_free = NULL;
    if (t->dlq && t->dlq_pending)
        kafka_producer_poll(t->dlq, 0);
    kafka_producer_free(t->dlq);   /* flushes: deliveries may still settle slots */
    t->dlq = NULL;
    for (size_t i = 0; i < t->n_chunks; i++) {
        for (size_t j = 0; j < SLOT_CHUNK; j++) {
            kafka_message_free(t->chunks[i][j].msg);
            mem_free(t->chunks[i][j].dlq_why);
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
    mem_free(t->outbox);
    mem_free(t->out_local);
    mem_free(t->out_spare);
    for (size_t i = 0; i < t->gc_local_n; i++)
        kafka_message_free(t->gc_local[i]);
    for (size_t i = 0; i < t->gc_n; i++)
        kafka_message_free(t->gc[i]);
    mem_free(t->gc_local);
    mem_free(t->gc);
    mem_free(t->gc_spare);
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
