/* src/config/cfg_rules.c: cross-key rules (connector-spec §3.8) that one row of the key table
 * cannot express: static vs dynamic keys, exactly one of key-field and digest, send-key with
 * a digest, what a write / delete / operate topic needs, name length limits, credentials and
 * TLS combinations, and the files the config points to (CFG_LOAD_READ_FILES). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aerospike/aero_proto.h"
#include "config_int.h"

static const struct cfg_node *key_of(const struct cfg_node *map, const char *key)
{
    const struct cfg_pair *p = cfg__map_pair(map, key);
    return p ? p->key : NULL;
}

/* Key present with a non-null value. */
static bool has(const struct cfg_node *map, const char *key)
{
    return !cfg__is_null(cfg__map_get(map, key));
}

static const struct cfg_node *map_val(const struct cfg_node *map, const char *key)
{
    const struct cfg_node *v = cfg__map_get(map, key);
    return v && v->kind == CFG_N_MAP ? v : NULL;
}

static void sub2(char *out, size_t cap, const char *a, const char *b)
{
    snprintf(out, cap, "%s%s%s", a ? a : "", a ? "." : "", b);
}

/* Keys that must not appear in this mode: "x is only used with mode: y". */
static void forbid(struct cfg_walk *w, const struct cfg_node *map, const char *sub,
                   const char *const *keys, const char *why)
{
    char path[128];

    for (; *keys; keys++) {
        if (!cfg__map_pair(map, *keys))
            continue;
        sub2(path, sizeof(path), sub, *keys);
        cfg__err(w, key_of(map, *keys), path, "\"%s\" is only used with %s", *keys, why);
    }
}

static void need(struct cfg_walk *w, const struct cfg_node *map, const struct cfg_node *owner,
                 const char *sub, const char *key, const char *why)
{
    if (!cfg__map_pair(map, key))
        cfg__err(w, owner, sub, "%s needs \"%s\"", why, key);
}

/* Two keys, one message: `needs "a" and "b"` / `needs "b"`. */
static void need2(struct cfg_walk *w, const struct cfg_node *map, const struct cfg_node *owner,
                  const char *sub, const char *a, const char *b, const char *why)
{
    bool ha = cfg__map_pair(map, a) != NULL, hb = cfg__map_pair(map, b) != NULL;

    if (!ha && !hb)
        cfg__err(w, owner, sub, "%s needs \"%s\" and \"%s\"", why, a, b);
    else
        need(w, map, owner, sub, ha ? b : a, why);
}

bool cfg__check_bin_name(struct cfg_walk *w, const struct cfg_node *name, const char *sub)
{
    char q[CFG_Q_LEN];

    cfg__q(name->s, name->len, q, sizeof(q));
    if (name->len == 0)
        cfg__err(w, name, sub, "bin name must not be empty");
    else if (name->len > AERO_BIN_NAME_MAX)
        cfg__err(w, name, sub, "bin name \"%s\" is %zu bytes (at most %d)", q, name->len,
                 AERO_BIN_NAME_MAX);
    else if (memchr(name->s, 0, name->len))
        cfg__err(w, name, sub, "bin name \"%s\" contains a NUL character", q);
    else
        return true;
    return false;
}

/* --- mapping.namespace / mapping.set --- */

static void name_rules(struct cfg_walk *w, const struct cfg_node *m, const char *key,
                       struct cfg_name_src *ns, size_t max)
{
    static const char *const dyn_keys[] = {"source", "field-name", NULL};
    static const char *const static_keys[] = {"value", NULL};
    const struct cfg_node *v = map_val(m, key), *val;
    char sub[64], vsub[80], q[CFG_Q_LEN];

    if (!v || !cfg__map_get(v, "mode"))
        return;
    ns->present = true;
    snprintf(sub, sizeof(sub), "mapping.%s", key);
    if (ns->mode == CFG_MODE_STATIC) {
        need(w, v, key_of(m, key), sub, "value", "mode static");
        forbid(w, v, sub, dyn_keys, "mode: dynamic");
        val = cfg__map_get(v, "value");
        if (val && val->kind == CFG_N_SCALAR) {
            sub2(vsub, sizeof(vsub), sub, "value");
            if (val->len == 0)
                cfg__err(w, val, vsub, "%s must not be empty", key);
            else if (val->len > max)
                cfg__err(w, val, vsub, "%s \"%s\" is %zu bytes (at most %zu)", key,
                         cfg__q(val->s, val->len, q, sizeof(q)), val->len, max);
        }
    } else {
        need2(w, v, key_of(m, key), sub, "source", "field-name", "mode dynamic");
        forbid(w, v, sub, static_keys, "mode: static");
    }
}

static void ttl_rules(struct cfg_walk *w, const struct cfg_node *m, struct cfg_ttl *ttl)
{
    static const char *const dyn_keys[] = {"source", "field-name", "header-name", "unit", NULL};
    static const char *const static_keys[] = {"value", NULL};
    static const char *const hdr_keys[] = {"header-name", NULL};
    static const char *const vf_keys[] = {"field-name", NULL};
    const struct cfg_node *v = map_val(m, "ttl"), *owner = key_of(m, "ttl");

    if (!v || !cfg__map_get(v, "mode"))
        return;
    ttl->present = true;
    if (ttl->mode == CFG_MODE_STATIC) {
        need(w, v, owner, "mapping.ttl", "value", "mode static");
        forbid(w, v, "mapping.ttl", dyn_keys, "mode: dynamic");
        return;
    }
    forbid(w, v, "mapping.ttl", static_keys, "mode: static");
    need(w, v, owner, "mapping.ttl", "source", "mode dynamic");
    if (!cfg__map_get(v, "source"))
        return;
    if (ttl->source == CFG_SRC_HEADER) {
        need(w, v, owner, "mapping.ttl", "header-name", "source header");
        forbid(w, v, "mapping.ttl", vf_keys, "source: value-field");
    } else {
        need(w, v, owner, "mapping.ttl", "field-name", "source value-field");
        forbid(w, v, "mapping.ttl", hdr_keys, "source: header");
    }
}

static void key_rules(struct cfg_walk *w, const struct cfg_node *tnode, const struct cfg_node *m,
                      struct cfg_mapping *mp)
{
    static const char *const vf_keys[] = {"field-name", NULL};
    const struct cfg_node *kf = map_val(m, "key-field");

    if (kf && cfg__map_get(kf, "source")) {
        mp->key_field.present = true;
        if (mp->key_field.source == CFG_SRC_KEY)
            forbid(w, kf, "mapping.key-field", vf_keys, "source: value-field");
        else
            need(w, kf, key_of(m, "key-field"), "mapping.key-field", "field-name",
                 "source value-field");
    }
    if (map_val(m, "digest") && cfg__map_get(map_val(m, "digest"), "source"))
        mp->digest.present = true;
    if (cfg__map_pair(m, "key-field") && cfg__map_pair(m, "digest"))
        cfg__err(w, key_of(m, "digest"), "mapping.digest",
                 "key-field and digest are mutually exclusive: keep one");
    else if (!cfg__map_pair(m, "key-field") && !cfg__map_pair(m, "digest"))
        cfg__err(w, key_of(tnode, "mapping"), "mapping",
                 "needs a key: key-field: {source: key} (or value-field), or digest");
}

/* --- bins and operation type --- */

static void bins_rules(struct cfg_walk *w, const struct cfg_node *tnode, const struct cfg_node *m,
                       struct cfg_topic *t)
{
    const struct cfg_node *b = map_val(m, "bins");
    const struct cfg_node *opn = map_val(tnode, "aerospike-operation");

    const struct cfg_node *avf = b ? cfg__map_get(b, "all-value-fields") : NULL;
    const struct cfg_node *map = b ? cfg__map_get(b, "map") : NULL;
    /* only when all-value-fields is really false: a bad value was reported already */
    bool writes_none = b && !t->mapping.bins.all_value_fields &&
                       (!avf || (avf->kind == CFG_N_SCALAR && avf->len == 5 &&
                                 strncasecmp(avf->s, "false", 5) == 0));

    t->mapping.bins.present = b != NULL;
    switch (t->op.type) {
    case CFG_OP_WRITE:
        if (!cfg__map_pair(m, "bins"))
            cfg__err(w, key_of(tnode, "mapping"), "mapping",
                     "a write topic needs bins: {type: multi-bins, all-value-fields: true} or a "
                     "bins map");
        else if (writes_none && !map)
            cfg__err(w, key_of(m, "bins"), "mapping.bins",
                     "writes no bins: set all-value-fields: true or list bins in map");
        else if (writes_none && map && map->kind == CFG_N_MAP && map->n == 0)
            cfg__err(w, key_of(b, "map"), "mapping.bins.map",
                     "writes no bins: the map is empty and all-value-fields is false");
        break;
    case CFG_OP_DELETE:
        if (cfg__map_pair(m, "bins"))
            cfg__warn(w, key_of(m, "bins"), "mapping.bins",
                      "ignored: aerospike-operation type is delete");
        if (cfg__map_pair(m, "ttl"))
            cfg__warn(w, key_of(m, "ttl"), "mapping.ttl",
                      "ignored: aerospike-operation type is delete");
        break;
    case CFG_OP_OPERATE:
        if (!cfg__map_pair(opn, "operations"))
            cfg__err(w, cfg__map_get(opn, "type"), "aerospike-operation.type",
                     "type operate needs an operations list");
        break;
    }
}

static void op_rules(struct cfg_walk *w, const struct cfg_node *tnode, struct cfg_topic *t)
{
    const struct cfg_node *opn = map_val(tnode, "aerospike-operation");
    char q[CFG_Q_LEN];

    if (!opn)
        return;
    if (t->op.type != CFG_OP_OPERATE && cfg__map_pair(opn, "operations"))
        cfg__err(w, key_of(opn, "operations"), "aerospike-operation.operations",
                 "operations are only used with type: operate");
    if (t->op.stale_write_guard == CFG_STALE_GENERATION) {
        const struct cfg_node *g = cfg__map_get(opn, "stale-write-guard");
        cfg__warn(w, g, "aerospike-operation.stale-write-guard",
                  "\"%s\" is not implemented yet and has no effect: every write is applied, in Kafka "
                  "order per key", cfg__q(g->s, g->len, q, sizeof(q)));
    }
    if (t->op.send_key && t->mapping.digest.present)
        cfg__err(w, key_of(opn, "send-key"), "aerospike-operation.send-key",
                 "send-key: true needs a user key, but this topic maps a digest");
    if (t->op.generation_policy != CFG_GEN_NONE) {
        const struct cfg_node *g = cfg__map_get(opn, "generation-policy");
        cfg__err(w, g, "aerospike-operation.generation-policy",
                 "\"%s\" is not supported by aerosink: a sink has no expected generation to "
                 "compare (see stale-write-guard)",
                 cfg__q(g->s, g->len, q, sizeof(q)));
    }
}

static void null_value_rules(struct cfg_walk *w, const struct cfg_node *tnode,
                             const struct cfg_topic *t)
{
    const struct cfg_node *at = cfg__map_get(tnode, "on-null-value");
    const struct cfg_mapping *m = &t->mapping;

    if (t->on_null_value != CFG_NULL_DELETE)
        return;
    if (m->digest.present || (m->key_field.present && m->key_field.source != CFG_SRC_KEY))
        cfg__err(w, at, "on-null-value",
                 "delete needs key-field: {source: key} (a tombstone has no value fields)");
    if ((m->ns.present && m->ns.mode == CFG_MODE_DYNAMIC) ||
        (m->set.present && m->set.mode == CFG_MODE_DYNAMIC))
        cfg__err(w, at, "on-null-value",
                 "delete needs a static namespace and set (a tombstone has no value fields)");
}

static const char *const rop_names[] = {
    [CFG_ROP_WRITE] = "write", [CFG_ROP_LIST_APPEND] = "list-append",
    [CFG_ROP_MAP_PUT] = "map-put", [CFG_ROP_INCREMENT] = "increment"};

/* One operations[] item: which operands each op takes. */
void cfg__rules_rop(struct cfg_walk *w, struct cfg_record_op *r, const struct cfg_node *item)
{
    static const char *const map_keys[] = {"key-field", "key", NULL};
    const struct cfg_node *bin = cfg__map_get(item, "bin"), *val = cfg__map_get(item, "value");
    bool has_field = cfg__map_pair(item, "field-name") != NULL;
    bool has_value = cfg__map_pair(item, "value") != NULL;

    if (!cfg__map_get(item, "op"))
        return;   /* already reported */
    if (bin && bin->kind == CFG_N_SCALAR)
        cfg__check_bin_name(w, bin, "bin");
    if (has_field && has_value)
        cfg__err(w, key_of(item, "value"), "value",
                 "\"field-name\" and \"value\" are mutually exclusive: keep one");
    else if (!has_field && !has_value)
        cfg__err(w, item, NULL, "%s needs \"field-name\" or \"value\"", rop_names[r->op]);
    if (r->op == CFG_ROP_INCREMENT && val && r->value.type != CFG_VAL_INT &&
        r->value.type != CFG_VAL_DOUBLE && r->value.type != CFG_VAL_NONE)
        cfg__err(w, val, "value", "increment needs a number");
    if (r->op == CFG_ROP_MAP_PUT) {
        if (cfg__map_pair(item, "key-field") && cfg__map_pair(item, "key"))
            cfg__err(w, key_of(item, "key"), "key",
                     "\"key-field\" and \"key\" are mutually exclusive: keep one");
        else if (!cfg__map_pair(item, "key-field") && !cfg__map_pair(item, "key"))
            cfg__err(w, item, NULL, "map-put needs \"key-field\" (or a static \"key\")");
    } else {
        forbid(w, item, NULL, map_keys, "op: map-put");
    }
}

void cfg__rules_topic(struct cfg_walk *w, struct cfg_topic *t, const struct cfg_node *tnode)
{
    const struct cfg_node *m = map_val(tnode, "mapping");

    if (m) {
        name_rules(w, m, "namespace", &t->mapping.ns, AERO_NAMESPACE_MAX);
        name_rules(w, m, "set", &t->mapping.set, AERO_SET_MAX);
        ttl_rules(w, m, &t->mapping.ttl);
        key_rules(w, tnode, m, &t->mapping);
        bins_rules(w, tnode, m, t);
    }
    op_rules(w, tnode, t);
    null_value_rules(w, tnode, t);
}

/* --- aerospike section --- */

static void credentials_rules(struct cfg_walk *w, const struct cfg_node *a, struct cfg_aerospike *as)
{
    static const char *const pw_keys[] = {"username", "password-file", NULL};
    const struct cfg_node *c = map_val(a, "credentials");
    struct cfg_credentials *cr = &as->credentials;

    if (!c)
        return;
    cr->present = true;
    if (cr->auth_mode == CFG_AUTH_PKI) {
        forbid(w, c, "aerospike.credentials", pw_keys, "a password (auth-mode pki has none)");
        if (!as->tls.key_store.present)
            cfg__err(w, cfg__map_get(c, "auth-mode"), "aerospike.credentials.auth-mode",
                     "auth-mode pki logs in with the client certificate: it needs "
                     "aerospike.tls.key-store");
        return;
    }
    need(w, c, key_of(a, "credentials"), "aerospike.credentials", "username", "credentials");
    need(w, c, key_of(a, "credentials"), "aerospike.credentials", "password-file", "credentials");
    if (cr->auth_mode == CFG_AUTH_EXTERNAL && !as->tls.enabled)
        cfg__err(w, cfg__map_get(c, "auth-mode"), "aerospike.credentials.auth-mode",
                 "auth-mode external sends the password in clear: it needs aerospike.tls (or "
                 "use external-insecure)");
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), sl = strlen(suffix);
    return l >= sl && strcasecmp(s + l - sl, suffix) == 0;
}

static void jks_error(struct cfg_walk *w, const struct cfg_node *at, const char *sub,
                      const char *file)
{
    char q[CFG_Q_LEN], base[CFG_Q_LEN];
    size_t l;

    cfg__q(file, strlen(file), q, sizeof(q));
    snprintf(base, sizeof(base), "%s", q);
    l = strlen(base);
    if (ends_with(base, ".jks"))
        base[l - 4] = '\0';
    cfg__err(w, at, sub,
             "JKS stores are not supported: convert \"%s\" with \"keytool -importkeystore "
             "-srckeystore %s -srcstoretype JKS -destkeystore %s.p12 -deststoretype PKCS12\", "
             "then use store-file: %s.p12 and store-type: PKCS12",
             q, q, base, base);
}

static void store_rules(struct cfg_walk *w, const struct cfg_node *tls, const char *key,
                        struct cfg_store *st)
{
    const struct cfg_node *s = map_val(tls, key);
    const struct cfg_node *type = s ? cfg__map_get(s, "store-type") : NULL;
    char sub[80];

    if (!s || !st->file)
        return;
    st->present = true;
    if (!type) {
        if (ends_with(st->file, ".pem") || ends_with(st->file, ".crt") ||
            ends_with(st->file, ".cer") || ends_with(st->file, ".key"))
            st->type = CFG_STORE_PEM;
        else if (ends_with(st->file, ".jks"))
            st->type = CFG_STORE_JKS;
        else
            st->type = CFG_STORE_PKCS12;
    }
    if (st->type == CFG_STORE_JKS) {
        snprintf(sub, sizeof(sub), "aerospike.tls.%s.%s", key, type ? "store-type" : "store-file");
        jks_error(w, type ? type : cfg__map_get(s, "store-file"), sub, st->file);
    }
}

static void seed_rules(struct cfg_walk *w, const struct cfg_node *a, const struct cfg_aerospike *as)
{
    const struct cfg_node *seeds = cfg__map_get(a, "seeds");
    char sub[64];

    if (!seeds || seeds->kind != CFG_N_SEQ || as->tls.enabled)
        return;
    for (size_t i = 0; i < seeds->n; i++) {
        const struct cfg_node *it = seeds->items[i], *v;
        if (it->kind != CFG_N_MAP || it->n != 1 || !(v = map_val(it, it->pairs[0].key->s)))
            continue;
        if (cfg__map_pair(v, "tls-name")) {
            snprintf(sub, sizeof(sub), "aerospike.seeds[%zu].tls-name", i);
            cfg__warn(w, key_of(v, "tls-name"), sub,
                      "tls-name is set but aerospike.tls is not: connections are not encrypted");
        }
    }
}

void cfg__rules_aerospike(struct cfg_walk *w, const struct cfg_node *a)
{
    struct cfg_aerospike *as = &w->cfg->aerospike;
    const struct cfg_node *tls;

    if (!a || a->kind != CFG_N_MAP)
        return;
    as->has_rack_id = has(a, "rack-id");
    if ((tls = map_val(a, "tls"))) {
        as->tls.enabled = true;
        store_rules(w, tls, "key-store", &as->tls.key_store);
        store_rules(w, tls, "trust-store", &as->tls.trust_store);
    }
    credentials_rules(w, a, as);
    seed_rules(w, a, as);
}

/* --- files the config names (CFG_LOAD_READ_FILES) --- */

void cfg_secret_free(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    mem_free(s);
}

char *cfg_read_password_file(const char *path, struct err *e)
{
    size_t len = 0, l = 0;
    char *text = cfg_read_file(path, &len, e), *line;

    if (!text)
        return NULL;
    while (l < len && text[l] != '\n' && text[l] != '\r')
        l++;   /* Java's readLine(): the line end goes, trailing spaces stay */
    if (l == 0) {
        explicit_bzero(text, len);
        mem_free(text);
        err_set(e, ST_CONFIG, "the first line is empty");
        return NULL;
    }
    line = mem_strndup(text, l);
    explicit_bzero(text, len);
    mem_free(text);
    if (!line)
        err_set(e, ST_NOMEM, "out of memory");
    return line;
}

static void perm_warning(struct cfg_walk *w, const struct cfg_node *at, const char *sub,
                         const char *path)
{
    struct stat st;
    char q[CFG_Q_LEN];

    if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
        cfg__warn(w, at, sub, "\"%s\" holds a secret and is readable by %s (mode %04o): "
                              "chmod 600 it",
                  cfg__q(path, strlen(path), q, sizeof(q)),
                  (st.st_mode & S_IROTH) ? "everyone" : "its group",
                  (unsigned)(st.st_mode & 07777));
}

static char *read_secret(struct cfg_walk *w, const struct cfg_node *at, const char *sub,
                         const char *path)
{
    struct err e = {0};
    char q[CFG_Q_LEN];
    char *s = cfg_read_password_file(path, &e), *copy;

    if (!s) {
        cfg__err(w, at, sub, "cannot read \"%s\": %s", cfg__q(path, strlen(path), q, sizeof(q)),
                 e.msg);
        return NULL;
    }
    perm_warning(w, at, sub, path);
    copy = cfg__arena_strdup(w->arena, s);
    cfg_secret_free(s);
    return copy;
}

static void sniff_store(struct cfg_walk *w, const struct cfg_node *at, const char *sub,
                        const struct cfg_store *st)
{
    struct err e = {0};
    size_t len = 0;
    char q[CFG_Q_LEN];
    char *text = cfg_read_file(st->file, &len, &e);
    bool pem;

    cfg__q(st->file, strlen(st->file), q, sizeof(q));
    if (!text) {
        cfg__err(w, at, sub, "cannot read \"%s\": %s", q, e.msg);
        return;
    }
    pem = memmem(text, len, "-----BEGIN ", 11) != NULL;
    if (len >= 4 && memcmp(text, "\xFE\xED\xFE\xED", 4) == 0)
        jks_error(w, at, sub, st->file);
    else if (len >= 4 && memcmp(text, "\xCE\xCE\xCE\xCE", 4) == 0)
        cfg__err(w, at, sub, "\"%s\" is a JCEKS store: convert it to PKCS12 with keytool "
                             "-importkeystore -srcstoretype JCEKS", q);
    else if (st->type == CFG_STORE_PKCS12 && pem)
        cfg__err(w, at, sub, "\"%s\" is PEM text, not PKCS12: set store-type: PEM", q);
    else if (st->type == CFG_STORE_PEM && !pem)
        cfg__err(w, at, sub, "\"%s\" has no \"-----BEGIN\" block: not PEM (PKCS12? set "
                             "store-type: PKCS12)", q);
    else if (st->type == CFG_STORE_PKCS12 && (len == 0 || (unsigned char)text[0] != 0x30))
        cfg__err(w, at, sub, "\"%s\" is not a PKCS12 file", q);
    explicit_bzero(text, len);
    mem_free(text);
}

static void store_files(struct cfg_walk *w, const struct cfg_node *tls, const char *key,
                        struct cfg_store *st)
{
    const struct cfg_node *s = map_val(tls, key);
    char sub[96];

    if (!st->present || !s || st->type == CFG_STORE_JKS)
        return;
    snprintf(sub, sizeof(sub), "aerospike.tls.%s.store-file", key);
    sniff_store(w, cfg__map_get(s, "store-file"), sub, st);
    if (st->password_file) {
        snprintf(sub, sizeof(sub), "aerospike.tls.%s.store-password-file", key);
        st->password = read_secret(w, cfg__map_get(s, "store-password-file"), sub,
                                   st->password_file);
    }
}

void cfg__read_files(struct cfg_walk *w, const struct cfg_node *root)
{
    struct cfg_aerospike *as = &w->cfg->aerospike;
    const struct cfg_node *a = map_val(root, "aerospike");
    const struct cfg_node *c = map_val(a, "credentials"), *tls = map_val(a, "tls");

    if (c && as->credentials.password_file && as->credentials.auth_mode != CFG_AUTH_PKI)
        as->credentials.password =
            read_secret(w, cfg__map_get(c, "password-file"), "aerospike.credentials.password-file",
                        as->credentials.password_file);
    if (tls) {
        store_files(w, tls, "key-store", &as->tls.key_store);
        store_files(w, tls, "trust-store", &as->tls.trust_store);
    }
}
