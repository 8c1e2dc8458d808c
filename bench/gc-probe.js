'use strict';
// What stalls the event loop under many single publishes in flight: the concurrent mode of the
// benchmark (`publish()` kept at INFLIGHT outstanding, each settled one issuing the next) on
// librdkafka's mock cluster, with every gap of the loop over 5 ms matched against the GC pauses
// V8 reports in it. Prints throughput, event-loop delay (1 ms resolution), minor / incremental GC
// pauses, and the longest gaps with the GC time inside each:
//
//   INFLIGHT=10000 SECONDS=4 node bench/gc-probe.js [MODULE]
//
// With RATE=N it runs the fixed-rate case instead: N publishes per second issued from a 1 ms
// timer while a subscription (`eachMessage`, a fresh group) consumes them, and prints the
// publish→ack and publish→handler p99 beside the same GC figures.
//
// With PROMOTED=1 it also samples allocations (V8's sampling heap profiler, every 4 KiB) that
// outlived minor GCs, by the function that made them: what a minor GC had to copy and promote.
// MODULE: the package directory to load (default: this repository), to compare two builds.
// 100 B values with one of 10,000 keys, acks=all, idempotent, lz4, one topic of 6 partitions.

const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');

const { KafkaService, MockCluster } = require(process.argv[2] || path.join(__dirname, '..'));
const seconds = Number(process.env.SECONDS || 4);
const window = Number(process.env.INFLIGHT || 10000);

const gcs = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ t: e.startTime, d: e.duration, kind: e.detail ? e.detail.kind : e.kind });
}).observe({ entryTypes: ['gc'] });

function post(session, method, params) {
  return new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
}

// Self bytes of a sampling heap profile, by function and line, largest first.
function bySite(profile) {
  const sites = new Map();
  const walk = (node) => {
    const f = node.callFrame;
    const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    sites.set(site, (sites.get(site) || 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  return [...sites].sort((a, b) => b[1] - a[1]);
}

// Keeps `window` publishes outstanding until `deadline`; resolves with the counts acknowledged and failed.
function concurrent(service, topic, keys, value, deadline) {
  return new Promise((resolve) => {
    let acked = 0;
    let failed = 0;
    let issued = 0;
    let inflight = 0;
    let stopped = false;
    const settled = (ok) => () => {
      if (ok) acked++;
      else failed++;
      inflight--;
      pump();
    };
    const ok = settled(true);
    const bad = settled(false);
    function pump() {
      while (!stopped && inflight < window) {
        if ((issued & 255) === 0 && performance.now() >= deadline) {
          stopped = true;
          break;
        }
        inflight++;
        service.publish(topic, { key: keys[issued % keys.length], value }).then(ok, bad);
        issued++;
      }
      if (stopped && inflight === 0) resolve({ acked, failed });
    }
    pump();
  });
}

// Publishes `rate` per second from a 1 ms timer until `deadline`, then waits for every ack and
// every acknowledged message to reach `handled`; resolves with the acks' and handler's latencies (ms) and the count failed.
function fixedRate(service, topic, keys, value, rate, deadline, handled) {
  return new Promise((resolve) => {
    const ack = [];
    const start = performance.now();
    let issued = 0;
    let failed = 0;
    const tick = () => {
      const t = performance.now();
      const due = Math.floor(((Math.min(t, deadline) - start) * rate) / 1000);
      while (issued < due) {
        const v = Buffer.allocUnsafe(value.length);
        value.copy(v);
        v.writeDoubleLE(performance.now(), 0);
        v.writeUInt32LE(MARK, 8);
        const sent = performance.now();
        const done = () => ack.push(performance.now() - sent);
        service.publish(topic, { key: keys[issued % keys.length], value: v }).then(done, () => failed++);
        issued++;
      }
      if (t < deadline) setTimeout(tick, 1);
      else {
        // A failed publish never reaches the handler: wait for every settlement and every
        // acknowledged message.
        const wait = () => (ack.length + failed < issued || handled.length < ack.length ? setTimeout(wait, 5) : resolve({ ack, handler: handled, failed }));
        wait();
      }
    };
    tick();
  });
}

const MARK = 0x9c0ffee;
const p99 = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length * 0.99)].toFixed(2);

async function main() {
  const mock = MockCluster.start({ brokers: 1 });
  mock.createTopic('gc-probe', 6, 1);
  const service = new KafkaService({ brokers: mock.bootstrapServers, clientId: 'gc-probe', producer: { compression: 'lz4', idempotent: true, acks: -1 } });
  const value = Buffer.alloc(100, 65);
  const keys = Array.from({ length: 10000 }, (_, i) => `key-${String(i).padStart(5, '0')}`);
  // RATE: a subscription from the start of the topic; the measured messages carry MARK at byte 8.
  const rate = Number(process.env.RATE || 0);
  const handled = [];
  let warmSeen = false;
  const subscription = rate
    ? await service.subscribe({ groupId: 'gc-probe', topics: ['gc-probe'], fromBeginning: true }, {
        eachMessage: async ({ message }) => {
          if (message.value.readUInt32LE(8) === MARK) handled.push(performance.now() - message.value.readDoubleLE(0));
          else warmSeen = true;
        },
      })
    : null;
  for (let i = 0; i < 1000; i++) await service.publish('gc-probe', { key: keys[i], value });
  for (let waited = 0; rate && !warmSeen; waited += 50) {
    if (waited > 60000) throw new Error('the subscription saw no warm-up message within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }

  let session;
  if (process.env.PROMOTED) {
    session = new (require('inspector').Session)();
    session.connect();
    await post(session, 'HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true });
  }
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const gaps = [];
  let last = performance.now();
  let watching = true;
  const tick = () => {
    const t = performance.now();
    if (t - last > 5) gaps.push({ t: last, d: t - last });
    last = t;
    if (watching) setImmediate(tick);
  };
  setImmediate(tick);

  const t0 = performance.now();
  let acked;
  let failed;
  let latencies;
  if (rate) {
    latencies = await fixedRate(service, 'gc-probe', keys, value, rate, t0 + seconds * 1000, handled);
    acked = latencies.ack.length;
    failed = latencies.failed;
  } else ({ acked, failed } = await concurrent(service, 'gc-probe', keys, value, t0 + seconds * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  watching = false;
  delay.disable();

  const ms = (ns) => (ns / 1e6).toFixed(2);
  console.log(`${acked} acknowledged (${failed} failed) in ${elapsed.toFixed(2)} s: ${Math.round(acked / elapsed)} msgs/s; ` +
    `event-loop delay p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms`);
  if (latencies) console.log(`publish→ack p99 ${p99(latencies.ack)} ms, publish→handler p99 ${p99(latencies.handler)} ms`);
  const during = gcs.filter((g) => g.t >= t0);
  const kinds = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak callbacks' };
  for (const [kind, name] of Object.entries(kinds)) {
    const of = during.filter((g) => String(g.kind) === kind);
    if (of.length === 0) continue;
    const total = of.reduce((a, g) => a + g.d, 0);
    console.log(`GC ${name}: ${of.length} pauses, ${total.toFixed(0)} ms in all, longest ${Math.max(...of.map((g) => g.d)).toFixed(1)} ms`);
  }
  for (const g of gaps) g.gc = during.filter((x) => x.t < g.t + g.d && x.t + x.d > g.t).reduce((a, x) => a + x.d, 0);
  gaps.sort((a, b) => b.d - a.d);
  console.log(`gaps over 5 ms: ${gaps.length}, ${gaps.filter((g) => g.gc > 0).length} with a GC pause inside; longest (at ms: gap, GC inside):`);
  console.log('  ' + gaps.slice(0, 10).map((g) => `${(g.t - t0).toFixed(0)}: ${g.d.toFixed(1)}, ${g.gc.toFixed(1)}`).join(' | '));
  if (session) {
    const { profile } = await post(session, 'HeapProfiler.stopSampling');
    const sites = bySite(profile);
    const total = sites.reduce((a, [, b]) => a + b, 0);
    console.log(`allocations that outlived a minor GC: ${(total / 1e6).toFixed(1)} MB sampled; by site:`);
    for (const [site, bytes] of sites.slice(0, 10)) console.log(`  ${((100 * bytes) / total).toFixed(1)} % ${site}`);
  }
  if (subscription) await subscription.stop();
  await service.disconnect();
  mock.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
