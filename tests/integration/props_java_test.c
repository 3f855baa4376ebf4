/* tests/integration/props_java_test.c: differential test of the .properties parser against
 * the JDK's java.util.Properties.load on random texts made of the tricky pieces (separators,
 * blanks, comments, continuations, CR/LF/CRLF, escapes, \uXXXX, surrogate pairs, UTF-8).
 * Skipped when javac/java are not installed. Known, documented differences are excluded:
 * \u0000 (we refuse NUL) and lone surrogates (U+FFFD for us; PropsDump maps them too). */
#include "../harness.h"
#include "../support/testutil.h"
#include "../../src/config/config.h"

#define CASES 2000

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static const char *const pieces[] = {
    "a", "b", "k", ".", "=", ":", " ", " ", "\t", "\f", "\\", "\\", "#", "!", "\n", "\n", "\r",
    "\r\n", "4", "F", "\xC3\xA9", "\xE2\x82\xAC", "\\u0041", "\\u00e9", "\\u20AC",
    "\\uD83D\\uDE00", "\\uDE00", "x=y", "\\\n", "\\\r\n", "  \\\n   ", "\\\\",
    "\\=", "\\:", "\\ ", "\\t", "\\q"};

/* The same escaping as PropsDump.java, from UTF-8. */
static void esc(struct buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        uint32_t cp = *p;
        int l = cp < 0x80 ? 1 : (cp & 0xE0) == 0xC0 ? 2 : (cp & 0xF0) == 0xE0 ? 3 : 4;
        if (l > 1)
            cp &= l == 2 ? 0x1F : l == 3 ? 0x0F : 0x07;
        for (int i = 1; i < l; i++)
            cp = cp << 6 | (p[i] & 0x3F);
        p += l;
        if (cp == '\\') buf_append_str(b, "\\\\");
        else if (cp == '\t') buf_append_str(b, "\\t");
        else if (cp == '\n') buf_append_str(b, "\\n");
        else if (cp == '\r') buf_append_str(b, "\\r");
        else if (cp == '\f') buf_append_str(b, "\\f");
        else if (cp >= 0x10000)
            buf_printf(b, "\\u%04X\\u%04X", 0xD800 + ((cp - 0x10000) >> 10),
                       0xDC00 + ((cp - 0x10000) & 0x3FF));
        else if (cp < 0x20 || cp > 0x7E) buf_printf(b, "\\u%04X", cp);
        else buf_put_u8(b, (uint8_t)cp);
    }
}

/* Full path of @prog from $PATH (tu_run execs without a search), or NULL. */
static const char *which(const char *prog, char *out, size_t cap)
{
    const char *path = getenv("PATH");

    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        const char *e = strchr(p, ':');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        snprintf(out, cap, "%.*s/%s", (int)l, p, prog);
        if (l && access(out, X_OK) == 0)
            return out;
        p += l + (e ? 1 : 0);
    }
    return NULL;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of @text in place (a canonical form: the two dumpers sort differently). */
static void sort_lines(char *text, struct buf *out)
{
    char *lines[4096];
    size_t n = 0;

    for (char *s = text, *nl; *s && n < ARRAY_LEN(lines); s = nl + 1) {
        nl = strchr(s, '\n');
        if (!nl)
            break;
        *nl = '\0';
        lines[n++] = s;
    }
    qsort(lines, n, sizeof(*lines), cmp_lines);
    for (size_t i = 0; i < n; i++)
        buf_printf(out, "%s\n", lines[i]);
}

static char *ours(const char *path)
{
    struct err e = {0};
    size_t len = 0;
    char *text = cfg_read_file(path, &len, &e);
    struct cfg_props *p;
    struct buf b = BUF_INIT;

    ASSERT_TRUE(text != NULL);
    p = cfg_props_parse(text, len, path, NULL);
    if (!p) {
        buf_append_str(&b, "ERROR\n");
    } else {
        for (size_t i = 0; i < p->n; i++) {
            esc(&b, p->v[i].key);
            buf_put_u8(&b, '\t');
            esc(&b, p->v[i].value);
            buf_put_u8(&b, '\n');
        }
    }
    cfg_props_free(p);
    mem_free(text);
    buf_cstr(&b);
    return (char *)b.p;
}

TEST(properties_parser_matches_the_jdk)
{
    const char *dir = tu_tmpdir();
    const char *src = getenv("AEROSINK_SRC");
    char javasrc[1024], classes[600], javac_path[512], java_path[512];
    const char **argv = mem_calloc(CASES + 8, sizeof(*argv));
    char **paths = mem_calloc(CASES, sizeof(*paths));
    char *out = NULL;
    size_t compared = 0, errors = 0;
    int rc;

    if (!which("javac", javac_path, sizeof(javac_path)) ||
        !which("java", java_path, sizeof(java_path)))
        TEST_SKIP("no JDK (javac, java) on PATH");
    snprintf(javasrc, sizeof(javasrc), "%s/tests/data/config/java/PropsDump.java",
             src && *src ? src : ".");
    snprintf(classes, sizeof(classes), "%s/classes", dir);
    const char *javac[] = {javac_path, "-d", classes, javasrc, NULL};
    rc = tu_run(javac, 120000, &out);
    if (rc != 0)
        TEST_FAIL("javac failed (%d): %s", rc, out);
    mem_free(out);

    argv[0] = java_path;
    argv[1] = "-cp";
    argv[2] = classes;
    argv[3] = "PropsDump";
    for (int i = 0; i < CASES; i++) {
        struct buf t = BUF_INIT;
        char name[32];
        size_t n = next_rand() % 100;
        for (size_t k = 0; k < n; k++) {
            if (i % 10 == 0 && k == n / 2)
                buf_append_str(&t, "\\u12G4");   /* malformed: both must refuse the file */
            buf_append_str(&t, pieces[next_rand() % ARRAY_LEN(pieces)]);
        }
        snprintf(name, sizeof(name), "c%04d.properties", i);
        paths[i] = mem_strdup(tu_write_file(dir, name, t.len ? buf_cstr(&t) : ""));
        argv[4 + i] = paths[i];
        buf_free(&t);
    }
    rc = tu_run(argv, 300000, &out);
    if (rc != 0)
        TEST_FAIL("java failed (%d): %.2000s", rc, out);
    mem_free(out);

    for (int i = 0; i < CASES; i++) {
        char jpath[700];
        char *j, *c;
        struct buf js = BUF_INIT, cs = BUF_INIT;
        snprintf(jpath, sizeof(jpath), "%s.java", paths[i]);
        j = tu_read_file(jpath, NULL);
        ASSERT_TRUE(j != NULL);
        c = ours(paths[i]);
        if (strstr(j, "\\u0000")) {   /* documented difference: NUL refused */
            mem_free(j);
            mem_free(c);
            continue;
        }
        sort_lines(j, &js);
        sort_lines(c, &cs);
        if (strcmp(buf_cstr(&js), buf_cstr(&cs)) != 0) {
            char *text = tu_read_file(paths[i], NULL);
            struct buf q = BUF_INIT;
            esc(&q, text);
            TEST_FAIL("%s differs from the JDK\n      text: %s\n      java:\n%s      ours:\n%s",
                      paths[i], buf_cstr(&q), buf_cstr(&js), buf_cstr(&cs));
        }
        errors += strcmp(buf_cstr(&js), "ERROR\n") == 0;
        compared++;
        buf_free(&js);
        buf_free(&cs);
        mem_free(j);
        mem_free(c);
    }
    printf("    compared %zu files with the JDK (%zu refused by both)\n", compared, errors);
    ASSERT_CMP_INT(compared, >, CASES * 9 / 10);
    ASSERT_CMP_INT(errors, >, 0);              /* malformed files were compared too */
    ASSERT_CMP_INT(errors, <, compared / 2);   /* most cases must be real, valid files */
    for (int i = 0; i < CASES; i++)
        mem_free(paths[i]);
    mem_free(paths);
    mem_free(argv);
}

TEST_LIST = {
    T(properties_parser_matches_the_jdk),
    {0},
};
