# shellcheck shell=bash
# Shared by scripts/kafka/ and scripts/registry/ (sourced): a server started detached from its
# caller, with its pid in a file, and the check for a port already taken.

# Is something listening on 127.0.0.1:PORT?
kn_port_open() { # port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Runs COMMAND in DIR in its own session, stdin from /dev/null and stdout/stderr appended to LOG;
# the inner bash writes its pid (the command's, after exec) to DIR/pid, closes every inherited fd
# above 2 (so a caller's pipes are never held open) and ignores SIGHUP. Waits up to 5 s for the
# pid file; returns 1 when it did not appear.
kn_start_detached() { # dir name log command...
  local dir="$1" name="$2" log="$3" i
  shift 3
  rm -f "$dir/pid" "$dir/pid.tmp"
  # shellcheck disable=SC2016
  setsid bash -c '
    dir="$1"; shift
    for fd in $(ls /proc/$$/fd 2>/dev/null); do
      if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    trap "" HUP
    cd "$dir" || exit 1
    echo $$ > pid.tmp && mv -f pid.tmp pid
    exec "$@"
  ' "$name" "$dir" "$@" </dev/null >>"$log" 2>&1 &
  for ((i = 0; i < 100; i++)); do
    [[ -s "$dir/pid" ]] && return 0
    sleep 0.05
  done
  [[ -s "$dir/pid" ]]
}
