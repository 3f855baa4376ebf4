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
    atomic_uint_fast64_t n_commands, n_errors, n_timeouts, n_retries, n_conns_opened;
    atomic_uint n_conns;
    atomic_int_fast64_t partition_gen_seen;   /* last value reported (for aero_cluster_nodes) */
    atomic_uint_fast64_t peers_gen_seen;
    atomic_uint tend_failures;
    atomic_uint partitions_master;
    char build[32];                  /* set before publication, then read-only */
    /* tend only */
    int info_fd;
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
    pthread_t tend_thread;
    bool tend_running, stop, tend_requested;
    bool started;                    /* bootstrap done: membership changes are reported */
};
/* A new reference to the current snapshot (never NULL after a successful aero_cluster_new). */
struct aero_pmap *aero__cluster_pmap(struct aero_cluster *c);

/* ===================================================================================
 * Blocking socket helpers (aero_conn.c), used by bootstrap, tend and aero_info_host
 * =================================================================================== */
/* Resolve @h into up to @cap addresses. */
enum status aero__resolve(const struct aero_host *h, struct sockaddr_storage *out, socklen_t *lens,
                          size_t cap, size_t *n, struct err *e);
/* Non-blocking TCP socket to @sa (TCP_NODELAY, CLOEXEC); connect started. Returns fd, or -1
 * with @e set. *in_progress tells whether the connect still has to complete. */
int aero__socket_connect(const struct sockaddr *sa, socklen_t len, bool *in_progress,
                         const char *where, struct err *e);
/* Connect and wait up to @timeout_ms. Returns fd or -1. */
int aero__connect_wait(const struct sockaddr *sa, socklen_t len, uint32_t timeout_ms,
                       const char *where, struct err *e);
/* Send an info request with @cmds ('\n'-separated, final '\n' optional) on @fd and read the
 * reply body into @out (reset first). Deadline-bounded; checks framing (type 1, size limit). */
enum status aero__info_exchange(int fd, const char *cmds, struct buf *out, uint32_t timeout_ms,
                                const char *where, struct err *e);
/* Build an info request frame for @cmds into @b (appends; adds the final '\n'). */
enum status aero__info_frame(struct buf *b, const char *cmds);
/* addr text for @sa ("1.2.3.4:3000" / "[::1]:3000"). */
void aero__sa_format(const struct sockaddr *sa, char *out, size_t cap);

#endif
