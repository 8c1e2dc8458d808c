#!/usr/bin/env bash
# Stop the registry that up.sh started in a run dir (SIGTERM, SIGKILL after a bounded wait) and
# delete the run dir. Idempotent: exits 0 when nothing runs there.
#
#   scripts/registry/down.sh [--run-dir DIR] [--timeout SECONDS]
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

run_dir="" timeout="${KAFKA_NATIVE_STOP_TIMEOUT:-10}"
while (($#)); do
  case "$1" in
    --run-dir) run_dir="${2:?--run-dir needs a value}"; shift 2 ;;
    --run-dir=*) run_dir="${1#*=}"; shift ;;
    --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) timeout="${1#*=}"; shift ;;
    -h | --help) echo "usage: $0 [--run-dir DIR] [--timeout SECONDS]" >&2; exit 0 ;;
    *) kr_die "unknown argument: $1" ;;
  esac
done
[[ "$timeout" =~ ^[0-9]+$ ]] || kr_die "--timeout must be a non-negative integer"
[[ -n "$run_dir" ]] || run_dir="$(kr_default_run_dir)"
if [[ ! -d "$run_dir" ]]; then
  kr_log "nothing to stop: $run_dir does not exist"
  exit 0
fi
exec {lock_fd}>>"$run_dir/.lock"
flock "$lock_fd"
if pid="$(kr_pid "$run_dir")"; then
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(($(kr_now_ms) + timeout * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    if (($(kr_now_ms) > deadline)); then
      kr_log "still running after ${timeout}s; SIGKILL to pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$(($(kr_now_ms) + 10000))
    fi
    sleep 0.1
  done
  kr_log "stopped (pid $pid)"
fi
find "$run_dir" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
