/* tools/mock-registry/main.c: a tiny Confluent-compatible Schema Registry for tests.
 *
 * Serves the part of the Schema Registry REST API that producers and AvroConverter use
 * (GET /schemas/ids/{id}, POST /subjects/{subject}/versions, subject/version reads), with
 * Confluent's reply bodies and error codes, optional basic auth, an optional state file (so a
 * restarted registry gives the same ids), and test levers: go down (the listener is closed, so
 * connections are refused) and come back, answer an error status, delay answers, and count
 * requests. Levers: the /admin/ endpoints or signals (SIGUSR1 down, SIGUSR2 up). See --help.
 *
 * Threads: libmicrohttpd runs one thread per connection; the registry state is under one
 * mutex; the main thread handles signals and the down/up transitions (a daemon cannot be
 * stopped from its own handler). The globals below live here because this file is the
 * tool's main. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "convert/convert.h"

#define MAX_BODY (1u << 20)
#define CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

struct schema {
    uint32_t id;
    char *type;         /* AVRO, JSON, PROTOBUF */
    char *text;         /* the schema as registered */
    uint64_t gets;      /* GET /schemas/ids/{id} answered 200 */
};

struct version {
    char *subject;
    int version;
    uint32_t id;
};

static struct {
    pthread_mutex_t mu;
    struct schema *s;
    size_t ns, scap;
    struct version *v;
    size_t nv, vcap;
    uint32_t next_id;
    const char *state_file;
    const char *userinfo;   /* "user:password" or NULL */
    bool quiet;
    uint64_t requests, schema_gets, not_found, registered, unauthorized, failed;
} reg = {.mu = PTHREAD_MUTEX_INITIALIZER, .next_id = 1};

/* Levers, set by admin requests (connection threads) and signals, applied by main. */
static atomic_int fail_status;        /* 0: answer normally */
static atomic_long fail_left;         /* answers left with fail_status; < 0: unlimited */
static atomic_ullong fail_until_ms;   /* 0: no time limit */
static atomic_uint delay_ms;
static atomic_llong down_request_ms;  /* -2 none; -1 down until SIGUSR2; > 0 down for that long */

/* One request (MHD's con_cls). */
struct req {
    struct buf body;
    bool too_big;
};

static void usage(FILE *f)
{
    fputs("usage: mock-registry [--port P] [--user USER:PASSWORD] [--state FILE] [--first-id N] [--quiet]\n"
          "\n"
          "A tiny Confluent-compatible Schema Registry for aerosink's tests. Prints exactly one line\n"
          "'ready http://127.0.0.1:P' on stdout once listening, then 'down' and 'up http://127.0.0.1:P'\n"
          "on every transition; serves until SIGINT/SIGTERM (exit 0); exits 2 on bad arguments or a\n"
          "busy port. One line per request on stderr unless --quiet.\n"
          "\n"
          "Options:\n"
          "  --port P          listen on 127.0.0.1:P (default 0: any free port)\n"
          "  --user U:P        require HTTP basic auth as U:P on the registry API (401 otherwise;\n"
          "                    the /admin/ levers need none)\n"
          "  --state FILE      load schemas and subjects from FILE at start if it exists and rewrite\n"
          "                    it after every registration, so a restarted registry keeps its ids\n"
          "  --first-id N      id of the first schema registered (default 1)\n"
          "  --quiet           no request log\n"
          "\n"
          "Registry API (Confluent's bodies and error codes, Content-Type " CONTENT_TYPE "):\n"
          "  GET  /schemas/ids/{id}                  {\"schema\":\"...\"} (plus \"schemaType\" unless AVRO);\n"
          "                                          404 {\"error_code\":40403,\"message\":\"Schema not found\"}\n"
          "  POST /subjects/{subject}/versions       body {\"schema\":\"...\"[,\"schemaType\":\"AVRO|JSON|PROTOBUF\"]}\n"
          "                                          -> {\"id\":N}. The same schema text and type always get\n"
          "                                          the same id (any subject); a new one the next id. A body\n"
          "                                          without a schema string, or a schema that is not JSON\n"
          "                                          (AVRO/JSON types), is 422 {\"error_code\":42201,...}\n"
          "  GET  /subjects                          [\"subject\",...]\n"
          "  GET  /subjects/{subject}/versions       [1,2,...]; 404 40401 for an unknown subject\n"
          "  GET  /subjects/{subject}/versions/{v}   {\"subject\",\"version\",\"id\",\"schema\"}; v may be latest;\n"
          "                                          404 40401 / 40402\n"
          "  GET  /                                  {}\n"
          "\n"
          "Test levers (not part of Confluent's API; no auth):\n"
          "  POST /admin/down[?ms=N]     stop listening (connections refused, open ones closed) about\n"
          "                              50 ms after answering; back after N ms, or on SIGUSR2\n"
          "  POST /admin/fail?status=S[&count=N][&ms=N]   answer registry requests with status S\n"
          "                              (e.g. 500: {\"error_code\":50001,...}) N times / for N ms /\n"
          "                              until /admin/ok\n"
          "  POST /admin/ok              answer normally again (clears fail and delay)\n"
          "  POST /admin/delay?ms=N      delay every registry answer by N ms (0: off)\n"
          "  GET  /admin/stats           {\"requests\":N,\"schema_gets\":N,\"not_found\":N,\"registered\":N,\n"
          "                              \"unauthorized\":N,\"failed\":N,\"ids\":{\"<id>\":<GETs>,...}}\n"
          "Signals: SIGUSR1 goes down (until SIGUSR2), SIGUSR2 comes back up and clears fail and delay.\n"
          "\n"
          "Example:\n"
          "  mock-registry --port 8081 &\n"
          "  curl -s -XPOST -H 'Content-Type: " CONTENT_TYPE "' \\\n"
          "       -d '{\"schema\":\"\\\"string\\\"\"}' http://127.0.0.1:8081/subjects/t-value/versions\n"
          "  curl -s http://127.0.0.1:8081/schemas/ids/1\n",
          f);
}

static void logf_(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void logf_(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    if (reg.quiet)
        return;
    n = snprintf(line, sizeof(line), "mock-registry: ");
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
}

/* --- registry state (callers hold reg.mu) --- */

static struct schema *find_id(uint32_t id)
{
    for (size_t i = 0; i < reg.ns; i++)
        if (reg.s[i].id == id)
            return &reg.s[i];
    return NULL;
}

static struct schema *find_text(const char *type, const char *text, size_t n)
{
    for (size_t i = 0; i < reg.ns; i++)
        if (strcmp(reg.s[i].type, type) == 0 && strlen(reg.s[i].text) == n && memcmp(reg.s[i].text, text, n) == 0)
            return &reg.s[i];
    return NULL;
}

static struct schema *add_schema(uint32_t id, const char *type, const char *text, size_t n)
{
    if (reg.ns == reg.scap) {
        size_t cap = reg.scap ? reg.scap * 2 : 16;
        struct schema *s = mem_realloc(reg.s, cap * sizeof(*s));
        if (!s)
            return NULL;
        reg.s = s;
        reg.scap = cap;
    }
    struct schema *s = &reg.s[reg.ns];
    *s = (struct schema){id, mem_strdup(type), mem_strndup(text, n), 0};
    if (!s->type || !s->text) {
        mem_free(s->type);
        mem_free(s->text);
        return NULL;
    }
    reg.ns++;
    if (id >= reg.next_id)
        reg.next_id = id + 1;
    return s;
}

static int latest_version(const char *subject, const struct version **out)
{
    int best = 0;
    for (size_t i = 0; i < reg.nv; i++)
        if (strcmp(reg.v[i].subject, subject) == 0 && reg.v[i].version > best) {
            best = reg.v[i].version;
            if (out)
                *out = &reg.v[i];
        }
    return best;
}

static const struct version *find_version(const char *subject, int version)
{
    for (size_t i = 0; i < reg.nv; i++)
        if (strcmp(reg.v[i].subject, subject) == 0 && reg.v[i].version == version)
            return &reg.v[i];
    return NULL;
}

static bool add_version(const char *subject, int version, uint32_t id)
{
    if (reg.nv == reg.vcap) {
        size_t cap = reg.vcap ? reg.vcap * 2 : 16;
        struct version *v = mem_realloc(reg.v, cap * sizeof(*v));
        if (!v)
            return false;
        reg.v = v;
        reg.vcap = cap;
    }
    reg.v[reg.nv] = (struct version){mem_strdup(subject), version, id};
    if (!reg.v[reg.nv].subject)
        return false;
    reg.nv++;
    return true;
}

/* State file: a JSON array of {"id":N,"schemaType":"AVRO","schema":"...","subjects":[["s",1],...]}. */
static void save_state(void)
{
    struct buf b = BUF_INIT;
    char tmp[4096];
    FILE *f;

    if (!reg.state_file)
        return;
    buf_append_str(&b, "[\n");
    for (size_t i = 0; i < reg.ns; i++) {
        const struct schema *s = &reg.s[i];
        bool first = true;
        buf_printf(&b, "%s{\"id\":%u,\"schemaType\":", i ? ",\n" : "", s->id);
        json_append_str(&b, s->type, strlen(s->type));
        buf_append_str(&b, ",\"schema\":");
        json_append_str(&b, s->text, strlen(s->text));
        buf_append_str(&b, ",\"subjects\":[");
        for (size_t j = 0; j < reg.nv; j++) {
            if (reg.v[j].id != s->id)
                continue;
            buf_append_str(&b, first ? "[" : ",[");
            json_append_str(&b, reg.v[j].subject, strlen(reg.v[j].subject));
            buf_printf(&b, ",%d]", reg.v[j].version);
            first = false;
        }
        buf_append_str(&b, "]}");
    }
    buf_append_str(&b, "\n]\n");
    snprintf(tmp, sizeof(tmp), "%s.tmp", reg.state_file);
    f = fopen(tmp, "w");
    if (!f || fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0 || rename(tmp, reg.state_file) != 0)
        logf_("cannot write %s: %s", reg.state_file, strerror(errno));
    buf_free(&b);
}

static const struct conv_value *get_field(const struct conv_doc *d, const struct conv_value *m, const char *k,
                                          enum conv_type want)
{
    const struct conv_value *v = conv_map_get(d, m, k, strlen(k));
    return v && v->type == want ? v : NULL;
}

static bool load_state(const char *path)
{
    FILE *f = fopen(path, "r");
    struct buf b = BUF_INIT;
    char tmp[65536];
    size_t n;
    struct conv_doc *d;
    struct err e = {0};
    bool ok = false;

    if (!f)
        return errno == ENOENT;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    d = conv_doc_new();
    if (!d || conv_json_parse(d, b.p, b.len, &e) != ST_OK) {
        fprintf(stderr, "mock-registry: %s: %s\n", path, e.msg);
        goto out;
    }
    const struct conv_value *root = conv_doc_root(d);
    if (!root || root->type != CONV_LIST) {
        fprintf(stderr, "mock-registry: %s: not a JSON array\n", path);
        goto out;
    }
    for (const struct conv_value *it = conv_first(d, root); it; it = conv_next(d, it, root)) {
        const struct conv_value *id = it->type == CONV_MAP ? get_field(d, it, "id", CONV_INT) : NULL;
        const struct conv_value *ty = id ? get_field(d, it, "schemaType", CONV_STRING) : NULL;
        const struct conv_value *sc = ty ? get_field(d, it, "schema", CONV_STRING) : NULL;
        const struct conv_value *subs = sc ? get_field(d, it, "subjects", CONV_LIST) : NULL;
        char type[32];
        if (!subs || id->i < 0 || id->i > INT32_MAX || ty->s.n >= sizeof(type)) {
            fprintf(stderr, "mock-registry: %s: bad entry\n", path);
            goto out;
        }
        snprintf(type, sizeof(type), "%.*s", (int)ty->s.n, ty->s.p);
        if (!add_schema((uint32_t)id->i, type, sc->s.p, sc->s.n))
            goto out;
        for (const struct conv_value *sv = conv_first(d, subs); sv; sv = conv_next(d, sv, subs)) {
            const struct conv_value *name = sv->type == CONV_LIST ? conv_first(d, sv) : NULL;
            const struct conv_value *ver = name ? conv_next(d, name, sv) : NULL;
            char subject[1024];
            if (!ver || name->type != CONV_STRING || ver->type != CONV_INT || name->s.n >= sizeof(subject)) {
                fprintf(stderr, "mock-registry: %s: bad subject of id %lld\n", path, (long long)id->i);
                goto out;
            }
            snprintf(subject, sizeof(subject), "%.*s", (int)name->s.n, name->s.p);
            if (!add_version(subject, (int)ver->i, (uint32_t)id->i))
                goto out;
        }
    }
    ok = true;
out:
    conv_doc_free(d);
    buf_free(&b);
    return ok;
}

/* --- HTTP --- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, struct buf *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(body->len, body->p, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"mock-registry\"");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static unsigned error_body(struct buf *o, unsigned status, int code, const char *msg)
{
    buf_reset(o);
    buf_printf(o, "{\"error_code\":%d,\"message\":", code);
    json_append_str(o, msg, strlen(msg));
    buf_append_str(o, "}");
    return status;
}

static bool auth_ok(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    uint8_t dec[512];
    long n;

    if (!reg.userinfo)
        return true;
    if (!h || strncasecmp(h, "Basic ", 6) != 0)
        return false;
    h += 6;
    while (*h == ' ')
        h++;
    n = base64_decode(h, strlen(h), dec, sizeof(dec));
    return n >= 0 && (size_t)n == strlen(reg.userinfo) && memcmp(dec, reg.userinfo, (size_t)n) == 0;
}

static bool parse_u64_arg(struct MHD_Connection *c, const char *name, uint64_t *out)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    return v && str_to_u64(v, strlen(v), out);
}

static unsigned handle_admin(struct MHD_Connection *c, const char *method, const char *what, struct buf *o)
{
    uint64_t v;
    bool post = strcmp(method, "POST") == 0;

    if (post && strcmp(what, "down") == 0) {
        atomic_store(&down_request_ms, parse_u64_arg(c, "ms", &v) && v > 0 ? (long long)v : -1);
        buf_append_str(o, "{\"down\":true}");
        return 200;
    }
    if (post && strcmp(what, "fail") == 0) {
        if (!parse_u64_arg(c, "status", &v) || v < 100 || v > 599)
            return error_body(o, 400, 400, "status=100..599 required");
        atomic_store(&fail_left, parse_u64_arg(c, "count", &v) ? (long)v : -1);
        uint64_t ms;
        atomic_store(&fail_until_ms, parse_u64_arg(c, "ms", &ms) ? clock_mono_ms() + ms : 0);
        parse_u64_arg(c, "status", &v);
        atomic_store(&fail_status, (int)v);
        buf_printf(o, "{\"fail\":%d}", (int)v);
        return 200;
    }
    if (post && strcmp(what, "ok") == 0) {
        atomic_store(&fail_status, 0);
        atomic_store(&delay_ms, 0);
        buf_append_str(o, "{\"ok\":true}");
        return 200;
    }
    if (post && strcmp(what, "delay") == 0) {
        if (!parse_u64_arg(c, "ms", &v) || v > 600000)
            return error_body(o, 400, 400, "ms=0..600000 required");
        atomic_store(&delay_ms, (unsigned)v);
        buf_printf(o, "{\"delay_ms\":%u}", (unsigned)v);
        return 200;
    }
    if (strcmp(method, "GET") == 0 && strcmp(what, "stats") == 0) {
        pthread_mutex_lock(&reg.mu);
        buf_printf(o,
                   "{\"requests\":%llu,\"schema_gets\":%llu,\"not_found\":%llu,\"registered\":%llu,"
                   "\"unauthorized\":%llu,\"failed\":%llu,\"ids\":{",
                   (unsigned long long)reg.requests, (unsigned long long)reg.schema_gets,
                   (unsigned long long)reg.not_found, (unsigned long long)reg.registered,
                   (unsigned long long)reg.unauthorized, (unsigned long long)reg.failed);
        for (size_t i = 0; i < reg.ns; i++)
            buf_printf(o, "%s\"%u\":%llu", i ? "," : "", reg.s[i].id, (unsigned long long)reg.s[i].gets);
        buf_append_str(o, "}}");
        pthread_mutex_unlock(&reg.mu);
        return 200;
    }
    return error_body(o, 404, 404, "unknown admin request");
}

/* An injected failure for this request? Returns its status or 0. */
static unsigned injected_failure(void)
{
    int st = atomic_load(&fail_status);
    uint64_t until = atomic_load(&fail_until_ms);

    if (!st)
        return 0;
    if (until && clock_mono_ms() >= until) {
        atomic_store(&fail_status, 0);
        return 0;
    }
    long left = atomic_load(&fail_left);
    while (left >= 0) {
        if (left == 0) {
            atomic_store(&fail_status, 0);
            return 0;
        }
        if (atomic_compare_exchange_weak(&fail_left, &left, left - 1))
            break;
    }
    return (unsigned)st;
}

static unsigned schema_reply(struct buf *o, const struct schema *s, const char *subject, int version)
{
    buf_append_str(o, "{");
    if (subject) {
        buf_append_str(o, "\"subject\":");
        json_append_str(o, subject, strlen(subject));
        buf_printf(o, ",\"version\":%d,\"id\":%u,", version, s->id);
    }
    if (strcmp(s->type, "AVRO") != 0) {
        buf_append_str(o, "\"schemaType\":");
        json_append_str(o, s->type, strlen(s->type));
        buf_append_str(o, ",");
    }
    buf_append_str(o, "\"schema\":");
    json_append_str(o, s->text, strlen(s->text));
    buf_append_str(o, "}");
    return 200;
}

static unsigned do_register(const char *subject, const struct buf *body, struct buf *o)
{
    struct conv_doc *d = conv_doc_new();
    struct err e = {0};
    const struct conv_value *root, *sc, *ty;
    char type[32] = "AVRO";
    unsigned status;

    if (!d)
        return error_body(o, 500, 50001, "out of memory");
    if (conv_json_parse(d, body->p, body->len, &e) != ST_OK || !(root = conv_doc_root(d)) ||
        root->type != CONV_MAP || !(sc = get_field(d, root, "schema", CONV_STRING))) {
        conv_doc_free(d);
        return error_body(o, 422, 42201, "Invalid schema: the body must be {\"schema\": \"...\"}");
    }
    if ((ty = get_field(d, root, "schemaType", CONV_STRING))) {
        if (!str_eq(ty->s.p, ty->s.n, "AVRO") && !str_eq(ty->s.p, ty->s.n, "JSON") &&
            !str_eq(ty->s.p, ty->s.n, "PROTOBUF")) {
            conv_doc_free(d);
            return error_body(o, 422, 42201, "Invalid schema type");
        }
        snprintf(type, sizeof(type), "%.*s", (int)ty->s.n, ty->s.p);
    }
    if (strcmp(type, "PROTOBUF") != 0) {
        /* Avro and JSON schemas are JSON: refuse text that is not */
        struct conv_doc *chk = conv_doc_new();
        bool ok = chk && conv_json_parse(chk, (const uint8_t *)sc->s.p, sc->s.n, &e) == ST_OK &&
                  conv_doc_root(chk);
        conv_doc_free(chk);
        if (!ok) {
            char msg[ERR_MSG_LEN + 64];
            snprintf(msg, sizeof(msg), "Invalid schema: %s", e.msg);
            conv_doc_free(d);
            return error_body(o, 422, 42201, msg);
        }
    }
    pthread_mutex_lock(&reg.mu);
    struct schema *s = find_text(type, sc->s.p, sc->s.n);
    bool changed = false;
    if (!s) {
        s = add_schema(reg.next_id, type, sc->s.p, sc->s.n);
        changed = s != NULL;
    }
    if (s) {
        bool under = false;
        for (size_t i = 0; i < reg.nv && !under; i++)
            under = reg.v[i].id == s->id && strcmp(reg.v[i].subject, subject) == 0;
        if (!under) {
            add_version(subject, latest_version(subject, NULL) + 1, s->id);
            changed = true;
        }
        reg.registered++;
        buf_printf(o, "{\"id\":%u}", s->id);
        status = 200;
    } else {
        status = error_body(o, 500, 50001, "out of memory");
    }
    if (changed)
        save_state();
    pthread_mutex_unlock(&reg.mu);
    conv_doc_free(d);
    return status;
}

static unsigned handle_registry(struct MHD_Connection *c, const char *method, const char *url,
                                const struct req *r, struct buf *o)
{
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    unsigned inj;
    uint64_t id;

    pthread_mutex_lock(&reg.mu);
    reg.requests++;
    pthread_mutex_unlock(&reg.mu);
    if (!auth_ok(c)) {
        pthread_mutex_lock(&reg.mu);
        reg.unauthorized++;
        pthread_mutex_unlock(&reg.mu);
        return error_body(o, 401, 401, "Unauthorized");
    }
    if (atomic_load(&delay_ms))
        sleep_ms(atomic_load(&delay_ms));
    if ((inj = injected_failure()) != 0) {
        pthread_mutex_lock(&reg.mu);
        reg.failed++;
        pthread_mutex_unlock(&reg.mu);
        return error_body(o, inj, inj == 500 ? 50001 : (int)inj * 100,
                          inj == 500 ? "Error in the backend data store" : "Injected failure");
    }
    if (get && strcmp(url, "/") == 0) {
        buf_append_str(o, "{}");
        return 200;
    }
    if (get && strncmp(url, "/schemas/ids/", 13) == 0) {
        const char *p = url + 13;
        unsigned st;
        if (!str_to_u64(p, strlen(p), &id) || id > INT32_MAX)
            return error_body(o, 404, 40403, "Schema not found");
        pthread_mutex_lock(&reg.mu);
        struct schema *s = find_id((uint32_t)id);
        reg.schema_gets++;
        if (s) {
            s->gets++;
            st = schema_reply(o, s, NULL, 0);
        } else {
            reg.not_found++;
            st = error_body(o, 404, 40403, "Schema not found");
        }
        pthread_mutex_unlock(&reg.mu);
        return st;
    }
    if (get && strcmp(url, "/subjects") == 0) {
        pthread_mutex_lock(&reg.mu);
        buf_append_str(o, "[");
        bool first = true;
        for (size_t i = 0; i < reg.nv; i++) {
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(reg.v[j].subject, reg.v[i].subject) == 0;
            if (seen)
                continue;
            if (!first)
                buf_append_str(o, ",");
            json_append_str(o, reg.v[i].subject, strlen(reg.v[i].subject));
            first = false;
        }
        buf_append_str(o, "]");
        pthread_mutex_unlock(&reg.mu);
        return 200;
    }
    if (strncmp(url, "/subjects/", 10) == 0) {
        const char *subj = url + 10, *slash = strstr(subj, "/versions");
        char subject[1024], what[64] = "";
        unsigned st;
        if (!slash || slash == subj || (size_t)(slash - subj) >= sizeof(subject))
            return error_body(o, 404, 404, "HTTP 404 Not Found");
        snprintf(subject, sizeof(subject), "%.*s", (int)(slash - subj), subj);
        slash += 9;
        if (*slash == '/')
            snprintf(what, sizeof(what), "%s", slash + 1);
        else if (*slash)
            return error_body(o, 404, 404, "HTTP 404 Not Found");
        if (post && !*what) {
            if (r->too_big)
                return error_body(o, 413, 413, "request body too large");
            return do_register(subject, &r->body, o);
        }
        if (!get)
            return error_body(o, 405, 405, "HTTP 405 Method Not Allowed");
        pthread_mutex_lock(&reg.mu);
        const struct version *v = NULL;
        int latest = latest_version(subject, &v);
        char msg[1200];
        snprintf(msg, sizeof(msg), "Subject '%s' not found.", subject);
        if (!latest) {
            st = error_body(o, 404, 40401, msg);
        } else if (!*what) {
            buf_append_str(o, "[");
            for (int k = 1; k <= latest; k++)
                if (find_version(subject, k))
                    buf_printf(o, "%s%d", k > 1 ? "," : "", k);
            buf_append_str(o, "]");
            st = 200;
        } else {
            uint64_t n;
            if (strcmp(what, "latest") != 0)
                v = str_to_u64(what, strlen(what), &n) && n <= INT32_MAX ? find_version(subject, (int)n) : NULL;
            st = v ? schema_reply(o, find_id(v->id), subject, v->version)
                   : error_body(o, 404, 40402, "Version not found.");
        }
        pthread_mutex_unlock(&reg.mu);
        return st;
    }
    return error_body(o, 404, 404, "HTTP 404 Not Found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct req *r = *con_cls;
    struct buf o = BUF_INIT;
    unsigned status;
    enum MHD_Result ret;

    (void)cls;
    (void)version;
    if (!r) {
        if (!(r = mem_calloc(1, sizeof(*r))))
            return MHD_NO;
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->body.len + *upload_size > MAX_BODY)
            r->too_big = true;
        else
            buf_append(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (strncmp(url, "/admin/", 7) == 0)
        status = handle_admin(c, method, url + 7, &o);
    else
        status = handle_registry(c, method, url, r, &o);
    logf_("%s %s -> %u", method, url, status);
    ret = reply(c, status, &o);
    buf_free(&o);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    struct req *r = *con_cls;
    (void)cls;
    (void)c;
    (void)t;
    if (r) {
        buf_free(&r->body);
        mem_free(r);
        *con_cls = NULL;
    }
}

static int listen_on(int port, int *bound)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t sl = sizeof(sa);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

static struct MHD_Daemon *start_daemon(int port, int *bound)
{
    int fd = listen_on(port, bound);
    struct MHD_Daemon *d;

    if (fd < 0)
        return NULL;
    d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                             MHD_USE_ITC,
                         0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, NULL, MHD_OPTION_END);
    if (!d)
        errno = EADDRINUSE;
    return d;
}

static void say(const char *what, int port)
{
    if (port)
        printf("%s http://127.0.0.1:%d\n", what, port);
    else
        printf("%s\n", what);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},     {"user", required_argument, NULL, 'u'},
        {"state", required_argument, NULL, 's'},    {"first-id", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c, port = 0, bound = 0;
    int64_t v;
    sigset_t set;
    struct MHD_Daemon *d;
    uint64_t up_at = 0, down_at = 0;
    long long pending;

    atomic_store(&down_request_ms, -2);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!str_to_i64(optarg, strlen(optarg), &v) || v < 0 || v > 65535) {
                fprintf(stderr, "mock-registry: --port '%s': expected 0..65535\n", optarg);
                return 2;
            }
            port = (int)v;
            break;
        case 'u':
            if (!strchr(optarg, ':')) {
                fprintf(stderr, "mock-registry: --user '%s': expected USER:PASSWORD\n", optarg);
                return 2;
            }
            reg.userinfo = optarg;
            break;
        case 's': reg.state_file = optarg; break;
        case 'f':
            if (!str_to_i64(optarg, strlen(optarg), &v) || v < 1 || v > INT32_MAX) {
                fprintf(stderr, "mock-registry: --first-id '%s': expected 1..2147483647\n", optarg);
                return 2;
            }
            reg.next_id = (uint32_t)v;
            break;
        case 'q': reg.quiet = true; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "mock-registry: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "mock-registry: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (reg.state_file && !load_state(reg.state_file)) {
        fprintf(stderr, "mock-registry: cannot load --state %s\n", reg.state_file);
        return 2;
    }

    /* Signals go to this thread only (MHD's threads inherit the mask). */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!(d = start_daemon(port, &bound))) {
        fprintf(stderr, "mock-registry: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 2;
    }
    port = bound;
    say("ready", port);

    for (;;) {
        struct timespec ts = {0, 20 * 1000000L};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &ts);
        uint64_t now = clock_mono_ms();
        bool go_down = false, go_up = false;

        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig == SIGUSR1) {
            go_down = true;
            up_at = 0;
        } else if (sig == SIGUSR2) {
            go_up = true;
            atomic_store(&fail_status, 0);
            atomic_store(&delay_ms, 0);
        }
        if ((pending = atomic_exchange(&down_request_ms, -2)) != -2) {
            down_at = now + 50;   /* let the admin reply leave first */
            up_at = pending > 0 ? down_at + (uint64_t)pending : 0;
        }
        if (down_at && now >= down_at) {
            down_at = 0;
            go_down = true;
        }
        if (!d && up_at && now >= up_at)
            go_up = true;
        if (go_down && d) {
            MHD_stop_daemon(d);   /* closes the listener and every connection */
            d = NULL;
            say("down", 0);
            logf_("down: connections refused%s", up_at ? " (for a while)" : " until SIGUSR2");
        }
        if (go_up && !d) {
            up_at = 0;
            for (int tries = 0; !d && tries < 100; tries++) {
                if (!(d = start_daemon(port, &bound)))
                    sleep_ms(50);
            }
            if (!d) {
                fprintf(stderr, "mock-registry: cannot listen again on 127.0.0.1:%d: %s\n", port, strerror(errno));
                return 1;
            }
            say("up", port);
            logf_("up");
        }
    }
    if (d)
        MHD_stop_daemon(d);
    pthread_mutex_lock(&reg.mu);
    for (size_t i = 0; i < reg.ns; i++) {
        mem_free(reg.s[i].type);
        mem_free(reg.s[i].text);
    }
    for (size_t i = 0; i < reg.nv; i++)
        mem_free(reg.v[i].subject);
    mem_free(reg.s);
    mem_free(reg.v);
    pthread_mutex_unlock(&reg.mu);
    return 0;
}
