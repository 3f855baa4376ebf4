/* src/config/cfg_connect_test.c: worker and connector views (defaults, overrides, converters),
 * the topics cross-check, file roles and the plaintext-secret warning. */
#include <sys/stat.h>

#include "../../tests/harness.h"
#include "../../tests/support/testutil.h"
#include "config.h"
#include "config_int.h"

#define GOOD "tests/data/config/good/"

static char *lines(struct cfg_diags *d)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < d->n; i++) {
        cfg_diag_format(&d->v[i], &b);
        buf_append_str(&b, "\n");
    }
    buf_cstr(&b);
    return b.p ? (char *)b.p : mem_strdup("");
}

static struct cfg_props *props_text(const char *text, const char *name)
{
    struct cfg_props *p = cfg_props_parse(text, strlen(text), name, NULL);
    ASSERT_TRUE(p != NULL);
    return p;
}

static const char *kv(const struct cfg_kvs *kvs, const char *key)
{
    for (size_t i = 0; i < kvs->n; i++)
        if (strcmp(kvs->v[i].key, key) == 0)
            return kvs->v[i].value;
    return NULL;
}

static struct cfg_worker *worker_file(const char *path, enum cfg_worker_mode mode)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w = cfg_worker_new(cfg_props_load_file(path, &d), mode, &d);
    char *out = lines(&d);

    ASSERT_EQ_STR(out, "");
    ASSERT_TRUE(w != NULL);
    mem_free(out);
    cfg_diags_free(&d);
    return w;
}

static struct cfg_connector *connector_file(const char *path)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_connector *c = cfg_connector_new(cfg_props_load_file(path, &d), &d);
    char *out = lines(&d);

    ASSERT_EQ_STR(out, "");
    ASSERT_TRUE(c != NULL);
    mem_free(out);
    cfg_diags_free(&d);
    return c;
}

TEST(worker_standalone)
{
    struct cfg_worker *w = worker_file(GOOD "worker-standalone.properties", CFG_WORKER_AUTO);

    ASSERT_EQ_INT(w->mode, CFG_WORKER_STANDALONE);
    ASSERT_EQ_STR(w->bootstrap_servers, "broker-1:9092,broker-2:9092");
    ASSERT_EQ_STR(w->key_converter.class_name, "org.apache.kafka.connect.storage.StringConverter");
    ASSERT_EQ_STR(w->value_converter.class_name, "org.apache.kafka.connect.json.JsonConverter");
    ASSERT_EQ_INT(w->value_converter.props.n, 1);
    ASSERT_EQ_STR(kv(&w->value_converter.props, "schemas.enable"), "false");
    ASSERT_TRUE(w->header_converter.class_name == NULL);
    ASSERT_EQ_INT(w->offset_flush_interval_ms, 10000);
    ASSERT_EQ_INT(w->offset_flush_timeout_ms, 5000);
    ASSERT_EQ_INT(w->consumer.n, 2);
    ASSERT_EQ_STR(kv(&w->consumer, "max.partition.fetch.bytes"), "250000");
    ASSERT_EQ_STR(kv(&w->consumer, "isolation.level"), "read_committed");
    ASSERT_EQ_STR(kv(&w->producer, "linger.ms"), "5");
    ASSERT_EQ_STR(w->listeners, "http://0.0.0.0:8083");
    ASSERT_EQ_STR(w->plugin_path, "/usr/share/java,/opt/connectors");
    ASSERT_EQ_STR(w->offset_storage_file, "/tmp/connect.offsets");
    ASSERT_EQ_INT(w->rest_port, 8083);
    ASSERT_EQ_INT(w->scheduled_rebalance_max_delay_ms, 300000);
    ASSERT_TRUE(w->group_id == NULL);
    cfg_worker_free(w);
}

TEST(worker_distributed)
{
    struct cfg_worker *w = worker_file(GOOD "worker-distributed.properties", CFG_WORKER_AUTO);

    ASSERT_EQ_INT(w->mode, CFG_WORKER_DISTRIBUTED);
    ASSERT_EQ_STR(w->group_id, "connect-cluster");
    ASSERT_EQ_STR(w->config_storage_topic, "connect-configs");
    ASSERT_EQ_STR(w->offset_storage_topic, "connect-offsets");
    ASSERT_EQ_STR(w->status_storage_topic, "connect-status");
    ASSERT_EQ_STR(w->rest_advertised_host_name, "worker-1");
    ASSERT_EQ_INT(w->rest_advertised_port, 8083);
    ASSERT_EQ_STR(w->listeners, "http://:8083");   /* default */
    ASSERT_EQ_INT(w->client.n, 2);
    ASSERT_EQ_STR(kv(&w->client, "security.protocol"), "SSL");
    ASSERT_EQ_STR(kv(&w->client, "ssl.truststore.location"), "/etc/kafka/truststore.p12");
    ASSERT_EQ_STR(kv(&w->value_converter.props, "schema.registry.url"), "http://schema-registry:8081");
    cfg_worker_free(w);
}

TEST(worker_defaults_and_trimming)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w = cfg_worker_new(
        props_text("key.converter = JsonConverter  \nvalue.converter=StringConverter\n"
                   "offset.flush.interval.ms =  250  \nrest.port=9090\n", "w.properties"),
        CFG_WORKER_AUTO, &d);

    ASSERT_TRUE(w != NULL);
    ASSERT_EQ_INT(d.n, 0);
    ASSERT_EQ_INT(w->mode, CFG_WORKER_STANDALONE);
    ASSERT_EQ_STR(w->bootstrap_servers, "localhost:9092");
    ASSERT_EQ_STR(w->key_converter.class_name, "JsonConverter");   /* trimmed */
    ASSERT_EQ_INT(w->offset_flush_interval_ms, 250);
    ASSERT_EQ_INT(w->rest_port, 9090);
    ASSERT_TRUE(w->listeners == NULL);   /* rest.port given: no listeners default */
    ASSERT_TRUE(w->topic_tracking && w->topic_tracking_reset);   /* Connect's defaults */
    cfg_worker_free(w);
    cfg_diags_free(&d);
}

TEST(worker_topic_tracking_flags_are_booleans)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w = cfg_worker_new(
        props_text("key.converter=JsonConverter\nvalue.converter=StringConverter\n"
                   "topic.tracking.enable=false\ntopic.tracking.allow.reset=TRUE\n", "w.properties"),
        CFG_WORKER_AUTO, &d);
    ASSERT_TRUE(w != NULL);
    ASSERT_EQ_INT(d.n, 0);   /* known keys: no did-you-mean warning either */
    ASSERT_FALSE(w->topic_tracking);
    ASSERT_TRUE(w->topic_tracking_reset);
    cfg_worker_free(w);
    w = cfg_worker_new(props_text("key.converter=JsonConverter\nvalue.converter=StringConverter\n"
                                  "topic.tracking.allow.reset=sometimes\n", "w.properties"),
                       CFG_WORKER_AUTO, &d);
    char *out = lines(&d);
    ASSERT_EQ_STR(out, "w.properties:3:28: topic.tracking.allow.reset: invalid value \"sometimes\": "
                       "expected true or false\n");
    mem_free(out);
    cfg_worker_free(w);
    cfg_diags_free(&d);
}

TEST(worker_distributed_requires_topics)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w = cfg_worker_new(
        props_text("key.converter=JsonConverter\nvalue.converter=JsonConverter\n", "w.properties"),
        CFG_WORKER_DISTRIBUTED, &d);
    char *out = lines(&d);

    ASSERT_TRUE(w == NULL);
    ASSERT_EQ_STR(out, "w.properties: group.id: missing required property in distributed mode\n"
                       "w.properties: config.storage.topic: missing required property in "
                       "distributed mode\n"
                       "w.properties: offset.storage.topic: missing required property in "
                       "distributed mode\n"
                       "w.properties: status.storage.topic: missing required property in "
                       "distributed mode\n");
    mem_free(out);
    cfg_diags_free(&d);
}

TEST(connector_properties)
{
    struct cfg_connector *c = connector_file(GOOD "sink.properties");

    ASSERT_EQ_STR(c->name, "aerospike-sink");
    ASSERT_EQ_STR(c->connector_class, CFG_CONNECTOR_CLASS);
    ASSERT_EQ_INT(c->tasks_max, 4);
    ASSERT_EQ_INT(c->n_topics, 3);
    ASSERT_EQ_STR(c->topics[0], "payments.v1");
    ASSERT_EQ_STR(c->topics[1], "account-balances");
    ASSERT_EQ_STR(c->topics[2], "erasure-requests");
    ASSERT_TRUE(c->topics_regex == NULL);
    ASSERT_EQ_STR(c->mapping_path, GOOD "spec_b.yml");   /* relative to the file */
    ASSERT_TRUE(c->mapping_content == NULL);
    ASSERT_EQ_STR(c->key_converter.class_name,
                  "org.apache.kafka.connect.converters.ByteArrayConverter");
    ASSERT_EQ_STR(kv(&c->value_converter.props, "schemas.enable"), "true");
    ASSERT_TRUE(c->errors.tolerance_all);
    ASSERT_TRUE(c->errors.log_enable);   /* "TRUE" */
    ASSERT_FALSE(c->errors.log_include_messages);
    ASSERT_EQ_INT(c->errors.retry_timeout_ms, -1);
    ASSERT_EQ_INT(c->errors.retry_delay_max_ms, 60000);
    ASSERT_EQ_STR(c->errors.dlq_topic, "aerospike-sink-dlq");
    ASSERT_EQ_INT(c->errors.dlq_replication_factor, -1);
    ASSERT_FALSE(c->errors.dlq_context_headers);
    ASSERT_EQ_INT(c->consumer_override.n, 2);
    ASSERT_EQ_STR(kv(&c->consumer_override, "fetch.wait.max.ms"), "100");
    ASSERT_EQ_STR(kv(&c->consumer_override, "auto.offset.reset"), "latest");
    ASSERT_EQ_STR(kv(&c->producer_override, "acks"), "all");
    ASSERT_EQ_INT(c->admin_override.n, 0);
    ASSERT_EQ_STR(cfg_props_get(c->props, "weird=key:x"), "caf\xC3\xA9 \t tab");
    cfg_connector_free(c);
}

TEST(connector_json_rest_body)
{
    struct cfg_connector *c = connector_file(GOOD "spec_b_connector.json");

    ASSERT_EQ_STR(c->name, "aerospike-sink");
    ASSERT_EQ_INT(c->tasks_max, 6);
    ASSERT_EQ_INT(c->n_topics, 3);
    ASSERT_EQ_STR(c->mapping_path, GOOD "aerospike-kafka-inbound.yml");   /* default, beside */
    ASSERT_EQ_STR(c->value_converter.class_name, "io.confluent.connect.avro.AvroConverter");
    ASSERT_EQ_STR(kv(&c->value_converter.props, "schema.registry.url"),
                  "http://schema-registry:8081");
    ASSERT_TRUE(c->errors.tolerance_all);
    ASSERT_EQ_STR(c->errors.dlq_topic, "aerospike-sink-dlq");
    ASSERT_TRUE(c->errors.dlq_context_headers);
    ASSERT_EQ_INT(c->errors.dlq_replication_factor, 3);
    cfg_connector_free(c);
}

TEST(connector_defaults_and_regex)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_connector *c = cfg_connector_new(
        props_text("name=s\nconnector.class=aerosink\ntopics.regex=orders-.*\n", "s.properties"), &d);

    ASSERT_EQ_INT(d.n, 0);
    ASSERT_EQ_INT(c->tasks_max, 1);
    ASSERT_EQ_INT(c->n_topics, 0);
    ASSERT_EQ_STR(c->topics_regex, "orders-.*");
    ASSERT_EQ_STR(c->topics_pattern, "^(orders-.*)$");
    ASSERT_EQ_STR(c->mapping_path, "aerospike-kafka-inbound.yml");   /* no directory */
    ASSERT_FALSE(c->errors.tolerance_all);
    ASSERT_EQ_INT(c->errors.retry_timeout_ms, 0);
    ASSERT_EQ_INT(c->errors.retry_delay_max_ms, 60000);
    ASSERT_FALSE(c->errors.log_enable);
    ASSERT_EQ_STR(c->errors.dlq_topic, "");
    ASSERT_EQ_INT(c->errors.dlq_replication_factor, 3);
    ASSERT_TRUE(c->key_converter.class_name == NULL);
    cfg_connector_free(c);
    c = cfg_connector_new(props_text("name=s\nconnector.class=AerospikeSink\ntopics=a\n"
                                     "aerospike.config.file=/etc/aerosink/m.yml\n",
                                     "/opt/x/s.properties"),
                          &d);
    ASSERT_EQ_STR(c->mapping_path, "/etc/aerosink/m.yml");   /* absolute: kept */
    cfg_connector_free(c);
    c = cfg_connector_new(props_text("name=s\nconnector.class=AerospikeSinkConnector\ntopics=a\n",
                                     "/opt/x/s.properties"),
                          &d);
    ASSERT_EQ_STR(c->mapping_path, "/opt/x/aerospike-kafka-inbound.yml");
    cfg_connector_free(c);
    ASSERT_EQ_INT(d.n, 0);
    cfg_diags_free(&d);
}

TEST(effective_converters)
{
    struct cfg_worker *w = cfg_worker_new(
        props_text("key.converter=StringConverter\nvalue.converter=JsonConverter\n"
                   "value.converter.schemas.enable=false\nkey.converter.encoding=latin1\n",
                   "w.properties"),
        CFG_WORKER_AUTO, NULL);
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_connector *c = cfg_connector_new(
        props_text("name=s\nconnector.class=aerosink\ntopics=a\n"
                   "value.converter=AvroConverter\n"
                   "value.converter.schema.registry.url=http://sr:8081\n"
                   "key.converter.encoding=utf-16\n",
                   "c.properties"),
        &d);
    struct cfg_converter cv;
    char *out = lines(&d);

    ASSERT_TRUE(w && c);
    /* the connector's sub-property without its class: ignored by Connect, warned */
    ASSERT_EQ_STR(out, "warning: c.properties:6:1: key.converter.encoding: ignored: Connect "
                       "applies key.converter.* only together with key.converter in the same "
                       "config (the worker's converter keeps the worker's settings)\n");
    cfg_effective_converter(w, c, true, &cv);
    ASSERT_EQ_STR(cv.class_name, "StringConverter");
    ASSERT_EQ_STR(cv.origin, "w.properties");
    ASSERT_EQ_STR(kv(&cv.props, "encoding"), "latin1");   /* the worker's, not utf-16 */
    cfg_effective_converter(w, c, false, &cv);
    ASSERT_EQ_STR(cv.class_name, "AvroConverter");
    ASSERT_EQ_STR(cv.origin, "c.properties");
    ASSERT_EQ_INT(cv.props.n, 1);
    ASSERT_EQ_STR(kv(&cv.props, "schema.registry.url"), "http://sr:8081");
    ASSERT_TRUE(kv(&cv.props, "schemas.enable") == NULL);   /* worker's sub-props not mixed in */
    cfg_effective_converter(NULL, c, true, &cv);
    ASSERT_TRUE(cv.class_name == NULL);
    cfg_effective_converter(w, NULL, false, &cv);
    ASSERT_EQ_STR(cv.class_name, "JsonConverter");
    mem_free(out);
    cfg_diags_free(&d);
    cfg_check_converters(w, c, &d);
    ASSERT_EQ_INT(d.n, 0);   /* short aliases are accepted */
    cfg_connector_free(c);
    cfg_worker_free(w);
    cfg_diags_free(&d);
}

TEST(converter_checks)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w = cfg_worker_new(
        props_text("key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                   "key.converter.schemas.enable=maybe\n"
                   "value.converter=io.confluent.connect.avro.AvroConverter\n",
                   "w.properties"),
        CFG_WORKER_AUTO, &d);
    struct cfg_connector *c = cfg_connector_new(
        props_text("name=s\nconnector.class=aerosink\ntopics=a\n", "c.properties"), &d);
    char *out;

    cfg_check_converters(w, c, &d);
    out = lines(&d);
    ASSERT_EQ_STR(out, "w.properties:2:30: key.converter.schemas.enable: invalid value \"maybe\": "
                       "expected true or false\n"
                       "w.properties:3:17: value.converter: AvroConverter needs "
                       "value.converter.schema.registry.url\n");
    mem_free(out);
    cfg_connector_free(c);
    cfg_worker_free(w);
    cfg_diags_free(&d);
}

TEST(json_schema_converter_is_supported_and_needs_a_registry)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w = cfg_worker_new(
        props_text("key.converter=io.confluent.connect.json.JsonSchemaConverter\n"
                   "key.converter.schema.registry.url=http://sr:8081\n"
                   "value.converter=JsonSchemaConverter\n",
                   "w.properties"),
        CFG_WORKER_AUTO, &d);
    struct cfg_connector *c = cfg_connector_new(
        props_text("name=s\nconnector.class=aerosink\ntopics=a\n", "c.properties"), &d);
    char *out;

    cfg_check_converters(w, c, &d);
    out = lines(&d);
    ASSERT_EQ_STR(out, "w.properties:3:17: value.converter: JsonSchemaConverter needs "
                       "value.converter.schema.registry.url\n");
    mem_free(out);
    cfg_connector_free(c);
    cfg_worker_free(w);
    cfg_diags_free(&d);
}

/* --- connector <-> mapping --- */

static const char mapping_text[] =
    "aerospike: {seeds: [db1]}\n"
    "topics:\n"
    "  orders:\n"
    "    invalid-record: dead-letter\n"
    "    mapping:\n"
    "      namespace: {mode: static, value: shop}\n"
    "      key-field: {source: key}\n"
    "      bins: {type: multi-bins, all-value-fields: true}\n";

TEST(topics_cross_check)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg *m = cfg_load_text(mapping_text, strlen(mapping_text), "m.yml", 0, &d);
    struct cfg_connector *c = cfg_connector_new(
        props_text("name=s\nconnector.class=aerosink\ntopics = orders, refunds,returns\n"
                   "errors.deadletterqueue.topic.name=dlq\n", "c.properties"),
        &d);
    char *out;

    ASSERT_TRUE(m && c);
    cfg_connector_check_mapping(c, m, &d);
    out = lines(&d);
    ASSERT_EQ_STR(out, "c.properties:3:18: topics: topic \"refunds\" has no mapping in m.yml (it "
                       "maps: orders)\n"
                       "c.properties:3:26: topics: topic \"returns\" has no mapping in m.yml (it "
                       "maps: orders)\n");
    mem_free(out);
    cfg_connector_free(c);
    cfg_diags_free(&d);
    /* every topic mapped, but dead-letter without a DLQ topic */
    c = cfg_connector_new(props_text("name=s\nconnector.class=aerosink\ntopics=orders\n",
                                     "c.properties"), &d);
    cfg_connector_check_mapping(c, m, &d);
    out = lines(&d);
    ASSERT_EQ_STR(out, "m.yml:3:3: topics.orders.invalid-record: dead-letter needs "
                       "errors.deadletterqueue.topic.name in c.properties\n");
    mem_free(out);
    cfg_connector_free(c);
    cfg_free(m);
    cfg_diags_free(&d);
}

TEST(mapping_content_property)
{
    struct cfg_props *p = cfg_props_new("rest");
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_connector *c;
    struct cfg *m;

    cfg_props_set(p, "name", "s", 0, 0);
    cfg_props_set(p, "connector.class", CFG_CONNECTOR_CLASS, 0, 0);
    cfg_props_set(p, "topics", "orders", 0, 0);
    cfg_props_set(p, "aerospike.config.file", "etc/aerospike-kafka-inbound.yml", 0, 0);
    cfg_props_set(p, "aerospike.config.content", "{\"aerospike\": {}}", 0, 0);
    c = cfg_connector_new(p, &d);
    ASSERT_TRUE(c != NULL);
    m = cfg_connector_load_mapping(c, 0, &d);
    ASSERT_TRUE(m == NULL);
    /* the stored text is used, and named after the file it came from */
    {
        char *out = lines(&d);
        ASSERT_EQ_STR(out, "etc/aerospike-kafka-inbound.yml:1:1: missing required key \"topics\"\n"
                           "etc/aerospike-kafka-inbound.yml:1:2: aerospike: missing required key "
                           "\"seeds\"\n");
        mem_free(out);
    }
    cfg_connector_free(c);
    cfg_diags_free(&d);
}

TEST(near_miss_warnings_only)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_connector *c = cfg_connector_new(
        props_text("name=s\nconnector.class=aerosink\ntopics=a\ntaks.max=2\n"
                   "errors.tolerence=all\nmy.own.setting=1\nconsumer.override.foo=1\n"
                   "key.converter=StringConverter\nkey.converter.whatever=1\n",
                   "c.properties"),
        &d);
    char *out = lines(&d);

    ASSERT_TRUE(c != NULL);   /* warnings do not fail */
    ASSERT_EQ_STR(out, "warning: c.properties:4:1: taks.max: unknown property, ignored (did you "
                       "mean \"tasks.max\"?)\n"
                       "warning: c.properties:5:1: errors.tolerence: unknown property, ignored "
                       "(did you mean \"errors.tolerance\"?)\n");
    ASSERT_EQ_INT(c->tasks_max, 1);
    mem_free(out);
    cfg_connector_free(c);
    cfg_diags_free(&d);
}

/* --- roles and secrets --- */

TEST(file_kinds)
{
    static const char conn[] = "name=s\nconnector.class=x\n";
    static const char work[] = "bootstrap.servers=k:9092\n";
    static const char rest[] = "{\"name\": \"s\", \"config\": {}}";
    static const char flat[] = "{\"connector.class\": \"x\"}";
    static const char map[] = "{\"aerospike\": {}}";

    ASSERT_EQ_INT(cfg_file_kind("a.properties", conn, strlen(conn)), CFG_FILE_CONNECTOR);
    ASSERT_EQ_INT(cfg_file_kind("a.properties", work, strlen(work)), CFG_FILE_WORKER);
    ASSERT_EQ_INT(cfg_file_kind("a.json", rest, strlen(rest)), CFG_FILE_CONNECTOR);
    ASSERT_EQ_INT(cfg_file_kind("a.json", flat, strlen(flat)), CFG_FILE_CONNECTOR);
    ASSERT_EQ_INT(cfg_file_kind("a.json", map, strlen(map)), CFG_FILE_MAPPING);
    ASSERT_EQ_INT(cfg_file_kind("a.yml", work, strlen(work)), CFG_FILE_MAPPING);
    ASSERT_EQ_INT(cfg_file_kind("a.yaml", "", 0), CFG_FILE_MAPPING);
    ASSERT_EQ_INT(cfg_file_kind("a.txt", work, strlen(work)), CFG_FILE_UNKNOWN);
    ASSERT_EQ_INT(cfg_file_kind("noext", map, strlen(map)), CFG_FILE_MAPPING);
}

TEST(secret_keys)
{
    ASSERT_TRUE(cfg_is_secret_key("sasl.jaas.config"));
    ASSERT_TRUE(cfg_is_secret_key("consumer.sasl.jaas.config"));
    ASSERT_TRUE(cfg_is_secret_key("ssl.key.password"));
    ASSERT_TRUE(cfg_is_secret_key("ssl.keystore.password"));
    ASSERT_TRUE(cfg_is_secret_key("value.converter.basic.auth.user.info"));
    ASSERT_TRUE(cfg_is_secret_key("ssl.keystore.key"));
    ASSERT_TRUE(cfg_is_secret_key("value.converter.bearer.auth.token"));
    ASSERT_FALSE(cfg_is_secret_key("ssl.truststore.location"));
    ASSERT_FALSE(cfg_is_secret_key("basic.auth.credentials.source"));
    ASSERT_FALSE(cfg_is_secret_key("topics"));
}

static const char *write_mode(const char *name, const char *text, mode_t mode)
{
    const char *p = tu_write_file(tu_tmpdir(), name, text);
    ASSERT_EQ_INT(chmod(p, mode), 0);
    return p;
}

TEST(plaintext_secret_in_readable_file)
{
    static const char text[] = "bootstrap.servers=k:9092\n"
                               "consumer.sasl.jaas.config=org.apache.kafka.common.security.plain."
                               "PlainLoginModule required username=\"u\" password=\"p\";\n"
                               "ssl.key.password=hunter2\n";
    const char *open_file = write_mode("w.properties", text, 0644);
    const char *group_file = write_mode("g.properties", text, 0640);
    const char *closed = write_mode("c.properties", text, 0600);
    const char *ref = write_mode("r.properties",
                                 "ssl.key.password=${file:/etc/kafka/secrets.properties:key}\n"
                                 "sasl.jaas.config=x required password=\"${env:PW}\";\n", 0644);
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_props *p = props_text(text, open_file);
    char want[2048], *out;

    cfg_check_props_secrets(p, open_file, &d);
    out = lines(&d);
    snprintf(want, sizeof(want),
             "warning: %s:2:1: consumer.sasl.jaas.config: plaintext secret (and more) in a file "
             "readable by everyone (mode 0644): chmod 600 %s, or use a config provider such as "
             "${file:/path/secrets.properties:key}\n", open_file, open_file);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    cfg_diags_free(&d);
    cfg_check_props_secrets(p, group_file, &d);
    ASSERT_EQ_INT(d.n, 1);
    ASSERT_CONTAINS(d.v[0].msg, "readable by its group (mode 0640)");
    cfg_diags_free(&d);
    cfg_check_props_secrets(p, closed, &d);
    ASSERT_EQ_INT(d.n, 0);
    cfg_props_free(p);
    p = props_text("ssl.key.password=${file:/etc/kafka/secrets.properties:key}\n"
                   "sasl.jaas.config=x required password=\"${env:PW}\";\n", ref);
    cfg_check_props_secrets(p, ref, &d);
    ASSERT_EQ_INT(d.n, 0);   /* config-provider references are not secrets */
    cfg_props_free(p);
    cfg_diags_free(&d);
}

/* topics.regex: Connect matches the whole topic name with a Java regex; the consumer and the
 * offsets lookup get a POSIX form. Each row: pattern, its POSIX form, names it must and must
 * not match. */
TEST(topics_regex_matches_whole_names_with_java_constructs_translated)
{
    static const struct {
        const char *java, *posix, *yes[3], *no[3];
    } rows[] = {
        {"orders", "^(orders)$", {"orders"}, {"orders-v2", "xorders", "order"}},
        {"orders-.*", "^(orders-.*)$", {"orders-", "orders-eu-1"}, {"xorders-1", "orders"}},
        {"orders-\\d+", "^(orders-[0-9]+)$", {"orders-7", "orders-123"}, {"orders-d", "orders-"}},
        {"(?:eu|us)\\.orders", "^((eu|us)\\.orders)$", {"eu.orders", "us.orders"}, {"euxorders", "ap.orders"}},
        {"t[\\d_-]+", "^(t[0-9_-]+)$", {"t1_-", "t-"}, {"t.", "t"}},
        {"t[^\\-a]", "^(t[^a-])$", {"tb", "t1"}, {"t-", "ta"}},
        {"a.*?b\\-c", "^(a.*b-c)$", {"ab-c", "axxb-c"}, {"ab_c"}},
        {"x\\w\\W\\s?\\S", "^(x[A-Za-z0-9_][^A-Za-z0-9_][[:space:]]?[^[:space:]])$", {"xa.b"}, {"xa_b"}},
        {"a|b", "^(a|b)$", {"a", "b"}, {"ab"}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *why = NULL;
        char *px = cfg__topics_regex_posix(rows[i].java, &why);
        if (!px)
            TEST_FAIL("%s refused: %s", rows[i].java, why);
        ASSERT_EQ_STR(px, rows[i].posix);
        for (int k = 0; k < 3 && rows[i].yes[k]; k++)
            if (!cfg__topics_regex_matches(px, rows[i].yes[k]))
                TEST_FAIL("%s should match %s", rows[i].java, rows[i].yes[k]);
        for (int k = 0; k < 3 && rows[i].no[k]; k++)
            if (cfg__topics_regex_matches(px, rows[i].no[k]))
                TEST_FAIL("%s should not match %s", rows[i].java, rows[i].no[k]);
        mem_free(px);
    }
    static const struct {
        const char *java, *why;
    } bad[] = {
        {"(?i)orders", "(?...)"}, {"a(?=b)", "(?...)"}, {"a*+", "possessive"},
        {"\\bword", "backslash sequence"}, {"(a)\\1", "back-references"}, {"[[a]]", "nested"},
        {"[a&&b]", "&&"}, {"x\\", "ends with a backslash"}, {"[abc", "unclosed"},
        {"a{2,1}", "not a valid regular expression"}, {"(ab", "not a valid regular expression"},
        {"[\\D]", "\\D, \\W and \\S"}, {"\\p{Alpha}", "backslash sequence"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = NULL;
        char *px = cfg__topics_regex_posix(bad[i].java, &why);
        if (px)
            TEST_FAIL("%s accepted as %s", bad[i].java, px);
        ASSERT_CONTAINS(why, bad[i].why);
    }
}

TEST(topics_regex_refused_or_matching_the_dlq_names_the_line)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_connector *c = cfg_connector_new(
        props_text("name=s\nconnector.class=aerosink\ntopics.regex=orders-(?i)x\n", "s.properties"), &d);
    char *out = lines(&d);

    ASSERT_EQ_STR(out, "s.properties:3:14: topics.regex: \"orders-(?i)x\": lookaround and inline flags, "
                       "(?...), are not supported (only (?:...))\n");
    mem_free(out);
    cfg_connector_free(c);
    cfg_diags_free(&d);

    c = cfg_connector_new(props_text("name=s\nconnector.class=aerosink\ntopics.regex=t.*\n"
                                     "errors.deadletterqueue.topic.name=t1-dlq\n", "s.properties"), &d);
    out = lines(&d);
    ASSERT_EQ_STR(out, "s.properties:4:35: errors.deadletterqueue.topic.name: the DLQ topic \"t1-dlq\" "
                       "matches topics.regex: the connector would consume its own dead letters\n");
    mem_free(out);
    cfg_connector_free(c);
    cfg_diags_free(&d);

    c = cfg_connector_new(props_text("name=s\nconnector.class=aerosink\ntopics.regex=t\\\\d\n"
                                     "errors.deadletterqueue.topic.name=t1-dlq\n", "s.properties"), &d);
    ASSERT_EQ_INT(d.n, 0);   /* t\d matches t1, not t1-dlq */
    ASSERT_EQ_STR(c->topics_regex, "t\\d");
    ASSERT_EQ_STR(c->topics_pattern, "^(t[0-9])$");
    cfg_connector_free(c);
    cfg_diags_free(&d);
}

/* Without aerospike.config.file the mapping is looked for where the original keeps it: beside
 * the connector file (.yml, then .json), then in the Kafka install's etc/ (config/../etc/). */
TEST(default_mapping_file_beside_then_in_kafka_etc)
{
    char root[600], cfgdir[700], etc[700], props[800], want[4096];
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_connector *c;
    static const char text[] = "name=s\nconnector.class=aerosink\ntopics=t\n";

    snprintf(root, sizeof(root), "%s/kafka-layout", tu_tmpdir());
    snprintf(cfgdir, sizeof(cfgdir), "%s/config", root);
    snprintf(etc, sizeof(etc), "%s/etc", root);
    ASSERT_EQ_INT(mkdir(root, 0755), 0);
    ASSERT_EQ_INT(mkdir(cfgdir, 0755), 0);
    ASSERT_EQ_INT(mkdir(etc, 0755), 0);
    snprintf(props, sizeof(props), "%s/s.properties", cfgdir);

    /* none anywhere: the load names every place it looked */
    c = cfg_connector_new(cfg_props_parse(text, strlen(text), props, NULL), &d);
    ASSERT_EQ_INT(d.n, 0);
    ASSERT_TRUE(cfg_connector_load_mapping(c, 0, &d) == NULL);
    char *out = lines(&d);
    snprintf(want, sizeof(want), "%s: aerospike.config.file: no mapping file: looked for %s/aerospike-kafka-inbound.yml, "
             "%s/aerospike-kafka-inbound.json, %s/../etc/aerospike-kafka-inbound.yml and "
             "%s/../etc/aerospike-kafka-inbound.json; set aerospike.config.file to its path\n",
             props, cfgdir, cfgdir, cfgdir, cfgdir);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    cfg_connector_free(c);
    cfg_diags_free(&d);

    /* the Kafka install's etc/ */
    tu_write_file(etc, "aerospike-kafka-inbound.json", "{}");
    c = cfg_connector_new(cfg_props_parse(text, strlen(text), props, NULL), &d);
    snprintf(want, sizeof(want), "%s/../etc/aerospike-kafka-inbound.json", cfgdir);
    ASSERT_EQ_STR(c->mapping_path, want);
    cfg_connector_free(c);
    tu_write_file(etc, "aerospike-kafka-inbound.yml", "x: 1\n");
    c = cfg_connector_new(cfg_props_parse(text, strlen(text), props, NULL), &d);
    snprintf(want, sizeof(want), "%s/../etc/aerospike-kafka-inbound.yml", cfgdir);
    ASSERT_EQ_STR(c->mapping_path, want);   /* .yml before .json */
    cfg_connector_free(c);
    /* beside the connector file wins over etc/ */
    tu_write_file(cfgdir, "aerospike-kafka-inbound.json", "{}");
    c = cfg_connector_new(cfg_props_parse(text, strlen(text), props, NULL), &d);
    snprintf(want, sizeof(want), "%s/aerospike-kafka-inbound.json", cfgdir);
    ASSERT_EQ_STR(c->mapping_path, want);
    cfg_connector_free(c);
    ASSERT_EQ_INT(d.n, 0);
    cfg_diags_free(&d);
}

TEST(plaintext_secret_in_mapping_file)
{
    static const char text[] = "aerospike:\n  seeds: [db1]\n  credentials:\n"
                               "    username: u\n    password: hunter2\n";
    const char *f = write_mode("m.yml", text, 0604);
    const char *ok = write_mode("ok.yml", "aerospike:\n  credentials:\n    password-file: /x\n",
                                0644);
    struct cfg_diags d = CFG_DIAGS_INIT;
    char *out;

    cfg_check_mapping_secrets(f, text, strlen(text), &d);
    out = lines(&d);
    ASSERT_CONTAINS(out, ":5:5: password: plaintext secret in a file readable by everyone "
                         "(mode 0604)");
    mem_free(out);
    cfg_diags_free(&d);
    cfg_check_mapping_secrets(ok, "aerospike:\n  credentials:\n    password-file: /x\n", 47, &d);
    ASSERT_EQ_INT(d.n, 0);   /* a *-file key names the secret's file: fine */
    cfg_diags_free(&d);
}

/* Worker text after the two required converters; returns its diagnostics, NULL-ok worker. */
static char *worker_text_diags(const char *extra, bool *loaded)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf b = BUF_INIT;
    struct cfg_worker *w;
    char *out;

    buf_append_str(&b, "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                       "value.converter=org.apache.kafka.connect.storage.StringConverter\n");
    buf_append_str(&b, extra);
    w = cfg_worker_new(cfg_props_parse((const char *)b.p, b.len, "w.properties", &d),
                       CFG_WORKER_AUTO, &d);
    *loaded = w != NULL;
    out = lines(&d);
    cfg_worker_free(w);
    cfg_diags_free(&d);
    buf_free(&b);
    return out;
}

TEST(worker_bootstrap_servers_validated_as_kafka_does)
{
    bool ok;
    char *out;

    out = worker_text_diags("bootstrap.servers=\n", &ok);
    ASSERT_FALSE(ok);
    ASSERT_EQ_STR(out, "w.properties:3:19: bootstrap.servers: empty: expected "
                       "host:port[,host:port...]\n");
    mem_free(out);
    out = worker_text_diags("bootstrap.servers= , \n", &ok);
    ASSERT_FALSE(ok);
    ASSERT_CONTAINS(out, "w.properties:3:20: bootstrap.servers: empty: expected");
    mem_free(out);
    out = worker_text_diags("bootstrap.servers=127.0.0.1:notaport,k:0, k:70000,h,a:b:9,:9,"
                            "[::1,FOO://h:1\n", &ok);
    ASSERT_FALSE(ok);
    ASSERT_EQ_STR(out,
                  "w.properties:3:19: bootstrap.servers: \"127.0.0.1:notaport\": port must be a "
                  "number in 1..65535\n"
                  "w.properties:3:38: bootstrap.servers: \"k:0\": port must be a number in "
                  "1..65535\n"
                  "w.properties:3:43: bootstrap.servers: \"k:70000\": port must be a number in "
                  "1..65535\n"
                  "w.properties:3:51: bootstrap.servers: \"h\": no port: Kafka requires host:port\n"
                  "w.properties:3:53: bootstrap.servers: \"a:b:9\": an IPv6 address needs "
                  "brackets: [address]:port\n"
                  "w.properties:3:59: bootstrap.servers: \":9\": no host: expected host:port\n"
                  "w.properties:3:62: bootstrap.servers: \"[::1\": bad IPv6 address: expected "
                  "[address]:port\n"
                  "w.properties:3:67: bootstrap.servers: \"FOO://h:1\": unknown protocol prefix: "
                  "expected PLAINTEXT://, SSL://, SASL_PLAINTEXT:// or SASL_SSL:// (or none)\n");
    mem_free(out);
    /* accepted: names, IPv4, [IPv6], librdkafka's protocol prefixes; an empty element is
     * skipped as Kafka does (warning) */
    out = worker_text_diags("bootstrap.servers=kafka-1.example.com:9092, 10.0.0.1:1 ,"
                            "[fe80::1%eth0]:65535,SSL://k:9093,sasl_ssl://k:9094,\n", &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ_STR(out, "warning: w.properties:3:109: bootstrap.servers: empty element in the "
                       "list, ignored\n");
    mem_free(out);
}

TEST(worker_listeners_validated_as_the_rest_server_reads_them)
{
    bool ok, https;
    char *out, host[64];
    const char *why = NULL;
    int port = -1;

    out = worker_text_diags("listeners=http://127.0.0.1:99999\n", &ok);
    ASSERT_FALSE(ok);
    ASSERT_EQ_STR(out, "w.properties:3:11: listeners: \"http://127.0.0.1:99999\": port must be a "
                       "number in 0..65535\n");
    mem_free(out);
    out = worker_text_diags("listeners=http://:8083, tcp://h:1\nrest.advertised.listener=ftp\n"
                            "rest.advertised.host.name=http://h\n", &ok);
    ASSERT_FALSE(ok);
    ASSERT_EQ_STR(out, "w.properties:3:25: listeners: \"tcp://h:1\": expected http://HOST:PORT or "
                       "https://HOST:PORT\n"
                       "w.properties:4:26: rest.advertised.listener: invalid value \"ftp\": "
                       "expected http or https\n"
                       "w.properties:5:27: rest.advertised.host.name: invalid value \"http://h\": "
                       "expected a host name or an IP address (no scheme, no port)\n");
    mem_free(out);
    out = worker_text_diags("listeners=\n", &ok);
    ASSERT_FALSE(ok);
    ASSERT_EQ_STR(out, "w.properties:3:11: listeners: empty: expected http[s]://HOST:PORT\n");
    mem_free(out);
    out = worker_text_diags("listeners=HTTPS://[::1]:0\nrest.advertised.host.name=::1\n", &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ_STR(out, "");
    mem_free(out);
    ASSERT_TRUE(cfg_listener_parse("  https://[::1]:8443", 20, host, sizeof(host), &port, &https,
                                   &why));
    ASSERT_EQ_STR(host, "::1");
    ASSERT_EQ_INT(port, 8443);
    ASSERT_TRUE(https);
    ASSERT_FALSE(cfg_listener_parse("http://h", 8, host, sizeof(host), &port, &https, &why));
    ASSERT_EQ_STR(why, "no port: expected http[s]://HOST:PORT");
}

TEST_LIST = {
    T(worker_standalone),
    T(worker_distributed),
    T(worker_defaults_and_trimming),
    T(worker_topic_tracking_flags_are_booleans),
    T(worker_distributed_requires_topics),
    T(connector_properties),
    T(connector_json_rest_body),
    T(connector_defaults_and_regex),
    T(topics_regex_matches_whole_names_with_java_constructs_translated),
    T(topics_regex_refused_or_matching_the_dlq_names_the_line),
    T(default_mapping_file_beside_then_in_kafka_etc),
    T(effective_converters),
    T(converter_checks),
    T(json_schema_converter_is_supported_and_needs_a_registry),
    T(topics_cross_check),
    T(mapping_content_property),
    T(near_miss_warnings_only),
    T(file_kinds),
    T(secret_keys),
    T(plaintext_secret_in_readable_file),
    T(plaintext_secret_in_mapping_file),
    T(worker_bootstrap_servers_validated_as_kafka_does),
    T(worker_listeners_validated_as_the_rest_server_reads_them),
    {0},
};
