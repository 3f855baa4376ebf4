/* tests/support/standalone.c: environments, config files, process checks, progress lines,
 * offsets, producer and typed reads for `aerosink standalone` end-to-end tests. */
#include "standalone.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void sa_die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    standalone: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    exit(1);
}

int sa_ms(int ms)
{
    const char *s = getenv("TEST_TIMEOUT_SCALE");
    double f = s ? atof(s) : 1.0;
    return (int)(ms * (f > 0 ? f : 1.0));
}

/* ------------------------------------------------------------------------------------ */

void sa_env_init(struct sa_env *v)
{
    static unsigned seq;
    memset(v, 0, sizeof(*v));
    snprintf(v->id, sizeof(v->id), "%ld%u%03u", (long)getpid(), (unsigned)(clock_wall_ms() % 100000), ++seq);
    snprintf(v->dir, sizeof(v->dir), "%s", tu_tmpdir());
}

const char *sa_name(struct sa_env *v, const char *base)
{
    if (v->n_names == (int)ARRAY_LEN(v->names))
        sa_die("too many names");
    char *o = v->names[v->n_names++];
    snprintf(o, sizeof(v->names[0]), "%s-%s", base, v->id);
    return o;
}

void sa_env_start(struct sa_env *v, const char *const topics[], const char *const aero_args[])
{
    v->kafka = tu_kafka_start(topics, 1, v->bootstrap, sizeof(v->bootstrap));
    if (tu_kafka_is_real())
        e2e_create_topics(v->bootstrap, topics);
    v->aero = tu_aerospike_start(aero_args, v->hosts, sizeof(v->hosts));
}

void sa_env_free(struct sa_env *v)
{
    tu_proc_free(v->kafka);
    tu_proc_free(v->aero);
    v->kafka = v->aero = NULL;
}

static const char *keep_path(struct sa_env *v, const char *p)
{
    if (v->n_paths == (int)ARRAY_LEN(v->paths))
        sa_die("too many config files");
    char *o = v->paths[v->n_paths++];
    snprintf(o, sizeof(v->paths[0]), "%s", p);
    return o;
}

const char *sa_worker(struct sa_env *v, const char *extra)
{
    struct buf b = BUF_INIT;
    const char *p;
    buf_printf(&b,
               "# worker properties written by the e2e test\n"
               "bootstrap.servers=%s\n"
               "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
               "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
               "value.converter.schemas.enable=false\n"
               "offset.flush.interval.ms=300\n"
               "consumer.fetch.wait.max.ms=20\n"
               "consumer.session.timeout.ms=6000\n"
               "consumer.heartbeat.interval.ms=1000\n"
               "%s",
               v->bootstrap, extra ? extra : "");
    p = keep_path(v, tu_write_file(v->dir, "worker.properties", buf_cstr(&b)));
    buf_free(&b);
    return p;
}

const char *sa_connector(struct sa_env *v, const char *name, const char *topics_csv, const char *top,
                         const char *topics_yaml, const char *extra)
{
    struct buf y = BUF_INIT, c = BUF_INIT;
    char copy[512], fname[300];
    char *save = NULL;
    const char *p;

    buf_printf(&y, "# mapping written by the e2e test\n%saerospike:\n  seeds:\n", top ? top : "");
    snprintf(copy, sizeof(copy), "%s", v->hosts);
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct aero_host h;
        if (aero_host_parse(tok, strlen(tok), 3000, &h, NULL) != ST_OK)
            sa_die("bad host %s", tok);
        buf_printf(&y, "    - %s:\n        port: %u\n", h.name, (unsigned)h.port);
    }
    buf_printf(&y, "topics:\n%s", topics_yaml);
    snprintf(fname, sizeof(fname), "%s.yml", name);
    tu_write_file(v->dir, fname, buf_cstr(&y));
    buf_printf(&c,
               "name=%s\n"
               "connector.class=com.aerospike.connect.kafka.inbound.AerospikeSinkConnector\n"
               "tasks.max=1\n"
               "topics=%s\n"
               "aerospike.config.file=%s.yml\n"
               "%s",
               name, topics_csv, name, extra ? extra : "");
    snprintf(fname, sizeof(fname), "%s.properties", name);
    p = keep_path(v, tu_write_file(v->dir, fname, buf_cstr(&c)));
    buf_free(&y);
    buf_free(&c);
    return p;
}

/* ------------------------------------------------------------------------------------ */

struct tu_proc *sa_start(const char *worker, const char *connector, const char *const more[],
                         const char *const opts[], const char *const env[])
{
    const char *argv[48];
    int n = 0;
    argv[n++] = tu_bin("aerosink");
    argv[n++] = "standalone";
    argv[n++] = "--progress";
    argv[n++] = "1";
    for (int i = 0; opts && opts[i] && n < 24; i++)
        argv[n++] = opts[i];
    argv[n++] = worker;
    argv[n++] = connector;
    for (int i = 0; more && more[i] && n < 46; i++)
        argv[n++] = more[i];
    argv[n] = NULL;
    return tu_proc_start(argv, env);
}

static void dump_tail(const char *who, const char *text)
{
    size_t n = strlen(text);
    const char *from = n > 6000 ? text + n - 6000 : text;
    fprintf(stderr, "    ---- %s stderr (last %zu bytes) ----\n%s    ----\n", who, strlen(from), from);
}

bool sa_wait_log(struct tu_proc *p, const char *needle, int timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)sa_ms(timeout_ms);
    for (;;) {
        char *err = tu_proc_stderr(p);
        bool found = strstr(err, needle) != NULL;
        if (found) {
            mem_free(err);
            return true;
        }
        if (!tu_proc_running(p)) {
            dump_tail("aerosink", err);
            mem_free(err);
            sa_die("aerosink exited (code %d) before logging \"%s\"", tu_proc_wait(p, 0), needle);
        }
        mem_free(err);
        if (clock_mono_ms() >= deadline)
            return false;
        sleep_ms(50);
    }
}

void sa_no_sanitizer_report(const char *who, const char *text)
{
    static const char *const marks[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                                        "UndefinedBehaviorSanitizer", "WARNING: ThreadSanitizer",
                                        "SUMMARY: AddressSanitizer", NULL};
    for (int i = 0; marks[i]; i++)
        if (strstr(text, marks[i])) {
            dump_tail(who, text);
            sa_die("%s: sanitizer report in its stderr (\"%s\")", who, marks[i]);
        }
}

/* librdkafka prints "%LEVEL|TIME|FAC|..." to stderr unless its log callback is set: aerosink
 * routes those lines through its own log, so none may appear raw. */
static void no_raw_librdkafka_lines(const char *text)
{
    const char *l = tu_raw_librdkafka_line(text);
    if (l) {
        dump_tail("aerosink", text);
        sa_die("aerosink: a raw librdkafka log line in its stderr: %.80s", l);
    }
}

char *sa_end(struct tu_proc *p, int sig, int want_rc, int timeout_ms)
{
    int rc = sig ? tu_proc_stop(p, sig, sa_ms(timeout_ms)) : tu_proc_wait(p, sa_ms(timeout_ms));
    char *err;

    if (rc == -2) {   /* still running after the wait */
        tu_proc_stop(p, SIGKILL, 5000);
        err = tu_proc_stderr(p);
        dump_tail("aerosink", err);
        sa_die("aerosink did not exit within %d ms (wanted exit %d)", sa_ms(timeout_ms), want_rc);
    }
    err = tu_proc_stderr(p);
    tu_proc_free(p);
    if (getenv("SA_SHOW"))   /* debugging aid: every aerosink's whole stderr */
        fprintf(stderr, "    ---- aerosink stderr (exit %d) ----\n%s    ----\n", rc, err);
    sa_no_sanitizer_report("aerosink", err);
    no_raw_librdkafka_lines(err);
    if (rc != want_rc) {
        dump_tail("aerosink", err);
        sa_die("aerosink exit code %d, expected %d%s", rc, want_rc, rc == -1 ? " (had to be killed)" : "");
    }
    return err;
}

/* ------------------------------------------------------------------------------------ */

static long long num_after(const char *s, const char *label)
{
    const char *p = strstr(s, label);
    return p ? strtoll(p + strlen(label), NULL, 10) : -1;
}

bool sa_parse_last_stats(const char *text, struct sa_stats *s)
{
    const char *last = NULL, *p = text;
    char line[1024];

    memset(s, 0, sizeof(*s));
    while ((p = strstr(p, "| total in ")) != NULL) {
        last = p;
        p++;
    }
    if (!last)
        return false;
    while (last > text && last[-1] != '\n')
        last--;
    const char *nl = strchr(last, '\n');
    size_t n = nl ? (size_t)(nl - last) : strlen(last);
    snprintf(line, sizeof(line), "%.*s", (int)MIN(n, sizeof(line) - 1), last);
    s->in = num_after(line, "total in ");
    s->written = num_after(line, " written ");
    s->deleted = num_after(line, " deleted ");
    s->skipped = num_after(line, " skipped ");
    s->dead_lettered = num_after(line, " dead-lettered ");
    s->failed = num_after(line, " failed ");
    s->retries = num_after(line, " retries ");
    s->lag = num_after(line, "| lag ");
    s->in_flight = num_after(line, " in-flight ");
    s->paused = strstr(line, "(paused)") != NULL;
    s->valid = s->in >= 0 && s->written >= 0 && s->retries >= 0;
    return s->valid;
}

bool sa_stats_now(struct tu_proc *p, struct sa_stats *s)
{
    char *err = tu_proc_stderr(p);
    bool ok = sa_parse_last_stats(err, s);
    mem_free(err);
    return ok;
}

bool sa_wait_out(struct tu_proc *p, long long want_out, int timeout_ms, struct sa_stats *s)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)sa_ms(timeout_ms);
    for (;;) {
        if (sa_stats_now(p, s) && s->written + s->deleted + s->skipped + s->dead_lettered >= want_out)
            return true;
        if (!tu_proc_running(p) || clock_mono_ms() >= deadline)
            return false;
        sleep_ms(100);
    }
}

long sa_wait_objects(struct tu_proc *p, const char *hosts, const char *ns, const char *set, long want,
                     int timeout_ms)
{
    long got = e2e_wait_objects(hosts, ns, set, want, sa_ms(timeout_ms));
    if (got != want) {
        char *err = tu_proc_stderr(p);
        dump_tail("aerosink", err);
        mem_free(err);
        sa_die("%s/%s: %ld objects after %d ms, expected %ld (aerosink %s)", ns, set, got, sa_ms(timeout_ms), want,
               tu_proc_running(p) ? "still running" : "exited");
    }
    return got;
}

int sa_count2(const char *text, const char *a, const char *b)
{
    int n = 0;
    const char *line = text;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *l = mem_strndup(line, len);
        if (strstr(l, a) && (!b || strstr(l, b)))
            n++;
        mem_free(l);
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

int sa_count(const char *text, const char *needle)
{
    return sa_count2(text, needle, NULL);
}

/* ------------------------------------------------------------------------------------ */

long long sa_committed(const char *bootstrap, const char *group, const char *topic, int n, int64_t *out)
{
    int64_t tmp[256];
    long long sum = 0;
    if (n > 256)
        sa_die("too many partitions");
    e2e_committed(bootstrap, group, topic, n, tmp);
    for (int i = 0; i < n; i++) {
        int64_t o = tmp[i] < 0 ? 0 : tmp[i];
        if (out)
            out[i] = o;
        sum += o;
    }
    return sum;
}

long long sa_wait_committed(const char *bootstrap, const char *group, const char *topic, int n, long long want,
                            int timeout_ms, int64_t *out)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)sa_ms(timeout_ms);
    long long sum;
    for (;;) {
        sum = sa_committed(bootstrap, group, topic, n, out);
        if (sum == want || clock_mono_ms() >= deadline)
            return sum;
        sleep_ms(200);
    }
}

/* ------------------------------------------------------------------------------------ */

void sa_produce(const char *bootstrap, const char *topic, int n, sa_rec_fn fn, void *ctx)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    struct sa_rec *r = mem_calloc(1, sizeof(*r));

    r->val_cap = 1 << 20;
    r->val = mem_malloc(r->val_cap);
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "linger.ms", "10", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        sa_die("producer: %s", errstr);
    for (int i = 0; i < n; i++) {
        rd_kafka_resp_err_t er;
        r->key_len = -1;
        r->val_len = -1;
        r->partition = -1;
        fn(i, r, ctx);
        while ((er = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic),
                    RD_KAFKA_V_PARTITION(r->partition >= 0 ? r->partition : RD_KAFKA_PARTITION_UA),
                    RD_KAFKA_V_KEY((r->key_len >= 0 ? r->key : NULL), (size_t)(r->key_len >= 0 ? r->key_len : 0)),
                    RD_KAFKA_V_VALUE((r->val_len >= 0 ? r->val : NULL), (size_t)(r->val_len >= 0 ? r->val_len : 0)),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (er)
            sa_die("produce to %s: %s", topic, rd_kafka_err2str(er));
    }
    if (rd_kafka_flush(rk, 60000))
        sa_die("producer flush to %s timed out", topic);
    rd_kafka_destroy(rk);
    mem_free(r->val);
    mem_free(r);
}

/* ------------------------------------------------------------------------------------ */

enum status sa_get(struct e2e_aero *a, const char *ns, const char *set, const struct aero_key_value *kv,
                   struct aero_record *rec)
{
    struct aero_key k;
    struct err e = {0};
    if (aero_key_init(&k, ns, set, kv, &e) != ST_OK)
        sa_die("key: %s", e.msg);
    return aero_get(a->cl, NULL, &k, NULL, 0, rec, &e);
}

enum status sa_get_int(struct e2e_aero *a, const char *ns, const char *set, int64_t key, struct aero_record *rec)
{
    struct aero_key_value v = {.type = AERO_PT_INTEGER, .i = key};
    return sa_get(a, ns, set, &v, rec);
}

enum status sa_get_digest(struct e2e_aero *a, const char *ns, const char *set, const uint8_t digest[20],
                          struct aero_record *rec)
{
    struct aero_key k;
    struct err e = {0};
    memset(&k, 0, sizeof(k));
    k.ns = ns;
    k.set = set;
    k.value.type = AERO_PT_NULL;
    memcpy(k.digest, digest, AERO_DIGEST_SZ);
    return aero_get(a->cl, NULL, &k, NULL, 0, rec, &e);
}

bool sa_has_bin(const struct aero_record *rec, const char *bin)
{
    struct aero_bin_view b;
    return aero_record_bin(rec, bin, &b);
}

int sa_bin_count(const struct aero_record *rec)
{
    const uint8_t *cur = NULL;
    struct aero_bin_view b;
    int n = 0;
    while (aero_record_next_bin(rec, &cur, &b, NULL) == ST_OK)
        n++;
    return n;
}

double sa_bin_double(const struct aero_record *rec, const char *bin)
{
    struct aero_bin_view b;
    uint64_t u;
    double d;
    if (!aero_record_bin(rec, bin, &b) || b.particle != AERO_PT_FLOAT || b.value_len != 8)
        sa_die("bin '%s' missing or not a double", bin);
    u = load_u64be(b.value);
    memcpy(&d, &u, sizeof(d));
    return d;
}

int64_t sa_ttl(const struct aero_record *rec)
{
    return aero_void_time_to_ttl(rec->void_time, clock_wall_ms() / 1000);
}

void sa_put_ints(struct e2e_aero *a, const char *ns, const char *set, const char *key, const char *const names[],
                 const int64_t vals[], size_t n)
{
    struct aero_key k;
    struct aero_key_value kv = {.type = AERO_PT_STRING, .p = (const uint8_t *)key, .n = strlen(key)};
    struct aero_bin bins[16];
    struct aero_record rec = {0};
    struct err e = {0};
    if (n > 16)
        sa_die("too many bins");
    for (size_t i = 0; i < n; i++)
        bins[i] = (struct aero_bin){.name = names[i], .type = AERO_PT_INTEGER, .i = vals[i]};
    if (aero_key_init(&k, ns, set, &kv, &e) != ST_OK || aero_put(a->cl, NULL, &k, bins, n, &rec, &e) != ST_OK)
        sa_die("seed put %s/%s/%s: %s", ns, set, key, e.msg);
    aero_record_free(&rec);
}

/* ------------------------------------------------------------------------------------ */

long sa_vm_hwm_kb(pid_t pid)
{
    char path[64], *text, *p;
    long kb = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    text = tu_read_file(path, NULL);
    if (!text)
        return -1;
    if ((p = strstr(text, "VmHWM:")) != NULL)
        kb = strtol(p + 6, NULL, 10);
    mem_free(text);
    return kb;
}

char *sa_info(const char *hosts, const char *cmd)
{
    char first[300];
    struct aero_host h;
    struct buf out = BUF_INIT;
    struct err e = {0};
    size_t n = strcspn(hosts, ",");

    snprintf(first, sizeof(first), "%.*s", (int)n, hosts);
    if (aero_host_parse(first, strlen(first), 3000, &h, &e) != ST_OK)
        sa_die("host %s: %s", first, e.msg);
    if (aero_info_host(h.name, h.port, cmd, &out, 5000, &e) != ST_OK) {
        buf_free(&out);
        return NULL;
    }
    buf_cstr(&out);
    return out.p ? (char *)out.p : mem_strdup("");
}
