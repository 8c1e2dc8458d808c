// CPU and instructions per consumed message, per thread, on a real broker (bench/README.md,
// "Per-thread cost on a real broker"). `FILL=1 node bench/consume-threads.js` fills TOPIC with N
// keyed 100 B messages (lz4, 6 partitions); without FILL it consumes N of them from the beginning
// in a fresh group (MODE eachBatch or eachMessage) and prints msgs/s, peak RSS and the CPU µs per
// message of each thread (kernel thread names, digits dropped), and the event-loop delay p99 and
// max (1 ms resolution). TURNS=1 also counts the messages handled in each turn of the event loop
// (a `setImmediate` ticker, which keeps the loop from waiting in its poll phase) and prints the
// most in one turn. KAFKA_BROKERS (default 127.0.0.1:19092, scripts/kafka/up.sh),
// KAFKA_NATIVE_MODULE: another build's directory.
'use strict';

const path = require('path');
const { threadCpu: threadCpuByName } = require('./lib/thread-cpu');
const { monitorEventLoopDelay } = require('perf_hooks');
const { KafkaService } = require(process.env.KAFKA_NATIVE_MODULE || path.join(__dirname, '..'));

const MODE = process.env.MODE || 'eachBatch';
const N = Number(process.env.N || 1_000_000);
const TOPIC = process.env.TOPIC || 'bench-consume-threads';
const BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:19092').split(',');

// CPU µs of each thread of this process so far, by name, digits dropped.
const threadCpu = () => threadCpuByName((name) => name.replace(/[0-9]+$/, ''));

// Messages handled per turn of the event loop, while `running()`: the most in one turn.
function turnCounter(running) {
  let current = 0;
  let most = 0;
  const tick = () => {
    most = Math.max(most, current);
    current = 0;
    if (running()) setImmediate(tick);
  };
  return {
    start: () => setImmediate(tick),
    count: (n) => (current += n),
    most: () => Math.max(most, current),
  };
}

async function fill(svc) {
  await svc.admin().createTopics([{ name: TOPIC, partitions: 6, replicationFactor: 1 }]);
  const value = Buffer.alloc(100, 'x');
  for (let i = 0; i < N; i += 1000) {
    const batch = [];
    for (let j = 0; j < 1000; j++) batch.push({ key: `k${(i + j) % 100}`, value });
    await svc.publishBatch(TOPIC, batch);
  }
  console.log(`filled ${TOPIC} with ${N} messages`);
}

async function consume(svc) {
  let seen = 0;
  let started = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const turns = process.env.TURNS ? turnCounter(() => seen < N) : null;
  const count = (n) => {
    if (!started) {
      started = performance.now();
      if (turns) turns.start();
    }
    seen += n;
    if (turns) turns.count(n);
    if (seen >= N) done();
  };
  const handler =
    MODE === 'eachBatch'
      ? { eachBatch: async ({ batch }) => count(batch.messages.length) }
      : { eachMessage: async () => count(1) };
  const before = threadCpu();
  const cpu = process.cpuUsage();
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const sub = await svc.subscribe({ groupId: `bench-threads-${Date.now()}`, topics: [TOPIC], fromBeginning: true }, handler);
  await finished;
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  eld.disable();
  const after = threadCpu();
  const perThread = {};
  for (const name in after) {
    const us = (after[name] - (before[name] || 0)) / N;
    if (us > 0.005) perThread[name] = Number(us.toFixed(3));
  }
  console.log(JSON.stringify({
    mode: MODE,
    msgsPerSec: Math.round(N / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    cpuUsPerMessage: Number(((used.user + used.system) / N).toFixed(3)),
    // The histogram records the whole interval between its timer's callbacks.
    eventLoopDelayP99Ms: Number(Math.max(0, eld.percentile(99) / 1e6 - 1).toFixed(2)),
    eventLoopDelayMaxMs: Number(Math.max(0, eld.max / 1e6 - 1).toFixed(2)),
    ...(turns ? { mostMessagesInOneTurn: turns.most() } : {}),
    perThread,
  }));
  await sub.stop();
}

(async () => {
  const svc = new KafkaService({ brokers: BROKERS, clientId: 'bench-consume-threads', logLevel: 'error',
    producer: { compression: 'lz4', idempotent: true, acks: -1 } });
  await svc.connect();
  await (process.env.FILL ? fill(svc) : consume(svc));
  await svc.disconnect();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
