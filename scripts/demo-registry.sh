#!/usr/bin/env bash
# The demo (examples/demo.js) with its events in Avro through a Schema Registry: starts a local
# Apicurio Registry (scripts/registry/up.sh; first run fetches it from Maven Central) unless
# SCHEMA_REGISTRY_URL names one, runs the demo on the embedded mock cluster (or KAFKA_BROKERS),
# and stops the registry it started.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh

ensure_built

use_schema_registry demo
node examples/demo.js
