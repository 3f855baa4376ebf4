/* Unit tests for the primitive converters and class lookup (src/convert/converter.c). */
#include "../../tests/harness.h"
#include "convert/convert.h"

static struct err E;

static struct conv_converter *mk(const char *cls, const char *const *props)
{
    struct conv_converter *c = conv_converter_new(cls, props, &E);
    if (!c)
        TEST_FAIL("conv_converter_new(%s): %s", cls, E.msg);
    return c;
}

TEST(string_converter)
{
    struct conv_converter *c = mk("org.apache.kafka.connect.storage.StringConverter", NULL);
    struct conv_doc *d = conv_doc_new();
    const char *in = "h\xc3\xa9llo";

    ASSERT_OK(conv_decode(c, (const uint8_t *)in, 6, d, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_STRING);
    ASSERT_TRUE(conv_doc_root(d)->s.p == in);     /* valid UTF-8: no copy */
    ASSERT_EQ_INT(conv_doc_root(d)->s.n, 6);
    ASSERT_OK(conv_decode(c, (const uint8_t *)"", 0, d, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_STRING);
    ASSERT_EQ_INT(conv_doc_root(d)->s.n, 0);
    ASSERT_OK(conv_decode(c, NULL, 0, d, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_NULL);
    conv_converter_free(c);
    conv_doc_free(d);
}

TEST(string_converter_replaces_ill_formed_utf8)
{
    struct conv_converter *c = mk("StringConverter", NULL);
    struct conv_doc *d = conv_doc_new();
    /* Java's decoder: each maximal ill-formed subpart becomes U+FFFD */
    const char *in = "a\xff" "b\xe2\x82" "c\xed\xa0\x80" "d\xf0\x9f\x98";
    const char *want = "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                       "d\xef\xbf\xbd";

    ASSERT_OK(conv_decode(c, (const uint8_t *)in, strlen(in), d, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->s.n, strlen(want));
    ASSERT_EQ_MEM(conv_doc_root(d)->s.p, want, strlen(want));
    conv_converter_free(c);
    conv_doc_free(d);
}

TEST(string_converter_encoding_setting)
{
    const char *utf8[] = {"converter.encoding", "utf8", NULL};
    const char *latin[] = {"converter.encoding", "ISO-8859-1", NULL};
    struct conv_converter *c = mk("String", utf8);

    conv_converter_free(c);
    ASSERT_TRUE(conv_converter_new("StringConverter", latin, &E) == NULL);
    ASSERT_EQ_INT(E.status, ST_CONFIG);
    ASSERT_EQ_STR(E.msg, "StringConverter: converter.encoding 'ISO-8859-1' is not supported (only UTF-8)");
}

TEST(byte_array_converter)
{
    struct conv_converter *c = mk("org.apache.kafka.connect.converters.ByteArrayConverter", NULL);
    struct conv_doc *d = conv_doc_new();
    const uint8_t in[] = {0, 0xff, 0x80, '"'};

    ASSERT_OK(conv_decode(c, in, sizeof(in), d, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_BYTES);
    ASSERT_TRUE((const uint8_t *)conv_doc_root(d)->s.p == in);
    ASSERT_EQ_INT(conv_doc_root(d)->s.n, 4);
    ASSERT_OK(conv_decode(c, NULL, 0, d, &E));
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_NULL);
    conv_converter_free(c);
    conv_doc_free(d);
}

/* Decode @hex with class @cls; returns the root. */
static const struct conv_value *num(struct conv_doc *d, const char *cls, const char *hex)
{
    struct conv_converter *c = mk(cls, NULL);
    enum status st = conv_decode(c, HEX(hex), HEX_LEN(hex), d, &E);
    conv_converter_free(c);
    return st == ST_OK ? conv_doc_root(d) : NULL;
}

TEST(number_converters_big_endian)
{
    struct conv_doc *d = conv_doc_new();
    const struct conv_value *v;

    v = num(d, "org.apache.kafka.connect.converters.ShortConverter", "ff fe");
    ASSERT_EQ_INT(v->type, CONV_INT);
    ASSERT_EQ_INT(v->i, -2);
    ASSERT_EQ_INT(num(d, "ShortConverter", "7f ff")->i, 32767);
    v = num(d, "org.apache.kafka.connect.converters.IntegerConverter", "80 00 00 00");
    ASSERT_EQ_INT(v->type, CONV_INT);
    ASSERT_EQ_INT(v->i, INT32_MIN);
    ASSERT_EQ_INT(num(d, "IntegerConverter", "00 00 01 00")->i, 256);
    v = num(d, "org.apache.kafka.connect.converters.LongConverter", "7f ff ff ff ff ff ff ff");
    ASSERT_TRUE(v->i == INT64_MAX);
    ASSERT_TRUE(num(d, "Long", "ff ff ff ff ff ff ff ff")->i == -1);
    v = num(d, "org.apache.kafka.connect.converters.FloatConverter", "3f c0 00 00");
    ASSERT_EQ_INT(v->type, CONV_DOUBLE);
    ASSERT_TRUE(v->d == 1.5);
    ASSERT_TRUE(num(d, "FloatConverter", "3d cc cc cd")->d == (double)0.1f);   /* widened */
    v = num(d, "org.apache.kafka.connect.converters.DoubleConverter", "40 09 21 fb 54 44 2d 18");
    ASSERT_EQ_INT(v->type, CONV_DOUBLE);
    ASSERT_TRUE(v->d == 3.141592653589793);
    v = num(d, "org.apache.kafka.connect.converters.BooleanConverter", "01");
    ASSERT_EQ_INT(v->type, CONV_BOOL);
    ASSERT_TRUE(v->b);
    ASSERT_FALSE(num(d, "BooleanConverter", "00")->b);
    conv_doc_free(d);
}

TEST(number_converters_wrong_length)
{
    struct conv_doc *d = conv_doc_new();

    ASSERT_TRUE(num(d, "IntegerConverter", "00 00 01") == NULL);
    ASSERT_EQ_INT(E.status, ST_PARSE);
    ASSERT_EQ_STR(E.msg, "IntegerConverter: expected 4 bytes, got 3");
    ASSERT_TRUE(num(d, "LongConverter", "00 00 00 00") == NULL);
    ASSERT_EQ_STR(E.msg, "LongConverter: expected 8 bytes, got 4");
    ASSERT_TRUE(num(d, "ShortConverter", "") == NULL);
    ASSERT_EQ_STR(E.msg, "ShortConverter: expected 2 bytes, got 0");
    ASSERT_TRUE(num(d, "DoubleConverter", "00 00 00 00 00 00 00 00 00") == NULL);
    ASSERT_EQ_STR(E.msg, "DoubleConverter: expected 8 bytes, got 9");
    ASSERT_TRUE(num(d, "FloatConverter", "00") == NULL);
    ASSERT_EQ_STR(E.msg, "FloatConverter: expected 4 bytes, got 1");
    ASSERT_TRUE(num(d, "BooleanConverter", "02") == NULL);
    ASSERT_EQ_STR(E.msg, "BooleanConverter: byte 0x02 is neither 0 nor 1");
    ASSERT_TRUE(num(d, "BooleanConverter", "0000") == NULL);
    ASSERT_EQ_STR(E.msg, "BooleanConverter: expected 1 byte, got 2");
    ASSERT_EQ_INT(status_class(E.status), CLASS_RECORD);
    conv_doc_free(d);
}

TEST(aliases)
{
    const char *names[] = {"JsonConverter", "Json", "StringConverter", "ByteArray", "LongConverter",
                           "io.confluent.connect.avro.AvroConverter"};
    const char *want[] = {"org.apache.kafka.connect.json.JsonConverter",
                          "org.apache.kafka.connect.json.JsonConverter",
                          "org.apache.kafka.connect.storage.StringConverter",
                          "org.apache.kafka.connect.converters.ByteArrayConverter",
                          "org.apache.kafka.connect.converters.LongConverter"};
    const char *schemaless[] = {"schemas.enable", "false", NULL};

    for (size_t i = 0; i < 5; i++) {
        struct conv_converter *c = mk(names[i], schemaless);
        ASSERT_EQ_STR(conv_converter_class(c), want[i]);
        conv_converter_free(c);
    }
    ASSERT_TRUE(conv_converter_new("Converter", NULL, &E) == NULL);
    ASSERT_TRUE(conv_converter_new("jsonconverter", NULL, &E) == NULL);
    ASSERT_TRUE(conv_converter_new(NULL, NULL, &E) == NULL);
    ASSERT_EQ_INT(E.status, ST_CONFIG);
    ASSERT_EQ_STR(conv_supported_classes[0], "org.apache.kafka.connect.json.JsonConverter");
}

TEST(input_limit)
{
    struct conv_converter *c = mk("ByteArrayConverter", NULL);
    struct conv_doc *d = conv_doc_new();
    struct conv_limits lim = {8, 100, 4};

    conv_doc_set_limits(d, &lim);
    ASSERT_OK(conv_decode(c, (const uint8_t *)"abcd", 4, d, &E));
    ASSERT_ST(conv_decode(c, (const uint8_t *)"abcde", 5, d, &E), ST_TOO_BIG);
    ASSERT_EQ_STR(E.msg, "ByteArrayConverter: record of 5 bytes is over the limit of 4");
    ASSERT_TRUE(conv_doc_root(d) == NULL);
    conv_converter_free(c);
    conv_doc_free(d);
}

TEST(primitives_allocate_nothing_per_record)
{
    struct conv_converter *s = mk("StringConverter", NULL), *l = mk("LongConverter", NULL);
    struct conv_doc *d = conv_doc_new();
    uint64_t before;

    ASSERT_OK(conv_decode(s, (const uint8_t *)"bad\xff", 4, d, &E));
    ASSERT_OK(conv_decode(l, HEX("0000000000000001"), 8, d, &E));
    before = mem_alloc_count();
    for (int i = 0; i < 1000; i++) {
        ASSERT_OK(conv_decode(s, (const uint8_t *)"bad\xff", 4, d, &E));
        ASSERT_OK(conv_decode(s, (const uint8_t *)"good", 4, d, &E));
        ASSERT_OK(conv_decode(l, HEX("0000000000000001"), 8, d, &E));
    }
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    conv_converter_free(s);
    conv_converter_free(l);
    conv_doc_free(d);
}

TEST_LIST = {
    T(string_converter),
    T(string_converter_replaces_ill_formed_utf8),
    T(string_converter_encoding_setting),
    T(byte_array_converter),
    T(number_converters_big_endian),
    T(number_converters_wrong_length),
    T(aliases),
    T(input_limit),
    T(primitives_allocate_nothing_per_record),
    {0},
};
