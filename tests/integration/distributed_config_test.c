/* tests/integration/distributed_config_test.c: a config change through REST reaches every
 * worker (records after the change use the new bin map), and pause/resume/delete act on the
 * whole cluster. */
#include "../harness.h"
#include "distributed_util.h"

static int name_value(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"name\":\"n-%d\",\"seq\":%d}", i, i);
}

/* The config generation worker @base's task runs ("" when it runs none), from /metrics. */
static void task_generation(const char *base, char *out, size_t cap)
{
    struct http r = {0};
    out[0] = '\0';
    if (http_do("GET", base, "/metrics", NULL, &r) == 200) {
        const char *p = strstr(http_body(&r), "\naerosink_task_config_generation{");
        const char *run = p ? strstr(p, "state=\"RUNNING\"} ") : NULL;
        if (run && (!strchr(p + 1, '\n') || run < strchr(p + 1, '\n')))
            snprintf(out, cap, "%.*s", (int)strcspn(run + 17, "\n"), run + 17);
    }
    buf_free(&r.body);
}

/* Wait until the @n workers run a task of one same generation other than @not; returns it. */
static void wait_same_generation(struct du *u, int n, const char *not, char *gen, size_t cap)
{
    char g[DU_MAX_WORKERS][32];
    uint64_t deadline = clock_mono_ms() + 40000;
    for (;;) {
        bool same = true;
        for (int i = 0; i < n; i++) {
            task_generation(u->url[i], g[i], sizeof(g[i]));
            same &= g[i][0] && strcmp(g[i], g[0]) == 0 && strcmp(g[i], not) != 0;
        }
        if (same)
            break;
        if (clock_mono_ms() > deadline)
            TEST_FAIL("generations: '%s' '%s' '%s' (not '%s')", g[0], n > 1 ? g[1] : "", n > 2 ? g[2] : "", not);
        sleep_ms(200);
    }
    snprintf(gen, cap, "%s", g[0]);
}

static void produce_keys(struct du *u, const char *fmt, int n)
{
    e2e_produce(u->bootstrap, u->topic, n, 6, fmt, name_value, NULL);
}

static bool has_bin(struct e2e_aero *a, struct du *u, const char *key, const char *bin)
{
    struct aero_record rec = {0};
    struct aero_bin_view b;
    if (e2e_get_str(a, "test", u->set, key, &rec) != ST_OK)
        TEST_FAIL("record %s missing", key);
    bool has = aero_record_bin(&rec, bin, &b);
    aero_record_free(&rec);
    return has;
}

TEST(put_config_with_a_new_bin_map_reaches_every_worker)
{
    struct du u;
    struct http r = {0};
    char gen0[32], gen1[32], body[4096], key[32];
    const int n = 3000;

    du_start(&u, "people", 6);
    const char *m1 = du_mapping(&u, "mapping-a.yml", "        type: multi-bins\n        map:\n"
                                                     "          a: {source: value-field, field-name: name}\n");
    for (int i = 0; i < 3; i++)
        du_worker(&u, i);
    ASSERT_EQ_INT(http_do("POST", u.url[0], "/connectors", du_connector_json(&u, "people-sink", 3, m1), &r), 201);
    wait_same_generation(&u, 3, "", gen0, sizeof(gen0));
    produce_keys(&u, "k-%d", n);
    ASSERT_EQ_INT(e2e_wait_objects(u.hosts, "test", u.set, n, 60000), n);

    /* the new mapping, given as a file to worker 2: it stores the content, every worker runs it */
    const char *m2 = du_mapping(&u, "mapping-b.yml", "        type: multi-bins\n        map:\n"
                                                     "          b: {source: value-field, field-name: name}\n");
    snprintf(body, sizeof(body),
             "{\"connector.class\":\"com.aerospike.connect.kafka.inbound.AerospikeSinkConnector\","
             "\"tasks.max\":\"3\",\"topics\":\"%s\",\"aerospike.config.file\":\"%s\"}", u.topic, m2);
    ASSERT_EQ_INT(http_do("PUT", u.url[1], "/connectors/people-sink/config", body, &r), 200);
    ASSERT_CONTAINS(http_body(&r), "b: {source: value-field, field-name: name}");
    for (int i = 0; i < 3; i++) {   /* the stored config, asked of each worker */
        ASSERT_EQ_INT(http_do("GET", u.url[i], "/connectors/people-sink/config", NULL, &r), 200);
        ASSERT_CONTAINS(http_body(&r), "b: {source: value-field, field-name: name}");
    }
    wait_same_generation(&u, 3, gen0, gen1, sizeof(gen1));

    produce_keys(&u, "n-%d", n);
    ASSERT_EQ_INT(e2e_wait_objects(u.hosts, "test", u.set, 2 * n, 60000), 2 * n);
    struct e2e_aero a;
    e2e_aero_open(&a, u.hosts);
    for (int i = 0; i < n; i++) {   /* every record after the change: new bin only */
        snprintf(key, sizeof(key), "n-%d", i);
        if (!has_bin(&a, &u, key, "b") || has_bin(&a, &u, key, "a"))
            TEST_FAIL("%s was written with the old mapping", key);
    }
    for (int i = 0; i < n; i += 97) {
        snprintf(key, sizeof(key), "k-%d", i);
        ASSERT_TRUE(has_bin(&a, &u, key, "a"));
    }
    e2e_aero_close(&a);
    buf_free(&r.body);
    du_free(&u);
}

static void wait_states(struct du *u, int worker, const char *want)
{
    char tasks[512];
    uint64_t deadline = clock_mono_ms() + 30000;
    do {
        du_tasks(u->url[worker], "orders-sink", tasks, sizeof(tasks));
        if (strcmp(tasks, want) == 0)
            return;
        sleep_ms(200);
    } while (clock_mono_ms() < deadline);
    TEST_FAIL("tasks: %s, want %s", tasks, want);
}

static long committed_sum(struct du *u)
{
    int64_t offs[6];
    long sum = 0;
    e2e_committed(u->bootstrap, "connect-orders-sink", u->topic, 6, offs);
    for (int p = 0; p < 6; p++)
        sum += offs[p] > 0 ? (long)offs[p] : 0;
    return sum;
}

static long wait_committed(struct du *u, long want)
{
    long s = 0;
    uint64_t deadline = clock_mono_ms() + 20000;
    while ((s = committed_sum(u)) != want && clock_mono_ms() < deadline)
        sleep_ms(300);
    return s;
}

TEST(pause_resume_and_delete_act_on_every_worker)
{
    struct du u;
    struct http r = {0};
    char want[256];
    const int n = 2000;

    du_start(&u, "orders", 6);
    const char *m = du_mapping(&u, "aerospike-kafka-inbound.yml", NULL);
    du_worker(&u, 0);
    du_worker(&u, 1);
    ASSERT_EQ_INT(http_do("POST", u.url[0], "/connectors", du_connector_json(&u, "orders-sink", 2, m), &r), 201);
    snprintf(want, sizeof(want), "RUNNING@%s,RUNNING@%s", u.id[0], u.id[1]);
    wait_states(&u, 1, want);
    produce_keys(&u, "a-%d", n);
    ASSERT_EQ_INT(e2e_wait_objects(u.hosts, "test", u.set, n, 60000), n);

    /* pause through worker 2: both tasks pause, and nothing is written any more */
    ASSERT_EQ_INT(http_do("PUT", u.url[1], "/connectors/orders-sink/pause", NULL, &r), 202);
    snprintf(want, sizeof(want), "PAUSED@%s,PAUSED@%s", u.id[0], u.id[1]);
    wait_states(&u, 0, want);
    produce_keys(&u, "p-%d", n);
    sleep_ms(5000);
    ASSERT_EQ_INT(e2e_count_objects(u.hosts, "test", u.set), n);
    ASSERT_EQ_INT(wait_committed(&u, n), n);

    /* resume through worker 1: the paused records arrive, committed offsets reach the end */
    ASSERT_EQ_INT(http_do("PUT", u.url[0], "/connectors/orders-sink/resume", NULL, &r), 202);
    ASSERT_EQ_INT(e2e_wait_objects(u.hosts, "test", u.set, 2 * n, 60000), 2 * n);
    snprintf(want, sizeof(want), "RUNNING@%s,RUNNING@%s", u.id[0], u.id[1]);
    wait_states(&u, 1, want);
    ASSERT_EQ_INT(wait_committed(&u, 2 * n), 2 * n);

    /* delete through worker 2: consumption stops everywhere */
    ASSERT_EQ_INT(http_do("DELETE", u.url[1], "/connectors/orders-sink", NULL, &r), 204);
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ_INT(http_do("GET", u.url[i], "/connectors/orders-sink/status", NULL, &r), 404);
        ASSERT_EQ_INT(http_do("GET", u.url[i], "/connectors", NULL, &r), 200);
        ASSERT_EQ_STR(http_body(&r), "[]");
    }
    sleep_ms(3000);   /* tasks drain and leave the group */
    produce_keys(&u, "d-%d", n);
    sleep_ms(5000);
    ASSERT_EQ_INT(e2e_count_objects(u.hosts, "test", u.set), 2 * n);
    ASSERT_EQ_INT(committed_sum(&u), 2 * n);
    buf_free(&r.body);
    du_free(&u);
}

TEST_LIST = {
    T(put_config_with_a_new_bin_map_reaches_every_worker),
    T(pause_resume_and_delete_act_on_every_worker),
    {0},
};
