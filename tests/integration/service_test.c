/* tests/integration/service_test.c: `aerosink standalone` under a stand-in for systemd's
 * Type=notify: the test owns the $NOTIFY_SOCKET datagram socket, as systemd does, and checks
 * that READY=1 comes from the main pid once the connector runs, never after a configuration
 * error (exit 2, which the units do not restart), only once an unreachable Aerospike answers,
 * and that SIGTERM (systemctl stop) ends with exit 0 whether the unit is ready or not. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
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
static void write_configs_x(const char *dir, const char *bootstrap, const char *aero_hostport,
                            const char *invalid_record, const char *worker_extra)
{
    char text[2048];

    snprintf(text, sizeof(text),
             "%s"
             "bootstrap.servers=%s\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "value.converter.schemas.enable=false\n"
             "offset.flush.interval.ms=1000\n"
             "consumer.session.timeout.ms=6000\n"
             "consumer.fetch.wait.max.ms=20\n",
             worker_extra, bootstrap);
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

static void write_configs(const char *dir, const char *bootstrap, const char *aero_hostport,
                          const char *invalid_record)
{
    write_configs_x(dir, bootstrap, aero_hostport, invalid_record, "");
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

/* Aerospike down at start: aerosink waits for it (retrying), and READY=1 waits too, so that
 * `systemctl start` and units ordered after this one see it only once writes can succeed. */
TEST(ready_waits_for_an_unreachable_aerospike)
{
    const char *topics[] = {"t:1", NULL};
    char bootstrap[256], hostport[64], portarg[16], got[512];
    struct tu_proc *kafka, *aero, *sink;
    const char *dir = tu_tmpdir();
    struct notify nt;
    pid_t from;
    int port;
    char *err;

    if (tu_aerospike_is_real())
        TEST_SKIP("starts aerospike-testd on a chosen port later");
    kafka = tu_kafka_start(topics, 1, bootstrap, sizeof(bootstrap));
    port = tu_free_ports(1);   /* nobody listens yet */
    snprintf(hostport, sizeof(hostport), "127.0.0.1:%d", port);
    write_configs(dir, bootstrap, hostport, "ignore");
    notify_open(&nt, dir);
    sink = start_sink(dir, &nt);
    ASSERT_EQ_INT(notify_recv(&nt, 3000, got, sizeof(got)), -1);
    ASSERT_TRUE(tu_proc_running(sink));
    err = tu_proc_stderr(sink);
    ASSERT_CONTAINS(err, "Aerospike unreachable");
    ASSERT_CONTAINS(err, hostport);
    mem_free(err);

    snprintf(portarg, sizeof(portarg), "%d", port);
    {
        const char *argv[] = {tu_bin("aerospike-testd"), "--port", portarg, NULL};
        aero = tu_proc_start(argv, NULL);
        ASSERT_TRUE(tu_proc_wait_line(aero, "ready ", 20000, NULL, 0));
    }
    from = notify_recv(&nt, (int)(30000 * test_timeout_scale()), got, sizeof(got));
    ASSERT_EQ_INT(from, tu_proc_pid(sink));
    ASSERT_EQ_STR(got, "READY=1\nSTATUS=running 1 connector(s)");
    ASSERT_EQ_INT(tu_proc_stop(sink, SIGTERM, (int)(30000 * test_timeout_scale())), 0);
    tu_proc_free(sink);
    tu_proc_free(aero);
    close(nt.fd);
    tu_proc_free(kafka);
}

/* `systemctl stop` while the unit is still activating (waiting for Aerospike) is a clean stop:
 * exit 0, so that systemd does not mark the unit failed. */
TEST(sigterm_while_waiting_for_aerospike_exits_0_without_ready)
{
    char hostport[64], got[512];
    const char *dir = tu_tmpdir();
    struct notify nt;
    struct tu_proc *sink;
    char *err;

    snprintf(hostport, sizeof(hostport), "127.0.0.1:%d", tu_free_ports(1));
    write_configs(dir, "127.0.0.1:1", hostport, "ignore");
    notify_open(&nt, dir);
    sink = start_sink(dir, &nt);
    ASSERT_EQ_INT(notify_recv(&nt, 1500, got, sizeof(got)), -1);
    ASSERT_TRUE(tu_proc_running(sink));
    ASSERT_EQ_INT(tu_proc_stop(sink, SIGTERM, (int)(10000 * test_timeout_scale())), 0);
    err = tu_proc_stderr(sink);
    ASSERT_CONTAINS(err, "Aerospike unreachable");
    mem_free(err);
    ASSERT_EQ_INT(notify_recv(&nt, 200, got, sizeof(got)), -1);
    tu_proc_free(sink);
    close(nt.fd);
}

/* Does this build have `aerosink CMD`? (`aerosink help` lists it.) */
static bool has_command(const char *cmd)
{
    const char *argv[] = {tu_bin("aerosink"), "help", NULL};
    char *out = NULL, pat[64];
    bool yes;

    tu_run(argv, 10000, &out);
    snprintf(pat, sizeof(pat), "\n  %s ", cmd);
    yes = out && strstr(out, pat);
    mem_free(out);
    return yes;
}

/* HTTP status of GET @path on 127.0.0.1:@port (0: no answer). */
static int http_status(int port, const char *path)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char req[256], resp[64] = {0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), code = 0;
    struct timeval tv = {5, 0};
    ssize_t n;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        int k = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
        if (write(fd, req, (size_t)k) == k && (n = read(fd, resp, sizeof(resp) - 1)) > 12)
            code = atoi(resp + 9);   /* "HTTP/1.x NNN" */
    }
    close(fd);
    return code;
}

TEST(distributed_ready_once_the_worker_serves_healthy)
{
    char bootstrap[256], text[2048], wp[600], got[512];
    const char *topics[] = {"aerosink-configs:1", "aerosink-status:1", NULL};
    struct tu_proc *kafka, *worker;
    const char *dir;
    struct notify nt;
    int port;
    pid_t from;

    if (!has_command("distributed"))
        TEST_SKIP("this build has no `aerosink distributed`");
    if (tu_kafka_is_real())
        TEST_SKIP("needs its own config and status topics (kafka-mock)");
    kafka = tu_kafka_start(topics, 1, bootstrap, sizeof(bootstrap));
    dir = tu_tmpdir();
    port = tu_free_ports(1);
    snprintf(text, sizeof(text),
             "bootstrap.servers=%s\n"
             "group.id=aerosink-svc-test\n"
             "config.storage.topic=aerosink-configs\n"
             "status.storage.topic=aerosink-status\n"
             "offset.storage.topic=aerosink-offsets\n"
             "listeners=http://127.0.0.1:%d\n"
             "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
             "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
             "session.timeout.ms=6000\n"
             "heartbeat.interval.ms=1000\n",
             bootstrap, port);
    snprintf(wp, sizeof(wp), "%s", tu_write_file(dir, "worker.properties", text));
    notify_open(&nt, dir);
    {
        const char *argv[] = {tu_bin("aerosink"), "distributed", "--progress", "0", wp, NULL};
        const char *env[] = {nt.env, NULL};
        worker = tu_proc_start(argv, env);
    }
    from = notify_recv(&nt, (int)(60000 * test_timeout_scale()), got, sizeof(got));
    if (from < 0) {
        char *err = tu_proc_stderr(worker);
        TEST_FAIL("no READY=1 within 60 s from aerosink distributed; stderr:\n%s", err);
    }
    ASSERT_EQ_INT(from, tu_proc_pid(worker));
    ASSERT_TRUE(strncmp(got, "READY=1\n", 8) == 0);
    /* ready means what a load balancer would check: /health answers 200 now */
    ASSERT_EQ_INT(http_status(port, "/health"), 200);
    ASSERT_EQ_INT(tu_proc_stop(worker, SIGTERM, (int)(30000 * test_timeout_scale())), 0);
    tu_proc_free(worker);
    close(nt.fd);
    tu_proc_free(kafka);
}

/* With the REST API on, READY means /health answers 200; SIGHUP (systemctl reload) is
 * announced as RELOADING=1 and ends with READY=1 again. */
TEST(standalone_rest_healthy_at_ready_and_reload_is_announced)
{
    const char *topics[] = {"t:2", NULL};
    char bootstrap[256], hosts[256], host[256], got[512], extra[128];
    struct tu_proc *kafka = tu_kafka_start(topics, 1, bootstrap, sizeof(bootstrap));
    struct tu_proc *aero = tu_aerospike_start(NULL, hosts, sizeof(hosts));
    const char *dir = tu_tmpdir();
    int port = tu_free_ports(1);
    struct notify nt;
    struct tu_proc *sink;

    first_host(hosts, host, sizeof(host));
    snprintf(extra, sizeof(extra), "listeners=http://127.0.0.1:%d\n", port);
    write_configs_x(dir, bootstrap, host, "ignore", extra);
    notify_open(&nt, dir);
    sink = start_sink(dir, &nt);
    if (notify_recv(&nt, (int)(30000 * test_timeout_scale()), got, sizeof(got)) < 0) {
        char *err = tu_proc_stderr(sink);
        TEST_FAIL("no READY=1 within 30 s; aerosink stderr:\n%s", err);
    }
    ASSERT_EQ_STR(got, "READY=1\nSTATUS=running 1 connector(s)");
    ASSERT_EQ_INT(http_status(port, "/health"), 200);

    ASSERT_EQ_INT(kill(tu_proc_pid(sink), SIGHUP), 0);
    ASSERT_TRUE(notify_recv(&nt, (int)(30000 * test_timeout_scale()), got, sizeof(got)) == tu_proc_pid(sink));
    ASSERT_EQ_STR(got, "RELOADING=1");
    ASSERT_TRUE(notify_recv(&nt, (int)(60000 * test_timeout_scale()), got, sizeof(got)) == tu_proc_pid(sink));
    ASSERT_EQ_STR(got, "READY=1\nSTATUS=running 1 connector(s)");
    ASSERT_TRUE(tu_proc_running(sink));
    ASSERT_EQ_INT(tu_proc_stop(sink, SIGTERM, (int)(30000 * test_timeout_scale())), 0);
    tu_proc_free(sink);
    close(nt.fd);
    tu_proc_free(aero);
    tu_proc_free(kafka);
}

TEST_LIST = {
    T(ready_comes_from_the_main_pid_once_running_and_sigterm_exits_0),
    T(no_ready_on_a_configuration_error_exit_2),
    T(ready_waits_for_an_unreachable_aerospike),
    T(sigterm_while_waiting_for_aerospike_exits_0_without_ready),
    T(distributed_ready_once_the_worker_serves_healthy),
    T(standalone_rest_healthy_at_ready_and_reload_is_announced),
    {0},
};
