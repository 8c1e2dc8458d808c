#!/usr/bin/env bash
# Publishes the main package and its platform packages, all at one version, to a registry.
#
#   scripts/release.sh --registry URL [--version X.Y.Z] [--tag TAG] [--allow-missing] [--dry-run]
#
# --version sets the version of package.json and of every npm/<platform>/package.json (commit
# them). The platform packages are published first, then the main package, whose
# optionalDependencies name them (scripts/stage-packages.js stages each as users get it: no
# install or build script). A release needs the addon of every target in package.json's
# napi.targets (scripts/build-platforms.sh for Linux; darwin and win32 from machines of their
# kind); --allow-missing publishes those present, and the main package depends on those only.
# Authentication is npm's own (`npm login --registry URL`, or an npmrc with its token).
set -euo pipefail
cd "$(dirname "$0")/.."

registry=""
version=""
tag=""
stage_flags=()
publish_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --registry) registry="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --allow-missing) stage_flags+=(--allow-missing); shift ;;
    --dry-run) publish_flags+=(--dry-run); shift ;;
    *) echo "release: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$registry" ] || { echo "release: --registry URL is required" >&2; exit 2; }
[ -z "$tag" ] || publish_flags+=(--tag "$tag")

if [ -n "$version" ]; then
  npm version "$version" --no-git-tag-version --allow-same-version >/dev/null
  npx napi version
fi

npm run --silent build:ts
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mapfile -t dirs < <(node scripts/stage-packages.js "$stage/packages" "${stage_flags[@]}")
for dir in "${dirs[@]}"; do
  # --ignore-scripts: the staged manifests have none; nothing of the repository's may run.
  npm publish "$dir" --registry "$registry" --access public --ignore-scripts "${publish_flags[@]}"
done
