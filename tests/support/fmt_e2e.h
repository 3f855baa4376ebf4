/* tests/support/fmt_e2e.h: helpers for the format end-to-end tests (tests/integration/formats_*):
 * run-unique names (so real Kafka/Aerospike/registry never show a test old data), Kafka with
 * topics created on a real cluster too, a producer of raw keys/values/headers, the aerosink
 * standalone process, and reading Aerospike records back bin by bin.
 * Setup failures end the test (exit 1) with a message. Threads: the test's main thread. */
#ifndef AEROSINK_FMT_E2E_H
#define AEROSINK_FMT_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../src/aerospike/aero.h"
#include "e2e.h"
#include "testutil.h"

/* "<base>-<pid>-<n>": unique per test process and run. Rotating static buffer (8 calls). */
const char *fmt_name(const char *base);

/* Kafka for the test: kafka-mock with @topics ("name:partitions", NULL-terminated), or the
 * real $KAFKA_BOOTSTRAP where the topics are created with the Admin API (existing ones kept). */
struct tu_proc *fmt_kafka_start(const char *const topics[], char *bootstrap, size_t cap);

/* A producer of exact bytes. @key NULL = null key; @vlen < 0 = null value (tombstone);
 * @headers: NULL-terminated name, value pairs (value NULL = null header), or NULL. */
struct fmt_producer;
struct fmt_producer *fmt_producer_new(const char *bootstrap);
void fmt_send(struct fmt_producer *p, const char *topic, int partition, const void *key, size_t klen,
              const void *val, long vlen, const char *const headers[]);
void fmt_producer_free(struct fmt_producer *p);   /* flushes first */

/* Write @dir/@name from a printf format; returns the path (rotating static buffer, 8 calls). */
const char *fmt_file(const char *dir, const char *name, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* "aerospike:\n  seeds:\n    - HOST: {port: P}\n..." for every host of @hosts. */
void fmt_seeds_yaml(const char *hosts, struct buf *out);

/* aerosink standalone --progress 0 @extra... @worker @conns... (NULL-terminated lists). */
struct tu_proc *fmt_sink_start(const char *worker, const char *const conns[], const char *const extra[]);
/* Stop with @sig (0: just wait for it to exit) within @timeout_ms; returns the exit code (-1 if it
 * had to be killed) and its log (stderr) in *@log (owned, mem_free). */
int fmt_sink_stop(struct tu_proc *p, int sig, int timeout_ms, char **log);
/* A sanitizer (ASan, UBSan, LSan) reported something in @log. */
bool fmt_sanitizer_report(const char *log);
/* Lines of @text containing @needle. */
int fmt_count_lines(const char *text, const char *needle);

/* Totals of the last progress line of an aerosink log ("... total in N written N deleted N
 * skipped N dead-lettered N failed N retries N"; run with --progress > 0: the last line is
 * printed when the connector stops). False if there is none. */
struct fmt_totals {
    long long in, written, deleted, skipped, dead_lettered, failed, retries;
};
bool fmt_totals(const char *log, struct fmt_totals *t);

/* Read @ns/@set/@key (all bins). */
enum status fmt_get(struct e2e_aero *a, const char *ns, const char *set, const struct aero_key_value *key,
                    struct aero_record *rec);
struct aero_key_value fmt_key_str(const char *s);
struct aero_key_value fmt_key_int(int64_t v);
/* Wait until @key exists (true) or @timeout_ms passes (false). */
bool fmt_wait_record(struct e2e_aero *a, const char *ns, const char *set, const struct aero_key_value *key,
                     int timeout_ms);
/* Remaining TTL of a record read now, in seconds (-1: never expires). */
int64_t fmt_ttl(const struct aero_record *rec);
/* Same bins (names, particles, bytes) in @a and @b, ignoring bins named in @skip (NULL-terminated
 * or NULL). False with the first difference in @why. */
bool fmt_bins_equal(const struct aero_record *a, const struct aero_record *b, const char *const skip[],
                    char *why, size_t cap);
/* Number of bins of @rec. */
int fmt_bin_count(const struct aero_record *rec);

#endif
