/* src/convert/avro.c: io.confluent.connect.avro.AvroConverter: Confluent Schema Registry framing
 * (magic 0x00, 4-byte big-endian schema id, Avro binary), a schema cache filled over HTTP
 * (GET /schemas/ids/{id}, pluggable), and the Avro binary decoder.
 * Values: null, boolean, int/long (zigzag varints, overflow checked), float (widened), double,
 * bytes, string (ill-formed UTF-8 -> U+FFFD like Java), record -> MAP keyed by field name,
 * enum -> STRING symbol, array -> LIST, map -> MAP, union -> the chosen branch, fixed -> BYTES;
 * logical types decimal -> decimal STRING, date/time/timestamp -> INT (unit unchanged),
 * uuid -> STRING. The whole record must be consumed. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "convert/avro_int.h"

/* --- Binary decoder --- */

struct avd {
    const struct conv__avsc *s;
    const uint8_t *start, *p, *end;
    size_t base;            /* offset of start in the Kafka record (the header) */
    struct conv_doc *out;
    struct err *e;
    const char *prefix;     /* "Avro: schema id 42" */
    unsigned depth;
    uint32_t np;
    struct conv__seg path[CONV__MAX_DEPTH_CAP * 2 + 8];
};

static enum status aerr(struct avd *a, enum status st, const char *fmt, ...) PRINTF_LIKE(3, 4);
static enum status aerr(struct avd *a, enum status st, const char *fmt, ...)
{
    char path[200], msg[260];
    va_list ap;

    conv__path_text(a->path, a->np, ARRAY_LEN(a->path), 0, path, sizeof(path));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(a->e, st, "%s: %s%s%s (at byte %zu)", a->prefix, path, path[0] ? ": " : "", msg,
                   a->base + (size_t)(a->p - a->start));
}

static void push_name(struct avd *a, const char *name, uint32_t n)
{
    conv__path_push(a->path, ARRAY_LEN(a->path), &a->np, name, n, 0, false);
}

static void push_index(struct avd *a, uint64_t i)
{
    conv__path_push(a->path, ARRAY_LEN(a->path), &a->np, NULL, 0, i, false);
}

static enum status full(struct avd *a)
{
    if (a->out->fail == ST_NOMEM)
        return err_set(a->e, ST_NOMEM, "%s: out of memory", a->prefix);
    return aerr(a, ST_TOO_BIG, "more than %" PRIu32 " values in one record", a->out->lim.max_nodes);
}

static enum status rd_varint(struct avd *a, unsigned max_bytes, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < max_bytes; i++) {
        uint8_t b;
        if (a->p == a->end)
            return aerr(a, ST_PARSE, "truncated input");
        b = *a->p++;
        if (i == max_bytes - 1 && b > (max_bytes == 10 ? 1 : 0x0f)) {
            a->p--;
            return aerr(a, ST_PARSE, "varint overflows %s", max_bytes == 10 ? "long" : "int");
        }
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return ST_OK;
        }
    }
    *out = v;       /* not reached: the last byte has no continuation bit */
    return ST_OK;
}

static enum status rd_long(struct avd *a, int64_t *out)
{
    uint64_t v = 0;
    enum status st = rd_varint(a, 10, &v);
    if (st == ST_OK)
        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return st;
}

static enum status rd_int(struct avd *a, int64_t *out)
{
    uint64_t v = 0;
    enum status st = rd_varint(a, 5, &v);
    if (st == ST_OK)
        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return st;
}

/* Length-prefixed bytes: the length is checked against what is left before use. */
static enum status rd_bytes(struct avd *a, const uint8_t **p, size_t *n)
{
    int64_t len;
    enum status st = rd_long(a, &len);

    if (st != ST_OK)
        return st;
    if (len < 0)
        return aerr(a, ST_PARSE, "negative length %" PRId64, len);
    if ((uint64_t)len > (uint64_t)(a->end - a->p))
        return aerr(a, ST_PARSE, "length %" PRId64 " is past the end of the record (%zu bytes left)", len,
                    (size_t)(a->end - a->p));
    *p = a->p;
    *n = (size_t)len;
    a->p += len;
    return ST_OK;
}

static enum status rd_fixed(struct avd *a, size_t n, const uint8_t **p)
{
    if (n > (size_t)(a->end - a->p))
        return aerr(a, ST_PARSE, "truncated input (%zu bytes wanted, %zu left)", n, (size_t)(a->end - a->p));
    *p = a->p;
    a->p += n;
    return ST_OK;
}

static enum status put_str(struct avd *a, uint8_t type, const char *p, size_t n)
{
    return conv__add_str(a->out, type, p, (uint32_t)n) ? ST_OK : full(a);
}

static enum status put_text(struct avd *a, const uint8_t *p, size_t n)
{
    const char *s;
    uint32_t sn;

    if (conv__utf8_fix(&a->out->arena, p, n, &s, &sn) != ST_OK)
        return err_set(a->e, ST_NOMEM, "%s: out of memory", a->prefix);
    return put_str(a, CONV_STRING, s, sn);
}

static enum status dec(struct avd *a, uint32_t ti);

static enum status dec_blocks(struct avd *a, const struct conv__avnode *nd)
{
    bool map = nd->type == AV_MAP;
    uint32_t idx = a->out->n, count = 0;
    enum status st;
    int64_t blk, bytes;

    if (!conv__add(a->out, map ? CONV_MAP : CONV_LIST))
        return full(a);
    for (;;) {
        if ((st = rd_long(a, &blk)) != ST_OK)
            return st;
        if (blk == 0)
            break;
        if (blk < 0) {   /* a negative count is followed by the block's size in bytes */
            if (blk == INT64_MIN)
                return aerr(a, ST_PARSE, "invalid block count");
            blk = -blk;
            if ((st = rd_long(a, &bytes)) != ST_OK)
                return st;
            if (bytes < 0)
                return aerr(a, ST_PARSE, "negative block size %" PRId64, bytes);
        }
        for (int64_t i = 0; i < blk; i++) {
            const uint8_t *kp;
            size_t kn;
            if (map) {
                if ((st = rd_bytes(a, &kp, &kn)) != ST_OK || (st = put_text(a, kp, kn)) != ST_OK)
                    return st;
                push_name(a, a->out->nodes[a->out->n - 1].s.p, a->out->nodes[a->out->n - 1].s.n);
            } else {
                push_index(a, count);
            }
            if ((st = dec(a, nd->a)) != ST_OK)
                return st;
            a->np--;
            count++;
        }
    }
    if (conv__close(a->out, idx, count) != ST_OK)   /* map keys: the last one wins */
        return full(a);
    return ST_OK;
}

static enum status dec_record(struct avd *a, const struct conv__avnode *nd)
{
    uint32_t idx = a->out->n;
    enum status st;

    if (!conv__add(a->out, CONV_MAP))
        return full(a);
    for (uint32_t f = nd->first; f < nd->first + nd->n; f++) {
        const struct conv__avfield *fd = &a->s->fields[f];
        if ((st = put_str(a, CONV_STRING, fd->name, fd->name_n)) != ST_OK)
            return st;
        push_name(a, fd->name, fd->name_n);
        if ((st = dec(a, fd->type)) != ST_OK)
            return st;
        a->np--;
    }
    a->out->nodes[idx].next = a->out->n;   /* field names are unique */
    a->out->nodes[idx].count = nd->n;
    return ST_OK;
}

static enum status dec_decimal(struct avd *a, const struct conv__avnode *nd)
{
    const uint8_t *p;
    size_t n = nd->size;
    const char *txt;
    uint32_t tn;
    struct err sub;
    enum status st;

    st = nd->type == AV_FIXED ? rd_fixed(a, n, &p) : rd_bytes(a, &p, &n);
    if (st != ST_OK)
        return st;
    if ((st = conv__decimal_from_twos(&a->out->arena, p, n, nd->scale, &txt, &tn, &sub)) != ST_OK)
        return st == ST_NOMEM ? err_set(a->e, st, "%s: out of memory", a->prefix) : aerr(a, st, "%s", sub.msg);
    return put_str(a, CONV_STRING, txt, tn);
}

static enum status dec(struct avd *a, uint32_t ti)
{
    const struct conv__avnode *nd = &a->s->nodes[ti];
    struct conv_value *v;
    const uint8_t *p = NULL;
    size_t n;
    int64_t i = 0;
    uint64_t bits;
    uint32_t b32;
    float f;
    enum status st;

    if (nd->logical == AL_DECIMAL)
        return dec_decimal(a, nd);
    switch (nd->type) {
    case AV_NULL:
        return conv__add(a->out, CONV_NULL) ? ST_OK : full(a);
    case AV_BOOLEAN:
        if ((st = rd_fixed(a, 1, &p)) != ST_OK)
            return st;
        if (*p > 1) {
            a->p--;
            return aerr(a, ST_PARSE, "invalid boolean byte 0x%02x", *p);
        }
        if (!(v = conv__add(a->out, CONV_BOOL)))
            return full(a);
        v->b = *p;
        return ST_OK;
    case AV_INT:
    case AV_LONG:
        if ((st = nd->type == AV_INT ? rd_int(a, &i) : rd_long(a, &i)) != ST_OK)
            return st;
        if (!(v = conv__add(a->out, CONV_INT)))
            return full(a);
        v->i = i;
        return ST_OK;
    case AV_FLOAT:
        if ((st = rd_fixed(a, 4, &p)) != ST_OK)
            return st;
        b32 = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        memcpy(&f, &b32, 4);
        if (!(v = conv__add(a->out, CONV_DOUBLE)))
            return full(a);
        v->d = f;
        return ST_OK;
    case AV_DOUBLE:
        if ((st = rd_fixed(a, 8, &p)) != ST_OK)
            return st;
        bits = 0;
        for (int k = 7; k >= 0; k--)
            bits = bits << 8 | p[k];
        if (!(v = conv__add(a->out, CONV_DOUBLE)))
            return full(a);
        memcpy(&v->d, &bits, 8);
        return ST_OK;
    case AV_BYTES:
        if ((st = rd_bytes(a, &p, &n)) != ST_OK)
            return st;
        return put_str(a, CONV_BYTES, (const char *)p, n);
    case AV_STRING:
        if ((st = rd_bytes(a, &p, &n)) != ST_OK)
            return st;
        return put_text(a, p, n);
    case AV_FIXED:
        if ((st = rd_fixed(a, nd->size, &p)) != ST_OK)
            return st;
        return put_str(a, CONV_BYTES, (const char *)p, nd->size);
    case AV_ENUM:
        if ((st = rd_int(a, &i)) != ST_OK)
            return st;
        if (i < 0 || i >= nd->n)
            return aerr(a, ST_PARSE, "enum %.*s has no symbol %" PRId64, (int)MIN(nd->name_n, 80), nd->name, i);
        return put_str(a, CONV_STRING, a->s->syms[nd->first + i].p, a->s->syms[nd->first + i].n);
    case AV_UNION:
        if ((st = rd_long(a, &i)) != ST_OK)
            return st;
        if (i < 0 || i >= nd->n)
            return aerr(a, ST_PARSE, "union branch %" PRId64 " of %" PRIu32, i, nd->n);
        return dec(a, a->s->refs[nd->first + i]);
    default:   /* record, array, map */
        if (a->depth >= a->out->lim.max_depth)
            return aerr(a, ST_TOO_BIG, "nesting deeper than %u", a->out->lim.max_depth);
        a->depth++;
        st = nd->type == AV_RECORD ? dec_record(a, nd) : dec_blocks(a, nd);
        a->depth--;
        return st;
    }
}

static enum status decode(const struct conv__avsc *s, const uint8_t *p, size_t n, size_t base,
                          const char *prefix, struct conv_doc *out, struct err *e)
{
    struct avd *a;
    struct avd local;
    enum status st;

    a = &local;
    a->s = s;
    a->start = a->p = p;
    a->end = p + n;
    a->base = base;
    a->out = out;
    a->e = e;
    a->prefix = prefix;
    a->depth = 0;
    a->np = 0;
    st = dec(a, s->root);
    if (st == ST_OK && a->p != a->end)
        st = aerr(a, ST_PARSE, "%zu bytes left over after the value (wrong schema?)", (size_t)(a->end - a->p));
    if (st != ST_OK)
        conv_doc_reset(out);
    return st;
}

enum status conv__avro_decode_value(const struct conv__avsc *s, const uint8_t *p, size_t n,
                                    struct conv_doc *out, struct err *e)
{
    conv_doc_reset(out);
    if (n > out->lim.max_input)
        return err_set(e, ST_TOO_BIG, "Avro: record of %zu bytes is over the limit of %zu", n, out->lim.max_input);
    return decode(s, p ? p : (const uint8_t *)"", n, 0, "Avro", out, e);
}

/* --- The converter: Schema Registry framing and cache (schemas.c) around the decoder --- */

static void *compile_avsc(const char *text, size_t n, struct err *e)
{
    return conv__avsc_parse(text, n, e);
}

static void free_avsc(void *s)
{
    conv__avsc_free(s);
}

static const struct conv__registry_format avro_format = {
    .what = "Avro", .klass = "AvroConverter", .schema_type = "AVRO", .compile = compile_avsc, .free = free_avsc,
};

struct conv__avro {
    struct conv__registry *reg;
    char prefix[64];        /* "Avro: schema id N" for prefix_id */
    uint32_t prefix_id;
};

struct conv__avro *conv__avro_new(const char *const *props, struct err *e)
{
    struct conv__avro *av = mem_calloc(1, sizeof(*av));

    if (!av) {
        err_set(e, ST_NOMEM, "AvroConverter");
        return NULL;
    }
    if (!(av->reg = conv__registry_new(&avro_format, props, e))) {
        mem_free(av);
        return NULL;
    }
    return av;
}

void conv__avro_free(struct conv__avro *av)
{
    if (!av)
        return;
    conv__registry_free(av->reg);
    mem_free(av);
}

void conv__avro_set_http(struct conv__avro *av, conv_http_get_fn fn, void *ctx)
{
    conv__registry_set_http(av->reg, fn, ctx);
}

enum status conv__avro_decode(struct conv__avro *av, const uint8_t *p, size_t n,
                              struct conv_doc *out, struct err *e)
{
    const void *s = NULL;
    uint32_t id;
    enum status st;

    conv_doc_reset(out);
    if ((st = conv__registry_frame(&avro_format, p, n, &id, e)) != ST_OK)
        return st;
    if ((st = conv__registry_lookup(av->reg, id, &s, e)) != ST_OK)
        return st;
    if (id != av->prefix_id || !av->prefix[0]) {
        snprintf(av->prefix, sizeof(av->prefix), "Avro: schema id %" PRIu32, id);
        av->prefix_id = id;
    }
    return decode(s, p + 5, n - 5, 5, av->prefix, out, e);
}
