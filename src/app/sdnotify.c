/* src/app/sdnotify.c: sd_notify(3) in a few lines: one AF_UNIX datagram to $NOTIFY_SOCKET. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

/* $NOTIFY_SOCKET -> address. "/path" is a file system socket, "@name" an abstract one. */
static enum status notify_addr(const char *name, struct sockaddr_un *sa, socklen_t *len, struct err *e)
{
    size_t n = strlen(name);

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (name[0] == '/') {
        if (n >= sizeof(sa->sun_path))
            return err_set(e, ST_CONFIG, "NOTIFY_SOCKET=%s: path longer than %zu bytes", name,
                           sizeof(sa->sun_path) - 1);
        memcpy(sa->sun_path, name, n + 1);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        return ST_OK;
    }
    if (name[0] == '@' && n > 1) {
        if (n > sizeof(sa->sun_path))
            return err_set(e, ST_CONFIG, "NOTIFY_SOCKET=%s: abstract name longer than %zu bytes", name,
                           sizeof(sa->sun_path) - 1);
        sa->sun_path[0] = '\0';   /* abstract namespace: leading NUL, no terminator */
        memcpy(sa->sun_path + 1, name + 1, n - 1);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        return ST_OK;
    }
    return err_set(e, ST_CONFIG, "NOTIFY_SOCKET=%s: expected an absolute path or @abstract-name", name);
}

enum status app_sd_notify(const char *state, struct err *e)
{
    const char *name = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    socklen_t sa_len = 0;
    size_t n = strlen(state);
    ssize_t sent;
    int fd, saved;

    if (!name || !*name)
        return err_set(e, ST_NOT_FOUND, "NOTIFY_SOCKET is not set");
    if (notify_addr(name, &sa, &sa_len, e) != ST_OK)
        return ST_CONFIG;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(e, ST_IO, "NOTIFY_SOCKET=%s: socket: %s", name, strerror(errno));
    do
        sent = sendto(fd, state, n, MSG_NOSIGNAL, (const struct sockaddr *)&sa, sa_len);
    while (sent < 0 && errno == EINTR);
    saved = errno;
    close(fd);
    if (sent < 0)
        return err_set(e, saved == ENOENT || saved == ECONNREFUSED ? ST_UNAVAILABLE : ST_IO,
                       "NOTIFY_SOCKET=%s: send: %s", name, strerror(saved));
    if ((size_t)sent != n)
        return err_set(e, ST_IO, "NOTIFY_SOCKET=%s: sent %zd of %zu bytes", name, sent, n);
    return ST_OK;
}

enum status app_sd_ready(const char *status_fmt, ...)
{
    char msg[1024];
    struct err e = {0};
    enum status st;
    va_list ap;
    int k = snprintf(msg, sizeof(msg), "READY=1\nSTATUS=");

    va_start(ap, status_fmt);
    vsnprintf(msg + k, sizeof(msg) - (size_t)k, status_fmt, ap);
    va_end(ap);
    /* one line: a newline would start a new assignment */
    for (char *p = msg + k; *p; p++)
        if (*p == '\n')
            *p = ' ';
    st = app_sd_notify(msg, &e);
    if (st != ST_OK && st != ST_NOT_FOUND)
        fprintf(stderr, "aerosink: systemd readiness notification failed: %s\n", e.msg);
    return st;
}
