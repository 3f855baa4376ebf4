/* tests/support/rest_fake.h: an in-memory struct rest_backend for the REST tests and the
 * REST fuzz target. Connectors live in a table guarded by one mutex (thread-safe, as the
 * backend contract asks). Behaviour follows Kafka Connect's herder where the REST layer can
 * see it: 404 for unknown connectors/tasks/plugins/loggers, 409 on create of an existing name,
 * "tasks.max" tasks per connector, validate errors for tasks.max < 1 and missing topics.
 * Levers make it answer busy (409), slow, unhealthy or without topic tracking.
 * Memory: rest_fake_new returns owned (rest_fake_free, NULL ok). */
#ifndef AEROSINK_REST_FAKE_H
#define AEROSINK_REST_FAKE_H

#include "rest/rest.h"

#define REST_FAKE_CLASS "com.aerospike.connect.kafka.inbound.AerospikeSinkConnector"

struct rest_fake;

struct rest_fake *rest_fake_new(void);
void rest_fake_free(struct rest_fake *f);
/* A backend whose every function is set and whose ctx is @f. */
void rest_fake_backend(struct rest_fake *f, struct rest_backend *out);

/* Levers */
void rest_fake_set_busy(struct rest_fake *f, bool busy);          /* writes -> ST_BUSY */
void rest_fake_set_delay_ms(struct rest_fake *f, unsigned ms);    /* every call sleeps */
void rest_fake_set_health(struct rest_fake *f, enum rest_health_state st, const char *details);
void rest_fake_set_topic_tracking(struct rest_fake *f, bool on);
/* Mark task @task of @name FAILED with @trace (ST_NOT_FOUND if absent). */
enum status rest_fake_fail_task(struct rest_fake *f, const char *name, int32_t task, const char *trace);

/* Inspection */
size_t rest_fake_count(struct rest_fake *f);
bool rest_fake_exists(struct rest_fake *f, const char *name);
/* Copy of config value @key of @name into @out (cap bytes); false if absent. */
bool rest_fake_config_value(struct rest_fake *f, const char *name, const char *key, char *out, size_t cap);
enum rest_state rest_fake_state(struct rest_fake *f, const char *name);
/* Calls made to backend functions so far (any function). */
unsigned long rest_fake_calls(struct rest_fake *f);
/* The arguments of the last restart_connector / set_logger_level / create calls. */
struct rest_fake_last {
    bool include_tasks, only_failed, cluster_scope;
    enum rest_target_state initial;
    char level[16];
    char offsets_alter[256];    /* "t:0=5,t:1=null" */
};
void rest_fake_last(struct rest_fake *f, struct rest_fake_last *out);

#endif
