/* tests/fuzz/json_fuzz.c: the JSON parser (src/convert/json.c) on arbitrary bytes.
 * Checks the document invariants after every successful parse: every node's subtree ends
 * inside its parent, container counts match their children, strings are valid UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "convert/convert.h"

static struct conv_doc *doc;

static void check(const struct conv_doc *d, uint32_t i, uint32_t end)
{
    const struct conv_value *v = conv_doc_node(d, i);
    uint32_t kids = 0;

    if (!v || v->next <= i || v->next > end)
        abort();
    if (v->type == CONV_LIST || v->type == CONV_MAP) {
        for (uint32_t c = i + 1; c < v->next; c = conv_doc_node(d, c)->next, kids++)
            check(d, c, v->next);
        if (kids != (v->type == CONV_MAP ? 2 * v->count : v->count))
            abort();
        if (v->type == CONV_MAP)   /* keys are strings, never repeated */
            for (uint32_t a = i + 1; a < v->next; a = conv_doc_node(d, conv_doc_node(d, a)->next)->next) {
                const struct conv_value *k = conv_doc_node(d, a);
                if (k->type != CONV_STRING || conv_map_get(d, v, k->s.p, k->s.n) !=
                                                  conv_doc_node(d, k->next))
                    abort();
            }
    } else if (v->next != i + 1) {
        abort();
    }
}

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
        check(doc, 0, conv_doc_count(doc));
        if (conv_doc_root(doc)->next != conv_doc_count(doc))
            abort();
        conv_value_dump(doc, conv_doc_root(doc), &b);
        buf_free(&b);
    } else if (e.msg[0] == '\0' || strncmp(e.msg, "JSON: ", 6) != 0) {
        abort();
    }
    return 0;
}
