#!/usr/bin/env bash
# make demo: embedded Kafka + test Aerospike, 200,000 sample records through aerosink standalone,
# then proof: object counts == produced - invalid, a Prometheus scrape whose written counter
# matches, and three records read back.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N_USERS=${DEMO_USERS:-100000}
N_ORDERS=${DEMO_ORDERS:-100000}
WORK=$(mktemp -d /tmp/aerosink-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "demo failed at line $LINENO" >&2' ERR
trap 'echo; echo "demo interrupted"; exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
free_port() {  # N consecutive free ports
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randrange(20000, 60000)
    ok = True
    for p in range(base, base + n):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        s.close()
    if ok:
        print(base); break
PY
}
wait_line() {  # file prefix timeout_s
  for _ in $(seq 1 $(( $3 * 10 ))); do
    if grep -q "^$2" "$1" 2>/dev/null; then grep -m1 "^$2" "$1"; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

START=$(date +%s)
say "starting embedded Kafka (kafka-mock) and test Aerospike (aerospike-testd)"
KP=$(free_port 1); AP=$(free_port 1)
"$BUILD/kafka-mock" --port "$KP" --topic users:6 --topic orders:6 >"$WORK/kafka.out" 2>"$WORK/kafka.err" &
PIDS+=($!)
"$BUILD/aerospike-testd" --port "$AP" >"$WORK/aero.out" 2>"$WORK/aero.err" &
PIDS+=($!)
wait_line "$WORK/kafka.out" "bootstrap.servers=" 20
wait_line "$WORK/aero.out" "ready " 20
BOOT=127.0.0.1:$KP

say "config: examples/ (worker.properties, aerospike-sink.properties, aerospike-kafka-inbound.yml)"
cp examples/worker.properties examples/aerospike-sink.properties examples/aerospike-kafka-inbound.yml "$WORK/"
sed -i "s/^bootstrap.servers=.*/bootstrap.servers=$BOOT/" "$WORK/worker.properties"
sed -i "s/port: 3000/port: $AP/" "$WORK/aerospike-kafka-inbound.yml"
RP=$(free_port 1)
printf '\n# added by the demo: REST API and Prometheus metrics\nlisteners=http://127.0.0.1:%s\n' "$RP" >>"$WORK/worker.properties"
echo "  Kafka $BOOT, Aerospike 127.0.0.1:$AP (the example files with these two ports filled in)"
echo "  REST API and metrics: http://127.0.0.1:$RP (listeners= added to worker.properties)"

say "producing $N_USERS users and $N_ORDERS orders (keyed JSON, nested objects and lists, a few invalid)"
: >"$WORK/invalid.txt"
python3 scripts/demo_data.py users "$N_USERS" --invalid "$WORK/invalid.txt" |
  kcat -q -P -b "$BOOT" -t users -K $'\t' -X linger.ms=20 -X queue.buffering.max.messages=1000000
python3 scripts/demo_data.py orders "$N_ORDERS" --invalid "$WORK/invalid.txt" |
  kcat -q -P -b "$BOOT" -t orders -K $'\t' -X linger.ms=20 -X queue.buffering.max.messages=1000000
BAD_USERS=$(grep -c '^users ' "$WORK/invalid.txt" || true)
BAD_ORDERS=$(grep -c '^orders ' "$WORK/invalid.txt" || true)
WANT_USERS=$((N_USERS - BAD_USERS)); WANT_ORDERS=$((N_ORDERS - BAD_ORDERS))

say "running: aerosink standalone worker.properties aerospike-sink.properties"
"$BUILD/aerosink" standalone --progress 2 "$WORK/worker.properties" "$WORK/aerospike-sink.properties" \
  >"$WORK/aerosink.log" 2>&1 &
SINK=$!
PIDS+=($SINK)
tail -n +1 -f "$WORK/aerosink.log" --pid "$SINK" 2>/dev/null | grep --line-buffered -E ' in [0-9]+/s|started|ERROR' &
TAILER=$!

objects() {  # set -> object count
  "$BUILD/aerosink" info -h "127.0.0.1:$AP" sets 2>/dev/null | tr ';' '\n' |
    grep "set=$1:" | sed -n 's/.*:objects=\([0-9]*\).*/\1/p' | head -1 || true
}
last=-1; still=0
while :; do
  u=$(objects users); o=$(objects orders); u=${u:-0}; o=${o:-0}
  if [ "$u" -ge "$WANT_USERS" ] && [ "$o" -ge "$WANT_ORDERS" ]; then break; fi
  if ! kill -0 "$SINK" 2>/dev/null; then echo "aerosink exited early:"; tail -20 "$WORK/aerosink.log"; exit 1; fi
  if [ $((u + o)) -eq "$last" ]; then still=$((still + 1)); else still=0; fi
  last=$((u + o))
  if [ "$still" -ge 60 ]; then echo "no progress for 30 s"; tail -20 "$WORK/aerosink.log"; exit 1; fi
  sleep 0.5
done
sleep 2.5   # one more progress line
say "Prometheus scrape: curl http://127.0.0.1:$RP/metrics (selected series)"
curl -sf "http://127.0.0.1:$RP/metrics" >"$WORK/metrics.txt" || { echo "  scrape failed"; : >"$WORK/metrics.txt"; }
grep -E '^aerosink_(records_(consumed|written|skipped|failed|dead_lettered)_total|in_flight_records|paused|write_latency_seconds_count|aerospike_connections)[{ ]' \
  "$WORK/metrics.txt" | sed 's/^/  /' | head -24
LAG=$(awk '/^aerosink_partition_lag_records[{ ]/ {s += $NF} END {print s + 0}' "$WORK/metrics.txt")
MW=$(awk '/^aerosink_records_written_total[{ ]/ {s += $NF} END {print s + 0}' "$WORK/metrics.txt")
echo "  sum of aerosink_partition_lag_records: $LAG; sum of aerosink_records_written_total: $MW"
kill -TERM "$SINK"; wait "$SINK"; RC=$?
kill "$TAILER" 2>/dev/null || true

say "result"
u=$(objects users); o=$(objects orders)
printf '  %-8s produced %7d  invalid %2d  expected %7d  in Aerospike %7d  %s\n' \
  users "$N_USERS" "$BAD_USERS" "$WANT_USERS" "$u" "$([ "$u" -eq "$WANT_USERS" ] && echo OK || echo MISMATCH)"
printf '  %-8s produced %7d  invalid %2d  expected %7d  in Aerospike %7d  %s\n' \
  orders "$N_ORDERS" "$BAD_ORDERS" "$WANT_ORDERS" "$o" "$([ "$o" -eq "$WANT_ORDERS" ] && echo OK || echo MISMATCH)"
echo "  invalid records (and how aerosink reported them):"
while read -r topic key reason; do
  printf '    %-7s %-9s %s\n' "$topic" "$key" "$reason"
done <"$WORK/invalid.txt"
grep -E 'WARN .*skipped |error in stage' "$WORK/aerosink.log" | sed 's/^/    log: /' | head -12
echo "  aerosink exit code on SIGTERM: $RC"
printf '  metrics: records written %d (expected %d)  %s\n' "$MW" $((WANT_USERS + WANT_ORDERS)) \
  "$([ "$MW" -eq $((WANT_USERS + WANT_ORDERS)) ] && echo OK || echo MISMATCH)"

say "three records: aerosink get"
for k in u-000001 "$(printf "u-%06d" $((N_USERS / 2 + 7)))"; do
  echo "  \$ aerosink get -h 127.0.0.1:$AP test users $k"; "$BUILD/aerosink" get -h "127.0.0.1:$AP" test users "$k" | sed 's/^/    /'
done
echo "  \$ aerosink get -h 127.0.0.1:$AP test orders o-000042"; "$BUILD/aerosink" get -h "127.0.0.1:$AP" test orders o-000042 | sed 's/^/    /'

END=$(date +%s)
if [ "$u" -eq "$WANT_USERS" ] && [ "$o" -eq "$WANT_ORDERS" ] && [ "$RC" -eq 0 ] &&
   [ "$MW" -eq $((WANT_USERS + WANT_ORDERS)) ]; then
  say "demo OK in $((END - START)) s: every valid record is in Aerospike"
else
  say "demo FAILED"; exit 1
fi
