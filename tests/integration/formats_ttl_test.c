/* Per-record TTL from a Kafka header, end to end through the real binaries (issue 8, item 5):
 * `ttl: {mode: dynamic, source: header, header-name: ttl, unit: seconds | epoch-seconds |
 * epoch-millis}`. The stored record's TTL matches the header (a few seconds of slack), the last
 * header of that name wins, -1 never expires, a missing or non-numeric header follows
 * invalid-record (ignore: skipped and logged; dead-letter: to the DLQ), and an absolute expiry
 * already in the past is skipped and counted (an existing record is left alone).
 * Real systems: KAFKA_BOOTSTRAP, AEROSPIKE_HOSTS (the namespace must accept TTLs: nsup-period
 * > 0). */
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/fmt_e2e.h"
#include "../support/testutil.h"

enum { SEC, ESEC, EMS, NTOPIC };
static const char *const unit_name[NTOPIC] = {"seconds", "epoch-seconds", "epoch-millis"};

struct ctx {
    struct tu_proc *kafka, *aero;
    char boot[256], hosts[256], topic[NTOPIC][96], set[NTOPIC][64], dlq[96], name[96], dir[512];
    struct fmt_producer *prod;
    struct e2e_aero a;
};

static void put_rec(struct ctx *c, int t, const char *key, const char *const headers[])
{
    char v[96];
    int n = snprintf(v, sizeof(v), "{\"who\":\"%s\",\"unit\":\"%s\"}", key, unit_name[t]);
    fmt_send(c->prod, c->topic[t], 0, key, strlen(key), v, n, headers);
}

static int64_t ttl_of(struct ctx *c, int t, const char *key, bool *found)
{
    struct aero_record rec = {0};
    struct aero_key_value k = fmt_key_str(key);
    enum status st = fmt_get(&c->a, "test", c->set[t], &k, &rec);
    int64_t ttl = 0;
    *found = st == ST_OK;
    if (st == ST_OK)
        ttl = fmt_ttl(&rec);
    else if (st != ST_NOT_FOUND)
        TEST_FAIL("get %s: %s", key, status_name(st));
    aero_record_free(&rec);
    return ttl;
}

#define ASSERT_TTL(t, key, lo, hi)                                                   \
    do {                                                                             \
        bool f_;                                                                     \
        int64_t v_ = ttl_of(&c, t, key, &f_);                                        \
        if (!f_)                                                                     \
            TEST_FAIL("%s/%s: record missing", unit_name[t], key);                   \
        if (v_ < (int64_t)(lo) || v_ > (int64_t)(hi))                                \
            TEST_FAIL("%s/%s: TTL %lld not in [%lld, %lld]", unit_name[t], key,      \
                      (long long)v_, (long long)(lo), (long long)(hi));              \
    } while (0)
#define ASSERT_ABSENT(t, key)                                                        \
    do {                                                                             \
        bool f_;                                                                     \
        ttl_of(&c, t, key, &f_);                                                     \
        if (f_)                                                                      \
            TEST_FAIL("%s/%s: record should not exist", unit_name[t], key);          \
    } while (0)

TEST(ttl_from_a_header_in_seconds_epoch_seconds_and_epoch_millis)
{
    struct ctx c;
    char t3[3][128], d[128];
    memset(&c, 0, sizeof(c));
    for (int t = 0; t < NTOPIC; t++) {
        snprintf(c.topic[t], sizeof(c.topic[t]), "%s", fmt_name("ttl"));
        snprintf(c.set[t], sizeof(c.set[t]), "%s", fmt_name("tt"));
        snprintf(t3[t], sizeof(t3[t]), "%s:1", c.topic[t]);
    }
    snprintf(c.dlq, sizeof(c.dlq), "%s", fmt_name("ttl-dlq"));
    snprintf(d, sizeof(d), "%s:1", c.dlq);
    snprintf(c.name, sizeof(c.name), "%s", fmt_name("ttlsink"));
    const char *topics[] = {t3[0], t3[1], t3[2], d, NULL};
    c.kafka = fmt_kafka_start(topics, c.boot, sizeof(c.boot));
    c.aero = tu_aerospike_start(NULL, c.hosts, sizeof(c.hosts));
    snprintf(c.dir, sizeof(c.dir), "%s", tu_tmpdir());
    e2e_aero_open(&c.a, c.hosts);

    /* an existing record that an already-expired update must leave alone */
    {
        struct aero_key k;
        struct aero_record rec = {0};
        struct err e = {0};
        struct aero_key_value kv = fmt_key_str("expired");
        struct aero_bin bin = {.name = "who", .type = AERO_PT_STRING, .p = "old", .n = 3};
        ASSERT_OK_E(aero_key_init(&k, "test", c.set[ESEC], &kv, &e), &e);
        ASSERT_OK_E(aero_put(c.a.cl, NULL, &k, &bin, 1, &rec, &e), &e);
        aero_record_free(&rec);
    }

    uint64_t now = clock_wall_ms() / 1000, t0 = clock_mono_ms();
    char h[64], h2[64];
    c.prod = fmt_producer_new(c.boot);
    /* unit: seconds */
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "ok-%d", i);
        snprintf(h, sizeof(h), "%d", 3600 + i * 100);
        const char *hs[] = {"ttl", h, "other", "1", NULL};
        put_rec(&c, SEC, key, hs);
    }
    put_rec(&c, SEC, "never", (const char *const[]){"ttl", "-1", NULL});
    put_rec(&c, SEC, "last-wins", (const char *const[]){"ttl", "100", "ttl", "4000", NULL});
    put_rec(&c, SEC, "missing", (const char *const[]){"ttl-typo", "100", NULL});
    put_rec(&c, SEC, "bad", (const char *const[]){"ttl", "12x", NULL});
    put_rec(&c, SEC, "negative", (const char *const[]){"ttl", "-5", NULL});
    put_rec(&c, SEC, "null", (const char *const[]){"ttl", NULL, NULL});
    /* unit: epoch-seconds */
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "ok-%d", i);
        snprintf(h, sizeof(h), "%llu", (unsigned long long)(now + 7200 + (uint64_t)i * 60));
        const char *hs[] = {"ttl", h, NULL};
        put_rec(&c, ESEC, key, hs);
    }
    snprintf(h, sizeof(h), "%llu", (unsigned long long)(now - 10));
    put_rec(&c, ESEC, "expired", (const char *const[]){"ttl", h, NULL});
    put_rec(&c, ESEC, "missing", NULL);
    /* unit: epoch-millis */
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "ok-%d", i);
        snprintf(h, sizeof(h), "%llu", (unsigned long long)((now + 5400 + (uint64_t)i * 60) * 1000 + 999));
        const char *hs[] = {"ttl", h, NULL};
        put_rec(&c, EMS, key, hs);
    }
    snprintf(h2, sizeof(h2), "%llu", (unsigned long long)(now * 1000 - 5000));
    put_rec(&c, EMS, "expired", (const char *const[]){"ttl", h2, NULL});
    put_rec(&c, EMS, "missing", NULL);
    fmt_producer_free(c.prod);
    c.prod = NULL;

    /* one connector, three topics: seconds and epoch-millis ignore invalid records,
     * epoch-seconds dead-letters them */
    struct buf y = BUF_INIT;
    fmt_seeds_yaml(c.hosts, &y);
    buf_append_str(&y, "topics:\n");
    for (int t = 0; t < NTOPIC; t++)
        buf_printf(&y,
                   "  %s:\n    invalid-record: %s\n    mapping:\n"
                   "      namespace: {mode: static, value: test}\n      set: {mode: static, value: %s}\n"
                   "      key-field: {source: key}\n"
                   "      ttl: {mode: dynamic, source: header, header-name: ttl, unit: %s}\n"
                   "      bins: {type: multi-bins, all-value-fields: true}\n",
                   c.topic[t], t == ESEC ? "dead-letter" : "ignore", c.set[t], unit_name[t]);
    fmt_file(c.dir, "map.yml", "%s", buf_cstr(&y));
    char worker[600], conn[600];
    snprintf(worker, sizeof(worker), "%s",
             fmt_file(c.dir, "worker.properties",
                      "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
                      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                      "value.converter.schemas.enable=false\noffset.flush.interval.ms=300\n"
                      "consumer.fetch.wait.max.ms=20\nconsumer.session.timeout.ms=6000\n",
                      c.boot));
    snprintf(conn, sizeof(conn), "%s",
             fmt_file(c.dir, "sink.properties",
                      "name=%s\nconnector.class=aerosink\ntopics=%s,%s,%s\naerospike.config.file=map.yml\n"
                      "errors.deadletterqueue.topic.name=%s\nerrors.deadletterqueue.context.headers.enable=true\n",
                      c.name, c.topic[0], c.topic[1], c.topic[2], c.dlq));
    const char *conns[] = {conn, NULL};
    const char *extra[] = {"--exit-when-drained", "--progress", "3600", NULL};
    struct tu_proc *sink = fmt_sink_start(worker, conns, extra);
    char *log = NULL;
    int rc = fmt_sink_stop(sink, 0, 90000, &log);
    tu_proc_free(sink);
    if (rc != 0 || fmt_sanitizer_report(log))
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    if (getenv("FMT_TEST_LOG"))
        fprintf(stderr, "---- aerosink log ----\n%s----\n", log);
    int64_t el = (int64_t)((clock_mono_ms() - t0) / 1000) + 2;   /* seconds since the records were made */
    int64_t now2 = (int64_t)(clock_wall_ms() / 1000);

    /* seconds: the TTL counts from the write */
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "ok-%d", i);
        ASSERT_TTL(SEC, key, 3600 + i * 100 - el, 3600 + i * 100);
    }
    ASSERT_TTL(SEC, "never", -1, -1);
    ASSERT_TTL(SEC, "last-wins", 4000 - el, 4000);
    ASSERT_ABSENT(SEC, "missing");
    ASSERT_ABSENT(SEC, "bad");
    ASSERT_ABSENT(SEC, "negative");
    ASSERT_ABSENT(SEC, "null");
    /* absolute expiries: the remaining TTL is the expiry minus now (slack for the clock and
     * the second boundaries) */
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "ok-%d", i);
        int64_t exp_s = (int64_t)now + 7200 + i * 60, exp_ms = (int64_t)now + 5400 + i * 60;
        ASSERT_TTL(ESEC, key, exp_s - now2 - 3, exp_s - now2 + 3);
        ASSERT_TTL(EMS, key, exp_ms - now2 - 3, exp_ms - now2 + 3);
    }
    ASSERT_ABSENT(EMS, "expired");
    ASSERT_ABSENT(EMS, "missing");
    ASSERT_ABSENT(ESEC, "missing");
    {   /* the already-expired update skipped: the existing record is untouched */
        struct aero_record rec = {0};
        struct aero_key_value k = fmt_key_str("expired");
        char who[16];
        ASSERT_OK(fmt_get(&c.a, "test", c.set[ESEC], &k, &rec));
        ASSERT_EQ_STR(e2e_bin_str(&rec, "who", who, sizeof(who)), "old");
        aero_record_free(&rec);
    }
    ASSERT_EQ_INT(e2e_count_objects(c.hosts, "test", c.set[SEC]), 7);
    ASSERT_EQ_INT(e2e_count_objects(c.hosts, "test", c.set[ESEC]), 6);
    ASSERT_EQ_INT(e2e_count_objects(c.hosts, "test", c.set[EMS]), 5);

    /* counts: 11 + 7 + 7 records; written 7 + 5 + 5; dead-lettered: epoch-seconds' missing
     * header; skipped: 4 invalid (seconds) + 1 invalid (millis) + 2 already expired */
    struct fmt_totals tt;
    ASSERT_TRUE(fmt_totals(log, &tt));
    ASSERT_EQ_INT(tt.in, 25);
    ASSERT_EQ_INT(tt.written, 17);
    ASSERT_EQ_INT(tt.dead_lettered, 1);
    ASSERT_EQ_INT(tt.skipped, 7);
    ASSERT_EQ_INT(tt.failed, 0);
    /* invalid ones are logged with the reason; the expired ones are counted, not invalid */
    ASSERT_EQ_INT(fmt_count_lines(log, "ttl: header 'ttl' missing"), 3);   /* 2 skipped, 1 dead-lettered */
    ASSERT_EQ_INT(fmt_count_lines(log, "is not a decimal integer"), 2);    /* "12x" and a null header */
    ASSERT_EQ_INT(fmt_count_lines(log, "TTL -5 is not"), 1);
    char dl[400];
    snprintf(dl, sizeof(dl), "dead-lettered %s[0]@6 to %s: ttl: header 'ttl' missing", c.topic[ESEC], c.dlq);
    ASSERT_EQ_INT(fmt_count_lines(log, dl), 1);
    mem_free(log);
    buf_free(&y);
    e2e_aero_close(&c.a);
    tu_proc_free(c.kafka);
    tu_proc_free(c.aero);
}

TEST(ttl_from_a_value_field_takes_an_integer_or_a_numeric_string_as_documented)
{
    struct ctx c;
    char t[128];
    memset(&c, 0, sizeof(c));
    snprintf(c.topic[0], sizeof(c.topic[0]), "%s", fmt_name("ttlf"));
    snprintf(c.set[0], sizeof(c.set[0]), "%s", fmt_name("tf"));
    snprintf(c.name, sizeof(c.name), "%s", fmt_name("ttlfsink"));
    snprintf(t, sizeof(t), "%s:1", c.topic[0]);
    const char *topics[] = {t, NULL};
    c.kafka = fmt_kafka_start(topics, c.boot, sizeof(c.boot));
    c.aero = tu_aerospike_start(NULL, c.hosts, sizeof(c.hosts));
    snprintf(c.dir, sizeof(c.dir), "%s", tu_tmpdir());
    e2e_aero_open(&c.a, c.hosts);
    c.prod = fmt_producer_new(c.boot);
    const char *v_int = "{\"ttl\":3600,\"x\":1}", *v_str = "{\"ttl\":\"3600\",\"x\":1}";
    fmt_send(c.prod, c.topic[0], 0, "int", 3, v_int, (long)strlen(v_int), NULL);
    fmt_send(c.prod, c.topic[0], 0, "str", 3, v_str, (long)strlen(v_str), NULL);
    fmt_producer_free(c.prod);
    struct buf y = BUF_INIT;
    fmt_seeds_yaml(c.hosts, &y);
    fmt_file(c.dir, "map.yml",
             "%stopics:\n  %s:\n    invalid-record: ignore\n    mapping:\n"
             "      namespace: {mode: static, value: test}\n      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n      ttl: {mode: dynamic, source: value-field, field-name: ttl}\n"
             "      bins: {type: multi-bins, map: {x: {source: value-field, field-name: x}}}\n",
             buf_cstr(&y), c.topic[0], c.set[0]);
    char worker[600], conn[600];
    snprintf(worker, sizeof(worker), "%s",
             fmt_file(c.dir, "worker.properties",
                      "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
                      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                      "value.converter.schemas.enable=false\nconsumer.fetch.wait.max.ms=20\n",
                      c.boot));
    snprintf(conn, sizeof(conn), "%s",
             fmt_file(c.dir, "sink.properties", "name=%s\nconnector.class=aerosink\ntopics=%s\naerospike.config.file=map.yml\n", c.name,
                      c.topic[0]));
    const char *conns[] = {conn, NULL};
    const char *extra[] = {"--exit-when-drained", NULL};
    struct tu_proc *sink = fmt_sink_start(worker, conns, extra);
    char *log = NULL;
    int rc = fmt_sink_stop(sink, 0, 90000, &log);
    tu_proc_free(sink);
    if (rc != 0 || fmt_sanitizer_report(log))
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    if (fmt_count_lines(log, "skipped") != 0)
        TEST_FAIL("a record was skipped:\n%s", log);
    ASSERT_TTL(0, "int", 3600 - 60, 3600);
    ASSERT_TTL(0, "str", 3600 - 60, 3600);
    mem_free(log);
    buf_free(&y);
    e2e_aero_close(&c.a);
    tu_proc_free(c.kafka);
    tu_proc_free(c.aero);
}

TEST_LIST = {
    T(ttl_from_a_header_in_seconds_epoch_seconds_and_epoch_millis),
    T(ttl_from_a_value_field_takes_an_integer_or_a_numeric_string_as_documented),
    {0},
};
