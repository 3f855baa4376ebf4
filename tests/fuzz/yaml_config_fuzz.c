/* tests/fuzz/yaml_config_fuzz.c: the mapping loader and validator on arbitrary bytes.
 * The first byte picks the reader (YAML or strict JSON) and the partial-load flag; the rest
 * is the file. Every diagnostic is formatted, a loaded config is walked; ASan/UBSan/LSan
 * watch memory. Seeds: tests/fuzz/corpus/yaml_config/. */
#include <stdint.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf b = BUF_INIT;
    struct err e = {0};
    unsigned flags;
    struct cfg *c;

    if (size == 0)
        return 0;
    flags = (data[0] & 1 ? CFG_LOAD_JSON : CFG_LOAD_YAML) | (data[0] & 2 ? CFG_LOAD_PARTIAL : 0);
    c = cfg_load_text((const char *)data + 1, size - 1, "fuzz.yml", flags, &d);
    for (size_t i = 0; i < d.n; i++) {
        buf_reset(&b);
        cfg_diag_format(&d.v[i], &b);
    }
    cfg_diags_to_err(&d, &e);
    if (c) {
        for (size_t i = 0; i < c->n_topics; i++) {
            const struct cfg_topic *t = cfg_topic_find(c, c->topics[i].name);
            if (!t)
                __builtin_trap();
            for (size_t k = 0; k < t->mapping.bins.n_map; k++)
                buf_append_str(&b, t->mapping.bins.map[k].name);
        }
        if (!(flags & CFG_LOAD_PARTIAL) && d.errors)
            __builtin_trap();   /* a config with errors must never load */
    }
    cfg_free(c);
    cfg_diags_free(&d);
    buf_free(&b);
    return 0;
}
