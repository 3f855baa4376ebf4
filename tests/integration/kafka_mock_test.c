/* Integration tests for build/kafka-mock: the embedded Kafka every other test stands on. */
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include "../harness.h"
#include "../support/testutil.h"

#define N_RECORDS 10000
#define N_PARTS 6

static rd_kafka_t *make_client(rd_kafka_type_t type, const char *bootstrap, const char *const kv[])
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)))
        TEST_FAIL("conf: %s", errstr);
    for (int i = 0; kv && kv[i]; i += 2)
        if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], errstr, sizeof(errstr)))
            TEST_FAIL("conf %s: %s", kv[i], errstr);
    rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk)
        TEST_FAIL("rd_kafka_new: %s", errstr);
    return rk;
}

/* Produce @n records to @topic over @parts partitions. @broker_may_die: the test expects the
 * broker to exit while (or before) they are acknowledged, so an unfinished flush is not a
 * failure and what is left is purged. */
static void produce_all(const char *bootstrap, const char *topic, int n, int parts, size_t value_pad,
                        bool broker_may_die)
{
    static const char *const kv[] = {"linger.ms", "5", "queue.buffering.max.messages", "1000000", NULL};
    rd_kafka_t *rk = make_client(RD_KAFKA_PRODUCER, bootstrap, kv);
    char key[32], hdr[32];
    char *val = mem_malloc(value_pad + 64);

    for (int i = 0; i < n; i++) {
        int kl = snprintf(key, sizeof(key), "k%d", i);
        int vl = snprintf(val, 64, "v%d-", i);
        memset(val + vl, 'x', value_pad);
        vl += (int)value_pad;
        int hl = snprintf(hdr, sizeof(hdr), "%d", i);
        rd_kafka_headers_t *hs = rd_kafka_headers_new(2);
        rd_kafka_header_add(hs, "seq", -1, hdr, hl);
        rd_kafka_header_add(hs, "src", -1, "test", 4);
        rd_kafka_resp_err_t r;
        while ((r = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % parts),
                                      RD_KAFKA_V_KEY(key, (size_t)kl), RD_KAFKA_V_VALUE(val, (size_t)vl),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_HEADERS(hs), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (r)
            TEST_FAIL("produce %d: %s", i, rd_kafka_err2str(r));
    }
    if (rd_kafka_flush(rk, broker_may_die ? 5000 : 60000) && !broker_may_die)
        TEST_FAIL("flush timed out");
    if (broker_may_die)
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy(rk);
    mem_free(val);
}

/* Consumes up to @want messages (or until idle) in group @group; checks every message and
 * marks it in @seen. Returns how many it consumed. Commits what it consumed, then closes. */
static int consume_some(const char *bootstrap, const char *topic, const char *group, int want,
                        int linger_ms, uint8_t *seen)
{
    static const char *kv[] = {"group.id", NULL, "enable.auto.commit", "false",
                               "auto.offset.reset", "earliest", "session.timeout.ms", "6000",
                               "heartbeat.interval.ms", "1000", "fetch.wait.max.ms", "20", NULL};
    kv[1] = group;
    rd_kafka_t *rk = make_client(RD_KAFKA_CONSUMER, bootstrap, kv);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(1);
    int got = 0, idle_ms = 0;

    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_add(subs, topic, RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(rk, subs))
        TEST_FAIL("subscribe");
    rd_kafka_topic_partition_list_destroy(subs);
    uint64_t linger_until = 0;
    while (idle_ms < 20000) {
        if (got >= want) {   /* keep listening: anything more would be a repeat */
            if (!linger_until)
                linger_until = clock_mono_ms() + (uint64_t)linger_ms;
            if (clock_mono_ms() >= linger_until)
                break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            if (got > 0)
                idle_ms += 100;
            continue;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                TEST_FAIL("consume: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        idle_ms = 0;
        char key[32], val[64];
        snprintf(key, sizeof(key), "%.*s", (int)m->key_len, (const char *)m->key);
        int i = atoi(key + 1);
        if (key[0] != 'k' || i < 0 || i >= N_RECORDS)
            TEST_FAIL("unexpected key '%s'", key);
        if (seen[i])
            TEST_FAIL("record %d delivered twice (partition %d offset %lld)", i, m->partition,
                      (long long)m->offset);
        seen[i] = 1;
        ASSERT_EQ_INT(m->partition, i % N_PARTS);
        int vl = snprintf(val, sizeof(val), "v%d-", i);
        ASSERT_EQ_INT(m->len, (size_t)vl);
        ASSERT_EQ_MEM(m->payload, val, (size_t)vl);
        rd_kafka_headers_t *hs = NULL;
        const void *hv;
        size_t hlen;
        ASSERT_EQ_INT(rd_kafka_message_headers(m, &hs), RD_KAFKA_RESP_ERR_NO_ERROR);
        ASSERT_EQ_INT(rd_kafka_header_get_last(hs, "seq", &hv, &hlen), 0);
        ASSERT_EQ_INT(atoi(strndupa(hv, hlen)), i);
        ASSERT_EQ_INT(rd_kafka_header_get_last(hs, "src", &hv, &hlen), 0);
        ASSERT_EQ_MEM(hv, "test", 4);
        got++;
        rd_kafka_message_destroy(m);
    }
    if (got > 0 && rd_kafka_commit(rk, NULL, 0))
        TEST_FAIL("commit failed");
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return got;
}

TEST(produce_consume_resume_exactly)
{
    const char *topics[] = {"t6:6", NULL};
    char bootstrap[256];
    struct tu_proc *km = tu_kafka_start(topics, 1, bootstrap, sizeof(bootstrap));
    uint8_t *seen = mem_calloc(N_RECORDS, 1);

    produce_all(bootstrap, "t6", N_RECORDS, N_PARTS, 0, false);
    int first = consume_some(bootstrap, "t6", "g-resume", 6000, 0, seen);
    ASSERT_EQ_INT(first, 6000);
    int second = consume_some(bootstrap, "t6", "g-resume", N_RECORDS - 6000, 3000, seen);
    ASSERT_EQ_INT(second, N_RECORDS - 6000);
    for (int i = 0; i < N_RECORDS; i++)
        if (!seen[i])
            TEST_FAIL("record %d never consumed", i);
    mem_free(seen);
    if (km)
        ASSERT_EQ_INT(tu_proc_stop(km, SIGTERM, 10000), 0);
    tu_proc_free(km);
}

TEST(topic_gets_requested_partitions)
{
    const char *topics[] = {"six:6", "one:1", NULL};
    char bootstrap[256];
    if (tu_kafka_is_real())
        TEST_SKIP("kafka-mock only");
    struct tu_proc *km = tu_kafka_start(topics, 2, bootstrap, sizeof(bootstrap));
    rd_kafka_t *rk = make_client(RD_KAFKA_PRODUCER, bootstrap, NULL);
    const struct rd_kafka_metadata *md;
    int found = 0;

    ASSERT_EQ_INT(rd_kafka_metadata(rk, 1, NULL, &md, 5000), 0);
    ASSERT_EQ_INT(md->broker_cnt, 2);
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, "six") == 0) {
            ASSERT_EQ_INT(md->topics[i].partition_cnt, 6);
            found++;
        } else if (strcmp(md->topics[i].topic, "one") == 0) {
            ASSERT_EQ_INT(md->topics[i].partition_cnt, 1);
            found++;
        }
    }
    ASSERT_EQ_INT(found, 2);
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    /* the bootstrap line names the fixed, consecutive ports */
    int p0 = 0, p1 = 0;
    ASSERT_EQ_INT(sscanf(bootstrap, "127.0.0.1:%d,127.0.0.1:%d", &p0, &p1), 2);
    ASSERT_EQ_INT(p1, p0 + 1);
    tu_proc_free(km);
}

TEST(busy_port_exits_2_naming_the_port)
{
    const char *topics[] = {NULL};
    char bootstrap[256], port[16];
    if (tu_kafka_is_real())
        TEST_SKIP("kafka-mock only");
    struct tu_proc *km = tu_kafka_start(topics, 1, bootstrap, sizeof(bootstrap));
    snprintf(port, sizeof(port), "%s", strrchr(bootstrap, ':') + 1);
    const char *argv[] = {tu_bin("kafka-mock"), "--port", port, NULL};
    char *out = NULL;
    ASSERT_EQ_INT(tu_run(argv, 10000, &out), 2);
    ASSERT_CONTAINS(out, port);
    ASSERT_CONTAINS(out, "not available");
    mem_free(out);
    tu_proc_free(km);
}

TEST(bad_arguments_exit_2_with_one_line)
{
    const char *bad[][4] = {{"--brokers", "0", NULL}, {"--port", "70000", NULL},
                            {"--topic", "nopartitions", NULL}, {"--bogus", NULL},
                            {"--topic", "t:x", NULL}};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        const char *argv[5] = {tu_bin("kafka-mock"), bad[i][0], bad[i][1], NULL};
        char *out = NULL;
        ASSERT_EQ_INT(tu_run(argv, 10000, &out), 2);
        ASSERT_CONTAINS(out, "kafka-mock: ");
        ASSERT_EQ_INT(strchr(out, '\n') - out, (long)strlen(out) - 1); /* exactly one line */
        mem_free(out);
    }
}

static int64_t count_partition(const char *bootstrap, const char *topic, int64_t *low)
{
    rd_kafka_t *rk = make_client(RD_KAFKA_PRODUCER, bootstrap, NULL);
    int64_t lo = -1, hi = -1;
    ASSERT_EQ_INT(rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, 5000), 0);
    rd_kafka_destroy(rk);
    *low = lo;
    return hi;
}

TEST(retention_raised_past_the_mock_default)
{
    /* 40,000 x ~400 bytes = ~16 MiB into ONE partition: the bare mock keeps ~5 MiB. */
    const char *topics[] = {"big:1", NULL};
    char bootstrap[256];
    if (tu_kafka_is_real())
        TEST_SKIP("kafka-mock only");
    struct tu_proc *km = tu_kafka_start(topics, 1, bootstrap, sizeof(bootstrap));
    int64_t low;
    produce_all(bootstrap, "big", 40000, 1, 400, false);
    ASSERT_EQ_INT(count_partition(bootstrap, "big", &low), 40000);
    ASSERT_EQ_INT(low, 0);
    sleep_ms(1500);   /* let the watchdog look */
    ASSERT_TRUE(tu_proc_running(km));
    tu_proc_free(km);
}

TEST(lost_records_stop_the_broker_loudly)
{
    char portarg[16], line[256];
    if (tu_kafka_is_real())
        TEST_SKIP("kafka-mock only");
    snprintf(portarg, sizeof(portarg), "%d", tu_free_ports(1));
    const char *argv[] = {tu_bin("kafka-mock"), "--port", portarg, "--topic", "small:1",
                          "--retention-mb", "1", NULL};
    struct tu_proc *km = tu_proc_start(argv, NULL);
    ASSERT_TRUE(tu_proc_wait_line(km, "bootstrap.servers=", 10000, line, sizeof(line)));
    /* ~4 MiB: the mock exits as soon as it cuts records, possibly before it acknowledged all */
    produce_all(line + strlen("bootstrap.servers="), "small", 10000, 1, 400, true);
    ASSERT_EQ_INT(tu_proc_wait(km, 10000), 3);
    char *err = tu_proc_stderr(km);
    ASSERT_CONTAINS(err, "small[0] lost offsets 0..");
    mem_free(err);
    tu_proc_free(km);
}

TEST_LIST = {
    T(produce_consume_resume_exactly),
    T(topic_gets_requested_partitions),
    T(busy_port_exits_2_naming_the_port),
    T(bad_arguments_exit_2_with_one_line),
    T(retention_raised_past_the_mock_default),
    T(lost_records_stop_the_broker_loudly),
    {0},
};
