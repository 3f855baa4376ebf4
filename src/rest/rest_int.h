/* src/rest/rest_int.h: shared inside src/rest/ only: the JSON writer, the Connect shapes,
 * basic-auth credentials and the per-client rate limiter. */
#ifndef AEROSINK_REST_INT_H
#define AEROSINK_REST_INT_H

#include <pthread.h>

#include "rest/rest.h"

/* --- JSON writer: appends to a buf with a sticky out-of-memory flag --- */
struct rest__jw {
    struct buf *b;
    bool oom;
};

void rest__jw_raw(struct rest__jw *w, const char *s);                  /* verbatim */
void rest__jw_bytes(struct rest__jw *w, const void *p, size_t n);     /* verbatim */
/* A JSON string literal. Invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
 * NULL writes null. */
void rest__jw_str(struct rest__jw *w, const char *s);
void rest__jw_strn(struct rest__jw *w, const char *s, size_t n);
void rest__jw_i64(struct rest__jw *w, int64_t v);
void rest__jw_bool(struct rest__jw *w, bool v);

/* Connect's shapes (connector-spec.md section 10). @name is the connector's. */
void rest__jw_kvs(struct rest__jw *w, const struct rest_kvs *m);       /* {"k":"v",...} */
void rest__jw_strs(struct rest__jw *w, const struct rest_strs *l);     /* ["a",...] */
void rest__jw_info(struct rest__jw *w, const char *name, const struct rest_connector_info *ci);
void rest__jw_status(struct rest__jw *w, const char *name, const struct rest_status *st);
void rest__jw_task_state(struct rest__jw *w, const struct rest_task_state *ts);
void rest__jw_task_configs(struct rest__jw *w, const char *name, const struct rest_task_configs *l);
void rest__jw_offsets(struct rest__jw *w, const struct rest_offsets *l);
void rest__jw_plugins(struct rest__jw *w, const struct rest_plugins *l, bool connectors_only);
void rest__jw_config_def(struct rest__jw *w, const struct rest_config_def *d);
void rest__jw_config_defs(struct rest__jw *w, const struct rest_config_defs *l);
void rest__jw_config_infos(struct rest__jw *w, const char *name, const struct rest_config_infos *l);
void rest__jw_logger_level(struct rest__jw *w, const struct rest_logger *lg);
void rest__jw_loggers(struct rest__jw *w, const struct rest_loggers *l);
/* {"error_code": @code, "message": @msg} */
void rest__jw_error(struct rest__jw *w, int code, const char *msg);

/* Is @s (n bytes) valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF)? */
bool rest__utf8_valid(const char *s, size_t n);

/* --- Basic auth --- */
struct rest__user {
    char *name;
    char *password;
};
struct rest__auth {
    struct rest__user *users;
    size_t n, cap;
};
/* Load "user:password" lines (the first ':' splits; '#' starts a comment line; blank lines and
 * a trailing '\r' are ignored). ST_CONFIG with "path:line: ..." on a line without ':' or with an
 * empty user; ST_CONFIG if the file cannot be read or holds no user. */
enum status rest__auth_load(struct rest__auth *a, const char *path, struct err *e);
/* Parse text instead of a file (@origin names it in messages). */
enum status rest__auth_parse(struct rest__auth *a, const char *text, size_t n, const char *origin,
                             struct err *e);
void rest__auth_free(struct rest__auth *a);
/* Check an Authorization header value ("Basic base64(user:password)"; NULL: absent). On
 * success returns true and copies the user name into @user (cap bytes). Passwords are
 * compared in constant time. */
bool rest__auth_check(const struct rest__auth *a, const char *header, char *user, size_t cap);

/* --- Per-client token bucket --- */
#define REST__RATE_SLOTS 256
struct rest__rate_slot {
    char client[48];        /* "" = free */
    double tokens;
    uint64_t last_us;
};
struct rest__rate {
    double rps, burst;
    pthread_mutex_t lock;
    struct rest__rate_slot slots[REST__RATE_SLOTS];
};
void rest__rate_init(struct rest__rate *r, double rps, double burst);
void rest__rate_destroy(struct rest__rate *r);
/* Take one token for @client at time @now_us. false: over the limit, *retry_after_s says
 * when a token will be there (>= 1). Unknown clients past REST__RATE_SLOTS replace the one
 * seen least recently. @thread any  @locks r->lock */
bool rest__rate_take(struct rest__rate *r, const char *client, uint64_t now_us,
                     unsigned *retry_after_s);

#endif
