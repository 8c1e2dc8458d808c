#!/usr/bin/env bash
# Every test: the engine's Rust tests, the JS contract on the embedded mock cluster, and the
# integration, security and fault suites on a real Apache Kafka that they start and stop themselves
# (the 3-node cluster once, here, for the integration and fault suites).
#
# Each step has a time limit (scripts/watchdog.sh): a step that hangs is stopped with a message
# naming it and what its Node processes still hold, instead of running into CI's limit. The limits
# are 2-3 times a step's duration on a busy 2-core machine; TEST_TIMEOUT_SCALE=2 doubles them all,
# TEST_TIMEOUT_<STEP>=seconds sets one (e.g. TEST_TIMEOUT_JEST_UNIT=1800).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh
# shellcheck source-path=SCRIPTDIR/..
source scripts/watchdog.sh

ensure_node_modules
echo "== lint (npm run lint)"
bash scripts/lint.sh

ensure_built

# The Jest environment (__test__/environment.js) names a test file that leaves a handle keeping
# Node alive. JEST_OPEN_HANDLES=1 adds Jest's --detectOpenHandles (it also lists every weak napi
# thread-safe function, which keeps nothing alive). Never --forceExit, which would hide a leak.
jest_flags=(--ci)
[ "${JEST_OPEN_HANDLES:-0}" = 0 ] || jest_flags+=(--detectOpenHandles)

step "cargo test" 1800 cargo test --lib

step "jest unit" 900 npx jest --selectProjects unit "${jest_flags[@]}"

step "jest subpaths" 1200 npx jest --selectProjects subpaths "${jest_flags[@]}"

# npm pack → npm install, type checks, e2e on the mock cluster.
step "example" 900 bash examples/cosmic-horizons-api/scripts/test.sh

# Verdaccio on 127.0.0.1: publish, then npm install without Rust, round trip.
step "install" 900 bash scripts/test-install.sh

step "type check" 300 npx tsc -p __test__/types/tsconfig.json

# The types of schemas/ up to date; a real Schema Registry (Apicurio) and the mock cluster.
step "schema types" 120 node scripts/schema-types.js --check
step "schemas" 1500 bash scripts/test-schemas.sh

# The 3-node cluster, started once here for the integration and the fault suites: both reuse a
# cluster that runs in its default run dir and leave it running. It is stopped on exit unless it
# already ran. Not when KAFKA_BROKERS_3 names another cluster, nor when KAFKA_NATIVE_BASE_PORT_3
# moves the integration suite's cluster off the default port that the fault suite uses: then each
# suite starts (and stops) its own, as before. KAFKA_BROKERS_3 stays unset here, so that
# test-integration.sh still sets KAFKA_NATIVE_LOCAL_3=1 (its cluster to stop and restart nodes of).
started_3=0
stop_3() {
  watchdog_cleanup
  if ((started_3)); then bash scripts/kafka/down.sh --nodes 3 >&2 || echo "test: stopping the 3-node cluster failed" >&2; fi
}
trap stop_3 EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -z "${KAFKA_BROKERS_3:-}" ] && [ "${KAFKA_NATIVE_BASE_PORT_3:-19192}" = 19192 ]; then
  # grep without -q reads all of the status: node.sh must not die of SIGPIPE (pipefail).
  bash scripts/kafka/node.sh status --nodes 3 2>/dev/null | grep ' running' >/dev/null || started_3=1
  step "kafka 3 nodes" 600 bash -c 'bash scripts/kafka/up.sh --nodes 3 >/dev/null'
fi

if [ -f scripts/test-integration.sh ]; then
  step "integration" 2400 bash scripts/test-integration.sh
fi

# TLS and SASL on Apache Kafka.
step "security" 900 bash scripts/test-security.sh

# 3-node Apache Kafka; QUICK=0 for the full load phases: npm run test:faults.
step "faults" 1500 env QUICK="${QUICK-1}" bash scripts/test-faults.sh
