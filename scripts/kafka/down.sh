#!/usr/bin/env bash
# Stop the Kafka cluster started by up.sh in a run dir: SIGTERM to the pids recorded in
# RUN_DIR/node-N/pid, SIGKILL after a bounded wait, then delete the run dir's contents
# (unless --keep-data). Idempotent: exits 0 when nothing is running.
#
#   scripts/kafka/down.sh [--nodes 1|3] [--security] [--run-dir DIR] [--keep-data] [--timeout SECONDS]
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat >&2 <<EOF
usage: $0 [--nodes 1|3] [--security] [--run-dir DIR] [--keep-data] [--timeout SECONDS]
  --nodes      only selects the default run dir (default 1)
  --run-dir    state dir used by up.sh
  --keep-data  keep logs and storage (default: delete them)
  --timeout    seconds to wait after SIGTERM before SIGKILL (default \$KAFKA_NATIVE_STOP_TIMEOUT, else
               10, or 20 with --keep-data; the data is deleted anyway without it)
EOF
}

nodes=1 security=0 run_dir="" keep=0 timeout="${KAFKA_NATIVE_STOP_TIMEOUT:-}"
while (($#)); do
  case "$1" in
    --nodes) nodes="${2:?--nodes needs a value}"; shift 2 ;;
    --nodes=*) nodes="${1#*=}"; shift ;;
    --security) security=1; shift ;;
    --run-dir) run_dir="${2:?--run-dir needs a value}"; shift 2 ;;
    --run-dir=*) run_dir="${1#*=}"; shift ;;
    --keep-data) keep=1; shift ;;
    --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) timeout="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage; kn_die "unknown argument: $1" ;;
  esac
done
kn_check_nodes "$nodes"
if [[ -z "$timeout" ]]; then if ((keep)); then timeout=20; else timeout=10; fi; fi
kn_check_uint --timeout "$timeout"
[[ -n "$run_dir" ]] || run_dir="$(kn_default_run_dir "$nodes" "$security")"
KN_RUN_DIR="$(kn_abs_path "$run_dir")"

if [[ ! -d "$KN_RUN_DIR" ]]; then
  kn_log "nothing to stop: $KN_RUN_DIR does not exist"
  exit 0
fi
exec {lock_fd}>>"$KN_RUN_DIR/.lock"
flock "$lock_fd"

shopt -s nullglob
node_dirs=("$KN_RUN_DIR"/node-*/)
shopt -u nullglob
ids=()
for d in ${node_dirs[@]+"${node_dirs[@]}"}; do
  n="$(basename "$d")"
  n="${n#node-}"
  if [[ "$n" =~ ^[0-9]+$ ]]; then ids+=("$n"); fi
done

running=0
for n in ${ids[@]+"${ids[@]}"}; do
  if kn_node_pid "$n" >/dev/null; then running=$((running + 1)); fi
done
if ((running > 0)); then
  # All nodes at once: the whole cluster goes away, so there is nothing to hand over.
  kn_stop_nodes TERM "$timeout" "${ids[@]}"
else
  kn_log "no running node in $KN_RUN_DIR"
fi
for n in ${ids[@]+"${ids[@]}"}; do rm -f "$KN_RUN_DIR/node-$n/pid"; done

if ((keep)); then
  kn_log "kept data and logs in $KN_RUN_DIR"
  exit 0
fi
if [[ ${#ids[@]} -eq 0 && ! -f "$KN_RUN_DIR/cluster.env" ]]; then
  # Not a run dir of ours (or already cleaned): delete nothing but our lock.
  rm -f "$KN_RUN_DIR/.lock"
  rmdir "$KN_RUN_DIR" 2>/dev/null || true
  exit 0
fi
for d in ${node_dirs[@]+"${node_dirs[@]}"}; do rm -rf "$d"; done
rm -rf "$KN_RUN_DIR/tls"
rm -f "$KN_RUN_DIR/cluster.env" "$KN_RUN_DIR/bootstrap" "$KN_RUN_DIR/security.json" "$KN_RUN_DIR/.lock"
rmdir "$KN_RUN_DIR" 2>/dev/null || kn_log "left $KN_RUN_DIR in place (it contains other files)"
kn_log "removed data and logs in $KN_RUN_DIR"
