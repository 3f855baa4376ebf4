/* Tombstones (null values) end to end through the real binaries (issue 8, item 4): the default
 * skips and counts them (the Aerospike record stays), `on-null-value: ignore` the same,
 * `on-null-value: delete` deletes the record of the Kafka key (a later write recreates it),
 * `durable-delete: true` on a Community server is refused with 25 and fails the task with a
 * clear message, and a `type: delete` topic deletes by key for values and tombstones alike.
 * Real systems: KAFKA_BOOTSTRAP, AEROSPIKE_HOSTS (the durable-delete test expects what the
 * server's edition does). */
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/fmt_e2e.h"
#include "../support/testutil.h"

struct ctx {
    struct tu_proc *kafka, *aero, *sink;
    char boot[256], hosts[256], topic[96], set[64], name[96], dir[512];
    struct fmt_producer *prod;
    struct e2e_aero a;
};

static void ctx_start(struct ctx *c)
{
    char t[128];
    memset(c, 0, sizeof(*c));
    snprintf(c->topic, sizeof(c->topic), "%s", fmt_name("tomb"));
    snprintf(c->set, sizeof(c->set), "%s", fmt_name("ts"));
    snprintf(c->name, sizeof(c->name), "%s", fmt_name("tombsink"));
    snprintf(t, sizeof(t), "%s:2", c->topic);
    const char *topics[] = {t, NULL};
    c->kafka = fmt_kafka_start(topics, c->boot, sizeof(c->boot));
    c->aero = tu_aerospike_start(NULL, c->hosts, sizeof(c->hosts));
    snprintf(c->dir, sizeof(c->dir), "%s", tu_tmpdir());
    c->prod = fmt_producer_new(c->boot);
    e2e_aero_open(&c->a, c->hosts);
}

static void ctx_free(struct ctx *c)
{
    fmt_producer_free(c->prod);
    e2e_aero_close(&c->a);
    tu_proc_free(c->sink);
    tu_proc_free(c->kafka);
    tu_proc_free(c->aero);
}

/* Write the files and run aerosink until every record is settled (or the task fails).
 * @topic_yaml: the lines under "topics.<topic>:" (indented 4). Returns the exit code; *log. */
static int run_sink(struct ctx *c, const char *topic_yaml, char **log)
{
    struct buf seeds = BUF_INIT;
    fmt_seeds_yaml(c->hosts, &seeds);
    fmt_file(c->dir, "map.yml",
             "%stopics:\n  %s:\n%s    mapping:\n      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             buf_cstr(&seeds), c->topic, topic_yaml, c->set);
    char worker[600], conn[600];
    snprintf(worker, sizeof(worker), "%s",
             fmt_file(c->dir, "worker.properties",
                      "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
                      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                      "value.converter.schemas.enable=false\noffset.flush.interval.ms=300\n"
                      "consumer.fetch.wait.max.ms=20\nconsumer.session.timeout.ms=6000\n",
                      c->boot));
    snprintf(conn, sizeof(conn), "%s",
             fmt_file(c->dir, "sink.properties",
                      "name=%s\nconnector.class=aerosink\ntopics=%s\naerospike.config.file=map.yml\n", c->name,
                      c->topic));
    const char *conns[] = {conn, NULL};
    const char *extra[] = {"--exit-when-drained", "--progress", "3600", NULL};
    c->sink = fmt_sink_start(worker, conns, extra);
    int rc = fmt_sink_stop(c->sink, 0, 90000, log);
    if (fmt_sanitizer_report(*log))
        TEST_FAIL("sanitizer report:\n%s", *log);
    if (getenv("FMT_TEST_LOG"))
        fprintf(stderr, "---- aerosink log ----\n%s----\n", *log);
    tu_proc_free(c->sink);
    c->sink = NULL;
    buf_free(&seeds);
    return rc;
}

static void put_rec(struct ctx *c, const char *key, int seq)
{
    char v[128];
    int n = snprintf(v, sizeof(v), "{\"seq\":%d,\"who\":\"%s\"}", seq, key);
    fmt_send(c->prod, c->topic, -1, key, strlen(key), v, n, NULL);   /* partition by key */
}

static void tombstone(struct ctx *c, const char *key)
{
    fmt_send(c->prod, c->topic, -1, key, strlen(key), NULL, -1, NULL);
}

static void flush(struct ctx *c)
{
    fmt_producer_free(c->prod);
    c->prod = fmt_producer_new(c->boot);
}

/* The seq bin of @key, or -1 when the record does not exist. */
static int64_t seq_of(struct ctx *c, const char *key)
{
    struct aero_record rec = {0};
    struct aero_key_value k = fmt_key_str(key);
    enum status st = fmt_get(&c->a, "test", c->set, &k, &rec);
    int64_t v = -1;
    if (st == ST_OK)
        v = e2e_bin_int(&rec, "seq");
    else if (st != ST_NOT_FOUND)
        TEST_FAIL("get %s: %s", key, status_name(st));
    aero_record_free(&rec);
    return v;
}

static int64_t committed_sum(struct ctx *c)
{
    int64_t offs[2];
    char group[128];
    snprintf(group, sizeof(group), "connect-%s", c->name);
    e2e_committed(c->boot, group, c->topic, 2, offs);
    return (offs[0] > 0 ? offs[0] : 0) + (offs[1] > 0 ? offs[1] : 0);
}

/* 20 writes k-0..k-19, tombstones for k-0..k-9, then writes k-20..k-24: 35 records. */
static void produce_stream(struct ctx *c)
{
    char key[32];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof(key), "k-%d", i);
        put_rec(c, key, i);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "k-%d", i);
        tombstone(c, key);
    }
    for (int i = 20; i < 25; i++) {
        snprintf(key, sizeof(key), "k-%d", i);
        put_rec(c, key, i);
    }
    flush(c);
}

/* Every record stays with its written value; the 10 tombstones were skipped and counted. */
static void check_all_stay(struct ctx *c, const char *log)
{
    char key[32];
    struct fmt_totals t;
    for (int i = 0; i < 25; i++) {
        snprintf(key, sizeof(key), "k-%d", i);
        ASSERT_EQ_INT(seq_of(c, key), i);
    }
    ASSERT_EQ_INT(e2e_count_objects(c->hosts, "test", c->set), 25);
    ASSERT_TRUE(fmt_totals(log, &t));
    ASSERT_EQ_INT(t.in, 35);
    ASSERT_EQ_INT(t.written, 25);
    ASSERT_EQ_INT(t.skipped, 10);
    ASSERT_EQ_INT(t.deleted, 0);
    ASSERT_EQ_INT(committed_sum(c), 35);
}

/* What `aerosink help config` says the on-null-value default is. */
static bool config_default_is(const char *want)
{
    const char *argv[] = {tu_bin("aerosink"), "help", "config", NULL};
    char *out = NULL, needle[128];
    ASSERT_EQ_INT(tu_run(argv, 20000, &out), 0);
    const char *p = strstr(out, "topics.<topic>.on-null-value");
    ASSERT_TRUE(p != NULL);
    snprintf(needle, sizeof(needle), "default %s", want);
    const char *nl = strchr(strchr(p, '\n') + 1, '\n');
    bool yes = strstr(p, needle) && strstr(p, needle) < nl;
    mem_free(out);
    return yes;
}

TEST(default_skips_and_counts_tombstones_and_the_record_stays)
{
    /* Issue 8 item 4: "default stays as the original (skip and count)". The task must go on
     * with the common invalid-record: kill-task; the reference says so too. */
    ASSERT_TRUE(config_default_is("ignore"));
    struct ctx c;
    char *log = NULL;
    ctx_start(&c);
    produce_stream(&c);
    int rc = run_sink(&c, "    invalid-record: kill-task\n", &log);
    if (rc != 0)
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    check_all_stay(&c, log);
    mem_free(log);
    ctx_free(&c);
}

TEST(on_null_value_ignore_or_invalid_record_with_ignore_skip_tombstones_the_record_stays)
{
    struct ctx c;
    char *log = NULL;
    ctx_start(&c);
    produce_stream(&c);
    /* on-null-value: invalid-record with invalid-record: ignore: skipped as invalid, logged */
    int rc = run_sink(&c, "    invalid-record: ignore\n    on-null-value: invalid-record\n", &log);
    if (rc != 0)
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    check_all_stay(&c, log);
    ASSERT_EQ_INT(fmt_count_lines(log, "value is null (tombstone)"), 10);
    mem_free(log);

    /* on-null-value: ignore, a fresh group over the same records */
    snprintf(c.name, sizeof(c.name), "%s", fmt_name("tombsink-ign"));
    snprintf(c.set, sizeof(c.set), "%s", fmt_name("ts-ign"));
    rc = run_sink(&c, "    invalid-record: kill-task\n    on-null-value: ignore\n", &log);
    if (rc != 0)
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    check_all_stay(&c, log);
    mem_free(log);
    ctx_free(&c);
}

TEST(on_null_value_delete_deletes_the_record_and_a_later_write_recreates_it)
{
    struct ctx c;
    char *log = NULL, key[32];
    ctx_start(&c);
    produce_stream(&c);
    /* after its tombstone k-5 is written again; k-99 never existed */
    put_rec(&c, "k-5", 105);
    tombstone(&c, "k-99");
    flush(&c);
    int rc = run_sink(&c, "    invalid-record: kill-task\n    on-null-value: delete\n"
                          "    aerospike-operation: {type: write, durable-delete: false}\n", &log);
    if (rc != 0)
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    for (int i = 0; i < 25; i++) {
        snprintf(key, sizeof(key), "k-%d", i);
        ASSERT_EQ_INT(seq_of(&c, key), i == 5 ? 105 : i < 10 ? -1 : i);
    }
    ASSERT_EQ_INT(seq_of(&c, "k-99"), -1);
    ASSERT_EQ_INT(e2e_count_objects(c.hosts, "test", c.set), 16);
    struct fmt_totals t;
    ASSERT_TRUE(fmt_totals(log, &t));
    ASSERT_EQ_INT(t.in, 37);
    ASSERT_EQ_INT(t.written, 26);
    ASSERT_EQ_INT(t.deleted, 10);
    ASSERT_EQ_INT(t.skipped, 1);   /* the delete of k-99 found nothing: settled, not failed */
    ASSERT_EQ_INT(t.failed, 0);
    ASSERT_EQ_INT(committed_sum(&c), 37);
    mem_free(log);
    ctx_free(&c);
}

static bool server_is_enterprise(const char *hosts)
{
    struct aero_host h;
    struct buf out = BUF_INIT;
    bool ee;
    ASSERT_OK(aero_host_parse(hosts, strcspn(hosts, ","), 3000, &h, NULL));
    ASSERT_OK(aero_info_host(h.name, h.port, "edition", &out, 3000, NULL));
    ee = strstr(buf_cstr(&out), "Enterprise") != NULL;
    buf_free(&out);
    return ee;
}

/* k-0..k-9 exist before the run with seq 100 + i. */
static void precreate(struct ctx *c)
{
    char key[32];
    for (int i = 0; i < 10; i++) {
        struct aero_key k;
        struct aero_record rec = {0};
        struct err e = {0};
        snprintf(key, sizeof(key), "k-%d", i);
        struct aero_key_value kv = fmt_key_str(key);
        struct aero_bin bin = {.name = "seq", .type = AERO_PT_INTEGER, .i = 100 + i};
        ASSERT_OK_E(aero_key_init(&k, "test", c->set, &kv, &e), &e);
        ASSERT_OK_E(aero_put(c->a.cl, NULL, &k, &bin, 1, &rec, &e), &e);
        aero_record_free(&rec);
    }
}

TEST(durable_delete_on_community_is_refused_with_25_and_fails_the_task_clearly)
{
    struct ctx c;
    char *log = NULL, key[32];
    ctx_start(&c);
    precreate(&c);
    produce_stream(&c);
    int rc = run_sink(&c, "    invalid-record: kill-task\n    on-null-value: delete\n"
                          "    aerospike-operation: {type: write, durable-delete: true}\n", &log);
    if (server_is_enterprise(c.hosts)) {   /* a real EE server: durable deletes work */
        if (rc != 0)
            TEST_FAIL("aerosink exit %d:\n%s", rc, log);
        for (int i = 0; i < 10; i++) {
            snprintf(key, sizeof(key), "k-%d", i);
            ASSERT_EQ_INT(seq_of(&c, key), -1);
        }
        mem_free(log);
        ctx_free(&c);
        return;
    }
    /* Community: result 25 is fatal: the task fails at a tombstone, says why, and commits
     * nothing past it; no record is deleted (each still holds its old or its written value;
     * writes of other keys may not have started before the task stopped) */
    if (rc != 1)
        TEST_FAIL("aerosink exit %d (expected 1):\n%s", rc, log);
    ASSERT_CONTAINS(log, "task failed");
    ASSERT_CONTAINS(log, "ENTERPRISE_ONLY");
    ASSERT_CONTAINS(log, "aerosink: connector");
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "k-%d", i);
        int64_t v = seq_of(&c, key);
        if (v != i && v != 100 + i)
            TEST_FAIL("%s: seq %lld: deleted or wrong", key, (long long)v);
    }
    ASSERT_CMP_INT(committed_sum(&c), <=, 20);   /* never past the first tombstone */
    mem_free(log);
    ctx_free(&c);
}

TEST(delete_topic_deletes_by_key_for_values_and_tombstones)
{
    struct ctx c;
    char *log = NULL, key[32];
    ctx_start(&c);
    /* the records exist before the run */
    for (int i = 0; i < 20; i++) {
        struct aero_key k;
        struct aero_record rec = {0};
        struct err e = {0};
        snprintf(key, sizeof(key), "k-%d", i);
        struct aero_key_value kv = fmt_key_str(key);
        struct aero_bin bin = {.name = "seq", .type = AERO_PT_INTEGER, .i = i};
        ASSERT_OK_E(aero_key_init(&k, "test", c.set, &kv, &e), &e);
        ASSERT_OK_E(aero_put(c.a.cl, NULL, &k, &bin, 1, &rec, &e), &e);
        aero_record_free(&rec);
    }
    /* deletes: k-0..k-4 by records with a value, k-5..k-9 by tombstones */
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "k-%d", i);
        if (i < 5)
            put_rec(&c, key, i);
        else
            tombstone(&c, key);
    }
    flush(&c);
    int rc = run_sink(&c, "    invalid-record: kill-task\n    aerospike-operation: {type: delete}\n", &log);
    if (rc != 0)
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof(key), "k-%d", i);
        ASSERT_EQ_INT(seq_of(&c, key), i < 10 ? -1 : i);
    }
    struct fmt_totals t;
    ASSERT_TRUE(fmt_totals(log, &t));
    ASSERT_EQ_INT(t.deleted, 10);
    ASSERT_EQ_INT(t.written, 0);
    ASSERT_EQ_INT(committed_sum(&c), 10);
    mem_free(log);
    ctx_free(&c);
}

TEST(durable_delete_refused_by_community_names_the_setting_once)
{
    struct ctx c;
    char *log = NULL;
    ctx_start(&c);
    if (server_is_enterprise(c.hosts))
        TEST_SKIP("the server is Enterprise: durable deletes work");
    precreate(&c);
    produce_stream(&c);
    int rc = run_sink(&c, "    invalid-record: kill-task\n    on-null-value: delete\n"
                          "    aerospike-operation: {type: write, durable-delete: true}\n", &log);
    ASSERT_EQ_INT(rc, 1);
    ASSERT_EQ_INT(fmt_count_lines(log, "task failed at"), 1);
    ASSERT_CONTAINS(log, "durable-delete");
    mem_free(log);
    ctx_free(&c);
}

TEST_LIST = {
    T(default_skips_and_counts_tombstones_and_the_record_stays),
    T(on_null_value_ignore_or_invalid_record_with_ignore_skip_tombstones_the_record_stays),
    T(on_null_value_delete_deletes_the_record_and_a_later_write_recreates_it),
    T(durable_delete_on_community_is_refused_with_25_and_fails_the_task_clearly),
    T(delete_topic_deletes_by_key_for_values_and_tombstones),
    T(durable_delete_refused_by_community_names_the_setting_once),
    {0},
};
