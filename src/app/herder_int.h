/* src/app/herder_int.h: what herder.c (state, control loop) and herder_store.c (the config
 * and status topics) share. Not for other files. */
#ifndef AEROSINK_APP_HERDER_INT_H
#define AEROSINK_APP_HERDER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <librdkafka/rdkafka.h>

#include "app/herder.h"
#include "convert/convert.h"

enum herder_target { TGT_STARTED, TGT_PAUSED, TGT_STOPPED };

/* Topic tracking (KIP-558) of one topic of a local task's mapping; control loop only. */
struct slot_topic {
    char *name;
    uint64_t mark;                 /* records consumed before the last reset seen: not counted */
    bool known;                    /* its status-topic record is in the table */
    bool pending;                  /* recorded, not read back yet (since pending_ms) */
    uint64_t pending_ms;
};

/* This worker's task of one connector: a thread that builds and runs an app_connector. */
struct slot {
    struct herder *h;
    char *name;
    struct rest_kvs config;        /* the config it runs (copy) */
    int64_t gen;                   /* its config-topic offset */
    int32_t task;                  /* task id (= this worker's rank); control loop only */
    pthread_t tid;
    volatile sig_atomic_t stop;    /* worker_run's stop flag */
    atomic_bool exited;            /* slot_main returned */
    bool joined, restart_on_exit;  /* control loop only */
    pthread_mutex_t mu;            /* guards the fields below */
    struct app_connector *ac;      /* while running */
    enum rest_state state;         /* UNASSIGNED (starting/stopped), RUNNING, FAILED */
    char *trace;                   /* FAILED: why */
    bool want_paused;
    struct cfg_connector *cc;      /* slot thread only */
    struct cfg *map;
    struct slot_topic *tt;         /* one per topic config of its worker, once running */
    size_t n_tt;
};

struct hconn {
    char *name;
    bool present;                  /* has a config (false: deleted) */
    struct rest_kvs config;
    int64_t gen;                   /* offset of the config record in force */
    int64_t created;               /* offset of the record that (re)created it */
    int64_t claim_off;             /* granted create claim not yet followed by a config (-1) */
    uint64_t claim_time, claim_ttl;/* its writer's wall clock and lifetime (ms, from the record) */
    enum herder_target target;
    bool restart_pending, restart_include_tasks, restart_only_failed;
    int32_t restart_task;          /* -1: connector restart request */
    struct slot *slot;             /* control loop only */
    int32_t rep_task;              /* last task status this worker wrote (dedup) */
    enum rest_state rep_state;
    int64_t rep_gen;
    char *rep_trace;
    bool rep_conn_valid;
    enum rest_state rep_conn_state;
    int64_t rep_conn_gen;
};

struct hstat {
    char *key;
    bool present;
    enum rest_state state;
    char *trace;
    char *worker_id;
    int64_t gen;
};

/* What applying a config-topic record did, for the REST request that wrote it (by offset). */
enum herder_outcome {
    HOUT_NONE,                     /* not a record anyone waits on, or no effect */
    HOUT_CLAIM_GRANTED,            /* aerosink-create-<n>: the name is this writer's to create */
    HOUT_CLAIM_REFUSED,            /* ... it exists, or an earlier claim is pending */
    HOUT_CREATED,                  /* connector-<n> with a config: it did not exist before */
    HOUT_UPDATED,
    HOUT_DELETED,
};

#define HERDER_OUTCOMES 1024       /* ring of the last outcomes, indexed by offset */

/* A status-topic "status-topic-<topic>:connector-<connector>" record: @connector's tasks
 * consumed @topic since it was created or its topics were last reset. */
struct htopic {
    char *connector, *topic;
};

struct hworker {
    char *id;
    char *url;
    uint64_t seen_ms;              /* wall clock of its last heartbeat */
    bool gone;                     /* said goodbye */
};

struct herder {
    struct herder_opts o;
    char *id, *url;
    const char *config_topic, *status_topic;
    struct log_ctx log;

    pthread_mutex_t mu;            /* everything below */
    pthread_cond_t cond;           /* broadcast when the reader applied something */
    struct hconn **conns;
    size_t n_conns, cap_conns;
    struct hstat *stats;
    size_t n_stats, cap_stats;
    struct hworker *workers;
    size_t n_workers, cap_workers;
    struct htopic *topics;
    size_t n_topics, cap_topics;
    bool track_topics;             /* topic.tracking.enable (default true) */
    bool allow_topic_reset;        /* topic.tracking.allow.reset (default true) */
    bool ready;                    /* both topics read to where they ended at start */
    char *last_live;               /* the live set last logged */
    struct {
        int64_t off;
        enum herder_outcome what;
    } outcomes[HERDER_OUTCOMES];   /* [off % HERDER_OUTCOMES], set by the reader */

    /* store (herder_store.c) */
    rd_kafka_t *prod, *cons;
    pthread_t reader;
    bool reader_started;
    atomic_bool quit;
    int64_t cfg_next, cfg_end0;    /* config partition 0: next offset to apply, end at start */
    int32_t n_status_parts;
    int64_t *status_next, *status_end0;
    struct conv_doc *doc;          /* reader thread only */
    char cluster_id[128];
    pthread_mutex_t pmu;           /* delivery reports of synchronous produces, n_unwritten */
    pthread_cond_t pcond;
    size_t n_unwritten;            /* fire-and-forget records Kafka did not take (each logged) */
    uint64_t confirmed_ms;         /* when Kafka last confirmed one (monotonic; start: at start) */
};

/* Tables (h->mu held). @create: add when absent (NULL on ST_NOMEM). */
struct hconn *herder__conn(struct herder *h, const char *name, bool create);
struct hstat *herder__stat(struct herder *h, const char *key, bool create);
void herder__stat_clear(struct hstat *s);
struct hworker *herder__worker(struct herder *h, const char *id, bool create);
struct htopic *herder__topic(struct herder *h, const char *connector, const char *topic, bool create);
void herder__topic_remove(struct herder *h, const char *connector, const char *topic);
int32_t herder__tasks_max(const struct hconn *c);
void herder__free_tables(struct herder *h);

/* Is a create claim written at wall-clock @time granted for @c? (h->mu held) Refused while
 * the connector exists or an earlier granted claim is pending (neither followed by the
 * connector's config nor released) and younger than its ttl at @time. */
bool herder__claim_granted(const struct hconn *c, uint64_t time);

/* Apply one record of the config topic / the status topic to the tables, as the reader
 * thread does (h->mu held; exposed for unit tests). @val NULL: a tombstone. */
void herder__apply_config(struct herder *h, const char *key, size_t kn, const void *val, size_t len,
                          int64_t off);
/* The outcome of the config record at @off, HOUT_NONE when unknown (h->mu held). */
enum herder_outcome herder__outcome(const struct herder *h, int64_t off);
void herder__apply_status(struct herder *h, const char *key, size_t kn, const void *val, size_t len);

/* Store (herder_store.c). */
/* Produce to partition 0 of the config topic, wait for the ack; *offset = its offset.
 * @val NULL: a tombstone. Called without h->mu. */
enum status herder__produce_sync(struct herder *h, const char *key, const void *val, size_t len,
                                 int64_t *offset, struct err *e);
/* The same to the status topic (partition by key), for records REST requests write. */
enum status herder__produce_status_sync(struct herder *h, const char *key, const void *val, size_t len,
                                        struct err *e);
/* Fire and forget (status topic); failures are logged. Any locks. */
enum status herder__produce_async(struct herder *h, const char *topic, const char *key,
                                  const void *val, size_t len);
/* Wait (without h->mu) until the config record at @offset has been applied. */
enum status herder__wait_applied(struct herder *h, int64_t offset, struct err *e);
/* Wait on h->cond for at most @ms (h->mu held). */
void herder__wait(struct herder *h, unsigned ms);
/* Before a read: wait (at most 5 s, without h->mu) until this worker has applied every
 * config record written so far, so a write acknowledged by any worker is seen by every
 * later read on any worker. */
void herder__sync(struct herder *h);
/* The same for the status topic: every record written to it so far (at most 5 s). */
void herder__sync_status(struct herder *h);
void herder__poll(struct herder *h);
/* At stop: wait until Kafka confirmed every record written so far (returns as soon as it
 * did), at most until @deadline (monotonic ms) or until *@stop becomes WORKER_STOP_NOW (@stop
 * may be NULL). Records still unconfirmed then are dropped, each logged with its key and topic
 * by the delivery report. Returns how many were dropped (0: all written). */
size_t herder__flush_until(struct herder *h, uint64_t deadline, volatile sig_atomic_t *stop);

#endif
