/* tests/fuzz/rest_request_fuzz.c: rest_handle() on arbitrary method + target (path and query)
 * + Content-Type + body, against the stateful in-memory fake backend, plus the basic-auth
 * header check. Input layout:
 *   byte 0      bits 0-2 method (GET HEAD POST PUT PATCH DELETE OPTIONS BREW),
 *               bits 3-4 Content-Type (json, json+charset, none, text/plain),
 *               bit 5 base URL set, bit 6 a 64-byte body limit, bit 7 also check the bytes
 *               after the target as an Authorization header
 *   then        the request-target up to the first '\n' (or NUL)
 *   the rest    the body
 * Checks on every answer: a status in 200..599; JSON answers parse, and error answers are
 * {"error_code": status, "message": "..."}; 204 has no body; Location only on 201; Allow on 405. */
#include <stdlib.h>
#include <string.h>

#include "../support/rest_fake.c"   /* the fuzz build links library objects only */
#include "convert/convert.h"
#include "rest/rest_int.h"

static struct rest_fake *fk;
static struct rest_backend be;
static struct conv_doc *doc;
static struct rest__auth auth;
static unsigned long runs;

static void check_answer(const struct rest_response *rs)
{
    struct err e;
    const struct conv_value *root, *code, *msg;

    if (rs->status < 200 || rs->status > 599)
        abort();
    if ((rs->status == 204 || rs->status == 202) && rs->content_type == NULL && rs->body.len)
        abort();
    if (rs->location.len && rs->status != 201)
        abort();
    if (rs->status == 405 && !rs->allow)
        abort();
    if (!rs->content_type || strcmp(rs->content_type, "application/json") != 0)
        return;
    if (conv_json_parse(doc, rs->body.p, rs->body.len, &e) != ST_OK || !(root = conv_doc_root(doc)))
        abort();                                    /* we always answer valid JSON */
    if (rs->status >= 400 && root->type == CONV_MAP &&
        (code = conv_map_get(doc, root, "error_code", 10))) {
        msg = conv_map_get(doc, root, "message", 7);
        if (code->type != CONV_INT || code->i != rs->status || !msg || msg->type != CONV_STRING)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW"};
    static const char *const ctypes[] = {"application/json", "application/json; charset=utf-8", NULL, "text/plain"};
    struct rest_request rq = {0};
    struct rest_response rs;
    char *target;
    size_t tn = 0;
    uint8_t flags;

    if (!fk || ++runs % 2000 == 0 || rest_fake_count(fk) > 64) {   /* bound the fake's state */
        rest_fake_free(fk);
        fk = rest_fake_new();
        rest_fake_backend(fk, &be);
    }
    if (!doc) {
        doc = conv_doc_new();
        rest__auth_parse(&auth, "admin:s3cret\nops:a:b\n", 21, "fuzz", NULL);
    }
    if (size == 0)
        return 0;
    flags = data[0];
    data++;
    size--;
    while (tn < size && data[tn] != '\n' && data[tn] != '\0')
        tn++;
    if (!(target = mem_strndup((const char *)data, tn)))
        return 0;
    data += tn;
    size -= tn;
    if (size) {          /* skip the separator */
        data++;
        size--;
    }

    rq.method = methods[flags & 7];
    rq.content_type = ctypes[(flags >> 3) & 3];
    rq.base_url = flags & 0x20 ? "http://127.0.0.1:8083" : NULL;
    rq.max_body = flags & 0x40 ? 64 : 0;
    rq.target = target;
    rq.body = data;
    rq.body_len = size;
    rest_response_init(&rs);
    rest_handle(&be, &rq, &rs);
    check_answer(&rs);
    rest_response_free(&rs);

    if (flags & 0x80) {
        char *hdr = mem_strndup((const char *)data, size);   /* up to the first NUL */
        char user[64];
        if (hdr) {
            rest__auth_check(&auth, hdr, user, sizeof(user));
            mem_free(hdr);
        }
    }
    mem_free(target);
    return 0;
}
