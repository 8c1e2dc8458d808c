'use strict';

// Shared by the fault suite: the 3-node cluster (KAFKA_BROKERS_3, set by scripts/test-faults.sh),
// topics and leaders through Kafka's own tools, fault injection through scripts/kafka/node.sh, a
// producer that records every acknowledgement at a steady rate, a consumer that reads a topic
// back, and the figures each scenario prints.

const { execFile } = require('child_process');
const fs = require('fs');
const path = require('path');
const { KafkaService, uniqueName, sleep, waitFor } = require('../helpers');

const ROOT = path.join(__dirname, '..', '..');
const BROKERS = process.env.KAFKA_BROKERS_3 || '';
const QUICK = Boolean(process.env.QUICK) && process.env.QUICK !== '0';

function run(script, args, timeoutMs = 180000) {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(ROOT, 'scripts', ...script), ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script.join('/')} ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

const kafkaTool = (cls, args) => run(['kafka', 'run-class.sh'], [cls, ...args]);
const TOPIC_COMMAND = 'org.apache.kafka.tools.TopicCommand';

/** Creates a topic replicated on all 3 brokers, 2 of which must have each write. */
async function createTopic(partitions, prefix = 'faults') {
  const topic = uniqueName(prefix);
  await kafkaTool(TOPIC_COMMAND, [
    '--bootstrap-server', BROKERS, '--create', '--topic', topic, '--partitions', String(partitions),
    '--replication-factor', '3', '--config', 'min.insync.replicas=2',
  ]);
  return topic;
}

/** `{partition: {leader, isr}}` as the cluster's metadata says now. */
async function describeTopic(topic) {
  const out = await kafkaTool(TOPIC_COMMAND, ['--bootstrap-server', BROKERS, '--describe', '--topic', topic]);
  const partitions = {};
  for (const line of out.split('\n')) {
    const m = /Partition:\s*(\d+)\s+Leader:\s*(-?\d+)\s+Replicas:\s*([\d,]+)\s+Isr:\s*([\d,]*)/.exec(line);
    if (m) partitions[Number(m[1])] = { leader: Number(m[2]), replicas: m[3].split(',').map(Number), isr: m[4].split(',').filter(Boolean).map(Number) };
  }
  return partitions;
}

/** `node.sh ACTION N...` on the 3-node cluster (kill, stop, pause, resume, start, status). */
const node = (action, ...ids) => run(['kafka', 'node.sh'], [action, ...ids.map(String)]);

/** Brings back every node that a failed test may have left down or paused. */
async function healCluster() {
  const status = await node('status');
  const down = [...status.matchAll(/node (\d+) (down|paused)/g)].map((m) => m[1]);
  if (down.length) await node('start', ...down);
}

const services = [];

/**
 * A service on the 3-node cluster; `acks=all` and idempotence are the defaults. Recorded for
 * disconnectAll().
 */
function service(extra = {}) {
  const logs = [];
  const s = new KafkaService({
    brokers: BROKERS,
    clientId: uniqueName('faults'),
    logger: (r) => {
      if (logs.length < 5000) logs.push(r);
    },
    ...extra,
  });
  s.logs = logs;
  services.push(s);
  return s;
}

/** Disconnects every service made by service() (for afterAll), ignoring errors. */
async function disconnectAll() {
  const all = services.splice(0);
  await Promise.all(all.map((s) => s.disconnect({ timeoutMs: 5000 }).catch(() => {})));
}

/**
 * Publishes `${key}:${seq}` messages with `keys` keys at `rate` per second, one `publish` per
 * message as an application would, until `stop()`. Records every acknowledgement and every
 * error, and publish→ack times.
 */
function steadyProducer(s, topic, { rate = 2000, keys = 60 } = {}) {
  const acked = new Map(); // id -> {partition, offset}
  const errors = {}; // code -> count
  const failed = new Set();
  const latencies = [];
  const seqs = new Array(keys).fill(0);
  let sent = 0;
  let settled = 0;
  let maxLatency = 0;
  let maxLatencyAt = 0;
  let stopped = false;
  const started = Date.now();
  const marks = [];

  const publishOne = () => {
    const k = sent % keys;
    const id = `k${k}:${seqs[k]++}`;
    sent += 1;
    const t0 = Date.now();
    s.publish(topic, { key: `k${k}`, value: id }).then(
      (r) => {
        const dt = Date.now() - t0;
        latencies.push(dt);
        if (dt > maxLatency) {
          maxLatency = dt;
          maxLatencyAt = t0 - started;
        }
        acked.set(id, { partition: r.partition, offset: r.offset });
        settled += 1;
      },
      (e) => {
        errors[e.code] = (errors[e.code] || 0) + 1;
        if (!e.retriable) errors.nonRetriable = (errors.nonRetriable || 0) + 1;
        failed.add(id);
        settled += 1;
      },
    );
  };
  const timer = setInterval(() => {
    if (stopped) return;
    // Catch up with the schedule after a slow tick, but never in one burst of more than 1 s.
    const due = Math.min(Math.floor(((Date.now() - started) * rate) / 1000) - sent, rate);
    for (let i = 0; i < due; i++) publishOne();
  }, 10);

  return {
    acked,
    errors,
    failed,
    mark(what) {
      marks.push({ what, atMs: Date.now() - started });
    },
    get sent() {
      return sent;
    },
    /** Stops publishing and waits until every publish settled. */
    async stop() {
      stopped = true;
      clearInterval(timer);
      await waitFor(() => settled === sent, 120000, 'every publish to settle');
      const sorted = [...latencies].sort((a, b) => a - b);
      const q = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null);
      return {
        sent,
        acknowledged: acked.size,
        failed: failed.size,
        errors: { ...errors },
        achievedRate: Math.round((sent * 1000) / (Date.now() - started)),
        ackMs: { p50: q(0.5), p99: q(0.99), max: maxLatency, maxAtMs: maxLatencyAt },
        marks,
      };
    },
  };
}

/**
 * Reads `topic` from the beginning with a new group until every id of `expected` was seen and
 * nothing new arrived for `quietMs`. Returns every consumed record in consumption order.
 */
async function readBack(s, topic, expected, { quietMs = 3000, timeoutMs = 120000 } = {}) {
  const records = [];
  const seen = new Set();
  let lastAt = Date.now();
  const sub = await s.subscribe(
    { groupId: uniqueName('verify'), topics: [topic], fromBeginning: true, maxBatchSize: 2000 },
    {
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const id = m.value.toString();
          records.push({ id, partition: batch.partition, offset: Number(m.offset) });
          seen.add(id);
        }
        lastAt = Date.now();
      },
    },
  );
  try {
    await waitFor(() => [...expected].every((id) => seen.has(id)) && Date.now() - lastAt > quietMs, timeoutMs, `all ${expected.size} acknowledged messages read back`);
  } finally {
    await sub.stop();
  }
  return records;
}

/** Checks consumed records against acknowledgements: nothing lost, no duplicate, order per key. */
function verify(acked, records) {
  const counts = new Map();
  for (const r of records) counts.set(r.id, (counts.get(r.id) || 0) + 1);
  const lost = [...acked.keys()].filter((id) => !counts.has(id));
  const duplicates = [...counts.values()].filter((n) => n > 1).length;
  // Order per key: within a partition, a key's sequence numbers grow with the offset.
  const byPartition = new Map();
  for (const r of records) {
    if (!byPartition.has(r.partition)) byPartition.set(r.partition, []);
    byPartition.get(r.partition).push(r);
  }
  let orderViolations = 0;
  for (const list of byPartition.values()) {
    list.sort((a, b) => a.offset - b.offset);
    const last = new Map();
    for (const r of list) {
      const [key, seq] = r.id.split(':');
      if (last.has(key) && last.get(key) >= Number(seq)) orderViolations += 1;
      last.set(key, Number(seq));
    }
  }
  // An acknowledgement must point at the record that holds it.
  const misplaced = records.filter((r) => acked.has(r.id) && (acked.get(r.id).partition !== r.partition || acked.get(r.id).offset !== r.offset)).length;
  return { verified: acked.size, consumed: records.length, lost: lost.length, duplicates, orderViolations, misplaced, lostSample: lost.slice(0, 5) };
}

/** Prints one scenario's figures as a JSON line (and appends it to FAULTS_REPORT, if set). */
function report(scenario, figures) {
  const line = JSON.stringify({ scenario, ...figures });
  process.stdout.write(`FAULTS ${line}\n`);
  if (process.env.FAULTS_REPORT) fs.appendFileSync(process.env.FAULTS_REPORT, `${line}\n`);
}

module.exports = {
  BROKERS,
  QUICK,
  createTopic,
  describeTopic,
  node,
  healCluster,
  service,
  disconnectAll,
  steadyProducer,
  readBack,
  verify,
  report,
  uniqueName,
  sleep,
  waitFor,
};
