#!/usr/bin/env bash
# Memory and throughput of aerosink standalone for several max-queued-records and
# processing-threads settings, with a fast and a slow (--latency-ms) aerospike-testd: the
# table in docs/operations.md, "Sizing". A measurement, not a test.
#
#   bash bench/sizing.sh [BUILD_DIR]
#   SIZING_RECORDS=200000 SIZING_LATENCY_MS=3 bash bench/sizing.sh
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${SIZING_RECORDS:-200000}
LAT=${SIZING_LATENCY_MS:-3}
WORK=$(mktemp -d /tmp/aerosink-sizing.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_line() {  # file prefix
  for _ in $(seq 1 200); do grep -q "^$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

KP=$(free_port); AP=$(free_port); AP2=$(free_port)
"$BUILD/kafka-mock" --port "$KP" --topic users:6 >"$WORK/k.out" 2>&1 & PIDS+=($!)
"$BUILD/aerospike-testd" --port "$AP" >"$WORK/a.out" 2>&1 & PIDS+=($!)
"$BUILD/aerospike-testd" --port "$AP2" --latency-ms "$LAT" >"$WORK/a2.out" 2>&1 & PIDS+=($!)
wait_line "$WORK/k.out" "bootstrap.servers="
wait_line "$WORK/a.out" "ready "
wait_line "$WORK/a2.out" "ready "
python3 scripts/demo_data.py users "$N" --invalid "$WORK/invalid.txt" 2>/dev/null |
  kcat -q -P -b "127.0.0.1:$KP" -t users -K $'\t' -X linger.ms=20 -X queue.buffering.max.messages=1000000 2>/dev/null
AVG=$(kcat -C -b "127.0.0.1:$KP" -t users -p 0 -o beginning -c 2000 -e -q -f '%S\n' | awk '{s+=$1} END {printf "%.0f", s/NR}')
echo "$N records, average value $AVG bytes, 6 partitions"
cp examples/worker.properties "$WORK/"
sed -i "s/^bootstrap.servers=.*/bootstrap.servers=127.0.0.1:$KP/" "$WORK/worker.properties"

echo "| max-queued-records | processing-threads | Aerospike reply latency | peak RSS | records/s | CPU us/record |"
echo "|---:|---:|---:|---:|---:|---:|"
i=0
for port in "$AP" "$AP2"; do
  for mq in 2048 32768 131072; do
    for th in 2 4; do
      i=$((i + 1))
      cat >"$WORK/m$i.yml" <<YML
max-queued-records: $mq
processing-threads: $th
aerospike:
  seeds:
    - 127.0.0.1:$port
topics:
  users:
    invalid-record: ignore
    mapping:
      namespace: {mode: static, value: test}
      set: {mode: static, value: users}
      key-field: {source: key}
      bins: {type: multi-bins, all-value-fields: true}
YML
      printf 'name=sizing%s\nconnector.class=aerosink\ntopics=users\naerospike.config.file=m%s.yml\nerrors.tolerance=all\n' \
        "$i" "$i" >"$WORK/c$i.properties"
      "$BUILD/aerosink" standalone --exit-when-drained --progress 0 "$WORK/worker.properties" \
        "$WORK/c$i.properties" >"$WORK/s$i.log" 2>&1
      lat=$([ "$port" = "$AP2" ] && echo "$LAT ms" || echo "< 0.1 ms")
      line=$(grep -oE 'summary: .*' "$WORK/s$i.log")
      rate=$(echo "$line" | grep -oE '[0-9]+ records/s' | cut -d' ' -f1)
      cpu=$(echo "$line" | grep -oE '\(([0-9.]+) us/record' | tr -d '(' | cut -d' ' -f1)
      rss=$(echo "$line" | grep -oE 'peak RSS [0-9.]+ MiB' | cut -d' ' -f3)
      echo "| $mq | $th | $lat | $rss MiB | $rate | $cpu |"
    done
  done
done
