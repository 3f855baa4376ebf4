/* tools/aerospike-testd/cdt.c: MessagePack as Aerospike stores it (wire doc §5), and the few
 * list/map (CDT) operations the test server implements.
 *
 * Stored form ("compacted" like the real server): integers and container/string headers in
 * their smallest encoding; an ordered list/map keeps its leading `c7 00 <flags>` element
 * (+ `c0` for maps) with unknown flag bits dropped (an element left with no flags is removed);
 * map flags 0x02 alone are refused. Map keys must be integer, string or blob; an ext element
 * anywhere but the flags position is refused. Pure functions: no I/O; scratch buffers are
 * allocated per call (CDT ops are not on the benchmark's path; storing a list is, and a list
 * already in stored form is copied whole). */
#include <math.h>
#include <string.h>

#include "testd.h"

enum { K_NIL, K_BOOL, K_INT, K_FLOAT, K_DOUBLE, K_STR, K_BIN, K_ARR, K_MAP, K_EXT };

struct mp {
    const uint8_t *p, *end;
};

struct mpe {
    int kind;
    bool neg;           /* K_INT: value is negative (use i), else u */
    uint64_t u;
    int64_t i;
    double d;
    uint32_t n;         /* STR/BIN/EXT payload length, ARR/MAP element count */
    uint8_t ext_type;
    bool b;
    const uint8_t *start, *data;
};

static bool need(struct mp *r, size_t n)
{
    return (size_t)(r->end - r->p) >= n;
}

static uint64_t ld(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int k = 0; k < n; k++)
        v = (v << 8) | p[k];
    return v;
}

/* Read one element header; scalars, strings, blobs and exts are consumed whole, containers
 * only their header. */
static bool mp_read(struct mp *r, struct mpe *e)
{
    uint8_t c;
    int lb = 0;         /* length bytes */

    memset(e, 0, sizeof(*e));
    e->start = r->p;
    if (!need(r, 1))
        return false;
    c = *r->p++;
    if (c <= 0x7f) { e->kind = K_INT; e->u = c; return true; }
    if (c >= 0xe0) { e->kind = K_INT; e->neg = true; e->i = (int8_t)c; return true; }
    if ((c & 0xf0) == 0x80) { e->kind = K_MAP; e->n = c & 0x0f; return true; }
    if ((c & 0xf0) == 0x90) { e->kind = K_ARR; e->n = c & 0x0f; return true; }
    if ((c & 0xe0) == 0xa0) { e->kind = K_STR; e->n = c & 0x1f; goto payload; }
    switch (c) {
    case 0xc0: e->kind = K_NIL; return true;
    case 0xc2: case 0xc3: e->kind = K_BOOL; e->b = c == 0xc3; return true;
    case 0xc4: case 0xc5: case 0xc6:
        e->kind = K_BIN; lb = 1 << (c - 0xc4); break;
    case 0xd9: case 0xda: case 0xdb:
        e->kind = K_STR; lb = 1 << (c - 0xd9); break;
    case 0xc7: case 0xc8: case 0xc9:
        e->kind = K_EXT; lb = 1 << (c - 0xc7); break;
    case 0xca:
        if (!need(r, 4)) return false;
        { uint32_t v = (uint32_t)ld(r->p, 4); float f; memcpy(&f, &v, 4); e->d = f; }
        e->kind = K_FLOAT; r->p += 4; return true;
    case 0xcb:
        if (!need(r, 8)) return false;
        { uint64_t v = ld(r->p, 8); memcpy(&e->d, &v, 8); }
        e->kind = K_DOUBLE; r->p += 8; return true;
    case 0xcc: case 0xcd: case 0xce: case 0xcf: {
        int nb = 1 << (c - 0xcc);
        if (!need(r, (size_t)nb)) return false;
        e->kind = K_INT; e->u = ld(r->p, nb); r->p += nb; return true;
    }
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        int nb = 1 << (c - 0xd0);
        uint64_t v;
        if (!need(r, (size_t)nb)) return false;
        v = ld(r->p, nb);
        r->p += nb;
        if (nb < 8 && (v >> (nb * 8 - 1)) & 1)
            v |= ~0ull << (nb * 8);          /* sign-extend */
        e->kind = K_INT;
        e->i = (int64_t)v;
        if (e->i >= 0) e->u = (uint64_t)e->i; else e->neg = true;
        return true;
    }
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        if (!need(r, 1 + ((size_t)1 << (c - 0xd4)))) return false;
        e->kind = K_EXT; e->ext_type = r->p[0]; e->n = 1u << (c - 0xd4);
        e->data = r->p + 1; r->p += 1 + e->n; return true;
    case 0xdc: case 0xdd:
        lb = c == 0xdc ? 2 : 4;
        if (!need(r, (size_t)lb)) return false;
        e->kind = K_ARR; e->n = (uint32_t)ld(r->p, lb); r->p += lb; return true;
    case 0xde: case 0xdf:
        lb = c == 0xde ? 2 : 4;
        if (!need(r, (size_t)lb)) return false;
        e->kind = K_MAP; e->n = (uint32_t)ld(r->p, lb); r->p += lb; return true;
    default:
        return false;    /* 0xc1 */
    }
    if (!need(r, (size_t)lb)) return false;
    e->n = (uint32_t)ld(r->p, lb);
    r->p += lb;
    if (e->kind == K_EXT) {
        if (!need(r, 1)) return false;
        e->ext_type = *r->p++;
    }
payload:
    if (!need(r, e->n))
        return false;
    e->data = r->p;
    r->p += e->n;
    return true;
}

/* Skip one complete value. */
static bool mp_skip(struct mp *r, int depth)
{
    struct mpe e;
    uint64_t kids;

    if (depth > TD_MP_MAX_DEPTH || !mp_read(r, &e))
        return false;
    if (e.kind != K_ARR && e.kind != K_MAP)
        return true;
    kids = e.kind == K_MAP ? 2ull * e.n : e.n;
    if (kids > (uint64_t)(r->end - r->p))
        return false;       /* every element takes at least one byte */
    for (uint64_t k = 0; k < kids; k++)
        if (!mp_skip(r, depth + 1))
            return false;
    return true;
}

/* --- writers: smallest encodings --- */
static void w_u(struct buf *o, uint8_t tag, uint64_t v, int nb)
{
    uint8_t t[9];
    t[0] = tag;
    for (int k = 0; k < nb; k++)
        t[1 + k] = (uint8_t)(v >> (8 * (nb - 1 - k)));
    buf_append(o, t, (size_t)nb + 1);
}

static void w_int(struct buf *o, bool neg, uint64_t u, int64_t i)
{
    if (!neg) {
        if (u < 128) buf_put_u8(o, (uint8_t)u);
        else if (u < 256) w_u(o, 0xcc, u, 1);
        else if (u < 65536) w_u(o, 0xcd, u, 2);
        else if (u <= 0xffffffffull) w_u(o, 0xce, u, 4);
        else w_u(o, 0xcf, u, 8);
        return;
    }
    if (i >= -32) buf_put_u8(o, (uint8_t)(int8_t)i);
    else if (i >= -128) w_u(o, 0xd0, (uint8_t)(int8_t)i, 1);
    else if (i >= -32768) w_u(o, 0xd1, (uint16_t)(int16_t)i, 2);
    else if (i >= INT32_MIN) w_u(o, 0xd2, (uint32_t)(int32_t)i, 4);
    else w_u(o, 0xd3, (uint64_t)i, 8);
}

static void w_arr(struct buf *o, uint32_t n)
{
    if (n < 16) buf_put_u8(o, (uint8_t)(0x90 | n));
    else if (n < 65536) w_u(o, 0xdc, n, 2);
    else w_u(o, 0xdd, n, 4);
}

static void w_map(struct buf *o, uint32_t n)
{
    if (n < 16) buf_put_u8(o, (uint8_t)(0x80 | n));
    else if (n < 65536) w_u(o, 0xde, n, 2);
    else w_u(o, 0xdf, n, 4);
}

static void w_strbin(struct buf *o, int kind, const uint8_t *d, uint32_t n)
{
    if (kind == K_STR) {
        if (n < 32) buf_put_u8(o, (uint8_t)(0xa0 | n));
        else if (n < 256) w_u(o, 0xd9, n, 1);
        else if (n < 65536) w_u(o, 0xda, n, 2);
        else w_u(o, 0xdb, n, 4);
    } else {
        if (n < 256) w_u(o, 0xc4, n, 1);
        else if (n < 65536) w_u(o, 0xc5, n, 2);
        else w_u(o, 0xc6, n, 4);
    }
    buf_append(o, d, n);
}

static void w_flags(struct buf *o, uint8_t flags, bool map)
{
    uint8_t t[4] = {0xc7, 0x00, flags, 0xc0};
    buf_append(o, t, map ? 4 : 3);
}

static bool is_flags_ext(const struct mpe *e)
{
    return e->kind == K_EXT && e->n == 0 && e->start[0] == 0xc7;
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);

/* Validate one value and append its compacted form. */
static bool mp_norm(struct mp *r, struct buf *o, int depth, bool top)
{
    struct mpe e;

    if (depth > TD_MP_MAX_DEPTH || !mp_read(r, &e))
        return false;
    switch (e.kind) {
    case K_NIL: case K_BOOL: case K_FLOAT: case K_DOUBLE:
        buf_append(o, e.start, (size_t)(r->p - e.start));
        return true;
    case K_INT:
        w_int(o, e.neg, e.u, e.i);
        return true;
    case K_STR: case K_BIN:
        w_strbin(o, e.kind, e.data, e.n);
        return true;
    case K_EXT:
        return false;          /* only legal as the flags element */
    default:
        break;
    }
    bool map = e.kind == K_MAP;
    uint64_t n = e.n;
    if ((map ? 2 * n : n) > (uint64_t)(r->end - r->p))
        return false;
    uint8_t flags = 0;
    bool had_flags = false;
    if (n > 0) {
        struct mp peek = *r;
        struct mpe f;
        if (mp_read(&peek, &f) && is_flags_ext(&f)) {
            uint8_t keep = map ? 0x03 : 0x01;
            had_flags = true;
            if (map && (f.ext_type & 0x03) == 0x02)
                return false;
            if (top)
                keep |= 0x10;
            flags = f.ext_type & keep;
            if (map) {
                struct mpe v;
                if (!mp_read(&peek, &v) || v.kind != K_NIL)
                    return false;
            }
            *r = peek;
            n--;
        }
    }
    if (map)
        w_map(o, (uint32_t)(n + (flags ? 1 : 0)));
    else
        w_arr(o, (uint32_t)(n + (flags ? 1 : 0)));
    if (flags)
        w_flags(o, flags, map);
    (void)had_flags;
    size_t prev_off = 0, prev_len = 0;
    for (uint64_t k = 0; k < n; k++) {
        if (map) {
            struct mp peek = *r;
            struct mpe key;
            size_t koff = o->len;
            if (!mp_read(&peek, &key) || (key.kind != K_INT && key.kind != K_STR && key.kind != K_BIN))
                return false;
            if (!mp_norm(r, o, depth + 1, false))
                return false;
            /* a key-ordered map must arrive sorted, without duplicate keys */
            if ((flags & 0x01) && k > 0 &&
                cmp_bytes(o->p + prev_off, prev_len, o->p + koff, o->len - koff) >= 0)
                return false;
            prev_off = koff;
            prev_len = o->len - koff;
        }
        if (!mp_norm(r, o, depth + 1, false))
            return false;
    }
    return true;
}

/* The usual list, already in stored form: a fixarray (no flags element) of small integers,
 * nil, booleans and short strings, each in its smallest encoding. Checked in one pass so it
 * can be copied whole: mp_norm writes the very same bytes for it. */
static bool stored_form_fixarray(const uint8_t *p, size_t n)
{
    size_t i = 1;

    if (n == 0 || (p[0] & 0xf0) != 0x90)
        return false;
    for (uint32_t k = p[0] & 0x0f; k > 0; k--) {
        uint8_t c;
        if (i >= n)
            return false;
        c = p[i++];
        if ((c & 0xe0) == 0xa0)
            i += c & 0x1f;          /* fixstr: its bytes (the end is checked below) */
        else if (!(c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3))
            return false;
    }
    return i == n;
}

int td_mp_store(uint8_t particle, const uint8_t *p, size_t n, struct buf *out)
{
    struct mp r = {p, p + n};
    struct mpe e;
    struct mp peek = r;

    if (particle == AERO_PT_LIST && stored_form_fixarray(p, n)) {
        buf_append(out, p, n);
        return 0;
    }
    if (!mp_read(&peek, &e) || e.kind != (particle == AERO_PT_MAP ? K_MAP : K_ARR))
        return AERO_RC_ERR_PARAMETER;
    if (!mp_norm(&r, out, 0, true) || r.p != r.end)
        return AERO_RC_ERR_PARAMETER;
    return 0;
}

int td_cdt_check(const uint8_t *p, size_t n)
{
    struct mp r = {p, p + n};
    struct mp peek = r;
    struct mpe e, op;

    if (!mp_read(&peek, &e) || e.kind != K_ARR || e.n == 0)
        return AERO_RC_ERR_PARAMETER;
    if (!mp_read(&peek, &op) || (op.kind != K_INT))
        return AERO_RC_ERR_PARAMETER;
    if (!mp_skip(&r, 0) || r.p != r.end)
        return AERO_RC_ERR_PARAMETER;
    return 0;
}

/* --- ordering (Aerospike msgpack order: nil < bool < int < string < list < map < bytes <
 * double < geojson) --- */
static int rank(const struct mpe *e)
{
    switch (e->kind) {
    case K_NIL: return 1;
    case K_BOOL: return 2;
    case K_INT: return 3;
    case K_STR: case K_BIN:
        if (e->n > 0 && e->data[0] == AERO_PT_STRING) return 4;
        if (e->n > 0 && e->data[0] == AERO_PT_GEOJSON) return 9;
        return 7;
    case K_ARR: return 5;
    case K_MAP: return 6;
    case K_FLOAT: case K_DOUBLE: return 8;
    default: return 10;
    }
}

static int mp_cmp(struct mp *a, struct mp *b, int depth)
{
    struct mpe x, y;
    int rx, ry;

    if (depth > TD_MP_MAX_DEPTH || !mp_read(a, &x) || !mp_read(b, &y))
        return 0;
    rx = rank(&x);
    ry = rank(&y);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    switch (x.kind) {
    case K_BOOL: return x.b == y.b ? 0 : (x.b ? 1 : -1);
    case K_INT:
        if (x.neg != y.neg) return x.neg ? -1 : 1;
        if (x.neg) return x.i < y.i ? -1 : x.i > y.i;
        return x.u < y.u ? -1 : x.u > y.u;
    case K_FLOAT: case K_DOUBLE: return x.d < y.d ? -1 : x.d > y.d;
    case K_STR: case K_BIN: {
        int c = memcmp(x.data, y.data, MIN(x.n, y.n));
        if (c) return c < 0 ? -1 : 1;
        return x.n < y.n ? -1 : x.n > y.n;
    }
    case K_ARR: case K_MAP: {
        uint64_t nx = x.kind == K_MAP ? 2ull * x.n : x.n, ny = y.kind == K_MAP ? 2ull * y.n : y.n;
        for (uint64_t k = 0; k < nx && k < ny; k++) {
            int c = mp_cmp(a, b, depth + 1);
            if (c) return c;
        }
        for (uint64_t k = MIN(nx, ny); k < nx; k++)
            if (!mp_skip(a, depth + 1)) break;   /* malformed: stop at its end */
        for (uint64_t k = MIN(nx, ny); k < ny; k++)
            if (!mp_skip(b, depth + 1)) break;
        return nx < ny ? -1 : nx > ny;
    }
    default: return 0;
    }
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    struct mp x = {a, a + an}, y = {b, b + bn};
    return mp_cmp(&x, &y, 0);
}

/* --- containers --- */
struct ctr {
    bool map;
    uint32_t n;           /* user elements (pairs for maps) */
    uint8_t flags;
    const uint8_t *elems, *end;
};

static bool ctr_parse(const uint8_t *p, size_t len, bool map, struct ctr *c)
{
    struct mp r = {p, p + len};
    struct mpe e;

    memset(c, 0, sizeof(*c));
    c->map = map;
    if (!mp_read(&r, &e) || e.kind != (map ? K_MAP : K_ARR))
        return false;
    c->n = e.n;
    if (c->n > 0) {
        struct mp peek = r;
        struct mpe f;
        if (mp_read(&peek, &f) && is_flags_ext(&f)) {
            c->flags = f.ext_type;
            if (map && !mp_skip(&peek, 0))
                return false;
            r = peek;
            c->n--;
        }
    }
    c->elems = r.p;
    c->end = p + len;
    return true;
}

static void ctr_header(struct buf *o, bool map, uint32_t n, uint8_t flags)
{
    if (map) w_map(o, n + (flags ? 1 : 0));
    else w_arr(o, n + (flags ? 1 : 0));
    if (flags)
        w_flags(o, flags, map);
}

static void res_int(uint8_t *rp, struct buf *res, int64_t v)
{
    *rp = AERO_PT_INTEGER;
    buf_put_u64be(res, (uint64_t)v);
}

/* Append one element (value already compacted) to a list. */
static int list_add(const struct ctr *c, const uint8_t *v, size_t vn, uint8_t wflags, struct buf *o,
                    bool *added)
{
    const uint8_t *pos = c->end;
    struct mp r = {c->elems, c->end};

    *added = false;
    if (wflags & 0x01) {              /* ADD_UNIQUE */
        for (uint32_t k = 0; k < c->n; k++) {
            const uint8_t *s = r.p;
            if (!mp_skip(&r, 0)) return AERO_RC_ERR_PARAMETER;
            if (cmp_bytes(s, (size_t)(r.p - s), v, vn) == 0)
                return (wflags & 0x04) ? 0 : AERO_RC_ERR_ELEMENT_EXISTS;
        }
        r.p = c->elems;
    }
    if (c->flags & 0x01) {            /* ordered: insert after every element <= v */
        for (uint32_t k = 0; k < c->n; k++) {
            const uint8_t *s = r.p;
            if (!mp_skip(&r, 0)) return AERO_RC_ERR_PARAMETER;
            if (cmp_bytes(s, (size_t)(r.p - s), v, vn) > 0) { pos = s; break; }
        }
    }
    buf_reset(o);
    ctr_header(o, false, c->n + 1, c->flags);
    buf_append(o, c->elems, (size_t)(pos - c->elems));
    buf_append(o, v, vn);
    buf_append(o, pos, (size_t)(c->end - pos));
    *added = true;
    return 0;
}

/* Put key/value into a map. mode: 0 put, 1 create-only, 2 update-only (plus NO_FAIL 4). */
static int map_put(const struct ctr *c, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
                   uint8_t wflags, struct buf *o, uint32_t *new_n)
{
    struct mp r = {c->elems, c->end};
    const uint8_t *ins = c->end, *found = NULL, *found_end = NULL;

    for (uint32_t i = 0; i < c->n; i++) {
        const uint8_t *ks = r.p;
        if (!mp_skip(&r, 0)) return AERO_RC_ERR_PARAMETER;
        int cmp = cmp_bytes(ks, (size_t)(r.p - ks), k, kn);
        if (!mp_skip(&r, 0)) return AERO_RC_ERR_PARAMETER;
        if (cmp == 0) { found = ks; found_end = r.p; break; }
        if (cmp > 0 && (c->flags & 0x01) && ins == c->end) ins = ks;
    }
    *new_n = c->n;
    if (found && (wflags & 0x01))
        return (wflags & 0x04) ? -1 : AERO_RC_ERR_ELEMENT_EXISTS;
    if (!found && (wflags & 0x02))
        return (wflags & 0x04) ? -1 : AERO_RC_ERR_ELEMENT_NOT_FOUND;
    buf_reset(o);
    if (found) {
        ctr_header(o, true, c->n, c->flags);
        buf_append(o, c->elems, (size_t)(found - c->elems));
        buf_append(o, k, kn);
        buf_append(o, v, vn);
        buf_append(o, found_end, (size_t)(c->end - found_end));
    } else {
        ctr_header(o, true, c->n + 1, c->flags);
        buf_append(o, c->elems, (size_t)(ins - c->elems));
        buf_append(o, k, kn);
        buf_append(o, v, vn);
        buf_append(o, ins, (size_t)(c->end - ins));
        *new_n = c->n + 1;
    }
    return 0;
}

/* Read the i-th (0-based) argument of a CDT payload as a compacted value into @o. */
static bool arg_norm(struct mp *r, struct buf *o)
{
    buf_reset(o);
    return mp_norm(r, o, 1, false);
}

static bool arg_int(struct mp *r, int64_t *v)
{
    struct mpe e;
    if (!mp_read(r, &e) || e.kind != K_INT)
        return false;
    *v = e.neg ? e.i : (int64_t)e.u;
    return true;
}

int td_cdt_apply(bool modify, const uint8_t *payload, size_t n, uint8_t old_particle,
                 const uint8_t *old, size_t old_len, uint8_t *new_particle, struct buf *val_out,
                 uint8_t *res_particle, struct buf *res_out)
{
    struct mp r = {payload, payload + n};
    struct mpe top, ope;
    struct buf a = BUF_INIT, b = BUF_INIT, tmp = BUF_INIT;
    struct ctr c;
    int rc = AERO_RC_ERR_PARAMETER;
    int64_t opc, attr = 0, wflags = 0;
    uint32_t nargs;
    bool is_map;
    static const uint8_t empty_list[] = {0x90}, empty_map[] = {0x80};

    *res_particle = AERO_PT_NULL;
    if (!mp_read(&r, &top) || top.kind != K_ARR || top.n == 0 || !mp_read(&r, &ope) ||
        ope.kind != K_INT || ope.neg)
        return AERO_RC_ERR_PARAMETER;     /* also: 0xff context wrapper (not supported) */
    opc = (int64_t)ope.u;
    nargs = top.n - 1;
    is_map = opc >= 64;
    if (old_particle != AERO_PT_NULL && old_particle != (is_map ? AERO_PT_MAP : AERO_PT_LIST))
        return AERO_RC_ERR_INCOMPATIBLE_TYPE;
    if (old_particle == AERO_PT_NULL) {
        old = is_map ? empty_map : empty_list;
        old_len = 1;
    }
    if (!ctr_parse(old, old_len, is_map, &c))
        return AERO_RC_ERR_PARAMETER;
    if (modify != (opc == 1 || opc == 2 || opc == 11 || opc == 65 || opc == 67 || opc == 68 ||
                   opc == 69 || opc == 75))
        goto out;
    switch (opc) {
    case 1:      /* list append [1, value, attr, flags] */
    case 2: {    /* list append-items [2, [values], attr, flags] */
        struct mpe items;
        struct mp vals;
        uint32_t cnt = 1;
        bool added;
        if (nargs < 1 || nargs > 3)
            goto out;
        vals = r;
        if (opc == 2) {
            if (!mp_read(&r, &items) || items.kind != K_ARR) goto out;
            cnt = items.n;
            vals = r;
            for (uint32_t k = 0; k < cnt; k++)
                if (!mp_skip(&r, 1)) goto out;
        } else if (!mp_skip(&r, 1)) {
            goto out;
        }
        if ((nargs >= 2 && !arg_int(&r, &attr)) || (nargs >= 3 && !arg_int(&r, &wflags)))
            goto out;
        buf_reset(&b);
        if (old_particle == AERO_PT_NULL)
            ctr_header(&b, false, 0, (uint8_t)(attr & 0x01));
        else
            buf_append(&b, old, old_len);
        ctr_parse(b.p, b.len, false, &c);
        for (uint32_t k = 0; k < cnt; k++) {
            if (!arg_norm(&vals, &a)) goto out;
            rc = list_add(&c, a.p, a.len, (uint8_t)wflags, &tmp, &added);
            if (rc) goto out;
            if (added) {
                buf_reset(&b);
                buf_append(&b, tmp.p, tmp.len);
                ctr_parse(b.p, b.len, false, &c);
            }
        }
        buf_append(val_out, b.p, b.len);
        *new_particle = AERO_PT_LIST;
        res_int(res_particle, res_out, c.n);
        rc = 0;
        break;
    }
    case 11:     /* list clear */
    case 75:     /* map clear */
        if (nargs != 0) goto out;
        ctr_header(val_out, is_map, 0, c.flags);
        *new_particle = is_map ? AERO_PT_MAP : AERO_PT_LIST;
        rc = 0;
        break;
    case 16:     /* list size */
    case 96:     /* map size */
        if (nargs != 0) goto out;
        if (old_particle != AERO_PT_NULL)
            res_int(res_particle, res_out, c.n);
        rc = 0;
        break;
    case 17: {   /* list get [17, index] */
        int64_t idx;
        struct mp e = {c.elems, c.end};
        if (nargs != 1 || !arg_int(&r, &idx)) goto out;
        if (old_particle == AERO_PT_NULL) { rc = 0; break; }
        if (idx < 0) idx += c.n;
        if (idx < 0 || idx >= (int64_t)c.n) { rc = AERO_RC_ERR_OP_NOT_APPLICABLE; goto out; }
        bool ok = true;
        for (int64_t k = 0; k < idx && ok; k++) ok = mp_skip(&e, 0);
        const uint8_t *s = e.p;
        ok = ok && mp_skip(&e, 0);
        /* a scalar result comes back with its own particle type */
        struct mp one = {s, e.p};
        struct mpe v;
        if (!ok || !mp_read(&one, &v)) { rc = AERO_RC_ERR_PARAMETER; goto out; }   /* malformed list */
        if (v.kind == K_INT) { res_int(res_particle, res_out, v.neg ? v.i : (int64_t)v.u); }
        else if (v.kind == K_DOUBLE || v.kind == K_FLOAT) {
            uint64_t bits; memcpy(&bits, &v.d, 8);
            *res_particle = AERO_PT_FLOAT; buf_put_u64be(res_out, bits);
        } else if ((v.kind == K_STR || v.kind == K_BIN) && v.n > 0) {
            *res_particle = v.data[0]; buf_append(res_out, v.data + 1, v.n - 1);
        } else if (v.kind == K_ARR) { *res_particle = AERO_PT_LIST; buf_append(res_out, s, (size_t)(e.p - s)); }
        else if (v.kind == K_MAP) { *res_particle = AERO_PT_MAP; buf_append(res_out, s, (size_t)(e.p - s)); }
        else if (v.kind == K_BOOL) { *res_particle = AERO_PT_BOOL; buf_put_u8(res_out, v.b); }
        rc = 0;
        break;
    }
    case 65:     /* map add (create only) */
    case 67:     /* map put [67, key, value, attr, flags] */
    case 69:     /* map replace (update only) */
    case 68: {   /* map put-items [68, {k: v...}, attr, flags] */
        struct mpe items;
        uint32_t cnt = 1, nn = c.n;
        struct mp kv;
        if (opc == 68) {
            if (nargs < 1 || nargs > 3) goto out;
            if (!mp_read(&r, &items) || items.kind != K_MAP) goto out;
            cnt = items.n;
            kv = r;
            for (uint32_t k = 0; k < 2 * cnt; k++)
                if (!mp_skip(&r, 1)) goto out;
        } else {
            if (nargs < 2 || nargs > 4) goto out;
            kv = r;
            if (!mp_skip(&r, 1) || !mp_skip(&r, 1)) goto out;
            nargs--;
        }
        if ((nargs >= 2 && !arg_int(&r, &attr)) || (nargs >= 3 && !arg_int(&r, &wflags)))
            goto out;
        if (opc == 65) wflags |= 0x01;
        if (opc == 69) wflags |= 0x02;
        buf_reset(&b);
        if (old_particle == AERO_PT_NULL) {
            ctr_header(&b, true, 0, (uint8_t)(attr & 0x03) == 0x02 ? 0 : (uint8_t)(attr & 0x03));
        } else {
            buf_append(&b, old, old_len);
        }
        ctr_parse(b.p, b.len, true, &c);
        for (uint32_t k = 0; k < cnt; k++) {
            struct mpe ke;
            struct mp kp = kv;
            if (!mp_read(&kp, &ke) || (ke.kind != K_INT && ke.kind != K_STR && ke.kind != K_BIN))
                goto out;
            if (!arg_norm(&kv, &a)) goto out;
            size_t klen = a.len;
            if (!mp_norm(&kv, &a, 1, false)) goto out;
            rc = map_put(&c, a.p, klen, a.p + klen, a.len - klen, (uint8_t)wflags, &tmp, &nn);
            if (rc > 0) goto out;
            if (rc == 0) {
                buf_reset(&b);
                buf_append(&b, tmp.p, tmp.len);
                ctr_parse(b.p, b.len, true, &c);
            }
        }
        buf_append(val_out, b.p, b.len);
        *new_particle = AERO_PT_MAP;
        res_int(res_particle, res_out, c.n);
        rc = 0;
        break;
    }
    default:
        rc = AERO_RC_ERR_PARAMETER;   /* not implemented by the test server */
        break;
    }
out:
    buf_free(&a);
    buf_free(&b);
    buf_free(&tmp);
    return rc;
}

/* ---------- filter expressions (td_filter_eval) ---------- */

enum { FV_UNKNOWN, FV_BOOL, FV_INT, FV_FLOAT, FV_STR };

struct fval {
    int t;
    bool b;
    int64_t i;
    double d;
    const uint8_t *s;
    uint32_t n;
};

static const struct td_bin *fx_bin(const struct td_rec *r, const struct mpe *name)
{
    for (uint32_t k = 0; r && k < r->n_bins; k++)
        if (r->bins[k].name_len == name->n && memcmp(r->bins[k].name, name->data, name->n) == 0)
            return &r->bins[k];
    return NULL;
}

/* [BIN, type, name]: the bin's value when it exists with that type, else unknown. */
static int fx_bin_value(struct mp *rd, const struct td_rec *r, struct fval *v)
{
    struct mpe type, name;
    const struct td_bin *b;
    const uint8_t *p;

    if (!mp_read(rd, &type) || type.kind != K_INT || type.neg || !mp_read(rd, &name) || name.kind != K_STR)
        return AERO_RC_ERR_PARAMETER;
    if (type.u != AERO_EXP_TYPE_BOOL && type.u != AERO_EXP_TYPE_INT && type.u != AERO_EXP_TYPE_STR &&
        type.u != AERO_EXP_TYPE_FLOAT)
        return AERO_RC_ERR_PARAMETER;     /* the types the test server implements */
    v->t = FV_UNKNOWN;
    if (!(b = fx_bin(r, &name)))
        return 0;
    p = td_bin_val(r, b);
    if (type.u == AERO_EXP_TYPE_INT && b->particle == AERO_PT_INTEGER && b->len == 8) {
        v->t = FV_INT;
        v->i = (int64_t)ld(p, 8);
    } else if (type.u == AERO_EXP_TYPE_FLOAT && b->particle == AERO_PT_FLOAT && b->len == 8) {
        uint64_t u = ld(p, 8);
        v->t = FV_FLOAT;
        memcpy(&v->d, &u, 8);
    } else if (type.u == AERO_EXP_TYPE_STR && b->particle == AERO_PT_STRING) {
        v->t = FV_STR;
        v->s = p;
        v->n = b->len;
    } else if (type.u == AERO_EXP_TYPE_BOOL && b->particle == AERO_PT_BOOL && b->len == 1) {
        v->t = FV_BOOL;
        v->b = p[0] != 0;
    }
    return 0;
}

static int fx_eval(struct mp *rd, const struct td_rec *r, struct fval *v, int depth);

/* EQ..LE: both sides of one type; unknown when either is. */
static int fx_compare(struct mp *rd, const struct td_rec *r, uint64_t op, struct fval *v, int depth)
{
    struct fval a, b;
    int rc, c;

    if ((rc = fx_eval(rd, r, &a, depth + 1)) || (rc = fx_eval(rd, r, &b, depth + 1)))
        return rc;
    v->t = FV_UNKNOWN;
    if (a.t == FV_UNKNOWN || b.t == FV_UNKNOWN)
        return 0;
    if (a.t != b.t || (a.t == FV_BOOL && op != AERO_EXP_EQ && op != AERO_EXP_NE))
        return AERO_RC_ERR_PARAMETER;
    if (a.t == FV_INT)
        c = a.i < b.i ? -1 : a.i > b.i;
    else if (a.t == FV_FLOAT)
        c = a.d < b.d ? -1 : a.d > b.d;
    else if (a.t == FV_BOOL)
        c = a.b != b.b;
    else
        c = cmp_bytes(a.s, a.n, b.s, b.n);
    v->t = FV_BOOL;
    v->b = op == AERO_EXP_EQ ? c == 0 : op == AERO_EXP_NE ? c != 0 : op == AERO_EXP_GT ? c > 0
         : op == AERO_EXP_GE ? c >= 0 : op == AERO_EXP_LT ? c < 0 : c <= 0;
    return 0;
}

/* AND / OR over @n operands: a decisive operand wins over unknown ones. */
static int fx_logic(struct mp *rd, const struct td_rec *r, bool is_and, uint32_t n, struct fval *v, int depth)
{
    bool unknown = false, decided = false;

    for (uint32_t k = 0; k < n; k++) {
        struct fval a;
        int rc = fx_eval(rd, r, &a, depth + 1);
        if (rc)
            return rc;
        if (a.t == FV_UNKNOWN)
            unknown = true;
        else if (a.t != FV_BOOL)
            return AERO_RC_ERR_PARAMETER;
        else if (a.b != is_and)
            decided = true;            /* a false for AND, a true for OR */
    }
    v->t = !decided && unknown ? FV_UNKNOWN : FV_BOOL;
    v->b = decided ? !is_and : is_and;
    return 0;
}

static int fx_eval(struct mp *rd, const struct td_rec *r, struct fval *v, int depth)
{
    struct mpe e, op;

    memset(v, 0, sizeof(*v));
    if (depth > TD_MP_MAX_DEPTH || !mp_read(rd, &e))
        return AERO_RC_ERR_PARAMETER;
    switch (e.kind) {
    case K_INT:
        v->t = FV_INT;
        v->i = e.neg ? e.i : (int64_t)e.u;
        return e.neg || e.u <= INT64_MAX ? 0 : AERO_RC_ERR_PARAMETER;
    case K_BOOL: v->t = FV_BOOL; v->b = e.b; return 0;
    case K_FLOAT: case K_DOUBLE: v->t = FV_FLOAT; v->d = e.d; return 0;
    case K_STR:                        /* a string value carries its particle type first */
        if (e.n < 1 || e.data[0] != AERO_PT_STRING)
            return AERO_RC_ERR_PARAMETER;
        v->t = FV_STR;
        v->s = e.data + 1;
        v->n = e.n - 1;
        return 0;
    case K_ARR:
        break;
    default:
        return AERO_RC_ERR_PARAMETER;
    }
    if (e.n < 1 || !mp_read(rd, &op) || op.kind != K_INT || op.neg)
        return AERO_RC_ERR_PARAMETER;
    switch (op.u) {
    case AERO_EXP_EQ: case AERO_EXP_NE: case AERO_EXP_GT: case AERO_EXP_GE: case AERO_EXP_LT: case AERO_EXP_LE:
        return e.n == 3 ? fx_compare(rd, r, op.u, v, depth) : AERO_RC_ERR_PARAMETER;
    case AERO_EXP_AND: case AERO_EXP_OR:
        return e.n >= 3 ? fx_logic(rd, r, op.u == AERO_EXP_AND, e.n - 1, v, depth) : AERO_RC_ERR_PARAMETER;
    case AERO_EXP_NOT: {
        int rc = e.n == 2 ? fx_eval(rd, r, v, depth + 1) : AERO_RC_ERR_PARAMETER;
        if (rc || v->t == FV_UNKNOWN)
            return rc;
        if (v->t != FV_BOOL)
            return AERO_RC_ERR_PARAMETER;
        v->b = !v->b;
        return 0;
    }
    case AERO_EXP_BIN:
        return e.n == 3 ? fx_bin_value(rd, r, v) : AERO_RC_ERR_PARAMETER;
    case AERO_EXP_BIN_TYPE: {
        struct mpe name;
        const struct td_bin *b;
        if (e.n != 2 || !mp_read(rd, &name) || name.kind != K_STR)
            return AERO_RC_ERR_PARAMETER;
        b = fx_bin(r, &name);
        v->t = FV_INT;
        v->i = b ? b->particle : 0;
        return 0;
    }
    default:
        return AERO_RC_ERR_PARAMETER;  /* not implemented by the test server */
    }
}

int td_filter_eval(const uint8_t *p, size_t n, const struct td_rec *r, bool *pass)
{
    struct mp rd = {p, p + n};
    struct fval v;
    int rc = fx_eval(&rd, r, &v, 0);

    if (rc || rd.p != rd.end || (v.t != FV_BOOL && v.t != FV_UNKNOWN))
        return AERO_RC_ERR_PARAMETER;
    *pass = v.t == FV_BOOL && v.b;
    return 0;
}
