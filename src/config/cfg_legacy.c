/* src/config/cfg_legacy.c: the v1.1 flat mapping form (connector-spec §3.7), rewritten in
 * place into the 2.x form before validation, one "deprecated" warning per old spelling:
 *
 *   all-fields: true                  -> bins: {type: multi-bins, all-value-fields: true}
 *   bins: {field: binName, ...}       -> bins: {type: multi-bins,
 *                                               map: {binName: {source: value-field,
 *                                                               field-name: field}}}
 *   key-field: field                  -> key-field: {source: value-field, field-name: field}
 *   set/ttl/namespace: {mode: dynamic, field-name: f}   (no source) -> source: value-field
 *
 * New nodes carry the position of the text they replace, so later messages still point at
 * what the user wrote. Key nodes are never modified (aliases may share them). */
#include <stdio.h>
#include <string.h>

#include "config_int.h"

static struct cfg_node *scalar(struct cfg_walk *w, const char *text, const struct cfg_node *at)
{
    struct cfg_node *n = cfg__node_new(w->arena, CFG_N_SCALAR, at->line, at->col);
    if (n) {
        n->s = text;
        n->len = strlen(text);
    }
    return n;
}

static struct cfg_node *map_at(struct cfg_walk *w, const struct cfg_node *at)
{
    return cfg__node_new(w->arena, CFG_N_MAP, at->line, at->col);
}

static bool add(struct cfg_walk *w, struct cfg_node *map, const char *key, struct cfg_node *val,
                const struct cfg_node *at)
{
    struct cfg_node *k = scalar(w, key, at);
    return k && val && cfg__map_add(w->arena, map, k, val);
}

static size_t pair_index(const struct cfg_node *map, const char *key)
{
    const struct cfg_pair *p = cfg__map_pair(map, key);
    return p ? (size_t)(p - map->pairs) : SIZE_MAX;
}

static void oom(struct cfg_walk *w, const struct cfg_node *at)
{
    if (!w->oom)
        cfg__err(w, at, NULL, "configuration too large");
    w->oom = true;
}

/* key-field: <field> */
static void old_key_field(struct cfg_walk *w, struct cfg_node *m)
{
    size_t i = pair_index(m, "key-field");
    struct cfg_node *v, *nv;
    char q[CFG_Q_LEN];

    if (i == SIZE_MAX || (v = m->pairs[i].val)->kind != CFG_N_SCALAR)
        return;
    cfg__q(v->s, v->len, q, sizeof(q));
    cfg__warn(w, m->pairs[i].key, "mapping.key-field",
              "deprecated v1.1 form: write key-field: {source: value-field, field-name: %s}", q);
    nv = map_at(w, v);
    if (!nv || !add(w, nv, "source", scalar(w, "value-field", v), v) ||
        !add(w, nv, "field-name", v, v)) {
        oom(w, v);
        return;
    }
    m->pairs[i].val = nv;
}

/* {mode: dynamic, field-name: f} without source */
static void old_dynamic(struct cfg_walk *w, struct cfg_node *m, const char *key)
{
    struct cfg_node *v = cfg__map_get(m, key), *mode;
    char sub[64];

    if (!v || v->kind != CFG_N_MAP || cfg__map_pair(v, "source") || !cfg__map_pair(v, "field-name"))
        return;
    mode = cfg__map_get(v, "mode");
    if (!mode || !str_eq(mode->s, mode->len, "dynamic"))
        return;
    snprintf(sub, sizeof(sub), "mapping.%s", key);
    cfg__warn(w, cfg__map_pair(m, key)->key, sub,
              "deprecated v1.1 form: add source: value-field");
    if (!add(w, v, "source", scalar(w, "value-field", mode), mode))
        oom(w, v);
}

/* bins: {field: binName} is old when it has no "type" and every value is a single value. */
static bool old_bins_shape(const struct cfg_node *b)
{
    if (!b || b->kind != CFG_N_MAP || b->n == 0 || cfg__map_pair(b, "type") ||
        cfg__map_pair(b, "all-value-fields") || cfg__map_pair(b, "map"))
        return false;
    for (size_t i = 0; i < b->n; i++)
        if (b->pairs[i].val->kind == CFG_N_MAP || b->pairs[i].val->kind == CFG_N_SEQ)
            return false;
    return true;
}

static struct cfg_node *new_bins_map(struct cfg_walk *w, const struct cfg_node *old)
{
    struct cfg_node *map = map_at(w, old);
    char q[CFG_Q_LEN];

    if (!map)
        return NULL;
    for (size_t i = 0; i < old->n; i++) {
        struct cfg_node *field = old->pairs[i].key, *bin = old->pairs[i].val, *spec;
        if (cfg__is_null(bin))
            bin = field;   /* `field:` alone: same name */
        if (cfg__map_pair(map, bin->s)) {
            cfg__err(w, bin, "mapping.bins", "bin \"%s\" is mapped twice",
                     cfg__q(bin->s, bin->len, q, sizeof(q)));
            continue;
        }
        spec = map_at(w, bin);
        if (!spec || !add(w, spec, "source", scalar(w, "value-field", bin), bin) ||
            !add(w, spec, "field-name", field, field) || !cfg__map_add(w->arena, map, bin, spec))
            return NULL;
    }
    return map;
}

static void old_bins(struct cfg_walk *w, struct cfg_node *m)
{
    size_t bi = pair_index(m, "bins"), ai = pair_index(m, "all-fields");
    struct cfg_node *old = bi != SIZE_MAX ? m->pairs[bi].val : NULL;
    struct cfg_node *all = ai != SIZE_MAX ? m->pairs[ai].val : NULL;
    struct cfg_node *nb, *at;
    bool old_shape = old_bins_shape(old);
    char q[CFG_Q_LEN];

    if (!old_shape && ai == SIZE_MAX)
        return;
    if (ai != SIZE_MAX) {
        cfg__q(all->s, all->len, q, sizeof(q));
        cfg__warn(w, m->pairs[ai].key, "mapping.all-fields",
                  "deprecated v1.1 form: write bins: {type: multi-bins, all-value-fields: %s}",
                  all->kind == CFG_N_SCALAR ? q : "true");
    }
    if (old_shape)
        cfg__warn(w, m->pairs[bi].key, "mapping.bins",
                  "deprecated v1.1 form {field: bin}: write bins: {type: multi-bins, map: "
                  "{<bin>: {source: value-field, field-name: <field>}}}");
    if (old && old->kind == CFG_N_MAP && !old_shape) {
        /* a 2.x bins map plus the old all-fields: move it in unless already there */
        if (all && !cfg__map_pair(old, "all-value-fields") && !add(w, old, "all-value-fields", all, all))
            oom(w, all);
        cfg__map_remove(m, ai);
        return;
    }
    at = ai != SIZE_MAX ? m->pairs[ai].key : m->pairs[bi].key;
    nb = map_at(w, old_shape ? old : at);
    if (!nb || !add(w, nb, "type", scalar(w, "multi-bins", at), at)) {
        oom(w, at);
        return;
    }
    if (all && !add(w, nb, "all-value-fields", all, all)) {
        oom(w, all);
        return;
    }
    if (old_shape) {
        struct cfg_node *map = new_bins_map(w, old);
        if (!map || !add(w, nb, "map", map, old)) {
            oom(w, old);
            return;
        }
    }
    if (bi != SIZE_MAX) {
        m->pairs[bi].val = nb;
        if (ai != SIZE_MAX)
            cfg__map_remove(m, ai);
    } else {
        /* only all-fields: it becomes the bins key, keeping its position */
        struct cfg_node *k = scalar(w, "bins", m->pairs[ai].key);
        if (!k) {
            oom(w, at);
            return;
        }
        m->pairs[ai].key = k;
        m->pairs[ai].val = nb;
    }
}

void cfg__legacy_rewrite(struct cfg_walk *w, struct cfg_node *mapping)
{
    if (!mapping || mapping->kind != CFG_N_MAP)
        return;
    old_key_field(w, mapping);
    old_dynamic(w, mapping, "namespace");
    old_dynamic(w, mapping, "set");
    old_dynamic(w, mapping, "ttl");
    old_bins(w, mapping);
}
