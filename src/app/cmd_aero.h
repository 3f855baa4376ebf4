/* src/app/cmd_aero.h: `aerosink info|get|put` (cmd_aero.c): small Aerospike tools on the
 * client library. Each returns the exit code (0 ok, 1 runtime failure, 2 usage). */
#ifndef AEROSINK_CMD_AERO_H
#define AEROSINK_CMD_AERO_H

#include <signal.h>

int cmd_info(int argc, char **argv, struct app_signals *sig);
int cmd_get(int argc, char **argv, struct app_signals *sig);
int cmd_put(int argc, char **argv, struct app_signals *sig);

#endif
