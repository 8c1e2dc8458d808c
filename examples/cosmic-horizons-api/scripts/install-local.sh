#!/usr/bin/env bash
# Installs @cosmic-horizons/kafka-native into this example the way a user gets it: `npm pack` of
# the repository root (index.js / index.d.ts, dist/ with the /nestjs and /kafkajs layers) and of
# the host's platform package (its prebuilt addon, staged by scripts/stage-packages.js), and
# `npm install` of both tarballs. The example's other dependencies come from its lockfile
# (`npm ci`), so repeated runs are served from npm's cache. (scripts/test-install.sh installs
# the same from a registry.)
#
# KAFKA_NATIVE_ROOT points at another checkout (or staging copy) of the package to pack.
set -euo pipefail
example="$(cd "$(dirname "$0")/.." && pwd)"
root="${KAFKA_NATIVE_ROOT:-$(cd "$example/../.." && pwd)}"

cd "$root"
[ -d node_modules ] || npm ci --no-audit --no-fund
if ! ls kafka-native.*.node >/dev/null 2>&1; then
  echo "install-local: no prebuilt addon in $root; building it (npm run build)" >&2
  npm run build
fi
if npm run | grep -q '^  build:ts$'; then
  npm run --silent build:ts
else
  npx tsc -p ts/tsconfig.json
fi

# --ignore-scripts: `prepare` would rebuild the addon from source; it was built above.
tarball="$(npm pack --ignore-scripts --silent --pack-destination "$root" | tail -n 1)"
contents="$(tar tzf "$root/$tarball")"
for required in package/index.js package/index.d.ts package/dist/kafkajs/index.js package/dist/nestjs/index.js; do
  if ! grep -qx "$required" <<<"$contents"; then
    echo "install-local: $tarball lacks ${required#package/}: the root package.json \"files\" must list it" >&2
    exit 1
  fi
done
if grep -q '^package/kafka-native\..*\.node$' <<<"$contents"; then
  echo "install-local: $tarball carries an addon: addons belong in the platform packages (npm/)" >&2
  exit 1
fi
# The host's platform package: the one whose addon the root holds.
host_addon="$(ls kafka-native.*.node | head -n 1)"
host_platform="${host_addon#kafka-native.}"
host_platform="${host_platform%.node}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
node scripts/stage-packages.js "$stage" --allow-missing >/dev/null
platform_tarball="$(npm pack "$stage/$host_platform" --ignore-scripts --silent --pack-destination "$root" | tail -n 1)"

cd "$example"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# --no-save: the tarball's integrity changes with every build, so it stays out of the lockfile.
npm install --no-save --no-audit --no-fund "$root/$tarball" "$root/$platform_tarball"
node -e "require('@cosmic-horizons/kafka-native/nestjs'); require('@cosmic-horizons/kafka-native/kafkajs'); console.log('install-local: @cosmic-horizons/kafka-native ' + require('@cosmic-horizons/kafka-native/package.json').version + ' installed from ' + process.argv[1])" "$tarball"
