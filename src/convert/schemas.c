/* src/convert/schemas.c: the Schema Registry side every registry-framed converter shares
 * (Avro, JSON Schema, Protobuf): the Confluent framing (magic 0x00, 4-byte big-endian schema
 * id), registry URLs and credentials, GET /schemas/ids/{id} with fail-over across URLs, and a
 * cache of compiled schemas keyed by id plus a short memory of failures (404s, and schemas the
 * registry has but that cannot be used). What a schema compiles to is the format's business
 * (struct conv__registry_format). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "convert/convert_int.h"

#define CACHE_MAX 1000
#define NEG_SLOTS 16
#define NEG_TTL_MS 5000     /* a failure is believed this long before the registry is asked again */

struct entry {
    uint32_t id;
    void *schema;
};

struct conv__registry {
    const struct conv__registry_format *f;
    char **urls;            /* registry base URLs, no trailing '/' */
    size_t nurls, good;     /* good: the one that answered last */
    char *userinfo;         /* "user:password" (USER_INFO), else NULL */
    conv_http_get_fn get;
    void *get_ctx;
    struct conv__http *http; /* the default (libcurl) GET */
    struct entry *cache;
    uint32_t ncache, cache_cap, last;
    struct buf body;
    struct conv_doc *resp;  /* parsed registry reply */
    struct {
        uint32_t id;
        uint64_t until_ms;  /* 0: free slot */
        enum status st;     /* what a lookup of @id answers meanwhile */
        char msg[ERR_MSG_LEN];
    } neg[NEG_SLOTS];       /* recent 404s and unusable schemas (ST_TYPE, ST_PARSE, ST_UNSUPPORTED):
                             * a topic full of such ids must not flood the registry */
    uint32_t neg_next;
};

static enum status add_urls(struct conv__registry *r, const char *list, struct err *e)
{
    const char *klass = r->f->klass;

    for (const char *p = list;;) {
        const char *q = strchr(p, ','), *s = p;
        size_t n = q ? (size_t)(q - p) : strlen(p);
        char **u;

        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '/' || s[n - 1] == '\t'))
            n--;
        if (n) {
            if (!(u = mem_realloc(r->urls, (r->nurls + 1) * sizeof(*u))))
                return err_set(e, ST_NOMEM, "%s", klass);
            r->urls = u;
            if (!(u[r->nurls] = mem_strndup(s, n)))
                return err_set(e, ST_NOMEM, "%s", klass);
            r->nurls++;
            if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
                return err_set(e, ST_CONFIG, "%s: schema.registry.url '%.*s' is not an http(s) URL", klass,
                               (int)MIN(n, 200), s);
        }
        if (!q)
            break;
        p = q + 1;
    }
    if (r->nurls == 0)
        return err_set(e, ST_CONFIG, "%s: schema.registry.url is required", klass);
    return ST_OK;
}

struct conv__registry *conv__registry_new(const struct conv__registry_format *f, const char *const *props,
                                          struct err *e)
{
    struct conv__registry *r = mem_calloc(1, sizeof(*r));
    const char *url = conv__prop(props, "schema.registry.url");
    const char *src = conv__prop(props, "basic.auth.credentials.source");
    const char *ui = conv__prop(props, "basic.auth.user.info");

    if (!ui)
        ui = conv__prop(props, "schema.registry.basic.auth.user.info");
    if (!r || !(r->resp = conv_doc_new())) {
        err_set(e, ST_NOMEM, "%s", f->klass);
        goto fail;
    }
    r->f = f;
    if (!url) {
        err_set(e, ST_CONFIG, "%s: schema.registry.url is required", f->klass);
        goto fail;
    }
    if (add_urls(r, url, e) != ST_OK)
        goto fail;
    if (src && strcasecmp(src, "USER_INFO") == 0) {
        if (!ui || !strchr(ui, ':')) {
            err_set(e, ST_CONFIG, "%s: basic.auth.credentials.source=USER_INFO needs "
                    "basic.auth.user.info as user:password", f->klass);
            goto fail;
        }
        if (!(r->userinfo = mem_strdup(ui))) {
            err_set(e, ST_NOMEM, "%s", f->klass);
            goto fail;
        }
    } else if (src && strcasecmp(src, "URL") != 0) {
        err_set(e, ST_CONFIG, "%s: basic.auth.credentials.source '%s' is not supported "
                "(USER_INFO or URL)", f->klass, src);
        goto fail;
    }
    if (!(r->http = conv__http_new(f->klass, e)))
        goto fail;
    r->get = conv__http_get;
    r->get_ctx = r->http;
    return r;
fail:
    conv__registry_free(r);
    return NULL;
}

/* The format's destructor for a compiled schema. */
static void release(const struct conv__registry *r, void *schema)
{
    void (*fn)(void *) = r->f->free;
    fn(schema);
}

static void drop_cache(struct conv__registry *r)
{
    for (uint32_t i = 0; i < r->ncache; i++)
        release(r, r->cache[i].schema);
    r->ncache = 0;
}

void conv__registry_free(struct conv__registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nurls; i++)
        mem_free(r->urls[i]);
    mem_free(r->urls);
    if (r->userinfo) {
        memset(r->userinfo, 0, strlen(r->userinfo));
        mem_free(r->userinfo);
    }
    if (r->f)
        drop_cache(r);
    mem_free(r->cache);
    buf_free(&r->body);
    conv_doc_free(r->resp);
    conv__http_free(r->http);
    mem_free(r);
}

void conv__registry_set_http(struct conv__registry *r, conv_http_get_fn fn, void *ctx)
{
    r->get = fn;
    r->get_ctx = ctx;
}

enum status conv__registry_frame(const struct conv__registry_format *f, const uint8_t *p, size_t n, uint32_t *id,
                                 struct err *e)
{
    if (n < 5)
        return err_set(e, ST_PARSE, "%s: record of %zu bytes is shorter than the 5-byte Schema Registry header",
                       f->what, n);
    if (p[0] != 0)
        return err_set(e, ST_PARSE, "%s: unknown magic byte 0x%02x (expected 0x00: Confluent Schema Registry "
                       "framing)", f->what, p[0]);
    *id = load_u32be(p + 1);
    return ST_OK;
}

/* The registry's reply for @id in r->body (status 200) -> a compiled schema. */
static enum status compile_reply(struct conv__registry *r, uint32_t id, const char *url, void **out, struct err *e)
{
    const struct conv__registry_format *f = r->f;
    const struct conv_value *root, *sch, *typ, *refs;
    struct err sub;

    if (conv__json_parse(r->resp, r->body.p, r->body.len, 0, &sub) != ST_OK)
        return err_set(e, ST_UNAVAILABLE, "%s: schema id %" PRIu32 ": %s answered with invalid JSON: %s", f->what,
                       id, url, sub.msg);
    root = conv_doc_root(r->resp);
    sch = conv_map_get(r->resp, root, "schema", 6);
    if (!sch || sch->type != CONV_STRING)
        return err_set(e, ST_UNAVAILABLE, "%s: schema id %" PRIu32 ": %s answered without a \"schema\" string",
                       f->what, id, url);
    /* the registry leaves schemaType out for Avro */
    typ = conv_map_get(r->resp, root, "schemaType", 10);
    const char *tp = "AVRO";
    size_t tn = 4;
    if (typ && typ->type == CONV_STRING) {
        tp = typ->s.p;
        tn = MIN(typ->s.n, 20);
    }
    if (!str_eq(tp, tn, f->schema_type))
        return err_set(e, ST_TYPE, "%s: schema id %" PRIu32 " is a %.*s schema, not %s", f->what, id, (int)tn, tp,
                       f->what);
    refs = conv_map_get(r->resp, root, "references", 10);
    if (refs && refs->type == CONV_LIST && refs->count > 0)
        return err_set(e, ST_UNSUPPORTED, "%s: schema id %" PRIu32 " uses schema references (not supported)",
                       f->what, id);
    sub = (struct err){0};
    if (!(*out = f->compile(sch->s.p, sch->s.n, &sub)))
        return err_set(e, sub.status == ST_NOMEM || sub.status == ST_UNSUPPORTED ? sub.status : ST_PARSE,
                       "%s: schema id %" PRIu32 ": %s", f->what, id, sub.msg);
    return ST_OK;
}

static enum status fetch(struct conv__registry *r, uint32_t id, void **out, struct err *e)
{
    const char *what = r->f->what;
    char url[2048];
    struct err sub = {0};
    enum status last = ST_UNAVAILABLE;

    for (size_t k = 0; k < r->nurls; k++) {
        size_t i = (r->good + k) % r->nurls;
        long code = 0;
        enum status st;
        snprintf(url, sizeof(url), "%s/schemas/ids/%" PRIu32, r->urls[i], id);
        buf_reset(&r->body);
        st = r->get(r->get_ctx, url, r->userinfo, &r->body, &code, &sub);
        if (st != ST_OK) {
            last = st == ST_NOMEM ? ST_NOMEM : ST_UNAVAILABLE;
            continue;   /* unreachable: try the next URL */
        }
        r->good = i;
        if (code == 200)
            return compile_reply(r, id, url, out, e);
        if (code == 404)
            return err_set(e, ST_NOT_FOUND, "%s: schema id %" PRIu32 " unknown (%s: HTTP 404)", what, id, url);
        if (code == 401 || code == 403)
            return err_set(e, ST_AUTH, "%s: schema registry refused the credentials (%s: HTTP %ld)", what, url,
                           code);
        return err_set(e, ST_UNAVAILABLE, "%s: schema id %" PRIu32 ": %s: HTTP %ld", what, id, url, code);
    }
    return err_set(e, last, "%s: schema id %" PRIu32 ": schema registry unreachable: %s", what, id,
                   sub.msg[0] ? sub.msg : "no answer");
}

/* Remember for NEG_TTL_MS that @id failed as @why says: a 404 with a message saying so, any
 * other failure (the registry's schema cannot be used) with its own message. */
static void remember_failure(struct conv__registry *r, uint32_t id, const struct err *why)
{
    struct err m = *why;

    if (why->status == ST_NOT_FOUND)
        err_set(&m, ST_NOT_FOUND, "%s: schema id %" PRIu32 " unknown (the registry answered 404 less than %d s "
                "ago)", r->f->what, id, NEG_TTL_MS / 1000);
    r->neg[r->neg_next].id = id;
    r->neg[r->neg_next].until_ms = clock_mono_ms() + NEG_TTL_MS;
    r->neg[r->neg_next].st = m.status;
    memcpy(r->neg[r->neg_next].msg, m.msg, sizeof(m.msg));
    r->neg_next = (r->neg_next + 1) % NEG_SLOTS;
}

enum status conv__registry_lookup(struct conv__registry *r, uint32_t id, const void **out, struct err *e)
{
    void *s;
    enum status st;
    struct err sub = {0};

    if (r->ncache && r->cache[r->last].id == id) {
        *out = r->cache[r->last].schema;
        return ST_OK;
    }
    for (uint32_t i = 0; i < r->ncache; i++)
        if (r->cache[i].id == id) {
            r->last = i;
            *out = r->cache[i].schema;
            return ST_OK;
        }
    for (uint32_t i = 0; i < NEG_SLOTS; i++)
        if (r->neg[i].until_ms && r->neg[i].id == id && clock_mono_ms() < r->neg[i].until_ms)
            return err_set(e, r->neg[i].st, "%s", r->neg[i].msg);
    if ((st = fetch(r, id, &s, &sub)) != ST_OK) {
        /* not the retriable ones (unreachable, 5xx, invalid reply), nor ST_AUTH or ST_NOMEM */
        if (st == ST_NOT_FOUND || st == ST_TYPE || st == ST_PARSE || st == ST_UNSUPPORTED)
            remember_failure(r, id, &sub);
        if (e)
            *e = sub;
        return st;
    }
    if (r->ncache == CACHE_MAX)   /* rare: start over (documents of earlier records are done) */
        drop_cache(r);
    if (r->ncache == r->cache_cap) {
        uint32_t cap = r->cache_cap ? r->cache_cap * 2 : 8;
        struct entry *c = mem_realloc(r->cache, cap * sizeof(*c));
        if (!c) {
            release(r, s);
            return err_set(e, ST_NOMEM, "%s: schema cache", r->f->what);
        }
        r->cache = c;
        r->cache_cap = cap;
    }
    r->cache[r->ncache] = (struct entry){id, s};
    r->last = r->ncache++;
    *out = s;
    return ST_OK;
}
