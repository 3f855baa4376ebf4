/* src/convert/registry.c: the default Schema Registry GET, over libcurl. One easy handle per
 * converter (connections are reused); bodies are capped; only called for schema ids not yet
 * cached, never per record. */
#include <curl/curl.h>
#include <string.h>

#include "convert/convert_int.h"

#define BODY_MAX (8u << 20)
#define CONNECT_TIMEOUT_MS 10000L
#define TOTAL_TIMEOUT_MS 30000L

struct conv__http {
    CURL *curl;
    bool too_big;
};

struct conv__http *conv__http_new(const char *klass, struct err *e)
{
    struct conv__http *h = mem_calloc(1, sizeof(*h));

    if (!h || !(h->curl = curl_easy_init())) {
        mem_free(h);
        err_set(e, ST_NOMEM, "%s: cannot create an HTTP client", klass);
        return NULL;
    }
    return h;
}

void conv__http_free(struct conv__http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    mem_free(h);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ((void **)ud)[0];
    struct conv__http *h = ((void **)ud)[1];
    size_t n = size * nmemb;

    if (b->len + n > BODY_MAX) {
        h->too_big = true;
        return 0;   /* makes curl fail the transfer */
    }
    return buf_append(b, p, n) == ST_OK ? n : 0;
}

enum status conv__http_get(void *ctx, const char *url, const char *userinfo, struct buf *body,
                           long *http_status, struct err *e)
{
    struct conv__http *h = ctx;
    void *ud[2] = {body, h};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;

    h->too_big = false;
    curl_easy_reset(h->curl);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, (void *)ud);
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);
    curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "aerosink/" AEROSINK_VERSION);
    if (userinfo) {
        curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h->curl, CURLOPT_USERPWD, userinfo);
    }
    rc = curl_easy_perform(h->curl);
    curl_easy_setopt(h->curl, CURLOPT_USERPWD, NULL);   /* do not keep the secret around */
    if (h->too_big)
        return err_set(e, ST_UNAVAILABLE, "%s: reply over %u bytes", url, BODY_MAX);
    if (rc != CURLE_OK)
        return err_set(e, ST_UNAVAILABLE, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, http_status);
    return ST_OK;
}
