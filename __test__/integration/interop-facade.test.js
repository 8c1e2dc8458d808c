'use strict';

// The facade parity suite (../interop/facade-parity.suite.js) on Apache Kafka (KAFKA_BROKERS).

const { useInteropCluster } = require('../interop/cluster');

require('../interop/facade-parity.suite')(useInteropCluster({ real: true }));
