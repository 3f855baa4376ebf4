/* src/kafka/kafka_props.c: Java Kafka client properties -> librdkafka properties.
 * Kafka Connect files hold the Java client's names (`consumer.max.poll.records`,
 * `sasl.jaas.config`, `ssl.truststore.location`...). Most Java names are librdkafka's too and
 * pass through unchanged; the table below lists the ones that are not: renamed, translated, or
 * accepted without effect. Anything else goes to librdkafka, which refuses what it does not
 * know. The table is documented in docs/operations.md ("From the Java connector"). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kafka_int.h"

enum rule {
    R_RENAME,          /* same meaning; librdkafka's name is @to */
    R_NO_EFFECT,       /* accepted with a warning: @why */
    R_BUFFER,          /* socket buffers: renamed, and Java's -1 (OS default) is librdkafka's 0 */
    R_OFFSET_RESET,    /* auto.offset.reset: Java's none is librdkafka's error */
    R_ENDPOINT,        /* ssl.endpoint.identification.algorithm: Java's empty is none */
    R_ASSIGNOR,        /* partition.assignment.strategy: Java class names */
    R_JAAS,            /* sasl.jaas.config -> sasl.username, sasl.password */
    R_TRUSTSTORE,      /* ssl.truststore.location, by ssl.truststore.type */
    R_KEYSTORE,        /* ssl.keystore.location, by ssl.keystore.type */
    R_TRUSTSTORE_AUX,  /* ssl.truststore.type, ssl.truststore.password */
    R_KEYSTORE_AUX,    /* ssl.keystore.type */
    R_PRODUCER_KBYTES, /* buffer.memory: the producer's queue, bytes -> @to in KiB (consumers: none) */
    R_PRODUCER_ONLY,   /* a producer setting of librdkafka's that Java's consumer has too: left
                        * out of a consumer's configuration */
    R_REQUEST_TIMEOUT, /* request.timeout.ms: @to (socket.timeout.ms) for every client, and the
                        * producer's own request.timeout.ms */
    R_TLS_VERSIONS,    /* ssl.enabled.protocols: no librdkafka setting; refused when it would
                        * allow less than OpenSSL does */
    R_JAVA_CLASS,      /* refused: @why (a Java class that would have done something) */
};

static const struct java_prop {
    const char *java;
    enum rule rule;
    const char *to;    /* R_RENAME, R_BUFFER and inline PEM: librdkafka's name */
    const char *why;   /* R_NO_EFFECT */
} java_props[] = {
    {"receive.buffer.bytes", R_BUFFER, "socket.receive.buffer.bytes", NULL},
    {"send.buffer.bytes", R_BUFFER, "socket.send.buffer.bytes", NULL},
    {"fetch.max.wait.ms", R_RENAME, "fetch.wait.max.ms", NULL},
    {"max.request.size", R_RENAME, "message.max.bytes", NULL},
    {"ssl.truststore.certificates", R_RENAME, "ssl.ca.pem", NULL},
    {"ssl.keystore.key", R_RENAME, "ssl.key.pem", NULL},
    {"ssl.keystore.certificate.chain", R_RENAME, "ssl.certificate.pem", NULL},
    {"auto.offset.reset", R_OFFSET_RESET, NULL, NULL},
    {"ssl.endpoint.identification.algorithm", R_ENDPOINT, NULL, NULL},
    {"partition.assignment.strategy", R_ASSIGNOR, NULL, NULL},
    {"sasl.jaas.config", R_JAAS, NULL, NULL},
    {"ssl.truststore.location", R_TRUSTSTORE, NULL, NULL},
    {"ssl.keystore.location", R_KEYSTORE, NULL, NULL},
    {"ssl.truststore.type", R_TRUSTSTORE_AUX, NULL, NULL},
    {"ssl.truststore.password", R_TRUSTSTORE_AUX, NULL, NULL},
    {"ssl.keystore.type", R_KEYSTORE_AUX, NULL, NULL},
    {"max.poll.records", R_NO_EFFECT, NULL,
     "aerosink batches records itself (librdkafka has no such setting)"},
    {"key.deserializer", R_NO_EFFECT, NULL,
     "records are read as bytes and decoded by key.converter"},
    {"value.deserializer", R_NO_EFFECT, NULL,
     "records are read as bytes and decoded by value.converter"},
    {"key.serializer", R_NO_EFFECT, NULL, "the dead-letter producer writes the record's bytes"},
    {"value.serializer", R_NO_EFFECT, NULL, "the dead-letter producer writes the record's bytes"},
    {"interceptor.classes", R_NO_EFFECT, NULL, "Java interceptor classes cannot be loaded"},
    {"default.api.timeout.ms", R_NO_EFFECT, NULL, "aerosink's Kafka calls have their own timeouts"},
    {"max.block.ms", R_NO_EFFECT, NULL,
     "the producer never blocks: aerosink waits when its queue is full"},
    {"metric.reporters", R_NO_EFFECT, NULL, "Java client metrics do not exist in librdkafka"},
    {"metrics.num.samples", R_NO_EFFECT, NULL, "Java client metrics do not exist in librdkafka"},
    {"metrics.recording.level", R_NO_EFFECT, NULL,
     "Java client metrics do not exist in librdkafka"},
    {"metrics.sample.window.ms", R_NO_EFFECT, NULL,
     "Java client metrics do not exist in librdkafka"},
    {"auto.include.jmx.reporter", R_NO_EFFECT, NULL, "there is no JMX"},
    {"security.providers", R_NO_EFFECT, NULL,
     "Java security providers cannot be loaded (TLS is OpenSSL's)"},
    {"client.dns.lookup", R_NO_EFFECT, NULL,
     "librdkafka tries every address a broker name resolves to (as use_all_dns_ips)"},
    {"buffer.memory", R_PRODUCER_KBYTES, "queue.buffering.max.kbytes", NULL},
    {"retry.backoff.ms", R_PRODUCER_ONLY, NULL, NULL},
    {"request.timeout.ms", R_REQUEST_TIMEOUT, "socket.timeout.ms", NULL},
    {"retry.backoff.max.ms", R_NO_EFFECT, NULL,
     "librdkafka 2.0.2 waits retry.backoff.ms between retries, without growing it to a maximum"},
    {"socket.connection.setup.timeout.max.ms", R_NO_EFFECT, NULL,
     "librdkafka has one connection setup timeout, socket.connection.setup.timeout.ms"},
    {"metadata.max.idle.ms", R_NO_EFFECT, NULL,
     "librdkafka keeps the metadata of the topics it uses (metadata.max.age.ms)"},
    {"enable.metrics.push", R_NO_EFFECT, NULL, "librdkafka 2.0.2 does not push client metrics (KIP-714)"},
    {"ssl.protocol", R_NO_EFFECT, NULL,
     "OpenSSL negotiates the highest TLS version both sides offer (TLS 1.2 or 1.3 with OpenSSL 3); "
     "librdkafka 2.0.2 has no setting for it"},
    {"ssl.enabled.protocols", R_TLS_VERSIONS, NULL, NULL},
    {"ssl.keymanager.algorithm", R_NO_EFFECT, NULL, "Java key manager factories do not exist in OpenSSL"},
    {"ssl.trustmanager.algorithm", R_NO_EFFECT, NULL,
     "Java trust manager factories do not exist in OpenSSL (certificates are checked by OpenSSL)"},
    {"ssl.secure.random.implementation", R_NO_EFFECT, NULL, "OpenSSL uses its own random generator"},
    {"ssl.provider", R_NO_EFFECT, NULL, "Java security providers cannot be loaded (TLS is OpenSSL's)"},
    {"ssl.engine.factory.class", R_JAVA_CLASS, NULL,
     "a Java SSL engine factory cannot be loaded (TLS is OpenSSL's): remove it and set the ssl.* "
     "settings it stood for"},
    {"sasl.login.class", R_JAVA_CLASS, NULL,
     "a Java login class cannot be loaded: remove it (librdkafka logs in by sasl.mechanism; "
     "OAUTHBEARER with sasl.oauthbearer.method=oidc)"},
    {"sasl.login.callback.handler.class", R_JAVA_CLASS, NULL,
     "a Java login callback handler cannot be loaded: remove it and, for OAUTHBEARER from an OIDC "
     "token endpoint, set sasl.oauthbearer.method=oidc with sasl.oauthbearer.client.id, "
     "sasl.oauthbearer.client.secret, sasl.oauthbearer.token.endpoint.url (and sasl.oauthbearer.scope)"},
    {"sasl.client.callback.handler.class", R_JAVA_CLASS, NULL,
     "a Java SASL callback handler cannot be loaded: remove it and give the credentials as "
     "sasl.username and sasl.password (or sasl.jaas.config)"},
    {"sasl.kerberos.ticket.renew.jitter", R_NO_EFFECT, NULL,
     "librdkafka renews Kerberos tickets with kinit every sasl.kerberos.min.time.before.relogin"},
    {"sasl.kerberos.ticket.renew.window.factor", R_NO_EFFECT, NULL,
     "librdkafka renews Kerberos tickets with kinit every sasl.kerberos.min.time.before.relogin"},
    {NULL, 0, NULL, NULL},
};

/* Java families without librdkafka settings: sasl.login.* (besides the classes above) and the
 * sasl.oauthbearer.* settings librdkafka does not have (its own pass through). */
static const struct java_prop login_family = {
    "sasl.login.*", R_NO_EFFECT, NULL,
    "librdkafka fetches, refreshes and retries its OAUTHBEARER token itself (refreshed at 80% of "
    "its lifetime); it has no such setting"};
static const struct java_prop oauth_family = {
    "sasl.oauthbearer.*", R_NO_EFFECT, NULL,
    "a Java OAUTHBEARER setting with no librdkafka equivalent (librdkafka's are "
    "sasl.oauthbearer.method, .client.id, .client.secret, .scope, .extensions, .token.endpoint.url "
    "and .config)"};
static const char *const rdk_oauth[] = {"config", "method", "client.id", "client.secret", "scope",
                                        "extensions", "token.endpoint.url", NULL};

static const struct java_prop *find_rule(const char *key)
{
    for (const struct java_prop *jp = java_props; jp->java; jp++)
        if (!strcmp(jp->java, key))
            return jp;
    if (!strncmp(key, "sasl.login.", 11))
        return &login_family;
    if (!strncmp(key, "sasl.oauthbearer.", 17)) {
        for (size_t i = 0; rdk_oauth[i]; i++)
            if (!strcmp(key + 17, rdk_oauth[i]))
                return NULL;
        return &oauth_family;
    }
    return NULL;
}

bool kafka__secret_key(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") || strstr(key, "jaas") ||
           !strcmp(key, "ssl.key.pem") || !strcmp(key, "ssl.keystore.key") ||
           !strcmp(key, "sasl.oauthbearer.config");
}

/* --- Translation state --- */

struct tr {
    const char *const *props;
    enum kafka_client client;
    struct kafka__props *out;
    kafka_conf_bad_cb note;
    void *ctx;
    size_t errors;
    /* the last value of each, or NULL */
    const char *ts_type, *ts_loc, *ts_pem, *ks_type, *ks_loc, *ks_key, *ks_chain;
    const char *sasl_user, *sasl_pass;
};

static void say(struct tr *t, size_t pair, enum kafka_conf_problem what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(struct tr *t, size_t pair, enum kafka_conf_problem what, const char *fmt, ...)
{
    char msg[640];
    va_list ap;

    if (what != KAFKA_CONF_WARNING)
        t->errors++;
    if (!t->note)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    t->note(t->ctx, pair, what, msg);
}

/* Add key=value; @own (may be NULL) becomes @out's. False when out of memory. */
static bool emit(struct tr *t, size_t pair, const char *key, const char *value, char *own)
{
    struct kafka__prop *p = &t->out->v[t->out->n++];

    p->key = key;
    p->value = value;
    p->pair = pair;
    p->own = own;
    return true;
}

/* --- sasl.jaas.config --- */

#define PLAIN_MODULE "org.apache.kafka.common.security.plain.PlainLoginModule"
#define SCRAM_MODULE "org.apache.kafka.common.security.scram.ScramLoginModule"

struct jaas {
    char module[128];      /* "" when the text does not start with a class name */
    char *user, *pass;     /* owned; NULL when absent */
    char others[160];      /* names of other options, ", "-separated */
    char err[256];         /* why it cannot be read: never holds a value */
};

static const char *skip_ws(const char *s)
{
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (s[0] == '/' && s[1] == '/') {
            while (*s && *s != '\n')
                s++;
        } else if (s[0] == '/' && s[1] == '*' && strstr(s + 2, "*/")) {
            s = strstr(s + 2, "*/") + 2;
        } else {
            return s;
        }
    }
}

static bool word_char(char c)
{
    return c && !isspace((unsigned char)c) && c != '=' && c != ';' && c != '"' && c != '\'';
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' || c == '$';
}

/* A quoted value starting at the quote *s, StreamTokenizer-style: backslash escapes \n \t \r
 * \b \f, octal \0-\377, and any other character stands for itself. Returns the owned value and
 * sets *end past the closing quote, or NULL (unterminated; *end NULL) or NULL (out of memory). */
static char *quoted(const char *s, const char **end)
{
    char q = *s++;
    char *v = mem_calloc(strlen(s) + 1, 1), *o = v;

    *end = s;
    if (!v)
        return NULL;
    while (*s && *s != q) {
        char c = *s++;
        if (c == '\\' && *s) {
            c = *s++;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            default:
                if (c >= '0' && c <= '7') {
                    int n = c - '0', max = c <= '3' ? 2 : 1;
                    while (max-- > 0 && *s >= '0' && *s <= '7')
                        n = n * 8 + (*s++ - '0');
                    c = (char)n;
                }
            }
        }
        *o++ = c;
    }
    if (*s != q) {
        mem_free(v);
        *end = NULL;
        return NULL;
    }
    *end = s + 1;
    return v;
}

static void jaas_free(struct jaas *j)
{
    mem_free(j->user);
    mem_free(j->pass);
    j->user = j->pass = NULL;
}

/* Parse "<LoginModule> <flag> name=value ... ;". False with j->err set when it cannot be read;
 * j->err "out of memory" when that is why. */
static bool jaas_parse(const char *s, struct jaas *j)
{
    static const char *const flags[] = {"required", "requisite", "sufficient", "optional", NULL};
    const char *w;
    size_t n;
    bool flag_ok = false;

    memset(j, 0, sizeof(*j));
    s = skip_ws(s);
    for (w = s; word_char(*s); s++)
        ;
    n = (size_t)(s - w);
    for (size_t i = 0; i < n; i++)
        if (!ident_char(w[i]))
            n = 0;
    if (!n || n >= sizeof(j->module) || !memchr(w, '.', n)) {
        snprintf(j->err, sizeof(j->err), "does not start with a login module class name "
                 "(e.g. " PLAIN_MODULE ")");
        return false;
    }
    memcpy(j->module, w, n);
    j->module[n] = '\0';
    s = skip_ws(s);
    for (w = s; word_char(*s); s++)
        ;
    for (size_t i = 0; flags[i]; i++)
        flag_ok |= strlen(flags[i]) == (size_t)(s - w) && !strncasecmp(flags[i], w, (size_t)(s - w));
    if (!flag_ok) {
        snprintf(j->err, sizeof(j->err), "expected a control flag (required, requisite, "
                 "sufficient or optional) after %s", j->module);
        return false;
    }
    for (unsigned opt = 1;; opt++) {
        char name[64];
        char *v;

        s = skip_ws(s);
        if (*s == ';')
            break;
        if (!*s) {
            snprintf(j->err, sizeof(j->err), "missing ';' at the end");
            return false;
        }
        for (w = s; ident_char(*s); s++)
            ;
        n = (size_t)(s - w);
        if (!n || n >= sizeof(name)) {
            snprintf(j->err, sizeof(j->err), "expected options (name=\"value\") and a final ';' "
                     "after %s", j->module);
            return false;
        }
        memcpy(name, w, n);
        name[n] = '\0';
        s = skip_ws(s);
        if (*s != '=') {
            snprintf(j->err, sizeof(j->err), "option %u has no '=' and value", opt);
            return false;
        }
        s = skip_ws(s + 1);
        if (*s == '"' || *s == '\'') {
            const char *end;
            v = quoted(s, &end);
            if (!v) {
                snprintf(j->err, sizeof(j->err), end ? "out of memory"
                         : "option %u: its quoted value has no closing quote", opt);
                return false;
            }
            s = end;
        } else {
            for (w = s; word_char(*s); s++)
                ;
            if (s == w) {
                snprintf(j->err, sizeof(j->err), "option %u has no value", opt);
                return false;
            }
            if (!(v = mem_strndup(w, (size_t)(s - w)))) {
                snprintf(j->err, sizeof(j->err), "out of memory");
                return false;
            }
        }
        if (!strcmp(name, "username")) {
            mem_free(j->user);
            j->user = v;
        } else if (!strcmp(name, "password")) {
            mem_free(j->pass);
            j->pass = v;
        } else {
            size_t used = strlen(j->others);
            if (!strstr(j->others, name))
                snprintf(j->others + used, sizeof(j->others) - used, "%s%s", used ? ", " : "",
                         name);
            mem_free(v);
        }
    }
    s = skip_ws(s + 1);
    if (*s) {
        snprintf(j->err, sizeof(j->err), "holds more than one login module (librdkafka takes "
                 "one)");
        return false;
    }
    return true;
}

static const char *short_module(const char *m)
{
    const char *dot = strrchr(m, '.');
    return dot ? dot + 1 : m;
}

static bool tr_jaas(struct tr *t, size_t pair, const char *value)
{
    struct jaas j;
    const char *sm;

    if (!strncmp(value, "${", 2) && value[strlen(value) - 1] == '}') {
        say(t, pair, KAFKA_CONF_WARNING, "not read: a config-provider reference that was not "
            "resolved (it is read when the worker resolves it)");
        return true;
    }
    if (!jaas_parse(value, &j)) {
        jaas_free(&j);
        say(t, pair, KAFKA_CONF_BAD_VALUE, "cannot be read: %s", j.err);
        return !strcmp(j.err, "out of memory") ? false : true;
    }
    sm = short_module(j.module);
    if (strcmp(j.module, PLAIN_MODULE) && strcmp(j.module, SCRAM_MODULE)) {
        if (strstr(j.module, "OAuthBearerLoginModule"))
            say(t, pair, KAFKA_CONF_BAD_VALUE,
                "login module %s (OAUTHBEARER) cannot be translated: remove sasl.jaas.config and "
                "set librdkafka's sasl.oauthbearer.* instead (sasl.oauthbearer.method=oidc with "
                "sasl.oauthbearer.client.id, sasl.oauthbearer.client.secret, "
                "sasl.oauthbearer.token.endpoint.url and sasl.oauthbearer.scope)", j.module);
        else if (strstr(j.module, "Krb5LoginModule"))
            say(t, pair, KAFKA_CONF_BAD_VALUE,
                "login module %s (Kerberos, GSSAPI) cannot be translated: remove "
                "sasl.jaas.config and set librdkafka's sasl.kerberos.* instead "
                "(sasl.kerberos.service.name, sasl.kerberos.principal, sasl.kerberos.keytab)",
                j.module);
        else
            say(t, pair, KAFKA_CONF_BAD_VALUE,
                "login module %s cannot be translated: aerosink reads " PLAIN_MODULE " and "
                SCRAM_MODULE " (username and password)", j.module);
        jaas_free(&j);
        return true;
    }
    if (!j.user || !j.pass) {
        say(t, pair, KAFKA_CONF_BAD_VALUE, "%s has no %s option", sm,
            !j.user ? (!j.pass ? "username or password" : "username") : "password");
        jaas_free(&j);
        return true;
    }
    if (j.others[0])
        say(t, pair, KAFKA_CONF_WARNING, "%s option %s: ignored (librdkafka takes the username "
            "and password only)", sm, j.others);
    if (t->sasl_user && strcmp(t->sasl_user, j.user))
        say(t, pair, KAFKA_CONF_WARNING, "its username differs from sasl.username, which wins");
    if (t->sasl_pass && strcmp(t->sasl_pass, j.pass))
        say(t, pair, KAFKA_CONF_WARNING, "its password differs from sasl.password, which wins");
    if (!t->sasl_user)
        emit(t, pair, "sasl.username", j.user, j.user);
    else
        mem_free(j.user);
    if (!t->sasl_pass)
        emit(t, pair, "sasl.password", j.pass, j.pass);
    else
        mem_free(j.pass);
    return true;
}

/* --- TLS stores --- */

/* Whether the file at @path starts like a JKS or JCEKS keystore (false when unreadable). */
static bool is_jks_file(const char *path)
{
    unsigned char m[4];
    FILE *f = fopen(path, "rb");
    bool jks;

    if (!f)
        return false;
    jks = fread(m, 1, 4, f) == 4 && ((m[0] == 0xFE && m[1] == 0xED && m[2] == 0xFE && m[3] == 0xED) ||
                                     (m[0] == 0xCE && m[1] == 0xCE && m[2] == 0xCE && m[3] == 0xCE));
    fclose(f);
    return jks;
}

/* "X.p12" for "X.jks", else path + ".p12" */
static void p12_name(const char *path, char *out, size_t cap)
{
    size_t n = strlen(path);

    if (n > 4 && !strcasecmp(path + n - 4, ".jks"))
        n -= 4;
    snprintf(out, cap, "%.*s.p12", (int)n, path);
}

static void jks_error(struct tr *t, size_t pair, const char *path, bool trust)
{
    char p12[512];

    p12_name(path, p12, sizeof(p12));
    if (trust)
        say(t, pair, KAFKA_CONF_BAD_VALUE,
            "a JKS truststore cannot be read (aerosink's Kafka client is librdkafka): convert it "
            "with `keytool -importkeystore -srckeystore %s -destkeystore %s -deststoretype PKCS12` "
            "then `openssl pkcs12 -in %s -nokeys -out ca.pem`, and set ssl.ca.location=ca.pem "
            "instead of ssl.truststore.*", path, p12, p12);
    else
        say(t, pair, KAFKA_CONF_BAD_VALUE,
            "a JKS keystore cannot be read (aerosink's Kafka client is librdkafka): convert it "
            "with `keytool -importkeystore -srckeystore %s -destkeystore %s -deststoretype PKCS12` "
            "and set ssl.keystore.location=%s with ssl.keystore.type=PKCS12", path, p12, p12);
}

static bool tr_truststore(struct tr *t, size_t pair, const char *path)
{
    const char *type = t->ts_type ? t->ts_type : "JKS";

    if (!strcasecmp(type, "PEM"))
        return emit(t, pair, "ssl.ca.location", path, NULL);
    if (!strcasecmp(type, "JKS"))
        jks_error(t, pair, path, true);
    else if (!strcasecmp(type, "PKCS12"))
        say(t, pair, KAFKA_CONF_BAD_VALUE,
            "a PKCS12 truststore cannot be read (librdkafka takes CA certificates as PEM): "
            "convert it with `openssl pkcs12 -in %s -nokeys -out ca.pem` and set "
            "ssl.ca.location=ca.pem instead of ssl.truststore.*", path);
    else
        say(t, pair, KAFKA_CONF_BAD_VALUE, "ssl.truststore.type %s cannot be read: use PEM "
            "(then ssl.truststore.location becomes ssl.ca.location)", type);
    return true;
}

static bool tr_keystore(struct tr *t, size_t pair, const char *path)
{
    const char *type = t->ks_type;

    if (!type && is_jks_file(path))
        type = "JKS";
    if (!type || !strcasecmp(type, "PKCS12"))   /* librdkafka reads PKCS#12 there */
        return emit(t, pair, "ssl.keystore.location", path, NULL);
    if (!strcasecmp(type, "PEM"))   /* one file with the private key and the certificate chain */
        return emit(t, pair, "ssl.key.location", path, NULL) &&
               emit(t, pair, "ssl.certificate.location", path, NULL);
    if (!strcasecmp(type, "JKS"))
        jks_error(t, pair, path, false);
    else
        say(t, pair, KAFKA_CONF_BAD_VALUE, "ssl.keystore.type %s cannot be read: use PKCS12 "
            "or PEM", type);
    return true;
}

/* --- Values --- */

static bool tr_assignor(struct tr *t, size_t pair, const char *value)
{
    static const struct { const char *java, *rdk; } names[] = {
        {"org.apache.kafka.clients.consumer.RangeAssignor", "range"},
        {"org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin"},
        {"org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "cooperative-sticky"},
    };
    char *out = mem_calloc(strlen(value) + 1, 1);
    const char *s = value;
    size_t o = 0;

    if (!out) {
        say(t, pair, KAFKA_CONF_BAD_VALUE, "out of memory");
        return false;
    }
    while (*s) {
        const char *e = s + strcspn(s, ",");
        const char *a = s, *b = e, *rdk = NULL;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        for (size_t i = 0; i < ARRAY_LEN(names); i++)
            if (strlen(names[i].java) == (size_t)(b - a) && !strncmp(names[i].java, a, (size_t)(b - a)))
                rdk = names[i].rdk;
        if (!rdk && memchr(a, '.', (size_t)(b - a))) {
            say(t, pair, KAFKA_CONF_BAD_VALUE, "the Java assignor %.*s has no librdkafka "
                "equivalent: use range, roundrobin or cooperative-sticky", (int)(b - a), a);
            mem_free(out);
            return true;
        }
        if (o)
            out[o++] = ',';
        if (rdk) {
            memcpy(out + o, rdk, strlen(rdk));   /* never longer than the class name */
            o += strlen(rdk);
        } else {
            memcpy(out + o, a, (size_t)(b - a));
            o += (size_t)(b - a);
        }
        s = *e ? e + 1 : e;
    }
    out[o] = '\0';
    return emit(t, pair, "partition.assignment.strategy", out, out);
}

/* A whole number of @value, or -1 (not one, or negative). */
static int64_t whole_number(const char *value)
{
    int64_t v = 0;

    if (!*value)
        return -1;
    for (const char *s = value; *s; s++) {
        if (!isdigit((unsigned char)*s) || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* buffer.memory (bytes, Java's producer memory) -> queue.buffering.max.kbytes (KiB, rounded
 * up; librdkafka's range 1 .. 2147483647). Consumers have no such queue: left out. */
static bool tr_producer_kbytes(struct tr *t, size_t pair, const struct java_prop *jp, const char *value)
{
    int64_t bytes = whole_number(value), kb;
    char *out;

    if (bytes < 0) {
        say(t, pair, KAFKA_CONF_BAD_VALUE, "expected a number of bytes, got \"%s\"", value);
        return true;
    }
    if (t->client == KAFKA_CLIENT_CONSUMER)
        return true;
    kb = MIN(MAX((bytes + 1023) / 1024, 1), INT32_MAX);
    if (!(out = mem_calloc(24, 1))) {
        say(t, pair, KAFKA_CONF_BAD_VALUE, "out of memory");
        return false;
    }
    snprintf(out, 24, "%lld", (long long)kb);
    return emit(t, pair, jp->to, out, out);
}

/* request.timeout.ms: how long the Java client waits for any answer. librdkafka's is
 * socket.timeout.ms (every client, at most 300000 ms: Kafka before 2.0 had consumers at
 * 305000); its request.timeout.ms is the producer's, sent with ProduceRequests. */
static bool tr_request_timeout(struct tr *t, size_t pair, const struct java_prop *jp, const char *value)
{
    int64_t ms = whole_number(value);
    const char *sock = value;

    if (ms > 300000) {
        say(t, pair, KAFKA_CONF_WARNING, "%s is at most 300000 in librdkafka (as %s): 300000 used", value, jp->to);
        sock = "300000";
    }
    if (!emit(t, pair, jp->to, sock, NULL))
        return false;
    return t->client == KAFKA_CLIENT_CONSUMER || emit(t, pair, "request.timeout.ms", value, NULL);
}

/* ssl.enabled.protocols: librdkafka 2.0.2 has no TLS version setting; OpenSSL 3 offers TLS 1.2
 * and 1.3. Ignored (a warning) when that is what the list allows or stricter; refused when the
 * list excludes TLS 1.2 but not 1.3, as ignoring it would allow TLS 1.2. */
static bool tr_tls_versions(struct tr *t, size_t pair, const char *value)
{
    bool v12 = false, v13 = false;
    const char *s = value;

    while (*s) {
        const char *e = s + strcspn(s, ","), *a = s, *b = e;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        size_t n = (size_t)(b - a);
        if (n == 7 && !strncasecmp(a, "TLSv1.2", n)) {
            v12 = true;
        } else if (n == 7 && !strncasecmp(a, "TLSv1.3", n)) {
            v13 = true;
        } else if (!((n == 5 && !strncasecmp(a, "TLSv1", n)) || (n == 7 && !strncasecmp(a, "TLSv1.1", n)))) {
            say(t, pair, KAFKA_CONF_BAD_VALUE, "unknown TLS version \"%.*s\" (expected TLSv1.2, TLSv1.3)", (int)n,
                a);
            return true;
        }
        s = *e ? e + 1 : e;
    }
    if (v13 && !v12)
        say(t, pair, KAFKA_CONF_BAD_VALUE,
            "cannot be enforced: librdkafka 2.0.2 has no TLS version setting and would also accept TLS 1.2, "
            "which this list excludes; remove it to allow TLS 1.2, or make the brokers refuse TLS 1.2");
    else
        say(t, pair, KAFKA_CONF_WARNING,
            "ignored: librdkafka 2.0.2 has no TLS version setting; OpenSSL negotiates TLS 1.2 or 1.3 (OpenSSL 3 "
            "offers nothing older)");
    return true;
}

static bool tr_pair(struct tr *t, size_t pair, const char *key, const char *value)
{
    const struct java_prop *jp = find_rule(key);

    if (!jp)
        return emit(t, pair, key, value, NULL);
    switch (jp->rule) {
    case R_RENAME:
        return emit(t, pair, jp->to, value, NULL);
    case R_NO_EFFECT:
        say(t, pair, KAFKA_CONF_WARNING, "ignored: %s", jp->why);
        return true;
    case R_BUFFER:
        return emit(t, pair, jp->to, !strcmp(value, "-1") ? "0" : value, NULL);
    case R_OFFSET_RESET:
        return emit(t, pair, key, !strcmp(value, "none") ? "error" : value, NULL);
    case R_ENDPOINT:
        return emit(t, pair, key, !*value ? "none" : value, NULL);
    case R_ASSIGNOR:
        return tr_assignor(t, pair, value);
    case R_JAAS:
        return tr_jaas(t, pair, value);
    case R_TRUSTSTORE:
        return tr_truststore(t, pair, value);
    case R_KEYSTORE:
        return tr_keystore(t, pair, value);
    case R_TRUSTSTORE_AUX:
        if (!t->ts_loc && !t->ts_pem)
            say(t, pair, KAFKA_CONF_WARNING, "ignored: no truststore is set "
                "(ssl.truststore.location)");
        else if (!strcmp(key, "ssl.truststore.password") && t->ts_type &&
                 !strcasecmp(t->ts_type, "PEM"))
            say(t, pair, KAFKA_CONF_WARNING, "ignored: a PEM truststore has no password");
        return true;
    case R_KEYSTORE_AUX:
        if (!t->ks_loc && !t->ks_key && !t->ks_chain)
            say(t, pair, KAFKA_CONF_WARNING, "ignored: no keystore is set "
                "(ssl.keystore.location)");
        return true;
    case R_PRODUCER_KBYTES:
        return tr_producer_kbytes(t, pair, jp, value);
    case R_PRODUCER_ONLY:
        return t->client == KAFKA_CLIENT_CONSUMER || emit(t, pair, key, value, NULL);
    case R_REQUEST_TIMEOUT:
        return tr_request_timeout(t, pair, jp, value);
    case R_TLS_VERSIONS:
        return tr_tls_versions(t, pair, value);
    case R_JAVA_CLASS:
        say(t, pair, KAFKA_CONF_BAD_VALUE, "%s", jp->why);
        return true;
    }
    return true;
}

size_t kafka__props_translate(const char *const *props, enum kafka_client client, struct kafka__props *out,
                              kafka_conf_bad_cb note, void *ctx)
{
    struct tr t = {.props = props, .client = client, .out = out, .note = note, .ctx = ctx};
    size_t n = 0;

    out->v = NULL;
    out->n = 0;
    while (props && props[n])
        n += 2;
    n /= 2;
    /* at most two settings per pair (JAAS: username and password; a PEM keystore file) */
    if (!(out->v = mem_calloc(2 * n + 1, sizeof(*out->v)))) {
        say(&t, 0, KAFKA_CONF_BAD_VALUE, "out of memory");
        return t.errors;
    }
    for (size_t i = 0; i < n; i++) {
        const char *k = props[2 * i], *v = props[2 * i + 1];
        if (!v)
            continue;
        if (!strcmp(k, "ssl.truststore.type"))
            t.ts_type = v;
        else if (!strcmp(k, "ssl.truststore.location"))
            t.ts_loc = v;
        else if (!strcmp(k, "ssl.truststore.certificates"))
            t.ts_pem = v;
        else if (!strcmp(k, "ssl.keystore.type"))
            t.ks_type = v;
        else if (!strcmp(k, "ssl.keystore.location"))
            t.ks_loc = v;
        else if (!strcmp(k, "ssl.keystore.key"))
            t.ks_key = v;
        else if (!strcmp(k, "ssl.keystore.certificate.chain"))
            t.ks_chain = v;
        else if (!strcmp(k, "sasl.username"))
            t.sasl_user = v;
        else if (!strcmp(k, "sasl.password"))
            t.sasl_pass = v;
    }
    for (size_t i = 0; i < n; i++) {
        const char *k = props[2 * i], *v = props[2 * i + 1];
        if (!v) {
            say(&t, i, KAFKA_CONF_BAD_VALUE, "no value");
            continue;
        }
        if (!tr_pair(&t, i, k, v))
            break;   /* out of memory: reported */
    }
    return t.errors;
}

void kafka__props_free(struct kafka__props *out)
{
    if (!out)
        return;
    for (size_t i = 0; i < out->n; i++) {
        if (out->v[i].own) {
            if (kafka__secret_key(out->v[i].key))
                memset(out->v[i].own, 0, strlen(out->v[i].own));
            mem_free(out->v[i].own);
        }
    }
    mem_free(out->v);
    out->v = NULL;
    out->n = 0;
}
