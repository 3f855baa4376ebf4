/* src/aerospike/aero_rc.c: lookups over AERO_RC_MAP. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "aero_proto.h"

struct rc_entry {
    int code;
    const char *name;
    const char *msg;
    enum status_class cls;
};

static const struct rc_entry rc_table[] = {
#define X(code, name, msg, cls) {code, #name, msg, cls},
    AERO_RC_MAP(X)
#undef X
};

/* Java client names (com.aerospike.client.ResultCode) users write in configs. */
static const struct {
    const char *name;
    int code;
} java_names[] = {
    {"KEY_NOT_FOUND_ERROR", 2}, {"GENERATION_ERROR", 3},   {"PARAMETER_ERROR", 4},
    {"KEY_EXISTS_ERROR", 5},    {"BIN_EXISTS_ERROR", 6},   {"SERVER_NOT_AVAILABLE", 11},
    {"BIN_TYPE_ERROR", 12},     {"RECORD_TOO_BIG", 13},    {"KEY_BUSY", 14},
    {"KEY_MISMATCH", 19},       {"BIN_NAME_TOO_LONG", 21}, {"FAIL_FORBIDDEN", 22},
    {"FILTERED_OUT", 27},       {"LOST_CONFLICT", 28},     {"TIMEOUT", 9},
    {"DEVICE_OVERLOAD", 18},    {"SERVER_FULL", 8},        {"OK", 0},
};

static const struct rc_entry *find(int rc)
{
    for (size_t i = 0; i < ARRAY_LEN(rc_table); i++)
        if (rc_table[i].code == rc)
            return &rc_table[i];
    return NULL;
}

const char *aero_rc_name(int rc)
{
    const struct rc_entry *r = find(rc);
    return r ? r->name : NULL;
}

const char *aero_rc_message(int rc)
{
    const struct rc_entry *r = find(rc);
    return r ? r->msg : "unknown result code";
}

enum status_class aero_rc_class(int rc)
{
    const struct rc_entry *r = find(rc);
    return r ? r->cls : CLASS_FATAL;
}

enum status aero_rc_status(int rc)
{
    switch (rc) {
    case AERO_RC_OK: return ST_OK;
    case AERO_RC_ERR_NOT_FOUND: return ST_NOT_FOUND;
    case AERO_RC_ERR_RECORD_EXISTS: return ST_EXISTS;
    case AERO_RC_ERR_RECORD_TOO_BIG: return ST_TOO_BIG;
    case AERO_RC_ERR_BIN_NAME: return ST_BIN_NAME;
    case AERO_RC_ERR_TIMEOUT: return ST_TIMEOUT;
    case AERO_RC_ERR_KEY_BUSY: return ST_BUSY;
    case AERO_RC_ERR_UNAVAILABLE: return ST_UNAVAILABLE;
    case AERO_RC_CONNECTION:
    case AERO_RC_ASYNC_CONNECTION: return ST_CONNECT;
    case AERO_RC_TLS_ERROR: return ST_TLS;
    default: break;
    }
    if (rc >= 51 && rc <= 94 && rc != 66 && rc != 83)
        return ST_AUTH;
    switch (aero_rc_class(rc)) {
    case CLASS_OK: return ST_OK;
    case CLASS_RETRIABLE: return ST_SERVER;
    case CLASS_RECORD: return ST_RECORD;
    default: return ST_FATAL;
    }
}

bool aero_rc_parse(const char *s, int *rc)
{
    int64_t v;
    char up[64];
    size_t n = strlen(s);

    if (str_to_i64(s, n, &v) && v >= -1000 && v <= 1000) {
        *rc = (int)v;
        return true;
    }
    if (n >= sizeof(up))
        return false;
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)s[i]);
    for (size_t i = 0; i < ARRAY_LEN(java_names); i++) {
        if (strcmp(up, java_names[i].name) == 0) {
            *rc = java_names[i].code;
            return true;
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(rc_table); i++) {
        const char *nm = rc_table[i].name;
        if (strcmp(up, nm) == 0 || (strncmp(nm, "ERR_", 4) == 0 && strcmp(up, nm + 4) == 0)) {
            *rc = rc_table[i].code;
            return true;
        }
    }
    return false;
}
