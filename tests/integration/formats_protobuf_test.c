/* Protobuf with the Schema Registry, end to end through the real binaries: a PROTOBUF schema
 * registered in the registry, records hand-encoded (tests/support/pb_enc.c) and framed as
 * Confluent's serializer does (magic, schema id, message indexes in both the short and the
 * count form), consumed by `aerosink standalone` with
 * value.converter=io.confluent.connect.protobuf.ProtobufConverter. The same logical records
 * are produced as plain JSON, written out the way Confluent's ProtobufData gives them to
 * Connect (proto3 defaults present, enum names, the oneof as a Struct named "<oneof>_0"), to a
 * second topic and connector: both sets must hold the same bins, byte for byte. A record the
 * decoder must refuse (an enum number the schema does not know) is skipped under
 * errors.tolerance=all and logged with its place; the records around it land.
 * Real systems: KAFKA_BOOTSTRAP, AEROSPIKE_HOSTS, SCHEMA_REGISTRY_URL (all names are unique
 * per run). */
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/fmt_e2e.h"
#include "../support/pb_enc.h"
#include "../support/registry.h"
#include "../support/testutil.h"

#define N 30

static const char *const proto =
    "syntax = \"proto3\";\n"
    "package aerosink.test;\n"
    "\n"
    "message Order {\n"
    "  int64 id = 1;\n"
    "  string name = 2;\n"
    "  double score = 3;\n"
    "  bool active = 4;\n"
    "  repeated string tags = 5;\n"
    "  Address address = 6;\n"
    "  Status status = 7;\n"
    "  map<string, int64> attrs = 8;\n"
    "  sint32 delta = 9;\n"
    "  uint32 big = 10;\n"
    "  oneof pick {\n"
    "    int32 n = 11;\n"
    "    string s = 12;\n"
    "  }\n"
    "  repeated int32 counts = 13;\n"
    "\n"
    "  message Address {\n"
    "    string city = 1;\n"
    "    string zip = 2;\n"
    "  }\n"
    "  enum Status {\n"
    "    UNKNOWN = 0;\n"
    "    OPEN = 1;\n"
    "    CLOSED = 2;\n"
    "  }\n"
    "}\n";

/* Record @i as Protobuf (schema @id). Every third record leaves fields out (proto3 defaults),
 * odd records use the count form of the message index. */
static void pb_value(struct buf *v, uint32_t id, int i)
{
    int32_t idx0 = 0;
    char s[64];
    size_t at;

    pb_frame(v, id, i % 2 ? 1 : 0, &idx0);
    pb_varint_field(v, 1, (uint64_t)(1000 + i));
    snprintf(s, sizeof(s), "name-%d", i);
    pb_str_field(v, 2, s);
    pb_double_field(v, 3, i + 0.5);
    if (i % 3 != 0) {
        pb_varint_field(v, 4, (uint64_t)(i % 2 == 0));
        pb_str_field(v, 5, "a");
        snprintf(s, sizeof(s), "t%d", i);
        pb_str_field(v, 5, s);
        at = pb_begin(v, 6);
        snprintf(s, sizeof(s), "city-%d", i);
        pb_str_field(v, 1, s);
        pb_end(v, at);
        pb_varint_field(v, 7, (uint64_t)(1 + i % 2));
        at = pb_begin(v, 8);
        pb_str_field(v, 1, "k");
        pb_varint_field(v, 2, (uint64_t)i);
        pb_end(v, at);
        pb_varint_field(v, 10, 4000000000u);
        at = pb_begin(v, 13);   /* packed */
        pb_varint(v, (uint64_t)i);
        pb_varint(v, 300);
        pb_end(v, at);
    }
    pb_varint_field(v, 9, pb_zigzag(-i));
    if (i % 2)
        pb_varint_field(v, 11, (uint64_t)i);
    else if (i % 4 == 0)
        pb_str_field(v, 12, "four");
}

/* The same record as the plain JSON Connect would see from ProtobufConverter. */
static void json_value(struct buf *v, int i)
{
    bool full = i % 3 != 0;

    buf_printf(v, "{\"pick_0\":");
    if (i % 2)
        buf_printf(v, "{\"n\":%d,\"s\":null}", i);
    else if (i % 4 == 0)
        buf_printf(v, "{\"n\":null,\"s\":\"four\"}");
    else
        buf_printf(v, "null");
    buf_printf(v, ",\"id\":%d,\"name\":\"name-%d\",\"score\":%d.5,\"active\":%s,", 1000 + i, i, i,
               full && i % 2 == 0 ? "true" : "false");
    if (full)
        buf_printf(v, "\"tags\":[\"a\",\"t%d\"],\"address\":{\"city\":\"city-%d\",\"zip\":\"\"},\"status\":\"%s\","
                   "\"attrs\":{\"k\":%d},\"delta\":%d,\"big\":4000000000,\"counts\":[%d,300]}",
                   i, i, i % 2 ? "CLOSED" : "OPEN", i, -i, i);
    else
        buf_printf(v, "\"tags\":[],\"address\":null,\"status\":\"UNKNOWN\",\"attrs\":{},\"delta\":%d,\"big\":0,"
                   "\"counts\":[]}", -i);
}

TEST(protobuf_records_land_as_confluent_converter_values)
{
    char boot[256], hosts[256], tj[96], tp[96], sj[64], sp[64], t1[128], t2[128], subject[160], key[32];
    snprintf(tj, sizeof(tj), "%s", fmt_name("pb-json"));
    snprintf(tp, sizeof(tp), "%s", fmt_name("pb-proto"));
    snprintf(sj, sizeof(sj), "%s", fmt_name("pj"));
    snprintf(sp, sizeof(sp), "%s", fmt_name("pp"));
    snprintf(t1, sizeof(t1), "%s:2", tj);
    snprintf(t2, sizeof(t2), "%s:2", tp);
    const char *topics[] = {t1, t2, NULL};
    struct tu_proc *kafka = fmt_kafka_start(topics, boot, sizeof(boot));
    struct tu_proc *aero = tu_aerospike_start(NULL, hosts, sizeof(hosts));
    struct tu_registry reg;
    tu_registry_start(&reg, 0, NULL, NULL);
    snprintf(subject, sizeof(subject), "%s-value", tp);
    uint32_t id = tu_registry_register_typed(&reg, subject, proto, "PROTOBUF");

    struct fmt_producer *p = fmt_producer_new(boot);
    struct buf v = BUF_INIT;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "o-%d", i);
        buf_reset(&v);
        json_value(&v, i);
        fmt_send(p, tj, i % 2, key, strlen(key), v.p, (long)v.len, NULL);
        buf_reset(&v);
        pb_value(&v, id, i);
        fmt_send(p, tp, i % 2, key, strlen(key), v.p, (long)v.len, NULL);
        if (i == N / 2) {   /* status 9: not a value of Order.Status */
            buf_reset(&v);
            pb_frame(&v, id, 0, NULL);
            pb_varint_field(&v, 1, 1);
            pb_varint_field(&v, 7, 9);
            fmt_send(p, tp, 0, "bad", 3, v.p, (long)v.len, NULL);
        }
    }
    fmt_producer_free(p);

    const char *dir = tu_tmpdir();
    struct buf seeds = BUF_INIT, props = BUF_INIT;
    fmt_seeds_yaml(hosts, &seeds);
    const char *const tname[2] = {tj, tp}, *const sname[2] = {sj, sp}, *const label[2] = {"json", "protobuf"};
    char conn[2][512], worker[512];
    for (int f = 0; f < 2; f++) {
        char file[64];
        snprintf(file, sizeof(file), "map-%s.yml", label[f]);
        fmt_file(dir, file,
                 "%sprocessing-threads: 2\ntopics:\n  %s:\n    invalid-record: kill-task\n"
                 "    mapping:\n      namespace: {mode: static, value: test}\n"
                 "      set: {mode: static, value: %s}\n      key-field: {source: key}\n"
                 "      bins: {type: multi-bins, all-value-fields: true}\n",
                 buf_cstr(&seeds), tname[f], sname[f]);
        buf_reset(&props);
        buf_printf(&props, "name=pb-%s-%d\nconnector.class=aerosink\ntopics=%s\naerospike.config.file=%s\n",
                   label[f], (int)getpid(), tname[f], file);
        if (f == 0) {
            buf_append_str(&props, "errors.tolerance=none\n"
                                   "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                                   "value.converter.schemas.enable=false\n");
        } else {
            buf_append_str(&props, "errors.tolerance=all\nerrors.log.enable=true\n"
                                   "value.converter=io.confluent.connect.protobuf.ProtobufConverter\n");
            tu_registry_props(&reg, "value.converter.", &props);
        }
        snprintf(file, sizeof(file), "%s.properties", label[f]);
        snprintf(conn[f], sizeof(conn[f]), "%s", fmt_file(dir, file, "%s", buf_cstr(&props)));
    }
    snprintf(worker, sizeof(worker), "%s",
             fmt_file(dir, "worker.properties",
                      "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
                      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                      "offset.flush.interval.ms=500\nconsumer.fetch.wait.max.ms=20\n"
                      "consumer.session.timeout.ms=6000\nconsumer.auto.offset.reset=earliest\n",
                      boot));
    const char *conns[] = {conn[0], conn[1], NULL};
    const char *extra[] = {"--exit-when-drained", NULL};
    struct tu_proc *sink = fmt_sink_start(worker, conns, extra);
    char *log = NULL;
    int rc = fmt_sink_stop(sink, 0, 120000, &log);
    if (rc != 0 || fmt_sanitizer_report(log))
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    tu_proc_free(sink);
    /* the refused record is named with the schema id, the field and the byte */
    char want[160];
    snprintf(want, sizeof(want), "Protobuf: schema id %u: status: enum aerosink.test.Order.Status has no value 9 "
             "(at byte 9)", id);
    ASSERT_CONTAINS(log, want);

    struct e2e_aero a;
    e2e_aero_open(&a, hosts);
    for (int i = 0; i < N; i++) {
        struct aero_record r[2] = {{0}, {0}};
        struct aero_key_value k;
        char why[2048], s[64];
        snprintf(key, sizeof(key), "o-%d", i);
        k = fmt_key_str(key);
        for (int f = 0; f < 2; f++) {
            enum status st = fmt_get(&a, "test", sname[f], &k, &r[f]);
            if (st != ST_OK)
                TEST_FAIL("record %d missing from the %s set: %s", i, label[f], status_name(st));
        }
        if (!fmt_bins_equal(&r[1], &r[0], NULL, why, sizeof(why)))
            TEST_FAIL("record %d: Protobuf vs JSON: %s", i, why);
        /* and a few bins read directly, so equal-but-wrong cannot pass */
        ASSERT_EQ_INT(e2e_bin_int(&r[1], "id"), 1000 + i);
        snprintf(want, sizeof(want), "name-%d", i);
        ASSERT_EQ_STR(e2e_bin_str(&r[1], "name", s, sizeof(s)), want);
        ASSERT_EQ_INT(e2e_bin_int(&r[1], "delta"), -i);
        ASSERT_EQ_INT(e2e_bin_int(&r[1], "big"), i % 3 ? 4000000000ll : 0);
        ASSERT_EQ_STR(e2e_bin_str(&r[1], "status", s, sizeof(s)), i % 3 ? (i % 2 ? "CLOSED" : "OPEN") : "UNKNOWN");
        for (int f = 0; f < 2; f++)
            aero_record_free(&r[f]);
    }
    ASSERT_EQ_INT(e2e_count_objects(hosts, "test", sj), N);
    ASSERT_EQ_INT(e2e_count_objects(hosts, "test", sp), N);   /* "bad" was skipped */
    e2e_aero_close(&a);
    if (!tu_registry_is_real()) {   /* fetched once per processing thread, never per record */
        ASSERT_CMP_INT(tu_registry_gets(&reg, id), >=, 1);
        ASSERT_CMP_INT(tu_registry_gets(&reg, id), <=, 2);
    }
    ASSERT_EQ_INT(tu_registry_stop(&reg), 0);
    mem_free(log);
    buf_free(&v);
    buf_free(&seeds);
    buf_free(&props);
    tu_proc_free(kafka);
    tu_proc_free(aero);
}

TEST_LIST = {
    T(protobuf_records_land_as_confluent_converter_values),
    {0},
};
