# shellcheck shell=bash
# A time limit per test step, for scripts/test.sh. Sourced, not executed.
#
#   step NAME SECONDS command...
#
# runs the command in a process group of its own. Past its limit (SECONDS, or
# TEST_TIMEOUT_<NAME> with NAME upper-cased and non-alphanumerics as _, times TEST_TIMEOUT_SCALE
# when set) it says which step hung, prints what every Node process of the step still holds
# (libuv handles, JS stack, thread names: a Node diagnostic report, see watchdog-report.js), then
# stops the group with SIGTERM (the step's own EXIT traps stop the brokers it started) and, 60 s
# later, SIGKILL. The step then fails with status 124.

WATCHDOG_REPORTS="${WATCHDOG_REPORTS:-$(mktemp -d -t kafka-native-watchdog.XXXXXX)}"

# The Node processes (jest, its workers, test children) of process group $1.
_watchdog_node_pids() {
  ps -eo pid=,pgid=,comm= | awk -v g="$1" '$2 == g && $3 == "node" { print $1 }'
}

_watchdog_stop() {
  local name=$1 limit=$2 pgid=$3 pid
  echo "== watchdog: step '$name' still running after ${limit} s: stopping it (limit: TEST_TIMEOUT_$(_watchdog_key "$name"), TEST_TIMEOUT_SCALE)" >&2
  for pid in $(_watchdog_node_pids "$pgid"); do
    echo "-- node process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)); threads:" \
      "$(cat /proc/"$pid"/task/*/comm 2>/dev/null | sort | uniq -c | awk '{ printf "%s×%s ", $2, $1 }')" >&2
    kill -USR2 "$pid" 2>/dev/null || true
  done
  sleep 3
  node "$(dirname "${BASH_SOURCE[0]}")/watchdog-report.js" "$WATCHDOG_REPORTS" >&2 || true
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 60); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 1
  done
  echo "== watchdog: step '$name' did not stop on SIGTERM; killing it" >&2
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

_watchdog_key() {
  echo "$1" | tr '[:lower:]' '[:upper:]' | tr -c 'A-Z0-9\n' '_'
}

step() {
  local name=$1 seconds=$2
  shift 2
  local key override limit pid status start=$SECONDS
  key="$(_watchdog_key "$name")"
  override="TEST_TIMEOUT_${key}"
  limit="${!override:-$seconds}"
  limit="$(awk -v l="$limit" -v s="${TEST_TIMEOUT_SCALE:-1}" 'BEGIN { printf "%d", l * s }')"
  echo "== $name (time limit ${limit} s)"
  mkdir -p "$WATCHDOG_REPORTS"
  # setsid: a process group (and session) of its own, so that the whole step can be stopped.
  NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--report-on-signal --report-signal=SIGUSR2 --report-directory=$WATCHDOG_REPORTS" \
    setsid "$@" &
  pid=$!
  _WATCHDOG_PGID=$pid
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - start >= limit)); then
      _watchdog_stop "$name" "$limit" "$pid"
      wait "$pid" 2>/dev/null || true
      _WATCHDOG_PGID=
      echo "== watchdog: step '$name' FAILED: it hung (killed after ${limit} s)" >&2
      return 124
    fi
    sleep 1
  done
  _WATCHDOG_PGID=
  status=0
  wait "$pid" || status=$?
  return "$status"
}

# Stops a step still running when test.sh itself is interrupted.
watchdog_cleanup() {
  if [ -n "${_WATCHDOG_PGID:-}" ]; then
    kill -TERM -- "-$_WATCHDOG_PGID" 2>/dev/null || true
    for _ in $(seq 60); do
      kill -0 -- "-$_WATCHDOG_PGID" 2>/dev/null || break
      sleep 1
    done
    kill -KILL -- "-$_WATCHDOG_PGID" 2>/dev/null || true
  fi
  rm -rf "$WATCHDOG_REPORTS"
}
