/* Golden values per format, end to end through the real binaries (issue 8, item 1): one logical
 * record set produced three ways - plain JSON, Connect JSON with schemas, Avro registered in
 * the Schema Registry - to three topics, consumed by three connectors of one `aerosink
 * standalone` into three sets. The Connect JSON and Avro records must land byte-identical bin by
 * bin; plain JSON too, except where the formats genuinely differ (bytes and decimals have no
 * JSON type: documented in tests/data/formats/README.md and asserted here). Every bin is also
 * checked against the particle and bytes the documented mapping gives, built here
 * independently of aerosink's encoder. Keys: JSON, Connect JSON and Avro key converters, string
 * and integer keys.
 * Real systems: KAFKA_BOOTSTRAP, AEROSPIKE_HOSTS, SCHEMA_REGISTRY_URL (all names are unique
 * per run). */
#include <float.h>
#include <signal.h>

#include "../harness.h"
#include "../support/avro_enc.h"
#include "../support/e2e.h"
#include "../support/fmt_e2e.h"
#include "../support/registry.h"
#include "../support/testutil.h"

#define N 40

static const char *src_root(void)
{
    const char *s = getenv("AEROSINK_SRC");
    return s && *s ? s : ".";
}

static char *fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/formats/%s", src_root(), name);
    char *t = tu_read_file(path, NULL);
    if (!t)
        TEST_FAIL("cannot read %s", path);
    return t;
}

/* --- the logical record --- */

struct golden {
    int64_t id;
    char name[96];
    int32_t small;
    double score;
    float ratio;
    bool active;
    int ntags;
    char tags[3][32];
    int nattrs;
    char attr_keys[2][8];
    int64_t attr_vals[2];
    char city[32];
    bool has_zip;
    char zip[16];
    bool verified;
    double geo[2];
    int nitems;
    char sku[3][32];
    int32_t qty[3];
    uint8_t blob[16];
    size_t nblob;
    int64_t price;           /* unscaled, scale 2 */
    int32_t day;
    int64_t ts;
    bool has_note;
    char note[16];
    const char *kind;
    bool has_opt;
    int64_t opt;
    bool str_key;            /* key "k-i" (string) or 1000+i (integer) */
    char skey[16];
    int64_t ikey;
};

static void golden_of(int i, struct golden *g)
{
    memset(g, 0, sizeof(*g));
    g->id = i == 1 ? INT64_MAX : i == 2 ? INT64_MIN : (int64_t)i * 123456789 - 1000;
    snprintf(g->name, sizeof(g->name), "Zo\xc3\xab \"q\" \xe2\x98\x83 \\ tab\t i=%d", i);
    g->small = i == 1 ? INT32_MAX : i == 2 ? INT32_MIN : i * 7 - 100;
    g->score = i == 3 ? 1e-300 : i == 4 ? -2.5e10 : i == 5 ? DBL_MAX : i * 1.5 + 0.1;
    g->ratio = (float)(i % 8) * 0.25f - 1.0f;   /* exact in float and in JSON text */
    g->active = i % 2;
    g->ntags = i % 4;
    for (int k = 0; k < g->ntags; k++)
        snprintf(g->tags[k], sizeof(g->tags[k]), "t%d-%d", k, i);
    g->nattrs = i % 3 ? 2 : 0;
    snprintf(g->attr_keys[0], 8, "a");
    snprintf(g->attr_keys[1], 8, "b");
    g->attr_vals[0] = i;
    g->attr_vals[1] = -(int64_t)i * 100000;
    snprintf(g->city, sizeof(g->city), "City %d", i);
    g->has_zip = i % 2;
    snprintf(g->zip, sizeof(g->zip), "Z%d", i);
    g->verified = i % 3 == 0;
    g->geo[0] = i * 0.5;
    g->geo[1] = -i * 0.25;
    g->nitems = i % 3;
    for (int k = 0; k < g->nitems; k++) {
        snprintf(g->sku[k], sizeof(g->sku[k]), "s-%d-%d", i, k);
        g->qty[k] = k * 10 - 5;
    }
    g->nblob = (size_t)(i % 5) * 3;
    for (size_t k = 0; k < g->nblob; k++)
        g->blob[k] = (uint8_t)(i * 31 + (int)k * 97);   /* includes 0x00 and bytes >= 0x80 */
    g->price = (int64_t)i * 12345 - 50000;
    if (i == 6)
        g->price = 5;   /* "0.05" */
    g->day = 19000 + i;
    g->ts = 1700000000000 + (int64_t)i * 1001;
    g->has_note = i % 2;
    snprintf(g->note, sizeof(g->note), "n%d", i);
    g->kind = i % 2 ? "WHOLESALE" : "RETAIL";
    g->has_opt = i % 3 != 0;
    g->opt = (int64_t)i * 11;
    g->str_key = i % 2 == 0;
    snprintf(g->skey, sizeof(g->skey), "k-%d", i);
    g->ikey = 1000 + i;
}

/* Decimal text of @unscaled at scale 2, as aerosink renders decimals ("-500.00", "0.05"). */
static void dec_text(int64_t unscaled, char *out, size_t cap)
{
    uint64_t u = unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
    snprintf(out, cap, "%s%llu.%02llu", unscaled < 0 ? "-" : "", (unsigned long long)(u / 100),
             (unsigned long long)(u % 100));
}

static void b64(struct buf *b, const uint8_t *p, size_t n)
{
    char tmp[64];
    base64_encode(p, n, tmp);
    buf_append(b, tmp, base64_encoded_len(n));
}

/* A double as Java/Jackson writes it: always with a fraction or exponent ("0.0", not "0"), since
 * schemaless JSON reads "0" as an integer. */
static void jdbl(struct buf *b, double d, const char *fmt)
{
    char t[64];
    snprintf(t, sizeof(t), fmt, d);
    buf_append_str(b, t);
    if (!strpbrk(t, ".eEn"))
        buf_append_str(b, ".0");
}

/* The payload as JSON. connect: bytes/decimal as Connect writes them (base64); plain: blob as a
 * base64 string (schemaless JSON has no bytes) and price as a JSON number. */
static void json_payload(struct buf *b, const struct golden *g, bool connect)
{
    char num[64];
    buf_printf(b, "{\"id\":%lld,\"name\":", (long long)g->id);
    json_append_str(b, g->name, strlen(g->name));
    buf_printf(b, ",\"small\":%d,\"score\":", g->small);
    jdbl(b, g->score, "%.17g");
    buf_append_str(b, ",\"ratio\":");
    jdbl(b, (double)g->ratio, "%.9g");
    buf_printf(b, ",\"active\":%s,\"tags\":[", g->active ? "true" : "false");
    for (int k = 0; k < g->ntags; k++)
        buf_printf(b, "%s\"%s\"", k ? "," : "", g->tags[k]);
    buf_append_str(b, "],\"attrs\":{");
    for (int k = 0; k < g->nattrs; k++)
        buf_printf(b, "%s\"%s\":%lld", k ? "," : "", g->attr_keys[k], (long long)g->attr_vals[k]);
    buf_printf(b, "},\"address\":{\"city\":\"%s\",\"zip\":", g->city);
    if (g->has_zip)
        buf_printf(b, "\"%s\"", g->zip);
    else
        buf_append_str(b, "null");
    buf_printf(b, ",\"verified\":%s,\"geo\":[", g->verified ? "true" : "false");
    jdbl(b, g->geo[0], "%.17g");
    buf_append_str(b, ",");
    jdbl(b, g->geo[1], "%.17g");
    buf_append_str(b, "]},\"items\":[");
    for (int k = 0; k < g->nitems; k++)
        buf_printf(b, "%s{\"sku\":\"%s\",\"qty\":%d}", k ? "," : "", g->sku[k], g->qty[k]);
    buf_append_str(b, "],\"blob\":\"");
    b64(b, g->blob, g->nblob);
    buf_append_str(b, "\",\"price\":");
    if (connect) {
        uint8_t d[8];
        buf_append_str(b, "\"");
        b64(b, d, avro_decimal_unscaled(g->price, d));
        buf_append_str(b, "\"");
    } else {
        dec_text(g->price, num, sizeof(num));
        buf_append_str(b, num);
    }
    buf_printf(b, ",\"day\":%d,\"ts\":%lld,\"note\":", g->day, (long long)g->ts);
    if (g->has_note)
        buf_printf(b, "\"%s\"", g->note);
    else
        buf_append_str(b, "null");
    buf_printf(b, ",\"kind\":\"%s\",\"opt\":", g->kind);
    if (g->has_opt)
        buf_printf(b, "%lld", (long long)g->opt);
    else
        buf_append_str(b, "null");
    buf_append_str(b, "}");
}

static void avro_value(struct buf *b, uint32_t id, const struct golden *g)
{
    avro_frame(b, id);
    avro_long(b, g->id);
    avro_cstring(b, g->name);
    avro_int(b, g->small);
    avro_double(b, g->score);
    avro_float(b, g->ratio);
    avro_bool(b, g->active);
    if (g->ntags) {
        avro_block(b, g->ntags);
        for (int k = 0; k < g->ntags; k++)
            avro_cstring(b, g->tags[k]);
    }
    avro_block(b, 0);
    if (g->nattrs) {
        avro_block(b, g->nattrs);
        for (int k = 0; k < g->nattrs; k++) {
            avro_cstring(b, g->attr_keys[k]);
            avro_long(b, g->attr_vals[k]);
        }
    }
    avro_block(b, 0);
    avro_cstring(b, g->city);
    avro_long(b, g->has_zip);   /* union branch */
    if (g->has_zip)
        avro_cstring(b, g->zip);
    avro_bool(b, g->verified);
    avro_block(b, 2);
    avro_double(b, g->geo[0]);
    avro_double(b, g->geo[1]);
    avro_block(b, 0);
    if (g->nitems) {
        avro_block(b, -(int64_t)g->nitems);   /* a negative count is followed by the block's size */
        struct buf items = BUF_INIT;
        for (int k = 0; k < g->nitems; k++) {
            avro_cstring(&items, g->sku[k]);
            avro_int(&items, g->qty[k]);
        }
        avro_long(b, (int64_t)items.len);
        buf_append(b, items.p, items.len);
        buf_free(&items);
    }
    avro_block(b, 0);
    avro_bytes(b, g->blob, g->nblob);
    avro_decimal(b, g->price);
    avro_int(b, g->day);
    avro_long(b, g->ts);
    avro_long(b, g->has_note);
    if (g->has_note)
        avro_cstring(b, g->note);
    avro_int(b, strcmp(g->kind, "WHOLESALE") == 0);   /* enum symbol index */
    avro_long(b, g->has_opt);
    if (g->has_opt)
        avro_long(b, g->opt);
}

/* --- the documented mapping, written independently: value -> particle + bytes --- */

static void mp_hdr(struct buf *b, uint8_t fix, uint8_t t16, uint8_t t32, uint32_t n, uint32_t fixmax)
{
    if (n < fixmax)
        buf_put_u8(b, (uint8_t)(fix | n));
    else if (n <= 0xffff) {
        buf_put_u8(b, t16);
        buf_put_u16be(b, (uint16_t)n);
    } else {
        buf_put_u8(b, t32);
        buf_put_u32be(b, n);
    }
}
static void mp_arr(struct buf *b, uint32_t n) { mp_hdr(b, 0x90, 0xdc, 0xdd, n, 16); }
static void mp_map(struct buf *b, uint32_t n) { mp_hdr(b, 0x80, 0xde, 0xdf, n, 16); }
static void mp_prefixed(struct buf *b, uint8_t prefix, const void *p, size_t n)
{
    if (n + 1 < 32)
        buf_put_u8(b, (uint8_t)(0xa0 | (n + 1)));
    else {
        buf_put_u8(b, 0xd9);
        buf_put_u8(b, (uint8_t)(n + 1));
    }
    buf_put_u8(b, prefix);
    buf_append(b, p, n);
}
static void mp_str(struct buf *b, const char *s) { mp_prefixed(b, 3, s, strlen(s)); }
static void mp_int(struct buf *b, int64_t v)
{
    if (v >= 0 && v < 128)
        buf_put_u8(b, (uint8_t)v);
    else if (v < 0 && v >= -32)
        buf_put_u8(b, (uint8_t)(int8_t)v);
    else if (v >= 0 && v <= 0xff) {
        buf_put_u8(b, 0xcc);
        buf_put_u8(b, (uint8_t)v);
    } else if (v >= 0 && v <= 0xffff) {
        buf_put_u8(b, 0xcd);
        buf_put_u16be(b, (uint16_t)v);
    } else if (v >= 0 && v <= 0xffffffffll) {
        buf_put_u8(b, 0xce);
        buf_put_u32be(b, (uint32_t)v);
    } else if (v >= 0) {
        buf_put_u8(b, 0xcf);
        buf_put_u64be(b, (uint64_t)v);
    } else if (v >= INT8_MIN) {
        buf_put_u8(b, 0xd0);
        buf_put_u8(b, (uint8_t)(int8_t)v);
    } else if (v >= INT16_MIN) {
        buf_put_u8(b, 0xd1);
        buf_put_u16be(b, (uint16_t)(int16_t)v);
    } else if (v >= INT32_MIN) {
        buf_put_u8(b, 0xd2);
        buf_put_u32be(b, (uint32_t)(int32_t)v);
    } else {
        buf_put_u8(b, 0xd3);
        buf_put_u64be(b, (uint64_t)v);
    }
}
static void mp_dbl(struct buf *b, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    buf_put_u8(b, 0xcb);
    buf_put_u64be(b, u);
}

static void be64(struct buf *b, uint64_t v)
{
    buf_put_u64be(b, v);
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static void want_bin(const struct aero_record *rec, const char *bin, uint8_t particle, const struct buf *want,
                     const char *what)
{
    struct aero_bin_view v;
    if (!aero_record_bin(rec, bin, &v))
        TEST_FAIL("%s: bin '%s' missing", what, bin);
    if (v.particle != particle)
        TEST_FAIL("%s: bin '%s' particle %u, expected %u", what, bin, v.particle, particle);
    if (v.value_len != want->len || memcmp(v.value, want->p, want->len) != 0) {
        char got[1024], exp[1024];
        test_hex_dump_(v.value, MIN(v.value_len, 300u), got, sizeof(got));
        test_hex_dump_(want->p, MIN(want->len, 300u), exp, sizeof(exp));
        TEST_FAIL("%s: bin '%s' bytes:\n      got:      %s\n      expected: %s", what, bin, got, exp);
    }
}

/* Every bin of a Connect JSON / Avro record, as the mapping table says (booleans at the top
 * level as INTEGER 1/0: aerospike.boolean-particle defaults to integer). */
static void check_documented_mapping(const struct aero_record *rec, const struct golden *g, const char *what)
{
    struct buf b = BUF_INIT;
    char dec[64];
    int bins = 15;

#define WANT(bin, pt)                        \
    do {                                     \
        want_bin(rec, bin, pt, &b, what);    \
        buf_reset(&b);                       \
    } while (0)
    be64(&b, (uint64_t)g->id);
    WANT("id", AERO_PT_INTEGER);
    buf_append_str(&b, g->name);
    WANT("name", AERO_PT_STRING);
    be64(&b, (uint64_t)(int64_t)g->small);
    WANT("small", AERO_PT_INTEGER);
    be64(&b, dbits(g->score));
    WANT("score", AERO_PT_FLOAT);
    be64(&b, dbits((double)g->ratio));
    WANT("ratio", AERO_PT_FLOAT);
    be64(&b, g->active);
    WANT("active", AERO_PT_INTEGER);
    mp_arr(&b, (uint32_t)g->ntags);
    for (int k = 0; k < g->ntags; k++)
        mp_str(&b, g->tags[k]);
    WANT("tags", AERO_PT_LIST);
    mp_map(&b, (uint32_t)g->nattrs);
    for (int k = 0; k < g->nattrs; k++) {
        mp_str(&b, g->attr_keys[k]);
        mp_int(&b, g->attr_vals[k]);
    }
    WANT("attrs", AERO_PT_MAP);
    mp_map(&b, 4);
    mp_str(&b, "city");
    mp_str(&b, g->city);
    mp_str(&b, "zip");
    if (g->has_zip)
        mp_str(&b, g->zip);
    else
        buf_put_u8(&b, 0xc0);   /* nested nulls stay (only top-level null fields are omitted) */
    mp_str(&b, "verified");
    buf_put_u8(&b, g->verified ? 0xc3 : 0xc2);   /* nested booleans are msgpack booleans */
    mp_str(&b, "geo");
    mp_arr(&b, 2);
    mp_dbl(&b, g->geo[0]);
    mp_dbl(&b, g->geo[1]);
    WANT("address", AERO_PT_MAP);
    mp_arr(&b, (uint32_t)g->nitems);
    for (int k = 0; k < g->nitems; k++) {
        mp_map(&b, 2);
        mp_str(&b, "sku");
        mp_str(&b, g->sku[k]);
        mp_str(&b, "qty");
        mp_int(&b, g->qty[k]);
    }
    WANT("items", AERO_PT_LIST);
    buf_append(&b, g->blob, g->nblob);
    WANT("blob", AERO_PT_BLOB);
    dec_text(g->price, dec, sizeof(dec));
    buf_append_str(&b, dec);
    WANT("price", AERO_PT_STRING);
    be64(&b, (uint64_t)(int64_t)g->day);
    WANT("day", AERO_PT_INTEGER);
    be64(&b, (uint64_t)g->ts);
    WANT("ts", AERO_PT_INTEGER);
    if (g->has_note) {
        buf_append_str(&b, g->note);
        WANT("note", AERO_PT_STRING);
        bins++;
    } else {
        struct aero_bin_view v;
        if (aero_record_bin(rec, "note", &v))
            TEST_FAIL("%s: a null field must not become a bin", what);
    }
    buf_append_str(&b, g->kind);
    WANT("kind", AERO_PT_STRING);
    if (g->has_opt) {
        be64(&b, (uint64_t)g->opt);
        WANT("opt", AERO_PT_INTEGER);
        bins++;
    }
#undef WANT
    ASSERT_EQ_INT(fmt_bin_count(rec), bins);
    buf_free(&b);
}

/* The documented differences of schemaless JSON: bytes arrive as their base64 text (STRING) and a
 * decimal written as a JSON number is a double (FLOAT). */
static void check_plain_json_differences(const struct aero_record *json, const struct golden *g, const char *what)
{
    struct buf b = BUF_INIT;
    char dec[64];
    b64(&b, g->blob, g->nblob);
    want_bin(json, "blob", AERO_PT_STRING, &b, what);
    buf_reset(&b);
    dec_text(g->price, dec, sizeof(dec));
    be64(&b, dbits(strtod(dec, NULL)));
    want_bin(json, "price", AERO_PT_FLOAT, &b, what);
    buf_free(&b);
}

/* --- the test --- */

TEST(avro_encoder_matches_the_spec_vectors)
{
    uint8_t t[10], d[8];
    /* Avro spec, "Binary Encoding": zigzag */
    static const struct {
        int64_t v;
        const char *hex;
    } zz[] = {{0, "00"}, {-1, "01"}, {1, "02"}, {-2, "03"}, {2, "04"}, {-64, "7f"}, {64, "80 01"},
              {INT32_MAX, "fe ff ff ff 0f"}, {INT32_MIN, "ff ff ff ff 0f"},
              {INT64_MAX, "fe ff ff ff ff ff ff ff ff 01"}, {INT64_MIN, "ff ff ff ff ff ff ff ff ff 01"}};
    for (size_t i = 0; i < ARRAY_LEN(zz); i++) {
        size_t n = avro_zigzag(zz[i].v, t);
        ASSERT_EQ_INT(n, HEX_LEN(zz[i].hex));
        ASSERT_EQ_MEM(t, HEX(zz[i].hex), n);
    }
    /* BigInteger.toByteArray(): minimal two's complement */
    static const struct {
        int64_t v;
        const char *hex;
    } dd[] = {{0, "00"}, {1, "01"}, {127, "7f"}, {128, "00 80"}, {-1, "ff"}, {-128, "80"}, {-129, "ff 7f"},
              {12345, "30 39"}, {-50000, "ff 3c b0"}, {INT64_MIN, "80 00 00 00 00 00 00 00"}};
    for (size_t i = 0; i < ARRAY_LEN(dd); i++) {
        size_t n = avro_decimal_unscaled(dd[i].v, d);
        ASSERT_EQ_INT(n, HEX_LEN(dd[i].hex));
        ASSERT_EQ_MEM(d, HEX(dd[i].hex), n);
    }
    struct buf b = BUF_INIT;
    avro_frame(&b, 0x01020304);
    avro_float(&b, 1.5f);
    avro_double(&b, -2.0);
    ASSERT_EQ_INT(b.len, 5 + 4 + 8);
    ASSERT_EQ_MEM(b.p, HEX("00 01020304 0000c03f 00000000000000c0"), b.len);
    buf_free(&b);
}

TEST(same_record_as_plain_json_connect_json_and_avro_lands_byte_identical)
{
    char boot[256], hosts[256], tj[96], tc[96], ta[96], sj[64], sc[64], sa[64];
    snprintf(tj, sizeof(tj), "%s", fmt_name("gold-json"));
    snprintf(tc, sizeof(tc), "%s", fmt_name("gold-connect"));
    snprintf(ta, sizeof(ta), "%s", fmt_name("gold-avro"));
    snprintf(sj, sizeof(sj), "%s", fmt_name("gj"));
    snprintf(sc, sizeof(sc), "%s", fmt_name("gc"));
    snprintf(sa, sizeof(sa), "%s", fmt_name("ga"));
    char t1[128], t2[128], t3[128];
    snprintf(t1, sizeof(t1), "%s:2", tj);
    snprintf(t2, sizeof(t2), "%s:2", tc);
    snprintf(t3, sizeof(t3), "%s:2", ta);
    const char *topics[] = {t1, t2, t3, NULL};
    struct tu_proc *kafka = fmt_kafka_start(topics, boot, sizeof(boot));
    struct tu_proc *aero = tu_aerospike_start(NULL, hosts, sizeof(hosts));
    struct tu_registry reg;
    tu_registry_start(&reg, 0, NULL, NULL);

    /* schemas: the value schema from the fixture, string and long key schemas */
    char *avsc = fixture("golden.avsc"), *cschema = fixture("golden.connect.json");
    char subject[160];
    snprintf(subject, sizeof(subject), "%s-value", ta);
    uint32_t vid = tu_registry_register(&reg, subject, avsc);
    snprintf(subject, sizeof(subject), "%s-key", ta);
    uint32_t kid_str = tu_registry_register(&reg, subject, "\"string\"");
    snprintf(subject, sizeof(subject), "%s-intkey", ta);
    uint32_t kid_long = tu_registry_register(&reg, subject, "{\"type\": \"long\"}");
    ASSERT_TRUE(vid != kid_str && kid_str != kid_long);

    struct fmt_producer *p = fmt_producer_new(boot);
    struct buf k = BUF_INIT, v = BUF_INIT;
    for (int i = 0; i < N; i++) {
        struct golden g;
        golden_of(i, &g);
        /* plain JSON key and value */
        buf_reset(&k);
        buf_reset(&v);
        if (g.str_key)
            buf_printf(&k, "\"%s\"", g.skey);
        else
            buf_printf(&k, "%lld", (long long)g.ikey);
        json_payload(&v, &g, false);
        fmt_send(p, tj, i % 2, k.p, k.len, v.p, (long)v.len, NULL);
        /* Connect JSON: {"schema":..., "payload":...} for key and value */
        buf_reset(&k);
        buf_reset(&v);
        if (g.str_key)
            buf_printf(&k, "{\"schema\":{\"type\":\"string\",\"optional\":false},\"payload\":\"%s\"}", g.skey);
        else
            buf_printf(&k, "{\"schema\":{\"type\":\"int64\",\"optional\":false},\"payload\":%lld}", (long long)g.ikey);
        buf_printf(&v, "{\"schema\":%s,\"payload\":", cschema);
        json_payload(&v, &g, true);
        buf_append_str(&v, "}");
        fmt_send(p, tc, i % 2, k.p, k.len, v.p, (long)v.len, NULL);
        /* Avro */
        buf_reset(&k);
        buf_reset(&v);
        if (g.str_key) {
            avro_frame(&k, kid_str);
            avro_cstring(&k, g.skey);
        } else {
            avro_frame(&k, kid_long);
            avro_long(&k, g.ikey);
        }
        avro_value(&v, vid, &g);
        fmt_send(p, ta, i % 2, k.p, k.len, v.p, (long)v.len, NULL);
    }
    fmt_producer_free(p);

    /* one aerosink, three connectors, one per format */
    const char *dir = tu_tmpdir();
    struct buf seeds = BUF_INIT, props = BUF_INIT;
    fmt_seeds_yaml(hosts, &seeds);
    const char *const tname[3] = {tj, tc, ta}, *const sname[3] = {sj, sc, sa};
    const char *const label[3] = {"json", "connect", "avro"};
    char conn[3][512], worker[512];
    for (int f = 0; f < 3; f++) {
        char file[64];
        snprintf(file, sizeof(file), "map-%s.yml", label[f]);
        fmt_file(dir, file,
                 "%sprocessing-threads: 2\ntopics:\n  %s:\n    invalid-record: kill-task\n"
                 "    mapping:\n      namespace: {mode: static, value: test}\n"
                 "      set: {mode: static, value: %s}\n      key-field: {source: key}\n"
                 "      bins: {type: multi-bins, all-value-fields: true}\n",
                 buf_cstr(&seeds), tname[f], sname[f]);
        buf_reset(&props);
        buf_printf(&props, "name=golden-%s-%d\nconnector.class=aerosink\ntopics=%s\naerospike.config.file=%s\n"
                   "errors.tolerance=none\n", label[f], (int)getpid(), tname[f], file);
        if (f == 0)
            buf_append_str(&props, "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                                   "key.converter.schemas.enable=false\n"
                                   "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                                   "value.converter.schemas.enable=false\n");
        else if (f == 1)
            buf_append_str(&props, "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                                   "key.converter.schemas.enable=true\n"
                                   "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                                   "value.converter.schemas.enable=true\n");
        else {
            buf_append_str(&props, "key.converter=io.confluent.connect.avro.AvroConverter\n"
                                   "value.converter=io.confluent.connect.avro.AvroConverter\n");
            tu_registry_props(&reg, "key.converter.", &props);
            tu_registry_props(&reg, "value.converter.", &props);
        }
        snprintf(file, sizeof(file), "%s.properties", label[f]);
        snprintf(conn[f], sizeof(conn[f]), "%s", fmt_file(dir, file, "%s", buf_cstr(&props)));
    }
    snprintf(worker, sizeof(worker), "%s",
             fmt_file(dir, "worker.properties",
                      "bootstrap.servers=%s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
                      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                      "offset.flush.interval.ms=500\nconsumer.fetch.wait.max.ms=20\n"
                      "consumer.session.timeout.ms=6000\nconsumer.auto.offset.reset=earliest\n",
                      boot));
    const char *conns[] = {conn[0], conn[1], conn[2], NULL};
    const char *extra[] = {"--exit-when-drained", NULL};
    uint64_t t0 = clock_mono_ms();
    struct tu_proc *sink = fmt_sink_start(worker, conns, extra);
    char *log = NULL;
    int rc = fmt_sink_stop(sink, 0, 120000, &log);
    if (rc != 0 || fmt_sanitizer_report(log))
        TEST_FAIL("aerosink exit %d:\n%s", rc, log);
    fprintf(stderr, "    aerosink ran %llu ms for %d records x 3 formats\n",
            (unsigned long long)(clock_mono_ms() - t0), N);
    tu_proc_free(sink);

    struct e2e_aero a;
    e2e_aero_open(&a, hosts);
    const char *const diff[] = {"blob", "price", NULL};
    for (int i = 0; i < N; i++) {
        struct golden g;
        struct aero_record r[3] = {{0}, {0}, {0}};
        struct aero_key_value key;
        char why[2048], what[96];
        golden_of(i, &g);
        key = g.str_key ? fmt_key_str(g.skey) : fmt_key_int(g.ikey);
        for (int f = 0; f < 3; f++) {
            enum status st = fmt_get(&a, "test", sname[f], &key, &r[f]);
            if (st != ST_OK)
                TEST_FAIL("record %d (%s key) missing from the %s set: %s", i, g.str_key ? "string" : "integer",
                          label[f], status_name(st));
        }
        snprintf(what, sizeof(what), "record %d (Connect JSON)", i);
        check_documented_mapping(&r[1], &g, what);
        snprintf(what, sizeof(what), "record %d (Avro)", i);
        check_documented_mapping(&r[2], &g, what);
        if (!fmt_bins_equal(&r[2], &r[1], NULL, why, sizeof(why)))
            TEST_FAIL("record %d: Avro vs Connect JSON: %s", i, why);
        if (!fmt_bins_equal(&r[0], &r[1], diff, why, sizeof(why)))
            TEST_FAIL("record %d: plain JSON vs Connect JSON: %s", i, why);
        snprintf(what, sizeof(what), "record %d (plain JSON)", i);
        check_plain_json_differences(&r[0], &g, what);
        for (int f = 0; f < 3; f++)
            aero_record_free(&r[f]);
    }
    for (int f = 0; f < 3; f++)
        ASSERT_EQ_INT(e2e_count_objects(hosts, "test", sname[f]), N);
    e2e_aero_close(&a);
    if (!tu_registry_is_real()) {
        /* fetched once per processing thread (each has its own converter and cache), never per
         * record: 20 records of each schema id per partition */
        uint32_t ids[3] = {vid, kid_str, kid_long};
        for (int j = 0; j < 3; j++) {
            ASSERT_CMP_INT(tu_registry_gets(&reg, ids[j]), >=, 1);
            ASSERT_CMP_INT(tu_registry_gets(&reg, ids[j]), <=, 2);
        }
    }
    ASSERT_EQ_INT(tu_registry_stop(&reg), 0);
    mem_free(log);
    mem_free(avsc);
    mem_free(cschema);
    buf_free(&k);
    buf_free(&v);
    buf_free(&seeds);
    buf_free(&props);
    tu_proc_free(kafka);
    tu_proc_free(aero);
}

TEST_LIST = {
    T(avro_encoder_matches_the_spec_vectors),
    T(same_record_as_plain_json_connect_json_and_avro_lands_byte_identical),
    {0},
};
