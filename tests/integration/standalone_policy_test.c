/* End-to-end: aerospike-operation options through real config files and `aerosink standalone`:
 * every record-exists-action (success and failure paths, on-write-failure, ignore-error-codes),
 * send-key (proved with the server's stored-key check), and `type: delete` topics. */
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

static void topic_yaml(struct buf *y, const char *topic, const char *set, const char *policy_lines,
                       const char *op_lines)
{
    buf_printf(y,
               "  %s:\n"
               "%s"
               "    aerospike-operation:\n"
               "%s"
               "    mapping:\n"
               "      namespace: {mode: static, value: test}\n"
               "      set: {mode: static, value: %s}\n"
               "      key-field: {source: key}\n"
               "      bins: {type: multi-bins, all-value-fields: true}\n",
               topic, policy_lines, op_lines, set);
}

/* records "key=json" from a NULL-terminated list, all to partition 0 */
struct list_ctx {
    const char *const *recs;
};

static void list_rec(int i, struct sa_rec *r, void *ctx)
{
    struct list_ctx *c = ctx;
    const char *s = c->recs[i], *eq = strchr(s, '=');
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "%.*s", (int)(eq - s), s);
    if (strcmp(eq + 1, "null") == 0)
        r->val_len = -1;
    else
        r->val_len = snprintf(r->val, r->val_cap, "%s", eq + 1);
}

static int count_list(const char *const *l)
{
    int n = 0;
    while (l[n])
        n++;
    return n;
}

static void produce_list(struct sa_env *v, const char *topic, const char *const *recs)
{
    struct list_ctx c = {recs};
    sa_produce(v->bootstrap, topic, count_list(recs), list_rec, &c);
}

static const char *const seed_names[] = {"old", "keep"};
static const int64_t seed_vals[] = {1, 1};

/* ---- record-exists-action: what each does on existing and new keys ---- */

TEST(record_exists_actions_merge_replace_and_create)
{
    struct sa_env v;
    static const char *const actions[] = {"update", "replace", "replace-only", "update-only", "create-only"};
    const char *tp[5], *set[5];
    char specs[5][160], csv[1000] = "";
    const char *topics[6];
    struct buf y = BUF_INIT;

    sa_env_init(&v);
    for (int i = 0; i < 5; i++) {
        tp[i] = sa_name(&v, actions[i]);
        set[i] = sa_name(&v, i == 0 ? "xu" : i == 1 ? "xr" : i == 2 ? "xro" : i == 3 ? "xuo" : "xco");
        snprintf(specs[i], sizeof(specs[i]), "%s:1", tp[i]);
        topics[i] = specs[i];
    }
    topics[5] = NULL;
    const char *name = sa_name(&v, "exists");
    sa_env_start(&v, topics, NULL);

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < 4; i++)   /* an existing record E: old=1 keep=1, generation 1 */
        sa_put_ints(&a, "test", set[i], "E", seed_names, seed_vals, 2);
    static const char *const both[] = {"E={\"new\":2,\"old\":3}", "N={\"new\":2,\"old\":3}", NULL};
    static const char *const existing[] = {"E={\"new\":2,\"old\":3}", NULL};
    static const char *const fresh[] = {"N={\"new\":2,\"old\":3}", NULL};
    for (int i = 0; i < 5; i++) {
        char ops[200];
        produce_list(&v, tp[i], i < 2 ? both : i < 4 ? existing : fresh);
        snprintf(ops, sizeof(ops), "      record-exists-action: %s\n", actions[i]);
        topic_yaml(&y, tp[i], set[i], "    invalid-record: kill-task\n", ops);
        if (i)
            strcat(csv, ",");
        strcat(csv, tp[i]);
    }
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, csv, NULL, buf_cstr(&y), NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    struct sa_stats st;
    ASSERT_TRUE(sa_wait_out(p, 2 + 2 + 1 + 1 + 1, 60000, &st));
    for (int i = 0; i < 5; i++)
        ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), tp[i], 1, i < 2 ? 2 : 1, 20000, NULL),
                      i < 2 ? 2 : 1);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.written, 7);
    ASSERT_EQ_INT(st.failed, 0);
    mem_free(err);

    for (int i = 0; i < 5; i++) {
        struct aero_record rec = {0};
        bool merges = i == 0 || i == 3;
        if (i < 4) {
            ASSERT_OK(e2e_get_str(&a, "test", set[i], "E", &rec));
            ASSERT_EQ_INT(rec.generation, 2);
            ASSERT_EQ_INT(e2e_bin_int(&rec, "new"), 2);
            ASSERT_EQ_INT(e2e_bin_int(&rec, "old"), 3);
            if (merges) {   /* update, update-only: bins not written stay */
                ASSERT_EQ_INT(e2e_bin_int(&rec, "keep"), 1);
                ASSERT_EQ_INT(sa_bin_count(&rec), 3);
            } else {        /* replace, replace-only: bins not written are dropped */
                ASSERT_FALSE(sa_has_bin(&rec, "keep"));
                ASSERT_EQ_INT(sa_bin_count(&rec), 2);
            }
            aero_record_free(&rec);
        }
        if (i < 2 || i == 4) {   /* update, replace, create-only create new keys */
            ASSERT_OK(e2e_get_str(&a, "test", set[i], "N", &rec));
            ASSERT_EQ_INT(rec.generation, 1);
            ASSERT_EQ_INT(sa_bin_count(&rec), 2);
            aero_record_free(&rec);
        }
    }
    e2e_aero_close(&a);
    buf_free(&y);
    sa_env_free(&v);
}

/* update-only on a missing key fails with 2. That is a write failure (connector-spec §7.2:
 * RECORD class -> on-write-failure, default kill-task), not an invalid record: invalid-record:
 * ignore does not cover it. */
/* Issue 5: "non-retriable per-record failures and unmappable records follow invalid-record";
 * on-write-failure defaults to that. ignore: logged once, skipped, counted, offsets move on;
 * kill-task: exit 1 at the record, nothing committed past it. */
static void update_only_missing(const char *policy)
{
    struct sa_env v;
    char spec[160], group[200], inv[80];
    struct buf y = BUF_INIT;
    int64_t off[1];
    bool kill = strcmp(policy, "kill-task") == 0;

    sa_env_init(&v);
    const char *topic = sa_name(&v, "uo-missing"), *set = sa_name(&v, "uom"), *name = sa_name(&v, "uo-missing");
    snprintf(spec, sizeof(spec), "%s:1", topic);
    snprintf(group, sizeof(group), "connect-%s", name);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    sa_put_ints(&a, "test", set, "E", seed_names, seed_vals, 2);
    static const char *const recs[] = {"E={\"new\":1}", "M={\"new\":1}", "E={\"new\":2}", NULL};
    produce_list(&v, topic, recs);
    snprintf(inv, sizeof(inv), "    invalid-record: %s\n", policy);
    topic_yaml(&y, topic, set, inv, "      record-exists-action: update-only\n");
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, NULL, buf_cstr(&y), NULL);
    const char *opts[] = {"--exit-when-drained", NULL};
    struct tu_proc *p = sa_start(w, c, NULL, kill ? no_opts : opts, NULL);
    char *err = sa_end(p, 0, kill ? 1 : 0, 60000);   /* exits by itself */
    char where[300];
    if (kill) {
        snprintf(where, sizeof(where), "task failed at %s[0]@1: ", topic);
        ASSERT_EQ_INT(sa_count2(err, where, "ERR_NOT_FOUND"), 1);
        ASSERT_EQ_INT(sa_count2(err, "aerosink: connector", "failed:"), 1);
        ASSERT_EQ_INT(sa_count(err, "] skipped "), 0);
        ASSERT_EQ_INT(sa_committed(v.bootstrap, group, topic, 1, off), 1);   /* stops before the failed record */
    } else {
        snprintf(where, sizeof(where), "skipped %s[0]@1: ", topic);
        ASSERT_EQ_INT(sa_count2(err, where, "ERR_NOT_FOUND"), 1);
        ASSERT_EQ_INT(sa_count(err, "task failed"), 0);
        ASSERT_EQ_INT(sa_committed(v.bootstrap, group, topic, 1, off), 3);   /* moved on */
    }
    mem_free(err);
    struct aero_record rec = {0};
    ASSERT_ST(e2e_get_str(&a, "test", set, "M", &rec), ST_NOT_FOUND);
    aero_record_free(&rec);
    ASSERT_OK(e2e_get_str(&a, "test", set, "E", &rec));
    /* with kill-task, E@2 (another key, maybe on another thread) may already have been written
     * when M@1 failed: the guarantee is the committed offset, and a restart rewrites E@2 */
    if (kill)
        ASSERT_TRUE(e2e_bin_int(&rec, "new") == 1 || e2e_bin_int(&rec, "new") == 2);
    else
        ASSERT_EQ_INT(e2e_bin_int(&rec, "new"), 2);
    aero_record_free(&rec);
    e2e_aero_close(&a);
    buf_free(&y);
    sa_env_free(&v);
}

TEST(update_only_on_a_missing_key_follows_invalid_record_ignore)
{
    update_only_missing("ignore");
}

TEST(update_only_on_a_missing_key_follows_invalid_record_kill_task)
{
    update_only_missing("kill-task");
}

TEST(only_actions_failures_follow_on_write_failure_ignore_and_ignore_error_codes)
{
    struct sa_env v;
    char specs[4][160], csv[800];
    struct buf y = BUF_INIT;

    sa_env_init(&v);
    const char *t_uo = sa_name(&v, "uo"), *t_ro = sa_name(&v, "ro"), *t_co = sa_name(&v, "co"),
               *t_ci = sa_name(&v, "co-ign");
    const char *s_uo = sa_name(&v, "uo"), *s_ro = sa_name(&v, "ro"), *s_co = sa_name(&v, "co"),
               *s_ci = sa_name(&v, "ci");
    const char *name = sa_name(&v, "onlyfail");
    snprintf(specs[0], sizeof(specs[0]), "%s:1", t_uo);
    snprintf(specs[1], sizeof(specs[1]), "%s:1", t_ro);
    snprintf(specs[2], sizeof(specs[2]), "%s:1", t_co);
    snprintf(specs[3], sizeof(specs[3]), "%s:1", t_ci);
    const char *topics[] = {specs[0], specs[1], specs[2], specs[3], NULL};
    sa_env_start(&v, topics, NULL);
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    sa_put_ints(&a, "test", s_co, "E", seed_names, seed_vals, 2);
    sa_put_ints(&a, "test", s_ci, "E", seed_names, seed_vals, 2);
    static const char *const missing[] = {"A={\"new\":1}", "M={\"new\":1}", "B={\"new\":1}", NULL};
    static const char *const exists[] = {"N1={\"new\":1}", "E={\"new\":1}", "N2={\"new\":1}", NULL};
    produce_list(&v, t_uo, missing);
    produce_list(&v, t_ro, missing);
    produce_list(&v, t_co, exists);
    produce_list(&v, t_ci, exists);
    /* A and B exist for the -only topics */
    sa_put_ints(&a, "test", s_uo, "A", seed_names, seed_vals, 2);
    sa_put_ints(&a, "test", s_uo, "B", seed_names, seed_vals, 2);
    sa_put_ints(&a, "test", s_ro, "A", seed_names, seed_vals, 2);
    sa_put_ints(&a, "test", s_ro, "B", seed_names, seed_vals, 2);
    const char *pol = "    invalid-record: kill-task\n    on-write-failure: ignore\n";
    topic_yaml(&y, t_uo, s_uo, pol, "      record-exists-action: update-only\n");
    topic_yaml(&y, t_ro, s_ro, pol, "      record-exists-action: replace-only\n");
    topic_yaml(&y, t_co, s_co, pol, "      record-exists-action: create-only\n");
    topic_yaml(&y, t_ci, s_ci, "    invalid-record: kill-task\n",
               "      record-exists-action: create-only\n      ignore-error-codes: [KEY_EXISTS_ERROR]\n");
    snprintf(csv, sizeof(csv), "%s,%s,%s,%s", t_uo, t_ro, t_co, t_ci);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, csv, NULL, buf_cstr(&y), NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    const char *ts[] = {t_uo, t_ro, t_co, t_ci};
    for (int i = 0; i < 4; i++)   /* every offset moves on */
        ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), ts[i], 1, 3, sa_ms(60000), NULL), 3);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.in, 12);
    ASSERT_EQ_INT(st.written, 8);
    ASSERT_EQ_INT(st.failed, 3);    /* uo/M (2), ro/M (2), co/E (5) */
    ASSERT_EQ_INT(st.skipped, 4);   /* those three + the ignored 5 */
    char where[300];
    snprintf(where, sizeof(where), "skipped %s[0]@1: ", t_uo);
    ASSERT_EQ_INT(sa_count2(err, where, "ERR_NOT_FOUND"), 1);
    /* the line says what was written where: namespace, digest, then the node's answer once */
    ASSERT_EQ_INT(sa_count2(err, where, "Aerospike write in namespace test (digest "), 1);
    ASSERT_EQ_INT(sa_count(err, "test/ERR_"), 0);
    snprintf(where, sizeof(where), "skipped %s[0]@1: ", t_ro);
    ASSERT_EQ_INT(sa_count2(err, where, "ERR_NOT_FOUND"), 1);
    snprintf(where, sizeof(where), "skipped %s[0]@1: ", t_co);
    ASSERT_EQ_INT(sa_count2(err, where, "ERR_RECORD_EXISTS"), 1);
    ASSERT_EQ_INT(sa_count(err, "on-write-failure: ignore"), 3);
    mem_free(err);

    struct aero_record rec = {0};
    ASSERT_ST(e2e_get_str(&a, "test", s_uo, "M", &rec), ST_NOT_FOUND);
    aero_record_free(&rec);
    ASSERT_ST(e2e_get_str(&a, "test", s_ro, "M", &rec), ST_NOT_FOUND);
    aero_record_free(&rec);
    for (int k = 0; k < 2; k++) {
        const char *s = k ? s_ci : s_co;
        ASSERT_OK(e2e_get_str(&a, "test", s, "E", &rec));   /* create-only left it alone */
        ASSERT_EQ_INT(rec.generation, 1);
        ASSERT_FALSE(sa_has_bin(&rec, "new"));
        aero_record_free(&rec);
        ASSERT_OK(e2e_get_str(&a, "test", s, "N2", &rec));   /* and went on */
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    buf_free(&y);
    sa_env_free(&v);
}

/* ---- send-key ---- */

/* Write @ns/@set with the digest of @orig but the user key @other (send-key): a server that
 * stored @orig answers 19 KEY_MISMATCH; one that stored no key accepts it. */
static int put_with_other_key(struct e2e_aero *a, const char *set, const struct aero_key_value *orig,
                              const struct aero_key_value *other)
{
    struct aero_key k;
    struct aero_write_policy wp;
    struct aero_bin bin = {.name = "probe", .type = AERO_PT_INTEGER, .i = 1};
    struct aero_record rec = {0};
    struct err e = {0};
    ASSERT_OK(aero_key_init(&k, "test", set, orig, &e));
    k.value = *other;   /* keep the digest of @orig */
    aero_write_policy_init(&wp);
    wp.send_key = true;
    wp.exists = AERO_EXISTS_UPDATE_ONLY;
    enum status st = aero_put(a->cl, &wp, &k, &bin, 1, &rec, &e);
    aero_record_free(&rec);
    return st == ST_OK ? 0 : e.aero_rc ? e.aero_rc : -1;
}

static void sk_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "k-%d", i);
    r->val_len = snprintf(r->val, r->val_cap, "{\"id\":%d,\"v\":%d}", 500 + i, i);
}

TEST(send_key_stores_the_user_key)
{
    struct sa_env v;
    const int n = 10;
    char specs[3][160], csv[600], yaml[2400];

    sa_env_init(&v);
    const char *t1 = sa_name(&v, "sk"), *t2 = sa_name(&v, "sk-no"), *t3 = sa_name(&v, "sk-int");
    const char *s1 = sa_name(&v, "sk"), *s2 = sa_name(&v, "skno"), *s3 = sa_name(&v, "skint");
    const char *name = sa_name(&v, "sendkey");
    snprintf(specs[0], sizeof(specs[0]), "%s:1", t1);
    snprintf(specs[1], sizeof(specs[1]), "%s:1", t2);
    snprintf(specs[2], sizeof(specs[2]), "%s:1", t3);
    const char *topics[] = {specs[0], specs[1], specs[2], NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, t1, n, sk_rec, NULL);
    sa_produce(v.bootstrap, t2, n, sk_rec, NULL);
    sa_produce(v.bootstrap, t3, n, sk_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    aerospike-operation: {type: write, send-key: true}\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n"
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n"
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    aerospike-operation: {send-key: true}\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: value-field, field-name: id}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             t1, s1, t2, s2, t3, s3);
    snprintf(csv, sizeof(csv), "%s,%s,%s", t1, t2, t3);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, csv, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), t1, 1, n, sa_ms(60000), NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), t2, 1, n, sa_ms(20000), NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), t3, 1, n, sa_ms(20000), NULL), n);
    mem_free(sa_end(p, SIGTERM, 0, 60000));

    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    struct aero_key_value other = {.type = AERO_PT_STRING, .p = (const uint8_t *)"not-the-key", .n = 11};
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k-%d", i);
        struct aero_key_value kv = {.type = AERO_PT_STRING, .p = (const uint8_t *)key, .n = strlen(key)};
        ASSERT_EQ_INT(put_with_other_key(&a, s1, &kv, &other), AERO_RC_ERR_KEY_MISMATCH);   /* stored */
        ASSERT_EQ_INT(put_with_other_key(&a, s2, &kv, &other), 0);                          /* not stored */
        struct aero_key_value ik = {.type = AERO_PT_INTEGER, .i = 500 + i};
        struct aero_key_value io = {.type = AERO_PT_INTEGER, .i = 7};
        ASSERT_EQ_INT(put_with_other_key(&a, s3, &ik, &io), AERO_RC_ERR_KEY_MISMATCH);      /* integer stored */
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- type: delete ---- */

static void del_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = 0;
    if (i < 10)
        r->key_len = snprintf(r->key, sizeof(r->key), "x-%d", i);
    else if (i < 15)
        r->key_len = snprintf(r->key, sizeof(r->key), "x-%d", 100 + i);   /* absent */
    else
        r->key_len = -1;   /* no key: nothing to delete */
    if (i % 2 == 0)
        r->val_len = -1;   /* tombstones and ordinary values both delete */
    else
        r->val_len = snprintf(r->val, r->val_cap, "{\"any\":%d}", i);
}

TEST(delete_topic_removes_the_keyed_records)
{
    struct sa_env v;
    char spec[160], yaml[800];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "del"), *set = sa_name(&v, "del"), *name = sa_name(&v, "del");
    snprintf(spec, sizeof(spec), "%s:1", topic);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int i = 0; i < 20; i++) {
        char key[16];
        snprintf(key, sizeof(key), "x-%d", i);
        sa_put_ints(&a, "test", set, key, seed_names, seed_vals, 2);
    }
    sa_produce(v.bootstrap, topic, 16, del_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: ignore\n"
             "    aerospike-operation: {type: delete}\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n",
             topic, set);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 1, 16, sa_ms(60000), NULL), 16);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.deleted, 10);
    ASSERT_EQ_INT(st.written, 0);
    ASSERT_EQ_INT(st.skipped, 6);   /* 5 absent keys + 1 keyless record */
    ASSERT_EQ_INT(st.failed, 0);
    char where[300];
    snprintf(where, sizeof(where), "skipped %s[0]@15: ", topic);
    ASSERT_EQ_INT(sa_count2(err, where, "no key"), 1);
    mem_free(err);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), 10);
    for (int i = 0; i < 20; i++) {
        struct aero_record rec = {0};
        char key[16];
        snprintf(key, sizeof(key), "x-%d", i);
        ASSERT_ST(e2e_get_str(&a, "test", set, key, &rec), i < 10 ? ST_NOT_FOUND : ST_OK);
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

TEST_LIST = {
    T(record_exists_actions_merge_replace_and_create),
    T(update_only_on_a_missing_key_follows_invalid_record_ignore),
    T(update_only_on_a_missing_key_follows_invalid_record_kill_task),
    T(only_actions_failures_follow_on_write_failure_ignore_and_ignore_error_codes),
    T(send_key_stores_the_user_key),
    T(delete_topic_removes_the_keyed_records),
    {0},
};
