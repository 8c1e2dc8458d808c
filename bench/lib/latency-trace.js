#!/usr/bin/env node
'use strict';
// Where the fixed-rate latency goes (bench/README.md, "The fixed-rate latency gap"): one client,
// producer and consumer in this process, RATE msgs/s of 100 B for SECONDS, then
//  - publish->ack and publish->handler p50/p99 measured in JS, and for kafka-native the engine's
//    own figures (stats(): enqueue->delivery report, message timestamp->handler end);
//  - per thread of this process (grouped by name): CPU seconds, voluntary context switches
//    (wake-ups), read/write syscalls, from /proc/self/task/*;
//  - with TRACE_DEBUG=1, librdkafka's produce and fetch requests counted from its debug log
//    (this perturbs the run: every log line reaches JS).
//   KAFKA_BROKERS=127.0.0.1:39492 node bench/lib/latency-trace.js kafka-native|confluent [RATE] [SECONDS] [LINGER_MS]
// KAFKA_NATIVE_MODULE=DIR loads kafka-native from DIR (an A/B copy of the package); TRACE_LIBRDKAFKA
// is a JSON object of librdkafka properties for kafka-native's clients (e.g. '{"max.in.flight.requests.per.connection":1}'),
// TRACE_PRODUCER one of kafka-native's producer options (e.g. '{"adaptiveLingerMs":5}').
// confluent is its native API (Producer + KafkaConsumer), librdkafka defaults (linger 5 ms).

const fs = require('fs');
const path = require('path');
const { pct } = require('./stats');

const [client, rateArg, secondsArg, lingerArg] = process.argv.slice(2);
const rate = Number(rateArg || 10000);
const seconds = Number(secondsArg || 5);
const brokers = process.env.KAFKA_BROKERS;
const debug = Boolean(process.env.TRACE_DEBUG);
const topic = `latency-trace-${client}-${lingerArg}-${Date.now()}`;
const NODE_MODULES = path.join(__dirname, '..', 'node_modules');

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// librdkafka's debug log lines, counted while the window is open.
const requests = {};
let counting = false;
function onLogLine(message) {
  if (!counting) return;
  const m = /(Sent|Received) (Produce|Fetch)(Request|Response)/.exec(message);
  if (m) requests[`${m[2]}${m[3]}`] = (requests[`${m[2]}${m[3]}`] || 0) + 1;
}

/** {tid: {comm, syscw, syscr, wakeups, cpuS}} of every thread of this process. */
function threads() {
  const out = {};
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const dir = `/proc/self/task/${tid}`;
      const io = {};
      for (const line of fs.readFileSync(`${dir}/io`, 'utf8').trim().split('\n')) {
        const [k, v] = line.split(': ');
        io[k] = Number(v);
      }
      const status = fs.readFileSync(`${dir}/status`, 'utf8');
      const stat = fs.readFileSync(`${dir}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid] = {
        comm: fs.readFileSync(`${dir}/comm`, 'utf8').trim(),
        syscw: io.syscw,
        syscr: io.syscr,
        wakeups: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]),
        cpuS: (Number(fields[11]) + Number(fields[12])) / 100,
      };
    } catch (_) {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** What each group of threads (by name; the JS thread apart) did between two snapshots. */
function threadDelta(before, after) {
  const groups = {};
  for (const [tid, x] of Object.entries(after)) {
    const y = before[tid] || { syscw: 0, syscr: 0, wakeups: 0, cpuS: 0 };
    const name = tid === String(process.pid) ? 'JS thread' : x.comm;
    const g = (groups[name] = groups[name] || { threads: 0, cpuS: 0, wakeups: 0, syscr: 0, syscw: 0 });
    g.threads++;
    g.cpuS = Math.round((g.cpuS + x.cpuS - y.cpuS) * 100) / 100;
    g.wakeups += x.wakeups - y.wakeups;
    g.syscr += x.syscr - y.syscr;
    g.syscw += x.syscw - y.syscw;
  }
  return groups;
}

/** {send(key, value) -> Promise, close() -> engine figures or null} for the client. */
async function open(onValue) {
  if (client === 'kafka-native') {
    const { KafkaService } = require(process.env.KAFKA_NATIVE_MODULE || path.join(__dirname, '..', '..'));
    const svc = new KafkaService({
      brokers: [brokers],
      clientId: 'latency-trace',
      logLevel: debug ? 'debug' : 'error',
      logger: (r) => onLogLine(r.message),
      librdkafka: { ...(debug ? { debug: 'protocol' } : {}), ...JSON.parse(process.env.TRACE_LIBRDKAFKA || '{}') },
      producer: {
        compression: 'lz4', idempotent: true, acks: -1, lingerMs: Number(lingerArg || 0),
        ...JSON.parse(process.env.TRACE_PRODUCER || '{}'),
      },
    });
    await svc.connect();
    const sub = await svc.subscribe({ groupId: topic, topics: [topic], fromBeginning: true }, {
      eachMessage: async ({ message }) => onValue(message.value),
    });
    return {
      send: (key, value) => svc.publish(topic, { key, value }),
      async close() {
        const t = svc.stats().topics[topic];
        await sub.stop();
        await svc.disconnect();
        return t && {
          enqueueToDeliveryMs: { p50: t.ackLatency.p50, p99: t.ackLatency.p99 },
          timestampToHandlerEndMs: { p50: t.endToEndLatency.p50, p99: t.endToEndLatency.p99 },
          handlerCallMs: { p99: t.handlerLatency.p99 },
        };
      },
    };
  }
  const K = require(path.join(NODE_MODULES, '@confluentinc/kafka-javascript'));
  const producer = new K.Producer({
    'bootstrap.servers': brokers,
    acks: 'all',
    'enable.idempotence': true,
    'compression.codec': 'lz4',
    dr_cb: true,
    'linger.ms': lingerArg == null ? 5 : Number(lingerArg),
    ...(debug ? { debug: 'protocol' } : {}),
  });
  producer.on('event.log', (l) => onLogLine(l.message));
  producer.on('delivery-report', (err, r) => r.opaque && r.opaque(err));
  await new Promise((res, rej) => producer.connect({}, (e) => (e ? rej(e) : res())));
  producer.setPollInBackground(true);
  const consumer = new K.KafkaConsumer({
    'bootstrap.servers': brokers,
    'group.id': topic,
    'auto.offset.reset': 'earliest',
    ...(debug ? { debug: 'protocol' } : {}),
  });
  consumer.on('event.log', (l) => onLogLine(l.message));
  await new Promise((res, rej) => consumer.connect({}, (e) => (e ? rej(e) : res())));
  consumer.subscribe([topic]);
  consumer.consume();
  consumer.on('data', (message) => onValue(message.value));
  return {
    send: (key, value) => new Promise((res, rej) => producer.produce(topic, null, value, key, null, (e) => (e ? rej(e) : res()))),
    async close() {
      consumer.disconnect();
      await new Promise((r) => producer.disconnect(r));
      return null;
    },
  };
}

async function main() {
  const { Kafka } = require(path.join(NODE_MODULES, 'kafkajs'));
  const admin = new Kafka({ brokers: [brokers], logLevel: 0 }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  const ack = [];
  const handler = [];
  let received = 0;
  const c = await open((value) => {
    if (value && value.length > 16) {
      handler.push(now() - value.readDoubleLE(0));
      received++;
    }
  });
  // Warm-up, and time for the consumer to join.
  for (let i = 0; i < 50; i++) await c.send(Buffer.from('k'), Buffer.from('w'));
  await sleep(8000);

  counting = true;
  const before = threads();
  const total = rate * seconds;
  const interval = 1000 / rate;
  const start = now();
  let i = 0;
  let acked = 0;
  await new Promise((resolve) => {
    (function tick() {
      const due = Math.min(total, Math.floor((now() - start) / interval) + 1);
      for (; i < due; i++) {
        const t = now();
        const v = Buffer.alloc(100);
        v.writeDoubleLE(t, 0);
        c.send(Buffer.from(`key-${i % 10000}`), v).then(() => {
          ack.push(now() - t);
          acked++;
        });
      }
      if (i >= total) resolve();
      else setTimeout(tick, 1);
    })();
  });
  const until = now() + 20000;
  while ((acked < total || received < total) && now() < until) await sleep(20);
  counting = false;
  const perThread = threadDelta(before, threads());
  const elapsedS = (now() - start) / 1000;
  const sorted = (a) => a.sort((x, y) => x - y);
  const engine = await c.close();
  console.log(JSON.stringify({
    client,
    lingerMs: lingerArg == null ? null : Number(lingerArg),
    loadAvg1: Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
    acked,
    received,
    publishToAckMs: { p50: pct(sorted(ack), 50), p99: pct(ack, 99) },
    publishToHandlerMs: { p50: pct(sorted(handler), 50), p99: pct(handler, 99) },
    engine,
    requestsPerS: debug ? Object.fromEntries(Object.entries(requests).map(([k, v]) => [k, Math.round(v / elapsedS)])) : undefined,
  }));
  for (const [name, g] of Object.entries(perThread)) if (g.wakeups > 50) console.log(`  ${name}: ${JSON.stringify(g)}`);
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
