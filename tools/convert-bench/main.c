/* tools/convert-bench: decode throughput of the converters on one fixed ~200-byte record
 * (plain JSON, the same record in the Connect JSON envelope, and with Schema Registry framing
 * in Avro, JSON Schema and Protobuf; the registry is an in-process fake GET). Not a test:
 * prints ns/record; numbers and the command live in docs/formats.md.
 *
 *   build/convert-bench [--iterations N] [--only json|connect|avro|jsonschema|protobuf]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/convert.h"

static const char *json_rec =
    "{\"id\":1234567,\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\",\"active\":true,"
    "\"score\":98.25,\"tags\":[\"math\",\"poetry\"],\"address\":{\"city\":\"London\",\"zip\":\"W1J 7NT\"},"
    "\"ts\":1700000000123,\"note\":\"caf\\u00e9\"}";

static const char *connect_schema =
    "{\"type\":\"struct\",\"name\":\"Person\",\"fields\":[{\"field\":\"id\",\"type\":\"int64\"},"
    "{\"field\":\"name\",\"type\":\"string\"},{\"field\":\"email\",\"type\":\"string\",\"optional\":true},"
    "{\"field\":\"active\",\"type\":\"boolean\"},{\"field\":\"score\",\"type\":\"double\"},"
    "{\"field\":\"tags\",\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "{\"field\":\"address\",\"type\":\"struct\",\"fields\":[{\"field\":\"city\",\"type\":\"string\"},"
    "{\"field\":\"zip\",\"type\":\"string\"}]},"
    "{\"field\":\"ts\",\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\"},"
    "{\"field\":\"note\",\"type\":\"string\",\"optional\":true}]}";

static const char *avro_schema =
    "{\"type\":\"record\",\"name\":\"Person\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"email\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"active\",\"type\":\"boolean\"},{\"name\":\"score\",\"type\":\"double\"},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"address\",\"type\":{\"type\":\"record\",\"name\":\"A\",\"fields\":["
    "{\"name\":\"city\",\"type\":\"string\"},{\"name\":\"zip\",\"type\":\"string\"}]}},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"]}]}";

static const char *json_schema =
    "{\"type\":\"object\",\"title\":\"Person\",\"properties\":{\"id\":{\"type\":\"integer\"},"
    "\"name\":{\"type\":\"string\"},\"email\":{\"oneOf\":[{\"type\":\"null\"},{\"type\":\"string\"}]},"
    "\"active\":{\"type\":\"boolean\"},\"score\":{\"type\":\"number\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"address\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
    "\"zip\":{\"type\":\"string\"}}},"
    "\"ts\":{\"type\":\"integer\",\"title\":\"org.apache.kafka.connect.data.Timestamp\"},"
    "\"note\":{\"oneOf\":[{\"type\":\"null\"},{\"type\":\"string\"}]}}}";

static const char *proto_schema =
    "syntax = \"proto3\";\n"
    "package bench;\n"
    "import \"google/protobuf/timestamp.proto\";\n"
    "message Person {\n"
    "  int64 id = 1;\n"
    "  string name = 2;\n"
    "  optional string email = 3;\n"
    "  bool active = 4;\n"
    "  double score = 5;\n"
    "  repeated string tags = 6;\n"
    "  message Address { string city = 1; string zip = 2; }\n"
    "  Address address = 7;\n"
    "  google.protobuf.Timestamp ts = 8;\n"
    "  optional string note = 9;\n"
    "}\n";

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

static void avro_record(struct buf *b)
{
    double score = 98.25;
    uint64_t bits;

    buf_append(b, "\x00\x00\x00\x00\x01", 5);
    av_long(b, 1234567);
    av_str(b, "Ada Lovelace");
    av_long(b, 1);
    av_str(b, "ada@example.com");
    buf_put_u8(b, 1);
    memcpy(&bits, &score, 8);
    for (int i = 0; i < 8; i++)
        buf_put_u8(b, (uint8_t)(bits >> (8 * i)));
    av_long(b, 2);
    av_str(b, "math");
    av_str(b, "poetry");
    av_long(b, 0);
    av_str(b, "London");
    av_str(b, "W1J 7NT");
    av_long(b, 1700000000123);
    av_long(b, 1);
    av_str(b, "caf\xc3\xa9");
}

static void pb_varint(struct buf *b, uint64_t v)
{
    while (v >= 0x80) {
        buf_put_u8(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    buf_put_u8(b, (uint8_t)v);
}

static void pb_str(struct buf *b, unsigned field, const char *s)
{
    pb_varint(b, field << 3 | 2);
    pb_varint(b, strlen(s));
    buf_append(b, s, strlen(s));
}

/* The record as Protobuf: framing with the short message-index form (0x00: the first message). */
static void protobuf_record(struct buf *b)
{
    double score = 98.25;
    uint64_t bits;
    struct buf sub = BUF_INIT;

    buf_append(b, "\x00\x00\x00\x00\x01\x00", 6);
    pb_varint(b, 1 << 3 | 0);
    pb_varint(b, 1234567);
    pb_str(b, 2, "Ada Lovelace");
    pb_str(b, 3, "ada@example.com");
    pb_varint(b, 4 << 3 | 0);
    pb_varint(b, 1);
    pb_varint(b, 5 << 3 | 1);
    memcpy(&bits, &score, 8);
    for (int i = 0; i < 8; i++)
        buf_put_u8(b, (uint8_t)(bits >> (8 * i)));
    pb_str(b, 6, "math");
    pb_str(b, 6, "poetry");
    pb_str(&sub, 1, "London");
    pb_str(&sub, 2, "W1J 7NT");
    pb_varint(b, 7 << 3 | 2);
    pb_varint(b, sub.len);
    buf_append(b, sub.p, sub.len);
    buf_reset(&sub);
    pb_varint(&sub, 1 << 3 | 0);       /* Timestamp.seconds */
    pb_varint(&sub, 1700000000);
    pb_varint(&sub, 2 << 3 | 0);       /* Timestamp.nanos */
    pb_varint(&sub, 123000000);
    pb_varint(b, 8 << 3 | 2);
    pb_varint(b, sub.len);
    buf_append(b, sub.p, sub.len);
    pb_str(b, 9, "caf\xc3\xa9");
    buf_free(&sub);
}

/* The registry's answer for @schema of @type (NULL: Avro, which the registry leaves out). */
static void registry_reply(struct buf *b, const char *type, const char *schema)
{
    buf_append_str(b, "{");
    if (type)
        buf_printf(b, "\"schemaType\":\"%s\",", type);
    buf_append_str(b, "\"schema\":");
    json_append_str(b, schema, strlen(schema));
    buf_append_str(b, "}");
}

static enum status registry(void *ctx, const char *url, const char *userinfo, struct buf *body,
                            long *http_status, struct err *e)
{
    (void)url;
    (void)userinfo;
    (void)e;
    *http_status = 200;
    return buf_append_str(body, ctx);
}

static int run(const char *label, struct conv_converter *c, const uint8_t *p, size_t n, long iters)
{
    struct conv_doc *d = conv_doc_new();
    struct err e = {0};
    uint64_t t0, t1, c0, c1, a0, allocs;
    double ns, cpu_ns;

    for (long i = 0; i < 10000; i++)
        if (conv_decode(c, p, n, d, &e) != ST_OK) {
            fprintf(stderr, "%s: %s\n", label, e.msg);
            return 1;
        }
    a0 = mem_alloc_count();
    t0 = clock_mono_ns();
    c0 = clock_cpu_us();
    for (long i = 0; i < iters; i++)
        conv_decode(c, p, n, d, &e);
    c1 = clock_cpu_us();
    t1 = clock_mono_ns();
    ns = (double)(t1 - t0) / (double)iters;
    cpu_ns = (double)(c1 - c0) * 1000.0 / (double)iters;
    /* CPU time is the number to quote on a shared machine; wall time shows the contention */
    printf("%-13s %4zu bytes  %7.1f ns/record (cpu)  %7.1f MB/s (cpu)  %8.1f ns/record (wall)  "
           "%u values  allocs %llu\n", label, n, cpu_ns, (double)n * 1e3 / cpu_ns, ns,
           conv_doc_count(d), (unsigned long long)(mem_alloc_count() - a0));
    allocs = mem_alloc_count() - a0;
    conv_doc_free(d);
    if (allocs) {   /* a warm converter must allocate nothing per record */
        fprintf(stderr, "%s: %llu allocations in the timed loop (expected 0)\n", label, (unsigned long long)allocs);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long iters = 2000000;
    const char *only = NULL;
    const char *plain[] = {"schemas.enable", "false", NULL};
    const char *sr[] = {"schema.registry.url", "http://registry.invalid", NULL};
    struct conv_converter *cj, *cc, *ca, *cs, *cp;
    struct buf env = BUF_INIT, avro = BUF_INIT, reply = BUF_INIT, js = BUF_INIT, js_reply = BUF_INIT;
    struct buf pb = BUF_INIT, pb_reply = BUF_INIT;
    struct err e = {0};
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iters = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else {
            fprintf(stderr, "usage: convert-bench [--iterations N] [--only json|connect|avro|jsonschema|"
                    "protobuf]\n");
            return 2;
        }
    }
    if (iters <= 0)
        iters = 1;
    cj = conv_converter_new("JsonConverter", plain, &e);
    cc = conv_converter_new("JsonConverter", NULL, &e);
    ca = conv_converter_new("AvroConverter", sr, &e);
    cs = conv_converter_new("JsonSchemaConverter", sr, &e);
    cp = conv_converter_new("ProtobufConverter", sr, &e);
    if (!cj || !cc || !ca || !cs || !cp) {
        fprintf(stderr, "convert-bench: %s\n", e.msg);
        return 1;
    }
    buf_printf(&env, "{\"schema\":%s,\"payload\":%s}", connect_schema, json_rec);
    registry_reply(&reply, NULL, avro_schema);
    conv_converter_set_http(ca, registry, (void *)buf_cstr(&reply));
    avro_record(&avro);
    registry_reply(&js_reply, "JSON", json_schema);
    conv_converter_set_http(cs, registry, (void *)buf_cstr(&js_reply));
    buf_append(&js, "\x00\x00\x00\x00\x01", 5);
    buf_append_str(&js, json_rec);
    registry_reply(&pb_reply, "PROTOBUF", proto_schema);
    conv_converter_set_http(cp, registry, (void *)buf_cstr(&pb_reply));
    protobuf_record(&pb);
    if (!only || strcmp(only, "json") == 0)
        rc |= run("json", cj, (const uint8_t *)json_rec, strlen(json_rec), iters);
    if (!only || strcmp(only, "connect") == 0)
        rc |= run("connect-json", cc, env.p, env.len, iters / 4);
    if (!only || strcmp(only, "avro") == 0)
        rc |= run("avro", ca, avro.p, avro.len, iters);
    if (!only || strcmp(only, "jsonschema") == 0)
        rc |= run("jsonschema", cs, js.p, js.len, iters);
    if (!only || strcmp(only, "protobuf") == 0)
        rc |= run("protobuf", cp, pb.p, pb.len, iters);
    conv_converter_free(cj);
    conv_converter_free(cc);
    conv_converter_free(ca);
    conv_converter_free(cs);
    conv_converter_free(cp);
    buf_free(&env);
    buf_free(&js);
    buf_free(&js_reply);
    buf_free(&pb);
    buf_free(&pb_reply);
    buf_free(&avro);
    buf_free(&reply);
    return rc;
}
