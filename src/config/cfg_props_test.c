/* src/config/cfg_props_test.c: the .properties parser against java.util.Properties.load rules,
 * and connector JSON. Expected values are what Java's Properties yields for the same text. */
#include "../../tests/harness.h"
#include "config.h"

static struct cfg_props *parse(const char *text)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_props *p = cfg_props_parse(text, strlen(text), "t.properties", &d);
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < d.n; i++)
        if (d.v[i].sev == CFG_SEV_ERROR) {
            cfg_diag_format(&d.v[i], &b);
            TEST_FAIL("unexpected: %s", buf_cstr(&b));
        }
    ASSERT_TRUE(p != NULL);
    cfg_diags_free(&d);
    return p;
}

/* Diagnostics of a parse as lines (owned). */
static char *diags_of(const char *text, size_t len, bool json, struct cfg_props **out)
{
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct buf b = BUF_INIT;
    struct cfg_props *p = json ? cfg_props_parse_json(text, len, "c.json", &d)
                               : cfg_props_parse(text, len, "t.properties", &d);

    for (size_t i = 0; i < d.n; i++) {
        cfg_diag_format(&d.v[i], &b);
        buf_append_str(&b, "\n");
    }
    cfg_diags_free(&d);
    if (out)
        *out = p;
    else
        cfg_props_free(p);
    buf_cstr(&b);
    return b.p ? (char *)b.p : mem_strdup("");
}

#define GET(p, k) cfg_props_get((p), (k))

TEST(separators_equals_colon_blank)
{
    struct cfg_props *p = parse("a=1\nb: 2\nc 3\nd = 4\ne\t=\t5\nf\f:\f6\ng   7\nh=:8\ni  :=9\n");
    ASSERT_EQ_STR(GET(p, "a"), "1");
    ASSERT_EQ_STR(GET(p, "b"), "2");
    ASSERT_EQ_STR(GET(p, "c"), "3");
    ASSERT_EQ_STR(GET(p, "d"), "4");
    ASSERT_EQ_STR(GET(p, "e"), "5");
    ASSERT_EQ_STR(GET(p, "f"), "6");
    ASSERT_EQ_STR(GET(p, "g"), "7");
    ASSERT_EQ_STR(GET(p, "h"), ":8");   /* one separator only */
    ASSERT_EQ_STR(GET(p, "i"), "=9");   /* blanks, ':', then '=' is value */
    ASSERT_EQ_INT(p->n, 9);
    cfg_props_free(p);
}

TEST(whitespace_leading_skipped_trailing_kept)
{
    struct cfg_props *p = parse("   key = value with spaces   \n\t\fk2=v2\n");
    ASSERT_EQ_STR(GET(p, "key"), "value with spaces   ");
    ASSERT_EQ_STR(GET(p, "k2"), "v2");
    cfg_props_free(p);
}

TEST(comments_and_blank_lines)
{
    struct cfg_props *p = parse("# comment\n"
                                "! bang comment\n"
                                "   # indented comment\n"
                                "\n"
                                "   \t \n"
                                "a=1 # not a comment\n"
                                "# a comment ending in a backslash does not continue \\\n"
                                "b=2\n"
                                "c=#3\n");
    ASSERT_EQ_INT(p->n, 3);
    ASSERT_EQ_STR(GET(p, "a"), "1 # not a comment");
    ASSERT_EQ_STR(GET(p, "b"), "2");
    ASSERT_EQ_STR(GET(p, "c"), "#3");
    cfg_props_free(p);
}

TEST(keys_without_values)
{
    struct cfg_props *p = parse("k1\nk2=\nk3   \nk4 :\n=v5\n:\n");
    ASSERT_EQ_STR(GET(p, "k1"), "");
    ASSERT_EQ_STR(GET(p, "k2"), "");
    ASSERT_EQ_STR(GET(p, "k3"), "");
    ASSERT_EQ_STR(GET(p, "k4"), "");
    ASSERT_EQ_STR(GET(p, ""), "");   /* ":" alone: empty key, empty value (last wins) */
    cfg_props_free(p);
}

TEST(line_continuation)
{
    struct cfg_props *p = parse("a=one\\\n    two\\\n\t  three\n"
                                "b=even\\\\\n"
                                "c=odd\\\\\\\n  next\n"
                                "d=x\\\n"
                                "\n"
                                "e=after-blank\n"
                                "f=\\\n  # not a comment here\n");
    ASSERT_EQ_STR(GET(p, "a"), "onetwothree");
    ASSERT_EQ_STR(GET(p, "b"), "even\\");       /* \\ is one backslash, no continuation */
    ASSERT_EQ_STR(GET(p, "c"), "odd\\next");    /* \\\ = backslash + continuation */
    ASSERT_EQ_STR(GET(p, "d"), "x");            /* continued by an empty line: ends */
    ASSERT_EQ_STR(GET(p, "e"), "after-blank");
    ASSERT_EQ_STR(GET(p, "f"), "# not a comment here");
    cfg_props_free(p);
}

TEST(continuation_key_split_across_lines)
{
    struct cfg_props *p = parse("long.\\\n   key=v\n");
    ASSERT_EQ_STR(GET(p, "long.key"), "v");
    cfg_props_free(p);
}

TEST(line_terminators_lf_cr_crlf)
{
    struct cfg_props *p = parse("a=1\rb=2\r\nc=3\nd=x\\\r\n  y\re=\\\r  z\n");
    ASSERT_EQ_STR(GET(p, "a"), "1");
    ASSERT_EQ_STR(GET(p, "b"), "2");
    ASSERT_EQ_STR(GET(p, "c"), "3");
    ASSERT_EQ_STR(GET(p, "d"), "xy");
    ASSERT_EQ_STR(GET(p, "e"), "z");
    ASSERT_EQ_INT(cfg_props_find(p, "e")->line, 6);
    cfg_props_free(p);
}

TEST(escapes)
{
    struct cfg_props *p = parse("t=a\\tb\\nc\\rd\\fe\n"
                                "u=caf\\u00e9 \\u20AC \\uD83D\\uDE00\n"
                                "lone=\\uD83Dx\n"
                                "sep=\\=\\:\\ \\#\\!\\\\\n"
                                "other=\\q\\z\n"
                                "a\\=b\\:c\\ d = e\n"
                                "\\u0041BC=key from unicode\n"
                                "\\#notcomment=1\n");
    ASSERT_EQ_STR(GET(p, "t"), "a\tb\nc\rd\fe");
    ASSERT_EQ_STR(GET(p, "u"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    ASSERT_EQ_STR(GET(p, "lone"), "\xEF\xBF\xBDx");
    ASSERT_EQ_STR(GET(p, "sep"), "=: #!\\");
    ASSERT_EQ_STR(GET(p, "other"), "qz");
    ASSERT_EQ_STR(GET(p, "a=b:c d"), "e");
    ASSERT_EQ_STR(GET(p, "ABC"), "key from unicode");
    ASSERT_EQ_STR(GET(p, "#notcomment"), "1");
    cfg_props_free(p);
}

TEST(trailing_backslash_at_end_of_file_dropped)
{
    struct cfg_props *p = parse("a=b\\");
    ASSERT_EQ_STR(GET(p, "a"), "b");
    cfg_props_free(p);
}

TEST(lone_backslash_line_at_end_of_file)
{
    /* JDK 17 LineReader: "\\\n" or "\\\r" right before the end of the file still yields a
     * line (key "" = ""); "\\\r\n" does not. Found by props_java_test. */
    struct cfg_props *p = parse("a=1\n\\\n");
    ASSERT_EQ_INT(p->n, 2);
    ASSERT_EQ_STR(GET(p, ""), "");
    cfg_props_free(p);
    p = parse("a=1\n  \\\r");
    ASSERT_EQ_STR(GET(p, ""), "");
    cfg_props_free(p);
    p = parse("a=1\n\\\r\n");
    ASSERT_EQ_INT(p->n, 1);
    cfg_props_free(p);
}

TEST(comment_after_an_empty_continued_line)
{
    /* JDK 9+: a logical line still empty after a continuation may start a comment */
    struct cfg_props *p = parse("\\\n#k=v\nreal=1\n");
    ASSERT_TRUE(cfg_props_find(p, "#k") == NULL);
    ASSERT_EQ_INT(p->n, 1);
    cfg_props_free(p);
}

TEST(utf8_bytes_kept_and_bom_skipped)
{
    struct cfg_props *p = parse("\xEF\xBB\xBFname=caf\xC3\xA9\n");
    ASSERT_EQ_STR(GET(p, "name"), "caf\xC3\xA9");
    ASSERT_EQ_INT(cfg_props_find(p, "name")->vcol, 6);   /* columns count characters */
    cfg_props_free(p);
}

TEST(positions_of_keys_and_values)
{
    struct cfg_props *p = parse("# c\n  tasks.max = 4\ntopics=a,\\\n     b\nx=\\\n\n  k\\\n   ey = v\n");
    const struct cfg_prop *pr = cfg_props_find(p, "tasks.max");

    ASSERT_EQ_INT(pr->line, 2);
    ASSERT_EQ_INT(pr->col, 3);
    ASSERT_EQ_INT(pr->vline, 2);
    ASSERT_EQ_INT(pr->vcol, 15);
    pr = cfg_props_find(p, "topics");
    ASSERT_EQ_STR(pr->value, "a,b");
    ASSERT_EQ_INT(pr->vline, 3);
    ASSERT_EQ_INT(pr->vcol, 8);
    pr = cfg_props_find(p, "key");
    ASSERT_EQ_INT(pr->line, 7);
    ASSERT_EQ_INT(pr->col, 3);
    ASSERT_EQ_INT(pr->vline, 8);   /* the value is on the continuation line */
    ASSERT_EQ_INT(pr->vcol, 9);
    cfg_props_free(p);
}

TEST(duplicate_key_last_wins_with_warning)
{
    struct cfg_props *p;
    static const char text[] = "a=1\nb=2\na=3\n";
    char *out = diags_of(text, strlen(text), false, &p);

    ASSERT_EQ_STR(out, "warning: t.properties:3:1: a: set again (first on line 1): the last value wins\n");
    ASSERT_EQ_STR(GET(p, "a"), "3");
    ASSERT_EQ_INT(p->n, 2);
    ASSERT_EQ_STR(p->v[0].key, "a");   /* keeps its first slot */
    ASSERT_EQ_INT(p->v[0].line, 3);
    cfg_props_free(p);
    mem_free(out);
}

TEST(malformed_unicode_escapes_are_errors)
{
    struct cfg_props *p;
    static const char text[] = "ok=1\nbad=x\\u12G4\nend=\\u12\nnul=\\u0000\nk\\uZZZZ=v\n";
    char *out = diags_of(text, strlen(text), false, &p);

    ASSERT_TRUE(p == NULL);
    ASSERT_EQ_STR(out, "t.properties:2:6: bad: malformed \\uxxxx encoding (Java refuses this file)\n"
                       "t.properties:3:5: end: malformed \\uxxxx encoding (Java refuses this file)\n"
                       "t.properties:4:5: nul: \\u0000 (a NUL character) is not allowed\n"
                       "t.properties:5:2: malformed \\uxxxx encoding (Java refuses this file)\n");
    mem_free(out);
}

TEST(many_keys_and_limits)
{
    struct buf b = BUF_INIT;
    struct cfg_props *p;
    char key[32], *out;

    for (int i = 0; i < 5000; i++)
        buf_printf(&b, "key.%d=%d\n", i, i * 7);
    p = parse(buf_cstr(&b));
    ASSERT_EQ_INT(p->n, 5000);
    for (int i = 0; i < 5000; i += 97) {
        int64_t v = -1;
        snprintf(key, sizeof(key), "key.%d", i);
        ASSERT_TRUE(str_to_i64(GET(p, key), strlen(GET(p, key)), &v));
        ASSERT_EQ_INT(v, i * 7);
    }
    ASSERT_TRUE(GET(p, "key.5000") == NULL);
    cfg_props_free(p);
    buf_reset(&b);
    for (int i = 0; i < (4 << 20) / 4 + 1; i++)
        buf_append_str(&b, "#..\n");
    out = diags_of((char *)b.p, b.len, false, &p);
    ASSERT_TRUE(p == NULL);
    ASSERT_CONTAINS(out, "t.properties: file is 4194308 bytes (at most 4194304)");
    mem_free(out);
    buf_free(&b);
}

TEST(set_find_get)
{
    struct cfg_props *p = cfg_props_new("rest");
    ASSERT_OK(cfg_props_set(p, "name", "s", 0, 0));
    ASSERT_OK(cfg_props_set(p, "name", "t", 0, 0));
    ASSERT_EQ_STR(cfg_props_get(p, "name"), "t");
    ASSERT_EQ_INT(p->n, 1);
    ASSERT_TRUE(cfg_props_get(p, "nope") == NULL);
    ASSERT_TRUE(cfg_props_get(NULL, "x") == NULL);
    cfg_props_free(p);
    cfg_props_free(NULL);
}

/* --- connector JSON --- */

TEST(json_rest_shape_and_flat)
{
    static const char rest[] = "{\"name\": \"s\", \"initial_state\": \"PAUSED\",\n"
                               " \"config\": {\"connector.class\": \"aerosink\", \"tasks.max\": 3,\n"
                               "            \"errors.log.enable\": true, \"topics\": \"a,b\"}}";
    static const char flat[] = "{\"name\": \"s\", \"tasks.max\": \"2\"}";
    struct cfg_props *p;
    char *out = diags_of(rest, strlen(rest), true, &p);

    ASSERT_EQ_STR(out, "");
    ASSERT_EQ_STR(GET(p, "name"), "s");   /* from the request's name */
    ASSERT_EQ_STR(GET(p, "tasks.max"), "3");
    ASSERT_EQ_STR(GET(p, "errors.log.enable"), "true");
    ASSERT_TRUE(GET(p, "initial_state") == NULL);
    ASSERT_EQ_INT(cfg_props_find(p, "topics")->vline, 3);
    ASSERT_EQ_INT(cfg_props_find(p, "topics")->vcol, 51);   /* after the opening quote */
    cfg_props_free(p);
    mem_free(out);
    out = diags_of(flat, strlen(flat), true, &p);
    ASSERT_EQ_STR(out, "");
    ASSERT_EQ_STR(GET(p, "tasks.max"), "2");
    cfg_props_free(p);
    mem_free(out);
}

TEST(json_connector_errors)
{
    static const char nested[] = "{\"config\": {\"topics\": [\"a\"], \"x\": null}, \"extra\": 1}";
    static const char notobj[] = "[1, 2]";
    struct cfg_props *p;
    char *out = diags_of(nested, strlen(nested), true, &p);

    ASSERT_TRUE(p == NULL);
    ASSERT_EQ_STR(out, "c.json:1:23: topics: expected a string, got a list (Connect config values "
                       "are strings)\n"
                       "c.json:1:35: x: expected a string, got null\n"
                       "warning: c.json:1:42: extra: unknown field of a connector request "
                       "(expected name, config, initial_state): ignored\n");
    mem_free(out);
    out = diags_of(notobj, strlen(notobj), true, &p);
    ASSERT_TRUE(p == NULL);
    ASSERT_CONTAINS(out, "c.json:1:1: expected a JSON object");
    mem_free(out);
}

TEST_LIST = {
    T(separators_equals_colon_blank),
    T(whitespace_leading_skipped_trailing_kept),
    T(comments_and_blank_lines),
    T(keys_without_values),
    T(line_continuation),
    T(continuation_key_split_across_lines),
    T(line_terminators_lf_cr_crlf),
    T(escapes),
    T(trailing_backslash_at_end_of_file_dropped),
    T(lone_backslash_line_at_end_of_file),
    T(comment_after_an_empty_continued_line),
    T(utf8_bytes_kept_and_bom_skipped),
    T(positions_of_keys_and_values),
    T(duplicate_key_last_wins_with_warning),
    T(malformed_unicode_escapes_are_errors),
    T(many_keys_and_limits),
    T(set_find_get),
    T(json_rest_shape_and_flat),
    T(json_connector_errors),
    {0},
};
