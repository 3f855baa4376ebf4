/* tests/integration/rest_server_test.c: a real rest_server on an ephemeral port inside the test
 * process, with the in-memory fake backend, talked to over TCP (a small HTTP/1.1 client here,
 * and curl for the example session and HTTPS): Location on 201, basic auth, bind address,
 * keep-alive, parallel clients, body/connection/time limits, rate limit, TLS, shutdown. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "../harness.h"
#include "../support/rest_fake.h"
#include "../support/testutil.h"
#include "rest/rest.h"

/* --- a minimal HTTP client --- */

struct http_resp {
    int status;
    char head[8192];        /* status line + headers */
    struct buf body;
};

static int connect_to(const char *ip, uint16_t port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, ip, &sa.sin_addr);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

/* Read with a deadline: bytes, 0 on EOF, -1 on error or timeout. */
static ssize_t recv_wait(int fd, void *p, size_t n, int timeout_ms)
{
    struct pollfd pf = {fd, POLLIN, 0};
    int rc = poll(&pf, 1, timeout_ms);

    if (rc <= 0)
        return -1;
    return recv(fd, p, n, 0);
}

/* Case-insensitive header lookup in r->head; copies the value into @out. */
static const char *header(const struct http_resp *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = strstr(r->head, "\r\n");

    while (p && p[2] != '\r' && p[2]) {
        const char *line = p + 2, *end = strstr(line, "\r\n");
        if (!end)
            break;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)(end - v), v);
            return out;
        }
        p = end;
    }
    return NULL;
}

/* Read one response (Content-Length bodies; none for HEAD/204/304). */
static bool read_response(int fd, struct http_resp *r, bool head_only)
{
    char buf[4096], tmp[32];
    size_t hl = 0, want = 0;
    char *end = NULL;

    memset(r->head, 0, sizeof(r->head));
    buf_reset(&r->body);
    r->status = 0;
    while (!end) {
        ssize_t got = recv_wait(fd, r->head + hl, 1, 10000);    /* byte by byte: no over-read */
        if (got <= 0 || ++hl >= sizeof(r->head) - 1)
            return false;
        end = hl >= 4 ? strstr(r->head + hl - 4, "\r\n\r\n") : NULL;
    }
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
        return false;
    if (!head_only && r->status != 204 && header(r, "Content-Length", tmp, sizeof(tmp)))
        want = strtoul(tmp, NULL, 10);
    while (r->body.len < want) {
        ssize_t got = recv_wait(fd, buf, MIN(sizeof(buf), want - r->body.len), 10000);
        if (got <= 0)
            return false;
        buf_append(&r->body, buf, (size_t)got);
    }
    buf_cstr(&r->body);
    return true;
}

static bool send_request(int fd, const char *method, const char *target, const char *extra,
                         const char *body)
{
    struct buf b = BUF_INIT;
    bool ok;

    buf_printf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s", method, target, extra ? extra : "");
    if (body)
        buf_printf(&b, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
    else
        buf_append_str(&b, "\r\n");
    ok = send_all(fd, b.p, b.len);
    buf_free(&b);
    return ok;
}

/* One request on a fresh connection to @ip:@port. Returns the status (0 on failure). */
static int http_on(const char *ip, uint16_t port, const char *method, const char *target,
                   const char *extra, const char *body, struct http_resp *r)
{
    int fd = connect_to(ip, port);
    bool ok;

    if (fd < 0)
        return 0;
    ok = send_request(fd, method, target, extra, body) &&
         read_response(fd, r, strcmp(method, "HEAD") == 0);
    close(fd);
    return ok ? r->status : 0;
}

static int http(uint16_t port, const char *method, const char *target, const char *extra,
                const char *body, struct http_resp *r)
{
    return http_on("127.0.0.1", port, method, target, extra, body, r);
}

/* --- fixtures --- */

static struct rest_fake *fk;
static struct rest_backend be;

static struct rest_server *start(struct rest_config *cfg)
{
    struct rest_server *srv;
    struct err e = {0};

    if (!fk) {
        fk = rest_fake_new();
        rest_fake_backend(fk, &be);
    }
    srv = rest_server_new(cfg, &be, &e);
    if (!srv)
        TEST_FAIL("rest_server_new: %s", e.msg);
    return srv;
}

static void base_config(struct rest_config *cfg)
{
    rest_config_init(cfg);
    cfg->port = 0;
}

#define CREATE_BODY(n) "{\"name\":\"" n "\",\"config\":{\"connector.class\":\"" REST_FAKE_CLASS "\"}}"

/* --- tests --- */

TEST(serves_the_api_with_location_on_201)
{
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};
    char v[256], want[256];
    uint16_t port;

    base_config(&cfg);
    srv = start(&cfg);
    port = rest_server_port(srv);
    ASSERT_CMP_INT(port, >, 0);
    ASSERT_EQ_INT(http(port, "POST", "/connectors", NULL, CREATE_BODY("loc sink"), &r), 201);
    snprintf(want, sizeof(want), "http://127.0.0.1/connectors/loc%%20sink");   /* from our Host header */
    ASSERT_EQ_STR(header(&r, "Location", v, sizeof(v)), want);
    ASSERT_EQ_STR(header(&r, "Content-Type", v, sizeof(v)), "application/json");
    ASSERT_CONTAINS((const char *)r.body.p, "{\"name\":\"loc sink\",\"config\":");
    ASSERT_EQ_INT(http(port, "GET", "/connectors", NULL, NULL, &r), 200);
    ASSERT_EQ_STR((const char *)r.body.p, "[\"loc sink\"]");
    /* the raw target reaches the router: %2F stays inside the name */
    ASSERT_EQ_INT(http(port, "PUT", "/connectors/a%2Fb/config", NULL,
                       "{\"connector.class\":\"" REST_FAKE_CLASS "\"}", &r), 201);
    ASSERT_TRUE(rest_fake_exists(fk, "a/b"));
    ASSERT_EQ_INT(http(port, "GET", "/connectors/a%2Fb/status", NULL, NULL, &r), 200);
    ASSERT_EQ_INT(http(port, "HEAD", "/connectors", NULL, NULL, &r), 200);
    ASSERT_EQ_INT(r.body.len, 0);
    ASSERT_EQ_INT(http(port, "DELETE", "/connectors/loc%20sink", NULL, NULL, &r), 204);
    ASSERT_EQ_INT(r.body.len, 0);
    ASSERT_EQ_INT(http(port, "GET", "/nope", NULL, NULL, &r), 404);
    ASSERT_EQ_STR((const char *)r.body.p, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
    ASSERT_EQ_INT(http(port, "PATCH", "/", NULL, NULL, &r), 405);
    ASSERT_EQ_STR(header(&r, "Allow", v, sizeof(v)), "GET, HEAD");
    /* without a usable Host header, Location uses the listen address */
    {
        int fd = connect_to("127.0.0.1", port);
        char rq[512];
        snprintf(rq, sizeof(rq), "POST /connectors HTTP/1.0\r\nContent-Type: application/json\r\n"
                                 "Content-Length: %zu\r\n\r\n%s", strlen(CREATE_BODY("nohost")),
                 CREATE_BODY("nohost"));
        ASSERT_TRUE(send_all(fd, rq, strlen(rq)));
        ASSERT_TRUE(read_response(fd, &r, false));
        close(fd);
        ASSERT_EQ_INT(r.status, 201);
        snprintf(want, sizeof(want), "http://127.0.0.1:%u/connectors/nohost", port);
        ASSERT_EQ_STR(header(&r, "Location", v, sizeof(v)), want);
    }
    rest_server_free(srv);
    buf_free(&r.body);
}

TEST(basic_auth_required_when_configured)
{
    const char *pw = tu_write_file(tu_tmpdir(), "users", "# REST users\nadmin:s3cret\n");
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};
    char v[256];
    uint16_t port;

    base_config(&cfg);
    cfg.password_file = pw;
    cfg.auth_exempt_probes = true;
    srv = start(&cfg);
    port = rest_server_port(srv);
    ASSERT_EQ_INT(http(port, "GET", "/connectors", NULL, NULL, &r), 401);
    ASSERT_EQ_STR(header(&r, "WWW-Authenticate", v, sizeof(v)), "Basic realm=\"aerosink\", charset=\"UTF-8\"");
    ASSERT_CONTAINS((const char *)r.body.p, "{\"error_code\":401,\"message\":");
    /* admin:wrong, then admin:s3cret */
    ASSERT_EQ_INT(http(port, "GET", "/connectors", "Authorization: Basic YWRtaW46d3Jvbmc=\r\n", NULL, &r), 401);
    ASSERT_EQ_INT(http(port, "GET", "/connectors", "Authorization: Basic YWRtaW46czNjcmV0\r\n", NULL, &r), 200);
    /* a body is not read for an unauthenticated request */
    ASSERT_EQ_INT(http(port, "POST", "/connectors", NULL, CREATE_BODY("noauth"), &r), 401);
    ASSERT_FALSE(rest_fake_exists(fk, "noauth"));
    ASSERT_EQ_INT(http(port, "POST", "/connectors", "Authorization: Basic YWRtaW46czNjcmV0\r\n",
                       CREATE_BODY("withauth"), &r), 201);
    /* probes are exempt only when configured so */
    ASSERT_EQ_INT(http(port, "GET", "/health", NULL, NULL, &r), 200);
    ASSERT_EQ_INT(http(port, "GET", "/metrics", NULL, NULL, &r), 200);
    ASSERT_EQ_INT(http(port, "GET", "/healthz", NULL, NULL, &r), 401);
    rest_server_free(srv);

    cfg.auth_exempt_probes = false;
    srv = start(&cfg);
    ASSERT_EQ_INT(http(rest_server_port(srv), "GET", "/health", NULL, NULL, &r), 401);
    rest_server_free(srv);
    buf_free(&r.body);
}

TEST(bind_address_is_honoured)
{
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};
    uint16_t port;

    base_config(&cfg);          /* default bind: 127.0.0.1 */
    srv = start(&cfg);
    port = rest_server_port(srv);
    ASSERT_EQ_INT(http_on("127.0.0.1", port, "GET", "/", NULL, NULL, &r), 200);
    ASSERT_EQ_INT(connect_to("127.0.0.2", port), -1);       /* same host, other address */
    ASSERT_EQ_INT(errno, ECONNREFUSED);
    rest_server_free(srv);

    cfg.bind = "127.0.0.2";
    srv = start(&cfg);
    port = rest_server_port(srv);
    ASSERT_EQ_INT(http_on("127.0.0.2", port, "GET", "/", NULL, NULL, &r), 200);
    ASSERT_EQ_INT(connect_to("127.0.0.1", port), -1);
    rest_server_free(srv);
    buf_free(&r.body);
}

TEST(keep_alive_serves_several_requests_on_one_connection)
{
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};
    char v[64];
    unsigned long calls;
    int fd;

    base_config(&cfg);
    srv = start(&cfg);
    fd = connect_to("127.0.0.1", rest_server_port(srv));
    ASSERT_TRUE(fd >= 0);
    calls = rest_fake_calls(fk);
    for (int i = 0; i < 5; i++) {
        ASSERT_TRUE(send_request(fd, "GET", "/connectors", NULL, NULL));
        ASSERT_TRUE(read_response(fd, &r, false));
        ASSERT_EQ_INT(r.status, 200);
        ASSERT_TRUE(header(&r, "Connection", v, sizeof(v)) == NULL || strcasecmp(v, "close") != 0);
    }
    ASSERT_TRUE(send_request(fd, "POST", "/connectors", NULL, CREATE_BODY("ka")));
    ASSERT_TRUE(read_response(fd, &r, false));
    ASSERT_EQ_INT(r.status, 201);
    ASSERT_TRUE(send_request(fd, "GET", "/connectors/ka", NULL, NULL));
    ASSERT_TRUE(read_response(fd, &r, false));
    ASSERT_EQ_INT(r.status, 200);
    ASSERT_EQ_U64(rest_fake_calls(fk) - calls, 7);
    /* an idle keep-alive connection does not hold up shutdown */
    {
        uint64_t t0 = clock_mono_ms();
        char ch;
        rest_server_free(srv);
        ASSERT_CMP_INT(clock_mono_ms() - t0, <, 2000);
        ASSERT_TRUE(recv_wait(fd, &ch, 1, 2000) <= 0);
    }
    close(fd);
    buf_free(&r.body);
}

struct worker_arg {
    uint16_t port;
    int id;
    int failures;
};

static void *client_thread(void *p)
{
    struct worker_arg *a = p;
    struct http_resp r = {0};
    char name[32], body[256], target[64];

    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "par-%d-%d", a->id, i);
        snprintf(body, sizeof(body), "{\"name\":\"%s\",\"config\":{\"connector.class\":\"%s\"}}", name,
                 REST_FAKE_CLASS);
        snprintf(target, sizeof(target), "/connectors/%s/status", name);
        a->failures += http(a->port, "POST", "/connectors", NULL, body, &r) != 201;
        a->failures += http(a->port, "GET", target, NULL, NULL, &r) != 200;
        snprintf(target, sizeof(target), "/connectors/%s", name);
        a->failures += http(a->port, "DELETE", target, NULL, NULL, &r) != 204;
    }
    buf_free(&r.body);
    return NULL;
}

TEST(parallel_clients)
{
    struct rest_config cfg;
    struct rest_server *srv;
    pthread_t th[8];
    struct worker_arg args[8];
    size_t before;

    base_config(&cfg);
    srv = start(&cfg);
    before = rest_fake_count(fk);
    for (int i = 0; i < 8; i++) {
        args[i] = (struct worker_arg){rest_server_port(srv), i, 0};
        ASSERT_EQ_INT(pthread_create(&th[i], NULL, client_thread, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ASSERT_EQ_INT(args[i].failures, 0);
    }
    ASSERT_EQ_INT(rest_fake_count(fk), before);
    rest_server_free(srv);
}

struct slow_arg {
    uint16_t port;
    int status;
};

static void *slow_client(void *p)
{
    struct slow_arg *a = p;
    struct http_resp r = {0};
    a->status = http(a->port, "GET", "/connectors", NULL, NULL, &r);
    buf_free(&r.body);
    return NULL;
}

/* A slow backend call holds only its own connection (one thread per connection). */
TEST(slow_backend_calls_run_concurrently)
{
    struct rest_config cfg;
    struct rest_server *srv;
    pthread_t th[6];
    struct slow_arg args[6];
    uint64_t t0, ms;

    base_config(&cfg);
    srv = start(&cfg);
    rest_fake_set_delay_ms(fk, 400);
    t0 = clock_mono_ms();
    for (int i = 0; i < 6; i++) {
        args[i] = (struct slow_arg){rest_server_port(srv), 0};
        pthread_create(&th[i], NULL, slow_client, &args[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        ASSERT_EQ_INT(args[i].status, 200);
    }
    ms = clock_mono_ms() - t0;
    rest_fake_set_delay_ms(fk, 0);
    ASSERT_CMP_INT(ms, <, 6 * 400 / 2);     /* serial would take 2400 ms */
    rest_server_free(srv);
}

TEST(body_limit_413_declared_and_chunked)
{
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};
    struct buf big = BUF_INIT;
    char v[64];
    uint16_t port;
    int fd;

    base_config(&cfg);
    cfg.max_body = 1024;
    srv = start(&cfg);
    port = rest_server_port(srv);
    buf_printf(&big, "{\"name\":\"big\",\"config\":{\"connector.class\":\"%s\",\"pad\":\"", REST_FAKE_CLASS);
    while (big.len < 3000)
        buf_append_str(&big, "xxxxxxxxxx");
    buf_append_str(&big, "\"}}");
    /* declared: answered before the body is read, and the connection is closed */
    ASSERT_EQ_INT(http(port, "POST", "/connectors", NULL, buf_cstr(&big), &r), 413);
    ASSERT_EQ_STR((const char *)r.body.p,
                  "{\"error_code\":413,\"message\":\"Request body is larger than the limit of 1024 bytes\"}");
    ASSERT_EQ_STR(header(&r, "Connection", v, sizeof(v)), "close");
    /* chunked: read, dropped, then answered */
    fd = connect_to("127.0.0.1", port);
    {
        struct buf rq = BUF_INIT;
        buf_printf(&rq, "POST /connectors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", big.len);
        buf_append(&rq, big.p, big.len);
        buf_append_str(&rq, "\r\n0\r\n\r\n");
        ASSERT_TRUE(send_all(fd, rq.p, rq.len));
        buf_free(&rq);
    }
    ASSERT_TRUE(read_response(fd, &r, false));
    ASSERT_EQ_INT(r.status, 413);
    close(fd);
    ASSERT_FALSE(rest_fake_exists(fk, "big"));
    /* under the limit: fine */
    ASSERT_EQ_INT(http(port, "POST", "/connectors", NULL, CREATE_BODY("small"), &r), 201);
    rest_server_free(srv);
    buf_free(&big);
    buf_free(&r.body);
}

TEST(idle_connections_time_out)
{
    struct rest_config cfg;
    struct rest_server *srv;
    char c;
    uint64_t t0;
    int fd;

    base_config(&cfg);
    cfg.timeout_s = 1;
    srv = start(&cfg);
    fd = connect_to("127.0.0.1", rest_server_port(srv));
    ASSERT_TRUE(fd >= 0);
    ASSERT_TRUE(send_all(fd, "GET / HTTP/1.1\r\n", 16));      /* and then nothing */
    t0 = clock_mono_ms();
    ASSERT_EQ_INT(recv_wait(fd, &c, 1, 8000), 0);            /* closed by the server */
    ASSERT_CMP_INT(clock_mono_ms() - t0, <, 5000);
    close(fd);
    rest_server_free(srv);
}

TEST(connection_limit)
{
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};
    int a, b, c;
    char ch;

    base_config(&cfg);
    cfg.max_connections = 2;
    srv = start(&cfg);
    a = connect_to("127.0.0.1", rest_server_port(srv));
    b = connect_to("127.0.0.1", rest_server_port(srv));
    ASSERT_TRUE(send_all(a, "GET", 3) && send_all(b, "GET", 3));   /* both in use */
    sleep_ms(200);
    c = connect_to("127.0.0.1", rest_server_port(srv));            /* accepted, then dropped */
    ASSERT_TRUE(c >= 0);
    ASSERT_TRUE(send_request(c, "GET", "/", NULL, NULL));
    ASSERT_TRUE(recv_wait(c, &ch, 1, 5000) <= 0);
    close(c);
    close(a);
    close(b);
    /* the slots free up once the server has seen the closes */
    for (int i = 0; i < 50 && http(rest_server_port(srv), "GET", "/", NULL, NULL, &r) != 200; i++)
        sleep_ms(100);
    ASSERT_EQ_INT(r.status, 200);
    rest_server_free(srv);
    buf_free(&r.body);
}

TEST(rate_limit_answers_429_with_retry_after)
{
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};
    char v[32];
    uint16_t port;

    base_config(&cfg);
    cfg.rate_limit_rps = 0.5;
    cfg.rate_limit_burst = 3;
    srv = start(&cfg);
    port = rest_server_port(srv);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ_INT(http(port, "GET", "/", NULL, NULL, &r), 200);
    ASSERT_EQ_INT(http(port, "GET", "/", NULL, NULL, &r), 429);
    ASSERT_EQ_STR((const char *)r.body.p, "{\"error_code\":429,\"message\":\"Too many requests from this client\"}");
    ASSERT_EQ_STR(header(&r, "Retry-After", v, sizeof(v)), "2");
    rest_server_free(srv);
    buf_free(&r.body);
}

struct log_cap {
    pthread_mutex_t lock;
    char last[512];
    int n;
};

static void on_access(void *ctx, const struct rest_access *a)
{
    struct log_cap *lc = ctx;
    pthread_mutex_lock(&lc->lock);
    snprintf(lc->last, sizeof(lc->last), "%s %s %s %s %d %zu", a->client, a->user ? a->user : "-",
             a->method, a->target, a->status, a->bytes);
    lc->n++;
    pthread_mutex_unlock(&lc->lock);
}

TEST(access_log_sees_every_request)
{
    const char *pw = tu_write_file(tu_tmpdir(), "users", "ops:pw\n");
    struct log_cap lc = {PTHREAD_MUTEX_INITIALIZER, "", 0};
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};
    uint16_t port;

    base_config(&cfg);
    cfg.access_log = on_access;
    cfg.access_log_ctx = &lc;
    cfg.password_file = pw;
    srv = start(&cfg);
    port = rest_server_port(srv);
    ASSERT_EQ_INT(http(port, "GET", "/connectors?expand=status", "Authorization: Basic b3BzOnB3\r\n", NULL, &r), 200);
    ASSERT_EQ_STR(lc.last, "127.0.0.1 ops GET /connectors?expand=status 200 2");
    ASSERT_EQ_INT(http(port, "GET", "/x", NULL, NULL, &r), 401);
    ASSERT_CONTAINS(lc.last, "127.0.0.1 - GET /x 401 ");
    ASSERT_EQ_INT(lc.n, 2);
    rest_server_free(srv);
    buf_free(&r.body);
}

/* Absolute path of @prog found on $PATH (tu_run execs a path), or NULL. Rotating buffer. */
static const char *prog_path(const char *prog)
{
    static char bufs[4][256];
    static int slot;
    const char *path = getenv("PATH");
    char *out = bufs[slot = (slot + 1) % 4];

    path = path ? path : "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(out, sizeof(bufs[0]), "%.*s/%s", (int)n, path, prog);
        if (n && access(out, X_OK) == 0)
            return out;
        path += n + (path[n] == ':');
    }
    return NULL;
}

/* The example session from the report, with curl. */
TEST(curl_session)
{
    struct rest_config cfg;
    struct rest_server *srv;
    char url[128], *out = NULL;

    if (!prog_path("curl"))
        TEST_SKIP("curl not installed");
    base_config(&cfg);
    srv = start(&cfg);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/connectors", rest_server_port(srv));
    {
        const char *argv[] = {prog_path("curl"), "-s", "-i", "-X", "POST", "-H", "Content-Type: application/json",
                              "--data", "{\"name\":\"curl-sink\",\"config\":{\"connector.class\":\""
                              REST_FAKE_CLASS "\",\"tasks.max\":\"1\",\"topics\":\"orders\"}}", url, NULL};
        ASSERT_EQ_INT(tu_run(argv, 10000, &out), 0);
        ASSERT_CONTAINS(out, "HTTP/1.1 201 Created");
        ASSERT_CONTAINS(out, "Location: http://127.0.0.1:");
        ASSERT_CONTAINS(out, "/connectors/curl-sink");
        ASSERT_CONTAINS(out, "{\"name\":\"curl-sink\",\"config\":{");
        mem_free(out);
    }
    {
        /* curl's default form content type is refused, as Connect does */
        const char *argv[] = {prog_path("curl"), "-s", "-X", "POST", "--data", "{}", url, NULL};
        ASSERT_EQ_INT(tu_run(argv, 10000, &out), 0);
        ASSERT_EQ_STR(out, "{\"error_code\":415,\"message\":\"HTTP 415 Unsupported Media Type\"}");
        mem_free(out);
    }
    {
        char st[160];
        snprintf(st, sizeof(st), "%s/curl-sink/status", url);
        const char *argv[] = {prog_path("curl"), "-s", st, NULL};
        ASSERT_EQ_INT(tu_run(argv, 10000, &out), 0);
        ASSERT_EQ_STR(out, "{\"name\":\"curl-sink\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":"
                           "\"127.0.0.1:8083\"},\"tasks\":[{\"id\":0,\"state\":\"RUNNING\",\"worker_id\":"
                           "\"127.0.0.1:8083\"}],\"type\":\"sink\"}");
        mem_free(out);
    }
    rest_server_free(srv);
}

TEST(https_with_a_pem_certificate)
{
    const char *dir = tu_tmpdir();
    char cert[512], key[512], url[128], *out = NULL;
    struct rest_config cfg;
    struct rest_server *srv;
    struct http_resp r = {0};

    if (!rest_tls_available())
        TEST_SKIP("libmicrohttpd without TLS");
    if (!prog_path("openssl") || !prog_path("curl"))
        TEST_SKIP("openssl or curl not installed");
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    {
        const char *argv[] = {prog_path("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                              "-subj", "/CN=localhost", "-keyout", key, "-out", cert, NULL};
        ASSERT_EQ_INT(tu_run(argv, 60000, NULL), 0);
    }
    base_config(&cfg);
    cfg.tls_cert_file = cert;
    cfg.tls_key_file = key;
    srv = start(&cfg);
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", rest_server_port(srv));
    {
        const char *argv[] = {prog_path("curl"), "-s", "-k", url, NULL};
        ASSERT_EQ_INT(tu_run(argv, 20000, &out), 0);
        ASSERT_CONTAINS(out, "{\"version\":\"" AEROSINK_VERSION "\"");
        mem_free(out);
    }
    /* plain HTTP to the TLS port gets no HTTP answer */
    ASSERT_TRUE(http(rest_server_port(srv), "GET", "/", NULL, NULL, &r) != 200);
    rest_server_free(srv);

    /* an encrypted key needs its password */
    {
        const char *argv[] = {prog_path("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-passout",
                              "pass:topsecret", "-days", "1", "-subj", "/CN=localhost", "-keyout", key,
                              "-out", cert, NULL};
        struct err e = {0};
        ASSERT_EQ_INT(tu_run(argv, 60000, NULL), 0);
        ASSERT_TRUE(rest_server_new(&cfg, &be, &e) == NULL);
        ASSERT_EQ_INT(e.status, ST_TLS);
    }
    cfg.tls_key_password = "topsecret";
    srv = start(&cfg);
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/health", rest_server_port(srv));
    {
        const char *argv[] = {prog_path("curl"), "-s", "-k", url, NULL};
        ASSERT_EQ_INT(tu_run(argv, 20000, &out), 0);
        ASSERT_CONTAINS(out, "{\"status\":\"healthy\"");
        mem_free(out);
    }
    rest_server_free(srv);
    buf_free(&r.body);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

TEST(bad_configs_and_busy_port_fail_cleanly)
{
    struct rest_config cfg;
    struct rest_server *srv, *srv2;
    struct err e = {0};
    int fds0;
    char want[96];

    if (!fk) {
        fk = rest_fake_new();
        rest_fake_backend(fk, &be);
    }
    fds0 = open_fds();
    base_config(&cfg);
    srv = start(&cfg);
    cfg.port = rest_server_port(srv);
    ASSERT_TRUE((srv2 = rest_server_new(&cfg, &be, &e)) == NULL);
    ASSERT_EQ_INT(e.status, ST_CONNECT);
    snprintf(want, sizeof(want), "rest: bind 127.0.0.1:%d: Address already in use", cfg.port);
    ASSERT_EQ_STR(e.msg, want);
    rest_server_free(srv);
    ASSERT_EQ_INT(connect_to("127.0.0.1", (uint16_t)cfg.port), -1);    /* listener closed */
    ASSERT_EQ_INT(open_fds(), fds0);                                     /* nothing leaked */

    base_config(&cfg);
    cfg.bind = "localhost";
    ASSERT_TRUE(rest_server_new(&cfg, &be, &e) == NULL);
    ASSERT_EQ_INT(e.status, ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "'localhost' is not an IPv4 or IPv6 address");
    base_config(&cfg);
    cfg.password_file = "/nonexistent/pw";
    ASSERT_TRUE(rest_server_new(&cfg, &be, &e) == NULL);
    ASSERT_EQ_INT(e.status, ST_CONFIG);
    base_config(&cfg);
    cfg.tls_cert_file = "/nonexistent/cert.pem";
    ASSERT_TRUE(rest_server_new(&cfg, &be, &e) == NULL);
    ASSERT_CONTAINS(e.msg, "both a certificate and a key");
    base_config(&cfg);
    cfg.tls_cert_file = tu_write_file(tu_tmpdir(), "c.pem", "not a certificate\n");
    cfg.tls_key_file = tu_write_file(tu_tmpdir(), "k.pem", "not a key\n");
    ASSERT_TRUE(rest_server_new(&cfg, &be, &e) == NULL);
    ASSERT_EQ_INT(e.status, ST_TLS);
    ASSERT_EQ_INT(open_fds(), fds0);
    rest_server_free(NULL);
}

TEST(ipv6_loopback)
{
    struct rest_config cfg;
    struct rest_server *srv;
    struct err e = {0};
    struct sockaddr_in6 sa;
    int fd;

    base_config(&cfg);
    cfg.bind = "::1";
    if (!fk) {
        fk = rest_fake_new();
        rest_fake_backend(fk, &be);
    }
    if (!(srv = rest_server_new(&cfg, &be, &e)))
        TEST_SKIP("no IPv6 loopback: %s", e.msg);
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(rest_server_port(srv));
    sa.sin6_addr = in6addr_loopback;
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    ASSERT_EQ_INT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    ASSERT_EQ_INT(connect_to("127.0.0.1", rest_server_port(srv)), -1);
    rest_server_free(srv);
}

TEST_LIST = {
    T(serves_the_api_with_location_on_201),
    T(basic_auth_required_when_configured),
    T(bind_address_is_honoured),
    T(keep_alive_serves_several_requests_on_one_connection),
    T(parallel_clients),
    T(slow_backend_calls_run_concurrently),
    T(body_limit_413_declared_and_chunked),
    T(idle_connections_time_out),
    T(connection_limit),
    T(rate_limit_answers_429_with_retry_after),
    T(access_log_sees_every_request),
    T(curl_session),
    T(https_with_a_pem_certificate),
    T(bad_configs_and_busy_port_fail_cleanly),
    T(ipv6_loopback),
    {0},
};
