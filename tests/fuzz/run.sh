#!/usr/bin/env bash
# Runs every libFuzzer binary in $1 (default build/fuzz) for $2 seconds (default 60) on its
# seed corpus (tests/fuzz/corpus/<name>/, copied to a scratch dir so seeds stay clean).
# Fails if any target finds a crash, leak or timeout.
set -u
dir=${1:-build/fuzz}
secs=${2:-60}
fail=0
for bin in "$dir"/*_fuzz; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" _fuzz)
  work=$(mktemp -d /tmp/aerosink-fuzz-$name.XXXXXX)
  [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
  echo "fuzz $name: ${secs}s"
  if "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" "$work" \
      >"$work.log" 2>&1; then
    grep -E 'stat::number_of_executed_units' "$work.log" | sed "s/^/  $name: /"
  else
    echo "  $name: FAILED (artifacts in $work)"
    tail -n 40 "$work.log"
    fail=1
    continue
  fi
  rm -rf "$work" "$work.log"
done
exit $fail
