/* Integration tests for `aerosink info|get|put` against aerospike-testd (or AEROSPIKE_HOSTS):
 * the documented output shapes, value typing, result-code messages and exit codes. */
#include "../harness.h"
#include "../support/testutil.h"

static char hosts[256];
static char set[48];

static struct tu_proc *start(void)
{
    struct tu_proc *p = tu_aerospike_start(NULL, hosts, sizeof(hosts));
    char *comma = strchr(hosts, ',');
    if (comma)
        *comma = '\0';
    snprintf(set, sizeof(set), "cli_%d", (int)getpid());
    return p;
}

static const char *ns(void)
{
    const char *s = getenv("AEROSPIKE_NAMESPACE");
    return s && *s ? s : "test";
}

/* Run `aerosink CMD -h HOSTS ARGS...`; returns the exit code, output in *out (owned). */
static int run_v(char **out, const char *const *args)
{
    const char *argv[24] = {tu_bin("aerosink"), args[0], "-h", hosts};
    int n = 4;
    for (size_t i = 1; args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return tu_run(argv, 20000, out);
}
#define run(out, ...) run_v(out, (const char *const[]){__VA_ARGS__, NULL})

TEST(put_then_get_prints_the_bins)
{
    struct tu_proc *p = start();
    char *out = NULL;
    char want[128];

    ASSERT_EQ_INT(run(&out, "put", ns(), set, "k1", "name=ann", "age=31"), 0);
    ASSERT_EQ_STR(out, "");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "get", ns(), set, "k1"), 0);
    snprintf(want, sizeof(want), "{\"bins\":{\"name\":\"ann\",\"age\":31},\"generation\":1,\"ttl\":-1}\n");
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    tu_proc_free(p);
}

TEST(values_are_typed_like_aql)
{
    struct tu_proc *p = start();
    char *out = NULL;

    ASSERT_EQ_INT(run(&out, "put", ns(), set, "k2", "i=31", "d=1.5", "s=\"31\"", "l=[1,\"x\",2.5,{\"a\":[true,null]}]"), 0);
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", ns(), set, "k2", "w=hello world", "t=false", "e=-2e3", "m={\"k\":{\"n\":-7}}"), 0);
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "get", ns(), set, "k2"), 0);
    ASSERT_CONTAINS(out, "\"i\":31,");
    ASSERT_CONTAINS(out, "\"d\":1.5,");
    ASSERT_CONTAINS(out, "\"s\":\"31\",");
    ASSERT_CONTAINS(out, "\"l\":[1,\"x\",2.5,{\"a\":[true,null]}]");
    ASSERT_CONTAINS(out, "\"w\":\"hello world\"");
    ASSERT_CONTAINS(out, "\"t\":false");
    ASSERT_CONTAINS(out, "\"e\":-2000.0");
    ASSERT_CONTAINS(out, "\"m\":{\"k\":{\"n\":-7}}");
    ASSERT_CONTAINS(out, "\"generation\":2");
    mem_free(out);
    /* --bins and integer keys */
    ASSERT_EQ_INT(run(&out, "put", "--key-type", "int", ns(), set, "-5", "x=1", "y=2"), 2);  /* needs -- */
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", "--key-type", "int", "--", ns(), set, "-5", "x=1", "y=2"), 0);
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "get", "--key-type=int", "--bins=y", "--", ns(), set, "-5"), 0);
    ASSERT_CONTAINS(out, "{\"bins\":{\"y\":2},\"generation\":1,");
    mem_free(out);
    tu_proc_free(p);
}

TEST(errors_name_the_result_code)
{
    struct tu_proc *p = start();
    char *out = NULL;
    char want[160];

    ASSERT_EQ_INT(run(&out, "put", ns(), set, "k3", "abcdefghijklmnop=1"), 1);
    snprintf(want, sizeof(want), "aerosink: put %s/%s/k3: ERR_BIN_NAME (21): bin name too long or invalid", ns(), set);
    ASSERT_CONTAINS(out, want);
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", ns(), set, "k3", "a=1"), 0);
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", "--exists", "create-only", ns(), set, "k3", "a=2"), 1);
    snprintf(want, sizeof(want), "aerosink: put %s/%s/k3: ERR_RECORD_EXISTS (5): record already exists\n", ns(), set);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", "--exists", "update-only", ns(), set, "k4", "a=2"), 1);
    ASSERT_CONTAINS(out, "ERR_NOT_FOUND (2)");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "get", ns(), set, "nope"), 1);
    ASSERT_CONTAINS(out, "ERR_NOT_FOUND (2): record not found");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", "nosuchns", set, "k1", "a=1"), 1);
    ASSERT_CONTAINS(out, "ERR_NAMESPACE (20)");
    mem_free(out);
    /* usage errors exit 2 and teach */
    ASSERT_EQ_INT(run(&out, "get", ns(), set), 2);
    ASSERT_CONTAINS(out, "usage: aerosink get");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", ns(), set, "k1", "novalue"), 2);
    ASSERT_CONTAINS(out, "'novalue' is not BIN=VALUE");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", "--ttl", "x", ns(), set, "k1", "a=1"), 2);
    mem_free(out);
    tu_proc_free(p);
}

TEST(info_prints_values)
{
    struct tu_proc *p = start();
    char *out = NULL;
    const char *argv[] = {tu_bin("aerosink"), "info", "-h", "127.0.0.1:1", "node", NULL};

    ASSERT_EQ_INT(run(&out, "info", "namespaces"), 0);
    ASSERT_CONTAINS(out, ns());
    ASSERT_TRUE(strchr(out, '\t') == NULL);
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "info", "node", "build"), 0);
    ASSERT_EQ_INT(strchr(out, '\n') != strrchr(out, '\n'), 1);     /* two lines */
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "info", "no-such-command"), 1);
    ASSERT_CONTAINS(out, "ERROR:4");
    mem_free(out);
    ASSERT_EQ_INT(tu_run(argv, 20000, &out), 1);
    ASSERT_CONTAINS(out, "127.0.0.1:1: connect");
    mem_free(out);
    tu_proc_free(p);
}

TEST(help_teaches)
{
    const char *argv[] = {tu_bin("aerosink"), "put", "--help", NULL};
    char *out = NULL;
    ASSERT_EQ_INT(tu_run(argv, 10000, &out), 0);
    ASSERT_CONTAINS(out, "typed like aql");
    ASSERT_CONTAINS(out, "--exists ACTION");
    mem_free(out);
}

/* TLS and login: the tools reach a secured node (aerospike-testd with a certificate and a
 * user), and each misconfiguration gives one clear error and exit 1 (2 for usage). */
TEST(tls_and_login_options_reach_a_secured_node)
{
    struct tu_certs c;
    char *out = NULL;

    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd --tls-cert/--user (AEROSPIKE_HOSTS is a real server)");
    tu_make_certs(&c);
    const char *ca = c.ca, *wrong_ca = c.wrong_ca;
    char pw[400], bad[400];
    snprintf(pw, sizeof(pw), "%s", tu_write_file(c.dir, "pw", "cli-pw\n"));
    snprintf(bad, sizeof(bad), "%s", tu_write_file(c.dir, "bad", "nope\n"));
    const char *targs[] = {"--tls-cert", c.server, "--tls-key", c.server_key, "--user", "cli:cli-pw", NULL};
    /* the client options of a correct setup, with one of them replaceable */
#define SECURE(ca_, name_, pw_) "--tls-ca", ca_, "--tls-name", name_, "--user", "cli", "--password-file", pw_
    struct tu_proc *p = tu_aerospike_start(targs, hosts, sizeof(hosts));
    snprintf(set, sizeof(set), "clisec_%d", (int)getpid());

    ASSERT_EQ_INT(run(&out, "info", SECURE(ca, "aero-test", pw), "namespaces"), 0);
    ASSERT_CONTAINS(out, "test");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", SECURE(ca, "aero-test", pw), ns(), set, "k1", "name=ann"), 0);
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "get", SECURE(ca, "aero-test", pw), ns(), set, "k1"), 0);
    ASSERT_CONTAINS(out, "{\"bins\":{\"name\":\"ann\"},\"generation\":1,");
    mem_free(out);
    /* each mistake: one line naming it, exit 1 */
    ASSERT_EQ_INT(run(&out, "get", SECURE(ca, "aero-test", bad), ns(), set, "k1"), 1);
    ASSERT_CONTAINS(out, "SEC_ERR_PASSWORD (62)");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "info", SECURE(wrong_ca, "aero-test", pw), "namespaces"), 1);
    ASSERT_CONTAINS(out, "certificate is not accepted");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "put", SECURE(ca, "elsewhere", pw), ns(), set, "k2", "x=1"), 1);
    ASSERT_CONTAINS(out, "hostname mismatch (expected tls-name 'elsewhere')");
    mem_free(out);
    /* usage mistakes: exit 2 before connecting */
    ASSERT_EQ_INT(run(&out, "get", "--tls-ca", ca, "--user", "cli", ns(), set, "k1"), 2);
    ASSERT_CONTAINS(out, "no password (--password-file FILE or $AEROSPIKE_PASSWORD)");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "info", "--auth-mode", "pki", "namespaces"), 2);
    ASSERT_CONTAINS(out, "--auth-mode pki needs --tls-cert");
    mem_free(out);
    /* k2 was never written */
    ASSERT_EQ_INT(run(&out, "get", SECURE(ca, "aero-test", pw), ns(), set, "k2"), 1);
    mem_free(out);
    /* aero-bench takes the same options: writes over TLS with a login, or one clear error */
    {
        const char *bench[] = {tu_bin("aero-bench"), "-h", hosts, "-s", set, "-k", "500", "-N", "2000", "-w", "100",
                               SECURE(ca, "aero-test", pw), NULL};
        ASSERT_EQ_INT(tu_run(bench, 60000, &out), 0);
        ASSERT_CONTAINS(out, "throughput");
        ASSERT_CONTAINS(out, "errors      0\n");
        mem_free(out);
        const char *wrong[] = {tu_bin("aero-bench"), "-h", hosts, "-N", "100", SECURE(ca, "aero-test", bad), NULL};
        ASSERT_EQ_INT(tu_run(wrong, 60000, &out), 1);
        ASSERT_CONTAINS(out, "SEC_ERR_PASSWORD (62)");
        mem_free(out);
        const char *usage[] = {tu_bin("aero-bench"), "-h", hosts, "--password-file", pw, NULL};
        ASSERT_EQ_INT(tu_run(usage, 60000, &out), 2);
        ASSERT_CONTAINS(out, "--password-file needs --user");
        mem_free(out);
    }
    tu_proc_free(p);
#undef SECURE
}

/* aero-bench --records (bench/run.sh's aerospike-only baseline) writes each KEY<TAB>JSON line
 * as the sink's mapping does: string user key, every top-level field a typed bin, once. */
TEST(aero_bench_writes_the_records_of_a_file_as_the_sink_does)
{
    struct tu_proc *p = start();
    char *out = NULL, dir[] = "/tmp/aerosink-abrec-XXXXXX", path[96], want[160];
    FILE *f;

    ASSERT_TRUE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/records.tsv", dir);
    ASSERT_TRUE((f = fopen(path, "w")) != NULL);
    fputs("r1\t{\"id\":1,\"name\":\"ann\",\"balance\":2.50,\"active\":true,\"tags\":[\"t1\",\"t2\"]}\n"
          "r2\t{\"id\":2,\"name\":\"bo\"}\n", f);
    fclose(f);
    {
        const char *bench[] = {tu_bin("aero-bench"), "-h", hosts, "-n", ns(), "-s", set, "--records", path,
                               "-N", "2", "-w", "0", "-c", "1", NULL};
        ASSERT_EQ_INT(tu_run(bench, 60000, &out), 0);
        ASSERT_CONTAINS(out, "2 records from");
        ASSERT_CONTAINS(out, "errors      0\n");
        mem_free(out);
    }
    ASSERT_EQ_INT(run(&out, "get", ns(), set, "r1"), 0);
    ASSERT_CONTAINS(out, "{\"bins\":{\"id\":1,\"name\":\"ann\",\"balance\":2.5,\"active\":true,"
                         "\"tags\":[\"t1\",\"t2\"]},\"generation\":1,");
    mem_free(out);
    ASSERT_EQ_INT(run(&out, "get", ns(), set, "r2"), 0);
    ASSERT_CONTAINS(out, "{\"bins\":{\"id\":2,\"name\":\"bo\"},\"generation\":1,");
    mem_free(out);
    /* a line that is not KEY<TAB>JSON: exit 2, naming the file and line */
    ASSERT_TRUE((f = fopen(path, "a")) != NULL);
    fputs("r3 {\"id\":3}\n", f);
    fclose(f);
    {
        const char *bench[] = {tu_bin("aero-bench"), "-h", hosts, "--records", path, NULL};
        ASSERT_EQ_INT(tu_run(bench, 60000, &out), 2);
        snprintf(want, sizeof(want), "%s:3: no TAB between key and value", path);
        ASSERT_CONTAINS(out, want);
        mem_free(out);
    }
    unlink(path);
    rmdir(dir);
    tu_proc_free(p);
}

TEST_LIST = {
    T(put_then_get_prints_the_bins),
    T(values_are_typed_like_aql),
    T(errors_name_the_result_code),
    T(info_prints_values),
    T(help_teaches),
    T(tls_and_login_options_reach_a_secured_node),
    T(aero_bench_writes_the_records_of_a_file_as_the_sink_does),
    {0},
};
