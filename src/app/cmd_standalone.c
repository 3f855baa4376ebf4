/* src/app/cmd_standalone.c: `aerosink standalone WORKER.properties CONNECTOR...`. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "app/rest_backend.h"
#include "connector.h"
#include "sdnotify.h"

#define MAX_CONNECTORS 32

static void usage(FILE *f)
{
    fputs("usage: aerosink standalone [OPTIONS] WORKER.properties CONNECTOR.properties|CONNECTOR.json...\n"
          "\n"
          "Run sink connectors in this process, like Kafka Connect's connect-standalone.sh, with the\n"
          "same files: the worker properties (bootstrap.servers, key.converter, value.converter,\n"
          "offset.flush.interval.ms, consumer.*), and one file per connector (name, topics or\n"
          "topics.regex, aerospike.config.file -> your aerospike-kafka-inbound.yml, errors.*).\n"
          "\n"
          "Each connector consumes as group connect-<name> and commits an offset only after Aerospike\n"
          "acknowledged every record before it (at-least-once; records of one key in Kafka order).\n"
          "\n"
          "Options:\n"
          "  --dry-run               decode and map every record, write nothing (throughput checks)\n"
          "  --log-level LEVEL       error | warn | info (default) | debug\n"
          "  --progress SECONDS      progress line interval (default 5; 0 = off)\n"
          "  --drain-timeout SECONDS on SIGTERM/SIGINT, wait at most this long in all for in-flight\n"
          "                          writes (default 30; a second signal stops waiting)\n"
          "  --exit-when-drained     stop cleanly (exit 0) once every partition is consumed to its end\n"
          "                          and every record settled: one-off loads and benchmarks\n"
          "\n"
          "REST API: when the worker properties set listeners (http://HOST:PORT) or rest.port, the\n"
          "process serves Kafka Connect's REST API for its connectors (bind address 127.0.0.1 unless\n"
          "the listener names another): GET /connectors, .../status, .../config, .../tasks, /health,\n"
          "/metrics, PUT .../pause and .../resume. The connectors are the files on the command line:\n"
          "create, change and delete answer 501.\n"
          "\n"
          "SIGHUP reloads every file: a set with errors is refused (each problem logged as\n"
          "file:line:col) and the running one stays; a good set replaces it after the running\n"
          "connectors drained their in-flight writes and committed, so nothing is lost or repeated.\n"
          "\n"
          "Stop with SIGTERM or SIGINT: fetching stops, in-flight writes finish (for --drain-timeout\n"
          "at most, the whole stop included), offsets are committed up to the records Aerospike\n"
          "acknowledged, exit 0. A second SIGTERM/SIGINT stops waiting at once. Records still\n"
          "unacknowledged then are not committed and are read again on restart (at-least-once:\n"
          "nothing is lost, so still exit 0); the last line says how many (\"stopped; N record(s)\n"
          "were not acknowledged ...\" instead of \"stopped cleanly\").\n"
          "\n"
          "A task that fails (invalid-record: kill-task, a fatal error) makes the process exit 1\n"
          "with the reason (the other connectors drain, commit and stop too). Configuration errors:\n"
          "every problem as file:line:col: key: message, exit 2 (the same lines as `aerosink check`).\n"
          "\n"
          "Example:\n"
          "  aerosink standalone config/worker.properties config/aerospike-sink.properties\n",
          f);
}

struct job {
    struct app_connector *ac;
    volatile sig_atomic_t stop;  /* this connector's own stop flag */
    int rc;
    pthread_t tid;
    bool started;
    atomic_bool *done;          /* the REST view's flag */
};

static void *job_main(void *arg)
{
    struct job *j = arg;
    j->rc = app_connector_run(j->ac, &j->stop);
    atomic_store(j->done, true);
    return NULL;
}

/* Everything one set of configuration files makes: replaced as a whole on SIGHUP. */
struct gen {
    struct cfg_worker *w;
    struct cfg_connector *conns[MAX_CONNECTORS];
    struct cfg_props *raw[MAX_CONNECTORS];   /* as written (${...} unresolved): the REST view */
    struct cfg *maps[MAX_CONNECTORS];
    struct job jobs[MAX_CONNECTORS];
    struct app_rest_local locals[MAX_CONNECTORS];
    struct app_rest_standalone view;
    struct rest_server *srv;
    char wid[300];
    size_t n;
};

/* The REST server, when the worker properties ask for one (listeners= or rest.port=).
 * Returns false (and prints why) when it cannot start. */
static bool start_rest(const struct cfg_worker *w, struct app_rest_standalone *view, char *id, size_t cap,
                       struct rest_server **out)
{
    struct rest_backend be;
    struct rest_config rc;
    struct err e = {0};
    char host[256];
    const char *scheme;

    *out = NULL;
    if (!cfg_props_get(w->props, "listeners") && !cfg_props_get(w->props, "rest.port"))
        return true;
    rest_config_init(&rc);
    if (app_rest_config(w, &rc, host, sizeof(host), &scheme, &e) != ST_OK) {
        fprintf(stderr, "aerosink standalone: %s\n", e.msg);
        return false;
    }
    app_rest_standalone_backend(view, &be);
    if (!(*out = rest_server_new(&rc, &be, &e))) {
        fprintf(stderr, "aerosink standalone: REST server: %s\n", e.msg);
        return false;
    }
    app_advertised_id(w, rc.bind, rest_server_port(*out), id, cap);
    atomic_store(&view->rest_up, true);
    printf("listening %s://%s\n", scheme, id);
    fflush(stdout);
    return true;
}

static struct cfg_props *load_props(const char *path, struct cfg_diags *d)
{
    size_t n = strlen(path);
    if (n > 5 && strcmp(path + n - 5, ".json") == 0) {
        size_t len;
        struct err e = {0};
        char *text = cfg_read_file(path, &len, &e);
        struct cfg_props *p;
        if (!text) {
            cfg_diag_add(d, CFG_SEV_ERROR, path, 0, 0, "", "%s", e.msg);
            return NULL;
        }
        p = cfg_props_parse_json(text, len, path, d);
        mem_free(text);
        return p;
    }
    return cfg_props_load_file(path, d);
}

/* Load and check every file. The problems reported are exactly `aerosink check`'s for the same
 * files (the same routine runs); returns false when there is an error. */
static bool gen_load(struct gen *g, char **files, int n_files, struct cfg_diags *d)
{
    struct cfg_diags scratch = CFG_DIAGS_INIT;
    struct cfg_props *wp;

    memset(g, 0, sizeof(*g));
    cfg_check_files_with((const char *const *)files, (size_t)n_files, CFG_LOAD_READ_FILES,
                         &app_check_hooks, d);
    if (d->errors)
        return false;
    /* now build the typed configuration (its diagnostics were already reported above), with
     * config-provider references resolved */
    wp = cfg_props_load_file(files[0], &scratch);
    if (wp)
        g->w = cfg_worker_new_resolved(wp, CFG_WORKER_STANDALONE, NULL, &scratch);
    struct cfg_providers *pv = g->w ? cfg_providers_new(g->w->props, NULL) : NULL;
    for (int i = 1; i < n_files; i++) {
        struct cfg_props *cp = load_props(files[i], &scratch);
        struct cfg_connector *cc = cp ? cfg_connector_new_resolved(cp, pv, NULL, &scratch) : NULL;
        g->raw[g->n] = load_props(files[i], NULL);   /* problems: reported just above */
        g->conns[g->n] = cc;
        if (cc)
            g->maps[g->n] = cfg_connector_load_mapping(cc, CFG_LOAD_READ_FILES, &scratch);
        g->n++;
    }
    cfg_providers_free(pv);
    bool ok = scratch.errors == 0 && g->w;
    for (size_t i = 0; ok && i < g->n; i++)
        ok = g->conns[i] && g->maps[i] && g->raw[i];
    if (!ok) {
        /* a problem the file check does not see (e.g. a worker file given as a connector) */
        for (size_t i = 0; i < scratch.n; i++)
            if (scratch.v[i].sev == CFG_SEV_ERROR)
                cfg_diag_add(d, CFG_SEV_ERROR, scratch.v[i].file, scratch.v[i].line, scratch.v[i].col,
                             scratch.v[i].path, "%s", scratch.v[i].msg);
        if (!d->errors)
            cfg_diag_add(d, CFG_SEV_ERROR, files[0], 0, 0, "", "the files do not form a worker and connectors");
    }
    cfg_diags_free(&scratch);
    if (!ok)
        return false;
    for (size_t i = 0; i < g->n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(g->conns[i]->name, g->conns[j]->name) == 0) {
                cfg_diag_add(d, CFG_SEV_ERROR, files[1 + i], 0, 0, "name", "two connectors are named '%s'",
                             g->conns[i]->name);
                return false;
            }
    return true;
}

/* Build every connector, start the REST view, then run each connector on its own thread.
 * Returns 0, or the exit code when something could not start. */
static int gen_start(struct gen *g, const struct app_run_opts *o)
{
    for (size_t i = 0; i < g->n; i++) {
        struct err e = {0};
        g->jobs[i].ac = app_connector_new(g->w, g->conns[i], g->maps[i], o, &e);
        if (!g->jobs[i].ac) {
            fprintf(stderr, "aerosink: connector %s: %s\n", g->conns[i]->name, e.msg);
            return e.status == ST_CONFIG ? 2 : 1;
        }
        g->locals[i].cc = g->conns[i];
        g->locals[i].raw = g->raw[i];
        g->locals[i].ac = g->jobs[i].ac;
        g->locals[i].max_queued = (uint32_t)g->maps[i]->max_queued_records;
        g->jobs[i].done = &g->locals[i].done;
    }
    g->view.w = g->w;
    g->view.worker_id = g->wid;
    g->view.conns = g->locals;
    g->view.n = g->n;
    g->view.levels = o->levels;
    if (!start_rest(g->w, &g->view, g->wid, sizeof(g->wid), &g->srv))
        return 2;
    for (size_t i = 0; i < g->n; i++) {
        if (pthread_create(&g->jobs[i].tid, NULL, job_main, &g->jobs[i]) != 0) {
            fprintf(stderr, "aerosink: cannot start connector %s\n", g->conns[i]->name);
            return 1;
        }
        g->jobs[i].started = true;
    }
    return 0;
}

/* A task failed: the process stops every connector and exits 1 (--help says so). */
static bool gen_failed(struct gen *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->jobs[i].started && atomic_load(&g->locals[i].done) &&
            *worker_failure(app_connector_worker(g->jobs[i].ac)))
            return true;
    return false;
}

static bool gen_running(struct gen *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->jobs[i].started && !atomic_load(&g->locals[i].done))
            return true;
    return false;
}

/* Stop every connector (each drains its in-flight writes, drain-timeout at most, and commits),
 * then the REST view. A second SIGTERM/SIGINT meanwhile (*@sigstop == WORKER_STOP_NOW; @sigstop
 * may be NULL) is passed on: they stop waiting. Returns the combined exit code (1 if a
 * connector failed). */
static int gen_stop(struct gen *g, volatile sig_atomic_t *sigstop)
{
    int rc = 0;
    bool now = false;
    for (size_t i = 0; i < g->n; i++)
        g->jobs[i].stop = SIGTERM;
    while (gen_running(g)) {
        if (!now && sigstop && *sigstop == WORKER_STOP_NOW) {
            now = true;
            for (size_t i = 0; i < g->n; i++)
                g->jobs[i].stop = WORKER_STOP_NOW;
        }
        sleep_ms(5);
    }
    for (size_t i = 0; i < g->n; i++) {
        if (!g->jobs[i].started)
            continue;
        pthread_join(g->jobs[i].tid, NULL);
        g->jobs[i].started = false;
        rc |= g->jobs[i].rc;
        const char *why = worker_failure(app_connector_worker(g->jobs[i].ac));
        if (*why)
            fprintf(stderr, "aerosink: connector %s failed: %s\n", app_connector_name(g->jobs[i].ac), why);
    }
    rest_server_free(g->srv);   /* before the connectors it shows */
    g->srv = NULL;
    return rc;
}

static void gen_free(struct gen *g)
{
    rest_server_free(g->srv);
    for (size_t i = 0; i < g->n; i++) {
        app_connector_free(g->jobs[i].ac);
        cfg_free(g->maps[i]);
        cfg_connector_free(g->conns[i]);
        cfg_props_free(g->raw[i]);
    }
    cfg_worker_free(g->w);
    memset(g, 0, sizeof(*g));
}

/* SIGHUP: load and check the same files again. A bad set keeps the running one (each problem
 * logged with its file:line:col); a good one replaces it: the old connectors drain their
 * in-flight writes and commit, then the new ones start from the committed offsets, so no
 * record is lost or written twice. Returns false if the new set could not start. */
static bool reload(struct gen **cur, struct gen **spare, char **files, int n_files, const struct app_run_opts *o,
                   struct log_ctx *lc, int *rc)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct gen *next = *spare;
    struct buf line = BUF_INIT;

    log_info(lc, "SIGHUP: reloading %s and %d connector file(s)", files[0], n_files - 1);
    if (!gen_load(next, files, n_files, &d)) {
        for (size_t i = 0; i < d.n; i++) {
            buf_reset(&line);
            cfg_diag_format(&d.v[i], &line);
            log_error(lc, "reload refused: %s", buf_cstr(&line));
        }
        log_warn(lc, "reload refused (%zu error(s)); the running configuration stays", d.errors);
        gen_free(next);
        cfg_diags_free(&d);
        buf_free(&line);
        return true;
    }
    for (size_t i = 0; i < d.n; i++) {
        buf_reset(&line);
        cfg_diag_format(&d.v[i], &line);
        log_warn(lc, "%s", buf_cstr(&line));
    }
    cfg_diags_free(&d);
    buf_free(&line);
    *rc |= gen_stop(*cur, o->stop);
    gen_free(*cur);
    *spare = *cur;
    *cur = next;
    int src = gen_start(*cur, o);
    if (src) {
        *rc = src;
        return false;
    }
    log_info(lc, "reloaded: %zu connector(s) running with the new configuration", (*cur)->n);
    return true;
}

int app_cmd_standalone(int argc, char **argv, struct app_signals *sig)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},         {"log-level", required_argument, NULL, 'l'},
        {"progress", required_argument, NULL, 'p'},  {"drain-timeout", required_argument, NULL, 'd'},
        {"exit-when-drained", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    struct app_run_opts o = {false, LOG_INFO, 5000, 30000, false, NULL};
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct gen gens[2], *cur = &gens[0], *spare = &gens[1];
    struct log_ctx lc = {LOG_INFO, "standalone", 2};
    int c, rc = 0;
    int64_t v;

    memset(gens, 0, sizeof(gens));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': o.dry_run = true; break;
        case 'x': o.exit_when_drained = true; break;
        case 'l':
            if (!log_level_parse(optarg, &o.log_level)) {
                fprintf(stderr, "aerosink standalone: --log-level '%s': use error, warn, info or debug\n", optarg);
                return 2;
            }
            break;
        case 'p':
        case 'd':
            if (!str_to_i64(optarg, strlen(optarg), &v) || v < 0 || v > 86400) {
                fprintf(stderr, "aerosink standalone: %s '%s': expected seconds (0..86400)\n",
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
            fprintf(stderr, "aerosink standalone: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind < 2) {
        usage(stderr);
        return 2;
    }
    if (argc - optind - 1 > MAX_CONNECTORS) {
        fprintf(stderr, "aerosink standalone: at most %d connector files\n", MAX_CONNECTORS);
        return 2;
    }
    o.stop = &sig->stop;
    lc.level = o.log_level;
    /* levels REST may change (PUT /admin/loggers/...): this command's own lines, the
     * connectors' ("aerosink.worker"), the Aerospike clusters' ("aerosink.aerospike") */
    struct log_levels *levels = app_log_levels_new(&o, &lc, "standalone");
    if (!levels)
        return 1;

    /* Load and check everything before starting anything. */
    bool ok = gen_load(cur, argv + optind, argc - optind, &d);
    app_print_diags(&d);
    cfg_diags_free(&d);
    if (!ok) {
        gen_free(cur);
        log_levels_free(levels);
        return 2;
    }
    rc = gen_start(cur, &o);
    if (rc && sig->stop)
        rc = 0;   /* SIGTERM while waiting for Aerospike: a clean stop (systemctl stop) */
    else if (!rc) /* systemd Type=notify: configuration valid, Aerospike reached, REST up */
        app_sd_ready("running %zu connector(s)", cur->n);
    while (!rc && !sig->stop && gen_running(cur) && !gen_failed(cur)) {
        if (sig->reload) {
            sig->reload = 0;
            app_sd_notify("RELOADING=1", NULL);
            if (!reload(&cur, &spare, argv + optind, argc - optind, &o, &lc, &rc))
                break;
            app_sd_ready("running %zu connector(s)", cur->n);
            continue;
        }
        sleep_ms(100);
    }
    rc |= gen_stop(cur, &sig->stop);
    gen_free(cur);
    gen_free(spare);
    log_levels_free(levels);   /* after every thread that logs has stopped */
    return rc;
}
