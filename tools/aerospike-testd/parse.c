/* tools/aerospike-testd/parse.c: pure request parsing for aerospike-testd.
 * No I/O, no allocation: every view points into the caller's bytes and every length read
 * from the wire is checked against what is there (wire doc §1-§4, §7.1, §8.1).
 * Fuzzed by tests/fuzz/testd_request_fuzz.c. */
#include <string.h>

#include "testd.h"

enum td_frame td_frame_check(const uint8_t *p, size_t n, uint8_t *type, uint64_t *body_len)
{
    uint64_t size;

    if (n < AERO_PROTO_HEADER_SZ)
        return TD_FRAME_NEED_MORE;
    /* TLS ClientHello on a clear port (byte0 22, byte1 3, byte5 1): closed. */
    if (p[0] == 22 && p[1] == 3 && p[5] == 1)
        return TD_FRAME_CLOSE;
    /* version 2; version 0 tolerated only for (legacy) security messages */
    if (p[0] != AERO_PROTO_VERSION && !(p[0] == 0 && p[1] == AERO_PROTO_ADMIN))
        return TD_FRAME_CLOSE;
    if (p[1] < AERO_PROTO_INFO || p[1] > 5)
        return TD_FRAME_CLOSE;
    size = ((uint64_t)load_u16be(p + 2) << 32) | load_u32be(p + 4);
    if (size > AERO_PROTO_MAX_BODY)
        return TD_FRAME_CLOSE;
    *type = p[1];
    *body_len = size;
    return TD_FRAME_OK;
}

/* Record one field in the message; unknown types are skipped like the real server. */
static void note_field(struct td_msg *m, uint8_t type, const uint8_t *d, uint32_t n)
{
    switch (type) {
    case AERO_FIELD_NAMESPACE: m->ns = d; m->ns_len = n; m->has_ns = true; break;
    case AERO_FIELD_SET: m->set = d; m->set_len = n; m->has_set = true; break;
    case AERO_FIELD_KEY: m->key = d; m->key_len = n; m->has_key = true; break;
    case AERO_FIELD_DIGEST_RIPE: m->digest = d; m->digest_len = n; m->has_digest = true; break;
    case AERO_FIELD_BATCH:
    case AERO_FIELD_BATCH_WITH_SET: m->batch = d; m->batch_len = n; m->has_batch = true; break;
    case AERO_FIELD_FILTER: m->filter = d; m->filter_len = n; m->has_filter = true; break;
    case AERO_FIELD_MRT_ID:
    case AERO_FIELD_MRT_DEADLINE:
    case AERO_FIELD_RECORD_VERSION: m->has_mrt = true; break;
    case AERO_FIELD_UDF_PACKAGE_NAME:
    case AERO_FIELD_UDF_FUNCTION:
    case AERO_FIELD_UDF_ARGLIST:
    case AERO_FIELD_UDF_OP: m->has_udf = true; break;
    default: break;
    }
}

/* Walk @n_fields fields then @n_ops ops from *pp (bounded by end). False on any overrun. */
static bool walk_fields_ops(struct td_msg *m, const uint8_t **pp, const uint8_t *end,
                            uint32_t n_fields, uint32_t n_ops)
{
    const uint8_t *p = *pp;

    for (uint32_t i = 0; i < n_fields; i++) {
        uint32_t sz;
        if ((size_t)(end - p) < 5)
            return false;
        sz = load_u32be(p);
        if (sz < 1 || sz - 1 > (size_t)(end - p) - 5)
            return false;
        note_field(m, p[4], p + 5, sz - 1);
        p += 4 + (size_t)sz;
    }
    m->ops = p;
    for (uint32_t i = 0; i < n_ops; i++) {
        uint32_t sz;
        if ((size_t)(end - p) < 8)
            return false;
        sz = load_u32be(p);
        /* op_sz counts op, particle, flags, name_len, name and value */
        if (sz < 4 || sz > (size_t)(end - p) - 4 || p[7] > sz - 4)
            return false;
        if ((p[6] & 0x01) && (size_t)(sz - 4 - p[7]) < 8)   /* "has LUT": 8 bytes after name */
            return false;
        p += 4 + (size_t)sz;
    }
    m->ops_end = p;
    *pp = p;
    return true;
}

int td_msg_parse(const uint8_t *body, size_t n, struct td_msg *m)
{
    const uint8_t *p, *end = body + n;

    memset(m, 0, sizeof(*m));
    if (n < AERO_MSG_HEADER_SZ)
        return AERO_RC_ERR_PARAMETER;
    m->header_sz = body[0];
    m->info1 = body[1];
    m->info2 = body[2];
    m->info3 = body[3];
    m->info4 = body[4];
    m->generation = load_u32be(body + 6);
    m->record_ttl = load_u32be(body + 10);
    m->transaction_ttl = load_u32be(body + 14);
    m->n_fields = load_u16be(body + 18);
    m->n_ops = load_u16be(body + 20);
    if (m->header_sz != AERO_MSG_HEADER_SZ)
        return AERO_RC_ERR_PARAMETER;
    p = body + AERO_MSG_HEADER_SZ;
    if (!walk_fields_ops(m, &p, end, m->n_fields, m->n_ops))
        return AERO_RC_ERR_PARAMETER;
    if (p != end)                   /* trailing bytes after the last op */
        return AERO_RC_ERR_PARAMETER;
    return 0;
}

int td_batch_begin(struct td_batch *b, const uint8_t *field, size_t n, uint32_t transaction_ttl)
{
    memset(b, 0, sizeof(*b));
    if (n < 5)
        return AERO_RC_ERR_PARAMETER;
    b->count = load_u32be(field);
    b->flags = field[4];
    b->p = field + 5;
    b->end = field + n;
    b->transaction_ttl = transaction_ttl;
    if (b->count == 0)
        return AERO_RC_ERR_PARAMETER;
    /* each row needs at least 25 bytes: refuse absurd counts before doing anything */
    if ((uint64_t)b->count * 25 > (uint64_t)(b->end - b->p))
        return AERO_RC_ERR_PARAMETER;
    return 0;
}

int td_batch_next(struct td_batch *b, struct td_msg *row, uint32_t *index)
{
    const uint8_t *p = b->p, *end = b->end;
    uint8_t rflags;
    uint32_t nf, no;
    struct td_msg m;

    if (b->next >= b->count)
        return p == end ? -1 : AERO_RC_ERR_PARAMETER;
    if ((size_t)(end - p) < 25)
        return AERO_RC_ERR_PARAMETER;
    *index = load_u32be(p);
    const uint8_t *digest = p + 4;
    rflags = p[24];
    p += 25;
    if (rflags & TD_BATCH_REPEAT) {
        /* reuse the previous row; illegal first, or after a row that sent a key */
        if (!b->have_prev || b->prev.has_key)
            return AERO_RC_ERR_PARAMETER;
        m = b->prev;
    } else {
        memset(&m, 0, sizeof(m));
        m.header_sz = AERO_MSG_HEADER_SZ;
        m.transaction_ttl = b->transaction_ttl;
        if ((size_t)(end - p) < 1)
            return AERO_RC_ERR_PARAMETER;
        m.info1 = (uint8_t)(p[0] & ~(AERO_INFO1_COMPRESS_RESPONSE | AERO_INFO1_XDR));
        p++;
        if (rflags & TD_BATCH_INFO) {
            if ((size_t)(end - p) < 2)
                return AERO_RC_ERR_PARAMETER;
            m.info2 = p[0];
            m.info3 = p[1];
            p += 2;
        }
        if (rflags & TD_BATCH_INFO4) {
            if ((size_t)(end - p) < 1)
                return AERO_RC_ERR_PARAMETER;
            m.info4 = *p++;
        }
        if (rflags & TD_BATCH_GEN) {
            if ((size_t)(end - p) < 2)
                return AERO_RC_ERR_PARAMETER;
            m.generation = load_u16be(p);
            p += 2;
        }
        if (rflags & TD_BATCH_TTL) {
            if ((size_t)(end - p) < 4)
                return AERO_RC_ERR_PARAMETER;
            m.record_ttl = load_u32be(p);
            p += 4;
        }
        if ((size_t)(end - p) < 4)
            return AERO_RC_ERR_PARAMETER;
        nf = load_u16be(p);
        no = load_u16be(p + 2);
        p += 4;
        if (nf == 0)
            nf = 1;
        /* the namespace field comes first */
        if ((size_t)(end - p) < 5 || p[4] != AERO_FIELD_NAMESPACE)
            return AERO_RC_ERR_PARAMETER;
        m.n_fields = (uint16_t)nf;
        m.n_ops = (uint16_t)no;
        if (!walk_fields_ops(&m, &p, end, nf, no))
            return AERO_RC_ERR_PARAMETER;
        if (m.has_digest || m.has_batch)
            return AERO_RC_ERR_PARAMETER;
    }
    b->prev = m;
    b->have_prev = true;
    m.digest = digest;
    m.digest_len = AERO_DIGEST_SZ;
    m.has_digest = true;
    *row = m;
    b->p = p;
    b->next++;
    return 0;
}

bool td_info_next(const uint8_t **cur, const uint8_t *end, const char **cmd, size_t *len)
{
    const uint8_t *p = *cur, *nl;

    if (!p || p >= end)
        return false;
    nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return false;           /* text without a final newline is not executed */
    *cmd = (const char *)p;
    *len = (size_t)(nl - p);
    *cur = nl + 1;
    return true;
}

size_t td_info_name_len(const char *cmd, size_t len)
{
    size_t i = 0;
    while (i < len && cmd[i] != '/' && cmd[i] != ':' && cmd[i] != ';')
        i++;
    return i;
}
