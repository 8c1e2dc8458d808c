#!/usr/bin/env bash
# The cross-built platform packages checked here (`npm run test:platforms`; long: it builds them
# first with scripts/build-platforms.sh, which skips an up-to-date addon):
# - linux-x64-musl: an x86-64 ELF whose dynamic dependencies are musl's libc only (no glibc
#   library, no GLIBC_ symbol version); no musl Node.js can be had here to load it.
# - linux-arm64-gnu: an AArch64 ELF, loaded by Debian's arm64 Node.js under qemu-user (Debian's
#   `qemu-user`; Node.js and its libraries from Debian's arm64 packages, unpacked into a root of
#   their own, ~/.cache/kafka-native/arm64-root), which runs scripts/install-check.js: the package
#   as installed from a registry, a publish/consume round trip on the mock cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

bash scripts/build-platforms.sh linux-x64-musl linux-arm64-gnu

fail() { echo "test-platforms: $*" >&2; exit 1; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }

echo "== linux-x64-musl"
musl=npm/linux-x64-musl/kafka-native.linux-x64-musl.node
file "$musl"
file "$musl" | grep -q 'ELF 64-bit LSB shared object, x86-64' || fail "$musl is not an x86-64 shared object"
echo "NEEDED: $(needed "$musl")"
[ "$(needed "$musl")" = "libc.so " ] || fail "$musl needs more than musl's libc.so: $(needed "$musl")"
if readelf -V "$musl" | grep -q GLIBC_; then fail "$musl references glibc symbol versions"; fi

echo "== linux-arm64-gnu"
arm64=npm/linux-arm64-gnu/kafka-native.linux-arm64-gnu.node
file "$arm64"
file "$arm64" | grep -q 'ELF 64-bit LSB shared object, ARM aarch64' || fail "$arm64 is not an AArch64 shared object"
echo "NEEDED: $(needed "$arm64")"
echo "highest glibc symbol version: $(readelf -V "$arm64" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -n 1)"

command -v qemu-aarch64 >/dev/null || {
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends qemu-user
}
# Debian's arm64 Node.js and the libraries it needs, downloaded with an apt state of their own (the
# machine's apt configuration is left alone) and unpacked, not installed.
arm_root="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-native/arm64-root"
if [ ! -x "$arm_root/sysroot/usr/bin/node" ]; then
  mkdir -p "$arm_root/apt/state/lists/partial" "$arm_root/apt/cache/archives/partial" "$arm_root/debs"
  touch "$arm_root/apt/state/status"
  apt_opts=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o "Dir::State=$arm_root/apt/state"
    -o "Dir::State::status=$arm_root/apt/state/status" -o "Dir::Cache=$arm_root/apt/cache")
  apt-get "${apt_opts[@]}" update -qq
  (cd "$arm_root/debs" && apt-get "${apt_opts[@]}" download -qq nodejs libnode108 libc6 libgcc-s1 libstdc++6 \
    libuv1 libbrotli1 libc-ares2 libicu72 libnghttp2-14 libssl3 zlib1g node-acorn node-cjs-module-lexer node-undici)
  for deb in "$arm_root"/debs/*.deb; do dpkg -x "$deb" "$arm_root/sysroot"; done
fi
arm_node=(qemu-aarch64 -L "$arm_root/sysroot" "$arm_root/sysroot/usr/bin/node")
echo "Node.js under qemu: $("${arm_node[@]}" -p 'process.version + " " + process.arch')"

# The packages as npm would lay them out: the main package and the arm64 platform package.
app="$(mktemp -d)"
trap 'rm -rf "$app"' EXIT
node scripts/stage-packages.js "$app/stage" --allow-missing >/dev/null
mkdir -p "$app/node_modules/@cosmic-horizons"
cp -r "$app/stage/main" "$app/node_modules/@cosmic-horizons/kafka-native"
cp -r "$app/stage/linux-arm64-gnu" "$app/node_modules/@cosmic-horizons/kafka-native-linux-arm64-gnu"
cp scripts/install-check.js "$app/"
(cd "$app" && "${arm_node[@]}" install-check.js)
cd "$root"
echo "test-platforms: ok"
