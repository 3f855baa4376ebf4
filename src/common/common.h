/* src/common/common.h: the pieces every module stands on.
 * Owns: the status table (enum status, classes, messages), the error struct,
 *       the one allocator hook (mem_*), growable byte buffers (buf_*),
 *       leveled logging (log_*; used by worker/, rest/ and main.c only),
 *       clocks and small string helpers.
 * Not here: anything about Kafka, Aerospike or records.
 * Memory: buf_* own their storage (free with buf_free); mem_strdup/mem_*alloc
 *         return owned memory (free with mem_free).
 * Threads: everything is thread-safe except that one struct buf / struct err /
 *          struct log_ctx must not be written by two threads at once; a log_ctx whose
 *          level lives in a struct log_levels may be read while the level changes.
 *          The allocation counter is process-wide (atomic): the single piece of
 *          global mutable state outside main.c, kept for allocation tests.
 * Errors: functions return enum status and fill a struct err passed last
 *         (which may be NULL). */
#ifndef AEROSINK_COMMON_H
#define AEROSINK_COMMON_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AEROSINK_VERSION "0.1.0"
/* The git commit built (16 hex digits), or "unknown" when built outside a git checkout. */
const char *aerosink_commit(void);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define UNUSED(x) ((void)(x))

/* --- Status codes: one table, one class and one message each --- */
enum status_class {
    CLASS_OK,        /* success                                     */
    CLASS_AGAIN,     /* would block / need more bytes: normal       */
    CLASS_RETRIABLE, /* try the same thing again later              */
    CLASS_RECORD,    /* this record is bad; others may be fine      */
    CLASS_FATAL,     /* configuration, protocol or resource failure */
};

#define STATUS_MAP(X)                                                      \
    X(OK, CLASS_OK, "success")                                             \
    X(NEED_MORE, CLASS_AGAIN, "need more bytes")                           \
    X(AGAIN, CLASS_AGAIN, "would block")                                   \
    X(EOF, CLASS_AGAIN, "end of input")                                    \
    X(TIMEOUT, CLASS_RETRIABLE, "timed out")                               \
    X(CONNECT, CLASS_RETRIABLE, "connection failed")                       \
    X(IO, CLASS_RETRIABLE, "i/o error")                                    \
    X(BUSY, CLASS_RETRIABLE, "busy, try again")                            \
    X(UNAVAILABLE, CLASS_RETRIABLE, "unavailable")                         \
    X(CANCELLED, CLASS_RETRIABLE, "cancelled")                             \
    X(SERVER, CLASS_RETRIABLE, "server error")                             \
    X(RECORD, CLASS_RECORD, "record rejected")                             \
    X(PARSE, CLASS_RECORD, "malformed input")                              \
    X(TYPE, CLASS_RECORD, "wrong type")                                    \
    X(NOT_FOUND, CLASS_RECORD, "not found")                                \
    X(EXISTS, CLASS_RECORD, "already exists")                              \
    X(TOO_BIG, CLASS_RECORD, "too big")                                    \
    X(BIN_NAME, CLASS_RECORD, "bin name over 15 bytes")                    \
    X(MAPPING, CLASS_RECORD, "record cannot be mapped")                    \
    X(PROTO, CLASS_FATAL, "protocol error")                                \
    X(CONFIG, CLASS_FATAL, "invalid configuration")                        \
    X(USAGE, CLASS_FATAL, "invalid usage")                                 \
    X(NOMEM, CLASS_FATAL, "out of memory")                                 \
    X(AUTH, CLASS_FATAL, "authentication failed")                          \
    X(TLS, CLASS_FATAL, "tls error")                                       \
    X(UNSUPPORTED, CLASS_FATAL, "not supported")                           \
    X(INTERNAL, CLASS_FATAL, "internal error")                             \
    X(CLOSED, CLASS_FATAL, "closed")                                       \
    X(FATAL, CLASS_FATAL, "fatal error")

enum status {
#define X(name, cls, msg) ST_##name,
    STATUS_MAP(X)
#undef X
        ST__COUNT
};

const char *status_name(enum status st);  /* "TIMEOUT" */
const char *status_str(enum status st);   /* "timed out" */
enum status_class status_class(enum status st);
const char *status_class_name(enum status_class c);

/* --- Errors: a status plus a message that names the culprit --- */
#define ERR_MSG_LEN 512
struct err {
    enum status status;
    int aero_rc;       /* Aerospike result code when one applies, else 0 */
    char msg[ERR_MSG_LEN];
};

/* Set @e (may be NULL) and return @st, so callers can `return err_set(...)`. */
enum status err_set(struct err *e, enum status st, const char *fmt, ...) PRINTF_LIKE(3, 4);
enum status err_vset(struct err *e, enum status st, const char *fmt, va_list ap);
/* Prepend "prefix: " to e->msg (keeps status). Returns e->status (ST_OK if e is NULL). */
enum status err_prefix(struct err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
void err_clear(struct err *e);

/* --- Memory: the only place that calls malloc/free --- */
void *mem_malloc(size_t n);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t n);
void mem_free(void *p);
/* Make room for @need elements of @elem bytes in the array *@arr (any T **, passed as is)
 * holding *@cap: doubles the capacity (at least @first, at least @need) and updates both.
 * false, leaving the array as it was, when out of memory or the size would overflow. */
bool mem_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
/* Allocations (malloc/calloc/realloc/strdup) made since process start. */
uint64_t mem_alloc_count(void);
/* Test lever: make the @n-th allocation from now fail (0 = never). */
void mem_fail_after(uint64_t n);

/* --- Growable byte buffer --- */
struct buf {
    uint8_t *p;
    size_t len, cap;
};
#define BUF_INIT {NULL, 0, 0}

enum status buf_reserve(struct buf *b, size_t extra);   /* ensure cap >= len + extra */
enum status buf_append(struct buf *b, const void *p, size_t n);
enum status buf_append_str(struct buf *b, const char *s);
enum status buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
enum status buf_vprintf(struct buf *b, const char *fmt, va_list ap);
enum status buf_put_u8(struct buf *b, uint8_t v);
enum status buf_put_u16be(struct buf *b, uint16_t v);
enum status buf_put_u32be(struct buf *b, uint32_t v);
enum status buf_put_u64be(struct buf *b, uint64_t v);
/* NUL-terminate without counting the NUL in len; returns the C string. */
const char *buf_cstr(struct buf *b);
void buf_reset(struct buf *b);        /* len = 0, keeps storage */
void buf_consume(struct buf *b, size_t n); /* drop n bytes from the front */
void buf_free(struct buf *b);

/* Big-endian loads/stores on raw memory. */
static inline uint16_t load_u16be(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t load_u32be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t load_u64be(const uint8_t *p)
{
    return ((uint64_t)load_u32be(p) << 32) | load_u32be(p + 4);
}
static inline void store_u16be(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void store_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void store_u64be(uint8_t *p, uint64_t v)
{
    store_u32be(p, (uint32_t)(v >> 32));
    store_u32be(p + 4, (uint32_t)v);
}

/* --- Logging (worker/, rest/, tools and main.c; never library modules) --- */
enum log_level { LOG_OFF = -1, LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };
struct log_ctx {
    enum log_level level;
    const char *component;  /* "worker", "aerospike", ...; borrowed */
    int fd;                 /* where lines go (default 2) */
    const atomic_int *live; /* when set: the level, changeable at run time (log_levels_cell) */
};
void log_emit(const struct log_ctx *lc, enum log_level lvl, const char *fmt, ...) PRINTF_LIKE(3, 4);
bool log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level l);   /* also "OFF" */
static inline bool log_enabled(const struct log_ctx *lc, enum log_level lvl)
{
    int cur = lc->live ? atomic_load_explicit(lc->live, memory_order_relaxed) : (int)lc->level;
    return cur >= (int)lvl;
}
#define log_at(lc, lvl, ...) \
    do { if (log_enabled((lc), (lvl))) log_emit((lc), (lvl), __VA_ARGS__); } while (0)
#define log_error(lc, ...) log_at(lc, LOG_ERROR, __VA_ARGS__)
#define log_warn(lc, ...) log_at(lc, LOG_WARN, __VA_ARGS__)
#define log_info(lc, ...) log_at(lc, LOG_INFO, __VA_ARGS__)
#define log_debug(lc, ...) log_at(lc, LOG_DEBUG, __VA_ARGS__)

/* Named loggers whose levels change at run time (REST /admin/loggers), Kafka Connect's way:
 * names are dot-separated ("aerosink.worker"); setting a name sets it and every logger below
 * it ("aerosink" -> "aerosink.worker", ...), setting "root" sets them all. Levels are Connect's
 * names: OFF FATAL ERROR WARN INFO DEBUG TRACE ALL (FATAL logs as ERROR, ALL as TRACE); the
 * name given is the one reported. A new logger starts at root's level.
 * Memory: log_levels_new returns an owned object (log_levels_free, NULL ok).
 * Threads: every call is thread-safe; cells stay valid until log_levels_free. */
struct log_levels;
struct log_levels *log_levels_new(enum log_level root);
void log_levels_free(struct log_levels *ll);
/* The level cell of @name, added if new (put it in a struct log_ctx's live). NULL when out of
 * memory, when 64 loggers exist or the name has 64 bytes or more. */
const atomic_int *log_levels_cell(struct log_levels *ll, const char *name);
/* Set @name (and the loggers below it) to @level, a Connect level name (any case), at
 * @now_ms. Each logger changed is passed to @each (sorted by name; may be NULL). ST_USAGE for
 * an unknown level; ST_NOMEM or ST_UNAVAILABLE (64 loggers, names up to 63 bytes) when @name
 * is new and cannot be added. */
enum status log_levels_set(struct log_levels *ll, const char *name, const char *level, int64_t now_ms,
                           void (*each)(void *arg, const char *name), void *arg, struct err *e);
/* Level name and last change (Unix ms; -1 = never changed) of @name; false if unknown. */
bool log_levels_get(struct log_levels *ll, const char *name, char level[8], int64_t *last_modified);
/* Every logger, sorted by name. */
void log_levels_each(struct log_levels *ll,
                     void (*each)(void *arg, const char *name, const char *level, int64_t last_modified),
                     void *arg);

/* --- Clocks --- */
uint64_t clock_mono_ms(void);
uint64_t clock_mono_us(void);
uint64_t clock_mono_ns(void);
uint64_t clock_wall_ms(void);   /* Unix epoch milliseconds */
uint64_t clock_cpu_us(void);    /* process CPU time (user + sys) */
void sleep_ms(uint64_t ms);

/* --- Strings --- */
/* Parse a whole decimal integer (optional sign); false on junk or overflow. */
bool str_to_i64(const char *s, size_t n, int64_t *out);
bool str_to_u64(const char *s, size_t n, uint64_t *out);
bool str_to_double(const char *s, size_t n, double *out);
bool str_eq(const char *a, size_t an, const char *b);   /* a[0..an) == NUL-terminated b */
/* Levenshtein distance, capped: returns > cap if farther. For "did you mean". */
size_t str_distance(const char *a, const char *b, size_t cap);
/* @n bytes as lowercase hex into @out (2n + 1 bytes, NUL-terminated). */
void str_hex(const void *p, size_t n, char *out);
/* Append @s (n bytes) as a JSON string literal with quotes and escapes. */
enum status json_append_str(struct buf *b, const char *s, size_t n);

/* Base64 (standard alphabet, '=' padding). Returns bytes written or -1 on bad input. */
size_t base64_encoded_len(size_t n);
void base64_encode(const uint8_t *in, size_t n, char *out);   /* writes encoded_len bytes, no NUL */
long base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

#endif
