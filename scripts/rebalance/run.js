'use strict';

// Rolling restart of a consumer group under load, on a real 3-node Kafka cluster (RF 3), for each
// group protocol the package offers and for kafkajs. Per mode: a fresh 12-partition topic, a
// producer at RATE msgs/s, 3 member processes (scripts/rebalance/member.js) with handlers of
// HANDLER_MS; once all 12 partitions are being processed, the members are restarted one by one
// (graceful stop, new process, wait until it processes), then a 4th member joins. Figures per
// phase: the longest time no partition at all was processed (stop-the-world), the longest time
// any one partition went unprocessed, how many partitions stopped for over STOPPED_MS,
// duplicates (messages handled twice, by key) and lost (acknowledged, never handled: must be 0).
// A run of every mode also writes its chart to scripts/rebalance/latest.svg (chart.js).
//
//   npm run bench:rebalance                  (starts and stops its own cluster)
//   KAFKA_BROKERS_3=host:port,... npm run bench:rebalance   (uses a running one)
// Env: MODES (eager,cooperative,static,consumer,kafkajs), RATE (1000), HANDLER_MS (5),
// KAFKA_NATIVE_REBALANCE_PORT (19550) / KAFKA_NATIVE_REBALANCE_RUN_DIR for its own cluster,
// REBALANCE_RESULTS (scripts/rebalance/results.md, appended to; '-' for none), REPLICATION (3; 1 for a
// 1-node KAFKA_BROKERS_3), REBALANCE_ENGINE_LOG=1 (each member's engine records, with librdkafka's
// REBALANCE_DEBUG contexts if set, to the mode's event file + ".member-N", and the producer's, with
// REBALANCE_PRODUCER_DEBUG contexts if set, to + ".producer"; the files are kept).
// A mode's event file ("partition offset ms member key" per handled message) is kept when it had
// duplicates or lost messages; its topic is kept when it had lost messages.

const { execFile, fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { KafkaService } = require('../../index.js');
const chart = require('./chart');

const ROOT = path.join(__dirname, '..', '..');
const MODES = (process.env.MODES || 'eager,cooperative,static,consumer,kafkajs').split(',');
const RATE = Number(process.env.RATE || 1000);
const HANDLER_MS = Number(process.env.HANDLER_MS || 5);
const PARTITIONS = 12;
// REPLICATION=1 measures on a 1-node broker given as KAFKA_BROKERS_3.
const REPLICATION = Number(process.env.REPLICATION || 3);
const MEMBERS = 3;
const SETTLE_MS = 5000;
const STOPPED_MS = 1000;
const PORT = process.env.KAFKA_NATIVE_REBALANCE_PORT || '19550';
const RUN_DIR = process.env.KAFKA_NATIVE_REBALANCE_RUN_DIR || path.join(os.tmpdir(), 'kafka-native-rebalance');
const RESULTS = process.env.REBALANCE_RESULTS || path.join(__dirname, 'results.md');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function run(script, args, timeoutMs = 300000) {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(ROOT, 'scripts', ...script), ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script.join('/')} failed: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

async function waitFor(what, condition, timeoutMs = 120000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Every "partition offset ms member key" line the members of one mode wrote. */
function readEvents(logFile) {
  if (!fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [p, o, t, , k] = line.split(' ');
      return { p: Number(p), o: Number(o), t: Number(t), k };
    });
}

/** A member process; resolves once it subscribed. */
function startMember(mode, brokers, topic, group, logFile, index) {
  const child = fork(path.join(__dirname, 'member.js'), [mode, brokers, topic, group, logFile, String(index), String(HANDLER_MS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.ready = new Promise((resolve, reject) => {
    child.on('message', (m) => m.ready && resolve());
    child.on('exit', (code) => reject(new Error(`member ${mode} ${index} exited with ${code} before it was ready`)));
  });
  child.ready.catch(() => {});
  return child;
}

function stopMember(child) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send('stop');
  });
}

/** Figures of the processing events within [from, to]. */
function phaseFigures(events, from, to) {
  const inWindow = events.filter((e) => e.t >= from && e.t <= to).sort((a, b) => a.t - b.t);
  let stopTheWorld = 0;
  let previous = from;
  for (const e of inWindow) {
    stopTheWorld = Math.max(stopTheWorld, e.t - previous);
    previous = e.t;
  }
  stopTheWorld = Math.max(stopTheWorld, to - previous);
  let longest = 0;
  let stopped = 0;
  for (let p = 0; p < PARTITIONS; p += 1) {
    let last = from;
    let gap = 0;
    for (const e of inWindow) {
      if (e.p !== p) continue;
      gap = Math.max(gap, e.t - last);
      last = e.t;
    }
    gap = Math.max(gap, to - last);
    longest = Math.max(longest, gap);
    if (gap > STOPPED_MS) stopped += 1;
  }
  return { stopTheWorld, longest, stopped };
}

async function measure(mode, brokers, admin) {
  const topic = `rebalance-${mode}-${Date.now()}`;
  const group = `${topic}-group`;
  const logFile = path.join(os.tmpdir(), `${topic}.log`);
  await admin.createTopics([{ name: topic, partitions: PARTITIONS, replicationFactor: REPLICATION, minInsyncReplicas: Math.min(2, REPLICATION) }]);

  // REBALANCE_ENGINE_LOG=1: the producer's records go to LOG_FILE.producer too (with librdkafka's
  // REBALANCE_PRODUCER_DEBUG contexts, e.g. eos,msg), to follow an acknowledgement that was lost.
  const producerLog = process.env.REBALANCE_ENGINE_LOG ? fs.openSync(`${logFile}.producer`, 'a') : undefined;
  const producer = new KafkaService({
    brokers,
    clientId: `rebalance-producer-${mode}`,
    ...(producerLog === undefined
      ? { logger: () => {} }
      : {
          logLevel: process.env.REBALANCE_PRODUCER_DEBUG ? 'debug' : 'info',
          ...(process.env.REBALANCE_PRODUCER_DEBUG ? { librdkafka: { debug: process.env.REBALANCE_PRODUCER_DEBUG } } : {}),
          logger: (r) => fs.writeSync(producerLog, `${Date.now()} ${r.level} ${r.facility} ${r.message}\n`),
        }),
  });
  await producer.connect();
  const acked = [];
  let producing = true;
  let failed = 0;
  let sequence = 0;
  const producing$ = (async () => {
    // RATE msgs/s in ticks of 10 ms, catching up after a slow tick.
    const started = Date.now();
    const pending = new Set();
    while (producing) {
      const due = Math.floor(((Date.now() - started) * RATE) / 1000);
      while (sequence < due) {
        const key = `k${sequence}`;
        sequence += 1;
        const p = producer.publish(topic, { key, value: key }).then(
          // Matched by key (each message has its own): an acknowledgement may carry no offset
          // (-1001, an idempotent retry the broker answered with "duplicate sequence").
          (r) => acked.push({ key, partition: r.partition, offset: r.offset }),
          () => (failed += 1),
        );
        pending.add(p);
        p.finally(() => pending.delete(p));
      }
      await sleep(10);
    }
    await Promise.all(pending);
  })();

  const events = () => readEvents(logFile);
  const allPartitionsSince = (t) => () => new Set(events().filter((e) => e.t >= t).map((e) => e.p)).size === PARTITIONS;
  const members = [];
  for (let i = 0; i < MEMBERS; i += 1) members.push(startMember(mode, brokers, topic, group, logFile, i));
  await Promise.all(members.map((m) => m.ready));
  await waitFor(`${mode}: all partitions processed`, allPartitionsSince(0));
  await sleep(SETTLE_MS);

  const rollFrom = Date.now();
  for (let i = 0; i < MEMBERS; i += 1) {
    await stopMember(members[i]);
    const restarted = Date.now();
    members[i] = startMember(mode, brokers, topic, group, logFile, i);
    await members[i].ready;
    await waitFor(`${mode}: member ${i} back`, allPartitionsSince(restarted));
    await sleep(SETTLE_MS);
  }
  const rollTo = Date.now();

  members.push(startMember(mode, brokers, topic, group, logFile, MEMBERS));
  await members[MEMBERS].ready;
  const joinFrom = Date.now();
  await waitFor(`${mode}: all partitions processed after the join`, allPartitionsSince(joinFrom));
  await sleep(SETTLE_MS);
  const joinTo = Date.now();

  producing = false;
  await producing$;
  await waitFor(`${mode}: every acknowledged message processed`, () => {
    const seen = new Set(events().map((e) => e.k));
    return acked.every((a) => seen.has(a.key));
  }, 180000).catch((e) => console.error(e.message));
  for (const m of members) await stopMember(m);
  await producer.disconnect();

  const all = events();
  const seen = new Set(all.map((e) => e.k));
  const figures = {
    mode,
    produced: acked.length,
    failed,
    processed: all.length,
    duplicates: all.length - seen.size,
    lost: acked.filter((a) => !seen.has(a.key)).length,
    roll: phaseFigures(all, rollFrom, rollTo),
    rollMs: rollTo - rollFrom,
    join: phaseFigures(all, joinFrom, joinTo),
  };
  if (figures.lost || figures.duplicates || process.env.REBALANCE_ENGINE_LOG) console.error(`${mode}: events kept in ${logFile}`);
  if (figures.lost) {
    const missing = {};
    for (const { partition: p, offset: o } of acked.filter((a) => !seen.has(a.key))) {
      missing[p] = missing[p] ? { count: missing[p].count + 1, first: Math.min(missing[p].first, o) } : { count: 1, first: o };
    }
    console.error(`${mode}: unprocessed per partition ${JSON.stringify(missing)}; events kept in ${logFile}`);
  } else if (!figures.duplicates && !process.env.REBALANCE_ENGINE_LOG) {
    fs.rmSync(logFile, { force: true });
  }
  // A topic with lost messages is kept for a look at its partitions' high watermarks.
  if (figures.lost) console.error(`${mode}: topic ${topic} kept`);
  else await admin.deleteTopics([topic]).catch(() => {});
  return figures;
}

const LABELS = {
  eager: 'kafka-native, classic eager (`range`)',
  cooperative: 'kafka-native, classic `cooperative-sticky`',
  static: 'kafka-native, static membership (`range` + `groupInstanceId`)',
  consumer: 'kafka-native, KIP-848 (`groupProtocol: consumer`)',
  kafkajs: 'kafkajs 2.2.4 (eager)',
};

function table(results) {
  const rows = results.map((r) =>
    `| ${LABELS[r.mode]} | ${r.roll.stopTheWorld} | ${r.roll.longest} | ${r.roll.stopped}/${PARTITIONS} | ` +
    `${r.join.stopTheWorld} | ${r.join.longest} | ${r.join.stopped}/${PARTITIONS} | ${r.duplicates} | ${r.lost} |`,
  );
  return [
    '| group | roll: stop-the-world ms | roll: longest partition gap ms | roll: partitions stopped | join: stop-the-world ms | join: longest partition gap ms | join: partitions stopped | duplicates | lost |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main() {
  let brokers = process.env.KAFKA_BROKERS_3;
  const own = !brokers;
  const clusterArgs = ['--nodes', '3', '--base-port', PORT, '--run-dir', RUN_DIR];
  if (own) brokers = (await run(['kafka', 'up.sh'], clusterArgs)).trim().split('\n').pop();
  const adminService = new KafkaService({ brokers, clientId: 'rebalance-admin', logger: () => {} });
  const results = [];
  try {
    await adminService.connect();
    for (const mode of MODES) {
      console.log(`== ${mode}`);
      const r = await measure(mode, brokers, adminService.admin());
      console.log(JSON.stringify(r));
      results.push(r);
    }
  } finally {
    await adminService.disconnect().catch(() => {});
    if (own) await run(['kafka', 'down.sh'], clusterArgs).catch((e) => console.error(e.message));
  }
  const text = table(results);
  console.log(text);
  if (RESULTS !== '-') {
    const header =
      `## Rolling restart and join, measured by \`npm run bench:rebalance\` (${new Date().toISOString()})\n\n` +
      `3-node Kafka (RF 3, min ISR 2), ${PARTITIONS} partitions, ${RATE} msgs/s, handlers of ${HANDLER_MS} ms, ` +
      `${MEMBERS} member processes restarted one by one (graceful stop, new process), then a 4th joins. ` +
      `"Stopped": a partition unprocessed for over ${STOPPED_MS} ms. Host: ${os.cpus().length} CPUs, ${os.loadavg()[0].toFixed(1)} load.\n\n`;
    fs.appendFileSync(RESULTS, `${header}${text}\n\n\`\`\`json\n${JSON.stringify(results, null, 2)}\n\`\`\`\n`);
  }
  if (results.length === Object.keys(chart.LABELS).length) {
    const conditions = chart.conditionsOf(new Date().toISOString(), `${RATE} msgs/s, handlers of ${HANDLER_MS} ms. Host: ${os.cpus().length} CPUs, ${os.loadavg()[0].toFixed(1)} load`);
    fs.writeFileSync(path.join(__dirname, 'latest.svg'), chart.svg(results, conditions));
  }
  if (results.some((r) => r.lost > 0)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
