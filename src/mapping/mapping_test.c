/* Unit tests for src/mapping: decoded JSON records -> Aerospike request bytes. */
#include "../../tests/harness.h"
#include "mapping.h"

struct fx {
    struct conv_converter *json, *str;
    struct conv_doc *key, *val;
    struct buf req;
    struct mapping_result res;
    struct err e;
    struct aero_msg_view v;
    int64_t ts_ms;              /* the record's Kafka timestamp (-1: none) */
    uint8_t *digest_block;      /* mapping_input.digest_block (NULL: digest computed inline) */
};

static void fx_init(struct fx *f)
{
    static const char *const props[] = {"schemas.enable", "false", NULL};
    memset(f, 0, sizeof(*f));
    f->ts_ms = -1;
    f->json = conv_converter_new("org.apache.kafka.connect.json.JsonConverter", props, &f->e);
    f->str = conv_converter_new("org.apache.kafka.connect.storage.StringConverter", NULL, &f->e);
    f->key = conv_doc_new();
    f->val = conv_doc_new();
    ASSERT_TRUE(f->json && f->str && f->key && f->val);
}

static void fx_free(struct fx *f)
{
    conv_converter_free(f->json);
    conv_converter_free(f->str);
    conv_doc_free(f->key);
    conv_doc_free(f->val);
    buf_free(&f->req);
}

/* Map one record (string key or NULL, JSON value or NULL); returns the status. */
static enum status run(struct fx *f, const struct mapping *m, const char *key, const char *json,
                       const struct mapping_header *h, size_t nh)
{
    struct mapping_input in = {.key = f->key, .value = f->val, .headers = h, .n_headers = nh,
                               .now_ms = 1700000000000ull, .kafka_ts_ms = f->ts_ms, .transaction_ttl_ms = 1000,
                               .digest_block = f->digest_block};
    buf_reset(&f->req);
    err_clear(&f->e);
    ASSERT_OK(conv_decode(f->str, (const uint8_t *)key, key ? strlen(key) : 0, f->key, &f->e));
    ASSERT_OK_E(conv_decode(f->json, (const uint8_t *)json, json ? strlen(json) : 0, f->val, &f->e), &f->e);
    enum status st = mapping_encode(m, &in, &f->req, &f->res, &f->e);
    if (st == ST_OK && f->res.action != MAPPING_SKIP) {
        ASSERT_CMP_INT(f->req.len, >=, 30);
        ASSERT_EQ_U64(load_u64be(f->req.p) & 0xFFFFFFFFFFFFull, f->req.len - 8);
        ASSERT_OK(aero_msg_parse(f->req.p + 8, f->req.len - 8, &f->v, &f->e));
        ASSERT_TRUE(f->v.end == f->req.p + f->req.len);
    } else {
        ASSERT_EQ_INT(f->req.len, 0);   /* nothing appended on error or skip */
    }
    return st;
}

/* Find field @type in the parsed request. */
static bool field(const struct fx *f, uint8_t type, const uint8_t **data, uint32_t *n)
{
    const uint8_t *c = f->v.fields;
    for (unsigned i = 0; i < f->v.n_fields; i++) {
        uint32_t sz = load_u32be(c);
        if (c[4] == type) {
            *data = c + 5;
            *n = sz - 1;
            return true;
        }
        c += 4 + sz;
    }
    return false;
}

static bool bin(const struct fx *f, const char *name, struct aero_bin_view *b)
{
    const uint8_t *cur = f->v.ops;
    while (aero_msg_next_bin(&f->v, &cur, b, NULL) == ST_OK)
        if (b->name_len == strlen(name) && memcmp(b->name, name, b->name_len) == 0)
            return true;
    return false;
}

/* Mapping @json (string key @key) is refused as a bad record, naming @text. */
static void expect_refused(struct fx *f, const struct mapping *m, const char *key, const char *json, const char *text)
{
    enum status st = run(f, m, key, json, NULL, 0);
    if (st != ST_MAPPING || !strstr(f->e.msg, text))
        TEST_FAIL("%s: %s (%s), want ST_MAPPING naming '%s'", json, status_name(st), f->e.msg, text);
}

static const struct mapping_spec base_spec = {
    .topic = "users",
    .op = MAPPING_OP_WRITE,
    .ns = {MAPPING_SRC_STATIC, "test"},
    .set = {MAPPING_SRC_STATIC, "demo"},
    .key_kind = MAPPING_KEY_KAFKA_KEY,
    .all_value_fields = true,
};

TEST(all_value_fields_with_every_type)
{
    struct fx f;
    struct mapping *m;
    struct aero_bin_view b;
    const uint8_t *d;
    uint32_t n;
    uint8_t want[20];
    struct aero_key_value k = {.type = AERO_PT_STRING, .p = (const uint8_t *)"u-1001", .n = 6};

    fx_init(&f);
    m = mapping_new(&base_spec, &f.e);
    ASSERT_TRUE(m != NULL);
    ASSERT_OK_E(run(&f, m, "u-1001",
                    "{\"name\":\"Ada\",\"age\":36,\"tags\":[\"math\",1],\"vip\":true,\"score\":9.5,"
                    "\"addr\":{\"city\":\"X\"},\"gone\":null}", NULL, 0), &f.e);
    ASSERT_EQ_INT(f.res.action, MAPPING_WRITE);
    ASSERT_EQ_STR(f.res.ns, "test");
    aero_digest("demo", 4, &k, want);
    ASSERT_EQ_MEM(f.res.digest, want, 20);
    ASSERT_EQ_INT(f.v.info2, AERO_INFO2_WRITE);
    ASSERT_EQ_INT(f.v.info3, 0);
    ASSERT_EQ_INT(f.v.n_fields, 3);   /* ns, set, digest: no key without send-key */
    ASSERT_TRUE(field(&f, AERO_FIELD_NAMESPACE, &d, &n) && n == 4 && memcmp(d, "test", 4) == 0);
    ASSERT_TRUE(field(&f, AERO_FIELD_DIGEST_RIPE, &d, &n) && n == 20 && memcmp(d, want, 20) == 0);
    ASSERT_FALSE(field(&f, AERO_FIELD_KEY, &d, &n));
    ASSERT_EQ_INT(f.v.n_ops, 6);      /* null field omitted */
    ASSERT_TRUE(bin(&f, "name", &b) && b.particle == AERO_PT_STRING && b.value_len == 3);
    ASSERT_TRUE(bin(&f, "age", &b) && b.particle == AERO_PT_INTEGER && load_u64be(b.value) == 36);
    ASSERT_TRUE(bin(&f, "vip", &b) && b.particle == AERO_PT_BOOL && b.value_len == 1 && b.value[0] == 1);
    ASSERT_TRUE(bin(&f, "score", &b) && b.particle == AERO_PT_FLOAT);
    ASSERT_TRUE(bin(&f, "tags", &b) && b.particle == AERO_PT_LIST);
    ASSERT_EQ_MEM(b.value, HEX("92 a5 03 6d 61 74 68 01"), b.value_len);
    ASSERT_TRUE(bin(&f, "addr", &b) && b.particle == AERO_PT_MAP);
    ASSERT_EQ_MEM(b.value, HEX("81 a5 03 63 69 74 79 a2 03 58"), b.value_len);
    ASSERT_FALSE(bin(&f, "gone", &b));
    mapping_free(m);
    fx_free(&f);
}

TEST(renamed_bins_and_bool_as_int)
{
    struct fx f;
    struct mapping_bin bins[] = {{"amt", "amount_cents"}, {"ccy", "currency"}};
    struct mapping_spec s = base_spec;
    struct aero_bin_view b;
    s.all_value_fields = false;
    s.bins = bins;
    s.n_bins = 2;
    s.bool_as_int = true;
    fx_init(&f);
    struct mapping *m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, "k", "{\"amount_cents\":150,\"currency\":\"EUR\",\"other\":true}", NULL, 0));
    ASSERT_EQ_INT(f.v.n_ops, 2);
    ASSERT_TRUE(bin(&f, "amt", &b) && load_u64be(b.value) == 150);
    ASSERT_TRUE(bin(&f, "ccy", &b));
    ASSERT_FALSE(bin(&f, "other", &b));
    mapping_free(m);

    /* all-value-fields plus a map: a mapped field appears only under its new name */
    s.all_value_fields = true;
    m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, "k", "{\"amount_cents\":150,\"currency\":\"EUR\",\"flag\":true}", NULL, 0));
    ASSERT_EQ_INT(f.v.n_ops, 3);
    ASSERT_FALSE(bin(&f, "amount_cents", &b));
    ASSERT_TRUE(bin(&f, "flag", &b) && b.particle == AERO_PT_INTEGER && load_u64be(b.value) == 1);
    mapping_free(m);
    fx_free(&f);
}

TEST(key_from_value_field_keeps_its_type)
{
    struct fx f;
    struct mapping_spec s = base_spec;
    uint8_t want[20];
    const uint8_t *d;
    uint32_t n;
    s.key_kind = MAPPING_KEY_VALUE_FIELD;
    s.key_field = "id";
    s.send_key = true;
    fx_init(&f);
    struct mapping *m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, NULL, "{\"id\":42,\"v\":1}", NULL, 0));
    struct aero_key_value k = {.type = AERO_PT_INTEGER, .i = 42};
    aero_digest("demo", 4, &k, want);
    ASSERT_EQ_MEM(f.res.digest, want, 20);
    ASSERT_TRUE(field(&f, AERO_FIELD_KEY, &d, &n));
    ASSERT_EQ_MEM(d, HEX("01 00 00 00 00 00 00 00 2a"), 9);
    /* the string "42" is a different record */
    ASSERT_OK(run(&f, m, NULL, "{\"id\":\"42\",\"v\":1}", NULL, 0));
    ASSERT_TRUE(memcmp(f.res.digest, want, 20) != 0);
    /* doubles, booleans, maps cannot be keys; missing fields are named */
    ASSERT_ST(run(&f, m, NULL, "{\"id\":4.5}", NULL, 0), ST_MAPPING);
    ASSERT_CONTAINS(f.e.msg, "id");
    ASSERT_CONTAINS(f.e.msg, "a double");
    ASSERT_ST(run(&f, m, NULL, "{\"v\":1}", NULL, 0), ST_MAPPING);
    ASSERT_CONTAINS(f.e.msg, "key-field: field 'id' missing from the value");
    ASSERT_ST(run(&f, m, NULL, "[1,2]", NULL, 0), ST_MAPPING);
    ASSERT_CONTAINS(f.e.msg, "not a map/struct");
    mapping_free(m);
    fx_free(&f);
}

TEST(digest_field_in_base64)
{
    struct fx f;
    struct mapping_spec s = base_spec;
    s.op = MAPPING_OP_DELETE;
    s.key_kind = MAPPING_KEY_DIGEST_FIELD;
    s.key_field = "rec_digest";
    fx_init(&f);
    struct mapping *m = mapping_new(&s, &f.e);
    ASSERT_TRUE(m != NULL);
    /* base64 of ec91192d4b7f8ce35d5d78d34bca65cbaaaac960 */
    ASSERT_OK_E(run(&f, m, NULL, "{\"rec_digest\":\"7JEZLUt/jONdXXjTS8ply6qqyWA=\"}", NULL, 0), &f.e);
    ASSERT_EQ_INT(f.res.action, MAPPING_DELETE);
    ASSERT_EQ_MEM(f.res.digest, HEX("ec91192d4b7f8ce35d5d78d34bca65cbaaaac960"), 20);
    ASSERT_EQ_INT(f.v.info2, AERO_INFO2_WRITE | AERO_INFO2_DELETE);
    ASSERT_EQ_INT(f.v.n_ops, 0);
    ASSERT_ST(run(&f, m, NULL, "{\"rec_digest\":\"AAAA\"}", NULL, 0), ST_MAPPING);
    ASSERT_CONTAINS(f.e.msg, "must be 20 bytes");
    mapping_free(m);
    /* send-key with a digest is refused at construction */
    s.send_key = true;
    ASSERT_TRUE(mapping_new(&s, &f.e) == NULL);
    ASSERT_CONTAINS(f.e.msg, "send-key");
    fx_free(&f);
}

TEST(dynamic_namespace_and_set)
{
    struct fx f;
    struct mapping_spec s = base_spec;
    s.ns = (struct mapping_ref){MAPPING_SRC_VALUE_FIELD, "region"};
    s.set = (struct mapping_ref){MAPPING_SRC_VALUE_FIELD, "tier"};
    fx_init(&f);
    struct mapping *m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, "k", "{\"region\":\"eu\",\"tier\":\"gold\",\"x\":1}", NULL, 0));
    ASSERT_EQ_STR(f.res.ns, "eu");
    uint8_t want[20];
    struct aero_key_value k = {.type = AERO_PT_STRING, .p = (const uint8_t *)"k", .n = 1};
    aero_digest("gold", 4, &k, want);
    ASSERT_EQ_MEM(f.res.digest, want, 20);
    expect_refused(&f, m, "k", "{\"tier\":\"gold\"}", "namespace: field 'region' missing");
    expect_refused(&f, m, "k", "{\"region\":7,\"tier\":\"gold\"}", "not a string");
    ASSERT_ST(run(&f, m, "k", "{\"region\":\"a_namespace_name_of_32_bytes_xxx\",\"tier\":\"g\"}", NULL, 0),
              ST_MAPPING);
    ASSERT_CONTAINS(f.e.msg, "1..31 bytes");
    mapping_free(m);
    fx_free(&f);
}

TEST(ttl_static_dynamic_and_header)
{
    struct fx f;
    struct mapping_spec s = base_spec;
    fx_init(&f);
    s.ttl = (struct mapping_ref){MAPPING_SRC_STATIC, NULL};
    s.ttl_static = 2592000;
    struct mapping *m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, "k", "{\"a\":1}", NULL, 0));
    ASSERT_EQ_INT(f.v.record_ttl, 2592000);
    mapping_free(m);

    s.ttl = (struct mapping_ref){MAPPING_SRC_VALUE_FIELD, "ttl_s"};
    m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, "k", "{\"a\":1,\"ttl_s\":-1}", NULL, 0));
    ASSERT_EQ_U64(f.v.record_ttl, AERO_TTL_NEVER_EXPIRE);
    expect_refused(&f, m, "k", "{\"a\":1,\"ttl_s\":315360001}", "315360000");
    ASSERT_OK(run(&f, m, "k", "{\"a\":1,\"ttl_s\":\"7200\"}", NULL, 0));   /* a number in a string */
    ASSERT_EQ_INT(f.v.record_ttl, 7200);
    expect_refused(&f, m, "k", "{\"a\":1,\"ttl_s\":\"soon\"}", "'soon' is not an integer");
    mapping_free(m);

    s.ttl = (struct mapping_ref){MAPPING_SRC_HEADER, "x-expire-at"};
    s.ttl_unit = MAPPING_TTL_EPOCH_SECONDS;
    m = mapping_new(&s, &f.e);
    ASSERT_TRUE(mapping_uses_headers(m));
    struct mapping_header h[] = {{"x-expire-at", "1700000100", 10}};
    ASSERT_OK(run(&f, m, "k", "{\"a\":1}", h, 1));
    ASSERT_EQ_INT(f.v.record_ttl, 100);   /* now is 1700000000 s */
    struct mapping_header past[] = {{"x-expire-at", "1600000000", 10}};
    ASSERT_OK(run(&f, m, "k", "{\"a\":1}", past, 1));
    ASSERT_EQ_INT(f.res.action, MAPPING_SKIP);
    ASSERT_CONTAINS(f.res.skip_reason, "expired");
    struct mapping_header never[] = {{"x-expire-at", "-1", 2}};   /* -1 is no timestamp: not "never expire" */
    ASSERT_ST(run(&f, m, "k", "{\"a\":1}", never, 1), ST_MAPPING);
    ASSERT_CONTAINS(f.e.msg, "-1 is not an expiry time");
    expect_refused(&f, m, "k", "{\"a\":1}", "header 'x-expire-at' missing");
    mapping_free(m);

    s.ttl_static = 315360001;
    s.ttl = (struct mapping_ref){MAPPING_SRC_STATIC, NULL};
    ASSERT_TRUE(mapping_new(&s, &f.e) == NULL);
    fx_free(&f);
}

TEST(policies_set_the_header_bits)
{
    static const struct { enum mapping_exists ex; uint8_t info2, info3; } cases[] = {
        {MAPPING_EXISTS_UPDATE, AERO_INFO2_WRITE, 0},
        {MAPPING_EXISTS_UPDATE_ONLY, AERO_INFO2_WRITE, AERO_INFO3_UPDATE_ONLY},
        {MAPPING_EXISTS_REPLACE, AERO_INFO2_WRITE, AERO_INFO3_CREATE_OR_REPLACE},
        {MAPPING_EXISTS_REPLACE_ONLY, AERO_INFO2_WRITE, AERO_INFO3_REPLACE_ONLY},
        {MAPPING_EXISTS_CREATE_ONLY, AERO_INFO2_WRITE | AERO_INFO2_CREATE_ONLY, 0},
    };
    struct fx f;
    fx_init(&f);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct mapping_spec s = base_spec;
        s.exists = cases[i].ex;
        struct mapping *m = mapping_new(&s, &f.e);
        ASSERT_OK(run(&f, m, "k", "{\"a\":1}", NULL, 0));
        ASSERT_EQ_INT(f.v.info2, cases[i].info2);
        ASSERT_EQ_INT(f.v.info3, cases[i].info3);
        mapping_free(m);
    }
    struct mapping_spec s = base_spec;
    s.gen = MAPPING_GEN_EQUAL;
    s.gen_field = "g";
    s.commit_master = true;
    struct mapping *m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, "k", "{\"a\":1,\"g\":7}", NULL, 0));
    ASSERT_EQ_INT(f.v.info2, AERO_INFO2_WRITE | AERO_INFO2_GENERATION);
    ASSERT_EQ_INT(f.v.info3, AERO_INFO3_COMMIT_MASTER);
    ASSERT_EQ_INT(f.v.generation, 7);
    ASSERT_EQ_INT(f.v.transaction_ttl, 1000);
    mapping_free(m);
    fx_free(&f);
}

TEST(tombstones_and_records_that_cannot_be_written)
{
    struct fx f;
    struct mapping_spec s = base_spec;
    fx_init(&f);
    struct mapping *m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, "k", NULL, NULL, 0));
    ASSERT_EQ_INT(f.res.action, MAPPING_SKIP);
    ASSERT_CONTAINS(f.res.skip_reason, "tombstone");
    ASSERT_ST(run(&f, m, NULL, "{\"a\":1}", NULL, 0), ST_MAPPING);
    ASSERT_CONTAINS(f.e.msg, "no key");
    expect_refused(&f, m, "k", "{\"a_field_name_longer_than_15\":1}", "a_field_name_longer_than_15");
    ASSERT_CONTAINS(f.e.msg, "max 15");
    expect_refused(&f, m, "k", "{\"a\":null}", "no bins");
    expect_refused(&f, m, "k", "\"just a string\"", "a string, not a map");
    mapping_free(m);

    s.on_null_value = MAPPING_NULL_DELETE;
    m = mapping_new(&s, &f.e);
    ASSERT_OK(run(&f, m, "k", NULL, NULL, 0));
    ASSERT_EQ_INT(f.res.action, MAPPING_DELETE);
    mapping_free(m);
    s.on_null_value = MAPPING_NULL_INVALID;
    m = mapping_new(&s, &f.e);
    ASSERT_ST(run(&f, m, "k", NULL, NULL, 0), ST_MAPPING);
    mapping_free(m);

    /* config-time refusals name the key */
    s = base_spec;
    s.all_value_fields = false;
    ASSERT_TRUE(mapping_new(&s, &f.e) == NULL);
    ASSERT_CONTAINS(f.e.msg, "topics.users.mapping.bins");
    struct mapping_bin longbin[] = {{"sixteen_bytes_xx", "f"}};
    s.bins = longbin;
    s.n_bins = 1;
    ASSERT_TRUE(mapping_new(&s, &f.e) == NULL);
    ASSERT_CONTAINS(f.e.msg, "sixteen_bytes_xx");
    fx_free(&f);
}

/* stale-write-guard kafka-timestamp: a write carries the filter (field 43, after the key
 * fields) and bin kafka_ts = the record's timestamp; a delete the filter only; a record without
 * a timestamp, or a topic without the guard, neither. */
TEST(stale_write_guard_adds_the_filter_and_the_timestamp_bin)
{
    struct fx f;
    struct mapping_spec s = base_spec;
    struct aero_bin_view b;
    const uint8_t *d;
    uint32_t n;
    uint8_t want[AERO_EXP_GUARD_MAX];
    size_t wn = aero_exp_absent_or_le(want, "kafka_ts", 1700000000123);

    fx_init(&f);
    s.guard_kafka_ts = true;
    s.on_null_value = MAPPING_NULL_DELETE;
    struct mapping *m = mapping_new(&s, &f.e);
    ASSERT_TRUE(mapping_uses_kafka_ts(m));                 /* the worker reads the timestamp */
    f.ts_ms = 1700000000123;
    ASSERT_OK(run(&f, m, "k", "{\"a\":1}", NULL, 0));
    ASSERT_TRUE(field(&f, AERO_FIELD_FILTER, &d, &n));
    ASSERT_EQ_INT(n, wn);
    ASSERT_TRUE(memcmp(d, want, wn) == 0);
    ASSERT_TRUE(bin(&f, "kafka_ts", &b));
    ASSERT_EQ_INT(b.particle, AERO_PT_INTEGER);
    ASSERT_EQ_U64(load_u64be(b.value), 1700000000123ull);
    ASSERT_EQ_INT(f.res.n_bins, 1);                       /* the record's own bins */
    ASSERT_OK(run(&f, m, "k", NULL, NULL, 0));             /* tombstone -> delete, guarded */
    ASSERT_EQ_INT(f.res.action, MAPPING_DELETE);
    ASSERT_TRUE(field(&f, AERO_FIELD_FILTER, &d, &n));
    f.ts_ms = -1;                                          /* no timestamp: unguarded */
    ASSERT_OK(run(&f, m, "k", "{\"a\":1}", NULL, 0));
    ASSERT_FALSE(field(&f, AERO_FIELD_FILTER, &d, &n));
    ASSERT_FALSE(bin(&f, "kafka_ts", &b));
    mapping_free(m);

    s.guard_kafka_ts = false;                              /* off: nothing added */
    m = mapping_new(&s, &f.e);
    ASSERT_FALSE(mapping_uses_kafka_ts(m));                /* ... and nothing read */
    f.ts_ms = 1700000000123;
    ASSERT_OK(run(&f, m, "k", "{\"a\":1}", NULL, 0));
    ASSERT_FALSE(field(&f, AERO_FIELD_FILTER, &d, &n));
    ASSERT_FALSE(bin(&f, "kafka_ts", &b));
    ASSERT_EQ_INT(f.res.n_bins, 1);
    mapping_free(m);
    fx_free(&f);
}

/* The expression's bytes: [OR, [EQ, [BIN_TYPE, "kafka_ts"], 0], [LE, [BIN, INT, "kafka_ts"], ts]],
 * each integer in its smallest msgpack form; a bin name over 15 bytes is refused. */
TEST(stale_write_guard_expression_bytes)
{
    static const uint8_t want[] = {
        0x93, 0x11, 0x93, 0x01, 0x92, 0x52, 0xa8, 'k', 'a', 'f', 'k', 'a', '_', 't', 's', 0x00,
        0x93, 0x06, 0x93, 0x51, 0x02, 0xa8, 'k', 'a', 'f', 'k', 'a', '_', 't', 's',
        0xcf, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b};
    uint8_t out[AERO_EXP_GUARD_MAX];
    ASSERT_EQ_INT(aero_exp_absent_or_le(out, "kafka_ts", 1700000000123), sizeof(want));
    ASSERT_TRUE(memcmp(out, want, sizeof(want)) == 0);
    ASSERT_EQ_INT(aero_exp_absent_or_le(out, "b", 5), 17);        /* fixint */
    ASSERT_EQ_INT(out[16], 5);
    ASSERT_EQ_INT(aero_exp_absent_or_le(out, "b", 200), 18);      /* 0xcc */
    ASSERT_EQ_INT(out[16], 0xcc);
    ASSERT_EQ_INT(aero_exp_absent_or_le(out, "b", -1), 17);       /* negative fixint */
    ASSERT_EQ_INT(out[16], 0xff);
    ASSERT_EQ_INT(aero_exp_absent_or_le(out, "b", INT64_MIN), 25); /* int64 */
    ASSERT_EQ_INT(out[16], 0xd3);
    ASSERT_EQ_INT(aero_exp_absent_or_le(out, "sixteen_bytes_xx", 5), 0);
    ASSERT_EQ_INT(aero_exp_absent_or_le(out, "fifteen_bytes_x", INT64_MAX), 7 + 15 + 1 + 6 + 15 + 9);
}

/* The raw bytes of op @name (size, op, particle, version, name length, name, value). */
static void expect_op(const struct fx *f, const char *name, const uint8_t *want, size_t n)
{
    struct aero_bin_view b;
    if (!bin(f, name, &b))
        TEST_FAIL("no op on bin %s", name);
    ASSERT_EQ_INT(8 + b.name_len + b.value_len, n);
    ASSERT_EQ_MEM((const uint8_t *)b.name - 8, want, n);
}

TEST(operate_list_append_increment_map_put_and_write)
{
    static const struct mapping_rop rops[] = {
        {MAPPING_ROP_LIST_APPEND, "l", NULL, {MAPPING_SCALAR_INT, 4, 0, false, NULL}, NULL, NULL},
        {MAPPING_ROP_INCREMENT, "a", NULL, {MAPPING_SCALAR_INT, 5, 0, false, NULL}, NULL, NULL},
        {MAPPING_ROP_INCREMENT, "f", "amount", {0}, NULL, NULL},
        {MAPPING_ROP_MAP_PUT, "m", "n", {0}, "src", NULL},
        {MAPPING_ROP_MAP_PUT, "s", NULL, {MAPPING_SCALAR_STRING, 0, 0, false, "v"}, NULL, "k"},
        {MAPPING_ROP_LIST_APPEND, "u", "url", {0}, NULL, NULL},
        {MAPPING_ROP_WRITE, "w", "url", {0}, NULL, NULL},
        {MAPPING_ROP_WRITE, "z", NULL, {MAPPING_SCALAR_BOOL, 0, 0, true, NULL}, NULL, NULL},
    };
    struct mapping_spec spec = base_spec;
    struct fx f;
    struct mapping *m;

    fx_init(&f);
    spec.op = MAPPING_OP_OPERATE;
    spec.all_value_fields = false;
    spec.rops = rops;
    spec.n_rops = ARRAY_LEN(rops);
    m = mapping_new(&spec, &f.e);
    ASSERT_TRUE(m != NULL);
    ASSERT_OK_E(run(&f, m, "k1", "{\"amount\":2,\"n\":7,\"src\":\"k\",\"url\":\"/a\"}", NULL, 0), &f.e);
    ASSERT_EQ_INT(f.res.action, MAPPING_WRITE);
    ASSERT_FALSE(f.res.repeatable);                      /* appends and increments */
    ASSERT_EQ_INT(f.v.info2, AERO_INFO2_WRITE | AERO_INFO2_RESPOND_ALL_OPS);   /* a map op, as the C client */
    ASSERT_EQ_INT(f.v.n_ops, 8);
    /* wire doc §13.5: list append 4 to bin l; incr a by 5 */
    expect_op(&f, "l", HEX("00 00 00 08 04 04 00 01 6c 92 01 04"), 12);
    expect_op(&f, "a", HEX("00 00 00 0d 05 01 00 01 61 00 00 00 00 00 00 00 05"), 17);
    expect_op(&f, "f", HEX("00 00 00 0d 05 01 00 01 66 00 00 00 00 00 00 00 02"), 17);
    /* map put [67, "k", 7] and [67, "k", "v"]: CDT_MODIFY, particle blob */
    expect_op(&f, "m", HEX("00 00 00 0b 04 04 00 01 6d 93 43 a2 03 6b 07"), 15);
    expect_op(&f, "s", HEX("00 00 00 0d 04 04 00 01 73 93 43 a2 03 6b a2 03 76"), 17);
    expect_op(&f, "u", HEX("00 00 00 0b 04 04 00 01 75 92 01 a3 03 2f 61"), 15);
    expect_op(&f, "w", HEX("00 00 00 07 02 03 00 01 77 2f 61"), 11);
    expect_op(&f, "z", HEX("00 00 00 06 02 11 00 01 7a 01"), 10);

    /* a missing or null operand leaves its operation out; none left is a bad record */
    ASSERT_OK_E(run(&f, m, "k1", "{\"src\":\"k\",\"url\":null}", NULL, 0), &f.e);
    ASSERT_EQ_INT(f.v.n_ops, 4);                         /* l, a, s, z: the static ones */
    ASSERT_OK_E(run(&f, m, "k1", "{\"amount\":1.5,\"n\":1,\"src\":3}", NULL, 0), &f.e);
    expect_op(&f, "f", HEX("00 00 00 0d 05 02 00 01 66 3f f8 00 00 00 00 00 00"), 17);
    expect_op(&f, "m", HEX("00 00 00 09 04 04 00 01 6d 93 43 03 01"), 13);   /* integer map key */
    expect_refused(&f, m, "k1", "{\"amount\":\"lots\",\"src\":\"k\"}", "increment of bin 'f': field 'amount' is a string, not a number");
    expect_refused(&f, m, "k1", "{\"n\":1}", "map-put on bin 'm': key field 'src' missing");
    expect_refused(&f, m, "k1", "[1,2]", "not a map");
    mapping_free(m);

    /* only fields, all missing: nothing to apply */
    spec.rops = rops + 5;
    spec.n_rops = 2;
    m = mapping_new(&spec, &f.e);
    ASSERT_TRUE(m != NULL);
    expect_refused(&f, m, "k1", "{\"other\":1}", "no operations to apply");
    ASSERT_OK_E(run(&f, m, "k1", "{\"url\":\"/b\"}", NULL, 0), &f.e);
    ASSERT_FALSE(f.res.repeatable);
    ASSERT_EQ_INT(f.v.info2, AERO_INFO2_WRITE);          /* no map op */
    mapping_free(m);

    /* writes and map puts only: applying twice is applying once */
    spec.rops = rops + 3;
    spec.n_rops = 2;
    m = mapping_new(&spec, &f.e);
    ASSERT_OK_E(run(&f, m, "k1", "{\"n\":1,\"src\":\"x\"}", NULL, 0), &f.e);
    ASSERT_TRUE(f.res.repeatable);
    mapping_free(m);

    /* specs the config check would refuse are refused here too */
    struct mapping_rop bad = {MAPPING_ROP_INCREMENT, "c", NULL, {MAPPING_SCALAR_STRING, 0, 0, false, "x"}, NULL, NULL};
    spec.rops = &bad;
    spec.n_rops = 1;
    ASSERT_TRUE(mapping_new(&spec, &f.e) == NULL);
    ASSERT_CONTAINS(f.e.msg, "increment needs a number");
    bad = (struct mapping_rop){MAPPING_ROP_MAP_PUT, "c", "v", {0}, NULL, NULL};
    ASSERT_TRUE(mapping_new(&spec, &f.e) == NULL);
    ASSERT_CONTAINS(f.e.msg, "map-put needs key-field or key");
    bad = (struct mapping_rop){MAPPING_ROP_WRITE, "sixteen-bytes-xx", "v", {0}, NULL, NULL};
    ASSERT_TRUE(mapping_new(&spec, &f.e) == NULL);
    ASSERT_CONTAINS(f.e.msg, "must be 1..15 bytes");
    spec.n_rops = 0;
    ASSERT_TRUE(mapping_new(&spec, &f.e) == NULL);
    fx_free(&f);
}

/* A digest left to the caller (mapping_input.digest_block) completes, through
 * aero_digest_blocks and mapping_set_digest, to the very request and digest of an inline
 * one: for a Kafka key, an integer key from the value sent with the record, a set from the
 * value, a delete; keys too long for one block, and digests taken from a field, are computed
 * inline as before. */
TEST(deferred_digest_completes_to_the_same_request)
{
    static const struct {
        enum mapping_key_kind kind;
        const char *key_field, *set_field, *key, *json;
        bool send_key, del, deferred;
    } cases[] = {
        {MAPPING_KEY_KAFKA_KEY, NULL, NULL, "user-17", "{\"a\":1,\"b\":\"x\"}", false, false, true},
        {MAPPING_KEY_VALUE_FIELD, "id", NULL, NULL, "{\"id\":42,\"v\":[1,2]}", true, false, true},
        {MAPPING_KEY_KAFKA_KEY, NULL, "tier", "k", "{\"tier\":\"gold\",\"x\":1}", false, false, true},
        {MAPPING_KEY_KAFKA_KEY, NULL, NULL, "gone", "{\"x\":1}", false, true, true},
        /* set "demo" + type + 51 key bytes = 56: one byte over one block */
        {MAPPING_KEY_KAFKA_KEY, NULL, NULL, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "{\"x\":1}",
         false, false, false},
        {MAPPING_KEY_KAFKA_KEY, NULL, NULL, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "{\"x\":1}",
         false, false, true},
        {MAPPING_KEY_DIGEST_FIELD, "d", NULL, NULL, "{\"d\":\"7JEZLUt/jONdXXjTS8ply6qqyWA=\",\"x\":1}", false, false,
         false},
    };
    uint8_t block[1][AERO_DIGEST_BLOCK_SZ], dig[1][AERO_DIGEST_SZ], want_digest[AERO_DIGEST_SZ];
    struct fx f;
    struct buf want = BUF_INIT;
    const uint8_t *d;
    uint32_t n;

    fx_init(&f);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct mapping_spec s = base_spec;
        s.key_kind = cases[i].kind;
        s.key_field = cases[i].key_field;
        s.send_key = cases[i].send_key;
        if (cases[i].set_field)
            s.set = (struct mapping_ref){MAPPING_SRC_VALUE_FIELD, cases[i].set_field};
        if (cases[i].del)
            s.op = MAPPING_OP_DELETE;
        struct mapping *m = mapping_new(&s, &f.e);
        ASSERT_TRUE(m != NULL);
        f.digest_block = NULL;
        ASSERT_OK_E(run(&f, m, cases[i].key, cases[i].json, NULL, 0), &f.e);
        ASSERT_FALSE(f.res.digest_deferred);
        buf_reset(&want);
        ASSERT_OK(buf_append(&want, f.req.p, f.req.len));
        memcpy(want_digest, f.res.digest, AERO_DIGEST_SZ);

        f.digest_block = block[0];
        ASSERT_OK_E(run(&f, m, cases[i].key, cases[i].json, NULL, 0), &f.e);
        if (f.res.digest_deferred != cases[i].deferred)
            TEST_FAIL("case %zu: digest_deferred %d, want %d", i, f.res.digest_deferred, cases[i].deferred);
        if (cases[i].deferred) {
            ASSERT_TRUE(field(&f, AERO_FIELD_DIGEST_RIPE, &d, &n));
            ASSERT_EQ_INT(n, AERO_DIGEST_SZ);
            ASSERT_EQ_MEM(d, HEX("00000000000000000000000000000000 00000000"), 20);
            ASSERT_TRUE(d == f.req.p + f.res.digest_at);
            aero_digest_blocks((const uint8_t (*)[AERO_DIGEST_BLOCK_SZ])block, 1, dig);
            mapping_set_digest(&f.req, &f.res, dig[0]);
            ASSERT_FALSE(f.res.digest_deferred);
        }
        ASSERT_EQ_INT(f.req.len, want.len);
        if (memcmp(f.req.p, want.p, want.len) != 0)
            TEST_FAIL("case %zu: the request differs from the one with its digest computed inline", i);
        ASSERT_EQ_MEM(f.res.digest, want_digest, AERO_DIGEST_SZ);
        mapping_free(m);
    }
    buf_free(&want);
    fx_free(&f);
}

TEST(steady_state_mapping_allocates_nothing)
{
    struct fx f;
    fx_init(&f);
    struct mapping *m = mapping_new(&base_spec, &f.e);
    char json[256];
    for (int round = 0; round < 2; round++) {
        uint64_t before = mem_alloc_count();
        for (int i = 0; i < 2000; i++) {
            snprintf(json, sizeof(json),
                     "{\"id\":%d,\"name\":\"user-%d\",\"score\":%d.5,\"ok\":true,\"tags\":[\"a\",\"b\",%d],"
                     "\"m\":{\"k\":%d}}", i, i, i, i, i);
            ASSERT_OK(run(&f, m, "key-1", json, NULL, 0));
        }
        if (round == 1)
            ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    }
    mapping_free(m);
    fx_free(&f);
}

TEST_LIST = {
    T(stale_write_guard_adds_the_filter_and_the_timestamp_bin),
    T(stale_write_guard_expression_bytes),
    T(all_value_fields_with_every_type),
    T(renamed_bins_and_bool_as_int),
    T(key_from_value_field_keeps_its_type),
    T(digest_field_in_base64),
    T(dynamic_namespace_and_set),
    T(ttl_static_dynamic_and_header),
    T(policies_set_the_header_bits),
    T(tombstones_and_records_that_cannot_be_written),
    T(operate_list_append_increment_map_put_and_write),
    T(deferred_digest_completes_to_the_same_request),
    T(steady_state_mapping_allocates_nothing),
    {0},
};
