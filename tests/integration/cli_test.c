/* tests/integration/cli_test.c: the command dispatcher as a user meets it: `help`, `help
 * COMMAND`, `help help`, `version`, unknown commands and stray arguments (exit codes and the
 * first lines of what is printed). */
#include <string.h>

#include "../harness.h"
#include "../support/testutil.h"

static int run(const char *args, char **out)
{
    char cmd[1024];
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

    snprintf(cmd, sizeof(cmd), "exec '%s' %s 2>&1", tu_bin("aerosink"), args);
    return tu_run(argv, 30000, out);
}

TEST(help_help_and_help_of_each_command)
{
    char *out = NULL;

    ASSERT_EQ_INT(run("help", &out), 0);
    ASSERT_CONTAINS(out, "usage: aerosink COMMAND [ARGS]");
    mem_free(out);
    ASSERT_EQ_INT(run("help help", &out), 0);   /* was: "no command 'help'", exit 2 */
    ASSERT_CONTAINS(out, "usage: aerosink help [COMMAND | config [--markdown]]");
    mem_free(out);
    ASSERT_EQ_INT(run("help version", &out), 0);   /* was: the version itself */
    ASSERT_CONTAINS(out, "usage: aerosink version");
    mem_free(out);
    ASSERT_EQ_INT(run("help dry-run", &out), 0);
    ASSERT_CONTAINS(out, "usage: aerosink dry-run");
    mem_free(out);
    ASSERT_EQ_INT(run("help nope", &out), 2);
    ASSERT_EQ_STR(out, "aerosink: no command 'nope' (see 'aerosink help')\n");
    mem_free(out);
}

/* The commit this checkout is at (16 hex digits), or "unknown" outside a git checkout: what
 * the Makefile gives the build. */
static void head_commit(char *out, size_t cap)
{
    const char *argv[] = {"/bin/sh", "-c", "git rev-parse --short=16 HEAD 2>/dev/null", NULL};
    char *o = NULL;
    int rc = tu_run(argv, 10000, &o);
    snprintf(out, cap, "%s", rc == 0 && o ? o : "unknown");
    out[strcspn(out, "\n")] = '\0';
    mem_free(o);
}

TEST(version_takes_no_arguments)
{
    char *out = NULL, head[64], want[128];

    /* the version and the commit built (make rebuilds version.o when HEAD moves) */
    head_commit(head, sizeof(head));
    snprintf(want, sizeof(want), "aerosink " AEROSINK_VERSION " (commit %s)\n", head);
    ASSERT_EQ_STR(aerosink_commit(), head);
    ASSERT_EQ_INT(run("version", &out), 0);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    ASSERT_EQ_INT(run("--version", &out), 0);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    ASSERT_EQ_INT(run("version extra", &out), 2);   /* was accepted silently */
    ASSERT_EQ_STR(out, "aerosink version: unexpected argument 'extra' (it takes none)\n");
    mem_free(out);
    ASSERT_EQ_INT(run("frobnicate", &out), 2);
    ASSERT_EQ_STR(out, "aerosink: unknown command 'frobnicate' (see 'aerosink help')\n");
    mem_free(out);
}

TEST_LIST = {
    T(help_help_and_help_of_each_command),
    T(version_takes_no_arguments),
    {0},
};
