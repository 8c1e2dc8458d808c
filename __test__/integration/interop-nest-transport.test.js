'use strict';

// NestJS's Transport.KAFKA over the facade (../interop/nest-transport.suite.js) on Apache Kafka.

const { useInteropCluster } = require('../interop/cluster');

require('../interop/nest-transport.suite')(useInteropCluster({ real: true }));
