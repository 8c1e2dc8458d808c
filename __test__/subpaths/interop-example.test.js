'use strict';

// examples/telemetry-producer (../interop/example.suite.js) on the mock cluster.

const { useInteropCluster } = require('../interop/cluster');

require('../interop/example.suite')(useInteropCluster({ real: false }));
