/* src/rest/rest_auth.c: HTTP basic-auth credentials (a "user:password" file) and the
 * per-client token-bucket rate limiter. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rest/rest_int.h"

#define MAX_PASSWORD_FILE (1u << 20)
#define MAX_CREDENTIALS 4096        /* decoded "user:password" bytes we look at */

/* --- password file --- */

static enum status add_user(struct rest__auth *a, const char *line, size_t n, size_t colon)
{
    struct rest__user u;

    if (!mem_grow(&a->users, &a->cap, a->n + 1, sizeof(*a->users), 8))
        return ST_NOMEM;
    u.name = mem_strndup(line, colon);
    u.password = mem_strndup(line + colon + 1, n - colon - 1);
    if (!u.name || !u.password) {
        mem_free(u.name);
        mem_free(u.password);
        return ST_NOMEM;
    }
    a->users[a->n++] = u;
    return ST_OK;
}

enum status rest__auth_parse(struct rest__auth *a, const char *text, size_t n, const char *origin,
                             struct err *e)
{
    unsigned lineno = 0;

    for (size_t i = 0; i < n;) {
        const char *line = text + i, *nl = memchr(line, '\n', n - i), *colon;
        size_t len = nl ? (size_t)(nl - line) : n - i, k = 0;

        i += len + (nl ? 1 : 0);
        lineno++;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len || line[k] == '#')
            continue;
        if (memchr(line, '\0', len))
            return err_set(e, ST_CONFIG, "%s:%u: NUL byte in line", origin, lineno);
        if (!(colon = memchr(line, ':', len)))
            return err_set(e, ST_CONFIG, "%s:%u: expected user:password", origin, lineno);
        if (colon == line)
            return err_set(e, ST_CONFIG, "%s:%u: empty user name", origin, lineno);
        if (add_user(a, line, len, (size_t)(colon - line)) != ST_OK)
            return err_set(e, ST_NOMEM, "%s: out of memory", origin);
    }
    if (a->n == 0)
        return err_set(e, ST_CONFIG, "%s: no user:password line", origin);
    return ST_OK;
}

enum status rest__auth_load(struct rest__auth *a, const char *path, struct err *e)
{
    struct buf b = BUF_INIT;
    enum status st = ST_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return err_set(e, ST_CONFIG, "%s: %s", path, strerror(errno));
    for (;;) {
        ssize_t got;
        if (buf_reserve(&b, 4096) != ST_OK) {
            st = err_set(e, ST_NOMEM, "%s: out of memory", path);
            break;
        }
        got = read(fd, b.p + b.len, 4096);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = err_set(e, ST_CONFIG, "%s: %s", path, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        b.len += (size_t)got;
        if (b.len > MAX_PASSWORD_FILE) {
            st = err_set(e, ST_CONFIG, "%s: larger than %u bytes", path, MAX_PASSWORD_FILE);
            break;
        }
    }
    close(fd);
    if (st == ST_OK)
        st = rest__auth_parse(a, (const char *)b.p, b.len, path, e);
    if (b.p)
        memset(b.p, 0, b.cap);      /* passwords */
    buf_free(&b);
    return st;
}

void rest__auth_free(struct rest__auth *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        memset(a->users[i].password, 0, strlen(a->users[i].password));
        mem_free(a->users[i].name);
        mem_free(a->users[i].password);
    }
    mem_free(a->users);
    memset(a, 0, sizeof(*a));
}

/* Equal in time that depends only on the lengths. */
static bool const_eq(const char *want, size_t wn, const char *got, size_t gn)
{
    unsigned diff = wn != gn;

    for (size_t i = 0; i < wn; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < gn ? got[i] : 0);
    return diff == 0;
}

bool rest__auth_check(const struct rest__auth *a, const char *header, char *user, size_t cap)
{
    uint8_t dec[MAX_CREDENTIALS];
    const char *tok, *colon;
    size_t tn;
    long dn;

    if (!header)
        return false;
    while (*header == ' ' || *header == '\t')
        header++;
    if (strncasecmp(header, "Basic", 5) != 0 || (header[5] != ' ' && header[5] != '\t'))
        return false;
    tok = header + 5;
    while (*tok == ' ' || *tok == '\t')
        tok++;
    tn = strlen(tok);
    while (tn > 0 && (tok[tn - 1] == ' ' || tok[tn - 1] == '\t'))
        tn--;
    if (tn == 0 || tn > base64_encoded_len(sizeof(dec)))
        return false;
    dn = base64_decode(tok, tn, dec, sizeof(dec));
    if (dn <= 0 || !(colon = memchr(dec, ':', (size_t)dn)) || memchr(dec, '\0', (size_t)dn))
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct rest__user *u = &a->users[i];
        size_t un = (size_t)(colon - (const char *)dec);
        if (strlen(u->name) != un || memcmp(u->name, dec, un) != 0)
            continue;
        if (!const_eq(u->password, strlen(u->password), colon + 1,
                      (size_t)dn - un - 1))
            break;
        if (cap) {
            size_t n = MIN(un, cap - 1);
            memcpy(user, dec, n);
            user[n] = '\0';
        }
        memset(dec, 0, sizeof(dec));
        return true;
    }
    memset(dec, 0, sizeof(dec));
    return false;
}

/* --- rate limiter --- */

void rest__rate_init(struct rest__rate *r, double rps, double burst)
{
    memset(r->slots, 0, sizeof(r->slots));
    r->rps = rps;
    r->burst = burst >= 1 ? burst : 1;
    pthread_mutex_init(&r->lock, NULL);
}

void rest__rate_destroy(struct rest__rate *r)
{
    pthread_mutex_destroy(&r->lock);
}

static struct rest__rate_slot *slot_for(struct rest__rate *r, const char *client, uint64_t now_us)
{
    struct rest__rate_slot *victim = &r->slots[0];

    for (size_t i = 0; i < REST__RATE_SLOTS; i++) {
        struct rest__rate_slot *s = &r->slots[i];
        if (s->client[0] && strcmp(s->client, client) == 0)
            return s;
        if (!s->client[0]) {
            if (victim->client[0])
                victim = s;
        } else if (victim->client[0] && s->last_us < victim->last_us) {
            victim = s;
        }
    }
    snprintf(victim->client, sizeof(victim->client), "%s", client);
    victim->tokens = r->burst;
    victim->last_us = now_us;
    return victim;
}

bool rest__rate_take(struct rest__rate *r, const char *client, uint64_t now_us,
                     unsigned *retry_after_s)
{
    struct rest__rate_slot *s;
    bool ok;

    pthread_mutex_lock(&r->lock);
    s = slot_for(r, client, now_us);
    if (now_us > s->last_us)
        s->tokens = fmin(r->burst, s->tokens + (double)(now_us - s->last_us) / 1e6 * r->rps);
    s->last_us = now_us;
    ok = s->tokens >= 1.0;
    if (ok) {
        s->tokens -= 1.0;
    } else if (retry_after_s) {
        double wait = ceil((1.0 - s->tokens) / r->rps);
        *retry_after_s = wait < 1 ? 1 : wait > 3600 ? 3600 : (unsigned)wait;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}
