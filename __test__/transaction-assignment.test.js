'use strict';

// A transaction's sendOffsets given the batch's `assignment` (what subscribeTransactional
// does): accepted while the subscription holds the partition under that assignment, refused
// with ERR__STATE once a rebalance revoked it, even though the partition came back to the same
// member: a batch handled past a rebalance must not commit its offsets under the next
// generation, since the new assignment delivers it again from the committed offset.

const { useMockCluster, uniqueName, waitFor, expectRejection } = require('./helpers');

jest.setTimeout(120000);

const cluster = useMockCluster({ brokers: 1 });

test('sendOffsets refuses the offsets of a batch whose assignment was revoked', async () => {
  const topic = cluster.topic('tx-assignment', 2);
  await cluster.service().publishBatch(
    topic,
    Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
  );
  const groupId = uniqueName('tx-assignment');
  const batches = [];
  const member = cluster.service({ transactionalId: uniqueName('tx-assignment-tid') });
  const subscription = await member.subscribe(
    { groupId, topics: [topic], fromBeginning: true, autoCommit: false },
    { eachBatch: async ({ batch }) => batches.push(batch) },
  );
  await waitFor(() => batches.length > 0, 30000, 'a batch');
  const first = batches[0];
  expect(first.assignment).toBeGreaterThan(0);
  const offsets = (assignment) => [{ topic: first.topic, partition: first.partition, offset: first.lastOffset(), assignment }];

  const held = await member.transaction();
  await held.sendOffsets({ subscription, offsets: offsets(first.assignment) });
  await held.abort();

  // A second member joins: every partition is revoked, and the first member gets some back.
  const other = await cluster.service().subscribe(
    { groupId, topics: [topic], fromBeginning: true, autoCommit: false },
    { eachBatch: async () => {} },
  );
  await waitFor(() => subscription.assignments().length === 1, 60000, 'the rebalance');
  const revoked = await member.transaction();
  const refused = await expectRejection(() => revoked.sendOffsets({ subscription, offsets: offsets(first.assignment) }), 'ERR__STATE');
  expect({ retriable: refused.retriable, topic: refused.topic, partition: refused.partition }).toEqual({ retriable: false, topic, partition: first.partition });
  // Without an assignment, the member's current metadata is used as before.
  await revoked.sendOffsets({ subscription, offsets: offsets(undefined) });
  await revoked.abort();
  await other.stop();
  await subscription.stop();
});
