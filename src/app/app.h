/* src/app/app.h: the aerosink command line: one function per subcommand.
 * Owns: argument parsing, printing to stdout/stderr, exit codes, signal-driven stop flags.
 * Not here: the work itself (worker/, aerospike/, config/, ...); these only wire it up.
 * Threads: called from main() only. Each command returns the process exit code
 *          (0 ok, 1 runtime failure, 2 usage or configuration error). */
#ifndef AEROSINK_APP_H
#define AEROSINK_APP_H

#include <signal.h>

/* Flags set by main()'s signal handlers: stop (SIGINT/SIGTERM: the first one's signal number;
 * a second one sets WORKER_STOP_NOW, worker.h: stop waiting for in-flight writes) and reload
 * (SIGHUP). Commands read them and clear reload when they handle it. */
struct app_signals {
    volatile sig_atomic_t stop;
    volatile sig_atomic_t reload;
};

struct app_command {
    const char *name;
    const char *summary;   /* one line for `aerosink help` */
    int (*run)(int argc, char **argv, struct app_signals *sig);   /* argv[0] = name */
};

/* NULL-terminated table of every subcommand (app.c). */
extern const struct app_command app_commands[];

/* Dispatch argv to a subcommand; prints usage for none/unknown. */
int app_main(int argc, char **argv, struct app_signals *sig);

/* cmd_check.c: `aerosink check FILE...` and `aerosink help config [--markdown]`. */
int app_cmd_check(int argc, char **argv, struct app_signals *sig);
int app_cmd_standalone(int argc, char **argv, struct app_signals *sig);
/* cmd_distributed.c: `aerosink distributed WORKER.properties`. */
int app_cmd_distributed(int argc, char **argv, struct app_signals *sig);
int app_help_config(int argc, char **argv);
/* cmd_check.c: what `check` (and `standalone` before it starts) adds to cfg_check_files:
 * every Kafka client setting (worker security.*, ssl.*, sasl.*, client.*, consumer.*,
 * producer.*; connector consumer.override.*, producer.override.*) tried on a scratch
 * librdkafka configuration, a refused one reported at its file:line:col. */
struct cfg_check_hooks;
extern const struct cfg_check_hooks app_check_hooks;
/* cmd_dryrun.c: `aerosink dry-run WORKER CONNECTOR [RECORDS]`. */
int app_cmd_dryrun(int argc, char **argv, struct app_signals *sig);

#endif
