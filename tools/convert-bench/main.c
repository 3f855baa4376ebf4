/* tools/convert-bench: decode throughput of the converters on one fixed ~200-byte record
 * (plain JSON, the same record in the Connect JSON envelope, and in Avro with Schema Registry
 * framing). Not a test: prints ns/record; numbers and the command live in docs/formats.md.
 *
 *   build/convert-bench [--iterations N] [--only json|connect|avro]
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
    uint64_t t0, t1, c0, c1, a0;
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
    conv_doc_free(d);
    return 0;
}

int main(int argc, char **argv)
{
    long iters = 2000000;
    const char *only = NULL;
    const char *plain[] = {"schemas.enable", "false", NULL};
    const char *sr[] = {"schema.registry.url", "http://registry.invalid", NULL};
    struct conv_converter *cj, *cc, *ca;
    struct buf env = BUF_INIT, avro = BUF_INIT, reply = BUF_INIT;
    struct err e = {0};
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iters = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else {
            fprintf(stderr, "usage: convert-bench [--iterations N] [--only json|connect|avro]\n");
            return 2;
        }
    }
    if (iters <= 0)
        iters = 1;
    cj = conv_converter_new("JsonConverter", plain, &e);
    cc = conv_converter_new("JsonConverter", NULL, &e);
    ca = conv_converter_new("AvroConverter", sr, &e);
    if (!cj || !cc || !ca) {
        fprintf(stderr, "convert-bench: %s\n", e.msg);
        return 1;
    }
    buf_printf(&env, "{\"schema\":%s,\"payload\":%s}", connect_schema, json_rec);
    buf_append_str(&reply, "{\"schema\":");
    json_append_str(&reply, avro_schema, strlen(avro_schema));
    buf_append_str(&reply, "}");
    conv_converter_set_http(ca, registry, (void *)buf_cstr(&reply));
    avro_record(&avro);
    if (!only || strcmp(only, "json") == 0)
        rc |= run("json", cj, (const uint8_t *)json_rec, strlen(json_rec), iters);
    if (!only || strcmp(only, "connect") == 0)
        rc |= run("connect-json", cc, env.p, env.len, iters / 4);
    if (!only || strcmp(only, "avro") == 0)
        rc |= run("avro", ca, avro.p, avro.len, iters);
    conv_converter_free(cj);
    conv_converter_free(cc);
    conv_converter_free(ca);
    buf_free(&env);
    buf_free(&avro);
    buf_free(&reply);
    return rc;
}
