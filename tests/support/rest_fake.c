/* tests/support/rest_fake.c: the in-memory REST backend (see rest_fake.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest_fake.h"

#define MAX_TASKS 16

struct fake_conn {
    char *name;
    struct rest_kvs config;
    enum rest_state state;
    int32_t ntasks;
    enum rest_state task_state[MAX_TASKS];
    char *task_trace[MAX_TASKS];
    struct rest_offsets offsets;
};

struct fake_logger {
    char name[64];
    char level[16];
    int64_t last_modified;
};

struct rest_fake {
    pthread_mutex_t lock;
    struct fake_conn *conns;
    size_t n, cap;
    bool busy, no_topic_tracking;
    unsigned delay_ms;
    enum rest_health_state health;
    char health_details[128];
    struct fake_logger loggers[8];
    size_t nloggers;
    unsigned long calls;
    struct rest_fake_last last;
};

#define WORKER "127.0.0.1:8083"

/* --- helpers (call with the lock held) --- */

static void enter(struct rest_fake *f)
{
    unsigned d;

    pthread_mutex_lock(&f->lock);
    f->calls++;
    d = f->delay_ms;
    pthread_mutex_unlock(&f->lock);
    if (d)
        sleep_ms(d);
    pthread_mutex_lock(&f->lock);
}

static void leave(struct rest_fake *f)
{
    pthread_mutex_unlock(&f->lock);
}

static struct fake_conn *find(struct rest_fake *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->conns[i].name, name) == 0)
            return &f->conns[i];
    return NULL;
}

static int32_t tasks_of(const struct rest_kvs *cfg)
{
    const struct rest_kv *kv = rest_kvs_find(cfg, "tasks.max");
    int64_t v;

    if (!kv || !kv->value || !str_to_i64(kv->value, strlen(kv->value), &v) || v < 1)
        return 1;
    return v > MAX_TASKS ? MAX_TASKS : (int32_t)v;
}

static void conn_clear(struct fake_conn *c)
{
    mem_free(c->name);
    rest_kvs_free(&c->config);
    rest_offsets_free(&c->offsets);
    for (int i = 0; i < MAX_TASKS; i++)
        mem_free(c->task_trace[i]);
    memset(c, 0, sizeof(*c));
}

static enum status fill_info(const struct fake_conn *c, struct rest_connector_info *out)
{
    out->type = REST_TYPE_SINK;
    if (rest_kvs_copy(&out->config, &c->config) != ST_OK)
        return ST_NOMEM;
    if (c->state == REST_STOPPED)
        return ST_OK;           /* a stopped connector has no tasks (Connect 3.5+) */
    for (int32_t t = 0; t < c->ntasks; t++)
        if (rest_info_add_task(out, t) != ST_OK)
            return ST_NOMEM;
    return ST_OK;
}

static enum status set_config(struct fake_conn *c, const struct rest_kvs *cfg)
{
    struct rest_kvs copy = {0};

    if (rest_kvs_copy(&copy, cfg) != ST_OK) {
        rest_kvs_free(&copy);
        return ST_NOMEM;
    }
    rest_kvs_free(&c->config);
    c->config = copy;
    c->ntasks = tasks_of(&c->config);
    return ST_OK;
}

static struct fake_conn *add_conn(struct rest_fake *f, const char *name)
{
    struct fake_conn *c;

    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 8;
        struct fake_conn *nv = mem_realloc(f->conns, nc * sizeof(*nv));
        if (!nv)
            return NULL;
        f->conns = nv;
        f->cap = nc;
    }
    c = &f->conns[f->n];
    memset(c, 0, sizeof(*c));
    if (!(c->name = mem_strdup(name)))
        return NULL;
    f->n++;
    return c;
}

/* --- the backend --- */

static enum status fk_server_info(void *ctx, struct rest_server_info *out, struct err *e)
{
    struct rest_fake *f = ctx;
    UNUSED(e);
    enter(f);
    snprintf(out->version, sizeof(out->version), "%s", AEROSINK_VERSION);
    snprintf(out->commit, sizeof(out->commit), "0123456789abcdef");
    snprintf(out->kafka_cluster_id, sizeof(out->kafka_cluster_id), "fake-cluster-id");
    leave(f);
    return ST_OK;
}

static enum status fk_list(void *ctx, struct rest_strs *out, struct err *e)
{
    struct rest_fake *f = ctx;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    for (size_t i = 0; i < f->n && st == ST_OK; i++)
        st = rest_strs_add(out, f->conns[i].name);
    leave(f);
    return st;
}

static enum status fk_info(void *ctx, const char *name, struct rest_connector_info *out, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st;
    UNUSED(e);
    enter(f);
    c = find(f, name);
    st = c ? fill_info(c, out) : ST_NOT_FOUND;
    leave(f);
    return st;
}

static enum status fk_config(void *ctx, const char *name, struct rest_kvs *out, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st;
    UNUSED(e);
    enter(f);
    c = find(f, name);
    st = c ? rest_kvs_copy(out, &c->config) : ST_NOT_FOUND;
    leave(f);
    return st;
}

static enum status fill_status(const struct fake_conn *c, struct rest_status *out)
{
    enum status st = rest_status_set(out, c->state, WORKER, NULL);

    out->type = REST_TYPE_SINK;
    if (c->state == REST_STOPPED)
        return st;
    for (int32_t t = 0; t < c->ntasks && st == ST_OK; t++)
        st = rest_status_add_task(out, t, c->task_state[t] == REST_FAILED ? REST_FAILED : c->state,
                                  WORKER, c->task_trace[t]);
    return st;
}

static enum status fk_status(void *ctx, const char *name, struct rest_status *out, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st;
    UNUSED(e);
    enter(f);
    c = find(f, name);
    st = c ? fill_status(c, out) : ST_NOT_FOUND;
    leave(f);
    return st;
}

static enum status fk_create(void *ctx, const char *name, const struct rest_kvs *config,
                             enum rest_target_state initial, struct rest_connector_info *out,
                             struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st;

    enter(f);
    f->last.initial = initial;
    if (f->busy) {
        st = ST_BUSY;
    } else if (find(f, name)) {
        st = ST_EXISTS;
    } else if (!rest_kvs_find(config, "connector.class")) {
        st = err_set(e, ST_CONFIG, "Connector config {name=%s} contains no connector type", name);
    } else if (!(c = add_conn(f, name)) || set_config(c, config) != ST_OK) {
        st = ST_NOMEM;
    } else {
        c->state = initial == REST_TARGET_PAUSED    ? REST_PAUSED
                   : initial == REST_TARGET_STOPPED ? REST_STOPPED
                                                    : REST_RUNNING;
        st = fill_info(c, out);
    }
    leave(f);
    return st;
}

static enum status fk_put(void *ctx, const char *name, const struct rest_kvs *config, bool *created,
                          struct rest_connector_info *out, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st;

    enter(f);
    c = find(f, name);
    *created = !c;
    if (f->busy)
        st = ST_BUSY;
    else if (!rest_kvs_find(config, "connector.class"))
        st = err_set(e, ST_CONFIG, "Connector config {name=%s} contains no connector type", name);
    else if (!c && !(c = add_conn(f, name)))
        st = ST_NOMEM;
    else if ((st = set_config(c, config)) == ST_OK) {
        if (*created)
            c->state = REST_RUNNING;
        st = fill_info(c, out);
    }
    leave(f);
    return st;
}

static enum status fk_patch(void *ctx, const char *name, const struct rest_kvs *patch,
                            struct rest_connector_info *out, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    if (f->busy) {
        st = ST_BUSY;
    } else if (!(c = find(f, name))) {
        st = ST_NOT_FOUND;
    } else {
        for (size_t i = 0; i < patch->n && st == ST_OK; i++)
            st = rest_kvs_put(&c->config, patch->v[i].key, patch->v[i].value);
        c->ntasks = tasks_of(&c->config);
        if (st == ST_OK)
            st = fill_info(c, out);
    }
    leave(f);
    return st;
}

static enum status fk_delete(void *ctx, const char *name, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    if (f->busy) {
        st = ST_BUSY;
    } else if (!(c = find(f, name))) {
        st = ST_NOT_FOUND;
    } else {
        size_t i = (size_t)(c - f->conns);
        conn_clear(c);
        memmove(&f->conns[i], &f->conns[i + 1], (f->n - i - 1) * sizeof(*c));
        f->n--;
    }
    leave(f);
    return st;
}

static enum status fk_restart(void *ctx, const char *name, bool include_tasks, bool only_failed,
                              struct rest_status *out, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    f->last.include_tasks = include_tasks;
    f->last.only_failed = only_failed;
    if (f->busy) {
        st = ST_BUSY;
    } else if (!(c = find(f, name))) {
        st = ST_NOT_FOUND;
    } else if (include_tasks || only_failed) {
        bool conn_restarts = !only_failed || c->state == REST_FAILED;
        st = rest_status_set(out, conn_restarts ? REST_RESTARTING : c->state, WORKER, NULL);
        out->type = REST_TYPE_SINK;
        for (int32_t t = 0; t < c->ntasks && st == ST_OK; t++) {
            bool failed = c->task_state[t] == REST_FAILED;
            bool restarts = include_tasks && (!only_failed || failed);
            st = rest_status_add_task(out, t, restarts ? REST_RESTARTING : failed ? REST_FAILED : c->state,
                                      WORKER, restarts ? NULL : c->task_trace[t]);
            if (restarts) {
                c->task_state[t] = REST_RUNNING;
                mem_free(c->task_trace[t]);
                c->task_trace[t] = NULL;
            }
        }
    }
    leave(f);
    return st;
}

static enum status fk_restart_task(void *ctx, const char *name, int32_t task, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    if (f->busy)
        st = ST_BUSY;
    else if (!(c = find(f, name)) || task < 0 || task >= c->ntasks)
        st = ST_NOT_FOUND;
    else {
        c->task_state[task] = REST_RUNNING;
        mem_free(c->task_trace[task]);
        c->task_trace[task] = NULL;
    }
    leave(f);
    return st;
}

static enum status set_state(void *ctx, const char *name, enum rest_state s)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;

    enter(f);
    if (!(c = find(f, name)))
        st = ST_NOT_FOUND;
    else
        c->state = s;
    leave(f);
    return st;
}

static enum status fk_pause(void *ctx, const char *name, struct err *e)
{
    UNUSED(e);
    return set_state(ctx, name, REST_PAUSED);
}

static enum status fk_resume(void *ctx, const char *name, struct err *e)
{
    UNUSED(e);
    return set_state(ctx, name, REST_RUNNING);
}

static enum status fk_stop(void *ctx, const char *name, struct err *e)
{
    UNUSED(e);
    return set_state(ctx, name, REST_STOPPED);
}

static enum status fk_task_configs(void *ctx, const char *name, struct rest_task_configs *out,
                                   struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    if (!(c = find(f, name))) {
        st = ST_NOT_FOUND;
    } else if (c->state != REST_STOPPED) {
        for (int32_t t = 0; t < c->ntasks && st == ST_OK; t++) {
            struct rest_kvs *tc = rest_task_configs_add(out, t);
            const struct rest_kv *topics = rest_kvs_find(&c->config, "topics");
            st = tc ? rest_kvs_add(tc, "task.class", "com.aerospike.connect.kafka.inbound.AerospikeSinkTask")
                    : ST_NOMEM;
            if (st == ST_OK && topics)
                st = rest_kvs_add(tc, "topics", topics->value);
        }
    }
    leave(f);
    return st;
}

static enum status fk_task_status(void *ctx, const char *name, int32_t task, struct rest_task_state *out,
                                  struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;

    enter(f);
    if (!(c = find(f, name)) || task < 0 || task >= c->ntasks || c->state == REST_STOPPED) {
        st = c ? err_set(e, ST_NOT_FOUND, "No status found for task %s-%d", name, (int)task)
               : ST_NOT_FOUND;
    } else {
        out->id = task;
        out->state = c->task_state[task] == REST_FAILED ? REST_FAILED : c->state;
        out->worker_id = mem_strdup(WORKER);
        out->trace = c->task_trace[task] ? mem_strdup(c->task_trace[task]) : NULL;
        if (!out->worker_id)
            st = ST_NOMEM;
    }
    leave(f);
    return st;
}

static enum status fk_topics(void *ctx, const char *name, struct rest_strs *out, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    if (f->no_topic_tracking) {
        st = ST_UNSUPPORTED;
    } else if (!(c = find(f, name))) {
        st = ST_NOT_FOUND;
    } else {
        const struct rest_kv *kv = rest_kvs_find(&c->config, "topics");
        const char *p = kv && kv->value ? kv->value : "";
        while (*p && st == ST_OK) {
            size_t n = strcspn(p, ",");
            char *t = mem_strndup(p, n);
            st = t ? rest_strs_add(out, t) : ST_NOMEM;
            mem_free(t);
            p += n + (p[n] == ',');
        }
    }
    leave(f);
    return st;
}

static enum status fk_topics_reset(void *ctx, const char *name, struct err *e)
{
    struct rest_fake *f = ctx;
    enum status st;
    UNUSED(e);
    enter(f);
    st = f->no_topic_tracking ? ST_UNSUPPORTED : find(f, name) ? ST_OK : ST_NOT_FOUND;
    leave(f);
    return st;
}

static enum status fk_offsets(void *ctx, const char *name, struct rest_offsets *out, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    if (!(c = find(f, name)))
        st = ST_NOT_FOUND;
    for (size_t i = 0; c && i < c->offsets.n && st == ST_OK; i++)
        st = rest_offsets_add(out, c->offsets.v[i].topic, c->offsets.v[i].partition,
                              c->offsets.v[i].has_offset, c->offsets.v[i].offset);
    leave(f);
    return st;
}

static const char *not_stopped(void)
{
    return "Connectors must be in the STOPPED state before their offsets can be modified";
}

static enum status fk_alter_offsets(void *ctx, const char *name, const struct rest_offsets *in,
                                    struct buf *message, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;
    size_t o = 0;

    UNUSED(message);
    enter(f);
    if (!(c = find(f, name))) {
        st = ST_NOT_FOUND;
    } else if (c->state != REST_STOPPED) {
        st = err_set(e, ST_CONFIG, "%s", not_stopped());
    } else {
        f->last.offsets_alter[0] = '\0';
        for (size_t i = 0; i < in->n && st == ST_OK; i++) {
            const struct rest_offset *ro = &in->v[i];
            size_t j;
            int w;
            for (j = 0; j < c->offsets.n; j++)
                if (strcmp(c->offsets.v[j].topic, ro->topic) == 0 && c->offsets.v[j].partition == ro->partition)
                    break;
            if (j == c->offsets.n)
                st = rest_offsets_add(&c->offsets, ro->topic, ro->partition, ro->has_offset, ro->offset);
            else {
                c->offsets.v[j].has_offset = ro->has_offset;
                c->offsets.v[j].offset = ro->offset;
            }
            if (ro->has_offset)
                w = snprintf(f->last.offsets_alter + o, sizeof(f->last.offsets_alter) - o, "%s%s:%d=%lld",
                             i ? "," : "", ro->topic, (int)ro->partition, (long long)ro->offset);
            else
                w = snprintf(f->last.offsets_alter + o, sizeof(f->last.offsets_alter) - o, "%s%s:%d=null",
                             i ? "," : "", ro->topic, (int)ro->partition);
            if (w > 0 && o + (size_t)w < sizeof(f->last.offsets_alter))
                o += (size_t)w;
        }
    }
    leave(f);
    return st;
}

static enum status fk_reset_offsets(void *ctx, const char *name, struct buf *message, struct err *e)
{
    struct rest_fake *f = ctx;
    struct fake_conn *c;
    enum status st = ST_OK;

    enter(f);
    if (!(c = find(f, name)))
        st = ST_NOT_FOUND;
    else if (c->state != REST_STOPPED)
        st = err_set(e, ST_CONFIG, "%s", not_stopped());
    else {
        rest_offsets_free(&c->offsets);
        st = buf_append_str(message, "The Connect framework-managed offsets for this connector have "
                                     "been reset successfully");
    }
    leave(f);
    return st;
}

static enum status fk_plugins(void *ctx, struct rest_plugins *out, struct err *e)
{
    struct rest_fake *f = ctx;
    enum status st;
    UNUSED(e);
    enter(f);
    st = rest_plugins_add(out, REST_FAKE_CLASS, "sink", "3.1.0");
    if (st == ST_OK)
        st = rest_plugins_add(out, "org.apache.kafka.connect.json.JsonConverter", "converter", "3.7.0");
    if (st == ST_OK)
        st = rest_plugins_add(out, "org.apache.kafka.connect.transforms.Cast$Value", "transformation", NULL);
    leave(f);
    return st;
}

/* The class names and aliases the fake knows: full name, simple name, simple name minus
 * "Connector" (Connect's aliases). */
static bool known_plugin(const char *p)
{
    return strcmp(p, REST_FAKE_CLASS) == 0 || strcmp(p, "AerospikeSinkConnector") == 0 ||
           strcmp(p, "AerospikeSink") == 0;
}

static const char *const no_deps[] = {NULL};
static const struct rest_def_spec fake_defs[] = {
    {"connector.class", "STRING", true, NULL, "HIGH", "Name or alias of the class for this connector.",
     "Common", 2, "LONG", "Connector class", no_deps},
    {"tasks.max", "INT", false, "1", "HIGH", "Maximum number of tasks to use for this connector.",
     "Common", 3, "SHORT", "Tasks max", no_deps},
    {"topics", "LIST", false, "", "HIGH", "List of topics to consume, separated by commas",
     "Common", 4, "LONG", "Topics", NULL},
};

static enum status fk_plugin_config(void *ctx, const char *plugin, struct rest_config_defs *out,
                                    struct err *e)
{
    struct rest_fake *f = ctx;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    if (!known_plugin(plugin))
        st = ST_NOT_FOUND;
    for (size_t i = 0; st == ST_OK && i < ARRAY_LEN(fake_defs); i++)
        st = rest_config_defs_add(out, &fake_defs[i]);
    leave(f);
    return st;
}

static enum status fk_validate(void *ctx, const char *plugin, const struct rest_kvs *config,
                               struct rest_config_infos *out, struct err *e)
{
    struct rest_fake *f = ctx;
    const struct rest_kv *cls = rest_kvs_find(config, "connector.class");
    enum status st = ST_OK;

    UNUSED(plugin);
    enter(f);
    if (!cls) {
        st = err_set(e, ST_CONFIG, "Connector config {} contains no connector type");
        goto out;
    }
    if (!known_plugin(cls->value)) {
        st = err_set(e, ST_CONFIG, "Failed to find any class that implements Connector and which "
                                   "name matches %s", cls->value);
        goto out;
    }
    st = rest_strs_add(&out->groups, "Common");
    for (size_t i = 0; st == ST_OK && i < ARRAY_LEN(fake_defs); i++) {
        const struct rest_kv *kv = rest_kvs_find(config, fake_defs[i].name);
        const char *value = kv ? kv->value : fake_defs[i].default_value;
        const char *errs[2] = {NULL, NULL};
        char msg[160];
        int64_t n;
        if (strcmp(fake_defs[i].name, "tasks.max") == 0 && value &&
            (!str_to_i64(value, strlen(value), &n) || n < 1)) {
            snprintf(msg, sizeof(msg), "Invalid value %s for configuration tasks.max: Value must be at least 1", value);
            errs[0] = msg;
        }
        if (strcmp(fake_defs[i].name, "topics") == 0 && (!value || !*value)) {
            snprintf(msg, sizeof(msg), "Must configure one of topics or topics.regex");
            errs[0] = msg;
        }
        st = rest_config_infos_add(out, &fake_defs[i], value, NULL, errs, true);
    }
out:
    leave(f);
    return st;
}

static enum status fk_loggers(void *ctx, struct rest_loggers *out, struct err *e)
{
    struct rest_fake *f = ctx;
    enum status st = ST_OK;
    UNUSED(e);
    enter(f);
    for (size_t i = 0; i < f->nloggers && st == ST_OK; i++)
        st = rest_loggers_add(out, f->loggers[i].name, f->loggers[i].level, f->loggers[i].last_modified);
    leave(f);
    return st;
}

static enum status fk_logger(void *ctx, const char *name, struct rest_loggers *out, struct err *e)
{
    struct rest_fake *f = ctx;
    enum status st = ST_NOT_FOUND;
    UNUSED(e);
    enter(f);
    for (size_t i = 0; i < f->nloggers; i++)
        if (strcmp(f->loggers[i].name, name) == 0)
            st = rest_loggers_add(out, name, f->loggers[i].level, f->loggers[i].last_modified);
    leave(f);
    return st;
}

static int logger_cmp(const void *a, const void *b)
{
    return strcmp(((const struct fake_logger *)a)->name, ((const struct fake_logger *)b)->name);
}

static enum status fk_set_logger(void *ctx, const char *name, const char *level, bool cluster_scope,
                                 struct rest_strs *modified, struct err *e)
{
    struct rest_fake *f = ctx;
    enum status st = ST_OK;
    bool present = false;
    UNUSED(e);
    enter(f);
    snprintf(f->last.level, sizeof(f->last.level), "%s", level);
    f->last.cluster_scope = cluster_scope;
    for (size_t i = 0; i < f->nloggers; i++)
        present |= strcmp(f->loggers[i].name, name) == 0;
    if (!present && f->nloggers < ARRAY_LEN(f->loggers)) {
        struct fake_logger *lg = &f->loggers[f->nloggers++];
        snprintf(lg->name, sizeof(lg->name), "%s", name);
        lg->last_modified = -1;
        qsort(f->loggers, f->nloggers, sizeof(f->loggers[0]), logger_cmp);
    }
    /* the loggers are kept sorted by name, so @modified comes out sorted */
    for (size_t i = 0; i < f->nloggers && st == ST_OK; i++) {
        struct fake_logger *lg = &f->loggers[i];
        if (strcmp(name, "root") != 0 && strncmp(lg->name, name, strlen(name)) != 0)
            continue;
        snprintf(lg->level, sizeof(lg->level), "%s", level);
        lg->last_modified = 1700000000000;
        if (!cluster_scope)
            st = rest_strs_add(modified, lg->name);
    }
    leave(f);
    return st;
}

static enum status fk_health(void *ctx, struct rest_health *out, struct err *e)
{
    struct rest_fake *f = ctx;
    UNUSED(e);
    enter(f);
    out->state = f->health;
    snprintf(out->details, sizeof(out->details), "%s", f->health_details);
    leave(f);
    return ST_OK;
}

static enum status fk_metrics(void *ctx, struct buf *out, struct err *e)
{
    struct rest_fake *f = ctx;
    enum status st;
    UNUSED(e);
    enter(f);
    st = buf_printf(out, "# HELP aerosink_connectors Connectors defined.\n"
                         "# TYPE aerosink_connectors gauge\naerosink_connectors %zu\n", f->n);
    leave(f);
    return st;
}

/* --- lifecycle, levers, inspection --- */

struct rest_fake *rest_fake_new(void)
{
    static const char *const names[] = {"aerosink.rest", "aerosink.worker", "root"};
    struct rest_fake *f = mem_calloc(1, sizeof(*f));

    if (!f)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        snprintf(f->loggers[i].name, sizeof(f->loggers[i].name), "%s", names[i]);
        snprintf(f->loggers[i].level, sizeof(f->loggers[i].level), "INFO");
        f->loggers[i].last_modified = -1;
    }
    f->nloggers = ARRAY_LEN(names);
    return f;
}

void rest_fake_free(struct rest_fake *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        conn_clear(&f->conns[i]);
    mem_free(f->conns);
    pthread_mutex_destroy(&f->lock);
    mem_free(f);
}

void rest_fake_backend(struct rest_fake *f, struct rest_backend *b)
{
    memset(b, 0, sizeof(*b));
    b->ctx = f;
    b->server_info = fk_server_info;
    b->list_connectors = fk_list;
    b->connector_info = fk_info;
    b->connector_config = fk_config;
    b->connector_status = fk_status;
    b->create_connector = fk_create;
    b->put_connector_config = fk_put;
    b->patch_connector_config = fk_patch;
    b->delete_connector = fk_delete;
    b->restart_connector = fk_restart;
    b->restart_task = fk_restart_task;
    b->pause_connector = fk_pause;
    b->resume_connector = fk_resume;
    b->stop_connector = fk_stop;
    b->task_configs = fk_task_configs;
    b->task_status = fk_task_status;
    b->connector_topics = fk_topics;
    b->reset_connector_topics = fk_topics_reset;
    b->connector_offsets = fk_offsets;
    b->alter_offsets = fk_alter_offsets;
    b->reset_offsets = fk_reset_offsets;
    b->list_plugins = fk_plugins;
    b->plugin_config = fk_plugin_config;
    b->validate_config = fk_validate;
    b->list_loggers = fk_loggers;
    b->get_logger = fk_logger;
    b->set_logger_level = fk_set_logger;
    b->health = fk_health;
    b->metrics = fk_metrics;
}

void rest_fake_set_busy(struct rest_fake *f, bool busy)
{
    pthread_mutex_lock(&f->lock);
    f->busy = busy;
    pthread_mutex_unlock(&f->lock);
}

void rest_fake_set_delay_ms(struct rest_fake *f, unsigned ms)
{
    pthread_mutex_lock(&f->lock);
    f->delay_ms = ms;
    pthread_mutex_unlock(&f->lock);
}

void rest_fake_set_health(struct rest_fake *f, enum rest_health_state st, const char *details)
{
    pthread_mutex_lock(&f->lock);
    f->health = st;
    snprintf(f->health_details, sizeof(f->health_details), "%s", details ? details : "");
    pthread_mutex_unlock(&f->lock);
}

void rest_fake_set_topic_tracking(struct rest_fake *f, bool on)
{
    pthread_mutex_lock(&f->lock);
    f->no_topic_tracking = !on;
    pthread_mutex_unlock(&f->lock);
}

enum status rest_fake_fail_task(struct rest_fake *f, const char *name, int32_t task, const char *trace)
{
    struct fake_conn *c;
    enum status st = ST_OK;

    pthread_mutex_lock(&f->lock);
    if (!(c = find(f, name)) || task < 0 || task >= c->ntasks) {
        st = ST_NOT_FOUND;
    } else {
        c->task_state[task] = REST_FAILED;
        mem_free(c->task_trace[task]);
        c->task_trace[task] = mem_strdup(trace);
    }
    pthread_mutex_unlock(&f->lock);
    return st;
}

size_t rest_fake_count(struct rest_fake *f)
{
    size_t n;
    pthread_mutex_lock(&f->lock);
    n = f->n;
    pthread_mutex_unlock(&f->lock);
    return n;
}

bool rest_fake_exists(struct rest_fake *f, const char *name)
{
    bool yes;
    pthread_mutex_lock(&f->lock);
    yes = find(f, name) != NULL;
    pthread_mutex_unlock(&f->lock);
    return yes;
}

bool rest_fake_config_value(struct rest_fake *f, const char *name, const char *key, char *out, size_t cap)
{
    const struct fake_conn *c;
    const struct rest_kv *kv = NULL;

    pthread_mutex_lock(&f->lock);
    if ((c = find(f, name)) && (kv = rest_kvs_find(&c->config, key)))
        snprintf(out, cap, "%s", kv->value ? kv->value : "(null)");
    pthread_mutex_unlock(&f->lock);
    return kv != NULL;
}

enum rest_state rest_fake_state(struct rest_fake *f, const char *name)
{
    const struct fake_conn *c;
    enum rest_state s;

    pthread_mutex_lock(&f->lock);
    s = (c = find(f, name)) ? c->state : REST_UNASSIGNED;
    pthread_mutex_unlock(&f->lock);
    return s;
}

unsigned long rest_fake_calls(struct rest_fake *f)
{
    unsigned long n;
    pthread_mutex_lock(&f->lock);
    n = f->calls;
    pthread_mutex_unlock(&f->lock);
    return n;
}

void rest_fake_last(struct rest_fake *f, struct rest_fake_last *out)
{
    pthread_mutex_lock(&f->lock);
    *out = f->last;
    pthread_mutex_unlock(&f->lock);
}
