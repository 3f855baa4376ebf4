/* src/app/cmd_check.c: `aerosink check FILE...` and `aerosink help config`. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "connector.h"
#include "kafka/kafka.h"

static const char check_usage[] =
    "usage: aerosink check [--quiet] [--offline] FILE...\n"
    "\n"
    "Checks configuration files without connecting to anything and prints every problem,\n"
    "sorted by position, as\n"
    "    file:line:col: key.path: message\n"
    "Warnings start with \"warning: \" and do not fail the check. Exit status: 0 when there\n"
    "is no error, 2 when there is at least one (or the command line is wrong).\n"
    "\n"
    "FILE is recognised by its name and content:\n"
    "  mapping     aerospike-kafka-inbound.yml, .yaml or .json (the Java connector's file)\n"
    "  connector   a .properties file with connector.class, or a .json connector config\n"
    "              ({\"name\": ..., \"config\": {...}} or a flat object). Its mapping file\n"
    "              (aerospike.config.file, default aerospike-kafka-inbound.yml next to it)\n"
    "              is checked too, and every topic in `topics` must be mapped there.\n"
    "  worker      connect-standalone.properties / connect-distributed.properties. Given\n"
    "              with a connector, the converters the connector really uses (its own or\n"
    "              the worker's) are checked.\n"
    "Files holding plaintext secrets (sasl.jaas.config, *.password, ...) that group or\n"
    "others can read get a warning.\n"
    "Config-provider references (${file:PATH:KEY}, ${env:VAR}, ${dir:DIR:FILE}) are\n"
    "resolved with the providers the first worker file declares (config.providers); one\n"
    "that cannot be resolved is an error. No resolved value is ever printed.\n"
    "\n"
    "Options:\n"
    "  --quiet     print errors only (no warnings, no summary line)\n"
    "  --offline   do not open the files the mapping names (password files, TLS stores)\n"
    "              and do not resolve config-provider references; for checking on a\n"
    "              machine other than the one that runs the connector\n"
    "  -h, --help  show this help\n"
    "\n"
    "Example:\n"
    "  $ aerosink check config/connect-standalone.properties config/aerospike-sink.properties\n"
    "  config/aerospike-kafka-inbound.yml:12:21: topics.orders.invalid-record: invalid value\n"
    "    \"ignor\": expected ignore | kill-task | dead-letter (did you mean \"ignore\"?)\n"
    "  1 error, 0 warnings in 3 files\n"
    "\n"
    "See `aerosink help config` for every key.\n";

/* --- Kafka client settings, as librdkafka takes them --- */

struct client_check {
    struct cfg_diags *d;
    const struct cfg_props *p;   /* where the keys are written */
    const char *prefix;          /* written before each key: "consumer.", "" ... */
    const struct cfg_kvs *kvs;
};

static void client_bad(void *ctx, size_t i, enum kafka_conf_problem what, const char *msg)
{
    const struct client_check *cc = ctx;
    bool at_key = what != KAFKA_CONF_BAD_VALUE;
    char key[512];
    const struct cfg_prop *pr;

    snprintf(key, sizeof(key), "%s%s", cc->prefix, cc->kvs->v[i].key);
    pr = cfg_props_find(cc->p, key);
    cfg_diag_add(cc->d, what == KAFKA_CONF_WARNING ? CFG_SEV_WARNING : CFG_SEV_ERROR, cc->p->file,
                 pr ? (at_key ? pr->line : pr->vline) : 0, pr ? (at_key ? pr->col : pr->vcol) : 0,
                 key, "%s%s", msg,
                 what == KAFKA_CONF_UNKNOWN_KEY
                     ? " (aerosink's Kafka client is librdkafka: it takes the names in "
                       "librdkafka's CONFIGURATION.md)"
                     : "");
}

static void check_client_kvs(struct cfg_diags *d, const struct cfg_props *p, const char *prefix,
                             const struct cfg_kvs *kvs)
{
    struct client_check cc = {d, p, prefix, kvs};
    const struct cfg_kvs *lists[] = {kvs};
    const char **pairs;

    if (!kvs->n)
        return;
    if (!(pairs = app_kv_array(lists, 1))) {
        cfg_diag_add(d, CFG_SEV_ERROR, p->file, 0, 0, "", "out of memory");
        return;
    }
    kafka_conf_check(pairs, client_bad, &cc);
    mem_free(pairs);
}

static void check_clients(void *ctx, const struct cfg_worker *w,
                          const struct cfg_connector *const *conns, size_t n, struct cfg_diags *d)
{
    (void)ctx;
    if (w) {
        check_client_kvs(d, w->props, "", &w->client);
        check_client_kvs(d, w->props, "consumer.", &w->consumer);
        check_client_kvs(d, w->props, "producer.", &w->producer);
    }
    for (size_t i = 0; i < n; i++) {
        check_client_kvs(d, conns[i]->props, "consumer.override.", &conns[i]->consumer_override);
        check_client_kvs(d, conns[i]->props, "producer.override.", &conns[i]->producer_override);
    }
}

const struct cfg_check_hooks app_check_hooks = {check_clients, NULL};

static void print_diags(const struct cfg_diags *d, bool quiet)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < d->n; i++) {
        if (quiet && d->v[i].sev != CFG_SEV_ERROR)
            continue;
        buf_reset(&b);
        if (cfg_diag_format(&d->v[i], &b) == ST_OK)
            printf("%s\n", buf_cstr(&b));
    }
    if (d->truncated)
        printf("(more than %d problems: the rest are not shown)\n", CFG_MAX_DIAGS);
    buf_free(&b);
}

/* Options anywhere before "--"; everything else is a file. */
static bool is_file_arg(char **argv, int i, bool *after_dashes)
{
    if (*after_dashes)
        return true;
    if (strcmp(argv[i], "--") == 0) {
        *after_dashes = true;
        return false;
    }
    return !(argv[i][0] == '-' && argv[i][1]);
}

int app_cmd_check(int argc, char **argv, struct app_signals *sig)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    unsigned flags = CFG_LOAD_READ_FILES;
    bool quiet = false, dashes = false;
    int n_files = 0, rc;
    const char **files;
    size_t nf = 0, n_checked;

    (void)sig;
    for (int i = 1; i < argc; i++) {
        if (is_file_arg(argv, i, &dashes)) {
            n_files++;
            continue;
        }
        if (dashes)
            continue;   /* the "--" itself */
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(check_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = true;
        } else if (strcmp(argv[i], "--offline") == 0) {
            flags &= ~(unsigned)CFG_LOAD_READ_FILES;
        } else {
            fprintf(stderr, "aerosink check: unknown option '%s' (see 'aerosink check --help')\n",
                    argv[i]);
            return 2;
        }
    }
    if (n_files == 0) {
        fputs("aerosink check: no files given\n\n", stderr);
        fputs(check_usage, stderr);
        return 2;
    }
    files = mem_calloc((size_t)n_files, sizeof(*files));
    if (!files) {
        fputs("aerosink: out of memory\n", stderr);
        return 1;
    }
    dashes = false;
    for (int i = 1; i < argc; i++)
        if (is_file_arg(argv, i, &dashes))
            files[nf++] = argv[i];
    n_checked = cfg_check_files_with(files, nf, flags, &app_check_hooks, &d);
    print_diags(&d, quiet);
    if (!quiet)
        printf("%zu error%s, %zu warning%s in %zu file%s\n", d.errors, d.errors == 1 ? "" : "s",
               d.warnings, d.warnings == 1 ? "" : "s", n_checked, n_checked == 1 ? "" : "s");
    rc = d.errors ? 2 : 0;
    cfg_diags_free(&d);
    mem_free(files);
    return rc;
}

static const char help_config_usage[] =
    "usage: aerosink help config [--markdown]\n"
    "\n"
    "Prints every key of the mapping file (aerospike-kafka-inbound.yml / .json) with its type,\n"
    "default and meaning, then the connector and worker properties aerosink reads.\n"
    "--markdown prints the same as Markdown (docs/config-reference.md is this output).\n";

int app_help_config(int argc, char **argv)
{
    struct buf b = BUF_INIT;
    bool md = false;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0) {
            md = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help_config_usage, stdout);
            return 0;
        } else {
            fprintf(stderr, "aerosink help config: unknown option '%s'\n\n%s", argv[i],
                    help_config_usage);
            return 2;
        }
    }
    if (cfg_reference(&b, md) != ST_OK) {
        fputs("aerosink: out of memory\n", stderr);
        buf_free(&b);
        return 1;
    }
    fwrite(b.p, 1, b.len, stdout);
    buf_free(&b);
    return 0;
}
