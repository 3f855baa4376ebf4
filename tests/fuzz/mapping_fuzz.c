/* tests/fuzz/mapping_fuzz.c: record values (arbitrary bytes through the schemaless JSON
 * converter) mapped by three mappings: all value fields, dynamic namespace/set/key/TTL with
 * renamed bins, and type operate with every operation. Whatever the value, mapping_encode
 * either refuses it (a record-class error with a message, nothing appended) or appends one
 * request that parses back with as many ops as it reported. */
#include <stdlib.h>
#include <string.h>

#include "convert/convert.h"
#include "mapping/mapping.h"

static const struct mapping_bin renamed[] = {{"n", "name"}, {"a_bin_name_15ch", "x"}};
static const struct mapping_rop rops[] = {
    {MAPPING_ROP_LIST_APPEND, "recent", "url", {0}, NULL, NULL},
    {MAPPING_ROP_INCREMENT, "clicks", NULL, {MAPPING_SCALAR_INT, 1, 0, false, NULL}, NULL, NULL},
    {MAPPING_ROP_INCREMENT, "total", "n", {0}, NULL, NULL},
    {MAPPING_ROP_MAP_PUT, "by_src", "url", {0}, "src", NULL},
    {MAPPING_ROP_MAP_PUT, "fixed", "url", {0}, NULL, "k"},
    {MAPPING_ROP_WRITE, "last", "url", {0}, NULL, NULL},
};
static const struct mapping_spec specs[] = {
    {.topic = "t", .op = MAPPING_OP_WRITE, .ns = {MAPPING_SRC_STATIC, "test"},
     .set = {MAPPING_SRC_STATIC, "s"}, .key_kind = MAPPING_KEY_KAFKA_KEY, .all_value_fields = true,
     .on_null_value = MAPPING_NULL_SKIP},
    {.topic = "t", .op = MAPPING_OP_WRITE, .ns = {MAPPING_SRC_VALUE_FIELD, "ns"},
     .set = {MAPPING_SRC_VALUE_FIELD, "set"}, .key_kind = MAPPING_KEY_VALUE_FIELD, .key_field = "id",
     .ttl = {MAPPING_SRC_VALUE_FIELD, "ttl"}, .bins = renamed, .n_bins = 2, .send_key = true,
     .bool_as_int = true, .on_null_value = MAPPING_NULL_DELETE},
    {.topic = "t", .op = MAPPING_OP_OPERATE, .ns = {MAPPING_SRC_STATIC, "test"},
     .set = {MAPPING_SRC_STATIC, "s"}, .key_kind = MAPPING_KEY_DIGEST_FIELD, .key_field = "d",
     .rops = rops, .n_rops = 6, .on_null_value = MAPPING_NULL_INVALID},
};

static struct conv_converter *json, *str;
static struct conv_doc *key, *val;
static struct mapping *maps[3];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const props[] = {"schemas.enable", "false", NULL};
    struct buf req = BUF_INIT;
    struct err e;

    if (!json) {
        json = conv_converter_new("org.apache.kafka.connect.json.JsonConverter", props, &e);
        str = conv_converter_new("org.apache.kafka.connect.storage.StringConverter", NULL, &e);
        key = conv_doc_new();
        val = conv_doc_new();
        for (size_t i = 0; i < 3; i++)
            if (!(maps[i] = mapping_new(&specs[i], &e)))
                abort();
        if (!json || !str || !key || !val)
            abort();
    }
    if (conv_decode(str, (const uint8_t *)"k1", 2, key, &e) != ST_OK)
        abort();
    if (conv_decode(json, data, size, val, &e) != ST_OK)
        return 0;
    for (size_t i = 0; i < 3; i++) {
        struct mapping_input in = {.key = key, .value = val, .now_ms = 1700000000000ull,
                                   .transaction_ttl_ms = 1000};
        struct mapping_result res;
        struct aero_msg_view v;
        enum status st;

        buf_reset(&req);
        err_clear(&e);
        st = mapping_encode(maps[i], &in, &req, &res, &e);
        if (st != ST_OK) {
            if (status_class(st) != CLASS_RECORD || !e.msg[0] || req.len != 0)
                abort();   /* a refusal says why and leaves nothing behind */
            continue;
        }
        if (res.action == MAPPING_SKIP) {
            if (!res.skip_reason || req.len != 0)
                abort();
            continue;
        }
        if (req.len < 8 + 22 || (load_u64be(req.p) & 0xFFFFFFFFFFFFull) != req.len - 8 ||
            aero_msg_parse(req.p + 8, req.len - 8, &v, &e) != ST_OK || v.end != req.p + req.len)
            abort();
        if (res.action == MAPPING_WRITE && (v.n_ops == 0 || v.n_ops != res.n_bins))
            abort();
        if (res.action == MAPPING_DELETE && v.n_ops != 0)
            abort();
        for (const uint8_t *cur = v.ops; v.n_ops;) {   /* every op readable */
            struct aero_bin_view b;
            st = aero_msg_next_bin(&v, &cur, &b, &e);
            if (st == ST_EOF)
                break;
            if (st != ST_OK || b.name_len == 0 || b.name_len > 15)
                abort();
        }
    }
    buf_free(&req);
    return 0;
}
