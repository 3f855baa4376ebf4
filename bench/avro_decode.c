/* bench/avro_decode.c: our Avro decoder (src/convert/avro.c) against Apache Avro C (libavro,
 * Debian libavro-dev) on the same ~90-byte record, to decide which one the converter uses.
 * libavro reads into a reused generic value (its cheapest path, no conversion into our
 * document); ours produces the finished document. CPU time per record. Build and run with
 * bench/avro_decode.sh; the numbers and the decision are in docs/formats.md. */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/convert_int.h"

static const char *schema_json =
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

static void record(struct buf *b)
{
    double score = 98.25;
    uint64_t bits;

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

int main(int argc, char **argv)
{
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    struct buf rec = BUF_INIT;
    struct err e = {0};
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t val;
    avro_reader_t rd;
    struct conv__avsc *ours;
    struct conv_doc *doc = conv_doc_new();
    uint64_t c0, c1, a0;
    size_t n_items = 0;

    record(&rec);
    if (avro_schema_from_json_length(schema_json, strlen(schema_json), &schema)) {
        fprintf(stderr, "libavro schema: %s\n", avro_strerror());
        return 1;
    }
    iface = avro_generic_class_from_schema(schema);
    avro_generic_value_new(iface, &val);
    rd = avro_reader_memory((const char *)rec.p, (int64_t)rec.len);
    ours = conv__avsc_parse(schema_json, strlen(schema_json), &e);
    if (!ours) {
        fprintf(stderr, "ours: %s\n", e.msg);
        return 1;
    }
    for (int pass = 0; pass < 2; pass++) {
        /* libavro */
        c0 = clock_cpu_us();
        for (long i = 0; i < iters; i++) {
            avro_value_t tags;
            avro_reader_memory_set_source(rd, (const char *)rec.p, (int64_t)rec.len);
            avro_value_reset(&val);
            if (avro_value_read(rd, &val)) {
                fprintf(stderr, "libavro read: %s\n", avro_strerror());
                return 1;
            }
            avro_value_get_by_index(&val, 5, &tags, NULL);
            avro_value_get_size(&tags, &n_items);
        }
        c1 = clock_cpu_us();
        if (pass)
            printf("libavro 1.11 (generic value, reused)  %zu bytes  %7.1f ns/record (cpu)  [%zu tags]\n",
                   rec.len, (double)(c1 - c0) * 1000.0 / (double)iters, n_items);
        /* ours */
        a0 = mem_alloc_count();
        c0 = clock_cpu_us();
        for (long i = 0; i < iters; i++)
            if (conv__avro_decode_value(ours, rec.p, rec.len, doc, &e) != ST_OK) {
                fprintf(stderr, "ours: %s\n", e.msg);
                return 1;
            }
        c1 = clock_cpu_us();
        if (pass)
            printf("aerosink decoder (conv_doc, reused)   %zu bytes  %7.1f ns/record (cpu)  [%u values, %llu allocs]\n",
                   rec.len, (double)(c1 - c0) * 1000.0 / (double)iters, conv_doc_count(doc),
                   (unsigned long long)(mem_alloc_count() - a0));
    }
    avro_value_decref(&val);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    avro_reader_free(rd);
    conv__avsc_free(ours);
    conv_doc_free(doc);
    buf_free(&rec);
    return 0;
}
