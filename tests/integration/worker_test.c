/* Integration tests for the worker pipeline (no config files): kafka-mock -> worker -> testd. */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>

#include "../../src/app/metrics.h"
#include "../../src/mapping/mapping.h"
#include "../../src/worker/worker.h"
#include "../harness.h"
#include "../support/e2e.h"
#include "../support/testutil.h"

struct env {
    struct tu_proc *kafka, *aero;
    char bootstrap[256], hosts[256];
    struct aero_cluster *cluster;
    struct mapping *mapping;
    struct worker_topic topic;
    struct worker_config wc;
    struct worker *w;
    pthread_t tid;
    volatile sig_atomic_t stop;
    int rc;
    uint32_t batch_max;   /* rows per batch write; 0 = the product's default, 64 */
    bool breaker;         /* use the two below instead of the client's defaults */
    uint32_t max_error_rate, tend_interval_ms;
    uint32_t retry_backoff_max_ms;   /* 0 = the product's default, 5 s */
};

static const char *const consumer_props[] = {"fetch.wait.max.ms", "20", "session.timeout.ms", "6000",
                                             "heartbeat.interval.ms", "1000", NULL};
static const char *const json_props[] = {"schemas.enable", "false", NULL};

static void env_start(struct env *v, const char *topic_spec, const char *const aero_args[])
{
    const char *topics[] = {topic_spec, NULL};
    memset(v, 0, sizeof(*v));
    v->kafka = tu_kafka_start(topics, 1, v->bootstrap, sizeof(v->bootstrap));
    v->aero = tu_aerospike_start(aero_args, v->hosts, sizeof(v->hosts));
}

static void env_worker_q(struct env *v, const char *topic, const struct mapping_spec *spec, int threads,
                         uint32_t max_queued)
{
    struct err e = {0};
    struct aero_cluster_config cc;
    static const char *topics[2];

    aero_cluster_config_init(&cc);
    ASSERT_OK_E(aero_cluster_config_seeds(&cc, v->hosts, &e), &e);
    if (v->breaker) {
        cc.max_error_rate = v->max_error_rate;
        cc.tend_interval_ms = v->tend_interval_ms;
    }
    v->cluster = aero_cluster_new(&cc, &e);
    ASSERT_TRUE(v->cluster != NULL);
    v->mapping = mapping_new(spec, &e);
    ASSERT_TRUE(v->mapping != NULL);
    v->topic = (struct worker_topic){.name = topic, .mapping = v->mapping, .on_invalid = WORKER_IGNORE,
                                     .on_write_failure = WORKER_IGNORE, .total_timeout_ms = 1000};
    topics[0] = topic;
    v->wc = (struct worker_config){
        .name = "wtest", .bootstrap = v->bootstrap, .topics = topics, .consumer_props = consumer_props,
        .key_converter = "org.apache.kafka.connect.storage.StringConverter",
        .value_converter = "org.apache.kafka.connect.json.JsonConverter", .value_converter_props = json_props,
        .topic_cfgs = &v->topic, .n_topic_cfgs = 1, .processing_threads = threads, .max_queued_records = max_queued,
        .offset_flush_interval_ms = 300, .progress_interval_ms = 0, .drain_timeout_ms = 10000,
        .cluster = v->cluster, .log_level = LOG_WARN, .batch_max_records = v->batch_max ? v->batch_max : 64,
        .retry_backoff_max_ms = v->retry_backoff_max_ms,
    };
    v->w = worker_new(&v->wc, &e);
    if (!v->w)
        TEST_FAIL("worker_new: %s", e.msg);
}

static void env_worker(struct env *v, const char *topic, const struct mapping_spec *spec, int threads)
{
    env_worker_q(v, topic, spec, threads, 5000);
}

static void *run_thread(void *arg)
{
    struct env *v = arg;
    v->rc = worker_run(v->w, &v->stop);
    return NULL;
}

static void env_run(struct env *v)
{
    pthread_create(&v->tid, NULL, run_thread, v);
}

static int env_stop(struct env *v)
{
    v->stop = 1;
    pthread_join(v->tid, NULL);
    return v->rc;
}

static void env_free(struct env *v)
{
    worker_free(v->w);
    mapping_free(v->mapping);
    aero_cluster_free(v->cluster);
    tu_proc_free(v->kafka);
    tu_proc_free(v->aero);
}

static int user_value(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"name\":\"user-%d\",\"seq\":%d,\"score\":%d.25,\"tags\":[\"a\",%d],\"on\":%s}", i,
                    i, i, i, i % 2 ? "true" : "false");
}

static const struct mapping_spec users_spec = {
    .topic = "users", .op = MAPPING_OP_WRITE, .ns = {MAPPING_SRC_STATIC, "test"},
    .set = {MAPPING_SRC_STATIC, "users"}, .key_kind = MAPPING_KEY_KAFKA_KEY, .all_value_fields = true,
};

/* users_spec for topic @topic, writing to the set of the same name */
static struct mapping_spec users_spec_on(const char *topic)
{
    struct mapping_spec s = users_spec;
    s.topic = topic;
    s.set = (struct mapping_ref){MAPPING_SRC_STATIC, topic};
    return s;
}

TEST(records_arrive_with_exact_values_and_offsets_are_committed)
{
    struct env v;
    const int n = 20000;
    env_start(&v, "users:6", NULL);
    e2e_produce(v.bootstrap, "users", n, 6, "u-%d", user_value, NULL);
    env_worker(&v, "users", &users_spec, 2);
    env_run(&v);
    long got = e2e_wait_objects(v.hosts, "test", "users", n, 60000);
    ASSERT_EQ_INT(got, n);
    sleep_ms(800);   /* one more commit interval */
    ASSERT_EQ_INT(env_stop(&v), 0);

    struct worker_stats st;
    worker_stats(v.w, &st);
    ASSERT_EQ_U64(st.consumed, n);
    ASSERT_EQ_U64(st.written, n);
    ASSERT_EQ_U64(st.in_flight, 0);
    if (!tu_aerospike_is_real())   /* the writes went as batches (testd counts their rows) */
        ASSERT_EQ_INT(e2e_node_stat(v.hosts, "testd_batch_rows") > n / 2, 1);

    int64_t offs[6], sum = 0;
    e2e_committed(v.bootstrap, "connect-wtest", "users", 6, offs);
    for (int p = 0; p < 6; p++)
        sum += offs[p];
    ASSERT_EQ_INT(sum, n);   /* every partition committed to its end */

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < n; i += 997) {
        struct aero_record rec = {0};
        char key[32], s[64], want[64];
        snprintf(key, sizeof(key), "u-%d", i);
        ASSERT_OK(e2e_get_str(&a, "test", "users", key, &rec));
        snprintf(want, sizeof(want), "user-%d", i);
        ASSERT_EQ_STR(e2e_bin_str(&rec, "name", s, sizeof(s)), want);
        ASSERT_EQ_INT(e2e_bin_int(&rec, "seq"), i);
        struct aero_bin_view b;
        ASSERT_TRUE(aero_record_bin(&rec, "on", &b) && b.particle == AERO_PT_BOOL && b.value[0] == (i % 2));
        ASSERT_TRUE(aero_record_bin(&rec, "tags", &b) && b.particle == AERO_PT_LIST);
        ASSERT_TRUE(aero_record_bin(&rec, "score", &b) && b.particle == AERO_PT_FLOAT);
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    env_free(&v);
}

/* Values of 20 to ~730 bytes: both sides of what fits a cell (512 bytes with the message
 * header and the key), the padding a function of the record's number. */
static void sized_pad(int i, char *out)
{
    int pad = (i * 7) % 700;
    for (int k = 0; k < pad; k++)
        out[k] = (char)('a' + (i + k) % 26);
    out[pad] = '\0';
}

static int sized_value(int i, char *buf, size_t cap, void *ctx)
{
    char pad[704];
    (void)ctx;
    sized_pad(i, pad);
    return snprintf(buf, cap, "{\"seq\":%d,\"pad\":\"%s\"}", i, pad);
}

/* Messages that fit a cell are copied out of librdkafka's memory when the consumer takes them
 * (kafka_message_detach), larger ones stay there: records of both kinds arrive byte-exact. */
TEST(records_copied_out_of_librdkafka_or_left_there_arrive_exact)
{
    struct env v;
    const int n = 3000;
    struct mapping_spec spec = users_spec_on("sized");

    env_start(&v, "sized:4", NULL);
    e2e_produce(v.bootstrap, "sized", n, 4, "s-%d", sized_value, NULL);
    env_worker(&v, "sized", &spec, 2);
    env_run(&v);
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", "sized", n, 60000), n);
    ASSERT_EQ_INT(env_stop(&v), 0);

    struct worker_stats st;
    worker_stats(v.w, &st);
    ASSERT_EQ_U64(st.written, n);
    ASSERT_EQ_U64(st.in_flight, 0);
    if (st.detached < (uint64_t)n / 4 || st.detached > (uint64_t)n * 3 / 4)   /* ~60% fit */
        TEST_FAIL("%llu of %d messages detached: both kinds should be many",
                  (unsigned long long)st.detached, n);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[32], got[768], want[704];
        snprintf(key, sizeof(key), "s-%d", i);
        ASSERT_OK(e2e_get_str(&a, "test", "sized", key, &rec));
        sized_pad(i, want);
        ASSERT_EQ_STR(e2e_bin_str(&rec, "pad", got, sizeof(got)), want);
        ASSERT_EQ_INT(e2e_bin_int(&rec, "seq"), i);
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    env_free(&v);
}

/* @n writes over @keys keys, interleaved, on one partition: the last write of every key wins
 * and every write is applied once; with @log every write also appends its sequence number to
 * the record's list bin "log", which must then hold the key's writes in Kafka order. */
static void same_key_order(int n, int keys, bool log)
{
    struct env v;
    static const struct mapping_rop rops[] = {
        {MAPPING_ROP_WRITE, "seq", "seq", {0}, NULL, NULL},
        {MAPPING_ROP_LIST_APPEND, "log", "seq", {0}, NULL, NULL},
    };
    env_start(&v, "hot:1", NULL);
    /* n / keys writes per key, interleaved, on one partition */
    {
        /* produce manually: key = k-(i % keys), value seq = i */
        char errstr[256];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", v.bootstrap, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        for (int i = 0; i < n; i++) {
            char key[16], val[32];
            int kl = snprintf(key, sizeof(key), "k-%d", i % keys);
            int vl = snprintf(val, sizeof(val), "{\"seq\":%d}", i);
            while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("hot"), RD_KAFKA_V_PARTITION(0),
                                     RD_KAFKA_V_KEY(key, (size_t)kl), RD_KAFKA_V_VALUE(val, (size_t)vl),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
                   RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 10);
        }
        ASSERT_EQ_INT(rd_kafka_flush(rk, 30000), 0);
        rd_kafka_destroy(rk);
    }
    struct mapping_spec s = users_spec_on("hot");
    if (log) {
        s.op = MAPPING_OP_OPERATE;
        s.all_value_fields = false;
        s.rops = rops;
        s.n_rops = ARRAY_LEN(rops);
    }
    env_worker(&v, "hot", &s, 2);
    env_run(&v);
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", "hot", keys, 30000), keys);
    /* wait for the last write of every key */
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    uint64_t deadline = clock_mono_ms() + 60000;
    struct worker_stats st;
    do {
        worker_stats(v.w, &st);
        sleep_ms(50);
    } while (st.written < (uint64_t)n && clock_mono_ms() < deadline);
    ASSERT_EQ_U64(st.written, n);
    for (int k = 0; k < keys; k++) {
        struct aero_record rec = {0};
        char key[16];
        snprintf(key, sizeof(key), "k-%d", k);
        ASSERT_OK(e2e_get_str(&a, "test", "hot", key, &rec));
        ASSERT_EQ_INT(e2e_bin_int(&rec, "seq"), n - keys + k);   /* the last write won */
        ASSERT_EQ_INT(rec.generation, n / keys);                 /* every write applied once */
        if (log) {
            struct aero_bin_view b;
            struct aero_mp_reader r;
            struct aero_mp_item it;
            ASSERT_TRUE(aero_record_bin(&rec, "log", &b));
            aero_mp_reader_init(&r, b.value, b.value_len);
            ASSERT_OK(aero_mp_next(&r, &it));
            ASSERT_EQ_INT(it.type, AERO_MP_ARRAY);
            ASSERT_EQ_INT(it.n, n / keys);
            for (int j = 0; j < n / keys; j++) {
                ASSERT_OK(aero_mp_next(&r, &it));
                if (it.type != AERO_MP_INT || it.i != (int64_t)j * keys + k)
                    TEST_FAIL("key %s: write %d of the log is %lld, want %d (Kafka order)", key, j,
                              (long long)it.i, j * keys + k);
            }
        }
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    ASSERT_EQ_INT(env_stop(&v), 0);
    env_free(&v);
}

TEST(same_key_writes_keep_kafka_order)
{
    same_key_order(6000, 20, false);
}

/* Three keys: the records whose key digests a processing thread computes together (up to
 * eight at a time) hold the same key several times, and must still be written in Kafka
 * order: every write appends to a list, which must come out in order. */
TEST(same_key_writes_keep_kafka_order_within_a_digest_group)
{
    same_key_order(1500, 3, true);
}

/* testd started with @args, @n user records over 3 partitions, a worker with 2 threads
 * running: returns once all @n are in Aerospike. */
static void users_stream(struct env *v, const char *const args[], int n)
{
    env_start(v, "users:3", args);
    e2e_produce(v->bootstrap, "users", n, 3, "u-%d", user_value, NULL);
    env_worker(v, "users", &users_spec, 2);
    env_run(v);
    ASSERT_EQ_INT(e2e_wait_objects(v->hosts, "test", "users", n, 60000), n);
}

TEST(retriable_failures_are_retried_until_every_record_lands)
{
    struct env v;
    const int n = 5000;
    const char *args[] = {"--fail-rate", "0.2", NULL};
    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd's --fail-rate");
    users_stream(&v, args, n);
    ASSERT_EQ_INT(env_stop(&v), 0);
    struct worker_stats st;
    worker_stats(v.w, &st);
    ASSERT_EQ_U64(st.written, n);
    ASSERT_CMP_INT(st.retries, >, n / 10);   /* ~20% failed at least once */
    env_free(&v);
}

static uint64_t wait_written(struct env *v, uint64_t want, int timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;
    struct worker_stats st;
    do {
        worker_stats(v->w, &st);
        if (st.written >= want && st.in_flight == 0)
            break;
        sleep_ms(20);
    } while (clock_mono_ms() < deadline);
    return st.written;
}

/* The record path (fetch, dispatch, decode, map, encode, submit, reply, watermark, commit)
 * allocates nothing once warm: buffers, slots and documents are reused. librdkafka's own
 * allocations are not ours to count; everything of aerosink goes through mem_*. */
static void steady_state_allocations(uint32_t batch_max)
{
    struct env v;
    const int batch = 20000;
    env_start(&v, "alloc:4", NULL);
    v.batch_max = batch_max;
    env_worker_q(&v, "alloc", &(struct mapping_spec){.topic = "alloc", .op = MAPPING_OP_WRITE,
                                                    .ns = {MAPPING_SRC_STATIC, "test"},
                                                    .set = {MAPPING_SRC_STATIC, "alloc"},
                                                    .key_kind = MAPPING_KEY_KAFKA_KEY,
                                                    .all_value_fields = true}, 1, 256);
    env_run(&v);
    /* warm up, then measure phases until one runs without a rebalance (assignment changes
     * allocate partition state; they are not per record) */
    uint64_t allocs = UINT64_MAX;
    struct worker_stats st;
    for (int phase = 0; phase < 8 && allocs != 0; phase++) {
        worker_stats(v.w, &st);
        uint64_t before = mem_alloc_count(), reb = st.rebalances;
        e2e_produce(v.bootstrap, "alloc", batch, 4, "a-%d", user_value, NULL);
        ASSERT_EQ_U64(wait_written(&v, (uint64_t)batch * (uint64_t)(phase + 1), 60000),
                      (uint64_t)batch * (uint64_t)(phase + 1));
        worker_stats(v.w, &st);
        if (phase >= 2 && st.rebalances == reb)
            allocs = mem_alloc_count() - before;
    }
    ASSERT_EQ_INT(env_stop(&v), 0);
    if (allocs != 0)
        TEST_FAIL("%llu allocations for %d records after warm-up (%s)", (unsigned long long)allocs, batch,
                  batch_max > 1 ? "batch writes" : "single writes");
    if (!tu_aerospike_is_real()) {   /* the path measured is the one named */
        long long rows = e2e_node_stat(v.hosts, "testd_batch_rows");
        if (batch_max > 1 ? rows < batch : rows != 0)
            TEST_FAIL("%lld batch rows reached testd with batch-max-records %u", rows, batch_max);
    }
    env_free(&v);
}

TEST(steady_state_record_path_allocates_nothing)
{
    steady_state_allocations(64);
}

TEST(steady_state_record_path_allocates_nothing_with_single_writes)
{
    steady_state_allocations(1);
}

/* A server that refuses a whole batch (here: more rows than its batch-max-requests, 151, as
 * older servers with their default of 5000) must not fail the task or lose its records: they
 * are written singly, each exactly once. */
TEST(a_refused_batch_is_written_record_by_record)
{
    struct env v;
    const int n = 5000;
    const char *args[] = {"--batch-max-requests", "8", NULL};
    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd's --batch-max-requests");
    users_stream(&v, args, n);
    ASSERT_EQ_U64(wait_written(&v, n, 30000), n);
    ASSERT_EQ_INT(env_stop(&v), 0);
    struct worker_stats st;
    worker_stats(v.w, &st);
    ASSERT_EQ_U64(st.write_failures, 0);
    ASSERT_CMP_INT(e2e_node_stat(v.hosts, "batch_index_error"), >, 0);   /* batches were refused */
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < n; i += 101) {
        struct aero_record rec = {0};
        char key[32];
        snprintf(key, sizeof(key), "u-%d", i);
        ASSERT_OK(e2e_get_str(&a, "test", "users", key, &rec));
        ASSERT_EQ_INT(e2e_bin_int(&rec, "seq"), i);
        ASSERT_EQ_INT(rec.generation, 1);   /* written once */
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    env_free(&v);
}

/* Nodes older than 6.0 only know batch reads: they get single writes. */
TEST(nodes_before_6_0_get_single_writes)
{
    struct env v;
    const int n = 3000;
    const char *args[] = {"--build", "5.7.0.17", NULL};
    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd's --build");
    users_stream(&v, args, n);
    ASSERT_EQ_U64(wait_written(&v, n, 30000), n);
    ASSERT_EQ_INT(env_stop(&v), 0);
    ASSERT_EQ_INT(e2e_node_stat(v.hosts, "batch_index_initiate"), 0);
    ASSERT_EQ_INT(e2e_node_stat(v.hosts, "client_write_success"), n);
    env_free(&v);
}

static int mixed_value(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    if (i % 50 == 3)
        return -1;   /* tombstone */
    if (i % 50 == 7)
        return snprintf(buf, cap, "{\"a_field_name_longer_than_15\":%d}", i);   /* invalid */
    return user_value(i, buf, cap, NULL);
}

/* Sum every sample of @metric whose label set contains @with (NULL: any). -1 if absent. */
static double metric_sum(const char *text, const char *metric, const char *with)
{
    double sum = -1;
    size_t ml = strlen(metric);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, metric, ml) != 0 || (line[ml] != '{' && line[ml] != ' '))
            continue;
        const char *end = strchr(line, '\n');
        const char *sp = end ? end : line + strlen(line);
        while (sp > line && sp[-1] != ' ')
            sp--;
        if (with) {
            char l[1024];
            snprintf(l, sizeof(l), "%.*s", (int)(sp - line), line);
            if (!strstr(l, with))
                continue;
        }
        sum = (sum < 0 ? 0 : sum) + atof(sp);
    }
    return sum;
}

/* The exposition parses: comments are HELP/TYPE, every sample is name[{labels}] value. */
static void check_exposition(const char *text)
{
    int samples = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        ASSERT_TRUE(end != NULL);
        if (*line == '#') {
            ASSERT_TRUE(strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0);
        } else {
            const char *sp = end;
            while (sp > line && sp[-1] != ' ')
                sp--;
            ASSERT_TRUE(sp > line + 1);
            char *num_end;
            strtod(sp, &num_end);
            ASSERT_TRUE(num_end == end);
            for (const char *c = line; c < sp - 1 && *c != '{'; c++)
                ASSERT_TRUE((*c >= 'a' && *c <= 'z') || *c == '_' || (*c >= '0' && *c <= '9'));
            samples++;
        }
        line = end + 1;
    }
    ASSERT_CMP_INT(samples, >, 20);
}

TEST(metrics_counters_add_up_after_a_stream_with_faults)
{
    struct env v;
    const int n = 10000;
    const char *args[] = {"--fail-rate", "0.1", NULL};
    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd --fail-rate");
    env_start(&v, "mix:4", args);
    e2e_produce(v.bootstrap, "mix", n, 4, "m-%d", mixed_value, NULL);
    struct mapping_spec s = users_spec_on("mix");
    env_worker(&v, "mix", &s, 2);
    env_run(&v);
    int tomb = n / 50, invalid = n / 50, good = n - tomb - invalid;
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", "mix", good, 60000), good);
    ASSERT_EQ_U64(wait_written(&v, (uint64_t)good, 30000), good);
    sleep_ms(800);   /* a commit interval */
    struct buf out = BUF_INIT;
    struct app_metrics_source src = {"wtest", 0, v.w, v.cluster, 5000};
    ASSERT_OK(app_metrics_render(&src, 1, &out));
    const char *text = buf_cstr(&out);
    check_exposition(text);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_records_consumed_total", "topic=\"mix\""), n);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_records_written_total", NULL), good);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_records_skipped_total", "reason=\"tombstone\""), tomb);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_records_skipped_total", "reason=\"invalid\""), invalid);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_records_failed_total", NULL), 0);
    ASSERT_CMP_INT(metric_sum(text, "aerosink_write_retries_total", NULL), >, good / 20);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_partition_committed_offset", NULL), n);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_partition_position_offset", NULL), n);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_partition_in_flight_records", NULL), 0);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_in_flight_records", NULL), 0);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_write_latency_seconds_count", NULL), good);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_write_latency_seconds_bucket", "le=\"+Inf\""), good);
    /* a command is one record or a batch of up to 64 (the default batch-max-records) */
    ASSERT_CMP_INT(metric_sum(text, "aerosink_aerospike_commands_total", NULL), >=, good / 64);
    ASSERT_CMP_INT(metric_sum(text, "process_resident_memory_bytes", NULL), >, 1000000);
    buf_free(&out);
    ASSERT_EQ_INT(env_stop(&v), 0);
    env_free(&v);
}

static void expect_seq_ts(struct e2e_aero *a, const char *set, const char *key, int64_t seq, int64_t ts)
{
    struct aero_record rec = {0};
    enum status st = e2e_get_str(a, "test", set, key, &rec);
    if (st != ST_OK)
        TEST_FAIL("record %s: %s", key, status_name(st));
    ASSERT_EQ_INT(e2e_bin_int(&rec, "seq"), seq);
    ASSERT_EQ_INT(e2e_bin_int(&rec, "kafka_ts"), ts);
    aero_record_free(&rec);
}

/* stale-write-guard kafka-timestamp: 200 keys each get a record, then an older one (skipped:
 * counted as stale, not failed), then the even keys a newer one (written); each record stores
 * its timestamp in kafka_ts. With @batch_max 1 single writes carry the filter, else batch rows. */
static void stale_scenario(uint32_t batch_max)
{
    enum { KEYS = 200 };
    struct env v;
    int64_t t0 = (int64_t)clock_wall_ms() - 60000;   /* recent: a real broker keeps them */
    static struct e2e_msg msgs[KEYS * 3];
    static char keys[KEYS][16];
    int n = 0;

    for (int pass = 0; pass < 3; pass++)
        for (int k = 0; k < KEYS; k++) {
            if (pass == 2 && k % 2)
                continue;
            snprintf(keys[k], sizeof(keys[k]), "k%d", k);
            msgs[n++] = (struct e2e_msg){keys[k], pass == 0 ? "{\"seq\":1}" : pass == 1 ? "{\"seq\":2}" : "{\"seq\":3}",
                                         t0 + (pass == 0 ? 2000 : pass == 1 ? 1000 : 3000)};
        }
    env_start(&v, "stale:1", NULL);
    e2e_produce_at(v.bootstrap, "stale", 0, msgs, n);
    struct mapping_spec s = users_spec_on("stale");
    s.guard_kafka_ts = true;
    v.batch_max = batch_max;
    env_worker(&v, "stale", &s, 2);
    env_run(&v);
    struct worker_stats st;
    uint64_t deadline = clock_mono_ms() + 60000;
    do {
        sleep_ms(20);
        worker_stats(v.w, &st);
    } while (st.written + st.skipped_stale < (uint64_t)n && clock_mono_ms() < deadline);
    ASSERT_EQ_U64(st.written, KEYS + KEYS / 2);
    ASSERT_EQ_U64(st.skipped_stale, KEYS);
    ASSERT_EQ_U64(st.write_failures, 0);
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int k = 0; k < KEYS; k++)
        expect_seq_ts(&a, "stale", keys[k], k % 2 ? 1 : 3, t0 + (k % 2 ? 2000 : 3000));
    e2e_aero_close(&a);
    if (!tu_aerospike_is_real()) {
        long long rows = e2e_node_stat(v.hosts, "testd_batch_rows");
        ASSERT_EQ_INT(e2e_node_stat(v.hosts, "testd_filtered_out"), KEYS);
        if (batch_max == 1 ? rows != 0 : rows < KEYS)
            TEST_FAIL("%lld batch rows reached testd with batch-max-records %u", rows, batch_max);
    }
    ASSERT_EQ_INT(env_stop(&v), 0);
    env_free(&v);
}

TEST(stale_writes_are_skipped_by_kafka_timestamp_batch_writes)
{
    stale_scenario(0);
}

TEST(stale_writes_are_skipped_by_kafka_timestamp_single_writes)
{
    stale_scenario(1);
}

/* A node answering DEVICE_OVERLOAD to a fifth of the writes: the client's circuit breaker
 * (max-error-rate) refuses its commands for the rest of each window, the worker retries them
 * like any transient failure, and every record still lands, none failed or dead-lettered. */
TEST(an_overloaded_node_trips_the_circuit_breaker_and_every_record_still_lands)
{
    struct env v;
    const int n = 2000;
    const char *args[] = {"--fail-rate", "0.2", "--fail-codes", "18", NULL};
    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd's --fail-rate");
    env_start(&v, "ovl:2", args);
    e2e_produce(v.bootstrap, "ovl", n, 2, "u-%d", user_value, NULL);
    struct mapping_spec s = users_spec_on("ovl");
    v.batch_max = 1;                 /* single writes: a batch's rows do not count */
    v.breaker = true;
    v.max_error_rate = 40;
    v.tend_interval_ms = 200;        /* a 200 ms window */
    v.retry_backoff_max_ms = 400;    /* refused records come back within two windows */
    env_worker(&v, "ovl", &s, 2);
    env_run(&v);
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", "ovl", n, 90000), n);
    ASSERT_EQ_U64(wait_written(&v, (uint64_t)n, 30000), n);
    struct buf out = BUF_INIT;
    struct app_metrics_source src = {"wtest", 0, v.w, v.cluster, 5000};
    ASSERT_OK(app_metrics_render(&src, 1, &out));
    const char *text = buf_cstr(&out);
    ASSERT_CMP_INT(metric_sum(text, "aerosink_aerospike_refused_total", NULL), >, 0);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_records_failed_total", NULL), 0);
    ASSERT_EQ_INT(metric_sum(text, "aerosink_records_written_total", NULL), n);
    buf_free(&out);
    ASSERT_EQ_INT(env_stop(&v), 0);
    env_free(&v);
}

/* A Kafka 60 ms away (kafka-mock --rtt-ms: every answer comes 60 ms late): the safety net
 * that refetches a partition silent while Kafka has more must not fire before a fetch can
 * answer, or each refetch discards the answer in flight and almost nothing arrives (with the
 * net fixed at 10 ms, 30,000 of these 200,000 records in 60 s; at 30 ms the standalone
 * binary took 22 s for 10,000). It learns how long a refetch takes to answer. */
TEST(a_distant_kafka_is_not_refetched_to_a_standstill)
{
    static const char *const topics[] = {"far:4", NULL}, *const rtt[] = {"--rtt-ms", "60", NULL};
    const int n = 200000;
    struct env v;

    if (tu_kafka_is_real())
        TEST_SKIP("needs kafka-mock's --rtt-ms");
    memset(&v, 0, sizeof(v));
    v.kafka = tu_kafka_start_args(topics, 1, rtt, v.bootstrap, sizeof(v.bootstrap));
    v.aero = tu_aerospike_start(NULL, v.hosts, sizeof(v.hosts));
    e2e_produce(v.bootstrap, "far", n, 4, "f-%d", user_value, NULL);
    struct mapping_spec s = users_spec_on("far");
    env_worker_q(&v, "far", &s, 2, 32768);   /* the default: our queue rarely full */
    env_run(&v);
    /* fetching normally this takes a few seconds (each fetch brings up to 2 MiB) */
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", "far", n, 60000), n);
    ASSERT_EQ_U64(wait_written(&v, (uint64_t)n, 60000), n);
    ASSERT_EQ_INT(env_stop(&v), 0);
    env_free(&v);
}

TEST_LIST = {
    T(records_arrive_with_exact_values_and_offsets_are_committed),
    T(records_copied_out_of_librdkafka_or_left_there_arrive_exact),
    T(same_key_writes_keep_kafka_order),
    T(same_key_writes_keep_kafka_order_within_a_digest_group),
    T(a_distant_kafka_is_not_refetched_to_a_standstill),
    T(retriable_failures_are_retried_until_every_record_lands),
    T(steady_state_record_path_allocates_nothing),
    T(steady_state_record_path_allocates_nothing_with_single_writes),
    T(a_refused_batch_is_written_record_by_record),
    T(nodes_before_6_0_get_single_writes),
    T(metrics_counters_add_up_after_a_stream_with_faults),
    T(an_overloaded_node_trips_the_circuit_breaker_and_every_record_still_lands),
    T(stale_writes_are_skipped_by_kafka_timestamp_batch_writes),
    T(stale_writes_are_skipped_by_kafka_timestamp_single_writes),
    {0},
};
