/* src/aerospike/aero_bcrypt.c: bcrypt (Provos & Mazieres, "A Future-Adaptable Password
 * Scheme", 1999): EksBlowfish setup with cost 2^N, then "OrpheanBeholderScryDoubt" encrypted
 * 64 times. Aerospike sends bcrypt(password, fixed salt) as the LOGIN credential (wire doc
 * §9.1), computed by the official clients with Openwall's crypt_blowfish, so the details
 * below follow that implementation's observable behaviour:
 *   - the key is the password bytes plus their NUL, repeated cyclically over 72 bytes;
 *   - "$2a$" carries crypt_blowfish's countermeasure for 8-bit passwords (the initial P[0]
 *     is changed for the rare passwords whose sign-extension-bug key would equal the correct
 *     one), "$2b$"/"$2y$" are plain, "$2x$" reproduces the old sign-extension bug;
 *   - the last salt character is normalised (only its top 2 bits count) and 23 of the 24
 *     output bytes are encoded.
 * Pure and thread-safe: the whole state lives on the caller's stack (4 KiB). */
#include <string.h>

#include "aero_sec.h"

#include "aero_bcrypt_init.h"

struct bf {
    uint32_t p[18];
    uint32_t s[4][256];
};

static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static inline uint32_t bf_f(const struct bf *b, uint32_t x)
{
    return ((b->s[0][x >> 24] + b->s[1][(x >> 16) & 0xFF]) ^ b->s[2][(x >> 8) & 0xFF]) +
           b->s[3][x & 0xFF];
}

static inline void bf_encrypt(const struct bf *b, uint32_t *pl, uint32_t *pr)
{
    uint32_t l = *pl, r = *pr;

    for (int i = 0; i < 16; i += 2) {
        l ^= b->p[i];
        r ^= bf_f(b, l) ^ b->p[i + 1];
        l ^= bf_f(b, r);
    }
    l ^= b->p[16];
    *pl = r ^ b->p[17];
    *pr = l;
}

/* Encrypt a chain of blocks through P and then the S-boxes, each block XORed with the next
 * salt half first (@salt NULL: no XOR). */
static void bf_chain(struct bf *b, const uint32_t *salt)
{
    uint32_t l = 0, r = 0;
    unsigned k = 0;

    for (int i = 0; i < 18; i += 2, k ^= 2) {
        if (salt) {
            l ^= salt[k];
            r ^= salt[k + 1];
        }
        bf_encrypt(b, &l, &r);
        b->p[i] = l;
        b->p[i + 1] = r;
    }
    for (int s = 0; s < 4; s++) {
        for (int i = 0; i < 256; i += 2, k ^= 2) {
            if (salt) {
                l ^= salt[k];
                r ^= salt[k + 1];
            }
            bf_encrypt(b, &l, &r);
            b->s[s][i] = l;
            b->s[s][i + 1] = r;
        }
    }
}

/* Key words from the password (with its NUL, cyclic), into @key; P = init ^ key.
 * @flags: 1 = sign-extension bug ($2x$), 2 = the $2a$ countermeasure. */
static void bf_set_key(struct bf *b, const char *password, uint32_t key[18], unsigned flags)
{
    const char *ptr = password;
    uint32_t sign = 0, diff = 0, safety = (uint32_t)(flags & 2) << 15;
    unsigned bug = flags & 1;

    for (int i = 0; i < 18; i++) {
        uint32_t good = 0, buggy = 0;
        for (int j = 0; j < 4; j++) {
            good = (good << 8) | (unsigned char)*ptr;
            buggy = (buggy << 8) | (uint32_t)(int32_t)(signed char)*ptr;
            if (j)
                sign |= buggy & 0x80;
            if (*ptr)
                ptr++;
            else
                ptr = password;
        }
        diff |= good ^ buggy;
        key[i] = bug ? buggy : good;
        b->p[i] = bf_init_p[i] ^ key[i];
    }
    diff |= diff >> 16;
    diff &= 0xFFFF;
    diff += 0xFFFF;                 /* bit 16 set iff the two keys differ */
    sign <<= 9;                     /* an 8-bit character that the bug would smear: bit 16 */
    sign &= ~diff & safety;
    b->p[0] ^= sign;
}

static int b64_val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* 22 characters -> 16 bytes. False on a character outside the alphabet. */
static bool b64_decode16(const char *s, uint8_t out[16])
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;

    for (int i = 0; i < 22; i++) {
        int v = b64_val(s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n < 16)
                out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n == 16;
}

static void b64_encode(const uint8_t *p, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            *out++ = b64[(acc >> bits) & 0x3F];
        }
    }
    if (bits > 0)
        *out++ = b64[(acc << (6 - bits)) & 0x3F];
    *out = '\0';
}

enum status aero_bcrypt(const char *password, const char *setting, char out[AERO_BCRYPT_LEN + 1],
                        struct err *e)
{
    static const char magic[24] = "OrpheanBeholderScryDoubt";
    struct bf b;
    uint32_t key[18], salt[4], text[6];
    uint8_t raw[24], salt_bytes[16];
    unsigned flags, cost;
    uint64_t rounds;

    out[0] = '\0';
    if (strlen(setting) < 29 || setting[0] != '$' || setting[1] != '2' || setting[3] != '$' ||
        setting[4] < '0' || setting[4] > '9' || setting[5] < '0' || setting[5] > '9' ||
        setting[6] != '$')
        return err_set(e, ST_USAGE, "bcrypt: setting is not $2?$NN$<22 salt characters>");
    switch (setting[2]) {
    case 'a': flags = 2; break;
    case 'b':
    case 'y': flags = 0; break;
    case 'x': flags = 1; break;
    default: return err_set(e, ST_USAGE, "bcrypt: unknown variant $2%c$", setting[2]);
    }
    cost = (unsigned)(setting[4] - '0') * 10 + (unsigned)(setting[5] - '0');
    if (cost < 4 || cost > 31)
        return err_set(e, ST_USAGE, "bcrypt: cost %u outside 4..31", cost);
    if (!b64_decode16(setting + 7, salt_bytes))
        return err_set(e, ST_USAGE, "bcrypt: salt has a character outside ./A-Za-z0-9");
    for (int i = 0; i < 4; i++)
        salt[i] = load_u32be(salt_bytes + 4 * i);

    memcpy(b.s, bf_init_s, sizeof(b.s));
    bf_set_key(&b, password, key, flags);
    bf_chain(&b, salt);
    rounds = 1ull << cost;
    while (rounds--) {
        for (int i = 0; i < 18; i++)
            b.p[i] ^= key[i];
        bf_chain(&b, NULL);
        for (int i = 0; i < 18; i++)
            b.p[i] ^= salt[i & 3];
        bf_chain(&b, NULL);
    }
    for (int i = 0; i < 6; i++)
        text[i] = load_u32be((const uint8_t *)magic + 4 * i);
    for (int i = 0; i < 6; i += 2)
        for (int n = 0; n < 64; n++)
            bf_encrypt(&b, &text[i], &text[i + 1]);
    for (int i = 0; i < 6; i++)
        store_u32be(raw + 4 * i, text[i]);

    memcpy(out, setting, 28);
    out[28] = b64[b64_val(setting[28]) & 0x30];
    b64_encode(raw, 23, out + 29);
    explicit_bzero(&b, sizeof(b));   /* key-derived state */
    explicit_bzero(key, sizeof(key));
    return ST_OK;
}
