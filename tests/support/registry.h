/* tests/support/registry.h: a Schema Registry for integration tests: $SCHEMA_REGISTRY_URL when
 * set (a real Confluent registry; $SCHEMA_REGISTRY_USER_INFO "user:password" if it needs basic
 * auth), else our tools/mock-registry. Registering schemas goes through the registry's REST API
 * in both cases (POST /subjects/{subject}/versions), so ids are whatever the registry assigns.
 * Levers (down/up, injected errors, request counts) exist only with the mock: tests that use
 * them call TEST_SKIP when tu_registry_is_real().
 * Setup failures end the test (exit 1) with a message. Threads: the test's main thread. */
#ifndef AEROSINK_TEST_REGISTRY_H
#define AEROSINK_TEST_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "../../src/common/common.h"
#include "testutil.h"

struct tu_registry {
    struct tu_proc *proc;      /* the mock; NULL for a real registry or when stopped */
    char url[256];             /* base URL, no trailing '/' */
    char userinfo[256];        /* "user:password" or "" */
    int port;                  /* the mock's port (kept across restarts) */
    char state[512];           /* the mock's --state file, "" if none */
};

bool tu_registry_is_real(void);

/* Start the mock on @port (0: any free port) with --state @state_file (NULL: none) and
 * @extra_args (NULL-terminated, may be NULL), or use the real registry. @r is overwritten,
 * except that r->port/r->state are reused when @port is -1 (restart the same registry). */
void tu_registry_start(struct tu_registry *r, int port, const char *state_file, const char *const extra_args[]);
/* SIGTERM the mock; returns its exit code (0 for a real registry or if not running). */
int tu_registry_stop(struct tu_registry *r);
void tu_registry_free(struct tu_registry *r);

/* HTTP request to the registry (@path starts with '/'); returns the status, or -1 if the
 * registry could not be reached. @out (may be NULL) gets the body. Uses r->userinfo. */
int tu_registry_request(const struct tu_registry *r, const char *method, const char *path, const char *body,
                        struct buf *out);
/* Register @schema (its JSON text) under @subject (schema type AVRO); returns the id. */
uint32_t tu_registry_register(const struct tu_registry *r, const char *subject, const char *schema);
/* Same with a schemaType (AVRO, JSON, PROTOBUF). */
uint32_t tu_registry_register_typed(const struct tu_registry *r, const char *subject, const char *schema,
                                    const char *type);

/* Mock only (fail the test on a real registry: callers skip first). */
void tu_registry_admin(struct tu_registry *r, const char *what);   /* POST /admin/<what>, expects 200 */
void tu_registry_down(struct tu_registry *r);   /* SIGUSR1; returns once connections are refused */
void tu_registry_up(struct tu_registry *r);     /* SIGUSR2; returns once it answers again */
/* How many GET /schemas/ids/@id the mock answered with the schema (from /admin/stats). */
long tu_registry_gets(struct tu_registry *r, uint32_t id);

/* "<prefix>schema.registry.url=...\n" plus basic-auth lines when needed, for a properties file
 * (@prefix e.g. "value.converter."). */
void tu_registry_props(const struct tu_registry *r, const char *prefix, struct buf *out);

#endif
