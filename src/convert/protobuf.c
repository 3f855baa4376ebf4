/* src/convert/protobuf.c: io.confluent.connect.protobuf.ProtobufConverter: Confluent Schema
 * Registry framing (magic 0x00, 4-byte big-endian schema id, the message-index path as zigzag
 * varints), a schema cache filled over HTTP (schemas.c), and the Protobuf binary decoder.
 * Values, as Confluent's ProtobufData.toConnectData gives Connect: a message -> MAP keyed by
 * field name, each oneof first (key "<oneof>_<index>", a MAP of its members with only the set
 * one non-null, or null when none is set), then the other fields in declaration order; absent
 * scalars -> their default (proto2 [default], else zero/""/first enum value); absent messages
 * and absent proto3 `optional` scalars -> null; repeated (packed or not) -> LIST; map<K,V> ->
 * MAP (the last entry of a key wins); enum -> STRING symbol (or INT with int.for.enums);
 * uint32/fixed32 -> INT unsigned, uint64/fixed64 -> INT with the same 64 bits (Java's long);
 * float widened; bytes -> BYTES; google.protobuf.Timestamp -> INT epoch ms; wrappers -> a
 * {value} MAP, or the value/null with wrapper.for.nullables. Wire rules: the last value of a
 * singular field wins, occurrences of a singular message merge (as parsing their concatenation
 * does; re-reading for the occurrences is bounded by CONV__PB_REREAD_FACTOR, else ST_TOO_BIG),
 * a field with the wrong wire type and unknown fields are skipped (as protobuf-java does),
 * groups are skipped. Allocation-free once warm (the per-message slot stack is reused). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "convert/protobuf_int.h"

#define NONE UINT32_MAX
#define MAX_INDEXES 64      /* message-index path length */

/* --- Decoder state --- */

/* What the first pass over a message saw of one field (or, after the fields, one oneof). */
struct slot {
    const uint8_t *p;       /* the last value's bytes (LEN: the payload) */
    uint32_t n;
    uint32_t count;         /* occurrences; for a oneof slot: 1 + the field index set last, 0: none */
    uint8_t wt;
    bool interleaved;       /* a oneof member seen again after another member */
};

struct pbscratch {
    struct slot *v;
    size_t n, cap;
};

/* Where a message's bytes are: one range, or every LEN occurrence of field @no in @up
 * (a singular message sent several times: protobuf merges them). */
struct src {
    const struct src *up;
    uint32_t no;
    const uint8_t *p;
    size_t n;
};

struct pbd {
    const struct conv__pbsc *s;
    const struct conv__pb_opts *o;
    const uint8_t *rec;     /* the Kafka record: error offsets count from here */
    const uint8_t *at;      /* the field being read, for errors */
    struct conv_doc *out;
    struct err *e;
    const char *prefix;
    struct pbscratch *sc;
    unsigned depth;
    uint64_t work;          /* fields read (tests read it) */
    uint64_t reread;        /* fields re-read to find a merged message's occurrences */
    uint64_t reread_max;
    uint32_t np;
    struct conv__seg path[CONV__MAX_DEPTH_CAP * 2 + 8];
};

struct fld {
    uint32_t no;
    uint8_t wt;
    const uint8_t *p;       /* the value (LEN: the payload; SGROUP: the group's contents) */
    size_t n;
};

static enum status derr(struct pbd *d, enum status st, const char *fmt, ...) PRINTF_LIKE(3, 4);
static enum status derr(struct pbd *d, enum status st, const char *fmt, ...)
{
    char path[200], msg[260];
    va_list ap;

    conv__path_text(d->path, d->np, ARRAY_LEN(d->path), 0, path, sizeof(path));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(d->e, st, "%s: %s%s%s (at byte %zu)", d->prefix, path, path[0] ? ": " : "", msg,
                   (size_t)(d->at - d->rec));
}

static void push_name(struct pbd *d, const char *name, uint32_t n)
{
    conv__path_push(d->path, ARRAY_LEN(d->path), &d->np, name, n, 0, false);
}

static void push_index(struct pbd *d, uint64_t i)
{
    conv__path_push(d->path, ARRAY_LEN(d->path), &d->np, NULL, 0, i, false);
}

static enum status full(struct pbd *d)
{
    if (d->out->fail == ST_NOMEM)
        return err_set(d->e, ST_NOMEM, "%s: out of memory", d->prefix);
    return derr(d, ST_TOO_BIG, "more than %" PRIu32 " values in one record", d->out->lim.max_nodes);
}

static enum status enter(struct pbd *d)
{
    if (d->depth >= d->out->lim.max_depth)
        return derr(d, ST_TOO_BIG, "nesting deeper than %u", d->out->lim.max_depth);
    d->depth++;
    return ST_OK;
}

/* --- Wire format --- */

/* A varint of up to 10 bytes; bits past 64 are dropped, as protobuf-java does. */
static enum status rd_varint(struct pbd *d, const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;

    for (unsigned i = 0; i < 10; i++) {
        if (p == end)
            return derr(d, ST_PARSE, "truncated varint");
        v |= (uint64_t)(*p & 0x7f) << (7 * i);
        if (!(*p++ & 0x80)) {
            *pp = p;
            *out = v;
            return ST_OK;
        }
    }
    return derr(d, ST_PARSE, "varint longer than 10 bytes");
}

static enum status rd_field(struct pbd *d, const uint8_t **pp, const uint8_t *end, unsigned level, struct fld *f);

/* The contents of a group started by field @no: fields up to the matching end tag. */
static enum status skip_group(struct pbd *d, const uint8_t **pp, const uint8_t *end, uint32_t no, unsigned level,
                              struct fld *out)
{
    const uint8_t *start = *pp;

    if (level >= d->out->lim.max_depth)
        return derr(d, ST_TOO_BIG, "groups nested deeper than %u", d->out->lim.max_depth);
    for (;;) {
        const uint8_t *before = *pp;
        struct fld g;
        uint64_t tag;
        if (*pp == end) {
            d->at = end;
            return derr(d, ST_PARSE, "group %" PRIu32 " has no end tag", no);
        }
        d->at = *pp;
        if (rd_varint(d, pp, end, &tag) != ST_OK)
            return ST_PARSE;
        if ((tag & 7) == PB_WT_EGROUP) {
            if ((tag >> 3) != no)
                return derr(d, ST_PARSE, "end of group %" PRIu64 " inside group %" PRIu32, tag >> 3, no);
            out->p = start;
            out->n = (size_t)(before - start);
            return ST_OK;
        }
        *pp = before;
        if (rd_field(d, pp, end, level + 1, &g) != ST_OK)
            return d->e->status;
    }
}

/* One field at *@pp: its number, wire type and value span. */
static enum status rd_field(struct pbd *d, const uint8_t **pp, const uint8_t *end, unsigned level, struct fld *f)
{
    uint64_t tag, len;

    d->work++;
    d->at = *pp;
    if (rd_varint(d, pp, end, &tag) != ST_OK)
        return ST_PARSE;
    if (tag > UINT32_MAX)
        return derr(d, ST_PARSE, "field tag %" PRIu64 " is over 32 bits", tag);
    f->no = (uint32_t)(tag >> 3);
    f->wt = (uint8_t)(tag & 7);
    if (f->no == 0)
        return derr(d, ST_PARSE, "field number 0");
    switch (f->wt) {
    case PB_WT_VARINT:
        f->p = *pp;
        if (rd_varint(d, pp, end, &len) != ST_OK)
            return ST_PARSE;
        f->n = (size_t)(*pp - f->p);
        return ST_OK;
    case PB_WT_I64:
    case PB_WT_I32:
        f->n = f->wt == PB_WT_I64 ? 8 : 4;
        if ((size_t)(end - *pp) < f->n)
            return derr(d, ST_PARSE, "field %" PRIu32 ": truncated %zu-byte value", f->no, f->n);
        f->p = *pp;
        *pp += f->n;
        return ST_OK;
    case PB_WT_LEN:
        if (rd_varint(d, pp, end, &len) != ST_OK)
            return ST_PARSE;
        if (len > (uint64_t)(end - *pp))
            return derr(d, ST_PARSE, "field %" PRIu32 ": length %" PRIu64 " is past the end (%zu bytes left)",
                        f->no, len, (size_t)(end - *pp));
        f->p = *pp;
        f->n = (size_t)len;
        *pp += len;
        return ST_OK;
    case PB_WT_SGROUP:
        return skip_group(d, pp, end, f->no, level, f);
    case PB_WT_EGROUP:
        return derr(d, ST_PARSE, "field %" PRIu32 ": end of a group that was not started", f->no);
    default:
        return derr(d, ST_PARSE, "field %" PRIu32 ": invalid wire type %u", f->no, f->wt);
    }
}

static uint8_t wire_type_of(uint8_t type)
{
    switch (type) {
    case PB_DOUBLE: case PB_FIXED64: case PB_SFIXED64:
        return PB_WT_I64;
    case PB_FLOAT: case PB_FIXED32: case PB_SFIXED32:
        return PB_WT_I32;
    case PB_STRING: case PB_BYTES: case PB_MESSAGE:
        return PB_WT_LEN;
    default:
        return PB_WT_VARINT;
    }
}

/* Does a value with wire type @wt belong to field @f (else protobuf-java keeps it as unknown)? */
static bool wt_fits(const struct conv__pbfield *f, uint8_t wt)
{
    uint8_t want = f->ktype ? PB_WT_LEN : wire_type_of(f->type);
    return wt == want || (wt == PB_WT_LEN && f->label == PBL_REPEATED && want != PB_WT_LEN);
}

typedef enum status (*chunk_fn)(struct pbd *d, const uint8_t *p, size_t n, void *ctx);

struct pick {
    uint32_t no;
    chunk_fn fn;
    void *ctx;
};

static enum status pick_cb(struct pbd *d, const uint8_t *p, size_t n, void *ctx)
{
    const struct pick *k = ctx;
    const uint8_t *end = p + n;
    struct fld f;

    while (p < end) {
        if (++d->reread > d->reread_max)
            return derr(d, ST_TOO_BIG, "merging a message sent several times re-reads more than %" PRIu64
                        " fields (%u x the record's bytes)", d->reread_max, CONV__PB_REREAD_FACTOR);
        if (rd_field(d, &p, end, 0, &f) != ST_OK)
            return d->e->status;
        if (f.no == k->no && f.wt == PB_WT_LEN && k->fn(d, f.p, f.n, k->ctx) != ST_OK)
            return d->e->status;
    }
    return ST_OK;
}

/* Call @fn on each range of @s. */
static enum status walk(struct pbd *d, const struct src *s, chunk_fn fn, void *ctx)
{
    struct pick k = {s->no, fn, ctx};

    if (!s->up)
        return fn(d, s->p, s->n, ctx);
    return walk(d, s->up, pick_cb, &k);
}

/* --- Values --- */

static enum status put_str(struct pbd *d, uint8_t type, const char *p, size_t n)
{
    return conv__add_str(d->out, type, p, (uint32_t)n) ? ST_OK : full(d);
}

static enum status put_int(struct pbd *d, int64_t i)
{
    return conv__add_int(d->out, i) ? ST_OK : full(d);
}

static enum status put_null(struct pbd *d)
{
    return conv__add(d->out, CONV_NULL) ? ST_OK : full(d);
}

static uint64_t le_bytes(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = n; k-- > 0;)
        v = v << 8 | p[k];
    return v;
}

static uint64_t varint_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80))
            break;
    }
    return v;
}

/* The integer of a VARINT/I32/I64 value @raw of @type, as Connect holds it. */
static int64_t int_of(uint8_t type, uint64_t raw)
{
    uint32_t u32 = (uint32_t)raw;

    switch (type) {
    case PB_INT32:
    case PB_SFIXED32:
    case PB_ENUM:
        return (int32_t)u32;
    case PB_UINT32:
    case PB_FIXED32:
        return (int64_t)u32;   /* Integer.toUnsignedLong */
    case PB_SINT32:
        return (int32_t)((u32 >> 1) ^ (0u - (u32 & 1)));
    case PB_SINT64:
        return (int64_t)((raw >> 1) ^ (0 - (raw & 1)));
    case PB_BOOL:
        return raw != 0;
    default:   /* int64, uint64, fixed64, sfixed64: the same 64 bits */
        return (int64_t)raw;
    }
}

static enum status put_enum(struct pbd *d, const struct conv__pbfield *f, int32_t num)
{
    const struct conv__pbenum *en = &d->s->enums[f->ref];

    for (uint32_t k = en->first; k < en->first + en->n; k++)
        if (d->s->vals[k].number == num)   /* aliases: the first name declared, as Java */
            return d->o->int_for_enums ? put_int(d, num)
                                       : put_str(d, CONV_STRING, d->s->vals[k].name, d->s->vals[k].name_n);
    if (d->o->int_for_enums && d->s->msgs[f->owner].proto3)
        return put_int(d, num);
    return derr(d, ST_PARSE, "enum %.*s has no value %" PRId32, (int)MIN(en->name_n, 120), en->name, num);
}

static enum status put_text(struct pbd *d, const struct conv__pbfield *f, const uint8_t *p, size_t n)
{
    const char *s;
    uint32_t sn;

    if (d->s->msgs[f->owner].proto3)   /* proto3 strings must be UTF-8: protobuf-java refuses others */
        for (size_t i = 0; i < n;) {
            size_t l = conv__utf8_len(p + i, p + n);
            if (!l)
                return derr(d, ST_PARSE, "invalid UTF-8 at string byte %zu", i);
            i += l;
        }
    if (conv__utf8_fix(&d->out->arena, p, n, &s, &sn) != ST_OK)
        return err_set(d->e, ST_NOMEM, "%s: out of memory", d->prefix);
    return put_str(d, CONV_STRING, s, sn);
}

/* A scalar value of @f (not a message) whose bytes are @p[0..n) with wire type @wt (fits). */
static enum status put_scalar(struct pbd *d, const struct conv__pbfield *f, const uint8_t *p, size_t n)
{
    struct conv_value *v;
    uint64_t raw;
    uint32_t b32;
    float fl;

    switch (f->type) {
    case PB_STRING:
        return put_text(d, f, p, n);
    case PB_BYTES:
        return put_str(d, CONV_BYTES, (const char *)p, n);
    case PB_DOUBLE:
    case PB_FLOAT:
        if (!(v = conv__add(d->out, CONV_DOUBLE)))
            return full(d);
        raw = le_bytes(p, f->type == PB_DOUBLE ? 8 : 4);
        if (f->type == PB_DOUBLE) {
            memcpy(&v->d, &raw, 8);
        } else {
            b32 = (uint32_t)raw;
            memcpy(&fl, &b32, 4);
            v->d = fl;
        }
        return ST_OK;
    case PB_FIXED64: case PB_SFIXED64:
        return put_int(d, int_of(f->type, le_bytes(p, 8)));
    case PB_FIXED32: case PB_SFIXED32:
        return put_int(d, int_of(f->type, le_bytes(p, 4)));
    case PB_BOOL:
        if (!(v = conv__add(d->out, CONV_BOOL)))
            return full(d);
        v->b = varint_at(p) != 0;
        return ST_OK;
    case PB_ENUM:
        return put_enum(d, f, (int32_t)int_of(PB_ENUM, varint_at(p)));
    default:
        return put_int(d, int_of(f->type, varint_at(p)));
    }
}

/* The value of an absent singular scalar: its proto2 default, else zero / "" / the first enum value. */
static enum status put_default(struct pbd *d, const struct conv__pbfield *f)
{
    struct conv_value *v;

    switch (f->type) {
    case PB_STRING:
    case PB_BYTES:
        return put_str(d, f->type == PB_STRING ? CONV_STRING : CONV_BYTES, f->has_default ? f->def.s.p : "",
                       f->has_default ? f->def.s.n : 0);
    case PB_DOUBLE:
    case PB_FLOAT:
        if (!(v = conv__add(d->out, CONV_DOUBLE)))
            return full(d);
        v->d = f->has_default ? f->def.d : 0.0;
        return ST_OK;
    case PB_BOOL:
        if (!(v = conv__add(d->out, CONV_BOOL)))
            return full(d);
        v->b = f->has_default && f->def.i;
        return ST_OK;
    case PB_ENUM: {
        const struct conv__pbval *val = &d->s->vals[f->has_default ? (uint32_t)f->def.i : d->s->enums[f->ref].first];
        return d->o->int_for_enums ? put_int(d, val->number) : put_str(d, CONV_STRING, val->name, val->name_n);
    }
    default:
        return put_int(d, f->has_default ? f->def.i : 0);
    }
}

static enum status dec_message(struct pbd *d, uint32_t mi, const struct src *s);

/* A message-typed value from the @count LEN occurrences of field @no in @s, the last at @p. */
static enum status put_message(struct pbd *d, const struct conv__pbfield *f, const struct src *s, uint32_t count,
                               const uint8_t *p, size_t n)
{
    struct src one = {NULL, 0, p, n}, all = {s, f->number, NULL, 0};
    return dec_message(d, f->ref, count == 1 ? &one : &all);
}

/* --- First pass: what each field of a message holds --- */

struct scan {
    const struct conv__pbmsg *m;
    size_t base;            /* this message's slots in d->sc */
};

static const struct conv__pbfield *field_by_number(const struct pbd *d, const struct conv__pbmsg *m, uint32_t no,
                                                   uint32_t *index)
{
    const uint32_t *b = d->s->bynum + m->first;
    uint32_t lo = 0, hi = m->n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct conv__pbfield *f = &d->s->fields[b[mid]];
        if (f->number == no) {
            *index = b[mid] - m->first;
            return f;
        }
        if (f->number < no)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static enum status scan_cb(struct pbd *d, const uint8_t *p, size_t n, void *ctx)
{
    const struct scan *sc = ctx;
    const uint8_t *end = p + n;
    struct fld f;

    while (p < end) {
        const struct conv__pbfield *fd;
        struct slot *sl;
        uint32_t i;
        if (rd_field(d, &p, end, 0, &f) != ST_OK)
            return d->e->status;
        if (!(fd = field_by_number(d, sc->m, f.no, &i)) || !wt_fits(fd, f.wt))
            continue;   /* unknown, or a wire type the field cannot have: protobuf-java keeps it as unknown */
        sl = d->sc->v + sc->base;
        if (fd->oneof != NONE) {
            struct slot *os = &sl[sc->m->n + (fd->oneof - sc->m->ofirst)];
            if (os->count && os->count != i + 1 && sl[i].count)
                sl[i].interleaved = true;
            os->count = i + 1;
        }
        sl[i].count++;
        sl[i].p = f.p;
        sl[i].n = (uint32_t)f.n;
        sl[i].wt = f.wt;
    }
    return ST_OK;
}

/* --- Second pass: the values --- */

struct rep {
    const struct conv__pbfield *f;
    uint32_t count;
};

/* Packed scalars in @p[0..n). */
static enum status put_packed(struct pbd *d, struct rep *r, const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    uint8_t wt = wire_type_of(r->f->type);
    enum status st;

    d->at = p;
    while (p < end) {
        const uint8_t *v = p;
        uint64_t raw;
        push_index(d, r->count);
        if (wt == PB_WT_VARINT) {
            if (rd_varint(d, &p, end, &raw) != ST_OK)
                return ST_PARSE;
        } else {
            size_t w = wt == PB_WT_I64 ? 8 : 4;
            if ((size_t)(end - p) < w)
                return derr(d, ST_PARSE, "packed values end inside a %zu-byte value", w);
            p += w;
        }
        if ((st = put_scalar(d, r->f, v, (size_t)(p - v))) != ST_OK)
            return st;
        d->np--;
        r->count++;
    }
    return ST_OK;
}

static enum status list_cb(struct pbd *d, const uint8_t *p, size_t n, void *ctx)
{
    struct rep *r = ctx;
    const uint8_t *end = p + n;
    struct fld f;
    enum status st;

    while (p < end) {
        if (rd_field(d, &p, end, 0, &f) != ST_OK)
            return d->e->status;
        if (f.no != r->f->number || !wt_fits(r->f, f.wt))
            continue;
        if (f.wt == PB_WT_LEN && wire_type_of(r->f->type) != PB_WT_LEN) {
            if ((st = put_packed(d, r, f.p, f.n)) != ST_OK)
                return st;
            continue;
        }
        push_index(d, r->count);
        if (r->f->type == PB_MESSAGE) {
            struct src one = {NULL, 0, f.p, f.n};
            st = dec_message(d, r->f->ref, &one);
        } else {
            st = put_scalar(d, r->f, f.p, f.n);
        }
        if (st != ST_OK)
            return st;
        d->np--;
        r->count++;
    }
    return ST_OK;
}

/* One map entry (a message with key = 1, value = 2) -> key and value nodes. */
static enum status put_entry(struct pbd *d, const struct conv__pbfield *mf, const uint8_t *p, size_t n)
{
    struct conv__pbfield kf = {.name = "key", .name_n = 3, .number = 1, .type = mf->ktype, .owner = mf->owner};
    struct conv__pbfield vf = {.name = "value", .name_n = 5, .number = 2, .type = mf->type, .ref = mf->ref,
                               .owner = mf->owner};
    const uint8_t *end = p + n, *kp = NULL, *vp = NULL;
    size_t kn = 0, vn = 0;
    uint32_t vcount = 0;
    struct fld f;
    struct src entry = {NULL, 0, p, n};
    enum status st;

    while (p < end) {
        if (rd_field(d, &p, end, 0, &f) != ST_OK)
            return d->e->status;
        if (f.no == 1 && wt_fits(&kf, f.wt)) {
            kp = f.p;
            kn = f.n;
        } else if (f.no == 2 && wt_fits(&vf, f.wt)) {
            vp = f.p;
            vn = f.n;
            vcount++;
        }
    }
    if ((st = kp ? put_scalar(d, &kf, kp, kn) : put_default(d, &kf)) != ST_OK)
        return st;
    if (vf.type == PB_MESSAGE)   /* an absent message value is the type's default instance */
        return put_message(d, &vf, &entry, vcount ? vcount : 1, vcount ? vp : (const uint8_t *)"", vn);
    return vp ? put_scalar(d, &vf, vp, vn) : put_default(d, &vf);
}

static enum status map_cb(struct pbd *d, const uint8_t *p, size_t n, void *ctx)
{
    struct rep *r = ctx;
    const uint8_t *end = p + n;
    struct fld f;
    enum status st;

    while (p < end) {
        if (rd_field(d, &p, end, 0, &f) != ST_OK)
            return d->e->status;
        if (f.no != r->f->number || f.wt != PB_WT_LEN)
            continue;
        push_index(d, r->count);
        if ((st = put_entry(d, r->f, f.p, f.n)) != ST_OK)
            return st;
        d->np--;
        r->count++;
    }
    return ST_OK;
}

/* A repeated field or a map: every occurrence in @s, in order. */
static enum status put_repeated(struct pbd *d, const struct conv__pbfield *f, const struct src *s)
{
    uint32_t idx = d->out->n;
    struct rep r = {f, 0};
    enum status st;

    if ((st = enter(d)) != ST_OK)
        return st;
    if (!conv__add(d->out, f->ktype ? CONV_MAP : CONV_LIST))
        return full(d);
    if ((st = walk(d, s, f->ktype ? map_cb : list_cb, &r)) != ST_OK)
        return st;
    d->depth--;
    if (f->ktype)
        return conv__close(d->out, idx, r.count) == ST_OK ? ST_OK : full(d);   /* the last entry of a key wins */
    d->out->nodes[idx].next = d->out->n;
    d->out->nodes[idx].count = r.count;
    return ST_OK;
}

/* Field @fi (index in the message) from its slot. */
static enum status put_field(struct pbd *d, const struct conv__pbmsg *m, size_t base, uint32_t fi, const struct src *s)
{
    const struct conv__pbfield *f = &d->s->fields[m->first + fi];
    struct slot sl = d->sc->v[base + fi];

    if (f->label == PBL_REPEATED)
        return put_repeated(d, f, s);
    if (sl.count)
        d->at = sl.p;   /* errors in the value point at it */
    if (f->type == PB_MESSAGE) {
        if (!sl.count)
            return put_null(d);
        if (sl.interleaved)
            return derr(d, ST_PARSE, "oneof member sent again after another member (merge order is ambiguous)");
        return put_message(d, f, s, sl.count, sl.p, sl.n);
    }
    if (!sl.count)
        return f->label == PBL_OPTIONAL ? put_null(d) : put_default(d, f);
    return put_scalar(d, f, sl.p, sl.n);
}

static enum status put_timestamp(struct pbd *d, const struct conv__pbmsg *m, const struct slot *sl)
{
    int64_t sec = 0, nanos = 0, ms;

    for (uint32_t i = 0; i < m->n; i++) {
        const struct conv__pbfield *f = &d->s->fields[m->first + i];
        if (sl[i].count) {
            (f->number == 1 ? &sec : &nanos)[0] = int_of(f->type, varint_at(sl[i].p));
            d->at = sl[i].p;
        }
    }
    /* Timestamps.toMillis refuses timestamps outside 0001-01-01..9999-12-31 and bad nanos */
    if (sec < -62135596800 || sec > 253402300799 || nanos < 0 || nanos > 999999999)
        return derr(d, ST_PARSE, "invalid google.protobuf.Timestamp (seconds %" PRId64 ", nanos %" PRId64 ")", sec,
                    nanos);
    ms = sec * 1000 + nanos / 1000000;
    return put_int(d, ms);
}

static enum status dec_message(struct pbd *d, uint32_t mi, const struct src *s)
{
    const struct conv__pbmsg *m = &d->s->msgs[mi];
    struct pbscratch *sc = d->sc;
    size_t base = sc->n, nslots = (size_t)m->n + m->noneofs;
    struct scan scan = {m, base};
    uint32_t idx, count = 0;
    enum status st;

    if ((st = enter(d)) != ST_OK)
        return st;
    if (!mem_grow(&sc->v, &sc->cap, base + nslots + 1, sizeof(*sc->v), 64))   /* + 1: never NULL */
        return err_set(d->e, ST_NOMEM, "%s: out of memory", d->prefix);
    memset(sc->v + base, 0, nslots * sizeof(*sc->v));
    sc->n = base + nslots;
    if ((st = walk(d, s, scan_cb, &scan)) != ST_OK)
        return st;
    for (uint32_t i = 0; i < m->n; i++)
        if (d->s->fields[m->first + i].label == PBL_REQUIRED && !sc->v[base + i].count)
            return derr(d, ST_PARSE, "required field %.*s of %.*s is missing",
                        (int)MIN(d->s->fields[m->first + i].name_n, 80), d->s->fields[m->first + i].name,
                        (int)MIN(m->name_n, 120), m->name);
    if (m->wkt == PBW_TIMESTAMP) {
        st = put_timestamp(d, m, sc->v + base);
    } else if (m->wkt == PBW_WRAPPER && d->o->wrapper_for_nullables) {
        st = put_field(d, m, base, 0, s);
    } else {
        idx = d->out->n;
        if (!conv__add(d->out, CONV_MAP))
            return full(d);
        for (uint32_t k = 0; k < m->noneofs; k++) {
            const struct conv__pboneof *o = &d->s->oneofs[m->ofirst + k];
            uint32_t set = sc->v[base + m->n + k].count;   /* 1 + field index, 0: none */
            uint32_t oidx, members = 0;
            bool ix = d->o->index_for_unions;
            if ((st = put_str(d, CONV_STRING, ix ? o->iname : o->name, ix ? o->iname_n : o->name_n)) != ST_OK)
                return st;
            count++;
            if (!set) {
                if ((st = put_null(d)) != ST_OK)
                    return st;
                continue;
            }
            push_name(d, o->name, o->name_n);
            if ((st = enter(d)) != ST_OK)
                return st;
            oidx = d->out->n;
            if (!conv__add(d->out, CONV_MAP))
                return full(d);
            for (uint32_t i = 0; i < m->n; i++) {
                const struct conv__pbfield *f = &d->s->fields[m->first + i];
                if (f->oneof != m->ofirst + k)
                    continue;
                if ((st = put_str(d, CONV_STRING, f->name, f->name_n)) != ST_OK)
                    return st;
                push_name(d, f->name, f->name_n);
                if ((st = i + 1 == set ? put_field(d, m, base, i, s) : put_null(d)) != ST_OK)
                    return st;
                d->np--;
                members++;
            }
            d->out->nodes[oidx].next = d->out->n;
            d->out->nodes[oidx].count = members;
            d->depth--;
            d->np--;
        }
        for (uint32_t i = 0; i < m->n; i++) {
            const struct conv__pbfield *f = &d->s->fields[m->first + i];
            if (f->oneof != NONE)
                continue;
            if ((st = put_str(d, CONV_STRING, f->name, f->name_n)) != ST_OK)
                return st;
            push_name(d, f->name, f->name_n);
            if ((st = put_field(d, m, base, i, s)) != ST_OK)
                return st;
            d->np--;
            count++;
        }
        d->out->nodes[idx].next = d->out->n;   /* names are unique (checked when compiling) */
        d->out->nodes[idx].count = count;
    }
    if (st != ST_OK)
        return st;
    sc->n = base;
    d->depth--;
    return ST_OK;
}

static enum status decode(const struct conv__pbsc *s, uint32_t mi, const struct conv__pb_opts *o,
                          struct pbscratch *sc, const uint8_t *rec, const uint8_t *p, size_t n, const char *prefix,
                          struct conv_doc *out, uint64_t *work, struct err *e)
{
    struct pbd local, *d = &local;
    struct src all = {NULL, 0, p, n};
    struct err none;
    enum status st;

    if (!e)
        e = &none;   /* the decoder reads d->e->status after a failed step */
    d->s = s;
    d->o = o;
    d->rec = rec;
    d->at = p;
    d->out = out;
    d->e = e;
    d->prefix = prefix;
    d->sc = sc;
    d->depth = 0;
    d->work = 0;
    d->reread = 0;
    d->reread_max = CONV__PB_REREAD_FACTOR * (uint64_t)MAX(n, 1024);
    d->np = 0;
    sc->n = 0;
    if ((st = dec_message(d, mi, &all)) != ST_OK)
        conv_doc_reset(out);
    if (work)
        *work = d->work;
    return st;
}

enum status conv__pb_decode_value(const struct conv__pbsc *s, uint32_t msg, const struct conv__pb_opts *o,
                                  const uint8_t *p, size_t n, struct conv_doc *out, struct err *e)
{
    return conv__pb_decode_counted(s, msg, o, p, n, out, NULL, e);
}

enum status conv__pb_decode_counted(const struct conv__pbsc *s, uint32_t msg, const struct conv__pb_opts *o,
                                    const uint8_t *p, size_t n, struct conv_doc *out, uint64_t *work, struct err *e)
{
    struct pbscratch sc = {0};
    enum status st;

    conv_doc_reset(out);
    if (n > out->lim.max_input)
        return err_set(e, ST_TOO_BIG, "Protobuf: record of %zu bytes is over the limit of %zu", n,
                       out->lim.max_input);
    if (msg >= s->nmsgs)
        return err_set(e, ST_NOT_FOUND, "Protobuf: no message %" PRIu32, msg);
    p = p ? p : (const uint8_t *)"";
    st = decode(s, msg, o, &sc, p, p, n, "Protobuf", out, work, e);
    mem_free(sc.v);
    return st;
}

/* --- The converter: framing, message indexes and the schema cache around the decoder --- */

static void *compile_proto(const char *text, size_t n, struct err *e)
{
    return conv__pbsc_parse(text, n, e);
}

static void free_proto(void *s)
{
    conv__pbsc_free(s);
}

static const struct conv__registry_format protobuf_format = {
    .what = "Protobuf", .klass = "ProtobufConverter", .schema_type = "PROTOBUF", .compile = compile_proto,
    .free = free_proto,
};

struct conv__protobuf {
    struct conv__registry *reg;
    struct conv__pb_opts o;
    struct pbscratch sc;
    char prefix[64];        /* "Protobuf: schema id N" for prefix_id */
    uint32_t prefix_id;
};

static enum status bool_prop(const char *const *props, const char *key, bool *out, struct err *e)
{
    const char *v = conv__prop(props, key);

    if (v && !conv__parse_bool(v, out))
        return err_set(e, ST_CONFIG, "ProtobufConverter: %s must be true or false, not '%s'", key, v);
    return ST_OK;
}

struct conv__protobuf *conv__protobuf_new(const char *const *props, struct err *e)
{
    struct conv__protobuf *pb = mem_calloc(1, sizeof(*pb));
    bool ignored = false;

    if (!pb) {
        err_set(e, ST_NOMEM, "ProtobufConverter");
        return NULL;
    }
    pb->o.index_for_unions = true;
    if (bool_prop(props, "int.for.enums", &pb->o.int_for_enums, e) != ST_OK ||
        bool_prop(props, "wrapper.for.nullables", &pb->o.wrapper_for_nullables, e) != ST_OK ||
        bool_prop(props, "generate.index.for.unions", &pb->o.index_for_unions, e) != ST_OK ||
        /* these change the Connect schema only, not the values */
        bool_prop(props, "enhanced.protobuf.schema.support", &ignored, e) != ST_OK ||
        bool_prop(props, "optional.for.nullables", &ignored, e) != ST_OK ||
        !(pb->reg = conv__registry_new(&protobuf_format, props, e))) {
        conv__protobuf_free(pb);
        return NULL;
    }
    return pb;
}

void conv__protobuf_free(struct conv__protobuf *pb)
{
    if (!pb)
        return;
    conv__registry_free(pb->reg);
    mem_free(pb->sc.v);
    mem_free(pb);
}

void conv__protobuf_set_http(struct conv__protobuf *pb, conv_http_get_fn fn, void *ctx)
{
    conv__registry_set_http(pb->reg, fn, ctx);
}

/* A zigzag varint of the message-index list (Confluent writes them with ByteUtils.writeVarint). */
static bool rd_zigzag32(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 5; i++) {
        if (*pp == end)
            return false;
        v |= (uint64_t)(**pp & 0x7f) << (7 * i);
        if (!(*(*pp)++ & 0x80)) {
            if (v > UINT32_MAX)
                return false;
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return true;
        }
    }
    return false;
}

/* The message the record's index path names: a single 0x00 is the first message; else a
 * count, then indexes into the top-level messages, then into nested messages. */
static enum status pick_message(const struct conv__pbsc *s, const char *prefix, const uint8_t **pp,
                                const uint8_t *end, const uint8_t *rec, uint32_t *out, struct err *e)
{
    const uint8_t *at = *pp;
    int64_t count, ix;
    uint32_t mi = NONE;

    if (!rd_zigzag32(pp, end, &count))
        return err_set(e, ST_PARSE, "%s: invalid message-index count (at byte %zu)", prefix, (size_t)(at - rec));
    if (count < 0 || count > MAX_INDEXES)
        return err_set(e, ST_PARSE, "%s: message-index count %" PRId64 " is not in 0..%d (at byte %zu)", prefix,
                       count, MAX_INDEXES, (size_t)(at - rec));
    if (count == 0) {
        *out = s->kids[0];
        return ST_OK;
    }
    for (int64_t k = 0; k < count; k++) {
        const struct conv__pbmsg *m = mi == NONE ? NULL : &s->msgs[mi];
        uint32_t first = m ? m->kfirst : 0, n = m ? m->nkids : s->ntop;
        at = *pp;
        if (!rd_zigzag32(pp, end, &ix))
            return err_set(e, ST_PARSE, "%s: invalid message index (at byte %zu)", prefix, (size_t)(at - rec));
        if (ix < 0 || ix >= n)
            return err_set(e, ST_PARSE, "%s: message index %" PRId64 " is not in 0..%" PRId64 " (%s%.*s; at byte %zu)",
                           prefix, ix, (int64_t)n - 1, m ? "nested in " : "top-level messages",
                           m ? (int)MIN(m->name_n, 120) : 0, m ? m->name : "", (size_t)(at - rec));
        if (m && m->has_map)
            /* protoc puts a map field's synthetic entry type among the nested types: where it
             * counts in Confluent's index is not known, so refuse rather than pick wrongly */
            return err_set(e, ST_PARSE, "%s: a message index into %.*s, which has map fields, is not supported "
                           "(at byte %zu)", prefix, (int)MIN(m->name_n, 120), m->name, (size_t)(at - rec));
        mi = s->kids[first + (uint32_t)ix];
    }
    *out = mi;
    return ST_OK;
}

enum status conv__protobuf_decode(struct conv__protobuf *pb, const uint8_t *p, size_t n, struct conv_doc *out,
                                  struct err *e)
{
    const void *sv = NULL;
    const struct conv__pbsc *s;
    const uint8_t *q = p + 5;
    uint32_t id, mi = 0;
    enum status st;

    conv_doc_reset(out);
    if ((st = conv__registry_frame(&protobuf_format, p, n, &id, e)) != ST_OK)
        return st;
    if ((st = conv__registry_lookup(pb->reg, id, &sv, e)) != ST_OK)
        return st;
    s = sv;
    if (id != pb->prefix_id || !pb->prefix[0]) {
        snprintf(pb->prefix, sizeof(pb->prefix), "Protobuf: schema id %" PRIu32, id);
        pb->prefix_id = id;
    }
    if ((st = pick_message(s, pb->prefix, &q, p + n, p, &mi, e)) != ST_OK)
        return st;
    return decode(s, mi, &pb->o, &pb->sc, p, q, (size_t)(p + n - q), pb->prefix, out, NULL, e);
}
