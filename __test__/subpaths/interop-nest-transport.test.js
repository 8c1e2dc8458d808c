'use strict';

// NestJS's Transport.KAFKA over the facade (../interop/nest-transport.suite.js) on the mock cluster.

const { useInteropCluster } = require('../interop/cluster');

require('../interop/nest-transport.suite')(useInteropCluster({ real: false }));
