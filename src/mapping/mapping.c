/* src/mapping/mapping.c: record -> Aerospike request (connector-spec §3.4, §3.5, §5, §6). */
#include <string.h>

#include "mapping.h"

#define MAX_DEPTH 64

struct mapping {
    struct mapping_spec s;          /* strings point into arena */
    struct mapping_bin *bins;
    struct mapping_rop *rops;
    struct conv_value *rop_static;  /* per operation: [2i] its static operand, [2i+1] its static
                                     * map key, as values so they encode like field values */
    bool rops_repeatable;           /* no list-append / increment among them */
    bool rops_map;                  /* a map-put among them (RESPOND_ALL_OPS, as the C client) */
    char *arena;
    size_t ns_len, set_len, topic_len;
    uint8_t info2, info3;
};

/* --- construction --- */

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *arena_put(char **cur, const char *s)
{
    size_t n;
    char *d;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    d = *cur;
    memcpy(d, s, n);
    *cur += n;
    return d;
}

static enum status check_spec(const struct mapping_spec *s, struct err *e)
{
    const char *t = s->topic ? s->topic : "?";

    if (s->ns.src == MAPPING_SRC_STATIC) {
        size_t n = s->ns.text ? strlen(s->ns.text) : 0;
        if (n == 0 || n > AERO_NAMESPACE_MAX)
            return err_set(e, ST_CONFIG, "topics.%s.mapping.namespace: '%s' must be 1..31 bytes", t,
                           s->ns.text ? s->ns.text : "");
    } else if (s->ns.src != MAPPING_SRC_VALUE_FIELD || !s->ns.text) {
        return err_set(e, ST_CONFIG, "topics.%s.mapping.namespace: static value or value-field required", t);
    }
    if (s->set.src == MAPPING_SRC_STATIC && s->set.text && strlen(s->set.text) > AERO_SET_MAX)
        return err_set(e, ST_CONFIG, "topics.%s.mapping.set: '%s' is over 63 bytes", t, s->set.text);
    if (s->key_kind != MAPPING_KEY_KAFKA_KEY && (!s->key_field || !*s->key_field))
        return err_set(e, ST_CONFIG, "topics.%s.mapping: key field name missing", t);
    if (s->send_key && s->key_kind == MAPPING_KEY_DIGEST_FIELD)
        return err_set(e, ST_CONFIG, "topics.%s: send-key needs a user key, not a digest", t);
    for (size_t i = 0; i < s->n_bins; i++) {
        size_t n = s->bins[i].bin ? strlen(s->bins[i].bin) : 0;
        if (n == 0 || n > AERO_BIN_NAME_MAX)
            return err_set(e, ST_CONFIG, "topics.%s.mapping.bins.map: bin name '%s' must be 1..15 bytes", t,
                           s->bins[i].bin ? s->bins[i].bin : "");
        if (!s->bins[i].field || !*s->bins[i].field)
            return err_set(e, ST_CONFIG, "topics.%s.mapping.bins.map.%s: field-name missing", t, s->bins[i].bin);
    }
    if (s->op == MAPPING_OP_OPERATE && s->n_rops == 0)
        return err_set(e, ST_CONFIG, "topics.%s.aerospike-operation.operations: type operate needs operations", t);
    for (size_t i = 0; i < s->n_rops; i++) {
        const struct mapping_rop *r = &s->rops[i];
        size_t n = r->bin ? strlen(r->bin) : 0;
        if (n == 0 || n > AERO_BIN_NAME_MAX)
            return err_set(e, ST_CONFIG, "topics.%s.aerospike-operation.operations[%zu].bin: '%s' must be 1..15 "
                           "bytes", t, i, r->bin ? r->bin : "");
        if (!r->field && r->value.type == MAPPING_SCALAR_NONE)
            return err_set(e, ST_CONFIG, "topics.%s.aerospike-operation.operations[%zu]: field-name or value "
                           "required", t, i);
        if (r->kind == MAPPING_ROP_INCREMENT && !r->field && r->value.type != MAPPING_SCALAR_INT &&
            r->value.type != MAPPING_SCALAR_DOUBLE)
            return err_set(e, ST_CONFIG, "topics.%s.aerospike-operation.operations[%zu].value: increment needs a "
                           "number", t, i);
        if (r->kind == MAPPING_ROP_MAP_PUT && !r->key_field && !r->key)
            return err_set(e, ST_CONFIG, "topics.%s.aerospike-operation.operations[%zu]: map-put needs key-field "
                           "or key", t, i);
    }
    if (s->op == MAPPING_OP_WRITE && !s->all_value_fields && s->n_bins == 0)
        return err_set(e, ST_CONFIG, "topics.%s.mapping.bins: all-value-fields is false and map is empty: "
                       "nothing to write", t);
    if (s->ttl.src == MAPPING_SRC_STATIC && s->ttl_static != 0 && s->ttl_static != -1 && s->ttl_static != -2 &&
        (s->ttl_static < 1 || s->ttl_static > (int64_t)AERO_TTL_MAX))
        return err_set(e, ST_CONFIG, "topics.%s.mapping.ttl: %lld is not 0, -1, -2 or 1..315360000", t,
                       (long long)s->ttl_static);
    return ST_OK;
}

/* A static operand as a value (strings borrowed from the mapping's arena). */
static struct conv_value static_value(const struct mapping_scalar *v)
{
    switch (v->type) {
    case MAPPING_SCALAR_INT: return (struct conv_value){.type = CONV_INT, .i = v->i};
    case MAPPING_SCALAR_DOUBLE: return (struct conv_value){.type = CONV_DOUBLE, .d = v->d};
    case MAPPING_SCALAR_BOOL: return (struct conv_value){.type = CONV_BOOL, .b = v->b};
    case MAPPING_SCALAR_STRING:
        return (struct conv_value){.type = CONV_STRING, .s = {v->s, (uint32_t)strlen(v->s)}};
    case MAPPING_SCALAR_NONE: break;
    }
    return (struct conv_value){.type = CONV_NULL};
}

struct mapping *mapping_new(const struct mapping_spec *spec, struct err *e)
{
    struct mapping *m;
    size_t need;
    char *cur;

    if (check_spec(spec, e) != ST_OK)
        return NULL;
    m = mem_calloc(1, sizeof(*m));
    if (!m)
        goto nomem;
    m->s = *spec;
    need = str_size(spec->topic) + str_size(spec->ns.text) + str_size(spec->set.text) +
           str_size(spec->key_field) + str_size(spec->ttl.text) + str_size(spec->gen_field) + 1;
    for (size_t i = 0; i < spec->n_bins; i++)
        need += str_size(spec->bins[i].bin) + str_size(spec->bins[i].field);
    for (size_t i = 0; i < spec->n_rops; i++)
        need += str_size(spec->rops[i].bin) + str_size(spec->rops[i].field) + str_size(spec->rops[i].value.s) +
                str_size(spec->rops[i].key_field) + str_size(spec->rops[i].key);
    m->arena = mem_malloc(need);
    m->bins = mem_calloc(spec->n_bins ? spec->n_bins : 1, sizeof(*m->bins));
    m->rops = mem_calloc(spec->n_rops ? spec->n_rops : 1, sizeof(*m->rops));
    m->rop_static = mem_calloc(spec->n_rops ? 2 * spec->n_rops : 1, sizeof(*m->rop_static));
    if (!m->arena || !m->bins || !m->rops || !m->rop_static)
        goto nomem;
    cur = m->arena;
    m->s.topic = arena_put(&cur, spec->topic ? spec->topic : "");
    m->s.ns.text = arena_put(&cur, spec->ns.text);
    m->s.set.text = arena_put(&cur, spec->set.text);
    m->s.key_field = arena_put(&cur, spec->key_field);
    m->s.ttl.text = arena_put(&cur, spec->ttl.text);
    m->s.gen_field = arena_put(&cur, spec->gen_field);
    for (size_t i = 0; i < spec->n_bins; i++) {
        m->bins[i].bin = arena_put(&cur, spec->bins[i].bin);
        m->bins[i].field = arena_put(&cur, spec->bins[i].field);
    }
    m->s.bins = m->bins;
    m->rops_repeatable = true;
    for (size_t i = 0; i < spec->n_rops; i++) {
        m->rops[i] = spec->rops[i];
        m->rops[i].bin = arena_put(&cur, spec->rops[i].bin);
        m->rops[i].field = arena_put(&cur, spec->rops[i].field);
        m->rops[i].value.s = arena_put(&cur, spec->rops[i].value.s);
        m->rops[i].key_field = arena_put(&cur, spec->rops[i].key_field);
        m->rops[i].key = arena_put(&cur, spec->rops[i].key);
        m->rop_static[2 * i] = static_value(&m->rops[i].value);
        if (m->rops[i].key)
            m->rop_static[2 * i + 1] = (struct conv_value){.type = CONV_STRING, .s = {m->rops[i].key,
                                                                                    (uint32_t)strlen(m->rops[i].key)}};
        if (spec->rops[i].kind == MAPPING_ROP_LIST_APPEND || spec->rops[i].kind == MAPPING_ROP_INCREMENT)
            m->rops_repeatable = false;
        if (spec->rops[i].kind == MAPPING_ROP_MAP_PUT)
            m->rops_map = true;
    }
    m->s.rops = m->rops;
    m->ns_len = m->s.ns.text ? strlen(m->s.ns.text) : 0;
    m->set_len = m->s.set.src == MAPPING_SRC_STATIC && m->s.set.text ? strlen(m->s.set.text) : 0;

    m->info2 = AERO_INFO2_WRITE;
    m->info3 = spec->commit_master ? AERO_INFO3_COMMIT_MASTER : 0;
    switch (spec->exists) {
    case MAPPING_EXISTS_UPDATE: break;
    case MAPPING_EXISTS_UPDATE_ONLY: m->info3 |= AERO_INFO3_UPDATE_ONLY; break;
    case MAPPING_EXISTS_REPLACE: m->info3 |= AERO_INFO3_CREATE_OR_REPLACE; break;
    case MAPPING_EXISTS_REPLACE_ONLY: m->info3 |= AERO_INFO3_REPLACE_ONLY; break;
    case MAPPING_EXISTS_CREATE_ONLY: m->info2 |= AERO_INFO2_CREATE_ONLY; break;
    }
    if (spec->gen == MAPPING_GEN_EQUAL)
        m->info2 |= AERO_INFO2_GENERATION;
    else if (spec->gen == MAPPING_GEN_GREATER)
        m->info2 |= AERO_INFO2_GENERATION_GT;
    return m;
nomem:
    err_set(e, ST_NOMEM, "mapping for topic %s", spec->topic ? spec->topic : "?");
    mapping_free(m);
    return NULL;
}

void mapping_free(struct mapping *m)
{
    if (!m)
        return;
    mem_free(m->arena);
    mem_free(m->bins);
    mem_free(m->rops);
    mem_free(m->rop_static);
    mem_free(m);
}

const char *mapping_topic(const struct mapping *m)
{
    return m->s.topic;
}

bool mapping_uses_headers(const struct mapping *m)
{
    return m->s.ttl.src == MAPPING_SRC_HEADER;
}

bool mapping_uses_kafka_ts(const struct mapping *m)
{
    return m->s.guard_kafka_ts;
}

/* --- per record --- */

static const char *type_name(const struct conv_value *v)
{
    if (!v)
        return "missing";
    switch (v->type) {
    case CONV_NULL: return "null";
    case CONV_BOOL: return "a boolean";
    case CONV_INT: return "an integer";
    case CONV_DOUBLE: return "a double";
    case CONV_STRING: return "a string";
    case CONV_BYTES: return "bytes";
    case CONV_LIST: return "a list";
    case CONV_MAP: return "a map";
    }
    return "unknown";
}

static const struct conv_value *root_of(const struct conv_doc *d)
{
    const struct conv_value *r = d ? conv_doc_root(d) : NULL;
    return r && r->type != CONV_NULL ? r : NULL;
}

/* A value-field lookup that explains a missing field or a non-map value. */
static enum status need_field(const struct conv_doc *d, const char *what, const char *name,
                              const struct conv_value **out, struct err *e)
{
    const struct conv_value *r = root_of(d);
    if (!r)
        return err_set(e, ST_MAPPING, "%s: value is null, field '%s' unavailable", what, name);
    if (r->type != CONV_MAP)
        return err_set(e, ST_MAPPING, "%s: value is %s, not a map/struct: field '%s' unavailable", what,
                       type_name(r), name);
    *out = conv_map_get(d, r, name, strlen(name));
    if (!*out || (*out)->type == CONV_NULL)
        return err_set(e, ST_MAPPING, "%s: field '%s' %s", what, name, *out ? "is null" : "missing from the value");
    return ST_OK;
}

static enum status resolve_name(const struct conv_doc *val, const struct mapping_ref *ref, const char *what,
                                size_t max, const char **p, size_t *n, struct err *e)
{
    const struct conv_value *v;
    if (ref->src == MAPPING_SRC_NONE) {
        *p = "";
        *n = 0;
        return ST_OK;
    }
    if (ref->src == MAPPING_SRC_STATIC) {
        *p = ref->text;
        *n = strlen(ref->text);
        return ST_OK;
    }
    if (need_field(val, what, ref->text, &v, e) != ST_OK)
        return ST_MAPPING;
    if (v->type != CONV_STRING)
        return err_set(e, ST_MAPPING, "%s: field '%s' is %s, not a string", what, ref->text, type_name(v));
    if (v->s.n == 0 || v->s.n > max)
        return err_set(e, ST_MAPPING, "%s: field '%s' value '%.*s' must be 1..%zu bytes", what, ref->text,
                       (int)MIN(v->s.n, 80), v->s.p, max);
    *p = v->s.p;
    *n = v->s.n;
    return ST_OK;
}

static enum status key_from_value(const struct conv_value *v, const char *what, struct aero_key_value *k,
                                  struct err *e)
{
    switch (v ? v->type : CONV_NULL) {
    case CONV_STRING:
        *k = (struct aero_key_value){.type = AERO_PT_STRING, .p = (const uint8_t *)v->s.p, .n = v->s.n};
        return ST_OK;
    case CONV_INT:
        *k = (struct aero_key_value){.type = AERO_PT_INTEGER, .i = v->i};
        return ST_OK;
    case CONV_BYTES:
        *k = (struct aero_key_value){.type = AERO_PT_BLOB, .p = (const uint8_t *)v->s.p, .n = v->s.n};
        return ST_OK;
    default:
        return err_set(e, ST_MAPPING, "%s is %s; a user key must be a string, an integer or bytes", what,
                       type_name(v));
    }
}

static bool header_find(const struct mapping_input *in, const char *name, const struct mapping_header **h)
{
    /* the last header of that name wins, as Kafka's headers.lastHeader() */
    for (size_t i = in->n_headers; i-- > 0;) {
        if (strcmp(in->headers[i].name, name) == 0) {
            *h = &in->headers[i];
            return true;
        }
    }
    return false;
}

static enum status ttl_from_number(const struct mapping *m, int64_t v, const struct mapping_input *in,
                                   const char *what, uint32_t *ttl, bool *expired, struct err *e)
{
    int64_t now_s = (int64_t)(in->now_ms / 1000);

    if (m->s.ttl_unit != MAPPING_TTL_SECONDS && v <= 0)
        return err_set(e, ST_MAPPING, "%s: %lld is not an expiry time (epoch %s must be positive)", what, (long long)v,
                       m->s.ttl_unit == MAPPING_TTL_EPOCH_MILLIS ? "milliseconds" : "seconds");
    if (m->s.ttl_unit == MAPPING_TTL_EPOCH_MILLIS)
        v = v / 1000;
    if (m->s.ttl_unit != MAPPING_TTL_SECONDS) {
        if (v <= now_s) {
            *expired = true;
            return ST_OK;
        }
        v -= now_s;
    }
    if (v == -1)
        *ttl = AERO_TTL_NEVER_EXPIRE;
    else if (v == -2)
        *ttl = AERO_TTL_DONT_UPDATE;
    else if (v >= 0 && v <= (int64_t)AERO_TTL_MAX)
        *ttl = (uint32_t)v;
    else
        return err_set(e, ST_MAPPING, "%s: TTL %lld is not 0, -1, -2 or 1..315360000", what, (long long)v);
    return ST_OK;
}

static enum status resolve_ttl(const struct mapping *m, const struct mapping_input *in, uint32_t *ttl,
                               bool *expired, struct err *e)
{
    const struct conv_value *v;
    const struct mapping_header *h;
    int64_t n;

    *expired = false;
    switch (m->s.ttl.src) {
    case MAPPING_SRC_STATIC:
        return ttl_from_number(m, m->s.ttl_static, in, "ttl", ttl, expired, e);
    case MAPPING_SRC_VALUE_FIELD:
        if (need_field(in->value, "ttl", m->s.ttl.text, &v, e) != ST_OK)
            return ST_MAPPING;
        if (v->type == CONV_STRING) {   /* "7200": a number in a string, as documented */
            if (!str_to_i64(v->s.p, v->s.n, &n))
                return err_set(e, ST_MAPPING, "ttl: field '%s' value '%.*s' is not an integer", m->s.ttl.text,
                               (int)MIN(v->s.n, 40), v->s.p);
            return ttl_from_number(m, n, in, "ttl", ttl, expired, e);
        }
        if (v->type != CONV_INT)
            return err_set(e, ST_MAPPING, "ttl: field '%s' is %s, not an integer", m->s.ttl.text, type_name(v));
        return ttl_from_number(m, v->i, in, "ttl", ttl, expired, e);
    case MAPPING_SRC_HEADER:
        if (!header_find(in, m->s.ttl.text, &h))
            return err_set(e, ST_MAPPING, "ttl: header '%s' missing", m->s.ttl.text);
        if (!h->value || !str_to_i64(h->value, h->len, &n))
            return err_set(e, ST_MAPPING, "ttl: header '%s' value '%.*s' is not a decimal integer",
                           m->s.ttl.text, (int)MIN(h->len, 40), h->value ? (const char *)h->value : "");
        return ttl_from_number(m, n, in, "ttl", ttl, expired, e);
    default:
        *ttl = AERO_TTL_NAMESPACE_DEFAULT;
        return ST_OK;
    }
}

/* MessagePack for a list/map subtree. Nodes are pre-order: children follow their parent. */
static enum status put_mp(struct buf *b, const struct conv_doc *d, const struct conv_value *v, int depth,
                          struct err *e)
{
    enum status st = ST_OK;
    uint32_t idx, end, nth = 0;

    if (depth > MAX_DEPTH)
        return err_set(e, ST_MAPPING, "value nested deeper than %d levels", MAX_DEPTH);
    switch (v->type) {
    case CONV_NULL: return aero_mp_nil(b);
    case CONV_BOOL: return aero_mp_bool(b, v->b);
    case CONV_INT: return aero_mp_int(b, v->i);
    case CONV_DOUBLE: return aero_mp_double(b, v->d);
    case CONV_STRING: return aero_mp_str(b, v->s.p, v->s.n);
    case CONV_BYTES: return aero_mp_blob(b, (const uint8_t *)v->s.p, v->s.n);
    case CONV_LIST:
    case CONV_MAP:
        st = v->type == CONV_LIST ? aero_mp_array(b, v->count) : aero_mp_map(b, v->count);
        idx = conv_doc_index(d, v) + 1;
        end = v->next;
        while (st == ST_OK && idx < end) {
            const struct conv_value *c = conv_doc_node(d, idx);
            bool is_key = v->type == CONV_MAP && nth++ % 2 == 0;
            if (is_key &&
                c->type != CONV_STRING && c->type != CONV_INT && c->type != CONV_BYTES)
                return err_set(e, ST_MAPPING, "map key is %s; Aerospike map keys must be strings, integers "
                               "or bytes", type_name(c));
            st = put_mp(b, d, c, depth + 1, e);
            idx = c->next;
        }
        return st;
    }
    return ST_INTERNAL;
}

static enum status put_bin(const struct mapping *m, struct aero_msg *msg, const struct conv_doc *d,
                           const char *name, size_t name_len, const struct conv_value *v, struct err *e)
{
    if (name_len > AERO_BIN_NAME_MAX)
        return err_set(e, ST_MAPPING, "bin name '%.*s' is %zu bytes (max 15)", (int)MIN(name_len, 64), name,
                       name_len);
    if (name_len == 0)
        return err_set(e, ST_MAPPING, "empty field name cannot be a bin name");
    switch (v->type) {
    case CONV_NULL: return ST_OK;   /* null fields are omitted (connector-spec §6.4) */
    case CONV_BOOL:
        if (m->s.bool_as_int)
            aero_msg_op_int(msg, AERO_OP_WRITE, name, name_len, v->b ? 1 : 0);
        else
            aero_msg_op_bool(msg, AERO_OP_WRITE, name, name_len, v->b);
        break;
    case CONV_INT: aero_msg_op_int(msg, AERO_OP_WRITE, name, name_len, v->i); break;
    case CONV_DOUBLE: aero_msg_op_double(msg, AERO_OP_WRITE, name, name_len, v->d); break;
    case CONV_STRING: aero_msg_op(msg, AERO_OP_WRITE, AERO_PT_STRING, name, name_len, v->s.p, v->s.n); break;
    case CONV_BYTES: aero_msg_op(msg, AERO_OP_WRITE, AERO_PT_BLOB, name, name_len, v->s.p, v->s.n); break;
    case CONV_LIST:
    case CONV_MAP: {
        aero_msg_op_open(msg, AERO_OP_WRITE, v->type == CONV_LIST ? AERO_PT_LIST : AERO_PT_MAP, name, name_len);
        if (msg->st == ST_OK && put_mp(msg->b, d, v, 0, e) != ST_OK)
            return ST_MAPPING;
        aero_msg_op_close(msg);
        break;
    }
    }
    return msg->st == ST_OK ? ST_OK : err_set(e, ST_MAPPING, "%s", msg->why);
}

static bool is_mapped_source(const struct mapping *m, const char *field, size_t n)
{
    for (size_t i = 0; i < m->s.n_bins; i++)
        if (str_eq(field, n, m->bins[i].field))
            return true;
    return false;
}

/* stale-write-guard kafka-timestamp: the filter field (see struct mapping_spec) */
static void put_guard(const struct mapping *m, const struct mapping_input *in, struct aero_msg *msg)
{
    uint8_t f[AERO_EXP_GUARD_MAX];

    if (m->s.guard_kafka_ts && in->kafka_ts_ms >= 0)
        aero_msg_field(msg, AERO_FIELD_FILTER, f, aero_exp_absent_or_le(f, MAPPING_TS_BIN, in->kafka_ts_ms));
}

static enum status put_bins(const struct mapping *m, struct aero_msg *msg, const struct conv_doc *d,
                            struct err *e)
{
    const struct conv_value *root = root_of(d);

    if (!root || root->type != CONV_MAP)
        return err_set(e, ST_MAPPING, "bins: value is %s, not a map/struct", type_name(root));
    for (size_t i = 0; i < m->s.n_bins; i++) {
        const struct conv_value *v = conv_map_get(d, root, m->bins[i].field, strlen(m->bins[i].field));
        if (v && put_bin(m, msg, d, m->bins[i].bin, strlen(m->bins[i].bin), v, e) != ST_OK)
            return ST_MAPPING;
    }
    if (m->s.all_value_fields) {
        uint32_t idx = conv_doc_index(d, root) + 1;
        while (idx < root->next) {
            const struct conv_value *k = conv_doc_node(d, idx);
            const struct conv_value *v = conv_doc_node(d, k->next);
            if (k->type != CONV_STRING)
                return err_set(e, ST_MAPPING, "bins: value has a non-string field name");
            if (!is_mapped_source(m, k->s.p, k->s.n) && put_bin(m, msg, d, k->s.p, k->s.n, v, e) != ST_OK)
                return ST_MAPPING;
            idx = v->next;
        }
    }
    return ST_OK;
}

/* --- type operate: record operations --- */

/* A list-append or map-put: CDT_MODIFY with msgpack [op code, (map key,) value] (wire doc §5). */
static enum status put_cdt(struct aero_msg *msg, const struct mapping_rop *r, const struct conv_doc *d,
                           const struct conv_value *operand, const struct conv_value *map_key, struct err *e)
{
    bool map = r->kind == MAPPING_ROP_MAP_PUT;
    enum status st;

    aero_msg_op_open(msg, AERO_OP_CDT_MODIFY, AERO_PT_BLOB, r->bin, strlen(r->bin));
    if (msg->st != ST_OK)
        return err_set(e, ST_MAPPING, "%s", msg->why);
    st = aero_mp_array(msg->b, map ? 3 : 2);
    if (st == ST_OK)
        st = aero_mp_int(msg->b, map ? AERO_CDT_MAP_PUT : AERO_CDT_LIST_APPEND);
    if (st == ST_OK && map)
        st = put_mp(msg->b, d, map_key, 1, e);
    if (st == ST_OK)
        st = put_mp(msg->b, d, operand, 1, e);
    if (st != ST_OK)
        return st == ST_NOMEM ? err_set(e, ST_NOMEM, "operations: out of memory") : ST_MAPPING;
    aero_msg_op_close(msg);
    return msg->st == ST_OK ? ST_OK : err_set(e, ST_MAPPING, "%s", msg->why);
}

static enum status put_rops(const struct mapping *m, struct aero_msg *msg, const struct conv_doc *d,
                            struct err *e)
{
    const struct conv_value *root = root_of(d);

    for (size_t i = 0; i < m->s.n_rops; i++) {
        const struct mapping_rop *r = &m->rops[i];
        const struct conv_value *operand = &m->rop_static[2 * i], *map_key = &m->rop_static[2 * i + 1];
        size_t bl = strlen(r->bin);

        if ((r->field || r->key_field) && (!root || root->type != CONV_MAP))
            return err_set(e, ST_MAPPING, "operations: value is %s, not a map/struct", type_name(root));
        if (r->field) {
            operand = conv_map_get(d, root, r->field, strlen(r->field));
            if (!operand || operand->type == CONV_NULL)
                continue;   /* like a missing bin: this operation is left out */
        }
        if (r->kind == MAPPING_ROP_MAP_PUT && r->key_field) {
            map_key = conv_map_get(d, root, r->key_field, strlen(r->key_field));
            if (!map_key || map_key->type == CONV_NULL)
                return err_set(e, ST_MAPPING, "operations: map-put on bin '%s': key field '%s' missing from the "
                               "value", r->bin, r->key_field);
            if (map_key->type != CONV_STRING && map_key->type != CONV_INT && map_key->type != CONV_BYTES)
                return err_set(e, ST_MAPPING, "operations: map-put on bin '%s': key field '%s' is %s; map keys "
                               "must be strings, integers or bytes", r->bin, r->key_field, type_name(map_key));
        }
        switch (r->kind) {
        case MAPPING_ROP_WRITE:
            if (put_bin(m, msg, d, r->bin, bl, operand, e) != ST_OK)
                return ST_MAPPING;
            break;
        case MAPPING_ROP_INCREMENT:   /* a static operand is a number (check_spec) */
            if (operand->type == CONV_INT)
                aero_msg_op_int(msg, AERO_OP_INCR, r->bin, bl, operand->i);
            else if (operand->type == CONV_DOUBLE)
                aero_msg_op_double(msg, AERO_OP_INCR, r->bin, bl, operand->d);
            else
                return err_set(e, ST_MAPPING, "operations: increment of bin '%s': field '%s' is %s, not a number",
                               r->bin, r->field, type_name(operand));
            break;
        case MAPPING_ROP_LIST_APPEND:
        case MAPPING_ROP_MAP_PUT:
            if (put_cdt(msg, r, d, operand, map_key, e) != ST_OK)
                return e && e->status == ST_NOMEM ? ST_NOMEM : ST_MAPPING;
            break;
        }
        if (msg->st != ST_OK)
            return err_set(e, ST_MAPPING, "%s", msg->why);
    }
    return ST_OK;
}

/* The key's digest now, or its input in in->digest_block for the caller (see mapping.h). */
static void key_digest(const struct mapping_input *in, const char *set, size_t set_len,
                       const struct aero_key_value *key, struct mapping_result *out)
{
    if (in->digest_block && aero_digest_block(set, set_len, key, in->digest_block)) {
        memset(out->digest, 0, AERO_DIGEST_SZ);
        out->digest_deferred = true;
        return;
    }
    aero_digest(set, set_len, key, out->digest);
}

void mapping_set_digest(struct buf *req, struct mapping_result *out, const uint8_t digest[AERO_DIGEST_SZ])
{
    memcpy(req->p + out->digest_at, digest, AERO_DIGEST_SZ);
    memcpy(out->digest, digest, AERO_DIGEST_SZ);
    out->digest_deferred = false;
}

enum status mapping_encode(const struct mapping *m, const struct mapping_input *in, struct buf *req,
                           struct mapping_result *out, struct err *e)
{
    const struct conv_value *val = root_of(in->value);
    const char *ns, *set;
    size_t ns_len, set_len;
    struct aero_key_value key = {0};
    const struct aero_key_value *send = NULL;
    const struct conv_value *v;
    bool is_delete = m->s.op == MAPPING_OP_DELETE, expired = false;
    uint32_t ttl = 0, gen = 0;
    struct aero_msg msg;
    enum status st;

    out->action = MAPPING_SKIP;
    out->repeatable = m->s.op != MAPPING_OP_OPERATE || m->rops_repeatable;
    out->skip_reason = NULL;
    out->n_bins = 0;
    out->digest_deferred = false;
    out->digest_at = 0;
    if (!val && !is_delete) {
        switch (m->s.on_null_value) {
        case MAPPING_NULL_SKIP:
            out->skip_reason = "tombstone (null value)";
            return ST_OK;
        case MAPPING_NULL_INVALID:
            return err_set(e, ST_MAPPING, "value is null (tombstone) on a write topic");
        case MAPPING_NULL_DELETE:
            is_delete = true;
            break;
        }
    }
    if (resolve_name(in->value, &m->s.ns, "namespace", AERO_NAMESPACE_MAX, &ns, &ns_len, e) != ST_OK ||
        resolve_name(in->value, &m->s.set, "set", AERO_SET_MAX, &set, &set_len, e) != ST_OK)
        return ST_MAPPING;
    memcpy(out->ns, ns, ns_len);
    out->ns[ns_len] = '\0';

    switch (m->s.key_kind) {
    case MAPPING_KEY_KAFKA_KEY: {
        const struct conv_value *k = root_of(in->key);
        if (!k)
            return err_set(e, ST_MAPPING, "key-field: the Kafka record has no key");
        if (key_from_value(k, "key-field: the Kafka key", &key, e) != ST_OK)
            return ST_MAPPING;
        key_digest(in, set, set_len, &key, out);
        break;
    }
    case MAPPING_KEY_VALUE_FIELD:
        if (need_field(in->value, "key-field", m->s.key_field, &v, e) != ST_OK)
            return ST_MAPPING;
        if (key_from_value(v, "key-field", &key, e) != ST_OK)
            return err_prefix(e, "field '%s'", m->s.key_field);
        key_digest(in, set, set_len, &key, out);
        break;
    case MAPPING_KEY_DIGEST_FIELD:
        if (need_field(in->value, "digest", m->s.key_field, &v, e) != ST_OK)
            return ST_MAPPING;
        if (v->type == CONV_BYTES && v->s.n == AERO_DIGEST_SZ) {
            memcpy(out->digest, v->s.p, AERO_DIGEST_SZ);
        } else if (v->type == CONV_STRING && v->s.n == 28 &&
                   base64_decode(v->s.p, v->s.n, out->digest, AERO_DIGEST_SZ) == AERO_DIGEST_SZ) {
            /* schemaless JSON carries the digest as base64 */
        } else {
            return err_set(e, ST_MAPPING, "digest: field '%s' must be 20 bytes (or their base64); got %s of %u",
                           m->s.key_field, type_name(v), v->type == CONV_STRING || v->type == CONV_BYTES ? v->s.n : 0);
        }
        break;
    }
    if (m->s.send_key && m->s.key_kind != MAPPING_KEY_DIGEST_FIELD)
        send = &key;

    if (is_delete) {
        aero_msg_begin(&msg, req, 0, AERO_INFO2_WRITE | AERO_INFO2_DELETE |
                       (m->s.durable_delete ? AERO_INFO2_DURABLE_DELETE : 0),
                       m->info3 & AERO_INFO3_COMMIT_MASTER, 0, 0, in->transaction_ttl_ms);
        aero_msg_key_fields(&msg, ns, ns_len, set, set_len, out->digest, send);
        out->digest_at = msg.digest_at;
        put_guard(m, in, &msg);
        if (aero_msg_end(&msg, e) != ST_OK) {
            aero_msg_abort(&msg);
            err_prefix(e, "delete");
            return ST_MAPPING;
        }
        out->action = MAPPING_DELETE;
        return ST_OK;
    }

    if (resolve_ttl(m, in, &ttl, &expired, e) != ST_OK)
        return ST_MAPPING;
    if (expired) {
        out->skip_reason = "already expired (TTL in the past)";
        return ST_OK;
    }
    if (m->s.gen != MAPPING_GEN_NONE) {
        if (need_field(in->value, "generation", m->s.gen_field, &v, e) != ST_OK)
            return ST_MAPPING;
        if (v->type != CONV_INT || v->i < 0 || v->i > UINT32_MAX)
            return err_set(e, ST_MAPPING, "generation: field '%s' is not a non-negative integer", m->s.gen_field);
        gen = (uint32_t)v->i;
    }
    bool operate = m->s.op == MAPPING_OP_OPERATE;
    aero_msg_begin(&msg, req, 0, (uint8_t)(m->info2 | (operate && m->rops_map ? AERO_INFO2_RESPOND_ALL_OPS : 0)),
                   m->info3, gen, ttl, in->transaction_ttl_ms);
    aero_msg_key_fields(&msg, ns, ns_len, set, set_len, out->digest, send);
    out->digest_at = msg.digest_at;
    put_guard(m, in, &msg);
    st = operate ? put_rops(m, &msg, in->value, e) : put_bins(m, &msg, in->value, e);
    if (st != ST_OK) {
        aero_msg_abort(&msg);
        return st == ST_NOMEM ? ST_NOMEM : ST_MAPPING;
    }
    out->n_bins = msg.n_ops;
    if (msg.n_ops == 0) {
        aero_msg_abort(&msg);
        return err_set(e, ST_MAPPING, operate ? "no operations to apply (every operand field is missing or null)"
                                              : "no bins to write (every mapped field is missing or null)");
    }
    if (m->s.guard_kafka_ts && in->kafka_ts_ms >= 0)
        aero_msg_op_int(&msg, AERO_OP_WRITE, MAPPING_TS_BIN, sizeof(MAPPING_TS_BIN) - 1, in->kafka_ts_ms);
    if (aero_msg_end(&msg, e) != ST_OK) {
        aero_msg_abort(&msg);
        if (e)
            e->status = ST_MAPPING;
        return ST_MAPPING;
    }
    out->action = MAPPING_WRITE;
    return ST_OK;
}
