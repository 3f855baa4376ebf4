/* Dead-letter queue end to end (aerosink standalone binary): bad records of every kind go to
 * the DLQ with their original key, value and Connect's context headers; good ones land in
 * Aerospike; the counts add up exactly and the offsets are committed to the end. */
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/testutil.h"

#define N 10000

enum kind { GOOD, BAD_JSON, NO_KEY_FIELD, LONG_BIN, TOO_BIG, CONFLICT };

static enum kind kind_of(int i)
{
    if (i % 33 != 7)
        return GOOD;
    return (enum kind)(1 + (i / 33) % 5);   /* ~3% bad, the five kinds in turn */
}

static int value_of(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    switch (kind_of(i)) {
    case BAD_JSON:
        return snprintf(buf, cap, "{\"order_id\":\"o-%d\",\"amount\":", i);
    case NO_KEY_FIELD:
        return snprintf(buf, cap, "{\"amount\":%d}", i);
    case LONG_BIN:
        return snprintf(buf, cap, "{\"order_id\":\"o-%d\",\"a_field_name_too_long_for_a_bin\":%d}", i, i);
    case TOO_BIG: {
        int n = snprintf(buf, cap, "{\"order_id\":\"o-%d\",\"blob\":\"", i);
        memset(buf + n, 'x', 20000);
        n += 20000;
        return n + snprintf(buf + n, cap - (size_t)n, "\"}");
    }
    default:
        return snprintf(buf, cap, "{\"order_id\":\"o-%d\",\"amount\":%d,\"who\":\"new\"}", i, i);
    }
}

static const char *stage_of(enum kind k)
{
    return k == BAD_JSON ? "VALUE_CONVERTER" : "TASK_PUT";
}

static bool header(rd_kafka_headers_t *hs, const char *name, char *out, size_t cap)
{
    const void *v;
    size_t n;
    if (!hs || rd_kafka_header_get_last(hs, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    snprintf(out, cap, "%.*s", (int)n, (const char *)v);
    return true;
}

TEST(bad_records_of_every_kind_go_to_the_dlq_with_headers)
{
    const char *topics[] = {"orders:3", "orders-dlq:1", NULL};
    const char *aero_args[] = {"--max-record-size", "16K", NULL};
    char boot[256], hosts[256];
    int n_bad = 0, n_conflict = 0, per_kind[6] = {0};

    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd --max-record-size");
    struct tu_proc *kafka = tu_kafka_start(topics, 1, boot, sizeof(boot));
    struct tu_proc *aero = tu_aerospike_start(aero_args, hosts, sizeof(hosts));

    /* create-only conflicts: those keys exist before the run */
    struct e2e_aero a;
    e2e_aero_open(&a, hosts);
    for (int i = 0; i < N; i++) {
        per_kind[kind_of(i)]++;
        if (kind_of(i) == GOOD)
            continue;
        n_bad++;
        if (kind_of(i) != CONFLICT)
            continue;
        char key[32];
        struct aero_key k;
        struct aero_record rec = {0};
        struct err e = {0};
        snprintf(key, sizeof(key), "o-%d", i);
        struct aero_key_value kv = {.type = AERO_PT_STRING, .p = (const uint8_t *)key, .n = strlen(key)};
        struct aero_bin bin = {.name = "who", .type = AERO_PT_STRING, .p = "old", .n = 3};
        ASSERT_OK_E(aero_key_init(&k, "test", "orders", &kv, &e), &e);
        ASSERT_OK_E(aero_put(a.cl, NULL, &k, &bin, 1, &rec, &e), &e);
        aero_record_free(&rec);
        n_conflict++;
    }
    for (int k = BAD_JSON; k <= CONFLICT; k++)
        ASSERT_CMP_INT(per_kind[k], >, 10);

    e2e_produce(boot, "orders", N, 3, "k-%d", value_of, NULL);

    const char *dir = tu_tmpdir();
    char text[2048];
    struct aero_host ah;
    ASSERT_OK(aero_host_parse(hosts, strcspn(hosts, ","), 3000, &ah, NULL));
    snprintf(text, sizeof(text),
             "aerospike:\n  seeds:\n    - %s: {port: %u}\n"
             "topics:\n  orders:\n    invalid-record: dead-letter\n    on-write-failure: dead-letter\n"
             "    aerospike-operation: {type: write, record-exists-action: create-only}\n"
             "    mapping:\n      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: orders}\n"
             "      key-field: {source: value-field, field-name: order_id}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             ah.name, ah.port);
    tu_write_file(dir, "map.yml", text);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=500\nconsumer.fetch.wait.max.ms=20\n", boot);
    const char *wp = tu_write_file(dir, "worker.properties", text);
    const char *cp = tu_write_file(dir, "dlq.properties",
                                   "name=dlq-test\nconnector.class=com.aerospike.connect.kafka.inbound.AerospikeSinkConnector\n"
                                   "topics=orders\naerospike.config.file=map.yml\nerrors.tolerance=all\n"
                                   "errors.deadletterqueue.topic.name=orders-dlq\n"
                                   "errors.deadletterqueue.context.headers.enable=true\n");
    char wpath[512], cpath[512];
    snprintf(wpath, sizeof(wpath), "%s", wp);
    snprintf(cpath, sizeof(cpath), "%s", cp);
    const char *argv[] = {tu_bin("aerosink"), "standalone", "--exit-when-drained", "--progress", "0",
                          wpath, cpath, NULL};
    char *out = NULL;
    int rc = tu_run(argv, 180000, &out);
    if (rc != 0)
        TEST_FAIL("aerosink exit %d:\n%s", rc, out);
    if (strstr(out, "ERROR: AddressSanitizer") || strstr(out, "runtime error:"))
        TEST_FAIL("sanitizer report:\n%s", out);

    /* Aerospike: every good record, plus the pre-existing conflicts left as they were */
    ASSERT_EQ_INT(e2e_count_objects(hosts, "test", "orders"), N - n_bad + n_conflict);
    for (int i = 0; i < N; i += 7) {
        char key[32], who[16];
        struct aero_record rec = {0};
        snprintf(key, sizeof(key), "o-%d", i);
        enum status st = e2e_get_str(&a, "test", "orders", key, &rec);
        if (kind_of(i) == GOOD) {
            ASSERT_OK(st);
            ASSERT_EQ_INT(e2e_bin_int(&rec, "amount"), i);
            ASSERT_EQ_STR(e2e_bin_str(&rec, "who", who, sizeof(who)), "new");
        } else if (kind_of(i) == CONFLICT) {
            ASSERT_OK(st);
            ASSERT_EQ_STR(e2e_bin_str(&rec, "who", who, sizeof(who)), "old");
        } else {
            ASSERT_ST(st, ST_NOT_FOUND);
        }
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);

    /* the DLQ: exactly the bad records, original bytes, context headers */
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", "dlq-reader", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "orders-dlq", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    ASSERT_EQ_INT(rd_kafka_assign(rk, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    uint8_t *seen = calloc(N, 1);
    int got = 0, idle = 0;
    char *want = malloc(32768);
    while (idle < 30 && got < n_bad + 10) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            idle++;
            continue;
        }
        idle = 0;
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        char key[32], h[512];
        snprintf(key, sizeof(key), "%.*s", (int)m->key_len, (const char *)m->key);
        int i = atoi(key + 2);
        if (!(i >= 0 && i < N && kind_of(i) != GOOD)) {
            char hm[512] = "";
            rd_kafka_headers_t *hs0 = NULL;
            rd_kafka_message_headers(m, &hs0);
            header(hs0, "__connect.errors.exception.message", hm, sizeof(hm));
            TEST_FAIL("good record %s in the DLQ: %s\naerosink output:\n%s", key, hm, out);
        }
        ASSERT_FALSE(seen[i]);
        seen[i] = 1;
        got++;
        int wl = value_of(i, want, 32768, NULL);
        ASSERT_EQ_INT(m->len, wl);
        ASSERT_EQ_MEM(m->payload, want, (size_t)wl);
        rd_kafka_headers_t *hs = NULL;
        rd_kafka_message_headers(m, &hs);
        ASSERT_TRUE(header(hs, "__connect.errors.topic", h, sizeof(h)));
        ASSERT_EQ_STR(h, "orders");
        ASSERT_TRUE(header(hs, "__connect.errors.partition", h, sizeof(h)));
        ASSERT_EQ_INT(atoi(h), i % 3);
        ASSERT_TRUE(header(hs, "__connect.errors.offset", h, sizeof(h)));
        ASSERT_EQ_INT(atoi(h), i / 3);
        ASSERT_TRUE(header(hs, "__connect.errors.connector.name", h, sizeof(h)));
        ASSERT_EQ_STR(h, "dlq-test");
        ASSERT_TRUE(header(hs, "__connect.errors.stage", h, sizeof(h)));
        ASSERT_EQ_STR(h, stage_of(kind_of(i)));
        ASSERT_TRUE(header(hs, "__connect.errors.task.id", h, sizeof(h)));
        ASSERT_TRUE(header(hs, "__connect.errors.class.name", h, sizeof(h)));
        ASSERT_TRUE(header(hs, "__connect.errors.exception.class.name", h, sizeof(h)));
        ASSERT_TRUE(header(hs, "__connect.errors.exception.message", h, sizeof(h)));
        switch (kind_of(i)) {
        case BAD_JSON: ASSERT_CONTAINS(h, "JSON"); break;
        case NO_KEY_FIELD: ASSERT_CONTAINS(h, "order_id"); break;
        case LONG_BIN: ASSERT_CONTAINS(h, "a_field_name_too_long_for_a_bin"); break;
        case TOO_BIG: ASSERT_CONTAINS(h, "RECORD_TOO_BIG"); break;
        case CONFLICT: ASSERT_CONTAINS(h, "RECORD_EXISTS"); break;
        default: break;
        }
        ASSERT_TRUE(header(hs, "__connect.errors.exception.stacktrace", h, sizeof(h)));
        rd_kafka_message_destroy(m);
    }
    ASSERT_EQ_INT(got, n_bad);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(seen);
    free(want);

    int64_t offs[3];
    e2e_committed(boot, "connect-dlq-test", "orders", 3, offs);
    ASSERT_EQ_INT(offs[0] + offs[1] + offs[2], N);
    ASSERT_CONTAINS(out, "dead-lettered");
    free(out);
    tu_proc_free(kafka);
    tu_proc_free(aero);
}

TEST_LIST = {
    T(bad_records_of_every_kind_go_to_the_dlq_with_headers),
    {0},
};
