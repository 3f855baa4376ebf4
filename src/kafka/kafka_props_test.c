/* src/kafka/kafka_props_test.c: Java Kafka client properties translated for librdkafka, as
 * kafka_conf_check (aerosink check) and kafka_conf_apply (the running clients) both see them. */
#include "../../tests/harness.h"
#include "../../tests/support/testutil.h"
#include "kafka_int.h"

#define SECRET "s3cr\"et-pw"        /* as a property value */
#define SECRET_JAAS "s3cr\\\"et-pw"  /* the same in a JAAS quoted value */

/* Every note, "W|E|U <pair>: msg\n" */
struct notes {
    char text[8192];
    size_t errors, warnings;
};

static void note(void *ctx, size_t pair, enum kafka_conf_problem what, const char *msg)
{
    struct notes *n = ctx;
    size_t used = strlen(n->text);

    if (what == KAFKA_CONF_WARNING)
        n->warnings++;
    else
        n->errors++;
    snprintf(n->text + used, sizeof(n->text) - used, "%c %zu: %s\n",
             what == KAFKA_CONF_WARNING ? 'W' : what == KAFKA_CONF_UNKNOWN_KEY ? 'U' : 'E', pair,
             msg);
}

/* The translation of @props for @client as "key=value;" ... */
static size_t translate_for(enum kafka_client client, const char *const *props, struct notes *n, char *out,
                            size_t cap)
{
    struct kafka__props tp;
    size_t errs;

    memset(n, 0, sizeof(*n));
    errs = kafka__props_translate(props, client, &tp, note, n);
    out[0] = '\0';
    for (size_t i = 0; i < tp.n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s=%s;", tp.v[i].key, tp.v[i].value);
    }
    kafka__props_free(&tp);
    ASSERT_EQ_INT(errs, n->errors);
    return errs;
}

static size_t translate(const char *const *props, struct notes *n, char *out, size_t cap)
{
    return translate_for(KAFKA_CLIENT_ANY, props, n, out, cap);
}

static void no_secret(const struct notes *n)
{
    if (strstr(n->text, "s3cr") || strstr(n->text, "et-pw"))
        TEST_FAIL("a secret in a message: %s", n->text);
}

TEST(librdkafka_names_pass_through)
{
    const char *p[] = {"session.timeout.ms", "45000", "fetch.min.bytes", "1",
                       "security.protocol", "SASL_SSL", "client.id", "c", NULL};
    struct notes n;
    char out[1024];

    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "session.timeout.ms=45000;fetch.min.bytes=1;security.protocol=SASL_SSL;"
                       "client.id=c;");
    ASSERT_EQ_STR(n.text, "");
}

TEST(renamed_keys_and_values)
{
    const char *p[] = {"receive.buffer.bytes", "-1", "send.buffer.bytes", "131072",
                       "fetch.max.wait.ms", "500", "max.request.size", "2000000",
                       "auto.offset.reset", "none", "ssl.endpoint.identification.algorithm", "",
                       "partition.assignment.strategy",
                       "org.apache.kafka.clients.consumer.RangeAssignor, "
                       "org.apache.kafka.clients.consumer.CooperativeStickyAssignor", NULL};
    struct notes n;
    char out[1024];

    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "socket.receive.buffer.bytes=0;socket.send.buffer.bytes=131072;"
                       "fetch.wait.max.ms=500;message.max.bytes=2000000;auto.offset.reset=error;"
                       "ssl.endpoint.identification.algorithm=none;"
                       "partition.assignment.strategy=range,cooperative-sticky;");
    ASSERT_EQ_STR(n.text, "");
}

TEST(sticky_assignor_has_no_equivalent)
{
    const char *p[] = {"partition.assignment.strategy",
                       "org.apache.kafka.clients.consumer.StickyAssignor", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 1);
    ASSERT_CONTAINS(n.text, "E 0: the Java assignor org.apache.kafka.clients.consumer."
                            "StickyAssignor has no librdkafka equivalent");
    ASSERT_EQ_STR(out, "");
}

TEST(java_only_settings_warn_once_each)
{
    const char *p[] = {"max.poll.records", "500", "key.deserializer", "x.Y",
                       "interceptor.classes", "a.B", "default.api.timeout.ms", "60000",
                       "metric.reporters", "", "client.dns.lookup", "use_all_dns_ips",
                       "ssl.truststore.type", "JKS", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "");
    ASSERT_EQ_INT(n.warnings, 7);
    ASSERT_CONTAINS(n.text, "W 0: ignored: aerosink batches records itself (librdkafka has no "
                            "such setting)\n"
                            "W 1: ignored: records are read as bytes and decoded by key.converter\n");
    ASSERT_CONTAINS(n.text, "W 6: ignored: no truststore is set (ssl.truststore.location)\n");
}

TEST(unknown_java_settings_still_go_to_librdkafka)
{
    const char *p[] = {"exclude.internal.topics", "true", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "exclude.internal.topics=true;");   /* librdkafka refuses it */
    ASSERT_EQ_INT(kafka_conf_check(p, note, &n), 1);
    ASSERT_CONTAINS(n.text, "U 0: No such configuration property");
}

TEST(jaas_plain_and_scram)
{
    const char *plain[] = {"sasl.jaas.config",
                           "org.apache.kafka.common.security.plain.PlainLoginModule required "
                           "username=\"alice\" password=\"pw\";", NULL};
    const char *scram[] = {"sasl.jaas.config",
                           "  org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED\n"
                           "  password='pw2'  username = bob ;  ", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(plain, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "sasl.username=alice;sasl.password=pw;");
    ASSERT_EQ_INT(translate(scram, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "sasl.username=bob;sasl.password=pw2;");
    ASSERT_EQ_STR(n.text, "");
}

TEST(jaas_escapes)
{
    const char *p[] = {"sasl.jaas.config",
                       "org.apache.kafka.common.security.plain.PlainLoginModule required "
                       "username=\"a\\\"b\\\\c\" password=\"x;y\\101\\tz\";", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "sasl.username=a\"b\\c;sasl.password=x;yA\tz;");
}

TEST(jaas_errors_name_no_secret)
{
    static const struct {
        const char *jaas, *want;
    } cases[] = {
        {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\";",
         "E 0: PlainLoginModule has no password option\n"},
        {"org.apache.kafka.common.security.scram.ScramLoginModule required password=\"" SECRET_JAAS
         "\";", "E 0: ScramLoginModule has no username option\n"},
        {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" "
         "password=\"" SECRET_JAAS "\"", "E 0: cannot be read: missing ';' at the end\n"},
        {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" "
         "password=\"s3cr-et-pw;", "E 0: cannot be read: option 2: its quoted value has no "
                                   "closing quote\n"},
        {"org.apache.kafka.common.security.plain.PlainLoginModule username=\"u\" password=\"" SECRET_JAAS
         "\";", "E 0: cannot be read: expected a control flag"},
        {"s3cr-et-pw", "E 0: cannot be read: does not start with a login module class name"},
        {"com.example.MyLoginModule required username=\"u\" password=\"" SECRET_JAAS "\";",
         "E 0: login module com.example.MyLoginModule cannot be translated"},
        {"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
         "clientSecret=\"" SECRET_JAAS "\";",
         "E 0: login module org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
         "(OAUTHBEARER) cannot be translated: remove sasl.jaas.config and set librdkafka's "
         "sasl.oauthbearer.* instead"},
        {"com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
         "keyTab=\"/k.keytab\" principal=\"p@R\";",
         "E 0: login module com.sun.security.auth.module.Krb5LoginModule (Kerberos, GSSAPI) "
         "cannot be translated: remove sasl.jaas.config and set librdkafka's sasl.kerberos.*"},
        {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" "
         "password=\"" SECRET_JAAS "\"; org.apache.kafka.common.security.plain.PlainLoginModule "
         "required;", "E 0: cannot be read: holds more than one login module"},
        /* a quote in the password ends it early: the rest is not shown as an option name */
        {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" "
         "password=\"" SECRET "\";", "E 0: cannot be read: option 3 has no '=' and value\n"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *p[] = {"sasl.jaas.config", cases[i].jaas, NULL};
        struct notes n;
        char out[256];
        ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 1);
        ASSERT_CONTAINS(n.text, cases[i].want);
        ASSERT_EQ_STR(out, "");
        no_secret(&n);
    }
}

TEST(jaas_other_options_and_explicit_settings)
{
    const char *p[] = {"sasl.username", "carol", "sasl.password", "other",
                       "sasl.jaas.config",
                       "org.apache.kafka.common.security.scram.ScramLoginModule required "
                       "tokenauth=\"true\" username=\"u\" password=\"" SECRET_JAAS "\";", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "sasl.username=carol;sasl.password=other;");
    ASSERT_EQ_STR(n.text, "W 2: ScramLoginModule option tokenauth: ignored (librdkafka takes the "
                          "username and password only)\n"
                          "W 2: its username differs from sasl.username, which wins\n"
                          "W 2: its password differs from sasl.password, which wins\n");
    no_secret(&n);
}

TEST(jaas_unresolved_reference_is_a_warning)
{
    const char *p[] = {"sasl.jaas.config", "${file:/etc/kafka/secrets.properties:jaas}", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "");
    ASSERT_CONTAINS(n.text, "W 0: not read: a config-provider reference");
}

TEST(truststores)
{
    const char *pem[] = {"ssl.truststore.type", "PEM", "ssl.truststore.location", "/etc/ca.pem",
                         "ssl.truststore.password", SECRET, NULL};
    const char *jks[] = {"ssl.truststore.location", "/etc/ts.jks", "ssl.truststore.password",
                         SECRET, NULL};
    const char *p12[] = {"ssl.truststore.location", "/etc/ts.p12", "ssl.truststore.type",
                         "PKCS12", NULL};
    const char *inl[] = {"ssl.truststore.type", "PEM", "ssl.truststore.certificates",
                         "-----BEGIN CERTIFICATE-----", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(pem, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "ssl.ca.location=/etc/ca.pem;");
    ASSERT_EQ_STR(n.text, "W 2: ignored: a PEM truststore has no password\n");
    ASSERT_EQ_INT(translate(jks, &n, out, sizeof(out)), 1);
    ASSERT_CONTAINS(n.text, "E 0: a JKS truststore cannot be read (aerosink's Kafka client is "
                            "librdkafka): convert it with `keytool -importkeystore -srckeystore "
                            "/etc/ts.jks -destkeystore /etc/ts.p12 -deststoretype PKCS12` then "
                            "`openssl pkcs12 -in /etc/ts.p12 -nokeys -out ca.pem`, and set "
                            "ssl.ca.location=ca.pem");
    no_secret(&n);
    ASSERT_EQ_INT(translate(p12, &n, out, sizeof(out)), 1);
    ASSERT_CONTAINS(n.text, "E 0: a PKCS12 truststore cannot be read");
    ASSERT_EQ_INT(translate(inl, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "ssl.ca.pem=-----BEGIN CERTIFICATE-----;");
}

TEST(keystores)
{
    const char *p12[] = {"ssl.keystore.type", "PKCS12", "ssl.keystore.location", "/k.p12",
                         "ssl.keystore.password", SECRET, NULL};
    const char *pem[] = {"ssl.keystore.type", "PEM", "ssl.keystore.location", "/k.pem",
                         "ssl.key.password", SECRET, NULL};
    const char *inl[] = {"ssl.keystore.type", "PEM", "ssl.keystore.key", "KEY",
                         "ssl.keystore.certificate.chain", "CHAIN", NULL};
    const char *jks[] = {"ssl.keystore.type", "JKS", "ssl.keystore.location", "/k.jks", NULL};
    const char *untyped[] = {"ssl.keystore.location", NULL, NULL};
    const char *dir = tu_tmpdir();
    char path[512], out[512];
    struct notes n;
    FILE *f;

    ASSERT_EQ_INT(translate(p12, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "ssl.keystore.location=/k.p12;ssl.keystore.password=" SECRET ";");
    ASSERT_EQ_INT(translate(pem, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "ssl.key.location=/k.pem;ssl.certificate.location=/k.pem;"
                       "ssl.key.password=" SECRET ";");
    ASSERT_EQ_INT(translate(inl, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "ssl.key.pem=KEY;ssl.certificate.pem=CHAIN;");
    ASSERT_EQ_STR(n.text, "");
    ASSERT_EQ_INT(translate(jks, &n, out, sizeof(out)), 1);
    ASSERT_CONTAINS(n.text, "E 1: a JKS keystore cannot be read (aerosink's Kafka client is "
                            "librdkafka): convert it with `keytool -importkeystore -srckeystore "
                            "/k.jks -destkeystore /k.p12 -deststoretype PKCS12` and set "
                            "ssl.keystore.location=/k.p12 with ssl.keystore.type=PKCS12");
    /* no type: a JKS file (Java's default) is refused, anything else is librdkafka's PKCS#12 */
    snprintf(path, sizeof(path), "%s/ks", dir);
    ASSERT_TRUE((f = fopen(path, "wb")) != NULL);
    fwrite("\xfe\xed\xfe\xed\0\0\0\2", 1, 8, f);
    fclose(f);
    untyped[1] = path;
    ASSERT_EQ_INT(translate(untyped, &n, out, sizeof(out)), 1);
    ASSERT_CONTAINS(n.text, "E 0: a JKS keystore cannot be read");
    ASSERT_TRUE((f = fopen(path, "wb")) != NULL);
    fwrite("\x30\x82\x0a\x00", 1, 4, f);
    fclose(f);
    ASSERT_EQ_INT(translate(untyped, &n, out, sizeof(out)), 0);
    ASSERT_CONTAINS(out, "ssl.keystore.location=");
}

/* check and apply read the same table: what check accepts, apply accepts; what it refuses,
 * apply refuses, naming the key and never the secret. */
TEST(check_and_apply_agree)
{
    const char *good[] = {"max.poll.records", "500", "receive.buffer.bytes", "65536",
                          "sasl.mechanism", "PLAIN",
                          "sasl.jaas.config",
                          "org.apache.kafka.common.security.plain.PlainLoginModule required "
                          "username=\"u\" password=\"" SECRET_JAAS "\";", NULL};
    const char *bad[] = {"session.timeout.ms", "1000",
                         "sasl.jaas.config",
                         "org.apache.kafka.common.security.plain.PlainLoginModule required "
                         "password=\"" SECRET_JAAS "\";", NULL};
    const char *range[] = {"receive.buffer.bytes", "-5", NULL};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct notes n = {0};
    struct err e = {0};
    char v[64];
    size_t vn = sizeof(v);

    ASSERT_EQ_INT(kafka_conf_check(good, note, &n), 0);
    ASSERT_EQ_INT(n.warnings, 1);
    ASSERT_EQ_INT(kafka_conf_apply(conf, good, KAFKA_CLIENT_CONSUMER, &e), ST_OK);
    ASSERT_EQ_INT(rd_kafka_conf_get(conf, "sasl.username", v, &vn), RD_KAFKA_CONF_OK);
    ASSERT_EQ_STR(v, "u");
    vn = sizeof(v);
    ASSERT_EQ_INT(rd_kafka_conf_get(conf, "socket.receive.buffer.bytes", v, &vn), RD_KAFKA_CONF_OK);
    ASSERT_EQ_STR(v, "65536");
    memset(&n, 0, sizeof(n));
    ASSERT_EQ_INT(kafka_conf_check(bad, note, &n), 1);
    ASSERT_EQ_STR(n.text, "E 1: PlainLoginModule has no username option\n");
    ASSERT_EQ_INT(kafka_conf_apply(conf, bad, KAFKA_CLIENT_CONSUMER, &e), ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "sasl.jaas.config: PlainLoginModule has no username option");
    ASSERT_EQ_INT(kafka_conf_apply(conf, range, KAFKA_CLIENT_CONSUMER, &e), ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "receive.buffer.bytes=-5 (as socket.receive.buffer.bytes): ");
    if (strstr(e.msg, "s3cr"))
        TEST_FAIL("secret in %s", e.msg);
    rd_kafka_conf_destroy(conf);
}

/* Java client keys users carry over in connect-distributed.properties, key by key. */

TEST(buffer_memory_is_the_producers_queue_in_kib)
{
    const char *p[] = {"buffer.memory", "33554432", NULL};       /* Java's default, 32 MiB */
    const char *odd[] = {"buffer.memory", "1500", NULL};          /* rounded up */
    const char *tiny[] = {"buffer.memory", "0", NULL};            /* librdkafka's minimum is 1 */
    const char *bad[] = {"buffer.memory", "32m", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_PRODUCER, p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "queue.buffering.max.kbytes=32768;");
    ASSERT_EQ_STR(n.text, "");
    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_PRODUCER, odd, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "queue.buffering.max.kbytes=2;");
    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_PRODUCER, tiny, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "queue.buffering.max.kbytes=1;");
    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_CONSUMER, p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "");                                      /* a consumer has no such queue */
    ASSERT_EQ_STR(n.text, "");
    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);        /* check: tried as the producer's */
    ASSERT_EQ_STR(out, "queue.buffering.max.kbytes=32768;");
    ASSERT_EQ_INT(translate(bad, &n, out, sizeof(out)), 1);
    ASSERT_CONTAINS(n.text, "E 0: expected a number of bytes, got \"32m\"");
}

TEST(request_timeout_is_librdkafkas_socket_timeout)
{
    const char *p[] = {"request.timeout.ms", "40000", NULL};
    const char *old[] = {"request.timeout.ms", "305000", NULL};   /* Java consumers before Kafka 2.0 */
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_CONSUMER, p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "socket.timeout.ms=40000;");
    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_PRODUCER, p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "socket.timeout.ms=40000;request.timeout.ms=40000;");
    ASSERT_EQ_STR(n.text, "");
    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_CONSUMER, old, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "socket.timeout.ms=300000;");
    ASSERT_CONTAINS(n.text, "W 0: 305000 is at most 300000 in librdkafka (as socket.timeout.ms): 300000 used");
}

TEST(retry_backoff_is_a_producer_setting_in_librdkafka)
{
    const char *p[] = {"retry.backoff.ms", "250", "retry.backoff.max.ms", "1000", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_PRODUCER, p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "retry.backoff.ms=250;");
    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_CONSUMER, p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "");
    ASSERT_EQ_INT(n.warnings, 1);
    ASSERT_CONTAINS(n.text, "W 1: ignored: librdkafka 2.0.2 waits retry.backoff.ms between retries");
}

TEST(same_named_java_keys_reach_librdkafka_unchanged)
{
    const char *p[] = {"metadata.max.age.ms", "60000", "reconnect.backoff.ms", "100",
                       "reconnect.backoff.max.ms", "5000", "connections.max.idle.ms", "540000",
                       "socket.connection.setup.timeout.ms", "10000", "security.protocol", "SSL",
                       "client.rack", "eu-1a", NULL};
    struct notes n;
    char out[1024];

    memset(&n, 0, sizeof(n));
    ASSERT_EQ_INT(kafka_conf_check(p, note, &n), 0);   /* librdkafka knows each */
    ASSERT_EQ_STR(n.text, "");
    ASSERT_EQ_INT(translate_for(KAFKA_CLIENT_CONSUMER, p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "metadata.max.age.ms=60000;reconnect.backoff.ms=100;reconnect.backoff.max.ms=5000;"
                       "connections.max.idle.ms=540000;socket.connection.setup.timeout.ms=10000;"
                       "security.protocol=SSL;client.rack=eu-1a;");
}

TEST(more_java_only_settings_warn)
{
    const char *p[] = {"socket.connection.setup.timeout.max.ms", "30000", "metadata.max.idle.ms", "300000",
                       "enable.metrics.push", "true", "ssl.protocol", "TLSv1.3",
                       "ssl.keymanager.algorithm", "SunX509", "ssl.trustmanager.algorithm", "PKIX",
                       "ssl.secure.random.implementation", "SHA1PRNG", "ssl.provider", "x",
                       "sasl.kerberos.ticket.renew.jitter", "0.05",
                       "sasl.kerberos.ticket.renew.window.factor", "0.8", NULL};
    struct notes n;
    char out[256];

    memset(&n, 0, sizeof(n));
    ASSERT_EQ_INT(kafka_conf_check(p, note, &n), 0);
    ASSERT_EQ_INT(n.warnings, 10);
    ASSERT_CONTAINS(n.text, "W 3: ignored: OpenSSL negotiates the highest TLS version both sides offer");
    ASSERT_EQ_INT(translate(p, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "");
}

TEST(ssl_enabled_protocols_is_refused_when_ignoring_it_would_weaken_tls)
{
    const char *both[] = {"ssl.enabled.protocols", "TLSv1.2,TLSv1.3", NULL};   /* Java's default */
    const char *old[] = {"ssl.enabled.protocols", "TLSv1, TLSv1.1, TLSv1.2", NULL};
    const char *only13[] = {"ssl.enabled.protocols", "TLSv1.3", NULL};
    const char *bad[] = {"ssl.enabled.protocols", "SSLv3", NULL};
    struct notes n;
    char out[256];

    ASSERT_EQ_INT(translate(both, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "");
    ASSERT_CONTAINS(n.text, "W 0: ignored: librdkafka 2.0.2 has no TLS version setting; OpenSSL negotiates TLS 1.2 "
                            "or 1.3");
    ASSERT_EQ_INT(translate(old, &n, out, sizeof(out)), 0);
    ASSERT_EQ_INT(n.warnings, 1);
    ASSERT_EQ_INT(translate(only13, &n, out, sizeof(out)), 1);
    ASSERT_CONTAINS(n.text, "E 0: cannot be enforced: librdkafka 2.0.2 has no TLS version setting and would also "
                            "accept TLS 1.2");
    ASSERT_EQ_INT(translate(bad, &n, out, sizeof(out)), 1);
    ASSERT_CONTAINS(n.text, "E 0: unknown TLS version \"SSLv3\"");
}

TEST(sasl_login_and_oauthbearer_java_settings)
{
    const char *warn[] = {"sasl.login.refresh.window.factor", "0.8", "sasl.login.refresh.buffer.seconds", "300",
                          "sasl.login.connect.timeout.ms", "10000", "sasl.login.retry.backoff.max.ms", "10000",
                          "sasl.oauthbearer.scope.claim.name", "scope", "sasl.oauthbearer.jwks.endpoint.url",
                          "https://idp/jwks", "sasl.oauthbearer.expected.audience", "kafka",
                          "sasl.oauthbearer.method", "oidc", "sasl.oauthbearer.client.id", "aerosink", NULL};
    const char *classes[] = {"sasl.login.callback.handler.class",
                             "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                             "sasl.login.class", "x.Login", "sasl.client.callback.handler.class", "x.Handler",
                             "ssl.engine.factory.class", "x.Engine", NULL};
    struct notes n;
    char out[512];

    ASSERT_EQ_INT(translate(warn, &n, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "sasl.oauthbearer.method=oidc;sasl.oauthbearer.client.id=aerosink;");
    ASSERT_EQ_INT(n.warnings, 7);
    ASSERT_CONTAINS(n.text, "W 0: ignored: librdkafka fetches, refreshes and retries its OAUTHBEARER token itself");
    ASSERT_CONTAINS(n.text, "W 4: ignored: a Java OAUTHBEARER setting with no librdkafka equivalent");
    /* the Java-only ones never reach librdkafka (its own sasl.oauthbearer.* do, and Debian's
     * 2.0.2, built without OIDC, refuses them saying so) */
    warn[14] = NULL;
    memset(&n, 0, sizeof(n));
    ASSERT_EQ_INT(kafka_conf_check(warn, note, &n), 0);
    ASSERT_EQ_INT(n.warnings, 7);
    ASSERT_EQ_INT(translate(classes, &n, out, sizeof(out)), 4);
    ASSERT_EQ_STR(out, "");
    ASSERT_CONTAINS(n.text, "E 0: a Java login callback handler cannot be loaded: remove it and, for OAUTHBEARER "
                            "from an OIDC token endpoint, set sasl.oauthbearer.method=oidc");
    ASSERT_CONTAINS(n.text, "E 1: a Java login class cannot be loaded");
    ASSERT_CONTAINS(n.text, "E 2: a Java SASL callback handler cannot be loaded");
    ASSERT_CONTAINS(n.text, "E 3: a Java SSL engine factory cannot be loaded");
}

TEST(apply_gives_each_client_its_settings)
{
    const char *p[] = {"buffer.memory", "67108864", "request.timeout.ms", "45000", "retry.backoff.ms", "200", NULL};
    struct err e = {0};
    char v[64];
    size_t len;
    rd_kafka_conf_t *pc = rd_kafka_conf_new(), *cc = rd_kafka_conf_new();

    ASSERT_EQ_INT(kafka_conf_apply(pc, p, KAFKA_CLIENT_PRODUCER, &e), ST_OK);
    len = sizeof(v);
    ASSERT_EQ_INT(rd_kafka_conf_get(pc, "queue.buffering.max.kbytes", v, &len), RD_KAFKA_CONF_OK);
    ASSERT_EQ_STR(v, "65536");
    len = sizeof(v);
    ASSERT_EQ_INT(rd_kafka_conf_get(pc, "socket.timeout.ms", v, &len), RD_KAFKA_CONF_OK);
    ASSERT_EQ_STR(v, "45000");
    ASSERT_EQ_INT(kafka_conf_apply(cc, p, KAFKA_CLIENT_CONSUMER, &e), ST_OK);
    len = sizeof(v);
    ASSERT_EQ_INT(rd_kafka_conf_get(cc, "queue.buffering.max.kbytes", v, &len), RD_KAFKA_CONF_OK);
    ASSERT_EQ_STR(v, "1048576");   /* librdkafka's default: untouched */
    len = sizeof(v);
    ASSERT_EQ_INT(rd_kafka_conf_get(cc, "socket.timeout.ms", v, &len), RD_KAFKA_CONF_OK);
    ASSERT_EQ_STR(v, "45000");
    rd_kafka_conf_destroy(pc);
    rd_kafka_conf_destroy(cc);
}

TEST_LIST = {
    T(buffer_memory_is_the_producers_queue_in_kib),
    T(request_timeout_is_librdkafkas_socket_timeout),
    T(retry_backoff_is_a_producer_setting_in_librdkafka),
    T(same_named_java_keys_reach_librdkafka_unchanged),
    T(more_java_only_settings_warn),
    T(ssl_enabled_protocols_is_refused_when_ignoring_it_would_weaken_tls),
    T(sasl_login_and_oauthbearer_java_settings),
    T(apply_gives_each_client_its_settings),
    T(librdkafka_names_pass_through),
    T(renamed_keys_and_values),
    T(sticky_assignor_has_no_equivalent),
    T(java_only_settings_warn_once_each),
    T(unknown_java_settings_still_go_to_librdkafka),
    T(jaas_plain_and_scram),
    T(jaas_escapes),
    T(jaas_errors_name_no_secret),
    T(jaas_other_options_and_explicit_settings),
    T(jaas_unresolved_reference_is_a_warning),
    T(truststores),
    T(keystores),
    T(check_and_apply_agree),
    {0},
};
