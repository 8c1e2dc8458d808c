#!/usr/bin/env bash
# Run a class from the Kafka 4.1.1 jars (tools JVM: small heap, C1 only, WARN logs to stderr).
#   scripts/kafka/run-class.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:19092 --list
#   scripts/kafka/run-class.sh org.apache.kafka.tools.ConsoleProducer --bootstrap-server ... --topic t < lines.txt
#   scripts/kafka/run-class.sh org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server ... --topic t --from-beginning --max-messages 3
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
(($#)) || kn_die "usage: $0 CLASS [ARGS...]"
kn_find_java
kn_classpath
kn_tool_jvm_opts
# shellcheck disable=SC2206
extra=(${KAFKA_NATIVE_TOOL_OPTS:-})
exec "$KN_JAVA" "${KN_TOOL_OPTS[@]}" ${extra[@]+"${extra[@]}"} -cp "$KN_CP" "$@"
