#!/usr/bin/env bash
# The example's checks: install the package from its tarball, type-check the app with both the
# classic (node10) and Node (nodenext) module resolution, then the Jest suites (ts-jest checks
# the tests' types; test/kafkajs-types.spec.ts compares the seed port's with kafkajs'), on an
# embedded MockCluster or, when KAFKA_BROKERS is set, on that broker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-local.sh
npx tsc -p tsconfig.build.json --noEmit
npx tsc -p tsconfig.nodenext.json
npx jest --runInBand --ci "$@"
