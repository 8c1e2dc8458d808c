#!/usr/bin/env bash
# Installs the Debian packages the native build needs, only when one is missing.
# librdkafka is compiled from source by rdkafka-sys (cmake) and linked statically; it needs
# OpenSSL's headers for TLS/SCRAM, and curl's headers only because librdkafka 2.12's
# rdkafka_conf.c includes <curl/curl.h> under an #ifdef that is always true in cmake builds.
set -euo pipefail

packages=(build-essential cmake pkg-config libssl-dev libcurl4-openssl-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >&2
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
