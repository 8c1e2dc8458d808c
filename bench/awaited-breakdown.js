'use strict';
// Where the time of one awaited publish goes on a real broker: the `for (…) await publish()`
// loop (100 B values, one of 1,000 keys, acks=all, idempotent, no compression, one partition of a
// fresh topic), 500 publishes of warm-up, then N measured. Prints msgs/s, the latency of each
// publish (p1/p50/p90/p99), the CPU µs per message of each thread of the process
// (/proc/self/task), and, for kafka-native, the broker's round-trip time as librdkafka measured
// it over the same window (its statistics: from a request's send to its response): the part of
// each publish that is the broker's and the network's, against the rest (the JS thread's work,
// the hand-overs between threads, librdkafka building the request and reading the response).
//
//   KAFKA_BROKERS=127.0.0.1:19092 node bench/awaited-breakdown.js [N] [kafka-native|kafkajs]
//
// KAFKA_NATIVE_MODULE: another build's directory. kafkajs comes from bench/node_modules (npm run
// setup in bench/). Figures: results/2026-12-06-awaited-breakdown.md.

const path = require('path');
const { threadCpu } = require('./lib/thread-cpu');

const N = Number(process.argv[2] || 5000);
const client = process.argv[3] || 'kafka-native';
const brokers = process.env.KAFKA_BROKERS || '127.0.0.1:19092';
const topic = `awaited-breakdown-${client}-${process.pid}`;
const WARM_UP = 500;

/** `send(i)` publishes message i and resolves once it is acknowledged; `rtt()` the broker's round trip (ms), where known. */
async function connect() {
  const value = Buffer.alloc(100, 7);
  const keys = Array.from({ length: 1000 }, (_, i) => Buffer.from(`key-${i}`));
  if (client === 'kafkajs') {
    const { Kafka, logLevel } = require(path.join(__dirname, 'node_modules', 'kafkajs'));
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    return {
      send: (i) => producer.send({ topic, acks: -1, messages: [{ key: keys[i % keys.length], value }] }),
      rtt: () => undefined,
      close: () => producer.disconnect(),
    };
  }
  const { KafkaService, KafkaAdmin } = require(process.env.KAFKA_NATIVE_MODULE || path.join(__dirname, '..'));
  const admin = new KafkaAdmin({ brokers, logLevel: 'error' });
  await admin.createTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
  const service = new KafkaService({ brokers, logLevel: 'error', statisticsIntervalMs: 1000, producer: { idempotent: true, acks: -1 } });
  await service.connect();
  return {
    send: (i) => service.publish(topic, { key: keys[i % keys.length], value }),
    rtt: () => service.stats().brokers.map((b) => `${b.name}: avg ${b.rttAvgMs} ms, p99 ${b.rttP99Ms} ms`).join('; '),
    close: async () => {
      await service.disconnect();
      await admin.deleteTopics([topic]).catch(() => undefined);
    },
  };
}

async function main() {
  const c = await connect();
  for (let i = 0; i < WARM_UP; i++) await c.send(i);
  const latencyUs = new Float64Array(N);
  const threads0 = threadCpu();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await c.send(i);
    latencyUs[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const threads1 = threadCpu();
  latencyUs.sort();
  const q = (f) => Math.round(latencyUs[Math.floor(f * (N - 1))]);
  const perThread = {};
  for (const [name, us] of Object.entries(threads1)) {
    const d = us - (threads0[name] || 0);
    if (d > 0) perThread[name] = +(d / N).toFixed(1);
  }
  console.log(`${client}: ${Math.round(N / seconds)} msgs/s, ${((cpu.user + cpu.system) / N).toFixed(1)} CPU µs per message (${(cpu.system / N).toFixed(1)} in the kernel)`);
  console.log(`  latency µs p1 ${q(0.01)} p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)}; mean ${Math.round((seconds * 1e6) / N)}`);
  console.log(`  CPU µs per message by thread: ${JSON.stringify(perThread)}`);
  // librdkafka's statistics come once a second: wait for one that covers the window's end.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const rtt = c.rtt();
  if (rtt !== undefined) console.log(`  broker round trip (librdkafka): ${rtt}`);
  await c.close();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
