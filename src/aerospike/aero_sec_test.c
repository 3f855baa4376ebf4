/* Unit tests for the security pieces without I/O: bcrypt (the wire doc's captured LOGIN
 * credential for "admin", and the published crypt_blowfish / OpenBSD vectors, including the
 * 8-bit cases where $2a$ and $2b$ differ) and admin message encoding/parsing against the
 * wire doc's captured LOGIN bytes (§9.1). */
#include "../../tests/harness.h"
#include "aero.h"
#include "aero_sec.h"

static void check_hash(const char *password, const char *want)
{
    char out[AERO_BCRYPT_LEN + 1];
    struct err e = {0};

    ASSERT_OK_E(aero_bcrypt(password, want, out, &e), &e);
    ASSERT_EQ_STR(out, want);
}

/* wire doc §9.1: the official client's credential for password "admin" */
TEST(bcrypt_doc_credential_for_admin)
{
    char out[AERO_BCRYPT_LEN + 1];

    ASSERT_OK(aero_bcrypt("admin", AERO_LOGIN_SALT, out, NULL));
    ASSERT_EQ_STR(out, "$2a$10$7EqJtq98hPqEX7fNZaFWoO1mVO/4MLpGzsqojz6E9Gef6iXDjXdDa");
    ASSERT_EQ_INT(strlen(out), AERO_BCRYPT_LEN);
}

/* Openwall crypt_blowfish's wrapper.c vectors (also in PHP's and Nettle's test suites). */
TEST(bcrypt_published_vectors)
{
    check_hash("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW");
    check_hash("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK");
    check_hash("U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a");
    check_hash("", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy");
    /* only 72 bytes count */
    check_hash("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
               "chars after 72 are ignored",
               "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui");
}

/* 8-bit passwords: $2b$/$2y$ are plain bcrypt, $2x$ has the old sign-extension bug, and
 * $2a$ (what Aerospike's clients send) has crypt_blowfish's countermeasure. */
TEST(bcrypt_8bit_variants)
{
    check_hash("\xa3", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e");
    check_hash("\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq");
    check_hash("\xa3", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq");
    check_hash("\xa3", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq");
    check_hash("\xff\xff\xa3", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e");
    check_hash("\xff\xff\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e");
    check_hash("\xff\xff\xa3", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nqd1wy.pTMdcvrRWxyiGL2eMz.2a85.");
    check_hash("\xff\xa3" "34\xff\xff\xff\xa3" "345",
               "$2a$05$/OK.fbVrR/bpIqNJ5ianF.ZC1JEJ8Z4gPfpe1JOr/oyPXTWl9EFd.");
    check_hash("\xff\xa3" "345", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e");
    check_hash("\xa3" "ab", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.6IflQkJytoRVc1yuaNtHfiuq.FRlSIS");
}

TEST(bcrypt_last_salt_char_normalised_and_bad_settings_refused)
{
    char out[AERO_BCRYPT_LEN + 1];
    struct err e = {0};

    /* the 22nd salt character carries 2 bits: '/' (1) hashes like '.' (0) and is printed so */
    ASSERT_OK(aero_bcrypt("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC/", out, NULL));
    ASSERT_EQ_STR(out, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW");
    ASSERT_ST(aero_bcrypt("x", "$2a$10$short", out, &e), ST_USAGE);
    ASSERT_ST(aero_bcrypt("x", "$2c$10$7EqJtq98hPqEX7fNZaFWoO", out, &e), ST_USAGE);
    ASSERT_ST(aero_bcrypt("x", "$2a$03$7EqJtq98hPqEX7fNZaFWoO", out, &e), ST_USAGE);
    ASSERT_ST(aero_bcrypt("x", "$2a$10$7EqJtq98hPqEX7fNZaFW!O", out, &e), ST_USAGE);
    ASSERT_CONTAINS(e.msg, "salt");
    ASSERT_EQ_STR(out, "");
}

/* wire doc §9.1, captured from the C client 7.5.0: LOGIN admin/admin */
static const char *captured_login =
    "02 02 00 00 00 00 00 5b"
    "00 00 14 02 00 00 00 00 00 00 00 00 00 00 00 00"
    "00 00 00 06 00 61 64 6d 69 6e"
    "00 00 00 3d 03";

TEST(login_matches_captured_bytes)
{
    struct buf b = BUF_INIT;
    char cred[AERO_BCRYPT_LEN + 1];
    const char *hdr = captured_login;

    ASSERT_OK(aero_bcrypt("admin", AERO_LOGIN_SALT, cred, NULL));
    ASSERT_OK(aero_admin_login(&b, AERO_AUTH_INTERNAL, "admin", cred, NULL));
    ASSERT_EQ_INT(b.len, 8 + 0x5b);
    ASSERT_EQ_INT(b.len, HEX_LEN(hdr) + 60);
    ASSERT_EQ_MEM(b.p, HEX(hdr), HEX_LEN(hdr));
    ASSERT_EQ_MEM(b.p + HEX_LEN(hdr), "$2a$10$7EqJtq98hPqEX7fNZaFWoO1mVO/4MLpGzsqojz6E9Gef6iXDjXdDa", 60);
    buf_free(&b);
}

TEST(login_modes_and_authenticate_fields)
{
    struct buf b = BUF_INIT;
    struct aero_admin_view v;
    const struct aero_admin_field *f;
    static const uint8_t tok[5] = {1, 2, 0, 4, 5};

    ASSERT_OK(aero_admin_login(&b, AERO_AUTH_EXTERNAL, "u", "CRED", "pw"));
    ASSERT_OK(aero_admin_parse(b.p + 8, b.len - 8, &v, NULL));
    ASSERT_EQ_INT(v.command, AERO_ADMIN_LOGIN);
    ASSERT_EQ_INT(v.n_fields, 3);
    ASSERT_TRUE((f = aero_admin_field(&v, AERO_ADMIN_FIELD_CLEAR_PASSWORD)) != NULL);
    ASSERT_EQ_INT(f->n, 2);
    ASSERT_EQ_MEM(f->p, "pw", 2);
    buf_reset(&b);
    ASSERT_OK(aero_admin_login(&b, AERO_AUTH_PKI, NULL, NULL, NULL));
    ASSERT_EQ_INT(b.len, 24);
    ASSERT_EQ_MEM(b.p, HEX("02 02 00 00 00 00 00 10 00 00 14 00"), 12);
    buf_reset(&b);
    ASSERT_OK(aero_admin_authenticate(&b, AERO_AUTH_INTERNAL, "admin", tok, sizeof(tok)));
    ASSERT_EQ_MEM(b.p, HEX("02 02 00 00 00 00 00 24 00 00 00 02"), 12);
    ASSERT_OK(aero_admin_parse(b.p + 8, b.len - 8, &v, NULL));
    ASSERT_EQ_INT(v.command, AERO_ADMIN_AUTHENTICATE);
    ASSERT_TRUE((f = aero_admin_field(&v, AERO_ADMIN_FIELD_SESSION_TOKEN)) != NULL);
    ASSERT_EQ_INT(f->n, 5);
    ASSERT_EQ_MEM(f->p, tok, 5);
    buf_reset(&b);
    ASSERT_OK(aero_admin_authenticate(&b, AERO_AUTH_PKI, NULL, tok, sizeof(tok)));
    ASSERT_OK(aero_admin_parse(b.p + 8, b.len - 8, &v, NULL));
    ASSERT_EQ_INT(v.n_fields, 1);
    buf_free(&b);
}

TEST(parse_replies_and_refuse_overruns)
{
    struct aero_admin_view v;
    struct err e = {0};
    const struct aero_admin_field *f;

    /* the wire doc's CE answer: result 51, no fields */
    ASSERT_OK(aero_admin_parse(HEX("00 33 00 00 00 00 00 00 00 00 00 00 00 00 00 00"), 16, &v, NULL));
    ASSERT_EQ_INT(v.result, 51);
    ASSERT_EQ_INT(v.n_fields, 0);
    /* token "ab" + ttl 120 */
    ASSERT_OK(aero_admin_parse(HEX("00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00"
                                   "00 00 00 03 05 61 62  00 00 00 05 06 00 00 00 78"),
                               16 + 7 + 9, &v, NULL));
    ASSERT_TRUE((f = aero_admin_field(&v, AERO_ADMIN_FIELD_SESSION_TTL)) != NULL);
    ASSERT_EQ_INT(load_u32be(f->p), 120);
    ASSERT_TRUE(aero_admin_field(&v, AERO_ADMIN_FIELD_USER) == NULL);
    ASSERT_ST(aero_admin_parse(HEX("00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 09 05 61"),
                               22, &v, &e), ST_PROTO);
    ASSERT_CONTAINS(e.msg, "overruns");
    ASSERT_ST(aero_admin_parse(HEX("00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 05"),
                               21, &v, NULL), ST_PROTO);
    ASSERT_ST(aero_admin_parse(HEX("00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff"), 17, &v, NULL),
              ST_PROTO);
    ASSERT_ST(aero_admin_parse(HEX("00 00 00"), 3, &v, NULL), ST_PROTO);
}

/* The command-line tools' security options: bad combinations are usage errors naming the
 * options; good ones fill the cluster config (TLS names on every seed, the password from the
 * file's first line or the environment). */
TEST(tool_security_options_checked_and_applied)
{
    struct aero_cluster_config cfg;
    struct err e = {0};
    char dir[] = "/tmp/aerosink-sec-XXXXXX", path[64];
    FILE *f;

    ASSERT_TRUE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/pw", dir);
    ASSERT_TRUE((f = fopen(path, "w")) != NULL);
    fputs("s3cret\r\nsecond line\n", f);
    fclose(f);

    /* auth-mode names: each round-trips, anything else is refused */
    for (int m = AERO_AUTH_INTERNAL; m <= AERO_AUTH_PKI; m++) {
        enum aero_auth_mode got = AERO_AUTH_INTERNAL;
        ASSERT_TRUE(aero_auth_mode_parse(aero_auth_mode_name((enum aero_auth_mode)m), &got));
        ASSERT_EQ_INT(got, m);
    }
    enum aero_auth_mode unused;
    ASSERT_FALSE(aero_auth_mode_parse("ldap", &unused));
    ASSERT_FALSE(aero_auth_mode_parse("PKI", &unused));

    struct aero_tool_security none = {0};
    ASSERT_FALSE(aero_tool_security_wanted(&none));
    ASSERT_OK(aero_tool_security_check(&none, &e));

    struct aero_tool_security pki = {.auth_mode = AERO_AUTH_PKI, .has_auth_mode = true};
    ASSERT_EQ_INT(aero_tool_security_check(&pki, &e), ST_USAGE);
    ASSERT_CONTAINS(e.msg, "--auth-mode pki needs --tls-cert");
    struct aero_tool_security ext = {.auth_mode = AERO_AUTH_EXTERNAL, .has_auth_mode = true};
    ASSERT_EQ_INT(aero_tool_security_check(&ext, &e), ST_USAGE);
    ASSERT_CONTAINS(e.msg, "--auth-mode external needs --user");
    struct aero_tool_security file_only = {.password_file = path};
    ASSERT_TRUE(aero_tool_security_wanted(&file_only));
    ASSERT_EQ_INT(aero_tool_security_check(&file_only, &e), ST_USAGE);
    ASSERT_CONTAINS(e.msg, "--password-file needs --user");
    struct aero_tool_security no_pw = {.user = "ann"};
    ASSERT_EQ_INT(aero_tool_security_check(&no_pw, &e), ST_USAGE);
    ASSERT_CONTAINS(e.msg, "--user ann: no password");

    /* TLS + a user whose password is the file's first line */
    aero_cluster_config_init(&cfg);
    ASSERT_OK(aero_cluster_config_seeds(&cfg, "db1:4333,db2:4333", &e));
    struct aero_tool_security full = {.user = "ann", .password_file = path, .tls_ca = "/ca.pem",
                                      .tls_name = "db", .tls = true};
    ASSERT_OK(aero_cluster_config_tool_security(&cfg, &full, &e));
    ASSERT_TRUE(cfg.tls.enabled && cfg.auth);
    ASSERT_EQ_INT(cfg.auth_mode, AERO_AUTH_INTERNAL);
    ASSERT_EQ_STR(cfg.user, "ann");
    ASSERT_EQ_STR(cfg.password, "s3cret");
    ASSERT_EQ_STR(cfg.tls.trust.file, "/ca.pem");
    ASSERT_EQ_STR(cfg.seeds[0].tls_name, "db");
    ASSERT_EQ_STR(cfg.seeds[1].tls_name, "db");

    /* the environment's password without a file; pki needs none */
    aero_cluster_config_init(&cfg);
    struct aero_tool_security env = {.user = "bob", .password_env = "from-env"};
    ASSERT_OK(aero_cluster_config_tool_security(&cfg, &env, &e));
    ASSERT_FALSE(cfg.tls.enabled);
    ASSERT_EQ_STR(cfg.password, "from-env");
    aero_cluster_config_init(&cfg);
    struct aero_tool_security cert = {.auth_mode = AERO_AUTH_PKI, .has_auth_mode = true,
                                      .tls_cert = "/client.pem", .tls = true};
    ASSERT_OK(aero_cluster_config_tool_security(&cfg, &cert, &e));
    ASSERT_TRUE(cfg.auth);
    ASSERT_EQ_INT(cfg.auth_mode, AERO_AUTH_PKI);
    ASSERT_EQ_STR(cfg.tls.key.file, "/client.pem");
    ASSERT_EQ_STR(cfg.user, "");

    /* an unreadable password file */
    aero_cluster_config_init(&cfg);
    struct aero_tool_security missing = {.user = "ann", .password_file = "/nonexistent/pw"};
    ASSERT_EQ_INT(aero_cluster_config_tool_security(&cfg, &missing, &e), ST_IO);
    ASSERT_CONTAINS(e.msg, "--password-file /nonexistent/pw: No such file");
    remove(path);
    rmdir(dir);
}

TEST_LIST = {
    T(tool_security_options_checked_and_applied),
    T(bcrypt_doc_credential_for_admin),
    T(bcrypt_published_vectors),
    T(bcrypt_8bit_variants),
    T(bcrypt_last_salt_char_normalised_and_bad_settings_refused),
    T(login_matches_captured_bytes),
    T(login_modes_and_authenticate_fields),
    T(parse_replies_and_refuse_overruns),
    {0},
};
