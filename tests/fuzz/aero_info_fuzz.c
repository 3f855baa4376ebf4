/* libFuzzer target: the info-value parsers the cluster trusts (wire doc §7): reply lines,
 * `replicas` bitmaps, `peers-*` lists and host:port text. The first byte picks the parser;
 * anything else walks the input as an info reply and feeds every value to all of them.
 * Invariants the tend code relies on are checked (a violation traps). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aerospike/aero_int.h"

static struct aero__ns_map maps[4];

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static void replicas(const char *v, size_t n)
{
    size_t k = 99;
    if (aero__parse_replicas(v, n, maps, 4, &k, NULL) != ST_OK)
        return;
    check(k <= 4);
    for (size_t i = 0; i < k; i++) {
        size_t len = strnlen(maps[i].name, sizeof(maps[i].name));
        check(len >= 1 && len <= AERO_NAMESPACE_MAX);
        check(maps[i].n_repl >= 1 && maps[i].n_kept >= 1 && maps[i].n_kept <= AERO_MAX_REPLICAS);
        check(maps[i].n_kept <= maps[i].n_repl);
        for (uint32_t pid = 0; pid < AERO_PARTITIONS; pid += 511)
            (void)aero__bit(maps[i].bits[maps[i].n_kept - 1], pid);
    }
}

static void peers(const char *v, size_t n)
{
    struct aero__peers p = {0};
    if (aero__parse_peers(v, n, &p, NULL) == ST_OK) {
        check(p.n <= AERO_MAX_PEERS && p.default_port != 0);
        for (size_t i = 0; i < p.n; i++) {
            check(aero__valid_node_name(p.v[i].node, strlen(p.v[i].node)));
            check(p.v[i].n_eps <= AERO_PEER_MAX_EPS);
            for (size_t j = 0; j < p.v[i].n_eps; j++)
                check(p.v[i].eps[j].port != 0 && p.v[i].eps[j].name[0] != '\0');
        }
    }
    aero__peers_free(&p);
}

static void host(const char *v, size_t n)
{
    struct aero_host h;
    char out[AERO_ADDR_SZ];
    if (aero_host_parse(v, n, 3000, &h, NULL) == ST_OK) {
        check(h.port != 0 && h.name[0] != '\0');
        aero_host_format(&h, out, sizeof(out));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    const char *s = (const char *)d + 1, *cur, *c, *v;
    size_t cl, vl;

    if (n == 0)
        return 0;
    switch (d[0]) {
    case 'R': replicas(s, n - 1); return 0;
    case 'P': peers(s, n - 1); return 0;
    case 'H': host(s, n - 1); return 0;
    default: break;
    }
    cur = (const char *)d;
    while (aero__info_next(&cur, (const char *)d + n, &c, &cl, &v, &vl)) {
        check(v >= (const char *)d && v + vl <= (const char *)d + n);
        aero__info_is_error(v, vl);
        replicas(v, vl);
        peers(v, vl);
        host(v, vl);
    }
    aero__info_find((const char *)d, n, "replicas", &v, &vl);
    return 0;
}
