/* End-to-end Aerospike cluster behaviour of `aerosink standalone` through the real binaries:
 * kafka-mock -> aerosink -> aerospike-testd --nodes 3.
 *   - node 2 stops for 10 s while 500,000 records stream, then restarts: every record is
 *     there with its exact content, nothing lost, the restarted node gets traffic again, and
 *     aerosink logs the outage once per node (down, left, joined) and never per record;
 *   - a node joining mid-stream gets writes after the next tend.
 * Both pull testd's `testd-node` lever, so they skip against a real cluster. */
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/testutil.h"

#define NS "test"

struct env {
    struct tu_proc *kafka, *aero, *sink;
    char bootstrap[256], hosts[256];
    int port[3];                      /* testd node ports */
    const char *dir;
    char worker[512], connector[512];
};

static void env_start(struct env *v, const char *topic_spec)
{
    static const char *const three[] = {"--nodes", "3", NULL};
    const char *topics[] = {topic_spec, NULL};
    char copy[256], *save = NULL;
    int i = 0;

    if (tu_aerospike_is_real() || tu_kafka_is_real())
        TEST_SKIP("pulls aerospike-testd's testd-node lever (AEROSPIKE_HOSTS/KAFKA_BOOTSTRAP set)");
    memset(v, 0, sizeof(*v));
    v->dir = tu_tmpdir();
    v->kafka = tu_kafka_start(topics, 1, v->bootstrap, sizeof(v->bootstrap));
    v->aero = tu_aerospike_start(three, v->hosts, sizeof(v->hosts));
    snprintf(copy, sizeof(copy), "%s", v->hosts);
    for (char *tok = strtok_r(copy, ",", &save); tok && i < 3; tok = strtok_r(NULL, ",", &save))
        v->port[i++] = atoi(strrchr(tok, ':') + 1);
    ASSERT_EQ_INT(i, 3);
}

static void env_free(struct env *v)
{
    tu_proc_free(v->sink);
    tu_proc_free(v->kafka);
    tu_proc_free(v->aero);
}

/* Worker + connector files: one topic, keyed JSON records into multi-bins of set @set. */
static void write_config(struct env *v, const char *name, const char *topic, const char *set)
{
    char text[2048], fname[128];

    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=500\n"
             "consumer.fetch.wait.max.ms=20\n"
             "consumer.session.timeout.ms=6000\n"
             "consumer.heartbeat.interval.ms=1000\n",
             v->bootstrap);
    snprintf(v->worker, sizeof(v->worker), "%s", tu_write_file(v->dir, "worker.properties", text));
    snprintf(text, sizeof(text),
             "aerospike:\n"
             "  seeds:\n"
             "    - 127.0.0.1: {port: %d}\n"
             "topics:\n"
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: " NS "}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             v->port[0], topic, set);
    snprintf(fname, sizeof(fname), "%s.yml", name);
    tu_write_file(v->dir, fname, text);
    snprintf(text, sizeof(text),
             "name=%s\n"
             "connector.class=com.aerospike.connect.kafka.inbound.AerospikeSinkConnector\n"
             "tasks.max=1\n"
             "topics=%s\n"
             "aerospike.config.file=%s.yml\n",
             name, topic, name);
    snprintf(fname, sizeof(fname), "%s.properties", name);
    snprintf(v->connector, sizeof(v->connector), "%s", tu_write_file(v->dir, fname, text));
}

static void sink_start(struct env *v)
{
    const char *argv[] = {tu_bin("aerosink"), "standalone", "--progress", "0", v->worker, v->connector, NULL};
    v->sink = tu_proc_start(argv, NULL);
}

/* Record i: key "r-<i>", value with an int, two strings, a double and a bool. */
static int record_json(int i, char *buf, size_t cap)
{
    return snprintf(buf, cap,
                    "{\"id\":%d,\"name\":\"customer %d\",\"city\":\"city-%d\",\"score\":%d.5,"
                    "\"active\":%s}",
                    i, i, i % 97, i % 1000, i % 3 == 0 ? "true" : "false");
}

/* Produce records [from, to) round-robin over @parts partitions. */
static void produce_range(const char *bootstrap, const char *topic, int from, int to, int parts)
{
    char errstr[512], key[32], val[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "batch.num.messages", "10000", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        TEST_FAIL("producer: %s", errstr);
    for (int i = from; i < to; i++) {
        int kl = snprintf(key, sizeof(key), "r-%d", i);
        int vl = record_json(i, val, sizeof(val));
        rd_kafka_resp_err_t r;
        while ((r = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % parts),
                                      RD_KAFKA_V_KEY(key, (size_t)kl), RD_KAFKA_V_VALUE(val, (size_t)vl),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (r)
            TEST_FAIL("produce: %s", rd_kafka_err2str(r));
    }
    if (rd_kafka_flush(rk, 60000))
        TEST_FAIL("producer flush timed out");
    rd_kafka_destroy(rk);
}

/* Info exchange with the testd node on @port; the reply value of @cmd copied into @out. */
static bool info_on(int port, const char *cmd, char *out, size_t cap)
{
    struct buf b = BUF_INIT;
    const char *val;
    size_t n;
    bool ok = aero_info_host("127.0.0.1", (uint16_t)port, cmd, &b, 3000, NULL) == ST_OK &&
              aero_info_value((const char *)b.p, b.len, cmd, &val, &n);
    if (ok)
        snprintf(out, cap, "%.*s", (int)n, val);
    buf_free(&b);
    return ok;
}

static void lever(struct env *v, const char *cmd)
{
    char out[256];
    for (int i = 0; i < 3; i++)       /* ask any node that is up */
        if (info_on(v->port[i], cmd, out, sizeof(out))) {
            ASSERT_EQ_STR(out, "ok");
            return;
        }
    TEST_FAIL("no testd node answered %s", cmd);
}

/* testd-stats field @field of node @node (1-based), e.g. "writes". */
static uint64_t node_stat(struct env *v, int node, const char *field)
{
    char out[8192], key[32], f[48];
    for (int i = 0; i < 3; i++) {
        if (!info_on(v->port[i], "testd-stats", out, sizeof(out)))
            continue;
        snprintf(key, sizeof(key), "node%d=", node);
        const char *p = strstr(out, key), *end;
        if (!p)
            break;
        end = strchr(p, ';');
        snprintf(f, sizeof(f), ",%s:", field);
        const char *q = strstr(p, f);
        if (!q || (end && q > end))
            break;
        return strtoull(q + strlen(f), NULL, 10);
    }
    TEST_FAIL("testd-stats: no %s for node %d", field, node);
}

static void node_id(struct env *v, int node, char *id, size_t cap)
{
    char out[8192], key[32];
    for (int i = 0; i < 3; i++) {
        if (!info_on(v->port[i], "testd-stats", out, sizeof(out)))
            continue;
        snprintf(key, sizeof(key), "node%d=id:", node);
        const char *p = strstr(out, key);
        if (p) {
            p += strlen(key);
            snprintf(id, cap, "%.*s", (int)strcspn(p, ","), p);
            return;
        }
    }
    TEST_FAIL("testd-stats: no id for node %d", node);
}

/* Records of namespace test: the sum of master_objects over the nodes that answer (a node
 * that is down masters nothing). The test's records are the only ones in the namespace. */
static long count_records(struct env *v)
{
    char out[4096];
    long sum = 0;
    for (int i = 0; i < 3; i++) {
        if (!info_on(v->port[i], "namespace/" NS, out, sizeof(out)))
            continue;
        const char *p = strstr(out, "master_objects=");
        if (p)
            sum += strtol(p + strlen("master_objects="), NULL, 10);
    }
    return sum;
}

static long wait_records(struct env *v, long want, int timeout_ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)(timeout_ms * test_timeout_scale());
    long c = -1;
    while (clock_mono_ms() < end) {
        if ((c = count_records(v)) >= want)
            return c;
        if (v->sink && !tu_proc_running(v->sink)) {
            char *err = tu_proc_stderr(v->sink);
            fprintf(stderr, "%s", err ? err : "");
            mem_free(err);
            TEST_FAIL("aerosink exited with %ld of %ld records written", c, want);
        }
        sleep_ms(100);
    }
    return c;
}

/* Every field of record @i as written from its JSON. */
static void check_record(struct e2e_aero *a, const char *set, int i)
{
    struct aero_record rec = {0};
    struct aero_bin_view bv;
    char key[32], want[64], got[64];
    double d;
    uint64_t bits;

    snprintf(key, sizeof(key), "r-%d", i);
    enum status st = e2e_get_str(a, NS, set, key, &rec);
    if (st != ST_OK)
        TEST_FAIL("record %s: %s", key, status_name(st));
    ASSERT_EQ_INT(e2e_bin_int(&rec, "id"), i);
    snprintf(want, sizeof(want), "customer %d", i);
    ASSERT_EQ_STR(e2e_bin_str(&rec, "name", got, sizeof(got)), want);
    snprintf(want, sizeof(want), "city-%d", i % 97);
    ASSERT_EQ_STR(e2e_bin_str(&rec, "city", got, sizeof(got)), want);
    ASSERT_TRUE(aero_record_bin(&rec, "score", &bv));
    ASSERT_EQ_INT(bv.particle, AERO_PT_FLOAT);
    ASSERT_EQ_INT(bv.value_len, 8);
    bits = load_u64be(bv.value);
    memcpy(&d, &bits, sizeof(d));
    ASSERT_TRUE(d == (double)(i % 1000) + 0.5);
    ASSERT_TRUE(aero_record_bin(&rec, "active", &bv));
    ASSERT_TRUE(bv.value_len >= 1);
    ASSERT_EQ_INT(bv.value[bv.value_len - 1], i % 3 == 0 ? 1 : 0);   /* BOOL or INTEGER particle */
    aero_record_free(&rec);
}

static int count_lines(const char *text, const char *a, const char *b)
{
    int n = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[4096];
        snprintf(line, sizeof(line), "%.*s", (int)MIN(len, sizeof(line) - 1), p);
        if (strstr(line, a) && (!b || strstr(line, b)))
            n++;
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

TEST(node_2_down_10s_mid_stream_every_record_lands_outage_logged_once_per_node)
{
    enum { N = 500000, PARTS = 6 };
    struct env v;
    char n2[32], n1[32], n3[32], what[96];
    uint64_t t_down, w2_at_up;
    struct e2e_aero a;
    char *err;

    env_start(&v, "fo:6");
    node_id(&v, 1, n1, sizeof(n1));
    node_id(&v, 2, n2, sizeof(n2));
    node_id(&v, 3, n3, sizeof(n3));
    write_config(&v, "failover", "fo", "fo");
    produce_range(v.bootstrap, "fo", 0, 200000, PARTS);
    sink_start(&v);
    ASSERT_CMP_INT(wait_records(&v, 60000, 90000), >=, 60000);
    ASSERT_CMP_INT(node_stat(&v, 2, "writes"), >, 0);

    /* node 2 goes away mid-stream: the stream goes on while it is down */
    lever(&v, "testd-node:id=2;state=down");
    t_down = clock_mono_ms();
    ASSERT_CMP_INT(count_records(&v), <, 200000);          /* really mid-stream */
    produce_range(v.bootstrap, "fo", 200000, 400000, PARTS);
    /* the stream goes on over nodes 1 and 3 while node 2 is away (it is restarted below) */
    ASSERT_CMP_INT(wait_records(&v, 300000, 30000), >=, 300000);
    while (clock_mono_ms() < t_down + 10000)
        sleep_ms(100);

    /* back: it must get traffic again */
    lever(&v, "testd-node:id=2;state=up");
    w2_at_up = node_stat(&v, 2, "writes");
    produce_range(v.bootstrap, "fo", 400000, N, PARTS);
    ASSERT_EQ_INT(wait_records(&v, N, 120000), N);
    ASSERT_CMP_INT(node_stat(&v, 2, "writes"), >, w2_at_up + 1000);

    err = NULL;
    ASSERT_EQ_INT(tu_proc_stop(v.sink, SIGTERM, (int)(60000 * test_timeout_scale())), 0);
    err = tu_proc_stderr(v.sink);
    tu_proc_free(v.sink);
    v.sink = NULL;

    /* nothing lost, nothing extra, every field right on a sample (and the edges) */
    ASSERT_EQ_INT(count_records(&v), N);
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < N; i += 53)
        check_record(&a, "fo", i);
    check_record(&a, "fo", 199999);
    check_record(&a, "fo", 200000);
    check_record(&a, "fo", 399999);
    check_record(&a, "fo", N - 1);
    e2e_aero_close(&a);

    /* the outage is logged once per node and change, never once per record */
    snprintf(what, sizeof(what), "Aerospike node %s (", n2);
    if (count_lines(err, what, ") not answering") != 1 || count_lines(err, what, ") left") != 1 ||
        count_lines(err, what, ") joined") != 1 || count_lines(err, "Aerospike node ", NULL) != 3 ||
        count_lines(err, "Aerospike writes failing", NULL) > 1 ||
        count_lines(err, "Aerospike writes still failing", NULL) > 2 ||
        count_lines(err, "Aerospike", NULL) > 12) {
        fputs(err, stderr);
        TEST_FAIL("outage not logged exactly once per node (see aerosink's log above)");
    }
    for (const char *p = err; p && *p;) {            /* show what an operator sees */
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (memmem(p, len, "Aerospike", 9))
            fprintf(stderr, "    | %.*s\n", (int)len, p);
        p = nl ? nl + 1 : NULL;
    }
    (void)n1;
    (void)n3;
    ASSERT_EQ_INT(count_lines(err, "skipped", NULL), 0);
    ASSERT_EQ_INT(count_lines(err, "task failed", NULL), 0);
    mem_free(err);
    env_free(&v);
}

TEST(node_joining_mid_stream_gets_writes_after_the_next_tend)
{
    enum { PARTS = 4, CHUNK = 4000 };
    struct env v;
    char n3[32], what[96];
    uint64_t t_up, waited = 0, w3_join;
    int next = 0;
    char *err;

    env_start(&v, "join:4");
    node_id(&v, 3, n3, sizeof(n3));
    lever(&v, "testd-node:id=3;state=down");           /* a 2-node cluster to start with */
    write_config(&v, "join", "join", "join");
    produce_range(v.bootstrap, "join", 0, 40000, PARTS);
    next = 40000;
    sink_start(&v);
    ASSERT_CMP_INT(wait_records(&v, 20000, 90000), >=, 20000);
    ASSERT_EQ_U64(node_stat(&v, 3, "writes"), 0);

    /* node 3 joins while records keep coming (a chunk every ~100 ms) */
    lever(&v, "testd-node:id=3;state=up");
    t_up = clock_mono_ms();
    while (node_stat(&v, 3, "writes") == 0 && (waited = clock_mono_ms() - t_up) < 10000 * test_timeout_scale()) {
        produce_range(v.bootstrap, "join", next, next + CHUNK, PARTS);
        next += CHUNK;
        sleep_ms(100);
    }
    if (node_stat(&v, 3, "writes") == 0) {
        err = tu_proc_stderr(v.sink);
        fputs(err, stderr);
        TEST_FAIL("node 3 got no write %llu ms after it came up", (unsigned long long)waited);
    }
    /* the tend interval is 1 s: the first write comes within a couple of tends */
    ASSERT_CMP_INT(waited, <, 3000 * test_timeout_scale());
    /* from now on node 3 masters about a third of the partitions: it gets its share */
    w3_join = node_stat(&v, 3, "writes");
    produce_range(v.bootstrap, "join", next, next + 30000, PARTS);
    next += 30000;
    ASSERT_EQ_INT(wait_records(&v, next, 120000), next);
    ASSERT_CMP_INT(node_stat(&v, 3, "writes") - w3_join, >, 30000 / 5);
    ASSERT_EQ_INT(tu_proc_stop(v.sink, SIGTERM, (int)(60000 * test_timeout_scale())), 0);
    err = tu_proc_stderr(v.sink);
    snprintf(what, sizeof(what), "Aerospike node %s (", n3);
    if (count_lines(err, what, ") joined") != 1) {
        fputs(err, stderr);
        TEST_FAIL("node %s joining was not logged exactly once", n3);
    }
    fprintf(stderr, "    node 3 got its first write %llu ms after it came up\n", (unsigned long long)waited);
    mem_free(err);
    env_free(&v);
}

TEST_LIST = {
    T(node_2_down_10s_mid_stream_every_record_lands_outage_logged_once_per_node),
    T(node_joining_mid_stream_gets_writes_after_the_next_tend),
    {0},
};
