/* End-to-end: every mapping option of aerospike-kafka-inbound.yml through a real config file and
 * `aerosink standalone`: namespace/set static and dynamic, keys (Kafka key with String/Long/Integer
 * converters, value field, digest), TTL static/dynamic, bins (all-value-fields, renamed map).
 * Records are read back one by one; every aerosink exit is checked. */
#include <signal.h>

#include "../harness.h"
#include "../support/e2e.h"
#include "../support/standalone.h"
#include "../support/testutil.h"

static const char *const no_opts[] = {NULL};

static const char *group_of(const char *name)
{
    static char g[4][200];
    static int slot;
    char *o = g[slot = (slot + 1) % 4];
    snprintf(o, sizeof(g[0]), "connect-%s", name);
    return o;
}

/* a skipped record's line: "skipped T[P]@O: reason (invalid-record: ignore)" exactly once */
static void assert_skipped_once(const char *err, const char *topic, int part, long off, const char *reason_part)
{
    char where[300];
    snprintf(where, sizeof(where), "skipped %s[%d]@%ld: ", topic, part, off);
    int n = sa_count2(err, where, reason_part);
    if (n != 1) {
        fprintf(stderr, "%s", err);
        TEST_FAIL("expected one line with \"%s\" and \"%s\", got %d", where, reason_part, n);
    }
}

/* ---- namespace and set, static and dynamic ---- */

struct dyn_ctx {
    const char *ns2, *set_a, *set_b;
};

static void dyn_rec(int i, struct sa_rec *r, void *ctx)
{
    struct dyn_ctx *c = ctx;
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "d-%d", i);
    switch (i) {   /* four invalid records at known offsets */
    case 10: r->val_len = snprintf(r->val, r->val_cap, "{\"set\":\"%s\",\"v\":%d}", c->set_a, i); return;
    case 20: r->val_len = snprintf(r->val, r->val_cap, "{\"ns\":5,\"set\":\"%s\",\"v\":%d}", c->set_a, i); return;
    case 30:
        r->val_len = snprintf(r->val, r->val_cap, "{\"ns\":\"test\",\"set\":\"%064d\",\"v\":%d}", 7, i);
        return;
    case 40: r->val_len = snprintf(r->val, r->val_cap, "{\"ns\":\"test\",\"set\":\"\",\"v\":%d}", i); return;
    }
    r->val_len = snprintf(r->val, r->val_cap, "{\"ns\":\"%s\",\"set\":\"%s\",\"v\":%d}", i % 2 ? c->ns2 : "test",
                          i % 3 == 0 ? c->set_a : c->set_b, i);
}

static void static_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->key_len = snprintf(r->key, sizeof(r->key), "s-%d", i);
    r->val_len = snprintf(r->val, r->val_cap, "{\"v\":%d}", i);
}

TEST(namespace_and_set_static_and_dynamic)
{
    struct sa_env v;
    const char *two_ns[] = {"--namespace", "test", "--namespace", "bar", NULL};
    const int n = 300;
    char ts_spec[160], td_spec[160], yaml[2048], csv[300];

    sa_env_init(&v);
    const char *ts = sa_name(&v, "ns-static"), *td = sa_name(&v, "ns-dynamic");
    const char *set_s = sa_name(&v, "st"), *set_a = sa_name(&v, "da"), *set_b = sa_name(&v, "db");
    const char *name = sa_name(&v, "nsset");
    snprintf(ts_spec, sizeof(ts_spec), "%s:2", ts);
    snprintf(td_spec, sizeof(td_spec), "%s:1", td);
    const char *topics[] = {ts_spec, td_spec, NULL};
    sa_env_start(&v, topics, tu_aerospike_is_real() ? NULL : two_ns);

    /* the second namespace: whatever else the server has (testd: bar), else test again */
    char ns2[32] = "test";
    char *nss = sa_info(v.hosts, "namespaces");
    ASSERT_TRUE(nss != NULL);
    for (char *save = NULL, *tok = strtok_r(strchr(nss, '\t') ? strchr(nss, '\t') + 1 : nss, ";\n", &save); tok;
         tok = strtok_r(NULL, ";\n", &save))
        if (strcmp(tok, "test") != 0 && strlen(tok) < sizeof(ns2)) {
            snprintf(ns2, sizeof(ns2), "%s", tok);
            break;
        }
    mem_free(nss);
    if (!tu_aerospike_is_real())
        ASSERT_EQ_STR(ns2, "bar");

    struct dyn_ctx dc = {ns2, set_a, set_b};
    sa_produce(v.bootstrap, ts, 50, static_rec, NULL);
    sa_produce(v.bootstrap, td, n, dyn_rec, &dc);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n"
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: dynamic, source: value-field, field-name: ns}\n"
             "      set: {mode: dynamic, source: value-field, field-name: set}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             ts, set_s, td);
    snprintf(csv, sizeof(csv), "%s,%s", ts, td);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, csv, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    struct sa_stats st;
    ASSERT_TRUE(sa_wait_out(p, 50 + n, 60000, &st));
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), td, 1, n, 20000, NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), ts, 2, 50, 20000, NULL), 50);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.in, 50 + n);
    ASSERT_EQ_INT(st.written, 50 + n - 4);
    ASSERT_EQ_INT(st.skipped, 4);
    assert_skipped_once(err, td, 0, 10, "field 'ns' missing");
    assert_skipped_once(err, td, 0, 20, "'ns' is an integer, not a string");
    assert_skipped_once(err, td, 0, 30, "must be 1..63 bytes");
    assert_skipped_once(err, td, 0, 40, "must be 1..63 bytes");
    ASSERT_EQ_INT(sa_count(err, "] skipped "), 4);
    mem_free(err);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set_s), 50);
    for (int i = 0; i < 50; i++) {
        struct aero_record rec = {0};
        char key[32];
        snprintf(key, sizeof(key), "s-%d", i);
        ASSERT_OK(e2e_get_str(&a, "test", set_s, key, &rec));
        ASSERT_EQ_INT(e2e_bin_int(&rec, "v"), i);
        aero_record_free(&rec);
    }
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[32];
        if (i == 10 || i == 20 || i == 30 || i == 40)
            continue;
        const char *ns = i % 2 ? ns2 : "test";
        const char *set = i % 3 == 0 ? set_a : set_b, *other = i % 3 == 0 ? set_b : set_a;
        snprintf(key, sizeof(key), "d-%d", i);
        enum status s = e2e_get_str(&a, ns, set, key, &rec);
        if (s != ST_OK)
            TEST_FAIL("%s/%s/%s: %s", ns, set, key, status_name(s));
        ASSERT_EQ_INT(e2e_bin_int(&rec, "v"), i);
        aero_record_free(&rec);
        ASSERT_ST(e2e_get_str(&a, ns, other, key, &rec), ST_NOT_FOUND);   /* only where it was routed */
        aero_record_free(&rec);
        if (strcmp(ns2, "test") != 0) {
            ASSERT_ST(e2e_get_str(&a, i % 2 ? "test" : ns2, set, key, &rec), ST_NOT_FOUND);
            aero_record_free(&rec);
        }
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- keys: Kafka key with String / Long / Integer converters ---- */

static void key_str(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->key_len = snprintf(r->key, sizeof(r->key), "%d", i);
    r->val_len = snprintf(r->val, r->val_cap, "{\"src\":\"string\",\"n\":%d}", i);
}

static void key_long(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    for (int b = 0; b < 8; b++)
        r->key[b] = (char)(((uint64_t)i >> (56 - 8 * b)) & 0xff);
    r->key_len = 8;
    r->val_len = snprintf(r->val, r->val_cap, "{\"src\":\"long\",\"n\":%d}", i);
}

static void key_int(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    for (int b = 0; b < 4; b++)
        r->key[b] = (char)(((uint32_t)i >> (24 - 8 * b)) & 0xff);
    r->key_len = 4;
    r->val_len = snprintf(r->val, r->val_cap, "{\"src\":\"int\",\"n\":%d}", i);
}

static const char *key_topic_yaml(char *buf, size_t cap, const char *topic, const char *set)
{
    snprintf(buf, cap,
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, set);
    return buf;
}

TEST(kafka_key_with_string_long_and_integer_converters_gives_string_or_integer_keys)
{
    struct sa_env v;
    const int n = 50;
    char s1[160], s2[160], s3[160], y1[700], y2[700], y3[700];

    sa_env_init(&v);
    const char *ks = sa_name(&v, "key-str"), *kl = sa_name(&v, "key-long"), *ki = sa_name(&v, "key-int");
    const char *set = sa_name(&v, "keys"), *set32 = sa_name(&v, "keys32");
    const char *n1 = sa_name(&v, "kstr"), *n2 = sa_name(&v, "klong"), *n3 = sa_name(&v, "kint");
    snprintf(s1, sizeof(s1), "%s:2", ks);
    snprintf(s2, sizeof(s2), "%s:2", kl);
    snprintf(s3, sizeof(s3), "%s:2", ki);
    const char *topics[] = {s1, s2, s3, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, ks, n, key_str, NULL);
    sa_produce(v.bootstrap, kl, n, key_long, NULL);
    sa_produce(v.bootstrap, ki, n, key_int, NULL);

    const char *w = sa_worker(&v, NULL);
    /* three connectors in one process; the key converter is set per connector */
    const char *c1 = sa_connector(&v, n1, ks, NULL, key_topic_yaml(y1, sizeof(y1), ks, set), NULL);
    const char *c2 = sa_connector(&v, n2, kl, NULL, key_topic_yaml(y2, sizeof(y2), kl, set),
                                  "key.converter=org.apache.kafka.connect.converters.LongConverter\n");
    const char *c3 = sa_connector(&v, n3, ki, NULL, key_topic_yaml(y3, sizeof(y3), ki, set32),
                                  "key.converter=org.apache.kafka.connect.converters.IntegerConverter\n");
    const char *more[] = {c2, c3, NULL};
    struct tu_proc *p = sa_start(w, c1, more, no_opts, NULL);
    /* "7" and 7 are different records: twice as many objects as keys */
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", set, 2 * n, sa_ms(60000)), 2 * n);
    ASSERT_EQ_INT(e2e_wait_objects(v.hosts, "test", set32, n, sa_ms(30000)), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(n1), ks, 2, n, 20000, NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(n2), kl, 2, n, 20000, NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(n3), ki, 2, n, 20000, NULL), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    ASSERT_EQ_INT(sa_count(err, "stopped cleanly"), 3);
    mem_free(err);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), 2 * n);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[16], s[32];
        snprintf(key, sizeof(key), "%d", i);
        ASSERT_OK(e2e_get_str(&a, "test", set, key, &rec));
        ASSERT_EQ_STR(e2e_bin_str(&rec, "src", s, sizeof(s)), "string");
        ASSERT_EQ_INT(e2e_bin_int(&rec, "n"), i);
        aero_record_free(&rec);
        ASSERT_OK(sa_get_int(&a, "test", set, i, &rec));
        ASSERT_EQ_STR(e2e_bin_str(&rec, "src", s, sizeof(s)), "long");
        ASSERT_EQ_INT(e2e_bin_int(&rec, "n"), i);
        aero_record_free(&rec);
        ASSERT_OK(sa_get_int(&a, "test", set32, i, &rec));   /* Integer keys are integer user keys too */
        ASSERT_EQ_STR(e2e_bin_str(&rec, "src", s, sizeof(s)), "int");
        aero_record_free(&rec);
        ASSERT_ST(e2e_get_str(&a, "test", set32, key, &rec), ST_NOT_FOUND);
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- key from a value field ---- */

static void kv_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->key_len = snprintf(r->key, sizeof(r->key), "kafka-key-%d", i);   /* not used as the key */
    if (i % 2 == 0)
        r->val_len = snprintf(r->val, r->val_cap, "{\"id\":%d,\"v\":%d}", 1000 + i, i);
    else
        r->val_len = snprintf(r->val, r->val_cap, "{\"id\":\"s-%d\",\"v\":%d}", i, i);
    if (i == 15)   /* invalid: a list cannot be a user key */
        r->val_len = snprintf(r->val, r->val_cap, "{\"id\":[1,2],\"v\":%d}", i);
    if (i == 17)   /* invalid: the key field is missing */
        r->val_len = snprintf(r->val, r->val_cap, "{\"v\":%d}", i);
    r->partition = 0;
}

TEST(key_from_value_field_keeps_integer_and_string_types)
{
    struct sa_env v;
    const int n = 200;
    char spec[160], yaml[800];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "keyval"), *set = sa_name(&v, "keyval"), *name = sa_name(&v, "keyval");
    snprintf(spec, sizeof(spec), "%s:1", topic);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, topic, n, kv_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: value-field, field-name: id}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 1, n, sa_ms(60000), NULL), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    assert_skipped_once(err, topic, 0, 15, "a user key must be a string, an integer or bytes");
    assert_skipped_once(err, topic, 0, 17, "field 'id' missing");
    mem_free(err);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), n - 2);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[32];
        if (i == 15 || i == 17)
            continue;
        if (i % 2 == 0) {
            ASSERT_OK(sa_get_int(&a, "test", set, 1000 + i, &rec));   /* integer stays integer */
            ASSERT_EQ_INT(e2e_bin_int(&rec, "v"), i);
            ASSERT_EQ_INT(e2e_bin_int(&rec, "id"), 1000 + i);            /* the key field is a bin too */
            aero_record_free(&rec);
            snprintf(key, sizeof(key), "%d", 1000 + i);
            ASSERT_ST(e2e_get_str(&a, "test", set, key, &rec), ST_NOT_FOUND);
        } else {
            snprintf(key, sizeof(key), "s-%d", i);
            ASSERT_OK(e2e_get_str(&a, "test", set, key, &rec));
            ASSERT_EQ_INT(e2e_bin_int(&rec, "v"), i);
        }
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- digest from a value field (base64 in schemaless JSON), write and delete ---- */

struct dig_ctx {
    const char *set;
    bool del;
};

static void dig_rec(int i, struct sa_rec *r, void *ctx)
{
    struct dig_ctx *c = ctx;
    char key[32], b64[64];
    uint8_t d[20];
    struct aero_key_value kv;

    snprintf(key, sizeof(key), "d-%d", i);
    kv = (struct aero_key_value){.type = AERO_PT_STRING, .p = (const uint8_t *)key, .n = strlen(key)};
    aero_digest(c->set, strlen(c->set), &kv, d);
    base64_encode(d, 20, b64);
    b64[base64_encoded_len(20)] = '\0';
    r->partition = 0;
    r->key_len = -1;   /* no Kafka key at all: the digest is the identity */
    if (c->del) {
        r->val_len = snprintf(r->val, r->val_cap, "{\"dig\":\"%s\"}", b64);
        return;
    }
    r->val_len = snprintf(r->val, r->val_cap, "{\"dig\":\"%s\",\"v\":%d}", b64, i);
    if (i == 5) {   /* 19 bytes */
        base64_encode(d, 19, b64);
        b64[base64_encoded_len(19)] = '\0';
        r->val_len = snprintf(r->val, r->val_cap, "{\"dig\":\"%s\",\"v\":%d}", b64, i);
    } else if (i == 6) {   /* not base64 at all, 28 characters */
        r->val_len = snprintf(r->val, r->val_cap, "{\"dig\":\"%s\",\"v\":%d}", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!", i);
    } else if (i == 7) {
        r->val_len = snprintf(r->val, r->val_cap, "{\"dig\":12345,\"v\":%d}", i);
    }
}

TEST(digest_from_value_field_base64_writes_and_deletes_by_digest)
{
    struct sa_env v;
    const int n = 100;
    char s1[160], s2[160], yaml[1600], csv[300];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "digest"), *dtopic = sa_name(&v, "digest-del");
    const char *set = sa_name(&v, "digest"), *name = sa_name(&v, "digest");
    snprintf(s1, sizeof(s1), "%s:1", topic);
    snprintf(s2, sizeof(s2), "%s:1", dtopic);
    const char *topics[] = {s1, s2, NULL};
    sa_env_start(&v, topics, NULL);
    struct dig_ctx wc = {set, false}, dc = {set, true};
    sa_produce(v.bootstrap, topic, n, dig_rec, &wc);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      digest: {source: value-field, field-name: dig}\n"
             "      bins: {type: multi-bins, all-value-fields: false, map: {v: {source: value-field, field-name: v}}}\n"
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    aerospike-operation: {type: delete}\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      digest: {source: value-field, field-name: dig}\n",
             topic, set, dtopic, set);
    snprintf(csv, sizeof(csv), "%s,%s", topic, dtopic);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, csv, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 1, n, sa_ms(60000), NULL), n);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), n - 3);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[32];
        snprintf(key, sizeof(key), "d-%d", i);
        enum status s = e2e_get_str(&a, "test", set, key, &rec);   /* same digest as the user key */
        if (i >= 5 && i <= 7) {
            ASSERT_ST(s, ST_NOT_FOUND);
        } else {
            ASSERT_OK(s);
            ASSERT_EQ_INT(e2e_bin_int(&rec, "v"), i);
            ASSERT_EQ_INT(sa_bin_count(&rec), 1);   /* only the mapped bin, not the digest field */
        }
        aero_record_free(&rec);
    }
    /* delete the first 40 by digest */
    sa_produce(v.bootstrap, dtopic, 40, dig_rec, &dc);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), dtopic, 1, 40, sa_ms(30000), NULL), 40);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), n - 40);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    assert_skipped_once(err, topic, 0, 5, "must be 20 bytes");
    assert_skipped_once(err, topic, 0, 6, "must be 20 bytes");
    assert_skipped_once(err, topic, 0, 7, "must be 20 bytes");
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.written, n - 3);
    ASSERT_EQ_INT(st.deleted, 37);        /* 5, 6, 7 were never written */
    ASSERT_EQ_INT(st.skipped, 3 + 3);     /* 3 invalid + 3 deletes of absent records */
    ASSERT_EQ_INT(st.failed, 0);
    mem_free(err);
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[32];
        snprintf(key, sizeof(key), "d-%d", i);
        ASSERT_ST(e2e_get_str(&a, "test", set, key, &rec), i < 40 || (i >= 5 && i <= 7) ? ST_NOT_FOUND : ST_OK);
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- TTL static and dynamic ---- */

static const char *const ttl_values[] = {"100", "86400", "-1", "0", "315360001", "-3", "\"soon\""};
#define N_TTL 7

static void ttl_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "t-%d", i);
    r->val_len = snprintf(r->val, r->val_cap, "{\"ttl_s\":%s,\"v\":%d}", ttl_values[i % N_TTL], i);
}

TEST(ttl_static_and_dynamic_set_the_record_void_time)
{
    struct sa_env v;
    const int n = 3 * N_TTL;   /* 9 invalid: under the per-window log burst */
    char s1[160], s2[160], yaml[1600], csv[300];

    sa_env_init(&v);
    const char *ts = sa_name(&v, "ttl-static"), *td = sa_name(&v, "ttl-dyn");
    const char *set_s = sa_name(&v, "ttls"), *set_d = sa_name(&v, "ttld"), *name = sa_name(&v, "ttl");
    snprintf(s1, sizeof(s1), "%s:1", ts);
    snprintf(s2, sizeof(s2), "%s:1", td);
    const char *topics[] = {s1, s2, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, ts, 20, static_rec, NULL);
    sa_produce(v.bootstrap, td, n, ttl_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      ttl: {mode: static, value: 3600}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n"
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      ttl: {mode: dynamic, source: value-field, field-name: ttl_s}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             ts, set_s, td, set_d);
    snprintf(csv, sizeof(csv), "%s,%s", ts, td);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, csv, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), td, 1, n, sa_ms(60000), NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), ts, 1, 20, sa_ms(20000), NULL), 20);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    for (int i = 4; i < n; i += N_TTL)   /* 315360001 */
        assert_skipped_once(err, td, 0, i, "TTL 315360001");
    for (int i = 5; i < n; i += N_TTL)   /* -3 */
        assert_skipped_once(err, td, 0, i, "TTL -3");
    for (int i = 6; i < n; i += N_TTL)   /* a non-numeric string */
        assert_skipped_once(err, td, 0, i, "ttl_s");
    mem_free(err);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < 20; i++) {
        struct aero_record rec = {0};
        char key[32];
        snprintf(key, sizeof(key), "s-%d", i);
        ASSERT_OK(e2e_get_str(&a, "test", set_s, key, &rec));
        int64_t ttl = sa_ttl(&rec);
        ASSERT_CMP_INT(ttl, <=, 3600);
        ASSERT_CMP_INT(ttl, >=, 3600 - 120);
        aero_record_free(&rec);
    }
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[32];
        int kind = i % N_TTL;
        snprintf(key, sizeof(key), "t-%d", i);
        enum status s = e2e_get_str(&a, "test", set_d, key, &rec);
        if (kind >= 4) {
            ASSERT_ST(s, ST_NOT_FOUND);
            aero_record_free(&rec);
            continue;
        }
        ASSERT_OK(s);
        int64_t ttl = sa_ttl(&rec);
        if (kind == 0) {
            ASSERT_CMP_INT(ttl, <=, 100);
            ASSERT_CMP_INT(ttl, >=, 100 - 120 > 1 ? 100 - 120 : 1);
        } else if (kind == 1) {
            ASSERT_CMP_INT(ttl, <=, 86400);
            ASSERT_CMP_INT(ttl, >=, 86400 - 120);
        } else if (kind == 2) {
            ASSERT_EQ_INT(ttl, -1);   /* -1: never expires */
        } else if (!tu_aerospike_is_real()) {
            ASSERT_EQ_INT(ttl, -1);   /* 0: the namespace default (testd: default-ttl 0 = never) */
        }
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

static void ttl_str_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "ts-%d", i);
    r->val_len = snprintf(r->val, r->val_cap, "{\"ttl_s\":\"7200\",\"v\":%d}", i);
}

/* `aerosink help config`: ttl.field-name is "the field (an integer, or a numeric string)". */
TEST(ttl_from_a_numeric_string_field_as_documented)
{
    struct sa_env v;
    const int n = 10;
    char spec[160], yaml[800];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "ttl-str"), *set = sa_name(&v, "ttlstr"), *name = sa_name(&v, "ttlstr");
    snprintf(spec, sizeof(spec), "%s:1", topic);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, topic, n, ttl_str_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      ttl: {mode: dynamic, source: value-field, field-name: ttl_s}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 1, n, sa_ms(60000), NULL), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    if (st.written != n) {
        fprintf(stderr, "%s", err);
        TEST_FAIL("bug: %lld of %d records with ttl_s \"7200\" written (%lld skipped); help config documents "
                  "a numeric string as a valid TTL field", st.written, n, st.skipped);
    }
    mem_free(err);
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    struct aero_record rec = {0};
    ASSERT_OK(e2e_get_str(&a, "test", set, "ts-3", &rec));
    ASSERT_CMP_INT(sa_ttl(&rec), <=, 7200);
    ASSERT_CMP_INT(sa_ttl(&rec), >=, 7200 - 120);
    aero_record_free(&rec);
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- bins: all-value-fields, renamed map ---- */

static void bins_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "b-%d", i);
    if (i == 3)   /* a field name over 15 bytes cannot be a bin */
        r->val_len = snprintf(r->val, r->val_cap, "{\"name\":\"n%d\",\"abcdefghijklmnop\":1}", i);
    else if (i == 4)   /* none of the mapped fields: nothing to write */
        r->val_len = snprintf(r->val, r->val_cap, "{\"other\":%d}", i);
    else
        r->val_len = snprintf(r->val, r->val_cap, "{\"name\":\"n%d\",\"a\":%d,\"b\":\"x%d\",\"c\":null}", i, i, i);
}

TEST(bins_all_value_fields_and_renamed_map)
{
    struct sa_env v;
    const int n = 20;
    char s1[160], s2[160], yaml[2000], csv[300];

    sa_env_init(&v);
    const char *ta = sa_name(&v, "bins-all"), *tm = sa_name(&v, "bins-map");
    const char *set_a = sa_name(&v, "binsall"), *set_m = sa_name(&v, "binsmap"), *name = sa_name(&v, "bins");
    snprintf(s1, sizeof(s1), "%s:1", ta);
    snprintf(s2, sizeof(s2), "%s:1", tm);
    const char *topics[] = {s1, s2, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, ta, n, bins_rec, NULL);
    sa_produce(v.bootstrap, tm, n, bins_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins:\n"
             "        type: multi-bins\n"
             "        all-value-fields: true\n"
             "        map:\n"
             "          full: {source: value-field, field-name: name}\n"
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins:\n"
             "        type: multi-bins\n"
             "        all-value-fields: false\n"
             "        map:\n"
             "          x: {source: value-field, field-name: a}\n"
             "          nm: {source: value-field, field-name: name}\n"
             "          miss: {source: value-field, field-name: nosuch}\n",
             ta, set_a, tm, set_m);
    snprintf(csv, sizeof(csv), "%s,%s", ta, tm);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, csv, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), ta, 1, n, sa_ms(60000), NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), tm, 1, n, sa_ms(20000), NULL), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    assert_skipped_once(err, ta, 0, 3, "abcdefghijklmnop");
    assert_skipped_once(err, tm, 0, 4, "no bins to write");
    ASSERT_EQ_INT(sa_count(err, "] skipped "), 2);   /* i=3 is fine on the map-only topic, i=4 on the other */
    mem_free(err);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[32], s[32], want[32];
        snprintf(key, sizeof(key), "b-%d", i);
        snprintf(want, sizeof(want), "n%d", i);
        enum status st = e2e_get_str(&a, "test", set_a, key, &rec);
        if (i == 3) {
            ASSERT_ST(st, ST_NOT_FOUND);
        } else if (i == 4) {
            ASSERT_OK(st);
            ASSERT_EQ_INT(e2e_bin_int(&rec, "other"), 4);
            ASSERT_EQ_INT(sa_bin_count(&rec), 1);
        } else {
            ASSERT_OK(st);
            ASSERT_EQ_STR(e2e_bin_str(&rec, "full", s, sizeof(s)), want);   /* renamed ... */
            ASSERT_FALSE(sa_has_bin(&rec, "name"));                          /* ... only under its new name */
            ASSERT_EQ_INT(e2e_bin_int(&rec, "a"), i);
            snprintf(want, sizeof(want), "x%d", i);
            ASSERT_EQ_STR(e2e_bin_str(&rec, "b", s, sizeof(s)), want);
            ASSERT_FALSE(sa_has_bin(&rec, "c"));
            ASSERT_EQ_INT(sa_bin_count(&rec), 3);
        }
        aero_record_free(&rec);

        st = e2e_get_str(&a, "test", set_m, key, &rec);
        if (i == 4) {
            ASSERT_ST(st, ST_NOT_FOUND);
        } else {
            ASSERT_OK(st);
            snprintf(want, sizeof(want), "n%d", i);
            ASSERT_EQ_STR(e2e_bin_str(&rec, "nm", s, sizeof(s)), want);
            if (i == 3) {
                ASSERT_EQ_INT(sa_bin_count(&rec), 1);   /* no 'a' field in that record */
            } else {
                ASSERT_EQ_INT(e2e_bin_int(&rec, "x"), i);
                ASSERT_EQ_INT(sa_bin_count(&rec), 2);   /* only the map: no b, no miss */
            }
        }
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- [beyond] type operate: list-append, increment, map-put, write on one record ---- */

#define OP_KEYS 10

static void op_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->key_len = snprintf(r->key, sizeof(r->key), "u-%d", i % OP_KEYS);
    r->val_len = snprintf(r->val, r->val_cap, "{\"url\":\"/p%d\",\"n\":%d,\"src\":\"s%d\"}", i, i, i % 3);
}

/* Every record of a key is applied exactly once and in Kafka order: the list holds every url in
 * order, the counters add up, the map holds each source's latest url. */
TEST(operate_applies_each_record_once_in_key_order)
{
    struct sa_env v;
    const int n = 600;
    char spec[160], yaml[2048];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "ops"), *set = sa_name(&v, "sessions"), *name = sa_name(&v, "operate");
    snprintf(spec, sizeof(spec), "%s:3", topic);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, topic, n, op_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    aerospike-operation:\n"
             "      type: operate\n"
             "      operations:\n"
             "        - {op: list-append, bin: recent, field-name: url}\n"
             "        - {op: increment, bin: clicks, value: 1}\n"
             "        - {op: increment, bin: total, field-name: n}\n"
             "        - {op: map-put, bin: by_src, key-field: src, field-name: url}\n"
             "        - {op: write, bin: last, field-name: url}\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n",
             topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    struct sa_stats st;
    ASSERT_TRUE(sa_wait_out(p, n, 60000, &st));
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 3, n, 20000, NULL), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.written, n);
    ASSERT_EQ_INT(st.skipped, 0);
    mem_free(err);
    if (!tu_aerospike_is_real())   /* appends and increments never ride in a (replayable) batch */
        ASSERT_EQ_INT(e2e_node_stat(v.hosts, "testd_batch_rows"), 0);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), OP_KEYS);
    for (int k = 0; k < OP_KEYS; k++) {
        struct aero_record rec = {0};
        struct aero_bin_view b;
        struct buf want = BUF_INIT, pair = BUF_INIT;
        char key[32], url[32];
        int64_t total = 0;
        int last = -1;

        snprintf(key, sizeof(key), "u-%d", k);
        ASSERT_OK(e2e_get_str(&a, "test", set, key, &rec));
        ASSERT_EQ_INT(e2e_bin_int(&rec, "clicks"), n / OP_KEYS);
        aero_mp_array(&want, (uint32_t)(n / OP_KEYS));
        for (int i = k; i < n; i += OP_KEYS) {
            total += i;
            last = i;
            snprintf(url, sizeof(url), "/p%d", i);
            aero_mp_str(&want, url, strlen(url));
        }
        ASSERT_EQ_INT(e2e_bin_int(&rec, "total"), total);
        ASSERT_TRUE(aero_record_bin(&rec, "recent", &b));
        ASSERT_EQ_INT(b.particle, AERO_PT_LIST);
        ASSERT_EQ_INT(b.value_len, want.len);
        ASSERT_EQ_MEM(b.value, want.p, want.len);   /* every url once, in Kafka order */
        snprintf(url, sizeof(url), "/p%d", last);
        ASSERT_TRUE(aero_record_bin(&rec, "last", &b));
        ASSERT_EQ_INT(b.value_len, strlen(url));
        ASSERT_EQ_MEM(b.value, url, b.value_len);
        ASSERT_TRUE(aero_record_bin(&rec, "by_src", &b));
        ASSERT_EQ_INT(b.particle, AERO_PT_MAP);
        for (int src = 0; src < 3; src++) {   /* each source maps to its latest url */
            char sname[16];
            int latest = -1;
            for (int i = k; i < n; i += OP_KEYS)
                if (i % 3 == src)
                    latest = i;
            buf_reset(&pair);
            snprintf(sname, sizeof(sname), "s%d", src);
            snprintf(url, sizeof(url), "/p%d", latest);
            aero_mp_str(&pair, sname, strlen(sname));
            aero_mp_str(&pair, url, strlen(url));
            if (!memmem(b.value, b.value_len, pair.p, pair.len))
                TEST_FAIL("%s: by_src lacks %s -> %s", key, sname, url);
        }
        buf_free(&want);
        buf_free(&pair);
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- topics.regex: whole topic names, Java's \d ---- */

/* Three topics: T, T-7 and T-v2; topics.regex "T(-\d)?" must consume T and T-7 only (Connect
 * matches whole names). The mapping has no entry for T-v2: consuming it would fail the task. */
TEST(topics_regex_consumes_only_whole_name_matches)
{
    struct sa_env v;
    const int n = 15;
    char s1[160], s2[180], s3[180], t7[160], tv2[160], yaml[1600], extra[400];

    sa_env_init(&v);
    const char *t = sa_name(&v, "rx"), *set = sa_name(&v, "rxset"), *set7 = sa_name(&v, "rxset7");
    const char *name = sa_name(&v, "rxc");
    snprintf(t7, sizeof(t7), "%s-7", t);
    snprintf(tv2, sizeof(tv2), "%s-v2", t);
    snprintf(s1, sizeof(s1), "%s:1", t);
    snprintf(s2, sizeof(s2), "%s:1", t7);
    snprintf(s3, sizeof(s3), "%s:1", tv2);
    const char *topics[] = {s1, s2, s3, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, t, n, static_rec, NULL);
    sa_produce(v.bootstrap, t7, n, static_rec, NULL);
    sa_produce(v.bootstrap, tv2, n, static_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n    invalid-record: kill-task\n    mapping:\n"
             "      namespace: {mode: static, value: test}\n      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n      bins: {type: multi-bins, all-value-fields: true}\n"
             "  %s:\n    invalid-record: kill-task\n    mapping:\n"
             "      namespace: {mode: static, value: test}\n      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n      bins: {type: multi-bins, all-value-fields: true}\n",
             t, set, t7, set7);
    snprintf(extra, sizeof(extra), "topics.regex=%s(-\\\\d)?\n", t);   /* the file says (-\\d)? */
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, "", NULL, yaml, extra);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), t, 1, n, sa_ms(60000), NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), t7, 1, n, sa_ms(20000), NULL), n);
    ASSERT_EQ_INT(sa_wait_objects(p, v.hosts, "test", set, n, 20000), n);
    ASSERT_EQ_INT(sa_wait_objects(p, v.hosts, "test", set7, n, 20000), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    ASSERT_EQ_INT(sa_count(err, tv2), 0);   /* never assigned, never named */
    mem_free(err);
    ASSERT_EQ_INT(sa_committed(v.bootstrap, group_of(name), tv2, 1, NULL), 0);
    sa_env_free(&v);
}

TEST_LIST = {
    T(namespace_and_set_static_and_dynamic),
    T(kafka_key_with_string_long_and_integer_converters_gives_string_or_integer_keys),
    T(key_from_value_field_keeps_integer_and_string_types),
    T(digest_from_value_field_base64_writes_and_deletes_by_digest),
    T(ttl_static_and_dynamic_set_the_record_void_time),
    T(ttl_from_a_numeric_string_field_as_documented),
    T(bins_all_value_fields_and_renamed_map),
    T(operate_applies_each_record_once_in_key_order),
    T(topics_regex_consumes_only_whole_name_matches),
    {0},
};
