/* Unit tests for the Connect JSON envelope (src/convert/connect.c) and decimals (decimal.c). */
#include "../../tests/harness.h"
#include "convert/convert_int.h"

static struct err E;
static struct conv_converter *C;
static struct conv_doc *D;
static struct buf IN, OUT;

static enum status dec_props(const char *schema, const char *payload, const char *const *props)
{
    if (!D)
        D = conv_doc_new();
    conv_converter_free(C);
    C = conv_converter_new("org.apache.kafka.connect.json.JsonConverter", props, &E);
    if (!C)
        TEST_FAIL("converter: %s", E.msg);
    buf_reset(&IN);
    buf_printf(&IN, "{\"schema\":%s,\"payload\":%s}", schema, payload);
    err_clear(&E);
    return conv_decode(C, IN.p, IN.len, D, &E);
}

static enum status dec(const char *schema, const char *payload)
{
    return dec_props(schema, payload, NULL);
}

static const char *dump(void)
{
    buf_reset(&OUT);
    conv_value_dump(D, conv_doc_root(D), &OUT);
    return buf_cstr(&OUT);
}

#define ASSERT_DEC(schema, payload, want)          \
    do {                                           \
        ASSERT_OK_E(dec(schema, payload), &E);     \
        ASSERT_EQ_STR(dump(), want);               \
    } while (0)
#define ASSERT_DEC_ERR(schema, payload, st, text)  \
    do {                                           \
        ASSERT_ST(dec(schema, payload), st);       \
        ASSERT_EQ_STR(E.msg, text);                \
    } while (0)

TEST(spec_example_struct)
{
    ASSERT_DEC("{\"type\":\"struct\",\"optional\":false,\"fields\":["
               "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false},"
               "{\"field\":\"name\",\"type\":\"string\",\"optional\":true}]}",
               "{\"id\":7,\"name\":\"ada\"}", "{\"id\":7,\"name\":\"ada\"}");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_MAP);
    ASSERT_EQ_INT(conv_map_get(D, conv_doc_root(D), "id", 2)->type, CONV_INT);
}

TEST(primitive_types)
{
    ASSERT_DEC("{\"type\":\"boolean\"}", "true", "true");
    ASSERT_DEC("{\"type\":\"int8\"}", "-128", "-128");
    ASSERT_DEC("{\"type\":\"int8\"}", "127", "127");
    ASSERT_DEC("{\"type\":\"int16\"}", "-32768", "-32768");
    ASSERT_DEC("{\"type\":\"int32\"}", "2147483647", "2147483647");
    ASSERT_DEC("{\"type\":\"int64\"}", "-9223372036854775808", "-9223372036854775808");
    ASSERT_DEC("{\"type\":\"int64\"}", "9223372036854775807", "9223372036854775807");
    ASSERT_DEC("{\"type\":\"int32\"}", "1.0", "1");          /* exact integral values are fine */
    ASSERT_DEC("{\"type\":\"int32\"}", "12e2", "1200");
    ASSERT_DEC("{\"type\":\"double\"}", "0.1", "0.10000000000000001");
    ASSERT_DEC("{\"type\":\"double\"}", "3", "3");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_OK(dec("{\"type\":\"float\"}", "0.1"));           /* rounded to float32, then widened */
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_DOUBLE);
    ASSERT_TRUE(conv_doc_root(D)->d == (double)0.1f);
    ASSERT_DEC("{\"type\":\"string\"}", "\"h\\u00e9\"", "\"h\xc3\xa9\"");
    ASSERT_DEC("{\"type\":\"bytes\"}", "\"AAEC/w==\"", "b64\"AAEC/w==\"");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_BYTES);
    ASSERT_EQ_MEM(conv_doc_root(D)->s.p, "\x00\x01\x02\xff", 4);
    ASSERT_DEC("{\"type\":\"bytes\"}", "\"\"", "b64\"\"");
}

TEST(integer_ranges_and_type_errors)
{
    ASSERT_DEC_ERR("{\"type\":\"int8\"}", "128", ST_TYPE, "Connect JSON: payload: 128 is out of range for int8");
    ASSERT_DEC_ERR("{\"type\":\"int16\"}", "-32769", ST_TYPE,
                   "Connect JSON: payload: -32769 is out of range for int16");
    ASSERT_DEC_ERR("{\"type\":\"int32\"}", "2147483648", ST_TYPE,
                   "Connect JSON: payload: 2147483648 is out of range for int32");
    ASSERT_DEC_ERR("{\"type\":\"int64\"}", "9223372036854775808", ST_TYPE,
                   "Connect JSON: payload: 9223372036854775808 is out of range for int64");
    ASSERT_DEC_ERR("{\"type\":\"int32\"}", "1.5", ST_TYPE,
                   "Connect JSON: payload: expected int32, got non-integral number 1.5");
    ASSERT_DEC_ERR("{\"type\":\"int32\"}", "\"1\"", ST_TYPE, "Connect JSON: payload: expected int32, got string");
    ASSERT_DEC_ERR("{\"type\":\"boolean\"}", "1", ST_TYPE, "Connect JSON: payload: expected boolean, got number");
    ASSERT_DEC_ERR("{\"type\":\"string\"}", "{}", ST_TYPE, "Connect JSON: payload: expected string, got object");
    ASSERT_DEC_ERR("{\"type\":\"double\"}", "[]", ST_TYPE, "Connect JSON: payload: expected double, got array");
    ASSERT_DEC_ERR("{\"type\":\"bytes\"}", "\"AAE\"", ST_TYPE, "Connect JSON: payload: invalid base64 (3 characters)");
    ASSERT_DEC_ERR("{\"type\":\"bytes\"}", "5", ST_TYPE,
                   "Connect JSON: payload: expected bytes (a base64 string), got number");
    ASSERT_EQ_INT(status_class(ST_TYPE), CLASS_RECORD);
}

TEST(error_path_names_the_field)
{
    ASSERT_DEC_ERR("{\"type\":\"struct\",\"fields\":[{\"field\":\"items\",\"type\":\"array\",\"items\":"
                   "{\"type\":\"struct\",\"fields\":[{\"field\":\"price\",\"type\":\"double\"}]}}]}",
                   "{\"items\":[{\"price\":1},{\"price\":2},{\"price\":3.5},{\"price\":\"4\"}]}", ST_TYPE,
                   "Connect JSON: payload.items[3].price: expected double, got string");
    ASSERT_DEC_ERR("{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"int32\"}}",
                   "{\"a\":1,\"b\":true}", ST_TYPE, "Connect JSON: payload[\"b\"]: expected int32, got boolean");
    ASSERT_DEC_ERR("{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},\"values\":{\"type\":\"string\"}}",
                   "[[1,\"a\"],[\"2\",\"b\"]]", ST_TYPE, "Connect JSON: payload[1][0]: expected int32, got string");
}

TEST(arrays_and_maps)
{
    ASSERT_DEC("{\"type\":\"array\",\"items\":{\"type\":\"int32\"}}", "[1,2,3]", "[1,2,3]");
    ASSERT_DEC("{\"type\":\"array\",\"items\":{\"type\":\"int32\"}}", "[]", "[]");
    ASSERT_DEC("{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"double\"}}",
               "{\"a\":1,\"b\":2.5,\"a\":3}", "{\"b\":2.5,\"a\":3}");
    ASSERT_EQ_INT(conv_doc_root(D)->count, 2);
    /* non-string keys come as [key, value] pairs; a repeated key keeps its last value */
    ASSERT_DEC("{\"type\":\"map\",\"keys\":{\"type\":\"int64\"},\"values\":{\"type\":\"string\"}}",
               "[[1,\"a\"],[2,\"b\"],[1,\"c\"]]", "{2:\"b\",1:\"c\"}");
    ASSERT_EQ_INT(conv_doc_root(D)->count, 2);
    ASSERT_EQ_INT(conv_doc_node(D, 1)->type, CONV_INT);
    ASSERT_DEC_ERR("{\"type\":\"map\",\"keys\":{\"type\":\"int64\"},\"values\":{\"type\":\"string\"}}",
                   "{\"1\":\"a\"}", ST_TYPE,
                   "Connect JSON: payload: expected map as an array of [key, value] arrays, got object");
    ASSERT_DEC_ERR("{\"type\":\"map\",\"keys\":{\"type\":\"int64\"},\"values\":{\"type\":\"string\"}}",
                   "[[1,\"a\",3]]", ST_TYPE,
                   "Connect JSON: payload[0]: map entry must be a [key, value] array, got array of another length");
    ASSERT_DEC_ERR("{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"string\"}}",
                   "[]", ST_TYPE, "Connect JSON: payload: expected map as an object, got array");
    ASSERT_DEC_ERR("{\"type\":\"array\",\"items\":{\"type\":\"int32\"}}", "{}", ST_TYPE,
                   "Connect JSON: payload: expected array, got object");
}

static const char *order_schema =
    "{\"type\":\"struct\",\"name\":\"Order\",\"version\":3,\"doc\":\"an order\",\"fields\":["
    "{\"field\":\"id\",\"type\":\"int64\"},"
    "{\"field\":\"customer\",\"type\":\"struct\",\"fields\":[{\"field\":\"name\",\"type\":\"string\"}]},"
    "{\"field\":\"note\",\"type\":\"string\",\"optional\":true},"
    "{\"field\":\"qty\",\"type\":\"int32\",\"optional\":true,\"default\":1},"
    "{\"field\":\"tags\",\"type\":\"array\",\"items\":{\"type\":\"string\"},\"optional\":true}]}";

TEST(structs_schema_order_optional_default)
{
    /* payload order differs, extra fields are ignored, absent optional -> null, default used */
    ASSERT_DEC(order_schema, "{\"extra\":1,\"customer\":{\"name\":\"Ada\"},\"id\":5}",
               "{\"id\":5,\"customer\":{\"name\":\"Ada\"},\"note\":null,\"qty\":1,\"tags\":null}");
    ASSERT_DEC(order_schema, "{\"id\":5,\"customer\":{\"name\":\"Ada\"},\"note\":\"x\",\"qty\":null,\"tags\":[\"a\"]}",
               "{\"id\":5,\"customer\":{\"name\":\"Ada\"},\"note\":\"x\",\"qty\":1,\"tags\":[\"a\"]}");
    ASSERT_DEC_ERR(order_schema, "{\"customer\":{\"name\":\"Ada\"}}", ST_TYPE,
                   "Connect JSON: payload.id: required int64 field is missing");
    ASSERT_DEC_ERR(order_schema, "{\"id\":1,\"customer\":{\"name\":null}}", ST_TYPE,
                   "Connect JSON: payload.customer.name: required string field is null");
    ASSERT_DEC_ERR(order_schema, "[]", ST_TYPE, "Connect JSON: payload: expected struct, got array");
    ASSERT_DEC("{\"type\":\"string\",\"optional\":true}", "null", "null");
    ASSERT_DEC_ERR("{\"type\":\"string\"}", "null", ST_TYPE, "Connect JSON: payload: required string field is null");
    ASSERT_DEC("{\"type\":\"struct\",\"fields\":[]}", "{\"a\":1}", "{}");
}

TEST(replace_null_with_default)
{
    const char *off[] = {"replace.null.with.default", "false", NULL};
    const char *sch = "{\"type\":\"struct\",\"fields\":["
                      "{\"field\":\"a\",\"type\":\"int32\",\"optional\":true,\"default\":7},"
                      "{\"field\":\"b\",\"type\":\"string\",\"default\":\"d\"},"
                      "{\"field\":\"c\",\"type\":\"struct\",\"optional\":true,\"default\":{\"x\":2},"
                      "\"fields\":[{\"field\":\"x\",\"type\":\"int8\"}]}]}";

    ASSERT_DEC(sch, "{\"a\":null}", "{\"a\":7,\"b\":\"d\",\"c\":{\"x\":2}}");
    ASSERT_OK_E(dec_props(sch, "{\"a\":null,\"b\":\"v\"}", off), &E);
    ASSERT_EQ_STR(dump(), "{\"a\":null,\"b\":\"v\",\"c\":null}");
    ASSERT_ST(dec_props(sch, "{\"a\":null}", off), ST_TYPE);
    ASSERT_EQ_STR(E.msg, "Connect JSON: payload.b: required string field is missing");
    /* a default of the wrong type is reported where it is used */
    ASSERT_DEC_ERR("{\"type\":\"int32\",\"default\":\"x\"}", "null", ST_TYPE,
                   "Connect JSON: payload: expected int32, got string");
}

static const char *dec_schema(int scale)
{
    static char s[200];
    snprintf(s, sizeof(s), "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
             "\"version\":1,\"parameters\":{\"scale\":\"%d\",\"connect.decimal.precision\":\"10\"}}", scale);
    return s;
}

TEST(logical_decimal)
{
    ASSERT_DEC(dec_schema(2), "\"MDk=\"", "\"123.45\"");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_STRING);
    ASSERT_DEC(dec_schema(2), "\"z8c=\"", "\"-123.45\"");
    ASSERT_DEC(dec_schema(0), "\"AA==\"", "\"0\"");
    ASSERT_DEC(dec_schema(2), "\"AA==\"", "\"0.00\"");
    ASSERT_DEC(dec_schema(0), "\"/w==\"", "\"-1\"");
    ASSERT_DEC(dec_schema(3), "\"BQ==\"", "\"0.005\"");
    ASSERT_DEC(dec_schema(-2), "\"BQ==\"", "\"500\"");
    ASSERT_DEC(dec_schema(0), "\"f////////////////////w==\"", "\"170141183460469231731687303715884105727\"");
    ASSERT_DEC(dec_schema(5), "\"gAAAAAAAAAAAAAAAAAAAAA==\"", "\"-1701411834604692317316873037158841.05728\"");
    ASSERT_DEC(dec_schema(5), "\"/4AAAAAAAAAAAAAAAAAAAAA=\"", "\"-1701411834604692317316873037158841.05728\"");
    /* decimal.format=NUMERIC payloads: rendered at the schema's scale, never rounded */
    ASSERT_DEC(dec_schema(2), "123.45", "\"123.45\"");
    ASSERT_DEC(dec_schema(2), "123.4", "\"123.40\"");
    ASSERT_DEC(dec_schema(2), "-5", "\"-5.00\"");
    ASSERT_DEC(dec_schema(2), "1.5e3", "\"1500.00\"");
    ASSERT_DEC(dec_schema(2), "12345e-2", "\"123.45\"");
    ASSERT_DEC(dec_schema(2), "0.100", "\"0.10\"");
    ASSERT_DEC(dec_schema(0), "-0.0", "\"0\"");
    ASSERT_DEC(dec_schema(1), "99999999999999999999999999999999.5",
               "\"99999999999999999999999999999999.5\"");
    ASSERT_DEC_ERR(dec_schema(2), "1.234", ST_TYPE,
                   "Connect JSON: payload: decimal 1.234 has more than 2 fraction digits");
    ASSERT_DEC_ERR(dec_schema(2), "\"\"", ST_TYPE, "Connect JSON: payload: decimal has no bytes");
    ASSERT_DEC_ERR(dec_schema(2), "true", ST_TYPE,
                   "Connect JSON: payload: expected Decimal (base64 string or number), got boolean");
    ASSERT_DEC_ERR("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\"}", "\"AA==\"",
                   ST_PARSE, "Connect JSON: schema: Decimal schema has no \"scale\" parameter");
    ASSERT_DEC_ERR(dec_schema(2000), "\"AA==\"", ST_TYPE,
                   "Connect JSON: payload: decimal scale 2000 is outside -1000..1000");
}

TEST(logical_date_time_timestamp)
{
    ASSERT_DEC("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"}", "19723", "19723");
    ASSERT_DEC("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"}", "-1", "-1");
    ASSERT_DEC_ERR("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"}", "2147483648", ST_TYPE,
                   "Connect JSON: payload: 2147483648 is out of range for Date");
    ASSERT_DEC("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Time\"}", "3600000", "3600000");
    ASSERT_DEC_ERR("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Time\"}", "86400001", ST_TYPE,
                   "Connect JSON: payload: Time 86400001 is not within 0..86400000 ms");
    ASSERT_DEC("{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\"}", "1700000000123",
               "1700000000123");
    ASSERT_DEC_ERR("{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\"}", "\"2024\"", ST_TYPE,
                   "Connect JSON: payload: expected Timestamp, got string");
    /* other names are just names */
    ASSERT_DEC("{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTimestamp\"}", "5", "5");
}

TEST(envelope_errors)
{
    const char *want = "Connect JSON: with schemas.enable=true the record must be an object with exactly "
                       "\"schema\" and \"payload\" (for plain JSON set schemas.enable=false)";
    const char *recs[] = {"{\"a\":1}", "{\"schema\":{\"type\":\"int32\"}}",
                          "{\"schema\":null,\"payload\":1,\"x\":2}", "[1]", "", "5"};

    D = D ? D : conv_doc_new();
    C = conv_converter_new("JsonConverter", NULL, &E);
    for (size_t i = 0; i < ARRAY_LEN(recs); i++) {
        ASSERT_ST(conv_decode(C, (const uint8_t *)recs[i], strlen(recs[i]), D, &E), ST_PARSE);
        ASSERT_EQ_STR(E.msg, want);
    }
    ASSERT_ST(conv_decode(C, (const uint8_t *)"{\"schema\":", 10, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "JSON: line 1 col 11: unexpected end of input, expected a value");
    ASSERT_OK(conv_decode(C, NULL, 0, D, &E));
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_NULL);
}

TEST(schema_null_means_schemaless_payload)
{
    ASSERT_DEC("null", "{\"a\":[1,2.5,\"x\"],\"b\":9223372036854775808}", "{\"a\":[1,2.5,\"x\"],\"b\":9.2233720368547758e+18}");
    ASSERT_EQ_INT(conv_doc_node(D, 3)->type, CONV_INT);
    ASSERT_EQ_INT(conv_doc_node(D, 4)->type, CONV_DOUBLE);
    ASSERT_EQ_INT(conv_doc_root(D)->next, conv_doc_count(D));
}

TEST(schema_errors)
{
    ASSERT_DEC_ERR("{\"type\":\"struct\",\"fields\":[{\"field\":\"a\",\"type\":\"int32\"},{\"field\":\"b\",\"type\":\"int128\"}]}",
                   "{}", ST_PARSE, "Connect JSON: schema.fields[1]: unknown schema type \"int128\"");
    ASSERT_DEC_ERR("{\"optional\":true}", "1", ST_PARSE, "Connect JSON: schema: schema has no string \"type\"");
    ASSERT_DEC_ERR("[]", "1", ST_PARSE, "Connect JSON: schema: schema must be an object, got array");
    ASSERT_DEC_ERR("{\"type\":\"array\"}", "[]", ST_PARSE, "Connect JSON: schema: array schema has no \"items\"");
    ASSERT_DEC_ERR("{\"type\":\"map\",\"keys\":{\"type\":\"string\"}}", "{}", ST_PARSE,
                   "Connect JSON: schema: map schema has no \"values\"");
    ASSERT_DEC_ERR("{\"type\":\"array\",\"items\":{\"type\":\"nope\"}}", "[]", ST_PARSE,
                   "Connect JSON: schema.items: unknown schema type \"nope\"");
    ASSERT_DEC_ERR("{\"type\":\"struct\"}", "{}", ST_PARSE,
                   "Connect JSON: schema: struct schema's \"fields\" is not an array");
    ASSERT_DEC_ERR("{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\"}]}", "{}", ST_PARSE,
                   "Connect JSON: schema.fields[0]: struct field has no string \"field\" (its name)");
    ASSERT_DEC_ERR("{\"type\":\"struct\",\"fields\":[{\"field\":\"a\",\"type\":\"int32\"},{\"field\":\"a\",\"type\":\"int32\"}]}",
                   "{}", ST_PARSE, "Connect JSON: schema.fields[1]: duplicate field name \"a\"");
    ASSERT_DEC_ERR("{\"type\":\"int32\",\"parameters\":{\"x\":1}}", "1", ST_PARSE,
                   "Connect JSON: schema: schema parameter \"x\" is not a string");
}

TEST(converter_settings)
{
    const char *bad1[] = {"replace.null.with.default", "maybe", NULL};
    const char *bad2[] = {"decimal.format", "HEX", NULL};
    const char *bad3[] = {"schemas.cache.size", "-1", NULL};
    const char *good[] = {"schemas.enable", "TRUE", "decimal.format", "numeric", "schemas.cache.size", "10",
                          "converter.type", "value", NULL};
    struct conv_converter *c;

    ASSERT_TRUE(conv_converter_new("JsonConverter", bad1, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "JsonConverter: replace.null.with.default must be true or false, not 'maybe'");
    ASSERT_TRUE(conv_converter_new("JsonConverter", bad2, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "JsonConverter: decimal.format must be BASE64 or NUMERIC, not 'HEX'");
    ASSERT_TRUE(conv_converter_new("JsonConverter", bad3, &E) == NULL);
    ASSERT_EQ_INT(E.status, ST_CONFIG);
    c = conv_converter_new("JsonConverter", good, &E);
    ASSERT_TRUE(c != NULL);
    conv_converter_free(c);
}

TEST(decimal_text_rendering)
{
    struct conv__arena a = {0};
    const char *s;
    uint32_t n;

    ASSERT_OK(conv__decimal_from_twos(&a, HEX("01 00"), 2, 0, &s, &n, &E));
    ASSERT_EQ_MEM(s, "256", n);
    ASSERT_OK(conv__decimal_from_twos(&a, HEX("ff 00"), 2, 1, &s, &n, &E));
    ASSERT_EQ_INT(n, 5);
    ASSERT_EQ_MEM(s, "-25.6", 5);
    ASSERT_OK(conv__decimal_from_twos(&a, HEX("00 00 00 00 3b 9a ca 00"), 8, 9, &s, &n, &E));
    ASSERT_EQ_INT(n, 11);
    ASSERT_EQ_MEM(s, "1.000000000", 11);     /* 10^9: a whole zero limb chunk */
    ASSERT_OK(conv__decimal_from_twos(&a, HEX("80"), 1, 0, &s, &n, &E));
    ASSERT_EQ_MEM(s, "-128", 4);
    ASSERT_OK(conv__decimal_from_twos(&a, HEX("ff ff ff ff ff"), 5, 0, &s, &n, &E));
    ASSERT_EQ_MEM(s, "-1", 2);
    ASSERT_OK(conv__decimal_from_twos(&a, HEX("0d e0 b6 b3 a7 64 00 00"), 8, 18, &s, &n, &E));
    ASSERT_EQ_INT(n, 20);
    ASSERT_EQ_MEM(s, "1.000000000000000000", 20);
    conv__arena_free(&a);
}

static const char *bench_schema =
    "{\"type\":\"struct\",\"fields\":[{\"field\":\"id\",\"type\":\"int64\"},{\"field\":\"name\",\"type\":\"string\"},"
    "{\"field\":\"price\",\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"parameters\":{\"scale\":\"2\"}},"
    "{\"field\":\"tags\",\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "{\"field\":\"attrs\",\"type\":\"map\",\"keys\":{\"type\":\"int32\"},\"values\":{\"type\":\"double\"}},"
    "{\"field\":\"blob\",\"type\":\"bytes\",\"optional\":true},{\"field\":\"q\",\"type\":\"int32\",\"default\":3,\"optional\":true}]}";

TEST(zero_allocations_after_warmup)
{
    const char *pay = "{\"id\":1,\"name\":\"n\\u00e9\",\"price\":\"MDk=\",\"tags\":[\"a\",\"b\"],"
                      "\"attrs\":[[1,2.5],[2,3.5],[1,4]],\"blob\":\"AAEC\"}";
    uint64_t before;

    ASSERT_OK_E(dec(bench_schema, pay), &E);
    ASSERT_EQ_STR(dump(), "{\"id\":1,\"name\":\"n\xc3\xa9\",\"price\":\"123.45\",\"tags\":[\"a\",\"b\"],"
                          "\"attrs\":{2:3.5,1:4},\"blob\":b64\"AAEC\",\"q\":3}");
    for (int i = 0; i < 10; i++)
        ASSERT_OK(conv_decode(C, IN.p, IN.len, D, &E));
    before = mem_alloc_count();
    for (int i = 0; i < 5000; i++)
        ASSERT_OK(conv_decode(C, IN.p, IN.len, D, &E));
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
}

TEST(schema_cache_follows_schema_changes)
{
    const char *a = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"x\",\"type\":\"int32\","
                    "\"optional\":true,\"default\":1}]},\"payload\":{}}";
    const char *b = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"x\",\"type\":\"int32\","
                    "\"optional\":true,\"default\":2}]},\"payload\":{}}";
    const char *bad = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"x\",\"type\":\"int33\"}]},"
                      "\"payload\":{}}";
    struct conv_converter *c = conv_converter_new("JsonConverter", NULL, &E);
    struct conv_doc *d = conv_doc_new();
    uint8_t *copy;

    for (int i = 0; i < 3; i++) {
        ASSERT_OK_E(conv_decode(c, (const uint8_t *)a, strlen(a), d, &E), &E);
        ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "x", 1)->i, 1);
        ASSERT_OK_E(conv_decode(c, (const uint8_t *)b, strlen(b), d, &E), &E);
        ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "x", 1)->i, 2);
        ASSERT_ST(conv_decode(c, (const uint8_t *)bad, strlen(bad), d, &E), ST_PARSE);
    }
    /* the compiled schema does not point into an earlier record's bytes */
    copy = mem_malloc(strlen(a));
    memcpy(copy, a, strlen(a));
    ASSERT_OK(conv_decode(c, copy, strlen(a), d, &E));
    memset(copy, 'z', strlen(a));
    mem_free(copy);
    ASSERT_OK_E(conv_decode(c, (const uint8_t *)a, strlen(a), d, &E), &E);
    ASSERT_EQ_STR((buf_reset(&OUT), conv_value_dump(d, conv_doc_root(d), &OUT), buf_cstr(&OUT)), "{\"x\":1}");
    /* the same schema spelled with other whitespace, then the compact form again */
    const char *a2 = "{ \"schema\" : {\"type\":\"struct\",\"fields\":[{\"field\":\"x\",\"type\":\"int32\","
                     "\"optional\":true,\"default\":1}]},\"payload\":{\"x\":5}}";
    ASSERT_OK_E(conv_decode(c, (const uint8_t *)a2, strlen(a2), d, &E), &E);
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "x", 1)->i, 5);
    ASSERT_OK_E(conv_decode(c, (const uint8_t *)a, strlen(a), d, &E), &E);
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "x", 1)->i, 1);
    /* a cached schema followed by broken JSON or a second "schema" key */
    const char *broken = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"x\",\"type\":\"int32\","
                         "\"optional\":true,\"default\":1}]},\"payload\":{]}";
    ASSERT_ST(conv_decode(c, (const uint8_t *)broken, strlen(broken), d, &E), ST_PARSE);
    ASSERT_CONTAINS(E.msg, "JSON: line 1 col 108: expected a string key, got ']'");
    const char *twice = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"x\",\"type\":\"int32\","
                        "\"optional\":true,\"default\":1}]},\"schema\":{\"type\":\"int8\"},\"payload\":7}";
    ASSERT_OK_E(conv_decode(c, (const uint8_t *)twice, strlen(twice), d, &E), &E);
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_INT);
    ASSERT_EQ_INT(conv_doc_root(d)->i, 7);
    /* ... and must not leave the first schema's bytes paired with the second's compilation */
    ASSERT_OK_E(conv_decode(c, (const uint8_t *)a, strlen(a), d, &E), &E);
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "x", 1)->i, 1);
    ASSERT_OK_E(conv_decode(c, (const uint8_t *)twice, strlen(twice), d, &E), &E);
    ASSERT_OK_E(conv_decode(c, (const uint8_t *)twice, strlen(twice), d, &E), &E);
    ASSERT_OK_E(conv_decode(c, (const uint8_t *)a, strlen(a), d, &E), &E);
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "x", 1)->i, 1);
    conv_converter_free(c);
    conv_doc_free(d);
}

/* The schema comes with the record: checking its field names for repeats and matching the
 * payload's keys to them cost about the fields, not fields x fields (or x keys). */
TEST(many_fields_stay_linear)
{
    struct buf sch = BUF_INIT, pay = BUF_INIT;
    uint32_t nf[2] = {1000, 4000};
    uint64_t work[2];

    for (int t = 0; t < 2; t++) {
        buf_reset(&sch);
        buf_reset(&pay);
        buf_append_str(&sch, "{\"type\":\"struct\",\"fields\":[");
        for (uint32_t i = 0; i < nf[t]; i++)
            buf_printf(&sch, "%s{\"field\":\"f%u\",\"type\":\"int32\"}", i ? "," : "", i);
        buf_append_str(&sch, "]}");
        buf_append_str(&pay, "{");
        for (uint32_t i = nf[t]; i-- > 0;)   /* the payload in reverse order */
            buf_printf(&pay, "\"f%u\":%u%s", i, i, i ? "," : "");
        buf_append_str(&pay, "}");
        ASSERT_OK_E(dec(buf_cstr(&sch), buf_cstr(&pay)), &E);
        ASSERT_EQ_INT(conv_doc_root(D)->count, nf[t]);
        ASSERT_EQ_INT(conv_doc_node(D, 2)->i, 0);   /* schema order */
        ASSERT_EQ_INT(conv_map_get(D, conv_doc_root(D), "f777", 4)->i, 777);
        work[t] = D->key_work;
        fprintf(stderr, "  %u fields: key work %" PRIu64 "\n", nf[t], work[t]);
        ASSERT_TRUE(work[t] <= 8 * (uint64_t)nf[t]);
    }
    /* names that share the low bits of an unkeyed FNV-1a (as a sender could pick them) still
     * spread over the table */
    buf_reset(&sch);
    buf_reset(&pay);
    buf_append_str(&sch, "{\"type\":\"struct\",\"fields\":[");
    for (uint32_t c = 0, found = 0; found < 1024; c++) {
        char nm[16];
        int n = snprintf(nm, sizeof(nm), "n%x", c);
        uint32_t h = 2166136261u;
        for (int i = 0; i < n; i++)
            h = (h ^ (uint8_t)nm[i]) * 16777619u;
        if ((h & 2047) == 0)
            buf_printf(&sch, "%s{\"field\":\"%s\",\"type\":\"int32\",\"optional\":true}", found++ ? "," : "", nm);
    }
    buf_append_str(&sch, "]}");
    ASSERT_OK_E(dec(buf_cstr(&sch), "{}"), &E);
    ASSERT_EQ_INT(conv_doc_root(D)->count, 1024);
    fprintf(stderr, "  1024 colliding field names: key work %" PRIu64 "\n", D->key_work);
    ASSERT_TRUE(D->key_work <= 8 * 1024);
    /* a repeated name is still refused, at the second one */
    buf_reset(&sch);
    buf_append_str(&sch, "{\"type\":\"struct\",\"fields\":[");
    for (uint32_t i = 0; i < 100; i++)
        buf_printf(&sch, "{\"field\":\"f%u\",\"type\":\"int32\"},", i);
    buf_append_str(&sch, "{\"field\":\"f42\",\"type\":\"int32\"}]}");
    ASSERT_ST(dec(buf_cstr(&sch), "{}"), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Connect JSON: schema.fields[100]: duplicate field name \"f42\"");
    buf_free(&sch);
    buf_free(&pay);
}

TEST_LIST = {
    T(many_fields_stay_linear),
    T(schema_cache_follows_schema_changes),
    T(spec_example_struct),
    T(primitive_types),
    T(integer_ranges_and_type_errors),
    T(error_path_names_the_field),
    T(arrays_and_maps),
    T(structs_schema_order_optional_default),
    T(replace_null_with_default),
    T(logical_decimal),
    T(logical_date_time_timestamp),
    T(envelope_errors),
    T(schema_null_means_schemaless_payload),
    T(schema_errors),
    T(converter_settings),
    T(decimal_text_rendering),
    T(zero_allocations_after_warmup),
    {0},
};
