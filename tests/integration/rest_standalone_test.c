/* tests/integration/rest_standalone_test.c: `aerosink standalone` serves the REST API's read
 * endpoints (and pause/resume) for the connectors on its command line when the worker
 * properties set listeners; changes answer 501 (its connectors are its files). GET .../offsets
 * shows the consumer group's committed offsets; altering them needs a STOPPED connector,
 * which standalone never has (400). */
#include <sys/stat.h>

#include "../harness.h"
#include "distributed_util.h"

#define CLASS "com.aerospike.connect.kafka.inbound.AerospikeSinkConnector"

static int value_of(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"seq\":%d}", i);
}

struct sa {
    struct du u;
    struct tu_proc *p;
    char url[96], id[64];
    struct conv_doc *d;
    struct http r;
};

static void sa_start(struct sa *s, bool with_rest)
{
    char text[2048], conn[1024];
    memset(s, 0, sizeof(*s));
    du_start(&s->u, "clicks", 3);
    s->d = conv_doc_new();
    du_mapping(&s->u, "aerospike-kafka-inbound.yml", NULL);
    snprintf(s->id, sizeof(s->id), "127.0.0.1:%d", s->u.base_port);
    snprintf(s->url, sizeof(s->url), "http://%s", s->id);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\n"
             "%s%d\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=1000\n"
             "consumer.session.timeout.ms=6000\n"
             "consumer.heartbeat.interval.ms=1000\n"
             "consumer.fetch.wait.max.ms=20\n",
             s->u.bootstrap, with_rest ? "listeners=http://127.0.0.1:" : "# no REST ", s->u.base_port);
    const char *wp = tu_write_file(s->u.dir, "worker.properties", text);
    snprintf(conn, sizeof(conn),
             "name=clicks-sink\nconnector.class=%s\ntasks.max=1\ntopics=%s\n"
             "aerospike.config.file=aerospike-kafka-inbound.yml\n", CLASS, s->u.topic);
    const char *cp = tu_write_file(s->u.dir, "clicks-sink.properties", conn);
    const char *argv[] = {tu_bin("aerosink"), "standalone", "--progress", "0", wp, cp, NULL};
    s->p = tu_proc_start(argv, NULL);
}

static void sa_free(struct sa *s)
{
    tu_proc_stop(s->p, SIGTERM, 20000);
    tu_proc_free(s->p);
    buf_free(&s->r.body);
    conv_doc_free(s->d);
    du_free(&s->u);
}

static const struct conv_value *get(struct sa *s, const char *method, const char *path, long want)
{
    long code = http_do(method, s->url, path, NULL, &s->r);
    if (code != want)
        TEST_FAIL("%s %s: %ld, want %ld: %s", method, path, code, want, http_body(&s->r));
    const char *b = http_body(&s->r);
    return *b == '{' || *b == '[' ? json_root(s->d, b) : NULL;
}

static void wait_task(struct sa *s, const char *want)
{
    char tasks[256];
    uint64_t deadline = clock_mono_ms() + 20000;
    do {
        du_tasks(s->url, "clicks-sink", tasks, sizeof(tasks));
        if (strcmp(tasks, want) == 0)
            return;
        sleep_ms(100);
    } while (clock_mono_ms() < deadline);
    TEST_FAIL("tasks %s, want %s", tasks, want);
}

TEST(standalone_serves_the_read_endpoints_and_pause_resume)
{
    struct sa s;
    char want[128];
    const int n = 1000;

    sa_start(&s, true);
    if (!tu_proc_wait_line(s.p, "listening ", 30000, NULL, 0)) {
        char *err = tu_proc_stderr(s.p);
        TEST_FAIL("no REST: %s", err);
    }
    const struct conv_value *v = get(&s, "GET", "/health", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "status"), "healthy");
    v = get(&s, "GET", "/", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "version"), AEROSINK_VERSION);
    v = get(&s, "GET", "/connectors", 200);
    ASSERT_EQ_INT(jcount(s.d, v, ""), 1);
    ASSERT_EQ_STR(jstr(s.d, v, "0"), "clicks-sink");
    v = get(&s, "GET", "/connectors/clicks-sink", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "name"), "clicks-sink");
    ASSERT_EQ_STR(jstr(s.d, v, "type"), "sink");
    ASSERT_EQ_STR(jstr(s.d, v, "config/connector.class"), CLASS);
    ASSERT_EQ_INT(jget(s.d, v, "tasks/0/task")->i, 0);
    v = get(&s, "GET", "/connectors/clicks-sink/config", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "topics"), s.u.topic);
    v = get(&s, "GET", "/connectors/clicks-sink/tasks", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "0/id/connector"), "clicks-sink");
    snprintf(want, sizeof(want), "RUNNING@%s", s.id);
    wait_task(&s, want);
    v = get(&s, "GET", "/connectors/clicks-sink/status", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "connector/state"), "RUNNING");
    ASSERT_EQ_STR(jstr(s.d, v, "connector/worker_id"), s.id);
    v = get(&s, "GET", "/connectors/clicks-sink/tasks/0/status", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "state"), "RUNNING");
    get(&s, "GET", "/connectors/clicks-sink/tasks/1/status", 404);
    get(&s, "GET", "/connectors/other/status", 404);
    ASSERT_CONTAINS(http_body(&s.r), "Connector other not found");
    v = get(&s, "GET", "/connector-plugins", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "0/class"), CLASS);

    e2e_produce(s.u.bootstrap, s.u.topic, n, 3, "c-%d", value_of, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(s.u.hosts, "test", s.u.set, n, 60000), n);

    /* GET /, now that the consumer has read from Kafka: the build's commit and the cluster's id */
    v = get(&s, "GET", "/", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "commit"), aerosink_commit());
    ASSERT_CMP_INT(strlen(jstr(s.d, v, "commit")), >=, 7);
    ASSERT_CMP_INT(strlen(jstr(s.d, v, "kafka_cluster_id")), >, 0);
    ASSERT_EQ_STR(jstr(s.d, v, "kafka_cluster_id"), du_kafka_cluster_id(s.u.bootstrap));

    /* pause: nothing more is written; resume: the rest arrives */
    get(&s, "PUT", "/connectors/clicks-sink/pause", 202);
    snprintf(want, sizeof(want), "PAUSED@%s", s.id);
    wait_task(&s, want);
    v = get(&s, "GET", "/connectors/clicks-sink/status", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "connector/state"), "PAUSED");
    sleep_ms(500);
    e2e_produce(s.u.bootstrap, s.u.topic, 2 * n, 3, "c-%d", value_of, NULL);
    sleep_ms(3000);
    ASSERT_EQ_INT(e2e_count_objects(s.u.hosts, "test", s.u.set), n);
    get(&s, "PUT", "/connectors/clicks-sink/resume", 202);
    ASSERT_EQ_INT(e2e_wait_objects(s.u.hosts, "test", s.u.set, 2 * n, 60000), 2 * n);

    /* changes are refused: the connectors are the command line's files */
    ASSERT_EQ_INT(http_do("POST", s.url, "/connectors", "{\"name\":\"x\",\"config\":{\"topics\":\"t\"}}", &s.r), 501);
    ASSERT_EQ_INT(http_do("POST", s.url, "/connectors", "{\"name\":\"clicks-sink\",\"config\":{\"topics\":\"t\"}}",
                          &s.r), 409);
    ASSERT_EQ_INT(http_do("PUT", s.url, "/connectors/clicks-sink/config", "{\"topics\":\"t\"}", &s.r), 501);
    ASSERT_CONTAINS(http_body(&s.r), "command line");
    ASSERT_EQ_INT(http_do("DELETE", s.url, "/connectors/clicks-sink", NULL, &s.r), 501);
    ASSERT_EQ_INT(http_do("DELETE", s.url, "/connectors/other", NULL, &s.r), 404);
    ASSERT_EQ_INT(tu_proc_stop(s.p, SIGTERM, 20000), 0);
    char *err = tu_proc_stderr(s.p);
    ASSERT_CONTAINS(err, "[clicks-sink] stopped cleanly");   /* INFO by default */
    mem_free(err);
    sa_free(&s);
}

/* Config providers: the connector runs with its references resolved (the topic comes from the
 * environment, the consumer's client.id from a secrets file), while every REST view shows
 * them as written, as Connect does; no resolved secret reaches the REST answers or the log. */
TEST(standalone_resolves_config_providers_and_shows_them_as_written)
{
    struct sa s;
    char text[4096], conn[2048], env_topic[256], want[256];
    const int n = 300;

    memset(&s, 0, sizeof(s));
    du_start(&s.u, "clicks", 3);
    s.d = conv_doc_new();
    du_mapping(&s.u, "aerospike-kafka-inbound.yml", NULL);
    snprintf(s.id, sizeof(s.id), "127.0.0.1:%d", s.u.base_port);
    snprintf(s.url, sizeof(s.url), "http://%s", s.id);
    const char *secrets = tu_write_file(s.u.dir, "secrets.properties", "client=cid-s3cr3t\n");
    ASSERT_EQ_INT(chmod(secrets, 0600), 0);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\nlisteners=http://127.0.0.1:%d\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=1000\n"
             "consumer.session.timeout.ms=6000\n"
             "consumer.heartbeat.interval.ms=1000\n"
             "config.providers=file,env\n"
             "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n"
             "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider\n",
             s.u.bootstrap, s.u.base_port);
    const char *wp = tu_write_file(s.u.dir, "worker.properties", text);
    snprintf(conn, sizeof(conn),
             "name=clicks-sink\nconnector.class=%s\ntopics=${env:AEROSINK_SA_TOPIC}\n"
             "consumer.override.client.id=${file:%s:client}\n"
             "aerospike.config.file=aerospike-kafka-inbound.yml\n", CLASS, secrets);
    const char *cp = tu_write_file(s.u.dir, "clicks-sink.properties", conn);
    ASSERT_EQ_INT(chmod(cp, 0600), 0);
    snprintf(env_topic, sizeof(env_topic), "AEROSINK_SA_TOPIC=%s", s.u.topic);
    const char *env[] = {env_topic, NULL};
    const char *argv[] = {tu_bin("aerosink"), "standalone", "--progress", "0", wp, cp, NULL};
    s.p = tu_proc_start(argv, env);
    if (!tu_proc_wait_line(s.p, "listening ", 30000, NULL, 0)) {
        char *err = tu_proc_stderr(s.p);
        TEST_FAIL("no REST: %s", err);
    }
    snprintf(want, sizeof(want), "${file:%s:client}", secrets);
    const struct conv_value *v = get(&s, "GET", "/connectors/clicks-sink/config", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "topics"), "${env:AEROSINK_SA_TOPIC}");
    ASSERT_EQ_STR(jstr(s.d, v, "consumer.override.client.id"), want);
    ASSERT_TRUE(strstr(http_body(&s.r), "s3cr3t") == NULL);
    v = get(&s, "GET", "/connectors/clicks-sink", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "config/topics"), "${env:AEROSINK_SA_TOPIC}");
    ASSERT_TRUE(strstr(http_body(&s.r), "s3cr3t") == NULL);
    v = get(&s, "GET", "/connectors/clicks-sink/tasks", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "0/config/consumer.override.client.id"), want);
    ASSERT_TRUE(strstr(http_body(&s.r), "s3cr3t") == NULL);

    /* the task consumes the topic the reference names */
    e2e_produce(s.u.bootstrap, s.u.topic, n, 3, "c-%d", value_of, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(s.u.hosts, "test", s.u.set, n, 60000), n);
    ASSERT_EQ_INT(tu_proc_stop(s.p, SIGTERM, 20000), 0);
    char *err = tu_proc_stderr(s.p);
    ASSERT_CONTAINS(err, "[clicks-sink] stopped cleanly");
    ASSERT_TRUE(strstr(err, "s3cr3t") == NULL);
    mem_free(err);
    sa_free(&s);
}

/* Wait until the committed offsets of @group for partitions 0..n-1 add up to @want. */
static int64_t wait_committed(const char *bootstrap, const char *group, const char *topic, int n, int64_t want,
                              int64_t *out)
{
    uint64_t deadline = clock_mono_ms() + 30000;
    int64_t sum;
    do {
        e2e_committed(bootstrap, group, topic, n, out);
        sum = 0;
        for (int i = 0; i < n; i++)
            sum += out[i] > 0 ? out[i] : 0;
        if (sum == want)
            break;
        sleep_ms(200);
    } while (clock_mono_ms() < deadline);
    return sum;
}

/* Offset @p of topic @topic in a GET .../offsets answer; -1 when absent. */
static int64_t listed_offset(struct sa *s, const struct conv_value *v, const char *topic, int p)
{
    char path[64];
    for (long i = 0; i < jcount(s->d, v, "offsets"); i++) {
        snprintf(path, sizeof(path), "offsets/%ld/partition/kafka_topic", i);
        const char *t = jstr(s->d, v, path);
        snprintf(path, sizeof(path), "offsets/%ld/partition/kafka_partition", i);
        const struct conv_value *pv = jget(s->d, v, path);
        if (!t || strcmp(t, topic) != 0 || !pv || pv->type != CONV_INT || pv->i != p)
            continue;
        snprintf(path, sizeof(path), "offsets/%ld/offset/kafka_offset", i);
        const struct conv_value *ov = jget(s->d, v, path);
        ASSERT_TRUE(ov && ov->type == CONV_INT);
        return ov->i;
    }
    return -1;
}

TEST(standalone_lists_the_committed_offsets_and_refuses_to_alter_them)
{
    struct sa s;
    int64_t committed[3];
    const int n = 999;

    sa_start(&s, true);
    if (!tu_proc_wait_line(s.p, "listening ", 30000, NULL, 0)) {
        char *err = tu_proc_stderr(s.p);
        TEST_FAIL("no REST: %s", err);
    }
    /* nothing committed yet: an empty list (Connect omits partitions without an offset) */
    const struct conv_value *v = get(&s, "GET", "/connectors/clicks-sink/offsets", 200);
    ASSERT_EQ_INT(jcount(s.d, v, "offsets"), 0);
    ASSERT_EQ_STR(http_body(&s.r), "{\"offsets\":[]}");

    e2e_produce(s.u.bootstrap, s.u.topic, n, 3, "c-%d", value_of, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(s.u.hosts, "test", s.u.set, n, 60000), n);
    ASSERT_EQ_INT(wait_committed(s.u.bootstrap, "connect-clicks-sink", s.u.topic, 3, n, committed), n);
    v = get(&s, "GET", "/connectors/clicks-sink/offsets", 200);
    ASSERT_EQ_INT(jcount(s.d, v, "offsets"), 3);
    for (int p = 0; p < 3; p++) {
        ASSERT_EQ_INT(committed[p], n / 3);
        ASSERT_EQ_INT(listed_offset(&s, v, s.u.topic, p), committed[p]);
    }

    get(&s, "GET", "/connectors/other/offsets", 404);
    ASSERT_CONTAINS(http_body(&s.r), "Connector other not found");
    const char *patch = "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"clicks\",\"kafka_partition\":0},"
                        "\"offset\":{\"kafka_offset\":1}}]}";
    ASSERT_EQ_INT(http_do("PATCH", s.url, "/connectors/clicks-sink/offsets", patch, &s.r), 400);
    ASSERT_CONTAINS(http_body(&s.r), "Connectors must be in the STOPPED state before their offsets can be modified");
    ASSERT_EQ_INT(http_do("DELETE", s.url, "/connectors/clicks-sink/offsets", NULL, &s.r), 400);
    ASSERT_CONTAINS(http_body(&s.r), "STOPPED state");
    ASSERT_EQ_INT(http_do("PATCH", s.url, "/connectors/other/offsets", patch, &s.r), 404);
    /* nothing moved */
    e2e_committed(s.u.bootstrap, "connect-clicks-sink", s.u.topic, 3, committed);
    ASSERT_EQ_INT(committed[0], n / 3);
    ASSERT_EQ_INT(tu_proc_stop(s.p, SIGTERM, 20000), 0);
    sa_free(&s);
}

/* PUT /admin/loggers changes what the running process logs: the connector's INFO lines stop
 * once "aerosink.worker" is at WARN; the process's own lines keep their level. */
TEST(standalone_changes_log_levels_at_run_time)
{
    struct sa s;
    char want[128];

    sa_start(&s, true);
    if (!tu_proc_wait_line(s.p, "listening ", 30000, NULL, 0)) {
        char *err = tu_proc_stderr(s.p);
        TEST_FAIL("no REST: %s", err);
    }
    snprintf(want, sizeof(want), "RUNNING@%s", s.id);
    wait_task(&s, want);
    /* RUNNING comes before the worker's first line: change nothing until it is out */
    for (uint64_t deadline = clock_mono_ms() + 30000;; sleep_ms(50)) {
        char *log = tu_proc_stderr(s.p);
        bool out = strstr(log, "[clicks-sink] started: group") != NULL;
        mem_free(log);
        if (out)
            break;
        if (clock_mono_ms() > deadline)
            TEST_FAIL("the connector never logged 'started'");
    }
    const struct conv_value *v = get(&s, "GET", "/admin/loggers", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "root/level"), "INFO");
    ASSERT_EQ_STR(jstr(s.d, v, "aerosink.worker/level"), "INFO");
    ASSERT_EQ_STR(jstr(s.d, v, "aerosink.aerospike/level"), "INFO");
    ASSERT_EQ_STR(jstr(s.d, v, "aerosink.standalone/level"), "INFO");
    ASSERT_EQ_INT(jget(s.d, v, "aerosink.worker/last_modified")->type, CONV_NULL);

    ASSERT_EQ_INT(http_do("PUT", s.url, "/admin/loggers/aerosink.worker", "{\"level\":\"warn\"}", &s.r), 200);
    ASSERT_EQ_STR(http_body(&s.r), "[\"aerosink.worker\"]");
    v = get(&s, "GET", "/admin/loggers/aerosink.worker", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "level"), "WARN");
    ASSERT_CMP_INT(jget(s.d, v, "last_modified")->i, >, 1700000000000LL);
    v = get(&s, "GET", "/admin/loggers/root", 200);
    ASSERT_EQ_STR(jstr(s.d, v, "level"), "INFO");
    get(&s, "GET", "/admin/loggers/aerosink.nothing", 404);
    /* a parent name sets its children (and becomes a logger itself) */
    ASSERT_EQ_INT(http_do("PUT", s.url, "/admin/loggers/aerosink", "{\"level\":\"DEBUG\"}", &s.r), 200);
    ASSERT_EQ_STR(http_body(&s.r), "[\"aerosink\",\"aerosink.aerospike\",\"aerosink.standalone\",\"aerosink.worker\"]");
    ASSERT_EQ_INT(http_do("PUT", s.url, "/admin/loggers/aerosink.worker", "{\"level\":\"ERROR\"}", &s.r), 200);
    ASSERT_EQ_INT(http_do("PUT", s.url, "/admin/loggers/x", "{\"level\":\"LOUD\"}", &s.r), 404);

    ASSERT_EQ_INT(tu_proc_stop(s.p, SIGTERM, 20000), 0);
    char *err = tu_proc_stderr(s.p);
    /* before the change the connector logged at INFO; after it, not even its clean stop */
    ASSERT_CONTAINS(err, "[clicks-sink] started: group");
    ASSERT_TRUE(strstr(err, "stopped cleanly") == NULL);
    ASSERT_TRUE(strstr(err, "summary:") == NULL);
    mem_free(err);
    sa_free(&s);
}

TEST(standalone_without_listeners_serves_nothing)
{
    struct sa s;
    struct http r = {0};
    sa_start(&s, false);
    sleep_ms(1500);
    ASSERT_TRUE(tu_proc_running(s.p));
    ASSERT_EQ_INT(http_do("GET", s.url, "/health", NULL, &r), 0);
    buf_free(&r.body);
    sa_free(&s);
}

TEST_LIST = {
    T(standalone_serves_the_read_endpoints_and_pause_resume),
    T(standalone_resolves_config_providers_and_shows_them_as_written),
    T(standalone_lists_the_committed_offsets_and_refuses_to_alter_them),
    T(standalone_changes_log_levels_at_run_time),
    T(standalone_without_listeners_serves_nothing),
    {0},
};
