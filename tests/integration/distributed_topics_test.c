/* tests/integration/distributed_topics_test.c: Kafka Connect's topic tracking (KIP-558):
 * GET /connectors/{n}/topics lists the topics the connector's tasks consumed records of, on
 * every worker (they live in the status topic, "status-topic-<topic>:connector-<n>" as Connect
 * writes them); PUT .../topics/reset (202) forgets them until a task consumes again; deleting
 * the connector forgets them too. topic.tracking.enable=false answers 403 and writes nothing;
 * topic.tracking.allow.reset=false refuses the reset (403). Standalone answers GET from
 * memory. */
#include <librdkafka/rdkafka.h>

#include "../harness.h"
#include "distributed_util.h"

#define CLASS "com.aerospike.connect.kafka.inbound.AerospikeSinkConnector"

static int value_of(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"seq\":%d}", i);
}

/* GET @path on @base; fails the test unless the status is @want; returns the body. */
static const char *call(const char *method, const char *base, const char *path, long want, struct http *r)
{
    long code = http_do(method, base, path, NULL, r);
    if (code != want)
        TEST_FAIL("%s %s%s: %ld, want %ld: %s", method, base, path, code, want, http_body(r));
    return http_body(r);
}

/* Wait until GET @base/connectors/@name/topics answers exactly @want (200). */
static void wait_topics(const char *base, const char *name, const char *want)
{
    struct http r = {0};
    char path[128];
    uint64_t deadline = clock_mono_ms() + 30000;
    snprintf(path, sizeof(path), "/connectors/%s/topics", name);
    for (;;) {
        long code = http_do("GET", base, path, NULL, &r);
        if (code == 200 && strcmp(http_body(&r), want) == 0)
            break;
        if (clock_mono_ms() > deadline)
            TEST_FAIL("GET %s%s: %ld %s, want %s", base, path, code, http_body(&r), want);
        sleep_ms(100);
    }
    buf_free(&r.body);
}

static const char *topics_body(const char *name, const char *topic)
{
    static char b[256];
    snprintf(b, sizeof(b), "{\"%s\":{\"topics\":[%s%s%s]}}", name, topic ? "\"" : "", topic ? topic : "",
             topic ? "\"" : "");
    return b;
}

/* Every record of the (1-partition) status topic as "key=value\n" lines (value "null" for
 * tombstones); owned. */
static char *status_records(struct du *u)
{
    char es[256];
    struct buf out = BUF_INIT;
    buf_append_str(&out, "\n");   /* every line starts after a newline */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", u->bootstrap, es, sizeof(es));
    rd_kafka_conf_set(conf, "group.id", "topics-test-reader", es, sizeof(es));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", es, sizeof(es));
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", es, sizeof(es));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof(es));
    ASSERT_TRUE(rk != NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, u->status_topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    ASSERT_EQ_INT(rd_kafka_assign(rk, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    uint64_t deadline = clock_mono_ms() + 20000;
    for (bool eof = false; !eof && clock_mono_ms() < deadline;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            eof = true;
        else if (!m->err)
            buf_printf(&out, "%.*s=%.*s\n", (int)m->key_len, (const char *)m->key, m->payload ? (int)m->len : 4,
                       m->payload ? (const char *)m->payload : "null");
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    buf_cstr(&out);
    return out.p ? (char *)out.p : mem_strdup("");
}

static void create(struct du *u, int worker, const char *name, int tasks, const char *mapping)
{
    struct http r = {0};
    if (http_do("POST", u->url[worker], "/connectors", du_connector_json(u, name, tasks, mapping), &r) != 201)
        TEST_FAIL("POST %s: %ld %s", name, r.code, http_body(&r));
    buf_free(&r.body);
}

static void wait_tasks(struct du *u, const char *name, const char *want)
{
    char tasks[256];
    uint64_t deadline = clock_mono_ms() + 30000;
    do {
        du_tasks(u->url[0], name, tasks, sizeof(tasks));
        if (strcmp(tasks, want) == 0)
            return;
        sleep_ms(100);
    } while (clock_mono_ms() < deadline);
    TEST_FAIL("tasks %s, want %s", tasks, want);
}

TEST(consumed_topics_are_listed_on_every_worker_and_reset_clears_them)
{
    struct du u;
    struct http r = {0};
    char want[256], key[256];

    du_start(&u, "orders", 2);
    const char *mapping = du_mapping(&u, "aerospike-kafka-inbound.yml", NULL);
    du_worker(&u, 0);
    du_worker(&u, 1);
    /* as in Connect, a connector nobody knows has no topics (200, not 404) */
    ASSERT_EQ_STR(call("GET", u.url[0], "/connectors/tk/topics", 200, &r), topics_body("tk", NULL));
    create(&u, 0, "tk", 2, mapping);
    snprintf(want, sizeof(want), "RUNNING@%s,RUNNING@%s", u.id[0], u.id[1]);
    wait_tasks(&u, "tk", want);
    for (int i = 0; i < 2; i++)   /* running, nothing consumed yet */
        ASSERT_EQ_STR(call("GET", u.url[i], "/connectors/tk/topics", 200, &r), topics_body("tk", NULL));

    e2e_produce(u.bootstrap, u.topic, 100, 2, "k-%d", value_of, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(u.hosts, "test", u.set, 100, 60000), 100);
    for (int i = 0; i < 2; i++)
        wait_topics(u.url[i], "tk", topics_body("tk", u.topic));
    /* Connect's record: key status-topic-<topic>:connector-<name>, value {"topic":{...}} */
    char *recs = status_records(&u);
    snprintf(key, sizeof(key), "\nstatus-topic-%s:connector-tk={\"topic\":{\"name\":\"%s\",\"connector\":\"tk\","
             "\"task\":", u.topic, u.topic);
    ASSERT_CONTAINS(recs, key);
    ASSERT_CONTAINS(recs, "\"discoverTimestamp\":");
    mem_free(recs);

    /* reset (any worker): 202, no body; both workers answer from the status topic at once */
    sleep_ms(1000);   /* both control loops have seen the record */
    ASSERT_EQ_STR(call("PUT", u.url[1], "/connectors/tk/topics/reset", 202, &r), "");
    for (int i = 0; i < 2; i++)
        ASSERT_EQ_STR(call("GET", u.url[i], "/connectors/tk/topics", 200, &r), topics_body("tk", NULL));
    sleep_ms(1500);   /* no record consumed since: still empty */
    for (int i = 0; i < 2; i++)
        ASSERT_EQ_STR(call("GET", u.url[i], "/connectors/tk/topics", 200, &r), topics_body("tk", NULL));
    /* the next record brings it back */
    e2e_produce(u.bootstrap, u.topic, 10, 2, "again-%d", value_of, NULL);
    for (int i = 0; i < 2; i++)
        wait_topics(u.url[i], "tk", topics_body("tk", u.topic));
    /* a reset of a connector nobody knows is accepted, as in Connect */
    ASSERT_EQ_STR(call("PUT", u.url[0], "/connectors/nope/topics/reset", 202, &r), "");

    /* deleting the connector forgets its topics */
    call("DELETE", u.url[0], "/connectors/tk", 204, &r);
    for (int i = 0; i < 2; i++)
        wait_topics(u.url[i], "tk", topics_body("tk", NULL));
    sleep_ms(1500);   /* the stopped tasks do not bring them back */
    for (int i = 0; i < 2; i++)
        ASSERT_EQ_STR(call("GET", u.url[i], "/connectors/tk/topics", 200, &r), topics_body("tk", NULL));
    buf_free(&r.body);
    du_free(&u);
}

TEST(tracking_disabled_answers_403_and_records_nothing)
{
    struct du u;
    struct http r = {0};
    char want[128];
    const char *disabled = "{\"error_code\":403,\"message\":\"Topic tracking is disabled.\"}";

    du_start(&u, "orders", 1);
    const char *mapping = du_mapping(&u, "aerospike-kafka-inbound.yml", NULL);
    du_worker_with(&u, 0, "topic.tracking.enable=false\n");
    create(&u, 0, "tk", 1, mapping);
    snprintf(want, sizeof(want), "RUNNING@%s", u.id[0]);
    wait_tasks(&u, "tk", want);
    e2e_produce(u.bootstrap, u.topic, 20, 1, "k-%d", value_of, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(u.hosts, "test", u.set, 20, 60000), 20);
    sleep_ms(1000);
    ASSERT_EQ_STR(call("GET", u.url[0], "/connectors/tk/topics", 403, &r), disabled);
    ASSERT_EQ_STR(call("PUT", u.url[0], "/connectors/tk/topics/reset", 403, &r), disabled);
    ASSERT_EQ_STR(call("GET", u.url[0], "/connectors/nope/topics", 403, &r), disabled);
    char *recs = status_records(&u);
    ASSERT_CONTAINS(recs, "status-task-tk-0=");
    ASSERT_TRUE(strstr(recs, "status-topic-") == NULL);
    mem_free(recs);
    buf_free(&r.body);
    du_free(&u);
}

TEST(reset_refused_when_not_allowed_and_bad_values_stop_the_worker)
{
    struct du u;
    struct http r = {0};
    char want[128];

    du_start(&u, "orders", 1);
    const char *mapping = du_mapping(&u, "aerospike-kafka-inbound.yml", NULL);
    du_worker_with(&u, 0, "topic.tracking.allow.reset=false\n");
    create(&u, 0, "tk", 1, mapping);
    snprintf(want, sizeof(want), "RUNNING@%s", u.id[0]);
    wait_tasks(&u, "tk", want);
    e2e_produce(u.bootstrap, u.topic, 20, 1, "k-%d", value_of, NULL);
    wait_topics(u.url[0], "tk", topics_body("tk", u.topic));
    ASSERT_EQ_STR(call("PUT", u.url[0], "/connectors/tk/topics/reset", 403, &r),
                  "{\"error_code\":403,\"message\":\"Topic tracking reset is disabled.\"}");
    ASSERT_EQ_STR(call("GET", u.url[0], "/connectors/tk/topics", 200, &r), topics_body("tk", u.topic));

    /* a value that is not true or false: exit 2 naming the file and the key */
    char text[1024];
    snprintf(text, sizeof(text), "bootstrap.servers=%s\ngroup.id=g2\nconfig.storage.topic=%s\n"
             "status.storage.topic=%s\noffset.storage.topic=o\nlisteners=http://127.0.0.1:%d\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "topic.tracking.enable=yes\n", u.bootstrap, u.cfg_topic, u.status_topic, u.base_port + 3);
    const char *props = tu_write_file(u.dir, "bad.properties", text);
    const char *argv[] = {tu_bin("aerosink"), "distributed", props, NULL};
    struct tu_proc *p = tu_proc_start(argv, NULL);
    ASSERT_EQ_INT(tu_proc_wait(p, 30000), 2);
    char *err = tu_proc_stderr(p);
    /* the worker file's check names the line (cfg_worker_new knows the key since 8610283) */
    ASSERT_CONTAINS(err, "bad.properties:9:23: topic.tracking.enable: invalid value \"yes\": "
                         "expected true or false");
    mem_free(err);
    tu_proc_free(p);
    buf_free(&r.body);
    du_free(&u);
}

/* Standalone keeps the set in memory (as Connect's standalone worker does); no reset. */
TEST(standalone_lists_consumed_topics_from_memory)
{
    struct du u;
    struct http r = {0};
    char text[2048], url[96];

    du_start(&u, "clicks", 1);
    du_mapping(&u, "aerospike-kafka-inbound.yml", NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", u.base_port);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\nlisteners=%s\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\n"
             "consumer.fetch.wait.max.ms=20\n", u.bootstrap, url);
    const char *wp = tu_write_file(u.dir, "worker.properties", text);
    snprintf(text, sizeof(text), "name=sa\nconnector.class=%s\ntopics=%s\n"
             "aerospike.config.file=aerospike-kafka-inbound.yml\n", CLASS, u.topic);
    const char *cp = tu_write_file(u.dir, "sa.properties", text);
    const char *argv[] = {tu_bin("aerosink"), "standalone", "--progress", "0", wp, cp, NULL};
    struct tu_proc *p = tu_proc_start(argv, NULL);
    if (!tu_proc_wait_line(p, "listening ", 30000, NULL, 0)) {
        char *err = tu_proc_stderr(p);
        TEST_FAIL("no REST: %s", err);
    }
    ASSERT_EQ_STR(call("GET", url, "/connectors/sa/topics", 200, &r), topics_body("sa", NULL));
    ASSERT_EQ_STR(call("GET", url, "/connectors/nope/topics", 200, &r), topics_body("nope", NULL));
    e2e_produce(u.bootstrap, u.topic, 10, 1, "k-%d", value_of, NULL);
    wait_topics(url, "sa", topics_body("sa", u.topic));
    ASSERT_CONTAINS(call("PUT", url, "/connectors/sa/topics/reset", 403, &r),
                    "Topic tracking reset is not supported by aerosink standalone");
    ASSERT_EQ_INT(tu_proc_stop(p, SIGTERM, 20000), 0);
    tu_proc_free(p);
    buf_free(&r.body);
    du_free(&u);
}

TEST_LIST = {
    T(consumed_topics_are_listed_on_every_worker_and_reset_clears_them),
    T(tracking_disabled_answers_403_and_records_nothing),
    T(reset_refused_when_not_allowed_and_bad_values_stop_the_worker),
    T(standalone_lists_consumed_topics_from_memory),
    {0},
};
