/* tests/support/registry.c: start/stop the mock Schema Registry, register schemas, levers. */
#include "registry.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *fmt, const char *a, const char *b) __attribute__((noreturn));
static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "    registry: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}

bool tu_registry_is_real(void)
{
    const char *s = getenv("SCHEMA_REGISTRY_URL");
    return s && *s;
}

void tu_registry_start(struct tu_registry *r, int port, const char *state_file, const char *const extra_args[])
{
    const char *argv[32];
    char portarg[16], line[512];
    int n = 0;

    if (port == -1) {
        port = r->port;
    } else {
        memset(r, 0, sizeof(*r));
        if (state_file)
            snprintf(r->state, sizeof(r->state), "%s", state_file);
    }
    r->proc = NULL;
    if (tu_registry_is_real()) {
        const char *ui = getenv("SCHEMA_REGISTRY_USER_INFO");
        size_t n_url;
        snprintf(r->url, sizeof(r->url), "%s", getenv("SCHEMA_REGISTRY_URL"));
        n_url = strlen(r->url);
        while (n_url && r->url[n_url - 1] == '/')
            r->url[--n_url] = '\0';
        snprintf(r->userinfo, sizeof(r->userinfo), "%.250s", ui ? ui : "");
        return;
    }
    snprintf(portarg, sizeof(portarg), "%d", port);
    argv[n++] = tu_bin("mock-registry");
    argv[n++] = "--port";
    argv[n++] = portarg;
    if (r->state[0]) {
        argv[n++] = "--state";
        argv[n++] = r->state;
    }
    for (int i = 0; extra_args && extra_args[i] && n < 30; i++) {
        argv[n++] = extra_args[i];
        if (strcmp(extra_args[i], "--user") == 0 && extra_args[i + 1])
            snprintf(r->userinfo, sizeof(r->userinfo), "%.200s", extra_args[i + 1]);
    }
    argv[n] = NULL;
    r->proc = tu_proc_start(argv, NULL);
    if (!tu_proc_wait_line(r->proc, "ready ", 20000, line, sizeof(line))) {
        char *err = tu_proc_stderr(r->proc);
        die("mock-registry did not start: %s%s", err, "");
    }
    snprintf(r->url, sizeof(r->url), "%.200s", line + strlen("ready "));
    r->port = atoi(strrchr(r->url, ':') + 1);
}

int tu_registry_stop(struct tu_registry *r)
{
    int rc = 0;
    if (r->proc) {
        rc = tu_proc_stop(r->proc, SIGTERM, 10000);
        tu_proc_free(r->proc);
        r->proc = NULL;
    }
    return rc;
}

void tu_registry_free(struct tu_registry *r)
{
    tu_proc_free(r->proc);
    r->proc = NULL;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    if (ud)
        buf_append(ud, p, size * nmemb);
    return size * nmemb;
}

int tu_registry_request(const struct tu_registry *r, const char *method, const char *path, const char *body,
                        struct buf *out)
{
    char url[1024];
    struct curl_slist *hs = NULL;
    CURL *c = curl_easy_init();
    long code = -1;

    if (!c)
        die("curl_easy_init failed%s%s", "", "");
    snprintf(url, sizeof(url), "%s%s", r->url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)out);
    if (r->userinfo[0]) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->userinfo);
    }
    hs = curl_slist_append(hs, "Content-Type: application/vnd.schemaregistry.v1+json");
    hs = curl_slist_append(hs, "Accept: application/vnd.schemaregistry.v1+json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    else
        code = -1;
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    if (out)
        buf_cstr(out);
    return (int)code;
}

uint32_t tu_registry_register_typed(const struct tu_registry *r, const char *subject, const char *schema,
                                    const char *type)
{
    struct buf body = BUF_INIT, out = BUF_INIT;
    char path[512];
    const char *id;
    int st;
    unsigned long v;

    buf_append_str(&body, "{\"schema\":");
    json_append_str(&body, schema, strlen(schema));
    if (type && strcmp(type, "AVRO") != 0) {
        buf_append_str(&body, ",\"schemaType\":");
        json_append_str(&body, type, strlen(type));
    }
    buf_append_str(&body, "}");
    snprintf(path, sizeof(path), "/subjects/%s/versions", subject);
    st = tu_registry_request(r, "POST", path, buf_cstr(&body), &out);
    if (st != 200 || !(id = strstr(buf_cstr(&out), "\"id\"")))
        die("register %s failed: %s", subject, out.p ? (const char *)out.p : "no answer");
    id = strchr(id, ':');
    v = strtoul(id + 1, NULL, 10);
    buf_free(&body);
    buf_free(&out);
    return (uint32_t)v;
}

uint32_t tu_registry_register(const struct tu_registry *r, const char *subject, const char *schema)
{
    return tu_registry_register_typed(r, subject, schema, "AVRO");
}

static void need_mock(const struct tu_registry *r, const char *what)
{
    if (tu_registry_is_real() || !r->proc)
        die("%s needs a running mock registry%s", what, "");
}

void tu_registry_admin(struct tu_registry *r, const char *what)
{
    char path[256];
    struct buf out = BUF_INIT;
    need_mock(r, "admin");
    snprintf(path, sizeof(path), "/admin/%s", what);
    if (tu_registry_request(r, "POST", path, "", &out) != 200)
        die("POST %s: %s", path, out.p ? (const char *)out.p : "no answer");
    buf_free(&out);
}

void tu_registry_down(struct tu_registry *r)
{
    need_mock(r, "down");
    kill(tu_proc_pid(r->proc), SIGUSR1);
    if (!tu_proc_wait_line(r->proc, "down", 10000, NULL, 0))
        die("mock registry did not go down%s%s", "", "");
}

void tu_registry_up(struct tu_registry *r)
{
    need_mock(r, "up");
    kill(tu_proc_pid(r->proc), SIGUSR2);
    if (!tu_proc_wait_line(r->proc, "up ", 10000, NULL, 0))
        die("mock registry did not come back up%s%s", "", "");
}

long tu_registry_gets(struct tu_registry *r, uint32_t id)
{
    struct buf out = BUF_INIT;
    char key[32];
    const char *p;
    long v = 0;

    need_mock(r, "stats");
    if (tu_registry_request(r, "GET", "/admin/stats", NULL, &out) != 200)
        die("GET /admin/stats failed%s%s", "", "");
    snprintf(key, sizeof(key), "\"%u\":", id);
    p = strstr(strstr(buf_cstr(&out), "\"ids\""), key);
    if (p)
        v = strtol(p + strlen(key), NULL, 10);
    buf_free(&out);
    return v;
}

void tu_registry_props(const struct tu_registry *r, const char *prefix, struct buf *out)
{
    buf_printf(out, "%sschema.registry.url=%s\n", prefix, r->url);
    if (r->userinfo[0])
        buf_printf(out, "%sbasic.auth.credentials.source=USER_INFO\n%sbasic.auth.user.info=%s\n", prefix, prefix,
                   r->userinfo);
}
