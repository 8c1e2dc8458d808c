#!/usr/bin/env bash
# Every test: the engine's Rust tests, the JS contract on the embedded mock cluster, and the
# integration, security and fault suites on a real Apache Kafka that they start and stop themselves
# (the 3-node cluster once, here, for the integration and fault suites).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh

ensure_built

echo "== cargo test (engine)"
cargo test --lib

echo "== jest (mock cluster)"
npx jest --selectProjects unit --ci

echo "== jest (subpath layers: /kafkajs and /nestjs, mock cluster)"
npx jest --selectProjects subpaths --ci

echo "== example: cosmic-horizons-api (npm pack → npm install, type checks, e2e on the mock cluster)"
bash examples/cosmic-horizons-api/scripts/test.sh

echo "== type check (TypeScript usage of index.d.ts)"
npx tsc -p __test__/types/tsconfig.json

echo "== schemas (a real Schema Registry, the mock cluster; types of schemas/ up to date)"
node scripts/schema-types.js --check
bash scripts/test-schemas.sh

# The 3-node cluster, started once here for the integration and the fault suites: both reuse a
# cluster that runs in its default run dir and leave it running. It is stopped on exit unless it
# already ran. Not when KAFKA_BROKERS_3 names another cluster, nor when KAFKA_NATIVE_BASE_PORT_3
# moves the integration suite's cluster off the default port that the fault suite uses: then each
# suite starts (and stops) its own, as before. KAFKA_BROKERS_3 stays unset here, so that
# test-integration.sh still sets KAFKA_NATIVE_LOCAL_3=1 (its cluster to stop and restart nodes of).
started_3=0
stop_3() {
  if ((started_3)); then bash scripts/kafka/down.sh --nodes 3 >&2 || echo "test: stopping the 3-node cluster failed" >&2; fi
}
trap stop_3 EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -z "${KAFKA_BROKERS_3:-}" ] && [ "${KAFKA_NATIVE_BASE_PORT_3:-19192}" = 19192 ]; then
  echo "== 3-node Apache Kafka (for the integration and fault suites)"
  # grep without -q reads all of the status: node.sh must not die of SIGPIPE (pipefail).
  bash scripts/kafka/node.sh status --nodes 3 2>/dev/null | grep ' running' >/dev/null || started_3=1
  bash scripts/kafka/up.sh --nodes 3 >/dev/null
fi

if [ -f scripts/test-integration.sh ]; then
  echo "== integration (Apache Kafka)"
  bash scripts/test-integration.sh
fi

echo "== security (TLS and SASL on Apache Kafka)"
bash scripts/test-security.sh

echo "== faults (3-node Apache Kafka; QUICK=0 for the full load phases: npm run test:faults)"
QUICK="${QUICK-1}" bash scripts/test-faults.sh
