/* tools/aerospike-testd/snapshot.c: --snapshot FILE, so a test can stop and restart the
 * server and keep its data. Binary, big-endian, written to FILE.tmp then renamed:
 *   "TDSNAP01", then per record: u8 ns_len, ns, digest[20], u16 gen, u32 void_time,
 *   u8 set_len, set, u32 key_len, key, u32 n_bins, per bin: u8 name_len, name, u8 particle,
 *   u32 len, value; a record with ns_len 0 ends the file.
 * Records of namespaces that no longer exist and expired records are dropped on load. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "testd.h"

#define MAGIC "TDSNAP01"

static void put_rec(struct buf *b, const struct td_ns *ns, const struct td_rec *r)
{
    size_t nl = strlen(ns->name), sl = r->set_id ? strlen(ns->sets[r->set_id].name) : 0;

    buf_put_u8(b, (uint8_t)nl);
    buf_append(b, ns->name, nl);
    buf_append(b, r->digest, AERO_DIGEST_SZ);
    buf_put_u16be(b, r->gen);
    buf_put_u32be(b, r->void_time);
    buf_put_u8(b, (uint8_t)sl);
    if (sl)
        buf_append(b, ns->sets[r->set_id].name, sl);
    buf_put_u32be(b, r->key ? r->key_len : 0);
    if (r->key)
        buf_append(b, r->key, r->key_len);
    buf_put_u32be(b, r->n_bins);
    for (uint32_t i = 0; i < r->n_bins; i++) {
        const struct td_bin *bn = &r->bins[i];
        buf_put_u8(b, bn->name_len);
        buf_append(b, bn->name, bn->name_len);
        buf_put_u8(b, bn->particle);
        buf_put_u32be(b, bn->len);
        buf_append(b, td_bin_val(r, bn), bn->len);
    }
}

int td_snapshot_save(struct td_ctx *c, const char *path, struct err *e)
{
    struct buf b = BUF_INIT;
    char tmp[4096];
    FILE *f;
    int rc = 0;
    uint32_t now = td_now_cl();

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f) {
        err_set(e, ST_IO, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    buf_append(&b, MAGIC, 8);
    for (int i = 0; i < c->store.n_ns; i++) {
        struct td_ns *ns = &c->store.ns[i];
        td_ns_sweep(ns, now);
        for (size_t s = 0; s < ns->cap; s++) {
            if (!ns->slots[s].rec)
                continue;
            put_rec(&b, ns, ns->slots[s].rec);
            if (b.len >= (1u << 20)) {
                if (fwrite(b.p, 1, b.len, f) != b.len)
                    rc = -1;
                buf_reset(&b);
            }
        }
    }
    buf_put_u8(&b, 0);
    if (fwrite(b.p, 1, b.len, f) != b.len)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    buf_free(&b);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        err_set(e, ST_IO, "%s: %s", path, strerror(errno));
        remove(tmp);
    }
    return rc;
}

struct rd {
    const uint8_t *p, *end;
    bool bad;
};

static const uint8_t *take(struct rd *r, size_t n)
{
    const uint8_t *p = r->p;
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    r->p += n;
    return p;
}

static uint32_t take_u(struct rd *r, int n)
{
    const uint8_t *p = take(r, (size_t)n);
    uint32_t v = 0;
    for (int i = 0; p && i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static int load_rec(struct td_ctx *c, struct rd *r, uint8_t nl, uint32_t now)
{
    const uint8_t *nsn = take(r, nl), *digest = take(r, AERO_DIGEST_SZ);
    uint16_t gen = (uint16_t)take_u(r, 2);
    uint32_t vt = take_u(r, 4);
    uint8_t sl = (uint8_t)take_u(r, 1);
    const uint8_t *set = take(r, sl);
    uint32_t kl = take_u(r, 4);
    const uint8_t *key = take(r, kl);
    uint32_t nb = take_u(r, 4);
    const uint8_t *bins_at = r->p;
    size_t total = 0;

    if (r->bad || nb > AERO_MAX_BINS)
        return -1;
    for (uint32_t i = 0; i < nb; i++) {    /* first pass: sizes */
        uint8_t bl = (uint8_t)take_u(r, 1);
        take(r, bl);
        take_u(r, 1);
        uint32_t len = take_u(r, 4);
        take(r, len);
        if (r->bad || bl > AERO_BIN_NAME_MAX)
            return -1;
        total += len;
    }
    struct td_ns *ns = td_store_ns(&c->store, nsn, nl);
    if (!ns || (vt && vt <= now) || td_rec_get(ns, digest, now))
        return 0;
    int sid = td_set_find(ns, set, sl, true);
    size_t room = nb * sizeof(struct td_bin) + total;
    struct td_rec *rec = sid >= 0 ? td_rec_insert(ns, digest, kl ? key : NULL, kl, room) : NULL;
    if (!rec)
        return -1;
    rec->gen = gen;
    rec->void_time = vt;
    rec->set_id = (uint16_t)sid;
    if (sid)
        ns->sets[sid].objects++;
    if (vt)
        ns->with_ttl++;
    memset(rec->bins, 0, room);
    rec->n_bins = nb;
    struct rd b = {bins_at, r->p, false};
    uint8_t *vals = (uint8_t *)(rec->bins + nb);
    total = 0;
    for (uint32_t i = 0; i < nb; i++) {
        struct td_bin *bn = &rec->bins[i];
        bn->name_len = (uint8_t)take_u(&b, 1);
        memcpy(bn->name, take(&b, bn->name_len), bn->name_len);
        bn->particle = (uint8_t)take_u(&b, 1);
        bn->len = take_u(&b, 4);
        bn->off = (uint32_t)total;
        memcpy(vals + total, take(&b, bn->len), bn->len);
        total += bn->len;
    }
    return 0;
}

int td_snapshot_load(struct td_ctx *c, const char *path, struct err *e)
{
    FILE *f = fopen(path, "rb");
    struct buf b = BUF_INIT;
    uint8_t tmp[65536];
    size_t n;
    struct rd r;
    uint32_t now = td_now_cl();
    int rc = 0;

    if (!f) {
        if (errno == ENOENT)
            return 0;            /* first start: nothing to load */
        err_set(e, ST_IO, "%s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    r = (struct rd){b.p, b.p + b.len, false};
    if (b.len < 9 || memcmp(take(&r, 8), MAGIC, 8) != 0) {
        err_set(e, ST_PARSE, "%s: not an aerospike-testd snapshot", path);
        buf_free(&b);
        return -1;
    }
    for (;;) {
        uint8_t nl = (uint8_t)take_u(&r, 1);
        if (r.bad || nl == 0)
            break;
        if (load_rec(c, &r, nl, now) != 0) {
            r.bad = true;
            break;
        }
    }
    if (r.bad) {
        err_set(e, ST_PARSE, "%s: truncated or corrupt snapshot", path);
        rc = -1;
    }
    buf_free(&b);
    return rc;
}
