/* src/app/herder_test.c: the herder's tables as the reader thread builds them from the config
 * and status topics, record by record, without Kafka: old records still load, create claims
 * decide between concurrent creates, each applied record leaves the outcome its writer reads,
 * and topic-tracking records are read as Kafka Connect writes them. */
#include "../../tests/harness.h"
#include "herder_int.h"

static struct herder *tables(void)
{
    struct herder *h = mem_calloc(1, sizeof(*h));
    ASSERT_TRUE(h != NULL);
    h->config_topic = "cfg";
    h->status_topic = "st";
    h->log = (struct log_ctx){LOG_OFF, "herder", 2, NULL};
    h->doc = conv_doc_new();
    ASSERT_TRUE(h->doc != NULL);
    return h;
}

static void tables_free(struct herder *h)
{
    herder__free_tables(h);
    conv_doc_free(h->doc);
    mem_free(h);
}

/* Apply @key=@val (NULL: tombstone) at offset @off. */
static void put(struct herder *h, const char *key, const char *val, int64_t off)
{
    herder__apply_config(h, key, strlen(key), val, val ? strlen(val) : 0, off);
}

static const struct hconn *conn(struct herder *h, const char *name)
{
    return herder__conn(h, name, false);
}

static const char *config_value(struct herder *h, const char *name, const char *key)
{
    const struct hconn *c = conn(h, name);
    const struct rest_kv *kv = c ? rest_kvs_find(&c->config, key) : NULL;
    return kv && kv->value ? kv->value : "";
}

static void claim(struct herder *h, const char *name, uint64_t time, uint64_t ttl, int64_t off)
{
    char key[128], val[128];
    snprintf(key, sizeof(key), "aerosink-create-%s", name);
    snprintf(val, sizeof(val), "{\"worker_id\":\"w:1\",\"time\":%llu,\"ttl_ms\":%llu}", (unsigned long long)time,
             (unsigned long long)ttl);
    put(h, key, val, off);
}

static void release(struct herder *h, const char *name, int64_t claim_off, int64_t off)
{
    char key[128], val[64];
    snprintf(key, sizeof(key), "aerosink-create-%s", name);
    snprintf(val, sizeof(val), "{\"release\":%lld}", (long long)claim_off);
    put(h, key, val, off);
}

/* A config topic written before claims existed (or by Kafka Connect) loads as before. */
TEST(records_without_claims_load_as_before)
{
    struct herder *h = tables();
    put(h, "target-state-a", "{\"state\":\"PAUSED\"}", 0);
    put(h, "connector-a", "{\"properties\":{\"tasks.max\":\"2\",\"topics\":\"t\"}}", 1);
    ASSERT_TRUE(conn(h, "a")->present);
    ASSERT_EQ_INT(conn(h, "a")->target, TGT_PAUSED);
    ASSERT_EQ_INT(conn(h, "a")->created, 1);
    ASSERT_EQ_STR(config_value(h, "a", "tasks.max"), "2");
    ASSERT_EQ_INT(herder__outcome(h, 1), HOUT_CREATED);
    put(h, "connector-a", "{\"properties\":{\"tasks.max\":\"3\"}}", 2);
    ASSERT_EQ_STR(config_value(h, "a", "tasks.max"), "3");
    ASSERT_EQ_INT(herder__outcome(h, 2), HOUT_UPDATED);
    ASSERT_EQ_INT(conn(h, "a")->created, 1);
    put(h, "task-a-0", "{\"properties\":{}}", 3);   /* Connect's own records: not ours */
    put(h, "commit-a", "{\"tasks\":1}", 4);
    ASSERT_EQ_INT(herder__outcome(h, 3), HOUT_NONE);
    put(h, "connector-a", NULL, 5);
    ASSERT_FALSE(conn(h, "a")->present);
    ASSERT_EQ_INT(herder__outcome(h, 5), HOUT_DELETED);
    put(h, "connector-a", NULL, 6);   /* deleting the absent: no effect */
    ASSERT_EQ_INT(herder__outcome(h, 6), HOUT_NONE);
    put(h, "connector-a", "{\"properties\":{\"tasks.max\":\"1\"}}", 7);
    ASSERT_EQ_INT(herder__outcome(h, 7), HOUT_CREATED);
    ASSERT_EQ_INT(conn(h, "a")->created, 7);
    tables_free(h);
}

/* Of two creates of one name, the first claim in the topic wins; the second is refused while
 * the first is pending, and after the config followed it. */
TEST(the_first_claim_wins_and_later_ones_are_refused)
{
    struct herder *h = tables();
    claim(h, "b", 1000, 100, 0);
    claim(h, "b", 1001, 100, 1);
    ASSERT_EQ_INT(herder__outcome(h, 0), HOUT_CLAIM_GRANTED);
    ASSERT_EQ_INT(herder__outcome(h, 1), HOUT_CLAIM_REFUSED);
    ASSERT_FALSE(conn(h, "b")->present);   /* a claim alone creates nothing */
    put(h, "connector-b", "{\"properties\":{\"tasks.max\":\"1\"}}", 2);
    ASSERT_EQ_INT(herder__outcome(h, 2), HOUT_CREATED);
    ASSERT_EQ_INT(conn(h, "b")->claim_off, -1);
    claim(h, "b", 1002, 100, 3);   /* it exists */
    ASSERT_EQ_INT(herder__outcome(h, 3), HOUT_CLAIM_REFUSED);
    put(h, "connector-b", NULL, 4);
    claim(h, "b", 1003, 100, 5);   /* deleted: free again */
    ASSERT_EQ_INT(herder__outcome(h, 5), HOUT_CLAIM_GRANTED);
    /* names are independent */
    claim(h, "c", 1003, 100, 6);
    ASSERT_EQ_INT(herder__outcome(h, 6), HOUT_CLAIM_GRANTED);
    tables_free(h);
}

/* A claim whose writer died blocks the name only for its ttl, measured by the clock of the
 * later claim (in the record, so every worker judges alike); a release frees it at once, but
 * only the release of that claim. */
TEST(a_pending_claim_expires_by_ttl_or_release)
{
    struct herder *h = tables();
    claim(h, "d", 5000, 100, 10);
    claim(h, "d", 5099, 100, 11);
    claim(h, "d", 5100, 100, 12);
    ASSERT_EQ_INT(herder__outcome(h, 10), HOUT_CLAIM_GRANTED);
    ASSERT_EQ_INT(herder__outcome(h, 11), HOUT_CLAIM_REFUSED);
    ASSERT_EQ_INT(herder__outcome(h, 12), HOUT_CLAIM_GRANTED);   /* 10 expired at 5100 */
    ASSERT_EQ_INT(conn(h, "d")->claim_off, 12);
    release(h, "d", 10, 13);   /* not the pending claim: ignored */
    claim(h, "d", 5101, 100, 14);
    ASSERT_EQ_INT(herder__outcome(h, 14), HOUT_CLAIM_REFUSED);
    release(h, "d", 12, 15);
    ASSERT_EQ_INT(conn(h, "d")->claim_off, -1);
    claim(h, "d", 5102, 100, 16);
    ASSERT_EQ_INT(herder__outcome(h, 16), HOUT_CLAIM_GRANTED);
    /* malformed claims (no time or ttl, not JSON) are refused; tombstones do nothing */
    put(h, "aerosink-create-e", "{\"worker_id\":\"w:1\"}", 17);
    put(h, "aerosink-create-e", "{nope", 18);
    put(h, "aerosink-create-e", NULL, 19);
    ASSERT_EQ_INT(herder__outcome(h, 17), HOUT_CLAIM_REFUSED);
    ASSERT_EQ_INT(herder__outcome(h, 18), HOUT_NONE);
    claim(h, "e", 1, 1, 20);
    ASSERT_EQ_INT(herder__outcome(h, 20), HOUT_CLAIM_GRANTED);
    tables_free(h);
}

/* Outcomes are kept for the last HERDER_OUTCOMES offsets; older ones read as unknown. */
TEST(outcomes_are_kept_per_offset_in_a_ring)
{
    struct herder *h = tables();
    put(h, "connector-f", "{\"properties\":{}}", 5);
    ASSERT_EQ_INT(herder__outcome(h, 5), HOUT_CREATED);
    ASSERT_EQ_INT(herder__outcome(h, 4), HOUT_NONE);
    ASSERT_EQ_INT(herder__outcome(h, -1), HOUT_NONE);
    put(h, "connector-f", "{\"properties\":{}}", 5 + HERDER_OUTCOMES);
    ASSERT_EQ_INT(herder__outcome(h, 5 + HERDER_OUTCOMES), HOUT_UPDATED);
    ASSERT_EQ_INT(herder__outcome(h, 5), HOUT_NONE);
    tables_free(h);
}

static void status(struct herder *h, const char *key, const char *val)
{
    herder__apply_status(h, key, strlen(key), val, val ? strlen(val) : 0);
}

static bool tracked(struct herder *h, const char *connector, const char *topic)
{
    return herder__topic(h, connector, topic, false) != NULL;
}

/* Connect's topic-tracking records (KIP-558): the key carries topic and connector (the topic
 * ends at the first ':', as Connect splits it), a null value forgets the pair. */
TEST(topic_records_of_the_status_topic)
{
    struct herder *h = tables();
    const char *v = "{\"topic\":{\"name\":\"orders\",\"connector\":\"sink-a\",\"task\":0,"
                    "\"discoverTimestamp\":1700000000000}}";
    status(h, "status-topic-orders:connector-sink-a", v);
    status(h, "status-topic-orders:connector-sink-a", v);   /* twice (two tasks): one entry */
    status(h, "status-topic-orders.v2:connector-sink-a", v);
    status(h, "status-topic-orders:connector-b:c", v);      /* ':' in the connector's name */
    ASSERT_EQ_INT(h->n_topics, 3);
    ASSERT_TRUE(tracked(h, "sink-a", "orders"));
    ASSERT_TRUE(tracked(h, "sink-a", "orders.v2"));
    ASSERT_TRUE(tracked(h, "b:c", "orders"));
    ASSERT_FALSE(tracked(h, "sink-a", "orders.v3"));
    /* not ours or malformed: ignored (and not taken for task or connector states) */
    status(h, "status-topic-orders", v);
    status(h, "status-topic-:connector-x", v);
    status(h, "status-topic-t:connector-", v);
    status(h, "status-topic-t:conn-x", v);
    status(h, "status-topic-t:connector-x", "{\"state\":\"RUNNING\"}");
    status(h, "status-topic-t:connector-x", "[1]");
    ASSERT_EQ_INT(h->n_topics, 3);
    ASSERT_EQ_INT(h->n_stats, 0);
    /* tombstones forget one pair, whatever else is tracked */
    status(h, "status-topic-orders:connector-sink-a", NULL);
    ASSERT_FALSE(tracked(h, "sink-a", "orders"));
    ASSERT_TRUE(tracked(h, "sink-a", "orders.v2"));
    ASSERT_TRUE(tracked(h, "b:c", "orders"));
    status(h, "status-topic-nothing:connector-sink-a", NULL);
    ASSERT_EQ_INT(h->n_topics, 2);
    /* the other status records still land where they did */
    status(h, "status-task-sink-a-0", "{\"state\":\"RUNNING\",\"trace\":null,\"worker_id\":\"w:1\","
                                      "\"generation\":4}");
    ASSERT_TRUE(herder__stat(h, "status-task-sink-a-0", false)->present);
    tables_free(h);
}

TEST_LIST = {
    T(records_without_claims_load_as_before),
    T(the_first_claim_wins_and_later_ones_are_refused),
    T(a_pending_claim_expires_by_ttl_or_release),
    T(outcomes_are_kept_per_offset_in_a_ring),
    T(topic_records_of_the_status_topic),
    {0},
};
