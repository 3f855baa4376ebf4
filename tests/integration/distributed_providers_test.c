/* tests/integration/distributed_providers_test.c: config providers in distributed mode, as
 * Kafka Connect has them: the config topic and every REST view keep a connector's
 * ${provider:path:key} references as written; the worker resolves them with its own
 * providers when it checks a config (PUT, validate) and when a task starts. No resolved
 * secret reaches a REST answer or the log. */
#include <sys/stat.h>

#include "../harness.h"
#include "distributed_util.h"

#define CLASS "com.aerospike.connect.kafka.inbound.AerospikeSinkConnector"

static int value_of(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"seq\":%d}", i);
}

/* Worker 0 with file and env providers; the environment names the topic. */
static void start_worker(struct du *u)
{
    char text[4096], env_topic[256];
    struct http r = {0};

    snprintf(u->url[0], sizeof(u->url[0]), "http://127.0.0.1:%d", u->base_port);
    snprintf(u->id[0], sizeof(u->id[0]), "127.0.0.1:%d", u->base_port);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\ngroup.id=%s\nconfig.storage.topic=%s\nstatus.storage.topic=%s\n"
             "offset.storage.topic=aerosink-offsets%s\nlisteners=http://127.0.0.1:%d\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=1000\nsession.timeout.ms=6000\nheartbeat.interval.ms=1000\n"
             "consumer.session.timeout.ms=6000\nconsumer.heartbeat.interval.ms=1000\n"
             "config.providers=file,env\n"
             "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n"
             "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider\n"
             "config.providers.env.param.allowlist.pattern=AEROSINK_DP_.*\n",
             u->bootstrap, u->group, u->cfg_topic, u->status_topic, u->sfx, u->base_port);
    const char *props = tu_write_file(u->dir, "worker.properties", text);
    snprintf(env_topic, sizeof(env_topic), "AEROSINK_DP_TOPIC=%s", u->topic);
    const char *env[] = {env_topic, NULL};
    const char *argv[] = {tu_bin("aerosink"), "distributed", "--progress", "0", props, NULL};
    u->w[0] = tu_proc_start(argv, env);
    if (!tu_proc_wait_line(u->w[0], "listening ", 30000, NULL, 0)) {
        char *err = tu_proc_stderr(u->w[0]);
        TEST_FAIL("worker did not start:\n%s", err);
    }
    uint64_t deadline = clock_mono_ms() + 30000;
    while (http_do("GET", u->url[0], "/health", NULL, &r) != 200) {
        if (clock_mono_ms() > deadline)
            TEST_FAIL("worker not healthy: %ld %s", r.code, http_body(&r));
        sleep_ms(100);
    }
    buf_free(&r.body);
}

TEST(references_stay_as_written_and_resolve_when_the_task_starts)
{
    struct du u;
    struct http r = {0};
    struct conv_doc *d = conv_doc_new();
    char body[4096], want[1024], tasks[256], running[128];
    const int n = 200;

    du_start(&u, "orders", 2);
    const char *mapping = du_mapping(&u, "aerospike-kafka-inbound.yml", NULL);
    const char *secrets = tu_write_file(u.dir, "secrets.properties",
                                        "client=cid-s3cr3t\nbad=s3cr3t-bad\n");
    ASSERT_EQ_INT(chmod(secrets, 0600), 0);
    start_worker(&u);

    /* what cannot be resolved is refused, naming the reference, never a value */
    snprintf(body, sizeof(body),
             "{\"connector.class\":\"%s\",\"topics\":\"${env:AEROSINK_DP_TOPIC}\","
             "\"tasks.max\":\"${file:%s:bad}\",\"consumer.override.client.id\":\"${file:%s:nokey}\","
             "\"aerospike.config.file\":\"%s\"}",
             CLASS, secrets, secrets, mapping);
    ASSERT_EQ_INT(http_do("PUT", u.url[0], "/connectors/orders-sink/config", body, &r), 400);
    snprintf(want, sizeof(want), "connector orders-sink: consumer.override.client.id: "
             "${file:%s:nokey}: %s has no key \\\"nokey\\\"", secrets, secrets);
    ASSERT_CONTAINS(http_body(&r), want);
    ASSERT_TRUE(strstr(http_body(&r), "s3cr3t") == NULL);
    /* validate lists every error by key: tasks.max quotes the reference, not its value */
    ASSERT_EQ_INT(http_do("PUT", u.url[0], "/connector-plugins/AerospikeSinkConnector/config/validate",
                          body, &r), 200);
    ASSERT_CONTAINS(http_body(&r), "has no key");
    snprintf(want, sizeof(want), "tasks.max: invalid value \\\"<resolved from ${file:%s:bad}>\\\"",
             secrets);
    ASSERT_CONTAINS(http_body(&r), want);
    ASSERT_TRUE(strstr(http_body(&r), "s3cr3t") == NULL);

    /* a good config: stored as written */
    snprintf(body, sizeof(body),
             "{\"connector.class\":\"%s\",\"topics\":\"${env:AEROSINK_DP_TOPIC}\",\"tasks.max\":\"1\","
             "\"consumer.override.client.id\":\"${file:%s:client}\",\"aerospike.config.file\":\"%s\"}",
             CLASS, secrets, mapping);
    ASSERT_EQ_INT(http_do("PUT", u.url[0], "/connectors/orders-sink/config", body, &r), 201);
    ASSERT_TRUE(strstr(http_body(&r), "s3cr3t") == NULL);
    ASSERT_EQ_INT(http_do("GET", u.url[0], "/connectors/orders-sink/config", NULL, &r), 200);
    const struct conv_value *v = json_root(d, http_body(&r));
    ASSERT_EQ_STR(jstr(d, v, "topics"), "${env:AEROSINK_DP_TOPIC}");
    snprintf(want, sizeof(want), "${file:%s:client}", secrets);
    ASSERT_EQ_STR(jstr(d, v, "consumer.override.client.id"), want);
    ASSERT_TRUE(strstr(http_body(&r), "s3cr3t") == NULL);

    /* the task runs with the references resolved: it consumes the topic the variable names */
    snprintf(running, sizeof(running), "RUNNING@%s", u.id[0]);
    uint64_t deadline = clock_mono_ms() + 30000;
    do {
        du_tasks(u.url[0], "orders-sink", tasks, sizeof(tasks));
        if (strcmp(tasks, running) == 0)
            break;
        sleep_ms(100);
    } while (clock_mono_ms() < deadline);
    ASSERT_EQ_STR(tasks, running);
    e2e_produce(u.bootstrap, u.topic, n, 2, "o-%d", value_of, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(u.hosts, "test", u.set, n, 60000), n);
    ASSERT_EQ_INT(http_do("GET", u.url[0], "/connectors/orders-sink/tasks", NULL, &r), 200);
    ASSERT_TRUE(strstr(http_body(&r), "s3cr3t") == NULL);

    ASSERT_EQ_INT(tu_proc_stop(u.w[0], SIGTERM, 30000), 0);
    char *err = tu_proc_stderr(u.w[0]);
    ASSERT_TRUE(strstr(err, "s3cr3t") == NULL);
    mem_free(err);
    buf_free(&r.body);
    conv_doc_free(d);
    du_free(&u);
}

TEST_LIST = {
    T(references_stay_as_written_and_resolve_when_the_task_starts),
    {0},
};
