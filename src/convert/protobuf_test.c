/* Unit tests for Protobuf: the .proto parser (protobuf_schema.c), the binary decoder, the
 * message indexes and the Schema Registry converter (protobuf.c). Records are hand-encoded with
 * tests/support/pb_enc.c (no protoc here). */
#include "../../tests/harness.h"
#include "../../tests/support/pb_enc.h"
#include "convert/protobuf_int.h"

static struct err E;
static struct conv_doc *D;
static struct buf OUT;
static struct conv__pb_opts O = {false, false, true};

static struct conv__pbsc *schema(const char *text)
{
    struct conv__pbsc *s = conv__pbsc_parse(text, strlen(text), &E);
    if (!s)
        TEST_FAIL("schema: %s", E.msg);
    return s;
}

static uint32_t msg_named(const struct conv__pbsc *s, const char *name)
{
    for (uint32_t i = 0; i < s->nmsgs; i++)
        if (str_eq(s->msgs[i].name, s->msgs[i].name_n, name))
            return i;
    TEST_FAIL("no message %s", name);
}

static const char *dump(void)
{
    buf_reset(&OUT);
    conv_value_dump(D, conv_doc_root(D), &OUT);
    return buf_cstr(&OUT);
}

/* Decode @p[0..n) as message @name of the schema @proto. The schema stays alive until the next
 * call: the document's field names and enum symbols point into it. */
static enum status dec(const char *proto, const char *name, const void *p, size_t n)
{
    static struct conv__pbsc *s;

    conv__pbsc_free(s);
    s = schema(proto);
    if (!D)
        D = conv_doc_new();
    return conv__pb_decode_value(s, msg_named(s, name), &O, p, n, D, &E);
}

#define ASSERT_PB(proto, name, b, want)                            \
    do {                                                           \
        ASSERT_OK_E(dec(proto, name, (b)->p, (b)->len), &E);       \
        ASSERT_EQ_STR(dump(), want);                               \
    } while (0)
#define ASSERT_PB_HEX(proto, name, hex, want)                      \
    do {                                                           \
        ASSERT_OK_E(dec(proto, name, HEX(hex), HEX_LEN(hex)), &E); \
        ASSERT_EQ_STR(dump(), want);                               \
    } while (0)
#define ASSERT_PB_ERR(proto, name, hex, st, text)                  \
    do {                                                           \
        ASSERT_ST(dec(proto, name, HEX(hex), HEX_LEN(hex)), st);   \
        ASSERT_EQ_STR(E.msg, text);                                \
    } while (0)
#define ASSERT_SCHEMA_ERR(text, st, want)                                          \
    do {                                                                           \
        ASSERT_TRUE(conv__pbsc_parse(text, strlen(text), &E) == NULL);             \
        ASSERT_EQ_INT(E.status, st);                                               \
        ASSERT_EQ_STR(E.msg, want);                                                \
    } while (0)

static const char *all_scalars =
    "syntax = \"proto3\";\n"
    "message S {\n"
    "  double d = 1; float f = 2; int64 i64 = 3; uint64 u64 = 4; int32 i32 = 5; fixed64 fx64 = 6;\n"
    "  fixed32 fx32 = 7; bool b = 8; string s = 9; bytes by = 12; uint32 u32 = 13; sfixed32 sf32 = 15;\n"
    "  sfixed64 sf64 = 16; sint32 si32 = 17; sint64 si64 = 18;\n"
    "}\n";

TEST(every_scalar_type_and_wire_type)
{
    struct buf b = BUF_INIT;

    pb_double_field(&b, 1, 2.5);
    pb_float_field(&b, 2, 0.1f);
    pb_varint_field(&b, 3, (uint64_t)-5);                 /* int64 -5: ten bytes */
    pb_varint_field(&b, 4, UINT64_MAX);                   /* uint64 max: Java's long -1 */
    pb_varint_field(&b, 5, (uint64_t)(int64_t)-7);        /* int32 -7, sign-extended to ten bytes */
    pb_fixed64_field(&b, 6, 0x8000000000000000ull);
    pb_fixed32_field(&b, 7, 0xffffffffu);                 /* fixed32: unsigned */
    pb_varint_field(&b, 8, 1);
    pb_str_field(&b, 9, "h\xc3\xa9");
    pb_bytes_field(&b, 12, "\x00\xff", 2);
    pb_varint_field(&b, 13, 4294967295u);                 /* uint32 max stays positive */
    pb_fixed32_field(&b, 15, (uint32_t)-3);
    pb_fixed64_field(&b, 16, (uint64_t)-4);
    pb_varint_field(&b, 17, pb_zigzag(-64));
    pb_varint_field(&b, 18, pb_zigzag(INT64_MIN));
    ASSERT_PB(all_scalars, "S", &b,
              "{\"d\":2.5,\"f\":0.10000000149011612,\"i64\":-5,\"u64\":-1,\"i32\":-7,"
              "\"fx64\":-9223372036854775808,\"fx32\":4294967295,\"b\":true,\"s\":\"h\xc3\xa9\","
              "\"by\":b64\"AP8=\",\"u32\":4294967295,\"sf32\":-3,\"sf64\":-4,\"si32\":-64,"
              "\"si64\":-9223372036854775808}");
    /* proto3 without presence: every absent scalar is its zero value */
    ASSERT_PB_HEX(all_scalars, "S", "",
                  "{\"d\":0,\"f\":0,\"i64\":0,\"u64\":0,\"i32\":0,\"fx64\":0,\"fx32\":0,\"b\":false,\"s\":\"\","
                  "\"by\":b64\"\",\"u32\":0,\"sf32\":0,\"sf64\":0,\"si32\":0,\"si64\":0}");
    /* int32 keeps the low 32 bits of a longer varint; bool is any non-zero varint */
    ASSERT_PB_HEX("syntax=\"proto3\"; message M { int32 a = 1; bool b = 2; }", "M",
                  "08 ffffffff1f 10 80 01", "{\"a\":-1,\"b\":true}");
    buf_free(&b);
}

TEST(wire_rules_last_wins_unknown_and_mismatched_fields_skipped)
{
    const char *p = "syntax = \"proto3\"; message M { int32 a = 1; string s = 2; }";

    /* last value wins */
    ASSERT_PB_HEX(p, "M", "08 01 08 02 12 01 78 12 01 79", "{\"a\":2,\"s\":\"y\"}");
    /* unknown fields of every wire type, groups included, are skipped */
    ASSERT_PB_HEX(p, "M", "18 05 21 0102030405060708 2a 02 6869 35 01020304 3b 08 01 3c 08 09",
                  "{\"a\":9,\"s\":\"\"}");
    /* a known field with the wrong wire type is an unknown field to protobuf-java */
    ASSERT_PB_HEX(p, "M", "0a 01 05 15 01020304", "{\"a\":0,\"s\":\"\"}");
    /* fields in any order */
    ASSERT_PB_HEX(p, "M", "12 01 7a 08 03", "{\"a\":3,\"s\":\"z\"}");
}

TEST(repeated_packed_unpacked_and_interleaved)
{
    const char *p = "syntax = \"proto3\";\n"
                    "message M { repeated int32 n = 1; repeated string s = 2; repeated double d = 3;\n"
                    "  repeated sint64 z = 4 [packed = false]; repeated Sub m = 5; }\n"
                    "message Sub { int32 x = 1; }";
    struct buf b = BUF_INIT;
    size_t at;

    at = pb_begin(&b, 1);           /* packed 1, 300 */
    pb_varint(&b, 1);
    pb_varint(&b, 300);
    pb_end(&b, at);
    pb_str_field(&b, 2, "a");
    pb_varint_field(&b, 1, 7);      /* unpacked, after a packed run: appended */
    pb_str_field(&b, 2, "b");
    pb_double_field(&b, 3, 1.5);    /* unpacked double */
    at = pb_begin(&b, 3);           /* packed doubles */
    pb_double_field(&b, 0, 0);      /* placeholder removed below */
    b.len = at;
    pb_end(&b, at);                 /* an empty packed run adds nothing */
    pb_varint_field(&b, 4, pb_zigzag(-1));
    at = pb_begin(&b, 4);           /* packed even though [packed=false]: parsers accept both */
    pb_varint(&b, pb_zigzag(2));
    pb_end(&b, at);
    at = pb_begin(&b, 5);
    pb_varint_field(&b, 1, 10);
    pb_end(&b, at);
    at = pb_begin(&b, 5);
    pb_end(&b, at);                 /* an empty element: all defaults */
    ASSERT_PB(p, "M", &b,
              "{\"n\":[1,300,7],\"s\":[\"a\",\"b\"],\"d\":[1.5],\"z\":[-1,2],\"m\":[{\"x\":10},{\"x\":0}]}");
    ASSERT_PB_HEX(p, "M", "", "{\"n\":[],\"s\":[],\"d\":[],\"z\":[],\"m\":[]}");
    /* packed fixed-width values must fill the run */
    ASSERT_PB_ERR(p, "M", "1a 03 000000", ST_PARSE,
                  "Protobuf: d[0]: packed values end inside a 8-byte value (at byte 2)");
    ASSERT_PB_ERR(p, "M", "0a 01 80", ST_PARSE, "Protobuf: n[0]: truncated varint (at byte 2)");
    buf_free(&b);
}

TEST(embedded_messages_merge_and_absent_is_null)
{
    const char *p = "syntax = \"proto3\";\n"
                    "message M { Inner in = 1; int32 k = 2; }\n"
                    "message Inner { int32 a = 1; int32 b = 2; repeated int32 r = 3; Inner next = 4; }";
    struct buf b = BUF_INIT;
    size_t at, at2;

    ASSERT_PB_HEX(p, "M", "", "{\"in\":null,\"k\":0}");
    /* a singular message sent twice merges: scalars of the later win, repeated ones append,
     * nested messages merge too */
    at = pb_begin(&b, 1);
    pb_varint_field(&b, 1, 1);
    pb_varint_field(&b, 3, 5);
    at2 = pb_begin(&b, 4);
    pb_varint_field(&b, 1, 100);
    pb_end(&b, at2);
    pb_end(&b, at);
    pb_varint_field(&b, 2, 9);
    at = pb_begin(&b, 1);
    pb_varint_field(&b, 2, 2);
    pb_varint_field(&b, 3, 6);
    at2 = pb_begin(&b, 4);
    pb_varint_field(&b, 2, 200);
    pb_end(&b, at2);
    pb_end(&b, at);
    ASSERT_PB(p, "M", &b,
              "{\"in\":{\"a\":1,\"b\":2,\"r\":[5,6],\"next\":{\"a\":100,\"b\":200,\"r\":[],\"next\":null}},\"k\":9}");
    /* the inner message's own bytes are checked */
    ASSERT_PB_ERR(p, "M", "0a 02 08 80", ST_PARSE, "Protobuf: in: truncated varint (at byte 2)");
    buf_free(&b);
}

TEST(enums_names_numbers_and_unknown_values)
{
    const char *p = "syntax = \"proto3\";\n"
                    "enum Color { RED = 0; GREEN = 1; option allow_alias = true; VERT = 1; BLUE = -2; }\n"
                    "message M { Color c = 1; repeated Color cs = 2; Color other = 3; }";

    ASSERT_PB_HEX(p, "M", "08 01 12 03 00 01 00 10 00",
                  "{\"c\":\"GREEN\",\"cs\":[\"RED\",\"GREEN\",\"RED\",\"RED\"],\"other\":\"RED\"}");
    ASSERT_PB_HEX(p, "M", "08 feffffffffffffffff01", "{\"c\":\"BLUE\",\"cs\":[],\"other\":\"RED\"}");
    /* a number the enum does not declare is refused rather than guessed */
    ASSERT_PB_ERR(p, "M", "08 07", ST_PARSE, "Protobuf: c: enum Color has no value 7 (at byte 1)");
    O.int_for_enums = true;
    ASSERT_PB_HEX(p, "M", "08 01 18 07", "{\"c\":1,\"cs\":[],\"other\":7}");
    O.int_for_enums = false;
}

TEST(oneof_is_a_nested_struct_named_after_it)
{
    const char *p = "syntax = \"proto3\";\n"
                    "message M {\n"
                    "  int32 id = 1;\n"
                    "  oneof kind { string name = 2; Sub sub = 3; int64 num = 4; }\n"
                    "  oneof other { bool flag = 5; }\n"
                    "}\n"
                    "message Sub { int32 x = 1; }";

    ASSERT_PB_HEX(p, "M", "08 01 12 02 6869",
                  "{\"kind_0\":{\"name\":\"hi\",\"sub\":null,\"num\":null},\"other_1\":null,\"id\":1}");
    /* the last member set wins */
    ASSERT_PB_HEX(p, "M", "12 02 6869 20 05 28 00",
                  "{\"kind_0\":{\"name\":null,\"sub\":null,\"num\":5},\"other_1\":{\"flag\":false},\"id\":0}");
    ASSERT_PB_HEX(p, "M", "1a 02 08 03",
                  "{\"kind_0\":{\"name\":null,\"sub\":{\"x\":3},\"num\":null},\"other_1\":null,\"id\":0}");
    /* a message member sent again after another member: which parts survive is not clear */
    ASSERT_PB_ERR(p, "M", "1a 02 08 03 20 05 1a 00", ST_PARSE,
                  "Protobuf: kind.sub: oneof member sent again after another member (merge order is ambiguous) "
                  "(at byte 8)");
    O.index_for_unions = false;
    ASSERT_PB_HEX(p, "M", "", "{\"kind\":null,\"other\":null,\"id\":0}");
    O.index_for_unions = true;
}

TEST(maps)
{
    const char *p = "syntax = \"proto3\";\n"
                    "message M { map<string, int32> counts = 1; map<int64, Sub> subs = 2; map<bool, Color> c = 3; }\n"
                    "message Sub { string v = 1; }\n"
                    "enum Color { RED = 0; BLUE = 1; }";
    struct buf b = BUF_INIT;
    size_t at, at2;

    at = pb_begin(&b, 1);
    pb_str_field(&b, 1, "a");
    pb_varint_field(&b, 2, 1);
    pb_end(&b, at);
    at = pb_begin(&b, 1);
    pb_varint_field(&b, 2, 5);     /* value before key is fine */
    pb_str_field(&b, 1, "b");
    pb_end(&b, at);
    at = pb_begin(&b, 1);
    pb_str_field(&b, 1, "a");      /* the same key again: the last entry wins */
    pb_varint_field(&b, 2, 3);
    pb_end(&b, at);
    at = pb_begin(&b, 1);          /* an empty entry: key "" and value 0 */
    pb_end(&b, at);
    at = pb_begin(&b, 2);
    pb_varint_field(&b, 1, (uint64_t)-1);
    at2 = pb_begin(&b, 2);
    pb_str_field(&b, 1, "x");
    pb_end(&b, at2);
    pb_end(&b, at);
    at = pb_begin(&b, 2);          /* no value: the message's default instance */
    pb_varint_field(&b, 1, 2);
    pb_end(&b, at);
    at = pb_begin(&b, 3);
    pb_varint_field(&b, 1, 1);
    pb_varint_field(&b, 2, 1);
    pb_end(&b, at);
    ASSERT_PB(p, "M", &b,
              "{\"counts\":{\"b\":5,\"a\":3,\"\":0},\"subs\":{-1:{\"v\":\"x\"},2:{\"v\":\"\"}},\"c\":{true:\"BLUE\"}}");
    ASSERT_PB_HEX(p, "M", "", "{\"counts\":{},\"subs\":{},\"c\":{}}");
    buf_free(&b);
}

TEST(proto2_defaults_required_and_proto3_optional)
{
    const char *p2 = "syntax = \"proto2\";\n"
                     "message M {\n"
                     "  optional int32 a = 1 [default = -12];\n"
                     "  optional string s = 2 [default = \"a\\\"b\\x41\\101\\n\"];\n"
                     "  optional double d = 3 [default = -inf];\n"
                     "  optional E e = 4 [default = Y];\n"
                     "  optional bool t = 5 [default = true];\n"
                     "  optional uint64 u = 6 [default = 0xffffffffffffffff];\n"
                     "  optional bytes by = 7 [default = \"\\001\"];\n"
                     "  optional float f = 8 [default = 1.5e1];\n"
                     "  required int32 r = 9;\n"
                     "  optional string plain = 10;\n"
                     "  enum E { X = 1; Y = 2; }\n"
                     "}";
    const char *p3 = "syntax = \"proto3\"; message M { optional int32 a = 1; optional string s = 2; int32 c = 3; }";

    ASSERT_PB_HEX(p2, "M", "48 01",
                  "{\"a\":-12,\"s\":\"a\\\"bAA\\n\",\"d\":-Infinity,\"e\":\"Y\",\"t\":true,\"u\":-1,\"by\":b64\"AQ==\","
                  "\"f\":15,\"r\":1,\"plain\":\"\"}");
    ASSERT_PB_ERR(p2, "M", "08 01", ST_PARSE, "Protobuf: required field r of M is missing (at byte 0)");
    /* proto2 strings are not checked: ill-formed UTF-8 becomes U+FFFD, as Java's decoder does */
    ASSERT_OK(dec(p2, "M", HEX("48 01 52 02 61ff"), 6));
    ASSERT_EQ_STR(dump(), "{\"a\":-12,\"s\":\"a\\\"bAA\\n\",\"d\":-Infinity,\"e\":\"Y\",\"t\":true,\"u\":-1,"
                          "\"by\":b64\"AQ==\",\"f\":15,\"r\":1,\"plain\":\"a\xef\xbf\xbd\"}");
    /* proto3 explicit presence: absent -> null */
    ASSERT_PB_HEX(p3, "M", "", "{\"a\":null,\"s\":null,\"c\":0}");
    ASSERT_PB_HEX(p3, "M", "08 00 12 00", "{\"a\":0,\"s\":\"\",\"c\":0}");
    /* proto3 strings must be UTF-8 */
    ASSERT_PB_ERR(p3, "M", "12 02 61ff", ST_PARSE, "Protobuf: s: invalid UTF-8 at string byte 1 (at byte 2)");
}

TEST(well_known_timestamp_and_wrappers)
{
    const char *p = "syntax = \"proto3\";\n"
                    "import \"google/protobuf/timestamp.proto\";\n"
                    "import public \"google/protobuf/wrappers.proto\";\n"
                    "message M { google.protobuf.Timestamp ts = 1; google.protobuf.StringValue name = 2;\n"
                    "  .google.protobuf.Int64Value n = 3; repeated google.protobuf.Timestamp all = 4; }";
    struct buf b = BUF_INIT;
    size_t at;

    at = pb_begin(&b, 1);
    pb_varint_field(&b, 1, 1700000000);
    pb_varint_field(&b, 2, 123456789);
    pb_end(&b, at);
    at = pb_begin(&b, 2);
    pb_str_field(&b, 1, "x");
    pb_end(&b, at);
    at = pb_begin(&b, 4);
    pb_varint_field(&b, 1, (uint64_t)-1);   /* 1969-12-31T23:59:59.5 -> -500 ms (truncated) */
    pb_varint_field(&b, 2, 500000000);
    pb_end(&b, at);
    ASSERT_PB(p, "M", &b, "{\"ts\":1700000000123,\"name\":{\"value\":\"x\"},\"n\":null,\"all\":[-500]}");
    O.wrapper_for_nullables = true;
    ASSERT_PB(p, "M", &b, "{\"ts\":1700000000123,\"name\":\"x\",\"n\":null,\"all\":[-500]}");
    ASSERT_PB_HEX(p, "M", "1a 00", "{\"ts\":null,\"name\":null,\"n\":0,\"all\":[]}");
    O.wrapper_for_nullables = false;
    ASSERT_PB_ERR(p, "M", "0a 02 10 7f 0a 06 10 80 94 eb dc 03", ST_PARSE,
                  "Protobuf: ts: invalid google.protobuf.Timestamp (seconds 0, nanos 1000000000) (at byte 7)");
    buf_free(&b);
}

TEST(wire_errors_name_field_path_and_offset)
{
    const char *p = "syntax = \"proto3\"; message M { Sub s = 1; repeated Sub l = 2; }\n"
                    "message Sub { string t = 1; }";

    ASSERT_PB_ERR(p, "M", "08", ST_PARSE, "Protobuf: truncated varint (at byte 0)");
    ASSERT_PB_ERR(p, "M", "0a 05 00", ST_PARSE, "Protobuf: field 1: length 5 is past the end (1 bytes left) (at byte 0)");
    ASSERT_PB_ERR(p, "M", "00 00", ST_PARSE, "Protobuf: field number 0 (at byte 0)");
    ASSERT_PB_ERR(p, "M", "0e", ST_PARSE, "Protobuf: field 1: invalid wire type 6 (at byte 0)");
    ASSERT_PB_ERR(p, "M", "0c", ST_PARSE, "Protobuf: field 1: end of a group that was not started (at byte 0)");
    ASSERT_PB_ERR(p, "M", "0b 08 01", ST_PARSE, "Protobuf: group 1 has no end tag (at byte 3)");
    ASSERT_PB_ERR(p, "M", "13 1c", ST_PARSE, "Protobuf: end of group 3 inside group 2 (at byte 1)");
    ASSERT_PB_ERR(p, "M", "0d 0102", ST_PARSE, "Protobuf: field 1: truncated 4-byte value (at byte 0)");
    ASSERT_PB_ERR(p, "M", "08 ffffffffffffffffffff01", ST_PARSE, "Protobuf: varint longer than 10 bytes (at byte 0)");
    ASSERT_PB_ERR(p, "M", "ffffffff7f", ST_PARSE, "Protobuf: field tag 34359738367 is over 32 bits (at byte 0)");
    ASSERT_PB_ERR(p, "M", "12 00 12 03 0a 01 ff", ST_PARSE,
                  "Protobuf: l[1].t: invalid UTF-8 at string byte 0 (at byte 6)");
}

TEST(limits)
{
    const char *p = "syntax = \"proto3\"; message L { L next = 1; repeated int32 n = 2; }";
    struct conv__pbsc *s = schema(p);
    struct conv_limits lim = {4, 8, 1024};
    struct conv_doc *d = conv_doc_new();
    struct buf b = BUF_INIT;
    size_t at[8];

    conv_doc_set_limits(d, &lim);
    for (int i = 0; i < 5; i++)
        at[i] = pb_begin(&b, 1);
    for (int i = 4; i >= 0; i--)
        pb_end(&b, at[i]);
    ASSERT_ST(conv__pb_decode_value(s, 0, &O, b.p, b.len, d, &E), ST_TOO_BIG);
    ASSERT_CONTAINS(E.msg, "nesting deeper than 4");
    ASSERT_EQ_INT(conv_doc_count(d), 0);
    ASSERT_ST(conv__pb_decode_value(s, 0, &O, HEX("12 06 010203040506"), 8, d, &E), ST_TOO_BIG);
    ASSERT_EQ_STR(E.msg, "Protobuf: n[3]: more than 8 values in one record (at byte 2)");
    lim.max_input = 4;
    conv_doc_set_limits(d, &lim);
    ASSERT_ST(conv__pb_decode_value(s, 0, &O, HEX("12 03 010203"), 5, d, &E), ST_TOO_BIG);
    ASSERT_EQ_STR(E.msg, "Protobuf: record of 5 bytes is over the limit of 4");
    conv__pbsc_free(s);
    conv_doc_free(d);
    buf_free(&b);
}

/* N(k) = a{N(k-1)} a{} b{N(k-1)} b{}: every message at every level is sent twice, so each of
 * the 2^k merged messages finds its occurrences by re-reading its ancestors. */
static void merge_tree(struct buf *b, int k)
{
    for (uint32_t no = 1; k > 0 && no <= 2; no++) {
        size_t at = pb_begin(b, no);
        merge_tree(b, k - 1);
        pb_end(b, at);
        pb_end(b, pb_begin(b, no));
    }
}

/* As many unknown fields as the tree has bytes, then the tree: every re-read of the root
 * reads them all. */
static void merge_record(struct buf *b, int k)
{
    struct buf t = BUF_INIT;

    merge_tree(&t, k);
    for (size_t i = 0; i < t.len; i += 2)
        pb_varint_field(b, 9, 0);
    buf_append(b, t.p, t.len);
    buf_free(&t);
}

TEST(merging_repeated_messages_stays_linear)
{
    const char *p = "syntax = \"proto3\"; message T { T a = 1; T b = 2; }";
    struct conv__pbsc *s = schema(p);
    struct conv_doc *d = conv_doc_new();
    struct buf b = BUF_INIT;
    uint64_t work[3];
    size_t len[3];
    enum status st[3];

    for (int i = 0; i < 3; i++) {
        buf_reset(&b);
        merge_record(&b, 6 + 2 * i);   /* about 4x the bytes each step */
        len[i] = b.len;
        st[i] = conv__pb_decode_counted(s, 0, &O, b.p, b.len, d, &work[i], &E);
        fprintf(stderr, "  merge tree of %zu bytes: %s, work %" PRIu64 " (%.1f x the bytes)\n", len[i],
                status_str(st[i]), work[i], (double)work[i] / (double)len[i]);
    }
    for (int i = 0; i < 3; i++)
        ASSERT_TRUE(work[i] <= (CONV__PB_REREAD_FACTOR + 4) * (uint64_t)MAX(len[i], 1024) * 2);
    ASSERT_ST(st[2], ST_TOO_BIG);
    ASSERT_CONTAINS(E.msg, "merging a message sent several times re-reads more than");
    fprintf(stderr, "  %s\n", E.msg);
    ASSERT_EQ_INT(conv_doc_count(d), 0);
    /* the ordinary merge still works (embedded_messages_merge_and_absent_is_null has more) */
    buf_reset(&b);
    merge_record(&b, 3);
    ASSERT_OK_E(conv__pb_decode_value(s, 0, &O, b.p, b.len, d, &E), &E);
    conv__pbsc_free(s);
    conv_doc_free(d);
    buf_free(&b);
}

TEST(grammar)
{
    /* comments, options of every shape, reserved, extensions, extend, service, nested types,
     * field options, empty statements, a proto2 file without syntax */
    const char *p =
        "// leading comment\n"
        "/* block\n comment */ syntax = 'proto2';\n"
        "package a.b;\n"
        "option java_package = \"x.y\"; option (my.opt).sub = { a: 1 b: [2, 3] };\n"
        "option optimize_for = SPEED;;\n"
        "message Outer {\n"
        "  option (m) = -1.5e3;\n"
        "  reserved 5, 7 to 9, 100 to max; reserved \"old\", 'older';\n"
        "  extensions 1000 to 1999 [verification = UNVERIFIED];\n"
        "  message Inner { enum E { option allow_alias = true; A = 0; B = 1 [deprecated = true]; reserved 2; } "
        "optional E e = 1; }\n"
        "  optional Inner in = 1 [deprecated = true, json_name = \"IN\", (c.d).e = \"f\"];\n"
        "  repeated int32 r = 2 [packed = true];\n"
        "  required string req = 3;\n"
        "  optional group_like g = 4;\n"
        "  message group_like {}\n"
        "  map<sfixed64, string> m = 6;\n"
        "  extend Other { optional int32 ext = 1000; }\n"
        "  oneof o { option (x) = 1; int32 oi = 10; string os = 11; }\n"
        "}\n"
        "message Other { extensions 1000 to max; }\n"
        "extend Other { optional string ext2 = 1001; }\n"
        "service S { rpc Get (Outer) returns (Other) { option (http) = { get: \"/v1\" }; } }\n"
        "enum Top { T0 = 0; T1 = 0x10; T2 = -0; }\n";
    struct conv__pbsc *s = schema(p);
    const struct conv__pbmsg *m = &s->msgs[msg_named(s, "a.b.Outer")];

    ASSERT_EQ_INT(s->ntop, 2);
    ASSERT_EQ_INT(m->n, 7);
    ASSERT_EQ_INT(m->nkids, 2);
    ASSERT_EQ_STR(s->msgs[s->kids[m->kfirst]].name, "a.b.Outer.Inner");
    ASSERT_EQ_STR(s->msgs[s->kids[m->kfirst + 1]].name, "a.b.Outer.group_like");
    ASSERT_EQ_INT(s->fields[m->first].type, PB_MESSAGE);
    ASSERT_EQ_INT(s->fields[m->first + 1].label, PBL_REPEATED);
    ASSERT_EQ_INT(s->fields[m->first + 2].label, PBL_REQUIRED);
    ASSERT_EQ_INT(s->fields[m->first + 4].ktype, PB_SFIXED64);
    ASSERT_EQ_INT(s->fields[m->first + 4].type, PB_STRING);
    ASSERT_EQ_INT(s->fields[m->first + 5].oneof, m->ofirst);
    ASSERT_EQ_STR(s->oneofs[m->ofirst].iname, "o_0");
    ASSERT_EQ_INT(s->enums[1].n, 3);
    ASSERT_EQ_INT(s->vals[s->enums[1].first + 1].number, 16);
    ASSERT_FALSE(s->msgs[0].proto3);
    conv__pbsc_free(s);
    /* no syntax statement: proto2 */
    s = schema("message M { optional int32 a = 1; }");
    ASSERT_FALSE(s->msgs[0].proto3);
    conv__pbsc_free(s);
    /* a message may be called "map" */
    s = schema("syntax=\"proto3\"; message map { int32 x = 1; } message M { map m = 1; }");
    ASSERT_EQ_INT(s->fields[s->msgs[1].first].type, PB_MESSAGE);
    conv__pbsc_free(s);
}

TEST(scope_resolution)
{
    const char *p = "syntax = \"proto3\";\n"
                    "package pkg.sub;\n"
                    "message A { int32 top = 1; }\n"
                    "message Outer {\n"
                    "  message A { int32 inner = 1; }\n"
                    "  message Mid { message A { int32 deepest = 1; } A a1 = 1; Outer.A a2 = 2; .pkg.sub.A a3 = 3;\n"
                    "    sub.A a4 = 4; pkg.sub.Outer.A a5 = 5; Mid.A a6 = 6; }\n"
                    "  A a = 1; Mid m = 2;\n"
                    "}\n";
    struct conv__pbsc *s = schema(p);
    const struct conv__pbmsg *mid = &s->msgs[msg_named(s, "pkg.sub.Outer.Mid")];
    const char *want[] = {"pkg.sub.Outer.Mid.A", "pkg.sub.Outer.A", "pkg.sub.A", "pkg.sub.A", "pkg.sub.Outer.A",
                          "pkg.sub.Outer.Mid.A"};

    for (uint32_t i = 0; i < 6; i++) {
        const struct conv__pbfield *f = &s->fields[mid->first + i];
        ASSERT_EQ_INT(f->type, PB_MESSAGE);
        ASSERT_EQ_STR(s->msgs[f->ref].name, want[i]);
    }
    ASSERT_EQ_STR(s->msgs[s->fields[s->msgs[msg_named(s, "pkg.sub.Outer")].first].ref].name, "pkg.sub.Outer.A");
    conv__pbsc_free(s);
    /* the innermost scope that knows the first component decides, even when the rest is missing */
    ASSERT_SCHEMA_ERR("syntax=\"proto3\"; message B { int32 x = 1; }\n"
                      "message O { message B {} B.C f = 1; }",
                      ST_PARSE, "line 2 col 26: type 'B.C': 'O.B.C' is not a message or enum");
    ASSERT_SCHEMA_ERR("syntax=\"proto3\"; message O { Nope f = 1; }", ST_PARSE,
                      "line 1 col 30: unknown type 'Nope'");
    ASSERT_SCHEMA_ERR("syntax=\"proto3\"; package p; message O { .O f = 1; }", ST_PARSE,
                      "line 1 col 41: unknown type '.O'");
}

TEST(schema_errors_name_line_and_column)
{
    ASSERT_SCHEMA_ERR("syntax = \"proto4\";", ST_PARSE, "line 1 col 10: expected \"proto2\" or \"proto3\", got a string");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\";\nmessage M {\n  int32 a = 1\n}", ST_PARSE,
                      "line 4 col 1: expected ';', got '}'");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\";\nmessage M { int32 a = 0; }", ST_PARSE,
                      "line 2 col 23: field number '0' is not in 1..536870911");
    ASSERT_SCHEMA_ERR("message M { optional int32 a = 19000; }", ST_PARSE,
                      "line 1 col 32: field number 19000 is reserved for the protobuf implementation");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\";\nmessage M { int32 a = 1; string b = 1; }", ST_PARSE,
                      "line 2 col 26: field number 1 is used twice in M");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\";\nmessage M { int32 a = 1; string a = 2; }", ST_PARSE,
                      "line 2 col 26: field 'a' is defined twice in M");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M {} message M {}", ST_PARSE, "'M' is defined twice");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { required int32 a = 1; }", ST_PARSE,
                      "line 1 col 32: required fields are not allowed in proto3");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { int32 a = 1 [default = 3]; }", ST_PARSE,
                      "line 1 col 45: explicit default values are not allowed in proto3");
    ASSERT_SCHEMA_ERR("message M { optional int32 a = 1 [default = x]; }", ST_PARSE,
                      "line 1 col 45: invalid default x for a int32 field");
    ASSERT_SCHEMA_ERR("message M { optional int32 a = 1 [default = 2147483648]; }", ST_PARSE,
                      "line 1 col 45: invalid default 2147483648 for a int32 field");
    ASSERT_SCHEMA_ERR("message M { optional uint32 a = 1 [default = -1]; }", ST_PARSE,
                      "line 1 col 46: invalid default -1 for a uint32 field");
    ASSERT_SCHEMA_ERR("message M { optional string a = 1 [default = 1]; }", ST_PARSE,
                      "line 1 col 46: the default of a string field must be a string");
    ASSERT_SCHEMA_ERR("message M { optional E a = 1 [default = Z]; enum E { X = 1; } }", ST_PARSE,
                      "line 1 col 41: 'Z' is not a value of enum M.E");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; enum E { A = 1; }", ST_PARSE,
                      "line 1 col 25: the first value of proto3 enum E must be 0");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; enum E { }", ST_PARSE, "line 1 col 25: enum E has no values");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { map<float, int32> m = 1; }", ST_PARSE,
                      "line 1 col 36: expected a map key type (an integer type, bool or string), got 'float'");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { repeated map<string, int32> m = 1; }", ST_PARSE,
                      "line 1 col 41: map fields cannot have a label or be in a oneof");
    ASSERT_SCHEMA_ERR("message M { optional group G = 1 { optional int32 a = 2; } }", ST_UNSUPPORTED,
                      "line 1 col 22: groups are not supported");
    ASSERT_SCHEMA_ERR("edition = \"2023\";", ST_UNSUPPORTED, "line 1 col 1: protobuf editions are not supported");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\";\nimport \"other.proto\";", ST_UNSUPPORTED,
                      "line 2 col 8: import \"other.proto\" is not supported (built in: "
                      "google/protobuf/timestamp.proto, google/protobuf/wrappers.proto)");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; enum E { A = 0; }", ST_PARSE, "the schema defines no message");
    ASSERT_SCHEMA_ERR("", ST_PARSE, "the schema defines no message");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; /* open", ST_PARSE, "line 1 col 20: unterminated comment");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\nmessage", ST_PARSE, "line 1 col 10: unterminated string");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { oneof o { } }", ST_PARSE,
                      "line 1 col 42: oneof o has no fields");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { int32 o_0 = 1; oneof o { int32 x = 2; } }", ST_PARSE,
                      "line 1 col 32: field 'o_0' clashes with oneof 'o' in M");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { int32 a = 1; } }", ST_PARSE,
                      "line 1 col 47: expected 'message', 'enum', 'import', 'package', 'option', 'service' or "
                      "'extend', got '}'");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { int32 a = 1 [packed = ]; }", ST_PARSE,
                      "line 1 col 54: expected an option value, got ']'");
    ASSERT_SCHEMA_ERR("syntax = \"proto3\"; message M { \x01 }", ST_PARSE, "line 1 col 32: unexpected byte 0x01");
    ASSERT_SCHEMA_ERR("message M { optional string s = 1 [default = \"\\q\"]; }", ST_PARSE,
                      "line 1 col 48: unknown escape '\\q'");
}

TEST(decode_each_message_of_a_file)
{
    const char *p = "syntax=\"proto3\"; message A { int32 a = 1; message N { string n = 1; } }"
                    " message B { string b = 1; }";
    struct conv__pbsc *s = schema(p);

    ASSERT_EQ_INT(s->ntop, 2);
    ASSERT_EQ_STR(s->msgs[s->kids[1]].name, "B");
    conv__pbsc_free(s);
    ASSERT_PB_HEX(p, "B", "0a 01 7a", "{\"b\":\"z\"}");
    ASSERT_PB_HEX(p, "A.N", "0a 01 7a", "{\"n\":\"z\"}");
    /* a message without fields (fuzz regression: its slot stack was never allocated) */
    ASSERT_PB_HEX("syntax=\"proto3\"; message E {}", "E", "08 01", "{}");
}

/* --- The converter: framing, message indexes, registry --- */

struct mock {
    int calls;
    long status;
    const char *body;
};

static enum status mock_get(void *ctx, const char *url, const char *userinfo, struct buf *body,
                            long *http_status, struct err *e)
{
    struct mock *m = ctx;

    (void)url;
    (void)userinfo;
    (void)e;
    m->calls++;
    *http_status = m->status;
    return buf_append_str(body, m->body);
}

static const char *file_proto =
    "syntax = \"proto3\";\n"
    "package shop;\n"
    "message Order { int64 id = 1; string item = 2; repeated Line lines = 3;\n"
    "  message Line { string sku = 1; int32 qty = 2; } }\n"
    "message Customer { string name = 1; message Address { string city = 1; } Address home = 2; }\n"
    "message WithMap { map<string, int32> m = 1; message Nested { int32 x = 1; } }\n";

static struct conv_converter *pb_conv(struct mock *m, const char *proto, const char *const *extra)
{
    const char *props[16] = {"schema.registry.url", "http://reg:8081", NULL};
    struct buf reply = BUF_INIT;
    struct conv_converter *c;
    size_t k = 2;

    for (size_t i = 0; extra && extra[i]; i++)
        props[k++] = extra[i];
    props[k] = NULL;
    buf_append_str(&reply, "{\"schemaType\":\"PROTOBUF\",\"schema\":");
    json_append_str(&reply, proto, strlen(proto));
    buf_append_str(&reply, "}");
    m->status = 200;
    m->body = mem_strdup(buf_cstr(&reply));
    buf_free(&reply);
    c = conv_converter_new("io.confluent.connect.protobuf.ProtobufConverter", props, &E);
    if (!c)
        TEST_FAIL("protobuf converter: %s", E.msg);
    conv_converter_set_http(c, mock_get, m);
    return c;
}

TEST(message_indexes_select_the_message)
{
    struct mock m = {0};
    struct conv_converter *c = pb_conv(&m, file_proto, NULL);
    struct buf b = BUF_INIT;
    int32_t idx[3];

    D = conv_doc_new();
    /* the short form: a single 0x00 is the first message */
    pb_frame(&b, 7, 0, NULL);
    pb_varint_field(&b, 1, 42);
    ASSERT_OK_E(conv_decode(c, b.p, b.len, D, &E), &E);
    ASSERT_EQ_STR(dump(), "{\"id\":42,\"item\":\"\",\"lines\":[]}");
    /* count 1, index 0: the same message */
    buf_reset(&b);
    idx[0] = 0;
    pb_frame(&b, 7, 1, idx);
    pb_varint_field(&b, 1, 43);
    ASSERT_OK_E(conv_decode(c, b.p, b.len, D, &E), &E);
    ASSERT_EQ_STR(dump(), "{\"id\":43,\"item\":\"\",\"lines\":[]}");
    /* [1]: the second top-level message */
    buf_reset(&b);
    idx[0] = 1;
    pb_frame(&b, 7, 1, idx);
    pb_str_field(&b, 1, "Ada");
    ASSERT_OK_E(conv_decode(c, b.p, b.len, D, &E), &E);
    ASSERT_EQ_STR(dump(), "{\"name\":\"Ada\",\"home\":null}");
    /* [1, 0]: Customer.Address */
    buf_reset(&b);
    idx[1] = 0;
    pb_frame(&b, 7, 2, idx);
    pb_str_field(&b, 1, "Oslo");
    ASSERT_OK_E(conv_decode(c, b.p, b.len, D, &E), &E);
    ASSERT_EQ_STR(dump(), "{\"city\":\"Oslo\"}");
    /* [0, 0]: Order.Line */
    ASSERT_OK_E(conv_decode(c, HEX("00 00000007 04 00 00 0a 01 78 10 02"), 13, D, &E), &E);
    ASSERT_EQ_STR(dump(), "{\"sku\":\"x\",\"qty\":2}");
    ASSERT_EQ_INT(m.calls, 1);
    /* errors */
    ASSERT_ST(conv_decode(c, HEX("00 00000007 02 06"), 7, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 7: message index 3 is not in 0..2 (top-level messages; at byte 6)");
    ASSERT_ST(conv_decode(c, HEX("00 00000007 04 00 02"), 8, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 7: message index 1 is not in 0..0 (nested in shop.Order; at byte 7)");
    ASSERT_ST(conv_decode(c, HEX("00 00000007 01 00"), 7, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 7: message-index count -1 is not in 0..64 (at byte 5)");
    ASSERT_ST(conv_decode(c, HEX("00 00000007 02 01"), 7, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 7: message index -1 is not in 0..2 (top-level messages; at byte 6)");
    ASSERT_ST(conv_decode(c, HEX("00 00000007"), 5, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 7: invalid message-index count (at byte 5)");
    ASSERT_ST(conv_decode(c, HEX("00 00000007 04 04"), 7, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 7: invalid message index (at byte 7)");
    ASSERT_ST(conv_decode(c, HEX("00 00000007 04 04 00"), 8, D, &E), ST_PARSE);   /* a bad record, not fatal */
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 7: a message index into shop.WithMap, which has map fields, is not "
                         "supported (at byte 7)");
    ASSERT_ST(conv_decode(c, HEX("01 00000007 00"), 6, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: unknown magic byte 0x01 (expected 0x00: Confluent Schema Registry framing)");
    /* an error in the body names the place after the header */
    ASSERT_ST(conv_decode(c, HEX("00 00000007 00 12 05 61"), 9, D, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 7: field 2: length 5 is past the end (1 bytes left) (at byte 6)");
    conv_converter_free(c);
    conv_doc_free(D);
    D = NULL;
    mem_free((void *)m.body);
    buf_free(&b);
}

TEST(registry_answers)
{
    struct mock m = {0};
    struct conv_converter *c = pb_conv(&m, "syntax = \"proto3\"; message M { int32 a = 1 }", NULL);
    struct conv_doc *d = conv_doc_new();

    ASSERT_ST(conv_decode(c, HEX("00 00000001 00"), 6, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 1: line 1 col 44: expected ';', got '}'");
    mem_free((void *)m.body);
    m.body = mem_strdup("{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\"}");
    ASSERT_ST(conv_decode(c, HEX("00 00000002 00"), 6, d, &E), ST_TYPE);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 2 is a AVRO schema, not Protobuf");
    mem_free((void *)m.body);
    m.body = mem_strdup("{\"schemaType\":\"PROTOBUF\",\"schema\":\"import \\\"dep.proto\\\";\","
                        "\"references\":[{\"name\":\"dep.proto\",\"subject\":\"dep\",\"version\":1}]}");
    ASSERT_ST(conv_decode(c, HEX("00 00000003 00"), 6, d, &E), ST_UNSUPPORTED);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 3 uses schema references (not supported)");
    /* all three are remembered for a while: more records of those ids do not reach the registry */
    ASSERT_EQ_INT(m.calls, 3);
    for (int i = 0; i < 20; i++) {
        ASSERT_ST(conv_decode(c, HEX("00 00000001 00"), 6, d, &E), ST_PARSE);
        ASSERT_EQ_STR(E.msg, "Protobuf: schema id 1: line 1 col 44: expected ';', got '}'");
        ASSERT_ST(conv_decode(c, HEX("00 00000002 00"), 6, d, &E), ST_TYPE);
        ASSERT_EQ_STR(E.msg, "Protobuf: schema id 2 is a AVRO schema, not Protobuf");
        ASSERT_ST(conv_decode(c, HEX("00 00000003 00"), 6, d, &E), ST_UNSUPPORTED);
        ASSERT_EQ_STR(E.msg, "Protobuf: schema id 3 uses schema references (not supported)");
    }
    ASSERT_EQ_INT(m.calls, 3);
    m.status = 404;
    ASSERT_ST(conv_decode(c, HEX("00 00000004 00"), 6, d, &E), ST_NOT_FOUND);
    ASSERT_EQ_STR(E.msg, "Protobuf: schema id 4 unknown (http://reg:8081/schemas/ids/4: HTTP 404)");
    ASSERT_EQ_INT(status_class(ST_NOT_FOUND), CLASS_RECORD);
    conv_converter_free(c);
    conv_doc_free(d);
    mem_free((void *)m.body);
}

TEST(converter_settings)
{
    const char *bad[] = {"schema.registry.url", "http://r", "int.for.enums", "yes", NULL};
    const char *no_url[] = {"int.for.enums", "true", NULL};
    const char *ints[] = {"int.for.enums", "true", "generate.index.for.unions", "false", NULL};
    struct mock m = {0};
    struct conv_converter *c;
    struct conv_doc *d = conv_doc_new();

    ASSERT_TRUE(conv_converter_new("ProtobufConverter", bad, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "ProtobufConverter: int.for.enums must be true or false, not 'yes'");
    ASSERT_TRUE(conv_converter_new("Protobuf", no_url, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "ProtobufConverter: schema.registry.url is required");
    c = pb_conv(&m, "syntax=\"proto3\"; enum E { A = 0; B = 1; } message M { E e = 1; oneof o { int32 x = 2; } }",
                ints);
    ASSERT_EQ_STR(conv_converter_class(c), "io.confluent.connect.protobuf.ProtobufConverter");
    ASSERT_OK_E(conv_decode(c, HEX("00 00000001 00 08 01 10 02"), 10, d, &E), &E);
    D = d;
    ASSERT_EQ_STR(dump(), "{\"o\":{\"x\":2},\"e\":1}");
    D = NULL;
    conv_converter_free(c);
    conv_doc_free(d);
    mem_free((void *)m.body);
}

TEST(steady_state_allocates_nothing)
{
    const char *proto = "syntax = \"proto3\";\n"
                        "import \"google/protobuf/timestamp.proto\";\n"
                        "message R { int64 id = 1; string name = 2; repeated string tags = 3; Addr addr = 4;\n"
                        "  map<string, double> scores = 5; google.protobuf.Timestamp ts = 6; E e = 7;\n"
                        "  oneof pick { int32 n = 8; Addr other = 9; } bytes raw = 10; }\n"
                        "message Addr { string city = 1; repeated int32 zips = 2; }\n"
                        "enum E { A = 0; B = 1; }";
    struct mock m = {0};
    struct conv_converter *c = pb_conv(&m, proto, NULL);
    struct conv_doc *d = conv_doc_new();
    struct buf b = BUF_INIT;
    size_t at, at2;
    uint64_t before;

    pb_frame(&b, 9, 0, NULL);
    pb_varint_field(&b, 1, 42);
    pb_str_field(&b, 2, "Ada");
    pb_str_field(&b, 3, "a");
    pb_str_field(&b, 3, "b");
    at = pb_begin(&b, 4);
    pb_str_field(&b, 1, "London");
    at2 = pb_begin(&b, 2);
    pb_varint(&b, 1);
    pb_varint(&b, 2);
    pb_end(&b, at2);
    pb_end(&b, at);
    at = pb_begin(&b, 5);
    pb_str_field(&b, 1, "x");
    pb_double_field(&b, 2, 98.5);
    pb_end(&b, at);
    at = pb_begin(&b, 6);
    pb_varint_field(&b, 1, 1700000000);
    pb_end(&b, at);
    pb_varint_field(&b, 7, 1);
    at = pb_begin(&b, 9);
    pb_str_field(&b, 1, "Paris");
    pb_end(&b, at);
    pb_bytes_field(&b, 10, "\x01\x02", 2);
    ASSERT_OK_E(conv_decode(c, b.p, b.len, d, &E), &E);
    D = d;
    ASSERT_EQ_STR(dump(), "{\"pick_0\":{\"n\":null,\"other\":{\"city\":\"Paris\",\"zips\":[]}},\"id\":42,"
                          "\"name\":\"Ada\",\"tags\":[\"a\",\"b\"],\"addr\":{\"city\":\"London\",\"zips\":[1,2]},"
                          "\"scores\":{\"x\":98.5},\"ts\":1700000000000,\"e\":\"B\",\"raw\":b64\"AQI=\"}");
    D = NULL;
    for (int i = 0; i < 10; i++)
        ASSERT_OK(conv_decode(c, b.p, b.len, d, &E));
    before = mem_alloc_count();
    for (int i = 0; i < 5000; i++)
        ASSERT_OK(conv_decode(c, b.p, b.len, d, &E));
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    ASSERT_EQ_INT(m.calls, 1);
    conv_converter_free(c);
    conv_doc_free(d);
    mem_free((void *)m.body);
    buf_free(&b);
}

TEST(encoder_self_check)
{
    struct buf b = BUF_INIT;
    size_t at;

    pb_varint(&b, 300);
    ASSERT_EQ_INT(b.len, 2);
    ASSERT_EQ_INT(b.p[0], 0xac);
    ASSERT_EQ_INT(b.p[1], 0x02);
    ASSERT_EQ_U64(pb_zigzag(-1), 1);
    ASSERT_EQ_U64(pb_zigzag(1), 2);
    ASSERT_EQ_U64(pb_zigzag(INT64_MIN), UINT64_MAX);
    buf_reset(&b);
    at = pb_begin(&b, 1);
    for (int i = 0; i < 200; i++)
        pb_varint(&b, 1);
    pb_end(&b, at);
    ASSERT_EQ_INT(b.len, 203);
    ASSERT_EQ_INT(b.p[0], 0x0a);
    ASSERT_EQ_INT(b.p[1], 0xc8);
    ASSERT_EQ_INT(b.p[2], 0x01);
    buf_free(&b);
}

/* The struct err is optional (may be NULL) everywhere: errors deep in the decoder and the
 * schema parser must not read through it. */
TEST(errors_without_an_err_struct)
{
    struct mock m = {0};
    struct conv_converter *c = pb_conv(&m, "syntax = \"proto3\"; message M { int32 a = 1; M m = 2; }", NULL);
    struct conv_doc *d = conv_doc_new();

    /* a truncated field, one inside a nested message, an unterminated group */
    ASSERT_ST(conv_decode(c, HEX("00 00000001 00 12 05 61"), 9, d, NULL), ST_PARSE);
    ASSERT_ST(conv_decode(c, HEX("00 00000001 00 12 02 08 80"), 10, d, NULL), ST_PARSE);
    ASSERT_ST(conv_decode(c, HEX("00 00000001 00 1b 08 01"), 9, d, NULL), ST_PARSE);
    ASSERT_EQ_INT(conv_doc_count(d), 0);
    ASSERT_OK(conv_decode(c, HEX("00 00000001 00 08 07"), 8, d, NULL));
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "a", 1)->i, 7);
    /* schema text errors: the tokenizer, a field, an option */
    ASSERT_TRUE(conv__pbsc_parse("message M { int32 a = 1 }", 25, NULL) == NULL);
    ASSERT_TRUE(conv__pbsc_parse("message M { int32 a = 1 [default = ] ; }", 40, NULL) == NULL);
    ASSERT_TRUE(conv__pbsc_parse("message M { \"x", 15, NULL) == NULL);
    conv_converter_free(c);
    conv_doc_free(d);
    mem_free((void *)m.body);
}

TEST_LIST = {
    T(errors_without_an_err_struct),
    T(every_scalar_type_and_wire_type),
    T(wire_rules_last_wins_unknown_and_mismatched_fields_skipped),
    T(repeated_packed_unpacked_and_interleaved),
    T(embedded_messages_merge_and_absent_is_null),
    T(enums_names_numbers_and_unknown_values),
    T(oneof_is_a_nested_struct_named_after_it),
    T(maps),
    T(proto2_defaults_required_and_proto3_optional),
    T(well_known_timestamp_and_wrappers),
    T(wire_errors_name_field_path_and_offset),
    T(limits),
    T(merging_repeated_messages_stays_linear),
    T(grammar),
    T(scope_resolution),
    T(schema_errors_name_line_and_column),
    T(decode_each_message_of_a_file),
    T(message_indexes_select_the_message),
    T(registry_answers),
    T(converter_settings),
    T(steady_state_allocates_nothing),
    T(encoder_self_check),
    {0},
};
