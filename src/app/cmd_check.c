/* src/app/cmd_check.c: `aerosink check FILE...` and `aerosink help config`. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"

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
    "\n"
    "Options:\n"
    "  --quiet     print errors only (no warnings, no summary line)\n"
    "  --offline   do not open the files the mapping names (password files, TLS stores);\n"
    "              for checking on a machine other than the one that runs the connector\n"
    "  -h, --help  show this help\n"
    "\n"
    "Example:\n"
    "  $ aerosink check config/connect-standalone.properties config/aerospike-sink.properties\n"
    "  config/aerospike-kafka-inbound.yml:12:21: topics.orders.invalid-record: invalid value\n"
    "    \"ignor\": expected ignore | kill-task | dead-letter (did you mean \"ignore\"?)\n"
    "  1 error, 0 warnings in 3 files\n"
    "\n"
    "See `aerosink help config` for every key.\n";

struct mapping_slot {
    char real[PATH_MAX];
    struct cfg *cfg;     /* may have errors (CFG_LOAD_PARTIAL): only cross-checked */
};

struct check {
    unsigned flags;
    struct cfg_diags d;
    struct mapping_slot maps[64];
    size_t n_maps;
    struct cfg_worker *worker;     /* the first worker file given */
    struct cfg_connector *conns[64];
    size_t n_conns;
    size_t files;
};

/* Load a mapping once per real path (a file given explicitly and through a connector is
 * checked once). Returns the loaded config or NULL. */
static struct cfg *load_mapping(struct check *ck, const char *path, const char *content)
{
    char real[PATH_MAX];
    struct mapping_slot *s;

    if (!content && realpath(path, real)) {
        for (size_t i = 0; i < ck->n_maps; i++)
            if (strcmp(ck->maps[i].real, real) == 0)
                return ck->maps[i].cfg;
    } else {
        snprintf(real, sizeof(real), "%s", path);
    }
    ck->files++;
    if (ck->n_maps == ARRAY_LEN(ck->maps)) {
        cfg_diag_add(&ck->d, CFG_SEV_ERROR, path, 0, 0, "", "too many mapping files");
        return NULL;
    }
    s = &ck->maps[ck->n_maps++];
    snprintf(s->real, sizeof(s->real), "%s", real);
    if (content) {
        s->cfg = cfg_load_text(content, strlen(content), path, ck->flags, &ck->d);
    } else {
        struct err e = {0};
        size_t len = 0;
        char *text = cfg_read_file(path, &len, &e);
        if (!text) {
            cfg_diag_add(&ck->d, CFG_SEV_ERROR, path, 0, 0, "", "%s", e.msg);
            return NULL;
        }
        s->cfg = cfg_load_text(text, len, path, ck->flags, &ck->d);
        cfg_check_mapping_secrets(path, text, len, &ck->d);
        mem_free(text);
    }
    return s->cfg;
}

static struct cfg_props *load_props(struct check *ck, const char *path, const char *text,
                                    size_t len)
{
    struct cfg_props *p;
    size_t n = strlen(path);

    if (n >= 5 && strcmp(path + n - 5, ".json") == 0)
        p = cfg_props_parse_json(text, len, path, &ck->d);
    else
        p = cfg_props_parse(text, len, path, &ck->d);
    cfg_check_props_secrets(p, path, &ck->d);
    return p;
}

static void check_connector(struct check *ck, const char *path, const char *text, size_t len)
{
    struct cfg_connector *c = cfg_connector_new(load_props(ck, path, text, len), &ck->d);
    struct cfg *m;

    if (!c)
        return;
    m = load_mapping(ck, c->mapping_path, c->mapping_content);
    if (m)
        cfg_connector_check_mapping(c, m, &ck->d);
    if (ck->n_conns < ARRAY_LEN(ck->conns))
        ck->conns[ck->n_conns++] = c;
    else
        cfg_connector_free(c);
}

static void check_file(struct check *ck, const char *path)
{
    struct err e = {0};
    size_t len = 0;
    char *text = cfg_read_file(path, &len, &e);

    if (!text) {
        ck->files++;
        cfg_diag_add(&ck->d, CFG_SEV_ERROR, path, 0, 0, "", "%s", e.msg);
        return;
    }
    switch (cfg_file_kind(path, text, len)) {
    case CFG_FILE_MAPPING:
        load_mapping(ck, path, NULL);
        break;
    case CFG_FILE_CONNECTOR:
        ck->files++;
        check_connector(ck, path, text, len);
        break;
    case CFG_FILE_WORKER: {
        struct cfg_worker *w;
        ck->files++;
        w = cfg_worker_new(load_props(ck, path, text, len), CFG_WORKER_AUTO, &ck->d);
        if (w && !ck->worker)
            ck->worker = w;
        else
            cfg_worker_free(w);
        break;
    }
    case CFG_FILE_UNKNOWN:
        ck->files++;
        cfg_diag_add(&ck->d, CFG_SEV_ERROR, path, 0, 0, "",
                     "cannot tell what this file is: name a mapping .yml, .yaml or .json, and "
                     "Connect files .properties (or .json in the REST shape)");
        break;
    }
    mem_free(text);
}

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

int app_cmd_check(int argc, char **argv, volatile sig_atomic_t *stop)
{
    struct check ck;
    bool quiet = false, dashes = false;
    int n_files = 0, rc;

    (void)stop;
    memset(&ck, 0, sizeof(ck));
    ck.flags = CFG_LOAD_READ_FILES | CFG_LOAD_PARTIAL;
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
            ck.flags &= ~(unsigned)CFG_LOAD_READ_FILES;
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
    cfg_diags_init(&ck.d);
    dashes = false;
    for (int i = 1; i < argc; i++)
        if (is_file_arg(argv, i, &dashes))
            check_file(&ck, argv[i]);
    for (size_t i = 0; i < ck.n_conns; i++)
        cfg_check_converters(ck.worker, ck.conns[i], &ck.d);
    cfg_diags_sort(&ck.d);
    print_diags(&ck.d, quiet);
    if (!quiet)
        printf("%zu error%s, %zu warning%s in %zu file%s\n", ck.d.errors,
               ck.d.errors == 1 ? "" : "s", ck.d.warnings, ck.d.warnings == 1 ? "" : "s",
               ck.files, ck.files == 1 ? "" : "s");
    rc = ck.d.errors ? 2 : 0;
    for (size_t i = 0; i < ck.n_maps; i++)
        cfg_free(ck.maps[i].cfg);
    for (size_t i = 0; i < ck.n_conns; i++)
        cfg_connector_free(ck.conns[i]);
    cfg_worker_free(ck.worker);
    cfg_diags_free(&ck.d);
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
