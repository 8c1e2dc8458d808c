'use strict';
// `publishBatch` and an `eachMessage` subscription on librdkafka's mock cluster, for instruction
// counts under callgrind of the packed paths between them (publishBatch's results built in JS,
// consumed batches unpacked in JS): publishes 3,000 + N messages in batches of 100 (a key, a
// 100 B value and one header each), then consumes them all. Run it for two N and divide the
// difference of the totals by the difference of N, as with awaited-profile.js:
//
//   valgrind --tool=callgrind --callgrind-out-file=cg.N.out node bench/batch-profile.js N [MODULE]
//
// MODULE: the package directory to load (default: this repository), to compare two builds.

const path = require('path');

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 0 || n % 100 !== 0) {
  console.error('usage: node bench/batch-profile.js N [MODULE] (N a multiple of 100)');
  process.exit(2);
}
const { KafkaService, MockCluster } = require(process.argv[3] || path.join(__dirname, '..'));

const WARM_UP = 3000;
const BATCH = 100;

async function main() {
  const mock = MockCluster.start({ brokers: 1 });
  mock.createTopic('batches', 1, 1);
  const service = new KafkaService({ brokers: mock.bootstrapServers, logLevel: 'error', statisticsIntervalMs: 0 });
  await service.connect();
  const value = Buffer.alloc(100, 7);
  const total = WARM_UP + n;
  for (let sent = 0; sent < total; sent += BATCH) {
    const records = Array.from({ length: BATCH }, (_, i) => ({ topic: 'batches', key: `key-${(sent + i) % 1000}`, value, headers: { source: 'profile' } }));
    const results = await service.publishBatch(records);
    if (results.some((r) => r.error)) throw results.find((r) => r.error).error;
  }
  let received = 0;
  let done;
  const all = new Promise((resolve) => (done = resolve));
  const subscription = await service.subscribe(
    { groupId: 'batch-profile', topics: ['batches'], fromBeginning: true },
    {
      eachMessage: async () => {
        if (++received === total) done();
      },
    },
  );
  await all;
  await subscription.stop();
  await service.disconnect();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
