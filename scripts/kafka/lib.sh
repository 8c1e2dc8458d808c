# shellcheck shell=bash
# Shared helpers for scripts/kafka/*.sh. Sourced, not executed.
#
# Conventions:
#   * stdout is reserved for the scripts' results (the bootstrap servers line);
#     every diagnostic goes to stderr.
#   * RUN_DIR layout (created by up.sh):
#       RUN_DIR/cluster.env          nodes, ports, cluster id (key=value)
#       RUN_DIR/bootstrap            bootstrap servers, one line
#       RUN_DIR/node-N/server.properties
#       RUN_DIR/node-N/pid           pid of the node's JVM (only while running)
#       RUN_DIR/node-N/server.log    broker log (log4j2), state-change.log, stdout.log
#       RUN_DIR/node-N/data/         KRaft metadata log + partition data

KN_KAFKA_VERSION=4.1.1
KN_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KN_CACHE_DIR="${KAFKA_NATIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-native}/kafka-${KN_KAFKA_VERSION}"
KN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# Defaults per cluster size; the 1-node and 3-node clusters can run side by side.
KN_DEFAULT_BASE_PORT_1=19092 # broker 19092, controller 19102
KN_DEFAULT_BASE_PORT_3=19192 # brokers 19192-19194, controllers 19202-19204
KN_CONTROLLER_PORT_OFFSET=10

# shellcheck source=security.sh
source "$KN_SCRIPT_DIR/security.sh"
# shellcheck source=../lib/detach.sh
source "$KN_SCRIPT_DIR/../lib/detach.sh"
KN_SECURITY=0

# node -> byte offset in its server.log after which "Kafka Server started" must appear.
declare -gA KN_LOG_OFFSETS=()

kn_log() { printf '[kafka] %s\n' "$*" >&2; }
kn_die() {
  printf '[kafka] ERROR: %s\n' "$*" >&2
  exit 1
}

kn_now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------------
# Argument helpers
# ---------------------------------------------------------------------------

kn_check_nodes() {
  case "$1" in
    1 | 3) ;;
    *) kn_die "--nodes must be 1 or 3 (got '$1')" ;;
  esac
}

kn_check_uint() { # name value
  [[ "$2" =~ ^[0-9]+$ ]] || kn_die "$1 must be a non-negative integer (got '$2')"
}

kn_default_run_dir() { # nodes [secure 0|1]
  local base="${KAFKA_NATIVE_RUN_DIR:-${TMPDIR:-/tmp}/kafka-native-kafka}" suffix=""
  base="${base%/}"
  [[ "${2:-0}" == 1 ]] && suffix="-secure"
  if [[ "$1" == 1 ]]; then
    printf '%s%s\n' "$base" "$suffix"
  else
    printf '%s-%s%s\n' "$base" "$1" "$suffix"
  fi
}

kn_default_base_port() { # nodes [secure 0|1]
  if [[ "${2:-0}" == 1 ]]; then
    if [[ "$1" == 1 ]]; then echo "$KN_SECURE_BASE_PORT_1"; else echo "$KN_SECURE_BASE_PORT_3"; fi
  elif [[ "$1" == 1 ]]; then echo "$KN_DEFAULT_BASE_PORT_1"; else echo "$KN_DEFAULT_BASE_PORT_3"; fi
}

kn_abs_path() { # path (may not exist yet)
  case "$1" in
    /*) printf '%s\n' "${1%/}" ;;
    *) printf '%s/%s\n' "$(pwd)" "${1%/}" ;;
  esac
}

# ---------------------------------------------------------------------------
# Java + classpath
# ---------------------------------------------------------------------------

kn_find_java() {
  if [[ -n "${KN_JAVA:-}" ]]; then return 0; fi
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    KN_JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    KN_JAVA="$(command -v java)"
  else
    kn_die "java not found (Kafka ${KN_KAFKA_VERSION} needs Java 17+; set JAVA_HOME or put java on PATH)"
  fi
  local ver major
  ver="$("$KN_JAVA" -version 2>&1 </dev/null | awk -F'"' '/version/ {print $2; exit}')"
  major="${ver%%.*}"
  if [[ "$major" == 1 ]]; then major="$(echo "$ver" | cut -d. -f2)"; fi
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 17)); then
    kn_die "Kafka ${KN_KAFKA_VERSION} needs Java 17+, but $KN_JAVA is version '${ver:-unknown}'"
  fi
}

# Sets KN_CP. Fast path: reads the cached classpath file (no Maven) when the pom
# has not changed and every jar still exists. Slow path: `mvn dependency:build-classpath`
# (jars land in Maven's local repository, ~/.m2 by default), under a lock.
kn_classpath() {
  if [[ -n "${KN_CP:-}" ]]; then return 0; fi
  local pom="$KN_SCRIPT_DIR/pom.xml"
  local cp_file="$KN_CACHE_DIR/classpath.txt"
  local sum_file="$KN_CACHE_DIR/pom.sha256"
  local want_sum
  want_sum="$(sha256sum "$pom" | cut -d' ' -f1)"

  if kn_classpath_cached "$cp_file" "$sum_file" "$want_sum"; then return 0; fi

  mkdir -p "$KN_CACHE_DIR"
  local lock_fd
  exec {lock_fd}>"$KN_CACHE_DIR/.lock"
  flock "$lock_fd"
  # Somebody else may have resolved it while we waited for the lock.
  if kn_classpath_cached "$cp_file" "$sum_file" "$want_sum"; then
    exec {lock_fd}>&-
    return 0
  fi

  command -v mvn >/dev/null 2>&1 || kn_die "mvn (Maven 3.6.3+) not found; it is needed once to download the Kafka ${KN_KAFKA_VERSION} jars"
  local mvn_log="$KN_CACHE_DIR/mvn.log" tmp="$KN_CACHE_DIR/classpath.txt.tmp.$$"
  local t0
  t0="$(kn_now_ms)"
  # shellcheck disable=SC2206
  local mvn_extra=(${KAFKA_NATIVE_MVN_ARGS:-})
  kn_log "resolving Kafka ${KN_KAFKA_VERSION} jars with Maven (first run only; log: $mvn_log)"
  # Maven output goes to a log file, never to our stdout.
  if ! (cd "$KN_SCRIPT_DIR" && mvn -B -q -Dstyle.color=never -f "$pom" \
    "${KN_DEPENDENCY_PLUGIN}:build-classpath" \
    -Dmdep.outputFile="$tmp" -Dmdep.includeScope=runtime \
    ${mvn_extra[@]+"${mvn_extra[@]}"}) </dev/null >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2 || true
    rm -f "$tmp"
    exec {lock_fd}>&-
    kn_die "Maven failed to resolve the Kafka jars (full log: $mvn_log)"
  fi
  [[ -s "$tmp" ]] || kn_die "Maven produced an empty classpath (log: $mvn_log)"
  mv -f "$tmp" "$cp_file"
  printf '%s\n' "$want_sum" >"$sum_file"
  exec {lock_fd}>&-
  kn_log "resolved $(tr ':' '\n' <"$cp_file" | grep -c .) jars in $(($(kn_now_ms) - t0)) ms; cached in $cp_file"
  kn_classpath_cached "$cp_file" "$sum_file" "$want_sum" || kn_die "resolved classpath is unusable: $cp_file"
}

kn_classpath_cached() { # cp_file sum_file want_sum ; sets KN_CP on success
  [[ -s "$1" && -s "$2" ]] || return 1
  [[ "$(cat "$2")" == "$3" ]] || return 1
  local cp jar
  cp="$(cat "$1")"
  local IFS=':'
  for jar in $cp; do
    [[ -f "$jar" ]] || return 1
  done
  KN_CP="$cp"
}

# Extra options for short-lived tool JVMs (TopicCommand, StorageTool, ...):
# C1 only + serial GC = less CPU spent on a JVM that lives for a second.
kn_tool_jvm_opts() {
  KN_TOOL_OPTS=(-Xms16m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
    -Djava.awt.headless=true "-Dlog4j2.configurationFile=$KN_SCRIPT_DIR/tools-log4j2.xml")
}

# kn_run_tool CLASS ARGS... : run a Kafka class (tool) in the foreground.
# Extra JVM options can be given in KAFKA_NATIVE_TOOL_OPTS.
kn_run_tool() {
  kn_find_java
  kn_classpath
  kn_tool_jvm_opts
  # shellcheck disable=SC2206
  local extra=(${KAFKA_NATIVE_TOOL_OPTS:-})
  "$KN_JAVA" "${KN_TOOL_OPTS[@]}" ${extra[@]+"${extra[@]}"} -cp "$KN_CP" "$@"
}

# ---------------------------------------------------------------------------
# Cluster layout
# ---------------------------------------------------------------------------

kn_broker_port() { echo $((KN_BASE_PORT + $1 - 1)); }
kn_controller_port() { echo $((KN_BASE_PORT + KN_CONTROLLER_PORT_OFFSET + $1 - 1)); }

kn_bootstrap_for() { # nodes base_port
  local i out=""
  for ((i = 1; i <= $1; i++)); do
    out+="${out:+,}127.0.0.1:$(($2 + i - 1))"
  done
  echo "$out"
}

# Reads RUN_DIR/cluster.env into KN_NODES, KN_BASE_PORT, KN_CLUSTER_ID, KN_BOOTSTRAP.
# shellcheck disable=SC2034
kn_load_cluster_env() { # run_dir
  local f="$1/cluster.env" k v
  [[ -f "$f" ]] || return 1
  KN_NODES="" KN_BASE_PORT="" KN_CLUSTER_ID="" KN_BOOTSTRAP="" KN_SECURITY=0
  while IFS='=' read -r k v; do
    case "$k" in
      security) KN_SECURITY="$v" ;;
      nodes) KN_NODES="$v" ;;
      base_port) KN_BASE_PORT="$v" ;;
      cluster_id) KN_CLUSTER_ID="$v" ;;
      bootstrap) KN_BOOTSTRAP="$v" ;;
    esac
  done <"$f"
  [[ "$KN_NODES" =~ ^[0-9]+$ && "$KN_BASE_PORT" =~ ^[0-9]+$ && -n "$KN_BOOTSTRAP" ]]
}

kn_random_cluster_id() {
  # Same format as `kafka-storage.sh random-uuid`: 16 random bytes, base64url, no
  # padding, not starting with '-'. Done in bash to save a JVM start.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ ${#id} == 22 && "$id" != -* && "$id" != AAAAAAAAAAAAAAAAAAAAAA ]] && break
  done
  echo "$id"
}

# Writes RUN_DIR/node-N/server.properties (uses KN_RUN_DIR, KN_NODES, KN_BASE_PORT).
kn_write_server_properties() { # node
  local n="$1" dir="$KN_RUN_DIR/node-$1" i quorum=""
  local rf=$((KN_NODES < 3 ? KN_NODES : 3))
  local min_isr=$((rf > 1 ? 2 : 1))
  mkdir -p "$dir/data"
  if ((KN_NODES == 1)); then
    quorum="controller.quorum.bootstrap.servers=127.0.0.1:$(kn_controller_port 1)"
  else
    local voters=""
    for ((i = 1; i <= KN_NODES; i++)); do
      voters+="${voters:+,}$i@127.0.0.1:$(kn_controller_port "$i")"
    done
    quorum="controller.quorum.voters=$voters"
  fi
  cat >"$dir/server.properties" <<EOF
# Generated by scripts/kafka/up.sh ($(date -u +%Y-%m-%dT%H:%M:%SZ)). Kafka ${KN_KAFKA_VERSION}, KRaft, ${KN_NODES} node(s).
process.roles=broker,controller
node.id=$n
listeners=PLAINTEXT://127.0.0.1:$(kn_broker_port "$n"),CONTROLLER://127.0.0.1:$(kn_controller_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kn_broker_port "$n")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
$quorum
log.dirs=$dir/data

# Test-friendly settings.
auto.create.topics.enable=true
num.partitions=1
default.replication.factor=$rf
group.initial.rebalance.delay.ms=0
# Faster failure detection / re-registration for fault tests (defaults 2000 / 9000):
# a killed broker is fenced after 6 s, and a restarted one can re-register after that.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
EOF
  if [[ "$KN_SECURITY" == 1 ]]; then
    {
      printf '\n# --security: SASL_SSL, mutual TLS and expired-certificate listeners (scripts/kafka/security.sh)\n'
      kn_security_properties "$n"
    } >>"$dir/server.properties"
  fi
  if [[ -n "${KAFKA_NATIVE_EXTRA_PROPS:-}" ]]; then
    [[ -f "$KAFKA_NATIVE_EXTRA_PROPS" ]] || kn_die "KAFKA_NATIVE_EXTRA_PROPS=$KAFKA_NATIVE_EXTRA_PROPS is not a file"
    {
      printf '\n# Appended from KAFKA_NATIVE_EXTRA_PROPS=%s\n' "$KAFKA_NATIVE_EXTRA_PROPS"
      cat "$KAFKA_NATIVE_EXTRA_PROPS"
    } >>"$dir/server.properties"
  fi
}

# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

# Is PID a live JVM running node N of KN_RUN_DIR? (guards against pid reuse)
kn_pid_is_node() { # pid node
  local pid="$1" cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *" kafka.Kafka $KN_RUN_DIR/node-$2/server.properties"* ]] || return 1
  # A zombie (exited, not yet reaped) has an empty cmdline, so it fails above.
}

# Prints the pid of node N if it is running, else returns 1.
kn_node_pid() { # node
  local f="$KN_RUN_DIR/node-$1/pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null)" || return 1
  kn_pid_is_node "$pid" "$1" || return 1
  echo "$pid"
}

kn_node_state() { # pid -> R/S/T/... from /proc
  awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true
}

# Starts node N detached (own session, stdin from /dev/null, output to files) and
# writes RUN_DIR/node-N/pid. Does not wait for readiness.
kn_start_node() { # node
  local n="$1" dir="$KN_RUN_DIR/node-$1"
  kn_find_java
  kn_classpath
  # shellcheck disable=SC2206
  local heap=(${KAFKA_NATIVE_HEAP_OPTS:--Xms64m -Xmx1g})
  # shellcheck disable=SC2206
  local extra=(${KAFKA_NATIVE_JVM_OPTS:-})
  local jvm=(
    "${heap[@]}"
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15
    "-XX:ErrorFile=$dir/hs_err_pid%p.log"
    -Djava.awt.headless=true
    "-Dkafka.logs.dir=$dir"
    "-Dlog4j2.configurationFile=$KN_SCRIPT_DIR/log4j2.xml"
    ${extra[@]+"${extra[@]}"}
  )
  {
    printf '\n===== %s starting node %s =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$n"
  } >>"$dir/stdout.log"
  kn_start_detached "$dir" kafka-native-node "$dir/stdout.log" \
    "$KN_JAVA" "${jvm[@]}" -cp "$KN_CP" kafka.Kafka "$dir/server.properties" ||
    kn_die "node $n did not start (no pid file); see $dir/stdout.log"
  kn_log "node $n started (pid $(cat "$dir/pid"), broker 127.0.0.1:$(kn_broker_port "$n"), controller 127.0.0.1:$(kn_controller_port "$n"))"
}

# Sends SIG to node N (if running) and waits up to TIMEOUT s for it to exit;
# escalates to SIGKILL after the timeout. Returns 0 when the node is not running.
kn_stop_nodes() { # signal timeout_s node...
  local sig="$1" timeout="$2" n pid
  shift 2
  local -A pids=()
  for n in "$@"; do
    if pid="$(kn_node_pid "$n")"; then
      pids[$n]="$pid"
      # A paused (SIGSTOPped) JVM cannot act on SIGTERM; resume it first.
      kill -CONT "$pid" 2>/dev/null || true
      kill "-$sig" "$pid" 2>/dev/null || true
      kn_log "node $n: sent SIG$sig to pid $pid"
    fi
  done
  ((${#pids[@]} > 0)) || return 0
  local deadline=$(($(kn_now_ms) + timeout * 1000)) left
  while :; do
    left=0
    for n in "${!pids[@]}"; do
      if kn_pid_is_node "${pids[$n]}" "$n"; then left=1; fi
    done
    ((left)) || break
    if (($(kn_now_ms) > deadline)); then
      for n in "${!pids[@]}"; do
        if kn_pid_is_node "${pids[$n]}" "$n"; then
          kn_log "node $n: still running after ${timeout}s, sending SIGKILL to pid ${pids[$n]}"
          kill -KILL "${pids[$n]}" 2>/dev/null || true
        fi
      done
      deadline=$(($(kn_now_ms) + 10000))
      sig=KILL
    fi
    sleep 0.1
  done
  for n in "${!pids[@]}"; do
    rm -f "$KN_RUN_DIR/node-$n/pid"
    kn_log "node $n: stopped"
  done
}

kn_tail_node_logs() { # node [lines]
  local dir="$KN_RUN_DIR/node-$1" lines="${2:-30}" f
  for f in "$dir/server.log" "$dir/stdout.log"; do
    if [[ -s "$f" ]]; then
      printf -- '----- tail -n %s %s -----\n' "$lines" "$f" >&2
      tail -n "$lines" "$f" >&2 || true
    fi
  done
}

# Size in bytes of node N's server.log (used to look for log lines written after a given point).
kn_log_size() { stat -c %s "$KN_RUN_DIR/node-$1/server.log" 2>/dev/null || echo 0; }

# Has node N logged "Kafka Server started" past byte OFFSET of server.log?
# (KafkaRaftServer logs it once the broker has caught up and been unfenced.)
kn_node_logged_started() { # node offset
  local f="$KN_RUN_DIR/node-$1/server.log" off="$2" size
  [[ -f "$f" ]] || return 1
  size="$(stat -c %s "$f" 2>/dev/null || echo 0)"
  if ((size < off)); then off=0; fi # log rolled over
  # Not `tail | grep -q`: under pipefail, tail's SIGPIPE would turn a match into a failure.
  if ((off == 0)); then
    grep -q 'Kafka Server started' "$f"
  else
    grep -q 'Kafka Server started' < <(tail -c +"$((off + 1))" "$f" 2>/dev/null)
  fi
}

# Number of brokers in the cluster metadata (only registered, unfenced brokers are listed).
# Prints the broker ids, one per line.
kn_live_broker_ids() {
  local out
  out="$(timeout 30 "$KN_JAVA" "${KN_TOOL_OPTS[@]}" -cp "$KN_CP" \
    org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$KN_BOOTSTRAP" \
    </dev/null 2>/dev/null)" || return 1
  printf '%s\n' "$out" | sed -n 's/^[^ ]* (id: \([0-9]*\) rack: .*/\1/p' | sort -n
}

# Waits until every node in WAIT_NODES has logged "Kafka Server started" after its
# offset in KN_LOG_OFFSETS[node] and the metadata lists all of REQUIRE_IDS as live brokers.
# On timeout / node death: prints log tails and returns 1.
kn_wait_ready() { # timeout_s "wait nodes" "required broker ids"
  local timeout="$1" wait_nodes="$2" require="$3" n
  kn_tool_jvm_opts
  local start deadline pending ids missing
  local -A started=()
  start="$(kn_now_ms)"
  deadline=$((start + timeout * 1000))
  while :; do
    pending=""
    for n in $wait_nodes; do
      if ! kn_node_pid "$n" >/dev/null; then
        kn_log "node $n exited during startup"
        kn_tail_node_logs "$n" 40
        return 1
      fi
      if [[ -z "${started[$n]:-}" ]]; then
        if kn_node_logged_started "$n" "${KN_LOG_OFFSETS[$n]:-0}"; then
          started[$n]=1
        else
          pending+=" $n"
        fi
      fi
    done
    if [[ -z "$pending" ]]; then
      ids="$(kn_live_broker_ids || true)"
      missing=""
      for n in $require; do
        grep -qx "$n" <<<"$ids" || missing+=" $n"
      done
      if [[ -z "$missing" ]]; then
        # shellcheck disable=SC2034 # used by callers
        KN_READY_MS=$(($(kn_now_ms) - start))
        return 0
      fi
      pending="(metadata is missing broker(s)$missing)"
    fi
    if (($(kn_now_ms) > deadline)); then
      kn_log "timed out after ${timeout}s waiting for the cluster in $KN_RUN_DIR; not ready: $pending"
      for n in $wait_nodes; do kn_tail_node_logs "$n" 30; done
      return 1
    fi
    if [[ "$pending" == "("* ]]; then sleep 1; else sleep 0.25; fi
  done
}
