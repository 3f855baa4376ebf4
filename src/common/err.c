/* src/common/err.c: the error struct. */
#include <stdio.h>
#include <string.h>

#include "common.h"

enum status err_vset(struct err *e, enum status st, const char *fmt, va_list ap)
{
    if (!e)
        return st;
    e->status = st;
    e->aero_rc = 0;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    return st;
}

enum status err_set(struct err *e, enum status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, st, fmt, ap);
    va_end(ap);
    return st;
}

enum status err_prefix(struct err *e, const char *fmt, ...)
{
    char pre[ERR_MSG_LEN], old[ERR_MSG_LEN];
    va_list ap;

    if (!e)
        return ST_OK;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof(old));
    size_t pl = strnlen(pre, sizeof(e->msg) - 3);
    memcpy(e->msg, pre, pl);
    memcpy(e->msg + pl, ": ", 2);
    size_t ol = strnlen(old, sizeof(e->msg) - pl - 3);
    memcpy(e->msg + pl + 2, old, ol);
    e->msg[pl + 2 + ol] = '\0';
    return e->status;
}

void err_clear(struct err *e)
{
    if (!e)
        return;
    e->status = ST_OK;
    e->aero_rc = 0;
    e->msg[0] = '\0';
}
