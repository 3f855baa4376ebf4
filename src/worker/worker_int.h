/* src/worker/worker_int.h: the worker's private layout, shared by worker.c (the consumer
 * thread: partitions, dispatch, watermarks, commits, rebalances) and processing.c (the
 * processing threads: decode, map, submit, complete, policies).
 *
 * Record flow. The consumer thread gives every record a sequence number in its partition
 * and routes it to a processing thread chosen by its Kafka key (records without a key: by
 * partition), so all records of one key are handled in Kafka order by one thread, as the
 * original connector splits work by Kafka key. The thread settles the record (written,
 * skipped, dead-lettered...) and reports (partition, seq, outcome) back through its outbox;
 * only the consumer thread touches a partition's ring of outcomes and moves its watermark
 * (the offset after the longest prefix of settled records), which is what gets committed. */
#ifndef AEROSINK_WORKER_INT_H
#define AEROSINK_WORKER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "convert/convert.h"
#include "kafka/kafka.h"
#include "worker.h"

#define BATCH_MAX 2048
#define SLOT_CHUNK 512
#define ACTIVE_MIN 512        /* started records per thread (at least; 4 batches' worth if more):
                               * the rest wait as raw messages. 2048 measured 8% slower on the
                               * bench: more started records only sat encoded and went cold */
#define SUBMIT_MAX 256        /* requests in the client per thread (a batch is one): its timeouts
                               * then measure the server, not a queue in front of it */
#define DIGEST_GROUP 8          /* key digests computed together (eight AVX2 lanes) */
#define RETRY_BASE_MS 100
#define REVOKE_WAIT_MS 30000
#define LOG_BURST 20          /* record-level lines per LOG_WINDOW_MS before summarising */
#define LOG_WINDOW_MS 10000
#define PAUSE_AFTER_MS 500    /* a full queue for this long pauses the partitions */
#define REFETCH_AFTER_MS 10   /* nothing from a partition this long while Kafka has more: refetch
                               * (at least; more for a Kafka whose fetches take longer) */
#define REFETCH_MAX_MS 2000
#define LAT_BUCKETS 15        /* WORKER_LATENCY_BOUNDS_US + +Inf */

struct thread;

/* --- Partitions (owned by the consumer thread) --- */

/* Outcome of a record, as the consumer thread records it. */
enum outcome { OUT_PENDING = 0, OUT_DONE, OUT_LEFT };   /* LEFT: never done (failed/discarded) */

struct part {
    struct part *hnext;            /* table chain */
    struct part *znext;            /* zombie list */
    char *topic;
    int32_t partition;
    const struct worker_topic *tcfg;
    size_t tidx;                   /* index of tcfg in the worker's topic configs */
    _Atomic bool revoked;          /* read by processing threads */
    _Atomic int64_t fail_offset;   /* the task failed at this record (INT64_MAX: not here) */
    /* ring of outcomes by sequence number: [head_seq, next_seq) */
    int64_t *offs;
    uint8_t *outs;
    size_t ring_cap;               /* power of two */
    uint64_t head_seq, next_seq;
    uint64_t pending;              /* dispatched, outcome not yet reported */
    int64_t next_commit;           /* watermark; -1 none */
    int64_t committed;             /* last committed; -1 none */
    int64_t next_fetch;            /* offset after the last dispatched record; -1 none */
    uint64_t rx_ms;                /* a record of it last arrived (or it was refetched) then */
    /* The stall safety net (refetch_stalled): how long a silence counts as a stall, learnt
     * from how long a refetch takes to bring records (twice that, at least REFETCH_AFTER_MS),
     * doubled for every refetch in a row that brought nothing yet. Refetching sooner than a
     * fetch can answer would discard every answer (a refetch supersedes the fetch in flight). */
    uint64_t refetch_ms;           /* the last refetch, until records arrive (0: none) */
    uint32_t stall_ms;
    uint8_t refetch_streak;
    int64_t start;                 /* committed offset the group starts from (-1001: none) */
    bool start_known;              /* start was looked up (only while next_fetch < 0) */
    bool blocked;                  /* an OUT_LEFT record sits at the head */
    bool detach;                   /* its messages are copied out of librdkafka when taken */
    /* mirrors for other threads (metrics) */
    _Atomic int64_t position_a, committed_a, next_commit_a;
    _Atomic uint64_t pending_a;
};

/* --- Processing threads --- */

enum slot_state { SLOT_FREE, SLOT_NEW, SLOT_WAIT_KEY, SLOT_READY, SLOT_IN_FLIGHT, SLOT_RETRY_WAIT,
                  SLOT_RETRY_START, SLOT_DEAD_LETTER, SLOT_SETTLED };

struct slot {
    struct slot *key_next;         /* waiters for the same key (holder keeps head and tail) */
    struct slot *key_tail;
    struct slot *retry_next;
    struct slot *ready_next;       /* settled synchronously, completed by the thread loop */
    struct slot *sq_next;          /* waiting for room in the client (SLOT_READY) */
    struct slot *free_next;
    kafka_message *msg;
    struct part *part;
    struct thread *th;
    uint64_t seq;
    int64_t offset;
    uint64_t key_hash;
    uint64_t retry_at_ms;
    uint64_t submit_us;            /* when the current attempt was submitted */
    uint32_t failures;             /* consecutive retriable failures */
    uint8_t state;
    bool holds_key;
    bool is_delete;
    bool give_up;                  /* on the ready list: report OUT_LEFT instead of OUT_DONE */
    bool in_doubt;                 /* an attempt was sent and its outcome is unknown */
    bool no_batch;                 /* its batch was refused as a whole: write it singly */
    char *dlq_why;                 /* SLOT_DEAD_LETTER: the reason, logged once delivered */
    struct aero_cmd cmd;
};

struct key_ent {
    uint64_t hash;
    struct slot *s;
};

struct inbox_item {
    kafka_message *msg;
    struct part *part;
    uint64_t seq;
};

struct outbox_item {
    struct part *part;
    uint64_t seq;
    uint8_t outcome;
};

enum ctr {
    CTR_CONSUMED, CTR_WRITTEN, CTR_DELETED, CTR_SKIPPED_TOMBSTONE, CTR_SKIPPED_INVALID, CTR_SKIPPED_OTHER,
    CTR_SKIPPED_STALE, CTR_WRITE_FAILURES, CTR_DEAD_LETTERED, CTR_RETRIES, CTR__COUNT
};

/* Record counters of one thread for one topic; written by that thread only. */
struct counters {
    _Atomic uint64_t v[CTR__COUNT];
};

struct thread {
    struct worker *w;
    int idx;
    pthread_t tid;
    bool started;
    struct aero_client *cl;
    int evfd;                      /* dry run: wake-up fd (no client) */
    struct conv_converter *kconv, *vconv;
    struct conv_doc *kdoc, *vdoc;
    /* Records started up to their key digest, whose digests are then computed together
     * (aero_digest_blocks) before they go on (flush_digests): at most DIGEST_GROUP. */
    size_t n_dig;
    struct slot *dig_slot[DIGEST_GROUP];
    struct mapping_result dig_res[DIGEST_GROUP];
    uint8_t dig_block[DIGEST_GROUP][AERO_DIGEST_BLOCK_SZ];
    uint8_t dig_out[DIGEST_GROUP][AERO_DIGEST_SZ];
    pthread_mutex_t mu;            /* guards inbox and outbox */
    struct inbox_item *inbox, *work;
    size_t inbox_n, inbox_cap, work_cap;
    size_t work_n, work_pos;       /* taken from the inbox, not yet started */
    struct outbox_item *outbox, *out_local, *out_spare;   /* out_spare: the consumer's swap */
    size_t outbox_n, outbox_cap, out_local_n, out_local_cap, out_spare_cap;
    /* Kafka messages done with, freed by the consumer thread (librdkafka's broker thread
     * allocated them: frees from one thread contend less on its malloc arena than from
     * every processing thread). gc_local: this thread's; gc: handed over (under mu);
     * gc_spare: the consumer's swap. */
    kafka_message **gc_local, **gc, **gc_spare;
    size_t gc_local_n, gc_local_cap, gc_n, gc_cap, gc_spare_cap;
    size_t active;                 /* slots in use */
    bool held;                     /* a record must be retried before others start */
    uint64_t wall_ms;              /* wall clock at the start of this loop pass */
    _Atomic bool quit;
    struct slot *free_slots;
    struct slot **chunks;
    size_t n_chunks;
    struct key_ent *keytab;        /* in-flight keys: the slot holding each */
    size_t keycap;
    size_t active_max;             /* started records at most (ACTIVE_MIN or 4 batches) */
    struct slot *retry_head;
    struct slot *ready_head, *ready_tail;
    struct slot *sq_head, *sq_tail;   /* submit queue: key holders waiting for room */
    struct wbatch *wb_open;        /* batch writes being filled this loop pass */
    struct wbatch *wb_free, *wb_all;
    struct kafka_producer *dlq;    /* this thread's dead-letter producer (asynchronous) */
    uint32_t dlq_pending;          /* records produced to the DLQ, not yet acknowledged */
    struct mapping_header *hdrs;
    size_t hdr_cap;
    struct counters *tc;           /* per topic (index into the worker's topic configs) */
    _Atomic uint64_t lat[LAT_BUCKETS];
    _Atomic uint64_t lat_sum_us, lat_count;
    _Atomic uint64_t last_done_ms; /* when this thread last settled a record */
    uint64_t log_window_start;
    uint32_t log_in_window, log_suppressed;
};

/* --- The task --- */

/* Cells for detached messages (kafka_message_detach): one arena, handed out in address order
 * (consecutive records in consecutive memory, as in librdkafka's fetch buffers) and taken
 * back by address (the cell itself is not touched again). Consumer thread only: processing
 * threads return them with their other discarded messages. */
#define CELL_SZ 512           /* the message header and ~440 bytes of key and value; larger
                               * records stay in librdkafka's memory */
#define CELL_SCAN 64          /* cells looked at for a free one before giving up */
struct cell_pool {
    uint8_t *arena;                /* n * CELL_SZ bytes (faulted in as used) */
    uint8_t *used;                 /* n flags */
    size_t n, next, n_used;
};

struct worker {
    struct worker_config cfg;
    char *name, *group_id;
    void **owned;                  /* copies of config strings and arrays */
    size_t n_owned;
    struct worker_topic *tcfgs;
    struct log_ctx log;
    struct kafka_consumer *kc;
    struct thread *th;
    int nth;
    struct cell_pool cells;
    struct part *dparts[BATCH_MAX]; /* dispatch's scratch: the partition of each message */
    struct part **ptab;
    size_t pcap, pcount;
    struct part **parr;            /* scratch list of every partition */
    size_t parr_cap;
    struct part *zombies;
    uint64_t pending_total;        /* records dispatched whose outcome is not reported */
    bool paused;                   /* back-pressure pause */
    uint64_t full_since;           /* queue at max-queued-records since (0 = not full) */
    uint64_t full_last_ms;         /* the queue was last seen full then (refetch_answered) */
    uint64_t refetch_check_ms;     /* stalled partitions last looked for then */
    uint64_t refetches;            /* kafka_consumer_refetch calls (stalled fetchers woken) */
    uint64_t starts_retry_ms;      /* learn_starts failed: not before then */
    uint64_t first_record_ms;
    bool user_paused;              /* paused by worker_set_paused (REST pause) */
    char cluster_id[128];          /* written by the consumer thread before cluster_id_known */
    _Atomic bool cluster_id_known; /* set once, never cleared */
    _Atomic bool target_paused;
    uint64_t pauses;
    bool stopping;
    /* The stop (consumer thread): the caller's flag, when a stop was first seen (in the loop or
     * in a revoke's wait) and the one deadline of its whole drain, and whether a second request
     * (WORKER_STOP_NOW) cut the waiting short. */
    volatile sig_atomic_t *stop;
    uint64_t stop_ms, stop_deadline;
    bool cut_short;
    _Atomic int failed;
    pthread_mutex_t fail_mu;
    char failure[1024];
    uint64_t last_commit_ms, last_progress_ms;
    uint64_t commit_failures, commit_fail_logged;
    uint64_t prog_in, prog_out;
    _Atomic uint64_t committed_records;
    _Atomic uint64_t lag_cache;
    _Atomic uint64_t pending_a;
    _Atomic int nparts;
    pthread_mutex_t pmu;           /* guards ptab changes against readers on other threads */
    _Atomic uint64_t rebalances;
    _Atomic uint64_t detached;
    _Atomic bool paused_flag;
    _Atomic bool in_outage;        /* retriable failures are being retried */
    _Atomic uint64_t outage_since, outage_logged, last_failure_ms, failures_since_log, last_success_ms;
    const char *_Atomic outage_what;   /* "Aerospike writes", "Record decoding" (static) */
};

/* processing.c */
void *worker__thread_main(void *arg);
void worker__thread_wake(struct thread *t);
enum status worker__thread_init(struct worker *w, struct thread *t, int idx, struct err *e);
void worker__thread_free(struct thread *t);
/* Record the task's first failure; true when this call was it (the caller logs it). */
bool worker__fail(struct worker *w, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Log "recovered" once retriable failures stopped for a second. @thread any */
void worker__outage_tick(struct worker *w);

#endif
