/* tests/fuzz/properties_fuzz.c: the java.util.Properties parser, connector JSON, the worker
 * and connector views built on them, and config-provider references, on arbitrary bytes. Seeds:
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
    /* config-provider references in the same bytes, resolved with an environment provider
     * (no file access from the fuzzer) and scrubbed from the messages */
    {
        static const char wtext[] = "config.providers=env,bad\n"
                                    "config.providers.env.class=EnvVarConfigProvider\n"
                                    "config.providers.env.param.allowlist.pattern=F[A-Z_]*\n"
                                    "config.providers.bad.class=NoSuchProvider\n";
        struct cfg_props *wp = cfg_props_parse(wtext, sizeof(wtext) - 1, "/fuzz/w.properties", NULL);
        struct cfg_providers *pv = cfg_providers_new(wp, &d);
        struct cfg_resolved *res = NULL;
        c = cfg_connector_new_resolved(cfg_props_parse(text, size, "/fuzz/r.properties", &d), pv, &res, &d);
        cfg_resolved_scrub(&res, 1, &d);
        cfg_resolved_free(res);
        cfg_connector_free(c);
        cfg_providers_free(pv);
        cfg_props_free(wp);
    }
    /* the same bytes as a connector JSON */
    c = cfg_connector_new(cfg_props_parse_json(text, size, "c.json", &d), &d);
    cfg_connector_free(c);
    (void)cfg_file_kind("x.properties", text, size);
    diags(&d, &b);
    cfg_diags_free(&d);
    buf_free(&b);
    return 0;
}
