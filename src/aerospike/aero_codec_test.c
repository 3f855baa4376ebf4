/* Unit tests for the Aerospike codec against the wire doc's vectors and captured bytes. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/ripemd.h>

#include "../../tests/harness.h"
#include "aero_int.h"

static void digest_of(const char *set, struct aero_key_value k, uint8_t d[20])
{
    aero_digest(set, strlen(set), &k, d);
}

static struct aero_key_value kstr(const char *s)
{
    return (struct aero_key_value){.type = AERO_PT_STRING, .p = (const uint8_t *)s, .n = strlen(s)};
}

static struct aero_key_value kint(int64_t v)
{
    return (struct aero_key_value){.type = AERO_PT_INTEGER, .i = v};
}

/* Our RIPEMD-160 against the published test vectors and against libcrypto's on every length
 * 0..300 (every padding case: one block, the length spilling into a second, several blocks),
 * the input split into one, two or three parts at every kind of boundary. */
TEST(ripemd160_matches_libcrypto)
{
    static const struct {
        const char *msg, *hex;
    } vec[] = {
        {"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"},
        {"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"},
        {"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"},
        {"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "12a053384a9c0c88e405a06c27dcf49ada62eb2b"},
    };
    uint8_t msg[300], ours[20], theirs[20];
    uint64_t x = 0x243F6A8885A308D3ull;

    for (size_t i = 0; i < ARRAY_LEN(vec); i++) {
        const uint8_t *parts[1] = {(const uint8_t *)vec[i].msg};
        size_t lens[1] = {strlen(vec[i].msg)};
        aero__ripemd160(parts, lens, 1, ours);
        ASSERT_EQ_MEM(ours, HEX(vec[i].hex), 20);
    }
    for (size_t i = 0; i < sizeof(msg); i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        msg[i] = (uint8_t)x;
    }
    for (size_t n = 0; n <= sizeof(msg); n++) {
        RIPEMD160(msg, n, theirs);
        size_t a = n / 3, b = n - n / 4;              /* split points */
        const uint8_t *p1[1] = {msg}, *p3[3] = {msg, msg + a, msg + b};
        size_t l1[1] = {n}, l3[3] = {a, b - a, n - b};
        aero__ripemd160(p1, l1, 1, ours);
        if (memcmp(ours, theirs, 20) != 0)
            TEST_FAIL("RIPEMD-160 of %zu bytes (one part) differs from libcrypto's", n);
        aero__ripemd160(p3, l3, 3, ours);
        if (memcmp(ours, theirs, 20) != 0)
            TEST_FAIL("RIPEMD-160 of %zu bytes (parts %zu+%zu+%zu) differs", n, a, b - a, n - b);
    }
}

/* The two-step digest (aero_digest_block + aero_digest_blocks) equals aero_digest for every
 * fitting input: set and key of 0..55 bytes together (the one-block limit), string, blob and
 * integer keys, groups of 1..19 (one at a time below 3, eight AVX2 lanes from 3 where the CPU
 * has them, a partial last group); an input one byte over the limit is refused, untouched. */
TEST(digest_blocks_match_one_at_a_time)
{
    uint8_t blocks[19][AERO_DIGEST_BLOCK_SZ], out[19][AERO_DIGEST_SZ], want[AERO_DIGEST_SZ];
    uint8_t keys[19][64], probe[AERO_DIGEST_BLOCK_SZ];
    char set[64];
    struct aero_key_value k[19];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    size_t checked = 0;

    for (int round = 0; round < 400; round++) {
        size_t n = 1 + (size_t)round % 19, set_len = (size_t)round % 24;
        for (size_t i = 0; i < set_len; i++)
            set[i] = (char)('a' + (round + (int)i) % 26);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            int kind = (int)(x % 3);
            size_t room = 55 - set_len - 1;          /* key bytes that still fit one block */
            k[i] = (struct aero_key_value){
                .type = kind == 0 ? AERO_PT_INTEGER : kind == 1 ? AERO_PT_STRING : AERO_PT_BLOB,
                .i = (int64_t)x, .p = keys[i], .n = kind == 0 ? 0 : (i == 0 ? room : (x >> 8) % (room + 1))};
            for (size_t b = 0; b < k[i].n; b++)
                keys[i][b] = (uint8_t)(x >> (b % 56));
            ASSERT_TRUE(aero_digest_block(set, set_len, &k[i], blocks[i]));
        }
        aero_digest_blocks((const uint8_t (*)[AERO_DIGEST_BLOCK_SZ])blocks, n, out);
        for (size_t i = 0; i < n; i++) {
            aero_digest(set, set_len, &k[i], want);
            if (memcmp(out[i], want, AERO_DIGEST_SZ) != 0)
                TEST_FAIL("round %d: digest %zu of %zu (set of %zu bytes, key type %u of %zu bytes) differs",
                          round, i, n, set_len, k[i].type, k[i].n);
            checked++;
        }
        /* one byte more than fits: refused, the block left as it was */
        struct aero_key_value over = {.type = AERO_PT_STRING, .p = keys[0], .n = 55 - set_len};
        memset(probe, 0xA5, sizeof(probe));
        ASSERT_FALSE(aero_digest_block(set, set_len, &over, probe));
        ASSERT_EQ_U64(probe[0], 0xA5);
    }
    ASSERT_EQ_U64(checked, 3991);        /* sum over the rounds of 1 + round % 19 */
}

TEST(digest_vectors_from_the_wire_doc)
{
    static const struct {
        const char *set;
        int kind; /* 0 string, 1 int, 2 blob, 3 double */
        const char *s;
        int64_t i;
        const char *digest;
        int pid;
    } v[] = {
        {"demo", 0, "key1", 0, "ec91192d4b7f8ce35d5d78d34bca65cbaaaac960", 492},
        {"demo", 1, NULL, 1, "b7f4b83889e2da67de683e1df6919a1eacc446c8", 1207},
        {"demo", 1, NULL, -1, "e9d49a24c3debdc5a6d551d3e7087999a263bb97", 1257},
        {"demo", 1, NULL, 0, "ceded27492b392e0232514bb54a8ec2076acef37", 3790},
        {"demo", 1, NULL, 123456789, "8fb6058440971fc76817e4b6b47bf474b1c688e2", 1679},
        {"demo", 2, "\x01\x02\x03", 0, "ff31c926fbef445648ce63ca72a698a5473425c1", 511},
        {"demo", 3, NULL, 0, "10c03b48ac9b3ad8020721c4ef63d5e84485edce", 16},
        {"", 0, "hello", 0, "5213f7cd00462066dda85215e69ab375907aaca0", 850},
        {"", 1, NULL, 1, "a443f05d05d962202b59abb402afae1737dbf66a", 932},
        {"demo", 0, "bw1", 0, "0065a7c9e6294e7f2957b0fa8b4936c55181fbfc", 1280},
        /* the Aerospike Python client's published vectors */
        {"set", 1, NULL, -1, "22116d253745e29fc63fdf760b6e26f7e197e01d", -1},
        {"set", 1, NULL, 0, "93d943aae37b017ad7e011b0c1d2e2143c2fb37d", -1},
        {"set", 1, NULL, 1, "82d7213b469812947c109a6d341e3b5b1dedec1f", -1},
        {"set", 1, NULL, -128, "93191e549f8f3548d7e2cfc958ddc8c65bcbe4c6", -1},
        {"set", 0, "key", 0, "70906d18acfd6fedf6f1af27cd161160df203dfb", -1},
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        uint8_t d[20];
        struct aero_key_value k;
        uint8_t dbl[8];
        if (v[i].kind == 0)
            k = kstr(v[i].s);
        else if (v[i].kind == 1)
            k = kint(v[i].i);
        else if (v[i].kind == 2)
            k = (struct aero_key_value){.type = AERO_PT_BLOB, .p = (const uint8_t *)v[i].s, .n = 3};
        else {
            memcpy(dbl, HEX("3ff8000000000000"), 8);   /* double 1.5 as the C client hashes it */
            k = (struct aero_key_value){.type = AERO_PT_FLOAT, .p = dbl, .n = 8};
        }
        digest_of(v[i].set, k, d);
        ASSERT_EQ_MEM(d, HEX(v[i].digest), 20);
        if (v[i].pid >= 0)
            ASSERT_EQ_INT(aero_partition_id(d), v[i].pid);
    }
}

/* wire doc §13.1: put a=1, b="hi" with send-key, captured from the C client */
TEST(put_with_send_key_matches_capture)
{
    struct buf b = BUF_INIT;
    struct aero_msg m;
    struct err e = {0};
    uint8_t d[20];
    struct aero_key_value k = kstr("key1");

    digest_of("demo", k, d);
    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, d, &k);
    aero_msg_op_int(&m, AERO_OP_WRITE, "a", 1, 1);
    aero_msg_op(&m, AERO_OP_WRITE, AERO_PT_STRING, "b", 1, "hi", 2);
    ASSERT_OK_E(aero_msg_end(&m, &e), &e);
    const char *want = "02 03 00 00 00 00 00 67"
                       "16 00 01 00 00 00 00000000 00000000 000003e8 0004 0002"
                       "00 00 00 05 00 74 65 73 74"
                       "00 00 00 05 01 64 65 6d 6f"
                       "00 00 00 15 04 ec91192d4b7f8ce35d5d78d34bca65cbaaaac960"
                       "00 00 00 06 02 03 6b 65 79 31"
                       "00 00 00 0d 02 01 00 01 61 00 00 00 00 00 00 00 01"
                       "00 00 00 07 02 03 00 01 62 68 69";
    ASSERT_EQ_INT(b.len, HEX_LEN(want));
    ASSERT_EQ_MEM(b.p, HEX(want), b.len);
    buf_free(&b);
}

/* wire doc §13.2: double, bool, blob, list, key-ordered map; TTL 100; no key field */
TEST(put_of_every_particle_matches_capture)
{
    struct buf b = BUF_INIT;
    struct aero_msg m;
    struct err e = {0};
    uint8_t d[20];

    digest_of("demo", kstr("key1"), d);
    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 100, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, d, NULL);
    aero_msg_op_double(&m, AERO_OP_WRITE, "d", 1, 1.5);
    aero_msg_op_bool(&m, AERO_OP_WRITE, "t", 1, true);
    aero_msg_op(&m, AERO_OP_WRITE, AERO_PT_BLOB, "r", 1, "\x01\x02\x03", 3);
    aero_msg_op_open(&m, AERO_OP_WRITE, AERO_PT_LIST, "l", 1);
    aero_mp_array(&b, 3);
    aero_mp_int(&b, 1);
    aero_mp_str(&b, "x", 1);
    aero_mp_double(&b, 2.5);
    aero_msg_op_close(&m);
    aero_msg_op_open(&m, AERO_OP_WRITE, AERO_PT_MAP, "m", 1);
    aero_mp_map(&b, 3);
    aero_mp_map_flags(&b, 1);
    aero_mp_int(&b, -1);
    aero_mp_str(&b, "v", 1);
    aero_mp_str(&b, "k", 1);
    aero_mp_int(&b, 7);
    aero_msg_op_close(&m);
    ASSERT_OK_E(aero_msg_end(&m, &e), &e);
    const char *hdr = "16 00 01 00 00 00 00000000 00000064 000003e8 0003 0005";
    ASSERT_EQ_MEM(b.p + 8, HEX(hdr), 22);
    const char *ops = "00 00 00 0d 02 02 00 01 64 3f f8 00 00 00 00 00 00"
                      "00 00 00 06 02 11 00 01 74 01"
                      "00 00 00 08 02 04 00 01 72 01 02 03"
                      "00 00 00 13 02 14 00 01 6c 93 01 a2 03 78 cb 40 04 00 00 00 00 00 00"
                      "00 00 00 12 02 13 00 01 6d 83 c7 00 01 c0 ff a2 03 76 a2 03 6b 07";
    size_t fields = 9 + 9 + 25;
    ASSERT_EQ_INT(b.len, 30 + fields + HEX_LEN(ops));
    ASSERT_EQ_MEM(b.p + 30 + fields, HEX(ops), HEX_LEN(ops));
    ASSERT_EQ_U64(load_u64be(b.p) & 0xFFFFFFFFFFFFull, b.len - 8);
    buf_free(&b);
}

/* wire doc §13.3 */
TEST(policy_bits_header_matches_capture)
{
    struct buf b = BUF_INIT;
    struct aero_msg m;
    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE | AERO_INFO2_GENERATION | AERO_INFO2_DURABLE_DELETE,
                   AERO_INFO3_COMMIT_MASTER | AERO_INFO3_UPDATE_ONLY, 3, AERO_TTL_NEVER_EXPIRE, 500);
    ASSERT_EQ_MEM(b.p + 8, HEX("16 00 15 0a 00 00 00000003 ffffffff 000001f4"), 18);
    buf_reset(&b);
    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE | AERO_INFO2_CREATE_ONLY, 0, 0, AERO_TTL_DONT_UPDATE, 1000);
    ASSERT_EQ_MEM(b.p + 8, HEX("16 00 21 00 00 00 00000000 fffffffe 000003e8"), 18);
    buf_free(&b);
}

/* wire doc §13.4 and §13.5 */
TEST(reads_and_small_ops_match_capture)
{
    struct buf b = BUF_INIT;
    struct aero_msg m;
    uint8_t d[20];

    digest_of("demo", kstr("key1"), d);
    aero_msg_begin(&m, &b, AERO_INFO1_READ | AERO_INFO1_GET_ALL, 0, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, d, NULL);
    ASSERT_OK(aero_msg_end(&m, NULL));
    ASSERT_EQ_MEM(b.p, HEX("02 03 00 00 00 00 00 41 16 03 00 00 00 00 00000000 00000000 000003e8 0003 0000"), 30);
    ASSERT_EQ_INT(b.len, 8 + 0x41);

    buf_reset(&b);
    aero_msg_begin(&m, &b, AERO_INFO1_READ, 0, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, d, NULL);
    aero_msg_op(&m, AERO_OP_READ, AERO_PT_NULL, "a", 1, NULL, 0);
    aero_msg_op(&m, AERO_OP_READ, AERO_PT_NULL, "b", 1, NULL, 0);
    ASSERT_OK(aero_msg_end(&m, NULL));
    ASSERT_EQ_MEM(b.p + b.len - 18, HEX("00 00 00 05 01 00 00 01 61 00 00 00 05 01 00 00 01 62"), 18);

    buf_reset(&b);
    aero_msg_begin(&m, &b, AERO_INFO1_READ, AERO_INFO2_WRITE, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, d, NULL);
    size_t ops_at = b.len;
    aero_msg_op_int(&m, AERO_OP_INCR, "a", 1, 5);
    aero_msg_op(&m, AERO_OP_READ, AERO_PT_NULL, "a", 1, NULL, 0);
    aero_msg_op(&m, AERO_OP_WRITE, AERO_PT_NULL, "b", 1, NULL, 0);   /* bin delete */
    aero_msg_op_open(&m, AERO_OP_CDT_MODIFY, AERO_PT_BLOB, "l", 1);    /* list append 4 */
    aero_mp_array(&b, 2);
    aero_mp_int(&b, AERO_CDT_LIST_APPEND);
    aero_mp_int(&b, 4);
    aero_msg_op_close(&m);
    aero_msg_op(&m, AERO_OP_TOUCH, AERO_PT_NULL, "", 0, NULL, 0);
    ASSERT_OK(aero_msg_end(&m, NULL));
    const char *ops = "00 00 00 0d 05 01 00 01 61 00 00 00 00 00 00 00 05"
                      "00 00 00 05 01 00 00 01 61"
                      "00 00 00 05 02 00 00 01 62"
                      "00 00 00 08 04 04 00 01 6c 92 01 04"
                      "00 00 00 04 0b 00 00 00";
    ASSERT_EQ_INT(b.len - ops_at, HEX_LEN(ops));
    ASSERT_EQ_MEM(b.p + ops_at, HEX(ops), HEX_LEN(ops));
    buf_free(&b);
}

TEST(msgpack_examples_from_the_wire_doc)
{
    struct buf b = BUF_INIT;
    aero_mp_array(&b, 8);
    aero_mp_int(&b, 1);
    aero_mp_int(&b, -1);
    aero_mp_int(&b, 300);
    aero_mp_int(&b, -200);
    aero_mp_str(&b, "ab", 2);
    aero_mp_blob(&b, (const uint8_t *)"\x01\x02\x03", 3);
    aero_mp_bool(&b, true);
    aero_mp_nil(&b);
    const char *want = "98 01 ff cd 01 2c d1 ff 38 a3 03 61 62 a4 04 01 02 03 c3 c0";
    ASSERT_EQ_INT(b.len, HEX_LEN(want));
    ASSERT_EQ_MEM(b.p, HEX(want), b.len);
    buf_reset(&b);
    aero_mp_map(&b, 1);
    aero_mp_str(&b, "a", 1);
    aero_mp_int(&b, 1);
    ASSERT_EQ_MEM(b.p, HEX("81 a2 03 61 01"), 5);
    buf_reset(&b);
    aero_mp_array(&b, 0);
    ASSERT_EQ_MEM(b.p, HEX("90"), 1);
    buf_free(&b);
}

TEST(msgpack_integer_and_length_boundaries)
{
    static const struct { int64_t v; const char *hex; } v[] = {
        {0, "00"}, {127, "7f"}, {128, "cc 80"}, {255, "cc ff"}, {256, "cd 01 00"},
        {65535, "cd ff ff"}, {65536, "ce 00 01 00 00"}, {4294967295ll, "ce ff ff ff ff"},
        {4294967296ll, "cf 00 00 00 01 00 00 00 00"}, {-32, "e0"}, {-33, "d0 df"},
        {-128, "d0 80"}, {-129, "d1 ff 7f"}, {-32768, "d1 80 00"}, {-32769, "d2 ff ff 7f ff"},
        {INT64_MIN, "d3 80 00 00 00 00 00 00 00"},
    };
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        struct aero_mp_reader r;
        struct aero_mp_item it;
        buf_reset(&b);
        aero_mp_int(&b, v[i].v);
        ASSERT_EQ_INT(b.len, HEX_LEN(v[i].hex));
        ASSERT_EQ_MEM(b.p, HEX(v[i].hex), b.len);
        aero_mp_reader_init(&r, b.p, b.len);
        ASSERT_OK(aero_mp_next(&r, &it));
        ASSERT_EQ_INT(it.type, AERO_MP_INT);
        ASSERT_TRUE(it.i == v[i].v);
        ASSERT_ST(aero_mp_next(&r, &it), ST_EOF);
    }
    /* string header widths: 30 bytes + prefix = 31 -> fixstr; 31 + prefix -> d9 */
    char s[70000];
    memset(s, 'x', sizeof(s));
    buf_reset(&b);
    aero_mp_str(&b, s, 30);
    ASSERT_EQ_INT(b.p[0], 0xbf);
    buf_reset(&b);
    aero_mp_str(&b, s, 31);
    ASSERT_EQ_MEM(b.p, HEX("d9 20 03"), 3);
    buf_reset(&b);
    aero_mp_str(&b, s, 255);
    ASSERT_EQ_MEM(b.p, HEX("da 01 00 03"), 4);
    buf_reset(&b);
    aero_mp_str(&b, s, 65535);
    ASSERT_EQ_MEM(b.p, HEX("db 00 01 00 00 03"), 6);
    ASSERT_EQ_INT(b.len, 6 + 65535);
    buf_free(&b);
}

TEST(msgpack_reader_walks_and_skips_nested_values)
{
    /* key-ordered map {-1:"v","k":7} then a list [1,"x",2.5] */
    const uint8_t *p = HEX("83 c7 00 01 c0 ff a2 03 76 a2 03 6b 07 93 01 a2 03 78 cb 40 04 00 00 00 00 00 00");
    size_t n = HEX_LEN("83 c7 00 01 c0 ff a2 03 76 a2 03 6b 07 93 01 a2 03 78 cb 40 04 00 00 00 00 00 00");
    struct aero_mp_reader r;
    struct aero_mp_item it;

    aero_mp_reader_init(&r, p, n);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_MAP);
    ASSERT_EQ_INT(it.n, 3);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_EXT);
    ASSERT_EQ_INT(it.prefix, 1);
    ASSERT_EQ_INT(it.n, 0);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_NIL);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.i, -1);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_STR);
    ASSERT_EQ_MEM(it.p, "v", 1);
    ASSERT_OK(aero_mp_skip(&r));    /* "k" */
    ASSERT_OK(aero_mp_skip(&r));    /* 7 */
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_ARRAY);
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_OK(aero_mp_skip(&r));
    ASSERT_OK(aero_mp_next(&r, &it));
    ASSERT_EQ_INT(it.type, AERO_MP_DOUBLE);
    ASSERT_EQ_DBL(it.d, 2.5);
    ASSERT_ST(aero_mp_next(&r, &it), ST_EOF);

    /* truncated and bogus inputs fail and stay failed */
    aero_mp_reader_init(&r, HEX("a5 03 61"), 3);
    ASSERT_ST(aero_mp_next(&r, &it), ST_PARSE);
    ASSERT_ST(aero_mp_next(&r, &it), ST_PARSE);
    aero_mp_reader_init(&r, HEX("c1"), 1);
    ASSERT_ST(aero_mp_next(&r, &it), ST_PARSE);
    aero_mp_reader_init(&r, HEX("dd ff ff ff ff"), 5);
    ASSERT_ST(aero_mp_skip(&r), ST_PARSE);
    aero_mp_reader_init(&r, HEX("cf ff ff ff ff ff ff ff ff"), 9);   /* > INT64_MAX */
    ASSERT_ST(aero_mp_next(&r, &it), ST_PARSE);
}

TEST(builder_refuses_bad_names_with_the_culprit)
{
    struct buf b = BUF_INIT;
    struct aero_msg m;
    struct err e = {0};
    uint8_t d[20] = {0};

    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, d, NULL);
    aero_msg_op_int(&m, AERO_OP_WRITE, "sixteen_bytes_xx", 16, 1);
    aero_msg_op_int(&m, AERO_OP_WRITE, "ok", 2, 1);
    ASSERT_ST(aero_msg_end(&m, &e), ST_BIN_NAME);
    ASSERT_CONTAINS(e.msg, "sixteen_bytes_xx");
    aero_msg_abort(&m);
    ASSERT_EQ_INT(b.len, 0);

    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "a_namespace_name_of_32_bytes_xxx", 32, "", 0, d, NULL);
    ASSERT_ST(aero_msg_end(&m, &e), ST_RECORD);
    ASSERT_CONTAINS(e.msg, "namespace over 31 bytes");

    char set64[65];
    memset(set64, 's', 64);
    set64[64] = 0;
    aero_msg_abort(&m);
    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, set64, 64, d, NULL);
    ASSERT_ST(aero_msg_end(&m, &e), ST_RECORD);
    ASSERT_CONTAINS(e.msg, "set name over 63 bytes");

    aero_msg_abort(&m);
    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 0, 1000);
    aero_msg_op(&m, AERO_OP_WRITE, AERO_PT_STRING, "a\0b", 3, "x", 1);
    ASSERT_ST(aero_msg_end(&m, &e), ST_BIN_NAME);
    buf_free(&b);
}

TEST(integer_user_key_is_eight_bytes_big_endian)
{
    struct buf b = BUF_INIT;
    struct aero_msg m;
    uint8_t d[20];
    struct aero_key_value k = kint(-2);

    digest_of("demo", k, d);
    aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, "demo", 4, d, &k);
    aero_msg_op_int(&m, AERO_OP_WRITE, "a", 1, 1);
    ASSERT_OK(aero_msg_end(&m, NULL));
    ASSERT_EQ_MEM(b.p + 30 + 9 + 9 + 25, HEX("00 00 00 0a 02 01 ff ff ff ff ff ff ff fe"), 14);
    buf_free(&b);
}

TEST(info_request_and_reply_match_capture)
{
    struct buf b = BUF_INIT;
    const char *cmds[] = {"node", "partition-generation", "build\n"};
    ASSERT_OK(aero_info_request(&b, cmds, 3));
    ASSERT_EQ_INT(b.len, 8 + 0x20);
    ASSERT_EQ_MEM(b.p, HEX("02 01 00 00 00 00 00 20"), 8);
    ASSERT_EQ_MEM(b.p + 8, "node\npartition-generation\nbuild\n", 0x20);
    buf_free(&b);

    const char *reply = "node\tBB9020011AC4202\npartition-generation\t1\nbuild\t8.1.2.0\n";
    const char *v;
    size_t vl;
    ASSERT_TRUE(aero_info_value(reply, strlen(reply), "build", &v, &vl));
    ASSERT_EQ_INT(vl, 7);
    ASSERT_EQ_MEM(v, "8.1.2.0", 7);
    ASSERT_TRUE(aero_info_value(reply, strlen(reply), "node", &v, &vl));
    ASSERT_EQ_MEM(v, "BB9020011AC4202", vl);
    ASSERT_FALSE(aero_info_value(reply, strlen(reply), "partition", &v, &vl));
    ASSERT_FALSE(aero_info_value(reply, strlen(reply), "missing", &v, &vl));
}

TEST(proto_header_checks)
{
    struct aero_proto_header h;
    struct err e = {0};
    ASSERT_OK(aero_proto_parse(HEX("02 03 00 00 00 00 00 16"), 1 << 20, &h, &e));
    ASSERT_EQ_INT(h.type, 3);
    ASSERT_EQ_INT(h.size, 22);
    ASSERT_ST(aero_proto_parse(HEX("03 03 00 00 00 00 00 16"), 1 << 20, &h, &e), ST_PROTO);
    ASSERT_CONTAINS(e.msg, "version 3");
    ASSERT_ST(aero_proto_parse(HEX("02 04 00 00 00 00 00 16"), 1 << 20, &h, &e), ST_PROTO);
    ASSERT_CONTAINS(e.msg, "compressed");
    ASSERT_ST(aero_proto_parse(HEX("02 09 00 00 00 00 00 16"), 1 << 20, &h, &e), ST_PROTO);
    ASSERT_ST(aero_proto_parse(HEX("02 03 00 00 08 00 00 01"), 1ull << 40, &h, &e), ST_PROTO);
}

/* wire doc §13.4: reply to "select a, b" */
TEST(reply_parse_of_select_capture)
{
    const char *hex = "16 00 00 00 00 00 00000003 00000000 00000000 0000 0002"
                      "00 00 00 0d 01 01 00 01 61 00 00 00 00 00 00 00 01"
                      "00 00 00 07 01 03 00 01 62 68 69";
    const uint8_t *p = HEX(hex);
    struct aero_msg_view v;
    struct aero_bin_view bin;
    struct err e = {0};
    const uint8_t *cur;

    ASSERT_OK_E(aero_msg_parse(p, HEX_LEN(hex), &v, &e), &e);
    ASSERT_EQ_INT(v.generation, 3);
    ASSERT_EQ_INT(v.n_ops, 2);
    ASSERT_TRUE(v.end == p + HEX_LEN(hex));
    cur = v.ops;
    ASSERT_OK(aero_msg_next_bin(&v, &cur, &bin, &e));
    ASSERT_EQ_INT(bin.particle, AERO_PT_INTEGER);
    ASSERT_EQ_INT(bin.name_len, 1);
    ASSERT_EQ_MEM(bin.name, "a", 1);
    ASSERT_EQ_INT(load_u64be(bin.value), 1);
    ASSERT_OK(aero_msg_next_bin(&v, &cur, &bin, &e));
    ASSERT_EQ_INT(bin.particle, AERO_PT_STRING);
    ASSERT_EQ_MEM(bin.value, "hi", bin.value_len);
    ASSERT_ST(aero_msg_next_bin(&v, &cur, &bin, &e), ST_EOF);

    /* every truncation is refused, never read past the end */
    for (size_t cut = 0; cut < HEX_LEN(hex); cut++)
        ASSERT_ST(aero_msg_parse(p, cut, &v, &e), ST_PROTO);
    /* an op whose name length exceeds its size */
    const char *bad = "16 00 00 00 00 00 00000000 00000000 00000000 0000 0001 00 00 00 05 01 00 00 09 61";
    ASSERT_ST(aero_msg_parse(HEX(bad), HEX_LEN(bad), &v, &e), ST_PROTO);
}

TEST(void_time_to_ttl)
{
    uint64_t now = AERO_CITRUSLEAF_EPOCH + 1000;
    ASSERT_EQ_INT(aero_void_time_to_ttl(0, now), -1);
    ASSERT_EQ_INT(aero_void_time_to_ttl(1100, now), 100);
    ASSERT_EQ_INT(aero_void_time_to_ttl(900, now), 1);
}

TEST(result_code_table)
{
    int rc;
    ASSERT_EQ_STR(aero_rc_name(21), "ERR_BIN_NAME");
    ASSERT_EQ_INT(aero_rc_class(9), CLASS_RETRIABLE);
    ASSERT_EQ_INT(aero_rc_class(13), CLASS_RECORD);
    ASSERT_EQ_INT(aero_rc_class(20), CLASS_FATAL);
    ASSERT_EQ_INT(aero_rc_class(14), CLASS_RETRIABLE);
    ASSERT_EQ_INT(aero_rc_status(5), ST_EXISTS);
    ASSERT_EQ_INT(aero_rc_status(62), ST_AUTH);
    ASSERT_TRUE(aero_rc_name(29) == NULL);
    ASSERT_TRUE(aero_rc_parse("KEY_EXISTS_ERROR", &rc) && rc == 5);
    ASSERT_TRUE(aero_rc_parse("ERR_RECORD_EXISTS", &rc) && rc == 5);
    ASSERT_TRUE(aero_rc_parse("record_exists", &rc) && rc == 5);
    ASSERT_TRUE(aero_rc_parse("13", &rc) && rc == 13);
    ASSERT_FALSE(aero_rc_parse("NO_SUCH_CODE", &rc));
    /* every code in the doc's table has an entry */
    const int codes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                         21, 22, 23, 24, 25, 26, 27, 28, 32, 50, 51, 52, 53, 54, 55, 56, 60, 61,
                         62, 63, 64, 65, 66, 70, 71, 72, 73, 74, 75, 80, 81, 82, 83, 90, 91, 92,
                         93, 94, 100, 120, 121, 122, 123, 124, 125, 126, 127, 150, 151, 152, 160,
                         200, 201, 202, 203, 204, 205, 206};
    for (size_t i = 0; i < ARRAY_LEN(codes); i++)
        if (!aero_rc_name(codes[i]))
            TEST_FAIL("result code %d missing from AERO_RC_MAP", codes[i]);
}

/* wire doc §13.7: batch write of the same op on two keys, captured from the C client: row 0
 * INFO|GEN|TTL with namespace, set and op, row 1 REPEAT. Rows come from single requests. */
static void single_write(struct buf *b, const uint8_t d[20], uint8_t info2, const char *set,
                         int64_t v, const struct aero_key_value *send_key)
{
    struct aero_msg m;
    buf_reset(b);
    aero_msg_begin(&m, b, 0, (uint8_t)(AERO_INFO2_WRITE | info2), 0, 0, 0, 1000);
    aero_msg_key_fields(&m, "test", 4, set, strlen(set), d, send_key);
    aero_msg_op_int(&m, AERO_OP_WRITE, "w", 1, v);
    if (aero_msg_end(&m, NULL) != ST_OK)
        TEST_FAIL("build");
}

TEST(batch_write_rows_match_capture_and_repeat)
{
    struct aero_batch bt = {0};
    struct buf one = BUF_INIT;
    struct err e = {0};
    const uint8_t *d0 = HEX("0065a7c9e6294e7f2957b0fa8b4936c55181fbfc");
    uint8_t d0c[20], d1c[20];
    memcpy(d0c, d0, 20);
    memcpy(d1c, HEX("5232f8f23c0db1fec4fcabc25dd7fb794206df12"), 20);
    const char *want = "00 00 00 68 29 00 00 00 02 0d"
                       "00 00 00 00 0065a7c9e6294e7f2957b0fa8b4936c55181fbfc 0e"
                       "00 81 00 0000 00000000 0002 0001"
                       "00 00 00 05 00 74 65 73 74"
                       "00 00 00 05 01 64 65 6d 6f"
                       "00 00 00 0d 02 01 00 01 77 00 00 00 00 00 00 00 09"
                       "00 00 00 01 5232f8f23c0db1fec4fcabc25dd7fb794206df12 01";
    const uint8_t *p;

    ASSERT_OK_E(aero_batch_begin(&bt, &e), &e);
    single_write(&one, d0c, AERO_INFO2_RESPOND_ALL_OPS, "demo", 9, NULL);
    ASSERT_OK_E(aero_batch_add(&bt, 0, one.p, one.len, &e), &e);
    single_write(&one, d1c, AERO_INFO2_RESPOND_ALL_OPS, "demo", 9, NULL);
    ASSERT_OK_E(aero_batch_add(&bt, 1, one.p, one.len, &e), &e);
    ASSERT_OK_E(aero_batch_end(&bt, &e), &e);
    p = bt.cmd.req.p;
    ASSERT_EQ_INT(bt.cmd.req.len, 8 + 22 + HEX_LEN(want));
    ASSERT_EQ_U64(load_u64be(p) & 0xFFFFFFFFFFFFull, bt.cmd.req.len - 8);
    ASSERT_EQ_INT(p[0], 2);
    ASSERT_EQ_INT(p[1], 3);
    ASSERT_EQ_INT(p[9], AERO_INFO1_BATCH);
    ASSERT_EQ_INT(load_u16be(p + 26), 1);       /* one field (41), no ops */
    ASSERT_EQ_INT(load_u16be(p + 28), 0);
    ASSERT_EQ_MEM(p + 30, HEX(want), HEX_LEN(want));
    ASSERT_EQ_STR(bt.cmd.ns, "test");           /* routed like the first row */
    ASSERT_EQ_MEM(bt.cmd.digest, d0c, 20);

    /* a different value, a sent key, or a different set breaks the REPEAT run */
    struct aero_key_value k = {AERO_PT_STRING, 0, (const uint8_t *)"k", 1};
    size_t before;
    ASSERT_OK(aero_batch_begin(&bt, &e));
    single_write(&one, d0c, 0, "demo", 1, NULL);
    ASSERT_OK(aero_batch_add(&bt, 0, one.p, one.len, &e));
    before = bt.cmd.req.len;
    single_write(&one, d1c, 0, "demo", 2, NULL);      /* other value: full row */
    ASSERT_OK(aero_batch_add(&bt, 1, one.p, one.len, &e));
    ASSERT_CMP_INT(bt.cmd.req.len - before, >, 25);
    before = bt.cmd.req.len;
    single_write(&one, d0c, 0, "demo", 2, NULL);      /* same as the previous: REPEAT */
    ASSERT_OK(aero_batch_add(&bt, 2, one.p, one.len, &e));
    ASSERT_EQ_INT(bt.cmd.req.len - before, 25);
    ASSERT_EQ_INT(bt.cmd.req.p[bt.cmd.req.len - 1], 0x01);
    before = bt.cmd.req.len;
    single_write(&one, d1c, 0, "demo", 2, &k);        /* key sent: full row */
    ASSERT_OK(aero_batch_add(&bt, 3, one.p, one.len, &e));
    ASSERT_CMP_INT(bt.cmd.req.len - before, >, 25);
    before = bt.cmd.req.len;
    single_write(&one, d1c, 0, "demo", 2, &k);        /* after a row with a key: never REPEAT */
    ASSERT_OK(aero_batch_add(&bt, 4, one.p, one.len, &e));
    ASSERT_CMP_INT(bt.cmd.req.len - before, >, 25);
    ASSERT_OK(aero_batch_end(&bt, &e));
    ASSERT_EQ_INT(load_u32be(bt.cmd.req.p + 30 + 5), 5);

    /* bad input names the row */
    ASSERT_ST(aero_batch_add(&bt, 7, one.p, one.len - 1, &e), ST_USAGE);
    ASSERT_CONTAINS(e.msg, "row 7");
    ASSERT_ST(aero_batch_add(&bt, 8, bt.cmd.req.p, bt.cmd.req.len, &e), ST_USAGE);

    /* results: rows in any order, then LAST */
    const char *reply = "16 00 00 00 00 00 00000001 00000000 00000001 0000 0000"
                        "16 00 00 00 00 0d 00000000 00000000 00000000 0000 0000"
                        "16 00 00 01 00 00 00000000 00000000 00000000 0000 0000";
    const uint8_t *cur = NULL;
    struct aero_batch_result r;
    buf_reset(&bt.cmd.reply);
    buf_append(&bt.cmd.reply, HEX(reply), HEX_LEN(reply));
    ASSERT_OK(aero_batch_next_result(&bt.cmd, &cur, &r, &e));
    ASSERT_EQ_INT(r.index, 1);
    ASSERT_EQ_INT(r.result_code, 0);
    ASSERT_EQ_INT(r.generation, 1);
    ASSERT_OK(aero_batch_next_result(&bt.cmd, &cur, &r, &e));
    ASSERT_EQ_INT(r.index, 0);
    ASSERT_EQ_INT(r.result_code, 13);
    ASSERT_ST(aero_batch_next_result(&bt.cmd, &cur, &r, &e), ST_EOF);
    ASSERT_ST(aero_batch_next_result(&bt.cmd, &cur, &r, &e), ST_EOF);

    /* a warm batch allocates nothing */
    {
        uint64_t a0 = mem_alloc_count();
        for (int round = 0; round < 100; round++) {
            ASSERT_OK(aero_batch_begin(&bt, &e));
            for (uint32_t i = 0; i < 5; i++) {
                single_write(&one, i & 1 ? d1c : d0c, 0, "demo", i, NULL);
                ASSERT_OK(aero_batch_add(&bt, i, one.p, one.len, &e));
            }
            ASSERT_OK(aero_batch_end(&bt, &e));
        }
        ASSERT_EQ_U64(mem_alloc_count() - a0, 0);
    }
    aero_cmd_free(&bt.cmd);
    buf_free(&one);
}

TEST(building_requests_allocates_nothing_once_warm)
{
    struct buf b = BUF_INIT;
    struct aero_msg m;
    uint8_t d[20];
    struct aero_key_value k = kstr("key-000001");

    for (int round = 0; round < 2; round++) {
        uint64_t before = mem_alloc_count();
        for (int i = 0; i < 1000; i++) {
            buf_reset(&b);
            aero_digest("demo", 4, &k, d);
            aero_msg_begin(&m, &b, 0, AERO_INFO2_WRITE, 0, 0, 0, 1000);
            aero_msg_key_fields(&m, "test", 4, "demo", 4, d, &k);
            aero_msg_op_int(&m, AERO_OP_WRITE, "a", 1, i);
            aero_msg_op_open(&m, AERO_OP_WRITE, AERO_PT_LIST, "l", 1);
            aero_mp_array(&b, 2);
            aero_mp_str(&b, "x", 1);
            aero_mp_double(&b, 1.5);
            aero_msg_op_close(&m);
            ASSERT_OK(aero_msg_end(&m, NULL));
        }
        if (round == 1)
            ASSERT_EQ_U64(mem_alloc_count() - before, 0);
    }
    buf_free(&b);
}

TEST_LIST = {
    T(ripemd160_matches_libcrypto),
    T(digest_blocks_match_one_at_a_time),
    T(digest_vectors_from_the_wire_doc),
    T(put_with_send_key_matches_capture),
    T(put_of_every_particle_matches_capture),
    T(policy_bits_header_matches_capture),
    T(reads_and_small_ops_match_capture),
    T(msgpack_examples_from_the_wire_doc),
    T(msgpack_integer_and_length_boundaries),
    T(msgpack_reader_walks_and_skips_nested_values),
    T(builder_refuses_bad_names_with_the_culprit),
    T(integer_user_key_is_eight_bytes_big_endian),
    T(info_request_and_reply_match_capture),
    T(proto_header_checks),
    T(reply_parse_of_select_capture),
    T(void_time_to_ttl),
    T(result_code_table),
    T(building_requests_allocates_nothing_once_warm),
    T(batch_write_rows_match_capture_and_repeat),
    {0},
};
