/* src/aerospike/aero_digest.c: key digests (wire doc §3.4) and partition ids (§3.5).
 *
 * RIPEMD-160 (Dobbertin, Bosselaers, Preneel, 1996) is written out here rather than taken
 * from libcrypto: a digest is computed for every record, its input is a set name and a key
 * (almost always one 64-byte block), and libcrypto's generic Init/Update/Final path cost
 * about a third more per digest than the compression function itself. Checked against
 * libcrypto on every length from 0 to 300 bytes (unit test ripemd160_matches_libcrypto). */
#include <string.h>

#include "aero_int.h"

static inline uint32_t rol32(uint32_t x, unsigned s)
{
    return (x << s) | (x >> (32 - s));
}

/* Message word used by step j of the left / right line, and the step's rotation. */
static const uint8_t RL[80] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
    3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
    1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
    4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13};
static const uint8_t RR[80] = {
    5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
    6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
    15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
    8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
    12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11};
static const uint8_t SL[80] = {
    11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
    7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
    11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
    11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
    9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6};
static const uint8_t SR[80] = {
    8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
    9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
    9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
    15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
    8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11};

/* The five boolean functions; the left line uses them in order, the right line reversed. */
#define F1(x, y, z) ((x) ^ (y) ^ (z))
#define F2(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define F3(x, y, z) (((x) | ~(y)) ^ (z))
#define F4(x, y, z) (((x) & (z)) | ((y) & ~(z)))
#define F5(x, y, z) ((x) ^ ((y) | ~(z)))
#define FL(j, x, y, z) ((j) < 16 ? F1(x, y, z) : (j) < 32 ? F2(x, y, z) : (j) < 48 ? F3(x, y, z) \
                        : (j) < 64 ? F4(x, y, z) : F5(x, y, z))
#define FR(j, x, y, z) ((j) < 16 ? F5(x, y, z) : (j) < 32 ? F4(x, y, z) : (j) < 48 ? F3(x, y, z) \
                        : (j) < 64 ? F2(x, y, z) : F1(x, y, z))
#define KL(j) ((j) < 16 ? 0x00000000u : (j) < 32 ? 0x5A827999u : (j) < 48 ? 0x6ED9EBA1u \
               : (j) < 64 ? 0x8F1BBCDCu : 0xA953FD4Eu)
#define KR(j) ((j) < 16 ? 0x50A28BE6u : (j) < 32 ? 0x5C4DD124u : (j) < 48 ? 0x6D703EF3u \
               : (j) < 64 ? 0x7A6D76E9u : 0x00000000u)

/* One step of a line (table R of message words, S of rotations, function F, constant K); j
 * is a constant, so the table reads, the function and the constant fold away. */
#define STEP(F, R, S, K, j, a, b, c, d, e) do { \
        a += F(j, b, c, d) + x[R[j]] + K(j); a = rol32(a, S[j]) + e; c = rol32(c, 10); \
    } while (0)
/* Five steps of a line (with step macro ST: scalar or AVX2) bring its five working words back
 * to their places. */
#define STEPS5(ST, F, R, S, K, j, a, b, c, d, e) \
    ST(F, R, S, K, j, a, b, c, d, e); ST(F, R, S, K, j + 1, e, a, b, c, d); \
    ST(F, R, S, K, j + 2, d, e, a, b, c); ST(F, R, S, K, j + 3, c, d, e, a, b); \
    ST(F, R, S, K, j + 4, b, c, d, e, a)
#define LSTEPS5(j) STEPS5(STEP, FL, RL, SL, KL, j, al, bl, cl, dl, el)
#define RSTEPS5(j) STEPS5(STEP, FR, RR, SR, KR, j, ar, br, cr, dr, er)

/* RIPEMD-160's initial chaining values. */
static const uint32_t IV[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};

static void compress(uint32_t h[5], const uint8_t blk[64])
{
    uint32_t x[16];
    uint32_t al = h[0], bl = h[1], cl = h[2], dl = h[3], el = h[4];
    uint32_t ar = al, br = bl, cr = cl, dr = dl, er = el, t;

    for (int i = 0; i < 16; i++)        /* little-endian words */
        x[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 | (uint32_t)blk[4 * i + 2] << 16 |
               (uint32_t)blk[4 * i + 3] << 24;
    /* The two lines are independent chains of 80 dependent steps each: interleaved, the CPU
     * runs them side by side (one after the other they took about twice as long). */
    LSTEPS5(0); RSTEPS5(0); LSTEPS5(5); RSTEPS5(5); LSTEPS5(10); RSTEPS5(10);
    LSTEPS5(15); RSTEPS5(15); LSTEPS5(20); RSTEPS5(20); LSTEPS5(25); RSTEPS5(25);
    LSTEPS5(30); RSTEPS5(30); LSTEPS5(35); RSTEPS5(35); LSTEPS5(40); RSTEPS5(40);
    LSTEPS5(45); RSTEPS5(45); LSTEPS5(50); RSTEPS5(50); LSTEPS5(55); RSTEPS5(55);
    LSTEPS5(60); RSTEPS5(60); LSTEPS5(65); RSTEPS5(65); LSTEPS5(70); RSTEPS5(70);
    LSTEPS5(75); RSTEPS5(75);
    t = h[1] + cl + dr;
    h[1] = h[2] + dl + er;
    h[2] = h[3] + el + ar;
    h[3] = h[4] + al + br;
    h[4] = h[0] + bl + cr;
    h[0] = t;
}

/* The message length in bits, little-endian, in a last block's last 8 bytes. */
static void put_bit_length(uint8_t blk[64], uint64_t bytes)
{
    for (int i = 0; i < 8; i++)
        blk[56 + i] = (uint8_t)((bytes * 8) >> (8 * i));
}

static void put_digest(const uint32_t h[5], uint8_t out[AERO_DIGEST_SZ])
{
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = (uint8_t)(h[i] >> (8 * k));
}

void aero__ripemd160(const uint8_t *const parts[], const size_t lens[], size_t n_parts,
                     uint8_t out[20])
{
    uint32_t h[5];
    uint8_t blk[64];
    size_t fill = 0;
    uint64_t total = 0;

    memcpy(h, IV, sizeof(h));
    for (size_t i = 0; i < n_parts; i++) {
        const uint8_t *p = parts[i];
        size_t n = lens[i];
        total += n;
        while (n) {
            size_t take = 64 - fill < n ? 64 - fill : n;
            memcpy(blk + fill, p, take);
            fill += take;
            p += take;
            n -= take;
            if (fill == 64) {
                compress(h, blk);
                fill = 0;
            }
        }
    }
    /* padding: 0x80, zeros, then the length in bits, little-endian, in the last 8 bytes */
    blk[fill++] = 0x80;
    if (fill > 56) {
        memset(blk + fill, 0, 64 - fill);
        compress(h, blk);
        fill = 0;
    }
    memset(blk + fill, 0, 56 - fill);
    put_bit_length(blk, total);
    compress(h, blk);
    put_digest(h, out);
}

void aero_digest(const char *set, size_t set_len, const struct aero_key_value *key,
                 uint8_t out[AERO_DIGEST_SZ])
{
    uint8_t type = key->type, ibuf[8];
    const uint8_t *parts[3] = {(const uint8_t *)set, &type, key->p};
    size_t lens[3] = {set_len, 1, key->n};

    if (type == AERO_PT_INTEGER) {
        store_u64be(ibuf, (uint64_t)key->i);
        parts[2] = ibuf;
        lens[2] = 8;
    } else if (!key->n) {
        lens[2] = 0;
    }
    aero__ripemd160(parts, lens, 3, out);
}

bool aero_digest_block(const char *set, size_t set_len, const struct aero_key_value *key,
                       uint8_t block[AERO_DIGEST_BLOCK_SZ])
{
    size_t kn = key->type == AERO_PT_INTEGER ? 8 : key->n, n = set_len + 1 + kn;

    if (n > AERO_DIGEST_BLOCK_SZ - 9)    /* 0x80 and the 8-byte length must fit after it */
        return false;
    if (set_len)
        memcpy(block, set, set_len);
    block[set_len] = key->type;
    if (key->type == AERO_PT_INTEGER)
        store_u64be(block + set_len + 1, (uint64_t)key->i);
    else if (kn)
        memcpy(block + set_len + 1, key->p, kn);
    block[n] = 0x80;
    memset(block + n + 1, 0, AERO_DIGEST_BLOCK_SZ - 8 - (n + 1));
    put_bit_length(block, n);
    return true;
}

static void blocks_scalar(const uint8_t (*blocks)[AERO_DIGEST_BLOCK_SZ], size_t n,
                          uint8_t (*out)[AERO_DIGEST_SZ])
{
    for (size_t i = 0; i < n; i++) {
        uint32_t h[5];
        memcpy(h, IV, sizeof(h));
        compress(h, blocks[i]);
        put_digest(h, out[i]);
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_DIGEST_X8 1

/* Eight digests side by side, one per 32-bit lane of AVX2 registers: the same 160 steps as
 * compress(), each now an instruction for eight blocks (wire doc §3.4's digest is one block
 * for any set and key up to 55 bytes together, so a processing thread's records come in
 * groups that fit this). */
#define VX(a, b) _mm256_xor_si256(a, b)
#define VO(a, b) _mm256_or_si256(a, b)
#define VA(a, b) _mm256_and_si256(a, b)
#define VN(a, b) _mm256_andnot_si256(a, b)          /* ~a & b */
#define VNOT(a) _mm256_xor_si256(a, _mm256_set1_epi32(-1))
#define VF1(x, y, z) VX(VX(x, y), z)
#define VF2(x, y, z) VO(VA(x, y), VN(x, z))
#define VF3(x, y, z) VX(VO(x, VNOT(y)), z)
#define VF4(x, y, z) VO(VA(x, z), VN(z, y))
#define VF5(x, y, z) VX(x, VO(y, VNOT(z)))
#define VFL(j, x, y, z) ((j) < 16 ? VF1(x, y, z) : (j) < 32 ? VF2(x, y, z) : (j) < 48 ? VF3(x, y, z) \
                         : (j) < 64 ? VF4(x, y, z) : VF5(x, y, z))
#define VFR(j, x, y, z) ((j) < 16 ? VF5(x, y, z) : (j) < 32 ? VF4(x, y, z) : (j) < 48 ? VF3(x, y, z) \
                         : (j) < 64 ? VF2(x, y, z) : VF1(x, y, z))
#define VROL(x, s) VO(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - (s)))
#define VSTEP(F, R, S, K, j, a, b, c, d, e) do { \
        a = _mm256_add_epi32(_mm256_add_epi32(a, F(j, b, c, d)), \
                             _mm256_add_epi32(x[R[j]], _mm256_set1_epi32((int)K(j)))); \
        a = _mm256_add_epi32(VROL(a, S[j]), e); c = VROL(c, 10); \
    } while (0)
#define VL5(j) STEPS5(VSTEP, VFL, RL, SL, KL, j, al, bl, cl, dl, el)
#define VR5(j) STEPS5(VSTEP, VFR, RR, SR, KR, j, ar, br, cr, dr, er)

__attribute__((target("avx2")))
static void blocks_x8(const uint8_t (*blocks)[AERO_DIGEST_BLOCK_SZ], size_t n,
                      uint8_t (*out)[AERO_DIGEST_SZ])
{
    /* lane l reads block l (lanes past n repeat block 0; their results are dropped) */
    const __m256i idx = _mm256_setr_epi32(0, n > 1 ? 16 : 0, n > 2 ? 32 : 0, n > 3 ? 48 : 0,
                                          n > 4 ? 64 : 0, n > 5 ? 80 : 0, n > 6 ? 96 : 0,
                                          n > 7 ? 112 : 0);
    const int *base = (const int *)(const void *)blocks[0];
    __m256i x[16], iv[5];
    uint32_t h[5][8];

    for (int i = 0; i < 16; i++)        /* word i of every block (x86 is little-endian) */
        x[i] = _mm256_i32gather_epi32(base + i, idx, 4);
    for (int i = 0; i < 5; i++)
        iv[i] = _mm256_set1_epi32((int)IV[i]);
    __m256i al = iv[0], bl = iv[1], cl = iv[2], dl = iv[3], el = iv[4];
    __m256i ar = al, br = bl, cr = cl, dr = dl, er = el, t;
    VL5(0); VR5(0); VL5(5); VR5(5); VL5(10); VR5(10); VL5(15); VR5(15);
    VL5(20); VR5(20); VL5(25); VR5(25); VL5(30); VR5(30); VL5(35); VR5(35);
    VL5(40); VR5(40); VL5(45); VR5(45); VL5(50); VR5(50); VL5(55); VR5(55);
    VL5(60); VR5(60); VL5(65); VR5(65); VL5(70); VR5(70); VL5(75); VR5(75);
    /* the same final mix as compress() */
    t = _mm256_add_epi32(_mm256_add_epi32(iv[1], cl), dr);
    _mm256_storeu_si256((__m256i *)(void *)h[1], _mm256_add_epi32(_mm256_add_epi32(iv[2], dl), er));
    _mm256_storeu_si256((__m256i *)(void *)h[2], _mm256_add_epi32(_mm256_add_epi32(iv[3], el), ar));
    _mm256_storeu_si256((__m256i *)(void *)h[3], _mm256_add_epi32(_mm256_add_epi32(iv[4], al), br));
    _mm256_storeu_si256((__m256i *)(void *)h[4], _mm256_add_epi32(_mm256_add_epi32(iv[0], bl), cr));
    _mm256_storeu_si256((__m256i *)(void *)h[0], t);
    for (size_t l = 0; l < n; l++) {
        uint32_t w[5] = {h[0][l], h[1][l], h[2][l], h[3][l], h[4][l]};
        put_digest(w, out[l]);
    }
}
#endif

void aero_digest_blocks(const uint8_t (*blocks)[AERO_DIGEST_BLOCK_SZ], size_t n,
                        uint8_t (*out)[AERO_DIGEST_SZ])
{
#ifdef HAVE_DIGEST_X8
    if (n >= 3 && __builtin_cpu_supports("avx2")) {   /* fewer: one at a time is as quick */
        for (size_t i = 0; i < n; i += 8)
            blocks_x8(blocks + i, n - i < 8 ? n - i : 8, out + i);
        return;
    }
#endif
    blocks_scalar(blocks, n, out);
}

uint16_t aero_partition_id(const uint8_t digest[AERO_DIGEST_SZ])
{
    return (uint16_t)((digest[0] | (digest[1] << 8)) & 0x0FFF);
}
