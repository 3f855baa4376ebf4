/* src/convert/protobuf_int.h: the compiled Protobuf schema shared by protobuf_schema.c (which
 * builds it from .proto text) and protobuf.c (which decodes the binary with it).
 * Layout: flat arrays indexed by uint32_t. A message's fields are contiguous in declaration
 * order (fields[first..first+n)), and bynum[first..first+n) holds the same field indexes sorted
 * by field number. A message's nested messages are kids[kfirst..kfirst+nkids) in declaration
 * order; the file's top-level messages are kids[0..ntop). Names point into the schema's arena. */
#ifndef AEROSINK_CONVERT_PROTOBUF_INT_H
#define AEROSINK_CONVERT_PROTOBUF_INT_H

#include "convert/convert_int.h"

/* Field types, numbered as descriptor.proto's FieldDescriptorProto.Type. */
enum conv__pb_type {
    PB_DOUBLE = 1, PB_FLOAT, PB_INT64, PB_UINT64, PB_INT32, PB_FIXED64, PB_FIXED32, PB_BOOL, PB_STRING,
    PB_GROUP, PB_MESSAGE, PB_BYTES, PB_UINT32, PB_ENUM, PB_SFIXED32, PB_SFIXED64, PB_SINT32, PB_SINT64,
};

/* Wire types (encoding guide): VARINT, I64, LEN, SGROUP, EGROUP, I32. */
enum { PB_WT_VARINT = 0, PB_WT_I64 = 1, PB_WT_LEN = 2, PB_WT_SGROUP = 3, PB_WT_EGROUP = 4, PB_WT_I32 = 5 };

enum conv__pb_label { PBL_SINGULAR, PBL_OPTIONAL, PBL_REQUIRED, PBL_REPEATED };

/* Well-known messages the decoder treats specially (built in, see protobuf_schema.c). */
enum conv__pb_wkt { PBW_NONE, PBW_TIMESTAMP, PBW_WRAPPER };

#define CONV__PB_MAX_ITEMS 100000   /* messages + enums + fields + enum values in one schema */
#define CONV__PB_MAX_NEST 64        /* message declarations inside messages */
#define CONV__PB_MAX_FIELD 536870911u   /* 2^29 - 1 */
/* A singular message sent several times is merged by re-reading its ancestors' bytes for its
 * occurrences; those re-reads may total this many fields per byte of the record (at least
 * 1 KiB) before the record is refused (ST_TOO_BIG), which keeps decoding linear in its size. */
#define CONV__PB_REREAD_FACTOR 64

struct conv__pbfield {
    const char *name;
    uint32_t name_n;
    uint32_t number;
    uint8_t type;           /* enum conv__pb_type: the value type for maps */
    uint8_t ktype;          /* map key type; 0: not a map */
    uint8_t label;          /* enum conv__pb_label; maps are PBL_REPEATED */
    bool has_default;       /* proto2 [default = ...] */
    uint32_t ref;           /* PB_MESSAGE / PB_ENUM: index in msgs / enums */
    uint32_t oneof;         /* index in oneofs, or UINT32_MAX */
    uint32_t owner;         /* message index */
    union {                 /* the default when has_default */
        int64_t i;          /* integers, bool; enums: index in vals */
        double d;
        struct {
            const char *p;
            uint32_t n;
        } s;
    } def;
    /* while compiling only: the type name to resolve, the default's text, where they were */
    const char *tname, *dtxt;
    uint32_t tname_n, dtxt_n, line, col, dline, dcol;
    bool dneg, dstr;        /* default: a leading '-'; a string literal (dtxt decoded) */
};

struct conv__pbmsg {
    const char *name;       /* full name without a leading dot: "pkg.Outer.Inner" */
    uint32_t name_n;
    uint32_t parent;        /* message index, or UINT32_MAX at file level */
    uint32_t first, n;      /* fields / bynum */
    uint32_t kfirst, nkids; /* nested messages in kids[] */
    uint32_t ofirst, noneofs;
    uint8_t wkt;            /* enum conv__pb_wkt */
    bool proto3;
    bool has_map;           /* declares a map field (its synthetic entry type is a nested message) */
};

struct conv__pboneof {
    const char *name;       /* "<name>" */
    uint32_t name_n;
    const char *iname;      /* "<name>_<index in message>", Confluent's default Struct field name */
    uint32_t iname_n;
};

struct conv__pbenum {
    const char *name;
    uint32_t name_n;
    uint32_t first, n;      /* vals[] in declaration order */
};

struct conv__pbval {
    const char *name;
    uint32_t name_n;
    int32_t number;
};

struct conv__pbsc {
    struct conv__arena arena;   /* names and string defaults */
    struct conv__pbmsg *msgs;
    uint32_t nmsgs;
    size_t msgs_cap;
    struct conv__pbfield *fields;
    uint32_t nfields;
    size_t fields_cap;
    uint32_t *bynum;
    uint32_t *kids;
    uint32_t ntop;
    struct conv__pboneof *oneofs;
    uint32_t noneofs;
    size_t oneofs_cap;
    struct conv__pbenum *enums;
    uint32_t nenums;
    size_t enums_cap;
    struct conv__pbval *vals;
    uint32_t nvals;
    size_t vals_cap;
};

/* Parse .proto text (proto2 or proto3, as the registry stores it; copied). Returns owned
 * (conv__pbsc_free) or NULL with @e: ST_PARSE "line L col C: ..." for text that is not a usable
 * schema, ST_UNSUPPORTED for a construct aerosink does not decode (groups, editions, imports
 * other than the built-in well-known types), ST_NOMEM. */
struct conv__pbsc *conv__pbsc_parse(const char *text, size_t n, struct err *e);
void conv__pbsc_free(struct conv__pbsc *s);
const char *conv__pb_type_name(uint8_t t);

/* Decoding options: the converter settings that change values. */
struct conv__pb_opts {
    bool int_for_enums;         /* int.for.enums: enum -> INT number instead of STRING name */
    bool wrapper_for_nullables; /* wrapper.for.nullables: google.protobuf.*Value -> value or null */
    bool index_for_unions;      /* generate.index.for.unions: oneof Struct field "<name>_<index>" */
};

/* Decode Protobuf binary @p[0..n) (all of it) as message @msg of @s into @out (reset first).
 * For tests and fuzzing; allocates while warming up only. */
enum status conv__pb_decode_value(const struct conv__pbsc *s, uint32_t msg, const struct conv__pb_opts *o,
                                  const uint8_t *p, size_t n, struct conv_doc *out, struct err *e);
/* The same, and the decoder's work in *@work (if not NULL): fields read, re-reads included.
 * Tests bound it to show that decoding stays linear in @n. */
enum status conv__pb_decode_counted(const struct conv__pbsc *s, uint32_t msg, const struct conv__pb_opts *o,
                                    const uint8_t *p, size_t n, struct conv_doc *out, uint64_t *work, struct err *e);

#endif
