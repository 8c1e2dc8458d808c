'use strict';

// subscribeTransactional fenced on the mock cluster (librdkafka's mock answers EndTxn with
// PRODUCER_FENCED, a fatal error): fences with no committed transaction between them are one
// disturbance, which the subscription rides out by replacing its producer (up to six times); a
// longer one stops it with ERR__FENCED. The mock does not hide aborted transactions from
// read_committed readers, so the outputs are counted by distinct value here; exactly-once and
// intruders with the same transactional id are the real-broker cases of
// __test__/integration/transform.test.js.

const { useMockCluster, collector, uniqueName, waitFor, sleep } = require('./helpers');

jest.setTimeout(120000);

const cluster = useMockCluster({ brokers: 1 });

/** Kafka's EndTxn request and PRODUCER_FENCED error. */
const END_TXN = 26;
const PRODUCER_FENCED = 90;
const INPUTS = 40;

/** Transforms INPUTS messages with `fences` EndTxn requests fenced before the first commit. */
async function transformFenced(fences) {
  const input = cluster.topic('ctp-fence-in', 1);
  const output = cluster.topic('ctp-fence-out', 1);
  const published = await cluster.service().publishBatch(
    input,
    Array.from({ length: INPUTS }, (_, i) => ({ value: `v${i}` })),
  );
  expect(published.filter((r) => r.error)).toEqual([]);
  const out = collector();
  const reading = await cluster
    .service()
    .subscribe({ groupId: uniqueName('ctp-read'), topics: [output], fromBeginning: true, readCommitted: true }, { eachMessage: out.eachMessage });
  cluster.mock.pushRequestErrors(END_TXN, Array(fences).fill(PRODUCER_FENCED));
  const errors = [];
  const transforming = cluster.service({ transactionalId: uniqueName('ctp-tid') });
  const subscription = await transforming.subscribeTransactional(
    { groupId: uniqueName('ctp'), topics: [input], fromBeginning: true, maxBatchSize: 10, retries: 10, retryBackoffMs: 50, onError: (e) => errors.push(e) },
    async ({ messages }) => messages.map((m) => ({ topic: output, value: `out:${m.value.toString()}` })),
  );
  return { out, errors, stop: () => Promise.all([subscription.stop(), reading.stop()]) };
}

test('six fences in a row are one disturbance: the producer is replaced each time and every input is transformed', async () => {
  const { out, errors, stop } = await transformFenced(6);
  const distinct = () => new Set(out.values()).size;
  await waitFor(() => distinct() >= INPUTS || errors.length > 0, 60000, 'every output');
  await sleep(500);
  await stop();
  expect(errors).toEqual([]);
  expect(distinct()).toBe(INPUTS);
});

test('a disturbance of more than six replacements stops the subscription with ERR__FENCED', async () => {
  const { out, errors, stop } = await transformFenced(7);
  await waitFor(() => errors.length > 0, 60000, 'onError');
  await stop();
  expect(errors.map((e) => ({ code: e.code, retriable: e.retriable }))).toEqual([{ code: 'ERR__FENCED', retriable: false }]);
  // Only the first batch's aborted attempts reached the output.
  expect(new Set(out.values()).size).toBeLessThanOrEqual(10);
});
