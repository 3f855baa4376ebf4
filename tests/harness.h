/* tests/harness.h: our tiny unit-test harness (include in exactly one .c per test binary).
 *
 *   TEST(name) { ASSERT_EQ_INT(1 + 1, 2); }
 *   TEST_LIST = { T(name), {0} };
 *
 * Each test runs in a forked child with a timeout (TEST_TIMEOUT seconds, default 120,
 * multiplied by TEST_TIMEOUT_SCALE under sanitizers). A failed assertion prints both sides
 * with file:line and ends the child. The binary prints one line per test and, last,
 * "N passed, M failed"; it exits 1 when M > 0. Arguments filter tests by substring.
 * Tests that need real servers call TEST_SKIP("why") which counts as neither. */
#ifndef AEROSINK_TEST_HARNESS_H
#define AEROSINK_TEST_HARNESS_H

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/common/common.h"

struct test_case {
    const char *name;
    void (*fn)(void);
};

#define TEST(name) static void test_##name(void)
#define T(name) {#name, test_##name}
#define TEST_LIST const struct test_case test_list[]
extern const struct test_case test_list[];

#define TEST_EXIT_SKIP 77

static inline void test_fail_(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
static inline void test_fail_(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    exit(1);
}

#define TEST_FAIL(...) test_fail_(__FILE__, __LINE__, __VA_ARGS__)
#define TEST_SKIP(...)                                   \
    do {                                                 \
        fprintf(stderr, "    skipped: ");                \
        fprintf(stderr, __VA_ARGS__);                    \
        fputc('\n', stderr);                             \
        exit(TEST_EXIT_SKIP);                            \
    } while (0)

#define ASSERT_TRUE(c) \
    do { if (!(c)) TEST_FAIL("expected true: %s", #c); } while (0)
#define ASSERT_FALSE(c) \
    do { if (c) TEST_FAIL("expected false: %s", #c); } while (0)
#define ASSERT_EQ_INT(a, b)                                                               \
    do {                                                                                  \
        long long a_ = (long long)(a), b_ = (long long)(b);                               \
        if (a_ != b_) TEST_FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_);                \
    } while (0)
#define ASSERT_NE_INT(a, b)                                                               \
    do {                                                                                  \
        long long a_ = (long long)(a), b_ = (long long)(b);                               \
        if (a_ == b_) TEST_FAIL("%s != %s: both %lld", #a, #b, a_);                       \
    } while (0)
#define ASSERT_EQ_U64(a, b)                                                               \
    do {                                                                                  \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                  \
        if (a_ != b_) TEST_FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, a_, b_);     \
    } while (0)
#define ASSERT_CMP_INT(a, op, b)                                                          \
    do {                                                                                  \
        long long a_ = (long long)(a), b_ = (long long)(b);                               \
        if (!(a_ op b_)) TEST_FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, a_, b_);        \
    } while (0)
#define ASSERT_EQ_DBL(a, b)                                                               \
    do {                                                                                  \
        double a_ = (a), b_ = (b);                                                        \
        if (!(a_ == b_ || fabs(a_ - b_) <= 1e-12 * fmax(fabs(a_), fabs(b_))))             \
            TEST_FAIL("%s == %s: %.17g != %.17g", #a, #b, a_, b_);                        \
    } while (0)
#define ASSERT_EQ_STR(a, b)                                                               \
    do {                                                                                  \
        const char *a_ = (a), *b_ = (b);                                                  \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                            \
            TEST_FAIL("%s == %s:\n      got:      \"%s\"\n      expected: \"%s\"", #a, #b, \
                      a_ ? a_ : "(null)", b_ ? b_ : "(null)");                            \
    } while (0)
#define ASSERT_CONTAINS(hay, needle)                                                      \
    do {                                                                                  \
        const char *h_ = (hay), *n_ = (needle);                                           \
        if (!h_ || !strstr(h_, n_))                                                       \
            TEST_FAIL("%s contains \"%s\":\n      got: \"%s\"", #hay, n_, h_ ? h_ : "(null)"); \
    } while (0)
#define ASSERT_EQ_MEM(a, b, n)                                                            \
    do {                                                                                  \
        const uint8_t *a_ = (const uint8_t *)(a), *b_ = (const uint8_t *)(b);             \
        size_t n_ = (n);                                                                  \
        if (memcmp(a_, b_, n_) != 0) {                                                    \
            char ha_[1024], hb_[1024];                                                    \
            test_hex_dump_(a_, n_, ha_, sizeof(ha_));                                     \
            test_hex_dump_(b_, n_, hb_, sizeof(hb_));                                     \
            TEST_FAIL("%s == %s (%zu bytes):\n      got:      %s\n      expected: %s",    \
                      #a, #b, n_, ha_, hb_);                                              \
        }                                                                                 \
    } while (0)
#define ASSERT_OK(st)                                                                     \
    do {                                                                                  \
        enum status s_ = (st);                                                            \
        if (s_ != ST_OK) TEST_FAIL("%s: %s (%s)", #st, status_name(s_), status_str(s_));  \
    } while (0)
#define ASSERT_OK_E(st, e)                                                                \
    do {                                                                                  \
        enum status s_ = (st);                                                            \
        if (s_ != ST_OK) TEST_FAIL("%s: %s: %s", #st, status_name(s_), (e)->msg);         \
    } while (0)
#define ASSERT_ST(st, want)                                                               \
    do {                                                                                  \
        enum status s_ = (st), w_ = (want);                                               \
        if (s_ != w_) TEST_FAIL("%s: got %s, expected %s", #st, status_name(s_),           \
                                status_name(w_));                                         \
    } while (0)

static inline void test_hex_dump_(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x%s", p[i], i + 1 < n ? " " : "");
    out[o] = '\0';
}

/* HEX("ec91 19 2d"): decode hex (spaces and '|' ignored) into a rotating static buffer.
 * Valid until 8 more HEX() calls. Length: HEX_LEN(same string). */
static inline const uint8_t *HEX(const char *s)
{
    static uint8_t bufs[8][8192];
    static int slot;
    uint8_t *o = bufs[slot = (slot + 1) % 8];
    size_t n = 0;
    int half = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9') v = *s - '0';
        else if (*s >= 'a' && *s <= 'f') v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') v = *s - 'A' + 10;
        else continue;
        if (half < 0) half = v;
        else { if (n < sizeof(bufs[0])) o[n++] = (uint8_t)(half << 4 | v); half = -1; }
    }
    return o;
}

/* Length of a hex literal's bytes (counts hex digit pairs). */
static inline size_t HEX_LEN(const char *s)
{
    size_t d = 0;
    for (; *s; s++)
        if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))
            d++;
    return d / 2;
}

static inline double test_timeout_scale(void)
{
    const char *s = getenv("TEST_TIMEOUT_SCALE");
    double v = s ? atof(s) : 1.0;
    return v > 0 ? v : 1.0;
}

static inline int test_run_one_(const struct test_case *tc, unsigned timeout_s)
{
    pid_t pid;
    int wst = 0;
    struct timespec t0, t1;

    fflush(stdout);
    fflush(stderr);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        setpgid(0, 0);        /* the test and anything it starts form one group */
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* dies with the runner (Ctrl-C) */
        alarm(timeout_s);
        tc->fn();
        fflush(stdout);
        exit(0);
    }
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL);      /* reap stragglers the test forgot */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (WIFEXITED(wst) && WEXITSTATUS(wst) == TEST_EXIT_SKIP) {
        printf("SKIP %s\n", tc->name);
        return -1;
    }
    if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0) {
        printf("PASS %s (%ld ms)\n", tc->name, ms);
        return 0;
    }
    if (WIFSIGNALED(wst))
        printf("FAIL %s: killed by signal %d%s (%ld ms)\n", tc->name, WTERMSIG(wst),
               WTERMSIG(wst) == SIGALRM ? " (timeout)" : "", ms);
    else
        printf("FAIL %s: exit %d (%ld ms)\n", tc->name, WEXITSTATUS(wst), ms);
    return 1;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    const char *ts = getenv("TEST_TIMEOUT");
    unsigned timeout_s = (unsigned)((ts ? atoi(ts) : 120) * test_timeout_scale());

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (const struct test_case *tc = test_list; tc->name; tc++) {
        bool selected = argc < 2;
        for (int i = 1; i < argc; i++)
            if (strstr(tc->name, argv[i]))
                selected = true;
        if (!selected)
            continue;
        int r = test_run_one_(tc, timeout_s);
        if (r == 0) passed++;
        else if (r > 0) failed++;
        else skipped++;
    }
    if (skipped)
        printf("(%d skipped)\n", skipped);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
