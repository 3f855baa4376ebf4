/* src/convert/convert.h: Kafka key/value bytes -> values, as Kafka Connect's converters would.
 * Owns: the value model (a flat pre-order array of nodes in a reusable document), the
 *       converters (JSON with and without the Connect envelope, String/ByteArray/number
 *       converters, Avro, JSON Schema and Protobuf with Confluent Schema Registry framing),
 *       the JSON parser, the Avro schema parser and binary decoder, the JSON Schema compiler,
 *       the .proto parser and Protobuf binary decoder (message indexes), the registry client.
 * Not here: what a value becomes in Aerospike (mapping/), tombstone policy (worker/).
 * Memory: documents grow to the largest record seen and are then reused; decoding a record
 *         allocates nothing once warmed up. Strings and bytes in a document point into the
 *         input bytes when they need no rewriting, else into the document's scratch space or
 *         the converter's schema cache: a decoded document is valid until the caller releases
 *         the input bytes, resets/frees the document, or calls conv_decode / conv_converter_free
 *         on the same converter.
 * Threads: a converter and a document are used by one thread at a time (one per worker).
 *          An Avro, JSON Schema or Protobuf record with a schema id not yet cached blocks its
 *          conv_decode on the registry (libcurl: connect 10 s, total 30 s per URL); cached ids
 *          never do I/O.
 * Errors: ST_PARSE / ST_TYPE / ST_TOO_BIG / ST_NOT_FOUND are record-class (this record is bad);
 *         ST_UNAVAILABLE is retriable (schema registry unreachable: hold the offset);
 *         ST_CONFIG / ST_AUTH / ST_NOMEM / ST_UNSUPPORTED (schema references, non-local JSON
 *         Schema $ref) are fatal. Messages name the format and the place:
 *         "JSON: line 1 col 17: expected ',' or '}'", "payload.items[3].price: expected double,
 *         got string", "Avro: schema id 42 unknown". */
#ifndef AEROSINK_CONVERT_H
#define AEROSINK_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* --- The value model --- */
enum conv_type { CONV_NULL, CONV_BOOL, CONV_INT, CONV_DOUBLE, CONV_STRING, CONV_BYTES, CONV_LIST, CONV_MAP };

struct conv_value {
    uint8_t type;   /* enum conv_type */
    uint32_t next;  /* index just past this node's subtree (next sibling) */
    uint32_t count; /* LIST: elements; MAP: pairs (children alternate key, value) */
    union {
        bool b;
        int64_t i;
        double d;
        struct {
            const char *p;
            uint32_t n;
        } s;        /* STRING / BYTES; not NUL-terminated */
    };
};

/* Bounds that every decode honours; exceeding one is a record error (ST_TOO_BIG). */
struct conv_limits {
    uint32_t max_depth;   /* nesting of lists/maps (default 64) */
    uint32_t max_nodes;   /* values in one record (default 1,000,000) */
    size_t max_input;     /* bytes of one record (default 16 MiB) */
};
#define CONV_DEFAULT_MAX_DEPTH 64
#define CONV_DEFAULT_MAX_NODES 1000000u
#define CONV_DEFAULT_MAX_INPUT (16u << 20)

/* --- Documents: reusable, one per key/value slot per thread --- */
struct conv_doc;
struct conv_doc *conv_doc_new(void);                  /* NULL on ST_NOMEM */
void conv_doc_free(struct conv_doc *d);               /* NULL is a no-op */
void conv_doc_reset(struct conv_doc *d);              /* empty; keeps storage */
void conv_doc_set_limits(struct conv_doc *d, const struct conv_limits *lim);
const struct conv_limits *conv_doc_limits(const struct conv_doc *d);

const struct conv_value *conv_doc_root(const struct conv_doc *d);   /* NULL if empty */
const struct conv_value *conv_doc_node(const struct conv_doc *d, uint32_t index); /* NULL if out of range */
uint32_t conv_doc_index(const struct conv_doc *d, const struct conv_value *v);
uint32_t conv_doc_count(const struct conv_doc *d);   /* nodes in the document */
/* Value of @key (n bytes) in @map (any MAP node of @d, string keys only); NULL if absent
 * or @map is not a MAP. Maps never hold a key twice (see docs/formats.md). */
const struct conv_value *conv_map_get(const struct conv_doc *d, const struct conv_value *map,
                                      const char *key, size_t n);
/* First child of a LIST/MAP node (NULL if none); the sibling after @v inside @parent
 * (NULL after the last). Map children alternate key, value. */
const struct conv_value *conv_first(const struct conv_doc *d, const struct conv_value *v);
const struct conv_value *conv_next(const struct conv_doc *d, const struct conv_value *v,
                                   const struct conv_value *parent);

/* Deep equality of two values (map pairs compared in order; doubles by value, so
 * NaN != NaN). For golden comparisons across formats. */
bool conv_value_equal(const struct conv_doc *a, const struct conv_value *va,
                      const struct conv_doc *b, const struct conv_value *vb);
/* Append a compact JSON-like rendering of @v (bytes as b64"...", doubles with %.17g, non-string
 * map keys rendered as values) to @out, for tests, dry runs and error context. */
enum status conv_value_dump(const struct conv_doc *d, const struct conv_value *v, struct buf *out);
const char *conv_type_name(enum conv_type t);   /* "null", "boolean", "integer", ... */

/* --- Plain JSON (RFC 8259), the parser under every JSON converter --- */
/* Parse @p[0..n) into @out (reset first). Whitespace-only input gives a NULL root (Connect's
 * Jackson reads it as "missing"). */
enum status conv_json_parse(struct conv_doc *out, const uint8_t *p, size_t n, struct err *e);

/* --- Converters --- */
struct conv_converter;

/* A Schema Registry HTTP GET, pluggable for tests. Fill @body and @http_status (e.g. 200, 404)
 * and return ST_OK; return ST_UNAVAILABLE / ST_TIMEOUT / ST_CONNECT when the registry could
 * not be reached. @userinfo is "user:password" or NULL. */
typedef enum status (*conv_http_get_fn)(void *ctx, const char *url, const char *userinfo,
                                        struct buf *body, long *http_status, struct err *e);

/* @class_name: a Kafka Connect converter class (full name or Connect's alias, e.g.
 * "JsonConverter"). @props: NULL-terminated key,value pairs of the converter's own settings
 * without the "key.converter."/"value.converter." prefix. Unknown class -> ST_CONFIG listing the
 * supported ones; a bad setting -> ST_CONFIG naming it. Returns owned (conv_converter_free). */
struct conv_converter *conv_converter_new(const char *class_name, const char *const *props,
                                          struct err *e);
void conv_converter_free(struct conv_converter *c);
/* Replace the HTTP GET used by an Avro, JSON Schema or Protobuf converter (default: libcurl).
 * No-op for others. */
void conv_converter_set_http(struct conv_converter *c, conv_http_get_fn fn, void *ctx);
const char *conv_converter_class(const struct conv_converter *c);   /* canonical class name */

/* Decode one Kafka key or value into @out (reset first). @p == NULL (Kafka null) gives a
 * CONV_NULL root. Borrows @p: see "Memory" above for how long the document stays valid. */
enum status conv_decode(struct conv_converter *c, const uint8_t *p, size_t n,
                        struct conv_doc *out, struct err *e);

/* Supported class names, NULL-terminated (for messages and `aerosink info`). */
extern const char *const conv_supported_classes[];

#endif
