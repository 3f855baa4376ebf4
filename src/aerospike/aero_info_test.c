/* Unit tests for the info parsers (replicas, peers, reply lines, hosts) and partition-map
 * lookups, using the wire doc's examples (§7.3, §7.4). */
#include "../../tests/harness.h"
#include "aero_int.h"

/* base64 of 512 bytes of @byte */
static const char *b64_of(uint8_t byte)
{
    static char out[4][AERO_BITMAP_B64 + 1];
    static int slot;
    uint8_t raw[AERO_BITMAP_SZ];
    char *o = out[slot = (slot + 1) % 4];
    memset(raw, byte, sizeof(raw));
    base64_encode(raw, sizeof(raw), o);
    o[AERO_BITMAP_B64] = '\0';
    return o;
}

static struct aero__ns_map maps[AERO_MAX_NS];

TEST(replicas_single_node_all_ones)
{
    char v[800];
    size_t n = 0;
    struct err e = {0};

    /* the doc's literal form: 682 '/' then "8=" */
    int k = snprintf(v, sizeof(v), "test:0,1,");
    memset(v + k, '/', 682);
    memcpy(v + k + 682, "8=", 3);
    ASSERT_OK_E(aero__parse_replicas(v, strlen(v), maps, AERO_MAX_NS, &n, &e), &e);
    ASSERT_EQ_INT(n, 1);
    ASSERT_EQ_STR(maps[0].name, "test");
    ASSERT_EQ_INT(maps[0].regime, 0);
    ASSERT_EQ_INT(maps[0].n_repl, 1);
    ASSERT_EQ_INT(maps[0].n_kept, 1);
    for (uint32_t pid = 0; pid < AERO_PARTITIONS; pid++)
        ASSERT_TRUE(aero__bit(maps[0].bits[0], pid));
    ASSERT_EQ_STR(b64_of(0xFF), v + k);
}

TEST(replicas_all_zero)
{
    char v[800];
    size_t n = 0;
    int k = snprintf(v, sizeof(v), "test:0,1,");
    memset(v + k, 'A', 683);
    memcpy(v + k + 683, "=", 2);
    ASSERT_OK(aero__parse_replicas(v, strlen(v), maps, AERO_MAX_NS, &n, NULL));
    for (uint32_t pid = 0; pid < AERO_PARTITIONS; pid++)
        ASSERT_FALSE(aero__bit(maps[0].bits[0], pid));
}

TEST(replicas_two_nodes_aa_55)
{
    char v[1600];
    size_t n = 0;
    struct err e = {0};

    snprintf(v, sizeof(v), "test:0,2,%s,%s", b64_of(0xAA), b64_of(0x55));
    ASSERT_EQ_INT(strncmp(b64_of(0xAA), "qqqq", 4), 0);
    ASSERT_EQ_INT(strcmp(b64_of(0xAA) + 680, "qqo="), 0);
    ASSERT_EQ_INT(strcmp(b64_of(0x55) + 680, "VVU="), 0);
    ASSERT_OK_E(aero__parse_replicas(v, strlen(v), maps, AERO_MAX_NS, &n, &e), &e);
    ASSERT_EQ_INT(n, 1);
    ASSERT_EQ_INT(maps[0].n_repl, 2);
    /* 0xAA = 1010...: even partitions are mastered here, odd ones are replicas */
    for (uint32_t pid = 0; pid < AERO_PARTITIONS; pid++) {
        ASSERT_EQ_INT(aero__bit(maps[0].bits[0], pid), pid % 2 == 0);
        ASSERT_EQ_INT(aero__bit(maps[0].bits[1], pid), pid % 2 == 1);
    }
}

TEST(replicas_several_namespaces_keeps_three_columns)
{
    char v[5000];
    size_t n = 0;
    struct err e = {0};

    snprintf(v, sizeof(v), "test:0,1,%s;bar:7,4,%s,%s,%s,%s", b64_of(0xFF), b64_of(0x0F),
             b64_of(0xF0), b64_of(0x00), b64_of(0x11));
    ASSERT_OK_E(aero__parse_replicas(v, strlen(v), maps, AERO_MAX_NS, &n, &e), &e);
    ASSERT_EQ_INT(n, 2);
    ASSERT_EQ_STR(maps[1].name, "bar");
    ASSERT_EQ_INT(maps[1].regime, 7);
    ASSERT_EQ_INT(maps[1].n_repl, 4);
    ASSERT_EQ_INT(maps[1].n_kept, AERO_MAX_REPLICAS);
    ASSERT_FALSE(aero__bit(maps[1].bits[0], 0));
    ASSERT_TRUE(aero__bit(maps[1].bits[0], 4));
    ASSERT_TRUE(aero__bit(maps[1].bits[1], 0));
    ASSERT_FALSE(aero__bit(maps[1].bits[2], 0));
    /* no namespaces at all is valid */
    ASSERT_OK(aero__parse_replicas("", 0, maps, AERO_MAX_NS, &n, NULL));
    ASSERT_EQ_INT(n, 0);
}

static void expect_replicas_error(const char *v, const char *msg_part)
{
    size_t n = 99;
    struct err e = {0};
    ASSERT_ST(aero__parse_replicas(v, strlen(v), maps, AERO_MAX_NS, &n, &e), ST_PARSE);
    ASSERT_CONTAINS(e.msg, msg_part);
}

TEST(replicas_rejects_malformed)
{
    char v[2000], name[40];

    snprintf(v, sizeof(v), "test:0,1,%.683s", b64_of(0xFF));
    expect_replicas_error(v, "683 chars");
    snprintf(v, sizeof(v), "test:0,2,%s", b64_of(0xFF));
    expect_replicas_error(v, "2 bitmaps announced, 1 found");
    snprintf(v, sizeof(v), "test:0,0,%s", b64_of(0xFF));
    expect_replicas_error(v, "outside 1..255");
    snprintf(v, sizeof(v), "test:0,256,%s", b64_of(0xFF));
    expect_replicas_error(v, "outside 1..255");
    snprintf(v, sizeof(v), "test:x,1,%s", b64_of(0xFF));
    expect_replicas_error(v, "bad regime");
    snprintf(v, sizeof(v), "test:0,1,%s", b64_of(0xFF));
    v[20] = '*';
    expect_replicas_error(v, "bad base64");
    memset(name, 'n', 32);
    name[32] = '\0';
    snprintf(v, sizeof(v), "%s:0,1,%s", name, b64_of(0xFF));
    expect_replicas_error(v, "bad namespace name");
    snprintf(v, sizeof(v), "test:0,1,%s;test:0,1,%s", b64_of(0xFF), b64_of(0xFF));
    expect_replicas_error(v, "listed twice");
    snprintf(v, sizeof(v), "test:0,1,%s;", b64_of(0xFF));
    expect_replicas_error(v, "junk after");
    expect_replicas_error("test", "bad namespace name");
    expect_replicas_error(":0,1", "bad namespace name");
}

TEST(replicas_namespace_cap)
{
    char v[3 * 800];
    size_t n;
    snprintf(v, sizeof(v), "a:0,1,%s;b:0,1,%s", b64_of(1), b64_of(2));
    ASSERT_ST(aero__parse_replicas(v, strlen(v), maps, 1, &n, NULL), ST_PARSE);
    ASSERT_OK(aero__parse_replicas(v, strlen(v), maps, 2, &n, NULL));
    ASSERT_EQ_INT(n, 2);
}

TEST(peers_doc_examples)
{
    struct aero__peers p = {0};
    struct err e = {0};
    const char *v = "6,3000,[[BB9030011AC4202,,[10.0.0.3]],[BB9040011AC4202,,[10.0.0.4:3100]]]";

    ASSERT_OK_E(aero__parse_peers(v, strlen(v), &p, &e), &e);
    ASSERT_EQ_U64(p.generation, 6);
    ASSERT_EQ_INT(p.default_port, 3000);
    ASSERT_EQ_INT(p.n, 2);
    ASSERT_EQ_STR(p.v[0].node, "BB9030011AC4202");
    ASSERT_EQ_STR(p.v[0].tls_name, "");
    ASSERT_EQ_INT(p.v[0].n_eps, 1);
    ASSERT_EQ_STR(p.v[0].eps[0].name, "10.0.0.3");
    ASSERT_EQ_INT(p.v[0].eps[0].port, 3000);
    ASSERT_EQ_STR(p.v[1].eps[0].name, "10.0.0.4");
    ASSERT_EQ_INT(p.v[1].eps[0].port, 3100);

    v = "6,3000,[[BB9030011AC4202,node3.example,[10.0.0.3:4333]]]";
    ASSERT_OK_E(aero__parse_peers(v, strlen(v), &p, &e), &e);
    ASSERT_EQ_INT(p.n, 1);
    ASSERT_EQ_STR(p.v[0].tls_name, "node3.example");
    ASSERT_EQ_INT(p.v[0].eps[0].port, 4333);

    v = "0,3000,[]";
    ASSERT_OK(aero__parse_peers(v, strlen(v), &p, NULL));
    ASSERT_EQ_INT(p.n, 0);
    ASSERT_EQ_U64(p.generation, 0);
    aero__peers_free(&p);
}

TEST(peers_ipv6_names_and_multiple_endpoints)
{
    struct aero__peers p = {0};
    struct err e = {0};
    const char *v = "12,,[[A1,,[[2001:db8::1],[::1]:3100,db1.example:3001,10.1.1.1]],[b2,tls-b,[]]]";

    ASSERT_OK_E(aero__parse_peers(v, strlen(v), &p, &e), &e);
    ASSERT_EQ_INT(p.default_port, 3000);          /* empty default port field */
    ASSERT_EQ_INT(p.n, 2);
    ASSERT_EQ_INT(p.v[0].n_eps, 4);
    ASSERT_EQ_STR(p.v[0].eps[0].name, "2001:db8::1");
    ASSERT_EQ_INT(p.v[0].eps[0].port, 3000);
    ASSERT_EQ_STR(p.v[0].eps[1].name, "::1");
    ASSERT_EQ_INT(p.v[0].eps[1].port, 3100);
    ASSERT_EQ_STR(p.v[0].eps[2].name, "db1.example");
    ASSERT_EQ_INT(p.v[0].eps[2].port, 3001);
    ASSERT_EQ_STR(p.v[0].eps[3].name, "10.1.1.1");
    ASSERT_EQ_INT(p.v[1].n_eps, 0);
    ASSERT_EQ_STR(p.v[1].tls_name, "tls-b");

    /* delta form: a departed node has no endpoint list */
    v = "7,3000,[[BB9030011AC4202,,]]";
    ASSERT_OK_E(aero__parse_peers(v, strlen(v), &p, &e), &e);
    ASSERT_EQ_INT(p.n, 1);
    ASSERT_EQ_INT(p.v[0].n_eps, 0);

    /* a non-default port on the default-port field */
    v = "1,4000,[[C3,,[10.0.0.9]]]";
    ASSERT_OK(aero__parse_peers(v, strlen(v), &p, NULL));
    ASSERT_EQ_INT(p.v[0].eps[0].port, 4000);
    aero__peers_free(&p);
}

TEST(peers_many_grow_and_endpoint_cap)
{
    struct aero__peers p = {0};
    struct buf b = BUF_INIT;

    buf_append_str(&b, "3,3000,[");
    for (int i = 0; i < 40; i++)
        buf_printf(&b, "%s[%X,,[10.0.0.%d,10.0.1.%d,10.0.2.%d,10.0.3.%d,10.0.4.%d,10.0.5.%d,"
                   "10.0.6.%d,10.0.7.%d,10.0.8.%d]]", i ? "," : "", 0x100 + i, i, i, i, i, i, i,
                   i, i, i);
    buf_append_str(&b, "]");
    ASSERT_OK(aero__parse_peers((const char *)b.p, b.len, &p, NULL));
    ASSERT_EQ_INT(p.n, 40);
    ASSERT_EQ_INT(p.v[39].n_eps, AERO_PEER_MAX_EPS);   /* extra endpoints dropped */
    ASSERT_EQ_STR(p.v[39].node, "127");
    aero__peers_free(&p);
    buf_free(&b);
}

static void expect_peers_error(const char *v)
{
    struct aero__peers p = {0};
    struct err e = {0};
    if (aero__parse_peers(v, strlen(v), &p, &e) == ST_OK)
        TEST_FAIL("accepted malformed peers value '%s'", v);
    ASSERT_CONTAINS(e.msg, "peers");
    aero__peers_free(&p);
}

TEST(peers_rejects_malformed)
{
    expect_peers_error("");
    expect_peers_error("x,3000,[]");
    expect_peers_error("1,99999,[]");
    expect_peers_error("1,3000,");
    expect_peers_error("1,3000,[");
    expect_peers_error("1,3000,[]x");
    expect_peers_error("1,3000,[[BB,,[10.0.0.1]]");
    expect_peers_error("1,3000,[[ZZ,,[10.0.0.1]]]");          /* node id not hex */
    expect_peers_error("1,3000,[[12345678901234567,,[h]]]");  /* node id too long */
    expect_peers_error("1,3000,[[BB,,[10.0.0.1:0]]]");
    expect_peers_error("1,3000,[[BB,,[[::1]]]");
    expect_peers_error("1,3000,[[BB,,[::1]]]");               /* IPv6 needs brackets */
    expect_peers_error("1,3000,[[BB,,[a,]]]");
    expect_peers_error("1,3000,[BB,,[a]]");
}

TEST(host_parse_forms)
{
    struct aero_host h;
    struct err e = {0};
    char out[AERO_ADDR_SZ];

    ASSERT_OK(aero_host_parse("db1", 3, 3000, &h, NULL));
    ASSERT_EQ_STR(h.name, "db1");
    ASSERT_EQ_INT(h.port, 3000);
    ASSERT_OK(aero_host_parse("127.0.0.1:3100", 14, 3000, &h, NULL));
    ASSERT_EQ_STR(h.name, "127.0.0.1");
    ASSERT_EQ_INT(h.port, 3100);
    ASSERT_OK(aero_host_parse("[::1]:4000", 10, 3000, &h, NULL));
    ASSERT_EQ_STR(h.name, "::1");
    ASSERT_EQ_INT(h.port, 4000);
    aero_host_format(&h, out, sizeof(out));
    ASSERT_EQ_STR(out, "[::1]:4000");
    ASSERT_OK(aero_host_parse("[fe80::1]", 9, 3000, &h, NULL));
    ASSERT_EQ_INT(h.port, 3000);
    ASSERT_ST(aero_host_parse("::1", 3, 3000, &h, &e), ST_PARSE);
    ASSERT_CONTAINS(e.msg, "brackets");
    ASSERT_ST(aero_host_parse("h:70000", 7, 3000, &h, NULL), ST_PARSE);
    ASSERT_ST(aero_host_parse(":3000", 5, 3000, &h, NULL), ST_PARSE);
    ASSERT_ST(aero_host_parse("h:", 2, 3000, &h, NULL), ST_PARSE);
    ASSERT_ST(aero_host_parse("[::1", 4, 3000, &h, NULL), ST_PARSE);
    ASSERT_ST(aero_host_parse("[::1]x", 6, 3000, &h, NULL), ST_PARSE);
    ASSERT_ST(aero_host_parse("a b", 3, 3000, &h, NULL), ST_PARSE);
}

TEST(cluster_config_seed_list)
{
    struct aero_cluster_config c;
    struct err e = {0};

    aero_cluster_config_init(&c);
    ASSERT_EQ_INT(c.tend_interval_ms, 1000);
    ASSERT_EQ_INT(c.max_conns_per_node, 100);
    ASSERT_OK_E(aero_cluster_config_seeds(&c, "a:1, b ,[::1]:3", &e), &e);
    ASSERT_EQ_INT(c.n_seeds, 3);
    ASSERT_EQ_STR(c.seeds[1].name, "b");
    ASSERT_EQ_INT(c.seeds[1].port, 3000);
    ASSERT_EQ_STR(c.seeds[2].name, "::1");
    ASSERT_ST(aero_cluster_config_seeds(&c, "x:y", &e), ST_CONFIG);
}

TEST(info_lines)
{
    const char body[] = "node\tBB9\npartition-generation\t1\nERROR:9:timeout\nbuild\t8.1.2.0";
    const char *cur = body, *c, *v;
    size_t cl, vl;

    ASSERT_TRUE(aero__info_next(&cur, body + strlen(body), &c, &cl, &v, &vl));
    ASSERT_EQ_INT(cl, 4);
    ASSERT_EQ_INT(vl, 3);
    ASSERT_TRUE(aero__info_next(&cur, body + strlen(body), &c, &cl, &v, &vl));
    ASSERT_TRUE(aero__info_next(&cur, body + strlen(body), &c, &cl, &v, &vl));
    ASSERT_EQ_INT(cl, 0);
    ASSERT_TRUE(aero__info_is_error(v, vl));
    ASSERT_TRUE(aero__info_next(&cur, body + strlen(body), &c, &cl, &v, &vl));
    ASSERT_EQ_INT(vl, 7);                 /* last line without '\n' */
    ASSERT_FALSE(aero__info_next(&cur, body + strlen(body), &c, &cl, &v, &vl));
    ASSERT_TRUE(aero__info_find(body, strlen(body), "partition-generation", &v, &vl));
    ASSERT_EQ_INT(vl, 1);
    ASSERT_FALSE(aero__info_find(body, strlen(body), "partition", &v, &vl));
    ASSERT_TRUE(aero__info_is_error("FAIL:x", 6));
    ASSERT_TRUE(aero__info_is_error("error=bad", 9));
    ASSERT_FALSE(aero__info_is_error("ok", 2));
    ASSERT_TRUE(aero__valid_node_name("BB9020011AC4202", 15));
    ASSERT_FALSE(aero__valid_node_name("BB9020011AC4202G", 16));
    ASSERT_FALSE(aero__valid_node_name("", 0));
}

/* A hand-built snapshot: node A masters even partitions, B odd ones; B is the only replica
 * column owner for a few. */
TEST(pmap_owner_lookup_and_fallback)
{
    struct aero_node a = {0}, b = {0};
    struct aero_pmap_ns *ns = mem_calloc(1, sizeof(*ns));
    struct aero_pmap pm = {0};

    snprintf(a.name, sizeof(a.name), "A");
    snprintf(b.name, sizeof(b.name), "B");
    snprintf(ns->name, sizeof(ns->name), "test");
    ns->n_repl = 2;
    for (uint32_t pid = 0; pid < AERO_PARTITIONS; pid++) {
        ns->owner[0][pid] = pid % 2 ? &b : &a;
        ns->owner[1][pid] = pid % 2 ? &a : &b;
    }
    ns->owner[0][100] = NULL;            /* master unknown: fall back to the replica */
    pm.ns = ns;
    pm.n_ns = 1;
    ASSERT_TRUE(aero__pmap_owner(&pm, "test", 2, 0) == &a);
    ASSERT_TRUE(aero__pmap_owner(&pm, "test", 3, 0) == &b);
    ASSERT_TRUE(aero__pmap_owner(&pm, "test", 2, 1) == &b);
    ASSERT_TRUE(aero__pmap_owner(&pm, "test", 2, 2) == &a);     /* wraps around */
    ASSERT_TRUE(aero__pmap_owner(&pm, "test", 100, 0) == &b);
    ASSERT_TRUE(aero__pmap_owner(&pm, "other", 2, 0) == NULL);
    ns->owner[1][100] = NULL;
    ASSERT_TRUE(aero__pmap_owner(&pm, "test", 100, 0) == NULL);
    mem_free(ns);
}

TEST_LIST = {
    T(replicas_single_node_all_ones),
    T(replicas_all_zero),
    T(replicas_two_nodes_aa_55),
    T(replicas_several_namespaces_keeps_three_columns),
    T(replicas_rejects_malformed),
    T(replicas_namespace_cap),
    T(peers_doc_examples),
    T(peers_ipv6_names_and_multiple_endpoints),
    T(peers_many_grow_and_endpoint_cap),
    T(peers_rejects_malformed),
    T(host_parse_forms),
    T(cluster_config_seed_list),
    T(info_lines),
    T(pmap_owner_lookup_and_fallback),
    {0},
};
