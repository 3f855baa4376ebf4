/* src/rest/rest.h: the Kafka-Connect-compatible REST API (libmicrohttpd).
 * Owns: HTTP (listener, keep-alive, limits, basic auth, TLS, per-client rate limit),
 *       request routing and parsing, and the exact JSON shapes, paths and status codes of
 *       Kafka Connect's REST API (connector-spec.md section 10), plus aerosink's /health and
 *       /metrics.
 * Not here: how connectors run, where configs are stored, what a validation finds. All of
 *       that is the application's, behind struct rest_backend.
 * Two layers:
 *   rest_handle()        request in, response out; no sockets, no threads (unit tests, fuzzing).
 *   rest_server_new()    a libmicrohttpd daemon that feeds rest_handle().
 * Threads: the server runs one thread per connection (so a slow backend call blocks only its
 *       own connection). Backend functions are called on those threads, concurrently: the
 *       backend must be thread-safe. rest_handle() is reentrant; it keeps no state between calls.
 * Memory: result containers passed to the backend are zeroed by the caller, filled by the
 *       backend with the rest_*_add / _set helpers (which copy their arguments), and freed by
 *       the REST module. Everything the backend receives (names, configs) is borrowed for the
 *       duration of the call only.
 * Errors: the backend returns enum status and fills struct err; the module maps them to HTTP
 *       (see "Status mapping") with e->msg as the "message" of Connect's error body
 *       {"error_code": <http status>, "message": "..."}. The module never logs; an optional
 *       access-log callback sees every request. */
#ifndef AEROSINK_REST_H
#define AEROSINK_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* --- Plain result types -------------------------------------------------------------- */

/* A list of owned strings. */
struct rest_strs {
    char **v;
    size_t n, cap;
};
enum status rest_strs_add(struct rest_strs *l, const char *s);   /* copies @s */
void rest_strs_free(struct rest_strs *l);                        /* zeroes; NULL ok */

/* Ordered key/value string pairs (a connector config). value == NULL is JSON null: it only
 * appears in a PATCH /connectors/{n}/config body, where it means "remove this key". */
struct rest_kv {
    char *key;
    char *value;
};
struct rest_kvs {
    struct rest_kv *v;
    size_t n, cap;
};
enum status rest_kvs_add(struct rest_kvs *m, const char *key, const char *value);  /* appends */
/* Set @key to @value (NULL: remove it): replaces in place, or appends. */
enum status rest_kvs_put(struct rest_kvs *m, const char *key, const char *value);
const struct rest_kv *rest_kvs_find(const struct rest_kvs *m, const char *key);   /* NULL: absent */
enum status rest_kvs_copy(struct rest_kvs *dst, const struct rest_kvs *src);      /* appends all */
void rest_kvs_free(struct rest_kvs *m);

/* Connector and task states, and connector types, as Connect spells them. */
enum rest_state { REST_UNASSIGNED, REST_RUNNING, REST_PAUSED, REST_STOPPED, REST_FAILED, REST_RESTARTING };
enum rest_conn_type { REST_TYPE_SINK, REST_TYPE_SOURCE, REST_TYPE_UNKNOWN };
/* The state a connector is created in (POST /connectors "initial_state"). */
enum rest_target_state { REST_TARGET_DEFAULT, REST_TARGET_RUNNING, REST_TARGET_PAUSED, REST_TARGET_STOPPED };
const char *rest_state_name(enum rest_state s);        /* "RUNNING" */
const char *rest_type_name(enum rest_conn_type t);     /* "sink" */

/* GET /connectors/{n}/status; the restart response; ?expand=status. */
struct rest_task_state {
    int32_t id;
    enum rest_state state;
    char *worker_id;
    char *trace;            /* NULL: no "trace" field (Connect sends one only when FAILED) */
};
struct rest_status {
    enum rest_state state;  /* the connector's */
    char *worker_id;
    char *trace;
    enum rest_conn_type type;
    struct rest_task_state *tasks;
    size_t n_tasks, cap_tasks;
};
enum status rest_status_set(struct rest_status *s, enum rest_state st, const char *worker_id,
                            const char *trace);
enum status rest_status_add_task(struct rest_status *s, int32_t id, enum rest_state st,
                                 const char *worker_id, const char *trace);
void rest_status_free(struct rest_status *s);

/* ConnectorInfo: config plus task ids ({"connector": name, "task": id} on the wire). */
struct rest_connector_info {
    struct rest_kvs config;
    enum rest_conn_type type;
    int32_t *tasks;
    size_t n_tasks, cap_tasks;
    /* Set by a create/put/patch refused with ST_CONFIG when its message does not fit a struct
     * err (every problem of a refused config): the whole "message" of the 400 answer, used
     * instead of e->msg. Empty otherwise; freed by rest_info_free. */
    struct buf refused;
};
enum status rest_info_add_task(struct rest_connector_info *ci, int32_t task);
void rest_info_free(struct rest_connector_info *ci);

/* GET /connectors/{n}/tasks */
struct rest_task_config {
    int32_t id;
    struct rest_kvs config;
};
struct rest_task_configs {
    struct rest_task_config *v;
    size_t n, cap;
};
/* Append task @id; returns its (empty) config to fill with rest_kvs_add, or NULL (ST_NOMEM). */
struct rest_kvs *rest_task_configs_add(struct rest_task_configs *l, int32_t id);
void rest_task_configs_free(struct rest_task_configs *l);

/* Sink offsets: {"partition":{"kafka_topic":t,"kafka_partition":p},"offset":{"kafka_offset":o}}.
 * has_offset == false is "offset": null (PATCH: reset that partition). */
struct rest_offset {
    char *topic;
    int32_t partition;
    bool has_offset;
    int64_t offset;
};
struct rest_offsets {
    struct rest_offset *v;
    size_t n, cap;
};
enum status rest_offsets_add(struct rest_offsets *l, const char *topic, int32_t partition,
                             bool has_offset, int64_t offset);
void rest_offsets_free(struct rest_offsets *l);

/* GET /connector-plugins: {"class", "type", "version"}; type is "sink", "source", "converter",
 * "header_converter", "transformation" or "predicate"; version NULL: field omitted. */
struct rest_plugin {
    char *class_name;
    char *type;
    char *version;
};
struct rest_plugins {
    struct rest_plugin *v;
    size_t n, cap;
};
enum status rest_plugins_add(struct rest_plugins *l, const char *class_name, const char *type,
                             const char *version);
void rest_plugins_free(struct rest_plugins *l);

/* A config key definition (ConfigKeyInfo). The spec is what the backend passes in (borrowed,
 * copied by the _add functions); NULL strings become JSON null. */
struct rest_def_spec {
    const char *name;
    const char *type;           /* "STRING", "INT", "LONG", "BOOLEAN", "LIST", "CLASS", "PASSWORD", ... */
    bool required;
    const char *default_value;
    const char *importance;     /* "HIGH" | "MEDIUM" | "LOW" */
    const char *documentation;
    const char *group;
    int32_t order;
    const char *width;          /* "NONE" | "SHORT" | "MEDIUM" | "LONG" */
    const char *display_name;
    const char *const *dependents;   /* NULL-terminated, or NULL for [] */
};
struct rest_config_def {
    char *name, *type, *default_value, *importance, *documentation, *group, *width, *display_name;
    bool required;
    int32_t order;
    struct rest_strs dependents;
};
struct rest_config_defs {
    struct rest_config_def *v;
    size_t n, cap;
};
enum status rest_config_defs_add(struct rest_config_defs *l, const struct rest_def_spec *spec);
void rest_config_defs_free(struct rest_config_defs *l);

/* ConfigInfos (PUT /connector-plugins/{p}/config/validate): one entry per key with its
 * definition and its value {name, value, recommended_values, errors, visible}. The module
 * computes "error_count" (entries with at least one error) and takes "name" from @name. */
struct rest_config_info {
    struct rest_config_def def;
    char *value;                    /* NULL: null */
    struct rest_strs recommended;
    struct rest_strs errors;
    bool visible;
};
struct rest_config_infos {
    char *name;                     /* the connector class validated against */
    struct rest_strs groups;
    struct rest_config_info *v;
    size_t n, cap;
};
enum status rest_config_infos_set_name(struct rest_config_infos *l, const char *name);
/* Append one key; @recommended and @errors are NULL-terminated or NULL. */
enum status rest_config_infos_add(struct rest_config_infos *l, const struct rest_def_spec *def,
                                  const char *value, const char *const *recommended,
                                  const char *const *errors, bool visible);
void rest_config_infos_free(struct rest_config_infos *l);

/* GET /admin/loggers: {"<name>": {"level": "INFO", "last_modified": <ms or null>}} */
struct rest_logger {
    char *name;
    char *level;
    int64_t last_modified;          /* Unix ms of the last change through the API; < 0: null */
};
struct rest_loggers {
    struct rest_logger *v;
    size_t n, cap;
};
enum status rest_loggers_add(struct rest_loggers *l, const char *name, const char *level,
                             int64_t last_modified);
void rest_loggers_free(struct rest_loggers *l);

/* GET / */
struct rest_server_info {
    char version[64];
    char commit[64];
    char kafka_cluster_id[128];
};

/* GET /health (Connect 3.9's shape, KIP-1017): 200 {"status":"healthy","message":...},
 * 503 "starting", 500 "unhealthy". @details (may be empty) is appended to the message. */
enum rest_health_state { REST_HEALTHY, REST_STARTING, REST_UNHEALTHY };
struct rest_health {
    enum rest_health_state state;
    char details[256];
};

/* --- The backend: what the application implements ------------------------------------ */
/* Every function is optional: a NULL one makes its endpoints answer 501. All run on the HTTP
 * server's connection threads, possibly several at once: they must be thread-safe.
 * @name / @plugin are URL-decoded and NUL-free. Output containers arrive zeroed.
 *
 * Status mapping (e->msg, when set, is the error "message"; else Connect's wording):
 *   ST_NOT_FOUND                          404 (unknown connector, task, plugin, logger)
 *   ST_EXISTS                             409 "Connector n already exists"
 *   ST_BUSY                               409 (rebalance in progress / stale config)
 *   ST_CONFIG, ST_USAGE, ST_PARSE, ST_TYPE 400 (invalid config; offsets while not STOPPED)
 *   ST_AUTH                               403
 *   ST_TOO_BIG                            413
 *   ST_UNSUPPORTED                        501; on the /topics endpoints 403 (Connect's answer
 *                                         when topic tracking is disabled)
 *   ST_UNAVAILABLE                        503
 *   ST_TIMEOUT                            500 "Request timed out" (as Connect)
 *   anything else                         500 */
struct rest_backend {
    void *ctx;

    /* GET / */
    enum status (*server_info)(void *ctx, struct rest_server_info *out, struct err *e);

    /* GET /connectors (and, per name, the ?expand= calls below). */
    enum status (*list_connectors)(void *ctx, struct rest_strs *out, struct err *e);
    /* GET /connectors/{n}, ?expand=info, and the body of create/put/patch answers. */
    enum status (*connector_info)(void *ctx, const char *name, struct rest_connector_info *out,
                                  struct err *e);
    enum status (*connector_config)(void *ctx, const char *name, struct rest_kvs *out, struct err *e);
    enum status (*connector_status)(void *ctx, const char *name, struct rest_status *out,
                                    struct err *e);

    /* POST /connectors. @config already holds "name" = @name. ST_EXISTS if present.
     * Fill @out with the new connector's info. */
    enum status (*create_connector)(void *ctx, const char *name, const struct rest_kvs *config,
                                    enum rest_target_state initial, struct rest_connector_info *out,
                                    struct err *e);
    /* PUT /connectors/{n}/config: create or replace. @config holds "name" = @name. Set *created. */
    enum status (*put_connector_config)(void *ctx, const char *name, const struct rest_kvs *config,
                                        bool *created, struct rest_connector_info *out, struct err *e);
    /* PATCH /connectors/{n}/config: merge @patch (a NULL value removes the key) into the
     * existing config; ST_NOT_FOUND if the connector does not exist. */
    enum status (*patch_connector_config)(void *ctx, const char *name, const struct rest_kvs *patch,
                                          struct rest_connector_info *out, struct err *e);
    /* DELETE /connectors/{n} */
    enum status (*delete_connector)(void *ctx, const char *name, struct err *e);

    /* POST /connectors/{n}/restart. When @include_tasks or @only_failed, fill @out with the
     * status after the restart request (restarted instances RESTARTING); else leave it. */
    enum status (*restart_connector)(void *ctx, const char *name, bool include_tasks,
                                     bool only_failed, struct rest_status *out, struct err *e);
    enum status (*restart_task)(void *ctx, const char *name, int32_t task, struct err *e);
    enum status (*pause_connector)(void *ctx, const char *name, struct err *e);
    enum status (*resume_connector)(void *ctx, const char *name, struct err *e);
    enum status (*stop_connector)(void *ctx, const char *name, struct err *e);

    enum status (*task_configs)(void *ctx, const char *name, struct rest_task_configs *out,
                                struct err *e);
    /* GET /connectors/{n}/tasks/{t}/status: ST_NOT_FOUND for an unknown task too. */
    enum status (*task_status)(void *ctx, const char *name, int32_t task,
                               struct rest_task_state *out, struct err *e);

    /* GET /connectors/{n}/topics; PUT .../topics/reset. ST_UNSUPPORTED -> 403. */
    enum status (*connector_topics)(void *ctx, const char *name, struct rest_strs *out, struct err *e);
    enum status (*reset_connector_topics)(void *ctx, const char *name, struct err *e);

    /* GET/PATCH/DELETE /connectors/{n}/offsets. Alter and reset need the connector STOPPED
     * (else ST_CONFIG -> 400); @message (may stay empty: Connect's text is used) is the
     * "message" of the 200 answer. */
    enum status (*connector_offsets)(void *ctx, const char *name, struct rest_offsets *out,
                                     struct err *e);
    enum status (*alter_offsets)(void *ctx, const char *name, const struct rest_offsets *offsets,
                                 struct buf *message, struct err *e);
    enum status (*reset_offsets)(void *ctx, const char *name, struct buf *message, struct err *e);

    /* GET /connector-plugins: all plugins; the module filters to sink/source when
     * connectorsOnly (the default). */
    enum status (*list_plugins)(void *ctx, struct rest_plugins *out, struct err *e);
    /* GET /connector-plugins/{p}/config; ST_NOT_FOUND for an unknown plugin. */
    enum status (*plugin_config)(void *ctx, const char *plugin, struct rest_config_defs *out,
                                 struct err *e);
    /* PUT /connector-plugins/{p}/config/validate. The module has already answered 400 when
     * the body's connector.class does not match @plugin. Connect answers 400 when the body
     * has no connector.class at all; a backend should do the same (ST_CONFIG). */
    enum status (*validate_config)(void *ctx, const char *plugin, const struct rest_kvs *config,
                                   struct rest_config_infos *out, struct err *e);

    /* /admin/loggers. @level is upper-case and one of OFF FATAL ERROR WARN INFO DEBUG TRACE
     * ALL. get_logger adds exactly one entry (its name is ignored); ST_NOT_FOUND if unknown.
     * set_logger_level fills @modified with the names of the loggers changed (sorted), except
     * when @cluster_scope (?scope=cluster, answered 204). */
    enum status (*list_loggers)(void *ctx, struct rest_loggers *out, struct err *e);
    enum status (*get_logger)(void *ctx, const char *name, struct rest_loggers *out, struct err *e);
    enum status (*set_logger_level)(void *ctx, const char *name, const char *level,
                                    bool cluster_scope, struct rest_strs *modified, struct err *e);

    /* GET /health; GET /metrics (Prometheus text exposition appended to @out). */
    enum status (*health)(void *ctx, struct rest_health *out, struct err *e);
    enum status (*metrics)(void *ctx, struct buf *out, struct err *e);
};

/* --- Routing without sockets --------------------------------------------------------- */

#define REST_DEFAULT_MAX_BODY (1u << 20)

struct rest_request {
    const char *method;         /* "GET", "POST", ...; HEAD is routed as GET */
    const char *target;         /* raw request-target: "/connectors/a%2Fb/status?x=y" */
    const char *content_type;   /* NULL if the request has none */
    const uint8_t *body;
    size_t body_len;
    size_t max_body;            /* 0: REST_DEFAULT_MAX_BODY; body_len > max_body -> 413 */
    const char *base_url;       /* "http://host:port" to make Location absolute (as Jersey
                                 * does); NULL: Location is the bare path */
};

struct rest_response {
    int status;                 /* HTTP status */
    const char *content_type;   /* static string; NULL when there is no body (204, 202) */
    struct buf body;
    struct buf location;        /* Location header value; len 0: none */
    const char *allow;          /* Allow header (static) on 405; else NULL */
};

/* Answer @req using @be: always fills @resp (even on ST_NOMEM: a 500 with what fits).
 * @resp must be initialized with rest_response_init and freed with rest_response_free. */
void rest_handle(const struct rest_backend *be, const struct rest_request *req,
                 struct rest_response *resp);
void rest_response_init(struct rest_response *resp);
void rest_response_free(struct rest_response *resp);

/* --- The HTTP server ----------------------------------------------------------------- */

/* One line per finished request, for an access log (called on the connection's thread). */
struct rest_access {
    const char *client;         /* "127.0.0.1" */
    const char *user;           /* basic-auth user, or NULL */
    const char *method;
    const char *target;         /* raw request-target */
    int status;
    size_t bytes;               /* response body bytes */
    uint64_t duration_us;
};

struct rest_config {
    const char *bind;           /* listen address (IPv4 or IPv6 literal); default "127.0.0.1" */
    int port;                   /* default 8083; 0: ephemeral (read it with rest_server_port) */
    size_t max_body;            /* request body limit (413 beyond); default 1 MiB */
    unsigned max_connections;   /* concurrent connections (= threads); default 32 */
    unsigned max_connections_per_ip;   /* 0: no per-client limit (default) */
    unsigned timeout_s;         /* idle connection timeout; default 30 */
    const char *password_file;  /* "user:password" lines ('#' comments); NULL: no auth */
    const char *realm;          /* WWW-Authenticate realm; default "aerosink" */
    bool auth_exempt_probes;    /* GET /health and GET /metrics without credentials */
    const char *tls_cert_file;  /* PEM certificate (chain); with tls_key_file: HTTPS */
    const char *tls_key_file;   /* PEM private key */
    const char *tls_key_password;   /* for an encrypted PEM key; NULL: unencrypted */
    double rate_limit_rps;      /* per client address; 0: off (default) */
    unsigned rate_limit_burst;  /* bucket size; default max(1, 2 * rps) */
    void (*access_log)(void *ctx, const struct rest_access *a);   /* optional */
    void *access_log_ctx;
};

void rest_config_init(struct rest_config *cfg);   /* the defaults above */

struct rest_server;

/* Start listening (before returning) and serving with @be (copied; be->ctx is borrowed until
 * rest_server_free). @cfg's strings are copied or read now. Errors: ST_CONFIG (bad address,
 * unreadable password/TLS file, TLS unavailable), ST_CONNECT (bind/listen failed: "bind
 * 127.0.0.1:8083: Address already in use"), ST_NOMEM. Returns owned (rest_server_free). */
struct rest_server *rest_server_new(const struct rest_config *cfg, const struct rest_backend *be,
                                    struct err *e);
uint16_t rest_server_port(const struct rest_server *srv);   /* the bound port */
/* Stop accepting, wait for running requests to finish, release everything. NULL is a no-op. */
void rest_server_free(struct rest_server *srv);

/* Is HTTPS available (libmicrohttpd built with GnuTLS)? Debian 12's is. */
bool rest_tls_available(void);

#endif
