/* src/app/sdnotify_test.c: app_sd_notify against a socket of our own, as systemd would listen. */
#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "../../tests/harness.h"
#include "../../tests/support/testutil.h"
#include "sdnotify.h"

/* A datagram socket bound like systemd's notify socket, with SO_PASSCRED so the sender's pid
 * arrives with each message (systemd uses it for NotifyAccess=main). */
struct listener {
    int fd;
    char name[200];   /* the NOTIFY_SOCKET value */
};

static void listen_path(struct listener *l)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int one = 1;
    struct timeval tv = {5, 0};

    snprintf(l->name, sizeof(l->name), "%s/notify", tu_tmpdir());
    ASSERT_TRUE(strlen(l->name) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, l->name, strlen(l->name) + 1);
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(l->fd >= 0);
    ASSERT_EQ_INT(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ASSERT_EQ_INT(setsockopt(l->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
    ASSERT_EQ_INT(setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    ASSERT_EQ_INT(setenv("NOTIFY_SOCKET", l->name, 1), 0);
}

static void listen_abstract(struct listener *l)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct timeval tv = {5, 0};
    int n = snprintf(l->name, sizeof(l->name), "@aerosink-test-%d-%ld", (int)getpid(), (long)time(NULL));

    memcpy(sa.sun_path + 1, l->name + 1, (size_t)n - 1);   /* sun_path[0] = 0: abstract */
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(l->fd >= 0);
    ASSERT_EQ_INT(bind(l->fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n)), 0);
    ASSERT_EQ_INT(setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    ASSERT_EQ_INT(setenv("NOTIFY_SOCKET", l->name, 1), 0);
}

/* One datagram into @out; returns the sender's pid when SO_PASSCRED is on, else 0. */
static pid_t receive(struct listener *l, char *out, size_t cap)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    struct iovec iov = {out, cap - 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl)};
    ssize_t n = recvmsg(l->fd, &mh, 0);
    pid_t pid = 0;

    if (n < 0)
        TEST_FAIL("nothing arrived on %s: %s", l->name, strerror(errno));
    out[n] = '\0';
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred uc;
            memcpy(&uc, CMSG_DATA(c), sizeof(uc));
            pid = uc.pid;
        }
    return pid;
}

TEST(not_under_systemd_is_a_no_op)
{
    struct err e = {0};
    unsetenv("NOTIFY_SOCKET");
    ASSERT_ST(app_sd_notify("READY=1", &e), ST_NOT_FOUND);
    ASSERT_ST(app_sd_ready("running"), ST_NOT_FOUND);
    setenv("NOTIFY_SOCKET", "", 1);
    ASSERT_ST(app_sd_notify("READY=1", NULL), ST_NOT_FOUND);
}

TEST(ready_arrives_on_a_path_socket_from_our_pid)
{
    struct listener l;
    char got[512];

    listen_path(&l);
    ASSERT_OK(app_sd_ready("running %d connector(s): %s", 1, "aerospike-sink"));
    ASSERT_EQ_INT(receive(&l, got, sizeof(got)), getpid());
    ASSERT_EQ_STR(got, "READY=1\nSTATUS=running 1 connector(s): aerospike-sink");

    ASSERT_OK(app_sd_notify("STOPPING=1", NULL));
    receive(&l, got, sizeof(got));
    ASSERT_EQ_STR(got, "STOPPING=1");
    close(l.fd);
}

static void *notify_from_thread(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)app_sd_notify("STATUS=from a thread", NULL);
}

TEST(a_thread_sends_as_the_main_pid)
{
    /* systemd's NotifyAccess=main compares the datagram's pid with the main PID: every thread
     * of the process must pass. */
    struct listener l;
    char got[512];
    pthread_t t;
    void *rv;

    listen_path(&l);
    ASSERT_EQ_INT(pthread_create(&t, NULL, notify_from_thread, NULL), 0);
    ASSERT_EQ_INT(pthread_join(t, &rv), 0);
    ASSERT_EQ_INT((intptr_t)rv, ST_OK);
    ASSERT_EQ_INT(receive(&l, got, sizeof(got)), getpid());
    ASSERT_EQ_STR(got, "STATUS=from a thread");
    close(l.fd);
}

TEST(ready_arrives_on_an_abstract_socket)
{
    struct listener l;
    char got[512];

    listen_abstract(&l);
    ASSERT_OK(app_sd_ready("running"));
    receive(&l, got, sizeof(got));
    ASSERT_EQ_STR(got, "READY=1\nSTATUS=running");
    close(l.fd);
}

TEST(status_is_one_line)
{
    struct listener l;
    char got[512];

    listen_path(&l);
    ASSERT_OK(app_sd_ready("two\nlines"));
    receive(&l, got, sizeof(got));
    ASSERT_EQ_STR(got, "READY=1\nSTATUS=two lines");
    close(l.fd);
}

TEST(long_status_is_cut_not_overflowed)
{
    struct listener l;
    char got[4096], big[3000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    listen_path(&l);
    ASSERT_OK(app_sd_ready("%s", big));
    receive(&l, got, sizeof(got));
    ASSERT_TRUE(strncmp(got, "READY=1\nSTATUS=xxx", 18) == 0);
    ASSERT_EQ_INT(strlen(got), 1023);
    close(l.fd);
}

TEST(unusable_addresses_are_refused_with_the_value)
{
    struct err e = {0};
    char longpath[300];

    setenv("NOTIFY_SOCKET", "run/notify", 1);
    ASSERT_ST(app_sd_notify("READY=1", &e), ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "NOTIFY_SOCKET=run/notify");
    setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    ASSERT_ST(app_sd_notify("READY=1", &e), ST_CONFIG);
    setenv("NOTIFY_SOCKET", "@", 1);
    ASSERT_ST(app_sd_notify("READY=1", &e), ST_CONFIG);
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    setenv("NOTIFY_SOCKET", longpath, 1);
    ASSERT_ST(app_sd_notify("READY=1", &e), ST_CONFIG);
    ASSERT_CONTAINS(e.msg, "longer than");
}

TEST(a_vanished_socket_is_reported)
{
    struct err e = {0};
    char path[600];

    snprintf(path, sizeof(path), "%s/gone", tu_tmpdir());
    setenv("NOTIFY_SOCKET", path, 1);
    ASSERT_ST(app_sd_notify("READY=1", &e), ST_UNAVAILABLE);
    ASSERT_CONTAINS(e.msg, path);
    ASSERT_ST(app_sd_ready("running"), ST_UNAVAILABLE);
}

TEST_LIST = {
    T(not_under_systemd_is_a_no_op),
    T(ready_arrives_on_a_path_socket_from_our_pid),
    T(a_thread_sends_as_the_main_pid),
    T(ready_arrives_on_an_abstract_socket),
    T(status_is_one_line),
    T(long_status_is_cut_not_overflowed),
    T(unusable_addresses_are_refused_with_the_value),
    T(a_vanished_socket_is_reported),
    {0},
};
