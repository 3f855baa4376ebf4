/* tests/fuzz/properties_fuzz.c: the java.util.Properties parser, connector JSON, and the
 * worker and connector views built on them, on arbitrary bytes. Seeds:
 * tests/fuzz/corpus/properties/. */
#include <stdint.h>
#include <string.h>

#include "config/config.h"

static void diags(struct cfg_diags *d, struct buf *b)
{
    for (size_t i = 0; i < d->n; i++) {
        buf_reset(b);
        cfg_diag_format(&d->v[i], b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf b = BUF_INIT;
    struct cfg_props *p;
    struct cfg_worker *w;
    struct cfg_connector *c;
    struct cfg_converter cv;

    /* properties text -> worker and connector views */
    w = cfg_worker_new(cfg_props_parse(text, size, "/fuzz/w.properties", &d), CFG_WORKER_AUTO, &d);
    c = cfg_connector_new(cfg_props_parse(text, size, "/fuzz/c.properties", &d), &d);
    cfg_effective_converter(w, c, true, &cv);
    cfg_effective_converter(w, c, false, &cv);
    cfg_check_converters(w, c, &d);
    p = cfg_props_parse(text, size, "f.properties", NULL);
    if (p) {
        for (size_t i = 0; i < p->n; i++)
            if (cfg_props_find(p, p->v[i].key) != &p->v[i])
                __builtin_trap();   /* the index finds every key, at its own slot */
        cfg_check_props_secrets(p, "/nonexistent", &d);
    }
    cfg_props_free(p);
    cfg_connector_free(c);
    cfg_worker_free(w);
    /* the same bytes as a connector JSON */
    c = cfg_connector_new(cfg_props_parse_json(text, size, "c.json", &d), &d);
    cfg_connector_free(c);
    (void)cfg_file_kind("x.properties", text, size);
    diags(&d, &b);
    cfg_diags_free(&d);
    buf_free(&b);
    return 0;
}
