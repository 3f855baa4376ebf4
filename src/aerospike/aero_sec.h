/* src/aerospike/aero_sec.h: Aerospike security pieces that do no I/O: the bcrypt LOGIN
 * credential, admin (proto type 2) message encoding and parsing (wire doc §9.1), and the
 * authentication / TLS settings of a cluster (included by aero.h).
 * Memory: encoders append to a caller-owned struct buf; the parser returns pointers into the
 *         caller's bytes.
 * Threads: everything here is pure and thread-safe.
 * Errors: enum status + struct err (last, may be NULL). */
#ifndef AEROSINK_AERO_SEC_H
#define AEROSINK_AERO_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aero_proto.h"
#include "common/common.h"

/* ---------- bcrypt (aero_bcrypt.c) ---------- */
#define AERO_BCRYPT_LEN 60                              /* "$2a$10$" + 22 salt + 31 hash */
#define AERO_LOGIN_SALT "$2a$10$7EqJtq98hPqEX7fNZaFWoO"  /* fixed salt of every Aerospike client */

/* bcrypt of @password (a C string: bytes after the 72nd do not count) with @setting
 * "$2a$NN$<22 salt chars>" (a complete hash works too: only its first 29 characters are read).
 * Variants $2a$ (crypt_blowfish's, as the Aerospike clients use), $2b$, $2y$, $2x$; cost 4..31.
 * ST_USAGE on a malformed setting. */
enum status aero_bcrypt(const char *password, const char *setting, char out[AERO_BCRYPT_LEN + 1],
                        struct err *e);

/* ---------- admin messages (aero_admin.c, wire doc §9.1) ---------- */
enum aero_auth_mode {
    AERO_AUTH_INTERNAL = 0,        /* USER + CREDENTIAL (bcrypt with AERO_LOGIN_SALT) */
    AERO_AUTH_EXTERNAL,            /* + CLEAR_PASSWORD (LDAP); the config checker demands TLS */
    AERO_AUTH_EXTERNAL_INSECURE,   /* + CLEAR_PASSWORD without TLS */
    AERO_AUTH_PKI,                 /* no fields: the client certificate names the user */
};
const char *aero_auth_mode_name(enum aero_auth_mode m);
/* The mode named @name (internal, external, external-insecure, pki); false for another name. */
bool aero_auth_mode_parse(const char *name, enum aero_auth_mode *m);

#define AERO_ADMIN_MAX_FIELDS 24
struct aero_admin_field {
    uint8_t id;
    const uint8_t *p;
    uint32_t n;
};
/* One admin message body (the bytes after the 8-byte proto header). */
struct aero_admin_view {
    uint8_t scheme, result, command;
    uint8_t n_fields;
    struct aero_admin_field fields[AERO_ADMIN_MAX_FIELDS];
};
/* Parse a type-2 body: 16-byte header, then n_fields fields (u32 BE size covering id + data).
 * ST_PROTO when a size overruns @n, more than AERO_ADMIN_MAX_FIELDS fields, or bytes remain. */
enum status aero_admin_parse(const uint8_t *body, size_t n, struct aero_admin_view *v, struct err *e);
/* The first field @id, or NULL. */
const struct aero_admin_field *aero_admin_field(const struct aero_admin_view *v, uint8_t id);

/* Append a complete LOGIN (20) request: internal: USER, CREDENTIAL (@credential, the 60-char
 * bcrypt); external modes add CLEAR_PASSWORD (@password); pki: no fields. */
enum status aero_admin_login(struct buf *b, enum aero_auth_mode m, const char *user,
                             const char *credential, const char *password);
/* Append a complete AUTHENTICATE (0) request: USER (not with pki) and SESSION_TOKEN. */
enum status aero_admin_authenticate(struct buf *b, enum aero_auth_mode m, const char *user,
                                    const uint8_t *token, size_t token_len);
/* Append a complete admin message with @result, @command and @n fields (test server). */
enum status aero_admin_message(struct buf *b, uint8_t result, uint8_t command,
                               const struct aero_admin_field *fields, size_t n);

/* ---------- cluster settings (used by struct aero_cluster_config) ---------- */
enum aero_store_type { AERO_STORE_PEM = 0, AERO_STORE_PKCS12 };

struct aero_tls_store {
    char file[1024];               /* "" = none */
    char password[256];            /* PKCS12 password / PEM key pass phrase; "" = none */
    enum aero_store_type type;
};

struct aero_tls_config {
    bool enabled;                  /* every connection (seeds, peers, commands) uses TLS; the
                                      program must ignore SIGPIPE (OpenSSL writes without
                                      MSG_NOSIGNAL) */
    struct aero_tls_store trust;   /* CA certificates; file "" = the system's CAs */
    struct aero_tls_store key;     /* client certificate + key (mutual TLS, pki); "" = none */
    uint32_t pipeline_depth;       /* requests in flight per TLS connection: 1 by default,
                                      because pipelining over TLS is unverified on real
                                      servers (wire doc §10.2); the client then opens more
                                      connections per node instead */
};

#endif
