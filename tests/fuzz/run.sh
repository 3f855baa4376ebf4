#!/usr/bin/env bash
# Runs every libFuzzer binary in $1 (default build/fuzz) for $2 seconds (default 60) each,
# one after the other, on a scratch corpus seeded from tests/fuzz/corpus/<name>/.
# Crashes are written to $1/artifacts/; the last line is "N fuzzers, M failed".
set -u
dir=${1:-build/fuzz}
secs=${2:-60}
work="$dir/work"
mkdir -p "$work" "$dir/artifacts"
n=0
failed=0
for bin in "$dir"/*_fuzz; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" _fuzz)
  mkdir -p "$work/$name"
  seeds=tests/fuzz/corpus/$name
  [ -d "$seeds" ] || seeds=
  n=$((n + 1))
  if "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" \
       "$work/$name" $seeds >"$work/$name.log" 2>&1; then
    echo "$name: ok, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$name.log" | awk '{print $2}') runs"
  else
    failed=$((failed + 1))
    echo "$name: FAILED (see $work/$name.log)"
    tail -n 30 "$work/$name.log"
  fi
done
echo "$n fuzzers, $failed failed"
[ "$failed" -eq 0 ]
