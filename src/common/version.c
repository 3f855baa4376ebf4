/* src/common/version.c: the version and the git commit this build comes from. The Makefile
 * defines AEROSINK_COMMIT for this file only (and rebuilds it when HEAD moves). */
#include "common/common.h"

#ifndef AEROSINK_COMMIT
#define AEROSINK_COMMIT "unknown"
#endif

const char *aerosink_commit(void)
{
    return AEROSINK_COMMIT;
}
