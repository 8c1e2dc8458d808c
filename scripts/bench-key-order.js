'use strict';

// Per-key parallelism against partition order on one partition: messages/s with a 10 ms handler,
// 100 keys, `ordering: 'key'` with concurrency 10 against the default partition order.
// Usage: KAFKA_BROKERS=127.0.0.1:9092 node scripts/bench-key-order.js [messages]
// Prints one `KEY_ORDER {...}` line with both figures and their ratio.

const { randomBytes } = require('crypto');
const { KafkaService, KafkaAdmin } = require('../index.js');

const brokers = process.env.KAFKA_BROKERS || '127.0.0.1:9092';
const n = Number(process.argv[2] || 3000);
const HANDLER_MS = 10;

async function run(service, topic, options) {
  let handled = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  let start = 0;
  const subscription = await service.subscribe(
    { groupId: `bench-${randomBytes(4).toString('hex')}`, topics: [topic], fromBeginning: true, ...options },
    {
      eachMessage: async () => {
        if (start === 0) start = Date.now();
        await new Promise((r) => setTimeout(r, HANDLER_MS));
        handled += 1;
        if (handled === n) done();
      },
    },
  );
  await finished;
  const seconds = (Date.now() - start) / 1000;
  await subscription.stop();
  return Math.round(n / seconds);
}

async function main() {
  const admin = new KafkaAdmin({ brokers, logLevel: 'error' });
  const service = new KafkaService({ brokers, logLevel: 'error' });
  await service.connect();
  const topic = `bench-keys-${randomBytes(4).toString('hex')}`;
  await admin.createTopics([{ name: topic, partitions: 1 }]);
  const records = [];
  for (let i = 0; i < n; i++) records.push({ key: `k${i % 100}`, value: String(i) });
  await service.publishBatch(topic, records);
  const partitionOrder = await run(service, topic, {});
  const keyOrder = await run(service, topic, { ordering: 'key', concurrency: 10 });
  const result = { messages: n, handlerMs: HANDLER_MS, keys: 100, partitions: 1, partitionOrder, keyOrder, ratio: Number((keyOrder / partitionOrder).toFixed(1)) };
  process.stdout.write(`KEY_ORDER ${JSON.stringify(result)}\n`);
  await admin.deleteTopics([topic]).catch(() => undefined);
  await service.disconnect();
  await admin.disconnect();
}

main().catch((e) => {
  process.stderr.write(`${e.code || ''} ${e.stack}\n`);
  process.exit(1);
});
