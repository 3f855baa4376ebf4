/* src/config/cfg_check.c: what `aerosink check FILE...` does, as a library call (the command
 * prints; tests and REST call this directly). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

struct mapping_slot {
    char real[PATH_MAX];
    struct cfg *cfg;     /* may have errors (CFG_LOAD_PARTIAL): only cross-checked */
};

struct check {
    unsigned flags;
    struct cfg_diags *dp;
    struct mapping_slot maps[64];
    size_t n_maps;
    struct cfg_worker *worker;     /* the first worker file given without errors */
    struct cfg_worker *first;      /* the first worker file given, errors or not (hooks) */
    struct cfg_connector *conns[64];   /* errors or not: their mapping is checked all the same */
    bool conn_ok[64];              /* conns[i] has no error of its own */
    size_t n_conns;
    size_t files;
    struct cfg_providers *pv;      /* the first worker's config providers (NULL: offline) */
    struct cfg_resolved *res[128]; /* what was resolved, to redact later messages */
    size_t n_res;
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
        cfg_diag_add(ck->dp, CFG_SEV_ERROR, path, 0, 0, "", "too many mapping files");
        return NULL;
    }
    s = &ck->maps[ck->n_maps++];
    snprintf(s->real, sizeof(s->real), "%s", real);
    if (content) {
        s->cfg = cfg_load_text(content, strlen(content), path, ck->flags, ck->dp);
    } else {
        struct err e = {0};
        size_t len = 0;
        char *text = cfg_read_file(path, &len, &e);
        if (!text) {
            cfg_diag_add(ck->dp, CFG_SEV_ERROR, path, 0, 0, "", "%s", e.msg);
            return NULL;
        }
        s->cfg = cfg_load_text(text, len, path, ck->flags, ck->dp);
        cfg_check_mapping_secrets(path, text, len, ck->dp);
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
        p = cfg_props_parse_json(text, len, path, ck->dp);
    else
        p = cfg_props_parse(text, len, path, ck->dp);
    cfg_check_props_secrets(p, path, ck->dp);
    return p;
}

/* Keep @r until every check ran (cfg_resolved_scrub), or scrub now when full. */
static void keep_resolved(struct check *ck, struct cfg_resolved *r)
{
    if (!r)
        return;
    if (ck->n_res < ARRAY_LEN(ck->res)) {
        ck->res[ck->n_res++] = r;
        return;
    }
    cfg_resolved_scrub(ck->res, ck->n_res, ck->dp);
    cfg_resolved_scrub(&r, 1, ck->dp);
    cfg_resolved_free(r);
}

/* The config providers of the first worker file among @paths: connectors are resolved with
 * them wherever the worker is on the command line. Its own problems are reported when the
 * worker file itself is checked. */
static struct cfg_providers *first_worker_providers(const char *const *paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct err e = {0};
        size_t len = 0;
        char *text = cfg_read_file(paths[i], &len, &e);
        bool worker = text && cfg_file_kind(paths[i], text, len) == CFG_FILE_WORKER;
        struct cfg_providers *pv = NULL;
        if (worker) {
            struct cfg_props *p = cfg_props_parse(text, len, paths[i], NULL);
            pv = p ? cfg_providers_new(p, NULL) : NULL;
            cfg_props_free(p);
        }
        if (text)
            explicit_bzero(text, len);
        mem_free(text);
        if (worker)
            return pv;
    }
    return NULL;
}

/* cfg_connector_new_resolved, keeping a connector that has errors: its mapping file still
 * gets checked (every problem at once). */
static void check_connector(struct check *ck, const char *path, const char *text, size_t len)
{
    struct cfg_resolved *r = NULL;
    struct cfg_props *p = load_props(ck, path, text, len);
    size_t errors = ck->dp->errors;
    struct cfg_connector *c;
    struct cfg *m;

    if (!p)
        return;
    cfg_props_resolve(p, ck->pv, &r, ck->dp);   /* problems: in ck->dp */
    c = cfg__connector_new_partial(p, ck->dp);
    keep_resolved(ck, r);
    if (!c)
        return;
    m = cfg_connector_mapping_missing(c, ck->dp) ? NULL
                                                 : load_mapping(ck, c->mapping_path, c->mapping_content);
    if (m)
        cfg_connector_check_mapping(c, m, ck->dp);
    if (ck->n_conns < ARRAY_LEN(ck->conns)) {
        ck->conn_ok[ck->n_conns] = ck->dp->errors == errors;
        ck->conns[ck->n_conns++] = c;
    } else {
        cfg_connector_free(c);
    }
}

/* cfg_worker_new_resolved (or cfg_worker_new offline), keeping a worker that has errors for
 * the hooks. */
static void check_worker(struct check *ck, const char *path, const char *text, size_t len)
{
    struct cfg_resolved *r = NULL;
    struct cfg_props *p = load_props(ck, path, text, len);   /* secrets checked as written */
    size_t errors = ck->dp->errors;
    struct cfg_worker *w;

    if (!p)
        return;
    if (ck->flags & CFG_LOAD_READ_FILES) {
        struct cfg_providers *pv = cfg_providers_new(p, ck->dp);
        if (pv)
            cfg_props_resolve(p, pv, &r, ck->dp);
        else
            cfg_diag_add(ck->dp, CFG_SEV_ERROR, path, 0, 0, "", "out of memory");
        cfg_providers_free(pv);
    }   /* --offline: not resolved */
    w = cfg__worker_new_partial(p, CFG_WORKER_AUTO, ck->dp);
    keep_resolved(ck, r);
    if (w && !ck->first)
        ck->first = w;
    if (w && !ck->worker && ck->dp->errors == errors)
        ck->worker = w;
    if (w != ck->first && w != ck->worker)
        cfg_worker_free(w);
}

static void check_file(struct check *ck, const char *path)
{
    struct err e = {0};
    size_t len = 0;
    char *text = cfg_read_file(path, &len, &e);

    if (!text) {
        ck->files++;
        cfg_diag_add(ck->dp, CFG_SEV_ERROR, path, 0, 0, "", "%s", e.msg);
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
    case CFG_FILE_WORKER:
        ck->files++;
        check_worker(ck, path, text, len);
        break;
    case CFG_FILE_UNKNOWN:
        ck->files++;
        cfg_diag_add(ck->dp, CFG_SEV_ERROR, path, 0, 0, "",
                     "cannot tell what this file is: name a mapping .yml, .yaml or .json, and "
                     "Connect files .properties (or .json in the REST shape)");
        break;
    }
    mem_free(text);
}

size_t cfg_check_files(const char *const *paths, size_t n, unsigned flags, struct cfg_diags *d)
{
    return cfg_check_files_with(paths, n, flags, NULL, d);
}

size_t cfg_check_files_with(const char *const *paths, size_t n, unsigned flags,
                            const struct cfg_check_hooks *hooks, struct cfg_diags *d)
{
    struct check *ck = mem_calloc(1, sizeof(*ck));
    size_t files;

    if (!ck) {
        cfg_diag_add(d, CFG_SEV_ERROR, n ? paths[0] : "", 0, 0, "", "out of memory");
        return 0;
    }
    ck->flags = flags | CFG_LOAD_PARTIAL;
    ck->dp = d;
    if (flags & CFG_LOAD_READ_FILES)
        ck->pv = first_worker_providers(paths, n);
    for (size_t i = 0; i < n; i++)
        check_file(ck, paths[i]);
    for (size_t i = 0; i < ck->n_conns; i++)
        if (ck->conn_ok[i])
            cfg_check_converters(ck->worker, ck->conns[i], d);
    if (hooks && hooks->clients)
        hooks->clients(hooks->ctx, ck->first, (const struct cfg_connector *const *)ck->conns,
                       ck->n_conns, d);
    cfg_resolved_scrub(ck->res, ck->n_res, d);
    for (size_t i = 0; i < ck->n_res; i++)
        cfg_resolved_free(ck->res[i]);
    cfg_providers_free(ck->pv);
    cfg_diags_sort(d);
    for (size_t i = 0; i < ck->n_maps; i++)
        cfg_free(ck->maps[i].cfg);
    for (size_t i = 0; i < ck->n_conns; i++)
        cfg_connector_free(ck->conns[i]);
    if (ck->worker != ck->first)
        cfg_worker_free(ck->worker);
    cfg_worker_free(ck->first);
    files = ck->files;
    mem_free(ck);
    return files;
}
