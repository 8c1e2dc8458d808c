'use strict';

// examples/telemetry-producer (../interop/example.suite.js) on Apache Kafka.

const { useInteropCluster } = require('../interop/cluster');

require('../interop/example.suite')(useInteropCluster({ real: true }));
