/* Unit tests for io.confluent.connect.json.JsonSchemaConverter (jsonschema.c): the JSON Schema
 * compiler, typing a record's JSON by it, framing and registry errors, settings, limits and the
 * steady state allocating nothing. Schemas and values are written with ' for " for reading. */
#include "../../tests/harness.h"
#include "convert/convert_int.h"

static struct err E;
static struct conv_doc *D;
static struct buf OUT;
static const char *const *OPTS;     /* extra converter settings for dec() */

struct mock {
    int calls;
    long status;
    const char *body;
    char last_url[256];
};

static enum status mock_get(void *ctx, const char *url, const char *userinfo, struct buf *body,
                            long *http_status, struct err *e)
{
    struct mock *m = ctx;

    (void)userinfo;
    (void)e;
    m->calls++;
    snprintf(m->last_url, sizeof(m->last_url), "%s", url);
    *http_status = m->status;
    return buf_append_str(body, m->body);
}

/* @s with every ' turned into ", in @b. */
static const char *q(struct buf *b, const char *s)
{
    buf_reset(b);
    for (; *s; s++)
        buf_put_u8(b, *s == '\'' ? '"' : (uint8_t)*s);
    return buf_cstr(b);
}

/* The registry's answer for a JSON schema. */
static void reply(struct buf *b, const char *schema)
{
    struct buf tmp = BUF_INIT;

    buf_reset(b);
    buf_append_str(b, "{\"schemaType\":\"JSON\",\"schema\":");
    q(&tmp, schema);
    json_append_str(b, (const char *)tmp.p, tmp.len);
    buf_append_str(b, "}");
    buf_free(&tmp);
}

/* Confluent framing: 0x00, schema id (big-endian), the JSON text. */
static void frame(struct buf *b, uint32_t id, const char *json)
{
    struct buf tmp = BUF_INIT;

    buf_reset(b);
    buf_put_u8(b, 0);
    for (int i = 3; i >= 0; i--)
        buf_put_u8(b, (uint8_t)(id >> (8 * i)));
    q(&tmp, json);
    buf_append(b, tmp.p, tmp.len);
    buf_free(&tmp);
}

static struct conv_converter *js_conv(struct mock *m, const char *const *extra)
{
    const char *props[16] = {"schema.registry.url", "http://reg:8081"};
    size_t n = 2;
    struct conv_converter *c;

    for (size_t i = 0; extra && extra[i] && n < 14; i++)
        props[n++] = extra[i];
    props[n] = NULL;
    c = conv_converter_new("io.confluent.connect.json.JsonSchemaConverter", props, &E);
    if (!c)
        TEST_FAIL("converter: %s", E.msg);
    conv_converter_set_http(c, mock_get, m);
    return c;
}

/* Decode @value under @schema (schema id 1) with a fresh converter into D. The converter and
 * the record stay until the next call: D's strings may point into them. */
static struct conv_converter *C;
static struct buf BODY, REC;
static struct mock M;

static enum status dec(const char *schema, const char *value)
{
    conv_converter_free(C);
    M = (struct mock){0, 200, NULL, ""};
    C = js_conv(&M, OPTS);
    if (!D)
        D = conv_doc_new();
    reply(&BODY, schema);
    M.body = buf_cstr(&BODY);
    frame(&REC, 1, value);
    E = (struct err){0};
    return conv_decode(C, REC.p, REC.len, D, &E);
}

static const char *dump(void)
{
    buf_reset(&OUT);
    conv_value_dump(D, conv_doc_root(D), &OUT);
    for (size_t i = 0; i < OUT.len; i++)   /* " -> ' like the expectations below */
        if (OUT.p[i] == '"')
            OUT.p[i] = '\'';
    return buf_cstr(&OUT);
}

/* Type of the root, or of root field @name. */
static int type_of(const char *name)
{
    const struct conv_value *v = conv_doc_root(D);
    if (name)
        v = conv_map_get(D, v, name, strlen(name));
    return v ? v->type : -1;
}

#define ASSERT_JS(schema, value, want)               \
    do {                                             \
        ASSERT_OK_E(dec(schema, value), &E);         \
        ASSERT_EQ_STR(dump(), want);                 \
    } while (0)
#define ASSERT_JS_ERR(schema, value, st, text)       \
    do {                                             \
        ASSERT_ST(dec(schema, value), st);           \
        ASSERT_EQ_STR(E.msg, text);                  \
        ASSERT_EQ_INT(conv_doc_count(D), 0);         \
    } while (0)
#define ASSERT_BAD_SCHEMA(schema, text)                                 \
    do {                                                                \
        ASSERT_ST(dec(schema, "null"), ST_PARSE);                       \
        ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 1: " text);        \
    } while (0)

TEST(number_is_double_even_when_integral)
{
    ASSERT_JS("{'type':'number'}", "3", "3");
    ASSERT_EQ_INT(type_of(NULL), CONV_DOUBLE);
    ASSERT_EQ_DBL(conv_doc_root(D)->d, 3.0);
    ASSERT_JS("{'type':'number'}", "-2.5e1", "-25");
    ASSERT_EQ_INT(type_of(NULL), CONV_DOUBLE);
    ASSERT_JS("{'type':'object','properties':{'price':{'type':'number'},'qty':{'type':'integer'}}}",
              "{'price':10,'qty':2}", "{'price':10,'qty':2}");
    ASSERT_EQ_INT(type_of("price"), CONV_DOUBLE);
    ASSERT_EQ_INT(type_of("qty"), CONV_INT);
    /* connect.type float32 rounds like Java's floatValue */
    ASSERT_OK(dec("{'type':'number','connect.type':'float32'}", "0.1"));
    ASSERT_EQ_DBL(conv_doc_root(D)->d, (double)0.1f);
    ASSERT_OK(dec("{'type':'number','connect.type':'float64'}", "0.1"));
    ASSERT_EQ_DBL(conv_doc_root(D)->d, 0.1);
    /* integer with connect.type float64 is a double too */
    ASSERT_OK(dec("{'type':'integer','connect.type':'float64'}", "7"));
    ASSERT_EQ_INT(type_of(NULL), CONV_DOUBLE);
    ASSERT_JS_ERR("{'type':'number'}", "'1.5'", ST_TYPE, "JSON Schema: schema id 1: expected number, got string");
}

TEST(integers_are_range_checked_never_truncated)
{
    ASSERT_JS("{'type':'integer'}", "42", "42");
    ASSERT_EQ_INT(type_of(NULL), CONV_INT);
    ASSERT_JS("{'type':'integer'}", "-9223372036854775808", "-9223372036854775808");
    ASSERT_JS("{'type':'integer'}", "1.0", "1");     /* an exact integral value */
    ASSERT_JS("{'type':'integer'}", "2e3", "2000");
    ASSERT_JS_ERR("{'type':'integer'}", "1.5", ST_TYPE,
                  "JSON Schema: schema id 1: expected integer, got non-integral number 1.5");
    ASSERT_JS_ERR("{'type':'integer'}", "9223372036854775808", ST_TYPE,
                  "JSON Schema: schema id 1: 9223372036854775808 is out of range for integer");
    ASSERT_JS("{'type':'integer','connect.type':'int8'}", "-128", "-128");
    ASSERT_JS_ERR("{'type':'integer','connect.type':'int8'}", "128", ST_TYPE,
                  "JSON Schema: schema id 1: 128 is out of range for int8");
    ASSERT_JS("{'type':'integer','connect.type':'int16'}", "32767", "32767");
    ASSERT_JS_ERR("{'type':'integer','connect.type':'int16'}", "-32769", ST_TYPE,
                  "JSON Schema: schema id 1: -32769 is out of range for int16");
    ASSERT_JS("{'type':'integer','connect.type':'int32'}", "-2147483648", "-2147483648");
    ASSERT_JS_ERR("{'type':'integer','connect.type':'int32'}", "2147483648", ST_TYPE,
                  "JSON Schema: schema id 1: 2147483648 is out of range for int32");
    ASSERT_JS("{'type':'number','connect.type':'int64'}", "5", "5");
    ASSERT_EQ_INT(type_of(NULL), CONV_INT);
    ASSERT_JS_ERR("{'type':'integer','connect.type':'int32'}", "true", ST_TYPE,
                  "JSON Schema: schema id 1: expected int32, got boolean");
}

TEST(strings_booleans_bytes_enums)
{
    ASSERT_JS("{'type':'string'}", "'h\\u00e9'", "'h\xc3\xa9'");
    ASSERT_JS("{'type':'boolean'}", "false", "false");
    ASSERT_EQ_INT(type_of(NULL), CONV_BOOL);
    ASSERT_JS("{'type':'string','connect.type':'bytes'}", "'aGk='", "b64'aGk='");
    ASSERT_EQ_INT(type_of(NULL), CONV_BYTES);
    ASSERT_EQ_INT(conv_doc_root(D)->s.n, 2);
    ASSERT_JS_ERR("{'type':'string','connect.type':'bytes'}", "'a*'", ST_TYPE,
                  "JSON Schema: schema id 1: invalid base64 (2 characters)");
    ASSERT_JS_ERR("{'type':'string','connect.type':'bytes'}", "12", ST_TYPE,
                  "JSON Schema: schema id 1: expected bytes (a base64 string), got number");
    ASSERT_JS("{'type':'string','enum':['A','B']}", "'B'", "'B'");
    ASSERT_JS("{'enum':['A','B']}", "'A'", "'A'");
    ASSERT_EQ_INT(type_of(NULL), CONV_STRING);
    ASSERT_JS_ERR("{'enum':['A','B']}", "1", ST_TYPE, "JSON Schema: schema id 1: expected string, got number");
    ASSERT_JS_ERR("{'type':'boolean'}", "'true'", ST_TYPE, "JSON Schema: schema id 1: expected boolean, got string");
    ASSERT_JS_ERR("{'type':'string'}", "{}", ST_TYPE, "JSON Schema: schema id 1: expected string, got object");
    ASSERT_JS_ERR("{'type':'string'}", "null", ST_TYPE, "JSON Schema: schema id 1: expected string, got null");
}

TEST(objects_are_structs_of_the_declared_properties)
{
    const char *s = "{'type':'object','properties':{'id':{'type':'integer'},'name':{'type':'string'},"
                    "'tags':{'type':'array','items':{'type':'string'}}},'required':['id']}";
    const char *opt[] = {"use.optional.for.nonrequired", "true", NULL};

    /* schema order, undeclared keys dropped, absent ones null */
    ASSERT_JS(s, "{'tags':['a'],'extra':1,'id':7,'name':'x'}", "{'id':7,'name':'x','tags':['a']}");
    ASSERT_JS(s, "{'id':7}", "{'id':7,'name':null,'tags':null}");
    ASSERT_JS(s, "{}", "{'id':null,'name':null,'tags':null}");
    /* an explicit null needs an optional field: use.optional.for.nonrequired and not required */
    ASSERT_JS_ERR(s, "{'id':7,'name':null}", ST_TYPE, "JSON Schema: schema id 1: name: expected string, got null");
    OPTS = opt;
    ASSERT_JS(s, "{'id':7,'name':null}", "{'id':7,'name':null,'tags':null}");
    ASSERT_JS_ERR(s, "{'id':null}", ST_TYPE, "JSON Schema: schema id 1: id: expected integer, got null");
    OPTS = NULL;
    /* connect.index orders the fields */
    ASSERT_JS("{'type':'object','properties':{'b':{'type':'integer','connect.index':1},"
              "'a':{'type':'integer','connect.index':0}}}", "{'b':2,'a':1}", "{'a':1,'b':2}");
    /* errors name the path */
    ASSERT_JS_ERR("{'type':'object','properties':{'o':{'type':'object','properties':{'l':{'type':'array',"
                  "'items':{'type':'object','properties':{'p':{'type':'number'}}}}}}}}",
                  "{'o':{'l':[{'p':1},{'p':'x'}]}}", ST_TYPE,
                  "JSON Schema: schema id 1: o.l[1].p: expected number, got string");
    ASSERT_JS_ERR(s, "[1]", ST_TYPE, "JSON Schema: schema id 1: expected object, got array");
    /* no properties: an empty struct (Connect keeps no field) */
    ASSERT_JS("{'type':'object'}", "{'a':1}", "{}");
}

TEST(defaults_replace_null_and_absent)
{
    const char *s = "{'type':'object','properties':{'n':{'type':'integer','default':5},"
                    "'s':{'type':'string','default':'d'},'x':{'type':'number','default':null}}}";

    ASSERT_JS(s, "{}", "{'n':5,'s':'d','x':null}");
    ASSERT_JS(s, "{'n':null,'s':'v'}", "{'n':5,'s':'v','x':null}");
    ASSERT_JS_ERR(s, "{'x':null}", ST_TYPE, "JSON Schema: schema id 1: x: expected number, got null");
    ASSERT_JS_ERR("{'type':'object','properties':{'n':{'type':'integer','default':'five'}}}", "{}", ST_TYPE,
                  "JSON Schema: schema id 1: n: expected integer, got string");
}

TEST(maps_from_additional_properties_and_entries)
{
    ASSERT_JS("{'type':'object','connect.type':'map','additionalProperties':{'type':'number'}}",
              "{'a':1,'b':2.5}", "{'a':1,'b':2.5}");
    ASSERT_EQ_INT(type_of("a"), CONV_DOUBLE);
    ASSERT_JS_ERR("{'type':'object','connect.type':'map','additionalProperties':{'type':'number'}}",
                  "{'a':1,'b c':'x'}", ST_TYPE, "JSON Schema: schema id 1: [\"b c\"]: expected number, got string");
    /* Connect's non-string keys: an array of {key, value} */
    ASSERT_JS("{'type':'array','connect.type':'map','items':{'type':'object','properties':{"
              "'key':{'type':'integer'},'value':{'type':'string'}}}}",
              "[{'key':1,'value':'a'},{'value':'b','key':2},{'key':1,'value':'c'}]", "{2:'b',1:'c'}");
    ASSERT_JS_ERR("{'type':'array','connect.type':'map','items':{'type':'object','properties':{"
                  "'key':{'type':'integer'},'value':{'type':'string'}}}}",
                  "[{'key':1}]", ST_TYPE,
                  "JSON Schema: schema id 1: [0]: map entry must be an object with exactly \"key\" and \"value\", "
                  "got object");
    ASSERT_JS_ERR("{'type':'array','connect.type':'map','items':{'type':'object','properties':{"
                  "'key':{'type':'integer'},'value':{'type':'string'}}}}",
                  "[{'key':'k','value':'v'}]", ST_TYPE, "JSON Schema: schema id 1: [0].key: expected integer, got string");
    /* without connect.type, additionalProperties alone leaves a struct without fields */
    ASSERT_JS("{'type':'object','additionalProperties':{'type':'number'}}", "{'a':1}", "{}");
}

TEST(arrays)
{
    ASSERT_JS("{'type':'array','items':{'type':'integer'}}", "[1,2,3]", "[1,2,3]");
    ASSERT_JS("{'type':'array','items':{'type':['integer','null']}}", "[1,null]", "[1,null]");
    ASSERT_JS_ERR("{'type':'array','items':{'type':'integer'}}", "[1,null]", ST_TYPE,
                  "JSON Schema: schema id 1: [1]: expected integer, got null");
    ASSERT_JS_ERR("{'type':'array','items':{'type':'integer'}}", "{}", ST_TYPE,
                  "JSON Schema: schema id 1: expected array, got object");
}

TEST(one_of_null_is_optional_others_are_unions)
{
    const char *u = "{'oneOf':[{'type':'string'},{'type':'integer'},{'type':'null'}]}";
    const char *gen[] = {"generalized.sum.type.support", "true", NULL};

    ASSERT_JS("{'oneOf':[{'type':'null'},{'type':'number'}]}", "null", "null");
    ASSERT_JS("{'oneOf':[{'type':'null'},{'type':'number'}]}", "4", "4");
    ASSERT_EQ_INT(type_of(NULL), CONV_DOUBLE);
    ASSERT_JS("{'anyOf':[{'type':'integer'},{'type':'null'}]}", "null", "null");
    ASSERT_JS("{'type':['string','null']}", "null", "null");
    ASSERT_JS("{'type':['string','null']}", "'s'", "'s'");
    ASSERT_JS(u, "'x'", "{'io.confluent.connect.json.OneOf.field.0':'x','io.confluent.connect.json.OneOf.field.1':null}");
    ASSERT_JS(u, "5", "{'io.confluent.connect.json.OneOf.field.0':null,'io.confluent.connect.json.OneOf.field.1':5}");
    ASSERT_JS(u, "null", "null");
    ASSERT_JS_ERR(u, "true", ST_TYPE, "JSON Schema: schema id 1: no oneOf/anyOf branch matches boolean");
    ASSERT_JS_ERR("{'oneOf':[{'type':'string'},{'type':'integer'}]}", "null", ST_TYPE,
                  "JSON Schema: schema id 1: expected oneOf, got null");
    ASSERT_JS("{'type':['string','integer']}", "3", "{'io.confluent.connect.json.OneOf.field.0':null,"
              "'io.confluent.connect.json.OneOf.field.1':3}");
    /* 2.5 is no integer: the number branch takes it */
    ASSERT_JS("{'oneOf':[{'type':'integer'},{'type':'number'}]}", "2.5",
              "{'io.confluent.connect.json.OneOf.field.0':null,'io.confluent.connect.json.OneOf.field.1':2.5}");
    /* objects go to the struct branch sharing most keys */
    ASSERT_JS("{'oneOf':[{'type':'object','properties':{'a':{'type':'integer'}}},"
              "{'type':'object','properties':{'b':{'type':'integer'},'c':{'type':'integer'}}}]}",
              "{'b':1,'c':2}",
              "{'io.confluent.connect.json.OneOf.field.0':null,'io.confluent.connect.json.OneOf.field.1':{'b':1,'c':2}}");
    OPTS = gen;
    ASSERT_JS(u, "'x'", "{'connect_union_field_0':'x','connect_union_field_1':null}");
    OPTS = NULL;
}

TEST(local_refs_and_recursion)
{
    ASSERT_JS("{'type':'object','properties':{'a':{'$ref':'#/definitions/P'}},"
              "'definitions':{'P':{'type':'number'}}}", "{'a':1}", "{'a':1}");
    ASSERT_EQ_INT(type_of("a"), CONV_DOUBLE);
    ASSERT_JS("{'type':'object','properties':{'a':{'$ref':'#/$defs/P'}},'$defs':{'P':{'type':'string'}}}",
              "{'a':'s'}", "{'a':'s'}");
    ASSERT_JS("{'type':'object','properties':{'a':{'$ref':'#/$defs/a~1b'}},'$defs':{'a/b':{'type':'string'}}}",
              "{'a':'s'}", "{'a':'s'}");
    /* a recursive tree */
    ASSERT_JS("{'type':'object','properties':{'v':{'type':'integer'},'kids':{'type':'array','items':{'$ref':'#'}}}}",
              "{'v':1,'kids':[{'v':2,'kids':[]},{'v':3}]}",
              "{'v':1,'kids':[{'v':2,'kids':[]},{'v':3,'kids':null}]}");
    ASSERT_JS_ERR("{'type':'object','properties':{'v':{'type':'integer'},'kids':{'type':'array','items':{'$ref':'#'}}}}",
                  "{'kids':[{'kids':[{'v':'x'}]}]}", ST_TYPE,
                  "JSON Schema: schema id 1: kids[0].kids[0].v: expected integer, got string");
}

TEST(logical_types_by_title)
{
    const char *dec_s = "{'type':'number','title':'org.apache.kafka.connect.data.Decimal','connect.type':'bytes',"
                        "'connect.parameters':{'scale':'2'}}";

    ASSERT_JS(dec_s, "123.45", "'123.45'");
    ASSERT_EQ_INT(type_of(NULL), CONV_STRING);
    ASSERT_JS(dec_s, "'MDk='", "'123.45'");           /* 0x3039 = 12345, base64 */
    ASSERT_JS_ERR(dec_s, "1.234", ST_TYPE, "JSON Schema: schema id 1: decimal 1.234 has more than 2 fraction digits");
    ASSERT_JS_ERR(dec_s, "true", ST_TYPE,
                  "JSON Schema: schema id 1: expected Decimal (a number or base64 string), got boolean");
    ASSERT_JS("{'type':'integer','title':'org.apache.kafka.connect.data.Date','connect.type':'int32'}", "19000",
              "19000");
    ASSERT_JS_ERR("{'type':'integer','title':'org.apache.kafka.connect.data.Date','connect.type':'int32'}", "1.0",
                  ST_TYPE, "JSON Schema: schema id 1: expected Date, got non-integral number 1.0");
    ASSERT_JS("{'type':'integer','title':'org.apache.kafka.connect.data.Time','connect.type':'int32'}", "3600000",
              "3600000");
    ASSERT_JS_ERR("{'type':'integer','title':'org.apache.kafka.connect.data.Time','connect.type':'int32'}",
                  "86400001", ST_TYPE, "JSON Schema: schema id 1: Time 86400001 is not within 0..86400000 ms");
    ASSERT_JS("{'type':'integer','title':'org.apache.kafka.connect.data.Timestamp','connect.type':'int64'}",
              "1700000000000", "1700000000000");
    ASSERT_JS_ERR("{'type':'integer','title':'org.apache.kafka.connect.data.Timestamp'}", "'2024-01-01'", ST_TYPE,
                  "JSON Schema: schema id 1: expected Timestamp, got string");
    /* another title is just a name */
    ASSERT_JS("{'type':'integer','title':'Order'}", "1", "1");
}

TEST(schema_errors_name_the_schema_id_and_place)
{
    ASSERT_BAD_SCHEMA("{'allOf':[{'type':'string'}]}", "#: allOf is not supported");
    ASSERT_BAD_SCHEMA("{'not':{'type':'string'}}", "#: not is not supported");
    ASSERT_BAD_SCHEMA("{'properties':{}}", "#: schema has no \"type\" (supported: type, enum, oneOf, anyOf, $ref)");
    ASSERT_BAD_SCHEMA("{'type':'strin'}", "#: unknown type \"strin\"");
    ASSERT_BAD_SCHEMA("{'type':'null'}",
                      "#: type \"null\" is only supported next to another type (oneOf, anyOf or a type list)");
    ASSERT_BAD_SCHEMA("{'type':['null']}", "#: \"type\" list has no type other than null");
    ASSERT_BAD_SCHEMA("{'type':'object','properties':{'a':{'type':'integer','connect.type':'int128'}}}",
                      "#/properties/a/connect.type: unsupported connect.type \"int128\" on a number");
    ASSERT_BAD_SCHEMA("{'type':'array'}", "#: array schema has no \"items\"");
    ASSERT_BAD_SCHEMA("{'type':'array','items':[{'type':'string'}]}",
                      "#: \"items\" must be one schema (an object), got array");
    ASSERT_BAD_SCHEMA("{'type':'number','title':'org.apache.kafka.connect.data.Decimal'}",
                      "#: Decimal has no connect.parameters \"scale\"");
    ASSERT_BAD_SCHEMA("{'type':'object','connect.type':'map'}",
                      "#: connect.type map object has no \"additionalProperties\"");
    ASSERT_BAD_SCHEMA("{'type':'object','connect.type':'map','additionalProperties':true}",
                      "#/additionalProperties: a schema must be an object, got boolean");
    ASSERT_BAD_SCHEMA("{'type':'object','properties':{'a':{'type':'string','connect.index':0},"
                      "'b':{'type':'string','connect.index':0}}}",
                      "#/properties/b: two properties at connect.index 0");
    ASSERT_BAD_SCHEMA("{'type':'object','properties':{'a':{'$ref':'#/definitions/nope'}}}",
                      "#/properties/a/$ref: $ref \"#/definitions/nope\" points at nothing");
    ASSERT_BAD_SCHEMA("{'$ref':'#'}", "#: schemas nested deeper than 64 (or a $ref loop)");
    ASSERT_BAD_SCHEMA("{'oneOf':[{'type':'null'}]}", "#/oneOf: no branch other than null");
    ASSERT_BAD_SCHEMA("{'oneOf':[]}", "#/oneOf: not a non-empty array of schemas");
    ASSERT_BAD_SCHEMA("{'type':'string','oneOf':[{'type':'null'}]}", "#: oneOf/anyOf next to \"type\" is not supported");
    ASSERT_BAD_SCHEMA("true", "#: a schema must be an object, got boolean");
    ASSERT_BAD_SCHEMA("{'type':", "schema text: JSON: line 1 col 9: unexpected end of input, expected a value");
    /* a remote $ref is refused (fatal: the converter cannot work with it) */
    ASSERT_ST(dec("{'$ref':'http://example.com/s.json'}", "1"), ST_UNSUPPORTED);
    ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 1: #/$ref: $ref \"http://example.com/s.json\" is not local "
                         "(only #/... references are supported)");
    ASSERT_EQ_INT(status_class(E.status), CLASS_FATAL);
}

TEST(framing_registry_and_payload_errors)
{
    struct mock m = {0, 200, NULL, ""};
    struct conv_converter *c = js_conv(&m, NULL);
    struct conv_doc *d = conv_doc_new();
    struct buf body = BUF_INIT, rec = BUF_INIT;

    reply(&body, "{'type':'object','properties':{'n':{'type':'integer'}}}");
    m.body = buf_cstr(&body);
    frame(&rec, 42, "{'n':1}");
    ASSERT_OK_E(conv_decode(c, rec.p, rec.len, d, &E), &E);
    ASSERT_EQ_STR(m.last_url, "http://reg:8081/schemas/ids/42");
    ASSERT_EQ_INT(conv_map_get(d, conv_doc_root(d), "n", 1)->i, 1);
    for (int i = 0; i < 50; i++)
        ASSERT_OK(conv_decode(c, rec.p, rec.len, d, &E));
    ASSERT_EQ_INT(m.calls, 1);   /* cached */
    ASSERT_ST(conv_decode(c, HEX("01 0000002a 7b7d"), 7, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "JSON Schema: unknown magic byte 0x01 (expected 0x00: Confluent Schema Registry framing)");
    ASSERT_ST(conv_decode(c, HEX("00 0000"), 3, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "JSON Schema: record of 3 bytes is shorter than the 5-byte Schema Registry header");
    ASSERT_ST(conv_decode(c, HEX("00 0000002a"), 5, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 42: no JSON value after the 5-byte header");
    frame(&rec, 42, "{'n':1} x");
    ASSERT_ST(conv_decode(c, rec.p, rec.len, d, &E), ST_PARSE);
    ASSERT_CONTAINS(E.msg, "JSON Schema: schema id 42: JSON: line 1 col 9");
    ASSERT_EQ_INT(conv_doc_count(d), 0);
    ASSERT_OK(conv_decode(c, NULL, 0, d, &E));   /* a Kafka null */
    ASSERT_EQ_INT(conv_doc_root(d)->type, CONV_NULL);
    /* registry answers */
    m.status = 404;
    m.body = "{\"error_code\":40403}";
    frame(&rec, 7, "1");
    ASSERT_ST(conv_decode(c, rec.p, rec.len, d, &E), ST_NOT_FOUND);
    ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 7 unknown (http://reg:8081/schemas/ids/7: HTTP 404)");
    m.status = 200;
    m.body = "{\"schema\":\"\\\"int\\\"\"}";   /* no schemaType: Avro */
    frame(&rec, 8, "1");
    ASSERT_ST(conv_decode(c, rec.p, rec.len, d, &E), ST_TYPE);
    ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 8 is a AVRO schema, not JSON Schema");
    m.body = "{\"schemaType\":\"JSON\",\"schema\":\"{}\",\"references\":[{\"name\":\"a.json\",\"subject\":\"a\","
             "\"version\":1}]}";
    frame(&rec, 9, "1");
    ASSERT_ST(conv_decode(c, rec.p, rec.len, d, &E), ST_UNSUPPORTED);
    ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 9 uses schema references (not supported)");
    /* schemas that cannot be used are remembered like 404s: no GET per record of those ids */
    int calls = m.calls;
    reply(&body, "{'type':'strin'}");
    m.body = buf_cstr(&body);
    frame(&rec, 10, "1");
    ASSERT_ST(conv_decode(c, rec.p, rec.len, d, &E), ST_PARSE);
    ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 10: #: unknown type \"strin\"");
    ASSERT_EQ_INT(m.calls, calls + 1);
    reply(&body, "{'type':'integer'}");   /* would compile now, but is not asked for */
    m.body = buf_cstr(&body);
    for (int i = 0; i < 20; i++) {
        ASSERT_ST(conv_decode(c, rec.p, rec.len, d, &E), ST_PARSE);
        ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 10: #: unknown type \"strin\"");
        frame(&rec, 8, "1");
        ASSERT_ST(conv_decode(c, rec.p, rec.len, d, &E), ST_TYPE);
        ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 8 is a AVRO schema, not JSON Schema");
        frame(&rec, 9, "1");
        ASSERT_ST(conv_decode(c, rec.p, rec.len, d, &E), ST_UNSUPPORTED);
        ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 9 uses schema references (not supported)");
        frame(&rec, 10, "1");
    }
    ASSERT_EQ_INT(m.calls, calls + 1);
    conv_converter_free(c);
    conv_doc_free(d);
    buf_free(&body);
    buf_free(&rec);
}

TEST(settings)
{
    const char *none[] = {NULL};
    const char *strict[] = {"schema.registry.url", "http://r", "json.fail.invalid.schema", "true", NULL};
    const char *lax[] = {"schema.registry.url", "http://r", "json.fail.invalid.schema", "false",
                         "object.additional.properties", "false", "decimal.format", "numeric",
                         "schemas.cache.size", "10", NULL};
    const char *bad_bool[] = {"schema.registry.url", "http://r", "use.optional.for.nonrequired", "yes", NULL};
    const char *bad_fmt[] = {"schema.registry.url", "http://r", "decimal.format", "TEXT", NULL};
    const char *additional[] = {"schema.registry.url", "http://r", "object.additional.properties", "true", NULL};
    struct conv_converter *c;

    ASSERT_TRUE(conv_converter_new("JsonSchemaConverter", none, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "JsonSchemaConverter: schema.registry.url is required");
    ASSERT_EQ_INT(E.status, ST_CONFIG);
    ASSERT_TRUE(conv_converter_new("JsonSchema", strict, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "JsonSchemaConverter: json.fail.invalid.schema=true (validating every keyword of the "
                         "schema) is not supported; aerosink checks each value's type only");
    ASSERT_TRUE(conv_converter_new("JsonSchemaConverter", bad_bool, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "JsonSchemaConverter: use.optional.for.nonrequired must be true or false, not 'yes'");
    ASSERT_TRUE(conv_converter_new("JsonSchemaConverter", bad_fmt, &E) == NULL);
    ASSERT_EQ_STR(E.msg, "JsonSchemaConverter: decimal.format must be BASE64 or NUMERIC, not 'TEXT'");
    c = conv_converter_new("JsonSchemaConverter", additional, &E);   /* only shapes what Confluent writes */
    ASSERT_TRUE(c != NULL);
    conv_converter_free(c);
    c = conv_converter_new("JsonSchema", lax, &E);
    ASSERT_TRUE(c != NULL);
    ASSERT_EQ_STR(conv_converter_class(c), "io.confluent.connect.json.JsonSchemaConverter");
    conv_converter_free(c);
    for (size_t i = 0;; i++) {
        ASSERT_TRUE(conv_supported_classes[i] != NULL);
        if (strcmp(conv_supported_classes[i], "io.confluent.connect.json.JsonSchemaConverter") == 0)
            break;
    }
}

/* An object typed by a union of two large structs: matching its keys to the fields costs about
 * its keys plus the fields (indexed by name), not keys x fields, per union and per struct. */
TEST(many_keys_and_many_fields_stay_linear)
{
    struct buf sch = BUF_INIT, val = BUF_INIT;
    uint64_t work[2];
    uint32_t keys[2] = {1000, 4000}, nf = 400;

    buf_append_str(&sch, "{'oneOf':[");
    for (int b = 0; b < 2; b++) {
        buf_printf(&sch, "%s{'type':'object','properties':{", b ? "," : "");
        for (uint32_t i = 0; i < nf; i++)
            buf_printf(&sch, "%s'%c%u':{'type':'integer'}", i ? "," : "", 'f' + b, i);
        buf_append_str(&sch, "}}");
    }
    buf_append_str(&sch, "]}");
    for (int t = 0; t < 2; t++) {
        buf_reset(&val);
        buf_append_str(&val, "{");
        for (uint32_t i = keys[t]; i-- > 0;)   /* declared ones last and in reverse order */
            buf_printf(&val, "'%c%u':%u,", i < 10 ? 'f' : 'x', i, i);
        buf_append_str(&val, "'end':0}");
        ASSERT_OK_E(dec(buf_cstr(&sch), buf_cstr(&val)), &E);
        ASSERT_EQ_INT(conv_map_get(D, conv_map_get(D, conv_doc_root(D), "io.confluent.connect.json.OneOf.field.0",
                                                   39), "f9", 2)->i, 9);
        work[t] = D->key_work;
        fprintf(stderr, "  %u keys, 2 x %u fields: key work %" PRIu64 "\n", keys[t] + 1, nf, work[t]);
        ASSERT_TRUE(work[t] <= 8 * (uint64_t)(keys[t] + 1));
    }
    buf_free(&sch);
    buf_free(&val);
}

TEST(limits)
{
    struct conv_limits lim = {3, 10, CONV_DEFAULT_MAX_INPUT};
    const char *s = "{'type':'array','items':{'$ref':'#'}}";

    ASSERT_OK(dec(s, "[[[[[]]]]]"));
    conv_doc_set_limits(D, &lim);
    ASSERT_OK(dec(s, "[[[]]]"));
    ASSERT_ST(dec(s, "[[[[]]]]"), ST_TOO_BIG);
    ASSERT_CONTAINS(E.msg, "nesting deeper than 3");
    ASSERT_ST(dec("{'type':'array','items':{'type':'integer'}}", "[1,2,3,4,5,6,7,8,9,10,11]"), ST_TOO_BIG);
    ASSERT_CONTAINS(E.msg, "more than 10 values");
    /* a union adds a level the input does not have */
    ASSERT_OK(dec("{'type':'array','items':{'type':'array','items':{'type':'array','items':{'type':'integer'}}}}",
                  "[[[1]]]"));
    ASSERT_ST(dec("{'type':'array','items':{'type':'array','items':{'type':'array','items':"
                  "{'oneOf':[{'type':'string'},{'type':'integer'}]}}}}", "[[[1]]]"), ST_TOO_BIG);
    ASSERT_EQ_STR(E.msg, "JSON Schema: schema id 1: [0][0][0]: nesting deeper than 3");
    conv_doc_free(D);
    D = NULL;
}

/* The schema Confluent's JsonSchemaData.fromConnectSchema writes for a Connect struct, and the
 * same record in the Connect JSON envelope: both converters give equal documents. */
TEST(same_record_as_connect_json_gives_the_same_value)
{
    const char *connect =
        "{'schema':{'type':'struct','name':'Person','fields':["
        "{'field':'id','type':'int64'},{'field':'name','type':'string'},{'field':'active','type':'boolean'},"
        "{'field':'score','type':'double'},{'field':'tags','type':'array','items':{'type':'string'}},"
        "{'field':'address','type':'struct','fields':[{'field':'city','type':'string'},{'field':'zip','type':'string'}]},"
        "{'field':'note','type':'string','optional':true},"
        "{'field':'ts','type':'int64','name':'org.apache.kafka.connect.data.Timestamp'},"
        "{'field':'price','type':'bytes','name':'org.apache.kafka.connect.data.Decimal','parameters':{'scale':'2'}}]},"
        "'payload':{'id':42,'name':'Ada','active':true,'score':98.5,'tags':['a','b'],"
        "'address':{'city':'London','zip':'W1'},'note':null,'ts':1700000000000,'price':'MDk='}}";
    const char *schema =
        "{'type':'object','title':'Person','properties':{"
        "'id':{'type':'integer','connect.index':0,'connect.type':'int64'},"
        "'name':{'type':'string','connect.index':1},'active':{'type':'boolean','connect.index':2},"
        "'score':{'type':'number','connect.index':3,'connect.type':'float64'},"
        "'tags':{'type':'array','items':{'type':'string'},'connect.index':4},"
        "'address':{'type':'object','properties':{'city':{'type':'string','connect.index':0},"
        "'zip':{'type':'string','connect.index':1}},'connect.index':5},"
        "'note':{'oneOf':[{'type':'null'},{'type':'string'}],'connect.index':6},"
        "'ts':{'type':'integer','title':'org.apache.kafka.connect.data.Timestamp','connect.index':7,"
        "'connect.type':'int64'},"
        "'price':{'type':'number','title':'org.apache.kafka.connect.data.Decimal','connect.index':8,"
        "'connect.type':'bytes','connect.parameters':{'scale':'2'}}}}";
    /* properties in another order than connect.index, as a Java map may write them */
    const char *value = "{'price':'MDk=','id':42,'name':'Ada','active':true,'score':98.5,'tags':['a','b'],"
                        "'address':{'zip':'W1','city':'London'},'note':null,'ts':1700000000000}";
    struct conv_converter *cc = conv_converter_new("JsonConverter", NULL, &E);
    struct conv_doc *dc = conv_doc_new();
    struct buf text = BUF_INIT;

    ASSERT_TRUE(cc != NULL);
    q(&text, connect);
    ASSERT_OK_E(conv_decode(cc, text.p, text.len, dc, &E), &E);
    ASSERT_OK_E(dec(schema, value), &E);
    ASSERT_TRUE(conv_value_equal(dc, conv_doc_root(dc), D, conv_doc_root(D)));
    ASSERT_EQ_STR(dump(), "{'id':42,'name':'Ada','active':true,'score':98.5,'tags':['a','b'],"
                          "'address':{'city':'London','zip':'W1'},'note':null,'ts':1700000000000,'price':'123.45'}");
    /* and the comparison can fail: score as an integer type is another value */
    ASSERT_OK(dec("{'type':'object','properties':{'score':{'type':'integer'}}}", "{'score':98}"));
    ASSERT_FALSE(conv_value_equal(dc, conv_doc_root(dc), D, conv_doc_root(D)));
    conv_converter_free(cc);
    conv_doc_free(dc);
    buf_free(&text);
}

TEST(steady_state_allocates_nothing)
{
    struct mock m = {0, 200, NULL, ""};
    struct conv_converter *c = js_conv(&m, NULL);
    struct conv_doc *d = conv_doc_new();
    struct buf body = BUF_INIT, rec = BUF_INIT;
    uint64_t before;

    reply(&body, "{'type':'object','properties':{'id':{'type':'integer'},'price':{'type':'number'},"
                 "'name':{'type':'string'},'blob':{'type':'string','connect.type':'bytes'},"
                 "'tags':{'type':'array','items':{'type':'string'}},"
                 "'attrs':{'type':'object','connect.type':'map','additionalProperties':{'type':'integer'}},"
                 "'u':{'oneOf':[{'type':'string'},{'type':'integer'}]},"
                 "'amount':{'type':'number','title':'org.apache.kafka.connect.data.Decimal',"
                 "'connect.type':'bytes','connect.parameters':{'scale':'2'}}}}");
    m.body = buf_cstr(&body);
    frame(&rec, 3, "{'id':1,'price':2,'name':'caf\\u00e9','blob':'aGVsbG8=','tags':['a','b'],"
                   "'attrs':{'x':1},'u':4,'amount':12.34}");
    for (int i = 0; i < 10; i++)
        ASSERT_OK_E(conv_decode(c, rec.p, rec.len, d, &E), &E);
    before = mem_alloc_count();
    for (int i = 0; i < 5000; i++)
        ASSERT_OK(conv_decode(c, rec.p, rec.len, d, &E));
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    ASSERT_EQ_INT(m.calls, 1);
    D = d;
    ASSERT_EQ_STR(dump(), "{'id':1,'price':2,'name':'caf\xc3\xa9','blob':b64'aGVsbG8=','tags':['a','b'],"
                          "'attrs':{'x':1},'u':{'io.confluent.connect.json.OneOf.field.0':null,"
                          "'io.confluent.connect.json.OneOf.field.1':4},'amount':'12.34'}");
    D = NULL;
    conv_converter_free(c);
    conv_doc_free(d);
    buf_free(&body);
    buf_free(&rec);
}

TEST_LIST = {
    T(number_is_double_even_when_integral),
    T(integers_are_range_checked_never_truncated),
    T(strings_booleans_bytes_enums),
    T(objects_are_structs_of_the_declared_properties),
    T(defaults_replace_null_and_absent),
    T(maps_from_additional_properties_and_entries),
    T(arrays),
    T(one_of_null_is_optional_others_are_unions),
    T(local_refs_and_recursion),
    T(logical_types_by_title),
    T(schema_errors_name_the_schema_id_and_place),
    T(framing_registry_and_payload_errors),
    T(settings),
    T(limits),
    T(many_keys_and_many_fields_stay_linear),
    T(same_record_as_connect_json_gives_the_same_value),
    T(steady_state_allocates_nothing),
    {0},
};
