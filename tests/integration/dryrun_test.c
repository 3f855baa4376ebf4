/* tests/integration/dryrun_test.c: `build/aerosink dry-run` as a user runs it: the standalone
 * files plus sample record lines in, the operation each becomes out, exit codes. */
#include "../harness.h"
#include "../support/testutil.h"
#include "aerospike/aero.h"
#include "aerospike/aero_proto.h"

/* Run `aerosink dry-run ARGS` in @dir through /bin/sh; output = stdout + stderr. */
static int dry_run(const char *dir, const char *args, char **out)
{
    char cmd[8192];
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' dry-run %s", dir, tu_bin_abs("aerosink"), args);
    return tu_run(argv, 60000, out);
}

/* `aerosink dry-run ARGS` in @dir exits @code and prints @text somewhere. */
static void expect(const char *dir, const char *args, int code, const char *text)
{
    char *out = NULL;
    int rc = dry_run(dir, args, &out);
    if (rc != code || !strstr(out, text))
        TEST_FAIL("dry-run %s: exit %d (want %d), output lacks '%s':\n%s", args, rc, code, text, out);
    mem_free(out);
}

/* `aerosink dry-run ARGS` in @dir exits @code and prints exactly @want. */
static void expect_exactly(const char *dir, const char *args, int code, const char *want)
{
    char *out = NULL;
    int rc = dry_run(dir, args, &out);
    if (rc != code)
        TEST_FAIL("dry-run %s: exit %d (want %d):\n%s", args, rc, code, out);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
}

/* the start of every mapping file here: seeds, then topic "users" */
#define MAPPING_HEAD "aerospike:\n  seeds:\n    - 127.0.0.1: {port: 3000}\ntopics:\n  users:\n"

static const char worker_props[] =
    "bootstrap.servers=127.0.0.1:9092\n"
    "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
    "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
    "value.converter.schemas.enable=false\n"
    "offset.storage.file.filename=offsets\n";

static const char *setup(const char *mapping)
{
    const char *dir = tu_tmpdir();
    tu_write_file(dir, "worker.properties", worker_props);
    tu_write_file(dir, "users.properties",
                  "name=users-sink\n"
                  "connector.class=com.aerospike.connect.kafka.inbound.AerospikeSinkConnector\n"
                  "topics=users\n"
                  "aerospike.config.file=aerospike-kafka-inbound.yml\n");
    tu_write_file(dir, "aerospike-kafka-inbound.yml", mapping);
    return dir;
}

static void digest_hex(const char *set, const char *key, char out[2 * AERO_DIGEST_SZ + 1])
{
    struct aero_key_value kv = {.type = AERO_PT_STRING, .p = (const uint8_t *)key, .n = strlen(key)};
    uint8_t d[AERO_DIGEST_SZ];

    aero_digest(set, strlen(set), &kv, d);
    for (int i = 0; i < AERO_DIGEST_SZ; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

TEST(each_line_becomes_the_operation_the_connector_would_send)
{
    const char *dir = setup(MAPPING_HEAD
                            "    invalid-record: ignore\n"
                            "    aerospike-operation: {type: write, send-key: true}\n"
                            "    mapping:\n"
                            "      namespace: {mode: static, value: test}\n"
                            "      set: {mode: dynamic, source: value-field, field-name: kind}\n"
                            "      key-field: {source: value-field, field-name: id}\n"
                            "      ttl: {mode: static, value: 3600}\n"
                            "      bins: {type: multi-bins, all-value-fields: true}\n");
    char want[1024], dig[41];

    tu_write_file(dir, "recs.jsonl",
                  "{\"id\":\"u1\",\"kind\":\"users\",\"name\":\"Ann\",\"age\":31,\"score\":2.5,\"tags\":[\"a\",\"b\"]}\n"
                  "\n"
                  "{\"kind\":\"users\",\"name\":\"no id\"}\n"
                  "not json\n");
    digest_hex("users", "u1", dig);
    snprintf(want, sizeof(want),
             "record 1: write test/users key \"u1\" (sent and stored) digest %s (record-exists-action update)\n"
             "  ttl: 3600 s\n"
             "  bins: {\"id\":\"u1\",\"kind\":\"users\",\"name\":\"Ann\",\"age\":31,\"score\":2.5,\"tags\":[\"a\",\"b\"]}\n"
             "record 2: key-field: field 'id' missing from the value (invalid-record: ignore -> skipped and counted)\n"
             "record 3: value: JSON: line 1 col 2: invalid literal (expected 'null') (errors.tolerance: none -> "
             "the task would fail here)\n",
             dig);
    expect_exactly(dir, "worker.properties users.properties recs.jsonl", 1, want);
    /* a record the converter refuses follows errors.tolerance, a mapping failure invalid-record */
    tu_write_file(dir, "tolerant.properties",
                  "name=users-sink\nconnector.class=aerosink\ntopics=users\nerrors.tolerance=all\n"
                  "errors.deadletterqueue.topic.name=users-dlq\n");
    expect(dir, "worker.properties tolerant.properties recs.jsonl", 1,
           "record 3: value: JSON: line 1 col 2: invalid literal (expected 'null') (errors.tolerance: all -> "
           "skipped and sent to the dead-letter topic users-dlq)\n");
    expect(dir, "worker.properties tolerant.properties recs.jsonl", 1,
           "record 2: key-field: field 'id' missing from the value (invalid-record: ignore -> skipped and counted)\n");

    /* from stdin, only the good record: exit 0 */
    expect(dir, "worker.properties users.properties - < recs.jsonl 2>&1 | head -3; exit 0", 0, "record 1: write test/users");
    expect(dir, "worker.properties users.properties < recs.jsonl > /dev/null; echo rc=$?", 0, "rc=1");
}

/* JSON numbers too large for a double decode as infinities, which become double bins: the
 * printed bins say so in Jackson's words ("Infinity"), never null (which would claim the bin
 * holds nothing). */
TEST(infinite_doubles_are_shown_not_nulled)
{
    const char *dir = setup(MAPPING_HEAD
                            "    invalid-record: ignore\n"
                            "    mapping:\n"
                            "      namespace: {mode: static, value: test}\n"
                            "      set: {mode: static, value: users}\n"
                            "      key-field: {source: value-field, field-name: id}\n"
                            "      bins: {type: multi-bins, all-value-fields: true}\n");
    char want[1024], dig[41];

    tu_write_file(dir, "big.jsonl", "{\"id\":\"a\",\"big\":1e999,\"neg\":-1e999,\"l\":[1e999,1.5],\"m\":{\"x\":-1e400}}\n");
    digest_hex("users", "a", dig);
    snprintf(want, sizeof(want),
             "record 1: write test/users digest %s (record-exists-action update)\n"
             "  ttl: namespace default\n"
             "  bins: {\"id\":\"a\",\"big\":\"Infinity\",\"neg\":\"-Infinity\",\"l\":[\"Infinity\",1.5],"
             "\"m\":{\"x\":\"-Infinity\"}}\n",
             dig);
    expect_exactly(dir, "worker.properties users.properties big.jsonl", 0, want);
}

TEST(key_header_ttl_policy_flags_and_hex)
{
    const char *dir = setup(MAPPING_HEAD
                            "    invalid-record: kill-task\n"
                            "    aerospike-operation: {type: write, record-exists-action: create-only}\n"
                            "    mapping:\n"
                            "      namespace: {mode: static, value: test}\n"
                            "      set: {mode: static, value: people}\n"
                            "      key-field: {source: key}\n"
                            "      ttl: {mode: dynamic, source: header, header-name: x-ttl, unit: seconds}\n"
                            "      bins: {type: multi-bins, map: {name: {source: value-field, field-name: name}}}\n");
    char want[1024], dig[41];
    char *out = NULL;

    tu_write_file(dir, "one.jsonl", "{\"name\":\"Bo\",\"unmapped\":1}\n");
    ASSERT_EQ_INT(dry_run(dir, "--key k1 --header x-ttl=120 --hex worker.properties users.properties one.jsonl", &out),
                  0);
    digest_hex("people", "k1", dig);
    snprintf(want, sizeof(want),
             "record 1: write test/people digest %s (record-exists-action create-only)\n"
             "  ttl: 120 s\n"
             "  bins: {\"name\":\"Bo\"}\n"
             "  request: 02 03 00 00 00 00 00 ",
             dig);
    ASSERT_EQ_MEM(out, want, strlen(want));   /* then the rest of the bytes */
    /* the request's info2 byte: WRITE | CREATE_ONLY */
    ASSERT_CONTAINS(out, "16 00 21 00");
    mem_free(out);

    /* no key: the mapping's key-field has nothing; kill-task is what the connector would do */
    ASSERT_EQ_INT(dry_run(dir, "--header x-ttl=120 worker.properties users.properties one.jsonl", &out), 1);
    ASSERT_CONTAINS(out, "record 1: ");
    ASSERT_CONTAINS(out, "(invalid-record: kill-task -> the task would fail here)");
    mem_free(out);
}

TEST(operate_topics_show_their_operations)
{
    const char *dir = setup(MAPPING_HEAD
                            "    invalid-record: ignore\n"
                            "    aerospike-operation:\n"
                            "      type: operate\n"
                            "      operations:\n"
                            "        - {op: list-append, bin: recent, field-name: url}\n"
                            "        - {op: increment, bin: clicks, value: 1}\n"
                            "        - {op: map-put, bin: by_src, key-field: src, field-name: url}\n"
                            "        - {op: write, bin: last, field-name: url}\n"
                            "    mapping:\n"
                            "      namespace: {mode: static, value: test}\n"
                            "      set: {mode: static, value: s}\n"
                            "      key-field: {source: key}\n");
    char want[1024], dig[41];

    tu_write_file(dir, "ops.jsonl", "{\"url\":\"/a\",\"src\":\"web\"}\n");
    digest_hex("s", "s1", dig);
    snprintf(want, sizeof(want),
             "record 1: operate test/s digest %s (record-exists-action update)\n"
             "  ttl: namespace default\n"
             "  operations: {\"recent\":{\"list-append\":\"/a\"},\"clicks\":{\"increment\":1},"
             "\"by_src\":{\"map-put\":[\"web\",\"/a\"]},\"last\":\"/a\"}\n",
             dig);
    expect_exactly(dir, "--key s1 worker.properties users.properties ops.jsonl", 0, want);
}

/* stale-write-guard: kafka-timestamp in the user's file reaches the request: the filter is
 * named and bin kafka_ts carries the record's timestamp (dry-run: now) */
TEST(stale_write_guard_from_the_mapping_file)
{
    const char *dir = setup(MAPPING_HEAD
                            "    invalid-record: ignore\n"
                            "    aerospike-operation: {type: write, stale-write-guard: kafka-timestamp}\n"
                            "    mapping:\n"
                            "      namespace: {mode: static, value: test}\n"
                            "      set: {mode: static, value: s}\n"
                            "      key-field: {source: key}\n"
                            "      bins: {type: multi-bins, all-value-fields: true}\n");
    char *out = NULL;

    tu_write_file(dir, "r.jsonl", "{\"a\":1}\n");
    uint64_t before = clock_wall_ms();
    ASSERT_EQ_INT(dry_run(dir, "--key s1 worker.properties users.properties r.jsonl", &out), 0);
    uint64_t after = clock_wall_ms();
    ASSERT_CONTAINS(out, "  only if the stored bin kafka_ts is absent or <= this record's Kafka timestamp "
                         "(stale-write-guard)\n");
    const char *ts = strstr(out, "\"kafka_ts\":");
    ASSERT_TRUE(ts != NULL);
    unsigned long long v = strtoull(ts + strlen("\"kafka_ts\":"), NULL, 10);
    ASSERT_CMP_INT(v, >=, before);
    ASSERT_CMP_INT(v, <=, after);
    ASSERT_CONTAINS(out, "  bins: {\"a\":1,\"kafka_ts\":");
    mem_free(out);
}

TEST(usage_and_configuration_errors_exit_2)
{
    const char *dir = setup(MAPPING_HEAD
                            "    invalid-record: ignore\n"
                            "    mapping:\n"
                            "      namespace: {mode: static, value: test}\n"
                            "      key-field: {source: key}\n"
                            "      bins: {type: multi-bins, all-value-fields: true}\n");

    expect(dir, "", 2, "usage: aerosink dry-run");
    expect(dir, "--help", 0, "RECORDS holds one record value per line");
    expect(dir, "--topic other worker.properties users.properties /dev/null", 2,
           "aerospike-kafka-inbound.yml has no topics.other entry");
    expect(dir, "worker.properties users.properties missing.jsonl", 2, "missing.jsonl: No such file");
    expect(dir, "--header novalue worker.properties users.properties", 2,
           "--header 'novalue': expected NAME=VALUE");
    /* a broken mapping: the same file:line:col line as `aerosink check` */
    tu_write_file(dir, "aerospike-kafka-inbound.yml", "topics:\n  users:\n    invalid-record: ignor\n");
    expect(dir, "worker.properties users.properties /dev/null", 2,
           "aerospike-kafka-inbound.yml:3:21: topics.users.invalid-record");
}

TEST_LIST = {
    T(infinite_doubles_are_shown_not_nulled),
    T(stale_write_guard_from_the_mapping_file),
    T(each_line_becomes_the_operation_the_connector_would_send),
    T(key_header_ttl_policy_flags_and_hex),
    T(operate_topics_show_their_operations),
    T(usage_and_configuration_errors_exit_2),
    {0},
};
