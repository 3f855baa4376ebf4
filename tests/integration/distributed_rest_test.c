/* tests/integration/distributed_rest_test.c: every REST endpoint of `aerosink distributed`,
 * status code and body shape (connector-spec.md section 10), plus bad JSON, invalid configs
 * (the checker's file:line messages), unknown connector, unknown plugin. One worker: the
 * answers do not depend on the cluster size. Sink offsets: GET lists the consumer group's
 * committed offsets, PATCH commits new ones once the connector is STOPPED and the resumed task
 * starts from them. */
#include <sys/stat.h>

#include "../harness.h"
#include "distributed_util.h"

#define CLASS "com.aerospike.connect.kafka.inbound.AerospikeSinkConnector"

struct ctx {
    struct du u;
    struct http r;
    struct conv_doc *d;
    const char *mapping;
    char body[4096];
};

static const struct conv_value *call(struct ctx *c, const char *method, const char *path, const char *body,
                                     long want)
{
    long code = http_do(method, c->u.url[0], path, body, &c->r);
    if (code != want)
        TEST_FAIL("%s %s: %ld, want %ld: %s", method, path, code, want, http_body(&c->r));
    const char *b = http_body(&c->r);
    return *b == '{' || *b == '[' ? json_root(c->d, b) : NULL;
}

/* Connect's error body: {"error_code": code, "message": "..."}; returns the message, whole
 * (a static buffer valid until the next call). */
static const char *error_of(struct ctx *c, const char *method, const char *path, const char *body, long want)
{
    static char msg[128 * 1024];
    const struct conv_value *root = call(c, method, path, body, want);
    const struct conv_value *ec = jget(c->d, root, "error_code");
    ASSERT_TRUE(ec && ec->type == CONV_INT && ec->i == want);
    ASSERT_EQ_INT(jcount(c->d, root, ""), 2);
    const struct conv_value *m = jget(c->d, root, "message");
    ASSERT_TRUE(m && m->type == CONV_STRING && m->s.n < sizeof(msg));
    snprintf(msg, sizeof(msg), "%.*s", (int)m->s.n, m->s.p);
    return msg;
}

static void setup(struct ctx *c)
{
    memset(c, 0, sizeof(*c));
    du_start(&c->u, "events", 2);
    c->mapping = du_mapping(&c->u, "aerospike-kafka-inbound.yml", NULL);
    c->d = conv_doc_new();
    du_worker(&c->u, 0);
}

static void teardown(struct ctx *c)
{
    buf_free(&c->r.body);
    conv_doc_free(c->d);
    du_free(&c->u);
}

static void check_info(struct ctx *c, const struct conv_value *root, const char *name, int tasks)
{
    ASSERT_EQ_STR(jstr(c->d, root, "name"), name);
    ASSERT_EQ_STR(jstr(c->d, root, "type"), "sink");
    ASSERT_EQ_STR(jstr(c->d, root, "config/connector.class"), CLASS);
    ASSERT_EQ_STR(jstr(c->d, root, "config/name"), name);
    ASSERT_CONTAINS(jstr(c->d, root, "config/aerospike.config.content"), "all-value-fields: true");
    ASSERT_EQ_INT(jcount(c->d, root, "tasks"), tasks);
    for (int t = 0; t < tasks; t++) {
        char p[64];
        snprintf(p, sizeof(p), "tasks/%d/connector", t);
        ASSERT_EQ_STR(jstr(c->d, root, p), name);
        snprintf(p, sizeof(p), "tasks/%d/task", t);
        const struct conv_value *v = jget(c->d, root, p);
        ASSERT_TRUE(v && v->type == CONV_INT && v->i == t);
    }
}

static void wait_task_state(struct ctx *c, const char *want)
{
    char tasks[256];
    uint64_t deadline = clock_mono_ms() + 30000;
    do {
        du_tasks(c->u.url[0], "ev", tasks, sizeof(tasks));
        if (strcmp(tasks, want) == 0)
            return;
        sleep_ms(100);
    } while (clock_mono_ms() < deadline);
    TEST_FAIL("tasks %s, want %s", tasks, want);
}

TEST(root_health_plugins_and_empty_lists)
{
    struct ctx c;
    setup(&c);
    const struct conv_value *v = call(&c, "GET", "/", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "version"), AEROSINK_VERSION);
    /* Kafka Connect's three fields, none empty: the build's git commit (as `aerosink version`
     * shows it) and the id of the Kafka cluster the worker stores its configs in */
    ASSERT_EQ_STR(jstr(c.d, v, "commit"), aerosink_commit());
    ASSERT_CMP_INT(strlen(jstr(c.d, v, "commit")), >=, 7);
    ASSERT_CMP_INT(strlen(jstr(c.d, v, "kafka_cluster_id")), >, 0);
    ASSERT_EQ_STR(jstr(c.d, v, "kafka_cluster_id"), du_kafka_cluster_id(c.u.bootstrap));
    v = call(&c, "GET", "/health", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "status"), "healthy");
    v = call(&c, "GET", "/connectors", NULL, 200);
    ASSERT_EQ_INT(jcount(c.d, v, ""), 0);
    v = call(&c, "GET", "/connector-plugins", NULL, 200);
    ASSERT_EQ_INT(jcount(c.d, v, ""), 1);   /* the class once; aliases are not plugins */
    ASSERT_EQ_STR(jstr(c.d, v, "0/class"), CLASS);
    ASSERT_EQ_STR(jstr(c.d, v, "0/type"), "sink");
    ASSERT_EQ_STR(jstr(c.d, v, "0/version"), AEROSINK_VERSION);
    v = call(&c, "GET", "/connector-plugins?connectorsOnly=false", NULL, 200);
    ASSERT_CONTAINS(http_body(&c.r), "\"type\":\"converter\"");
    v = call(&c, "GET", "/connector-plugins/AerospikeSinkConnector/config", NULL, 200);
    ASSERT_CMP_INT(jcount(c.d, v, ""), >=, 5);
    ASSERT_EQ_STR(jstr(c.d, v, "0/name"), "name");
    ASSERT_TRUE(jget(c.d, v, "2/default_value") && jget(c.d, v, "2/importance") && jget(c.d, v, "2/dependents"));
    ASSERT_CONTAINS(error_of(&c, "GET", "/connector-plugins/FileStreamSink/config", NULL, 404), "FileStreamSink");
    ASSERT_CONTAINS(error_of(&c, "GET", "/connectors/nope", NULL, 404), "Connector nope not found");
    ASSERT_CONTAINS(error_of(&c, "GET", "/connectors/nope/status", NULL, 404), "nope");
    ASSERT_CONTAINS(error_of(&c, "PUT", "/connectors/nope/pause", NULL, 404), "nope");
    ASSERT_CONTAINS(error_of(&c, "DELETE", "/connectors/nope", NULL, 404), "nope");
    v = call(&c, "GET", "/metrics", NULL, 200);
    ASSERT_CONTAINS(http_body(&c.r), "aerosink_worker_ready 1");
    /* this worker's loggers; scope=cluster is refused rather than applied to one worker */
    v = call(&c, "GET", "/admin/loggers", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "root/level"), "INFO");
    ASSERT_EQ_STR(jstr(c.d, v, "aerosink.herder/level"), "INFO");
    ASSERT_EQ_STR(jstr(c.d, v, "aerosink.distributed/level"), "INFO");
    v = call(&c, "PUT", "/admin/loggers/aerosink.herder", "{\"level\":\"DEBUG\"}", 200);
    ASSERT_EQ_STR(jstr(c.d, v, "0"), "aerosink.herder");
    v = call(&c, "GET", "/admin/loggers/aerosink.herder", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "level"), "DEBUG");
    ASSERT_CONTAINS(error_of(&c, "PUT", "/admin/loggers/root?scope=cluster", "{\"level\":\"WARN\"}", 501),
                    "scope=cluster");
    v = call(&c, "GET", "/admin/loggers/root", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "level"), "INFO");
    teardown(&c);
}

TEST(create_rejects_bad_json_invalid_configs_and_unknown_classes)
{
    struct ctx c;
    setup(&c);
    ASSERT_CMP_INT(strlen(error_of(&c, "POST", "/connectors", "{\"name\":\"x\",\"config\":{", 400)), >, 0);
    ASSERT_CMP_INT(strlen(error_of(&c, "POST", "/connectors", "[1,2]", 400)), >, 0);
    /* a mapping with six 16-byte bin names, in a directory with a long name: the checker's
     * file:line:col message for every one of them, far more than a struct err holds */
    char sub[1024], bins[1024], path[1024];
    size_t len = 0;
    snprintf(sub, sizeof(sub), "%s/%s", c.u.dir, "deployments-aerospike-kafka-inbound-configs-production-eu");
    ASSERT_EQ_INT(mkdir(sub, 0755), 0);
    len += (size_t)snprintf(bins, sizeof(bins), "        type: multi-bins\n        map:\n");
    for (char b = 'a'; b <= 'f'; b++)
        len += (size_t)snprintf(bins + len, sizeof(bins) - len,
                                "          sixteen_bytes_x%c: {source: value-field, field-name: %c}\n", b, b);
    snprintf(path, sizeof(path), "%s/bad.yml", sub + strlen(c.u.dir) + 1);
    const char *bad = du_mapping(&c.u, path, bins);
    snprintf(c.body, sizeof(c.body), "%s", du_connector_json(&c.u, "ev", 1, bad));
    const char *msg = error_of(&c, "POST", "/connectors", c.body, 400);
    /* Connect's words: the count, one error per line (each of them), where to find them */
    ASSERT_CONTAINS(msg, "Connector configuration is invalid and contains the following 6 error(s):\n");
    for (int i = 0; i < 6; i++) {
        char want[64];
        snprintf(want, sizeof(want), "bad.yml:%d:11:", 16 + i);
        ASSERT_CONTAINS(msg, want);
        snprintf(want, sizeof(want), "sixteen_bytes_x%c", 'a' + i);
        ASSERT_CONTAINS(msg, want);
    }
    ASSERT_CMP_INT(strlen(msg), >, 512);
    ASSERT_TRUE(strstr(msg, "more problem") == NULL);
    ASSERT_CONTAINS(msg, "\nYou can also find the above list of errors at the endpoint "
                         "`/connector-plugins/{connectorType}/config/validate`");
    /* PUT of the same config: the same whole list */
    char put[2048];
    const char *cfg = strstr(c.body, "\"config\":");
    ASSERT_TRUE(cfg != NULL);
    snprintf(put, sizeof(put), "%.*s", (int)(strlen(cfg + 9) - 1), cfg + 9);   /* the inner object */
    msg = error_of(&c, "PUT", "/connectors/ev/config", put, 400);
    ASSERT_CONTAINS(msg, "contains the following 6 error(s):\n");
    ASSERT_CONTAINS(msg, "bad.yml:21:11:");
    ASSERT_TRUE(strstr(msg, "more problem") == NULL);
    /* a missing mapping file */
    snprintf(c.body, sizeof(c.body), "%s", du_connector_json(&c.u, "ev", 1, "/nonexistent/m.yml"));
    ASSERT_CONTAINS(error_of(&c, "POST", "/connectors", c.body, 400), "/nonexistent/m.yml");
    /* an unknown connector class (plugin) */
    snprintf(c.body, sizeof(c.body),
             "{\"name\":\"ev\",\"config\":{\"connector.class\":\"FileStreamSink\",\"topics\":\"%s\","
             "\"aerospike.config.file\":\"%s\"}}", c.u.topic, c.mapping);
    ASSERT_CONTAINS(error_of(&c, "POST", "/connectors", c.body, 400), "FileStreamSink");
    /* a bad tasks.max */
    snprintf(c.body, sizeof(c.body), "{\"connector.class\":\"%s\",\"tasks.max\":\"zero\",\"topics\":\"%s\","
             "\"aerospike.config.file\":\"%s\"}", CLASS, c.u.topic, c.mapping);
    ASSERT_CONTAINS(error_of(&c, "PUT", "/connectors/ev/config", c.body, 400), "tasks.max");
    /* nothing was stored */
    const struct conv_value *v = call(&c, "GET", "/connectors", NULL, 200);
    ASSERT_EQ_INT(jcount(c.d, v, ""), 0);
    /* validate answers ConfigInfos, with the mapping problems on the key that names it */
    snprintf(c.body, sizeof(c.body), "{\"connector.class\":\"%s\",\"name\":\"ev\",\"tasks.max\":\"2\",\"topics\":\"%s\","
             "\"aerospike.config.file\":\"%s\"}", CLASS, c.u.topic, bad);
    v = call(&c, "PUT", "/connector-plugins/AerospikeSinkConnector/config/validate", c.body, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "name"), CLASS);
    ASSERT_EQ_INT(jget(c.d, v, "error_count")->i, 6);   /* messages (six bins), not keys */
    ASSERT_CMP_INT(jcount(c.d, v, "groups"), >=, 1);
    ASSERT_CONTAINS(http_body(&c.r), "\"name\":\"aerospike.config.file\"");
    ASSERT_CONTAINS(http_body(&c.r), "bad.yml:16:11:");
    ASSERT_EQ_STR(jstr(c.d, v, "configs/2/definition/name"), "tasks.max");
    ASSERT_EQ_STR(jstr(c.d, v, "configs/2/value/value"), "2");
    snprintf(c.body, sizeof(c.body), "{\"connector.class\":\"%s\",\"name\":\"ev\",\"topics\":\"%s\","
             "\"aerospike.config.file\":\"%s\"}", CLASS, c.u.topic, c.mapping);
    v = call(&c, "PUT", "/connector-plugins/AerospikeSinkConnector/config/validate", c.body, 200);
    ASSERT_EQ_INT(jget(c.d, v, "error_count")->i, 0);
    ASSERT_CONTAINS(error_of(&c, "PUT", "/connector-plugins/FileStreamSink/config/validate",
                             "{\"connector.class\":\"FileStreamSink\"}", 400), "FileStreamSink");
    ASSERT_CONTAINS(error_of(&c, "PUT", "/connector-plugins/AerospikeSinkConnector/config/validate", "{}", 400),
                    "connector type");
    teardown(&c);
}

TEST(connector_lifecycle_endpoints)
{
    struct ctx c;
    char want[256];
    setup(&c);
    snprintf(c.body, sizeof(c.body), "%s", du_connector_json(&c.u, "ev", 2, c.mapping));
    const struct conv_value *v = call(&c, "POST", "/connectors", c.body, 201);
    check_info(&c, v, "ev", 2);
    ASSERT_CONTAINS(c.r.location, "/connectors/ev");
    ASSERT_CONTAINS(error_of(&c, "POST", "/connectors", c.body, 409), "already exists");

    v = call(&c, "GET", "/connectors", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "0"), "ev");
    v = call(&c, "GET", "/connectors/ev", NULL, 200);
    check_info(&c, v, "ev", 2);
    v = call(&c, "GET", "/connectors/ev/config", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "tasks.max"), "2");
    ASSERT_EQ_STR(jstr(c.d, v, "topics"), c.u.topic);
    /* one worker: task 0 runs here, task 1 has no worker */
    snprintf(want, sizeof(want), "RUNNING@%s,UNASSIGNED@", c.u.id[0]);
    wait_task_state(&c, want);
    v = call(&c, "GET", "/connectors/ev/status", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "name"), "ev");
    ASSERT_EQ_STR(jstr(c.d, v, "type"), "sink");
    ASSERT_EQ_STR(jstr(c.d, v, "connector/state"), "RUNNING");
    ASSERT_EQ_STR(jstr(c.d, v, "connector/worker_id"), c.u.id[0]);
    ASSERT_EQ_INT(jget(c.d, v, "tasks/0/id")->i, 0);
    v = call(&c, "GET", "/connectors/ev/tasks/0/status", NULL, 200);
    ASSERT_EQ_INT(jget(c.d, v, "id")->i, 0);
    ASSERT_EQ_STR(jstr(c.d, v, "state"), "RUNNING");
    ASSERT_EQ_STR(jstr(c.d, v, "worker_id"), c.u.id[0]);
    ASSERT_CONTAINS(error_of(&c, "GET", "/connectors/ev/tasks/7/status", NULL, 404), "ev");
    v = call(&c, "GET", "/connectors/ev/tasks", NULL, 200);
    ASSERT_EQ_INT(jcount(c.d, v, ""), 2);
    ASSERT_EQ_STR(jstr(c.d, v, "1/id/connector"), "ev");
    ASSERT_EQ_INT(jget(c.d, v, "1/id/task")->i, 1);
    ASSERT_EQ_STR(jstr(c.d, v, "1/config/task.class"), "com.aerospike.connect.kafka.inbound.AerospikeSinkTask");
    v = call(&c, "GET", "/connectors?expand=status&expand=info", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "ev/status/connector/state"), "RUNNING");
    ASSERT_EQ_STR(jstr(c.d, v, "ev/info/name"), "ev");
    call(&c, "GET", "/connectors/ev/topics", NULL, 200);   /* topic tracking: nothing consumed yet */
    ASSERT_EQ_STR(http_body(&c.r), "{\"ev\":{\"topics\":[]}}");

    /* pause / resume / restart */
    call(&c, "PUT", "/connectors/ev/pause", NULL, 202);
    snprintf(want, sizeof(want), "PAUSED@%s,UNASSIGNED@", c.u.id[0]);
    wait_task_state(&c, want);
    v = call(&c, "GET", "/connectors/ev/status", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "connector/state"), "PAUSED");
    call(&c, "PUT", "/connectors/ev/resume", NULL, 202);
    snprintf(want, sizeof(want), "RUNNING@%s,UNASSIGNED@", c.u.id[0]);
    wait_task_state(&c, want);
    call(&c, "POST", "/connectors/ev/restart", NULL, 204);
    v = call(&c, "POST", "/connectors/ev/restart?includeTasks=true", NULL, 202);
    ASSERT_EQ_STR(jstr(c.d, v, "tasks/0/state"), "RESTARTING");
    ASSERT_EQ_STR(jstr(c.d, v, "name"), "ev");
    call(&c, "POST", "/connectors/ev/tasks/0/restart", NULL, 204);
    ASSERT_CONTAINS(error_of(&c, "POST", "/connectors/ev/tasks/5/restart", NULL, 404), "ev");
    wait_task_state(&c, want);

    /* PUT (update: 200; new: 201), PATCH */
    snprintf(c.body, sizeof(c.body), "{\"connector.class\":\"%s\",\"tasks.max\":\"1\",\"topics\":\"%s\","
             "\"aerospike.config.file\":\"%s\"}", CLASS, c.u.topic, c.mapping);
    v = call(&c, "PUT", "/connectors/ev/config", c.body, 200);
    check_info(&c, v, "ev", 1);
    v = call(&c, "PATCH", "/connectors/ev/config", "{\"tasks.max\":\"2\",\"errors.tolerance\":\"all\"}", 200);
    check_info(&c, v, "ev", 2);
    ASSERT_EQ_STR(jstr(c.d, v, "config/errors.tolerance"), "all");
    ASSERT_CONTAINS(error_of(&c, "PATCH", "/connectors/ev/config", "{\"tasks.max\":\"-1\"}", 400), "tasks.max");
    ASSERT_CONTAINS(error_of(&c, "PATCH", "/connectors/none/config", "{\"tasks.max\":\"1\"}", 404), "none");
    v = call(&c, "PUT", "/connectors/ev2/config", c.body, 201);
    check_info(&c, v, "ev2", 1);
    ASSERT_CONTAINS(c.r.location, "/connectors/ev2");
    v = call(&c, "GET", "/connectors", NULL, 200);
    ASSERT_EQ_INT(jcount(c.d, v, ""), 2);

    /* stop: STOPPED, no tasks */
    call(&c, "PUT", "/connectors/ev2/stop", NULL, 204);
    v = call(&c, "GET", "/connectors/ev2/status", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "connector/state"), "STOPPED");
    ASSERT_EQ_INT(jcount(c.d, v, "tasks"), 0);

    /* delete */
    call(&c, "DELETE", "/connectors/ev2", NULL, 204);
    call(&c, "DELETE", "/connectors/ev", NULL, 204);
    ASSERT_CONTAINS(error_of(&c, "GET", "/connectors/ev", NULL, 404), "ev");
    ASSERT_CONTAINS(error_of(&c, "DELETE", "/connectors/ev", NULL, 404), "ev");
    v = call(&c, "GET", "/connectors", NULL, 200);
    ASSERT_EQ_INT(jcount(c.d, v, ""), 0);
    teardown(&c);
}

/* The stored config survives a restart of the only worker (it lives in the config topic). */
TEST(configs_and_target_states_are_read_back_from_the_config_topic)
{
    struct ctx c;
    char want[256];
    setup(&c);
    snprintf(c.body, sizeof(c.body), "{\"name\":\"ev\",\"initial_state\":\"PAUSED\",\"config\":{\"connector.class\":"
             "\"%s\",\"topics\":\"%s\",\"aerospike.config.file\":\"%s\"}}", CLASS, c.u.topic, c.mapping);
    call(&c, "POST", "/connectors", c.body, 201);
    snprintf(want, sizeof(want), "PAUSED@%s", c.u.id[0]);
    wait_task_state(&c, want);
    ASSERT_EQ_INT(tu_proc_stop(c.u.w[0], SIGTERM, 20000), 0);
    tu_proc_free(c.u.w[0]);
    c.u.w[0] = NULL;
    du_worker(&c.u, 0);
    const struct conv_value *v = call(&c, "GET", "/connectors/ev", NULL, 200);
    check_info(&c, v, "ev", 1);
    wait_task_state(&c, want);
    teardown(&c);
}

static int not_json(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx, (void)i;
    return snprintf(buf, cap, "{not json");
}

/* errors.tolerance=none: an unconvertible record fails the task; the status says FAILED with
 * the worker's reason; a restart of failed tasks reports RESTARTING and runs the task again
 * (which fails again on the same record: its offset was never committed). */
TEST(a_failed_task_shows_its_trace_and_restarts_on_request)
{
    struct ctx c;
    char want[256];
    setup(&c);
    snprintf(c.body, sizeof(c.body), "%s", du_connector_json(&c.u, "ev", 1, c.mapping));
    call(&c, "POST", "/connectors", c.body, 201);
    snprintf(want, sizeof(want), "RUNNING@%s", c.u.id[0]);
    wait_task_state(&c, want);
    e2e_produce(c.u.bootstrap, c.u.topic, 1, 1, "bad-%d", not_json, NULL);
    snprintf(want, sizeof(want), "FAILED@%s", c.u.id[0]);
    wait_task_state(&c, want);
    const struct conv_value *v = call(&c, "GET", "/connectors/ev/tasks/0/status", NULL, 200);
    ASSERT_EQ_STR(jstr(c.d, v, "state"), "FAILED");
    ASSERT_CONTAINS(jstr(c.d, v, "trace"), c.u.topic);
    v = call(&c, "GET", "/connectors/ev/status", NULL, 200);
    ASSERT_CONTAINS(jstr(c.d, v, "tasks/0/trace"), c.u.topic);
    v = call(&c, "POST", "/connectors/ev/restart?includeTasks=true&onlyFailed=true", NULL, 202);
    ASSERT_EQ_STR(jstr(c.d, v, "tasks/0/state"), "RESTARTING");
    /* the restarted task reads the same record and fails again */
    snprintf(want, sizeof(want), "RUNNING@%s", c.u.id[0]);
    uint64_t deadline = clock_mono_ms() + 20000;
    char tasks[256] = "";
    bool ran = false;
    while (clock_mono_ms() < deadline && !ran) {
        du_tasks(c.u.url[0], "ev", tasks, sizeof(tasks));
        ran = strcmp(tasks, want) == 0;
        sleep_ms(20);
    }
    snprintf(want, sizeof(want), "FAILED@%s", c.u.id[0]);
    wait_task_state(&c, want);
    char *err = tu_proc_stderr(c.u.w[0]);
    const char *first = strstr(err, "connector ev: task failed");
    ASSERT_TRUE(first && strstr(first + 1, "connector ev: task failed"));   /* it ran twice */
    mem_free(err);
    teardown(&c);
}

static int seq_value(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"seq\":%d}", i);
}

static void wait_committed(struct ctx *c, const char *group, int n, int64_t want, int64_t *out)
{
    uint64_t deadline = clock_mono_ms() + 30000;
    int64_t sum;
    do {
        e2e_committed(c->u.bootstrap, group, c->u.topic, n, out);
        sum = 0;
        for (int i = 0; i < n; i++)
            sum += out[i] > 0 ? out[i] : 0;
        if (sum == want)
            return;
        sleep_ms(200);
    } while (clock_mono_ms() < deadline);
    TEST_FAIL("committed offsets of %s add up to %lld, want %lld", group, (long long)sum, (long long)want);
}

/* Offset of partition @p of the data topic in a GET .../offsets answer; -1 when absent. */
static int64_t listed_offset(struct ctx *c, const struct conv_value *v, int p)
{
    char path[64];
    for (long i = 0; i < jcount(c->d, v, "offsets"); i++) {
        snprintf(path, sizeof(path), "offsets/%ld/partition/kafka_topic", i);
        const char *t = jstr(c->d, v, path);
        snprintf(path, sizeof(path), "offsets/%ld/partition/kafka_partition", i);
        const struct conv_value *pv = jget(c->d, v, path);
        if (!t || strcmp(t, c->u.topic) != 0 || !pv || pv->type != CONV_INT || pv->i != p)
            continue;
        snprintf(path, sizeof(path), "offsets/%ld/offset/kafka_offset", i);
        const struct conv_value *ov = jget(c->d, v, path);
        ASSERT_TRUE(ov && ov->type == CONV_INT);
        return ov->i;
    }
    return -1;
}

static const char *offsets_body(struct ctx *c, int64_t o0, int64_t o1)
{
    static char body[512];
    snprintf(body, sizeof(body), "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"%s\",\"kafka_partition\":0},"
             "\"offset\":{\"kafka_offset\":%lld}},{\"partition\":{\"kafka_topic\":\"%s\",\"kafka_partition\":1},"
             "\"offset\":{\"kafka_offset\":%lld}}]}", c->u.topic, (long long)o0, c->u.topic, (long long)o1);
    return body;
}

#define ALTERED "The Connect framework-managed offsets for this connector have been altered successfully. " \
    "However, if this connector manages offsets externally, they will need to be manually altered in the system " \
    "that the connector uses."

/* GET lists what connect-ev committed; PATCH needs STOPPED (400), then commits; the resumed
 * task rewrites exactly the records from the new offsets on. Deleting offsets (a null offset,
 * DELETE) is refused with 501: see rest_backend.c for why. */
TEST(sink_offsets_are_listed_and_altered_while_stopped)
{
    struct ctx c;
    char want[256];
    int64_t committed[2];
    const int n = 100;

    setup(&c);
    snprintf(c.body, sizeof(c.body), "%s", du_connector_json(&c.u, "ev", 1, c.mapping));
    call(&c, "POST", "/connectors", c.body, 201);
    snprintf(want, sizeof(want), "RUNNING@%s", c.u.id[0]);
    wait_task_state(&c, want);
    e2e_produce(c.u.bootstrap, c.u.topic, n, 2, "k-%d", seq_value, NULL);
    ASSERT_EQ_INT(e2e_wait_objects(c.u.hosts, "test", c.u.set, n, 60000), n);
    wait_committed(&c, "connect-ev", 2, n, committed);
    const struct conv_value *v = call(&c, "GET", "/connectors/ev/offsets", NULL, 200);
    ASSERT_EQ_INT(jcount(c.d, v, "offsets"), 2);
    ASSERT_EQ_INT(listed_offset(&c, v, 0), committed[0]);
    ASSERT_EQ_INT(listed_offset(&c, v, 1), committed[1]);
    ASSERT_EQ_INT(committed[0], n / 2);

    /* unknown connector; running connector */
    ASSERT_CONTAINS(error_of(&c, "GET", "/connectors/none/offsets", NULL, 404), "Connector none not found");
    ASSERT_CONTAINS(error_of(&c, "PATCH", "/connectors/none/offsets", offsets_body(&c, 1, 1), 404), "none");
    ASSERT_CONTAINS(error_of(&c, "PATCH", "/connectors/ev/offsets", offsets_body(&c, 40, 45), 400),
                    "Connectors must be in the STOPPED state before their offsets can be modified. This can be done "
                    "for the specified connector by issuing a 'PUT' request to the '/connectors/ev/stop' endpoint");
    ASSERT_CONTAINS(error_of(&c, "DELETE", "/connectors/ev/offsets", NULL, 400), "STOPPED state");

    /* stopped: alter (retried while the stopping task may still be in the group, as Connect's own tests do) */
    call(&c, "PUT", "/connectors/ev/stop", NULL, 204);
    long code = 0;
    uint64_t deadline = clock_mono_ms() + 60000;
    while ((code = http_do("PATCH", c.u.url[0], "/connectors/ev/offsets", offsets_body(&c, 40, 45), &c.r)) != 200 &&
           clock_mono_ms() < deadline)
        sleep_ms(500);
    if (code != 200)
        TEST_FAIL("PATCH offsets while stopped: %ld %s", code, http_body(&c.r));
    v = json_root(c.d, http_body(&c.r));
    ASSERT_EQ_STR(jstr(c.d, v, "message"), ALTERED);
    e2e_committed(c.u.bootstrap, "connect-ev", c.u.topic, 2, committed);
    ASSERT_EQ_INT(committed[0], 40);
    ASSERT_EQ_INT(committed[1], 45);
    v = call(&c, "GET", "/connectors/ev/offsets", NULL, 200);
    ASSERT_EQ_INT(listed_offset(&c, v, 0), 40);
    ASSERT_EQ_INT(listed_offset(&c, v, 1), 45);

    /* a topic the cluster does not have */
    ASSERT_CONTAINS(error_of(&c, "PATCH", "/connectors/ev/offsets", "{\"offsets\":[{\"partition\":{\"kafka_topic\":"
                             "\"no-such-topic\",\"kafka_partition\":0},\"offset\":{\"kafka_offset\":1}}]}", 400),
                    "no-such-topic is not in the cluster's metadata");

    /* deleting offsets is refused whole: nothing changes */
    const char *with_null = "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"x\",\"kafka_partition\":0},"
                            "\"offset\":{\"kafka_offset\":3}},{\"partition\":{\"kafka_topic\":\"x\","
                            "\"kafka_partition\":1},\"offset\":null}]}";
    ASSERT_CONTAINS(error_of(&c, "PATCH", "/connectors/ev/offsets", with_null, 501), "OffsetDelete");
    ASSERT_CONTAINS(error_of(&c, "DELETE", "/connectors/ev/offsets", NULL, 501), "DeleteGroups");
    ASSERT_CONTAINS(error_of(&c, "DELETE", "/connectors/none/offsets", NULL, 404), "none");
    e2e_committed(c.u.bootstrap, "connect-ev", c.u.topic, 2, committed);
    ASSERT_EQ_INT(committed[0], 40);

    /* resume: records 40.. of partition 0 and 45.. of partition 1 are written again */
    long long before = e2e_node_stat(c.u.hosts, "client_write_success");
    ASSERT_CMP_INT(before, >=, n);
    call(&c, "PUT", "/connectors/ev/resume", NULL, 202);
    wait_committed(&c, "connect-ev", 2, n, committed);
    deadline = clock_mono_ms() + 10000;
    while (e2e_node_stat(c.u.hosts, "client_write_success") < before + 15 && clock_mono_ms() < deadline)
        sleep_ms(100);
    sleep_ms(500);
    ASSERT_EQ_INT(e2e_node_stat(c.u.hosts, "client_write_success") - before, 15);
    ASSERT_EQ_INT(e2e_count_objects(c.u.hosts, "test", c.u.set), n);
    teardown(&c);
}

TEST_LIST = {
    T(root_health_plugins_and_empty_lists),
    T(create_rejects_bad_json_invalid_configs_and_unknown_classes),
    T(connector_lifecycle_endpoints),
    T(configs_and_target_states_are_read_back_from_the_config_topic),
    T(a_failed_task_shows_its_trace_and_restarts_on_request),
    T(sink_offsets_are_listed_and_altered_while_stopped),
    {0},
};
