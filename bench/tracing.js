'use strict';
// Tracing cost: publish and consume throughput of kafka-native with no tracer provider, and with
// the OpenTelemetry SDK registered sampling 1 % and 100 % of traces (BatchSpanProcessor, spans
// exported to nowhere, W3C propagator). Each mode runs in a process of its own, modes alternating
// run by run. Needs the repository's dev dependencies (the OpenTelemetry SDK).
//
//   node bench/tracing.js [--brokers host:port] [--messages 200000] [--runs 3] [--out file.md]
//
// Without --brokers (or KAFKA_BROKERS), librdkafka's mock cluster in the process is used. Prints a
// markdown table (medians over the runs) and writes it, with the machine and the raw runs, to
// bench/results/<date>-tracing.md (or --out). Besides messages per second (wall time, noisy on a
// shared machine), each phase reports the process's CPU time per message (user + system), which
// drifts less with what else runs on the machine.

const { fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const { randomBytes } = require('crypto');
const path = require('path');

// `off+header`: no tracer provider, but every message carries a `traceparent` header of its own
// (what a traced message costs the client to carry, apart from tracing).
const MODES = ['off', 'off+header', '1%', '100%'];

function args() {
  const o = { brokers: process.env.KAFKA_BROKERS || '', messages: 200_000, runs: 3, out: undefined };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--brokers') o.brokers = a[++i];
    else if (a[i] === '--messages') o.messages = Number(a[++i]);
    else if (a[i] === '--runs') o.runs = Number(a[++i]);
    else if (a[i] === '--out') o.out = path.resolve(a[++i]);
    else if (a[i] !== '--child') throw new Error(`unknown argument ${a[i]}`);
  }
  return o;
}

function setUpTracing(mode) {
  if (mode.startsWith('off')) return undefined;
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
  const topic = `bench-tracing-${mode.replace('%', 'pct').replace('+', '-')}-${process.pid}-${Date.now()}`;
  if (mock) mock.createTopic(topic, 3, 1);
  const service = new KafkaService({ brokers, logLevel: 'error', librdkafka: { 'allow.auto.create.topics': true } });
  await service.connect();
  const value = Buffer.alloc(100, 'x');
  const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `key-${i % 100}`, value }));
  if (mode === 'off+header') {
    for (const m of messages) m.headers = { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00` };
  }
  await service.publishBatch(topic, messages); // creates the topic and warms up
  const result = { mode };

  let t0 = performance.now();
  let c0 = process.cpuUsage();
  for (let sent = 0; sent < o.messages; sent += 1000) await service.publishBatch(topic, messages);
  result.publishBatchPerSec = o.messages / ((performance.now() - t0) / 1000);
  result.publishBatchCpuUs = cpuMicros(c0) / o.messages;

  const concurrent = Math.min(o.messages, 50_000);
  t0 = performance.now();
  c0 = process.cpuUsage();
  const pending = [];
  for (let i = 0; i < concurrent; i++) pending.push(service.publish(topic, messages[i % 1000]));
  await Promise.all(pending);
  result.publishConcurrentPerSec = concurrent / ((performance.now() - t0) / 1000);
  result.publishConcurrentCpuUs = cpuMicros(c0) / concurrent;

  const expected = o.messages + 1000 + concurrent;
  let handled = 0;
  let first;
  let cpuAtFirst;
  const subscription = await service.subscribe(
    { groupId: `${topic}-g`, topics: [topic], fromBeginning: true },
    { eachMessage: async () => {
      if (first === undefined) {
        first = performance.now();
        cpuAtFirst = process.cpuUsage();
      }
      handled++;
    } },
  );
  while (handled < expected) await new Promise((r) => setTimeout(r, 20));
  result.consumePerSec = (expected - 1) / ((performance.now() - first) / 1000);
  result.consumeCpuUs = cpuMicros(cpuAtFirst) / (expected - 1);
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

// CPU time (user + system) of this process since `start`, in µs.
function cpuMicros(start) {
  const u = process.cpuUsage(start);
  return u.user + u.system;
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
  const table = summary(runs);
  console.log(table);
  const out = o.out || path.join(__dirname, 'results', `${new Date().toISOString().slice(0, 10)}-tracing.md`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, report(o, table, runs));
  console.error(`written to ${path.relative(process.cwd(), out)}`);
}

const PHASES = [
  ['publishBatch (1000 per call)', 'publishBatchPerSec', 'publishBatchCpuUs'],
  ['publish (50,000 concurrent)', 'publishConcurrentPerSec', 'publishConcurrentCpuUs'],
  ['consume (eachMessage)', 'consumePerSec', 'consumeCpuUs'],
];

// Medians per mode and phase: messages/s, CPU µs per message, and both relative to tracing off.
function summary(runs) {
  const lines = ['| phase | tracing | msgs/s | vs off | CPU µs/msg | vs off |', '|---|---|---:|---:|---:|---:|'];
  for (const [name, rate, cpu] of PHASES) {
    const off = { rate: median(runs.off.map((r) => r[rate])), cpu: median(runs.off.map((r) => r[cpu])) };
    for (const mode of MODES) {
      const m = { rate: median(runs[mode].map((r) => r[rate])), cpu: median(runs[mode].map((r) => r[cpu])) };
      lines.push(
        `| ${name} | ${mode} | ${Math.round(m.rate).toLocaleString('en')} | ${(m.rate / off.rate).toFixed(2)} | ${m.cpu.toFixed(2)} | ${(m.cpu / off.cpu).toFixed(2)} |`,
      );
    }
  }
  return lines.join('\n');
}

function report(o, table, runs) {
  const addon = require.resolve('..');
  const native = fs.readdirSync(path.dirname(addon)).find((f) => f.endsWith('.node'));
  const size = native ? fs.statSync(path.join(path.dirname(addon), native)).size : 0;
  return [
    `# Tracing cost (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `\`node bench/tracing.js --messages ${o.messages} --runs ${o.runs}\` on ${o.brokers ? `Apache Kafka at ${o.brokers}` : "librdkafka's mock cluster"};`,
    `addon ${native} (${(size / 1e6).toFixed(1)} MB: ${size > 50e6 ? 'debug' : 'release'} build), Node ${process.version},`,
    `${os.cpus().length} × ${os.cpus()[0].model}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end.`,
    'Modes: no tracer provider (`off`), the same with a `traceparent` header on every message',
    '(`off+header`: what carrying the header costs, apart from tracing); the OpenTelemetry SDK with a ParentBased sampler over',
    'TraceIdRatioBased(0.01) (`1%`) or AlwaysOn (`100%`), BatchSpanProcessor, W3C propagator,',
    'AsyncLocalStorage context manager. Medians over the runs, modes alternating run by run.',
    '',
    table,
    '',
    '## Runs',
    '',
    '```json',
    ...MODES.flatMap((m) => runs[m].map((r) => JSON.stringify(r))),
    '```',
    '',
  ].join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
