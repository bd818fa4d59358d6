#!/usr/bin/env bash
# soak-tests.sh [N]: the "green every time, on a loaded machine too" check of
# issue 9 §3. Runs `CI=true go test -count=1 ./...` N times (default 20) in one
# clone of HEAD while a second clone runs the same suite in a loop beside it, as
# root, and prints one line per run. Both loops are bounded (N runs; the load
# loop stops with them or after 2N runs). Clones go to a temporary directory
# that is removed at the end; the log of every failed run is kept in
# /tmp/teardown-soak-failed.XXXXXX (named at the end).
set -u
n=${1:-20}
top=$(git rev-parse --show-toplevel) || exit 2
dir=$(mktemp -d /tmp/teardown-soak.XXXXXX)
kept=$(mktemp -d /tmp/teardown-soak-failed.XXXXXX) || exit 2
trap 'touch "$dir/done"; wait; rm -rf "$dir"' EXIT
git clone -q "$top" "$dir/a" && git clone -q "$top" "$dir/b" || exit 2
(
  cd "$dir/b" || exit
  for i in $(seq 1 $((2 * n))); do
    [ -f "$dir/done" ] && break
    CI=true go test -count=1 ./... > "$dir/load.$i.log" 2>&1 ||
      { cp "$dir/load.$i.log" "$kept/" && echo "load run $i: FAILED (see $kept/load.$i.log)"; }
  done
) &
fails=0
cd "$dir/a" || exit 2
for i in $(seq 1 "$n"); do
  start=$(date +%s)
  if CI=true go test -count=1 ./... > "$dir/run.$i.log" 2>&1; then
    echo "run $i: ok ($(( $(date +%s) - start )) s, load $(cut -d' ' -f1 /proc/loadavg))"
  else
    fails=$((fails + 1))
    cp "$dir/run.$i.log" "$kept/"
    echo "run $i: FAILED (see $kept/run.$i.log)"
    grep -E '^(--- FAIL|FAIL)|_test.go:[0-9]+:' "$dir/run.$i.log" | head -20
  fi
done
touch "$dir/done"; wait
rmdir "$kept" 2>/dev/null || echo "failed runs' logs: $kept"
echo "$n runs, $fails failed"
[ "$fails" -eq 0 ]
