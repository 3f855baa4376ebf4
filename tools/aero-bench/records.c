/* tools/aero-bench/records.c: --records FILE, the sink's own records as aero-bench's load.
 * Each line of FILE is KEY<TAB>JSON (what bench/gen.py prints and `kcat -K'\t'` produces into
 * Kafka). Every line becomes the request aerosink sends for it with the bench's mapping: the
 * Kafka key as a string user key (StringConverter), the JSON value (JsonConverter without
 * schemas) with every top-level field a bin, namespace and set static. The requests are built
 * with the sink's own converter and mapping code before the measured run starts, so the
 * aerospike-only baseline writes byte for byte what the e2e run writes, and pays no decoding. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "convert/convert.h"
#include "mapping/mapping.h"

struct entry {
    size_t off;
    uint32_t len;
    uint8_t digest[AERO_DIGEST_SZ];
};

struct bench_records {
    struct buf reqs;           /* every request, one after the other */
    struct entry *at;
    size_t n, cap;
};

/* One line (without its newline) -> one request appended to r->reqs. */
static enum status add_line(struct bench_records *r, const struct mapping *map,
                            struct conv_converter *kc, struct conv_converter *vc,
                            struct conv_doc *kd, struct conv_doc *vd, const char *line, size_t n,
                            uint32_t ttl_ms, struct err *e)
{
    const char *tab = memchr(line, '\t', n);
    struct mapping_result res;
    struct mapping_input in;
    size_t at = r->reqs.len;
    enum status st;

    if (!tab)
        return err_set(e, ST_PARSE, "no TAB between key and value");
    if ((st = conv_decode(kc, (const uint8_t *)line, (size_t)(tab - line), kd, e)) != ST_OK)
        return st;
    if ((st = conv_decode(vc, (const uint8_t *)tab + 1, n - (size_t)(tab + 1 - line), vd, e)) != ST_OK)
        return st;
    in = (struct mapping_input){.key = kd, .value = vd, .now_ms = clock_wall_ms(),
                                .kafka_ts_ms = -1, .transaction_ttl_ms = ttl_ms};
    if ((st = mapping_encode(map, &in, &r->reqs, &res, e)) != ST_OK)
        return st;
    if (res.action != MAPPING_WRITE)
        return err_set(e, ST_MAPPING, "the mapping made no write of it (%s)",
                       res.skip_reason ? res.skip_reason : "a delete");
    if (!mem_grow(&r->at, &r->cap, r->n + 1, sizeof(*r->at), 4096))
        return err_set(e, ST_NOMEM, "out of memory");
    r->at[r->n].off = at;
    r->at[r->n].len = (uint32_t)(r->reqs.len - at);
    memcpy(r->at[r->n].digest, res.digest, AERO_DIGEST_SZ);
    r->n++;
    return ST_OK;
}

struct bench_records *bench_records_load(const char *path, const char *ns, const char *set,
                                         uint32_t ttl_ms, struct err *e)
{
    static const char *const json_props[] = {"schemas.enable", "false", NULL};
    struct mapping_spec spec = {
        .topic = "aero-bench", .op = MAPPING_OP_WRITE,
        .ns = {MAPPING_SRC_STATIC, ns}, .set = {MAPPING_SRC_STATIC, set},
        .key_kind = MAPPING_KEY_KAFKA_KEY, .all_value_fields = true,
    };
    struct bench_records *r = mem_calloc(1, sizeof(*r));
    struct mapping *map = mapping_new(&spec, e);
    struct conv_converter *kc = conv_converter_new("StringConverter", NULL, e);
    struct conv_converter *vc = conv_converter_new("JsonConverter", json_props, e);
    struct conv_doc *kd = conv_doc_new(), *vd = conv_doc_new();
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t lcap = 0, lineno = 0;
    ssize_t got;
    bool ok = false;

    if (!f) {
        err_set(e, ST_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!r || !kd || !vd) {
        err_set(e, ST_NOMEM, "out of memory");
        goto out;
    }
    if (!map || !kc || !vc)      /* @e says which */
        goto out;
    while ((got = getline(&line, &lcap, f)) >= 0) {
        size_t n = (size_t)got;
        struct err le = {0};
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        if (add_line(r, map, kc, vc, kd, vd, line, n, ttl_ms, &le) != ST_OK) {
            err_set(e, le.status, "%s:%zu: %s", path, lineno, le.msg);
            goto out;
        }
    }
    if (ferror(f)) {
        err_set(e, ST_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (r->n == 0) {
        err_set(e, ST_USAGE, "%s: no records (lines KEY<TAB>JSON)", path);
        goto out;
    }
    ok = true;
out:
    if (f)
        fclose(f);
    free(line);                /* getline's own buffer */
    conv_doc_free(kd);
    conv_doc_free(vd);
    conv_converter_free(kc);
    conv_converter_free(vc);
    mapping_free(map);
    if (!ok) {
        bench_records_free(r);
        return NULL;
    }
    return r;
}

void bench_records_free(struct bench_records *r)
{
    if (!r)
        return;
    buf_free(&r->reqs);
    mem_free(r->at);
    mem_free(r);
}

size_t bench_records_count(const struct bench_records *r)
{
    return r->n;
}

size_t bench_records_bytes(const struct bench_records *r)
{
    return r->reqs.len;
}

const uint8_t *bench_records_get(const struct bench_records *r, size_t i, uint32_t *len,
                                 const uint8_t **digest)
{
    *len = r->at[i].len;
    *digest = r->at[i].digest;
    return r->reqs.p + r->at[i].off;
}
