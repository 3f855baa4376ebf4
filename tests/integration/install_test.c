/* tests/integration/install_test.c: `make install` / `make uninstall` into a staging directory,
 * the installed binary, the systemd units (systemd-analyze verify), the sysusers/tmpfiles
 * snippets, and the man pages (render without warnings; no drift from the binary's help).
 * Runs from the repository root (as `make test` does); tools that are missing (systemd-analyze,
 * groff, man, python3) skip their test with a line saying so. */
#include <sys/stat.h>

#include "../harness.h"
#include "../support/testutil.h"

#define SH_TIMEOUT_MS ((int)(120000 * test_timeout_scale()))

/* Run @cmd with /bin/sh -c; output (stdout+stderr) into *out when @out is not NULL. */
static int sh(char **out, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int sh(char **out, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return tu_run(argv, SH_TIMEOUT_MS, out);
}

static bool have(const char *tool)
{
    return sh(NULL, "command -v %s >/dev/null 2>&1", tool) == 0;
}

static const char *build_dir(void)
{
    const char *b = getenv("BUILD_DIR");
    return b && *b ? b : "build";
}

static void in_repo_root(void)
{
    struct stat st;
    if (stat("Makefile", &st) != 0 || stat("packaging/systemd/aerosink@.service.in", &st) != 0)
        TEST_FAIL("run from the repository root (make test does)");
}

/* make TARGET with the given variables; never rebuilds (the binaries are made by `make tests`). */
static void make(const char *target, const char *vars, char **out)
{
    char *o = NULL;
    const char *b = build_dir();
    int rc = sh(&o,
                "exec make --no-print-directory BUILD=%s -o %s/aerosink -o %s/kafka-mock -o %s/aerospike-testd "
                "-o %s/aero-bench %s %s",
                b, b, b, b, b, vars, target);
    if (rc != 0)
        TEST_FAIL("make %s %s: exit %d:\n%s", vars, target, rc, o);
    if (out)
        *out = o;
    else
        mem_free(o);
}

static unsigned mode_of(const char *root, const char *rel)
{
    char p[1024];
    struct stat st;

    snprintf(p, sizeof(p), "%s/%s", root, rel);
    if (lstat(p, &st) != 0)
        TEST_FAIL("%s was not installed", p);
    return (unsigned)(st.st_mode & 07777) | (S_ISDIR(st.st_mode) ? 010000u : 0u);
}
#define FILE_MODE(m) (m)
#define DIR_MODE(m) ((m) | 010000u)

static char *slurp(const char *root, const char *rel)
{
    char p[1024];
    char *t;

    snprintf(p, sizeof(p), "%s/%s", root, rel);
    t = tu_read_file(p, NULL);
    if (!t)
        TEST_FAIL("cannot read %s", p);
    return t;
}

/* Every regular file under a tree, as "relative/path\n" lines (sorted by find). */
static char *tree(const char *root)
{
    char *out = NULL;
    if (sh(&out, "cd %s && find . -type f -o -type l | sed 's|^\\./||' | LC_ALL=C sort", root) != 0)
        TEST_FAIL("find %s: %s", root, out);
    return out;
}

static const char *const INSTALLED[] = {
    "etc/aerosink/distributed/aerosink.env",
    "etc/aerosink/distributed/worker.properties",
    "etc/aerosink/example/aerosink.env",
    "etc/aerosink/example/aerospike-kafka-inbound.yml",
    "etc/aerosink/example/connector.properties",
    "etc/aerosink/example/worker.properties",
    "usr/bin/aerosink",
    "usr/lib/systemd/system/aerosink-distributed.service",
    "usr/lib/systemd/system/aerosink@.service",
    "usr/lib/sysusers.d/aerosink.conf",
    "usr/lib/tmpfiles.d/aerosink.conf",
    "usr/share/doc/aerosink/README.md",
    "usr/share/doc/aerosink/examples/aerospike-kafka-inbound.yml",
    "usr/share/doc/aerosink/examples/aerospike-sink.properties",
    "usr/share/doc/aerosink/examples/worker.properties",
    "usr/share/doc/aerosink/operations.md",
    "usr/share/man/man1/aerosink.1",
    "usr/share/man/man5/aerosink-config.5",
    NULL,
};

static const char *stage(void)
{
    static char dir[600];
    char vars[800];

    snprintf(dir, sizeof(dir), "%s/stage", tu_tmpdir());
    snprintf(vars, sizeof(vars), "DESTDIR=%s PREFIX=/usr", dir);
    make("install", vars, NULL);
    return dir;
}

TEST(install_puts_files_where_they_belong_with_sane_modes)
{
    const char *d;
    char *files, *unit, *tmpf;

    in_repo_root();
    d = stage();
    files = tree(d);
    for (int i = 0; INSTALLED[i]; i++) {
        char line[300];
        snprintf(line, sizeof(line), "%s\n", INSTALLED[i]);
        ASSERT_CONTAINS(files, line);
    }
    /* nothing outside the expected roots; test tools only with install-tools */
    for (char *l = files; *l;) {
        char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        if (strncmp(l, "usr/", 4) != 0 && strncmp(l, "etc/aerosink/", 13) != 0)
            TEST_FAIL("installed outside usr/ and etc/aerosink/: %.*s", (int)n, l);
        if (strncmp(l, "usr/bin/", 8) == 0 && strncmp(l, "usr/bin/aerosink\n", 17) != 0)
            TEST_FAIL("make install put a test tool in bin: %.*s", (int)n, l);
        l = nl ? nl + 1 : l + n;
    }
    ASSERT_EQ_INT(mode_of(d, "usr/bin/aerosink"), FILE_MODE(0755));
    ASSERT_EQ_INT(mode_of(d, "usr/bin"), DIR_MODE(0755));
    ASSERT_EQ_INT(mode_of(d, "usr/share/man/man1/aerosink.1"), FILE_MODE(0644));
    ASSERT_EQ_INT(mode_of(d, "usr/share/man/man5/aerosink-config.5"), FILE_MODE(0644));
    ASSERT_EQ_INT(mode_of(d, "usr/lib/systemd/system/aerosink@.service"), FILE_MODE(0644));
    ASSERT_EQ_INT(mode_of(d, "usr/lib/systemd/system/aerosink-distributed.service"), FILE_MODE(0644));
    ASSERT_EQ_INT(mode_of(d, "usr/lib/sysusers.d/aerosink.conf"), FILE_MODE(0644));
    ASSERT_EQ_INT(mode_of(d, "usr/lib/tmpfiles.d/aerosink.conf"), FILE_MODE(0644));
    ASSERT_EQ_INT(mode_of(d, "usr/share/doc/aerosink/operations.md"), FILE_MODE(0644));
    /* configuration: the directory closed to others (files may hold credentials) */
    ASSERT_EQ_INT(mode_of(d, "etc/aerosink"), DIR_MODE(0750));
    ASSERT_EQ_INT(mode_of(d, "etc/aerosink/example"), DIR_MODE(0755));
    ASSERT_EQ_INT(mode_of(d, "etc/aerosink/example/worker.properties"), FILE_MODE(0644));
    /* nothing group/world writable, nothing setuid */
    {
        char *bad = NULL;
        ASSERT_EQ_INT(sh(&bad, "find %s -perm /7022 ! -type l", d), 0);
        ASSERT_EQ_STR(bad, "");
        mem_free(bad);
    }
    /* units point at the installed binary and configuration: no placeholder left */
    unit = slurp(d, "usr/lib/systemd/system/aerosink@.service");
    ASSERT_CONTAINS(unit, "\nExecStart=/usr/bin/aerosink standalone $AEROSINK_OPTS worker.properties $AEROSINK_CONNECTORS\n");
    ASSERT_CONTAINS(unit, "\nWorkingDirectory=/etc/aerosink/%i\n");
    ASSERT_CONTAINS(unit, "\nType=notify\n");
    ASSERT_CONTAINS(unit, "\nUser=aerosink\n");
    ASSERT_CONTAINS(unit, "file:/usr/share/doc/aerosink/operations.md");
    ASSERT_TRUE(!strstr(unit, "@BINDIR@") && !strstr(unit, "@SYSCONFDIR@") && !strstr(unit, "@DOCDIR@"));
    mem_free(unit);
    unit = slurp(d, "usr/lib/systemd/system/aerosink-distributed.service");
    ASSERT_CONTAINS(unit, "\nExecStart=/usr/bin/aerosink distributed $AEROSINK_OPTS worker.properties\n");
    ASSERT_TRUE(!strstr(unit, "@BINDIR@") && !strstr(unit, "@SYSCONFDIR@") && !strstr(unit, "@DOCDIR@"));
    mem_free(unit);
    tmpf = slurp(d, "usr/lib/tmpfiles.d/aerosink.conf");
    ASSERT_CONTAINS(tmpf, "\nd /etc/aerosink 0750 root aerosink -\n");
    mem_free(tmpf);
    mem_free(files);
}

TEST(the_installed_binary_runs_and_accepts_the_sample_configuration)
{
    const char *d;
    char *out = NULL, *want = NULL;
    const char *argv_want[] = {tu_bin("aerosink"), "--version", NULL};

    in_repo_root();
    d = stage();
    ASSERT_EQ_INT(tu_run(argv_want, 10000, &want), 0);
    ASSERT_EQ_INT(sh(&out, "%s/usr/bin/aerosink --version", d), 0);
    ASSERT_TRUE(strncmp(out, "aerosink ", 9) == 0);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    /* what systemd runs: the unit's working directory, relative file names */
    ASSERT_EQ_INT(sh(&out, "cd %s/etc/aerosink/example && %s/usr/bin/aerosink check worker.properties connector.properties",
                     d, d), 0);
    ASSERT_CONTAINS(out, "0 errors, 0 warnings in 3 files");
    mem_free(out);
    ASSERT_EQ_INT(sh(&out, "cd %s/etc/aerosink/distributed && %s/usr/bin/aerosink check worker.properties", d, d), 0);
    ASSERT_CONTAINS(out, "0 errors, 0 warnings");
    mem_free(out);
    mem_free(want);
}

TEST(reinstall_keeps_edited_configuration_and_uninstall_keeps_it_too)
{
    const char *d;
    char vars[800], path[800], *out = NULL, *files, *text;

    in_repo_root();
    d = stage();
    snprintf(path, sizeof(path), "%s/etc/aerosink/example/worker.properties", d);
    tu_write_file(d, "etc/aerosink/example/worker.properties", "bootstrap.servers=edited:9092\n");
    snprintf(vars, sizeof(vars), "DESTDIR=%s PREFIX=/usr", d);
    make("install", vars, &out);
    ASSERT_CONTAINS(out, "kept ");
    mem_free(out);
    text = tu_read_file(path, NULL);
    ASSERT_EQ_STR(text, "bootstrap.servers=edited:9092\n");
    mem_free(text);

    make("uninstall", vars, &out);
    mem_free(out);
    files = tree(d);
    ASSERT_EQ_STR(files,
                  "etc/aerosink/distributed/aerosink.env\n"
                  "etc/aerosink/distributed/worker.properties\n"
                  "etc/aerosink/example/aerosink.env\n"
                  "etc/aerosink/example/aerospike-kafka-inbound.yml\n"
                  "etc/aerosink/example/connector.properties\n"
                  "etc/aerosink/example/worker.properties\n");
    mem_free(files);
}

TEST(install_tools_adds_the_test_tools)
{
    char dir[600], vars[800], *files;

    in_repo_root();
    snprintf(dir, sizeof(dir), "%s/tools", tu_tmpdir());
    snprintf(vars, sizeof(vars), "DESTDIR=%s PREFIX=/opt/aerosink", dir);
    make("install-tools", vars, NULL);
    files = tree(dir);
    ASSERT_EQ_STR(files, "opt/aerosink/bin/aero-bench\nopt/aerosink/bin/aerospike-testd\nopt/aerosink/bin/kafka-mock\n");
    ASSERT_EQ_INT(mode_of(dir, "opt/aerosink/bin/kafka-mock"), FILE_MODE(0755));
    mem_free(files);
}

/* Lines of @out that mention aerosink (the host's own units may have warnings of their own). */
static void fail_on_lines_about_us(const char *what, const char *out)
{
    for (const char *l = out; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        char line[1024];
        snprintf(line, sizeof(line), "%.*s", (int)MIN(n, sizeof(line) - 1), l);
        if (strstr(line, "aerosink"))
            TEST_FAIL("%s: %s\n(all output:\n%s)", what, line, out);
        if (n)
            fprintf(stderr, "    note: %s: %s\n", what, line);
        l = nl ? nl + 1 : l + n;
    }
}

TEST(units_pass_systemd_analyze_verify)
{
    char root[600], vars[1400], *out = NULL;

    if (!have("systemd-analyze"))
        TEST_SKIP("systemd-analyze not installed (apt-get install systemd)");
    in_repo_root();
    /* Installed under a private prefix (no DESTDIR) so ExecStart names a binary that exists:
     * verify checks that, and that the Documentation= man pages open. */
    snprintf(root, sizeof(root), "%s/p", tu_tmpdir());
    snprintf(vars, sizeof(vars), "PREFIX=%s SYSCONFDIR=%s/etc POSTINSTALL=no", root, root);
    make("install", vars, NULL);
    ASSERT_EQ_INT(sh(&out, "MANPATH=%s/share/man systemd-analyze verify %s/lib/systemd/system/aerosink@.service "
                     "%s/lib/systemd/system/aerosink-distributed.service",
                     root, root, root), 0);
    fail_on_lines_about_us("systemd-analyze verify", out);
    mem_free(out);
    /* a deliberately broken copy must be caught, or this test proves nothing */
    ASSERT_EQ_INT(sh(NULL, "sed 's/^Type=notify/Tpye=notify/' %s/lib/systemd/system/aerosink@.service "
                     ">%s/lib/systemd/system/aerosink-broken@.service", root, root), 0);
    sh(&out, "MANPATH=%s/share/man systemd-analyze verify %s/lib/systemd/system/aerosink-broken@.service", root, root);
    ASSERT_CONTAINS(out, "Tpye");
    mem_free(out);
}

TEST(sysusers_and_tmpfiles_snippets_create_the_user_and_directory)
{
    const char *d;
    char *out = NULL, *passwd, *group, *gl;
    struct stat st;
    char path[800];
    long gid;

    if (!have("systemd-sysusers") || !have("systemd-tmpfiles"))
        TEST_SKIP("systemd-sysusers/systemd-tmpfiles not installed");
    if (geteuid() != 0)
        TEST_SKIP("not root: systemd-tmpfiles --root cannot chown");
    in_repo_root();
    d = stage();
    ASSERT_EQ_INT(sh(&out, "systemd-sysusers --root=%s 2>&1", d), 0);
    mem_free(out);
    passwd = slurp(d, "etc/passwd");
    group = slurp(d, "etc/group");
    ASSERT_TRUE(strncmp(passwd, "aerosink:x:", 11) == 0 || strstr(passwd, "\naerosink:x:"));
    gl = strstr(group, "aerosink:x:");
    ASSERT_TRUE(gl != NULL);
    gid = strtol(gl + strlen("aerosink:x:"), NULL, 10);
    ASSERT_TRUE(gid > 0);
    /* the directory starts root:root 0750 from make install; tmpfiles hands it to the group */
    ASSERT_EQ_INT(sh(&out, "systemd-tmpfiles --root=%s --create %s/usr/lib/tmpfiles.d/aerosink.conf 2>&1", d, d), 0);
    mem_free(out);
    snprintf(path, sizeof(path), "%s/etc/aerosink", d);
    ASSERT_EQ_INT(stat(path, &st), 0);
    ASSERT_EQ_INT(st.st_mode & 07777, 0750);
    ASSERT_EQ_INT(st.st_uid, 0);
    ASSERT_EQ_INT(st.st_gid, gid);
    mem_free(passwd);
    mem_free(group);
}

/* The page rendered as plain text (man -l, else groff), for content checks. */
static char *render(const char *page)
{
    char *out = NULL;
    int rc;

    if (have("man"))
        rc = sh(&out, "MANWIDTH=80 LC_ALL=C.UTF-8 man -l %s 2>/dev/null", page);
    else
        rc = sh(&out, "groff -man -Tutf8 -P-cbou %s 2>/dev/null", page);
    if (rc != 0)
        TEST_FAIL("rendering %s: exit %d: %s", page, rc, out);
    return out;
}

TEST(man_pages_render_without_warnings)
{
    const char *pages[] = {"docs/man/aerosink.1", "docs/man/aerosink-config.5", NULL};

    if (!have("groff") && !have("man"))
        TEST_SKIP("neither groff nor man installed (apt-get install groff-base man-db)");
    in_repo_root();
    for (int i = 0; pages[i]; i++) {
        char *out = NULL, *text;
        if (have("groff")) {
            ASSERT_EQ_INT(sh(&out, "groff -man -Tutf8 -ww -z %s 2>&1", pages[i]), 0);
            if (*out)
                TEST_FAIL("groff warnings for %s:\n%s", pages[i], out);
            mem_free(out);
        }
        if (have("man")) {
            ASSERT_EQ_INT(sh(&out, "MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l %s 2>&1 >/dev/null", pages[i]), 0);
            if (*out)
                TEST_FAIL("man --warnings for %s:\n%s", pages[i], out);
            mem_free(out);
        }
        text = render(pages[i]);
        ASSERT_TRUE(strlen(text) > 1000);
        ASSERT_CONTAINS(text, "NAME");
        ASSERT_CONTAINS(text, "SEE ALSO");
        mem_free(text);
    }
}

TEST(generated_man_pages_match_the_binary)
{
    char *out = NULL;

    if (!have("python3"))
        TEST_SKIP("python3 not installed: cannot run scripts/gen-man.py");
    in_repo_root();
    if (sh(&out, "python3 scripts/gen-man.py --check %s docs/man 2>&1", tu_bin("aerosink")) != 0)
        TEST_FAIL("docs/man differs from what the binary's help generates; run `make man` and commit:\n%s", out);
    mem_free(out);
}

/* Independent of the generator: every key `aerosink help config` lists (a line indented 2
 * followed by one indented 6) and every command and --option of `aerosink help` appear in the
 * rendered pages. */
TEST(every_config_key_and_option_is_in_the_man_pages)
{
    const char *cfg_argv[] = {tu_bin("aerosink"), "help", "config", NULL};
    const char *help_argv[] = {tu_bin("aerosink"), "help", NULL};
    char *cfg = NULL, *help = NULL, *page5, *page1;
    int keys = 0, opts = 0;

    if (!have("groff") && !have("man"))
        TEST_SKIP("neither groff nor man installed");
    in_repo_root();
    page5 = render("docs/man/aerosink-config.5");
    page1 = render("docs/man/aerosink.1");
    ASSERT_EQ_INT(tu_run(cfg_argv, 10000, &cfg), 0);
    for (char *l = cfg; *l;) {
        char *nl = strchr(l, '\n');
        if (!nl)
            break;
        if (strncmp(l, "  ", 2) == 0 && l[2] != ' ' && strncmp(nl + 1, "      ", 6) == 0 && nl[7] != ' ') {
            char key[200];
            size_t n = strcspn(l + 2, " \n");
            snprintf(key, sizeof(key), "%.*s", (int)MIN(n, sizeof(key) - 1), l + 2);
            if (!strstr(page5, key))
                TEST_FAIL("key %s of `aerosink help config` is not in aerosink-config(5)", key);
            keys++;
        }
        l = nl + 1;
    }
    ASSERT_CMP_INT(keys, >, 100);

    ASSERT_EQ_INT(tu_run(help_argv, 10000, &help), 0);
    for (char *l = strstr(help, "Commands:\n"); l && (l = strchr(l, '\n')) && strncmp(l + 1, "  ", 2) == 0;) {
        char name[64], *sub = NULL;
        size_t n;
        l += 3;
        n = strcspn(l, " \n");
        snprintf(name, sizeof(name), "%.*s", (int)MIN(n, sizeof(name) - 1), l);
        if (!strstr(page1, name))
            TEST_FAIL("command %s is not in aerosink(1)", name);
        {
            const char *argv[] = {tu_bin("aerosink"), name, "--help", NULL};
            tu_run(argv, 10000, &sub);
        }
        for (char *o = sub; (o = strstr(o, "  --")) != NULL; o += 4) {
            char opt[64];
            size_t k = strspn(o + 2, "-abcdefghijklmnopqrstuvwxyz");
            snprintf(opt, sizeof(opt), "%.*s", (int)MIN(k, sizeof(opt) - 1), o + 2);
            if (!strstr(page1, opt))
                TEST_FAIL("option %s of aerosink %s is not in aerosink(1)", opt, name);
            opts++;
        }
        mem_free(sub);
    }
    ASSERT_CMP_INT(opts, >, 10);
    mem_free(cfg);
    mem_free(help);
    mem_free(page1);
    mem_free(page5);
}

TEST_LIST = {
    T(install_puts_files_where_they_belong_with_sane_modes),
    T(the_installed_binary_runs_and_accepts_the_sample_configuration),
    T(reinstall_keeps_edited_configuration_and_uninstall_keeps_it_too),
    T(install_tools_adds_the_test_tools),
    T(units_pass_systemd_analyze_verify),
    T(sysusers_and_tmpfiles_snippets_create_the_user_and_directory),
    T(man_pages_render_without_warnings),
    T(generated_man_pages_match_the_binary),
    T(every_config_key_and_option_is_in_the_man_pages),
    {0},
};
