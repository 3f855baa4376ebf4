/* tools/testd-load/main.c: a small pipelined write load for aerospike-testd (or any Aerospike
 * node): C connections, each keeping D single-record writes in flight, for S seconds.
 *   testd-load [--port P] [--conns C] [--depth D] [--seconds S] [--value-size N] [--keys K]
 * Every write puts one blob bin of N bytes (default 200) on one of K keys (digest only, set
 * "bench", namespace "test"). Prints writes/s and fails (exit 1) if any reply is not OK. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"

struct lconn {
    int fd;
    struct buf in;
    uint64_t sent, done;
};

static void build(struct buf *b, uint64_t key, size_t vsize)
{
    uint8_t d[20];
    uint64_t x = key * 0x9E3779B97F4A7C15ull + 1;
    size_t at = b->len;

    for (int i = 0; i < 20; i++) {
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ull;
        d[i] = (uint8_t)(x >> 56);
    }
    buf_put_u64be(b, 0);
    uint8_t h[22] = {22, 0, 1, 0, 0, 0};
    store_u32be(h + 14, 1000);
    store_u16be(h + 18, 3);
    store_u16be(h + 20, 1);
    buf_append(b, h, 22);
    buf_put_u32be(b, 5); buf_put_u8(b, 0); buf_append(b, "test", 4);
    buf_put_u32be(b, 6); buf_put_u8(b, 1); buf_append(b, "bench", 5);
    buf_put_u32be(b, 21); buf_put_u8(b, 4); buf_append(b, d, 20);
    buf_put_u32be(b, (uint32_t)(4 + 1 + vsize));
    buf_put_u8(b, 2); buf_put_u8(b, 4); buf_put_u8(b, 0); buf_put_u8(b, 1); buf_put_u8(b, 'v');
    buf_reserve(b, vsize);
    memset(b->p + b->len, (int)(key & 0xff), vsize);
    b->len += vsize;
    store_u64be(b->p + at, (2ull << 56) | (3ull << 48) | (b->len - at - 8));
}

static void send_n(struct lconn *c, uint64_t n, uint64_t *next_key, uint64_t keys, size_t vsize, struct buf *tmp)
{
    buf_reset(tmp);
    for (uint64_t i = 0; i < n; i++)
        build(tmp, (*next_key)++ % keys, vsize);
    size_t off = 0;
    while (off < tmp->len) {
        ssize_t w = send(c->fd, tmp->p + off, tmp->len - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;    /* tiny busy wait: the server drains quickly */
            perror("send");
            exit(1);
        }
        off += (size_t)w;
    }
    c->sent += n;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, 0, 'p'}, {"conns", required_argument, 0, 'c'},
        {"depth", required_argument, 0, 'd'}, {"seconds", required_argument, 0, 's'},
        {"value-size", required_argument, 0, 'v'}, {"keys", required_argument, 0, 'k'},
        {0, 0, 0, 0}};
    int port = 3000, nconns = 4, opt;
    uint64_t depth = 256, seconds = 5, keys = 100000, vsize = 200, next_key = 0, errors = 0;
    struct buf tmp = BUF_INIT;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        uint64_t v;
        if (!str_to_u64(optarg, strlen(optarg), &v) || v == 0) {
            fprintf(stderr, "testd-load: bad value '%s'\n", optarg);
            return 2;
        }
        switch (opt) {
        case 'p': port = (int)v; break;
        case 'c': nconns = (int)MIN(v, 1024); break;
        case 'd': depth = v; break;
        case 's': seconds = v; break;
        case 'v': vsize = v; break;
        case 'k': keys = v; break;
        default: return 2;
        }
    }
    struct lconn *cs = mem_calloc((size_t)nconns, sizeof(*cs));
    int ep = epoll_create1(0);
    for (int i = 0; i < nconns; i++) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int one = 1;
        cs[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(cs[i].fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            perror("connect");
            return 1;
        }
        setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
        send_n(&cs[i], depth, &next_key, keys, vsize, &tmp);
    }
    uint64_t t0 = clock_mono_us(), cpu0 = clock_cpu_us(), end = t0 + seconds * 1000000, total = 0;
    while (clock_mono_us() < end) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 100);
        for (int i = 0; i < n; i++) {
            struct lconn *c = evs[i].data.ptr;
            buf_reserve(&c->in, 1 << 16);
            ssize_t r = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len - 1, 0);
            if (r <= 0) {
                fprintf(stderr, "testd-load: connection closed\n");
                return 1;
            }
            c->in.len += (size_t)r;
            size_t off = 0;
            uint64_t got = 0;
            while (c->in.len - off >= 8) {
                uint64_t sz = load_u64be(c->in.p + off) & 0xFFFFFFFFFFFFull;
                if (c->in.len - off < 8 + sz)
                    break;
                if (sz < 22 || c->in.p[off + 13] != 0)
                    errors++;
                off += 8 + sz;
                got++;
            }
            buf_consume(&c->in, off);
            c->done += got;
            total += got;
            if (got)
                send_n(c, got, &next_key, keys, vsize, &tmp);
        }
    }
    uint64_t us = clock_mono_us() - t0, cpu = clock_cpu_us() - cpu0;
    printf("testd-load: %" PRIu64 " writes of %" PRIu64 "-byte values in %.2f s over %d connections "
           "(depth %" PRIu64 "): %.0f writes/s, %" PRIu64 " errors, client cpu %.0f%%\n",
           total, vsize, us / 1e6, nconns, depth, total / (us / 1e6), errors, 100.0 * cpu / us);
    return errors ? 1 : 0;
}
