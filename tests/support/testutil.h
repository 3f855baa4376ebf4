/* tests/support/testutil.h: helpers for integration tests that run the real binaries.
 * Owns: child processes started by tests (always killed: PR_SET_PDEATHSIG, plus the
 *       harness kills each test's process group), free-port discovery, temp dirs,
 *       and the "real system or our fake" switch (KAFKA_BOOTSTRAP / AEROSPIKE_HOSTS).
 * Memory: tu_* functions returning char * return owned strings (free with mem_free);
 *         struct tu_proc is freed with tu_proc_free (NULL ok), which also kills it.
 * Threads: call from the test's main thread only. */
#ifndef AEROSINK_TESTUTIL_H
#define AEROSINK_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../src/common/common.h"

struct tu_proc;

/* Path of a built binary: "$BUILD_DIR/<name>" (BUILD_DIR defaults to "build").
 * Returns a pointer into a rotating static buffer (valid for 8 calls). */
const char *tu_bin(const char *name);
/* The same as an absolute path (for commands run from another directory); static buffer
 * valid until the next call. Fails the test if the working directory cannot be read. */
const char *tu_bin_abs(const char *name);

/* A fresh temporary directory for this test (removed by the harness' tmp cleanup;
 * path is under $TMPDIR or /tmp). Returns a static buffer valid until the next call. */
const char *tu_tmpdir(void);
/* Write @text to @dir/@name; returns the full path (rotating static buffer). */
const char *tu_write_file(const char *dir, const char *name, const char *text);
/* Read a whole file; returns owned NUL-terminated text or NULL. */
char *tu_read_file(const char *path, size_t *len);

/* Start @argv (argv[0] is the path). stdout is a pipe read by tu_proc_wait_line;
 * stderr goes to a file (tu_proc_stderr). @env: extra "K=V" strings, NULL-terminated, or NULL. */
struct tu_proc *tu_proc_start(const char *const argv[], const char *const env[]);
/* Read stdout lines until one starts with @prefix (copied to @line, may be NULL).
 * Returns false on timeout or EOF; the lines read are kept (tu_proc_stdout). */
bool tu_proc_wait_line(struct tu_proc *p, const char *prefix, int timeout_ms, char *line, size_t cap);
/* Everything read from stdout so far (including lines consumed by wait_line). */
const char *tu_proc_stdout(struct tu_proc *p);
/* Drain stdout until EOF or @timeout_ms. */
void tu_proc_drain(struct tu_proc *p, int timeout_ms);
/* Current stderr text (owned; free with mem_free). */
char *tu_proc_stderr(struct tu_proc *p);
pid_t tu_proc_pid(const struct tu_proc *p);
/* Send @sig, wait up to @timeout_ms, then SIGKILL. Returns the exit code (0..255),
 * 128+signal if it died by a signal, or -1 if it had to be killed. */
int tu_proc_stop(struct tu_proc *p, int sig, int timeout_ms);
/* Wait for exit without signalling. Returns as tu_proc_stop, -2 on timeout (still running). */
int tu_proc_wait(struct tu_proc *p, int timeout_ms);
bool tu_proc_running(struct tu_proc *p);
void tu_proc_free(struct tu_proc *p);

/* The first line of @text that librdkafka printed itself ("%LEVEL|TIME|FAC|...", what it
 * writes to stderr when no log callback is set), or NULL. */
const char *tu_raw_librdkafka_line(const char *text);

/* Run a command to completion; stdout+stderr captured into @out (owned, may be NULL).
 * Returns the exit code, 128+signal, or -1 on timeout. */
int tu_run(const char *const argv[], int timeout_ms, char **out);

/* @n consecutive free TCP ports on 127.0.0.1; returns the first. */
int tu_free_ports(int n);

/* Kafka for a test: $KAFKA_BOOTSTRAP if set (returns NULL proc), else a kafka-mock with
 * @topics ("name:partitions", NULL-terminated). Fills @bootstrap (cap >= 256). */
struct tu_proc *tu_kafka_start(const char *const topics[], int brokers, char *bootstrap, size_t cap);
/* The same with kafka-mock options @extra (NULL-terminated, e.g. "--rtt-ms", "60"). */
struct tu_proc *tu_kafka_start_args(const char *const topics[], int brokers, const char *const extra[],
                                    char *bootstrap, size_t cap);
bool tu_kafka_is_real(void);

/* Aerospike for a test: $AEROSPIKE_HOSTS if set (returns NULL proc), else aerospike-testd
 * with @extra_args (NULL-terminated, may be NULL). Fills @hosts "127.0.0.1:P". */
struct tu_proc *tu_aerospike_start(const char *const extra_args[], char *hosts, size_t cap);
bool tu_aerospike_is_real(void);

/* Certificates for TLS tests, made with the openssl CLI in a fresh temporary directory @dir:
 * a CA (ca.pem, and ca.p12 with password "store-pw"), a server certificate for DNS name
 * "aero-test" signed by it (server.pem + server.key), a client certificate for "pki-user"
 * (client.pem: certificate and key), and an unrelated CA (wrong-ca.pem). Exits the test on
 * failure. */
struct tu_certs {
    char dir[256];
    char ca[320], ca_p12[320], wrong_ca[320], server[320], server_key[320], client[320];
};
void tu_make_certs(struct tu_certs *c);

#endif
