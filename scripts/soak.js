#!/usr/bin/env node
'use strict';

// Soak: a steady 1,000 events/s published and consumed on the local broker for N minutes.
//   npm run soak -- --minutes 30 [--rate 1000] [--partitions 3] [--out FILE]
// Starts a 1-node cluster of its own (scripts/kafka/up.sh, run dir $TMPDIR/kafka-native-soak, port
// 19492, so the test suites' clusters are left alone) unless KAFKA_BROKERS is set, and stops what
// it started. Prints a JSON line every minute (RSS, heap, active handles, event-loop delay, lag,
// publish errors) and a final line that verifies every acknowledged event was consumed; with
// `--out FILE`, the same lines (JSON, one per line) also go to FILE, as the results quoted in the
// README are kept (bench/results/).
// Exit status 1 if an acknowledged event was lost.

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');
const { KafkaService } = require('../index.js');

const ROOT = path.join(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const minutes = opt('minutes', 10);
const rate = opt('rate', 1000);
const partitions = opt('partitions', 3);
const REPORT_EVERY_MS = opt('report-seconds', 60) * 1000;

const mb = (n) => Math.round((n / 2 ** 20) * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const outIndex = args.indexOf('--out');
const outFile = outIndex >= 0 ? args[outIndex + 1] : undefined;
if (outFile) fs.writeFileSync(outFile, '');
const print = (o) => {
  const line = JSON.stringify(o);
  process.stdout.write(`SOAK ${line}\n`);
  if (outFile) fs.appendFileSync(outFile, `${line}\n`);
};

function kafka(script, ...scriptArgs) {
  return execFileSync('bash', [path.join(ROOT, 'scripts', 'kafka', script), ...scriptArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

async function main() {
  let started = false;
  let brokers = process.env.KAFKA_BROKERS;
  const own = ['--run-dir', path.join(process.env.TMPDIR || '/tmp', 'kafka-native-soak')];
  if (!brokers) {
    brokers = kafka('up.sh', ...own, '--base-port', '19492').split('\n').pop();
    started = true;
  }
  const stopBroker = () => {
    if (started) {
      started = false;
      kafka('down.sh', ...own);
    }
  };
  process.on('SIGINT', () => {
    stopBroker();
    process.exit(130);
  });

  const topic = `soak-${Date.now().toString(36)}`;
  kafka('run-class.sh', 'org.apache.kafka.tools.TopicCommand', '--bootstrap-server', brokers, '--create', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '1');

  const logs = { warn: 0, error: 0 };
  const firstLogs = [];
  const logger = (r) => {
    if (r.level in logs) logs[r.level] += 1;
    if ((r.level === 'warn' || r.level === 'error') && firstLogs.length < 5) firstLogs.push(`${r.clientId} ${r.level} ${r.facility} ${r.message}`.slice(0, 300));
  };
  const producer = new KafkaService({ brokers, clientId: 'soak-producer', logger });
  const consumer = new KafkaService({ brokers, clientId: 'soak-consumer', logger });
  await producer.connect();

  // Events are numbered 0..capacity-1; one byte per event records its state, so the
  // bookkeeping's memory is allocated once, up front, and RSS shows only the client's.
  const capacity = Math.ceil(minutes * 60 * rate * 1.1) + rate * 10;
  const acked = new Uint8Array(capacity);
  const consumed = new Uint8Array(capacity);
  let sent = 0;
  let ackedCount = 0;
  let failed = 0;
  let consumedCount = 0;
  let duplicates = 0;
  const errorCodes = {};

  const subscription = await consumer.subscribe({ groupId: `${topic}-group`, topics: [topic], fromBeginning: true }, {
    eachMessage: async ({ message }) => {
      const n = Number(message.value.toString('latin1', 0, 12));
      if (consumed[n]) duplicates += 1;
      else {
        consumed[n] = 1;
        consumedCount += 1;
      }
    },
  });

  // The histogram's samples include its own 10 ms timer period; it is subtracted below.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const delayMs = (ns) => Math.max(0, Math.round((ns / 1e6 - 10) * 100) / 100);
  loop.enable();
  const body = Buffer.alloc(200, 0x2e);
  const t0 = Date.now();
  const endAt = t0 + minutes * 60000;
  const publishOne = () => {
    const n = sent++;
    const value = Buffer.concat([Buffer.from(String(n).padStart(12, '0'), 'latin1'), body]);
    producer.publish(topic, { key: `k${n % 64}`, value }).then(
      () => {
        acked[n] = 1;
        ackedCount += 1;
      },
      (e) => {
        failed += 1;
        errorCodes[e.code] = (errorCodes[e.code] || 0) + 1;
      },
    );
  };
  const timer = setInterval(() => {
    const due = Math.min(Math.floor(((Date.now() - t0) * rate) / 1000) - sent, rate);
    for (let i = 0; i < due && sent < capacity; i++) publishOne();
  }, 10);

  const series = [];
  let lastSent = 0;
  let lastConsumed = 0;
  const sample = (final = false) => {
    const m = process.memoryUsage();
    const stats = producer.stats();
    const cstats = consumer.stats();
    const row = {
      minute: Math.round((Date.now() - t0) / 6000) / 10,
      rssMb: mb(m.rss),
      heapUsedMb: mb(m.heapUsed),
      externalMb: mb(m.external),
      // Timers, sockets, thread-safe functions: whatever keeps the event loop alive.
      activeResources: process.getActiveResourcesInfo().length,
      eventLoopDelayMs: { p50: delayMs(loop.percentile(50)), p99: delayMs(loop.percentile(99)), max: delayMs(loop.max) },
      sentPerS: Math.round(((sent - lastSent) * 1000) / REPORT_EVERY_MS),
      consumedPerS: Math.round(((consumedCount - lastConsumed) * 1000) / REPORT_EVERY_MS),
      lag: ackedCount - consumedCount,
      brokerLag: cstats.consumer.lag.reduce((a, l) => a + Math.max(0, l.lag), 0),
      inFlight: stats.producer.inFlight,
      ackP99Ms: stats.producer.ackLatency.p99,
      publishErrors: failed,
      logWarnings: logs.warn,
      logErrors: logs.error,
    };
    if (!final) {
      lastSent = sent;
      lastConsumed = consumedCount;
      loop.reset();
      series.push(row.rssMb);
    }
    return row;
  };
  print({ start: true, brokers, topic, minutes, rate, partitions, rssMb: mb(process.memoryUsage().rss) });
  while (Date.now() < endAt) {
    await sleep(Math.min(REPORT_EVERY_MS, endAt - Date.now()));
    print(sample());
  }
  clearInterval(timer);

  // Drain: every publish settles, then everything acknowledged must be consumed.
  const drainUntil = Date.now() + 120000;
  while (ackedCount + failed < sent && Date.now() < drainUntil) await sleep(100);
  while (consumedCount < ackedCount && Date.now() < drainUntil) await sleep(100);
  await sleep(2000); // late duplicates would show here
  let lost = 0;
  let consumedNotAcked = 0;
  for (let n = 0; n < sent; n++) {
    if (acked[n] && !consumed[n]) lost += 1;
    if (!acked[n] && consumed[n]) consumedNotAcked += 1;
  }
  const final = sample(true);
  await subscription.stop();
  await consumer.disconnect();
  await producer.disconnect();
  print({
    final: true,
    minutes,
    sent,
    acknowledged: ackedCount,
    failed,
    errorCodes,
    consumedDistinct: consumedCount,
    duplicates,
    lost,
    consumedNotAcked,
    verdict: lost === 0 ? 'zero loss' : 'LOSS',
    rssSeriesMb: series,
    // After two minutes of warm-up (allocator pools, librdkafka buffers, V8's heap sizing).
    rssGrowthAfterWarmUpMb: series.length > 3 ? Math.round((Math.max(...series.slice(2)) - series[2]) * 10) / 10 : null,
    finalRssMb: final.rssMb,
    firstWarnings: firstLogs,
    activeResources: final.activeResources,
  });
  stopBroker();
  process.exitCode = lost === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
