/* src/aerospike/aero_digest.c: key digests (wire doc §3.4) and partition ids (§3.5).
 * Uses libcrypto's RIPEMD-160 block functions: no allocation and no provider lookup per
 * record (the EVP path allocates a context per digest). They are marked deprecated in
 * OpenSSL 3 but present in Debian 12's libcrypto. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/ripemd.h>

#include "aero.h"

void aero_digest(const char *set, size_t set_len, const struct aero_key_value *key,
                 uint8_t out[AERO_DIGEST_SZ])
{
    RIPEMD160_CTX ctx;
    uint8_t type = key->type;
    uint8_t ibuf[8];

    RIPEMD160_Init(&ctx);
    if (set_len)
        RIPEMD160_Update(&ctx, set, set_len);
    RIPEMD160_Update(&ctx, &type, 1);
    if (type == AERO_PT_INTEGER) {
        store_u64be(ibuf, (uint64_t)key->i);
        RIPEMD160_Update(&ctx, ibuf, 8);
    } else if (key->n) {
        RIPEMD160_Update(&ctx, key->p, key->n);
    }
    RIPEMD160_Final(out, &ctx);
}

uint16_t aero_partition_id(const uint8_t digest[AERO_DIGEST_SZ])
{
    return (uint16_t)((digest[0] | (digest[1] << 8)) & 0x0FFF);
}
