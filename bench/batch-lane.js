'use strict';
// What a `publishBatch` costs the Node thread, and what that thread waits for: the batch modes of
// the benchmark on a running broker (1,000 messages per call of 100 B or 1 KiB values, one of
// 1,000 keys, acks=all, idempotent, lz4, a fresh topic of 6 partitions), for SECONDS after a
// warm-up. `batch` keeps 10 calls in flight, `awaited-batch` awaits each. Prints msgs/s, the
// process's CPU s per million messages, the JS thread's CPU µs per message and the ms it spent
// runnable but waiting for a core (/proc/thread-self/schedstat), the time each call takes
// before it returns (p50 / p99), and the event-loop delay p99 (5 ms resolution, as the benchmark
// measures it).
//
//   KAFKA_BROKERS=127.0.0.1:19092 node bench/batch-lane.js [batch|awaited-batch] [SIZE] [SECONDS]
//
// KAFKA_NATIVE_MODULE: another build's directory, to compare two builds run by run.
// Figures: results/2026-12-06-enqueue-lane.md.

const fs = require('fs');
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');
const { pct } = require('./lib/stats');

const mode = process.argv[2] || 'batch';
const size = Number(process.argv[3] || 100);
const seconds = Number(process.argv[4] || 8);
const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:19092').split(',');
const { KafkaService } = require(process.env.KAFKA_NATIVE_MODULE || path.join(__dirname, '..'));

const BATCH = 1000;
const IN_FLIGHT = 10;
const ELD_RESOLUTION_MS = 5;
const KEYS = Array.from({ length: 1000 }, (_, i) => `key-${i}`);

/** The JS thread's time on a core and runnable but waiting for one, in ms. */
function jsThreadTimes() {
  const [onCpu, waiting] = fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
  return { onCpu: onCpu / 1e6, waiting: waiting / 1e6 };
}

async function main() {
  const service = new KafkaService({ brokers, logLevel: 'error', producer: { compression: 'lz4', idempotent: true, acks: -1 } });
  await service.connect();
  const topic = `batch-lane-${process.pid}`;
  const admin = service.admin();
  await admin.createTopics([{ name: topic, partitions: 6, replicationFactor: 1 }]);
  await admin.disconnect();
  const value = Buffer.alloc(size, 7);
  const batchOf = (from) => Array.from({ length: BATCH }, (_, i) => ({ key: KEYS[(from + i) % KEYS.length], value }));
  for (let i = 0; i < 3; i++) await service.publishBatch(topic, batchOf(0));

  const callMs = [];
  let issued = 0;
  let acked = 0;
  // Times the call itself (packing and handing over), not its settling.
  const publish = () => {
    const messages = batchOf(issued);
    issued += BATCH;
    const t = performance.now();
    const settled = service.publishBatch(topic, messages);
    callMs.push(performance.now() - t);
    return settled;
  };

  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const cpu0 = process.cpuUsage();
  const js0 = jsThreadTimes();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  eld.enable();
  if (mode === 'awaited-batch') {
    while (performance.now() < deadline) {
      await publish();
      acked += BATCH;
    }
  } else if (mode === 'batch') {
    await new Promise((resolve) => {
      let inFlight = 0;
      const pump = () => {
        while (inFlight < IN_FLIGHT && performance.now() < deadline) {
          inFlight++;
          publish().then(() => {
            acked += BATCH;
            inFlight--;
            pump();
          });
        }
        if (inFlight === 0) resolve();
      };
      pump();
    });
  } else {
    throw new Error(`unknown mode ${mode} (batch or awaited-batch)`);
  }
  eld.disable();
  const elapsed = (performance.now() - t0) / 1000;
  const js1 = jsThreadTimes();
  const cpu = process.cpuUsage(cpu0);
  callMs.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      mode,
      size,
      msgsPerS: Math.round(acked / elapsed),
      cpuSPerMillion: +((cpu.user + cpu.system) / acked).toFixed(2),
      jsUsPerMsg: +(((js1.onCpu - js0.onCpu) * 1000) / acked).toFixed(2),
      jsWaitingMs: Math.round(js1.waiting - js0.waiting),
      callMsP50: +(pct(callMs, 50) ?? 0).toFixed(3),
      callMsP99: +(pct(callMs, 99) ?? 0).toFixed(3),
      eldP99Ms: +Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS).toFixed(2),
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
