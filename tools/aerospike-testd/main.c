/* tools/aerospike-testd/main.c: argv, signals and the one mutable global of aerospike-testd,
 * our protocol-faithful in-memory Aerospike (CE 8.1.2) for tests and the demo. */
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "testd.h"

static volatile sig_atomic_t stop;   /* the only mutable global */

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static const char usage[] =
"usage: aerospike-testd [options]\n"
"\n"
"An in-memory Aerospike server that speaks the real wire protocol (CE 8.1.2 behaviour, see\n"
"../shared/docs/aerospike-wire-protocol.md) for tests, benchmarks and the demo. It prints\n"
"exactly one line 'ready 127.0.0.1:P[,127.0.0.1:P+1...]' on stdout once listening, serves\n"
"until SIGINT/SIGTERM (exit 0) and exits 2 on bad arguments or a busy port.\n"
"\n"
"Server:\n"
"  --port P                 first service port (default 3000); node i listens on P+i-1\n"
"  --namespace NAME         a namespace (repeat for a second; CE allows 2; default 'test')\n"
"  --nodes N                N cluster nodes in this process (1..16, default 1): distinct node\n"
"                           ids, peers, 4096 partitions split over live nodes with one replica\n"
"                           (replication factor 2, one shared store: a node going down loses\n"
"                           nothing). Requests reaching a node that does not own the partition\n"
"                           succeed (proxied) and are counted (statistics: client_proxy_complete)\n"
"  --cluster-name NAME      (default testcluster)\n"
"  --replication-factor N   1 or 2 (default 2; effective = min(N, live nodes))\n"
"  --max-record-size BYTES  per namespace, K/M suffixes ok (default 1M; 64..8M) -> result 13\n"
"  --default-ttl SECONDS    namespace default-ttl (default 0 = never expire)\n"
"  --nsup-period SECONDS    (default 120). TTL'd writes need nsup-period > 0\n"
"  --build VERSION          the server version to report (default 8.1.2.0); below 6.0 a batch\n"
"                           with a write row is refused with 4 PARAMETER, as such servers\n"
"                           only know batch reads\n"
"  --batch-max-requests N   rows allowed in one batch (default 0 = unlimited, as 8.x; older\n"
"                           servers: 5000); a bigger batch gets only 151 BATCH_MAX_REQUESTS\n"
"  --no-nsup                nsup-period 0, like a real server's default config: writes with\n"
"                           a TTL get 22 FORBIDDEN\n"
"  --prefault-mb N          fault in N MiB of memory for records before serving, and never\n"
"                           give it back (default 0): new records then cost no page faults,\n"
"                           as on a warm server. For benchmarks that run this server on the\n"
"                           machine they measure (bench/run.sh: 1536)\n"
"  --discard-writes         NOT a server behaviour, a benchmark lever: every write that\n"
"                           passes the request checks and returns no values (no read ops,\n"
"                           no create-only/update-only/replace-only, no generation check)\n"
"                           is answered OK as a new record's first write (generation 1)\n"
"                           and not kept (its size is not checked), so reads find nothing.\n"
"                           It shows what a client's run would do against an Aerospike\n"
"                           that cost nothing to store a record (BENCH_TESTD_DISCARD=1\n"
"                           bash bench/run.sh). statistics: testd_writes_discarded\n"
"\n"
"Security (Enterprise behaviour; without these options the server is CE: no TLS, and 51\n"
"SECURITY_NOT_SUPPORTED to every admin message):\n"
"  --tls-cert FILE --tls-key FILE\n"
"                           TLS (1.2+) on every service port: the same ports, TLS only (like\n"
"                           an EE node with only a tls-port; a clear-text client is closed).\n"
"                           FILE: PEM certificate (chain) and its PEM key. peers-tls-std and\n"
"                           service-tls-std answer; 'ready' is printed as usual\n"
"  --tls-name NAME          TLS name announced for the nodes in peers-tls-std (default none)\n"
"  --tls-ca FILE            ask clients for a certificate and verify it against FILE (PEM);\n"
"                           LOGIN without fields (auth-mode pki) logs in the user named by\n"
"                           the certificate's CN\n"
"  --user NAME:PASSWORD     (repeatable) turn security on: LOGIN checks USER + CREDENTIAL\n"
"                           (bcrypt of the password with the fixed salt) or CLEAR_PASSWORD\n"
"                           (external), answers a 32-byte SESSION_TOKEN and SESSION_TTL and\n"
"                           authenticates that connection; AUTHENTICATE takes the token (65\n"
"                           unknown, 66 expired). Unknown user 60, wrong password 62. Data and\n"
"                           info requests on a connection that has not authenticated get 80\n"
"                           (info: ERROR:80:not authenticated), once its session expired 66\n"
"  --session-ttl SECONDS    session token lifetime (default 86400; 1..86400)\n"
"\n"
"Test levers (fake-only: tests using them skip against a real server):\n"
"  --latency-ms N           delay every reply by N ms (other connections are not blocked;\n"
"                           pipelined replies keep their order)\n"
"  --fail-rate P            answer a share P (0..1) of writes (incl. deletes and batch write\n"
"                           rows) with one of --fail-codes, WITHOUT applying them\n"
"  --fail-codes A,B,...     result codes for --fail-rate (default 14,18: KEY_BUSY,\n"
"                           DEVICE_OVERLOAD)\n"
"  --snapshot FILE          load FILE at start if it exists, save it on SIGINT/SIGTERM (and on\n"
"                           'testd-snapshot'), so a test can restart the server keeping data\n"
"  --seed N                 random seed for --fail-rate (default fixed)\n"
"\n"
"Runtime control through info commands (proto type 1, e.g. with `aerosink info`):\n"
"  testd-node:id=I;state=down|up   node I (1..N, or its hex node id) leaves/joins: its listener\n"
"                           closes (connections refused) and its connections are closed; its\n"
"                           partitions move to the others; partition-generation and\n"
"                           peers-generation go up\n"
"  testd-pause:ms=N         close every client connection and refuse new ones for N ms (data\n"
"                           kept); the asking connection gets 'ok' first\n"
"  testd-set:fail-rate=P;fail-codes=A,B;latency-ms=N   change levers at run time\n"
"  testd-stats              nodes, generations, levers, per node: id, port, state, requests\n"
"                           received, proxied, writes, errors, injected failures, connections\n"
"  testd-snapshot           save the --snapshot file now\n"
"\n"
"Also answered: node build version edition release cluster-name namespaces namespace/<ns>\n"
"partitions partition-generation rebalance-generation peers-generation peers-clear-std\n"
"peers-clear-alt service-clear-std replicas[:max=N] replicas-all replicas-master features\n"
"user-agent-set statistics sets[/<ns>[/<set>]] truncate-namespace:namespace=NS\n"
"truncate:namespace=NS;set=S. Anything else: ERROR:4:unrecognized command.\n"
"\n"
"Not implemented (answered with 4 PARAMETER, where the real server would run them): UDFs,\n"
"filter expressions, EXP/BITS/HLL ops, CDT ops other than list append/append-items/clear/\n"
"size/get and map put/put-items/add/replace/clear/size, CDT contexts, scans and queries.\n";

/* --prefault-mb: grow the heap by @mb MiB in 16 MiB blocks (below the mmap threshold, so
 * they come from the heap), touch every page, free them and keep the heap from shrinking:
 * the records stored later reuse memory that is already faulted in. */
static void prefault_heap(uint64_t mb)
{
    enum { BLOCK = 16 << 20 };
    size_t n = (size_t)((mb + 15) / 16);
    void **blocks = calloc(n ? n : 1, sizeof(*blocks));

    mallopt(M_MMAP_THRESHOLD, 32 << 20);   /* glibc's maximum; records are far smaller */
    mallopt(M_TRIM_THRESHOLD, -1);         /* never trim */
    if (!blocks)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!(blocks[i] = malloc(BLOCK)))
            break;
        for (size_t off = 0; off < BLOCK; off += 4096)
            ((volatile uint8_t *)blocks[i])[off] = 0;
    }
    for (size_t i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
}

static void die_usage(const char *fmt, const char *arg) __attribute__((noreturn));
static void die_usage(const char *fmt, const char *arg)
{
    fputs("aerospike-testd: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see --help)\n", stderr);
    exit(2);
}

static uint64_t num(const char *s, const char *opt, uint64_t lo, uint64_t hi, bool suffix)
{
    size_t n = strlen(s);
    uint64_t v, mul = 1;

    if (suffix && n > 1 && (s[n - 1] == 'K' || s[n - 1] == 'k' || s[n - 1] == 'M' || s[n - 1] == 'm')) {
        mul = (s[n - 1] == 'K' || s[n - 1] == 'k') ? 1024 : 1024 * 1024;
        n--;
    }
    if (!str_to_u64(s, n, &v) || v > hi / mul || v * mul < lo || v * mul > hi) {
        fprintf(stderr, "aerospike-testd: %s: bad value '%s' (expected %" PRIu64 "..%" PRIu64 ")\n",
                opt, s, lo, hi);
        exit(2);
    }
    return v * mul;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, 0, 'p'},        {"namespace", required_argument, 0, 'n'},
        {"nodes", required_argument, 0, 'N'},       {"cluster-name", required_argument, 0, 'c'},
        {"replication-factor", required_argument, 0, 'r'},
        {"max-record-size", required_argument, 0, 'm'},
        {"default-ttl", required_argument, 0, 'd'}, {"nsup-period", required_argument, 0, 's'},
        {"no-nsup", no_argument, 0, 'S'},           {"latency-ms", required_argument, 0, 'l'},
        {"fail-rate", required_argument, 0, 'f'},   {"fail-codes", required_argument, 0, 'F'},
        {"snapshot", required_argument, 0, 'z'},    {"seed", required_argument, 0, 'x'},
        {"tls-cert", required_argument, 0, 'C'},    {"tls-key", required_argument, 0, 'K'},
        {"tls-ca", required_argument, 0, 'A'},      {"tls-name", required_argument, 0, 'T'},
        {"user", required_argument, 0, 'u'},        {"session-ttl", required_argument, 0, 't'},
        {"batch-max-requests", required_argument, 0, 'B'}, {"build", required_argument, 0, 'V'},
        {"prefault-mb", required_argument, 0, 'P'}, {"discard-writes", no_argument, 0, 'D'},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0},
    };
    struct td_ctx *c = mem_calloc(1, sizeof(*c));
    const char *nsnames[8];
    int n_nsnames = 0, port = 3000, nodes = 1, opt;
    uint64_t prefault_mb = 0;
    uint64_t rf = 2, mrs = AERO_DEFAULT_MAX_RECORD_SIZE, dttl = 0, nsup = 120;
    const char *fail_codes = "14,18";
    struct err e = {0};
    struct td_server *srv;
    struct sigaction sa;
    sigset_t block;

    if (!c)
        return 2;
    snprintf(c->cluster_name, sizeof(c->cluster_name), "testcluster");
    snprintf(c->build, sizeof(c->build), "8.1.2.0");
    opterr = 0;          /* one error line of our own */
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (opt) {
        case 'p': port = (int)num(optarg, "--port", 1, 65535, false); break;
        case 'n':
            if (n_nsnames >= (int)ARRAY_LEN(nsnames))
                die_usage("too many --namespace%s", "");
            nsnames[n_nsnames++] = optarg;
            break;
        case 'N': nodes = (int)num(optarg, "--nodes", 1, TD_MAX_NODES, false); break;
        case 'c':
            if (!*optarg || strlen(optarg) >= sizeof(c->cluster_name))
                die_usage("--cluster-name '%s': 1..63 characters", optarg);
            snprintf(c->cluster_name, sizeof(c->cluster_name), "%s", optarg);
            break;
        case 'r': rf = num(optarg, "--replication-factor", 1, 2, false); break;
        case 'm': mrs = num(optarg, "--max-record-size", 64, 8u << 20, true); break;
        case 'd': dttl = num(optarg, "--default-ttl", 0, AERO_TTL_MAX, false); break;
        case 's': nsup = num(optarg, "--nsup-period", 0, 86400, false); break;
        case 'S': nsup = 0; break;
        case 'V': {
            unsigned a, b, d, f;
            char extra;
            if (strlen(optarg) >= sizeof(c->build) ||
                sscanf(optarg, "%u.%u.%u.%u%c", &a, &b, &d, &f, &extra) != 4)
                die_usage("--build '%s': expected a version like 5.7.0.17", optarg);
            snprintf(c->build, sizeof(c->build), "%s", optarg);
            break;
        }
        case 'B': c->batch_max_requests = (uint32_t)num(optarg, "--batch-max-requests", 0, 1000000, false); break;
        case 'P': prefault_mb = num(optarg, "--prefault-mb", 0, 1u << 20, false); break;
        case 'D': c->discard_writes = true; break;
        case 'l': c->latency_ms = (uint32_t)num(optarg, "--latency-ms", 0, 600000, false); break;
        case 'f':
            if (!str_to_double(optarg, strlen(optarg), &c->fail_rate) || c->fail_rate < 0 ||
                c->fail_rate > 1)
                die_usage("--fail-rate '%s': expected 0..1", optarg);
            break;
        case 'F': fail_codes = optarg; break;
        case 'z': c->snapshot_path = optarg; break;
        case 'x': c->rng = num(optarg, "--seed", 1, UINT64_MAX, false); break;
        case 'C': c->tls_cert = optarg; break;
        case 'K': c->tls_key = optarg; break;
        case 'A': c->tls_ca = optarg; break;
        case 'T':
            if (strlen(optarg) >= sizeof(c->tls_name) || strpbrk(optarg, ",[]"))
                die_usage("--tls-name '%s': up to 63 characters, no ',[]'", optarg);
            snprintf(c->tls_name, sizeof(c->tls_name), "%s", optarg);
            break;
        case 'u': {
            const char *colon = strchr(optarg, ':');
            struct td_user *u = &c->sec.users[c->sec.n_users];
            if (c->sec.n_users == TD_MAX_USERS)
                die_usage("more than 16 --user%s", "");
            if (!colon || colon == optarg || (size_t)(colon - optarg) >= sizeof(u->name) ||
                strlen(colon + 1) >= sizeof(u->password))
                die_usage("--user '%s': expected NAME:PASSWORD (name up to 63, password up to 127 bytes)",
                          optarg);
            memcpy(u->name, optarg, (size_t)(colon - optarg));
            snprintf(u->password, sizeof(u->password), "%s", colon + 1);
            if (aero_bcrypt(u->password, AERO_LOGIN_SALT, u->cred, &e) != ST_OK)
                die_usage("--user: %s", e.msg);
            c->sec.n_users++;
            break;
        }
        case 't': c->sec.session_ttl = (uint32_t)num(optarg, "--session-ttl", 1, 86400, false); break;
        case 'h':
            fputs(usage, stdout);
            mem_free(c);
            return 0;
        case ':': die_usage("option '%s' needs a value", argv[optind - 1]); break;
        default: die_usage("unknown option '%s'", argv[optind - 1]); break;
        }
    }
    if (optind < argc)
        die_usage("unexpected argument '%s'", argv[optind]);
    if (!c->tls_cert != !c->tls_key)
        die_usage("--tls-cert and --tls-key go together%s", "");
    if (c->tls_ca && !c->tls_cert)
        die_usage("--tls-ca needs --tls-cert and --tls-key%s", "");
    if (c->sec.session_ttl == 0)
        c->sec.session_ttl = 86400;
    c->batch_writes = atoi(c->build) >= 6;
    if ((uint64_t)port + (uint64_t)nodes - 1 > 65535)
        die_usage("--port %s: ports for all nodes must be <= 65535", "");
    {   /* fail codes go through the same parser as testd-set */
        struct buf cmd = BUF_INIT, out = BUF_INIT;
        struct td_info_result ir;
        bool ua = false;
        buf_printf(&cmd, "testd-set:fail-codes=%s\n", fail_codes);
        c->n_nodes = 1;
        td_info(c, 0, cmd.p, cmd.len, &ua, &out, &ir);
        buf_cstr(&out);
        if (!strstr((const char *)out.p + 8, "\tok\n"))
            die_usage("--fail-codes '%s': expected result codes like 14,18", fail_codes);
        c->nodes[0].st.info_requests = 0;
        buf_free(&cmd);
        buf_free(&out);
    }
    if (n_nsnames == 0)
        nsnames[n_nsnames++] = "test";
    for (int i = 0; i < n_nsnames; i++) {
        if (td_store_add_ns(&c->store, nsnames[i], &e) != 0)
            die_usage("%s", e.msg);
        struct td_ns *ns = &c->store.ns[c->store.n_ns - 1];
        ns->rf = (uint32_t)rf;
        ns->max_record_size = (uint32_t)mrs;
        ns->default_ttl = (uint32_t)dttl;
        ns->nsup_period = (uint32_t)nsup;
    }
    c->n_nodes = nodes;
    for (int i = 0; i < nodes; i++) {
        struct td_node *nd = &c->nodes[i];
        nd->index = i;
        nd->port = port + i;
        nd->up = true;
        /* like a real id: fabric port in the top 2 bytes, a made-up MAC 02:42:7f:00:00:i+1
         * (little-endian) in the low 6 */
        nd->id = ((uint64_t)(uint16_t)(port + 1 + i) << 48) | ((uint64_t)(i + 1) << 40) |
                 0x7F4202ull;
    }
    c->start_ms = clock_mono_ms();
    c->partition_gen = 0;
    c->peers_gen = nodes > 1 ? (uint64_t)nodes - 1 : 0;
    c->rebalance_gen = 1;
    td_ctx_rebalance(c, false);
    if (c->snapshot_path && td_snapshot_load(c, c->snapshot_path, &e) != 0) {
        fprintf(stderr, "aerospike-testd: %s\n", e.msg);
        td_ctx_free(c);
        mem_free(c);
        return 2;
    }

    {   /* many client connections: take every descriptor we may */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, NULL);   /* delivered only inside epoll_pwait */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (prefault_mb)
        prefault_heap(prefault_mb);
    srv = td_server_new(c, &e);
    if (!srv) {
        fprintf(stderr, "aerospike-testd: %s\n", e.msg);
        td_ctx_free(c);
        mem_free(c);
        return 2;
    }
    if (c->discard_writes)
        fprintf(stderr, "aerospike-testd: --discard-writes: writes are answered OK and NOT "
                        "stored (a benchmark lever, no server does this)\n");
    printf("ready ");
    for (int i = 0; i < nodes; i++)
        printf("%s127.0.0.1:%d", i ? "," : "", port + i);
    printf("\n");
    fflush(stdout);

    td_server_run(srv, &stop);
    td_server_free(srv);
    int rc = 0;
    if (c->snapshot_path && td_snapshot_save(c, c->snapshot_path, &e) != 0) {
        fprintf(stderr, "aerospike-testd: snapshot: %s\n", e.msg);
        rc = 1;
    }
    td_ctx_free(c);
    mem_free(c);
    return rc;
}
