/* libFuzzer target: the admin (security, proto type 2) message parser (wire doc §9.1) that
 * reads LOGIN/AUTHENTICATE replies in the client and requests in aerospike-testd. Invariants:
 * every field lies inside the input and the count is bounded (a violation traps). */
#include <stddef.h>
#include <stdint.h>

#include "aerospike/aero_sec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct aero_admin_view v;

    if (aero_admin_parse(data, size, &v, NULL) != ST_OK)
        return 0;
    if (v.n_fields > AERO_ADMIN_MAX_FIELDS)
        __builtin_trap();
    for (unsigned i = 0; i < v.n_fields; i++) {
        const struct aero_admin_field *f = &v.fields[i];
        if (f->p < data || f->p + f->n > data + size)
            __builtin_trap();
    }
    (void)aero_admin_field(&v, AERO_ADMIN_FIELD_SESSION_TOKEN);
    return 0;
}
