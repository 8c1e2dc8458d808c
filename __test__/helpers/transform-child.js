'use strict';

// A consume-transform-produce process for transform.test.js: reads KAFKA_INPUT in group
// KAFKA_GROUP and writes `out:<input value>` for each input to KAFKA_OUTPUT, exactly once through
// subscribeTransactional, as transactional id KAFKA_TRANSACTIONAL_ID. It runs until killed (a
// short session timeout lets a restarted member take over the killed one's partitions soon).
// TRANSFORM_DELAY_MS slows each batch and MAX_BATCH_SIZE (50) bounds it, so that a kill lands
// mid-run. It logs at the engine's default level (KAFKA_NATIVE_LOG, else warn) to the test's
// stderr, so that a run that stops making progress says why.

const { KafkaService } = require('../../index.js');

const { KAFKA_BROKERS, KAFKA_INPUT, KAFKA_OUTPUT, KAFKA_GROUP, KAFKA_TRANSACTIONAL_ID } = process.env;
const delay = Number(process.env.TRANSFORM_DELAY_MS || 0);
const maxBatchSize = Number(process.env.MAX_BATCH_SIZE || 50);

async function main() {
  const service = new KafkaService({
    brokers: KAFKA_BROKERS,
    clientId: 'transform-child',
    transactionalId: KAFKA_TRANSACTIONAL_ID,
  });
  await service.subscribeTransactional(
    { groupId: KAFKA_GROUP, topics: [KAFKA_INPUT], fromBeginning: true, maxBatchSize, concurrency: 4, retries: 20, sessionTimeoutMs: 6000 },
    async ({ messages }) => {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      return messages.map((m) => ({ topic: KAFKA_OUTPUT, key: m.key, value: `out:${m.value.toString()}` }));
    },
  );
  process.stdout.write('subscribed\n');
}

main().catch((e) => {
  process.stderr.write(`transform child failed: ${e && e.code} ${e && e.message}\n`);
  process.exitCode = 1;
});
