/* src/aerospike/aero_auth.c: Aerospike security sessions (wire doc §9.1, §11.1, §11.4).
 * - LOGIN (20) when a node is first contacted (aero_cluster.c probe): USER + CREDENTIAL =
 *   bcrypt(password, fixed salt) for internal users, + CLEAR_PASSWORD for external (LDAP),
 *   no field for pki (the client certificate names the user). The reply's SESSION_TOKEN and
 *   SESSION_TTL become the node's session. 52 (security not enabled) = no token needed.
 * - The tend thread logs in again ahead of the TTL (refresh at TTL - min(TTL/2, 5 min)) and
 *   whenever a client reports the token refused; failures back off (1 s doubling to 30 s).
 * - Every new command connection sends AUTHENTICATE (0) with the token first; a refused
 *   token (or none yet) makes that connection LOGIN itself, once.
 * Refusals are fatal (ST_AUTH) with one message naming the node and the reason; the client
 * never loops on them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "aero_int.h"

#define BACKOFF_FIRST_MS 1000u
#define BACKOFF_MAX_MS 30000u

void aero__session_init(struct aero__session *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    atomic_init(&s->gen, 0);
    atomic_init(&s->bad_gen, 0);
}

void aero__session_destroy(struct aero__session *s)
{
    if (s->token.p)
        explicit_bzero(s->token.p, s->token.cap);
    buf_free(&s->token);
    pthread_mutex_destroy(&s->lock);
}

void aero__session_take(struct aero__session *dst, struct aero__session *src)
{
    struct buf t = dst->token;

    dst->token = src->token;
    src->token = t;
    dst->no_security = src->no_security;
    dst->expires_ms = src->expires_ms;
    dst->refresh_ms = src->refresh_ms;
    atomic_store(&dst->gen, atomic_load(&src->gen));
}

void aero__session_refused(struct aero__session *s, unsigned gen)
{
    atomic_store(&s->bad_gen, gen + 1);
}

/* Token usable by a new connection (lock held). */
static bool usable(const struct aero__session *s, uint64_t now)
{
    return s->token.len > 0 && atomic_load(&s->bad_gen) != atomic_load(&s->gen) + 1 &&
           (s->expires_ms == 0 || now < s->expires_ms);
}

static void set_token(struct aero__session *s, const uint8_t *tok, size_t n, uint32_t ttl_s,
                      bool no_security)
{
    uint64_t now = clock_mono_ms(), ttl = (uint64_t)ttl_s * 1000;

    pthread_mutex_lock(&s->lock);
    buf_reset(&s->token);
    if (n && buf_append(&s->token, tok, n) != ST_OK)
        buf_reset(&s->token);         /* out of memory: no token, the next use logs in */
    s->no_security = no_security;
    s->expires_ms = ttl ? now + ttl - MIN(ttl / 4, 60000) : 0;
    s->refresh_ms = ttl ? now + ttl - MIN(ttl / 2, 300000) : 0;
    s->fail_st = ST_OK;
    s->fail_msg[0] = '\0';
    s->fails = 0;
    s->retry_ms = 0;
    atomic_fetch_add(&s->gen, 1);
    pthread_mutex_unlock(&s->lock);
}

static void set_failure(struct aero__session *s, const struct err *e)
{
    pthread_mutex_lock(&s->lock);
    s->fail_st = e->status;
    snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", e->msg);
    s->fails++;
    s->retry_ms = clock_mono_ms() + MIN(BACKOFF_FIRST_MS << MIN(s->fails - 1, 5u), BACKOFF_MAX_MS);
    pthread_mutex_unlock(&s->lock);
}

/* A LOGIN refused with a recent failure still backing off: its error again, no traffic. */
static bool backing_off(struct aero__session *s, struct err *e)
{
    bool yes;

    pthread_mutex_lock(&s->lock);
    yes = s->fail_st != ST_OK && clock_mono_ms() < s->retry_ms;
    if (yes)
        err_set(e, s->fail_st, "%s", s->fail_msg);
    pthread_mutex_unlock(&s->lock);
    return yes;
}

static enum status login_request(const struct aero_cluster *c, struct buf *b)
{
    return aero_admin_login(b, c->cfg.auth_mode, c->cfg.user, c->credential, c->cfg.password);
}

/* The reply to a LOGIN: store the session, or explain the refusal. */
static enum status login_reply(struct aero_cluster *c, struct aero__session *sess, const uint8_t *body,
                               size_t n, const char *where, struct err *e)
{
    struct aero_admin_view v;
    const struct aero_admin_field *tok, *ttl;
    enum status st;

    if (aero_admin_parse(body, n, &v, e) != ST_OK) {
        err_prefix(e, "%s: LOGIN reply", where);
        return ST_PROTO;
    }
    if (v.result == AERO_RC_OK) {
        tok = aero_admin_field(&v, AERO_ADMIN_FIELD_SESSION_TOKEN);
        ttl = aero_admin_field(&v, AERO_ADMIN_FIELD_SESSION_TTL);
        if (!tok || tok->n == 0)
            return err_set(e, ST_PROTO, "%s: LOGIN accepted without a session token", where);
        set_token(sess, tok->p, tok->n, ttl && ttl->n == 4 ? load_u32be(ttl->p) : 0, false);
        return ST_OK;
    }
    if (v.result == AERO_RC_SEC_ERR_NOT_CONFIGURED) {
        set_token(sess, NULL, 0, 0, true);       /* security disabled: nothing to present */
        return ST_OK;
    }
    if (v.result == AERO_RC_SEC_ERR_NOT_SUPPORTED)
        st = err_set(e, ST_AUTH,
                     "%s: LOGIN answered SECURITY_NOT_SUPPORTED (51): this server has no security "
                     "(Community Edition); remove aerospike.credentials, or use an Enterprise "
                     "server with security enabled",
                     where);
    else if (c->cfg.auth_mode == AERO_AUTH_PKI)
        st = err_set(e, ST_AUTH, "%s: LOGIN with the client certificate (auth-mode pki) refused: %s (%d): %s",
                     where, aero_rc_name(v.result) ? aero_rc_name(v.result) : "UNKNOWN", v.result,
                     aero_rc_message(v.result));
    else
        st = err_set(e, ST_AUTH, "%s: LOGIN as user '%s' (auth-mode %s) refused: %s (%d): %s", where,
                     c->cfg.user, aero_auth_mode_name(c->cfg.auth_mode),
                     aero_rc_name(v.result) ? aero_rc_name(v.result) : "UNKNOWN", v.result,
                     aero_rc_message(v.result));
    e->aero_rc = v.result;
    set_failure(sess, e);
    return st;
}

enum status aero__login(struct aero_cluster *c, struct aero__sock *s, struct aero__session *sess,
                        const char *where, struct err *e)
{
    struct buf req = BUF_INIT, rep = BUF_INIT;
    struct err le = {0};
    enum status st;

    if (!e)
        e = &le;
    if (login_request(c, &req) != ST_OK) {
        st = err_set(e, ST_NOMEM, "%s: LOGIN request", where);
    } else if ((st = aero__admin_exchange(s, &req, &rep, c->cfg.login_timeout_ms, where, e)) == ST_OK) {
        st = login_reply(c, sess, rep.p, rep.len, where, e);
    }
    if (req.p)
        explicit_bzero(req.p, req.cap);          /* credential / clear password */
    buf_free(&req);
    buf_free(&rep);
    return st;
}

enum status aero__sock_auth(struct aero_cluster *c, struct aero_node *nd, struct aero__sock *s,
                            struct err *e)
{
    struct aero__session *sess = &nd->sess;
    struct buf req = BUF_INIT, rep = BUF_INIT;
    bool try_token = false;
    unsigned gen = 0;
    enum status st = ST_OK;

    if (!c->cfg.auth)
        return ST_OK;
    pthread_mutex_lock(&sess->lock);
    if (sess->no_security) {
        pthread_mutex_unlock(&sess->lock);
        return ST_OK;
    }
    if (usable(sess, clock_mono_ms())) {
        gen = atomic_load(&sess->gen);
        try_token = aero_admin_authenticate(&req, c->cfg.auth_mode, c->cfg.user, sess->token.p,
                                            sess->token.len) == ST_OK;
    }
    pthread_mutex_unlock(&sess->lock);
    if (try_token) {
        struct aero_admin_view v;
        st = aero__admin_exchange(s, &req, &rep, c->cfg.login_timeout_ms, nd->addr, e);
        if (st == ST_OK && aero_admin_parse(rep.p, rep.len, &v, NULL) == ST_OK &&
            (v.result == AERO_RC_OK || v.result == AERO_RC_SEC_ERR_NOT_CONFIGURED)) {
            buf_free(&req);
            buf_free(&rep);
            return ST_OK;
        }
        if (st == ST_OK)
            aero__session_refused(sess, gen);
    }
    buf_free(&req);
    buf_free(&rep);
    if (st != ST_OK)
        return st;
    if (backing_off(sess, e))
        return e ? e->status : ST_AUTH;
    return aero__login(c, s, sess, nd->addr, e);
}

void aero__session_tend(struct aero_cluster *c, struct aero_node *nd)
{
    struct aero__session *s = &nd->sess;
    uint64_t now = clock_mono_ms();
    bool due;
    enum status st;

    if (!c->cfg.auth || nd->info.fd < 0)
        return;
    pthread_mutex_lock(&s->lock);
    due = !s->no_security &&
          (s->token.len == 0 || (s->refresh_ms && now >= s->refresh_ms) ||
           atomic_load(&s->bad_gen) == atomic_load(&s->gen) + 1) &&
          !(s->fail_st != ST_OK && now < s->retry_ms);
    pthread_mutex_unlock(&s->lock);
    if (!due)
        return;
    st = aero__login(c, &nd->info, s, nd->addr, NULL);
    if (st != ST_OK && st != ST_AUTH)
        aero__sock_close(&nd->info);           /* transport trouble: reconnect next pass */
}

/* ---------- command connections (non-blocking) ---------- */

enum phase { PH_TLS, PH_AUTH, PH_SEND, PH_RECV };

struct aero__csetup {
    enum phase phase;
    bool login;                      /* the request in flight is LOGIN (else AUTHENTICATE) */
    bool tried_login;
    unsigned gen;                    /* token generation sent with AUTHENTICATE */
    struct buf out;
    size_t out_off;
    uint8_t hdr[AERO_PROTO_HEADER_SZ];
    size_t hdr_got;
    struct buf in;
    size_t body_len;
};

bool aero__csetup_needed(const struct aero_cluster *c)
{
    return c->tls != NULL || c->cfg.auth;
}

void aero__csetup_free(struct aero__csetup *cs)
{
    if (!cs)
        return;
    if (cs->out.p)
        explicit_bzero(cs->out.p, cs->out.cap);
    buf_free(&cs->out);
    buf_free(&cs->in);
    mem_free(cs);
}

static ssize_t io_write(int fd, struct ssl_st *ssl, const void *p, size_t n)
{
    return ssl ? aero__tls_write(ssl, p, n) : send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static ssize_t io_read(int fd, struct ssl_st *ssl, void *p, size_t n)
{
    return ssl ? aero__tls_read(ssl, p, n) : recv(fd, p, n, MSG_DONTWAIT);
}

/* Choose AUTHENTICATE or LOGIN and build it. ST_OK + *done when no request is needed. */
static enum status auth_begin(struct aero_cluster *c, struct aero_node *nd, struct aero__csetup *cs,
                              bool *done, struct err *e)
{
    struct aero__session *s = &nd->sess;
    enum status st;

    *done = false;
    buf_reset(&cs->out);
    cs->out_off = 0;
    cs->hdr_got = 0;
    buf_reset(&cs->in);
    pthread_mutex_lock(&s->lock);
    if (s->no_security) {
        pthread_mutex_unlock(&s->lock);
        *done = true;
        cs->gen = aero__session_gen(s);
        return ST_OK;
    }
    if (!cs->tried_login && usable(s, clock_mono_ms())) {
        cs->login = false;
        cs->gen = atomic_load(&s->gen);
        st = aero_admin_authenticate(&cs->out, c->cfg.auth_mode, c->cfg.user, s->token.p, s->token.len);
        pthread_mutex_unlock(&s->lock);
        return st == ST_OK ? ST_OK : err_set(e, ST_NOMEM, "%s: AUTHENTICATE request", nd->addr);
    }
    pthread_mutex_unlock(&s->lock);
    if (backing_off(s, e))
        return e->status;
    cs->login = cs->tried_login = true;
    if (login_request(c, &cs->out) != ST_OK)
        return err_set(e, ST_NOMEM, "%s: LOGIN request", nd->addr);
    return ST_OK;
}

/* A complete admin reply arrived. ST_OK: connection ready; ST_AGAIN: a LOGIN follows. */
static enum status auth_reply(struct aero_cluster *c, struct aero_node *nd, struct aero__csetup *cs,
                              unsigned *gen, struct err *e)
{
    struct aero_admin_view v;

    if (cs->login) {
        enum status st = login_reply(c, &nd->sess, cs->in.p, cs->in.len, nd->addr, e);
        if (st == ST_OK)
            *gen = aero__session_gen(&nd->sess);
        return st;
    }
    if (aero_admin_parse(cs->in.p, cs->in.len, &v, e) != ST_OK) {
        err_prefix(e, "%s: AUTHENTICATE reply", nd->addr);
        return ST_PROTO;
    }
    if (v.result == AERO_RC_OK || v.result == AERO_RC_SEC_ERR_NOT_CONFIGURED) {
        *gen = cs->gen;
        return ST_OK;
    }
    /* token refused (expired, unknown): everyone logs in again; this connection now */
    aero__session_refused(&nd->sess, cs->gen);
    return ST_AGAIN;
}

enum status aero__csetup_step(struct aero_cluster *c, struct aero_node *nd, int fd,
                              struct ssl_st **ssl, struct aero__csetup **csp, bool *want_write,
                              unsigned *gen, struct err *e)
{
    struct aero__csetup *cs = *csp;
    enum status st;
    bool done;

    if (!cs) {
        if (!(cs = *csp = mem_calloc(1, sizeof(*cs))))
            return err_set(e, ST_NOMEM, "%s: connection set-up", nd->addr);
        cs->phase = c->tls ? PH_TLS : PH_AUTH;
    }
    *want_write = false;
    for (;;) {
        switch (cs->phase) {
        case PH_TLS: {
            const char *name = nd->host.tls_name[0] ? nd->host.tls_name : nd->host.name;
            if (!*ssl && !(*ssl = aero__tls_new(c->tls, fd, name, nd->addr, e)))
                return e->status;
            if ((st = aero__tls_step(*ssl, name, want_write, nd->addr, e)) != ST_OK)
                return st;
            cs->phase = PH_AUTH;
            break;
        }
        case PH_AUTH:
            if (!c->cfg.auth) {
                *gen = 0;
                goto ready;
            }
            if ((st = auth_begin(c, nd, cs, &done, e)) != ST_OK)
                return st;
            if (done) {
                *gen = cs->gen;
                goto ready;
            }
            cs->phase = PH_SEND;
            break;
        case PH_SEND:
            while (cs->out_off < cs->out.len) {
                ssize_t w = io_write(fd, *ssl, cs->out.p + cs->out_off, cs->out.len - cs->out_off);
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    *want_write = true;
                    return ST_AGAIN;
                }
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    return err_set(e, ST_IO, "%s: sending %s: %s", nd->addr,
                                   cs->login ? "LOGIN" : "AUTHENTICATE", strerror(errno));
                cs->out_off += (size_t)w;
            }
            cs->phase = PH_RECV;
            break;
        case PH_RECV: {
            uint8_t *p;
            size_t want;
            if (cs->hdr_got < sizeof(cs->hdr)) {
                p = cs->hdr + cs->hdr_got;
                want = sizeof(cs->hdr) - cs->hdr_got;
            } else {
                p = cs->in.p + cs->in.len;
                want = cs->body_len - cs->in.len;
            }
            if (want > 0) {
                ssize_t r = io_read(fd, *ssl, p, want);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    return ST_AGAIN;
                if (r < 0 && errno == EINTR)
                    continue;
                if (r == 0)
                    return err_set(e, ST_IO, "%s: connection closed by the server during %s", nd->addr,
                                   cs->login ? "LOGIN" : "AUTHENTICATE");
                if (r < 0)
                    return err_set(e, ST_IO, "%s: %s reply: %s", nd->addr,
                                   cs->login ? "LOGIN" : "AUTHENTICATE", strerror(errno));
                if (cs->hdr_got < sizeof(cs->hdr)) {
                    cs->hdr_got += (size_t)r;
                    if (cs->hdr_got < sizeof(cs->hdr))
                        continue;
                    uint64_t size = load_u64be(cs->hdr) & 0xFFFFFFFFFFFFull;
                    if (cs->hdr[0] != AERO_PROTO_VERSION || cs->hdr[1] != AERO_PROTO_ADMIN ||
                        size < AERO_ADMIN_HEADER_SZ || size > 65536)
                        return err_set(e, ST_PROTO, "%s: bad reply to %s (type %u, %llu bytes)",
                                       nd->addr, cs->login ? "LOGIN" : "AUTHENTICATE", cs->hdr[1],
                                       (unsigned long long)size);
                    cs->body_len = (size_t)size;
                    buf_reset(&cs->in);
                    if (buf_reserve(&cs->in, cs->body_len) != ST_OK)
                        return err_set(e, ST_NOMEM, "%s: admin reply", nd->addr);
                } else {
                    cs->in.len += (size_t)r;
                }
                if (cs->hdr_got < sizeof(cs->hdr) || cs->in.len < cs->body_len)
                    continue;
            }
            st = auth_reply(c, nd, cs, gen, e);
            if (st == ST_OK)
                goto ready;
            if (st != ST_AGAIN)
                return st;
            cs->phase = PH_AUTH;         /* refused token: LOGIN on this connection */
            cs->tried_login = true;
            break;
        }
        }
    }
ready:
    aero__csetup_free(cs);
    *csp = NULL;
    return ST_OK;
}

/* ---------- security options of the command-line tools ---------- */

bool aero_tool_security_wanted(const struct aero_tool_security *s)
{
    return s->tls || s->user || s->has_auth_mode || s->password_file;
}

static enum status tool_path(struct aero_tls_store *st, const char *path, const char *opt, struct err *e)
{
    if (path && (size_t)snprintf(st->file, sizeof(st->file), "%s", path) >= sizeof(st->file))
        return err_set(e, ST_CONFIG, "%s: path over %zu bytes", opt, sizeof(st->file) - 1);
    return ST_OK;
}

/* The first line of @path (without its line end) into @out. */
static enum status tool_password(const char *path, char *out, size_t cap, struct err *e)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f)
        return err_set(e, ST_IO, "--password-file %s: %s", path, strerror(errno));
    if (!fgets(out, (int)cap, f))
        out[0] = '\0';
    fclose(f);
    n = strcspn(out, "\r\n");
    if (n == cap - 1 && out[n] == '\0') {
        memset(out, 0, cap);
        return err_set(e, ST_CONFIG, "--password-file %s: password over %zu bytes", path, cap - 2);
    }
    out[n] = '\0';
    return ST_OK;
}

enum status aero_tool_security_check(const struct aero_tool_security *s, struct err *e)
{
    bool pki = s->has_auth_mode && s->auth_mode == AERO_AUTH_PKI;

    if (pki && !s->tls_cert)
        return err_set(e, ST_USAGE, "--auth-mode pki needs --tls-cert (the certificate names the user)");
    if (s->has_auth_mode && !pki && !s->user)
        return err_set(e, ST_USAGE, "--auth-mode %s needs --user", aero_auth_mode_name(s->auth_mode));
    if (s->password_file && !s->user)
        return err_set(e, ST_USAGE, "--password-file needs --user");
    if (s->user && !pki && !s->password_file && !s->password_env)
        return err_set(e, ST_USAGE, "--user %s: no password (--password-file FILE or $AEROSPIKE_PASSWORD)",
                       s->user);
    return ST_OK;
}

enum status aero_cluster_config_tool_security(struct aero_cluster_config *cfg,
                                              const struct aero_tool_security *s, struct err *e)
{
    bool pki = s->has_auth_mode && s->auth_mode == AERO_AUTH_PKI;

    if (aero_tool_security_check(s, e) != ST_OK)
        return ST_USAGE;
    if (s->tls) {
        cfg->tls.enabled = true;
        if (tool_path(&cfg->tls.trust, s->tls_ca, "--tls-ca", e) != ST_OK ||
            tool_path(&cfg->tls.key, s->tls_cert, "--tls-cert", e) != ST_OK)
            return e ? e->status : ST_CONFIG;
        for (size_t i = 0; s->tls_name && i < cfg->n_seeds; i++)
            snprintf(cfg->seeds[i].tls_name, sizeof(cfg->seeds[i].tls_name), "%s", s->tls_name);
    }
    if (!s->user && !pki)
        return ST_OK;
    cfg->auth = true;
    cfg->auth_mode = s->has_auth_mode ? s->auth_mode : AERO_AUTH_INTERNAL;
    if (pki)
        return ST_OK;
    snprintf(cfg->user, sizeof(cfg->user), "%s", s->user);
    if (s->password_file)
        return tool_password(s->password_file, cfg->password, sizeof(cfg->password), e);
    snprintf(cfg->password, sizeof(cfg->password), "%s", s->password_env);
    return ST_OK;
}
