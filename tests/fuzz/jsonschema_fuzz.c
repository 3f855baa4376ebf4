/* tests/fuzz/jsonschema_fuzz.c: io.confluent.connect.json.JsonSchemaConverter (src/convert/
 * jsonschema.c) through conv_decode with an in-memory Schema Registry: the JSON Schema compiler
 * and the typing of framed records. The first input byte picks a mode: 0 = the input is
 * "<schema text> NUL <record JSON>", the schema served under a fresh id each time (so it is
 * compiled every run); 1..N = one of the fixed schemas below, the rest is the record JSON. */
#include <stdlib.h>
#include <string.h>

#include "convert/convert_int.h"
#include "fuzz_doc.h"

static const char *const schemas[] = {
    /* every keyword the compiler reads */
    "{\"type\":\"object\",\"properties\":{"
    "\"i\":{\"type\":\"integer\",\"connect.type\":\"int8\",\"connect.index\":0},"
    "\"n\":{\"type\":\"number\",\"connect.type\":\"float32\"},\"s\":{\"type\":\"string\",\"default\":\"d\"},"
    "\"b\":{\"type\":\"boolean\"},\"by\":{\"type\":\"string\",\"connect.type\":\"bytes\"},"
    "\"e\":{\"enum\":[\"A\",\"B\"]},\"a\":{\"type\":\"array\",\"items\":{\"type\":[\"integer\",\"null\"]}},"
    "\"m\":{\"type\":\"object\",\"connect.type\":\"map\",\"additionalProperties\":{\"type\":\"number\"}},"
    "\"kv\":{\"type\":\"array\",\"connect.type\":\"map\",\"items\":{\"type\":\"object\",\"properties\":"
    "{\"key\":{\"type\":\"integer\"},\"value\":{\"type\":\"string\"}}}},"
    "\"u\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"},{\"type\":\"null\"},"
    "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}}},{\"type\":\"array\",\"items\":{\"type\":\"number\"}}]},"
    "\"dec\":{\"type\":\"number\",\"title\":\"org.apache.kafka.connect.data.Decimal\",\"connect.type\":\"bytes\","
    "\"connect.parameters\":{\"scale\":\"3\"}},"
    "\"dt\":{\"type\":\"integer\",\"title\":\"org.apache.kafka.connect.data.Date\"},"
    "\"tm\":{\"type\":\"integer\",\"title\":\"org.apache.kafka.connect.data.Time\"},"
    "\"ts\":{\"type\":\"integer\",\"title\":\"org.apache.kafka.connect.data.Timestamp\"},"
    "\"r\":{\"$ref\":\"#/definitions/R\"}},\"required\":[\"i\"],"
    "\"definitions\":{\"R\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
    "\"next\":{\"oneOf\":[{\"type\":\"null\"},{\"$ref\":\"#/definitions/R\"}]}}}}}",
    /* recursion through arrays */
    "{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}",
    "{\"type\":[\"string\",\"number\",\"boolean\",\"array\",\"object\",\"null\"],\"items\":{\"type\":\"string\"}}",
};

#define NSCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

static struct conv_doc *doc;
static struct conv_converter *conv;
static struct buf reply, rec;
static uint32_t next_id = 100;

/* ids 1..NSCHEMAS: the fixed schemas; any other id: the schema in `reply`. */
static enum status registry(void *ctx, const char *url, const char *userinfo, struct buf *body,
                            long *http_status, struct err *e)
{
    const char *id = strstr(url, "/schemas/ids/");
    long k = id ? strtol(id + 13, NULL, 10) : 0;

    (void)ctx;
    (void)userinfo;
    (void)e;
    *http_status = 200;
    if (k >= 1 && k <= (long)NSCHEMAS) {
        buf_append_str(body, "{\"schemaType\":\"JSON\",\"schema\":");
        json_append_str(body, schemas[k - 1], strlen(schemas[k - 1]));
        return buf_append_str(body, "}");
    }
    return buf_append(body, reply.p, reply.len);
}

static void frame(uint32_t id, const uint8_t *p, size_t n)
{
    buf_reset(&rec);
    buf_put_u8(&rec, 0);
    for (int i = 3; i >= 0; i--)
        buf_put_u8(&rec, (uint8_t)(id >> (8 * i)));
    buf_append(&rec, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e;
    size_t mode;

    if (!doc) {
        const char *props[] = {"schema.registry.url", "http://registry", NULL};
        struct conv_limits lim = {32, 20000, 1u << 20};
        doc = conv_doc_new();
        conv_doc_set_limits(doc, &lim);
        conv = conv_converter_new("JsonSchemaConverter", props, &e);
        if (!conv)
            abort();
        conv_converter_set_http(conv, registry, NULL);
    }
    if (size < 1)
        return 0;
    mode = data[0] % (NSCHEMAS + 1);
    if (mode == 0) {
        const uint8_t *nul = memchr(data + 1, 0, size - 1);
        size_t sn = nul ? (size_t)(nul - data - 1) : size - 1;
        buf_reset(&reply);
        buf_append_str(&reply, "{\"schemaType\":\"JSON\",\"schema\":");
        json_append_str(&reply, (const char *)data + 1, sn);
        buf_append_str(&reply, "}");
        frame(next_id++, nul ? nul + 1 : data + size, nul ? size - sn - 2 : 0);
    } else {
        frame((uint32_t)mode, data + 1, size - 1);
    }
    e.msg[0] = '\0';
    if (conv_decode(conv, rec.p, rec.len, doc, &e) == ST_OK)
        fuzz_doc_check(doc, 0, conv_doc_count(doc));
    else if (!e.msg[0] || conv_doc_count(doc) != 0)
        abort();
    return 0;
}
