/* Avro with the Schema Registry, end to end through the real binaries (issue 8, item 2): the
 * registry down when aerosink starts, down mid-stream with some schema ids not cached yet,
 * answering 500, refusing the credentials, and schema ids it does not know (404) or that are not
 * Avro. Unreachable is retriable: records are held (never skipped, offsets not committed past
 * them) and land once the registry is back; the outage is logged once, then at most once per
 * 10 s window. A 404 is a bad record and follows errors.tolerance (dead-letter queue, skip, or
 * fail the task).
 * Mock-only levers (down/up, 500, basic auth) skip on a real registry (SCHEMA_REGISTRY_URL); the
 * 404/non-Avro test runs against it too. */
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include "../harness.h"
#include "../support/avro_enc.h"
#include "../support/e2e.h"
#include "../support/fmt_e2e.h"
#include "../support/registry.h"
#include "../support/testutil.h"

static const char *const schema_v1 =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"aerosink.test\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"n\",\"type\":\"int\"}]}";
/* v2 adds a field with a default: backward compatible, so a real registry accepts it too */
static const char *const schema_v2 =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"aerosink.test\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"n\",\"type\":\"int\"},"
    "{\"name\":\"extra\",\"type\":\"string\",\"default\":\"\"}]}";

struct ctx {
    struct tu_proc *kafka, *aero, *sink;
    char boot[256], hosts[256], topic[96], set[64], dlq[96], name[96];
    char dir[512], worker[600], conn[600];
    struct tu_registry reg;
    struct fmt_producer *prod;
    struct e2e_aero a;
};

static void ctx_kafka_aero(struct ctx *c, int partitions)
{
    char t1[128], t2[128];
    memset(c, 0, sizeof(*c));
    snprintf(c->topic, sizeof(c->topic), "%s", fmt_name("reg"));
    snprintf(c->dlq, sizeof(c->dlq), "%.80s-dlq", c->topic);
    snprintf(c->set, sizeof(c->set), "%s", fmt_name("rs"));
    snprintf(c->name, sizeof(c->name), "%s", fmt_name("regsink"));
    snprintf(t1, sizeof(t1), "%s:%d", c->topic, partitions);
    snprintf(t2, sizeof(t2), "%s:1", c->dlq);
    const char *topics[] = {t1, t2, NULL};
    c->kafka = fmt_kafka_start(topics, c->boot, sizeof(c->boot));
    c->aero = tu_aerospike_start(NULL, c->hosts, sizeof(c->hosts));
    snprintf(c->dir, sizeof(c->dir), "%s", tu_tmpdir());
    c->prod = fmt_producer_new(c->boot);
    e2e_aero_open(&c->a, c->hosts);
}

/* Extra lines under topics.<topic> (indented 4), for the next ctx_config. */
static const char *topic_extra = "";

/* Config files: Avro values through c->reg, string keys, one set. @tolerance: "none" or "all";
 * @dlq: also a dead-letter queue; @more: extra connector properties (may be ""). */
static void ctx_config(struct ctx *c, const char *tolerance, bool dlq, const char *more)
{
    struct buf seeds = BUF_INIT, conv = BUF_INIT;
    fmt_seeds_yaml(c->hosts, &seeds);
    tu_registry_props(&c->reg, "value.converter.", &conv);
    fmt_file(c->dir, "map.yml",
             "%sprocessing-threads: 2\ntopics:\n  %s:\n    invalid-record: kill-task\n%s"
             "    mapping:\n      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             buf_cstr(&seeds), c->topic, topic_extra, c->set);
    snprintf(c->worker, sizeof(c->worker), "%s",
             fmt_file(c->dir, "worker.properties",
                      "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
                      "value.converter=io.confluent.connect.avro.AvroConverter\n%s"
                      "offset.flush.interval.ms=300\nconsumer.fetch.wait.max.ms=20\n"
                      "consumer.session.timeout.ms=6000\n",
                      c->boot, buf_cstr(&conv)));
    snprintf(c->conn, sizeof(c->conn), "%s",
             fmt_file(c->dir, "sink.properties",
                      "name=%s\nconnector.class=aerosink\ntopics=%s\naerospike.config.file=map.yml\n"
                      "errors.tolerance=%s\n%s%s%s%s",
                      c->name, c->topic, tolerance, dlq ? "errors.deadletterqueue.topic.name=" : "",
                      dlq ? c->dlq : "", dlq ? "\nerrors.deadletterqueue.context.headers.enable=true\n" : "",
                      more));
    buf_free(&seeds);
    buf_free(&conv);
}

static void ctx_sink_start(struct ctx *c, const char *const extra[])
{
    const char *conns[] = {c->conn, NULL};
    c->sink = fmt_sink_start(c->worker, conns, extra);
}

/* Stop (SIGTERM) or wait for the sink; asserts @want_rc and no sanitizer report; returns the log. */
static char *ctx_sink_stop(struct ctx *c, int sig, int want_rc)
{
    char *log = NULL;
    int rc = fmt_sink_stop(c->sink, sig, 60000, &log);
    if (rc != want_rc || fmt_sanitizer_report(log))
        TEST_FAIL("aerosink exit %d (expected %d):\n%s", rc, want_rc, log);
    if (getenv("FMT_TEST_LOG"))   /* show aerosink's log of passing tests too */
        fprintf(stderr, "---- aerosink log ----\n%s----\n", log);
    tu_proc_free(c->sink);
    c->sink = NULL;
    return log;
}

static void ctx_free(struct ctx *c)
{
    fmt_producer_free(c->prod);
    e2e_aero_close(&c->a);
    tu_proc_free(c->sink);
    tu_registry_free(&c->reg);
    tu_proc_free(c->kafka);
    tu_proc_free(c->aero);
}

/* One Avro record: key @key, value {id: i, name: "name-i", n: i % 7[, extra: "extra-i"]}. */
static void send_rec(struct ctx *c, int partition, const char *key, int i, uint32_t schema_id, bool v2)
{
    struct buf v = BUF_INIT;
    char s[64];
    avro_frame(&v, schema_id);
    avro_long(&v, i);
    snprintf(s, sizeof(s), "name-%d", i);
    avro_cstring(&v, s);
    avro_int(&v, i % 7);
    if (v2) {
        snprintf(s, sizeof(s), "extra-%d", i);
        avro_cstring(&v, s);
    }
    fmt_send(c->prod, c->topic, partition, key, strlen(key), v.p, (long)v.len, NULL);
    buf_free(&v);
}

/* send_rec with key "<prefix>-<i>". */
static void send_order(struct ctx *c, int partition, const char *prefix, int i, uint32_t schema_id, bool v2)
{
    char key[64];
    snprintf(key, sizeof(key), "%s-%d", prefix, i);
    send_rec(c, partition, key, i, schema_id, v2);
}

static void flush(struct ctx *c)
{
    fmt_producer_free(c->prod);
    c->prod = fmt_producer_new(c->boot);
}

static long count(struct ctx *c)
{
    return e2e_count_objects(c->hosts, "test", c->set);
}

static void check_order(struct ctx *c, const char *prefix, int i, bool v2)
{
    char key[64], s[64], want[64];
    struct aero_record rec = {0};
    struct aero_key_value k;
    snprintf(key, sizeof(key), "%s-%d", prefix, i);
    k = fmt_key_str(key);
    enum status st = fmt_get(&c->a, "test", c->set, &k, &rec);
    if (st != ST_OK)
        TEST_FAIL("record %s: %s", key, status_name(st));
    ASSERT_EQ_INT(e2e_bin_int(&rec, "id"), i);
    snprintf(want, sizeof(want), "name-%d", i);
    ASSERT_EQ_STR(e2e_bin_str(&rec, "name", s, sizeof(s)), want);
    ASSERT_EQ_INT(e2e_bin_int(&rec, "n"), i % 7);
    if (v2) {
        snprintf(want, sizeof(want), "extra-%d", i);
        ASSERT_EQ_STR(e2e_bin_str(&rec, "extra", s, sizeof(s)), want);
    }
    ASSERT_EQ_INT(fmt_bin_count(&rec), v2 ? 4 : 3);
    aero_record_free(&rec);
}

static bool key_exists(struct ctx *c, const char *prefix, int i)
{
    char key[64];
    struct aero_record rec = {0};
    struct aero_key_value k;
    snprintf(key, sizeof(key), "%s-%d", prefix, i);
    k = fmt_key_str(key);
    enum status st = fmt_get(&c->a, "test", c->set, &k, &rec);
    aero_record_free(&rec);
    return st == ST_OK;
}

/* Wait until the sink's log contains @needle; returns false after @timeout_ms. */
static bool wait_log(struct ctx *c, const char *needle, int timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)(timeout_ms * test_timeout_scale());
    for (;;) {
        char *log = tu_proc_stderr(c->sink);
        bool hit = strstr(log, needle) != NULL;
        mem_free(log);
        if (hit)
            return true;
        if (clock_mono_ms() >= deadline || !tu_proc_running(c->sink))
            return false;
        sleep_ms(100);
    }
}

static int64_t committed_sum(struct ctx *c, int partitions)
{
    int64_t offs[8], sum = 0;
    char group[128];
    snprintf(group, sizeof(group), "connect-%s", c->name);
    e2e_committed(c->boot, group, c->topic, partitions, offs);
    for (int p = 0; p < partitions; p++)
        sum += offs[p] > 0 ? offs[p] : 0;
    return sum;
}

/* The outage lines: exactly one "failing" line when it starts, then at most one summary per
 * 10 s window; the retries they summarise outnumber them; nothing was skipped or failed. */
static void check_outage_log(const char *log, double outage_s)
{
    int first = fmt_count_lines(log, "Record decoding failing");
    int still = fmt_count_lines(log, "Record decoding still failing");
    if (first != 1)
        TEST_FAIL("expected exactly one 'Record decoding failing' line, got %d:\n%s", first, log);
    ASSERT_CMP_INT(still, <=, (int)(outage_s / 10) + 1);
    ASSERT_CONTAINS(log, "schema registry unreachable");
    ASSERT_EQ_INT(fmt_count_lines(log, "skipped "), 0);
    ASSERT_EQ_INT(fmt_count_lines(log, "dead-lettered"), 0);
    ASSERT_EQ_INT(fmt_count_lines(log, "task failed"), 0);
    ASSERT_EQ_INT(fmt_count_lines(log, "schema id"), first + still);   /* no per-record lines */
}

TEST(registry_down_at_start_nothing_lost_records_arrive_when_it_starts)
{
    struct ctx c;
    const int n = 200;
    if (tu_registry_is_real())
        TEST_SKIP("starts and stops the mock registry");
    ctx_kafka_aero(&c, 2);
    /* register, then stop: the registry is not running when aerosink starts */
    char state[700];
    snprintf(state, sizeof(state), "%s/registry.json", c.dir);
    tu_registry_start(&c.reg, tu_free_ports(1), state, NULL);
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", c.topic);
    uint32_t id = tu_registry_register(&c.reg, subject, schema_v1);
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    for (int i = 0; i < n; i++)
        send_order(&c, i % 2, "o", i, id, false);
    flush(&c);

    ctx_config(&c, "none", false, "");
    ctx_sink_start(&c, NULL);
    uint64_t t0 = clock_mono_ms();
    ASSERT_TRUE(wait_log(&c, "Record decoding failing", 30000));   /* it consumed and hit the outage */
    sleep_ms(5000 - MIN(5000, clock_mono_ms() - t0));
    ASSERT_EQ_INT(count(&c), 0);
    ASSERT_EQ_INT(committed_sum(&c, 2), 0);                          /* held: nothing committed */
    ASSERT_TRUE(tu_proc_running(c.sink));

    uint64_t up = clock_mono_ms();
    tu_registry_start(&c.reg, -1, NULL, NULL);                     /* same port, same state file */
    ASSERT_EQ_INT(e2e_wait_objects(c.hosts, "test", c.set, n, 30000), n);
    fprintf(stderr, "    all %d records %llu ms after the registry started (outage %llu ms)\n", n,
            (unsigned long long)(clock_mono_ms() - up), (unsigned long long)(up - t0));
    for (int i = 0; i < n; i += 13)
        check_order(&c, "o", i, false);
    sleep_ms(800);   /* a commit interval */
    ASSERT_EQ_INT(committed_sum(&c, 2), n);
    char *log = ctx_sink_stop(&c, SIGTERM, 0);
    check_outage_log(log, (double)(clock_mono_ms() - t0) / 1000.0);
    ASSERT_CONTAINS(log, c.reg.url);
    mem_free(log);
    ASSERT_CMP_INT(tu_registry_gets(&c.reg, id), <=, 2);   /* once per processing thread */
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    ctx_free(&c);
}

TEST(registry_down_mid_stream_uncached_ids_wait_in_key_order_nothing_lost)
{
    struct ctx c;
    const int n1 = 100, n2 = 50;
    if (tu_registry_is_real())
        TEST_SKIP("takes the mock registry down and up");
    ctx_kafka_aero(&c, 2);
    tu_registry_start(&c.reg, 0, NULL, NULL);
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", c.topic);
    uint32_t v1 = tu_registry_register(&c.reg, subject, schema_v1);
    uint32_t v2 = tu_registry_register(&c.reg, subject, schema_v2);
    ASSERT_NE_INT(v1, v2);
    /* phase 1: v1 on both partitions and many keys, so every processing thread caches v1 */
    for (int i = 0; i < n1; i++)
        send_order(&c, i % 2, "a", i, v1, false);
    flush(&c);
    ctx_config(&c, "none", false, "");
    ctx_sink_start(&c, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(c.hosts, "test", c.set, n1, 30000), n1);

    /* phase 2, registry down. Partition 0: key h-1 with v2 (not cached: held), then key h-1
     * again with v1 (cached, but it must not overtake the held record of its key), then cached
     * records of other keys; partition 1: cached records. */
    tu_registry_down(&c.reg);
    uint64_t t0 = clock_mono_ms();
    send_rec(&c, 0, "h-1", 1, v2, true);
    send_rec(&c, 0, "h-1", 2, v1, false);
    for (int i = 0; i < n2; i++)
        send_order(&c, 0, "c", i, v1, false);
    for (int i = 0; i < n2; i++)
        send_order(&c, 1, "d", i, v1, false);
    flush(&c);
    ASSERT_TRUE(wait_log(&c, "Record decoding failing", 10000));
    /* keep it down until the outage was summarised once (one 10 s window: the retry at ~11 s
     * after the first failure logs it). A thread holding a record does not start later ones
     * (whatever their key), so at most the other thread's share of the cached records lands
     * meanwhile; never h-1, never a commit past the held record. */
    long during = 0;
    uint64_t deadline = clock_mono_ms() + (uint64_t)(25000 * test_timeout_scale());
    for (;;) {
        char *l = tu_proc_stderr(c.sink);
        bool summarised = strstr(l, "Record decoding still failing") != NULL;
        mem_free(l);
        during = count(&c);
        ASSERT_CMP_INT(during, <, n1 + 2 * n2);
        ASSERT_FALSE(key_exists(&c, "h", 1));
        if (summarised)
            break;
        if (clock_mono_ms() > deadline)
            TEST_FAIL("no 'Record decoding still failing' line after %.0f s of outage",
                      (double)(clock_mono_ms() - t0) / 1000.0);
        sleep_ms(200);
    }
    int64_t offs[2];
    char group[128];
    snprintf(group, sizeof(group), "connect-%s", c.name);
    e2e_committed(c.boot, group, c.topic, 2, offs);
    ASSERT_EQ_INT(offs[0], n1 / 2);   /* not past the held record */
    ASSERT_CMP_INT(offs[1], <=, n1 / 2 + n2);

    tu_registry_up(&c.reg);
    double outage = (double)(clock_mono_ms() - t0) / 1000.0;
    fprintf(stderr, "    during the outage %ld of %d cached records landed\n", during - n1, 2 * n2);
    ASSERT_EQ_INT(e2e_wait_objects(c.hosts, "test", c.set, n1 + 1 + 2 * n2, 30000), n1 + 1 + 2 * n2);
    for (int i = 0; i < n2; i += 5) {
        check_order(&c, "c", i, false);
        check_order(&c, "d", i, false);
    }
    {   /* key order kept: the v2 record first, then the v1 one over it (generation 2) */
        struct aero_record rec = {0};
        struct aero_key_value k = fmt_key_str("h-1");
        ASSERT_OK(fmt_get(&c.a, "test", c.set, &k, &rec));
        ASSERT_EQ_INT(e2e_bin_int(&rec, "id"), 2);
        ASSERT_EQ_INT(rec.generation, 2);
        char s[64];
        ASSERT_EQ_STR(e2e_bin_str(&rec, "extra", s, sizeof(s)), "extra-1");   /* the update kept v2's bin */
        aero_record_free(&rec);
    }
    sleep_ms(800);
    ASSERT_EQ_INT(committed_sum(&c, 2), n1 + 2 + 2 * n2);
    char *log = ctx_sink_stop(&c, SIGTERM, 0);
    check_outage_log(log, outage);
    ASSERT_EQ_INT(fmt_count_lines(log, "Record decoding still failing"), 1);   /* < 20 s: one window */
    mem_free(log);
    ASSERT_EQ_INT(tu_registry_gets(&c.reg, v2), 1);   /* only the thread of key h-1 needed it */
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    ctx_free(&c);
}

TEST(sigterm_during_an_outage_exits_0_commits_nothing_held_and_a_restart_delivers)
{
    struct ctx c;
    const int n = 100;
    if (tu_registry_is_real())
        TEST_SKIP("takes the mock registry down and up");
    ctx_kafka_aero(&c, 2);
    tu_registry_start(&c.reg, 0, NULL, NULL);
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", c.topic);
    uint32_t id = tu_registry_register(&c.reg, subject, schema_v1);
    tu_registry_down(&c.reg);
    for (int i = 0; i < n; i++)
        send_order(&c, i % 2, "o", i, id, false);
    flush(&c);
    ctx_config(&c, "none", false, "");
    const char *extra[] = {"--drain-timeout", "2", NULL};
    ctx_sink_start(&c, extra);
    ASSERT_TRUE(wait_log(&c, "Record decoding failing", 30000));
    char *log = ctx_sink_stop(&c, SIGTERM, 0);
    ASSERT_CONTAINS(log, "stopped; 100 record(s) were not acknowledged and will be read again");
    mem_free(log);
    ASSERT_EQ_INT(count(&c), 0);
    ASSERT_EQ_INT(committed_sum(&c, 2), 0);

    tu_registry_up(&c.reg);
    ctx_sink_start(&c, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(c.hosts, "test", c.set, n, 30000), n);
    for (int i = 0; i < n; i += 9)
        check_order(&c, "o", i, false);
    sleep_ms(800);
    ASSERT_EQ_INT(committed_sum(&c, 2), n);
    log = ctx_sink_stop(&c, SIGTERM, 0);
    ASSERT_EQ_INT(fmt_count_lines(log, "Record decoding failing"), 0);
    mem_free(log);
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    ctx_free(&c);
}

TEST(registry_answering_500_is_retriable_records_land_when_it_recovers)
{
    struct ctx c;
    const int n = 60;
    if (tu_registry_is_real())
        TEST_SKIP("needs the mock registry's injected 500");
    ctx_kafka_aero(&c, 1);
    tu_registry_start(&c.reg, 0, NULL, NULL);
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", c.topic);
    uint32_t id = tu_registry_register(&c.reg, subject, schema_v1);
    tu_registry_admin(&c.reg, "fail?status=500");
    for (int i = 0; i < n; i++)
        send_order(&c, 0, "o", i, id, false);
    flush(&c);
    ctx_config(&c, "all", true, "");   /* tolerance all + DLQ: a 500 must still not drop anything */
    ctx_sink_start(&c, NULL);
    ASSERT_TRUE(wait_log(&c, "Record decoding failing", 30000));
    sleep_ms(3000);
    ASSERT_EQ_INT(count(&c), 0);
    tu_registry_admin(&c.reg, "ok");
    ASSERT_EQ_INT(e2e_wait_objects(c.hosts, "test", c.set, n, 30000), n);
    for (int i = 0; i < n; i += 7)
        check_order(&c, "o", i, false);
    char *log = ctx_sink_stop(&c, SIGTERM, 0);
    ASSERT_CONTAINS(log, "HTTP 500");
    ASSERT_EQ_INT(fmt_count_lines(log, "Record decoding failing"), 1);
    ASSERT_EQ_INT(fmt_count_lines(log, "dead-lettered"), 0);
    mem_free(log);
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    ctx_free(&c);
}

TEST(basic_auth_user_info_is_sent_and_wrong_credentials_fail_the_task_clearly)
{
    struct ctx c;
    const int n = 20;
    const char *args[] = {"--user", "sink:s3cr3t", NULL};
    if (tu_registry_is_real())
        TEST_SKIP("needs the mock registry's --user");
    ctx_kafka_aero(&c, 1);
    tu_registry_start(&c.reg, 0, NULL, args);
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", c.topic);
    uint32_t id = tu_registry_register(&c.reg, subject, schema_v1);
    for (int i = 0; i < n; i++)
        send_order(&c, 0, "o", i, id, false);
    flush(&c);
    /* right credentials (tu_registry_props writes USER_INFO) */
    ctx_config(&c, "none", false, "");
    const char *extra[] = {"--exit-when-drained", NULL};
    ctx_sink_start(&c, extra);
    char *log = ctx_sink_stop(&c, 0, 0);
    mem_free(log);
    ASSERT_EQ_INT(count(&c), n);

    /* wrong password: 401 is fatal (ST_AUTH), the task fails and says why; nothing skipped */
    snprintf(c.reg.userinfo, sizeof(c.reg.userinfo), "sink:wrong");
    snprintf(c.name, sizeof(c.name), "%s", fmt_name("regsink-badauth"));   /* a new group: read again */
    snprintf(c.set, sizeof(c.set), "%s", fmt_name("rs-badauth"));
    ctx_config(&c, "all", false, "");
    ctx_sink_start(&c, NULL);
    log = ctx_sink_stop(&c, 0, 1);
    ASSERT_CONTAINS(log, "schema registry refused the credentials");
    ASSERT_CONTAINS(log, "HTTP 401");
    ASSERT_FALSE(strstr(log, "sink:wrong") != NULL);   /* the credentials are never logged */
    ASSERT_EQ_INT(fmt_count_lines(log, "skipped "), 0);
    mem_free(log);
    ASSERT_EQ_INT(count(&c), 0);
    ASSERT_EQ_INT(committed_sum(&c, 1), 0);
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    ctx_free(&c);
}

/* Records of unknown (404) and non-Avro schema ids among good ones. */
static uint32_t unknown_id(void)
{
    return 2147480000u + (uint32_t)(getpid() % 1000);
}

static void produce_mixed(struct ctx *c, uint32_t good, uint32_t json_schema, int n)
{
    for (int i = 0; i < n; i++) {
        if (i % 10 == 3)
            send_order(c, 0, "o", i, unknown_id(), false);
        else if (i % 10 == 6)
            send_order(c, 0, "o", i, json_schema, false);
        else
            send_order(c, 0, "o", i, good, false);
    }
    flush(c);
}

TEST(unknown_schema_id_404_follows_errors_tolerance_dlq_skip_or_fail)
{
    struct ctx c;
    const int n = 100, bad_404 = n / 10, bad_json = n / 10, good = n - bad_404 - bad_json;
    ctx_kafka_aero(&c, 1);
    tu_registry_start(&c.reg, 0, NULL, NULL);
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", c.topic);
    uint32_t id = tu_registry_register(&c.reg, subject, schema_v1);
    snprintf(subject, sizeof(subject), "%s-json-value", c.topic);
    uint32_t jid = tu_registry_register_typed(&c.reg, subject, "{\"type\":\"object\"}", "JSON");
    char u404[32];
    snprintf(u404, sizeof(u404), "schema id %u unknown", unknown_id());
    produce_mixed(&c, id, jid, n);

    /* 1. errors.tolerance=all + DLQ: the bad ones go to the DLQ with their bytes and the reason */
    ctx_config(&c, "all", true, "");
    const char *extra[] = {"--exit-when-drained", NULL};
    ctx_sink_start(&c, extra);
    char *log = ctx_sink_stop(&c, 0, 0);
    ASSERT_EQ_INT(count(&c), good);
    ASSERT_EQ_INT(fmt_count_lines(log, "dead-lettered"), bad_404 + bad_json);
    ASSERT_EQ_INT(fmt_count_lines(log, u404), bad_404);
    ASSERT_EQ_INT(fmt_count_lines(log, "not Avro"), bad_json);
    ASSERT_EQ_INT(fmt_count_lines(log, "Record decoding failing"), 0);   /* a 404 is not an outage */
    mem_free(log);
    for (int i = 0; i < n; i++) {
        if (i % 10 == 3 || i % 10 == 6)
            ASSERT_FALSE(key_exists(&c, "o", i));
        else if (i % 9 == 0)
            check_order(&c, "o", i, false);
    }
    ASSERT_EQ_INT(committed_sum(&c, 1), n);
    {
        char errstr[256];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", c.boot, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "group.id", fmt_name("dlq-reader"), errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, c.dlq, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
        ASSERT_EQ_INT(rd_kafka_assign(rk, l), 0);
        rd_kafka_topic_partition_list_destroy(l);
        int got = 0, idle = 0;
        while (idle < 30 && got < bad_404 + bad_json) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
            if (!m || m->err) {
                idle++;
                if (m)
                    rd_kafka_message_destroy(m);
                continue;
            }
            idle = 0;
            char key[32];
            const void *hv;
            size_t hn;
            rd_kafka_headers_t *hs = NULL;
            snprintf(key, sizeof(key), "%.*s", (int)m->key_len, (const char *)m->key);
            int i = atoi(key + 2);
            ASSERT_TRUE(i % 10 == 3 || i % 10 == 6);
            ASSERT_EQ_INT(load_u32be((const uint8_t *)m->payload + 1), i % 10 == 3 ? unknown_id() : jid);
            ASSERT_OK(rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR ? ST_OK : ST_NOT_FOUND);
            ASSERT_EQ_INT(rd_kafka_header_get_last(hs, "__connect.errors.stage", &hv, &hn), 0);
            ASSERT_TRUE(hn == 15 && memcmp(hv, "VALUE_CONVERTER", 15) == 0);
            ASSERT_EQ_INT(rd_kafka_header_get_last(hs, "__connect.errors.exception.message", &hv, &hn), 0);
            char msg[512];
            snprintf(msg, sizeof(msg), "%.*s", (int)hn, (const char *)hv);
            ASSERT_CONTAINS(msg, i % 10 == 3 ? u404 : "not Avro");
            got++;
            rd_kafka_message_destroy(m);
        }
        ASSERT_EQ_INT(got, bad_404 + bad_json);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }

    /* 2. errors.tolerance=all, no DLQ: skipped, logged, counted */
    snprintf(c.name, sizeof(c.name), "%s", fmt_name("regsink-skip"));
    snprintf(c.set, sizeof(c.set), "%s", fmt_name("rs-skip"));
    ctx_config(&c, "all", false, "errors.log.enable=true\n");
    ctx_sink_start(&c, extra);
    log = ctx_sink_stop(&c, 0, 0);
    ASSERT_EQ_INT(count(&c), good);
    ASSERT_EQ_INT(fmt_count_lines(log, "skipped "), bad_404 + bad_json);
    ASSERT_EQ_INT(fmt_count_lines(log, u404), bad_404);
    ASSERT_EQ_INT(committed_sum(&c, 1), n);
    mem_free(log);

    /* 3. errors.tolerance=none: a bad record fails the task (keys run in parallel: the unknown
     * id @3 or the JSON schema @6, whichever fails first); records before the failing one
     * still finish, so @3 is reported either way; nothing after it is committed; exit 1 */
    snprintf(c.name, sizeof(c.name), "%s", fmt_name("regsink-none"));
    snprintf(c.set, sizeof(c.set), "%s", fmt_name("rs-none"));
    ctx_config(&c, "none", false, "");
    ctx_sink_start(&c, NULL);
    log = ctx_sink_stop(&c, 0, 1);
    ASSERT_CONTAINS(log, "task failed");
    ASSERT_CONTAINS(log, u404);
    ASSERT_CONTAINS(log, "@3");   /* topic[0]@3: the first bad record */
    mem_free(log);
    ASSERT_CMP_INT(committed_sum(&c, 1), <=, 3);   /* records after it may have been written (other
                                                     * keys run in parallel): they are read again */
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    ctx_free(&c);
}

TEST(dead_lettering_a_bad_record_does_not_make_in_flight_writes_time_out)
{
    struct ctx c;
    const int n = 200;
    ctx_kafka_aero(&c, 1);
    tu_registry_start(&c.reg, 0, NULL, NULL);
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", c.topic);
    uint32_t id = tu_registry_register(&c.reg, subject, schema_v1);
    for (int i = 0; i < n; i++)
        send_order(&c, 0, "o", i, i % 50 == 10 ? unknown_id() : id, false);
    flush(&c);
    topic_extra = "    aerospike-operation: {type: write, total-timeout: 300}\n";
    ctx_config(&c, "all", true, "");
    topic_extra = "";
    const char *extra[] = {"--exit-when-drained", "--progress", "3600", NULL};
    ctx_sink_start(&c, extra);
    char *log = ctx_sink_stop(&c, 0, 0);
    ASSERT_EQ_INT(count(&c), n - n / 50);
    struct fmt_totals t;
    ASSERT_TRUE(fmt_totals(log, &t));
    ASSERT_EQ_INT(t.dead_lettered, n / 50);
    if (t.retries != 0 || strstr(log, "Aerospike writes failing"))
        TEST_FAIL("writes were retried (%lld) although Aerospike never failed:\n%s", t.retries, log);
    mem_free(log);
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    ctx_free(&c);
}

TEST(the_end_of_a_registry_outage_is_logged)
{
    struct ctx c;
    const int n = 50;
    if (tu_registry_is_real())
        TEST_SKIP("takes the mock registry down and up");
    ctx_kafka_aero(&c, 1);
    tu_registry_start(&c.reg, 0, NULL, NULL);
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", c.topic);
    uint32_t id = tu_registry_register(&c.reg, subject, schema_v1);
    tu_registry_down(&c.reg);
    for (int i = 0; i < n; i++)
        send_order(&c, 0, "o", i, id, false);
    flush(&c);
    ctx_config(&c, "none", false, "");
    ctx_sink_start(&c, NULL);
    ASSERT_TRUE(wait_log(&c, "Record decoding failing", 30000));
    sleep_ms(2000);
    tu_registry_up(&c.reg);
    ASSERT_EQ_INT(e2e_wait_objects(c.hosts, "test", c.set, n, 30000), n);
    sleep_ms(7000);   /* longer than any quiet period */
    char *log = ctx_sink_stop(&c, SIGTERM, 0);
    ASSERT_CONTAINS(log, "recovered");
    mem_free(log);
    ASSERT_EQ_INT(tu_registry_stop(&c.reg), 0);
    ctx_free(&c);
}

TEST_LIST = {
    T(registry_down_at_start_nothing_lost_records_arrive_when_it_starts),
    T(registry_down_mid_stream_uncached_ids_wait_in_key_order_nothing_lost),
    T(sigterm_during_an_outage_exits_0_commits_nothing_held_and_a_restart_delivers),
    T(registry_answering_500_is_retriable_records_land_when_it_recovers),
    T(basic_auth_user_info_is_sent_and_wrong_credentials_fail_the_task_clearly),
    T(unknown_schema_id_404_follows_errors_tolerance_dlq_skip_or_fail),
    T(dead_lettering_a_bad_record_does_not_make_in_flight_writes_time_out),
    T(the_end_of_a_registry_outage_is_logged),
    {0},
};
