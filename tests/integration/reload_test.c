/* SIGHUP reload of `aerosink standalone`: a new bin mapping applies to the records after the
 * reload, none is lost or written twice (generation 1 everywhere), and a broken file is
 * refused with its file:line:col while the running configuration keeps working. */
#include <pthread.h>
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/testutil.h"

static char boot[256], hosts[256], dir[512];

static void write_mapping(const char *bin, bool broken)
{
    char text[1024];
    struct aero_host ah;
    ASSERT_OK(aero_host_parse(hosts, strcspn(hosts, ","), 3000, &ah, NULL));
    snprintf(text, sizeof(text),
             "aerospike:\n  seeds:\n    - %s: {port: %u}\n"
             "topics:\n  rl:\n    invalid-record: kill-task\n%s"
             "    mapping:\n      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: rl}\n"
             "      key-field: {source: value-field, field-name: id}\n"
             "      bins:\n        type: multi-bins\n        map:\n"
             "          %s: {source: value-field, field-name: v}\n",
             ah.name, ah.port, broken ? "    record-exist-action: update\n" : "", bin);
    tu_write_file(dir, "map.yml", text);
}

static int value_of(int i, char *buf, size_t cap, void *ctx)
{
    int id = *(int *)ctx + i;
    return snprintf(buf, cap, "{\"id\":%d,\"v\":%d}", id, id);
}

static void produce_range(int from, int n)
{
    e2e_produce(boot, "rl", n, 2, NULL, value_of, &from);
}

static bool wait_stderr(struct tu_proc *p, const char *needle, int timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)(timeout_ms * test_timeout_scale());
    while (clock_mono_ms() < deadline) {
        char *err = tu_proc_stderr(p);
        bool found = strstr(err, needle) != NULL;
        mem_free(err);
        if (found)
            return true;
        sleep_ms(100);
    }
    return false;
}

/* Which of bins a / b record @id has (fails on none or both); its generation in @gen. */
static char bin_of(struct e2e_aero *a, int id, uint32_t *gen)
{
    struct aero_key k;
    struct aero_record rec = {0};
    struct aero_key_value kv = {.type = AERO_PT_INTEGER, .i = id};
    struct aero_bin_view b;
    struct err e = {0};
    ASSERT_OK_E(aero_key_init(&k, "test", "rl", &kv, &e), &e);
    if (aero_get(a->cl, NULL, &k, NULL, 0, &rec, &e) != ST_OK)
        TEST_FAIL("record %d: %s", id, e.msg);
    bool has_a = aero_record_bin(&rec, "a", &b), has_b = aero_record_bin(&rec, "b", &b);
    *gen = rec.generation;
    aero_record_free(&rec);
    if (has_a == has_b)
        TEST_FAIL("record %d has %s", id, has_a ? "both bins" : "neither bin");
    return has_a ? 'a' : 'b';
}

struct stream {
    int from, n;
};

static void *producer(void *arg)
{
    struct stream *s = arg;
    for (int i = 0; i < s->n; i += 500) {
        produce_range(s->from + i, 500);
        sleep_ms(100);
    }
    return NULL;
}

TEST(sighup_applies_a_new_mapping_without_loss_or_duplicates_and_refuses_a_broken_file)
{
    const char *topics[] = {"rl:2", NULL};
    struct tu_proc *kafka = tu_kafka_start(topics, 1, boot, sizeof(boot));
    struct tu_proc *aero = tu_aerospike_start(NULL, hosts, sizeof(hosts));
    char text[1024], wpath[600], cpath[600];

    snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
    write_mapping("a", false);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=500\nconsumer.fetch.wait.max.ms=20\nconsumer.session.timeout.ms=6000\n"
             "consumer.heartbeat.interval.ms=1000\n", boot);
    snprintf(wpath, sizeof(wpath), "%s", tu_write_file(dir, "worker.properties", text));
    snprintf(cpath, sizeof(cpath), "%s", tu_write_file(dir, "rl.properties",
             "name=reload-test\nconnector.class=com.aerospike.connect.kafka.inbound.AerospikeSinkConnector\n"
             "topics=rl\naerospike.config.file=map.yml\n"));
    const char *argv[] = {tu_bin("aerosink"), "standalone", "--progress", "1", wpath, cpath, NULL};
    struct tu_proc *sink = tu_proc_start(argv, NULL);

    /* 1. the first mapping: bin a */
    produce_range(0, 2000);
    ASSERT_EQ_INT(e2e_wait_objects(hosts, "test", "rl", 2000, 60000), 2000);

    /* 2. a broken file is refused, with its position, and the sink keeps running */
    write_mapping("a", true);
    kill(tu_proc_pid(sink), SIGHUP);
    ASSERT_TRUE(wait_stderr(sink, "reload refused (", 30000));
    char *err = tu_proc_stderr(sink);
    ASSERT_CONTAINS(err, "map.yml:7:5: topics.rl.record-exist-action: unknown key");
    mem_free(err);
    ASSERT_TRUE(tu_proc_running(sink));
    produce_range(2000, 1000);
    ASSERT_EQ_INT(e2e_wait_objects(hosts, "test", "rl", 3000, 60000), 3000);

    /* 3. a good new mapping (bin b), applied under load */
    struct stream st = {3000, 6000};
    pthread_t tid;
    pthread_create(&tid, NULL, producer, &st);
    sleep_ms(400);
    write_mapping("b", false);
    kill(tu_proc_pid(sink), SIGHUP);
    ASSERT_TRUE(wait_stderr(sink, "reloaded: 1 connector(s) running", 60000));
    pthread_join(tid, NULL);
    produce_range(9000, 1000);   /* all after the reload */
    ASSERT_EQ_INT(e2e_wait_objects(hosts, "test", "rl", 10000, 90000), 10000);
    ASSERT_EQ_INT(tu_proc_stop(sink, SIGTERM, 60000), 0);

    /* every record written exactly once (generation 1), with one mapping or the other: the
     * ones before the first reload with a, the ones produced after it completed with b */
    struct e2e_aero a;
    int n_a = 0, n_b = 0;
    e2e_aero_open(&a, hosts);
    for (int id = 0; id < 10000; id++) {
        uint32_t gen = 0;
        char b = bin_of(&a, id, &gen);
        if (gen != 1)
            TEST_FAIL("record %d written %u times", id, gen);
        if (id < 3000)
            ASSERT_EQ_INT(b, 'a');
        if (id >= 9000)
            ASSERT_EQ_INT(b, 'b');
        b == 'a' ? n_a++ : n_b++;
    }
    ASSERT_CMP_INT(n_a, >=, 3000);
    ASSERT_CMP_INT(n_b, >=, 1000);
    e2e_aero_close(&a);
    err = tu_proc_stderr(sink);
    if (strstr(err, "AddressSanitizer") || strstr(err, "runtime error:"))
        TEST_FAIL("sanitizer report:\n%s", err);
    mem_free(err);
    tu_proc_free(sink);
    tu_proc_free(kafka);
    tu_proc_free(aero);
}

TEST_LIST = {
    T(sighup_applies_a_new_mapping_without_loss_or_duplicates_and_refuses_a_broken_file),
    {0},
};
