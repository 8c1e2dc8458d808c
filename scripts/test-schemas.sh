#!/usr/bin/env bash
# The schema suites (__test__/schemas): a real Schema Registry (Apicurio Registry, Confluent API;
# scripts/registry/up.sh) and the embedded mock cluster. Starts the registry unless
# SCHEMA_REGISTRY_URL names one, and stops what it started.
#   KAFKA_NATIVE_REGISTRY_PORT   registry port (default 18081)
#   KAFKA_NATIVE_REGISTRY_RUN_DIR  its state dir (default ${TMPDIR:-/tmp}/kafka-native-registry)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh

ensure_built

started=0
stop_registry() {
  if ((started)); then bash scripts/registry/down.sh >&2 || echo "test: stopping the registry failed" >&2; fi
}
trap stop_registry EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -z "${SCHEMA_REGISTRY_URL:-}" ]; then
  run_dir="${KAFKA_NATIVE_REGISTRY_RUN_DIR:-${TMPDIR:-/tmp}/kafka-native-registry}"
  [ -s "$run_dir/pid" ] && kill -0 "$(cat "$run_dir/pid")" 2>/dev/null || started=1
  SCHEMA_REGISTRY_URL="$(bash scripts/registry/up.sh)"
  export SCHEMA_REGISTRY_URL
fi
echo "== schemas (registry $SCHEMA_REGISTRY_URL, mock cluster)"
npx jest --selectProjects schemas --ci "$@"
