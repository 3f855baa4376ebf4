/* tests/integration/distributed_util.h: helpers for the distributed-mode and REST tests (one
 * include per test binary, after harness.h): an HTTP client (libcurl), JSON lookups, and a
 * cluster of `aerosink distributed` workers over kafka-mock + aerospike-testd (or the real
 * systems named by KAFKA_BOOTSTRAP / AEROSPIKE_HOSTS: topic, group and set names then get a
 * per-run suffix so runs do not see each other's data). */
#ifndef AEROSINK_DISTRIBUTED_UTIL_H
#define AEROSINK_DISTRIBUTED_UTIL_H

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include "../../src/convert/convert.h"
#include "../support/e2e.h"
#include "../support/testutil.h"

/* --- HTTP --- */

struct http {
    long code;
    struct buf body;
    char location[512];
};

static inline size_t http_write_(char *p, size_t sz, size_t n, void *ud)
{
    buf_append((struct buf *)ud, p, sz * n);
    return sz * n;
}

static inline size_t http_header_(char *p, size_t sz, size_t n, void *ud)
{
    struct http *r = ud;
    size_t len = sz * n;
    if (len > 10 && strncasecmp(p, "Location:", 9) == 0) {
        size_t a = 9, b = len;
        while (a < b && p[a] == ' ')
            a++;
        while (b > a && (p[b - 1] == '\r' || p[b - 1] == '\n'))
            b--;
        snprintf(r->location, sizeof(r->location), "%.*s", (int)(b - a), p + a);
    }
    return len;
}

/* @method @base@path with @body (JSON; NULL: none). Returns the status (0: no answer). */
static inline long http_do(const char *method, const char *base, const char *path, const char *body, struct http *r)
{
    char url[1024];
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;

    buf_free(&r->body);
    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write_);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    buf_cstr(&r->body);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return r->code;
}

static inline const char *http_body(struct http *r)
{
    return r->body.p ? (const char *)r->body.p : "";
}

/* --- JSON --- */

/* Parse @text into @d (fails the test on bad JSON); returns the root. */
static inline const struct conv_value *json_root(struct conv_doc *d, const char *text)
{
    struct err e = {0};
    if (conv_json_parse(d, (const uint8_t *)text, strlen(text), &e) != ST_OK || !conv_doc_root(d))
        TEST_FAIL("not JSON (%s): %s", e.msg, text);
    return conv_doc_root(d);
}

/* Member @path ("a/b/c": keys hold dots; a numeric part indexes a list) of @v, NULL if absent. */
static inline const struct conv_value *jget(const struct conv_doc *d, const struct conv_value *v, const char *path)
{
    char part[128];
    while (v && *path) {
        const char *dot = strchr(path, '/');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(part, sizeof(part), "%.*s", (int)n, path);
        if (v->type == CONV_LIST) {
            long idx = strtol(part, NULL, 10);
            const struct conv_value *it = conv_first(d, v);
            for (long i = 0; it && i < idx; i++)
                it = conv_next(d, it, v);
            v = it;
        } else {
            v = conv_map_get(d, v, part, n);
        }
        path = dot ? dot + 1 : path + n;
    }
    return v;
}

/* String member as a C string (copied into a rotating buffer); "" when absent or not a string. */
static inline const char *jstr(const struct conv_doc *d, const struct conv_value *v, const char *path)
{
    static char bufs[8][1024];
    static int slot;
    const struct conv_value *x = jget(d, v, path);
    char *b = bufs[slot = (slot + 1) % 8];
    b[0] = '\0';
    if (x && x->type == CONV_STRING)
        snprintf(b, sizeof(bufs[0]), "%.*s", (int)x->s.n, x->s.p);
    return b;
}

static inline long jcount(const struct conv_doc *d, const struct conv_value *v, const char *path)
{
    const struct conv_value *x = jget(d, v, path);
    return x && (x->type == CONV_LIST || x->type == CONV_MAP) ? (long)x->count : -1;
}

/* --- Kafka --- */

static inline void du_quiet_log_(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

/* The cluster id of the Kafka at @bootstrap, asked by a client of the test's own ("" when
 * it does not answer in 10 s). Returns a static buffer. */
static inline const char *du_kafka_cluster_id(const char *bootstrap)
{
    static char id[128];
    char es[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    id[0] = '\0';
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, es, sizeof(es));
    rd_kafka_conf_set_log_cb(conf, du_quiet_log_);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
    if (!rk)
        TEST_FAIL("kafka client: %s", es);
    char *cid = rd_kafka_clusterid(rk, 10000);
    if (cid) {
        snprintf(id, sizeof(id), "%s", cid);
        rd_kafka_mem_free(rk, cid);
    }
    rd_kafka_destroy(rk);
    return id;
}

/* --- A cluster --- */

#define DU_MAX_WORKERS 6

struct du {
    struct tu_proc *kafka, *aero;
    char bootstrap[256], hosts[256];
    char aero_host[128];
    int aero_port;
    const char *dir;
    char sfx[32];                  /* "" on the fakes; "-<pid>" on real systems */
    char topic[64], cfg_topic[64], status_topic[64], group[64], set[64];
    int base_port;
    struct tu_proc *w[DU_MAX_WORKERS];
    char url[DU_MAX_WORKERS][64];
    char id[DU_MAX_WORKERS][64];
};

/* Kafka (data topic @topic with @parts partitions, 1-partition config and status topics) and
 * Aerospike; nothing runs aerosink yet. */
static inline void du_start(struct du *u, const char *topic, int parts)
{
    char t1[96], t2[96], t3[96];
    memset(u, 0, sizeof(*u));
    if (tu_kafka_is_real() || tu_aerospike_is_real())
        snprintf(u->sfx, sizeof(u->sfx), "-%d", (int)getpid());
    snprintf(u->topic, sizeof(u->topic), "%s%s", topic, u->sfx);
    snprintf(u->cfg_topic, sizeof(u->cfg_topic), "aerosink-configs%s", u->sfx);
    snprintf(u->status_topic, sizeof(u->status_topic), "aerosink-status%s", u->sfx);
    snprintf(u->group, sizeof(u->group), "aerosink-cluster%s", u->sfx);
    snprintf(u->set, sizeof(u->set), "%s%s", topic, u->sfx);
    snprintf(t1, sizeof(t1), "%s:%d", u->topic, parts);
    snprintf(t2, sizeof(t2), "%s:1", u->cfg_topic);
    snprintf(t3, sizeof(t3), "%s:1", u->status_topic);
    const char *topics[] = {t1, t2, t3, NULL};
    u->kafka = tu_kafka_start(topics, 1, u->bootstrap, sizeof(u->bootstrap));
    u->aero = tu_aerospike_start(NULL, u->hosts, sizeof(u->hosts));
    char *colon = strrchr(u->hosts, ':');
    snprintf(u->aero_host, sizeof(u->aero_host), "%.*s", colon ? (int)(colon - u->hosts) : 0, u->hosts);
    u->aero_port = colon ? atoi(colon + 1) : 3000;
    u->dir = mem_strdup(tu_tmpdir());
    u->base_port = tu_free_ports(DU_MAX_WORKERS);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* A mapping of the data topic: key from the Kafka key, bins from @bins (YAML lines under
 * `bins:`; NULL: all value fields). */
static inline const char *du_mapping(struct du *u, const char *file, const char *bins)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "processing-threads: 2\n"
             "aerospike:\n"
             "  seeds:\n"
             "    - %s:\n"
             "        port: %d\n"
             "topics:\n"
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins:\n"
             "%s",
             u->aero_host, u->aero_port, u->topic, u->set,
             bins ? bins : "        type: multi-bins\n        all-value-fields: true\n");
    return tu_write_file(u->dir, file, text);
}

/* Start worker @i (0-based) listening on base_port + i, with @extra worker properties
 * ("k=v\n" lines, NULL: none) and command-line options @opts (NULL-terminated, NULL: none);
 * waits for its /health. */
static inline void du_worker_opts(struct du *u, int i, const char *extra, const char *const *opts)
{
    char name[32], text[3072];
    struct http r = {0};

    snprintf(u->url[i], sizeof(u->url[i]), "http://127.0.0.1:%d", u->base_port + i);
    snprintf(u->id[i], sizeof(u->id[i]), "127.0.0.1:%d", u->base_port + i);
    snprintf(name, sizeof(name), "worker%d.properties", i + 1);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\n"
             "group.id=%s\n"
             "config.storage.topic=%s\n"
             "status.storage.topic=%s\n"
             "offset.storage.topic=aerosink-offsets%s\n"
             "listeners=http://127.0.0.1:%d\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=1000\n"
             "session.timeout.ms=6000\n"
             "heartbeat.interval.ms=1000\n"
             "consumer.session.timeout.ms=6000\n"
             "consumer.heartbeat.interval.ms=1000\n"
             "consumer.fetch.wait.max.ms=20\n"
             "%s",
             u->bootstrap, u->group, u->cfg_topic, u->status_topic, u->sfx, u->base_port + i, extra ? extra : "");
    const char *props = tu_write_file(u->dir, name, text);
    const char *argv[16] = {tu_bin("aerosink"), "distributed", "--progress", "0"};
    int n = 4;
    for (int k = 0; opts && opts[k] && n < 14; k++)
        argv[n++] = opts[k];
    argv[n++] = props;
    u->w[i] = tu_proc_start(argv, NULL);
    if (!tu_proc_wait_line(u->w[i], "listening ", 30000, NULL, 0)) {
        char *err = tu_proc_stderr(u->w[i]);
        TEST_FAIL("worker %d did not start:\n%s", i + 1, err);
    }
    uint64_t deadline = clock_mono_ms() + 30000;
    while (http_do("GET", u->url[i], "/health", NULL, &r) != 200) {
        if (clock_mono_ms() > deadline)
            TEST_FAIL("worker %d not healthy: %ld %s", i + 1, r.code, http_body(&r));
        sleep_ms(100);
    }
    buf_free(&r.body);
}

static inline void du_worker_with(struct du *u, int i, const char *extra)
{
    du_worker_opts(u, i, extra, NULL);
}

static inline void du_worker(struct du *u, int i)
{
    du_worker_with(u, i, NULL);
}

/* The connector's REST body: topics, tasks.max and the mapping file. */
static inline const char *du_connector_json(struct du *u, const char *name, int tasks, const char *mapping_path)
{
    static char body[2048];
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"config\":{\"connector.class\":\"com.aerospike.connect.kafka.inbound."
             "AerospikeSinkConnector\",\"tasks.max\":\"%d\",\"topics\":\"%s\",\"aerospike.config.file\":\"%s\"}}",
             name, tasks, u->topic, mapping_path);
    return body;
}

/* Fails the test when worker @i printed a line of librdkafka's own (aerosink routes them
 * through its log, in its format). */
static inline void du_no_raw_librdkafka_lines(struct du *u, int i)
{
    char *err = tu_proc_stderr(u->w[i]);
    const char *l = tu_raw_librdkafka_line(err);
    if (l) {
        size_t n = strlen(err);
        TEST_FAIL("worker %d: a raw librdkafka log line in its stderr: %.80s\n---- stderr (tail) ----\n%s", i + 1,
                  l, n > 6000 ? err + n - 6000 : err);
    }
    mem_free(err);
}

static inline void du_free(struct du *u)
{
    /* every worker still running stops cleanly on SIGTERM (under ASan: without leaks); none
     * printed a raw librdkafka line, running or not */
    for (int i = 0; i < DU_MAX_WORKERS; i++) {
        if (u->w[i] && tu_proc_running(u->w[i])) {
            int rc = tu_proc_stop(u->w[i], SIGTERM, 30000);
            if (rc != 0) {
                char *err = tu_proc_stderr(u->w[i]);
                TEST_FAIL("worker %d exited %d on SIGTERM:\n%s", i + 1, rc, err);
            }
        }
        if (u->w[i])
            du_no_raw_librdkafka_lines(u, i);
        tu_proc_free(u->w[i]);
    }
    tu_proc_free(u->kafka);
    tu_proc_free(u->aero);
    mem_free((void *)u->dir);
    curl_global_cleanup();
}

/* Task states of GET /connectors/@name/status from @base: "RUNNING@id,RUNNING@id" etc. in
 * @out; returns the HTTP code. */
static inline long du_tasks(const char *base, const char *name, char *out, size_t cap)
{
    struct http r = {0};
    char path[256];
    struct conv_doc *d = conv_doc_new();
    out[0] = '\0';
    snprintf(path, sizeof(path), "/connectors/%s/status", name);
    long code = http_do("GET", base, path, NULL, &r);
    if (code == 200) {
        const struct conv_value *root = json_root(d, http_body(&r));
        size_t len = 0;
        for (long i = 0; i < jcount(d, root, "tasks"); i++) {
            char p1[64], p2[64];
            snprintf(p1, sizeof(p1), "tasks/%ld/state", i);
            snprintf(p2, sizeof(p2), "tasks/%ld/worker_id", i);
            len += (size_t)snprintf(out + len, cap - MIN(len, cap), "%s%s@%s", i ? "," : "", jstr(d, root, p1),
                                    jstr(d, root, p2));
            if (len >= cap)
                break;
        }
    }
    conv_doc_free(d);
    buf_free(&r.body);
    return code;
}

#endif
