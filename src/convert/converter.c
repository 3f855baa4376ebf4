/* src/convert/converter.c: converter classes, their settings, and the primitive converters
 * (String, ByteArray, Short/Integer/Long/Float/Double/Boolean) that need no parser. */
#include <string.h>
#include <strings.h>

#include "convert/convert_int.h"

enum kind { K_JSON, K_STRING, K_BYTES, K_INT16, K_INT32, K_INT64, K_FLOAT32, K_FLOAT64, K_BOOL, K_AVRO,
            K_JSONSCHEMA, K_PROTOBUF };

static const struct {
    const char *name;
    enum kind kind;
} classes[] = {
    {"org.apache.kafka.connect.json.JsonConverter", K_JSON},
    {"org.apache.kafka.connect.storage.StringConverter", K_STRING},
    {"org.apache.kafka.connect.converters.ByteArrayConverter", K_BYTES},
    {"org.apache.kafka.connect.converters.ShortConverter", K_INT16},
    {"org.apache.kafka.connect.converters.IntegerConverter", K_INT32},
    {"org.apache.kafka.connect.converters.LongConverter", K_INT64},
    {"org.apache.kafka.connect.converters.FloatConverter", K_FLOAT32},
    {"org.apache.kafka.connect.converters.DoubleConverter", K_FLOAT64},
    {"org.apache.kafka.connect.converters.BooleanConverter", K_BOOL},
    {"io.confluent.connect.avro.AvroConverter", K_AVRO},
    {"io.confluent.connect.json.JsonSchemaConverter", K_JSONSCHEMA},
    {"io.confluent.connect.protobuf.ProtobufConverter", K_PROTOBUF},
};

const char *const conv_supported_classes[] = {
    "org.apache.kafka.connect.json.JsonConverter",
    "org.apache.kafka.connect.storage.StringConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter",
    "org.apache.kafka.connect.converters.ShortConverter",
    "org.apache.kafka.connect.converters.IntegerConverter",
    "org.apache.kafka.connect.converters.LongConverter",
    "org.apache.kafka.connect.converters.FloatConverter",
    "org.apache.kafka.connect.converters.DoubleConverter",
    "org.apache.kafka.connect.converters.BooleanConverter",
    "io.confluent.connect.avro.AvroConverter",
    "io.confluent.connect.json.JsonSchemaConverter",
    "io.confluent.connect.protobuf.ProtobufConverter",
    NULL,
};

struct conv_converter {
    enum kind kind;
    const char *name;              /* canonical class name (static) */
    const char *simple;            /* "IntegerConverter", for messages */
    struct conv__connect *cj;      /* K_JSON with schemas.enable=true */
    struct conv__avro *av;         /* K_AVRO */
    struct conv__jsonschema *js;   /* K_JSONSCHEMA */
    struct conv__protobuf *pb;     /* K_PROTOBUF */
};

/* Connect accepts the full class name, the simple name, and the simple name without the
 * "Converter" suffix (plugin aliases). */
static int find_class(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(classes); i++) {
        const char *full = classes[i].name, *simple = strrchr(full, '.') + 1;
        size_t sl = strlen(simple) - strlen("Converter");
        if (strcmp(name, full) == 0 || strcmp(name, simple) == 0 ||
            (strlen(name) == sl && strncmp(name, simple, sl) == 0))
            return (int)i;
    }
    return -1;
}

static enum status unknown_class(const char *name, struct err *e)
{
    return err_set(e, ST_CONFIG, "converter class '%s' is not supported; supported: "
                   "org.apache.kafka.connect.json.JsonConverter, "
                   "org.apache.kafka.connect.storage.StringConverter, "
                   "org.apache.kafka.connect.converters.{ByteArray,Short,Integer,Long,Float,Double,"
                   "Boolean}Converter, io.confluent.connect.avro.AvroConverter, "
                   "io.confluent.connect.json.JsonSchemaConverter, "
                   "io.confluent.connect.protobuf.ProtobufConverter", name);
}

static enum status check_string_props(const char *const *props, struct err *e)
{
    const char *enc = conv__prop(props, "converter.encoding");

    if (enc && strcasecmp(enc, "UTF-8") != 0 && strcasecmp(enc, "UTF8") != 0)
        return err_set(e, ST_CONFIG, "StringConverter: converter.encoding '%s' is not supported "
                       "(only UTF-8)", enc);
    return ST_OK;
}

struct conv_converter *conv_converter_new(const char *class_name, const char *const *props,
                                          struct err *e)
{
    struct conv_converter *c = NULL;
    int ci = class_name ? find_class(class_name) : -1;
    bool schemas = true;
    const char *v;

    if (ci < 0) {
        unknown_class(class_name ? class_name : "(none)", e);
        return NULL;
    }
    c = mem_calloc(1, sizeof(*c));
    if (!c) {
        err_set(e, ST_NOMEM, "converter %s", class_name);
        return NULL;
    }
    c->kind = classes[ci].kind;
    c->name = classes[ci].name;
    c->simple = strrchr(c->name, '.') + 1;
    switch (c->kind) {
    case K_JSON:
        v = conv__prop(props, "schemas.enable");
        if (v && !conv__parse_bool(v, &schemas)) {
            err_set(e, ST_CONFIG, "JsonConverter: schemas.enable must be true or false, not '%s'", v);
            goto fail;
        }
        if (schemas && !(c->cj = conv__connect_new(props, e)))
            goto fail;
        break;
    case K_STRING:
        if (check_string_props(props, e) != ST_OK)
            goto fail;
        break;
    case K_AVRO:
        if (!(c->av = conv__avro_new(props, e)))
            goto fail;
        break;
    case K_JSONSCHEMA:
        if (!(c->js = conv__jsonschema_new(props, e)))
            goto fail;
        break;
    case K_PROTOBUF:
        if (!(c->pb = conv__protobuf_new(props, e)))
            goto fail;
        break;
    default:
        break;
    }
    return c;
fail:
    conv_converter_free(c);
    return NULL;
}

void conv_converter_free(struct conv_converter *c)
{
    if (!c)
        return;
    conv__connect_free(c->cj);
    conv__avro_free(c->av);
    conv__jsonschema_free(c->js);
    conv__protobuf_free(c->pb);
    mem_free(c);
}

void conv_converter_set_http(struct conv_converter *c, conv_http_get_fn fn, void *ctx)
{
    if (c && c->av)
        conv__avro_set_http(c->av, fn, ctx);
    if (c && c->js)
        conv__jsonschema_set_http(c->js, fn, ctx);
    if (c && c->pb)
        conv__protobuf_set_http(c->pb, fn, ctx);
}

const char *conv_converter_class(const struct conv_converter *c)
{
    return c->name;
}

/* --- Primitive converters --- */

static struct conv_value *one_node(struct conv_doc *out, uint8_t type)
{
    return conv__add(out, type);
}

/* UTF-8 text as Java's decoder sees it: ill-formed subparts become U+FFFD. */
static enum status decode_string(const uint8_t *p, size_t n, struct conv_doc *out, struct err *e)
{
    struct conv_value *v = one_node(out, CONV_STRING);
    const char *s;
    uint32_t sn;

    if (!v)
        return conv__add_error(out, "StringConverter", e);
    if (conv__utf8_fix(&out->arena, p, n, &s, &sn) != ST_OK)
        return err_set(e, ST_NOMEM, "StringConverter: out of memory");
    v->s.p = s;
    v->s.n = sn;
    return ST_OK;
}

static enum status decode_number(const struct conv_converter *c, const uint8_t *p, size_t n,
                                 struct conv_doc *out, struct err *e)
{
    static const size_t width[] = {[K_INT16] = 2, [K_INT32] = 4, [K_INT64] = 8,
                                   [K_FLOAT32] = 4, [K_FLOAT64] = 8, [K_BOOL] = 1};
    size_t want = width[c->kind];
    struct conv_value *v;
    uint64_t bits;
    float f;
    double d;

    if (n != want)
        return err_set(e, ST_PARSE, "%s: expected %zu byte%s, got %zu", c->simple, want,
                       want == 1 ? "" : "s", n);
    if (c->kind == K_BOOL && p[0] > 1)
        return err_set(e, ST_PARSE, "BooleanConverter: byte 0x%02x is neither 0 nor 1", p[0]);
    if (!(v = one_node(out, CONV_INT)))
        return conv__add_error(out, c->simple, e);
    switch (c->kind) {
    case K_INT16: v->i = (int16_t)load_u16be(p); break;
    case K_INT32: v->i = (int32_t)load_u32be(p); break;
    case K_INT64: v->i = (int64_t)load_u64be(p); break;
    case K_FLOAT32:
        bits = load_u32be(p);
        memcpy(&f, &(uint32_t){(uint32_t)bits}, 4);
        v->type = CONV_DOUBLE;
        v->d = f;
        break;
    case K_FLOAT64:
        bits = load_u64be(p);
        memcpy(&d, &bits, 8);
        v->type = CONV_DOUBLE;
        v->d = d;
        break;
    case K_BOOL:
        v->type = CONV_BOOL;
        v->b = p[0] == 1;
        break;
    default:
        break;
    }
    return ST_OK;
}

enum status conv_decode(struct conv_converter *c, const uint8_t *p, size_t n,
                        struct conv_doc *out, struct err *e)
{
    struct conv_value *v;

    if (!p) {
        conv_doc_reset(out);
        return one_node(out, CONV_NULL) ? ST_OK : conv__add_error(out, c->simple, e);
    }
    if (n > out->lim.max_input) {
        conv_doc_reset(out);
        return err_set(e, ST_TOO_BIG, "%s: record of %zu bytes is over the limit of %zu", c->simple,
                       n, out->lim.max_input);
    }
    switch (c->kind) {
    case K_JSON:
        if (c->cj)
            return conv__connect_decode(c->cj, p, n, out, e);
        return conv__json_parse(out, p, n, 0, e);
    case K_AVRO:
        return conv__avro_decode(c->av, p, n, out, e);
    case K_JSONSCHEMA:
        return conv__jsonschema_decode(c->js, p, n, out, e);
    case K_PROTOBUF:
        return conv__protobuf_decode(c->pb, p, n, out, e);
    case K_STRING:
        conv_doc_reset(out);
        return decode_string(p, n, out, e);
    case K_BYTES:
        conv_doc_reset(out);
        if (!(v = one_node(out, CONV_BYTES)))
            return conv__add_error(out, c->simple, e);
        v->s.p = (const char *)p;
        v->s.n = (uint32_t)n;
        return ST_OK;
    default:
        conv_doc_reset(out);
        return decode_number(c, p, n, out, e);
    }
}
