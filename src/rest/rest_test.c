/* src/rest/rest_test.c: rest_handle() driven directly (no sockets) with the in-memory fake
 * backend: every endpoint's status code and exact body shape (connector-spec.md section 10),
 * error bodies, routing, decoding and limits. Every JSON answer is also checked to parse. */
#include "../../tests/harness.h"
#include "../../tests/support/rest_fake.h"
#include "convert/convert.h"
#include "rest/rest.h"

static struct rest_fake *fk;
static struct rest_backend be;
static struct rest_response R;     /* the last answer */
static const char *B;              /* its body as a C string */

static void setup(void)
{
    if (!fk) {
        fk = rest_fake_new();
        rest_fake_backend(fk, &be);
        rest_response_init(&R);
    }
}

/* Every JSON answer must parse and, if it is an error, carry error_code == status. */
static void check_json(void)
{
    struct conv_doc *d = conv_doc_new();
    struct err e = {0};
    const struct conv_value *root, *code;

    if (conv_json_parse(d, R.body.p, R.body.len, &e) != ST_OK)
        TEST_FAIL("answer is not JSON (%s): %s", e.msg, B);
    root = conv_doc_root(d);
    if (R.status >= 400 && root && root->type == CONV_MAP && R.body.len &&
        (code = conv_map_get(d, root, "error_code", 10))) {
        ASSERT_EQ_INT(code->type, CONV_INT);
        ASSERT_EQ_INT(code->i, R.status);
        ASSERT_TRUE(conv_map_get(d, root, "message", 7) != NULL);
    }
    conv_doc_free(d);
}

/* Send a request; the answer is in R / B. */
static int req_full(const char *method, const char *target, const char *ctype, const char *body,
                    size_t max_body, const char *base_url)
{
    struct rest_request rq = {0};

    setup();
    rq.method = method;
    rq.target = target;
    rq.content_type = ctype;
    rq.body = (const uint8_t *)body;
    rq.body_len = body ? strlen(body) : 0;
    rq.max_body = max_body;
    rq.base_url = base_url;
    rest_handle(&be, &rq, &R);
    B = buf_cstr(&R.body);
    if (R.content_type && strncmp(R.content_type, "application/json", 16) == 0)
        check_json();
    return R.status;
}

static int req(const char *method, const char *target, const char *body)
{
    return req_full(method, target, body ? "application/json" : NULL, body, 0, NULL);
}

static const char *location(void)
{
    return R.location.len ? (const char *)R.location.p : "";
}

#define SINK_CFG "\"connector.class\":\"" REST_FAKE_CLASS "\""

static void create(const char *name, const char *extra_cfg)
{
    char body[1024];
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"config\":{" SINK_CFG "%s%s}}", name,
             extra_cfg ? "," : "", extra_cfg ? extra_cfg : "");
    if (req("POST", "/connectors", body) != 201)
        TEST_FAIL("create %s: %d %s", name, R.status, B);
}

/* --- GET / --- */

TEST(root_reports_version_commit_cluster)
{
    ASSERT_EQ_INT(req("GET", "/", NULL), 200);
    ASSERT_EQ_STR(R.content_type, "application/json");
    ASSERT_EQ_STR(B, "{\"version\":\"" AEROSINK_VERSION "\",\"commit\":\"0123456789abcdef\","
                     "\"kafka_cluster_id\":\"fake-cluster-id\"}");
}

/* --- POST /connectors, GET /connectors --- */

TEST(list_is_an_array_of_names)
{
    ASSERT_EQ_INT(req("GET", "/connectors", NULL), 200);
    ASSERT_EQ_STR(B, "[]");
    create("a", NULL);
    create("b", NULL);
    ASSERT_EQ_INT(req("GET", "/connectors", NULL), 200);
    ASSERT_EQ_STR(B, "[\"a\",\"b\"]");
    ASSERT_EQ_INT(req("GET", "/connectors/", NULL), 200);     /* Jersey's trailing slash */
    ASSERT_EQ_STR(B, "[\"a\",\"b\"]");
}

TEST(create_answers_201_location_and_connector_info)
{
    ASSERT_EQ_INT(req_full("POST", "/connectors", "application/json",
                           "{\"name\":\"aerospike-sink\",\"config\":{" SINK_CFG
                           ",\"tasks.max\":\"2\",\"topics\":\"a,b\"}}",
                           0, "http://127.0.0.1:8083"),
                  201);
    ASSERT_EQ_STR(location(), "http://127.0.0.1:8083/connectors/aerospike-sink");
    ASSERT_EQ_STR(B, "{\"name\":\"aerospike-sink\",\"config\":{\"connector.class\":\"" REST_FAKE_CLASS
                     "\",\"tasks.max\":\"2\",\"topics\":\"a,b\",\"name\":\"aerospike-sink\"},"
                     "\"tasks\":[{\"connector\":\"aerospike-sink\",\"task\":0},"
                     "{\"connector\":\"aerospike-sink\",\"task\":1}],\"type\":\"sink\"}");
    /* without a base URL the Location is the bare path */
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"x\",\"config\":{" SINK_CFG "}}"), 201);
    ASSERT_EQ_STR(location(), "/connectors/x");
}

TEST(create_existing_is_409)
{
    create("dup", NULL);
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"dup\",\"config\":{" SINK_CFG "}}"), 409);
    ASSERT_EQ_STR(B, "{\"error_code\":409,\"message\":\"Connector dup already exists\"}");
    ASSERT_EQ_INT(R.location.len, 0);
}

TEST(create_rejects_bad_bodies_with_400)
{
    static const char *const bad[] = {
        "{\"name\":\"a\",\"config\":{",                 /* malformed */
        "",                                              /* empty */
        "   ",
        "[1,2]",                                         /* not an object */
        "{\"name\":\"a\"}",                              /* no config */
        "{\"name\":\"a\",\"config\":null}",
        "{\"name\":\"a\",\"config\":[]}",
        "{\"name\":\"a\",\"config\":\"x\"}",
        "{\"name\":\"a\",\"config\":{\"k\":{\"nested\":1}}}",   /* values must be strings */
        "{\"name\":\"a\",\"config\":{\"k\":[1]}}",
        "{\"name\":\"a\",\"config\":{\"k\":null}}",             /* null only in PATCH */
        "{\"name\":\"a\",\"config\":{\"k\":\"a\\u0000b\"}}",    /* NUL in a value */
        "{\"name\":\"a\",\"config\":{},\"initialState\":\"PAUSED\"}",   /* unknown field */
        "{\"name\":{},\"config\":{}}",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        if (req("POST", "/connectors", bad[i]) != 400)
            TEST_FAIL("body %zu (%s): got %d %s", i, bad[i], R.status, B);
    }
    ASSERT_EQ_INT(rest_fake_count(fk), 0);
    req("POST", "/connectors", "{\"name\":\"a\",\"config\":{\"k\":[1]}}");
    ASSERT_CONTAINS(B, "'k' must be a string, not an array");
    req("POST", "/connectors", "{\"name\":\"a\",\"config\":{");
    ASSERT_CONTAINS(B, "Malformed JSON request body: JSON: line 1");
}

TEST(create_takes_numbers_and_booleans_as_text)
{
    ASSERT_EQ_INT(req("POST", "/connectors",
                      "{\"name\":\"n\",\"config\":{" SINK_CFG ",\"tasks.max\":3,\"x.bool\":true,"
                      "\"x.dbl\":1.5,\"x.neg\":-7}}"),
                  201);
    ASSERT_CONTAINS(B, "\"tasks.max\":\"3\",\"x.bool\":\"true\",\"x.dbl\":\"1.5\",\"x.neg\":\"-7\"");
    ASSERT_CONTAINS(B, "{\"connector\":\"n\",\"task\":2}");
}

TEST(create_trims_and_validates_the_name)
{
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"  spaced \\t\",\"config\":{" SINK_CFG "}}"), 201);
    ASSERT_TRUE(rest_fake_exists(fk, "spaced"));
    ASSERT_EQ_STR(location(), "/connectors/spaced");
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"   \",\"config\":{" SINK_CFG "}}"), 400);
    ASSERT_CONTAINS(B, "String may not be empty");
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"config\":{" SINK_CFG "}}"), 400);
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":null,\"config\":{" SINK_CFG "}}"), 400);
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"a\\u0001b\",\"config\":{" SINK_CFG "}}"), 400);
    ASSERT_CONTAINS(B, "may not contain control characters");
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"a\\u0085b\",\"config\":{" SINK_CFG "}}"), 400);
    /* a name in the config must match */
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"one\",\"config\":{" SINK_CFG ",\"name\":\"two\"}}"), 400);
    ASSERT_EQ_STR(B, "{\"error_code\":400,\"message\":\"Connector name configuration (two) doesn't "
                     "match connector name in the URL (one)\"}");
    /* a null name in the config is replaced */
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"three\",\"config\":{\"name\":null," SINK_CFG "}}"), 201);
    ASSERT_CONTAINS(B, "\"config\":{\"name\":\"three\",");
    ASSERT_EQ_INT(rest_fake_count(fk), 2);
}

TEST(create_initial_state)
{
    struct rest_fake_last last;

    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"p\",\"config\":{" SINK_CFG "},\"initial_state\":\"PAUSED\"}"), 201);
    ASSERT_EQ_INT(rest_fake_state(fk, "p"), REST_PAUSED);
    rest_fake_last(fk, &last);
    ASSERT_EQ_INT(last.initial, REST_TARGET_PAUSED);
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"s\",\"config\":{" SINK_CFG "},\"initial_state\":\"stopped\"}"), 201);
    ASSERT_EQ_INT(rest_fake_state(fk, "s"), REST_STOPPED);
    ASSERT_EQ_STR(B, "{\"name\":\"s\",\"config\":{\"connector.class\":\"" REST_FAKE_CLASS
                     "\",\"name\":\"s\"},\"tasks\":[],\"type\":\"sink\"}");
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"r\",\"config\":{" SINK_CFG "},\"initial_state\":null}"), 201);
    rest_fake_last(fk, &last);
    ASSERT_EQ_INT(last.initial, REST_TARGET_DEFAULT);
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"q\",\"config\":{" SINK_CFG "},\"initial_state\":\"FAST\"}"), 400);
    ASSERT_FALSE(rest_fake_exists(fk, "q"));
}

TEST(backend_config_errors_are_400_with_its_message)
{
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"c\",\"config\":{\"tasks.max\":\"1\"}}"), 400);
    ASSERT_EQ_STR(B, "{\"error_code\":400,\"message\":\"Connector config {name=c} contains no connector type\"}");
}

/* --- GET/DELETE /connectors/{n} --- */

TEST(unknown_connector_is_404_everywhere)
{
    static const char *const gets[] = {"/connectors/nope", "/connectors/nope/config", "/connectors/nope/status",
                                       "/connectors/nope/tasks", "/connectors/nope/topics", "/connectors/nope/offsets"};
    for (size_t i = 0; i < ARRAY_LEN(gets); i++) {
        if (req("GET", gets[i], NULL) != 404)
            TEST_FAIL("GET %s: %d", gets[i], R.status);
        ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"Connector nope not found\"}");
    }
    ASSERT_EQ_INT(req("DELETE", "/connectors/nope", NULL), 404);
    ASSERT_EQ_INT(req("PUT", "/connectors/nope/pause", NULL), 404);
    ASSERT_EQ_INT(req("PUT", "/connectors/nope/resume", NULL), 404);
    ASSERT_EQ_INT(req("PUT", "/connectors/nope/stop", NULL), 404);
    ASSERT_EQ_INT(req("POST", "/connectors/nope/restart", NULL), 404);
    ASSERT_EQ_INT(req("PATCH", "/connectors/nope/config", "{}"), 404);
    ASSERT_EQ_INT(req("DELETE", "/connectors/nope/offsets", NULL), 404);
}

TEST(get_and_delete_connector)
{
    create("g", "\"tasks.max\":\"1\"");
    ASSERT_EQ_INT(req("GET", "/connectors/g", NULL), 200);
    ASSERT_EQ_STR(B, "{\"name\":\"g\",\"config\":{\"connector.class\":\"" REST_FAKE_CLASS
                     "\",\"tasks.max\":\"1\",\"name\":\"g\"},\"tasks\":[{\"connector\":\"g\",\"task\":0}],"
                     "\"type\":\"sink\"}");
    ASSERT_EQ_INT(req("DELETE", "/connectors/g", NULL), 204);
    ASSERT_EQ_INT(R.body.len, 0);
    ASSERT_TRUE(R.content_type == NULL);
    ASSERT_FALSE(rest_fake_exists(fk, "g"));
    ASSERT_EQ_INT(req("DELETE", "/connectors/g", NULL), 404);
}

/* --- config --- */

TEST(put_config_creates_then_updates)
{
    ASSERT_EQ_INT(req_full("PUT", "/connectors/pc/config", "application/json",
                           "{" SINK_CFG ",\"topics\":\"t\"}", 0, "https://connect:8443"), 201);
    ASSERT_EQ_STR(location(), "https://connect:8443/connectors/pc");
    ASSERT_EQ_STR(B, "{\"name\":\"pc\",\"config\":{\"connector.class\":\"" REST_FAKE_CLASS
                     "\",\"topics\":\"t\",\"name\":\"pc\"},\"tasks\":[{\"connector\":\"pc\",\"task\":0}],"
                     "\"type\":\"sink\"}");
    ASSERT_EQ_INT(req("PUT", "/connectors/pc/config", "{" SINK_CFG ",\"topics\":\"u\",\"name\":\"pc\"}"), 200);
    ASSERT_EQ_INT(R.location.len, 0);
    ASSERT_EQ_INT(req("GET", "/connectors/pc/config", NULL), 200);
    ASSERT_EQ_STR(B, "{\"connector.class\":\"" REST_FAKE_CLASS "\",\"topics\":\"u\",\"name\":\"pc\"}");
    ASSERT_EQ_INT(req("PUT", "/connectors/pc/config", "{" SINK_CFG ",\"name\":\"other\"}"), 400);
    ASSERT_EQ_STR(B, "{\"error_code\":400,\"message\":\"Connector name configuration (other) doesn't "
                     "match connector name in the URL (pc)\"}");
    ASSERT_EQ_INT(req("PUT", "/connectors/pc/config", "not json"), 400);
    ASSERT_EQ_INT(req("PUT", "/connectors/pc/config", "{\"a\":{}}"), 400);
}

TEST(patch_config_null_removes_a_key)
{
    char v[64];

    create("pt", "\"topics\":\"t1\",\"tasks.max\":\"1\",\"keep\":\"me\"");
    ASSERT_EQ_INT(req("PATCH", "/connectors/pt/config", "{\"topics\":null,\"tasks.max\":2,\"added\":\"x\"}"), 200);
    ASSERT_EQ_STR(B, "{\"name\":\"pt\",\"config\":{\"connector.class\":\"" REST_FAKE_CLASS
                     "\",\"tasks.max\":\"2\",\"keep\":\"me\",\"name\":\"pt\",\"added\":\"x\"},"
                     "\"tasks\":[{\"connector\":\"pt\",\"task\":0},{\"connector\":\"pt\",\"task\":1}],"
                     "\"type\":\"sink\"}");
    ASSERT_FALSE(rest_fake_config_value(fk, "pt", "topics", v, sizeof(v)));
    ASSERT_TRUE(rest_fake_config_value(fk, "pt", "keep", v, sizeof(v)));
    ASSERT_EQ_INT(req("PATCH", "/connectors/pt/config", "{}"), 200);
    ASSERT_EQ_INT(req("PATCH", "/connectors/pt/config", "{\"name\":\"other\"}"), 400);
    ASSERT_EQ_INT(req("PATCH", "/connectors/pt/config", "{\"name\":null}"), 400);
    ASSERT_EQ_INT(req("PATCH", "/connectors/pt/config", "{\"name\":\"pt\"}"), 200);
    ASSERT_EQ_INT(req("PATCH", "/connectors/pt/config", "{\"k\":[]}"), 400);
}

/* --- status, restart, lifecycle --- */

TEST(status_shape_with_failed_task_trace)
{
    create("st", "\"tasks.max\":\"2\"");
    ASSERT_OK(rest_fake_fail_task(fk, "st", 1, "java.lang.Oops\n\tat x"));
    ASSERT_EQ_INT(req("GET", "/connectors/st/status", NULL), 200);
    ASSERT_EQ_STR(B, "{\"name\":\"st\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"127.0.0.1:8083\"},"
                     "\"tasks\":[{\"id\":0,\"state\":\"RUNNING\",\"worker_id\":\"127.0.0.1:8083\"},"
                     "{\"id\":1,\"state\":\"FAILED\",\"worker_id\":\"127.0.0.1:8083\","
                     "\"trace\":\"java.lang.Oops\\n\\tat x\"}],\"type\":\"sink\"}");
    ASSERT_EQ_INT(req("GET", "/connectors/st/tasks/1/status", NULL), 200);
    ASSERT_EQ_STR(B, "{\"id\":1,\"state\":\"FAILED\",\"worker_id\":\"127.0.0.1:8083\","
                     "\"trace\":\"java.lang.Oops\\n\\tat x\"}");
    ASSERT_EQ_INT(req("GET", "/connectors/st/tasks/0/status", NULL), 200);
    ASSERT_EQ_STR(B, "{\"id\":0,\"state\":\"RUNNING\",\"worker_id\":\"127.0.0.1:8083\"}");
    ASSERT_EQ_INT(req("GET", "/connectors/st/tasks/7/status", NULL), 404);
    ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"No status found for task st-7\"}");
    ASSERT_EQ_INT(req("GET", "/connectors/st/tasks/abc/status", NULL), 404);
    ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
    ASSERT_EQ_INT(req("GET", "/connectors/st/tasks/99999999999/status", NULL), 404);
}

TEST(restart_204_or_202_with_status)
{
    struct rest_fake_last last;

    create("rs", "\"tasks.max\":\"2\"");
    ASSERT_EQ_INT(req("POST", "/connectors/rs/restart", NULL), 204);
    ASSERT_EQ_INT(R.body.len, 0);
    ASSERT_EQ_INT(req("POST", "/connectors/rs/restart?includeTasks=false&onlyFailed=false", NULL), 204);
    ASSERT_EQ_INT(req("POST", "/connectors/rs/restart?includeTasks=yes", NULL), 204);   /* Boolean.valueOf */
    ASSERT_EQ_INT(req("POST", "/connectors/rs/restart?includeTasks=TRUE", NULL), 202);
    ASSERT_EQ_STR(R.content_type, "application/json");
    ASSERT_EQ_STR(B, "{\"name\":\"rs\",\"connector\":{\"state\":\"RESTARTING\",\"worker_id\":\"127.0.0.1:8083\"},"
                     "\"tasks\":[{\"id\":0,\"state\":\"RESTARTING\",\"worker_id\":\"127.0.0.1:8083\"},"
                     "{\"id\":1,\"state\":\"RESTARTING\",\"worker_id\":\"127.0.0.1:8083\"}],\"type\":\"sink\"}");
    ASSERT_OK(rest_fake_fail_task(fk, "rs", 0, "boom"));
    ASSERT_EQ_INT(req("POST", "/connectors/rs/restart?includeTasks=true&onlyFailed=true", NULL), 202);
    ASSERT_EQ_STR(B, "{\"name\":\"rs\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"127.0.0.1:8083\"},"
                     "\"tasks\":[{\"id\":0,\"state\":\"RESTARTING\",\"worker_id\":\"127.0.0.1:8083\"},"
                     "{\"id\":1,\"state\":\"RUNNING\",\"worker_id\":\"127.0.0.1:8083\"}],\"type\":\"sink\"}");
    rest_fake_last(fk, &last);
    ASSERT_TRUE(last.include_tasks && last.only_failed);
    ASSERT_EQ_INT(req("POST", "/connectors/rs/restart?onlyFailed=true", NULL), 202);
    rest_fake_last(fk, &last);
    ASSERT_TRUE(!last.include_tasks && last.only_failed);
    ASSERT_EQ_INT(req("POST", "/connectors/rs/tasks/1/restart", NULL), 204);
    ASSERT_EQ_INT(req("POST", "/connectors/rs/tasks/5/restart", NULL), 404);
}

TEST(pause_resume_stop)
{
    create("ps", NULL);
    ASSERT_EQ_INT(req("PUT", "/connectors/ps/pause", NULL), 202);
    ASSERT_EQ_INT(R.body.len, 0);
    ASSERT_TRUE(R.content_type == NULL);
    ASSERT_EQ_INT(rest_fake_state(fk, "ps"), REST_PAUSED);
    ASSERT_EQ_INT(req("GET", "/connectors/ps/status", NULL), 200);
    ASSERT_CONTAINS(B, "\"connector\":{\"state\":\"PAUSED\"");
    ASSERT_EQ_INT(req("PUT", "/connectors/ps/resume", NULL), 202);
    ASSERT_EQ_INT(rest_fake_state(fk, "ps"), REST_RUNNING);
    ASSERT_EQ_INT(req("PUT", "/connectors/ps/stop", NULL), 204);
    ASSERT_EQ_INT(rest_fake_state(fk, "ps"), REST_STOPPED);
    ASSERT_EQ_INT(req("GET", "/connectors/ps/status", NULL), 200);
    ASSERT_CONTAINS(B, "\"connector\":{\"state\":\"STOPPED\",\"worker_id\":\"127.0.0.1:8083\"},\"tasks\":[]");
}

TEST(task_configs_shape)
{
    create("tc", "\"tasks.max\":\"2\",\"topics\":\"orders\"");
    ASSERT_EQ_INT(req("GET", "/connectors/tc/tasks", NULL), 200);
    ASSERT_EQ_STR(B, "[{\"id\":{\"connector\":\"tc\",\"task\":0},\"config\":{\"task.class\":"
                     "\"com.aerospike.connect.kafka.inbound.AerospikeSinkTask\",\"topics\":\"orders\"}},"
                     "{\"id\":{\"connector\":\"tc\",\"task\":1},\"config\":{\"task.class\":"
                     "\"com.aerospike.connect.kafka.inbound.AerospikeSinkTask\",\"topics\":\"orders\"}}]");
}

/* --- expand --- */

TEST(list_expand_status_info_and_both)
{
    create("e1", NULL);
    ASSERT_EQ_INT(req("GET", "/connectors?expand=status", NULL), 200);
    ASSERT_EQ_STR(B, "{\"e1\":{\"status\":{\"name\":\"e1\",\"connector\":{\"state\":\"RUNNING\","
                     "\"worker_id\":\"127.0.0.1:8083\"},\"tasks\":[{\"id\":0,\"state\":\"RUNNING\","
                     "\"worker_id\":\"127.0.0.1:8083\"}],\"type\":\"sink\"}}}");
    ASSERT_EQ_INT(req("GET", "/connectors?expand=info", NULL), 200);
    ASSERT_EQ_STR(B, "{\"e1\":{\"info\":{\"name\":\"e1\",\"config\":{\"connector.class\":\"" REST_FAKE_CLASS
                     "\",\"name\":\"e1\"},\"tasks\":[{\"connector\":\"e1\",\"task\":0}],\"type\":\"sink\"}}}");
    ASSERT_EQ_INT(req("GET", "/connectors?expand=info&expand=status", NULL), 200);
    ASSERT_CONTAINS(B, "{\"e1\":{\"status\":{\"name\":\"e1\"");
    ASSERT_CONTAINS(B, "},\"info\":{\"name\":\"e1\",\"config\"");
    {
        char both[4096];
        snprintf(both, sizeof(both), "%s", B);
        ASSERT_EQ_INT(req("GET", "/connectors?expand=status&expand=info&expand=status", NULL), 200);
        ASSERT_EQ_STR(B, both);
        ASSERT_EQ_INT(req("GET", "/connectors?expand=st%61tus&expand=info", NULL), 200);  /* decoded */
        ASSERT_EQ_STR(B, both);
    }
    create("e2", NULL);
    ASSERT_EQ_INT(req("GET", "/connectors?expand=status", NULL), 200);
    ASSERT_CONTAINS(B, "}},\"e2\":{\"status\":{\"name\":\"e2\"");
    /* unknown expansions are ignored but still give the map shape */
    ASSERT_EQ_INT(req("GET", "/connectors?expand=bogus", NULL), 200);
    ASSERT_EQ_STR(B, "{\"e1\":{},\"e2\":{}}");
    ASSERT_EQ_INT(req("GET", "/connectors?other=1", NULL), 200);
    ASSERT_EQ_STR(B, "[\"e1\",\"e2\"]");
}

/* --- URL encoding --- */

TEST(url_encoded_names)
{
    ASSERT_EQ_INT(req_full("PUT", "/connectors/a%2Fb%20c%C3%A9/config", "application/json",
                           "{" SINK_CFG "}", 0, "http://h:1"), 201);
    ASSERT_TRUE(rest_fake_exists(fk, "a/b c\xc3\xa9"));
    ASSERT_EQ_STR(location(), "http://h:1/connectors/a%2Fb%20c%C3%A9");
    ASSERT_CONTAINS(B, "{\"name\":\"a/b c\xc3\xa9\",");
    ASSERT_EQ_INT(req("GET", "/connectors/a%2fb%20c%c3%a9/status", NULL), 200);
    ASSERT_CONTAINS(B, "{\"name\":\"a/b c\xc3\xa9\",\"connector\"");
    ASSERT_EQ_INT(req("GET", "/connectors/a+b", NULL), 404);          /* '+' is literal in paths */
    ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"Connector a+b not found\"}");
    ASSERT_EQ_INT(req("GET", "/connectors/a%zz", NULL), 400);
    ASSERT_EQ_INT(req("GET", "/connectors/a%2", NULL), 400);
    ASSERT_EQ_INT(req("GET", "/connectors/a%00b", NULL), 400);
    /* invalid UTF-8 in a name still gives valid JSON (U+FFFD) */
    ASSERT_EQ_INT(req("GET", "/connectors/%FF%FE", NULL), 404);
    ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"Connector \\ufffd\\ufffd not found\"}");
    /* ... and cannot be created */
    ASSERT_EQ_INT(req("PUT", "/connectors/%FF/config", "{" SINK_CFG "}"), 400);
    ASSERT_EQ_INT(req("PUT", "/connectors/a%0Ab/config", "{" SINK_CFG "}"), 400);
}

/* --- topics, offsets --- */

TEST(topics_and_reset)
{
    create("tp", "\"topics\":\"t1,t2\"");
    ASSERT_EQ_INT(req("GET", "/connectors/tp/topics", NULL), 200);
    ASSERT_EQ_STR(B, "{\"tp\":{\"topics\":[\"t1\",\"t2\"]}}");
    ASSERT_EQ_INT(req("PUT", "/connectors/tp/topics/reset", NULL), 202);
    ASSERT_EQ_INT(R.body.len, 0);
    rest_fake_set_topic_tracking(fk, false);
    ASSERT_EQ_INT(req("GET", "/connectors/tp/topics", NULL), 403);
    ASSERT_EQ_STR(B, "{\"error_code\":403,\"message\":\"Topic tracking is disabled.\"}");
    ASSERT_EQ_INT(req("PUT", "/connectors/tp/topics/reset", NULL), 403);
    ASSERT_EQ_STR(B, "{\"error_code\":403,\"message\":\"Topic tracking reset is disabled.\"}");
}

TEST(offsets_get_alter_reset)
{
    struct rest_fake_last last;

    create("of", NULL);
    ASSERT_EQ_INT(req("GET", "/connectors/of/offsets", NULL), 200);
    ASSERT_EQ_STR(B, "{\"offsets\":[]}");
    /* not STOPPED: the backend says 400 */
    ASSERT_EQ_INT(req("PATCH", "/connectors/of/offsets",
                      "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":0},"
                      "\"offset\":{\"kafka_offset\":5}}]}"), 400);
    ASSERT_CONTAINS(B, "STOPPED");
    ASSERT_EQ_INT(req("PUT", "/connectors/of/stop", NULL), 204);
    ASSERT_EQ_INT(req("PATCH", "/connectors/of/offsets",
                      "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":0},"
                      "\"offset\":{\"kafka_offset\":5}},{\"partition\":{\"kafka_topic\":\"t\","
                      "\"kafka_partition\":\"1\"},\"offset\":null},{\"partition\":{\"kafka_topic\":\"u\","
                      "\"kafka_partition\":2},\"offset\":{\"kafka_offset\":\"9000000000\"}}]}"), 200);
    ASSERT_EQ_STR(B, "{\"message\":\"The offsets for this connector have been altered successfully\"}");
    rest_fake_last(fk, &last);
    ASSERT_EQ_STR(last.offsets_alter, "t:0=5,t:1=null,u:2=9000000000");
    ASSERT_EQ_INT(req("GET", "/connectors/of/offsets", NULL), 200);
    ASSERT_EQ_STR(B, "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":0},"
                     "\"offset\":{\"kafka_offset\":5}},{\"partition\":{\"kafka_topic\":\"t\","
                     "\"kafka_partition\":1},\"offset\":null},{\"partition\":{\"kafka_topic\":\"u\","
                     "\"kafka_partition\":2},\"offset\":{\"kafka_offset\":9000000000}}]}");
    ASSERT_EQ_INT(req("DELETE", "/connectors/of/offsets", NULL), 200);
    ASSERT_EQ_STR(B, "{\"message\":\"The Connect framework-managed offsets for this connector have been "
                     "reset successfully\"}");
    ASSERT_EQ_INT(req("GET", "/connectors/of/offsets", NULL), 200);
    ASSERT_EQ_STR(B, "{\"offsets\":[]}");
}

TEST(offsets_patch_rejects_malformed_bodies)
{
    static const struct { const char *body, *msg; } bad[] = {
        {"{}", "Partitions / offsets need to be provided"},
        {"{\"offsets\":[]}", "Partitions / offsets need to be provided"},
        {"{\"offsets\":null}", "Partitions / offsets need to be provided"},
        {"[]", "Partitions / offsets need to be provided"},
        {"{\"offsets\":[{\"offset\":null}]}", "cannot be null or missing"},
        {"{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\"},\"offset\":null}]}", "must contain the keys"},
        {"{\"offsets\":[{\"partition\":{\"kafka_topic\":null,\"kafka_partition\":1}}]}", "Kafka topic names must be valid strings"},
        {"{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":null}}]}", "Kafka partitions must be valid numbers"},
        {"{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":\"x\"}}]}", "partition value in the provided offsets: 'x'"},
        {"{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":1.5}}]}", "Partition values for sink connectors need to be integers"},
        {"{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":3000000000}}]}", "'3000000000'"},
        {"{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":1},\"offset\":{}}]}", "either be null or contain the key 'kafka_offset'"},
        {"{\"offsets\":[{\"partition\":{\"kafka_topic\":\"t\",\"kafka_partition\":1},\"offset\":{\"kafka_offset\":true}}]}", "Offset values for sink connectors need to be integers"},
        {"{\"offsets\":[],\"extra\":1}", "Unrecognized field \\\"extra\\\""},
    };
    create("ob", NULL);
    ASSERT_EQ_INT(req("PUT", "/connectors/ob/stop", NULL), 204);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        if (req("PATCH", "/connectors/ob/offsets", bad[i].body) != 400)
            TEST_FAIL("body %zu: %d %s", i, R.status, B);
        ASSERT_CONTAINS(B, bad[i].msg);
    }
}

/* --- plugins --- */

TEST(plugins_connectors_only_by_default)
{
    ASSERT_EQ_INT(req("GET", "/connector-plugins", NULL), 200);
    ASSERT_EQ_STR(B, "[{\"class\":\"" REST_FAKE_CLASS "\",\"type\":\"sink\",\"version\":\"3.1.0\"}]");
    ASSERT_EQ_INT(req("GET", "/connector-plugins?connectorsOnly=true", NULL), 200);
    ASSERT_EQ_STR(B, "[{\"class\":\"" REST_FAKE_CLASS "\",\"type\":\"sink\",\"version\":\"3.1.0\"}]");
    ASSERT_EQ_INT(req("GET", "/connector-plugins?connectorsOnly=false", NULL), 200);
    ASSERT_EQ_STR(B, "[{\"class\":\"" REST_FAKE_CLASS "\",\"type\":\"sink\",\"version\":\"3.1.0\"},"
                     "{\"class\":\"org.apache.kafka.connect.json.JsonConverter\",\"type\":\"converter\","
                     "\"version\":\"3.7.0\"},{\"class\":\"org.apache.kafka.connect.transforms.Cast$Value\","
                     "\"type\":\"transformation\"}]");
    ASSERT_EQ_INT(req("GET", "/connector-plugins?connectorsOnly=", NULL), 200);    /* empty: default */
    ASSERT_EQ_STR(B, "[{\"class\":\"" REST_FAKE_CLASS "\",\"type\":\"sink\",\"version\":\"3.1.0\"}]");
}

TEST(plugin_config_definitions_and_unknown_plugin)
{
    ASSERT_EQ_INT(req("GET", "/connector-plugins/AerospikeSinkConnector/config", NULL), 200);
    ASSERT_CONTAINS(B, "[{\"name\":\"connector.class\",\"type\":\"STRING\",\"required\":true,"
                       "\"default_value\":null,\"importance\":\"HIGH\",\"documentation\":\"Name or alias of "
                       "the class for this connector.\",\"group\":\"Common\",\"order\":2,\"width\":\"LONG\","
                       "\"display_name\":\"Connector class\",\"dependents\":[]},{\"name\":\"tasks.max\"");
    ASSERT_EQ_INT(req("GET", "/connector-plugins/" REST_FAKE_CLASS "/config", NULL), 200);
    ASSERT_EQ_INT(req("GET", "/connector-plugins/NoSuchConnector/config", NULL), 404);
    ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"Unknown plugin NoSuchConnector.\"}");
}

TEST(validate_config_infos_and_class_mismatch)
{
    ASSERT_EQ_INT(req("PUT", "/connector-plugins/AerospikeSinkConnector/config/validate",
                      "{" SINK_CFG ",\"tasks.max\":\"0\"}"), 200);
    ASSERT_EQ_STR(B, "{\"name\":\"" REST_FAKE_CLASS "\",\"error_count\":2,\"groups\":[\"Common\"],\"configs\":["
                     "{\"definition\":{\"name\":\"connector.class\",\"type\":\"STRING\",\"required\":true,"
                     "\"default_value\":null,\"importance\":\"HIGH\",\"documentation\":\"Name or alias of the "
                     "class for this connector.\",\"group\":\"Common\",\"order\":2,\"width\":\"LONG\","
                     "\"display_name\":\"Connector class\",\"dependents\":[]},\"value\":{\"name\":"
                     "\"connector.class\",\"value\":\"" REST_FAKE_CLASS "\",\"recommended_values\":[],"
                     "\"errors\":[],\"visible\":true}},"
                     "{\"definition\":{\"name\":\"tasks.max\",\"type\":\"INT\",\"required\":false,"
                     "\"default_value\":\"1\",\"importance\":\"HIGH\",\"documentation\":\"Maximum number of "
                     "tasks to use for this connector.\",\"group\":\"Common\",\"order\":3,\"width\":\"SHORT\","
                     "\"display_name\":\"Tasks max\",\"dependents\":[]},\"value\":{\"name\":\"tasks.max\","
                     "\"value\":\"0\",\"recommended_values\":[],\"errors\":[\"Invalid value 0 for "
                     "configuration tasks.max: Value must be at least 1\"],\"visible\":true}},"
                     "{\"definition\":{\"name\":\"topics\",\"type\":\"LIST\",\"required\":false,"
                     "\"default_value\":\"\",\"importance\":\"HIGH\",\"documentation\":\"List of topics to "
                     "consume, separated by commas\",\"group\":\"Common\",\"order\":4,\"width\":\"LONG\","
                     "\"display_name\":\"Topics\",\"dependents\":[]},\"value\":{\"name\":\"topics\","
                     "\"value\":\"\",\"recommended_values\":[],\"errors\":[\"Must configure one of topics or "
                     "topics.regex\"],\"visible\":true}}]}");
    /* aliases: the path may be the simple name with or without "Connector" */
    ASSERT_EQ_INT(req("PUT", "/connector-plugins/AerospikeSink/config/validate",
                      "{" SINK_CFG ",\"topics\":\"t\"}"), 200);
    ASSERT_CONTAINS(B, "\"error_count\":0,");
    ASSERT_EQ_INT(req("PUT", "/connector-plugins/FileStreamSinkConnector/config/validate", "{" SINK_CFG "}"), 400);
    ASSERT_EQ_STR(B, "{\"error_code\":400,\"message\":\"Included connector type " REST_FAKE_CLASS
                     " does not match request type FileStreamSinkConnector\"}");
    ASSERT_EQ_INT(req("PUT", "/connector-plugins/AerospikeSinkConnector/config/validate", "{\"topics\":\"t\"}"), 400);
    ASSERT_CONTAINS(B, "contains no connector type");
    ASSERT_EQ_INT(req("PUT", "/connector-plugins/AerospikeSinkConnector/config/validate", "[]"), 400);
}

/* --- loggers --- */

TEST(loggers_list_get_set)
{
    struct rest_fake_last last;

    ASSERT_EQ_INT(req("GET", "/admin/loggers", NULL), 200);
    ASSERT_EQ_STR(B, "{\"aerosink.rest\":{\"level\":\"INFO\",\"last_modified\":null},"
                     "\"aerosink.worker\":{\"level\":\"INFO\",\"last_modified\":null},"
                     "\"root\":{\"level\":\"INFO\",\"last_modified\":null}}");
    ASSERT_EQ_INT(req("GET", "/admin/loggers/", NULL), 200);
    ASSERT_EQ_INT(req("GET", "/admin/loggers/root", NULL), 200);
    ASSERT_EQ_STR(B, "{\"level\":\"INFO\",\"last_modified\":null}");
    ASSERT_EQ_INT(req("GET", "/admin/loggers/nope", NULL), 404);
    ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"Logger nope not found.\"}");
    ASSERT_EQ_INT(req("PUT", "/admin/loggers/aerosink", "{\"level\":\"debug\"}"), 200);
    ASSERT_EQ_STR(B, "[\"aerosink\",\"aerosink.rest\",\"aerosink.worker\"]");
    rest_fake_last(fk, &last);
    ASSERT_EQ_STR(last.level, "DEBUG");
    ASSERT_FALSE(last.cluster_scope);
    ASSERT_EQ_INT(req("GET", "/admin/loggers/aerosink.rest", NULL), 200);
    ASSERT_EQ_STR(B, "{\"level\":\"DEBUG\",\"last_modified\":1700000000000}");
    ASSERT_EQ_INT(req("PUT", "/admin/loggers/root?scope=Cluster", "{\"level\":\"WARN\"}"), 204);
    ASSERT_EQ_INT(R.body.len, 0);
    rest_fake_last(fk, &last);
    ASSERT_TRUE(last.cluster_scope);
    ASSERT_EQ_INT(req("PUT", "/admin/loggers/root?scope=galaxy", "{\"level\":\"WARN\"}"), 200);
    ASSERT_EQ_INT(req("PUT", "/admin/loggers/root", "{\"lvl\":\"WARN\"}"), 400);
    ASSERT_EQ_STR(B, "{\"error_code\":400,\"message\":\"Desired 'level' parameter was not specified in request.\"}");
    ASSERT_EQ_INT(req("PUT", "/admin/loggers/root", "{\"level\":null}"), 400);
    ASSERT_EQ_INT(req("PUT", "/admin/loggers/root", "{\"level\":\"LOUD\"}"), 404);
    ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"invalid log level 'LOUD'.\"}");
}

/* --- health, metrics --- */

TEST(health_healthy_starting_unhealthy)
{
    ASSERT_EQ_INT(req("GET", "/health", NULL), 200);
    ASSERT_EQ_STR(B, "{\"status\":\"healthy\",\"message\":\"Worker has completed startup and is ready to "
                     "handle requests.\"}");
    rest_fake_set_health(fk, REST_STARTING, "Joining the group.");
    ASSERT_EQ_INT(req("GET", "/health", NULL), 503);
    ASSERT_EQ_STR(B, "{\"status\":\"starting\",\"message\":\"Worker is still starting up. Joining the group.\"}");
    rest_fake_set_health(fk, REST_UNHEALTHY, NULL);
    ASSERT_EQ_INT(req("GET", "/health", NULL), 500);
    ASSERT_CONTAINS(B, "{\"status\":\"unhealthy\",\"message\":\"Worker was unable to handle this request");
}

TEST(metrics_are_prometheus_text)
{
    create("m", NULL);
    ASSERT_EQ_INT(req("GET", "/metrics", NULL), 200);
    ASSERT_EQ_STR(R.content_type, "text/plain; version=0.0.4; charset=utf-8");
    ASSERT_CONTAINS(B, "\naerosink_connectors 1\n");
}

/* --- routing, methods, limits --- */

TEST(unknown_paths_are_404)
{
    static const char *const paths[] = {"/nope", "/connectors/a/nope", "/connectors/a/tasks/0",
                                        "/connectors/a/b/c/d/e/f/g", "/connectors//status", "//",
                                        "/connector-plugins/x", "/admin", "connectors", "*"};
    for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
        if (req("GET", paths[i], NULL) != 404)
            TEST_FAIL("GET %s: %d", paths[i], R.status);
        ASSERT_EQ_STR(B, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
    }
}

TEST(wrong_method_is_405_with_allow)
{
    ASSERT_EQ_INT(req("DELETE", "/connectors", NULL), 405);
    ASSERT_EQ_STR(B, "{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}");
    ASSERT_EQ_STR(R.allow, "GET, HEAD, POST");
    ASSERT_EQ_INT(req("POST", "/", NULL), 405);
    ASSERT_EQ_INT(req("GET", "/connectors/a/restart", NULL), 405);
    ASSERT_EQ_STR(R.allow, "POST");
    ASSERT_EQ_INT(req("POST", "/connectors/a/pause", NULL), 405);
    ASSERT_EQ_INT(req("PUT", "/connectors/a", NULL), 405);
    ASSERT_EQ_INT(req("BREW", "/connectors", NULL), 405);
    ASSERT_EQ_INT(req("get", "/connectors", NULL), 405);      /* methods are case-sensitive */
    ASSERT_EQ_INT(req("GET", "/connector-plugins/x/config/validate", NULL), 405);
    ASSERT_EQ_STR(R.allow, "PUT");
    ASSERT_EQ_INT(req("HEAD", "/connectors", NULL), 200);     /* HEAD is GET (no body on the wire) */
}

TEST(body_over_the_limit_is_413)
{
    char big[300];

    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    ASSERT_EQ_INT(req_full("POST", "/connectors", "application/json", big, 100, NULL), 413);
    ASSERT_EQ_STR(B, "{\"error_code\":413,\"message\":\"Request body is larger than the limit of 100 bytes\"}");
    ASSERT_EQ_INT(req_full("POST", "/connectors", "application/json", big, 299, NULL), 400);  /* fits */
}

TEST(non_json_content_type_is_415)
{
    const char *body = "{\"name\":\"ct\",\"config\":{" SINK_CFG "}}";

    ASSERT_EQ_INT(req_full("POST", "/connectors", "application/x-www-form-urlencoded", body, 0, NULL), 415);
    ASSERT_EQ_STR(B, "{\"error_code\":415,\"message\":\"HTTP 415 Unsupported Media Type\"}");
    ASSERT_EQ_INT(req_full("PUT", "/connectors/ct/config", "text/plain", "{}", 0, NULL), 415);
    ASSERT_FALSE(rest_fake_exists(fk, "ct"));
    ASSERT_EQ_INT(req_full("POST", "/connectors", "Application/JSON ; charset=UTF-8", body, 0, NULL), 201);
    ASSERT_EQ_INT(req_full("PUT", "/connectors/ct/pause", "text/plain", NULL, 0, NULL), 202);   /* no body read */
}

TEST(rebalance_in_progress_is_409)
{
    create("bz", NULL);
    rest_fake_set_busy(fk, true);
    ASSERT_EQ_INT(req("POST", "/connectors", "{\"name\":\"b2\",\"config\":{" SINK_CFG "}}"), 409);
    ASSERT_EQ_STR(B, "{\"error_code\":409,\"message\":\"Cannot complete request because of a conflicting "
                     "operation (e.g. worker rebalance)\"}");
    ASSERT_EQ_INT(req("DELETE", "/connectors/bz", NULL), 409);
    ASSERT_EQ_INT(req("POST", "/connectors/bz/restart", NULL), 409);
    ASSERT_EQ_INT(req("GET", "/connectors/bz", NULL), 200);     /* reads still work */
}

static enum status only_list(void *ctx, struct rest_strs *out, struct err *e)
{
    UNUSED(ctx);
    UNUSED(e);
    return rest_strs_add(out, "solo");
}

static enum status fail_info(void *ctx, const char *name, struct rest_connector_info *out, struct err *e)
{
    UNUSED(ctx);
    UNUSED(out);
    if (strcmp(name, "gone") == 0)
        return ST_NOT_FOUND;
    if (strcmp(name, "slow") == 0)
        return ST_TIMEOUT;
    return err_set(e, ST_IO, "store unreachable for %s", name);
}

TEST(missing_backend_functions_and_other_failures)
{
    struct rest_backend mini = {0};
    struct rest_request rq = {0};
    struct rest_response rs;

    mini.list_connectors = only_list;
    mini.connector_info = fail_info;
    rest_response_init(&rs);
    rq.method = "GET";
    rq.target = "/connectors/solo/status";
    rest_handle(&mini, &rq, &rs);
    ASSERT_EQ_INT(rs.status, 501);
    ASSERT_EQ_STR(buf_cstr(&rs.body), "{\"error_code\":501,\"message\":\"Not supported by this worker\"}");
    rq.target = "/connectors/solo";
    rest_handle(&mini, &rq, &rs);
    ASSERT_EQ_INT(rs.status, 500);
    ASSERT_EQ_STR(buf_cstr(&rs.body), "{\"error_code\":500,\"message\":\"store unreachable for solo\"}");
    rq.target = "/connectors/slow";
    rest_handle(&mini, &rq, &rs);
    ASSERT_EQ_INT(rs.status, 500);
    ASSERT_EQ_STR(buf_cstr(&rs.body), "{\"error_code\":500,\"message\":\"Request timed out\"}");
    rq.target = "/";          /* no server_info: the defaults */
    rest_handle(&mini, &rq, &rs);
    ASSERT_EQ_INT(rs.status, 200);
    char root[256];   /* the build's commit (never empty), the cluster unknown */
    snprintf(root, sizeof(root), "{\"version\":\"" AEROSINK_VERSION "\",\"commit\":\"%s\",\"kafka_cluster_id\":\"\"}",
             aerosink_commit());
    ASSERT_CMP_INT(strlen(aerosink_commit()), >=, 7);
    ASSERT_EQ_STR(buf_cstr(&rs.body), root);
    rq.target = "/connectors?expand=info";   /* a failing expansion fails the list */
    rest_handle(&mini, &rq, &rs);
    ASSERT_EQ_INT(rs.status, 500);
    rq.target = "/health";
    rest_handle(&mini, &rq, &rs);
    ASSERT_EQ_INT(rs.status, 501);
    rest_handle(NULL, &rq, &rs);              /* no backend at all */
    ASSERT_EQ_INT(rs.status, 501);
    rest_response_free(&rs);
}

static enum status list_two(void *ctx, struct rest_strs *out, struct err *e)
{
    UNUSED(ctx);
    UNUSED(e);
    return rest_strs_add(out, "gone") == ST_OK ? rest_strs_add(out, "here") : ST_NOMEM;
}

static enum status info_here(void *ctx, const char *name, struct rest_connector_info *out, struct err *e)
{
    UNUSED(ctx);
    UNUSED(e);
    if (strcmp(name, "here") != 0)
        return ST_NOT_FOUND;
    out->type = REST_TYPE_SINK;
    return rest_kvs_add(&out->config, "name", name);
}

/* A connector deleted between the list and its expansion is left out (Connect does the same). */
TEST(expand_skips_connectors_that_vanish)
{
    struct rest_backend two = {0};
    struct rest_request rq = {0};
    struct rest_response rs;

    two.list_connectors = list_two;
    two.connector_info = info_here;
    rest_response_init(&rs);
    rq.method = "GET";
    rq.target = "/connectors?expand=info";
    rest_handle(&two, &rq, &rs);
    ASSERT_EQ_INT(rs.status, 200);
    ASSERT_EQ_STR(buf_cstr(&rs.body), "{\"here\":{\"info\":{\"name\":\"here\",\"config\":{\"name\":"
                                      "\"here\"},\"tasks\":[],\"type\":\"sink\"}}}");
    rq.target = "/connectors?expand=status";    /* no connector_status: 501 */
    rest_handle(&two, &rq, &rs);
    ASSERT_EQ_INT(rs.status, 501);
    rest_response_free(&rs);
}

TEST(absolute_form_target_and_query_only)
{
    create("af", NULL);
    ASSERT_EQ_INT(req("GET", "http://example:8083/connectors/af", NULL), 200);
    ASSERT_CONTAINS(B, "{\"name\":\"af\"");
    ASSERT_EQ_INT(req("GET", "http://example:8083", NULL), 200);
    ASSERT_CONTAINS(B, "\"version\"");
    ASSERT_EQ_INT(req("GET", "/?", NULL), 200);
    ASSERT_EQ_INT(req("GET", "/connectors?&&expand&", NULL), 200);     /* key without '=' */
    ASSERT_EQ_STR(B, "{\"af\":{}}");
    ASSERT_EQ_INT(req("GET", "/connectors?expand=%zz", NULL), 400);
}

/* Every allocation of a create request failing in turn: a 500 (or the right answer), never a
 * crash or leak (the ASan build checks the leaks). */
TEST(out_of_memory_anywhere_gives_a_clean_500)
{
    const char *body = "{\"name\":\"oom\",\"config\":{" SINK_CFG ",\"tasks.max\":\"2\",\"topics\":\"t\"}}";
    int ok = 0, fails = 0;

    setup();
    for (uint64_t n = 1; n < 400 && !ok; n++) {
        struct rest_request rq = {0};
        struct rest_response rs;
        req("DELETE", "/connectors/oom", NULL);    /* a failure after the backend call */
        rest_response_init(&rs);
        rq.method = "POST";
        rq.target = "/connectors?expand=x";
        rq.body = (const uint8_t *)body;
        rq.body_len = strlen(body);
        rq.base_url = "http://h";
        mem_fail_after(n);
        rest_handle(&be, &rq, &rs);
        mem_fail_after(0);
        if (rs.status == 201) {
            ok = 1;
        } else {
            if (rs.status != 500)
                TEST_FAIL("allocation %llu failed: status %d %s", (unsigned long long)n, rs.status,
                          buf_cstr(&rs.body));
            fails++;
        }
        rest_response_free(&rs);
    }
    ASSERT_TRUE(ok);
    ASSERT_CMP_INT(fails, >, 5);
    ASSERT_TRUE(rest_fake_exists(fk, "oom"));
}

TEST(types_helpers_copy_and_replace)
{
    struct rest_kvs m = {0}, c = {0};

    ASSERT_OK(rest_kvs_add(&m, "a", "1"));
    ASSERT_OK(rest_kvs_put(&m, "b", "2"));
    ASSERT_OK(rest_kvs_put(&m, "a", "3"));
    ASSERT_OK(rest_kvs_put(&m, "zz", NULL));     /* removing an absent key: no-op */
    ASSERT_EQ_INT(m.n, 2);
    ASSERT_EQ_STR(rest_kvs_find(&m, "a")->value, "3");
    ASSERT_OK(rest_kvs_copy(&c, &m));
    ASSERT_OK(rest_kvs_put(&m, "a", NULL));
    ASSERT_EQ_INT(m.n, 1);
    ASSERT_EQ_STR(m.v[0].key, "b");
    ASSERT_EQ_INT(c.n, 2);
    rest_kvs_free(&m);
    rest_kvs_free(&c);
    rest_kvs_free(NULL);
    ASSERT_EQ_STR(rest_state_name(REST_RESTARTING), "RESTARTING");
    ASSERT_EQ_STR(rest_type_name(REST_TYPE_SOURCE), "source");
}

TEST_LIST = {
    T(root_reports_version_commit_cluster),
    T(list_is_an_array_of_names),
    T(create_answers_201_location_and_connector_info),
    T(create_existing_is_409),
    T(create_rejects_bad_bodies_with_400),
    T(create_takes_numbers_and_booleans_as_text),
    T(create_trims_and_validates_the_name),
    T(create_initial_state),
    T(backend_config_errors_are_400_with_its_message),
    T(unknown_connector_is_404_everywhere),
    T(get_and_delete_connector),
    T(put_config_creates_then_updates),
    T(patch_config_null_removes_a_key),
    T(status_shape_with_failed_task_trace),
    T(restart_204_or_202_with_status),
    T(pause_resume_stop),
    T(task_configs_shape),
    T(list_expand_status_info_and_both),
    T(url_encoded_names),
    T(topics_and_reset),
    T(offsets_get_alter_reset),
    T(offsets_patch_rejects_malformed_bodies),
    T(plugins_connectors_only_by_default),
    T(plugin_config_definitions_and_unknown_plugin),
    T(validate_config_infos_and_class_mismatch),
    T(loggers_list_get_set),
    T(health_healthy_starting_unhealthy),
    T(metrics_are_prometheus_text),
    T(unknown_paths_are_404),
    T(wrong_method_is_405_with_allow),
    T(body_over_the_limit_is_413),
    T(non_json_content_type_is_415),
    T(rebalance_in_progress_is_409),
    T(missing_backend_functions_and_other_failures),
    T(expand_skips_connectors_that_vanish),
    T(absolute_form_target_and_query_only),
    T(out_of_memory_anywhere_gives_a_clean_500),
    T(types_helpers_copy_and_replace),
    {0},
};
