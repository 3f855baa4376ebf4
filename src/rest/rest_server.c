/* src/rest/rest_server.c: the libmicrohttpd daemon in front of rest_handle().
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION, poll()), capped by
 * max_connections; our own listening socket (so bind errors name the address and port 0
 * works); the raw request-target from the URI log callback (MHD would percent-decode the
 * path, losing "%2F" in connector names); auth, rate limit and a declared Content-Length
 * over the limit are answered before the body is read. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rest/rest_int.h"

#define MAX_PEM (1u << 20)

struct rest_server {
    struct MHD_Daemon *d;
    struct rest_backend be;
    size_t max_body, max_discard;
    unsigned max_connections, max_per_ip, timeout_s;
    bool tls, auth_on, rate_on, auth_exempt_probes;
    char *realm_header;         /* Basic realm="..." */
    struct rest__auth auth;
    struct rest__rate rate;
    char *cert_pem, *key_pem, *key_password;
    uint16_t port;
    char default_host[80];      /* "127.0.0.1:8083" or "[::1]:8083" */
    void (*access_log)(void *ctx, const struct rest_access *a);
    void *access_log_ctx;
};

/* One HTTP request (MHD's con_cls). */
struct http_req {
    struct rest_server *srv;
    char *target;
    char method[16];
    char client[48];
    char user[128];
    struct buf body;
    size_t discarded;
    uint64_t t0_us;
    bool started, too_big;
};

void rest_config_init(struct rest_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->bind = "127.0.0.1";
    cfg->port = 8083;
    cfg->max_body = REST_DEFAULT_MAX_BODY;
    cfg->max_connections = 32;
    cfg->timeout_s = 30;
    cfg->realm = "aerosink";
}

bool rest_tls_available(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* --- responses --- */

static void access_log(struct http_req *hr, int status, size_t bytes)
{
    struct rest_server *srv = hr->srv;
    struct rest_access a;

    if (!srv->access_log)
        return;
    a.client = hr->client;
    a.user = hr->user[0] ? hr->user : NULL;
    a.method = hr->method;
    a.target = hr->target;
    a.status = status;
    a.bytes = bytes;
    a.duration_us = clock_mono_us() - hr->t0_us;
    srv->access_log(srv->access_log_ctx, &a);
}

/* Queue @resp plus an optional extra header (WWW-Authenticate, Retry-After). */
static enum MHD_Result send_response(struct MHD_Connection *c, struct http_req *hr,
                                     const struct rest_response *resp, const char *xname,
                                     const char *xvalue)
{
    struct MHD_Response *mr;
    enum MHD_Result ret;
    bool ok = true;

    mr = MHD_create_response_from_buffer(resp->body.len, resp->body.len ? resp->body.p : (void *)"",
                                         MHD_RESPMEM_MUST_COPY);
    if (!mr)
        return MHD_NO;
    if (resp->content_type)
        ok &= MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type) == MHD_YES;
    if (resp->location.len)
        ok &= MHD_add_response_header(mr, MHD_HTTP_HEADER_LOCATION, (const char *)resp->location.p) == MHD_YES;
    if (resp->allow)
        ok &= MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, resp->allow) == MHD_YES;
    if (xname)
        ok &= MHD_add_response_header(mr, xname, xvalue) == MHD_YES;
    ret = ok ? MHD_queue_response(c, (unsigned)resp->status, mr) : MHD_NO;
    MHD_destroy_response(mr);
    access_log(hr, resp->status, resp->body.len);
    return ret;
}

/* A Connect error body answered by the transport itself (401, 413, 429). */
static enum MHD_Result send_error(struct MHD_Connection *c, struct http_req *hr, int code,
                                  const char *msg, const char *xname, const char *xvalue)
{
    struct rest_response resp;
    struct rest__jw w;
    enum MHD_Result ret;

    rest_response_init(&resp);
    w.b = &resp.body;
    w.oom = false;
    rest__jw_error(&w, code, msg);
    resp.status = code;
    resp.content_type = w.oom ? NULL : "application/json";
    if (w.oom)
        buf_reset(&resp.body);
    ret = send_response(c, hr, &resp, xname, xvalue);
    rest_response_free(&resp);
    return ret;
}

/* --- request handling --- */

static void client_address(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(out, cap, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* GET /health or /metrics (probes may be exempt from auth). */
static bool is_probe(const struct http_req *hr)
{
    const char *t = hr->target;
    size_t n = strcspn(t, "?");

    if (strcmp(hr->method, "GET") != 0 && strcmp(hr->method, "HEAD") != 0)
        return false;
    if (n > 1 && t[n - 1] == '/')
        n--;
    return (n == 7 && strncmp(t, "/health", 7) == 0) || (n == 8 && strncmp(t, "/metrics", 8) == 0);
}

/* "Host" is echoed into Location: accept only host[:port] characters. */
static bool host_ok(const char *h)
{
    if (!h || !*h || strlen(h) > 255)
        return false;
    for (; *h; h++) {
        char c = *h;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_'))
            return false;
    }
    return true;
}

/* First call for a request: headers are in, the body is not. Answer now (and return true) if
 * the client is over its rate, unauthenticated, or declares a body over the limit. */
static bool early_answer(struct rest_server *srv, struct MHD_Connection *c, struct http_req *hr,
                         enum MHD_Result *ret)
{
    const char *cl;
    unsigned retry;
    uint64_t len;

    if (srv->rate_on && !rest__rate_take(&srv->rate, hr->client, clock_mono_us(), &retry)) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%u", retry);
        *ret = send_error(c, hr, 429, "Too many requests from this client", "Retry-After", ra);
        return true;
    }
    if (srv->auth_on && !(srv->auth_exempt_probes && is_probe(hr)) &&
        !rest__auth_check(&srv->auth, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
                          hr->user, sizeof(hr->user))) {
        hr->user[0] = '\0';
        *ret = send_error(c, hr, 401, "Authentication required: valid credentials were not provided",
                          MHD_HTTP_HEADER_WWW_AUTHENTICATE, srv->realm_header);
        return true;
    }
    cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && str_to_u64(cl, strlen(cl), &len) && len > srv->max_body) {
        char msg[96];
        snprintf(msg, sizeof(msg), "Request body is larger than the limit of %zu bytes", srv->max_body);
        *ret = send_error(c, hr, 413, msg, NULL, NULL);
        return true;
    }
    return false;
}

static enum MHD_Result answer(struct rest_server *srv, struct MHD_Connection *c, struct http_req *hr)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    struct rest_request req;
    struct rest_response resp;
    enum MHD_Result ret;
    char base[300];

    snprintf(base, sizeof(base), "%s://%s", srv->tls ? "https" : "http",
             host_ok(host) ? host : srv->default_host);
    memset(&req, 0, sizeof(req));
    req.method = hr->method;
    req.target = hr->target;
    req.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.body = hr->body.p;
    /* a body cut at the limit is reported one byte over it: rest_handle answers 413 without
     * reading it */
    req.body_len = hr->too_big ? srv->max_body + (srv->max_body < SIZE_MAX) : hr->body.len;
    req.max_body = srv->max_body;
    req.base_url = base;
    rest_response_init(&resp);
    rest_handle(&srv->be, &req, &resp);
    ret = send_response(c, hr, &resp, NULL, NULL);
    rest_response_free(&resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct rest_server *srv = cls;
    struct http_req *hr = *con_cls;
    enum MHD_Result ret;

    UNUSED(url);
    UNUSED(version);
    if (!hr)
        return MHD_NO;          /* the URI callback could not allocate */
    if (!hr->started) {
        hr->started = true;
        snprintf(hr->method, sizeof(hr->method), "%s", method);
        client_address(c, hr->client, sizeof(hr->client));
        if (early_answer(srv, c, hr, &ret))
            return ret;
        return MHD_YES;         /* MHD sends "100 Continue" if asked, then the body */
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (!hr->too_big && hr->body.len + n <= srv->max_body) {
            if (buf_append(&hr->body, upload, n) != ST_OK)
                return MHD_NO;
            return MHD_YES;
        }
        /* over the limit without a Content-Length (chunked): MHD cannot answer mid-upload,
         * so drop the rest and answer 413 at the end; a client that keeps going is cut off */
        hr->too_big = true;
        hr->discarded += n;
        return hr->discarded > srv->max_discard ? MHD_NO : MHD_YES;
    }
    return answer(srv, c, hr);
}

/* MHD_OPTION_URI_LOG_CALLBACK: first sight of a request, with the raw request-target. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_req *hr = mem_calloc(1, sizeof(*hr));

    UNUSED(c);
    if (!hr)
        return NULL;
    hr->srv = cls;
    hr->t0_us = clock_mono_us();
    if (!(hr->target = mem_strdup(uri ? uri : ""))) {
        mem_free(hr);
        return NULL;
    }
    return hr;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_req *hr = *con_cls;

    UNUSED(cls);
    UNUSED(c);
    UNUSED(toe);
    if (!hr)
        return;
    buf_free(&hr->body);
    mem_free(hr->target);
    mem_free(hr);
    *con_cls = NULL;
}

/* --- setup --- */

/* Read a whole (small) file as a NUL-terminated string. */
static char *read_text(const char *path, struct err *e)
{
    struct buf b = BUF_INIT;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        err_set(e, ST_CONFIG, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        ssize_t got;
        if (buf_reserve(&b, 4096) != ST_OK) {
            err_set(e, ST_NOMEM, "%s: out of memory", path);
            goto fail;
        }
        got = read(fd, b.p + b.len, 4096);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            err_set(e, ST_CONFIG, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (got == 0)
            break;
        b.len += (size_t)got;
        if (b.len > MAX_PEM) {
            err_set(e, ST_CONFIG, "%s: larger than %u bytes", path, MAX_PEM);
            goto fail;
        }
    }
    close(fd);
    buf_cstr(&b);
    return (char *)b.p;
fail:
    close(fd);
    if (b.p)
        memset(b.p, 0, b.cap);
    buf_free(&b);
    return NULL;
}

/* Bind and listen on @bind:@port; fills the bound port. Returns the socket or -1. */
static int open_listener(const char *bind_addr, int port, struct rest_server *srv, struct err *e)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char host[64];
    size_t hn = strlen(bind_addr);
    bool v6 = false;
    int fd, one = 1;

    memset(&ss, 0, sizeof(ss));
    if (hn >= 2 && bind_addr[0] == '[' && bind_addr[hn - 1] == ']') {
        bind_addr++;
        hn -= 2;
    }
    if (hn >= sizeof(host) || port < 0 || port > 65535) {
        err_set(e, ST_CONFIG, "rest: bad listen address %s:%d", bind_addr, port);
        return -1;
    }
    memcpy(host, bind_addr, hn);
    host[hn] = '\0';
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in6);
        v6 = true;
    } else {
        err_set(e, ST_CONFIG, "rest: listen address '%s' is not an IPv4 or IPv6 address", host);
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err_set(e, ST_CONNECT, "rest: socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
        err_set(e, ST_CONNECT, "rest: bind %s%s%s:%d: %s", v6 ? "[" : "", host, v6 ? "]" : "",
                port, strerror(errno));
        close(fd);
        return -1;
    }
    sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    srv->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(srv->default_host, sizeof(srv->default_host), "%s%s%s:%u", v6 ? "[" : "", host,
             v6 ? "]" : "", srv->port);
    return fd;
}

static enum status setup_security(struct rest_server *srv, const struct rest_config *cfg, struct err *e)
{
    const char *realm = cfg->realm && *cfg->realm ? cfg->realm : "aerosink";
    struct buf rh = BUF_INIT;

    for (const char *p = realm; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            return err_set(e, ST_CONFIG, "rest: realm must not contain quotes or control characters");
    if (buf_printf(&rh, "Basic realm=\"%s\", charset=\"UTF-8\"", realm) != ST_OK)
        return err_set(e, ST_NOMEM, "rest: out of memory");
    srv->realm_header = (char *)rh.p;
    if (cfg->password_file) {
        if (rest__auth_load(&srv->auth, cfg->password_file, e) != ST_OK)
            return e ? e->status : ST_CONFIG;
        srv->auth_on = true;
        srv->auth_exempt_probes = cfg->auth_exempt_probes;
    }
    if (!cfg->tls_cert_file != !cfg->tls_key_file)
        return err_set(e, ST_CONFIG, "rest: TLS needs both a certificate and a key file");
    if (cfg->tls_cert_file) {
        if (!rest_tls_available())
            return err_set(e, ST_TLS, "rest: this libmicrohttpd was built without TLS (GnuTLS)");
        if (!(srv->cert_pem = read_text(cfg->tls_cert_file, e)) ||
            !(srv->key_pem = read_text(cfg->tls_key_file, e)))
            return e ? e->status : ST_CONFIG;
        if (cfg->tls_key_password && !(srv->key_password = mem_strdup(cfg->tls_key_password)))
            return err_set(e, ST_NOMEM, "rest: out of memory");
        srv->tls = true;
    }
    if (cfg->rate_limit_rps > 0) {
        double burst = cfg->rate_limit_burst ? cfg->rate_limit_burst : MAX(1.0, 2 * cfg->rate_limit_rps);
        rest__rate_init(&srv->rate, cfg->rate_limit_rps, burst);
        srv->rate_on = true;
    }
    return ST_OK;
}

struct rest_server *rest_server_new(const struct rest_config *cfg, const struct rest_backend *be,
                                    struct err *e)
{
    struct rest_server *srv = mem_calloc(1, sizeof(*srv));
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ITC;
    struct MHD_OptionItem tls_ops[4] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL},
                                        {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
    int fd = -1;

    if (!srv) {
        err_set(e, ST_NOMEM, "rest: out of memory");
        return NULL;
    }
    if (be)
        srv->be = *be;
    srv->max_body = cfg->max_body ? cfg->max_body : REST_DEFAULT_MAX_BODY;
    srv->max_discard = srv->max_body < SIZE_MAX / 8 ? 4 * srv->max_body + (1u << 20) : SIZE_MAX;
    srv->max_connections = cfg->max_connections ? cfg->max_connections : 32;
    srv->max_per_ip = cfg->max_connections_per_ip;
    srv->timeout_s = cfg->timeout_s ? cfg->timeout_s : 30;
    srv->access_log = cfg->access_log;
    srv->access_log_ctx = cfg->access_log_ctx;
    if (setup_security(srv, cfg, e) != ST_OK)
        goto fail;
    if ((fd = open_listener(cfg->bind ? cfg->bind : "127.0.0.1", cfg->port, srv, e)) < 0)
        goto fail;
    if (srv->tls) {
        flags |= MHD_USE_TLS;
        tls_ops[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->key_pem};
        tls_ops[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->cert_pem};
        if (srv->key_password)
            tls_ops[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_KEY_PASSWORD, 0, srv->key_password};
    }
    srv->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)srv->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)srv->max_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)srv->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_ARRAY, tls_ops,
        MHD_OPTION_END);
    if (!srv->d) {
        err_set(e, srv->tls ? ST_TLS : ST_INTERNAL, "rest: cannot start the HTTP server on %s%s",
                srv->default_host, srv->tls ? " (check the TLS certificate and key)" : "");
        goto fail;      /* MHD_start_daemon has closed @fd */
    }
    return srv;
fail:
    rest_server_free(srv);
    return NULL;
}

uint16_t rest_server_port(const struct rest_server *srv)
{
    return srv ? srv->port : 0;
}

void rest_server_free(struct rest_server *srv)
{
    if (!srv)
        return;
    if (srv->d)
        MHD_stop_daemon(srv->d);    /* joins connection threads, closes the listener */
    if (srv->rate_on)
        rest__rate_destroy(&srv->rate);
    rest__auth_free(&srv->auth);
    if (srv->key_pem) {
        memset(srv->key_pem, 0, strlen(srv->key_pem));
        mem_free(srv->key_pem);
    }
    if (srv->key_password) {
        memset(srv->key_password, 0, strlen(srv->key_password));
        mem_free(srv->key_password);
    }
    mem_free(srv->cert_pem);
    mem_free(srv->realm_header);
    mem_free(srv);
}
