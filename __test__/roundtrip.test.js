'use strict';

// What is published is what a subscription receives: keys, headers, tombstones, binary and empty
// payloads, timestamps, every compression codec, and per-key order across partitions.

const { randomBytes } = require('crypto');
const { useMockCluster, collector, subscribeOptions, waitFor, sleep } = require('./helpers');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(60000);

const cluster = useMockCluster();

/** Every byte value 0..255 in order, repeated to `length`. */
function everyByte(length) {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = i % 256;
  return b;
}

function expectHeaderValue(actual, expected) {
  const bytes = (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v));
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    expect(actual).toHaveLength(expected.length);
    expected.forEach((v, i) => {
      expect(Buffer.isBuffer(actual[i])).toBe(true);
      expect(actual[i].equals(bytes(v))).toBe(true);
    });
  } else {
    expect(Buffer.isBuffer(actual)).toBe(true);
    expect(actual.equals(bytes(expected))).toBe(true);
  }
}

test('keys, headers, tombstones, binary and empty payloads and timestamps arrive as sent', async () => {
  const topic = cluster.topic('roundtrip', 3);
  const service = cluster.service();
  await service.connect();

  const large = Buffer.concat([everyByte(256 * 1024), randomBytes(64 * 1024)]);
  const sent = [
    {
      key: 'job-42',
      value: 'plain text, ünïcødé ✓',
      headers: {
        'content-type': 'application/json',
        'x-binary': Buffer.from([0, 255, 1, 254, 0]),
        'x-multi': ['first', Buffer.from([0xc3, 0x28]), 'third'],
        'x-empty': '',
      },
    },
    { key: Buffer.from([0, 1, 2, 253, 254, 255]), value: null },
    { key: 'deleted-job', value: null, headers: { reason: 'tombstone' } },
    { key: everyByte(256), value: large },
    { key: 'empty-string', value: '' },
    { key: 'empty-buffer', value: Buffer.alloc(0) },
    { value: 'no key at all' },
    { key: 'ts-number', value: 'a', timestamp: 1600000000000 },
    { key: 'ts-date', value: 'b', timestamp: new Date(1600000000001) },
    { key: 'ts-string', value: 'c', timestamp: '1600000000002' },
  ];

  const results = await Promise.all(sent.map((m) => service.publish(topic, m)));
  for (const r of results) {
    expect(r.topic).toBe(topic);
    expect(Number.isInteger(r.partition)).toBe(true);
    expect(r.partition).toBeGreaterThanOrEqual(0);
    expect(r.partition).toBeLessThan(3);
    expect(Number.isInteger(r.offset)).toBe(true);
    expect(r.offset).toBeGreaterThanOrEqual(0);
  }

  const c = collector();
  const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: c.eachMessage });
  await waitFor(() => c.received.length >= sent.length, 30000, 'every message consumed');
  await subscription.stop();
  expect(c.received).toHaveLength(sent.length);

  sent.forEach((m, i) => {
    const where = results[i];
    const got = c.received.find((r) => r.partition === where.partition && r.message.offset === String(where.offset));
    expect(got).toBeDefined();
    expect(got.topic).toBe(topic);
    const { message } = got;

    if (m.key === undefined) {
      expect(message.key).toBeNull();
    } else {
      expect(Buffer.isBuffer(message.key)).toBe(true);
      expect(message.key.equals(Buffer.from(m.key))).toBe(true);
    }

    if (m.value === null) {
      expect(message.value).toBeNull();
    } else {
      expect(Buffer.isBuffer(message.value)).toBe(true);
      // A plain Buffer, as kafkajs gives: `assert.deepStrictEqual` compares prototypes too.
      expect(Object.getPrototypeOf(message.value)).toBe(Buffer.prototype);
      expect(message.value.equals(Buffer.from(m.value))).toBe(true);
    }

    const headers = m.headers || {};
    expect(Object.keys(message.headers).sort()).toEqual(Object.keys(headers).sort());
    for (const [name, value] of Object.entries(headers)) expectHeaderValue(message.headers[name], value);

    expect(message.offset).toMatch(/^\d+$/);
    expect(message.timestamp).toMatch(/^\d+$/);
    if (m.timestamp !== undefined) {
      const ms = m.timestamp instanceof Date ? m.timestamp.getTime() : Number(m.timestamp);
      expect(message.timestamp).toBe(String(ms));
    }
  });

  // An empty value is an empty Buffer, not a tombstone.
  const emptyIndex = sent.findIndex((m) => m.key === 'empty-string');
  const empty = c.received.find((r) => r.message.offset === String(results[emptyIndex].offset) && r.partition === results[emptyIndex].partition);
  expect(empty.message.value).not.toBeNull();
  expect(empty.message.value).toHaveLength(0);
});

describe('compression', () => {
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  const topics = {};
  const sent = {};
  const c = collector();

  beforeAll(async () => {
    const json = (i) => JSON.stringify({ jobId: `job-${i}`, status: 'RUNNING', progress: i / 100, note: 'x'.repeat(200) });
    await Promise.all(
      codecs.map(async (codec) => {
        topics[codec] = cluster.topic(`codec-${codec}`, 1);
        const service = cluster.service({ producer: { compression: codec, lingerMs: 5 } });
        sent[codec] = [
          ...Array.from({ length: 50 }, (_, i) => ({ key: `job-${i}`, value: json(i), headers: { codec } })),
          { key: 'binary', value: everyByte(100 * 1024) },
          { key: 'random', value: randomBytes(10 * 1024) },
        ];
        const results = await service.publishBatch(topics[codec], sent[codec]);
        for (const r of results) expect(r.error).toBeUndefined();
      }),
    );
    const service = cluster.service();
    const subscription = await service.subscribe(subscribeOptions(Object.values(topics)), { eachMessage: c.eachMessage });
    const total = codecs.length * sent.none.length;
    await waitFor(() => c.received.length >= total, 40000, 'messages of every codec');
    await subscription.stop();
  });

  test.each(codecs)('%s round-trips', (codec) => {
    const got = c.received.filter((r) => r.topic === topics[codec]).map((r) => r.message);
    expect(got).toHaveLength(sent[codec].length);
    got.forEach((message, i) => {
      const m = sent[codec][i];
      expect(message.offset).toBe(String(i));
      expect(message.key.toString()).toBe(m.key);
      expect(message.value.equals(Buffer.from(m.value))).toBe(true);
      if (m.headers) expect(message.headers.codec.toString()).toBe(codec);
    });
  });
});

test('order per key holds across partitions with concurrency > 1, and a key keeps its partition', async () => {
  const partitions = 6;
  const topic = cluster.topic('order', partitions);
  const service = cluster.service({ producer: { lingerMs: 2 } });
  const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
  const rounds = 50;

  // Every round publishes each key once, alternately as one batch and as single publishes; both
  // queue in call order, so each key's values must come back in order.
  const pending = [];
  for (let round = 0; round < rounds; round++) {
    const messages = keys.map((key) => ({ key, value: String(round), headers: { round: String(round) } }));
    if (round % 2 === 0) pending.push(service.publishBatch(topic, messages));
    else pending.push(Promise.all(messages.map((m) => service.publish(topic, m))));
  }
  const published = (await Promise.all(pending)).flat();
  expect(published).toHaveLength(keys.length * rounds);
  const partitionOfKey = new Map();
  published.forEach((r, i) => {
    expect(r.error).toBeUndefined();
    const key = keys[i % keys.length];
    if (!partitionOfKey.has(key)) partitionOfKey.set(key, r.partition);
    expect(r.partition).toBe(partitionOfKey.get(key));
  });
  expect(new Set(partitionOfKey.values()).size).toBeGreaterThan(1);

  let active = 0;
  let maxActive = 0;
  const activePartitions = new Set();
  let overlapWithinPartition = false;
  const c = collector(async ({ partition }) => {
    if (activePartitions.has(partition)) overlapWithinPartition = true;
    activePartitions.add(partition);
    active += 1;
    maxActive = Math.max(maxActive, active);
    if (Math.random() < 0.1) await sleep(1);
    else await new Promise((resolve) => setImmediate(resolve));
    active -= 1;
    activePartitions.delete(partition);
  });
  const concurrency = 3;
  const subscription = await service.subscribe(subscribeOptions(topic, { concurrency, maxBatchSize: 16 }), {
    eachMessage: c.eachMessage,
  });
  await waitFor(() => c.received.length >= published.length, 40000, 'every message consumed');
  await subscription.stop();

  expect(c.received).toHaveLength(published.length);
  const valuesOfKey = new Map();
  const partitionsOfKey = new Map();
  for (const { partition, message } of c.received) {
    const key = message.key.toString();
    if (!valuesOfKey.has(key)) {
      valuesOfKey.set(key, []);
      partitionsOfKey.set(key, new Set());
    }
    valuesOfKey.get(key).push(Number(message.value.toString()));
    partitionsOfKey.get(key).add(partition);
  }
  const expected = Array.from({ length: rounds }, (_, i) => i);
  for (const key of keys) {
    const values = valuesOfKey.get(key);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    expect(values).toEqual(expected);
    expect([...partitionsOfKey.get(key)]).toEqual([partitionOfKey.get(key)]);
  }
  expect(overlapWithinPartition).toBe(false);
  expect(maxActive).toBeLessThanOrEqual(concurrency);
  expect(maxActive).toBeGreaterThan(1);
});

