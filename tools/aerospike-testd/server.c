/* tools/aerospike-testd/server.c: the epoll loop of aerospike-testd.
 * One thread, non-blocking sockets, level-triggered epoll. Per connection the server reads
 * what is there, executes every complete message strictly in arrival order and queues the
 * replies in the same order (pipelining, wire doc §10.2). Back-pressure: a connection whose
 * unsent replies exceed OUT_HIGH is not read until they drain. With --latency-ms replies wait
 * in a per-connection FIFO until due, without blocking anything else.
 * Nodes (--nodes N) are listeners on consecutive ports sharing one store; the partition map
 * is rendezvous hashing over live nodes (master + one replica), recomputed on membership
 * changes (testd-node), which bump partition-generation and peers-generation. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "testd.h"

#define OUT_HIGH (8u << 20)
#define READ_CHUNK (256u << 10)
#define LISTEN_TAG (1ull << 63)

struct dly {
    uint64_t due_ms;
    size_t end;          /* reply bytes [prev end, end) of conn->delayed */
};

struct conn {
    int fd, node;
    struct buf in, out, delayed;
    size_t in_off, out_off;
    struct dly *dq;
    size_t dq_head, dq_n, dq_cap;
    bool ua_set, close_after_flush, eof, dead, want_out, reading;
    struct conn *next, *prev;
    SSL *ssl;            /* --tls-cert: TLS on every connection */
    bool handshaking, ssl_wants_write;
    struct td_auth auth; /* security (--user) */
};

struct td_server {
    struct td_ctx *c;
    struct buf tmp;      /* one reply being built */
    int ep;
    struct conn *conns;
    struct conn *dead;
    bool paused;
    SSL_CTX *tls;
};

uint64_t td_rand(struct td_ctx *c)
{
    uint64_t x = c->rng ? c->rng : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

void td_ctx_rebalance(struct td_ctx *c, bool bump)
{
    for (int pid = 0; pid < AERO_PARTITIONS; pid++) {
        int best = -1, second = -1;
        uint64_t hb = 0, hs = 0;
        for (int i = 0; i < c->n_nodes; i++) {
            uint64_t h;
            if (!c->nodes[i].up)
                continue;
            h = mix(c->nodes[i].id ^ ((uint64_t)pid * 0x9E3779B97F4A7C15ull));
            if (best < 0 || h > hb) {
                second = best;
                hs = hb;
                best = i;
                hb = h;
            } else if (second < 0 || h > hs) {
                second = i;
                hs = h;
            }
        }
        c->master[pid] = (int8_t)best;
        c->replica[pid] = (int8_t)second;
    }
    if (bump) {
        c->partition_gen++;
        c->peers_gen++;
        c->rebalance_gen++;
    }
}

void td_ctx_free(struct td_ctx *c)
{
    td_store_free(&c->store);
    buf_free(&c->scratch);
    buf_free(&c->cdt_res);
    buf_free(&c->reply_ops);
    mem_free(c->work);
    mem_free(c->results);
    mem_free(c->bin_index);
    td_security_free(&c->sec);
}

/* --- listeners --- */
static int listen_on(int port, struct err *e)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        err_set(e, ST_IO, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4096) != 0) {
        err_set(e, ST_IO, "cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int open_listener(struct td_server *s, int i, struct err *e)
{
    struct td_node *nd = &s->c->nodes[i];
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = LISTEN_TAG | (uint64_t)i};

    if (nd->listen_fd >= 0)
        return 0;
    nd->listen_fd = listen_on(nd->port, e);
    if (nd->listen_fd < 0)
        return -1;
    epoll_ctl(s->ep, EPOLL_CTL_ADD, nd->listen_fd, &ev);
    return 0;
}

static void close_listener(struct td_server *s, int i)
{
    struct td_node *nd = &s->c->nodes[i];
    if (nd->listen_fd >= 0) {
        epoll_ctl(s->ep, EPOLL_CTL_DEL, nd->listen_fd, NULL);
        close(nd->listen_fd);
        nd->listen_fd = -1;
    }
}

/* --- connections --- */
static void conn_close(struct td_server *s, struct conn *cn)
{
    if (cn->dead)
        return;
    cn->dead = true;
    epoll_ctl(s->ep, EPOLL_CTL_DEL, cn->fd, NULL);
    if (cn->ssl) {
        SSL_free(cn->ssl);    /* no close_notify: like a server dropping the socket */
        cn->ssl = NULL;
    }
    close(cn->fd);
    s->c->nodes[cn->node].conns--;
    s->c->nodes[cn->node].st.conns_closed++;
    if (cn->prev)
        cn->prev->next = cn->next;
    else
        s->conns = cn->next;
    if (cn->next)
        cn->next->prev = cn->prev;
    cn->next = s->dead;       /* freed after this round of events */
    cn->prev = NULL;
    s->dead = cn;
}

static void conn_free(struct conn *cn)
{
    buf_free(&cn->in);
    buf_free(&cn->out);
    buf_free(&cn->delayed);
    mem_free(cn->dq);
    mem_free(cn);
}

static void set_events(struct td_server *s, struct conn *cn)
{
    bool reading = cn->handshaking ||
                   (!cn->eof && !cn->close_after_flush && cn->out.len - cn->out_off < OUT_HIGH);
    bool want_out = cn->out.len > cn->out_off || cn->ssl_wants_write;
    struct epoll_event ev = {.events = (reading ? EPOLLIN : 0) | (want_out ? EPOLLOUT : 0),
                             .data.ptr = cn};

    if (reading == cn->reading && want_out == cn->want_out)
        return;
    cn->reading = reading;
    cn->want_out = want_out;
    epoll_ctl(s->ep, EPOLL_CTL_MOD, cn->fd, &ev);
}

static void process(struct td_server *s, struct conn *cn);
static void conn_read(struct td_server *s, struct conn *cn);

/* send/recv, through TLS when on: bytes, 0 at EOF (recv), -1 with errno (EAGAIN: wait). */
static ssize_t io_send(struct conn *cn, const void *p, size_t n)
{
    int r, err;

    if (!cn->ssl)
        return send(cn->fd, p, n, MSG_NOSIGNAL);
    cn->ssl_wants_write = false;
    ERR_clear_error();
    r = SSL_write(cn->ssl, p, (int)MIN(n, (size_t)INT32_MAX));
    if (r > 0)
        return r;
    err = SSL_get_error(cn->ssl, r);
    errno = err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ ? EAGAIN : EPIPE;
    return -1;
}

static ssize_t io_recv(struct conn *cn, void *p, size_t n)
{
    int r, err;

    if (!cn->ssl)
        return recv(cn->fd, p, n, 0);
    ERR_clear_error();
    r = SSL_read(cn->ssl, p, (int)MIN(n, (size_t)INT32_MAX));
    if (r > 0)
        return r;
    err = SSL_get_error(cn->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        cn->ssl_wants_write = err == SSL_ERROR_WANT_WRITE;
        errno = EAGAIN;
        return -1;
    }
    if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0))
        return 0;
    errno = EPROTO;
    return -1;
}

/* One TLS handshake step; false when the connection was closed. */
static bool handshake(struct td_server *s, struct conn *cn)
{
    int r, err;

    ERR_clear_error();
    r = SSL_do_handshake(cn->ssl);
    cn->ssl_wants_write = false;
    if (r == 1) {
        X509 *peer = SSL_get1_peer_certificate(cn->ssl);
        cn->handshaking = false;
        if (peer && SSL_get_verify_result(cn->ssl) == X509_V_OK)
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn->auth.cert_cn,
                                      sizeof(cn->auth.cert_cn));
        X509_free(peer);
        return true;
    }
    err = SSL_get_error(cn->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        cn->ssl_wants_write = err == SSL_ERROR_WANT_WRITE;
        set_events(s, cn);
        return true;
    }
    conn_close(s, cn);        /* refused handshake (bad certificate, clear-text client...) */
    return false;
}

static void conn_flush(struct td_server *s, struct conn *cn)
{
    if (cn->handshaking) {
        conn_read(s, cn);
        return;
    }
again:
    while (cn->out.len > cn->out_off) {
        ssize_t n = io_send(cn, cn->out.p + cn->out_off, cn->out.len - cn->out_off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_close(s, cn);        /* reply-send failure: connection closed */
            return;
        }
        cn->out_off += (size_t)n;
    }
    if (cn->out_off == cn->out.len) {
        buf_reset(&cn->out);
        cn->out_off = 0;
        if (cn->close_after_flush || (cn->eof && cn->dq_n == 0)) {
            conn_close(s, cn);
            return;
        }
    } else if (cn->out_off > (1u << 20) && cn->out_off * 2 > cn->out.len) {
        buf_consume(&cn->out, cn->out_off);
        cn->out_off = 0;
    }
    /* requests left unprocessed by back-pressure: no new bytes may ever wake us for them */
    if (cn->in.len > cn->in_off && cn->out.len - cn->out_off < OUT_HIGH && !cn->close_after_flush) {
        size_t before = cn->in.len - cn->in_off;
        process(s, cn);
        if (cn->dead)
            return;
        if (cn->in.len - cn->in_off != before && cn->out.len > cn->out_off)
            goto again;
    }
    set_events(s, cn);
}

static void close_node_conns(struct td_server *s, int node, struct conn *except)
{
    struct conn *cn = s->conns, *next;
    for (; cn; cn = next) {
        next = cn->next;
        if (node >= 0 && cn->node != node)
            continue;
        if (cn == except)
            cn->close_after_flush = true;
        else
            conn_close(s, cn);
    }
}

static void apply_action(struct td_server *s, struct conn *cn, const struct td_info_result *r)
{
    struct td_ctx *c = s->c;
    struct err e = {0};

    if (r->act == TD_ACT_PAUSE) {
        c->paused_until_ms = clock_mono_ms() + r->pause_ms;
        s->paused = true;
        for (int i = 0; i < c->n_nodes; i++)
            close_listener(s, i);
        close_node_conns(s, -1, cn);
    } else if (r->act == TD_ACT_NODE) {
        struct td_node *nd = &c->nodes[r->node];
        if (nd->up == r->node_up)
            return;
        nd->up = r->node_up;
        if (!nd->up) {
            close_listener(s, r->node);
            close_node_conns(s, r->node, cn);
        } else if (!s->paused && open_listener(s, r->node, &e) != 0) {
            fprintf(stderr, "aerospike-testd: node %d: %s\n", r->node + 1, e.msg);
        }
        td_ctx_rebalance(c, true);
    }
}

/* Queue a reply (bytes appended to @tmp) on the connection, delayed or not. */
static void queue_reply(struct td_server *s, struct conn *cn, struct buf *tmp)
{
    if (s->c->latency_ms == 0 && cn->dq_n == 0) {
        buf_append(&cn->out, tmp->p, tmp->len);
        return;
    }
    if (cn->dq_head + cn->dq_n == cn->dq_cap) {
        if (cn->dq_head > 0) {
            memmove(cn->dq, cn->dq + cn->dq_head, cn->dq_n * sizeof(*cn->dq));
            cn->dq_head = 0;
        } else {
            size_t cap = cn->dq_cap ? cn->dq_cap * 2 : 64;
            struct dly *p = mem_realloc(cn->dq, cap * sizeof(*p));
            if (!p) {
                conn_close(s, cn);
                return;
            }
            cn->dq = p;
            cn->dq_cap = cap;
        }
    }
    buf_append(&cn->delayed, tmp->p, tmp->len);
    cn->dq[cn->dq_head + cn->dq_n++] = (struct dly){clock_mono_ms() + s->c->latency_ms,
                                                    cn->delayed.len};
}

/* Move due delayed replies to the output; returns ms until the next one is due (or -1). */
static int64_t release_due(struct td_server *s, struct conn *cn, uint64_t now)
{
    size_t moved = 0;
    while (cn->dq_n && cn->dq[cn->dq_head].due_ms <= now) {
        moved = cn->dq[cn->dq_head].end;
        cn->dq_head++;
        cn->dq_n--;
    }
    if (moved) {
        buf_append(&cn->out, cn->delayed.p, moved);
        buf_consume(&cn->delayed, moved);
        for (size_t i = 0; i < cn->dq_n; i++)
            cn->dq[cn->dq_head + i].end -= moved;
        if (cn->dq_n == 0)
            cn->dq_head = 0;
        conn_flush(s, cn);
    }
    return cn->dq_n ? (int64_t)(cn->dq[cn->dq_head].due_ms - now) : -1;
}

/* Prefetch pipeline over the pipelined requests in the input buffer (see td_exec_prefetch):
 * the slot of the request PF_SLOT_AHEAD ahead of the one executing is fetched, then its record
 * PF_REC_AHEAD ahead, so the two table misses of each write overlap with other work. */
#define PF_SLOT_AHEAD 16
#define PF_REC_AHEAD 8

struct prefetcher {
    size_t at;                   /* next frame to look at (offset in cn->in) */
    bool more;
    uint32_t slots, recs;        /* frames whose slot / record was prefetched */
    struct td_prefetch ring[PF_SLOT_AHEAD];
};

static void prefetch_frames(struct td_ctx *c, const struct conn *cn, struct prefetcher *pf,
                            uint32_t done)
{
    while (pf->more && pf->slots < done + PF_SLOT_AHEAD) {
        const uint8_t *p = cn->in.p + pf->at;
        size_t avail = cn->in.len - pf->at;
        uint8_t type = 0;
        uint64_t size = 0;
        struct td_prefetch *e = &pf->ring[pf->slots % PF_SLOT_AHEAD];

        if (td_frame_check(p, avail, &type, &size) != TD_FRAME_OK ||
            avail < AERO_PROTO_HEADER_SZ + size) {
            pf->more = false;
            break;
        }
        e->ns = NULL;
        if (type == AERO_PROTO_MSG)
            td_exec_prefetch(c, p + AERO_PROTO_HEADER_SZ, size, e);
        pf->at += AERO_PROTO_HEADER_SZ + size;
        pf->slots++;
    }
    for (; pf->recs < pf->slots && pf->recs < done + PF_REC_AHEAD; pf->recs++) {
        const struct td_prefetch *e = &pf->ring[pf->recs % PF_SLOT_AHEAD];
        if (e->ns)
            td_rec_prefetch_rec(e->ns, e->digest);
    }
}

/* Execute every complete message in the input buffer, in order. */
static void process(struct td_server *s, struct conn *cn)
{
    struct td_ctx *c = s->c;
    struct buf *tmp = &s->tmp;
    struct prefetcher pf = {.at = cn->in_off, .more = true};
    uint32_t done = 0;

    c->now_cl = td_now_cl();
    while (!cn->dead && !cn->close_after_flush && cn->out.len - cn->out_off < OUT_HIGH) {
        prefetch_frames(c, cn, &pf, ++done);
        const uint8_t *p = cn->in.p + cn->in_off;
        size_t avail = cn->in.len - cn->in_off;
        uint8_t type = 0;
        uint64_t size = 0;
        enum td_frame fr = td_frame_check(p, avail, &type, &size);
        struct td_info_result ir = {0};

        if (fr == TD_FRAME_NEED_MORE)
            break;
        if (fr == TD_FRAME_CLOSE || type == 5) {
            conn_close(s, cn);
            return;
        }
        if (avail < AERO_PROTO_HEADER_SZ + size) {
            if (buf_reserve(&cn->in, AERO_PROTO_HEADER_SZ + size - avail) != ST_OK)
                conn_close(s, cn);
            break;
        }
        buf_reset(tmp);
        int deny = type == AERO_PROTO_ADMIN ? 0 : td_auth_check(c, &cn->auth);
        if (deny && type == AERO_PROTO_INFO) {
            buf_printf(tmp, "%s", deny == AERO_RC_SEC_ERR_NOT_AUTHENTICATED
                                      ? "XXXXXXXXERROR:80:not authenticated\n"
                                      : "XXXXXXXXERROR:66:session expired\n");
            store_u64be(tmp->p, ((uint64_t)AERO_PROTO_VERSION << 56) |
                                    ((uint64_t)AERO_PROTO_INFO << 48) | (tmp->len - 8));
        } else if (deny) {
            td_reply_rc(tmp, deny);
        } else if (type == AERO_PROTO_INFO) {
            td_info(c, cn->node, p + 8, size, &cn->ua_set, tmp, &ir);
        } else if (type == AERO_PROTO_ADMIN) {
            /* CE (no --user): 51 security not supported, socket stays usable */
            td_admin(c, &cn->auth, p + 8, size, tmp);
        } else if (type == AERO_PROTO_MSG) {
            td_exec_message(c, cn->node, p + 8, size, tmp);
        } else {
            td_reply_rc(tmp, AERO_RC_ERR_ENTERPRISE_ONLY);   /* compressed: EE only */
        }
        cn->in_off += AERO_PROTO_HEADER_SZ + size;
        queue_reply(s, cn, tmp);
        if (ir.act != TD_ACT_NONE)
            apply_action(s, cn, &ir);
    }
    if (cn->in_off == cn->in.len) {
        buf_reset(&cn->in);
        cn->in_off = 0;
    } else if (cn->in_off > 0 && cn->in_off * 2 >= cn->in.len) {
        buf_consume(&cn->in, cn->in_off);
        cn->in_off = 0;
    }
}

static void conn_read(struct td_server *s, struct conn *cn)
{
    if (cn->handshaking && (!handshake(s, cn) || cn->handshaking))
        return;
    for (int round = 0; round < 4 && !cn->dead && cn->reading; round++) {
        ssize_t n;
        if (buf_reserve(&cn->in, READ_CHUNK) != ST_OK) {
            conn_close(s, cn);
            return;
        }
        n = io_recv(cn, cn->in.p + cn->in.len, cn->in.cap - cn->in.len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_close(s, cn);
            break;
        }
        if (n == 0) {
            cn->eof = true;
        } else {
            cn->in.len += (size_t)n;
        }
        process(s, cn);
        if (cn->eof || ((size_t)n < READ_CHUNK / 2 && !(cn->ssl && SSL_pending(cn->ssl) > 0)))
            break;
    }
    if (!cn->dead)
        conn_flush(s, cn);
}

static void do_accept(struct td_server *s, int node)
{
    struct td_node *nd = &s->c->nodes[node];

    for (;;) {
        int fd = accept4(nd->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct conn *cn;
        int one = 1;
        if (fd < 0)
            return;
        if (s->paused || !nd->up || !(cn = mem_calloc(1, sizeof(*cn)))) {
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        cn->fd = fd;
        cn->node = node;
        cn->reading = true;
        if (s->tls) {
            if (!(cn->ssl = SSL_new(s->tls)) || SSL_set_fd(cn->ssl, fd) != 1) {
                SSL_free(cn->ssl);
                close(fd);
                mem_free(cn);
                continue;
            }
            SSL_set_accept_state(cn->ssl);
            cn->handshaking = true;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = cn};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            mem_free(cn);
            continue;
        }
        cn->next = s->conns;
        if (s->conns)
            s->conns->prev = cn;
        s->conns = cn;
        nd->conns++;
        nd->st.conns_opened++;
    }
}

/* Server TLS context: --tls-cert (chain), --tls-key, and with --tls-ca client certificates
 * are asked for and verified (pki login uses their CN); TLS 1.2 or newer. */
static SSL_CTX *tls_ctx(struct td_ctx *c, struct err *e)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char why[256] = "";

    if (!ctx) {
        err_set(e, ST_NOMEM, "TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1 ||
        (c->tls_ca && SSL_CTX_load_verify_locations(ctx, c->tls_ca, NULL) != 1)) {
        ERR_error_string_n(ERR_peek_last_error(), why, sizeof(why));
        err_set(e, ST_CONFIG, "--tls-cert %s / --tls-key %s%s%s: %s", c->tls_cert, c->tls_key,
                c->tls_ca ? " / --tls-ca " : "", c->tls_ca ? c->tls_ca : "", why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (c->tls_ca)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);   /* asked for, not required */
    return ctx;
}

struct td_server *td_server_new(struct td_ctx *c, struct err *e)
{
    struct td_server *s = mem_calloc(1, sizeof(*s));

    if (!s) {
        err_set(e, ST_NOMEM, "server");
        return NULL;
    }
    s->c = c;
    c->srv = s;
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    if (c->tls_cert && !(s->tls = tls_ctx(c, e)))
        goto fail;
    for (int i = 0; i < c->n_nodes; i++)
        c->nodes[i].listen_fd = -1;
    if (s->ep < 0) {
        err_set(e, ST_IO, "epoll: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < c->n_nodes; i++)
        if (open_listener(s, i, e) != 0)
            goto fail;
    return s;
fail:
    td_server_free(s);
    return NULL;
}

void td_server_free(struct td_server *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_close(s, s->conns);
    while (s->dead) {
        struct conn *n = s->dead->next;
        conn_free(s->dead);
        s->dead = n;
    }
    for (int i = 0; i < s->c->n_nodes; i++)
        close_listener(s, i);
    if (s->ep >= 0)
        close(s->ep);
    SSL_CTX_free(s->tls);
    s->c->srv = NULL;
    buf_free(&s->tmp);
    mem_free(s);
}

int td_server_run(struct td_server *s, volatile sig_atomic_t *stop)
{
    struct epoll_event evs[256];
    uint64_t last_sweep = clock_mono_ms();
    sigset_t run_mask;

    sigprocmask(SIG_SETMASK, NULL, &run_mask);
    sigdelset(&run_mask, SIGINT);
    sigdelset(&run_mask, SIGTERM);
    while (!*stop) {
        uint64_t now = clock_mono_ms();
        int64_t timeout = 1000;

        for (struct conn *cn = s->conns, *next; cn; cn = next) {
            next = cn->next;
            if (cn->dq_n) {
                int64_t t = release_due(s, cn, now);
                if (t >= 0 && t < timeout)
                    timeout = t;
            }
        }
        if (s->paused) {
            if (now >= s->c->paused_until_ms) {
                struct err e = {0};
                s->paused = false;
                for (int i = 0; i < s->c->n_nodes; i++)
                    if (s->c->nodes[i].up && open_listener(s, i, &e) != 0)
                        fprintf(stderr, "aerospike-testd: %s\n", e.msg);
            } else if ((int64_t)(s->c->paused_until_ms - now) < timeout) {
                timeout = (int64_t)(s->c->paused_until_ms - now);
            }
        }
        if (now - last_sweep >= 1000) {
            last_sweep = now;
            for (int i = 0; i < s->c->store.n_ns; i++)
                td_ns_sweep(&s->c->store.ns[i], td_now_cl());
        }
        while (s->dead) {
            struct conn *n = s->dead->next;
            conn_free(s->dead);
            s->dead = n;
        }
        int n = epoll_pwait(s->ep, evs, (int)ARRAY_LEN(evs), (int)timeout, &run_mask);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "aerospike-testd: epoll_wait: %s\n", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 & LISTEN_TAG) {
                int node = (int)(evs[i].data.u64 & 0xff);
                if (s->c->nodes[node].listen_fd >= 0)
                    do_accept(s, node);
                continue;
            }
            struct conn *cn = evs[i].data.ptr;
            if (cn->dead)
                continue;
            if ((evs[i].events & (EPOLLHUP | EPOLLERR)) && !cn->reading) {
                conn_close(s, cn);
                continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                conn_read(s, cn);
            if (!cn->dead && (evs[i].events & EPOLLOUT))
                conn_flush(s, cn);
        }
    }
    return 0;
}
