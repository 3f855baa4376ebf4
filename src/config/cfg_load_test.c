/* src/config/cfg_load_test.c: the mapping loader: typed values of every good corpus file,
 * defaults, JSON specifics, limits, aliases, files named by the config, failure injection. */
#include <sys/stat.h>

#include "../../tests/harness.h"
#include "../../tests/support/testutil.h"
#include "config_int.h"

#define GOOD "tests/data/config/good/"

static struct cfg *load_ok(const char *path)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg *c = cfg_load_file(path, 0, &d);
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < d.n; i++) {
        if (d.v[i].sev == CFG_SEV_ERROR) {
            cfg_diag_format(&d.v[i], &b);
            TEST_FAIL("%s: %s", path, buf_cstr(&b));
        }
    }
    ASSERT_TRUE(c != NULL);
    cfg_diags_free(&d);
    return c;
}

/* Load text; return the diagnostics as lines (owned) and the config (may be NULL). */
static char *load_text(const char *text, const char *name, unsigned flags, struct cfg **out)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf b = BUF_INIT;
    struct cfg *c = cfg_load_text(text, strlen(text), name, flags, &d);

    for (size_t i = 0; i < d.n; i++) {
        cfg_diag_format(&d.v[i], &b);
        buf_append_str(&b, "\n");
    }
    cfg_diags_free(&d);
    if (out)
        *out = c;
    else
        cfg_free(c);
    buf_cstr(&b);
    return b.p ? (char *)b.p : mem_strdup("");
}

static const struct cfg_topic *topic(const struct cfg *c, const char *name)
{
    const struct cfg_topic *t = cfg_topic_find(c, name);
    if (!t)
        TEST_FAIL("topic %s not found", name);
    return t;
}

static void assert_defaults(const struct cfg_topic *t)
{
    ASSERT_EQ_INT(t->on_null_value, CFG_NULL_IGNORE);
    ASSERT_EQ_INT(t->on_write_failure, CFG_WFAIL_INVALID_RECORD);
    ASSERT_EQ_INT(t->op.generation_policy, CFG_GEN_NONE);
    ASSERT_EQ_INT(t->op.socket_timeout_ms, 30000);
    ASSERT_EQ_INT(t->op.sleep_between_retries_ms, 0);
    ASSERT_FALSE(t->op.durable_delete);
    ASSERT_EQ_INT(t->op.commit_level, CFG_COMMIT_ALL);
    ASSERT_EQ_INT(t->op.stale_write_guard, CFG_STALE_NONE);
}

static void assert_spec_a(const struct cfg *c)
{
    const struct cfg_topic *t;

    ASSERT_EQ_INT(c->max_queued_records, 32768);
    ASSERT_EQ_INT(c->processing_threads, sysconf(_SC_NPROCESSORS_ONLN));
    ASSERT_EQ_INT(c->aerospike.n_seeds, 2);
    ASSERT_EQ_STR(c->aerospike.seeds[0].host, "aero-1.internal");
    ASSERT_EQ_INT(c->aerospike.seeds[0].port, 3000);
    ASSERT_TRUE(c->aerospike.seeds[0].tls_name == NULL);
    ASSERT_EQ_STR(c->aerospike.seeds[1].host, "aero-2.internal");
    ASSERT_EQ_INT(c->aerospike.seeds[1].port, 3000);
    ASSERT_FALSE(c->aerospike.tls.enabled);
    ASSERT_FALSE(c->aerospike.credentials.present);
    ASSERT_FALSE(c->aerospike.has_rack_id);
    ASSERT_TRUE(c->aerospike.cluster_name == NULL);
    ASSERT_EQ_INT(c->aerospike.boolean_particle, CFG_BOOL_AS_INTEGER);
    ASSERT_EQ_INT(c->aerospike.connect_timeout_ms, 1000);
    ASSERT_EQ_INT(c->aerospike.login_timeout_ms, 5000);
    ASSERT_EQ_INT(c->aerospike.tend_interval_ms, 1000);
    ASSERT_EQ_INT(c->aerospike.max_connections_per_node, 100);
    ASSERT_EQ_INT(c->aerospike.max_socket_idle_s, 55);
    ASSERT_EQ_INT(c->aerospike.max_error_rate, 100);
    ASSERT_EQ_INT(c->aerospike.error_rate_window, 1);
    ASSERT_EQ_INT(c->n_topics, 1);
    t = topic(c, "user-profiles");
    ASSERT_EQ_INT(t->invalid_record, CFG_INVALID_IGNORE);
    ASSERT_TRUE(t->mapping.ns.present);
    ASSERT_EQ_INT(t->mapping.ns.mode, CFG_MODE_STATIC);
    ASSERT_EQ_STR(t->mapping.ns.value, "users");
    ASSERT_TRUE(t->mapping.set.present);
    ASSERT_EQ_STR(t->mapping.set.value, "profiles");
    ASSERT_TRUE(t->mapping.key_field.present);
    ASSERT_EQ_INT(t->mapping.key_field.source, CFG_SRC_KEY);
    ASSERT_FALSE(t->mapping.digest.present);
    ASSERT_FALSE(t->mapping.ttl.present);
    ASSERT_TRUE(t->mapping.bins.present);
    ASSERT_TRUE(t->mapping.bins.all_value_fields);
    ASSERT_EQ_INT(t->mapping.bins.n_map, 0);
    ASSERT_EQ_INT(t->op.type, CFG_OP_WRITE);
    ASSERT_EQ_INT(t->op.record_exists_action, CFG_EXISTS_UPDATE);
    ASSERT_FALSE(t->op.send_key);
    ASSERT_EQ_INT(t->op.max_retries, 0);
    ASSERT_EQ_INT(t->op.total_timeout_ms, 1000);
    ASSERT_EQ_INT(t->op.n_ignore_error_codes, 0);
    assert_defaults(t);
}

TEST(spec_a_yaml)
{
    struct cfg *c = load_ok(GOOD "spec_a.yml");
    assert_spec_a(c);
    ASSERT_EQ_STR(c->file, GOOD "spec_a.yml");
    ASSERT_EQ_INT(topic(c, "user-profiles")->pos.line, 8);
    ASSERT_EQ_INT(topic(c, "user-profiles")->pos.col, 3);
    cfg_free(c);
}

TEST(spec_a_json_same_values)
{
    struct cfg *c = load_ok(GOOD "spec_a.json");
    assert_spec_a(c);
    cfg_free(c);
}

static void assert_spec_b(const struct cfg *c, bool json)
{
    const struct cfg_aerospike *a = &c->aerospike;
    const struct cfg_topic *t;

    ASSERT_EQ_INT(c->max_queued_records, 50000);
    ASSERT_EQ_INT(c->processing_threads, 8);
    ASSERT_EQ_STR(a->cluster_name, "payments-prod");
    ASSERT_EQ_INT(a->n_seeds, 2);
    ASSERT_EQ_STR(a->seeds[0].host, "as-a.pay.internal");
    ASSERT_EQ_INT(a->seeds[0].port, 4333);
    ASSERT_EQ_STR(a->seeds[0].tls_name, "pay-cluster");
    ASSERT_EQ_STR(a->seeds[1].host, "as-b.pay.internal");
    ASSERT_TRUE(a->tls.enabled);
    ASSERT_FALSE(a->tls.key_store.present);
    ASSERT_TRUE(a->tls.trust_store.present);
    ASSERT_EQ_STR(a->tls.trust_store.file, "/etc/kafka/aerospike/ca.p12");
    ASSERT_EQ_STR(a->tls.trust_store.password_file, "/etc/kafka/aerospike/ca.pass");
    ASSERT_EQ_INT(a->tls.trust_store.type, CFG_STORE_PKCS12);
    ASSERT_TRUE(a->tls.trust_store.password == NULL);   /* not read without READ_FILES */
    ASSERT_TRUE(a->credentials.present);
    ASSERT_EQ_STR(a->credentials.username, "connect_writer");
    ASSERT_EQ_STR(a->credentials.password_file, "/etc/kafka/aerospike/writer.pass");
    ASSERT_EQ_INT(a->credentials.auth_mode, CFG_AUTH_INTERNAL);
    ASSERT_TRUE(a->credentials.password == NULL);
    ASSERT_EQ_INT(c->n_topics, 3);
    ASSERT_EQ_STR(c->topics[0].name, "payments.v1");   /* file order */
    ASSERT_EQ_STR(c->topics[2].name, "erasure-requests");

    t = topic(c, "payments.v1");
    ASSERT_EQ_INT(t->invalid_record, CFG_INVALID_KILL_TASK);
    ASSERT_EQ_INT(t->op.type, CFG_OP_WRITE);
    ASSERT_EQ_INT(t->op.record_exists_action, CFG_EXISTS_CREATE_ONLY);
    ASSERT_TRUE(t->op.send_key);
    ASSERT_EQ_INT(t->op.max_retries, 3);
    ASSERT_EQ_INT(t->op.total_timeout_ms, 2000);
    if (json) {   /* the YAML example has this line commented out */
        ASSERT_EQ_INT(t->op.n_ignore_error_codes, 1);
        ASSERT_EQ_INT(t->op.ignore_error_codes[0], 5);
    } else {
        ASSERT_EQ_INT(t->op.n_ignore_error_codes, 0);
    }
    ASSERT_EQ_INT(t->mapping.ns.mode, CFG_MODE_DYNAMIC);
    ASSERT_EQ_INT(t->mapping.ns.source, CFG_SRC_VALUE_FIELD);
    ASSERT_EQ_STR(t->mapping.ns.field_name, "region");
    ASSERT_TRUE(t->mapping.ns.value == NULL);
    ASSERT_EQ_STR(t->mapping.set.value, "txn");
    ASSERT_EQ_INT(t->mapping.key_field.source, CFG_SRC_VALUE_FIELD);
    ASSERT_EQ_STR(t->mapping.key_field.field_name, "txn_id");
    ASSERT_TRUE(t->mapping.ttl.present);
    ASSERT_EQ_INT(t->mapping.ttl.mode, CFG_MODE_STATIC);
    ASSERT_EQ_INT(t->mapping.ttl.value, 2592000);
    ASSERT_FALSE(t->mapping.bins.all_value_fields);
    ASSERT_EQ_INT(t->mapping.bins.n_map, 3);
    ASSERT_EQ_STR(t->mapping.bins.map[0].name, "amt");
    ASSERT_EQ_STR(t->mapping.bins.map[0].field_name, "amount_cents");
    ASSERT_EQ_INT(t->mapping.bins.map[0].source, CFG_SRC_VALUE_FIELD);
    ASSERT_EQ_STR(t->mapping.bins.map[1].name, "ccy");
    ASSERT_EQ_STR(t->mapping.bins.map[1].field_name, "currency");
    ASSERT_EQ_STR(t->mapping.bins.map[2].name, "acct");
    ASSERT_EQ_STR(t->mapping.bins.map[2].field_name, "account_id");

    t = topic(c, "account-balances");
    ASSERT_EQ_INT(t->invalid_record, CFG_INVALID_IGNORE);
    ASSERT_EQ_INT(t->op.record_exists_action, CFG_EXISTS_UPDATE);
    ASSERT_EQ_STR(t->mapping.ns.value, "pay");
    ASSERT_EQ_INT(t->mapping.set.mode, CFG_MODE_DYNAMIC);
    ASSERT_EQ_STR(t->mapping.set.field_name, "tier");
    ASSERT_EQ_INT(t->mapping.key_field.source, CFG_SRC_KEY);
    ASSERT_EQ_INT(t->mapping.ttl.mode, CFG_MODE_DYNAMIC);
    ASSERT_EQ_INT(t->mapping.ttl.source, CFG_SRC_VALUE_FIELD);
    ASSERT_EQ_STR(t->mapping.ttl.field_name, "ttl_s");
    ASSERT_EQ_INT(t->mapping.ttl.unit, CFG_TTL_SECONDS);
    ASSERT_TRUE(t->mapping.bins.all_value_fields);

    t = topic(c, "erasure-requests");
    ASSERT_EQ_INT(t->op.type, CFG_OP_DELETE);
    ASSERT_FALSE(t->mapping.key_field.present);
    ASSERT_TRUE(t->mapping.digest.present);
    ASSERT_EQ_STR(t->mapping.digest.field_name, "rec_digest");
    ASSERT_FALSE(t->mapping.bins.present);
    ASSERT_FALSE(t->mapping.ttl.present);
}

TEST(spec_b_yaml)
{
    struct cfg *c = load_ok(GOOD "spec_b.yml");
    assert_spec_b(c, false);
    cfg_free(c);
}

TEST(spec_b_json)
{
    struct cfg *c = load_ok(GOOD "spec_b.json");
    assert_spec_b(c, true);
    cfg_free(c);
}

TEST(spec_c_beyond)
{
    struct cfg *c = load_ok(GOOD "spec_c.yml");
    const struct cfg_topic *t = topic(c, "click-events");
    const struct cfg_record_op *o = t->op.ops;

    ASSERT_EQ_INT(c->aerospike.n_seeds, 1);
    ASSERT_EQ_STR(c->aerospike.seeds[0].host, "aero-1.internal");
    ASSERT_EQ_INT(t->invalid_record, CFG_INVALID_DEAD_LETTER);
    ASSERT_EQ_INT(t->on_null_value, CFG_NULL_DELETE);
    ASSERT_EQ_INT(t->on_write_failure, CFG_WFAIL_DEAD_LETTER);
    ASSERT_EQ_INT(t->op.type, CFG_OP_OPERATE);
    ASSERT_EQ_INT(t->op.stale_write_guard, CFG_STALE_KAFKA_TIMESTAMP);
    ASSERT_EQ_INT(t->op.n_ops, 3);
    ASSERT_EQ_INT(o[0].op, CFG_ROP_LIST_APPEND);
    ASSERT_EQ_STR(o[0].bin, "recent");
    ASSERT_EQ_STR(o[0].field_name, "url");
    ASSERT_EQ_INT(o[0].value.type, CFG_VAL_NONE);
    ASSERT_EQ_INT(o[1].op, CFG_ROP_INCREMENT);
    ASSERT_EQ_STR(o[1].bin, "clicks");
    ASSERT_EQ_INT(o[1].value.type, CFG_VAL_INT);
    ASSERT_EQ_INT(o[1].value.i, 1);
    ASSERT_TRUE(o[1].field_name == NULL);
    ASSERT_EQ_INT(o[2].op, CFG_ROP_MAP_PUT);
    ASSERT_EQ_STR(o[2].bin, "by_src");
    ASSERT_EQ_STR(o[2].key_field, "source");
    ASSERT_EQ_STR(o[2].field_name, "url");
    ASSERT_EQ_INT(o[2].pos.line, 14);
    ASSERT_EQ_STR(t->mapping.ns.value, "web");
    ASSERT_EQ_STR(t->mapping.set.value, "sessions");
    ASSERT_EQ_INT(t->mapping.ttl.mode, CFG_MODE_DYNAMIC);
    ASSERT_EQ_INT(t->mapping.ttl.source, CFG_SRC_HEADER);
    ASSERT_EQ_STR(t->mapping.ttl.header_name, "x-expire-at");
    ASSERT_EQ_INT(t->mapping.ttl.unit, CFG_TTL_EPOCH_SECONDS);
    ASSERT_FALSE(t->mapping.bins.present);
    cfg_free(c);
}

TEST(json_compact_escapes_and_numbers)
{
    struct cfg *c = load_ok(GOOD "json_compact.json");
    const struct cfg_topic *t = topic(c, "t1");

    ASSERT_EQ_INT(c->aerospike.n_seeds, 2);
    ASSERT_EQ_STR(c->aerospike.seeds[1].host, "db2");
    ASSERT_EQ_INT(c->aerospike.seeds[1].port, 3001);
    ASSERT_EQ_STR(c->aerospike.seeds[1].tls_name, "t\xC3\xA9");   /* \u00e9 */
    ASSERT_TRUE(c->aerospike.tls.enabled);                        /* tls: {} */
    ASSERT_EQ_INT(t->mapping.ttl.value, -1);
    ASSERT_EQ_INT(t->mapping.bins.n_map, 1);
    ASSERT_EQ_STR(t->mapping.bins.map[0].name, "smile\xF0\x9F\x98\x80");   /* surrogate pair */
    ASSERT_EQ_STR(t->mapping.bins.map[0].field_name, "face/x");            /* \/ */
    ASSERT_EQ_INT(t->op.n_ignore_error_codes, 2);
    ASSERT_EQ_INT(t->op.ignore_error_codes[0], 5);
    ASSERT_EQ_INT(t->op.ignore_error_codes[1], 2);   /* KEY_NOT_FOUND_ERROR */
    ASSERT_EQ_INT(t->op.max_retries, 2);
    ASSERT_EQ_INT(t->op.total_timeout_ms, 1500);     /* 1.5e3 */
    cfg_free(c);
}

TEST(v11_flat_rewritten)
{
    struct cfg *c = load_ok(GOOD "v11_flat.yml");
    const struct cfg_topic *t = topic(c, "users");

    ASSERT_EQ_INT(t->mapping.set.mode, CFG_MODE_DYNAMIC);
    ASSERT_EQ_INT(t->mapping.set.source, CFG_SRC_VALUE_FIELD);
    ASSERT_EQ_STR(t->mapping.set.field_name, "category");
    ASSERT_TRUE(t->mapping.key_field.present);
    ASSERT_EQ_INT(t->mapping.key_field.source, CFG_SRC_VALUE_FIELD);
    ASSERT_EQ_STR(t->mapping.key_field.field_name, "user_id");
    ASSERT_EQ_INT(t->mapping.ttl.source, CFG_SRC_VALUE_FIELD);
    ASSERT_EQ_STR(t->mapping.ttl.field_name, "expires_in");
    ASSERT_TRUE(t->mapping.bins.present);
    ASSERT_FALSE(t->mapping.bins.all_value_fields);
    ASSERT_EQ_INT(t->mapping.bins.n_map, 2);
    ASSERT_EQ_STR(t->mapping.bins.map[0].name, "user_name");   /* field: bin */
    ASSERT_EQ_STR(t->mapping.bins.map[0].field_name, "name");
    ASSERT_EQ_STR(t->mapping.bins.map[1].name, "age");
    ASSERT_EQ_STR(t->mapping.bins.map[1].field_name, "age");
    t = topic(c, "events");
    ASSERT_EQ_STR(t->mapping.key_field.field_name, "event_id");
    ASSERT_TRUE(t->mapping.bins.all_value_fields);
    ASSERT_EQ_INT(t->mapping.bins.n_map, 0);
    cfg_free(c);
}

TEST(seeds_every_form)
{
    static const struct {
        const char *host;
        int port;
        const char *tls;
        int line;
    } want[] = {{"db1", 3000, NULL, 4},     {"db2", 3010, NULL, 5},
                {"::1", 3020, NULL, 6},     {"fe80::1", 3000, NULL, 7},
                {"db3", 3030, "tls-db3", 8}, {"db4", 3000, NULL, 9},
                {"db5", 3050, NULL, 10},    {"10.0.0.6", 3000, NULL, 12}};
    struct cfg *c = load_ok(GOOD "seeds_forms.yml");

    ASSERT_EQ_INT(c->aerospike.n_seeds, ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        ASSERT_EQ_STR(c->aerospike.seeds[i].host, want[i].host);
        ASSERT_EQ_INT(c->aerospike.seeds[i].port, want[i].port);
        if (want[i].tls)
            ASSERT_EQ_STR(c->aerospike.seeds[i].tls_name, want[i].tls);
        else
            ASSERT_TRUE(c->aerospike.seeds[i].tls_name == NULL);
        ASSERT_EQ_INT(c->aerospike.seeds[i].pos.line, want[i].line);
    }
    cfg_free(c);
}

TEST(anchors_aliases_merge_keys)
{
    struct cfg *c = load_ok(GOOD "anchors.yml");
    const struct cfg_topic *a = topic(c, "orders"), *b = topic(c, "orders-eu");

    ASSERT_EQ_INT(b->invalid_record, CFG_INVALID_KILL_TASK);
    ASSERT_EQ_INT(b->op.record_exists_action, CFG_EXISTS_REPLACE);
    ASSERT_EQ_STR(b->mapping.ns.value, "shop");
    ASSERT_EQ_STR(b->mapping.set.value, "orders_eu");   /* explicit key wins over << */
    ASSERT_EQ_STR(a->mapping.set.value, "orders");
    ASSERT_EQ_INT(b->mapping.key_field.source, CFG_SRC_KEY);
    ASSERT_TRUE(b->mapping.bins.all_value_fields);
    cfg_free(c);
}

TEST(full_aerospike_section)
{
    struct cfg *c = load_ok(GOOD "full_aerospike.yml");
    const struct cfg_aerospike *a = &c->aerospike;
    const struct cfg_topic *t = topic(c, "audit");

    ASSERT_EQ_STR(c->feature_key_file, "/etc/aerospike/features.conf");
    ASSERT_EQ_STR(a->cluster_name, "prod");
    ASSERT_TRUE(a->has_rack_id);
    ASSERT_EQ_INT(a->rack_id, 2);
    ASSERT_TRUE(a->tls.key_store.present);
    ASSERT_EQ_INT(a->tls.key_store.type, CFG_STORE_PEM);   /* from .pem */
    ASSERT_EQ_INT(a->tls.trust_store.type, CFG_STORE_PKCS12);   /* "pkcs12", any case */
    ASSERT_TRUE(a->credentials.present);
    ASSERT_EQ_INT(a->credentials.auth_mode, CFG_AUTH_PKI);
    ASSERT_TRUE(a->credentials.username == NULL);
    ASSERT_EQ_INT(a->connect_timeout_ms, 2000);
    ASSERT_EQ_INT(a->login_timeout_ms, 3000);
    ASSERT_EQ_INT(a->tend_interval_ms, 500);
    ASSERT_EQ_INT(a->max_connections_per_node, 64);
    ASSERT_EQ_INT(a->max_socket_idle_s, 0);
    ASSERT_EQ_INT(a->max_error_rate, 0);
    ASSERT_EQ_INT(a->error_rate_window, 5);
    ASSERT_EQ_INT(a->boolean_particle, CFG_BOOL_AS_BOOL);
    ASSERT_EQ_INT(t->invalid_record, CFG_INVALID_DEAD_LETTER);
    ASSERT_EQ_INT(t->on_null_value, CFG_NULL_IGNORE);
    ASSERT_EQ_INT(t->on_write_failure, CFG_WFAIL_IGNORE);
    ASSERT_EQ_INT(t->op.record_exists_action, CFG_EXISTS_REPLACE_ONLY);
    ASSERT_TRUE(t->op.send_key);
    ASSERT_EQ_INT(t->op.max_retries, 5);
    ASSERT_EQ_INT(t->op.total_timeout_ms, 0);
    ASSERT_EQ_INT(t->op.socket_timeout_ms, 250);
    ASSERT_EQ_INT(t->op.sleep_between_retries_ms, 10);
    ASSERT_TRUE(t->op.durable_delete);
    ASSERT_EQ_INT(t->op.commit_level, CFG_COMMIT_MASTER);
    ASSERT_EQ_INT(t->op.n_ignore_error_codes, 3);
    ASSERT_EQ_INT(t->op.ignore_error_codes[0], 2);
    ASSERT_EQ_INT(t->op.ignore_error_codes[1], 5);
    ASSERT_EQ_INT(t->op.ignore_error_codes[2], 13);
    ASSERT_EQ_INT(t->op.stale_write_guard, CFG_STALE_GENERATION);
    ASSERT_EQ_INT(t->mapping.ttl.unit, CFG_TTL_EPOCH_MILLIS);
    ASSERT_TRUE(t->mapping.bins.all_value_fields);
    ASSERT_EQ_STR(t->mapping.bins.map[0].name, "who");
    cfg_free(c);
}

TEST(operate_operations)
{
    struct cfg *c = load_ok(GOOD "operate.yml");
    const struct cfg_topic *t = topic(c, "counters");
    const struct cfg_record_op *o = t->op.ops;

    ASSERT_EQ_INT(t->op.n_ops, 7);
    ASSERT_EQ_INT(o[0].value.type, CFG_VAL_INT);
    ASSERT_EQ_STR(o[1].field_name, "points");
    ASSERT_EQ_INT(o[2].value.type, CFG_VAL_DOUBLE);
    ASSERT_EQ_DBL(o[2].value.d, 0.5);
    ASSERT_EQ_STR(o[3].key, "latest");
    ASSERT_EQ_STR(o[4].key_field, "source");
    ASSERT_EQ_INT(o[4].value.type, CFG_VAL_STRING);
    ASSERT_EQ_STR(o[4].value.s, "seen");
    ASSERT_EQ_INT(o[5].op, CFG_ROP_WRITE);
    ASSERT_EQ_STR(o[5].value.s, "active");
    ASSERT_EQ_INT(o[6].op, CFG_ROP_LIST_APPEND);
    ASSERT_EQ_INT(t->on_null_value, CFG_NULL_DELETE);
    cfg_free(c);
}

/* --- loader behaviour --- */

static const char minimal[] = "aerospike: {seeds: [db1]}\n"
                              "topics:\n"
                              "  t:\n"
                              "    invalid-record: ignore\n"
                              "    mapping:\n"
                              "      namespace: {mode: static, value: ns}\n"
                              "      key-field: {source: key}\n"
                              "      bins: {type: multi-bins, all-value-fields: true}\n";

TEST(in_memory_text_with_display_name)
{
    struct cfg *c;
    char *out = load_text(minimal, "stored:aerospike-kafka-inbound.yml", 0, &c);

    ASSERT_EQ_STR(out, "");
    ASSERT_TRUE(c != NULL);
    ASSERT_EQ_STR(c->file, "stored:aerospike-kafka-inbound.yml");
    ASSERT_EQ_STR(c->topics[0].pos.file, "stored:aerospike-kafka-inbound.yml");
    cfg_free(c);
    mem_free(out);
    out = load_text("aerospike: {seeds: [db1]}\ntopics: {t: {}}\n", "mem.yml", 0, &c);
    ASSERT_TRUE(c == NULL);
    ASSERT_CONTAINS(out, "mem.yml:2:10: topics.t: missing required key \"invalid-record\"");
    mem_free(out);
}

TEST(json_detected_by_content_and_forced_yaml)
{
    struct cfg *c;
    char *out = load_text("  {\"aerospike\": {\"seeds\": [\"db1\"]}, \"topics\": {\"t\": "
                          "{\"invalid-record\": \"ignore\", \"mapping\": {\"namespace\": "
                          "{\"mode\": \"static\", \"value\": \"n\"}, \"key-field\": {\"source\": "
                          "\"key\"}, \"bins\": {\"type\": \"multi-bins\", \"all-value-fields\": "
                          "true}}}}}",
                          NULL, 0, &c);
    ASSERT_EQ_STR(out, "");
    ASSERT_TRUE(c != NULL);
    cfg_free(c);
    mem_free(out);
    /* YAML flow text that is not JSON: an error as JSON, fine when forced to YAML */
    out = load_text("{aerospike: {seeds: [db1]}}", "x.json", 0, NULL);
    ASSERT_CONTAINS(out, "x.json:1:2: JSON syntax error: expected a key in double quotes");
    mem_free(out);
    out = load_text("{aerospike: {seeds: [db1]}}", "x.json", CFG_LOAD_YAML, NULL);
    ASSERT_CONTAINS(out, "x.json:1:1: missing required key \"topics\"");
    mem_free(out);
}

TEST(yaml_types_quoted_numbers_and_nulls)
{
    struct cfg *c;
    char *out = load_text("max-queued-records: \"1000\"\nprocessing-threads: 3\n"
                          "aerospike:\n  seeds: [db1]\n  credentials:\n  rack-id: ~\n"
                          "topics:\n  t:\n    invalid-record: ignore\n    mapping:\n"
                          "      namespace: {mode: static, value: 123}\n"
                          "      set: {mode: static, value: \"null\"}\n"
                          "      key-field: {source: key}\n"
                          "      bins: {type: multi-bins, all-value-fields: True}\n",
                          "t.yml", 0, &c);
    ASSERT_EQ_STR(out, "");
    ASSERT_EQ_INT(c->max_queued_records, 1000);    /* a quoted number is accepted */
    ASSERT_FALSE(c->aerospike.credentials.present); /* `credentials:` empty = absent */
    ASSERT_FALSE(c->aerospike.has_rack_id);         /* ~ = absent */
    ASSERT_EQ_STR(c->topics[0].mapping.ns.value, "123");   /* a number as a name */
    ASSERT_EQ_STR(c->topics[0].mapping.set.value, "null"); /* quoted: the text */
    ASSERT_TRUE(c->topics[0].mapping.bins.all_value_fields);
    cfg_free(c);
    mem_free(out);
}

TEST(all_problems_reported_sorted)
{
    /* rules run after the walk, so they are produced out of order: the list is sorted */
    char *out = load_text("topics:\n"
                          "  t:\n"
                          "    invalid-record: nope\n"
                          "    mapping:\n"
                          "      namespace: {mode: static}\n"
                          "      bins: {type: multi-bins, all-value-fields: true}\n"
                          "    aerospike-operation: {tipe: write}\n"
                          "aerospike: {seeds: [db1], clusterName: x}\n",
                          "s.yml", 0, NULL);
    ASSERT_EQ_STR(out,
                  "s.yml:3:21: topics.t.invalid-record: invalid value \"nope\": expected ignore "
                  "| kill-task | dead-letter\n"
                  "s.yml:4:5: topics.t.mapping: needs a key: key-field: {source: key} (or "
                  "value-field), or digest\n"
                  "s.yml:5:7: topics.t.mapping.namespace: mode static needs \"value\"\n"
                  "s.yml:7:27: topics.t.aerospike-operation.tipe: unknown key \"tipe\" (did you "
                  "mean \"type\"?)\n"
                  "s.yml:8:27: aerospike.clusterName: unknown key \"clusterName\" (did you mean "
                  "\"cluster-name\"?)\n");
    mem_free(out);
}

TEST(limits_depth_nodes_size)
{
    struct buf b = BUF_INIT;
    char *out;

    for (int i = 0; i < 70; i++)
        buf_append_str(&b, "[");
    out = load_text(buf_cstr(&b), "deep.yml", 0, NULL);
    ASSERT_CONTAINS(out, "deep.yml:1:65: nesting deeper than 64 levels");
    mem_free(out);
    out = load_text(buf_cstr(&b), "deep.json", 0, NULL);
    ASSERT_CONTAINS(out, "deep.json:1:65: nesting deeper than 64 levels");
    mem_free(out);
    buf_reset(&b);
    /* billion laughs: stops at the node / byte budget, quickly */
    buf_append_str(&b, "a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for (char l = 'b'; l <= 'k'; l++)
        buf_printf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", l, l, l - 1, l - 1,
                   l - 1, l - 1, l - 1, l - 1, l - 1, l - 1, l - 1, l - 1);
    out = load_text(buf_cstr(&b), "laughs.yml", 0, NULL);
    ASSERT_CONTAINS(out, "more than 100000 values");
    mem_free(out);
    /* one value over 64 KiB */
    buf_reset(&b);
    buf_append_str(&b, "aerospike: {cluster-name: ");
    for (int i = 0; i < 70000; i++)
        buf_put_u8(&b, 'x');
    buf_append_str(&b, "}\n");
    out = load_text(buf_cstr(&b), "big.yml", 0, NULL);
    ASSERT_CONTAINS(out, "big.yml:1:27: value is 70000 bytes long (at most 65536)");
    mem_free(out);
    /* a file over 4 MiB */
    buf_reset(&b);
    for (int i = 0; i < (4 << 20) / 8 + 2; i++)
        buf_append_str(&b, "#comment\n");
    out = load_text(buf_cstr(&b), "huge.yml", 0, NULL);
    ASSERT_CONTAINS(out, "huge.yml: file is");
    mem_free(out);
    buf_free(&b);
}

TEST(aliases_unfinished_and_merges)
{
    char *out = load_text("a: &x [1, *x]\n", "r.yml", 0, NULL);
    ASSERT_CONTAINS(out, "r.yml:1:11: alias *x: no finished anchor &x before it");
    mem_free(out);
    out = load_text("a: {<<: 5}\n", "m.yml", 0, NULL);
    ASSERT_CONTAINS(out, "m.yml:1:5: '<<' (merge key) takes a map or a list of maps");
    mem_free(out);
    /* list of merges: the earlier map wins, explicit keys win over both */
    struct cfg *c;
    out = load_text("aerospike: {seeds: [db1]}\n"
                    "topics:\n"
                    "  t:\n"
                    "    invalid-record: ignore\n"
                    "    aerospike-operation:\n"
                    "      <<: [{type: delete, send-key: true}, {type: write, max-retries: 4}]\n"
                    "      send-key: false\n"
                    "    mapping:\n"
                    "      namespace: {mode: static, value: ns}\n"
                    "      key-field: {source: key}\n",
                    "mm.yml", 0, &c);
    ASSERT_EQ_STR(out, "");
    ASSERT_EQ_INT(c->topics[0].op.type, CFG_OP_DELETE);
    ASSERT_EQ_INT(c->topics[0].op.max_retries, 4);
    ASSERT_FALSE(c->topics[0].op.send_key);
    cfg_free(c);
    mem_free(out);
}

/* YAML 1.1 boolean words, written plain, are booleans (the original's Jackson/SnakeYAML reads
 * them so); quoted they are strings, and a boolean key refuses them. */
TEST(yaml11_boolean_words_when_plain)
{
    static const struct {
        const char *word;
        bool val;
    } ok[] = {{"yes", true}, {"Yes", true}, {"YES", true}, {"on", true}, {"ON", true}, {"y", true},
              {"no", false}, {"No", false}, {"off", false}, {"Off", false}, {"N", false}, {"TRUE", true}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char text[400];
        struct cfg *c = NULL;
        snprintf(text, sizeof(text), "aerospike: {seeds: [db1]}\ntopics:\n  t:\n    invalid-record: ignore\n"
                 "    aerospike-operation: {type: write, send-key: %s}\n"
                 "    mapping: {namespace: {mode: static, value: ns}, key-field: {source: key},\n"
                 "              bins: {type: multi-bins, all-value-fields: true}}\n", ok[i].word);
        char *out = load_text(text, "b.yml", 0, &c);
        ASSERT_EQ_STR(out, "");
        if (c->topics[0].op.send_key != ok[i].val)
            TEST_FAIL("send-key: %s gave %d", ok[i].word, (int)c->topics[0].op.send_key);
        cfg_free(c);
        mem_free(out);
    }
    static const char *const bad[] = {"\"yes\"", "'on'", "yES", "oui", "1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[400];
        snprintf(text, sizeof(text), "aerospike: {seeds: [db1]}\ntopics:\n  t:\n    invalid-record: ignore\n"
                 "    aerospike-operation: {type: write, send-key: %s}\n"
                 "    mapping: {namespace: {mode: static, value: ns}, key-field: {source: key}}\n", bad[i]);
        char *out = load_text(text, "b.yml", 0, NULL);
        ASSERT_CONTAINS(out, "expected true or false");
        mem_free(out);
    }
}

/* A FIFO given as a config file is refused at once instead of waiting for a writer. */
TEST(fifo_is_refused_without_waiting)
{
    char path[600];
    struct err e = {0};
    size_t len = 0;

    snprintf(path, sizeof(path), "%s/mapping.fifo", tu_tmpdir());
    ASSERT_EQ_INT(mkfifo(path, 0600), 0);
    ASSERT_TRUE(cfg_read_file(path, &len, &e) == NULL);   /* blocked forever before */
    ASSERT_EQ_STR(e.msg, "not a regular file");
    ASSERT_TRUE(cfg_read_file(tu_tmpdir(), &len, &e) == NULL);
    ASSERT_EQ_STR(e.msg, "is a directory");
}

TEST(big_merge_is_fast_and_keeps_precedence)
{
    struct buf b = BUF_INIT;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_doc *doc;
    const struct cfg_node *m;
    uint64_t t0 = clock_mono_ms();

    buf_append_str(&b, "a: &a\n");
    for (int i = 0; i < 20000; i++)
        buf_printf(&b, "  k%d: merged\n", i);
    buf_append_str(&b, "b:\n  <<: *a\n");
    for (int i = 10000; i < 20000; i++)   /* half of them explicit */
        buf_printf(&b, "  k%d: explicit\n", i);
    for (int i = 20000; i < 25000; i++)
        buf_printf(&b, "  k%d: own\n", i);
    doc = cfg__parse_yaml((char *)b.p, b.len, "m.yml", &d);
    ASSERT_TRUE(doc != NULL);
    ASSERT_EQ_INT(d.n, 0);
    m = cfg__map_get(doc->root, "b");
    ASSERT_EQ_INT(m->n, 25000);
    ASSERT_EQ_STR(cfg__map_get(m, "k3")->s, "merged");
    ASSERT_EQ_STR(cfg__map_get(m, "k12345")->s, "explicit");
    ASSERT_EQ_STR(cfg__map_get(m, "k24999")->s, "own");
    ASSERT_CMP_INT(clock_mono_ms() - t0, <, 3000 * test_timeout_scale());
    cfg__doc_free(doc);
    cfg_diags_free(&d);
    buf_free(&b);
}

TEST(partial_load_keeps_topics)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    static const char text[] = "aerospike: {seeds: [db1]}\ntopics: {a: {}, b: {}}\n";
    struct cfg *c = cfg_load_text(text, strlen(text), "p.yml", CFG_LOAD_PARTIAL, &d);
    struct err e = {0};

    ASSERT_TRUE(c != NULL);
    ASSERT_EQ_INT(d.errors, 4);   /* two required keys in each topic */
    ASSERT_EQ_INT(c->n_topics, 2);
    ASSERT_EQ_STR(c->topics[1].name, "b");
    ASSERT_ST(cfg_diags_to_err(&d, &e), ST_CONFIG);
    ASSERT_EQ_STR(e.msg, "p.yml:2:10: topics.a: missing required key \"invalid-record\" "
                         "(and 3 more problems)");
    cfg_free(c);
    cfg_diags_free(&d);
}

/* --- files named by the config (CFG_LOAD_READ_FILES) --- */

static const char *write_mode(const char *dir, const char *name, const void *data, size_t n,
                              mode_t mode)
{
    static char path[8][600];
    static int slot;
    char *p = path[slot = (slot + 1) % 8];
    FILE *f;

    snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
    f = fopen(p, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ_INT(fwrite(data, 1, n, f), n);
    fclose(f);
    ASSERT_EQ_INT(chmod(p, mode), 0);
    return p;
}

static char *with_files(const char *pw, const char *store, const char *type, struct cfg **c)
{
    struct buf b = BUF_INIT;
    char *out;

    buf_printf(&b,
               "aerospike:\n"
               "  seeds: [db1]\n"
               "  credentials: {username: u, password-file: \"%s\"}\n"
               "  tls:\n"
               "    trust-store: {store-file: \"%s\"%s%s}\n"
               "topics:\n  t:\n    invalid-record: ignore\n    mapping:\n"
               "      namespace: {mode: static, value: ns}\n"
               "      key-field: {source: key}\n"
               "      bins: {type: multi-bins, all-value-fields: true}\n",
               pw, store, type ? ", store-type: " : "", type ? type : "");
    out = load_text(buf_cstr(&b), "f.yml", CFG_LOAD_READ_FILES, c);
    buf_free(&b);
    return out;
}

TEST(password_file_first_line_trailing_spaces_kept)
{
    const char *dir = tu_tmpdir();
    const char *pw = write_mode(dir, "pw", "s3cret  \r\nsecond line\n", 21, 0600);
    const char *p12 = write_mode(dir, "ca.p12", "\x30\x82\x01\x00", 4, 0644);
    struct cfg *c;
    char *out = with_files(pw, p12, NULL, &c);

    ASSERT_EQ_STR(out, "");
    ASSERT_EQ_STR(c->aerospike.credentials.password, "s3cret  ");
    cfg_free(c);
    mem_free(out);
}

TEST(password_file_problems)
{
    const char *dir = tu_tmpdir();
    const char *p12 = write_mode(dir, "ca.p12", "\x30\x82\x01\x00", 4, 0644);
    const char *open_pw = write_mode(dir, "open.pw", "pw\n", 3, 0644);
    const char *empty_pw = write_mode(dir, "empty.pw", "\nx\n", 3, 0600);
    struct cfg *c;
    char *out = with_files(open_pw, p12, NULL, &c);
    char want[1024];

    ASSERT_TRUE(c != NULL);   /* a warning only */
    snprintf(want, sizeof(want),
             "warning: f.yml:3:45: aerospike.credentials.password-file: \"%s\" holds a secret "
             "and is readable by everyone (mode 0644): chmod 600 it\n", open_pw);
    ASSERT_EQ_STR(out, want);
    cfg_free(c);
    mem_free(out);
    out = with_files(empty_pw, p12, NULL, &c);
    ASSERT_TRUE(c == NULL);
    ASSERT_CONTAINS(out, "password-file: cannot read");
    ASSERT_CONTAINS(out, "the first line is empty");
    mem_free(out);
    out = with_files("/nonexistent/pw", p12, NULL, &c);
    ASSERT_CONTAINS(out, "cannot read \"/nonexistent/pw\": cannot open: No such file or directory");
    mem_free(out);
}

TEST(store_files_sniffed)
{
    const char *dir = tu_tmpdir();
    const char *pw = write_mode(dir, "pw", "x\n", 2, 0600);
    const char *jks = write_mode(dir, "trust.p12", "\xFE\xED\xFE\xED\x00\x00", 6, 0644);
    const char *pem = write_mode(dir, "ca.p12", "-----BEGIN CERTIFICATE-----\n", 28, 0644);
    const char *bin = write_mode(dir, "ca.pem", "\x30\x82", 2, 0644);
    char *out;

    out = with_files(pw, jks, NULL, NULL);   /* JKS under a .p12 name */
    ASSERT_CONTAINS(out, "JKS stores are not supported: convert");
    ASSERT_CONTAINS(out, "keytool -importkeystore");
    mem_free(out);
    out = with_files(pw, pem, "PKCS12", NULL);
    ASSERT_CONTAINS(out, "is PEM text, not PKCS12: set store-type: PEM");
    mem_free(out);
    out = with_files(pw, bin, NULL, NULL);   /* .pem name -> PEM expected */
    ASSERT_CONTAINS(out, "has no \"-----BEGIN\" block: not PEM");
    mem_free(out);
    out = with_files(pw, pem, "PEM", NULL);
    ASSERT_EQ_STR(out, "");
    mem_free(out);
}

TEST(no_files_touched_without_flag)
{
    struct cfg *c;
    char *out = load_text("aerospike:\n  seeds: [db1]\n  credentials: {username: u, "
                          "password-file: /nonexistent/pw}\n"
                          "topics:\n  t:\n    invalid-record: ignore\n    mapping:\n"
                          "      namespace: {mode: static, value: ns}\n"
                          "      key-field: {source: key}\n"
                          "      bins: {type: multi-bins, all-value-fields: true}\n",
                          "n.yml", 0, &c);
    ASSERT_EQ_STR(out, "");
    ASSERT_TRUE(c->aerospike.credentials.password == NULL);
    cfg_free(c);
    mem_free(out);
}

/* --- the table --- */

TEST(every_default_is_valid)
{
    /* a default that does not parse would leave a zero and be reported as an error */
    for (size_t i = 0; i < cfg__n_keys; i++) {
        const struct cfg_key *k = &cfg__keys[i];
        int64_t v;
        if (!k->def)
            continue;
        if (k->type == CFG_K_INT) {
            ASSERT_TRUE(str_to_i64(k->def, strlen(k->def), &v));
            ASSERT_TRUE(v >= k->min && v <= k->max);
        } else if (k->type == CFG_K_ENUM) {
            bool found = false;
            for (const struct cfg_enum_val *e = k->vals; e->name; e++)
                found |= strcmp(e->name, k->def) == 0;
            if (!found)
                TEST_FAIL("%s: default %s not allowed", k->path, k->def);
        } else if (k->type == CFG_K_BOOL) {
            ASSERT_TRUE(strcmp(k->def, "true") == 0 || strcmp(k->def, "false") == 0);
        }
        if (k->type != CFG_K_MAP && k->type != CFG_K_NAMED && k->type != CFG_K_SEQ &&
            k->scope == CFG_S_NONE)
            TEST_FAIL("%s: a default with nowhere to store it", k->path);
    }
}

TEST(table_paths_unique_and_parents_exist)
{
    for (size_t i = 0; i < cfg__n_keys; i++) {
        char parent[256];
        const char *dot, *br;
        for (size_t j = i + 1; j < cfg__n_keys; j++)
            if (strcmp(cfg__keys[i].path, cfg__keys[j].path) == 0)
                TEST_FAIL("duplicate row %s", cfg__keys[i].path);
        snprintf(parent, sizeof(parent), "%s", cfg__keys[i].path);
        dot = strrchr(parent, '.');
        br = strrchr(parent, '[');
        if (br && (!dot || br > dot))
            parent[br - parent] = '\0';
        else if (dot)
            parent[dot - parent] = '\0';
        else
            continue;
        if (!cfg__key_find(parent))
            TEST_FAIL("%s: no row for its parent %s", cfg__keys[i].path, parent);
    }
}

TEST(suggestions)
{
    static const char *const keys[] = {"port", "tls-name", "record-exists-action", "send-key"};
    ASSERT_EQ_STR(cfg__suggest("prot", keys, 4), "port");                   /* transposition */
    ASSERT_EQ_STR(cfg__suggest("tls_name", keys, 4), "tls-name");           /* underscore */
    ASSERT_EQ_STR(cfg__suggest("recordExistsAction", keys, 4), "record-exists-action");
    ASSERT_EQ_STR(cfg__suggest("SEND-KEY", keys, 4), "send-key");
    ASSERT_EQ_STR(cfg__suggest("record-exist-action", keys, 4), "record-exists-action");
    ASSERT_TRUE(cfg__suggest("banana", keys, 4) == NULL);
    ASSERT_EQ_STR(cfg__key_suggest("topics.*.mapping", "namespac"), "namespace");
    ASSERT_EQ_STR(cfg__key_suggest("", "topic"), "topics");
    ASSERT_EQ_STR(cfg__key_suggest("aerospike.seeds[].*", "tlsname"), "tls-name");
}

TEST(reference_lists_every_key)
{
    struct buf plain = BUF_INIT, md = BUF_INIT;

    ASSERT_OK(cfg_reference(&plain, false));
    ASSERT_OK(cfg_reference(&md, true));
    ASSERT_CONTAINS((char *)md.p, "| Key | Type | Req. | Default | Origin | Meaning |");
    ASSERT_CONTAINS((char *)md.p, "| `topics.<topic>.mapping.bins.map.<bin>.field-name` |");
    ASSERT_CONTAINS((char *)md.p, "| `aerospike.seeds[].<host>.port` | integer 1..65535 |  | `3000` |");
    ASSERT_CONTAINS((char *)plain.p, "  topics.<topic>.invalid-record\n"
                                     "      ignore | kill-task | dead-letter, required\n");
    for (size_t i = 0; i < cfg__n_keys; i++) {
        const char *last = strrchr(cfg__keys[i].path, '.');
        last = last ? last + 1 : cfg__keys[i].path;
        if (strcmp(last, "*") != 0)
            ASSERT_CONTAINS((char *)md.p, last);
    }
    buf_free(&plain);
    buf_free(&md);
}

/* --- failure injection: every allocation may fail; no crash, no leak (ASan), clean error --- */

TEST(allocation_failures)
{
    size_t len = 0;
    char *text = tu_read_file(GOOD "spec_b.yml", &len);
    uint64_t before, total;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg *c;

    ASSERT_TRUE(text != NULL);
    before = mem_alloc_count();
    c = cfg_load_text(text, len, "b.yml", 0, &d);
    total = mem_alloc_count() - before;
    ASSERT_TRUE(c != NULL);
    cfg_free(c);
    cfg_diags_free(&d);
    for (uint64_t n = 1; n <= total + 1; n++) {
        cfg_diags_init(&d);
        mem_fail_after(n);
        c = cfg_load_text(text, len, "b.yml", 0, &d);
        mem_fail_after(0);
        if (c)
            ASSERT_EQ_INT(d.errors, 0);
        else
            ASSERT_CMP_INT(d.errors, >, 0);
        cfg_free(c);
        cfg_diags_free(&d);
    }
    mem_free(text);
}

TEST_LIST = {
    T(spec_a_yaml),
    T(spec_a_json_same_values),
    T(spec_b_yaml),
    T(spec_b_json),
    T(spec_c_beyond),
    T(json_compact_escapes_and_numbers),
    T(v11_flat_rewritten),
    T(seeds_every_form),
    T(anchors_aliases_merge_keys),
    T(full_aerospike_section),
    T(operate_operations),
    T(in_memory_text_with_display_name),
    T(json_detected_by_content_and_forced_yaml),
    T(yaml_types_quoted_numbers_and_nulls),
    T(all_problems_reported_sorted),
    T(limits_depth_nodes_size),
    T(aliases_unfinished_and_merges),
    T(yaml11_boolean_words_when_plain),
    T(fifo_is_refused_without_waiting),
    T(big_merge_is_fast_and_keeps_precedence),
    T(partial_load_keeps_topics),
    T(password_file_first_line_trailing_spaces_kept),
    T(password_file_problems),
    T(store_files_sniffed),
    T(no_files_touched_without_flag),
    T(every_default_is_valid),
    T(table_paths_unique_and_parents_exist),
    T(suggestions),
    T(reference_lists_every_key),
    T(allocation_failures),
    {0},
};
