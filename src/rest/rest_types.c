/* src/rest/rest_types.c: the plain result containers of rest.h (add helpers copy, free
 * functions zero). */
#include <string.h>

#include "rest/rest.h"

/* Room for one more element in list @l (ST_NOMEM when there is none). */
#define GROW(l, vf, nf, capf) \
    (mem_grow(&(l)->vf, &(l)->capf, (l)->nf + 1, sizeof(*(l)->vf), 8) ? ST_OK : ST_NOMEM)

/* Duplicate @s into *@out; NULL stays NULL. */
static enum status dup_opt(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return ST_OK;
    *out = mem_strdup(s);
    return *out ? ST_OK : ST_NOMEM;
}

/* --- strings --- */

enum status rest_strs_add(struct rest_strs *l, const char *s)
{
    char *c;

    if (!s)
        return ST_USAGE;
    if (GROW(l, v, n, cap) != ST_OK || !(c = mem_strdup(s)))
        return ST_NOMEM;
    l->v[l->n++] = c;
    return ST_OK;
}

void rest_strs_free(struct rest_strs *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        mem_free(l->v[i]);
    mem_free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Add each string of the NULL-terminated @arr (NULL: none). */
static enum status strs_add_all(struct rest_strs *l, const char *const *arr)
{
    for (; arr && *arr; arr++)
        if (rest_strs_add(l, *arr) != ST_OK)
            return ST_NOMEM;
    return ST_OK;
}

/* --- key/value pairs --- */

enum status rest_kvs_add(struct rest_kvs *m, const char *key, const char *value)
{
    char *k, *v = NULL;

    if (!key)
        return ST_USAGE;
    if (GROW(m, v, n, cap) != ST_OK || !(k = mem_strdup(key)))
        return ST_NOMEM;
    if (dup_opt(value, &v) != ST_OK) {
        mem_free(k);
        return ST_NOMEM;
    }
    m->v[m->n].key = k;
    m->v[m->n].value = v;
    m->n++;
    return ST_OK;
}

const struct rest_kv *rest_kvs_find(const struct rest_kvs *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].key, key) == 0)
            return &m->v[i];
    return NULL;
}

enum status rest_kvs_put(struct rest_kvs *m, const char *key, const char *value)
{
    struct rest_kv *kv = (struct rest_kv *)rest_kvs_find(m, key);
    char *v;

    if (!kv)
        return value ? rest_kvs_add(m, key, value) : ST_OK;
    if (!value) {
        size_t i = (size_t)(kv - m->v);
        mem_free(kv->key);
        mem_free(kv->value);
        memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
        m->n--;
        return ST_OK;
    }
    if (!(v = mem_strdup(value)))
        return ST_NOMEM;
    mem_free(kv->value);
    kv->value = v;
    return ST_OK;
}

enum status rest_kvs_copy(struct rest_kvs *dst, const struct rest_kvs *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (rest_kvs_add(dst, src->v[i].key, src->v[i].value) != ST_OK)
            return ST_NOMEM;
    return ST_OK;
}

void rest_kvs_free(struct rest_kvs *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        mem_free(m->v[i].key);
        mem_free(m->v[i].value);
    }
    mem_free(m->v);
    memset(m, 0, sizeof(*m));
}

/* --- names --- */

const char *rest_state_name(enum rest_state s)
{
    static const char *const names[] = {"UNASSIGNED", "RUNNING", "PAUSED",
                                        "STOPPED",    "FAILED",  "RESTARTING"};
    return (unsigned)s < ARRAY_LEN(names) ? names[s] : "UNASSIGNED";
}

const char *rest_type_name(enum rest_conn_type t)
{
    static const char *const names[] = {"sink", "source", "unknown"};
    return (unsigned)t < ARRAY_LEN(names) ? names[t] : "unknown";
}

/* --- status --- */

enum status rest_status_set(struct rest_status *s, enum rest_state st, const char *worker_id,
                            const char *trace)
{
    char *w, *t;

    if (dup_opt(worker_id, &w) != ST_OK)
        return ST_NOMEM;
    if (dup_opt(trace, &t) != ST_OK) {
        mem_free(w);
        return ST_NOMEM;
    }
    mem_free(s->worker_id);
    mem_free(s->trace);
    s->state = st;
    s->worker_id = w;
    s->trace = t;
    return ST_OK;
}

enum status rest_status_add_task(struct rest_status *s, int32_t id, enum rest_state st,
                                 const char *worker_id, const char *trace)
{
    struct rest_task_state *ts;

    if (GROW(s, tasks, n_tasks, cap_tasks) != ST_OK)
        return ST_NOMEM;
    ts = &s->tasks[s->n_tasks];
    memset(ts, 0, sizeof(*ts));
    ts->id = id;
    ts->state = st;
    if (dup_opt(worker_id, &ts->worker_id) != ST_OK)
        return ST_NOMEM;
    if (dup_opt(trace, &ts->trace) != ST_OK) {
        mem_free(ts->worker_id);
        return ST_NOMEM;
    }
    s->n_tasks++;
    return ST_OK;
}

void rest_status_free(struct rest_status *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_tasks; i++) {
        mem_free(s->tasks[i].worker_id);
        mem_free(s->tasks[i].trace);
    }
    mem_free(s->tasks);
    mem_free(s->worker_id);
    mem_free(s->trace);
    memset(s, 0, sizeof(*s));
}

/* --- connector info, task configs --- */

enum status rest_info_add_task(struct rest_connector_info *ci, int32_t task)
{
    if (GROW(ci, tasks, n_tasks, cap_tasks) != ST_OK)
        return ST_NOMEM;
    ci->tasks[ci->n_tasks++] = task;
    return ST_OK;
}

void rest_info_free(struct rest_connector_info *ci)
{
    if (!ci)
        return;
    rest_kvs_free(&ci->config);
    mem_free(ci->tasks);
    buf_free(&ci->refused);
    memset(ci, 0, sizeof(*ci));
}

struct rest_kvs *rest_task_configs_add(struct rest_task_configs *l, int32_t id)
{
    struct rest_task_config *tc;

    if (GROW(l, v, n, cap) != ST_OK)
        return NULL;
    tc = &l->v[l->n++];
    memset(tc, 0, sizeof(*tc));
    tc->id = id;
    return &tc->config;
}

void rest_task_configs_free(struct rest_task_configs *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        rest_kvs_free(&l->v[i].config);
    mem_free(l->v);
    memset(l, 0, sizeof(*l));
}

/* --- offsets --- */

enum status rest_offsets_add(struct rest_offsets *l, const char *topic, int32_t partition,
                             bool has_offset, int64_t offset)
{
    char *t;

    if (!topic)
        return ST_USAGE;
    if (GROW(l, v, n, cap) != ST_OK || !(t = mem_strdup(topic)))
        return ST_NOMEM;
    l->v[l->n].topic = t;
    l->v[l->n].partition = partition;
    l->v[l->n].has_offset = has_offset;
    l->v[l->n].offset = has_offset ? offset : 0;
    l->n++;
    return ST_OK;
}

void rest_offsets_free(struct rest_offsets *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        mem_free(l->v[i].topic);
    mem_free(l->v);
    memset(l, 0, sizeof(*l));
}

/* --- plugins --- */

enum status rest_plugins_add(struct rest_plugins *l, const char *class_name, const char *type,
                             const char *version)
{
    struct rest_plugin p = {0};

    if (!class_name || !type)
        return ST_USAGE;
    if (GROW(l, v, n, cap) != ST_OK)
        return ST_NOMEM;
    if (dup_opt(class_name, &p.class_name) != ST_OK || dup_opt(type, &p.type) != ST_OK ||
        dup_opt(version, &p.version) != ST_OK) {
        mem_free(p.class_name);
        mem_free(p.type);
        return ST_NOMEM;
    }
    l->v[l->n++] = p;
    return ST_OK;
}

void rest_plugins_free(struct rest_plugins *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        mem_free(l->v[i].class_name);
        mem_free(l->v[i].type);
        mem_free(l->v[i].version);
    }
    mem_free(l->v);
    memset(l, 0, sizeof(*l));
}

/* --- config definitions and validation results --- */

static void def_free(struct rest_config_def *d)
{
    mem_free(d->name);
    mem_free(d->type);
    mem_free(d->default_value);
    mem_free(d->importance);
    mem_free(d->documentation);
    mem_free(d->group);
    mem_free(d->width);
    mem_free(d->display_name);
    rest_strs_free(&d->dependents);
    memset(d, 0, sizeof(*d));
}

/* Fill @d (zeroed) from @s; on failure @d is left freed. */
static enum status def_fill(struct rest_config_def *d, const struct rest_def_spec *s)
{
    if (!s->name)
        return ST_USAGE;
    if (dup_opt(s->name, &d->name) != ST_OK || dup_opt(s->type, &d->type) != ST_OK ||
        dup_opt(s->default_value, &d->default_value) != ST_OK ||
        dup_opt(s->importance, &d->importance) != ST_OK ||
        dup_opt(s->documentation, &d->documentation) != ST_OK ||
        dup_opt(s->group, &d->group) != ST_OK || dup_opt(s->width, &d->width) != ST_OK ||
        dup_opt(s->display_name, &d->display_name) != ST_OK ||
        strs_add_all(&d->dependents, s->dependents) != ST_OK) {
        def_free(d);
        return ST_NOMEM;
    }
    d->required = s->required;
    d->order = s->order;
    return ST_OK;
}

enum status rest_config_defs_add(struct rest_config_defs *l, const struct rest_def_spec *spec)
{
    enum status st;

    if (GROW(l, v, n, cap) != ST_OK)
        return ST_NOMEM;
    memset(&l->v[l->n], 0, sizeof(l->v[0]));
    if ((st = def_fill(&l->v[l->n], spec)) != ST_OK)
        return st;
    l->n++;
    return ST_OK;
}

void rest_config_defs_free(struct rest_config_defs *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        def_free(&l->v[i]);
    mem_free(l->v);
    memset(l, 0, sizeof(*l));
}

enum status rest_config_infos_set_name(struct rest_config_infos *l, const char *name)
{
    char *c;

    if (dup_opt(name, &c) != ST_OK)
        return ST_NOMEM;
    mem_free(l->name);
    l->name = c;
    return ST_OK;
}

static void info_free(struct rest_config_info *ci)
{
    def_free(&ci->def);
    mem_free(ci->value);
    rest_strs_free(&ci->recommended);
    rest_strs_free(&ci->errors);
    memset(ci, 0, sizeof(*ci));
}

enum status rest_config_infos_add(struct rest_config_infos *l, const struct rest_def_spec *def,
                                  const char *value, const char *const *recommended,
                                  const char *const *errors, bool visible)
{
    struct rest_config_info *ci;
    enum status st;

    if (GROW(l, v, n, cap) != ST_OK)
        return ST_NOMEM;
    ci = &l->v[l->n];
    memset(ci, 0, sizeof(*ci));
    if ((st = def_fill(&ci->def, def)) != ST_OK)
        return st;
    if (dup_opt(value, &ci->value) != ST_OK || strs_add_all(&ci->recommended, recommended) != ST_OK ||
        strs_add_all(&ci->errors, errors) != ST_OK) {
        info_free(ci);
        return ST_NOMEM;
    }
    ci->visible = visible;
    l->n++;
    return ST_OK;
}

void rest_config_infos_free(struct rest_config_infos *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        info_free(&l->v[i]);
    mem_free(l->v);
    mem_free(l->name);
    rest_strs_free(&l->groups);
    memset(l, 0, sizeof(*l));
}

/* --- loggers --- */

enum status rest_loggers_add(struct rest_loggers *l, const char *name, const char *level,
                             int64_t last_modified)
{
    struct rest_logger lg = {0};

    if (!name || !level)
        return ST_USAGE;
    if (GROW(l, v, n, cap) != ST_OK)
        return ST_NOMEM;
    if (dup_opt(name, &lg.name) != ST_OK || dup_opt(level, &lg.level) != ST_OK) {
        mem_free(lg.name);
        return ST_NOMEM;
    }
    lg.last_modified = last_modified;
    l->v[l->n++] = lg;
    return ST_OK;
}

void rest_loggers_free(struct rest_loggers *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        mem_free(l->v[i].name);
        mem_free(l->v[i].level);
    }
    mem_free(l->v);
    memset(l, 0, sizeof(*l));
}
