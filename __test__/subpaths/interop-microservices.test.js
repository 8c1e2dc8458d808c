'use strict';

// The native microservices transport against NestJS's stock Transport.KAFKA
// (../interop/microservices.suite.js), on the mock cluster.

const { useInteropCluster } = require('../interop/cluster');

require('../interop/microservices.suite')(useInteropCluster({ real: false }));
