/* src/mapping/mapping.h: one Kafka record (decoded key and value) -> one Aerospike request.
 * Owns: the per-topic mapping rules compiled from configuration (namespace, set, key or
 *       digest, TTL, bins, write policy), and encoding the resulting request bytes.
 * Not here: decoding bytes (convert/), sending (aerospike/), what to do with a bad record
 *           (worker/): mapping only says why a record cannot be mapped.
 * Memory: mapping_new copies everything it needs from the spec (free with mapping_free);
 *         mapping_encode appends to the caller's buf and allocates nothing once it is warm.
 * Threads: a compiled mapping is read-only and may be shared by threads.
 * Errors: ST_MAPPING (record-class) with a message naming the field, e.g.
 *         "key-field 'txn_id' missing from the value"; ST_CONFIG from mapping_new. */
#ifndef AEROSINK_MAPPING_H
#define AEROSINK_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerospike/aero.h"
#include "common/common.h"
#include "convert/convert.h"

enum mapping_op { MAPPING_OP_WRITE, MAPPING_OP_DELETE, MAPPING_OP_OPERATE };
enum mapping_src { MAPPING_SRC_NONE, MAPPING_SRC_STATIC, MAPPING_SRC_VALUE_FIELD, MAPPING_SRC_KEY,
                   MAPPING_SRC_HEADER };
enum mapping_key_kind { MAPPING_KEY_KAFKA_KEY, MAPPING_KEY_VALUE_FIELD, MAPPING_KEY_DIGEST_FIELD };
enum mapping_exists { MAPPING_EXISTS_UPDATE, MAPPING_EXISTS_UPDATE_ONLY, MAPPING_EXISTS_REPLACE,
                      MAPPING_EXISTS_REPLACE_ONLY, MAPPING_EXISTS_CREATE_ONLY };
enum mapping_gen { MAPPING_GEN_NONE, MAPPING_GEN_EQUAL, MAPPING_GEN_GREATER };
enum mapping_ttl_unit { MAPPING_TTL_SECONDS, MAPPING_TTL_EPOCH_SECONDS, MAPPING_TTL_EPOCH_MILLIS };
enum mapping_null_value { MAPPING_NULL_SKIP, MAPPING_NULL_DELETE, MAPPING_NULL_INVALID };

/* A string or field reference: static text, a top-level value field, or (TTL) a header. */
struct mapping_ref {
    enum mapping_src src;
    const char *text;        /* STATIC: the literal; VALUE_FIELD: field name; HEADER: header name */
};

struct mapping_bin {
    const char *bin;         /* bin name (<= 15 bytes) */
    const char *field;       /* top-level value field */
};

/* [beyond] type operate: one record operation. The operand comes from a top-level value field
 * (a missing or null field leaves the operation out) or is static. */
enum mapping_rop_kind { MAPPING_ROP_WRITE, MAPPING_ROP_LIST_APPEND, MAPPING_ROP_MAP_PUT,
                        MAPPING_ROP_INCREMENT };
enum mapping_scalar_type { MAPPING_SCALAR_NONE, MAPPING_SCALAR_INT, MAPPING_SCALAR_DOUBLE,
                           MAPPING_SCALAR_BOOL, MAPPING_SCALAR_STRING };
struct mapping_scalar {
    enum mapping_scalar_type type;
    int64_t i;
    double d;
    bool b;
    const char *s;           /* STRING, NUL-terminated */
};
struct mapping_rop {
    enum mapping_rop_kind kind;
    const char *bin;         /* <= 15 bytes */
    const char *field;       /* operand field, or NULL for the static value */
    struct mapping_scalar value;
    const char *key_field;   /* map-put: field holding the map key (required when present), or */
    const char *key;         /* map-put: a static string map key */
};

/* Plain data describing one topic's mapping; app/ fills it from the parsed configuration. */
struct mapping_spec {
    const char *topic;
    enum mapping_op op;
    struct mapping_ref ns;                 /* STATIC or VALUE_FIELD */
    struct mapping_ref set;                /* NONE, STATIC or VALUE_FIELD */
    enum mapping_key_kind key_kind;
    const char *key_field;                 /* VALUE_FIELD / DIGEST_FIELD */
    struct mapping_ref ttl;                /* NONE (namespace default), STATIC, VALUE_FIELD, HEADER */
    int64_t ttl_static;                    /* when ttl.src == STATIC */
    enum mapping_ttl_unit ttl_unit;        /* HEADER (and VALUE_FIELD) values */
    bool all_value_fields;
    const struct mapping_bin *bins;        /* explicit bin map */
    size_t n_bins;
    const struct mapping_rop *rops;        /* op == MAPPING_OP_OPERATE: applied in order */
    size_t n_rops;
    enum mapping_exists exists;
    enum mapping_gen gen;
    const char *gen_field;                 /* value field holding the expected generation */
    bool send_key;
    bool durable_delete;
    bool commit_master;
    bool bool_as_int;                      /* top-level booleans as INTEGER 1/0 instead of BOOL */
    enum mapping_null_value on_null_value; /* tombstones */
    /* stale-write-guard kafka-timestamp: a write also stores the record's Kafka timestamp in
     * bin MAPPING_TS_BIN, and a write or delete carries a filter so that the server skips it
     * (27 FILTERED_OUT) when the stored record holds a newer timestamp */
    bool guard_kafka_ts;
};
#define MAPPING_TS_BIN "kafka_ts"

struct mapping;

struct mapping *mapping_new(const struct mapping_spec *spec, struct err *e);
void mapping_free(struct mapping *m);
const char *mapping_topic(const struct mapping *m);
/* True when records need their headers collected (TTL from a header). */
bool mapping_uses_headers(const struct mapping *m);
/* True when records need their Kafka timestamp (stale-write-guard: kafka-timestamp). */
bool mapping_uses_kafka_ts(const struct mapping *m);

/* One record to map. Docs may have a NULL/CONV_NULL root (null key / tombstone). */
struct mapping_header {
    const char *name;
    const void *value;
    size_t len;
};
struct mapping_input {
    const struct conv_doc *key;
    const struct conv_doc *value;
    const struct mapping_header *headers;
    size_t n_headers;
    uint64_t now_ms;                       /* wall clock, for epoch TTLs */
    int64_t kafka_ts_ms;                   /* the record's Kafka timestamp, < 0 when none
                                            * (read only when mapping_uses_kafka_ts) */
    uint32_t transaction_ttl_ms;           /* sent in the header (server-side timeout) */
    uint8_t *digest_block;                 /* optional, AERO_DIGEST_BLOCK_SZ bytes: see
                                            * mapping_result.digest_deferred */
};

enum mapping_action { MAPPING_WRITE, MAPPING_DELETE, MAPPING_SKIP };

struct mapping_result {
    enum mapping_action action;
    char ns[AERO_NAMESPACE_MAX + 1];
    uint8_t digest[AERO_DIGEST_SZ];
    uint32_t n_bins;
    bool repeatable;                       /* applying it twice = once (false: list-append or
                                            * increment, which a replayed batch would repeat) */
    const char *skip_reason;               /* static text when action == MAPPING_SKIP */
    /* With in->digest_block set, a key digest whose input fits one block is left to the
     * caller (who can compute many at once, aero_digest_blocks): the block holds its input,
     * digest and the request's digest field are zeros until the caller puts the digest in
     * both (mapping_set_digest). */
    bool digest_deferred;
    size_t digest_at;                      /* offset in req of the digest's 20 bytes */
};

/* Put a deferred digest (aero_digest_blocks of in->digest_block) into @req and @out. */
void mapping_set_digest(struct buf *req, struct mapping_result *out, const uint8_t digest[AERO_DIGEST_SZ]);

/* Append one complete request to @req (nothing is appended on error or skip). */
enum status mapping_encode(const struct mapping *m, const struct mapping_input *in, struct buf *req,
                           struct mapping_result *out, struct err *e);

#endif
