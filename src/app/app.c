/* src/app/app.c: subcommand table and dispatch. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cmd_aero.h"
#include "common/common.h"

static int cmd_version(int argc, char **argv, struct app_signals *sig)
{
    (void)sig;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: aerosink version\n\nPrints aerosink's version and the git commit it was built from (\"unknown\"\n"
             "when built outside a git checkout), as REST GET / answers them. Also `aerosink --version`.");
        return 0;
    }
    if (argc >= 2) {
        fprintf(stderr, "aerosink version: unexpected argument '%s' (it takes none)\n", argv[1]);
        return 2;
    }
    printf("aerosink %s (commit %s)\n", AEROSINK_VERSION, aerosink_commit());
    return 0;
}

static int cmd_help(int argc, char **argv, struct app_signals *sig);

const struct app_command app_commands[] = {
    {"help", "show commands, or `help COMMAND`, `help config`", cmd_help},
    {"standalone", "run connectors in this process (WORKER.properties CONNECTOR...)", app_cmd_standalone},
    {"distributed", "run a worker of an aerosink cluster (WORKER.properties; REST API)", app_cmd_distributed},
    {"check", "check mapping, connector and worker files; print every problem", app_cmd_check},
    {"dry-run", "show the Aerospike operation sample records become (no Kafka, no Aerospike)", app_cmd_dryrun},
    {"version", "print the version", cmd_version},
    {"info", "ask an Aerospike node info commands (like asinfo -v)", cmd_info},
    {"get", "read one Aerospike record as JSON", cmd_get},
    {"put", "write one Aerospike record (aql-like values)", cmd_put},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fputs("usage: aerosink COMMAND [ARGS]\n\n"
          "A native Kafka -> Aerospike sink connector.\n\nCommands:\n", f);
    for (const struct app_command *c = app_commands; c->name; c++)
        fprintf(f, "  %-14s %s\n", c->name, c->summary);
    fputs("\nRun `aerosink COMMAND --help` for a command's options.\n", f);
}

static int cmd_help(int argc, char **argv, struct app_signals *sig)
{
    if (argc >= 2 && strcmp(argv[1], "config") == 0)
        return app_help_config(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "help") == 0) {
        puts("usage: aerosink help [COMMAND | config [--markdown]]\n\n"
             "Without an argument: the commands. With a command: its options (as `aerosink\n"
             "COMMAND --help`). `help config`: every configuration key of the mapping file and of\n"
             "the worker and connector properties, with defaults.");
        return 0;
    }
    if (argc >= 2) {
        for (const struct app_command *c = app_commands; c->name; c++) {
            if (strcmp(c->name, argv[1]) == 0 && c->run != cmd_help) {
                char *sub[] = {argv[1], (char *)"--help", NULL};
                return c->run(2, sub, sig);
            }
        }
        fprintf(stderr, "aerosink: no command '%s' (see 'aerosink help')\n", argv[1]);
        return 2;
    }
    usage(stdout);
    return 0;
}

int app_main(int argc, char **argv, struct app_signals *sig)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(0, NULL, sig);
    for (const struct app_command *c = app_commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            return c->run(argc - 1, argv + 1, sig);
    fprintf(stderr, "aerosink: unknown command '%s' (see 'aerosink help')\n", argv[1]);
    return 2;
}
