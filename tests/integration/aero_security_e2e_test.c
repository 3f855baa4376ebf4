/* Aerospike TLS + auth end to end through `aerosink standalone` (issue 9) against
 * aerospike-testd (--tls-cert/--tls-key, --user) and kafka-mock:
 *   success (TLS + login from aerospike.tls / aerospike.credentials, PKCS12 trust store),
 *   expired sessions (--session-ttl 2 while the sink keeps writing),
 *   wrong password, wrong CA, wrong tls-name, Community Edition server with credentials.
 * Decided behaviour for a failure at start: exactly one error line
 * ("aerosink: connector NAME: aerospike: HOST:PORT: reason"), exit code 1, no retry loop
 * (testd counts one refused LOGIN), nothing written.
 * Fake-only (needs testd's TLS/security options): skipped on a real Aerospike. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/testutil.h"

struct env {
    struct tu_certs c;
    const char *dir;                 /* c.dir */
    char boot[256], hosts[256], topic[64];
    struct tu_proc *kafka, *aero;
};

/* Certificates, and the password files the configurations name. */
static void make_certs(struct env *v)
{
    tu_make_certs(&v->c);
    v->dir = v->c.dir;
    const char *files[][2] = {{"store.pass", "store-pw\n"}, {"writer.pass", "writer-pw\n"},
                              {"wrong.pass", "wrong-pw\n"}};
    for (size_t i = 0; i < ARRAY_LEN(files); i++)
        if (chmod(tu_write_file(v->dir, files[i][0], files[i][1]), 0600) != 0)
            TEST_FAIL("chmod %s: %s", files[i][0], strerror(errno));
}

/* Kafka with the topic, testd with TLS (unless @clear) and @extra args. */
static void start(struct env *v, bool clear, const char *const *extra)
{
    const char *argv[16];
    int n = 0;

    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd --tls-cert/--user (AEROSPIKE_HOSTS is a real server)");
    signal(SIGPIPE, SIG_IGN);         /* the checking cluster uses TLS in this process */
    make_certs(v);
    snprintf(v->topic, sizeof(v->topic), "sec-%d", (int)getpid());
    char tspec[96];
    snprintf(tspec, sizeof(tspec), "%s:2", v->topic);
    const char *topics[] = {tspec, NULL};
    v->kafka = tu_kafka_start(topics, 1, v->boot, sizeof(v->boot));
    if (!clear) {
        argv[n++] = "--tls-cert";
        argv[n++] = v->c.server;
        argv[n++] = "--tls-key";
        argv[n++] = v->c.server_key;
    }
    for (int i = 0; extra && extra[i] && n < 14; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    v->aero = tu_aerospike_start(argv, v->hosts, sizeof(v->hosts));
}

static void stop(struct env *v)
{
    tu_proc_free(v->aero);
    tu_proc_free(v->kafka);
}

static int value_of(int i, char *buf, size_t cap, void *ctx)
{
    (void)ctx;
    return snprintf(buf, cap, "{\"id\":\"r-%d\",\"n\":%d}", i, i);
}

/* Write the connector files; @aero_block is the YAML under `aerospike:` after the seeds. */
static void write_config(struct env *v, const char *tls_name, const char *aero_block, char *wpath,
                         char *cpath)
{
    struct aero_host h;
    char text[4096], seed[400];

    ASSERT_OK(aero_host_parse(v->hosts, strcspn(v->hosts, ","), 3000, &h, NULL));
    if (tls_name)
        snprintf(seed, sizeof(seed), "%s: {port: %u, tls-name: %s}", h.name, h.port, tls_name);
    else
        snprintf(seed, sizeof(seed), "%s: {port: %u}", h.name, h.port);
    snprintf(text, sizeof(text),
             "aerospike:\n  seeds:\n    - %s\n%s"
             "topics:\n  %s:\n    invalid-record: kill-task\n"
             "    mapping:\n      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: sec}\n"
             "      key-field: {source: value-field, field-name: id}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             seed, aero_block, v->topic);
    tu_write_file(v->dir, "map.yml", text);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\noffset.flush.interval.ms=500\n"
             "consumer.fetch.wait.max.ms=20\nconsumer.session.timeout.ms=6000\n",
             v->boot);
    snprintf(wpath, 512, "%s", tu_write_file(v->dir, "worker.properties", text));
    snprintf(text, sizeof(text),
             "name=sec-sink\nconnector.class=com.aerospike.connect.kafka.inbound.AerospikeSinkConnector\n"
             "topics=%s\naerospike.config.file=%s/map.yml\n",
             v->topic, v->dir);
    snprintf(cpath, 512, "%s", tu_write_file(v->dir, "sink.properties", text));
}

/* Objects in test/sec, read through a correctly configured (TLS + auth) cluster. */
static long objects(struct env *v, bool tls, bool auth)
{
    struct aero_cluster_config cfg;
    struct aero_node_info nodes[2];
    struct buf out = BUF_INIT;
    struct err e = {0};
    long n = -1;

    aero_cluster_config_init(&cfg);
    cfg.tend_interval_ms = 0;
    ASSERT_OK(aero_cluster_config_seeds(&cfg, v->hosts, NULL));
    if (tls) {
        snprintf(cfg.seeds[0].tls_name, sizeof(cfg.seeds[0].tls_name), "aero-test");
        cfg.tls.enabled = true;
        snprintf(cfg.tls.trust.file, sizeof(cfg.tls.trust.file), "%s", v->c.ca);
    }
    if (auth) {
        cfg.auth = true;
        snprintf(cfg.user, sizeof(cfg.user), "writer");
        snprintf(cfg.password, sizeof(cfg.password), "writer-pw");
    }
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("checking cluster: %s", e.msg);
    ASSERT_CMP_INT(aero_cluster_nodes(c, nodes, 2), >=, 1);
    ASSERT_OK_E(aero_info_node(c, nodes[0].name, "sets/test/sec\ntestd-stats", &out, 2000, &e), &e);
    const char *o = strstr(buf_cstr(&out), "objects=");
    n = o ? strtol(o + 8, NULL, 10) : 0;
    buf_free(&out);
    aero_cluster_free(c);
    return n;
}

static long wait_objects(struct env *v, long want, int timeout_ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)timeout_ms;
    long n = -1;
    while (clock_mono_ms() < end && (n = objects(v, true, true)) < want)
        sleep_ms(200);
    return n;
}

static const char *const standalone_args[] = {"standalone", "--exit-when-drained", "--progress", "0"};

/* Run standalone to its end; returns the exit code, output in *out. */
static int run_sink(const char *wpath, const char *cpath, char **out)
{
    const char *argv[] = {tu_bin("aerosink"), standalone_args[0], standalone_args[1],
                          standalone_args[2], standalone_args[3], wpath, cpath, NULL};
    return tu_run(argv, 120000, out);
}

/* Lines of @out containing @needle. */
static int lines_with(const char *out, const char *needle)
{
    int n = 0;
    for (const char *p = out; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A failure at start: exit 1, the reason once, nothing else looks like an error or retry. */
static void expect_one_error(const char *out, int rc, const char *reason)
{
    if (rc != 1)
        TEST_FAIL("exit %d, expected 1:\n%s", rc, out);
    if (lines_with(out, reason) != 1)
        TEST_FAIL("expected '%s' exactly once:\n%s", reason, out);
    if (lines_with(out, "aerosink: connector sec-sink: ") != 1 || lines_with(out, "\n") != 1 ||
        !strstr(out, "map.yml: aerospike: 127.0.0.1:"))
        TEST_FAIL("expected one line 'aerosink: connector sec-sink: FILE: aerospike: HOST:PORT: "
                  "reason':\n%s", out);
    if (strstr(out, "retrying") || strstr(out, "WARN") || strstr(out, "ERROR: AddressSanitizer"))
        TEST_FAIL("unexpected retry or warning:\n%s", out);
}

static char tls_auth_block[2048];

static const char *block(struct env *v, const char *trust, bool pkcs12, const char *password_file,
                         bool creds)
{
    char t[1024] = "", c[512] = "";
    snprintf(t, sizeof(t),
             "  tls:\n    trust-store:\n      store-file: %s\n%s", trust,
             pkcs12 ? "      store-type: PKCS12\n      store-password-file: " : "");
    if (pkcs12) {
        strncat(t, v->dir, sizeof(t) - strlen(t) - 1);
        strncat(t, "/store.pass\n", sizeof(t) - strlen(t) - 1);
    }
    if (creds)
        snprintf(c, sizeof(c), "  credentials:\n    username: writer\n    password-file: %s/%s\n",
                 v->dir, password_file);
    snprintf(tls_auth_block, sizeof(tls_auth_block), "%s%s", trust ? t : "", c);
    return tls_auth_block;
}

TEST(tls_and_auth_success_writes_everything)
{
    struct env v;
    const char *extra[] = {"--user", "writer:writer-pw", NULL};
    char wpath[512], cpath[512], *out = NULL;

    start(&v, false, extra);
    e2e_produce(v.boot, v.topic, 2000, 2, "k-%d", value_of, NULL);
    write_config(&v, "aero-test", block(&v, v.c.ca_p12, true, "writer.pass", true), wpath, cpath);
    int rc = run_sink(wpath, cpath, &out);
    if (rc != 0)
        TEST_FAIL("aerosink exit %d:\n%s", rc, out);
    ASSERT_EQ_INT(objects(&v, true, true), 2000);
    mem_free(out);
    stop(&v);
}

/* Sessions of 2 s: the sink keeps writing across several expiries (tend refresh, and
 * re-login on 66 if a token expires under a connection). */
TEST(expired_sessions_while_the_sink_keeps_writing)
{
    struct env v;
    const char *extra[] = {"--user", "writer:writer-pw", "--session-ttl", "2", NULL};
    char wpath[512], cpath[512];

    start(&v, false, extra);
    write_config(&v, "aero-test", block(&v, v.c.ca, false, "writer.pass", true), wpath, cpath);
    const char *argv[] = {tu_bin("aerosink"), "standalone", "--progress", "0", wpath, cpath, NULL};
    struct tu_proc *sink = tu_proc_start(argv, NULL);
    for (int round = 0; round < 3; round++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d-%%d", round);
        e2e_produce(v.boot, v.topic, 300, 2, key, value_of, NULL);   /* same ids: overwrite */
        long got = wait_objects(&v, 300, 30000);
        if (got != 300)
            TEST_FAIL("round %d: %ld objects; aerosink:\n%s", round, got, tu_proc_stderr(sink));
        sleep_ms(2500);                               /* every session so far has expired */
    }
    e2e_produce(v.boot, v.topic, 600, 2, "k3-%d", value_of, NULL);
    long got = wait_objects(&v, 600, 30000);           /* written after the expiries */
    if (got != 600)
        TEST_FAIL("%ld objects; aerosink:\n%s", got, tu_proc_stderr(sink));
    ASSERT_TRUE(tu_proc_running(sink));
    int rc = tu_proc_stop(sink, SIGTERM, 20000);
    char *err = tu_proc_stderr(sink);
    if (rc != 0 || strstr(err, "ERROR"))
        TEST_FAIL("aerosink exit %d:\n%s", rc, err);
    mem_free(err);
    tu_proc_free(sink);
    stop(&v);
}

TEST(wrong_password_one_error_nothing_written)
{
    struct env v;
    const char *extra[] = {"--user", "writer:writer-pw", NULL};
    char wpath[512], cpath[512], *out = NULL;

    start(&v, false, extra);
    e2e_produce(v.boot, v.topic, 200, 2, "k-%d", value_of, NULL);
    write_config(&v, "aero-test", block(&v, v.c.ca, false, "wrong.pass", true), wpath, cpath);
    int rc = run_sink(wpath, cpath, &out);
    expect_one_error(out, rc, "LOGIN as user 'writer' (auth-mode internal) refused: SEC_ERR_PASSWORD (62)");
    mem_free(out);
    ASSERT_EQ_INT(objects(&v, true, true), 0);
    stop(&v);
}

TEST(wrong_ca_one_error_nothing_written)
{
    struct env v;
    const char *extra[] = {"--user", "writer:writer-pw", NULL};
    char wpath[512], cpath[512], *out = NULL;

    start(&v, false, extra);
    e2e_produce(v.boot, v.topic, 200, 2, "k-%d", value_of, NULL);
    write_config(&v, "aero-test", block(&v, v.c.wrong_ca, false, "writer.pass", true), wpath, cpath);
    int rc = run_sink(wpath, cpath, &out);
    expect_one_error(out, rc, "TLS: the node's certificate is not accepted");
    ASSERT_CONTAINS(out, "aerospike.tls.trust-store");
    mem_free(out);
    ASSERT_EQ_INT(objects(&v, true, true), 0);
    stop(&v);
}

TEST(wrong_tls_name_one_error_nothing_written)
{
    struct env v;
    const char *extra[] = {"--user", "writer:writer-pw", NULL};
    char wpath[512], cpath[512], *out = NULL;

    start(&v, false, extra);
    e2e_produce(v.boot, v.topic, 200, 2, "k-%d", value_of, NULL);
    write_config(&v, "db.example", block(&v, v.c.ca, false, "writer.pass", true), wpath, cpath);
    int rc = run_sink(wpath, cpath, &out);
    expect_one_error(out, rc, "hostname mismatch (expected tls-name 'db.example')");
    mem_free(out);
    ASSERT_EQ_INT(objects(&v, true, true), 0);
    stop(&v);
}

TEST(community_edition_with_credentials_one_error)
{
    struct env v;
    char wpath[512], cpath[512], *out = NULL;

    start(&v, true, NULL);                            /* clear, no --user: CE */
    e2e_produce(v.boot, v.topic, 200, 2, "k-%d", value_of, NULL);
    write_config(&v, NULL, block(&v, NULL, false, "writer.pass", true), wpath, cpath);
    int rc = run_sink(wpath, cpath, &out);
    expect_one_error(out, rc, "SECURITY_NOT_SUPPORTED (51): this server has no security (Community "
                              "Edition); remove aerospike.credentials");
    mem_free(out);
    ASSERT_EQ_INT(objects(&v, false, false), 0);
    stop(&v);
}

TEST_LIST = {
    T(tls_and_auth_success_writes_everything),
    T(expired_sessions_while_the_sink_keeps_writing),
    T(wrong_password_one_error_nothing_written),
    T(wrong_ca_one_error_nothing_written),
    T(wrong_tls_name_one_error_nothing_written),
    T(community_edition_with_credentials_one_error),
    {0},
};
