/* libFuzzer target: the client's reply path (proto header, AS_MSG, ops, msgpack values),
 * over a stream of concatenated replies as a socket would deliver them. */
#include <stddef.h>
#include <stdint.h>

#include "aerospike/aero.h"

static void walk_msgpack(const uint8_t *p, size_t n)
{
    struct aero_mp_reader r;
    struct aero_mp_item it;
    aero_mp_reader_init(&r, p, n);
    for (int i = 0; i < 10000 && aero_mp_next(&r, &it) == ST_OK; i++)
        ;
    aero_mp_reader_init(&r, p, n);
    aero_mp_skip(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct aero_proto_header h;
    struct aero_msg_view v;
    struct aero_bin_view bin;

    while (n >= AERO_PROTO_HEADER_SZ) {
        if (aero_proto_parse(d, 1u << 20, &h, NULL) != ST_OK || h.size > n - AERO_PROTO_HEADER_SZ)
            return 0;
        const uint8_t *body = d + AERO_PROTO_HEADER_SZ, *bend = body + h.size;
        if (h.type == AERO_PROTO_MSG) {
            /* the row results of a batch write, as the worker reads them */
            struct aero_cmd cmd = {0};
            struct aero_batch_result res;
            const uint8_t *row = NULL;
            cmd.reply.p = (uint8_t *)(uintptr_t)body;
            cmd.reply.len = h.size;
            for (int i = 0; i < 100000 && aero_batch_next_result(&cmd, &row, &res, NULL) == ST_OK; i++)
                ;
            /* batch replies: several messages back to back */
            const uint8_t *m = body;
            while (m < bend && aero_msg_parse(m, (size_t)(bend - m), &v, NULL) == ST_OK) {
                const uint8_t *cur = v.ops;
                while (aero_msg_next_bin(&v, &cur, &bin, NULL) == ST_OK)
                    if (bin.particle == AERO_PT_LIST || bin.particle == AERO_PT_MAP)
                        walk_msgpack(bin.value, bin.value_len);
                if (v.end == m)
                    break;
                m = v.end;
            }
        } else if (h.type == AERO_PROTO_INFO) {
            const char *val;
            size_t vl;
            aero_info_value((const char *)body, h.size, "node", &val, &vl);
        }
        d = bend;
        n -= AERO_PROTO_HEADER_SZ + h.size;
    }
    return 0;
}
