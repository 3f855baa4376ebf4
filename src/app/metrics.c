/* src/app/metrics.c: Prometheus text format (version 0.0.4) for GET /metrics. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

#define MAX_NODES 64

/* Label values: escape backslash, double quote and newline. */
static void label(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') {
            buf_put_u8(b, '\\');
            buf_put_u8(b, (uint8_t)*s);
        } else if (*s == '\n')
            buf_append(b, "\\n", 2);
        else
            buf_put_u8(b, (uint8_t)*s);
    }
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void conn_labels(struct buf *b, const struct app_metrics_source *s)
{
    buf_append_str(b, "connector=\"");
    label(b, s->connector);
    buf_printf(b, "\",task=\"%d\"", s->task);
}

/* One sample per (source, topic) of a topic counter picked by @field. */
static void topic_counter(struct buf *b, const struct app_metrics_source *src, size_t n, const char *name,
                          const char *help, size_t field_off, const char *extra_label)
{
    if (help)   /* NULL: more samples of a metric whose header was written */
        head(b, name, "counter", help);
    for (size_t i = 0; i < n; i++) {
        if (!src[i].worker)
            continue;
        for (size_t t = 0; t < worker_topic_count(src[i].worker); t++) {
            struct worker_topic_stats ts;
            worker_topic_stats(src[i].worker, t, &ts);
            uint64_t v;
            memcpy(&v, (const char *)&ts + field_off, sizeof(v));
            buf_printf(b, "%s{", name);
            conn_labels(b, &src[i]);
            buf_append_str(b, ",topic=\"");
            label(b, ts.topic);
            buf_printf(b, "\"%s} %llu\n", extra_label ? extra_label : "", (unsigned long long)v);
        }
    }
}

struct part_ctx {
    struct buf *b;
    const struct app_metrics_source *s;
    int which;   /* 0 lag, 1 committed, 2 position, 3 in-flight */
};

static void part_line(void *ctx, const char *topic, int32_t partition, int64_t position, int64_t committed,
                      int64_t done, int64_t lag, uint64_t in_flight)
{
    struct part_ctx *pc = ctx;
    static const char *const names[] = {"aerosink_partition_lag_records", "aerosink_partition_committed_offset",
                                        "aerosink_partition_position_offset", "aerosink_partition_in_flight_records"};
    long long v = pc->which == 0 ? lag : pc->which == 1 ? committed : pc->which == 2 ? position : (long long)in_flight;
    (void)done;
    if (v < 0)
        return;   /* unknown yet */
    buf_printf(pc->b, "%s{", names[pc->which]);
    conn_labels(pc->b, pc->s);
    buf_append_str(pc->b, ",topic=\"");
    label(pc->b, topic);
    buf_printf(pc->b, "\",partition=\"%d\"} %lld\n", (int)partition, v);
}

static void partitions(struct buf *b, const struct app_metrics_source *src, size_t n)
{
    static const char *const names[][3] = {
        {"aerosink_partition_lag_records", "gauge", "Records between the next offset to read and the high watermark"},
        {"aerosink_partition_committed_offset", "gauge", "Last committed offset (every record before it acknowledged)"},
        {"aerosink_partition_position_offset", "gauge", "Next offset to read"},
        {"aerosink_partition_in_flight_records", "gauge", "Records taken from this partition and not yet settled"},
    };
    for (int k = 0; k < 4; k++) {
        head(b, names[k][0], names[k][1], names[k][2]);
        for (size_t i = 0; i < n; i++) {
            struct part_ctx pc = {b, &src[i], k};
            if (src[i].worker)
                worker_partitions(src[i].worker, part_line, &pc);
        }
    }
}

static void worker_gauges(struct buf *b, const struct app_metrics_source *src, size_t n)
{
    static const uint64_t bounds[] = {WORKER_LATENCY_BOUNDS_US};

    head(b, "aerosink_in_flight_records", "gauge", "Records taken from Kafka and not yet settled");
    for (size_t i = 0; i < n; i++) {
        struct worker_stats st;
        if (!src[i].worker)
            continue;
        worker_stats(src[i].worker, &st);
        buf_append_str(b, "aerosink_in_flight_records{");
        conn_labels(b, &src[i]);
        buf_printf(b, "} %llu\n", (unsigned long long)st.in_flight);
    }
    head(b, "aerosink_queue_capacity_records", "gauge", "max-queued-records");
    for (size_t i = 0; i < n; i++) {
        buf_append_str(b, "aerosink_queue_capacity_records{");
        conn_labels(b, &src[i]);
        buf_printf(b, "} %u\n", src[i].max_queued_records);
    }
    head(b, "aerosink_paused", "gauge", "1 while consumption is paused (back-pressure or request)");
    head(b, "aerosink_assigned_partitions", "gauge", "Partitions assigned to this task");
    head(b, "aerosink_rebalances_total", "counter", "Partition assignment changes seen");
    for (size_t i = 0; i < n; i++) {
        struct worker_stats st;
        if (!src[i].worker)
            continue;
        worker_stats(src[i].worker, &st);
        buf_append_str(b, "aerosink_paused{");
        conn_labels(b, &src[i]);
        buf_printf(b, "} %d\n", st.paused ? 1 : 0);
        buf_append_str(b, "aerosink_assigned_partitions{");
        conn_labels(b, &src[i]);
        buf_printf(b, "} %d\n", st.partitions);
        buf_append_str(b, "aerosink_rebalances_total{");
        conn_labels(b, &src[i]);
        buf_printf(b, "} %llu\n", (unsigned long long)st.rebalances);
    }
    head(b, "aerosink_write_latency_seconds", "histogram",
         "Aerospike write latency, from submit to acknowledgement (including client retries)");
    for (size_t i = 0; i < n; i++) {
        struct worker_latency lat;
        uint64_t cum = 0;
        if (!src[i].worker)
            continue;
        worker_latency(src[i].worker, &lat);
        for (size_t k = 0; k < WORKER_LATENCY_BUCKETS; k++) {
            cum += lat.counts[k];
            buf_append_str(b, "aerosink_write_latency_seconds_bucket{");
            conn_labels(b, &src[i]);
            if (k < ARRAY_LEN(bounds))
                buf_printf(b, ",le=\"%g\"} %llu\n", (double)bounds[k] / 1e6, (unsigned long long)cum);
            else
                buf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        buf_append_str(b, "aerosink_write_latency_seconds_sum{");
        conn_labels(b, &src[i]);
        buf_printf(b, "} %.6f\n", (double)lat.sum_us / 1e6);
        buf_append_str(b, "aerosink_write_latency_seconds_count{");
        conn_labels(b, &src[i]);
        buf_printf(b, "} %llu\n", (unsigned long long)lat.count);
    }
}

static void nodes(struct buf *b, const struct app_metrics_source *src, size_t n)
{
    static const char *const names[][3] = {
        {"aerosink_aerospike_commands_total", "counter", "Command attempts sent to the node (a batch write is one)"},
        {"aerosink_aerospike_errors_total", "counter", "Attempts that failed (server error, I/O, protocol)"},
        {"aerosink_aerospike_timeouts_total", "counter", "Attempts that timed out on the client"},
        {"aerosink_aerospike_retries_total", "counter", "Attempts that were retries"},
        {"aerosink_aerospike_connections", "gauge", "Command connections open"},
        {"aerosink_aerospike_partitions_master", "gauge", "Partitions the node masters (all namespaces)"},
        {"aerosink_aerospike_refused_total", "counter",
         "Attempts refused without sending by the circuit breaker (max-error-rate)"},
    };
    struct aero_node_info ni[MAX_NODES];
    for (int k = 0; k < (int)ARRAY_LEN(names); k++) {
        head(b, names[k][0], names[k][1], names[k][2]);
        for (size_t i = 0; i < n; i++) {
            size_t nn;
            if (!src[i].cluster)
                continue;
            nn = MIN(aero_cluster_nodes(src[i].cluster, ni, MAX_NODES), (size_t)MAX_NODES);
            for (size_t j = 0; j < nn; j++) {
                unsigned long long v = k == 0 ? ni[j].commands : k == 1 ? ni[j].errors : k == 2 ? ni[j].timeouts
                                       : k == 3 ? ni[j].retries : k == 4 ? ni[j].conns_open
                                       : k == 5 ? ni[j].partitions_master : ni[j].refused;
                buf_printf(b, "%s{", names[k][0]);
                conn_labels(b, &src[i]);
                buf_append_str(b, ",node=\"");
                label(b, ni[j].name);
                buf_append_str(b, "\",address=\"");
                label(b, ni[j].addr);
                buf_printf(b, "\"} %llu\n", v);
            }
        }
    }
}

static void process_metrics(struct buf *b)
{
    struct rusage ru;
    char line[256];
    long rss_kb = -1, vm_kb = -1, threads = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            rss_kb = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmSize:", 7) == 0)
            vm_kb = strtol(line + 7, NULL, 10);
        else if (strncmp(line, "Threads:", 8) == 0)
            threads = strtol(line + 8, NULL, 10);
    }
    if (f)
        fclose(f);
    getrusage(RUSAGE_SELF, &ru);
    head(b, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds");
    buf_printf(b, "process_cpu_seconds_total %.3f\n",
               (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                   (double)ru.ru_stime.tv_usec / 1e6);
    head(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes");
    buf_printf(b, "process_resident_memory_bytes %lld\n", (long long)rss_kb * 1024);
    head(b, "process_max_resident_memory_bytes", "gauge", "Peak resident memory size in bytes");
    buf_printf(b, "process_max_resident_memory_bytes %lld\n", (long long)ru.ru_maxrss * 1024);
    head(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes");
    buf_printf(b, "process_virtual_memory_bytes %lld\n", (long long)vm_kb * 1024);
    head(b, "process_threads", "gauge", "OS threads");
    buf_printf(b, "process_threads %ld\n", threads);
}

#define FIELD(f) offsetof(struct worker_topic_stats, f)

enum status app_metrics_render(const struct app_metrics_source *src, size_t n, struct buf *out)
{
    size_t start = out->len;

    head(out, "aerosink_info", "gauge", "aerosink version");
    buf_printf(out, "aerosink_info{version=\"%s\"} 1\n", AEROSINK_VERSION);
    topic_counter(out, src, n, "aerosink_records_consumed_total", "Records taken from Kafka", FIELD(consumed), NULL);
    topic_counter(out, src, n, "aerosink_records_written_total", "Records written to Aerospike (acknowledged)",
                  FIELD(written), NULL);
    topic_counter(out, src, n, "aerosink_records_deleted_total", "Records deleted in Aerospike (acknowledged)",
                  FIELD(deleted), NULL);
    head(out, "aerosink_records_skipped_total", "counter",
         "Records settled without a write: tombstones (null values), invalid records ignored by policy, "
         "other (expired TTL, ignorable result codes), stale (stale-write-guard: Aerospike held a newer record)");
    topic_counter(out, src, n, "aerosink_records_skipped_total", NULL, FIELD(skipped_tombstone), ",reason=\"tombstone\"");
    topic_counter(out, src, n, "aerosink_records_skipped_total", NULL, FIELD(skipped_invalid), ",reason=\"invalid\"");
    topic_counter(out, src, n, "aerosink_records_skipped_total", NULL, FIELD(skipped_other), ",reason=\"other\"");
    topic_counter(out, src, n, "aerosink_records_skipped_total", NULL, FIELD(skipped_stale), ",reason=\"stale\"");
    topic_counter(out, src, n, "aerosink_records_failed_total",
                  "Records Aerospike refused for good (record-class result codes), whatever the policy did",
                  FIELD(write_failures), NULL);
    topic_counter(out, src, n, "aerosink_records_dead_lettered_total", "Records produced to the dead-letter topic",
                  FIELD(dead_lettered), NULL);
    topic_counter(out, src, n, "aerosink_write_retries_total",
                  "Re-submissions after a retriable failure (the record is held, never dropped)", FIELD(retries), NULL);
    worker_gauges(out, src, n);
    partitions(out, src, n);
    nodes(out, src, n);
    process_metrics(out);
    return out->len > start ? ST_OK : ST_NOMEM;
}
