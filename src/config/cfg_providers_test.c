/* src/config/cfg_providers_test.c: config providers (KIP-297, KIP-887) in property values:
 * the file, environment and directory providers, ConfigTransformer's reference syntax, the
 * errors for what cannot be resolved, and resolved values kept out of every message. */
#include <sys/stat.h>

#include "../../tests/harness.h"
#include "../../tests/support/testutil.h"
#include "config.h"
#include "config_int.h"

#define FILE_CLASS "org.apache.kafka.common.config.provider.FileConfigProvider"
#define ENV_CLASS "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
#define DIR_CLASS "org.apache.kafka.common.config.provider.DirectoryConfigProvider"

#define PROVIDERS                                       \
    "config.providers=file,env,dir\n"                   \
    "config.providers.file.class=" FILE_CLASS "\n"      \
    "config.providers.env.class=" ENV_CLASS "\n"        \
    "config.providers.dir.class=" DIR_CLASS "\n"

/* A directory with secrets.properties (mode 600) and sec/token ("tok\n", mode 600). */
struct fx {
    char dir[512];
    char secrets[600];   /* dir/secrets.properties */
    char sec[600];       /* dir/sec */
};

static void fx_init(struct fx *f)
{
    snprintf(f->dir, sizeof(f->dir), "%s", tu_tmpdir());
    snprintf(f->secrets, sizeof(f->secrets), "%s",
             tu_write_file(f->dir, "secrets.properties",
                           "db.password = s3cr3t\\\n    -Pw\n"
                           "uni=a\\u0041b\n"
                           "tasks=s3cr3t-Tasks\n"
                           "conv=com.S3cr3t.Conv\n"
                           "nested=${env:AEROSINK_PV_A}\n"));
    ASSERT_EQ_INT(chmod(f->secrets, 0600), 0);
    snprintf(f->sec, sizeof(f->sec), "%s/sec", f->dir);
    ASSERT_EQ_INT(mkdir(f->sec, 0700), 0);
    ASSERT_EQ_INT(chmod(tu_write_file(f->sec, "token", "tok\n"), 0600), 0);
    setenv("AEROSINK_PV_A", "va", 1);
    setenv("AEROSINK_PV_12", "v12", 1);
    unsetenv("AEROSINK_PV_UNSET");
}

static struct cfg_props *props(const char *text, const char *name)
{
    struct cfg_props *p = cfg_props_parse(text, strlen(text), name, NULL);
    ASSERT_TRUE(p != NULL);
    return p;
}

/* Providers of a worker file with @text; its diagnostics go to @d. */
static struct cfg_providers *providers(const char *text, struct cfg_diags *d)
{
    struct cfg_props *w = props(text, "w.properties");
    struct cfg_providers *pv = cfg_providers_new(w, d);
    ASSERT_TRUE(pv != NULL);
    cfg_props_free(w);
    return pv;
}

/* Every diagnostic, one per line (owned). */
static char *lines(const struct cfg_diags *d)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < d->n; i++) {
        cfg_diag_format(&d->v[i], &b);
        buf_append_str(&b, "\n");
    }
    buf_cstr(&b);
    return b.p ? (char *)b.p : mem_strdup("");
}

/* Resolve connector text @text (printf format, "%1$s" = fixture dir) with the standard
 * providers; returns the properties, diagnostics in @d, status in @st. */
static struct cfg_props *resolve_text(const char *text, struct cfg_diags *d, enum status *st,
                                      struct cfg_resolved **res)
{
    struct cfg_providers *pv = providers(PROVIDERS, NULL);
    struct cfg_props *p = props(text, "c.properties");

    *st = cfg_props_resolve(p, pv, res, d);
    cfg_providers_free(pv);
    return p;
}

TEST(file_provider_value)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_resolved *res = NULL;
    char text[16384];
    enum status st;

    fx_init(&f);
    snprintf(text, sizeof(text),
             "pw=${file:%s:db.password}\nu=${file:%s:uni}\nplain=x\n", f.secrets, f.secrets);
    struct cfg_props *p = resolve_text(text, &d, &st, &res);
    ASSERT_ST(st, ST_OK);
    ASSERT_EQ_INT(d.n, 0);
    /* java.util.Properties rules of the secrets file: continuation, \u escapes */
    ASSERT_EQ_STR(cfg_props_get(p, "pw"), "s3cr3t-Pw");
    ASSERT_EQ_STR(cfg_props_get(p, "u"), "aAb");
    ASSERT_EQ_STR(cfg_props_get(p, "plain"), "x");
    ASSERT_TRUE(res != NULL);
    /* positions survive: the value still points at its place in the file */
    ASSERT_EQ_INT(cfg_props_find(p, "u")->vline, 2);
    ASSERT_EQ_INT(cfg_props_find(p, "u")->vcol, 3);
    cfg_resolved_free(res);
    cfg_props_free(p);
    cfg_diags_free(&d);
}

TEST(env_provider_both_syntaxes_and_no_path)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    enum status st;
    char *out;

    fx_init(&f);
    struct cfg_props *p = resolve_text("a=${env:AEROSINK_PV_A}\nb=${env::AEROSINK_PV_A}\n"
                                       "c=${env:some/path:AEROSINK_PV_A}\n",
                                       &d, &st, NULL);
    ASSERT_ST(st, ST_CONFIG);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "va");
    ASSERT_EQ_STR(cfg_props_get(p, "b"), "va");
    ASSERT_EQ_STR(cfg_props_get(p, "c"), "${env:some/path:AEROSINK_PV_A}");   /* kept */
    out = lines(&d);
    ASSERT_EQ_STR(out, "c.properties:3:3: c: ${env:some/path:AEROSINK_PV_A}: "
                       "EnvVarConfigProvider takes no path: write ${env:AEROSINK_PV_A}\n");
    mem_free(out);
    cfg_props_free(p);
    cfg_diags_free(&d);
}

TEST(env_allowlist_pattern_matches_whole_names)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_providers *pv;
    struct cfg_props *p;
    char *out;

    fx_init(&f);
    /* AEROSINK_PV_[A-Z] as a prefix would also allow AEROSINK_PV_A1: Connect uses matches() */
    setenv("AEROSINK_PV_A1", "va1", 1);
    pv = providers("config.providers=env\nconfig.providers.env.class=" ENV_CLASS "\n"
                   "config.providers.env.param.allowlist.pattern=AEROSINK_PV_[A-Z]|AEROSINK_PV_\\\\d+\n",
                   &d);
    ASSERT_EQ_INT(d.n, 0);
    p = props("a=${env:AEROSINK_PV_A}\nb=${env:AEROSINK_PV_12}\nc=${env:AEROSINK_PV_A1}\n"
              "d=${env:HOME}\n", "c.properties");
    ASSERT_ST(cfg_props_resolve(p, pv, NULL, &d), ST_CONFIG);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "va");
    ASSERT_EQ_STR(cfg_props_get(p, "b"), "v12");   /* \d translated */
    ASSERT_EQ_STR(cfg_props_get(p, "c"), "${env:AEROSINK_PV_A1}");
    ASSERT_EQ_STR(cfg_props_get(p, "d"), "${env:HOME}");
    out = lines(&d);
    ASSERT_EQ_STR(out, "c.properties:3:3: c: ${env:AEROSINK_PV_A1}: environment variable "
                       "AEROSINK_PV_A1 is not allowed by "
                       "config.providers.env.param.allowlist.pattern\n"
                       "c.properties:4:3: d: ${env:HOME}: environment variable HOME is not "
                       "allowed by config.providers.env.param.allowlist.pattern\n");
    mem_free(out);
    cfg_props_free(p);
    cfg_providers_free(pv);
    cfg_diags_free(&d);

    /* a pattern POSIX cannot say is an error in the worker file; references stay quietly */
    d = (struct cfg_diags)CFG_DIAGS_INIT;
    pv = providers("config.providers=env\nconfig.providers.env.class=" ENV_CLASS "\n"
                   "config.providers.env.param.allowlist.pattern=(?i)aerosink_.*\n",
                   &d);
    out = lines(&d);
    ASSERT_CONTAINS(out, "w.properties:3:46: config.providers.env.param.allowlist.pattern: "
                         "\"(?i)aerosink_.*\": ");
    ASSERT_EQ_INT(d.errors, 1);
    mem_free(out);
    p = props("a=${env:AEROSINK_PV_A}\n", "c.properties");
    ASSERT_ST(cfg_props_resolve(p, pv, NULL, &d), ST_OK);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "${env:AEROSINK_PV_A}");
    ASSERT_EQ_INT(d.n, 1);
    cfg_props_free(p);
    cfg_providers_free(pv);
    cfg_diags_free(&d);
}

TEST(directory_provider)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    char text[16384], want[16384], sub[700], *out;
    enum status st;

    fx_init(&f);
    snprintf(sub, sizeof(sub), "%s/sub", f.sec);
    ASSERT_EQ_INT(mkdir(sub, 0700), 0);
    snprintf(text, sizeof(text),
             "a=${dir:%1$s:token}\nb=${dir:%1$s/:token}\nc=${dir:%1$s:nope}\n"
             "d=${dir:%1$s:../secrets.properties}\ne=${dir:%1$s:sub}\nf=${dir:%1$s/none:token}\n"
             "g=${dir::token}\n",
             f.sec);
    struct cfg_props *p = resolve_text(text, &d, &st, NULL);
    ASSERT_ST(st, ST_CONFIG);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "tok\n");   /* the content as it is, as in Connect */
    ASSERT_EQ_STR(cfg_props_get(p, "b"), "tok\n");
    out = lines(&d);
    snprintf(want, sizeof(want),
             "c.properties:3:3: c: ${dir:%1$s:nope}: %1$s has no regular file \"nope\"\n"
             "c.properties:4:3: d: ${dir:%1$s:../secrets.properties}: \"../secrets.properties\" "
             "is not a file name in %1$s\n"
             "c.properties:5:3: e: ${dir:%1$s:sub}: %1$s has no regular file \"sub\"\n"
             "c.properties:6:3: f: ${dir:%1$s/none:token}: %1$s/none is not a directory\n"
             "c.properties:7:3: g: ${dir::token}: DirectoryConfigProvider needs a directory: "
             "${dir:DIR:FILE}\n",
             f.sec);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    cfg_props_free(p);
    cfg_diags_free(&d);
}

TEST(allowed_paths_normalised_and_symlinks)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    char ok_dir[700], sibling[700], link[800], worker[8192], text[16384], want[16384], *out;
    struct cfg_providers *pv;
    struct cfg_props *p;

    fx_init(&f);
    snprintf(ok_dir, sizeof(ok_dir), "%s/allowed", f.dir);
    snprintf(sibling, sizeof(sibling), "%s/allowed2", f.dir);   /* shares the prefix */
    ASSERT_EQ_INT(mkdir(ok_dir, 0700), 0);
    ASSERT_EQ_INT(mkdir(sibling, 0700), 0);
    tu_write_file(ok_dir, "s.properties", "k=v\n");
    tu_write_file(sibling, "s.properties", "k=v2\n");
    snprintf(link, sizeof(link), "%s/out.properties", ok_dir);   /* inside, pointing outside */
    ASSERT_EQ_INT(symlink(f.secrets, link), 0);
    snprintf(worker, sizeof(worker),
             "config.providers=file,dir\nconfig.providers.file.class=" FILE_CLASS "\n"
             "config.providers.dir.class=" DIR_CLASS "\n"
             "config.providers.file.param.allowed.paths=%1$s\n"
             "config.providers.dir.param.allowed.paths=%1$s, %1$s/../sec\n",
             ok_dir);
    pv = providers(worker, &d);
    ASSERT_EQ_INT(d.n, 0);
    snprintf(text, sizeof(text),
             "a=${file:%1$s/s.properties:k}\n"
             "b=${file:%1$s/./x/../s.properties:k}\n"       /* read as normalised: x need not exist */
             "c=${file:%2$s/s.properties:k}\n"
             "d=${file:%1$s/../secrets.properties:db.password}\n"
             "e=${file:relative.properties:k}\n"
             "f=${file:%1$s/out.properties:db.password}\n"
             "g=${dir:%3$s:token}\n",
             ok_dir, sibling, f.sec);
    p = props(text, "c.properties");
    ASSERT_ST(cfg_props_resolve(p, pv, NULL, &d), ST_CONFIG);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "v");
    ASSERT_EQ_STR(cfg_props_get(p, "b"), "v");
    ASSERT_EQ_STR(cfg_props_get(p, "g"), "tok\n");
    out = lines(&d);
    /* references are quoted as every message quotes a value (cfg__q: long ones shortened,
     * which depends on how long this run's temporary directory is) */
    char rc_[1200], rd_[1200], rf_[1200], qc[CFG_Q_LEN], qd[CFG_Q_LEN], qf[CFG_Q_LEN];
    snprintf(rc_, sizeof(rc_), "${file:%s/s.properties:k}", sibling);
    snprintf(rd_, sizeof(rd_), "${file:%s/../secrets.properties:db.password}", ok_dir);
    snprintf(rf_, sizeof(rf_), "${file:%s/out.properties:db.password}", ok_dir);
    cfg__q(rc_, strlen(rc_), qc, sizeof(qc));
    cfg__q(rd_, strlen(rd_), qd, sizeof(qd));
    cfg__q(rf_, strlen(rf_), qf, sizeof(qf));
    snprintf(want, sizeof(want),
             "c.properties:3:3: c: %3$s: %2$s/s.properties is not under "
             "config.providers.file.param.allowed.paths\n"
             "c.properties:4:3: d: %4$s: "
             "%1$s/../secrets.properties is not under config.providers.file.param.allowed.paths\n"
             "c.properties:5:3: e: ${file:relative.properties:k}: relative.properties is not "
             "under config.providers.file.param.allowed.paths\n"
             "c.properties:6:3: f: %5$s: "
             "%1$s/out.properties leads out of config.providers.file.param.allowed.paths "
             "through a symbolic link\n",
             ok_dir, sibling, qc, qd, qf);
    ASSERT_EQ_STR(out, want);
    ASSERT_TRUE(strstr(out, "s3cr3t") == NULL);
    mem_free(out);
    cfg_props_free(p);
    cfg_providers_free(pv);
    cfg_diags_free(&d);

    /* bad allowed.paths: an error in the worker file, and the provider resolves nothing */
    d = (struct cfg_diags)CFG_DIAGS_INIT;
    pv = providers("config.providers=file\nconfig.providers.file.class=" FILE_CLASS "\n"
                   "config.providers.file.param.allowed.paths=relative/dir,/nonexistent/aerosink\n",
                   &d);
    out = lines(&d);
    ASSERT_EQ_STR(out, "w.properties:3:43: config.providers.file.param.allowed.paths: "
                       "\"relative/dir\" is not an absolute path (each of the comma-separated "
                       "paths must be absolute and exist)\n"
                       "w.properties:3:43: config.providers.file.param.allowed.paths: "
                       "\"/nonexistent/aerosink\" does not exist (each of the comma-separated "
                       "paths must be absolute and exist)\n");
    mem_free(out);
    snprintf(text, sizeof(text), "a=${file:%s:db.password}\n", f.secrets);
    p = props(text, "c.properties");
    ASSERT_ST(cfg_props_resolve(p, pv, NULL, &d), ST_OK);
    ASSERT_EQ_INT(d.n, 2);   /* nothing more said */
    ASSERT_CONTAINS(cfg_props_get(p, "a"), "${file:");
    cfg_props_free(p);
    cfg_providers_free(pv);
    cfg_diags_free(&d);
}

TEST(unknown_alias_left_unchanged)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_resolved *res = (struct cfg_resolved *)&d;   /* must be set to NULL */
    char text[16384], want[16384], *out;
    enum status st;

    fx_init(&f);
    snprintf(text, sizeof(text), "a=${vault:secret/db:pw}\nb=x ${flie:%s:db.password}\n",
             f.secrets);
    struct cfg_props *p = resolve_text(text, &d, &st, &res);
    ASSERT_ST(st, ST_OK);   /* warnings only */
    ASSERT_TRUE(res == NULL);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "${vault:secret/db:pw}");
    snprintf(want, sizeof(want), "x ${flie:%s:db.password}", f.secrets);
    ASSERT_EQ_STR(cfg_props_get(p, "b"), want);
    out = lines(&d);
    snprintf(want, sizeof(want),
             "warning: c.properties:1:3: a: ${vault:secret/db:pw}: no config provider \"vault\" "
             "in config.providers of w.properties: left as written\n"
             "warning: c.properties:2:5: b: ${flie:%s:db.password}: no config provider \"flie\" "
             "in config.providers of w.properties (did you mean \"file\"?): left as written\n",
             f.secrets);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    cfg_props_free(p);
    cfg_diags_free(&d);

    /* a worker that declares no provider: references are plain text, nothing is said */
    d = (struct cfg_diags)CFG_DIAGS_INIT;
    struct cfg_providers *none = providers("bootstrap.servers=k:9092\n", &d);
    p = props("a=${file:/x:k}\n", "c.properties");
    ASSERT_ST(cfg_props_resolve(p, none, NULL, &d), ST_OK);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "${file:/x:k}");
    ASSERT_EQ_INT(d.n, 0);
    ASSERT_ST(cfg_props_resolve(p, NULL, NULL, &d), ST_OK);   /* no worker at all */
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "${file:/x:k}");
    cfg_props_free(p);
    cfg_providers_free(none);
    cfg_diags_free(&d);
}

TEST(missing_file_key_or_variable_errors_name_file_line_key)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    char text[16384], want[16384], *out;
    enum status st;

    fx_init(&f);
    snprintf(text, sizeof(text),
             "name=s\n"
             "a=${file:/nonexistent/aerosink/x.properties:k}\n"
             "  b.key =  ${file:%1$s:nokey}\n"
             "c=${env:AEROSINK_PV_UNSET}\n"
             "d=${file::k}\n"
             "e=${file:%2$s:k}\n",
             f.secrets, f.dir);
    struct cfg_props *p = resolve_text(text, &d, &st, NULL);
    ASSERT_ST(st, ST_CONFIG);
    out = lines(&d);
    snprintf(want, sizeof(want),
             "c.properties:2:3: a: ${file:/nonexistent/aerosink/x.properties:k}: "
             "/nonexistent/aerosink/x.properties: cannot open: No such file or directory\n"
             "c.properties:3:12: b.key: ${file:%1$s:nokey}: %1$s has no key \"nokey\"\n"
             "c.properties:4:3: c: ${env:AEROSINK_PV_UNSET}: environment variable "
             "AEROSINK_PV_UNSET is not set\n"
             "c.properties:5:3: d: ${file::k}: FileConfigProvider needs a file: "
             "${file:PATH:KEY}\n"
             "c.properties:6:3: e: ${file:%2$s:k}: %2$s: is a directory\n",
             f.secrets, f.dir);
    ASSERT_EQ_STR(out, want);
    ASSERT_EQ_INT(d.errors, 5);
    mem_free(out);
    /* a property that does not resolve keeps its written value */
    snprintf(want, sizeof(want), "${file:%s:nokey}", f.secrets);
    ASSERT_EQ_STR(cfg_props_get(p, "b.key"), want);
    ASSERT_EQ_STR(cfg_props_get(p, "c"), "${env:AEROSINK_PV_UNSET}");
    cfg_props_free(p);
    cfg_diags_free(&d);
}

TEST(several_references_in_one_value)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    char text[16384], *out;
    enum status st;

    fx_init(&f);
    snprintf(text, sizeof(text),
             "url=host=${env:AEROSINK_PV_A};pw=${file:%1$s:db.password};again=${env::AEROSINK_PV_A}"
             "${dir:%2$s:token}end\n"
             "two=${env:AEROSINK_PV_A}${env:AEROSINK_PV_UNSET}\n",
             f.secrets, f.sec);
    struct cfg_props *p = resolve_text(text, &d, &st, NULL);
    ASSERT_ST(st, ST_CONFIG);
    ASSERT_EQ_STR(cfg_props_get(p, "url"), "host=va;pw=s3cr3t-Pw;again=vatok\nend");
    /* one reference failing keeps the whole value as written; the column is that reference's */
    ASSERT_EQ_STR(cfg_props_get(p, "two"), "${env:AEROSINK_PV_A}${env:AEROSINK_PV_UNSET}");
    out = lines(&d);
    ASSERT_EQ_STR(out, "c.properties:2:25: two: ${env:AEROSINK_PV_UNSET}: environment variable "
                       "AEROSINK_PV_UNSET is not set\n");
    mem_free(out);
    cfg_props_free(p);
    cfg_diags_free(&d);
}

TEST(resolved_values_are_not_scanned_again)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    char text[16384];
    enum status st;

    fx_init(&f);
    setenv("AEROSINK_PV_REF", "${env:AEROSINK_PV_A}", 1);
    snprintf(text, sizeof(text), "a=${file:%s:nested}\nb=${env:AEROSINK_PV_REF}\n", f.secrets);
    struct cfg_props *p = resolve_text(text, &d, &st, NULL);
    ASSERT_ST(st, ST_OK);
    ASSERT_EQ_INT(d.n, 0);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "${env:AEROSINK_PV_A}");   /* not "va" */
    ASSERT_EQ_STR(cfg_props_get(p, "b"), "${env:AEROSINK_PV_A}");
    cfg_props_free(p);
    cfg_diags_free(&d);
}

TEST(look_alikes_are_plain_text)
{
    static const char *const values[] = {
        "$file:a:b", "${}", "${file}", "$ {file:a:b}", "${file:a:b", "{file:a:b}", "$${env}",
        "${env}:x}", "pre ${ env } post", "$", "${",
    };
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_resolved *res = NULL;
    struct buf text = BUF_INIT;
    enum status st;

    fx_init(&f);
    for (size_t i = 0; i < ARRAY_LEN(values); i++)
        buf_printf(&text, "k%zu=%s\n", i, values[i]);
    struct cfg_props *p = resolve_text(buf_cstr(&text), &d, &st, &res);
    ASSERT_ST(st, ST_OK);
    ASSERT_EQ_INT(d.n, 0);
    ASSERT_TRUE(res == NULL);
    for (size_t i = 0; i < ARRAY_LEN(values); i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%zu", i);
        ASSERT_EQ_STR(cfg_props_get(p, k), values[i]);
    }
    cfg_props_free(p);
    buf_free(&text);
    cfg_diags_free(&d);
}

TEST(config_providers_keys_are_not_resolved)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    enum status st;

    fx_init(&f);
    struct cfg_props *p = resolve_text("config.providers=${env:AEROSINK_PV_A}\n"
                                       "config.providers.x.param.y=${env:AEROSINK_PV_A}\n"
                                       "config.providersX=${env:AEROSINK_PV_A}\n",
                                       &d, &st, NULL);
    ASSERT_ST(st, ST_OK);
    ASSERT_EQ_STR(cfg_props_get(p, "config.providers"), "${env:AEROSINK_PV_A}");
    ASSERT_EQ_STR(cfg_props_get(p, "config.providers.x.param.y"), "${env:AEROSINK_PV_A}");
    ASSERT_EQ_STR(cfg_props_get(p, "config.providersX"), "va");   /* only that prefix */
    cfg_props_free(p);
    cfg_diags_free(&d);
}

TEST(provider_declarations)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    char text[16384], *out;
    struct cfg_providers *pv;

    fx_init(&f);
    pv = providers("config.providers=file, env ,dir,x,file\n"
                   "config.providers.file.class=FileConfigProvider\n"
                   "config.providers.env.class=EnvVar\n"
                   "config.providers.dir.class=org.apache.kafka.common.config.provider."
                   "DirectoryConfigProvidr\n"
                   "config.providers.y.class=" FILE_CLASS "\n"
                   "config.providers.file.param.allowlist.pattern=.*\n",
                   &d);
    out = lines(&d);
    ASSERT_EQ_STR(out, "warning: w.properties:1:18: config.providers: provider \"x\" has no "
                       "config.providers.x.class: ignored, and references to it stay as written\n"
                       "warning: w.properties:1:18: config.providers: provider \"file\" is listed "
                       "twice\n"
                       "w.properties:4:28: config.providers.dir.class: unknown config provider "
                       "class \"org.apache.kafka.common.config.provider.DirectoryConfigProvidr\" "
                       "(did you mean \"" DIR_CLASS "\"?): aerosink supports " FILE_CLASS ", "
                       ENV_CLASS " and " DIR_CLASS "\n"
                       "warning: w.properties:5:1: config.providers.y.class: provider \"y\" is "
                       "not listed in config.providers: ignored\n"
                       "warning: w.properties:6:1: config.providers.file.param.allowlist.pattern: "
                       "FileConfigProvider has no parameter \"allowlist.pattern\" (it reads "
                       "allowed.paths): ignored\n");
    mem_free(out);
    ASSERT_EQ_INT(d.errors, 1);
    cfg_diags_free(&d);
    /* simple and pruned class names work; the broken "dir" leaves references quietly */
    d = (struct cfg_diags)CFG_DIAGS_INIT;
    snprintf(text, sizeof(text), "a=${file:%s:db.password}\nb=${env:AEROSINK_PV_A}\n"
             "c=${dir:%s:token}\n", f.secrets, f.sec);
    struct cfg_props *p = props(text, "c.properties");
    ASSERT_ST(cfg_props_resolve(p, pv, NULL, &d), ST_OK);
    ASSERT_EQ_STR(cfg_props_get(p, "a"), "s3cr3t-Pw");
    ASSERT_EQ_STR(cfg_props_get(p, "b"), "va");
    ASSERT_CONTAINS(cfg_props_get(p, "c"), "${dir:");
    ASSERT_EQ_INT(d.n, 0);
    cfg_props_free(p);
    cfg_providers_free(pv);
    cfg_diags_free(&d);
}

TEST(worker_properties_resolved_with_their_own_providers)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_worker *w;
    char *out;

    fx_init(&f);
    setenv("AEROSINK_PV_BOOT", "k1:9092,k2:9092", 1);
    w = cfg_worker_new_resolved(
        props("bootstrap.servers=${env:AEROSINK_PV_BOOT}\n"
              "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
              "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
              "consumer.sasl.jaas.config=${env:AEROSINK_PV_A}\n" PROVIDERS,
              "w.properties"),
        CFG_WORKER_STANDALONE, NULL, &d);
    ASSERT_TRUE(w != NULL);
    ASSERT_EQ_INT(d.n, 0);
    ASSERT_EQ_STR(w->bootstrap_servers, "k1:9092,k2:9092");
    ASSERT_EQ_INT(w->consumer.n, 1);
    ASSERT_EQ_STR(w->consumer.v[0].value, "va");
    ASSERT_EQ_STR(cfg_props_get(w->props, "config.providers"), "file,env,dir");
    cfg_worker_free(w);

    w = cfg_worker_new_resolved(
        props("bootstrap.servers=${env:AEROSINK_PV_UNSET}\n"
              "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
              "value.converter=org.apache.kafka.connect.json.JsonConverter\n" PROVIDERS,
              "w.properties"),
        CFG_WORKER_STANDALONE, NULL, &d);
    ASSERT_TRUE(w == NULL);
    out = lines(&d);
    ASSERT_EQ_STR(out, "w.properties:1:19: bootstrap.servers: ${env:AEROSINK_PV_UNSET}: "
                       "environment variable AEROSINK_PV_UNSET is not set\n");
    mem_free(out);
    cfg_diags_free(&d);
}

TEST(secrets_not_leaked_in_diag_text)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_providers *pv = providers(PROVIDERS, NULL);
    char text[16384], want[16384], *out;
    struct cfg_connector *c;

    fx_init(&f);
    /* typed keys fed by references: their checks would quote the value */
    snprintf(text, sizeof(text),
             "name=s\nconnector.class=aerosink\ntopics=t\n"
             "tasks.max=${file:%1$s:tasks}\n"
             "errors.tolerance= ${file:%1$s:db.password} \n"
             "consumer.override.sasl.jaas.config=x password=\"${file:%1$s:db.password}\" "
             "${file:%1$s:missing}\n",
             f.secrets);
    c = cfg_connector_new_resolved(props(text, "c.properties"), pv, NULL, &d);
    ASSERT_TRUE(c == NULL);
    out = lines(&d);
    ASSERT_TRUE(strstr(out, "s3cr3t") == NULL);
    snprintf(want, sizeof(want), "c.properties:4:11: tasks.max: invalid value \"<resolved from "
             "${file:%s:tasks}>\": expected an integer\n", f.secrets);
    ASSERT_CONTAINS(out, want);
    snprintf(want, sizeof(want), "c.properties:5:19: errors.tolerance: invalid value "
             "\"<resolved from ${file:%s:db.password}>\": expected none | all\n", f.secrets);
    ASSERT_CONTAINS(out, want);
    /* the column of the failing reference: after `x password="${file:PATH:db.password}" ` */
    snprintf(want, sizeof(want), "c.properties:6:%d: consumer.override.sasl.jaas.config: "
             "${file:%s:missing}: %s has no key \"missing\"\n",
             36 + 12 + (int)(strlen("${file:") + strlen(f.secrets) + strlen(":db.password}")) + 2,
             f.secrets, f.secrets);
    ASSERT_CONTAINS(out, want);
    ASSERT_EQ_INT(d.errors, 3);
    mem_free(out);
    cfg_diags_free(&d);

    /* a later check quotes a resolved value: shown before cfg_resolved_scrub, not after */
    struct cfg_resolved *res = NULL;
    d = (struct cfg_diags)CFG_DIAGS_INIT;
    snprintf(text, sizeof(text), "name=s\nconnector.class=aerosink\ntopics=t\n"
             "value.converter=${file:%s:conv}\n", f.secrets);
    c = cfg_connector_new_resolved(props(text, "c.properties"), pv, &res, &d);
    ASSERT_TRUE(c != NULL && res != NULL);
    ASSERT_EQ_STR(c->value_converter.class_name, "com.S3cr3t.Conv");
    cfg_check_converters(NULL, c, &d);
    out = lines(&d);
    ASSERT_CONTAINS(out, "unknown converter \"com.S3cr3t.Conv\"");
    mem_free(out);
    cfg_resolved_scrub(&res, 1, &d);
    out = lines(&d);
    ASSERT_TRUE(strstr(out, "S3cr3t") == NULL);
    snprintf(want, sizeof(want), "c.properties:4:17: value.converter: unknown converter "
             "\"<resolved from ${file:%s:conv}>\"", f.secrets);
    ASSERT_CONTAINS(out, want);
    mem_free(out);
    cfg_resolved_free(res);
    cfg_connector_free(c);
    cfg_providers_free(pv);
    cfg_diags_free(&d);
}

TEST(redaction_replaces_whole_tokens_only)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_providers *pv = providers(PROVIDERS, NULL);
    struct cfg_resolved *res = NULL;
    char *out;

    fx_init(&f);
    setenv("AEROSINK_PV_SHORT", "a", 1);
    struct cfg_connector *c = cfg_connector_new_resolved(
        props("name=s\nconnector.class=aerosink\ntopics=t\n"
              "errors.tolerance=${env:AEROSINK_PV_SHORT}\n",
              "c.properties"),
        pv, &res, &d);
    ASSERT_TRUE(c == NULL);
    out = lines(&d);
    ASSERT_CONTAINS(out, "invalid value \"a\": expected none | all");   /* before */
    mem_free(out);
    cfg_resolved_scrub(&res, 1, &d);
    cfg_resolved_scrub(&res, 1, &d);   /* a second pass changes nothing more */
    out = lines(&d);
    /* "a" replaced where it stands alone, not inside "value" or "all" */
    ASSERT_EQ_STR(out, "c.properties:4:18: errors.tolerance: invalid value \"<resolved from "
                       "${env:AEROSINK_PV_SHORT}>\": expected none | all\n");
    mem_free(out);
    cfg_resolved_free(res);
    cfg_providers_free(pv);
    cfg_diags_free(&d);
}

/* A reference that does not resolve is reported once: the typed check's complaint about the
 * reference text is dropped, other problems stay, and the insertion order (seq) stays
 * consistent for what comes next. */
TEST(failed_reference_reported_once)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    struct cfg_providers *pv = providers(PROVIDERS, NULL);
    char *out;

    fx_init(&f);
    cfg_diag_add(&d, CFG_SEV_WARNING, "other.properties", 1, 1, "topics", "before");
    struct cfg_connector *c = cfg_connector_new_resolved(
        props("name=s\nconnector.class=aerosink\ntopics=${env:AEROSINK_PV_UNSET}\ntasks.max=x\n",
              "c.properties"),
        pv, NULL, &d);
    ASSERT_TRUE(c == NULL);
    out = lines(&d);
    ASSERT_EQ_STR(out, "warning: other.properties:1:1: topics: before\n"
                       "c.properties:3:8: topics: ${env:AEROSINK_PV_UNSET}: environment variable "
                       "AEROSINK_PV_UNSET is not set\n"
                       "c.properties:4:11: tasks.max: invalid value \"x\": expected an integer\n");
    mem_free(out);
    ASSERT_EQ_INT(d.errors, 2);
    ASSERT_EQ_INT(d.warnings, 1);
    /* seq: 0..n-1, each once, so the next diagnostic sorts after an equal-position one */
    for (size_t i = 0; i < d.n; i++) {
        ASSERT_CMP_INT(d.v[i].seq, <, d.n);
        for (size_t j = 0; j < i; j++)
            ASSERT_NE_INT(d.v[i].seq, d.v[j].seq);
    }
    cfg_diag_add(&d, CFG_SEV_ERROR, "c.properties", 4, 11, "tasks.max", "later");
    cfg_diags_sort(&d);
    ASSERT_EQ_STR(d.v[d.n - 1].msg, "later");
    ASSERT_EQ_STR(d.v[d.n - 2].msg, "invalid value \"x\": expected an integer");
    cfg_providers_free(pv);
    cfg_diags_free(&d);
}

TEST(secret_file_readable_by_others_is_a_warning)
{
    struct fx f;
    struct cfg_diags d = CFG_DIAGS_INIT;
    char text[16384], want[16384], *out;
    enum status st;

    fx_init(&f);
    ASSERT_EQ_INT(chmod(f.secrets, 0644), 0);
    snprintf(text, sizeof(text), "consumer.override.ssl.key.password=${file:%1$s:db.password}\n"
             "client.id=${file:%1$s:uni}\n"
             "sasl.password=${file:%1$s:tasks}\n", f.secrets);
    struct cfg_props *p = resolve_text(text, &d, &st, NULL);
    ASSERT_ST(st, ST_OK);
    out = lines(&d);
    /* once per file, only for properties that hold secrets */
    snprintf(want, sizeof(want), "warning: c.properties:1:36: consumer.override.ssl.key.password: "
             "%s holds a secret and is readable by everyone (mode 0644): chmod 600 it\n",
             f.secrets);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    cfg_props_free(p);
    cfg_diags_free(&d);
}

TEST_LIST = {
    T(file_provider_value),
    T(env_provider_both_syntaxes_and_no_path),
    T(env_allowlist_pattern_matches_whole_names),
    T(directory_provider),
    T(allowed_paths_normalised_and_symlinks),
    T(unknown_alias_left_unchanged),
    T(missing_file_key_or_variable_errors_name_file_line_key),
    T(several_references_in_one_value),
    T(resolved_values_are_not_scanned_again),
    T(look_alikes_are_plain_text),
    T(config_providers_keys_are_not_resolved),
    T(provider_declarations),
    T(worker_properties_resolved_with_their_own_providers),
    T(secrets_not_leaked_in_diag_text),
    T(redaction_replaces_whole_tokens_only),
    T(failed_reference_reported_once),
    T(secret_file_readable_by_others_is_a_warning),
    {0},
};
