/* src/worker/worker.h: one connector task: Kafka records in, Aerospike writes out.
 * Owns: the consumer loop (batched fetch, dispatch by partition to processing threads,
 *       max-queued-records back-pressure, periodic and final offset commits, rebalances),
 *       the processing threads (decode -> map -> encode -> submit, at most one write per
 *       record key in flight, completions, retries with back-off), the per-partition
 *       "contiguous done" watermark that is the only thing ever committed, the invalid-record /
 *       errors.tolerance / dead-letter policies, progress lines and counters.
 * Not here: parsing configuration (config/, app/), bytes -> values (convert/), values ->
 *           request bytes (mapping/), the wire (aerospike/, kafka/).
 * Memory: worker_new copies the configuration it needs; mappings and the aero cluster are
 *         borrowed and must outlive the worker.
 * Threads: worker_run blocks the calling thread (the consumer thread) and starts
 *          processing_threads more; worker_stats and worker_request_stop are thread-safe.
 * Errors: worker_new returns NULL + err; worker_run returns 0 (stopped as asked; records not
 *         acknowledged by then are not committed and are read again) or 1 (task failed: the
 *         reason is in worker_failure()). */
#ifndef AEROSINK_WORKER_H
#define AEROSINK_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "aerospike/aero.h"
#include "common/common.h"
#include "mapping/mapping.h"

enum worker_policy {
    WORKER_IGNORE,       /* log, count, move on */
    WORKER_KILL_TASK,    /* stop the task; commit nothing past the record */
    WORKER_DEAD_LETTER,  /* produce to the DLQ topic, then move on */
};

struct worker_topic {
    const char *name;
    struct mapping *mapping;              /* borrowed */
    enum worker_policy on_invalid;        /* invalid-record: unmappable records */
    enum worker_policy on_write_failure;  /* record-class Aerospike failures */
    uint32_t max_retries;                 /* client retries per attempt */
    uint32_t total_timeout_ms;            /* per attempt (client); 0 = 1000 */
    uint32_t socket_timeout_ms;
    uint32_t sleep_between_retries_ms;
    const int *ignore_codes;              /* result codes counted as success */
    size_t n_ignore_codes;
    bool namespace_is_dynamic;            /* result 20 is then a record problem, not fatal */
};

struct worker_config {
    const char *name;                     /* connector name; group id "connect-<name>" */
    const char *bootstrap;
    const char *group_id;                 /* NULL = "connect-<name>" */
    const char *const *topics;            /* NULL-terminated subscription, or NULL ... */
    const char *topics_regex;             /* ... with a regex (POSIX, whole names: cfg topics_pattern) */
    const char *const *consumer_props;    /* librdkafka key,value pairs */
    const char *const *producer_props;    /* for the DLQ producer */
    const char *key_converter;            /* class name */
    const char *const *key_converter_props;
    const char *value_converter;
    const char *const *value_converter_props;
    const struct worker_topic *topic_cfgs;
    size_t n_topic_cfgs;
    int processing_threads;               /* >= 1 */
    uint32_t max_queued_records;          /* pause above, resume below half */
    uint32_t batch_max_records;           /* rows per batch write; <= 1: single writes only */
    uint32_t offset_flush_interval_ms;
    uint32_t progress_interval_ms;        /* 0 = no progress lines */
    uint32_t drain_timeout_ms;            /* on stop: wait at most this long in all for
                                           * in-flight writes (0 = 30000) */
    /* Kafka Connect errors.* */
    bool errors_tolerance_all;
    const char *dlq_topic;                /* NULL or "" = none */
    bool dlq_context_headers;
    bool errors_log_enable;
    bool errors_log_include_messages;
    uint32_t retry_backoff_max_ms;        /* cap of the back-off between Aerospike retries */
    struct aero_cluster *cluster;         /* borrowed; NULL only with dry_run */
    bool dry_run;                         /* decode and map, never write */
    bool exit_when_drained;               /* stop cleanly once every assigned partition is
                                           * consumed to its end and every record settled */
    enum log_level log_level;
    const atomic_int *log_live;           /* optional: the level, changed at run time */
};

struct worker_stats {
    uint64_t consumed;          /* records taken from Kafka */
    uint64_t written;           /* acknowledged writes */
    uint64_t deleted;           /* acknowledged deletes */
    uint64_t skipped_tombstone; /* null values skipped (the original's behaviour) */
    uint64_t skipped_invalid;   /* unmappable/undecodable records ignored by policy */
    uint64_t skipped_other;     /* e.g. already-expired TTLs, ignored result codes */
    uint64_t skipped_stale;     /* stale-write-guard: Aerospike held a newer record (27) */
    uint64_t write_failures;    /* record-class Aerospike failures (all policies) */
    uint64_t dead_lettered;     /* records produced to the DLQ */
    uint64_t retries;           /* Aerospike re-submissions after a retriable failure */
    uint64_t in_flight;         /* taken but not finished */
    uint64_t committed_records; /* offsets committed, summed over partitions (advance) */
    uint64_t lag;               /* sum over assigned partitions, from cached watermarks */
    bool paused;                /* back-pressure pause in effect */
    int partitions;             /* assigned */
    uint64_t rebalances;        /* assignment changes seen (assign + revoke callbacks) */
    uint64_t detached;          /* messages copied out of librdkafka's memory when taken */
};

/* Per-topic counters (same meanings as in struct worker_stats). */
struct worker_topic_stats {
    const char *topic;          /* valid as long as the worker */
    uint64_t consumed, written, deleted, skipped_tombstone, skipped_invalid, skipped_other,
        skipped_stale, write_failures, dead_lettered, retries;
};

/* Aerospike write latency (submit to acknowledgement) histogram; counts[i] are records whose
 * latency was <= WORKER_LATENCY_BOUNDS_US[i] (and above the previous bound); the last bucket
 * is everything above the last bound. */
#define WORKER_LATENCY_BOUNDS_US 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, \
                                 250000, 500000, 1000000, 2500000
#define WORKER_LATENCY_BUCKETS 15
struct worker_latency {
    uint64_t counts[WORKER_LATENCY_BUCKETS];
    uint64_t sum_us, count;
};

/* One assigned partition: position = next offset to read (-1 before the first record),
 * committed = last committed offset (-1 none), done = watermark ready to commit (-1 none),
 * lag from librdkafka's cached high watermark (-1 unknown), in_flight = taken, not settled. */
typedef void (*worker_partition_cb)(void *ctx, const char *topic, int32_t partition, int64_t position,
                                    int64_t committed, int64_t done, int64_t lag, uint64_t in_flight);

struct worker;

struct worker *worker_new(const struct worker_config *cfg, struct err *e);
/* A value for worker_run's *stop: stop at once, without waiting for in-flight records any
 * longer (a second SIGTERM/SIGINT). */
#define WORKER_STOP_NOW (-1)

/* Run until *stop becomes non-zero or the task fails. Then drain: wait for the records in
 * flight, drain_timeout_ms at most for the whole stop (the revocation of the partitions
 * included), or until *stop becomes WORKER_STOP_NOW; commit what Aerospike acknowledged
 * (never more), leave the group and return 0, or 1 when the task failed. */
int worker_run(struct worker *w, volatile sig_atomic_t *stop);
void worker_stats(struct worker *w, struct worker_stats *out);
/* Metrics (all @thread any): topics are the worker's topic configs, by index. */
size_t worker_topic_count(const struct worker *w);
void worker_topic_stats(struct worker *w, size_t i, struct worker_topic_stats *out);
void worker_latency(struct worker *w, struct worker_latency *out);
/* Calls @cb for every assigned partition (under the worker's partition lock: keep it short). */
void worker_partitions(struct worker *w, worker_partition_cb cb, void *ctx);
/* Pause (true) or resume consumption, e.g. for PUT /connectors/{n}/pause. Records already
 * taken still finish; partitions stay assigned. @thread any */
void worker_set_paused(struct worker *w, bool paused);
bool worker_is_paused(struct worker *w);
/* The Kafka cluster id its consumer learned (REST GET /), copied into @out; false while not
 * known yet. Looked up once, then cached. @thread any */
bool worker_kafka_cluster_id(struct worker *w, char *out, size_t cap);
/* Why the task failed ("" when it did not). */
const char *worker_failure(struct worker *w);
void worker_free(struct worker *w);

#endif
