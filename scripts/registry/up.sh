#!/usr/bin/env bash
# Start a Confluent-API Schema Registry (Apicurio Registry 3.0.9, schemas in memory) on 127.0.0.1
# for kafka-native's schema tests. Prints the registry's Confluent API base URL as the only line of
# stdout (and writes it to RUN_DIR/url). Idempotent: a registry already running in RUN_DIR is reused.
# With SCHEMA_REGISTRY_URL set, starts nothing and prints that URL.
#
#   scripts/registry/up.sh [--port N] [--run-dir DIR] [--timeout SECONDS]
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../lib/detach.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/detach.sh"

usage() {
  cat >&2 <<EOF2
usage: $0 [--port N] [--run-dir DIR] [--timeout SECONDS]
  --port     HTTP port (default \${KAFKA_NATIVE_REGISTRY_PORT:-$KN_REGISTRY_DEFAULT_PORT})
  --run-dir  state dir (default \${KAFKA_NATIVE_REGISTRY_RUN_DIR:-\${TMPDIR:-/tmp}/kafka-native-registry})
  --timeout  seconds to wait for /health/ready (default \${KAFKA_NATIVE_UP_TIMEOUT:-90})
EOF2
}

port="${KAFKA_NATIVE_REGISTRY_PORT:-$KN_REGISTRY_DEFAULT_PORT}" run_dir="" timeout="${KAFKA_NATIVE_UP_TIMEOUT:-90}"
while (($#)); do
  case "$1" in
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    --port=*) port="${1#*=}"; shift ;;
    --run-dir) run_dir="${2:?--run-dir needs a value}"; shift 2 ;;
    --run-dir=*) run_dir="${1#*=}"; shift ;;
    --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) timeout="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage; kr_die "unknown argument: $1" ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65535)) || kr_die "--port out of range: $port"
[[ "$timeout" =~ ^[0-9]+$ ]] || kr_die "--timeout must be a non-negative integer"

if [[ -n "${SCHEMA_REGISTRY_URL:-}" ]]; then
  kr_log "SCHEMA_REGISTRY_URL is set; using $SCHEMA_REGISTRY_URL"
  printf '%s\n' "$SCHEMA_REGISTRY_URL"
  exit 0
fi

[[ -n "$run_dir" ]] || run_dir="$(kr_default_run_dir)"
run_dir="$(kr_abs_path "$run_dir")"
exec {lock_fd}>"$run_dir/.lock"
flock "$lock_fd"
url="http://127.0.0.1:$port/apis/ccompat/v7"

ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/health/ready" 2>/dev/null; }

if pid="$(kr_pid "$run_dir")"; then
  running_port="$(cat "$run_dir/port" 2>/dev/null || echo "?")"
  [[ "$running_port" == "$port" ]] || kr_die "$run_dir already runs a registry on port $running_port; stop it first: scripts/registry/down.sh --run-dir $run_dir"
else
  if kn_port_open "$port"; then
    kr_die "port $port is in use by another process"
  fi
  command -v java >/dev/null || kr_die "java (17+) not found"
  kr_install
  printf '%s\n' "$port" >"$run_dir/port"
  kn_start_detached "$run_dir" kafka-native-registry "$run_dir/registry.log" \
    java ${KAFKA_NATIVE_REGISTRY_JVM_OPTS:--Xms64m -Xmx512m} -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$port" \
    -jar "$KN_REGISTRY_JAR" || kr_die "the registry did not start; see $run_dir/registry.log"
  pid="$(cat "$run_dir/pid")"
  kr_log "started Apicurio Registry $KN_REGISTRY_VERSION (pid $pid) on 127.0.0.1:$port"
fi

deadline=$(($(kr_now_ms) + timeout * 1000))
until ready "$port"; do
  if ! kr_pid "$run_dir" >/dev/null; then
    tail -n 30 "$run_dir/registry.log" >&2 || true
    kr_die "the registry exited before it was ready; see $run_dir/registry.log"
  fi
  (($(kr_now_ms) < deadline)) || kr_die "the registry was not ready after ${timeout}s; see $run_dir/registry.log"
  sleep 0.2
done
printf '%s\n' "$url" >"$run_dir/url"
printf '%s\n' "$url"
