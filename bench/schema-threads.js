'use strict';
// Where the CPU of a schema'd publish goes, thread by thread: `publishBatch` of BATCH
// job-lifecycle events with `{schema}` (Avro through the registry), or as `JSON.stringify` text
// without a schema (`json`), INFLIGHT calls in flight for SECONDS on a running broker, after one
// call of warm-up. Prints msgs/s, the synchronous JS time of each call per message (building the
// messages and the call itself), the CPU µs per message of each thread of this process
// (/proc/self/task: the JS thread, the runtime's workers, librdkafka's broker and delivery-report
// threads), and of the broker's JVM when it runs on this machine (found with `pgrep -f
// kafka.Kafka`). The whole machine is CPU-bound in this loop (2 cores for the client and the
// broker), so each thread's µs per message is throughput.
//
//   KAFKA_BROKERS=127.0.0.1:19092 SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7 \
//     node bench/schema-threads.js [avro|json] [--seconds 5] [--batch 500] [--inflight 4]
//
// KAFKA_NATIVE_MODULE: another build's directory (for an A/B of two builds). Figures:
// results/2026-12-06-schemas-runs.md.

const { execFileSync } = require('child_process');
const path = require('path');
const { KafkaService, SchemaRegistry } = require(process.env.KAFKA_NATIVE_MODULE || path.join(__dirname, '..'));
const { avro } = require('../schemas');
const { jobLifecycleEvent } = require('./lib/job-lifecycle');
const { threadCpu } = require('./lib/thread-cpu');
const { cpuSeconds } = require('./lib/broker');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const MODE = args[0] === 'json' ? 'json' : 'avro';
const SECONDS = opt('seconds', 5);
const BATCH = opt('batch', 500);
const INFLIGHT = opt('inflight', 4);
const brokers = process.env.KAFKA_BROKERS || '127.0.0.1:19092';
const registryUrl = process.env.SCHEMA_REGISTRY_URL || 'http://127.0.0.1:18081/apis/ccompat/v7';

/** Numbered threads (`tokio-rt-worker`, `rdk:broker1`, …) summed under one name. */
const byKind = (name) => name.replace(/\d+$/, '#');

/** The pid of the broker's JVM when it runs on this machine (`pgrep -f kafka.Kafka`), else null. */
function brokerPid() {
  try {
    return execFileSync('pgrep', ['-f', 'kafka.Kafka'], { encoding: 'utf8' }).trim().split('\n')[0];
  } catch (_) {
    return null;
  }
}

async function main() {
  const stamp = Date.now();
  const registry = new SchemaRegistry({ url: registryUrl });
  const subject = `schema-threads-${stamp}-value`;
  await registry.register(subject, avro['job-lifecycle']);
  const values = Array.from({ length: BATCH }, (_, i) => jobLifecycleEvent(i));
  const service = new KafkaService({ brokers });
  service.useSchemaRegistry(registry);
  await service.connect();
  const topic = `schema-threads-${MODE}-${stamp}`;
  const key = (v) => v.payload.job_id;
  const send =
    MODE === 'avro'
      ? () => service.publishBatch(topic, values.map((v) => ({ key: key(v), value: v })), { schema: { subject } })
      : () => service.publishBatch(topic, values.map((v) => ({ key: key(v), value: JSON.stringify(v) })));
  await send();

  let sent = 0;
  let syncNs = 0n;
  const broker = brokerPid();
  const broker0 = cpuSeconds(broker);
  const threads0 = threadCpu(byKind);
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (Date.now() < deadline) {
        const called = process.hrtime.bigint();
        const done = send();
        syncNs += process.hrtime.bigint() - called;
        await done;
        sent += BATCH;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const threads1 = threadCpu(byKind);
  const broker1 = cpuSeconds(broker);
  const perMessage = (us) => +(us / sent).toFixed(2);
  const cpuUsPerMsg = {};
  for (const [name, us] of Object.entries(threads1)) {
    const used = perMessage(us - (threads0[name] || 0));
    if (used > 0) cpuUsPerMsg[name] = used;
  }
  console.log(
    JSON.stringify({
      mode: MODE,
      msgsPerSec: Math.round(sent / seconds),
      syncJsUsPerMsg: perMessage(Number(syncNs) / 1000),
      cpuUsPerMsg,
      brokerJvmUsPerMsg: broker0 === null || broker1 === null ? null : perMessage((broker1 - broker0) * 1e6),
    }),
  );
  await service.disconnect();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
