/* tests/fuzz/avro_fuzz.c: the Avro binary decoder (src/convert/avro.c) with a fixed set of
 * schemas, plus the Schema Registry framing through the converter with an in-memory registry.
 * The first input byte picks the schema; the rest is the Avro body. */
#include <stdlib.h>
#include <string.h>

#include "convert/convert_int.h"
#include "fuzz_doc.h"

static const char *const schemas[] = {
    /* every type and logical type, a recursive reference and a namespace */
    "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
    "{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"double\"},{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":\"string\"},{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":[\"null\",\"int\",\"string\"]}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"E\"}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}},"
    "{\"name\":\"dec\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":30,\"scale\":4}},"
    "{\"name\":\"decf\",\"type\":{\"type\":\"fixed\",\"name\":\"DF\",\"size\":8,\"logicalType\":\"decimal\",\"precision\":18,\"scale\":2}},"
    "{\"name\":\"dt\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"u\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"}},"
    "{\"name\":\"next\",\"type\":[\"null\",\"R\"]}]}",
    "{\"type\":\"array\",\"items\":{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"long\"}}}",
    "[\"null\",\"string\",\"double\",{\"type\":\"array\",\"items\":\"null\"}]",
    "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},{\"name\":\"n\",\"type\":[\"null\",\"L\"]}]}",
};

static struct conv__avsc *sch[sizeof(schemas) / sizeof(schemas[0])];
static struct conv_doc *doc;
static struct conv_converter *conv;
static struct buf reply;

static enum status registry(void *ctx, const char *url, const char *userinfo, struct buf *body,
                            long *http_status, struct err *e)
{
    (void)ctx;
    (void)userinfo;
    (void)e;
    if (strstr(url, "/schemas/ids/1") && !strstr(url, "/schemas/ids/1/")) {
        *http_status = 200;
        return buf_append(body, reply.p, reply.len);
    }
    *http_status = 404;
    return ST_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e;
    size_t k;

    if (!doc) {
        const char *props[] = {"schema.registry.url", "http://registry", NULL};
        struct conv_limits lim = {32, 20000, 1u << 20};   /* a huge block count stops here */
        doc = conv_doc_new();
        conv_doc_set_limits(doc, &lim);
        for (k = 0; k < sizeof(sch) / sizeof(sch[0]); k++)
            if (!(sch[k] = conv__avsc_parse(schemas[k], strlen(schemas[k]), &e)))
                abort();
        conv = conv_converter_new("AvroConverter", props, &e);
        if (!conv)
            abort();
        conv_converter_set_http(conv, registry, NULL);
        buf_append_str(&reply, "{\"schema\":");
        json_append_str(&reply, schemas[0], strlen(schemas[0]));
        buf_append_str(&reply, "}");
    }
    if (size < 1)
        return 0;
    k = data[0] % (sizeof(sch) / sizeof(sch[0]) + 1);
    e.msg[0] = '\0';
    if (k < sizeof(sch) / sizeof(sch[0])) {
        if (conv__avro_decode_value(sch[k], data + 1, size - 1, doc, &e) == ST_OK)
            fuzz_doc_check(doc, 0, conv_doc_count(doc));
        else if (!e.msg[0])
            abort();
    } else {   /* the framed record as Kafka delivers it */
        if (conv_decode(conv, data + 1, size - 1, doc, &e) == ST_OK)
            fuzz_doc_check(doc, 0, conv_doc_count(doc));
        else if (!e.msg[0])
            abort();
    }
    return 0;
}
