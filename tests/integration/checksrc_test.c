/* The machine-checked style rules (scripts/checksrc) hold for the whole tree. */
#include "../harness.h"
#include "../support/testutil.h"

TEST(source_tree_passes_checksrc)
{
    const char *argv[] = {"/bin/bash", "scripts/checksrc", NULL};
    char *out = NULL;
    int rc = tu_run(argv, 60000, &out);
    if (rc != 0)
        TEST_FAIL("scripts/checksrc (exit %d):\n%s", rc, out);
    ASSERT_CONTAINS(out, "checksrc: clean");
    mem_free(out);
}

TEST_LIST = {
    T(source_tree_passes_checksrc),
    {0},
};
