/* src/aerospike/aero_proto.h: Aerospike wire-protocol constants and the result-code table,
 * shared by the client (src/aerospike) and the test server (tools/aerospike-testd).
 * Names follow ../shared/docs/aerospike-wire-protocol.md ("wire doc") behind our AERO_ prefix.
 * Included by aero.h; pure constants plus aero_rc_* lookups (thread-safe, no allocation). */
#ifndef AEROSINK_AERO_PROTO_H
#define AEROSINK_AERO_PROTO_H

#include <stdint.h>

#include "common/common.h"

/* --- Framing (wire doc §1) --- */
enum {
    AERO_PROTO_VERSION = 2,
    AERO_PROTO_INFO = 1,
    AERO_PROTO_ADMIN = 2,
    AERO_PROTO_MSG = 3,
    AERO_PROTO_COMPRESSED = 4,
    AERO_PROTO_HEADER_SZ = 8,
    AERO_MSG_HEADER_SZ = 22,
    AERO_ADMIN_HEADER_SZ = 16,
};
#define AERO_PROTO_MAX_BODY (128ull * 1024 * 1024)

/* --- info1/info2/info3 (wire doc §2.1-2.3) --- */
enum {
    AERO_INFO1_READ = 0x01,
    AERO_INFO1_GET_ALL = 0x02,
    AERO_INFO1_SHORT_QUERY = 0x04,
    AERO_INFO1_BATCH = 0x08,
    AERO_INFO1_XDR = 0x10,
    AERO_INFO1_GET_NO_BINS = 0x20,
    AERO_INFO1_READ_MODE_AP_ALL = 0x40,
    AERO_INFO1_COMPRESS_RESPONSE = 0x80,
};
enum {
    AERO_INFO2_WRITE = 0x01,
    AERO_INFO2_DELETE = 0x02,
    AERO_INFO2_GENERATION = 0x04,
    AERO_INFO2_GENERATION_GT = 0x08,
    AERO_INFO2_DURABLE_DELETE = 0x10,
    AERO_INFO2_CREATE_ONLY = 0x20,
    AERO_INFO2_RELAX_AP_LONG_QUERY = 0x40,
    AERO_INFO2_RESPOND_ALL_OPS = 0x80,
};
enum {
    AERO_INFO3_LAST = 0x01,
    AERO_INFO3_COMMIT_MASTER = 0x02,
    AERO_INFO3_PARTITION_DONE = 0x04,
    AERO_INFO3_UPDATE_ONLY = 0x08,
    AERO_INFO3_CREATE_OR_REPLACE = 0x10,
    AERO_INFO3_REPLACE_ONLY = 0x20,
    AERO_INFO3_SC_READ_TYPE = 0x40,
    AERO_INFO3_SC_READ_RELAX = 0x80,
};

/* --- record_ttl special values (wire doc §2.6) --- */
#define AERO_TTL_NAMESPACE_DEFAULT 0u
#define AERO_TTL_NEVER_EXPIRE 0xFFFFFFFFu
#define AERO_TTL_DONT_UPDATE 0xFFFFFFFEu
#define AERO_TTL_MAX 315360000u
/* Citrusleaf epoch: 2010-01-01T00:00:00Z as Unix seconds. */
#define AERO_CITRUSLEAF_EPOCH 1262304000u

/* --- Fields (wire doc §3.2) --- */
enum {
    AERO_FIELD_NAMESPACE = 0,
    AERO_FIELD_SET = 1,
    AERO_FIELD_KEY = 2,
    AERO_FIELD_RECORD_VERSION = 3,
    AERO_FIELD_DIGEST_RIPE = 4,
    AERO_FIELD_MRT_ID = 5,
    AERO_FIELD_MRT_DEADLINE = 6,
    AERO_FIELD_TRID = 7,
    AERO_FIELD_SOCKET_TIMEOUT = 9,
    AERO_FIELD_RECS_PER_SEC = 10,
    AERO_FIELD_PID_ARRAY = 11,
    AERO_FIELD_DIGEST_ARRAY = 12,
    AERO_FIELD_MAX_RECORDS = 13,
    AERO_FIELD_BVAL_ARRAY = 15,
    AERO_FIELD_UDF_PACKAGE_NAME = 30,
    AERO_FIELD_UDF_FUNCTION = 31,
    AERO_FIELD_UDF_ARGLIST = 32,
    AERO_FIELD_UDF_OP = 33,
    AERO_FIELD_BATCH = 41,
    AERO_FIELD_BATCH_WITH_SET = 42,
    AERO_FIELD_FILTER = 43,
    AERO_FIELD_ERROR_DETAILS = 45,
};

/* Expression operation codes (msgpack arrays [op, args...], field 43), as the official
 * clients send them; and the value types a BIN expression asks for. */
enum aero_exp_op {
    AERO_EXP_EQ = 1, AERO_EXP_NE = 2, AERO_EXP_GT = 3, AERO_EXP_GE = 4, AERO_EXP_LT = 5,
    AERO_EXP_LE = 6, AERO_EXP_AND = 16, AERO_EXP_OR = 17, AERO_EXP_NOT = 18,
    AERO_EXP_BIN = 81, AERO_EXP_BIN_TYPE = 82,
};
enum aero_exp_type { AERO_EXP_TYPE_BOOL = 1, AERO_EXP_TYPE_INT = 2, AERO_EXP_TYPE_STR = 3, AERO_EXP_TYPE_FLOAT = 7 };

/* --- Ops (wire doc §4.2) --- */
enum {
    AERO_OP_READ = 1,
    AERO_OP_WRITE = 2,
    AERO_OP_CDT_READ = 3,
    AERO_OP_CDT_MODIFY = 4,
    AERO_OP_INCR = 5,
    AERO_OP_EXP_READ = 7,
    AERO_OP_EXP_MODIFY = 8,
    AERO_OP_APPEND = 9,
    AERO_OP_PREPEND = 10,
    AERO_OP_TOUCH = 11,
    AERO_OP_BITS_READ = 12,
    AERO_OP_BITS_MODIFY = 13,
    AERO_OP_DELETE_ALL = 14,
    AERO_OP_HLL_READ = 15,
    AERO_OP_HLL_MODIFY = 16,
};

/* CDT op codes used by operate (wire doc §4.2). */
enum {
    AERO_CDT_LIST_APPEND = 1,
    AERO_CDT_LIST_APPEND_ITEMS = 2,
    AERO_CDT_MAP_PUT = 67,
    AERO_CDT_MAP_PUT_ITEMS = 68,
};

/* --- Particle types (wire doc §4.3) --- */
enum {
    AERO_PT_NULL = 0,
    AERO_PT_INTEGER = 1,
    AERO_PT_FLOAT = 2,
    AERO_PT_STRING = 3,
    AERO_PT_BLOB = 4,
    AERO_PT_JAVA_BLOB = 7,
    AERO_PT_CSHARP_BLOB = 8,
    AERO_PT_PYTHON_BLOB = 9,
    AERO_PT_RUBY_BLOB = 10,
    AERO_PT_PHP_BLOB = 11,
    AERO_PT_ERLANG_BLOB = 12,
    AERO_PT_VECTOR = 16,
    AERO_PT_BOOL = 17,
    AERO_PT_HLL = 18,
    AERO_PT_MAP = 19,
    AERO_PT_LIST = 20,
    AERO_PT_GEOJSON = 23,
};

/* --- Limits (wire doc §12) --- */
enum {
    AERO_NAMESPACE_MAX = 31,
    AERO_SET_MAX = 63,
    AERO_BIN_NAME_MAX = 15,
    AERO_MAX_BINS = 32767,
    AERO_MAX_OPS = 32768,
    AERO_DIGEST_SZ = 20,
    AERO_PARTITIONS = 4096,
};
#define AERO_DEFAULT_MAX_RECORD_SIZE (1024u * 1024u)

/* --- Admin (security) commands and fields (wire doc §9.1) --- */
enum {
    AERO_ADMIN_AUTHENTICATE = 0,
    AERO_ADMIN_LOGIN = 20,
};
enum {
    AERO_ADMIN_FIELD_USER = 0,
    AERO_ADMIN_FIELD_PASSWORD = 1,
    AERO_ADMIN_FIELD_CREDENTIAL = 3,
    AERO_ADMIN_FIELD_CLEAR_PASSWORD = 4,
    AERO_ADMIN_FIELD_SESSION_TOKEN = 5,
    AERO_ADMIN_FIELD_SESSION_TTL = 6,
};

/* --- Result codes (wire doc §6.2): code, name, message, class ---
 * Class: OK; RETRIABLE (try again, same record); RECORD (this record can never succeed as
 * sent); FATAL (configuration/cluster/security: stop). Client-side codes are negative. */
#define AERO_RC_MAP(X)                                                                     \
    X(0, OK, "success", CLASS_OK)                                                          \
    X(1, ERR_UNKNOWN, "generic server error", CLASS_RECORD)                                \
    X(2, ERR_NOT_FOUND, "record not found", CLASS_RECORD)                                  \
    X(3, ERR_GENERATION, "generation check failed", CLASS_RECORD)                          \
    X(4, ERR_PARAMETER, "bad request or parameter", CLASS_RECORD)                          \
    X(5, ERR_RECORD_EXISTS, "record already exists", CLASS_RECORD)                         \
    X(6, ERR_BIN_EXISTS, "bin already exists", CLASS_RECORD)                               \
    X(7, ERR_CLUSTER_KEY_MISMATCH, "cluster changed during scan/query", CLASS_RETRIABLE)   \
    X(8, ERR_OUT_OF_SPACE, "server out of space (stop-writes)", CLASS_RETRIABLE)           \
    X(9, ERR_TIMEOUT, "server-side timeout", CLASS_RETRIABLE)                              \
    X(10, ERR_ALWAYS_FORBIDDEN, "operation always forbidden", CLASS_FATAL)                 \
    X(11, ERR_UNAVAILABLE, "partition unavailable", CLASS_RETRIABLE)                       \
    X(12, ERR_INCOMPATIBLE_TYPE, "operation not valid for bin type", CLASS_RECORD)         \
    X(13, ERR_RECORD_TOO_BIG, "record too big", CLASS_RECORD)                              \
    X(14, ERR_KEY_BUSY, "hot key: too many pending writes", CLASS_RETRIABLE)               \
    X(15, ERR_QUERY_ABORT, "scan/query aborted", CLASS_RETRIABLE)                          \
    X(16, ERR_UNSUPPORTED_FEATURE, "feature not supported", CLASS_FATAL)                   \
    X(17, ERR_BIN_NOT_FOUND, "bin not found", CLASS_RECORD)                                \
    X(18, ERR_DEVICE_OVERLOAD, "storage device overloaded", CLASS_RETRIABLE)               \
    X(19, ERR_KEY_MISMATCH, "sent key differs from stored key", CLASS_RECORD)              \
    X(20, ERR_NAMESPACE, "namespace not found", CLASS_FATAL)                               \
    X(21, ERR_BIN_NAME, "bin name too long or invalid", CLASS_RECORD)                      \
    X(22, ERR_FORBIDDEN, "operation forbidden by server configuration", CLASS_FATAL)       \
    X(23, ERR_ELEMENT_NOT_FOUND, "CDT element not found", CLASS_RECORD)                    \
    X(24, ERR_ELEMENT_EXISTS, "CDT element exists", CLASS_RECORD)                          \
    X(25, ERR_ENTERPRISE_ONLY, "enterprise-only feature", CLASS_FATAL)                     \
    X(26, ERR_OP_NOT_APPLICABLE, "operation not applicable", CLASS_RECORD)                 \
    X(27, ERR_FILTERED_OUT, "filter expression false", CLASS_RECORD)                       \
    X(28, ERR_LOST_CONFLICT, "XDR conflict lost", CLASS_RECORD)                            \
    X(32, ERR_XDR_KEY_BUSY, "XDR shipping in progress", CLASS_RETRIABLE)                   \
    X(50, SEC_OK_LAST, "last admin reply block", CLASS_OK)                                 \
    X(51, SEC_ERR_NOT_SUPPORTED, "security not supported (community edition)", CLASS_FATAL) \
    X(52, SEC_ERR_NOT_CONFIGURED, "security not enabled", CLASS_FATAL)                     \
    X(53, SEC_ERR_SCHEME, "security scheme not supported", CLASS_FATAL)                    \
    X(54, SEC_ERR_COMMAND, "unknown admin command", CLASS_FATAL)                           \
    X(55, SEC_ERR_FIELD, "bad admin field", CLASS_FATAL)                                   \
    X(56, SEC_ERR_STATE, "illegal security state", CLASS_FATAL)                            \
    X(60, SEC_ERR_USER, "invalid user", CLASS_FATAL)                                       \
    X(61, SEC_ERR_USER_EXISTS, "user already exists", CLASS_FATAL)                         \
    X(62, SEC_ERR_PASSWORD, "invalid password", CLASS_FATAL)                               \
    X(63, SEC_ERR_EXPIRED_PASSWORD, "password expired", CLASS_FATAL)                       \
    X(64, SEC_ERR_FORBIDDEN_PASSWORD, "forbidden password", CLASS_FATAL)                   \
    X(65, SEC_ERR_CREDENTIAL, "invalid credential", CLASS_FATAL)                           \
    X(66, SEC_ERR_EXPIRED_SESSION, "session expired", CLASS_RETRIABLE)                     \
    X(70, SEC_ERR_ROLE, "invalid role", CLASS_FATAL)                                       \
    X(71, SEC_ERR_ROLE_EXISTS, "role already exists", CLASS_FATAL)                         \
    X(72, SEC_ERR_PRIVILEGE, "invalid privilege", CLASS_FATAL)                             \
    X(73, SEC_ERR_WHITELIST, "invalid whitelist", CLASS_FATAL)                             \
    X(74, SEC_ERR_QUOTAS_NOT_ENABLED, "quotas not enabled", CLASS_FATAL)                   \
    X(75, SEC_ERR_QUOTA, "invalid quota", CLASS_FATAL)                                     \
    X(80, SEC_ERR_NOT_AUTHENTICATED, "socket not authenticated", CLASS_FATAL)              \
    X(81, SEC_ERR_ROLE_VIOLATION, "missing privilege", CLASS_FATAL)                        \
    X(82, SEC_ERR_NOT_WHITELISTED, "client address not allowed", CLASS_FATAL)              \
    X(83, SEC_ERR_QUOTA_EXCEEDED, "rate quota exceeded", CLASS_RETRIABLE)                  \
    X(90, SEC_ERR_LDAP_NOT_CONFIGURED, "LDAP not configured", CLASS_FATAL)                 \
    X(91, SEC_ERR_LDAP_SETUP, "LDAP setup error", CLASS_FATAL)                             \
    X(92, SEC_ERR_LDAP_TLS_SETUP, "LDAP TLS setup error", CLASS_FATAL)                     \
    X(93, SEC_ERR_LDAP_AUTHENTICATION, "LDAP authentication failed", CLASS_FATAL)          \
    X(94, SEC_ERR_LDAP_QUERY, "LDAP query failed", CLASS_FATAL)                            \
    X(100, ERR_UDF_EXECUTION, "UDF execution failed", CLASS_RECORD)                        \
    X(120, ERR_MRT_BLOCKED, "record locked by a transaction", CLASS_RETRIABLE)             \
    X(121, ERR_MRT_VERSION_MISMATCH, "transaction version mismatch", CLASS_RECORD)         \
    X(122, ERR_MRT_EXPIRED, "transaction expired", CLASS_RECORD)                           \
    X(123, ERR_MRT_TOO_MANY_WRITES, "transaction has too many writes", CLASS_RECORD)       \
    X(124, ERR_MRT_COMMITTED, "transaction committed", CLASS_RECORD)                       \
    X(125, ERR_MRT_ABORTED, "transaction aborted", CLASS_RECORD)                           \
    X(126, ERR_MRT_ALREADY_LOCKED, "transaction already locked", CLASS_RETRIABLE)          \
    X(127, ERR_MRT_MONITOR_EXISTS, "transaction monitor exists", CLASS_RECORD)             \
    X(150, ERR_BATCH_DISABLED, "batch disabled", CLASS_FATAL)                              \
    X(151, ERR_BATCH_MAX_REQUESTS, "too many keys in batch", CLASS_FATAL)                  \
    X(152, ERR_BATCH_QUEUES_FULL, "batch queues full", CLASS_RETRIABLE)                    \
    X(160, ERR_GEO_INVALID_GEOJSON, "invalid GeoJSON", CLASS_RECORD)                       \
    X(200, ERR_SINDEX_FOUND, "index already exists", CLASS_FATAL)                          \
    X(201, ERR_SINDEX_NOT_FOUND, "index not found", CLASS_FATAL)                           \
    X(202, ERR_SINDEX_OOM, "index out of memory", CLASS_FATAL)                             \
    X(203, ERR_SINDEX_NOT_READABLE, "index not readable", CLASS_FATAL)                     \
    X(204, ERR_SINDEX_GENERIC, "index error", CLASS_FATAL)                                 \
    X(205, ERR_SINDEX_NAME, "index name too long", CLASS_FATAL)                            \
    X(206, ERR_SINDEX_MAX_COUNT, "too many indexes", CLASS_FATAL)                          \
    X(-1, CLIENT, "client error", CLASS_FATAL)                                             \
    X(-2, PARAM, "invalid parameter", CLASS_RECORD)                                        \
    X(-4, INVALID_HOST, "invalid host", CLASS_FATAL)                                       \
    X(-6, ASYNC_CONNECTION, "connection error", CLASS_RETRIABLE)                           \
    X(-7, NO_MORE_CONNECTIONS, "no more connections", CLASS_RETRIABLE)                     \
    X(-8, INVALID_NODE, "no node for partition", CLASS_RETRIABLE)                          \
    X(-9, TLS_ERROR, "TLS error", CLASS_FATAL)                                             \
    X(-10, CONNECTION, "connection failed", CLASS_RETRIABLE)                               \
    X(-11, ASYNC_QUEUE_FULL, "queue full", CLASS_RETRIABLE)                                \
    X(-12, MAX_RETRIES_EXCEEDED, "max retries exceeded", CLASS_RETRIABLE)                  \
    X(-14, MAX_ERROR_RATE, "node error rate too high", CLASS_RETRIABLE)                    \
    X(-15, NO_RESPONSE, "no response", CLASS_RETRIABLE)

enum aero_rc {
#define X(code, name, msg, cls) AERO_RC_##name = (code),
    AERO_RC_MAP(X)
#undef X
};

/* Name ("ERR_RECORD_TOO_BIG"), message and class of a result code; unknown codes give
 * "UNKNOWN_<n>"-style names via aero_rc_name_buf and CLASS_FATAL. */
const char *aero_rc_name(int rc);        /* NULL when unknown */
const char *aero_rc_message(int rc);     /* "unknown result code" when unknown */
enum status_class aero_rc_class(int rc);
/* Map a result code onto our status enum (OK, RECORD-class codes -> ST_RECORD etc). */
enum status aero_rc_status(int rc);
/* Parse a name ("KEY_EXISTS_ERROR", "ERR_RECORD_EXISTS", "RECORD_EXISTS") or a number. */
bool aero_rc_parse(const char *s, int *rc);

#endif
