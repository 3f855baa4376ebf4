/* tools/aerospike-testd/security.c: EE-style security for aerospike-testd (wire doc §9.1).
 * Without --user the server is CE: every admin message gets 51 (security not supported).
 * With users:
 *   LOGIN (20): USER + CREDENTIAL (bcrypt with the fixed salt) for internal users; with
 *     CLEAR_PASSWORD (external/LDAP) the clear password is checked instead; without fields
 *     (pki) the verified TLS client certificate's CN names the user. Unknown user -> 60
 *     INVALID_USER, wrong password -> 62 INVALID_PASSWORD, pki without a certificate -> 80.
 *     Success: SESSION_TOKEN (32 random bytes) + SESSION_TTL (--session-ttl), and the
 *     connection is authenticated.
 *   AUTHENTICATE (0): USER (not with pki) + SESSION_TOKEN; unknown token or another user ->
 *     65 INVALID_CREDENTIAL, expired -> 66 EXPIRED_SESSION.
 *   Any other admin command: 54 (not implemented here).
 * Data and info requests need an authenticated connection (80) whose session has not
 * expired (66): see td_auth_check. */
#include <string.h>

#include <openssl/rand.h>

#include "testd.h"

static void reply(struct buf *out, int rc, uint8_t cmd, const struct aero_admin_field *f, size_t n)
{
    aero_admin_message(out, (uint8_t)rc, cmd, f, n);
}

static bool field_eq(const struct aero_admin_field *f, const char *s)
{
    return f && f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

static int find_user(const struct td_security *s, const uint8_t *p, size_t n)
{
    for (int i = 0; i < s->n_users; i++)
        if (strlen(s->users[i].name) == n && memcmp(s->users[i].name, p, n) == 0)
            return i;
    return -1;
}

/* New session for @user; NULL when out of memory. */
static struct td_session *new_session(struct td_security *s, int user)
{
    uint64_t now = clock_mono_ms();
    size_t k = 0;

    for (size_t i = 0; i < s->n_sessions; i++)     /* drop expired ones */
        if (s->sessions[i].expires_ms > now)
            s->sessions[k++] = s->sessions[i];
    s->n_sessions = k;
    if (s->n_sessions == s->cap_sessions) {
        size_t cap = s->cap_sessions ? s->cap_sessions * 2 : 64;
        struct td_session *v = mem_realloc(s->sessions, cap * sizeof(*v));
        if (!v)
            return NULL;
        s->sessions = v;
        s->cap_sessions = cap;
    }
    struct td_session *ss = &s->sessions[s->n_sessions++];
    if (RAND_bytes(ss->token, sizeof(ss->token)) != 1) {
        s->n_sessions--;
        return NULL;
    }
    ss->user = user;
    ss->expires_ms = now + (uint64_t)s->session_ttl * 1000;
    return ss;
}

static void login(struct td_ctx *c, struct td_auth *a, const struct aero_admin_view *v,
                  struct buf *out)
{
    struct td_security *s = &c->sec;
    const struct aero_admin_field *user = aero_admin_field(v, AERO_ADMIN_FIELD_USER);
    const struct aero_admin_field *cred = aero_admin_field(v, AERO_ADMIN_FIELD_CREDENTIAL);
    const struct aero_admin_field *clear = aero_admin_field(v, AERO_ADMIN_FIELD_CLEAR_PASSWORD);
    int u, rc = 0;

    if (v->n_fields == 0) {                         /* pki: the certificate names the user */
        u = a->cert_cn[0] ? find_user(s, (const uint8_t *)a->cert_cn, strlen(a->cert_cn)) : -1;
        rc = !a->cert_cn[0] ? AERO_RC_SEC_ERR_NOT_AUTHENTICATED : u < 0 ? AERO_RC_SEC_ERR_USER : 0;
    } else if (!user || (!cred && !clear)) {
        u = -1;
        rc = AERO_RC_SEC_ERR_FIELD;
    } else if ((u = find_user(s, user->p, user->n)) < 0) {
        rc = AERO_RC_SEC_ERR_USER;
    } else if (clear ? !field_eq(clear, s->users[u].password) : !field_eq(cred, s->users[u].cred)) {
        rc = AERO_RC_SEC_ERR_PASSWORD;
    }
    if (rc) {
        s->logins_refused++;
        reply(out, rc, AERO_ADMIN_LOGIN, NULL, 0);
        return;
    }
    struct td_session *ss = new_session(s, u);
    if (!ss) {
        reply(out, AERO_RC_ERR_UNKNOWN, AERO_ADMIN_LOGIN, NULL, 0);
        return;
    }
    uint8_t ttl[4];
    store_u32be(ttl, s->session_ttl);
    struct aero_admin_field f[2] = {{AERO_ADMIN_FIELD_SESSION_TOKEN, ss->token, sizeof(ss->token)},
                                    {AERO_ADMIN_FIELD_SESSION_TTL, ttl, 4}};
    a->authed = true;                               /* LOGIN authenticates its connection */
    a->user = u;
    a->expires_ms = ss->expires_ms;
    s->logins++;
    reply(out, 0, AERO_ADMIN_LOGIN, f, 2);
}

static void authenticate(struct td_ctx *c, struct td_auth *a, const struct aero_admin_view *v,
                         struct buf *out)
{
    struct td_security *s = &c->sec;
    const struct aero_admin_field *user = aero_admin_field(v, AERO_ADMIN_FIELD_USER);
    const struct aero_admin_field *tok = aero_admin_field(v, AERO_ADMIN_FIELD_SESSION_TOKEN);
    int rc = AERO_RC_SEC_ERR_CREDENTIAL;

    for (size_t i = 0; tok && i < s->n_sessions; i++) {
        struct td_session *ss = &s->sessions[i];
        if (tok->n != sizeof(ss->token) || memcmp(tok->p, ss->token, sizeof(ss->token)) != 0)
            continue;
        if (user && !field_eq(user, s->users[ss->user].name))
            break;
        if (clock_mono_ms() >= ss->expires_ms) {
            rc = AERO_RC_SEC_ERR_EXPIRED_SESSION;
            break;
        }
        a->authed = true;
        a->user = ss->user;
        a->expires_ms = ss->expires_ms;
        rc = 0;
        break;
    }
    if (rc)
        s->authenticates_refused++;
    else
        s->authenticates++;
    reply(out, rc, AERO_ADMIN_AUTHENTICATE, NULL, 0);
}

void td_admin(struct td_ctx *c, struct td_auth *a, const uint8_t *body, size_t n, struct buf *out)
{
    struct aero_admin_view v;

    if (c->sec.n_users == 0) {                      /* CE: security not supported */
        reply(out, AERO_RC_SEC_ERR_NOT_SUPPORTED, 0, NULL, 0);
        return;
    }
    if (aero_admin_parse(body, n, &v, NULL) != ST_OK) {
        reply(out, AERO_RC_SEC_ERR_FIELD, 0, NULL, 0);
        return;
    }
    if (v.command == AERO_ADMIN_LOGIN)
        login(c, a, &v, out);
    else if (v.command == AERO_ADMIN_AUTHENTICATE)
        authenticate(c, a, &v, out);
    else
        reply(out, AERO_RC_SEC_ERR_COMMAND, v.command, NULL, 0);
}

int td_auth_check(struct td_ctx *c, const struct td_auth *a)
{
    if (c->sec.n_users == 0)
        return 0;
    if (!a->authed) {
        c->sec.rejected_requests++;
        return AERO_RC_SEC_ERR_NOT_AUTHENTICATED;
    }
    if (clock_mono_ms() >= a->expires_ms) {
        c->sec.rejected_requests++;
        return AERO_RC_SEC_ERR_EXPIRED_SESSION;
    }
    return 0;
}

void td_security_free(struct td_security *s)
{
    for (int i = 0; i < s->n_users; i++)
        explicit_bzero(s->users[i].password, sizeof(s->users[i].password));
    mem_free(s->sessions);
    s->sessions = NULL;
    s->n_sessions = s->cap_sessions = 0;
}
