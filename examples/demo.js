#!/usr/bin/env node
// The main job: cosmic-horizons events streamed through kafka-native and back.
//
// Starts the embedded mock cluster (or uses KAFKA_BROKERS), creates the seeds' topics, publishes
// job lifecycle events keyed by job id, job metrics, notifications, audit-trail entries and
// element telemetry (seed 003's payload), consumes them all in one group, and reports events/s,
// publish→ack and publish→handler latency. Checks that every event arrived and that each job's
// lifecycle arrived in order.
//
//   npm run demo                          # embedded mock cluster, 10 s at 5,000 events/s
//   DEMO_SECONDS=30 DEMO_RATE=20000 npm run demo
//   KAFKA_BROKERS=127.0.0.1:39092 npm run demo
//   SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7 npm run demo   # Avro through a registry
//   npm run demo:registry                 # the same, with a local registry started and stopped for it
//
// With SCHEMA_REGISTRY_URL, every event is Avro in the Confluent wire format: the shipped schemas
// are registered, the engine encodes each event object and decodes it for the handler, off the
// JS thread. Without it, events are JSON text.
'use strict';

const { randomUUID } = require('crypto');
const { KafkaService, MockCluster, SchemaRegistry } = require('..');
const { avro } = require('../schemas');

const SECONDS = Number(process.env.DEMO_SECONDS || 10);
const RATE = Number(process.env.DEMO_RATE || 5000);
const TICK_MS = 10;

const TOPICS = {
  'job-lifecycle': 3,
  'job-metrics': 2,
  notifications: 1,
  'audit-trail': 3,
  'system-health': 1,
  'element.raw_data': 3,
};
// The shipped schema (schemas/) of each topic's events.
const SCHEMA_OF = {
  'job-lifecycle': 'job-lifecycle',
  'job-metrics': 'job-metrics',
  notifications: 'notification',
  'audit-trail': 'audit-trail',
  'system-health': 'system-health',
  'element.raw_data': 'element-telemetry',
};
const LIFECYCLE = ['job.submitted', 'job.queued', 'job.running', 'job.completed'];
const SITES = ['vla', 'gbt', 'alma', 'ngvla-core'];

function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

let contentType = 'application/json';

function headers(correlationId) {
  return {
    'content-type': contentType,
    'correlation-id': correlationId,
    timestamp: new Date().toISOString(),
    'x-sent-ns': process.hrtime.bigint().toString(),
  };
}

// An event envelope of the seeds (event-models' EventBase).
function envelope(type, correlationId, userId, payload) {
  return {
    event_id: randomUUID(),
    event_type: type,
    timestamp: new Date().toISOString(),
    correlation_id: correlationId,
    user_id: userId,
    schema_version: 1,
    payload,
  };
}

// One tick's worth of events: lifecycle steps for the jobs in flight, plus telemetry and the rest.
// Each value is an object of its topic's shipped schema (schemas/*.avsc).
function makeEvents(state, count) {
  const events = [];
  for (let i = 0; i < count; i++) {
    const n = state.seq++;
    const kind = n % 10;
    if (kind < 4) {
      // A job advances one lifecycle step; new jobs start as others complete.
      let job = state.active.shift();
      if (!job) job = { id: `job-${String(state.jobs++).padStart(6, '0')}`, step: 0 };
      const type = LIFECYCLE[job.step];
      const correlationId = `${job.id}:${job.step}`;
      events.push({
        topic: 'job-lifecycle',
        key: job.id,
        value: envelope(type, correlationId, `user-${job.id.length % 7}`, { job_id: job.id, status: type.slice(4) }),
        headers: headers(correlationId),
      });
      job.step += 1;
      if (job.step < LIFECYCLE.length) state.active.push(job);
    } else if (kind < 8) {
      const site = SITES[n % SITES.length];
      const element = `element-${site}-${n % 64}`;
      events.push({
        topic: 'element.raw_data',
        key: element,
        value: {
          sourceId: element,
          targetId: `${site}-hub`,
          routeType: 'node_to_hub',
          elementId: element,
          siteId: site,
          timestamp: new Date().toISOString(),
          metrics: { vibration: Math.random(), powerUsage: 300 + Math.random() * 50, noiseFloor: -95 + Math.random(), rfiLevel: -80 + Math.random() * 5 },
        },
        headers: headers(`telemetry-${n}`),
      });
    } else if (kind === 8) {
      const job = `job-${String(n % 1000).padStart(6, '0')}`;
      events.push(
        n % 20 === 8
          ? { topic: 'job-metrics', key: job, value: { job_id: job, timestamp: new Date().toISOString(), cpu: Math.random(), gpu: Math.random(), memory_mb: 2048 }, headers: headers(`metrics-${n}`) }
          : { topic: 'audit-trail', key: job, value: envelope('audit.job_updated', `audit-${n}`, 'system', { job_id: job, resource_id: job, action: 'update', outcome: 'ok' }), headers: headers(`audit-${n}`) },
      );
    } else {
      events.push(
        n % 20 === 9
          ? { topic: 'notifications', key: null, value: envelope('notification.job_completed', `note-${n}`, 'user-1', { severity: 'INFO', title: 'Job completed', message: 'Job completed successfully' }), headers: headers(`note-${n}`) }
          : { topic: 'system-health', key: null, value: { component: 'kafka', status: 'HEALTHY', timestamp: new Date().toISOString(), latency_ms: 1.5, details: { brokers: '3' } }, headers: headers(`health-${n}`) },
      );
    }
  }
  return events;
}

// With a registry: registers each topic's shipped Avro schema as `<topic>-value` and returns the
// ids to publish with.
async function registerSchemas(registry) {
  const ids = {};
  for (const [topic, schema] of Object.entries(SCHEMA_OF)) ids[topic] = await registry.register(`${topic}-value`, avro[schema]);
  return ids;
}

async function main() {
  let mock = null;
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    mock = MockCluster.start({ brokers: 3 });
    for (const [name, partitions] of Object.entries(TOPICS)) mock.createTopic(name, partitions, 3);
    brokers = mock.bootstrapServers;
  }
  // The mock broker holds an empty fetch for the full fetch.wait.max.ms (a real broker answers
  // as soon as data arrives), so the demo asks for short waits on the mock.
  const kafka = new KafkaService({
    brokers,
    clientId: 'cosmic-horizons-demo',
    producer: { compression: 'lz4' },
    librdkafka: mock ? { 'fetch.wait.max.ms': 5 } : undefined,
  });
  const info = await kafka.connect();
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  let schemaIds = null;
  if (registryUrl) {
    const registry = new SchemaRegistry({ url: registryUrl });
    kafka.useSchemaRegistry(registry);
    schemaIds = await registerSchemas(registry);
    contentType = 'avro/binary';
  }
  const encoding = schemaIds ? `Avro via ${registryUrl} (schema ids ${[...new Set(Object.values(schemaIds))].join(', ')})` : 'JSON';
  console.log(`kafka-native demo: ${mock ? 'embedded mock cluster' : brokers} (${info.brokers.length} brokers), ${RATE} events/s for ${SECONDS} s, ${encoding}`);

  const handlerLatencyMs = [];
  const lastStep = new Map();
  let consumed = 0;
  let outOfOrder = 0;
  const subscription = await kafka.subscribe(
    { groupId: `cosmic-horizons-demo-${Date.now()}`, topics: Object.keys(TOPICS), fromBeginning: true, concurrency: 6, decode: Boolean(schemaIds) },
    {
      eachMessage: async ({ topic, message }) => {
        const sent = message.headers['x-sent-ns'];
        if (sent) handlerLatencyMs.push(Number(process.hrtime.bigint() - BigInt(sent.toString())) / 1e6);
        if (topic === 'job-lifecycle') {
          const event = schemaIds ? message.decoded : JSON.parse(message.value.toString());
          const job = event.payload.job_id;
          const step = LIFECYCLE.indexOf(event.event_type);
          const previous = lastStep.has(job) ? lastStep.get(job) : -1;
          if (step !== previous + 1) outOfOrder++;
          lastStep.set(job, step);
        }
        consumed++;
      },
    },
  );
  // A group member needs its partitions before the stream starts, or early events wait in the log.
  const joinDeadline = Date.now() + 30000;
  while (subscription.assignments().length === 0 && Date.now() < joinDeadline) await new Promise((r) => setTimeout(r, 50));

  const state = { seq: 0, jobs: 0, active: [] };
  const ackLatencyMs = [];
  const pending = new Set();
  let sent = 0;
  let failed = 0;
  let firstError = null;
  const started = Date.now();
  const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
  const progress = setInterval(() => {
    const s = (Date.now() - started) / 1000;
    process.stdout.write(`\r  ${s.toFixed(1)} s  sent ${sent}  consumed ${consumed}  ${Math.round(consumed / s)} events/s   `);
  }, 500);

  while (Date.now() - started < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * RATE) - sent;
    for (const event of makeEvents(state, Math.min(Math.max(due, 0), perTick * 10))) {
      const t0 = process.hrtime.bigint();
      const p = (
        schemaIds
          ? kafka.publish(event.topic, event, { schema: { id: schemaIds[event.topic] } })
          : kafka.publish(event.topic, { ...event, value: JSON.stringify(event.value) })
      )
        .then(() => ackLatencyMs.push(Number(process.hrtime.bigint() - t0) / 1e6))
        .catch((e) => {
          failed++;
          firstError = firstError || e;
        })
        .finally(() => pending.delete(p));
      pending.add(p);
      sent++;
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  await Promise.all(pending);
  const publishSeconds = (Date.now() - started) / 1000;
  const drainDeadline = Date.now() + 60000;
  while (consumed < sent - failed && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
  clearInterval(progress);
  const totalSeconds = (Date.now() - started) / 1000;

  await subscription.stop();
  const stats = kafka.stats();
  await kafka.disconnect();
  if (mock) mock.close();

  ackLatencyMs.sort((a, b) => a - b);
  handlerLatencyMs.sort((a, b) => a - b);
  const ms = (v) => `${v.toFixed(2)} ms`;
  console.log('\n');
  console.log(`published      ${sent} events in ${publishSeconds.toFixed(1)} s (${Math.round(sent / publishSeconds)} events/s), ${failed} failed`);
  console.log(`consumed       ${consumed} events, all in ${totalSeconds.toFixed(1)} s; ${state.jobs} jobs, lifecycle out of order: ${outOfOrder}`);
  console.log(`publish→ack    p50 ${ms(percentile(ackLatencyMs, 0.5))}  p99 ${ms(percentile(ackLatencyMs, 0.99))}  max ${ms(ackLatencyMs[ackLatencyMs.length - 1] || 0)}`);
  console.log(`publish→handler p50 ${ms(percentile(handlerLatencyMs, 0.5))}  p99 ${ms(percentile(handlerLatencyMs, 0.99))}  max ${ms(handlerLatencyMs[handlerLatencyMs.length - 1] || 0)}`);
  console.log(`engine stats   acknowledged ${stats.producer.acknowledged}, ack p99 ${ms(stats.producer.ackLatency.p99)}, consumed ${stats.consumer.consumed}`);
  if (firstError) console.log(`first failure  ${firstError.code || ''} ${firstError.message}`);
  const ok = failed === 0 && consumed >= sent && outOfOrder === 0;
  console.log(ok ? 'OK: every event arrived, every job in order' : 'FAILED: events lost or out of order');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
