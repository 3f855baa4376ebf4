/* tests/integration/distributed_race_test.c: two workers receive the same write at the same
 * moment. Kafka Connect sends every write through its leader, so they are applied one after
 * the other: of two POST /connectors for one new name exactly one gets 201 and the other 409
 * "Connector <name> already exists", and of two PUT .../config for one new name one creates
 * (201) and the other updates (200). aerosink has no leader: the config topic's order decides,
 * and every worker must then serve the same (winner's) config. */
#include <pthread.h>

#include "../harness.h"
#include "distributed_util.h"

#define CLASS "com.aerospike.connect.kafka.inbound.AerospikeSinkConnector"

struct shot {
    const char *method, *base;
    char path[128];
    char body[2048];
    pthread_barrier_t *go;
    struct http r;
};

static void *fire(void *arg)
{
    struct shot *s = arg;
    pthread_barrier_wait(s->go);
    http_do(s->method, s->base, s->path, s->body, &s->r);
    return NULL;
}

/* Send shots[0] and shots[1] at the same moment (one thread each, released together). */
static void fire_both(struct shot *shots)
{
    pthread_barrier_t go;
    pthread_t t[2];

    pthread_barrier_init(&go, NULL, 2);
    for (int i = 0; i < 2; i++) {
        shots[i].go = &go;
        ASSERT_EQ_INT(pthread_create(&t[i], NULL, fire, &shots[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
}

/* The connector's flat config; tasks.max tells the two writers apart. STOPPED keeps the
 * rounds light: the race is about the config topic, not about running tasks. */
static void connector_config(struct du *u, const char *mapping, int tasks, char *out, size_t cap)
{
    snprintf(out, cap, "{\"connector.class\":\"%s\",\"tasks.max\":\"%d\",\"topics\":\"%s\","
             "\"aerospike.config.file\":\"%s\"}", CLASS, tasks, u->topic, mapping);
}

/* tasks.max of GET /connectors/@name/config on worker @i (fails the test unless 200). */
static long stored_tasks(struct du *u, int i, const char *name)
{
    struct http r = {0};
    struct conv_doc *d = conv_doc_new();
    char path[128];
    snprintf(path, sizeof(path), "/connectors/%s/config", name);
    if (http_do("GET", u->url[i], path, NULL, &r) != 200)
        TEST_FAIL("GET %s on worker %d: %ld %s", path, i + 1, r.code, http_body(&r));
    long v = strtol(jstr(d, json_root(d, http_body(&r)), "tasks.max"), NULL, 10);
    conv_doc_free(d);
    buf_free(&r.body);
    return v;
}

static void start_two(struct du *u, const char **mapping)
{
    du_start(u, "race", 2);
    *mapping = du_mapping(u, "aerospike-kafka-inbound.yml", NULL);
    du_worker(u, 0);
    du_worker(u, 1);
}

static void free_shots(struct shot *shots)
{
    for (int i = 0; i < 2; i++)
        buf_free(&shots[i].r.body);
}

TEST(concurrent_creates_of_one_name_answer_201_once_and_409_once)
{
    struct du u;
    const char *mapping;
    char cfg[1024], want_409[256];
    int both_created = 0;

    start_two(&u, &mapping);
    for (int round = 0; round < 10; round++) {
        struct shot shots[2];
        char name[32];
        memset(shots, 0, sizeof(shots));
        snprintf(name, sizeof(name), "race-%d", round);
        for (int i = 0; i < 2; i++) {
            shots[i].method = "POST";
            shots[i].base = u.url[i];
            snprintf(shots[i].path, sizeof(shots[i].path), "/connectors");
            connector_config(&u, mapping, i + 1, cfg, sizeof(cfg));
            snprintf(shots[i].body, sizeof(shots[i].body),
                     "{\"name\":\"%s\",\"initial_state\":\"STOPPED\",\"config\":%s}", name, cfg);
        }
        fire_both(shots);
        long c0 = shots[0].r.code, c1 = shots[1].r.code;
        fprintf(stderr, "    round %d: worker 1 %ld, worker 2 %ld\n", round, c0, c1);
        if (c0 == 201 && c1 == 201) {
            both_created++;
            free_shots(shots);
            continue;   /* counted: the whole picture is reported below */
        }
        if (!((c0 == 201 && c1 == 409) || (c0 == 409 && c1 == 201)))
            TEST_FAIL("round %d: %ld %s / %ld %s", round, c0, http_body(&shots[0].r), c1, http_body(&shots[1].r));
        int winner = c0 == 201 ? 0 : 1;
        snprintf(want_409, sizeof(want_409), "{\"error_code\":409,\"message\":\"Connector %s already exists\"}", name);
        ASSERT_EQ_STR(http_body(&shots[1 - winner].r), want_409);
        ASSERT_CONTAINS(http_body(&shots[winner].r), "\"tasks.max\":\"");
        /* both workers serve the winner's config (tasks.max = its index + 1) */
        for (int i = 0; i < 2; i++)
            ASSERT_EQ_INT(stored_tasks(&u, i, name), winner + 1);
        free_shots(shots);
    }
    if (both_created)
        TEST_FAIL("%d of 10 rounds answered 201 to both creates", both_created);
    du_free(&u);
}

/* PUT .../config creates or updates: one of two concurrent PUTs for a new name creates (201),
 * the other updates it (200), and the updater's config is what stays (it was applied last). */
TEST(concurrent_puts_of_one_new_name_create_once_and_update_once)
{
    struct du u;
    const char *mapping;
    int both_created = 0;

    start_two(&u, &mapping);
    for (int round = 0; round < 6; round++) {
        struct shot shots[2];
        memset(shots, 0, sizeof(shots));
        char name[32];
        snprintf(name, sizeof(name), "put-race-%d", round);
        for (int i = 0; i < 2; i++) {
            shots[i].method = "PUT";
            shots[i].base = u.url[i];
            snprintf(shots[i].path, sizeof(shots[i].path), "/connectors/%s/config", name);
            connector_config(&u, mapping, i + 1, shots[i].body, sizeof(shots[i].body));
        }
        fire_both(shots);
        long c0 = shots[0].r.code, c1 = shots[1].r.code;
        fprintf(stderr, "    round %d: worker 1 %ld, worker 2 %ld\n", round, c0, c1);
        if (c0 == 201 && c1 == 201) {
            both_created++;
            free_shots(shots);
            continue;
        }
        if (!((c0 == 201 && c1 == 200) || (c0 == 200 && c1 == 201)))
            TEST_FAIL("round %d: %ld %s / %ld %s", round, c0, http_body(&shots[0].r), c1, http_body(&shots[1].r));
        int updater = c0 == 200 ? 0 : 1;
        for (int i = 0; i < 2; i++)
            ASSERT_EQ_INT(stored_tasks(&u, i, name), updater + 1);
        free_shots(shots);
        char path[128];
        struct http r = {0};
        snprintf(path, sizeof(path), "/connectors/%s", name);
        ASSERT_EQ_INT(http_do("DELETE", u.url[0], path, NULL, &r), 204);   /* no tasks piling up */
        buf_free(&r.body);
    }
    if (both_created)
        TEST_FAIL("%d of 6 rounds answered 201 to both PUTs", both_created);
    du_free(&u);
}

TEST_LIST = {
    T(concurrent_creates_of_one_name_answer_201_once_and_409_once),
    T(concurrent_puts_of_one_new_name_create_once_and_update_once),
    {0},
};
