'use strict';
// The event schemas shipped with kafka-native (see README "Schemas"): Avro schema texts by name,
// and the JSON Schema of the element telemetry. Types in index.d.ts (generated).

const fs = require('fs');
const path = require('path');

const read = (file) => fs.readFileSync(path.join(__dirname, file), 'utf8');

const avro = Object.freeze({
  'audit-trail': read('audit-trail.avsc'),
  'element-telemetry': read('element-telemetry.avsc'),
  'job-lifecycle': read('job-lifecycle.avsc'),
  'job-metrics': read('job-metrics.avsc'),
  notification: read('notification.avsc'),
  'system-health': read('system-health.avsc'),
});

const jsonSchema = Object.freeze({
  'element-telemetry': read('element-telemetry.schema.json'),
});

module.exports = { avro, jsonSchema };
