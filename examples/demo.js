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
'use strict';

const { KafkaService, MockCluster } = require('..');

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
const LIFECYCLE = ['job.submitted', 'job.queued', 'job.running', 'job.completed'];
const SITES = ['vla', 'gbt', 'alma', 'ngvla-core'];

function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function headers(correlationId) {
  return {
    'content-type': 'application/json',
    'correlation-id': correlationId,
    timestamp: new Date().toISOString(),
    'x-sent-ns': process.hrtime.bigint().toString(),
  };
}

// One tick's worth of events: lifecycle steps for the jobs in flight, plus telemetry and the rest.
function makeEvents(state, count) {
  const events = [];
  for (let i = 0; i < count; i++) {
    const n = state.seq++;
    const kind = n % 10;
    if (kind < 4) {
      // A job advances one lifecycle step; new jobs start as others complete.
      let job = state.active.shift();
      if (!job) job = { id: `job-${String(state.jobs++).padStart(6, '0')}`, step: 0 };
      const event = LIFECYCLE[job.step];
      events.push({
        topic: 'job-lifecycle',
        key: job.id,
        value: JSON.stringify({ event_type: event, job_id: job.id, step: job.step, user_id: `user-${job.id.length % 7}` }),
        headers: headers(`${job.id}:${job.step}`),
      });
      job.step += 1;
      if (job.step < LIFECYCLE.length) state.active.push(job);
    } else if (kind < 8) {
      const site = SITES[n % SITES.length];
      const element = `element-${site}-${n % 64}`;
      events.push({
        topic: 'element.raw_data',
        key: element,
        value: JSON.stringify({
          sourceId: element,
          targetId: `${site}-hub`,
          routeType: 'node_to_hub',
          elementId: element,
          siteId: site,
          timestamp: new Date().toISOString(),
          metrics: { vibration: Math.random(), powerUsage: 300 + Math.random() * 50, noiseFloor: -95 + Math.random(), rfiLevel: -80 + Math.random() * 5 },
        }),
        headers: headers(`telemetry-${n}`),
      });
    } else if (kind === 8) {
      events.push({
        topic: n % 20 === 8 ? 'job-metrics' : 'audit-trail',
        key: `job-${String(n % 1000).padStart(6, '0')}`,
        value: JSON.stringify({ cpu_percent: Math.random() * 100, memory_mb: 2048, gpu_percent: Math.random() * 100, action: 'update' }),
        headers: headers(`misc-${n}`),
      });
    } else {
      events.push({
        topic: n % 20 === 9 ? 'notifications' : 'system-health',
        key: null,
        value: JSON.stringify({ message: 'Job completed successfully', broker_count: 3, healthy: true }),
        headers: headers(`note-${n}`),
      });
    }
  }
  return events;
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
  console.log(`kafka-native demo: ${mock ? 'embedded mock cluster' : brokers} (${info.brokers.length} brokers), ${RATE} events/s for ${SECONDS} s`);

  const handlerLatencyMs = [];
  const lastStep = new Map();
  let consumed = 0;
  let outOfOrder = 0;
  const subscription = await kafka.subscribe(
    { groupId: `cosmic-horizons-demo-${Date.now()}`, topics: Object.keys(TOPICS), fromBeginning: true, concurrency: 6 },
    {
      eachMessage: async ({ topic, message }) => {
        const sent = message.headers['x-sent-ns'];
        if (sent) handlerLatencyMs.push(Number(process.hrtime.bigint() - BigInt(sent.toString())) / 1e6);
        if (topic === 'job-lifecycle') {
          const { job_id: job, step } = JSON.parse(message.value.toString());
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
      const p = kafka
        .publish(event.topic, event)
        .then(() => ackLatencyMs.push(Number(process.hrtime.bigint() - t0) / 1e6))
        .catch(() => failed++)
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
  const ok = failed === 0 && consumed >= sent && outOfOrder === 0;
  console.log(ok ? 'OK: every event arrived, every job in order' : 'FAILED: events lost or out of order');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
