/* Unit tests for the JSON parser (src/convert/json.c) and the document (doc.c). */
#include "../../tests/harness.h"
#include "convert/convert_int.h"

static struct conv_doc *D;
static struct err E;

/* Parse @s (strlen) into the shared doc; returns the status. */
static enum status parse(const char *s)
{
    if (!D)
        D = conv_doc_new();
    err_clear(&E);
    return conv_json_parse(D, (const uint8_t *)s, strlen(s), &E);
}

static const char *dump(void)
{
    static struct buf b;
    buf_reset(&b);
    conv_value_dump(D, conv_doc_root(D), &b);
    return buf_cstr(&b);
}

#define ASSERT_JSON(in, want)                    \
    do {                                         \
        ASSERT_OK_E(parse(in), &E);              \
        ASSERT_EQ_STR(dump(), want);             \
    } while (0)

#define ASSERT_JSON_ERR(in, st, text)            \
    do {                                         \
        ASSERT_ST(parse(in), st);                \
        ASSERT_EQ_STR(E.msg, text);              \
    } while (0)

TEST(scalars)
{
    ASSERT_JSON("null", "null");
    ASSERT_JSON("true", "true");
    ASSERT_JSON(" false ", "false");
    ASSERT_JSON("0", "0");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_INT);
    ASSERT_JSON("-17", "-17");
    ASSERT_JSON("\"x\"", "\"x\"");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_STRING);
    ASSERT_JSON("2.5", "2.5");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_JSON("\t\r\n [ ] \n", "[]");
    ASSERT_JSON("{}", "{}");
    ASSERT_EQ_INT(conv_doc_count(D), 1);
}

/* Strings are scanned 8 bytes at a time: a special byte (escape, control character,
 * non-ASCII, the closing quote) must be found at every offset within and across words. */
TEST(string_scan_finds_specials_at_every_offset)
{
    char in[128], want[128];
    static const struct {
        const char *bytes, *decoded;    /* decoded NULL: the parse must fail */
    } kinds[] = {
        {"\\\"", "\""},             /* escaped quote */
        {"\\n", "\n"},              /* escaped newline */
        {"\xc3\xa9", "\xc3\xa9"},   /* two-byte UTF-8 */
        {"\x7f", "\x7f"},           /* DEL is plain */
        {"\x01", NULL},             /* raw control character */
        {"\xff", NULL},             /* not UTF-8 */
    };

    for (int len = 0; len <= 40; len++) {
        for (int at = 0; at <= len; at++) {
            for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
                const struct conv_value *v;
                int n = snprintf(in, sizeof(in), "\"%.*s%s%.*s\"", at, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                 kinds[k].bytes, len - at, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
                enum status st = parse(in);
                if (!kinds[k].decoded) {
                    if (st != ST_PARSE)
                        TEST_FAIL("%d+%d, kind %zu: status %d, want a parse error", at, len - at, k, (int)st);
                    continue;
                }
                if (st != ST_OK)
                    TEST_FAIL("%d+%d, kind %zu: %s", at, len - at, k, E.msg);
                snprintf(want, sizeof(want), "%.*s%s%.*s", at, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                         kinds[k].decoded, len - at, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
                v = conv_doc_root(D);
                ASSERT_EQ_INT(v->type, CONV_STRING);
                if (v->s.n != strlen(want) || memcmp(v->s.p, want, v->s.n) != 0)
                    TEST_FAIL("%d+%d, kind %zu: decoded %.*s from %.*s", at, len - at, k, (int)v->s.n, v->s.p, n, in);
            }
        }
        /* the plain string alone: the closing quote at every offset */
        snprintf(in, sizeof(in), "\"%.*s\"", len, "cccccccccccccccccccccccccccccccccccccccc");
        ASSERT_OK_E(parse(in), &E);
        ASSERT_EQ_INT(conv_doc_root(D)->s.n, len);
    }
}

TEST(empty_input_is_null)
{
    ASSERT_JSON("", "null");
    ASSERT_JSON("  \n ", "null");
    ASSERT_OK(conv_json_parse(D, NULL, 0, &E));
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_NULL);
}

TEST(integers_at_int64_edges)
{
    ASSERT_JSON("9223372036854775807", "9223372036854775807");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_INT);
    ASSERT_TRUE(conv_doc_root(D)->i == INT64_MAX);
    ASSERT_JSON("-9223372036854775808", "-9223372036854775808");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_INT);
    ASSERT_TRUE(conv_doc_root(D)->i == INT64_MIN);
    /* one past either edge: a double (Connect would wrap modulo 2^64; see docs/formats.md) */
    ASSERT_OK(parse("9223372036854775808"));
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_EQ_DBL(conv_doc_root(D)->d, 9223372036854775808.0);
    ASSERT_OK(parse("-9223372036854775809"));
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_EQ_DBL(conv_doc_root(D)->d, -9223372036854775808.0);
    ASSERT_OK(parse("18446744073709551616123"));
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_EQ_DBL(conv_doc_root(D)->d, 1.8446744073709551616123e22);
    ASSERT_JSON("-0", "0");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_INT);
}

TEST(doubles)
{
    ASSERT_OK(parse("1.0"));
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_EQ_DBL(conv_doc_root(D)->d, 1.0);
    ASSERT_OK(parse("1e2"));
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_TRUE(conv_doc_root(D)->d == 100.0);
    ASSERT_OK(parse("0.1"));
    ASSERT_TRUE(conv_doc_root(D)->d == 0.1);
    ASSERT_OK(parse("-1.5E-3"));
    ASSERT_TRUE(conv_doc_root(D)->d == -0.0015);
    ASSERT_OK(parse("2.2250738585072011e-308"));       /* slow path, subnormal edge */
    ASSERT_TRUE(conv_doc_root(D)->d == 2.2250738585072011e-308);
    ASSERT_OK(parse("4.9406564584124654e-324"));
    ASSERT_TRUE(conv_doc_root(D)->d == 4.9406564584124654e-324);
    ASSERT_OK(parse("0.30000000000000004441"));          /* > 19 digits: strtod */
    ASSERT_TRUE(conv_doc_root(D)->d == 0.30000000000000004);
    ASSERT_OK(parse("123456789012345678901234567890e-10"));
    ASSERT_TRUE(conv_doc_root(D)->d == 12345678901234567890.1234567890);
    ASSERT_OK(parse("1e400"));                         /* BigDecimal.doubleValue(): Infinity */
    ASSERT_TRUE(isinf(conv_doc_root(D)->d) && conv_doc_root(D)->d > 0);
    ASSERT_OK(parse("-0.0"));                          /* BigDecimal has no negative zero */
    ASSERT_TRUE(conv_doc_root(D)->d == 0.0 && !signbit(conv_doc_root(D)->d));
    ASSERT_OK(parse("1e-400"));
    ASSERT_TRUE(conv_doc_root(D)->d == 0.0);
}

TEST(strings_and_escapes)
{
    const char *in = "\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\tA\\u0041e\\u00e9E\\u20ac\"";
    const struct conv_value *v;

    ASSERT_OK_E(parse(in), &E);
    v = conv_doc_root(D);
    ASSERT_EQ_INT(v->type, CONV_STRING);
    ASSERT_EQ_INT(v->s.n, strlen("q\"b\\s/b\bf\fn\nr\rt\tAAe\xc3\xa9" "E\xe2\x82\xac"));
    ASSERT_EQ_MEM(v->s.p, "q\"b\\s/b\bf\fn\nr\rt\tAAe\xc3\xa9" "E\xe2\x82\xac", v->s.n);
    /* escaped text lives in the document, not in the input */
    ASSERT_TRUE(v->s.p < in || v->s.p >= in + strlen(in));

    ASSERT_OK(parse("\"\\u0000\""));
    ASSERT_EQ_INT(conv_doc_root(D)->s.n, 1);
    ASSERT_EQ_INT(conv_doc_root(D)->s.p[0], 0);
    ASSERT_OK(parse("\"\\u007f\\u0080\\u07FF\\u0800\\uFFFF\""));
    ASSERT_EQ_MEM(conv_doc_root(D)->s.p, "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11);
}

TEST(plain_strings_point_into_input)
{
    const char *in = "{\"k\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"}";
    const struct conv_value *v;

    ASSERT_OK_E(parse(in), &E);
    v = conv_map_get(D, conv_doc_root(D), "k", 1);
    ASSERT_TRUE(v != NULL);
    ASSERT_TRUE(v->s.p == in + 6);
    ASSERT_EQ_INT(v->s.n, 15);
    ASSERT_TRUE(conv_doc_node(D, 1)->s.p == in + 2);   /* the key too */
}

TEST(surrogate_pairs)
{
    ASSERT_OK_E(parse("\"\\ud83d\\ude00x\""), &E);
    ASSERT_EQ_INT(conv_doc_root(D)->s.n, 5);
    ASSERT_EQ_MEM(conv_doc_root(D)->s.p, "\xf0\x9f\x98\x80x", 5);
    ASSERT_OK(parse("\"\\uDBFF\\uDFFF\""));
    ASSERT_EQ_MEM(conv_doc_root(D)->s.p, "\xf4\x8f\xbf\xbf", 4);
    ASSERT_JSON_ERR("\"ab\\ud83d\"", ST_PARSE, "JSON: line 1 col 4: unpaired surrogate \\uD83D");
    ASSERT_JSON_ERR("\"\\ud83dx\\ude00\"", ST_PARSE, "JSON: line 1 col 2: unpaired surrogate \\uD83D");
    ASSERT_JSON_ERR("\"\\ude00\"", ST_PARSE, "JSON: line 1 col 2: unpaired surrogate \\uDE00");
    ASSERT_JSON_ERR("\"\\ud83d\\u0041\"", ST_PARSE, "JSON: line 1 col 2: unpaired surrogate \\uD83D");
    ASSERT_JSON_ERR("\"\\u12g4\"", ST_PARSE,
                    "JSON: line 1 col 2: invalid \\u escape (expected 4 hex digits)");
    ASSERT_JSON_ERR("\"\\u12\"", ST_PARSE,
                    "JSON: line 1 col 2: invalid \\u escape (expected 4 hex digits)");
    ASSERT_JSON_ERR("\"\\x\"", ST_PARSE, "JSON: line 1 col 2: invalid escape '\\x'");
}

TEST(invalid_utf8_refused)
{
    ASSERT_JSON_ERR("\"a\xc0\x80\"", ST_PARSE, "JSON: line 1 col 3: invalid UTF-8 in string (byte 0xc0)");
    ASSERT_JSON_ERR("\"\xed\xa0\x80\"", ST_PARSE, "JSON: line 1 col 2: invalid UTF-8 in string (byte 0xed)");
    ASSERT_JSON_ERR("\"\xf5\x80\x80\x80\"", ST_PARSE, "JSON: line 1 col 2: invalid UTF-8 in string (byte 0xf5)");
    ASSERT_JSON_ERR("\"\xe2\x82\"", ST_PARSE, "JSON: line 1 col 2: invalid UTF-8 in string (byte 0xe2)");
    ASSERT_JSON_ERR("\"\xff\"", ST_PARSE, "JSON: line 1 col 2: invalid UTF-8 in string (byte 0xff)");
    ASSERT_JSON_ERR("\"\xf4\x90\x80\x80\"", ST_PARSE, "JSON: line 1 col 2: invalid UTF-8 in string (byte 0xf4)");
    ASSERT_JSON_ERR("\"\x80\"", ST_PARSE, "JSON: line 1 col 2: invalid UTF-8 in string (byte 0x80)");
    ASSERT_JSON_ERR("\"a\tb\"", ST_PARSE,
                    "JSON: line 1 col 3: control character 0x09 in string (must be escaped)");
    ASSERT_JSON_ERR("[1, \xc3\xa9]", ST_PARSE, "JSON: line 1 col 5: expected a value, got byte 0xc3");
}

TEST(nested_layout)
{
    const struct conv_value *r, *a, *c, *b;

    ASSERT_JSON("{\"a\":[1,{\"b\":null}],\"c\":{}}", "{\"a\":[1,{\"b\":null}],\"c\":{}}");
    r = conv_doc_root(D);
    ASSERT_EQ_INT(r->type, CONV_MAP);
    ASSERT_EQ_INT(r->count, 2);
    ASSERT_EQ_INT(r->next, conv_doc_count(D));
    ASSERT_EQ_INT(conv_doc_count(D), 9);   /* map a list 1 map b null c map */
    a = conv_map_get(D, r, "a", 1);
    ASSERT_EQ_INT(conv_doc_index(D, a), 2);
    ASSERT_EQ_INT(a->type, CONV_LIST);
    ASSERT_EQ_INT(a->count, 2);
    ASSERT_EQ_INT(a->next, 7);
    ASSERT_EQ_INT(conv_first(D, a)->i, 1);
    b = conv_next(D, conv_first(D, a), a);
    ASSERT_EQ_INT(b->type, CONV_MAP);
    ASSERT_TRUE(conv_next(D, b, a) == NULL);
    ASSERT_EQ_INT(conv_map_get(D, b, "b", 1)->type, CONV_NULL);
    c = conv_map_get(D, r, "c", 1);
    ASSERT_EQ_INT(c->type, CONV_MAP);
    ASSERT_EQ_INT(c->count, 0);
    ASSERT_TRUE(conv_first(D, c) == NULL);
    ASSERT_TRUE(conv_map_get(D, r, "x", 1) == NULL);
    ASSERT_TRUE(conv_map_get(D, a, "a", 1) == NULL);   /* not a map */
    ASSERT_TRUE(conv_doc_node(D, 9) == NULL);
}

TEST(duplicate_keys_keep_the_last)
{
    const struct conv_value *r;

    ASSERT_JSON("{\"a\":1,\"b\":2,\"a\":3}", "{\"b\":2,\"a\":3}");
    r = conv_doc_root(D);
    ASSERT_EQ_INT(r->count, 2);
    ASSERT_EQ_INT(conv_map_get(D, r, "a", 1)->i, 3);
    /* an earlier container value is dropped with its whole subtree; indices stay consistent */
    ASSERT_JSON("{\"x\":{\"y\":[1,2]},\"z\":[true],\"x\":[3],\"w\":{\"x\":1,\"x\":{}}}",
                "{\"z\":[true],\"x\":[3],\"w\":{\"x\":{}}}");
    r = conv_doc_root(D);
    ASSERT_EQ_INT(r->count, 3);
    ASSERT_EQ_INT(r->next, conv_doc_count(D));
    ASSERT_EQ_INT(conv_map_get(D, r, "z", 1)->next, 4);
    ASSERT_EQ_INT(conv_map_get(D, r, "w", 1)->count, 1);
    /* keys compare after unescaping */
    ASSERT_JSON("{\"\\u0061\":1,\"a\":2}", "{\"a\":2}");
}

TEST(duplicate_keys_many_use_hash_path)
{
    struct buf in = BUF_INIT, want = BUF_INIT;
    const struct conv_value *r;

    buf_append_str(&in, "{");
    for (int i = 0; i < 300; i++)
        buf_printf(&in, "%s\"k%d\":%d", i ? "," : "", i % 100, i);
    buf_append_str(&in, "}");
    buf_append_str(&want, "{");
    for (int i = 200; i < 300; i++)
        buf_printf(&want, "%s\"k%d\":%d", i > 200 ? "," : "", i % 100, i);
    buf_append_str(&want, "}");
    ASSERT_JSON(buf_cstr(&in), buf_cstr(&want));
    r = conv_doc_root(D);
    ASSERT_EQ_INT(r->count, 100);
    ASSERT_EQ_INT(conv_map_get(D, r, "k42", 3)->i, 242);
    buf_free(&in);
    buf_free(&want);
}

/* Every key twice, the second time in reverse order: removing the first copies must cost
 * work linear in the keys (the earlier pairs to drop are found in descending order). */
TEST(duplicate_keys_reversed_stay_linear)
{
    struct buf in = BUF_INIT;
    uint64_t work[2];
    uint32_t m[2] = {2000, 8000};

    for (int t = 0; t < 2; t++) {
        buf_reset(&in);
        buf_append_str(&in, "{");
        for (uint32_t i = 0; i < m[t]; i++)
            buf_printf(&in, "%s\"k%u\":0", i ? "," : "", i);
        for (uint32_t i = m[t]; i-- > 0;)
            buf_printf(&in, ",\"k%u\":%u", i, i + 1);
        buf_append_str(&in, "}");
        ASSERT_OK_E(parse(buf_cstr(&in)), &E);
        ASSERT_EQ_INT(conv_doc_root(D)->count, m[t]);
        ASSERT_EQ_INT(conv_map_get(D, conv_doc_root(D), "k0", 2)->i, 1);
        ASSERT_EQ_INT(conv_doc_node(D, 2)->i, (int64_t)m[t]);   /* the reversed order is kept */
        work[t] = D->dedupe_work;
        fprintf(stderr, "  %u keys twice: dedupe work %" PRIu64 "\n", m[t], work[t]);
        ASSERT_TRUE(work[t] <= 16 * (uint64_t)m[t]);
    }
    buf_free(&in);
}

/* Keys chosen so that the unkeyed subtree hash puts them all in one slot of the duplicate-key
 * table (as a sender who knows the hash could): the table's keyed hash spreads them. */
static uint64_t mix_like_doc(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

TEST(duplicate_keys_colliding_hashes_stay_linear)
{
    struct buf in = BUF_INIT;
    uint32_t m = 2048, found = 0;
    char k[32];

    buf_append_str(&in, "{");
    for (uint64_t c = 0; found < m; c++) {
        int n = snprintf(k, sizeof(k), "k%" PRIx64, c);
        uint64_t h = 1469598103934665603ull;   /* FNV-1a, as doc.c's hash_bytes */
        for (int i = 0; i < n; i++)
            h = (h ^ (uint8_t)k[i]) * 1099511628211ull;
        if (((uint32_t)mix_like_doc(mix_like_doc(0, CONV_STRING), h) & 4095) == 0)
            buf_printf(&in, "%s\"%s\":0", found++ ? "," : "", k);
    }
    buf_append_str(&in, "}");
    ASSERT_OK_E(parse(buf_cstr(&in)), &E);
    ASSERT_EQ_INT(conv_doc_root(D)->count, m);
    fprintf(stderr, "  %u colliding keys: dedupe work %" PRIu64 "\n", m, D->dedupe_work);
    ASSERT_TRUE(D->dedupe_work <= 16 * (uint64_t)m);
    buf_free(&in);
}

TEST(nesting_limit)
{
    char deep[200];

    for (int i = 0; i < 64; i++)
        deep[i] = '[';
    for (int i = 0; i < 64; i++)
        deep[64 + i] = ']';
    deep[128] = '\0';
    ASSERT_OK_E(parse(deep), &E);
    ASSERT_EQ_INT(conv_doc_count(D), 64);
    memmove(deep + 1, deep, 129);
    deep[0] = '[';
    deep[129] = ']';
    deep[130] = '\0';
    ASSERT_JSON_ERR(deep, ST_TOO_BIG, "JSON: line 1 col 65: nesting deeper than 64");
    struct conv_limits lim = *conv_doc_limits(D);
    lim.max_depth = 2;
    conv_doc_set_limits(D, &lim);
    ASSERT_OK(parse("{\"a\":[1]}"));
    ASSERT_JSON_ERR("{\"a\":[{}]}", ST_TOO_BIG, "JSON: line 1 col 7: nesting deeper than 2");
}

TEST(node_and_input_limits)
{
    struct conv_limits lim = {64, 10, 30};

    parse("0");
    conv_doc_set_limits(D, &lim);
    ASSERT_OK(parse("[1,2,3,4,5,6,7,8,9]"));
    ASSERT_EQ_INT(conv_doc_count(D), 10);
    ASSERT_JSON_ERR("[1,2,3,4,5,6,7,8,9,0]", ST_TOO_BIG, "JSON: more than 10 values in one record");
    ASSERT_JSON_ERR("\"0123456789012345678901234567890\"", ST_TOO_BIG,
                    "JSON: record of 33 bytes is over the limit of 30");
}

TEST(malformed_inputs_exact_messages)
{
    ASSERT_JSON_ERR("{\"a\":1 \"b\":2}", ST_PARSE, "JSON: line 1 col 8: expected ',' or '}', got '\"'");
    ASSERT_JSON_ERR("[1,2", ST_PARSE, "JSON: line 1 col 5: expected ',' or ']', got end of input");
    ASSERT_JSON_ERR("{\"a\" 1}", ST_PARSE, "JSON: line 1 col 6: expected ':', got '1'");
    ASSERT_JSON_ERR("{\"a\":1,}", ST_PARSE, "JSON: line 1 col 8: expected a string key, got '}'");
    ASSERT_JSON_ERR("{1:2}", ST_PARSE, "JSON: line 1 col 2: expected a string key, got '1'");
    ASSERT_JSON_ERR("[1,]", ST_PARSE, "JSON: line 1 col 4: expected a value, got ']'");
    ASSERT_JSON_ERR("[", ST_PARSE, "JSON: line 1 col 2: unexpected end of input, expected a value");
    ASSERT_JSON_ERR("{", ST_PARSE, "JSON: line 1 col 2: expected a string key, got end of input");
    ASSERT_JSON_ERR("01", ST_PARSE, "JSON: line 1 col 1: leading zeros are not allowed in numbers");
    ASSERT_JSON_ERR("-01", ST_PARSE, "JSON: line 1 col 1: leading zeros are not allowed in numbers");
    ASSERT_JSON_ERR("1.", ST_PARSE,
                    "JSON: line 1 col 3: invalid number: expected a digit after '.', got end of input");
    ASSERT_JSON_ERR(".5", ST_PARSE, "JSON: line 1 col 1: expected a value, got '.'");
    ASSERT_JSON_ERR("1e+", ST_PARSE,
                    "JSON: line 1 col 4: invalid number: expected a digit in the exponent, got end of input");
    ASSERT_JSON_ERR("-", ST_PARSE, "JSON: line 1 col 2: invalid number: expected a digit, got end of input");
    ASSERT_JSON_ERR("-x", ST_PARSE, "JSON: line 1 col 2: invalid number: expected a digit, got 'x'");
    ASSERT_JSON_ERR("+1", ST_PARSE, "JSON: line 1 col 1: expected a value, got '+'");
    ASSERT_JSON_ERR("tru", ST_PARSE, "JSON: line 1 col 4: invalid literal (expected 'true')");
    ASSERT_JSON_ERR("[nul1]", ST_PARSE, "JSON: line 1 col 5: invalid literal (expected 'null')");
    ASSERT_JSON_ERR("falsey", ST_PARSE, "JSON: line 1 col 6: unexpected 'y' after the value");
    ASSERT_JSON_ERR("NaN", ST_PARSE, "JSON: line 1 col 1: expected a value, got 'N'");
    ASSERT_JSON_ERR("{\"a\":1} x", ST_PARSE, "JSON: line 1 col 9: unexpected 'x' after the value");
    ASSERT_JSON_ERR("{\"a\":1}{}", ST_PARSE, "JSON: line 1 col 8: unexpected '{' after the value");
    ASSERT_JSON_ERR("\"abc", ST_PARSE, "JSON: line 1 col 1: unterminated string");
    ASSERT_JSON_ERR("\"abc\\", ST_PARSE, "JSON: line 1 col 1: unterminated string");
    ASSERT_JSON_ERR("'a'", ST_PARSE, "JSON: line 1 col 1: expected a value, got byte 0x27");
    ASSERT_JSON_ERR("[1\x00]", ST_PARSE, "JSON: line 1 col 3: expected ',' or ']', got end of input");
    ASSERT_JSON_ERR("{\n  \"a\": tru\n}", ST_PARSE, "JSON: line 2 col 11: invalid literal (expected 'true')");
    ASSERT_JSON_ERR("{\"\xc3\xa9\xc3\xa9\":1,\"x\" 2}", ST_PARSE,
                    "JSON: line 1 col 13: expected ':', got '2'");
    ASSERT_ST(conv_json_parse(D, (const uint8_t *)"[1\x00]", 4, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "JSON: line 1 col 3: expected ',' or ']', got byte 0x00");
}

TEST(long_numbers)
{
    char num[1100];

    memset(num, '1', sizeof(num));
    num[1000] = '\0';
    ASSERT_OK(parse(num));
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_TRUE(isinf(conv_doc_root(D)->d));
    num[1000] = '1';
    num[1001] = '\0';
    ASSERT_JSON_ERR(num, ST_PARSE, "JSON: line 1 col 1: number longer than 1000 characters");
    memcpy(num, "0.", 2);
    memset(num + 2, '0', 900);
    memcpy(num + 902, "25", 3);
    ASSERT_OK(parse(num));
    ASSERT_TRUE(conv_doc_root(D)->d == 0.0);
}

static const char *record_200 =
    "{\"id\":12345,\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\",\"active\":true,"
    "\"score\":98.5,\"tags\":[\"math\",\"poetry\"],\"address\":{\"city\":\"London\",\"zip\":\"W1\"},"
    "\"note\":\"line\\nbreak \\u00e9\",\"n\":null,\"ts\":1700000000000}";

TEST(zero_allocations_after_warmup)
{
    const uint8_t *rec = (const uint8_t *)record_200;
    size_t n = strlen(record_200);
    struct conv_doc *d = conv_doc_new();
    uint64_t before;

    for (int i = 0; i < 100; i++)
        ASSERT_OK(conv_json_parse(d, rec, n, &E));
    before = mem_alloc_count();
    for (int i = 0; i < 10000; i++)
        ASSERT_OK(conv_json_parse(d, rec, n, &E));
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "ts", 2)->i, 1700000000000);
    conv_doc_free(d);
}

TEST(zero_allocations_big_then_small_records)
{
    struct buf big = BUF_INIT;
    struct conv_doc *d = conv_doc_new();
    uint64_t before;

    /* many escaped strings: the arena spills over several chunks once, then coalesces */
    buf_append_str(&big, "[");
    for (int i = 0; i < 2000; i++)
        buf_printf(&big, "%s\"esc\\t%d\\u00e9\"", i ? "," : "", i);
    buf_append_str(&big, "]");
    ASSERT_OK(conv_json_parse(d, big.p, big.len, &E));
    ASSERT_OK(conv_json_parse(d, big.p, big.len, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->count, 2000);
    ASSERT_OK(conv_json_parse(d, (const uint8_t *)record_200, strlen(record_200), &E));
    before = mem_alloc_count();
    for (int i = 0; i < 50; i++) {
        ASSERT_OK(conv_json_parse(d, big.p, big.len, &E));
        ASSERT_OK(conv_json_parse(d, (const uint8_t *)record_200, strlen(record_200), &E));
    }
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    ASSERT_OK(conv_json_parse(d, big.p, big.len, &E));
    ASSERT_EQ_INT(conv_doc_node(d, 2000)->s.n, 10);
    ASSERT_EQ_MEM(conv_doc_node(d, 2000)->s.p, "esc\t1999\xc3\xa9", 10);
    conv_doc_free(d);
    buf_free(&big);
}

TEST(out_of_memory_is_reported)
{
    struct conv_doc *d = conv_doc_new();
    struct buf big = BUF_INIT;
    int nomem = 0;

    buf_append_str(&big, "[");
    for (int i = 0; i < 500; i++)
        buf_printf(&big, "%s{\"a\\n\":[%d]}", i ? "," : "", i);
    buf_append_str(&big, "]");
    for (uint64_t k = 1; k < 12; k++) {
        conv_doc_free(d);
        d = conv_doc_new();
        mem_fail_after(k);
        enum status st = conv_json_parse(d, big.p, big.len, &E);
        mem_fail_after(0);
        if (st == ST_NOMEM)
            nomem++;
        else
            ASSERT_OK_E(st, &E);
    }
    ASSERT_CMP_INT(nomem, >, 0);
    conv_doc_free(d);
    buf_free(&big);
}

TEST(value_equal_and_dump)
{
    struct conv_doc *a = conv_doc_new(), *b = conv_doc_new();

    ASSERT_OK(conv_json_parse(a, (const uint8_t *)"{\"x\":[1,2.5,\"s\"]}", 17, &E));
    const char *spaced = " { \"x\" : [ 1 , 25e-1 , \"s\" ] } ";
    ASSERT_OK(conv_json_parse(b, (const uint8_t *)spaced, strlen(spaced), &E));
    ASSERT_TRUE(conv_value_equal(a, conv_doc_root(a), b, conv_doc_root(b)));
    ASSERT_OK(conv_json_parse(b, (const uint8_t *)"{\"x\":[1,2.5,\"t\"]}", 17, &E));
    ASSERT_FALSE(conv_value_equal(a, conv_doc_root(a), b, conv_doc_root(b)));
    ASSERT_OK(conv_json_parse(b, (const uint8_t *)"{\"x\":[1,2.5]}", 13, &E));
    ASSERT_FALSE(conv_value_equal(a, conv_doc_root(a), b, conv_doc_root(b)));
    conv_doc_free(a);
    conv_doc_free(b);
}

TEST(json_converter_schemaless)
{
    const char *props[] = {"schemas.enable", "false", NULL};
    struct conv_converter *c = conv_converter_new("org.apache.kafka.connect.json.JsonConverter", props, &E);
    struct conv_doc *d = conv_doc_new();

    ASSERT_TRUE(c != NULL);
    ASSERT_EQ_STR(conv_converter_class(c), "org.apache.kafka.connect.json.JsonConverter");
    ASSERT_OK(conv_decode(c, (const uint8_t *)"{\"a\":1}", 7, d, &E));
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "a", 1)->i, 1);
    ASSERT_OK(conv_decode(c, NULL, 0, d, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_NULL);
    ASSERT_EQ_INT(conv_doc_count(d), 1);
    ASSERT_ST(conv_decode(c, (const uint8_t *)"{\"a\":}", 6, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "JSON: line 1 col 6: expected a value, got '}'");
    ASSERT_EQ_INT(status_class(E.status), CLASS_RECORD);
    conv_converter_free(c);
    conv_doc_free(d);
    conv_converter_free(NULL);
    conv_doc_free(NULL);
}

TEST(converter_class_errors)
{
    const char *bad[] = {"schemas.enable", "yes", NULL};

    ASSERT_TRUE(conv_converter_new("com.example.NopeConverter", NULL, &E) == NULL);
    ASSERT_EQ_INT(E.status, ST_CONFIG);
    ASSERT_CONTAINS(E.msg, "converter class 'com.example.NopeConverter' is not supported; supported: "
                           "org.apache.kafka.connect.json.JsonConverter, ");
    ASSERT_CONTAINS(E.msg, "org.apache.kafka.connect.converters.{ByteArray,Short,Integer,Long,"
                           "Float,Double,Boolean}Converter, io.confluent.connect.avro.AvroConverter");
    ASSERT_TRUE(conv_converter_new("JsonConverter", bad, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "JsonConverter: schemas.enable must be true or false, not 'yes'");
    ASSERT_EQ_INT(E.status, ST_CONFIG);
}

TEST_LIST = {
    T(scalars),
    T(string_scan_finds_specials_at_every_offset),
    T(empty_input_is_null),
    T(integers_at_int64_edges),
    T(doubles),
    T(strings_and_escapes),
    T(plain_strings_point_into_input),
    T(surrogate_pairs),
    T(invalid_utf8_refused),
    T(nested_layout),
    T(duplicate_keys_keep_the_last),
    T(duplicate_keys_many_use_hash_path),
    T(duplicate_keys_reversed_stay_linear),
    T(duplicate_keys_colliding_hashes_stay_linear),
    T(nesting_limit),
    T(node_and_input_limits),
    T(malformed_inputs_exact_messages),
    T(long_numbers),
    T(zero_allocations_after_warmup),
    T(zero_allocations_big_then_small_records),
    T(out_of_memory_is_reported),
    T(value_equal_and_dump),
    T(json_converter_schemaless),
    T(converter_class_errors),
    {0},
};
