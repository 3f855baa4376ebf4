/* tools/aero-bench/main.c: asbench-like load generator for the aerosink Aerospike client.
 * Writes or reads records of a chosen shape with a chosen number of commands in flight per
 * thread (one aero_client per thread, one shared cluster), then prints throughput, latency
 * percentiles and the client's CPU time per operation (digest + encode + submit + I/O + reply,
 * i.e. everything the sink's client side pays per record). */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerospike/aero.h"
#include "records.h"

static const char usage[] =
"usage: aero-bench [-h HOST:PORT] [options]\n"
"\n"
"  -h, --host HOST:PORT   seed (default 127.0.0.1:3000)\n"
"  -n, --namespace NS     (default test)\n"
"  -s, --set SET          (default bench)\n"
"  -o, --op OP            write (default), read (all bins), rw (50/50)\n"
"  -k, --keys N           key space: integer keys 0..N-1 (default 100000)\n"
"  -b, --bins N           bins per record (default 1)\n"
"  -z, --size BYTES       value size for string/blob bins (default 100)\n"
"  -t, --type T           int, string (default) or blob\n"
"  -N, --ops N            measured operations, all threads together (default 200000)\n"
"  -w, --warmup N         unmeasured operations first (default 20000)\n"
"  -c, --inflight N       commands in flight per thread (default 64)\n"
"  -T, --threads N        threads, each with its own client (default 1)\n"
"      --conns N          pipelined connections per node per client (default 2)\n"
"      --depth N          requests in flight per connection (default 64)\n"
"      --timeout MS       total timeout per command (default 5000)\n"
"  -B, --batch N          writes only: send batch writes of N rows per node (wire doc §8)\n"
"                         instead of single writes; -c then counts batches in flight and\n"
"                         the figures are per record (row)\n"
"      --records FILE     writes only: write the records of FILE instead of generated ones,\n"
"                         each as aerosink would (lines KEY<TAB>JSON, as bench/gen.py prints:\n"
"                         a string user key, every top-level field a bin; -b, -z, -t unused).\n"
"                         The requests are built before the measured run; -k defaults to\n"
"                         the number of records\n"
"\n"
"Security (as `aerosink info`):\n"
"      --user NAME        log in as NAME (password from --password-file, else from\n"
"                         $AEROSPIKE_PASSWORD)\n"
"      --password-file FILE   file whose first line is the password\n"
"      --auth-mode MODE   internal (default), external, external-insecure or pki\n"
"      --tls              use TLS with the system's CA certificates\n"
"      --tls-ca FILE      use TLS, trusting the CA certificates in FILE (PEM)\n"
"      --tls-name NAME    name the nodes' certificates must carry\n"
"      --tls-cert FILE    client certificate and private key (PEM) for mutual TLS / pki\n"
"\n"
"Example (numbers in bench/README.md):\n"
"  aerospike-testd --port 3100 &\n"
"  aero-bench -h 127.0.0.1:3100 -o write -k 100000 -b 4 -z 50 -c 64 -N 500000\n";

struct cfg {
    char host[300];
    const char *ns, *set;
    int op;                    /* 0 write, 1 read, 2 rw */
    uint64_t keys, ops, warmup;
    uint32_t bins, size, inflight, threads, conns, depth, timeout_ms;
    int type;                  /* 0 int, 1 string, 2 blob */
    uint32_t batch;            /* rows per batch write, 0 = single writes */
    const char *records_path;  /* --records */
    const struct bench_records *records;
    bool keys_given;
    struct aero_tool_security sec;
};

#define HIST_N 3000
struct hist {
    uint64_t b[HIST_N + 1];    /* +1: overflow */
    uint64_t max;
};

static unsigned hist_idx(uint64_t us)
{
    if (us < 1000)
        return (unsigned)us;                              /* 1 us steps */
    if (us < 100000)
        return 1000 + (unsigned)((us - 1000) / 100);      /* 100 us steps */
    if (us < 10000000)
        return 1990 + (unsigned)((us - 100000) / 10000);  /* 10 ms steps */
    return HIST_N;
}

static uint64_t hist_value(unsigned i)
{
    if (i < 1000)
        return i;
    if (i < 1990)
        return 1000 + (uint64_t)(i - 1000) * 100;
    if (i < HIST_N)
        return 100000 + (uint64_t)(i - 1990) * 10000;
    return 10000000;
}

struct slot {
    struct aero_cmd cmd;
    struct worker *w;
    uint64_t t0_us;
};

#define MAX_NODE_IDS 64

struct bslot {                 /* batch mode: one batch write, being filled or in flight */
    struct aero_batch b;
    struct worker *w;
    struct bslot *next_free;
    uint64_t t0_us;
};

struct worker {
    const struct cfg *cfg;
    struct bslot *bslots, *bfree;
    struct bslot *open[MAX_NODE_IDS];   /* per node id: the batch being filled */
    struct aero_cmd scratch;   /* batch mode: one record's request, then copied into a row */
    struct aero_cluster *c;
    struct aero_client *cl;
    struct slot *slots;
    uint64_t issued, quota, done, errors, next_key, measured_from;
    uint32_t id;
    struct hist h;
    struct buf value;
    char *names;               /* "b0", "b1", ... 12 bytes each */
    char first_err[ERR_MSG_LEN];
    bool measuring;
};

static pthread_barrier_t start_line;

static void build(struct worker *w, struct aero_cmd *cmd)
{
    const struct cfg *c = w->cfg;
    uint64_t kn = (w->next_key++ * c->threads + w->id) % c->keys;
    struct aero_key_value kv = {AERO_PT_INTEGER, (int64_t)kn, NULL, 0};
    struct aero_key k;
    struct aero_msg m;
    bool write = c->op == 0 || (c->op == 2 && (kn & 1));

    buf_reset(&cmd->req);
    if (c->records) {
        uint32_t len;
        const uint8_t *digest, *req = bench_records_get(c->records, kn, &len, &digest);
        buf_append(&cmd->req, req, len);
        aero_cmd_route(cmd, c->ns, digest, true);
        return;
    }
    aero_key_init(&k, c->ns, c->set, &kv, NULL);
    if (write) {
        static const struct aero_write_policy wp;    /* defaults; timing is set on the cmd */
        aero_write_begin(&m, &cmd->req, &wp, &k, 0, 0);
        for (uint32_t b = 0; b < c->bins; b++) {
            const char *name = w->names + 12 * b;
            size_t nl = strlen(name);
            if (c->type == 0)
                aero_msg_op_int(&m, AERO_OP_WRITE, name, nl, (int64_t)(kn + b));
            else
                aero_msg_op(&m, AERO_OP_WRITE, c->type == 1 ? AERO_PT_STRING : AERO_PT_BLOB, name,
                            nl, w->value.p, w->value.len);
        }
    } else {
        aero_read_begin(&m, &cmd->req, &k, AERO_INFO1_GET_ALL);
    }
    aero_msg_end(&m, NULL);
    aero_cmd_route(cmd, c->ns, k.digest, write);
}

static void submit(struct worker *w, struct slot *s)
{
    struct err e;

    if (w->issued == w->quota)
        return;
    w->issued++;
    build(w, &s->cmd);
    s->t0_us = clock_mono_us();
    if (aero_submit(w->cl, &s->cmd, &e) != ST_OK) {
        w->errors++;
        w->done++;
        if (!w->first_err[0])
            snprintf(w->first_err, sizeof(w->first_err), "%s", e.msg);
    }
}

static void on_done(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    struct slot *s = cmd->ctx;
    struct worker *w = s->w;
    uint64_t us = clock_mono_us() - s->t0_us;

    w->done++;
    if (st != ST_OK && !(st == ST_NOT_FOUND && !cmd->is_write)) {
        w->errors++;
        if (!w->first_err[0])
            snprintf(w->first_err, sizeof(w->first_err), "%s", e->msg);
    }
    if (w->measuring) {
        w->h.b[hist_idx(us)]++;
        if (us > w->h.max)
            w->h.max = us;
    }
    submit(w, s);
}

static void batch_fill(struct worker *w);

static void batch_done(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    struct bslot *b = cmd->ctx;
    struct worker *w = b->w;
    uint64_t us = clock_mono_us() - b->t0_us;
    const uint8_t *cur = NULL;
    struct aero_batch_result r;
    uint32_t ok = 0;
    struct err pe;

    if (st == ST_OK) {
        while (aero_batch_next_result(cmd, &cur, &r, &pe) == ST_OK)
            if (r.result_code == 0)
                ok++;
    } else if (!w->first_err[0]) {
        snprintf(w->first_err, sizeof(w->first_err), "%s", e->msg);
    }
    if (ok < b->b.count && st == ST_OK && !w->first_err[0])
        snprintf(w->first_err, sizeof(w->first_err), "batch: %u of %u rows failed",
                 b->b.count - ok, b->b.count);
    w->done += b->b.count;
    w->errors += b->b.count - ok;
    if (w->measuring) {
        w->h.b[hist_idx(us)] += b->b.count;
        if (us > w->h.max)
            w->h.max = us;
    }
    b->next_free = w->bfree;
    w->bfree = b;
    batch_fill(w);
}

static void batch_send(struct worker *w, struct bslot *b)
{
    struct err e;

    if (aero_batch_end(&b->b, &e) == ST_OK) {
        b->t0_us = clock_mono_us();
        if (aero_submit(w->cl, &b->b.cmd, &e) == ST_OK)
            return;
    }
    w->errors += b->b.count;
    w->done += b->b.count;
    if (!w->first_err[0])
        snprintf(w->first_err, sizeof(w->first_err), "%s", e.msg);
    b->next_free = w->bfree;
    w->bfree = b;
}

/* Encode records into their node's open batch; send a batch when it has -B rows (or when
 * the phase's quota is reached). Stops while no batch slot is free. */
static void batch_fill(struct worker *w)
{
    const struct cfg *c = w->cfg;
    struct err e;

    while (w->issued < w->quota) {
        uint32_t node;
        struct bslot *b;

        build(w, &w->scratch);
        node = aero_client_node_of(w->cl, c->ns, w->scratch.digest);
        if (node >= MAX_NODE_IDS)
            node = 0;
        if (!(b = w->open[node])) {
            if (!(b = w->bfree)) {
                w->next_key--;                /* not taken: build it again later */
                return;
            }
            w->bfree = b->next_free;
            aero_batch_begin(&b->b, NULL);
            w->open[node] = b;
        }
        if (aero_batch_add(&b->b, (uint32_t)b->b.count, w->scratch.req.p, w->scratch.req.len, &e) != ST_OK) {
            fprintf(stderr, "aero-bench: %s\n", e.msg);
            exit(1);
        }
        w->issued++;
        if (b->b.count == c->batch || w->issued == w->quota) {
            w->open[node] = NULL;
            batch_send(w, b);
        }
    }
    for (uint32_t n = 0; n < MAX_NODE_IDS; n++) {   /* quota reached: send what is left */
        struct bslot *b = w->open[n];
        if (b) {
            w->open[n] = NULL;
            batch_send(w, b);
        }
    }
}

static void run_phase(struct worker *w, uint64_t quota, bool measure)
{
    w->issued = w->done = 0;
    w->quota = quota;
    w->measuring = measure;
    if (w->cfg->batch)
        batch_fill(w);
    else
        for (uint32_t i = 0; i < w->cfg->inflight; i++)
            submit(w, &w->slots[i]);
    while (w->done < w->quota)
        aero_client_poll(w->cl, 100);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct cfg *c = w->cfg;

    run_phase(w, c->warmup / c->threads, false);
    pthread_barrier_wait(&start_line);
    run_phase(w, c->ops / c->threads, true);
    pthread_barrier_wait(&start_line);
    return NULL;
}

static int parse(int argc, char **argv, struct cfg *c)
{
    static const struct option lo[] = {
        {"host", 1, 0, 'h'}, {"namespace", 1, 0, 'n'}, {"set", 1, 0, 's'}, {"op", 1, 0, 'o'},
        {"keys", 1, 0, 'k'}, {"bins", 1, 0, 'b'}, {"size", 1, 0, 'z'}, {"type", 1, 0, 't'},
        {"ops", 1, 0, 'N'}, {"warmup", 1, 0, 'w'}, {"inflight", 1, 0, 'c'},
        {"threads", 1, 0, 'T'}, {"conns", 1, 0, 'C'}, {"depth", 1, 0, 'D'},
        {"timeout", 1, 0, 'm'}, {"batch", 1, 0, 'B'}, {"help", 0, 0, 'H'},
        {"user", 1, 0, 'u'}, {"password-file", 1, 0, 'p'}, {"auth-mode", 1, 0, 'a'},
        {"tls", 0, 0, 'L'}, {"tls-ca", 1, 0, 'A'}, {"tls-name", 1, 0, 'E'}, {"tls-cert", 1, 0, 'K'},
        {"records", 1, 0, 'R'}, {0, 0, 0, 0},
    };
    struct err e = {0};
    int o;

    memset(c, 0, sizeof(*c));          /* op write, single writes, no security */
    snprintf(c->host, sizeof(c->host), "127.0.0.1:3000");
    c->ns = "test";
    c->set = "bench";
    c->keys = 100000;
    c->bins = 1;
    c->size = 100;
    c->type = 1;
    c->ops = 200000;
    c->warmup = 20000;
    c->inflight = 64;
    c->threads = 1;
    c->conns = 2;
    c->depth = 64;
    c->timeout_ms = 5000;
    while ((o = getopt_long(argc, argv, "h:n:s:o:k:b:z:t:N:w:c:T:B:", lo, NULL)) != -1) {
        uint64_t v = 0;
        if (optarg && strchr("kbzNwcTCDmB", o) && (!str_to_u64(optarg, strlen(optarg), &v) ||
                                                   (v == 0 && o != 'w'))) {
            fprintf(stderr, "aero-bench: -%c: '%s' is not a positive number\n", o, optarg);
            return 2;
        }
        switch (o) {
        case 'h': snprintf(c->host, sizeof(c->host), "%s", optarg); break;
        case 'n': c->ns = optarg; break;
        case 's': c->set = optarg; break;
        case 'o':
            c->op = !strcmp(optarg, "write") ? 0 : !strcmp(optarg, "read") ? 1 : !strcmp(optarg, "rw") ? 2 : -1;
            if (c->op < 0) {
                fprintf(stderr, "aero-bench: --op: write, read or rw\n");
                return 2;
            }
            break;
        case 'k': c->keys = v; c->keys_given = true; break;
        case 'R': c->records_path = optarg; break;
        case 'b': c->bins = (uint32_t)MIN(v, 1000); break;
        case 'z': c->size = (uint32_t)MIN(v, 1u << 20); break;
        case 't':
            c->type = !strcmp(optarg, "int") ? 0 : !strcmp(optarg, "string") ? 1 : !strcmp(optarg, "blob") ? 2 : -1;
            if (c->type < 0) {
                fprintf(stderr, "aero-bench: --type: int, string or blob\n");
                return 2;
            }
            break;
        case 'N': c->ops = v; break;
        case 'w': c->warmup = v; break;
        case 'c': c->inflight = (uint32_t)MIN(v, 100000); break;
        case 'T': c->threads = (uint32_t)MIN(v, 256); break;
        case 'C': c->conns = (uint32_t)v; break;
        case 'D': c->depth = (uint32_t)v; break;
        case 'm': c->timeout_ms = (uint32_t)v; break;
        case 'B': c->batch = (uint32_t)MIN(v, 100000); break;
        case 'u': c->sec.user = optarg; break;
        case 'p': c->sec.password_file = optarg; break;
        case 'a':
            if (!aero_auth_mode_parse(optarg, &c->sec.auth_mode)) {
                fprintf(stderr, "aero-bench: --auth-mode: internal, external, external-insecure or pki\n");
                return 2;
            }
            c->sec.has_auth_mode = true;
            break;
        case 'L': c->sec.tls = true; break;
        case 'A': c->sec.tls_ca = optarg; c->sec.tls = true; break;
        case 'E': c->sec.tls_name = optarg; c->sec.tls = true; break;
        case 'K': c->sec.tls_cert = optarg; c->sec.tls = true; break;
        case 'H': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (c->batch && c->op != 0) {
        fprintf(stderr, "aero-bench: --batch: writes only (-o write)\n");
        return 2;
    }
    if (c->records_path && c->op != 0) {
        fprintf(stderr, "aero-bench: --records: writes only (-o write)\n");
        return 2;
    }
    c->sec.password_env = getenv("AEROSPIKE_PASSWORD");
    if (aero_tool_security_check(&c->sec, &e) != ST_OK) {
        fprintf(stderr, "aero-bench: %s\n", e.msg);
        return 2;
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct cfg c;
    struct aero_cluster_config cc;
    struct aero_client_config ccfg;
    struct aero_cluster *cluster;
    struct worker *ws;
    pthread_t *th;
    struct hist h = {{0}, 0};
    struct err e = {0};
    uint64_t t0, t1, cpu0, cpu1, n = 0, errors = 0, acc = 0;
    double p[3] = {0.50, 0.99, 0.999};
    uint64_t pv[3] = {0, 0, 0};
    struct bench_records *recs = NULL;
    int rc = parse(argc, argv, &c);

    if (rc >= 0)
        return rc;
    if (c.records_path) {
        uint64_t l0 = clock_mono_us();
        if (!(recs = bench_records_load(c.records_path, c.ns, c.set, c.timeout_ms, &e))) {
            fprintf(stderr, "aero-bench: --records %s\n", e.msg);
            return 2;
        }
        if (!c.keys_given || c.keys > bench_records_count(recs))
            c.keys = bench_records_count(recs);
        c.records = recs;
        fprintf(stderr, "aero-bench: %zu records from %s encoded as aerosink would (%.1f MiB of "
                "requests) in %.1f s\n", bench_records_count(recs), c.records_path,
                (double)bench_records_bytes(recs) / (1 << 20), (double)(clock_mono_us() - l0) / 1e6);
    }
    aero_cluster_config_init(&cc);
    if (aero_cluster_config_seeds(&cc, c.host, &e) != ST_OK) {
        fprintf(stderr, "aero-bench: -h %s: %s\n", c.host, e.msg);
        return 2;
    }
    if (aero_cluster_config_tool_security(&cc, &c.sec, &e) != ST_OK) {
        memset(cc.password, 0, sizeof(cc.password));
        fprintf(stderr, "aero-bench: %s\n", e.msg);
        return e.status == ST_IO ? 1 : 2;
    }
    cluster = aero_cluster_new(&cc, &e);
    memset(cc.password, 0, sizeof(cc.password));
    if (!cluster) {
        fprintf(stderr, "aero-bench: %s\n", e.msg);
        return 1;
    }
    aero_client_config_init(&ccfg);
    ccfg.conns_per_node = c.conns;
    ccfg.pipeline_depth = c.depth;
    ws = mem_calloc(c.threads, sizeof(*ws));
    th = mem_calloc(c.threads, sizeof(*th));
    pthread_barrier_init(&start_line, NULL, c.threads + 1);
    for (uint32_t i = 0; i < c.threads; i++) {
        struct worker *w = &ws[i];
        w->cfg = &c;
        w->id = i;
        w->c = cluster;
        w->cl = aero_client_new(cluster, &ccfg, &e);
        w->slots = mem_calloc(c.inflight, sizeof(*w->slots));
        w->names = mem_calloc(c.bins, 12);
        if (!w->cl || !w->slots || !w->names) {
            fprintf(stderr, "aero-bench: client: %s\n", e.msg);
            return 1;
        }
        for (uint32_t b = 0; b < c.bins; b++)
            snprintf(w->names + 12 * b, 12, "b%u", b);
        for (uint32_t k = 0; k < c.size; k++)
            buf_put_u8(&w->value, (uint8_t)('a' + k % 26));
        if (c.batch) {
            struct aero_policy pol = {c.timeout_ms, c.timeout_ms, 2, 0};
            uint32_t nb = c.inflight + MAX_NODE_IDS;   /* in flight + one being filled per node */
            w->bslots = mem_calloc(nb, sizeof(*w->bslots));
            if (!w->bslots) {
                fprintf(stderr, "aero-bench: out of memory\n");
                return 1;
            }
            for (uint32_t s = 0; s < nb; s++) {
                struct bslot *b = &w->bslots[s];
                b->w = w;
                b->b.cmd.cb = batch_done;
                b->b.cmd.ctx = b;
                aero_cmd_policy(&b->b.cmd, &pol);
                b->next_free = s < c.inflight ? w->bfree : NULL;
                if (s < c.inflight)
                    w->bfree = b;
            }
        }
        for (uint32_t s = 0; s < c.inflight; s++) {
            struct aero_policy pol = {c.timeout_ms, c.timeout_ms, 2, 0};
            w->slots[s].w = w;
            w->slots[s].cmd.cb = on_done;
            w->slots[s].cmd.ctx = &w->slots[s];
            aero_cmd_policy(&w->slots[s].cmd, &pol);
        }
        pthread_create(&th[i], NULL, worker_main, w);
    }
    pthread_barrier_wait(&start_line);          /* warm-up done */
    t0 = clock_mono_us();
    cpu0 = clock_cpu_us();
    pthread_barrier_wait(&start_line);          /* measured phase done */
    t1 = clock_mono_us();
    cpu1 = clock_cpu_us();
    for (uint32_t i = 0; i < c.threads; i++) {
        pthread_join(th[i], NULL);
        for (unsigned b = 0; b <= HIST_N; b++)
            h.b[b] += ws[i].h.b[b];
        h.max = MAX(h.max, ws[i].h.max);
        n += ws[i].done;
        errors += ws[i].errors;
    }
    for (unsigned b = 0, k = 0; b <= HIST_N && k < 3; b++) {
        acc += h.b[b];
        while (k < 3 && n && acc >= (uint64_t)(p[k] * (double)n + 0.5))
            pv[k++] = hist_value(b);
    }
    {
        char shape[64];
        if (c.records)
            snprintf(shape, sizeof(shape), "aerosink's records");
        else if (c.type == 0)
            snprintf(shape, sizeof(shape), "%u bin(s) x int", c.bins);
        else
            snprintf(shape, sizeof(shape), "%u bin(s) x %uB %s", c.bins, c.size,
                     c.type == 1 ? "string" : "blob");
        printf("aero-bench: %s %llu ops (+%llu warm-up), %s, %llu keys, %u thread(s) x "
               "%u in flight%s, %u conn(s)/node, %s\n",
               c.op == 0 ? "write" : c.op == 1 ? "read" : "rw", (unsigned long long)n,
               (unsigned long long)c.warmup, shape, (unsigned long long)c.keys, c.threads,
               c.inflight, c.batch ? " batches" : "", c.conns, c.host);
        if (c.batch)
            printf("  batch writes of up to %u rows per node\n", c.batch);
    }
    printf("  throughput  %.0f ops/s\n", (double)n * 1e6 / (double)(t1 - t0 ? t1 - t0 : 1));
    printf("  latency us  p50 %llu  p99 %llu  p99.9 %llu  max %llu\n", (unsigned long long)pv[0],
           (unsigned long long)pv[1], (unsigned long long)pv[2], (unsigned long long)h.max);
    printf("  client cpu  %.2f us/op (user+sys of this process)\n",
           (double)(cpu1 - cpu0) / (double)(n ? n : 1));
    printf("  errors      %llu\n", (unsigned long long)errors);
    for (uint32_t i = 0; i < c.threads; i++) {
        if (ws[i].first_err[0])
            printf("  first error (thread %u): %s\n", i, ws[i].first_err);
        for (uint32_t s = 0; s < c.inflight; s++)
            aero_cmd_free(&ws[i].slots[s].cmd);
        for (uint32_t s = 0; ws[i].bslots && s < c.inflight + MAX_NODE_IDS; s++)
            aero_cmd_free(&ws[i].bslots[s].b.cmd);
        mem_free(ws[i].bslots);
        aero_cmd_free(&ws[i].scratch);
        aero_client_free(ws[i].cl);
        mem_free(ws[i].slots);
        buf_free(&ws[i].value);
        mem_free(ws[i].names);
    }
    aero_cluster_free(cluster);
    bench_records_free(recs);
    mem_free(ws);
    mem_free(th);
    pthread_barrier_destroy(&start_line);
    return errors ? 1 : 0;
}
