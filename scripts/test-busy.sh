#!/usr/bin/env bash
# `npm test` N times in a row (default 3) with one core kept busy by another process, as on a
# shared CI machine: a Node busy loop, or `stress-ng --cpu 1` when it is installed. Stops at the
# first failing run; each run's output goes to $TEST_BUSY_LOG_DIR/run-K.log (default
# /tmp/kafka-native-busy). Usage: bash scripts/test-busy.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "test-busy: N must be a positive integer, got '$runs'" >&2; exit 2; }
log_dir="${TEST_BUSY_LOG_DIR:-/tmp/kafka-native-busy}"
mkdir -p "$log_dir"

if command -v stress-ng >/dev/null; then
  stress-ng --cpu 1 --quiet &
else
  node -e 'for (;;) {}' &
fi
busy=$!
trap 'kill "$busy" 2>/dev/null || true' EXIT

for ((i = 1; i <= runs; i++)); do
  start=$SECONDS
  if npm test >"$log_dir/run-$i.log" 2>&1; then
    echo "test-busy: run $i of $runs passed in $((SECONDS - start)) s"
  else
    rc=$?
    echo "test-busy: run $i of $runs FAILED (exit $rc) after $((SECONDS - start)) s; see $log_dir/run-$i.log" >&2
    exit "$rc"
  fi
done
