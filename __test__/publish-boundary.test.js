'use strict';

// The publish boundary of publish.js: single publishes of one turn cross in one call, messages
// cross packed (one Buffer) or, for other shapes, as objects; each publish still gets its own
// outcome, the bytes arrive as given, and call order is kept across publish / publishBatch.

const { useMockCluster, expectKafkaError, expectRejection, subscribeOptions, collector, waitFor } = require('./helpers');

jest.setTimeout(60000);

const cluster = useMockCluster();

/** Over librdkafka's default `message.max.bytes` (1000000). */
const OVERSIZE = Buffer.alloc(1100000, 1);

async function outcomes(promises) {
  const settled = await Promise.allSettled(promises);
  return settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason));
}

test('single publishes of one turn, good and bad mixed, each get their own outcome', async () => {
  const topic = cluster.topic('turn', 1);
  const service = cluster.service();
  const promises = [
    service.publish(topic, { key: 'a', value: 'ok-0' }),
    service.publish(topic, { value: 42 }),
    service.publish(42, { value: 'bad topic' }),
    service.publish(topic, { key: 'b', value: Buffer.from('ok-1') }),
    service.publish(topic, { key: 'no value' }),
    service.publish(topic, 'not a message'),
    service.publish(topic, { value: OVERSIZE }),
    service.publish(topic, { value: 'ok-2', headers: { h: 'v' }, timestamp: 1700000000000 }),
    service.publish(topic, { value: 'x', partition: -1 }),
    service.publish(topic, { value: null, key: 'ok-3 (tombstone)' }),
    service.publish(topic, { value: 'x', headers: { h: 7 } }),
    service.publish(topic, { value: new Uint8Array([1, 2, 3]), partition: 0 }),
    service.publish(topic, {
      get value() {
        throw new Error('a getter that throws');
      },
    }),
    service.publish(topic, { key: 'c', value: 'ok-5' }),
  ];
  const expected = ['ok', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ok', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_MSG_SIZE_TOO_LARGE', 'ok', 'ERR_INVALID_ARG', 'ok', 'ERR_INVALID_ARG', 'ok', 'ERR_INVALID_ARG', 'ok'];

  const results = await outcomes(promises);

  let nextOffset = 0;
  results.forEach((r, i) => {
    if (expected[i] === 'ok') {
      expect(r).toEqual({ topic, partition: 0, offset: nextOffset++, timestamp: expect.any(Number) });
    } else {
      expectKafkaError(r, expected[i]);
    }
  });
});

test('publishes and batches of one turn are queued in call order', async () => {
  const topic = cluster.topic('order', 1);
  const service = cluster.service();
  const calls = [
    service.publish(topic, { value: '0' }),
    service.publish(topic, { value: '1' }),
    service.publishBatch(topic, [{ value: '2' }, { value: '3' }]),
    service.publish(topic, { value: '4' }),
    service.publishBatch([{ topic, value: '5' }]),
    service.publish(topic, { value: '6' }, {}),
    service.publish(topic, { value: '7' }),
  ];
  const [a, b, batch, c, records, d, e] = await Promise.all(calls);
  const offsets = [a.offset, b.offset, ...batch.map((r) => r.offset), c.offset, records[0].offset, d.offset, e.offset];
  expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
});

test('what was published packed is what a consumer reads', async () => {
  const topic = cluster.topic('bytes', 1);
  const service = cluster.service();
  const long = 'k'.repeat(100);
  const sent = [
    { key: 'ascii', value: 'plain' },
    { key: 'ключ', value: 'значение ✓ 🚀' },
    { key: long, value: Buffer.from([0, 255, 7]) },
    { key: Buffer.from('buffer-key'), value: new Uint8Array([9, 8, 7]) },
    { key: null, value: Buffer.alloc(70 * 1024, 3) },
    { value: '' },
    { key: 'tombstone', value: null },
  ];
  const singles = sent.slice(0, 4).map((m) => service.publish(topic, m));
  await Promise.all(singles);
  await service.publishBatch(topic, sent.slice(4));

  const seen = collector();
  const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: seen.eachMessage });
  await waitFor(() => seen.received.length >= sent.length, 45000, `${sent.length} messages`);
  await subscription.stop();

  const asBuffer = (v) => (v == null ? null : Buffer.from(typeof v === 'string' ? Buffer.from(v) : v));
  expect(seen.received).toHaveLength(sent.length);
  seen.received.forEach((got, i) => {
    expect(got.message.key).toEqual(asBuffer(sent[i].key));
    expect(got.message.value).toEqual(asBuffer(sent[i].value));
  });
});

test('publishBatch(records) keeps each record on its topic, failures in their own slot', async () => {
  const first = cluster.topic('records-a', 1);
  const second = cluster.topic('records-b', 1);
  const service = cluster.service();
  const results = await service.publishBatch([
    { topic: first, value: 'a' },
    { topic: second, value: 'b' },
    { topic: 7, value: 'bad topic' },
    null,
    { topic: first, value: 'c', headers: { h: 'v' } },
  ]);
  expect(results.map((r) => r.topic)).toEqual([first, second, '', '', first]);
  expect(results.map((r) => r.offset)).toEqual([0, 0, -1, -1, 1]);
  expectKafkaError(results[2].error, 'ERR_INVALID_ARG');
  expectKafkaError(results[3].error, 'ERR_INVALID_ARG');
  expect(results[0].error).toBeUndefined();
});

test('a publish in the turn of disconnect() is sent first; one after it rejects typed', async () => {
  const topic = cluster.topic('disconnect', 1);
  const service = cluster.service();
  await service.connect();
  const before = service.publish(topic, { value: 'before' });
  const closing = service.disconnect();
  await expect(before).resolves.toMatchObject({ topic, offset: 0 });
  await closing;
  await expectRejection(() => service.publish(topic, { value: 'after' }), 'ERR_DISCONNECTED');
  await expectRejection(() => service.publishBatch(topic, [{ value: 'after' }]), 'ERR_DISCONNECTED');
  const late = await outcomes([service.publish(topic, { value: 'a' }), service.publish(topic, { value: 'b' })]);
  late.forEach((e) => expectKafkaError(e, 'ERR_DISCONNECTED'));
});

test('many turns of many publishes all settle, in order per partition', async () => {
  const topic = cluster.topic('many', 2);
  const service = cluster.service();
  const results = [];
  for (let turn = 0; turn < 5; turn++) {
    const batch = [];
    for (let i = 0; i < 2000; i++) batch.push(service.publish(topic, { key: `k${i % 2}`, value: `${turn}-${i}` }));
    results.push(...(await Promise.all(batch)));
  }
  expect(results).toHaveLength(10000);
  const last = new Map();
  for (const r of results) {
    expect(r.offset).toBeGreaterThan(last.has(r.partition) ? last.get(r.partition) : -1);
    last.set(r.partition, r.offset);
  }
});
