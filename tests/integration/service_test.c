/* tests/integration/service_test.c: `aerosink standalone` under a stand-in for systemd's
 * Type=notify: the test owns the $NOTIFY_SOCKET datagram socket, as systemd does, and checks
 * that READY=1 comes from the main pid once the connector runs, never after a configuration
 * error or an unreachable Aerospike (those exit 2 / 1 so that Restart= rules can tell them
 * apart), and that SIGTERM (systemctl stop) still ends with exit 0. */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "../harness.h"
#include "../support/testutil.h"

struct notify {
    int fd;
    char env[300];   /* "NOTIFY_SOCKET=<path>" */
};

static void notify_open(struct notify *nt, const char *dir)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int one = 1;
    int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);

    ASSERT_TRUE(n > 0 && (size_t)n < sizeof(sa.sun_path));
    nt->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(nt->fd >= 0);
    ASSERT_EQ_INT(bind(nt->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ASSERT_EQ_INT(setsockopt(nt->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
    snprintf(nt->env, sizeof(nt->env), "NOTIFY_SOCKET=%s", sa.sun_path);
}

/* Wait up to @timeout_ms for one datagram; returns the sender pid, or -1 when none came. */
static pid_t notify_recv(struct notify *nt, int timeout_ms, char *out, size_t cap)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    struct iovec iov = {out, cap - 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl)};
    pid_t pid = 0;
    ssize_t n;

    setsockopt(nt->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    n = recvmsg(nt->fd, &mh, 0);
    if (n < 0)
        return -1;
    out[n] = '\0';
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred uc;
            memcpy(&uc, CMSG_DATA(c), sizeof(uc));
            pid = uc.pid;
        }
    return pid;
}

/* worker.properties, connector.properties and the mapping for one topic "t" -> test/svc. */
static void write_configs(const char *dir, const char *bootstrap, const char *aero_hostport,
                          const char *invalid_record)
{
    char text[2048];

    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=1000\n"
             "consumer.session.timeout.ms=6000\n"
             "consumer.fetch.wait.max.ms=20\n",
             bootstrap);
    tu_write_file(dir, "worker.properties", text);
    tu_write_file(dir, "connector.properties",
                  "name=svc-test\n"
                  "connector.class=com.aerospike.connect.kafka.inbound.AerospikeSinkConnector\n"
                  "topics=t\n"
                  "aerospike.config.file=aerospike-kafka-inbound.yml\n");
    snprintf(text, sizeof(text),
             "aerospike:\n"
             "  seeds:\n"
             "    - %s\n"
             "topics:\n"
             "  t:\n"
             "    invalid-record: %s\n"
             "    mapping:\n"
             "      namespace: {mode: static, value: test}\n"
             "      set: {mode: static, value: svc}\n"
             "      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             aero_hostport, invalid_record);
    tu_write_file(dir, "aerospike-kafka-inbound.yml", text);
}

static struct tu_proc *start_sink(const char *dir, const struct notify *nt)
{
    char wp[600], cp[600];
    const char *argv[] = {tu_bin("aerosink"), "standalone", "--progress", "0", wp, cp, NULL};
    const char *env[] = {nt->env, NULL};

    snprintf(wp, sizeof(wp), "%s/worker.properties", dir);
    snprintf(cp, sizeof(cp), "%s/connector.properties", dir);
    return tu_proc_start(argv, env);
}

/* The first host:port of "h:p[,h:p...]". */
static void first_host(const char *hosts, char *out, size_t cap)
{
    size_t n = strcspn(hosts, ",");
    snprintf(out, cap, "%.*s", (int)MIN(n, cap - 1), hosts);
}

TEST(ready_comes_from_the_main_pid_once_running_and_sigterm_exits_0)
{
    const char *topics[] = {"t:2", NULL};
    char bootstrap[256], hosts[256], host[256], got[512];
    struct tu_proc *kafka = tu_kafka_start(topics, 1, bootstrap, sizeof(bootstrap));
    struct tu_proc *aero = tu_aerospike_start(NULL, hosts, sizeof(hosts));
    const char *dir = tu_tmpdir();
    struct notify nt;
    struct tu_proc *sink;
    pid_t from;

    first_host(hosts, host, sizeof(host));
    write_configs(dir, bootstrap, host, "ignore");
    notify_open(&nt, dir);
    sink = start_sink(dir, &nt);
    from = notify_recv(&nt, (int)(30000 * test_timeout_scale()), got, sizeof(got));
    if (from < 0) {
        char *err = tu_proc_stderr(sink);
        TEST_FAIL("no READY=1 within 30 s; aerosink stderr:\n%s", err);
    }
    ASSERT_EQ_INT(from, tu_proc_pid(sink));
    ASSERT_EQ_STR(got, "READY=1\nSTATUS=running 1 connector(s)");
    ASSERT_TRUE(tu_proc_running(sink));
    ASSERT_EQ_INT(tu_proc_stop(sink, SIGTERM, (int)(30000 * test_timeout_scale())), 0);
    /* exactly one notification: nothing else arrived */
    ASSERT_EQ_INT(notify_recv(&nt, 200, got, sizeof(got)), -1);
    tu_proc_free(sink);
    close(nt.fd);
    tu_proc_free(aero);
    tu_proc_free(kafka);
}

TEST(no_ready_on_a_configuration_error_exit_2)
{
    char got[512];
    const char *dir = tu_tmpdir();
    struct notify nt;
    struct tu_proc *sink;
    char *err;

    /* Nothing needs to run: the configuration is checked before anything is contacted. */
    write_configs(dir, "127.0.0.1:1", "127.0.0.1:1", "ignor");
    notify_open(&nt, dir);
    sink = start_sink(dir, &nt);
    ASSERT_EQ_INT(tu_proc_wait(sink, (int)(20000 * test_timeout_scale())), 2);
    err = tu_proc_stderr(sink);
    ASSERT_CONTAINS(err, "invalid-record");
    mem_free(err);
    ASSERT_EQ_INT(notify_recv(&nt, 200, got, sizeof(got)), -1);
    tu_proc_free(sink);
    close(nt.fd);
}

TEST(no_ready_when_aerospike_is_unreachable_exit_1)
{
    const char *topics[] = {"t:1", NULL};
    char bootstrap[256], closed[64], got[512];
    struct tu_proc *kafka = tu_kafka_start(topics, 1, bootstrap, sizeof(bootstrap));
    const char *dir = tu_tmpdir();
    struct notify nt;
    struct tu_proc *sink;
    char *err;

    snprintf(closed, sizeof(closed), "127.0.0.1:%d", tu_free_ports(1));   /* nobody listens */
    write_configs(dir, bootstrap, closed, "ignore");
    notify_open(&nt, dir);
    sink = start_sink(dir, &nt);
    ASSERT_EQ_INT(tu_proc_wait(sink, (int)(30000 * test_timeout_scale())), 1);
    err = tu_proc_stderr(sink);
    ASSERT_CONTAINS(err, closed);
    mem_free(err);
    ASSERT_EQ_INT(notify_recv(&nt, 200, got, sizeof(got)), -1);
    tu_proc_free(sink);
    close(nt.fd);
    tu_proc_free(kafka);
}

TEST_LIST = {
    T(ready_comes_from_the_main_pid_once_running_and_sigterm_exits_0),
    T(no_ready_on_a_configuration_error_exit_2),
    T(no_ready_when_aerospike_is_unreachable_exit_1),
    {0},
};
