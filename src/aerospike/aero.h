/* src/aerospike/aero.h: Aerospike wire client.
 * Owns: message encoding (aero_msg_*), MessagePack for list/map particles (aero_mp_*), key
 *       digests and partition ids, reply parsing (aero_reply_*), the info protocol, the cluster
 *       view (seeds, peers, partition map, tending) and asynchronous command execution over
 *       non-blocking sockets with per-node connection pools.
 * Not here: record mapping (mapping/), retry-forever and DLQ policy (worker/), logging.
 * Memory: encoders append to a caller-owned struct buf; parsers return pointers into the
 *         caller's bytes (valid while those bytes are); _new returns owned objects (free
 *         with the matching _free, NULL ok).
 * Threads: encoders/parsers are pure and thread-safe. struct aero_cluster is thread-safe and
 *          runs its own tend thread. struct aero_client belongs to one thread: submit, poll
 *          and every callback happen on it; only aero_client_wake() may be called from others.
 * Errors: enum status + struct err (last, may be NULL); e->aero_rc carries the server code. */
#ifndef AEROSINK_AERO_H
#define AEROSINK_AERO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aero_proto.h"
#include "aero_sec.h"
#include "common/common.h"

/* ===================================================================================
 * Keys, digests, partitions (wire doc §3.3-3.5)
 * =================================================================================== */

/* A user key: integer (8-byte BE on the wire), string or blob. */
struct aero_key_value {
    uint8_t type;               /* AERO_PT_INTEGER, AERO_PT_STRING or AERO_PT_BLOB */
    int64_t i;                  /* INTEGER */
    const uint8_t *p;           /* STRING/BLOB bytes (borrowed) */
    size_t n;
};

/* RIPEMD-160(set || key type || key bytes). */
void aero_digest(const char *set, size_t set_len, const struct aero_key_value *key,
                 uint8_t out[AERO_DIGEST_SZ]);
/* The same digest in two steps, for many keys at once: aero_digest_block fills @block with
 * the digest's input, padded (one RIPEMD-160 block), and returns false when set and key do not
 * fit one block (more than 55 bytes together: use aero_digest); aero_digest_blocks then
 * digests @n such blocks, eight at a time where the CPU has AVX2 (about a quarter of the CPU
 * of one aero_digest each). out[i] is blocks[i]'s digest, equal to aero_digest's. */
#define AERO_DIGEST_BLOCK_SZ 64
bool aero_digest_block(const char *set, size_t set_len, const struct aero_key_value *key,
                       uint8_t block[AERO_DIGEST_BLOCK_SZ]);
void aero_digest_blocks(const uint8_t (*blocks)[AERO_DIGEST_BLOCK_SZ], size_t n,
                        uint8_t (*out)[AERO_DIGEST_SZ]);
uint16_t aero_partition_id(const uint8_t digest[AERO_DIGEST_SZ]);

/* ===================================================================================
 * Message builder (wire doc §1-4): writes one complete proto message into a buf.
 *   struct aero_msg m;
 *   aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, ttl, 1000);
 *   aero_msg_key_fields(&m, "test", 4, "demo", 4, digest, NULL);
 *   aero_msg_op_int(&m, AERO_OP_WRITE, "a", 1, 1);
 *   aero_msg_end(&m, &e);
 * Errors are sticky: after the first failure later calls do nothing and aero_msg_end
 * reports it (bin name over 15 bytes, too many ops, out of memory...).
 * =================================================================================== */
struct aero_msg {
    struct buf *b;
    size_t start;         /* offset of the proto header in b */
    size_t op_start;      /* offset of the op being written (aero_msg_op_open) */
    uint32_t n_fields, n_ops;
    size_t digest_at;     /* offset in b of the digest's 20 bytes (aero_msg_key_fields) */
    enum status st;       /* sticky error */
    char why[96];
};

void aero_msg_begin(struct aero_msg *m, struct buf *b, uint8_t info1, uint8_t info2, uint8_t info3,
                    uint32_t generation, uint32_t record_ttl, uint32_t transaction_ttl);
void aero_msg_field(struct aero_msg *m, uint8_t type, const void *data, size_t n);
/* namespace, set (always, possibly empty), digest, and the KEY field when @send_key != NULL. */
void aero_msg_key_fields(struct aero_msg *m, const char *ns, size_t ns_len, const char *set,
                         size_t set_len, const uint8_t digest[AERO_DIGEST_SZ],
                         const struct aero_key_value *send_key);
void aero_msg_op(struct aero_msg *m, uint8_t op, uint8_t particle, const char *name, size_t name_len,
                 const void *val, size_t val_len);
void aero_msg_op_int(struct aero_msg *m, uint8_t op, const char *name, size_t name_len, int64_t v);
void aero_msg_op_double(struct aero_msg *m, uint8_t op, const char *name, size_t name_len, double v);
void aero_msg_op_bool(struct aero_msg *m, uint8_t op, const char *name, size_t name_len, bool v);
/* Open an op whose value is appended directly to m->b (e.g. with aero_mp_*), then close it. */
void aero_msg_op_open(struct aero_msg *m, uint8_t op, uint8_t particle, const char *name, size_t name_len);
void aero_msg_op_close(struct aero_msg *m);
/* Patch sizes and counts. Returns ST_OK or the sticky error (e->msg names the bin/field). */
enum status aero_msg_end(struct aero_msg *m, struct err *e);
/* Undo everything written since aero_msg_begin (b->len back to the start). */
void aero_msg_abort(struct aero_msg *m);

/* Info request (proto type 1) with one or more commands, each followed by '\n'. */
enum status aero_info_request(struct buf *b, const char *const cmds[], size_t n_cmds);

/* ===================================================================================
 * MessagePack for LIST (20) and MAP (19) particles (wire doc §5): strings and blobs carry
 * their particle-type prefix byte inside the msgpack str; integers use the smallest form.
 * =================================================================================== */
enum status aero_mp_array(struct buf *b, uint32_t n);
enum status aero_mp_map(struct buf *b, uint32_t n);
enum status aero_mp_nil(struct buf *b);
enum status aero_mp_bool(struct buf *b, bool v);
enum status aero_mp_int(struct buf *b, int64_t v);
enum status aero_mp_double(struct buf *b, double v);
enum status aero_mp_str(struct buf *b, const char *s, size_t n);       /* prefix 0x03 */
enum status aero_mp_blob(struct buf *b, const uint8_t *p, size_t n);   /* prefix 0x04 */
/* Ordered-map / ordered-list flag element (c7 00 <flags> [c0]); count it in the header. */
enum status aero_mp_map_flags(struct buf *b, uint8_t flags);
enum status aero_mp_list_flags(struct buf *b, uint8_t flags);

/* Expressions (msgpack, field 43 FILTER: the server applies a command only where it is true,
 * else answers 27 FILTERED_OUT; codes in aero_proto.h). The stale-write guard's filter: true
 * when integer bin @bin (1..15 bytes) is absent or <= @value, i.e.
 * or(eq(bin_type(bin), 0), le(bin_int(bin), value)). Written to @out (no allocation: once per
 * record); returns its length, 0 for a bad bin name. */
#define AERO_EXP_GUARD_MAX 64
size_t aero_exp_absent_or_le(uint8_t out[AERO_EXP_GUARD_MAX], const char *bin, int64_t value);

/* Reading MessagePack (for `aerosink get` and tests): a cursor over bytes. */
enum aero_mp_type {
    AERO_MP_NIL, AERO_MP_BOOL, AERO_MP_INT, AERO_MP_DOUBLE, AERO_MP_STR, AERO_MP_BLOB,
    AERO_MP_ARRAY, AERO_MP_MAP, AERO_MP_EXT,
};
struct aero_mp_item {
    enum aero_mp_type type;
    bool b;
    int64_t i;            /* INT (uint64 above INT64_MAX is refused) */
    double d;
    const uint8_t *p;     /* STR/BLOB: bytes after the particle prefix; EXT: data */
    uint32_t n;           /* STR/BLOB/EXT length; ARRAY/MAP element (pair) count */
    uint8_t prefix;       /* STR/BLOB: the Aerospike particle prefix byte; EXT: ext type */
};
struct aero_mp_reader {
    const uint8_t *p, *end;
    bool bad;
};
void aero_mp_reader_init(struct aero_mp_reader *r, const uint8_t *p, size_t n);
/* Next item; ST_OK, ST_EOF at the end, ST_PARSE on malformed input. Containers are not
 * descended automatically: the next call returns their first element. */
enum status aero_mp_next(struct aero_mp_reader *r, struct aero_mp_item *it);
/* Skip one complete value (including nested containers). */
enum status aero_mp_skip(struct aero_mp_reader *r);

/* ===================================================================================
 * Replies (wire doc §6): incremental framing, then a view of one AS_MSG.
 * =================================================================================== */
struct aero_proto_header {
    uint8_t version, type;
    uint64_t size;      /* bytes after the 8-byte header */
};
/* Parse an 8-byte proto header and check version/type/size (refuses compressed type 4 and
 * anything over @max_body). */
enum status aero_proto_parse(const uint8_t p[AERO_PROTO_HEADER_SZ], uint64_t max_body,
                             struct aero_proto_header *h, struct err *e);

struct aero_msg_view {
    uint8_t info1, info2, info3, info4, result_code;
    uint32_t generation, record_ttl, transaction_ttl;
    uint16_t n_fields, n_ops;
    const uint8_t *fields;    /* first field */
    const uint8_t *ops;       /* first op */
    const uint8_t *end;       /* end of this message (batch: start of the next row) */
};
struct aero_bin_view {
    uint8_t op, particle;
    const char *name;
    uint8_t name_len;
    const uint8_t *value;
    uint32_t value_len;
};
/* Parse an AS_MSG (22-byte header, fields, ops) from @p[0..n). Every size is checked against
 * @n. In a batch reply several messages follow each other: use v->end for the next. */
enum status aero_msg_parse(const uint8_t *p, size_t n, struct aero_msg_view *v, struct err *e);
/* Iterate the ops of a parsed message: *cursor starts at v->ops; ST_EOF after the last. */
enum status aero_msg_next_bin(const struct aero_msg_view *v, const uint8_t **cursor,
                              struct aero_bin_view *bin, struct err *e);

/* Void time (seconds since 2010) -> remaining TTL seconds at @now_unix (0 -> never = -1). */
int64_t aero_void_time_to_ttl(uint32_t void_time, uint64_t now_unix);

/* ===================================================================================
 * Info protocol values (wire doc §7)
 * =================================================================================== */
/* Find "<cmd>\t<value>\n" for @cmd in an info reply body; returns false if absent. */
bool aero_info_value(const char *reply, size_t n, const char *cmd, const char **val, size_t *val_len);

/* =================================================================================== */
/* Cluster and asynchronous client: declared below by the client implementation.        */
/* =================================================================================== */

/* ===================================================================================
 * Hosts and cluster configuration (wire doc §11.1, §11.2)
 * =================================================================================== */
#define AERO_MAX_SEEDS 16
#define AERO_NODE_NAME_SZ 32      /* node id: up to 16 uppercase hex digits + NUL */
#define AERO_ADDR_SZ 280          /* "host:port" / "[v6]:port" + NUL */
#define AERO_DEFAULT_PORT 3000

struct aero_host {
    char name[256];               /* DNS name or IP literal (IPv6 without brackets) */
    uint16_t port;
    char tls_name[64];            /* name the node's TLS certificate must carry ("" = host) */
};
/* Parse "host", "host:port", "[v6]" or "[v6]:port" from @s[0..n); @default_port when absent. */
enum status aero_host_parse(const char *s, size_t n, uint16_t default_port, struct aero_host *h,
                            struct err *e);
/* "host:port" or "[v6]:port" into @out (always NUL-terminated). */
void aero_host_format(const struct aero_host *h, char *out, size_t cap);

enum aero_cluster_event_kind {
    AERO_EV_NODE_ADDED,           /* a new node (peer, or a seed again) joined the view */
    AERO_EV_NODE_DOWN,            /* a node stopped answering the tend request */
    AERO_EV_NODE_BACK,            /* ... and answers again before it was removed */
    AERO_EV_NODE_REMOVED,         /* a node left the view (its partitions went elsewhere) */
};
struct aero_cluster_event {
    enum aero_cluster_event_kind kind;
    const char *node;             /* node id */
    const char *addr;             /* host:port */
    const char *why;              /* DOWN/REMOVED: the last failure ("" if none) */
    size_t n_nodes;               /* nodes in the view after this change */
};
const char *aero_cluster_event_name(enum aero_cluster_event_kind k);

struct aero_cluster_config {
    struct aero_host seeds[AERO_MAX_SEEDS];
    size_t n_seeds;
    char cluster_name[64];        /* "" = accept any; else nodes reporting another are refused */
    /* security (aero_sec.h): LOGIN when a node is first contacted, AUTHENTICATE on every new
     * connection, session token refreshed by the tend thread (wire doc §9.1) */
    bool auth;                    /* log in (credentials configured) */
    enum aero_auth_mode auth_mode;
    char user[64];                /* not with AERO_AUTH_PKI */
    char password[256];           /* wiped by aero_cluster_free */
    struct aero_tls_config tls;   /* tls.enabled: every connection uses TLS */
    uint32_t conn_timeout_ms;     /* connect (bootstrap, tend, command sockets): 1000 */
    uint32_t login_timeout_ms;    /* one LOGIN / AUTHENTICATE exchange (+ TLS handshake): 5000 */
    uint32_t info_timeout_ms;     /* one info exchange during bootstrap/tend: 1000 */
    uint32_t tend_interval_ms;    /* 1000; 0 = no tend thread (call aero_cluster_tend) */
    uint32_t max_conns_per_node;  /* command connections per node, all clients together: 100 */
    uint32_t fail_threshold;      /* consecutive tend failures that remove a node: 5 */
    /* Circuit breaker (wire doc §11.2): a node with more than max_error_rate errors (attempts
     * that timed out, connections that failed or broke, replies that did not parse, result 18
     * DEVICE_OVERLOAD) in the current window gets its commands refused locally with -14
     * MAX_ERROR_RATE, a retriable failure, until the window ends: nothing more is sent to a node
     * that is failing anyway. The window is error_rate_window tend intervals long (without a
     * tend thread: that many aero_cluster_tend calls). 100 and 1 like the official clients;
     * max_error_rate 0 = off. */
    uint32_t max_error_rate;
    uint32_t error_rate_window;
    uint32_t max_socket_idle_ms;  /* a command connection with nothing in flight for this long
                                     is closed by its client's next poll (before the server's
                                     proto-fd-idle-ms reaps it): 55000 as the C client; 0 =
                                     never */
    /* Membership changes after bootstrap, one call per change (never per command), on the
     * tend thread: log them. Must not call aero_cluster_tend/free. NULL = not reported. */
    void (*on_event)(void *ctx, const struct aero_cluster_event *ev);
    void *event_ctx;
};
/* Defaults as commented above; no seeds. */
void aero_cluster_config_init(struct aero_cluster_config *c);

/* Security options as the command-line tools take them (aerosink info/get/put, aero-bench). */
struct aero_tool_security {
    const char *user;             /* --user */
    const char *password_file;    /* --password-file: the password is its first line */
    const char *password_env;     /* $AEROSPIKE_PASSWORD, used without a file (may be NULL) */
    const char *tls_ca, *tls_name, *tls_cert;   /* --tls-ca, --tls-name, --tls-cert (PEM) */
    enum aero_auth_mode auth_mode;
    bool has_auth_mode;           /* --auth-mode given */
    bool tls;                     /* --tls, or any --tls-* option */
};
/* Whether any of them was given (the tools then connect with them). */
bool aero_tool_security_wanted(const struct aero_tool_security *s);
/* The combination makes sense: ST_USAGE naming the options otherwise (--auth-mode pki
 * without --tls-cert, --password-file without --user, a user without a password). */
enum status aero_tool_security_check(const struct aero_tool_security *s, struct err *e);
/* Check (as above) and apply @s to @cfg, whose seeds are already set (--tls-name goes to
 * each). ST_IO for an unreadable password file, ST_CONFIG for a path or password too long.
 * The password lands in cfg->password: wipe it once aero_cluster_new returned. */
enum status aero_cluster_config_tool_security(struct aero_cluster_config *cfg,
                                              const struct aero_tool_security *s, struct err *e);
/* Append seeds from "h1:p1,h2,[::1]:3000" (comma or space separated). */
enum status aero_cluster_config_seeds(struct aero_cluster_config *c, const char *list,
                                      struct err *e);

/* ===================================================================================
 * Cluster: seeds, peers, partition map, tend thread (thread-safe)
 * =================================================================================== */
struct aero_cluster;

/* Bootstrap from the seeds (wire doc §11.1): each seed is connected (TLS handshake checking
 * its tls-name when cfg->tls.enabled), logged in (cfg->auth), and must answer `node`,
 * `partition-generation` (>= 0) and `build` (and `cluster-name` when configured); then peers
 * (`peers-clear-std`, or `peers-tls-std` with their TLS names) are discovered and validated the
 * same way and the partition map is built from `replicas`. Returns an owned cluster whose tend
 * thread is running, or NULL with @e naming every seed that failed (host:port: reason).
 * A refused certificate or login is fatal (ST_TLS / ST_AUTH, not "no seed answered"): retrying
 * cannot help. Seed addresses are never replaced by `service-*` addresses. @thread any */
struct aero_cluster *aero_cluster_new(const struct aero_cluster_config *cfg, struct err *e);
/* Stop the tend thread and free. Every aero_client of this cluster must be freed first. A
 * tend pass in progress gives up its connect/login/info waits at once (a node that stopped
 * answering does not hold this up for its timeouts) and reports nothing it saw meanwhile. */
void aero_cluster_free(struct aero_cluster *c);
/* One tend pass now, on the caller's thread (also what the tend thread runs every interval):
 * `node`/`peers-generation`/`partition-generation` per node, peers and `replicas` refreshed
 * when they changed, dead nodes removed, new ones added. ST_UNAVAILABLE if no node answered. */
enum status aero_cluster_tend(struct aero_cluster *c, struct err *e);
/* Ask the tend thread for an early pass (e.g. after connection errors). Never blocks. */
void aero_cluster_poke(struct aero_cluster *c);

/* Per-node view, copied out; counters are updated by every client of the cluster. */
struct aero_node_info {
    char name[AERO_NODE_NAME_SZ];
    char addr[AERO_ADDR_SZ];
    char build[32];
    int64_t partition_generation;
    uint64_t peers_generation;
    uint32_t partitions_master;   /* partitions this node masters, summed over namespaces */
    uint32_t tend_failures;       /* consecutive */
    uint64_t commands;            /* attempts sent to this node */
    uint64_t errors;              /* attempts that failed (server error, I/O, protocol) */
    uint64_t timeouts;            /* attempts that timed out on the client */
    uint64_t retries;             /* attempts that were retries */
    uint64_t refused;             /* attempts the circuit breaker refused (never sent) */
    uint32_t error_rate;          /* errors counted in the current window */
    uint32_t conns_open;          /* command connections open now */
    uint64_t conns_opened;        /* command connections opened since start */
};
/* Copy up to @cap nodes into @out; returns the number of active nodes. @thread any */
size_t aero_cluster_nodes(struct aero_cluster *c, struct aero_node_info *out, size_t cap);
/* Name of the node holding replica @replica (0 = master) of @digest's partition in @ns.
 * False if the map has no such owner. @thread any */
bool aero_cluster_owner(struct aero_cluster *c, const char *ns, const uint8_t digest[AERO_DIGEST_SZ],
                        unsigned replica, char name[AERO_NODE_NAME_SZ]);
/* Bumped every time a new partition map is published. */
uint64_t aero_cluster_map_generation(struct aero_cluster *c);

/* Info exchange with one host, no cluster needed (`aerosink info`, tests). @cmds holds one or
 * more commands separated by '\n'. @out receives the reply body ("cmd\tvalue\n"...; reset
 * first). Every command must be echoed in the reply, else ST_PROTO. */
enum status aero_info_host(const char *host, uint16_t port, const char *cmds, struct buf *out,
                           uint32_t timeout_ms, struct err *e);
/* The same against the cluster node named @node. */
enum status aero_info_node(struct aero_cluster *c, const char *node, const char *cmds,
                           struct buf *out, uint32_t timeout_ms, struct err *e);

/* ===================================================================================
 * Asynchronous client (one per thread): pipelined connections, retries, callbacks
 * =================================================================================== */
struct aero_client;
struct aero_cmd;

struct aero_client_config {
    uint32_t conns_per_node;      /* pipelined connections this client opens per node: 2 */
    uint32_t pipeline_depth;      /* requests in flight per connection: 64; over TLS capped by
                                     the cluster's tls.pipeline_depth (default 1, and then at
                                     least 16 connections per node) */
    uint32_t max_reply;           /* largest accepted reply body: AERO_PROTO_MAX_BODY */
};
void aero_client_config_init(struct aero_client_config *c);

/* New client on @c (borrowed: the cluster must outlive the client). @cfg NULL = defaults. */
struct aero_client *aero_client_new(struct aero_cluster *c, const struct aero_client_config *cfg,
                                    struct err *e);
/* Cancel every command still in flight (their callbacks run with ST_CANCELLED, on this
 * thread, before this returns), close connections and free. NULL ok. */
void aero_client_free(struct aero_client *cl);

/* Per-command timing and retry policy (wire doc §11.3). 0 timeouts mean "none". The socket
 * timeout runs from dispatch, so it includes waiting behind earlier requests on a pipelined
 * connection. Retried: server results 9, 11, 14 (with 5..160 ms back-off), 18, connection
 * and protocol errors, client timeouts; reads move to the next replica, writes do so except
 * after a timeout. */
struct aero_policy {
    uint32_t socket_timeout_ms;   /* per attempt, from dispatch to reply (capped by total) */
    uint32_t total_timeout_ms;    /* deadline over all attempts */
    uint32_t max_retries;         /* attempts after the first */
    uint32_t sleep_between_retries_ms;
};
#define AERO_POLICY_READ_DEFAULT  {30000, 1000, 2, 0}
#define AERO_POLICY_WRITE_DEFAULT {30000, 1000, 0, 0}

typedef void (*aero_cmd_cb)(struct aero_cmd *cmd, enum status st, const struct err *e);

/* Client-private per-command state. Do not touch. */
struct aero_cmd_priv {
    struct aero_client *cl;
    struct aero_cmd *next;        /* connection FIFO / wait queue / deferred lists */
    void *conn;                   /* connection carrying the current attempt */
    uint64_t deadline_ms;         /* total deadline (0 = none) */
    uint64_t timer_ms;            /* attempt deadline or end of a retry sleep */
    struct aero_cmd *tnext, *tprev;   /* timer lane links */
    uint32_t heap_idx;            /* position in the timer heap, UINT32_MAX if none */
    uint8_t lane;                 /* timer lane + 1, 0 if none */
    uint32_t iteration;           /* retries made so far */
    uint32_t node_id;             /* node of the current/last attempt */
    uint8_t state, replica;
    bool sent;                    /* a byte of the current attempt reached the socket */
    bool batch;                   /* batch request: reply runs until a LAST message */
    bool relogin;                 /* already retried once after 80/66 (token refused) */
    enum status fail_st;          /* last attempt's failure */
    int fail_rc, fail_errno;
    uint8_t fail_kind;
    char fail_where[48];          /* host:port of the last failure */
};

/* A command: caller-owned, reusable, zero-initialised once. Fill the public fields, submit,
 * and do not touch it (nor its req bytes) until its callback has run. */
struct aero_cmd {
    struct buf req;               /* one complete AS_MSG request (proto type 3), aero_msg_* */
    char ns[32];                  /* routing: namespace and digest */
    uint8_t digest[AERO_DIGEST_SZ];
    bool is_write;
    uint32_t socket_timeout_ms, total_timeout_ms, max_retries, sleep_between_retries_ms;
    aero_cmd_cb cb;
    void *ctx;
    /* results, valid in cb */
    int result_code;              /* server result of the last attempt; 20 when no node has the
                                     namespace; 0 for client-side failures (timeout, I/O) */
    uint32_t generation, void_time;
    struct buf reply;             /* reply body (AS_MSG or info text; batch: every row + LAST) */
    uint32_t attempts;            /* attempts made */
    bool in_doubt;                /* a write was sent but its outcome is unknown */
    struct aero_cmd_priv priv;
};

/* Routing and policy helpers for a cmd. */
void aero_cmd_route(struct aero_cmd *cmd, const char *ns, const uint8_t digest[AERO_DIGEST_SZ],
                    bool is_write);
void aero_cmd_policy(struct aero_cmd *cmd, const struct aero_policy *p);
/* Free the req/reply storage of an idle cmd. */
void aero_cmd_free(struct aero_cmd *cmd);

/* Queue @cmd (its transaction_ttl is set to min(socket timeout, remaining total) at each
 * attempt). If this returns an error the callback is never called; otherwise it runs exactly
 * once, on this thread inside aero_client_poll: on a reply (ST_OK for result 0, else
 * aero_rc_status(result) with e->aero_rc set), when retries are exhausted or the total
 * deadline passes (last failure's status), or with ST_CANCELLED from aero_client_free.
 * @e in the callback is the client's (valid during the callback; e->msg names host:port).
 * The callback may submit commands (including @cmd again) but must not poll or free.
 * Never allocates once connections and buffers are warm. */
enum status aero_submit(struct aero_client *cl, struct aero_cmd *cmd, struct err *e);
/* Do I/O, timers, retries and callbacks; waits up to @timeout_ms (-1 = until something
 * happens) when there is nothing to do. Returns the number of callbacks run. */
int aero_client_poll(struct aero_client *cl, int timeout_ms);
/* Wake a blocked aero_client_poll. @thread any (eventfd) */
void aero_client_wake(struct aero_client *cl);
/* Add @fd to the client's epoll set; @cb(@ctx) runs inside poll when it is readable. */
enum status aero_client_watch_fd(struct aero_client *cl, int fd, void (*cb)(void *ctx), void *ctx,
                                 struct err *e);
void aero_client_unwatch_fd(struct aero_client *cl, int fd);
/* Commands submitted whose callbacks have not run yet. */
uint32_t aero_client_inflight(const struct aero_client *cl);
/* The cluster this client uses. */
struct aero_cluster *aero_client_cluster(const struct aero_client *cl);

/* Blocking: submit @cmd and poll until its callback would run; returns its status (@e filled).
 * @cmd->cb/ctx are not called (they are restored afterwards). Other commands in flight keep
 * progressing and their callbacks run. Not from inside a callback. */
enum status aero_exec(struct aero_client *cl, struct aero_cmd *cmd, struct err *e);

/* ===================================================================================
 * Batch writes (wire doc §8, "batch operate", server 6.0+): many write rows for one node in
 * one request. Rows are built from complete single-record write requests (the bytes a
 * caller would otherwise aero_submit one by one): every header flag, field (but the digest,
 * which moves into the row) and op is kept; a row equal to the previous one except for the
 * digest is sent as a 1-byte REPEAT. The caller groups rows by node (aero_client_node_of)
 * and submits b->cmd as usual (set its policy and callback; routing is set from the first
 * row). The callback's status is the whole batch's (connection, timeout, LAST result); each
 * row's own result is read with aero_batch_next_result. Rows of a retried batch may be
 * applied twice: use it for idempotent writes.
 *   aero_batch_begin(&b, e);
 *   for each record: aero_batch_add(&b, i, req.p, req.len, e);
 *   aero_batch_end(&b, e); b.cmd.cb = ...; aero_submit(cl, &b.cmd, e);
 * =================================================================================== */
struct aero_batch {
    struct aero_cmd cmd;          /* the parent request; reply holds the rows + LAST */
    uint32_t count;               /* rows added */
    size_t prev_off, prev_len;    /* the previous full row's body (for REPEAT) */
    bool prev_key, first;
};
/* Start an empty batch in b->cmd.req (buffers reused). */
enum status aero_batch_begin(struct aero_batch *b, struct err *e);
/* Add the write request @req[0..n) as row @index (echoed in its result). ST_USAGE when it is
 * not one complete AS_MSG with the namespace first and a digest field. */
enum status aero_batch_add(struct aero_batch *b, uint32_t index, const uint8_t *req, size_t n,
                           struct err *e);
/* Patch sizes and the row count; then submit b->cmd. */
enum status aero_batch_end(struct aero_batch *b, struct err *e);
struct aero_batch_result {
    uint32_t index;               /* as given to aero_batch_add */
    int result_code;              /* that row's server result (0 ok) */
    uint32_t generation, void_time;
};
/* Iterate the row results of a finished batch command (any order; *cursor = NULL to start).
 * ST_EOF after the last; ST_PROTO on a malformed reply. A row with no result got no answer:
 * its outcome is unknown (an aborted batch may have applied rows before the bad one). */
enum status aero_batch_next_result(const struct aero_cmd *cmd, const uint8_t **cursor,
                                   struct aero_batch_result *res, struct err *e);
/* The id of the node that currently masters @digest's partition in @ns (for grouping rows
 * per node), or UINT32_MAX when none does. Refreshes the client's map view. */
uint32_t aero_client_node_of(struct aero_client *cl, const char *ns,
                             const uint8_t digest[AERO_DIGEST_SZ]);
/* The same, but UINT32_MAX also when that node cannot take batch writes (server < 6.0 or a
 * build that is not a version): write singly then. */
uint32_t aero_client_batch_node_of(struct aero_client *cl, const char *ns,
                                   const uint8_t digest[AERO_DIGEST_SZ]);

/* ===================================================================================
 * Keys and write policies: encode-time helpers over the message builder
 * =================================================================================== */
struct aero_key {
    const char *ns;               /* borrowed */
    const char *set;              /* borrowed, "" = no set */
    struct aero_key_value value;  /* borrowed bytes; type AERO_PT_NULL = digest only */
    uint8_t digest[AERO_DIGEST_SZ];
};
/* Fill @k from @v (copied, bytes borrowed) and compute the digest. Checks ns/set lengths. */
enum status aero_key_init(struct aero_key *k, const char *ns, const char *set,
                          const struct aero_key_value *v, struct err *e);

enum aero_exists {                 /* record-exists-action (connector spelling) */
    AERO_EXISTS_UPDATE = 0,        /* create or merge: no flag */
    AERO_EXISTS_UPDATE_ONLY,       /* info3 UPDATE_ONLY: missing -> 2 */
    AERO_EXISTS_REPLACE,           /* info3 CREATE_OR_REPLACE */
    AERO_EXISTS_REPLACE_ONLY,      /* info3 REPLACE_ONLY: missing -> 2 */
    AERO_EXISTS_CREATE_ONLY,       /* info2 CREATE_ONLY: present -> 5 */
};
enum aero_gen_policy { AERO_GEN_NONE = 0, AERO_GEN_EQ, AERO_GEN_GT };
enum aero_commit_level { AERO_COMMIT_ALL = 0, AERO_COMMIT_MASTER };

struct aero_write_policy {
    struct aero_policy base;      /* timing/retries for the command */
    enum aero_exists exists;
    enum aero_gen_policy gen_policy;
    uint32_t generation;          /* expected generation for GEN_EQ / GEN_GT */
    uint32_t ttl;                 /* seconds, or AERO_TTL_NAMESPACE_DEFAULT / _NEVER_EXPIRE / _DONT_UPDATE */
    bool send_key;                /* also send (and store) the user key */
    bool durable_delete;          /* info2 DURABLE_DELETE (EE; CE answers 25) */
    enum aero_commit_level commit_level;
};
void aero_write_policy_init(struct aero_write_policy *p);   /* defaults: AERO_POLICY_WRITE_DEFAULT */
/* The info2/info3 bits @p adds to a write (WRITE not included). */
void aero_write_policy_bits(const struct aero_write_policy *p, uint8_t *info2, uint8_t *info3);
/* Begin a write-path message for @k: header with @info1 / @info2 (| WRITE | policy bits) /
 * policy info3, generation and TTL from @p, then namespace, set, digest and (send_key) KEY.
 * Add ops, then aero_msg_end. transaction_ttl is patched by aero_submit. */
void aero_write_begin(struct aero_msg *m, struct buf *b, const struct aero_write_policy *p,
                      const struct aero_key *k, uint8_t info1, uint8_t info2);
/* Begin a read message for @k with @info1 (READ is added). */
void aero_read_begin(struct aero_msg *m, struct buf *b, const struct aero_key *k, uint8_t info1);

/* ===================================================================================
 * Blocking convenience calls (tools, tests). Thin wrappers over aero_exec. Each returns
 * ST_OK, the status of the server result (ST_NOT_FOUND, ST_EXISTS, ... with e->aero_rc) or
 * a client-side failure. NULL policies mean the defaults.
 * =================================================================================== */
/* A bin value to write. LIST/MAP take MessagePack bytes (aero_mp_*) in p/n. */
struct aero_bin {
    const char *name;
    uint8_t type;                 /* AERO_PT_NULL (delete bin), INTEGER, FLOAT, STRING, BLOB,
                                     BOOL, LIST, MAP, GEOJSON */
    int64_t i;
    double d;
    bool b;
    const void *p;
    size_t n;
};
/* Append @bin's value as one MessagePack item (list elements, map keys/values). */
enum status aero_bin_to_mp(struct buf *b, const struct aero_bin *bin);

enum aero_op_kind {
    AERO_OPK_WRITE, AERO_OPK_READ, AERO_OPK_INCR, AERO_OPK_APPEND, AERO_OPK_PREPEND,
    AERO_OPK_TOUCH, AERO_OPK_DELETE_ALL, AERO_OPK_LIST_APPEND, AERO_OPK_MAP_PUT,
};
struct aero_op {
    enum aero_op_kind kind;
    struct aero_bin bin;          /* name (+ value); READ with name "" = all bins */
    struct aero_bin map_key;      /* MAP_PUT: the map key (INTEGER, STRING or BLOB) */
};

/* A record read back: the reply AS_MSG (owned) and its header. */
struct aero_record {
    int result_code;
    uint32_t generation, void_time;
    struct buf raw;
    struct aero_msg_view v;       /* view into raw (valid after a successful call) */
};
/* Iterate bins: *cursor = NULL to start; ST_EOF after the last. */
enum status aero_record_next_bin(const struct aero_record *r, const uint8_t **cursor,
                                 struct aero_bin_view *bin, struct err *e);
/* Find bin @name; false if absent. */
bool aero_record_bin(const struct aero_record *r, const char *name, struct aero_bin_view *bin);
void aero_record_free(struct aero_record *r);

enum status aero_put(struct aero_client *cl, const struct aero_write_policy *p,
                     const struct aero_key *k, const struct aero_bin *bins, size_t n,
                     struct aero_record *rec, struct err *e);
/* All bins (@n_bins 0) or the named ones. */
enum status aero_get(struct aero_client *cl, const struct aero_policy *p, const struct aero_key *k,
                     const char *const *bins, size_t n_bins, struct aero_record *rec, struct err *e);
/* Generation and void time only (no bins). */
enum status aero_get_header(struct aero_client *cl, const struct aero_policy *p,
                            const struct aero_key *k, struct aero_record *rec, struct err *e);
/* *exists = found; ST_OK in both cases. */
enum status aero_exists(struct aero_client *cl, const struct aero_policy *p,
                        const struct aero_key *k, bool *exists, struct err *e);
/* *existed = the record was there; ST_OK in both cases. Durable delete via @p. */
enum status aero_delete(struct aero_client *cl, const struct aero_write_policy *p,
                        const struct aero_key *k, bool *existed, struct err *e);
/* Bump generation and apply @p->ttl. */
enum status aero_touch(struct aero_client *cl, const struct aero_write_policy *p,
                       const struct aero_key *k, struct aero_record *rec, struct err *e);
enum status aero_operate(struct aero_client *cl, const struct aero_write_policy *p,
                         const struct aero_key *k, const struct aero_op *ops, size_t n,
                         struct aero_record *rec, struct err *e);
/* Batch read of @n keys (all bins, or the named ones); one request per node, in parallel.
 * recs[i].result_code is each key's result (0, 2 ...). ST_OK when the batch ran.
 * @recs must be zero-initialised or from an earlier call (their buffers are reused); free
 * each with aero_record_free. */
enum status aero_batch_read(struct aero_client *cl, const struct aero_policy *p,
                            const struct aero_key *keys, size_t n, const char *const *bins,
                            size_t n_bins, struct aero_record *recs, struct err *e);

#endif
