#!/usr/bin/env bash
# Client benchmark: runs build/aero-bench against a fresh aerospike-testd for each scenario,
# 3 times, and prints the median of each metric (numbers on a shared 2-core box are noisy).
#   bash bench/aero-bench.sh [BUILD_DIR]        (default build)
# Scenarios are the rows of the table in bench/README.md.
set -euo pipefail
build=${1:-build}
runs=${RUNS:-3}
port=${PORT:-3300}

"$build/aerospike-testd" --port "$port" >/tmp/aero-bench-testd.$$ 2>&1 &
testd=$!
trap 'kill $testd 2>/dev/null; rm -f /tmp/aero-bench-testd.$$' EXIT
for _ in $(seq 50); do grep -q '^ready' /tmp/aero-bench-testd.$$ 2>/dev/null && break; sleep 0.1; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

scenario() {
  local name=$1; shift
  local tp=() p50=() p99=() p999=() cpu=()
  for _ in $(seq "$runs"); do
    out=$("$build/aero-bench" -h "127.0.0.1:$port" "$@")
    tp+=("$(awk '/throughput/ {print $2}' <<<"$out")")
    p50+=("$(awk '/latency us/ {print $4}' <<<"$out")")
    p99+=("$(awk '/latency us/ {print $6}' <<<"$out")")
    p999+=("$(awk '/latency us/ {print $8}' <<<"$out")")
    cpu+=("$(awk '/client cpu/ {print $3}' <<<"$out")")
    grep -q 'errors      0' <<<"$out" || { echo "$name: errors"; echo "$out"; exit 1; }
  done
  printf '| %-34s | %9s | %6s | %6s | %6s | %5s |  `aero-bench %s`\n' "$name" \
    "$(printf '%s\n' "${tp[@]}" | median)" "$(printf '%s\n' "${p50[@]}" | median)" \
    "$(printf '%s\n' "${p99[@]}" | median)" "$(printf '%s\n' "${p999[@]}" | median)" \
    "$(printf '%s\n' "${cpu[@]}" | median)" "$*"
}

echo "| scenario                           |     ops/s | p50 us | p99 us | p999us | cpu us/op |"
scenario "write 4 bins x 50B, 64 in flight"   -o write -k 100000 -b 4 -z 50 -c 64 -N 500000
scenario "read  4 bins x 50B, 64 in flight"   -o read  -k 100000 -b 4 -z 50 -c 64 -N 500000
scenario "write 1 int bin, 1 in flight"       -o write -k 100000 -b 1 -t int -c 1 -N 50000 -w 5000
scenario "write 1 int bin, 256 in flight"     -o write -k 100000 -b 1 -t int -c 256 -N 500000
scenario "write 10 bins x 1KB blob, 64"       -o write -k 20000 -b 10 -z 1000 -t blob -c 64 -N 200000
scenario "rw 4x50B, 2 threads x 64"           -o rw -k 100000 -b 4 -z 50 -c 64 -T 2 -N 500000
