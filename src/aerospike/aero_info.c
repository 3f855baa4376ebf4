/* src/aerospike/aero_info.c: parsers for info values the cluster relies on (wire doc §7):
 * `replicas` bitmaps, `peers-*` lists, reply lines, host:port text. Pure functions over the
 * caller's bytes: no I/O, bounded output, every length checked. Fuzzed by
 * tests/fuzz/aero_info_fuzz.c. */
#include <stdio.h>
#include <string.h>

#include "aero_int.h"

/* A read cursor with a sticky failure flag (style guide §11). */
struct cur {
    const char *p, *end;
    bool bad;
};

static bool cur_eat(struct cur *c, char ch)
{
    if (c->bad || c->p == c->end || *c->p != ch) {
        c->bad = true;
        return false;
    }
    c->p++;
    return true;
}

static bool cur_peek(const struct cur *c, char ch)
{
    return !c->bad && c->p < c->end && *c->p == ch;
}

/* Text up to (not including) any of @stops; the cursor stays on the stop char. */
static size_t cur_until(struct cur *c, const char *stops, const char **start)
{
    *start = c->p;
    while (c->p < c->end && !strchr(stops, *c->p))
        c->p++;
    return (size_t)(c->p - *start);
}

static void show(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[k] = '\0';
}

/* ---------- host:port ---------- */

enum status aero_host_parse(const char *s, size_t n, uint16_t default_port, struct aero_host *h,
                            struct err *e)
{
    const char *name = s, *port = NULL;
    size_t name_len = n, port_len = 0;
    char shown[96];
    uint64_t pv;

    memset(h, 0, sizeof(*h));
    show(s, n, shown, sizeof(shown));
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return err_set(e, ST_PARSE, "host '%s': missing ']'", shown);
        name = s + 1;
        name_len = (size_t)(close - name);
        if (close + 1 < s + n) {
            if (close[1] != ':')
                return err_set(e, ST_PARSE, "host '%s': junk after ']'", shown);
            port = close + 2;
            port_len = (size_t)(s + n - port);
        }
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon) {
            if (memchr(colon + 1, ':', (size_t)(s + n - colon - 1)))
                return err_set(e, ST_PARSE, "host '%s': IPv6 addresses need [brackets]", shown);
            name_len = (size_t)(colon - s);
            port = colon + 1;
            port_len = (size_t)(s + n - port);
        }
    }
    if (name_len == 0 || name_len >= sizeof(h->name))
        return err_set(e, ST_PARSE, "host '%s': empty or too long host name", shown);
    for (size_t i = 0; i < name_len; i++)
        if ((unsigned char)name[i] <= 0x20 || name[i] == ',' || name[i] == '[' || name[i] == ']')
            return err_set(e, ST_PARSE, "host '%s': bad character in host name", shown);
    memcpy(h->name, name, name_len);
    h->name[name_len] = '\0';
    h->port = default_port;
    if (port) {
        if (!str_to_u64(port, port_len, &pv) || pv == 0 || pv > 65535)
            return err_set(e, ST_PARSE, "host '%s': bad port", shown);
        h->port = (uint16_t)pv;
    }
    return ST_OK;
}

void aero_host_format(const struct aero_host *h, char *out, size_t cap)
{
    if (strchr(h->name, ':'))
        snprintf(out, cap, "[%s]:%u", h->name, (unsigned)h->port);
    else
        snprintf(out, cap, "%s:%u", h->name, (unsigned)h->port);
}

bool aero__valid_node_name(const char *s, size_t n)
{
    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* ---------- reply lines ---------- */

bool aero__info_next(const char **cur, const char *end, const char **cmd, size_t *cmd_len,
                     const char **val, size_t *val_len)
{
    const char *p = *cur, *nl, *tab;

    if (!p || p >= end)
        return false;
    nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        nl = end;
    tab = memchr(p, '\t', (size_t)(nl - p));
    if (tab) {
        *cmd = p;
        *cmd_len = (size_t)(tab - p);
        *val = tab + 1;
        *val_len = (size_t)(nl - tab - 1);
    } else {
        *cmd = p;
        *cmd_len = 0;
        *val = p;
        *val_len = (size_t)(nl - p);
    }
    *cur = nl < end ? nl + 1 : end;
    return true;
}

bool aero__info_find(const char *body, size_t n, const char *cmd, const char **val, size_t *len)
{
    const char *cur = body, *c, *v;
    size_t cl, vl, want = strlen(cmd);

    while (aero__info_next(&cur, body + n, &c, &cl, &v, &vl)) {
        if (cl == want && memcmp(c, cmd, want) == 0) {
            *val = v;
            *len = vl;
            return true;
        }
    }
    return false;
}

bool aero__info_is_error(const char *val, size_t len)
{
    return (len >= 6 && memcmp(val, "ERROR:", 6) == 0) || (len >= 5 && memcmp(val, "FAIL:", 5) == 0) ||
           (len >= 6 && memcmp(val, "error=", 6) == 0);
}

/* ---------- replicas ---------- */

static enum status parse_u32(struct cur *c, const char *what, uint32_t *out, struct err *e)
{
    const char *s;
    size_t n = cur_until(c, ",;:", &s);
    uint64_t v;

    if (!str_to_u64(s, n, &v) || v > UINT32_MAX) {
        char shown[32];
        show(s, n, shown, sizeof(shown));
        return err_set(e, ST_PARSE, "replicas: bad %s '%s'", what, shown);
    }
    *out = (uint32_t)v;
    return ST_OK;
}

static enum status parse_one_ns(struct cur *c, struct aero__ns_map *m, struct err *e)
{
    const char *s;
    size_t n = cur_until(c, ":;", &s);
    uint32_t regime, n_repl;

    memset(m, 0, sizeof(*m));
    if (n == 0 || n > AERO_NAMESPACE_MAX || !cur_eat(c, ':'))
        return err_set(e, ST_PARSE, "replicas: bad namespace name (%zu bytes)", n);
    memcpy(m->name, s, n);
    if (memchr(m->name, '\0', n) || memchr(m->name, ',', n))
        return err_set(e, ST_PARSE, "replicas: bad namespace name");
    if (parse_u32(c, "regime", &regime, e) != ST_OK)
        return ST_PARSE;
    if (!cur_eat(c, ','))
        return err_set(e, ST_PARSE, "replicas: %s: expected ',' after regime", m->name);
    if (parse_u32(c, "replica count", &n_repl, e) != ST_OK)
        return ST_PARSE;
    if (n_repl < 1 || n_repl > 255)
        return err_set(e, ST_PARSE, "replicas: %s: replica count %u outside 1..255", m->name,
                       n_repl);
    m->regime = regime;
    m->n_repl = (uint8_t)n_repl;
    m->n_kept = (uint8_t)MIN(n_repl, AERO_MAX_REPLICAS);
    for (uint32_t i = 0; i < n_repl; i++) {
        if (!cur_eat(c, ','))
            return err_set(e, ST_PARSE, "replicas: %s: %u bitmaps announced, %u found", m->name,
                           n_repl, i);
        n = cur_until(c, ",;", &s);
        if (n != AERO_BITMAP_B64)
            return err_set(e, ST_PARSE, "replicas: %s: bitmap %u is %zu chars (want %d)", m->name,
                           i, n, AERO_BITMAP_B64);
        if (i < m->n_kept) {
            if (base64_decode(s, n, m->bits[i], AERO_BITMAP_SZ) != AERO_BITMAP_SZ)
                return err_set(e, ST_PARSE, "replicas: %s: bitmap %u: bad base64", m->name, i);
        } else {
            uint8_t scratch[AERO_BITMAP_SZ];
            if (base64_decode(s, n, scratch, sizeof(scratch)) != AERO_BITMAP_SZ)
                return err_set(e, ST_PARSE, "replicas: %s: bitmap %u: bad base64", m->name, i);
        }
    }
    return ST_OK;
}

enum status aero__parse_replicas(const char *v, size_t n, struct aero__ns_map *out, size_t cap,
                                 size_t *n_out, struct err *e)
{
    struct cur c = {v, v + n, false};
    size_t k = 0;

    *n_out = 0;
    if (n == 0)
        return ST_OK;                 /* a node without namespaces */
    for (;;) {
        if (k == cap)
            return err_set(e, ST_PARSE, "replicas: more than %zu namespaces", cap);
        if (parse_one_ns(&c, &out[k], e) != ST_OK)
            return ST_PARSE;
        for (size_t i = 0; i < k; i++)
            if (strcmp(out[i].name, out[k].name) == 0)
                return err_set(e, ST_PARSE, "replicas: namespace %s listed twice", out[k].name);
        k++;
        if (c.p == c.end)
            break;
        if (!cur_eat(&c, ';') || c.p == c.end)
            return err_set(e, ST_PARSE, "replicas: junk after namespace %s", out[k - 1].name);
    }
    *n_out = k;
    return ST_OK;
}

/* ---------- peers ---------- */

static enum status peer_endpoint(struct cur *c, uint16_t default_port, struct aero__peer *pr,
                                 struct err *e)
{
    const char *s = c->p;
    struct aero_host h;

    if (cur_peek(c, '[')) {                 /* "[v6]" or "[v6]:port" */
        const char *close = memchr(c->p, ']', (size_t)(c->end - c->p));
        if (!close)
            return err_set(e, ST_PARSE, "peers: %s: unterminated '['", pr->node);
        c->p = close + 1;
        while (c->p < c->end && *c->p != ',' && *c->p != ']')
            c->p++;
    } else {
        while (c->p < c->end && *c->p != ',' && *c->p != ']')
            c->p++;
    }
    if (aero_host_parse(s, (size_t)(c->p - s), default_port, &h, e) != ST_OK) {
        err_prefix(e, "peers: %s", pr->node);
        return ST_PARSE;
    }
    if (pr->n_eps < AERO_PEER_MAX_EPS)
        pr->eps[pr->n_eps++] = h;
    return ST_OK;
}

static enum status parse_peer(struct cur *c, uint16_t default_port, struct aero__peer *pr,
                              struct err *e)
{
    const char *s;
    size_t n;

    memset(pr, 0, sizeof(*pr));
    if (!cur_eat(c, '['))
        return err_set(e, ST_PARSE, "peers: expected '[' before a peer");
    n = cur_until(c, ",]", &s);
    if (!aero__valid_node_name(s, n) || !cur_eat(c, ','))
        return err_set(e, ST_PARSE, "peers: bad node id (%zu chars)", n);
    memcpy(pr->node, s, n);
    n = cur_until(c, ",]", &s);
    if (n >= sizeof(pr->tls_name) || !cur_eat(c, ','))
        return err_set(e, ST_PARSE, "peers: %s: bad tls name", pr->node);
    memcpy(pr->tls_name, s, n);
    if (cur_peek(c, ']'))                   /* departed node in the delta form: [id,,] */
        return cur_eat(c, ']') ? ST_OK : ST_PARSE;
    if (!cur_eat(c, '['))
        return err_set(e, ST_PARSE, "peers: %s: expected '[' before endpoints", pr->node);
    if (!cur_peek(c, ']')) {
        for (;;) {
            if (peer_endpoint(c, default_port, pr, e) != ST_OK)
                return ST_PARSE;
            if (!cur_peek(c, ','))
                break;
            c->p++;
        }
    }
    if (!cur_eat(c, ']') || !cur_eat(c, ']'))
        return err_set(e, ST_PARSE, "peers: %s: expected ']]' after endpoints", pr->node);
    return ST_OK;
}

static enum status peers_grow(struct aero__peers *out, struct err *e)
{
    if (out->n >= AERO_MAX_PEERS)
        return err_set(e, ST_PARSE, "peers: more than %d peers", AERO_MAX_PEERS);
    if (!mem_grow(&out->v, &out->cap, out->n + 1, sizeof(*out->v), 8))
        return err_set(e, ST_NOMEM, "peers list");
    return ST_OK;
}

enum status aero__parse_peers(const char *v, size_t n, struct aero__peers *out, struct err *e)
{
    struct cur c = {v, v + n, false};
    const char *s;
    size_t len;
    uint64_t gen, port = AERO_DEFAULT_PORT;

    out->n = 0;
    len = cur_until(&c, ",", &s);
    if (!str_to_u64(s, len, &gen) || !cur_eat(&c, ','))
        return err_set(e, ST_PARSE, "peers: bad generation");
    len = cur_until(&c, ",", &s);
    if ((len > 0 && (!str_to_u64(s, len, &port) || port == 0 || port > 65535)) || !cur_eat(&c, ','))
        return err_set(e, ST_PARSE, "peers: bad default port");
    out->generation = gen;
    out->default_port = (uint16_t)port;
    if (!cur_eat(&c, '['))
        return err_set(e, ST_PARSE, "peers: expected '[' before the peer list");
    if (!cur_peek(&c, ']')) {
        for (;;) {
            if (out->n == out->cap && peers_grow(out, e) != ST_OK)
                return e ? e->status : ST_PARSE;
            if (parse_peer(&c, out->default_port, &out->v[out->n], e) != ST_OK)
                return ST_PARSE;
            out->n++;
            if (!cur_peek(&c, ','))
                break;
            c.p++;
        }
    }
    if (!cur_eat(&c, ']') || c.p != c.end)
        return err_set(e, ST_PARSE, "peers: junk after the peer list");
    return ST_OK;
}

void aero__peers_free(struct aero__peers *p)
{
    if (!p)
        return;
    mem_free(p->v);
    memset(p, 0, sizeof(*p));
}
