#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_FUZZ_DIR SECONDS: runs every libFuzzer binary in BUILD_FUZZ_DIR
# (built by `make fuzz-build`) for SECONDS each, on its seeds in tests/fuzz/corpus/<name>/
# (name = binary name without "_fuzz"). New inputs go to a temporary directory, never into
# the committed seeds. Fails when any target finds a crash, leak or timeout; the reproducer
# is kept in BUILD_FUZZ_DIR/artifacts/<name>/.
set -u
dir=${1:-build/fuzz}
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
status=0
found=0
for bin in "$dir"/*_fuzz; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  found=1
  name=$(basename "$bin" _fuzz)
  seeds="$here/corpus/$name"
  work=$(mktemp -d "/tmp/aerosink-fuzz-$name.XXXXXX")
  art="$dir/artifacts/$name"
  mkdir -p "$art"
  [ -d "$seeds" ] || { echo "$name: no seeds in $seeds"; mkdir -p "$seeds"; }
  echo "== $name: ${secs}s"
  if "$bin" "$work" "$seeds" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$art/" -print_final_stats=1 >"$work.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$work.log" | sed "s/^/  $name: /"
  else
    echo "  $name: FAILED (reproducer in $art/)"
    tail -n 40 "$work.log"
    status=1
  fi
  rm -rf "$work" "$work.log"
done
[ "$found" -eq 1 ] || { echo "no fuzz targets in $dir (run make fuzz-build)"; exit 1; }
exit $status
