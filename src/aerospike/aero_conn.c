/* src/aerospike/aero_conn.c: blocking, deadline-bounded socket helpers for bootstrap, tending
 * and one-off info requests (aero_info_host). Command traffic does not come through here: it
 * runs non-blocking in aero_client.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aero_int.h"

void aero__sa_format(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";

    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
        snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
        snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
    }
}

enum status aero__resolve(const struct aero_host *h, struct sockaddr_storage *out, socklen_t *lens,
                          size_t cap, size_t *n, struct err *e)
{
    struct addrinfo hints, *res = NULL, *ai;
    char port[8], where[AERO_ADDR_SZ];
    int rc;

    *n = 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%u", (unsigned)h->port);
    rc = getaddrinfo(h->name, port, &hints, &res);
    if (rc != 0) {
        aero_host_format(h, where, sizeof(where));
        return err_set(e, ST_CONNECT, "%s: cannot resolve: %s", where, gai_strerror(rc));
    }
    for (ai = res; ai && *n < cap; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(out[0]))
            continue;
        memcpy(&out[*n], ai->ai_addr, ai->ai_addrlen);
        lens[*n] = ai->ai_addrlen;
        (*n)++;
    }
    freeaddrinfo(res);
    if (*n == 0) {
        aero_host_format(h, where, sizeof(where));
        return err_set(e, ST_CONNECT, "%s: no usable address", where);
    }
    return ST_OK;
}

int aero__socket_connect(const struct sockaddr *sa, socklen_t len, bool *in_progress,
                         const char *where, struct err *e)
{
    int one = 1;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int en;

    *in_progress = false;
    if (fd < 0) {
        en = errno;
        err_set(e, ST_CONNECT, "%s: socket: %s", where, strerror(en));
        errno = en;
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, sa, len) == 0)
        return fd;
    if (errno == EINPROGRESS) {
        *in_progress = true;
        return fd;
    }
    en = errno;                       /* callers read errno after a failure */
    err_set(e, ST_CONNECT, "%s: connect: %s", where, strerror(en));
    close(fd);
    errno = en;
    return -1;
}

/* Wait for @events on @fd until @deadline (ms, monotonic), or until @stop_fd (-1: none) is
 * readable. ST_OK, ST_TIMEOUT, ST_CANCELLED or ST_IO. */
static enum status wait_fd(int fd, short events, uint64_t deadline, int stop_fd, const char *where,
                           const char *what, struct err *e)
{
    struct pollfd pfd[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};

    for (;;) {
        uint64_t now = clock_mono_ms();
        int rc;
        if (now >= deadline)
            return err_set(e, ST_TIMEOUT, "%s: %s timed out", where, what);
        rc = poll(pfd, stop_fd >= 0 ? 2 : 1, (int)MIN(deadline - now, 60000));
        if (rc > 0 && stop_fd >= 0 && pfd[1].revents)
            return err_set(e, ST_CANCELLED, "%s: %s cancelled: the cluster is closing", where, what);
        if (rc > 0)
            return ST_OK;
        if (rc < 0 && errno != EINTR)
            return err_set(e, ST_IO, "%s: poll: %s", where, strerror(errno));
    }
}

int aero__connect_wait(const struct sockaddr *sa, socklen_t len, uint32_t timeout_ms, int stop_fd,
                       const char *where, struct err *e)
{
    bool in_progress;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    int fd = aero__socket_connect(sa, len, &in_progress, where, e);

    if (fd < 0 || !in_progress)
        return fd;
    if (wait_fd(fd, POLLOUT, clock_mono_ms() + timeout_ms, stop_fd, where, "connect", e) != ST_OK) {
        close(fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        err_set(e, ST_CONNECT, "%s: connect: %s", where, strerror(soerr ? soerr : errno));
        close(fd);
        return -1;
    }
    return fd;
}

enum status aero__info_frame(struct buf *b, const char *cmds)
{
    size_t n = strlen(cmds), start = b->len;
    bool nl = n > 0 && cmds[n - 1] == '\n';

    if (buf_put_u64be(b, 0) != ST_OK || buf_append(b, cmds, n) != ST_OK ||
        (!nl && n > 0 && buf_put_u8(b, '\n') != ST_OK))
        return ST_NOMEM;
    store_u64be(b->p + start, ((uint64_t)AERO_PROTO_VERSION << 56) |
                                  ((uint64_t)AERO_PROTO_INFO << 48) |
                                  (uint64_t)(b->len - start - AERO_PROTO_HEADER_SZ));
    return ST_OK;
}

void aero__sock_close(struct aero__sock *s)
{
    if (s->ssl) {
        aero__tls_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static ssize_t sock_send(struct aero__sock *s, const uint8_t *p, size_t n)
{
    return s->ssl ? aero__tls_write(s->ssl, p, n) : send(s->fd, p, n, MSG_NOSIGNAL);
}

static ssize_t sock_recv(struct aero__sock *s, uint8_t *p, size_t n)
{
    return s->ssl ? aero__tls_read(s->ssl, p, n) : recv(s->fd, p, n, 0);
}

static enum status send_all(struct aero__sock *s, const uint8_t *p, size_t n, uint64_t deadline,
                            const char *where, struct err *e)
{
    while (n > 0) {
        ssize_t w = sock_send(s, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* TLS may want to read while writing (rare): poll both ways */
            if (wait_fd(s->fd, (short)(POLLOUT | (s->ssl ? POLLIN : 0)), deadline, s->stop_fd,
                        where, "send", e) != ST_OK)
                return e ? e->status : ST_TIMEOUT;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else {
            return err_set(e, ST_IO, "%s: send: %s", where, strerror(errno));
        }
    }
    return ST_OK;
}

static enum status recv_all(struct aero__sock *s, uint8_t *p, size_t n, uint64_t deadline,
                            const char *where, struct err *e)
{
    while (n > 0) {
        ssize_t r = sock_recv(s, p, n);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
        } else if (r == 0) {
            return err_set(e, ST_IO, "%s: connection closed by the server", where);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_fd(s->fd, POLLIN, deadline, s->stop_fd, where, "reply", e) != ST_OK)
                return e ? e->status : ST_TIMEOUT;
        } else if (errno != EINTR) {
            return err_set(e, ST_IO, "%s: recv: %s", where, strerror(errno));
        }
    }
    return ST_OK;
}

enum status aero__sock_open(struct aero_cluster *c, const struct sockaddr *sa, socklen_t len,
                            const char *tls_name, struct aero__sock *s, const char *where,
                            struct err *e)
{
    uint64_t deadline;
    enum status st;

    s->ssl = NULL;
    s->stop_fd = c->stop_fd;
    s->fd = aero__connect_wait(sa, len, c->cfg.conn_timeout_ms, s->stop_fd, where, e);
    if (s->fd < 0)
        return e ? e->status : ST_CONNECT;
    if (!c->tls)
        return ST_OK;
    if (!(s->ssl = aero__tls_new(c->tls, s->fd, tls_name, where, e))) {
        aero__sock_close(s);
        return e ? e->status : ST_TLS;
    }
    deadline = clock_mono_ms() + c->cfg.login_timeout_ms;
    for (;;) {
        bool want_write = false;
        st = aero__tls_step(s->ssl, tls_name, &want_write, where, e);
        if (st == ST_AGAIN)
            st = wait_fd(s->fd, want_write ? POLLOUT : POLLIN, deadline, s->stop_fd, where,
                         "TLS handshake", e);
        else if (st == ST_OK)
            return ST_OK;
        if (st != ST_OK) {
            aero__sock_close(s);
            return st;
        }
    }
}

/* Read one reply frame of @type into @out (reset first). */
static enum status read_frame(struct aero__sock *s, uint8_t type, uint64_t max, struct buf *out,
                              uint64_t deadline, const char *where, const char *what, struct err *e)
{
    uint8_t hdr[AERO_PROTO_HEADER_SZ];
    uint64_t size;
    enum status st;

    buf_reset(out);
    if ((st = recv_all(s, hdr, sizeof(hdr), deadline, where, e)) != ST_OK)
        return st;
    size = load_u64be(hdr) & 0xFFFFFFFFFFFFull;
    if (hdr[0] != AERO_PROTO_VERSION || hdr[1] != type)
        return err_set(e, ST_PROTO, "%s: %s reply has version %u type %u", where, what, hdr[0],
                       hdr[1]);
    if (size > max)
        return err_set(e, ST_PROTO, "%s: %s reply of %llu bytes (max %llu)", where, what,
                       (unsigned long long)size, (unsigned long long)max);
    if (buf_reserve(out, (size_t)size) != ST_OK)
        return err_set(e, ST_NOMEM, "%s: reply", where);
    if ((st = recv_all(s, out->p, (size_t)size, deadline, where, e)) != ST_OK)
        return st;
    out->len = (size_t)size;
    buf_cstr(out);
    return ST_OK;
}

enum status aero__admin_exchange(struct aero__sock *s, const struct buf *req, struct buf *out,
                                 uint32_t timeout_ms, const char *where, struct err *e)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    enum status st = send_all(s, req->p, req->len, deadline, where, e);

    if (st != ST_OK)
        return st;
    return read_frame(s, AERO_PROTO_ADMIN, 65536, out, deadline, where, "admin", e);
}

enum status aero__info_exchange(struct aero__sock *s, const char *cmds, struct buf *out,
                                uint32_t timeout_ms, const char *where, struct err *e)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    uint8_t small[512];
    struct buf req = BUF_INIT;
    size_t n = strlen(cmds);
    bool nl = n > 0 && cmds[n - 1] == '\n';
    const uint8_t *frame;
    size_t frame_len = AERO_PROTO_HEADER_SZ + n + (nl || n == 0 ? 0 : 1);
    enum status st;

    buf_reset(out);
    if (frame_len <= sizeof(small)) {             /* tend requests: no allocation */
        store_u64be(small, ((uint64_t)AERO_PROTO_VERSION << 56) |
                               ((uint64_t)AERO_PROTO_INFO << 48) |
                               (uint64_t)(frame_len - AERO_PROTO_HEADER_SZ));
        memcpy(small + AERO_PROTO_HEADER_SZ, cmds, n);
        if (frame_len > AERO_PROTO_HEADER_SZ + n)
            small[frame_len - 1] = '\n';
        frame = small;
    } else {
        if (aero__info_frame(&req, cmds) != ST_OK) {
            buf_free(&req);
            return err_set(e, ST_NOMEM, "%s: info request", where);
        }
        frame = req.p;
        frame_len = req.len;
    }
    st = send_all(s, frame, frame_len, deadline, where, e);
    buf_free(&req);
    if (st != ST_OK)
        return st;
    return read_frame(s, AERO_PROTO_INFO, AERO_INFO_MAX_REPLY, out, deadline, where, "info", e);
}

/* Every '\n'-separated command of @cmds must come back echoed. */
static enum status check_echo(const char *cmds, const struct buf *out, const char *where,
                              struct err *e)
{
    const char *p = cmds;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *cur = (const char *)out->p, *c, *v;
        size_t cl, vl;
        bool found = false;

        while (n > 0 && aero__info_next(&cur, (const char *)out->p + out->len, &c, &cl, &v, &vl))
            if (cl == n && memcmp(c, p, n) == 0)
                found = true;
        if (n > 0 && !found) {
            const char *first = out->len ? (const char *)out->p : "";
            if (out->len && aero__info_is_error(first, out->len))
                return err_set(e, ST_SERVER, "%s: info: %.*s", where,
                               (int)strcspn(first, "\n"), first);
            return err_set(e, ST_PROTO, "%s: info reply does not answer '%.*s'", where, (int)n, p);
        }
        p += n + (nl ? 1 : 0);
    }
    return ST_OK;
}

enum status aero_info_host(const char *host, uint16_t port, const char *cmds, struct buf *out,
                           uint32_t timeout_ms, struct err *e)
{
    struct aero_host h;
    struct sockaddr_storage sa[8];
    socklen_t lens[8];
    size_t n = 0;
    char where[AERO_ADDR_SZ];
    enum status st = ST_CONNECT;

    if (aero_host_parse(host, strlen(host), port, &h, e) != ST_OK)
        return ST_USAGE;
    h.port = port;
    aero_host_format(&h, where, sizeof(where));
    if (aero__resolve(&h, sa, lens, ARRAY_LEN(sa), &n, e) != ST_OK)
        return ST_CONNECT;
    for (size_t i = 0; i < n; i++) {
        struct aero__sock s = AERO_SOCK_CLOSED;
        s.fd = aero__connect_wait((struct sockaddr *)&sa[i], lens[i], timeout_ms, -1, where, e);
        if (s.fd < 0)
            continue;
        st = aero__info_exchange(&s, cmds, out, timeout_ms, where, e);
        aero__sock_close(&s);
        if (st == ST_OK)
            st = check_echo(cmds, out, where, e);
        return st;
    }
    return st;
}

enum status aero_info_node(struct aero_cluster *c, const char *node, const char *cmds,
                           struct buf *out, uint32_t timeout_ms, struct err *e)
{
    struct aero_node *nd = NULL;
    struct aero__sock s = AERO_SOCK_CLOSED;
    enum status st;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_nodes; i++) {
        if (strcmp(c->nodes[i]->name, node) == 0) {
            nd = c->nodes[i];
            aero__node_ref(nd);
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (!nd)
        return err_set(e, ST_NOT_FOUND, "node %s is not in the cluster", node);
    st = aero__sock_open(c, (struct sockaddr *)&nd->sa, nd->sa_len,
                         nd->host.tls_name[0] ? nd->host.tls_name : nd->host.name, &s, nd->addr, e);
    if (st == ST_OK)
        st = aero__sock_auth(c, nd, &s, e);
    if (st == ST_OK) {
        st = aero__info_exchange(&s, cmds, out, timeout_ms, nd->addr, e);
        if (st == ST_OK)
            st = check_echo(cmds, out, nd->addr, e);
    }
    aero__sock_close(&s);
    aero__node_unref(nd);
    return st;
}
