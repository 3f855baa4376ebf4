/* src/app/rest_backend.c: what both modes' REST backends share: connector checks, the
 * plugin description (list, definitions, validate as ConfigInfos), listeners and the
 * advertised worker id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/metrics.h"
#include "app/rest_backend.h"
#include "convert/convert.h"
#include "kafka/kafka.h"
#include "worker/worker.h"

/* ------------------------------------------------------------------------------------
 * Connector checks
 * ------------------------------------------------------------------------------------ */

struct cfg_props *app_props_from_kvs(const char *display, const struct rest_kvs *kv)
{
    struct cfg_props *p = cfg_props_new(display);

    for (size_t i = 0; p && i < kv->n; i++) {
        if (kv->v[i].value && cfg_props_set(p, kv->v[i].key, kv->v[i].value, 0, 0) != ST_OK) {
            cfg_props_free(p);
            return NULL;
        }
    }
    return p;
}

/* The error diagnostics of @d as one text of at most @limit bytes, into @b: "; "-separated,
 * or (@connect) as Kafka Connect words a refused connector config: a count line, one error
 * per line, and where to see them. Errors that do not fit are counted: " (and N more
 * problems)". Returns true when every error is there in full. */
static bool diags_text(const struct cfg_diags *d, bool connect, size_t limit, struct buf *b)
{
    static const char tail[] = "\nYou can also find the above list of errors at the endpoint "
                               "`/connector-plugins/{connectorType}/config/validate`";
    struct buf one = BUF_INIT;
    size_t shown = 0;
    bool cut = false;

    limit -= 40 + (connect ? sizeof(tail) : 0);   /* room for the count and the tail */
    if (connect)
        buf_printf(b, "Connector configuration is invalid and contains the following %zu error(s):\n",
                   d->errors);
    for (size_t i = 0; i < d->n; i++) {
        if (d->v[i].sev != CFG_SEV_ERROR)
            continue;
        buf_reset(&one);
        cfg_diag_format(&d->v[i], &one);
        if (b->len + 2 + one.len > limit) {
            if (shown || b->len + 2 >= limit)
                break;
            one.len = limit - b->len - 2;   /* the first error, cut, rather than none */
            cut = true;
        }
        if (shown)
            buf_append_str(b, connect ? "\n" : "; ");
        buf_append(b, one.p, one.len);
        shown++;
    }
    if (shown < d->errors)
        buf_printf(b, " (and %zu more problem%s)", d->errors - shown, d->errors - shown == 1 ? "" : "s");
    if (connect)
        buf_append_str(b, tail);
    buf_free(&one);
    return shown == d->errors && !cut;
}

/* The error diagnostics of @d into @e (bounded by ERR_MSG_LEN) and, when @whole is not NULL
 * and the text does not fit @e, the whole of it (up to APP_REFUSED_MAX) into @whole. */
static enum status diags_to_err(const struct cfg_diags *d, bool connect, struct buf *whole, struct err *e)
{
    struct buf b = BUF_INIT;

    if (!d->errors) {
        err_clear(e);
        return ST_OK;
    }
    bool complete = diags_text(d, connect, ERR_MSG_LEN, &b);
    err_set(e, ST_CONFIG, "%s", buf_cstr(&b));
    if (whole && !complete) {
        buf_reset(whole);
        diags_text(d, connect, APP_REFUSED_MAX, whole);
        buf_cstr(whole);
    }
    buf_free(&b);
    return ST_CONFIG;
}

enum status app_diags_to_err(const struct cfg_diags *d, struct err *e)
{
    return diags_to_err(d, false, NULL, e);
}

enum status app_diags_refusal(const struct cfg_diags *d, struct buf *whole, struct err *e)
{
    return diags_to_err(d, true, whole, e);
}

enum status app_check_connector(const struct cfg_worker *w, const char *name, const struct rest_kvs *config,
                                unsigned load_flags, struct rest_kvs *stored, struct cfg_diags *d)
{
    char display[300];
    struct cfg_props *p;
    struct cfg_connector *cc;
    struct cfg *m = NULL;
    char *text = NULL;
    size_t len = 0;
    enum status st = ST_OK;

    snprintf(display, sizeof(display), "connector %s", name);
    if (!(p = app_props_from_kvs(display, config))) {
        cfg_diag_add(d, CFG_SEV_ERROR, display, 0, 0, "", "out of memory");
        return ST_NOMEM;
    }
    /* checked with config-provider references resolved (Connect's validateConnectorConfig
     * does the same); @stored keeps @config as written */
    struct cfg_providers *pv = w ? cfg_providers_new(w->props, NULL) : NULL;
    struct cfg_resolved *res = NULL;
    cc = cfg_connector_new_resolved(p, pv, &res, d);
    cfg_providers_free(pv);
    if (!cc) {
        cfg_resolved_scrub(&res, 1, d);
        cfg_resolved_free(res);
        cfg_diags_sort(d);
        return ST_CONFIG;
    }
    if (cc->mapping_content) {
        m = cfg_connector_load_mapping(cc, load_flags | CFG_LOAD_PARTIAL, d);
    } else {
        struct err e = {0};
        /* The worker that receives the request reads the file; the config topic then carries
         * its content, so every worker runs this version. */
        if (!(text = cfg_read_file(cc->mapping_path, &len, &e)))
            cfg_diag_add(d, CFG_SEV_ERROR, display, 0, 0, "aerospike.config.file", "%s: %s", cc->mapping_path,
                         e.msg);
        else
            m = cfg_load_text(text, len, cc->mapping_path, load_flags | CFG_LOAD_PARTIAL, d);
    }
    if (m)
        cfg_connector_check_mapping(cc, m, d);
    cfg_check_converters(w, cc, d);
    cfg_resolved_scrub(&res, 1, d);
    cfg_resolved_free(res);
    cfg_diags_sort(d);
    if (d->errors)
        st = ST_CONFIG;
    else if (stored) {
        st = rest_kvs_copy(stored, config);
        if (st == ST_OK && text)
            st = rest_kvs_put(stored, "aerospike.config.content", text);
    }
    mem_free(text);
    cfg_free(m);
    cfg_connector_free(cc);
    return st;
}

/* ------------------------------------------------------------------------------------
 * The plugin
 * ------------------------------------------------------------------------------------ */

static const char *const plugin_names[] = {CFG_CONNECTOR_CLASS, "AerospikeSinkConnector", "AerospikeSink",
                                           CFG_CONNECTOR_ALIAS};

static bool known_plugin(const char *p)
{
    for (size_t i = 0; i < ARRAY_LEN(plugin_names); i++)
        if (strcmp(p, plugin_names[i]) == 0)
            return true;
    return false;
}

static const char *const no_deps[] = {NULL};
static const struct rest_def_spec defs[] = {
    {"name", "STRING", true, NULL, "HIGH", "Globally unique name to use for this connector.", "Common", 1,
     "MEDIUM", "Connector name", no_deps},
    {"connector.class", "STRING", true, NULL, "HIGH",
     "Name or alias of the class for this connector: " CFG_CONNECTOR_CLASS " (or " CFG_CONNECTOR_ALIAS ").",
     "Common", 2, "LONG", "Connector class", no_deps},
    {"tasks.max", "INT", false, "1", "HIGH",
     "Maximum number of tasks: each live worker (sorted by id) up to this many runs one consumer of "
     "connect-<name>.", "Common", 3, "SHORT", "Tasks max", no_deps},
    {"key.converter", "CLASS", false, NULL, "LOW", "Converter class for record keys (else the worker's).",
     "Common", 4, "SHORT", "Key converter class", no_deps},
    {"value.converter", "CLASS", false, NULL, "LOW", "Converter class for record values (else the worker's).",
     "Common", 5, "SHORT", "Value converter class", no_deps},
    {"header.converter", "CLASS", false, NULL, "LOW", "Header converter class (accepted).", "Common", 6,
     "SHORT", "Header converter class", no_deps},
    {"topics", "LIST", false, "", "HIGH", "List of topics to consume, separated by commas.", "Common", 7,
     "LONG", "Topics", no_deps},
    {"topics.regex", "STRING", false, "", "HIGH", "Regular expression giving the topics to consume.",
     "Common", 8, "LONG", "Topics regex", no_deps},
    {"errors.tolerance", "STRING", false, "none", "MEDIUM",
     "none: an unconvertible record fails the task; all: skip it.", "Error Handling", 1, "SHORT",
     "Error Tolerance", no_deps},
    {"errors.deadletterqueue.topic.name", "STRING", false, "", "MEDIUM",
     "Dead letter queue topic for records that cannot be written.", "Error Handling", 2, "MEDIUM",
     "Dead Letter Queue Topic Name", no_deps},
    {"errors.deadletterqueue.context.headers.enable", "BOOLEAN", false, "false", "MEDIUM",
     "Add __connect.errors.* headers to dead-lettered records.", "Error Handling", 3, "MEDIUM",
     "Enable Error Context Headers", no_deps},
    {"errors.log.enable", "BOOLEAN", false, "false", "MEDIUM", "Log every error.", "Error Handling", 4,
     "SHORT", "Log Errors", no_deps},
    {"errors.log.include.messages", "BOOLEAN", false, "false", "MEDIUM", "Include the record in error logs.",
     "Error Handling", 5, "SHORT", "Log Error Details", no_deps},
    {"aerospike.config.file", "STRING", false, "aerospike-kafka-inbound.yml", "HIGH",
     "The mapping file (aerospike-kafka-inbound.yml or .json). In distributed mode the worker receiving the "
     "request reads it and stores its content in the config topic.", "Aerospike", 1, "LONG",
     "Mapping file", no_deps},
    {"aerospike.config.content", "STRING", false, NULL, "HIGH",
     "The mapping itself (YAML or JSON text); wins over aerospike.config.file.", "Aerospike", 2, "LONG",
     "Mapping content", no_deps},
};

static enum status list_plugins(void *ctx, struct rest_plugins *out, struct err *e)
{
    /* one entry per class, as Connect lists them (the aliases still work in the paths) */
    enum status st = rest_plugins_add(out, CFG_CONNECTOR_CLASS, "sink", AEROSINK_VERSION);
    (void)ctx;
    (void)e;
    for (size_t i = 0; conv_supported_classes[i] && st == ST_OK; i++)
        if (strchr(conv_supported_classes[i], '.'))
            st = rest_plugins_add(out, conv_supported_classes[i], "converter", AEROSINK_VERSION);
    return st;
}

static enum status plugin_config(void *ctx, const char *plugin, struct rest_config_defs *out, struct err *e)
{
    enum status st = ST_OK;
    (void)ctx;
    if (!known_plugin(plugin))
        return err_set(e, ST_NOT_FOUND, "Unknown plugin %s.", plugin);
    for (size_t i = 0; i < ARRAY_LEN(defs) && st == ST_OK; i++)
        st = rest_config_defs_add(out, &defs[i]);
    return st;
}

/* Which key of the table a diagnostic belongs to: connector properties by their path, the
 * mapping's problems to the key that carried the mapping; NULL: none (an extra entry). */
static const char *diag_key(const struct cfg_diag *dg, const char *display, const struct rest_kvs *config)
{
    if (strcmp(dg->file, display) != 0)
        return rest_kvs_find(config, "aerospike.config.content") ? "aerospike.config.content"
                                                                 : "aerospike.config.file";
    for (size_t i = 0; i < ARRAY_LEN(defs); i++)
        if (strcmp(dg->path, defs[i].name) == 0)
            return defs[i].name;
    return NULL;
}

static enum status add_info(struct rest_config_infos *out, const struct rest_def_spec *def,
                            const struct rest_kvs *config, const struct cfg_diags *d, const char *display,
                            bool extra)
{
    const struct rest_kv *kv = rest_kvs_find(config, def->name);
    const char *errs[33];
    struct buf *msgs = mem_calloc(32, sizeof(*msgs));
    size_t n = 0;
    enum status st;

    if (!msgs)
        return ST_NOMEM;
    for (size_t i = 0; i < d->n && n < 32; i++) {
        const struct cfg_diag *dg = &d->v[i];
        const char *k = diag_key(dg, display, config);
        if (dg->sev != CFG_SEV_ERROR || (extra ? (k || strcmp(dg->path, def->name) != 0)
                                               : (!k || strcmp(k, def->name) != 0)))
            continue;
        cfg_diag_format(dg, &msgs[n]);
        errs[n] = buf_cstr(&msgs[n]);
        n++;
    }
    errs[n] = NULL;
    st = rest_config_infos_add(out, def, kv ? kv->value : def->default_value, NULL, errs, true);
    for (size_t i = 0; i < 32; i++)
        buf_free(&msgs[i]);
    mem_free(msgs);
    return st;
}

static enum status validate(const struct cfg_worker *w, const char *plugin, const struct rest_kvs *config,
                            struct rest_config_infos *out, struct err *e)
{
    const struct rest_kv *cls = rest_kvs_find(config, "connector.class");
    const struct rest_kv *nm = rest_kvs_find(config, "name");
    const char *name = nm && nm->value ? nm->value : "(unnamed)";
    struct cfg_diags d = CFG_DIAGS_INIT;
    char display[300];
    enum status st;

    (void)plugin;
    if (!cls || !cls->value)
        return err_set(e, ST_CONFIG, "Connector config {...} contains no connector type");
    if (!known_plugin(cls->value))
        return err_set(e, ST_CONFIG, "Failed to find any class that implements Connector and which name matches %s",
                       cls->value);
    snprintf(display, sizeof(display), "connector %s", name);
    app_check_connector(w, name, config, 0, NULL, &d);
    st = rest_config_infos_set_name(out, CFG_CONNECTOR_CLASS);
    if (st == ST_OK)
        st = rest_strs_add(&out->groups, "Common");
    if (st == ST_OK)
        st = rest_strs_add(&out->groups, "Error Handling");
    if (st == ST_OK)
        st = rest_strs_add(&out->groups, "Aerospike");
    for (size_t i = 0; i < ARRAY_LEN(defs) && st == ST_OK; i++)
        st = add_info(out, &defs[i], config, &d, display, false);
    /* problems about keys the table does not list (unknown mapping-free keys, transforms...) */
    for (size_t i = 0; i < d.n && st == ST_OK; i++) {
        const struct cfg_diag *dg = &d.v[i];
        bool seen = false;
        if (dg->sev != CFG_SEV_ERROR || diag_key(dg, display, config))
            continue;
        for (size_t j = 0; j < i; j++)
            seen |= d.v[j].sev == CFG_SEV_ERROR && !diag_key(&d.v[j], display, config) &&
                    strcmp(d.v[j].path, dg->path) == 0;
        if (seen)
            continue;
        struct rest_def_spec x = {dg->path, "STRING", false, NULL, "LOW", "", "Common", (int32_t)(100 + i),
                                  "NONE", dg->path, no_deps};
        st = add_info(out, &x, config, &d, display, true);
    }
    cfg_diags_free(&d);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Offsets: GET/PATCH/DELETE /connectors/{n}/offsets act on the sink's consumer group
 * (connect-<name>, or the group.id among its consumer settings), as Kafka Connect does.
 * ------------------------------------------------------------------------------------ */

#define OFFSETS_TIMEOUT_MS 20000

/* Connect's answers (Worker.completeModifyOffsetsCallback): a sink connector that does not
 * manage offsets externally gets the "framework-managed" variant. */
#define OFFSETS_ALTERED "The Connect framework-managed offsets for this connector have been altered successfully. " \
    "However, if this connector manages offsets externally, they will need to be manually altered in the system " \
    "that the connector uses."

/* The consumer settings a task of @cc uses (connector.c: worker client keys, consumer.*,
 * consumer.override.*), NULL-terminated pairs; @group gets the group they lead to. */
static const char **group_props(const struct cfg_worker *w, const struct cfg_connector *cc, char *group, size_t cap)
{
    const struct cfg_kvs *lists[] = {&w->client, &w->consumer, &cc->consumer_override};
    size_t total = 0, k = 0;
    const char **out;

    snprintf(group, cap, "connect-%s", cc->name);
    for (size_t i = 0; i < ARRAY_LEN(lists); i++)
        total += lists[i]->n;
    if (!(out = mem_calloc(total * 2 + 1, sizeof(*out))))
        return NULL;
    for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
        for (size_t j = 0; j < lists[i]->n; j++) {
            out[k++] = lists[i]->v[j].key;
            out[k++] = lists[i]->v[j].value;
            if (strcmp(lists[i]->v[j].key, "group.id") == 0 && lists[i]->v[j].value)
                snprintf(group, cap, "%s", lists[i]->v[j].value);
        }
    }
    return out;
}

static struct kafka_group *open_group(const struct cfg_worker *w, const struct cfg_connector *cc, struct err *e)
{
    char group[300];
    const char **props = group_props(w, cc, group, sizeof(group));
    struct kafka_group *kg;

    if (!props) {
        err_set(e, ST_NOMEM, "connector %s: offsets", cc->name);
        return NULL;
    }
    kg = kafka_group_new(w->bootstrap_servers, group, props, e);
    mem_free(props);
    return kg;
}

static enum status add_offset(void *ctx, const char *topic, int32_t partition, int64_t offset)
{
    return rest_offsets_add(ctx, topic, partition, true, offset);
}

static enum status group_offsets(const struct cfg_worker *w, const struct cfg_connector *cc,
                                 struct rest_offsets *out, struct err *e)
{
    const char **topics = mem_calloc(cc->n_topics + 1, sizeof(*topics));
    struct kafka_group *kg = NULL;
    enum status st;

    if (!topics)
        return err_set(e, ST_NOMEM, "connector %s: offsets", cc->name);
    for (size_t i = 0; i < cc->n_topics; i++)
        topics[i] = cc->topics[i];
    kg = open_group(w, cc, e);
    st = kg ? kafka_group_committed(kg, topics, cc->topics_pattern, OFFSETS_TIMEOUT_MS, add_offset, out, e) : e->status;
    if (st != ST_OK && st != ST_NOMEM)
        err_prefix(e, "connector %s: reading its offsets", cc->name);
    kafka_group_free(kg);
    mem_free(topics);
    return st;
}

/* PATCH: commit the given offsets. Deleting a partition's committed offset ("offset": null)
 * needs Kafka's OffsetDelete request (DeleteConsumerGroupOffsets, KIP-496): librdkafka 2.0.2
 * has it, but when the broker does not support the request (librdkafka's mock cluster, our
 * test Kafka, does not; brokers before 2.4 neither) it fails it locally and then aborts the
 * whole process on an assertion (rd_kafka_enq_once_del_source_return) when the handle is
 * destroyed. Until aerosink can tell beforehand that the brokers support it, null offsets are
 * refused whole (501) and nothing is committed. */
static enum status alter_group(const struct cfg_worker *w, const struct cfg_connector *cc,
                               const struct rest_offsets *offs, struct buf *message, struct err *e)
{
    struct kafka_tp *tps = mem_calloc(offs->n ? offs->n : 1, sizeof(*tps));
    struct kafka_group *kg = NULL;
    enum status st = ST_OK;

    if (!tps)
        return err_set(e, ST_NOMEM, "connector %s: offsets", cc->name);
    for (size_t i = 0; i < offs->n && st == ST_OK; i++) {
        const struct rest_offset *o = &offs->v[i];
        if (!o->has_offset)
            st = err_set(e, ST_UNSUPPORTED, "Connector %s: resetting the offset of %s[%d] (\"offset\": null) needs "
                         "Kafka's OffsetDelete request, which aerosink does not send yet (with librdkafka 2.0.2 an "
                         "unsupported one aborts the worker); nothing was changed. Commit an explicit "
                         "{\"kafka_offset\": N} instead", cc->name, o->topic, (int)o->partition);
        else if (o->offset < 0)
            st = err_set(e, ST_CONFIG, "Connector %s: offset %lld of %s[%d] is negative", cc->name,
                         (long long)o->offset, o->topic, (int)o->partition);
        tps[i] = (struct kafka_tp){o->topic, o->partition, o->offset};
    }
    if (st == ST_OK && (kg = open_group(w, cc, e)) == NULL)
        st = e->status;
    if (st == ST_OK)
        st = kafka_group_commit(kg, tps, offs->n, OFFSETS_TIMEOUT_MS, e);
    if (st == ST_BUSY) {   /* Connect's words (Worker.alterSinkConnectorOffsets), a 500 there too */
        char why[160];
        snprintf(why, sizeof(why), "%.150s", e->msg);
        st = err_set(e, ST_SERVER, "Failed to alter consumer group offsets for connector %s either because its "
                     "tasks haven't stopped completely yet or the connector was resumed before the request to alter "
                     "its offsets could be successfully completed. If the connector is in a stopped state, this "
                     "operation can be safely retried. (%s)", cc->name, why);
    } else if (st != ST_OK && st != ST_UNSUPPORTED && st != ST_CONFIG && st != ST_NOMEM)
        err_prefix(e, "Failed to alter consumer group offsets for connector %s", cc->name);
    if (st == ST_OK)
        st = buf_append_str(message, OFFSETS_ALTERED);
    kafka_group_free(kg);
    mem_free(tps);
    return st;
}

/* DELETE: Connect deletes the whole group (DeleteGroups). Same trap as above: the mock
 * cluster does not support DeleteGroups and librdkafka 2.0.2 then aborts the process. */
static enum status reset_refused(const char *name, struct err *e)
{
    return err_set(e, ST_UNSUPPORTED, "Connector %s: resetting offsets needs Kafka's DeleteGroups request, which "
                   "aerosink does not send yet (with librdkafka 2.0.2 an unsupported one aborts the worker); "
                   "nothing was changed. Alter them to explicit offsets with PATCH instead", name);
}

/* A connector config from the config topic, parsed for its topics and consumer settings
 * (config-provider references resolved with @w's providers: the consumer may need them). */
static struct cfg_connector *parse_connector(const struct cfg_worker *w, const char *name,
                                             const struct rest_kvs *config, struct err *e)
{
    char display[300];
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_props *p;
    struct cfg_connector *cc = NULL;
    struct cfg_providers *pv = w ? cfg_providers_new(w->props, NULL) : NULL;

    snprintf(display, sizeof(display), "connector %s", name);
    if (!(p = app_props_from_kvs(display, config)))
        err_set(e, ST_NOMEM, "%s", display);
    else if (!(cc = cfg_connector_new_resolved(p, pv, NULL, &d)))
        app_diags_to_err(&d, e);
    cfg_providers_free(pv);
    cfg_diags_free(&d);
    return cc;
}

/* ------------------------------------------------------------------------------------
 * Distributed backend
 * ------------------------------------------------------------------------------------ */

/* The herder, once cmd_distributed has started it (the REST server listens first). */
static struct herder *dist_h(void *ctx, struct err *e)
{
    struct herder *h = atomic_load(&((struct app_rest_dist *)ctx)->h);
    if (!h)
        err_set(e, ST_UNAVAILABLE, "this worker is still starting");
    return h;
}

static enum status d_server_info(void *ctx, struct rest_server_info *out, struct err *e)
{
    struct herder *h = dist_h(ctx, NULL);
    (void)e;
    if (h)
        herder_cluster_id(h, out->kafka_cluster_id, sizeof(out->kafka_cluster_id));
    return ST_OK;
}

static enum status d_list(void *ctx, struct rest_strs *out, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_list(h, out, e) : ST_UNAVAILABLE;
}

static enum status d_info(void *ctx, const char *name, struct rest_connector_info *out, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_info(h, name, out, e) : ST_UNAVAILABLE;
}

static enum status d_config(void *ctx, const char *name, struct rest_kvs *out, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_config(h, name, out, e) : ST_UNAVAILABLE;
}

static enum status d_status(void *ctx, const char *name, struct rest_status *out, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_status(h, name, out, e) : ST_UNAVAILABLE;
}

/* Check, then store: the common part of create, put and patch. */
static enum status store_config(struct app_rest_dist *x, const char *name, const struct rest_kvs *config,
                                enum rest_target_state initial, bool must_be_new, bool must_exist, bool *created,
                                struct rest_connector_info *out, struct err *e)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct rest_kvs stored = {0};
    struct herder *h = dist_h(x, e);
    enum status st = h ? app_check_connector(x->w, name, config, 0, &stored, &d) : ST_UNAVAILABLE;

    if (st == ST_CONFIG)
        app_diags_refusal(&d, &out->refused, e);   /* the 400 of POST/PUT config, in Connect's words */
    else if (st != ST_OK && st != ST_UNAVAILABLE)
        err_set(e, st, "connector %s: checking its config", name);
    if (st == ST_OK)
        st = herder_put_config(h, name, &stored, initial, must_be_new, must_exist, created, e);
    if (st == ST_OK)
        st = herder_info(h, name, out, e);
    rest_kvs_free(&stored);
    cfg_diags_free(&d);
    return st;
}

static enum status d_create(void *ctx, const char *name, const struct rest_kvs *config,
                            enum rest_target_state initial, struct rest_connector_info *out, struct err *e)
{
    struct rest_connector_info probe = {0};
    struct app_rest_dist *x = ctx;
    struct herder *h = dist_h(x, e);
    if (!h)
        return ST_UNAVAILABLE;
    /* 409 before the (possibly slow) checks when the name is taken */
    enum status st = herder_info(h, name, &probe, NULL);
    rest_info_free(&probe);
    if (st == ST_OK)
        return err_set(e, ST_EXISTS, "Connector %s already exists", name);
    return store_config(x, name, config, initial, true, false, NULL, out, e);
}

static enum status d_put(void *ctx, const char *name, const struct rest_kvs *config, bool *created,
                         struct rest_connector_info *out, struct err *e)
{
    return store_config(ctx, name, config, REST_TARGET_DEFAULT, false, false, created, out, e);
}

static enum status d_patch(void *ctx, const char *name, const struct rest_kvs *patch,
                           struct rest_connector_info *out, struct err *e)
{
    struct app_rest_dist *x = ctx;
    struct rest_kvs merged = {0};
    struct herder *h = dist_h(x, e);
    enum status st = h ? herder_config(h, name, &merged, e) : ST_UNAVAILABLE;

    for (size_t i = 0; i < patch->n && st == ST_OK; i++)
        st = rest_kvs_put(&merged, patch->v[i].key, patch->v[i].value);
    /* a new aerospike.config.file in the patch replaces the stored content */
    if (st == ST_OK && rest_kvs_find(patch, "aerospike.config.file") && !rest_kvs_find(patch, "aerospike.config.content"))
        st = rest_kvs_put(&merged, "aerospike.config.content", NULL);
    if (st == ST_OK)
        st = store_config(x, name, &merged, REST_TARGET_DEFAULT, false, true, NULL, out, e);
    rest_kvs_free(&merged);
    return st;
}

static enum status d_delete(void *ctx, const char *name, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_delete(h, name, e) : ST_UNAVAILABLE;
}

static enum status d_restart(void *ctx, const char *name, bool include_tasks, bool only_failed,
                             struct rest_status *out, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_restart(h, name, include_tasks, only_failed, out, e) : ST_UNAVAILABLE;
}

static enum status d_restart_task(void *ctx, const char *name, int32_t task, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_restart_task(h, name, task, e) : ST_UNAVAILABLE;
}

static enum status d_pause(void *ctx, const char *name, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_set_target(h, name, REST_TARGET_PAUSED, e) : ST_UNAVAILABLE;
}

static enum status d_resume(void *ctx, const char *name, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_set_target(h, name, REST_TARGET_RUNNING, e) : ST_UNAVAILABLE;
}

static enum status d_stop(void *ctx, const char *name, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_set_target(h, name, REST_TARGET_STOPPED, e) : ST_UNAVAILABLE;
}

static enum status d_tasks(void *ctx, const char *name, struct rest_task_configs *out, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_task_configs(h, name, out, e) : ST_UNAVAILABLE;
}

static enum status d_task_status(void *ctx, const char *name, int32_t task, struct rest_task_state *out,
                                 struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_task_status(h, name, task, out, e) : ST_UNAVAILABLE;
}

static enum status d_topics(void *ctx, const char *name, struct rest_strs *out, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_topics(h, name, out, e) : ST_UNAVAILABLE;
}

static enum status d_topics_reset(void *ctx, const char *name, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_topics_reset(h, name, e) : ST_UNAVAILABLE;
}

/* Connector @name's config from the config topic, parsed into *@cc (owned:
 * cfg_connector_free); @stopped: only while its target state is STOPPED. */
static enum status dist_connector(struct app_rest_dist *x, const char *name, bool stopped,
                                  struct cfg_connector **cc, struct err *e)
{
    struct herder *h = dist_h(x, e);
    struct rest_kvs config = {0};
    enum status st = !h        ? ST_UNAVAILABLE
                     : stopped ? herder_stopped_config(h, name, &config, e)
                               : herder_config(h, name, &config, e);

    if (st == ST_OK && !(*cc = parse_connector(x->w, name, &config, e)))
        st = e->status;
    rest_kvs_free(&config);
    return st;
}

static enum status d_offsets(void *ctx, const char *name, struct rest_offsets *out, struct err *e)
{
    struct app_rest_dist *x = ctx;
    struct cfg_connector *cc = NULL;
    enum status st = dist_connector(x, name, false, &cc, e);

    if (st == ST_OK)
        st = group_offsets(x->w, cc, out, e);
    cfg_connector_free(cc);
    return st;
}

static enum status d_alter_offsets(void *ctx, const char *name, const struct rest_offsets *offsets,
                                   struct buf *message, struct err *e)
{
    struct app_rest_dist *x = ctx;
    struct cfg_connector *cc = NULL;
    enum status st = dist_connector(x, name, true, &cc, e);

    if (st == ST_OK)
        st = alter_group(x->w, cc, offsets, message, e);
    cfg_connector_free(cc);
    return st;
}

static enum status d_reset_offsets(void *ctx, const char *name, struct buf *message, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    struct rest_kvs config = {0};
    enum status st = h ? herder_stopped_config(h, name, &config, e) : ST_UNAVAILABLE;

    (void)message;
    rest_kvs_free(&config);
    return st == ST_OK ? reset_refused(name, e) : st;
}

static enum status d_validate(void *ctx, const char *plugin, const struct rest_kvs *config,
                              struct rest_config_infos *out, struct err *e)
{
    return validate(((struct app_rest_dist *)ctx)->w, plugin, config, out, e);
}

static enum status d_health(void *ctx, struct rest_health *out, struct err *e)
{
    struct app_rest_dist *x = ctx;
    struct herder *h = dist_h(x, NULL);
    (void)e;
    if (!atomic_load(&x->rest_up) || !h) {
        out->state = REST_STARTING;
    } else if (!herder_ready(h)) {
        out->state = REST_STARTING;
        snprintf(out->details, sizeof(out->details), "Reading config topic %s.", x->w->config_storage_topic);
    } else {
        out->state = REST_HEALTHY;
    }
    return ST_OK;
}

static enum status d_metrics(void *ctx, struct buf *out, struct err *e)
{
    struct herder *h = dist_h(ctx, e);
    return h ? herder_metrics(h, out, e) : ST_UNAVAILABLE;
}

/* ------------------------------------------------------------------------------------
 * /admin/loggers: this process's struct log_levels
 * ------------------------------------------------------------------------------------ */

struct logger_list {
    struct rest_loggers *out;
    enum status st;
};

static void add_logger(void *arg, const char *name, const char *level, int64_t last_modified)
{
    struct logger_list *l = arg;
    if (l->st == ST_OK)
        l->st = rest_loggers_add(l->out, name, level, last_modified);
}

static enum status loggers_list(struct log_levels *ll, struct rest_loggers *out, struct err *e)
{
    struct logger_list l = {out, ST_OK};

    if (!ll)
        return err_set(e, ST_UNSUPPORTED, "runtime log levels are not available in this process");
    log_levels_each(ll, add_logger, &l);
    return l.st;
}

static enum status logger_get(struct log_levels *ll, const char *name, struct rest_loggers *out,
                              struct err *e)
{
    char level[8];
    int64_t modified;

    if (!ll)
        return err_set(e, ST_UNSUPPORTED, "runtime log levels are not available in this process");
    if (!log_levels_get(ll, name, level, &modified))
        return ST_NOT_FOUND;
    return rest_loggers_add(out, name, level, modified);
}

struct changed {
    struct rest_strs *out;
    enum status st;
};

static void add_changed(void *arg, const char *name)
{
    struct changed *c = arg;
    if (c->st == ST_OK)
        c->st = rest_strs_add(c->out, name);
}

static enum status logger_set(struct log_levels *ll, const char *name, const char *level,
                              struct rest_strs *modified, struct err *e)
{
    struct changed c = {modified, ST_OK};
    enum status st;

    if (!ll)
        return err_set(e, ST_UNSUPPORTED, "runtime log levels are not available in this process");
    st = log_levels_set(ll, name, level, (int64_t)clock_wall_ms(), add_changed, &c, e);
    return st != ST_OK ? st : c.st;
}

static enum status d_loggers(void *ctx, struct rest_loggers *out, struct err *e)
{
    return loggers_list(((struct app_rest_dist *)ctx)->levels, out, e);
}

static enum status d_logger(void *ctx, const char *name, struct rest_loggers *out, struct err *e)
{
    return logger_get(((struct app_rest_dist *)ctx)->levels, name, out, e);
}

/* ?scope=cluster would have to reach every worker (Connect 3.7 sends it through the config
 * topic); we only change this worker's loggers, so that scope is refused, not half done. */
static enum status d_set_logger(void *ctx, const char *name, const char *level, bool cluster_scope,
                                struct rest_strs *modified, struct err *e)
{
    if (cluster_scope)
        return err_set(e, ST_UNSUPPORTED, "scope=cluster is not supported: set the level on each "
                                          "worker (scope=worker, the default)");
    return logger_set(((struct app_rest_dist *)ctx)->levels, name, level, modified, e);
}

void app_rest_dist_backend(struct app_rest_dist *ctx, struct rest_backend *b)
{
    memset(b, 0, sizeof(*b));
    b->ctx = ctx;
    b->server_info = d_server_info;
    b->list_connectors = d_list;
    b->connector_info = d_info;
    b->connector_config = d_config;
    b->connector_status = d_status;
    b->create_connector = d_create;
    b->put_connector_config = d_put;
    b->patch_connector_config = d_patch;
    b->delete_connector = d_delete;
    b->restart_connector = d_restart;
    b->restart_task = d_restart_task;
    b->pause_connector = d_pause;
    b->resume_connector = d_resume;
    b->stop_connector = d_stop;
    b->task_configs = d_tasks;
    b->task_status = d_task_status;
    b->connector_topics = d_topics;
    b->reset_connector_topics = d_topics_reset;
    b->connector_offsets = d_offsets;
    b->alter_offsets = d_alter_offsets;
    b->reset_offsets = d_reset_offsets;
    b->list_plugins = list_plugins;
    b->plugin_config = plugin_config;
    b->validate_config = d_validate;
    b->list_loggers = d_loggers;
    b->get_logger = d_logger;
    b->set_logger_level = d_set_logger;
    b->health = d_health;
    b->metrics = d_metrics;
}

/* ------------------------------------------------------------------------------------
 * Standalone backend: the connectors given on the command line
 * ------------------------------------------------------------------------------------ */

static struct app_rest_local *s_find(struct app_rest_standalone *x, const char *name, struct err *e)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->conns[i].cc->name, name) == 0)
            return &x->conns[i];
    err_set(e, ST_NOT_FOUND, "Connector %s not found", name);
    return NULL;
}

/* GET /: the cluster id any connector's consumer learned (they share the worker's
 * bootstrap.servers); "" until one has. */
static enum status s_server_info(void *ctx, struct rest_server_info *out, struct err *e)
{
    struct app_rest_standalone *x = ctx;
    (void)e;
    for (size_t i = 0; i < x->n; i++) {
        struct worker *w = x->conns[i].ac ? app_connector_worker(x->conns[i].ac) : NULL;
        if (w && worker_kafka_cluster_id(w, out->kafka_cluster_id, sizeof(out->kafka_cluster_id)))
            break;
    }
    return ST_OK;
}

static enum status s_list(void *ctx, struct rest_strs *out, struct err *e)
{
    struct app_rest_standalone *x = ctx;
    enum status st = ST_OK;
    (void)e;
    for (size_t i = 0; i < x->n && st == ST_OK; i++)
        st = rest_strs_add(out, x->conns[i].cc->name);
    return st;
}

static enum status props_to_kvs(const struct cfg_props *p, struct rest_kvs *out)
{
    enum status st = ST_OK;
    for (size_t i = 0; i < p->n && st == ST_OK; i++)
        st = rest_kvs_add(out, p->v[i].key, p->v[i].value);
    return st;
}

/* What REST shows of a connector's config: as written, never a resolved secret. */
static const struct cfg_props *shown_props(const struct app_rest_local *l)
{
    return l->raw ? l->raw : l->cc->props;
}

static enum status s_config(void *ctx, const char *name, struct rest_kvs *out, struct err *e)
{
    struct app_rest_local *l = s_find(ctx, name, e);
    return l ? props_to_kvs(shown_props(l), out) : ST_NOT_FOUND;
}

static enum status s_info(void *ctx, const char *name, struct rest_connector_info *out, struct err *e)
{
    struct app_rest_local *l = s_find(ctx, name, e);
    if (!l)
        return ST_NOT_FOUND;
    out->type = REST_TYPE_SINK;
    enum status st = props_to_kvs(shown_props(l), &out->config);
    return st == ST_OK ? rest_info_add_task(out, 0) : st;
}

/* One task per connector: the process's consumer with its processing threads. */
static enum rest_state s_state(struct app_rest_local *l, const char **trace)
{
    struct worker *w = l->ac ? app_connector_worker(l->ac) : NULL;
    *trace = NULL;
    if (!w)
        return REST_UNASSIGNED;
    if (*worker_failure(w)) {
        *trace = worker_failure(w);
        return REST_FAILED;
    }
    if (atomic_load(&l->done))
        return REST_UNASSIGNED;
    return worker_is_paused(w) ? REST_PAUSED : REST_RUNNING;
}

static enum status s_status(void *ctx, const char *name, struct rest_status *out, struct err *e)
{
    struct app_rest_standalone *x = ctx;
    struct app_rest_local *l = s_find(x, name, e);
    const char *trace;
    if (!l)
        return ST_NOT_FOUND;
    enum rest_state ts = s_state(l, &trace);
    out->type = REST_TYPE_SINK;
    enum status st = rest_status_set(out, ts == REST_PAUSED ? REST_PAUSED : REST_RUNNING, x->worker_id, NULL);
    return st == ST_OK ? rest_status_add_task(out, 0, ts, x->worker_id, trace) : st;
}

static enum status s_task_status(void *ctx, const char *name, int32_t task, struct rest_task_state *out,
                                 struct err *e)
{
    struct app_rest_standalone *x = ctx;
    struct app_rest_local *l = s_find(x, name, e);
    const char *trace;
    if (!l)
        return ST_NOT_FOUND;
    if (task != 0)
        return err_set(e, ST_NOT_FOUND, "No status found for task %s-%d", name, (int)task);
    out->state = s_state(l, &trace);
    out->worker_id = mem_strdup(x->worker_id);
    out->trace = trace ? mem_strdup(trace) : NULL;
    return out->worker_id ? ST_OK : ST_NOMEM;
}

static enum status s_tasks(void *ctx, const char *name, struct rest_task_configs *out, struct err *e)
{
    struct app_rest_local *l = s_find(ctx, name, e);
    if (!l)
        return ST_NOT_FOUND;
    struct rest_kvs *kv = rest_task_configs_add(out, 0);
    enum status st = kv ? props_to_kvs(shown_props(l), kv) : ST_NOMEM;
    return st == ST_OK ? rest_kvs_put(kv, "task.class", APP_TASK_CLASS) : st;
}

static enum status s_set_paused(void *ctx, const char *name, bool paused, struct err *e)
{
    struct app_rest_local *l = s_find(ctx, name, e);
    if (!l)
        return ST_NOT_FOUND;
    if (!l->ac)
        return err_set(e, ST_BUSY, "Connector %s is still starting", name);
    worker_set_paused(app_connector_worker(l->ac), paused);
    return ST_OK;
}

static enum status s_pause(void *ctx, const char *name, struct err *e)
{
    return s_set_paused(ctx, name, true, e);
}

static enum status s_resume(void *ctx, const char *name, struct err *e)
{
    return s_set_paused(ctx, name, false, e);
}

/* Topic tracking (topic.tracking.enable, default true): the topics a connector's task consumed
 * a record of since it started, from its worker's per-topic counters; Connect's standalone
 * worker keeps them in memory too. Unknown connectors have none, as there. */
static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum status s_topics(void *ctx, const char *name, struct rest_strs *out, struct err *e)
{
    struct app_rest_standalone *x = ctx;
    struct app_rest_local *l = s_find(x, name, NULL);
    struct worker *w = l && l->ac ? app_connector_worker(l->ac) : NULL;
    enum status st = ST_OK;

    (void)e;
    if (!x->w->topic_tracking)
        return ST_UNSUPPORTED;   /* 403 "Topic tracking is disabled." */
    for (size_t i = 0; w && i < worker_topic_count(w) && st == ST_OK; i++) {
        struct worker_topic_stats ts;
        worker_topic_stats(w, i, &ts);
        if (ts.consumed)
            st = rest_strs_add(out, ts.topic);
    }
    if (st == ST_OK && out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), s_cmp_str);
    return st;
}

/* Not offered here: the counters cannot be taken back (403, like a disabled reset). */
static enum status s_topics_reset(void *ctx, const char *name, struct err *e)
{
    struct app_rest_standalone *x = ctx;

    (void)name;
    if (!x->w->topic_tracking)
        return err_set(e, ST_UNSUPPORTED, "Topic tracking is disabled.");
    if (!x->w->topic_tracking_reset)
        return err_set(e, ST_UNSUPPORTED, "Topic tracking reset is disabled.");
    return err_set(e, ST_UNSUPPORTED, "Topic tracking reset is not supported by aerosink standalone: its topics "
                   "are those consumed since the process started (restart it to start over), or use aerosink "
                   "distributed");
}

static enum status s_offsets(void *ctx, const char *name, struct rest_offsets *out, struct err *e)
{
    struct app_rest_standalone *x = ctx;
    struct app_rest_local *l = s_find(x, name, e);
    return l ? group_offsets(x->w, l->cc, out, e) : ST_NOT_FOUND;
}

/* A standalone connector is never STOPPED (PUT .../stop is not offered here): Connect's 400. */
static enum status s_not_stopped(void *ctx, const char *name, struct err *e)
{
    if (!s_find(ctx, name, e))
        return ST_NOT_FOUND;
    return err_set(e, ST_CONFIG, "Connectors must be in the STOPPED state before their offsets can be modified. "
                   "This can be done for the specified connector by issuing a 'PUT' request to the "
                   "'/connectors/%s/stop' endpoint (aerosink standalone cannot stop a connector: use aerosink "
                   "distributed to edit offsets)", name);
}

static enum status s_alter_offsets(void *ctx, const char *name, const struct rest_offsets *offsets,
                                   struct buf *message, struct err *e)
{
    (void)offsets, (void)message;
    return s_not_stopped(ctx, name, e);
}

static enum status s_reset_offsets(void *ctx, const char *name, struct buf *message, struct err *e)
{
    (void)message;
    return s_not_stopped(ctx, name, e);
}

/* Writes: the connectors of a standalone process are its command line. */
static enum status s_fixed(const char *what, struct err *e)
{
    return err_set(e, ST_UNSUPPORTED, "%s: aerosink standalone runs the connectors named on its command line; "
                   "edit their files and restart it, or use aerosink distributed", what);
}

static enum status s_create(void *ctx, const char *name, const struct rest_kvs *config,
                            enum rest_target_state initial, struct rest_connector_info *out, struct err *e)
{
    struct err probe = {0};
    (void)config, (void)initial, (void)out;
    if (s_find(ctx, name, &probe))
        return err_set(e, ST_EXISTS, "Connector %s already exists", name);
    return s_fixed("creating a connector", e);
}

static enum status s_put(void *ctx, const char *name, const struct rest_kvs *config, bool *created,
                         struct rest_connector_info *out, struct err *e)
{
    (void)ctx, (void)name, (void)config, (void)created, (void)out;
    return s_fixed("changing a connector's config", e);
}

static enum status s_patch(void *ctx, const char *name, const struct rest_kvs *patch,
                           struct rest_connector_info *out, struct err *e)
{
    (void)patch, (void)out;
    if (!s_find(ctx, name, e))
        return ST_NOT_FOUND;
    return s_fixed("changing a connector's config", e);
}

static enum status s_delete(void *ctx, const char *name, struct err *e)
{
    if (!s_find(ctx, name, e))
        return ST_NOT_FOUND;
    return s_fixed("deleting a connector", e);
}

static enum status s_validate(void *ctx, const char *plugin, const struct rest_kvs *config,
                              struct rest_config_infos *out, struct err *e)
{
    return validate(((struct app_rest_standalone *)ctx)->w, plugin, config, out, e);
}

static enum status s_health(void *ctx, struct rest_health *out, struct err *e)
{
    struct app_rest_standalone *x = ctx;
    (void)e;
    out->state = atomic_load(&x->rest_up) ? REST_HEALTHY : REST_STARTING;
    for (size_t i = 0; i < x->n; i++)
        if (!x->conns[i].ac)
            out->state = REST_STARTING;
    return ST_OK;
}

static enum status s_metrics(void *ctx, struct buf *out, struct err *e)
{
    struct app_rest_standalone *x = ctx;
    struct app_metrics_source *src = mem_calloc(x->n + 1, sizeof(*src));
    size_t n = 0;
    enum status st;
    (void)e;
    if (!src)
        return ST_NOMEM;
    for (size_t i = 0; i < x->n; i++)
        if (x->conns[i].ac)
            src[n++] = (struct app_metrics_source){x->conns[i].cc->name, 0, app_connector_worker(x->conns[i].ac),
                                                   app_connector_cluster(x->conns[i].ac), x->conns[i].max_queued};
    st = app_metrics_render(src, n, out);
    mem_free(src);
    return st;
}

static enum status s_loggers(void *ctx, struct rest_loggers *out, struct err *e)
{
    return loggers_list(((struct app_rest_standalone *)ctx)->levels, out, e);
}

static enum status s_logger(void *ctx, const char *name, struct rest_loggers *out, struct err *e)
{
    return logger_get(((struct app_rest_standalone *)ctx)->levels, name, out, e);
}

/* One process is the whole "cluster" of a standalone worker: both scopes change it. */
static enum status s_set_logger(void *ctx, const char *name, const char *level, bool cluster_scope,
                                struct rest_strs *modified, struct err *e)
{
    (void)cluster_scope;
    return logger_set(((struct app_rest_standalone *)ctx)->levels, name, level, modified, e);
}

void app_rest_standalone_backend(struct app_rest_standalone *ctx, struct rest_backend *b)
{
    memset(b, 0, sizeof(*b));
    b->ctx = ctx;
    b->server_info = s_server_info;
    b->list_connectors = s_list;
    b->connector_info = s_info;
    b->connector_config = s_config;
    b->connector_status = s_status;
    b->create_connector = s_create;
    b->put_connector_config = s_put;
    b->patch_connector_config = s_patch;
    b->delete_connector = s_delete;
    b->pause_connector = s_pause;
    b->resume_connector = s_resume;
    b->task_configs = s_tasks;
    b->task_status = s_task_status;
    b->connector_topics = s_topics;
    b->reset_connector_topics = s_topics_reset;
    b->connector_offsets = s_offsets;
    b->alter_offsets = s_alter_offsets;
    b->reset_offsets = s_reset_offsets;
    b->list_plugins = list_plugins;
    b->plugin_config = plugin_config;
    b->validate_config = s_validate;
    b->list_loggers = s_loggers;
    b->get_logger = s_logger;
    b->set_logger_level = s_set_logger;
    b->health = s_health;
    b->metrics = s_metrics;
}

/* ------------------------------------------------------------------------------------
 * Listeners
 * ------------------------------------------------------------------------------------ */

enum status app_listener(const struct cfg_worker *w, char *host, size_t cap, int *port, bool *https,
                         struct err *e)
{
    const char *l = w->listeners;

    *https = false;
    if (!l) {
        snprintf(host, cap, "%s", w->rest_host_name ? w->rest_host_name : "");
        *port = (int)w->rest_port;
        return ST_OK;
    }
    const char *end = strchr(l, ',');
    size_t n = end ? (size_t)(end - l) : strlen(l);
    char one[300];
    snprintf(one, sizeof(one), "%.*s", (int)MIN(n, sizeof(one) - 1), l);
    char *p = one;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "https://", 8) == 0) {
        *https = true;
        p += 8;
    } else if (strncasecmp(p, "http://", 7) == 0) {
        p += 7;
    } else {
        return err_set(e, ST_CONFIG, "%s: listeners: '%s': expected http://HOST:PORT or https://HOST:PORT",
                       w->props->file, p);
    }
    char *colon = strrchr(p, ':');
    int64_t v;
    if (!colon || !str_to_i64(colon + 1, strlen(colon + 1), &v) || v < 0 || v > 65535)
        return err_set(e, ST_CONFIG, "%s: listeners: '%s': expected http[s]://HOST:PORT", w->props->file, one);
    *colon = '\0';
    if (*p == '[' && colon > p + 1 && colon[-1] == ']') {
        colon[-1] = '\0';
        p++;
    }
    snprintf(host, cap, "%s", p);
    *port = (int)v;
    return ST_OK;
}

/* listeners.https.<key>, else the top-level <key> (Connect's rule for listener overrides). */
static const char *https_prop(const struct cfg_worker *w, const char *key)
{
    char full[128];
    const char *v;
    snprintf(full, sizeof(full), "listeners.https.%s", key);
    v = cfg_props_get(w->props, full);
    return v ? v : cfg_props_get(w->props, key);
}

static enum status prop_num(const struct cfg_worker *w, const char *key, int64_t lo, int64_t hi, int64_t *out,
                            struct err *e)
{
    const char *v = cfg_props_get(w->props, key);
    if (!v)
        return ST_OK;
    if (!str_to_i64(v, strlen(v), out) || *out < lo || *out > hi)
        return err_set(e, ST_CONFIG, "%s: %s: '%s' is not an integer in %lld..%lld", w->props->file, key, v,
                       (long long)lo, (long long)hi);
    return ST_OK;
}

enum status app_rest_config(const struct cfg_worker *w, struct rest_config *rc, char *host, size_t cap,
                            const char **scheme, struct err *e)
{
    bool https;
    int port;
    int64_t v;
    const char *s;

    if (app_listener(w, host, cap, &port, &https, e) != ST_OK)
        return ST_CONFIG;
    rc->bind = *host ? host : "127.0.0.1";
    rc->port = port;
    *scheme = https ? "https" : "http";
    if (https) {
        const char *type = https_prop(w, "ssl.keystore.type");
        if (type && strcasecmp(type, "PEM") != 0)
            return err_set(e, ST_CONFIG, "%s: ssl.keystore.type=%s: aerosink's REST TLS reads PEM files "
                           "(convert with: openssl pkcs12 -in store.p12 -nodes -out store.pem)", w->props->file, type);
        rc->tls_cert_file = https_prop(w, "ssl.certificate.location");
        rc->tls_key_file = https_prop(w, "ssl.key.location");
        if (!rc->tls_cert_file || !rc->tls_key_file) {
            const char *ks = https_prop(w, "ssl.keystore.location");
            if (!ks)
                return err_set(e, ST_CONFIG, "%s: listeners=https://... needs listeners.https.ssl.keystore.location "
                               "(a PEM file with certificate and key) or ssl.certificate.location and "
                               "ssl.key.location", w->props->file);
            rc->tls_cert_file = rc->tls_key_file = ks;
        }
        rc->tls_key_password = https_prop(w, "ssl.key.password");
    }
    rc->password_file = cfg_props_get(w->props, "rest.auth.password.file");
    s = cfg_props_get(w->props, "rest.auth.exempt.probes");
    if (s && strcasecmp(s, "true") != 0 && strcasecmp(s, "false") != 0)
        return err_set(e, ST_CONFIG, "%s: rest.auth.exempt.probes: '%s' is not true or false", w->props->file, s);
    rc->auth_exempt_probes = s && strcasecmp(s, "true") == 0;
    v = (int64_t)rc->max_body;
    if (prop_num(w, "rest.max.request.bytes", 1024, 64ll << 20, &v, e) != ST_OK)
        return ST_CONFIG;
    rc->max_body = (size_t)v;
    v = rc->max_connections;
    if (prop_num(w, "rest.max.connections", 1, 1024, &v, e) != ST_OK)
        return ST_CONFIG;
    rc->max_connections = (unsigned)v;
    v = 0;
    if (prop_num(w, "rest.rate.limit.rps", 0, 1000000, &v, e) != ST_OK)
        return ST_CONFIG;
    rc->rate_limit_rps = (double)v;
    return ST_OK;
}

void app_advertised_id(const struct cfg_worker *w, const char *bind_host, int bound_port, char *out, size_t cap)
{
    char hn[256] = "localhost";
    const char *host = w->rest_advertised_host_name;
    int port = w->rest_advertised_port ? (int)w->rest_advertised_port : bound_port;

    if (!host || !*host) {
        if (bind_host && *bind_host && strcmp(bind_host, "0.0.0.0") != 0 && strcmp(bind_host, "::") != 0) {
            host = bind_host;
        } else {
            if (gethostname(hn, sizeof(hn)) != 0)
                snprintf(hn, sizeof(hn), "localhost");
            hn[sizeof(hn) - 1] = '\0';
            host = hn;
        }
    }
    snprintf(out, cap, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}
