/* src/config/cfg_providers.c: Kafka Connect config providers (KIP-297, KIP-887) for the
 * values of worker and connector properties.
 *
 * A worker declares providers (config.providers=file,env,dir, config.providers.<alias>.class,
 * config.providers.<alias>.param.*); each ${alias:path:key} in a property value becomes what
 * that provider returns. Connect's rules kept here (ConfigTransformer and the three
 * providers of org.apache.kafka.common.config.provider):
 *  - a reference is what \$\{([^}]*?):(([^}]*?):)?([^}]*?)\} finds scanning left to right:
 *    the alias runs to the first ':', the path (optional) to the next ':', the key to the
 *    first '}'; so ${env:X} and ${env::X} are the same, and ${} or $file are plain text;
 *  - replacements are not scanned again; an alias no provider has leaves the text as it is;
 *  - FileConfigProvider: KEY of the java.util.Properties file PATH (our parser);
 *    DirectoryConfigProvider: the content of the regular file PATH/KEY as it is (a trailing
 *    newline stays); EnvVarConfigProvider: variable KEY, no path allowed, only names the Java
 *    regex allowlist.pattern matches as a whole (default: all);
 *  - allowed.paths (KIP-993, file and directory providers): comma-separated absolute paths
 *    that exist; a PATH is allowed when its lexically normalised form lies under one (that
 *    form is then what is read), and, since KAFKA-20700, when the file it really is, symbolic
 *    links resolved, lies under one too.
 * Differences, on purpose: where Connect keeps a reference it cannot fill (key or variable
 * absent, path not allowed) and fails later on the odd value, we report an error with
 * file:line:col, key and reference. No message ever holds a resolved value:
 * cfg_resolved_scrub rewrites later messages that quote one (and drops the later complaints
 * about a value whose reference did not resolve: its own error says why). */
#include <ctype.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config_int.h"

#define PREFIX "config.providers"
#define WHY_LEN 512

/* --- documentation (aerosink help config) --- */

const struct cfg__prop_key cfg__provider_keys[] = {
    {PREFIX, NULL, "Comma-separated aliases of the providers this worker declares, e.g. "
                   "`file,env,dir`. Connector and worker property values may then hold "
                   "`${alias:PATH:KEY}` references."},
    {PREFIX ".<alias>.class", NULL,
     "`org.apache.kafka.common.config.provider.FileConfigProvider` (`${alias:PATH:KEY}`: KEY "
     "of the properties file PATH), `org.apache.kafka.common.config.provider."
     "EnvVarConfigProvider` (`${alias:VAR}` or `${alias::VAR}`: an environment variable) or "
     "`org.apache.kafka.common.config.provider.DirectoryConfigProvider` (`${alias:DIR:FILE}`: "
     "the content of DIR/FILE, a trailing newline included). Simple names "
     "(`FileConfigProvider`) are accepted too; any other class is an error."},
    {PREFIX ".<alias>.param.allowed.paths", NULL,
     "File and directory providers: comma-separated absolute paths (each must exist); a "
     "reference may only read at or below one of them. Not set: any path."},
    {PREFIX ".<alias>.param.allowlist.pattern", ".*",
     "Environment provider: Java regular expression that a variable's whole name must "
     "match."},
    {NULL, NULL, NULL},
};

/* --- the providers --- */

enum pv_kind { PV_FILE, PV_ENV, PV_DIR };

static const struct pv_class {
    const char *name;
    enum pv_kind kind;
    const char *param;   /* the parameter it reads */
} pv_classes[] = {
    {"org.apache.kafka.common.config.provider.FileConfigProvider", PV_FILE, "allowed.paths"},
    {"org.apache.kafka.common.config.provider.EnvVarConfigProvider", PV_ENV, "allowlist.pattern"},
    {"org.apache.kafka.common.config.provider.DirectoryConfigProvider", PV_DIR, "allowed.paths"},
};

/* One allowed.paths entry. */
struct allowed {
    char *norm;         /* lexically normalised */
    char *real;         /* symbolic links resolved */
};

struct provider {
    char *alias;
    const struct pv_class *cls;
    bool broken;        /* its declaration has an error (reported): references stay quietly */
    struct allowed *allowed;   /* allowed.paths; none = any path */
    size_t n_allowed, cap_allowed;
    regex_t rx;         /* allowlist.pattern, whole names */
    bool has_rx;
};

struct cfg_providers {
    char *file;         /* the worker file, for messages */
    struct provider *v;
    size_t n, cap;
};

struct rprop {
    char *key;
    char *raw;          /* as written */
    char *value;        /* resolved: secret */
};

struct cfg_resolved {
    char *file;
    unsigned from;      /* diagnostics with seq >= from are not scrubbed yet */
    struct rprop *v;    /* what was replaced */
    size_t n, cap;
    char **failed;      /* keys whose references did not resolve (each reported) */
    size_t n_failed, cap_failed;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* [*s, *e) without surrounding blanks. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && is_blank(**s))
        (*s)++;
    while (*e > *s && is_blank((*e)[-1]))
        (*e)--;
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        mem_free(s);
    }
}

/* Connect finds plugins by class name, simple name, or simple name without the type. */
static const struct pv_class *class_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(pv_classes); i++) {
        const char *full = pv_classes[i].name, *simple = strrchr(full, '.') + 1;
        size_t pruned = strlen(simple) - strlen("ConfigProvider");
        if (strcmp(name, full) == 0 || strcmp(name, simple) == 0 ||
            (strlen(name) == pruned && strncmp(name, simple, pruned) == 0))
            return &pv_classes[i];
    }
    return NULL;
}

static const struct provider *find_alias(const struct cfg_providers *pv, const char *a, size_t n)
{
    for (size_t i = 0; pv && i < pv->n; i++)
        if (str_eq(a, n, pv->v[i].alias))
            return &pv->v[i];
    return NULL;
}

/* Java's Path.normalize() on a '/' path: "." dropped, "x/.." folded, "//" collapsed. */
static char *normalize_path(const char *p)
{
    struct buf b = BUF_INIT;
    const char *s = p;
    bool abs = *p == '/';
    size_t depth = 0;   /* components in b that ".." may remove */

    if (abs && buf_put_u8(&b, '/') != ST_OK)
        goto nomem;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.')) {
            /* nothing */
        } else if (n == 2 && s[0] == '.' && s[1] == '.' && (depth > 0 || abs)) {
            if (depth > 0) {
                while (b.len > (abs ? 1u : 0u) && b.p[b.len - 1] != '/')
                    b.len--;
                if (b.len > (abs ? 1u : 0u))
                    b.len--;   /* the separator before it */
                depth--;
            }
        } else {
            if (b.len > (abs ? 1u : 0u) && buf_put_u8(&b, '/') != ST_OK)
                goto nomem;
            if (buf_append(&b, s, n) != ST_OK)
                goto nomem;
            if (!(n == 2 && s[0] == '.' && s[1] == '.'))
                depth++;
        }
        s += n + (e ? 1 : 0);
    }
    if (!buf_cstr(&b))
        goto nomem;
    return (char *)b.p;
nomem:
    buf_free(&b);
    return NULL;
}

/* Path.startsWith: whole components. */
static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void provider_clear(struct provider *x)
{
    mem_free(x->alias);
    for (size_t i = 0; i < x->n_allowed; i++) {
        mem_free(x->allowed[i].norm);
        mem_free(x->allowed[i].real);
    }
    mem_free(x->allowed);
    if (x->has_rx)
        regfree(&x->rx);
}

void cfg_providers_free(struct cfg_providers *pv)
{
    if (!pv)
        return;
    for (size_t i = 0; i < pv->n; i++)
        provider_clear(&pv->v[i]);
    mem_free(pv->v);
    mem_free(pv->file);
    mem_free(pv);
}

/* --- declarations --- */

struct decl {
    struct cfg_providers *pv;
    const struct cfg_props *w;
    struct cfg_diags *d;
    bool nomem;
};

static void perr(struct decl *dc, enum cfg_severity sev, const struct cfg_prop *pr, bool at_value,
                 const char *fmt, ...) PRINTF_LIKE(5, 6);
static void perr(struct decl *dc, enum cfg_severity sev, const struct cfg_prop *pr, bool at_value,
                 const char *fmt, ...)
{
    char msg[768], q[CFG_Q_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(dc->d, sev, dc->w->file, at_value ? pr->vline : pr->line,
                 at_value ? pr->vcol : pr->col, cfg__q(pr->key, strlen(pr->key), q, sizeof(q)),
                 "%s", msg);
}


/* allowed.paths: comma-separated, each absolute and existing (Connect's AllowedPaths);
 * empty = any path. Empty entries are skipped. */
static void param_allowed_paths(struct decl *dc, struct provider *x, const struct cfg_prop *pr)
{
    const char *s = pr->value;
    char q[CFG_Q_LEN];

    for (;;) {
        const char *e = strchr(s, ','), *a = s, *b = e ? e : s + strlen(s);
        struct stat st;
        char *one;
        trim(&a, &b);
        cfg__q(a, (size_t)(b - a), q, sizeof(q));
        if (a == b) {
            /* nothing */
        } else if (*a != '/') {
            perr(dc, CFG_SEV_ERROR, pr, true, "\"%s\" is not an absolute path (each of the "
                 "comma-separated paths must be absolute and exist)", q);
            x->broken = true;
        } else if (!(one = mem_strndup(a, (size_t)(b - a)))) {
            dc->nomem = true;
            return;
        } else {
            char *norm = normalize_path(one), real[PATH_MAX];
            if (stat(one, &st) != 0 || !realpath(one, real)) {
                perr(dc, CFG_SEV_ERROR, pr, true, "\"%s\" does not exist (each of the "
                     "comma-separated paths must be absolute and exist)", q);
                x->broken = true;
                mem_free(norm);
            } else if (!norm || !mem_grow(&x->allowed, &x->cap_allowed, x->n_allowed + 1,
                                          sizeof(*x->allowed), 4) ||
                       !(x->allowed[x->n_allowed].real = mem_strdup(real))) {
                mem_free(norm);
                dc->nomem = true;
            } else {
                x->allowed[x->n_allowed++].norm = norm;
            }
            mem_free(one);
        }
        if (!e || dc->nomem)
            return;
        s = e + 1;
    }
}

/* allowlist.pattern: a Java regex matched against whole variable names. */
static void param_allowlist(struct decl *dc, struct provider *x, const struct cfg_prop *pr)
{
    const char *why = NULL;
    char *posix = cfg__topics_regex_posix(pr->value, &why);
    char q[CFG_Q_LEN];

    if (!posix || regcomp(&x->rx, posix, REG_EXTENDED | REG_NOSUB) != 0) {
        perr(dc, CFG_SEV_ERROR, pr, true, "\"%s\": %s", cfg__q(pr->value, strlen(pr->value), q,
             sizeof(q)), why ? why : "not a valid regular expression");
        x->broken = true;
    } else {
        x->has_rx = true;
    }
    mem_free(posix);
}

/* config.providers.<alias>.param.* of provider @x. */
static void params(struct decl *dc, struct provider *x)
{
    char prefix[300];
    size_t pl;

    snprintf(prefix, sizeof(prefix), PREFIX ".%s.param.", x->alias);
    pl = strlen(prefix);
    for (size_t i = 0; i < dc->w->n && !dc->nomem; i++) {
        const struct cfg_prop *pr = &dc->w->v[i];
        const char *name = pr->key + pl;
        if (strncmp(pr->key, prefix, pl) != 0)
            continue;
        if (!x->cls || strcmp(name, x->cls->param) != 0) {
            char q[CFG_Q_LEN];
            if (x->cls)
                perr(dc, CFG_SEV_WARNING, pr, false, "%s has no parameter \"%s\" (it reads %s): "
                     "ignored", strrchr(x->cls->name, '.') + 1,
                     cfg__q(name, strlen(name), q, sizeof(q)), x->cls->param);
            continue;
        }
        if (x->cls->kind == PV_ENV)
            param_allowlist(dc, x, pr);
        else
            param_allowed_paths(dc, x, pr);
    }
}

static void unknown_class(struct decl *dc, struct provider *x, const struct cfg_prop *cls)
{
    const char *cands[ARRAY_LEN(pv_classes)], *simple = strrchr(cls->value, '.');
    const char *sug = NULL, *near;
    char q[CFG_Q_LEN];

    /* did you mean: by simple names (full ones are too long for cfg__suggest) */
    for (size_t i = 0; i < ARRAY_LEN(pv_classes); i++)
        cands[i] = strrchr(pv_classes[i].name, '.') + 1;
    near = cfg__suggest(simple ? simple + 1 : cls->value, cands, ARRAY_LEN(cands));
    for (size_t i = 0; i < ARRAY_LEN(pv_classes) && near; i++)
        if (near == cands[i])
            sug = pv_classes[i].name;
    perr(dc, CFG_SEV_ERROR, cls, true,
         "unknown config provider class \"%s\"%s%s%s: aerosink supports %s, %s and %s",
         cfg__q(cls->value, strlen(cls->value), q, sizeof(q)), sug ? " (did you mean \"" : "",
         sug ? sug : "", sug ? "\"?)" : "", pv_classes[0].name, pv_classes[1].name,
         pv_classes[2].name);
    x->broken = true;
}

/* One alias of config.providers. */
static void declare(struct decl *dc, const struct cfg_prop *list, const char *a, size_t n)
{
    struct cfg_providers *pv = dc->pv;
    struct provider *x;
    const struct cfg_prop *cls;
    char key[300], q[CFG_Q_LEN];

    cfg__q(a, n, q, sizeof(q));
    if (find_alias(pv, a, n)) {
        perr(dc, CFG_SEV_WARNING, list, true, "provider \"%s\" is listed twice", q);
        return;
    }
    if (n > 200) {
        perr(dc, CFG_SEV_ERROR, list, true, "provider alias \"%s\" is too long", q);
        return;
    }
    snprintf(key, sizeof(key), PREFIX ".%.*s.class", (int)n, a);
    if (!(cls = cfg_props_find(dc->w, key))) {
        perr(dc, CFG_SEV_WARNING, list, true, "provider \"%s\" has no %s: ignored, and "
             "references to it stay as written", q, key);
        return;
    }
    if (!mem_grow(&pv->v, &pv->cap, pv->n + 1, sizeof(*pv->v), 4)) {
        dc->nomem = true;
        return;
    }
    x = &pv->v[pv->n];
    memset(x, 0, sizeof(*x));
    if (!(x->alias = mem_strndup(a, n))) {
        dc->nomem = true;
        return;
    }
    pv->n++;
    {
        const char *s = cls->value, *e = s + strlen(s);
        char name[256];
        trim(&s, &e);
        snprintf(name, sizeof(name), "%.*s", (int)(e - s), s);
        x->cls = (size_t)(e - s) < sizeof(name) ? class_find(name) : NULL;
    }
    if (!x->cls)
        unknown_class(dc, x, cls);
    params(dc, x);
}

/* config.providers.<alias>.class for an alias config.providers does not list. */
static void undeclared(struct decl *dc)
{
    size_t pl = strlen(PREFIX ".");

    for (size_t i = 0; i < dc->w->n; i++) {
        const struct cfg_prop *pr = &dc->w->v[i];
        size_t kl = strlen(pr->key);
        char q[CFG_Q_LEN];
        if (strncmp(pr->key, PREFIX ".", pl) != 0 || kl <= pl + 6 ||
            strcmp(pr->key + kl - 6, ".class") != 0 ||
            find_alias(dc->pv, pr->key + pl, kl - pl - 6))
            continue;
        perr(dc, CFG_SEV_WARNING, pr, false, "provider \"%s\" is not listed in " PREFIX
             ": ignored", cfg__q(pr->key + pl, kl - pl - 6, q, sizeof(q)));
    }
}

struct cfg_providers *cfg_providers_new(const struct cfg_props *worker, struct cfg_diags *d)
{
    struct cfg_providers *pv = mem_calloc(1, sizeof(*pv));
    struct decl dc = {pv, worker, d, false};
    const struct cfg_prop *list = worker ? cfg_props_find(worker, PREFIX) : NULL;

    if (!pv || !(pv->file = mem_strdup(worker ? worker->file : "")))
        goto nomem;
    for (const char *s = list ? list->value : NULL; s && !dc.nomem;) {
        const char *e = strchr(s, ','), *a = s, *b = e ? e : s + strlen(s);
        trim(&a, &b);
        if (a < b)
            declare(&dc, list, a, (size_t)(b - a));
        s = e ? e + 1 : NULL;
    }
    if (worker && !dc.nomem)
        undeclared(&dc);
    if (dc.nomem)
        goto nomem;
    cfg_diags_sort(d);
    return pv;
nomem:
    cfg_diag_add(d, CFG_SEV_ERROR, worker ? worker->file : "", 0, 0, PREFIX, "out of memory");
    cfg_providers_free(pv);
    return NULL;
}

/* --- references --- */

/* One ${alias:path:key} in a value: offsets into it. */
struct ref {
    size_t start, end;          /* the whole reference, end after '}' */
    size_t alias, alias_len;
    size_t path, path_len;      /* path_len 0: no path ("" as in Connect) */
    size_t key, key_len;
};

/* The next match of ConfigTransformer's pattern in @v at or after @from. */
static bool next_ref(const char *v, size_t from, struct ref *r)
{
    for (size_t i = from; v[i]; i++) {
        size_t j = i + 2, c1, close, c2;
        if (v[i] != '$' || v[i + 1] != '{')
            continue;
        c1 = j + strcspn(v + j, ":}");
        if (v[c1] != ':')
            continue;   /* '}' or the end before any ':': no match here */
        close = c1 + 1 + strcspn(v + c1 + 1, "}");
        if (v[close] != '}')
            continue;
        r->start = i;
        r->end = close + 1;
        r->alias = j;
        r->alias_len = c1 - j;
        c2 = c1 + 1 + strcspn(v + c1 + 1, ":}");
        if (c2 < close) {       /* ${alias:path:key} */
            r->path = c1 + 1;
            r->path_len = c2 - (c1 + 1);
            r->key = c2 + 1;
        } else {                /* ${alias:key} */
            r->path = c1 + 1;
            r->path_len = 0;
            r->key = c1 + 1;
        }
        r->key_len = close - r->key;
        return true;
    }
    return false;
}

static bool has_ref(const char *v)
{
    struct ref r;
    return next_ref(v, 0, &r);
}

static bool provider_key(const char *k)
{
    size_t n = strlen(PREFIX);
    return strncmp(k, PREFIX, n) == 0 && (k[n] == '\0' || k[n] == '.');
}

static int chars_between(const char *a, const char *b)
{
    int n = 0;
    for (; a < b; a++)
        n += (*a & 0xC0) != 0x80;
    return n;
}

/* A file the file provider read, once per resolution. */
struct loaded {
    char *path;
    struct cfg_props *props;    /* NULL: @why says why */
    char why[WHY_LEN];
    bool warned;                /* readable-by-others warning given */
};

struct resolver {
    const struct cfg_providers *pv;
    struct cfg_props *p;
    struct cfg_diags *d;
    struct cfg_resolved *res;
    struct loaded *files;
    size_t n_files, cap_files;
    bool nomem, failed;
};

/* KAFKA-20700: the file @path really is (links resolved) lies under an allowed path too.
 * A path that does not resolve passes here: reading it fails right after. */
static bool really_allowed(const struct provider *x, const char *path)
{
    char real[PATH_MAX];

    if (x->n_allowed == 0 || !realpath(path, real))
        return true;
    for (size_t i = 0; i < x->n_allowed; i++)
        if (under(real, x->allowed[i].real))
            return true;
    return false;
}

/* The path provider @x reads for @path (owned; with allowed.paths: its normalised form, as
 * Connect's AllowedPaths.parseUntrustedPath), or NULL with @why. */
static char *open_path(struct resolver *rs, const struct provider *x, const char *path, char *why)
{
    char *norm = x->n_allowed ? normalize_path(path) : mem_strdup(path);
    bool ok = x->n_allowed == 0;

    if (!norm) {
        rs->nomem = true;
        snprintf(why, WHY_LEN, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < x->n_allowed && !ok; i++)
        ok = path[0] == '/' && under(norm, x->allowed[i].norm);
    if (!ok)
        snprintf(why, WHY_LEN, "%s is not under " PREFIX ".%s.param.allowed.paths", path,
                 x->alias);
    else if (!(ok = really_allowed(x, norm)))
        snprintf(why, WHY_LEN, "%s leads out of " PREFIX ".%s.param.allowed.paths through a "
                 "symbolic link", path, x->alias);
    if (!ok) {
        mem_free(norm);
        return NULL;
    }
    return norm;
}

/* Warn (once) when a file that feeds a secret property can be read by group or others, as
 * cfg_secure.c does for password files. */
static void warn_readable(struct resolver *rs, const struct cfg_prop *pr, int col,
                          const char *path, bool *warned)
{
    struct stat st;
    char q[CFG_Q_LEN];

    if (*warned || !cfg_is_secret_key(pr->key) || stat(path, &st) != 0 ||
        !(st.st_mode & (S_IRGRP | S_IROTH)))
        return;
    *warned = true;
    cfg_diag_add(rs->d, CFG_SEV_WARNING, rs->p->file, pr->vline, col,
                 cfg__q(pr->key, strlen(pr->key), q, sizeof(q)),
                 "%s holds a secret and is readable by %s (mode %04o): chmod 600 it", path,
                 (st.st_mode & S_IROTH) ? "everyone" : "its group",
                 (unsigned)(st.st_mode & 07777));
}

static struct loaded *load_file(struct resolver *rs, const char *path)
{
    struct cfg_diags pd = CFG_DIAGS_INIT;
    struct err e = {0};
    struct loaded *f;
    size_t len = 0;
    char *text;

    for (size_t i = 0; i < rs->n_files; i++)
        if (strcmp(rs->files[i].path, path) == 0)
            return &rs->files[i];
    if (!mem_grow(&rs->files, &rs->cap_files, rs->n_files + 1, sizeof(*rs->files), 4))
        return NULL;
    f = &rs->files[rs->n_files];
    memset(f, 0, sizeof(*f));
    if (!(f->path = mem_strdup(path)))
        return NULL;
    rs->n_files++;
    if (!(text = cfg_read_file(path, &len, &e))) {
        snprintf(f->why, sizeof(f->why), "%.280s: %.200s", path, e.msg);
        return f;
    }
    f->props = cfg_props_parse(text, len, path, &pd);
    explicit_bzero(text, len);
    mem_free(text);
    if (!f->props) {
        const struct cfg_diag *first = NULL;
        for (size_t i = 0; i < pd.n && !first; i++)
            if (pd.v[i].sev == CFG_SEV_ERROR)
                first = &pd.v[i];
        if (first && first->line)
            snprintf(f->why, sizeof(f->why), "%s:%d:%d: %s", path, first->line, first->col,
                     first->msg);
        else
            snprintf(f->why, sizeof(f->why), "%s: %s", path, first ? first->msg : "cannot parse");
    }
    cfg_diags_free(&pd);
    return f;
}

/* Each provider's get(path, {key}). Returns the owned value, or NULL with @why. */
static char *get_file(struct resolver *rs, const struct provider *x, const char *path,
                      const char *key, const struct cfg_prop *pr, int col, char *why)
{
    struct loaded *f;
    const char *v;
    char q[CFG_Q_LEN], *open;

    if (!*path) {
        snprintf(why, WHY_LEN, "FileConfigProvider needs a file: ${%s:PATH:KEY}", x->alias);
        return NULL;
    }
    if (!(open = open_path(rs, x, path, why)))
        return NULL;
    f = load_file(rs, open);
    mem_free(open);
    if (!f) {
        rs->nomem = true;
        snprintf(why, WHY_LEN, "out of memory");
        return NULL;
    }
    if (!f->props) {
        snprintf(why, WHY_LEN, "%s", f->why);
        return NULL;
    }
    warn_readable(rs, pr, col, path, &f->warned);
    if (!(v = cfg_props_get(f->props, key))) {
        snprintf(why, WHY_LEN, "%s has no key \"%s\"", path, cfg__q(key, strlen(key), q, sizeof(q)));
        return NULL;
    }
    if (!(v = mem_strdup(v)))
        rs->nomem = true;
    return (char *)v;
}

static char *get_dir(struct resolver *rs, const struct provider *x, const char *dir,
                     const char *name, const struct cfg_prop *pr, int col, char *why)
{
    struct buf full = BUF_INIT;
    struct err e = {0};
    struct stat st;
    char *v = NULL, q[CFG_Q_LEN], *open;
    bool warned = false;
    size_t len = 0;

    cfg__q(name, strlen(name), q, sizeof(q));
    if (!*dir) {
        snprintf(why, WHY_LEN, "DirectoryConfigProvider needs a directory: ${%s:DIR:FILE}",
                 x->alias);
        return NULL;
    }
    if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        snprintf(why, WHY_LEN, "\"%s\" is not a file name in %s", q, dir);
        return NULL;
    }
    if (!(open = open_path(rs, x, dir, why)))
        return NULL;
    if (stat(open, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, WHY_LEN, "%s is not a directory", dir);
        mem_free(open);
        return NULL;
    }
    if (buf_printf(&full, "%s%s%s", open, open[strlen(open) - 1] == '/' ? "" : "/", name) !=
        ST_OK) {
        mem_free(open);
        buf_free(&full);
        rs->nomem = true;
        snprintf(why, WHY_LEN, "out of memory");
        return NULL;
    }
    mem_free(open);
    if (stat(buf_cstr(&full), &st) != 0 || !S_ISREG(st.st_mode))
        snprintf(why, WHY_LEN, "%s has no regular file \"%s\"", dir, q);
    else if (!really_allowed(x, buf_cstr(&full)))
        snprintf(why, WHY_LEN, "%s/%s leads out of " PREFIX ".%s.param.allowed.paths through a "
                 "symbolic link", dir, q, x->alias);
    else if (!(v = cfg_read_file(buf_cstr(&full), &len, &e)))
        snprintf(why, WHY_LEN, "%.280s: %.200s", buf_cstr(&full), e.msg);
    else if (memchr(v, '\0', len)) {
        snprintf(why, WHY_LEN, "%s holds a NUL byte: not a text value", buf_cstr(&full));
        explicit_bzero(v, len);
        mem_free(v);
        v = NULL;
    } else {
        warn_readable(rs, pr, col, buf_cstr(&full), &warned);
    }
    buf_free(&full);
    return v;
}

static char *get_env(struct resolver *rs, const struct provider *x, const char *path,
                     const char *name, char *why)
{
    const char *v;
    char q[CFG_Q_LEN];
    char *out;

    cfg__q(name, strlen(name), q, sizeof(q));
    if (*path) {
        snprintf(why, WHY_LEN, "EnvVarConfigProvider takes no path: write ${%s:%s}", x->alias, q);
        return NULL;
    }
    if (x->has_rx && regexec(&x->rx, name, 0, NULL, 0) != 0) {
        snprintf(why, WHY_LEN, "environment variable %s is not allowed by " PREFIX
                 ".%s.param.allowlist.pattern", q, x->alias);
        return NULL;
    }
    if (!*name || !(v = getenv(name))) {
        snprintf(why, WHY_LEN, "environment variable %s is not set", *name ? q : "\"\"");
        return NULL;
    }
    if (!(out = mem_strdup(v)))
        rs->nomem = true;
    return out;
}

static char *fetch(struct resolver *rs, const struct provider *x, const char *v,
                   const struct ref *r, const struct cfg_prop *pr, int col, char *why)
{
    char *path = mem_strndup(v + r->path, r->path_len), *key = mem_strndup(v + r->key, r->key_len);
    char *out = NULL;

    if (!path || !key) {
        rs->nomem = true;
        snprintf(why, WHY_LEN, "out of memory");
    } else if (x->cls->kind == PV_FILE) {
        out = get_file(rs, x, path, key, pr, col, why);
    } else if (x->cls->kind == PV_DIR) {
        out = get_dir(rs, x, path, key, pr, col, why);
    } else {
        out = get_env(rs, x, path, key, why);
    }
    mem_free(path);
    mem_free(key);
    return out;
}

static void unknown_alias(struct resolver *rs, const struct cfg_prop *pr, const struct ref *r,
                          int col)
{
    const char *cands[32];
    const char *sug;
    char q[CFG_Q_LEN], qa[CFG_Q_LEN], ref[CFG_Q_LEN], alias[128];
    size_t n = 0;

    for (size_t i = 0; i < rs->pv->n && n < ARRAY_LEN(cands); i++)
        cands[n++] = rs->pv->v[i].alias;
    snprintf(alias, sizeof(alias), "%.*s", (int)r->alias_len, pr->value + r->alias);
    sug = cfg__suggest(alias, cands, n);
    cfg_diag_add(rs->d, CFG_SEV_WARNING, rs->p->file, pr->vline, col,
                 cfg__q(pr->key, strlen(pr->key), q, sizeof(q)),
                 "%s: no config provider \"%s\" in " PREFIX " of %s%s%s%s: left as written",
                 cfg__q(pr->value + r->start, r->end - r->start, ref, sizeof(ref)),
                 cfg__q(alias, strlen(alias), qa, sizeof(qa)), rs->pv->file,
                 sug ? " (did you mean \"" : "", sug ? sug : "", sug ? "\"?)" : "");
}

static bool record_failed(struct resolver *rs, const char *key)
{
    struct cfg_resolved *r = rs->res;

    if (!r)
        return true;
    if (!mem_grow(&r->failed, &r->cap_failed, r->n_failed + 1, sizeof(*r->failed), 4) ||
        !(r->failed[r->n_failed] = mem_strdup(key)))
        return false;
    r->n_failed++;
    return true;
}

static bool record(struct resolver *rs, const char *key, const char *raw, const char *value)
{
    struct cfg_resolved *r = rs->res;
    struct rprop *x;

    if (!r)
        return true;
    if (!mem_grow(&r->v, &r->cap, r->n + 1, sizeof(*r->v), 4))
        return false;
    x = &r->v[r->n];
    x->key = mem_strdup(key);
    x->raw = mem_strdup(raw);
    x->value = mem_strdup(value);
    if (!x->key || !x->raw || !x->value) {
        mem_free(x->key);
        mem_free(x->raw);
        wipe_free(x->value);
        return false;
    }
    r->n++;
    return true;
}

/* The pieces of one value: what each reference became (owned, secret), NULL where it
 * stays as written. */
struct piece {
    struct ref r;
    char *value;
};

static void resolve_prop(struct resolver *rs, struct cfg_prop *pr)
{
    const char *v = pr->value;
    struct piece pieces[64];
    size_t n = 0, from = 0, total = strlen(v), at = 0;
    bool failed = false;
    struct ref r;
    char *out;

    while (n < ARRAY_LEN(pieces) && next_ref(v, from, &r)) {
        const struct provider *x = find_alias(rs->pv, v + r.alias, r.alias_len);
        int col = pr->vcol + chars_between(v, v + r.start);
        char why[WHY_LEN], q[CFG_Q_LEN], ref[CFG_Q_LEN];
        from = r.end;
        if (!x) {
            if (rs->pv->n)
                unknown_alias(rs, pr, &r, col);
            continue;
        }
        if (x->broken)
            continue;
        pieces[n].r = r;
        if (!(pieces[n].value = fetch(rs, x, v, &r, pr, col, why))) {
            cfg_diag_add(rs->d, CFG_SEV_ERROR, rs->p->file, pr->vline, col,
                         cfg__q(pr->key, strlen(pr->key), q, sizeof(q)), "%s: %s",
                         cfg__q(v + r.start, r.end - r.start, ref, sizeof(ref)), why);
            failed = true;
            continue;
        }
        total = total - (r.end - r.start) + strlen(pieces[n].value);
        n++;
    }
    if (n == ARRAY_LEN(pieces) && next_ref(v, from, &r)) {
        char q[CFG_Q_LEN];
        cfg_diag_add(rs->d, CFG_SEV_ERROR, rs->p->file, pr->vline, pr->vcol,
                     cfg__q(pr->key, strlen(pr->key), q, sizeof(q)),
                     "more than %zu config provider references in one value", ARRAY_LEN(pieces));
        failed = true;
    }
    out = !failed && n ? mem_malloc(total + 1) : NULL;
    if (out) {
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            size_t vl = strlen(pieces[i].value);
            memcpy(out + o, v + at, pieces[i].r.start - at);
            o += pieces[i].r.start - at;
            memcpy(out + o, pieces[i].value, vl);
            o += vl;
            at = pieces[i].r.end;
        }
        memcpy(out + o, v + at, strlen(v + at) + 1);
        if (!record(rs, pr->key, v, out)) {
            wipe_free(out);
            rs->nomem = true;
        } else {
            mem_free(pr->value);   /* as written: not a secret */
            pr->value = out;
        }
    } else if (!failed && n) {
        rs->nomem = true;
    }
    for (size_t i = 0; i < n; i++)
        wipe_free(pieces[i].value);
    if (failed && !record_failed(rs, pr->key))
        rs->nomem = true;
    rs->failed |= failed;
}

void cfg_resolved_free(struct cfg_resolved *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        mem_free(r->v[i].key);
        mem_free(r->v[i].raw);
        wipe_free(r->v[i].value);
    }
    mem_free(r->v);
    for (size_t i = 0; i < r->n_failed; i++)
        mem_free(r->failed[i]);
    mem_free(r->failed);
    mem_free(r->file);
    mem_free(r);
}

enum status cfg_props_resolve(struct cfg_props *p, const struct cfg_providers *pv,
                              struct cfg_resolved **res, struct cfg_diags *d)
{
    struct resolver rs = {pv, p, d, NULL, NULL, 0, 0, false, false};
    size_t errors = d ? d->errors : 0;

    if (res)
        *res = NULL;
    if (!p || !pv)
        return ST_OK;
    if (res && (!(rs.res = mem_calloc(1, sizeof(*rs.res))) ||
                !(rs.res->file = mem_strdup(p->file)))) {
        mem_free(rs.res);
        cfg_diag_add(d, CFG_SEV_ERROR, p->file, 0, 0, "", "out of memory");
        return ST_NOMEM;
    }
    for (size_t i = 0; i < p->n && !rs.nomem; i++)
        if (!provider_key(p->v[i].key) && has_ref(p->v[i].value))
            resolve_prop(&rs, &p->v[i]);
    for (size_t i = 0; i < rs.n_files; i++) {
        mem_free(rs.files[i].path);
        cfg_props_free(rs.files[i].props);   /* wipes the values */
    }
    mem_free(rs.files);
    if (rs.nomem)
        cfg_diag_add(d, CFG_SEV_ERROR, p->file, 0, 0, "", "out of memory");
    cfg_diags_sort(d);
    if (rs.res)
        rs.res->from = d ? (unsigned)d->n : 0;   /* its own messages hold no value */
    if (rs.res && rs.res->n == 0 && rs.res->n_failed == 0) {
        cfg_resolved_free(rs.res);
        rs.res = NULL;
    }
    if (res)
        *res = rs.res;
    else
        cfg_resolved_free(rs.res);
    if (rs.nomem)
        return ST_NOMEM;
    return rs.failed || (d && d->errors > errors) ? ST_CONFIG : ST_OK;
}

/* --- keeping resolved values out of messages --- */

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (c & 0x80);
}

/* @msg with every delimited occurrence of one of @forms replaced by @with (owned), or NULL
 * when there is none. */
static char *replace_forms(const char *msg, const char *const *forms, size_t nf,
                           const char *with)
{
    struct buf b = BUF_INIT;
    bool any = false;

    for (size_t i = 0; msg[i];) {
        size_t hit = 0;
        for (size_t k = 0; k < nf && !hit; k++) {
            size_t fl = strlen(forms[k]);
            if (!fl || strncmp(msg + i, forms[k], fl) != 0)
                continue;
            if (word_char(forms[k][0]) && i > 0 && word_char(msg[i - 1]))
                continue;
            if (word_char(forms[k][fl - 1]) && word_char(msg[i + fl]))
                continue;
            hit = fl;
        }
        if (hit) {
            buf_append_str(&b, with);
            i += hit;
            any = true;
        } else {
            buf_put_u8(&b, (uint8_t)msg[i++]);
        }
    }
    if (!any || !buf_cstr(&b)) {
        if (b.p)
            explicit_bzero(b.p, b.cap);
        buf_free(&b);
        return NULL;
    }
    return (char *)b.p;
}

static void redact_one(struct cfg_diag *dg, const struct rprop *x)
{
    const char *s = x->value, *e = s + strlen(s), *rs = x->raw, *re = rs + strlen(rs);
    char forms[4][CFG_Q_LEN + 8], with[CFG_Q_LEN + 32], q[CFG_Q_LEN];
    const char *fp[5];
    size_t nf = 0;
    char *msg;

    trim(&s, &e);
    trim(&rs, &re);
    if (s == e)
        return;   /* nothing to hide */
    fp[nf++] = x->value;                  /* longest first */
    snprintf(forms[0], sizeof(forms[0]), "%.*s", (int)(e - s), s);
    cfg__q(x->value, strlen(x->value), forms[1], sizeof(forms[1]));
    cfg__q(s, (size_t)(e - s), forms[2], sizeof(forms[2]));
    if ((size_t)(e - s) < sizeof(forms[0]))
        fp[nf++] = forms[0];
    fp[nf++] = forms[1];
    fp[nf++] = forms[2];
    snprintf(with, sizeof(with), "<resolved from %s>", cfg__q(rs, (size_t)(re - rs), q, sizeof(q)));
    if ((msg = replace_forms(dg->msg, fp, nf, with))) {
        explicit_bzero(dg->msg, strlen(dg->msg));
        mem_free(dg->msg);
        dg->msg = msg;
    }
    explicit_bzero(forms, sizeof(forms));
}

static bool failed_key(const struct cfg_resolved *r, const char *key)
{
    for (size_t i = 0; i < r->n_failed; i++)
        if (strcmp(r->failed[i], key) == 0)
            return true;
    return false;
}

void cfg_resolved_scrub(struct cfg_resolved *const *rs, size_t nr, struct cfg_diags *d)
{
    unsigned *gone;     /* seq of each dropped diagnostic */
    size_t n_gone = 0, o = 0;

    if (!d)
        return;
    gone = mem_calloc(d->n ? d->n : 1, sizeof(*gone));   /* NULL: redact, drop nothing */
    for (size_t i = 0; i < d->n; i++) {
        struct cfg_diag *dg = &d->v[i];
        bool drop = false;
        for (size_t k = 0; k < nr && !drop; k++) {
            const struct cfg_resolved *r = rs[k];
            if (!r || dg->seq < r->from || strcmp(dg->file, r->file) != 0)
                continue;
            /* about a value as written whose reference failed: its error already said why */
            drop = gone && failed_key(r, dg->path);
            for (size_t x = 0; x < r->n && !drop; x++)
                if (strcmp(dg->path, r->v[x].key) == 0)
                    redact_one(dg, &r->v[x]);
        }
        if (!drop) {
            d->v[o++] = *dg;
            continue;
        }
        if (dg->sev == CFG_SEV_ERROR)
            d->errors--;
        else
            d->warnings--;
        gone[n_gone++] = dg->seq;
        mem_free(dg->file);
        mem_free(dg->path);
        mem_free(dg->msg);
    }
    d->n = o;
    /* seq is the insertion index (cfg_diag_add): close the gaps, keeping the order, so the
     * next diagnostics (seq = d->n) come after every one kept */
    for (size_t i = 0; i < d->n && n_gone; i++) {
        unsigned before = 0;
        for (size_t g = 0; g < n_gone; g++)
            before += gone[g] < d->v[i].seq;
        d->v[i].seq -= before;
    }
    mem_free(gone);
    for (size_t k = 0; k < nr; k++)
        if (rs[k])
            rs[k]->from = (unsigned)d->n;
}

/* --- resolve, then build --- */

/* What a *_new_resolved did: to the caller (@res), or scrubbed from @d and freed here. */
static void hand_over(struct cfg_resolved *r, struct cfg_resolved **res, struct cfg_diags *d)
{
    if (res) {
        *res = r;
        return;
    }
    cfg_resolved_scrub(&r, 1, d);
    cfg_resolved_free(r);
}

struct cfg_worker *cfg_worker_new_resolved(struct cfg_props *props, enum cfg_worker_mode mode,
                                           struct cfg_resolved **res, struct cfg_diags *d)
{
    struct cfg_diags local = CFG_DIAGS_INIT;
    struct cfg_diags *dd = d ? d : &local;
    struct cfg_providers *pv;
    struct cfg_resolved *r = NULL;
    struct cfg_worker *w;
    enum status st = ST_NOMEM;

    if (res)
        *res = NULL;
    if (!props)
        return NULL;
    if ((pv = cfg_providers_new(props, dd)))
        st = cfg_props_resolve(props, pv, &r, dd);
    cfg_providers_free(pv);
    w = cfg_worker_new(props, mode, dd);   /* also on errors: report every problem */
    if (st != ST_OK) {
        cfg_worker_free(w);
        w = NULL;
    }
    hand_over(r, res, dd);
    cfg_diags_free(&local);
    return w;
}

struct cfg_connector *cfg_connector_new_resolved(struct cfg_props *props,
                                                 const struct cfg_providers *pv,
                                                 struct cfg_resolved **res,
                                                 struct cfg_diags *d)
{
    struct cfg_diags local = CFG_DIAGS_INIT;
    struct cfg_diags *dd = d ? d : &local;
    struct cfg_resolved *r = NULL;
    struct cfg_connector *c;
    enum status st;

    if (res)
        *res = NULL;
    if (!props)
        return NULL;
    st = cfg_props_resolve(props, pv, &r, dd);
    c = cfg_connector_new(props, dd);
    if (st != ST_OK) {
        cfg_connector_free(c);
        c = NULL;
    }
    hand_over(r, res, dd);
    cfg_diags_free(&local);
    return c;
}
