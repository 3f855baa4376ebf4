/* tests/support/e2e.c: producer, counters and readers for end-to-end tests. */
#include "e2e.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "    e2e: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}

static rd_kafka_t *producer_new(const char *bootstrap)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "linger.ms", "10", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        die("producer: %s%s", errstr, "");
    return rk;
}

static void producer_close(rd_kafka_t *rk)
{
    if (rd_kafka_flush(rk, 60000))
        die("flush timed out%s%s", "", "");
    rd_kafka_destroy(rk);
}

void e2e_produce_at(const char *bootstrap, const char *topic, int partition, const struct e2e_msg *msgs, int n)
{
    rd_kafka_t *rk = producer_new(bootstrap);

    for (int i = 0; i < n; i++) {
        rd_kafka_resp_err_t r = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(msgs[i].key, strlen(msgs[i].key)),
            RD_KAFKA_V_VALUE((void *)(uintptr_t)msgs[i].value, strlen(msgs[i].value)),
            RD_KAFKA_V_TIMESTAMP(msgs[i].ts_ms),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (r)
            die("produce: %s%s", rd_kafka_err2str(r), "");
    }
    producer_close(rk);
}

void e2e_produce(const char *bootstrap, const char *topic, int n, int partitions, const char *key_fmt,
                 e2e_value_fn value_fn, void *ctx)
{
    char key[128];
    char *val = malloc(1 << 20);   /* not mem_*: allocation-counting tests run producers */
    rd_kafka_t *rk = producer_new(bootstrap);

    for (int i = 0; i < n; i++) {
        int kl = key_fmt ? snprintf(key, sizeof(key), key_fmt, i) : 0;
        int vl = value_fn(i, val, 1 << 20, ctx);
        rd_kafka_resp_err_t r;
        while ((r = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                      RD_KAFKA_V_PARTITION(partitions > 0 ? i % partitions : RD_KAFKA_PARTITION_UA),
                                      RD_KAFKA_V_KEY((key_fmt ? key : NULL), (size_t)kl),
                                      RD_KAFKA_V_VALUE((vl >= 0 ? val : NULL), (vl >= 0 ? (size_t)vl : 0)),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (r)
            die("produce: %s%s", rd_kafka_err2str(r), "");
    }
    producer_close(rk);
    free(val);
}

static long count_on(const char *host, uint16_t port, const char *ns, const char *set)
{
    struct buf out = BUF_INIT;
    struct err e = {0};
    char needle[160];
    long total = -1;

    if (aero_info_host(host, port, "sets", &out, 2000, &e) != ST_OK) {
        buf_free(&out);
        return -1;
    }
    buf_cstr(&out);
    snprintf(needle, sizeof(needle), "ns=%s:set=%s:", ns, set);
    const char *p = strstr((const char *)out.p, needle);
    total = 0;
    if (p) {
        const char *o = strstr(p, "objects=");
        const char *end = strchr(p, ';');
        if (o && (!end || o < end))
            total = strtol(o + 8, NULL, 10);
    }
    buf_free(&out);
    return total;
}

long long e2e_node_stat(const char *hosts, const char *name)
{
    struct buf out = BUF_INIT;
    struct err e = {0};
    struct aero_host h;
    char needle[128];
    long long v = -1;
    size_t first = strcspn(hosts, ",");

    if (aero_host_parse(hosts, first, 3000, &h, NULL) != ST_OK ||
        aero_info_host(h.name, h.port, "statistics", &out, 2000, &e) != ST_OK) {
        buf_free(&out);
        return -1;
    }
    buf_cstr(&out);
    snprintf(needle, sizeof(needle), "%s=", name);
    for (const char *p = strstr((const char *)out.p, needle); p; p = strstr(p + 1, needle))
        if (p == (const char *)out.p || p[-1] == ';' || p[-1] == '\t') {
            v = strtoll(p + strlen(needle), NULL, 10);
            break;
        }
    buf_free(&out);
    return v;
}

void e2e_create_topics(const char *bootstrap, const char *const topics[])
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    rd_kafka_NewTopic_t *nt[64];
    size_t n = 0;
    rd_kafka_queue_t *q;
    rd_kafka_event_t *ev;

    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))))
        die("admin client: %s%s", errstr, "");
    for (; topics && topics[n] && n < ARRAY_LEN(nt); n++) {
        char name[256];
        const char *colon = strrchr(topics[n], ':');
        int parts = colon ? atoi(colon + 1) : 1;
        snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - topics[n]) : (int)strlen(topics[n]), topics[n]);
        if (!(nt[n] = rd_kafka_NewTopic_new(name, parts, -1, errstr, sizeof(errstr))))
            die("topic %s: %s", name, errstr);
    }
    q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, nt, n, NULL, q);
    ev = rd_kafka_queue_poll(q, 30000);
    if (!ev)
        die("CreateTopics timed out on %s%s", bootstrap, "");
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    size_t cnt = 0;
    const rd_kafka_topic_result_t **tr = res ? rd_kafka_CreateTopics_result_topics(res, &cnt) : NULL;
    for (size_t i = 0; i < cnt; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(tr[i]);
        if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            die("create topic %s: %s", rd_kafka_topic_result_name(tr[i]), rd_kafka_err2str(err));
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy_array(nt, n);
    rd_kafka_destroy(rk);
}

long e2e_count_objects(const char *hosts, const char *ns, const char *set)
{
    char copy[1024];
    long sum = 0;
    char *save = NULL;

    snprintf(copy, sizeof(copy), "%s", hosts);
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct aero_host h;
        if (aero_host_parse(tok, strlen(tok), 3000, &h, NULL) != ST_OK)
            return -1;
        long c = count_on(h.name, h.port, ns, set);
        if (c < 0)
            return -1;
        sum += c;
        /* testd's nodes share one store: every node reports the same objects; a real
         * cluster reports each node's own master+replica objects. Count one node. */
        break;
    }
    return sum;
}

long e2e_wait_objects(const char *hosts, const char *ns, const char *set, long want, int timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;
    long c = -1;
    while (clock_mono_ms() < deadline) {
        c = e2e_count_objects(hosts, ns, set);
        if (c >= want)
            return c;
        sleep_ms(100);
    }
    return c;
}

void e2e_aero_open(struct e2e_aero *a, const char *hosts)
{
    struct aero_cluster_config cc;
    struct err e = {0};

    aero_cluster_config_init(&cc);
    if (aero_cluster_config_seeds(&cc, hosts, &e) != ST_OK)
        die("seeds %s: %s", hosts, e.msg);
    a->cluster = aero_cluster_new(&cc, &e);
    if (!a->cluster)
        die("cluster %s: %s", hosts, e.msg);
    a->cl = aero_client_new(a->cluster, NULL, &e);
    if (!a->cl)
        die("client %s: %s", hosts, e.msg);
}

void e2e_aero_close(struct e2e_aero *a)
{
    aero_client_free(a->cl);
    aero_cluster_free(a->cluster);
}

enum status e2e_get_str(struct e2e_aero *a, const char *ns, const char *set, const char *key,
                        struct aero_record *rec)
{
    struct aero_key k;
    struct aero_key_value v = {.type = AERO_PT_STRING, .p = (const uint8_t *)key, .n = strlen(key)};
    struct err e = {0};

    if (aero_key_init(&k, ns, set, &v, &e) != ST_OK)
        die("key: %s%s", e.msg, "");
    return aero_get(a->cl, NULL, &k, NULL, 0, rec, &e);
}

int64_t e2e_bin_int(const struct aero_record *rec, const char *bin)
{
    struct aero_bin_view b;
    if (!aero_record_bin(rec, bin, &b) || b.particle != AERO_PT_INTEGER || b.value_len != 8)
        die("bin '%s' missing or not an integer%s", bin, "");
    return (int64_t)load_u64be(b.value);
}

const char *e2e_bin_str(const struct aero_record *rec, const char *bin, char *out, size_t cap)
{
    struct aero_bin_view b;
    if (!aero_record_bin(rec, bin, &b) || b.particle != AERO_PT_STRING)
        die("bin '%s' missing or not a string%s", bin, "");
    snprintf(out, cap, "%.*s", (int)b.value_len, (const char *)b.value);
    return out;
}

void e2e_committed(const char *bootstrap, const char *group, const char *topic, int n, int64_t *out)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);

    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk)
        die("consumer: %s%s", errstr, "");
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topic, i);
    if (rd_kafka_committed(rk, l, 10000))
        die("committed offsets for %s%s", group, "");
    for (int i = 0; i < n; i++)
        out[i] = l->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}
