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

#endif
