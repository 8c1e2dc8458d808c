#!/usr/bin/env bash
# The package installed as users install it, from a real npm registry (Verdaccio on 127.0.0.1):
# scripts/release.sh publishes the host's platform package and the main package to it; then, in
# a clean directory with neither cargo nor rustc on PATH, `npm install
# @cosmic-horizons/kafka-native` from it and a publish/consume round trip on the embedded mock
# cluster (scripts/install-check.js); then `npm install` of examples/cosmic-horizons-api with the
# package from it. Verdaccio is stopped however the script exits.
#
# Env: KAFKA_NATIVE_VERDACCIO_PORT (default 4873); SKIP_EXAMPLE=1 leaves out the example.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
# shellcheck source-path=SCRIPTDIR/..
source scripts/test-lib.sh

port="${KAFKA_NATIVE_VERDACCIO_PORT:-4873}"
registry="http://127.0.0.1:$port"
verdaccio_version=6.8.0
# Verdaccio 6.8.0 with node-fetch pinned to 2.7.0 (its 6.10 does not install as it stands), in a
# directory of its own, installed once.
verdaccio_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-native/verdaccio-$verdaccio_version"

ensure_verdaccio() {
  [ -x "$verdaccio_dir/node_modules/.bin/verdaccio" ] && return
  mkdir -p "$verdaccio_dir"
  cat >"$verdaccio_dir/package.json" <<JSON
{
  "name": "kafka-native-verdaccio",
  "private": true,
  "dependencies": { "verdaccio": "$verdaccio_version" },
  "overrides": { "node-fetch": "2.7.0" }
}
JSON
  (cd "$verdaccio_dir" && npm install --no-audit --no-fund >&2)
}

ensure_built
ensure_verdaccio

work="$(mktemp -d)"
verdaccio_pid=""
cleanup() {
  if [ -n "$verdaccio_pid" ]; then
    kill "$verdaccio_pid" 2>/dev/null || true
    wait "$verdaccio_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Only our scope is served, from a fresh storage; no uplink: nothing is fetched from elsewhere.
mkdir -p "$work/verdaccio"
cat >"$work/verdaccio/config.yaml" <<YAML
storage: $work/verdaccio/storage
auth:
  htpasswd:
    file: $work/verdaccio/htpasswd
packages:
  '@cosmic-horizons/*':
    access: \$all
    publish: \$authenticated
# Verdaccio's default (10 MB) is less than a debug build's addon.
max_body_size: 200mb
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
YAML
echo "== test-install: Verdaccio $verdaccio_version on $registry"
"$verdaccio_dir/node_modules/.bin/verdaccio" --config "$work/verdaccio/config.yaml" --listen "127.0.0.1:$port" \
  >"$work/verdaccio/log" 2>&1 &
verdaccio_pid=$!
for _ in $(seq 1 120); do
  curl -sf "$registry/-/ping" >/dev/null && break
  kill -0 "$verdaccio_pid" 2>/dev/null || { cat "$work/verdaccio/log" >&2; echo "test-install: Verdaccio exited" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$registry/-/ping" >/dev/null || { cat "$work/verdaccio/log" >&2; echo "test-install: Verdaccio did not start" >&2; exit 1; }

# A publisher account (htpasswd), and an npmrc with its token for the release script.
token="$(curl -sf -X PUT -H 'content-type: application/json' \
  -d '{"name":"kafka-native-release","password":"kafka-native-release"}' \
  "$registry/-/user/org.couchdb.user:kafka-native-release" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).token))')"
printf '//127.0.0.1:%s/:_authToken=%s\n' "$port" "$token" >"$work/publisher.npmrc"

echo "== test-install: publish (scripts/release.sh)"
NPM_CONFIG_USERCONFIG="$work/publisher.npmrc" npm_config_loglevel=warn bash scripts/release.sh --registry "$registry" --allow-missing >/dev/null
version="$(node -p 'require("./package.json").version')"

echo "== test-install: npm install in a clean directory without cargo or rustc"
# PATH: node and npm, and the system's tools; none of Rust's.
clean_path="$(dirname "$(command -v node)"):$(dirname "$(command -v npm)"):/usr/bin:/bin"
if PATH="$clean_path" command -v cargo >/dev/null || PATH="$clean_path" command -v rustc >/dev/null; then
  echo "test-install: cargo or rustc is on the clean PATH ($clean_path)" >&2
  exit 1
fi
app="$work/app"
mkdir -p "$app"
printf '{ "name": "install-check", "version": "0.0.0", "private": true }\n' >"$app/package.json"
printf 'registry=%s\n' "$registry" >"$app/.npmrc"
cp scripts/install-check.js "$app/"
(
  cd "$app"
  PATH="$clean_path" NPM_CONFIG_USERCONFIG="$app/.npmrc" npm_config_cache="$work/npm-cache" \
    npm install --no-audit --no-fund --foreground-scripts "@cosmic-horizons/kafka-native@$version" 2>&1 | tee "$work/install.log"
  # No script of the package runs on install, and the main package carries no addon of its own.
  if grep -q '^> @cosmic-horizons' "$work/install.log"; then
    echo "test-install: npm ran a script of the package on install" >&2
    exit 1
  fi
  node -e '
    const m = require("@cosmic-horizons/kafka-native/package.json");
    if (m.scripts) throw new Error("the published package.json has scripts: " + Object.keys(m.scripts));
  '
  if compgen -G 'node_modules/@cosmic-horizons/kafka-native/*.node' >/dev/null; then
    echo "test-install: the main package carries an addon" >&2
    exit 1
  fi
  PATH="$clean_path" node install-check.js
)

if [ "${SKIP_EXAMPLE:-0}" != 1 ]; then
  echo "== test-install: examples/cosmic-horizons-api with the package from $registry"
  example="$work/example"
  mkdir -p "$example"
  # The app's sources and manifests; its other dependencies from npm's registry, as its lockfile says.
  cp -r examples/cosmic-horizons-api/{package.json,package-lock.json,tsconfig.json,tsconfig.build.json,src} "$example/"
  printf '@cosmic-horizons:registry=%s\n' "$registry" >"$example/.npmrc"
  (
    cd "$example"
    PATH="$clean_path" npm ci --no-audit --no-fund >/dev/null
    PATH="$clean_path" npm install --no-save --no-audit --no-fund "@cosmic-horizons/kafka-native@$version" >/dev/null
    PATH="$clean_path" npx tsc -p tsconfig.build.json --noEmit
    PATH="$clean_path" node -e "require('@cosmic-horizons/kafka-native/nestjs'); require('@cosmic-horizons/kafka-native/kafkajs'); console.log('test-install: the example installed @cosmic-horizons/kafka-native ' + require('@cosmic-horizons/kafka-native/package.json').version + ' from $registry and type-checks')"
  )
fi
echo "test-install: ok"
cd "$root"
