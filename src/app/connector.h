/* src/app/connector.h: turning loaded configuration into running parts.
 * Owns: the translation from config/ structs to mapping specs, worker configs and the
 *       Aerospike cluster config, and one running connector (cluster + mappings + worker).
 * Memory: app_connector_new copies what it needs; free with app_connector_free (NULL ok).
 * Threads: build on one thread; app_connector_run blocks the calling thread. */
#ifndef AEROSINK_APP_CONNECTOR_H
#define AEROSINK_APP_CONNECTOR_H

#include <signal.h>
#include <stdbool.h>

#include "common/common.h"
#include "config/config.h"
#include "mapping/mapping.h"
#include "worker/worker.h"

struct app_run_opts {
    bool dry_run;
    enum log_level log_level;
    uint32_t progress_interval_ms;
    uint32_t drain_timeout_ms;
    bool exit_when_drained;
    /* When set, an unreachable Aerospike at start is retried (logged every 10 s) until it
     * answers or *stop becomes non-zero; when NULL, the first failure is returned. */
    volatile sig_atomic_t *stop;
    /* When set (borrowed), loggers whose levels REST may change: "aerosink.worker" (the
     * connector's record and progress lines), "aerosink.aerospike" (cluster membership). */
    struct log_levels *levels;
};

struct app_connector;

/* Build a connector from its worker and connector configuration and its loaded mapping.
 * Connects to Aerospike (unless dry run). Borrows @w, @c and @m until app_connector_free. */
struct app_connector *app_connector_new(const struct cfg_worker *w, const struct cfg_connector *c,
                                        const struct cfg *m, const struct app_run_opts *o,
                                        struct err *e);
int app_connector_run(struct app_connector *ac, volatile sig_atomic_t *stop);
struct worker *app_connector_worker(struct app_connector *ac);
struct aero_cluster *app_connector_cluster(struct app_connector *ac);   /* NULL in dry runs */
const char *app_connector_name(const struct app_connector *ac);
void app_connector_free(struct app_connector *ac);

/* Owned NULL-terminated key,value array (mem_free) from one or more cfg_kvs, borrowing their
 * strings; later lists override earlier ones. NULL when out of memory. */
const char **app_kv_array(const struct cfg_kvs *const *lists, size_t n_lists);

/* The run-time log levels of command @command ("standalone", "distributed"): a new registry
 * starting at o->log_level, set as o->levels, with @lc's level in logger "aerosink.<command>".
 * Owned (log_levels_free after every thread that logs has stopped); NULL, with a line on
 * stderr, when out of memory. */
struct log_levels *app_log_levels_new(struct app_run_opts *o, struct log_ctx *lc, const char *command);

/* The mapping of topic @t of @m, compiled as a connector runs it (owned: mapping_free). */
struct mapping *app_compile_mapping(const struct cfg *m, const struct cfg_topic *t, struct err *e);

/* Print every diagnostic to stderr, one line each; returns true when there is an error. */
bool app_print_diags(const struct cfg_diags *d);

#endif
