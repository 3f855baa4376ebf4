/* tests/fuzz/connect_json_fuzz.c: JsonConverter with schemas.enable=true (src/convert/connect.c)
 * on arbitrary bytes, with both replace.null.with.default settings; a long-lived converter
 * (schema cache carried across inputs) must agree with a fresh one. Checks that a successful
 * decode yields a well-formed document and that errors carry a message. */
#include <stdlib.h>
#include <string.h>

#include "convert/convert.h"
#include "fuzz_doc.h"

static struct conv_converter *conv[2];
static struct conv_doc *doc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const on[] = {NULL}, *const off[] = {"replace.null.with.default", "false", NULL};
    struct err e;
    struct buf b = BUF_INIT;

    if (!doc) {
        struct conv_limits lim = {32, 100000, 1u << 20};
        doc = conv_doc_new();
        conv_doc_set_limits(doc, &lim);
        conv[0] = conv_converter_new("JsonConverter", on, &e);
        conv[1] = conv_converter_new("JsonConverter", off, &e);
        if (!doc || !conv[0] || !conv[1])
            abort();
    }
    /* A fresh converter gives the reference result; converter 0 keeps its schema cache from
     * earlier inputs and decodes this one twice (the second may take the byte-identical
     * schema fast path): all three must agree. Converter 1 has replace.null.with.default=false. */
    struct buf first = BUF_INIT;
    struct conv_converter *fresh = conv_converter_new("JsonConverter", on, &e);
    enum status st0 = ST_OK;
    if (!fresh)
        abort();
    for (int k = 0; k < 4; k++) {
        struct conv_converter *c = k == 0 ? fresh : k == 3 ? conv[1] : conv[0];
        enum status st;
        e.msg[0] = '\0';
        st = conv_decode(c, data, size, doc, &e);
        buf_reset(&b);
        if (st == ST_OK) {
            fuzz_doc_check(doc, 0, conv_doc_count(doc));
            if (conv_doc_root(doc)->next != conv_doc_count(doc))
                abort();
            conv_value_dump(doc, conv_doc_root(doc), &b);
        } else if (e.msg[0] == '\0') {
            abort();
        } else {
            buf_append_str(&b, e.msg);
        }
        if (k == 0) {
            st0 = st;
            buf_append(&first, b.p, b.len);
        } else if (k < 3 && (st != st0 || b.len != first.len || (b.len && memcmp(b.p, first.p, b.len) != 0))) {
            abort();
        }
    }
    conv_converter_free(fresh);
    buf_free(&first);
    buf_free(&b);
    return 0;
}
