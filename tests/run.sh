#!/usr/bin/env bash
# Runs every test binary in $1 (default build/tests), $JOBS at a time, and prints one
# summary line per binary, the output of failures, and last: "N passed, M failed".
# A binary that dies without its own summary line counts as one failure.
set -u
dir=${1:-build/tests}
jobs=${JOBS:-2}
logdir=$(mktemp -d /tmp/aerosink-run.XXXXXX)
export TMPDIR=$logdir
trap 'rm -rf "$logdir"' EXIT
trap 'echo "interrupted"; kill 0; exit 130' INT TERM

bins=()
for b in "$dir"/*; do
  [ -x "$b" ] && [ -f "$b" ] && bins+=("$b")
done
# slow integration tests first so the parallel tail is short
mapfile -t bins < <(for b in "${bins[@]}"; do
  case "$(basename "$b")" in unit_*) echo "1 $b";; *) echo "0 $b";; esac; done | sort | cut -d' ' -f2-)

run_one() {
  local b=$1 name log start end rc
  name=$(basename "$b")
  log="$logdir/$name.log"
  start=$(date +%s)
  "$b" >"$log" 2>&1
  rc=$?
  end=$(date +%s)
  echo "$rc $((end - start))" >"$log.rc"
}

running=0
for b in "${bins[@]}"; do
  run_one "$b" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

total_pass=0
total_fail=0
for b in "${bins[@]}"; do
  name=$(basename "$b")
  log="$logdir/$name.log"
  read -r rc secs <"$log.rc"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  if [ -n "$summary" ]; then
    p=${summary%% passed*}
    f=${summary#*, }
    f=${f%% failed}
  else
    p=0
    f=1
    summary="no summary (exit $rc)"
  fi
  if [ "$f" -eq 0 ] && [ "$rc" -ne 0 ]; then
    f=1
    summary="$summary, but exit $rc"
  fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  printf '%-40s %s (%ss)\n' "$name" "$summary" "$secs"
  if [ "$f" -ne 0 ]; then
    echo "---- $name output (last 80 lines) ----"
    tail -n 80 "$log"
    echo "----"
  fi
  grep -E '^SKIP ' "$log" | sed "s/^/  $name: /"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
