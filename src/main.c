/* src/main.c: argv and signals only; everything else lives in the modules. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"

static void usage(FILE *f)
{
    fputs("usage: aerosink COMMAND [ARGS]\n"
          "\n"
          "A native Kafka -> Aerospike sink connector.\n"
          "\n"
          "Commands:\n"
          "  version           print the version\n"
          "  help              this text\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("aerosink %s\n", AEROSINK_VERSION);
        return 0;
    }
    fprintf(stderr, "aerosink: unknown command '%s' (see 'aerosink help')\n", argv[1]);
    return 2;
}
