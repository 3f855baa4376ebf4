/* src/config/config.h: aerosink configuration.
 * Owns: the mapping file `aerospike-kafka-inbound.yml` / `.json` (parsed with libyaml or our
 *       strict JSON reader, every node keeps file:line:col), the declarative key table that
 *       drives validation, defaults, "did you mean", `aerosink help config` and
 *       docs/config-reference.md, the typed result (struct cfg), Kafka Connect `.properties`
 *       (java.util.Properties rules) and connector `.json`, the typed worker and connector
 *       views, and the cross-checks between connector and mapping.
 * Not here: applying any of it (aerospike/, kafka/, worker/, rest/), printing (app/).
 * Memory: every loader returns an owned object (free with the matching _free, NULL ok);
 *         every string and array inside it lives as long as the object and is read-only for
 *         callers. Diagnostics own their strings (cfg_diags_free). Passwords read from
 *         password files are wiped when their object is freed.
 * Threads: loaders are reentrant (no global state); a loaded object may be read by many
 *          threads at once.
 * Errors: every problem becomes a struct cfg_diag (severity, file, line, col, key path,
 *         message), sorted by position: `file:line:col: topics.orders.mapping.bins.map: ...`.
 *         Loaders report all problems they find, not just the first, and return NULL when
 *         at least one is an error (warnings alone do not fail a load). Library code never
 *         prints, logs or exits. */
#ifndef AEROSINK_CONFIG_H
#define AEROSINK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* ===================================================================================
 * Diagnostics
 * =================================================================================== */

enum cfg_severity { CFG_SEV_ERROR, CFG_SEV_WARNING };

/* One problem. line/col are 1-based (characters, a tab counts 1); 0 when the problem is
 * about the whole file (cannot open it...). path is the key path ("topics.orders.mapping",
 * "aerospike.seeds[1].port", "tasks.max"), "" for the document itself. */
struct cfg_diag {
    enum cfg_severity sev;
    char *file;
    int line, col;
    char *path;
    char *msg;
    unsigned seq;   /* insertion order; keeps equal positions stable when sorting */
};

struct cfg_diags {
    struct cfg_diag *v;
    size_t n, cap;
    size_t errors, warnings;
    bool truncated;   /* more than CFG_MAX_DIAGS were reported; the rest were dropped */
};
#define CFG_DIAGS_INIT {NULL, 0, 0, 0, 0, false}
#define CFG_MAX_DIAGS 1000

void cfg_diags_init(struct cfg_diags *d);
void cfg_diags_free(struct cfg_diags *d);
/* Add a problem (printf-style message). Silently drops it past CFG_MAX_DIAGS. */
void cfg_diag_add(struct cfg_diags *d, enum cfg_severity sev, const char *file, int line, int col,
                  const char *path, const char *fmt, ...) PRINTF_LIKE(7, 8);
/* Sort by file (order of first appearance), line, column, then insertion order. */
void cfg_diags_sort(struct cfg_diags *d);
/* Append one diagnostic as a line without '\n':
 *   "file:line:col: path: message", "warning: file:line:col: path: message";
 * ":line:col" is left out when line is 0, "path: " when path is "". */
enum status cfg_diag_format(const struct cfg_diag *dg, struct buf *out);
/* For callers that want a struct err: the first error as the message, plus
 * " (and N more problems)"; returns ST_CONFIG, or ST_OK when there is no error. */
enum status cfg_diags_to_err(const struct cfg_diags *d, struct err *e);

/* ===================================================================================
 * Mapping file: typed result (connector-spec §3)
 * =================================================================================== */

/* Where a key was written. file points into the owning object. */
struct cfg_pos {
    const char *file;
    int line, col;
};

/* aerospike.seeds[]: `- host`, `- host:port` / `- "[v6]:port"` (aerosink), or
 * `- host: {port: 3000, tls-name: x}`. */
struct cfg_seed {
    char *host;
    int64_t port;          /* default 3000 */
    char *tls_name;        /* NULL = none */
    struct cfg_pos pos;
};

enum cfg_auth_mode {
    CFG_AUTH_INTERNAL,           /* server-side users (default) */
    CFG_AUTH_EXTERNAL,           /* LDAP, clear password: needs TLS */
    CFG_AUTH_EXTERNAL_INSECURE,  /* LDAP without TLS */
    CFG_AUTH_PKI,                /* client certificate, no password */
};

struct cfg_credentials {
    bool present;              /* aerospike.credentials given */
    char *username;            /* NULL with pki */
    char *password_file;       /* NULL with pki */
    char *password;            /* first line of password_file, trailing spaces kept; only
                                * read with CFG_LOAD_READ_FILES, else NULL */
    enum cfg_auth_mode auth_mode;
};

/* TLS store formats. JKS is recognised only to refuse it with the keytool fix. */
enum cfg_store_type { CFG_STORE_PKCS12, CFG_STORE_PEM, CFG_STORE_JKS };

struct cfg_store {
    bool present;
    char *file;                /* store-file (required when present) */
    char *password_file;       /* NULL = no password */
    char *password;            /* read with CFG_LOAD_READ_FILES, else NULL */
    enum cfg_store_type type;  /* store-type; absent: PEM for .pem/.crt/.cer/.key files,
                                * else PKCS12 */
};

struct cfg_tls {
    bool enabled;                   /* aerospike.tls given: every connection uses TLS */
    struct cfg_store key_store;     /* client certificate + key (PKI / mutual TLS) */
    struct cfg_store trust_store;   /* CA certificates; absent = system CAs */
};

/* How booleans are written (G4). */
enum cfg_bool_particle {
    CFG_BOOL_AS_INTEGER,   /* INTEGER 1/0: works on every server (default) */
    CFG_BOOL_AS_BOOL,      /* native BOOL particle (server >= 5.6) */
};

struct cfg_aerospike {
    struct cfg_seed *seeds;
    size_t n_seeds;                 /* >= 1 */
    char *cluster_name;             /* NULL = not checked */
    int64_t rack_id;                /* valid when has_rack_id */
    bool has_rack_id;
    struct cfg_credentials credentials;
    struct cfg_tls tls;
    /* [aerosink] communication keys (G3; the original's spellings are unknown).
     * All are plain keys under `aerospike:`; see docs/config-reference.md. */
    int64_t connect_timeout_ms;       /* connect-timeout, 1000 */
    int64_t login_timeout_ms;         /* login-timeout, 5000 */
    int64_t tend_interval_ms;         /* tend-interval, 1000 */
    int64_t max_connections_per_node; /* max-connections-per-node, 100 */
    int64_t max_socket_idle_s;        /* max-socket-idle, 55 (0 = never close) */
    int64_t max_error_rate;           /* max-error-rate, 100 errors per window (0 = off) */
    int64_t error_rate_window;        /* error-rate-window, 1 (tend intervals) */
    enum cfg_bool_particle boolean_particle;  /* boolean-particle, integer */
    int64_t batch_max_records;        /* batch-max-records, 64 (1 = single writes only) */
};

enum cfg_invalid_record { CFG_INVALID_IGNORE, CFG_INVALID_KILL_TASK, CFG_INVALID_DEAD_LETTER };
enum cfg_on_null_value { CFG_NULL_INVALID_RECORD, CFG_NULL_IGNORE, CFG_NULL_DELETE };
/* CFG_WFAIL_INVALID_RECORD (the default): follow the topic's invalid-record policy, as the
 * issue's "non-retriable per-record failures follow invalid-record" asks. */
enum cfg_on_write_failure { CFG_WFAIL_KILL_TASK, CFG_WFAIL_DEAD_LETTER, CFG_WFAIL_IGNORE,
                            CFG_WFAIL_INVALID_RECORD };

enum cfg_mode { CFG_MODE_STATIC, CFG_MODE_DYNAMIC };
enum cfg_source {
    CFG_SRC_KEY,          /* the Kafka record key */
    CFG_SRC_VALUE_FIELD,  /* top-level field `field_name` of the record value */
    CFG_SRC_HEADER,       /* [beyond] Kafka header `header_name` (ttl only) */
};

/* mapping.namespace / mapping.set */
struct cfg_name_src {
    bool present;          /* namespace: always; set: false = no set */
    enum cfg_mode mode;
    char *value;           /* static: the name (namespace <= 31 bytes, set <= 63) */
    enum cfg_source source;/* dynamic: CFG_SRC_VALUE_FIELD */
    char *field_name;      /* dynamic */
};

enum cfg_ttl_unit {
    CFG_TTL_SECONDS,        /* a TTL in seconds (default) */
    CFG_TTL_EPOCH_SECONDS,  /* [beyond] absolute expiry, Unix seconds: TTL = t - now */
    CFG_TTL_EPOCH_MILLIS,   /* [beyond] absolute expiry, Unix milliseconds */
};

/* mapping.ttl; absent = namespace default. Static values: 0 namespace default,
 * -1 never expire, -2 keep current, 1..315360000 seconds. */
struct cfg_ttl {
    bool present;
    enum cfg_mode mode;
    int64_t value;             /* static */
    enum cfg_source source;    /* dynamic: VALUE_FIELD or HEADER */
    char *field_name;          /* source value-field */
    char *header_name;         /* source header */
    enum cfg_ttl_unit unit;    /* dynamic */
};

/* mapping.key-field / mapping.digest: exactly one has present = true. */
struct cfg_key_src {
    bool present;
    enum cfg_source source;    /* key-field: KEY or VALUE_FIELD; digest: VALUE_FIELD */
    char *field_name;          /* VALUE_FIELD */
};

/* mapping.bins.map.<name> */
struct cfg_bin {
    char *name;                /* <= 15 bytes, checked */
    enum cfg_source source;    /* VALUE_FIELD */
    char *field_name;
};

struct cfg_bins {
    bool present;
    bool all_value_fields;     /* default false */
    struct cfg_bin *map;       /* in file order */
    size_t n_map;
};

struct cfg_mapping {
    struct cfg_name_src ns;    /* mapping.namespace */
    struct cfg_name_src set;   /* mapping.set */
    struct cfg_key_src key_field;
    struct cfg_key_src digest;
    struct cfg_ttl ttl;
    struct cfg_bins bins;
};

enum cfg_op_type { CFG_OP_WRITE, CFG_OP_DELETE, CFG_OP_OPERATE /* [beyond] */ };
enum cfg_exists_action {
    CFG_EXISTS_UPDATE,        /* create or merge (default) */
    CFG_EXISTS_UPDATE_ONLY,   /* merge; result 2 when absent (info3 0x08) */
    CFG_EXISTS_REPLACE,       /* create or replace (info3 0x10) */
    CFG_EXISTS_REPLACE_ONLY,  /* replace; result 2 when absent (info3 0x20) */
    CFG_EXISTS_CREATE_ONLY,   /* create; result 5 when present (info2 0x20) */
};
enum cfg_gen_policy { CFG_GEN_NONE, CFG_GEN_EXPECT_EQUAL, CFG_GEN_EXPECT_GT };
enum cfg_commit_level { CFG_COMMIT_ALL, CFG_COMMIT_MASTER };
enum cfg_stale_guard { CFG_STALE_NONE, CFG_STALE_KAFKA_TIMESTAMP, CFG_STALE_GENERATION };

/* A static scalar (operations[].value). */
enum cfg_value_type { CFG_VAL_NONE, CFG_VAL_INT, CFG_VAL_DOUBLE, CFG_VAL_BOOL, CFG_VAL_STRING };
struct cfg_value {
    enum cfg_value_type type;
    int64_t i;
    double d;
    bool b;
    char *s;        /* STRING, NUL-terminated; len excludes the NUL */
    size_t len;
};

/* [beyond] aerospike-operation.operations[] (type: operate), applied in order as one
 * atomic operate. Each reads value field `field_name` or uses the static `value`. */
enum cfg_rop_kind {
    CFG_ROP_WRITE,        /* bin = value */
    CFG_ROP_LIST_APPEND,  /* append value to the list in bin */
    CFG_ROP_MAP_PUT,      /* bin[map key] = value; key from field `key_field` or static `key` */
    CFG_ROP_INCREMENT,    /* bin += number */
};
struct cfg_record_op {
    enum cfg_rop_kind op;
    char *bin;                 /* <= 15 bytes */
    char *field_name;          /* NULL when value is static */
    struct cfg_value value;    /* type NONE when field_name is used */
    char *key_field;           /* map-put: value field holding the map key */
    char *key;                 /* map-put: static map key */
    struct cfg_pos pos;
};

struct cfg_operation {
    enum cfg_op_type type;                      /* write */
    enum cfg_exists_action record_exists_action;/* update */
    bool send_key;                              /* false */
    enum cfg_gen_policy generation_policy;      /* none (the only value aerosink runs) */
    int64_t max_retries;                        /* 0: the worker retries with back-off */
    int64_t total_timeout_ms;                   /* 1000; 0 = none */
    int64_t socket_timeout_ms;                  /* 30000; 0 = none */
    int64_t sleep_between_retries_ms;           /* 0 */
    bool durable_delete;                        /* false */
    enum cfg_commit_level commit_level;         /* commit-all */
    int *ignore_error_codes;                    /* result codes counted as success */
    size_t n_ignore_error_codes;
    enum cfg_stale_guard stale_write_guard;     /* [beyond] none */
    struct cfg_record_op *ops;                  /* [beyond] type operate */
    size_t n_ops;
};

struct cfg_topic {
    char *name;                                  /* Kafka topic */
    struct cfg_pos pos;                          /* of the name in the file */
    enum cfg_invalid_record invalid_record;      /* required */
    enum cfg_on_null_value on_null_value;        /* [beyond] ignore (skip and count) */
    enum cfg_on_write_failure on_write_failure;  /* [beyond] invalid-record */
    struct cfg_mapping mapping;
    struct cfg_operation op;                     /* aerospike-operation */
};

struct cfg_arena;   /* private */

/* A loaded, valid mapping file. Read-only. */
struct cfg {
    char *file;                       /* display name used in messages */
    int64_t max_queued_records;       /* 32768 */
    int64_t processing_threads;       /* default: online CPUs at load time */
    char *feature_key_file;           /* accepted, ignored (warning) */
    struct cfg_aerospike aerospike;
    struct cfg_topic *topics;         /* in file order */
    size_t n_topics;
    struct cfg_arena *arena;          /* owns everything above */
};

/* Limits on what a loader accepts (bounded memory on any input). */
#define CFG_MAX_FILE_BYTES (4u << 20)   /* mapping and properties files */
#define CFG_MAX_DEPTH 64                /* nesting of maps and lists */
#define CFG_MAX_NODES 100000            /* scalars + maps + lists, aliases expanded */
#define CFG_MAX_SCALAR_BYTES 65536      /* one value */

/* Load flags. */
enum {
    /* Read the files the config names: password-file and store-password-file (first line),
     * and sniff store-file (exists, readable, not JKS, format matches store-type). Missing or
     * unreadable files are errors; secret files readable by group/others are warnings.
     * Without this flag no file other than the mapping file itself is touched. */
    CFG_LOAD_READ_FILES = 1u << 0,
    /* Force JSON (otherwise: JSON when the name ends in ".json" or the text starts with
     * '{' after blanks; YAML else). */
    CFG_LOAD_JSON = 1u << 1,
    CFG_LOAD_YAML = 1u << 2,
    /* Return the config even when it has errors (NULL only when the text does not parse),
     * so `check` and REST validate can still cross-check topics. Never run such a config:
     * test cfg_diags.errors. */
    CFG_LOAD_PARTIAL = 1u << 3,
};

/* Load and validate a mapping file. Reads at most CFG_MAX_FILE_BYTES. Returns NULL when the
 * file cannot be read or has errors (all reported in @d); warnings alone still load. */
struct cfg *cfg_load_file(const char *path, unsigned flags, struct cfg_diags *d);
/* The same from memory (REST validate, the copy stored in the connector config).
 * @name is the display name for messages, e.g. "aerospike-kafka-inbound.yml". */
struct cfg *cfg_load_text(const char *text, size_t len, const char *name, unsigned flags,
                          struct cfg_diags *d);
void cfg_free(struct cfg *c);

const struct cfg_topic *cfg_topic_find(const struct cfg *c, const char *name);

/* Read the first line of a password file (without the line end; trailing spaces kept).
 * Returns an owned string (free with cfg_secret_free, which wipes it), or NULL with @e set. */
char *cfg_read_password_file(const char *path, struct err *e);
void cfg_secret_free(char *s);

/* ===================================================================================
 * Kafka Connect properties (java.util.Properties) and connector JSON
 * =================================================================================== */

/* One property. Keys and values are unescaped (\uXXXX -> UTF-8); bytes are kept as they are
 * (Java reads ISO-8859-1; only non-ASCII bytes differ). line/col: where the key starts;
 * vline/vcol: where the value starts (for messages about the value). */
struct cfg_prop {
    char *key;
    char *value;
    int line, col;
    int vline, vcol;
};

/* A set of properties in first-appearance order; a repeated key keeps its first slot and
 * takes the later value (Java's last-wins, and a warning). */
struct cfg_props {
    char *file;          /* display name */
    struct cfg_prop *v;
    size_t n, cap;
    uint32_t *index;     /* private hash index */
    size_t index_cap;
};

struct cfg_props *cfg_props_new(const char *name);
/* Parse java.util.Properties text: '#'/'!' comment lines, `k=v`, `k: v`, `k v`, `\`
 * continuation (leading blanks of the next line dropped), escapes \t \n \r \f \uXXXX,
 * other `\x` -> x. Malformed \u escapes and oversize input are errors in @d. */
struct cfg_props *cfg_props_parse(const char *text, size_t len, const char *name,
                                  struct cfg_diags *d);
struct cfg_props *cfg_props_load_file(const char *path, struct cfg_diags *d);
/* Connector JSON: the REST body {"name": "n", "config": {...}} (name also goes in as
 * "name" unless config has one) or a flat {"k": "v"} object. Numbers and booleans are kept
 * as their text; nested objects and arrays are errors. */
struct cfg_props *cfg_props_parse_json(const char *text, size_t len, const char *name,
                                       struct cfg_diags *d);
/* Add or replace (last wins). line/col 0 for properties that come from code or REST. */
enum status cfg_props_set(struct cfg_props *p, const char *key, const char *value, int line,
                          int col);
const struct cfg_prop *cfg_props_find(const struct cfg_props *p, const char *key);
const char *cfg_props_get(const struct cfg_props *p, const char *key);   /* NULL if absent */
void cfg_props_free(struct cfg_props *p);

/* Borrowed key/value pairs (point into a cfg_props). */
struct cfg_kv {
    const char *key;
    const char *value;
};
struct cfg_kvs {
    struct cfg_kv *v;
    size_t n;
};

/* A converter: class and its sub-properties (prefix "key.converter." removed). */
struct cfg_converter {
    const char *class_name;   /* NULL = not configured here */
    struct cfg_kvs props;     /* e.g. {"schemas.enable", "false"} */
    const char *origin;       /* file the class came from (for messages) */
};

enum cfg_worker_mode { CFG_WORKER_AUTO, CFG_WORKER_STANDALONE, CFG_WORKER_DISTRIBUTED };

/* Worker properties (connect-standalone.properties / connect-distributed.properties). */
struct cfg_worker {
    struct cfg_props *props;          /* owned; every string below points into it */
    enum cfg_worker_mode mode;        /* resolved: AUTO picks DISTRIBUTED when group.id or a
                                       * *.storage.topic is set */
    const char *bootstrap_servers;    /* "localhost:9092" */
    const char *group_id;             /* distributed: required */
    struct cfg_converter key_converter, value_converter;   /* required */
    struct cfg_converter header_converter;                 /* optional */
    int64_t offset_flush_interval_ms; /* 60000 */
    int64_t offset_flush_timeout_ms;  /* 5000 */
    struct cfg_kvs consumer;          /* consumer.* (prefix removed): every sink consumer */
    struct cfg_kvs producer;          /* producer.* (prefix removed): the DLQ producer */
    struct cfg_kvs client;            /* top-level Kafka client keys (security.protocol,
                                       * ssl.*, sasl.*, client.id...): the worker's own
                                       * clients in distributed mode */
    const char *listeners;            /* "http://:8083" unless rest.port/rest.host.name */
    int64_t rest_port;                /* 8083 (deprecated by listeners) */
    const char *rest_host_name;       /* NULL */
    const char *rest_advertised_host_name;   /* NULL */
    int64_t rest_advertised_port;     /* 0 = same as the listener */
    const char *rest_advertised_listener;    /* NULL */
    const char *config_storage_topic; /* distributed: required */
    const char *offset_storage_topic; /* distributed: required (sinks do not use it) */
    const char *status_storage_topic; /* distributed: required */
    const char *offset_storage_file;  /* standalone: offset.storage.file.filename */
    const char *plugin_path;          /* accepted, ignored */
    int64_t scheduled_rebalance_max_delay_ms;   /* 300000 */
    bool topic_tracking;                        /* topic.tracking.enable, true */
    bool topic_tracking_reset;                  /* topic.tracking.allow.reset, true */
};

struct cfg_worker *cfg_worker_new(struct cfg_props *props, enum cfg_worker_mode mode,
                                  struct cfg_diags *d);   /* takes ownership of props */
void cfg_worker_free(struct cfg_worker *w);

/* Kafka Connect errors.* (connector-spec §7.3). */
struct cfg_errors {
    bool tolerance_all;               /* errors.tolerance: none (false) | all */
    int64_t retry_timeout_ms;         /* 0; -1 = forever */
    int64_t retry_delay_max_ms;       /* 60000 */
    bool log_enable;                  /* false */
    bool log_include_messages;        /* false */
    const char *dlq_topic;            /* "" = no DLQ */
    int64_t dlq_replication_factor;   /* 3; -1 = broker default */
    bool dlq_context_headers;         /* false */
};

/* The aerospike class the original registers, and aerosink's own alias. Connect's short
 * aliases (AerospikeSinkConnector, AerospikeSink) are accepted too. */
#define CFG_CONNECTOR_CLASS "com.aerospike.connect.kafka.inbound.AerospikeSinkConnector"
#define CFG_CONNECTOR_ALIAS "aerosink"

/* Connector properties (`.properties`, or `.json` in the REST shape). */
struct cfg_connector {
    struct cfg_props *props;          /* owned; strings below point into it */
    const char *name;                 /* required; consumer group "connect-<name>" */
    const char *connector_class;      /* required, one of the accepted names */
    int64_t tasks_max;                /* 1 */
    char **topics;                    /* `topics`, split on commas and trimmed */
    size_t n_topics;
    const char *topics_regex;         /* `topics.regex` (Java regex), or NULL */
    char *topics_pattern;             /* topics.regex as a POSIX extended regex matching whole
                                       * topic names ("^(...)$", as Connect's matches()), or
                                       * NULL; what the consumer subscribes with */
    char *mapping_path;               /* aerospike.config.file resolved against the
                                       * properties file's directory; default
                                       * "aerospike-kafka-inbound.yml" beside it */
    const char *mapping_content;      /* aerospike.config.content: the mapping text itself
                                       * (distributed mode stores it), or NULL */
    struct cfg_converter key_converter, value_converter;   /* class NULL = worker's */
    struct cfg_errors errors;
    struct cfg_kvs consumer_override; /* consumer.override.* (prefix removed) */
    struct cfg_kvs producer_override; /* producer.override.* */
    struct cfg_kvs admin_override;    /* admin.override.* */
};

struct cfg_connector *cfg_connector_new(struct cfg_props *props, struct cfg_diags *d);
void cfg_connector_free(struct cfg_connector *c);

/* The converter Connect would use for the key (@key true) or value: the connector's when it
 * sets `key.converter` (with ITS `key.converter.*`), else the worker's (with the worker's
 * sub-properties; connector sub-properties without the class are ignored, as in Connect).
 * @w may be NULL. The result borrows from @w / @c. */
void cfg_effective_converter(const struct cfg_worker *w, const struct cfg_connector *c, bool key,
                             struct cfg_converter *out);

/* Load the mapping the connector points to: mapping_content when set (display name =
 * mapping_path), else the file mapping_path. */
struct cfg *cfg_connector_load_mapping(const struct cfg_connector *c, unsigned flags,
                                       struct cfg_diags *d);
/* True (with an error naming every place looked and the property to set) when no
 * aerospike.config.file is given and none of the default mapping files exists. */
bool cfg_connector_mapping_missing(const struct cfg_connector *c, struct cfg_diags *d);
/* Cross-checks between a connector and its mapping: every topic in `topics` has a mapping
 * (error naming the topic and the mapping file; for topics.regex this is left to partition
 * assignment), and dead-letter policies need errors.deadletterqueue.topic.name. Mapped topics
 * a connector does not consume are fine: one mapping file serves every connector on a node. */
void cfg_connector_check_mapping(const struct cfg_connector *c, const struct cfg *m,
                                 struct cfg_diags *d);
/* Converters are ones aerosink implements (error with did-you-mean otherwise). @w may be
 * NULL (only the connector's own converters are checked then). */
void cfg_check_converters(const struct cfg_worker *w, const struct cfg_connector *c,
                          struct cfg_diags *d);

/* ===================================================================================
 * Files and checks
 * =================================================================================== */

enum cfg_file_kind {
    CFG_FILE_UNKNOWN,
    CFG_FILE_MAPPING,        /* aerospike-kafka-inbound.yml / .json */
    CFG_FILE_CONNECTOR,      /* connector .properties or .json */
    CFG_FILE_WORKER,         /* worker .properties */
};
/* Guess a file's role from its name and text: .properties with connector.class (or name
 * and topics) -> connector, other .properties -> worker; .json with "config" or
 * "connector.class" -> connector; other .json/.yml/.yaml -> mapping. */
enum cfg_file_kind cfg_file_kind(const char *path, const char *text, size_t len);

/* Everything `aerosink check` does: each file's role is guessed (cfg_file_kind); mappings
 * are validated (CFG_LOAD_READ_FILES in @flags: also the files they name), connectors with
 * their mapping and the topics cross-check, workers, converters of each connector (with the
 * first worker given), and group/other-readable files holding secrets. A mapping reached
 * twice is checked once. Problems go to @d, sorted. Returns how many files were checked. */
size_t cfg_check_files(const char *const *paths, size_t n, unsigned flags, struct cfg_diags *d);

/* Read a whole file (at most CFG_MAX_FILE_BYTES) into an owned NUL-terminated buffer. */
char *cfg_read_file(const char *path, size_t *len, struct err *e);

/* Warn (in @d) when @path is readable by group or others and the properties hold a secret
 * in clear (sasl.jaas.config, *.password, basic.auth.user.info, ...; values that are
 * config-provider references like ${file:...} do not count). */
void cfg_check_props_secrets(const struct cfg_props *p, const char *path, struct cfg_diags *d);
/* Same for a mapping file: warns when the text holds a secret-looking key. */
void cfg_check_mapping_secrets(const char *path, const char *text, size_t len,
                               struct cfg_diags *d);
/* True for property names that carry secrets (exposed for the REST config view). */
bool cfg_is_secret_key(const char *key);

/* ===================================================================================
 * The key table (documentation)
 * =================================================================================== */

/* `aerosink help config`: a readable reference of every mapping key (and the connector and
 * worker properties aerosink reads); @markdown gives docs/config-reference.md. */
enum status cfg_reference(struct buf *out, bool markdown);

/* ===================================================================================
 * Config providers (KIP-297, KIP-887): ${alias:path:key} in property values
 * =================================================================================== */

/* The providers a worker declares: `config.providers=file,env,dir`, one
 * `config.providers.<alias>.class` each (org.apache.kafka.common.config.provider.
 * FileConfigProvider, EnvVarConfigProvider or DirectoryConfigProvider; also their simple
 * names), and their `config.providers.<alias>.param.*` (allowed.paths, allowlist.pattern).
 * Read-only once built: may be used by many threads at once. */
struct cfg_providers;

/* Build from worker properties (@worker NULL: no providers). Problems go to @d with the
 * worker file's file:line:col: an unknown class (naming it and the supported ones), a bad
 * parameter. A provider with such an error is kept as "broken": references to it stay as
 * written without further messages. Returns an owned object (cfg_providers_free), NULL only
 * when out of memory. */
struct cfg_providers *cfg_providers_new(const struct cfg_props *worker, struct cfg_diags *d);
void cfg_providers_free(struct cfg_providers *pv);

/* What one resolution replaced: each property's key, its value as written (the
 * reference text) and the value it became (a secret: wiped on free). */
struct cfg_resolved;

/* Replace every reference in the values of @p, in place, as Kafka Connect's
 * ConfigTransformer does: the pattern \$\{([^}]*?):(([^}]*?):)?([^}]*?)\} scanned left to
 * right, replacements not scanned again. Keys "config.providers" and "config.providers.*"
 * are left alone. A reference whose alias no provider has stays as written (a warning
 * naming the alias, when @pv declares any provider). A reference that does not resolve (file
 * or directory entry missing or not allowed, key absent, environment variable unset or not
 * allowed) is an error in @d at the value's file:line:col with the key and the reference;
 * that property keeps its written value. Messages never hold a resolved value.
 * @pv NULL: nothing is done. @res (may be NULL) gets what was replaced and which keys failed
 * (owned, cfg_resolved_free; NULL when neither). Returns ST_OK, ST_CONFIG (an error was
 * added to @d) or ST_NOMEM. */
enum status cfg_props_resolve(struct cfg_props *p, const struct cfg_providers *pv,
                              struct cfg_resolved **res, struct cfg_diags *d);

/* Tidy the diagnostics added to @d since each of the @n records @rs was made (or last
 * scrubbed; NULL entries are skipped): one about a key a record replaced that quotes the
 * resolved value shows "<resolved from REFERENCE>" instead; one about a key whose reference
 * did not resolve is dropped (it judged the reference text; the resolution error says why).
 * Call it after the checks that may quote property values (cfg_connector_new,
 * cfg_check_converters, cfg_connector_check_mapping), with every record still pending on
 * @d at once: dropping renumbers the remaining diagnostics' seq. */
void cfg_resolved_scrub(struct cfg_resolved *const *rs, size_t n, struct cfg_diags *d);
void cfg_resolved_free(struct cfg_resolved *r);

/* cfg_worker_new after resolving @props with the providers @props itself declares (as
 * Connect's WorkerConfig does); cfg_connector_new after resolving @props with @pv (the
 * worker's; NULL: none). Both take ownership of @props and return NULL when resolution or
 * the typed view has an error. @res NULL: the diagnostics are scrubbed here; else the
 * caller gets the record and must call cfg_resolved_scrub after its later checks, then
 * cfg_resolved_free. */
struct cfg_worker *cfg_worker_new_resolved(struct cfg_props *props, enum cfg_worker_mode mode,
                                           struct cfg_resolved **res, struct cfg_diags *d);
struct cfg_connector *cfg_connector_new_resolved(struct cfg_props *props,
                                                 const struct cfg_providers *pv,
                                                 struct cfg_resolved **res,
                                                 struct cfg_diags *d);

/* ===================================================================================
 * Worker listeners and check hooks
 * =================================================================================== */

/* One `listeners` element as the REST server takes it: http://HOST:PORT or https://HOST:PORT
 * (scheme in any case, leading blanks skipped, HOST may be empty or a [v6] address, PORT
 * 0..65535, 0 = any free port). @s need not be NUL-terminated. Fills @host (brackets removed;
 * may be NULL), @port, @https; false with @why set when the element is not valid. */
bool cfg_listener_parse(const char *s, size_t n, char *host, size_t cap, int *port, bool *https,
                        const char **why);

/* Checks a caller adds to cfg_check_files (the config module knows no Kafka client: the app
 * passes librdkafka's validation of client settings this way). */
struct cfg_check_hooks {
    /* Runs once, after the built-in checks and before resolved values are scrubbed from the
     * messages. @w: the first worker file given (NULL if none or unreadable); @conns: every
     * connector read. Both may have errors of their own (already reported): never run them. */
    void (*clients)(void *ctx, const struct cfg_worker *w, const struct cfg_connector *const *conns,
                    size_t n, struct cfg_diags *d);
    void *ctx;
};

/* cfg_check_files with @hooks (NULL: none). */
size_t cfg_check_files_with(const char *const *paths, size_t n, unsigned flags,
                            const struct cfg_check_hooks *hooks, struct cfg_diags *d);

#endif
