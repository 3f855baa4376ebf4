/* src/aerospike/aero_client.c: the asynchronous, pipelined command engine (one per thread).
 *
 * A command's life: aero_submit -> dispatch (partition map -> node -> connection, attempt
 * timer armed) -> QUEUED on a connection FIFO (written with one sendmsg per flush for many
 * commands) -> reply matched to the FIFO head (the server answers strictly in order, wire doc
 * §10.2) -> DONE list -> callback inside aero_client_poll.
 * Failures of an attempt go through attempt_failed(): retry (later list, or SLEEP until a
 * timer) while retries and time remain, else DONE with the last failure.
 * A timeout of a command whose bytes reached the socket closes that connection (stream
 * position unknown); every other command on it is retried (if it was sent) or re-dispatched
 * without counting an attempt (if it was not).
 * Nothing here calls back into the caller except run_done(), so the structures are never
 * changed under our feet; nothing allocates once connections, buffers and the timer heap are
 * warm. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "aero_int.h"

enum cmd_state { CMD_IDLE = 0, CMD_QUEUED, CMD_WAIT, CMD_SLEEP, CMD_LATER, CMD_DONE };

enum fail_kind {
    FK_NONE, FK_SERVER, FK_TIMEOUT, FK_CONNECT, FK_CONNECT_TIMEOUT, FK_IO, FK_EOF, FK_PROTO,
    FK_NO_NODE, FK_NO_NS, FK_NO_CONN, FK_NOMEM, FK_CANCEL, FK_BYSTANDER,
    FK_SETUP,                        /* TLS / LOGIN / AUTHENTICATE failed: cnode->setup_err */
    FK_AUTH,                         /* 80/66 again after logging in again */
    FK_ERROR_RATE,                   /* refused by the circuit breaker: never sent */
};

enum ev_kind { EV_CONN, EV_WAKE, EV_WATCH };

#define IOV_BATCH 64
#define READ_CHUNK 65536
#define EVENTS 64
#define NO_HEAP UINT32_MAX
#define AERO_TLS_CONNS_PER_NODE 16   /* per client when TLS allows one request per connection */
#define TIMER_LANES 4

struct timer_lane {                  /* FIFO of timers armed with one duration: sorted */
    uint64_t dur;
    struct aero_cmd *head, *tail;
};

struct conn;

struct cnode {                       /* this client's side of one cluster node */
    struct aero_node *nd;            /* holds a ref */
    struct conn **conns;
    uint32_t n_conns;
    struct aero_cmd *wait_head, *wait_tail;
    int open_errno;                  /* why the last connection could not be opened */
    char setup_err[ERR_MSG_LEN];     /* why the last connection set-up (TLS, auth) failed */
};

struct conn {
    enum ev_kind kind;               /* first: epoll data points here */
    struct cnode *cn;
    int fd;
    bool connecting, want_out, closed;
    uint64_t connect_deadline;
    struct aero_cmd *head, *tail;    /* in send order; replies come back in this order */
    struct aero_cmd *send;           /* first command not completely written */
    size_t send_off;
    uint32_t n;                      /* commands in the FIFO */
    struct buf rbuf;
    struct conn *grave_next;
    /* security (aero_auth.c, aero_tls.c): set-up runs while `connecting` is still true */
    struct ssl_st *ssl;              /* TLS, or NULL */
    struct aero__csetup *setup;      /* TLS handshake / AUTHENTICATE in progress */
    unsigned auth_gen;               /* session token generation this connection presented */
    bool tcp_done, setup_out;        /* TCP connected; set-up waits for writability */
    bool retire;                     /* no new commands: its token was refused or replaced */
    uint64_t last_ms;                /* last command pushed or finished (idle closing) */
};

struct watch {
    enum ev_kind kind;
    int fd;
    void (*cb)(void *ctx);
    void *ctx;
    bool dead;
    struct watch *next;
};

struct aero_client {
    struct aero_cluster *cluster;
    struct aero_client_config cfg;
    int epfd, evfd;
    enum ev_kind wake_kind;
    struct aero_pmap *pmap;
    uint64_t pmap_gen;
    bool prune;
    struct cnode **nodes;            /* by node id */
    uint32_t cap_nodes;
    struct conn **conns;             /* every open connection */
    uint32_t n_conns, cap_conns;
    struct conn *grave;              /* closed, freed at the end of a poll */
    struct timer_lane lanes[TIMER_LANES];
    struct aero_cmd **heap;          /* timer min-heap on priv.timer_ms (timers of no lane) */
    uint32_t heap_len, heap_cap;
    struct aero_cmd *later_head, *later_tail;
    struct aero_cmd *done_head, *done_tail;
    struct watch *watches;
    uint32_t inflight;
    uint64_t now;
    uint64_t next_idle_check;        /* when close_idle looks at the connections again */
    bool closing, polling;
    struct err cb_err;
    struct iovec iov[IOV_BATCH];
    struct epoll_event events[EVENTS];
};

static void attempt_failed(struct aero_client *cl, struct aero_cmd *cmd, enum status st, int rc,
                           int err_no, enum fail_kind kind);
static void conn_fail(struct aero_client *cl, struct conn *conn, enum status st, int err_no,
                      enum fail_kind kind, struct aero_cmd *culprit);
static void pump(struct aero_client *cl, struct cnode *cn);
static void requeue(struct aero_client *cl, struct aero_cmd *cmd);
static void conn_close(struct aero_client *cl, struct conn *conn);
static void conn_events(struct aero_client *cl, struct conn *conn);
static void rotate_conns(struct aero_client *cl, struct cnode *cn);

static inline struct conn *cmd_conn(const struct aero_cmd *cmd)
{
    return (struct conn *)cmd->priv.conn;
}

/* ---------- timer heap ---------- */

static inline bool heap_less(const struct aero_cmd *a, const struct aero_cmd *b)
{
    return a->priv.timer_ms < b->priv.timer_ms;
}

static void heap_set(struct aero_client *cl, uint32_t i, struct aero_cmd *cmd)
{
    cl->heap[i] = cmd;
    cmd->priv.heap_idx = i;
}

static void heap_up(struct aero_client *cl, uint32_t i)
{
    struct aero_cmd *cmd = cl->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!heap_less(cmd, cl->heap[parent]))
            break;
        heap_set(cl, i, cl->heap[parent]);
        i = parent;
    }
    heap_set(cl, i, cmd);
}

static void heap_down(struct aero_client *cl, uint32_t i)
{
    struct aero_cmd *cmd = cl->heap[i];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        const struct aero_cmd *best = cmd;
        if (l < cl->heap_len && heap_less(cl->heap[l], best)) {
            m = l;
            best = cl->heap[l];
        }
        if (r < cl->heap_len && heap_less(cl->heap[r], best))
            m = r;
        if (m == i)
            break;
        heap_set(cl, i, cl->heap[m]);
        i = m;
    }
    heap_set(cl, i, cmd);
}

static void heap_remove(struct aero_client *cl, struct aero_cmd *cmd)
{
    uint32_t i = cmd->priv.heap_idx;
    struct aero_cmd *last;

    cmd->priv.heap_idx = NO_HEAP;
    last = cl->heap[--cl->heap_len];
    if (last == cmd)
        return;
    heap_set(cl, i, last);
    if (i > 0 && heap_less(last, cl->heap[(i - 1) / 2]))
        heap_up(cl, i);
    else
        heap_down(cl, i);
}

/* Timers live in one of TIMER_LANES FIFO lanes or in the heap. A lane holds timers of one
 * duration (when - now at arming): since the clock only moves forward they are armed in
 * expiry order, so the lane is sorted, its head is its earliest, and arming/clearing is O(1)
 * (doubly linked). Nearly every timer is an attempt timer of the same few durations (the
 * policies' socket/total timeouts), so the heap only sees the odd ones (retries capped by a
 * total deadline, sleeps), stays tiny and cheap. */
static void timer_clear(struct aero_client *cl, struct aero_cmd *cmd)
{
    struct aero_cmd_priv *p = &cmd->priv;

    if (p->heap_idx != NO_HEAP) {
        heap_remove(cl, cmd);
        return;
    }
    if (p->lane == 0)
        return;
    struct timer_lane *ln = &cl->lanes[p->lane - 1];
    if (p->tprev)
        p->tprev->priv.tnext = p->tnext;
    else
        ln->head = p->tnext;
    if (p->tnext)
        p->tnext->priv.tprev = p->tprev;
    else
        ln->tail = p->tprev;
    p->tnext = p->tprev = NULL;
    p->lane = 0;
}

/* Arm @cmd's timer at @when (0 = none). Heap capacity was reserved by aero_submit. */
static void timer_set(struct aero_client *cl, struct aero_cmd *cmd, uint64_t when)
{
    uint64_t dur = when > cl->now ? when - cl->now : 0;
    struct timer_lane *free_ln = NULL;

    timer_clear(cl, cmd);
    cmd->priv.timer_ms = when;
    if (when == 0)
        return;
    for (unsigned i = 0; i < TIMER_LANES; i++) {
        struct timer_lane *ln = &cl->lanes[i];
        if (!ln->head) {
            if (!free_ln)
                free_ln = ln;
            continue;
        }
        if (ln->dur == dur && ln->tail->priv.timer_ms <= when) {
            cmd->priv.tprev = ln->tail;
            ln->tail->priv.tnext = cmd;
            ln->tail = cmd;
            cmd->priv.lane = (uint8_t)(i + 1);
            return;
        }
    }
    if (free_ln) {
        free_ln->dur = dur;
        free_ln->head = free_ln->tail = cmd;
        cmd->priv.tprev = cmd->priv.tnext = NULL;
        cmd->priv.lane = (uint8_t)(free_ln - cl->lanes + 1);
        return;
    }
    cl->heap[cl->heap_len] = cmd;
    cmd->priv.heap_idx = cl->heap_len++;
    heap_up(cl, cmd->priv.heap_idx);
}

/* The armed timer that expires first, or NULL. */
static struct aero_cmd *timer_first(const struct aero_client *cl)
{
    struct aero_cmd *best = cl->heap_len ? cl->heap[0] : NULL;

    for (unsigned i = 0; i < TIMER_LANES; i++) {
        struct aero_cmd *h = cl->lanes[i].head;
        if (h && (!best || h->priv.timer_ms < best->priv.timer_ms))
            best = h;
    }
    return best;
}

/* ---------- intrusive lists ---------- */

static void list_push(struct aero_cmd **head, struct aero_cmd **tail, struct aero_cmd *cmd)
{
    cmd->priv.next = NULL;
    if (*tail)
        (*tail)->priv.next = cmd;
    else
        *head = cmd;
    *tail = cmd;
}

static struct aero_cmd *list_pop(struct aero_cmd **head, struct aero_cmd **tail)
{
    struct aero_cmd *cmd = *head;
    if (cmd) {
        *head = cmd->priv.next;
        if (!*head)
            *tail = NULL;
        cmd->priv.next = NULL;
    }
    return cmd;
}

/* O(n) removal; only on timeouts of commands that never reached the socket. */
static bool list_remove(struct aero_cmd **head, struct aero_cmd **tail, struct aero_cmd *cmd)
{
    struct aero_cmd *prev = NULL;
    for (struct aero_cmd *c = *head; c; prev = c, c = c->priv.next) {
        if (c != cmd)
            continue;
        if (prev)
            prev->priv.next = c->priv.next;
        else
            *head = c->priv.next;
        if (*tail == c)
            *tail = prev;
        c->priv.next = NULL;
        return true;
    }
    return false;
}

/* ---------- completion ---------- */

static struct aero_node *cmd_node(const struct aero_client *cl, const struct aero_cmd *cmd)
{
    uint32_t id = cmd->priv.node_id;
    return id < cl->cap_nodes && cl->nodes[id] ? cl->nodes[id]->nd : NULL;
}

static void finish(struct aero_client *cl, struct aero_cmd *cmd, enum status st)
{
    timer_clear(cl, cmd);
    cmd->priv.conn = NULL;
    cmd->priv.state = CMD_DONE;
    cmd->priv.fail_st = st;
    if (st == ST_OK)
        cmd->in_doubt = false;
    else
        cmd->result_code = cmd->priv.fail_rc;
    list_push(&cl->done_head, &cl->done_tail, cmd);
}

static void later(struct aero_client *cl, struct aero_cmd *cmd)
{
    timer_clear(cl, cmd);
    cmd->priv.conn = NULL;
    cmd->priv.state = CMD_LATER;
    list_push(&cl->later_head, &cl->later_tail, cmd);
}

/* Back to dispatch without counting an attempt (it never reached the socket). */
static void requeue(struct aero_client *cl, struct aero_cmd *cmd)
{
    cmd->attempts--;
    later(cl, cmd);
}

static void compose_err(struct aero_client *cl, const struct aero_cmd *cmd, enum status st)
{
    struct err *e = &cl->cb_err;
    const char *w = cmd->priv.fail_where[0] ? cmd->priv.fail_where : cmd->ns;
    int rc = cmd->priv.fail_rc;
    const char *why = cmd->priv.fail_errno ? strerror(cmd->priv.fail_errno) : "";

    e->status = st;
    e->aero_rc = rc;
    switch ((enum fail_kind)cmd->priv.fail_kind) {
    case FK_SERVER: {
        const char *name = aero_rc_name(rc);
        snprintf(e->msg, sizeof(e->msg), "%s: %s (%d): %s", w, name ? name : "UNKNOWN", rc,
                 aero_rc_message(rc));
        break;
    }
    case FK_TIMEOUT:
        snprintf(e->msg, sizeof(e->msg),
                 "%s: timed out after %u attempt(s) (socket timeout %u ms, total timeout %u ms)", w,
                 cmd->attempts, cmd->socket_timeout_ms, cmd->total_timeout_ms);
        break;
    case FK_CONNECT:
        snprintf(e->msg, sizeof(e->msg), "%s: connect: %s", w, why[0] ? why : "failed");
        break;
    case FK_CONNECT_TIMEOUT:
        snprintf(e->msg, sizeof(e->msg), "%s: connect timed out", w);
        break;
    case FK_IO:
        snprintf(e->msg, sizeof(e->msg), "%s: connection error: %s", w, why);
        break;
    case FK_EOF:
        snprintf(e->msg, sizeof(e->msg), "%s: connection closed by the server", w);
        break;
    case FK_PROTO:
        snprintf(e->msg, sizeof(e->msg), "%s: malformed reply (connection closed)", w);
        break;
    case FK_BYSTANDER:
        snprintf(e->msg, sizeof(e->msg),
                 "%s: connection closed after another command on it timed out", w);
        break;
    case FK_NO_NODE:
        snprintf(e->msg, sizeof(e->msg), "namespace %s partition %u: no node owns it", cmd->ns,
                 ((unsigned)cmd->digest[0] | ((unsigned)cmd->digest[1] << 8)) & 0xFFF);
        break;
    case FK_NO_NS:
        snprintf(e->msg, sizeof(e->msg),
                 "namespace %s: ERR_NAMESPACE (20): no cluster node has this namespace", cmd->ns);
        break;
    case FK_NO_CONN:
        snprintf(e->msg, sizeof(e->msg), "%s: no connection available (max %u per node)", w,
                 cl->cluster->cfg.max_conns_per_node);
        break;
    case FK_NOMEM:
        snprintf(e->msg, sizeof(e->msg), "%s: out of memory", w);
        break;
    case FK_CANCEL:
        snprintf(e->msg, sizeof(e->msg), "%s: cancelled: client freed with the command in flight", w);
        break;
    case FK_SETUP: {
        uint32_t id = cmd->priv.node_id;
        const struct cnode *cn = id < cl->cap_nodes ? cl->nodes[id] : NULL;
        snprintf(e->msg, sizeof(e->msg), "%s", cn && cn->setup_err[0] ? cn->setup_err : w);
        break;
    }
    case FK_ERROR_RATE:
        snprintf(e->msg, sizeof(e->msg),
                 "%s: MAX_ERROR_RATE (-14): not sent: the node had more than %u errors (timeouts, "
                 "connection failures, DEVICE_OVERLOAD) in the current window of %u tend "
                 "interval(s) (aerospike.max-error-rate, error-rate-window)",
                 w, cl->cluster->cfg.max_error_rate, MAX(cl->cluster->cfg.error_rate_window, 1u));
        break;
    case FK_AUTH:
        snprintf(e->msg, sizeof(e->msg), "%s: %s (%d) again after logging in again", w,
                 aero_rc_name(rc) ? aero_rc_name(rc) : "UNKNOWN", rc);
        break;
    default:
        snprintf(e->msg, sizeof(e->msg), "%s: %s", w, status_str(st));
        break;
    }
}

/* Run callbacks of finished commands. The callback may submit (even the same command). */
static int run_done(struct aero_client *cl)
{
    int ran = 0;
    struct aero_cmd *cmd;

    while ((cmd = list_pop(&cl->done_head, &cl->done_tail)) != NULL) {
        enum status st = cmd->priv.fail_st;
        if (st == ST_OK) {
            cl->cb_err.status = ST_OK;
            cl->cb_err.aero_rc = 0;
            cl->cb_err.msg[0] = '\0';
        } else {
            compose_err(cl, cmd, st);
        }
        cmd->priv.state = CMD_IDLE;
        cl->inflight--;
        ran++;
        cmd->cb(cmd, st, &cl->cb_err);
    }
    return ran;
}

/* ---------- partition map and nodes ---------- */

static void refresh_map(struct aero_client *cl)
{
    uint64_t g = atomic_load_explicit(&cl->cluster->pmap_gen, memory_order_acquire);
    struct aero_pmap *old;

    if (g == cl->pmap_gen)
        return;
    old = cl->pmap;
    cl->pmap = aero__cluster_pmap(cl->cluster);
    cl->pmap_gen = cl->pmap ? cl->pmap->gen : 0;
    aero__pmap_unref(old);
    cl->prune = true;
}

static struct cnode *cnode_get(struct aero_client *cl, struct aero_node *nd)
{
    struct cnode *cn;

    if (nd->id >= cl->cap_nodes) {
        uint32_t cap = MAX(nd->id + 1, cl->cap_nodes * 2);
        struct cnode **v = mem_realloc(cl->nodes, cap * sizeof(*v));
        if (!v)
            return NULL;
        memset(v + cl->cap_nodes, 0, (cap - cl->cap_nodes) * sizeof(*v));
        cl->nodes = v;
        cl->cap_nodes = cap;
    }
    if ((cn = cl->nodes[nd->id]) != NULL)
        return cn;
    cn = mem_calloc(1, sizeof(*cn));
    /* room for as many retired (draining) connections as live ones */
    if (!cn || !(cn->conns = mem_calloc(2 * (size_t)cl->cfg.conns_per_node, sizeof(*cn->conns)))) {
        mem_free(cn);
        return NULL;
    }
    aero__node_ref(nd);
    cn->nd = nd;
    cl->nodes[nd->id] = cn;
    return cn;
}

/* ---------- connections ---------- */

static void conn_events(struct aero_client *cl, struct conn *conn)
{
    bool out = conn->connecting ? !conn->tcp_done || conn->setup_out : conn->want_out;
    struct epoll_event ev = {EPOLLIN | (out ? EPOLLOUT : 0), {0}};
    ev.data.ptr = conn;
    epoll_ctl(cl->epfd, EPOLL_CTL_MOD, conn->fd, &ev);
}

static struct conn *conn_open(struct aero_client *cl, struct cnode *cn)
{
    struct aero_node *nd = cn->nd;
    struct conn *conn;
    struct epoll_event ev;
    bool in_progress;
    struct err e;
    int fd;

    if (atomic_load_explicit(&nd->n_conns, memory_order_relaxed) >= cl->cluster->cfg.max_conns_per_node) {
        cn->open_errno = -1;
        return NULL;
    }
    if (cl->n_conns == cl->cap_conns) {
        uint32_t cap = cl->cap_conns ? cl->cap_conns * 2 : 8;
        struct conn **v = mem_realloc(cl->conns, cap * sizeof(*v));
        if (!v) {
            cn->open_errno = ENOMEM;
            return NULL;
        }
        cl->conns = v;
        cl->cap_conns = cap;
    }
    conn = mem_calloc(1, sizeof(*conn));
    if (!conn) {
        cn->open_errno = ENOMEM;
        return NULL;
    }
    fd = aero__socket_connect((const struct sockaddr *)&nd->sa, nd->sa_len, &in_progress, nd->addr, &e);
    if (fd < 0) {
        cn->open_errno = errno ? errno : ECONNREFUSED;
        mem_free(conn);
        return NULL;
    }
    conn->kind = EV_CONN;
    conn->cn = cn;
    conn->fd = fd;
    conn->last_ms = cl->now;
    conn->connecting = in_progress;
    conn->connect_deadline = cl->now + cl->cluster->cfg.conn_timeout_ms +
                             (aero__csetup_needed(cl->cluster) ? cl->cluster->cfg.login_timeout_ms : 0);
    ev.events = EPOLLIN | (in_progress ? EPOLLOUT : 0);
    ev.data.ptr = conn;
    if (epoll_ctl(cl->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        cn->open_errno = errno;
        close(fd);
        mem_free(conn);
        return NULL;
    }
    cn->conns[cn->n_conns++] = conn;
    cl->conns[cl->n_conns++] = conn;
    atomic_fetch_add_explicit(&nd->n_conns, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&nd->n_conns_opened, 1, memory_order_relaxed);
    return conn;
}

/* Unlink a connection everywhere and close it; the struct is freed at the end of the poll. */
static void conn_close(struct aero_client *cl, struct conn *conn)
{
    struct cnode *cn = conn->cn;

    if (conn->closed)
        return;
    conn->closed = true;
    for (uint32_t i = 0; i < cn->n_conns; i++) {
        if (cn->conns[i] == conn) {
            cn->conns[i] = cn->conns[--cn->n_conns];
            break;
        }
    }
    for (uint32_t i = 0; i < cl->n_conns; i++) {
        if (cl->conns[i] == conn) {
            cl->conns[i] = cl->conns[--cl->n_conns];
            break;
        }
    }
    epoll_ctl(cl->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
    aero__tls_free(conn->ssl);
    conn->ssl = NULL;
    aero__csetup_free(conn->setup);
    conn->setup = NULL;
    close(conn->fd);
    conn->fd = -1;
    atomic_fetch_sub_explicit(&cn->nd->n_conns, 1, memory_order_relaxed);
    conn->grave_next = cl->grave;
    cl->grave = conn;
}

/* ---------- security: TLS writes, connection set-up, refused tokens ---------- */

/* TLS has no scatter write: the buffers in turn; returns like sendmsg. */
static ssize_t tls_writev(struct ssl_st *ssl, const struct iovec *iov, int n)
{
    ssize_t total = 0;

    for (int i = 0; i < n; i++) {
        ssize_t w = aero__tls_write(ssl, iov[i].iov_base, iov[i].iov_len);
        if (w < 0)
            return total > 0 ? total : -1;
        total += w;
        if ((size_t)w < iov[i].iov_len)
            break;
    }
    return total;
}

/* TLS handshake and AUTHENTICATE/LOGIN of a new connection (aero_auth.c); true when ready.
 * A failure fails the connection: TLS and credential refusals are fatal for its commands
 * (ST_TLS / ST_AUTH with the reason), transport trouble is retried like a connect error. */
static bool conn_setup(struct aero_client *cl, struct conn *conn)
{
    struct cnode *cn = conn->cn;
    struct err e = {0};
    bool want_write = false;
    enum status st = aero__csetup_step(cl->cluster, cn->nd, conn->fd, &conn->ssl, &conn->setup,
                                       &want_write, &conn->auth_gen, &e);

    if (st == ST_OK) {
        conn->setup_out = false;
        return true;
    }
    if (st == ST_AGAIN) {
        conn->setup_out = want_write;
        conn_events(cl, conn);
        return false;
    }
    snprintf(cn->setup_err, sizeof(cn->setup_err), "%s", e.msg);
    conn_fail(cl, conn, st, 0, FK_SETUP, NULL);
    return false;
}

/* No new commands on @conn; those not written yet go back to dispatch (not an attempt). */
static void conn_retire(struct aero_client *cl, struct conn *conn)
{
    struct aero_cmd *cmd, *prev = NULL, *unsent = conn->send;

    if (conn->retire)
        return;
    conn->retire = true;
    if (unsent && conn->send_off > 0)
        unsent = unsent->priv.next;   /* partly written: it stays and gets its answer */
    if (!unsent)
        return;
    for (cmd = conn->head; cmd != unsent; cmd = cmd->priv.next)
        prev = cmd;
    if (prev)
        prev->priv.next = NULL;
    else
        conn->head = NULL;
    conn->tail = prev;
    if (conn->send == unsent)
        conn->send = NULL;
    while ((cmd = unsent) != NULL) {
        unsent = cmd->priv.next;
        cmd->priv.next = NULL;
        conn->n--;
        requeue(cl, cmd);
    }
}

/* The tend thread (or another connection) logged in again: connections that presented an
 * older token drain and close; new ones AUTHENTICATE with the new token. */
static void rotate_conns(struct aero_client *cl, struct cnode *cn)
{
    unsigned gen = aero__session_gen(&cn->nd->sess);

    for (uint32_t i = 0; i < cn->n_conns;) {
        struct conn *c = cn->conns[i];
        if (!c->connecting && !c->retire && c->auth_gen != gen) {
            conn_retire(cl, c);
            if (c->n == 0) {
                conn_close(cl, c);    /* swap-removed: look at slot i again */
                continue;
            }
        }
        i++;
    }
}

/* 80 NOT_AUTHENTICATED / 66 EXPIRED_SESSION on a command: the server no longer takes this
 * connection's token. Everyone logs in again (session marked refused), the connection is
 * retired, and @cmd is retried once, not counted as an attempt, on a fresh connection.
 * Returns false if @conn was closed. */
static bool auth_refused(struct aero_client *cl, struct conn *conn, struct aero_cmd *cmd, int rc)
{
    struct cnode *cn = conn->cn;

    aero__session_refused(&cn->nd->sess, conn->auth_gen);
    conn_retire(cl, conn);
    cmd->priv.sent = false;           /* refused before execution: not in doubt */
    if (!cmd->priv.relogin) {
        cmd->priv.relogin = true;
        requeue(cl, cmd);
    } else {
        attempt_failed(cl, cmd, aero_rc_status(rc), rc, 0, FK_AUTH);
    }
    if (conn->n == 0) {
        conn_close(cl, conn);
        pump(cl, cn);
        return false;
    }
    return true;
}

static void conn_push(struct aero_client *cl, struct conn *conn, struct aero_cmd *cmd)
{
    conn->last_ms = cl->now;
    list_push(&conn->head, &conn->tail, cmd);
    if (!conn->send) {
        conn->send = cmd;
        conn->send_off = 0;
    }
    conn->n++;
    cmd->priv.conn = conn;
    cmd->priv.state = CMD_QUEUED;
    cmd->priv.sent = false;
}

/* Least-loaded connection with room; opens one more while under conns_per_node. Retired
 * connections (token refused or replaced) take nothing new. */
static struct conn *pick_conn(struct aero_client *cl, struct cnode *cn)
{
    struct conn *best = NULL;
    uint32_t live = 0;

    if (cl->cluster->cfg.auth)
        rotate_conns(cl, cn);
    for (uint32_t i = 0; i < cn->n_conns; i++) {
        if (cn->conns[i]->retire)
            continue;
        live++;
        if (!best || cn->conns[i]->n < best->n)
            best = cn->conns[i];
    }
    if (best && best->n == 0)
        return best;
    if (live < cl->cfg.conns_per_node && cn->n_conns < 2 * cl->cfg.conns_per_node &&
        atomic_load(&cn->nd->active)) {
        struct conn *c = conn_open(cl, cn);
        if (c)
            return c;
    }
    return best && best->n < cl->cfg.pipeline_depth ? best : NULL;
}

static void on_timer(struct aero_client *cl, struct aero_cmd *cmd);

/* Write as much of the FIFO as the socket takes: one sendmsg per IOV_BATCH commands. A
 * command whose deadline passed before its first byte left (its connection was still
 * connecting, or the caller did not poll for a while) times out unsent instead: sending it
 * now would make a write in doubt that never needed to be. */
static void conn_flush(struct aero_client *cl, struct conn *conn)
{
    while (conn->send && !conn->closed && conn->send_off == 0 && conn->send->priv.timer_ms &&
           conn->send->priv.timer_ms <= cl->now) {
        struct aero_cmd *late = conn->send;
        timer_clear(cl, late);
        on_timer(cl, late);
    }
    while (conn->send && !conn->closed) {
        struct msghdr mh;
        struct aero_cmd *c = conn->send;
        size_t off = conn->send_off;
        int n = 0;
        ssize_t w;

        for (; c && n < IOV_BATCH; c = c->priv.next, off = 0) {
            cl->iov[n].iov_base = c->req.p + off;
            cl->iov[n].iov_len = c->req.len - off;
            n++;
        }
        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = cl->iov;
        mh.msg_iovlen = (size_t)n;
        w = conn->ssl ? tls_writev(conn->ssl, cl->iov, n)
                      : sendmsg(conn->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (conn->ssl)        /* OpenSSL holds these bytes now: they will go out */
                    conn->send->priv.sent = true;
                if (!conn->want_out) {
                    conn->want_out = true;
                    conn_events(cl, conn);
                }
                return;
            }
            conn_fail(cl, conn, ST_IO, errno, FK_IO, NULL);
            return;
        }
        while (w > 0 && conn->send) {
            struct aero_cmd *s = conn->send;
            size_t left = s->req.len - conn->send_off;
            s->priv.sent = true;
            if ((size_t)w < left) {
                conn->send_off += (size_t)w;
                w = 0;
            } else {
                w -= (ssize_t)left;
                conn->send = s->priv.next;
                conn->send_off = 0;
            }
        }
    }
    if (conn->want_out && !conn->closed) {
        conn->want_out = false;
        conn_events(cl, conn);
    }
}

static void flush_all(struct aero_client *cl)
{
    for (uint32_t i = 0; i < cl->n_conns; i++) {
        struct conn *conn = cl->conns[i];
        if (conn->send && !conn->connecting && !conn->want_out) {
            conn_flush(cl, conn);
            if (i < cl->n_conns && cl->conns[i] != conn)
                i--;                  /* closed: swap-removed, look at this slot again */
        }
    }
}

/* The connection is unusable: close it and settle every command on it. */
static void conn_fail(struct aero_client *cl, struct conn *conn, enum status st, int err_no,
                      enum fail_kind kind, struct aero_cmd *culprit)
{
    struct aero_cmd *cmd, *head = conn->head;
    struct cnode *cn = conn->cn;
    bool was_connecting = conn->connecting;

    conn->head = conn->tail = conn->send = NULL;
    conn->n = 0;
    conn_close(cl, conn);
    while ((cmd = head) != NULL) {
        head = cmd->priv.next;
        cmd->priv.next = NULL;
        cmd->priv.conn = NULL;
        if (cmd == culprit)
            attempt_failed(cl, cmd, st, 0, err_no, kind);
        else if (culprit && cmd->priv.sent)
            attempt_failed(cl, cmd, ST_IO, 0, 0, FK_BYSTANDER);
        else if (cmd->priv.sent || was_connecting)
            attempt_failed(cl, cmd, st, 0, err_no, kind);
        else
            requeue(cl, cmd);         /* never reached the socket: not an attempt */
    }
    /* commands waiting for a slot on this node get a fresh dispatch */
    while ((cmd = list_pop(&cn->wait_head, &cn->wait_tail)) != NULL)
        requeue(cl, cmd);
    aero_cluster_poke(cl->cluster);
}

/* ---------- dispatch ---------- */

static void patch_server_timeout(struct aero_cmd *cmd, uint64_t now)
{
    uint32_t t = cmd->socket_timeout_ms;

    if (cmd->priv.deadline_ms) {
        uint64_t left = cmd->priv.deadline_ms > now ? cmd->priv.deadline_ms - now : 1;
        if (t == 0 || left < t)
            t = (uint32_t)MIN(left, UINT32_MAX);
    }
    if (t)
        store_u32be(cmd->req.p + AERO_PROTO_HEADER_SZ + 14, t);
}

static void dispatch(struct aero_client *cl, struct aero_cmd *cmd)
{
    uint32_t pid = ((uint32_t)cmd->digest[0] | ((uint32_t)cmd->digest[1] << 8)) & 0xFFF;
    const struct aero_pmap_ns *pn;
    struct aero_node *nd;
    struct cnode *cn;
    struct conn *conn;
    uint64_t t;

    cmd->attempts++;
    if (cmd->priv.deadline_ms && cl->now >= cmd->priv.deadline_ms) {
        cmd->attempts--;
        if (cmd->priv.fail_kind == FK_NONE)
            cmd->priv.fail_kind = FK_TIMEOUT;
        finish(cl, cmd, cmd->priv.fail_kind == FK_TIMEOUT ? ST_TIMEOUT : cmd->priv.fail_st);
        return;
    }
    refresh_map(cl);
    pn = cl->pmap ? aero__pmap_ns(cl->pmap, cmd->ns) : NULL;
    if (!pn) {
        /* like the official client: an unknown namespace is not retried */
        cmd->attempts--;
        cmd->priv.fail_kind = FK_NO_NS;
        cmd->priv.fail_rc = AERO_RC_ERR_NAMESPACE;
        finish(cl, cmd, aero_rc_status(AERO_RC_ERR_NAMESPACE));
        return;
    }
    nd = aero__pmap_ns_owner(pn, pid, cmd->priv.replica);
    if (!nd) {
        attempt_failed(cl, cmd, ST_UNAVAILABLE, 0, 0, FK_NO_NODE);
        return;
    }
    cmd->priv.node_id = nd->id;
    if (cl->cluster->cfg.max_error_rate &&
        atomic_load_explicit(&nd->error_rate, memory_order_relaxed) > cl->cluster->cfg.max_error_rate) {
        atomic_fetch_add_explicit(&nd->n_refused, 1, memory_order_relaxed);
        attempt_failed(cl, cmd, ST_BUSY, AERO_RC_MAX_ERROR_RATE, 0, FK_ERROR_RATE);
        return;
    }
    if (!(cn = cnode_get(cl, nd))) {
        attempt_failed(cl, cmd, ST_NOMEM, 0, 0, FK_NOMEM);
        return;
    }
    atomic_fetch_add_explicit(&nd->n_commands, 1, memory_order_relaxed);
    if (cmd->priv.iteration)
        atomic_fetch_add_explicit(&nd->n_retries, 1, memory_order_relaxed);
    patch_server_timeout(cmd, cl->now);
    t = cmd->socket_timeout_ms ? cl->now + cmd->socket_timeout_ms : 0;
    if (cmd->priv.deadline_ms && (t == 0 || cmd->priv.deadline_ms < t))
        t = cmd->priv.deadline_ms;
    timer_set(cl, cmd, t);
    if ((conn = pick_conn(cl, cn)) != NULL) {
        conn_push(cl, conn, cmd);
    } else if (cn->n_conns == 0) {
        int why = cn->open_errno;
        attempt_failed(cl, cmd, why == -1 ? ST_BUSY : ST_CONNECT, 0, why == -1 ? 0 : why,
                       why == -1 ? FK_NO_CONN : FK_CONNECT);
        if (why != -1)
            aero_cluster_poke(cl->cluster);
    } else {
        cmd->priv.state = CMD_WAIT;
        cmd->priv.conn = NULL;
        list_push(&cn->wait_head, &cn->wait_tail, cmd);
    }
}

/* Move waiting commands onto connections with room. */
static void pump(struct aero_client *cl, struct cnode *cn)
{
    while (cn->wait_head) {
        struct conn *conn = pick_conn(cl, cn);
        if (!conn)
            return;
        conn_push(cl, conn, list_pop(&cn->wait_head, &cn->wait_tail));
    }
}

static bool retriable(enum status st, int rc)
{
    if (rc)
        return rc == AERO_RC_ERR_TIMEOUT || rc == AERO_RC_ERR_UNAVAILABLE ||
               rc == AERO_RC_ERR_DEVICE_OVERLOAD || rc == AERO_RC_ERR_KEY_BUSY ||
               rc == AERO_RC_MAX_ERROR_RATE;
    return st == ST_TIMEOUT || st == ST_CONNECT || st == ST_IO || st == ST_BUSY ||
           st == ST_UNAVAILABLE || st == ST_PROTO;
}

/* What the circuit breaker counts, like the official clients: attempts that timed out,
 * connections that could not be opened or set up or that broke, unparsable replies, and the
 * server saying DEVICE_OVERLOAD. Not record errors, nor commands merely caught on a connection
 * another one broke. */
static bool counts_toward_error_rate(enum fail_kind kind, int rc)
{
    switch (kind) {
    case FK_TIMEOUT:
    case FK_CONNECT:
    case FK_CONNECT_TIMEOUT:
    case FK_IO:
    case FK_EOF:
    case FK_PROTO:
    case FK_SETUP:
        return true;
    case FK_SERVER:
        return rc == AERO_RC_ERR_DEVICE_OVERLOAD;
    default:
        return false;
    }
}

static void attempt_failed(struct aero_client *cl, struct aero_cmd *cmd, enum status st, int rc,
                           int err_no, enum fail_kind kind)
{
    struct aero_node *nd = cmd_node(cl, cmd);
    uint32_t sleep_ms = cmd->sleep_between_retries_ms;

    timer_clear(cl, cmd);
    cmd->priv.conn = NULL;
    cmd->priv.fail_st = st;
    cmd->priv.fail_rc = rc;
    cmd->priv.fail_errno = err_no;
    cmd->priv.fail_kind = (uint8_t)kind;
    if (nd && kind != FK_NO_NODE)
    {
        size_t n = strnlen(nd->addr, sizeof(cmd->priv.fail_where) - 1);
        memcpy(cmd->priv.fail_where, nd->addr, n);
        cmd->priv.fail_where[n] = '\0';
    }
    if (nd && kind != FK_SERVER && kind != FK_NO_NODE && kind != FK_ERROR_RATE) {
        if (kind == FK_TIMEOUT)
            atomic_fetch_add_explicit(&nd->n_timeouts, 1, memory_order_relaxed);
        else
            atomic_fetch_add_explicit(&nd->n_errors, 1, memory_order_relaxed);
    }
    if (nd && counts_toward_error_rate(kind, rc) && cl->cluster->cfg.max_error_rate)
        atomic_fetch_add_explicit(&nd->error_rate, 1, memory_order_relaxed);
    if (cmd->is_write && cmd->priv.sent && kind != FK_SERVER)
        cmd->in_doubt = true;
    cmd->priv.sent = false;
    if (cmd->priv.batch)
        buf_reset(&cmd->reply);       /* rows of a failed attempt */
    if (cl->closing || !retriable(st, rc) || cmd->priv.iteration >= cmd->max_retries) {
        finish(cl, cmd, rc ? aero_rc_status(rc) : st);
        return;
    }
    if (rc == AERO_RC_ERR_KEY_BUSY) {
        uint32_t backoff = 5u << MIN(cmd->priv.iteration, 5u);   /* 5, 10, ... 160 ms */
        sleep_ms = MAX(sleep_ms, backoff);
    }
    if (cmd->priv.deadline_ms && cl->now + sleep_ms >= cmd->priv.deadline_ms) {
        finish(cl, cmd, rc ? aero_rc_status(rc) : st);
        return;
    }
    cmd->priv.iteration++;
    /* next replica, except a write after a timeout / missing connection / refusal by the
     * circuit breaker (same node again, wire doc §11.3) */
    if (!cmd->is_write || (kind != FK_TIMEOUT && kind != FK_NO_CONN && kind != FK_ERROR_RATE))
        cmd->priv.replica++;
    if (kind == FK_NO_NODE)
        sleep_ms = MAX(sleep_ms, 10);
    if (sleep_ms) {
        cmd->priv.state = CMD_SLEEP;
        timer_set(cl, cmd, cl->now + sleep_ms);
    } else {
        later(cl, cmd);
    }
    if (kind == FK_NO_NODE || kind == FK_CONNECT || kind == FK_CONNECT_TIMEOUT)
        aero_cluster_poke(cl->cluster);
}

/* ---------- replies ---------- */

/* Length of the AS_MSG at @p (header, fields, ops), or 0 if it overruns @n. */
static size_t msg_len(const uint8_t *p, size_t n)
{
    size_t off = AERO_MSG_HEADER_SZ;
    uint32_t nf, no;

    if (n < AERO_MSG_HEADER_SZ)
        return 0;
    nf = load_u16be(p + 18);
    no = load_u16be(p + 20);
    for (uint32_t i = 0; i < nf + no; i++) {
        if (n - off < 4)
            return 0;
        uint32_t sz = load_u32be(p + off);
        if (sz > n - off - 4)
            return 0;
        off += 4 + (size_t)sz;
    }
    return off;
}

/* Batch: append this message's rows; true once the LAST row arrived (result in *rc).
 * Sets *bad on malformed rows. */
static bool batch_part(struct aero_cmd *cmd, const uint8_t *body, size_t n, int *rc, bool *bad)
{
    size_t off = 0;
    bool last = false;

    while (off < n) {
        size_t len = msg_len(body + off, n - off);
        if (len == 0) {
            *bad = true;
            return false;
        }
        if (body[off + 3] & AERO_INFO3_LAST) {
            last = true;
            *rc = body[off + 5];
        }
        off += len;
    }
    if (buf_append(&cmd->reply, body, n) != ST_OK) {
        *bad = true;
        return false;
    }
    return last;
}

/* One complete reply frame for the FIFO head. Returns false if the connection was failed. */
static bool on_frame(struct aero_client *cl, struct conn *conn, const uint8_t *frame, size_t size)
{
    struct aero_cmd *cmd = conn->head;
    const uint8_t *body = frame + AERO_PROTO_HEADER_SZ;
    int rc = 0;
    bool bad = false;

    if (!cmd || cmd == conn->send || frame[1] != AERO_PROTO_MSG || size < AERO_MSG_HEADER_SZ) {
        conn_fail(cl, conn, ST_PROTO, 0, FK_PROTO, cmd);
        return false;
    }
    if (cmd->priv.batch) {
        if (!batch_part(cmd, body, size, &rc, &bad)) {
            if (bad)
                conn_fail(cl, conn, ST_PROTO, 0, FK_PROTO, cmd);
            return !bad;
        }
    } else {
        buf_reset(&cmd->reply);
        if (buf_append(&cmd->reply, body, size) != ST_OK) {
            conn_fail(cl, conn, ST_NOMEM, ENOMEM, FK_NOMEM, cmd);
            return false;
        }
        rc = body[5];
        cmd->generation = load_u32be(body + 6);
        cmd->void_time = load_u32be(body + 10);
    }
    list_pop(&conn->head, &conn->tail);
    conn->n--;
    conn->last_ms = cl->now;
    cmd->result_code = rc;
    cmd->priv.conn = NULL;
    if ((rc == AERO_RC_SEC_ERR_NOT_AUTHENTICATED || rc == AERO_RC_SEC_ERR_EXPIRED_SESSION) &&
        cl->cluster->cfg.auth)
        return auth_refused(cl, conn, cmd, rc);
    if (rc == 0) {
        finish(cl, cmd, ST_OK);
    } else {
        struct aero_node *nd = cmd_node(cl, cmd);
        if (nd)
            atomic_fetch_add_explicit(&nd->n_errors, 1, memory_order_relaxed);
        attempt_failed(cl, cmd, aero_rc_status(rc), rc, 0, FK_SERVER);
    }
    return true;
}

static void conn_read(struct aero_client *cl, struct conn *conn)
{
    struct buf *rb = &conn->rbuf;

    for (;;) {
        size_t off = 0, space;
        ssize_t r;

        if (rb->cap - rb->len < 4096 + 1 && buf_reserve(rb, READ_CHUNK) != ST_OK) {
            conn_fail(cl, conn, ST_NOMEM, ENOMEM, FK_NOMEM, conn->head);
            return;
        }
        space = rb->cap - rb->len - 1;
        r = conn->ssl ? aero__tls_read(conn->ssl, rb->p + rb->len, space)
                      : recv(conn->fd, rb->p + rb->len, space, MSG_DONTWAIT);
        if (r == 0) {
            conn_fail(cl, conn, ST_IO, 0, FK_EOF, NULL);
            return;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_fail(cl, conn, ST_IO, errno, FK_IO, NULL);
            return;
        }
        rb->len += (size_t)r;
        while (rb->len - off >= AERO_PROTO_HEADER_SZ) {
            const uint8_t *f = rb->p + off;
            uint64_t size = load_u64be(f) & 0xFFFFFFFFFFFFull;
            if (f[0] != AERO_PROTO_VERSION || size > cl->cfg.max_reply) {
                conn_fail(cl, conn, ST_PROTO, 0, FK_PROTO, conn->head);
                return;
            }
            if (rb->len - off < AERO_PROTO_HEADER_SZ + size) {
                if (AERO_PROTO_HEADER_SZ + size > rb->cap - 1 - off) {
                    memmove(rb->p, rb->p + off, rb->len - off);
                    rb->len -= off;
                    off = 0;
                    if (buf_reserve(rb, (size_t)size + AERO_PROTO_HEADER_SZ) != ST_OK) {
                        conn_fail(cl, conn, ST_NOMEM, ENOMEM, FK_NOMEM, conn->head);
                        return;
                    }
                }
                break;
            }
            if (!on_frame(cl, conn, f, (size_t)size))
                return;
            off += AERO_PROTO_HEADER_SZ + (size_t)size;
        }
        if (off) {
            memmove(rb->p, rb->p + off, rb->len - off);
            rb->len -= off;
        }
        if ((size_t)r < space && !aero__tls_pending(conn->ssl))
            break;                    /* drained */
    }
    if (conn->retire && conn->n == 0) {
        struct cnode *cn = conn->cn;
        conn_close(cl, conn);         /* its last command answered */
        pump(cl, cn);
        return;
    }
    pump(cl, conn->cn);
}

static void conn_connected(struct aero_client *cl, struct conn *conn)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);

    if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        soerr = errno;
    if (!conn->tcp_done && soerr) {
        conn_fail(cl, conn, ST_CONNECT, soerr, FK_CONNECT, NULL);
        return;
    }
    conn->tcp_done = true;
    if (aero__csetup_needed(cl->cluster) && !conn_setup(cl, conn))
        return;
    conn->connecting = false;
    conn_events(cl, conn);
    conn_flush(cl, conn);
}

static void on_conn_event(struct aero_client *cl, struct conn *conn, uint32_t events)
{
    if (conn->closed)
        return;
    if (conn->connecting) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP) || (conn->tcp_done && (events & EPOLLIN)))
            conn_connected(cl, conn);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        conn_read(cl, conn);
    if (!conn->closed && (events & EPOLLOUT))
        conn_flush(cl, conn);
}

/* ---------- timers ---------- */

static void on_timer(struct aero_client *cl, struct aero_cmd *cmd)
{
    struct conn *conn = cmd_conn(cmd);

    switch ((enum cmd_state)cmd->priv.state) {
    case CMD_SLEEP:
        later(cl, cmd);
        break;
    case CMD_WAIT: {
        struct aero_node *nd = cmd_node(cl, cmd);
        struct cnode *cn = nd ? cl->nodes[nd->id] : NULL;
        if (cn)
            list_remove(&cn->wait_head, &cn->wait_tail, cmd);
        attempt_failed(cl, cmd, ST_TIMEOUT, 0, 0, FK_TIMEOUT);
        break;
    }
    case CMD_QUEUED:
        if (!conn)
            break;
        if (cmd->priv.sent) {
            conn_fail(cl, conn, ST_TIMEOUT, 0, FK_TIMEOUT, cmd);
        } else {
            if (conn->send == cmd) {
                conn->send = cmd->priv.next;
                conn->send_off = 0;
            }
            list_remove(&conn->head, &conn->tail, cmd);
            conn->n--;
            conn->last_ms = cl->now;
            attempt_failed(cl, cmd, ST_TIMEOUT, 0, 0, FK_TIMEOUT);
        }
        break;
    default:
        break;
    }
}

static void run_timers(struct aero_client *cl)
{
    struct aero_cmd *cmd;

    while ((cmd = timer_first(cl)) != NULL && cmd->priv.timer_ms <= cl->now) {
        timer_clear(cl, cmd);
        on_timer(cl, cmd);
    }
    for (uint32_t i = 0; i < cl->n_conns; i++) {
        struct conn *conn = cl->conns[i];
        if (conn->connecting && conn->connect_deadline <= cl->now) {
            conn_fail(cl, conn, ST_CONNECT, 0, FK_CONNECT_TIMEOUT, NULL);
            i--;                      /* swap-removed */
        }
    }
}

static int next_wait(struct aero_client *cl, int timeout_ms)
{
    uint64_t next = UINT64_MAX;
    const struct aero_cmd *first = timer_first(cl);

    if (first)
        next = first->priv.timer_ms;
    for (uint32_t i = 0; i < cl->n_conns; i++)
        if (cl->conns[i]->connecting)
            next = MIN(next, cl->conns[i]->connect_deadline);
    if (next == UINT64_MAX)
        return timeout_ms;
    next = next > cl->now ? next - cl->now : 0;
    if (timeout_ms < 0 || next < (uint64_t)timeout_ms)
        return (int)MIN(next, INT_MAX);
    return timeout_ms;
}

/* Drop client state for nodes the cluster removed, once they are idle. */
static void prune_nodes(struct aero_client *cl)
{
    bool again = false;

    cl->prune = false;
    for (uint32_t id = 0; id < cl->cap_nodes; id++) {
        struct cnode *cn = cl->nodes[id];
        struct aero_cmd *cmd;
        bool busy = false;

        if (!cn || atomic_load(&cn->nd->active))
            continue;
        while ((cmd = list_pop(&cn->wait_head, &cn->wait_tail)) != NULL)
            requeue(cl, cmd);
        for (uint32_t i = 0; i < cn->n_conns; i++)
            busy |= cn->conns[i]->n > 0;
        if (busy) {
            again = true;
            continue;
        }
        while (cn->n_conns)
            conn_close(cl, cn->conns[0]);
        /* commands remember node ids; keep the slot id-addressable but empty */
        for (struct conn *g = cl->grave; g; g = g->grave_next)
            if (g->cn == cn)
                g->cn = NULL;
        aero__node_unref(cn->nd);
        mem_free(cn->conns);
        mem_free(cn);
        cl->nodes[id] = NULL;
    }
    cl->prune = again;
}

/* Dispatch deferred commands; flush connections. */
static void progress(struct aero_client *cl)
{
    struct aero_cmd *cmd, *head = cl->later_head;

    if (cl->prune)
        prune_nodes(cl);
    cl->later_head = cl->later_tail = NULL;
    while ((cmd = head) != NULL) {
        head = cmd->priv.next;
        cmd->priv.next = NULL;
        dispatch(cl, cmd);
    }
    flush_all(cl);
}

static void bury(struct aero_client *cl)
{
    while (cl->grave) {
        struct conn *conn = cl->grave;
        cl->grave = conn->grave_next;
        buf_free(&conn->rbuf);
        mem_free(conn);
    }
    for (struct watch **w = &cl->watches; *w;) {
        if ((*w)->dead) {
            struct watch *dead = *w;
            *w = dead->next;
            mem_free(dead);
        } else {
            w = &(*w)->next;
        }
    }
}

/* Handle @n ready events from cl->events. */
static void handle_events(struct aero_client *cl, int n)
{
    for (int i = 0; i < n; i++) {
        enum ev_kind *k = cl->events[i].data.ptr;
        if (*k == EV_CONN) {
            on_conn_event(cl, (struct conn *)k, cl->events[i].events);
        } else if (*k == EV_WAKE) {
            uint64_t v;
            while (read(cl->evfd, &v, sizeof(v)) > 0)
                ;
        } else {
            struct watch *w = (struct watch *)k;
            if (!w->dead)
                w->cb(w->ctx);
        }
    }
}

/* Close connections that carried nothing for max_socket_idle_ms (looked at a few times per
 * period, not on every poll). A new command opens a new connection as usual. */
static void close_idle(struct aero_client *cl)
{
    uint32_t idle = cl->cluster->cfg.max_socket_idle_ms;

    if (!idle || cl->now < cl->next_idle_check)
        return;
    cl->next_idle_check = cl->now + MAX(idle / 4, 100u);
    for (uint32_t i = 0; i < cl->n_conns;) {
        struct conn *c = cl->conns[i];
        if (c->n == 0 && !c->connecting && cl->now - c->last_ms >= idle) {
            conn_close(cl, c);        /* swap-removed: look at slot i again */
            continue;
        }
        i++;
    }
}

int aero_client_poll(struct aero_client *cl, int timeout_ms)
{
    int ran, n, wait;

    cl->polling = true;
    cl->now = clock_mono_ms();
    /* Timers only after the sockets were read: after a long gap between polls (a caller busy
     * elsewhere) replies may wait in the kernel for commands whose deadline passed meanwhile;
     * they complete, rather than time out and be sent again (a duplicate write). */
    progress(cl);
    ran = run_done(cl);
    progress(cl);
    wait = (ran > 0 || cl->later_head || cl->done_head) ? 0 : next_wait(cl, timeout_ms);
    for (int round = 0; round < 16; round++, wait = 0) {
        n = epoll_wait(cl->epfd, cl->events, EVENTS, wait);
        cl->now = clock_mono_ms();
        handle_events(cl, n);
        if (n < EVENTS)
            break;                    /* a full batch: more sockets may be ready */
    }
    run_timers(cl);
    progress(cl);
    ran += run_done(cl);
    progress(cl);
    close_idle(cl);
    bury(cl);
    cl->polling = false;
    return ran;
}

/* ---------- public API ---------- */

void aero_client_config_init(struct aero_client_config *c)
{
    c->conns_per_node = 2;
    c->pipeline_depth = 64;
    c->max_reply = (uint32_t)MIN(AERO_PROTO_MAX_BODY, UINT32_MAX);
}

struct aero_client *aero_client_new(struct aero_cluster *c, const struct aero_client_config *cfg,
                                    struct err *e)
{
    struct aero_client *cl = mem_calloc(1, sizeof(*cl));
    struct epoll_event ev;

    if (!cl) {
        err_set(e, ST_NOMEM, "aerospike client");
        return NULL;
    }
    cl->epfd = cl->evfd = -1;
    cl->cluster = c;
    if (cfg)
        cl->cfg = *cfg;
    else
        aero_client_config_init(&cl->cfg);
    if (cl->cfg.conns_per_node == 0 || cl->cfg.pipeline_depth == 0 ||
        cl->cfg.max_reply < AERO_MSG_HEADER_SZ) {
        err_set(e, ST_CONFIG, "aerospike client: conns_per_node, pipeline_depth and max_reply must be > 0");
        goto fail;
    }
    if (c->tls && cl->cfg.pipeline_depth > c->cfg.tls.pipeline_depth) {
        /* pipelining over TLS is unverified (wire doc §10.2): fewer requests per
         * connection, more connections */
        cl->cfg.pipeline_depth = c->cfg.tls.pipeline_depth;
        if (cl->cfg.pipeline_depth == 1)
            cl->cfg.conns_per_node = MAX(cl->cfg.conns_per_node, AERO_TLS_CONNS_PER_NODE);
    }
    cl->epfd = epoll_create1(EPOLL_CLOEXEC);
    cl->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (cl->epfd < 0 || cl->evfd < 0) {
        err_set(e, ST_INTERNAL, "aerospike client: epoll/eventfd: %s", strerror(errno));
        goto fail;
    }
    cl->wake_kind = EV_WAKE;
    ev.events = EPOLLIN;
    ev.data.ptr = &cl->wake_kind;
    if (epoll_ctl(cl->epfd, EPOLL_CTL_ADD, cl->evfd, &ev) != 0) {
        err_set(e, ST_INTERNAL, "aerospike client: epoll_ctl: %s", strerror(errno));
        goto fail;
    }
    cl->now = clock_mono_ms();
    refresh_map(cl);
    return cl;
fail:
    aero_client_free(cl);
    return NULL;
}

static void cancel(struct aero_client *cl, struct aero_cmd *cmd)
{
    cmd->priv.fail_kind = FK_CANCEL;
    cmd->priv.conn = NULL;
    finish(cl, cmd, ST_CANCELLED);
}

void aero_client_free(struct aero_client *cl)
{
    struct aero_cmd *cmd;

    if (!cl)
        return;
    cl->closing = true;
    while (cl->n_conns > 0) {
        struct conn *conn = cl->conns[0];
        struct aero_cmd *head = conn->head;
        conn->head = conn->tail = conn->send = NULL;
        conn_close(cl, conn);
        while ((cmd = head) != NULL) {
            head = cmd->priv.next;
            cancel(cl, cmd);
        }
    }
    for (uint32_t id = 0; id < cl->cap_nodes; id++)
        while (cl->nodes[id] && (cmd = list_pop(&cl->nodes[id]->wait_head, &cl->nodes[id]->wait_tail)))
            cancel(cl, cmd);
    while ((cmd = list_pop(&cl->later_head, &cl->later_tail)) != NULL)
        cancel(cl, cmd);
    while ((cmd = timer_first(cl)) != NULL)   /* sleeping between retries */
        cancel(cl, cmd);
    run_done(cl);
    bury(cl);
    for (struct watch *w = cl->watches, *next; w; w = next) {
        next = w->next;
        mem_free(w);
    }
    for (uint32_t id = 0; id < cl->cap_nodes; id++) {
        if (!cl->nodes[id])
            continue;
        aero__node_unref(cl->nodes[id]->nd);
        mem_free(cl->nodes[id]->conns);
        mem_free(cl->nodes[id]);
    }
    mem_free(cl->nodes);
    mem_free(cl->conns);
    mem_free(cl->heap);
    aero__pmap_unref(cl->pmap);
    if (cl->epfd >= 0)
        close(cl->epfd);
    if (cl->evfd >= 0)
        close(cl->evfd);
    mem_free(cl);
}

void aero_cmd_route(struct aero_cmd *cmd, const char *ns, const uint8_t digest[AERO_DIGEST_SZ],
                    bool is_write)
{
    size_t n = strnlen(ns, sizeof(cmd->ns) - 1);

    memcpy(cmd->ns, ns, n);           /* a longer name is cut; aero_submit's lookup fails it */
    cmd->ns[n] = '\0';
    memcpy(cmd->digest, digest, AERO_DIGEST_SZ);
    cmd->is_write = is_write;
}

void aero_cmd_policy(struct aero_cmd *cmd, const struct aero_policy *p)
{
    cmd->socket_timeout_ms = p->socket_timeout_ms;
    cmd->total_timeout_ms = p->total_timeout_ms;
    cmd->max_retries = p->max_retries;
    cmd->sleep_between_retries_ms = p->sleep_between_retries_ms;
}

void aero_cmd_free(struct aero_cmd *cmd)
{
    if (!cmd)
        return;
    buf_free(&cmd->req);
    buf_free(&cmd->reply);
}

enum status aero_submit(struct aero_client *cl, struct aero_cmd *cmd, struct err *e)
{
    const uint8_t *p = cmd->req.p;

    if (cl->closing)
        return err_set(e, ST_CLOSED, "aerospike client is closing");
    if (!cmd->cb)
        return err_set(e, ST_USAGE, "aero_submit: no callback");
    if (cmd->priv.state != CMD_IDLE)
        return err_set(e, ST_USAGE, "aero_submit: command already in flight");
    if (cmd->req.len < AERO_PROTO_HEADER_SZ + AERO_MSG_HEADER_SZ || p[0] != AERO_PROTO_VERSION ||
        p[1] != AERO_PROTO_MSG ||
        (load_u64be(p) & 0xFFFFFFFFFFFFull) != cmd->req.len - AERO_PROTO_HEADER_SZ)
        return err_set(e, ST_USAGE, "aero_submit: request is not one complete AS_MSG frame");
    if (!memchr(cmd->ns, '\0', sizeof(cmd->ns)) || cmd->ns[0] == '\0')
        return err_set(e, ST_USAGE, "aero_submit: no namespace for routing");
    if (cl->inflight + 1 > cl->heap_cap) {         /* each command sits in the heap at most once */
        uint32_t cap = cl->heap_cap ? cl->heap_cap * 2 : 64;
        struct aero_cmd **h = mem_realloc(cl->heap, cap * sizeof(*h));
        if (!h)
            return err_set(e, ST_NOMEM, "aero_submit: timer heap");
        cl->heap = h;
        cl->heap_cap = cap;
    }
    if (!cl->polling)
        cl->now = clock_mono_ms();
    memset(&cmd->priv, 0, sizeof(cmd->priv));
    cmd->priv.cl = cl;
    cmd->priv.heap_idx = NO_HEAP;
    cmd->priv.batch = (p[AERO_PROTO_HEADER_SZ + 1] & AERO_INFO1_BATCH) != 0;
    cmd->priv.deadline_ms = cmd->total_timeout_ms ? cl->now + cmd->total_timeout_ms : 0;
    cmd->result_code = 0;
    cmd->generation = cmd->void_time = 0;
    cmd->attempts = 0;
    cmd->in_doubt = false;
    buf_reset(&cmd->reply);
    cl->inflight++;
    dispatch(cl, cmd);
    return ST_OK;
}

void aero_client_wake(struct aero_client *cl)
{
    uint64_t one = 1;
    ssize_t w = write(cl->evfd, &one, sizeof(one));
    (void)w;
}

enum status aero_client_watch_fd(struct aero_client *cl, int fd, void (*cb)(void *ctx), void *ctx,
                                 struct err *e)
{
    struct watch *w = mem_calloc(1, sizeof(*w));
    struct epoll_event ev;

    if (!w)
        return err_set(e, ST_NOMEM, "watch fd %d", fd);
    w->kind = EV_WATCH;
    w->fd = fd;
    w->cb = cb;
    w->ctx = ctx;
    ev.events = EPOLLIN;
    ev.data.ptr = w;
    if (epoll_ctl(cl->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int en = errno;
        mem_free(w);
        return err_set(e, ST_INTERNAL, "watch fd %d: %s", fd, strerror(en));
    }
    w->next = cl->watches;
    cl->watches = w;
    return ST_OK;
}

void aero_client_unwatch_fd(struct aero_client *cl, int fd)
{
    for (struct watch *w = cl->watches; w; w = w->next) {
        if (w->fd == fd && !w->dead) {
            epoll_ctl(cl->epfd, EPOLL_CTL_DEL, fd, NULL);
            w->dead = true;
            if (!cl->polling)
                bury(cl);
            return;
        }
    }
}

static struct aero_node *master_of(struct aero_client *cl, const char *ns, const uint8_t digest[AERO_DIGEST_SZ])
{
    uint32_t pid = ((uint32_t)digest[0] | ((uint32_t)digest[1] << 8)) & 0xFFF;
    const struct aero_pmap_ns *pn;

    refresh_map(cl);
    pn = cl->pmap ? aero__pmap_ns(cl->pmap, ns) : NULL;
    return pn ? aero__pmap_ns_owner(pn, pid, 0) : NULL;
}

uint32_t aero_client_node_of(struct aero_client *cl, const char *ns,
                             const uint8_t digest[AERO_DIGEST_SZ])
{
    struct aero_node *nd = master_of(cl, ns, digest);
    return nd ? nd->id : UINT32_MAX;
}

uint32_t aero_client_batch_node_of(struct aero_client *cl, const char *ns,
                                   const uint8_t digest[AERO_DIGEST_SZ])
{
    struct aero_node *nd = master_of(cl, ns, digest);
    return nd && nd->batch_writes ? nd->id : UINT32_MAX;
}

uint32_t aero_client_inflight(const struct aero_client *cl)
{
    return cl->inflight;
}

struct aero_cluster *aero_client_cluster(const struct aero_client *cl)
{
    return cl->cluster;
}

/* ---------- blocking ---------- */

struct exec_state {
    bool done;
    enum status st;
    struct err *e;
};

static void exec_cb(struct aero_cmd *cmd, enum status st, const struct err *e)
{
    struct exec_state *x = cmd->ctx;
    x->done = true;
    x->st = st;
    if (x->e) {
        x->e->status = e->status;
        x->e->aero_rc = e->aero_rc;
        memcpy(x->e->msg, e->msg, sizeof(x->e->msg));
    }
}

enum status aero_exec(struct aero_client *cl, struct aero_cmd *cmd, struct err *e)
{
    aero_cmd_cb cb = cmd->cb;
    void *ctx = cmd->ctx;
    struct exec_state x = {false, ST_OK, e};
    enum status st;

    if (cl->polling)
        return err_set(e, ST_USAGE, "aero_exec: called from inside a callback");
    cmd->cb = exec_cb;
    cmd->ctx = &x;
    st = aero_submit(cl, cmd, e);
    if (st == ST_OK) {
        while (!x.done)
            aero_client_poll(cl, 1000);
        st = x.st;
    }
    cmd->cb = cb;
    cmd->ctx = ctx;
    return st;
}
