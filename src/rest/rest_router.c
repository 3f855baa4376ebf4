/* src/rest/rest_router.c: rest_handle(): request target -> route -> backend call -> Connect's
 * JSON. No sockets and no state between calls. Behaviour follows Kafka Connect's resources
 * (ConnectorsResource, ConnectorPluginsResource, LoggingResource, RootResource); where this
 * file decides something Connect leaves to Jersey/Jackson, a comment says so. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/convert.h"
#include "rest/rest_int.h"

#define MAX_SEG 6           /* the longest route has 5 segments */
#define JSON_TYPE "application/json"

enum { M_GET = 1, M_POST = 2, M_PUT = 4, M_PATCH = 8, M_DELETE = 16 };

/* Which default message a 404 gets, and whether ST_UNSUPPORTED means 403. */
enum kind { K_NONE, K_CONNECTOR, K_TASK, K_PLUGIN, K_LOGGER, K_TOPICS };

struct qparam {
    char *k, *v;
};

struct rq;
typedef void (*handler_fn)(struct rq *r);

struct route {
    const char *pat[MAX_SEG];   /* "*" is a parameter; unused slots NULL */
    handler_fn get, post, put, patch, del;
    const char *allow;
    enum kind kind;
    bool has_task;              /* the second parameter is a task id */
};

struct rq {
    const struct rest_backend *be;
    const struct rest_request *in;
    struct rest_response *out;
    struct rest__jw w;
    const struct route *route;
    char *seg[MAX_SEG + 1];
    size_t nseg;
    struct qparam *q;
    size_t nq, qcap;
    const char *name;           /* {connector}, {plugin} or {logger}, decoded */
    int32_t task;
    struct conv_doc *doc;       /* the parsed body, when the route reads one */
    struct buf scratch;
};

/* --- replies --- */

static void reset_body(struct rq *r)
{
    buf_reset(&r->out->body);
    r->w.oom = false;
}

static void reply_json(struct rq *r, int code)
{
    r->out->status = code;
    r->out->content_type = JSON_TYPE;
}

static void reply_empty(struct rq *r, int code)
{
    reset_body(r);
    r->out->status = code;
    r->out->content_type = NULL;
}

static void reply_error(struct rq *r, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void reply_error(struct rq *r, int code, const char *fmt, ...)
{
    struct buf msg = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    if (buf_vprintf(&msg, fmt, ap) != ST_OK)
        r->w.oom = true;
    va_end(ap);
    reset_body(r);
    reply_json(r, code);
    rest__jw_error(&r->w, code, msg.len ? buf_cstr(&msg) : "");
    buf_free(&msg);
}

/* Jersey's own messages for unmatched paths and methods (Connect wraps them unchanged). */
static void reply_http(struct rq *r, int code)
{
    const char *reason = code == 404   ? "Not Found"
                         : code == 405 ? "Method Not Allowed"
                         : code == 415 ? "Unsupported Media Type"
                                       : "Bad Request";
    reply_error(r, code, "HTTP %d %s", code, reason);
}

static int http_code(enum status st, enum kind k)
{
    switch (st) {
    case ST_NOT_FOUND: return 404;
    case ST_EXISTS:
    case ST_BUSY: return 409;
    case ST_CONFIG:
    case ST_USAGE:
    case ST_PARSE:
    case ST_TYPE: return 400;
    case ST_AUTH: return 403;
    case ST_TOO_BIG: return 413;
    case ST_UNSUPPORTED: return k == K_TOPICS ? 403 : 501;
    case ST_UNAVAILABLE: return 503;
    default: return 500;
    }
}

/* Map a backend failure to Connect's error body; e->msg wins over the default wording. */
static void reply_status(struct rq *r, enum status st, const struct err *e)
{
    int code = http_code(st, r->route ? r->route->kind : K_NONE);
    enum kind k = r->route ? r->route->kind : K_NONE;
    const char *n = r->name ? r->name : "";

    if (e && e->msg[0]) {
        reply_error(r, code, "%s", e->msg);
        return;
    }
    switch (st) {
    case ST_NOT_FOUND:
        if (k == K_NONE)
            reply_error(r, code, "%s", status_str(st));
        else if (k == K_TASK)
            reply_error(r, code, "No status found for task %s-%d", n, (int)r->task);
        else if (k == K_PLUGIN)
            reply_error(r, code, "Unknown plugin %s.", n);
        else if (k == K_LOGGER)
            reply_error(r, code, "Logger %s not found.", n);
        else
            reply_error(r, code, "Connector %s not found", n);
        break;
    case ST_EXISTS: reply_error(r, code, "Connector %s already exists", n); break;
    case ST_BUSY:
        reply_error(r, code, "Cannot complete request because of a conflicting operation "
                             "(e.g. worker rebalance)");
        break;
    case ST_TIMEOUT: reply_error(r, code, "Request timed out"); break;
    case ST_UNSUPPORTED:
        if (k == K_TOPICS)
            reply_error(r, code, "Topic tracking is disabled.");
        else
            reply_error(r, code, "Not supported by this worker");
        break;
    default: reply_error(r, code, "%s", status_str(st)); break;
    }
}

/* A create/put/patch that failed: the backend's whole message when it gave one longer than
 * a struct err holds (@ci->refused), else as reply_status. */
static void reply_write_failure(struct rq *r, enum status st, const struct err *e, struct rest_connector_info *ci)
{
    if (ci->refused.len)
        reply_error(r, http_code(st, r->route ? r->route->kind : K_NONE), "%s", buf_cstr(&ci->refused));
    else
        reply_status(r, st, e);
}

/* A backend function the application left NULL. */
static bool missing(struct rq *r, const void *fn)
{
    if (fn)
        return false;
    reply_error(r, 501, "Not supported by this worker");
    return true;
}

/* --- target parsing --- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode @s[0..n) into an owned string; '+' is a space only in queries. NULL (and
 * *bad) on a malformed escape or an encoded NUL; NULL alone on ST_NOMEM. */
static char *pct_decode(const char *s, size_t n, bool plus_space, bool *bad)
{
    char *d = mem_malloc(n + 1), *o = d;

    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = -1, lo = -1;
            if (i + 2 < n) {
                hi = hexval(s[i + 1]);
                lo = hexval(s[i + 2]);
            }
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                mem_free(d);
                *bad = true;
                return NULL;
            }
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *o++ = plus_space && s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return d;
}

/* Split the path into decoded segments. Returns 0, 400 (bad escape) or 404 (too many
 * segments, an empty one), or 500 (ST_NOMEM). */
static int split_path(struct rq *r, const char *p, size_t n)
{
    if (n > 1 && p[n - 1] == '/' && p[n - 2] != '/')   /* "/connectors/" is "/connectors" */
        n--;
    if (n == 1)
        return 0;                       /* "/" */
    for (size_t i = 1; i <= n;) {
        size_t j = i;
        bool bad = false;
        while (j < n && p[j] != '/')
            j++;
        if (j == i || r->nseg == MAX_SEG)
            return 404;
        if (!(r->seg[r->nseg] = pct_decode(p + i, j - i, false, &bad)))
            return bad ? 400 : 500;
        r->nseg++;
        i = j + 1;
    }
    return 0;
}

static int split_query(struct rq *r, const char *s)
{
    while (*s) {
        const char *amp = strchr(s, '&'), *end = amp ? amp : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        bool bad = false;
        struct qparam qp;

        if (end > s) {
            if (!mem_grow(&r->q, &r->qcap, r->nq + 1, sizeof(*r->q), 8))
                return 500;
            qp.k = pct_decode(s, (size_t)((eq ? eq : end) - s), true, &bad);
            qp.v = qp.k ? pct_decode(eq ? eq + 1 : end, eq ? (size_t)(end - eq - 1) : 0, true, &bad)
                        : NULL;
            if (!qp.k || !qp.v) {
                mem_free(qp.k);
                return bad ? 400 : 500;
            }
            r->q[r->nq++] = qp;
        }
        s = amp ? amp + 1 : end;
    }
    return 0;
}

/* Path and query of the request-target (origin-form, or absolute-form "http://h/p?q"). */
static int parse_target(struct rq *r)
{
    const char *t = r->in->target ? r->in->target : "";
    const char *qm;
    int rc;

    if (strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0) {
        t = strchr(t + 7, '/');
        if (!t)
            t = "/";
    }
    if (t[0] != '/')
        return 404;
    qm = strchr(t, '?');
    if ((rc = split_path(r, t, qm ? (size_t)(qm - t) : strlen(t))) != 0)
        return rc;
    return qm ? split_query(r, qm + 1) : 0;
}

/* First value of query parameter @k, or NULL. */
static const char *q_get(const struct rq *r, const char *k)
{
    for (size_t i = 0; i < r->nq; i++)
        if (strcmp(r->q[i].k, k) == 0)
            return r->q[i].v;
    return NULL;
}

static bool ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (ca != cb)
            return false;
    }
    return *a == *b;
}

/* JAX-RS boolean query parameter: absent or empty -> @dflt; else "true" (any case) or false. */
static bool q_bool(const struct rq *r, const char *k, bool dflt)
{
    const char *v = q_get(r, k);
    return v && *v ? ascii_ieq(v, "true") : dflt;
}

/* Integer.valueOf for a {task} path parameter. */
static bool parse_task(const char *s, int32_t *out)
{
    int64_t v;

    if (!str_to_i64(s, strlen(s), &v) || v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

/* --- request bodies --- */

static bool json_content_type(const char *ct)
{
    size_t n;

    if (!ct)
        return true;    /* [aerosink] lenient: no Content-Type is read as JSON */
    while (*ct == ' ' || *ct == '\t')
        ct++;
    n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

/* Parse the body as JSON into r->doc. Replies 400 and returns NULL on an empty or malformed
 * body. */
static const struct conv_value *parse_body(struct rq *r)
{
    struct conv_limits lim = {32, 200000, 0};
    const struct conv_value *root;
    struct err e = {0};
    enum status st;

    lim.max_input = r->in->max_body ? r->in->max_body : REST_DEFAULT_MAX_BODY;
    if (!(r->doc = conv_doc_new())) {
        reply_status(r, ST_NOMEM, NULL);
        return NULL;
    }
    conv_doc_set_limits(r->doc, &lim);
    st = conv_json_parse(r->doc, r->in->body ? r->in->body : (const uint8_t *)"", r->in->body_len, &e);
    if (st == ST_NOMEM) {
        reply_status(r, st, NULL);
        return NULL;
    }
    if (st != ST_OK) {
        reply_error(r, 400, "Malformed JSON request body: %s", e.msg);
        return NULL;
    }
    if (!(root = conv_doc_root(r->doc)))
        reply_error(r, 400, "Request body is empty");
    return root;
}

/* Shortest "%g" that reads back as @d (Jackson would keep the request's text). */
static enum status fmt_double(struct buf *b, double d)
{
    char tmp[40];

    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    return buf_append_str(b, tmp);
}

enum scalar { SC_OK, SC_NULL, SC_NOT_SCALAR, SC_NUL, SC_NOMEM };

/* A JSON scalar as Jackson reads it into a String: strings as they are, numbers and booleans
 * as text. Result is NUL-terminated in r->scratch (reset first). */
static enum scalar scalar_text(struct rq *r, const struct conv_value *v)
{
    enum status st = ST_OK;

    buf_reset(&r->scratch);
    switch (v->type) {
    case CONV_NULL: return SC_NULL;
    case CONV_STRING:
        if (memchr(v->s.p, '\0', v->s.n))
            return SC_NUL;
        st = buf_append(&r->scratch, v->s.p, v->s.n);
        break;
    case CONV_INT: st = buf_printf(&r->scratch, "%lld", (long long)v->i); break;
    case CONV_DOUBLE: st = fmt_double(&r->scratch, v->d); break;
    case CONV_BOOL: st = buf_append_str(&r->scratch, v->b ? "true" : "false"); break;
    default: return SC_NOT_SCALAR;
    }
    if (st != ST_OK)
        return SC_NOMEM;
    buf_cstr(&r->scratch);
    return SC_OK;
}

static const char *json_kind(const struct conv_value *v)
{
    return v->type == CONV_MAP ? "an object" : v->type == CONV_LIST ? "an array" : "a scalar";
}

/* Copy the JSON string @v (a map key) into an owned C string, or reply 400. */
static char *key_text(struct rq *r, const struct conv_value *k)
{
    char *s;

    if (k->type != CONV_STRING || memchr(k->s.p, '\0', k->s.n)) {
        reply_error(r, 400, "Configuration keys must not contain NUL characters");
        return NULL;
    }
    if (!(s = mem_strndup(k->s.p, k->s.n)))
        reply_status(r, ST_NOMEM, NULL);
    return s;
}

/* Read a flat JSON object of string values (Map<String, String>) into @out. Numbers and
 * booleans are taken as text (as Jackson does); objects and arrays are a 400. @allow_null
 * keeps null values (PATCH); else null is a 400, except for "name" when @null_name_ok (Connect
 * then fills in the name from the URL). Replies and returns false on error. */
static bool read_flat_map(struct rq *r, const struct conv_value *obj, bool allow_null,
                          bool null_name_ok, struct rest_kvs *out)
{
    if (obj->type != CONV_MAP) {
        reply_error(r, 400, "Expected a JSON object of configuration properties, got %s",
                    obj->type == CONV_LIST ? "an array" : "a scalar");
        return false;
    }
    for (const struct conv_value *k = conv_first(r->doc, obj); k;
         k = conv_next(r->doc, conv_doc_node(r->doc, k->next), obj)) {
        const struct conv_value *v = conv_doc_node(r->doc, k->next);
        char *key = key_text(r, k);
        enum scalar sc;
        enum status st = ST_OK;

        if (!key)
            return false;
        sc = scalar_text(r, v);
        if (sc == SC_OK) {
            st = rest_kvs_add(out, key, (const char *)r->scratch.p);
        } else if (sc == SC_NULL && (allow_null || (null_name_ok && strcmp(key, "name") == 0))) {
            st = rest_kvs_add(out, key, NULL);
        } else if (sc == SC_NOMEM) {
            st = ST_NOMEM;
        } else {
            reply_error(r, 400, "Value of configuration property '%s' must be a string, not %s",
                        key, sc == SC_NULL ? "null" : sc == SC_NUL ? "a string with NUL characters"
                                                                   : json_kind(v));
            mem_free(key);
            return false;
        }
        mem_free(key);
        if (st != ST_OK) {
            reply_status(r, st, NULL);
            return false;
        }
    }
    return true;
}

/* Connect's checkAndPutConnectorConfigName: a "name" in the config must equal the connector's
 * name; an absent (or null) one is set to it. */
static bool put_name(struct rq *r, struct rest_kvs *cfg, const char *name)
{
    const struct rest_kv *kv = rest_kvs_find(cfg, "name");

    if (kv && kv->value && strcmp(kv->value, name) != 0) {
        reply_error(r, 400,
                    "Connector name configuration (%s) doesn't match connector name in the URL (%s)",
                    kv->value, name);
        return false;
    }
    if (rest_kvs_put(cfg, "name", name) != ST_OK) {
        reply_status(r, ST_NOMEM, NULL);
        return false;
    }
    return true;
}

/* Connect's NonEmptyStringWithoutControlChars on connector names (Java's isISOControl:
 * U+0000-U+001F and U+007F-U+009F). */
static bool valid_name(struct rq *r, const char *name)
{
    size_t n = strlen(name);

    if (n == 0) {
        reply_error(r, 400, "Invalid value  for configuration name: String may not be empty");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i], c2 = (unsigned char)name[i + 1];
        if (c < 0x20 || c == 0x7f || (c == 0xc2 && c2 >= 0x80 && c2 <= 0x9f)) {
            reply_error(r, 400, "Invalid value %s for configuration name: "
                                "String may not contain control characters", name);
            return false;
        }
    }
    if (!rest__utf8_valid(name, n)) {
        reply_error(r, 400, "Connector names must be valid UTF-8");
        return false;
    }
    return true;
}

/* Location of a connector: "<base_url>/connectors/<name percent-encoded>". */
static void set_location(struct rq *r, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf *b = &r->out->location;
    enum status st = ST_OK;

    buf_reset(b);
    if (r->in->base_url)
        st = buf_append_str(b, r->in->base_url);
    if (st == ST_OK)
        st = buf_append_str(b, "/connectors/");
    for (const unsigned char *p = (const unsigned char *)name; *p && st == ST_OK; p++) {
        unsigned c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            st = buf_put_u8(b, (uint8_t)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            st = buf_append(b, esc, 3);
        }
    }
    if (st == ST_OK)
        buf_cstr(b);
    else
        r->w.oom = true;
}

/* --- handlers: root, connectors --- */

static void h_root(struct rq *r)
{
    struct rest_server_info si;
    struct err e = {0};
    enum status st;

    memset(&si, 0, sizeof(si));
    snprintf(si.version, sizeof(si.version), "%s", AEROSINK_VERSION);
    snprintf(si.commit, sizeof(si.commit), "%s", aerosink_commit());
    if (r->be->server_info && (st = r->be->server_info(r->be->ctx, &si, &e)) != ST_OK) {
        reply_status(r, st, &e);
        return;
    }
    si.version[sizeof(si.version) - 1] = si.commit[sizeof(si.commit) - 1] = '\0';
    si.kafka_cluster_id[sizeof(si.kafka_cluster_id) - 1] = '\0';
    reply_json(r, 200);
    rest__jw_raw(&r->w, "{\"version\":");
    rest__jw_str(&r->w, si.version);
    rest__jw_raw(&r->w, ",\"commit\":");
    rest__jw_str(&r->w, si.commit);
    rest__jw_raw(&r->w, ",\"kafka_cluster_id\":");
    rest__jw_str(&r->w, si.kafka_cluster_id);
    rest__jw_raw(&r->w, "}");
}

/* One connector of GET /connectors?expand=...: ST_NOT_FOUND means it went away meanwhile
 * (Connect leaves it out). */
static enum status expand_one(struct rq *r, const char *name, bool want_status, bool want_info,
                              struct rest__jw *w, struct err *e)
{
    struct rest_status st = {0};
    struct rest_connector_info ci = {0};
    enum status rc = ST_OK;

    if (want_status)
        rc = r->be->connector_status ? r->be->connector_status(r->be->ctx, name, &st, e)
                                     : ST_UNSUPPORTED;
    if (rc == ST_OK && want_info)
        rc = r->be->connector_info ? r->be->connector_info(r->be->ctx, name, &ci, e)
                                   : ST_UNSUPPORTED;
    if (rc == ST_OK) {
        rest__jw_str(w, name);
        rest__jw_raw(w, ":{");
        if (want_status) {
            rest__jw_raw(w, "\"status\":");
            rest__jw_status(w, name, &st);
        }
        if (want_info) {
            rest__jw_raw(w, want_status ? ",\"info\":" : "\"info\":");
            rest__jw_info(w, name, &ci);
        }
        rest__jw_raw(w, "}");
    }
    rest_status_free(&st);
    rest_info_free(&ci);
    return rc;
}

static void h_list(struct rq *r)
{
    struct rest_strs names = {0};
    struct err e = {0};
    bool expand = false, want_status = false, want_info = false, first = true;
    enum status st;

    if (missing(r, r->be->list_connectors))
        return;
    for (size_t i = 0; i < r->nq; i++) {
        if (strcmp(r->q[i].k, "expand") != 0)
            continue;
        expand = true;                  /* unknown expansions are ignored, as in Connect */
        want_status |= strcmp(r->q[i].v, "status") == 0;
        want_info |= strcmp(r->q[i].v, "info") == 0;
    }
    if ((st = r->be->list_connectors(r->be->ctx, &names, &e)) != ST_OK) {
        reply_status(r, st, &e);
        goto out;
    }
    reply_json(r, 200);
    if (!expand) {
        rest__jw_strs(&r->w, &names);
        goto out;
    }
    rest__jw_raw(&r->w, "{");
    for (size_t i = 0; i < names.n; i++) {
        struct buf one = BUF_INIT;
        struct rest__jw w1 = {&one, false};
        err_clear(&e);
        if (!first)
            rest__jw_raw(&w1, ",");
        st = expand_one(r, names.v[i], want_status, want_info, &w1, &e);
        if (st == ST_OK && !w1.oom) {
            rest__jw_bytes(&r->w, one.p, one.len);
            first = false;
        }
        buf_free(&one);
        if (w1.oom)
            r->w.oom = true;
        if (st != ST_OK && st != ST_NOT_FOUND) {
            r->name = names.v[i];
            reply_status(r, st, &e);
            r->name = NULL;
            goto out;
        }
    }
    rest__jw_raw(&r->w, "}");
out:
    rest_strs_free(&names);
}

/* 415 unless the body is declared as JSON (the resources are @Consumes(application/json)). */
static bool check_ct(struct rq *r)
{
    if (json_content_type(r->in->content_type))
        return true;
    reply_http(r, 415);
    return false;
}

static void reply_info(struct rq *r, int code, const char *name, const struct rest_connector_info *ci)
{
    reset_body(r);
    reply_json(r, code);
    rest__jw_info(&r->w, name, ci);
}

/* Java's String.trim(): drop bytes <= ' ' at both ends, in place. */
static void trim(char *s)
{
    size_t n = strlen(s), a = 0;

    while (n > 0 && (unsigned char)s[n - 1] <= ' ')
        n--;
    while (a < n && (unsigned char)s[a] <= ' ')
        a++;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
}

static bool parse_initial_state(struct rq *r, const struct conv_value *v, enum rest_target_state *out)
{
    static const struct { const char *s; enum rest_target_state t; } states[] = {
        {"RUNNING", REST_TARGET_RUNNING}, {"PAUSED", REST_TARGET_PAUSED}, {"STOPPED", REST_TARGET_STOPPED}};
    enum scalar sc = scalar_text(r, v);

    if (sc == SC_NULL)
        return true;
    if (sc == SC_OK && v->type == CONV_STRING)
        for (size_t i = 0; i < ARRAY_LEN(states); i++)
            if (ascii_ieq((const char *)r->scratch.p, states[i].s)) {
                *out = states[i].t;
                return true;
            }
    if (sc == SC_NOMEM)
        reply_status(r, ST_NOMEM, NULL);
    else
        reply_error(r, 400, "Invalid initial_state: expected one of RUNNING, PAUSED, STOPPED");
    return false;
}

/* POST /connectors {"name": n, "config": {...}, "initial_state": s} */
static void h_create(struct rq *r)
{
    const struct conv_value *root, *cfg_v = NULL;
    struct rest_kvs cfg = {0};
    struct rest_connector_info ci = {0};
    enum rest_target_state init = REST_TARGET_DEFAULT;
    struct err e = {0};
    char *name = NULL;
    enum status st;

    if (!check_ct(r) || missing(r, r->be->create_connector) || !(root = parse_body(r)))
        return;
    if (root->type != CONV_MAP) {
        reply_error(r, 400, "Expected a JSON object {\"name\": ..., \"config\": {...}}, got %s",
                    json_kind(root));
        return;
    }
    for (const struct conv_value *k = conv_first(r->doc, root); k;
         k = conv_next(r->doc, conv_doc_node(r->doc, k->next), root)) {
        const struct conv_value *v = conv_doc_node(r->doc, k->next);
        if (str_eq(k->s.p, k->s.n, "name")) {
            enum scalar sc = scalar_text(r, v);
            if (sc != SC_OK && sc != SC_NULL) {
                if (sc == SC_NOMEM)
                    reply_status(r, ST_NOMEM, NULL);
                else
                    reply_error(r, 400, "The connector name must be a string");
                goto out;
            }
            mem_free(name);
            if (!(name = mem_strdup(sc == SC_OK ? (const char *)r->scratch.p : ""))) {
                reply_status(r, ST_NOMEM, NULL);
                goto out;
            }
        } else if (str_eq(k->s.p, k->s.n, "config")) {
            cfg_v = v;
        } else if (str_eq(k->s.p, k->s.n, "initial_state")) {
            if (!parse_initial_state(r, v, &init))
                goto out;
        } else {
            /* Jackson's FAIL_ON_UNKNOWN_PROPERTIES: catches "initialState" and friends */
            reply_error(r, 400, "Unrecognized field \"%.*s\" in the connector creation request",
                        (int)MIN(k->s.n, 200u), k->s.p);
            goto out;
        }
    }
    if (!name && !(name = mem_strdup(""))) {
        reply_status(r, ST_NOMEM, NULL);
        goto out;
    }
    trim(name);
    if (!valid_name(r, name))
        goto out;
    if (!cfg_v || cfg_v->type == CONV_NULL) {
        reply_error(r, 400, "The connector creation request has no \"config\" object");
        goto out;
    }
    if (!read_flat_map(r, cfg_v, false, true, &cfg) || !put_name(r, &cfg, name))
        goto out;
    r->name = name;
    if ((st = r->be->create_connector(r->be->ctx, name, &cfg, init, &ci, &e)) != ST_OK) {
        reply_write_failure(r, st, &e, &ci);
        goto out;
    }
    set_location(r, name);
    reply_info(r, 201, name, &ci);
out:
    r->name = NULL;
    mem_free(name);
    rest_kvs_free(&cfg);
    rest_info_free(&ci);
}

static void h_info(struct rq *r)
{
    struct rest_connector_info ci = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->connector_info))
        return;
    if ((st = r->be->connector_info(r->be->ctx, r->name, &ci, &e)) != ST_OK)
        reply_status(r, st, &e);
    else
        reply_info(r, 200, r->name, &ci);
    rest_info_free(&ci);
}

/* The endpoints that answer with no body: DELETE, pause, resume, stop, task restart,
 * topics reset. */
static void no_body_call(struct rq *r, enum status (*fn)(void *, const char *, struct err *), int code)
{
    struct err e = {0};
    enum status st;

    if (missing(r, fn))
        return;
    if ((st = fn(r->be->ctx, r->name, &e)) != ST_OK)
        reply_status(r, st, &e);
    else
        reply_empty(r, code);
}

static void h_delete(struct rq *r) { no_body_call(r, r->be->delete_connector, 204); }
static void h_pause(struct rq *r) { no_body_call(r, r->be->pause_connector, 202); }
static void h_resume(struct rq *r) { no_body_call(r, r->be->resume_connector, 202); }
static void h_stop(struct rq *r) { no_body_call(r, r->be->stop_connector, 204); }
static void h_topics_reset(struct rq *r)
{
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->reset_connector_topics))
        return;
    st = r->be->reset_connector_topics(r->be->ctx, r->name, &e);
    if (st == ST_UNSUPPORTED && !e.msg[0])
        reply_error(r, 403, "Topic tracking reset is disabled.");
    else if (st != ST_OK)
        reply_status(r, st, &e);
    else
        reply_empty(r, 202);
}

static void h_config(struct rq *r)
{
    struct rest_kvs cfg = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->connector_config))
        return;
    if ((st = r->be->connector_config(r->be->ctx, r->name, &cfg, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_kvs(&r->w, &cfg);
    }
    rest_kvs_free(&cfg);
}

/* PUT /connectors/{n}/config: create (201 + Location) or replace (200). */
static void h_put_config(struct rq *r)
{
    const struct conv_value *root;
    struct rest_kvs cfg = {0};
    struct rest_connector_info ci = {0};
    struct err e = {0};
    bool created = false;
    enum status st;

    if (!check_ct(r) || missing(r, r->be->put_connector_config) || !(root = parse_body(r)))
        return;
    if (!read_flat_map(r, root, false, true, &cfg) || !put_name(r, &cfg, r->name) ||
        !valid_name(r, r->name))
        goto out;
    if ((st = r->be->put_connector_config(r->be->ctx, r->name, &cfg, &created, &ci, &e)) != ST_OK) {
        reply_write_failure(r, st, &e, &ci);
        goto out;
    }
    if (created)
        set_location(r, r->name);
    reply_info(r, created ? 201 : 200, r->name, &ci);
out:
    rest_kvs_free(&cfg);
    rest_info_free(&ci);
}

/* PATCH /connectors/{n}/config: null removes a key. [aerosink] A "name" in the patch must
 * equal the connector's (Connect would let the merged config fail validation instead). */
static void h_patch_config(struct rq *r)
{
    const struct conv_value *root;
    const struct rest_kv *kv;
    struct rest_kvs patch = {0};
    struct rest_connector_info ci = {0};
    struct err e = {0};
    enum status st;

    if (!check_ct(r) || missing(r, r->be->patch_connector_config) || !(root = parse_body(r)))
        return;
    if (!read_flat_map(r, root, true, true, &patch))
        goto out;
    if ((kv = rest_kvs_find(&patch, "name")) && (!kv->value || strcmp(kv->value, r->name) != 0)) {
        reply_error(r, 400,
                    "Connector name configuration (%s) doesn't match connector name in the URL (%s)",
                    kv->value ? kv->value : "null", r->name);
        goto out;
    }
    if ((st = r->be->patch_connector_config(r->be->ctx, r->name, &patch, &ci, &e)) != ST_OK)
        reply_write_failure(r, st, &e, &ci);
    else
        reply_info(r, 200, r->name, &ci);
out:
    rest_kvs_free(&patch);
    rest_info_free(&ci);
}

static void h_status(struct rq *r)
{
    struct rest_status s = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->connector_status))
        return;
    if ((st = r->be->connector_status(r->be->ctx, r->name, &s, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_status(&r->w, r->name, &s);
    }
    rest_status_free(&s);
}

/* POST /connectors/{n}/restart?includeTasks=&onlyFailed=: both false -> 204 (only the connector
 * instance restarts); else 202 + the status with the restarting instances. */
static void h_restart(struct rq *r)
{
    bool include_tasks = q_bool(r, "includeTasks", false), only_failed = q_bool(r, "onlyFailed", false);
    struct rest_status s = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->restart_connector))
        return;
    st = r->be->restart_connector(r->be->ctx, r->name, include_tasks, only_failed, &s, &e);
    if (st != ST_OK) {
        reply_status(r, st, &e);
    } else if (!include_tasks && !only_failed) {
        reply_empty(r, 204);
    } else {
        reply_json(r, 202);
        rest__jw_status(&r->w, r->name, &s);
    }
    rest_status_free(&s);
}

static void h_tasks(struct rq *r)
{
    struct rest_task_configs l = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->task_configs))
        return;
    if ((st = r->be->task_configs(r->be->ctx, r->name, &l, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_task_configs(&r->w, r->name, &l);
    }
    rest_task_configs_free(&l);
}

static void h_task_status(struct rq *r)
{
    struct rest_task_state ts = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->task_status))
        return;
    ts.id = r->task;
    if ((st = r->be->task_status(r->be->ctx, r->name, r->task, &ts, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        ts.id = r->task;
        reply_json(r, 200);
        rest__jw_task_state(&r->w, &ts);
    }
    mem_free(ts.worker_id);
    mem_free(ts.trace);
}

static void h_task_restart(struct rq *r)
{
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->restart_task))
        return;
    if ((st = r->be->restart_task(r->be->ctx, r->name, r->task, &e)) != ST_OK)
        reply_status(r, st, &e);
    else
        reply_empty(r, 204);
}

/* GET /connectors/{n}/topics: {"n": {"topics": [...]}} (ActiveTopicsInfo keyed by name). */
static void h_topics(struct rq *r)
{
    struct rest_strs topics = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->connector_topics))
        return;
    if ((st = r->be->connector_topics(r->be->ctx, r->name, &topics, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_raw(&r->w, "{");
        rest__jw_str(&r->w, r->name);
        rest__jw_raw(&r->w, ":{\"topics\":");
        rest__jw_strs(&r->w, &topics);
        rest__jw_raw(&r->w, "}}");
    }
    rest_strs_free(&topics);
}

/* --- offsets --- */

static void h_offsets_get(struct rq *r)
{
    struct rest_offsets l = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->connector_offsets))
        return;
    if ((st = r->be->connector_offsets(r->be->ctx, r->name, &l, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_offsets(&r->w, &l);
    }
    rest_offsets_free(&l);
}

/* Integer.parseInt / Long.parseLong of String.valueOf(@v): both 10 and "10" are accepted. */
static bool offset_number(struct rq *r, const struct conv_value *v, int64_t lo, int64_t hi, int64_t *out)
{
    enum scalar sc = scalar_text(r, v);

    if (sc == SC_NOMEM) {
        reply_status(r, ST_NOMEM, NULL);
        return false;
    }
    if (sc == SC_OK && v->type != CONV_BOOL && v->type != CONV_DOUBLE &&
        str_to_i64((const char *)r->scratch.p, r->scratch.len, out) && *out >= lo && *out <= hi)
        return true;
    return false;
}

/* One {"partition": {...}, "offset": {...} | null} of a PATCH .../offsets body (SinkUtils'
 * rules and messages). */
static bool read_offset(struct rq *r, const struct conv_value *ent, struct rest_offsets *out)
{
    const struct conv_value *part = NULL, *off = NULL, *topic, *pnum, *onum;
    int64_t partition, offset = 0;
    char *topic_s;
    enum status st;

    if (ent->type == CONV_MAP) {
        part = conv_map_get(r->doc, ent, "partition", 9);
        off = conv_map_get(r->doc, ent, "offset", 6);
    }
    if (!part || part->type != CONV_MAP) {
        reply_error(r, 400, "The partition for a sink connector offset cannot be null or missing");
        return false;
    }
    topic = conv_map_get(r->doc, part, "kafka_topic", 11);
    pnum = conv_map_get(r->doc, part, "kafka_partition", 15);
    if (!topic || !pnum) {
        reply_error(r, 400, "The partition for a sink connector offset must contain the keys "
                            "'kafka_topic' and 'kafka_partition'");
        return false;
    }
    if (scalar_text(r, topic) != SC_OK) {
        reply_error(r, 400, "Kafka topic names must be valid strings and may not be null");
        return false;
    }
    if (!(topic_s = mem_strdup((const char *)r->scratch.p))) {
        reply_status(r, ST_NOMEM, NULL);
        return false;
    }
    if (pnum->type == CONV_NULL) {
        reply_error(r, 400, "Kafka partitions must be valid numbers and may not be null");
        goto fail;
    }
    if (!offset_number(r, pnum, INT32_MIN, INT32_MAX, &partition)) {
        reply_error(r, 400, "Failed to parse the following Kafka partition value in the provided "
                            "offsets: '%s'. Partition values for sink connectors need to be integers.",
                    r->scratch.len ? (const char *)r->scratch.p : json_kind(pnum));
        goto fail;
    }
    if (off && off->type != CONV_NULL) {
        if (off->type != CONV_MAP || !(onum = conv_map_get(r->doc, off, "kafka_offset", 12))) {
            reply_error(r, 400, "The offset for a sink connector should either be null or contain "
                                "the key 'kafka_offset'");
            goto fail;
        }
        if (!offset_number(r, onum, INT64_MIN, INT64_MAX, &offset)) {
            reply_error(r, 400, "Failed to parse the following Kafka offset value in the provided "
                                "offsets: '%s'. Offset values for sink connectors need to be integers.",
                        r->scratch.len ? (const char *)r->scratch.p : json_kind(onum));
            goto fail;
        }
    }
    st = rest_offsets_add(out, topic_s, (int32_t)partition, off && off->type != CONV_NULL, offset);
    mem_free(topic_s);
    if (st != ST_OK)
        reply_status(r, st, NULL);
    return st == ST_OK;
fail:
    mem_free(topic_s);
    return false;
}

static void reply_message(struct rq *r, const struct buf *msg, const char *dflt)
{
    reset_body(r);
    reply_json(r, 200);
    rest__jw_raw(&r->w, "{\"message\":");
    if (msg->len)
        rest__jw_strn(&r->w, (const char *)msg->p, msg->len);
    else
        rest__jw_str(&r->w, dflt);
    rest__jw_raw(&r->w, "}");
}

static void h_offsets_patch(struct rq *r)
{
    const struct conv_value *root, *list = NULL;
    struct rest_offsets l = {0};
    struct buf msg = BUF_INIT;
    struct err e = {0};
    enum status st;

    if (!check_ct(r) || missing(r, r->be->alter_offsets) || !(root = parse_body(r)))
        return;
    if (root->type == CONV_MAP) {
        for (const struct conv_value *k = conv_first(r->doc, root); k;
             k = conv_next(r->doc, conv_doc_node(r->doc, k->next), root))
            if (!str_eq(k->s.p, k->s.n, "offsets")) {
                reply_error(r, 400, "Unrecognized field \"%.*s\" in the offsets request",
                            (int)MIN(k->s.n, 200u), k->s.p);
                return;
            }
        list = conv_map_get(r->doc, root, "offsets", 7);
    }
    if (!list || list->type != CONV_LIST || list->count == 0) {
        reply_error(r, 400, "Partitions / offsets need to be provided for an alter offsets request");
        return;
    }
    for (const struct conv_value *ent = conv_first(r->doc, list); ent; ent = conv_next(r->doc, ent, list))
        if (!read_offset(r, ent, &l))
            goto out;
    if ((st = r->be->alter_offsets(r->be->ctx, r->name, &l, &msg, &e)) != ST_OK)
        reply_status(r, st, &e);
    else
        reply_message(r, &msg, "The offsets for this connector have been altered successfully");
out:
    rest_offsets_free(&l);
    buf_free(&msg);
}

static void h_offsets_delete(struct rq *r)
{
    struct buf msg = BUF_INIT;
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->reset_offsets))
        return;
    if ((st = r->be->reset_offsets(r->be->ctx, r->name, &msg, &e)) != ST_OK)
        reply_status(r, st, &e);
    else
        reply_message(r, &msg, "The offsets for this connector have been reset successfully");
    buf_free(&msg);
}

/* --- plugins --- */

static void h_plugins(struct rq *r)
{
    struct rest_plugins l = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->list_plugins))
        return;
    if ((st = r->be->list_plugins(r->be->ctx, &l, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_plugins(&r->w, &l, q_bool(r, "connectorsOnly", true));
    }
    rest_plugins_free(&l);
}

static void h_plugin_config(struct rq *r)
{
    struct rest_config_defs l = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->plugin_config))
        return;
    if ((st = r->be->plugin_config(r->be->ctx, r->name, &l, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_config_defs(&r->w, &l);
    }
    rest_config_defs_free(&l);
}

/* Connect's normalizedPluginName: "FooConnector" -> "Foo" (works for simple and full names). */
static size_t normalized_len(const char *s)
{
    size_t n = strlen(s);
    return n > 9 && strcmp(s + n - 9, "Connector") == 0 ? n - 9 : n;
}

static bool plugin_matches(const char *included, const char *plugin)
{
    size_t ni = normalized_len(included), np = normalized_len(plugin);
    return ni >= np && memcmp(included + ni - np, plugin, np) == 0;
}

static void h_validate(struct rq *r)
{
    const struct conv_value *root;
    const struct rest_kv *cls;
    struct rest_kvs cfg = {0};
    struct rest_config_infos out = {0};
    struct err e = {0};
    enum status st;

    if (!check_ct(r) || missing(r, r->be->validate_config) || !(root = parse_body(r)))
        return;
    if (!read_flat_map(r, root, false, false, &cfg))
        goto out;
    cls = rest_kvs_find(&cfg, "connector.class");
    if (cls && !plugin_matches(cls->value, r->name)) {
        reply_error(r, 400, "Included connector type %s does not match request type %s",
                    cls->value, r->name);
        goto out;
    }
    if ((st = r->be->validate_config(r->be->ctx, r->name, &cfg, &out, &e)) != ST_OK) {
        reply_status(r, st, &e);
        goto out;
    }
    reply_json(r, 200);
    rest__jw_config_infos(&r->w, out.name ? out.name : cls ? cls->value : r->name, &out);
out:
    rest_kvs_free(&cfg);
    rest_config_infos_free(&out);
}

/* --- loggers --- */

static void h_loggers(struct rq *r)
{
    struct rest_loggers l = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->list_loggers))
        return;
    if ((st = r->be->list_loggers(r->be->ctx, &l, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_loggers(&r->w, &l);
    }
    rest_loggers_free(&l);
}

static void h_logger_get(struct rq *r)
{
    struct rest_loggers l = {0};
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->get_logger))
        return;
    st = r->be->get_logger(r->be->ctx, r->name, &l, &e);
    if (st == ST_OK && l.n == 0)
        st = ST_NOT_FOUND;
    if (st != ST_OK) {
        reply_status(r, st, &e);
    } else {
        reply_json(r, 200);
        rest__jw_logger_level(&r->w, &l.v[0]);
    }
    rest_loggers_free(&l);
}

/* PUT /admin/loggers/{name} {"level": "DEBUG"} [?scope=worker|cluster] */
static void h_logger_put(struct rq *r)
{
    static const char *const levels[] = {"OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL"};
    const struct conv_value *root, *lv = NULL;
    const char *scope = q_get(r, "scope"), *level = NULL;
    struct rest_strs modified = {0};
    struct err e = {0};
    bool cluster = scope && ascii_ieq(scope, "cluster");   /* anything else: worker (Connect) */
    enum scalar sc = SC_NULL;
    enum status st;

    if (!check_ct(r) || missing(r, r->be->set_logger_level) || !(root = parse_body(r)))
        return;
    if (root->type == CONV_MAP && (lv = conv_map_get(r->doc, root, "level", 5)))
        sc = scalar_text(r, lv);
    if (root->type != CONV_MAP || sc != SC_OK) {
        if (sc == SC_NOMEM)
            reply_status(r, ST_NOMEM, NULL);
        else
            reply_error(r, 400, "Desired 'level' parameter was not specified in request.");
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(levels); i++)
        if (ascii_ieq((const char *)r->scratch.p, levels[i]))
            level = levels[i];
    if (!level) {
        reply_error(r, 404, "invalid log level '%s'.", (const char *)r->scratch.p);
        return;
    }
    if ((st = r->be->set_logger_level(r->be->ctx, r->name, level, cluster, &modified, &e)) != ST_OK) {
        reply_status(r, st, &e);
    } else if (cluster) {
        reply_empty(r, 204);
    } else {
        reply_json(r, 200);
        rest__jw_strs(&r->w, &modified);
    }
    rest_strs_free(&modified);
}

/* --- health and metrics (aerosink) --- */

/* Connect 3.9's GET /health (KIP-1017). */
static void h_health(struct rq *r)
{
    struct rest_health h;
    struct err e = {0};
    const char *status, *msg;
    enum status st;
    int code;

    if (missing(r, r->be->health))
        return;
    memset(&h, 0, sizeof(h));
    h.state = REST_UNHEALTHY;
    if ((st = r->be->health(r->be->ctx, &h, &e)) != ST_OK) {
        h.state = REST_UNHEALTHY;
        const char *why = e.msg[0] ? e.msg : status_str(st);
        size_t n = strnlen(why, sizeof(h.details) - 1);
        memcpy(h.details, why, n);
        h.details[n] = '\0';
    }
    h.details[sizeof(h.details) - 1] = '\0';
    switch (h.state) {
    case REST_HEALTHY:
        code = 200, status = "healthy", msg = "Worker has completed startup and is ready to handle requests.";
        break;
    case REST_STARTING:
        code = 503, status = "starting", msg = "Worker is still starting up.";
        break;
    default:
        code = 500, status = "unhealthy",
        msg = "Worker was unable to handle this request and may be unable to handle other requests.";
        break;
    }
    reset_body(r);
    reply_json(r, code);
    rest__jw_raw(&r->w, "{\"status\":");
    rest__jw_str(&r->w, status);
    rest__jw_raw(&r->w, ",\"message\":");
    buf_reset(&r->scratch);
    if (buf_append_str(&r->scratch, msg) != ST_OK ||
        (h.details[0] && buf_printf(&r->scratch, " %s", h.details) != ST_OK))
        r->w.oom = true;
    rest__jw_strn(&r->w, (const char *)r->scratch.p, r->scratch.len);
    rest__jw_raw(&r->w, "}");
}

static void h_metrics(struct rq *r)
{
    struct err e = {0};
    enum status st;

    if (missing(r, r->be->metrics))
        return;
    if ((st = r->be->metrics(r->be->ctx, &r->out->body, &e)) != ST_OK) {
        reply_status(r, st, &e);
        return;
    }
    r->out->status = 200;
    r->out->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* --- the route table --- */

static const struct route routes[] = {
    {{NULL}, .get = h_root, .allow = "GET, HEAD"},
    {{"connectors"}, .get = h_list, .post = h_create, .allow = "GET, HEAD, POST"},
    {{"connectors", "*"}, .get = h_info, .del = h_delete, .allow = "GET, HEAD, DELETE", .kind = K_CONNECTOR},
    {{"connectors", "*", "config"}, .get = h_config, .put = h_put_config, .patch = h_patch_config,
     .allow = "GET, HEAD, PUT, PATCH", .kind = K_CONNECTOR},
    {{"connectors", "*", "status"}, .get = h_status, .allow = "GET, HEAD", .kind = K_CONNECTOR},
    {{"connectors", "*", "restart"}, .post = h_restart, .allow = "POST", .kind = K_CONNECTOR},
    {{"connectors", "*", "pause"}, .put = h_pause, .allow = "PUT", .kind = K_CONNECTOR},
    {{"connectors", "*", "resume"}, .put = h_resume, .allow = "PUT", .kind = K_CONNECTOR},
    {{"connectors", "*", "stop"}, .put = h_stop, .allow = "PUT", .kind = K_CONNECTOR},
    {{"connectors", "*", "tasks"}, .get = h_tasks, .allow = "GET, HEAD", .kind = K_CONNECTOR},
    {{"connectors", "*", "tasks", "*", "status"}, .get = h_task_status, .allow = "GET, HEAD",
     .kind = K_TASK, .has_task = true},
    {{"connectors", "*", "tasks", "*", "restart"}, .post = h_task_restart, .allow = "POST",
     .kind = K_TASK, .has_task = true},
    {{"connectors", "*", "topics"}, .get = h_topics, .allow = "GET, HEAD", .kind = K_TOPICS},
    {{"connectors", "*", "topics", "reset"}, .put = h_topics_reset, .allow = "PUT", .kind = K_TOPICS},
    {{"connectors", "*", "offsets"}, .get = h_offsets_get, .patch = h_offsets_patch,
     .del = h_offsets_delete, .allow = "GET, HEAD, PATCH, DELETE", .kind = K_CONNECTOR},
    {{"connector-plugins"}, .get = h_plugins, .allow = "GET, HEAD"},
    {{"connector-plugins", "*", "config"}, .get = h_plugin_config, .allow = "GET, HEAD", .kind = K_PLUGIN},
    {{"connector-plugins", "*", "config", "validate"}, .put = h_validate, .allow = "PUT", .kind = K_PLUGIN},
    {{"admin", "loggers"}, .get = h_loggers, .allow = "GET, HEAD"},
    {{"admin", "loggers", "*"}, .get = h_logger_get, .put = h_logger_put, .allow = "GET, HEAD, PUT",
     .kind = K_LOGGER},
    {{"health"}, .get = h_health, .allow = "GET, HEAD"},
    {{"metrics"}, .get = h_metrics, .allow = "GET, HEAD"},
};

static bool route_matches(const struct route *rt, const struct rq *r)
{
    size_t n = 0;

    while (n < MAX_SEG && rt->pat[n])
        n++;
    if (n != r->nseg)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rt->pat[i], "*") != 0 && strcmp(rt->pat[i], r->seg[i]) != 0)
            return false;
    return true;
}

static unsigned method_bit(const char *m)
{
    static const struct { const char *s; unsigned bit; } methods[] = {
        {"GET", M_GET}, {"HEAD", M_GET}, {"POST", M_POST}, {"PUT", M_PUT},
        {"PATCH", M_PATCH}, {"DELETE", M_DELETE}};

    for (size_t i = 0; m && i < ARRAY_LEN(methods); i++)
        if (strcmp(m, methods[i].s) == 0)
            return methods[i].bit;
    return 0;
}

static handler_fn handler_for(const struct route *rt, unsigned m)
{
    switch (m) {
    case M_GET: return rt->get;
    case M_POST: return rt->post;
    case M_PUT: return rt->put;
    case M_PATCH: return rt->patch;
    case M_DELETE: return rt->del;
    default: return NULL;
    }
}

/* Route @r (target already parsed) and run the handler. */
static void dispatch(struct rq *r)
{
    const struct route *rt = NULL;
    handler_fn fn;
    size_t param = 0;

    for (size_t i = 0; i < ARRAY_LEN(routes) && !rt; i++)
        if (route_matches(&routes[i], r))
            rt = &routes[i];
    if (!rt) {
        reply_http(r, 404);
        return;
    }
    if (!(fn = handler_for(rt, method_bit(r->in->method)))) {
        reply_http(r, 405);
        r->out->allow = rt->allow;
        return;
    }
    for (size_t i = 0; i < r->nseg; i++) {
        if (strcmp(rt->pat[i], "*") != 0)
            continue;
        if (param++ == 0)
            r->name = r->seg[i];
        else if (!parse_task(r->seg[i], &r->task)) {
            reply_http(r, 404);      /* JAX-RS: an unconvertible @PathParam is a 404 */
            return;
        }
    }
    r->route = rt;
    fn(r);
}

void rest_response_init(struct rest_response *resp)
{
    memset(resp, 0, sizeof(*resp));
}

void rest_response_free(struct rest_response *resp)
{
    if (!resp)
        return;
    buf_free(&resp->body);
    buf_free(&resp->location);
    memset(resp, 0, sizeof(*resp));
}

void rest_handle(const struct rest_backend *be, const struct rest_request *req,
                 struct rest_response *resp)
{
    static const struct rest_backend none;
    size_t max = req->max_body ? req->max_body : REST_DEFAULT_MAX_BODY;
    struct rq r;
    int rc;

    memset(&r, 0, sizeof(r));
    r.be = be ? be : &none;
    r.in = req;
    r.out = resp;
    r.w.b = &resp->body;
    buf_reset(&resp->body);
    buf_reset(&resp->location);
    resp->allow = NULL;
    resp->status = 500;
    resp->content_type = NULL;

    if (req->body_len > max)
        reply_error(&r, 413, "Request body is larger than the limit of %zu bytes", max);
    else if ((rc = parse_target(&r)) != 0)
        rc == 500 ? reply_status(&r, ST_NOMEM, NULL) : reply_http(&r, rc);
    else
        dispatch(&r);

    if (r.w.oom) {          /* whatever was written is incomplete: a bare 500 */
        reset_body(&r);
        resp->status = 500;
        resp->content_type = JSON_TYPE;
        buf_reset(&resp->location);
        rest__jw_error(&r.w, 500, "out of memory");
        if (r.w.oom) {
            buf_reset(&resp->body);
            resp->content_type = NULL;
        }
    }
    for (size_t i = 0; i < r.nseg; i++)
        mem_free(r.seg[i]);
    for (size_t i = 0; i < r.nq; i++) {
        mem_free(r.q[i].k);
        mem_free(r.q[i].v);
    }
    mem_free(r.q);
    conv_doc_free(r.doc);
    buf_free(&r.scratch);
}
