/* src/kafka/kafka.h: Kafka consumption for one connector task (librdkafka high-level consumer).
 * Owns: the consumer handle, its subscription (topic list or regex), group membership and
 *       rebalances (eager or cooperative, whichever the assignor negotiates), batched fetch,
 *       pause/resume, explicit offset commits (auto-commit and auto-store are always off:
 *       the worker decides what is durable), and a small producer for dead-letter records.
 * Not here: what a record means (convert/, mapping/), when an offset is safe (worker/).
 * Memory: messages returned by kafka_consumer_poll are librdkafka's; release each with
 *         kafka_message_free (rd_kafka_message_destroy), or detach it into memory of the
 *         caller's (kafka_message_detach), which releases it. Strings passed in are copied.
 * Threads: one thread drives a consumer (new, poll, commit, close, free); the rebalance
 *          callbacks run inside kafka_consumer_poll/close on that thread. kafka_pause_all,
 *          kafka_resume_all and the producer are thread-safe. A kafka_group is driven by one
 *          thread at a time (any thread).
 * Errors: enum status + struct err naming the topic[partition] or broker. */
#ifndef AEROSINK_KAFKA_H
#define AEROSINK_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <librdkafka/rdkafka.h>

#include "common/common.h"

typedef rd_kafka_message_t kafka_message;

struct kafka_tp {
    const char *topic;     /* valid until the callback returns */
    int32_t partition;
    int64_t offset;        /* commit: next offset to read; assign: -1001 (stored/committed) */
};

/* Rebalance hooks, called on the polling thread. on_revoke must return only when the
 * application is done with those partitions and has committed what it wants committed
 * (kafka_commit with sync = true is allowed inside). @lost: partitions were lost (session
 * timed out), committing is pointless. */
struct kafka_hooks {
    void (*on_assign)(void *ctx, const struct kafka_tp *tps, size_t n);
    void (*on_revoke)(void *ctx, const struct kafka_tp *tps, size_t n, bool lost);
    void (*on_error)(void *ctx, enum status st, const char *msg);   /* fatal or notable */
    /* The outcome of a commit (asynchronous ones included): @errs[i] is 0 when tps[i] was
     * committed, else librdkafka's error code; runs inside kafka_consumer_poll/commit. */
    void (*on_commit)(void *ctx, const struct kafka_tp *tps, const int *errs, size_t n);
    /* librdkafka's own log lines (syslog @level: 3 error, 4 warning, ...; @fac its facility),
     * which it would otherwise print to stderr in its own format. Called from librdkafka's
     * threads. NULL: dropped (its errors also reach on_error). */
    void (*on_log)(void *ctx, int level, const char *fac, const char *msg);
    void *ctx;
};

struct kafka_consumer_config {
    const char *bootstrap;          /* bootstrap.servers */
    const char *group_id;           /* connect-<name> */
    const char *client_id;          /* optional */
    const char *const *topics;      /* NULL-terminated, or NULL when topics_regex is set */
    const char *topics_regex;       /* POSIX extended regex of whole topic names, starting with ^
                                     * (config's topics_pattern; ^ is added when missing) */
    const char *const *props;       /* extra librdkafka settings: NULL-terminated key,value pairs */
};

struct kafka_consumer;

struct kafka_consumer *kafka_consumer_new(const struct kafka_consumer_config *cc,
                                          const struct kafka_hooks *hooks, struct err *e);
/* Take up to @cap messages: all that are ready now, waiting up to @timeout_ms only when none
 * is (never for the batch to fill up). Returns the count (0 on timeout).
 * Error events (partition EOF, transport) are consumed here, never returned; fatal ones
 * reach hooks->on_error. */
size_t kafka_consumer_poll(struct kafka_consumer *kc, kafka_message **msgs, size_t cap, int timeout_ms);
/* Destroys a message of librdkafka's; does nothing to a detached one (its memory is the
 * caller's) or NULL. */
void kafka_message_free(kafka_message *m);
/* The record's timestamp (ms since the epoch, create or log-append time), -1 when it has none
 * (or the message is detached). */
int64_t kafka_message_timestamp(const kafka_message *m);
/* Copy @m's partition, offset, key and value into @cell (@cap bytes) as a detached message and
 * destroy @m. Returns the detached message, which lives in @cell (partition, offset, key, len,
 * payload as @m's, NULL kept NULL; no topic handle, headers or timestamp), or NULL, @m
 * untouched, when it does not fit or is an error event. librdkafka's memory for a message (one
 * allocation of its own and a share of a fetch buffer) is then given back at once rather than
 * when the record is done, which with thousands of records queued costs its allocator far
 * more (bench/README.md). */
kafka_message *kafka_message_detach(kafka_message *m, void *cell, size_t cap);
bool kafka_message_detached(const kafka_message *m);
/* Commit @n offsets (each the next offset to read). @sync: wait, and fill @errs[i] (may be
 * NULL) with 0 or the partition's error; async: the outcome reaches hooks->on_commit later. */
enum status kafka_commit(struct kafka_consumer *kc, const struct kafka_tp *tps, size_t n, bool sync,
                         int *errs, struct err *e);
/* Last committed offsets for @tps (filled in place; -1001 when none). */
enum status kafka_committed(struct kafka_consumer *kc, struct kafka_tp *tps, size_t n, int timeout_ms,
                            struct err *e);
enum status kafka_pause_all(struct kafka_consumer *kc);
enum status kafka_resume_all(struct kafka_consumer *kc);
/* Restart fetching of @tps now, from their .offset (the next offset the application wants).
 * librdkafka 2.0 stops fetching while its local queue is above queued.max.messages.kbytes /
 * queued.min.messages and looks again only when its broker thread next wakes, up to 1 s later,
 * even if the application emptied the queue meanwhile (librdkafka issue #2879; 2.2 adds
 * fetch.queue.backoff.ms). A seek wakes it. Asynchronous: a message below .offset may still be
 * returned once (skip it). Consumer thread only. */
enum status kafka_consumer_refetch(struct kafka_consumer *kc, const struct kafka_tp *tps, size_t n);
/* High watermark minus @next_offset, from librdkafka's cached statistics (no round trip);
 * @next_offset < 0 means "not read yet here": the consumer's position (the committed offset it
 * starts from) is used. -1 when unknown. */
int64_t kafka_lag(struct kafka_consumer *kc, const char *topic, int32_t partition, int64_t next_offset);
/* librdkafka's cached low and high watermarks of a partition (no round trip); false when not
 * known yet (no fetch response seen). */
bool kafka_watermarks(struct kafka_consumer *kc, const char *topic, int32_t partition, int64_t *lo, int64_t *hi);
/* auto.offset.reset is earliest: a partition without a committed offset starts at its low
 * watermark (else at its end). */
bool kafka_reset_earliest(const struct kafka_consumer *kc);
/* The Kafka cluster id (from the metadata librdkafka keeps) into @out: waits at most
 * @timeout_ms for a first metadata response (0: only what is known already, no wait). False
 * when not known (no metadata yet, or a broker too old to tell). @thread any */
bool kafka_consumer_cluster_id(struct kafka_consumer *kc, char *out, size_t cap, int timeout_ms);
/* Leave the group (runs on_revoke for what is assigned). */
void kafka_consumer_close(struct kafka_consumer *kc);
void kafka_consumer_free(struct kafka_consumer *kc);

/* --- A consumer group's offsets, administered from outside the group (REST .../offsets) --- */
struct kafka_group;

/* A short-lived consumer handle for group @group_id: group.id first, then @props (the
 * connector's consumer settings, so a group.id among them wins, as in kafka_consumer_new).
 * It never subscribes, except inside kafka_group_commit. Returns owned (kafka_group_free). */
struct kafka_group *kafka_group_new(const char *bootstrap, const char *group_id, const char *const *props,
                                    struct err *e);
/* Called once per partition that has a committed offset (@offset: the next offset to read);
 * @topic is valid until it returns. A status other than ST_OK stops the walk. */
typedef enum status (*kafka_offset_cb)(void *ctx, const char *topic, int32_t partition, int64_t offset);
/* The committed offsets of the partitions of @topics (NULL-terminated, may be NULL) and of
 * every topic matching @topics_regex (may be NULL; POSIX extended, ^ added when missing),
 * from cluster metadata and an OffsetFetch; partitions without one are skipped. Topics come
 * sorted by name, partitions by number. ST_UNAVAILABLE/ST_TIMEOUT naming the topic when the
 * cluster does not answer. */
enum status kafka_group_committed(struct kafka_group *kg, const char *const *topics, const char *topics_regex,
                                  int timeout_ms, kafka_offset_cb cb, void *ctx, struct err *e);
/* Commit @tps (each .offset the next offset to read, >= 0) for a group that no one consumes
 * in: first as an outsider (generation -1, what Kafka accepts for an empty group); when the
 * broker answers UNKNOWN_MEMBER_ID (a live member, or librdkafka's mock cluster, which never
 * forgets a group's members) by joining the group on the topics of @tps and committing as its
 * member, which is done only when the assignment holds every partition of those topics (no
 * one else is in the group). ST_BUSY naming the group when another member is active,
 * ST_UNAVAILABLE/ST_TIMEOUT naming topic[partition] otherwise. Leaves the group on return. */
enum status kafka_group_commit(struct kafka_group *kg, const struct kafka_tp *tps, size_t n, int timeout_ms,
                               struct err *e);
void kafka_group_free(struct kafka_group *kg);

/* --- Producer (dead-letter queue, tests, demo) --- */
struct kafka_producer;
struct kafka_header {
    const char *name;
    const void *value;
    size_t len;
};
struct kafka_producer *kafka_producer_new(const char *bootstrap, const char *const *props, struct err *e);
/* Produce and wait until the broker acknowledged it (or @timeout_ms passed). */
enum status kafka_produce_sync(struct kafka_producer *kp, const char *topic, int32_t partition,
                               const void *key, size_t key_len, const void *val, size_t val_len,
                               const struct kafka_header *hdrs, size_t n_hdrs, int timeout_ms,
                               struct err *e);
void kafka_producer_free(struct kafka_producer *kp);

/* An asynchronous producer: kafka_produce_async queues a record; its outcome comes back as
 * @cb(@ctx, msg_opaque, status, reason) from inside kafka_producer_poll on the thread that polls
 * (ST_OK once the broker acknowledged it). Not for kafka_produce_sync. */
typedef void (*kafka_delivery_cb)(void *ctx, void *msg_opaque, enum status st, const char *why);
struct kafka_producer *kafka_producer_new_async(const char *bootstrap, const char *const *props,
                                                kafka_delivery_cb cb, void *ctx, struct err *e);
/* ST_OK (queued: the callback will run), ST_BUSY (local queue full: poll and try again), or an
 * error (the callback will not run). */
enum status kafka_produce_async(struct kafka_producer *kp, const char *topic, int32_t partition,
                                const void *key, size_t key_len, const void *val, size_t val_len,
                                const struct kafka_header *hdrs, size_t n_hdrs, void *msg_opaque,
                                struct err *e);
/* Serve delivery callbacks; waits up to @timeout_ms for one. Returns how many ran. */
int kafka_producer_poll(struct kafka_producer *kp, int timeout_ms);

/* The client a configuration is for: a few Java settings are one client's (buffer.memory is
 * the producer's queue) or map to different librdkafka settings per client.
 * KAFKA_CLIENT_ANY: translated as for both (what `aerosink check` tries). */
enum kafka_client { KAFKA_CLIENT_ANY, KAFKA_CLIENT_CONSUMER, KAFKA_CLIENT_PRODUCER };

/* Apply NULL-terminated key,value pairs to a librdkafka conf for a @client; e names the bad
 * key. Java client names and values (Kafka Connect's `consumer.*` files) are translated first,
 * as kafka_conf_check does (see docs/operations.md "From the Java connector"); a Java setting
 * without effect is not an error (kafka_conf_check reports it as a warning). */
enum status kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *props, enum kafka_client client,
                             struct err *e);

/* Check client settings without making a client: the NULL-terminated key,value pairs of @props
 * are translated and applied to a scratch librdkafka configuration, as kafka_conf_apply does.
 * For each problem @bad runs with the pair's index, what kind of problem it is and a message
 * (librdkafka's, trailing newlines removed, or the translation's; never a secret; valid until
 * @bad returns). Returns how many pairs are in error (warnings not counted). */
enum kafka_conf_problem {
    KAFKA_CONF_BAD_VALUE,     /* error: the value is refused (point at the value) */
    KAFKA_CONF_UNKNOWN_KEY,   /* error: neither librdkafka nor the translation knows the key */
    KAFKA_CONF_WARNING,       /* accepted, but the setting has no effect or was overridden */
};
typedef void (*kafka_conf_bad_cb)(void *ctx, size_t pair, enum kafka_conf_problem what,
                                  const char *msg);
size_t kafka_conf_check(const char *const *props, kafka_conf_bad_cb bad, void *ctx);

#endif
