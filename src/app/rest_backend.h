/* src/app/rest_backend.h: the struct rest_backend of `aerosink standalone` and
 * `aerosink distributed`, and the connector checks REST writes share.
 * Owns: turning REST calls into herder calls (distributed) or into reads of the connectors a
 *       standalone process runs; the Aerospike plugin's description (GET /connector-plugins,
 *       its config definitions, validate as ConfigInfos); /health and /metrics.
 * Threads: every backend function runs on the REST server's connection threads; they only
 *       read immutable data, call thread-safe herder functions, or take the standalone
 *       table's lock.
 * Memory: the backends borrow everything they are given until the server is freed. */
#ifndef AEROSINK_APP_REST_BACKEND_H
#define AEROSINK_APP_REST_BACKEND_H

#include <stdatomic.h>

#include "app/connector.h"
#include "app/herder.h"
#include "config/config.h"
#include "rest/rest.h"

/* The longest message of a REST 400 for a refused connector config (every error, one per
 * line; what does not fit is counted, "(and N more problems)"). */
#define APP_REFUSED_MAX (64u * 1024)

/* The class and the task class we announce. */
#define APP_TASK_CLASS "com.aerospike.connect.kafka.inbound.AerospikeSinkTask"

/* Build properties named @display from REST key/values (NULL values are skipped). */
struct cfg_props *app_props_from_kvs(const char *display, const struct rest_kvs *kv);

/* Check a connector config (REST body or config-topic record) as `aerosink check` would:
 * connector properties, converters (against @w), the mapping and the topics cross-check.
 * When the config names aerospike.config.file instead of carrying aerospike.config.content,
 * the file is read here and @stored (if non-NULL) gets the config plus its content, so every
 * worker runs this version of the mapping. Problems go to @d (sorted); returns ST_CONFIG when
 * one is an error. @load_flags: CFG_LOAD_READ_FILES to also read password/store files. */
enum status app_check_connector(const struct cfg_worker *w, const char *name,
                                const struct rest_kvs *config, unsigned load_flags,
                                struct rest_kvs *stored, struct cfg_diags *d);
/* Every error as "file:line:col: key: message; ..." into @e, ST_CONFIG.
 * Truncated to what struct err holds, ending with "(and N more problems)". */
enum status app_diags_to_err(const struct cfg_diags *d, struct err *e);
/* The 400 message of a refused connector config in Kafka Connect's words (a count line, every
 * error on a line of its own, where to see them) into @e, ST_CONFIG; when that does not hold
 * all of it, also the whole text into @whole (replaced): at most APP_REFUSED_MAX bytes, the
 * errors that do not fit counted, "(and N more problems)". */
enum status app_diags_refusal(const struct cfg_diags *d, struct buf *whole, struct err *e);

/* --- distributed --- */
struct app_rest_dist {
    const struct cfg_worker *w;
    struct herder *_Atomic h;     /* NULL until started */
    atomic_bool rest_up;          /* set once the server listens */
    struct log_levels *levels;    /* /admin/loggers (this worker; NULL: answered 501) */
};
void app_rest_dist_backend(struct app_rest_dist *ctx, struct rest_backend *out);

/* --- standalone --- */
struct app_rest_local {
    const struct cfg_connector *cc;   /* borrowed */
    const struct cfg_props *raw;      /* borrowed: its properties as written, config-provider
                                       * references unresolved (what GET .../config shows, as
                                       * in Connect); NULL: cc->props */
    struct app_connector *ac;         /* borrowed; NULL until built */
    atomic_bool done;                 /* its worker_run returned */
    uint32_t max_queued;              /* its mapping's max-queued-records (metrics) */
};
struct app_rest_standalone {
    const struct cfg_worker *w;
    const char *worker_id;            /* "host:port" */
    struct app_rest_local *conns;
    size_t n;
    atomic_bool rest_up;
    struct log_levels *levels;        /* /admin/loggers (NULL: answered 501) */
};
void app_rest_standalone_backend(struct app_rest_standalone *ctx, struct rest_backend *out);

/* --- listeners --- */
/* The first listener of @w (listeners=, else rest.host.name/rest.port): bind address ("" = not
 * configured), port, and whether it is https. ST_CONFIG for a malformed value. */
enum status app_listener(const struct cfg_worker *w, char *host, size_t cap, int *port, bool *https,
                         struct err *e);

/* Everything the REST server takes from the worker properties (issue 9, REST security):
 *   listeners=http://HOST:PORT or https://HOST:PORT; no HOST binds 127.0.0.1 (0.0.0.0 or a
 *     name must be asked for explicitly);
 *   https: listeners.https.ssl.keystore.location (PEM file with the certificate chain and the
 *     private key; ssl.keystore.type PEM) or listeners.https.ssl.certificate.location +
 *     listeners.https.ssl.key.location, listeners.https.ssl.key.password (top-level ssl.* as
 *     fallbacks, as in Connect);
 *   rest.auth.password.file: HTTP basic auth ("user:password" lines); rest.auth.exempt.probes
 *     (true/false, default false): /health and /metrics without credentials;
 *   rest.max.request.bytes (1 MiB), rest.max.connections (32), rest.rate.limit.rps (0 = off).
 * Fills @rc (after rest_config_init) with pointers into @w and @host. @scheme gets "http" or
 * "https". Returns ST_CONFIG naming the property on a bad value. */
enum status app_rest_config(const struct cfg_worker *w, struct rest_config *rc, char *host, size_t cap,
                            const char **scheme, struct err *e);
/* Advertised "host:port": rest.advertised.host.name / rest.advertised.port, else the
 * listener's host (or this machine's name when it binds every interface) and @bound_port. */
void app_advertised_id(const struct cfg_worker *w, const char *bind_host, int bound_port,
                       char *out, size_t cap);

#endif
