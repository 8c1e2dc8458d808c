'use strict';
// The awaited publish loop on librdkafka's mock cluster, for instruction counts per message under
// callgrind: one `await publish()` at a time (`for (…) await publish()`), or with PROFILE_BATCH=K
// one `await publishBatch()` of K messages at a time (the benchmark's awaited-batch mode; K = 1000
// there). Warms up, then publishes N more messages. Run it for two N and divide the difference of
// the totals by the difference of N, so start-up, warm-up, V8's compilation and shutdown cancel out:
//
//   valgrind --tool=callgrind --callgrind-out-file=cg.N.out node bench/awaited-profile.js N [MODULE]
//   PROFILE_BATCH=1000 valgrind --tool=callgrind … node bench/awaited-profile.js N [MODULE]
//
// MODULE: the package directory to load (default: this repository), e.g. a copy of another build's
// index.js + addon, to compare two builds. 100 B values with one of 1,000 keys (10,000 in
// batches, as the benchmark), acks=all, idempotent, no compression (lz4 costs the same in every
// build and would dwarf the boundary), librdkafka's statistics off (its timer runs per wall time,
// and wall time grows ~50× under valgrind). The native floor to compare batches with is
// rdkafka_performance on a mock cluster of its own, counted the same way:
// `rdkafka_performance -P -t t -s 100 -c N -a -1 -X enable.idempotence=true -X test.mock.num.brokers=1 -k key`.

const path = require('path');

const n = Number(process.argv[2]);
const batch = Number(process.env.PROFILE_BATCH || 0);
if (!Number.isInteger(n) || n < 0 || !Number.isInteger(batch) || batch < 0 || (batch && n % batch)) {
  console.error('usage: [PROFILE_BATCH=K] node bench/awaited-profile.js N [MODULE] (N a multiple of K)');
  process.exit(2);
}
const { KafkaService, MockCluster } = require(process.argv[3] || path.join(__dirname, '..'));

// Enough messages for V8 to have optimised the loop's code (its compiler runs on threads of its
// own, which are counted too).
const WARM_UP = batch ? 50 * batch : 3000;

async function main() {
  const mock = MockCluster.start({ brokers: 1 });
  mock.createTopic('awaited', batch ? 6 : 1, 1);
  const service = new KafkaService({
    brokers: mock.bootstrapServers,
    logLevel: 'error',
    statisticsIntervalMs: 0,
    producer: { idempotent: true, acks: -1 },
  });
  await service.connect();
  const value = Buffer.alloc(100, 7);
  if (batch) {
    const keys = Array.from({ length: 10000 }, (_, i) => `key-${String(i).padStart(5, '0')}`);
    for (let sent = 0; sent < WARM_UP + n; sent += batch) {
      const records = [];
      for (let i = 0; i < batch; i++) records.push({ topic: 'awaited', key: keys[(sent + i) % keys.length], value });
      const failed = (await service.publishBatch(records)).find((r) => r.error);
      if (failed) throw failed.error;
    }
  } else {
    const keys = Array.from({ length: 1000 }, (_, i) => Buffer.from(`key-${i}`));
    for (let i = 0; i < WARM_UP + n; i++) await service.publish('awaited', { key: keys[i % keys.length], value });
  }
  await service.disconnect();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
