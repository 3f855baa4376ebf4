/* End-to-end: `aerosink standalone` with real config files moving many records, checked record by
 * record and offset by offset; SIGTERM mid-stream. Runs against kafka-mock + aerospike-testd, or
 * KAFKA_BOOTSTRAP / AEROSPIKE_HOSTS when set (fake-only levers skip). */
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/standalone.h"
#include "../support/testutil.h"

static const char *const no_opts[] = {NULL};

/* ---- 1. 100,000 keyed JSON records over 6 partitions ---- */

static int user_json(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap,
                    "{\"name\":\"user-%d\",\"seq\":%d,\"neg\":%d,\"big\":%lld,\"score\":%d.25,\"ratio\":1.5e-3,"
                    "\"on\":%s,\"tags\":[\"a\",%d,1.5,%s],\"addr\":{\"city\":\"c%d\",\"zip\":%d},"
                    "\"note\":\"caf\\u00e9 \\\"q\\\" %d\",\"gone\":null,\"empty\":\"\"}",
                    i, i, -i, 9007199254740993LL + i, i, i % 2 ? "true" : "false", i,
                    i % 3 ? "true" : "false", i, i * 7, i);
}

static void check_list(const struct aero_record *rec, int i)
{
    struct aero_bin_view b;
    struct aero_mp_reader r;
    struct aero_mp_item it;

    ASSERT_TRUE(aero_record_bin(rec, "tags", &b));
    ASSERT_EQ_INT(b.particle, AERO_PT_LIST);
    aero_mp_reader_init(&r, b.value, b.value_len);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_ARRAY);
    ASSERT_EQ_INT(it.n, 4);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_STR);
    ASSERT_EQ_INT(it.n, 1);
    ASSERT_EQ_INT(it.p[0], 'a');
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_INT);
    ASSERT_EQ_INT(it.i, i);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_DOUBLE);
    ASSERT_EQ_DBL(it.d, 1.5);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_BOOL);
    ASSERT_EQ_INT(it.b, i % 3 != 0);
    ASSERT_ST(aero_mp_next(&r, &it), ST_EOF);
}

static void check_map(const struct aero_record *rec, int i)
{
    struct aero_bin_view b;
    struct aero_mp_reader r;
    struct aero_mp_item it;
    bool city = false, zip = false;
    char want[32];

    ASSERT_TRUE(aero_record_bin(rec, "addr", &b));
    ASSERT_EQ_INT(b.particle, AERO_PT_MAP);
    aero_mp_reader_init(&r, b.value, b.value_len);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_MAP);
    uint32_t pairs = it.n;
    for (uint32_t k = 0; k < pairs; k++) {
        struct aero_mp_item key, val;
        ASSERT_OK(aero_mp_next(&r, &key));
        if (key.type == AERO_MP_EXT) {   /* map-order flag element: skip its value */
            ASSERT_OK(aero_mp_skip(&r));
            continue;
        }
        ASSERT_EQ_INT(key.type, AERO_MP_STR);
        ASSERT_OK(aero_mp_next(&r, &val));
        if (key.n == 4 && memcmp(key.p, "city", 4) == 0) {
            snprintf(want, sizeof(want), "c%d", i);
            ASSERT_EQ_INT(val.type, AERO_MP_STR);
            ASSERT_EQ_INT(val.n, strlen(want));
            ASSERT_EQ_MEM(val.p, want, val.n);
            city = true;
        } else if (key.n == 3 && memcmp(key.p, "zip", 3) == 0) {
            ASSERT_EQ_INT(val.type, AERO_MP_INT);
            ASSERT_EQ_INT(val.i, i * 7);
            zip = true;
        } else {
            TEST_FAIL("unexpected map key '%.*s'", (int)key.n, (const char *)key.p);
        }
    }
    ASSERT_TRUE(city && zip);
}

static void check_user(struct e2e_aero *a, const char *set, int i)
{
    struct aero_record rec = {0};
    struct aero_bin_view b;
    char key[32], s[128], want[128];

    snprintf(key, sizeof(key), "u-%d", i);
    enum status st = e2e_get_str(a, "test", set, key, &rec);
    if (st != ST_OK)
        TEST_FAIL("record %s: %s", key, status_name(st));
    ASSERT_EQ_INT(rec.generation, 1);   /* written exactly once */
    snprintf(want, sizeof(want), "user-%d", i);
    ASSERT_EQ_STR(e2e_bin_str(&rec, "name", s, sizeof(s)), want);
    ASSERT_EQ_INT(e2e_bin_int(&rec, "seq"), i);
    ASSERT_EQ_INT(e2e_bin_int(&rec, "neg"), -i);
    ASSERT_EQ_INT(e2e_bin_int(&rec, "big"), 9007199254740993LL + i);   /* no double rounding */
    ASSERT_EQ_DBL(sa_bin_double(&rec, "score"), i + 0.25);
    ASSERT_EQ_DBL(sa_bin_double(&rec, "ratio"), 1.5e-3);
    /* aerospike.boolean-particle defaults to integer 1/0 (help config, connector-spec §3.2) */
    ASSERT_TRUE(aero_record_bin(&rec, "on", &b));
    ASSERT_EQ_INT(b.particle, AERO_PT_INTEGER);
    ASSERT_EQ_INT(e2e_bin_int(&rec, "on"), i % 2);
    check_list(&rec, i);
    check_map(&rec, i);
    snprintf(want, sizeof(want), "caf\xc3\xa9 \"q\" %d", i);
    ASSERT_EQ_STR(e2e_bin_str(&rec, "note", s, sizeof(s)), want);
    ASSERT_EQ_STR(e2e_bin_str(&rec, "empty", s, sizeof(s)), "");
    ASSERT_FALSE(sa_has_bin(&rec, "gone"));   /* null fields are omitted (spec §6.4) */
    ASSERT_EQ_INT(sa_bin_count(&rec), 11);
    aero_record_free(&rec);
}

TEST(hundred_thousand_keyed_json_records_arrive_exactly_and_offsets_reach_the_end)
{
    struct sa_env v;
    const int n = 100000, parts = 6;
    char spec[160], yaml[1024];
    int64_t offs[6];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "users");
    const char *set = sa_name(&v, "bulk");
    const char *name = sa_name(&v, "bulk-sink");
    snprintf(spec, sizeof(spec), "%s:%d", topic, parts);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    e2e_produce(v.bootstrap, topic, n, parts, "u-%d", user_json, NULL);

    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, "processing-threads: 2\n", yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);

    long got = e2e_wait_objects(v.hosts, "test", set, n, sa_ms(120000));
    ASSERT_EQ_INT(got, n);
    char group[200];
    snprintf(group, sizeof(group), "connect-%s", name);
    long long sum = sa_wait_committed(v.bootstrap, group, topic, parts, n, 20000, offs);
    ASSERT_EQ_INT(sum, n);
    for (int q = 0; q < parts; q++)   /* each partition committed to its own end */
        ASSERT_EQ_INT(offs[q], n / parts + (q < n % parts ? 1 : 0));

    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.in, n);
    ASSERT_EQ_INT(st.written, n);
    ASSERT_EQ_INT(st.skipped, 0);
    ASSERT_EQ_INT(st.failed, 0);
    ASSERT_EQ_INT(sa_count(err, "stopped cleanly"), 1);
    mem_free(err);

    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), n);   /* no stray records */
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < n; i += 100)
        check_user(&a, set, i);
    check_user(&a, set, n - 1);
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- restart after everything was committed ---- */

TEST(restart_after_full_commit_consumes_nothing_and_reports_zero_lag)
{
    struct sa_env v;
    const int n = 3000, parts = 3;
    char spec[160], yaml[1024], group[200];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "again");
    const char *set = sa_name(&v, "again");
    const char *name = sa_name(&v, "again-sink");
    snprintf(group, sizeof(group), "connect-%s", name);
    snprintf(spec, sizeof(spec), "%s:%d", topic, parts);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    e2e_produce(v.bootstrap, topic, n, parts, "u-%d", user_json, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, NULL, yaml, NULL);

    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", set, n, sa_ms(60000)), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group, topic, parts, n, 20000, NULL), n);
    mem_free(sa_end(p, SIGTERM, 0, 60000));

    /* second run: the group is at the end, so nothing is consumed and nothing is behind */
    p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_TRUE(sa_wait_log(p, "assigned 3 partition(s)", 30000));
    sleep_ms(2500);   /* two progress lines after the assignment */
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.in, 0);
    ASSERT_EQ_INT(st.written, 0);
    if (st.lag != 0) {
        fprintf(stderr, "%s", err);
        TEST_FAIL("bug: the progress line reports lag %lld for a group committed to the end of every "
                  "partition (expected 0)", st.lag);
    }
    mem_free(err);
    ASSERT_EQ_INT(sa_committed(v.bootstrap, group, topic, parts, NULL), n);

    /* third run with --exit-when-drained: no record ever arrives, so only the committed offsets
     * say the partitions are at their end; it must stop by itself */
    const char *drain_opts[] = {"--exit-when-drained", NULL};
    p = sa_start(w, c, NULL, drain_opts, NULL);
    err = sa_end(p, 0, 0, 30000);
    ASSERT_TRUE(strstr(err, "consumed to its end") != NULL);
    mem_free(err);
    sa_env_free(&v);
}

/* ---- 7. SIGTERM mid-stream ---- */

TEST(sigterm_mid_stream_exits_0_and_commits_exactly_what_was_acknowledged)
{
    struct sa_env v;
    const int n = 60000, parts = 4;
    char spec[160], yaml[1024], group[200];
    const char *slow[] = {"--latency-ms", "2", NULL};
    int64_t offs[4];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "term");
    const char *set = sa_name(&v, "term");
    const char *name = sa_name(&v, "term-sink");
    snprintf(group, sizeof(group), "connect-%s", name);
    snprintf(spec, sizeof(spec), "%s:%d", topic, parts);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, tu_aerospike_is_real() ? NULL : slow);
    e2e_produce(v.bootstrap, topic, n, parts, "u-%d", user_json, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, "processing-threads: 2\nmax-queued-records: 4000\n", yaml, NULL);

    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    long mid = e2e_wait_objects(v.hosts, "test", set, n / 5, sa_ms(60000));
    ASSERT_CMP_INT(mid, >=, n / 5);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    if (st.in >= n)
        TEST_FAIL("the stream finished before SIGTERM (in %lld): not a mid-stream stop", st.in);
    ASSERT_EQ_INT(sa_count(err, "stopped cleanly"), 1);
    ASSERT_EQ_INT(sa_count(err, "unfinished after"), 0);   /* the drain finished every write */
    ASSERT_EQ_INT(st.written, st.in);                      /* every record taken was acknowledged */
    long long committed = sa_committed(v.bootstrap, group, topic, parts, offs);
    /* everything acknowledged is committed, nothing more */
    ASSERT_EQ_INT(committed, st.written);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), st.written);
    mem_free(err);

    /* restart: reads exactly the records after the committed offsets */
    p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", set, n, sa_ms(90000)), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group, topic, parts, n, 20000, NULL), n);
    err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st2;
    ASSERT_TRUE(sa_parse_last_stats(err, &st2));
    ASSERT_EQ_INT(st2.in, n - committed);   /* nothing already committed was consumed again */
    ASSERT_EQ_INT(st2.written, n - committed);
    mem_free(err);
    sa_env_free(&v);
}

TEST_LIST = {
    T(hundred_thousand_keyed_json_records_arrive_exactly_and_offsets_reach_the_end),
    T(restart_after_full_commit_consumes_nothing_and_reports_zero_lag),
    T(sigterm_mid_stream_exits_0_and_commits_exactly_what_was_acknowledged),
    {0},
};
