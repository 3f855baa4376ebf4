/* src/app/cmd_distributed.c: `aerosink distributed WORKER.properties`.
 *
 * Kafka is the distributed engine; there is no cluster manager of our own:
 *   - connector configs live in the config topic, statuses and worker heartbeats in the status
 *     topic (herder_store.c); every worker reads both from the beginning and follows them;
 *   - each live worker (heartbeat within session.timeout.ms), sorted by its advertised id, runs
 *     one consumer of connect-<name> when its rank < tasks.max; the consumer group spreads the
 *     partitions over those consumers and moves a dead worker's partitions after the group's
 *     session timeout. Workers that briefly disagree on the live set only run one consumer too
 *     many or too few for a heartbeat period: the group keeps every partition consumed once.
 *   - the REST API (rest/) is served by every worker; any worker accepts any request: writes
 *     go to the config topic and are answered once this worker has read them back. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "app/herder.h"
#include "app/rest_backend.h"

static void usage(FILE *f)
{
    fputs("usage: aerosink distributed [OPTIONS] WORKER.properties\n"
          "\n"
          "Run a worker of an aerosink cluster, like Kafka Connect's connect-distributed.sh: start one on\n"
          "each machine with the same group.id, config.storage.topic and status.storage.topic, then manage\n"
          "connectors through the REST API of any of them (curl -X POST http://host:8083/connectors ...).\n"
          "\n"
          "Worker properties: bootstrap.servers, group.id, config.storage.topic, status.storage.topic,\n"
          "offset.storage.topic (accepted; sinks commit to their consumer group connect-<name>), listeners\n"
          "(http://HOST:PORT; an empty host binds every interface) or rest.host.name/rest.port,\n"
          "rest.advertised.host.name/rest.advertised.port (this worker's id), session.timeout.ms (a worker\n"
          "without heartbeat for this long is dead; default 10000), heartbeat.interval.ms (default 1000),\n"
          "key.converter, value.converter, consumer.* (every sink consumer), security settings.\n"
          "\n"
          "A connector's mapping is stored in its config (aerospike.config.content): a request that names\n"
          "aerospike.config.file is read by the worker that receives it, so every worker runs the same\n"
          "mapping. Each live worker, sorted by id, runs one consumer of connect-<name> while its rank is\n"
          "below tasks.max; a dead worker's partitions move to the others after the session timeout.\n"
          "\n"
          "Options:\n"
          "  --log-level LEVEL       error | warn | info (default) | debug\n"
          "  --progress SECONDS      progress line interval per task (default 5; 0 = off)\n"
          "  --drain-timeout SECONDS when a task stops, wait this long for in-flight writes (default 30);\n"
          "                          a stop waits this long in all, its last status records included\n"
          "                          (those not past session.timeout.ms without Kafka confirming any)\n"
          "\n"
          "Stop with SIGTERM or SIGINT: tasks drain and commit, the worker leaves, exit 0. Configuration\n"
          "errors: every problem as file:line:col: key: message, exit 2.\n",
          f);
}

static int64_t prop_int(const struct cfg_worker *w, const char *key, int64_t dflt, int64_t lo, int64_t hi)
{
    const char *s = cfg_props_get(w->props, key);
    int64_t v;
    if (!s || !str_to_i64(s, strlen(s), &v) || v < lo || v > hi)
        return dflt;
    return v;
}

int app_cmd_distributed(int argc, char **argv, struct app_signals *sig)
{
    static const struct option opts[] = {
        {"log-level", required_argument, NULL, 'l'}, {"progress", required_argument, NULL, 'p'},
        {"drain-timeout", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct app_run_opts o = {false, LOG_INFO, 5000, 30000, false, NULL};
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w = NULL;
    struct rest_server *srv = NULL;
    struct herder *h = NULL;
    struct app_rest_dist ctx;
    struct rest_backend be;
    struct rest_config rc;
    struct err e = {0};
    struct log_ctx lc = {LOG_INFO, "distributed", 2};
    char host[256], id[300], url[400];
    const char *scheme = "http";
    int c, rcode = 0;
    int64_t v;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (!log_level_parse(optarg, &o.log_level)) {
                fprintf(stderr, "aerosink distributed: --log-level '%s': use error, warn, info or debug\n", optarg);
                return 2;
            }
            break;
        case 'p':
        case 'd':
            if (!str_to_i64(optarg, strlen(optarg), &v) || v < 0 || v > 86400) {
                fprintf(stderr, "aerosink distributed: %s '%s': expected seconds (0..86400)\n",
                        c == 'p' ? "--progress" : "--drain-timeout", optarg);
                return 2;
            }
            if (c == 'p')
                o.progress_interval_ms = (uint32_t)v * 1000;
            else
                o.drain_timeout_ms = v ? (uint32_t)v * 1000 : 1;
            break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "aerosink distributed: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        usage(stderr);
        return 2;
    }
    lc.level = o.log_level;
    /* levels REST may change (PUT /admin/loggers/...): this command's own lines, the herder's,
     * the connectors' ("aerosink.worker"), the Aerospike clusters' ("aerosink.aerospike") */
    struct log_levels *levels = app_log_levels_new(&o, &lc, "distributed");
    if (!levels)
        return 1;

    struct cfg_props *wp = cfg_props_load_file(argv[optind], &d);
    if (wp)
        w = cfg_worker_new_resolved(wp, CFG_WORKER_DISTRIBUTED, NULL, &d);   /* ${...} resolved */
    cfg_diags_sort(&d);
    if (app_print_diags(&d) || !w) {
        rcode = 2;
        goto out;
    }
    rest_config_init(&rc);
    if (app_rest_config(w, &rc, host, sizeof(host), &scheme, &e) != ST_OK) {
        fprintf(stderr, "aerosink distributed: %s\n", e.msg);
        rcode = 2;
        goto out;
    }

    /* The REST server first: a taken port fails fast, and /health says "starting" while the
     * config topic is being read. */
    memset(&ctx, 0, sizeof(ctx));
    ctx.w = w;
    ctx.levels = levels;
    app_rest_dist_backend(&ctx, &be);
    srv = rest_server_new(&rc, &be, &e);
    if (!srv) {
        fprintf(stderr, "aerosink distributed: REST server: %s\n", e.msg);
        rcode = e.status == ST_CONFIG ? 2 : 1;
        goto out;
    }
    atomic_store(&ctx.rest_up, true);
    app_advertised_id(w, host, rest_server_port(srv), id, sizeof(id));
    snprintf(url, sizeof(url), "%s://%s", scheme, id);

    struct herder_opts ho = {
        .worker = w, .worker_id = id, .url = url, .run = o,
        .heartbeat_ms = (uint32_t)prop_int(w, "heartbeat.interval.ms", 1000, 100, 60000),
        .session_timeout_ms = (uint32_t)prop_int(w, "session.timeout.ms", 10000, 1000, 3600000),
        .request_timeout_ms = 30000,
    };
    if (ho.heartbeat_ms * 2 > ho.session_timeout_ms)
        ho.heartbeat_ms = ho.session_timeout_ms / 3;
    h = herder_new(&ho, &e);
    if (!h) {
        fprintf(stderr, "aerosink distributed: %s\n", e.msg);
        rcode = e.status == ST_CONFIG ? 2 : 1;
        goto out;
    }
    atomic_store(&ctx.h, h);
    log_info(&lc, "worker %s (group %s) serving REST on http://%s:%u; configs in %s, status in %s", id,
             w->group_id, rc.bind, (unsigned)rest_server_port(srv), w->config_storage_topic,
             w->status_storage_topic);
    printf("listening %s\n", url);
    fflush(stdout);
    herder_run(h, &sig->stop);
out:
    rest_server_free(srv);   /* before the herder: no request may use it afterwards */
    herder_free(h);
    cfg_worker_free(w);
    cfg_diags_free(&d);
    log_levels_free(levels);   /* after every thread that logs has stopped */
    return rcode;
}
