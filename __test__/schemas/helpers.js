'use strict';

// Shared by the schema suites: the registry that scripts/test-schemas.sh started (or
// SCHEMA_REGISTRY_URL), unique subjects, and the shipped schemas with a sample value each.

const { SchemaRegistry } = require('../../index.js');
const { avro, jsonSchema } = require('../../schemas');
const { uniqueName } = require('../helpers');

const url = process.env.SCHEMA_REGISTRY_URL;
if (!url) {
  throw new Error('SCHEMA_REGISTRY_URL is not set: run the schema suites with scripts/test-schemas.sh');
}

/** A kafka-native registry client of the test registry. */
function registry(options = {}) {
  return new SchemaRegistry({ url, ...options });
}

/** A subject no other test uses. */
function subject(prefix = 'subject') {
  return `${uniqueName(prefix)}-value`;
}

const envelope = (payload) => ({
  event_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  event_type: 'job.submitted',
  timestamp: '2026-11-30T12:00:00.000Z',
  correlation_id: 'c0ffee00-0000-4000-8000-000000000001',
  user_id: 'astro-1',
  schema_version: 1,
  payload,
});

/** A complete value of each shipped Avro schema (every optional field set). */
const samples = {
  'audit-trail': envelope({ job_id: 'job-1', resource_id: 'res-9', action: 'submit', outcome: 'ok', details: { ip: '127.0.0.1' } }),
  'element-telemetry': {
    sourceId: 'element-vla-7',
    targetId: 'site-1',
    routeType: 'node_to_hub',
    elementId: 'ea07',
    siteId: 'vla',
    timestamp: '2026-11-30T12:00:00.000Z',
    metrics: { vibration: 0.02, powerUsage: 812.5, noiseFloor: -97.25, rfiLevel: -80.5 },
    data_chunk: 'AAECAw==',
  },
  'job-lifecycle': envelope({ job_id: 'job-1', name: 'imaging', status: 'queued', message: 'accepted', details: { queue: 'gpu' } }),
  'job-metrics': { job_id: 'job-1', timestamp: '2026-11-30T12:00:01.000Z', cpu: 0.42, gpu: 0.9, memory_mb: 2048, io_read_mb: 1.5, io_write_mb: 0.25 },
  notification: envelope({ job_id: 'job-1', user_id: 'astro-1', severity: 'WARNING', title: 'Queued', message: 'Your job is queued' }),
  'system-health': { component: 'kafka', status: 'DEGRADED', timestamp: '2026-11-30T12:00:00.000Z', latency_ms: 12.5, message: 'slow', details: { broker: '1' } },
};

module.exports = { url, registry, subject, avro, jsonSchema, samples };
