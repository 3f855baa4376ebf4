/* src/config/cfg_json.c: strict JSON (RFC 8259) text -> document tree.
 *
 * Why not libyaml for .json too: YAML 1.1 rejects valid JSON such as surrogate-pair escapes
 * ("\ud83d\ude00"), and a JSON file deserves JSON's error messages. Same tree, same limits
 * as the YAML reader; duplicate keys are errors; numbers keep their text. */
#include <stdio.h>
#include <string.h>

#include "config_int.h"

struct cfg_doc *cfg__doc_new(const char *name);
bool cfg__check_duplicates(struct cfg_arena *a, const struct cfg_node *map, const char *name,
                           struct cfg_diags *d);

struct jp {
    const unsigned char *p, *end;
    int line, col;
    struct cfg_doc *doc;
    struct cfg_diags *d;
    struct cfg_budget budget;
    bool failed;
    char *tmp;              /* string scratch, CFG_MAX_SCALAR_BYTES + 4 */
};

static void jerr(struct jp *j, int line, int col, const char *fmt, ...) PRINTF_LIKE(4, 5);
static void jerr(struct jp *j, int line, int col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (j->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(j->d, CFG_SEV_ERROR, j->doc->name, line, col, "", "%s", msg);
    j->failed = true;
}

static void advance(struct jp *j)
{
    if (*j->p == '\n') {
        j->line++;
        j->col = 1;
    } else if ((*j->p & 0xC0) != 0x80) {   /* count characters, not continuation bytes */
        j->col++;
    }
    j->p++;
}

static void describe(const struct jp *j, char *out, size_t cap)
{
    if (j->p >= j->end)
        snprintf(out, cap, "end of file");
    else if (*j->p >= 0x20 && *j->p < 0x7F)
        snprintf(out, cap, "'%c'", *j->p);
    else
        snprintf(out, cap, "byte 0x%02x", *j->p);
}

static void unexpected(struct jp *j, const char *wanted)
{
    char what[32];

    describe(j, what, sizeof(what));
    if (j->p + 1 < j->end && j->p[0] == '/' && (j->p[1] == '/' || j->p[1] == '*'))
        jerr(j, j->line, j->col, "JSON syntax error: comments are not allowed in JSON");
    else
        jerr(j, j->line, j->col, "JSON syntax error: expected %s, found %s", wanted, what);
}

static void skip_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        advance(j);
}

static struct cfg_node *new_node(struct jp *j, enum cfg_nkind k, int line, int col)
{
    struct cfg_node *n;

    if (++j->budget.nodes > CFG_MAX_NODES) {
        jerr(j, line, col, "more than %d values", CFG_MAX_NODES);
        return NULL;
    }
    n = cfg__node_new(j->doc->arena, k, line, col);
    if (!n)
        jerr(j, line, col, "out of memory while reading the file");
    return n;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool hex4(struct jp *j, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        int h = j->p < j->end ? hexval(*j->p) : -1;
        if (h < 0) {
            jerr(j, j->line, j->col, "JSON syntax error: \\u needs 4 hex digits");
            return false;
        }
        v = v << 4 | (uint32_t)h;
        advance(j);
    }
    *out = v;
    return true;
}

/* After the backslash of "\u": one code point, combining a surrogate pair. */
static bool unicode_escape(struct jp *j, int line, int col, uint32_t *cp)
{
    uint32_t hi, lo;

    if (!hex4(j, &hi))
        return false;
    if (hi >= 0xDC00 && hi <= 0xDFFF) {
        jerr(j, line, col, "JSON syntax error: \\u%04X is a lone low surrogate", (unsigned)hi);
        return false;
    }
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return true;
    }
    if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') {
        jerr(j, line, col, "JSON syntax error: \\u%04X is a high surrogate without its pair",
             (unsigned)hi);
        return false;
    }
    advance(j);
    advance(j);
    if (!hex4(j, &lo))
        return false;
    if (lo < 0xDC00 || lo > 0xDFFF) {
        jerr(j, line, col, "JSON syntax error: \\u%04X is not a low surrogate", (unsigned)lo);
        return false;
    }
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return true;
}

static bool escape(struct jp *j, size_t *o)
{
    int line = j->line, col = j->col;
    uint32_t cp;
    char c;

    advance(j);   /* the backslash */
    if (j->p >= j->end) {
        jerr(j, line, col, "JSON syntax error: unfinished escape");
        return false;
    }
    switch (*j->p) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u':
        advance(j);
        if (!unicode_escape(j, line, col, &cp))
            return false;
        *o += cfg__utf8_put(cp, j->tmp + *o);
        return true;
    default:
        jerr(j, line, col, "JSON syntax error: unknown escape '\\%c'",
             *j->p >= 0x20 && *j->p < 0x7F ? *j->p : '?');
        return false;
    }
    j->tmp[(*o)++] = c;
    advance(j);
    return true;
}

static struct cfg_node *parse_string(struct jp *j)
{
    int line = j->line, col = j->col;
    size_t o = 0;
    struct cfg_node *n;

    advance(j);   /* opening quote */
    for (;;) {
        if (j->p >= j->end) {
            jerr(j, line, col, "JSON syntax error: string not closed");
            return NULL;
        }
        if (o > CFG_MAX_SCALAR_BYTES) {
            jerr(j, line, col, "value is longer than %d bytes", CFG_MAX_SCALAR_BYTES);
            return NULL;
        }
        unsigned char c = *j->p;
        if (c == '"')
            break;
        if (c < 0x20) {
            jerr(j, j->line, j->col,
                 "JSON syntax error: control character 0x%02x in a string (write it escaped)", c);
            return NULL;
        }
        if (c == '\\') {
            if (!escape(j, &o))
                return NULL;
            continue;
        }
        size_t l = cfg__utf8_len(j->p, (size_t)(j->end - j->p));
        if (l == 0) {
            jerr(j, j->line, j->col, "not valid UTF-8 text (byte 0x%02x)", c);
            return NULL;
        }
        memcpy(j->tmp + o, j->p, l);
        o += l;
        for (size_t i = 0; i < l; i++)
            advance(j);
    }
    advance(j);   /* closing quote */
    j->budget.bytes += o;
    n = new_node(j, CFG_N_SCALAR, line, col);
    if (!n)
        return NULL;
    n->quoted = true;
    n->len = o;
    n->s = cfg__arena_strndup(j->doc->arena, j->tmp, o);
    if (!n->s) {
        jerr(j, line, col, "out of memory while reading the file");
        return NULL;
    }
    return n;
}

static bool is_digit(const struct jp *j)
{
    return j->p < j->end && *j->p >= '0' && *j->p <= '9';
}

static struct cfg_node *parse_number(struct jp *j)
{
    int line = j->line, col = j->col;
    const unsigned char *start = j->p;
    struct cfg_node *n;

    if (*j->p == '-')
        advance(j);
    if (!is_digit(j)) {
        unexpected(j, "a digit");
        return NULL;
    }
    if (*j->p == '0') {
        advance(j);
        if (is_digit(j)) {
            jerr(j, line, col, "JSON syntax error: numbers cannot have leading zeros");
            return NULL;
        }
    } else {
        while (is_digit(j))
            advance(j);
    }
    if (j->p < j->end && *j->p == '.') {
        advance(j);
        if (!is_digit(j)) {
            unexpected(j, "a digit after '.'");
            return NULL;
        }
        while (is_digit(j))
            advance(j);
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        advance(j);
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            advance(j);
        if (!is_digit(j)) {
            unexpected(j, "a digit in the exponent");
            return NULL;
        }
        while (is_digit(j))
            advance(j);
    }
    if ((size_t)(j->p - start) > CFG_MAX_SCALAR_BYTES) {
        jerr(j, line, col, "number is longer than %d bytes", CFG_MAX_SCALAR_BYTES);
        return NULL;
    }
    n = new_node(j, CFG_N_SCALAR, line, col);
    if (!n)
        return NULL;
    n->len = (size_t)(j->p - start);
    n->s = cfg__arena_strndup(j->doc->arena, (const char *)start, n->len);
    if (!n->s) {
        jerr(j, line, col, "out of memory while reading the file");
        return NULL;
    }
    return n;
}

static struct cfg_node *parse_word(struct jp *j)
{
    static const char *const words[] = {"true", "false", "null"};
    int line = j->line, col = j->col;

    for (size_t i = 0; i < ARRAY_LEN(words); i++) {
        size_t l = strlen(words[i]);
        if ((size_t)(j->end - j->p) >= l && memcmp(j->p, words[i], l) == 0) {
            struct cfg_node *n = new_node(j, i == 2 ? CFG_N_NULL : CFG_N_SCALAR, line, col);
            if (!n)
                return NULL;
            n->s = words[i];
            n->len = l;
            for (size_t k = 0; k < l; k++)
                advance(j);
            return n;
        }
    }
    unexpected(j, "a value (object, array, string, number, true, false or null)");
    return NULL;
}

static struct cfg_node *parse_value(struct jp *j, int depth);

static struct cfg_node *parse_object(struct jp *j, int depth)
{
    struct cfg_node *map = new_node(j, CFG_N_MAP, j->line, j->col);

    if (!map)
        return NULL;
    advance(j);
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        advance(j);
        return map;
    }
    for (;;) {
        struct cfg_node *k, *v;
        skip_ws(j);
        if (j->p >= j->end || *j->p != '"') {
            unexpected(j, "a key in double quotes");
            return NULL;
        }
        if (!(k = parse_string(j)))
            return NULL;
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':') {
            unexpected(j, "':' after the key");
            return NULL;
        }
        advance(j);
        if (!(v = parse_value(j, depth + 1)))
            return NULL;
        if (!cfg__map_add(j->doc->arena, map, k, v)) {
            jerr(j, k->line, k->col, "out of memory while reading the file");
            return NULL;
        }
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            advance(j);
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            advance(j);
            break;
        }
        unexpected(j, "',' or '}'");
        return NULL;
    }
    if (!cfg__check_duplicates(j->doc->arena, map, j->doc->name, j->d)) {
        j->failed = true;
        return NULL;
    }
    return map;
}

static struct cfg_node *parse_array(struct jp *j, int depth)
{
    struct cfg_node *seq = new_node(j, CFG_N_SEQ, j->line, j->col);

    if (!seq)
        return NULL;
    advance(j);
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        advance(j);
        return seq;
    }
    for (;;) {
        struct cfg_node *v = parse_value(j, depth + 1);
        if (!v)
            return NULL;
        if (!cfg__seq_add(j->doc->arena, seq, v)) {
            jerr(j, v->line, v->col, "out of memory while reading the file");
            return NULL;
        }
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            advance(j);
            continue;
        }
        if (j->p < j->end && *j->p == ']') {
            advance(j);
            return seq;
        }
        unexpected(j, "',' or ']'");
        return NULL;
    }
}

static struct cfg_node *parse_value(struct jp *j, int depth)
{
    skip_ws(j);
    if (j->p >= j->end) {
        unexpected(j, "a value");
        return NULL;
    }
    if ((*j->p == '{' || *j->p == '[') && depth >= CFG_MAX_DEPTH) {
        jerr(j, j->line, j->col, "nesting deeper than %d levels", CFG_MAX_DEPTH);
        return NULL;
    }
    switch (*j->p) {
    case '{': return parse_object(j, depth);
    case '[': return parse_array(j, depth);
    case '"': return parse_string(j);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return parse_number(j);
    default:
        return parse_word(j);
    }
}

struct cfg_doc *cfg__parse_json(const char *text, size_t len, const char *name,
                                struct cfg_diags *d)
{
    struct jp j;

    memset(&j, 0, sizeof(j));
    j.d = d;
    j.line = j.col = 1;
    j.doc = cfg__doc_new(name);
    if (!j.doc) {
        cfg_diag_add(d, CFG_SEV_ERROR, name, 0, 0, "", "out of memory");
        return NULL;
    }
    if (len > CFG_MAX_FILE_BYTES) {
        jerr(&j, 0, 0, "file is %zu bytes (at most %u)", len, CFG_MAX_FILE_BYTES);
        goto fail;
    }
    j.tmp = cfg__arena_alloc(j.doc->arena, CFG_MAX_SCALAR_BYTES + 8);
    if (!j.tmp) {
        jerr(&j, 0, 0, "out of memory");
        goto fail;
    }
    j.p = (const unsigned char *)text;
    j.end = j.p + len;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        j.p += 3;
    skip_ws(&j);
    if (j.p == j.end) {   /* empty: same as an empty YAML file */
        j.doc->root = new_node(&j, CFG_N_NULL, 1, 1);
        if (!j.doc->root)
            goto fail;
        return j.doc;
    }
    j.doc->root = parse_value(&j, 0);
    if (!j.doc->root)
        goto fail;
    skip_ws(&j);
    if (j.p < j.end) {
        unexpected(&j, "the end of the file after the JSON value");
        goto fail;
    }
    return j.doc;
fail:
    cfg__doc_free(j.doc);
    return NULL;
}
