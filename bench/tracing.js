'use strict';
// Tracing cost: publish and consume throughput of kafka-native with no tracer provider, and with
// the OpenTelemetry SDK registered sampling 1 % and 100 % of traces (BatchSpanProcessor, spans
// exported to nowhere, W3C propagator). Each mode runs in a process of its own, modes alternating
// run by run. Needs the repository's dev dependencies (the OpenTelemetry SDK).
//
//   node bench/tracing.js [--brokers host:port] [--messages 200000] [--runs 3]
//
// Without --brokers (or KAFKA_BROKERS), librdkafka's mock cluster in the process is used.

const { fork } = require('child_process');

const MODES = ['off', '1%', '100%'];

function args() {
  const o = { brokers: process.env.KAFKA_BROKERS || '', messages: 200_000, runs: 3 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--brokers') o.brokers = a[++i];
    else if (a[i] === '--messages') o.messages = Number(a[++i]);
    else if (a[i] === '--runs') o.runs = Number(a[++i]);
    else if (a[i] !== '--child') throw new Error(`unknown argument ${a[i]}`);
  }
  return o;
}

function setUpTracing(mode) {
  if (mode === 'off') return undefined;
  const api = require('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor, TraceIdRatioBasedSampler, AlwaysOnSampler, ParentBasedSampler } = require('@opentelemetry/sdk-trace-base');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core');
  let exported = 0;
  const exporter = {
    export(spans, done) {
      exported += spans.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
  const root = mode === '100%' ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(0.01);
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65536, maxExportBatchSize: 4096, scheduledDelayMillis: 200 })],
  });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  return { provider, exported: () => exported };
}

async function child(mode, o) {
  const tracing = setUpTracing(mode);
  const { KafkaService, MockCluster } = require('..');
  const mock = o.brokers ? undefined : MockCluster.start({ brokers: 1 });
  const brokers = o.brokers || mock.bootstrapServers;
  const topic = `bench-tracing-${mode.replace('%', 'pct')}-${process.pid}-${Date.now()}`;
  if (mock) mock.createTopic(topic, 3, 1);
  const service = new KafkaService({ brokers, logLevel: 'error', librdkafka: { 'allow.auto.create.topics': true } });
  await service.connect();
  const value = Buffer.alloc(100, 'x');
  const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `key-${i % 100}`, value }));
  await service.publishBatch(topic, messages); // creates the topic and warms up
  const result = { mode };

  let t0 = performance.now();
  for (let sent = 0; sent < o.messages; sent += 1000) await service.publishBatch(topic, messages);
  result.publishBatchPerSec = o.messages / ((performance.now() - t0) / 1000);

  const concurrent = Math.min(o.messages, 50_000);
  t0 = performance.now();
  const pending = [];
  for (let i = 0; i < concurrent; i++) pending.push(service.publish(topic, messages[i % 1000]));
  await Promise.all(pending);
  result.publishConcurrentPerSec = concurrent / ((performance.now() - t0) / 1000);

  const expected = o.messages + 1000 + concurrent;
  let handled = 0;
  let first;
  const subscription = await service.subscribe(
    { groupId: `${topic}-g`, topics: [topic], fromBeginning: true },
    { eachMessage: async () => {
      if (first === undefined) first = performance.now();
      handled++;
    } },
  );
  while (handled < expected) await new Promise((r) => setTimeout(r, 20));
  result.consumePerSec = (expected - 1) / ((performance.now() - first) / 1000);
  await subscription.stop();
  await service.disconnect();
  if (mock) mock.close();
  if (tracing) {
    await tracing.provider.forceFlush();
    result.spansExported = tracing.exported();
    await tracing.provider.shutdown();
  }
  process.send(result);
}

function runChild(mode) {
  return new Promise((resolve, reject) => {
    const p = fork(__filename, ['--child', ...process.argv.slice(2)], { env: { ...process.env, BENCH_TRACING_MODE: mode } });
    let result;
    p.on('message', (m) => (result = m));
    p.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${mode}: exited with ${code}`))));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const o = args();
  if (process.argv.includes('--child')) return child(process.env.BENCH_TRACING_MODE, o);
  const runs = {};
  for (let run = 1; run <= o.runs; run++) {
    for (const mode of MODES) {
      const r = await runChild(mode, o);
      (runs[mode] ??= []).push(r);
      console.error(`run ${run} ${mode}: ${JSON.stringify(r)}`);
    }
  }
  const fields = ['publishBatchPerSec', 'publishConcurrentPerSec', 'consumePerSec'];
  console.log(`| tracing | ${fields.join(' | ')} | spans exported |`);
  console.log(`|---|${fields.map(() => '---:').join('|')}|---:|`);
  for (const mode of MODES) {
    const row = fields.map((f) => `${Math.round(median(runs[mode].map((r) => r[f]))).toLocaleString('en')}`);
    console.log(`| ${mode} | ${row.join(' | ')} | ${runs[mode][0].spansExported ?? 0} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
