/* tests/fuzz/testd_request_fuzz.c: aerospike-testd's request handling on untrusted bytes.
 * The input is treated as what a client sends on one connection: proto messages one after
 * the other, each checked by the framing parser, then info (type 1) or AS_MSG (type 3,
 * including batches) executed against a small store, exactly as the server does. The same
 * bytes also go through the standalone parsers (AS_MSG, batch rows, msgpack particles and CDT
 * payloads). The server's sources are included: they are a tool, not library objects. */
#include "../../tools/aerospike-testd/parse.c"
#include "../../tools/aerospike-testd/cdt.c"
#include "../../tools/aerospike-testd/store.c"
#include "../../tools/aerospike-testd/exec.c"
#include "../../tools/aerospike-testd/info.c"
#include "../../tools/aerospike-testd/snapshot.c"

/* server.c is not linked: the pieces exec.c/info.c need. */
uint64_t td_rand(struct td_ctx *c)
{
    c->rng = c->rng * 6364136223846793005ull + 1442695040888963407ull;
    return c->rng >> 1;
}

static struct td_ctx *ctx(void)
{
    static struct td_ctx c;
    static bool ready;
    if (!ready) {
        td_store_add_ns(&c.store, "test", NULL);
        td_store_add_ns(&c.store, "bar", NULL);
        c.store.ns[1].nsup_period = 0;
        c.store.ns[1].max_record_size = 4096;
        c.n_nodes = 2;
        c.nodes[0].up = c.nodes[1].up = true;
        c.nodes[0].id = 0xBB9000000000001ull;
        c.nodes[1].id = 0xBB9000000000002ull;
        for (int pid = 0; pid < AERO_PARTITIONS; pid++) {
            c.master[pid] = (int8_t)(pid & 1);
            c.replica[pid] = (int8_t)!(pid & 1);
        }
        snprintf(c.cluster_name, sizeof(c.cluster_name), "fuzz");
        ready = true;
    }
    return &c;
}

static void parsers_only(const uint8_t *d, size_t n)
{
    struct td_msg m;
    struct buf out = BUF_INIT, res = BUF_INIT;
    uint8_t np, rp;
    bool pass;

    (void)td_filter_eval(d, n, NULL, &pass);   /* the bytes as a filter expression */

    if (td_msg_parse(d, n, &m) == 0) {
        const uint8_t *cur = m.ops;
        struct td_op op;
        while (td_op_next(&cur, m.ops_end, &op))
            ;
        if (m.has_batch) {
            struct td_batch b;
            struct td_msg row;
            uint32_t idx;
            if (td_batch_begin(&b, m.batch, m.batch_len, 0) == 0)
                while (td_batch_next(&b, &row, &idx) == 0) {
                    cur = row.ops;
                    while (td_op_next(&cur, row.ops_end, &op))
                        ;
                }
        }
    }
    td_mp_store(n && (d[0] & 1) ? AERO_PT_MAP : AERO_PT_LIST, d, n, &out);
    td_cdt_check(d, n);
    /* CDT payload applied to the first half used as the stored value */
    buf_reset(&out);
    td_cdt_apply(n && (d[0] & 2), d + n / 2, n - n / 2, n && (d[0] & 4) ? AERO_PT_MAP : AERO_PT_LIST,
                 d, n / 2, &np, &out, &rp, &res);
    buf_free(&out);
    buf_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct td_ctx *c = ctx();
    struct buf out = BUF_INIT;
    const uint8_t *p = d, *end = d + n;
    bool ua = false;

    parsers_only(d, n);
    while (p < end) {
        uint8_t type;
        uint64_t size;
        if (td_frame_check(p, (size_t)(end - p), &type, &size) != TD_FRAME_OK)
            break;
        if (size > (uint64_t)(end - p) - 8)
            break;
        buf_reset(&out);
        if (type == AERO_PROTO_INFO) {
            struct td_info_result ir;
            td_info(c, 0, p + 8, size, &ua, &out, &ir);
        } else if (type == AERO_PROTO_MSG) {
            td_exec_message(c, (int)(size & 1), p + 8, size, &out);
        }
        p += 8 + size;
    }
    buf_free(&out);
    for (int i = 0; i < c->store.n_ns; i++) {
        td_ns_truncate(&c->store.ns[i]);
        c->store.ns[i].n_sets = 1;        /* each input starts from an empty namespace */
    }
    c->fail_rate = 0;
    c->latency_ms = 0;
    return 0;
}
