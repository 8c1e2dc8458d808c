#!/usr/bin/env bash
# The lint gates (`npm run lint`; scripts/test.sh runs them first, so CI fails fast): rustfmt over
# the crate and the fuzz workspace, clippy over the crate (all targets, warnings are errors), tsc in
# strict mode over the TypeScript layers and the example, a check that the binding's JS emitted from
# TypeScript is not stale, and ESLint (typescript-eslint) over the JS and TS sources.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --check
(cd fuzz && cargo fmt --check)

echo "== cargo clippy --all-targets -- -D warnings"
# Checking the crate runs rdkafka-sys's build script, which compiles librdkafka (cmake, OpenSSL).
bash scripts/install-deps.sh
cargo clippy --quiet --all-targets -- -D warnings

echo "== tsc --noEmit (ts/, strict)"
npx tsc -p ts/tsconfig.json --noEmit

echo "== the binding's scripts (src/binding/*.js) emitted from ts/native/"
node scripts/js-support.js --check

# The example resolves @cosmic-horizons/kafka-native from its node_modules, which its own test
# script installs from the package's tarball (examples/cosmic-horizons-api/scripts/test.sh, which
# type-checks it too); checked here when it is installed already.
example=examples/cosmic-horizons-api
if [ -d "$example/node_modules/@cosmic-horizons/kafka-native" ]; then
  echo "== tsc --noEmit ($example, strict)"
  (cd "$example" && npx tsc -p tsconfig.build.json --noEmit && npx tsc -p tsconfig.nodenext.json)
fi

echo "== eslint"
npx eslint --max-warnings 0 .
