/* Unit tests for src/common. */
#include "../../tests/harness.h"

TEST(status_table_names_and_classes)
{
    ASSERT_EQ_STR(status_name(ST_OK), "OK");
    ASSERT_EQ_STR(status_name(ST_TIMEOUT), "TIMEOUT");
    ASSERT_EQ_INT(status_class(ST_TIMEOUT), CLASS_RETRIABLE);
    ASSERT_EQ_INT(status_class(ST_BIN_NAME), CLASS_RECORD);
    ASSERT_EQ_INT(status_class(ST_CONFIG), CLASS_FATAL);
    ASSERT_EQ_INT(status_class(ST_NEED_MORE), CLASS_AGAIN);
    ASSERT_EQ_STR(status_name((enum status)9999), "UNKNOWN");
}

TEST(err_set_and_prefix)
{
    struct err e = {0};
    ASSERT_EQ_INT(err_set(&e, ST_CONFIG, "key %s", "x"), ST_CONFIG);
    ASSERT_EQ_STR(e.msg, "key x");
    err_prefix(&e, "%s:%d", "f.yml", 3);
    ASSERT_EQ_STR(e.msg, "f.yml:3: key x");
    ASSERT_EQ_INT(e.status, ST_CONFIG);
    ASSERT_EQ_INT(err_set(NULL, ST_IO, "ignored"), ST_IO);
}

TEST(buf_grows_and_encodes_big_endian)
{
    struct buf b = BUF_INIT;
    ASSERT_OK(buf_put_u8(&b, 0x16));
    ASSERT_OK(buf_put_u16be(&b, 0x0102));
    ASSERT_OK(buf_put_u32be(&b, 0x03040506));
    ASSERT_OK(buf_put_u64be(&b, 0x0708090a0b0c0d0eull));
    ASSERT_EQ_INT(b.len, 15);
    ASSERT_EQ_MEM(b.p, HEX("16 0102 03040506 0708090a0b0c0d0e"), 15);
    for (int i = 0; i < 10000; i++)
        ASSERT_OK(buf_put_u8(&b, (uint8_t)i));
    ASSERT_EQ_INT(b.len, 10015);
    ASSERT_EQ_INT(b.p[10014], (uint8_t)9999);
    buf_consume(&b, 15);
    ASSERT_EQ_INT(b.len, 10000);
    ASSERT_EQ_INT(b.p[0], 0);
    buf_reset(&b);
    ASSERT_OK(buf_printf(&b, "%d-%s", 42, "x"));
    ASSERT_EQ_STR(buf_cstr(&b), "42-x");
    buf_free(&b);
    buf_free(&b);
    ASSERT_TRUE(b.p == NULL);
}

TEST(mem_counts_and_fails_on_request)
{
    uint64_t before = mem_alloc_count();
    void *p = mem_malloc(10);
    ASSERT_TRUE(p != NULL);
    ASSERT_EQ_U64(mem_alloc_count() - before, 1);
    mem_free(p);
    mem_fail_after(2);
    p = mem_malloc(1);
    ASSERT_TRUE(p != NULL);
    ASSERT_TRUE(mem_malloc(1) == NULL);
    mem_free(p);
    mem_fail_after(0);
    p = mem_strdup("abc");
    ASSERT_EQ_STR(p, "abc");
    mem_free(p);
}

TEST(mem_grow_doubles_keeps_contents_and_survives_failure)
{
    int64_t *v = NULL;
    size_t cap = 0;

    ASSERT_TRUE(mem_grow(&v, &cap, 1, sizeof(*v), 4));
    ASSERT_EQ_U64(cap, 4);
    for (int i = 0; i < 4; i++)
        v[i] = i * 7;
    ASSERT_TRUE(mem_grow(&v, &cap, 4, sizeof(*v), 4));   /* fits: no change */
    ASSERT_EQ_U64(cap, 4);
    ASSERT_TRUE(mem_grow(&v, &cap, 5, sizeof(*v), 4));
    ASSERT_EQ_U64(cap, 8);
    ASSERT_TRUE(mem_grow(&v, &cap, 100, sizeof(*v), 4));  /* doubling is not enough: @need */
    ASSERT_EQ_U64(cap, 100);
    ASSERT_EQ_INT(v[3], 21);
    mem_fail_after(1);
    int64_t *before = v;
    ASSERT_TRUE(!mem_grow(&v, &cap, 101, sizeof(*v), 4));
    ASSERT_TRUE(v == before);                             /* untouched on failure */
    ASSERT_EQ_U64(cap, 100);
    ASSERT_EQ_INT(v[3], 21);
    mem_fail_after(0);
    ASSERT_TRUE(!mem_grow(&v, &cap, SIZE_MAX / 4, sizeof(*v), 4));   /* bytes would overflow */
    ASSERT_EQ_U64(cap, 100);
    mem_free(v);
}

TEST(integer_parsing_rejects_junk_and_overflow)
{
    int64_t v;
    uint64_t u;
    ASSERT_TRUE(str_to_i64("-9223372036854775808", 20, &v));
    ASSERT_TRUE(v == INT64_MIN);
    ASSERT_TRUE(str_to_i64("9223372036854775807", 19, &v));
    ASSERT_TRUE(v == INT64_MAX);
    ASSERT_FALSE(str_to_i64("9223372036854775808", 19, &v));
    ASSERT_FALSE(str_to_i64("12a", 3, &v));
    ASSERT_FALSE(str_to_i64("", 0, &v));
    ASSERT_FALSE(str_to_i64("-", 1, &v));
    ASSERT_TRUE(str_to_u64("18446744073709551615", 20, &u));
    ASSERT_FALSE(str_to_u64("18446744073709551616", 20, &u));
    double d;
    ASSERT_TRUE(str_to_double("1.5e3", 5, &d));
    ASSERT_EQ_DBL(d, 1500.0);
    ASSERT_FALSE(str_to_double("1.5x", 4, &d));
}

TEST(hex_of_bytes)
{
    static const uint8_t b[] = {0x00, 0x0f, 0xa5, 0xff};
    char out[2 * sizeof(b) + 1];

    str_hex(b, sizeof(b), out);
    ASSERT_EQ_STR(out, "000fa5ff");
    str_hex(b, 0, out);
    ASSERT_EQ_STR(out, "");
}

TEST(edit_distance_for_did_you_mean)
{
    ASSERT_EQ_INT(str_distance("record-exist-action", "record-exists-action", 5), 1);
    ASSERT_EQ_INT(str_distance("abc", "abc", 5), 0);
    ASSERT_CMP_INT(str_distance("namespace", "bins", 2), >, 2);
}

TEST(json_string_escaping)
{
    struct buf b = BUF_INIT;
    ASSERT_OK(json_append_str(&b, "a\"b\\c\n\x01", 7));
    ASSERT_EQ_STR(buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\"");
    buf_free(&b);
}

TEST(base64_round_trip_and_rejects)
{
    char enc[16];
    uint8_t dec[16];
    base64_encode((const uint8_t *)"ab", 2, enc);
    ASSERT_EQ_MEM(enc, "YWI=", 4);
    base64_encode((const uint8_t *)"abc", 3, enc);
    ASSERT_EQ_MEM(enc, "YWJj", 4);
    ASSERT_EQ_INT(base64_decode("YWI=", 4, dec, sizeof(dec)), 2);
    ASSERT_EQ_MEM(dec, "ab", 2);
    ASSERT_EQ_INT(base64_decode("YW=I", 4, dec, sizeof(dec)), -1);
    ASSERT_EQ_INT(base64_decode("YWJ", 3, dec, sizeof(dec)), -1);
    ASSERT_EQ_INT(base64_decode("Y$Jj", 4, dec, sizeof(dec)), -1);
    /* 512 bytes of 0xff: the all-ones replicas bitmap from the wire doc */
    uint8_t ones[512];
    char big[700];
    memset(ones, 0xff, sizeof(ones));
    base64_encode(ones, 512, big);
    ASSERT_EQ_INT(base64_encoded_len(512), 684);
    ASSERT_EQ_MEM(big + 680, "//8=", 4);
}

static void collect_name(void *arg, const char *name)
{
    struct buf *b = arg;
    buf_printf(b, "%s%s", b->len ? "," : "", name);
}

static void collect_all(void *arg, const char *name, const char *level, int64_t last_modified)
{
    struct buf *b = arg;
    buf_printf(b, "%s%s=%s@%lld", b->len ? "," : "", name, level, (long long)last_modified);
}

TEST(log_levels_follow_connect_names_and_hierarchy)
{
    struct log_levels *ll = log_levels_new(LOG_INFO);
    struct buf b = BUF_INIT;
    struct err e = {0};
    char level[8];
    int64_t mod;

    ASSERT_TRUE(ll != NULL);
    const atomic_int *worker = log_levels_cell(ll, "aerosink.worker");
    const atomic_int *aero = log_levels_cell(ll, "aerosink.aerospike");
    const atomic_int *other = log_levels_cell(ll, "aerosinkx");
    ASSERT_TRUE(worker && aero && other);
    ASSERT_TRUE(log_levels_cell(ll, "aerosink.worker") == worker);   /* the same cell again */
    struct log_ctx lc = {LOG_ERROR, "t", 2, worker};                  /* live wins over level */
    ASSERT_TRUE(log_enabled(&lc, LOG_INFO));
    ASSERT_FALSE(log_enabled(&lc, LOG_DEBUG));

    /* a parent sets itself and its children, not a name that only starts the same */
    ASSERT_EQ_INT(log_levels_set(ll, "aerosink", "debug", 1000, collect_name, &b, &e), ST_OK);
    ASSERT_EQ_STR(buf_cstr(&b), "aerosink,aerosink.aerospike,aerosink.worker");
    ASSERT_TRUE(log_enabled(&lc, LOG_DEBUG));
    ASSERT_EQ_INT(atomic_load(other), LOG_INFO);
    ASSERT_TRUE(log_levels_get(ll, "aerosink.aerospike", level, &mod));
    ASSERT_EQ_STR(level, "DEBUG");
    ASSERT_EQ_INT(mod, 1000);
    ASSERT_TRUE(log_levels_get(ll, "aerosinkx", level, &mod));
    ASSERT_EQ_STR(level, "INFO");
    ASSERT_EQ_INT(mod, -1);
    ASSERT_FALSE(log_levels_get(ll, "nope", level, &mod));

    /* OFF silences even errors; FATAL logs errors and is reported as given */
    buf_reset(&b);
    ASSERT_EQ_INT(log_levels_set(ll, "aerosink.worker", "OFF", 2000, collect_name, &b, &e), ST_OK);
    ASSERT_EQ_STR(buf_cstr(&b), "aerosink.worker");
    ASSERT_FALSE(log_enabled(&lc, LOG_ERROR));
    ASSERT_EQ_INT(log_levels_set(ll, "aerosink.worker", "Fatal", 2001, NULL, NULL, &e), ST_OK);
    ASSERT_TRUE(log_enabled(&lc, LOG_ERROR));
    ASSERT_FALSE(log_enabled(&lc, LOG_WARN));
    ASSERT_TRUE(log_levels_get(ll, "aerosink.worker", level, &mod));
    ASSERT_EQ_STR(level, "FATAL");

    /* root sets every logger; a new one starts at root's level */
    buf_reset(&b);
    ASSERT_EQ_INT(log_levels_set(ll, "root", "WARN", 3000, collect_name, &b, &e), ST_OK);
    ASSERT_EQ_STR(buf_cstr(&b), "aerosink,aerosink.aerospike,aerosink.worker,aerosinkx,root");
    ASSERT_EQ_INT(atomic_load(log_levels_cell(ll, "later")), LOG_WARN);
    buf_reset(&b);
    log_levels_each(ll, collect_all, &b);
    ASSERT_EQ_STR(buf_cstr(&b), "aerosink=WARN@3000,aerosink.aerospike=WARN@3000,aerosink.worker=WARN@3000,"
                                "aerosinkx=WARN@3000,later=WARN@-1,root=WARN@3000");

    /* refusals: unknown level, too many loggers, too long a name */
    ASSERT_EQ_INT(log_levels_set(ll, "root", "LOUD", 1, NULL, NULL, &e), ST_USAGE);
    ASSERT_CONTAINS(e.msg, "LOUD");
    char longname[80];
    memset(longname, 'a', 70);
    longname[70] = 0;
    ASSERT_TRUE(log_levels_cell(ll, longname) == NULL);
    for (int i = 0; i < 80; i++) {
        char name[32];
        snprintf(name, sizeof(name), "n%02d", i);
        if (!log_levels_cell(ll, name)) {
            ASSERT_EQ_INT(i, 64 - 6);   /* 6 loggers existed */
            break;
        }
    }
    ASSERT_EQ_INT(log_levels_set(ll, "one.more", "INFO", 1, NULL, NULL, &e), ST_UNAVAILABLE);
    ASSERT_CONTAINS(e.msg, "one.more");
    ASSERT_TRUE(log_levels_cell(ll, "aerosink.worker") == worker);   /* existing ones still found */
    buf_free(&b);
    log_levels_free(ll);
    log_levels_free(NULL);
}

TEST_LIST = {
    T(status_table_names_and_classes),
    T(err_set_and_prefix),
    T(buf_grows_and_encodes_big_endian),
    T(mem_counts_and_fails_on_request),
    T(mem_grow_doubles_keeps_contents_and_survives_failure),
    T(integer_parsing_rejects_junk_and_overflow),
    T(edit_distance_for_did_you_mean),
    T(hex_of_bytes),
    T(json_string_escaping),
    T(base64_round_trip_and_rejects),
    T(log_levels_follow_connect_names_and_hierarchy),
    {0},
};
