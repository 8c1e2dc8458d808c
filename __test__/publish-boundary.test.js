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

test('batches settled in one round continue in separate loop iterations, in call order', async () => {
  const topic = cluster.topic('iterations', 1);
  // A long linger puts the three batches in one produce request, so one settlement round.
  const service = cluster.service({ producer: { lingerMs: 200 } });
  await service.connect();
  let iteration = 0;
  let ticking = true;
  const tick = () => {
    iteration++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const seen = [];
  const batches = [0, 1, 2].map((b) =>
    service.publishBatch(topic, Array.from({ length: 50 }, (_, i) => ({ value: `${b}-${i}` }))).then((r) => {
      seen.push({ batch: b, iteration, first: r[0].offset });
    }),
  );
  await Promise.all(batches);
  ticking = false;
  expect(seen.map((s) => s.batch)).toEqual([0, 1, 2]);
  expect(seen.map((s) => s.first)).toEqual([0, 50, 100]);
  expect(seen[1].iteration).toBeGreaterThan(seen[0].iteration);
  expect(seen[2].iteration).toBeGreaterThan(seen[1].iteration);
});

test('with the adaptive linger, a steady stream keeps its order and disconnect delivers what it holds', async () => {
  const topic = cluster.topic('adaptive-linger', 1);
  const service = cluster.service({ producer: { adaptiveLingerMs: 5 } });
  await service.connect();
  const promises = [];
  // 40 publishes a millisecond for ~300 ms: a pace the adaptive linger holds calls at.
  for (let tick = 0; tick < 300; tick++) {
    for (let i = 0; i < 40; i++) promises.push(service.publish(topic, { key: 'k', value: `${tick}-${i}` }));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  // Some of the last calls still wait in the producer's lane: disconnect queues them first.
  await service.disconnect();
  const offsets = (await Promise.all(promises)).map((r) => r.offset);
  expect(offsets).toEqual(offsets.map((_, i) => i));
});

test("a turn's first publish crosses at once, the rest of its turn together after it", async () => {
  const topic = cluster.topic('alone', 1);
  const service = cluster.service();
  await service.connect();
  const sent = () => service.stats().producer.sent;
  const before = sent();
  const first = service.publish(topic, { key: 'k', value: 'first' });
  expect(sent()).toBe(before + 1);
  const second = service.publish(topic, { value: 'second' });
  const third = service.publish(topic, { value: 'third' });
  expect(sent()).toBe(before + 1);
  // The rest cross in a microtask queued before this continuation.
  await Promise.resolve();
  expect(sent()).toBe(before + 3);
  const offsets = (await Promise.all([first, second, third])).map((r) => r.offset);
  expect(offsets).toEqual([0, 1, 2]);
});

test('awaited singles between concurrent singles and batches: call order per partition, typed errors per message', async () => {
  const topic = cluster.topic('awaited-mix', 2);
  const service = cluster.service();
  // What each call sent, in call order, per partition; null for a publish that must fail.
  const order = [];
  const expectOk = (r, partition, value) => {
    expect(r).toEqual({ topic, partition, offset: expect.any(Number), timestamp: expect.any(Number) });
    order.push([partition, r.offset, value]);
  };
  for (let round = 0; round < 20; round++) {
    const p = round % 2;
    // One publish per turn: the fast path.
    expectOk(await service.publish(topic, { key: `a${round}`, value: `awaited-${round}`, partition: p }), p, `awaited-${round}`);
    expectOk(await service.publish(topic, { value: Buffer.from(`buffer-${round}`), partition: p }), p, `buffer-${round}`);
    // A batch of one settles alone too, as a one-slot array.
    const [one] = await service.publishBatch(topic, [{ value: `batch1-${round}`, partition: p }]);
    expectOk({ topic: one.topic, partition: one.partition, offset: one.offset, timestamp: one.timestamp }, p, `batch1-${round}`);
    expect(one.error).toBeUndefined();
    // Several calls in one turn: the first alone, the rest packed behind it, a batch in between.
    const values = [`c0-${round}`, `c1-${round}`, `b0-${round}`, `b1-${round}`, `c2-${round}`];
    const [c0, c1, batch, c2] = await Promise.all([
      service.publish(topic, { value: values[0], partition: p }),
      service.publish(topic, { value: values[1], partition: p }),
      service.publishBatch(topic, [{ value: values[2], partition: p }, { value: values[3], partition: p }]),
      service.publish(topic, { value: values[4], partition: p }),
    ]);
    expectOk(c0, p, values[0]);
    expectOk(c1, p, values[1]);
    batch.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      order.push([p, r.offset, values[2 + i]]);
    });
    expectOk(c2, p, values[4]);
  }
  // Failures taken by the fast path (a string topic, a plain message) and by the packed one.
  await expectRejection(() => service.publish(topic, { value: 'x', partition: 7 }), 'ERR__UNKNOWN_PARTITION');
  await expectRejection(() => service.publish(topic, { value: 'x'.repeat(1100000) }), 'ERR_MSG_SIZE_TOO_LARGE');
  await expectRejection(() => service.publish('bad topic name!', { value: 'x' }), 'ERR_TOPIC_EXCEPTION');
  await expectRejection(() => service.publish(topic, { value: 42 }), 'ERR_INVALID_ARG');
  await expectRejection(() => service.publish(topic, { value: 'x', partition: 1.5 }), 'ERR_INVALID_ARG');
  const [refused] = await service.publishBatch(topic, [{ value: OVERSIZE }]);
  expect(refused.offset).toBe(-1);
  expectKafkaError(refused.error, 'ERR_MSG_SIZE_TOO_LARGE');
  expectOk(await service.publish(topic, { value: 'last', partition: 0 }), 0, 'last');

  // Offsets grow in call order on each partition, and a consumer reads the values in that order.
  for (const p of [0, 1]) {
    const offsets = order.filter(([q]) => q === p).map(([, o]) => o);
    expect(offsets).toEqual(offsets.map((_, i) => i));
  }
  const seen = collector();
  const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: seen.eachMessage });
  await waitFor(() => seen.received.length >= order.length, 45000, `${order.length} messages`);
  await subscription.stop();
  for (const p of [0, 1]) {
    const read = seen.received.filter((m) => m.partition === p).map((m) => m.message.value.toString());
    expect(read).toEqual(order.filter(([q]) => q === p).map(([, , v]) => v));
  }
});

test('a getter that publishes while its message is packed changes no other message', async () => {
  const topic = cluster.topic('reentrant', 1);
  const service = cluster.service();
  const inner = [];
  // A message whose value getter publishes a single and a batch, the first time it is read.
  const tricky = (name) => ({
    key: name,
    get value() {
      if (!inner.some((p) => p.name === name)) {
        inner.push({ name, single: service.publish(topic, { key: `${name}-inner`, value: `${name}-inner-value` }) });
        inner.push({ name, batch: service.publishBatch(topic, [{ key: `${name}-batch`, value: `${name}-batch-value` }]) });
      }
      return `${name}-value`;
    },
  });
  // First of its turn (the lone path), then one packed after another of its turn, then one in a
  // batch after another message.
  await service.publish(topic, tricky('alone'));
  await Promise.all([
    service.publish(topic, { key: 'first', value: 'first-value' }),
    service.publish(topic, { key: 'a', value: 'a-value' }),
    service.publish(topic, tricky('queued')),
    service.publish(topic, { key: 'b', value: 'b-value' }),
  ]);
  const [inBatch] = await service.publishBatch(topic, [{ key: 'c', value: 'c-value' }, tricky('batched')]).then((r) => r.slice(1));
  expect(inBatch.error).toBeUndefined();
  const settled = await Promise.all(inner.map((p) => p.single || p.batch));
  expect(settled).toHaveLength(6);
  for (const r of settled.flat()) expect(r.error).toBeUndefined();

  const keys = ['first', 'a', 'b', 'c'];
  for (const name of ['alone', 'queued', 'batched']) keys.push(name, `${name}-inner`, `${name}-batch`);
  const seen = collector();
  const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: seen.eachMessage });
  await waitFor(() => seen.received.length >= keys.length, 45000, `${keys.length} messages`);
  await subscription.stop();
  expect(seen.received.map(({ message }) => message.key.toString()).sort()).toEqual(keys.sort());
  for (const { message } of seen.received) expect(message.value.toString()).toBe(`${message.key.toString()}-value`);
});

// A publishBatch of 64 or more small messages, made while others are in flight, is queued on
// the producer's lane, away from the Node thread (lane_call.rs, `takes_lane`); what is published
// after it waits there behind it.
const LANE_BATCH = 300;
const laneBatch = (label, n = LANE_BATCH) => Array.from({ length: n }, (_, i) => ({ key: 'k', value: `${label}-${i}` }));

test('lane batches and the publishes made while they wait keep call order', async () => {
  const topic = cluster.topic('lane-order', 1);
  const service = cluster.service();
  const calls = [
    service.publishBatch(topic, laneBatch('a')),
    service.publish(topic, { key: 'k', value: 'b' }),
    service.publish(topic, { key: 'k', value: 'c' }, { partition: 0 }),
    service.publishBatch(topic, laneBatch('d', 10)),
    service.publishBatch(topic, laneBatch('e')),
    service.publishBatch([{ topic, key: 'k', value: 'f', headers: { h: 'v' } }]),
    service.publishBatch(topic, laneBatch('g')),
  ];
  const [a, b, c, d, e, f, g] = await Promise.all(calls);
  const offsets = [...a.map((r) => r.offset), b.offset, c.offset, ...d.map((r) => r.offset), ...e.map((r) => r.offset), f[0].offset, ...g.map((r) => r.offset)];
  expect(offsets).toEqual(offsets.map((_, i) => i));
});

test('a lane batch: messages of every shape in their own slots, failures alone', async () => {
  const topic = cluster.topic('lane-shapes', 1);
  const service = cluster.service();
  const messages = laneBatch('m', 200);
  messages[3] = { key: 'k', value: 'with a header', headers: { h: 'v' } };
  messages[10] = { value: 42 };
  messages[11] = { key: 'k', value: 'x', partition: -1 };
  messages[50] = { key: 'k', value: Buffer.alloc(70 * 1024, 5) };
  messages[60] = { key: 'k', value: OVERSIZE };
  messages[61] = {
    get value() {
      throw new Error('a getter that throws');
    },
  };
  messages[199] = { key: 'k', value: null };
  // In flight while the batch is made: the batch takes the lane.
  const before = service.publishBatch(cluster.topic('lane-shapes-before', 1), laneBatch('before'));
  const results = await service.publishBatch(topic, messages);
  await before;
  const failed = new Map([
    [10, 'ERR_INVALID_ARG'],
    [11, 'ERR_INVALID_ARG'],
    [60, 'ERR_MSG_SIZE_TOO_LARGE'],
    [61, 'ERR_INVALID_ARG'],
  ]);
  let next = 0;
  results.forEach((r, i) => {
    if (failed.has(i)) {
      expect(r.offset).toBe(-1);
      expectKafkaError(r.error, failed.get(i));
    } else {
      expect(r).toEqual({ topic, partition: 0, offset: next++, timestamp: expect.any(Number) });
    }
  });

  const seen = collector();
  const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: seen.eachMessage });
  await waitFor(() => seen.received.length >= next, 45000, `${next} messages`);
  await subscription.stop();
  const sent = messages.filter((_, i) => !failed.has(i));
  expect(seen.received).toHaveLength(sent.length);
  seen.received.forEach((got, i) => {
    const value = sent[i].value;
    expect(got.message.value).toEqual(value === null ? null : Buffer.from(value));
  });
  expect(seen.received[3].message.headers).toEqual({ h: Buffer.from('v') });
});

test('a lane batch not awaited before disconnect() is delivered', async () => {
  const topic = cluster.topic('lane-disconnect', 1);
  const service = cluster.service();
  await service.connect();
  const batches = [service.publishBatch(topic, laneBatch('x', 2000)), service.publishBatch(topic, laneBatch('y', 2000))];
  await service.disconnect();
  const [x, y] = await Promise.all(batches);
  expect([...x, ...y].map((r) => r.offset)).toEqual(Array.from({ length: 4000 }, (_, i) => i));
});

test('a large batch of large values (queued on the Node thread) and lane batches keep call order', async () => {
  const topic = cluster.topic('lane-large', 1);
  const service = cluster.service();
  const large = Array.from({ length: 100 }, (_, i) => ({ key: 'k', value: Buffer.alloc(1024, i) }));
  const [a, b, c] = await Promise.all([service.publishBatch(topic, laneBatch('a')), service.publishBatch(topic, large), service.publishBatch(topic, laneBatch('c'))]);
  const offsets = [...a, ...b, ...c].map((r) => r.offset);
  expect(offsets).toEqual(offsets.map((_, i) => i));
});
