#!/usr/bin/env bash
# Print the Kafka 4.1.1 runtime classpath (resolving the jars with Maven on first use).
#   java -cp "$(scripts/kafka/classpath.sh)" org.apache.kafka.tools.TopicCommand ...
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kn_classpath
printf '%s\n' "$KN_CP"
