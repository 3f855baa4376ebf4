/* tests/fuzz/fuzz_doc.h: what every converter fuzz target checks about a document a decode
 * accepted: each node's subtree ends inside its parent's, types are known, scalars have no
 * children, and lists/maps hold exactly count (maps: 2 * count) children. abort() on a
 * violation, so libFuzzer reports the input. */
#ifndef AEROSINK_FUZZ_DOC_H
#define AEROSINK_FUZZ_DOC_H

#include <stdint.h>
#include <stdlib.h>

#include "convert/convert.h"

/* Check node @i and its subtree, which must end by @end. */
static inline void fuzz_doc_check(const struct conv_doc *d, uint32_t i, uint32_t end)
{
    const struct conv_value *v = conv_doc_node(d, i);
    uint32_t kids = 0;

    if (!v || v->next <= i || v->next > end || v->type > CONV_MAP)
        abort();
    if (v->type == CONV_LIST || v->type == CONV_MAP) {
        for (uint32_t c = i + 1; c < v->next; c = conv_doc_node(d, c)->next, kids++)
            fuzz_doc_check(d, c, v->next);
        if (kids != (v->type == CONV_MAP ? 2 * v->count : v->count))
            abort();
    } else if (v->next != i + 1) {
        abort();
    }
}

#endif
