'use strict';

// Consumer failures on the 3-node cluster: a member process killed mid-batch, and members
// joining and leaving the group every few seconds. Every message must be processed at least once,
// and no offset committed before its message was processed. Figures go to stdout as
// `FAULTS {json}` lines.

const { fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { BROKERS, QUICK, createTopic, service, disconnectAll, steadyProducer, report, uniqueName, sleep, waitFor } = require('./support');

const d = BROKERS ? describe : describe.skip;
jest.setTimeout(600000);

function readLog(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map(Number));
}

function startChild(topic, groupId, logFile, delayMs) {
  const child = fork(path.join(__dirname, 'consumer-child.js'), [BROKERS, topic, groupId, logFile, String(delayMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const subscribed = new Promise((resolve, reject) => {
    child.on('message', (m) => m.subscribed && resolve());
    child.on('exit', (code) => reject(new Error(`child exited with ${code} before subscribing`)));
  });
  return { child, subscribed };
}

d('consumer faults', () => {
  const children = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await disconnectAll();
  });

  test('a member killed mid-batch: its partitions move to the survivor, every message processed, nothing committed unprocessed', async () => {
    const partitions = 6;
    const total = QUICK ? 6000 : 12000;
    const topic = await createTopic(partitions, 'crash');
    const producer = service();
    const ends = new Array(partitions).fill(0);
    for (let i = 0; i < total; i += 1000) {
      const results = await producer.publishBatch(topic, Array.from({ length: 1000 }, (_, j) => ({ key: `k${(i + j) % 97}`, value: String(i + j) })));
      for (const r of results) {
        expect(r.error).toBeUndefined();
        ends[r.partition] = Math.max(ends[r.partition], r.offset + 1);
      }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-crash-'));
    const group = uniqueName('crash-group');
    const logA = path.join(dir, 'a.log');
    const logB = path.join(dir, 'b.log');

    const a = startChild(topic, group, logA, 4);
    children.push(a.child);
    await a.subscribed;
    await waitFor(() => readLog(logA).length >= 300, 60000, 'member A to process messages');
    const b = startChild(topic, group, logB, 4);
    children.push(b.child);
    await b.subscribed;
    // Let the group settle with two members, then kill A while its handlers are mid-batch.
    await waitFor(() => readLog(logB).length >= 200, 60000, 'member B to get partitions');
    await sleep(1000);
    a.child.kill('SIGKILL');
    await new Promise((r) => (a.child.exitCode !== null || a.child.signalCode ? r() : a.child.once('exit', r)));
    const byA = readLog(logA);
    // A's partitions once B had joined: those A processed after B's first message.
    const bStart = readLog(logB)[0][2];
    const ownedByA = new Set(byA.filter(([, , t]) => t > bStart).map(([p]) => p));
    const bBeforeKill = readLog(logB).length;

    const done = () => {
      const seen = new Set([...readLog(logA), ...readLog(logB)].map(([p, o]) => `${p}:${o}`));
      return ends.every((end, p) => Array.from({ length: end }, (_, o) => seen.has(`${p}:${o}`)).every(Boolean));
    };
    await waitFor(done, 180000, 'every message to be processed by A or B');
    const stopped = new Promise((r) => b.child.on('message', (m) => m.stopped && r(m)));
    b.child.send('stop');
    await stopped;

    const byB = readLog(logB);
    const afterKill = byB.slice(bBeforeKill);
    const takenOver = [...new Set(afterKill.map(([p]) => p))].filter((p) => ownedByA.has(p));
    // Where B started each partition is what the group had committed when it got it: every
    // offset below must have been processed (by A, or by B before).
    let committedUnprocessed = 0;
    const processedA = new Set(byA.map(([p, o]) => `${p}:${o}`));
    const firstByB = new Map();
    for (const [p, o] of byB) if (!firstByB.has(p)) firstByB.set(p, o);
    for (const [p, first] of firstByB) {
      for (let o = 0; o < first; o++) if (!processedA.has(`${p}:${o}`)) committedUnprocessed += 1;
    }
    const counts = new Map();
    for (const [p, o] of [...byA, ...byB]) counts.set(`${p}:${o}`, (counts.get(`${p}:${o}`) || 0) + 1);
    const reprocessed = [...counts.values()].filter((n) => n > 1).length;
    report('consumer process killed mid-batch', {
      topic, messages: total, processedByA: byA.length, processedByB: byB.length, partitionsOfA: [...ownedByA].sort(),
      takenOverByB: takenOver.sort(), reprocessedAtLeastOnce: reprocessed, committedUnprocessed, lost: 0,
    });
    expect(takenOver.length).toBeGreaterThan(0);
    expect(committedUnprocessed).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('rebalance storm: members join and leave every few seconds, no message lost', async () => {
    const topic = await createTopic(6, 'storm');
    const producer = service();
    const consumers = service({ logLevel: 'info' });
    const group = uniqueName('storm-group');
    const counts = new Map();
    const handler = {
      eachMessage: async ({ message }) => {
        const id = message.value.toString();
        counts.set(id, (counts.get(id) || 0) + 1);
        await new Promise((r) => setImmediate(r));
      },
    };
    const options = { groupId: group, topics: [topic], fromBeginning: true, sessionTimeoutMs: 6000 };
    const stable = await consumers.subscribe(options, handler);
    const load = steadyProducer(producer, topic, { rate: 500, keys: 30 });
    const extras = [];
    const durationMs = QUICK ? 20000 : 60000;
    const started = Date.now();
    let joins = 0;
    let leaves = 0;
    for (let i = 0; Date.now() - started < durationMs; i++) {
      if (extras.length === 0 || (extras.length < 3 && i % 3 !== 2)) {
        extras.push(await consumers.subscribe(options, handler));
        joins += 1;
      } else {
        await extras.splice(Math.floor(Math.random() * extras.length), 1)[0].stop();
        leaves += 1;
      }
      await sleep(3000);
    }
    const produced = await load.stop();
    await waitFor(() => [...load.acked.keys()].every((id) => counts.has(id)), 180000, 'every acknowledged message to be consumed');
    for (const e of extras) await e.stop();
    await stable.stop();

    const lost = [...load.acked.keys()].filter((id) => !counts.has(id)).length;
    const redelivered = [...counts.values()].filter((n) => n > 1).length;
    const assignments = consumers.logs.filter((r) => r.facility === 'ASSIGN').length;
    report('rebalance storm', {
      topic, durationMs, joins, leaves, assignments, sent: produced.sent, acknowledged: produced.acknowledged,
      publishErrors: produced.errors, consumedDistinct: counts.size, redeliveredAtLeastOnce: redelivered, lost,
    });
    expect(lost).toBe(0);
    expect(joins + leaves).toBeGreaterThan(4);
  });
});
