/* src/config/cfg_keys.c: THE table of mapping-file keys (connector-spec §3).
 *
 * One row per key: path pattern, type, default, allowed values or range, flags (required,
 * where the key comes from: documented / sibling / unverified / aerosink / beyond, and
 * deprecated or unsupported), where the value is stored, and help text. The same rows drive
 * loading (cfg_load.c), defaults, unknown-key and bad-value messages with "did you mean",
 * `aerosink help config` and docs/config-reference.md (cfg_doc.c).
 *
 * Path patterns: keys joined with '.', "*" for a user-chosen name (a topic, a bin, a seed
 * host), "[]" for the items of a list. Rows are in documentation order. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "aerospike/aero_proto.h"
#include "config_int.h"

_Static_assert(sizeof(enum cfg_mode) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum cfg_source) == sizeof(int), "enums are stored as int");

static const struct cfg_enum_val auth_vals[] = {
    {"internal", CFG_AUTH_INTERNAL}, {"external", CFG_AUTH_EXTERNAL},
    {"external-insecure", CFG_AUTH_EXTERNAL_INSECURE}, {"pki", CFG_AUTH_PKI}, {NULL, 0}};
static const struct cfg_enum_val store_vals[] = {
    {"PKCS12", CFG_STORE_PKCS12}, {"PEM", CFG_STORE_PEM}, {"JKS", CFG_STORE_JKS}, {NULL, 0}};
static const struct cfg_enum_val boolp_vals[] = {
    {"integer", CFG_BOOL_AS_INTEGER}, {"bool", CFG_BOOL_AS_BOOL}, {NULL, 0}};
static const struct cfg_enum_val invalid_vals[] = {
    {"ignore", CFG_INVALID_IGNORE}, {"kill-task", CFG_INVALID_KILL_TASK},
    {"dead-letter", CFG_INVALID_DEAD_LETTER}, {NULL, 0}};
static const struct cfg_enum_val null_vals[] = {
    {"invalid-record", CFG_NULL_INVALID_RECORD}, {"ignore", CFG_NULL_IGNORE},
    {"delete", CFG_NULL_DELETE}, {NULL, 0}};
static const struct cfg_enum_val wfail_vals[] = {
    {"kill-task", CFG_WFAIL_KILL_TASK}, {"dead-letter", CFG_WFAIL_DEAD_LETTER},
    {"ignore", CFG_WFAIL_IGNORE}, {"invalid-record", CFG_WFAIL_INVALID_RECORD}, {NULL, 0}};
static const struct cfg_enum_val mode_vals[] = {
    {"static", CFG_MODE_STATIC}, {"dynamic", CFG_MODE_DYNAMIC}, {NULL, 0}};
static const struct cfg_enum_val vf_vals[] = {{"value-field", CFG_SRC_VALUE_FIELD}, {NULL, 0}};
static const struct cfg_enum_val keysrc_vals[] = {
    {"key", CFG_SRC_KEY}, {"value-field", CFG_SRC_VALUE_FIELD}, {NULL, 0}};
static const struct cfg_enum_val ttlsrc_vals[] = {
    {"value-field", CFG_SRC_VALUE_FIELD}, {"header", CFG_SRC_HEADER}, {NULL, 0}};
static const struct cfg_enum_val unit_vals[] = {
    {"seconds", CFG_TTL_SECONDS}, {"epoch-seconds", CFG_TTL_EPOCH_SECONDS},
    {"epoch-millis", CFG_TTL_EPOCH_MILLIS}, {NULL, 0}};
static const struct cfg_enum_val binstype_vals[] = {{"multi-bins", 0}, {NULL, 0}};
static const struct cfg_enum_val optype_vals[] = {
    {"write", CFG_OP_WRITE}, {"delete", CFG_OP_DELETE}, {"operate", CFG_OP_OPERATE}, {NULL, 0}};
static const struct cfg_enum_val exists_vals[] = {
    {"update", CFG_EXISTS_UPDATE}, {"update-only", CFG_EXISTS_UPDATE_ONLY},
    {"replace", CFG_EXISTS_REPLACE}, {"replace-only", CFG_EXISTS_REPLACE_ONLY},
    {"create-only", CFG_EXISTS_CREATE_ONLY}, {NULL, 0}};
static const struct cfg_enum_val gen_vals[] = {
    {"none", CFG_GEN_NONE}, {"expect-gen-equal", CFG_GEN_EXPECT_EQUAL},
    {"expect-gen-gt", CFG_GEN_EXPECT_GT}, {NULL, 0}};
static const struct cfg_enum_val commit_vals[] = {
    {"commit-all", CFG_COMMIT_ALL}, {"commit-master", CFG_COMMIT_MASTER}, {NULL, 0}};
static const struct cfg_enum_val stale_vals[] = {
    {"none", CFG_STALE_NONE}, {"kafka-timestamp", CFG_STALE_KAFKA_TIMESTAMP},
    {"generation", CFG_STALE_GENERATION}, {NULL, 0}};
static const struct cfg_enum_val rop_vals[] = {
    {"write", CFG_ROP_WRITE}, {"list-append", CFG_ROP_LIST_APPEND}, {"map-put", CFG_ROP_MAP_PUT},
    {"increment", CFG_ROP_INCREMENT}, {NULL, 0}};

#define IN_ROOT(f) .scope = CFG_S_ROOT, .off = offsetof(struct cfg, f)
#define IN_TOPIC(f) .scope = CFG_S_TOPIC, .off = offsetof(struct cfg_topic, f)
#define IN_SEED(f) .scope = CFG_S_SEED, .off = offsetof(struct cfg_seed, f)
#define IN_BIN(f) .scope = CFG_S_BIN, .off = offsetof(struct cfg_bin, f)
#define IN_ROP(f) .scope = CFG_S_ROP, .off = offsetof(struct cfg_record_op, f)
#define MS "topics.*.mapping"
#define OPS "topics.*.aerospike-operation"
#define MSEC (int64_t)24 * 3600 * 1000   /* a day in ms: upper bound of timeouts */

/* Static/dynamic name rows for mapping.namespace and mapping.set. */
#define NAME_ROWS(key, fld, max, req, what)                                                    \
    {.path = MS "." key, .type = CFG_K_MAP, .flags = (req) | CFG_F_DOC,                        \
     .help = what " `{mode: static, value: <name>}` or `{mode: dynamic, source: value-field, "  \
             "field-name: <field>}`. Names are at most " #max " bytes."},                      \
    {.path = MS "." key ".mode", .type = CFG_K_ENUM, .vals = mode_vals,                        \
     .flags = CFG_F_REQUIRED | CFG_F_DOC, IN_TOPIC(mapping.fld.mode),                          \
     .help = "`static`: the name is `value`. `dynamic`: read it from each record."},           \
    {.path = MS "." key ".value", .type = CFG_K_STR, .flags = CFG_F_DOC,                       \
     IN_TOPIC(mapping.fld.value), .help = "mode static: the name (at most " #max " bytes)."},  \
    {.path = MS "." key ".source", .type = CFG_K_ENUM, .vals = vf_vals, .flags = CFG_F_DOC,    \
     IN_TOPIC(mapping.fld.source),                                                             \
     .help = "mode dynamic: where the name comes from; `value-field` (a top-level field of "   \
             "the record value) is the only source."},                                         \
    {.path = MS "." key ".field-name", .type = CFG_K_STR, .flags = CFG_F_NONEMPTY | CFG_F_DOC, \
     IN_TOPIC(mapping.fld.field_name),                                                         \
     .help = "mode dynamic: the value field holding the name. A record without it (or with "   \
             "a null, non-string or too long one) is an invalid record."}

/* TLS store rows for key-store and trust-store. */
#define STORE_ROWS(key, fld, what)                                                             \
    {.path = "aerospike.tls." key, .type = CFG_K_MAP, .flags = CFG_F_SIBLING, .help = what},   \
    {.path = "aerospike.tls." key ".store-file", .type = CFG_K_PATH,                           \
     .flags = CFG_F_REQUIRED | CFG_F_NONEMPTY | CFG_F_SIBLING,                                 \
     IN_ROOT(aerospike.tls.fld.file),                                                          \
     .help = "The store file: PKCS#12 (`.p12`/`.pfx`) or PEM. Relative paths are relative to " \
             "the working directory, as in the Java connector."},                              \
    {.path = "aerospike.tls." key ".store-password-file", .type = CFG_K_PATH,                  \
     .flags = CFG_F_NONEMPTY | CFG_F_SIBLING, IN_ROOT(aerospike.tls.fld.password_file),        \
     .help = "File whose first line is the store password (trailing spaces kept)."},           \
    {.path = "aerospike.tls." key ".store-type", .type = CFG_K_ENUM, .vals = store_vals,       \
     .flags = CFG_F_ICASE | CFG_F_SIBLING, IN_ROOT(aerospike.tls.fld.type),                    \
     .def_doc = "PEM for `.pem`/`.crt`/`.cer`/`.key` files, else PKCS12",                      \
     .help = "`PKCS12` or `PEM` (any case). `JKS` is refused with the `keytool "               \
             "-importkeystore` command that converts the file to PKCS12."}

#define UNSUPPORTED_TLS(key, what)                                                             \
    {.path = "aerospike.tls." key, .type = CFG_K_ANY,                                          \
     .flags = CFG_F_UNSUPPORTED | CFG_F_UNVERIFIED, .help = what}

const struct cfg_key cfg__keys[] = {
    /* --- top level (§3.1) --- */
    {.path = "aerospike", .type = CFG_K_MAP, .flags = CFG_F_REQUIRED | CFG_F_DOC,
     .help = "The Aerospike cluster to write to."},
    {.path = "aerospike.seeds", .type = CFG_K_SEQ,
     .flags = CFG_F_REQUIRED | CFG_F_NONEMPTY | CFG_F_DOC,
     .help = "Seed nodes, tried in order; the first that answers gives the cluster. Items: "
             "`- host`, or `- host: {port: 3000, tls-name: name}`. aerosink also reads "
             "`- host:port` and `- \"[ipv6]:port\"`."},
    {.path = "aerospike.seeds[]", .type = CFG_K_ANY, .flags = CFG_F_DOC, .opens = CFG_S_SEED,
     .help = "A host name or IP address, or a one-key map `host: {port, tls-name}`."},
    {.path = "aerospike.seeds[].*", .type = CFG_K_MAP, .flags = CFG_F_DOC,
     .help = "Settings of one seed host (the map's only key is the host)."},
    {.path = "aerospike.seeds[].*.port", .type = CFG_K_INT, .def = "3000", .min = 1,
     .max = 65535, .flags = CFG_F_DOC, IN_SEED(port), .help = "Service port."},
    {.path = "aerospike.seeds[].*.tls-name", .type = CFG_K_STR,
     .flags = CFG_F_NONEMPTY | CFG_F_DOC, IN_SEED(tls_name),
     .help = "Name expected in the node's TLS certificate (needs `aerospike.tls`)."},
    {.path = "aerospike.cluster-name", .type = CFG_K_STR, .flags = CFG_F_NONEMPTY | CFG_F_DOC,
     IN_ROOT(aerospike.cluster_name),
     .help = "Expected cluster name; nodes that report another name are not used."},
    {.path = "aerospike.rack-id", .type = CFG_K_INT, .min = 0, .max = INT32_MAX,
     .flags = CFG_F_DOC, IN_ROOT(aerospike.rack_id),
     .help = "Rack of this connector. Only affects reads, so aerosink accepts and ignores it."},
    {.path = "aerospike.credentials", .type = CFG_K_MAP, .flags = CFG_F_SIBLING,
     .help = "Login. Needs `username` and `password-file` unless `auth-mode` is `pki`."},
    {.path = "aerospike.credentials.username", .type = CFG_K_STR,
     .flags = CFG_F_NONEMPTY | CFG_F_SIBLING, IN_ROOT(aerospike.credentials.username),
     .help = "User name."},
    {.path = "aerospike.credentials.password-file", .type = CFG_K_PATH,
     .flags = CFG_F_NONEMPTY | CFG_F_SIBLING, IN_ROOT(aerospike.credentials.password_file),
     .help = "File whose first line is the password; trailing spaces are kept. Keep it "
             "readable by the connector's user only (`chmod 600`)."},
    {.path = "aerospike.credentials.auth-mode", .type = CFG_K_ENUM, .def = "internal",
     .vals = auth_vals, .flags = CFG_F_SIBLING, IN_ROOT(aerospike.credentials.auth_mode),
     .help = "`internal` (server users), `external` (LDAP; the password travels in clear, so "
             "`aerospike.tls` is required), `external-insecure` (LDAP without TLS), `pki` "
             "(client certificate from `tls.key-store`, no password)."},
    {.path = "aerospike.tls", .type = CFG_K_MAP, .flags = CFG_F_SIBLING,
     .help = "Use TLS for every connection. An empty map (`tls: {}`) trusts the system CAs."},
    STORE_ROWS("key-store", key_store, "Client certificate and private key (mutual TLS, `pki`)."),
    STORE_ROWS("trust-store", trust_store, "CA certificates that sign the nodes' certificates."),
    UNSUPPORTED_TLS("protocols", "TLS protocol list: not supported by aerosink (the TLS "
                                 "library's defaults apply)."),
    UNSUPPORTED_TLS("cipher-suites", "Cipher list: not supported by aerosink (OpenSSL "
                                     "defaults)."),
    UNSUPPORTED_TLS("revoke-certificates", "Revoked serial numbers: not supported by aerosink."),
    UNSUPPORTED_TLS("for-login-only", "TLS for login only: not supported by aerosink."),
    UNSUPPORTED_TLS("allowed-peer-names", "Peer name list: not supported by aerosink (use "
                                          "`tls-name` per seed)."),
    /* [aerosink] communication keys (G3): the original has them, spellings unknown */
    {.path = "aerospike.connect-timeout", .type = CFG_K_INT, .def = "1000", .min = 1,
     .max = MSEC, .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.connect_timeout_ms),
     .help = "Milliseconds to open a connection, TLS handshake included."},
    {.path = "aerospike.login-timeout", .type = CFG_K_INT, .def = "5000", .min = 1, .max = MSEC,
     .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.login_timeout_ms),
     .help = "Milliseconds for the login of a new connection."},
    {.path = "aerospike.tend-interval", .type = CFG_K_INT, .def = "1000", .min = 10,
     .max = MSEC, .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.tend_interval_ms),
     .help = "Milliseconds between cluster tends (node list and partition map refresh)."},
    {.path = "aerospike.max-connections-per-node", .type = CFG_K_INT, .def = "100", .min = 1,
     .max = 65535, .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.max_connections_per_node),
     .help = "Connections per node and processing thread; also caps the writes in flight to "
             "one node."},
    {.path = "aerospike.max-socket-idle", .type = CFG_K_INT, .def = "55", .min = 0,
     .max = 86400, .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.max_socket_idle_s),
     .help = "Seconds a command connection with nothing in flight is kept before aerosink "
             "closes it (keep it below the server's `proto-fd-idle-ms`); 0 keeps them forever. "
             "A new write opens a new connection."},
    {.path = "aerospike.max-error-rate", .type = CFG_K_INT, .def = "100", .min = 0,
     .max = 1000000, .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.max_error_rate),
     .help = "Circuit breaker, as in the official clients: a node with more than this many "
             "errors (attempts that timed out, connections that failed or broke, unparsable "
             "replies, DEVICE_OVERLOAD) in the current window gets no more commands until the "
             "window ends; they fail at once with MAX_ERROR_RATE (-14) and are retried like any "
             "transient failure (never sent to the dead-letter queue). Counts per node appear "
             "in /metrics. 0 turns it off."},
    {.path = "aerospike.error-rate-window", .type = CFG_K_INT, .def = "1", .min = 1, .max = 1000,
     .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.error_rate_window),
     .help = "Length of the `max-error-rate` window, in tend intervals (`tend-interval`)."},
    {.path = "aerospike.boolean-particle", .type = CFG_K_ENUM, .def = "integer",
     .vals = boolp_vals, .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.boolean_particle),
     .help = "How booleans are stored (G4): `integer` 1/0 (every server) or `bool`, the native "
             "BOOL particle (server 5.6 or later)."},
    {.path = "aerospike.batch-max-records", .type = CFG_K_INT, .def = "64", .min = 1, .max = 5000,
     .flags = CFG_F_AEROSINK, IN_ROOT(aerospike.batch_max_records),
     .help = "Writes that are ready together go to each node as one batch write of up to this "
             "many records (server 6.0 or later; older nodes get single writes). Only plain "
             "writes are batched: deletes and `create-only`/generation writes, which a retried "
             "batch could apply twice, always go singly. 1 = single writes only."},
    {.path = "max-queued-records", .type = CFG_K_INT, .def = "32768", .min = 1,
     .max = INT32_MAX, .flags = CFG_F_DOC, IN_ROOT(max_queued_records),
     .help = "Soft cap on records buffered in the connector. Above it every partition pauses; "
             "all resume below half of it."},
    {.path = "processing-threads", .type = CFG_K_INT, .min = 1, .max = 1024, .flags = CFG_F_DOC,
     IN_ROOT(processing_threads), .def_doc = "number of CPUs",
     .help = "Threads that convert and write records; partitions are spread over them, so "
             "records of one Kafka key stay in order."},
    {.path = "feature-key-file", .type = CFG_K_PATH, .flags = CFG_F_DEPRECATED | CFG_F_DOC,
     IN_ROOT(feature_key_file),
     .help = "Deprecated since 2.2.0 (the feature key is read from the server): accepted and "
             "ignored, with a warning."},

    /* --- topics (§3.3) --- */
    {.path = "topics", .type = CFG_K_NAMED, .flags = CFG_F_REQUIRED | CFG_F_NONEMPTY | CFG_F_DOC,
     .help = "Kafka topic name -> how its records are written. Every topic the connector "
             "consumes needs an entry."},
    {.path = "topics.*", .type = CFG_K_MAP, .flags = CFG_F_DOC, .opens = CFG_S_TOPIC,
     .help = "One topic."},
    {.path = "topics.*.invalid-record", .type = CFG_K_ENUM, .vals = invalid_vals,
     .flags = CFG_F_REQUIRED | CFG_F_DOC, IN_TOPIC(invalid_record),
     .help = "Records that cannot be parsed or mapped: `ignore` (skip, logged and counted), "
             "`kill-task` (the task fails until restarted), or [beyond] `dead-letter` (to "
             "`errors.deadletterqueue.topic.name`)."},
    {.path = "topics.*.on-null-value", .type = CFG_K_ENUM, .def = "ignore",
     .vals = null_vals, .flags = CFG_F_BEYOND, IN_TOPIC(on_null_value),
     .help = "Records with a null value (tombstones): `ignore` (the original's behaviour: "
             "skipped and counted), `delete` (delete the Aerospike record; needs "
             "`key-field: {source: key}` and static namespace and set), or `invalid-record` "
             "(apply `invalid-record`)."},
    {.path = "topics.*.on-write-failure", .type = CFG_K_ENUM, .def = "invalid-record",
     .vals = wfail_vals, .flags = CFG_F_BEYOND, IN_TOPIC(on_write_failure),
     .help = "Writes that can never succeed (e.g. result 4, 13, 21): `invalid-record` "
             "(follow the topic's invalid-record policy), `kill-task`, `dead-letter` (only "
             "the failing record, with `__connect.errors.*` headers), or `ignore`. Retriable "
             "failures are always retried."},
    {.path = "topics.*.message-transformer", .type = CFG_K_ANY,
     .flags = CFG_F_UNSUPPORTED | CFG_F_DOC,
     .help = "Java transformer class: not supported by aerosink; use `aerospike-operation: "
             "{type: operate, operations: [...]}`."},

    /* --- mapping (§3.4) --- */
    {.path = MS, .type = CFG_K_MAP, .flags = CFG_F_REQUIRED | CFG_F_DOC,
     .help = "Where and how each record is written."},
    NAME_ROWS("namespace", ns, 31, CFG_F_REQUIRED, "Namespace:"),
    NAME_ROWS("set", set, 63, 0, "Set (absent = no set):"),
    {.path = MS ".key-field", .type = CFG_K_MAP, .flags = CFG_F_DOC,
     .help = "The user key: `{source: key}` (the Kafka key: string, integer or bytes) or "
             "`{source: value-field, field-name: <field>}`. Exactly one of `key-field` and "
             "`digest`."},
    {.path = MS ".key-field.source", .type = CFG_K_ENUM, .vals = keysrc_vals,
     .flags = CFG_F_REQUIRED | CFG_F_DOC, IN_TOPIC(mapping.key_field.source),
     .help = "`key` or `value-field`."},
    {.path = MS ".key-field.field-name", .type = CFG_K_STR, .flags = CFG_F_NONEMPTY | CFG_F_DOC,
     IN_TOPIC(mapping.key_field.field_name), .help = "source value-field: the field."},
    {.path = MS ".digest", .type = CFG_K_MAP, .flags = CFG_F_DOC,
     .help = "A ready 20-byte digest instead of a key (no user key; `send-key` is not "
             "possible): `{source: value-field, field-name: <field>}`. The set must be the one "
             "the digest was computed with."},
    {.path = MS ".digest.source", .type = CFG_K_ENUM, .vals = vf_vals,
     .flags = CFG_F_REQUIRED | CFG_F_DOC, IN_TOPIC(mapping.digest.source),
     .help = "`value-field`."},
    {.path = MS ".digest.field-name", .type = CFG_K_STR,
     .flags = CFG_F_REQUIRED | CFG_F_NONEMPTY | CFG_F_DOC, IN_TOPIC(mapping.digest.field_name),
     .help = "Field holding the digest: 20 raw bytes (base64 in schemaless JSON)."},
    {.path = MS ".ttl", .type = CFG_K_MAP, .flags = CFG_F_DOC,
     .help = "Record TTL (absent = namespace default): `{mode: static, value: <seconds>}` or "
             "`{mode: dynamic, source: value-field, field-name: <field>}`; [beyond] also "
             "`{mode: dynamic, source: header, header-name: <name>, unit: ...}`."},
    {.path = MS ".ttl.mode", .type = CFG_K_ENUM, .vals = mode_vals,
     .flags = CFG_F_REQUIRED | CFG_F_DOC, IN_TOPIC(mapping.ttl.mode),
     .help = "`static` or `dynamic`."},
    {.path = MS ".ttl.value", .type = CFG_K_INT, .min = -2, .max = AERO_TTL_MAX,
     .flags = CFG_F_DOC, IN_TOPIC(mapping.ttl.value),
     .range = "0 (namespace default), -1 (never expire), -2 (keep the current TTL) or "
              "1..315360000 seconds",
     .help = "mode static: seconds; 0 namespace default, -1 never expire, -2 keep current, "
             "1..315360000 (10 years)."},
    {.path = MS ".ttl.source", .type = CFG_K_ENUM, .vals = ttlsrc_vals, .flags = CFG_F_DOC,
     IN_TOPIC(mapping.ttl.source),
     .help = "mode dynamic: `value-field`, or [beyond] `header`."},
    {.path = MS ".ttl.field-name", .type = CFG_K_STR, .flags = CFG_F_NONEMPTY | CFG_F_DOC,
     IN_TOPIC(mapping.ttl.field_name),
     .help = "source value-field: the field (an integer, or a numeric string)."},
    {.path = MS ".ttl.header-name", .type = CFG_K_STR, .flags = CFG_F_NONEMPTY | CFG_F_BEYOND,
     IN_TOPIC(mapping.ttl.header_name),
     .help = "source header: the Kafka header (its value as decimal text)."},
    {.path = MS ".ttl.unit", .type = CFG_K_ENUM, .def = "seconds", .vals = unit_vals,
     .flags = CFG_F_BEYOND, IN_TOPIC(mapping.ttl.unit),
     .help = "mode dynamic: `seconds` (a TTL), or an absolute expiry in `epoch-seconds` / "
             "`epoch-millis`, turned into a TTL when the record is sent."},
    {.path = MS ".bins", .type = CFG_K_MAP, .flags = CFG_F_DOC,
     .help = "Which bins are written. A write topic needs `all-value-fields: true` or a "
             "non-empty `map`."},
    {.path = MS ".bins.type", .type = CFG_K_ENUM, .vals = binstype_vals,
     .flags = CFG_F_REQUIRED | CFG_F_DOC, .help = "`multi-bins`, the only type."},
    {.path = MS ".bins.all-value-fields", .type = CFG_K_BOOL, .def = "false", .flags = CFG_F_DOC,
     IN_TOPIC(mapping.bins.all_value_fields),
     .help = "Write every top-level value field as a bin of the same name (fields listed in "
             "`map` are written only under their mapped name)."},
    {.path = MS ".bins.map", .type = CFG_K_NAMED, .flags = CFG_F_DOC,
     .help = "Explicit bins: `<bin-name>: {source: value-field, field-name: <field>}`. Bin names "
             "are at most 15 bytes."},
    {.path = MS ".bins.map.*", .type = CFG_K_MAP, .flags = CFG_F_DOC, .opens = CFG_S_BIN,
     .help = "One bin."},
    {.path = MS ".bins.map.*.source", .type = CFG_K_ENUM, .vals = vf_vals,
     .flags = CFG_F_REQUIRED | CFG_F_DOC, IN_BIN(source), .help = "`value-field`."},
    {.path = MS ".bins.map.*.field-name", .type = CFG_K_STR,
     .flags = CFG_F_REQUIRED | CFG_F_NONEMPTY | CFG_F_DOC, IN_BIN(field_name),
     .help = "The value field written to this bin."},

    /* --- aerospike-operation (§3.5) --- */
    {.path = OPS, .type = CFG_K_MAP, .flags = CFG_F_DOC,
     .help = "The Aerospike operation and its policy (absent: a write with the defaults)."},
    {.path = OPS ".type", .type = CFG_K_ENUM, .def = "write", .vals = optype_vals,
     .flags = CFG_F_DOC, IN_TOPIC(op.type),
     .help = "`write` (one write per bin), `delete` (the record addressed by the key or "
             "digest), or [beyond] `operate` (the `operations` list, atomically)."},
    {.path = OPS ".record-exists-action", .type = CFG_K_ENUM, .def = "update",
     .vals = exists_vals, .flags = CFG_F_SIBLING, IN_TOPIC(op.record_exists_action),
     .help = "`update` (create or merge), `update-only` (merge; fails with 2 when absent), "
             "`replace` (create or replace), `replace-only` (replace; fails with 2), "
             "`create-only` (create; fails with 5 when present)."},
    {.path = OPS ".send-key", .type = CFG_K_BOOL, .def = "false", .flags = CFG_F_SIBLING,
     IN_TOPIC(op.send_key), .help = "Also store the user key with the record."},
    {.path = OPS ".generation-policy", .type = CFG_K_ENUM, .def = "none", .vals = gen_vals,
     .flags = CFG_F_UNVERIFIED, IN_TOPIC(op.generation_policy),
     .help = "Only `none` runs in aerosink: a sink has no expected generation to compare "
             "(see [beyond] `stale-write-guard`)."},
    {.path = OPS ".max-retries", .type = CFG_K_INT, .def = "0", .min = 0, .max = 1000,
     .flags = CFG_F_SIBLING, IN_TOPIC(op.max_retries),
     .help = "Immediate client retries of a timed-out or refused write. Whatever is left "
             "after them is retried by the worker with back-off, never skipped."},
    {.path = OPS ".total-timeout", .type = CFG_K_INT, .def = "1000", .min = 0, .max = MSEC,
     .flags = CFG_F_SIBLING, IN_TOPIC(op.total_timeout_ms),
     .help = "Milliseconds for one write including its client retries; 0 = no limit."},
    {.path = OPS ".socket-timeout", .type = CFG_K_INT, .def = "30000", .min = 0, .max = MSEC,
     .flags = CFG_F_UNVERIFIED, IN_TOPIC(op.socket_timeout_ms),
     .help = "Milliseconds of socket idle time per attempt; 0 = no limit."},
    {.path = OPS ".sleep-between-retries", .type = CFG_K_INT, .def = "0", .min = 0, .max = MSEC,
     .flags = CFG_F_UNVERIFIED, IN_TOPIC(op.sleep_between_retries_ms),
     .help = "Milliseconds between client retries."},
    {.path = OPS ".durable-delete", .type = CFG_K_BOOL, .def = "false", .flags = CFG_F_UNVERIFIED,
     IN_TOPIC(op.durable_delete),
     .help = "Leave a tombstone on delete (Enterprise only; Community answers 25)."},
    {.path = OPS ".commit-level", .type = CFG_K_ENUM, .def = "commit-all", .vals = commit_vals,
     .flags = CFG_F_UNVERIFIED, IN_TOPIC(op.commit_level),
     .help = "`commit-all` (every replica) or `commit-master`."},
    {.path = OPS ".ignore-error-codes", .type = CFG_K_CODES, .flags = CFG_F_UNVERIFIED,
     .help = "Result codes that count as success: numbers or Java names, e.g. "
             "`[KEY_EXISTS_ERROR]` with `create-only` = insert once. (Spelling unverified.)"},
    {.path = OPS ".stale-write-guard", .type = CFG_K_ENUM, .def = "none", .vals = stale_vals,
     .flags = CFG_F_BEYOND, IN_TOPIC(op.stale_write_guard),
     .help = "`kafka-timestamp`: skip writes (and deletes) older than the stored record. Each "
             "write also stores the record's Kafka timestamp (ms) in bin `kafka_ts` (it wins over a "
             "value field of that name) and carries a filter expression: Aerospike applies it only when the record has no `kafka_ts` or "
             "one <= the record's timestamp, else answers FILTERED_OUT (27) and the record is "
             "counted as skipped (reason stale), never dead-lettered. Records without a timestamp "
             "are written unguarded. So replaying a topic (offset reset) no longer overwrites "
             "newer data. Needs Aerospike 5.2+ (filter expressions). `generation` is not "
             "implemented (a warning)."},
    {.path = OPS ".operations", .type = CFG_K_SEQ, .flags = CFG_F_NONEMPTY | CFG_F_BEYOND,
     .help = "type operate: operations applied in order, atomically, on one record."},
    {.path = OPS ".operations[]", .type = CFG_K_MAP, .flags = CFG_F_BEYOND, .opens = CFG_S_ROP,
     .help = "`{op: list-append, bin: b, field-name: f}`, `{op: increment, bin: b, value: 1}`, "
             "`{op: map-put, bin: b, key-field: k, field-name: f}`, `{op: write, bin: b, "
             "field-name: f}`."},
    {.path = OPS ".operations[].op", .type = CFG_K_ENUM, .vals = rop_vals,
     .flags = CFG_F_REQUIRED | CFG_F_BEYOND, IN_ROP(op),
     .help = "`write`, `list-append`, `map-put` or `increment`."},
    {.path = OPS ".operations[].bin", .type = CFG_K_STR,
     .flags = CFG_F_REQUIRED | CFG_F_NONEMPTY | CFG_F_BEYOND, IN_ROP(bin),
     .help = "Bin name (at most 15 bytes)."},
    {.path = OPS ".operations[].field-name", .type = CFG_K_STR,
     .flags = CFG_F_NONEMPTY | CFG_F_BEYOND, IN_ROP(field_name),
     .help = "Value field that gives the operand (exactly one of `field-name` and `value`)."},
    {.path = OPS ".operations[].value", .type = CFG_K_SCALAR, .flags = CFG_F_BEYOND,
     IN_ROP(value), .help = "Static operand (a number for `increment`)."},
    {.path = OPS ".operations[].key-field", .type = CFG_K_STR,
     .flags = CFG_F_NONEMPTY | CFG_F_BEYOND, IN_ROP(key_field),
     .help = "map-put: value field that gives the map key (or `key` for a static one)."},
    {.path = OPS ".operations[].key", .type = CFG_K_STR, .flags = CFG_F_BEYOND, IN_ROP(key),
     .help = "map-put: static map key."},
};

const size_t cfg__n_keys = ARRAY_LEN(cfg__keys);

const struct cfg_key *cfg__key_find(const char *pattern)
{
    for (size_t i = 0; i < cfg__n_keys; i++)
        if (strcmp(cfg__keys[i].path, pattern) == 0)
            return &cfg__keys[i];
    return NULL;
}

const char *cfg__enum_name(const struct cfg_enum_val *vals, int value)
{
    for (; vals && vals->name; vals++)
        if (vals->value == value)
            return vals->name;
    return "?";
}

/* "recordExistsAction", "record_exists_action", "RECORD-EXISTS-ACTION" -> "record-exists-action" */
static void normalize(const char *s, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; s[i] && o + 2 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isupper(c) && i > 0 && islower((unsigned char)s[i - 1]))
            out[o++] = '-';
        out[o++] = (c == '_' || c == '.' || c == ' ') ? '-' : (char)tolower(c);
    }
    out[o] = '\0';
}

/* Edit distance counting an adjacent transposition as one edit ("prot" -> "port"),
 * capped: returns cap + 1 when farther. Only the band |i - j| <= cap of the matrix is
 * computed (anything outside it is already farther than cap). */
static size_t osa_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b), inf = cap + 1;
    size_t d[3][66], *prev2 = d[0], *prev = d[1], *cur = d[2];

    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > cap)
        return inf;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j <= cap ? j : inf;
    for (size_t i = 1; i <= la; i++) {
        size_t lo = i > cap ? i - cap : 1, hi = MIN(lb, i + cap), best;
        best = cur[0] = i <= cap ? i : inf;
        cur[lo - 1] = lo > 1 ? inf : cur[0];
        for (size_t j = lo; j <= hi; j++) {
            size_t v = MIN(MIN(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (a[i - 1] != b[j - 1]));
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                v = MIN(v, prev2[j - 2] + 1);
            cur[j] = MIN(v, inf);
            best = MIN(best, cur[j]);
        }
        if (hi < lb)
            cur[hi + 1] = inf;
        if (best > cap)
            return inf;
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return MIN(prev[lb], inf);
}

const char *cfg__suggest(const char *s, const char *const *cands, size_t n)
{
    char ns[128], nc[128];
    size_t len = strlen(s), best_d = SIZE_MAX, cap;
    const char *best = NULL;

    if (len == 0 || len > 64)
        return NULL;
    normalize(s, ns, sizeof(ns));
    cap = len <= 4 ? 1 : len <= 10 ? 2 : 3;
    len = strlen(ns);
    for (size_t i = 0; i < n; i++) {
        size_t dist, lc = strlen(cands[i]);
        /* normalizing only adds dashes: its length is lc..2*lc; skip hopeless ones early */
        if (lc > len + cap || 2 * lc + cap < len)
            continue;
        normalize(cands[i], nc, sizeof(nc));
        if (strcmp(ns, nc) == 0)
            return cands[i];
        dist = osa_distance(ns, nc, cap);
        if (dist <= cap && dist < best_d) {
            best_d = dist;
            best = cands[i];
        }
    }
    return best;
}

/* The last path segment of @pattern if its parent is @parent, else NULL. */
static const char *child_name(const char *pattern, const char *parent)
{
    size_t pl = strlen(parent);
    const char *rest;

    if (pl == 0)
        rest = pattern;
    else if (strncmp(pattern, parent, pl) == 0 && pattern[pl] == '.')
        rest = pattern + pl + 1;
    else
        return NULL;
    if (strchr(rest, '.') || strchr(rest, '[') || strcmp(rest, "*") == 0)
        return NULL;
    return rest;
}

const char *cfg__key_suggest(const char *parent_pattern, const char *key)
{
    const char *cands[64];
    size_t n = 0;

    for (size_t i = 0; i < cfg__n_keys && n < ARRAY_LEN(cands); i++) {
        const char *c = child_name(cfg__keys[i].path, parent_pattern);
        if (c)
            cands[n++] = c;
    }
    return cfg__suggest(key, cands, n);
}
