#!/usr/bin/env bash
# make bench: the sink's throughput against its two baselines, in one run.
#   (a) e2e       aerosink standalone: kafka-mock -> aerosink -> aerospike-testd
#   (b) kafka     the same consumer path with a null sink (--dry-run: decode and map, no writes)
#   (c) aerospike aero-bench writing the same records straight to aerospike-testd (--records: the
#                 requests aerosink sends for them, built before the measured run)
# Prints a table and, last, "e2e/min(kafka,aerospike) = R". A benchmark, not a test.
#
#   bash bench/run.sh [BUILD_DIR]
#   BENCH_RECORDS=1000000 BENCH_RUNS=3 BENCH_PARTITIONS=12 bash bench/run.sh   (the defaults)
#   KAFKA_BOOTSTRAP=host:9092 AEROSPIKE_HOSTS=host:3000 bash bench/run.sh   # real systems
#   BENCH_NODES=3 bash bench/run.sh        # aerospike-testd with 3 nodes
#   BENCH_BATCH=1 bash bench/run.sh        # single writes (aerospike.batch-max-records: 1)
#                                            in (a) and in (c); default 64: batch writes in both
#   BENCH_TESTD_PREFAULT_MB=0 bash bench/run.sh   # testd without pre-faulted memory (default 1536)
#   BENCH_TESTD_DISCARD=1 bash bench/run.sh   # NOT a real measurement: testd answers writes and
#                                            keeps nothing (--discard-writes), so R shows what
#                                            this machine allows with an Aerospike whose
#                                            storing costs nothing (the ceiling for (a))
# With our fakes it also prints (before the last line) the CPU each fake used per record in
# each run, read from /proc: where the machine's time goes besides aerosink.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DISCARD_NOTE=
cd "$ROOT"
N=${BENCH_RECORDS:-1000000}
RUNS=${BENCH_RUNS:-3}       # the issue's protocol: 3 runs, medians (the first run inserts)
PARTS=${BENCH_PARTITIONS:-12}
NODES=${BENCH_NODES:-1}
BATCH=${BENCH_BATCH:-64}
WORK=$(mktemp -d /tmp/aerosink-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "bench failed at line $LINENO" >&2' ERR

free_port() {
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
wait_line() {
  for _ in $(seq 1 200); do
    if grep -q "^$2" "$1" 2>/dev/null; then grep -m1 "^$2" "$1"; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
  BOOT=$KAFKA_BOOTSTRAP
  TOPIC=aerosink-bench-$$
  echo "Kafka: $BOOT (real), topic $TOPIC (must auto-create or exist)"
else
  KP=$(free_port 1)
  "$BUILD/kafka-mock" --port "$KP" --topic "bench:$PARTS" >"$WORK/kafka.out" 2>"$WORK/kafka.err" &
  PIDS+=($!)
  KPID=$!
  BOOT=$(wait_line "$WORK/kafka.out" "bootstrap.servers=" | cut -d= -f2)
  TOPIC=bench
fi
if [ -n "${AEROSPIKE_HOSTS:-}" ]; then
  AHOSTS=$AEROSPIKE_HOSTS
  echo "Aerospike: $AHOSTS (real)"
else
  AP=$(free_port "$NODES")
  # --prefault-mb: testd faults in the memory for its records before it serves, as a warm
  # server's is, so the run that inserts the records does not also pay testd's page faults on
  # the cores aerosink runs on (both the sink's and aero-bench's million fit in 1.5 GiB)
  DISCARD=()
  if [ "${BENCH_TESTD_DISCARD:-0}" = 1 ]; then
    DISCARD=(--discard-writes)
    DISCARD_NOTE=" (aerospike-testd --discard-writes: NOT a real measurement)"
    echo "BENCH_TESTD_DISCARD=1: aerospike-testd answers writes and stores nothing; (a) and (c) are NOT"
    echo "  real measurements: they show what this machine allows with an Aerospike that stores for free"
  fi
  "$BUILD/aerospike-testd" --port "$AP" --nodes "$NODES" --prefault-mb "${BENCH_TESTD_PREFAULT_MB:-1536}" \
    "${DISCARD[@]}" >"$WORK/aero.out" 2>"$WORK/aero.err" &
  PIDS+=($!)
  APID=$!
  AHOSTS=$(wait_line "$WORK/aero.out" "ready " | cut -d' ' -f2)
fi
AHOST=${AHOSTS%%,*}
APORT=${AHOST##*:}
AADDR=${AHOST%:*}

echo "filling $TOPIC ($PARTS partitions) with $N keyed JSON records of ~200 bytes (8 fields)..."
python3 bench/gen.py "$N" >"$WORK/records.tsv"
kcat -q -P -b "$BOOT" -t "$TOPIC" -K $'\t' -X linger.ms=50 -X batch.num.messages=10000 \
     -X queue.buffering.max.messages=2000000 <"$WORK/records.tsv"
sample=$(python3 bench/gen.py 1 | cut -f2)
echo "  sample value (${#sample} bytes): $sample"

cat >"$WORK/worker.properties" <<EOF
bootstrap.servers=$BOOT
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
offset.flush.interval.ms=5000
EOF
cat >"$WORK/bench.yml" <<EOF
aerospike:
  batch-max-records: $BATCH
  seeds:
    - $AADDR: {port: $APORT}
topics:
  $TOPIC:
    invalid-record: ignore
    mapping:
      namespace: {mode: static, value: test}
      set: {mode: static, value: bench}
      key-field: {source: key}
      bins: {type: multi-bins, all-value-fields: true}
EOF

# run_sink NAME [--dry-run]: prints "rate cpu_us rss_mib" from aerosink's summary line
run_sink() {
  local name=$1; shift
  cat >"$WORK/$name.properties" <<EOF
name=$name
connector.class=com.aerospike.connect.kafka.inbound.AerospikeSinkConnector
topics=$TOPIC
aerospike.config.file=bench.yml
EOF
  "$BUILD/aerosink" standalone --exit-when-drained --progress 0 "$@" "$WORK/worker.properties" \
    "$WORK/$name.properties" >"$WORK/$name.log" 2>&1
  local line
  line=$(grep 'summary:' "$WORK/$name.log" | tail -1)
  [ -n "$line" ] || { echo "no summary from aerosink:" >&2; tail -20 "$WORK/$name.log" >&2; return 1; }
  local settled rate cpu rss
  settled=$(sed -n 's/.*summary: \([0-9]*\) records settled.*/\1/p' <<<"$line")
  [ "$settled" -eq "$N" ] || { echo "aerosink settled $settled of $N records" >&2; return 1; }
  rate=$(sed -n 's/.*: \([0-9]*\) records\/s.*/\1/p' <<<"$line")
  cpu=$(sed -n 's/.*(\([0-9.]*\) us\/record).*/\1/p' <<<"$line")
  rss=$(sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' <<<"$line")
  echo "$rate $cpu $rss"
}

# (c) writes the way (a) does: batches of $BATCH rows, 4 in flight per thread (the sink keeps up
# to 256 records per processing thread in the client), or single writes, 128 in flight
if [ "$BATCH" -gt 1 ]; then AMODE="-B $BATCH -c 4"; ADESC="batches of $BATCH, 2 x 4 in flight"
else AMODE="-c 128"; ADESC="single writes, 2 x 128 in flight"; fi
run_aero() {
  local out
  # shellcheck disable=SC2086
  out=$("$BUILD/aero-bench" -h "$AHOST" -o write --records "$WORK/records.tsv" $AMODE -T 2 -N "$N" -w 20000 2>&1)
  local rate cpu
  rate=$(sed -n 's/.*throughput *\([0-9]*\) ops\/s.*/\1/p' <<<"$out")
  cpu=$(sed -n 's/.*client cpu *\([0-9.]*\) us\/op.*/\1/p' <<<"$out")
  echo "$rate $cpu"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# CPU time (user+sys, clock ticks) of a fake we started; 0 for real systems
TICK=$(getconf CLK_TCK)
ticks() { if [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ]; then awk '{print $14+$15}' "/proc/$1/stat"; else echo 0; fi; }
KPID=${KPID:-}; APID=${APID:-}
# us per record from a tick delta
per_rec() { python3 -c "print('%.2f' % ($1 * 1e6 / $TICK / $N))"; }

E_RATE=(); E_CPU=(); E_RSS=(); K_RATE=(); K_CPU=(); K_RSS=(); A_RATE=(); A_CPU=()
E_KM=(); E_TD=(); K_KM=(); A_TD=()
for r in $(seq 1 "$RUNS"); do
  echo "run $r/$RUNS: (b) kafka-only (--dry-run)..."
  k0=$(ticks "$KPID")
  read -r rate cpu rss < <(run_sink "bench-dry-$r-$$" --dry-run)
  K_RATE+=("$rate"); K_CPU+=("$cpu"); K_RSS+=("$rss"); K_KM+=("$(per_rec $(( $(ticks "$KPID") - k0 )))")
  echo "  $rate rec/s, $cpu us/record, peak RSS $rss MiB"
  echo "run $r/$RUNS: (a) e2e..."
  k0=$(ticks "$KPID"); a0=$(ticks "$APID")
  read -r rate cpu rss < <(run_sink "bench-e2e-$r-$$")
  E_RATE+=("$rate"); E_CPU+=("$cpu"); E_RSS+=("$rss")
  E_KM+=("$(per_rec $(( $(ticks "$KPID") - k0 )))"); E_TD+=("$(per_rec $(( $(ticks "$APID") - a0 )))")
  echo "  $rate rec/s, $cpu us/record, peak RSS $rss MiB${APID:+, aerospike-testd ${E_TD[-1]} us/record}"
  echo "run $r/$RUNS: (c) aerospike-only (aero-bench)..."
  a0=$(ticks "$APID")
  read -r rate cpu < <(run_aero)
  A_RATE+=("$rate"); A_CPU+=("$cpu"); A_TD+=("$(per_rec $(( $(ticks "$APID") - a0 )))")
  echo "  $rate ops/s, client $cpu us/op${APID:+, aerospike-testd ${A_TD[-1]} us/record}"
done

e=$(median "${E_RATE[@]}"); k=$(median "${K_RATE[@]}"); a=$(median "${A_RATE[@]}")
echo
echo "| run (median of $RUNS, $N records, $PARTS partitions, $NODES Aerospike node(s)) | records/s | CPU us/record | peak RSS MiB |"
echo "|---|---:|---:|---:|"
printf '| (a) e2e: aerosink standalone -> aerospike-testd | %s | %s | %s |\n' "$e" "$(median "${E_CPU[@]}")" "$(median "${E_RSS[@]}")"
printf '| (b) kafka-only: aerosink --dry-run | %s | %s | %s |\n' "$k" "$(median "${K_CPU[@]}")" "$(median "${K_RSS[@]}")"
printf '| (c) aerospike-only: aero-bench, the same records, %s | %s | %s (client) | - |\n' "$ADESC" "$a" "$(median "${A_CPU[@]}")"
echo "CPU us/record for (a) and (b) is aerosink's whole process (user+sys) divided by the records."
if [ -n "$KPID$APID" ]; then
  echo "fakes' CPU us/record (median): (a) kafka-mock $(median "${E_KM[@]}"), aerospike-testd $(median "${E_TD[@]}");" \
       "(b) kafka-mock $(median "${K_KM[@]}"); (c) aerospike-testd $(median "${A_TD[@]}") (includes aero-bench's warm-up)"
fi
if [ -n "$KPID" ] && [ -n "$APID" ]; then
  # With both fakes on aerosink's cores, a run that keeps every core busy moves records at
  # (cores / CPU per record), so the dry run's cost over the e2e run's is what R comes to
  python3 - "$(median "${E_CPU[@]}")" "$(median "${E_KM[@]}")" "$(median "${E_TD[@]}")" \
            "$(median "${K_CPU[@]}")" "$(median "${K_KM[@]}")" <<'PY'
import sys
ea, ek, et, ka, kk = map(float, sys.argv[1:])
a, b = ea + ek + et, ka + kk
print("machine CPU per record (aerosink + fakes): (a) %.2f us, (b) %.2f us; (b)/(a) = %.2f is what R comes"
      " to when both runs keep the cores busy and (b) is the smaller baseline" % (a, b, b / a))
PY
fi
# The machine's speed drifts between minutes, so also the ratio within each run's triple
pairs=$(for i in "${!E_RATE[@]}"; do
  python3 -c "print('%.2f' % (${E_RATE[$i]} / min(${K_RATE[$i]}, ${A_RATE[$i]})))"; done | tr '\n' ' ')
# shellcheck disable=SC2086
echo "per-run e2e/min(kafka,aerospike): ${pairs}(median $(median $pairs))"
m=$(( k < a ? k : a ))
python3 -c "print('e2e/min(kafka,aerospike) = %.2f%s' % ($e / $m, '$DISCARD_NOTE'))"
