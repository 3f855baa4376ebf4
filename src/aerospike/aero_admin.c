/* src/aerospike/aero_admin.c: admin (security, proto type 2) messages, wire doc §9.1.
 *   8-byte proto header (version 2, type 2, size)
 *   16-byte admin header: scheme, result, command, n_fields, 12 zero bytes
 *   fields: u32 BE size (id + data), u8 id, data
 * Encoders append whole messages; the parser is bounded by its input (fuzzed:
 * tests/fuzz/aero_admin_fuzz.c). */
#include <string.h>

#include "aero_sec.h"

const char *aero_auth_mode_name(enum aero_auth_mode m)
{
    switch (m) {
    case AERO_AUTH_INTERNAL: return "internal";
    case AERO_AUTH_EXTERNAL: return "external";
    case AERO_AUTH_EXTERNAL_INSECURE: return "external-insecure";
    case AERO_AUTH_PKI: return "pki";
    }
    return "?";
}

bool aero_auth_mode_parse(const char *name, enum aero_auth_mode *m)
{
    static const enum aero_auth_mode all[] = {AERO_AUTH_INTERNAL, AERO_AUTH_EXTERNAL,
                                              AERO_AUTH_EXTERNAL_INSECURE, AERO_AUTH_PKI};
    for (size_t i = 0; i < ARRAY_LEN(all); i++) {
        if (strcmp(name, aero_auth_mode_name(all[i])) == 0) {
            *m = all[i];
            return true;
        }
    }
    return false;
}

enum status aero_admin_parse(const uint8_t *body, size_t n, struct aero_admin_view *v, struct err *e)
{
    size_t off = AERO_ADMIN_HEADER_SZ;

    memset(v, 0, sizeof(*v));
    if (n < AERO_ADMIN_HEADER_SZ)
        return err_set(e, ST_PROTO, "admin message of %zu bytes (header is 16)", n);
    v->scheme = body[0];
    v->result = body[1];
    v->command = body[2];
    if (body[3] > AERO_ADMIN_MAX_FIELDS)
        return err_set(e, ST_PROTO, "admin message with %u fields (max %d)", body[3],
                       AERO_ADMIN_MAX_FIELDS);
    for (unsigned i = 0; i < body[3]; i++) {
        uint32_t sz;
        if (n - off < 5)
            return err_set(e, ST_PROTO, "admin field %u overruns the message", i);
        sz = load_u32be(body + off);
        if (sz < 1 || sz > n - off - 4)
            return err_set(e, ST_PROTO, "admin field %u: size %u overruns the message", i, sz);
        v->fields[i] = (struct aero_admin_field){body[off + 4], body + off + 5, sz - 1};
        off += 4 + (size_t)sz;
    }
    v->n_fields = body[3];
    if (off != n)
        return err_set(e, ST_PROTO, "admin message: %zu bytes after the last field", n - off);
    return ST_OK;
}

const struct aero_admin_field *aero_admin_field(const struct aero_admin_view *v, uint8_t id)
{
    for (unsigned i = 0; i < v->n_fields; i++)
        if (v->fields[i].id == id)
            return &v->fields[i];
    return NULL;
}

enum status aero_admin_message(struct buf *b, uint8_t result, uint8_t command,
                               const struct aero_admin_field *fields, size_t n)
{
    size_t start = b->len;
    uint8_t hdr[AERO_ADMIN_HEADER_SZ] = {0};

    if (n > AERO_ADMIN_MAX_FIELDS)
        return ST_USAGE;
    hdr[1] = result;
    hdr[2] = command;
    hdr[3] = (uint8_t)n;
    if (buf_put_u64be(b, 0) != ST_OK || buf_append(b, hdr, sizeof(hdr)) != ST_OK)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (fields[i].n > UINT32_MAX - 1 || buf_put_u32be(b, fields[i].n + 1) != ST_OK ||
            buf_put_u8(b, fields[i].id) != ST_OK || buf_append(b, fields[i].p, fields[i].n) != ST_OK)
            goto nomem;
    }
    store_u64be(b->p + start, ((uint64_t)AERO_PROTO_VERSION << 56) |
                                  ((uint64_t)AERO_PROTO_ADMIN << 48) |
                                  (uint64_t)(b->len - start - AERO_PROTO_HEADER_SZ));
    return ST_OK;
nomem:
    b->len = start;
    return ST_NOMEM;
}

static struct aero_admin_field str_field(uint8_t id, const char *s)
{
    return (struct aero_admin_field){id, (const uint8_t *)s, (uint32_t)strlen(s)};
}

enum status aero_admin_login(struct buf *b, enum aero_auth_mode m, const char *user,
                             const char *credential, const char *password)
{
    struct aero_admin_field f[3];
    size_t n = 0;

    if (m != AERO_AUTH_PKI) {
        f[n++] = str_field(AERO_ADMIN_FIELD_USER, user);
        f[n++] = str_field(AERO_ADMIN_FIELD_CREDENTIAL, credential);
        if (m == AERO_AUTH_EXTERNAL || m == AERO_AUTH_EXTERNAL_INSECURE)
            f[n++] = str_field(AERO_ADMIN_FIELD_CLEAR_PASSWORD, password);
    }
    return aero_admin_message(b, 0, AERO_ADMIN_LOGIN, f, n);
}

enum status aero_admin_authenticate(struct buf *b, enum aero_auth_mode m, const char *user,
                                    const uint8_t *token, size_t token_len)
{
    struct aero_admin_field f[2];
    size_t n = 0;

    if (token_len > UINT32_MAX - 1)
        return ST_USAGE;
    if (m != AERO_AUTH_PKI)
        f[n++] = str_field(AERO_ADMIN_FIELD_USER, user);
    f[n++] = (struct aero_admin_field){AERO_ADMIN_FIELD_SESSION_TOKEN, token, (uint32_t)token_len};
    return aero_admin_message(b, 0, AERO_ADMIN_AUTHENTICATE, f, n);
}
