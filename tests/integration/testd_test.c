/* tests/integration/testd_test.c: aerospike-testd against the wire doc, in raw bytes.
 * Every test starts its own server (tu_aerospike_start; $AEROSPIKE_HOSTS runs the portable
 * ones against a real server and skips the fake-only levers), speaks the protocol over plain
 * sockets and checks replies byte for byte where the doc has worked examples (§13). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "../harness.h"
#include "../../src/aerospike/aero.h"
#include "../support/testutil.h"

#define DEMO_DIGEST "ec91192d4b7f8ce35d5d78d34bca65cbaaaac960"

/* ---------------------------------------------------------------- sockets */
static int tconnect_port(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct timeval tv = {10, 0};

    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int host_port(const char *hosts, int i)
{
    const char *p = hosts;
    for (; i > 0 && p; i--) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    if (!p)
        TEST_FAIL("no host %d in %s", i, hosts);
    return atoi(strchr(p, ':') + 1);
}

static int tconnect(const char *hosts)
{
    int fd = tconnect_port(host_port(hosts, 0));
    if (fd < 0)
        TEST_FAIL("connect %s: %s", hosts, strerror(errno));
    return fd;
}

static void tsend(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t w = send(fd, q, n, MSG_NOSIGNAL);
        if (w <= 0)
            TEST_FAIL("send: %s", strerror(errno));
        q += w;
        n -= (size_t)w;
    }
}

static bool read_full(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* One complete proto message (header included) into @b; false on EOF/timeout. */
static bool trecv(int fd, struct buf *b)
{
    uint8_t h[8];
    uint64_t n;

    buf_reset(b);
    if (!read_full(fd, h, 8))
        return false;
    n = load_u64be(h) & 0xFFFFFFFFFFFFull;
    buf_append(b, h, 8);
    buf_reserve(b, n);
    if (!read_full(fd, b->p + 8, n))
        return false;
    b->len += n;
    return true;
}

/* True when the server closed the connection (EOF) within 3 s. */
static bool closed_by_peer(int fd)
{
    uint8_t c;
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 3000) <= 0)
        return false;
    return recv(fd, &c, 1, 0) <= 0;
}

/* Info request; returns the reply body (owned by a rotating static buffer). */
static const char *tinfo(int fd, const char *cmds)
{
    static struct buf outs[4];
    static int slot;
    struct buf *b = &outs[slot = (slot + 1) % 4];
    uint8_t h[8];
    size_t n = strlen(cmds);

    store_u64be(h, (2ull << 56) | (1ull << 48) | n);
    tsend(fd, h, 8);
    tsend(fd, cmds, n);
    if (!trecv(fd, b))
        TEST_FAIL("no info reply to %s", cmds);
    ASSERT_EQ_INT(b->p[1], 1);
    memmove(b->p, b->p + 8, b->len - 8);
    b->len -= 8;
    return buf_cstr(b);
}

/* Value of one info command. */
static const char *tinfo1(int fd, const char *cmd)
{
    static char v[8][65536];
    static int slot;
    char req[512];
    const char *r;
    char *o = v[slot = (slot + 1) % 8];
    size_t cl = strlen(cmd);

    snprintf(req, sizeof(req), "%s\n", cmd);
    r = tinfo(fd, req);
    if (strncmp(r, cmd, cl) != 0 || r[cl] != '\t')
        TEST_FAIL("info %s: reply does not echo the command: %s", cmd, r);
    snprintf(o, sizeof(v[0]), "%.*s", (int)(strlen(r + cl + 1) - 1), r + cl + 1);
    return o;
}

/* Numeric value of key=... inside a ;-separated info value. */
static long long kv_num(const char *s, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = s; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL)
        if (strncmp(p, key, kl) == 0 && p[kl] == '=')
            return atoll(p + kl + 1);
    TEST_FAIL("no %s in %s", key, s);
}

/* ---------------------------------------------------------------- messages */
struct rq {
    struct buf b;
    uint16_t nf, no;
};

static void rq_begin(struct rq *r, uint8_t i1, uint8_t i2, uint8_t i3, uint32_t gen, uint32_t ttl)
{
    uint8_t h[30] = {2, 3, 0, 0, 0, 0, 0, 0, 22, i1, i2, i3};
    buf_reset(&r->b);
    r->nf = r->no = 0;
    store_u32be(h + 14, gen);
    store_u32be(h + 18, ttl);
    store_u32be(h + 22, 1000);
    buf_append(&r->b, h, 30);
}

static void rq_field(struct rq *r, uint8_t type, const void *p, size_t n)
{
    buf_put_u32be(&r->b, (uint32_t)n + 1);
    buf_put_u8(&r->b, type);
    buf_append(&r->b, p, n);
    r->nf++;
}

static void rq_key(struct rq *r, const char *ns, const char *set, const uint8_t *digest)
{
    rq_field(r, 0, ns, strlen(ns));
    rq_field(r, 1, set, strlen(set));
    rq_field(r, 4, digest, 20);
}

static void rq_op(struct rq *r, uint8_t op, uint8_t pt, const char *name, const void *v, size_t n)
{
    size_t nl = strlen(name);
    buf_put_u32be(&r->b, (uint32_t)(4 + nl + n));
    buf_put_u8(&r->b, op);
    buf_put_u8(&r->b, pt);
    buf_put_u8(&r->b, 0);
    buf_put_u8(&r->b, (uint8_t)nl);
    buf_append(&r->b, name, nl);
    buf_append(&r->b, v, n);
    r->no++;
}

static void rq_op_int(struct rq *r, uint8_t op, const char *name, int64_t v)
{
    uint8_t b[8];
    store_u64be(b, (uint64_t)v);
    rq_op(r, op, 1, name, b, 8);
}

static void rq_end(struct rq *r)
{
    store_u16be(r->b.p + 26, r->nf);
    store_u16be(r->b.p + 28, r->no);
    store_u64be(r->b.p, (2ull << 56) | (3ull << 48) | (r->b.len - 8));
}

struct rp {
    uint8_t info3, rc;
    uint32_t gen, vt, tt;
    uint16_t nf, no;
    const uint8_t *ops, *end;
};

static void rp_parse_at(const uint8_t *p, size_t n, struct rp *r)
{
    const uint8_t *q;
    ASSERT_TRUE(n >= 22);
    ASSERT_EQ_INT(p[0], 22);
    r->info3 = p[3];
    r->rc = p[5];
    r->gen = load_u32be(p + 6);
    r->vt = load_u32be(p + 10);
    r->tt = load_u32be(p + 14);
    r->nf = load_u16be(p + 18);
    r->no = load_u16be(p + 20);
    q = p + 22;
    for (int i = 0; i < r->nf; i++)
        q += 4 + load_u32be(q);
    r->ops = q;
    for (int i = 0; i < r->no; i++)
        q += 4 + load_u32be(q);
    r->end = q;
    ASSERT_TRUE(q <= p + n);
}

/* Send @r, read one reply, parse it (the whole message must be one AS_MSG). */
static struct rp txn(int fd, struct rq *r, struct buf *reply)
{
    struct rp p;
    rq_end(r);
    tsend(fd, r->b.p, r->b.len);
    if (!trecv(fd, reply))
        TEST_FAIL("no reply");
    ASSERT_EQ_INT(reply->p[0], 2);
    ASSERT_EQ_INT(reply->p[1], 3);
    rp_parse_at(reply->p + 8, reply->len - 8, &p);
    ASSERT_TRUE(p.end == reply->p + reply->len);
    return p;
}

/* Find op #idx of a reply. */
static void rp_op(const struct rp *r, int idx, uint8_t *op, uint8_t *pt, char *name,
                  const uint8_t **v, uint32_t *vn)
{
    const uint8_t *q = r->ops;
    ASSERT_CMP_INT(idx, <, r->no);
    for (int i = 0; i < idx; i++)
        q += 4 + load_u32be(q);
    *op = q[4];
    *pt = q[5];
    memcpy(name, q + 8, q[7]);
    name[q[7]] = 0;
    *v = q + 8 + q[7];
    *vn = load_u32be(q) - 4 - q[7];
}

static int64_t rp_int(const struct rp *r, const char *bin)
{
    for (int i = 0; i < r->no; i++) {
        uint8_t op, pt;
        char name[256];
        const uint8_t *v;
        uint32_t n;
        rp_op(r, i, &op, &pt, name, &v, &n);
        if (strcmp(name, bin) == 0) {
            ASSERT_EQ_INT(pt, 1);
            ASSERT_EQ_INT(n, 8);
            return (int64_t)load_u64be(v);
        }
    }
    TEST_FAIL("no bin %s in reply", bin);
}

/* A digest for test key @i (the server never hashes: any 20 bytes identify a record). */
static const uint8_t *dg(uint32_t i)
{
    static uint8_t d[8][20];
    static int slot;
    uint8_t *o = d[slot = (slot + 1) % 8];
    uint64_t x = 0x9E3779B97F4A7C15ull * (i + 1);
    for (int k = 0; k < 20; k++) {
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ull;
        o[k] = (uint8_t)(x >> 56);
    }
    return o;
}

static struct rp put_int(int fd, const uint8_t *digest, const char *bin, int64_t v, struct buf *reply)
{
    struct rq r = {BUF_INIT, 0, 0};
    struct rp p;
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", digest);
    rq_op_int(&r, 2, bin, v);
    p = txn(fd, &r, reply);
    buf_free(&r.b);
    return p;
}

static struct rp get_all(int fd, const uint8_t *digest, struct buf *reply)
{
    struct rq r = {BUF_INIT, 0, 0};
    struct rp p;
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "t", digest);
    p = txn(fd, &r, reply);
    buf_free(&r.b);
    return p;
}

static struct tu_proc *start(const char *const args[], char *hosts, size_t cap)
{
    return tu_aerospike_start(args, hosts, cap);
}

#define FAKE_ONLY()                                                         \
    do {                                                                    \
        if (tu_aerospike_is_real())                                         \
            TEST_SKIP("needs aerospike-testd (test lever or server option)"); \
    } while (0)

/* ================================================================ tests */

TEST(cli_help_bad_args_busy_port)
{
    const char *help[] = {tu_bin("aerospike-testd"), "--help", NULL};
    const char *bad[] = {tu_bin("aerospike-testd"), "--nodes", "0", NULL};
    const char *ns3[] = {tu_bin("aerospike-testd"), "--namespace", "a", "--namespace", "b",
                         "--namespace", "c", NULL};
    char *out = NULL, hosts[256], portarg[16];
    struct tu_proc *p;

    FAKE_ONLY();
    ASSERT_EQ_INT(tu_run(help, 10000, &out), 0);
    ASSERT_CONTAINS(out, "testd-node:id=");
    ASSERT_CONTAINS(out, "--fail-rate");
    mem_free(out);
    ASSERT_EQ_INT(tu_run(bad, 10000, &out), 2);
    ASSERT_CONTAINS(out, "--nodes");
    mem_free(out);
    ASSERT_EQ_INT(tu_run(ns3, 10000, &out), 2);
    ASSERT_CONTAINS(out, "too many namespaces");
    mem_free(out);
    /* busy port: a second server on the same port exits 2 with one line */
    p = start(NULL, hosts, sizeof(hosts));
    snprintf(portarg, sizeof(portarg), "%d", host_port(hosts, 0));
    const char *busy[] = {tu_bin("aerospike-testd"), "--port", portarg, NULL};
    ASSERT_EQ_INT(tu_run(busy, 10000, &out), 2);
    ASSERT_CONTAINS(out, "cannot listen on 127.0.0.1:");
    mem_free(out);
    /* stops on SIGTERM with exit 0 */
    ASSERT_EQ_INT(tu_proc_stop(p, SIGTERM, 5000), 0);
    ASSERT_TRUE(strncmp(tu_proc_stdout(p), "ready 127.0.0.1:", 16) == 0);
    tu_proc_free(p);
}

/* --prefault-mb: the memory is faulted in before 'ready' and kept; the server serves as usual;
 * a bad value is refused. */
TEST(prefault_memory_is_resident_before_ready)
{
    const char *args[] = {"--prefault-mb", "96", NULL};
    const char *bad[] = {tu_bin("aerospike-testd"), "--prefault-mb", "lots", NULL};
    char hosts[256], path[64], *out = NULL, *status = NULL;
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    const uint8_t *d = dg(72000);
    struct tu_proc *p;
    const char *rss;
    long kb;
    int fd;

    FAKE_ONLY();
    ASSERT_EQ_INT(tu_run(bad, 10000, &out), 2);
    ASSERT_CONTAINS(out, "--prefault-mb");
    mem_free(out);
    p = start(args, hosts, sizeof(hosts));
    snprintf(path, sizeof(path), "/proc/%d/status", (int)tu_proc_pid(p));
    status = tu_read_file(path, NULL);
    ASSERT_TRUE(status != NULL);
    rss = strstr(status, "VmRSS:");
    ASSERT_TRUE(rss != NULL);
    kb = strtol(rss + 6, NULL, 10);
    if (kb < 96 * 1024)
        TEST_FAIL("VmRSS %ld kB after --prefault-mb 96 (want >= %d kB)", kb, 96 * 1024);
    mem_free(status);
    fd = tconnect(hosts);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 3, "s", (const uint8_t *)"warm", 4);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    ASSERT_EQ_INT(get_all(fd, d, &b).rc, 0);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* §13.1 put with send-key and its exact reply; §13.4 reads. */
TEST(doc_13_1_put_and_13_4_reads)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    const char *put = "02 03 00 00 00 00 00 67 16 00 01 00 00 00 00000000 00000000 000003e8 0004 0002"
                      "00 00 00 05 00 74 65 73 74 | 00 00 00 05 01 64 65 6d 6f"
                      "00 00 00 15 04 " DEMO_DIGEST " | 00 00 00 06 02 03 6b 65 79 31"
                      "00 00 00 0d 02 01 00 01 61 00 00 00 00 00 00 00 01"
                      "00 00 00 07 02 03 00 01 62 68 69";
    const char *del = "02 03 00 00 00 00 00 41 16 00 03 00 00 00 00000000 00000000 000003e8 0003 0000"
                      "00 00 00 05 00 74 65 73 74 | 00 00 00 05 01 64 65 6d 6f | 00 00 00 15 04 " DEMO_DIGEST;
    const char *getall = "02 03 00 00 00 00 00 41 16 03 00 00 00 00 00000000 00000000 000003e8 0003 0000"
                         "00 00 00 05 00 74 65 73 74 | 00 00 00 05 01 64 65 6d 6f | 00 00 00 15 04 " DEMO_DIGEST;
    const char *select = "02 03 00 00 00 00 00 53 16 01 00 00 00 00 00000000 00000000 000003e8 0003 0002"
                         "00 00 00 05 00 74 65 73 74 | 00 00 00 05 01 64 65 6d 6f | 00 00 00 15 04 " DEMO_DIGEST
                         "00 00 00 05 01 00 00 01 61 | 00 00 00 05 01 00 00 01 62";
    const char *exists = "02 03 00 00 00 00 00 41 16 21 00 00 00 00 00000000 00000000 000003e8 0003 0000"
                         "00 00 00 05 00 74 65 73 74 | 00 00 00 05 01 64 65 6d 6f | 00 00 00 15 04 " DEMO_DIGEST;

    tsend(fd, HEX(del), HEX_LEN(del));            /* clean slate on a real server */
    ASSERT_TRUE(trecv(fd, &b));
    tsend(fd, HEX(put), HEX_LEN(put));
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_INT(b.len, 30);
    ASSERT_EQ_MEM(b.p, HEX("02 03 00 00 00 00 00 16 | 16 00 00 00 00 00 | 00 00 00 01 | 00 00 00 00 |"
                           "00 00 00 00 | 00 00 | 00 00"), 30);
    /* select a, b: doc reply with generation 1 instead of 3 */
    tsend(fd, HEX(select), HEX_LEN(select));
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_INT(b.len, 58);
    ASSERT_EQ_MEM(b.p, HEX("02 03 00 00 00 00 00 32 | 16 00 00 00 00 00 | 00000001 | 00000000 | 00000000 |"
                           "0000 0002 | 00 00 00 0d 01 01 00 01 61 00 00 00 00 00 00 00 01 |"
                           "00 00 00 07 01 03 00 01 62 68 69"), 58);
    /* get all: same two bins, insertion order */
    tsend(fd, HEX(getall), HEX_LEN(getall));
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_MEM(b.p, HEX("02 03 00 00 00 00 00 32 | 16 00 00 00 00 00 | 00000001 | 00000000 | 00000000 |"
                           "0000 0002 | 00 00 00 0d 01 01 00 01 61 00 00 00 00 00 00 00 01 |"
                           "00 00 00 07 01 03 00 01 62 68 69"), 58);
    /* exists: header only */
    tsend(fd, HEX(exists), HEX_LEN(exists));
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_INT(b.len, 30);
    ASSERT_EQ_MEM(b.p, HEX("02 03 00 00 00 00 00 16 | 16 00 00 00 00 00 | 00000001 | 00000000 | 00000000 | 0000 0000"), 30);
    /* delete, then reads say 2 */
    tsend(fd, HEX(del), HEX_LEN(del));
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_MEM(b.p, HEX("02 03 00 00 00 00 00 16 16 00 00 00 00 00 00000000 00000000 00000000 0000 0000"), 30);
    tsend(fd, HEX(getall), HEX_LEN(getall));
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_MEM(b.p, HEX("02 03 00 00 00 00 00 16 | 16 00 00 00 00 02 | 00000000000000000000000000000000"), 30);
    tsend(fd, HEX(del), HEX_LEN(del));
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_INT(b.p[13], 2);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* §13.5 operate: incr then read, bin delete, list append, touch with TTL, delete. */
TEST(doc_13_5_operate_touch_delete)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;
    const uint8_t *d = dg(135);
    static const uint8_t list[] = {0x93, 0x01, 0xa2, 0x03, 0x78, 0xcb, 0x40, 0x04, 0, 0, 0, 0, 0, 0};
    uint8_t op, pt;
    char name[64];
    const uint8_t *v;
    uint32_t vn;

    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    rq_op(&r, 2, 3, "b", "hi", 2);
    rq_op(&r, 2, 20, "l", list, sizeof(list));
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, 1);
    /* incr a by 5 then read a: one op back, a = 6, generation 2 */
    rq_begin(&r, 1, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 5, "a", 5);
    rq_op(&r, 1, 0, "a", NULL, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, 2);
    ASSERT_EQ_INT(x.no, 1);
    ASSERT_EQ_MEM(x.ops, HEX("00 00 00 0d 01 01 00 01 61 00 00 00 00 00 00 00 06"), 17);
    /* delete bin b (particle 0, no value) */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 0, "b", NULL, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    x = get_all(fd, d, &b);
    ASSERT_EQ_INT(x.no, 2);
    rp_op(&x, 1, &op, &pt, name, &v, &vn);        /* l moved into b's slot? no: b was last-but-one */
    /* list append 4 to bin l: CDT_MODIFY, result = new size 4 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 4, 4, "l", HEX("92 01 04"), 3);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.no, 1);
    rp_op(&x, 0, &op, &pt, name, &v, &vn);
    ASSERT_EQ_INT(pt, 1);
    ASSERT_EQ_INT(load_u64be(v), 4);
    x = get_all(fd, d, &b);
    for (int i = 0; i < x.no; i++) {
        rp_op(&x, i, &op, &pt, name, &v, &vn);
        if (strcmp(name, "l") == 0) {
            ASSERT_EQ_INT(pt, 20);
            ASSERT_EQ_INT(vn, 15);
            ASSERT_EQ_MEM(v, HEX("94 01 a2 03 78 cb 40 04 00 00 00 00 00 00 04"), 15);
        }
    }
    /* touch with TTL 60: generation + 1, void time set */
    rq_begin(&r, 0, 1, 0, 0, 60);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 11, 0, "", NULL, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, 5);
    {
        long long now_cl = (long long)(clock_wall_ms() / 1000) - 1262304000LL;
        ASSERT_CMP_INT((long long)x.vt, >=, now_cl + 58);
        ASSERT_CMP_INT((long long)x.vt, <=, now_cl + 61);
    }
    /* touch of a missing record: 2 */
    rq_begin(&r, 0, 1, 0, 0, 60);
    rq_key(&r, "test", "t", dg(136));
    rq_op(&r, 11, 0, "", NULL, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 2);
    /* delete: 0, then 2 */
    rq_begin(&r, 0, 3, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, 0);
    ASSERT_EQ_INT(x.vt, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 2);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* Read all batch replies until LAST; returns the concatenated row replies in @rows and the
 * LAST result code. */
static int batch_collect(int fd, struct buf *rows, int *messages)
{
    struct buf m = BUF_INIT;
    int rc = -1;
    *messages = 0;
    buf_reset(rows);
    for (;;) {
        if (!trecv(fd, &m))
            TEST_FAIL("batch: no LAST message");
        (*messages)++;
        const uint8_t *q = m.p + 8, *end = m.p + m.len;
        while (q < end) {
            struct rp x;
            rp_parse_at(q, (size_t)(end - q), &x);
            if (x.info3 & 1) {
                rc = x.rc;
                ASSERT_TRUE(x.end == end);
                buf_free(&m);
                return rc;
            }
            buf_append(rows, q, (size_t)(x.end - q));
            q = x.end;
        }
    }
}

TEST(doc_13_6_batch_read_and_13_7_batch_write)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts), msgs;
    struct buf b = BUF_INIT, rows = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;
    const char *batch_read =
        "02 03 00 00 00 00 00 88 | 16 08 00 00 00 00 | 00000000 | 00000000 | 000003e8 | 0001 | 0000"
        "00 00 00 6e 29 | 00 00 00 03 | 0d"
        "00 00 00 00 " DEMO_DIGEST " 0a | 03 00 00 00 00 00 00 | 00 02 00 00"
        "00 00 00 05 00 74 65 73 74 | 00 00 00 05 01 64 65 6d 6f"
        "00 00 00 01 b7f4b83889e2da67de683e1df6919a1eacc446c8 01"
        "00 00 00 02 d8e1b4c608b73cf79fb875f6ea666203186bb8fe 01";
    const char *batch_write =
        "02 03 00 00 00 00 00 82 | 16 08 00 00 00 00 | 00000000 | 00000000 | 000003e8 | 0001 | 0000"
        "00 00 00 68 29 | 00 00 00 02 | 0d"
        "00 00 00 00 0065a7c9e6294e7f2957b0fa8b4936c55181fbfc 0e | 00 81 00 | 00 00 | 00 00 00 00 | 00 02 00 01"
        "00 00 00 05 00 74 65 73 74 | 00 00 00 05 01 64 65 6d 6f | 00 00 00 0d 02 01 00 01 77 00 00 00 00 00 00 00 09"
        "00 00 00 01 5232f8f23c0db1fec4fcabc25dd7fb794206df12 01";

    /* records 0 ("key1") and 1 (integer 1) exist, 2 does not */
    for (int i = 0; i < 3; i++) {
        static const char *digs[] = {DEMO_DIGEST, "b7f4b83889e2da67de683e1df6919a1eacc446c8",
                                     "d8e1b4c608b73cf79fb875f6ea666203186bb8fe"};
        rq_begin(&r, 0, 3, 0, 0, 0);
        rq_key(&r, "test", "demo", HEX(digs[i]));
        txn(fd, &r, &b);
        if (i == 2)
            break;
        rq_begin(&r, 0, 1, 0, 0, 0);
        rq_key(&r, "test", "demo", HEX(digs[i]));
        rq_op_int(&r, 2, "a", 10 + i);
        ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    }
    ASSERT_EQ_INT(HEX_LEN(batch_read), 8 + 0x88);
    tsend(fd, HEX(batch_read), HEX_LEN(batch_read));
    ASSERT_EQ_INT(batch_collect(fd, &rows, &msgs), 0);
    ASSERT_EQ_INT(msgs, 2);                      /* one data message + LAST */
    {
        bool seen[3] = {false, false, false};
        const uint8_t *q = rows.p, *end = rows.p + rows.len;
        int n = 0;
        while (q < end) {
            rp_parse_at(q, (size_t)(end - q), &x);
            ASSERT_CMP_INT(x.tt, <, 3);
            seen[x.tt] = true;
            ASSERT_EQ_INT(x.nf, 0);
            if (x.tt == 2) {
                ASSERT_EQ_INT(x.rc, 2);
                ASSERT_EQ_INT(x.no, 0);
            } else {
                ASSERT_EQ_INT(x.rc, 0);
                ASSERT_EQ_INT(x.gen, 1);
                ASSERT_EQ_INT(rp_int(&x, "a"), 10 + (int)x.tt);
            }
            q = x.end;
            n++;
        }
        ASSERT_EQ_INT(n, 3);
        ASSERT_TRUE(seen[0] && seen[1] && seen[2]);
    }
    /* §13.7 batch write w = 9 on two keys, RESPOND_ALL_OPS: each row answers op 2 particle 0 */
    ASSERT_EQ_INT(HEX_LEN(batch_write), 8 + 0x82);
    tsend(fd, HEX(batch_write), HEX_LEN(batch_write));
    ASSERT_EQ_INT(batch_collect(fd, &rows, &msgs), 0);
    {
        const uint8_t *q = rows.p, *end = rows.p + rows.len;
        int n = 0;
        while (q < end) {
            rp_parse_at(q, (size_t)(end - q), &x);
            ASSERT_EQ_INT(x.rc, 0);
            ASSERT_EQ_INT(x.no, 1);
            ASSERT_EQ_MEM(x.ops, HEX("00 00 00 05 02 00 00 01 77"), 9);
            q = x.end;
            n++;
        }
        ASSERT_EQ_INT(n, 2);
    }
    x = get_all(fd, HEX("5232f8f23c0db1fec4fcabc25dd7fb794206df12"), &b);
    ASSERT_EQ_INT(x.rc, 4);                      /* set t != demo on an existing record */
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "demo", HEX("5232f8f23c0db1fec4fcabc25dd7fb794206df12"));
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(rp_int(&x, "w"), 9);

    /* whole-batch failure: [ok, unknown namespace, ok] -> only LAST with 4, and no rows */
    {
        struct buf m = BUF_INIT;
        const char *bad =
            "16 08 00 00 00 00 00000000 00000000 000003e8 0001 0000"
            "00 00 00 00 29 | 00 00 00 03 | 0d"
            "00 00 00 00 " DEMO_DIGEST " 0a | 03 00 00 00 00 00 00 | 00 01 00 00 | 00 00 00 05 00 74 65 73 74"
            "00 00 00 01 " DEMO_DIGEST " 0a | 03 00 00 00 00 00 00 | 00 01 00 00 | 00 00 00 05 00 6e 6f 70 65"
            "00 00 00 02 " DEMO_DIGEST " 0a | 03 00 00 00 00 00 00 | 00 01 00 00 | 00 00 00 05 00 74 65 73 74";
        size_t n = HEX_LEN(bad);
        uint8_t h[8];
        buf_append(&m, HEX(bad), n);
        store_u32be(m.p + 22, (uint32_t)(n - 22 - 4));
        store_u64be(h, (2ull << 56) | (3ull << 48) | n);
        tsend(fd, h, 8);
        tsend(fd, m.p, m.len);
        ASSERT_EQ_INT(batch_collect(fd, &rows, &msgs), 4);
        ASSERT_EQ_INT(msgs, 1);
        ASSERT_EQ_INT(rows.len, 0);
        /* REPEAT on the first row: 4 */
        buf_reset(&m);
        const char *rep = "16 08 00 00 00 00 00000000 00000000 000003e8 0001 0000"
                          "00 00 00 1f 29 | 00 00 00 01 | 0d | 00 00 00 00 " DEMO_DIGEST " 01";
        n = HEX_LEN(rep);
        store_u64be(h, (2ull << 56) | (3ull << 48) | n);
        tsend(fd, h, 8);
        tsend(fd, HEX(rep), n);
        ASSERT_EQ_INT(batch_collect(fd, &rows, &msgs), 4);
        ASSERT_EQ_INT(rows.len, 0);
        buf_free(&m);
    }
    buf_free(&rows);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(framing_and_message_errors)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    int fd;

    /* version 3: closed without a reply */
    fd = tconnect(hosts);
    tsend(fd, HEX("03 01 00 00 00 00 00 05 6e 6f 64 65 0a"), 13);
    ASSERT_TRUE(closed_by_peer(fd));
    close(fd);
    /* type 9: closed */
    fd = tconnect(hosts);
    tsend(fd, HEX("02 09 00 00 00 00 00 00"), 8);
    ASSERT_TRUE(closed_by_peer(fd));
    close(fd);
    /* size > 128 MiB: closed */
    fd = tconnect(hosts);
    tsend(fd, HEX("02 03 00 00 08 00 00 01"), 8);
    ASSERT_TRUE(closed_by_peer(fd));
    close(fd);
    /* TLS ClientHello on the clear port: closed */
    fd = tconnect(hosts);
    tsend(fd, HEX("16 03 01 00 c8 01 00 00 c4 03 03"), 11);
    ASSERT_TRUE(closed_by_peer(fd));
    close(fd);

    fd = tconnect(hosts);
    /* trailing bytes after a valid read: 4, connection stays usable */
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "t", dg(1));
    buf_append(&r.b, "\0\0", 2);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* body shorter than 22 bytes: 4 */
    tsend(fd, HEX("02 03 00 00 00 00 00 03 16 00 00"), 11);
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_INT(b.len, 30);
    ASSERT_EQ_INT(b.p[13], 4);
    /* field overrunning the body: 4 */
    rq_begin(&r, 3, 0, 0, 0, 0);
    buf_append(&r.b, HEX("00 00 00 30 00 74 65 73 74"), 9);
    r.nf = 1;
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* op overrunning the body: 4 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", dg(1));
    buf_append(&r.b, HEX("00 00 00 40 02 01 00 01 61 00"), 10);
    r.no = 1;
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* op name longer than the op: 4 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", dg(1));
    buf_append(&r.b, HEX("00 00 00 05 02 01 00 09 61"), 9);
    r.no = 1;
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* header_sz != 22 is refused */
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "t", dg(1));
    rq_end(&r);
    r.b.p[8] = 20;
    tsend(fd, r.b.p, r.b.len);
    ASSERT_TRUE(trecv(fd, &b));
    ASSERT_EQ_INT(b.p[13], 4);
    /* still usable */
    ASSERT_EQ_STR(tinfo1(fd, "build"), "8.1.2.0");
    if (!tu_aerospike_is_real()) {
        /* admin (type 2) LOGIN: 24-byte reply with 51, socket usable */
        tsend(fd, HEX("02 02 00 00 00 00 00 10 00 00 14 00 00 00 00 00 00 00 00 00 00 00 00 00"), 24);
        ASSERT_TRUE(trecv(fd, &b));
        ASSERT_EQ_INT(b.len, 24);
        ASSERT_EQ_MEM(b.p, HEX("02 02 00 00 00 00 00 10 00 33 00 00 00 00 00 00 00 00 00 00 00 00 00 00"), 24);
        /* compressed (type 4): a type-3 reply with 25 */
        tsend(fd, HEX("02 04 00 00 00 00 00 0c 00 00 00 00 00 00 01 19 78 01 63 62"), 20);
        ASSERT_TRUE(trecv(fd, &b));
        ASSERT_EQ_INT(b.len, 30);
        ASSERT_EQ_INT(b.p[1], 3);
        ASSERT_EQ_INT(b.p[13], 25);
        ASSERT_EQ_STR(tinfo1(fd, "node") != NULL ? "x" : "", "x");
    }
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(write_policies_and_generation)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;
    const uint8_t *d = dg(200);

    /* update-only / replace-only on a missing record: 2 */
    rq_begin(&r, 0, 1, 0x08, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 2);
    rq_begin(&r, 0, 1, 0x20, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 2);
    /* create-only creates, then 5 with the record's generation */
    rq_begin(&r, 0, 0x21, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    rq_op_int(&r, 2, "b", 2);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, 1);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 5);
    ASSERT_EQ_INT(x.gen, 1);
    /* generation equal: 3 on mismatch (carrying the generation), ok on match */
    rq_begin(&r, 0, 0x05, 0, 7, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 2);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 3);
    ASSERT_EQ_INT(x.gen, 1);
    rq_begin(&r, 0, 0x05, 0, 1, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 2);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, 2);
    /* generation-gt: 2 is not > 2 -> 3; 5 > 2 ok */
    rq_begin(&r, 0, 0x09, 0, 2, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 3);
    rq_begin(&r, 0, 0x09, 0, 5, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    /* replace flags refuse bin deletes, incr, append, touch, delete-all: 4 */
    {
        static const uint8_t ops[] = {2, 5, 9, 11, 14};
        for (size_t i = 0; i < sizeof(ops); i++) {
            rq_begin(&r, 0, 1, 0x10, 0, 0);
            rq_key(&r, "test", "t", d);
            if (ops[i] == 2)
                rq_op(&r, 2, 0, "a", NULL, 0);
            else if (ops[i] == 5)
                rq_op_int(&r, 5, "a", 1);
            else if (ops[i] == 9)
                rq_op(&r, 9, 3, "s", "x", 1);
            else
                rq_op(&r, ops[i], 0, "", NULL, 0);
            ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
        }
    }
    /* create-or-replace drops the old bins */
    rq_begin(&r, 0, 1, 0x10, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "c", 9);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    x = get_all(fd, d, &b);
    ASSERT_EQ_INT(x.no, 1);
    ASSERT_EQ_INT(rp_int(&x, "c"), 9);
    /* update-only merges */
    rq_begin(&r, 0, 1, 0x08, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    x = get_all(fd, d, &b);
    ASSERT_EQ_INT(x.no, 2);
    /* writing only nil bins to a missing record: 2; deleting every bin deletes the record */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", dg(201));
    rq_op(&r, 2, 0, "a", NULL, 0);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 2);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 0, "a", NULL, 0);
    rq_op(&r, 2, 0, "c", NULL, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, 0);
    ASSERT_EQ_INT(get_all(fd, d, &b).rc, 2);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(limits_and_error_codes)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;
    uint8_t d[AERO_DIGEST_SZ];        /* a copy: dg's buffers rotate */
    char set64[65];

    memcpy(d, dg(300), sizeof(d));

#define WRITE1(setname, name, pt, val, n) do { rq_begin(&r, 0, 1, 0, 0, 0); \
        rq_key(&r, "test", setname, d); rq_op(&r, 2, pt, name, val, n); } while (0)
    WRITE1("t", "sixteen_chars_xx", 1, HEX("0000000000000001"), 8);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 21);
    WRITE1("t", "fifteen_chars_x", 1, HEX("0000000000000001"), 8);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 1, "a", HEX("0000000000000001"), 8);
    r.b.p[r.b.len - 9] = 0;                       /* name "\0" */
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 21);
    /* a zero byte anywhere in a name of any length: 21; the same name without it: 0 */
    uint8_t d_names[AERO_DIGEST_SZ];
    memcpy(d_names, dg(390), sizeof(d_names));
    for (int len = 1; len <= 15; len++) {
        char name[16];
        memset(name, 'n', (size_t)len);
        name[len] = 0;
        for (int at = -1; at < len; at++) {
            rq_begin(&r, 0, 1, 0, 0, 0);
            rq_key(&r, "test", "t", d_names);
            rq_op(&r, 2, 1, name, HEX("0000000000000001"), 8);
            if (at >= 0)
                r.b.p[r.b.len - 8 - (size_t)len + (size_t)at] = 0;
            x = txn(fd, &r, &b);
            if (x.rc != (at >= 0 ? 21 : 0))
                TEST_FAIL("name of %d bytes, zero at %d: rc %d", len, at, x.rc);
        }
    }
    memset(set64, 's', 64);
    set64[64] = 0;
    WRITE1(set64, "a", 1, HEX("01"), 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* unknown namespace: 20 */
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "nope", "t", d);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 20);
    /* digest of 19 bytes: 4 */
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_field(&r, 0, "test", 4);
    rq_field(&r, 4, d, 19);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* particles: 3-byte integer, 2-byte bool, bool 2, float of 4 bytes, bad msgpack, float map key */
    WRITE1("t", "i", 1, HEX("000001"), 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "z", 17, HEX("0001"), 2);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "z", 17, HEX("02"), 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "f", 2, HEX("3ff00000"), 4);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "l", 20, HEX("93 01 02"), 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "l", 20, HEX("81 a1 03 01"), 4);  /* a map in a LIST particle */
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "m", 19, HEX("81 cb 3f f8 00 00 00 00 00 00 01"), 11);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "m", 19, HEX("82 c7 00 02 c0 01 01"), 7);   /* map flags 0x02 alone */
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "m", 19, HEX("83 c7 00 01 c0 a2 03 6b 07 ff 01"), 11);  /* key-ordered, unsorted */
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    WRITE1("t", "x", 5, HEX("00"), 1);            /* unused particle type 5 */
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* 1/2/4-byte integers are zero-extended: ff ff ff ff -> 4294967295 */
    WRITE1("t", "i", 1, HEX("ffffffff"), 4);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    x = get_all(fd, d, &b);
    ASSERT_EQ_INT(rp_int(&x, "i"), 4294967295LL);
    /* TTL over 10 years: 4 */
    rq_begin(&r, 0, 1, 0, 0, 315360001u);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* write without ops: 4; read op in a write without READ: 4 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 1, 0, "a", NULL, 0);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* GET_ALL with RESPOND_ALL_OPS: 4 */
    rq_begin(&r, 3, 0x81, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    rq_op(&r, 1, 0, "", NULL, 0);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* incr / append type mismatch: 12 with the record's generation */
    WRITE1("t", "s", 3, "str", 3);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 5, "s", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 12);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 9, 3, "i", "x", 1);
    struct rp y = txn(fd, &r, &b);
    ASSERT_EQ_INT(y.rc, 12);
    ASSERT_EQ_INT(y.gen, x.gen);
    /* set mismatch on the existing record: 4; key mismatch: 19 */
    WRITE1("other", "a", 1, HEX("01"), 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", dg(301));
    rq_field(&r, 2, HEX("03 6b 31"), 3);
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", dg(301));
    rq_field(&r, 2, HEX("03 6b 32"), 3);
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 19);
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "t", dg(301));
    rq_field(&r, 2, HEX("03 6b 32"), 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 19);
    /* integer key of 4 bytes: 16 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", dg(302));
    rq_field(&r, 2, HEX("01 00 00 00 07"), 5);
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 16);
    /* durable delete on CE: 25 (record kept) */
    rq_begin(&r, 0, 0x13, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 25);
    ASSERT_EQ_INT(get_all(fd, d, &b).rc, 0);
    /* read-touch percent 101 on a record without TTL: fine */
    rq_begin(&r, 3, 0, 0, 0, 101);
    rq_key(&r, "test", "t", d);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    /* more than 32768 ops: 4 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", dg(303));
    for (int i = 0; i < 32769; i++)
        rq_op(&r, 11, 0, "", NULL, 0);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* 32768 bins: 4; 32767 bins: ok */
    for (int nb = 32768; nb >= 32767; nb--) {
        rq_begin(&r, 0, 1, 0, 0, 0);
        rq_key(&r, "test", "t", dg(304));
        for (int i = 0; i < nb; i++) {
            char name[16];
            snprintf(name, sizeof(name), "b%d", i);
            rq_op(&r, 2, 1, name, HEX("01"), 1);
        }
        ASSERT_EQ_INT(txn(fd, &r, &b).rc, nb == 32768 ? 4 : 0);
    }
    /* record over 1 MiB: 13; just under: 0 */
    {
        uint8_t *big = mem_calloc(1, (1u << 20) + 10);
        WRITE1("t", "big", 4, big, (1u << 20) + 10);
        ASSERT_EQ_INT(txn(fd, &r, &b).rc, 13);
        WRITE1("t", "big", 4, big, (1u << 20) - 200);
        ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
        mem_free(big);
    }
#undef WRITE1
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* §12: with max-record-size 4K a single blob of 4,046 bytes (bin "b", set "vp") fits, 4,047
 * does not; adding a 100-byte stored key pushes it over. */
TEST(max_record_size_counts_overhead)
{
    const char *args[] = {"--max-record-size", "4K", NULL};
    char hosts[256];
    struct tu_proc *p;
    int fd;
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    uint8_t blob[4100] = {0}, key[101];

    FAKE_ONLY();
    p = start(args, hosts, sizeof(hosts));
    fd = tconnect(hosts);
    for (int n = 4047; n >= 4046; n--) {
        rq_begin(&r, 0, 1, 0, 0, 0);
        rq_key(&r, "test", "vp", dg(400));
        rq_op(&r, 2, 4, "b", blob, (size_t)n);
        ASSERT_EQ_INT(txn(fd, &r, &b).rc, n == 4047 ? 13 : 0);
    }
    key[0] = 3;
    memset(key + 1, 'k', 100);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "vp", dg(401));
    rq_field(&r, 2, key, sizeof(key));
    rq_op(&r, 2, 4, "b", blob, 4046);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 13);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(ttl_rules_and_expiry)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;
    long long now_cl = (long long)(clock_wall_ms() / 1000) - 1262304000LL;

    /* -1: never expires (void time 0) */
    rq_begin(&r, 0, 1, 0, 0, 0xFFFFFFFFu);
    rq_key(&r, "test", "t", dg(500));
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).vt, 0);
    /* -2 on a new record acts like 0; on a record with a TTL keeps its void time */
    rq_begin(&r, 0, 1, 0, 0, 0xFFFFFFFEu);
    rq_key(&r, "test", "t", dg(501));
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).vt, 0);
    rq_begin(&r, 0, 1, 0, 0, 1000);
    rq_key(&r, "test", "t", dg(501));
    rq_op_int(&r, 2, "a", 2);
    x = txn(fd, &r, &b);
    ASSERT_CMP_INT((long long)x.vt, >=, now_cl + 999);
    uint32_t vt = x.vt;
    rq_begin(&r, 0, 1, 0, 0, 0xFFFFFFFEu);
    rq_key(&r, "test", "t", dg(501));
    rq_op_int(&r, 2, "a", 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).vt, vt);
    /* read-touch percent 101 on a record with a TTL: 4 */
    rq_begin(&r, 3, 0, 0, 0, 101);
    rq_key(&r, "test", "t", dg(501));
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    /* TTL 1: found now, not found (and not counted) later */
    rq_begin(&r, 0, 1, 0, 0, 1);
    rq_key(&r, "test", "exp", dg(502));
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    ASSERT_CONTAINS(tinfo1(fd, "sets/test/exp"), "objects=1:");
    sleep_ms(2200);
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "exp", dg(502));
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 2);
    ASSERT_CONTAINS(tinfo1(fd, "sets/test/exp"), "objects=0:");
    ASSERT_EQ_INT(kv_num(tinfo1(fd, "namespace/test"), "objects"), 2);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(no_nsup_forbids_ttl)
{
    const char *args[] = {"--no-nsup", NULL};
    char hosts[256];
    struct tu_proc *p;
    int fd;
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};

    FAKE_ONLY();
    p = start(args, hosts, sizeof(hosts));
    fd = tconnect(hosts);
    ASSERT_CONTAINS(tinfo1(fd, "namespace/test"), "nsup-period=0;");
    rq_begin(&r, 0, 1, 0, 0, 100);
    rq_key(&r, "test", "t", dg(600));
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 22);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", dg(600));
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    rq_begin(&r, 0, 1, 0, 0, 0xFFFFFFFFu);
    rq_key(&r, "test", "t", dg(600));
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    rq_begin(&r, 0, 1, 0, 0, 100);                /* touch with a TTL: 22 too */
    rq_key(&r, "test", "t", dg(600));
    rq_op(&r, 11, 0, "", NULL, 0);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 22);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(bin_order_swap_remove_and_generation_wrap)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT, all = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;
    const uint8_t *d = dg(700);
    uint8_t op, pt;
    char name[64], order[8] = {0};
    const uint8_t *v;
    uint32_t vn;

    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    rq_op_int(&r, 2, "b", 2);
    rq_op_int(&r, 2, "c", 3);
    rq_op_int(&r, 2, "d", 4);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 0, "b", NULL, 0);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    x = get_all(fd, d, &b);
    ASSERT_EQ_INT(x.no, 3);
    for (int i = 0; i < 3; i++) {
        rp_op(&x, i, &op, &pt, name, &v, &vn);
        order[i] = name[0];
    }
    ASSERT_EQ_STR(order, "adc");
    /* 65,534 more touches (pipelined) reach 65535; the next wraps to 1 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 11, 0, "", NULL, 0);
    rq_end(&r);
    for (int i = 0; i < 65533; i++)
        buf_append(&all, r.b.p, r.b.len);
    tsend(fd, all.p, all.len);
    for (int i = 0; i < 65533; i++) {
        ASSERT_TRUE(trecv(fd, &b));
        ASSERT_EQ_INT(b.p[13], 0);
        ASSERT_EQ_INT(load_u32be(b.p + 14), 3 + i);
    }
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.gen, 1);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.gen, 2);
    buf_free(&all);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* Hundreds of requests in one send: replies in order, each read sees the write before it,
 * info replies in their slots. */
TEST(pipelining_in_order)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT, all = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    const uint8_t *d = dg(800);
    const char *info = "build\n";

    for (int i = 0; i < 600; i++) {
        if (i % 50 == 49) {
            uint8_t h[8];
            store_u64be(h, (2ull << 56) | (1ull << 48) | strlen(info));
            buf_append(&all, h, 8);
            buf_append(&all, info, strlen(info));
        } else if (i % 2 == 0) {
            rq_begin(&r, 0, 1, 0, 0, 0);
            rq_key(&r, "test", "t", d);
            rq_op_int(&r, 2, "v", i);
            rq_end(&r);
            buf_append(&all, r.b.p, r.b.len);
        } else {
            rq_begin(&r, 3, 0, 0, 0, 0);
            rq_key(&r, "test", "t", d);
            rq_end(&r);
            buf_append(&all, r.b.p, r.b.len);
        }
    }
    tsend(fd, all.p, all.len);
    int last_written = -1;
    for (int i = 0; i < 600; i++) {
        struct rp x;
        ASSERT_TRUE(trecv(fd, &b));
        if (i % 50 == 49) {
            ASSERT_EQ_INT(b.p[1], 1);
            ASSERT_TRUE(b.len == 8 + 14 && memcmp(b.p + 8, "build\t8.1.2.0\n", 14) == 0);
            continue;
        }
        ASSERT_EQ_INT(b.p[1], 3);
        rp_parse_at(b.p + 8, b.len - 8, &x);
        ASSERT_EQ_INT(x.rc, 0);
        if (i % 2 == 0) {
            ASSERT_EQ_INT(x.no, 0);
            last_written = i;
        } else {
            ASSERT_EQ_INT(rp_int(&x, "v"), last_written);
        }
    }
    /* replies far larger than the server's output limit while the client does not read:
     * every pipelined request is still answered once the client drains */
    {
        uint8_t *big = mem_calloc(1, 200000);
        rq_begin(&r, 0, 1, 0, 0, 0);
        rq_key(&r, "test", "t", dg(801));
        rq_op(&r, 2, 4, "big", big, 200000);
        ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
        mem_free(big);
        buf_reset(&all);
        rq_begin(&r, 3, 0, 0, 0, 0);
        rq_key(&r, "test", "t", dg(801));
        rq_end(&r);
        for (int i = 0; i < 150; i++)
            buf_append(&all, r.b.p, r.b.len);
        tsend(fd, all.p, all.len);
        sleep_ms(300);
        for (int i = 0; i < 150; i++) {
            ASSERT_TRUE(trecv(fd, &b));
            ASSERT_EQ_INT(b.p[13], 0);
            ASSERT_CMP_INT(b.len, >, 200000);
        }
        ASSERT_EQ_STR(tinfo1(fd, "build"), "8.1.2.0");
    }
    buf_free(&all);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(hundred_parallel_connections)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fds[100];
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};

    for (int i = 0; i < 100; i++)
        fds[i] = tconnect(hosts);
    /* every connection sends 20 pipelined writes before anyone reads */
    for (int i = 0; i < 100; i++) {
        struct buf all = BUF_INIT;
        for (int k = 0; k < 20; k++) {
            rq_begin(&r, 0, 1, 0, 0, 0);
            rq_key(&r, "test", "par", dg(10000 + (uint32_t)i));
            rq_op_int(&r, 2, "k", k);
            rq_end(&r);
            buf_append(&all, r.b.p, r.b.len);
        }
        tsend(fds[i], all.p, all.len);
        buf_free(&all);
    }
    for (int i = 99; i >= 0; i--) {
        for (int k = 0; k < 20; k++) {
            ASSERT_TRUE(trecv(fds[i], &b));
            ASSERT_EQ_INT(b.p[13], 0);
            ASSERT_EQ_INT(load_u32be(b.p + 14), k + 1);    /* generation k+1 */
        }
    }
    for (int i = 0; i < 100; i++) {
        struct rp x = get_all(fds[i], dg(10000 + (uint32_t)i), &b);
        (void)x;
        rq_begin(&r, 3, 0, 0, 0, 0);
        rq_key(&r, "test", "par", dg(10000 + (uint32_t)i));
        x = txn(fds[i], &r, &b);
        ASSERT_EQ_INT(rp_int(&x, "k"), 19);
        close(fds[i]);
    }
    buf_free(&r.b);
    buf_free(&b);
    tu_proc_free(p);
}

TEST(info_outputs)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    const char *v, *rep;
    char want[800];

    /* seed probe: 3 commands echoed, one line each */
    rep = tinfo(fd, "node\npartition-generation\nbuild\n");
    ASSERT_TRUE(strncmp(rep, "node\t", 5) == 0);
    ASSERT_CONTAINS(rep, "\npartition-generation\t0\nbuild\t8.1.2.0\n");
    /* trailing command without newline is ignored */
    ASSERT_EQ_STR(tinfo(fd, "build\nnode"), "build\t8.1.2.0\n");
    /* echo of parameters, unknown command, unknown namespace */
    ASSERT_EQ_STR(tinfo(fd, "no-such-command:x=1\n"), "no-such-command:x=1\tERROR:4:unrecognized command\n");
    ASSERT_EQ_STR(tinfo1(fd, "namespace/nope"), "type=unknown");
    ASSERT_EQ_STR(tinfo1(fd, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "ERROR:4:unrecognized command");
    v = tinfo1(fd, "node");
    ASSERT_TRUE(strlen(v) > 0 && strspn(v, "0123456789ABCDEF") == strlen(v) && v[0] != '0');
    ASSERT_EQ_STR(tinfo1(fd, "edition"), "Aerospike Community Edition");
    ASSERT_EQ_STR(tinfo1(fd, "version"), "Aerospike Community Edition build 8.1.2.0");
    ASSERT_EQ_STR(tinfo1(fd, "namespaces"), "test");
    ASSERT_EQ_STR(tinfo1(fd, "partitions"), "4096");
    ASSERT_CONTAINS(tinfo1(fd, "features"), "pipelining");
    ASSERT_EQ_STR(tinfo1(fd, "peers-tls-std"), "ERROR:25:enterprise only");
    /* single node: peers "0,3000,[]" and a replicas bitmap of all ones, 684 chars */
    ASSERT_EQ_STR(tinfo1(fd, "peers-generation"), "0");
    ASSERT_EQ_STR(tinfo1(fd, "peers-clear-std"), "0,3000,[]");
    memcpy(want, "test:0,1,", 9);
    memset(want + 9, '/', 682);
    memcpy(want + 9 + 682, "8=", 3);
    ASSERT_EQ_STR(tinfo1(fd, "replicas"), want);
    ASSERT_EQ_INT(strlen(strrchr(tinfo1(fd, "replicas"), ',') + 1), 684);
    ASSERT_TRUE(strncmp(tinfo1(fd, "replicas-master"), "test:////", 9) == 0);
    /* user-agent-set: ok once per socket */
    ASSERT_EQ_STR(tinfo1(fd, "user-agent-set:value=MSxjLTcuNS4wLG5vdC1zZXQ="), "ok");
    ASSERT_EQ_STR(tinfo1(fd, "user-agent-set:value=MSxjLTcuNS4wLG5vdC1zZXQ="), "ERROR:4:already set");
    ASSERT_EQ_STR(tinfo1(fd, "cluster-name"), "testcluster");
    v = tinfo1(fd, "service-clear-std");
    ASSERT_TRUE(strchr(v, ':') != NULL);
    /* namespace and sets counts, statistics counters */
    v = tinfo1(fd, "namespace/test");
    ASSERT_CONTAINS(v, "replication-factor=2;");
    ASSERT_EQ_INT(kv_num(v, "effective_replication_factor"), 1);
    long long objs = kv_num(v, "objects");
    long long w0 = kv_num(tinfo1(fd, "statistics"), "client_write_success");
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "infoset", dg(900));
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "infoset", dg(900));
    rq_op(&r, 2, 1, "a", HEX("000001"), 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    ASSERT_EQ_INT(kv_num(tinfo1(fd, "namespace/test"), "objects"), objs + 1);
    ASSERT_CONTAINS(tinfo1(fd, "sets"), "ns=test:set=infoset:objects=1:");
    v = tinfo1(fd, "statistics");
    ASSERT_EQ_INT(kv_num(v, "client_write_success"), w0 + 1);
    if (!tu_aerospike_is_real())
        ASSERT_CMP_INT(kv_num(v, "client_write_error"), >=, 1);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* --- cluster mode --- */
static void bitmap(const char *b64, uint8_t out[512])
{
    ASSERT_EQ_INT(base64_decode(b64, 684, out, 512), 512);
}

/* Parse "test:0,R,<b64>[,<b64>]" into columns. Returns R. */
static int parse_replicas(const char *v, uint8_t cols[2][512])
{
    const char *p = strchr(v, ',');
    int n = atoi(p + 1);
    p = strchr(p + 1, ',');
    for (int i = 0; i < n; i++) {
        bitmap(p + 1, cols[i]);
        p = strchr(p + 1, ',');
    }
    return n;
}

static bool bit(const uint8_t *bm, int pid)
{
    return bm[pid >> 3] & (0x80 >> (pid & 7));
}

/* Check that the live nodes' bitmaps partition the 4096 partitions (masters and replicas). */
static void check_partitioning(const int *fds, const bool *live, int n, int want_repl)
{
    static uint8_t cols[8][2][512];
    for (int i = 0; i < n; i++)
        if (live[i])
            ASSERT_EQ_INT(parse_replicas(tinfo1(fds[i], "replicas"), cols[i]), want_repl);
    for (int pid = 0; pid < 4096; pid++) {
        int masters = 0, replicas = 0;
        for (int i = 0; i < n; i++) {
            if (!live[i])
                continue;
            masters += bit(cols[i][0], pid);
            if (want_repl > 1) {
                replicas += bit(cols[i][1], pid);
                ASSERT_FALSE(bit(cols[i][0], pid) && bit(cols[i][1], pid));
            }
        }
        ASSERT_EQ_INT(masters, 1);
        if (want_repl > 1)
            ASSERT_EQ_INT(replicas, 1);
    }
}

TEST(cluster_three_nodes)
{
    const char *args[] = {"--nodes", "3", NULL};
    char hosts[256];
    struct tu_proc *p;
    int fds[3];
    bool live[3] = {true, true, true};
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    char ids[3][32];
    const char *v;

    FAKE_ONLY();
    p = start(args, hosts, sizeof(hosts));
    ASSERT_EQ_INT(host_port(hosts, 1), host_port(hosts, 0) + 1);
    ASSERT_EQ_INT(host_port(hosts, 2), host_port(hosts, 0) + 2);
    for (int i = 0; i < 3; i++) {
        fds[i] = tconnect_port(host_port(hosts, i));
        ASSERT_TRUE(fds[i] >= 0);
        snprintf(ids[i], sizeof(ids[i]), "%s", tinfo1(fds[i], "node"));
    }
    ASSERT_TRUE(strcmp(ids[0], ids[1]) != 0 && strcmp(ids[1], ids[2]) != 0 && strcmp(ids[0], ids[2]) != 0);
    /* peers: the two others, with their ports */
    v = tinfo1(fds[0], "peers-clear-std");
    long long pg = atoll(v);
    {
        char want[256];
        snprintf(want, sizeof(want), "[%s,,[127.0.0.1:%d]]", ids[1], host_port(hosts, 1));
        ASSERT_CONTAINS(v, want);
        snprintf(want, sizeof(want), "[%s,,[127.0.0.1:%d]]", ids[2], host_port(hosts, 2));
        ASSERT_CONTAINS(v, want);
        ASSERT_TRUE(strstr(v, ids[0]) == NULL);
    }
    ASSERT_EQ_INT(atoll(tinfo1(fds[1], "peers-generation")), pg);
    check_partitioning(fds, live, 3, 2);
    /* routing: write 200 keys through node 1; those whose master is another node are proxied */
    uint8_t m0[2][512];
    parse_replicas(tinfo1(fds[0], "replicas"), m0);
    long long prox0 = kv_num(tinfo1(fds[0], "statistics"), "client_proxy_complete");
    int expect_proxied = 0;
    for (uint32_t i = 0; i < 200; i++) {
        const uint8_t *d = dg(20000 + i);
        int pid = (d[0] | (d[1] << 8)) & 0xfff;
        expect_proxied += !bit(m0[0], pid);
        rq_begin(&r, 0, 1, 0, 0, 0);
        rq_key(&r, "test", "c", d);
        rq_op_int(&r, 2, "i", i);
        ASSERT_EQ_INT(txn(fds[0], &r, &b).rc, 0);
    }
    ASSERT_CMP_INT(expect_proxied, >, 0);
    ASSERT_EQ_INT(kv_num(tinfo1(fds[0], "statistics"), "client_proxy_complete") - prox0, expect_proxied);
    /* objects per node: master + prole adds up to 2 copies of everything */
    long long total = 0;
    for (int i = 0; i < 3; i++)
        total += kv_num(tinfo1(fds[i], "namespace/test"), "objects");
    ASSERT_EQ_INT(total, 400);
    /* node 2 goes down: refused, partitions move, generations bump, data survives */
    long long gen0 = atoll(tinfo1(fds[0], "partition-generation"));
    ASSERT_EQ_STR(tinfo1(fds[0], "testd-node:id=2;state=down"), "ok");
    ASSERT_TRUE(closed_by_peer(fds[1]));
    close(fds[1]);
    ASSERT_TRUE(tconnect_port(host_port(hosts, 1)) < 0);
    live[1] = false;
    ASSERT_CMP_INT(atoll(tinfo1(fds[0], "partition-generation")), >, gen0);
    ASSERT_CMP_INT(atoll(tinfo1(fds[2], "peers-generation")), >, pg);
    v = tinfo1(fds[0], "peers-clear-std");
    ASSERT_TRUE(strstr(v, ids[1]) == NULL);
    ASSERT_CONTAINS(v, ids[2]);
    check_partitioning(fds, live, 3, 2);
    for (uint32_t i = 0; i < 200; i++) {
        struct rp x;
        rq_begin(&r, 3, 0, 0, 0, 0);
        rq_key(&r, "test", "c", dg(20000 + i));
        x = txn(fds[2], &r, &b);
        ASSERT_EQ_INT(x.rc, 0);
        ASSERT_EQ_INT(rp_int(&x, "i"), i);
    }
    /* and back up */
    ASSERT_EQ_STR(tinfo1(fds[2], "testd-node:id=2;state=up"), "ok");
    fds[1] = tconnect_port(host_port(hosts, 1));
    ASSERT_TRUE(fds[1] >= 0);
    live[1] = true;
    check_partitioning(fds, live, 3, 2);
    ASSERT_CONTAINS(tinfo1(fds[0], "peers-clear-std"), ids[1]);
    ASSERT_CONTAINS(tinfo1(fds[0], "testd-stats"), "node2=id:");
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    buf_free(&r.b);
    buf_free(&b);
    tu_proc_free(p);
}

TEST(lever_fail_rate_applies_nothing)
{
    const char *args[] = {"--fail-rate", "1", "--fail-codes", "14,18", NULL};
    char hosts[256];
    struct tu_proc *p;
    int fd;
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    int seen14 = 0, seen18 = 0;

    FAKE_ONLY();
    p = start(args, hosts, sizeof(hosts));
    fd = tconnect(hosts);
    for (uint32_t i = 0; i < 100; i++) {
        int rc = put_int(fd, dg(30000 + i), "a", 1, &b).rc;
        ASSERT_TRUE(rc == 14 || rc == 18);
        seen14 += rc == 14;
        seen18 += rc == 18;
        ASSERT_EQ_INT(get_all(fd, dg(30000 + i), &b).rc, 2);   /* not applied */
    }
    ASSERT_TRUE(seen14 > 0 && seen18 > 0);
    ASSERT_EQ_INT(kv_num(tinfo1(fd, "namespace/test"), "objects"), 0);
    /* runtime change: 0.5 fails about half */
    ASSERT_EQ_STR(tinfo1(fd, "testd-set:fail-rate=0.5;fail-codes=14"), "ok");
    int ok = 0;
    for (uint32_t i = 0; i < 400; i++) {
        int rc = put_int(fd, dg(31000 + i), "a", 1, &b).rc;
        ASSERT_TRUE(rc == 0 || rc == 14);
        ok += rc == 0;
    }
    ASSERT_CMP_INT(ok, >, 120);
    ASSERT_CMP_INT(ok, <, 280);
    ASSERT_EQ_INT(kv_num(tinfo1(fd, "namespace/test"), "objects"), ok);
    ASSERT_EQ_STR(tinfo1(fd, "testd-set:fail-rate=2"), "ERROR:4:fail-rate must be 0..1");
    ASSERT_EQ_STR(tinfo1(fd, "testd-node:id=1;state=down"),
                  "ERROR:4:cannot take down the last live node (use testd-pause)");
    ASSERT_EQ_STR(tinfo1(fd, "testd-node:id=2;state=down"),
                  "ERROR:4:expected id=<1..N or node id>;state=up|down");
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* --discard-writes (a benchmark lever): plain writes are answered OK with generation 1 and
 * kept nowhere; the request checks still apply, and writes it does not cover (update-only
 * here) run as usual. */
TEST(lever_discard_writes_answers_and_keeps_nothing)
{
    const char *args[] = {"--discard-writes", NULL};
    char hosts[256];
    struct tu_proc *p;
    int fd;
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;

    FAKE_ONLY();
    p = start(args, hosts, sizeof(hosts));
    fd = tconnect(hosts);
    for (uint32_t i = 0; i < 50; i++) {
        x = put_int(fd, dg(32000 + i % 40), "a", i, &b);   /* 10 keys written twice */
        ASSERT_EQ_INT(x.rc, 0);
        ASSERT_EQ_INT(x.gen, 1);
    }
    ASSERT_EQ_INT(get_all(fd, dg(32000), &b).rc, 2);
    ASSERT_EQ_INT(kv_num(tinfo1(fd, "namespace/test"), "objects"), 0);
    rq_begin(&r, 0, 1, 0, 0, 0);                           /* a 16-byte bin name: still 21 */
    rq_key(&r, "test", "t", dg(32100));
    rq_op(&r, 2, 1, "sixteen_chars_xx", HEX("0000000000000001"), 8);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 21);
    rq_begin(&r, 0, 1, 0x08, 0, 0);                        /* update-only: runs as usual */
    rq_key(&r, "test", "t", dg(32101));
    rq_op_int(&r, 2, "a", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 2);
    ASSERT_EQ_INT(kv_num(tinfo1(fd, "statistics"), "testd_writes_discarded"), 50);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(lever_snapshot_survives_restart)
{
    char hosts[256], snap[600];
    const char *dir;
    struct tu_proc *p;
    int fd;
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;

    FAKE_ONLY();
    dir = tu_tmpdir();
    snprintf(snap, sizeof(snap), "%s/data.snap", dir);
    const char *args[] = {"--snapshot", snap, NULL};
    p = start(args, hosts, sizeof(hosts));
    fd = tconnect(hosts);
    for (uint32_t i = 0; i < 50; i++) {
        rq_begin(&r, 0, 1, 0, 0, 0);
        rq_key(&r, "test", "snap", dg(40000 + i));
        rq_field(&r, 2, HEX("03 6b 65 79"), 4);
        rq_op_int(&r, 2, "i", i);
        rq_op(&r, 2, 3, "s", "hello", 5);
        ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    }
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "snap", dg(40000));
    rq_op_int(&r, 2, "i", 100);
    ASSERT_EQ_INT(txn(fd, &r, &b).gen, 2);
    close(fd);
    ASSERT_EQ_INT(tu_proc_stop(p, SIGTERM, 10000), 0);
    tu_proc_free(p);
    p = start(args, hosts, sizeof(hosts));
    fd = tconnect(hosts);
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "snap", dg(40000));
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, 2);
    ASSERT_EQ_INT(rp_int(&x, "i"), 100);
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "snap", dg(40049));
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(rp_int(&x, "i"), 49);
    ASSERT_EQ_INT(x.no, 2);
    /* the stored key came back too: a different key is a mismatch */
    rq_begin(&r, 3, 0, 0, 0, 0);
    rq_key(&r, "test", "snap", dg(40001));
    rq_field(&r, 2, HEX("03 6b 65 78"), 4);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 19);
    ASSERT_CONTAINS(tinfo1(fd, "sets"), "ns=test:set=snap:objects=50:");
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(lever_pause_refuses_then_recovers)
{
    char hosts[256];
    struct tu_proc *p;
    int fd, fd2;
    struct buf b = BUF_INIT;
    uint64_t t0;

    FAKE_ONLY();
    p = start(NULL, hosts, sizeof(hosts));
    fd = tconnect(hosts);
    fd2 = tconnect(hosts);
    put_int(fd, dg(50000), "a", 7, &b);
    t0 = clock_mono_ms();
    ASSERT_EQ_STR(tinfo1(fd, "testd-pause:ms=1500"), "ok");
    ASSERT_TRUE(closed_by_peer(fd));
    ASSERT_TRUE(closed_by_peer(fd2));
    ASSERT_TRUE(tconnect_port(host_port(hosts, 0)) < 0);
    close(fd);
    close(fd2);
    fd = -1;
    while (fd < 0 && clock_mono_ms() - t0 < 10000) {
        sleep_ms(50);
        fd = tconnect_port(host_port(hosts, 0));
    }
    ASSERT_TRUE(fd >= 0);
    ASSERT_CMP_INT(clock_mono_ms() - t0, >=, 1400);
    struct rp x = get_all(fd, dg(50000), &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(rp_int(&x, "a"), 7);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST(lever_latency_keeps_order_and_other_connections)
{
    const char *args[] = {"--latency-ms", "300", NULL};
    char hosts[256];
    struct tu_proc *p;
    int fd, fd2;
    struct buf b = BUF_INIT, all = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    uint64_t t0;

    FAKE_ONLY();
    p = start(args, hosts, sizeof(hosts));
    fd = tconnect(hosts);
    fd2 = tconnect(hosts);
    for (int i = 0; i < 10; i++) {
        rq_begin(&r, 0, 1, 0, 0, 0);
        rq_key(&r, "test", "t", dg(60000));
        rq_op_int(&r, 2, "a", i);
        rq_end(&r);
        buf_append(&all, r.b.p, r.b.len);
    }
    t0 = clock_mono_ms();
    tsend(fd, all.p, all.len);
    tsend(fd2, all.p, all.len);
    for (int i = 0; i < 10; i++) {
        ASSERT_TRUE(trecv(fd, &b));
        ASSERT_EQ_INT(load_u32be(b.p + 14), i + 1);
    }
    for (int i = 0; i < 10; i++) {
        ASSERT_TRUE(trecv(fd2, &b));
        ASSERT_EQ_INT(load_u32be(b.p + 14), 11 + i);
    }
    uint64_t el = clock_mono_ms() - t0;
    ASSERT_CMP_INT(el, >=, 290);
    ASSERT_CMP_INT(el, <, 1500);                 /* both connections delayed concurrently */
    ASSERT_EQ_STR(tinfo1(fd, "testd-set:latency-ms=0"), "ok");
    t0 = clock_mono_ms();
    ASSERT_EQ_STR(tinfo1(fd, "build"), "8.1.2.0");
    ASSERT_CMP_INT(clock_mono_ms() - t0, <, 200);
    buf_free(&all);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    close(fd2);
    tu_proc_free(p);
}

TEST(cdt_list_map_and_compaction)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;
    const uint8_t *d = dg(70000);
    uint8_t op, pt;
    char name[64];
    const uint8_t *v;
    uint32_t vn;

    /* a list holding a cf-encoded 1 comes back as 01; key-ordered map byte-identical */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 20, "l", HEX("92 cf 00 00 00 00 00 00 00 01 d0 05"), 12);
    rq_op(&r, 2, 19, "m", HEX("83 c7 00 01 c0 ff a2 03 76 a2 03 6b 07"), 13);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    x = get_all(fd, d, &b);
    rp_op(&x, 0, &op, &pt, name, &v, &vn);
    ASSERT_EQ_INT(vn, 3);
    ASSERT_EQ_MEM(v, HEX("92 01 05"), 3);
    rp_op(&x, 1, &op, &pt, name, &v, &vn);
    ASSERT_EQ_INT(vn, 13);
    ASSERT_EQ_MEM(v, HEX("83 c7 00 01 c0 ff a2 03 76 a2 03 6b 07"), 13);
    /* map put "a" -> 1 into the key-ordered map: sorted after -1, before "k"; result size 3 */
    rq_begin(&r, 0, 0x81, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 4, 4, "m", HEX("93 43 a2 03 61 01"), 6);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(rp_int(&x, "m"), 3);
    x = get_all(fd, d, &b);
    rp_op(&x, 1, &op, &pt, name, &v, &vn);
    ASSERT_EQ_INT(vn, 17);
    ASSERT_EQ_MEM(v, HEX("84 c7 00 01 c0 ff a2 03 76 a2 03 61 01 a2 03 6b 07"), 17);
    /* list append on a missing bin creates it; on an integer bin: 12 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 4, 4, "n", HEX("92 01 a2 03 78"), 5);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(rp_int(&x, "n"), 1);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "i", 5);
    rq_op(&r, 4, 4, "i", HEX("92 01 01"), 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 12);
    /* malformed CDT payload: 4 */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 4, 4, "n", HEX("92 01"), 2);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}


/* A list already in stored form (a fixarray of small integers, nil, booleans and short strings)
 * is kept byte for byte; one a byte away from it takes the general path (compacted, or refused
 * when malformed). */
TEST(stored_form_lists_kept_and_others_normalised)
{
    static const struct {
        const char *in, *stored;   /* stored NULL: refused with 4 */
    } cases[] = {
        {"90", "90"},
        {"92 a3 03 74 30 05", "92 a3 03 74 30 05"},
        {"97 00 7f e0 ff c0 c2 c3", "97 00 7f e0 ff c0 c2 c3"},
        {"93 a0 a1 03 bf 03 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61",
         "93 a0 a1 03 bf 03 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61"},
        {"92 d9 03 03 74 30 05", "92 a3 03 74 30 05"},       /* str8 of a short string */
        {"92 cc 05 d0 fb", "92 05 fb"},                      /* integers not in their smallest form */
        {"dc 00 02 01 02", "92 01 02"},                      /* array16 of two */
        {"92 91 01 02", "92 91 01 02"},                      /* a nested list: general path, same bytes */
        {"93 a3 03 74", NULL},                               /* one element short */
        {"91 01 02", NULL},                                  /* a byte after the list */
        {"91 a5 03 74", NULL},                               /* a string running past the end */
        {"92 01 c1", NULL},                                  /* 0xc1 is no MessagePack */
    };
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const uint8_t *d = dg(71000 + (int)i);
        uint8_t op, pt;
        char name[64];
        const uint8_t *v;
        uint32_t vn;
        struct rp x;
        uint8_t want[64];
        size_t want_len;

        rq_begin(&r, 0, 1, 0, 0, 0);
        rq_key(&r, "test", "t", d);
        rq_op(&r, 2, 20, "l", HEX(cases[i].in), (uint32_t)HEX_LEN(cases[i].in));
        x = txn(fd, &r, &b);
        if (!cases[i].stored) {
            if (x.rc != 4)
                TEST_FAIL("list %s: result %d, want 4", cases[i].in, x.rc);
            continue;
        }
        if (x.rc != 0)
            TEST_FAIL("list %s: result %d, want 0", cases[i].in, x.rc);
        want_len = HEX_LEN(cases[i].stored);
        memcpy(want, HEX(cases[i].stored), want_len);
        x = get_all(fd, d, &b);
        rp_op(&x, 0, &op, &pt, name, &v, &vn);
        ASSERT_EQ_INT(pt, 20);
        if (vn != want_len || memcmp(v, want, vn) != 0)
            TEST_FAIL("list %s: stored %u bytes, want %s", cases[i].in, vn, cases[i].stored);
    }
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* get_all of @d must be gen @gen and bins names[i] = (pts[i], vals[i] of lens[i]) in order. */
static void expect_bins(int fd, const uint8_t *d, struct buf *b, uint32_t gen, int n,
                        const char *const names[], const uint8_t pts[], const uint8_t *const vals[],
                        const uint32_t lens[])
{
    struct rp x = get_all(fd, d, b);
    uint8_t op, pt;
    char name[64];
    const uint8_t *v;
    uint32_t vn;

    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.gen, gen);
    ASSERT_EQ_INT(x.no, n);
    for (int i = 0; i < n; i++) {
        rp_op(&x, i, &op, &pt, name, &v, &vn);
        ASSERT_EQ_STR(name, names[i]);
        ASSERT_EQ_INT(pt, pts[i]);
        ASSERT_EQ_INT(vn, lens[i]);
        ASSERT_EQ_MEM(v, vals[i], lens[i]);
    }
}

/* Writes that replace every bin of a record in its stored order (the shape of a connector's
 * full-record update): type changes, short integers widened to 8 bytes, lists compacted, a
 * value that outgrows the record's room, a bad list and a record over max-record-size failing
 * with nothing changed, and the same bins in another order keeping the stored order. */
TEST(rewrite_of_every_bin_in_stored_order)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    const uint8_t *d = dg(80000);
    const char *names[] = {"s", "i", "l"};
    size_t big_n = AERO_DEFAULT_MAX_RECORD_SIZE;
    uint8_t *big = calloc(1, big_n);
    /* the record after the write of a value bigger than its room (checked twice) */
    static const uint8_t minus_one[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t empty_list[1] = {0x90};
    const uint8_t big_pts[] = {1, 4, 20};
    const uint8_t *big_vals[] = {minus_one, big, empty_list};
    const uint32_t big_lens[] = {8, 3000, 1};

    ASSERT_TRUE(big != NULL);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 3, "s", "ab", 2);
    rq_op_int(&r, 2, "i", 7);
    rq_op(&r, 2, 20, "l", HEX("92 01 02"), 3);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    {
        const uint8_t pts[] = {3, 1, 20};
        const uint8_t *vals[] = {(const uint8_t *)"ab", HEX("00 00 00 00 00 00 00 07"), HEX("92 01 02")};
        const uint32_t lens[] = {2, 8, 3};
        expect_bins(fd, d, &b, 1, 3, names, pts, vals, lens);
    }
    /* every bin in order: string -> 2-byte integer, integer -> string, list sent uncompacted */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 1, "s", HEX("01 02"), 2);
    rq_op(&r, 2, 3, "i", "xy", 2);
    rq_op(&r, 2, 20, "l", HEX("92 cf 00 00 00 00 00 00 00 01 d0 05"), 12);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    {
        const uint8_t pts[] = {1, 3, 20};
        const uint8_t *vals[] = {HEX("00 00 00 00 00 00 01 02"), (const uint8_t *)"xy", HEX("92 01 05")};
        const uint32_t lens[] = {8, 2, 3};
        expect_bins(fd, d, &b, 2, 3, names, pts, vals, lens);
    }
    /* a value far bigger than the record's room */
    memset(big, 'z', 3000);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "s", -1);
    rq_op(&r, 2, 4, "i", big, 3000);
    rq_op(&r, 2, 20, "l", HEX("90"), 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    expect_bins(fd, d, &b, 3, 3, names, big_pts, big_vals, big_lens);
    /* a malformed list (parameter error) and a record over max-record-size change nothing */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 3, "s", "no", 2);
    rq_op(&r, 2, 3, "i", "no", 2);
    rq_op(&r, 2, 20, "l", HEX("92 01"), 2);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 3, "s", "no", 2);
    rq_op(&r, 2, 4, "i", big, big_n);
    rq_op(&r, 2, 20, "l", HEX("90"), 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 13);
    expect_bins(fd, d, &b, 3, 3, names, big_pts, big_vals, big_lens);
    /* back to small values; then the same bins in another order keep the stored order */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 3, "s", "s1", 2);
    rq_op(&r, 2, 3, "i", "i1", 2);
    rq_op(&r, 2, 3, "l", "l1", 2);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 3, "l", "l2", 2);
    rq_op(&r, 2, 3, "s", "s2", 2);
    rq_op(&r, 2, 3, "i", "i2", 2);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    {
        const uint8_t pts[] = {3, 3, 3};
        const uint8_t *vals[] = {(const uint8_t *)"s2", (const uint8_t *)"i2", (const uint8_t *)"l2"};
        const uint32_t lens[] = {2, 2, 2};
        expect_bins(fd, d, &b, 5, 3, names, pts, vals, lens);
    }
    free(big);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* Creating records: plain writes land in the ops' order with the usual conversions (short
 * integers widened, lists compacted); a bin written twice keeps the last value, a NULL write
 * leaves no bin, a bad list fails the create with nothing stored. */
TEST(create_of_new_records)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};

    rq_begin(&r, 0, 1, 0, 0, 0);                        /* plain writes to distinct bins */
    rq_key(&r, "test", "t", dg(90001));
    rq_op(&r, 2, 20, "l", HEX("92 cf 00 00 00 00 00 00 00 01 d0 05"), 12);
    rq_op(&r, 2, 1, "i", HEX("01 02"), 2);
    rq_op(&r, 2, 3, "s", "ab", 2);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    {
        const char *names[] = {"l", "i", "s"};
        const uint8_t pts[] = {20, 1, 3};
        const uint8_t *vals[] = {HEX("92 01 05"), HEX("00 00 00 00 00 00 01 02"), (const uint8_t *)"ab"};
        const uint32_t lens[] = {3, 8, 2};
        expect_bins(fd, dg(90001), &b, 1, 3, names, pts, vals, lens);
    }
    rq_begin(&r, 0, 1, 0, 0, 0);                        /* a bin written twice: the last wins */
    rq_key(&r, "test", "t", dg(90002));
    rq_op(&r, 2, 3, "a", "first", 5);
    rq_op(&r, 2, 3, "b", "bee", 3);
    rq_op(&r, 2, 3, "a", "last", 4);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    {
        const char *names[] = {"a", "b"};
        const uint8_t pts[] = {3, 3};
        const uint8_t *vals[] = {(const uint8_t *)"last", (const uint8_t *)"bee"};
        const uint32_t lens[] = {4, 3};
        expect_bins(fd, dg(90002), &b, 1, 2, names, pts, vals, lens);
    }
    rq_begin(&r, 0, 1, 0, 0, 0);                        /* a NULL write stores no bin */
    rq_key(&r, "test", "t", dg(90003));
    rq_op(&r, 2, 3, "a", "x", 1);
    rq_op(&r, 2, 0, "n", "", 0);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    {
        const char *names[] = {"a"};
        const uint8_t pts[] = {3};
        const uint8_t *vals[] = {(const uint8_t *)"x"};
        const uint32_t lens[] = {1};
        expect_bins(fd, dg(90003), &b, 1, 1, names, pts, vals, lens);
    }
    rq_begin(&r, 0, 1, 0, 0, 0);                        /* a malformed list: nothing created */
    rq_key(&r, "test", "t", dg(90004));
    rq_op(&r, 2, 3, "a", "x", 1);
    rq_op(&r, 2, 20, "l", HEX("92 01"), 2);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 4);
    ASSERT_EQ_INT(get_all(fd, dg(90004), &b).rc, 2);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* The project's codec (src/aerospike) against the server's independent parser: requests
 * built with aero_msg_*, digests from aero_digest, replies parsed with aero_msg_parse. */
TEST(codec_client_roundtrip)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT, reply = BUF_INIT;
    struct aero_msg m;
    struct aero_msg_view v;
    struct aero_bin_view bin;
    struct err e = {0};
    uint8_t digest[20];
    struct aero_key_value key = {AERO_PT_STRING, 0, (const uint8_t *)"key1", 4};
    const uint8_t *cur;
    int seen = 0;

    aero_digest("demo", 4, &key, digest);
    ASSERT_EQ_MEM(digest, HEX(DEMO_DIGEST), 20);
    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, digest, &key);
    aero_msg_op_int(&m, AERO_OP_WRITE, "n", 1, -5);
    aero_msg_op_double(&m, AERO_OP_WRITE, "d", 1, 2.5);
    aero_msg_op_bool(&m, AERO_OP_WRITE, "t", 1, true);
    aero_msg_op_open(&m, AERO_OP_WRITE, AERO_PT_MAP, "m", 1);
    aero_mp_map(&b, 3);
    aero_mp_map_flags(&b, 1);
    aero_mp_int(&b, -1);
    aero_mp_str(&b, "v", 1);
    aero_mp_str(&b, "k", 1);
    aero_mp_int(&b, 7);
    aero_msg_op_close(&m);
    ASSERT_OK_E(aero_msg_end(&m, &e), &e);
    tsend(fd, b.p, b.len);
    ASSERT_TRUE(trecv(fd, &reply));
    ASSERT_OK_E(aero_msg_parse(reply.p + 8, reply.len - 8, &v, &e), &e);
    ASSERT_EQ_INT(v.result_code, 0);
    ASSERT_EQ_INT(v.generation, 1);

    buf_reset(&b);
    aero_msg_begin(&m, &b, AERO_INFO1_READ | AERO_INFO1_GET_ALL, 0, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, digest, NULL);
    ASSERT_OK_E(aero_msg_end(&m, &e), &e);
    tsend(fd, b.p, b.len);
    ASSERT_TRUE(trecv(fd, &reply));
    ASSERT_OK_E(aero_msg_parse(reply.p + 8, reply.len - 8, &v, &e), &e);
    ASSERT_EQ_INT(v.result_code, 0);
    ASSERT_EQ_INT(v.n_ops, 4);
    cur = v.ops;
    while (aero_msg_next_bin(&v, &cur, &bin, &e) == ST_OK) {
        ASSERT_EQ_INT(bin.op, AERO_OP_READ);
        if (bin.name_len == 1 && bin.name[0] == 'n') {
            ASSERT_EQ_INT(bin.particle, AERO_PT_INTEGER);
            ASSERT_EQ_INT((int64_t)load_u64be(bin.value), -5);
        } else if (bin.name_len == 1 && bin.name[0] == 't') {
            ASSERT_EQ_INT(bin.particle, AERO_PT_BOOL);
            ASSERT_EQ_INT(bin.value[0], 1);
        } else if (bin.name_len == 1 && bin.name[0] == 'm') {
            ASSERT_EQ_INT(bin.particle, AERO_PT_MAP);
            ASSERT_EQ_INT(bin.value_len, 13);
            ASSERT_EQ_MEM(bin.value, HEX("83 c7 00 01 c0 ff a2 03 76 a2 03 6b 07"), 13);
        }
        seen++;
    }
    ASSERT_EQ_INT(seen, 4);
    buf_free(&b);
    buf_free(&reply);
    close(fd);
    tu_proc_free(p);
}

static double rp_double(const struct rp *r, int idx)
{
    uint8_t op, pt;
    char name[64];
    const uint8_t *v;
    uint32_t n;
    uint64_t bits;
    double d;
    rp_op(r, idx, &op, &pt, name, &v, &n);
    ASSERT_EQ_INT(pt, 2);
    ASSERT_EQ_INT(n, 8);
    bits = load_u64be(v);
    memcpy(&d, &bits, 8);
    return d;
}

TEST(operate_ops_and_respond_all)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts), msgs;
    struct buf b = BUF_INIT, rows = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    struct rp x;
    const uint8_t *d = dg(80000);
    uint8_t op, pt, f15[8], f10[8];
    char name[64];
    const uint8_t *v;
    uint32_t vn;
    double one_five = 1.5, one = 1.0;
    uint64_t bits;

    memcpy(&bits, &one_five, 8);
    store_u64be(f15, bits);
    memcpy(&bits, &one, 8);
    store_u64be(f10, bits);
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 2, 3, "s", "ab", 2);
    rq_op(&r, 2, 2, "f", f15, 8);
    rq_op_int(&r, 2, "i", 1);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    /* append, prepend, float incr, then read both */
    rq_begin(&r, 1, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 9, 3, "s", "cd", 2);
    rq_op(&r, 10, 3, "s", "xx", 2);
    rq_op(&r, 5, 2, "f", f10, 8);
    rq_op(&r, 1, 0, "s", NULL, 0);
    rq_op(&r, 1, 0, "f", NULL, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.no, 2);
    rp_op(&x, 0, &op, &pt, name, &v, &vn);
    ASSERT_EQ_INT(pt, 3);
    ASSERT_TRUE(vn == 6 && memcmp(v, "xxabcd", 6) == 0);
    ASSERT_EQ_DBL(rp_double(&x, 1), 2.5);
    /* float operand on an integer bin: 12, nothing applied */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 5, 2, "i", f10, 8);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 12);
    ASSERT_EQ_INT(x.gen, 2);
    /* RESPOND_ALL_OPS: one op back per op, writes as op 2 particle 0, missing bins particle 0 */
    rq_begin(&r, 1, 0x81, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 2, "a", 1);
    rq_op(&r, 1, 0, "a", NULL, 0);
    rq_op(&r, 1, 0, "zz", NULL, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.no, 3);
    ASSERT_EQ_MEM(x.ops, HEX("00 00 00 05 02 00 00 01 61 | 00 00 00 0d 01 01 00 01 61 00 00 00 00 00 00 00 01 |"
                             "00 00 00 06 01 00 00 02 7a 7a"), 9 + 17 + 10);
    /* GET_ALL in an operate: incr then all bins */
    rq_begin(&r, 3, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op_int(&r, 5, "i", 10);
    rq_op(&r, 1, 0, "", NULL, 0);
    x = txn(fd, &r, &b);
    ASSERT_EQ_INT(x.rc, 0);
    ASSERT_EQ_INT(x.no, 4);
    ASSERT_EQ_INT(rp_int(&x, "i"), 11);
    /* DELETE_ALL then a write: only the new bin is left */
    rq_begin(&r, 0, 1, 0, 0, 0);
    rq_key(&r, "test", "t", d);
    rq_op(&r, 14, 0, "", NULL, 0);
    rq_op_int(&r, 2, "n", 5);
    ASSERT_EQ_INT(txn(fd, &r, &b).rc, 0);
    x = get_all(fd, d, &b);
    ASSERT_EQ_INT(x.no, 1);
    ASSERT_EQ_INT(rp_int(&x, "n"), 5);
    if (!tu_aerospike_is_real()) {
        /* batch without "respond all keys" (parent flags 0x08): a row error other than
         * 2/27 becomes the overall result in LAST and no row replies are sent */
        struct buf m = BUF_INIT;
        uint8_t h[8];
        const char *bad =
            "16 08 00 00 00 00 00000000 00000000 000003e8 0001 0000"
            "00 00 00 00 29 | 00 00 00 02 | 08"
            "00 00 00 00 0065a7c9e6294e7f2957b0fa8b4936c55181fbfc 0e | 00 01 00 | 00 00 | 00 00 00 00 | 00 01 00 01"
            "00 00 00 05 00 74 65 73 74 | 00 00 00 0d 02 01 00 01 77 00 00 00 00 00 00 00 09"
            "00 00 00 01 0065a7c9e6294e7f2957b0fa8b4936c55181fbfc 0e | 00 01 00 | 00 00 | 00 00 00 00 | 00 01 00 01"
            "00 00 00 05 00 74 65 73 74 | 00 00 00 1c 02 01 00 10 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61"
            "00 00 00 00 00 00 00 09";
        size_t n = HEX_LEN(bad);
        buf_append(&m, HEX(bad), n);
        store_u32be(m.p + 22, (uint32_t)(n - 22 - 4));
        store_u64be(h, (2ull << 56) | (3ull << 48) | n);
        tsend(fd, h, 8);
        tsend(fd, m.p, m.len);
        ASSERT_EQ_INT(batch_collect(fd, &rows, &msgs), 21);
        ASSERT_EQ_INT(rows.len, 0);
        /* the same with "respond all keys" (0x0c): two rows, 0 and 21, LAST 0 */
        m.p[22 + 5 + 4] = 0x0c;
        tsend(fd, h, 8);
        tsend(fd, m.p, m.len);
        ASSERT_EQ_INT(batch_collect(fd, &rows, &msgs), 0);
        {
            struct rp r0, r1;
            rp_parse_at(rows.p, rows.len, &r0);
            rp_parse_at(r0.end, (size_t)(rows.p + rows.len - r0.end), &r1);
            ASSERT_EQ_INT(r0.rc, 0);
            ASSERT_EQ_INT(r0.tt, 0);
            ASSERT_EQ_INT(r1.rc, 21);
            ASSERT_EQ_INT(r1.tt, 1);
        }
        buf_free(&m);
    }
    buf_free(&rows);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

/* Record storage under churn: thousands of records (the table grows several times), deletes
 * (backward-shift), rewrites that fit the record's block (rewritten in place), outgrow it or
 * keep a bin (a new block), and writes that read a bin before replacing it (the reply needs
 * the old value, so no rewrite in place); every record then reads back exactly. */
#define CHURN_N 6000

static bool churn_reread(uint32_t i)
{
    return i % 3 != 0 && i % 299 == 1;
}

static size_t churn_len(uint32_t i)
{
    return i % 50 + (i % 3 == 1 ? 100 : 0);
}

static void churn_put(struct rq *r, struct buf *all, uint32_t i, int64_t a, size_t slen, char c,
                      bool read_s)
{
    char s[256];
    memset(s, c, slen);
    rq_begin(r, read_s ? 1 : 0, 1, 0, 0, 0);
    rq_key(r, "test", "t", dg(5000 + i));
    rq_op_int(r, 2, "a", a);
    if (read_s)
        rq_op(r, 1, 0, "s", NULL, 0);
    if (c)
        rq_op(r, 2, 3, "s", s, slen);
    rq_end(r);
    buf_append(all, r->b.p, r->b.len);
}

static void churn_replies(int fd, struct buf *b, int n)
{
    for (int i = 0; i < n; i++) {
        ASSERT_TRUE(trecv(fd, b));
        ASSERT_EQ_INT(b->p[13], 0);
    }
}

TEST(store_churn_reads_back)
{
    char hosts[256];
    struct tu_proc *p = start(NULL, hosts, sizeof(hosts));
    int fd = tconnect(hosts);
    struct buf b = BUF_INIT, all = BUF_INIT;
    struct rq r = {BUF_INIT, 0, 0};
    int n = 0;

    for (uint32_t i = 0; i < CHURN_N; i++, n++)
        churn_put(&r, &all, i, i, i % 50, (char)('a' + i % 26), false);
    tsend(fd, all.p, all.len);
    churn_replies(fd, &b, n);
    buf_reset(&all);
    n = 0;
    for (uint32_t i = 0; i < CHURN_N; i++, n++) {
        if (i % 3 == 0) {                    /* delete */
            rq_begin(&r, 0, 1 | 2, 0, 0, 0);
            rq_key(&r, "test", "t", dg(5000 + i));
            rq_end(&r);
            buf_append(&all, r.b.p, r.b.len);
        } else if (i % 3 == 1) {             /* outgrow the block */
            churn_put(&r, &all, i, i + 1, churn_len(i), (char)('a' + i % 26), false);
        } else {                             /* same sizes, then keep "s" (partial update) */
            churn_put(&r, &all, i, i + 1, churn_len(i), (char)('a' + i % 26), false);
            churn_put(&r, &all, i, i + 2, 0, 0, false);
            n++;
        }
    }
    tsend(fd, all.p, all.len);
    churn_replies(fd, &b, n);
    for (uint32_t i = 0; i < CHURN_N; i++) {  /* read "s", then replace it: same size */
        char want[256];
        struct rp x;
        uint8_t op, pt;
        char name[64];
        const uint8_t *v;
        uint32_t vn;
        if (!churn_reread(i))
            continue;
        buf_reset(&all);
        churn_put(&r, &all, i, 7, churn_len(i), 'Z', true);
        tsend(fd, all.p, all.len);
        ASSERT_TRUE(trecv(fd, &b));
        rp_parse_at(b.p + 8, b.len - 8, &x);
        ASSERT_EQ_INT(x.rc, 0);
        ASSERT_EQ_INT(x.no, 1);
        rp_op(&x, 0, &op, &pt, name, &v, &vn);
        ASSERT_EQ_STR(name, "s");
        ASSERT_EQ_INT(vn, churn_len(i));
        memset(want, (int)('a' + i % 26), vn);
        ASSERT_EQ_MEM(v, want, vn);
    }
    for (uint32_t i = 0; i < CHURN_N; i++) {
        struct rp x = get_all(fd, dg(5000 + i), &b);
        uint8_t op, pt;
        char name[64], want[256];
        const uint8_t *v;
        uint32_t vn;
        size_t slen = churn_len(i);
        if (i % 3 == 0) {
            ASSERT_EQ_INT(x.rc, 2);
            continue;
        }
        ASSERT_EQ_INT(x.rc, 0);
        ASSERT_EQ_INT(x.gen, (i % 3 == 1 ? 2 : 3) + churn_reread(i));
        ASSERT_EQ_INT(x.no, 2);
        ASSERT_EQ_INT(rp_int(&x, "a"), churn_reread(i) ? 7 : (int64_t)i + i % 3);
        rp_op(&x, 1, &op, &pt, name, &v, &vn);
        ASSERT_EQ_STR(name, "s");
        ASSERT_EQ_INT(vn, slen);
        memset(want, churn_reread(i) ? 'Z' : (int)('a' + i % 26), slen);
        ASSERT_EQ_MEM(v, want, slen);
    }
    buf_free(&all);
    buf_free(&r.b);
    buf_free(&b);
    close(fd);
    tu_proc_free(p);
}

TEST_LIST = {
    T(cli_help_bad_args_busy_port),
    T(prefault_memory_is_resident_before_ready),
    T(doc_13_1_put_and_13_4_reads),
    T(doc_13_5_operate_touch_delete),
    T(doc_13_6_batch_read_and_13_7_batch_write),
    T(framing_and_message_errors),
    T(write_policies_and_generation),
    T(limits_and_error_codes),
    T(max_record_size_counts_overhead),
    T(ttl_rules_and_expiry),
    T(no_nsup_forbids_ttl),
    T(bin_order_swap_remove_and_generation_wrap),
    T(pipelining_in_order),
    T(hundred_parallel_connections),
    T(info_outputs),
    T(cluster_three_nodes),
    T(lever_fail_rate_applies_nothing),
    T(lever_discard_writes_answers_and_keeps_nothing),
    T(lever_snapshot_survives_restart),
    T(lever_pause_refuses_then_recovers),
    T(lever_latency_keeps_order_and_other_connections),
    T(rewrite_of_every_bin_in_stored_order),
    T(create_of_new_records),
    T(cdt_list_map_and_compaction),
    T(stored_form_lists_kept_and_others_normalised),
    T(codec_client_roundtrip),
    T(operate_ops_and_respond_all),
    T(store_churn_reads_back),
    {0},
};
