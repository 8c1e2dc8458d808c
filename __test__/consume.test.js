'use strict';

// Subscriptions: at-least-once redelivery of failing messages (rejecting, throwing, eachBatch with
// resolveOffset), handlers that return plain values, pause/resume, and stop with handlers in
// flight. A group is reused by a second subscription to see what the first one committed: the mock
// cluster holds a group that just emptied for session.timeout.ms - 1 s, so both use 6 s.

const {
  useMockCluster,
  collector,
  subscribeOptions,
  uniqueName,
  waitFor,
  sleep,
  expectKafkaError,
  expectRejection,
} = require('./helpers');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(60000);

const cluster = useMockCluster();
const SESSION_TIMEOUT_MS = 6000;

/** A topic of one partition holding `values` at offsets 0..n-1. */
async function topicWith(service, prefix, values) {
  const topic = cluster.topic(prefix, 1);
  const results = await service.publishBatch(topic, values.map((v) => ({ key: 'k', value: String(v) })));
  results.forEach((r, i) => expect(r.offset).toBe(i));
  return topic;
}

/** Subscribes a second member of `groupId` and returns the offsets it gets, once it has `count`. */
async function nextMemberOffsets(service, topic, groupId, count) {
  const c = collector();
  const subscription = await service.subscribe(
    { groupId, topics: [topic], fromBeginning: true, sessionTimeoutMs: SESSION_TIMEOUT_MS },
    { eachMessage: c.eachMessage },
  );
  await waitFor(() => c.received.length >= count, 30000, `${count} messages for the next member`);
  await subscription.stop();
  return c.offsets();
}

describe('a handler that rejects', () => {
  test('gets the message again after a backoff, and then the rest in order', async () => {
    const service = cluster.service();
    const topic = await topicWith(service, 'retry-ok', [0, 1, 2, 3, 4]);
    const errors = [];
    let failuresLeft = 2;
    const c = collector(async ({ message }) => {
      if (message.offset === '2' && failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('transient');
      }
    });
    const subscription = await service.subscribe(
      subscribeOptions(topic, { retries: 3, retryBackoffMs: 20, onError: (e) => errors.push(e) }),
      { eachMessage: c.eachMessage },
    );
    await waitFor(() => c.received.length >= 7, 30000, 'five messages and two redeliveries');
    expect(c.offsets()).toEqual([0, 1, 2, 2, 2, 3, 4]);
    expect(subscription.running).toBe(true);
    expect(errors).toEqual([]);
    expect(service.stats().consumer.handlerFailures).toBe(2);
    await waitFor(() => service.stats().consumer.processed === 5, 10000, 'five processed');
    await subscription.stop();
  });

  test('stops the subscription with ERR_HANDLER_FAILED after its retries, committing nothing past it', async () => {
    const service = cluster.service();
    const topic = await topicWith(service, 'retry-fail', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const groupId = uniqueName('group');
    const errors = [];
    const c = collector(async ({ message }) => {
      if (message.offset === '5') throw new Error('poison message');
    });
    const subscription = await service.subscribe(
      {
        groupId,
        topics: [topic],
        fromBeginning: true,
        retries: 2,
        retryBackoffMs: 20,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        onError: (e) => errors.push(e),
      },
      { eachMessage: c.eachMessage },
    );

    await waitFor(() => errors.length > 0, 30000, 'onError');
    await waitFor(() => !subscription.running, 10000, 'the subscription to stop');
    expect(errors).toHaveLength(1);
    const error = expectKafkaError(errors[0], 'ERR_HANDLER_FAILED');
    expect(error.topic).toBe(topic);
    expect(error.partition).toBe(0);
    expect(error.retriable).toBe(false);
    expect(error.fatal).toBe(false);
    // The first attempt and two retries; nothing after the failed message was delivered.
    expect(c.offsets()).toEqual([0, 1, 2, 3, 4, 5, 5, 5]);
    await subscription.stop();
    await expectRejection(() => subscription.commit(), 'ERR_DISCONNECTED');
    expect(errors).toHaveLength(1);

    // The next member of the group starts at the failed message: 0..4 were committed, 5 was not.
    expect(await nextMemberOffsets(service, topic, groupId, 5)).toEqual([5, 6, 7, 8, 9]);
  });
});

describe('handlers that are not async functions', () => {
  test('a handler that throws synchronously gets the message again; the process carries on', async () => {
    const service = cluster.service();
    const topic = await topicWith(service, 'sync-throw', [0, 1, 2, 3, 4]);
    const alwaysTopic = await topicWith(service, 'sync-throw-always', [0, 1]);
    const errors = [];
    const seen = [];
    let thrown = false;
    const subscription = await service.subscribe(subscribeOptions(topic, { retryBackoffMs: 20, onError: (e) => errors.push(e) }), {
      eachMessage: ({ message }) => {
        seen.push(Number(message.offset));
        if (message.offset === '3' && !thrown) {
          thrown = true;
          throw new Error('synchronous throw');
        }
      },
    });
    const alwaysErrors = [];
    const always = await service.subscribe(
      subscribeOptions(alwaysTopic, { retries: 1, retryBackoffMs: 20, onError: (e) => alwaysErrors.push(e) }),
      (payload) => {
        if (payload.message.offset === '1') throw new TypeError('always throws');
      },
    );

    await waitFor(() => seen.length >= 6, 30000, 'five messages and one redelivery');
    expect(seen).toEqual([0, 1, 2, 3, 3, 4]);
    expect(errors).toEqual([]);
    expect(subscription.running).toBe(true);

    await waitFor(() => alwaysErrors.length > 0, 30000, 'onError of the always-throwing handler');
    expectKafkaError(alwaysErrors[0], 'ERR_HANDLER_FAILED');
    await waitFor(() => !always.running, 10000, 'the failed subscription to stop');
    expect(subscription.running).toBe(true);
    await subscription.stop();
  });

  test('a handler that returns a plain value (not a Promise) has its messages processed', async () => {
    const service = cluster.service();
    const topic = await topicWith(service, 'plain-return', [0, 1, 2, 3]);
    const other = await topicWith(service, 'plain-return-fn', [0, 1, 2]);
    const seen = [];
    const first = await service.subscribe(subscribeOptions(topic), {
      eachMessage: ({ message }) => {
        seen.push(['eachMessage', message.offset]);
        return 42;
      },
    });
    const second = await service.subscribe(subscribeOptions(other), ({ message }) => {
      seen.push(['function', message.offset]);
      return { not: 'a promise' };
    });
    await waitFor(() => service.stats().consumer.processed === 7, 30000, 'seven processed');
    expect(seen.filter(([kind]) => kind === 'eachMessage').map(([, o]) => o)).toEqual(['0', '1', '2', '3']);
    expect(seen.filter(([kind]) => kind === 'function').map(([, o]) => o)).toEqual(['0', '1', '2']);
    expect(service.stats().consumer.handlerFailures).toBe(0);
    await expect(first.commit()).resolves.toBeUndefined();
    await Promise.all([first.stop(), second.stop()]);
  });
});

describe('handlerTimeoutMs', () => {
  test('a handler call that outlives it is abandoned and retried; the subscription carries on', async () => {
    const service = cluster.service();
    const topic = await topicWith(service, 'slow-once', [0, 1, 2, 3]);
    const errors = [];
    const seen = [];
    let hung = false;
    const subscription = await service.subscribe(
      subscribeOptions(topic, { handlerTimeoutMs: 200, retryBackoffMs: 20, maxBatchSize: 1, onError: (e) => errors.push(e) }),
      {
        eachMessage: ({ message }) => {
          seen.push(Number(message.offset));
          if (message.offset === '2' && !hung) {
            hung = true;
            return new Promise(() => {}); // never settles
          }
          return undefined;
        },
      },
    );
    await waitFor(() => service.stats().consumer.processed === 4, 30000, 'four processed');
    expect(seen).toEqual([0, 1, 2, 2, 3]);
    expect(errors).toEqual([]);
    expect(subscription.running).toBe(true);
    expect(service.stats().consumer.handlerTimeouts).toBe(1);
    expect(service.stats().consumer.handlerFailures).toBe(1);
    await subscription.stop();
  });

  test('a handler that never settles ends in onError (ERR_HANDLER_FAILED) with nothing committed past it', async () => {
    const service = cluster.service();
    const topic = await topicWith(service, 'stuck-always', [0, 1, 2]);
    const groupId = uniqueName('group');
    const errors = [];
    const seen = [];
    const subscription = await service.subscribe(
      {
        groupId,
        topics: [topic],
        fromBeginning: true,
        handlerTimeoutMs: 100,
        retries: 2,
        retryBackoffMs: 10,
        maxBatchSize: 1,
        drainTimeoutMs: 1000,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        onError: (e) => errors.push(e),
      },
      {
        eachMessage: ({ message }) => {
          seen.push(Number(message.offset));
          return message.offset === '1' ? new Promise(() => {}) : undefined;
        },
      },
    );
    await waitFor(() => errors.length > 0, 30000, 'onError');
    expectKafkaError(errors[0], 'ERR_HANDLER_FAILED');
    expect(seen).toEqual([0, 1, 1, 1]);
    expect(service.stats().consumer.handlerTimeouts).toBe(3);
    await waitFor(() => !subscription.running, 10000, 'the subscription to stop');
    await subscription.stop();
    expect(await nextMemberOffsets(service, topic, groupId, 2)).toEqual([1, 2]);
  });

  test('must be a positive whole number of ms', async () => {
    const service = cluster.service();
    const topic = cluster.topic('timeout-arg', 1);
    for (const handlerTimeoutMs of [0, -1, 1.5, Number.NaN]) {
      await expectRejection(
        () => service.subscribe(subscribeOptions(topic, { handlerTimeoutMs }), { eachMessage: () => {} }),
        'ERR_INVALID_ARG',
      );
    }
  });
});

describe('eachBatch', () => {
  test('messages up to a resolved offset count as processed when the handler then throws', async () => {
    const service = cluster.service();
    const topic = await topicWith(service, 'each-batch', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const groupId = uniqueName('group');
    const calls = [];
    const shapes = [];
    const errors = [];
    let resolvedOnce = false;
    const subscription = await service.subscribe(
      {
        groupId,
        topics: [topic],
        fromBeginning: true,
        retries: 1,
        retryBackoffMs: 20,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        onError: (e) => errors.push(e),
      },
      {
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          shapes.push({
            topic: batch.topic,
            partition: batch.partition,
            isEmpty: batch.isEmpty(),
            firstOffset: batch.firstOffset() === batch.messages[0].offset,
            lastOffset: batch.lastOffset() === batch.messages[batch.messages.length - 1].offset,
            isRunning: typeof isRunning(),
            isStale: typeof isStale(),
          });
          await heartbeat();
          const offsets = batch.messages.map((m) => m.offset);
          calls.push(offsets);
          if (!offsets.includes('4')) {
            if (!offsets.includes('5')) return; // before the interesting part
            throw new Error('fails from offset 5 on, without resolving anything');
          }
          if (!resolvedOnce) {
            resolvedOnce = true;
            for (const m of batch.messages) {
              resolveOffset(m.offset);
              if (m.offset === '4') break;
            }
            throw new Error('fails after resolving offset 4');
          }
        },
      },
    );

    await waitFor(() => errors.length > 0, 30000, 'onError');
    expectKafkaError(errors[0], 'ERR_HANDLER_FAILED');
    await waitFor(() => !subscription.running, 10000, 'the subscription to stop');
    // The retry after the throw starts right after the resolved offset.
    const afterResolve = calls.findIndex((offsets) => offsets.includes('4'));
    expect(calls[afterResolve + 1][0]).toBe('5');
    expect(service.stats().consumer.processed).toBe(5);
    for (const shape of shapes) {
      expect(shape).toEqual({
        topic,
        partition: 0,
        isEmpty: false,
        firstOffset: true,
        lastOffset: true,
        isRunning: 'boolean',
        isStale: 'boolean',
      });
    }
    await subscription.stop();

    // 0..4 were committed; the next member starts at 5.
    expect(await nextMemberOffsets(service, topic, groupId, 5)).toEqual([5, 6, 7, 8, 9]);
  });
});

describe('pause and resume', () => {
  test('no deliveries while paused once the running handler finished; deliveries resume', async () => {
    const service = cluster.service();
    const topic = cluster.topic('pause', 2);
    let release;
    const gate = new Promise((resolve) => {
      release = resolve;
    });
    let finished = 0;
    const c = collector(async ({ message }) => {
      if (message.value.toString() === 'blocker') await gate;
      finished += 1;
    });
    const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: c.eachMessage });
    await service.publish(topic, { value: 'blocker', partition: 0 });
    await waitFor(() => c.received.length === 1, 30000, 'the first message');

    subscription.pause();
    expect(subscription.paused).toBe(true);
    expect(subscription.running).toBe(true);
    const whilePaused = await service.publishBatch(
      topic,
      Array.from({ length: 6 }, (_, i) => ({ value: `paused-${i}`, partition: i % 2 })),
    );
    for (const r of whilePaused) expect(r.error).toBeUndefined();
    release();
    await waitFor(() => finished === 1, 10000, 'the running handler to finish');
    await sleep(1500);
    expect(c.values()).toEqual(['blocker']);

    subscription.resume();
    expect(subscription.paused).toBe(false);
    await waitFor(() => c.received.length === 7, 30000, 'the messages published while paused');
    expect(c.values().slice(1).sort()).toEqual(whilePaused.map((_, i) => `paused-${i}`).sort());
    expect(subscription.assignments()).toEqual([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    await subscription.stop();
  });
});

describe('stop()', () => {
  test('resolves after the running handler finished, and commits its offset', async () => {
    const service = cluster.service();
    const topic = cluster.topic('stop', 1);
    const groupId = uniqueName('group');
    const events = [];
    const subscription = await service.subscribe(
      { groupId, topics: [topic], fromBeginning: true, sessionTimeoutMs: SESSION_TIMEOUT_MS },
      {
        eachMessage: async ({ message }) => {
          events.push(`start ${message.offset}`);
          await sleep(800);
          events.push(`end ${message.offset}`);
        },
      },
    );
    await service.publish(topic, { value: 'in flight' });
    await waitFor(() => events.length === 1, 30000, 'the handler to start');

    events.push('stop called');
    const stopped = subscription.stop().then(() => events.push('stop resolved'));
    const again = subscription.stop();
    await Promise.all([stopped, again]);
    expect(events).toEqual(['start 0', 'stop called', 'end 0', 'stop resolved']);
    expect(subscription.running).toBe(false);
    await expectRejection(() => subscription.commit(), 'ERR_DISCONNECTED');

    // Offset 0 was committed on stop: the next member gets only what came after it.
    await service.publish(topic, { value: 'after stop' });
    expect(await nextMemberOffsets(service, topic, groupId, 1)).toEqual([1]);
  });
});
