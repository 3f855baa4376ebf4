/* src/convert/protobuf_schema.c: .proto text (proto2/proto3, as the Schema Registry stores a
 * PROTOBUF schema) -> the compiled tree of protobuf_int.h for the binary decoder.
 * Owns: the tokenizer (comments, strings with escapes, dotted names), the grammar (syntax,
 * package, import, option, message with nested messages/enums/oneofs/maps, enum, reserved,
 * extensions, extend and service blocks skipped), type-name resolution with protobuf's scoping
 * (innermost scope first, the first name component decides, a leading dot is absolute), proto2
 * defaults, and two built-in well-known files (google/protobuf/timestamp.proto, wrappers.proto).
 * Refused: groups, editions, other imports. Errors name "line L col C". Allocates only here. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "convert/protobuf_int.h"

#define NONE UINT32_MAX
#define BUILTIN (UINT32_MAX - 1)   /* parent of a built-in file's top-level messages */

enum tok_kind { T_END, T_ID, T_NUM, T_STR, T_SYM };

struct tok {
    uint8_t kind;
    char sym;
    const char *p;      /* T_ID / T_NUM: the text; T_STR: decoded bytes in the arena */
    uint32_t n, line, col;
};

struct hent {
    const char *name;
    uint32_t n;
    uint8_t kind;       /* 1 message, 2 enum, 3 package prefix */
    uint32_t idx;
};

struct ps {
    struct conv__pbsc *s;
    struct err *e;
    const char *p, *end;
    uint32_t line, col;
    struct tok t;       /* current token */
    bool proto3;
    const char *pkg;
    uint32_t pkg_n;
    uint32_t parent_top;    /* parent of this file's top-level messages (NONE or BUILTIN) */
    unsigned depth;
    bool want_ts, want_wrappers;
    struct hent *h;
    uint32_t hcap;
    struct buf tmp;
};

static const struct {
    const char *name;
    uint8_t type;
} scalars[] = {
    {"double", PB_DOUBLE},     {"float", PB_FLOAT},       {"int64", PB_INT64},   {"uint64", PB_UINT64},
    {"int32", PB_INT32},       {"fixed64", PB_FIXED64},   {"fixed32", PB_FIXED32}, {"bool", PB_BOOL},
    {"string", PB_STRING},     {"bytes", PB_BYTES},       {"uint32", PB_UINT32}, {"sfixed32", PB_SFIXED32},
    {"sfixed64", PB_SFIXED64}, {"sint32", PB_SINT32},     {"sint64", PB_SINT64},
};

const char *conv__pb_type_name(uint8_t t)
{
    for (size_t i = 0; i < ARRAY_LEN(scalars); i++)
        if (scalars[i].type == t)
            return scalars[i].name;
    return t == PB_MESSAGE ? "message" : t == PB_ENUM ? "enum" : t == PB_GROUP ? "group" : "?";
}

static const char builtin_timestamp[] =
    "syntax = \"proto3\"; package google.protobuf;\n"
    "message Timestamp { int64 seconds = 1; int32 nanos = 2; }\n";
static const char builtin_wrappers[] =
    "syntax = \"proto3\"; package google.protobuf;\n"
    "message DoubleValue { double value = 1; }\n"
    "message FloatValue { float value = 1; }\n"
    "message Int64Value { int64 value = 1; }\n"
    "message UInt64Value { uint64 value = 1; }\n"
    "message Int32Value { int32 value = 1; }\n"
    "message UInt32Value { uint32 value = 1; }\n"
    "message BoolValue { bool value = 1; }\n"
    "message StringValue { string value = 1; }\n"
    "message BytesValue { bytes value = 1; }\n";

/* --- Errors --- */

static enum status perr_at(struct ps *ps, enum status st, uint32_t line, uint32_t col, const char *fmt, ...)
    PRINTF_LIKE(5, 6);
static enum status perr_at(struct ps *ps, enum status st, uint32_t line, uint32_t col, const char *fmt, ...)
{
    char msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(ps->e, st, "line %" PRIu32 " col %" PRIu32 ": %s", line, col, msg);
}

#define PERR(ps, ...) perr_at((ps), ST_PARSE, (ps)->t.line, (ps)->t.col, __VA_ARGS__)

static enum status nomem(struct ps *ps)
{
    return err_set(ps->e, ST_NOMEM, "Protobuf schema: out of memory");
}

/* The current token, quoted for messages. */
static const char *tok_text(struct ps *ps, char *out, size_t cap)
{
    const struct tok *t = &ps->t;

    if (t->kind == T_END)
        snprintf(out, cap, "end of schema");
    else if (t->kind == T_SYM)
        snprintf(out, cap, "'%c'", t->sym);
    else if (t->kind == T_STR)
        snprintf(out, cap, "a string");
    else
        snprintf(out, cap, "'%.*s'", (int)MIN(t->n, 60), t->p);
    return out;
}

static enum status expected(struct ps *ps, const char *what)
{
    char got[80];
    return PERR(ps, "expected %s, got %s", what, tok_text(ps, got, sizeof(got)));
}

/* --- Tokenizer --- */

static bool is_id0(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_id(int c)
{
    return is_id0(c) || (c >= '0' && c <= '9');
}

static void adv(struct ps *ps)
{
    if (*ps->p == '\n') {
        ps->line++;
        ps->col = 1;
    } else if (((uint8_t)*ps->p & 0xc0) != 0x80) {
        ps->col++;
    }
    ps->p++;
}

static enum status skip_space(struct ps *ps)
{
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            adv(ps);
        } else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '/') {
            while (ps->p < ps->end && *ps->p != '\n')
                adv(ps);
        } else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '*') {
            uint32_t l = ps->line, co = ps->col;
            adv(ps);
            adv(ps);
            while (ps->p < ps->end && !(*ps->p == '*' && ps->p + 1 < ps->end && ps->p[1] == '/'))
                adv(ps);
            if (ps->p >= ps->end)
                return perr_at(ps, ST_PARSE, l, co, "unterminated comment");
            adv(ps);
            adv(ps);
        } else {
            break;
        }
    }
    return ST_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A string literal at ps->p, decoded (escapes) into the arena; adjacent literals concatenate. */
static enum status lex_string(struct ps *ps)
{
    buf_reset(&ps->tmp);
    for (;;) {
        char q = *ps->p;
        uint32_t l = ps->line, co = ps->col;
        adv(ps);
        for (;;) {
            char c;
            int v;
            if (ps->p >= ps->end || *ps->p == '\n')
                return perr_at(ps, ST_PARSE, l, co, "unterminated string");
            c = *ps->p;
            adv(ps);
            if (c == q)
                break;
            if (c != '\\') {
                if (buf_put_u8(&ps->tmp, (uint8_t)c) != ST_OK)
                    return nomem(ps);
                continue;
            }
            if (ps->p >= ps->end)
                return perr_at(ps, ST_PARSE, l, co, "unterminated string");
            c = *ps->p;
            adv(ps);
            switch (c) {
            case 'a': v = 7; break;
            case 'b': v = 8; break;
            case 'f': v = 12; break;
            case 'n': v = 10; break;
            case 'r': v = 13; break;
            case 't': v = 9; break;
            case 'v': v = 11; break;
            case '\\': case '\'': case '"': case '?': v = c; break;
            case 'x': case 'X':
                if (ps->p >= ps->end || hexval(*ps->p) < 0)
                    return perr_at(ps, ST_PARSE, ps->line, ps->col, "\\x needs a hex digit");
                v = hexval(*ps->p);
                adv(ps);
                if (ps->p < ps->end && hexval(*ps->p) >= 0) {
                    v = v * 16 + hexval(*ps->p);
                    adv(ps);
                }
                break;
            default:
                if (c < '0' || c > '7')
                    return perr_at(ps, ST_PARSE, ps->line, ps->col - 1, "unknown escape '\\%c'", c);
                v = c - '0';
                for (int k = 0; k < 2 && ps->p < ps->end && *ps->p >= '0' && *ps->p <= '7'; k++) {
                    v = v * 8 + (*ps->p - '0');
                    adv(ps);
                }
                if (v > 255)
                    return perr_at(ps, ST_PARSE, ps->line, ps->col, "octal escape over \\377");
                break;
            }
            if (buf_put_u8(&ps->tmp, (uint8_t)v) != ST_OK)
                return nomem(ps);
        }
        if (skip_space(ps) != ST_OK)
            return ps->e->status;
        if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\''))
            break;
    }
    char *s = conv__arena_alloc(&ps->s->arena, ps->tmp.len + 1);
    if (!s)
        return nomem(ps);
    if (ps->tmp.len)
        memcpy(s, ps->tmp.p, ps->tmp.len);
    s[ps->tmp.len] = '\0';
    ps->t.p = s;
    ps->t.n = (uint32_t)ps->tmp.len;
    return ST_OK;
}

/* An integer literal: decimal, 0x hex or 0 octal. */
static bool int_literal(const char *t, uint32_t n, uint64_t *out)
{
    int base = n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') ? 16 : n > 1 && t[0] == '0' ? 8 : 10;
    uint64_t u = 0;

    if (n == 0)
        return false;
    for (uint32_t k = base == 16 ? 2 : base == 8 ? 1 : 0; k < n; k++) {
        int dv = hexval(t[k]);
        if (dv < 0 || dv >= base || u > (UINT64_MAX - (uint64_t)dv) / (uint64_t)base)
            return false;
        u = u * (uint64_t)base + (uint64_t)dv;
    }
    *out = u;
    return true;
}

static enum status next(struct ps *ps)
{
    const char *s;
    char c;

    if (skip_space(ps) != ST_OK)
        return ps->e->status;
    ps->t.line = ps->line;
    ps->t.col = ps->col;
    if (ps->p >= ps->end) {
        ps->t.kind = T_END;
        ps->t.n = 0;
        return ST_OK;
    }
    s = ps->p;
    c = *s;
    if (is_id0(c) || (c == '.' && ps->p + 1 < ps->end && is_id0(ps->p[1]))) {
        /* a dotted name, with an optional leading dot */
        if (c == '.')
            adv(ps);
        for (;;) {
            while (ps->p < ps->end && is_id(*ps->p))
                adv(ps);
            if (ps->p + 1 < ps->end && *ps->p == '.' && is_id0(ps->p[1]))
                adv(ps);
            else
                break;
        }
        ps->t.kind = T_ID;
    } else if ((c >= '0' && c <= '9') || (c == '.' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')) {
        bool hex = c == '0' && ps->p + 1 < ps->end && (ps->p[1] == 'x' || ps->p[1] == 'X');
        while (ps->p < ps->end && (is_id(*ps->p) || *ps->p == '.' ||
                                   (!hex && (*ps->p == '+' || *ps->p == '-') &&
                                    (ps->p[-1] == 'e' || ps->p[-1] == 'E'))))
            adv(ps);
        ps->t.kind = T_NUM;
    } else if (c == '"' || c == '\'') {
        ps->t.kind = T_STR;
        return lex_string(ps);
    } else if ((uint8_t)c < 0x80 && c > ' ') {
        adv(ps);
        ps->t.kind = T_SYM;
        ps->t.sym = c;
    } else {
        return PERR(ps, "unexpected byte 0x%02x", (uint8_t)c);
    }
    ps->t.p = s;
    ps->t.n = (uint32_t)(ps->p - s);
    return ST_OK;
}

static bool is_sym(const struct ps *ps, char c)
{
    return ps->t.kind == T_SYM && ps->t.sym == c;
}

static bool is_word(const struct ps *ps, const char *w)
{
    return ps->t.kind == T_ID && str_eq(ps->t.p, ps->t.n, w);
}

static enum status want_sym(struct ps *ps, char c)
{
    char what[8] = {'\'', c, '\'', 0};
    if (!is_sym(ps, c))
        return expected(ps, what);
    return next(ps);
}

/* A plain identifier (no dots). */
static enum status want_name(struct ps *ps, const char *what, const char **p, uint32_t *n)
{
    if (ps->t.kind != T_ID || memchr(ps->t.p, '.', ps->t.n))
        return expected(ps, what);
    *p = ps->t.p;
    *n = ps->t.n;
    return next(ps);
}

/* --- Skipping what does not change decoding --- */

/* A balanced {...} block starting at the current '{'. */
static enum status skip_block(struct ps *ps)
{
    uint32_t l = ps->t.line, co = ps->t.col;
    unsigned level = 0;

    do {
        if (ps->t.kind == T_END)
            return perr_at(ps, ST_PARSE, l, co, "'{' is never closed");
        if (is_sym(ps, '{'))
            level++;
        else if (is_sym(ps, '}'))
            level--;
        if (next(ps) != ST_OK)
            return ps->e->status;
    } while (level);
    return ST_OK;
}

/* Up to and including the next ';' at this level (reserved, extensions, option values). */
static enum status skip_statement(struct ps *ps)
{
    while (!is_sym(ps, ';')) {
        if (ps->t.kind == T_END || is_sym(ps, '}'))
            return expected(ps, "';'");
        if (is_sym(ps, '{')) {
            if (skip_block(ps) != ST_OK)
                return ps->e->status;
            continue;
        }
        if (next(ps) != ST_OK)
            return ps->e->status;
    }
    return next(ps);
}

/* An option name: ident, (ext.name), followed by .part ... */
static enum status option_name(struct ps *ps, const char **p, uint32_t *n)
{
    *p = NULL;
    *n = 0;
    if (is_sym(ps, '(')) {
        if (next(ps) != ST_OK)
            return ps->e->status;
        if (ps->t.kind != T_ID)
            return expected(ps, "an option name");
        if (next(ps) != ST_OK || want_sym(ps, ')') != ST_OK)
            return ps->e->status;
        while (ps->t.kind == T_ID && ps->t.p[0] == '.')   /* (ext).sub */
            if (next(ps) != ST_OK)
                return ps->e->status;
        return ST_OK;
    }
    if (ps->t.kind != T_ID)
        return expected(ps, "an option name");
    *p = ps->t.p;
    *n = ps->t.n;
    return next(ps);
}

/* An option value: a constant (optionally signed) or an aggregate {...}. */
static enum status option_value(struct ps *ps)
{
    if (is_sym(ps, '{'))
        return skip_block(ps);
    if (is_sym(ps, '-') || is_sym(ps, '+'))
        if (next(ps) != ST_OK)
            return ps->e->status;
    if (ps->t.kind != T_ID && ps->t.kind != T_NUM && ps->t.kind != T_STR)
        return expected(ps, "an option value");
    return next(ps);
}

/* --- Building --- */

static char *arena_cat(struct ps *ps, const char *a, uint32_t an, const char *b, uint32_t bn, uint32_t *out_n)
{
    size_t n = (size_t)an + (an && bn ? 1 : 0) + bn;
    char *s = conv__arena_alloc(&ps->s->arena, n + 1);

    if (!s)
        return NULL;
    if (an)
        memcpy(s, a, an);
    if (an && bn)
        s[an] = '.';
    if (bn)
        memcpy(s + n - bn, b, bn);
    s[n] = '\0';
    *out_n = (uint32_t)n;
    return s;
}

static enum status count_item(struct ps *ps)
{
    struct conv__pbsc *s = ps->s;
    if ((uint64_t)s->nmsgs + s->nenums + s->nfields + s->nvals + s->noneofs >= CONV__PB_MAX_ITEMS)
        return PERR(ps, "schema has more than %d messages, enums, fields and values", CONV__PB_MAX_ITEMS);
    return ST_OK;
}

static enum status parse_enum(struct ps *ps, const char *scope, uint32_t scope_n);
static enum status parse_message(struct ps *ps, uint32_t parent, const char *scope, uint32_t scope_n);

/* [name = value, ...] after a field; records default and ignores the rest (packed, json_name,
 * deprecated, custom options). */
static enum status field_options(struct ps *ps, struct conv__pbfield *f)
{
    if (!is_sym(ps, '['))
        return ST_OK;
    if (next(ps) != ST_OK)
        return ps->e->status;
    for (;;) {
        const char *on;
        uint32_t onn;
        uint32_t l = ps->t.line, co = ps->t.col;
        if (option_name(ps, &on, &onn) != ST_OK || want_sym(ps, '=') != ST_OK)
            return ps->e->status;
        if (on && str_eq(on, onn, "default")) {
            if (!f)
                return perr_at(ps, ST_PARSE, l, co, "a default is not allowed here");
            if (ps->proto3)
                return perr_at(ps, ST_PARSE, l, co, "explicit default values are not allowed in proto3");
            f->has_default = true;
            f->dline = ps->t.line;
            f->dcol = ps->t.col;
            f->dneg = is_sym(ps, '-');
            if (f->dneg && next(ps) != ST_OK)
                return ps->e->status;
            if (ps->t.kind != T_ID && ps->t.kind != T_NUM && ps->t.kind != T_STR)
                return expected(ps, "a default value");
            f->dstr = ps->t.kind == T_STR;
            f->dtxt = ps->t.p;
            f->dtxt_n = ps->t.n;
            if (next(ps) != ST_OK)
                return ps->e->status;
        } else if (option_value(ps) != ST_OK) {
            return ps->e->status;
        }
        if (is_sym(ps, ']'))
            break;
        if (want_sym(ps, ',') != ST_OK)
            return ps->e->status;
    }
    return next(ps);
}

static enum status field_number(struct ps *ps, uint32_t *out)
{
    uint64_t v;

    if (ps->t.kind != T_NUM)
        return expected(ps, "a field number");
    if (!int_literal(ps->t.p, ps->t.n, &v) || v < 1 || v > CONV__PB_MAX_FIELD)
        return PERR(ps, "field number '%.*s' is not in 1..%u", (int)MIN(ps->t.n, 40), ps->t.p, CONV__PB_MAX_FIELD);
    if (v >= 19000 && v <= 19999)
        return PERR(ps, "field number %" PRIu64 " is reserved for the protobuf implementation", v);
    *out = (uint32_t)v;
    return next(ps);
}

static uint8_t scalar_type(const char *p, uint32_t n)
{
    for (size_t i = 0; i < ARRAY_LEN(scalars); i++)
        if (str_eq(p, n, scalars[i].name))
            return scalars[i].type;
    return 0;
}

static enum status new_field(struct ps *ps, uint32_t owner, struct conv__pbfield **out)
{
    struct conv__pbsc *s = ps->s;

    if (count_item(ps) != ST_OK)
        return ps->e->status;
    if (!mem_grow(&s->fields, &s->fields_cap, (size_t)s->nfields + 1, sizeof(*s->fields), 16))
        return nomem(ps);
    *out = &s->fields[s->nfields++];
    memset(*out, 0, sizeof(**out));
    (*out)->owner = owner;
    (*out)->oneof = NONE;
    return ST_OK;
}

/* [label] type name = number [options] ; -- the label was read by the caller. A map field
 * starts at 'map'. */
static enum status parse_field(struct ps *ps, uint32_t owner, uint8_t label, uint32_t oneof)
{
    struct conv__pbfield *f = NULL;
    uint32_t tl = ps->t.line, tc = ps->t.col;
    uint8_t ktype = 0;

    if (new_field(ps, owner, &f) != ST_OK)
        return ps->e->status;
    f->label = label;
    f->oneof = oneof;
    f->line = tl;
    f->col = tc;
    if (is_word(ps, "map")) {
        if (next(ps) != ST_OK)
            return ps->e->status;
        if (is_sym(ps, '<')) {   /* else a message type named "map" */
            if (label != PBL_SINGULAR || oneof != NONE)
                return perr_at(ps, ST_PARSE, tl, tc, "map fields cannot have a label or be in a oneof");
            if (next(ps) != ST_OK)
                return ps->e->status;
            ktype = ps->t.kind == T_ID ? scalar_type(ps->t.p, ps->t.n) : 0;
            if (!ktype || ktype == PB_DOUBLE || ktype == PB_FLOAT || ktype == PB_BYTES)
                return expected(ps, "a map key type (an integer type, bool or string)");
            if (next(ps) != ST_OK || want_sym(ps, ',') != ST_OK)
                return ps->e->status;
            tl = ps->t.line;
            tc = ps->t.col;
            f = &ps->s->fields[ps->s->nfields - 1];
            f->ktype = ktype;
            f->label = PBL_REPEATED;
            ps->s->msgs[owner].has_map = true;
        } else {
            f->tname = "map";
            f->tname_n = 3;
        }
    }
    if (!f->tname) {
        if (ps->t.kind != T_ID)
            return expected(ps, "a field type");
        if (is_word(ps, "group"))
            return perr_at(ps, ST_UNSUPPORTED, ps->t.line, ps->t.col, "groups are not supported");
        f->type = scalar_type(ps->t.p, ps->t.n);
        if (!f->type) {
            f->tname = ps->t.p;
            f->tname_n = ps->t.n;
            f->line = ps->t.line;
            f->col = ps->t.col;
        }
        if (next(ps) != ST_OK)
            return ps->e->status;
    }
    if (ktype && want_sym(ps, '>') != ST_OK)
        return ps->e->status;
    f = &ps->s->fields[ps->s->nfields - 1];
    if (want_name(ps, "a field name", &f->name, &f->name_n) != ST_OK ||
        want_sym(ps, '=') != ST_OK || field_number(ps, &f->number) != ST_OK ||
        field_options(ps, f) != ST_OK)
        return ps->e->status;
    if (f->has_default && (label == PBL_REPEATED || ktype))
        return perr_at(ps, ST_PARSE, f->dline, f->dcol, "repeated fields cannot have a default");
    return want_sym(ps, ';');
}

static enum status parse_oneof(struct ps *ps, uint32_t owner)
{
    struct conv__pbsc *s = ps->s;
    struct conv__pbmsg *m = &s->msgs[owner];
    struct conv__pboneof *o;
    const char *name = NULL;
    uint32_t name_n = 0, idx, nfields = 0;
    char suffix[16];

    if (want_name(ps, "a oneof name", &name, &name_n) != ST_OK)
        return ps->e->status;
    if (count_item(ps) != ST_OK)
        return ps->e->status;
    if (!mem_grow(&s->oneofs, &s->oneofs_cap, (size_t)s->noneofs + 1, sizeof(*s->oneofs), 8))
        return nomem(ps);
    idx = s->noneofs++;
    o = &s->oneofs[idx];
    if (m->noneofs == 0)
        m->ofirst = idx;
    snprintf(suffix, sizeof(suffix), "%" PRIu32, m->noneofs);
    m->noneofs++;
    o->name = name;
    o->name_n = name_n;
    /* "<name>_<index>": two parts joined with '_' instead of arena_cat's '.' */
    if (!(o->iname = arena_cat(ps, name, name_n, suffix, (uint32_t)strlen(suffix), &o->iname_n)))
        return nomem(ps);
    ((char *)o->iname)[name_n] = '_';
    if (want_sym(ps, '{') != ST_OK)
        return ps->e->status;
    while (!is_sym(ps, '}')) {
        if (is_word(ps, "option")) {
            if (next(ps) != ST_OK)
                return ps->e->status;
            if (skip_statement(ps) != ST_OK)
                return ps->e->status;
        } else if (is_sym(ps, ';')) {
            if (next(ps) != ST_OK)
                return ps->e->status;
        } else {
            if (ps->t.kind == T_END)
                return expected(ps, "'}'");
            if (parse_field(ps, owner, PBL_SINGULAR, idx) != ST_OK)
                return ps->e->status;
            nfields++;
        }
    }
    if (nfields == 0)
        return PERR(ps, "oneof %.*s has no fields", (int)MIN(name_n, 80), name);
    return next(ps);
}

static enum status parse_message(struct ps *ps, uint32_t parent, const char *scope, uint32_t scope_n)
{
    struct conv__pbsc *s = ps->s;
    const char *name = NULL, *full;
    uint32_t name_n = 0, full_n, mi;

    if (ps->depth >= CONV__PB_MAX_NEST)
        return PERR(ps, "messages nested deeper than %d", CONV__PB_MAX_NEST);
    if (want_name(ps, "a message name", &name, &name_n) != ST_OK)
        return ps->e->status;
    if (count_item(ps) != ST_OK)
        return ps->e->status;
    if (!(full = arena_cat(ps, scope, scope_n, name, name_n, &full_n)))
        return nomem(ps);
    if (!mem_grow(&s->msgs, &s->msgs_cap, (size_t)s->nmsgs + 1, sizeof(*s->msgs), 8))
        return nomem(ps);
    mi = s->nmsgs++;
    memset(&s->msgs[mi], 0, sizeof(s->msgs[mi]));
    s->msgs[mi].name = full;
    s->msgs[mi].name_n = full_n;
    s->msgs[mi].parent = parent;
    s->msgs[mi].proto3 = ps->proto3;
    if (want_sym(ps, '{') != ST_OK)
        return ps->e->status;
    ps->depth++;
    while (!is_sym(ps, '}')) {
        enum status st = ST_OK;
        if (ps->t.kind == T_END)
            return expected(ps, "'}'");
        if (is_sym(ps, ';')) {
            st = next(ps);
        } else if (is_word(ps, "message")) {
            if ((st = next(ps)) == ST_OK)
                st = parse_message(ps, mi, full, full_n);
        } else if (is_word(ps, "enum")) {
            if ((st = next(ps)) == ST_OK)
                st = parse_enum(ps, full, full_n);
        } else if (is_word(ps, "oneof")) {
            if ((st = next(ps)) == ST_OK)
                st = parse_oneof(ps, mi);
        } else if (is_word(ps, "option") || is_word(ps, "reserved") || is_word(ps, "extensions")) {
            if ((st = next(ps)) == ST_OK)
                st = skip_statement(ps);
        } else if (is_word(ps, "extend")) {   /* extension fields are unknown fields to a reader */
            if ((st = next(ps)) == ST_OK && (st = next(ps)) == ST_OK)
                st = is_sym(ps, '{') ? skip_block(ps) : expected(ps, "'{'");
        } else if (is_word(ps, "optional") || is_word(ps, "required") || is_word(ps, "repeated")) {
            uint8_t label = is_word(ps, "repeated") ? PBL_REPEATED
                            : is_word(ps, "required") ? PBL_REQUIRED
                            : ps->proto3 ? PBL_OPTIONAL : PBL_SINGULAR;
            if (label == PBL_REQUIRED && ps->proto3)
                return PERR(ps, "required fields are not allowed in proto3");
            if ((st = next(ps)) == ST_OK)
                st = parse_field(ps, mi, label, NONE);
        } else {
            st = parse_field(ps, mi, PBL_SINGULAR, NONE);
        }
        if (st != ST_OK)
            return st;
    }
    ps->depth--;
    return next(ps);
}

static enum status parse_enum(struct ps *ps, const char *scope, uint32_t scope_n)
{
    struct conv__pbsc *s = ps->s;
    const char *name = NULL, *full;
    uint32_t name_n = 0, full_n, ei;
    uint32_t l = ps->t.line, co = ps->t.col;

    if (want_name(ps, "an enum name", &name, &name_n) != ST_OK)
        return ps->e->status;
    if (count_item(ps) != ST_OK)
        return ps->e->status;
    if (!(full = arena_cat(ps, scope, scope_n, name, name_n, &full_n)))
        return nomem(ps);
    if (!mem_grow(&s->enums, &s->enums_cap, (size_t)s->nenums + 1, sizeof(*s->enums), 8))
        return nomem(ps);
    ei = s->nenums++;
    s->enums[ei] = (struct conv__pbenum){full, full_n, s->nvals, 0};
    if (want_sym(ps, '{') != ST_OK)
        return ps->e->status;
    while (!is_sym(ps, '}')) {
        struct conv__pbval *v;
        bool neg;
        int64_t num;
        uint64_t unum;
        enum status st;
        if (ps->t.kind == T_END)
            return expected(ps, "'}'");
        if (is_sym(ps, ';')) {
            if (next(ps) != ST_OK)
                return ps->e->status;
            continue;
        }
        if (is_word(ps, "option") || is_word(ps, "reserved")) {
            if ((st = next(ps)) != ST_OK || (st = skip_statement(ps)) != ST_OK)
                return st;
            continue;
        }
        if (count_item(ps) != ST_OK)
            return ps->e->status;
        if (!mem_grow(&s->vals, &s->vals_cap, (size_t)s->nvals + 1, sizeof(*s->vals), 16))
            return nomem(ps);
        v = &s->vals[s->nvals];
        if (want_name(ps, "an enum value name", &v->name, &v->name_n) != ST_OK || want_sym(ps, '=') != ST_OK)
            return ps->e->status;
        neg = is_sym(ps, '-');
        if (neg && next(ps) != ST_OK)
            return ps->e->status;
        if (ps->t.kind != T_NUM)
            return expected(ps, "an enum value number");
        if (!int_literal(ps->t.p, ps->t.n, &unum) || unum > (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX))
            return PERR(ps, "enum value '%.*s' is not a 32-bit integer", (int)MIN(ps->t.n, 40), ps->t.p);
        num = neg ? -(int64_t)unum : (int64_t)unum;
        v->number = (int32_t)num;
        s->nvals++;
        s->enums[ei].n++;
        if (next(ps) != ST_OK || field_options(ps, NULL) != ST_OK || want_sym(ps, ';') != ST_OK)
            return ps->e->status;
    }
    if (s->enums[ei].n == 0)
        return perr_at(ps, ST_PARSE, l, co, "enum %.*s has no values", (int)MIN(name_n, 80), name);
    if (ps->proto3 && s->vals[s->enums[ei].first].number != 0)
        return perr_at(ps, ST_PARSE, l, co, "the first value of proto3 enum %.*s must be 0", (int)MIN(name_n, 80),
                       name);
    return next(ps);
}

static enum status parse_file(struct ps *ps, const char *text, size_t n)
{
    ps->p = text;
    ps->end = text + n;
    ps->line = ps->col = 1;
    ps->proto3 = false;
    ps->pkg = "";
    ps->pkg_n = 0;
    if (next(ps) != ST_OK)
        return ps->e->status;
    if (is_word(ps, "edition"))
        return perr_at(ps, ST_UNSUPPORTED, ps->t.line, ps->t.col, "protobuf editions are not supported");
    if (is_word(ps, "syntax")) {
        if (next(ps) != ST_OK || want_sym(ps, '=') != ST_OK)
            return ps->e->status;
        if (ps->t.kind != T_STR || (!str_eq(ps->t.p, ps->t.n, "proto2") && !str_eq(ps->t.p, ps->t.n, "proto3")))
            return expected(ps, "\"proto2\" or \"proto3\"");
        ps->proto3 = str_eq(ps->t.p, ps->t.n, "proto3");
        if (next(ps) != ST_OK || want_sym(ps, ';') != ST_OK)
            return ps->e->status;
    }
    while (ps->t.kind != T_END) {
        enum status st = ST_OK;
        if (is_sym(ps, ';')) {
            st = next(ps);
        } else if (is_word(ps, "package")) {
            if ((st = next(ps)) != ST_OK)
                return st;
            if (ps->t.kind != T_ID || ps->t.p[0] == '.')
                return expected(ps, "a package name");
            if (ps->pkg_n)
                return PERR(ps, "a second package statement");
            ps->pkg = ps->t.p;
            ps->pkg_n = ps->t.n;
            if ((st = next(ps)) == ST_OK)
                st = want_sym(ps, ';');
        } else if (is_word(ps, "import")) {
            if ((st = next(ps)) != ST_OK)
                return st;
            if ((is_word(ps, "public") || is_word(ps, "weak")) && (st = next(ps)) != ST_OK)
                return st;
            if (ps->t.kind != T_STR)
                return expected(ps, "an import path");
            if (str_eq(ps->t.p, ps->t.n, "google/protobuf/timestamp.proto"))
                ps->want_ts = true;
            else if (str_eq(ps->t.p, ps->t.n, "google/protobuf/wrappers.proto"))
                ps->want_wrappers = true;
            else
                return perr_at(ps, ST_UNSUPPORTED, ps->t.line, ps->t.col,
                               "import \"%.*s\" is not supported (built in: google/protobuf/timestamp.proto, "
                               "google/protobuf/wrappers.proto)", (int)MIN(ps->t.n, 120), ps->t.p);
            if ((st = next(ps)) == ST_OK)
                st = want_sym(ps, ';');
        } else if (is_word(ps, "option")) {
            if ((st = next(ps)) == ST_OK)
                st = skip_statement(ps);
        } else if (is_word(ps, "message")) {
            if ((st = next(ps)) == ST_OK)
                st = parse_message(ps, ps->parent_top, ps->pkg, ps->pkg_n);
        } else if (is_word(ps, "enum")) {
            if ((st = next(ps)) == ST_OK)
                st = parse_enum(ps, ps->pkg, ps->pkg_n);
        } else if (is_word(ps, "service") || is_word(ps, "extend")) {
            if ((st = next(ps)) == ST_OK && (st = next(ps)) == ST_OK)
                st = is_sym(ps, '{') ? skip_block(ps) : expected(ps, "'{'");
        } else {
            return expected(ps, "'message', 'enum', 'import', 'package', 'option', 'service' or 'extend'");
        }
        if (st != ST_OK)
            return st;
    }
    /* package prefixes resolve names too ("pkg.sub.Msg" from inside "pkg") */
    return ST_OK;
}

/* --- Names --- */

static uint32_t hash_name(const char *p, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

static struct hent *hfind(struct ps *ps, const char *p, uint32_t n)
{
    uint32_t i = hash_name(p, n) & (ps->hcap - 1);

    while (ps->h[i].name && !(ps->h[i].n == n && memcmp(ps->h[i].name, p, n) == 0))
        i = (i + 1) & (ps->hcap - 1);
    return &ps->h[i];
}

static enum status hadd(struct ps *ps, const char *p, uint32_t n, uint8_t kind, uint32_t idx, uint32_t line)
{
    struct hent *h = hfind(ps, p, n);

    if (h->name) {
        if (kind == 3 && h->kind == 3)
            return ST_OK;
        return line ? err_set(ps->e, ST_PARSE, "line %" PRIu32 ": '%.*s' is defined twice", line, (int)MIN(n, 120), p)
                    : err_set(ps->e, ST_PARSE, "'%.*s' is defined twice", (int)MIN(n, 120), p);
    }
    *h = (struct hent){p, n, kind, idx};
    return ST_OK;
}

static enum status add_package(struct ps *ps, const char *pkg, uint32_t n)
{
    for (uint32_t i = 1; i <= n; i++)
        if (i == n || pkg[i] == '.')
            if (hadd(ps, pkg, i, 3, 0, 0) != ST_OK)
                return ps->e->status;
    return ST_OK;
}

static enum status build_names(struct ps *ps, const char *const pkgs[], const uint32_t pkg_n[], size_t npkgs)
{
    struct conv__pbsc *s = ps->s;
    uint32_t need = (s->nmsgs + s->nenums) * 2 + 64, cap = 64;

    while (cap < need)
        cap *= 2;
    if (!(ps->h = mem_calloc(cap, sizeof(*ps->h))))
        return nomem(ps);
    ps->hcap = cap;
    for (size_t i = 0; i < npkgs; i++)
        if (add_package(ps, pkgs[i], pkg_n[i]) != ST_OK)
            return ps->e->status;
    for (uint32_t i = 0; i < s->nmsgs; i++)
        if (hadd(ps, s->msgs[i].name, s->msgs[i].name_n, 1, i, 0) != ST_OK)
            return ps->e->status;
    for (uint32_t i = 0; i < s->nenums; i++)
        if (hadd(ps, s->enums[i].name, s->enums[i].name_n, 2, i, 0) != ST_OK)
            return ps->e->status;
    return ST_OK;
}

/* Resolve field @f's type name the way protoc does: absolute with a leading dot; otherwise the
 * first component is looked up from the innermost scope outwards and the first scope that
 * defines it decides (the rest must then exist under it). */
static enum status resolve(struct ps *ps, struct conv__pbfield *f)
{
    const struct conv__pbmsg *owner = &ps->s->msgs[f->owner];
    const char *t = f->tname, *dot;
    uint32_t tn = f->tname_n, first_n;
    const struct hent *h = NULL;

    if (t[0] == '.') {
        h = hfind(ps, t + 1, tn - 1);
        if (!h->name || h->kind == 3)
            h = NULL;
    } else {
        dot = memchr(t, '.', tn);
        first_n = dot ? (uint32_t)(dot - t) : tn;
        for (uint32_t sn = owner->name_n;;) {
            /* scope = owner->name[0..sn) */
            buf_reset(&ps->tmp);
            if ((sn && (buf_append(&ps->tmp, owner->name, sn) != ST_OK || buf_put_u8(&ps->tmp, '.') != ST_OK)) ||
                buf_append(&ps->tmp, t, first_n) != ST_OK)
                return nomem(ps);
            if (hfind(ps, (const char *)ps->tmp.p, (uint32_t)ps->tmp.len)->name) {
                if (buf_append(&ps->tmp, t + first_n, tn - first_n) != ST_OK)
                    return nomem(ps);
                h = hfind(ps, (const char *)ps->tmp.p, (uint32_t)ps->tmp.len);
                if (!h->name || h->kind == 3)
                    return perr_at(ps, ST_PARSE, f->line, f->col, "type '%.*s': '%.*s' is not a message or enum",
                                   (int)MIN(tn, 120), t, (int)MIN(ps->tmp.len, 120), (const char *)ps->tmp.p);
                break;
            }
            if (sn == 0)
                break;
            while (sn && owner->name[sn - 1] != '.')
                sn--;
            if (sn)
                sn--;
        }
    }
    if (!h || !h->name)
        return perr_at(ps, ST_PARSE, f->line, f->col, "unknown type '%.*s'", (int)MIN(tn, 120), t);
    f->type = h->kind == 1 ? PB_MESSAGE : PB_ENUM;
    f->ref = h->idx;
    return ST_OK;
}

/* The proto2 default's text -> the field's typed default. */
static enum status compile_default(struct ps *ps, struct conv__pbfield *f)
{
    const char *t = f->dtxt;
    uint32_t n = f->dtxt_n;
    int64_t i;
    uint64_t u;
    double d;

    if (f->type == PB_MESSAGE)
        return perr_at(ps, ST_PARSE, f->dline, f->dcol, "message fields cannot have a default");
    if (f->type == PB_STRING || f->type == PB_BYTES) {
        if (!f->dstr || f->dneg)
            return perr_at(ps, ST_PARSE, f->dline, f->dcol, "the default of a %s field must be a string",
                           conv__pb_type_name(f->type));
        f->def.s.p = t;
        f->def.s.n = n;
        return ST_OK;
    }
    if (f->dstr)
        return perr_at(ps, ST_PARSE, f->dline, f->dcol, "the default of a %s field cannot be a string",
                       conv__pb_type_name(f->type));
    switch (f->type) {
    case PB_ENUM: {
        const struct conv__pbenum *en = &ps->s->enums[f->ref];
        for (uint32_t k = en->first; k < en->first + en->n; k++)
            if (!f->dneg && ps->s->vals[k].name_n == n && memcmp(ps->s->vals[k].name, t, n) == 0) {
                f->def.i = k;
                return ST_OK;
            }
        return perr_at(ps, ST_PARSE, f->dline, f->dcol, "'%.*s' is not a value of enum %.*s", (int)MIN(n, 80), t,
                       (int)MIN(en->name_n, 120), en->name);
    }
    case PB_BOOL:
        if (!f->dneg && (str_eq(t, n, "true") || str_eq(t, n, "false"))) {
            f->def.i = str_eq(t, n, "true");
            return ST_OK;
        }
        break;
    case PB_FLOAT:
    case PB_DOUBLE:
        if (str_eq(t, n, "inf") || str_eq(t, n, "nan")) {
            d = t[0] == 'i' ? INFINITY : NAN;
        } else if (!str_to_double(t, n, &d)) {
            if (!str_to_u64(t, n, &u))
                break;
            d = (double)u;
        }
        f->def.d = f->type == PB_FLOAT ? (double)(float)(f->dneg ? -d : d) : (f->dneg ? -d : d);
        return ST_OK;
    default: {   /* integers: decimal, hex or octal */
        bool is_signed = f->type == PB_INT32 || f->type == PB_INT64 || f->type == PB_SINT32 ||
                         f->type == PB_SINT64 || f->type == PB_SFIXED32 || f->type == PB_SFIXED64;
        bool is64 = f->type == PB_INT64 || f->type == PB_SINT64 || f->type == PB_SFIXED64 ||
                    f->type == PB_UINT64 || f->type == PB_FIXED64;
        if (!int_literal(t, n, &u))
            break;
        if (f->dneg) {
            if (!is_signed || u > (is64 ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT32_MAX + 1))
                break;
            i = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
        } else {
            if (u > (is64 ? (is_signed ? (uint64_t)INT64_MAX : UINT64_MAX)
                          : (is_signed ? (uint64_t)INT32_MAX : UINT32_MAX)))
                break;
            i = (int64_t)u;   /* uint64 above INT64_MAX: the same bits, as Java's long */
        }
        f->def.i = i;
        return ST_OK;
    }
    }
    return perr_at(ps, ST_PARSE, f->dline, f->dcol, "invalid default %s%.*s for a %s field", f->dneg ? "-" : "",
                   (int)MIN(n, 60), t, conv__pb_type_name(f->type));
}

/* Group fields by message (declaration order kept), nested messages by parent; sort each
 * message's field numbers; check duplicates and map value types. */
static enum status layout(struct ps *ps)
{
    struct conv__pbsc *s = ps->s;
    struct conv__pbfield *nf = NULL;
    uint32_t *pos = NULL, ntop = 0, k;
    enum status st = ST_OK;

    if (!(pos = mem_calloc((size_t)s->nmsgs + 2, sizeof(*pos))) ||
        (s->nfields && !(nf = mem_malloc((size_t)s->nfields * sizeof(*nf)))) ||
        !(s->bynum = mem_malloc(((size_t)s->nfields + 1) * sizeof(*s->bynum))) ||
        !(s->kids = mem_malloc(((size_t)s->nmsgs + 1) * sizeof(*s->kids)))) {
        st = nomem(ps);
        goto out;
    }
    /* fields: counting sort by owner */
    for (uint32_t i = 0; i < s->nfields; i++)
        s->msgs[s->fields[i].owner].n++;
    for (uint32_t i = 0, acc = 0; i < s->nmsgs; i++) {
        s->msgs[i].first = acc;
        pos[i] = acc;
        acc += s->msgs[i].n;
    }
    for (uint32_t i = 0; i < s->nfields; i++)
        nf[pos[s->fields[i].owner]++] = s->fields[i];
    if (s->nfields)
        memcpy(s->fields, nf, (size_t)s->nfields * sizeof(*nf));
    /* by number: insertion sort per message (messages are small; schemas compile once) */
    for (uint32_t m = 0; m < s->nmsgs; m++) {
        const struct conv__pbmsg *msg = &s->msgs[m];
        uint32_t *b = s->bynum + msg->first;
        for (uint32_t i = 0; i < msg->n; i++) {
            uint32_t fi = msg->first + i, j = i;
            const struct conv__pbfield *f = &s->fields[fi];
            for (uint32_t o = msg->first; o < fi; o++)
                if (s->fields[o].name_n == f->name_n && memcmp(s->fields[o].name, f->name, f->name_n) == 0) {
                    st = perr_at(ps, ST_PARSE, f->line, f->col, "field '%.*s' is defined twice in %.*s",
                                 (int)MIN(f->name_n, 80), f->name, (int)MIN(msg->name_n, 120), msg->name);
                    goto out;
                }
            while (j > 0 && s->fields[b[j - 1]].number > f->number) {
                b[j] = b[j - 1];
                j--;
            }
            if (j > 0 && s->fields[b[j - 1]].number == f->number) {
                st = perr_at(ps, ST_PARSE, f->line, f->col, "field number %" PRIu32 " is used twice in %.*s",
                             f->number, (int)MIN(msg->name_n, 120), msg->name);
                goto out;
            }
            b[j] = fi;
        }
    }
    /* a oneof's Struct field must not clash with a field's name (either spelling) */
    for (uint32_t m = 0; m < s->nmsgs; m++) {
        const struct conv__pbmsg *msg = &s->msgs[m];
        for (uint32_t o = msg->ofirst; o < msg->ofirst + msg->noneofs; o++)
            for (uint32_t i = msg->first; i < msg->first + msg->n; i++) {
                const struct conv__pbfield *f = &s->fields[i];
                const struct conv__pboneof *on = &s->oneofs[o];
                if ((f->name_n == on->name_n && memcmp(f->name, on->name, f->name_n) == 0) ||
                    (f->name_n == on->iname_n && memcmp(f->name, on->iname, f->name_n) == 0)) {
                    st = perr_at(ps, ST_PARSE, f->line, f->col, "field '%.*s' clashes with oneof '%.*s' in %.*s",
                                 (int)MIN(f->name_n, 80), f->name, (int)MIN(on->name_n, 80), on->name,
                                 (int)MIN(msg->name_n, 120), msg->name);
                    goto out;
                }
            }
    }
    /* kids: the file's top-level messages first, then each message's nested ones, each group
     * in declaration order (a counting sort by parent; built-in files' messages are nobody's) */
    memset(pos, 0, ((size_t)s->nmsgs + 2) * sizeof(*pos));
    for (uint32_t i = 0; i < s->nmsgs; i++)
        if (s->msgs[i].parent == NONE)
            ntop++;
        else if (s->msgs[i].parent != BUILTIN)
            s->msgs[s->msgs[i].parent].nkids++;
    s->ntop = ntop;
    k = ntop;
    for (uint32_t m = 0; m < s->nmsgs; m++) {
        s->msgs[m].kfirst = k;
        pos[m] = k;
        k += s->msgs[m].nkids;
    }
    ntop = 0;
    for (uint32_t i = 0; i < s->nmsgs; i++)
        if (s->msgs[i].parent == NONE)
            s->kids[ntop++] = i;
        else if (s->msgs[i].parent != BUILTIN)
            s->kids[pos[s->msgs[i].parent]++] = i;
out:
    mem_free(pos);
    mem_free(nf);
    return st;
}

void conv__pbsc_free(struct conv__pbsc *s)
{
    if (!s)
        return;
    conv__arena_free(&s->arena);
    mem_free(s->msgs);
    mem_free(s->fields);
    mem_free(s->bynum);
    mem_free(s->kids);
    mem_free(s->oneofs);
    mem_free(s->enums);
    mem_free(s->vals);
    mem_free(s);
}

struct conv__pbsc *conv__pbsc_parse(const char *text, size_t n, struct err *e)
{
    struct ps ps = {0};
    struct conv__pbsc *s = mem_calloc(1, sizeof(*s));
    char *copy = NULL;
    const char *pkgs[3];
    uint32_t pkg_n[3];
    size_t npkgs = 0;
    struct err none;

    if (!e)
        e = &none;   /* the parser reads ps->e->status after a failed step */
    ps.e = e;
    ps.s = s;
    if (!s || !(copy = conv__arena_alloc(&s->arena, n + 1))) {
        nomem(&ps);
        goto fail;
    }
    if (n)
        memcpy(copy, text, n);
    copy[n] = '\0';
    ps.parent_top = NONE;
    if (parse_file(&ps, copy, n) != ST_OK)
        goto fail;
    pkgs[npkgs] = ps.pkg;
    pkg_n[npkgs++] = ps.pkg_n;
    if (s->nmsgs == 0 || s->msgs[0].parent != NONE) {
        err_set(e, ST_PARSE, "the schema defines no message");
        goto fail;
    }
    ps.parent_top = BUILTIN;
    if (ps.want_ts) {
        if (parse_file(&ps, builtin_timestamp, sizeof(builtin_timestamp) - 1) != ST_OK)
            goto fail;
        s->msgs[s->nmsgs - 1].wkt = PBW_TIMESTAMP;
        pkgs[npkgs] = ps.pkg;
        pkg_n[npkgs++] = ps.pkg_n;
    }
    if (ps.want_wrappers) {
        uint32_t from = s->nmsgs;
        if (parse_file(&ps, builtin_wrappers, sizeof(builtin_wrappers) - 1) != ST_OK)
            goto fail;
        for (uint32_t i = from; i < s->nmsgs; i++)
            s->msgs[i].wkt = PBW_WRAPPER;
        pkgs[npkgs] = ps.pkg;
        pkg_n[npkgs++] = ps.pkg_n;
    }
    if (build_names(&ps, pkgs, pkg_n, npkgs) != ST_OK)
        goto fail;
    for (uint32_t i = 0; i < s->nfields; i++) {
        struct conv__pbfield *f = &s->fields[i];
        if (f->tname && resolve(&ps, f) != ST_OK)
            goto fail;
        if (f->has_default && compile_default(&ps, f) != ST_OK)
            goto fail;
    }
    if (layout(&ps) != ST_OK)
        goto fail;
    mem_free(ps.h);
    buf_free(&ps.tmp);
    return s;
fail:
    mem_free(ps.h);
    buf_free(&ps.tmp);
    conv__pbsc_free(s);
    return NULL;
}
