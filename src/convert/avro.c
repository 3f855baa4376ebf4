/* src/convert/avro.c: Avro with Confluent Schema Registry framing. Not yet. */
#include "convert/convert_int.h"

struct conv__avro {
    int unused;
};

struct conv__avro *conv__avro_new(const char *const *props, struct err *e)
{
    (void)props;
    err_set(e, ST_UNSUPPORTED, "AvroConverter is not supported yet");
    return NULL;
}

void conv__avro_free(struct conv__avro *av)
{
    mem_free(av);
}

void conv__avro_set_http(struct conv__avro *av, conv_http_get_fn fn, void *ctx)
{
    (void)av; (void)fn; (void)ctx;
}

enum status conv__avro_decode(struct conv__avro *av, const uint8_t *p, size_t n,
                              struct conv_doc *out, struct err *e)
{
    (void)av; (void)p; (void)n; (void)out;
    return err_set(e, ST_UNSUPPORTED, "AvroConverter is not supported yet");
}
