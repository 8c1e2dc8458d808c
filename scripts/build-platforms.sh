#!/usr/bin/env bash
# Builds the addon of each Linux platform package into npm/<platform>/ (`npm run build:platforms`;
# arguments: the npm/ dir names to build, default all three). The host's (linux-x64-gnu) is the
# release build of scripts/build.sh; linux-x64-musl and linux-arm64-gnu are cross-compiled with
# Zig (`ziglang` and `cargo-zigbuild` from PyPI, `napi build --cross-compile`). All three have
# librdkafka and OpenSSL compiled from source and linked statically (feature `vendored-openssl`):
# users need no libssl of the build machine's version. Idempotent: a
# platform whose addon is newer than every Rust source is skipped, and cargo reuses its build.
# darwin-* and win32-x64-msvc are built on machines of their kind (`napi build --platform
# --release --target <triple>`, then the addon copied into npm/<platform>/).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

declare -A triples=(
  [linux-x64-gnu]=x86_64-unknown-linux-gnu
  [linux-x64-musl]=x86_64-unknown-linux-musl
  [linux-arm64-gnu]=aarch64-unknown-linux-gnu
)
platforms=("$@")
[ ${#platforms[@]} -gt 0 ] || platforms=(linux-x64-gnu linux-x64-musl linux-arm64-gnu)

# True when npm/<platform>/'s addon is newer than the Rust sources and manifests.
up_to_date() {
  local addon="npm/$1/kafka-native.$1.node"
  [ -f "$addon" ] || return 1
  [ -z "$(find src build.rs Cargo.toml Cargo.lock -newer "$addon" -print -quit)" ]
}

# Zig from PyPI provides `python3 -m ziglang`; `napi build -x` wants `zig` on PATH.
ensure_zig() {
  command -v cargo-zigbuild >/dev/null && python3 -m ziglang version >/dev/null 2>&1 ||
    python3 -m pip install --quiet ziglang==0.17.1 cargo-zigbuild==0.24.0
  local shim="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-native/zig-shim"
  mkdir -p "$shim"
  printf '#!/bin/sh\nexec python3 -m ziglang "$@"\n' >"$shim/zig"
  chmod +x "$shim/zig"
  PATH="$shim:$PATH"
}

# librdkafka's rdkafka_conf.c includes <curl/curl.h> (OIDC, always on in cmake builds) without
# linking curl: the host's headers, arch-independent, in a directory of their own (Zig does not
# search /usr/include for another target).
curl_headers() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-native/curl-headers"
  if [ ! -f "$dir/curl/curl.h" ]; then
    local src
    src="$(dirname "$(find /usr/include -name curl.h -path '*/curl/curl.h' -print -quit)")"
    mkdir -p "$dir/curl"
    cp "$src"/*.h "$dir/curl/"
  fi
  echo "$dir"
}

for platform in "${platforms[@]}"; do
  triple="${triples[$platform]:-}"
  [ -n "$triple" ] || { echo "build-platforms: unknown platform $platform (known: ${!triples[*]})" >&2; exit 1; }
  addon="kafka-native.$platform.node"
  if up_to_date "$platform"; then
    echo "build-platforms: $platform is up to date"
    continue
  fi
  echo "== build-platforms: $platform ($triple)"
  # The addon gets the build's start time: a source edited during the build is newer than it.
  started="$(date +%s)"
  if [ "$platform" = linux-x64-gnu ]; then
    # OpenSSL vendored here too, so that users need no libssl of the build machine's version.
    bash scripts/build.sh --features vendored-openssl
    cp "$addon" "npm/$platform/$addon"
    touch -d "@$started" "npm/$platform/$addon"
    continue
  fi
  bash scripts/install-deps.sh
  ensure_zig
  rustup target list --installed | grep -qx "$triple" || rustup target add "$triple"
  include="$(curl_headers)"
  out="$root/target/platforms/$platform"
  mkdir -p "$out"
  triple_var="${triple//-/_}"
  # A cdylib needs the dynamic C runtime: Rust's musl target links it statically by default.
  musl_flags=()
  [[ "$triple" == *-musl ]] && musl_flags=(env "CARGO_TARGET_${triple_var^^}_RUSTFLAGS=-C target-feature=-crt-static")
  "${musl_flags[@]}" env "CFLAGS_${triple_var}=-I$include" \
    npx napi build --platform --release --target "$triple" --cross-compile --features vendored-openssl \
    --output-dir "$out" --no-js --dts "$out/index.d.ts"
  cp "$out/$addon" "npm/$platform/$addon"
  touch -d "@$started" "npm/$platform/$addon"
done
