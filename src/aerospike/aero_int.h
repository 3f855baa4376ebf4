/* src/aerospike/aero_int.h: private layout shared by the cluster, client and info parts.
 * Owns: struct aero_node (refcounted, shared by the tend thread and every client), the
 *       immutable partition-map snapshot (struct aero_pmap), the info/replicas/peers parsers
 *       and the blocking socket helpers used by bootstrap and tending.
 * Threads: aero_node counters are atomics (any thread); fields marked "tend" are touched by
 *          the tend pass only (serialised by cluster->tend_lock). A published aero_pmap is
 *          never modified; readers hold a reference.
 * Errors: enum status + struct err naming host:port or the node. */
#ifndef AEROSINK_AERO_INT_H
#define AEROSINK_AERO_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "aero.h"

#define AERO_MAX_REPLICAS 3        /* replica columns kept per namespace */
#define AERO_BITMAP_SZ 512         /* 4096 partitions / 8 */
#define AERO_BITMAP_B64 684        /* base64 length of one bitmap */
#define AERO_MAX_NS 32             /* namespaces per cluster we track */
#define AERO_PEER_MAX_EPS 8        /* endpoints kept per peer */
#define AERO_MAX_PEERS 512
#define AERO_INFO_MAX_REPLY (16u << 20)

/* RIPEMD-160 of the concatenation of @n_parts byte ranges (aero_digest.c); pure. */
void aero__ripemd160(const uint8_t *const parts[], const size_t lens[], size_t n_parts,
                     uint8_t out[20]);

/* ===================================================================================
 * Info text parsers (aero_info.c): pure, bounded, fuzzed (tests/fuzz/aero_info_fuzz.c)
 * =================================================================================== */
struct aero__ns_map {                /* one namespace of a `replicas` value */
    char name[AERO_NAMESPACE_MAX + 1];
    uint32_t regime;
    uint8_t n_repl;                  /* columns announced (1..255) */
    uint8_t n_kept;                  /* min(n_repl, AERO_MAX_REPLICAS) decoded into bits */
    uint8_t bits[AERO_MAX_REPLICAS][AERO_BITMAP_SZ];
};
/* Parse `<ns>:<regime>,<n>,<b64>...;<ns>:...` (wire doc §7.3) into @out[0..cap); *n_out = count.
 * Strict: every bitmap is exactly 684 base64 chars, n bitmaps, names 1..31 bytes, no duplicates. */
enum status aero__parse_replicas(const char *v, size_t n, struct aero__ns_map *out, size_t cap,
                                 size_t *n_out, struct err *e);
/* Bit for @pid in a bitmap (most significant bit first). */
static inline bool aero__bit(const uint8_t *bits, uint32_t pid)
{
    return (bits[pid >> 3] & (0x80u >> (pid & 7))) != 0;
}

struct aero__peer {
    char node[AERO_NODE_NAME_SZ];
    char tls_name[64];
    size_t n_eps;
    struct aero_host eps[AERO_PEER_MAX_EPS];
};
struct aero__peers {
    uint64_t generation;
    uint16_t default_port;
    size_t n, cap;
    struct aero__peer *v;            /* owned (mem_*) */
};
/* Parse `<gen>,<port>,[[<id>,<tls>,[<ep>,...]],...]` (wire doc §7.4). Endpoints without a port
 * get the default port (3000 when the field is empty). Reuses @out's storage; free with
 * aero__peers_free. */
enum status aero__parse_peers(const char *v, size_t n, struct aero__peers *out, struct err *e);
void aero__peers_free(struct aero__peers *p);

/* Walk an info reply body: the next "<cmd>\t<value>\n" line. False at the end. A final line
 * without '\n' is returned too. Lines without a TAB have an empty command and the whole line
 * as value (e.g. "ERROR:9:timeout"). */
bool aero__info_next(const char **cur, const char *end, const char **cmd, size_t *cmd_len,
                     const char **val, size_t *val_len);
/* Value of @cmd (exact match of the echoed command), or false. */
bool aero__info_find(const char *body, size_t n, const char *cmd, const char **val, size_t *len);
/* True for values that report a failure: "ERROR:", "FAIL:", "error=". */
bool aero__info_is_error(const char *val, size_t len);
/* Node ids: 1..16 hex digits. */
bool aero__valid_node_name(const char *s, size_t n);

/* ===================================================================================
 * TLS (aero_tls.c) and a blocking socket that may carry it (aero_conn.c)
 * =================================================================================== */
struct ssl_ctx_st;
struct ssl_st;
/* The cluster's OpenSSL context from its TLS settings (stores loaded and checked). */
struct ssl_ctx_st *aero__tls_ctx_new(const struct aero_tls_config *cfg, struct err *e);
void aero__tls_ctx_free(struct ssl_ctx_st *ctx);
/* A client TLS connection over the connected socket @fd, verifying @name (DNS name or IP). */
struct ssl_st *aero__tls_new(struct ssl_ctx_st *ctx, int fd, const char *name, const char *where,
                             struct err *e);
void aero__tls_free(struct ssl_st *ssl);
/* One handshake step: ST_OK when done, ST_AGAIN to wait (*want_write: for writability, else
 * readability), ST_TLS with @e naming the reason (certificate not accepted, handshake refused,
 * closed during the handshake). */
enum status aero__tls_step(struct ssl_st *ssl, const char *name, bool *want_write,
                           const char *where, struct err *e);
/* Like recv/send on a non-blocking socket: bytes, 0 at EOF, -1 with errno (EAGAIN to wait). */
ssize_t aero__tls_read(struct ssl_st *ssl, void *p, size_t n);
ssize_t aero__tls_write(struct ssl_st *ssl, const void *p, size_t n);
/* Decrypted bytes buffered inside OpenSSL (read them before waiting on the socket). */
bool aero__tls_pending(struct ssl_st *ssl);

struct aero__sock {                  /* a blocking-helper socket: fd, plus TLS when on */
    int fd;                          /* -1 = closed */
    struct ssl_st *ssl;
    int stop_fd;                     /* readable = give up every wait at once (ST_CANCELLED);
                                        the cluster's, set by aero__sock_open; -1 = none.
                                        Borrowed: kept across aero__sock_close */
};
#define AERO_SOCK_CLOSED {-1, NULL, -1}
void aero__sock_close(struct aero__sock *s);

/* ===================================================================================
 * Sessions (aero_auth.c, wire doc §9.1): one per node, shared by the tend thread (LOGIN,
 * refresh) and every client (AUTHENTICATE on new connections, LOGIN when the token was
 * refused). Everything under @lock except the two generation atomics.
 * =================================================================================== */
struct aero__session {
    pthread_mutex_t lock;
    struct buf token;                /* empty: none yet, or the node has no security */
    bool no_security;                /* LOGIN answered 52: connections need no AUTHENTICATE */
    uint64_t expires_ms, refresh_ms; /* monotonic; 0 = no TTL */
    atomic_uint gen;                 /* bumped for every new token */
    atomic_uint bad_gen;             /* gen + 1 of a token the server refused (0 = none) */
    enum status fail_st;             /* last LOGIN failure, ST_OK = none */
    char fail_msg[ERR_MSG_LEN];
    uint64_t retry_ms;               /* no LOGIN before this after a failure (back-off) */
    uint32_t fails;
};

/* ===================================================================================
 * Nodes and the partition map (aero_cluster.c)
 * =================================================================================== */
struct aero_node {
    atomic_uint refs;
    uint32_t id;                     /* unique within the cluster, never reused */
    char name[AERO_NODE_NAME_SZ];
    char addr[AERO_ADDR_SZ];         /* "host:port" for messages */
    struct aero_host host;
    struct sockaddr_storage sa;
    socklen_t sa_len;
    atomic_bool active;              /* false once removed from the cluster */
    /* counters: any thread */
    atomic_uint_fast64_t n_commands, n_errors, n_timeouts, n_retries, n_conns_opened, n_refused;
    atomic_uint error_rate;          /* circuit breaker: errors in this window (tend resets it) */
    atomic_uint n_conns;
    atomic_int_fast64_t partition_gen_seen;   /* last value reported (for aero_cluster_nodes) */
    atomic_uint_fast64_t peers_gen_seen;
    atomic_uint tend_failures;
    atomic_uint partitions_master;
    char build[32];                  /* set before publication, then read-only */
    bool batch_writes;               /* build >= 6.0 (batch writes, wire doc §8.3); read-only */
    struct aero__session sess;       /* security session (aero_auth.c) */
    /* tend only */
    struct aero__sock info;          /* the tend/info socket (authenticated) */
    int64_t partition_gen;           /* generation of the applied `replicas`, -2 = none yet */
    uint64_t peers_gen;
    bool peers_gen_valid;
    bool healthy;                    /* answered this pass */
    bool reported_down;              /* an AERO_EV_NODE_DOWN went out, no BACK since */
    struct err last_err;             /* the last tend failure */
    bool need_replicas;
    uint64_t replicas_seq;           /* when its bitmaps were fetched (newer wins conflicts) */
    struct aero__ns_map *maps;       /* owned: this node's ownership bitmaps */
    size_t n_maps;
    struct aero__peers peers;        /* last peers list this node reported */
};
void aero__node_ref(struct aero_node *nd);
void aero__node_unref(struct aero_node *nd);

struct aero_pmap_ns {
    char name[AERO_NAMESPACE_MAX + 1];
    uint8_t n_repl;                  /* columns with owners (1..AERO_MAX_REPLICAS) */
    struct aero_node *owner[AERO_MAX_REPLICAS][AERO_PARTITIONS];
};
struct aero_pmap {                   /* immutable once published */
    atomic_uint refs;
    uint64_t gen;
    size_t n_ns;
    struct aero_pmap_ns *ns;
    size_t n_nodes;
    struct aero_node **nodes;        /* every node referenced below, each holding a ref */
};
void aero__pmap_unref(struct aero_pmap *pm);
/* The namespace's table, or NULL when no node has the namespace. */
const struct aero_pmap_ns *aero__pmap_ns(const struct aero_pmap *pm, const char *ns);
/* Owner of replica @replica of @pid (see aero__pmap_owner). */
struct aero_node *aero__pmap_ns_owner(const struct aero_pmap_ns *pn, uint32_t pid, unsigned replica);
/* Owner of replica @replica (wrapped into the namespace's columns) of @pid; falls back to the
 * other columns when that one has no owner. NULL if the namespace is unknown or unowned. */
struct aero_node *aero__pmap_owner(const struct aero_pmap *pm, const char *ns, uint32_t pid,
                                   unsigned replica);

struct aero_cluster {
    struct aero_cluster_config cfg;
    pthread_mutex_t lock;            /* nodes[], pmap, tend request/stop flags */
    pthread_cond_t cond;
    pthread_mutex_t tend_lock;       /* one tend pass at a time */
    struct aero_node **nodes;        /* active nodes (tend writes under lock) */
    size_t n_nodes, cap_nodes;
    struct aero_pmap *pmap;          /* current snapshot (lock) */
    atomic_uint_fast64_t pmap_gen;   /* == pmap->gen; read lock-free by clients */
    uint32_t next_node_id;
    uint64_t replicas_seq;
    struct buf tend_buf;             /* tend only: info replies (kept: no allocation per pass) */
    uint64_t window_start_ms;        /* tend only: when the error-rate window began */
    uint32_t window_passes;          /* tend only: passes in it (no tend thread) */
    pthread_t tend_thread;
    bool tend_running, stop, tend_requested;
    int stop_fd;                     /* eventfd, readable once aero_cluster_free began: every
                                        blocking wait of the tend thread (connect, TLS, login,
                                        info) ends at once instead of at its timeout */
    bool started;                    /* bootstrap done: membership changes are reported */
    /* security (set at creation, then read-only) */
    struct ssl_ctx_st *tls;          /* NULL: clear text */
    char credential[AERO_BCRYPT_LEN + 1];   /* bcrypt(password, AERO_LOGIN_SALT) */
};
/* A new reference to the current snapshot (never NULL after a successful aero_cluster_new). */
struct aero_pmap *aero__cluster_pmap(struct aero_cluster *c);

/* ===================================================================================
 * Security sessions and connection setup (aero_auth.c)
 * =================================================================================== */
void aero__session_init(struct aero__session *s);
void aero__session_destroy(struct aero__session *s);
/* Move @src's token and times into @dst (a node taking over its probe's session). */
void aero__session_take(struct aero__session *dst, struct aero__session *src);
/* LOGIN on @s (blocking, login_timeout_ms); the new token replaces @sess's. Answer 52 (security
 * not enabled) = success without a token. Refusals are ST_AUTH with a message naming @where
 * and the reason (51: a Community Edition server, no security); they are remembered in @sess
 * with a back-off before the next LOGIN. Transport failures keep their status. */
enum status aero__login(struct aero_cluster *c, struct aero__sock *s, struct aero__session *sess,
                        const char *where, struct err *e);
/* A new tend/info socket to a known node: AUTHENTICATE with the session's token, or LOGIN when
 * there is none or it was refused. No-op without credentials. */
enum status aero__sock_auth(struct aero_cluster *c, struct aero_node *nd, struct aero__sock *s,
                            struct err *e);
/* Tend thread: LOGIN again on the info socket when the token is due for refresh (ahead of its
 * TTL) or a client reported it refused, respecting the failure back-off. */
void aero__session_tend(struct aero_cluster *c, struct aero_node *nd);
/* A client got 80/66 on a connection authenticated with token @gen: log in again. */
void aero__session_refused(struct aero__session *s, unsigned gen);
static inline unsigned aero__session_gen(struct aero__session *s)
{
    return atomic_load_explicit(&s->gen, memory_order_relaxed);
}

/* Set-up of a new command connection after its TCP connect, driven by the client's epoll
 * loop: TLS handshake, then AUTHENTICATE (or LOGIN when the node's token is unusable).
 * Call on every event until it returns ST_OK (ready; *cs freed, *gen = the token generation
 * the connection uses) or an error (ST_TLS / ST_AUTH: fatal, with @e; ST_IO: transport).
 * ST_AGAIN: wait for readability, or writability when *want_write. */
struct aero__csetup;
bool aero__csetup_needed(const struct aero_cluster *c);
enum status aero__csetup_step(struct aero_cluster *c, struct aero_node *nd, int fd,
                              struct ssl_st **ssl, struct aero__csetup **cs, bool *want_write,
                              unsigned *gen, struct err *e);
void aero__csetup_free(struct aero__csetup *cs);

/* ===================================================================================
 * Blocking socket helpers (aero_conn.c), used by bootstrap, tend and aero_info_host
 * =================================================================================== */
/* Connect to @sa within conn_timeout_ms and, when the cluster uses TLS, complete the handshake
 * (verifying @tls_name) within login_timeout_ms. @s gets the cluster's stop_fd: this wait and
 * every later exchange on @s end with ST_CANCELLED once aero_cluster_free began. */
enum status aero__sock_open(struct aero_cluster *c, const struct sockaddr *sa, socklen_t len,
                            const char *tls_name, struct aero__sock *s, const char *where,
                            struct err *e);
/* Send one admin request (@req: a complete frame) and read the reply body into @out.
 * ST_CANCELLED as soon as @s->stop_fd is readable. */
enum status aero__admin_exchange(struct aero__sock *s, const struct buf *req, struct buf *out,
                                 uint32_t timeout_ms, const char *where, struct err *e);
/* Resolve @h into up to @cap addresses. */
enum status aero__resolve(const struct aero_host *h, struct sockaddr_storage *out, socklen_t *lens,
                          size_t cap, size_t *n, struct err *e);
/* Non-blocking TCP socket to @sa (TCP_NODELAY, CLOEXEC); connect started. Returns fd, or -1
 * with @e set. *in_progress tells whether the connect still has to complete. */
int aero__socket_connect(const struct sockaddr *sa, socklen_t len, bool *in_progress,
                         const char *where, struct err *e);
/* Connect and wait up to @timeout_ms, or until @stop_fd (-1: none) is readable (ST_CANCELLED
 * in @e). Returns fd or -1. */
int aero__connect_wait(const struct sockaddr *sa, socklen_t len, uint32_t timeout_ms, int stop_fd,
                       const char *where, struct err *e);
/* Send an info request with @cmds ('\n'-separated, final '\n' optional) on @fd and read the
 * reply body into @out (reset first). Deadline-bounded, ST_CANCELLED as soon as @s->stop_fd is
 * readable; checks framing (type 1, size limit). */
enum status aero__info_exchange(struct aero__sock *s, const char *cmds, struct buf *out, uint32_t timeout_ms,
                                const char *where, struct err *e);
/* Build an info request frame for @cmds into @b (appends; adds the final '\n'). */
enum status aero__info_frame(struct buf *b, const char *cmds);
/* addr text for @sa ("1.2.3.4:3000" / "[::1]:3000"). */
void aero__sa_format(const struct sockaddr *sa, char *out, size_t cap);

#endif
