#!/usr/bin/env bash
# Start a real Apache Kafka (KRaft, combined broker+controller nodes) on 127.0.0.1
# for kafka-native's tests. Prints the bootstrap servers as the last (and only)
# line of stdout and writes them to RUN_DIR/bootstrap. Idempotent.
#
#   scripts/kafka/up.sh [--nodes 1|3] [--run-dir DIR] [--base-port N] [--timeout SECONDS]
#
# See scripts/kafka/README.md.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat >&2 <<EOF
usage: $0 [--nodes 1|3] [--security] [--run-dir DIR] [--base-port N] [--timeout SECONDS]
  --nodes      cluster size (default 1)
  --security   also listen with SASL_SSL (port+20), mutual TLS (port+30) and an expired certificate
               (port+40); certificates and users in RUN_DIR/tls and RUN_DIR/security.json. Its own
               default run dir (suffix '-secure') and ports ($KN_SECURE_BASE_PORT_1 / $KN_SECURE_BASE_PORT_3)
  --run-dir    state dir (default \${KAFKA_NATIVE_RUN_DIR:-\${TMPDIR:-/tmp}/kafka-native-kafka}, plus '-3' for 3 nodes)
  --base-port  first broker port (default $KN_DEFAULT_BASE_PORT_1 for 1 node, $KN_DEFAULT_BASE_PORT_3 for 3 nodes);
               brokers use base..base+nodes-1, controllers base+$KN_CONTROLLER_PORT_OFFSET..
  --timeout    seconds to wait for readiness (default \${KAFKA_NATIVE_UP_TIMEOUT:-90})
EOF
}

nodes=1 run_dir="" base_port="" timeout="${KAFKA_NATIVE_UP_TIMEOUT:-90}" security=0
while (($#)); do
  case "$1" in
    --nodes) nodes="${2:?--nodes needs a value}"; shift 2 ;;
    --nodes=*) nodes="${1#*=}"; shift ;;
    --security) security=1; shift ;;
    --run-dir) run_dir="${2:?--run-dir needs a value}"; shift 2 ;;
    --run-dir=*) run_dir="${1#*=}"; shift ;;
    --base-port) base_port="${2:?--base-port needs a value}"; shift 2 ;;
    --base-port=*) base_port="${1#*=}"; shift ;;
    --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) timeout="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage; kn_die "unknown argument: $1" ;;
  esac
done
kn_check_nodes "$nodes"
kn_check_uint --timeout "$timeout"
[[ -n "$run_dir" ]] || run_dir="$(kn_default_run_dir "$nodes" "$security")"
[[ -n "$base_port" ]] || base_port="$(kn_default_base_port "$nodes" "$security")"
kn_check_uint --base-port "$base_port"
((base_port >= 1024 && base_port + KN_EXPIRED_PORT_OFFSET + nodes <= 65535)) || kn_die "--base-port out of range: $base_port"

KN_RUN_DIR="$(kn_abs_path "$run_dir")"
t_start="$(kn_now_ms)"
mkdir -p "$KN_RUN_DIR"
# One up/down/node.sh at a time per run dir (e.g. parallel test workers calling up.sh).
exec {lock_fd}>"$KN_RUN_DIR/.lock"
flock "$lock_fd"

finish() { # prints the bootstrap line; the only thing this script writes to stdout
  printf '%s\n' "$KN_BOOTSTRAP" >"$KN_RUN_DIR/bootstrap"
  printf '%s\n' "$KN_BOOTSTRAP"
  exit 0
}

# ---------------------------------------------------------------------------
# 1. Is there already a cluster in this run dir?
# ---------------------------------------------------------------------------
if kn_load_cluster_env "$KN_RUN_DIR"; then
  alive=() dead=()
  for ((i = 1; i <= KN_NODES; i++)); do
    if kn_node_pid "$i" >/dev/null; then alive+=("$i"); else dead+=("$i"); fi
  done
  if ((${#alive[@]} > 0)); then
    if [[ "$KN_NODES" != "$nodes" || "$KN_BASE_PORT" != "$base_port" || "$KN_SECURITY" != "$security" ]]; then
      kn_die "$KN_RUN_DIR already runs a ${KN_NODES}-node cluster on $KN_BOOTSTRAP (asked for ${nodes} node(s) from port $base_port); stop it first: scripts/kafka/down.sh --run-dir $KN_RUN_DIR"
    fi
    kn_find_java
    kn_classpath
    for i in "${alive[@]}"; do
      pid="$(kn_node_pid "$i")"
      if [[ "$(kn_node_state "$pid")" == T ]]; then
        kn_log "node $i (pid $pid) was paused; resuming it"
        kill -CONT "$pid" 2>/dev/null || true
      fi
      KN_LOG_OFFSETS[$i]=0
    done
    for i in ${dead[@]+"${dead[@]}"}; do
      [[ -f "$KN_RUN_DIR/node-$i/data/meta.properties" ]] || kn_die "node $i is down and has no storage; run scripts/kafka/down.sh --run-dir $KN_RUN_DIR and retry"
      kn_log "node $i is not running; restarting it with its existing storage"
      rm -f "$KN_RUN_DIR/node-$i/pid"
      KN_LOG_OFFSETS[$i]="$(kn_log_size "$i")"
      kn_start_node "$i"
    done
    all_ids="$(seq 1 "$KN_NODES" | tr '\n' ' ')"
    if ! kn_wait_ready "$timeout" "$all_ids" "$all_ids"; then
      kn_die "existing cluster in $KN_RUN_DIR is not answering (see logs above); try: scripts/kafka/down.sh --run-dir $KN_RUN_DIR"
    fi
    kn_log "reusing running ${KN_NODES}-node cluster in $KN_RUN_DIR (checked in $(($(kn_now_ms) - t_start)) ms)"
    finish
  fi
  kn_log "found a stopped cluster in $KN_RUN_DIR (stale pid files?); wiping it and starting fresh"
fi

# ---------------------------------------------------------------------------
# 2. Fresh start: clean, configure, format, launch, wait.
# ---------------------------------------------------------------------------
shopt -s nullglob
for d in "$KN_RUN_DIR"/node-*/; do
  # Never leave a JVM of ours behind (e.g. node dirs from a bigger, half-dead cluster).
  n="$(basename "$d")"
  n="${n#node-}"
  [[ "$n" =~ ^[0-9]+$ ]] && kn_stop_nodes KILL 10 "$n"
  rm -rf "$d"
done
shopt -u nullglob
rm -f "$KN_RUN_DIR/cluster.env" "$KN_RUN_DIR/bootstrap" "$KN_RUN_DIR/security.json"
rm -rf "$KN_RUN_DIR/tls"

KN_NODES="$nodes"
KN_SECURITY="$security"
KN_BASE_PORT="$base_port"
KN_BOOTSTRAP="$(kn_bootstrap_for "$nodes" "$base_port")"
KN_CLUSTER_ID="$(kn_random_cluster_id)"

for ((i = 1; i <= nodes; i++)); do
  ports=("$(kn_broker_port "$i")" "$(kn_controller_port "$i")")
  if ((security)); then ports+=("$(kn_sasl_port "$i")" "$(kn_mtls_port "$i")" "$(kn_expired_port "$i")"); fi
  for port in "${ports[@]}"; do
    if kn_port_open "$port"; then
      kn_die "port 127.0.0.1:$port is already in use (another Kafka? use --base-port or scripts/kafka/down.sh)"
    fi
  done
done

kn_find_java
kn_classpath
t_cp="$(kn_now_ms)"

cat >"$KN_RUN_DIR/cluster.env" <<EOF
nodes=$KN_NODES
base_port=$KN_BASE_PORT
cluster_id=$KN_CLUSTER_ID
bootstrap=$KN_BOOTSTRAP
kafka_version=$KN_KAFKA_VERSION
security=$KN_SECURITY
EOF
if ((security)); then
  kn_make_security_material
  kn_write_security_json
  mapfile -t scram_args < <(kn_scram_format_args)
fi

# Format every node's storage (in parallel: one short JVM each).
format_pids=()
for ((i = 1; i <= nodes; i++)); do
  kn_write_server_properties "$i"
  fmt_args=(format -t "$KN_CLUSTER_ID" -c "$KN_RUN_DIR/node-$i/server.properties")
  # 1 node: dynamic quorum (controller.quorum.bootstrap.servers) => --standalone.
  # 3 nodes: static quorum (controller.quorum.voters) => no --standalone.
  if ((nodes == 1)); then fmt_args+=(--standalone); fi
  if ((security)); then fmt_args+=("${scram_args[@]}"); fi
  kn_run_tool kafka.tools.StorageTool "${fmt_args[@]}" >"$KN_RUN_DIR/node-$i/format.log" 2>&1 &
  format_pids+=("$!")
done
for ((i = 1; i <= nodes; i++)); do
  if ! wait "${format_pids[$((i - 1))]}"; then
    cat "$KN_RUN_DIR/node-$i/format.log" >&2 || true
    kn_die "formatting the storage of node $i failed"
  fi
done
t_fmt="$(kn_now_ms)"

for ((i = 1; i <= nodes; i++)); do
  KN_LOG_OFFSETS[$i]=0
  kn_start_node "$i"
done

all_ids="$(seq 1 "$nodes" | tr '\n' ' ')"
if ! kn_wait_ready "$timeout" "$all_ids" "$all_ids"; then
  kn_log "startup failed; killing the nodes (logs kept in $KN_RUN_DIR)"
  # shellcheck disable=SC2086
  kn_stop_nodes KILL 10 $all_ids
  kn_die "Kafka did not become ready within ${timeout}s"
fi
t_end="$(kn_now_ms)"
kn_log "${nodes}-node Kafka ${KN_KAFKA_VERSION} ready in $((t_end - t_start)) ms (classpath $((t_cp - t_start)) ms, format $((t_fmt - t_cp)) ms, start->ready $((t_end - t_fmt)) ms); run dir $KN_RUN_DIR"
finish
