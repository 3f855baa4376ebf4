/* src/config/cfg_diag.c: the list of problems a load found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void cfg_diags_init(struct cfg_diags *d)
{
    memset(d, 0, sizeof(*d));
}

void cfg_diags_free(struct cfg_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        mem_free(d->v[i].file);
        mem_free(d->v[i].path);
        mem_free(d->v[i].msg);
    }
    mem_free(d->v);
    memset(d, 0, sizeof(*d));
}

static void count(struct cfg_diags *d, enum cfg_severity sev)
{
    if (sev == CFG_SEV_ERROR)
        d->errors++;
    else
        d->warnings++;
}

void cfg_diag_add(struct cfg_diags *d, enum cfg_severity sev, const char *file, int line, int col,
                  const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    struct cfg_diag *dg;

    if (!d)
        return;
    if (d->n >= CFG_MAX_DIAGS) {
        d->truncated = true;
        count(d, sev);   /* still counted: an error past the cap must still fail */
        return;
    }
    if (!mem_grow(&d->v, &d->cap, d->n + 1, sizeof(*d->v), 16)) {
        d->truncated = true;
        count(d, sev);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dg = &d->v[d->n];
    dg->sev = sev;
    dg->line = line;
    dg->col = col;
    dg->seq = (unsigned)d->n;
    dg->file = mem_strdup(file ? file : "");
    dg->path = mem_strdup(path ? path : "");
    dg->msg = mem_strdup(msg);
    if (!dg->file || !dg->path || !dg->msg) {
        mem_free(dg->file);
        mem_free(dg->path);
        mem_free(dg->msg);
        d->truncated = true;
        count(d, sev);
        return;
    }
    d->n++;
    count(d, sev);
}

/* Files are ordered by first appearance: compute a rank per diag before sorting. */
struct ranked {
    struct cfg_diag dg;
    size_t file_rank;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;

    if (x->file_rank != y->file_rank)
        return x->file_rank < y->file_rank ? -1 : 1;
    if (x->dg.line != y->dg.line)
        return x->dg.line < y->dg.line ? -1 : 1;
    if (x->dg.col != y->dg.col)
        return x->dg.col < y->dg.col ? -1 : 1;
    return x->dg.seq < y->dg.seq ? -1 : x->dg.seq > y->dg.seq;
}

void cfg_diags_sort(struct cfg_diags *d)
{
    struct ranked *r;

    if (!d || d->n < 2)
        return;
    r = mem_malloc(d->n * sizeof(*r));
    if (!r)
        return;   /* unsorted is still correct, just less pleasant */
    for (size_t i = 0; i < d->n; i++) {
        size_t rank = i;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(d->v[j].file, d->v[i].file) == 0) {
                rank = r[j].file_rank;
                break;
            }
        }
        r[i].dg = d->v[i];
        r[i].file_rank = rank;
    }
    qsort(r, d->n, sizeof(*r), cmp_ranked);
    for (size_t i = 0; i < d->n; i++)
        d->v[i] = r[i].dg;
    mem_free(r);
}

enum status cfg_diag_format(const struct cfg_diag *dg, struct buf *out)
{
    enum status st = ST_OK;

    if (dg->sev == CFG_SEV_WARNING)
        st = buf_append_str(out, "warning: ");
    if (st == ST_OK)
        st = buf_append_str(out, dg->file);
    if (st == ST_OK && dg->line > 0)
        st = buf_printf(out, ":%d:%d", dg->line, dg->col);
    if (st == ST_OK)
        st = buf_append_str(out, ": ");
    if (st == ST_OK && dg->path[0])
        st = buf_printf(out, "%s: ", dg->path);
    if (st == ST_OK)
        st = buf_append_str(out, dg->msg);
    return st;
}

enum status cfg_diags_to_err(const struct cfg_diags *d, struct err *e)
{
    struct buf b = BUF_INIT;

    if (!d || d->errors == 0)
        return ST_OK;
    for (size_t i = 0; i < d->n; i++) {
        if (d->v[i].sev != CFG_SEV_ERROR)
            continue;
        cfg_diag_format(&d->v[i], &b);
        break;
    }
    if (d->errors > 1)
        buf_printf(&b, " (and %zu more problem%s)", d->errors - 1, d->errors > 2 ? "s" : "");
    err_set(e, ST_CONFIG, "%s", b.len ? buf_cstr(&b) : "invalid configuration");
    buf_free(&b);
    return ST_CONFIG;
}
