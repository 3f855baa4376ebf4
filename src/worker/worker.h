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
 * Errors: worker_new returns NULL + err; worker_run returns 0 (stopped cleanly) or 1 (task
 *         failed: the reason is in worker_failure()). */
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
    const char *topics_regex;             /* ... with a regex */
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
    uint32_t offset_flush_interval_ms;
    uint32_t progress_interval_ms;        /* 0 = no progress lines */
    uint32_t drain_timeout_ms;            /* on stop: wait this long for in-flight writes */
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
};

struct worker_stats {
    uint64_t consumed;          /* records taken from Kafka */
    uint64_t written;           /* acknowledged writes */
    uint64_t deleted;           /* acknowledged deletes */
    uint64_t skipped_tombstone; /* null values skipped (the original's behaviour) */
    uint64_t skipped_invalid;   /* unmappable/undecodable records ignored by policy */
    uint64_t skipped_other;     /* e.g. already-expired TTLs, ignored result codes */
    uint64_t write_failures;    /* record-class Aerospike failures (all policies) */
    uint64_t dead_lettered;     /* records produced to the DLQ */
    uint64_t retries;           /* Aerospike re-submissions after a retriable failure */
    uint64_t in_flight;         /* taken but not finished */
    uint64_t committed_records; /* offsets committed, summed over partitions (advance) */
    uint64_t lag;               /* sum over assigned partitions, from cached watermarks */
    bool paused;                /* back-pressure pause in effect */
    int partitions;             /* assigned */
    uint64_t rebalances;        /* assignment changes seen (assign + revoke callbacks) */
};

struct worker;

struct worker *worker_new(const struct worker_config *cfg, struct err *e);
/* Run until *stop becomes non-zero (drain, commit, return 0) or the task fails (return 1). */
int worker_run(struct worker *w, volatile sig_atomic_t *stop);
void worker_stats(struct worker *w, struct worker_stats *out);
/* Pause (true) or resume consumption, e.g. for PUT /connectors/{n}/pause. Records already
 * taken still finish; partitions stay assigned. @thread any */
void worker_set_paused(struct worker *w, bool paused);
bool worker_is_paused(struct worker *w);
/* Why the task failed ("" when it did not). */
const char *worker_failure(struct worker *w);
void worker_free(struct worker *w);

#endif
