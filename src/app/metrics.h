/* src/app/metrics.h: the Prometheus text exposition served at GET /metrics.
 * Owns: metric names, labels and help texts (aerosink_* counters, gauges and the write
 *       latency histogram; process_* metrics as the Prometheus client libraries name them).
 * Memory: appends to the caller's buf. Threads: safe from any thread while the sources live. */
#ifndef AEROSINK_APP_METRICS_H
#define AEROSINK_APP_METRICS_H

#include <stddef.h>

#include "aerospike/aero.h"
#include "common/common.h"
#include "worker/worker.h"

struct app_metrics_source {
    const char *connector;          /* connector name (label) */
    int task;                       /* task id (label) */
    struct worker *worker;          /* NULL: not running here (counters omitted) */
    struct aero_cluster *cluster;   /* NULL: no Aerospike node metrics */
    uint32_t max_queued_records;
};

/* Append every metric for @n sources plus the process metrics to @out. */
enum status app_metrics_render(const struct app_metrics_source *src, size_t n, struct buf *out);

#endif
