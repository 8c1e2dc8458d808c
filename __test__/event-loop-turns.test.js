'use strict';

// Consuming a backlog leaves the event loop turning: handlers run in slices of a few ms per turn
// (js-support.ts, `turnSpent`), so a timer or an I/O callback of the application waits for at most
// a slice, not for a whole batch or a run of batches. The handler busy-waits a fixed time per
// call, so that a slice holds a known most of calls however slow the machine is (a slower machine
// makes each call longer, never shorter), and the calls between two turns of the loop are counted
// with a `setImmediate` ticker. (Runs of batches in one turn, the other half of the slicing, come
// from a real broker's full prefetch, not from the mock cluster's; bench/results/ has them.)

const { useMockCluster, subscribeOptions, waitFor } = require('./helpers');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(60000);

const cluster = useMockCluster();

/** Keeps the JS thread busy for `ms`. */
function spin(ms) {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Counts `count()` calls per turn of the event loop until `stop()`; `most()` is the largest count. */
function turnCounter() {
  let current = 0;
  let most = 0;
  let running = true;
  const tick = () => {
    most = Math.max(most, current);
    current = 0;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    count: () => (current += 1),
    stop: () => {
      running = false;
      most = Math.max(most, current);
    },
    most: () => most,
  };
}

async function backlog(service, prefix, messages) {
  const topic = cluster.topic(prefix, 1);
  const records = Array.from({ length: messages }, (_, i) => ({ key: 'k', value: String(i) }));
  await service.publishBatch(topic, records);
  return topic;
}

test('eachMessage: a batch of 1,000 is handled over many turns when its handlers take long', async () => {
  const service = cluster.service();
  const topic = await backlog(service, 'turns-each-message', 3000);
  const turns = turnCounter();
  let handled = 0;
  const subscription = await service.subscribe(subscribeOptions(topic, { maxBatchSize: 1000 }), {
    eachMessage: async () => {
      turns.count();
      spin(0.05);
      handled += 1;
    },
  });
  await waitFor(() => handled >= 3000, 45000, () => `3,000 messages handled (${handled} so far)`);
  turns.stop();
  await subscription.stop();
  // 50 µs a message: a slice's budget (2 ms) runs out within the first 64 messages, where the
  // loop first looks at the clock, so a turn holds at most two slices of 64 (its poll phase's and
  // its check phase's); the ticker's turns need not start where the slices' do, hence 3 × 64.
  // Without slices a turn held whole batches: 1,000 messages and more.
  expect(turns.most()).toBeLessThanOrEqual(3 * 64);
});
