'use strict';
// The awaited single-publish loop (`for (…) await publish()`) on librdkafka's mock cluster, for
// instruction counts per message under callgrind: warms up with 3,000 publishes, then publishes N
// more, one at a time. Run it for two N and divide the difference of the totals by the difference
// of N, so start-up, warm-up and shutdown cancel out:
//
//   valgrind --tool=callgrind --callgrind-out-file=cg.N.out node bench/awaited-profile.js N [MODULE]
//
// MODULE: the package directory to load (default: this repository), e.g. a copy of another build's
// index.js + addon, to compare two builds. 100 B values with one of 1,000 keys, acks=all,
// idempotent, no compression (lz4 costs the same in every build and would dwarf the boundary),
// librdkafka's statistics off (its timer runs per wall time, and wall time grows ~50× under
// valgrind).

const path = require('path');

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 0) {
  console.error('usage: node bench/awaited-profile.js N [MODULE]');
  process.exit(2);
}
const { KafkaService, MockCluster } = require(process.argv[3] || path.join(__dirname, '..'));

const WARM_UP = 3000;

async function main() {
  const mock = MockCluster.start({ brokers: 1 });
  mock.createTopic('awaited', 1, 1);
  const service = new KafkaService({
    brokers: mock.bootstrapServers,
    logLevel: 'error',
    statisticsIntervalMs: 0,
    producer: { idempotent: true, acks: -1 },
  });
  await service.connect();
  const value = Buffer.alloc(100, 7);
  const keys = Array.from({ length: 1000 }, (_, i) => Buffer.from(`key-${i}`));
  for (let i = 0; i < WARM_UP + n; i++) await service.publish('awaited', { key: keys[i % keys.length], value });
  await service.disconnect();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
