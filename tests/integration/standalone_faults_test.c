/* End-to-end faults around `aerosink standalone`, counting every record: kill -9 and restart,
 * Aerospike down for 5 s (pause, and stop + restart from a snapshot), stopping while Aerospike
 * acknowledges nothing (one drain timeout in all; a second signal stops waiting). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/standalone.h"
#include "../support/testutil.h"

static const char *const no_opts[] = {NULL};

static const char *group_of(const char *name)
{
    static char g[4][200];
    static int slot;
    char *o = g[slot = (slot + 1) % 4];
    snprintf(o, sizeof(g[0]), "connect-%s", name);
    return o;
}

static void keyed_yaml(char *buf, size_t cap, const char *topic, const char *set)
{
    snprintf(buf, cap,
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, set);
}

static int seq_json(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"seq\":%d,\"pad\":\"%040d\"}", i, i);
}

/* Every key u-0..u-(n-1) present (object count) with seq == its number (sampled every @step,
 * plus the last). */
static void check_one(struct e2e_aero *a, const char *set, int i)
{
    struct aero_record rec = {0};
    char key[32];
    snprintf(key, sizeof(key), "u-%d", i);
    enum status st = e2e_get_str(a, "test", set, key, &rec);
    if (st != ST_OK)
        TEST_FAIL("record %s: %s", key, status_name(st));
    ASSERT_EQ_INT(e2e_bin_int(&rec, "seq"), i);
    aero_record_free(&rec);
}

static void check_all_present(const char *hosts, const char *set, int n, int step)
{
    struct e2e_aero a;
    ASSERT_EQ_INT(e2e_count_objects(hosts, "test", set), n);
    e2e_aero_open(&a, hosts);
    for (int i = 0; i < n; i += step)
        check_one(&a, set, i);
    check_one(&a, set, n - 1);
    e2e_aero_close(&a);
}

/* ---- kill -9 mid-stream, restart with the same files ---- */

TEST(kill_9_mid_stream_then_restart_loses_nothing)
{
    struct sa_env v;
    const int n = 60000, parts = 3;
    const char *slow[] = {"--latency-ms", "2", NULL};
    char spec[160], yaml[800];
    int64_t offs[3];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "k9"), *set = sa_name(&v, "k9"), *name = sa_name(&v, "k9");
    snprintf(spec, sizeof(spec), "%s:%d", topic, parts);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, tu_aerospike_is_real() ? NULL : slow);
    e2e_produce(v.bootstrap, topic, n, parts, "u-%d", seq_json, NULL);
    keyed_yaml(yaml, sizeof(yaml), topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, "processing-threads: 2\nmax-queued-records: 5000\n", yaml, NULL);

    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_CMP_INT(e2e_wait_objects(v.hosts, "test", set, n / 4, sa_ms(60000)), >=, n / 4);
    struct sa_stats st;
    ASSERT_TRUE(sa_stats_now(p, &st));
    char *err = sa_end(p, SIGKILL, 128 + SIGKILL, 10000);
    mem_free(err);
    long before = e2e_count_objects(v.hosts, "test", set);
    if (before >= n)
        TEST_FAIL("the stream finished before kill -9 (%ld objects): not mid-stream", before);
    long long committed = sa_committed(v.bootstrap, group_of(name), topic, parts, offs);
    ASSERT_CMP_INT(committed, <=, before);   /* never committed past what was written */

    p = sa_start(w, c, NULL, no_opts, NULL);
    sa_wait_objects(p, v.hosts, "test", set, n, 80000);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, parts, n, 20000, NULL), n);
    err = sa_end(p, SIGTERM, 0, 60000);
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.in, n - committed);   /* resumed at the committed offsets: duplicates only past them */
    ASSERT_EQ_INT(st.written, n - committed);
    mem_free(err);
    check_all_present(v.hosts, set, n, 97);
    sa_env_free(&v);
}

/* ---- Aerospike down for 5 s ---- */

static void outage_log_checks(const char *err, int threads)
{
    int starts = sa_count(err, "Aerospike writes failing");
    int still = sa_count(err, "Aerospike writes still failing");
    int recovered = sa_count(err, "Aerospike writes recovered");
    /* once per processing thread and window, never once per record */
    if (starts < 1 || starts > threads || still > threads || recovered < 1 || recovered > threads) {
        fputs(err, stderr);
        TEST_FAIL("outage lines: %d 'failing', %d 'still failing', %d 'recovered' (threads %d)", starts, still,
                  recovered, threads);
    }
    ASSERT_EQ_INT(sa_count(err, "] skipped "), 0);
    ASSERT_EQ_INT(sa_count(err, "task failed"), 0);
}

TEST(aerospike_paused_5s_mid_stream_loses_nothing_and_logs_the_outage_once)
{
    struct sa_env v;
    const int n = 60000, parts = 2;
    const char *slow[] = {"--latency-ms", "2", NULL};
    char spec[160], yaml[800];

    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd's testd-pause");
    sa_env_init(&v);
    const char *topic = sa_name(&v, "pause"), *set = sa_name(&v, "pause"), *name = sa_name(&v, "pause");
    snprintf(spec, sizeof(spec), "%s:%d", topic, parts);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, slow);
    e2e_produce(v.bootstrap, topic, n, parts, "u-%d", seq_json, NULL);
    keyed_yaml(yaml, sizeof(yaml), topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, "processing-threads: 2\nmax-queued-records: 5000\n", yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_CMP_INT(e2e_wait_objects(v.hosts, "test", set, n / 10, sa_ms(60000)), >=, n / 10);
    /* with --latency-ms the pause may close the asking connection before its delayed "ok":
     * the outage is proved below by aerosink's own lines and retries */
    mem_free(sa_info(v.hosts, "testd-pause:ms=5000"));
    sleep_ms(5500);
    ASSERT_TRUE(tu_proc_running(p));   /* kept running through the outage */
    sa_wait_objects(p, v.hosts, "test", set, n, 80000);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, parts, n, 20000, NULL), n);
    sleep_ms(5500);   /* the "recovered" line comes after 5 s without failures */
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.written, n);
    ASSERT_EQ_INT(st.failed, 0);
    ASSERT_CMP_INT(st.retries, >, 0);
    outage_log_checks(err, 2);
    mem_free(err);
    check_all_present(v.hosts, set, n, 61);
    sa_env_free(&v);
}

static struct tu_proc *testd_on(int port, const char *snapshot, char *hosts, size_t cap)
{
    char portarg[16], line[256];
    snprintf(portarg, sizeof(portarg), "%d", port);
    const char *argv[] = {tu_bin("aerospike-testd"), "--port", portarg, "--snapshot", snapshot, "--latency-ms", "2",
                          NULL};
    struct tu_proc *p = tu_proc_start(argv, NULL);
    if (!tu_proc_wait_line(p, "ready ", 20000, line, sizeof(line))) {
        char *e = tu_proc_stderr(p);
        TEST_FAIL("aerospike-testd on %d did not start: %s", port, e);
    }
    snprintf(hosts, cap, "%s", line + strlen("ready "));
    return p;
}

TEST(aerospike_stopped_5s_and_restarted_from_its_snapshot_loses_nothing)
{
    struct sa_env v;
    const int n = 60000, parts = 2;
    char spec[160], yaml[800], snap[700];

    if (tu_aerospike_is_real())
        TEST_SKIP("stops and restarts aerospike-testd");
    sa_env_init(&v);
    const char *topic = sa_name(&v, "restart"), *set = sa_name(&v, "restart"), *name = sa_name(&v, "restart");
    snprintf(spec, sizeof(spec), "%s:%d", topic, parts);
    const char *topics[] = {spec, NULL};
    v.kafka = tu_kafka_start(topics, 1, v.bootstrap, sizeof(v.bootstrap));
    int port = tu_free_ports(4);
    snprintf(snap, sizeof(snap), "%s/testd.snapshot", v.dir);
    v.aero = testd_on(port, snap, v.hosts, sizeof(v.hosts));
    e2e_produce(v.bootstrap, topic, n, parts, "u-%d", seq_json, NULL);
    keyed_yaml(yaml, sizeof(yaml), topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, "processing-threads: 2\nmax-queued-records: 5000\n", yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_CMP_INT(e2e_wait_objects(v.hosts, "test", set, n / 10, sa_ms(60000)), >=, n / 10);
    ASSERT_EQ_INT(tu_proc_stop(v.aero, SIGTERM, 10000), 0);   /* saves the snapshot */
    tu_proc_free(v.aero);
    sleep_ms(5000);
    ASSERT_TRUE(tu_proc_running(p));
    v.aero = testd_on(port, snap, v.hosts, sizeof(v.hosts));
    sa_wait_objects(p, v.hosts, "test", set, n, 80000);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, parts, n, 20000, NULL), n);
    sleep_ms(5500);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.failed, 0);
    ASSERT_CMP_INT(st.retries, >, 0);
    outage_log_checks(err, 2);
    mem_free(err);
    check_all_present(v.hosts, set, n, 61);
    sa_env_free(&v);
}

/* ---- stop while Aerospike acknowledges nothing ---- */

/* aerosink streaming into an aerospike-testd that is then SIGSTOPped: every record taken is
 * in flight and stays so. Returns aerosink (running, with records in flight). */
static struct tu_proc *start_with_acks_stopped(struct sa_env *v, const char *base, const char *drain,
                                               const char **set, const char **name)
{
    const int n = 40000, parts = 2;
    const char *slow[] = {"--latency-ms", "2", NULL};
    char spec[160], yaml[800];

    if (tu_aerospike_is_real())
        TEST_SKIP("SIGSTOPs aerospike-testd");
    sa_env_init(v);
    const char *topic = sa_name(v, base);
    *set = sa_name(v, base);
    *name = sa_name(v, base);
    snprintf(spec, sizeof(spec), "%s:%d", topic, parts);
    const char *topics[] = {spec, NULL};
    sa_env_start(v, topics, slow);
    e2e_produce(v->bootstrap, topic, n, parts, "u-%d", seq_json, NULL);
    keyed_yaml(yaml, sizeof(yaml), topic, *set);
    const char *w = sa_worker(v, NULL);
    const char *c = sa_connector(v, *name, topic, "processing-threads: 2\nmax-queued-records: 5000\n", yaml, NULL);
    const char *opts[] = {"--drain-timeout", drain, NULL};
    struct tu_proc *p = sa_start(w, c, NULL, opts, NULL);
    ASSERT_CMP_INT(e2e_wait_objects(v->hosts, "test", *set, n / 10, sa_ms(60000)), >=, n / 10);
    ASSERT_EQ_INT(kill(tu_proc_pid(v->aero), SIGSTOP), 0);
    struct sa_stats st = {0};
    for (int i = 0; i < 100 && (!st.valid || st.in_flight == 0); i++) {   /* progress every second */
        sleep_ms(100);
        sa_stats_now(p, &st);
    }
    if (st.in_flight == 0) {
        kill(tu_proc_pid(v->aero), SIGCONT);
        TEST_FAIL("no record in flight with Aerospike stopped (in %lld, written %lld)", st.in, st.written);
    }
    return p;
}

/* Wait for aerosink's exit (it was signalled); fails past @limit_ms. Returns how long it took
 * and its stderr (owned), after checking exit code 0 and no sanitizer report. */
static char *wait_exit(struct sa_env *v, struct tu_proc *p, uint64_t since, int limit_ms, uint64_t *took)
{
    int rc = tu_proc_wait(p, limit_ms);
    *took = clock_mono_ms() - since;
    if (rc == -2) {
        kill(tu_proc_pid(v->aero), SIGCONT);
        char *err = sa_end(p, SIGKILL, 128 + SIGKILL, 10000);
        fputs(err, stderr);
        TEST_FAIL("aerosink still running %llu ms after the stop signal (limit %d ms)", (unsigned long long)*took,
                  limit_ms);
    }
    return sa_end(p, 0, 0, 1000);
}

/* The last line naming the stop says how many records were not acknowledged (and not
 * "cleanly"); returns that count. */
static long long unacked_in_final_line(const char *err)
{
    const char *needle = "record(s) were not acknowledged and will be read again";
    const char *last = NULL, *q = err;
    while ((q = strstr(q, "stopped")) != NULL)
        last = q++;
    if (!last || sa_count(err, "stopped cleanly") != 0) {
        fputs(err, stderr);
        TEST_FAIL("final stop line missing or says 'stopped cleanly'");
    }
    const char *eol = strchr(last, '\n'), *hit = strstr(last, needle);
    if (!hit || (eol && hit > eol) || strncmp(last, "stopped; ", 9) != 0) {
        fputs(err, stderr);
        TEST_FAIL("final stop line does not name the unacknowledged records");
    }
    return strtoll(last + 9, NULL, 10);
}

/* Resume Aerospike; whatever it holds now includes every acknowledged record: the committed
 * offsets must not exceed it. */
static void committed_within_written(struct sa_env *v, const char *set, const char *name)
{
    int64_t offs[2];
    ASSERT_EQ_INT(kill(tu_proc_pid(v->aero), SIGCONT), 0);
    long held = e2e_count_objects(v->hosts, "test", set);
    long long committed = sa_committed(v->bootstrap, group_of(name), set, 2, offs);   /* topic: same name */
    ASSERT_CMP_INT(committed, >, 0);
    ASSERT_CMP_INT(committed, <=, held);
}

TEST(stop_with_acks_stopped_takes_one_drain_timeout_not_two)
{
    struct sa_env v;
    const char *set, *name;
    const int drain_ms = 3000;
    uint64_t took;

    struct tu_proc *p = start_with_acks_stopped(&v, "drain1x", "3", &set, &name);
    uint64_t t0 = clock_mono_ms();
    ASSERT_EQ_INT(kill(tu_proc_pid(p), SIGTERM), 0);
    /* 1x is ~3 s (the drain; closing the Aerospike client no longer waits for a tend pass to
     * the stopped node to time out); 2x (the revoke waiting the drain again) ~6-7 s */
    char *err = wait_exit(&v, p, t0, drain_ms + sa_ms(2500), &took);
    fprintf(stderr, "    stopped in %llu ms with --drain-timeout 3\n", (unsigned long long)took);
    ASSERT_CMP_INT(took, >=, drain_ms - 100);   /* it did wait for the acknowledgements */
    ASSERT_CMP_INT(unacked_in_final_line(err), >, 0);
    ASSERT_EQ_INT(sa_count(err, "stop requested again"), 0);
    mem_free(err);
    committed_within_written(&v, set, name);
    sa_env_free(&v);
}

TEST(second_sigterm_stops_waiting_at_once)
{
    struct sa_env v;
    const char *set, *name;
    uint64_t took;

    struct tu_proc *p = start_with_acks_stopped(&v, "twice", "60", &set, &name);
    ASSERT_EQ_INT(kill(tu_proc_pid(p), SIGTERM), 0);
    ASSERT_TRUE(sa_wait_log(p, "stopping: draining", 5000));
    sleep_ms(200);
    uint64_t t0 = clock_mono_ms();
    ASSERT_EQ_INT(kill(tu_proc_pid(p), SIGTERM), 0);
    /* the worker stops within milliseconds, and so does closing the Aerospike client: a tend
     * pass in progress against the stopped node gives up at once (it used to wait for its info
     * timeouts, 1 s per request: ~1.7 s here) */
    char *err = wait_exit(&v, p, t0, sa_ms(1000), &took);
    fprintf(stderr, "    exited %llu ms after the second SIGTERM (--drain-timeout 60)\n", (unsigned long long)took);
    ASSERT_EQ_INT(sa_count(err, "stop requested again"), 1);
    ASSERT_CMP_INT(unacked_in_final_line(err), >, 0);
    mem_free(err);
    committed_within_written(&v, set, name);
    sa_env_free(&v);
}

TEST_LIST = {
    T(kill_9_mid_stream_then_restart_loses_nothing),
    T(aerospike_paused_5s_mid_stream_loses_nothing_and_logs_the_outage_once),
    T(aerospike_stopped_5s_and_restarted_from_its_snapshot_loses_nothing),
    T(stop_with_acks_stopped_takes_one_drain_timeout_not_two),
    T(second_sigterm_stops_waiting_at_once),
    {0},
};
