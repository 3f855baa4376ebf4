/* src/common/clock.c: monotonic, wall and CPU clocks. */
#include <errno.h>
#include <time.h>

#include "common.h"

static uint64_t ts_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ns(void) { return ts_ns(CLOCK_MONOTONIC); }
uint64_t clock_mono_us(void) { return ts_ns(CLOCK_MONOTONIC) / 1000u; }
uint64_t clock_mono_ms(void) { return ts_ns(CLOCK_MONOTONIC) / 1000000u; }
uint64_t clock_wall_ms(void) { return ts_ns(CLOCK_REALTIME) / 1000000u; }
uint64_t clock_cpu_us(void) { return ts_ns(CLOCK_PROCESS_CPUTIME_ID) / 1000u; }

void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
