/* src/common/status.c: names, messages and classes from STATUS_MAP. */
#include "common.h"

static const struct {
    const char *name;
    const char *msg;
    enum status_class cls;
} status_table[] = {
#define X(name, cls, msg) {#name, msg, cls},
    STATUS_MAP(X)
#undef X
};

const char *status_name(enum status st)
{
    return (unsigned)st < ST__COUNT ? status_table[st].name : "UNKNOWN";
}

const char *status_str(enum status st)
{
    return (unsigned)st < ST__COUNT ? status_table[st].msg : "unknown status";
}

enum status_class status_class(enum status st)
{
    return (unsigned)st < ST__COUNT ? status_table[st].cls : CLASS_FATAL;
}

const char *status_class_name(enum status_class c)
{
    switch (c) {
    case CLASS_OK: return "OK";
    case CLASS_AGAIN: return "AGAIN";
    case CLASS_RETRIABLE: return "RETRIABLE";
    case CLASS_RECORD: return "RECORD";
    case CLASS_FATAL: return "FATAL";
    }
    return "FATAL";
}
