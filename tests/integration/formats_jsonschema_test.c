/* io.confluent.connect.json.JsonSchemaConverter end to end through the real binaries: a JSON
 * Schema registered in the Schema Registry (schemaType JSON), framed records (0x00, schema id,
 * JSON text) produced to Kafka, `aerosink standalone` with
 * value.converter=io.confluent.connect.json.JsonSchemaConverter, and the bins read back from
 * Aerospike with their particle types: a "number" arrives as a FLOAT bin even when its text is
 * integral, undeclared properties are dropped, a record that does not match its schema follows
 * errors.tolerance with a message naming the property.
 * Runs unchanged against real systems (KAFKA_BOOTSTRAP, AEROSPIKE_HOSTS, SCHEMA_REGISTRY_URL):
 * names are run-unique and the schema id is whatever the registry assigns. */
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/fmt_e2e.h"
#include "../support/registry.h"
#include "../support/testutil.h"

static const char *const order_schema =
    "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"title\":\"Order\",\"type\":\"object\","
    "\"properties\":{"
    "\"id\":{\"type\":\"integer\"},"
    "\"name\":{\"type\":\"string\"},"
    "\"price\":{\"type\":\"number\"},"
    "\"qty\":{\"type\":\"integer\",\"connect.type\":\"int32\"},"
    "\"active\":{\"type\":\"boolean\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"attrs\":{\"type\":\"object\",\"connect.type\":\"map\",\"additionalProperties\":{\"type\":\"number\"}},"
    "\"blob\":{\"type\":\"string\",\"connect.type\":\"bytes\"},"
    "\"ship\":{\"$ref\":\"#/definitions/Address\"}},"
    "\"required\":[\"id\",\"name\",\"price\"],"
    "\"definitions\":{\"Address\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}";

struct ctx {
    struct tu_proc *kafka, *aero, *sink;
    char boot[256], hosts[256], topic[96], set[64], name[96];
    char dir[512], worker[600], conn[600];
    struct tu_registry reg;
    struct fmt_producer *prod;
    struct e2e_aero a;
    uint32_t id;
};

static void ctx_start(struct ctx *c)
{
    char t1[128], subject[160];

    memset(c, 0, sizeof(*c));
    snprintf(c->topic, sizeof(c->topic), "%s", fmt_name("jss"));
    snprintf(c->set, sizeof(c->set), "%s", fmt_name("js"));
    snprintf(c->name, sizeof(c->name), "%s", fmt_name("jssink"));
    snprintf(t1, sizeof(t1), "%s:2", c->topic);
    const char *topics[] = {t1, NULL};
    c->kafka = fmt_kafka_start(topics, c->boot, sizeof(c->boot));
    c->aero = tu_aerospike_start(NULL, c->hosts, sizeof(c->hosts));
    snprintf(c->dir, sizeof(c->dir), "%s", tu_tmpdir());
    c->prod = fmt_producer_new(c->boot);
    e2e_aero_open(&c->a, c->hosts);
    tu_registry_start(&c->reg, 0, NULL, NULL);
    snprintf(subject, sizeof(subject), "%s-value", c->topic);
    c->id = tu_registry_register_typed(&c->reg, subject, order_schema, "JSON");
}

/* String keys, JSON Schema values through c->reg, every value field a bin. */
static void ctx_config(struct ctx *c, const char *tolerance)
{
    struct buf seeds = BUF_INIT, conv = BUF_INIT;

    fmt_seeds_yaml(c->hosts, &seeds);
    tu_registry_props(&c->reg, "value.converter.", &conv);
    fmt_file(c->dir, "map.yml",
             "%sprocessing-threads: 2\ntopics:\n  %s:\n    invalid-record: kill-task\n"
             "    mapping:\n      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             buf_cstr(&seeds), c->topic, c->set);
    snprintf(c->worker, sizeof(c->worker), "%s",
             fmt_file(c->dir, "worker.properties",
                      "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
                      "value.converter=io.confluent.connect.json.JsonSchemaConverter\n%s"
                      "offset.flush.interval.ms=300\nconsumer.fetch.wait.max.ms=20\n"
                      "consumer.session.timeout.ms=6000\n",
                      c->boot, buf_cstr(&conv)));
    snprintf(c->conn, sizeof(c->conn), "%s",
             fmt_file(c->dir, "sink.properties",
                      "name=%s\nconnector.class=aerosink\ntopics=%s\naerospike.config.file=map.yml\n"
                      "errors.tolerance=%s\n",
                      c->name, c->topic, tolerance));
    buf_free(&seeds);
    buf_free(&conv);
}

/* Run the sink until every partition is consumed; returns its log (owned). */
static char *run_drained(struct ctx *c)
{
    const char *conns[] = {c->conn, NULL};
    const char *extra[] = {"--exit-when-drained", NULL};
    char *log = NULL;
    int rc;

    c->sink = fmt_sink_start(c->worker, conns, extra);
    rc = fmt_sink_stop(c->sink, 0, 120000, &log);
    if (rc != 0 || fmt_sanitizer_report(log))
        TEST_FAIL("aerosink exit %d (expected 0):\n%s", rc, log);
    if (getenv("FMT_TEST_LOG"))
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

/* Send key @key with JSON text @json framed with schema id @id. */
static void send_json(struct ctx *c, int partition, const char *key, uint32_t id, const char *json)
{
    struct buf v = BUF_INIT;

    buf_put_u8(&v, 0);
    for (int i = 3; i >= 0; i--)
        buf_put_u8(&v, (uint8_t)(id >> (8 * i)));
    buf_append_str(&v, json);
    fmt_send(c->prod, c->topic, partition, key, strlen(key), v.p, (long)v.len, NULL);
    buf_free(&v);
}

/* Order @i as the producer's JSON: price integral for even i ("price":10), undeclared "extra". */
static void send_order(struct ctx *c, int i)
{
    char key[32], json[512];

    snprintf(key, sizeof(key), "o-%d", i);
    snprintf(json, sizeof(json),
             "{\"id\":%d,\"name\":\"name-%d\",\"price\":%s,\"qty\":%d,\"active\":%s,\"tags\":[\"a\",\"t%d\"],"
             "\"attrs\":{\"w\":%d},\"blob\":\"AAEC\",\"ship\":{\"city\":\"c%d\",\"zip\":\"dropped\"},"
             "\"extra\":\"not in the schema\"}",
             i, i, i % 2 ? "10.5" : "10", i % 5, i % 2 ? "true" : "false", i, i, i);
    send_json(c, i % 2, key, c->id, json);
}

static void bin_of(const struct aero_record *rec, const char *name, struct aero_bin_view *b)
{
    if (!aero_record_bin(rec, name, b))
        TEST_FAIL("bin %s missing", name);
}

static double bin_double(const struct aero_bin_view *b)
{
    uint64_t bits = 0;
    double d;

    for (uint32_t k = 0; k < 8 && k < b->value_len; k++)
        bits = bits << 8 | b->value[k];
    memcpy(&d, &bits, 8);
    return d;
}

static void check_order(struct ctx *c, int i)
{
    char key[32], s[64], want[64];
    struct aero_record rec = {0};
    struct aero_key_value k;
    struct aero_bin_view b;

    snprintf(key, sizeof(key), "o-%d", i);
    k = fmt_key_str(key);
    if (fmt_get(&c->a, "test", c->set, &k, &rec) != ST_OK)
        TEST_FAIL("record %s missing", key);
    ASSERT_EQ_INT(e2e_bin_int(&rec, "id"), i);
    snprintf(want, sizeof(want), "name-%d", i);
    ASSERT_EQ_STR(e2e_bin_str(&rec, "name", s, sizeof(s)), want);
    bin_of(&rec, "price", &b);                       /* "number": FLOAT, also for the text 10 */
    ASSERT_EQ_INT(b.particle, AERO_PT_FLOAT);
    ASSERT_EQ_DBL(bin_double(&b), i % 2 ? 10.5 : 10.0);
    ASSERT_EQ_INT(e2e_bin_int(&rec, "qty"), i % 5);
    bin_of(&rec, "active", &b);
    ASSERT_TRUE(b.particle == AERO_PT_BOOL || b.particle == AERO_PT_INTEGER);
    bin_of(&rec, "tags", &b);
    ASSERT_EQ_INT(b.particle, AERO_PT_LIST);
    bin_of(&rec, "attrs", &b);
    ASSERT_EQ_INT(b.particle, AERO_PT_MAP);
    bin_of(&rec, "blob", &b);
    ASSERT_EQ_INT(b.particle, AERO_PT_BLOB);
    ASSERT_EQ_INT(b.value_len, 3);
    ASSERT_EQ_MEM(b.value, "\x00\x01\x02", 3);
    bin_of(&rec, "ship", &b);
    ASSERT_EQ_INT(b.particle, AERO_PT_MAP);
    ASSERT_FALSE(aero_record_bin(&rec, "extra", &b));   /* undeclared: dropped like Connect's Struct */
    ASSERT_EQ_INT(fmt_bin_count(&rec), 9);
    aero_record_free(&rec);
}

TEST(json_schema_records_land_with_their_types)
{
    struct ctx c;
    const int n = 60;
    char *log;

    ctx_start(&c);
    for (int i = 0; i < n; i++)
        send_order(&c, i);
    fmt_producer_free(c.prod);
    c.prod = fmt_producer_new(c.boot);
    ctx_config(&c, "none");
    log = run_drained(&c);
    mem_free(log);
    ASSERT_EQ_INT(e2e_count_objects(c.hosts, "test", c.set), n);
    for (int i = 0; i < n; i++)
        check_order(&c, i);
    ctx_free(&c);
}

TEST(a_record_not_matching_its_schema_follows_errors_tolerance)
{
    struct ctx c;
    char *log;

    ctx_start(&c);
    send_order(&c, 0);
    send_json(&c, 0, "bad-price", c.id, "{\"id\":1,\"name\":\"x\",\"price\":\"cheap\"}");
    send_json(&c, 0, "bad-qty", c.id, "{\"id\":2,\"name\":\"y\",\"price\":1,\"qty\":3000000000}");
    send_json(&c, 0, "bad-json", c.id, "{\"id\":3,");
    send_order(&c, 2);
    fmt_producer_free(c.prod);
    c.prod = fmt_producer_new(c.boot);
    ctx_config(&c, "all");
    log = run_drained(&c);
    ASSERT_EQ_INT(e2e_count_objects(c.hosts, "test", c.set), 2);
    check_order(&c, 0);
    check_order(&c, 2);
    ASSERT_EQ_INT(fmt_count_lines(log, "price: expected number, got string"), 1);
    ASSERT_EQ_INT(fmt_count_lines(log, "qty: 3000000000 is out of range for int32"), 1);
    ASSERT_EQ_INT(fmt_count_lines(log, "JSON Schema: schema id"), 3);
    mem_free(log);
    ctx_free(&c);
}

TEST_LIST = {
    T(json_schema_records_land_with_their_types),
    T(a_record_not_matching_its_schema_follows_errors_tolerance),
    {0},
};
