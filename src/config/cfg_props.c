/* src/config/cfg_props.c: Kafka Connect properties.
 *
 * The text parser follows java.util.Properties.load (JDK 9+ LineReader and loadConvert):
 *  - natural lines end at "\n", "\r" or "\r\n";
 *  - leading blanks (space, tab, form feed) are skipped; blank lines are skipped;
 *  - a logical line whose first non-blank character is '#' or '!' is a comment (a trailing
 *    backslash does not continue a comment);
 *  - a line ending in an odd number of backslashes continues on the next line, whose
 *    leading blanks are dropped; an odd backslash at the end of the file is dropped;
 *  - the key ends at the first unescaped '=', ':' or blank; then blanks, at most one '=' or
 *    ':', and blanks are skipped; the rest, trailing blanks included, is the value;
 *  - escapes: \t \n \r \f, \uXXXX (exactly four hex digits, else "Malformed \uxxxx
 *    encoding"), any other \c is c (so "\=" "\:" "\ " "\\" "\#" work);
 *  - a repeated key: the last value wins (we warn).
 * Differences, on purpose: bytes are kept as they are (UTF-8 stays UTF-8; Java reads
 * ISO-8859-1), \uXXXX becomes UTF-8, and a NUL character (\u0000) is an error. */
#include <stdio.h>
#include <string.h>

#include "config_int.h"

#define MAX_PROPS 100000

/* --- the property set --- */

struct cfg_props *cfg_props_new(const char *name)
{
    struct cfg_props *p = mem_calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->file = mem_strdup(name ? name : "<properties>");
    if (!p->file) {
        mem_free(p);
        return NULL;
    }
    return p;
}

void cfg_props_free(struct cfg_props *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        mem_free(p->v[i].key);
        if (p->v[i].value) {
            explicit_bzero(p->v[i].value, strlen(p->v[i].value));   /* may be a secret */
            mem_free(p->v[i].value);
        }
    }
    mem_free(p->v);
    mem_free(p->index);
    mem_free(p->file);
    mem_free(p);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* index[] holds (prop index + 1), 0 = empty slot; linear probing, load <= 1/2 */
static bool reindex(struct cfg_props *p, size_t cap)
{
    uint32_t *ix = mem_calloc(cap, sizeof(*ix));

    if (!ix)
        return false;
    for (size_t i = 0; i < p->n; i++) {
        size_t h = hash(p->v[i].key) & (cap - 1);
        while (ix[h])
            h = (h + 1) & (cap - 1);
        ix[h] = (uint32_t)i + 1;
    }
    mem_free(p->index);
    p->index = ix;
    p->index_cap = cap;
    return true;
}

static size_t find_slot(const struct cfg_props *p, const char *key, bool *found)
{
    size_t h = hash(key) & (p->index_cap - 1);

    *found = false;
    while (p->index[h]) {
        if (strcmp(p->v[p->index[h] - 1].key, key) == 0) {
            *found = true;
            break;
        }
        h = (h + 1) & (p->index_cap - 1);
    }
    return h;
}

const struct cfg_prop *cfg_props_find(const struct cfg_props *p, const char *key)
{
    bool found;
    size_t h;

    if (!p || !p->index_cap)
        return NULL;
    h = find_slot(p, key, &found);
    return found ? &p->v[p->index[h] - 1] : NULL;
}

const char *cfg_props_get(const struct cfg_props *p, const char *key)
{
    const struct cfg_prop *pr = cfg_props_find(p, key);
    return pr ? pr->value : NULL;
}

/* Add or replace; *replaced gets the old line (0 if new). */
static enum status props_put(struct cfg_props *p, const char *key, size_t klen, const char *value,
                             size_t vlen, int line, int col, int vline, int vcol, int *replaced)
{
    char *k = mem_strndup(key, klen), *v = mem_strndup(value, vlen);
    struct cfg_prop *pr;
    bool found;
    size_t h;

    *replaced = 0;
    if (!k || !v)
        goto nomem;
    if ((p->n + 1) * 2 > p->index_cap && !reindex(p, p->index_cap ? p->index_cap * 2 : 64))
        goto nomem;
    h = find_slot(p, k, &found);
    if (found) {
        pr = &p->v[p->index[h] - 1];
        *replaced = pr->line ? pr->line : -1;
        mem_free(k);
        explicit_bzero(pr->value, strlen(pr->value));
        mem_free(pr->value);
    } else {
        if (!mem_grow(&p->v, &p->cap, p->n + 1, sizeof(*p->v), 32))
            goto nomem;
        pr = &p->v[p->n];
        pr->key = k;
        p->index[h] = (uint32_t)++p->n;
    }
    pr->value = v;
    pr->line = line;
    pr->col = col;
    pr->vline = vline;
    pr->vcol = vcol;
    return ST_OK;
nomem:
    mem_free(k);
    mem_free(v);
    return ST_NOMEM;
}

enum status cfg_props_set(struct cfg_props *p, const char *key, const char *value, int line,
                          int col)
{
    int replaced;
    return props_put(p, key, strlen(key), value, strlen(value), line, col, line, col, &replaced);
}

/* --- the parser --- */

struct seg {
    size_t start;      /* offset in the logical line */
    int line, col;     /* where that character is in the file */
};

struct pp {
    const char *t;
    size_t n, i;
    int line, col;
    struct cfg_props *props;
    struct cfg_diags *d;
    struct buf lb;     /* logical line */
    struct seg *segs;
    size_t nseg, capseg;
    struct buf key, val;
    bool failed;       /* out of memory or too many properties */
};

static void adv(struct pp *p)
{
    unsigned char c = (unsigned char)p->t[p->i++];

    if (c == '\n' || (c == '\r' && !(p->i < p->n && p->t[p->i] == '\n'))) {
        p->line++;
        p->col = 1;
    } else if (c != '\r' && (c & 0xC0) != 0x80) {
        p->col++;
    }
}

static bool add_seg(struct pp *p)
{
    if (p->nseg == p->capseg) {
        size_t ncap = p->capseg ? p->capseg * 2 : 8;
        struct seg *ns = mem_realloc(p->segs, ncap * sizeof(*ns));
        if (!ns)
            return false;
        p->segs = ns;
        p->capseg = ncap;
    }
    p->segs[p->nseg++] = (struct seg){p->lb.len, p->line, p->col};
    return true;
}

/* Where logical offset @off is in the file. */
static void pos_of(const struct pp *p, size_t off, int *line, int *col)
{
    size_t s = 0;

    if (p->nseg == 0) {
        *line = p->line;
        *col = p->col;
        return;
    }
    while (s + 1 < p->nseg && p->segs[s + 1].start <= off)
        s++;
    *line = p->segs[s].line;
    *col = p->segs[s].col;
    for (size_t i = p->segs[s].start; i < off && i < p->lb.len; i++)
        if ((p->lb.p[i] & 0xC0) != 0x80)
            (*col)++;
}

/* One logical line into p->lb (JDK LineReader.readLine). False at end of input. */
static bool read_line(struct pp *p)
{
    bool skip_ws = true, appended_begin = false, bs = false, need_seg = true;

    buf_reset(&p->lb);
    p->nseg = 0;
    for (;;) {
        char c;
        if (p->i >= p->n) {
            if (p->lb.len == 0)
                return false;
            if (bs)
                p->lb.len--;
            return true;
        }
        c = p->t[p->i];
        if (skip_ws) {
            if (c == ' ' || c == '\t' || c == '\f') {
                adv(p);
                continue;
            }
            if (!appended_begin && (c == '\r' || c == '\n')) {
                adv(p);
                continue;
            }
            skip_ws = false;
            appended_begin = false;
        }
        if (p->lb.len == 0 && (c == '#' || c == '!')) {   /* comment: rest of the line */
            while (p->i < p->n && p->t[p->i] != '\n' && p->t[p->i] != '\r')
                adv(p);
            skip_ws = true;
            need_seg = true;
            p->nseg = 0;
            continue;
        }
        if (c != '\n' && c != '\r') {
            if (need_seg && !add_seg(p))
                goto nomem;
            need_seg = false;
            if (buf_put_u8(&p->lb, (uint8_t)c) != ST_OK)
                goto nomem;
            adv(p);
            bs = c == '\\' ? !bs : false;
            continue;
        }
        /* end of a natural line (JDK 17 order, quirks included) */
        adv(p);
        if (p->lb.len == 0) {   /* e.g. "\" alone, continued by an empty line */
            skip_ws = true;
            need_seg = true;
            p->nseg = 0;
            continue;
        }
        if (p->i >= p->n) {     /* end of file right after "\\\n": Java still returns the
                                 * line, even when it is empty then (key "" = "") */
            if (bs)
                p->lb.len--;
            return true;
        }
        if (!bs)
            return true;        /* the "\n" of a "\r\n" is skipped by the next line */
        p->lb.len--;            /* the continuation backslash */
        bs = false;
        skip_ws = true;
        appended_begin = true;
        need_seg = true;
        if (c == '\r' && p->t[p->i] == '\n')
            adv(p);
    }
nomem:
    p->failed = true;
    return false;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void perr(struct pp *p, size_t off, const char *path, const char *fmt, ...) PRINTF_LIKE(4, 5);
static void perr(struct pp *p, size_t off, const char *path, const char *fmt, ...)
{
    char msg[256];
    int line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pos_of(p, off, &line, &col);
    cfg_diag_add(p->d, CFG_SEV_ERROR, p->props->file, line, col, path, "%s", msg);
}

/* loadConvert: unescape lb[from, to) into out. False on a malformed \u (reported) or when
 * out of memory (p->failed). */
static bool unescape(struct pp *p, size_t from, size_t to, struct buf *out, const char *path)
{
    static const char fffd[] = "\xEF\xBF\xBD";   /* U+FFFD for a lone surrogate */
    const char *s = (const char *)p->lb.p;
    uint32_t hi = 0;   /* pending high surrogate */
    bool ok = true;

    buf_reset(out);
    for (size_t i = from; i < to && ok;) {
        char c = s[i++], enc[4];
        uint32_t cp = 0;
        bool code_point = false;   /* from \uXXXX (UTF-8 encode) vs a raw byte (copy) */
        if (c == '\\' && i < to && s[i] == 'u') {
            i++;
            code_point = true;
            for (int k = 0; k < 4; k++) {
                int h = i + (size_t)k < to ? hexv(s[i + (size_t)k]) : -1;
                if (h < 0) {
                    perr(p, i - 2, path, "malformed \\uxxxx encoding (Java refuses this file)");
                    return false;
                }
                cp = cp << 4 | (uint32_t)h;
            }
            i += 4;
            if (cp == 0) {
                perr(p, i - 6, path, "\\u0000 (a NUL character) is not allowed");
                return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (hi)
                    ok = buf_append(out, fffd, 3) == ST_OK;
                hi = cp;
                continue;
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = hi ? 0x10000 + ((hi - 0xD800) << 10) + (cp - 0xDC00) : 0xFFFD;
                hi = 0;
            }
        } else if (c == '\\') {
            if (i >= to)
                continue;   /* cannot happen after read_line; keep Java's "drop it" */
            c = s[i++];
            cp = (unsigned char)(c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r'
                                 : c == 'f' ? '\f' : c);
        } else {
            cp = (unsigned char)c;
        }
        if (hi) {
            ok = buf_append(out, fffd, 3) == ST_OK;
            hi = 0;
        }
        if (code_point)
            ok = ok && buf_append(out, enc, cfg__utf8_put(cp, enc)) == ST_OK;
        else
            ok = ok && buf_put_u8(out, (uint8_t)cp) == ST_OK;
    }
    if (ok && hi)
        ok = buf_append(out, fffd, 3) == ST_OK;
    if (!ok || buf_reserve(out, 1) != ST_OK) {
        p->failed = true;
        return false;
    }
    return true;
}

/* Properties.load0: split one logical line. */
static void split_line(struct pp *p)
{
    const char *s = (const char *)p->lb.p;
    size_t limit = p->lb.len, klen = 0, vstart = limit;
    bool has_sep = false, bs = false;
    int line, col, vline, vcol, replaced;
    char q[CFG_Q_LEN];

    while (klen < limit) {
        char c = s[klen];
        if ((c == '=' || c == ':') && !bs) {
            vstart = klen + 1;
            has_sep = true;
            break;
        }
        if ((c == ' ' || c == '\t' || c == '\f') && !bs) {
            vstart = klen + 1;
            break;
        }
        bs = c == '\\' ? !bs : false;
        klen++;
    }
    while (vstart < limit) {
        char c = s[vstart];
        if (c != ' ' && c != '\t' && c != '\f') {
            if (!has_sep && (c == '=' || c == ':'))
                has_sep = true;
            else
                break;
        }
        vstart++;
    }
    if (!unescape(p, 0, klen, &p->key, ""))
        return;
    if (!unescape(p, vstart, limit, &p->val, buf_cstr(&p->key)))
        return;
    pos_of(p, 0, &line, &col);
    pos_of(p, vstart, &vline, &vcol);
    if (p->props->n >= MAX_PROPS) {
        cfg_diag_add(p->d, CFG_SEV_ERROR, p->props->file, line, col, "",
                     "more than %d properties", MAX_PROPS);
        p->failed = true;
        return;
    }
    if (props_put(p->props, (const char *)p->key.p, p->key.len, (const char *)p->val.p,
                  p->val.len, line, col, vline, vcol, &replaced) != ST_OK) {
        p->failed = true;
        return;
    }
    if (replaced)
        cfg_diag_add(p->d, CFG_SEV_WARNING, p->props->file, line, col,
                     cfg__q((const char *)p->key.p, p->key.len, q, sizeof(q)),
                     "set again (first on line %d): the last value wins", replaced);
}

struct cfg_props *cfg_props_parse(const char *text, size_t len, const char *name,
                                  struct cfg_diags *d)
{
    struct cfg_diags local = CFG_DIAGS_INIT;
    struct pp p;
    size_t errors;

    memset(&p, 0, sizeof(p));
    p.d = d ? d : &local;
    errors = p.d->errors;
    p.t = text;
    p.n = len;
    p.line = p.col = 1;
    p.props = cfg_props_new(name);
    if (!p.props) {
        cfg_diag_add(p.d, CFG_SEV_ERROR, name, 0, 0, "", "out of memory");
        return NULL;
    }
    if (len > CFG_MAX_FILE_BYTES) {
        cfg_diag_add(p.d, CFG_SEV_ERROR, p.props->file, 0, 0, "", "file is %zu bytes (at most %u)",
                     len, CFG_MAX_FILE_BYTES);
        p.failed = true;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        p.i = 3;   /* a UTF-8 byte order mark; Java would make it part of the first key */
    while (!p.failed && read_line(&p))
        split_line(&p);
    if (p.failed && p.d->errors == errors)
        cfg_diag_add(p.d, CFG_SEV_ERROR, p.props->file, 0, 0, "", "out of memory");
    buf_free(&p.lb);
    buf_free(&p.key);
    buf_free(&p.val);
    mem_free(p.segs);
    cfg_diags_sort(p.d);
    if (p.d->errors > errors) {
        cfg_props_free(p.props);
        p.props = NULL;
    }
    cfg_diags_free(&local);
    return p.props;
}

struct cfg_props *cfg_props_load_file(const char *path, struct cfg_diags *d)
{
    struct err e = {0};
    size_t len = 0;
    char *text = cfg_read_file(path, &len, &e);
    struct cfg_props *p;

    if (!text) {
        cfg_diag_add(d, CFG_SEV_ERROR, path, 0, 0, "", "%s", e.msg);
        return NULL;
    }
    if (cfg__looks_like_json(path, text, len))
        p = cfg_props_parse_json(text, len, path, d);
    else
        p = cfg_props_parse(text, len, path, d);
    explicit_bzero(text, len);
    mem_free(text);
    return p;
}

/* --- connector JSON --- */

static bool json_put(struct cfg_props *p, const struct cfg_node *k, const struct cfg_node *v,
                     struct cfg_diags *d)
{
    char q[CFG_Q_LEN];
    int replaced;

    cfg__q(k->s, k->len, q, sizeof(q));
    if (v->kind == CFG_N_MAP || v->kind == CFG_N_SEQ) {
        cfg_diag_add(d, CFG_SEV_ERROR, p->file, v->line, v->col, q,
                     "expected a string, got %s (Connect config values are strings)",
                     cfg__kind_name(v));
        return true;
    }
    if (v->kind == CFG_N_NULL) {
        cfg_diag_add(d, CFG_SEV_ERROR, p->file, v->line, v->col, q,
                     "expected a string, got null");
        return true;
    }
    if (memchr(k->s, 0, k->len) || memchr(v->s, 0, v->len)) {
        cfg_diag_add(d, CFG_SEV_ERROR, p->file, k->line, k->col, q, "contains a NUL character");
        return true;
    }
    return props_put(p, k->s, k->len, v->s, v->len, k->line, k->col, v->line,
                     v->col + (v->quoted ? 1 : 0), &replaced) == ST_OK;
}

struct cfg_props *cfg_props_parse_json(const char *text, size_t len, const char *name,
                                       struct cfg_diags *d)
{
    struct cfg_diags local = CFG_DIAGS_INIT;
    struct cfg_diags *dd = d ? d : &local;
    size_t errors = dd->errors;
    struct cfg_doc *doc = cfg__parse_json(text, len, name, dd);
    struct cfg_props *p = NULL;
    const struct cfg_node *root, *conf, *nm;
    bool ok = true;

    if (!doc)
        goto out;
    root = doc->root;
    p = cfg_props_new(name);
    if (!p) {
        cfg_diag_add(dd, CFG_SEV_ERROR, name, 0, 0, "", "out of memory");
        goto out;
    }
    if (root->kind != CFG_N_MAP) {
        cfg_diag_add(dd, CFG_SEV_ERROR, p->file, root->line, root->col, "",
                     "expected a JSON object: {\"name\": ..., \"config\": {...}} or {\"key\": "
                     "\"value\", ...}");
        goto out;
    }
    conf = cfg__map_get(root, "config");
    if (conf && conf->kind == CFG_N_MAP) {   /* REST shape */
        for (size_t i = 0; i < root->n && ok; i++) {
            const struct cfg_node *k = root->pairs[i].key;
            char q[CFG_Q_LEN];
            if (str_eq(k->s, k->len, "config") || str_eq(k->s, k->len, "name") ||
                str_eq(k->s, k->len, "initial_state"))
                continue;
            cfg_diag_add(dd, CFG_SEV_WARNING, p->file, k->line, k->col,
                         cfg__q(k->s, k->len, q, sizeof(q)),
                         "unknown field of a connector request (expected name, config, "
                         "initial_state): ignored");
        }
        for (size_t i = 0; i < conf->n && ok; i++)
            ok = json_put(p, conf->pairs[i].key, conf->pairs[i].val, dd);
        nm = cfg__map_get(root, "name");
        if (ok && nm && nm->kind == CFG_N_SCALAR) {
            const struct cfg_prop *inner = cfg_props_find(p, "name");
            if (!inner)
                ok = json_put(p, cfg__map_pair(root, "name")->key, nm, dd);
            else if (!str_eq(nm->s, nm->len, inner->value))
                cfg_diag_add(dd, CFG_SEV_ERROR, p->file, inner->vline, inner->vcol, "name",
                             "config name \"%s\" differs from the request's name (line %d); "
                             "Connect refuses this", inner->value, nm->line);
        }
    } else {
        for (size_t i = 0; i < root->n && ok; i++)
            ok = json_put(p, root->pairs[i].key, root->pairs[i].val, dd);
    }
    if (!ok)
        cfg_diag_add(dd, CFG_SEV_ERROR, p->file, 0, 0, "", "out of memory");
out:
    cfg__doc_free(doc);
    cfg_diags_sort(dd);
    if (dd->errors > errors) {
        cfg_props_free(p);
        p = NULL;
    }
    cfg_diags_free(&local);
    return p;
}
