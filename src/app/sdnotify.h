/* src/app/sdnotify.h: systemd service notifications (the sd_notify(3) protocol) without libsystemd.
 * Owns: sending one datagram of newline-separated "KEY=VALUE" assignments ("READY=1",
 *       "STATUS=...", "STOPPING=1") to the AF_UNIX socket named by $NOTIFY_SOCKET: a path
 *       ("/run/systemd/notify") or an abstract name ("@name"). systemd sets it for units with
 *       Type=notify; everywhere else it is unset and these calls do nothing.
 * Not here: watchdog keep-alives, file-descriptor passing, vsock addresses (not used by us).
 * Threads: any; no state (each call opens, sends and closes its own socket). Send from the main
 *          process: with NotifyAccess=main systemd accepts datagrams from the main PID only, which
 *          every thread of aerosink is.
 * Errors: enum status + struct err (naming the socket); ST_NOT_FOUND means "not under systemd". */
#ifndef AEROSINK_APP_SDNOTIFY_H
#define AEROSINK_APP_SDNOTIFY_H

#include "common/common.h"

/* Send @state (e.g. "READY=1\nSTATUS=running") to $NOTIFY_SOCKET.
 * ST_OK: sent. ST_NOT_FOUND: $NOTIFY_SOCKET is unset or empty (nothing to do).
 * ST_CONFIG: the address is not one we can use (relative path, too long, vsock:).
 * ST_IO / ST_UNAVAILABLE: socket() or sendto() failed (e.g. the socket is gone). */
enum status app_sd_notify(const char *state, struct err *e);

/* "READY=1" plus "STATUS=<printf @status_fmt>" in one datagram. Prints one line to stderr when
 * $NOTIFY_SOCKET is set but the send fails (systemd would then time the start out); returns the
 * status of app_sd_notify. */
enum status app_sd_ready(const char *status_fmt, ...) PRINTF_LIKE(1, 2);

#endif
