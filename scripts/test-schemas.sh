#!/usr/bin/env bash
# The schema suites (__test__/schemas): a real Schema Registry (Apicurio Registry, Confluent API;
# scripts/registry/up.sh) and the embedded mock cluster, then the example app's e2e suites with its
# events in Avro through that registry, and a short run of the demo the same way. Starts the registry unless
# SCHEMA_REGISTRY_URL names one, and stops what it started.
#   KAFKA_NATIVE_REGISTRY_PORT   registry port (default 18081)
#   KAFKA_NATIVE_REGISTRY_RUN_DIR  its state dir (default ${TMPDIR:-/tmp}/kafka-native-registry)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh

ensure_built

use_schema_registry test
echo "== schemas (registry $SCHEMA_REGISTRY_URL, mock cluster)"
npx jest --selectProjects schemas --ci "$@"
echo "== the example app through the registry (examples/cosmic-horizons-api, mock cluster)"
bash examples/cosmic-horizons-api/scripts/test.sh test/app.e2e.spec.ts test/schemas.e2e.spec.ts
echo "== the demo through the registry (3 s, mock cluster)"
DEMO_SECONDS=3 DEMO_RATE=2000 node examples/demo.js
