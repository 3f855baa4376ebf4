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

static void check_connector(struct check *ck, const char *path, const char *text, size_t len)
{
    struct cfg_connector *c = cfg_connector_new(load_props(ck, path, text, len), ck->dp);
    struct cfg *m;

    if (!c)
        return;
    m = load_mapping(ck, c->mapping_path, c->mapping_content);
    if (m)
        cfg_connector_check_mapping(c, m, ck->dp);
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
    case CFG_FILE_WORKER: {
        struct cfg_worker *w;
        ck->files++;
        w = cfg_worker_new(load_props(ck, path, text, len), CFG_WORKER_AUTO, ck->dp);
        if (w && !ck->worker)
            ck->worker = w;
        else
            cfg_worker_free(w);
        break;
    }
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
    struct check *ck = mem_calloc(1, sizeof(*ck));
    size_t files;

    if (!ck) {
        cfg_diag_add(d, CFG_SEV_ERROR, n ? paths[0] : "", 0, 0, "", "out of memory");
        return 0;
    }
    ck->flags = flags | CFG_LOAD_PARTIAL;
    ck->dp = d;
    for (size_t i = 0; i < n; i++)
        check_file(ck, paths[i]);
    for (size_t i = 0; i < ck->n_conns; i++)
        cfg_check_converters(ck->worker, ck->conns[i], d);
    cfg_diags_sort(d);
    for (size_t i = 0; i < ck->n_maps; i++)
        cfg_free(ck->maps[i].cfg);
    for (size_t i = 0; i < ck->n_conns; i++)
        cfg_connector_free(ck->conns[i]);
    cfg_worker_free(ck->worker);
    files = ck->files;
    mem_free(ck);
    return files;
}
