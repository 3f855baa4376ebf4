/* tools/kafka-mock/main.c: our embedded Kafka for tests and the demo.
 *
 * librdkafka's mock cluster (rd_kafka_mock_cluster_new) speaks the real Kafka protocol on
 * loopback, but binds random ports, auto-creates topics with 4 partitions and silently
 * truncates a partition's log past ~5 MiB. This wrapper:
 *   - binds the brokers to fixed ports P, P+1, ... by interposing bind() (the mock calls it
 *     through the PLT; an executable's definition wins), after checking each port is free;
 *   - pre-creates --topic NAME:PARTITIONS;
 *   - raises the per-partition retention (--retention-mb) by patching the mock's one
 *     read-only default constant after checking it is exactly where librdkafka 2.0.2 keeps it,
 *     and in any case watches every partition's low watermark: if the mock ever drops a
 *     record it says so on stderr and exits 3, so no test or benchmark passes on lost data;
 *   - prints "bootstrap.servers=..." once ready and serves until SIGINT/SIGTERM (exit 0).
 * The globals below live here because this file is the tool's main. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <link.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/common.h"

#define MAX_BROKERS 16
#define MAX_TOPICS 64
#define MOCK_DEFAULT_MAX_SIZE (5ull * 1024 * 1024)
#define MOCK_DEFAULT_MAX_CNT 100000ull

/* Ports handed to the mock's listener binds, in order. */
static int fixed_ports[MAX_BROKERS];
static int n_fixed_ports;
static atomic_int next_port;

static void die(int code, const char *fmt, ...) PRINTF_LIKE(2, 3) __attribute__((noreturn));
static void die(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("kafka-mock: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

/* Interposed bind(): a loopback listener asking for port 0 gets our next fixed port. */
int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    static int (*real_bind)(int, const struct sockaddr *, socklen_t);
    struct sockaddr_in sin;
    int i;

    if (!real_bind)
        real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
    if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(sin)) {
        memcpy(&sin, sa, sizeof(sin));
        if (sin.sin_port == 0 && (i = atomic_fetch_add(&next_port, 1)) < n_fixed_ports) {
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            sin.sin_port = htons((uint16_t)fixed_ports[i]);
            if (real_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
                die(2, "cannot listen on 127.0.0.1:%d: %s", fixed_ports[i], strerror(errno));
            return 0;
        }
    }
    return real_bind(fd, sa, len);
}

static void check_port_free(int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    int (*real_bind)(int, const struct sockaddr *, socklen_t) =
        (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (real_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        int e = errno;
        close(fd);
        die(2, "port %d on 127.0.0.1 is not available: %s", port, strerror(e));
    }
    close(fd);
}

/* --- Retention: find the mock's {max_size, max_cnt} default pair in librdkafka's
 * read-only data and rewrite it. Exactly one match is required. --- */
struct patch_search {
    uint8_t pattern[16];
    uint8_t *hit;
    int hits;
};

static int find_in_rdkafka(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct patch_search *ps = arg;
    (void)size;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "librdkafka.so"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || (ph->p_flags & PF_X))
            continue;   /* read-only, non-executable segment: .rodata */
        uint8_t *p = (uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        for (size_t off = 0; off + 16 <= ph->p_memsz; off += 8) {
            if (memcmp(p + off, ps->pattern, 16) == 0) {
                ps->hit = p + off;
                ps->hits++;
            }
        }
    }
    return 0;
}

static bool raise_retention(uint64_t max_bytes, char *why, size_t cap)
{
    struct patch_search ps = {.hits = 0};
    uint64_t v[2] = {MOCK_DEFAULT_MAX_SIZE, MOCK_DEFAULT_MAX_CNT};
    long pg = sysconf(_SC_PAGESIZE);

    memcpy(ps.pattern, v, 16);
    dl_iterate_phdr(find_in_rdkafka, &ps);
    if (ps.hits != 1) {
        snprintf(why, cap, "librdkafka's mock retention default found %d times (need exactly 1; "
                 "this tool knows librdkafka 2.0.2)", ps.hits);
        return false;
    }
    uint8_t *page = (uint8_t *)((uintptr_t)ps.hit & ~(uintptr_t)(pg - 1));
    size_t span = (size_t)(ps.hit + 16 - page);
    if (mprotect(page, span, PROT_READ | PROT_WRITE) != 0) {
        snprintf(why, cap, "mprotect: %s", strerror(errno));
        return false;
    }
    v[0] = max_bytes;
    v[1] = 1ull << 40;   /* message-set count cap: effectively none */
    memcpy(ps.hit, v, 16);
    mprotect(page, span, PROT_READ);
    return true;
}

/* --- Watchdog: any partition whose low watermark moves above 0 lost records. --- */
struct watch {
    char bootstrap[512];
    atomic_bool stop;
};

static void *watchdog(void *arg)
{
    struct watch *w = arg;
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    rd_kafka_conf_set(conf, "bootstrap.servers", w->bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        return NULL;
    while (!atomic_load(&w->stop)) {
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(rk, 1, NULL, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (int t = 0; t < md->topic_cnt && !atomic_load(&w->stop); t++) {
                for (int p = 0; p < md->topics[t].partition_cnt; p++) {
                    int64_t lo = 0, hi = 0;
                    if (rd_kafka_query_watermark_offsets(rk, md->topics[t].topic, p, &lo, &hi, 2000) ==
                            RD_KAFKA_RESP_ERR_NO_ERROR && lo > 0) {
                        fprintf(stderr, "kafka-mock: FATAL: %s[%d] lost offsets 0..%lld to the mock's "
                                "retention limit (raise --retention-mb or use more partitions); "
                                "stopping so no test passes on lost data\n",
                                md->topics[t].topic, p, (long long)lo - 1);
                        fflush(stderr);
                        _exit(3);
                    }
                }
            }
            rd_kafka_metadata_destroy(md);
        }
        for (int i = 0; i < 10 && !atomic_load(&w->stop); i++)
            sleep_ms(100);
    }
    rd_kafka_destroy(rk);
    return NULL;
}

static void usage(FILE *f)
{
    fputs("usage: kafka-mock [--brokers N] [--port P] [--topic NAME:PARTITIONS]... [--retention-mb M]\n"
          "                  [--rtt-ms MS]\n"
          "\n"
          "An in-process Kafka cluster (librdkafka's mock brokers) on 127.0.0.1 for tests and demos.\n"
          "\n"
          "  --brokers N          number of brokers (1..16, default 1); broker i listens on P+i\n"
          "  --port P             first broker port (default 9092); every port must be free\n"
          "  --topic NAME:PARTS   create a topic with PARTS partitions (repeatable); other topics\n"
          "                       are auto-created with 4 partitions on first use\n"
          "  --retention-mb M     per-partition log size kept in memory (default 4096). The mock\n"
          "                       alone keeps only ~5 MiB; whatever the limit, a partition that\n"
          "                       loses records stops kafka-mock with exit code 3\n"
          "  --rtt-ms MS          every broker answers every request MS ms late (default 0): a\n"
          "                       distant Kafka, e.g. in another region\n"
          "\n"
          "Prints one line \"bootstrap.servers=127.0.0.1:P[,...]\" when ready and serves until\n"
          "SIGINT or SIGTERM (exit 0). Bad arguments or a busy port: one error line, exit 2.\n"
          "Not supported by the mock: Admin API, compaction, SASL/TLS (test those on a real Kafka).\n",
          f);
}

static int parse_int(const char *opt, const char *s, int lo, int hi)
{
    int64_t v;
    if (!str_to_i64(s, strlen(s), &v) || v < lo || v > hi)
        die(2, "%s: '%s' is not an integer in %d..%d", opt, s, lo, hi);
    return (int)v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'}, {"port", required_argument, NULL, 'p'},
        {"topic", required_argument, NULL, 't'},   {"retention-mb", required_argument, NULL, 'r'},
        {"rtt-ms", required_argument, NULL, 'R'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int brokers = 1, port = 9092, retention_mb = 4096, rtt_ms = 0, c;
    bool retention_given = false;
    const char *topics[MAX_TOPICS];
    int n_topics = 0;
    char errstr[512], why[256];
    sigset_t sigs;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': brokers = parse_int("--brokers", optarg, 1, MAX_BROKERS); break;
        case 'R': rtt_ms = parse_int("--rtt-ms", optarg, 0, 60000); break;
        case 'p': port = parse_int("--port", optarg, 1, 65535); break;
        case 'r':
            retention_mb = parse_int("--retention-mb", optarg, 1, 1 << 20);
            retention_given = true;
            break;
        case 't': {
            const char *colon = strrchr(optarg, ':');
            if (!colon || colon == optarg)
                die(2, "--topic '%s': expected NAME:PARTITIONS", optarg);
            parse_int("--topic partitions", colon + 1, 1, 10000);
            if (n_topics == MAX_TOPICS)
                die(2, "--topic: at most %d topics", MAX_TOPICS);
            topics[n_topics++] = optarg;
            break;
        }
        case 'h': usage(stdout); return 0;
        default:
            die(2, "unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        die(2, "unexpected argument '%s' (see --help)", argv[optind]);
    if (port + brokers - 1 > 65535)
        die(2, "--port %d with %d brokers runs past port 65535", port, brokers);

    /* Each fetch answer is built in a fresh buffer of up to a few MiB, which glibc maps and
     * unmaps every time: page faults and zeroing took half the mock's CPU while aerosink read
     * the bench's million records (0.23-0.26 us/record; 0.10-0.13 with these). Keep such
     * buffers on the heap (32 MiB is the most glibc takes) and let it keep what it grew to. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);

    for (int i = 0; i < brokers; i++) {
        check_port_free(port + i);
        fixed_ports[i] = port + i;
    }
    n_fixed_ports = brokers;

    if (!raise_retention((uint64_t)retention_mb << 20, why, sizeof(why))) {
        if (retention_given)
            die(2, "--retention-mb: cannot change the mock's retention: %s", why);
        fprintf(stderr, "kafka-mock: warning: keeping the mock's ~5 MiB per-partition retention: %s\n", why);
    }

    /* librdkafka threads inherit this mask; signals are taken by sigwait below. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        die(2, "rd_kafka_new: %s", errstr);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc)
        die(2, "cannot create the mock cluster");
    if (atomic_load(&next_port) < brokers)
        die(2, "the mock bound %d of %d brokers on our ports; is this librdkafka 2.0.2?",
            atomic_load(&next_port), brokers);

    for (int i = 1; i <= brokers && rtt_ms > 0; i++)   /* the mock's broker ids are 1..N */
        if (rd_kafka_mock_broker_set_rtt(mc, i, rtt_ms))
            die(2, "--rtt-ms: broker %d: cannot set the round-trip time", i);
    for (int i = 0; i < n_topics; i++) {
        const char *colon = strrchr(topics[i], ':');
        char name[256];
        int parts = atoi(colon + 1);
        snprintf(name, sizeof(name), "%.*s", (int)(colon - topics[i]), topics[i]);
        rd_kafka_resp_err_t r = rd_kafka_mock_topic_create(mc, name, parts, MIN(brokers, 3));
        if (r)
            die(2, "--topic %s: %s", topics[i], rd_kafka_err2str(r));
    }

    struct watch w = {.stop = false};
    snprintf(w.bootstrap, sizeof(w.bootstrap), "%s", rd_kafka_mock_cluster_bootstraps(mc));
    pthread_t wt;
    pthread_create(&wt, NULL, watchdog, &w);

    printf("bootstrap.servers=%s\n", w.bootstrap);
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    atomic_store(&w.stop, true);
    pthread_join(wt, NULL);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
