#!/usr/bin/env bash
# The fault suite (__test__/faults) on a 3-node Apache Kafka: broker kills and pauses under
# load, brokers below min ISR, a consumer process killed mid-batch, a rebalance storm. Starts
# the cluster with scripts/kafka/up.sh --nodes 3 unless KAFKA_BROKERS_3 is set (the tests
# inject faults with scripts/kafka/node.sh, so an external cluster must be one of these scripts'),
# and always stops what it started. QUICK=1 shortens the load phases. Each scenario prints a
# `FAULTS {json}` line; FAULTS_REPORT=FILE also collects them in FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh

ensure_built

started=0
cleanup() {
  if ((started)); then bash scripts/kafka/down.sh --nodes 3 >&2 || true; fi
}
trap cleanup EXIT INT TERM

if [ -z "${KAFKA_BROKERS_3:-}" ]; then
  # A cluster that already runs in the default run dir is reused, and left running.
  bash scripts/kafka/node.sh status 2>/dev/null | grep -q running || started=1
  KAFKA_BROKERS_3="$(bash scripts/kafka/up.sh --nodes 3)"
  export KAFKA_BROKERS_3
fi
npx jest --selectProjects faults --ci --runInBand "$@"
