#!/usr/bin/env bash
# Every test: the engine's Rust tests, the JS contract on the embedded mock cluster, and the
# integration suite on a real Apache Kafka that it starts and stops itself.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm install --no-audit --no-fund
[ -f kafka-native.linux-x64-gnu.node ] || bash scripts/build.sh

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

if [ -f scripts/test-integration.sh ]; then
  echo "== integration (Apache Kafka)"
  bash scripts/test-integration.sh
fi

echo "== security (TLS and SASL on Apache Kafka)"
bash scripts/test-security.sh

echo "== faults (3-node Apache Kafka; QUICK=0 for the full load phases: npm run test:faults)"
QUICK="${QUICK-1}" bash scripts/test-faults.sh
