/* src/app/cmd_aero.c: `aerosink info|get|put`, small Aerospike tools on the client library
 * (like asinfo -v and aql's SELECT/INSERT), for checking what the sink wrote. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aerospike/aero.h"
#include "app.h"
#include "cmd_aero.h"
#include "convert/convert.h"

#define DEFAULT_TIMEOUT_MS 5000

struct opts {
    char host[300];
    uint32_t timeout_ms;
    const char *key_type;     /* string | int | bytes */
    const char *bins;         /* get: comma-separated bin names */
    uint32_t ttl;
    bool has_ttl, send_key;
    enum aero_exists exists;
    bool blob_hex;
    /* security: any of these makes the tools go through a cluster connection */
    struct aero_tool_security sec;
};

#define SECURITY_HELP \
"Security (a cluster with TLS and/or access control):\n" \
"  --user NAME            log in as NAME (password from --password-file, else from\n" \
"                         $AEROSPIKE_PASSWORD)\n" \
"  --password-file FILE   file whose first line is the password\n" \
"  --auth-mode MODE       internal (default), external, external-insecure or pki\n" \
"  --tls                  use TLS with the system's CA certificates\n" \
"  --tls-ca FILE          use TLS, trusting the CA certificates in FILE (PEM)\n" \
"  --tls-name NAME        name the node's certificate must carry (default: the host)\n" \
"  --tls-cert FILE        client certificate and private key (PEM) for mutual TLS / pki\n"

static const char info_help[] =
"usage: aerosink info [-h HOST:PORT] [--timeout MS] COMMAND...\n"
"\n"
"Send info commands (proto type 1) to one Aerospike node and print each value on its own\n"
"line, like `asinfo -v`. A value that reports an error (ERROR:...) goes to stderr, exit 1.\n"
"\n"
"  -h, --host HOST:PORT   node to ask (default: the first of $AEROSPIKE_HOSTS, else\n"
"                         127.0.0.1:3000); IPv6 as [addr]:port\n"
"  --timeout MS           connect + exchange timeout (default 5000)\n"
SECURITY_HELP
"\n"
"Examples:\n"
"  aerosink info -h 127.0.0.1:3100 namespaces        -> test\n"
"  aerosink info -h db1:4333 --tls-ca ca.pem --tls-name db1 --user admin \\\n"
"      --password-file pw.txt build\n"
"  aerosink info node build partition-generation\n"
"  aerosink info 'namespace/test'\n"
"Exit: 0 ok, 1 connection or server error, 2 usage.\n";

static const char get_help[] =
"usage: aerosink get [-h HOST:PORT] [options] NS SET KEY\n"
"\n"
"Read one record and print it as one line of JSON:\n"
"  {\"bins\":{\"name\":\"ann\",\"age\":31},\"generation\":1,\"ttl\":-1}\n"
"ttl is the remaining time to live in seconds, -1 = never expires. Bins keep the server's\n"
"order. Types: integer -> number, double -> number (always with '.' or 'e'), string ->\n"
"string, bool -> true/false, list/map -> array/object (non-string map keys become strings),\n"
"blob (and language blobs, HLL) -> base64 string (--blob-hex: hex string), GeoJSON -> its\n"
"text as a string. Use an empty SET ('') for records without a set.\n"
"\n"
"  -h, --host HOST:PORT   seed node (default: first of $AEROSPIKE_HOSTS, else 127.0.0.1:3000)\n"
"  --key-type T           string (default), int (64-bit signed) or bytes (KEY in hex)\n"
"  --bins a,b,c           only these bins (default: all)\n"
"  --blob-hex             print blobs as hex instead of base64\n"
"  --timeout MS           total timeout (default 5000)\n"
SECURITY_HELP
"Options may come anywhere; a KEY starting with '-' needs '--' before NS.\n"
"Exit: 0 found, 1 not found or any error (message names the result code), 2 usage.\n";

static const char put_help[] =
"usage: aerosink put [-h HOST:PORT] [options] NS SET KEY BIN=VALUE...\n"
"\n"
"Write one record. VALUE is typed like aql:\n"
"  31            integer            1.5, -2e3      double\n"
"  \"31\"          string 31 (JSON string escapes allowed; quote it for your shell: '\"31\"')\n"
"  true, false   bool               null           delete the bin\n"
"  [1,\"a\",2.5]   list               {\"k\":1}        map (unordered; JSON object keys)\n"
"  anything else string, as typed (ann -> \"ann\")\n"
"Bin names are at most 15 bytes.\n"
"\n"
"  -h, --host HOST:PORT   seed node (default: first of $AEROSPIKE_HOSTS, else 127.0.0.1:3000)\n"
"  --key-type T           string (default), int or bytes (KEY in hex)\n"
"  --ttl N                seconds; 0 namespace default (default), -1 never expire,\n"
"                         -2 keep the current TTL\n"
"  --exists ACTION        update (default), update-only, replace, replace-only, create-only\n"
"  --send-key             store the user key with the record\n"
"  --timeout MS           total timeout (default 5000)\n"
SECURITY_HELP
"Example: aerosink put -h 127.0.0.1:3100 test demo k1 name=ann age=31 tags='[\"a\",\"b\"]'\n"
"Exit: 0 written, 1 refused by the server or connection error (e.g. ERR_RECORD_EXISTS (5)),\n"
"2 usage.\n";

/* ---------- options and connection ---------- */

static void default_host(struct opts *o)
{
    const char *env = getenv("AEROSPIKE_HOSTS");
    size_t n;

    if (env && *env) {
        n = strcspn(env, ", ");
        snprintf(o->host, sizeof(o->host), "%.*s", (int)MIN(n, sizeof(o->host) - 1), env);
    } else {
        snprintf(o->host, sizeof(o->host), "127.0.0.1:3000");
    }
}

static int usage_err(const char *cmd, const char *help, const char *fmt, const char *arg)
{
    fprintf(stderr, "aerosink %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", help);
    return 2;
}

/* Index of @name in @names[0..n), or n. */
static size_t name_index(const char *name, const char *const *names, size_t n)
{
    size_t i = 0;
    while (i < n && strcmp(name, names[i]))
        i++;
    return i;
}

/* Parse options; returns -1 to go on, else an exit code. @cmd names the command. */
static int parse_opts(int argc, char **argv, const char *cmd, const char *help, struct opts *o)
{
    static const struct option lo[] = {
        {"host", required_argument, 0, 'h'},  {"timeout", required_argument, 0, 't'},
        {"key-type", required_argument, 0, 'k'}, {"bins", required_argument, 0, 'b'},
        {"ttl", required_argument, 0, 'T'},   {"send-key", no_argument, 0, 's'},
        {"exists", required_argument, 0, 'e'}, {"blob-hex", no_argument, 0, 'x'},
        {"user", required_argument, 0, 'u'},  {"password-file", required_argument, 0, 'p'},
        {"auth-mode", required_argument, 0, 'a'}, {"tls", no_argument, 0, 'L'},
        {"tls-ca", required_argument, 0, 'C'}, {"tls-name", required_argument, 0, 'N'},
        {"tls-cert", required_argument, 0, 'K'},
        {"help", no_argument, 0, 'H'},        {0, 0, 0, 0},
    };
    static const char *const exists_names[] = {"update", "update-only", "replace", "replace-only",
                                               "create-only"};
    int c;
    int64_t v;
    struct err e = {0};

    memset(o, 0, sizeof(*o));
    default_host(o);
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->key_type = "string";
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h:", lo, NULL)) != -1) {
        switch (c) {
        case 'h': snprintf(o->host, sizeof(o->host), "%s", optarg); break;
        case 't':
            if (!str_to_i64(optarg, strlen(optarg), &v) || v <= 0 || v > 3600000)
                return usage_err(cmd, help, "--timeout: '%s' is not a number of ms (1..3600000)", optarg);
            o->timeout_ms = (uint32_t)v;
            break;
        case 'k':
            if (strcmp(optarg, "string") && strcmp(optarg, "int") && strcmp(optarg, "bytes"))
                return usage_err(cmd, help, "--key-type: '%s' (string, int or bytes)", optarg);
            o->key_type = optarg;
            break;
        case 'b': o->bins = optarg; break;
        case 'T':
            if (!str_to_i64(optarg, strlen(optarg), &v) || v < -2 || v > AERO_TTL_MAX)
                return usage_err(cmd, help, "--ttl: '%s' (seconds up to 315360000, 0, -1 or -2)", optarg);
            o->ttl = (uint32_t)v;             /* -1 / -2 wrap to the special values */
            o->has_ttl = true;
            break;
        case 's': o->send_key = true; break;
        case 'e': {
            size_t i = name_index(optarg, exists_names, ARRAY_LEN(exists_names));
            if (i == ARRAY_LEN(exists_names))
                return usage_err(cmd, help, "--exists: '%s' (update, update-only, replace, "
                                 "replace-only, create-only)", optarg);
            o->exists = (enum aero_exists)i;
            break;
        }
        case 'x': o->blob_hex = true; break;
        case 'u': o->sec.user = optarg; break;
        case 'p': o->sec.password_file = optarg; break;
        case 'a':
            if (!aero_auth_mode_parse(optarg, &o->sec.auth_mode))
                return usage_err(cmd, help, "--auth-mode: '%s' (internal, external, "
                                 "external-insecure, pki)", optarg);
            o->sec.has_auth_mode = true;
            break;
        case 'L': o->sec.tls = true; break;
        case 'C': o->sec.tls_ca = optarg; o->sec.tls = true; break;
        case 'N': o->sec.tls_name = optarg; o->sec.tls = true; break;
        case 'K': o->sec.tls_cert = optarg; o->sec.tls = true; break;
        case 'H': fputs(help, stdout); return 0;
        default:
            return usage_err(cmd, help, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    o->sec.password_env = getenv("AEROSPIKE_PASSWORD");
    if (aero_tool_security_check(&o->sec, &e) != ST_OK)
        return usage_err(cmd, help, "%s", e.msg);
    return -1;
}



/* Connect a one-shot cluster (no tend thread) and client to @o->host. */
static int connect_to(const struct opts *o, struct aero_cluster **c, struct aero_client **cl)
{
    struct aero_cluster_config cfg;
    struct err e = {0};

    aero_cluster_config_init(&cfg);
    cfg.tend_interval_ms = 0;
    cfg.conn_timeout_ms = MIN(o->timeout_ms, 5000);
    cfg.info_timeout_ms = o->timeout_ms;
    if (aero_cluster_config_seeds(&cfg, o->host, &e) != ST_OK) {
        fprintf(stderr, "aerosink: -h %s: %s\n", o->host, e.msg);
        return 2;
    }
    enum status st = aero_cluster_config_tool_security(&cfg, &o->sec, &e);
    if (st != ST_OK) {
        memset(cfg.password, 0, sizeof(cfg.password));
        fprintf(stderr, "aerosink: %s\n", e.msg);
        return st == ST_IO ? 1 : 2;
    }
    *c = aero_cluster_new(&cfg, &e);
    memset(cfg.password, 0, sizeof(cfg.password));
    *cl = *c ? aero_client_new(*c, NULL, &e) : NULL;
    if (!*cl) {
        fprintf(stderr, "aerosink: %s\n", e.msg);
        aero_cluster_free(*c);
        *c = NULL;
        return 1;
    }
    return -1;
}

static void report(const char *what, const char *ns, const char *set, const char *key,
                   enum status st, const struct err *e)
{
    int rc = e->aero_rc;

    if (rc == 0 && st == ST_BIN_NAME)
        rc = AERO_RC_ERR_BIN_NAME;             /* refused before sending; same condition */
    if (rc > 0 && aero_rc_name(rc)) {
        /* the server's message names host:port first; keep only what follows the code */
        const char *detail = strstr(e->msg, "): ");
        fprintf(stderr, "aerosink: %s %s/%s/%s: %s (%d): %s", what, ns, set, key, aero_rc_name(rc),
                rc, aero_rc_message(rc));
        if (!detail && e->msg[0])
            fprintf(stderr, ": %s", e->msg);
        fputc('\n', stderr);
        return;
    }
    fprintf(stderr, "aerosink: %s %s/%s/%s: %s\n", what, ns, set, key, e->msg[0] ? e->msg : status_str(st));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Build the key from the KEY argument; @scratch holds decoded bytes. */
static int make_key(const struct opts *o, const char *cmd, const char *help, const char *ns,
                    const char *set, const char *text, struct buf *scratch, struct aero_key *k)
{
    struct aero_key_value kv = {0};
    struct err e = {0};

    if (!strcmp(o->key_type, "int")) {
        kv.type = AERO_PT_INTEGER;
        if (!str_to_i64(text, strlen(text), &kv.i))
            return usage_err(cmd, help, "KEY '%s' is not a 64-bit integer", text);
    } else if (!strcmp(o->key_type, "bytes")) {
        size_t n = strlen(text);
        if (n == 0 || n % 2)
            return usage_err(cmd, help, "KEY '%s' is not an even number of hex digits", text);
        for (size_t i = 0; i < n; i += 2) {
            int hi = hexval(text[i]), lo = hexval(text[i + 1]);
            if (hi < 0 || lo < 0)
                return usage_err(cmd, help, "KEY '%s' is not hex", text);
            buf_put_u8(scratch, (uint8_t)(hi << 4 | lo));
        }
        kv.type = AERO_PT_BLOB;
        kv.p = scratch->p;
        kv.n = scratch->len;
    } else {
        kv.type = AERO_PT_STRING;
        kv.p = (const uint8_t *)text;
        kv.n = strlen(text);
    }
    if (aero_key_init(k, ns, set, &kv, &e) != ST_OK)
        return usage_err(cmd, help, "%s", e.msg);
    return -1;
}

/* ---------- info ---------- */

int cmd_info(int argc, char **argv, struct app_signals *sig)
{
    struct opts o;
    struct aero_host h;
    struct buf out = BUF_INIT;
    struct err e = {0};
    int rc = parse_opts(argc, argv, "info", info_help, &o), status = 0;

    (void)sig;
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return usage_err("info", info_help, "%s", "no COMMAND given");
    if (aero_host_parse(o.host, strlen(o.host), AERO_DEFAULT_PORT, &h, &e) != ST_OK)
        return usage_err("info", info_help, "-h: %s", e.msg);
    for (int i = optind; i < argc; i++)
        if (strchr(argv[i], '\n') || !argv[i][0])
            return usage_err("info", info_help, "bad COMMAND '%s'", argv[i]);
    /* TLS or a login: through a cluster connection (handshake, authentication), to the node
     * at -h (or the first one found when -h names it differently, e.g. by DNS name) */
    struct aero_cluster *c = NULL;
    struct aero_client *cl = NULL;
    char node[AERO_NODE_NAME_SZ] = "";
    if (aero_tool_security_wanted(&o.sec)) {
        struct aero_node_info ni[64];
        char want[300];
        if ((rc = connect_to(&o, &c, &cl)) >= 0)
            return rc;
        size_t nn = aero_cluster_nodes(c, ni, ARRAY_LEN(ni));
        aero_host_format(&h, want, sizeof(want));
        for (size_t k = 0; k < nn && k < ARRAY_LEN(ni) && !node[0]; k++)
            if (!strcmp(ni[k].addr, want))
                snprintf(node, sizeof(node), "%s", ni[k].name);
        if (!node[0] && nn)
            snprintf(node, sizeof(node), "%s", ni[0].name);
        if (!node[0]) {
            fprintf(stderr, "aerosink: info: no node of the cluster at %s answered\n", o.host);
            aero_client_free(cl);
            aero_cluster_free(c);
            return 1;
        }
    }
    for (int i = optind; i < argc; i++) {
        const char *val;
        size_t vl;
        enum status st = node[0] ? aero_info_node(c, node, argv[i], &out, o.timeout_ms, &e)
                                 : aero_info_host(h.name, h.port, argv[i], &out, o.timeout_ms, &e);
        if (st != ST_OK) {
            fprintf(stderr, "aerosink: info %s: %s\n", argv[i], e.msg);
            status = 1;
            break;
        }
        if (!aero_info_value((const char *)out.p, out.len, argv[i], &val, &vl)) {
            fprintf(stderr, "aerosink: info %s: no value in the reply\n", argv[i]);
            status = 1;
            continue;
        }
        if ((vl >= 6 && !memcmp(val, "ERROR:", 6)) || (vl >= 5 && !memcmp(val, "FAIL:", 5))) {
            fprintf(stderr, "aerosink: info %s: %.*s\n", argv[i], (int)vl, val);
            status = 1;
            continue;
        }
        fwrite(val, 1, vl, stdout);
        fputc('\n', stdout);
    }
    buf_free(&out);
    aero_client_free(cl);
    aero_cluster_free(c);
    return status;
}

/* ---------- get: values to JSON ---------- */

/* A double as JSON. JSON has no NaN or infinities: they are written as the strings "NaN",
 * "Infinity" and "-Infinity", as Jackson (Kafka Connect's JSON) writes them by default
 * (WRITE_NAN_AS_STRINGS), rather than null, which would say the bin holds nothing. */
static void put_double(struct buf *o, double d)
{
    char t[40];

    if (isnan(d) || isinf(d)) {
        buf_append_str(o, isnan(d) ? "\"NaN\"" : d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof(t), "%.*g", prec, d);
        if (strtod(t, NULL) == d)
            break;
    }
    buf_append_str(o, t);
    if (!strpbrk(t, ".eE"))
        buf_append_str(o, ".0");
}

static void put_bytes(struct buf *o, const uint8_t *p, size_t n, bool hex)
{
    buf_put_u8(o, '"');
    if (hex) {
        for (size_t i = 0; i < n; i++)
            buf_printf(o, "%02x", p[i]);
    } else if (buf_reserve(o, base64_encoded_len(n)) == ST_OK) {
        base64_encode(p, n, (char *)o->p + o->len);
        o->len += base64_encoded_len(n);
    }
    buf_put_u8(o, '"');
}

static enum status mp_to_json(struct aero_mp_reader *r, struct buf *o, bool hex, bool as_key,
                              int depth);

/* A string/blob item inside msgpack: prefix 3 string, 0x17 GeoJSON text, else bytes. */
static void mp_bytes(const struct aero_mp_item *it, struct buf *o, bool hex)
{
    if (it->type == AERO_MP_STR && (it->prefix == AERO_PT_STRING || it->prefix == AERO_PT_GEOJSON))
        json_append_str(o, (const char *)it->p, it->n);
    else
        put_bytes(o, it->p, it->n, hex);
}

static enum status mp_container(struct aero_mp_reader *r, const struct aero_mp_item *it,
                                struct buf *o, bool hex, int depth)
{
    bool map = it->type == AERO_MP_MAP;
    uint32_t n = it->n;
    bool first = true;

    buf_put_u8(o, map ? '{' : '[');
    for (uint32_t i = 0; i < n; i++) {
        struct aero_mp_reader peek = *r;
        struct aero_mp_item head;
        if (i == 0 && aero_mp_next(&peek, &head) == ST_OK && head.type == AERO_MP_EXT) {
            /* ordered-container flags element (wire doc §5): not data */
            *r = peek;
            if (map && aero_mp_skip(r) != ST_OK)
                return ST_PARSE;
            continue;
        }
        if (!first)
            buf_put_u8(o, ',');
        first = false;
        if (mp_to_json(r, o, hex, map, depth + 1) != ST_OK)
            return ST_PARSE;
        if (map) {
            buf_put_u8(o, ':');
            if (mp_to_json(r, o, hex, false, depth + 1) != ST_OK)
                return ST_PARSE;
        }
    }
    buf_put_u8(o, map ? '}' : ']');
    return ST_OK;
}

static enum status mp_to_json(struct aero_mp_reader *r, struct buf *o, bool hex, bool as_key,
                              int depth)
{
    struct aero_mp_item it;
    size_t start = o->len;

    if (depth > 64 || aero_mp_next(r, &it) != ST_OK)
        return ST_PARSE;
    if (as_key && it.type != AERO_MP_STR && it.type != AERO_MP_BLOB)
        buf_put_u8(o, '"');
    switch (it.type) {
    case AERO_MP_NIL: buf_append_str(o, "null"); break;
    case AERO_MP_BOOL: buf_append_str(o, it.b ? "true" : "false"); break;
    case AERO_MP_INT: buf_printf(o, "%lld", (long long)it.i); break;
    case AERO_MP_DOUBLE: put_double(o, it.d); break;
    case AERO_MP_STR:
    case AERO_MP_BLOB: mp_bytes(&it, o, hex); break;
    case AERO_MP_ARRAY:
    case AERO_MP_MAP:
        if (as_key)
            return ST_PARSE;
        return mp_container(r, &it, o, hex, depth);
    case AERO_MP_EXT: buf_append_str(o, "null"); break;
    }
    if (as_key && o->p[start] == '"' && (it.type != AERO_MP_STR && it.type != AERO_MP_BLOB))
        buf_put_u8(o, '"');
    return ST_OK;
}

enum status app_bin_to_json(const struct aero_bin_view *b, struct buf *o, bool hex)
{
    const uint8_t *v = b->value;
    uint32_t n = b->value_len;

    switch (b->particle) {
    case AERO_PT_NULL: buf_append_str(o, "null"); return ST_OK;
    case AERO_PT_INTEGER:
        if (n != 8)
            return ST_PARSE;
        buf_printf(o, "%lld", (long long)(int64_t)load_u64be(v));
        return ST_OK;
    case AERO_PT_FLOAT: {
        uint64_t u;
        double d;
        if (n != 8)
            return ST_PARSE;
        u = load_u64be(v);
        memcpy(&d, &u, 8);
        put_double(o, d);
        return ST_OK;
    }
    case AERO_PT_BOOL:
        if (n != 1)
            return ST_PARSE;
        buf_append_str(o, v[0] ? "true" : "false");
        return ST_OK;
    case AERO_PT_STRING: return json_append_str(o, (const char *)v, n);
    case AERO_PT_GEOJSON: {
        uint32_t cells;
        if (n < 3 || (cells = load_u16be(v + 1), (size_t)n < 3 + 8 * (size_t)cells))
            return ST_PARSE;
        return json_append_str(o, (const char *)v + 3 + 8 * cells, n - 3 - 8 * cells);
    }
    case AERO_PT_LIST:
    case AERO_PT_MAP: {
        struct aero_mp_reader r;
        aero_mp_reader_init(&r, v, n);
        return mp_to_json(&r, o, hex, false, 0);
    }
    default:                                   /* blob, language blobs, HLL, vector */
        put_bytes(o, v, n, hex);
        return ST_OK;
    }
}

static enum status record_json(const struct aero_record *rec, struct buf *o, bool hex,
                               struct err *e)
{
    const uint8_t *cur = NULL;
    struct aero_bin_view b;
    bool first = true;
    enum status st;
    int64_t ttl = aero_void_time_to_ttl(rec->void_time, (uint64_t)time(NULL));

    buf_append_str(o, "{\"bins\":{");
    while ((st = aero_record_next_bin(rec, &cur, &b, e)) == ST_OK) {
        if (!first)
            buf_put_u8(o, ',');
        first = false;
        json_append_str(o, b.name, b.name_len);
        buf_put_u8(o, ':');
        if (app_bin_to_json(&b, o, hex) != ST_OK)
            return err_set(e, ST_PARSE, "bin '%.*s': malformed value (particle %u, %u bytes)",
                           (int)b.name_len, b.name, b.particle, b.value_len);
    }
    if (st != ST_EOF)
        return st;
    buf_printf(o, "},\"generation\":%u,\"ttl\":%lld}", rec->generation, (long long)ttl);
    return ST_OK;
}

int cmd_get(int argc, char **argv, struct app_signals *sig)
{
    struct opts o;
    struct aero_cluster *c = NULL;
    struct aero_client *cl = NULL;
    struct aero_record rec = {0};
    struct aero_key k;
    struct buf scratch = BUF_INIT, out = BUF_INIT, names = BUF_INIT;
    struct aero_policy p = {0, 0, 2, 0};
    const char *bins[64];
    size_t n_bins = 0;
    struct err e = {0};
    enum status st;
    int rc = parse_opts(argc, argv, "get", get_help, &o);

    (void)sig;
    if (rc >= 0)
        return rc;
    if (argc - optind != 3)
        return usage_err("get", get_help, "%s", "expected NS SET KEY");
    const char *ns = argv[optind], *set = argv[optind + 1], *key = argv[optind + 2];
    if ((rc = make_key(&o, "get", get_help, ns, set, key, &scratch, &k)) >= 0)
        goto out;
    if (o.bins) {
        buf_append(&names, o.bins, strlen(o.bins) + 1);
        for (char *s = (char *)names.p; *s && n_bins < ARRAY_LEN(bins);) {
            size_t l = strcspn(s, ",");
            bins[n_bins++] = s;
            s += l;
            if (*s)
                *s++ = '\0';
        }
    }
    if ((rc = connect_to(&o, &c, &cl)) >= 0)
        goto out;
    p.total_timeout_ms = o.timeout_ms;
    p.socket_timeout_ms = o.timeout_ms;
    st = aero_get(cl, &p, &k, bins, n_bins, &rec, &e);
    if (st != ST_OK) {
        report("get", ns, set, key, st, &e);
        rc = 1;
        goto out;
    }
    if (record_json(&rec, &out, o.blob_hex, &e) != ST_OK) {
        fprintf(stderr, "aerosink: get %s/%s/%s: %s\n", ns, set, key, e.msg);
        rc = 1;
        goto out;
    }
    fwrite(out.p, 1, out.len, stdout);
    fputc('\n', stdout);
    rc = 0;
out:
    aero_record_free(&rec);
    aero_client_free(cl);
    aero_cluster_free(c);
    buf_free(&scratch);
    buf_free(&out);
    buf_free(&names);
    return rc;
}

/* ---------- put: aql-like values ---------- */

static enum status doc_to_mp(const struct conv_doc *d, const struct conv_value *v, struct buf *b,
                             int depth)
{
    enum status st = ST_OK;

    if (depth > 64)
        return ST_TOO_BIG;
    switch ((enum conv_type)v->type) {
    case CONV_NULL: return aero_mp_nil(b);
    case CONV_BOOL: return aero_mp_bool(b, v->b);
    case CONV_INT: return aero_mp_int(b, v->i);
    case CONV_DOUBLE: return aero_mp_double(b, v->d);
    case CONV_STRING: return aero_mp_str(b, v->s.p, v->s.n);
    case CONV_BYTES: return aero_mp_blob(b, (const uint8_t *)v->s.p, v->s.n);
    case CONV_LIST:
    case CONV_MAP:
        st = v->type == CONV_LIST ? aero_mp_array(b, v->count) : aero_mp_map(b, v->count);
        for (const struct conv_value *c = conv_first(d, v); c && st == ST_OK; c = conv_next(d, c, v))
            st = doc_to_mp(d, c, b, depth + 1);
        return st;
    }
    return ST_PARSE;
}

/* "name=value" -> @bin; list/map bytes and unquoted strings live in @store / @doc. */
static enum status parse_bin(char *arg, struct aero_bin *bin, bool *owned, struct buf *store,
                             struct conv_doc *doc, struct err *e)
{
    char *eq = strchr(arg, '=');
    const char *v;
    size_t n;
    double d;

    memset(bin, 0, sizeof(*bin));
    *owned = false;
    if (!eq || eq == arg)
        return err_set(e, ST_USAGE, "'%s' is not BIN=VALUE", arg);
    *eq = '\0';
    bin->name = arg;
    v = eq + 1;
    n = strlen(v);
    if (str_to_i64(v, n, &bin->i)) {
        bin->type = AERO_PT_INTEGER;
    } else if (n && strpbrk(v, ".eE") && strspn(v, "+-0123456789.eE") == n &&
               str_to_double(v, n, &d)) {
        bin->type = AERO_PT_FLOAT;
        bin->d = d;
    } else if (!strcmp(v, "true") || !strcmp(v, "false")) {
        bin->type = AERO_PT_BOOL;
        bin->b = v[0] == 't';
    } else if (!strcmp(v, "null")) {
        bin->type = AERO_PT_NULL;
    } else if (n && (v[0] == '"' || v[0] == '[' || v[0] == '{')) {
        const struct conv_value *root;
        if (conv_json_parse(doc, (const uint8_t *)v, n, e) != ST_OK) {
            err_prefix(e, "bin '%s'", arg);
            return ST_USAGE;
        }
        root = conv_doc_root(doc);
        if (root->type == CONV_STRING) {
            bin->type = AERO_PT_STRING;
            bin->n = root->s.n;
            buf_reset(store);
            buf_append(store, root->s.p, root->s.n);
            bin->p = mem_strndup((const char *)store->p, store->len);
            if (!bin->p)
                return err_set(e, ST_NOMEM, "bin '%s'", arg);
            *owned = true;
            return ST_OK;
        }
        buf_reset(store);
        if (doc_to_mp(doc, root, store, 0) != ST_OK)
            return err_set(e, ST_USAGE, "bin '%s': value too deep", arg);
        bin->type = root->type == CONV_LIST ? AERO_PT_LIST : AERO_PT_MAP;
        bin->n = store->len;
        bin->p = mem_malloc(store->len ? store->len : 1);
        if (!bin->p)
            return err_set(e, ST_NOMEM, "bin '%s'", arg);
        memcpy((void *)bin->p, store->p, store->len);
        *owned = true;
        return ST_OK;
    } else {
        bin->type = AERO_PT_STRING;
        bin->p = v;
        bin->n = n;
    }
    return ST_OK;
}

int cmd_put(int argc, char **argv, struct app_signals *sig)
{
    struct opts o;
    struct aero_cluster *c = NULL;
    struct aero_client *cl = NULL;
    struct aero_key k;
    struct aero_write_policy wp;
    struct aero_bin *bins = NULL;
    bool *owned = NULL;
    struct buf scratch = BUF_INIT, store = BUF_INIT;
    struct conv_doc *doc = NULL;
    size_t n_bins;
    struct err e = {0};
    enum status st;
    int rc = parse_opts(argc, argv, "put", put_help, &o);

    (void)sig;
    if (rc >= 0)
        return rc;
    if (argc - optind < 4)
        return usage_err("put", put_help, "%s", "expected NS SET KEY BIN=VALUE...");
    const char *ns = argv[optind], *set = argv[optind + 1], *key = argv[optind + 2];
    n_bins = (size_t)(argc - optind - 3);
    bins = mem_calloc(n_bins, sizeof(*bins));
    owned = mem_calloc(n_bins, sizeof(*owned));
    doc = conv_doc_new();
    if (!bins || !owned || !doc) {
        fprintf(stderr, "aerosink: out of memory\n");
        rc = 1;
        goto out;
    }
    if ((rc = make_key(&o, "put", put_help, ns, set, key, &scratch, &k)) >= 0)
        goto out;
    for (size_t i = 0; i < n_bins; i++) {
        if (parse_bin(argv[optind + 3 + (int)i], &bins[i], &owned[i], &store, doc, &e) != ST_OK) {
            rc = usage_err("put", put_help, "%s", e.msg);
            goto out;
        }
    }
    if ((rc = connect_to(&o, &c, &cl)) >= 0)
        goto out;
    aero_write_policy_init(&wp);
    wp.base.total_timeout_ms = o.timeout_ms;
    wp.base.socket_timeout_ms = o.timeout_ms;
    wp.base.max_retries = 2;
    wp.exists = o.exists;
    wp.send_key = o.send_key;
    if (o.has_ttl)
        wp.ttl = o.ttl;
    st = aero_put(cl, &wp, &k, bins, n_bins, NULL, &e);
    if (st != ST_OK) {
        report("put", ns, set, key, st, &e);
        rc = 1;
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; bins && owned && i < n_bins; i++)
        if (owned[i])
            mem_free((void *)bins[i].p);
    mem_free(bins);
    mem_free(owned);
    conv_doc_free(doc);
    aero_client_free(cl);
    aero_cluster_free(c);
    buf_free(&scratch);
    buf_free(&store);
    return rc;
}
