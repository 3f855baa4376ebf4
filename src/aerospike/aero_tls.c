/* src/aerospike/aero_tls.c: TLS to Aerospike nodes with OpenSSL (wire doc §9.2).
 * One SSL_CTX per cluster (trust store: PEM file, PKCS12 or the system CAs; optional client
 * certificate from the key store: PEM cert + key in one file, or PKCS12), TLS 1.2 or newer,
 * peer verification always on, and the certificate checked against the node's TLS name
 * (the seed's tls-name or the peer's from peers-tls-std; an IP literal is checked as an IP).
 * Sockets stay non-blocking: aero__tls_step drives a handshake one step at a time for the
 * client's epoll loop; aero__tls_read/write behave like recv/send (EAGAIN included).
 * OpenSSL allocates on its own heap; nothing here keeps global state (OpenSSL >= 1.1 needs
 * no explicit initialisation). OpenSSL writes to sockets without MSG_NOSIGNAL: a program using
 * TLS must ignore SIGPIPE (aerosink's main does). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "aero_int.h"

/* The deepest OpenSSL error as text, or @fallback. */
static const char *ossl_why(char *buf, size_t cap, const char *fallback)
{
    unsigned long code = ERR_peek_last_error();

    if (!code) {
        snprintf(buf, cap, "%s", fallback);
        return buf;
    }
    ERR_error_string_n(code, buf, cap);
    /* "error:0A000086:SSL routines::certificate verify failed" -> after the last ':' */
    const char *p = strrchr(buf, ':');
    if (p && p[1]) {
        memmove(buf, p + 1, strlen(p + 1) + 1);
    }
    return buf;
}

static int pem_pass(char *out, int size, int rwflag, void *u)
{
    const char *pw = u ? u : "";
    int n = (int)strlen(pw);

    (void)rwflag;
    if (n > size)
        n = size;
    memcpy(out, pw, (size_t)n);
    return n;
}

static PKCS12 *read_p12(const char *file, const char *what, struct err *e)
{
    FILE *f = fopen(file, "rb");
    PKCS12 *p12;

    if (!f) {
        err_set(e, ST_CONFIG, "aerospike.tls.%s: %s: %s", what, file, strerror(errno));
        return NULL;
    }
    p12 = d2i_PKCS12_fp(f, NULL);
    fclose(f);
    if (!p12)
        err_set(e, ST_CONFIG, "aerospike.tls.%s: %s: not a PKCS12 file", what, file);
    return p12;
}

static enum status p12_parse(const struct aero_tls_store *st, const char *what, EVP_PKEY **key,
                             X509 **cert, STACK_OF(X509) **ca, struct err *e)
{
    PKCS12 *p12 = read_p12(st->file, what, e);
    char why[256];

    if (!p12)
        return ST_CONFIG;
    ERR_clear_error();
    if (!PKCS12_parse(p12, st->password, key, cert, ca)) {
        PKCS12_free(p12);
        return err_set(e, ST_CONFIG,
                       "aerospike.tls.%s: %s: cannot open the PKCS12 store (%s): wrong "
                       "store-password-file, or a legacy cipher (re-export it with `openssl "
                       "pkcs12 -export`)",
                       what, st->file, ossl_why(why, sizeof(why), "unknown error"));
    }
    PKCS12_free(p12);
    return ST_OK;
}

static enum status load_trust(SSL_CTX *ctx, const struct aero_tls_store *st, struct err *e)
{
    char why[256];

    if (!st->file[0]) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            return err_set(e, ST_CONFIG, "aerospike.tls: cannot load the system CA certificates");
        return ST_OK;
    }
    ERR_clear_error();
    if (st->type == AERO_STORE_PEM) {
        if (SSL_CTX_load_verify_locations(ctx, st->file, NULL) != 1)
            return err_set(e, ST_CONFIG, "aerospike.tls.trust-store: %s: no CA certificate read (%s)",
                           st->file, ossl_why(why, sizeof(why), "empty or unreadable"));
        return ST_OK;
    }
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    if (p12_parse(st, "trust-store", &key, &cert, &ca, e) != ST_OK)
        return ST_CONFIG;
    if (cert && X509_STORE_add_cert(store, cert) == 1)
        added++;
    for (int i = 0; ca && i < sk_X509_num(ca); i++)
        if (X509_STORE_add_cert(store, sk_X509_value(ca, i)) == 1)
            added++;
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    if (added == 0)
        return err_set(e, ST_CONFIG, "aerospike.tls.trust-store: %s: holds no certificate", st->file);
    return ST_OK;
}

static enum status load_key(SSL_CTX *ctx, const struct aero_tls_store *st, struct err *e)
{
    char why[256];

    if (!st->file[0])
        return ST_OK;
    ERR_clear_error();
    if (st->type == AERO_STORE_PEM) {
        SSL_CTX_set_default_passwd_cb(ctx, pem_pass);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)st->password);
        if (SSL_CTX_use_certificate_chain_file(ctx, st->file) != 1)
            return err_set(e, ST_CONFIG, "aerospike.tls.key-store: %s: no certificate read (%s)",
                           st->file, ossl_why(why, sizeof(why), "no CERTIFICATE block"));
        if (SSL_CTX_use_PrivateKey_file(ctx, st->file, SSL_FILETYPE_PEM) != 1)
            return err_set(e, ST_CONFIG,
                           "aerospike.tls.key-store: %s: no usable private key (%s): the PEM "
                           "key store holds the certificate and its key",
                           st->file, ossl_why(why, sizeof(why), "no PRIVATE KEY block"));
        SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    } else {
        EVP_PKEY *key = NULL;
        X509 *cert = NULL;
        STACK_OF(X509) *ca = NULL;
        enum status st2 = ST_OK;
        if (p12_parse(st, "key-store", &key, &cert, &ca, e) != ST_OK)
            return ST_CONFIG;
        if (!key || !cert)
            st2 = err_set(e, ST_CONFIG, "aerospike.tls.key-store: %s: needs a certificate and its key",
                          st->file);
        else if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
            st2 = err_set(e, ST_CONFIG, "aerospike.tls.key-store: %s: %s", st->file,
                          ossl_why(why, sizeof(why), "certificate or key refused"));
        for (int i = 0; st2 == ST_OK && ca && i < sk_X509_num(ca); i++)
            SSL_CTX_add1_chain_cert(ctx, sk_X509_value(ca, i));
        EVP_PKEY_free(key);
        X509_free(cert);
        sk_X509_pop_free(ca, X509_free);
        if (st2 != ST_OK)
            return st2;
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        return err_set(e, ST_CONFIG, "aerospike.tls.key-store: %s: the key does not match the certificate",
                       st->file);
    return ST_OK;
}

struct ssl_ctx_st *aero__tls_ctx_new(const struct aero_tls_config *cfg, struct err *e)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (!ctx) {
        err_set(e, ST_NOMEM, "aerospike.tls: cannot create an OpenSSL context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);   /* a close is a close */
#endif
    if (load_trust(ctx, &cfg->trust, e) != ST_OK || load_key(ctx, &cfg->key, e) != ST_OK) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void aero__tls_ctx_free(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(ctx);
}

struct ssl_st *aero__tls_new(struct ssl_ctx_st *ctx, int fd, const char *name, const char *where,
                             struct err *e)
{
    SSL *ssl = SSL_new(ctx);
    X509_VERIFY_PARAM *vp;
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;

    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        err_set(e, ST_NOMEM, "%s: TLS: cannot create a connection", where);
        return NULL;
    }
    vp = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1
              : (SSL_set1_host(ssl, name) != 1 || SSL_set_tlsext_host_name(ssl, name) != 1)) {
        SSL_free(ssl);
        err_set(e, ST_CONFIG, "%s: TLS: unusable tls-name '%s'", where, name);
        return NULL;
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

void aero__tls_free(struct ssl_st *ssl)
{
    SSL_free(ssl);                    /* no close_notify: the peer may be gone (SIGPIPE) */
}

enum status aero__tls_step(struct ssl_st *ssl, const char *name, bool *want_write,
                           const char *where, struct err *e)
{
    char why[256];
    int rc, err;
    long vr;

    ERR_clear_error();
    errno = 0;
    rc = SSL_do_handshake(ssl);
    if (rc == 1)
        return ST_OK;
    err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        *want_write = err == SSL_ERROR_WANT_WRITE;
        return ST_AGAIN;
    }
    vr = SSL_get_verify_result(ssl);
    if (vr != X509_V_OK) {
        const char *hint = "";
        char h[160] = "";
        if (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH) {
            snprintf(h, sizeof(h), " (expected tls-name '%s')", name);
            hint = h;
        } else if (vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                   vr == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
                   vr == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                   vr == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) {
            hint = " (is aerospike.tls.trust-store the CA that signed the node's certificate?)";
        }
        return err_set(e, ST_TLS, "%s: TLS: the node's certificate is not accepted: %s%s", where,
                       X509_verify_cert_error_string(vr), hint);
    }
    if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0)) {
        int en = errno;
        return err_set(e, ST_TLS, "%s: TLS: connection %s during the handshake (is TLS enabled on "
                                  "this port?)",
                       where, en ? strerror(en) : "closed by the server");
    }
    return err_set(e, ST_TLS, "%s: TLS handshake failed: %s", where,
                   ossl_why(why, sizeof(why), "unknown error"));
}

ssize_t aero__tls_read(struct ssl_st *ssl, void *p, size_t n)
{
    int r;

    ERR_clear_error();
    r = SSL_read(ssl, p, (int)MIN(n, (size_t)INT_MAX));
    if (r > 0)
        return r;
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_last_error() == 0 && errno == 0)
            return 0;
        if (errno == 0)
            errno = EPROTO;
        return -1;
    default:
        errno = EPROTO;
        return -1;
    }
}

ssize_t aero__tls_write(struct ssl_st *ssl, const void *p, size_t n)
{
    int r;

    if (n == 0)
        return 0;
    ERR_clear_error();
    r = SSL_write(ssl, p, (int)MIN(n, (size_t)INT_MAX));
    if (r > 0)
        return r;
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    default:
        if (errno == 0 || errno == EAGAIN)
            errno = EPIPE;
        return -1;
    }
}

bool aero__tls_pending(struct ssl_st *ssl)
{
    return ssl && SSL_pending(ssl) > 0;
}
