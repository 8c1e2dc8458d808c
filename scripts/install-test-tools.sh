#!/usr/bin/env bash
# Installs the command-line tools the integration tests use besides Node, only when missing:
# kcat (Debian package `kcat`), the tracing interop test reads and writes trace headers with it.
# Never fails the run: where the package cannot be installed, the test that needs it says so and
# skips.
set -uo pipefail

command -v kcat >/dev/null && exit 0
command -v apt-get >/dev/null || { echo "install-test-tools: no apt-get; kcat tests will skip" >&2; exit 0; }
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo -n)
export DEBIAN_FRONTEND=noninteractive
echo "install-test-tools: installing kcat" >&2
if ! apt-cache show kcat >/dev/null 2>&1; then
  "${sudo_cmd[@]}" apt-get update -qq >&2 || true
fi
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends kcat >&2 ||
  echo "install-test-tools: kcat could not be installed; kcat tests will skip" >&2
exit 0
