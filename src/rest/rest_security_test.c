/* src/rest/rest_security_test.c: the password file parser, the Authorization header check and
 * the per-client rate limiter, without sockets. */
#include "../../tests/harness.h"
#include "../../tests/support/testutil.h"
#include "rest/rest_int.h"

static const char *b64(const char *s)
{
    static char out[256];
    base64_encode((const uint8_t *)s, strlen(s), out);
    out[base64_encoded_len(strlen(s))] = '\0';
    return out;
}

static bool check(const struct rest__auth *a, const char *header, char *user)
{
    return rest__auth_check(a, header, user, 64);
}

static const char *basic(const char *userpass)
{
    static char h[300];
    snprintf(h, sizeof(h), "Basic %s", b64(userpass));
    return h;
}

TEST(password_file_lines_comments_and_crlf)
{
    const char *text = "# operators\r\n\nadmin:s3cret\r\n  # indented comment\nops:pa:ss:word\nempty:\n";
    struct rest__auth a = {0};
    struct err e = {0};

    ASSERT_OK_E(rest__auth_parse(&a, text, strlen(text), "pw", &e), &e);
    ASSERT_EQ_INT(a.n, 3);
    ASSERT_EQ_STR(a.users[0].name, "admin");
    ASSERT_EQ_STR(a.users[0].password, "s3cret");       /* the '\r' is gone */
    ASSERT_EQ_STR(a.users[1].name, "ops");
    ASSERT_EQ_STR(a.users[1].password, "pa:ss:word");   /* the first ':' splits */
    ASSERT_EQ_STR(a.users[2].password, "");
    rest__auth_free(&a);
}

TEST(password_file_errors_name_the_line)
{
    struct rest__auth a = {0};
    struct err e = {0};

    ASSERT_ST(rest__auth_parse(&a, "ok:1\nnocolon\n", 13, "users.txt", &e), ST_CONFIG);
    ASSERT_EQ_STR(e.msg, "users.txt:2: expected user:password");
    rest__auth_free(&a);
    ASSERT_ST(rest__auth_parse(&a, ":pw\n", 4, "users.txt", &e), ST_CONFIG);
    ASSERT_EQ_STR(e.msg, "users.txt:1: empty user name");
    rest__auth_free(&a);
    ASSERT_ST(rest__auth_parse(&a, "# only\n\n", 8, "users.txt", &e), ST_CONFIG);
    ASSERT_EQ_STR(e.msg, "users.txt: no user:password line");
    rest__auth_free(&a);
    ASSERT_ST(rest__auth_load(&a, "/nonexistent/users.txt", &e), ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "/nonexistent/users.txt: No such file");
    rest__auth_free(&a);
}

TEST(password_file_from_disk)
{
    const char *path = tu_write_file(tu_tmpdir(), "users.txt", "alice:wonderland\n");
    struct rest__auth a = {0};
    struct err e = {0};
    char user[64];

    ASSERT_OK_E(rest__auth_load(&a, path, &e), &e);
    ASSERT_TRUE(check(&a, basic("alice:wonderland"), user));
    ASSERT_EQ_STR(user, "alice");
    rest__auth_free(&a);
}

TEST(authorization_header_checks)
{
    const char *text = "admin:s3cret\nops:pa:ss\n";
    struct rest__auth a = {0};
    char user[64] = "";

    ASSERT_OK(rest__auth_parse(&a, text, strlen(text), "pw", NULL));
    ASSERT_TRUE(check(&a, basic("admin:s3cret"), user));
    ASSERT_EQ_STR(user, "admin");
    ASSERT_TRUE(check(&a, basic("ops:pa:ss"), user));
    ASSERT_EQ_STR(user, "ops");
    {
        char h[300];
        snprintf(h, sizeof(h), "  basic   %s  ", b64("admin:s3cret"));   /* scheme is case-insensitive */
        ASSERT_TRUE(check(&a, h, user));
    }
    ASSERT_FALSE(check(&a, NULL, user));
    ASSERT_FALSE(check(&a, "", user));
    ASSERT_FALSE(check(&a, basic("admin:s3cre"), user));         /* prefix of the password */
    ASSERT_FALSE(check(&a, basic("admin:s3cret2"), user));
    ASSERT_FALSE(check(&a, basic("admin:"), user));
    ASSERT_FALSE(check(&a, basic("root:s3cret"), user));          /* unknown user */
    ASSERT_FALSE(check(&a, basic("admins3cret"), user));          /* no colon */
    ASSERT_FALSE(check(&a, "Bearer abc", user));
    ASSERT_FALSE(check(&a, "Basic", user));
    ASSERT_FALSE(check(&a, "Basic ", user));
    ASSERT_FALSE(check(&a, "Basic !!!!", user));                  /* not base64 */
    ASSERT_FALSE(check(&a, "BasicYWRtaW46czNjcmV0", user));       /* no space */
    ASSERT_FALSE(check(&a, basic("ops:pa"), user));
    rest__auth_free(&a);
}

TEST(rate_limiter_burst_refill_and_retry_after)
{
    struct rest__rate r;
    unsigned retry = 0;
    uint64_t t = 1000000;

    rest__rate_init(&r, 2.0, 3.0);        /* 2/s, bursts of 3 */
    for (int i = 0; i < 3; i++)
        ASSERT_TRUE(rest__rate_take(&r, "10.0.0.1", t, &retry));
    ASSERT_FALSE(rest__rate_take(&r, "10.0.0.1", t, &retry));
    ASSERT_EQ_INT(retry, 1);
    ASSERT_TRUE(rest__rate_take(&r, "10.0.0.2", t, &retry));      /* per client */
    t += 500000;                                                   /* half a second: one token */
    ASSERT_TRUE(rest__rate_take(&r, "10.0.0.1", t, &retry));
    ASSERT_FALSE(rest__rate_take(&r, "10.0.0.1", t, &retry));
    t += 10 * 1000000;                                             /* refills only up to the burst */
    for (int i = 0; i < 3; i++)
        ASSERT_TRUE(rest__rate_take(&r, "10.0.0.1", t, &retry));
    ASSERT_FALSE(rest__rate_take(&r, "10.0.0.1", t, &retry));
    rest__rate_destroy(&r);
}

TEST(rate_limiter_slow_rate_retry_after_and_eviction)
{
    struct rest__rate r;
    unsigned retry = 0;
    char name[32];

    rest__rate_init(&r, 0.1, 1.0);        /* one request per 10 s */
    ASSERT_TRUE(rest__rate_take(&r, "a", 0, &retry));
    ASSERT_FALSE(rest__rate_take(&r, "a", 0, &retry));
    ASSERT_EQ_INT(retry, 10);
    /* 256 other clients push "a" out; it comes back with a full bucket */
    for (int i = 0; i < REST__RATE_SLOTS; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        ASSERT_TRUE(rest__rate_take(&r, name, 1 + (uint64_t)i, &retry));
    }
    ASSERT_TRUE(rest__rate_take(&r, "a", 1000, &retry));
    /* the least recently seen (c0) was evicted for "a"; c255 is still limited */
    ASSERT_FALSE(rest__rate_take(&r, "c255", 2000, &retry));
    rest__rate_destroy(&r);
}

TEST_LIST = {
    T(password_file_lines_comments_and_crlf),
    T(password_file_errors_name_the_line),
    T(password_file_from_disk),
    T(authorization_header_checks),
    T(rate_limiter_burst_refill_and_retry_after),
    T(rate_limiter_slow_rate_retry_after_and_eviction),
    {0},
};
