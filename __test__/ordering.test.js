'use strict';

// `ordering: 'key'` through the JS API on the mock cluster: keys of one partition handled in
// parallel, each key in order; a bad value is a typed error.

const { useMockCluster, subscribeOptions, waitFor, expectRejection } = require('./helpers');

jest.setTimeout(60000);

const cluster = useMockCluster();

test("ordering: 'key' runs keys in parallel and keeps each key's order", async () => {
  const service = cluster.service();
  const topic = cluster.topic('keyed', 1);
  const n = 600;
  await service.publishBatch(topic, Array.from({ length: n }, (_, i) => ({ key: `k${i % 20}`, value: String(i) })));
  const last = new Map();
  let outOfOrder = 0;
  let running = 0;
  let peak = 0;
  let handled = 0;
  const subscription = await service.subscribe(subscribeOptions(topic, { ordering: 'key', concurrency: 5 }), {
    eachMessage: async ({ message }) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, Math.random() * 4));
      const key = message.key.toString();
      const v = Number(message.value.toString());
      if (last.has(key) && last.get(key) >= v) outOfOrder += 1;
      last.set(key, v);
      running -= 1;
      handled += 1;
    },
  });
  await waitFor(() => handled >= n, 45000, `${n} messages`);
  await subscription.stop();
  expect(outOfOrder).toBe(0);
  expect(handled).toBe(n);
  expect(peak).toBeGreaterThan(1);
  expect(peak).toBeLessThanOrEqual(5);
});

test('an unknown ordering is ERR_INVALID_ARG', async () => {
  const service = cluster.service();
  const topic = cluster.topic('keyed-bad', 1);
  await expectRejection(() => service.subscribe(subscribeOptions(topic, { ordering: 'offset' }), { eachMessage: async () => {} }), 'ERR_INVALID_ARG');
});
