/* tests/support/standalone.h: helpers for end-to-end tests of `aerosink standalone` run as a
 * user runs it: real config files on disk, the real binary, real (or fake) Kafka and Aerospike.
 * Owns: per-test environments (unique names so tests can share a real cluster, a temp dir with
 *       the config files), starting/stopping aerosink and checking every exit (exit code and
 *       no sanitizer report in its stderr), parsing its progress lines, committed offsets,
 *       a general producer (any key bytes, tombstones, chosen partitions), typed record reads.
 * Everything fails the test (message + exit 1) on setup errors, so tests stay short.
 * Threads: call from the test's main thread. */
#ifndef AEROSINK_STANDALONE_SUPPORT_H
#define AEROSINK_STANDALONE_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "e2e.h"
#include "testutil.h"

/* Fail the test from support code (same shape as the harness' failures). */
void sa_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* TEST_TIMEOUT_SCALE (x4 under sanitizers) applied to @ms. */
int sa_ms(int ms);

struct sa_env {
    struct tu_proc *kafka, *aero;
    char bootstrap[256], hosts[512];
    char dir[512];            /* this test's config directory */
    char id[40];              /* unique per test run */
    char names[16][128];      /* sa_name results */
    int n_names;
    char paths[16][600];      /* files written by sa_worker / sa_connector */
    int n_paths;
};

/* Pick the unique id and make the config directory. Call first. */
void sa_env_init(struct sa_env *v);
/* "<base>-<id>" (unique per test run; fits set names). Valid while @v lives. */
const char *sa_name(struct sa_env *v, const char *base);
/* Start Kafka with @topics ("name:partitions"; on a real Kafka they are created with the Admin
 * API) and Aerospike with @aero_args (NULL-terminated, fake-only levers; may be NULL). */
void sa_env_start(struct sa_env *v, const char *const topics[], const char *const aero_args[]);
void sa_env_free(struct sa_env *v);

/* worker.properties for tests: bootstrap, String keys, schemaless JSON values, 300 ms commits,
 * group timing for the mock, then @extra (lines "k=v\n", may be NULL). Returns its path. */
const char *sa_worker(struct sa_env *v, const char *extra);
/* <name>.yml = @top (top-level keys, may be NULL) + aerospike seeds from v->hosts + "topics:\n"
 * + @topics_yaml (indented by the caller, 2 spaces per topic); and <name>.properties with name,
 * connector.class, topics=@topics_csv, aerospike.config.file=<name>.yml, then @extra.
 * Returns the properties path. */
const char *sa_connector(struct sa_env *v, const char *name, const char *topics_csv, const char *top,
                         const char *topics_yaml, const char *extra);

/* `aerosink standalone --progress 1 [@opts...] WORKER CONNECTOR [@more connectors...]`.
 * @more: NULL-terminated, may be NULL. @env: extra "K=V" for the process (may be NULL). */
struct tu_proc *sa_start(const char *worker, const char *connector, const char *const more[],
                         const char *const opts[], const char *const env[]);
/* Wait until aerosink's stderr contains @needle (true) or @timeout_ms (scaled) passes. Fails
 * the test (with the stderr) if the process exits meanwhile and @needle never appeared. */
bool sa_wait_log(struct tu_proc *p, const char *needle, int timeout_ms);
/* Stop: send @sig (0 = only wait for it to exit), wait up to @timeout_ms (scaled), then check
 * the exit code is @want_rc and stderr holds no sanitizer report; both failures print the
 * stderr. Returns the stderr (owned: mem_free) and frees @p. */
char *sa_end(struct tu_proc *p, int sig, int want_rc, int timeout_ms);
/* Fails the test when @text contains an ASan/LSan/UBSan report. */
void sa_no_sanitizer_report(const char *who, const char *text);

/* Counters of aerosink's last progress line. */
struct sa_stats {
    bool valid;
    long long in, written, deleted, skipped, dead_lettered, failed, retries, lag, in_flight;
    bool paused;
};
bool sa_parse_last_stats(const char *text, struct sa_stats *s);
/* Current stats of a running aerosink. */
bool sa_stats_now(struct tu_proc *p, struct sa_stats *s);
/* Wait until written+deleted+skipped+dead_lettered >= @want_out; returns the last stats. */
bool sa_wait_out(struct tu_proc *p, long long want_out, int timeout_ms, struct sa_stats *s);
/* e2e_wait_objects for a running aerosink @p: on timeout (scaled) fails the test with the object
 * count and aerosink's stderr, so a stuck pipeline shows why. Returns the count (== @want). */
long sa_wait_objects(struct tu_proc *p, const char *hosts, const char *ns, const char *set, long want,
                     int timeout_ms);
/* Lines of @text containing @needle. */
int sa_count(const char *text, const char *needle);
/* Lines of @text containing both @a and @b. */
int sa_count2(const char *text, const char *a, const char *b);

/* Committed offsets of group @group for @topic partitions 0..n-1 into @out (no commit = 0);
 * returns their sum. */
long long sa_committed(const char *bootstrap, const char *group, const char *topic, int n, int64_t *out);
/* Poll until the sum == @want (or timeout, scaled); returns the last sum. */
long long sa_wait_committed(const char *bootstrap, const char *group, const char *topic, int n, long long want,
                            int timeout_ms, int64_t *out);

/* A general producer. The callback fills one record: key (key_len < 0 = no key), value
 * (val_len < 0 = null value, a tombstone), partition (-1 = librdkafka's partitioner). */
struct sa_rec {
    char key[256];
    int key_len;
    char *val;                /* buffer of val_cap bytes */
    size_t val_cap;
    int val_len;
    int partition;
};
typedef void (*sa_rec_fn)(int i, struct sa_rec *r, void *ctx);
void sa_produce(const char *bootstrap, const char *topic, int n, sa_rec_fn fn, void *ctx);

/* Reads: any key type, an integer key, a digest. */
enum status sa_get(struct e2e_aero *a, const char *ns, const char *set, const struct aero_key_value *k,
                   struct aero_record *rec);
enum status sa_get_int(struct e2e_aero *a, const char *ns, const char *set, int64_t key, struct aero_record *rec);
enum status sa_get_digest(struct e2e_aero *a, const char *ns, const char *set, const uint8_t digest[20],
                          struct aero_record *rec);
bool sa_has_bin(const struct aero_record *rec, const char *bin);
int sa_bin_count(const struct aero_record *rec);
double sa_bin_double(const struct aero_record *rec, const char *bin);
/* Remaining TTL of @rec in seconds (-1 = never expires). */
int64_t sa_ttl(const struct aero_record *rec);
/* Write a record from the test (seeding): bins "k=v" pairs of integers, string key. */
void sa_put_ints(struct e2e_aero *a, const char *ns, const char *set, const char *key, const char *const names[],
                 const int64_t vals[], size_t n);

/* Peak resident set of @pid in kB (VmHWM), -1 if unknown. */
long sa_vm_hwm_kb(pid_t pid);
/* Send info command @cmd to the first host of @hosts; returns the reply body (owned) or NULL. */
char *sa_info(const char *hosts, const char *cmd);

#endif
