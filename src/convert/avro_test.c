/* Unit tests for Avro: schema parser (avro_schema.c), binary decoder and Schema Registry
 * framing/cache (avro.c), plus the cross-format golden comparison. */
#include <microhttpd.h>

#include "../../tests/harness.h"
#include "convert/avro_int.h"

static struct err E;
static struct conv_doc *D;
static struct buf OUT;

/* --- Avro binary writers for hand-built records --- */
static void av_long(struct buf *b, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z >= 0x80) {
        buf_put_u8(b, (uint8_t)(z | 0x80));
        z >>= 7;
    }
    buf_put_u8(b, (uint8_t)z);
}
static void av_str(struct buf *b, const char *s)
{
    av_long(b, (int64_t)strlen(s));
    buf_append(b, s, strlen(s));
}
static void av_double(struct buf *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    for (int i = 0; i < 8; i++)
        buf_put_u8(b, (uint8_t)(bits >> (8 * i)));
}

static struct conv__avsc *schema(const char *json)
{
    struct conv__avsc *s = conv__avsc_parse(json, strlen(json), &E);
    if (!s)
        TEST_FAIL("schema: %s", E.msg);
    return s;
}

static const char *dump(void)
{
    buf_reset(&OUT);
    conv_value_dump(D, conv_doc_root(D), &OUT);
    return buf_cstr(&OUT);
}

/* Decode hex bytes with schema JSON; returns status. */
static enum status dec_hex(const char *sch, const char *hex)
{
    struct conv__avsc *s = schema(sch);
    enum status st;

    if (!D)
        D = conv_doc_new();
    st = conv__avro_decode_value(s, HEX(hex), HEX_LEN(hex), D, &E);
    conv__avsc_free(s);
    return st;
}

#define ASSERT_AV(sch, hex, want)                \
    do {                                         \
        ASSERT_OK_E(dec_hex(sch, hex), &E);      \
        ASSERT_EQ_STR(dump(), want);             \
    } while (0)
#define ASSERT_AV_ERR(sch, hex, st, text)        \
    do {                                         \
        ASSERT_ST(dec_hex(sch, hex), st);        \
        ASSERT_EQ_STR(E.msg, text);              \
    } while (0)

TEST(primitives)
{
    ASSERT_AV("\"null\"", "", "null");
    ASSERT_AV("\"boolean\"", "01", "true");
    ASSERT_AV("{\"type\":\"boolean\"}", "00", "false");
    ASSERT_AV("\"int\"", "00", "0");
    ASSERT_AV("\"int\"", "01", "-1");
    ASSERT_AV("\"int\"", "02", "1");
    ASSERT_AV("\"int\"", "fe ff ff ff 0f", "2147483647");
    ASSERT_AV("\"int\"", "ff ff ff ff 0f", "-2147483648");
    ASSERT_AV("\"long\"", "fe ff ff ff ff ff ff ff ff 01", "9223372036854775807");
    ASSERT_AV("\"long\"", "ff ff ff ff ff ff ff ff ff 01", "-9223372036854775808");
    ASSERT_AV("\"long\"", "80 01", "64");
    ASSERT_AV("\"float\"", "00 00 c0 3f", "1.5");
    ASSERT_AV("\"double\"", "18 2d 44 54 fb 21 09 40", "3.1415926535897931");
    ASSERT_AV("\"bytes\"", "06 00 01 ff", "b64\"AAH/\"");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_BYTES);
    ASSERT_AV("\"string\"", "0a 68 c3 a9 6c 6c", "\"h\xc3\xa9ll\"");
    ASSERT_AV("\"string\"", "00", "\"\"");
    /* ill-formed UTF-8 becomes U+FFFD, as Java's String does */
    ASSERT_AV("\"string\"", "08 61 ff 62 c3", "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"");
}

TEST(primitive_errors)
{
    ASSERT_AV_ERR("\"boolean\"", "02", ST_PARSE, "Avro: invalid boolean byte 0x02 (at byte 0)");
    ASSERT_AV_ERR("\"int\"", "ff ff ff ff 1f", ST_PARSE, "Avro: varint overflows int (at byte 4)");
    ASSERT_AV_ERR("\"int\"", "80 80 80 80 80 01", ST_PARSE, "Avro: varint overflows int (at byte 4)");
    ASSERT_AV_ERR("\"long\"", "ff ff ff ff ff ff ff ff ff 02", ST_PARSE, "Avro: varint overflows long (at byte 9)");
    ASSERT_AV_ERR("\"long\"", "80 80", ST_PARSE, "Avro: truncated input (at byte 2)");
    ASSERT_AV_ERR("\"long\"", "", ST_PARSE, "Avro: truncated input (at byte 0)");
    ASSERT_AV_ERR("\"double\"", "00 00 00", ST_PARSE, "Avro: truncated input (8 bytes wanted, 3 left) (at byte 0)");
    ASSERT_AV_ERR("\"string\"", "03 61", ST_PARSE, "Avro: negative length -2 (at byte 1)");
    ASSERT_AV_ERR("\"string\"", "08 61", ST_PARSE,
                  "Avro: length 4 is past the end of the record (1 bytes left) (at byte 1)");
    ASSERT_AV_ERR("\"int\"", "02 00", ST_PARSE, "Avro: 1 bytes left over after the value (wrong schema?) (at byte 1)");
}

static const char *person =
    "{\"type\":\"record\",\"name\":\"Person\",\"namespace\":\"com.example\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"name\",\"type\":\"string\"},"
    "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"A\",\"B\",\"C\"]}},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"int\"}},"
    "{\"name\":\"nick\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"H\",\"size\":2}},"
    "{\"name\":\"other\",\"type\":[\"null\",\"Kind\"]},"
    "{\"name\":\"friend\",\"type\":[\"null\",\"com.example.Person\"]}]}";

TEST(complex_types)
{
    struct buf b = BUF_INIT;
    struct conv__avsc *s = schema(person);

    D = D ? D : conv_doc_new();
    av_long(&b, 7);                      /* id */
    av_str(&b, "Ada");                   /* name */
    av_long(&b, 2);                      /* kind = C */
    av_long(&b, 2);                      /* tags: block of 2 */
    av_str(&b, "x");
    av_str(&b, "y");
    av_long(&b, -1);                     /* second block: count -1 with its byte size */
    av_long(&b, 2);
    av_str(&b, "z");
    av_long(&b, 0);
    av_long(&b, 3);                      /* attrs: a=1, b=2, a=3 (last wins) */
    av_str(&b, "a");
    av_long(&b, 1);
    av_str(&b, "b");
    av_long(&b, 2);
    av_str(&b, "a");
    av_long(&b, 3);
    av_long(&b, 0);
    av_long(&b, 1);                      /* nick: branch 1 = string */
    av_str(&b, "ad");
    buf_append(&b, "\x01\x02", 2);       /* hash */
    av_long(&b, 1);                      /* other: Kind A */
    av_long(&b, 0);
    av_long(&b, 1);                      /* friend: a Person */
    av_long(&b, 8);
    av_str(&b, "Bob");
    av_long(&b, 0);
    av_long(&b, 0);
    av_long(&b, 0);
    av_long(&b, 0);                      /* nick null */
    buf_append(&b, "\x00\x00", 2);
    av_long(&b, 0);                      /* other null */
    av_long(&b, 0);                      /* friend null */
    ASSERT_OK_E(conv__avro_decode_value(s, b.p, b.len, D, &E), &E);
    ASSERT_EQ_STR(dump(), "{\"id\":7,\"name\":\"Ada\",\"kind\":\"C\",\"tags\":[\"x\",\"y\",\"z\"],"
                          "\"attrs\":{\"b\":2,\"a\":3},\"nick\":\"ad\",\"hash\":b64\"AQI=\",\"other\":\"A\","
                          "\"friend\":{\"id\":8,\"name\":\"Bob\",\"kind\":\"A\",\"tags\":[],\"attrs\":{},"
                          "\"nick\":null,\"hash\":b64\"AAA=\",\"other\":null,\"friend\":null}}");
    ASSERT_EQ_INT(conv_doc_root(D)->next, conv_doc_count(D));
    ASSERT_EQ_INT(conv_map_get(D, conv_doc_root(D), "attrs", 5)->count, 2);
    ASSERT_EQ_INT(conv_map_get(D, conv_doc_root(D), "hash", 4)->type, CONV_BYTES);
    conv__avsc_free(s);
    buf_free(&b);
}

TEST(structure_errors)
{
    ASSERT_AV_ERR("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "02", ST_PARSE,
                  "Avro: enum E has no symbol 1 (at byte 1)");
    ASSERT_AV_ERR("[\"null\",\"int\"]", "04", ST_PARSE, "Avro: union branch 2 of 2 (at byte 1)");
    ASSERT_AV_ERR("[\"null\",\"int\"]", "01", ST_PARSE, "Avro: union branch -1 of 2 (at byte 1)");
    ASSERT_AV_ERR("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                  "{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"P\",\"fields\":"
                  "[{\"name\":\"price\",\"type\":\"double\"}]}}}]}",
                  "06 000000000000f03f 000000000000f03f 0000", ST_PARSE,
                  "Avro: a[2].price: truncated input (8 bytes wanted, 2 left) (at byte 17)");
    ASSERT_AV_ERR("{\"type\":\"map\",\"values\":\"long\"}", "02 02 61 80", ST_PARSE,
                  "Avro: a: truncated input (at byte 4)");
    ASSERT_AV_ERR("{\"type\":\"array\",\"items\":\"int\"}", "01 01", ST_PARSE,
                  "Avro: negative block size -1 (at byte 2)");
    ASSERT_AV_ERR("{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", "0102", ST_PARSE,
                  "Avro: truncated input (4 bytes wanted, 2 left) (at byte 0)");
}

TEST(limits)
{
    const char *list = "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"n\",\"type\":[\"null\",\"L\"]}]}";
    struct conv__avsc *s = schema(list);
    struct buf b = BUF_INIT;
    struct conv_limits lim = {64, 50, 1 << 20};

    D = D ? D : conv_doc_new();
    for (int i = 0; i < 63; i++)
        av_long(&b, 1);
    av_long(&b, 0);
    ASSERT_OK_E(conv__avro_decode_value(s, b.p, b.len, D, &E), &E);   /* 64 nested records */
    buf_reset(&b);
    for (int i = 0; i < 64; i++)
        av_long(&b, 1);
    av_long(&b, 0);
    ASSERT_ST(conv__avro_decode_value(s, b.p, b.len, D, &E), ST_TOO_BIG);
    ASSERT_CONTAINS(E.msg, ": nesting deeper than 64 (at byte 64)");
    ASSERT_TRUE(conv_doc_root(D) == NULL);
    conv__avsc_free(s);
    /* an array claiming 2^62 nulls stops at the node limit */
    s = schema("{\"type\":\"array\",\"items\":\"null\"}");
    conv_doc_set_limits(D, &lim);
    buf_reset(&b);
    av_long(&b, (int64_t)1 << 62);
    ASSERT_ST(conv__avro_decode_value(s, b.p, b.len, D, &E), ST_TOO_BIG);
    ASSERT_EQ_STR(E.msg, "Avro: [49]: more than 50 values in one record (at byte 10)");
    conv__avsc_free(s);
    conv_doc_free(D);
    D = NULL;
    buf_free(&b);
}

TEST(logical_types)
{
    ASSERT_AV("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,\"scale\":2}", "04 30 39", "\"123.45\"");
    ASSERT_EQ_INT(conv_doc_root(D)->type, CONV_STRING);
    ASSERT_AV("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,\"scale\":2}", "04 cf c7", "\"-123.45\"");
    ASSERT_AV("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4}", "02 05", "\"5\"");
    ASSERT_AV("{\"type\":\"fixed\",\"name\":\"D\",\"size\":4,\"logicalType\":\"decimal\",\"precision\":9,\"scale\":3}",
              "ff ff ff fb", "\"-0.005\"");
    /* invalid decimal parameters: the logical type is ignored (spec), plain bytes remain */
    ASSERT_AV("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":2,\"scale\":3}", "02 05", "b64\"BQ==\"");
    ASSERT_AV("{\"type\":\"bytes\",\"logicalType\":\"decimal\"}", "02 05", "b64\"BQ==\"");
    ASSERT_AV_ERR("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4}", "00", ST_TYPE,
                  "Avro: decimal has no bytes (at byte 1)");
    ASSERT_AV("{\"type\":\"int\",\"logicalType\":\"date\"}", "b6 b4 02", "19739");
    ASSERT_AV("{\"type\":\"int\",\"logicalType\":\"time-millis\"}", "a0 f7 36", "450000");
    ASSERT_AV("{\"type\":\"long\",\"logicalType\":\"time-micros\"}", "80 a8 d6 b9 07", "1000000000");
    ASSERT_AV("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", "80 a0 ab fe f9 62", "1700000000000");
    ASSERT_AV("{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}", "80 80 f2 81 83 89 85 06", "1700000000000000");
    ASSERT_AV("{\"type\":\"long\",\"logicalType\":\"local-timestamp-millis\"}", "02", "1");
    ASSERT_AV("{\"type\":\"string\",\"logicalType\":\"uuid\"}",
              "48 31 32 33 65 34 35 36 37 2d 65 38 39 62 2d 31 32 64 33 2d 61 34 35 36 2d 34 32 36 36 31 34 31 37 34 30 30 30",
              "\"123e4567-e89b-12d3-a456-426614174000\"");
    ASSERT_AV("{\"type\":\"int\",\"logicalType\":\"wibble\"}", "02", "1");
}

TEST(schema_parser)
{
    struct conv__avsc *s;

    s = schema("{\"type\":\"record\",\"name\":\"a.b.R\",\"fields\":[{\"name\":\"x\",\"type\":"
               "{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}},{\"name\":\"y\",\"type\":\"a.b.S\"},"
               "{\"name\":\"z\",\"type\":\"S\"}]}");
    ASSERT_EQ_INT(s->nodes[s->root].type, AV_RECORD);
    ASSERT_EQ_INT(s->nodes[s->fields[s->nodes[s->root].first + 2].type].name_n, 5);   /* a.b.S */
    conv__avsc_free(s);
    s = schema("{\"type\":{\"type\":\"array\",\"items\":\"int\"}}");
    conv__avsc_free(s);
#define BAD(json, text)                                                                     \
    do {                                                                                    \
        ASSERT_TRUE(conv__avsc_parse(json, strlen(json), &E) == NULL);                      \
        ASSERT_EQ_STR(E.msg, text);                                                         \
    } while (0)
    BAD("\"integer\"", "Avro schema: unknown type \"integer\"");
    BAD("{\"type\":\"record\",\"fields\":[]}", "Avro schema: record needs a valid \"name\"");
    BAD("{\"type\":\"record\",\"name\":\"9x\",\"fields\":[]}", "Avro schema: record needs a valid \"name\"");
    BAD("{\"type\":\"record\",\"name\":\"R\"}", "Avro schema: record R has no \"fields\" array");
    BAD("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
        "Avro schema: record R: duplicate field \"a\"");
    BAD("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}",
        "Avro schema: record R: field 0 needs a \"name\" and a \"type\"");
    BAD("[\"int\",[\"null\"]]", "Avro schema: a union may not contain a union");
    BAD("[\"int\",\"int\"]", "Avro schema: union has two branches of type int");
    BAD("[]", "Avro schema: empty union");
    BAD("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", "Avro schema: enum E: duplicate symbol \"A\"");
    BAD("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",1]}", "Avro schema: enum E: symbol 1 is not a valid name");
    BAD("{\"type\":\"fixed\",\"name\":\"F\"}", "Avro schema: fixed F needs a \"size\" in 0..1048576");
    BAD("{\"type\":\"array\"}", "Avro schema: array without \"items\"");
    BAD("{\"items\":\"int\"}", "Avro schema: object without \"type\"");
    BAD("[{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[]},{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[]}]",
        "Avro schema: type E is defined twice");
    BAD("{\"type\":\"record\",\"name\":\"R\",", "Avro schema: JSON: line 1 col 29: expected a string key, got end of input");
    BAD("17", "Avro schema: a type must be a string, object or array, not integer");
}

/* --- The converter: framing, registry, cache --- */

struct mock {
    int calls;
    const char *fail_url;       /* this base URL is unreachable */
    long status;
    const char *body;
    char last_url[256];
    char last_user[64];
};

static enum status mock_get(void *ctx, const char *url, const char *userinfo, struct buf *body,
                            long *http_status, struct err *e)
{
    struct mock *m = ctx;

    m->calls++;
    snprintf(m->last_url, sizeof(m->last_url), "%s", url);
    snprintf(m->last_user, sizeof(m->last_user), "%s", userinfo ? userinfo : "");
    if (m->fail_url && strncmp(url, m->fail_url, strlen(m->fail_url)) == 0)
        return err_set(e, ST_UNAVAILABLE, "%s: Connection refused", url);
    *http_status = m->status;
    return buf_append_str(body, m->body);
}

static struct conv_converter *avro_conv(struct mock *m, const char *url)
{
    const char *props[] = {"schema.registry.url", url, "basic.auth.credentials.source", "USER_INFO",
                           "basic.auth.user.info", "u:p", NULL};
    struct conv_converter *c = conv_converter_new("io.confluent.connect.avro.AvroConverter", props, &E);
    if (!c)
        TEST_FAIL("avro converter: %s", E.msg);
    conv_converter_set_http(c, mock_get, m);
    return c;
}

static const char *reply_int = "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R\\\",\\\"fields\\\":"
                               "[{\\\"name\\\":\\\"n\\\",\\\"type\\\":\\\"int\\\"}]}\"}";

TEST(registry_framing_and_cache)
{
    struct mock m = {0, NULL, 200, NULL, "", ""};
    struct conv_converter *c;
    struct conv_doc *d = conv_doc_new();

    m.body = reply_int;
    c = avro_conv(&m, "http://reg:8081/");
    ASSERT_OK_E(conv_decode(c, HEX("00 0000002a 54"), 6, d, &E), &E);
    ASSERT_EQ_STR(m.last_url, "http://reg:8081/schemas/ids/42");
    ASSERT_EQ_STR(m.last_user, "u:p");
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "n", 1)->i, 42);
    for (int i = 0; i < 100; i++)
        ASSERT_OK(conv_decode(c, HEX("00 0000002a 02"), 6, d, &E));
    ASSERT_EQ_INT(m.calls, 1);   /* cached */
    ASSERT_ST(conv_decode(c, HEX("01 0000002a 02"), 6, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Avro: unknown magic byte 0x01 (expected 0x00: Confluent Schema Registry framing)");
    ASSERT_ST(conv_decode(c, HEX("00 000000"), 4, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Avro: record of 4 bytes is shorter than the 5-byte Schema Registry header");
    ASSERT_ST(conv_decode(c, HEX("00 0000002a 02 02"), 7, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Avro: schema id 42: 1 bytes left over after the value (wrong schema?) (at byte 6)");
    ASSERT_ST(conv_decode(c, HEX("00 0000002a ff ff ff ff 7f"), 10, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Avro: schema id 42: n: varint overflows int (at byte 9)");
    ASSERT_OK(conv_decode(c, NULL, 0, d, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_NULL);
    conv_converter_free(c);
    conv_doc_free(d);
}

TEST(registry_errors_are_classified)
{
    struct mock m = {0, NULL, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}", "", ""};
    struct conv_converter *c = avro_conv(&m, "http://a:1,http://b:2");
    struct conv_doc *d = conv_doc_new();
    int calls;

    ASSERT_ST(conv_decode(c, HEX("00 0000002a 02"), 6, d, &E), ST_NOT_FOUND);
    ASSERT_EQ_STR(E.msg, "Avro: schema id 42 unknown (http://a:1/schemas/ids/42: HTTP 404)");
    ASSERT_EQ_INT(status_class(E.status), CLASS_RECORD);
    /* a recent 404 is remembered: more records with that id do not reach the registry */
    ASSERT_EQ_INT(m.calls, 1);
    ASSERT_ST(conv_decode(c, HEX("00 0000002a 02"), 6, d, &E), ST_NOT_FOUND);
    ASSERT_EQ_STR(E.msg, "Avro: schema id 42 unknown (the registry answered 404 less than 5 s ago)");
    ASSERT_EQ_INT(m.calls, 1);
    m.status = 503;
    ASSERT_ST(conv_decode(c, HEX("00 00000029 02"), 6, d, &E), ST_UNAVAILABLE);
    ASSERT_EQ_STR(E.msg, "Avro: schema id 41: http://a:1/schemas/ids/41: HTTP 503");
    ASSERT_EQ_INT(status_class(E.status), CLASS_RETRIABLE);
    m.status = 401;
    ASSERT_ST(conv_decode(c, HEX("00 0000002c 02"), 6, d, &E), ST_AUTH);
    ASSERT_EQ_INT(status_class(E.status), CLASS_FATAL);
    /* first URL unreachable: the second answers, and is asked first from then on */
    m.fail_url = "http://a:1";
    m.status = 200;
    m.body = reply_int;
    ASSERT_OK_E(conv_decode(c, HEX("00 0000002c 02"), 6, d, &E), &E);
    ASSERT_EQ_STR(m.last_url, "http://b:2/schemas/ids/44");
    /* every URL unreachable: retriable */
    m.fail_url = "http://";
    ASSERT_ST(conv_decode(c, HEX("00 00000007 02"), 6, d, &E), ST_UNAVAILABLE);
    ASSERT_EQ_STR(E.msg, "Avro: schema id 7: schema registry unreachable: http://a:1/schemas/ids/7: Connection refused");
    m.fail_url = NULL;
    m.body = "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}";
    ASSERT_ST(conv_decode(c, HEX("00 00000008 02"), 6, d, &E), ST_TYPE);
    ASSERT_EQ_STR(E.msg, "Avro: schema id 8 is a PROTOBUF schema, not Avro");
    m.body = "{\"schema\":\"{\\\"type\\\":\\\"nope\\\"}\"}";
    ASSERT_ST(conv_decode(c, HEX("00 00000009 02"), 6, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Avro: schema id 9: Avro schema: unknown type \"nope\"");
    /* a schema that cannot be used is remembered like a 404: no GET per record of that id */
    calls = m.calls;
    m.body = reply_int;
    for (int i = 0; i < 20; i++) {
        ASSERT_ST(conv_decode(c, HEX("00 00000009 02"), 6, d, &E), ST_PARSE);
        ASSERT_EQ_STR(E.msg, "Avro: schema id 9: Avro schema: unknown type \"nope\"");
        ASSERT_ST(conv_decode(c, HEX("00 00000008 02"), 6, d, &E), ST_TYPE);
        ASSERT_EQ_STR(E.msg, "Avro: schema id 8 is a PROTOBUF schema, not Avro");
    }
    ASSERT_EQ_INT(m.calls, calls);
    /* an invalid answer is retriable: asked again */
    m.body = "not json";
    ASSERT_ST(conv_decode(c, HEX("00 0000000a 02"), 6, d, &E), ST_UNAVAILABLE);
    ASSERT_ST(conv_decode(c, HEX("00 0000000a 02"), 6, d, &E), ST_UNAVAILABLE);
    ASSERT_EQ_INT(m.calls, calls + 2);
    conv_converter_free(c);
    conv_doc_free(d);
}

TEST(converter_settings)
{
    const char *none[] = {NULL};
    const char *bad_url[] = {"schema.registry.url", "reg:8081", NULL};
    const char *sasl[] = {"schema.registry.url", "http://r", "basic.auth.credentials.source", "SASL_INHERIT", NULL};
    const char *no_ui[] = {"schema.registry.url", "http://r", "basic.auth.credentials.source", "USER_INFO", NULL};
    const char *url_src[] = {"schema.registry.url", "http://u:p@r", "basic.auth.credentials.source", "URL", NULL};
    struct conv_converter *c;

    ASSERT_TRUE(conv_converter_new("AvroConverter", none, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "AvroConverter: schema.registry.url is required");
    ASSERT_EQ_INT(E.status, ST_CONFIG);
    ASSERT_TRUE(conv_converter_new("AvroConverter", bad_url, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "AvroConverter: schema.registry.url 'reg:8081' is not an http(s) URL");
    ASSERT_TRUE(conv_converter_new("AvroConverter", sasl, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "AvroConverter: basic.auth.credentials.source 'SASL_INHERIT' is not supported (USER_INFO or URL)");
    ASSERT_TRUE(conv_converter_new("AvroConverter", no_ui, &E) == NULL);
    ASSERT_EQ_INT(E.status, ST_CONFIG);
    c = conv_converter_new("Avro", url_src, &E);
    ASSERT_TRUE(c != NULL);
    ASSERT_EQ_STR(conv_converter_class(c), "io.confluent.connect.avro.AvroConverter");
    conv_converter_free(c);
}

TEST(real_http_unreachable_is_retriable)
{
    const char *props[] = {"schema.registry.url", "http://127.0.0.1:1", NULL};
    struct conv_converter *c = conv_converter_new("AvroConverter", props, &E);
    struct conv_doc *d = conv_doc_new();

    ASSERT_TRUE(c != NULL);
    ASSERT_ST(conv_decode(c, HEX("00 00000001 02"), 6, d, &E), ST_UNAVAILABLE);
    ASSERT_CONTAINS(E.msg, "Avro: schema id 1: schema registry unreachable: http://127.0.0.1:1/schemas/ids/1: ");
    conv_converter_free(c);
    conv_doc_free(d);
}

/* A real HTTP registry (libmicrohttpd, in-process) for the libcurl client. */
struct reg {
    int hits;
    char user[32], pass[32], url[128];
};

static enum MHD_Result reg_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                   const char *version, const char *upload, size_t *upload_size, void **state)
{
    struct reg *r = cls;
    char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
    const char *body = strcmp(url, "/schemas/ids/42") == 0 ? reply_int : "{\"error_code\":40403}";
    struct MHD_Response *resp;
    enum MHD_Result rc;

    (void)method, (void)version, (void)upload, (void)upload_size, (void)state;
    r->hits++;
    snprintf(r->url, sizeof(r->url), "%s", url);
    snprintf(r->user, sizeof(r->user), "%s", user ? user : "");
    snprintf(r->pass, sizeof(r->pass), "%s", pass ? pass : "");
    MHD_free(user);
    MHD_free(pass);
    resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    rc = MHD_queue_response(c, strcmp(url, "/schemas/ids/42") == 0 ? 200 : 404, resp);
    MHD_destroy_response(resp);
    return rc;
}

TEST(real_http_registry_with_basic_auth)
{
    struct reg r = {0};
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, reg_handler, &r,
                                            MHD_OPTION_END);
    char url[64];
    const char *props[] = {"schema.registry.url", url, "basic.auth.credentials.source", "USER_INFO",
                           "basic.auth.user.info", "alice:s3cret", NULL};
    struct conv_converter *c;
    struct conv_doc *dd = conv_doc_new();

    ASSERT_TRUE(d != NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
    c = conv_converter_new("AvroConverter", props, &E);
    ASSERT_TRUE(c != NULL);
    ASSERT_OK_E(conv_decode(c, HEX("00 0000002a 54"), 6, dd, &E), &E);
    ASSERT_EQ_INT(conv_map_get(dd, conv_doc_root(dd), "n", 1)->i, 42);
    ASSERT_EQ_STR(r.url, "/schemas/ids/42");
    ASSERT_EQ_STR(r.user, "alice");
    ASSERT_EQ_STR(r.pass, "s3cret");
    ASSERT_OK(conv_decode(c, HEX("00 0000002a 02"), 6, dd, &E));
    ASSERT_EQ_INT(r.hits, 1);
    ASSERT_ST(conv_decode(c, HEX("00 0000002b 02"), 6, dd, &E), ST_NOT_FOUND);
    ASSERT_CONTAINS(E.msg, "Avro: schema id 43 unknown (http://127.0.0.1:");
    ASSERT_EQ_INT(r.hits, 2);
    conv_converter_free(c);
    conv_doc_free(dd);
    MHD_stop_daemon(d);
}

/* --- The same logical record in three formats --- */

static const char *golden_json =
    "{\"id\":42,\"name\":\"Ada\",\"active\":true,\"score\":98.5,\"tags\":[\"a\",\"b\"],"
    "\"address\":{\"city\":\"London\",\"zip\":\"W1\"},\"note\":null,\"ts\":1700000000000,\"price\":\"123.45\"}";

static const char *golden_connect =
    "{\"schema\":{\"type\":\"struct\",\"name\":\"Person\",\"fields\":["
    "{\"field\":\"id\",\"type\":\"int64\"},{\"field\":\"name\",\"type\":\"string\"},"
    "{\"field\":\"active\",\"type\":\"boolean\"},{\"field\":\"score\",\"type\":\"double\"},"
    "{\"field\":\"tags\",\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "{\"field\":\"address\",\"type\":\"struct\",\"fields\":[{\"field\":\"city\",\"type\":\"string\"},"
    "{\"field\":\"zip\",\"type\":\"string\"}]},"
    "{\"field\":\"note\",\"type\":\"string\",\"optional\":true},"
    "{\"field\":\"ts\",\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\"},"
    "{\"field\":\"price\",\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
    "\"parameters\":{\"scale\":\"2\"}}]},"
    "\"payload\":{\"id\":42,\"name\":\"Ada\",\"active\":true,\"score\":98.5,\"tags\":[\"a\",\"b\"],"
    "\"address\":{\"city\":\"London\",\"zip\":\"W1\"},\"note\":null,\"ts\":1700000000000,\"price\":\"MDk=\"}}";

static const char *golden_avsc =
    "{\"type\":\"record\",\"name\":\"Person\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"name\",\"type\":\"string\"},"
    "{\"name\":\"active\",\"type\":\"boolean\"},{\"name\":\"score\",\"type\":\"double\"},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"address\",\"type\":{\"type\":\"record\",\"name\":\"Address\",\"fields\":["
    "{\"name\":\"city\",\"type\":\"string\"},{\"name\":\"zip\",\"type\":\"string\"}]}},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"price\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}}]}";

static void golden_avro_bytes(struct buf *b)
{
    buf_append(b, "\x00\x00\x00\x00\x05", 5);   /* magic, schema id 5 */
    av_long(b, 42);
    av_str(b, "Ada");
    buf_put_u8(b, 1);
    av_double(b, 98.5);
    av_long(b, 2);
    av_str(b, "a");
    av_str(b, "b");
    av_long(b, 0);
    av_str(b, "London");
    av_str(b, "W1");
    av_long(b, 0);                              /* note: null branch */
    av_long(b, 1700000000000);
    av_long(b, 2);
    buf_append(b, "\x30\x39", 2);
}

TEST(golden_same_record_three_formats)
{
    const char *plain[] = {"schemas.enable", "false", NULL};
    struct conv_converter *cj = conv_converter_new("JsonConverter", plain, &E);
    struct conv_converter *cc = conv_converter_new("JsonConverter", NULL, &E);
    struct conv_doc *dj = conv_doc_new(), *dc = conv_doc_new(), *da = conv_doc_new();
    struct mock m = {0, NULL, 200, NULL, "", ""};
    struct conv_converter *ca;
    struct buf reply = BUF_INIT, avro = BUF_INIT;
    uint64_t before;

    buf_append_str(&reply, "{\"schema\":");
    json_append_str(&reply, golden_avsc, strlen(golden_avsc));
    buf_append_str(&reply, "}");
    m.body = buf_cstr(&reply);
    ca = avro_conv(&m, "http://r");
    golden_avro_bytes(&avro);
    ASSERT_OK_E(conv_decode(cj, (const uint8_t *)golden_json, strlen(golden_json), dj, &E), &E);
    ASSERT_OK_E(conv_decode(cc, (const uint8_t *)golden_connect, strlen(golden_connect), dc, &E), &E);
    ASSERT_OK_E(conv_decode(ca, avro.p, avro.len, da, &E), &E);
    ASSERT_TRUE(conv_value_equal(dj, conv_doc_root(dj), dc, conv_doc_root(dc)));
    ASSERT_TRUE(conv_value_equal(dj, conv_doc_root(dj), da, conv_doc_root(da)));
    D = da;
    ASSERT_EQ_STR(dump(), "{\"id\":42,\"name\":\"Ada\",\"active\":true,\"score\":98.5,\"tags\":[\"a\",\"b\"],"
                          "\"address\":{\"city\":\"London\",\"zip\":\"W1\"},\"note\":null,\"ts\":1700000000000,"
                          "\"price\":\"123.45\"}");
    /* and the comparison can fail: one byte changed in the Avro name */
    avro.p[7] = 'E';
    ASSERT_OK(conv_decode(ca, avro.p, avro.len, da, &E));
    ASSERT_FALSE(conv_value_equal(dj, conv_doc_root(dj), da, conv_doc_root(da)));
    avro.p[7] = 'A';
    /* Avro steady state allocates nothing */
    for (int i = 0; i < 10; i++)
        ASSERT_OK(conv_decode(ca, avro.p, avro.len, da, &E));
    before = mem_alloc_count();
    for (int i = 0; i < 5000; i++)
        ASSERT_OK(conv_decode(ca, avro.p, avro.len, da, &E));
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    ASSERT_EQ_INT(m.calls, 1);
    D = NULL;
    conv_converter_free(cj);
    conv_converter_free(cc);
    conv_converter_free(ca);
    conv_doc_free(dj);
    conv_doc_free(dc);
    conv_doc_free(da);
    buf_free(&reply);
    buf_free(&avro);
}

TEST_LIST = {
    T(primitives),
    T(primitive_errors),
    T(complex_types),
    T(structure_errors),
    T(limits),
    T(logical_types),
    T(schema_parser),
    T(registry_framing_and_cache),
    T(registry_errors_are_classified),
    T(converter_settings),
    T(real_http_unreachable_is_retriable),
    T(real_http_registry_with_basic_auth),
    T(golden_same_record_three_formats),
    {0},
};
