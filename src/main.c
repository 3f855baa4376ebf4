/* src/main.c: signals, the only mutable global and the process's malloc settings; everything
 * else is in src/app. */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "worker/worker.h"

static struct app_signals sig;   /* the only mutable global: set by the signal handlers */

/* The first SIGINT/SIGTERM asks for a stop (its number); another one, to stop waiting for
 * in-flight writes at once (WORKER_STOP_NOW). */
static void on_stop(int signo)
{
    sig.stop = sig.stop ? WORKER_STOP_NOW : signo;
}

static void on_reload(int signo)
{
    (void)signo;
    sig.reload = 1;
}

/* librdkafka receives each fetch answer into a fresh buffer and frees it once its messages
 * are taken, and glibc gives the top of a heap back to the kernel whenever more than 128 KiB
 * of it is free: the same memory was unmapped and faulted in again all the time (20,000-29,000
 * page faults per million records; 10,000-11,000 without the churn). On the bench topic, 4
 * interleaved pairs each: e2e 672k -> 755k records/s (1.97 -> 1.70 us/record), dry run 790k
 * -> 970k (1.87 -> 1.51); bench/README. So keep large buffers on the heap and keep what the
 * heap grew to: peak RSS is unchanged, the memory is reused rather than returned. A
 * GLIBC_TUNABLES naming either setting wins. Process-wide, hence here and not in a module. */
static void keep_heap(void)
{
    const char *t = getenv("GLIBC_TUNABLES");

    if (t && (strstr(t, "malloc.mmap_threshold") || strstr(t, "malloc.trim_threshold")))
        return;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);   /* the most glibc takes */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

int main(int argc, char **argv)
{
    struct sigaction sa;

    keep_heap();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);   /* one handler at a time: a stop is counted once */
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_reload;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return app_main(argc, argv, &sig);
}
