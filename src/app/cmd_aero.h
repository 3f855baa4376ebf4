/* src/app/cmd_aero.h: `aerosink info|get|put` (cmd_aero.c): small Aerospike tools on the
 * client library. Each returns the exit code (0 ok, 1 runtime failure, 2 usage). */
#ifndef AEROSINK_CMD_AERO_H
#define AEROSINK_CMD_AERO_H

#include <signal.h>

#include "aerospike/aero.h"
#include "common/common.h"

int cmd_info(int argc, char **argv, struct app_signals *sig);
int cmd_get(int argc, char **argv, struct app_signals *sig);
int cmd_put(int argc, char **argv, struct app_signals *sig);

/* One bin's value as JSON appended to @o (blobs as base64, or hex when @hex; doubles JSON
 * cannot hold as "NaN", "Infinity", "-Infinity", as Jackson writes them); ST_PARSE for a
 * value whose size does not fit its particle type. */
enum status app_bin_to_json(const struct aero_bin_view *b, struct buf *o, bool hex);

#endif
