/* src/app/cmd_dryrun.c: `aerosink dry-run`: the Aerospike operation a sample record becomes,
 * printed without Kafka or Aerospike (connector-spec §11 item 7). It runs the worker's own
 * steps: the connector's converters (worker file, then connector overrides), the topic's
 * compiled mapping, the request encoder; then it reads the request back to print it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerospike/aero.h"
#include "aerospike/aero_proto.h"
#include "app/app.h"
#include "app/cmd_aero.h"
#include "app/connector.h"
#include "config/config.h"
#include "convert/convert.h"
#include "mapping/mapping.h"

static const char dryrun_usage[] =
    "usage: aerosink dry-run [options] WORKER.properties CONNECTOR.properties [RECORDS|-]\n"
    "\n"
    "Shows the Aerospike operation each sample record becomes, with the files `aerosink\n"
    "standalone` takes, without connecting to Kafka or Aerospike: the connector's key and\n"
    "value converters decode the record, the topic's mapping maps it, and the request that\n"
    "would be sent is read back and printed (namespace, set, key, digest, TTL, policy flags,\n"
    "bins as JSON). A double JSON cannot hold is shown as the string \"NaN\", \"Infinity\" or\n"
    "\"-Infinity\", as Kafka Connect's JSON (Jackson) writes it: the bin is a double all the same.\n"
    "\n"
    "RECORDS holds one record value per line (e.g. JSON lines; empty lines are skipped); '-'\n"
    "or nothing reads standard input.\n"
    "\n"
    "Options:\n"
    "  --topic T          the Kafka topic the records come from (default: the connector's\n"
    "                     only topic in `topics`)\n"
    "  --key TEXT         the Kafka key of every record (its bytes go through the key\n"
    "                     converter); default: no key (null)\n"
    "  --header NAME=VAL  a Kafka header of every record (repeatable; for a TTL from a header)\n"
    "  --hex              also print the request bytes in hex\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 when every record maps to a write or a delete (or a skip the mapping\n"
    "asks for), 1 when a record cannot be decoded or mapped (the line says what the connector\n"
    "would do with it: errors.tolerance for a record its converters refuse, the topic's\n"
    "invalid-record policy for one its mapping refuses), 2 for a usage or configuration error.\n"
    "\n"
    "Example:\n"
    "  $ echo '{\"name\":\"Ann\",\"age\":31}' | aerosink dry-run --key u1 worker.properties users.properties\n"
    "  record 1: write test/users digest 5f0c... (record-exists-action update)\n"
    "    ttl: namespace default\n"
    "    bins: {\"name\":\"Ann\",\"age\":31}\n"
    "(with the topic's send-key: true the first line also shows key \"u1\", which is then sent)\n";

#define MAX_HEADERS 16
#define MAX_INPUT (64 << 20)

static struct conv_converter *converter(const struct cfg_worker *w, const struct cfg_connector *c, bool key)
{
    struct cfg_converter cc;
    struct err e = {0};
    const char **props;
    struct conv_converter *cv;

    cfg_effective_converter(w, c, key, &cc);
    if (!cc.class_name) {   /* the file check refuses a worker without them; as the worker does */
        fprintf(stderr, "aerosink dry-run: key.converter and value.converter are required\n");
        return NULL;
    }
    if (!(props = app_kv_array((const struct cfg_kvs *const[]){&cc.props}, 1))) {
        fprintf(stderr, "aerosink dry-run: out of memory\n");
        return NULL;
    }
    cv = conv_converter_new(cc.class_name, props, &e);
    mem_free(props);
    if (!cv)
        fprintf(stderr, "aerosink dry-run: %s converter: %s\n", key ? "key" : "value", e.msg);
    return cv;
}

static const char *policy_flags(const struct aero_msg_view *v, char *out, size_t cap)
{
    const char *rea = "update";

    if (v->info2 & AERO_INFO2_CREATE_ONLY)
        rea = "create-only";
    else if (v->info3 & AERO_INFO3_UPDATE_ONLY)
        rea = "update-only";
    else if (v->info3 & AERO_INFO3_CREATE_OR_REPLACE)
        rea = "replace";
    else if (v->info3 & AERO_INFO3_REPLACE_ONLY)
        rea = "replace-only";
    snprintf(out, cap, "record-exists-action %s%s%s%s", rea,
             (v->info2 & AERO_INFO2_GENERATION) ? ", generation must equal" : "",
             (v->info2 & AERO_INFO2_GENERATION_GT) ? ", generation must be greater" : "",
             (v->info3 & AERO_INFO3_COMMIT_MASTER) ? ", commit-level master" : "");
    return out;
}

static bool all_writes(const struct aero_msg_view *v)
{
    const uint8_t *cur = v->ops;
    struct aero_bin_view b;

    while (aero_msg_next_bin(v, &cur, &b, NULL) == ST_OK)
        if (b.op != AERO_OP_WRITE)
            return false;
    return true;
}

/* One op as JSON: a write's value; {"increment": n}; {"list-append": v}; {"map-put": [k, v]}.
 * False when it is none of these (the caller prints op and particle numbers). */
static bool describe_op(const struct aero_bin_view *b, struct buf *o)
{
    struct aero_bin_view cdt = *b;
    struct buf t = BUF_INIT;
    const char *j;
    bool ok = false;

    if (b->op == AERO_OP_WRITE)
        return app_bin_to_json(b, o, false) == ST_OK;
    if (b->op == AERO_OP_INCR) {
        buf_append_str(o, "{\"increment\":");
        ok = app_bin_to_json(b, o, false) == ST_OK;
        buf_put_u8(o, '}');
        return ok;
    }
    if (b->op != AERO_OP_CDT_MODIFY)
        return false;
    cdt.particle = AERO_PT_LIST;   /* the payload is a msgpack list [op code, args...] */
    if (app_bin_to_json(&cdt, &t, false) == ST_OK && (j = buf_cstr(&t)) && t.len > 2 && j[t.len - 1] == ']') {
        if (strncmp(j, "[1,", 3) == 0) {
            buf_printf(o, "{\"list-append\":%.*s}", (int)(t.len - 4), j + 3);
            ok = true;
        } else if (strncmp(j, "[67,", 4) == 0) {
            buf_printf(o, "{\"map-put\":[%.*s]}", (int)(t.len - 5), j + 4);
            ok = true;
        }
    }
    buf_free(&t);
    return ok;
}

/* Print one encoded request the way a person checks a mapping. */
static int print_request(size_t n, const struct buf *req, enum mapping_action action, bool hex)
{
    const uint8_t *p = req->p + AERO_PROTO_HEADER_SZ, *f, *end;
    size_t len = req->len - AERO_PROTO_HEADER_SZ;
    struct aero_msg_view v;
    struct aero_bin_view b;
    struct buf out = BUF_INIT, key = BUF_INIT, bins = BUF_INIT;
    const char *ns = "", *set = NULL;
    size_t ns_len = 0, set_len = 0;
    char digest[2 * AERO_DIGEST_SZ + 1] = "", flags[160];
    struct err e = {0};
    enum status st;
    const uint8_t *cur;
    bool writes_only, has_filter = false;

    if (req->len < AERO_PROTO_HEADER_SZ || aero_msg_parse(p, len, &v, &e) != ST_OK) {
        fprintf(stderr, "record %zu: the request cannot be read back: %s\n", n, e.msg);
        return 1;
    }
    writes_only = all_writes(&v);
    f = v.fields;
    end = v.ops ? v.ops : v.end;
    for (uint16_t i = 0; i < v.n_fields && f + 5 <= end; i++) {
        uint32_t sz = load_u32be(f);
        const uint8_t *d = f + 5;
        size_t dn = sz ? sz - 1 : 0;
        if (sz == 0 || (size_t)(end - d) < dn)
            break;
        switch (f[4]) {
        case AERO_FIELD_NAMESPACE: ns = (const char *)d; ns_len = dn; break;
        case AERO_FIELD_SET: set = (const char *)d; set_len = dn; break;
        case AERO_FIELD_KEY: {
            struct aero_bin_view kb = {0, d[0], "", 0, d + 1, (uint32_t)(dn ? dn - 1 : 0)};
            if (dn && app_bin_to_json(&kb, &key, false) != ST_OK)
                buf_append_str(&key, "?");
            break;
        }
        case AERO_FIELD_DIGEST_RIPE:
            str_hex(d, dn < AERO_DIGEST_SZ ? dn : AERO_DIGEST_SZ, digest);
            break;
        case AERO_FIELD_FILTER: has_filter = true; break;
        default: break;
        }
        f = d + dn;
    }
    buf_printf(&out, "record %zu: %s %.*s/%.*s", n,
               action == MAPPING_DELETE ? "delete" : writes_only ? "write" : "operate",
               (int)ns_len, ns, set ? (int)set_len : 0, set ? set : "");
    if (!set)
        buf_append_str(&out, "(no set)");
    if (key.len)
        buf_printf(&out, " key %s (sent and stored)", buf_cstr(&key));
    buf_printf(&out, " digest %s", digest);
    if (action == MAPPING_DELETE)
        buf_printf(&out, "%s\n", (v.info2 & AERO_INFO2_DURABLE_DELETE) ? " (durable delete)" : "");
    else
        buf_printf(&out, " (%s)\n", policy_flags(&v, flags, sizeof(flags)));
    if (has_filter)
        buf_append_str(&out, "  only if the stored bin " MAPPING_TS_BIN " is absent or <= this record's Kafka "
                             "timestamp (stale-write-guard)\n");
    if (action != MAPPING_DELETE) {
        if (v.record_ttl == 0)
            buf_append_str(&out, "  ttl: namespace default\n");
        else if (v.record_ttl == 0xFFFFFFFFu)
            buf_append_str(&out, "  ttl: never expires\n");
        else if (v.record_ttl == 0xFFFFFFFEu)
            buf_append_str(&out, "  ttl: unchanged on update\n");
        else
            buf_printf(&out, "  ttl: %u s\n", v.record_ttl);
        if (v.info2 & (AERO_INFO2_GENERATION | AERO_INFO2_GENERATION_GT))
            buf_printf(&out, "  generation: %u\n", v.generation);
        buf_put_u8(&bins, '{');
        cur = v.ops;
        for (int k = 0; (st = aero_msg_next_bin(&v, &cur, &b, &e)) == ST_OK; k++) {
            if (k)
                buf_put_u8(&bins, ',');
            json_append_str(&bins, b.name, b.name_len);
            buf_put_u8(&bins, ':');
            if (describe_op(&b, &bins))
                continue;
            buf_printf(&bins, "\"(op %u, particle %u, %u bytes)\"", b.op, b.particle, b.value_len);
        }
        buf_put_u8(&bins, '}');
        buf_printf(&out, "  %s: %s\n", writes_only ? "bins" : "operations", buf_cstr(&bins));
    }
    if (hex) {
        for (size_t k = 0; k < req->len; k++)
            buf_printf(&out, "%s%02x", k % 32 == 0 ? (k ? "\n  " : "  request: ") : " ", req->p[k]);
        buf_put_u8(&out, '\n');
    }
    fwrite(out.p, 1, out.len, stdout);
    buf_free(&out);
    buf_free(&key);
    buf_free(&bins);
    return 0;
}

static const char *invalid_policy_name(const struct cfg_topic *t)
{
    switch (t->invalid_record) {
    case CFG_INVALID_IGNORE: return "invalid-record: ignore -> skipped and counted";
    case CFG_INVALID_KILL_TASK: return "invalid-record: kill-task -> the task would fail here";
    case CFG_INVALID_DEAD_LETTER: return "invalid-record: dead-letter -> sent to the dead-letter topic";
    default: return "invalid-record";
    }
}

/* A record the converters refuse follows Connect's errors.tolerance, not invalid-record. */
static const char *tolerance_policy(const struct cfg_connector *c, char *buf, size_t cap)
{
    if (!c->errors.tolerance_all)
        return "errors.tolerance: none -> the task would fail here";
    if (c->errors.dlq_topic && *c->errors.dlq_topic)
        snprintf(buf, cap, "errors.tolerance: all -> skipped and sent to the dead-letter topic %s",
                 c->errors.dlq_topic);
    else
        snprintf(buf, cap, "errors.tolerance: all -> skipped and counted");
    return buf;
}

int app_cmd_dryrun(int argc, char **argv, struct app_signals *sig)
{
    static const struct option opts[] = {
        {"topic", required_argument, NULL, 't'}, {"key", required_argument, NULL, 'k'},
        {"header", required_argument, NULL, 'H'}, {"hex", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *topic = NULL, *key = NULL;
    struct mapping_header hdrs[MAX_HEADERS];
    size_t n_hdrs = 0;
    bool hex = false;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_props *wp, *cp;
    struct cfg_providers *pv = NULL;
    struct cfg_worker *w = NULL;
    struct cfg_connector *c = NULL;
    struct cfg *m = NULL;
    const struct cfg_topic *tc = NULL;
    struct mapping *mp = NULL;
    struct conv_converter *kconv = NULL, *vconv = NULL;
    struct conv_doc *kdoc = NULL, *vdoc = NULL;
    struct buf req = BUF_INIT;
    FILE *in = stdin;
    struct buf text = BUF_INIT;
    size_t n = 0, bad = 0;
    int opt, rc = 0;

    (void)sig;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 't': topic = optarg; break;
        case 'k': key = optarg; break;
        case 'x': hex = true; break;
        case 'H': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || n_hdrs == MAX_HEADERS) {
                fprintf(stderr, "aerosink dry-run: --header '%s': expected NAME=VALUE (at most %d)\n", optarg,
                        MAX_HEADERS);
                return 2;
            }
            *eq = 0;
            hdrs[n_hdrs++] = (struct mapping_header){optarg, eq + 1, strlen(eq + 1)};
            break;
        }
        case 'h': fputs(dryrun_usage, stdout); return 0;
        default:
            fprintf(stderr, "aerosink dry-run: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind < 2 || argc - optind > 3) {
        fputs(dryrun_usage, stderr);
        return 2;
    }

    /* the files, checked as `aerosink standalone` checks them */
    cfg_check_files((const char *const *)argv + optind, 2, CFG_LOAD_READ_FILES, &d);
    if (!d.errors && (wp = cfg_props_load_file(argv[optind], &d)))
        w = cfg_worker_new_resolved(wp, CFG_WORKER_STANDALONE, NULL, &d);   /* takes wp */
    if (!d.errors && w && (pv = cfg_providers_new(w->props, NULL)) &&
        (cp = cfg_props_load_file(argv[optind + 1], &d)) &&
        (c = cfg_connector_new_resolved(cp, pv, NULL, &d)))   /* ${...} resolved; c took cp */
        m = cfg_connector_load_mapping(c, CFG_LOAD_READ_FILES, &d);
    cfg_providers_free(pv);
    if (d.errors || !w || !c || !m) {
        cfg_diags_sort(&d);
        app_print_diags(&d);
        if (!d.errors)
            fprintf(stderr, "aerosink dry-run: %s and %s are not a worker and a connector file\n",
                    argv[optind], argv[optind + 1]);
        rc = 2;
        goto out;
    }
    if (!topic) {
        if (c->n_topics != 1) {
            fprintf(stderr, "aerosink dry-run: %s consumes %s: say which with --topic\n", argv[optind + 1],
                    c->n_topics ? "several topics" : "a topics.regex");
            rc = 2;
            goto out;
        }
        topic = c->topics[0];
    }
    for (size_t i = 0; i < m->n_topics && !tc; i++)
        if (strcmp(m->topics[i].name, topic) == 0)
            tc = &m->topics[i];
    if (!tc) {
        fprintf(stderr, "aerosink dry-run: %s has no topics.%s entry\n", m->file, topic);
        rc = 2;
        goto out;
    }
    {
        struct err e = {0};
        if (!(mp = app_compile_mapping(m, tc, &e))) {
            fprintf(stderr, "aerosink dry-run: %s\n", e.msg);
            rc = 2;
            goto out;
        }
    }
    if (!(kconv = converter(w, c, true)) || !(vconv = converter(w, c, false))) {
        rc = 2;
        goto out;
    }
    if (!(kdoc = conv_doc_new()) || !(vdoc = conv_doc_new())) {
        fprintf(stderr, "aerosink dry-run: out of memory\n");
        rc = 1;
        goto out;
    }
    if (argc - optind == 3 && strcmp(argv[optind + 2], "-") != 0 && !(in = fopen(argv[optind + 2], "r"))) {
        fprintf(stderr, "aerosink dry-run: %s: %s\n", argv[optind + 2], strerror(errno));
        rc = 2;
        goto out;
    }

    for (;;) {   /* the whole input: sample files are small */
        char chunk[65536];
        size_t got = fread(chunk, 1, sizeof(chunk), in);
        if (got && buf_append(&text, chunk, got) != ST_OK) {
            fprintf(stderr, "aerosink dry-run: out of memory\n");
            rc = 1;
            goto out;
        }
        if (got < sizeof(chunk))
            break;
        if (text.len > MAX_INPUT) {
            fprintf(stderr, "aerosink dry-run: more than %d MiB of records; give a sample\n", MAX_INPUT >> 20);
            rc = 2;
            goto out;
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "aerosink dry-run: reading the records: %s\n", strerror(errno));
        rc = 2;
        goto out;
    }
    for (size_t at = 0; at < text.len;) {
        const char *line = (const char *)text.p + at, *nl = memchr(line, '\n', text.len - at);
        size_t len = nl ? (size_t)(nl - line) : text.len - at;
        struct mapping_input mi;
        struct mapping_result res;
        struct err e = {0};
        enum status st;

        at += len + (nl ? 1 : 0);
        while (len && line[len - 1] == '\r')
            len--;
        if (len == 0)
            continue;
        n++;
        st = conv_decode(kconv, (const uint8_t *)key, key ? strlen(key) : 0, kdoc, &e);
        if (st != ST_OK)
            err_prefix(&e, "key");
        else if ((st = conv_decode(vconv, (const uint8_t *)line, len, vdoc, &e)) != ST_OK)
            err_prefix(&e, "value");
        if (st != ST_OK) {
            char pol[300];
            printf("record %zu: %s (%s)\n", n, e.msg, tolerance_policy(c, pol, sizeof(pol)));
            bad++;
            continue;
        }
        {
            uint64_t now = clock_wall_ms();
            /* a producer stamps a record with its create time: now */
            mi = (struct mapping_input){.key = kdoc, .value = vdoc, .headers = hdrs, .n_headers = n_hdrs,
                                        .now_ms = now, .kafka_ts_ms = (int64_t)now, .transaction_ttl_ms = 0};
            buf_reset(&req);
            st = mapping_encode(mp, &mi, &req, &res, &e);
        }
        if (st != ST_OK) {
            printf("record %zu: %s (%s)\n", n, e.msg, invalid_policy_name(tc));
            bad++;
            continue;
        }
        if (res.action == MAPPING_SKIP) {
            printf("record %zu: skipped: %s\n", n, res.skip_reason);
            continue;
        }
        if (print_request(n, &req, res.action, hex) != 0)
            bad++;
    }
    if (n == 0)
        fprintf(stderr, "aerosink dry-run: no records (one value per line)\n");
    rc = bad ? 1 : 0;
out:
    if (in && in != stdin)
        fclose(in);
    buf_free(&text);
    buf_free(&req);
    conv_doc_free(kdoc);
    conv_doc_free(vdoc);
    conv_converter_free(kconv);
    conv_converter_free(vconv);
    mapping_free(mp);
    cfg_free(m);
    cfg_connector_free(c);
    cfg_worker_free(w);
    cfg_diags_free(&d);
    return rc;
}
