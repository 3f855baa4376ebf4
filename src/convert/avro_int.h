/* src/convert/avro_int.h: the compiled Avro schema shared by avro_schema.c and avro.c. */
#ifndef AEROSINK_CONVERT_AVRO_INT_H
#define AEROSINK_CONVERT_AVRO_INT_H

#include "convert/convert_int.h"

enum conv__av_type { AV_NULL, AV_BOOLEAN, AV_INT, AV_LONG, AV_FLOAT, AV_DOUBLE, AV_BYTES, AV_STRING,
                     AV_RECORD, AV_ENUM, AV_ARRAY, AV_MAP, AV_UNION, AV_FIXED };
enum conv__av_logical { AL_NONE, AL_DECIMAL, AL_DATE, AL_TIME_MILLIS, AL_TIME_MICROS, AL_TS_MILLIS,
                        AL_TS_MICROS, AL_LOCAL_TS_MILLIS, AL_LOCAL_TS_MICROS, AL_UUID };

#define CONV__AVRO_MAX_SCHEMA_NODES 100000
#define CONV__AVRO_MAX_BRANCHES 256
#define CONV__AVRO_MAX_FIXED (1 << 20)

struct conv__avnode {
    uint8_t type, logical;
    int32_t scale;          /* decimal */
    uint32_t size;          /* fixed */
    uint32_t a;             /* array items / map values */
    uint32_t first, n;      /* record: fields[first..+n); union: refs[..]; enum: syms[..] */
    const char *name;       /* full name of a named type, else NULL */
    uint32_t name_n;
};

struct conv__avfield {
    const char *name;
    uint32_t name_n;
    uint32_t type;
};

struct conv__avsym {
    const char *p;
    uint32_t n;
};

struct conv__avsc {
    char *text;                     /* the schema JSON; names point into it */
    struct conv_doc *doc;           /* parsed text */
    struct conv__arena arena;       /* full names built from namespaces */
    struct conv__avnode *nodes;
    uint32_t nn, nodes_cap;
    struct conv__avfield *fields;
    uint32_t nfields, fields_cap;
    uint32_t *refs;                 /* union branches */
    uint32_t nrefs, refs_cap;
    struct conv__avsym *syms;       /* enum symbols */
    uint32_t nsyms, syms_cap;
    uint32_t root;
};

const char *conv__avro_type_name(uint8_t t);

#endif
