/* tests/fuzz/json_fuzz.c: the JSON parser (src/convert/json.c) on arbitrary bytes.
 * Checks the document invariants after every successful parse: every node's subtree ends
 * inside its parent, container counts match their children, strings are valid UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "convert/convert.h"
#include "fuzz_doc.h"

static struct conv_doc *doc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e;
    struct buf b = BUF_INIT;

    if (!doc) {
        struct conv_limits lim = {32, 100000, 1u << 20};
        doc = conv_doc_new();
        conv_doc_set_limits(doc, &lim);
    }
    if (conv_json_parse(doc, data, size, &e) == ST_OK) {
        fuzz_doc_check(doc, 0, conv_doc_count(doc));
        if (conv_doc_root(doc)->next != conv_doc_count(doc))
            abort();
        conv_value_dump(doc, conv_doc_root(doc), &b);
        buf_free(&b);
    } else if (e.msg[0] == '\0' || strncmp(e.msg, "JSON: ", 6) != 0) {
        abort();
    }
    return 0;
}
