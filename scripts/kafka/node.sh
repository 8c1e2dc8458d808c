#!/usr/bin/env bash
# Fault injection on single nodes of a cluster started by up.sh.
#
#   scripts/kafka/node.sh stop|kill|pause|resume|start N [N...] [--nodes 1|3] [--security] [--run-dir DIR] [--timeout S]
#   scripts/kafka/node.sh status [N...] [--nodes 1|3] [--security] [--run-dir DIR]
#
#   stop    SIGTERM (controlled shutdown), wait for exit (SIGKILL after --timeout, default 30 s)
#   kill    SIGKILL, wait for exit
#   pause   SIGSTOP (the process stays, stops answering; sessions/heartbeats time out)
#   resume  SIGCONT
#   start   restart a stopped/killed node with its existing storage and wait until it is
#           registered again (--timeout, default 90 s); prints the bootstrap servers last
#   status  prints "node N running|paused|down pid" lines on stdout
#
# NOTE: the default run dir is the 3-NODE cluster's (fault tests target it); pass
# --nodes 1 or --run-dir for another cluster.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat >&2 <<EOF
usage: $0 stop|kill|pause|resume|start N [N...] [--nodes 1|3] [--security] [--run-dir DIR] [--timeout SECONDS]
       $0 status [N...] [--nodes 1|3] [--security] [--run-dir DIR]
  default run dir: the 3-node cluster's ($(kn_default_run_dir 3))
EOF
}

action="" nodes=3 security=0 run_dir="" timeout="" targets=()
while (($#)); do
  case "$1" in
    --nodes) nodes="${2:?--nodes needs a value}"; shift 2 ;;
    --nodes=*) nodes="${1#*=}"; shift ;;
    --security) security=1; shift ;;
    --run-dir) run_dir="${2:?--run-dir needs a value}"; shift 2 ;;
    --run-dir=*) run_dir="${1#*=}"; shift ;;
    --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) timeout="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    stop | kill | pause | resume | start | status)
      [[ -z "$action" ]] || { usage; kn_die "more than one action given"; }
      action="$1"; shift ;;
    *)
      [[ "$1" =~ ^[0-9]+$ ]] || { usage; kn_die "unknown argument: $1"; }
      targets+=("$1"); shift ;;
  esac
done
[[ -n "$action" ]] || { usage; kn_die "no action given"; }
kn_check_nodes "$nodes"
[[ -n "$run_dir" ]] || run_dir="$(kn_default_run_dir "$nodes" "$security")"
KN_RUN_DIR="$(kn_abs_path "$run_dir")"
kn_load_cluster_env "$KN_RUN_DIR" || kn_die "no cluster in $KN_RUN_DIR (start one with scripts/kafka/up.sh --nodes $nodes)"
if ((${#targets[@]} == 0)); then
  [[ "$action" == status ]] || { usage; kn_die "no node number given"; }
  mapfile -t targets < <(seq 1 "$KN_NODES")
fi
for n in "${targets[@]}"; do
  ((n >= 1 && n <= KN_NODES)) || kn_die "node $n does not exist (cluster in $KN_RUN_DIR has $KN_NODES node(s))"
done

exec {lock_fd}>>"$KN_RUN_DIR/.lock"
flock "$lock_fd"

case "$action" in
  status)
    for n in "${targets[@]}"; do
      if pid="$(kn_node_pid "$n")"; then
        if [[ "$(kn_node_state "$pid")" == T ]]; then s=paused; else s=running; fi
        echo "node $n $s $pid 127.0.0.1:$(kn_broker_port "$n")"
      else
        echo "node $n down - 127.0.0.1:$(kn_broker_port "$n")"
      fi
    done
    ;;
  stop)
    kn_check_uint --timeout "${timeout:=30}"
    kn_stop_nodes TERM "$timeout" "${targets[@]}"
    ;;
  kill)
    kn_stop_nodes KILL 10 "${targets[@]}"
    ;;
  pause | resume)
    if [[ "$action" == pause ]]; then sig=STOP; else sig=CONT; fi
    for n in "${targets[@]}"; do
      pid="$(kn_node_pid "$n")" || kn_die "node $n is not running"
      kill "-$sig" "$pid"
      kn_log "node $n: sent SIG$sig to pid $pid"
    done
    ;;
  start)
    kn_check_uint --timeout "${timeout:=${KAFKA_NATIVE_UP_TIMEOUT:-90}}"
    kn_find_java
    kn_classpath
    wait_nodes=""
    for n in "${targets[@]}"; do
      if pid="$(kn_node_pid "$n")"; then
        if [[ "$(kn_node_state "$pid")" == T ]]; then
          kn_log "node $n (pid $pid) is paused; resuming it"
          kill -CONT "$pid"
        else
          kn_log "node $n is already running (pid $pid)"
        fi
        KN_LOG_OFFSETS[$n]=0
      else
        [[ -f "$KN_RUN_DIR/node-$n/data/meta.properties" ]] || kn_die "node $n has no formatted storage in $KN_RUN_DIR/node-$n/data"
        port="$(kn_broker_port "$n")"
        if kn_port_open "$port"; then kn_die "port 127.0.0.1:$port is in use by another process"; fi
        KN_LOG_OFFSETS[$n]="$(kn_log_size "$n")"
        kn_start_node "$n"
      fi
      wait_nodes+=" $n"
    done
    if ! kn_wait_ready "$timeout" "$wait_nodes" "$wait_nodes"; then
      kn_die "node(s)$wait_nodes did not become ready within ${timeout}s (they are left running; scripts/kafka/node.sh kill N to stop them)"
    fi
    kn_log "node(s)$wait_nodes ready in ${KN_READY_MS} ms"
    printf '%s\n' "$KN_BOOTSTRAP"
    ;;
esac
