/* src/common/log.c: leveled log lines with a timestamp and a component tag.
 * One write() per line so lines from several threads never interleave. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

const char *log_level_name(enum log_level l)
{
    if (l == LOG_OFF)
        return "OFF";
    return (unsigned)l < ARRAY_LEN(level_names) ? level_names[l] : "INFO";
}

bool log_level_parse(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < ARRAY_LEN(level_names); i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return true;
    }
    return false;
}

void log_emit(const struct log_ctx *lc, enum log_level lvl, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int k;
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    k = snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s [%s] ", ts.tv_nsec / 1000000L,
                 log_level_name(lvl), lc->component ? lc->component : "aerosink");
    if (k > 0)
        n += (size_t)k;
    va_start(ap, fmt);
    k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (k > 0)
        n += MIN((size_t)k, sizeof(line) - n - 2);
    line[n++] = '\n';
    ssize_t w = write(lc->fd > 0 ? lc->fd : 2, line, n);
    (void)w;
}

/* ------------------------------------------------------------------------------------
 * Named loggers with levels changed at run time
 * ------------------------------------------------------------------------------------ */

#define LOGGERS_MAX 64

struct logger {
    char name[64];
    char level[8];          /* the Connect name it was given */
    int64_t last_modified;  /* -1: never changed */
    atomic_int cell;        /* what log_enabled reads */
};

struct log_levels {
    pthread_mutex_t mu;
    struct logger *v[LOGGERS_MAX];   /* sorted by name; each allocated once, never moved */
    size_t n;
};

static const struct {
    const char *name;
    int level;
} connect_levels[] = {
    {"OFF", LOG_OFF},    {"FATAL", LOG_ERROR}, {"ERROR", LOG_ERROR}, {"WARN", LOG_WARN},
    {"INFO", LOG_INFO},  {"DEBUG", LOG_DEBUG}, {"TRACE", LOG_TRACE}, {"ALL", LOG_TRACE},
};

static int connect_level(const char *s, const char **canon)
{
    for (size_t i = 0; i < ARRAY_LEN(connect_levels); i++) {
        if (strcasecmp(s, connect_levels[i].name) == 0) {
            *canon = connect_levels[i].name;
            return connect_levels[i].level;
        }
    }
    return -2;
}

/* Index of @name, or -(insertion point) - 1. Caller holds the lock. */
static ptrdiff_t logger_find(const struct log_levels *ll, const char *name)
{
    size_t lo = 0, hi = ll->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ll->v[mid]->name, name);
        if (c == 0)
            return (ptrdiff_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(ptrdiff_t)lo - 1;
}

/* Find or add @name (at root's level). Caller holds the lock. */
static struct logger *logger_get(struct log_levels *ll, const char *name, enum status *st)
{
    ptrdiff_t i = logger_find(ll, name);
    struct logger *lg, *root;
    size_t at;

    if (i >= 0)
        return ll->v[i];
    if (ll->n == LOGGERS_MAX || strlen(name) >= sizeof(lg->name)) {
        *st = ST_UNAVAILABLE;
        return NULL;
    }
    if (!(lg = mem_calloc(1, sizeof(*lg)))) {
        *st = ST_NOMEM;
        return NULL;
    }
    root = ll->v[logger_find(ll, "root")];   /* added by log_levels_new, never removed */
    snprintf(lg->name, sizeof(lg->name), "%s", name);
    snprintf(lg->level, sizeof(lg->level), "%s", root->level);
    lg->last_modified = -1;
    atomic_init(&lg->cell, atomic_load(&root->cell));
    at = (size_t)(-i - 1);
    memmove(&ll->v[at + 1], &ll->v[at], (ll->n - at) * sizeof(ll->v[0]));
    ll->v[at] = lg;
    ll->n++;
    return lg;
}

struct log_levels *log_levels_new(enum log_level root)
{
    struct log_levels *ll = mem_calloc(1, sizeof(*ll));
    struct logger *lg = mem_calloc(1, sizeof(*lg));

    if (!ll || !lg || pthread_mutex_init(&ll->mu, NULL) != 0) {
        mem_free(ll);
        mem_free(lg);
        return NULL;
    }
    snprintf(lg->name, sizeof(lg->name), "root");
    snprintf(lg->level, sizeof(lg->level), "%s", log_level_name(root));
    lg->last_modified = -1;
    atomic_init(&lg->cell, (int)root);
    ll->v[0] = lg;
    ll->n = 1;
    return ll;
}

void log_levels_free(struct log_levels *ll)
{
    if (!ll)
        return;
    for (size_t i = 0; i < ll->n; i++)
        mem_free(ll->v[i]);
    pthread_mutex_destroy(&ll->mu);
    mem_free(ll);
}

const atomic_int *log_levels_cell(struct log_levels *ll, const char *name)
{
    enum status st = ST_OK;
    struct logger *lg;

    pthread_mutex_lock(&ll->mu);
    lg = logger_get(ll, name, &st);
    pthread_mutex_unlock(&ll->mu);
    return lg ? &lg->cell : NULL;
}

/* @name equals @ns or lies below it ("aerosink.worker" below "aerosink"). */
static bool below(const char *name, const char *ns)
{
    size_t n = strlen(ns);
    return strncmp(name, ns, n) == 0 && (name[n] == 0 || name[n] == '.');
}

enum status log_levels_set(struct log_levels *ll, const char *name, const char *level, int64_t now_ms,
                           void (*each)(void *arg, const char *name), void *arg, struct err *e)
{
    const char *canon = NULL;
    int lv = connect_level(level, &canon);
    enum status st = ST_OK;
    bool all = strcmp(name, "root") == 0;

    if (lv < LOG_OFF)
        return err_set(e, ST_USAGE, "invalid log level '%s' (OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE or ALL)",
                       level);
    pthread_mutex_lock(&ll->mu);
    if (!logger_get(ll, name, &st)) {
        pthread_mutex_unlock(&ll->mu);
        return err_set(e, st, "cannot add logger '%s': %s", name,
                       st == ST_NOMEM ? "out of memory" : "64 loggers at most, names up to 63 bytes");
    }
    for (size_t i = 0; i < ll->n; i++) {
        struct logger *lg = ll->v[i];
        if (!all && !below(lg->name, name))
            continue;
        snprintf(lg->level, sizeof(lg->level), "%s", canon);
        lg->last_modified = now_ms;
        atomic_store(&lg->cell, lv);
        if (each)
            each(arg, lg->name);
    }
    pthread_mutex_unlock(&ll->mu);
    return ST_OK;
}

bool log_levels_get(struct log_levels *ll, const char *name, char level[8], int64_t *last_modified)
{
    ptrdiff_t i;

    pthread_mutex_lock(&ll->mu);
    i = logger_find(ll, name);
    if (i >= 0) {
        snprintf(level, 8, "%s", ll->v[i]->level);
        *last_modified = ll->v[i]->last_modified;
    }
    pthread_mutex_unlock(&ll->mu);
    return i >= 0;
}

void log_levels_each(struct log_levels *ll,
                     void (*each)(void *arg, const char *name, const char *level, int64_t last_modified),
                     void *arg)
{
    pthread_mutex_lock(&ll->mu);
    for (size_t i = 0; i < ll->n; i++)
        each(arg, ll->v[i]->name, ll->v[i]->level, ll->v[i]->last_modified);
    pthread_mutex_unlock(&ll->mu);
}
