/* src/app/cmd_standalone.c: `aerosink standalone WORKER.properties CONNECTOR...`. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "connector.h"

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
          "  --drain-timeout SECONDS on SIGTERM/SIGINT, wait this long for in-flight writes (default 30)\n"
          "  --exit-when-drained     stop cleanly (exit 0) once every partition is consumed to its end\n"
          "                          and every record settled: one-off loads and benchmarks\n"
          "\n"
          "Stop with SIGTERM or SIGINT: fetching stops, in-flight writes finish, offsets are\n"
          "committed, exit 0. A task that fails (invalid-record: kill-task, a fatal error) makes\n"
          "the process exit 1 with the reason. Configuration errors: every problem as\n"
          "file:line:col: key: message, exit 2 (the same lines as `aerosink check`).\n"
          "\n"
          "Example:\n"
          "  aerosink standalone config/worker.properties config/aerospike-sink.properties\n",
          f);
}

struct job {
    struct app_connector *ac;
    volatile sig_atomic_t *stop;
    int rc;
    pthread_t tid;
};

static void *job_main(void *arg)
{
    struct job *j = arg;
    j->rc = app_connector_run(j->ac, j->stop);
    return NULL;
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

int app_cmd_standalone(int argc, char **argv, volatile sig_atomic_t *stop)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},         {"log-level", required_argument, NULL, 'l'},
        {"progress", required_argument, NULL, 'p'},  {"drain-timeout", required_argument, NULL, 'd'},
        {"exit-when-drained", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    struct app_run_opts o = {false, LOG_INFO, 5000, 30000, false, NULL};
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w = NULL;
    struct cfg_connector *conns[MAX_CONNECTORS] = {0};
    struct cfg *maps[MAX_CONNECTORS] = {0};
    struct job jobs[MAX_CONNECTORS];
    size_t n = 0;
    int c, rc = 0;
    int64_t v;

    memset(jobs, 0, sizeof(jobs));
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
    o.stop = stop;
    if (argc - optind - 1 > MAX_CONNECTORS) {
        fprintf(stderr, "aerosink standalone: at most %d connector files\n", MAX_CONNECTORS);
        return 2;
    }

    /* Load and check everything before starting anything. */
    struct cfg_props *wp = cfg_props_load_file(argv[optind], &d);
    if (wp)
        w = cfg_worker_new(wp, CFG_WORKER_STANDALONE, &d);
    for (int i = optind + 1; i < argc; i++) {
        struct cfg_props *cp = load_props(argv[i], &d);
        struct cfg_connector *cc = cp ? cfg_connector_new(cp, &d) : NULL;
        conns[n] = cc;
        if (cc) {
            maps[n] = cfg_connector_load_mapping(cc, CFG_LOAD_READ_FILES, &d);
            if (maps[n])
                cfg_connector_check_mapping(cc, maps[n], &d);
            cfg_check_converters(w, cc, &d);
        }
        n++;
    }
    cfg_diags_sort(&d);
    if (app_print_diags(&d) || !w) {
        rc = 2;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(conns[i]->name, conns[j]->name) == 0) {
                fprintf(stderr, "aerosink standalone: two connectors are named '%s'\n", conns[i]->name);
                rc = 2;
                goto out;
            }
    }

    for (size_t i = 0; i < n; i++) {
        struct err e = {0};
        jobs[i].stop = stop;
        jobs[i].ac = app_connector_new(w, conns[i], maps[i], &o, &e);
        if (!jobs[i].ac) {
            fprintf(stderr, "aerosink: connector %s: %s\n", conns[i]->name, e.msg);
            rc = status_class(e.status) == CLASS_FATAL && e.status == ST_CONFIG ? 2 : 1;
            goto out;
        }
    }
    if (n == 1) {
        rc = app_connector_run(jobs[0].ac, stop);
    } else {
        for (size_t i = 0; i < n; i++)
            pthread_create(&jobs[i].tid, NULL, job_main, &jobs[i]);
        for (size_t i = 0; i < n; i++) {
            pthread_join(jobs[i].tid, NULL);
            rc |= jobs[i].rc;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const char *why = worker_failure(app_connector_worker(jobs[i].ac));
        if (*why)
            fprintf(stderr, "aerosink: connector %s failed: %s\n", app_connector_name(jobs[i].ac), why);
    }
out:
    for (size_t i = 0; i < n; i++) {
        app_connector_free(jobs[i].ac);
        cfg_free(maps[i]);
        cfg_connector_free(conns[i]);
    }
    cfg_worker_free(w);
    cfg_diags_free(&d);
    return rc;
}
