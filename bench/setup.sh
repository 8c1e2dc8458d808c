#!/usr/bin/env bash
# Installs what the benchmark compares against, idempotently and cached:
#   - bench/node_modules: kafkajs and @confluentinc/kafka-javascript (built from source against
#     Debian's librdkafka, CKJS_LINKING=dynamic: its install script would download a prebuilt
#     binary otherwise, which this network does not allow), node-rdkafka (built from source with
#     the librdkafka it bundles, ~5 min) and kafka-crab-js with its linux-x64-gnu binary (a direct
#     dependency: npm skips it as an optional one, since it declares Node 24);
#   - the Debian packages that build needs (only the missing ones);
#   - rdkafka_performance, built from the librdkafka sources the rdkafka-sys crate compiles,
#     into ${KAFKA_NATIVE_CACHE_DIR:-~/.cache/kafka-native}/rdkafka_performance-<version>/.
# Prints nothing on stdout but the path of rdkafka_performance (last line). Diagnostics on stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${KAFKA_NATIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-native}
log() { echo "[bench/setup] $*" >&2; }
mkdir -p "$cache"
# One setup at a time (two would build into the same directories).
exec 9>"$cache/bench-setup.lock"
flock 9

# --- Debian packages -------------------------------------------------------------------------
need=()
for p in librdkafka-dev libssl-dev libsasl2-dev libcurl4-openssl-dev zlib1g-dev build-essential cmake python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  log "apt-get install ${need[*]}"
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o Dpkg::Use-Pty=0 "${need[@]}" >&2
fi
log "Debian librdkafka-dev $(dpkg-query -W -f='${Version}' librdkafka-dev)"

# --- node_modules ----------------------------------------------------------------------------
# The stamp is the hash of package.json + node version; a mismatch or a missing native build
# of @confluentinc/kafka-javascript reinstalls.
stamp_want=$( (cat "$here/package.json"; node --version; dpkg-query -W -f='${Version}' librdkafka-dev) | sha256sum | cut -c1-16)
stamp_file="$here/node_modules/.bench-stamp"
ckjs_node="$here/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node"
nrd_node="$here/node_modules/node-rdkafka/build/Release/node-librdkafka.node"
if [[ -f $stamp_file && $(cat "$stamp_file") == "$stamp_want" && -f $ckjs_node && -f $nrd_node && -d $here/node_modules/kafkajs ]]; then
  log "node_modules up to date"
else
  log "npm install (builds @confluentinc/kafka-javascript and node-rdkafka from source, ~7 min)"
  (cd "$here" && CKJS_LINKING=dynamic npm install --no-audit --no-fund --loglevel=error >&2)
  [[ -f $ckjs_node ]] || { log "no $ckjs_node after npm install"; exit 1; }
  [[ -f $nrd_node ]] || { log "no $nrd_node after npm install"; exit 1; }
  echo "$stamp_want" > "$stamp_file"
fi

# --- rdkafka_performance ----------------------------------------------------------------------
# The same librdkafka sources as the crate (rdkafka-sys), built the way its cmake-build feature
# builds them (Release, static, bundled lz4), with the examples on.
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rdkafka-sys-*/librdkafka 2>/dev/null | sort -V | tail -1 || true)
lock_ver=$(sed -n '/name = "rdkafka-sys"/{n;s/version = "\(.*\)"/\1/p}' "$here/../Cargo.lock" 2>/dev/null || true)
if [[ -n $lock_ver ]]; then
  want=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rdkafka-sys-"$lock_ver"/librdkafka 2>/dev/null | head -1 || true)
  [[ -n $want ]] && src=$want
fi
[[ -n $src && -d $src ]] || { log "librdkafka sources of rdkafka-sys not found (run cargo build once)"; exit 1; }
ver=$(basename "$(dirname "$src")")
out="$cache/rdkafka_performance-$ver"
if [[ ! -x $out/rdkafka_performance ]]; then
  log "building rdkafka_performance from $src"
  rm -rf "$out.build"
  mkdir -p "$out.build" "$out"
  cmake -S "$src" -B "$out.build" -DCMAKE_BUILD_TYPE=Release -DRDKAFKA_BUILD_STATIC=1 \
    -DRDKAFKA_BUILD_EXAMPLES=1 -DRDKAFKA_BUILD_TESTS=0 -DWITH_SSL=0 -DWITH_SASL=0 -DWITH_ZSTD=0 \
    -DWITH_CURL=0 -DWITH_ZLIB=1 -DENABLE_LZ4_EXT=0 -DCMAKE_POLICY_VERSION_MINIMUM=3.5 >"$out.build/cmake.log" 2>&1 \
    || { tail -30 "$out.build/cmake.log" >&2; exit 1; }
  cmake --build "$out.build" --target rdkafka_performance -j"$(nproc)" >"$out.build/build.log" 2>&1 \
    || { tail -30 "$out.build/build.log" >&2; exit 1; }
  cp "$out.build/examples/rdkafka_performance" "$out/"
  rm -rf "$out.build"
fi
echo "$out/rdkafka_performance"
