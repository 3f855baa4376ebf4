/* src/main.c: signals and the only mutable global; everything else is in src/app. */
#include <signal.h>
#include <string.h>

#include "app/app.h"

static volatile sig_atomic_t stop;   /* the only mutable global: set by SIGINT/SIGTERM */

static void on_signal(int sig)
{
    stop = sig;
}

int main(int argc, char **argv)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return app_main(argc, argv, &stop);
}
