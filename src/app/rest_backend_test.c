/* src/app/rest_backend_test.c: the 400 message of a refused connector config (POST/PUT
 * /connectors): Kafka Connect's wording with every error, bounded at APP_REFUSED_MAX with a
 * count of what did not fit. */
#include "../../tests/harness.h"
#include "app/rest_backend.h"

static const char tail[] = "\nYou can also find the above list of errors at the endpoint "
                           "`/connector-plugins/{connectorType}/config/validate`";

/* @n errors on bins of a file with a long path (~220 bytes per line), and a warning. */
static void long_errors(struct cfg_diags *d, int n)
{
    char file[200];
    snprintf(file, sizeof(file), "/etc/aerosink/%0150d/aerospike-kafka-inbound.yml", 7);
    for (int i = 0; i < n; i++)
        cfg_diag_add(d, CFG_SEV_ERROR, file, 16 + i, 11, "topics.events.mapping.bins.map",
                     "bin name \"b%014d\" is 16 bytes (at most 15)", i);
    cfg_diag_add(d, CFG_SEV_WARNING, file, 1, 1, "aerospike", "a warning is not listed");
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

TEST(every_error_of_a_refused_config_is_listed)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf whole = BUF_INIT;
    struct err e = {0};

    long_errors(&d, 6);   /* ~1.3 KB: more than a struct err holds */
    ASSERT_ST(app_diags_refusal(&d, &whole, &e), ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "(and ");   /* the bounded form, for logs */
    const char *t = buf_cstr(&whole);
    static const char head[] = "Connector configuration is invalid and contains the following 6 error(s):\n";
    ASSERT_TRUE(strncmp(t, head, sizeof(head) - 1) == 0);
    for (int i = 0; i < 6; i++) {
        char want[128];
        snprintf(want, sizeof(want), ".yml:%d:11: topics.events.mapping.bins.map: bin name \"b%014d\"", 16 + i, i);
        ASSERT_CONTAINS(t, want);
    }
    ASSERT_EQ_INT(count(t, "\n"), 6 + 1);   /* count line, 6 errors, the tail's line */
    ASSERT_TRUE(strstr(t, "more problem") == NULL && strstr(t, "warning") == NULL);
    ASSERT_EQ_STR(t + whole.len - strlen(tail), tail);
    buf_free(&whole);
    cfg_diags_free(&d);
}

TEST(a_refusal_that_fits_a_struct_err_gives_no_whole_text)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf whole = BUF_INIT;
    struct err e = {0};

    cfg_diag_add(&d, CFG_SEV_ERROR, "m.yml", 3, 5, "topics.t.mapping", "short");
    ASSERT_ST(app_diags_refusal(&d, &whole, &e), ST_CONFIG);
    ASSERT_EQ_INT(whole.len, 0);
    ASSERT_CONTAINS(e.msg, "the following 1 error(s):\nm.yml:3:5: topics.t.mapping: short\nYou can also");
    cfg_diags_free(&d);
}

TEST(a_refusal_is_bounded_and_counts_what_it_leaves_out)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf whole = BUF_INIT;
    struct err e = {0};

    long_errors(&d, 900);   /* ~200 KB of lines */
    ASSERT_ST(app_diags_refusal(&d, &whole, &e), ST_CONFIG);
    const char *t = buf_cstr(&whole);
    ASSERT_CMP_INT(whole.len, <=, APP_REFUSED_MAX);
    ASSERT_CMP_INT(whole.len, >, APP_REFUSED_MAX - 1024);
    ASSERT_CONTAINS(t, "the following 900 error(s):\n");
    size_t shown = count(t, ": topics.events.mapping.bins.map: ");
    char want[256];
    snprintf(want, sizeof(want), " (and %zu more problems)%s", 900 - shown, tail);
    ASSERT_CMP_INT(shown, >, 200);
    ASSERT_EQ_STR(t + whole.len - strlen(want), want);
    buf_free(&whole);
    cfg_diags_free(&d);
}

TEST_LIST = {
    T(every_error_of_a_refused_config_is_listed),
    T(a_refusal_that_fits_a_struct_err_gives_no_whole_text),
    T(a_refusal_is_bounded_and_counts_what_it_leaves_out),
    {0},
};
