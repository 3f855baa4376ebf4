/* tests/integration/distributed_failover_test.c: three `aerosink distributed` workers, a
 * connector created over REST on worker 1, 300,000 records, worker 2 killed with SIGKILL
 * mid-stream, worker 4 started: every record lands, every partition is committed to its end,
 * and the status shows tasks RUNNING on live workers only. Also: Kafka killed under a worker
 * is reported in aerosink's log format only. */
#include "../harness.h"
#include "distributed_util.h"

static int user_value(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"name\":\"user-%d\",\"seq\":%d}", i, i);
}

/* True when @tasks ("STATE@id,...") has @n entries, all RUNNING, none on @dead. */
static bool all_running_on_live(const char *tasks, int n, const char *dead)
{
    char copy[1024], *save = NULL;
    int seen = 0;
    snprintf(copy, sizeof(copy), "%s", tasks);
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const char *at = strchr(t, '@');
        if (strncmp(t, "RUNNING@", 8) != 0 || !at || strcmp(at + 1, dead) == 0)
            return false;
        seen++;
    }
    return seen == n;
}

TEST(kill_one_of_three_workers_mid_stream_and_lose_nothing)
{
    struct du u;
    struct http r = {0};
    const int n = 300000;
    char tasks[1024];

    du_start(&u, "users", 6);
    const char *mapping = du_mapping(&u, "aerospike-kafka-inbound.yml", NULL);
    for (int i = 0; i < 3; i++)
        du_worker(&u, i);
    ASSERT_EQ_INT(http_do("POST", u.url[0], "/connectors", du_connector_json(&u, "aerospike-sink", 3, mapping), &r),
                  201);

    /* every worker runs its task before the data comes (the mock's group joins are slow) */
    uint64_t deadline = clock_mono_ms() + 40000;
    do {
        sleep_ms(250);
        du_tasks(u.url[2], "aerospike-sink", tasks, sizeof(tasks));
    } while (!all_running_on_live(tasks, 3, "-") && clock_mono_ms() < deadline);
    ASSERT_TRUE(all_running_on_live(tasks, 3, "-"));

    e2e_produce(u.bootstrap, u.topic, n, 6, "u-%d", user_value, NULL);
    long got = e2e_wait_objects(u.hosts, "test", u.set, n / 5, 60000);
    ASSERT_CMP_INT(got, >=, n / 5);
    ASSERT_CMP_INT(got, <, n);   /* mid-stream */
    kill(tu_proc_pid(u.w[1]), SIGKILL);
    ASSERT_EQ_INT(tu_proc_wait(u.w[1], 5000), 128 + SIGKILL);
    du_worker(&u, 3);

    got = e2e_wait_objects(u.hosts, "test", u.set, n, 100000);
    ASSERT_EQ_INT(got, n);

    /* status, asked of the new worker: three tasks RUNNING, none on the dead worker */
    deadline = clock_mono_ms() + 30000;
    do {
        sleep_ms(250);
        ASSERT_EQ_INT(du_tasks(u.url[3], "aerospike-sink", tasks, sizeof(tasks)), 200);
    } while (!all_running_on_live(tasks, 3, u.id[1]) && clock_mono_ms() < deadline);
    if (!all_running_on_live(tasks, 3, u.id[1]))
        TEST_FAIL("tasks: %s (dead worker %s)", tasks, u.id[1]);
    ASSERT_TRUE(strstr(tasks, u.id[0]) && strstr(tasks, u.id[2]) && strstr(tasks, u.id[3]));
    /* worker 1 answers the same */
    char tasks1[1024];
    ASSERT_EQ_INT(du_tasks(u.url[0], "aerospike-sink", tasks1, sizeof(tasks1)), 200);
    ASSERT_EQ_STR(tasks1, tasks);

    /* at-least-once with commits only after acks: every partition committed to its end */
    int64_t offs[6], sum = 0;
    deadline = clock_mono_ms() + 20000;
    do {
        sleep_ms(500);
        e2e_committed(u.bootstrap, "connect-aerospike-sink", u.topic, 6, offs);
        sum = 0;
        for (int p = 0; p < 6; p++)
            sum += offs[p] > 0 ? offs[p] : 0;
    } while (sum != n && clock_mono_ms() < deadline);
    ASSERT_EQ_INT(sum, n);

    /* values: a sample of records, read back */
    struct e2e_aero a;
    e2e_aero_open(&a, u.hosts);
    for (int i = 0; i < n; i += 9973) {
        struct aero_record rec = {0};
        char key[32], s[64], want[64];
        snprintf(key, sizeof(key), "u-%d", i);
        ASSERT_OK(e2e_get_str(&a, "test", u.set, key, &rec));
        snprintf(want, sizeof(want), "user-%d", i);
        ASSERT_EQ_STR(e2e_bin_str(&rec, "name", s, sizeof(s)), want);
        ASSERT_EQ_INT(e2e_bin_int(&rec, "seq"), i);
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    buf_free(&r.body);
    du_free(&u);
}

/* Until @needle is in worker @i's stderr (true), or @ms pass (false). */
static bool wait_stderr(struct du *u, int i, const char *needle, int ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)ms;
    for (;;) {
        char *err = tu_proc_stderr(u->w[i]);
        bool found = strstr(err, needle) != NULL;
        mem_free(err);
        if (found)
            return true;
        if (clock_mono_ms() >= deadline)
            return false;
        sleep_ms(100);
    }
}

/* Kafka going away under a distributed worker: librdkafka's complaints about it from the
 * herder's config/status clients come out as aerosink's log lines (a warning per event,
 * librdkafka's own lines at --log-level debug, in our format), never as librdkafka's raw
 * "%3|...|FAIL|" stderr lines (du_free fails on any). */
TEST(kafka_gone_is_logged_in_aerosinks_format_only)
{
    struct du u;
    const char *const debug[] = {"--log-level", "debug", NULL};

    if (tu_kafka_is_real())
        TEST_SKIP("stops the embedded Kafka");
    du_start(&u, "gone", 1);
    du_worker_opts(&u, 0, NULL, debug);
    ASSERT_TRUE(wait_stderr(&u, 0, ": ready", 30000));   /* config and status topics read */
    kill(tu_proc_pid(u.kafka), SIGKILL);                  /* connections refused from now on */
    ASSERT_EQ_INT(tu_proc_wait(u.kafka, 5000), 128 + SIGKILL);
    ASSERT_TRUE(wait_stderr(&u, 0, "] Kafka FAIL: ", 60000));   /* its own line, ours */
    ASSERT_TRUE(wait_stderr(&u, 0, "[herder] Kafka: _TRANSPORT: ", 60000));
    char *err = tu_proc_stderr(u.w[0]);
    ASSERT_TRUE(tu_raw_librdkafka_line(err) == NULL);
    mem_free(err);
    du_free(&u);
}

TEST_LIST = {
    T(kill_one_of_three_workers_mid_stream_and_lose_nothing),
    T(kafka_gone_is_logged_in_aerosinks_format_only),
    {0},
};
