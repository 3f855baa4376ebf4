/* tests/support/fmt_e2e.c: see fmt_e2e.h. */
#include "fmt_e2e.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...) PRINTF_LIKE(1, 2) __attribute__((noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    fmt_e2e: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

const char *fmt_name(const char *base)
{
    static char bufs[8][128];
    static int slot, seq;
    char *b = bufs[slot = (slot + 1) % 8];
    snprintf(b, sizeof(bufs[0]), "%s-%d-%ld%d", base, (int)getpid(), (long)(time(NULL) % 100000), seq++);
    return b;
}

struct tu_proc *fmt_kafka_start(const char *const topics[], char *bootstrap, size_t cap)
{
    struct tu_proc *p = tu_kafka_start(topics, 1, bootstrap, cap);
    if (tu_kafka_is_real())
        e2e_create_topics(bootstrap, topics);
    return p;
}

struct fmt_producer {
    rd_kafka_t *rk;
};

struct fmt_producer *fmt_producer_new(const char *bootstrap)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct fmt_producer *p = calloc(1, sizeof(*p));   /* not mem_*: see e2e_produce */

    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr));
    if (!p || !(p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))))
        die("producer: %s", errstr);
    return p;
}

void fmt_send(struct fmt_producer *p, const char *topic, int partition, const void *key, size_t klen,
              const void *val, long vlen, const char *const headers[])
{
    rd_kafka_headers_t *hs = NULL;
    rd_kafka_resp_err_t r;
    void *vp = vlen >= 0 ? (void *)val : NULL;
    size_t vn = vlen >= 0 ? (size_t)vlen : 0;
    size_t kn = key ? klen : 0;

    if (headers && headers[0]) {
        hs = rd_kafka_headers_new(4);
        for (int i = 0; headers[i]; i += 2)
            rd_kafka_header_add(hs, headers[i], -1, headers[i + 1], headers[i + 1] ? -1 : 0);
    }
    for (;;) {
        rd_kafka_headers_t *copy = hs ? rd_kafka_headers_copy(hs) : NULL;
        r = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_KEY(key, kn), RD_KAFKA_V_VALUE(vp, vn),
                              RD_KAFKA_V_HEADERS(copy), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (r == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        if (copy)
            rd_kafka_headers_destroy(copy);
        if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            die("produce to %s: %s", topic, rd_kafka_err2str(r));
        rd_kafka_poll(p->rk, 10);
    }
    if (hs)
        rd_kafka_headers_destroy(hs);
    rd_kafka_poll(p->rk, 0);
}

void fmt_producer_free(struct fmt_producer *p)
{
    if (!p)
        return;
    if (rd_kafka_flush(p->rk, 60000))
        die("producer flush timed out");
    rd_kafka_destroy(p->rk);
    free(p);
}

const char *fmt_file(const char *dir, const char *name, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;
    const char *path;

    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    path = tu_write_file(dir, name, buf_cstr(&b));
    buf_free(&b);
    return path;
}

void fmt_seeds_yaml(const char *hosts, struct buf *out)
{
    const char *p = hosts;
    buf_append_str(out, "aerospike:\n  seeds:\n");
    while (*p) {
        size_t n = strcspn(p, ",");
        struct aero_host h;
        if (aero_host_parse(p, n, 3000, &h, NULL) != ST_OK)
            die("bad Aerospike host list %s", hosts);
        buf_printf(out, "    - %s: {port: %u}\n", h.name, h.port);
        p += n;
        if (*p == ',')
            p++;
    }
}

struct tu_proc *fmt_sink_start(const char *worker, const char *const conns[], const char *const extra[])
{
    const char *argv[48];
    int n = 0;

    argv[n++] = tu_bin("aerosink");
    argv[n++] = "standalone";
    argv[n++] = "--progress";
    argv[n++] = "0";
    for (int i = 0; extra && extra[i] && n < 30; i++)
        argv[n++] = extra[i];
    argv[n++] = worker;
    for (int i = 0; conns && conns[i] && n < 46; i++)
        argv[n++] = conns[i];
    argv[n] = NULL;
    return tu_proc_start(argv, NULL);
}

int fmt_sink_stop(struct tu_proc *p, int sig, int timeout_ms, char **log)
{
    double scale = getenv("TEST_TIMEOUT_SCALE") ? atof(getenv("TEST_TIMEOUT_SCALE")) : 1.0;
    int ms = (int)(timeout_ms * (scale > 0 ? scale : 1.0));
    int rc = sig ? tu_proc_stop(p, sig, ms) : tu_proc_wait(p, ms);

    if (rc == -2) {   /* still running after @timeout_ms */
        tu_proc_stop(p, SIGKILL, 5000);
        rc = -1;
    }
    tu_proc_drain(p, 1000);
    if (log) {
        struct buf b = BUF_INIT;
        char *err = tu_proc_stderr(p);
        buf_append_str(&b, err);
        buf_append_str(&b, tu_proc_stdout(p));
        mem_free(err);
        *log = (char *)(b.p ? b.p : (uint8_t *)mem_strdup(""));
        buf_cstr(&b);
    }
    return rc;
}

bool fmt_sanitizer_report(const char *log)
{
    return strstr(log, "AddressSanitizer") || strstr(log, "LeakSanitizer") || strstr(log, "runtime error:") ||
           strstr(log, "UndefinedBehaviorSanitizer");
}

int fmt_count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *hit = strstr(line, needle);
        if (hit && hit < line + len)
            n++;
        line = end ? end + 1 : NULL;
    }
    return n;
}

bool fmt_totals(const char *log, struct fmt_totals *t)
{
    const char *last = NULL;
    for (const char *p = log; (p = strstr(p, "| total in ")); p++)
        last = p;
    memset(t, 0, sizeof(*t));
    return last && sscanf(last, "| total in %lld written %lld deleted %lld skipped %lld dead-lettered %lld failed "
                                "%lld retries %lld",
                          &t->in, &t->written, &t->deleted, &t->skipped, &t->dead_lettered, &t->failed,
                          &t->retries) == 7;
}

struct aero_key_value fmt_key_str(const char *s)
{
    return (struct aero_key_value){.type = AERO_PT_STRING, .p = (const uint8_t *)s, .n = strlen(s)};
}

struct aero_key_value fmt_key_int(int64_t v)
{
    return (struct aero_key_value){.type = AERO_PT_INTEGER, .i = v};
}

enum status fmt_get(struct e2e_aero *a, const char *ns, const char *set, const struct aero_key_value *key,
                    struct aero_record *rec)
{
    struct aero_key k;
    struct err e = {0};
    if (aero_key_init(&k, ns, set, key, &e) != ST_OK)
        die("key: %s", e.msg);
    return aero_get(a->cl, NULL, &k, NULL, 0, rec, &e);
}

bool fmt_wait_record(struct e2e_aero *a, const char *ns, const char *set, const struct aero_key_value *key,
                     int timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;
    for (;;) {
        struct aero_record rec = {0};
        enum status st = fmt_get(a, ns, set, key, &rec);
        aero_record_free(&rec);
        if (st == ST_OK)
            return true;
        if (clock_mono_ms() >= deadline)
            return false;
        sleep_ms(100);
    }
}

int64_t fmt_ttl(const struct aero_record *rec)
{
    return aero_void_time_to_ttl(rec->void_time, clock_wall_ms() / 1000);
}

static bool skipped(const char *const skip[], const char *name, size_t n)
{
    for (int i = 0; skip && skip[i]; i++)
        if (str_eq(name, n, skip[i]))
            return true;
    return false;
}

int fmt_bin_count(const struct aero_record *rec)
{
    const uint8_t *cur = NULL;
    struct aero_bin_view b;
    int n = 0;
    while (aero_record_next_bin(rec, &cur, &b, NULL) == ST_OK)
        n++;
    return n;
}

bool fmt_bins_equal(const struct aero_record *a, const struct aero_record *b, const char *const skip[],
                    char *why, size_t cap)
{
    const uint8_t *cur = NULL;
    struct aero_bin_view x, y;
    int na = 0, nb = 0;

    while (aero_record_next_bin(a, &cur, &x, NULL) == ST_OK) {
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)x.name_len, x.name);
        if (skipped(skip, x.name, x.name_len))
            continue;
        na++;
        if (!aero_record_bin(b, name, &y)) {
            snprintf(why, cap, "bin '%s' missing from the second record", name);
            return false;
        }
        if (x.particle != y.particle) {
            snprintf(why, cap, "bin '%s': particle %u != %u", name, x.particle, y.particle);
            return false;
        }
        if (x.value_len != y.value_len || memcmp(x.value, y.value, x.value_len) != 0) {
            size_t o = (size_t)snprintf(why, cap, "bin '%s' (particle %u): bytes differ:\n      ", name, x.particle);
            for (uint32_t i = 0; i < x.value_len && o + 4 < cap / 2; i++)
                o += (size_t)snprintf(why + o, cap - o, "%02x", x.value[i]);
            o += (size_t)snprintf(why + o, cap - o, "\n      ");
            for (uint32_t i = 0; i < y.value_len && o + 4 < cap; i++)
                o += (size_t)snprintf(why + o, cap - o, "%02x", y.value[i]);
            return false;
        }
    }
    cur = NULL;
    while (aero_record_next_bin(b, &cur, &y, NULL) == ST_OK)
        if (!skipped(skip, y.name, y.name_len))
            nb++;
    if (na != nb) {
        snprintf(why, cap, "%d bins compared, but the second record has %d", na, nb);
        return false;
    }
    return true;
}
