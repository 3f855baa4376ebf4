/* tests/fuzz/protobuf_schema_fuzz.c: the .proto parser (src/convert/protobuf_schema.c) on
 * arbitrary text; a schema that parses is then used to decode a few fixed byte strings as each
 * of its first messages, and its compiled tree is checked for dangling indexes. */
#include <stdlib.h>
#include <string.h>

#include "convert/protobuf_int.h"

static void check_tree(const struct conv__pbsc *s)
{
    if (s->ntop == 0 || s->ntop > s->nmsgs)
        abort();
    for (uint32_t m = 0; m < s->nmsgs; m++) {
        const struct conv__pbmsg *msg = &s->msgs[m];
        if ((uint64_t)msg->first + msg->n > s->nfields || (uint64_t)msg->kfirst + msg->nkids > s->nmsgs ||
            (uint64_t)msg->ofirst + msg->noneofs > s->noneofs)
            abort();
        for (uint32_t i = 0; i < msg->n; i++) {
            const struct conv__pbfield *f = &s->fields[msg->first + i];
            if (f->owner != m || s->bynum[msg->first + i] < msg->first || s->bynum[msg->first + i] >= msg->first + msg->n)
                abort();
            if ((f->type == PB_MESSAGE && f->ref >= s->nmsgs) || (f->type == PB_ENUM && f->ref >= s->nenums) ||
                f->type < PB_DOUBLE || f->type > PB_SINT64)
                abort();
            if (i && s->fields[s->bynum[msg->first + i - 1]].number >= s->fields[s->bynum[msg->first + i]].number)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct conv_doc *doc;
    static const uint8_t bodies[][12] = {
        {0}, {0x08, 0x96, 0x01, 0x12, 0x02, 'h', 'i', 0x1a, 0x00, 0, 0, 0},
        {0x0a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x15, 1, 2, 3, 4, 0},
        {0x22, 0x03, 0x01, 0x02, 0x03, 0x29, 1, 2, 3, 4, 5, 6},
    };
    const struct conv__pb_opts opts[2] = {{false, false, true}, {true, true, false}};
    struct err e;
    struct conv__pbsc *s;

    if (!doc) {
        struct conv_limits lim = {32, 10000, 1u << 20};
        doc = conv_doc_new();
        conv_doc_set_limits(doc, &lim);
    }
    e.msg[0] = '\0';
    s = conv__pbsc_parse((const char *)data, size, &e);
    if (!s) {
        if (!e.msg[0])
            abort();
        return 0;
    }
    check_tree(s);
    for (uint32_t m = 0; m < s->nmsgs && m < 4; m++)
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
            for (size_t n = 0; n <= sizeof(bodies[0]); n += 3) {
                e.msg[0] = '\0';
                if (conv__pb_decode_value(s, m, &opts[(i + n) & 1], bodies[i], n, doc, &e) != ST_OK && !e.msg[0])
                    abort();
            }
    conv__pbsc_free(s);
    return 0;
}
