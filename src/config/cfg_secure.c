/* src/config/cfg_secure.c: plaintext secrets in files that others can read (issue 9).
 * A properties file with sasl.jaas.config, *.password, basic.auth.user.info... in clear, or a
 * mapping file with a password-looking key, should be mode 600: warn otherwise. Values that
 * are config-provider references (${file:/path:key}, ${env:VAR}) are not secrets. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config_int.h"

static bool contains_ci(const char *s, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, nl) == 0)
            return true;
    return false;
}

static bool ends_ci(const char *s, const char *suffix)
{
    size_t l = strlen(s), sl = strlen(suffix);
    return l >= sl && strcasecmp(s + l - sl, suffix) == 0;
}

bool cfg_is_secret_key(const char *key)
{
    return contains_ci(key, "password") || contains_ci(key, "secret") ||
           contains_ci(key, "token") || ends_ci(key, "jaas.config") ||
           ends_ci(key, "user.info") || ends_ci(key, "ssl.keystore.key") ||
           ends_ci(key, "credentials") || ends_ci(key, "api.key");
}

/* Empty values and config-provider references do not hold a secret. */
static bool holds_secret(const char *value)
{
    const char *s = value;

    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    if (strncmp(s, "${", 2) == 0 && strchr(s, '}') && !strchr(strchr(s, '}') + 1, '='))
        return false;   /* the whole value is one reference */
    /* a JAAS line whose password is itself a reference */
    if (contains_ci(s, "password=\"${") || contains_ci(s, "password=${"))
        return false;
    return true;
}

/* Mode bits readable by group/others, or 0 (also when stat fails). */
static unsigned readable_by_others(const char *path, unsigned *mode)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return 0;
    *mode = (unsigned)(st.st_mode & 07777);
    return (unsigned)(st.st_mode & (S_IRGRP | S_IROTH));
}

static void warn(struct cfg_diags *d, const char *file, int line, int col, const char *key,
                 unsigned mode, unsigned bits, size_t more)
{
    char q[CFG_Q_LEN];

    cfg_diag_add(d, CFG_SEV_WARNING, file, line, col, cfg__q(key, strlen(key), q, sizeof(q)),
                 "plaintext secret%s in a file readable by %s (mode %04o): chmod 600 %s, or use "
                 "a config provider such as ${file:/path/secrets.properties:key}",
                 more ? " (and more)" : "", (bits & S_IROTH) ? "everyone" : "its group", mode,
                 file);
}

void cfg_check_props_secrets(const struct cfg_props *p, const char *path, struct cfg_diags *d)
{
    unsigned mode = 0, bits;
    const struct cfg_prop *first = NULL;
    size_t n = 0;

    if (!p || !path || !(bits = readable_by_others(path, &mode)))
        return;
    for (size_t i = 0; i < p->n; i++) {
        if (!cfg_is_secret_key(p->v[i].key) || !holds_secret(p->v[i].value))
            continue;
        if (!first)
            first = &p->v[i];
        n++;
    }
    if (first)
        warn(d, p->file, first->line, first->col, first->key, mode, bits, n - 1);
    cfg_diags_sort(d);
}

static const struct cfg_node *find_secret(const struct cfg_node *n, const struct cfg_node **key,
                                          int depth)
{
    char k[128];

    if (!n || depth > CFG_MAX_DEPTH)
        return NULL;
    if (n->kind == CFG_N_SEQ)
        for (size_t i = 0; i < n->n; i++) {
            const struct cfg_node *r = find_secret(n->items[i], key, depth + 1);
            if (r)
                return r;
        }
    if (n->kind != CFG_N_MAP)
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        const struct cfg_pair *p = &n->pairs[i];
        const struct cfg_node *r;
        snprintf(k, sizeof(k), "%.*s", (int)MIN(p->key->len, sizeof(k) - 1), p->key->s);
        /* *-file keys name a file holding the secret: that is the right way */
        if (p->val->kind == CFG_N_SCALAR && p->val->len && cfg_is_secret_key(k) &&
            !ends_ci(k, "-file") && holds_secret(p->val->s)) {
            *key = p->key;
            return p->val;
        }
        if ((r = find_secret(p->val, key, depth + 1)))
            return r;
    }
    return NULL;
}

void cfg_check_mapping_secrets(const char *path, const char *text, size_t len,
                               struct cfg_diags *d)
{
    unsigned mode = 0, bits;
    struct cfg_doc *doc;
    const struct cfg_node *key = NULL;
    char k[CFG_Q_LEN];

    if (!path || !(bits = readable_by_others(path, &mode)))
        return;
    doc = cfg__parse(text, len, path, cfg__looks_like_json(path, text, len), NULL);
    if (doc && find_secret(doc->root, &key, 0) && key) {
        snprintf(k, sizeof(k), "%.*s", (int)MIN(key->len, sizeof(k) - 1), key->s);
        warn(d, doc->name, key->line, key->col, k, mode, bits, 0);
    }
    cfg__doc_free(doc);
    cfg_diags_sort(d);
}
