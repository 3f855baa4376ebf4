/* Unit tests for the cluster and the asynchronous client against in-process fake servers:
 * bootstrap checks, peers discovery, routing, pipelining order, retries and timeouts,
 * connection resets mid-pipeline, bad framing, exactly-once callbacks, cancellation on free,
 * and zero allocations per command in steady state.
 *
 * A fake node is a thread with a listening socket on 127.0.0.1 that answers info commands
 * from its settings and data requests from a script of actions (then "OK" forever). Data
 * replies carry generation = the first 4 digest bytes of the request (so a test can check
 * replies were matched to the right command) and void_time = the node's request counter. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "../../tests/harness.h"
#include "../../tests/support/testutil.h"
#include "aero_int.h"

/* ---------- fake node ---------- */

enum act { A_OK = 0, A_RC, A_STALL, A_CLOSE, A_RESET, A_GARBAGE, A_DELAY };
struct action {
    enum act kind;
    int arg;
};

#define FAKE_MAX_CONNS 64
#define FAKE_SCRIPT 512

struct fake_conn {
    int fd;
    bool stalled;
    struct buf in, out, body;         /* reused: the fake must not allocate per request */
};

struct fake {
    int lfd;
    uint16_t port;
    pthread_t th;
    atomic_bool stop;
    pthread_mutex_t mu;               /* settings and script */
    char node[32];
    char replicas[2048];
    char peers[512];
    long long pgen;
    unsigned long long peers_gen;
    bool refuse_info;                 /* answer info with garbage (tend failure) */
    char refuse_cmd[32];              /* ... only info requests naming this command */
    struct action script[FAKE_SCRIPT];
    int n_script, pos;
    atomic_uint n_data, n_info, n_accepted, n_batch;
    uint8_t last_req[4096];           /* last data request as received (mu) */
    size_t last_len;
    struct fake_conn conns[FAKE_MAX_CONNS];
    int n_conns;
};

static const char *bitmap_b64(uint8_t byte)
{
    static char out[8][AERO_BITMAP_B64 + 1];
    static int slot;
    uint8_t raw[AERO_BITMAP_SZ];
    char *o = out[slot = (slot + 1) % 8];
    memset(raw, byte, sizeof(raw));
    base64_encode(raw, sizeof(raw), o);
    o[AERO_BITMAP_B64] = '\0';
    return o;
}

static void fake_set_replicas(struct fake *f, uint8_t master, uint8_t replica, int n_repl)
{
    pthread_mutex_lock(&f->mu);
    if (n_repl == 1)
        snprintf(f->replicas, sizeof(f->replicas), "test:0,1,%s", bitmap_b64(master));
    else
        snprintf(f->replicas, sizeof(f->replicas), "test:0,2,%s,%s", bitmap_b64(master),
                 bitmap_b64(replica));
    f->pgen++;
    pthread_mutex_unlock(&f->mu);
}

static void fake_script(struct fake *f, const struct action *a, int n)
{
    pthread_mutex_lock(&f->mu);
    memcpy(f->script, a, (size_t)n * sizeof(*a));
    f->n_script = n;
    f->pos = 0;
    pthread_mutex_unlock(&f->mu);
}

static struct action next_action(struct fake *f)
{
    struct action a = {A_OK, 0};
    pthread_mutex_lock(&f->mu);
    if (f->pos < f->n_script)
        a = f->script[f->pos++];
    pthread_mutex_unlock(&f->mu);
    return a;
}

static void send_all_fd(int fd, const void *p, size_t n)
{
    const uint8_t *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return;
        }
        c += w;
        n -= (size_t)w;
    }
}

static void info_answer(struct fake *f, struct buf *out, const char *cmd, size_t n)
{
    char c[128];
    snprintf(c, sizeof(c), "%.*s", (int)n, cmd);
    buf_printf(out, "%s\t", c);
    pthread_mutex_lock(&f->mu);
    if (!strcmp(c, "node"))
        buf_append_str(out, f->node);
    else if (!strcmp(c, "partition-generation"))
        buf_printf(out, "%lld", f->pgen);
    else if (!strcmp(c, "peers-generation"))
        buf_printf(out, "%llu", f->peers_gen);
    else if (!strcmp(c, "build"))
        buf_append_str(out, "8.1.2.0");
    else if (!strcmp(c, "cluster-name"))
        buf_append_str(out, "testcluster");
    else if (!strcmp(c, "peers-clear-std"))
        buf_append_str(out, f->peers);
    else if (!strcmp(c, "replicas"))
        buf_append_str(out, f->replicas);
    else if (!strcmp(c, "namespaces"))
        buf_append_str(out, "test");
    else
        buf_append_str(out, "ERROR:4:unrecognized command");
    pthread_mutex_unlock(&f->mu);
    buf_append_str(out, "\n");
}

static void reply_hdr(struct buf *o, int rc, uint32_t gen, uint32_t vt, uint32_t ttl, uint8_t info3)
{
    buf_put_u8(o, 22);
    buf_put_u8(o, 0);
    buf_put_u8(o, 0);
    buf_put_u8(o, info3);
    buf_put_u8(o, 0);
    buf_put_u8(o, (uint8_t)rc);
    buf_put_u32be(o, gen);
    buf_put_u32be(o, vt);
    buf_put_u32be(o, ttl);
    buf_put_u16be(o, 0);
    buf_put_u16be(o, 0);
}

static void frame(struct buf *o, uint8_t type, const struct buf *body)
{
    buf_put_u64be(o, ((uint64_t)2 << 56) | ((uint64_t)type << 48) | body->len);
    buf_append(o, body->p, body->len);
}

/* Batch: one data message with a row per key (gen = digest, ttl = index), then LAST. */
static void batch_answer(struct fake *f, const uint8_t *field, size_t n, struct buf *out)
{
    struct buf rows = BUF_INIT, last = BUF_INIT;
    uint32_t count = load_u32be(field);
    const uint8_t *p = field + 5, *end = field + n;

    atomic_fetch_add(&f->n_batch, 1);
    for (uint32_t i = 0; i < count && p + 25 <= end; i++) {
        uint32_t idx = load_u32be(p);
        const uint8_t *dig = p + 4;
        uint8_t fl = p[24];
        p += 25;
        if (!(fl & 0x01)) {
            uint16_t nf, no;
            p += 1 + ((fl & 0x02) ? 2 : 0) + ((fl & 0x10) ? 1 : 0) + ((fl & 0x04) ? 2 : 0) +
                 ((fl & 0x08) ? 4 : 0);
            nf = load_u16be(p);
            no = load_u16be(p + 2);
            p += 4;
            for (int k = 0; k < nf + no; k++)
                p += 4 + load_u32be(p);
        }
        reply_hdr(&rows, dig[19] == 0xEE ? 2 : 0, load_u32be(dig), 0, idx, 0);
    }
    frame(out, 3, &rows);
    reply_hdr(&last, 0, 0, 0, 0, AERO_INFO3_LAST);
    frame(out, 3, &last);
    buf_free(&rows);
    buf_free(&last);
}

static void fake_close_conn(struct fake *f, int i, bool reset)
{
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(f->conns[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(f->conns[i].fd);
    buf_free(&f->conns[i].in);
    buf_free(&f->conns[i].out);
    buf_free(&f->conns[i].body);
    f->conns[i] = f->conns[--f->n_conns];
}

/* Handle every complete frame of conn @i. Returns false when the connection was closed. */
static bool fake_serve(struct fake *f, int i)
{
    struct fake_conn *fc = &f->conns[i];
    size_t off = 0;
    struct buf *out = &fc->out, *body = &fc->body;

    buf_reset(out);
    while (!fc->stalled && fc->in.len - off >= 8) {
        const uint8_t *h = fc->in.p + off;
        uint64_t size = load_u64be(h) & 0xFFFFFFFFFFFFull;
        const uint8_t *b = h + 8;
        if (fc->in.len - off < 8 + size)
            break;
        off += 8 + size;
        buf_reset(body);
        if (h[1] == 1) {
            bool refuse;
            pthread_mutex_lock(&f->mu);
            refuse = f->refuse_info ||
                     (f->refuse_cmd[0] && memmem(b, size, f->refuse_cmd, strlen(f->refuse_cmd)));
            pthread_mutex_unlock(&f->mu);
            atomic_fetch_add(&f->n_info, 1);
            if (refuse) {
                send_all_fd(fc->fd, "garbage!", 8);
                fake_close_conn(f, i, false);
                return false;
            }
            const char *c = (const char *)b, *e = (const char *)b + size;
            while (c < e) {
                const char *nl = memchr(c, '\n', (size_t)(e - c));
                if (!nl)
                    break;
                info_answer(f, body, c, (size_t)(nl - c));
                c = nl + 1;
            }
            frame(out, 1, body);
            continue;
        }
        /* type 3 */
        atomic_fetch_add(&f->n_data, 1);
        pthread_mutex_lock(&f->mu);
        f->last_len = MIN(8 + size, sizeof(f->last_req));
        memcpy(f->last_req, h, f->last_len);
        pthread_mutex_unlock(&f->mu);
        const uint8_t *dig = NULL, *batch = NULL, *fp = b + 22;
        size_t batch_n = 0;
        for (int k = 0; k < load_u16be(b + 18); k++) {
            uint32_t sz = load_u32be(fp);
            if (fp[4] == AERO_FIELD_DIGEST_RIPE)
                dig = fp + 5;
            if (fp[4] == AERO_FIELD_BATCH) {
                batch = fp + 5;
                batch_n = sz - 1;
            }
            fp += 4 + sz;
        }
        struct action a = next_action(f);
        switch (a.kind) {
        case A_STALL:
            fc->stalled = true;
            break;
        case A_CLOSE:
        case A_RESET:
            send_all_fd(fc->fd, out->p, out->len);
            fake_close_conn(f, i, a.kind == A_RESET);
            return false;
        case A_GARBAGE:
            buf_append(out, "\x07\x03\x00\x00\x00\x00\x00\x16garbage-garbage-garbag", 30);
            break;
        case A_DELAY:
            send_all_fd(fc->fd, out->p, out->len);
            buf_reset(out);
            sleep_ms((uint64_t)a.arg);
            /* fall through */
        case A_OK:
        case A_RC:
            if (batch) {
                batch_answer(f, batch, batch_n, out);
            } else {
                reply_hdr(body, a.kind == A_RC ? a.arg : 0, dig ? load_u32be(dig) : 0,
                          atomic_load(&f->n_data), 0, 0);
                frame(out, 3, body);
            }
            break;
        }
    }
    if (out->len)
        send_all_fd(fc->fd, out->p, out->len);
    buf_consume(&fc->in, off);
    return true;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    struct pollfd pfd[FAKE_MAX_CONNS + 1];

    while (!atomic_load(&f->stop)) {
        int n = 0;
        pfd[n++] = (struct pollfd){f->lfd, POLLIN, 0};
        for (int i = 0; i < f->n_conns; i++)
            pfd[n++] = (struct pollfd){f->conns[i].fd, POLLIN, 0};
        if (poll(pfd, (nfds_t)n, 20) <= 0)
            continue;
        if (pfd[0].revents & POLLIN) {
            int fd = accept(f->lfd, NULL, NULL);
            if (fd >= 0 && f->n_conns < FAKE_MAX_CONNS) {
                f->conns[f->n_conns++] = (struct fake_conn){fd, false, BUF_INIT, BUF_INIT, BUF_INIT};
                atomic_fetch_add(&f->n_accepted, 1);
            } else if (fd >= 0) {
                close(fd);
            }
        }
        /* walk backwards: closing swaps the last connection into the slot */
        for (int k = n - 1; k >= 1; k--) {
            int i = k - 1;
            char tmp[65536];
            ssize_t r;
            if (i >= f->n_conns || !(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) ||
                f->conns[i].fd != pfd[k].fd)
                continue;
            r = recv(f->conns[i].fd, tmp, sizeof(tmp), 0);
            if (r <= 0) {
                fake_close_conn(f, i, false);
                continue;
            }
            buf_append(&f->conns[i].in, tmp, (size_t)r);
            fake_serve(f, i);
        }
    }
    while (f->n_conns)
        fake_close_conn(f, 0, false);
    return NULL;
}

static struct fake *fake_start(const char *node)
{
    struct fake *f = mem_calloc(1, sizeof(*f));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int one = 1;

    pthread_mutex_init(&f->mu, NULL);
    snprintf(f->node, sizeof(f->node), "%s", node);
    snprintf(f->peers, sizeof(f->peers), "0,3000,[]");
    f->pgen = -1;
    fake_set_replicas(f, 0xFF, 0, 1);          /* pgen 0 */
    f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f->lfd, 64) ||
        getsockname(f->lfd, (struct sockaddr *)&sa, &sl))
        TEST_FAIL("fake listen: %s", strerror(errno));
    f->port = ntohs(sa.sin_port);
    pthread_create(&f->th, NULL, fake_main, f);
    return f;
}

static void fake_stop(struct fake *f)
{
    if (!f)
        return;
    atomic_store(&f->stop, true);
    pthread_join(f->th, NULL);
    close(f->lfd);
    pthread_mutex_destroy(&f->mu);
    mem_free(f);
}

/* ---------- helpers ---------- */

/* A cluster seeded with @f; @max_error_rate: the circuit breaker (0 = off). */
static struct aero_cluster *cluster_on_rate(const struct fake *f, uint32_t tend_ms, uint32_t max_error_rate,
                                            struct err *e)
{
    struct aero_cluster_config cfg;
    char seed[64];

    aero_cluster_config_init(&cfg);
    cfg.tend_interval_ms = tend_ms;
    cfg.conn_timeout_ms = 500;
    cfg.max_error_rate = max_error_rate;
    snprintf(seed, sizeof(seed), "127.0.0.1:%u", f->port);
    if (aero_cluster_config_seeds(&cfg, seed, e) != ST_OK)
        return NULL;
    return aero_cluster_new(&cfg, e);
}

static struct aero_cluster *cluster_on(const struct fake *f, uint32_t tend_ms, struct err *e)
{
    struct aero_cluster_config defaults;
    aero_cluster_config_init(&defaults);
    return cluster_on_rate(f, tend_ms, defaults.max_error_rate, e);
}

struct tcmd {
    struct aero_cmd cmd;
    int calls;
    enum status st;
    int rc;
    char msg[ERR_MSG_LEN];
};

static void tcb(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    struct tcmd *t = cmd->ctx;
    t->calls++;
    t->st = st;
    t->rc = e->aero_rc;
    snprintf(t->msg, sizeof(t->msg), "%s", e->msg);
}

/* A write-shaped request whose digest starts with @id (big-endian) and whose partition id is
 * @pid (digest bytes 0-1 little-endian hold the pid: we build the digest around it). */
static void make_cmd(struct tcmd *t, uint32_t id, const struct aero_policy *p)
{
    uint8_t d[AERO_DIGEST_SZ] = {0};
    struct aero_msg m;

    store_u32be(d, id);
    buf_reset(&t->cmd.req);
    aero_msg_begin(&m, &t->cmd.req, 0, AERO_INFO2_WRITE, 0, 0, 0, 0);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, d, NULL);
    aero_msg_op_int(&m, AERO_OP_WRITE, "a", 1, (int64_t)id);
    if (aero_msg_end(&m, NULL) != ST_OK)
        TEST_FAIL("build");
    aero_cmd_route(&t->cmd, "test", d, true);
    if (p)
        aero_cmd_policy(&t->cmd, p);
    t->cmd.cb = tcb;
    t->cmd.ctx = t;
    t->calls = 0;
}

/* pid of a digest whose first two bytes are the big-endian top of @id */
static uint32_t id_pid(uint32_t id)
{
    uint8_t d[4];
    store_u32be(d, id);
    return ((uint32_t)d[0] | ((uint32_t)d[1] << 8)) & 0xFFF;
}

static void wait_all(struct aero_client *cl, struct tcmd *t, int n, int timeout_ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)(timeout_ms * test_timeout_scale());
    for (;;) {
        int done = 0;
        for (int i = 0; i < n; i++)
            done += t[i].calls > 0;
        if (done == n)
            return;
        if (clock_mono_ms() > end)
            TEST_FAIL("only %d of %d callbacks after %d ms", done, n, timeout_ms);
        aero_client_poll(cl, 50);
    }
}

static struct aero_node_info node_info(struct aero_cluster *c, const char *name)
{
    struct aero_node_info ni[8];
    size_t n = aero_cluster_nodes(c, ni, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        if (!strcmp(ni[i].name, name))
            return ni[i];
    TEST_FAIL("node %s not in the cluster", name);
}

/* ---------- bootstrap ---------- */

TEST(bootstrap_single_node)
{
    struct fake *f = fake_start("BB9020011AC4202");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_node_info ni[4];
    char owner[AERO_NODE_NAME_SZ];
    uint8_t d[20] = {0x12, 0x34};

    if (!c)
        TEST_FAIL("cluster: %s", e.msg);
    ASSERT_EQ_INT(aero_cluster_nodes(c, ni, 4), 1);
    ASSERT_EQ_STR(ni[0].name, "BB9020011AC4202");
    ASSERT_EQ_STR(ni[0].build, "8.1.2.0");
    ASSERT_EQ_INT(ni[0].partitions_master, 4096);
    ASSERT_TRUE(aero_cluster_owner(c, "test", d, 0, owner));
    ASSERT_EQ_STR(owner, "BB9020011AC4202");
    ASSERT_FALSE(aero_cluster_owner(c, "nope", d, 0, owner));
    ASSERT_OK_E(aero_cluster_tend(c, &e), &e);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(bootstrap_rejects_uninitialised_node)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    f->pgen = -1;
    ASSERT_TRUE(cluster_on(f, 0, &e) == NULL);
    ASSERT_CONTAINS(e.msg, "partition-generation -1");
    ASSERT_CONTAINS(e.msg, "127.0.0.1:");
    fake_stop(f);
}

TEST(bootstrap_rejects_other_cluster_name)
{
    struct fake *f = fake_start("A1");
    struct aero_cluster_config cfg;
    struct err e = {0};
    char seed[64];

    aero_cluster_config_init(&cfg);
    snprintf(cfg.cluster_name, sizeof(cfg.cluster_name), "prod");
    snprintf(seed, sizeof(seed), "127.0.0.1:%u", f->port);
    aero_cluster_config_seeds(&cfg, seed, NULL);
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_CONTAINS(e.msg, "cluster 'testcluster', expected 'prod'");
    snprintf(cfg.cluster_name, sizeof(cfg.cluster_name), "testcluster");
    struct aero_cluster *c = aero_cluster_new(&cfg, &e);
    if (!c)
        TEST_FAIL("matching cluster name refused: %s", e.msg);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(bootstrap_no_seed_answers_names_each)
{
    struct aero_cluster_config cfg;
    struct err e = {0};
    char seeds[64];
    int port = tu_free_ports(2);

    aero_cluster_config_init(&cfg);
    cfg.conn_timeout_ms = 300;
    snprintf(seeds, sizeof(seeds), "127.0.0.1:%d,127.0.0.1:%d", port, port + 1);
    aero_cluster_config_seeds(&cfg, seeds, NULL);
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_CONNECT);
    ASSERT_CONTAINS(e.msg, "no seed answered");
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d: connect", port);
    ASSERT_CONTAINS(e.msg, want);
    snprintf(want, sizeof(want), "127.0.0.1:%d: connect", port + 1);
    ASSERT_CONTAINS(e.msg, want);
}

/* Security settings that cannot work are refused before any connection (issue 9). */
TEST(security_config_checked_before_connecting)
{
    struct aero_cluster_config cfg;
    struct err e = {0};

    aero_cluster_config_init(&cfg);
    aero_cluster_config_seeds(&cfg, "127.0.0.1:1", NULL);
    cfg.auth = true;                              /* internal auth without a user */
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "without a user name");
    cfg.auth_mode = AERO_AUTH_PKI;                /* pki needs TLS with a key store */
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "pki");
    cfg.auth = false;
    cfg.tls.enabled = true;
    snprintf(cfg.tls.trust.file, sizeof(cfg.tls.trust.file), "/nonexistent/ca.pem");
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_ST(e.status, ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "trust-store: /nonexistent/ca.pem");
    cfg.tls.trust.type = AERO_STORE_PKCS12;
    ASSERT_TRUE(aero_cluster_new(&cfg, &e) == NULL);
    ASSERT_CONTAINS(e.msg, "/nonexistent/ca.pem: No such file");
}

/* ---------- two nodes: peers and routing ---------- */

static void two_nodes(struct fake **a, struct fake **b)
{
    *a = fake_start("A1");
    *b = fake_start("B2");
    snprintf((*a)->peers, sizeof((*a)->peers), "1,3000,[[B2,,[127.0.0.1:%u]]]", (*b)->port);
    snprintf((*b)->peers, sizeof((*b)->peers), "1,3000,[[A1,,[127.0.0.1:%u]]]", (*a)->port);
    (*a)->peers_gen = (*b)->peers_gen = 1;
    fake_set_replicas(*a, 0xAA, 0x55, 2);    /* A masters even partitions */
    fake_set_replicas(*b, 0x55, 0xAA, 2);
}

TEST(peers_discovered_and_keys_routed_to_master)
{
    struct fake *a, *b;
    struct err e = {0};
    struct aero_cluster *c;
    struct aero_client *cl;
    static struct tcmd t[400];
    struct aero_policy p = {1000, 5000, 0, 0};
    unsigned even = 0;

    two_nodes(&a, &b);
    c = cluster_on(a, 0, &e);                 /* only A is a seed */
    if (!c)
        TEST_FAIL("%s", e.msg);
    ASSERT_EQ_INT(aero_cluster_nodes(c, NULL, 0), 2);
    ASSERT_EQ_INT(node_info(c, "A1").partitions_master, 2048);
    ASSERT_EQ_INT(node_info(c, "B2").partitions_master, 2048);
    cl = aero_client_new(c, NULL, &e);
    for (uint32_t i = 0; i < 400; i++) {
        uint32_t id = i * 2654435761u;
        make_cmd(&t[i], id, &p);
        even += id_pid(id) % 2 == 0;
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    wait_all(cl, t, 400, 5000);
    for (int i = 0; i < 400; i++) {
        ASSERT_ST(t[i].st, ST_OK);
        ASSERT_EQ_INT(t[i].calls, 1);
    }
    ASSERT_EQ_INT(atomic_load(&a->n_data), even);
    ASSERT_EQ_INT(atomic_load(&b->n_data), 400 - even);
    ASSERT_EQ_U64(node_info(c, "A1").commands, even);
    ASSERT_EQ_U64(node_info(c, "B2").commands, 400 - even);
    for (int i = 0; i < 400; i++)
        aero_cmd_free(&t[i].cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(a);
    fake_stop(b);
}

TEST(tend_adds_new_peer_and_follows_partition_moves)
{
    struct fake *a = fake_start("A1"), *b = fake_start("B2");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(a, 0, &e);
    uint8_t d_odd[20] = {1, 0}, d_even[20] = {2, 0};
    char owner[AERO_NODE_NAME_SZ];
    uint64_t gen0;

    if (!c)
        TEST_FAIL("%s", e.msg);
    ASSERT_EQ_INT(aero_cluster_nodes(c, NULL, 0), 1);
    gen0 = aero_cluster_map_generation(c);
    /* B joins: A reports it as a peer, ownership splits */
    pthread_mutex_lock(&a->mu);
    snprintf(a->peers, sizeof(a->peers), "2,3000,[[B2,,[127.0.0.1:%u]]]", b->port);
    a->peers_gen = 2;
    pthread_mutex_unlock(&a->mu);
    fake_set_replicas(a, 0xAA, 0x55, 2);
    fake_set_replicas(b, 0x55, 0xAA, 2);
    ASSERT_OK_E(aero_cluster_tend(c, &e), &e);
    ASSERT_EQ_INT(aero_cluster_nodes(c, NULL, 0), 2);
    ASSERT_TRUE(aero_cluster_map_generation(c) > gen0);
    ASSERT_TRUE(aero_cluster_owner(c, "test", d_odd, 0, owner));
    ASSERT_EQ_STR(owner, "B2");
    ASSERT_TRUE(aero_cluster_owner(c, "test", d_odd, 1, owner));
    ASSERT_EQ_STR(owner, "A1");
    ASSERT_TRUE(aero_cluster_owner(c, "test", d_even, 0, owner));
    ASSERT_EQ_STR(owner, "A1");
    /* nothing changed: the map stays */
    gen0 = aero_cluster_map_generation(c);
    ASSERT_OK(aero_cluster_tend(c, NULL));
    ASSERT_EQ_U64(aero_cluster_map_generation(c), gen0);

    /* B dies: A drops it from its peers and takes every partition */
    fake_stop(b);
    pthread_mutex_lock(&a->mu);
    snprintf(a->peers, sizeof(a->peers), "3,3000,[]");
    a->peers_gen = 3;
    pthread_mutex_unlock(&a->mu);
    fake_set_replicas(a, 0xFF, 0, 1);
    ASSERT_OK(aero_cluster_tend(c, NULL));
    ASSERT_EQ_INT(aero_cluster_nodes(c, NULL, 0), 1);
    ASSERT_TRUE(aero_cluster_owner(c, "test", d_odd, 0, owner));
    ASSERT_EQ_STR(owner, "A1");
    aero_cluster_free(c);
    fake_stop(a);
}

struct events {
    int n[4];
    char last_why[ERR_MSG_LEN];
    char seq[32];                     /* kinds in order, as digits */
};

static void on_event(void *ctx, const struct aero_cluster_event *ev)
{
    struct events *x = ctx;
    size_t at = strlen(x->seq);
    x->n[ev->kind]++;
    if (at + 1 < sizeof(x->seq))
        x->seq[at] = (char)('0' + ev->kind);
    snprintf(x->last_why, sizeof(x->last_why), "%s %s %s %s", ev->node, ev->addr,
             aero_cluster_event_name(ev->kind), ev->why);
}

/* A cluster seeded with @f that reports its events to @ev and is tended only by the test
 * (aero_cluster_tend); @timeout_ms to connect and for info requests; @fail_threshold 0 keeps
 * the default. */
static struct aero_cluster *cluster_events(const struct fake *f, struct events *ev, uint32_t timeout_ms,
                                           unsigned fail_threshold, struct err *e)
{
    struct aero_cluster_config cfg;
    char seed[64];

    aero_cluster_config_init(&cfg);
    cfg.on_event = on_event;
    cfg.event_ctx = ev;
    cfg.tend_interval_ms = 0;
    if (fail_threshold)
        cfg.fail_threshold = fail_threshold;
    cfg.conn_timeout_ms = timeout_ms;
    cfg.info_timeout_ms = timeout_ms;
    snprintf(seed, sizeof(seed), "127.0.0.1:%u", f->port);
    if (aero_cluster_config_seeds(&cfg, seed, e) != ST_OK)
        return NULL;
    return aero_cluster_new(&cfg, e);
}

TEST(tend_removes_node_after_failures_only_when_others_answer)
{
    struct fake *a = fake_start("A1");
    struct err e = {0};
    struct events ev = {{0}, "", ""};
    struct aero_cluster *c = cluster_events(a, &ev, 200, 2, &e);

    if (!c)
        TEST_FAIL("%s", e.msg);
    pthread_mutex_lock(&a->mu);
    a->refuse_info = true;
    pthread_mutex_unlock(&a->mu);
    ASSERT_EQ_INT(ev.n[AERO_EV_NODE_ADDED], 0);      /* bootstrap is not a change */
    for (int i = 0; i < 4; i++)
        ASSERT_ST(aero_cluster_tend(c, &e), ST_UNAVAILABLE);
    /* the only node never goes away: it is retried every pass */
    ASSERT_EQ_INT(aero_cluster_nodes(c, NULL, 0), 1);
    ASSERT_TRUE(node_info(c, "A1").tend_failures >= 4);
    /* four failing passes: reported once, with the reason */
    ASSERT_EQ_INT(ev.n[AERO_EV_NODE_DOWN], 1);
    ASSERT_EQ_INT(ev.n[AERO_EV_NODE_REMOVED], 0);
    ASSERT_CONTAINS(ev.last_why, "A1 127.0.0.1:");
    ASSERT_CONTAINS(ev.last_why, "not answering 127.0.0.1:");
    pthread_mutex_lock(&a->mu);
    a->refuse_info = false;
    pthread_mutex_unlock(&a->mu);
    ASSERT_OK_E(aero_cluster_tend(c, &e), &e);
    ASSERT_OK_E(aero_cluster_tend(c, &e), &e);
    ASSERT_EQ_INT(node_info(c, "A1").tend_failures, 0);
    ASSERT_EQ_INT(ev.n[AERO_EV_NODE_BACK], 1);
    ASSERT_EQ_INT(ev.n[AERO_EV_NODE_DOWN], 1);
    aero_cluster_free(c);
    ASSERT_EQ_INT(ev.n[AERO_EV_NODE_REMOVED], 0);       /* closing is not a change either */
    fake_stop(a);
}

/* A node that answers a pass's health check and fails its replicas request right after, while
 * its peer already dropped it, is removed in that same pass: it is still reported as not
 * answering first (cluster_failover_test once saw "left" without "not answering"). */
TEST(a_node_failing_after_its_health_check_is_reported_down_before_it_leaves)
{
    struct fake *a, *b;
    struct err e = {0};
    struct events ev = {{0}, "", ""};
    struct aero_cluster *c;
    char want[8];

    two_nodes(&a, &b);
    c = cluster_events(a, &ev, 500, 0, &e);
    if (!c)
        TEST_FAIL("%s", e.msg);
    ASSERT_EQ_INT(aero_cluster_nodes(c, NULL, 0), 2);
    ev.seq[0] = '\0';
    /* B's partitions move (its replicas must be fetched) but it answers only the health check;
     * A no longer lists it */
    pthread_mutex_lock(&b->mu);
    b->pgen++;
    snprintf(b->refuse_cmd, sizeof(b->refuse_cmd), "replicas");
    pthread_mutex_unlock(&b->mu);
    pthread_mutex_lock(&a->mu);
    snprintf(a->peers, sizeof(a->peers), "2,3000,[]");
    a->peers_gen = 2;
    pthread_mutex_unlock(&a->mu);
    fake_set_replicas(a, 0xFF, 0, 1);
    ASSERT_OK_E(aero_cluster_tend(c, &e), &e);
    ASSERT_EQ_INT(aero_cluster_nodes(c, NULL, 0), 1);
    snprintf(want, sizeof(want), "%d%d", AERO_EV_NODE_DOWN, AERO_EV_NODE_REMOVED);
    ASSERT_EQ_STR(ev.seq, want);
    ASSERT_CONTAINS(ev.last_why, "B2 127.0.0.1:");
    aero_cluster_free(c);
    fake_stop(a);
    fake_stop(b);
}

TEST(tend_thread_runs_by_itself)
{
    struct fake *a = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(a, 100, &e);
    unsigned before;

    if (!c)
        TEST_FAIL("%s", e.msg);
    before = atomic_load(&a->n_info);
    sleep_ms(1000);                            /* ~10 passes at 100 ms; 3 even on a busy box */
    ASSERT_CMP_INT(atomic_load(&a->n_info) - before, >=, 3);
    aero_cluster_free(c);
    fake_stop(a);
}

/* ---------- pipelining, order, counts ---------- */

TEST(pipelined_replies_matched_in_order)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client_config cc;
    struct aero_client *cl;
    static struct tcmd t[1000];
    struct aero_policy p = {2000, 5000, 0, 0};

    aero_client_config_init(&cc);
    cc.conns_per_node = 1;
    cc.pipeline_depth = 1000;
    cl = aero_client_new(c, &cc, &e);
    for (uint32_t i = 0; i < 1000; i++) {
        make_cmd(&t[i], 0x01000000u + i * 7919u, &p);
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    ASSERT_EQ_INT(aero_client_inflight(cl), 1000);
    wait_all(cl, t, 1000, 5000);
    for (uint32_t i = 0; i < 1000; i++) {
        ASSERT_ST(t[i].st, ST_OK);
        ASSERT_EQ_U64(t[i].cmd.generation, 0x01000000u + i * 7919u);   /* its own reply */
        ASSERT_EQ_INT(t[i].cmd.attempts, 1);
        ASSERT_EQ_INT(t[i].calls, 1);
    }
    /* one connection carried all of them, replies in submit order */
    for (uint32_t i = 1; i < 1000; i++)
        ASSERT_CMP_INT(t[i].cmd.void_time, >, t[i - 1].cmd.void_time);
    ASSERT_EQ_INT(atomic_load(&f->n_accepted) - 1, 1);    /* minus the node's info socket */
    ASSERT_EQ_INT(aero_client_inflight(cl), 0);
    for (int i = 0; i < 1000; i++)
        aero_cmd_free(&t[i].cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(pipeline_depth_limits_and_queues)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client_config cc;
    struct aero_client *cl;
    static struct tcmd t[300];
    struct aero_policy p = {2000, 5000, 0, 0};

    aero_client_config_init(&cc);
    cc.conns_per_node = 2;
    cc.pipeline_depth = 4;
    cl = aero_client_new(c, &cc, &e);
    for (uint32_t i = 0; i < 300; i++) {
        make_cmd(&t[i], i + 1, &p);
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    wait_all(cl, t, 300, 5000);
    for (int i = 0; i < 300; i++)
        ASSERT_ST(t[i].st, ST_OK);
    ASSERT_CMP_INT(node_info(c, "A1").conns_opened, <=, 2);
    for (int i = 0; i < 300; i++)
        aero_cmd_free(&t[i].cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* ---------- server result codes and retries ---------- */

TEST(retriable_server_codes_are_retried)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {1000, 5000, 3, 0};
    const struct action s1[] = {{A_RC, 11}, {A_RC, 9}, {A_RC, 18}};

    fake_script(f, s1, 3);
    make_cmd(&t, 42, &p);
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_OK);
    ASSERT_EQ_INT(t.cmd.attempts, 4);
    ASSERT_EQ_INT(t.cmd.result_code, 0);
    ASSERT_EQ_U64(node_info(c, "A1").retries, 3);

    /* retries exhausted: the last server code is the result */
    fake_script(f, s1, 3);
    t.cmd.max_retries = 1;
    t.calls = 0;
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_TIMEOUT);          /* 9 = server-side timeout */
    ASSERT_EQ_INT(t.rc, 9);
    ASSERT_EQ_INT(t.cmd.result_code, 9);
    ASSERT_EQ_INT(t.cmd.attempts, 2);
    ASSERT_CONTAINS(t.msg, "ERR_TIMEOUT (9)");
    ASSERT_FALSE(t.cmd.in_doubt);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(record_errors_are_not_retried)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {1000, 5000, 5, 0};
    const int codes[] = {13, 21, 5, 2, 3, 4, 20, 22};

    for (size_t i = 0; i < ARRAY_LEN(codes); i++) {
        struct action a = {A_RC, codes[i]};
        fake_script(f, &a, 1);
        make_cmd(&t, 7, &p);
        ASSERT_OK(aero_submit(cl, &t.cmd, &e));
        wait_all(cl, &t, 1, 3000);
        ASSERT_EQ_INT(t.rc, codes[i]);
        ASSERT_EQ_INT(t.cmd.attempts, 1);
        ASSERT_ST(t.st, aero_rc_status(codes[i]));
    }
    {
        struct action a = {A_RC, 13};
        fake_script(f, &a, 1);
        make_cmd(&t, 7, &p);
        ASSERT_OK(aero_submit(cl, &t.cmd, &e));
        wait_all(cl, &t, 1, 3000);
        ASSERT_ST(t.st, ST_TOO_BIG);
        ASSERT_CONTAINS(t.msg, "ERR_RECORD_TOO_BIG (13): record too big");
        char where[40];
        snprintf(where, sizeof(where), "127.0.0.1:%u", f->port);
        ASSERT_CONTAINS(t.msg, where);
    }
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(key_busy_backs_off_then_succeeds)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {1000, 5000, 5, 0};
    const struct action s[] = {{A_RC, 14}, {A_RC, 14}, {A_RC, 14}};
    uint64_t t0;

    fake_script(f, s, 3);
    make_cmd(&t, 9, &p);
    t0 = clock_mono_ms();
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_OK);
    ASSERT_EQ_INT(t.cmd.attempts, 4);
    ASSERT_CMP_INT(clock_mono_ms() - t0, >=, 5 + 10 + 20);   /* 5, 10, 20 ms back-off */
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(total_timeout_bounds_retries)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {1000, 300, 100000, 20};
    static struct action s[FAKE_SCRIPT];
    uint64_t t0, took;

    for (int i = 0; i < FAKE_SCRIPT; i++)
        s[i] = (struct action){A_RC, 11};
    fake_script(f, s, FAKE_SCRIPT);
    make_cmd(&t, 9, &p);
    t0 = clock_mono_ms();
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    took = clock_mono_ms() - t0;
    ASSERT_ST(t.st, ST_UNAVAILABLE);
    ASSERT_EQ_INT(t.rc, 11);
    ASSERT_CMP_INT(took, >=, 250);
    ASSERT_CMP_INT(took, <, 1000 * test_timeout_scale());
    ASSERT_CMP_INT(t.cmd.attempts, >=, 5);
    ASSERT_CMP_INT(t.cmd.attempts, <=, 16);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* ---------- timeouts and broken connections ---------- */

TEST(socket_timeout_closes_connection_then_retry_succeeds)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {100, 3000, 1, 0};
    const struct action s[] = {{A_STALL, 0}};
    uint64_t t0;

    fake_script(f, s, 1);
    make_cmd(&t, 5, &p);
    t0 = clock_mono_ms();
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_OK);
    ASSERT_EQ_INT(t.cmd.attempts, 2);
    ASSERT_CMP_INT(clock_mono_ms() - t0, >=, 100);
    ASSERT_EQ_U64(node_info(c, "A1").timeouts, 1);
    ASSERT_EQ_U64(node_info(c, "A1").conns_opened, 2);   /* the stalled one was closed */
    ASSERT_EQ_INT(node_info(c, "A1").conns_open, 1);
    ASSERT_FALSE(t.cmd.in_doubt);

    /* no retry left: timeout, and the write is in doubt */
    fake_script(f, s, 1);
    t.cmd.max_retries = 0;
    t.calls = 0;
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_TIMEOUT);
    ASSERT_EQ_INT(t.rc, 0);
    ASSERT_TRUE(t.cmd.in_doubt);
    ASSERT_CONTAINS(t.msg, "timed out after 1 attempt(s)");
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* Run one command to the end; returns the data requests the fake received meanwhile. */
static unsigned run_one(struct fake *f, struct aero_client *cl, struct tcmd *t, uint32_t id,
                        const struct aero_policy *p)
{
    struct err e = {0};
    unsigned before = atomic_load(&f->n_data);

    make_cmd(t, id, p);
    ASSERT_OK(aero_submit(cl, &t->cmd, &e));
    wait_all(cl, t, 1, 3000);
    return atomic_load(&f->n_data) - before;
}

/* Circuit breaker (wire doc §11.2): more than max_error_rate counted errors in the window and
 * the node's commands are refused locally (-14, retriable) until the next tend ends the
 * window. Record errors do not count; timeouts and DEVICE_OVERLOAD do. */
TEST(circuit_breaker_refuses_a_failing_node_until_the_window_ends)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on_rate(f, 0, 3, &e)   /* each aero_cluster_tend ends the window */;
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    const struct aero_policy p = {100, 3000, 0, 0};
    const struct action record_errors[] = {{A_RC, 13}, {A_RC, 13}, {A_RC, 13}, {A_RC, 13}, {A_RC, 13}};
    const struct action failing[] = {{A_RC, 18}, {A_STALL, 0}, {A_RC, 18}, {A_RC, 18}};

    /* five record errors: not the node's fault, nothing counted */
    fake_script(f, record_errors, 5);
    for (uint32_t i = 0; i < 5; i++) {
        ASSERT_EQ_INT(run_one(f, cl, &t, 100 + i, &p), 1);
        ASSERT_EQ_INT(t.rc, 13);
    }
    ASSERT_EQ_INT(node_info(c, "A1").error_rate, 0);

    /* DEVICE_OVERLOAD, a timeout, two more DEVICE_OVERLOAD: 4 > 3 */
    fake_script(f, failing, 4);
    for (uint32_t i = 0; i < 4; i++) {
        ASSERT_EQ_INT(run_one(f, cl, &t, 200 + i, &p), 1);
        ASSERT_ST(t.st, i == 1 ? ST_TIMEOUT : ST_SERVER);
    }
    ASSERT_EQ_INT(node_info(c, "A1").error_rate, 4);
    ASSERT_EQ_U64(node_info(c, "A1").refused, 0);

    /* refused without being sent, with a message that says why */
    ASSERT_EQ_INT(run_one(f, cl, &t, 300, &p), 0);
    ASSERT_EQ_INT(t.rc, AERO_RC_MAX_ERROR_RATE);
    ASSERT_EQ_INT(aero_rc_class(t.rc), CLASS_RETRIABLE);
    ASSERT_CONTAINS(t.msg, "MAX_ERROR_RATE (-14): not sent");
    ASSERT_CONTAINS(t.msg, "more than 3 errors");
    ASSERT_FALSE(t.cmd.in_doubt);
    ASSERT_EQ_U64(node_info(c, "A1").refused, 1);

    /* retries of a refused write stay on the node and are refused too */
    {
        const struct aero_policy p2 = {100, 3000, 2, 0};
        ASSERT_EQ_INT(run_one(f, cl, &t, 301, &p2), 0);
        ASSERT_EQ_INT(t.rc, AERO_RC_MAX_ERROR_RATE);
        ASSERT_EQ_INT(t.cmd.attempts, 3);
        ASSERT_EQ_U64(node_info(c, "A1").refused, 4);
    }

    /* the next tend ends the window: commands flow again */
    ASSERT_OK(aero_cluster_tend(c, &e));
    ASSERT_EQ_INT(node_info(c, "A1").error_rate, 0);
    ASSERT_EQ_INT(run_one(f, cl, &t, 400, &p), 1);
    ASSERT_ST(t.st, ST_OK);
    ASSERT_EQ_U64(node_info(c, "A1").refused, 4);

    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(circuit_breaker_off_with_max_error_rate_0)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on_rate(f, 0, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    const struct aero_policy p = {1000, 3000, 0, 0};
    struct action overload[20];

    for (int i = 0; i < 20; i++)
        overload[i] = (struct action){A_RC, 18};
    fake_script(f, overload, 20);
    for (uint32_t i = 0; i < 20; i++)
        ASSERT_EQ_INT(run_one(f, cl, &t, 500 + i, &p), 1);
    ASSERT_EQ_INT(run_one(f, cl, &t, 600, &p), 1);
    ASSERT_ST(t.st, ST_OK);
    ASSERT_EQ_INT(node_info(c, "A1").error_rate, 0);
    ASSERT_EQ_U64(node_info(c, "A1").refused, 0);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* A caller busy elsewhere for longer than the timeout: the replies that arrived meanwhile
 * complete their commands on the next poll; nothing times out, nothing is sent twice. */
TEST(late_poll_completes_answered_commands_instead_of_timing_out)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    static struct tcmd t[50];
    struct aero_policy p = {100, 100, 0, 0};

    for (uint32_t i = 0; i < 50; i++) {
        make_cmd(&t[i], i + 1, &p);
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    /* connect + send, then stop polling before the replies are read */
    bool early = false;
    for (int k = 0; k < 50 && !early && atomic_load(&f->n_data) < 50; k++) {
        aero_client_poll(cl, 0);
        for (int i = 0; i < 50; i++)
            early |= t[i].calls > 0;       /* (rare) read in the same poll: nothing to test */
        sleep_ms(1);
    }
    if (!early) {
        ASSERT_EQ_INT(atomic_load(&f->n_data), 50);
        sleep_ms(300);                    /* replies are in the socket; deadlines passed */
    }
    wait_all(cl, t, 50, 3000);
    for (int i = 0; i < 50; i++) {
        ASSERT_EQ_INT(t[i].calls, 1);
        ASSERT_ST(t[i].st, ST_OK);
    }
    ASSERT_EQ_INT(atomic_load(&f->n_data), 50);   /* nothing sent twice */
    ASSERT_EQ_U64(node_info(c, "A1").timeouts, 0);
    for (int i = 0; i < 50; i++)
        aero_cmd_free(&t[i].cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* The mirror case: a command whose deadline passed before it could be sent (its connection
 * was still connecting and nobody polled) times out unsent, not in doubt, and never reaches
 * the server late. */
TEST(expired_before_sending_times_out_unsent_not_in_doubt)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {100, 100, 0, 0};

    make_cmd(&t, 77, &p);
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));      /* opens the connection; nothing sent yet */
    sleep_ms(300);
    wait_all(cl, &t, 1, 3000);
    ASSERT_EQ_INT(t.calls, 1);
    ASSERT_ST(t.st, ST_TIMEOUT);
    ASSERT_FALSE(t.cmd.in_doubt);
    sleep_ms(100);
    ASSERT_EQ_INT(atomic_load(&f->n_data), 0);
    /* the connection is fine for the next command */
    t.cmd.total_timeout_ms = t.cmd.socket_timeout_ms = 2000;
    t.calls = 0;
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_OK);
    ASSERT_EQ_INT(atomic_load(&f->n_data), 1);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* Timers of many durations (more than the client's FIFO lanes, so some go to its heap) fire
 * in deadline order, each exactly once, none early: one connection of depth 1 is stalled by a
 * long first command, the others time out in the wait queue. */
static int fired_order[16], n_fired;
static uint64_t fired_t0, fired_ms[16];

static void timed_cb(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    int i = (int)(load_u32be(cmd->digest) - 1);   /* make_cmd puts id = i + 1 there */
    tcb(cmd, st, e);
    if (i >= 0 && i < 16 && n_fired < 16) {
        fired_ms[i] = clock_mono_ms() - fired_t0;
        fired_order[n_fired++] = i;
    }
}

TEST(timers_of_mixed_durations_fire_in_order_once)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client_config cc;
    struct aero_client *cl;
    static struct tcmd t[16];
    /* interleaved durations; 0 is the stalled holder of the only pipeline slot */
    const uint32_t ms[16] = {8000, 700, 300, 500, 300, 900, 400, 300, 600, 800, 500, 350,
                             450, 300, 550, 650};
    const struct action s[] = {{A_STALL, 0}};

    aero_client_config_init(&cc);
    cc.conns_per_node = 1;
    cc.pipeline_depth = 1;
    cl = aero_client_new(c, &cc, &e);
    fake_script(f, s, 1);
    n_fired = 0;
    fired_t0 = clock_mono_ms();
    for (int i = 0; i < 16; i++) {
        struct aero_policy p = {ms[i], ms[i], 0, 0};
        make_cmd(&t[i], (uint32_t)i + 1, &p);
        t[i].cmd.cb = timed_cb;
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    while (n_fired < 15 && clock_mono_ms() - fired_t0 < 5000 * (uint64_t)test_timeout_scale())
        aero_client_poll(cl, 20);
    ASSERT_EQ_INT(n_fired, 15);
    ASSERT_EQ_INT(t[0].calls, 0);                 /* the stalled one is still waiting */
    for (int k = 0; k < 15; k++) {
        int i = fired_order[k];
        ASSERT_EQ_INT(t[i].calls, 1);
        ASSERT_ST(t[i].st, ST_TIMEOUT);
        ASSERT_CMP_INT(fired_ms[i], >=, ms[i]);       /* never early */
        if (k > 0)
            ASSERT_CMP_INT(ms[fired_order[k - 1]], <=, ms[i]);
    }
    aero_client_free(cl);                         /* cancels the stalled one, once */
    ASSERT_EQ_INT(t[0].calls, 1);
    ASSERT_ST(t[0].st, ST_CANCELLED);
    for (int i = 0; i < 16; i++)
        aero_cmd_free(&t[i].cmd);
    aero_cluster_free(c);
    fake_stop(f);
}

/* 60 commands pipelined on one connection; the server answers 10, then resets it. The 50
 * others are retried on a new connection; each callback runs once. */
static void broken_pipeline(enum act how, enum status single_fail)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client_config cc;
    struct aero_client *cl;
    static struct tcmd t[60];
    struct aero_policy p = {2000, 5000, 1, 0};
    struct action s[11];

    aero_client_config_init(&cc);
    cc.conns_per_node = 1;
    cc.pipeline_depth = 100;
    cl = aero_client_new(c, &cc, &e);
    for (int i = 0; i < 10; i++)
        s[i] = (struct action){A_OK, 0};
    s[10] = (struct action){how, 0};
    fake_script(f, s, 11);
    for (uint32_t i = 0; i < 60; i++) {
        make_cmd(&t[i], 1000 + i, &p);
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    wait_all(cl, t, 60, 5000);
    for (int i = 0; i < 60; i++) {
        ASSERT_ST(t[i].st, ST_OK);
        ASSERT_EQ_INT(t[i].calls, 1);
        ASSERT_EQ_U64(t[i].cmd.generation, 1000 + (uint32_t)i);
    }
    for (int i = 0; i < 10; i++)
        ASSERT_EQ_INT(t[i].cmd.attempts, 1);
    for (int i = 10; i < 60; i++)
        ASSERT_EQ_INT(t[i].cmd.attempts, 2);
    ASSERT_CMP_INT(node_info(c, "A1").errors, >=, 1);

    /* without retries the broken pipeline fails those commands, with the right status */
    fake_script(f, s, 11);
    for (uint32_t i = 0; i < 60; i++) {
        make_cmd(&t[i], 2000 + i, &p);
        t[i].cmd.max_retries = 0;
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    wait_all(cl, t, 60, 5000);
    for (int i = 0; i < 10; i++)
        ASSERT_ST(t[i].st, ST_OK);
    ASSERT_ST(t[10].st, single_fail);
    for (int i = 10; i < 60; i++) {
        ASSERT_EQ_INT(t[i].calls, 1);
        ASSERT_TRUE(t[i].st != ST_OK);
        ASSERT_TRUE(t[i].cmd.in_doubt);
    }
    for (int i = 0; i < 60; i++)
        aero_cmd_free(&t[i].cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

static uint32_t conns_open(struct aero_cluster *c)
{
    struct aero_node_info info[4];
    return aero_cluster_nodes(c, info, 4) == 1 ? info[0].conns_open : 999;
}

/* A connection with nothing in flight for max_socket_idle_ms is closed by a later poll; the
 * next command opens a new one. With 0 connections stay. */
TEST(idle_connections_close_after_max_socket_idle)
{
    struct fake *f = fake_start("A1");
    struct aero_cluster_config cfg;
    struct aero_client_config cc;
    struct aero_policy p = {2000, 5000, 0, 0};
    static struct tcmd t[20];
    struct err e = {0};
    char seed[64];

    for (int keep = 0; keep < 2; keep++) {
        aero_cluster_config_init(&cfg);
        cfg.tend_interval_ms = 0;
        cfg.max_socket_idle_ms = keep ? 0 : 600;
        snprintf(seed, sizeof(seed), "127.0.0.1:%u", f->port);
        ASSERT_OK(aero_cluster_config_seeds(&cfg, seed, &e));
        struct aero_cluster *c = aero_cluster_new(&cfg, &e);
        ASSERT_TRUE(c != NULL);
        aero_client_config_init(&cc);
        cc.conns_per_node = 1;
        struct aero_client *cl = aero_client_new(c, &cc, &e);
        for (uint32_t i = 0; i < 10; i++) {
            make_cmd(&t[i], i + 1, &p);
            ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
        }
        wait_all(cl, t, 10, 5000);
        ASSERT_EQ_INT(conns_open(c), 1);
        aero_client_poll(cl, 100);                 /* well inside the idle time: kept */
        ASSERT_EQ_INT(conns_open(c), 1);
        uint64_t end = clock_mono_ms() + 1500;     /* 2.5 x the idle time */
        while (clock_mono_ms() < end && conns_open(c) == 1)
            aero_client_poll(cl, 50);
        ASSERT_EQ_INT(conns_open(c), keep ? 1 : 0);
        for (uint32_t i = 10; i < 20; i++) {       /* works again, on a new connection */
            make_cmd(&t[i], i + 1, &p);
            ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
        }
        wait_all(cl, t + 10, 10, 5000);
        for (int i = 0; i < 20; i++) {
            ASSERT_ST(t[i].st, ST_OK);
            ASSERT_EQ_INT(t[i].cmd.attempts, 1);
            memset(&t[i].calls, 0, sizeof(t[i]) - offsetof(struct tcmd, calls));
            aero_cmd_free(&t[i].cmd);
        }
        struct aero_node_info info[1];
        ASSERT_EQ_INT(aero_cluster_nodes(c, info, 1), 1);
        ASSERT_EQ_U64(info[0].conns_opened, keep ? 1 : 2);
        aero_client_free(cl);
        aero_cluster_free(c);
    }
    fake_stop(f);
}

TEST(connection_reset_mid_pipeline)
{
    broken_pipeline(A_RESET, ST_IO);
}

TEST(server_closes_mid_pipeline)
{
    broken_pipeline(A_CLOSE, ST_IO);
}

TEST(wrong_framing_fails_connection)
{
    broken_pipeline(A_GARBAGE, ST_PROTO);
}

TEST(read_moves_to_replica_after_timeout)
{
    struct fake *a, *b;
    struct err e = {0};
    struct aero_cluster *c;
    struct aero_client *cl;
    struct tcmd t = {0};
    struct aero_policy p = {150, 3000, 1, 0};
    const struct action s[] = {{A_STALL, 0}};
    uint32_t id = 0x02000000;                  /* pid 2: A masters, B is replica */

    two_nodes(&a, &b);
    c = cluster_on(a, 0, &e);
    cl = aero_client_new(c, NULL, &e);
    ASSERT_EQ_INT(id_pid(id) % 2, 0);
    fake_script(a, s, 1);
    make_cmd(&t, id, &p);
    t.cmd.is_write = false;
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_OK);
    ASSERT_EQ_INT(atomic_load(&a->n_data), 1);
    ASSERT_EQ_INT(atomic_load(&b->n_data), 1);

    /* a write retries the same node after a timeout */
    fake_script(a, s, 1);
    make_cmd(&t, id, &p);
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_OK);
    ASSERT_EQ_INT(atomic_load(&a->n_data), 3);
    ASSERT_EQ_INT(atomic_load(&b->n_data), 1);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(a);
    fake_stop(b);
}

TEST(dead_node_connect_errors_retry_on_replica)
{
    struct fake *a, *b;
    struct err e = {0};
    struct aero_cluster *c;
    struct aero_client *cl;
    static struct tcmd t[50];
    struct aero_policy p = {500, 5000, 2, 0};

    two_nodes(&a, &b);
    c = cluster_on(a, 0, &e);
    cl = aero_client_new(c, NULL, &e);
    fake_stop(b);                              /* B's port now refuses */
    for (uint32_t i = 0; i < 50; i++) {
        make_cmd(&t[i], 0x01000000u * (2 * i + 1), &p);     /* odd pids: B masters them */
        ASSERT_EQ_INT(id_pid(0x01000000u * (2 * i + 1)) % 2, 1);
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    wait_all(cl, t, 50, 5000);
    for (int i = 0; i < 50; i++) {
        ASSERT_ST(t[i].st, ST_OK);
        ASSERT_EQ_INT(t[i].cmd.attempts, 2);
    }
    ASSERT_EQ_INT(atomic_load(&a->n_data), 50);
    ASSERT_CMP_INT(node_info(c, "B2").errors, >=, 50);
    for (int i = 0; i < 50; i++)
        aero_cmd_free(&t[i].cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(a);
}

TEST(unknown_namespace_fails_with_20_without_sending)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {100, 1000, 3, 0};

    make_cmd(&t, 1, &p);
    snprintf(t.cmd.ns, sizeof(t.cmd.ns), "nope");
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, aero_rc_status(AERO_RC_ERR_NAMESPACE));
    ASSERT_EQ_INT(t.rc, 20);
    ASSERT_EQ_INT(t.cmd.result_code, 20);
    ASSERT_EQ_INT(t.cmd.attempts, 0);
    ASSERT_CONTAINS(t.msg, "namespace nope: ERR_NAMESPACE (20)");
    ASSERT_EQ_INT(atomic_load(&f->n_data), 0);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* A namespace whose partitions nobody owns (e.g. during a restart) is retried until the
 * deadline, then fails as unavailable. */
TEST(unowned_partition_retried_then_unavailable)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c;
    struct aero_client *cl;
    struct tcmd t = {0};
    struct aero_policy p = {100, 300, 50, 0};

    fake_set_replicas(f, 0x00, 0, 1);
    c = cluster_on(f, 0, &e);
    cl = aero_client_new(c, NULL, &e);
    make_cmd(&t, 1, &p);
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    ASSERT_ST(t.st, ST_UNAVAILABLE);
    ASSERT_CONTAINS(t.msg, "namespace test partition");
    ASSERT_CMP_INT(t.cmd.attempts, >=, 2);
    ASSERT_EQ_INT(atomic_load(&f->n_data), 0);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* ---------- callbacks, cancellation, usage ---------- */

static int resubmits;
static void resubmit_cb(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    struct tcmd *t = cmd->ctx;
    (void)e;
    t->st = st;
    if (++resubmits < 100) {
        if (aero_submit(cmd->priv.cl, cmd, NULL) != ST_OK)
            TEST_FAIL("resubmit from the callback refused");
        return;
    }
    t->calls++;
}

TEST(callback_may_resubmit_same_command)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {1000, 3000, 0, 0};

    make_cmd(&t, 3, &p);
    t.cmd.cb = resubmit_cb;
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 5000);
    ASSERT_EQ_INT(resubmits, 100);
    ASSERT_EQ_INT(atomic_load(&f->n_data), 100);
    ASSERT_ST(t.st, ST_OK);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(free_cancels_every_command_once)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client_config cc;
    struct aero_client *cl;
    static struct tcmd t[40];
    struct aero_policy p = {0, 0, 0, 0};
    struct aero_policy sleepy = {10, 100000, 10, 60000};
    const struct action s[] = {{A_STALL, 0}};

    aero_client_config_init(&cc);
    cc.conns_per_node = 1;
    cc.pipeline_depth = 10;                    /* 10 on the wire, the rest waiting */
    cl = aero_client_new(c, &cc, &e);
    fake_script(f, s, 1);
    for (uint32_t i = 0; i < 40; i++) {
        make_cmd(&t[i], 100 + i, i < 35 ? &p : &sleepy);
        ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
    }
    for (int i = 0; i < 10; i++)
        aero_client_poll(cl, 20);              /* sleepy ones time out and sleep 60 s */
    for (int i = 0; i < 40; i++)
        ASSERT_EQ_INT(t[i].calls, 0);
    aero_client_free(cl);
    for (int i = 0; i < 40; i++) {
        ASSERT_EQ_INT(t[i].calls, 1);
        ASSERT_ST(t[i].st, ST_CANCELLED);
        ASSERT_CONTAINS(t[i].msg, "cancelled");
        aero_cmd_free(&t[i].cmd);
    }
    aero_cluster_free(c);
    fake_stop(f);
}

TEST(submit_refuses_bad_commands_without_callback)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_policy p = {1000, 3000, 0, 0};

    make_cmd(&t, 1, &p);
    t.cmd.cb = NULL;
    ASSERT_ST(aero_submit(cl, &t.cmd, &e), ST_USAGE);
    make_cmd(&t, 1, &p);
    t.cmd.req.len -= 1;                        /* frame size no longer matches */
    ASSERT_ST(aero_submit(cl, &t.cmd, &e), ST_USAGE);
    make_cmd(&t, 1, &p);
    t.cmd.ns[0] = '\0';
    ASSERT_ST(aero_submit(cl, &t.cmd, &e), ST_USAGE);
    make_cmd(&t, 1, &p);
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    ASSERT_ST(aero_submit(cl, &t.cmd, &e), ST_USAGE);   /* still in flight */
    ASSERT_CONTAINS(e.msg, "already in flight");
    wait_all(cl, &t, 1, 3000);
    ASSERT_EQ_INT(t.calls, 1);
    aero_client_poll(cl, 10);
    ASSERT_EQ_INT(t.calls, 1);
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

static void *waker(void *arg)
{
    sleep_ms(100);
    aero_client_wake(arg);
    return NULL;
}

static int watched;
static void on_watch(void *ctx)
{
    char b[8];
    ssize_t r = read(*(int *)ctx, b, sizeof(b));
    (void)r;
    watched++;
}

TEST(wake_and_watch_fd)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    pthread_t th;
    uint64_t t0 = clock_mono_ms();
    int pfd[2];

    pthread_create(&th, NULL, waker, cl);
    aero_client_poll(cl, 5000);
    ASSERT_CMP_INT(clock_mono_ms() - t0, <, 2000);
    pthread_join(th, NULL);

    ASSERT_EQ_INT(pipe(pfd), 0);
    ASSERT_OK(aero_client_watch_fd(cl, pfd[0], on_watch, &pfd[0], &e));
    ASSERT_EQ_INT(write(pfd[1], "x", 1), 1);
    aero_client_poll(cl, 1000);
    ASSERT_EQ_INT(watched, 1);
    aero_client_unwatch_fd(cl, pfd[0]);
    ASSERT_EQ_INT(write(pfd[1], "x", 1), 1);
    aero_client_poll(cl, 50);
    ASSERT_EQ_INT(watched, 1);
    close(pfd[0]);
    close(pfd[1]);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* ---------- batch ---------- */

TEST(batch_read_split_by_node_and_merged)
{
    struct fake *a, *b;
    struct err e = {0};
    struct aero_cluster *c;
    struct aero_client *cl;
    struct aero_key keys[20];
    struct aero_record recs[20] = {0};

    two_nodes(&a, &b);
    c = cluster_on(a, 0, &e);
    cl = aero_client_new(c, NULL, &e);
    for (int i = 0; i < 20; i++) {
        memset(&keys[i], 0, sizeof(keys[i]));
        keys[i].ns = "test";
        keys[i].set = i % 3 ? "demo" : "other";
        store_u32be(keys[i].digest, ((uint32_t)i << 24) | 0x00ABCD00u | (uint32_t)i);
        if (i == 7)
            keys[i].digest[19] = 0xEE;         /* the fake says "not found" */
    }
    ASSERT_OK_E(aero_batch_read(cl, NULL, keys, 20, NULL, 0, recs, &e), &e);
    ASSERT_EQ_INT(atomic_load(&a->n_batch), 1);
    ASSERT_EQ_INT(atomic_load(&b->n_batch), 1);
    for (int i = 0; i < 20; i++) {
        ASSERT_EQ_INT(recs[i].result_code, i == 7 ? 2 : 0);
        ASSERT_EQ_U64(recs[i].generation, load_u32be(keys[i].digest));
        aero_record_free(&recs[i]);
    }
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(a);
    fake_stop(b);
}

/* ---------- allocation ---------- */

TEST(steady_state_submit_allocates_nothing)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    static struct tcmd t[256];
    struct aero_policy p = {2000, 5000, 1, 0};
    uint64_t before = 0;

    for (uint32_t i = 0; i < 256; i++)
        make_cmd(&t[i], i * 16777259u, &p);
    for (int round = 0; round < 40; round++) {
        if (round == 10)
            before = mem_alloc_count();
        for (int i = 0; i < 256; i++) {
            t[i].calls = 0;
            ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
        }
        wait_all(cl, t, 256, 5000);
        for (int i = 0; i < 256; i++)
            ASSERT_ST(t[i].st, ST_OK);
    }
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);    /* 7680 commands */
    for (int i = 0; i < 256; i++)
        aero_cmd_free(&t[i].cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

/* The tend thread ticks every 20 ms meanwhile: tending allocates nothing either. */
TEST(steady_state_with_tend_thread_allocates_nothing)
{
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 20, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    static struct tcmd t[64];
    struct aero_policy p = {2000, 5000, 1, 0};
    uint64_t before = 0, t_end = 0;
    unsigned info0 = 0;

    for (uint32_t i = 0; i < 64; i++)
        make_cmd(&t[i], i * 16777259u, &p);
    for (int round = 0;; round++) {
        if (round == 10) {
            sleep_ms(100);                     /* let a few tend passes warm up too */
            before = mem_alloc_count();
            info0 = atomic_load(&f->n_info);
            t_end = clock_mono_ms() + 300;
        }
        if (round > 10 && clock_mono_ms() > t_end)
            break;
        for (int i = 0; i < 64; i++) {
            t[i].calls = 0;
            ASSERT_OK(aero_submit(cl, &t[i].cmd, &e));
        }
        wait_all(cl, t, 64, 5000);
    }
    ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    ASSERT_CMP_INT(atomic_load(&f->n_info) - info0, >=, 5);   /* the tend thread did run */
    for (int i = 0; i < 64; i++)
        aero_cmd_free(&t[i].cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

static void last_request(struct fake *f, uint8_t *out, size_t *len)
{
    pthread_mutex_lock(&f->mu);
    memcpy(out, f->last_req, f->last_len);
    *len = f->last_len;
    pthread_mutex_unlock(&f->mu);
}

/* What leaves the socket equals the official client's bytes (wire doc §13.1, §13.3). */
TEST(requests_match_captured_official_client_bytes)
{
    static uint8_t got[4096];
    size_t got_len = 0;
    struct fake *f = fake_start("A1");
    struct err e = {0};
    struct aero_cluster *c = cluster_on(f, 0, &e);
    struct aero_client *cl = aero_client_new(c, NULL, &e);
    struct tcmd t = {0};
    struct aero_write_policy wp;
    struct aero_key k;
    struct aero_key_value kv = {AERO_PT_STRING, 0, (const uint8_t *)"key1", 4};
    struct aero_msg m;
    const char *put =
        "02 03 00 00 00 00 00 67 16 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 03 e8 00 04 00 02"
        "00 00 00 05 00 74 65 73 74 00 00 00 05 01 64 65 6d 6f"
        "00 00 00 15 04 ec 91 19 2d 4b 7f 8c e3 5d 5d 78 d3 4b ca 65 cb aa aa c9 60"
        "00 00 00 06 02 03 6b 65 79 31"
        "00 00 00 0d 02 01 00 01 61 00 00 00 00 00 00 00 01 00 00 00 07 02 03 00 01 62 68 69";

    ASSERT_OK(aero_key_init(&k, "test", "demo", &kv, &e));
    ASSERT_EQ_MEM(k.digest, HEX("ec91192d4b7f8ce35d5d78d34bca65cbaaaac960"), 20);
    aero_write_policy_init(&wp);                 /* socket 30000, total 1000 -> ttl 1000 ms */
    wp.send_key = true;
    aero_write_begin(&m, &t.cmd.req, &wp, &k, 0, 0);
    aero_msg_op_int(&m, AERO_OP_WRITE, "a", 1, 1);
    aero_msg_op(&m, AERO_OP_WRITE, AERO_PT_STRING, "b", 1, "hi", 2);
    ASSERT_OK(aero_msg_end(&m, &e));
    aero_cmd_route(&t.cmd, "test", k.digest, true);
    aero_cmd_policy(&t.cmd, &wp.base);
    t.cmd.cb = tcb;
    t.cmd.ctx = &t;
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    last_request(f, got, &got_len);
    ASSERT_EQ_INT(got_len, HEX_LEN(put));
    ASSERT_EQ_MEM(got, HEX(put), HEX_LEN(put));

    /* UPDATE_ONLY + gen == 3 + commit-master + durable delete, TTL -1, socket 500 < total 2500 */
    aero_write_policy_init(&wp);
    wp.exists = AERO_EXISTS_UPDATE_ONLY;
    wp.gen_policy = AERO_GEN_EQ;
    wp.generation = 3;
    wp.commit_level = AERO_COMMIT_MASTER;
    wp.durable_delete = true;
    wp.ttl = AERO_TTL_NEVER_EXPIRE;
    wp.base.socket_timeout_ms = 500;
    wp.base.total_timeout_ms = 2500;
    buf_reset(&t.cmd.req);
    aero_write_begin(&m, &t.cmd.req, &wp, &k, 0, 0);
    aero_msg_op_int(&m, AERO_OP_WRITE, "a", 1, 1);
    ASSERT_OK(aero_msg_end(&m, &e));
    aero_cmd_policy(&t.cmd, &wp.base);
    t.calls = 0;
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    last_request(f, got, &got_len);
    ASSERT_EQ_MEM(got + 8, HEX("16 00 15 0a 00 00 00000003 ffffffff 000001f4"), 18);

    /* CREATE_ONLY with TTL "don't update" */
    aero_write_policy_init(&wp);
    wp.exists = AERO_EXISTS_CREATE_ONLY;
    wp.ttl = AERO_TTL_DONT_UPDATE;
    buf_reset(&t.cmd.req);
    aero_write_begin(&m, &t.cmd.req, &wp, &k, 0, 0);
    aero_msg_op_int(&m, AERO_OP_WRITE, "a", 1, 1);
    ASSERT_OK(aero_msg_end(&m, &e));
    aero_cmd_policy(&t.cmd, &wp.base);
    t.calls = 0;
    ASSERT_OK(aero_submit(cl, &t.cmd, &e));
    wait_all(cl, &t, 1, 3000);
    last_request(f, got, &got_len);
    ASSERT_EQ_MEM(got + 8, HEX("16 00 21 00 00 00 00000000 fffffffe 000003e8"), 18);

    /* the other exists actions' bits (wire doc §2.3) */
    {
        uint8_t i2, i3;
        wp.exists = AERO_EXISTS_REPLACE;
        aero_write_policy_bits(&wp, &i2, &i3);
        ASSERT_EQ_INT(i3, AERO_INFO3_CREATE_OR_REPLACE);
        wp.exists = AERO_EXISTS_REPLACE_ONLY;
        wp.gen_policy = AERO_GEN_GT;
        aero_write_policy_bits(&wp, &i2, &i3);
        ASSERT_EQ_INT(i3, AERO_INFO3_REPLACE_ONLY);
        ASSERT_EQ_INT(i2, AERO_INFO2_GENERATION_GT);
    }
    aero_cmd_free(&t.cmd);
    aero_client_free(cl);
    aero_cluster_free(c);
    fake_stop(f);
}

TEST_LIST = {
    T(bootstrap_single_node),
    T(bootstrap_rejects_uninitialised_node),
    T(bootstrap_rejects_other_cluster_name),
    T(bootstrap_no_seed_answers_names_each),
    T(security_config_checked_before_connecting),
    T(peers_discovered_and_keys_routed_to_master),
    T(tend_adds_new_peer_and_follows_partition_moves),
    T(tend_removes_node_after_failures_only_when_others_answer),
    T(a_node_failing_after_its_health_check_is_reported_down_before_it_leaves),
    T(tend_thread_runs_by_itself),
    T(pipelined_replies_matched_in_order),
    T(pipeline_depth_limits_and_queues),
    T(retriable_server_codes_are_retried),
    T(record_errors_are_not_retried),
    T(key_busy_backs_off_then_succeeds),
    T(total_timeout_bounds_retries),
    T(socket_timeout_closes_connection_then_retry_succeeds),
    T(timers_of_mixed_durations_fire_in_order_once),
    T(circuit_breaker_refuses_a_failing_node_until_the_window_ends),
    T(circuit_breaker_off_with_max_error_rate_0),
    T(late_poll_completes_answered_commands_instead_of_timing_out),
    T(expired_before_sending_times_out_unsent_not_in_doubt),
    T(idle_connections_close_after_max_socket_idle),
    T(connection_reset_mid_pipeline),
    T(server_closes_mid_pipeline),
    T(wrong_framing_fails_connection),
    T(read_moves_to_replica_after_timeout),
    T(dead_node_connect_errors_retry_on_replica),
    T(unknown_namespace_fails_with_20_without_sending),
    T(unowned_partition_retried_then_unavailable),
    T(callback_may_resubmit_same_command),
    T(free_cancels_every_command_once),
    T(submit_refuses_bad_commands_without_callback),
    T(wake_and_watch_fd),
    T(batch_read_split_by_node_and_merged),
    T(requests_match_captured_official_client_bytes),
    T(steady_state_submit_allocates_nothing),
    T(steady_state_with_tend_thread_allocates_nothing),
    {0},
};
