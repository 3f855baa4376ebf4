/* src/app/herder.h: distributed mode's coordinator ("herder", as Kafka Connect calls it).
 * Owns: the connector configurations and target states read from the config topic, the task
 *       and connector states, the connectors' active topics (Connect's topic tracking:
 *       topic.tracking.enable, topic.tracking.allow.reset) and worker heartbeats read from
 *       the status topic, the decision
 *       which connectors this worker runs (and under which task id), the task threads that
 *       run them (app_connector), and the writes REST requests make to the config topic.
 * Not here: HTTP (rest/, rest_backend*.c), what a config means (config/), the record path
 *       (worker/). Kafka's consumer group connect-<name> is what spreads partitions over the
 *       running tasks; the herder only decides which workers run a consumer at all.
 * Design (see DEVELOPERS notes in cmd_distributed.c):
 *   - config topic (1 partition): "connector-<n>" {"properties":{...}} (null deletes),
 *     "target-state-<n>" {"state":"STARTED|PAUSED|STOPPED"}, "restart-connector-<n>"
 *     {"include_tasks":b,"only_failed":b}, "restart-task-<n>-<t>" {}; last value wins.
 *     aerosink's "aerosink-create-<n>" {"worker_id","time","ttl_ms"} claims a name before a
 *     create (herder.c: the topic's order picks one of two concurrent creates; Connect and
 *     older aerosink versions ignore the key).
 *   - status topic: "status-connector-<n>", "status-task-<n>-<t>"
 *     {"state":..,"trace":..,"worker_id":..,"generation":..}, Connect's topic tracking
 *     "status-topic-<topic>:connector-<n>" {"topic":{"name","connector","task",
 *     "discoverTimestamp"}} (null: reset), and aerosink's liveness heartbeats "worker-<id>"
 *     {"worker_id":..,"url":..,"time":ms} (null: left cleanly).
 *   - live workers = heartbeats newer than the session timeout; sorted by id, the worker at
 *     rank r runs task r of every connector whose tasks.max > r (one consumer per worker per
 *     connector; its processing threads give the parallelism).
 * Threads: herder_run blocks the calling thread (control loop); a reader thread follows both
 *       topics; one thread per local task. Every other function is thread-safe (REST threads).
 * Errors: enum status + struct err; ST_NOT_FOUND for unknown connectors/tasks, ST_EXISTS,
 *       ST_CONFIG with the checker's file:line messages, ST_TIMEOUT when a write is not read
 *       back in time, ST_UNAVAILABLE before the config topic has been read to its end. */
#ifndef AEROSINK_APP_HERDER_H
#define AEROSINK_APP_HERDER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/connector.h"
#include "common/common.h"
#include "config/config.h"
#include "rest/rest.h"

struct herder_opts {
    const struct cfg_worker *worker;      /* borrowed until herder_free */
    const char *worker_id;                /* advertised "host:port" */
    const char *url;                      /* "http://host:port" */
    struct app_run_opts run;              /* for every task */
    uint32_t heartbeat_ms;                /* status-topic heartbeat period */
    uint32_t session_timeout_ms;          /* a worker is dead after this without heartbeat */
    uint32_t request_timeout_ms;          /* a REST write waits this long to be read back */
};

struct herder;

/* Connects the store (producer + reader thread) and starts reading both topics from the
 * beginning. Returns owned (herder_free). */
struct herder *herder_new(const struct herder_opts *o, struct err *e);
/* The control loop: heartbeats, assignment, task start/stop/pause, status reports. Returns
 * when *stop is set, after stopping local tasks (drained, offsets committed) and saying
 * goodbye on the status topic. */
void herder_run(struct herder *h, volatile sig_atomic_t *stop);
void herder_free(struct herder *h);

/* Has the config topic been read up to where it ended at start? */
bool herder_ready(struct herder *h);
const char *herder_worker_id(const struct herder *h);
/* The Kafka cluster id into @out ("" when unknown): learned at start, else asked of the
 * storage producer (1 s at most) until known, then cached. @thread any */
void herder_cluster_id(struct herder *h, char *out, size_t cap);

/* --- Reads (from what this worker has read from the topics) --- */
enum status herder_list(struct herder *h, struct rest_strs *out, struct err *e);
enum status herder_info(struct herder *h, const char *name, struct rest_connector_info *out,
                        struct err *e);
enum status herder_config(struct herder *h, const char *name, struct rest_kvs *out, struct err *e);
enum status herder_status(struct herder *h, const char *name, struct rest_status *out,
                          struct err *e);
enum status herder_task_status(struct herder *h, const char *name, int32_t task,
                               struct rest_task_state *out, struct err *e);
enum status herder_task_configs(struct herder *h, const char *name, struct rest_task_configs *out,
                                struct err *e);
/* The topics @name's tasks consumed since it was created or its topics were reset, sorted
 * (Kafka Connect's topic tracking; none for an unknown connector, as there). ST_UNSUPPORTED
 * when topic.tracking.enable=false. */
enum status herder_topics(struct herder *h, const char *name, struct rest_strs *out, struct err *e);

/* The config of @name when its target state is STOPPED (editing its offsets): ST_CONFIG
 * with Kafka Connect's message when it is not, ST_NOT_FOUND when it does not exist. */
enum status herder_stopped_config(struct herder *h, const char *name, struct rest_kvs *out, struct err *e);

/* --- Writes: produced to the config topic, answered once read back (read-your-writes) --- */
/* Store @config (already validated: see app_rest_check_connector) for @name.
 * @must_be_new: ST_EXISTS if present; @must_exist: ST_NOT_FOUND if absent. A create (the
 * name absent here) first claims the name in the config topic: when another worker's create
 * of the same name came first in the topic, @must_be_new answers ST_EXISTS, and without it
 * the other create is awaited and this becomes an update. *@created says what the record did
 * once read back (an update that follows a concurrent delete creates again). */
enum status herder_put_config(struct herder *h, const char *name, const struct rest_kvs *config,
                              enum rest_target_state initial, bool must_be_new, bool must_exist,
                              bool *created, struct err *e);
enum status herder_delete(struct herder *h, const char *name, struct err *e);
enum status herder_set_target(struct herder *h, const char *name, enum rest_target_state t,
                              struct err *e);
enum status herder_restart(struct herder *h, const char *name, bool include_tasks,
                           bool only_failed, struct rest_status *out, struct err *e);
enum status herder_restart_task(struct herder *h, const char *name, int32_t task, struct err *e);
/* Forget @name's topics (tombstones in the status topic, read back here before returning);
 * tasks record a topic again at its next record. ST_UNSUPPORTED with Connect's message when
 * topic.tracking.enable or topic.tracking.allow.reset is false. */
enum status herder_topics_reset(struct herder *h, const char *name, struct err *e);

/* Prometheus lines about this worker's tasks (appended). */
enum status herder_metrics(struct herder *h, struct buf *out, struct err *e);

#endif
