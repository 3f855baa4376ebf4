/* tests/fuzz/protobuf_fuzz.c: the Protobuf binary decoder (src/convert/protobuf.c) with a fixed
 * set of schemas, plus the framing and message indexes through the converter with an in-memory
 * registry. The first input byte picks the schema (and the options); the rest is the body, or,
 * for the last choice, the whole Kafka record (schema id 1 is schemas[0]). Decoded documents
 * are checked for a well-formed tree. */
#include <stdlib.h>
#include <string.h>

#include "convert/protobuf_int.h"
#include "fuzz_doc.h"

static const char *const schemas[] = {
    /* every scalar, enum, repeated, map, oneof, nesting, recursion, well-known types */
    "syntax = \"proto3\";\n"
    "package f;\n"
    "import \"google/protobuf/timestamp.proto\";\n"
    "import \"google/protobuf/wrappers.proto\";\n"
    "enum E { Z = 0; A = 1; B = -3; }\n"
    "message R {\n"
    "  double d = 1; float fl = 2; int64 i64 = 3; uint64 u64 = 4; int32 i32 = 5; fixed64 fx64 = 6;\n"
    "  fixed32 fx32 = 7; bool b = 8; string s = 9; bytes by = 12; uint32 u32 = 13; sfixed32 sf32 = 15;\n"
    "  sfixed64 sf64 = 16; sint32 si32 = 17; sint64 si64 = 18; E e = 19; repeated E es = 20;\n"
    "  repeated int32 ri = 21; repeated string rs = 22; repeated R children = 23; R next = 24;\n"
    "  map<string, R> ms = 25; map<int32, E> me = 26; map<bool, bytes> mb = 27;\n"
    "  oneof o { string os = 28; R or = 29; sint64 oi = 30; }\n"
    "  google.protobuf.Timestamp ts = 31; google.protobuf.StringValue sv = 32;\n"
    "  optional int32 opt = 33; repeated double rd = 34; repeated fixed32 rf = 35;\n"
    "  message Inner { oneof x { int32 a = 1; Inner deeper = 2; } }\n"
    "  Inner inner = 36;\n"
    "}\n",
    "syntax = \"proto2\";\n"
    "message P { required int32 a = 1; optional string s = 2 [default = \"d\\x41\"];\n"
    "  optional E e = 3 [default = Y]; repeated P p = 4; optional double d = 5 [default = -inf];\n"
    "  enum E { X = 5; Y = 6; } }\n",
};

static struct conv__pbsc *sch[sizeof(schemas) / sizeof(schemas[0])];
static struct conv_doc *doc;
static struct conv_converter *conv;
static struct buf reply;

static enum status registry(void *ctx, const char *url, const char *userinfo, struct buf *body,
                            long *http_status, struct err *e)
{
    (void)ctx;
    (void)userinfo;
    (void)e;
    if (strstr(url, "/schemas/ids/1") && !strstr(url, "/schemas/ids/1/") && url[strlen(url) - 1] == '1') {
        *http_status = 200;
        return buf_append(body, reply.p, reply.len);
    }
    *http_status = 404;
    return ST_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t ns = sizeof(sch) / sizeof(sch[0]);
    struct conv__pb_opts o;
    struct err e;
    size_t k;

    if (!doc) {
        const char *props[] = {"schema.registry.url", "http://registry", NULL};
        struct conv_limits lim = {32, 20000, 1u << 20};   /* a long packed run stops here */
        doc = conv_doc_new();
        conv_doc_set_limits(doc, &lim);
        for (k = 0; k < ns; k++)
            if (!(sch[k] = conv__pbsc_parse(schemas[k], strlen(schemas[k]), &e)))
                abort();
        conv = conv_converter_new("ProtobufConverter", props, &e);
        if (!conv)
            abort();
        conv_converter_set_http(conv, registry, NULL);
        buf_append_str(&reply, "{\"schemaType\":\"PROTOBUF\",\"schema\":");
        json_append_str(&reply, schemas[0], strlen(schemas[0]));
        buf_append_str(&reply, "}");
    }
    if (size < 1)
        return 0;
    k = data[0] % (ns + 1);
    o = (struct conv__pb_opts){data[0] & 0x10, data[0] & 0x20, !(data[0] & 0x40)};
    e.msg[0] = '\0';
    if (k < ns) {
        uint32_t m = (data[0] >> 7) && sch[k]->nmsgs > 1 ? sch[k]->nmsgs - 1 : sch[k]->kids[0];
        if (conv__pb_decode_value(sch[k], m, &o, data + 1, size - 1, doc, &e) == ST_OK)
            fuzz_doc_check(doc, 0, conv_doc_count(doc));
        else if (!e.msg[0])
            abort();
    } else {
        if (conv_decode(conv, data + 1, size - 1, doc, &e) == ST_OK)
            fuzz_doc_check(doc, 0, conv_doc_count(doc));
        else if (!e.msg[0])
            abort();
    }
    return 0;
}
