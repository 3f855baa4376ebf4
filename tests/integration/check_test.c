/* tests/integration/check_test.c: `build/aerosink check` and `aerosink help config` as a user
 * runs them: exit codes, the exact output lines, options, the generated reference. */
#include <dirent.h>
#include <sys/stat.h>

#include "../harness.h"
#include "../support/testutil.h"

static const char *src_root(void)
{
    const char *s = getenv("AEROSINK_SRC");
    return s && *s ? s : ".";
}

/* Absolute path of the built binary (the shell below changes directory). */
static const char *aerosink(void)
{
    return tu_bin_abs("aerosink");
}

/* Run `aerosink ARGS` in @dir (NULL = here) through /bin/sh; output = stdout + stderr. */
static int run_in(const char *dir, const char *args, char **out)
{
    char cmd[8192];
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

    snprintf(cmd, sizeof(cmd), "%s%s%s'%s' %s", dir ? "cd '" : "", dir ? dir : "",
             dir ? "' && exec " : "exec ", aerosink(), args);
    return tu_run(argv, 60000, out);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t l = strlen(s), n = strlen(suf);
    return l >= n && strcmp(s + l - n, suf) == 0;
}

static bool has_error_line(const char *text)
{
    for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
        if (strncmp(l, "warning: ", 9) != 0)
            return true;
    return false;
}

/* Drop the summary line ("N errors, M warnings in K files") from @out, in place. */
static const char *without_summary(char *out)
{
    size_t l = strlen(out);
    if (l && out[l - 1] == '\n')
        out[--l] = '\0';
    char *nl = strrchr(out, '\n');
    if (nl)
        nl[1] = '\0';
    else
        out[0] = '\0';
    return out;
}

TEST(every_bad_file_exit_2_and_expected_lines)
{
    char dir[1024];
    DIR *d;
    struct dirent *de;
    int cases = 0;

    snprintf(dir, sizeof(dir), "%s/tests/data/config/bad", src_root());
    d = opendir(dir);
    ASSERT_TRUE(d != NULL);
    while ((de = readdir(d))) {
        char exp_path[1400], args[600], *out = NULL, *expected;
        int rc;
        if (!ends_with(de->d_name, ".expected"))
            continue;
        snprintf(exp_path, sizeof(exp_path), "%s/%s", dir, de->d_name);
        expected = tu_read_file(exp_path, NULL);
        snprintf(args, sizeof(args), "check --offline '%.*s'", (int)(strlen(de->d_name) - 9),
                 de->d_name);
        rc = run_in(dir, args, &out);
        /* warnings only: still a pass (exit 0); any error line: exit 2 */
        if (rc != (has_error_line(expected) ? 2 : 0))
            TEST_FAIL("%s: exit %d\n%s", args, rc, out);
        if (strcmp(without_summary(out), expected) != 0)
            TEST_FAIL("%s:\n      expected:\n%s      got:\n%s", args, expected, out);
        mem_free(out);
        mem_free(expected);
        cases++;
    }
    closedir(d);
    ASSERT_CMP_INT(cases, >=, 25);
}

TEST(good_files_exit_0)
{
    char dir[1024], *out = NULL;

    snprintf(dir, sizeof(dir), "%s/tests/data/config/good", src_root());
    ASSERT_EQ_INT(run_in(dir, "check --offline spec_a.yml", &out), 0);
    ASSERT_EQ_STR(out, "0 errors, 0 warnings in 1 file\n");
    mem_free(out);
    /* the connector of example B checks its mapping (aerospike-kafka-inbound.yml beside it) */
    ASSERT_EQ_INT(run_in(dir, "check --offline spec_b_connector.json", &out), 0);
    ASSERT_EQ_STR(out, "0 errors, 0 warnings in 2 files\n");
    mem_free(out);
    /* worker + connector + the same mapping named explicitly: checked once */
    ASSERT_EQ_INT(run_in(dir, "check --offline worker-standalone.properties sink.properties "
                              "spec_b.yml spec_c.yml v11_flat.yml",
                         &out),
                  0);
    ASSERT_CONTAINS(out, "warning: v11_flat.yml:11:7: topics.users.mapping.key-field: "
                         "deprecated v1.1 form");
    ASSERT_TRUE(strstr(out, "stale-write-guard") == NULL);   /* kafka-timestamp is implemented */
    ASSERT_CONTAINS(out, "0 errors, 7 warnings in 5 files\n");
    mem_free(out);
}

TEST(several_files_sorted_by_file_then_position)
{
    char dir[1024], *out = NULL;

    snprintf(dir, sizeof(dir), "%s/tests/data/config/bad", src_root());
    ASSERT_EQ_INT(run_in(dir, "check --offline ttl_range.yml deprecated_feature_key.yml "
                              "enum_typo.yml",
                         &out),
                  2);
    ASSERT_EQ_STR(out, "ttl_range.yml:10:34: topics.orders.mapping.ttl.value: value 315360001 out "
                       "of range: 0 (namespace default), -1 (never expire), -2 (keep the current "
                       "TTL) or 1..315360000 seconds\n"
                       "warning: deprecated_feature_key.yml:1:1: feature-key-file: deprecated "
                       "since 2.2.0 and ignored by aerosink\n"
                       "enum_typo.yml:5:21: topics.orders.invalid-record: invalid value \"ignor\": "
                       "expected ignore | kill-task | dead-letter (did you mean \"ignore\"?)\n"
                       "2 errors, 1 warning in 3 files\n");
    mem_free(out);
}

TEST(quiet_prints_errors_only)
{
    char dir[1024], *out = NULL;

    snprintf(dir, sizeof(dir), "%s/tests/data/config/bad", src_root());
    ASSERT_EQ_INT(run_in(dir, "check --quiet --offline deprecated_feature_key.yml", &out), 0);
    ASSERT_EQ_STR(out, "");
    mem_free(out);
    ASSERT_EQ_INT(run_in(dir, "check -q --offline enum_typo.yml deprecated_feature_key.yml", &out),
                  2);
    ASSERT_EQ_STR(out, "enum_typo.yml:5:21: topics.orders.invalid-record: invalid value "
                       "\"ignor\": expected ignore | kill-task | dead-letter (did you mean "
                       "\"ignore\"?)\n");
    mem_free(out);
}

TEST(usage_help_and_errors)
{
    char *out = NULL;

    ASSERT_EQ_INT(run_in(NULL, "check --help", &out), 0);
    ASSERT_CONTAINS(out, "usage: aerosink check [--quiet] [--offline] FILE...");
    ASSERT_CONTAINS(out, "Example:");
    mem_free(out);
    ASSERT_EQ_INT(run_in(NULL, "help check", &out), 0);
    ASSERT_CONTAINS(out, "usage: aerosink check");
    mem_free(out);
    ASSERT_EQ_INT(run_in(NULL, "check", &out), 2);
    ASSERT_CONTAINS(out, "aerosink check: no files given");
    mem_free(out);
    ASSERT_EQ_INT(run_in(NULL, "check --frobnicate x.yml", &out), 2);
    ASSERT_CONTAINS(out, "unknown option '--frobnicate'");
    mem_free(out);
    ASSERT_EQ_INT(run_in(NULL, "check /nonexistent/aerospike-kafka-inbound.yml", &out), 2);
    ASSERT_EQ_STR(out, "/nonexistent/aerospike-kafka-inbound.yml: cannot open: No such file or "
                       "directory\n1 error, 0 warnings in 1 file\n");
    mem_free(out);
    ASSERT_EQ_INT(run_in(NULL, "check -- --odd-name.yml", &out), 2);   /* after --: a file */
    ASSERT_CONTAINS(out, "--odd-name.yml: cannot open");
    mem_free(out);
}

TEST(help_config_and_markdown_reference_is_current)
{
    char path[1024], *out = NULL, *doc;

    ASSERT_EQ_INT(run_in(NULL, "help config", &out), 0);
    ASSERT_CONTAINS(out, "aerosink configuration reference");
    ASSERT_CONTAINS(out, "  topics.<topic>.aerospike-operation.record-exists-action\n");
    mem_free(out);
    ASSERT_EQ_INT(run_in(NULL, "help config --markdown", &out), 0);
    snprintf(path, sizeof(path), "%s/docs/config-reference.md", src_root());
    doc = tu_read_file(path, NULL);
    ASSERT_TRUE(doc != NULL);
    if (strcmp(out, doc) != 0)
        TEST_FAIL("docs/config-reference.md is stale: run `build/aerosink help config "
                  "--markdown > docs/config-reference.md`");
    mem_free(doc);
    mem_free(out);
    ASSERT_EQ_INT(run_in(NULL, "help config --html", &out), 2);
    mem_free(out);
}

/* Without --offline the files the mapping names are read. */
TEST(reads_named_files_by_default)
{
    const char *dir = tu_tmpdir();
    char text[2048], *out = NULL, want[4096];
    const char *pw = tu_write_file(dir, "writer.pass", "secret\n");
    const char *map;

    ASSERT_EQ_INT(chmod(pw, 0644), 0);
    snprintf(text, sizeof(text),
             "aerospike:\n  seeds: [db1]\n  credentials:\n    username: u\n"
             "    password-file: %s\n"
             "topics:\n  t:\n    invalid-record: ignore\n    mapping:\n"
             "      namespace: {mode: static, value: ns}\n      key-field: {source: key}\n"
             "      bins: {type: multi-bins, all-value-fields: true}\n",
             pw);
    map = tu_write_file(dir, "aerospike-kafka-inbound.yml", text);
    ASSERT_EQ_INT(chmod(map, 0600), 0);
    ASSERT_EQ_INT(run_in(dir, "check aerospike-kafka-inbound.yml", &out), 0);
    snprintf(want, sizeof(want),
             "warning: aerospike-kafka-inbound.yml:5:20: aerospike.credentials.password-file: "
             "\"%s\" holds a secret and is readable by everyone (mode 0644): chmod 600 it\n"
             "0 errors, 1 warning in 1 file\n", pw);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
    ASSERT_EQ_INT(chmod(pw, 0600), 0);
    ASSERT_EQ_INT(run_in(dir, "check aerospike-kafka-inbound.yml", &out), 0);
    ASSERT_EQ_STR(out, "0 errors, 0 warnings in 1 file\n");
    mem_free(out);
    ASSERT_EQ_INT(unlink(pw), 0);
    ASSERT_EQ_INT(run_in(dir, "check aerospike-kafka-inbound.yml", &out), 2);
    ASSERT_CONTAINS(out, "aerospike-kafka-inbound.yml:5:20: aerospike.credentials.password-file: "
                         "cannot read");
    mem_free(out);
    ASSERT_EQ_INT(run_in(dir, "check --offline aerospike-kafka-inbound.yml", &out), 0);
    mem_free(out);
}

TEST(secret_in_world_readable_properties)
{
    const char *dir = tu_tmpdir();
    char *out = NULL;
    const char *w = tu_write_file(dir, "worker.properties",
                                  "bootstrap.servers=k:9092\n"
                                  "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                                  "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                                  "consumer.ssl.key.password=hunter2\n");

    ASSERT_EQ_INT(chmod(w, 0644), 0);
    ASSERT_EQ_INT(run_in(dir, "check worker.properties", &out), 0);
    ASSERT_EQ_STR(out, "warning: worker.properties:4:1: consumer.ssl.key.password: plaintext "
                       "secret in a file readable by everyone (mode 0644): chmod 600 "
                       "worker.properties, or use a config provider such as "
                       "${file:/path/secrets.properties:key}\n"
                       "0 errors, 1 warning in 1 file\n");
    mem_free(out);
    ASSERT_EQ_INT(chmod(w, 0600), 0);
    ASSERT_EQ_INT(run_in(dir, "check worker.properties", &out), 0);
    ASSERT_EQ_STR(out, "0 errors, 0 warnings in 1 file\n");
    mem_free(out);
}

TEST(worker_converters_checked_with_connector)
{
    const char *dir = tu_tmpdir();
    char *out = NULL;

    tu_write_file(dir, "worker.properties",
                  "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                  "value.converter=io.confluent.connect.protobuf.ProtobufConverter\n");
    tu_write_file(dir, "sink.properties", "name=s\nconnector.class=aerosink\ntopics=t\n");
    tu_write_file(dir, "aerospike-kafka-inbound.yml",
                  "aerospike: {seeds: [db1]}\ntopics:\n  t:\n    invalid-record: ignore\n"
                  "    mapping:\n      namespace: {mode: static, value: ns}\n"
                  "      key-field: {source: key}\n"
                  "      bins: {type: multi-bins, all-value-fields: true}\n");
    ASSERT_EQ_INT(run_in(dir, "check worker.properties sink.properties", &out), 2);
    ASSERT_EQ_STR(out, "worker.properties:2:17: value.converter: "
                       "ProtobufConverter needs value.converter.schema.registry.url\n"
                       "1 error, 0 warnings in 3 files\n");
    mem_free(out);
}

/* Config providers: references resolve with the worker's providers wherever the worker is on
 * the command line, the mapping cross-check sees resolved topics, failures name
 * file:line:col, key and reference, and no resolved value is ever printed. */
TEST(config_provider_references)
{
    const char *dir = tu_tmpdir();
    char text[4096], want[8192], *out = NULL;
    const char *secrets = tu_write_file(dir, "secrets.properties",
                                        "db.password=s3cr3t-Pw\ntasks=2\nbad=s3cr3t-Bad\n");

    ASSERT_EQ_INT(chmod(secrets, 0600), 0);
    setenv("AEROSINK_IT_TOPIC", "orders", 1);
    tu_write_file(dir, "worker.properties",
                  "bootstrap.servers=k:9092\n"
                  "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                  "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                  "config.providers=file,env\n"
                  "config.providers.file.class="
                  "org.apache.kafka.common.config.provider.FileConfigProvider\n"
                  "config.providers.env.class=EnvVarConfigProvider\n"
                  "config.providers.env.param.allowlist.pattern=AEROSINK_IT_.*\n");
    snprintf(text, sizeof(text),
             "name=s\nconnector.class=aerosink\ntopics=${env:AEROSINK_IT_TOPIC}\n"
             "tasks.max=${file:%1$s:tasks}\n"
             "consumer.override.sasl.password=${file:%1$s:db.password}\n",
             secrets);
    ASSERT_EQ_INT(chmod(tu_write_file(dir, "sink.properties", text), 0600), 0);
    tu_write_file(dir, "aerospike-kafka-inbound.yml",
                  "aerospike: {seeds: [db1]}\ntopics:\n  orders:\n    invalid-record: ignore\n"
                  "    mapping:\n      namespace: {mode: static, value: ns}\n"
                  "      key-field: {source: key}\n"
                  "      bins: {type: multi-bins, all-value-fields: true}\n");
    /* resolved: "orders" is a valid, mapped topic and tasks.max an integer */
    ASSERT_EQ_INT(run_in(dir, "check worker.properties sink.properties", &out), 0);
    ASSERT_EQ_STR(out, "0 errors, 0 warnings in 3 files\n");
    mem_free(out);
    ASSERT_EQ_INT(run_in(dir, "check sink.properties worker.properties", &out), 0);
    ASSERT_EQ_STR(out, "0 errors, 0 warnings in 3 files\n");
    mem_free(out);
    /* --offline resolves nothing: the reference itself is not a topic name */
    ASSERT_EQ_INT(run_in(dir, "check --offline worker.properties sink.properties", &out), 2);
    ASSERT_CONTAINS(out, "sink.properties:3:8: topics: \"${env:AEROSINK_IT_TOPIC}\" is not a "
                         "valid Kafka topic name");
    mem_free(out);

    /* what cannot be resolved (reported once: not also as a bad topic name), and a resolved
     * value a check would quote */
    unsetenv("AEROSINK_IT_UNSET");
    snprintf(text, sizeof(text),
             "name=s\nconnector.class=aerosink\ntopics=${env:AEROSINK_IT_UNSET}\n"
             "tasks.max=${file:%1$s:bad}\n"
             "consumer.override.ssl.key.password=${file:%1$s:nokey}\n"
             "consumer.override.client.id=${env:HOME}\n"
             "consumer.override.sasl.username=${vault:secret/db:pw}\n",
             secrets);
    ASSERT_EQ_INT(chmod(tu_write_file(dir, "sink.properties", text), 0600), 0);
    ASSERT_EQ_INT(run_in(dir, "check worker.properties sink.properties", &out), 2);
    snprintf(want, sizeof(want),
             "sink.properties:3:8: topics: ${env:AEROSINK_IT_UNSET}: environment variable "
             "AEROSINK_IT_UNSET is not set\n"
             "sink.properties:4:11: tasks.max: invalid value \"<resolved from ${file:%1$s:bad}>\": "
             "expected an integer\n"
             "sink.properties:5:36: consumer.override.ssl.key.password: ${file:%1$s:nokey}: %1$s "
             "has no key \"nokey\"\n"
             "sink.properties:6:29: consumer.override.client.id: ${env:HOME}: environment "
             "variable HOME is not allowed by config.providers.env.param.allowlist.pattern\n"
             "warning: sink.properties:7:33: consumer.override.sasl.username: ${vault:secret/db:pw}: no config "
             "provider \"vault\" in config.providers of worker.properties: left as written\n"
             /* the mapping is checked although the connector has errors */
             "4 errors, 1 warning in 3 files\n",
             secrets);
    ASSERT_EQ_STR(out, want);
    ASSERT_TRUE(strstr(out, "s3cr3t") == NULL);
    mem_free(out);
}

/* Kafka client settings are tried on librdkafka as the consumer and DLQ producer get them:
 * what standalone would refuse is an error at file:line:col, librdkafka's words, no stray
 * newline; check and standalone print the same lines and exit 2. */
TEST(client_settings_checked_by_librdkafka)
{
    const char *dir = tu_tmpdir();
    const char *want =
        "worker.properties:3:28: consumer.auto.offset.reset: Invalid value \"sideways\" for "
        "configuration property \"auto.offset.reset\"\n"
        "worker.properties:4:28: consumer.fetch.wait.max.ms: Configuration property "
        "\"fetch.wait.max.ms\" value -5 is outside allowed range 0..300000\n"
        "worker.properties:5:1: consumer.no.such.librdkafka.prop: No such configuration property: "
        "\"no.such.librdkafka.prop\" (aerosink's Kafka client is librdkafka: it takes the names in "
        "librdkafka's CONFIGURATION.md)\n"
        "worker.properties:6:15: producer.acks: Invalid value for configuration property "
        "\"request.required.acks\"\n"
        "worker.properties:7:19: security.protocol: Invalid value \"TLS\" for configuration "
        "property \"security.protocol\"\n"
        "sink.properties:4:37: consumer.override.auto.offset.reset: Invalid value \"sideways\" "
        "for configuration property \"auto.offset.reset\"\n";
    char *out = NULL, args[512];

    tu_write_file(dir, "worker.properties",
                  "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                  "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
                  "consumer.auto.offset.reset=sideways\n"
                  "consumer.fetch.wait.max.ms=-5\n"
                  "consumer.no.such.librdkafka.prop=1\n"
                  "producer.acks=some\n"
                  "security.protocol=TLS\n"
                  "consumer.isolation.level=read_committed\n");
    tu_write_file(dir, "sink.properties",
                  "name=s\nconnector.class=aerosink\ntopics=t\n"
                  "consumer.override.auto.offset.reset=sideways\n"
                  "consumer.override.fetch.wait.max.ms=100\n");
    tu_write_file(dir, "aerospike-kafka-inbound.yml",
                  "aerospike: {seeds: [db1]}\ntopics:\n  t:\n    invalid-record: ignore\n"
                  "    mapping:\n      namespace: {mode: static, value: ns}\n"
                  "      key-field: {source: key}\n"
                  "      bins: {type: multi-bins, all-value-fields: true}\n");
    ASSERT_EQ_INT(run_in(dir, "check worker.properties sink.properties", &out), 2);
    ASSERT_CONTAINS(out, want);
    ASSERT_CONTAINS(out, "6 errors, 0 warnings in 3 files\n");
    mem_free(out);
    /* standalone: the same lines, before connecting to anything */
    snprintf(args, sizeof(args), "standalone worker.properties sink.properties 2>&1");
    ASSERT_EQ_INT(run_in(dir, args, &out), 2);
    ASSERT_EQ_STR(out, want);
    mem_free(out);
}

/* Java client settings from a Kafka Connect worker file: renamed, translated (JAAS), accepted
 * with one warning each, or refused with what to do instead; no secret in the output. check and
 * standalone's pre-start check say the same. */
TEST(java_client_settings_translated)
{
    const char *dir = tu_tmpdir();
    const char *want =
        "warning: worker.properties:3:1: consumer.max.poll.records: ignored: aerosink batches "
        "records itself (librdkafka has no such setting)\n"
        "worker.properties:9:25: ssl.truststore.location: a JKS truststore cannot be read "
        "(aerosink's Kafka client is librdkafka): convert it with `keytool -importkeystore "
        "-srckeystore /etc/ts.jks -destkeystore /etc/ts.p12 -deststoretype PKCS12` then "
        "`openssl pkcs12 -in /etc/ts.p12 -nokeys -out ca.pem`, and set ssl.ca.location=ca.pem "
        "instead of ssl.truststore.*\n"
        "worker.properties:10:27: consumer.sasl.jaas.config: login module "
        "com.sun.security.auth.module.Krb5LoginModule (Kerberos, GSSAPI) cannot be translated: "
        "remove sasl.jaas.config and set librdkafka's sasl.kerberos.* instead "
        "(sasl.kerberos.service.name, sasl.kerberos.principal, sasl.kerberos.keytab)\n";
    char *out = NULL, path[512];

    tu_write_file(dir, "worker.properties",
                  "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                  "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
                  "consumer.max.poll.records=500\n"
                  "consumer.receive.buffer.bytes=-1\n"
                  "consumer.fetch.max.wait.ms=100\n"
                  "security.protocol=SASL_SSL\n"
                  "sasl.mechanism=PLAIN\n"
                  "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
                  "required username=\"u\" password=\"pw-Zq9\";\n"
                  "ssl.truststore.location=/etc/ts.jks\n"
                  "consumer.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule "
                  "required useKeyTab=true password=\"pw-Zq9\";\n");
    snprintf(path, sizeof(path), "%s/worker.properties", dir);
    ASSERT_EQ_INT(chmod(path, 0600), 0);   /* no plaintext-secret warning */
    tu_write_file(dir, "sink.properties",
                  "name=s\nconnector.class=aerosink\ntopics=t\n"
                  "consumer.override.max.poll.records=10\n");
    tu_write_file(dir, "aerospike-kafka-inbound.yml",
                  "aerospike: {seeds: [db1]}\ntopics:\n  t:\n    invalid-record: ignore\n"
                  "    mapping:\n      namespace: {mode: static, value: ns}\n"
                  "      key-field: {source: key}\n"
                  "      bins: {type: multi-bins, all-value-fields: true}\n");
    ASSERT_EQ_INT(run_in(dir, "check --offline worker.properties sink.properties", &out), 2);
    ASSERT_CONTAINS(out, want);
    ASSERT_CONTAINS(out, "warning: sink.properties:4:1: consumer.override.max.poll.records: "
                         "ignored: aerosink batches records itself");
    ASSERT_CONTAINS(out, "2 errors, 2 warnings in 3 files\n");
    if (strstr(out, "pw-Zq9") || strstr(out, "No such configuration") ||
        strstr(out, "not supported"))
        TEST_FAIL("unexpected: %s", out);
    mem_free(out);
    ASSERT_EQ_INT(run_in(dir, "standalone worker.properties sink.properties 2>&1", &out), 2);
    ASSERT_CONTAINS(out, want);
    if (strstr(out, "pw-Zq9"))
        TEST_FAIL("secret in: %s", out);
    mem_free(out);
}

/* A connector file with errors of its own still has its mapping checked: both files' problems
 * at once, each once. */
TEST(mapping_checked_when_connector_has_errors)
{
    const char *dir = tu_tmpdir();
    char *out = NULL;

    tu_write_file(dir, "sink.properties",
                  "name=s\nconnector.class=aerosink\ntopics=t\ntasks.max=x\n"
                  "aerospike.config.file=m.yml\n");
    tu_write_file(dir, "m.yml", "aerospike: {seeds: [db1]}\ntopics:\n  t:\n"
                                "    invalid-record: ignor\n");
    ASSERT_EQ_INT(run_in(dir, "check sink.properties", &out), 2);
    ASSERT_EQ_STR(out, "sink.properties:4:11: tasks.max: invalid value \"x\": expected an integer\n"
                       "m.yml:3:3: topics.t: missing required key \"mapping\"\n"
                       "m.yml:4:21: topics.t.invalid-record: invalid value \"ignor\": expected "
                       "ignore | kill-task | dead-letter (did you mean \"ignore\"?)\n"
                       "3 errors, 0 warnings in 2 files\n");
    mem_free(out);
    /* the default mapping lookup too: no mapping beside it is reported with the rest */
    tu_write_file(dir, "sink.properties", "name=s\nconnector.class=aerosink\ntopics=t\ntasks.max=0\n");
    ASSERT_EQ_INT(run_in(dir, "check sink.properties m.yml", &out), 2);
    ASSERT_CONTAINS(out, "sink.properties: aerospike.config.file: no mapping file: looked for ");
    ASSERT_CONTAINS(out, "sink.properties:4:11: tasks.max: value 0 is too small (at least 1)");
    ASSERT_CONTAINS(out, "m.yml:4:21: topics.t.invalid-record");
    mem_free(out);
}

TEST_LIST = {
    T(every_bad_file_exit_2_and_expected_lines),
    T(good_files_exit_0),
    T(several_files_sorted_by_file_then_position),
    T(quiet_prints_errors_only),
    T(usage_help_and_errors),
    T(help_config_and_markdown_reference_is_current),
    T(reads_named_files_by_default),
    T(secret_in_world_readable_properties),
    T(worker_converters_checked_with_connector),
    T(config_provider_references),
    T(client_settings_checked_by_librdkafka),
    T(java_client_settings_translated),
    T(mapping_checked_when_connector_has_errors),
    {0},
};
