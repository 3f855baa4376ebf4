/* tests/fuzz/avro_schema_fuzz.c: the Avro schema parser (src/convert/avro_schema.c) on
 * arbitrary text; a schema that parses is then used to decode a few fixed byte strings. */
#include <stdlib.h>
#include <string.h>

#include "convert/convert_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct conv_doc *doc;
    static const uint8_t bodies[][12] = {
        {0}, {2, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
        {0x80, 0x80, 1, 2, 0x41, 0x42, 0, 0, 0, 0, 0, 0},
    };
    struct err e;
    struct conv__avsc *s;

    if (!doc) {
        struct conv_limits lim = {32, 10000, 1u << 20};
        doc = conv_doc_new();
        conv_doc_set_limits(doc, &lim);
    }
    e.msg[0] = '\0';
    s = conv__avsc_parse((const char *)data, size, &e);
    if (!s) {
        if (!e.msg[0])
            abort();
        return 0;
    }
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        for (size_t n = 0; n <= sizeof(bodies[0]); n += 3)
            conv__avro_decode_value(s, bodies[i], n, doc, &e);
    conv__avsc_free(s);
    return 0;
}
