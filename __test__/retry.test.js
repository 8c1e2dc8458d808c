'use strict';

// The retry ladder and dead letters through the JS API on the mock cluster: a handler that keeps
// throwing climbs the delayed retry topics into the dead-letter topic with every header, one that
// recovers is handled on a retry step, the subscription goes on meanwhile, and
// replayDeadLetters sends dead letters back. A message that cannot be decoded, or whose handler
// threw an error that says it is not retriable, skips the retries.
// Bad ladders are typed errors.

const { SchemaRegistry } = require('../index.js');
const { useMockCluster, collector, subscribeOptions, uniqueName, waitFor, expectRejection } = require('./helpers');

jest.setTimeout(60000);

const cluster = useMockCluster();

/** A group's topics: the main one, its two retry steps and its dead-letter topic. */
function ladderTopics(prefix) {
  const group = uniqueName(`${prefix}-g`);
  const main = cluster.topic(prefix, 1);
  const retry1 = `${group}.retry.1`;
  const retry2 = `${group}.retry.2`;
  const dlq = `${group}.dlq`;
  for (const t of [retry1, retry2, dlq]) cluster.mock.createTopic(t, 1, 1);
  return { group, main, retry1, retry2, dlq };
}

const text = (h) => (h == null ? undefined : Buffer.from(h).toString());

describe('the retry ladder', () => {
  test('retries on delayed topics, then dead-letters with the original coordinates', async () => {
    const service = cluster.service();
    const { group, main, retry1, retry2, dlq } = ladderTopics('ladder');
    const calls = [];
    const handler = async ({ topic, message }) => {
      const value = message.value.toString();
      calls.push({ topic, value, at: Date.now() });
      const seen = calls.filter((c) => c.value === value).length;
      if (value === 'poison' || (value === 'flaky' && seen <= 2)) {
        const e = new Error(`cannot handle ${value}`);
        throw e;
      }
    };
    const errors = [];
    const subscription = await service.subscribe(
      subscribeOptions(main, {
        groupId: group,
        retries: 0,
        retry: { delays: ['300ms', 600], deadLetterTopic: dlq },
        onError: (e) => errors.push(e),
      }),
      { eachMessage: handler },
    );
    await service.publishBatch(main, [
      { key: 'k', value: 'poison', headers: { trace: 't-1' } },
      { key: 'k', value: 'flaky' },
      { key: 'k', value: 'fine' },
    ]);

    const dead = collector();
    const dlqSubscription = await service.subscribe(subscribeOptions(dlq), { eachMessage: dead.eachMessage });
    await waitFor(() => dead.received.length === 1, 30000, 'the dead letter');
    await waitFor(() => calls.filter((c) => c.value === 'flaky').length === 3, 30000, 'flaky handled');

    const poison = calls.filter((c) => c.value === 'poison');
    expect(poison.map((c) => c.topic)).toEqual([main, retry1, retry2]);
    // No earlier than due: each step waits at least its delay after the failure before it.
    expect(poison[1].at - poison[0].at).toBeGreaterThanOrEqual(300);
    expect(poison[2].at - poison[1].at).toBeGreaterThanOrEqual(600);
    expect(calls.filter((c) => c.value === 'flaky').map((c) => c.topic)).toEqual([main, retry1, retry2]);
    // The message behind the failing ones was not held up by their delays.
    expect(calls.find((c) => c.value === 'fine').at).toBeLessThan(poison[1].at);

    const { message } = dead.received[0];
    const h = message.headers;
    expect(message.key.toString()).toBe('k');
    expect(message.value.toString()).toBe('poison');
    expect(text(h.trace)).toBe('t-1');
    expect(text(h['x-original-topic'])).toBe(main);
    expect(text(h['x-original-partition'])).toBe('0');
    expect(text(h['x-original-offset'])).toBe('0');
    expect(text(h['x-original-key'])).toBe('k');
    expect(Number(text(h['x-original-timestamp']))).toBeGreaterThan(0);
    expect(text(h['x-attempts'])).toBe('3');
    expect(Number(text(h['x-first-failure']))).toBeGreaterThanOrEqual(poison[0].at);
    expect(text(h['x-error-code'])).toBe('ERR_HANDLER_FAILED');
    expect(text(h['x-error'])).toBe('Error: cannot handle poison');
    expect(text(h['x-consumer-group'])).toBe(group);
    expect(errors).toEqual([]);
    expect(subscription.running).toBe(true);

    // Replay: the dead letter goes back to its original topic and is handled there again.
    const report = await service.replayDeadLetters({ topic: dlq, filter: { originalTopics: [main] } });
    expect(report).toEqual({ read: 1, replayed: 1, skipped: 0, failed: 0 });
    await waitFor(() => calls.filter((c) => c.value === 'poison').length === 4, 30000, 'the replayed message');
    const none = await service.replayDeadLetters({ topic: dlq, filter: { errorCode: 'ERR_SOMETHING_ELSE' } });
    expect(none).toEqual({ read: 1, replayed: 0, skipped: 1, failed: 0 });

    await dlqSubscription.stop();
    await subscription.stop();
  });

  test('a message that cannot be decoded is dead-lettered at once with its code; an unreachable registry is retried first', async () => {
    const service = cluster.service();
    // Nothing listens on port 1: every registry look-up fails at once, retriable.
    service.useSchemaRegistry(new SchemaRegistry({ url: 'http://127.0.0.1:1', retries: 0 }));
    const { group, main, dlq } = ladderTopics('undecodable');
    const handled = [];
    const errors = [];
    const subscription = await service.subscribe(
      subscribeOptions(main, {
        groupId: group,
        decode: true,
        retries: 1,
        retryBackoffMs: 10,
        retry: { deadLetterTopic: dlq },
        onError: (e) => errors.push(e),
      }),
      { eachMessage: async ({ message }) => void handled.push(message) },
    );
    const garbage = Buffer.from([0x7b, 0x00, 0xff, 0x10]);
    const framed = Buffer.from([0, 0, 0, 0, 1, 2, 4]);
    await service.publishBatch(main, [
      { key: 'g', value: garbage },
      { key: 'f', value: framed },
      { key: 't', value: null },
    ]);
    const dead = collector();
    const dlqSubscription = await service.subscribe(subscribeOptions(dlq), { eachMessage: dead.eachMessage });
    await waitFor(() => dead.received.length === 2, 30000, 'the dead letters');
    // The tombstone behind them decodes (to null) and is handled.
    await waitFor(() => handled.length === 1, 30000, 'the next message');
    await dlqSubscription.stop();
    await subscription.stop();
    expect(handled[0]).toMatchObject({ offset: '2', value: null, decoded: null });
    expect(errors).toEqual([]);
    const [bad, unreachable] = dead.received.map((r) => r.message);
    expect(bad.value.equals(garbage)).toBe(true);
    expect(text(bad.headers['x-error-code'])).toBe('ERR_SCHEMA_DECODE');
    expect(text(bad.headers['x-attempts'])).toBe('1');
    expect(unreachable.value.equals(framed)).toBe(true);
    expect(text(unreachable.headers['x-error-code'])).toBe('ERR_SCHEMA_REGISTRY');
    expect(text(unreachable.headers['x-attempts'])).toBe('2');
  });

  test('a thrown error with a code keeps it: not retriable goes to the dead-letter topic at once, retriable is retried', async () => {
    const service = cluster.service();
    const { group, main, dlq } = ladderTopics('coded');
    const calls = {};
    const errors = [];
    const subscription = await service.subscribe(
      subscribeOptions(main, { groupId: group, retries: 2, retryBackoffMs: 10, retry: { deadLetterTopic: dlq }, onError: (e) => errors.push(e) }),
      {
        eachMessage: async ({ message }) => {
          const key = message.key.toString();
          calls[key] = (calls[key] ?? 0) + 1;
          if (key === 'poison') throw Object.assign(new Error('no such customer'), { code: 'ERR_UNKNOWN_CUSTOMER', retriable: false });
          if (key === 'busy') throw Object.assign(new Error('try later'), { code: 'ERR_BUSY', retriable: true });
          if (key === 'plain') throw new Error('plain');
        },
      },
    );
    await service.publishBatch(main, ['poison', 'busy', 'plain', 'fine'].map((key) => ({ key, value: key })));
    const dead = collector();
    const dlqSubscription = await service.subscribe(subscribeOptions(dlq), { eachMessage: dead.eachMessage });
    await waitFor(() => dead.received.length === 3 && calls.fine === 1, 30000, 'the dead letters and the last message');
    await dlqSubscription.stop();
    await subscription.stop();
    expect(calls).toEqual({ poison: 1, busy: 3, plain: 3, fine: 1 });
    expect(errors).toEqual([]);
    const byKey = Object.fromEntries(dead.received.map((r) => [r.message.key.toString(), r.message.headers]));
    expect([text(byKey.poison['x-error-code']), text(byKey.poison['x-attempts'])]).toEqual(['ERR_UNKNOWN_CUSTOMER', '1']);
    expect([text(byKey.busy['x-error-code']), text(byKey.busy['x-attempts'])]).toEqual(['ERR_BUSY', '3']);
    expect([text(byKey.plain['x-error-code']), text(byKey.plain['x-attempts'])]).toEqual(['ERR_HANDLER_FAILED', '3']);
  });

  test('bad ladders and replays are typed errors', async () => {
    const service = cluster.service();
    const topic = cluster.topic('bad-ladder', 1);
    const h = { eachMessage: async () => {} };
    for (const retry of [
      { delays: ['soon'] },
      { delays: [-5] },
      { delays: ['1m', '5m'], topics: ['only-one'] },
      { delays: ['1m'], topics: [topic] },
      { deadLetterTopic: 'not a topic' },
    ]) {
      await expectRejection(() => service.subscribe(subscribeOptions(topic, { retry }), h), 'ERR_INVALID_ARG');
    }
    await expectRejection(() => service.replayDeadLetters({ topic: 'x', from: 10, to: 5 }), 'ERR_INVALID_ARG');
    await expectRejection(() => service.replayDeadLetters({ topic: 'no such topic!' }), 'ERR_TOPIC_EXCEPTION');
  });
});
