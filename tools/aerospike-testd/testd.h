/* tools/aerospike-testd/testd.h: aerospike-testd, our protocol-faithful in-memory Aerospike.
 * Owns: request parsing (parse.c: pure, no I/O, fuzzed), msgpack checks and CDT edits
 *       (cdt.c), the record store (store.c), transaction execution (exec.c), info commands
 *       (info.c), the epoll server with its nodes and test levers (server.c), snapshots
 *       (snapshot.c) and argv (main.c).
 * Reference: ../shared/docs/aerospike-wire-protocol.md ("wire doc"), CE 8.1.2 behaviour.
 * Threads: one thread runs everything (epoll loop); nothing here is thread-safe.
 * Memory: the store owns records (mem_*); parser views point into the caller's bytes. */
#ifndef TESTD_H
#define TESTD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerospike/aero_proto.h"
#include "aerospike/aero_sec.h"
#include "common/common.h"

/* ===================================================================================
 * parse.c: framing, AS_MSG, batch rows, info commands (pure; every length checked)
 * =================================================================================== */
enum td_frame { TD_FRAME_OK, TD_FRAME_NEED_MORE, TD_FRAME_CLOSE };

/* Check the 8-byte proto header at @p (n bytes available). TD_FRAME_CLOSE: the real server
 * closes the connection without a reply (bad version/type/size, TLS hello). */
enum td_frame td_frame_check(const uint8_t *p, size_t n, uint8_t *type, uint64_t *body_len);

struct td_op {
    uint8_t op, particle, flags, name_len;
    const uint8_t *name;
    const uint8_t *val;
    uint32_t val_len;
};

struct td_msg {
    uint8_t header_sz, info1, info2, info3, info4;
    uint32_t generation, record_ttl, transaction_ttl;
    uint16_t n_fields, n_ops;
    const uint8_t *ns, *set, *key, *digest, *batch;
    uint32_t ns_len, set_len, key_len, digest_len, batch_len;
    bool has_ns, has_set, has_key, has_digest, has_batch, has_filter, has_mrt, has_udf;
    const uint8_t *ops, *ops_end; /* validated op bytes: iterate with td_op_next */
    const uint8_t *filter;        /* filter expression (field 43), filter_len bytes */
    uint32_t filter_len;
};

/* Parse a type-3 body. Returns 0 or AERO_RC_ERR_PARAMETER (short body, field/op overrun or
 * underrun, trailing bytes, header_sz != 22). */
int td_msg_parse(const uint8_t *body, size_t n, struct td_msg *m);
/* Next op of a parsed message: *cur starts at m->ops. False after the last. Inline: a write
 * walks its ops three times (parse, checks, apply), and the call was ~5% of a write. */
static inline bool td_op_next(const uint8_t **cur, const uint8_t *end, struct td_op *op)
{
    const uint8_t *p = *cur;
    uint32_t sz;
    size_t skip;

    if (!p || (size_t)(end - p) < 8)
        return false;
    sz = load_u32be(p);
    op->op = p[4];
    op->particle = p[5];
    op->flags = p[6];
    op->name_len = p[7];
    op->name = p + 8;
    skip = (op->flags & 0x01) ? 8 : 0;
    op->val = p + 8 + op->name_len + skip;
    op->val_len = (uint32_t)(sz - 4 - op->name_len - skip);
    *cur = p + 4 + sz;
    return true;
}

/* Batch index rows (wire doc §8.1). */
enum { TD_BATCH_REPEAT = 0x01, TD_BATCH_INFO = 0x02, TD_BATCH_GEN = 0x04, TD_BATCH_TTL = 0x08,
       TD_BATCH_INFO4 = 0x10 };
enum { TD_BATCH_RESPOND_ALL_KEYS = 0x04 };
struct td_batch {
    const uint8_t *p, *end;
    uint32_t count, next;
    uint8_t flags;
    uint32_t transaction_ttl;
    struct td_msg prev;
    bool have_prev;
};
/* Returns 0 or AERO_RC_ERR_PARAMETER. */
int td_batch_begin(struct td_batch *b, const uint8_t *field, size_t n, uint32_t transaction_ttl);
/* Next row: fills @row (digest from the row; namespace, set, key, ops from the row or the
 * previous one) and @index. Returns 0, AERO_RC_ERR_PARAMETER (whole batch fails) or -1 after
 * the last row (then trailing bytes are a parameter error too). */
int td_batch_next(struct td_batch *b, struct td_msg *row, uint32_t *index);

/* Info: next command terminated by '\n' (text after the last '\n' is ignored). */
bool td_info_next(const uint8_t **cur, const uint8_t *end, const char **cmd, size_t *len);
/* Length of the command name: text before the first '/', ':' or ';'. */
size_t td_info_name_len(const char *cmd, size_t len);

/* ===================================================================================
 * cdt.c: MessagePack as Aerospike stores it (wire doc §5): checks, compaction, CDT ops
 * =================================================================================== */
#define TD_MP_MAX_DEPTH 64
/* Validate a LIST (20) or MAP (19) particle and append its stored (compacted) form to @out.
 * Returns 0 or AERO_RC_ERR_PARAMETER. */
int td_mp_store(uint8_t particle, const uint8_t *p, size_t n, struct buf *out);
/* Validate a CDT op payload (msgpack list [op, args...]). 0 or AERO_RC_ERR_PARAMETER. */
int td_cdt_check(const uint8_t *p, size_t n);
/* Apply a CDT_MODIFY/CDT_READ payload to a bin value. @old (particle, bytes) may be absent
 * (old_particle 0). On success for a modify: *new_particle/new bytes appended to @val_out
 * (val_off = start); result (particle + bytes) appended to @res_out. Returns an Aerospike
 * result code (0, 4, 12, 23, 24, 26). */
int td_cdt_apply(bool modify, const uint8_t *payload, size_t n, uint8_t old_particle,
                 const uint8_t *old, size_t old_len, uint8_t *new_particle, struct buf *val_out,
                 uint8_t *res_particle, struct buf *res_out);

/* Evaluate a filter expression (field 43, msgpack) against @r (NULL: the record does not
 * exist: every bin is absent). *pass = the expression is true; false or unknown (e.g. a
 * missing bin, or one of another type) = filtered out. Returns 0 or AERO_RC_ERR_PARAMETER for
 * malformed bytes, a type mismatch, a non-boolean result, or an operation the test server
 * does not implement: it knows comparisons (EQ..LE), AND, OR, NOT, BIN (int, float, string,
 * bool) and BIN_TYPE, on integer, float, string and boolean values. */
struct td_rec;
int td_filter_eval(const uint8_t *p, size_t n, const struct td_rec *r, bool *pass);

/* ===================================================================================
 * store.c: namespaces, sets, records
 * =================================================================================== */
struct td_bin {
    uint8_t name_len;
    char name[AERO_BIN_NAME_MAX];
    uint8_t particle;
    uint32_t len;
    uint32_t off;       /* value offset inside the record's value area */
};

/* One allocation holds the record, its stored key and its first bins block, so a write to
 * an existing record touches one block instead of three (each a cache miss with a million
 * records). A key added later, or a block that outgrew its room, lives in its own
 * allocation (key_inline / bins_inline false). */
struct td_rec {
    uint8_t digest[AERO_DIGEST_SZ];
    uint16_t gen;
    uint16_t set_id;    /* 0 = no set */
    uint32_t void_time; /* seconds since 2010, 0 = never */
    uint32_t n_bins;
    uint32_t bins_cap;   /* bytes usable at bins: a rewrite that fits reuses the block */
    bool key_inline, bins_inline;
    struct td_bin *bins; /* block: bins[n_bins] then the values */
    uint8_t *key;        /* stored key: type byte + bytes, or NULL */
    uint32_t key_len;
};

struct td_slot {
    uint64_t hash;
    struct td_rec *rec;
};

struct td_set {
    char name[AERO_SET_MAX + 1];
    uint8_t len;
    uint64_t objects;
};

#define TD_MAX_SETS 4095
struct td_ns {
    char name[AERO_NAMESPACE_MAX + 1];
    /* config */
    uint32_t default_ttl, nsup_period, max_record_size, rf;
    bool allow_ttl_without_nsup;
    /* records: open addressing on the digest. Each slot keeps the record's hash (digest bytes
     * 4..11) beside the pointer so probing, growing and backward-shift deletion compare and
     * rehash without touching the records: with a million records each touch is a cache
     * miss. Empty slot: rec NULL. */
    struct td_slot *slots;
    size_t cap, count, with_ttl;
    struct td_set *sets;  /* sets[0] unused ("no set") */
    uint32_t n_sets;
    /* counters (namespace stats, all nodes together; per node ones live in the server) */
    uint64_t expired, deleted_last_sweep;
};

struct td_store {
    struct td_ns ns[2];   /* CE allows at most 2 namespaces */
    int n_ns;
};

int td_store_add_ns(struct td_store *st, const char *name, struct err *e);
struct td_ns *td_store_ns(struct td_store *st, const uint8_t *name, size_t len);
void td_store_free(struct td_store *st);
/* Live record or NULL (an expired one is removed on the way). */
struct td_rec *td_rec_get(struct td_ns *ns, const uint8_t digest[AERO_DIGEST_SZ], uint32_t now);
/* Insert a new record without bins (caller fills the rest): @key (key_len bytes, NULL for
 * none) is copied in, and bins points at @bins_room bytes allocated with it (bins_cap).
 * NULL on out of memory. */
struct td_rec *td_rec_insert(struct td_ns *ns, const uint8_t digest[AERO_DIGEST_SZ],
                             const uint8_t *key, uint32_t key_len, size_t bins_room);
void td_rec_remove(struct td_ns *ns, struct td_rec *r);
/* Hints for a coming td_rec_get (no effect on the store): first the slot's cache line, then,
 * once that has had time to arrive, the record's first lines. With a million records each is
 * a cache miss; issued for several batch rows ahead they overlap instead of queueing. */
void td_rec_prefetch_slot(const struct td_ns *ns, const uint8_t digest[AERO_DIGEST_SZ]);
void td_rec_prefetch_rec(const struct td_ns *ns, const uint8_t digest[AERO_DIGEST_SZ]);
/* Set lookup/creation: 0 = no set, -1 = too many sets. */
int td_set_find(struct td_ns *ns, const uint8_t *name, size_t len, bool create);
/* Remove expired records; returns how many. */
size_t td_ns_sweep(struct td_ns *ns, uint32_t now);
void td_ns_truncate(struct td_ns *ns);
static inline const uint8_t *td_bin_val(const struct td_rec *r, const struct td_bin *b)
{
    return (const uint8_t *)(r->bins + r->n_bins) + b->off;
}
/* Seconds since the Citrusleaf epoch. */
uint32_t td_now_cl(void);
/* Partition id of a digest (wire doc §3.5). */
static inline uint16_t td_pid(const uint8_t *d) { return (uint16_t)((d[0] | (d[1] << 8)) & 0x0FFF); }

/* ===================================================================================
 * server-wide state shared by exec.c, info.c and server.c
 * =================================================================================== */
#define TD_MAX_NODES 16
#define TD_MAX_FAIL_CODES 16

struct td_node_stats {
    uint64_t received, proxied, batch_sub_proxied;
    uint64_t reads_ok, reads_not_found, reads_error;
    uint64_t writes_ok, writes_error, deletes_ok, deletes_not_found, udf_error;
    uint64_t batches, batch_rows, batch_errors, info_requests, fail_injected, filtered_out;
    uint64_t conns_opened, conns_closed;
};

struct td_node {
    int index;           /* 0-based */
    int port;
    uint64_t id;
    bool up;
    int listen_fd;
    uint64_t conns;
    struct td_node_stats st;
};

struct td_server;        /* server.c */
struct td_ctx;

/* security.c: EE-style security, on when --user is given (CE without: 51 to every admin
 * message). Users log in with LOGIN (bcrypt credential, or clear password for external
 * mode, or the TLS client certificate's CN for pki) and get a session token with a TTL;
 * other connections present it with AUTHENTICATE. */
#define TD_MAX_USERS 16
struct td_user {
    char name[64];
    char password[128];
    char cred[AERO_BCRYPT_LEN + 1];  /* bcrypt(password, AERO_LOGIN_SALT) */
};
struct td_session {
    uint8_t token[32];
    int user;
    uint64_t expires_ms;             /* monotonic */
};
/* Per connection. */
struct td_auth {
    bool authed;
    int user;
    uint64_t expires_ms;             /* of the session it presented */
    char cert_cn[64];                /* TLS client certificate's CN (verified), "" = none */
};
struct td_security {
    struct td_user users[TD_MAX_USERS];
    int n_users;
    uint32_t session_ttl;            /* seconds */
    struct td_session *sessions;
    size_t n_sessions, cap_sessions;
    uint64_t logins, logins_refused, authenticates, authenticates_refused, rejected_requests;
};
/* Answer an admin (proto type 2) body; appends the complete reply. */
void td_admin(struct td_ctx *c, struct td_auth *a, const uint8_t *body, size_t n, struct buf *out);
/* Whether a data/info request may run on a connection: 0, 80 (not authenticated) or 66
 * (its session expired). Always 0 without --user. */
int td_auth_check(struct td_ctx *c, const struct td_auth *a);
void td_security_free(struct td_security *s);

struct td_ctx {
    struct td_store store;
    struct td_node nodes[TD_MAX_NODES];
    int n_nodes;
    char cluster_name[64];
    char build[32];                /* "8.1.2.0"; --build */
    bool batch_writes;             /* build >= 6.0: batch rows may write */
    /* partition map: index of master / replica node per pid (-1 none) */
    int8_t master[AERO_PARTITIONS], replica[AERO_PARTITIONS];
    int64_t partition_gen;
    uint64_t peers_gen, rebalance_gen;
    uint64_t start_ms;
    /* levers */
    double fail_rate;
    int fail_codes[TD_MAX_FAIL_CODES];
    int n_fail_codes;
    uint32_t latency_ms;
    uint32_t batch_max_requests;   /* rows per batch; 0 = unlimited (8.x default) */
    bool discard_writes;           /* --discard-writes: a benchmark lever, see main.c */
    uint64_t discarded;            /* writes answered and not kept (all nodes) */
    uint64_t rng;
    uint64_t paused_until_ms;
    const char *snapshot_path;
    struct td_server *srv;
    struct td_security sec;
    /* TLS (--tls-cert/--tls-key): every service port speaks TLS */
    const char *tls_cert, *tls_key, *tls_ca;
    char tls_name[64];   /* announced in peers-tls-std */
    /* scratch (reused, no allocation once warm) */
    struct buf scratch, cdt_res, reply_ops;
    void *work;          /* exec.c working bins */
    size_t work_cap;
    void *results;       /* exec.c result list */
    size_t results_cap;
    uint32_t *bin_index; /* exec.c: name hash -> work bin + 1, for records with many bins */
    size_t bin_index_cap;
    /* td_now_cl() as of the read chunk being executed (server.c sets it per chunk: one clock
     * read for many pipelined requests); 0 = exec.c reads the clock per message */
    uint32_t now_cl;
};

/* Recompute the partition map from live nodes; bumps generations when @bump. */
void td_ctx_rebalance(struct td_ctx *c, bool bump);
void td_ctx_free(struct td_ctx *c);

/* exec.c: execute one type-3 body received on @node; appends a complete reply (proto header
 * included; several for batches) to @out. */
void td_exec_message(struct td_ctx *c, int node, const uint8_t *body, size_t n, struct buf *out);
/* Prefetch for a type-3 body to be executed soon (server.c runs this a few requests ahead):
 * finds its namespace and digest without executing anything, fetches the digest's slot line
 * and notes both in @pf (ns NULL: nothing to fetch, e.g. a batch or a malformed body). Later,
 * td_rec_prefetch_rec(pf->ns, pf->digest) fetches the record. */
struct td_prefetch {
    struct td_ns *ns;
    const uint8_t *digest;
};
void td_exec_prefetch(struct td_ctx *c, const uint8_t *body, size_t n, struct td_prefetch *pf);
/* Reply to a type-3 request with just a result code. */
void td_reply_rc(struct buf *out, int rc);

/* info.c: answer a type-1 body; appends the complete reply to @out. @ua_set: per-connection
 * user-agent flag. Returns a server action requested by a testd-* command. */
enum td_action { TD_ACT_NONE, TD_ACT_PAUSE, TD_ACT_NODE };
struct td_info_result {
    enum td_action act;
    uint64_t pause_ms;
    int node;          /* TD_ACT_NODE: node index */
    bool node_up;
};
void td_info(struct td_ctx *c, int node, const uint8_t *body, size_t n, bool *ua_set,
             struct buf *out, struct td_info_result *res);

/* snapshot.c */
int td_snapshot_load(struct td_ctx *c, const char *path, struct err *e);
int td_snapshot_save(struct td_ctx *c, const char *path, struct err *e);

/* server.c */
struct td_server *td_server_new(struct td_ctx *c, struct err *e);
/* Run until *stop becomes non-zero. Returns 0. */
int td_server_run(struct td_server *s, volatile sig_atomic_t *stop);
void td_server_free(struct td_server *s);
uint64_t td_rand(struct td_ctx *c);

#endif
