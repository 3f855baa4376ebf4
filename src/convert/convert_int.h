/* src/convert/convert_int.h: what the files of convert/ share and nobody else sees.
 * The document layout, its scratch arena, node building, UTF-8 checks, number text
 * conversion and the per-format decode entry points used by converter.c. */
#ifndef AEROSINK_CONVERT_INT_H
#define AEROSINK_CONVERT_INT_H

#include "convert/convert.h"

/* Internal node type: a JSON number kept as its text (s.p/s.n point into the input);
 * count = 1 when the text is integral (no fraction, no exponent). Never in a document
 * handed to a caller. */
#define CONV__RAWNUM 8
/* Internal node type: a value the parser was told to skip (conv__json_parse_skip). */
#define CONV__SKIPPED 9

#define CONV__MAX_DEPTH_CAP 512   /* hard cap on conv_limits.max_depth */
#define CONV__ARENA_CHUNKS 40

/* Bump allocator with stable pointers: chunks are never moved while in use. A round that
 * needed more than one chunk makes the next reset coalesce them into one, so a steady
 * stream of same-sized records allocates nothing. */
struct conv__arena {
    uint8_t *chunk[CONV__ARENA_CHUNKS];
    size_t cap[CONV__ARENA_CHUNKS];
    uint32_t nchunks, cur;
    size_t used;          /* bytes used in chunk[cur] */
};
void *conv__arena_alloc(struct conv__arena *a, size_t n);   /* NULL: out of memory */
/* Give back the unused tail of the most recent allocation @p (which had @had bytes). */
void conv__arena_trim(struct conv__arena *a, const void *p, size_t had, size_t keep);
void conv__arena_reset(struct conv__arena *a);
void conv__arena_free(struct conv__arena *a);

struct conv_doc {
    struct conv_value *nodes;
    uint32_t n, cap;
    uint32_t room;              /* min(cap, lim.max_nodes): conv__add grows or fails past it */
    enum status fail;           /* why the last conv__add failed: ST_TOO_BIG or ST_NOMEM */
    struct conv_limits lim;
    struct conv__arena arena;
    uint32_t *hash;             /* scratch for duplicate-key detection */
    uint32_t hash_cap;
    uint64_t seed;              /* random: keys the duplicate-key table's hash */
    uint64_t dedupe_work;       /* key comparisons and moves of duplicate-key removal since the
                                 * last reset (tests bound it) */
    uint64_t key_work;          /* lookups of record keys among schema fields by a decoder writing
                                 * here, since the last reset (tests bound it) */
};

enum status conv__grow(struct conv_doc *d);

/* Append a node (type set, next = index + 1, count = 0). NULL when the node limit is hit
 * or memory runs out (d->fail says which). The pointer is valid until the next add. */
static inline struct conv_value *conv__add(struct conv_doc *d, uint8_t type)
{
    struct conv_value *v;

    if (d->n >= d->room && conv__grow(d) != ST_OK)
        return NULL;
    v = &d->nodes[d->n++];
    v->type = type;
    v->next = d->n;
    v->count = 0;
    return v;
}

/* Error for a failed conv__add, prefixed with @what ("JSON", "Avro"). */
enum status conv__add_error(struct conv_doc *d, const char *what, struct err *e);

/* Close container @idx: its subtree is everything added since. For maps, drop all but the
 * last pair of each key (Jackson and Java maps keep the last value). */
enum status conv__close(struct conv_doc *d, uint32_t idx, uint32_t count);

/* Hash and equality of whole subtrees (doubles by bit pattern). */
uint64_t conv__subtree_hash(const struct conv_doc *d, uint32_t i);
bool conv__subtree_equal(const struct conv_doc *a, uint32_t ia, const struct conv_doc *b, uint32_t ib,
                         bool float_bits);

/* --- Shared by the schema-driven decoders (shared.c) --- */
/* Add an INT node / a STRING or BYTES node; NULL as conv__add. */
static inline struct conv_value *conv__add_int(struct conv_doc *d, int64_t i)
{
    struct conv_value *v = conv__add(d, CONV_INT);

    if (v)
        v->i = i;
    return v;
}

static inline struct conv_value *conv__add_str(struct conv_doc *d, uint8_t type, const char *p, uint32_t n)
{
    struct conv_value *v = conv__add(d, type);

    if (v) {
        v->s.p = p;
        v->s.n = n;
    }
    return v;
}

/* One step of the place an error names: a field (or, with @key, a map key) @name of @n bytes,
 * or list index @index when @name is NULL. */
struct conv__seg {
    const char *name;
    uint64_t index;
    uint32_t n;
    bool key;
};

/* Push a step onto @path (room for @cap; past that only the depth *@np counts). */
static inline void conv__path_push(struct conv__seg *path, uint32_t cap, uint32_t *np, const char *name, uint32_t n,
                                   uint64_t index, bool key)
{
    if (*np < cap)
        path[*np] = (struct conv__seg){.name = name, .index = index, .n = n, .key = key};
    (*np)++;
}

#define CONV__PATH_POINTER 1u         /* "#/properties/a/0": a JSON Pointer into a schema */
#define CONV__PATH_DOT_AFTER_TEXT 2u  /* '.' before a name when text precedes (else: when a step does) */
/* Render the first @np steps (at most @cap) as "a.b[3]["k"]" into @out (@n bytes, truncated). */
void conv__path_text(const struct conv__seg *path, uint32_t np, uint32_t cap, unsigned flags, char *out, size_t n);

/* A parsed JSON node's type as JSON names it ("number" for CONV__RAWNUM; "?" for others). */
const char *conv__json_type(const struct conv_value *v);
/* Index of the value of @key in map node @mi of @d, or UINT32_MAX. */
uint32_t conv__map_index(const struct conv_doc *d, uint32_t mi, const char *key);
/* @v is a string equal to @s. */
bool conv__str_is(const struct conv_value *v, const char *s);

enum conv__int_result { CONV__INT_OK, CONV__INT_NOT_INTEGRAL, CONV__INT_RANGE };
/* Integral value in @lo..@hi of CONV__RAWNUM @t. @exact_only: integer text only; else also "1.0"
 * or "1e2" (exact values only, rendered in @a). Never truncates. */
enum conv__int_result conv__rawnum_int(struct conv__arena *a, const struct conv_value *t, bool exact_only,
                                       int64_t lo, int64_t hi, int64_t *out);
/* Decode base64 @p[0..n) (padded, whole 4-character groups) into @a. ST_NOMEM "out of memory",
 * ST_TYPE "invalid base64 (N characters)". */
enum status conv__base64_bytes(struct conv__arena *a, const char *p, uint32_t n, const uint8_t **out, size_t *out_n,
                               struct err *e);
/* Connect's Decimal of @scale from CONV__RAWNUM number text or a CONV_STRING of base64
 * big-endian two's-complement bytes (no other type), rendered into @a. */
enum status conv__decimal_from_json(struct conv__arena *a, const struct conv_value *t, int32_t scale,
                                    const char **out, uint32_t *out_n, struct err *e);

/* --- UTF-8 --- */
/* Length (1-4) of the well-formed UTF-8 sequence at @p (< end), 0 if ill-formed. */
size_t conv__utf8_len(const uint8_t *p, const uint8_t *end);
/* Length of the maximal ill-formed subpart at @p (>= 1), for U+FFFD replacement. */
size_t conv__utf8_bad_len(const uint8_t *p, const uint8_t *end);

/* Text as Java's UTF-8 decoder gives it: @p itself when well-formed, else a copy in @a with
 * each maximal ill-formed subpart replaced by U+FFFD. */
enum status conv__utf8_fix(struct conv__arena *a, const uint8_t *p, size_t n, const char **out,
                           uint32_t *out_n);

/* --- JSON --- */
#define CONV__JSON_RAW_NUMBERS 1u   /* numbers as CONV__RAWNUM nodes */
enum status conv__json_parse(struct conv_doc *out, const uint8_t *p, size_t n, unsigned flags,
                             struct err *e);
/* The same, but a value starting exactly at @skip_at becomes one CONV__SKIPPED node and its
 * @skip_len bytes are not looked at. Only for bytes known to be one complete, valid JSON value
 * (JSON values are context-free, so the same bytes parse the same anywhere). */
enum status conv__json_parse_skip(struct conv_doc *out, const uint8_t *p, size_t n, unsigned flags,
                                  const uint8_t *skip_at, size_t skip_len, struct err *e);
/* Length of the valid JSON object or array starting at @p (0 if @p is not '{' or '['). */
size_t conv__json_container_len(const uint8_t *p, size_t n);
/* "line L col C" of byte offset @off in @p (columns count characters, from 1). */
void conv__json_where(const uint8_t *p, size_t n, size_t off, unsigned *line, unsigned *col);

/* Number text -> values. Text is RFC 8259 number syntax (already checked). */
bool conv__num_to_i64(const char *s, size_t n, int64_t *out);      /* false: not integral or out of range */
double conv__num_to_double(const char *s, size_t n);               /* correctly rounded; may be +-inf */
float conv__num_to_float(const char *s, size_t n);

/* --- Decimals --- */
/* Render the big-endian two's-complement integer @p[0..n) scaled by 10^-scale as plain
 * decimal text ("-12.30"), into the arena. */
enum status conv__decimal_from_twos(struct conv__arena *a, const uint8_t *p, size_t n, int32_t scale,
                                    const char **out, uint32_t *out_n, struct err *e);
/* Render JSON number text at exactly @scale fraction digits; ST_TYPE if that would round. */
enum status conv__decimal_from_text(struct conv__arena *a, const char *s, size_t n, int32_t scale,
                                    const char **out, uint32_t *out_n, struct err *e);
#define CONV__DECIMAL_MAX_BYTES 4096
#define CONV__DECIMAL_MAX_SCALE 1000

/* --- Avro schemas (avro_schema.c) and binary decoding (avro.c) --- */
struct conv__avsc;
/* Parse an Avro schema (JSON text, copied). Returns owned (conv__avsc_free) or NULL. */
struct conv__avsc *conv__avsc_parse(const char *json, size_t n, struct err *e);
void conv__avsc_free(struct conv__avsc *s);
/* Decode Avro binary @p[0..n) (all of it) written with @s into @out (reset first). */
enum status conv__avro_decode_value(const struct conv__avsc *s, const uint8_t *p, size_t n,
                                    struct conv_doc *out, struct err *e);

/* --- Per-format decoders behind conv_decode --- */
struct conv__connect;   /* Connect JSON envelope state */
struct conv__connect *conv__connect_new(const char *const *props, struct err *e);
void conv__connect_free(struct conv__connect *cj);
enum status conv__connect_decode(struct conv__connect *cj, const uint8_t *p, size_t n,
                                 struct conv_doc *out, struct err *e);

struct conv__avro;      /* Avro + Schema Registry state */
struct conv__avro *conv__avro_new(const char *const *props, struct err *e);
void conv__avro_free(struct conv__avro *av);
void conv__avro_set_http(struct conv__avro *av, conv_http_get_fn fn, void *ctx);
enum status conv__avro_decode(struct conv__avro *av, const uint8_t *p, size_t n,
                              struct conv_doc *out, struct err *e);

struct conv__jsonschema; /* JSON Schema + Schema Registry state (jsonschema.c) */
/* Settings: the registry's, use.optional.for.nonrequired, generalized.sum.type.support; checked
 * only: object.additional.properties, decimal.format, schemas.cache.size; json.fail.invalid.schema
 * =true is refused (ST_CONFIG). Owned (conv__jsonschema_free). */
struct conv__jsonschema *conv__jsonschema_new(const char *const *props, struct err *e);
void conv__jsonschema_free(struct conv__jsonschema *js);
void conv__jsonschema_set_http(struct conv__jsonschema *js, conv_http_get_fn fn, void *ctx);
enum status conv__jsonschema_decode(struct conv__jsonschema *js, const uint8_t *p, size_t n,
                                    struct conv_doc *out, struct err *e);
struct conv__protobuf;  /* Protobuf + Schema Registry state (protobuf.c) */
struct conv__protobuf *conv__protobuf_new(const char *const *props, struct err *e);
void conv__protobuf_free(struct conv__protobuf *pb);
void conv__protobuf_set_http(struct conv__protobuf *pb, conv_http_get_fn fn, void *ctx);
enum status conv__protobuf_decode(struct conv__protobuf *pb, const uint8_t *p, size_t n,
                                  struct conv_doc *out, struct err *e);

/* The default Schema Registry GET (libcurl; registry.c). @ctx is a struct conv__http.
 * @klass names the converter in errors ("AvroConverter"). */
struct conv__http;
struct conv__http *conv__http_new(const char *klass, struct err *e);
void conv__http_free(struct conv__http *h);
enum status conv__http_get(void *ctx, const char *url, const char *userinfo, struct buf *body,
                           long *http_status, struct err *e);

/* --- Schema Registry framing, fetch and cache of compiled schemas (schemas.c) --- */
/* What a registry-framed format brings: its names for messages, the registry's schemaType
 * ("AVRO"; an answer without schemaType is Avro), and how its schema text compiles. */
struct conv__registry_format {
    const char *what;         /* message prefix: "Avro", "JSON Schema", "Protobuf" */
    const char *klass;        /* config message prefix: "AvroConverter" */
    const char *schema_type;  /* "AVRO", "JSON", "PROTOBUF" */
    /* Compile schema text (not NUL-terminated; copy what you keep). NULL with @e set
     * (ST_NOMEM or ST_UNSUPPORTED, kept; anything else for a schema that cannot be used
     * becomes ST_PARSE). */
    void *(*compile)(const char *text, size_t n, struct err *e);
    void (*free)(void *schema);
};
struct conv__registry;
/* Reads schema.registry.url (comma-separated), basic.auth.credentials.source and
 * basic.auth.user.info (or schema.registry.basic.auth.user.info) from @props. Owned
 * (conv__registry_free); NULL with ST_CONFIG / ST_NOMEM. @f must outlive it. */
struct conv__registry *conv__registry_new(const struct conv__registry_format *f, const char *const *props,
                                          struct err *e);
void conv__registry_free(struct conv__registry *r);
void conv__registry_set_http(struct conv__registry *r, conv_http_get_fn fn, void *ctx);
/* Check the Confluent framing of @p[0..n): magic 0x00 and a 4-byte big-endian id (ST_PARSE). */
enum status conv__registry_frame(const struct conv__registry_format *f, const uint8_t *p, size_t n, uint32_t *id,
                                 struct err *e);
/* The compiled schema for @id (cached; fetched on a miss; 404s and unusable schemas remembered
 * for 5 s, answering the same status and message). Valid until
 * the next lookup on @r that fetches (a full cache starts over) or conv__registry_free. Errors:
 * ST_NOT_FOUND, ST_TYPE (another format's schema), ST_PARSE, ST_UNAVAILABLE, ST_AUTH,
 * ST_UNSUPPORTED (schema references), ST_NOMEM. */
enum status conv__registry_lookup(struct conv__registry *r, uint32_t id, const void **schema, struct err *e);

/* Look up @key in NULL-terminated key,value @props. */
const char *conv__prop(const char *const *props, const char *key);
/* Parse a Connect boolean ("true"/"false", any case). */
bool conv__parse_bool(const char *s, bool *out);

#endif
