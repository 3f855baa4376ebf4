/* tests/support/e2e.h: helpers for end-to-end tests (Kafka producer, Aerospike checks).
 * Everything fails the test (TEST_FAIL-style exit) on setup errors, so tests stay short.
 * Threads: call from the test's main thread. */
#ifndef AEROSINK_E2E_H
#define AEROSINK_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../src/aerospike/aero.h"

/* Produce @n records to @topic: key = key_fmt with %d -> i (NULL key when key_fmt is NULL),
 * value = value_fn(i, buf, cap) (return length, or -1 for a null value / tombstone),
 * partition = i % partitions (or -1 for the default partitioner when partitions <= 0). */
typedef int (*e2e_value_fn)(int i, char *buf, size_t cap, void *ctx);
/* One message of e2e_produce_at: key and value strings, and the record's timestamp (ms). */
struct e2e_msg {
    const char *key, *value;
    int64_t ts_ms;
};
/* Produce @msgs in order to partition @partition of @topic, each with its own timestamp. */
void e2e_produce_at(const char *bootstrap, const char *topic, int partition, const struct e2e_msg *msgs, int n);
void e2e_produce(const char *bootstrap, const char *topic, int n, int partitions, const char *key_fmt,
                 e2e_value_fn value_fn, void *ctx);

/* Create @topics ("name:partitions", NULL-terminated, at most 64) on a real Kafka at
 * @bootstrap (kafka-mock pre-creates them itself); an existing topic is fine. */
void e2e_create_topics(const char *bootstrap, const char *const topics[]);

/* objects=N of @ns/@set summed over every node of @hosts ("h:p[,h:p...]") via info `sets`. */
long e2e_count_objects(const char *hosts, const char *ns, const char *set);
/* Wait until e2e_count_objects >= @want, or @timeout_ms passes; returns the last count. */
long e2e_wait_objects(const char *hosts, const char *ns, const char *set, long want, int timeout_ms);
/* A counter of the first node's `statistics` (e.g. aerospike-testd's "testd_batch_rows");
 * -1 when the node does not report it. */
long long e2e_node_stat(const char *hosts, const char *name);

/* A cluster + blocking client on @hosts for reading records back. */
struct e2e_aero {
    struct aero_cluster *cluster;
    struct aero_client *cl;
};
void e2e_aero_open(struct e2e_aero *a, const char *hosts);
void e2e_aero_close(struct e2e_aero *a);
/* Read @ns/@set/string key @key; returns the result (ST_OK, ST_NOT_FOUND...). */
enum status e2e_get_str(struct e2e_aero *a, const char *ns, const char *set, const char *key,
                        struct aero_record *rec);
/* Integer bin value (fails the test if absent or not an integer). */
int64_t e2e_bin_int(const struct aero_record *rec, const char *bin);
/* String bin value copied into @out (fails the test if absent or not a string). */
const char *e2e_bin_str(const struct aero_record *rec, const char *bin, char *out, size_t cap);

/* Committed offsets of @group for @topic partitions 0..n-1 into @out (-1001 = none). */
void e2e_committed(const char *bootstrap, const char *group, const char *topic, int n, int64_t *out);

#endif
