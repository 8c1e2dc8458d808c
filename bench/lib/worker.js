'use strict';
// One measurement of one client, in a process of its own (forked by run.js), so that peak RSS,
// CPU time and event-loop delay belong to that client alone. The spec arrives as argv[2] (JSON);
// the result goes back over IPC as {type: 'result', result} (or {type: 'error', error}).
// {type: 'window', phase: 'start'|'end'} marks the measured window, for an outside profiler.

const { monitorEventLoopDelay } = require('perf_hooks');
const { ADAPTERS } = require('./clients');
const { latencySummary } = require('./stats');

const now = () => performance.now();
const ELD_RESOLUTION_MS = 5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tell = (msg) => process.send && process.send(msg);

const KEYS = Array.from({ length: 10000 }, (_, i) => Buffer.from(`key-${String(i).padStart(5, '0')}`));

function patternedValue(size, pattern) {
  const b = Buffer.alloc(size);
  const p = Buffer.from(pattern);
  for (let i = 0; i < size; i++) b[i] = p[i % p.length];
  return b;
}

/** CPU, peak RSS and event-loop delay of this process over a window. */
function meter() {
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
  }, 100);
  sampler.unref();
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  eld.enable();
  tell({ type: 'window', phase: 'start' });
  return {
    async stop() {
      tell({ type: 'window', phase: 'end' });
      const cpu = process.cpuUsage(cpu0);
      const windowMs = now() - t0;
      // Let the histogram's timer fire once more, so a stall at the end of the window counts.
      await sleep(2 * ELD_RESOLUTION_MS);
      eld.disable();
      clearInterval(sampler);
      const maxRss = process.resourceUsage().maxRSS * 1024;
      // No sample at all: the loop never reached its timers phase during the window.
      const starved = eld.count === 0;
      return {
        windowS: windowMs / 1000,
        cpuUserS: cpu.user / 1e6,
        cpuSystemS: cpu.system / 1e6,
        cpuS: (cpu.user + cpu.system) / 1e6,
        peakRssMB: Math.round(Math.max(peak, maxRss) / 2 ** 20),
        // The histogram records the whole interval between its timer's callbacks: the
        // delay is that minus the resolution.
        eventLoopDelayMs: {
          samples: eld.count,
          starved,
          p50: starved ? windowMs : Math.max(0, eld.percentile(50) / 1e6 - ELD_RESOLUTION_MS),
          p99: starved ? windowMs : Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS),
          max: starved ? windowMs : Math.max(0, eld.max / 1e6 - ELD_RESOLUTION_MS),
        },
      };
    },
  };
}

// A message in the shape most clients take and give ({key, value}); an adapter whose client
// differs says so with its own `message` and `consumedValue`.
const plainMessage = (key, value) => ({ key, value });
const plainValue = (message) => message.value;

function cpuPerMillion(res, messages) {
  return messages > 0 ? (res.cpuS / messages) * 1e6 : null;
}

// ------------------------------------------------------------------------- case 1: producer

async function produceCase(spec, adapter) {
  const { size, mode } = spec;
  // The scaling case spreads the calls over several topics (round robin, call by call).
  const topics = spec.topics || [spec.topic];
  const topic = topics[0];
  const topicOf = (i) => topics[i % topics.length];
  // The scaling case also records each call's time (publish or batch call to its settling).
  const callMs = spec.recordLatency ? [] : null;
  let calls = 0;
  const value = patternedValue(size, spec.pattern);
  const p = await adapter.producer(spec.brokers);
  // A batch's messages, in the client's own shape ({key, value} unless the adapter says otherwise).
  const message = adapter.message || plainMessage;
  const batchOf = (from, n) => {
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = message(KEYS[(from + i) % KEYS.length], value);
    return out;
  };
  // Warm-up (not measured): connections, producer id, metadata, JIT.
  if (!spec.noWarmup) {
    await p.send(topic, KEYS[0], value);
    await p.sendBatch(topic, batchOf(0, 1000));
    const warm = [];
    for (let i = 0; i < 2000; i++) warm.push(p.send(topic, KEYS[i % KEYS.length], value));
    for (const t of topics.slice(1)) warm.push(p.send(t, KEYS[0], value));
    await Promise.all(warm);
  }

  const maxMessages = spec.maxMessages;
  const deadline = now() + spec.maxSeconds * 1000;
  let acked = 0;
  let failed = 0;
  let issued = 0;
  const m = meter();
  const t0 = now();

  if (mode === 'awaited') {
    while (issued < maxMessages && now() < deadline) {
      try {
        await p.send(topic, KEYS[issued % KEYS.length], value);
        acked++;
      } catch (_) {
        failed++;
      }
      issued++;
    }
  } else if (mode === 'awaited-batch') {
    // The most common batch loop: `for (…) await publishBatch(1,000)`, one call at a time.
    const n = spec.batchSize;
    while (issued < maxMessages && now() < deadline) {
      try {
        const t = now();
        const f = await p.sendBatch(topicOf(calls++), batchOf(issued, n));
        if (callMs) callMs.push(now() - t);
        failed += f;
        acked += n - f;
      } catch (_) {
        failed += n;
      }
      issued += n;
    }
  } else if (mode === 'concurrent') {
    const window = spec.inflight;
    await new Promise((resolve) => {
      let inflight = 0;
      let stopped = false;
      const ok = () => {
        acked++;
        inflight--;
        pump();
      };
      const timed = (t) => () => {
        callMs.push(now() - t);
        ok();
      };
      const bad = () => {
        failed++;
        inflight--;
        pump();
      };
      function pump() {
        while (!stopped && inflight < window) {
          if (issued >= maxMessages || ((issued & 255) === 0 && now() >= deadline)) {
            stopped = true;
            break;
          }
          inflight++;
          p.send(topicOf(issued), KEYS[issued % KEYS.length], value).then(callMs ? timed(now()) : ok, bad);
          issued++;
        }
        if (stopped && inflight === 0) resolve();
      }
      pump();
    });
  } else if (mode === 'batch') {
    const window = spec.batchInflight;
    const n = spec.batchSize;
    await new Promise((resolve) => {
      let inflight = 0;
      let stopped = false;
      const done = (count, t) => (f) => {
        if (callMs) callMs.push(now() - t);
        failed += f;
        acked += count - f;
        inflight--;
        pump();
      };
      const bad = (count) => () => {
        failed += count;
        inflight--;
        pump();
      };
      function pump() {
        while (!stopped && inflight < window) {
          if (issued >= maxMessages || now() >= deadline) {
            stopped = true;
            break;
          }
          inflight++;
          p.sendBatch(topicOf(calls++), batchOf(issued, n)).then(done(n, now()), bad(n));
          issued += n;
        }
        if (stopped && inflight === 0) resolve();
      }
      pump();
    });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const seconds = (now() - t0) / 1000;
  const res = await m.stop();
  await p.close();
  return {
    messages: acked,
    failed,
    seconds,
    msgsPerSec: acked / seconds,
    MBps: (acked * size) / seconds / 1e6,
    cpuSPerMillion: cpuPerMillion(res, acked),
    callMs: callMs ? latencySummary(callMs) : undefined,
    ...res,
  };
}

// ------------------------------------------------------------------ case 2: fixed-rate latency

/**
 * Synthetic request work on the JS thread: slices of `sliceMs` of busy computation, run from a
 * 1 ms timer whenever the work done so far is below `share` of the time elapsed (so 2 ms slices
 * at 0.5 keep the thread busy half of the time, as an API serving requests would). Returns
 * stop() -> the share of the time actually spent in the slices.
 */
function jsBusy({ sliceMs, share }) {
  const t0 = now();
  let busyMs = 0;
  let stopped = false;
  let sink = 0;
  const tick = () => {
    if (stopped) return;
    if (busyMs < share * (now() - t0)) {
      const s = now();
      while (now() - s < sliceMs) sink = (sink * 31 + 7) % 1000003;
      busyMs += now() - s;
    }
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  return {
    stop() {
      stopped = true;
      return { busyShare: busyMs / (now() - t0), sink };
    },
  };
}

async function latencyCase(spec, adapter) {
  const consumedValue = adapter.consumedValue || plainValue;
  const { topic, size, rate, seconds } = spec;
  const template = patternedValue(size, spec.pattern);
  const total = Math.round(rate * seconds);
  const ack = [];
  const e2e = [];
  const lag = [];
  let failed = 0;
  let warmSeen = false;
  let received = 0;
  const onMessage = (message) => {
    const v = consumedValue(message);
    if (!v || v.length < 16) {
      warmSeen = true;
      return;
    }
    e2e.push(now() - v.readDoubleLE(0));
    received++;
  };
  const onBatch = (messages) => {
    for (const msg of messages) onMessage(msg);
  };
  const p = await adapter.producer(spec.brokers);
  const c = await adapter.consumer(spec.brokers, { topic, groupId: spec.groupId, mode: 'eachMessage', onMessage, onBatch });
  // Until the consumer has its partitions and sees what is produced, send short warm-up messages.
  const warmDeadline = now() + 90_000;
  while (!warmSeen) {
    if (now() > warmDeadline) throw new Error('the consumer saw no warm-up message within 90 s');
    await p.send(topic, KEYS[0], Buffer.from('w'));
    await sleep(200);
  }
  await sleep(1000);
  // JIT warm-up of the send path, then the measured window.
  for (let i = 0; i < 200; i++) await p.send(topic, KEYS[i], Buffer.from('w'));

  const busy = spec.jsBusy ? jsBusy(spec.jsBusy) : null;
  const m = meter();
  const start = now();
  const interval = 1000 / rate;
  let i = 0;
  let acked = 0;
  await new Promise((resolve) => {
    function tick() {
      const due = Math.min(total, Math.floor((now() - start) / interval) + 1);
      while (i < due) {
        const t = now();
        lag.push(t - (start + i * interval));
        const v = Buffer.allocUnsafe(size);
        template.copy(v);
        v.writeDoubleLE(t, 0);
        v.writeUInt32LE(i, 8);
        p.send(topic, KEYS[i % KEYS.length], v).then(
          () => {
            ack.push(now() - t);
            acked++;
          },
          () => failed++,
        );
        i++;
      }
      if (i >= total) resolve();
      else setTimeout(tick, 1);
    }
    tick();
  });
  const sendSeconds = (now() - start) / 1000;
  // Drain: every publish settled and every message handled, or the drain deadline.
  const drainUntil = now() + spec.drainSeconds * 1000;
  while ((acked + failed < total || received < total) && now() < drainUntil) await sleep(20);
  const res = await m.stop();
  const busyShare = busy ? busy.stop().busyShare : null;
  const stillUnacked = total - acked - failed;
  const unhandled = total - received;
  // What never arrived within the drain counts with the time it had waited (a lower bound).
  const waited = now() - start;
  for (let k = 0; k < stillUnacked; k++) ack.push(waited);
  for (let k = 0; k < unhandled; k++) e2e.push(waited);
  await c.stop();
  await p.close();
  return {
    messages: total,
    failed,
    unacked: stillUnacked,
    unhandled: Math.max(0, unhandled),
    sendSeconds,
    achievedRate: total / sendSeconds,
    ackMs: latencySummary(ack),
    handlerMs: latencySummary(e2e),
    pacingLagMs: latencySummary(lag),
    busyShare,
    cpuSPerMillion: cpuPerMillion(res, total),
    ...res,
  };
}

// --------------------------------------------------------------------- case 3: consumer

async function consumeCase(spec, adapter) {
  const consumedValue = adapter.consumedValue || plainValue;
  const { topic, mode, expected } = spec;
  let count = 0;
  let bytes = 0;
  let first = null;
  let last = null;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const onMessage = (message) => {
    if (first === null) first = now();
    const v = consumedValue(message);
    bytes += v ? v.length : 0;
    if (++count === expected) {
      last = now();
      finish();
    }
  };
  const onBatch = (messages) => {
    if (first === null) first = now();
    for (let k = 0; k < messages.length; k++) {
      const v = consumedValue(messages[k]);
      bytes += v ? v.length : 0;
    }
    const before = count;
    count += messages.length;
    if (before < expected && count >= expected) {
      last = now();
      finish();
    }
  };
  const m = meter();
  const t0 = now();
  const c = await adapter.consumer(spec.brokers, { topic, groupId: spec.groupId, mode, onMessage, onBatch });
  const timeout = sleep(spec.timeoutSeconds * 1000).then(() => 'timeout');
  const outcome = await Promise.race([finished, timeout]);
  const res = await m.stop();
  const stopT = now();
  await Promise.race([c.stop(), sleep(30_000)]);
  if (outcome === 'timeout') throw new Error(`consumed ${count} of ${expected} within ${spec.timeoutSeconds} s`);
  const seconds = (last - first) / 1000;
  return {
    messages: count,
    bytes,
    joinSeconds: (first - t0) / 1000,
    seconds,
    msgsPerSec: count / seconds,
    msgsPerSecWithJoin: count / ((last - t0) / 1000),
    MBps: bytes / seconds / 1e6,
    stopSeconds: (now() - stopT) / 1000,
    cpuSPerMillion: cpuPerMillion(res, count),
    ...res,
  };
}

// ------------------------------------------------- scaling: consumers sharing the work

/**
 * Consumes `spec.topics` (one subscription each, in this process) in group `spec.groupId` until
 * run.js says stop; reports its count every 100 ms ({type: 'progress', count}), as the messages
 * of the topics are shared with other processes of the same group.
 */
async function shareCase(spec, adapter) {
  let count = 0;
  const onMessage = () => {
    count++;
  };
  const onBatch = (messages) => {
    count += messages.length;
  };
  const m = meter();
  const consumers = [];
  for (const topic of spec.topics) {
    consumers.push(await adapter.consumer(spec.brokers, { topic, groupId: `${spec.groupId}-${topic}`, mode: spec.mode, onMessage, onBatch }));
  }
  const progress = setInterval(() => tell({ type: 'progress', count }), 100);
  await new Promise((resolve) => process.on('message', (msg) => msg && msg.type === 'stop' && resolve()));
  clearInterval(progress);
  const res = await m.stop();
  await Promise.race([Promise.all(consumers.map((c) => c.stop())), sleep(30_000)]);
  return { messages: count, ...res };
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const adapter = ADAPTERS[spec.client];
  if (!adapter) throw new Error(`unknown client ${spec.client}`);
  const run = { produce: produceCase, latency: latencyCase, consume: consumeCase, share: shareCase }[spec.case];
  if (!run) throw new Error(`unknown case ${spec.case}`);
  const result = await run(spec, adapter);
  tell({ type: 'result', result });
}

main().then(
  () => setTimeout(() => process.exit(0), 50),
  (e) => {
    tell({ type: 'error', error: (e && e.stack) || String(e) });
    setTimeout(() => process.exit(1), 50);
  },
);
