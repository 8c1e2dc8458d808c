'use strict';

// The facade parity suite (../interop/facade-parity.suite.js) on the mock cluster.

const { useInteropCluster } = require('../interop/cluster');

require('../interop/facade-parity.suite')(useInteropCluster({ real: false }));
