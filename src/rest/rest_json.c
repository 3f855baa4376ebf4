/* src/rest/rest_json.c: the JSON writer and Kafka Connect's response shapes. Field names and
 * order follow connector-spec.md section 10 (Connect's Jackson entities). */
#include <inttypes.h>
#include <string.h>

#include "rest/rest_int.h"

/* --- primitives --- */

void rest__jw_raw(struct rest__jw *w, const char *s)
{
    if (!w->oom && buf_append_str(w->b, s) != ST_OK)
        w->oom = true;
}

void rest__jw_bytes(struct rest__jw *w, const void *p, size_t n)
{
    if (!w->oom && buf_append(w->b, p, n) != ST_OK)
        w->oom = true;
}

#define put rest__jw_bytes

/* Length of the valid UTF-8 sequence at @s (n bytes left), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp, min;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool rest__utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

void rest__jw_strn(struct rest__jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0;     /* start of the pending run of bytes copied verbatim */

    put(w, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t l = utf8_seq(p + i, n - i);
        char esc[8];
        size_t el = 0;

        if (l > 1 || (l == 1 && c >= 0x20 && c != '"' && c != '\\')) {
            i += l;
            continue;
        }
        put(w, s + run, i - run);
        if (l == 0) {
            memcpy(esc, "\\ufffd", 6);     /* not UTF-8: the replacement character */
            el = 6;
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            el = 2;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            el = 2;
        } else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
        }
        put(w, esc, el);
        i += l ? l : 1;
        run = i;
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

void rest__jw_str(struct rest__jw *w, const char *s)
{
    if (!s)
        rest__jw_raw(w, "null");
    else
        rest__jw_strn(w, s, strlen(s));
}

void rest__jw_i64(struct rest__jw *w, int64_t v)
{
    if (!w->oom && buf_printf(w->b, "%" PRId64, v) != ST_OK)
        w->oom = true;
}

void rest__jw_bool(struct rest__jw *w, bool v)
{
    rest__jw_raw(w, v ? "true" : "false");
}

/* --- collections --- */

void rest__jw_kvs(struct rest__jw *w, const struct rest_kvs *m)
{
    rest__jw_raw(w, "{");
    for (size_t i = 0; i < m->n; i++) {
        if (i)
            rest__jw_raw(w, ",");
        rest__jw_str(w, m->v[i].key);
        rest__jw_raw(w, ":");
        rest__jw_str(w, m->v[i].value);
    }
    rest__jw_raw(w, "}");
}

void rest__jw_strs(struct rest__jw *w, const struct rest_strs *l)
{
    rest__jw_raw(w, "[");
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            rest__jw_raw(w, ",");
        rest__jw_str(w, l->v[i]);
    }
    rest__jw_raw(w, "]");
}

/* {"connector":"n","task":0} */
static void task_id(struct rest__jw *w, const char *name, int32_t task)
{
    rest__jw_raw(w, "{\"connector\":");
    rest__jw_str(w, name);
    rest__jw_raw(w, ",\"task\":");
    rest__jw_i64(w, task);
    rest__jw_raw(w, "}");
}

/* ConnectorInfo: {"name","config","tasks":[{"connector","task"}],"type"} */
void rest__jw_info(struct rest__jw *w, const char *name, const struct rest_connector_info *ci)
{
    rest__jw_raw(w, "{\"name\":");
    rest__jw_str(w, name);
    rest__jw_raw(w, ",\"config\":");
    rest__jw_kvs(w, &ci->config);
    rest__jw_raw(w, ",\"tasks\":[");
    for (size_t i = 0; i < ci->n_tasks; i++) {
        if (i)
            rest__jw_raw(w, ",");
        task_id(w, name, ci->tasks[i]);
    }
    rest__jw_raw(w, "],\"type\":");
    rest__jw_str(w, rest_type_name(ci->type));
    rest__jw_raw(w, "}");
}

/* {"state","worker_id"[,"trace"]}: the common part of connector and task states. */
static void state_fields(struct rest__jw *w, enum rest_state st, const char *worker_id,
                         const char *trace)
{
    rest__jw_raw(w, "\"state\":");
    rest__jw_str(w, rest_state_name(st));
    rest__jw_raw(w, ",\"worker_id\":");
    rest__jw_str(w, worker_id);
    if (trace && *trace) {           /* Connect: @JsonInclude(NON_EMPTY) */
        rest__jw_raw(w, ",\"trace\":");
        rest__jw_str(w, trace);
    }
}

void rest__jw_task_state(struct rest__jw *w, const struct rest_task_state *ts)
{
    rest__jw_raw(w, "{\"id\":");
    rest__jw_i64(w, ts->id);
    rest__jw_raw(w, ",");
    state_fields(w, ts->state, ts->worker_id, ts->trace);
    rest__jw_raw(w, "}");
}

/* ConnectorStateInfo: {"name","connector":{...},"tasks":[...],"type"} */
void rest__jw_status(struct rest__jw *w, const char *name, const struct rest_status *st)
{
    rest__jw_raw(w, "{\"name\":");
    rest__jw_str(w, name);
    rest__jw_raw(w, ",\"connector\":{");
    state_fields(w, st->state, st->worker_id, st->trace);
    rest__jw_raw(w, "},\"tasks\":[");
    for (size_t i = 0; i < st->n_tasks; i++) {
        if (i)
            rest__jw_raw(w, ",");
        rest__jw_task_state(w, &st->tasks[i]);
    }
    rest__jw_raw(w, "],\"type\":");
    rest__jw_str(w, rest_type_name(st->type));
    rest__jw_raw(w, "}");
}

/* [{"id":{"connector","task"},"config":{...}}] */
void rest__jw_task_configs(struct rest__jw *w, const char *name, const struct rest_task_configs *l)
{
    rest__jw_raw(w, "[");
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            rest__jw_raw(w, ",");
        rest__jw_raw(w, "{\"id\":");
        task_id(w, name, l->v[i].id);
        rest__jw_raw(w, ",\"config\":");
        rest__jw_kvs(w, &l->v[i].config);
        rest__jw_raw(w, "}");
    }
    rest__jw_raw(w, "]");
}

/* {"offsets":[{"partition":{"kafka_topic","kafka_partition"},"offset":{"kafka_offset"}|null}]} */
void rest__jw_offsets(struct rest__jw *w, const struct rest_offsets *l)
{
    rest__jw_raw(w, "{\"offsets\":[");
    for (size_t i = 0; i < l->n; i++) {
        const struct rest_offset *o = &l->v[i];
        if (i)
            rest__jw_raw(w, ",");
        rest__jw_raw(w, "{\"partition\":{\"kafka_topic\":");
        rest__jw_str(w, o->topic);
        rest__jw_raw(w, ",\"kafka_partition\":");
        rest__jw_i64(w, o->partition);
        rest__jw_raw(w, "},\"offset\":");
        if (o->has_offset) {
            rest__jw_raw(w, "{\"kafka_offset\":");
            rest__jw_i64(w, o->offset);
            rest__jw_raw(w, "}");
        } else {
            rest__jw_raw(w, "null");
        }
        rest__jw_raw(w, "}");
    }
    rest__jw_raw(w, "]}");
}

/* [{"class","type","version"}]; connectors only: types sink and source. */
void rest__jw_plugins(struct rest__jw *w, const struct rest_plugins *l, bool connectors_only)
{
    bool first = true;

    rest__jw_raw(w, "[");
    for (size_t i = 0; i < l->n; i++) {
        const struct rest_plugin *p = &l->v[i];
        if (connectors_only && strcmp(p->type, "sink") != 0 && strcmp(p->type, "source") != 0)
            continue;
        if (!first)
            rest__jw_raw(w, ",");
        first = false;
        rest__jw_raw(w, "{\"class\":");
        rest__jw_str(w, p->class_name);
        rest__jw_raw(w, ",\"type\":");
        rest__jw_str(w, p->type);
        if (p->version) {
            rest__jw_raw(w, ",\"version\":");
            rest__jw_str(w, p->version);
        }
        rest__jw_raw(w, "}");
    }
    rest__jw_raw(w, "]");
}

/* ConfigKeyInfo */
void rest__jw_config_def(struct rest__jw *w, const struct rest_config_def *d)
{
    rest__jw_raw(w, "{\"name\":");
    rest__jw_str(w, d->name);
    rest__jw_raw(w, ",\"type\":");
    rest__jw_str(w, d->type);
    rest__jw_raw(w, ",\"required\":");
    rest__jw_bool(w, d->required);
    rest__jw_raw(w, ",\"default_value\":");
    rest__jw_str(w, d->default_value);
    rest__jw_raw(w, ",\"importance\":");
    rest__jw_str(w, d->importance);
    rest__jw_raw(w, ",\"documentation\":");
    rest__jw_str(w, d->documentation);
    rest__jw_raw(w, ",\"group\":");
    rest__jw_str(w, d->group);
    rest__jw_raw(w, ",\"order\":");
    rest__jw_i64(w, d->order);
    rest__jw_raw(w, ",\"width\":");
    rest__jw_str(w, d->width);
    rest__jw_raw(w, ",\"display_name\":");
    rest__jw_str(w, d->display_name);
    rest__jw_raw(w, ",\"dependents\":");
    rest__jw_strs(w, &d->dependents);
    rest__jw_raw(w, "}");
}

void rest__jw_config_defs(struct rest__jw *w, const struct rest_config_defs *l)
{
    rest__jw_raw(w, "[");
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            rest__jw_raw(w, ",");
        rest__jw_config_def(w, &l->v[i]);
    }
    rest__jw_raw(w, "]");
}

/* ConfigInfos: {"name","error_count","groups","configs":[{"definition","value"}]} */
void rest__jw_config_infos(struct rest__jw *w, const char *name, const struct rest_config_infos *l)
{
    int64_t errors = 0;

    for (size_t i = 0; i < l->n; i++)
        errors += (int64_t)l->v[i].errors.n;   /* messages, as Connect counts them */
    rest__jw_raw(w, "{\"name\":");
    rest__jw_str(w, name);
    rest__jw_raw(w, ",\"error_count\":");
    rest__jw_i64(w, errors);
    rest__jw_raw(w, ",\"groups\":");
    rest__jw_strs(w, &l->groups);
    rest__jw_raw(w, ",\"configs\":[");
    for (size_t i = 0; i < l->n; i++) {
        const struct rest_config_info *ci = &l->v[i];
        if (i)
            rest__jw_raw(w, ",");
        rest__jw_raw(w, "{\"definition\":");
        rest__jw_config_def(w, &ci->def);
        rest__jw_raw(w, ",\"value\":{\"name\":");
        rest__jw_str(w, ci->def.name);
        rest__jw_raw(w, ",\"value\":");
        rest__jw_str(w, ci->value);
        rest__jw_raw(w, ",\"recommended_values\":");
        rest__jw_strs(w, &ci->recommended);
        rest__jw_raw(w, ",\"errors\":");
        rest__jw_strs(w, &ci->errors);
        rest__jw_raw(w, ",\"visible\":");
        rest__jw_bool(w, ci->visible);
        rest__jw_raw(w, "}}");
    }
    rest__jw_raw(w, "]}");
}

/* LoggerLevel: {"level","last_modified"} */
void rest__jw_logger_level(struct rest__jw *w, const struct rest_logger *lg)
{
    rest__jw_raw(w, "{\"level\":");
    rest__jw_str(w, lg->level);
    rest__jw_raw(w, ",\"last_modified\":");
    if (lg->last_modified < 0)
        rest__jw_raw(w, "null");
    else
        rest__jw_i64(w, lg->last_modified);
    rest__jw_raw(w, "}");
}

void rest__jw_loggers(struct rest__jw *w, const struct rest_loggers *l)
{
    rest__jw_raw(w, "{");
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            rest__jw_raw(w, ",");
        rest__jw_str(w, l->v[i].name);
        rest__jw_raw(w, ":");
        rest__jw_logger_level(w, &l->v[i]);
    }
    rest__jw_raw(w, "}");
}

void rest__jw_error(struct rest__jw *w, int code, const char *msg)
{
    rest__jw_raw(w, "{\"error_code\":");
    rest__jw_i64(w, code);
    rest__jw_raw(w, ",\"message\":");
    rest__jw_str(w, msg);
    rest__jw_raw(w, "}");
}
