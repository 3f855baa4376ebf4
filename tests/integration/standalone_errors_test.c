/* End-to-end: bad records and bad configuration through `aerosink standalone`: invalid-record
 * ignore / kill-task (committed offsets, restart after the fix), tombstones on write topics,
 * undecodable values and errors.tolerance, configuration errors (exit 2, same lines as check). */
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

static void value_key_yaml(char *buf, size_t cap, const char *topic, const char *set, const char *policy)
{
    snprintf(buf, cap,
             "  %s:\n"
             "    invalid-record: %s\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: value-field, field-name: id}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, policy, set);
}

/* ---- invalid-record: ignore ---- */

#define N_BAD_KINDS 5
static const char *const bad_values[N_BAD_KINDS] = {
    "{\"v\":1}",                                 /* key field missing */
    "{\"id\":[1],\"v\":1}",                      /* a list cannot be a key */
    "[1,2,3]",                                   /* value is not a map */
    "{\"id\":\"x\",\"abcdefghijklmnop\":1}",     /* bin name over 15 bytes */
    "{\"id\":null,\"v\":1}",                     /* null key field */
};
static const char *const bad_reasons[N_BAD_KINDS] = {
    "field 'id' missing", "a user key must be", "not a map", "abcdefghijklmnop", "field 'id' is null",
};

static bool is_bad(int i)
{
    return i % 83 == 7;
}

static void mixed_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = i % 3;
    r->key_len = snprintf(r->key, sizeof(r->key), "k-%d", i);
    if (is_bad(i))
        r->val_len = snprintf(r->val, r->val_cap, "%s", bad_values[(i / 83) % N_BAD_KINDS]);
    else
        r->val_len = snprintf(r->val, r->val_cap, "{\"id\":\"id-%d\",\"v\":%d}", i, i);
}

TEST(invalid_record_ignore_logs_each_bad_record_once_and_moves_on)
{
    struct sa_env v;
    const int n = 1000;
    char spec[160], yaml[800];
    int bad = 0;

    sa_env_init(&v);
    const char *topic = sa_name(&v, "mixed"), *set = sa_name(&v, "mixed"), *name = sa_name(&v, "mixed");
    snprintf(spec, sizeof(spec), "%s:3", topic);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, topic, n, mixed_rec, NULL);
    value_key_yaml(yaml, sizeof(yaml), topic, set, "ignore");
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, "processing-threads: 2\n", yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    int64_t offs[3];
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 3, n, sa_ms(60000), offs), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    for (int i = 0; i < n; i++) {
        if (!is_bad(i))
            continue;
        char where[300];
        bad++;
        snprintf(where, sizeof(where), "skipped %s[%d]@%d: ", topic, i % 3, i / 3);
        int lines = sa_count2(err, where, bad_reasons[(i / 83) % N_BAD_KINDS]);
        if (lines != 1) {
            fputs(err, stderr);
            TEST_FAIL("record %d (%s): %d lines with \"%s\" and \"%s\"", i, where, lines, where,
                      bad_reasons[(i / 83) % N_BAD_KINDS]);
        }
    }
    ASSERT_EQ_INT(sa_count(err, "] skipped "), bad);
    ASSERT_EQ_INT(sa_count2(err, "] skipped ", "(invalid-record: ignore)"), bad);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.in, n);
    ASSERT_EQ_INT(st.skipped, bad);
    ASSERT_EQ_INT(st.written, n - bad);
    ASSERT_EQ_INT(st.written + st.skipped, st.in);
    mem_free(err);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), n - bad);
    sa_env_free(&v);
}

static void many_bad_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "k-%d", i);
    r->val_len = snprintf(r->val, r->val_cap, i < 40 ? "{\"v\":%d}" : "{\"id\":\"id-%d\"}", i);
}

/* 40 bad records in a burst: the log may be rate-limited (connector-spec §7.1), but then it must
 * say how many lines it left out; here every skip must be accounted for by the time aerosink exits. */
TEST(rate_limited_skip_lines_account_for_every_skipped_record)
{
    struct sa_env v;
    const int n = 50, bad = 40;
    char spec[160], yaml[800];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "burst"), *set = sa_name(&v, "burst"), *name = sa_name(&v, "burst");
    snprintf(spec, sizeof(spec), "%s:1", topic);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, topic, n, many_bad_rec, NULL);
    value_key_yaml(yaml, sizeof(yaml), topic, set, "ignore");
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, NULL, yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 1, n, sa_ms(60000), NULL), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.skipped, bad);
    int lines = sa_count(err, "] skipped ");
    long suppressed = 0;
    for (const char *q = err; (q = strstr(q, " more record-level messages suppressed")) != NULL; q++) {
        const char *b = q;
        while (b > err && b[-1] >= '0' && b[-1] <= '9')
            b--;
        suppressed += strtol(b, NULL, 10);
    }
    if (lines + suppressed != bad) {
        fputs(err, stderr);
        TEST_FAIL("bug: %d skipped records, %d skip lines, %ld reported as suppressed: %ld skips were "
                  "never logged nor counted in the log", bad, lines, suppressed, bad - lines - suppressed);
    }
    mem_free(err);
    sa_env_free(&v);
}

/* ---- invalid-record: kill-task, then fix and restart ---- */

static void kill_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    int part = i % 3, off = i / 3;
    r->partition = part;
    r->key_len = snprintf(r->key, sizeof(r->key), "k-%d", i);
    if (part == 1 && off == 400)
        r->val_len = snprintf(r->val, r->val_cap, "{\"id\":[%d],\"v\":%d}", i, i);
    else
        r->val_len = snprintf(r->val, r->val_cap, "{\"id\":\"id-%d\",\"v\":%d}", i, i);
}

TEST(kill_task_exits_1_commits_nothing_past_the_bad_record_and_resumes_from_it_after_the_fix)
{
    struct sa_env v;
    const int n = 3000;   /* 1000 per partition; the bad record is partition 1, offset 400 */
    const int bad_i = 400 * 3 + 1;
    char spec[160], yaml[800], where[300];
    int64_t offs[3], offs2[3];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "kill"), *set = sa_name(&v, "kill"), *set2 = sa_name(&v, "fixed");
    const char *name = sa_name(&v, "kill");
    snprintf(spec, sizeof(spec), "%s:3", topic);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, topic, n, kill_rec, NULL);
    value_key_yaml(yaml, sizeof(yaml), topic, set, "kill-task");
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, "processing-threads: 2\n", yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    char *err = sa_end(p, 0, 1, 60000);   /* stops by itself with exit 1 */
    snprintf(where, sizeof(where), "task failed at %s[1]@400: ", topic);
    ASSERT_EQ_INT(sa_count2(err, where, "a user key must be"), 1);
    snprintf(where, sizeof(where), "failed: %s[1]@400: ", topic);
    ASSERT_EQ_INT(sa_count2(err, "aerosink: connector", where), 1);
    ASSERT_EQ_INT(sa_count(err, "(invalid-record: kill-task)"), 3);   /* the ERROR line, the summary, the exit */
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.skipped, 0);
    mem_free(err);
    long long sum = sa_committed(v.bootstrap, group_of(name), topic, 3, offs);
    ASSERT_EQ_INT(offs[1], 400);   /* everything before the bad record, nothing past it */
    ASSERT_CMP_INT(offs[0], <=, 1000);
    ASSERT_CMP_INT(offs[2], <=, 1000);
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    for (int off = 0; off < 400; off++) {   /* all of partition 1 before it was written */
        struct aero_record rec = {0};
        char key[32];
        snprintf(key, sizeof(key), "id-%d", off * 3 + 1);
        ASSERT_OK(e2e_get_str(&a, "test", set, key, &rec));
        aero_record_free(&rec);
    }

    /* the fix: key from the Kafka key (into another set, to see exactly what the restart reads) */
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             topic, set2);
    c = sa_connector(&v, name, topic, "processing-threads: 2\n", yaml, NULL);
    p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 3, n, sa_ms(60000), offs2), n);
    err = sa_end(p, SIGTERM, 0, 60000);
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.in, n - sum);   /* resumed exactly at the committed offsets */
    ASSERT_EQ_INT(st.written, n - sum);
    mem_free(err);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set2), n - sum);
    for (int i = 0; i < n; i++) {
        struct aero_record rec = {0};
        char key[32];
        snprintf(key, sizeof(key), "k-%d", i);
        bool reread = i / 3 >= offs[i % 3];
        ASSERT_ST(e2e_get_str(&a, "test", set2, key, &rec), reread ? ST_OK : ST_NOT_FOUND);
        if (i == bad_i)
            ASSERT_TRUE(reread);
        aero_record_free(&rec);
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- tombstones on write topics ---- */

static void tomb_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = i % 2;
    r->key_len = snprintf(r->key, sizeof(r->key), "k-%d", i);
    if (i % 5 == 0)
        r->val_len = -1;
    else
        r->val_len = snprintf(r->val, r->val_cap, "{\"v\":%d}", i);
}

TEST(tombstones_on_a_write_topic_are_skipped_counted_and_committed)
{
    struct sa_env v;
    const int n = 100, tombs = 20;
    char s1[160], s2[160], yaml[1600], csv[400];
    static const char *const seed_names[] = {"v"};
    static const int64_t seed_vals[] = {-1};

    sa_env_init(&v);
    const char *t1 = sa_name(&v, "tomb-default"), *t2 = sa_name(&v, "tomb-ignore");
    const char *set1 = sa_name(&v, "tombd"), *set2 = sa_name(&v, "tombi"), *name = sa_name(&v, "tomb");
    snprintf(s1, sizeof(s1), "%s:2", t1);
    snprintf(s2, sizeof(s2), "%s:2", t2);
    const char *topics[] = {s1, s2, NULL};
    sa_env_start(&v, topics, NULL);
    struct e2e_aero a;
    e2e_aero_open(&a, v.hosts);
    sa_put_ints(&a, "test", set1, "k-0", seed_names, seed_vals, 1);   /* a tombstone's key that exists */
    sa_put_ints(&a, "test", set2, "k-0", seed_names, seed_vals, 1);
    sa_produce(v.bootstrap, t1, n, tomb_rec, NULL);
    sa_produce(v.bootstrap, t2, n, tomb_rec, NULL);
    snprintf(yaml, sizeof(yaml),
             "  %s:\n"                                   /* default on-null-value: ignore */
             "    invalid-record: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n"
             "  %s:\n"
             "    invalid-record: kill-task\n"
             "    on-null-value: ignore\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: %s}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             t1, set1, t2, set2);
    snprintf(csv, sizeof(csv), "%s,%s", t1, t2);
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, csv, "processing-threads: 2\n", yaml, NULL);
    struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), t1, 2, n, sa_ms(60000), NULL), n);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), t2, 2, n, sa_ms(20000), NULL), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    struct sa_stats st;
    ASSERT_TRUE(sa_parse_last_stats(err, &st));
    ASSERT_EQ_INT(st.in, 2 * n);
    ASSERT_EQ_INT(st.skipped, 2 * tombs);
    ASSERT_EQ_INT(st.written, 2 * (n - tombs));
    ASSERT_EQ_INT(st.deleted, 0);
    /* both paths log each tombstone (connector-spec §11: "ignored tombstones are logged and counted") */
    ASSERT_EQ_INT(sa_count2(err, "] skipped ", "tombstone"), 2 * tombs);
    mem_free(err);
    for (int k = 0; k < 2; k++) {
        const char *set = k ? set2 : set1;
        ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set), n - tombs + 1);
        for (int i = 0; i < n; i++) {
            struct aero_record rec = {0};
            char key[32];
            snprintf(key, sizeof(key), "k-%d", i);
            enum status s = e2e_get_str(&a, "test", set, key, &rec);
            if (i == 0) {   /* the existing record is left alone: no delete, no write */
                ASSERT_OK(s);
                ASSERT_EQ_INT(rec.generation, 1);
                ASSERT_EQ_INT(e2e_bin_int(&rec, "v"), -1);
            } else {
                ASSERT_ST(s, i % 5 == 0 ? ST_NOT_FOUND : ST_OK);
            }
            aero_record_free(&rec);
        }
    }
    e2e_aero_close(&a);
    sa_env_free(&v);
}

/* ---- undecodable values: errors.tolerance ---- */

static void json_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "k-%d", i);
    if (i == 3 || i == 9)
        r->val_len = snprintf(r->val, r->val_cap, "{\"v\":%d,", i);   /* truncated JSON */
    else
        r->val_len = snprintf(r->val, r->val_cap, "{\"v\":%d}", i);
}

TEST(undecodable_values_follow_errors_tolerance)
{
    struct sa_env v;
    const int n = 20;
    char s1[160], s2[160], y1[800], y2[800], where[300];

    sa_env_init(&v);
    const char *t1 = sa_name(&v, "json-all"), *t2 = sa_name(&v, "json-none");
    const char *set1 = sa_name(&v, "jall"), *set2 = sa_name(&v, "jnone");
    const char *n1 = sa_name(&v, "jall"), *n2 = sa_name(&v, "jnone");
    snprintf(s1, sizeof(s1), "%s:1", t1);
    snprintf(s2, sizeof(s2), "%s:1", t2);
    const char *topics[] = {s1, s2, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, t1, n, json_rec, NULL);
    sa_produce(v.bootstrap, t2, n, json_rec, NULL);
    const char *fmt = "  %s:\n"
                      "    invalid-record: kill-task\n"
                      "    mapping:\n"
                      "      namespace: {mode: static, value: test}\n"
                      "      set: {mode: static, value: %s}\n"
                      "      key-field: {source: key}\n"
                      "      bins: {type: multi-bins, all-value-fields: true}\n";
    snprintf(y1, sizeof(y1), fmt, t1, set1);
    snprintf(y2, sizeof(y2), fmt, t2, set2);
    const char *w = sa_worker(&v, NULL);
    const char *c1 = sa_connector(&v, n1, t1, NULL, y1, "errors.tolerance=all\nerrors.log.enable=true\n");
    const char *c2 = sa_connector(&v, n2, t2, NULL, y2, NULL);   /* errors.tolerance=none (default) */

    struct tu_proc *p = sa_start(w, c1, NULL, no_opts, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(n1), t1, 1, n, sa_ms(60000), NULL), n);
    char *err = sa_end(p, SIGTERM, 0, 60000);
    snprintf(where, sizeof(where), "skipped %s[0]@3: VALUE_CONVERTER", t1);
    ASSERT_EQ_INT(sa_count(err, where), 1);
    snprintf(where, sizeof(where), "skipped %s[0]@9: VALUE_CONVERTER", t1);
    ASSERT_EQ_INT(sa_count(err, where), 1);
    mem_free(err);
    ASSERT_EQ_INT(e2e_count_objects(v.hosts, "test", set1), n - 2);

    p = sa_start(w, c2, NULL, no_opts, NULL);
    err = sa_end(p, 0, 1, 60000);
    snprintf(where, sizeof(where), "task failed at %s[0]@3: VALUE_CONVERTER", t2);
    ASSERT_EQ_INT(sa_count(err, where), 1);
    mem_free(err);
    ASSERT_EQ_INT(sa_committed(v.bootstrap, group_of(n2), t2, 1, NULL), 3);
    sa_env_free(&v);
}

/* ---- two connectors in one process, one task fails ---- */

static void good_rec(int i, struct sa_rec *r, void *ctx)
{
    (void)ctx;
    r->partition = 0;
    r->key_len = snprintf(r->key, sizeof(r->key), "k-%d", i);
    r->val_len = snprintf(r->val, r->val_cap, "{\"id\":\"id-%d\",\"v\":%d}", i, i);
    if (ctx && i == 5)
        r->val_len = snprintf(r->val, r->val_cap, "{\"v\":%d}", i);   /* no id: invalid */
}

/* `aerosink standalone --help`: "A task that fails (invalid-record: kill-task, a fatal error) makes
 * the process exit 1 with the reason." With a second, healthy connector in the same process. */
TEST(a_failed_task_makes_the_process_exit_1_even_with_a_second_connector)
{
    struct sa_env v;
    char s1[160], s2[160], y1[800], y2[800], where[300];
    int bad = 1;

    sa_env_init(&v);
    const char *t1 = sa_name(&v, "healthy"), *t2 = sa_name(&v, "failing");
    const char *set1 = sa_name(&v, "healthy"), *set2 = sa_name(&v, "failing");
    const char *n1 = sa_name(&v, "healthy"), *n2 = sa_name(&v, "failing");
    snprintf(s1, sizeof(s1), "%s:1", t1);
    snprintf(s2, sizeof(s2), "%s:1", t2);
    const char *topics[] = {s1, s2, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, t1, 20, good_rec, NULL);
    sa_produce(v.bootstrap, t2, 20, good_rec, &bad);
    value_key_yaml(y1, sizeof(y1), t1, set1, "kill-task");
    value_key_yaml(y2, sizeof(y2), t2, set2, "kill-task");
    const char *w = sa_worker(&v, NULL);
    const char *c1 = sa_connector(&v, n1, t1, NULL, y1, NULL);
    const char *c2 = sa_connector(&v, n2, t2, NULL, y2, NULL);
    const char *more[] = {c2, NULL};
    struct tu_proc *p = sa_start(w, c1, more, no_opts, NULL);
    snprintf(where, sizeof(where), "task failed at %s[0]@5: ", t2);
    ASSERT_TRUE(sa_wait_log(p, where, 60000));
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(n2), t2, 1, 5, 20000, NULL), 5);
    /* the documented behaviour: the process exits 1 by itself */
    int rc = tu_proc_wait(p, sa_ms(15000));
    if (rc == -2) {
        char *err = sa_end(p, SIGTERM, 1, 60000);   /* still checked: exit 1 and no sanitizer report */
        mem_free(err);
        sa_env_free(&v);
        TEST_FAIL("bug: connector %s failed but `aerosink standalone` kept running 15 s later (it exits only on "
                  "SIGTERM, then with 1); the failure is reported only at exit", n2);
    }
    char *err = sa_end(p, 0, 1, 10000);
    snprintf(where, sizeof(where), "aerosink: connector %s failed: %s[0]@5", n2, t2);
    ASSERT_EQ_INT(sa_count(err, where), 1);
    mem_free(err);
    sa_env_free(&v);
}

/* ---- configuration errors ---- */

/* Lines of @text that look like "file:line:col: path: message" for files in @dir, sorted. */
static int diag_lines(const char *text, const char *dir, char lines[][600], int cap)
{
    int n = 0;
    const char *l = text;
    while (l && *l && n < cap) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        if (strncmp(l, dir, strlen(dir)) == 0 && len < 600) {
            snprintf(lines[n], 600, "%.*s", (int)len, l);
            n++;
        }
        l = nl ? nl + 1 : NULL;
    }
    return n;
}

static bool has_position(const char *line)
{
    /* file:LINE:COL: key: message */
    const char *p = strstr(line, ".yml:");
    if (!p)
        p = strstr(line, ".properties:");
    if (!p)
        return false;
    p = strchr(p, ':') + 1;
    char *end;
    long ln = strtol(p, &end, 10), col;
    if (end == p || *end != ':' || ln <= 0)
        return false;
    p = end + 1;
    col = strtol(p, &end, 10);
    return end != p && *end == ':' && col > 0 && end[1] == ' ';
}

/* Kafka going away: librdkafka's own complaints come out as aerosink's log lines (warnings
 * once per event, its raw "%3|...|FAIL|" lines only at --log-level debug, in our format),
 * never as its raw stderr lines (sa_end fails on any). */
TEST(kafka_gone_is_logged_in_aerosinks_format_only)
{
    struct sa_env v;
    char spec[160], yaml[800];

    if (tu_kafka_is_real())
        TEST_SKIP("stops the embedded Kafka");
    sa_env_init(&v);
    const char *topic = sa_name(&v, "gone"), *set = sa_name(&v, "gone"), *name = sa_name(&v, "gone");
    snprintf(spec, sizeof(spec), "%s:1", topic);
    const char *topics[] = {spec, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, topic, 20, many_bad_rec, NULL);   /* partition 0; skipped or written */
    value_key_yaml(yaml, sizeof(yaml), topic, set, "ignore");
    const char *w = sa_worker(&v, NULL);
    const char *c = sa_connector(&v, name, topic, NULL, yaml, NULL);
    const char *const debug[] = {"--log-level", "debug", NULL};
    struct tu_proc *p = sa_start(w, c, NULL, debug, NULL);
    ASSERT_EQ_INT(sa_wait_committed(v.bootstrap, group_of(name), topic, 1, 20, sa_ms(60000), NULL), 20);
    kill(tu_proc_pid(v.kafka), SIGKILL);   /* connections refused from now on */
    ASSERT_TRUE(sa_wait_log(p, "Kafka: _TRANSPORT", 30000));
    ASSERT_TRUE(sa_wait_log(p, "DEBUG [", 1000));
    char *err = sa_end(p, SIGTERM, 0, 60000);   /* no raw librdkafka line (sa_end checks) */
    ASSERT_CMP_INT(sa_count2(err, "WARN ", "Kafka: _TRANSPORT"), >=, 1);
    ASSERT_CMP_INT(sa_count2(err, "DEBUG ", "] Kafka FAIL: "), >=, 1);   /* its own line, ours */
    mem_free(err);
    sa_env_free(&v);
}

TEST(broken_mapping_exits_2_with_the_same_lines_as_check)
{
    struct sa_env v;
    static const char *const broken[] = {
        /* several mistakes in one file, and a consumed topic without a mapping */
        "  %s:\n"
        "    invalid-record: ignor\n"
        "    aerospike-operation:\n"
        "      record-exist-action: update\n"
        "    mapping:\n"
        "      set: {mode: static, value: s1}\n"
        "      key-field: {source: key}\n"
        "      digest: {source: value-field, field-name: d}\n"
        "      bins: {type: multi-bins, map: {abcdefghijklmnopq: {source: value-field, field-name: a}}}\n",
        /* one wrong value */
        "  %s:\n"
        "    invalid-record: ignore\n"
        "    mapping:\n"
        "      namespace: {mode: static, value: test}\n"
        "      key-field: {source: key}\n"
        "      ttl: {mode: static, value: 315360001}\n"
        "      bins: {type: multi-bins, all-value-fields: true}\n",
        /* YAML syntax */
        "  %s: {invalid-record: ignore, mapping: {namespace: {mode: static, value: test}\n",
        NULL,
    };
    static const char *const expect[] = {"record-exist-action", "ttl", "YAML syntax error"};
    char spec[160], spec2[160], yaml[2000], csv[400];

    sa_env_init(&v);
    const char *topic = sa_name(&v, "cfg"), *other = sa_name(&v, "cfg-unmapped");
    snprintf(spec, sizeof(spec), "%s:1", topic);
    snprintf(spec2, sizeof(spec2), "%s:1", other);
    const char *topics[] = {spec, spec2, NULL};
    sa_env_start(&v, topics, NULL);
    sa_produce(v.bootstrap, topic, 10, json_rec, NULL);
    const char *w = sa_worker(&v, NULL);
    int mismatches = 0;
    for (int b = 0; broken[b]; b++) {
        char name[64], out_check[32][600], out_sa[32][600];
        snprintf(name, sizeof(name), "cfg%d-%s", b, v.id);
        snprintf(yaml, sizeof(yaml), broken[b], topic);
        snprintf(csv, sizeof(csv), "%s,%s", topic, other);
        const char *c = sa_connector(&v, name, b == 0 ? csv : topic, NULL, yaml, NULL);

        char *check_out = NULL;
        const char *cargv[] = {tu_bin("aerosink"), "check", w, c, NULL};
        ASSERT_EQ_INT(tu_run(cargv, sa_ms(20000), &check_out), 2);
        struct tu_proc *p = sa_start(w, c, NULL, no_opts, NULL);
        char *err = sa_end(p, 0, 2, 20000);
        ASSERT_EQ_INT(sa_count(err, "started:"), 0);   /* nothing ran */

        int nc = diag_lines(check_out, v.dir, out_check, 32);
        int ns = diag_lines(err, v.dir, out_sa, 32);
        ASSERT_CMP_INT(nc, >=, 1);
        ASSERT_CONTAINS(err, expect[b]);
        for (int i = 0; i < ns; i++)
            if (!has_position(out_sa[i]))
                TEST_FAIL("not a file:line:col: line: %s", out_sa[i]);
        bool same = nc == ns;
        for (int i = 0; same && i < nc; i++)
            same = strcmp(out_check[i], out_sa[i]) == 0;
        if (!same) {
            fprintf(stderr, "    aerosink check:\n");
            for (int i = 0; i < nc; i++)
                fprintf(stderr, "      %s\n", out_check[i]);
            fprintf(stderr, "    aerosink standalone:\n");
            for (int i = 0; i < ns; i++)
                fprintf(stderr, "      %s\n", out_sa[i]);
            fprintf(stderr, "    bug: case %d: `aerosink standalone` printed %d problem line(s), `aerosink check` "
                    "%d; they differ\n", b, ns, nc);
            mismatches++;
        }
        mem_free(check_out);
        mem_free(err);
    }
    /* nothing was consumed by any of them */
    for (int b = 0; broken[b]; b++) {
        char g[200];
        snprintf(g, sizeof(g), "connect-cfg%d-%s", b, v.id);
        ASSERT_EQ_INT(sa_committed(v.bootstrap, g, topic, 1, NULL), 0);
    }
    sa_env_free(&v);
    if (mismatches)
        TEST_FAIL("bug: in %d case(s) `aerosink standalone` did not print the same problems as `aerosink check`",
                  mismatches);
}

TEST_LIST = {
    T(invalid_record_ignore_logs_each_bad_record_once_and_moves_on),
    T(rate_limited_skip_lines_account_for_every_skipped_record),
    T(kill_task_exits_1_commits_nothing_past_the_bad_record_and_resumes_from_it_after_the_fix),
    T(tombstones_on_a_write_topic_are_skipped_counted_and_committed),
    T(undecodable_values_follow_errors_tolerance),
    T(broken_mapping_exits_2_with_the_same_lines_as_check),
    T(kafka_gone_is_logged_in_aerosinks_format_only),
    T(a_failed_task_makes_the_process_exit_1_even_with_a_second_connector),
    {0},
};
