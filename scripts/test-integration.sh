#!/usr/bin/env bash
# Runs the Jest integration suite (__test__/integration) against real Apache Kafka: the engine's
# suites and the interop suites (kafkajs facade parity, NestJS's Transport.KAFKA over the facade,
# the microservices transport against stock NestJS/kafkajs, examples/telemetry-producer), whose
# mock-cluster twins run in the `subpaths` project, and the subpath suites themselves
# (subpaths-on-kafka.test.js: the facade's and the NestJS module's, with KAFKA_BROKERS in place of
# the mock cluster).
#
# Unless KAFKA_BROKERS is set, starts the local single node and the local 3-node cluster
# (scripts/kafka/up.sh) and exports KAFKA_BROKERS / KAFKA_BROKERS_3; on exit, however it exits,
# stops the clusters it started (a cluster that was already running is reused and left running).
# With KAFKA_BROKERS set, the 3-node tests run only if KAFKA_BROKERS_3 is set too.
# Extra arguments go to jest (e.g. -t health, or a test file's path).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh
bash scripts/install-test-tools.sh

started=()
stop_started() {
  local n
  for n in "${started[@]}"; do
    bash scripts/kafka/down.sh --nodes "$n" >&2 || echo "test-integration: stopping the ${n}-node cluster failed" >&2
  done
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts (or reuses) the cluster of $1 nodes in its default run dir and sets BOOTSTRAP to its
# servers; further arguments go to up.sh. Runs in this shell (not in a $(...) subshell) so that
# `started` records what it started.
up() {
  local nodes=$1
  shift
  if ! bash scripts/kafka/node.sh status --nodes "$nodes" 2>/dev/null | grep -q ' running'; then
    started+=("$nodes")
  fi
  BOOTSTRAP="$(bash scripts/kafka/up.sh --nodes "$nodes" "$@" | tail -n 1)"
}

export KAFKA_NATIVE_LOCAL_3=0
if [ -z "${KAFKA_BROKERS:-}" ]; then
  up 1
  KAFKA_BROKERS="$BOOTSTRAP"
  if [ -z "${KAFKA_BROKERS_3:-}" ]; then
    # Below Linux's ephemeral port range (32768-60999): the fault test restarts a node, and a
    # client reconnecting to a closed port in that range can be given that same port as its
    # source port and connect to itself (TCP self-connect), so the node cannot bind it again.
    up 3 --base-port "${KAFKA_NATIVE_BASE_PORT_3:-19192}"
    KAFKA_BROKERS_3="$BOOTSTRAP"
    # Ours to stop and restart nodes of (scripts/kafka/node.sh --nodes 3).
    KAFKA_NATIVE_LOCAL_3=1
  fi
fi
export KAFKA_BROKERS
export KAFKA_BROKERS_3="${KAFKA_BROKERS_3:-}"
echo "test-integration: KAFKA_BROKERS=$KAFKA_BROKERS KAFKA_BROKERS_3=${KAFKA_BROKERS_3:-<unset>}" >&2

ensure_built
# The interop suites (__test__/integration/interop-*.test.js) load the compiled subpath layers.
npm run build:ts >/dev/null
npx jest "$@" --selectProjects integration
