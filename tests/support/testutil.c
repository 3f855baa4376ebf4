/* tests/support/testutil.c: process, port and file helpers for integration tests. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tu_proc {
    pid_t pid;
    int out_fd;          /* read end of the child's stdout, -1 at EOF */
    struct buf out;      /* all stdout read so far */
    size_t scan;         /* wait_line resumes here */
    char err_path[512];
    bool reaped;
    int status;
};

const char *tu_bin(const char *name)
{
    static char bufs[8][512];
    static int slot;
    const char *dir = getenv("BUILD_DIR");
    char *b = bufs[slot = (slot + 1) % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir && *dir ? dir : "build", name);
    return b;
}

const char *tu_bin_abs(const char *name)
{
    static char path[4096];
    char cwd[2048];
    const char *rel = tu_bin(name);

    if (rel[0] == '/')
        return rel;
    if (!getcwd(cwd, sizeof(cwd))) {
        fprintf(stderr, "getcwd: %s\n", strerror(errno));
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s", cwd, rel);
    return path;
}

const char *tu_tmpdir(void)
{
    static char path[512];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/aerosink-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(path)) {
        fprintf(stderr, "mkdtemp %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return path;
}

const char *tu_write_file(const char *dir, const char *name, const char *text)
{
    static char bufs[8][512];
    static int slot;
    char *p = bufs[slot = (slot + 1) % 8];
    FILE *f;

    snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
    f = fopen(p, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "write %s: %s\n", p, strerror(errno));
        exit(1);
    }
    return p;
}

char *tu_read_file(const char *path, size_t *len)
{
    struct buf b = BUF_INIT;
    char tmp[65536];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return NULL;
    while ((n = read(fd, tmp, sizeof(tmp))) > 0)
        buf_append(&b, tmp, (size_t)n);
    close(fd);
    buf_cstr(&b);
    if (len)
        *len = b.len;
    if (!b.p)
        return mem_strdup("");
    return (char *)b.p;
}

struct tu_proc *tu_proc_start(const char *const argv[], const char *const env[])
{
    struct tu_proc *p = mem_calloc(1, sizeof(*p));
    int pipefd[2];
    static int seq;
    pid_t parent = getpid();

    snprintf(p->err_path, sizeof(p->err_path), "%s/%d-%d-%s.stderr",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), ++seq,
             strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        perror("pipe");
        exit(1);
    }
    fflush(stdout);
    fflush(stderr);
    p->pid = fork();
    if (p->pid < 0) {
        perror("fork");
        exit(1);
    }
    if (p->pid == 0) {
        int efd = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(pipefd[1], 1);
        if (efd >= 0)
            dup2(efd, 2);
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    p->out_fd = pipefd[0];
    return p;
}

/* Read what is available within @timeout_ms; false at EOF/timeout with nothing read. */
static bool read_some(struct tu_proc *p, int timeout_ms)
{
    struct pollfd pfd = {p->out_fd, POLLIN, 0};
    char tmp[4096];
    ssize_t n;

    if (p->out_fd < 0)
        return false;
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return false;
    n = read(p->out_fd, tmp, sizeof(tmp));
    if (n <= 0) {
        close(p->out_fd);
        p->out_fd = -1;
        return false;
    }
    buf_append(&p->out, tmp, (size_t)n);
    buf_cstr(&p->out);
    return true;
}

bool tu_proc_wait_line(struct tu_proc *p, const char *prefix, int timeout_ms, char *line, size_t cap)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)(timeout_ms * (getenv("TEST_TIMEOUT_SCALE") ? atof(getenv("TEST_TIMEOUT_SCALE")) : 1.0));
    size_t plen = strlen(prefix);

    for (;;) {
        while (p->scan < p->out.len) {
            uint8_t *nl = memchr(p->out.p + p->scan, '\n', p->out.len - p->scan);
            size_t start = p->scan;
            if (!nl)
                break;
            p->scan = (size_t)(nl - p->out.p) + 1;
            if ((size_t)(nl - p->out.p) - start >= plen && memcmp(p->out.p + start, prefix, plen) == 0) {
                if (line && cap) {
                    size_t l = MIN((size_t)(nl - p->out.p) - start, cap - 1);
                    memcpy(line, p->out.p + start, l);
                    line[l] = '\0';
                }
                return true;
            }
        }
        uint64_t now = clock_mono_ms();
        if (now >= deadline || p->out_fd < 0)
            return false;
        read_some(p, (int)MIN(deadline - now, 200));
    }
}

const char *tu_proc_stdout(struct tu_proc *p)
{
    return p->out.p ? (const char *)p->out.p : "";
}

void tu_proc_drain(struct tu_proc *p, int timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;
    while (p->out_fd >= 0 && clock_mono_ms() < deadline)
        read_some(p, 100);
}

char *tu_proc_stderr(struct tu_proc *p)
{
    char *s = tu_read_file(p->err_path, NULL);
    return s ? s : mem_strdup("");
}

pid_t tu_proc_pid(const struct tu_proc *p)
{
    return p->pid;
}

static int decode_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

const char *tu_raw_librdkafka_line(const char *text)
{
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (l[0] == '%' && l[1] >= '0' && l[1] <= '7' && l[2] == '|')
            return l;
    return NULL;
}

int tu_proc_wait(struct tu_proc *p, int timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;

    if (p->reaped)
        return decode_status(p->status);
    for (;;) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid) {
            p->reaped = true;
            return decode_status(p->status);
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (clock_mono_ms() >= deadline)
            return -2;
        /* keep the pipe flowing so the child never blocks on a full stdout */
        if (!read_some(p, 20))
            sleep_ms(5);
    }
}

bool tu_proc_running(struct tu_proc *p)
{
    return tu_proc_wait(p, 0) == -2;
}

int tu_proc_stop(struct tu_proc *p, int sig, int timeout_ms)
{
    int rc;

    if (p->reaped)
        return decode_status(p->status);
    kill(p->pid, sig);
    rc = tu_proc_wait(p, timeout_ms);
    if (rc == -2) {
        kill(p->pid, SIGKILL);
        tu_proc_wait(p, 5000);
        return -1;
    }
    return rc;
}

void tu_proc_free(struct tu_proc *p)
{
    if (!p)
        return;
    if (!p->reaped)
        tu_proc_stop(p, SIGKILL, 5000);
    if (p->out_fd >= 0)
        close(p->out_fd);
    unlink(p->err_path);
    buf_free(&p->out);
    mem_free(p);
}

int tu_run(const char *const argv[], int timeout_ms, char **out)
{
    struct tu_proc *p = tu_proc_start(argv, NULL);
    int rc = tu_proc_wait(p, timeout_ms);

    if (rc == -2) {
        tu_proc_stop(p, SIGKILL, 1000);
        rc = -1;
    }
    tu_proc_drain(p, 1000);
    if (out) {
        char *err = tu_proc_stderr(p);
        struct buf b = BUF_INIT;
        buf_append_str(&b, tu_proc_stdout(p));
        buf_append_str(&b, err);
        buf_cstr(&b);
        mem_free(err);
        *out = b.p ? (char *)b.p : mem_strdup("");
    }
    tu_proc_free(p);
    return rc;
}

static bool port_free(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    bool ok;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* The lowest port the kernel hands out to outgoing connections: a port picked
 * below it cannot be taken between our probe and the server's bind by some
 * process's connect(), only by another test picking the same one. */
static int ephemeral_low(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int lo = 32768, hi = 60999;

    if (f) {
        if (fscanf(f, "%d %d", &lo, &hi) != 2)
            lo = 32768;
        fclose(f);
    }
    return lo;
}

int tu_free_ports(int n)
{
    unsigned seed = (unsigned)getpid() ^ (unsigned)clock_mono_ns();
    int low = 12000, high = ephemeral_low() - n;

    if (high - low < 1000) {   /* odd port range: fall back to the old window */
        low = 20000;
        high = 50000;
    }
    for (int attempt = 0; attempt < 200; attempt++) {
        int base = low + (int)(rand_r(&seed) % (unsigned)(high - low));
        bool ok = true;
        for (int i = 0; i < n && ok; i++)
            ok = port_free(base + i);
        if (ok)
            return base;
    }
    fprintf(stderr, "no %d consecutive free ports\n", n);
    exit(1);
}

/* Start a server taking "--port P" and wait for its ready line; picks new ports
 * and starts again (up to 5 times) when the port was taken after our probe. */
static struct tu_proc *start_server(const char *what, const char *argv[], int port_at, int nports,
                                    const char *ready, char *line, size_t cap)
{
    char portarg[16];

    argv[port_at] = portarg;
    for (int attempt = 1;; attempt++) {
        struct tu_proc *p;
        char *err;
        bool in_use;

        snprintf(portarg, sizeof(portarg), "%d", tu_free_ports(nports));
        p = tu_proc_start(argv, NULL);
        if (tu_proc_wait_line(p, ready, 20000, line, cap))
            return p;
        err = tu_proc_stderr(p);
        tu_proc_free(p);
        in_use = strstr(err, "in use") != NULL;
        if (!in_use || attempt == 5) {
            fprintf(stderr, "%s did not start: %s\n", what, err);
            mem_free(err);
            exit(1);
        }
        fprintf(stderr, "%s: port %s taken after the probe, trying other ports\n", what, portarg);
        mem_free(err);
    }
}

bool tu_kafka_is_real(void)
{
    const char *s = getenv("KAFKA_BOOTSTRAP");
    return s && *s;
}

bool tu_aerospike_is_real(void)
{
    const char *s = getenv("AEROSPIKE_HOSTS");
    return s && *s;
}

struct tu_proc *tu_kafka_start(const char *const topics[], int brokers, char *bootstrap, size_t cap)
{
    return tu_kafka_start_args(topics, brokers, NULL, bootstrap, cap);
}

struct tu_proc *tu_kafka_start_args(const char *const topics[], int brokers, const char *const extra[],
                                    char *bootstrap, size_t cap)
{
    const char *argv[64];
    char brokarg[16], line[512];
    int n = 0;
    struct tu_proc *p;

    if (tu_kafka_is_real()) {
        snprintf(bootstrap, cap, "%s", getenv("KAFKA_BOOTSTRAP"));
        return NULL;
    }
    snprintf(brokarg, sizeof(brokarg), "%d", brokers > 0 ? brokers : 1);
    argv[n++] = tu_bin("kafka-mock");
    argv[n++] = "--port";
    argv[n++] = NULL;   /* set by start_server */
    argv[n++] = "--brokers";
    argv[n++] = brokarg;
    for (int i = 0; topics && topics[i] && n < 50; i++) {
        argv[n++] = "--topic";
        argv[n++] = topics[i];
    }
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    p = start_server("kafka-mock", argv, 2, brokers > 0 ? brokers : 1, "bootstrap.servers=", line,
                     sizeof(line));
    snprintf(bootstrap, cap, "%s", line + strlen("bootstrap.servers="));
    return p;
}

struct tu_proc *tu_aerospike_start(const char *const extra_args[], char *hosts, size_t cap)
{
    const char *argv[64];
    char line[256];
    int n = 0;
    struct tu_proc *p;

    if (tu_aerospike_is_real()) {
        snprintf(hosts, cap, "%s", getenv("AEROSPIKE_HOSTS"));
        return NULL;
    }
    argv[n++] = tu_bin("aerospike-testd");
    argv[n++] = "--port";
    argv[n++] = NULL;   /* set by start_server */
    for (int i = 0; extra_args && extra_args[i] && n < 60; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    p = start_server("aerospike-testd", argv, 2, 4, "ready ", line, sizeof(line));
    snprintf(hosts, cap, "%s", line + strlen("ready "));
    return p;
}

void tu_make_certs(struct tu_certs *c)
{
    static const char script[] =
        "set -e\n"
        "k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
        "openssl req -x509 $k -keyout ca.key -out ca.pem -days 2 -subj /CN=aero-test-ca 2>/dev/null\n"
        "openssl req -x509 $k -keyout wrong.key -out wrong-ca.pem -days 2 -subj /CN=other-ca 2>/dev/null\n"
        "openssl req $k -keyout server.key -out server.csr -subj /CN=aero-test 2>/dev/null\n"
        "printf 'subjectAltName=DNS:aero-test\\n' > server.ext\n"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile server.ext -out server.pem 2>/dev/null\n"
        "openssl req $k -keyout client.key -out client.csr -subj /CN=pki-user 2>/dev/null\n"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-out client.crt 2>/dev/null\n"
        "cat client.crt client.key > client.pem\n"
        "openssl pkcs12 -export -nokeys -in ca.pem -out ca.p12 -passout pass:store-pw\n";
    char cmd[2048];
    char *out = NULL;

    snprintf(c->dir, sizeof(c->dir), "%s", tu_tmpdir());
    snprintf(cmd, sizeof(cmd), "cd '%s' && %s", c->dir, script);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    if (tu_run(argv, 60000, &out) != 0) {
        fprintf(stderr, "openssl: %s\n", out ? out : "");
        exit(1);
    }
    mem_free(out);
    snprintf(c->ca, sizeof(c->ca), "%s/ca.pem", c->dir);
    snprintf(c->ca_p12, sizeof(c->ca_p12), "%s/ca.p12", c->dir);
    snprintf(c->wrong_ca, sizeof(c->wrong_ca), "%s/wrong-ca.pem", c->dir);
    snprintf(c->server, sizeof(c->server), "%s/server.pem", c->dir);
    snprintf(c->server_key, sizeof(c->server_key), "%s/server.key", c->dir);
    snprintf(c->client, sizeof(c->client), "%s/client.pem", c->dir);
}
