/* src/config/cfg_corpus_test.c: walks tests/data/config/{good,bad} and compares what the
 * checker says about each file with NAME.expected, line for line (file:line:col: path: msg). */
#include <dirent.h>
#include <sys/stat.h>

#include "../../tests/harness.h"
#include "../../tests/support/testutil.h"
#include "config.h"

/* The corpus, from the repository root (where `make test` runs) or $AEROSINK_SRC. */
static void enter_corpus(const char *sub)
{
    const char *root = getenv("AEROSINK_SRC");
    char path[1024];

    snprintf(path, sizeof(path), "%s/tests/data/config/%s", root && *root ? root : ".", sub);
    if (chdir(path) != 0)
        TEST_FAIL("chdir %s: %s (run from the repository root or set AEROSINK_SRC)", path,
                  strerror(errno));
}

static bool ends_with(const char *s, const char *suf)
{
    size_t l = strlen(s), n = strlen(suf);
    return l >= n && strcmp(s + l - n, suf) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted case files of the current directory (owned; free with free_names). */
static size_t list_cases(char ***out)
{
    DIR *dir = opendir(".");
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;

    ASSERT_TRUE(dir != NULL);
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.' || ends_with(de->d_name, ".expected") ||
            strcmp(de->d_name, "README.md") == 0 || strncmp(de->d_name, "helper-", 7) == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = mem_realloc(names, cap * sizeof(*names));
            ASSERT_TRUE(names != NULL);
        }
        names[n++] = mem_strdup(de->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof(*names), cmp_str);
    *out = names;
    return n;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mem_free(names[i]);
    mem_free(names);
}

/* Check @name the way `aerosink check --offline` does; every diagnostic as one line. */
static char *check_output(const char *name, size_t *errors, size_t *count)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf b = BUF_INIT;
    const char *files[] = {name};

    cfg_check_files(files, 1, 0, &d);
    for (size_t i = 0; i < d.n; i++) {
        cfg_diag_format(&d.v[i], &b);
        buf_append_str(&b, "\n");
    }
    *errors = d.errors;
    *count = d.n;
    cfg_diags_free(&d);
    buf_cstr(&b);
    return b.p ? (char *)b.p : mem_strdup("");
}

/* Compare every case with its .expected; report all mismatches, then fail. Returns cases. */
static size_t walk(bool bad)
{
    char **names;
    size_t n = list_cases(&names), failures = 0;

    for (size_t i = 0; i < n; i++) {
        char exp_path[512];
        size_t errors, count;
        char *expected, *got;

        snprintf(exp_path, sizeof(exp_path), "%s.expected", names[i]);
        expected = tu_read_file(exp_path, NULL);
        got = check_output(names[i], &errors, &count);
        if (!expected && (bad || count)) {
            fprintf(stderr, "    %s: no %s; the checker says:\n%s", names[i], exp_path, got);
            failures++;
        } else if (expected && strcmp(expected, got) != 0) {
            fprintf(stderr, "    %s: output differs\n      expected:\n%s      got:\n%s", names[i],
                    expected, got);
            failures++;
        } else if (bad && count == 0) {
            fprintf(stderr, "    %s: a bad file without any diagnostic\n", names[i]);
            failures++;
        } else if (!bad && errors) {
            fprintf(stderr, "    %s: a good file with %zu errors:\n%s", names[i], errors, got);
            failures++;
        }
        mem_free(expected);
        mem_free(got);
    }
    free_names(names, n);
    if (failures)
        TEST_FAIL("%zu of %zu files differ", failures, n);
    return n;
}

TEST(bad_corpus_matches_expected_lines)
{
    enter_corpus("bad");
    ASSERT_CMP_INT(walk(true), >=, 25);
}

TEST(good_corpus_has_no_errors)
{
    enter_corpus("good");
    ASSERT_CMP_INT(walk(false), >=, 10);
}

/* Every bad mapping case must also fail a plain load: the checker and the loader agree. */
TEST(bad_mappings_do_not_load)
{
    char **names;
    size_t n, checked = 0;

    enter_corpus("bad");
    n = list_cases(&names);
    for (size_t i = 0; i < n; i++) {
        struct cfg_diags d = CFG_DIAGS_INIT;
        struct cfg *c;
        if (!ends_with(names[i], ".yml") && !ends_with(names[i], ".json"))
            continue;
        if (strncmp(names[i], "connector_", 10) == 0)
            continue;
        c = cfg_load_file(names[i], 0, &d);
        if (d.errors) {
            if (c)
                TEST_FAIL("%s: loaded despite %zu errors", names[i], d.errors);
        } else if (!c) {
            TEST_FAIL("%s: not loaded but no error", names[i]);
        }
        checked++;
        cfg_free(c);
        cfg_diags_free(&d);
    }
    free_names(names, n);
    ASSERT_CMP_INT(checked, >=, 25);
}

TEST_LIST = {
    T(bad_corpus_matches_expected_lines),
    T(good_corpus_has_no_errors),
    T(bad_mappings_do_not_load),
    {0},
};
