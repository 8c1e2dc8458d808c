# shellcheck shell=bash
# Shared by scripts/test*.sh. Sourced, not executed; expects the repository root as the
# current directory.

# Installs the npm dependencies if node_modules is missing. `npm install`, not `npm ci`: npm 11
# drops the optional platform packages of @napi-rs/cli's dependencies from the lock file it
# writes, and then `npm ci` refuses that same lock file (see .ci/run).
ensure_node_modules() {
  [ -d node_modules ] || npm install --no-audit --no-fund
}

# The npm dependencies, then the addon if no kafka-native.*.node exists.
ensure_built() {
  ensure_node_modules
  compgen -G 'kafka-native.*.node' >/dev/null || bash scripts/build.sh
}

# Exports SCHEMA_REGISTRY_URL: the registry it already names, else a local Apicurio Registry
# (scripts/registry/up.sh), which is stopped when the calling script exits. $1 names the caller in
# messages. Sets the EXIT, INT and TERM traps.
use_schema_registry() {
  local run_dir
  REGISTRY_CALLER="$1" REGISTRY_STARTED=0
  # shellcheck disable=SC2317  # called from the EXIT trap
  stop_registry() {
    if ((REGISTRY_STARTED)); then bash scripts/registry/down.sh >&2 || echo "$REGISTRY_CALLER: stopping the registry failed" >&2; fi
  }
  trap stop_registry EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [ -z "${SCHEMA_REGISTRY_URL:-}" ]; then
    run_dir="${KAFKA_NATIVE_REGISTRY_RUN_DIR:-${TMPDIR:-/tmp}/kafka-native-registry}"
    [ -s "$run_dir/pid" ] && kill -0 "$(cat "$run_dir/pid")" 2>/dev/null || REGISTRY_STARTED=1
    SCHEMA_REGISTRY_URL="$(bash scripts/registry/up.sh)"
    export SCHEMA_REGISTRY_URL
  fi
}
