'use strict';

module.exports = { ...require('./telemetry.service'), ...require('./notification.service') };
