/* src/main.c: signals and the only mutable global; everything else is in src/app. */
#include <signal.h>
#include <string.h>

#include "app/app.h"

static struct app_signals sig;   /* the only mutable global: set by the signal handlers */

static void on_stop(int signo)
{
    sig.stop = signo;
}

static void on_reload(int signo)
{
    (void)signo;
    sig.reload = 1;
}

int main(int argc, char **argv)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_reload;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return app_main(argc, argv, &sig);
}
