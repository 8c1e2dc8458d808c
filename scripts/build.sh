#!/usr/bin/env bash
# Builds the native addon from source (librdkafka included) and regenerates index.js and
# index.d.ts, then compiles the TypeScript subpath layers (ts/ → dist/). `--debug` builds the addon
# without optimisation; `--features F` passes cargo features (`vendored-openssl`: OpenSSL compiled
# from source and linked statically, as the published platform packages are built).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
command -v cargo >/dev/null || { echo "build: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }

mode=(--release) features=()
while (($#)); do
  case "$1" in
    --debug) mode=(); shift ;;
    --features) features=(--features "${2:?--features needs a value}"); shift 2 ;;
    *) echo "build: unknown argument $1 (known: --debug, --features F)" >&2; exit 1 ;;
  esac
done
npx napi build --platform "${mode[@]}" "${features[@]}" --js index.js --dts index.d.ts --dts-header "$(cat scripts/dts-header.d.ts)"
npm run build:ts
