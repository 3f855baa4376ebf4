/* src/config/cfg_connect.c: typed views of Kafka Connect worker and connector properties,
 * converter resolution, and the connector <-> mapping cross-checks.
 *
 * Connect's rules kept here: values of typed keys are trimmed; booleans are true/false in any
 * case; unknown properties are ignored (we warn when one looks like a typo of a known key);
 * `topics` xor `topics.regex`; the DLQ topic must not be consumed; a connector's
 * `key.converter.*` apply only when the connector also sets `key.converter`. */
#include <regex.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

/* --- known properties (also the documentation, cfg_doc.c) --- */

const struct cfg__prop_key cfg__connector_keys[] = {
    {"name", NULL, "Connector name (required). Its consumer group is `connect-<name>`, so an "
                   "aerosink connector with the Java connector's name takes over its offsets."},
    {"connector.class", NULL, "`" CFG_CONNECTOR_CLASS "` (also `AerospikeSinkConnector`, "
                              "`AerospikeSink` or `" CFG_CONNECTOR_ALIAS "`)."},
    {"tasks.max", "1", "Tasks (consumers) for this connector; partitions are spread over them. "
                       "[aerosink] One task per worker: distributed mode runs min(tasks.max, live "
                       "workers), standalone one."},
    {"topics", NULL, "Comma-separated topics to consume; each needs an entry under `topics:` in "
                     "the mapping file. Exactly one of `topics` and `topics.regex`."},
    {"topics.regex", NULL, "Java regular expression of topics to consume, matched against whole "
                           "topic names as Connect does (`orders` does not take `orders-v2`). "
                           "`\\d \\w \\s` (and negations), escaped punctuation and `(?:...)` are "
                           "translated; lookaround, inline flags, possessive quantifiers and "
                           "back-references are refused. Checked against the mapping when "
                           "partitions are assigned."},
    {"aerospike.config.file", "aerospike-kafka-inbound.yml",
     "[aerosink] The mapping file (`.yml` or `.json`), relative to this properties file. "
     "Unset: the first of `aerospike-kafka-inbound.yml` / `.json` beside this file, then in "
     "`../etc/` (a Kafka install's `etc/`, where the original keeps it)."},
    {"aerospike.config.content", NULL,
     "[aerosink] The mapping text itself; distributed mode stores the file's content here so "
     "every worker runs the same version. Wins over `aerospike.config.file`."},
    {"key.converter", "(the worker's)", "Converter for record keys; its settings are the "
                                        "`key.converter.*` properties of the same file."},
    {"value.converter", "(the worker's)", "Converter for record values, with `value.converter.*`."},
    {"header.converter", "(the worker's)", "Converter for headers (only header TTLs read them)."},
    {"errors.tolerance", "none", "`none`: a record that cannot be converted fails the task; "
                                 "`all`: skip it (and send it to the DLQ if one is set)."},
    {"errors.retry.timeout", "0", "Milliseconds to retry a failed conversion; -1 = forever."},
    {"errors.retry.delay.max.ms", "60000", "Longest back-off between those retries."},
    {"errors.log.enable", "false", "Log each tolerated error with topic, partition and offset."},
    {"errors.log.include.messages", "false", "Also log key, value and headers (sensitive)."},
    {"errors.deadletterqueue.topic.name", "", "DLQ topic; empty = none. Needed by "
                                              "`dead-letter` policies."},
    {"errors.deadletterqueue.topic.replication.factor", "3", "Replication of an auto-created "
                                                             "DLQ topic; -1 = broker default."},
    {"errors.deadletterqueue.context.headers.enable", "false",
     "Add `__connect.errors.*` headers (topic, partition, offset, stage, exception...)."},
    {"consumer.override.*", NULL, "Consumer settings for this connector only (e.g. "
                                  "`consumer.override.max.partition.fetch.bytes`); librdkafka's "
                                  "names, or the Java client's as `consumer.*` takes them."},
    {"producer.override.*", NULL, "Settings of the DLQ producer for this connector."},
    {"admin.override.*", NULL, "Settings of the admin client (DLQ topic creation)."},
    {"config.action.reload", "restart", "Accepted (Connect's restart-on-change setting)."},
    {"transforms", NULL, "Single message transforms are Java classes: not supported by "
                         "aerosink (error when set)."},
    {"predicates", NULL, "Only used with transforms."},
    {NULL, NULL, NULL},
};

const struct cfg__prop_key cfg__worker_keys[] = {
    {"bootstrap.servers", "localhost:9092", "Kafka brokers: `host:port[,host:port...]` (a port "
                                         "is required, as in Kafka; `[v6]:port`, optional "
                                         "`SSL://`-style prefix)."},
    {"key.converter", NULL, "Default key converter (required), with `key.converter.*`."},
    {"value.converter", NULL, "Default value converter (required), with `value.converter.*`."},
    {"header.converter", "SimpleHeaderConverter", "Default header converter."},
    {"group.id", NULL, "Distributed mode: the Connect cluster's group (required)."},
    {"config.storage.topic", NULL, "Distributed mode: connector configs (required)."},
    {"offset.storage.topic", NULL, "Distributed mode: source offsets (required; sinks commit to "
                                   "their consumer group)."},
    {"status.storage.topic", NULL, "Distributed mode: connector and task status (required)."},
    {"config.storage.replication.factor", "3", "Accepted."},
    {"offset.storage.replication.factor", "3", "Accepted."},
    {"status.storage.replication.factor", "3", "Accepted."},
    {"offset.storage.partitions", "25", "Accepted."},
    {"status.storage.partitions", "5", "Accepted."},
    {"offset.storage.file.filename", NULL, "Standalone mode: source offsets file (unused by a "
                                           "sink)."},
    {"offset.flush.interval.ms", "60000", "How often consumed offsets are committed."},
    {"offset.flush.timeout.ms", "5000", "How long a commit may wait for in-flight writes."},
    {"listeners", "http://:8083", "REST API listener: `http://HOST:PORT` or `https://HOST:PORT` "
                                  "(PEM `listeners.https.ssl.keystore.location`); no HOST binds "
                                  "127.0.0.1."},
    {"rest.port", "8083", "Old REST port (when `listeners` is not set)."},
    {"rest.host.name", NULL, "Old REST bind address."},
    {"rest.advertised.host.name", NULL, "Host name other workers use to reach this one."},
    {"rest.advertised.port", NULL, "Port other workers use."},
    {"rest.advertised.listener", NULL, "`http` or `https`."},
    {"rest.auth.password.file", NULL, "[aerosink] HTTP basic auth for the REST API: a file of "
                                      "`user:password` lines."},
    {"rest.auth.exempt.probes", "false", "[aerosink] `true`: `/health` and `/metrics` answer "
                                         "without credentials."},
    {"rest.max.request.bytes", "1048576", "[aerosink] Largest REST request body (413 beyond)."},
    {"rest.max.connections", "32", "[aerosink] Concurrent REST connections."},
    {"rest.rate.limit.rps", "0", "[aerosink] Requests per second per client address (0 = off; "
                                 "429 beyond)."},
    {"plugin.path", NULL, "Accepted and ignored (aerosink has no plugins)."},
    {"topic.tracking.enable", "true", "Record the topics each connector consumes "
                                      "(`GET /connectors/N/topics`; in distributed mode in the "
                                      "status topic, as Connect's KIP-558). false: those "
                                      "endpoints answer 403."},
    {"topic.tracking.allow.reset", "true", "Allow `PUT /connectors/N/topics/reset` (distributed "
                                           "mode; standalone cannot reset and answers 403)."},
    {"scheduled.rebalance.max.delay.ms", "300000", "How long a departed worker's tasks wait "
                                                   "before moving."},
    {"session.timeout.ms", "10000", "Worker group session timeout."},
    {"heartbeat.interval.ms", "1000", "[aerosink] Distributed mode: how often each worker writes "
                                      "its heartbeat to the status topic (one silent for "
                                      "`session.timeout.ms` is dead). Connect's 3000 is its group "
                                      "heartbeat; 1000 notices a dead worker sooner."},
    {"rebalance.timeout.ms", "60000", "Worker group rebalance timeout."},
    {"connect.protocol", "sessioned", "Accepted."},
    {"connector.client.config.override.policy", "All", "Which `consumer.override.*` are "
                                                       "allowed."},
    {"task.shutdown.graceful.timeout.ms", "5000", "How long tasks get to stop."},
    {"client.id", NULL, "Kafka client id prefix."},
    {"security.protocol", "PLAINTEXT", "Worker's own clients (set `consumer.*` too for sink "
                                       "consumers)."},
    {"config.providers", NULL, "Config providers for `${provider:path:key}` references."},
    {"consumer.*", NULL, "Settings of every sink consumer: librdkafka's names (e.g. "
                            "`consumer.fetch.wait.max.ms`) or the Java client's, translated "
                            "(`receive.buffer.bytes`, `fetch.max.wait.ms`, `sasl.jaas.config` "
                            "PLAIN/SCRAM, PEM/PKCS12 `ssl.*store.*`; `max.poll.records` and other "
                            "Java-only settings: a warning; see docs/operations.md); `check` "
                            "tries each on librdkafka. The same for the worker's `security.*`, "
                            "`ssl.*`, `sasl.*`, `client.*` and `producer.*`."},
    {"producer.*", NULL, "Settings of the DLQ producer."},
    {"admin.*", NULL, "Settings of the admin client."},
    {NULL, NULL, NULL},
};

static const char *const connector_prefixes[] = {
    "key.converter.", "value.converter.", "header.converter.", "transforms.", "predicates.",
    "consumer.override.", "producer.override.", "admin.override.", NULL};
static const char *const worker_prefixes[] = {
    "key.converter.", "value.converter.", "header.converter.", "consumer.", "producer.",
    "admin.", "config.providers.", "listeners.", "ssl.", "sasl.", "metrics.", "metric.",
    "rest.extension.", "inter.worker.", "internal.", "offset.storage.", "config.storage.",
    "status.storage.", "topic.creation.", "exactly.once.", "access.control.", "admin.listeners.",
    "reconnect.", "retry.", "request.", "receive.", "send.", "socket.", "connections.",
    "worker.", "response.", "task.", "plugin.", "ssl", NULL};

static bool has_prefix(const char *s, const char *const *prefixes)
{
    for (; *prefixes; prefixes++)
        if (strncmp(s, *prefixes, strlen(*prefixes)) == 0)
            return true;
    return false;
}

static bool known(const struct cfg__prop_key *keys, const char *k)
{
    for (; keys->name; keys++)
        if (strcmp(keys->name, k) == 0)
            return true;
    return false;
}

/* Unknown properties: Connect ignores them; warn when one looks like a typo. */
static void near_misses(const struct cfg_props *p, const struct cfg__prop_key *keys,
                        const char *const *prefixes, struct cfg_diags *d)
{
    const char *cands[64];
    size_t n = 0;

    for (const struct cfg__prop_key *k = keys; k->name && n < ARRAY_LEN(cands); k++)
        if (!strchr(k->name, '*'))
            cands[n++] = k->name;
    for (size_t i = 0; i < p->n; i++) {
        const struct cfg_prop *pr = &p->v[i];
        const char *sug;
        char q[CFG_Q_LEN];
        if (known(keys, pr->key) || has_prefix(pr->key, prefixes))
            continue;
        sug = cfg__suggest(pr->key, cands, n);
        if (sug)
            cfg_diag_add(d, CFG_SEV_WARNING, p->file, pr->line, pr->col,
                         cfg__q(pr->key, strlen(pr->key), q, sizeof(q)),
                         "unknown property, ignored (did you mean \"%s\"?)", sug);
    }
}

/* --- typed values --- */

struct view {
    struct cfg_props *p;
    struct cfg_diags *d;
};

static void verr(struct view *v, const struct cfg_prop *pr, const char *key, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
static void verr(struct view *v, const struct cfg_prop *pr, const char *key, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, pr ? pr->vline : 0, pr ? pr->vcol : 0, key, "%s",
                 msg);
}

/* Trimmed value (in place) or NULL when absent. */
static const char *get(struct view *v, const char *key)
{
    struct cfg_prop *pr = (struct cfg_prop *)cfg_props_find(v->p, key);
    char *s, *e;

    if (!pr)
        return NULL;
    s = pr->value;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' ||
                     e[-1] == '\f'))
        e--;
    memmove(pr->value, s, (size_t)(e - s));
    pr->value[e - s] = '\0';
    return pr->value;
}

static const char *get_str(struct view *v, const char *key, const char *def)
{
    const char *s = get(v, key);
    return s ? s : def;
}

static int64_t get_int(struct view *v, const char *key, int64_t def, int64_t min, int64_t max)
{
    const char *s = get(v, key);
    const struct cfg_prop *pr = cfg_props_find(v->p, key);
    char q[CFG_Q_LEN];
    int64_t x;

    if (!s)
        return def;
    if (!str_to_i64(s, strlen(s), &x)) {
        verr(v, pr, key, "invalid value \"%s\": expected an integer",
             cfg__q(s, strlen(s), q, sizeof(q)));
        return def;
    }
    if (x < min && max >= INT32_MAX) {
        verr(v, pr, key, "value %lld is too small (at least %lld)", (long long)x, (long long)min);
        return def;
    }
    if (x < min || x > max) {
        verr(v, pr, key, "value %lld out of range %lld..%lld", (long long)x, (long long)min,
             (long long)max);
        return def;
    }
    return x;
}

static bool get_bool(struct view *v, const char *key, bool def)
{
    const char *s = get(v, key);
    char q[CFG_Q_LEN];

    if (!s)
        return def;
    if (strcasecmp(s, "true") == 0)
        return true;
    if (strcasecmp(s, "false") == 0)
        return false;
    verr(v, cfg_props_find(v->p, key), key, "invalid value \"%s\": expected true or false",
         cfg__q(s, strlen(s), q, sizeof(q)));
    return def;
}

/* All properties starting with @prefix, prefix removed. */
static bool collect(struct cfg_props *p, const char *prefix, struct cfg_kvs *out)
{
    size_t pl = strlen(prefix), n = 0;

    for (size_t i = 0; i < p->n; i++)
        if (strncmp(p->v[i].key, prefix, pl) == 0 && p->v[i].key[pl])
            n++;
    out->n = 0;
    out->v = n ? mem_calloc(n, sizeof(*out->v)) : NULL;
    if (n && !out->v)
        return false;
    for (size_t i = 0; i < p->n; i++)
        if (strncmp(p->v[i].key, prefix, pl) == 0 && p->v[i].key[pl])
            out->v[out->n++] = (struct cfg_kv){p->v[i].key + pl, p->v[i].value};
    return true;
}

static bool converter(struct view *v, const char *key, struct cfg_converter *cv)
{
    char prefix[64];

    cv->class_name = get(v, key);
    cv->origin = v->p->file;
    snprintf(prefix, sizeof(prefix), "%s.", key);
    return collect(v->p, prefix, &cv->props);
}

/* --- worker --- */

void cfg_worker_free(struct cfg_worker *w)
{
    if (!w)
        return;
    mem_free(w->key_converter.props.v);
    mem_free(w->value_converter.props.v);
    mem_free(w->header_converter.props.v);
    mem_free(w->consumer.v);
    mem_free(w->producer.v);
    mem_free(w->client.v);
    cfg_props_free(w->props);
    mem_free(w);
}

static bool collect_client(struct cfg_props *p, struct cfg_kvs *out)
{
    static const char *const client_prefixes[] = {"security.", "ssl.", "sasl.", "client.", NULL};
    size_t n = 0;

    for (size_t i = 0; i < p->n; i++)
        n += has_prefix(p->v[i].key, client_prefixes);
    out->n = 0;
    out->v = n ? mem_calloc(n, sizeof(*out->v)) : NULL;
    if (n && !out->v)
        return false;
    for (size_t i = 0; i < p->n; i++)
        if (has_prefix(p->v[i].key, client_prefixes))
            out->v[out->n++] = (struct cfg_kv){p->v[i].key, p->v[i].value};
    return true;
}

static void required(struct view *v, const char *key, const char *why)
{
    const char *s = get(v, key);
    if (!s || !*s)
        cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, s ? cfg_props_find(v->p, key)->vline : 0,
                     s ? cfg_props_find(v->p, key)->vcol : 0, key, "missing required property%s",
                     why);
}

/* --- worker: addresses --- */

static int chars_between(const char *a, const char *b);

static bool is_port(const char *s, size_t n, int64_t lo, int64_t *out)
{
    int64_t x = 0;

    if (n == 0 || n > 6)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *out = x;
    return x >= lo && x <= 65535;
}

static bool host_chars(const char *s, size_t n, bool v6)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' ||
                  (v6 && (ch == ':' || ch == '%'));
        if (!ok)
            return false;
    }
    return true;
}

/* One bootstrap.servers element (trimmed, non-empty): [PROTOCOL://]host:port as Kafka's
 * ClientUtils.parseAndValidateAddresses wants it (a port is required) and librdkafka dials
 * it. Returns NULL when fine, else why (in @why). */
static const char *broker_problem(const char *s, size_t n, char *why, size_t cap)
{
    static const char *const protos[] = {"PLAINTEXT://", "SSL://", "SASL_PLAINTEXT://",
                                         "SASL_SSL://"};
    const char *sep = NULL, *host, *port;
    size_t hn, pn;
    int64_t pv;
    bool bracketed;

    for (size_t i = 0; i + 2 < n; i++)
        if (memcmp(s + i, "://", 3) == 0) {
            sep = s + i;
            break;
        }
    if (sep) {
        bool known_proto = false;
        for (size_t i = 0; i < ARRAY_LEN(protos); i++)
            known_proto |= (size_t)(sep + 3 - s) == strlen(protos[i]) &&
                           strncasecmp(s, protos[i], strlen(protos[i])) == 0;
        if (!known_proto) {
            snprintf(why, cap, "unknown protocol prefix: expected PLAINTEXT://, SSL://, "
                               "SASL_PLAINTEXT:// or SASL_SSL:// (or none)");
            return why;
        }
        n -= (size_t)(sep + 3 - s);
        s = sep + 3;
    }
    bracketed = n && s[0] == '[';
    if (bracketed) {
        const char *rb = memchr(s, ']', n);
        if (!rb || rb == s + 1 || !host_chars(s + 1, (size_t)(rb - s - 1), true)) {
            snprintf(why, cap, "bad IPv6 address: expected [address]:port");
            return why;
        }
        host = s + 1;
        hn = (size_t)(rb - host);
        if (rb + 1 == s + n || rb[1] != ':') {
            snprintf(why, cap, "no port: Kafka requires host:port");
            return why;
        }
        port = rb + 2;
    } else {
        const char *colon = NULL;
        size_t colons = 0;
        for (size_t i = 0; i < n; i++)
            if (s[i] == ':') {
                colon = s + i;
                colons++;
            }
        if (colons > 1) {
            snprintf(why, cap, "an IPv6 address needs brackets: [address]:port");
            return why;
        }
        if (!colon) {
            snprintf(why, cap, "no port: Kafka requires host:port");
            return why;
        }
        host = s;
        hn = (size_t)(colon - s);
        port = colon + 1;
    }
    pn = (size_t)(s + n - port);
    if (hn == 0 || !host_chars(host, hn, bracketed)) {
        snprintf(why, cap, hn ? "invalid host name" : "no host: expected host:port");
        return why;
    }
    if (!is_port(port, pn, 1, &pv)) {
        snprintf(why, cap, pn == 0 ? "no port after ':': expected host:port"
                           : "port must be a number in 1..65535");
        return why;
    }
    return NULL;
}

/* Calls @fn for each comma-separated element of @s (blanks around it trimmed) with its
 * column offset in characters and @ctx; returns how many elements were not empty. */
typedef void (*list_fn)(struct view *v, const struct cfg_prop *pr, const char *key, const char *el,
                        size_t n, int col, void *ctx);

static size_t each_element(struct view *v, const struct cfg_prop *pr, const char *key,
                           const char *s, list_fn fn, void *ctx)
{
    size_t nonempty = 0;

    for (const char *p = s;;) {
        const char *e = strchr(p, ','), *a = p, *b;
        b = e ? e : p + strlen(p);
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        nonempty += a < b;
        fn(v, pr, key, a, (size_t)(b - a), pr->vcol + chars_between(s, a), ctx);
        if (!e)
            break;
        p = e + 1;
    }
    return nonempty;
}

static void broker_element(struct view *v, const struct cfg_prop *pr, const char *key,
                           const char *el, size_t n, int col, void *ctx)
{
    (void)ctx;
    char why[160], q[CFG_Q_LEN];

    if (n == 0) {
        if (strchr(pr->value, ',') && strspn(pr->value, ", \t") != strlen(pr->value))
            cfg_diag_add(v->d, CFG_SEV_WARNING, v->p->file, pr->vline, col, key,
                         "empty element in the list, ignored");
        return;
    }
    if (broker_problem(el, n, why, sizeof(why)))
        cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, pr->vline, col, key, "\"%s\": %s",
                     cfg__q(el, n, q, sizeof(q)), why);
}

/* bootstrap.servers: Kafka's rules (ClientUtils.parseAndValidateAddresses): every element
 * host:port, empty elements skipped, at least one address. */
static void check_bootstrap(struct view *v)
{
    const struct cfg_prop *pr = cfg_props_find(v->p, "bootstrap.servers");
    const char *s = get(v, "bootstrap.servers");

    if (!s)
        return;   /* default localhost:9092 */
    if (each_element(v, pr, "bootstrap.servers", s, broker_element, NULL) == 0)
        cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, pr->vline, pr->vcol, "bootstrap.servers",
                     "empty: expected host:port[,host:port...]");
}

bool cfg_listener_parse(const char *s, size_t n, char *host, size_t cap, int *port, bool *https,
                        const char **why)
{
    const char *colon = NULL, *h;
    size_t hn;
    int64_t pv;

    while (n && *s == ' ') {
        s++;
        n--;
    }
    *https = false;
    if (n >= 8 && strncasecmp(s, "https://", 8) == 0) {
        *https = true;
        s += 8;
        n -= 8;
    } else if (n >= 7 && strncasecmp(s, "http://", 7) == 0) {
        s += 7;
        n -= 7;
    } else {
        *why = "expected http://HOST:PORT or https://HOST:PORT";
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':')
            colon = s + i;
    if (!colon) {
        *why = "no port: expected http[s]://HOST:PORT";
        return false;
    }
    if (!is_port(colon + 1, (size_t)(s + n - colon - 1), 0, &pv)) {
        *why = "port must be a number in 0..65535";
        return false;
    }
    h = s;
    hn = (size_t)(colon - s);
    if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']') {
        h++;
        hn -= 2;
    }
    if (hn >= cap) {
        *why = "host name too long";
        return false;
    }
    if (host) {
        memcpy(host, h, hn);
        host[hn] = '\0';
    }
    *port = (int)pv;
    return true;
}

static void listener_element(struct view *v, const struct cfg_prop *pr, const char *key,
                             const char *el, size_t n, int col, void *ctx)
{
    char host[256], q[CFG_Q_LEN];

    (void)ctx;
    const char *why = NULL;
    int port;
    bool https;

    if (n == 0) {
        if (strspn(pr->value, ", \t") != strlen(pr->value))
            cfg_diag_add(v->d, CFG_SEV_WARNING, v->p->file, pr->vline, col, key,
                         "empty element in the list, ignored");
        return;
    }
    if (!cfg_listener_parse(el, n, host, sizeof(host), &port, &https, &why))
        cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, pr->vline, col, key, "\"%s\": %s",
                     cfg__q(el, n, q, sizeof(q)), why);
}

/* listeners (as the REST server reads them, app_listener), rest.advertised.*. */
static void check_rest(struct view *v)
{
    const struct cfg_prop *pr = cfg_props_find(v->p, "listeners");
    const char *s = get(v, "listeners");
    char q[CFG_Q_LEN];

    if (s && each_element(v, pr, "listeners", s, listener_element, NULL) == 0)
        cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, pr->vline, pr->vcol, "listeners",
                     "empty: expected http[s]://HOST:PORT");
    if ((s = get(v, "rest.advertised.listener")) && *s && strcasecmp(s, "http") != 0 &&
        strcasecmp(s, "https") != 0)
        verr(v, cfg_props_find(v->p, "rest.advertised.listener"), "rest.advertised.listener",
             "invalid value \"%s\": expected http or https", cfg__q(s, strlen(s), q, sizeof(q)));
    if ((s = get(v, "rest.advertised.host.name")) && *s &&
        (strpbrk(s, " \t/") || !host_chars(s, strlen(s), strchr(s, ':') != NULL)))
        verr(v, cfg_props_find(v->p, "rest.advertised.host.name"), "rest.advertised.host.name",
             "invalid value \"%s\": expected a host name or an IP address (no scheme, no port)",
             cfg__q(s, strlen(s), q, sizeof(q)));
}

static struct cfg_worker *worker_new(struct cfg_props *props, enum cfg_worker_mode mode,
                                     bool partial, struct cfg_diags *d)
{
    struct cfg_diags local = CFG_DIAGS_INIT;
    struct view v = {props, d ? d : &local};
    size_t errors = v.d->errors;
    struct cfg_worker *w;
    bool ok;

    if (!props)
        return NULL;
    w = mem_calloc(1, sizeof(*w));
    if (!w) {
        cfg_props_free(props);
        return NULL;
    }
    w->props = props;
    if (mode == CFG_WORKER_AUTO)
        mode = (get(&v, "group.id") || get(&v, "config.storage.topic") ||
                get(&v, "status.storage.topic") || get(&v, "offset.storage.topic"))
                   ? CFG_WORKER_DISTRIBUTED
                   : CFG_WORKER_STANDALONE;
    w->mode = mode;
    w->bootstrap_servers = get_str(&v, "bootstrap.servers", "localhost:9092");
    check_bootstrap(&v);
    w->group_id = get(&v, "group.id");
    ok = converter(&v, "key.converter", &w->key_converter) &&
         converter(&v, "value.converter", &w->value_converter) &&
         converter(&v, "header.converter", &w->header_converter) &&
         collect(props, "consumer.", &w->consumer) && collect(props, "producer.", &w->producer) &&
         collect_client(props, &w->client);
    required(&v, "key.converter", "");
    required(&v, "value.converter", "");
    if (mode == CFG_WORKER_DISTRIBUTED) {
        required(&v, "group.id", " in distributed mode");
        required(&v, "config.storage.topic", " in distributed mode");
        required(&v, "offset.storage.topic", " in distributed mode");
        required(&v, "status.storage.topic", " in distributed mode");
    }
    w->offset_flush_interval_ms = get_int(&v, "offset.flush.interval.ms", 60000, 0, INT64_MAX);
    w->offset_flush_timeout_ms = get_int(&v, "offset.flush.timeout.ms", 5000, 0, INT64_MAX);
    w->rest_port = get_int(&v, "rest.port", 8083, 0, 65535);
    w->rest_host_name = get(&v, "rest.host.name");
    w->listeners = get(&v, "listeners");
    if (!w->listeners && !get(&v, "rest.port") && !w->rest_host_name)
        w->listeners = "http://:8083";
    w->rest_advertised_host_name = get(&v, "rest.advertised.host.name");
    w->rest_advertised_port = get_int(&v, "rest.advertised.port", 0, 0, 65535);
    w->rest_advertised_listener = get(&v, "rest.advertised.listener");
    check_rest(&v);
    w->config_storage_topic = get(&v, "config.storage.topic");
    w->offset_storage_topic = get(&v, "offset.storage.topic");
    w->status_storage_topic = get(&v, "status.storage.topic");
    w->offset_storage_file = get(&v, "offset.storage.file.filename");
    w->plugin_path = get(&v, "plugin.path");
    w->scheduled_rebalance_max_delay_ms =
        get_int(&v, "scheduled.rebalance.max.delay.ms", 300000, 0, INT32_MAX);
    w->topic_tracking = get_bool(&v, "topic.tracking.enable", true);
    w->topic_tracking_reset = get_bool(&v, "topic.tracking.allow.reset", true);
    near_misses(props, cfg__worker_keys, worker_prefixes, v.d);
    if (!ok)
        cfg_diag_add(v.d, CFG_SEV_ERROR, props->file, 0, 0, "", "out of memory");
    cfg_diags_sort(v.d);
    if (v.d->errors > errors && !(partial && ok)) {
        cfg_worker_free(w);
        w = NULL;
    }
    cfg_diags_free(&local);
    return w;
}

struct cfg_worker *cfg_worker_new(struct cfg_props *props, enum cfg_worker_mode mode,
                                  struct cfg_diags *d)
{
    return worker_new(props, mode, false, d);
}

struct cfg_worker *cfg__worker_new_partial(struct cfg_props *props, enum cfg_worker_mode mode,
                                           struct cfg_diags *d)
{
    return worker_new(props, mode, true, d);
}

/* --- connector --- */

void cfg_connector_free(struct cfg_connector *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_topics; i++)
        mem_free(c->topics[i]);
    mem_free(c->topics);
    mem_free(c->mapping_path);
    mem_free(c->topics_pattern);
    mem_free(c->key_converter.props.v);
    mem_free(c->value_converter.props.v);
    mem_free(c->consumer_override.v);
    mem_free(c->producer_override.v);
    mem_free(c->admin_override.v);
    cfg_props_free(c->props);
    mem_free(c);
}

static const char *const accepted_classes[] = {CFG_CONNECTOR_CLASS, "AerospikeSinkConnector",
                                               "AerospikeSink", CFG_CONNECTOR_ALIAS};

static void check_class(struct view *v, struct cfg_connector *c)
{
    const struct cfg_prop *pr = cfg_props_find(v->p, "connector.class");
    char q[CFG_Q_LEN];
    const char *sug;

    if (!c->connector_class || !*c->connector_class)
        return;   /* reported as missing */
    for (size_t i = 0; i < ARRAY_LEN(accepted_classes); i++)
        if (strcmp(c->connector_class, accepted_classes[i]) == 0)
            return;
    cfg__q(c->connector_class, strlen(c->connector_class), q, sizeof(q));
    sug = strlen(c->connector_class) <= 64
              ? cfg__suggest(c->connector_class, accepted_classes, ARRAY_LEN(accepted_classes))
              : NULL;
    if (!sug && strstr(c->connector_class, "AerospikeSinkConnector"))
        sug = CFG_CONNECTOR_CLASS;
    if (sug)
        verr(v, pr, "connector.class", "\"%s\" is not the Aerospike sink (did you mean \"%s\"?)", q,
             sug);
    else
        verr(v, pr, "connector.class",
             "\"%s\" is not the Aerospike sink: aerosink runs only " CFG_CONNECTOR_CLASS, q);
}

static int chars_between(const char *a, const char *b)
{
    int n = 0;
    for (; a < b; a++)
        n += (*a & 0xC0) != 0x80;
    return n;
}

struct topics_ctx {
    struct cfg_connector *c;
    bool ok;   /* false: out of memory */
};

static void topic_element(struct view *v, const struct cfg_prop *pr, const char *key, const char *el,
                          size_t n, int col, void *ctx)
{
    struct topics_ctx *tc = ctx;
    struct cfg_connector *c = tc->c;
    char q[CFG_Q_LEN];
    bool dup = false;

    if (!cfg__valid_topic_name(el, n)) {
        cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, pr->vline, col, key,
                     n == 0 ? "empty topic name in the list" : "\"%s\" is not a valid Kafka topic name",
                     cfg__q(el, n, q, sizeof(q)));
        return;
    }
    for (size_t i = 0; i < c->n_topics; i++)
        dup |= strlen(c->topics[i]) == n && memcmp(c->topics[i], el, n) == 0;
    if (dup)
        cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, pr->vline, col, key, "topic \"%s\" is listed twice",
                     cfg__q(el, n, q, sizeof(q)));
    else if (tc->ok && !(c->topics[c->n_topics++] = mem_strndup(el, n)))
        tc->ok = false;
}

/* `topics`: Connect's LIST type (split on commas, blanks trimmed). */
static bool split_topics(struct view *v, struct cfg_connector *c, const char *s)
{
    struct topics_ctx tc = {c, true};
    size_t n = 1;

    for (const char *x = s; *x; x++)
        n += *x == ',';
    c->topics = mem_calloc(n, sizeof(*c->topics));
    if (!c->topics)
        return false;
    each_element(v, cfg_props_find(v->p, "topics"), "topics", s, topic_element, &tc);
    return tc.ok;
}

static void old_properties(struct view *v)
{
    for (size_t i = 0; i < v->p->n; i++) {
        const struct cfg_prop *pr = &v->p->v[i];
        if (strncmp(pr->key, "cluster.", 8) == 0 || strncmp(pr->key, "policy.", 7) == 0 ||
            (strncmp(pr->key, "topic.", 6) == 0 && strncmp(pr->key, "topic.creation.", 15) != 0)) {
            cfg_diag_add(v->d, CFG_SEV_ERROR, v->p->file, pr->line, pr->col, pr->key,
                         "connector 1.x properties are not supported by aerosink: write the "
                         "mapping in aerospike-kafka-inbound.yml (aerospike.config.file)");
            return;   /* once is enough */
        }
    }
}

static void errors_props(struct view *v, struct cfg_errors *e)
{
    const char *tol = get_str(v, "errors.tolerance", "none");
    char q[CFG_Q_LEN];

    if (strcmp(tol, "all") == 0)
        e->tolerance_all = true;
    else if (strcmp(tol, "none") != 0) {
        static const char *const vals[] = {"none", "all"};
        const char *sug = strlen(tol) < 64 ? cfg__suggest(tol, vals, 2) : NULL;
        verr(v, cfg_props_find(v->p, "errors.tolerance"), "errors.tolerance",
             "invalid value \"%s\": expected none | all%s%s%s", cfg__q(tol, strlen(tol), q, sizeof(q)),
             sug ? " (did you mean \"" : "", sug ? sug : "", sug ? "\"?)" : "");
    }
    e->retry_timeout_ms = get_int(v, "errors.retry.timeout", 0, -1, INT64_MAX);
    e->retry_delay_max_ms = get_int(v, "errors.retry.delay.max.ms", 60000, 0, INT64_MAX);
    e->log_enable = get_bool(v, "errors.log.enable", false);
    e->log_include_messages = get_bool(v, "errors.log.include.messages", false);
    e->dlq_topic = get_str(v, "errors.deadletterqueue.topic.name", "");
    e->dlq_replication_factor =
        get_int(v, "errors.deadletterqueue.topic.replication.factor", 3, -1, INT16_MAX);
    if (e->dlq_replication_factor == 0)
        verr(v, cfg_props_find(v->p, "errors.deadletterqueue.topic.replication.factor"),
             "errors.deadletterqueue.topic.replication.factor",
             "value 0 out of range: -1 (broker default) or 1..32767");
    e->dlq_context_headers = get_bool(v, "errors.deadletterqueue.context.headers.enable", false);
}

/* --- topics.regex --- */

/* Connect consumes the topics a Java regex matches as a whole (Pattern.matcher(t).matches());
 * librdkafka and the offsets lookup take POSIX extended regexes. The translation keeps what
 * topic patterns use and refuses what POSIX cannot say, so a pattern never silently means
 * something else: \d \w \s and their negations, escaped punctuation, (?:...), lazy
 * quantifiers (the same whole-name matches), and [...] classes with escapes; refused:
 * lookaround and inline flags (?=, (?i)..., possessive quantifiers, back-references, other
 * backslash letters (\b \p{..} \Q...), nested classes and && in a class.
 * Returns NULL with @why set when refused. */
struct rx_out {
    struct buf b;
    const char *why;
};

static bool rx_put(struct rx_out *o, const char *s)
{
    return buf_append_str(&o->b, s) == ST_OK;
}

static bool rx_putc(struct rx_out *o, char c)
{
    return buf_append(&o->b, &c, 1) == ST_OK;
}

/* A bracket class from just after '[' (and '^'); returns the position after its ']'. */
static const char *rx_class(const char *p, struct rx_out *o, bool neg)
{
    struct buf body = BUF_INIT;
    bool rbracket = false, dash = false, caret = false, ok = true;

    while (ok && *p && *p != ']') {
        char lo = *p, hi;
        if (*p == '[' || (p[0] == '&' && p[1] == '&')) {
            o->why = "nested classes and && inside [...] are not supported";
            ok = false;
            break;
        }
        if (*p == '\\') {
            char n = p[1];
            const char *cls = n == 'd' ? "0-9" : n == 'w' ? "A-Za-z0-9_" : n == 's' ? "[:space:]" : NULL;
            if (cls) {
                ok = buf_append_str(&body, cls) == ST_OK;
                p += 2;
                continue;
            }
            if (!n || !((n >= '!' && n <= '/') || (n >= ':' && n <= '@') || (n >= '[' && n <= '`') ||
                        (n >= '{' && n <= '~'))) {
                o->why = n == 'D' || n == 'W' || n == 'S'
                             ? "\\D, \\W and \\S inside [...] are not supported"
                             : "this backslash sequence inside [...] is not supported";
                ok = false;
                break;
            }
            lo = n;             /* escaped punctuation: the character itself */
            p += 2;
        } else {
            p++;
        }
        if (p[0] == '-' && p[1] && p[1] != ']') {          /* a range lo-hi */
            hi = p[1];
            if (hi == '\\' || hi == '[' || lo == ']' || lo == '-' || lo == '^' || hi == ']') {
                o->why = "a range with an escaped or special end inside [...] is not supported";
                ok = false;
                break;
            }
            char r[3] = {lo, '-', hi};
            ok = buf_append(&body, r, 3) == ST_OK;
            p += 2;
            continue;
        }
        if (lo == ']')
            rbracket = true;
        else if (lo == '-')
            dash = true;
        else if (lo == '^')
            caret = true;
        else
            ok = buf_append(&body, &lo, 1) == ST_OK;
    }
    if (ok && *p != ']') {
        o->why = "unclosed [";
        ok = false;
    }
    if (ok && !rbracket && !dash && !caret && body.len == 0) {
        o->why = "empty []";
        ok = false;
    }
    /* POSIX: ']' literal only first, '-' only last, '^' anywhere but first */
    ok = ok && rx_putc(o, '[') && (!neg || rx_putc(o, '^')) && (!rbracket || rx_putc(o, ']')) &&
         buf_append(&o->b, body.p, body.len) == ST_OK && (!caret || rx_putc(o, '^')) &&
         (!dash || rx_putc(o, '-')) && rx_putc(o, ']');
    if (ok && caret && !rbracket && body.len == 0 && !neg) {
        o->why = "a class of only ^ is not supported (write \\^)";
        ok = false;
    }
    buf_free(&body);
    return ok ? p + 1 : NULL;
}

char *cfg__topics_regex_posix(const char *java, const char **why)
{
    struct rx_out o = {BUF_INIT, NULL};
    const char *p = java;
    bool ok = rx_put(&o, "^(");

    while (ok && *p) {
        char c = *p;
        if (c == '\\') {
            char n = p[1];
            static const char *const cls[][2] = {{"d", "[0-9]"}, {"D", "[^0-9]"}, {"w", "[A-Za-z0-9_]"},
                                                 {"W", "[^A-Za-z0-9_]"}, {"s", "[[:space:]]"},
                                                 {"S", "[^[:space:]]"}};
            const char *sub = NULL;
            for (size_t i = 0; i < sizeof(cls) / sizeof(cls[0]); i++)
                if (n && n == cls[i][0][0])
                    sub = cls[i][1];
            if (sub) {
                ok = rx_put(&o, sub);
            } else if (n && strchr(".[]()*+?{}|^$\\", n)) {
                ok = rx_putc(&o, '\\') && rx_putc(&o, n);
            } else if ((n >= '!' && n <= '/') || (n >= ':' && n <= '@') || n == '_' || n == '`' ||
                       n == '~') {
                ok = rx_putc(&o, n);                      /* escaped punctuation: itself */
            } else {
                o.why = !n ? "it ends with a backslash"
                    : (n >= '0' && n <= '9') ? "back-references are not supported"
                                              : "this backslash sequence is not supported (only \\d \\D \\w "
                                                "\\W \\s \\S and escaped punctuation)";
                ok = false;
                break;
            }
            p += 2;
        } else if (c == '(' && p[1] == '?') {
            if (p[2] != ':') {
                o.why = "lookaround and inline flags, (?...), are not supported (only (?:...))";
                ok = false;
                break;
            }
            ok = rx_putc(&o, '(');
            p += 3;
        } else if (c == '[') {
            bool neg = p[1] == '^';
            const char *after = rx_class(p + 1 + neg, &o, neg);
            if (!after) {
                ok = false;
                break;
            }
            p = after;
        } else if (c == '*' || c == '+' || c == '?' || c == '}') {
            ok = rx_putc(&o, c);
            p++;
            if (*p == '?')
                p++;                                      /* lazy: same whole-name matches */
            else if (*p == '+') {
                o.why = "possessive quantifiers (*+ ++ ?+) are not supported";
                ok = false;
                break;
            }
        } else {
            ok = rx_putc(&o, c);
            p++;
        }
    }
    ok = ok && rx_put(&o, ")$") && buf_cstr(&o.b) != NULL;
    if (!ok) {
        *why = o.why ? o.why : "out of memory";
        buf_free(&o.b);
        return NULL;
    }
    regex_t rx;
    int rc = regcomp(&rx, (const char *)o.b.p, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        *why = "not a valid regular expression (unbalanced (), [] or {}, or a misplaced quantifier)";
        buf_free(&o.b);
        return NULL;
    }
    regfree(&rx);
    return (char *)o.b.p;
}

bool cfg__topics_regex_matches(const char *posix, const char *topic)
{
    regex_t rx;
    bool m;

    if (regcomp(&rx, posix, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    m = regexec(&rx, topic, 0, NULL, 0) == 0;
    regfree(&rx);
    return m;
}

static char *resolve_mapping_path(const char *props_file, const char *rel)
{
    const char *slash = strrchr(props_file, '/');
    struct buf b = BUF_INIT;

    if (rel[0] == '/' || !slash)
        return mem_strdup(rel);
    if (buf_append(&b, props_file, (size_t)(slash - props_file + 1)) != ST_OK ||
        buf_append_str(&b, rel) != ST_OK) {
        buf_free(&b);
        return NULL;
    }
    buf_cstr(&b);
    return (char *)b.p;
}

/* Without aerospike.config.file: the original's names, beside the connector file, then in
 * the Kafka install's etc/ as the original documents it (KAFKA_DIR/config/x.properties ->
 * KAFKA_DIR/etc/). The first that exists; none: the first (the load then names them all). */
static const char *const mapping_defaults[] = {
    "aerospike-kafka-inbound.yml", "aerospike-kafka-inbound.json",
    "../etc/aerospike-kafka-inbound.yml", "../etc/aerospike-kafka-inbound.json",
};

static char *default_mapping_path(const char *props_file)
{
    for (size_t i = 0; i < sizeof(mapping_defaults) / sizeof(mapping_defaults[0]); i++) {
        char *p = resolve_mapping_path(props_file, mapping_defaults[i]);
        if (!p || access(p, F_OK) == 0)
            return p;
        mem_free(p);
    }
    return resolve_mapping_path(props_file, mapping_defaults[0]);
}

static void converter_subprops_warning(struct view *v, const char *cls)
{
    char prefix[64];
    size_t pl;

    if (get(v, cls))
        return;
    snprintf(prefix, sizeof(prefix), "%s.", cls);
    pl = strlen(prefix);
    for (size_t i = 0; i < v->p->n; i++) {
        const struct cfg_prop *pr = &v->p->v[i];
        if (strncmp(pr->key, prefix, pl) == 0) {
            cfg_diag_add(v->d, CFG_SEV_WARNING, v->p->file, pr->line, pr->col, pr->key,
                         "ignored: Connect applies %s.* only together with %s in the same "
                         "config (the worker's converter keeps the worker's settings)",
                         cls, cls);
            return;
        }
    }
}

static struct cfg_connector *connector_new(struct cfg_props *props, bool partial,
                                           struct cfg_diags *d)
{
    struct cfg_diags local = CFG_DIAGS_INIT;
    struct view v = {props, d ? d : &local};
    size_t errors = v.d->errors;
    struct cfg_connector *c;
    const char *topics, *regex, *tr;
    char q[CFG_Q_LEN];
    bool ok = true;

    if (!props)
        return NULL;
    c = mem_calloc(1, sizeof(*c));
    if (!c) {
        cfg_props_free(props);
        return NULL;
    }
    c->props = props;
    c->name = get(&v, "name");
    required(&v, "name", "");
    for (const char *s = c->name; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F) {
            verr(&v, cfg_props_find(props, "name"), "name", "contains a control character");
            break;
        }
    c->connector_class = get(&v, "connector.class");
    required(&v, "connector.class", "");
    check_class(&v, c);
    c->tasks_max = get_int(&v, "tasks.max", 1, 1, INT32_MAX);

    topics = get(&v, "topics");
    regex = get(&v, "topics.regex");
    if (topics && !*topics)
        topics = NULL;   /* Connect: an empty list is "not set" */
    if (regex && !*regex)
        regex = NULL;
    if (topics && regex)
        verr(&v, cfg_props_find(props, "topics.regex"), "topics.regex",
             "topics and topics.regex are mutually exclusive: keep one");
    else if (!topics && !regex)
        cfg_diag_add(v.d, CFG_SEV_ERROR, props->file, 0, 0, "topics",
                     "missing required property: set topics (or topics.regex)");
    if (topics)
        ok = split_topics(&v, c, topics);
    c->topics_regex = regex;
    if (regex && !topics) {
        const char *why = NULL;
        if (!(c->topics_pattern = cfg__topics_regex_posix(regex, &why)))
            verr(&v, cfg_props_find(props, "topics.regex"), "topics.regex", "\"%s\": %s",
                 cfg__q(regex, strlen(regex), q, sizeof(q)), why);
    }

    c->mapping_content = get(&v, "aerospike.config.content");
    c->mapping_path = get(&v, "aerospike.config.file")
                          ? resolve_mapping_path(props->file, get(&v, "aerospike.config.file"))
                          : default_mapping_path(props->file);
    ok = ok && c->mapping_path && converter(&v, "key.converter", &c->key_converter) &&
         converter(&v, "value.converter", &c->value_converter) &&
         collect(props, "consumer.override.", &c->consumer_override) &&
         collect(props, "producer.override.", &c->producer_override) &&
         collect(props, "admin.override.", &c->admin_override);
    if (!c->key_converter.class_name)
        c->key_converter.props.n = 0;   /* Connect ignores them without the class */
    if (!c->value_converter.class_name)
        c->value_converter.props.n = 0;
    converter_subprops_warning(&v, "key.converter");
    converter_subprops_warning(&v, "value.converter");
    errors_props(&v, &c->errors);
    for (size_t i = 0; i < c->n_topics && *c->errors.dlq_topic; i++)
        if (strcmp(c->topics[i], c->errors.dlq_topic) == 0)
            verr(&v, cfg_props_find(props, "errors.deadletterqueue.topic.name"),
                 "errors.deadletterqueue.topic.name",
                 "the DLQ topic \"%s\" is also in topics: the connector would consume its own "
                 "dead letters", c->errors.dlq_topic);
    if (c->topics_pattern && *c->errors.dlq_topic &&
        cfg__topics_regex_matches(c->topics_pattern, c->errors.dlq_topic))
        verr(&v, cfg_props_find(props, "errors.deadletterqueue.topic.name"),
             "errors.deadletterqueue.topic.name",
             "the DLQ topic \"%s\" matches topics.regex: the connector would consume its own "
             "dead letters", c->errors.dlq_topic);
    if ((tr = get(&v, "transforms")) && *tr)
        verr(&v, cfg_props_find(props, "transforms"), "transforms",
             "single message transforms are Java classes: not supported by aerosink");
    old_properties(&v);
    near_misses(props, cfg__connector_keys, connector_prefixes, v.d);
    if (!ok)
        cfg_diag_add(v.d, CFG_SEV_ERROR, props->file, 0, 0, "", "out of memory");
    cfg_diags_sort(v.d);
    if (v.d->errors > errors && !(partial && ok)) {
        cfg_connector_free(c);
        c = NULL;
    }
    cfg_diags_free(&local);
    return c;
}

struct cfg_connector *cfg_connector_new(struct cfg_props *props, struct cfg_diags *d)
{
    return connector_new(props, false, d);
}

struct cfg_connector *cfg__connector_new_partial(struct cfg_props *props, struct cfg_diags *d)
{
    return connector_new(props, true, d);
}

void cfg_effective_converter(const struct cfg_worker *w, const struct cfg_connector *c, bool key,
                             struct cfg_converter *out)
{
    const struct cfg_converter *cc = c ? (key ? &c->key_converter : &c->value_converter) : NULL;
    const struct cfg_converter *wc = w ? (key ? &w->key_converter : &w->value_converter) : NULL;

    if (cc && cc->class_name)
        *out = *cc;
    else if (wc)
        *out = *wc;
    else
        memset(out, 0, sizeof(*out));
}

/* --- converters aerosink implements --- */

struct conv_class {
    const char *name;
    bool supported;
};

static const struct conv_class conv_classes[] = {
    {"org.apache.kafka.connect.json.JsonConverter", true},
    {"io.confluent.connect.avro.AvroConverter", true},
    {"org.apache.kafka.connect.storage.StringConverter", true},
    {"org.apache.kafka.connect.converters.ByteArrayConverter", true},
    {"org.apache.kafka.connect.converters.IntegerConverter", true},
    {"org.apache.kafka.connect.converters.LongConverter", true},
    {"org.apache.kafka.connect.converters.ShortConverter", true},
    {"org.apache.kafka.connect.converters.FloatConverter", true},
    {"org.apache.kafka.connect.converters.DoubleConverter", true},
    {"org.apache.kafka.connect.converters.BooleanConverter", true},
    {"io.confluent.connect.protobuf.ProtobufConverter", true},
    {"io.confluent.connect.json.JsonSchemaConverter", true},
};

/* Connect also accepts a plugin's simple name, and the simple name without "Converter". */
static const struct conv_class *conv_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(conv_classes); i++) {
        const char *full = conv_classes[i].name, *simple = strrchr(full, '.') + 1;
        size_t sl = strlen(simple) - strlen("Converter");
        if (strcmp(name, full) == 0 || strcmp(name, simple) == 0 ||
            (strlen(name) == sl && strncmp(name, simple, sl) == 0))
            return &conv_classes[i];
    }
    return NULL;
}

static const struct cfg_prop *find_in(const struct cfg_worker *w, const struct cfg_connector *c,
                                      const char *origin, const char *key,
                                      const struct cfg_props **from)
{
    *from = c && c->props->file == origin ? c->props : w ? w->props : NULL;
    return *from ? cfg_props_find(*from, key) : NULL;
}

static void check_one(const struct cfg_worker *w, const struct cfg_connector *c, bool key,
                      struct cfg_diags *d)
{
    const char *which = key ? "key.converter" : "value.converter";
    struct cfg_converter cv;
    const struct conv_class *cc;
    const struct cfg_props *from;
    const struct cfg_prop *pr;
    char q[CFG_Q_LEN], sub[96];

    cfg_effective_converter(w, c, key, &cv);
    if (!cv.class_name)
        return;
    pr = find_in(w, c, cv.origin, which, &from);
    if (!pr || !from)
        return;
    cc = conv_find(cv.class_name);
    cfg__q(cv.class_name, strlen(cv.class_name), q, sizeof(q));
    if (!cc) {
        const char *cands[ARRAY_LEN(conv_classes)];
        const char *sug;
        for (size_t i = 0; i < ARRAY_LEN(conv_classes); i++)
            cands[i] = conv_classes[i].name;
        sug = strlen(cv.class_name) <= 64 ? cfg__suggest(cv.class_name, cands, ARRAY_LEN(cands))
                                          : NULL;
        cfg_diag_add(d, CFG_SEV_ERROR, from->file, pr->vline, pr->vcol, which,
                     "unknown converter \"%s\"%s%s%s", q, sug ? " (did you mean \"" : "",
                     sug ? sug : "", sug ? "\"?)" : "");
        return;
    }
    if (!cc->supported) {
        cfg_diag_add(d, CFG_SEV_ERROR, from->file, pr->vline, pr->vcol, which,
                     "%s is not supported by aerosink yet", q);
        return;
    }
    if (strstr(cc->name, "AvroConverter") || strstr(cc->name, "JsonSchemaConverter") ||
        strstr(cc->name, "ProtobufConverter")) {   /* the Schema Registry converters */
        bool url = false;
        for (size_t i = 0; i < cv.props.n; i++)
            url |= strcmp(cv.props.v[i].key, "schema.registry.url") == 0;
        snprintf(sub, sizeof(sub), "%s.schema.registry.url", which);
        if (!url)
            cfg_diag_add(d, CFG_SEV_ERROR, from->file, pr->vline, pr->vcol, which, "%s needs %s",
                         strrchr(cc->name, '.') + 1, sub);
    }
    for (size_t i = 0; i < cv.props.n; i++) {
        const char *val = cv.props.v[i].value;
        if (strcmp(cv.props.v[i].key, "schemas.enable") == 0 && strcasecmp(val, "true") != 0 &&
            strcasecmp(val, "false") != 0) {
            snprintf(sub, sizeof(sub), "%s.schemas.enable", which);
            pr = cfg_props_find(from, sub);
            cfg_diag_add(d, CFG_SEV_ERROR, from->file, pr ? pr->vline : 0, pr ? pr->vcol : 0, sub,
                         "invalid value \"%s\": expected true or false",
                         cfg__q(val, strlen(val), q, sizeof(q)));
        }
    }
}

void cfg_check_converters(const struct cfg_worker *w, const struct cfg_connector *c,
                          struct cfg_diags *d)
{
    check_one(w, c, true, d);
    check_one(w, c, false, d);
    cfg_diags_sort(d);
}

/* --- connector <-> mapping --- */

bool cfg_connector_mapping_missing(const struct cfg_connector *c, struct cfg_diags *d)
{
    char *tried[4] = {0};

    if (c->mapping_content || cfg_props_find(c->props, "aerospike.config.file") ||
        access(c->mapping_path, F_OK) == 0)
        return false;
    for (size_t i = 0; i < 4; i++)
        tried[i] = resolve_mapping_path(c->props->file, mapping_defaults[i]);
    cfg_diag_add(d, CFG_SEV_ERROR, c->props->file, 0, 0, "aerospike.config.file",
                 "no mapping file: looked for %s, %s, %s and %s; set aerospike.config.file to its "
                 "path", tried[0] ? tried[0] : "?", tried[1] ? tried[1] : "?",
                 tried[2] ? tried[2] : "?", tried[3] ? tried[3] : "?");
    for (size_t i = 0; i < 4; i++)
        mem_free(tried[i]);
    return true;
}

struct cfg *cfg_connector_load_mapping(const struct cfg_connector *c, unsigned flags,
                                       struct cfg_diags *d)
{
    if (c->mapping_content)
        return cfg_load_text(c->mapping_content, strlen(c->mapping_content), c->mapping_path,
                             flags, d);
    if (cfg_connector_mapping_missing(c, d))
        return NULL;
    return cfg_load_file(c->mapping_path, flags, d);
}

/* Characters before entry @name in a `topics` list value (0 if not found). */
static int topic_offset(const char *list, const char *name)
{
    const char *p = list;
    size_t nl = strlen(name);

    for (;;) {
        const char *e = strchr(p, ','), *a = p, *b = e ? e : p + strlen(p);
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if ((size_t)(b - a) == nl && memcmp(a, name, nl) == 0)
            return chars_between(list, a);
        if (!e)
            return 0;
        p = e + 1;
    }
}

void cfg_connector_check_mapping(const struct cfg_connector *c, const struct cfg *m,
                                 struct cfg_diags *d)
{
    const struct cfg_prop *pr = cfg_props_find(c->props, "topics");
    bool dlq = c->errors.dlq_topic && *c->errors.dlq_topic;
    char q[CFG_Q_LEN];

    for (size_t i = 0; i < c->n_topics; i++) {
        struct buf list = BUF_INIT;
        if (cfg_topic_find(m, c->topics[i]))
            continue;
        for (size_t k = 0; k < m->n_topics && k < 10; k++)
            buf_printf(&list, "%s%s", k ? ", " : "", m->topics[k].name);
        if (m->n_topics > 10)
            buf_append_str(&list, ", ...");
        cfg_diag_add(d, CFG_SEV_ERROR, c->props->file, pr ? pr->vline : 0,
                     pr ? pr->vcol + topic_offset(pr->value, c->topics[i]) : 0, "topics",
                     "topic \"%s\" has no mapping in %s (it maps: %s)",
                     cfg__q(c->topics[i], strlen(c->topics[i]), q, sizeof(q)), m->file,
                     list.len ? buf_cstr(&list) : "nothing");
        buf_free(&list);
    }
    for (size_t i = 0; i < m->n_topics && !dlq; i++) {
        const struct cfg_topic *t = &m->topics[i];
        char path[300];
        if (t->invalid_record == CFG_INVALID_DEAD_LETTER) {
            snprintf(path, sizeof(path), "topics.%s.invalid-record", t->name);
            cfg_diag_add(d, CFG_SEV_ERROR, m->file, t->pos.line, t->pos.col, path,
                         "dead-letter needs errors.deadletterqueue.topic.name in %s",
                         c->props->file);
        }
        if (t->on_write_failure == CFG_WFAIL_DEAD_LETTER) {
            snprintf(path, sizeof(path), "topics.%s.on-write-failure", t->name);
            cfg_diag_add(d, CFG_SEV_ERROR, m->file, t->pos.line, t->pos.col, path,
                         "dead-letter needs errors.deadletterqueue.topic.name in %s",
                         c->props->file);
        }
    }
    cfg_diags_sort(d);
}

/* --- what is this file --- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), sl = strlen(suffix);
    return l >= sl && strcasecmp(s + l - sl, suffix) == 0;
}

enum cfg_file_kind cfg_file_kind(const char *path, const char *text, size_t len)
{
    enum cfg_file_kind k = CFG_FILE_UNKNOWN;

    if (ends_with(path, ".yml") || ends_with(path, ".yaml"))
        return CFG_FILE_MAPPING;
    if (cfg__looks_like_json(path, text, len)) {
        struct cfg_doc *doc = cfg__parse_json(text, len, path, NULL);
        const struct cfg_node *r = doc ? doc->root : NULL;
        if (!r || r->kind != CFG_N_MAP)
            k = ends_with(path, ".json") ? CFG_FILE_MAPPING : CFG_FILE_UNKNOWN;
        else if (cfg__map_get(r, "config") || cfg__map_get(r, "connector.class"))
            k = CFG_FILE_CONNECTOR;
        else
            k = CFG_FILE_MAPPING;
        cfg__doc_free(doc);
        return k;
    }
    if (ends_with(path, ".properties") || ends_with(path, ".conf")) {
        struct cfg_props *p = cfg_props_parse(text, len, path, NULL);
        if (p && (cfg_props_find(p, "connector.class") ||
                  (cfg_props_find(p, "name") && (cfg_props_find(p, "topics") ||
                                                 cfg_props_find(p, "topics.regex")))))
            k = CFG_FILE_CONNECTOR;
        else
            k = CFG_FILE_WORKER;
        cfg_props_free(p);
        return k;
    }
    return CFG_FILE_UNKNOWN;
}
