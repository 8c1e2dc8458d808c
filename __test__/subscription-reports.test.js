'use strict';

// A subscription's reports (onCommit, onFetch): their shapes, and that a listener that throws
// neither crashes the process nor stops the subscription or later reports.

const { useMockCluster, collector, subscribeOptions, waitFor, expectRejection } = require('./helpers');

jest.setTimeout(60000);

const cluster = useMockCluster();

test('onCommit follows each commit with the offsets written; onFetch each delivering round; a throwing listener changes nothing', async () => {
  const service = cluster.service();
  const topic = cluster.topic('reports', 1);
  await service.publishBatch(topic, ['a', 'b'].map((value) => ({ value })));
  const commits = [];
  const rounds = [];
  const c = collector();
  const subscription = await service.subscribe(
    subscribeOptions(topic, {
      autoCommit: false,
      sessionTimeoutMs: 6000,
      onCommit: (commit) => {
        commits.push(commit);
        throw new Error('a listener that throws');
      },
      onFetch: (r) => {
        rounds.push(...r);
        throw new Error('a listener that throws');
      },
    }),
    { eachMessage: c.eachMessage },
  );
  await waitFor(() => c.received.length === 2, 30000, 'two messages');
  // A handled message's offset is stored once its handler's result is back in the engine: commit
  // until a commit wrote offset 2 (a commit with nothing new reports nothing).
  const wrote = (offset) => commits.find((commit) => commit.offsets.some((o) => o.offset === offset));
  await waitFor(
    async () => {
      await subscription.commit();
      return wrote('2');
    },
    30000,
    'the commit report of offset 2',
  );
  expect(wrote('2')).toEqual({
    groupId: expect.any(String),
    memberId: expect.stringMatching(/./),
    generationId: expect.any(Number),
    offsets: [{ topic, partition: 0, offset: '2' }],
  });
  expect(rounds.filter((r) => r.batches > 0)[0]).toEqual({ nodeId: expect.any(Number), batches: expect.any(Number), durationMs: expect.any(Number) });

  await service.publish(topic, { value: 'c' });
  await waitFor(() => c.received.length === 3, 30000, 'the third message');
  await waitFor(
    async () => {
      await subscription.commit();
      return wrote('3');
    },
    30000,
    'the commit report of offset 3',
  );
  expect(wrote('3').offsets).toEqual([{ topic, partition: 0, offset: '3' }]);
  expect(subscription.running).toBe(true);
  await subscription.stop();
});

test('a report option that is not a function is refused', async () => {
  const service = cluster.service();
  const topic = cluster.topic('reports-bad', 1);
  await expectRejection(() => service.subscribe(subscribeOptions(topic, { onCommit: 42 }), { eachMessage: async () => {} }), 'ERR_INVALID_ARG');
});
