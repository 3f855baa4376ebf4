/* src/convert/connect.c: Kafka Connect JSON envelope (schemas.enable=true). Not yet. */
#include "convert/convert_int.h"

struct conv__connect {
    int unused;
};

struct conv__connect *conv__connect_new(const char *const *props, struct err *e)
{
    (void)props;
    err_set(e, ST_UNSUPPORTED, "JsonConverter: schemas.enable=true is not supported yet");
    return NULL;
}

void conv__connect_free(struct conv__connect *cj)
{
    mem_free(cj);
}

enum status conv__connect_decode(struct conv__connect *cj, const uint8_t *p, size_t n,
                                 struct conv_doc *out, struct err *e)
{
    (void)cj; (void)p; (void)n; (void)out;
    return err_set(e, ST_UNSUPPORTED, "JsonConverter: schemas.enable=true is not supported yet");
}
