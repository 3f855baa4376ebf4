/* src/kafka/kafka_int.h: shared inside src/kafka only.
 * kafka_props.c turns Java Kafka client properties (as Kafka Connect files write them) into
 * librdkafka ones; kafka_conf_check and kafka_conf_apply both go through it, so `aerosink check`
 * and the running clients agree. */
#ifndef AEROSINK_KAFKA_INT_H
#define AEROSINK_KAFKA_INT_H

#include "kafka.h"

/* One librdkafka setting made from the caller's pair number @pair. @key and @value point into
 * the caller's props, a static table or @own (the value, when it had to be made). */
struct kafka__prop {
    const char *key;
    const char *value;
    size_t pair;
    char *own;
};

struct kafka__props {
    struct kafka__prop *v;
    size_t n;
};

/* Translate the NULL-terminated key,value pairs of @props (borrowed; they must outlive @out).
 * Each problem goes to @note (may be NULL) with the pair it concerns: KAFKA_CONF_WARNING for a
 * Java setting that is accepted without effect (or a conflict that has a winner),
 * KAFKA_CONF_BAD_VALUE / KAFKA_CONF_UNKNOWN_KEY for an error. No message holds a secret (a
 * store's path may appear; JAAS errors name option numbers, never text after a value).
 * @out gets what to give librdkafka, in order (pairs in error are left out): free it with
 * kafka__props_free, also after an error. Returns the number of errors. */
size_t kafka__props_translate(const char *const *props, enum kafka_client client, struct kafka__props *out,
                              kafka_conf_bad_cb note, void *ctx);
void kafka__props_free(struct kafka__props *out);

/* Whether a librdkafka key's value is a secret (never put into a message). */
bool kafka__secret_key(const char *key);

#endif
