/* src/worker/worker.c: the consumer thread of one connector task (worker_run) and the task's
 * life cycle. See worker_int.h for the record flow.
 *
 * The consumer thread fetches batches, gives each record its sequence number in its partition,
 * routes it to a processing thread by Kafka key, applies the outcomes the threads report,
 * moves each partition's watermark, commits the watermarks every offset.flush.interval.ms,
 * pauses on max-queued-records, handles rebalances and drains on stop.
 *
 * Invariants: a watermark never passes a record that was not settled (OUT_DONE); a record's
 * outcome is applied exactly once; a partition's state is only ever touched by this thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker_int.h"

/* ------------------------------------------------------------------------------------
 * Configuration copies
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

/* ------------------------------------------------------------------------------------
 * Partitions: table, outcome rings, watermarks
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

static void free_part(struct part *p)
{
    if (!p)
        return;
    mem_free(p->offs);
    mem_free(p->outs);
    mem_free(p->topic);
    mem_free(p);
}

/* Room for one more record in @p's ring (doubles it when full: bounded by the records in
 * flight, so it stops growing once warm). */
static bool ring_room(struct part *p)
{
    size_t cap;
    int64_t *offs;
    uint8_t *outs;

    if (p->next_seq - p->head_seq < p->ring_cap)
        return true;
    cap = p->ring_cap ? p->ring_cap * 2 : 256;
    offs = mem_malloc(cap * sizeof(*offs));
    outs = mem_calloc(cap, 1);
    if (!offs || !outs) {
        mem_free(offs);
        mem_free(outs);
        return false;
    }
    for (uint64_t s = p->head_seq; s < p->next_seq; s++) {
        offs[s & (cap - 1)] = p->offs[s & (p->ring_cap - 1)];
        outs[s & (cap - 1)] = p->outs[s & (p->ring_cap - 1)];
    }
    mem_free(p->offs);
    mem_free(p->outs);
    p->offs = offs;
    p->outs = outs;
    p->ring_cap = cap;
    return true;
}

/* Record @seq's outcome and advance the watermark over the settled prefix. */
static void apply_outcome(struct worker *w, struct part *p, uint64_t seq, uint8_t outcome)
{
    size_t mask = p->ring_cap - 1;
    bool moved = false;

    p->outs[seq & mask] = outcome;
    p->pending--;
    w->pending_total--;
    while (p->head_seq < p->next_seq && p->outs[p->head_seq & mask] == OUT_DONE) {
        p->next_commit = p->offs[p->head_seq & mask] + 1;
        p->outs[p->head_seq & mask] = OUT_PENDING;
        p->head_seq++;
        moved = true;
    }
    if (p->head_seq < p->next_seq && p->outs[p->head_seq & mask] == OUT_LEFT)
        p->blocked = true;
    if (moved)
        atomic_store_explicit(&p->next_commit_a, p->next_commit, memory_order_relaxed);
    atomic_store_explicit(&p->pending_a, p->pending, memory_order_relaxed);
}

/* --- detached messages ---------------------------------------------------------------- */

static void *cell_get(struct worker *w)
{
    struct cell_pool *cp = &w->cells;

    for (size_t k = 0; k < CELL_SCAN && cp->n; k++) {
        size_t i = cp->next;
        cp->next = i + 1 == cp->n ? 0 : i + 1;
        if (!cp->used[i]) {
            cp->used[i] = 1;
            cp->n_used++;
            return cp->arena + i * CELL_SZ;
        }
    }
    return NULL;    /* none free nearby (or no arena): the message stays librdkafka's */
}

static bool cell_of(const struct worker *w, const void *p, size_t *idx)
{
    const uint8_t *b = p;

    if (!w->cells.arena || b < w->cells.arena || b >= w->cells.arena + w->cells.n * CELL_SZ)
        return false;
    *idx = (size_t)(b - w->cells.arena) / CELL_SZ;
    return true;
}

static void cell_put(struct worker *w, size_t i)
{
    w->cells.used[i] = 0;
    if (--w->cells.n_used == 0)
        w->cells.next = 0;    /* all back: start over, so a slow stream touches few pages */
}

/* A message the worker is done with: librdkafka's are destroyed, detached ones' cells freed. */
static void msg_release(struct worker *w, kafka_message *m)
{
    size_t i;

    if (cell_of(w, m, &i))
        cell_put(w, i);
    else
        kafka_message_free(m);
}

/* Whether messages of @tc may be detached: nothing after the decoding needs more of them than
 * partition, offset, key and value. Not with a dead-letter queue (its records carry the
 * original's headers and timestamp; conversion failures go there under errors.tolerance=all
 * whatever the topic's policies), nor with a mapping that reads headers or the timestamp. */
static bool detachable(const struct worker *w, const struct worker_topic *tc)
{
    return tc && !(w->cfg.dlq_topic && *w->cfg.dlq_topic) && tc->on_invalid != WORKER_DEAD_LETTER &&
           tc->on_write_failure != WORKER_DEAD_LETTER &&
           (!tc->mapping || (!mapping_uses_headers(tc->mapping) && !mapping_uses_kafka_ts(tc->mapping)));
}

/* Apply every outcome the processing threads reported since the last call. */
static void drain_outboxes(struct worker *w)
{
    for (int i = 0; i < w->nth; i++) {
        struct thread *t = &w->th[i];
        struct outbox_item *items;
        kafka_message **gc;
        size_t n, cap, gn, gcap;

        pthread_mutex_lock(&t->mu);
        items = t->outbox;
        n = t->outbox_n;
        cap = t->outbox_cap;
        t->outbox = t->out_spare;
        t->outbox_cap = t->out_spare_cap;
        t->outbox_n = 0;
        gc = t->gc;
        gn = t->gc_n;
        gcap = t->gc_cap;
        t->gc = t->gc_spare;
        t->gc_cap = t->gc_spare_cap;
        t->gc_n = 0;
        pthread_mutex_unlock(&t->mu);
        for (size_t k = 0; k < n; k++)
            apply_outcome(w, items[k].part, items[k].seq, items[k].outcome);
        for (size_t k = 0; k < gn; k++)
            msg_release(w, gc[k]);
        t->out_spare = items;
        t->out_spare_cap = cap;
        t->gc_spare = gc;
        t->gc_spare_cap = gcap;
    }
    atomic_store_explicit(&w->pending_a, w->pending_total, memory_order_relaxed);
}

static const struct worker_topic *topic_cfg(struct worker *w, const char *topic, size_t *idx)
{
    for (size_t i = 0; i < w->cfg.n_topic_cfgs; i++)
        if (strcmp(w->tcfgs[i].name, topic) == 0) {
            *idx = i;
            return &w->tcfgs[i];
        }
    return NULL;
}

static void on_assign(void *ctx, const struct kafka_tp *tps, size_t n)
{
    struct worker *w = ctx;

    for (size_t i = 0; i < n; i++) {
        size_t tidx = 0;
        const struct worker_topic *tc = topic_cfg(w, tps[i].topic, &tidx);
        struct part *p;
        size_t hb;
        if (!tc) {
            log_error(&w->log, "assigned %s[%d], but the mapping file has no topics.%s entry", tps[i].topic,
                      (int)tps[i].partition, tps[i].topic);
            worker__fail(w, "consumed topic '%s' has no mapping (add topics.%s to the aerospike config)",
                         tps[i].topic, tps[i].topic);
            continue;
        }
        if (part_find(w, tps[i].topic, tps[i].partition))
            continue;
        p = mem_calloc(1, sizeof(*p));
        if (!p || !(p->topic = mem_strdup(tps[i].topic)) || !ring_room(p)) {
            free_part(p);
            worker__fail(w, "out of memory assigning %s[%d]", tps[i].topic, (int)tps[i].partition);
            continue;
        }
        p->partition = tps[i].partition;
        p->tcfg = tc;
        p->detach = detachable(w, tc);
        p->tidx = tidx;
        p->next_commit = p->committed = p->next_fetch = -1;
        p->rx_ms = clock_mono_ms();   /* its first fetch gets the same grace as any other */
        p->stall_ms = REFETCH_AFTER_MS;
        atomic_store(&p->fail_offset, INT64_MAX);
        atomic_store(&p->position_a, -1);
        atomic_store(&p->committed_a, -1);
        atomic_store(&p->next_commit_a, -1);
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

/* A commit of @tp succeeded (synchronous result or asynchronous callback). */
static void committed(struct worker *w, struct part *p, int64_t offset)
{
    if (offset <= p->committed)
        return;
    if (p->committed >= 0)
        atomic_fetch_add(&w->committed_records, (uint64_t)(offset - p->committed));
    p->committed = offset;
    atomic_store_explicit(&p->committed_a, offset, memory_order_relaxed);
}

static struct part *part_or_zombie(struct worker *w, const char *topic, int32_t partition)
{
    struct part *p = part_find(w, topic, partition);
    for (struct part *z = w->zombies; !p && z; z = z->znext)
        if (z->partition == partition && strcmp(z->topic, topic) == 0)
            p = z;
    return p;
}

/* Outcome of a commit; a failed one is simply sent again next time (the watermark is still
 * ahead of p->committed), and the revoke/stop commit is synchronous. */
static void on_commit(void *ctx, const struct kafka_tp *tps, const int *errs, size_t n)
{
    struct worker *w = ctx;
    uint64_t now = clock_mono_ms();
    for (size_t i = 0; i < n; i++) {
        struct part *p = part_or_zombie(w, tps[i].topic, tps[i].partition);
        if (!errs[i]) {
            if (p)
                committed(w, p, tps[i].offset);
            continue;
        }
        /* refused commits (typically "rebalance in progress") are sent again: one line per window */
        w->commit_failures++;
        if (now - w->commit_fail_logged >= LOG_WINDOW_MS) {
            log_info(&w->log, "offset commit of %s[%d]@%lld refused (%s); %llu refused since the last such line, "
                     "all are sent again", tps[i].topic, (int)tps[i].partition, (long long)tps[i].offset,
                     rd_kafka_err2str((rd_kafka_resp_err_t)errs[i]), (unsigned long long)w->commit_failures);
            w->commit_fail_logged = now;
            w->commit_failures = 0;
        }
    }
}

static void commit_batch(struct worker *w, struct part **ps, struct kafka_tp *tps, size_t k, bool sync)
{
    int errs[256];
    struct err e = {0};

    if (kafka_commit(w->kc, tps, k, sync, sync ? errs : NULL, &e) != ST_OK)
        log_warn(&w->log, "offset commit failed: %s%s", e.msg,
                 sync ? " (those records are read again by whoever owns the partition next)" : "; it is sent again");
    if (!sync)
        return;
    for (size_t i = 0; i < k; i++)
        if (!errs[i])
            committed(w, ps[i], tps[i].offset);
}

static void commit_parts(struct worker *w, struct part **ps, size_t n, bool sync)
{
    struct kafka_tp tps[256];
    struct part *which[256];
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        int64_t nc = ps[i]->next_commit;
        if (nc < 0 || nc <= ps[i]->committed)
            continue;
        which[k] = ps[i];
        tps[k++] = (struct kafka_tp){ps[i]->topic, ps[i]->partition, nc};
        if (k == ARRAY_LEN(tps)) {
            commit_batch(w, which, tps, k, sync);
            k = 0;
        }
    }
    if (k)
        commit_batch(w, which, tps, k, sync);
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

static void wake_all(struct worker *w)
{
    for (int i = 0; i < w->nth; i++)
        worker__thread_wake(&w->th[i]);
}

/* A stop (a non-zero *stop, or the task failed) fixes its deadline where it is first seen:
 * the consumer loop, or the wait of a revocation (the group's rebalance, or the one the close
 * at the end of the stop makes). Every wait of the stop ends then, so the whole stop takes one
 * drain timeout at most. */
static void note_stop(struct worker *w, uint64_t now)
{
    if (w->stop_deadline || !((w->stop && *w->stop) || atomic_load(&w->failed)))
        return;
    w->stop_ms = now;
    w->stop_deadline = now + w->cfg.drain_timeout_ms;
}

/* A second stop request (WORKER_STOP_NOW): no waiting for records in flight any longer. Says
 * so once. */
static bool stop_now(struct worker *w)
{
    if (!w->stop || *w->stop != WORKER_STOP_NOW)
        return false;
    if (!w->cut_short) {
        w->cut_short = true;
        log_warn(&w->log, "stop requested again: not waiting for the %llu in-flight record(s) any longer; "
                 "committing only what Aerospike acknowledged", (unsigned long long)w->pending_total);
    }
    return true;
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
    wake_all(w);
    /* let started records finish so their offsets can be committed before the handover; a
     * stop's wait ends with its drain deadline (no second drain timeout), or at once when the
     * stop is requested again */
    deadline = clock_mono_ms() + REVOKE_WAIT_MS;
    for (;;) {
        bool busy = false;
        uint64_t now;
        drain_outboxes(w);
        for (size_t i = 0; i < k; i++)
            busy |= rev[i]->pending > 0;
        now = clock_mono_ms();
        note_stop(w, now);
        if (!busy || now >= (w->stop_deadline ? MIN(deadline, w->stop_deadline) : deadline) || stop_now(w))
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
        if (p->pending > 0) {
            if (!w->stopping)   /* a stop says it in its last line */
                log_warn(&w->log, "%s[%d] revoked with %llu record(s) still in flight; their writes continue and "
                         "the next owner re-reads them (at-least-once)", p->topic, (int)p->partition,
                         (unsigned long long)p->pending);
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

static void reap_zombies(struct worker *w)
{
    struct part **pp = &w->zombies;
    while (*pp) {
        struct part *p = *pp;
        if (p->pending == 0) {
            *pp = p->znext;
            free_part(p);
        } else {
            pp = &p->znext;
        }
    }
}

/* The cluster id, once librdkafka's metadata has it (no wait: only what it knows already). */
static void learn_cluster_id(struct worker *w)
{
    if (!atomic_load_explicit(&w->cluster_id_known, memory_order_relaxed) &&
        kafka_consumer_cluster_id(w->kc, w->cluster_id, sizeof(w->cluster_id), 0))
        atomic_store_explicit(&w->cluster_id_known, true, memory_order_release);
}

bool worker_kafka_cluster_id(struct worker *w, char *out, size_t cap)
{
    if (!atomic_load_explicit(&w->cluster_id_known, memory_order_acquire))
        return false;
    snprintf(out, cap, "%s", w->cluster_id);
    return true;
}

/* librdkafka's own lines, in our format and level: its errors are debug here (on_kafka_error
 * reports each as a warning already), its warnings warnings, the rest debug. */
static void on_kafka_log(void *ctx, int level, const char *fac, const char *msg)
{
    struct worker *w = ctx;
    if (level == 4)
        log_warn(&w->log, "Kafka %s: %s", fac, msg);
    else
        log_debug(&w->log, "Kafka %s: %s", fac, msg);
}

static void on_kafka_error(void *ctx, enum status st, const char *msg)
{
    struct worker *w = ctx;
    if (st == ST_FATAL) {
        log_error(&w->log, "Kafka: %s", msg);
        worker__fail(w, "Kafka: %s", msg);
    } else {
        log_warn(&w->log, "Kafka: %s", msg);
    }
}

/* ------------------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------------------ */

static bool inbox_push(struct thread *t, const struct inbox_item *it)
{
    if (!mem_grow(&t->inbox, &t->inbox_cap, t->inbox_n + 1, sizeof(*t->inbox), 4096))
        return false;
    t->inbox[t->inbox_n++] = *it;
    return true;
}

/* Work is split by Kafka key, as the original connector does: every record of a key goes to
 * one thread, in order. Records without a key stay together by partition. */
static int route(const struct worker *w, const kafka_message *m)
{
    uint64_t h = 1469598103934665603ull;
    if (w->nth == 1)
        return 0;
    if (m->key && m->key_len) {
        const uint8_t *k = m->key;
        for (size_t i = 0; i < m->key_len; i++)
            h = (h ^ k[i]) * 1099511628211ull;
    } else {
        h ^= (uint64_t)(uint32_t)m->partition * 0x9e3779b97f4a7c15ull;
    }
    return (int)((h ^ (h >> 29)) % (uint64_t)w->nth);
}

/* Records of @p arrived at @now after a refetch: learn how long a refetch takes, unless our
 * own queue was full meanwhile (we took nothing then: the wait says nothing about Kafka). */
static void refetch_answered(const struct worker *w, struct part *p, uint64_t now)
{
    uint64_t took = now - p->refetch_ms, want = MAX((uint64_t)REFETCH_AFTER_MS, 2 * took);

    if (w->full_last_ms < p->refetch_ms) {
        want = MIN(want, (uint64_t)REFETCH_MAX_MS);
        p->stall_ms = (uint32_t)((p->stall_ms + want) / 2);   /* one slow answer is not a trend */
    }
    p->refetch_ms = 0;
    p->refetch_streak = 0;
}

/* How long @p may stay silent, with records waiting in Kafka, before it is refetched. */
static uint64_t stall_after(const struct part *p)
{
    uint64_t t = (uint64_t)p->stall_ms << MIN(p->refetch_streak, 6);
    return MIN(t, (uint64_t)REFETCH_MAX_MS);
}

static void dispatch(struct worker *w, kafka_message **msgs, size_t n)
{
    bool touched[64] = {false};
    uint64_t now = clock_mono_ms();

    if (!w->first_record_ms && n)
        w->first_record_ms = now;
    /* Copy what the records need out of librdkafka's memory now, while it is warm, before
     * they queue behind thousands of others (outside the threads' locks). */
    uint64_t detached = 0;
    for (size_t i = 0; i < n; i++) {
        kafka_message *m = msgs[i], *d;
        struct part *p = w->dparts[i] = part_find(w, rd_kafka_topic_name(m->rkt), m->partition);
        void *cell;
        if (p && p->detach && m->offset >= p->next_fetch && (cell = cell_get(w))) {
            size_t ci;
            if ((d = kafka_message_detach(m, cell, CELL_SZ))) {
                msgs[i] = d;
                detached++;
            } else if (cell_of(w, cell, &ci)) {
                cell_put(w, ci);    /* too big for a cell: stays librdkafka's */
            }
        }
    }
    if (detached)
        atomic_fetch_add_explicit(&w->detached, detached, memory_order_relaxed);
    for (int ti = 0; ti < w->nth; ti++)
        pthread_mutex_lock(&w->th[ti].mu);
    for (size_t i = 0; i < n; i++) {
        kafka_message *m = msgs[i];
        struct part *p = w->dparts[i];
        int ti;
        if (p && m->offset < p->next_fetch) {   /* already taken: fetched again after a refetch */
            msg_release(w, m);
            continue;
        }
        if (!p || !ring_room(p)) {   /* not (or no longer) ours; or no memory */
            if (p)
                worker__fail(w, "out of memory tracking %s[%d]", p->topic, (int)p->partition);
            msg_release(w, m);
            continue;
        }
        ti = route(w, m);
        struct inbox_item it = {m, p, p->next_seq};
        if (!inbox_push(&w->th[ti], &it)) {
            msg_release(w, m);
            worker__fail(w, "out of memory dispatching records");
            continue;
        }
        p->offs[p->next_seq & (p->ring_cap - 1)] = m->offset;
        p->outs[p->next_seq & (p->ring_cap - 1)] = OUT_PENDING;
        p->next_seq++;
        p->pending++;
        w->pending_total++;
        p->next_fetch = m->offset + 1;
        p->rx_ms = now;
        if (p->refetch_ms)
            refetch_answered(w, p, now);
        atomic_store_explicit(&p->position_a, p->next_fetch, memory_order_relaxed);
        atomic_store_explicit(&p->pending_a, p->pending, memory_order_relaxed);
        touched[ti % 64] = true;
    }
    for (int ti = 0; ti < w->nth; ti++)
        pthread_mutex_unlock(&w->th[ti].mu);
    atomic_store_explicit(&w->pending_a, w->pending_total, memory_order_relaxed);
    for (int ti = 0; ti < w->nth; ti++)
        if (touched[ti % 64])
            worker__thread_wake(&w->th[ti]);
}

/* ------------------------------------------------------------------------------------
 * Counters, progress, summary
 * ------------------------------------------------------------------------------------ */

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
        o->skipped_stale += v[CTR_SKIPPED_STALE];
        o->write_failures += v[CTR_WRITE_FAILURES];
        o->dead_lettered += v[CTR_DEAD_LETTERED];
        o->retries += v[CTR_RETRIES];
    }
}

/* Before a partition's first record arrives, librdkafka knows no position for it; its
 * committed offset (looked up once, in one round trip for all such partitions) says where the
 * group starts. Consumer thread. */
static void learn_starts(struct worker *w)
{
    struct kafka_tp *tps = NULL;
    struct part **ps = NULL;
    size_t n = 0;
    struct err e;

    for (size_t b = 0; b < w->pcap; b++)
        for (struct part *p = w->ptab[b]; p; p = p->hnext)
            n += p->next_fetch < 0 && !p->start_known;
    if (n == 0 || clock_mono_ms() < w->starts_retry_ms)
        return;
    tps = mem_calloc(n, sizeof(*tps));
    ps = mem_calloc(n, sizeof(*ps));
    if (tps && ps) {
        n = 0;
        for (size_t b = 0; b < w->pcap; b++)
            for (struct part *p = w->ptab[b]; p; p = p->hnext)
                if (p->next_fetch < 0 && !p->start_known) {
                    ps[n] = p;
                    tps[n++] = (struct kafka_tp){p->topic, p->partition, -1001};
                }
        if (kafka_committed(w->kc, tps, n, 1000, &e) == ST_OK)
            for (size_t i = 0; i < n; i++) {
                ps[i]->start = tps[i].offset;
                ps[i]->start_known = true;
            }
        else   /* a blocking call: not again on every pass while the coordinator is away */
            w->starts_retry_ms = clock_mono_ms() + 1000;
    }
    mem_free(tps);
    mem_free(ps);
}

/* Where @p's first record comes from before any arrived: the group's committed offset, else
 * (or when retention removed it) what auto.offset.reset says. -1 when not known yet; *@hi: the
 * cached high watermark. */
static int64_t part_start(struct worker *w, const struct part *p, int64_t *hi)
{
    int64_t lo;

    if (!p->start_known || !kafka_watermarks(w->kc, p->topic, p->partition, &lo, hi))
        return -1;
    if (p->start >= lo && p->start >= 0)
        return p->start;
    return kafka_reset_earliest(w->kc) ? lo : *hi;
}

/* Records of @p in Kafka after what this worker took: from the last dispatched record or,
 * before any arrived, from where the group starts. -1 when unknown. */
static int64_t part_lag(struct worker *w, struct part *p)
{
    int64_t hi, from;

    if (p->next_fetch >= 0 || !p->start_known)
        return kafka_lag(w->kc, p->topic, p->partition, p->next_fetch);
    if ((from = part_start(w, p, &hi)) < 0)
        return -1;
    return hi > from ? hi - from : 0;
}

static void progress(struct worker *w, uint64_t now)
{
    struct worker_stats s;
    uint64_t lag = 0, out;
    double secs = (double)(now - w->last_progress_ms) / 1000.0;

    worker_totals(w, &s);
    learn_starts(w);
    for (size_t b = 0; b < w->pcap; b++)
        for (struct part *p = w->ptab[b]; p; p = p->hnext) {
            int64_t l = part_lag(w, p);
            if (l > 0)
                lag += (uint64_t)l;
        }
    atomic_store(&w->lag_cache, lag);
    out = s.written + s.deleted + s.skipped_tombstone + s.skipped_invalid + s.skipped_other + s.skipped_stale +
          s.dead_lettered;
    if (w->cfg.progress_interval_ms && secs > 0)
        log_info(&w->log,
                 "in %.0f/s out %.0f/s | lag %llu in-flight %llu%s | total in %llu written %llu deleted %llu "
                 "skipped %llu dead-lettered %llu failed %llu retries %llu",
                 (double)(s.consumed - w->prog_in) / secs, (double)(out - w->prog_out) / secs,
                 (unsigned long long)lag, (unsigned long long)w->pending_total,
                 w->paused || w->user_paused ? " (paused)" : "", (unsigned long long)s.consumed,
                 (unsigned long long)s.written, (unsigned long long)s.deleted,
                 (unsigned long long)(s.skipped_tombstone + s.skipped_invalid + s.skipped_other + s.skipped_stale),
                 (unsigned long long)s.dead_lettered, (unsigned long long)s.write_failures,
                 (unsigned long long)s.retries);
    w->prog_in = s.consumed;
    w->prog_out = out;
    w->last_progress_ms = now;
}

/* All assigned partitions read to their (cached) high watermark and nothing in flight. */
static bool drained(struct worker *w)
{
    if (w->pcount == 0 || w->pending_total != 0)
        return false;
    learn_starts(w);
    for (size_t b = 0; b < w->pcap; b++)
        for (struct part *p = w->ptab[b]; p; p = p->hnext)
            if (part_lag(w, p) != 0)
                return false;
    return true;
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
              st.skipped_stale + st.dead_lettered;
    secs = w->first_record_ms && last > w->first_record_ms ? (double)(last - w->first_record_ms) / 1000.0 : 0;
    log_info(&w->log, "summary: %llu records settled (%llu written) in %.2f s from the first record: %.0f records/s; "
             "process CPU %.2f s (%.2f us/record); peak RSS %.1f MiB",
             (unsigned long long)settled, (unsigned long long)st.written, secs, secs > 0 ? (double)settled / secs : 0,
             cpu_s, settled ? cpu_s * 1e6 / (double)settled : 0, hwm_kb >= 0 ? (double)hwm_kb / 1024.0 : -1.0);
}

/* ------------------------------------------------------------------------------------
 * The consumer loop
 * ------------------------------------------------------------------------------------ */

/* max-queued-records: above the limit stop taking records; if that lasts (a slow or absent
 * Aerospike), pause every partition and keep polling so the group membership survives; resume
 * below half. Brief bursts never pause, because a librdkafka pause drops the prefetched records
 * that must then be fetched again. Also applies pause/resume requests. Returns true when the
 * loop may take more records now. */
static bool back_pressure(struct worker *w, uint64_t now)
{
    uint64_t q = w->pending_total;
    bool want_user_pause = atomic_load(&w->target_paused);

    if (want_user_pause != w->user_paused) {
        enum status pst = want_user_pause ? kafka_pause_all(w->kc) : w->paused ? ST_OK : kafka_resume_all(w->kc);
        if (pst == ST_OK) {
            w->user_paused = want_user_pause;
            log_info(&w->log, "%s by request", want_user_pause ? "paused" : "resumed");
        }
    }
    if (w->full_since || q >= w->cfg.max_queued_records)
        w->full_last_ms = now;   /* full at this call (refetch_answered) */
    if (q >= w->cfg.max_queued_records) {
        if (!w->full_since) {
            w->full_since = now;
            w->pauses++;
            log_debug(&w->log, "paused: %llu records queued (max-queued-records %u); taking no more",
                      (unsigned long long)q, w->cfg.max_queued_records);
        }
        if (!w->paused && now - w->full_since >= PAUSE_AFTER_MS && kafka_pause_all(w->kc) == ST_OK) {
            w->paused = true;
            atomic_store(&w->paused_flag, true);
            log_debug(&w->log, "still full after %d ms: paused every partition (the group session lives on)",
                      PAUSE_AFTER_MS);
        }
    } else if (q < w->cfg.max_queued_records / 2 && w->full_since) {
        w->full_since = 0;
        if (w->paused && (w->user_paused || kafka_resume_all(w->kc) == ST_OK)) {
            w->paused = false;
            atomic_store(&w->paused_flag, false);
        }
        log_debug(&w->log, "resumed: %llu records queued", (unsigned long long)q);
    }
    return !w->full_since || w->paused;
}

/* librdkafka's queue is empty, yet a partition has sent nothing for a while although Kafka has
 * more of it (its cached high watermark says so) and we have room: its fetcher is stalled (see
 * kafka_consumer_refetch); wake it rather than wait up to a second. */
static void refetch_stalled(struct worker *w, uint64_t now)
{
    struct kafka_tp tps[64];
    size_t n = 0, total = 0;

    /* a full queue of ours is why nothing arrives: not a stall */
    if (w->paused || w->user_paused || w->full_since || w->pcount == 0 ||
        now - w->refetch_check_ms < REFETCH_AFTER_MS / 3)
        return;
    w->refetch_check_ms = now;
    learn_starts(w);   /* a partition's very first fetch can stall too */
    for (size_t b = 0; b < w->pcap; b++)
        for (struct part *p = w->ptab[b]; p; p = p->hnext) {
            int64_t hi, from = p->next_fetch >= 0 ? p->next_fetch : part_start(w, p, &hi);
            if (from < 0 || now - p->rx_ms < stall_after(p))
                continue;
            p->rx_ms = now;   /* caught up or refetched: look again after another quiet period */
            if (part_lag(w, p) <= 0)
                continue;
            p->refetch_ms = now;
            if (p->refetch_streak < UINT8_MAX)
                p->refetch_streak++;
            tps[n++] = (struct kafka_tp){p->topic, p->partition, from};
            if (n == ARRAY_LEN(tps)) {
                kafka_consumer_refetch(w->kc, tps, n);
                total += n;
                n = 0;
            }
        }
    if (n && kafka_consumer_refetch(w->kc, tps, n) == ST_OK)
        total += n;
    if (total) {
        w->refetches += total;
        log_debug(&w->log, "fetching of %zu partition(s) stalled with records waiting in Kafka: woke the fetcher (%llu so far)",
                  total, (unsigned long long)w->refetches);
    }
}

static bool start_threads(struct worker *w)
{
    for (int i = 0; i < w->nth; i++) {
        if (pthread_create(&w->th[i].tid, NULL, worker__thread_main, &w->th[i]) != 0) {
            worker__fail(w, "cannot start processing thread %d: %s", i, strerror(errno));
            return false;
        }
        w->th[i].started = true;
    }
    return true;
}

static void stop_threads(struct worker *w)
{
    for (int i = 0; i < w->nth; i++) {
        atomic_store(&w->th[i].quit, true);
        worker__thread_wake(&w->th[i]);
    }
    for (int i = 0; i < w->nth; i++)
        if (w->th[i].started) {
            pthread_join(w->th[i].tid, NULL);
            w->th[i].started = false;
        }
}

int worker_run(struct worker *w, volatile sig_atomic_t *stop)
{
    kafka_message **msgs = mem_calloc(BATCH_MAX, sizeof(*msgs));
    struct kafka_consumer_config cc = {
        .bootstrap = w->cfg.bootstrap, .group_id = w->group_id, .client_id = w->name,
        .topics = w->cfg.topics, .topics_regex = w->cfg.topics_regex, .props = w->cfg.consumer_props,
    };
    struct kafka_hooks hooks = {.on_assign = on_assign, .on_revoke = on_revoke, .on_error = on_kafka_error,
                                .on_commit = on_commit, .on_log = on_kafka_log, .ctx = w};
    struct err e = {0};
    uint64_t last_drain_check = 0, unacked;
    int drained_checks = 0;

    if (!msgs) {
        worker__fail(w, "out of memory");
        return 1;
    }
    w->kc = kafka_consumer_new(&cc, &hooks, &e);
    if (!w->kc) {
        worker__fail(w, "%s", e.msg);
        mem_free(msgs);
        return 1;
    }
    start_threads(w);
    log_info(&w->log, "started: group %s, %d processing thread(s), max-queued-records %u%s", w->group_id, w->nth,
             w->cfg.max_queued_records, w->cfg.dry_run ? ", DRY RUN (no writes)" : "");
    w->last_commit_ms = w->last_progress_ms = clock_mono_ms();
    w->stop = stop;

    for (;;) {
        uint64_t now = clock_mono_ms();
        bool want_stop = (stop && *stop) || atomic_load(&w->failed);

        drain_outboxes(w);
        worker__outage_tick(w);
        learn_cluster_id(w);
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
            note_stop(w, now);
            if (!w->stop_deadline) {   /* --exit-when-drained */
                w->stop_ms = now;
                w->stop_deadline = now + w->cfg.drain_timeout_ms;
            }
            kafka_pause_all(w->kc);
            wake_all(w);
            log_info(&w->log, "%s: draining %llu in-flight record(s)",
                     atomic_load(&w->failed) ? "task failed" : "stopping", (unsigned long long)w->pending_total);
        }
        if (w->stopping) {
            if (w->pending_total == 0 || now >= w->stop_deadline || stop_now(w))
                break;
            size_t n = kafka_consumer_poll(w->kc, msgs, BATCH_MAX, 5);
            for (size_t i = 0; i < n; i++)
                kafka_message_free(msgs[i]);   /* fetched after the stop: read again next time */
        } else if (back_pressure(w, now)) {
            /* never take more than the queue has room for (after a pause: what arrives anyway) */
            size_t room = w->pending_total < w->cfg.max_queued_records ? w->cfg.max_queued_records - w->pending_total : 1;
            size_t want = MIN(room, (size_t)BATCH_MAX);
            size_t n = kafka_consumer_poll(w->kc, msgs, want, w->paused || w->user_paused ? 5 : 10);
            if (n)
                dispatch(w, msgs, n);
            if (n < want)   /* librdkafka's queue is empty */
                refetch_stalled(w, clock_mono_ms());
        } else {
            sleep_ms(1);   /* full: let the processing threads catch up */
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

    drain_outboxes(w);
    if (w->pending_total > 0)
        log_warn(&w->log, "stopping with %llu record(s) unfinished after %llums (drain timeout %ums)",
                 (unsigned long long)w->pending_total, (unsigned long long)(clock_mono_ms() - w->stop_ms),
                 w->cfg.drain_timeout_ms);
    commit_all(w, true);
    progress(w, clock_mono_ms());
    /* revokes what is left: drains the outboxes and commits once more (what was acknowledged
     * meanwhile); its wait ends with the same deadline, already past or cut short */
    kafka_consumer_close(w->kc);
    unacked = w->pending_total;   /* as of the last commit: read again by the next owner */
    stop_threads(w);
    mem_free(msgs);
    if (atomic_load(&w->failed)) {
        log_error(&w->log, "task failed: %s", w->failure);
        return 1;
    }
    summary(w);
    if (unacked)   /* nothing is lost (at-least-once): a stop as asked, but not a clean one */
        log_info(&w->log, "stopped; %llu record(s) were not acknowledged and will be read again (offsets committed "
                 "up to the acknowledged ones)", (unsigned long long)unacked);
    else
        log_info(&w->log, "stopped cleanly");
    return 0;
}

/* ------------------------------------------------------------------------------------
 * Construction and inspection
 * ------------------------------------------------------------------------------------ */

struct worker *worker_new(const struct worker_config *cfg, struct err *e)
{
    struct worker *w = mem_calloc(1, sizeof(*w));
    char gid[512];

    if (!w)
        goto nomem;
    pthread_mutex_init(&w->fail_mu, NULL);
    pthread_mutex_init(&w->pmu, NULL);
    w->cfg = *cfg;
    w->name = (char *)copy_str(w, cfg->name ? cfg->name : "aerosink");
    snprintf(gid, sizeof(gid), "connect-%s", w->name ? w->name : "aerosink");
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
    w->cfg.processing_threads = MAX(1, MIN(w->cfg.processing_threads, 64));
    if (w->cfg.max_queued_records == 0)
        w->cfg.max_queued_records = 32768;
    if (w->cfg.offset_flush_interval_ms == 0)
        w->cfg.offset_flush_interval_ms = 60000;
    if (w->cfg.drain_timeout_ms == 0)
        w->cfg.drain_timeout_ms = 30000;
    for (size_t i = 0; i < w->cfg.n_topic_cfgs; i++) {
        if (detachable(w, &w->tcfgs[i])) {   /* cells for every record the queue may hold */
            size_t n = MIN((size_t)w->cfg.max_queued_records + 2 * BATCH_MAX, (size_t)1 << 17);
            w->cells.arena = mem_malloc(n * CELL_SZ);   /* untouched pages cost nothing */
            w->cells.used = mem_calloc(n, 1);
            if (w->cells.arena && w->cells.used) {
                w->cells.n = n;
            } else {                     /* without: every message stays librdkafka's */
                mem_free(w->cells.arena);
                mem_free(w->cells.used);
                w->cells.arena = w->cells.used = NULL;
            }
            break;
        }
    }
    if (!w->cfg.key_converter || !w->cfg.value_converter) {
        err_set(e, ST_CONFIG, "key.converter and value.converter are required");
        goto fail;
    }
    if (!w->cfg.dry_run && !w->cfg.cluster) {
        err_set(e, ST_CONFIG, "no Aerospike cluster (and not a dry run)");
        goto fail;
    }
    w->log = (struct log_ctx){cfg->log_level, w->name, 2, cfg->log_live};
    w->pcap = 1024;
    w->ptab = mem_calloc(w->pcap, sizeof(*w->ptab));
    w->nth = w->cfg.processing_threads;
    w->th = mem_calloc((size_t)w->nth, sizeof(*w->th));
    if (!w->ptab || !w->th)
        goto nomem;
    for (int i = 0; i < w->nth; i++)
        if (worker__thread_init(w, &w->th[i], i, e) != ST_OK)
            goto fail;
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
    out->in_flight = atomic_load(&w->pending_a);
    out->lag = atomic_load(&w->lag_cache);
    out->paused = atomic_load(&w->paused_flag) || atomic_load(&w->target_paused);
    out->partitions = atomic_load(&w->nparts);
    out->rebalances = atomic_load(&w->rebalances);
    out->committed_records = atomic_load(&w->committed_records);
    out->detached = atomic_load(&w->detached);
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
    out->skipped_stale = v[CTR_SKIPPED_STALE];
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
            int64_t pos = atomic_load_explicit(&p->position_a, memory_order_relaxed);
            int64_t lag = w->kc ? kafka_lag(w->kc, p->topic, p->partition, pos) : -1;
            cb(ctx, p->topic, p->partition, pos, atomic_load_explicit(&p->committed_a, memory_order_relaxed),
               atomic_load_explicit(&p->next_commit_a, memory_order_relaxed), lag,
               atomic_load_explicit(&p->pending_a, memory_order_relaxed));
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
            worker__thread_wake(&w->th[i]);
            pthread_join(w->th[i].tid, NULL);
        }
        worker__thread_free(&w->th[i]);
    }
    mem_free(w->th);
    mem_free(w->cells.arena);   /* after the threads: no detached message lives on */
    mem_free(w->cells.used);
    kafka_consumer_free(w->kc);
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
    mem_free(w);
}
