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
