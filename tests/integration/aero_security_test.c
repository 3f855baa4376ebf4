/* Security between the client and Aerospike (issue 9), against aerospike-testd started with
 * --tls-cert/--tls-key/--tls-ca and --user: LOGIN + session tokens (internal and external
 * auth, pki with a client certificate), TLS with the tls-name check (PEM and PKCS12 trust
 * stores, peers' TLS names from peers-tls-std), token refresh before the TTL and re-login
 * after 66, and the failures: wrong password, Community Edition server, wrong CA, wrong
 * tls-name, TLS against a clear port. Each failure is one error naming the node and the
 * reason, with no retry storm (testd counts the LOGINs it refused).
 * Certificates are made at test time with the openssl CLI (a CA, a server certificate for
 * "aero-test", a client certificate for user "pki-user", and an unrelated CA).
 * Fake-only: skipped when AEROSPIKE_HOSTS points at a real server. */
#include <signal.h>

#include "../harness.h"
#include "../support/testutil.h"
#include "aerospike/aero.h"


static void need_fake(void)
{
    signal(SIGPIPE, SIG_IGN);         /* as aerosink does: OpenSSL writes without MSG_NOSIGNAL */
    if (tu_aerospike_is_real())
        TEST_SKIP("needs aerospike-testd's --tls-cert/--user (AEROSPIKE_HOSTS is a real server)");
}

/* testd with @args after the TLS options when @tls. */
static struct tu_proc *testd(const struct tu_certs *c, bool tls, const char *const *args, char *hosts,
                             size_t cap)
{
    const char *argv[24];
    int n = 0;

    if (tls) {
        argv[n++] = "--tls-cert";
        argv[n++] = c->server;
        argv[n++] = "--tls-key";
        argv[n++] = c->server_key;
        argv[n++] = "--tls-ca";
        argv[n++] = c->ca;
    }
    for (int i = 0; args && args[i] && n < 22; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return tu_aerospike_start(argv, hosts, cap);
}

static void base_config(struct aero_cluster_config *cfg, const char *hosts, const char *tls_name)
{
    struct err e = {0};

    aero_cluster_config_init(cfg);
    cfg->tend_interval_ms = 200;
    if (aero_cluster_config_seeds(cfg, hosts, &e) != ST_OK)
        TEST_FAIL("seeds %s: %s", hosts, e.msg);
    for (size_t i = 0; tls_name && i < cfg->n_seeds; i++)
        snprintf(cfg->seeds[i].tls_name, sizeof(cfg->seeds[i].tls_name), "%s", tls_name);
}

static void with_tls(struct aero_cluster_config *cfg, const char *trust)
{
    cfg->tls.enabled = true;
    snprintf(cfg->tls.trust.file, sizeof(cfg->tls.trust.file), "%s", trust);
}

static void with_user(struct aero_cluster_config *cfg, const char *user, const char *password)
{
    cfg->auth = true;
    snprintf(cfg->user, sizeof(cfg->user), "%s", user);
    snprintf(cfg->password, sizeof(cfg->password), "%s", password);
}

/* Write then read back @n records through @c. */
static void write_read(struct aero_cluster *c, const char *set, int first, int n)
{
    struct err e = {0};
    struct aero_client *cl = aero_client_new(c, NULL, &e);

    if (!cl)
        TEST_FAIL("client: %s", e.msg);
    for (int i = first; i < first + n; i++) {
        struct aero_key k;
        struct aero_key_value kv = {AERO_PT_INTEGER, i, NULL, 0};
        struct aero_bin bin = {.name = "v", .type = AERO_PT_INTEGER, .i = i * 10};
        struct aero_record rec = {0};
        struct aero_bin_view bv;
        ASSERT_OK(aero_key_init(&k, "test", set, &kv, NULL));
        ASSERT_OK_E(aero_put(cl, NULL, &k, &bin, 1, &rec, &e), &e);
        ASSERT_OK_E(aero_get(cl, NULL, &k, NULL, 0, &rec, &e), &e);
        ASSERT_TRUE(aero_record_bin(&rec, "v", &bv));
        ASSERT_EQ_INT(load_u64be(bv.value), i * 10);
        aero_record_free(&rec);
    }
    aero_client_free(cl);
}

/* One value of `testd-stats` through the cluster's own (TLS, authenticated) info path. */
static long stat_of(struct aero_cluster *c, const char *key)
{
    struct aero_node_info nodes[4];
    struct buf out = BUF_INIT;
    struct err e = {0};
    char k[64];
    long v = -1;

    ASSERT_CMP_INT(aero_cluster_nodes(c, nodes, 4), >=, 1);
    ASSERT_OK_E(aero_info_node(c, nodes[0].name, "testd-stats", &out, 2000, &e), &e);
    snprintf(k, sizeof(k), ";%s=", key);
    const char *p = strstr(buf_cstr(&out), k);
    if (p)
        v = strtol(p + strlen(k), NULL, 10);
    buf_free(&out);
    return v;
}

TEST(auth_only_login_then_commands_authenticate)
{
    struct tu_certs cs = {0};
    const char *args[] = {"--user", "writer:s3cret pw ", "--user", "other:x", NULL};
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    struct tu_proc *p = testd(&cs, false, args, hosts, sizeof(hosts));
    base_config(&cfg, hosts, NULL);
    with_user(&cfg, "writer", "s3cret pw ");      /* trailing space is part of it */
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    write_read(c, "auth", 0, 50);
    ASSERT_CMP_INT(stat_of(c, "logins"), >=, 1);
    ASSERT_CMP_INT(stat_of(c, "authenticates"), >=, 1);   /* command connections */
    ASSERT_EQ_INT(stat_of(c, "logins_refused"), 0);
    ASSERT_EQ_INT(stat_of(c, "requests_refused"), 0);
    aero_cluster_free(c);
    tu_proc_free(p);
}

TEST(unauthenticated_requests_get_80)
{
    struct tu_certs cs = {0};
    const char *args[] = {"--user", "writer:pw", NULL};
    char hosts[256];
    struct buf out = BUF_INIT;
    struct err e = {0};

    need_fake();
    struct tu_proc *p = testd(&cs, false, args, hosts, sizeof(hosts));
    struct aero_host h;
    ASSERT_OK(aero_host_parse(hosts, strlen(hosts), 3000, &h, NULL));
    ASSERT_ST(aero_info_host(h.name, h.port, "node", &out, 2000, &e), ST_SERVER);
    ASSERT_CONTAINS(e.msg, "ERROR:80:not authenticated");
    buf_free(&out);
    tu_proc_free(p);
}

TEST(external_auth_sends_the_clear_password)
{
    struct tu_certs cs = {0};
    const char *args[] = {"--user", "ldap-user:ldap-pw", NULL};
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    struct tu_proc *p = testd(&cs, false, args, hosts, sizeof(hosts));
    base_config(&cfg, hosts, NULL);
    with_user(&cfg, "ldap-user", "ldap-pw");
    cfg.auth_mode = AERO_AUTH_EXTERNAL_INSECURE;
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    write_read(c, "ext", 0, 10);
    aero_cluster_free(c);
    tu_proc_free(p);
}

TEST(tls_only_pem_trust_store)
{
    struct tu_certs cs;
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    tu_make_certs(&cs);
    struct tu_proc *p = testd(&cs, true, NULL, hosts, sizeof(hosts));
    base_config(&cfg, hosts, "aero-test");
    with_tls(&cfg, cs.ca);
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    write_read(c, "tls", 0, 50);
    aero_cluster_free(c);
    tu_proc_free(p);
}

TEST(tls_and_auth_pkcs12_trust_store_two_nodes_peers_tls_std)
{
    struct tu_certs cs;
    const char *args[] = {"--user", "writer:pw", "--nodes", "2", "--tls-name", "aero-test", NULL};
    char hosts[256];
    struct aero_cluster_config cfg;
    struct aero_node_info nodes[4];
    struct err e = {0};

    need_fake();
    tu_make_certs(&cs);
    struct tu_proc *p = testd(&cs, true, args, hosts, sizeof(hosts));
    *strchr(hosts, ',') = '\0';                   /* seed: the first node only */
    base_config(&cfg, hosts, "aero-test");
    with_tls(&cfg, cs.ca_p12);
    cfg.tls.trust.type = AERO_STORE_PKCS12;
    snprintf(cfg.tls.trust.password, sizeof(cfg.tls.trust.password), "store-pw");
    with_user(&cfg, "writer", "pw");
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    ASSERT_EQ_INT(aero_cluster_nodes(c, nodes, 4), 2);    /* the peer came from peers-tls-std */
    write_read(c, "tls_auth", 0, 200);
    aero_cluster_free(c);

    /* a wrong store password is a configuration error naming the store */
    snprintf(cfg.tls.trust.password, sizeof(cfg.tls.trust.password), "nope");
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "ca.p12: cannot open the PKCS12 store");
    tu_proc_free(p);
}

TEST(pki_login_with_the_client_certificate)
{
    struct tu_certs cs;
    const char *args[] = {"--user", "pki-user:unused", NULL};
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    tu_make_certs(&cs);
    struct tu_proc *p = testd(&cs, true, args, hosts, sizeof(hosts));
    base_config(&cfg, hosts, "aero-test");
    with_tls(&cfg, cs.ca);
    cfg.auth = true;
    cfg.auth_mode = AERO_AUTH_PKI;
    snprintf(cfg.tls.key.file, sizeof(cfg.tls.key.file), "%s", cs.client);
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    write_read(c, "pki", 0, 20);
    aero_cluster_free(c);

    /* without the certificate the server cannot tell who logs in: refused, fatal */
    cfg.tls.key.file[0] = '\0';
    cfg.auth_mode = AERO_AUTH_INTERNAL;
    with_user(&cfg, "pki-user", "wrong");
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_AUTH);
    tu_proc_free(p);
}

TEST(wrong_password_is_one_fatal_error_without_retries)
{
    struct tu_certs cs = {0};
    const char *args[] = {"--user", "writer:right", NULL};
    char hosts[256], want[400];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    struct tu_proc *p = testd(&cs, false, args, hosts, sizeof(hosts));
    base_config(&cfg, hosts, NULL);
    with_user(&cfg, "writer", "wrong");
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_AUTH);
    snprintf(want, sizeof(want), "%s: LOGIN as user 'writer' (auth-mode internal) refused: "
                                 "SEC_ERR_PASSWORD (62)", hosts);
    ASSERT_CONTAINS(e.msg, want);
    ASSERT_TRUE(strstr(e.msg, "no seed answered") == NULL);
    /* unknown user */
    with_user(&cfg, "nobody", "right");
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_CONTAINS(e.msg, "SEC_ERR_USER (60)");
    /* exactly one LOGIN per attempt reached the server */
    with_user(&cfg, "writer", "right");
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    ASSERT_EQ_INT(stat_of(c, "logins_refused"), 2);
    aero_cluster_free(c);
    tu_proc_free(p);
}

TEST(community_edition_server_with_credentials)
{
    struct tu_certs cs = {0};
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    struct tu_proc *p = testd(&cs, false, NULL, hosts, sizeof(hosts));   /* CE: no --user */
    base_config(&cfg, hosts, NULL);
    with_user(&cfg, "writer", "pw");
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_AUTH);
    ASSERT_CONTAINS(e.msg, hosts);
    ASSERT_CONTAINS(e.msg, "SECURITY_NOT_SUPPORTED (51)");
    ASSERT_CONTAINS(e.msg, "Community Edition");
    ASSERT_CONTAINS(e.msg, "remove aerospike.credentials");
    tu_proc_free(p);
}

TEST(wrong_ca_and_wrong_tls_name_are_refused)
{
    struct tu_certs cs;
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    tu_make_certs(&cs);
    struct tu_proc *p = testd(&cs, true, NULL, hosts, sizeof(hosts));
    base_config(&cfg, hosts, "aero-test");
    with_tls(&cfg, cs.wrong_ca);
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_TLS);
    ASSERT_CONTAINS(e.msg, hosts);
    ASSERT_CONTAINS(e.msg, "TLS: the node's certificate is not accepted: ");
    ASSERT_CONTAINS(e.msg, "trust-store");

    base_config(&cfg, hosts, "other-name");
    with_tls(&cfg, cs.ca);
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_TLS);
    ASSERT_CONTAINS(e.msg, "certificate is not accepted: hostname mismatch (expected tls-name 'other-name')");

    /* no tls-name: the host (127.0.0.1) is checked, and the certificate does not carry it */
    base_config(&cfg, hosts, NULL);
    with_tls(&cfg, cs.ca);
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_TLS);
    ASSERT_CONTAINS(e.msg, "IP address mismatch");
    tu_proc_free(p);
}

TEST(tls_to_a_clear_port_and_clear_to_a_tls_port)
{
    struct tu_certs cs;
    char hosts[256], tls_hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    tu_make_certs(&cs);
    struct tu_proc *clear = testd(&cs, false, NULL, hosts, sizeof(hosts));
    struct tu_proc *tls = testd(&cs, true, NULL, tls_hosts, sizeof(tls_hosts));
    base_config(&cfg, hosts, "aero-test");
    with_tls(&cfg, cs.ca);
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_TLS);
    ASSERT_CONTAINS(e.msg, "is TLS enabled on this port?");
    base_config(&cfg, tls_hosts, NULL);
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_CONNECT);                /* closed by the server: retriable */
    tu_proc_free(clear);
    tu_proc_free(tls);
}

/* TTL 3 s, tend every 200 ms: the tend thread logs in again ahead of expiry, connections
 * holding the old token drain, and writes never see 66. */
TEST(session_refreshed_before_expiry_keeps_writing)
{
    struct tu_certs cs;
    const char *args[] = {"--user", "writer:pw", "--session-ttl", "3", NULL};
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    tu_make_certs(&cs);
    struct tu_proc *p = testd(&cs, true, args, hosts, sizeof(hosts));
    base_config(&cfg, hosts, "aero-test");
    with_tls(&cfg, cs.ca);
    with_user(&cfg, "writer", "pw");
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    uint64_t end = clock_mono_ms() + 7000;
    for (int i = 0; clock_mono_ms() < end; i += 20) {
        write_read(c, "refresh", i, 20);
        sleep_ms(50);
    }
    ASSERT_CMP_INT(stat_of(c, "logins"), >=, 3);       /* 1 + a refresh every ~1.5 s */
    ASSERT_EQ_INT(stat_of(c, "requests_refused"), 0);
    aero_cluster_free(c);
    tu_proc_free(p);
}

/* No tend thread, TTL 1 s: the token expires under a live connection; its next command gets
 * 66, the client logs in again on a new connection and the command succeeds. */
TEST(expired_session_66_relogs_in_and_retries)
{
    struct tu_certs cs = {0};
    const char *args[] = {"--user", "writer:pw", "--session-ttl", "1", NULL};
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};

    need_fake();
    struct tu_proc *p = testd(&cs, false, args, hosts, sizeof(hosts));
    base_config(&cfg, hosts, NULL);
    cfg.tend_interval_ms = 0;
    with_user(&cfg, "writer", "pw");
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 20; i++) {
            struct aero_key k;
            struct aero_key_value kv = {AERO_PT_INTEGER, round * 100 + i, NULL, 0};
            struct aero_bin bin = {.name = "v", .type = AERO_PT_INTEGER, .i = i};
            struct aero_record rec = {0};
            ASSERT_OK(aero_key_init(&k, "test", "expiry", &kv, NULL));
            ASSERT_OK_E(aero_put(cl, NULL, &k, &bin, 1, &rec, &e), &e);
            aero_record_free(&rec);
        }
        sleep_ms(1300);                               /* past the TTL */
    }
    aero_client_free(cl);
    /* the refused requests were the 66s, each followed by a LOGIN that worked */
    long refused = stat_of(c, "requests_refused");
    ASSERT_CMP_INT(refused, >=, 2);
    ASSERT_CMP_INT(stat_of(c, "logins"), >=, 3);
    ASSERT_EQ_INT(stat_of(c, "logins_refused"), 0);
    aero_cluster_free(c);
    tu_proc_free(p);
}

/* TLS + auth, pipelining off over TLS: the record path still allocates nothing when warm. */
TEST(steady_state_over_tls_and_auth_allocates_nothing)
{
    struct tu_certs cs;
    const char *args[] = {"--user", "writer:pw", NULL};
    char hosts[256];
    struct aero_cluster_config cfg;
    struct err e = {0};
    static struct aero_cmd cmds[32];

    need_fake();
    tu_make_certs(&cs);
    struct tu_proc *p = testd(&cs, true, args, hosts, sizeof(hosts));
    base_config(&cfg, hosts, "aero-test");
    cfg.tend_interval_ms = 0;
    with_tls(&cfg, cs.ca);
    with_user(&cfg, "writer", "pw");
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct aero_write_policy wp;
    aero_write_policy_init(&wp);
    wp.base.total_timeout_ms = 5000;
    for (int i = 0; i < 32; i++) {
        struct aero_key k;
        struct aero_key_value kv = {AERO_PT_INTEGER, i, NULL, 0};
        struct aero_msg m;
        ASSERT_OK(aero_key_init(&k, "test", "steady", &kv, NULL));
        aero_write_begin(&m, &cmds[i].req, &wp, &k, 0, 0);
        aero_msg_op_int(&m, AERO_OP_WRITE, "v", 1, i);
        ASSERT_OK(aero_msg_end(&m, NULL));
        aero_cmd_route(&cmds[i], "test", k.digest, true);
        aero_cmd_policy(&cmds[i], &wp.base);
    }
    uint64_t before = 0;
    for (int round = 0; round < 30; round++) {
        if (round == 10)
            before = mem_alloc_count();
        for (int i = 0; i < 32; i++) {
            ASSERT_OK_E(aero_exec(cl, &cmds[i], &e), &e);
        }
    }
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    for (int i = 0; i < 32; i++)
        aero_cmd_free(&cmds[i]);
    aero_client_free(cl);
    aero_cluster_free(c);
    tu_proc_free(p);
}

TEST_LIST = {
    T(auth_only_login_then_commands_authenticate),
    T(unauthenticated_requests_get_80),
    T(external_auth_sends_the_clear_password),
    T(tls_only_pem_trust_store),
    T(tls_and_auth_pkcs12_trust_store_two_nodes_peers_tls_std),
    T(pki_login_with_the_client_certificate),
    T(wrong_password_is_one_fatal_error_without_retries),
    T(community_edition_server_with_credentials),
    T(wrong_ca_and_wrong_tls_name_are_refused),
    T(tls_to_a_clear_port_and_clear_to_a_tls_port),
    T(session_refreshed_before_expiry_keeps_writing),
    T(expired_session_66_relogs_in_and_retries),
    T(steady_state_over_tls_and_auth_allocates_nothing),
    {0},
};
