/* src/config/cfg_doc.c: the configuration reference, generated from the key tables
 * (`aerosink help config`, and with --markdown docs/config-reference.md). */
#include <stdio.h>
#include <string.h>

#include "config_int.h"

enum section { SEC_TOP, SEC_AEROSPIKE, SEC_TOPIC, SEC_MAPPING, SEC_OPERATION, SEC__N };

static const char *const section_title[SEC__N] = {
    "Top level", "aerospike: the cluster", "topics.<topic>: one Kafka topic",
    "topics.<topic>.mapping: where and how records are written",
    "topics.<topic>.aerospike-operation: the operation and its policy"};

static enum section section_of(const char *path)
{
    if (strncmp(path, "aerospike", 9) == 0 && (path[9] == '\0' || path[9] == '.'))
        return SEC_AEROSPIKE;
    if (strncmp(path, "topics.*.mapping", 16) == 0)
        return SEC_MAPPING;
    if (strncmp(path, "topics.*.aerospike-operation", 28) == 0)
        return SEC_OPERATION;
    if (strncmp(path, "topics", 6) == 0)
        return SEC_TOPIC;
    return SEC_TOP;
}

/* "topics.*.mapping.bins.map.*.source" -> "topics.<topic>.mapping.bins.map.<bin>.source" */
static void display_path(const char *path, char *out, size_t cap)
{
    size_t o = 0;

    for (const char *p = path; *p && o + 12 < cap; p++) {
        if (*p != '*') {
            out[o++] = *p;
            continue;
        }
        const char *name = strncmp(path, "topics.*", 8) == 0 && p == path + 7 ? "<topic>"
                           : strstr(path, "seeds[]") && p > strstr(path, "seeds[]") ? "<host>"
                                                                                    : "<bin>";
        o += (size_t)snprintf(out + o, cap - o, "%s", name);
    }
    out[o] = '\0';
}

static void type_text(const struct cfg_key *k, struct buf *b, bool md)
{
    switch (k->type) {
    case CFG_K_MAP: buf_append_str(b, "map"); break;
    case CFG_K_NAMED: buf_append_str(b, "map of names"); break;
    case CFG_K_SEQ: buf_append_str(b, "list"); break;
    case CFG_K_STR: buf_append_str(b, "string"); break;
    case CFG_K_PATH: buf_append_str(b, "file path"); break;
    case CFG_K_BOOL: buf_append_str(b, "boolean"); break;
    case CFG_K_SCALAR: buf_append_str(b, "number, boolean or string"); break;
    case CFG_K_CODES: buf_append_str(b, "list of result codes"); break;
    case CFG_K_ANY: buf_append_str(b, k->opens == CFG_S_SEED ? "host or map" : "any"); break;
    case CFG_K_INT:
        buf_printf(b, "integer %lld..%lld", (long long)k->min, (long long)k->max);
        break;
    case CFG_K_ENUM:
        for (const struct cfg_enum_val *v = k->vals; v->name; v++)
            buf_printf(b, "%s%s%s%s", v == k->vals ? "" : " | ", md ? "`" : "",
                       v->name, md ? "`" : "");
        break;
    }
}

static const char *origin_text(unsigned f)
{
    if (f & CFG_F_UNSUPPORTED)
        return "not supported";
    if (f & CFG_F_DEPRECATED)
        return "deprecated";
    if (f & CFG_F_BEYOND)
        return "[beyond]";
    if (f & CFG_F_AEROSINK)
        return "[aerosink]";
    if (f & CFG_F_UNVERIFIED)
        return "[unverified]";
    if (f & CFG_F_SIBLING)
        return "[sibling]";
    return "documented";
}

/* Markdown table cells: no raw '|' or newlines. */
static void md_cell(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            buf_append_str(b, "\\|");
        else if (*s == '\n')
            buf_put_u8(b, ' ');
        else
            buf_put_u8(b, (uint8_t)*s);
    }
}

/* Plain text: drop Markdown backticks, wrap at 78 columns with @indent. */
static void wrap(struct buf *b, const char *s, int indent)
{
    int col = indent;

    buf_printf(b, "%*s", indent, "");
    while (*s) {
        const char *w = s;
        size_t len = 0;
        while (w[len] && w[len] != ' ')
            len++;
        size_t shown = 0;
        for (size_t i = 0; i < len; i++)
            shown += w[i] != '`';
        if (col > indent && col + 1 + (int)shown > 78) {
            buf_printf(b, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            buf_put_u8(b, ' ');
            col++;
        }
        for (size_t i = 0; i < len; i++)
            if (w[i] != '`')
                buf_put_u8(b, (uint8_t)w[i]);
        col += (int)shown;
        s = w + len;
        while (*s == ' ')
            s++;
    }
    buf_put_u8(b, '\n');
}

static void row_plain(struct buf *b, const struct cfg_key *k)
{
    char path[256];
    struct buf t = BUF_INIT;

    display_path(k->path, path, sizeof(path));
    type_text(k, &t, false);
    buf_printf(b, "  %s\n      %s", path, buf_cstr(&t));
    if (k->flags & CFG_F_REQUIRED)
        buf_append_str(b, ", required");
    if (k->def)
        buf_printf(b, ", default %s", k->def);
    else if (k->def_doc)
        buf_printf(b, ", default: %s", k->def_doc);
    if (!(k->flags & CFG_F_DOC) || (k->flags & (CFG_F_UNSUPPORTED | CFG_F_DEPRECATED)))
        buf_printf(b, "  %s", origin_text(k->flags));
    buf_put_u8(b, '\n');
    wrap(b, k->help, 6);
    buf_free(&t);
}

static void row_md(struct buf *b, const struct cfg_key *k)
{
    char path[256];
    struct buf t = BUF_INIT;

    display_path(k->path, path, sizeof(path));
    type_text(k, &t, true);
    buf_printf(b, "| `%s` | ", path);
    md_cell(b, buf_cstr(&t));
    buf_printf(b, " | %s | ", (k->flags & CFG_F_REQUIRED) ? "yes" : "");
    if (k->def)
        buf_printf(b, "`%s`", k->def);
    else if (k->def_doc)
        md_cell(b, k->def_doc);
    buf_printf(b, " | %s | ", origin_text(k->flags));
    md_cell(b, k->help);
    buf_append_str(b, " |\n");
    buf_free(&t);
}

static const char intro_md[] =
    "# aerosink configuration reference\n\n"
    "Generated by `aerosink help config --markdown` from the key table in "
    "`src/config/cfg_keys.c`; do not edit by hand (a test compares this file with the "
    "output).\n\n"
    "aerosink reads the Aerospike Kafka Inbound connector's mapping file "
    "(`aerospike-kafka-inbound.yml` or `.json`) and Kafka Connect's worker and connector "
    "properties unchanged. `aerosink check FILE...` reports every problem as "
    "`file:line:col: key.path: message`.\n\n"
    "Origin: *documented* (Aerospike's docs), *[sibling]* (same framework in a sibling "
    "Aerospike connector), *[unverified]* (believed to exist in the original), *[aerosink]* "
    "(our spelling where the original's is unknown), *[beyond]* (aerosink only: the Java "
    "connector would refuse it). Unknown keys are errors, with a \"did you mean\".\n";

static const char intro_plain[] =
    "aerosink configuration reference\n\n"
    "The mapping file (aerospike-kafka-inbound.yml or .json) of the Aerospike Kafka Inbound\n"
    "connector, read unchanged. Keys marked [beyond] are aerosink additions, [aerosink] our\n"
    "spelling where the original's is unknown. Unknown keys are errors. Check files with\n"
    "`aerosink check FILE...`; `aerosink help config --markdown` prints this as Markdown.\n";

static const char old_md[] =
    "\n## Old spellings (v1.1 mapping)\n\n"
    "Accepted, rewritten to the form above, and reported as `deprecated` warnings:\n\n"
    "| v1.1 | Same as |\n|---|---|\n"
    "| `all-fields: true` | `bins: {type: multi-bins, all-value-fields: true}` |\n"
    "| `bins: {field: binName}` | `bins: {type: multi-bins, map: {binName: {source: value-field, "
    "field-name: field}}}` |\n"
    "| `key-field: field` | `key-field: {source: value-field, field-name: field}` |\n"
    "| `set: {mode: dynamic, field-name: f}` (no `source`; also `namespace`, `ttl`) | "
    "`set: {mode: dynamic, source: value-field, field-name: f}` |\n\n"
    "YAML anchors, aliases and merge keys (`<<: *defaults`) are resolved. JSON files are read "
    "as strict JSON. Connector 1.x flat properties (`cluster.hosts`, `topic.*`) are not "
    "supported.\n";

static const char old_plain[] =
    "\nOld spellings (v1.1 mapping), accepted with a \"deprecated\" warning:\n"
    "  all-fields: true           -> bins: {type: multi-bins, all-value-fields: true}\n"
    "  bins: {field: binName}     -> bins: {type: multi-bins, map: {binName: {source:\n"
    "                                value-field, field-name: field}}}\n"
    "  key-field: field           -> key-field: {source: value-field, field-name: field}\n"
    "  {mode: dynamic, field-name: f} without source -> source: value-field\n";

static const char example_plain[] =
    "\nExample:\n"
    "  aerospike:\n"
    "    seeds:\n"
    "      - aero-1.internal\n"
    "      - aero-2.internal: {port: 3000, tls-name: aero}\n"
    "  topics:\n"
    "    user-profiles:\n"
    "      invalid-record: ignore\n"
    "      mapping:\n"
    "        namespace: {mode: static, value: users}\n"
    "        key-field: {source: key}\n"
    "        bins: {type: multi-bins, all-value-fields: true}\n";

static void props_section(struct buf *b, bool md, const char *title, const char *intro,
                          const struct cfg__prop_key *keys)
{
    if (md) {
        buf_printf(b, "\n## %s\n\n%s\n\n| Property | Default | Description |\n|---|---|---|\n",
                   title, intro);
        for (; keys->name; keys++) {
            buf_printf(b, "| `%s` | ", keys->name);
            if (keys->def && *keys->def)
                buf_printf(b, "`%s`", keys->def);
            else if (keys->def)
                buf_append_str(b, "\"\"");
            buf_append_str(b, " | ");
            md_cell(b, keys->help);
            buf_append_str(b, " |\n");
        }
        return;
    }
    buf_printf(b, "\n%s\n", title);
    wrap(b, intro, 2);
    for (; keys->name; keys++) {
        buf_printf(b, "  %s", keys->name);
        if (keys->def)
            buf_printf(b, " (default %s)", *keys->def ? keys->def : "\"\"");
        buf_put_u8(b, '\n');
        wrap(b, keys->help, 6);
    }
}

enum status cfg_reference(struct buf *b, bool md)
{
    buf_append_str(b, md ? intro_md : intro_plain);
    for (int s = 0; s < SEC__N; s++) {
        if (md)
            buf_printf(b, "\n## %s\n\n| Key | Type | Req. | Default | Origin | Meaning |\n"
                          "|---|---|---|---|---|---|\n", section_title[s]);
        else
            buf_printf(b, "\n%s\n", section_title[s]);
        for (size_t i = 0; i < cfg__n_keys; i++) {
            if ((int)section_of(cfg__keys[i].path) != s)
                continue;
            if (md)
                row_md(b, &cfg__keys[i]);
            else
                row_plain(b, &cfg__keys[i]);
        }
    }
    buf_append_str(b, md ? old_md : old_plain);
    props_section(b, md, "Connector properties",
                  "A connector `.properties` file (standalone) or the REST body "
                  "`{\"name\": ..., \"config\": {...}}`. Unknown properties are ignored, as "
                  "Connect does; near-misses of known ones get a warning.",
                  cfg__connector_keys);
    props_section(b, md, "Worker properties",
                  "connect-standalone.properties / connect-distributed.properties. Other Kafka "
                  "client settings are passed through.",
                  cfg__worker_keys);
    props_section(b, md, "Config providers",
                  "Kafka Connect's config providers (KIP-297, KIP-887), declared in the worker "
                  "properties. Any connector or worker property value (except the "
                  "`config.providers*` keys) may hold references such as "
                  "`${file:/etc/kafka/secrets.properties:db.password}`, `${env:DB_PASSWORD}` "
                  "or `${dir:/run/secrets:db-password}`; several in one value are fine, and a "
                  "replacement is not scanned again. A reference to an alias the worker does "
                  "not declare stays as written (a warning). One that cannot be resolved (file, "
                  "key or variable missing, path or variable not allowed) is an error naming "
                  "file:line:col, the property and the reference (Connect would leave it as "
                  "written). Connector configs are resolved when loaded (standalone) or when a "
                  "task starts and when REST checks them (distributed); REST shows them as "
                  "written. Messages never show a resolved value. `aerosink check --offline` "
                  "resolves nothing.",
                  cfg__provider_keys);
    if (!md)
        buf_append_str(b, example_plain);
    buf_cstr(b);
    return b->p ? ST_OK : ST_NOMEM;
}
