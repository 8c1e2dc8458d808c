# shellcheck shell=bash
# Shared helpers for scripts/registry/*.sh (sourced). stdout carries only the scripts' result (the
# registry URL); diagnostics go to stderr.
#
# RUN_DIR layout (created by up.sh): RUN_DIR/pid (the JVM's pid while it runs), RUN_DIR/port,
# RUN_DIR/url, RUN_DIR/registry.log.

KN_REGISTRY_VERSION=3.0.9
KN_REGISTRY_DEFAULT_PORT=18081
KN_REGISTRY_CACHE="${KAFKA_NATIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-native}/apicurio-registry-${KN_REGISTRY_VERSION}"
KN_REGISTRY_JAR="$KN_REGISTRY_CACHE/apicurio-registry-app-${KN_REGISTRY_VERSION}-runner.jar"
# The zip's path in a Maven repository (io.apicurio:apicurio-registry-app:3.0.9:zip:all).
KN_REGISTRY_ZIP_PATH="io/apicurio/apicurio-registry-app/${KN_REGISTRY_VERSION}/apicurio-registry-app-${KN_REGISTRY_VERSION}-all.zip"

# The Maven repository to fetch from: KAFKA_NATIVE_MAVEN_REPO, else Maven's own central
# repository as its super POM names it (asked of Maven, so that a mirror set up for Maven is the
# only configuration there is).
kr_maven_repo() {
  if [[ -n "${KAFKA_NATIVE_MAVEN_REPO:-}" ]]; then
    printf '%s\n' "${KAFKA_NATIVE_MAVEN_REPO%/}"
    return
  fi
  local here url
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  url="$(mvn -q -f "$here/../kafka/pom.xml" help:evaluate -Dexpression='project.repositories[0].url' -DforceStdout 2>/dev/null |
    sed 's/\x1b\[[0-9;]*m//g')" || kr_die "cannot ask Maven for its central repository"
  [[ "$url" == http* ]] || kr_die "Maven named no central repository (got '$url')"
  printf '%s\n' "${url%/}"
}

kr_log() { printf '[registry] %s\n' "$*" >&2; }
kr_die() {
  printf '[registry] ERROR: %s\n' "$*" >&2
  exit 1
}
kr_now_ms() { date +%s%3N; }

kr_default_run_dir() {
  local base="${KAFKA_NATIVE_REGISTRY_RUN_DIR:-${TMPDIR:-/tmp}/kafka-native-registry}"
  printf '%s\n' "${base%/}"
}

kr_abs_path() { mkdir -p "$1" && (cd "$1" && pwd); }

# The JVM's pid when RUN_DIR/pid names a live registry process.
kr_pid() { # run_dir
  local pid
  pid="$(cat "$1/pid" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  grep -q "apicurio-registry-app" "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

# Downloads (once; sha1-checked) and unpacks the registry into the cache. Maven cannot resolve this
# artifact from Central (its parent POM io.apicurio:apicurio-registry:3.0.9 is not published there,
# so `mvn dependency:copy` fails on the descriptor); the zip itself is fetched from Central's layout.
kr_install() {
  [[ -f "$KN_REGISTRY_JAR" ]] && return 0
  mkdir -p "$KN_REGISTRY_CACHE"
  exec {install_fd}>"$KN_REGISTRY_CACHE/.lock"
  flock "$install_fd"
  if [[ ! -f "$KN_REGISTRY_JAR" ]]; then
    command -v curl >/dev/null || kr_die "curl not found (needed once to download the registry)"
    command -v unzip >/dev/null || kr_die "unzip not found (apt-get install unzip)"
    local zip="$KN_REGISTRY_CACHE/apicurio-registry-app-${KN_REGISTRY_VERSION}-all.zip" want got
    local KN_REGISTRY_ZIP_URL
    KN_REGISTRY_ZIP_URL="$(kr_maven_repo)/$KN_REGISTRY_ZIP_PATH"
    want="$(curl -fsSL "$KN_REGISTRY_ZIP_URL.sha1")" || kr_die "cannot fetch $KN_REGISTRY_ZIP_URL.sha1"
    want="${want%% *}"
    got="$(sha1sum "$zip" 2>/dev/null | cut -d' ' -f1 || true)"
    if [[ "$got" != "$want" ]]; then
      kr_log "downloading Apicurio Registry ${KN_REGISTRY_VERSION} (109 MB, first run only)"
      curl -fsSL --retry 3 -o "$zip.part" "$KN_REGISTRY_ZIP_URL" || kr_die "download failed: $KN_REGISTRY_ZIP_URL"
      got="$(sha1sum "$zip.part" | cut -d' ' -f1)"
      [[ "$got" == "$want" ]] || kr_die "checksum mismatch for $KN_REGISTRY_ZIP_URL (sha1 $got, want $want)"
      mv -f "$zip.part" "$zip"
    fi
    local tmp="$KN_REGISTRY_CACHE/unpack.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    unzip -q "$zip" -d "$tmp" || kr_die "cannot unpack $zip"
    local jar
    jar="$(find "$tmp" -name "apicurio-registry-app-${KN_REGISTRY_VERSION}-runner.jar" | head -n 1)"
    [[ -n "$jar" ]] || kr_die "no runner jar in $zip"
    cp -a "$(dirname "$jar")/." "$KN_REGISTRY_CACHE/"
    rm -rf "$tmp" "$zip"
  fi
  flock -u "$install_fd"
}
