#!/usr/bin/env bash
# The security suite (__test__/security): TLS, mutual TLS and SASL (PLAIN, SCRAM-SHA-256/512)
# against a real Apache Kafka started with `scripts/kafka/up.sh --security`, unless
# KAFKA_SECURITY_INFO names the security.json of a broker that already runs. Stops what it
# started, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh

ensure_built

started=0
cleanup() {
  if ((started)); then bash scripts/kafka/down.sh --security >&2 || true; fi
}
trap cleanup EXIT INT TERM

if [ -z "${KAFKA_SECURITY_INFO:-}" ]; then
  # A secure broker that already runs in the default run dir is reused, and left running.
  bash scripts/kafka/node.sh --nodes 1 --security status 2>/dev/null | grep -q running || started=1
  bash scripts/kafka/up.sh --security >/dev/null
  KAFKA_SECURITY_INFO="$(bash -c 'source scripts/kafka/lib.sh; kn_default_run_dir 1 1')/security.json"
  export KAFKA_SECURITY_INFO
fi
npx jest --selectProjects security --ci "$@"
