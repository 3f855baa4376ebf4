/* tools/aero-bench/records.h: the requests aerosink would send for a file of Kafka records
 * (aero-bench --records). Owns: the encoded requests and their digests, read-only once loaded
 * (threads may share them). bench_records_free accepts NULL. */
#ifndef AERO_BENCH_RECORDS_H
#define AERO_BENCH_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "aerospike/aero.h"

struct bench_records;

/* Lines KEY<TAB>JSON -> one write request each (namespace @ns, set @set, string user key,
 * every top-level JSON field a bin), encoded by the sink's mapping. NULL with @e naming the
 * file and line on a bad line, an unreadable file or an empty one. */
struct bench_records *bench_records_load(const char *path, const char *ns, const char *set,
                                         uint32_t ttl_ms, struct err *e);
void bench_records_free(struct bench_records *r);
size_t bench_records_count(const struct bench_records *r);
size_t bench_records_bytes(const struct bench_records *r);
/* Request @i (< count): its bytes (returned, @len long) and its key digest. */
const uint8_t *bench_records_get(const struct bench_records *r, size_t i, uint32_t *len,
                                 const uint8_t **digest);

#endif
