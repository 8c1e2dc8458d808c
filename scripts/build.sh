#!/usr/bin/env bash
# Builds the native addon from source (librdkafka included) and regenerates index.js and
# index.d.ts, then compiles the TypeScript subpath layers (ts/ → dist/). `--debug` builds the addon
# without optimisation.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
command -v cargo >/dev/null || { echo "build: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }

mode=(--release)
[ "${1:-}" = "--debug" ] && mode=()
npx napi build --platform "${mode[@]}" --js index.js --dts index.d.ts --dts-header "$(cat scripts/dts-header.d.ts)"
npm run build:ts
