'use strict';

// publishBatch (both forms: results in order, one per message, errors in their own slots) and the
// default partitioner's compatibility with the Java client and kafkajs.

const {
  useMockCluster,
  expectKafkaError,
  expectRejection,
  murmur2,
  javaPartition,
} = require('./helpers');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(60000);

const cluster = useMockCluster();

/** Over librdkafka's default `message.max.bytes` (1000000). */
const OVERSIZE = Buffer.alloc(1100000, 1);

describe('publishBatch(topic, messages)', () => {
  test('one result per message, in order, with each failure in its own slot', async () => {
    const topic = cluster.topic('batch', 1);
    const service = cluster.service();
    const messages = [
      { key: 'a', value: 'ok-0' },
      { key: 'b', value: 42 },
      { key: 'c', value: 'ok-1' },
      { key: 'd', value: OVERSIZE },
      { value: Buffer.from('ok-2') },
      { key: 'no value' },
      { value: null, key: 'ok-3 (tombstone)' },
      { value: 'x', partition: -1 },
      { value: 'ok-4', headers: { h: ['1', '2'] } },
      'not a message',
      { value: 'x', headers: { h: 7 } },
      { value: 'ok-5', partition: 0 },
    ];
    const expected = [
      'ok',
      'ERR_INVALID_ARG',
      'ok',
      'ERR_MSG_SIZE_TOO_LARGE',
      'ok',
      'ERR_INVALID_ARG',
      'ok',
      'ERR_INVALID_ARG',
      'ok',
      'ERR_INVALID_ARG',
      'ERR_INVALID_ARG',
      'ok',
    ];

    const results = await service.publishBatch(topic, messages);

    expect(results).toHaveLength(messages.length);
    let nextOffset = 0;
    results.forEach((r, i) => {
      expect(r.topic).toBe(topic);
      if (expected[i] === 'ok') {
        expect(r.error).toBeUndefined();
        expect(r.partition).toBe(0);
        // One partition: the successes were stored in the order they were given, and nothing
        // was stored for a failed slot.
        expect(r.offset).toBe(nextOffset);
        nextOffset += 1;
      } else {
        expectKafkaError(r.error, expected[i]);
        expect(r.error.retriable).toBe(false);
        expect(r.offset).toBe(-1);
      }
    });
    expect(nextOffset).toBe(6);
  });

  test('an empty batch resolves with no results', async () => {
    const topic = cluster.topic('batch-empty', 1);
    const service = cluster.service();
    await expect(service.publishBatch(topic, [])).resolves.toEqual([]);
    await expect(service.publishBatch([])).resolves.toEqual([]);
  });

  test('a bad topic name fails every slot with ERR_TOPIC_EXCEPTION', async () => {
    const service = cluster.service();
    const results = await service.publishBatch('not a topic!', [{ value: 'a' }, { value: 'b' }]);
    expect(results).toHaveLength(2);
    for (const r of results) {
      expectKafkaError(r.error, 'ERR_TOPIC_EXCEPTION');
      expect(r.offset).toBe(-1);
    }
  });

  test('rejects with ERR_INVALID_ARG only when the arguments are not an array of messages', async () => {
    const service = cluster.service();
    const topic = cluster.topic('batch-args', 1);
    await expectRejection(() => service.publishBatch(topic), 'ERR_INVALID_ARG');
    await expectRejection(() => service.publishBatch(topic, 'value'), 'ERR_INVALID_ARG');
    await expectRejection(() => service.publishBatch(topic, { value: 'a' }), 'ERR_INVALID_ARG');
    await expectRejection(() => service.publishBatch(42, [{ value: 'a' }]), 'ERR_INVALID_ARG');
    await expectRejection(() => service.publishBatch({ topic, value: 'a' }), 'ERR_INVALID_ARG');
    await expectRejection(() => service.publishBatch(), 'ERR_INVALID_ARG');
  });
});

describe('publishBatch(records)', () => {
  test('records name their topics; results are in order with each failure in its own slot', async () => {
    const first = cluster.topic('records-a', 1);
    const second = cluster.topic('records-b', 1);
    const service = cluster.service();
    const records = [
      { topic: first, key: 'k', value: 'a-0' },
      { topic: second, value: 'b-0' },
      { topic: 'bad topic name', value: 'x' },
      { topic: first, value: 'a-1', headers: { trace: 'abc' } },
      { value: 'no topic' },
      { topic: 42, value: 'topic is a number' },
      { topic: second, value: 3.14 },
      { topic: second, value: 'b-1' },
      { topic: '', value: 'empty topic name' },
      { topic: first, value: OVERSIZE },
      null,
      { topic: first, value: 'a-2' },
    ];
    const expected = [
      [first, 0],
      [second, 0],
      'ERR_TOPIC_EXCEPTION',
      [first, 1],
      'ERR_INVALID_ARG',
      'ERR_INVALID_ARG',
      'ERR_INVALID_ARG',
      [second, 1],
      'ERR_TOPIC_EXCEPTION',
      'ERR_MSG_SIZE_TOO_LARGE',
      'ERR_INVALID_ARG',
      [first, 2],
    ];

    const results = await service.publishBatch(records);

    expect(results).toHaveLength(records.length);
    results.forEach((r, i) => {
      if (Array.isArray(expected[i])) {
        const [topic, offset] = expected[i];
        expect(r.error).toBeUndefined();
        expect(r.topic).toBe(topic);
        expect(r.partition).toBe(0);
        expect(r.offset).toBe(offset);
      } else {
        expectKafkaError(r.error, expected[i]);
        expect(r.offset).toBe(-1);
      }
    });
    expect(results[2].topic).toBe('bad topic name');
  });
});

describe('settling many acknowledgements', () => {
  // Settlement runs in rounds of at most 256 messages, or one larger batch alone (ROUND_BUDGET in
  // settlement.rs), with a turn of the event loop between rounds, so a flood of acknowledgements
  // never holds timers and I/O back. Rounds run from setImmediate, one per turn, so a probe that re-arms itself with
  // setImmediate sees at most one round between two of its turns.
  test('single publishes and batches settle in bounded rounds with event-loop turns between', async () => {
    const topic = cluster.topic('rounds', 3);
    const service = cluster.service();
    let settled = 0;
    let maxBetweenTurns = 0;
    let atLastTurn = 0;
    let probing = true;
    const probe = () => {
      maxBetweenTurns = Math.max(maxBetweenTurns, settled - atLastTurn);
      atLastTurn = settled;
      if (probing) setImmediate(probe);
    };
    setImmediate(probe);
    const count = (p, n) => p.then((r) => { settled += n; return r; });
    const value = Buffer.alloc(10, 1);
    const singles = Array.from({ length: 10000 }, (_, i) => count(service.publish(topic, { key: `k${i}`, value }), 1));
    const batch = Array.from({ length: 1000 }, (_, i) => ({ key: `b${i}`, value }));
    const batches = Array.from({ length: 10 }, () => count(service.publishBatch(topic, batch), 1000));
    await Promise.all([...singles, ...batches]);
    probing = false;
    expect(settled).toBe(20000);
    expect(maxBetweenTurns).toBeGreaterThan(0);
    expect(maxBetweenTurns).toBeLessThanOrEqual(1000);
  });
});

describe('default partitioner (murmur2_random)', () => {
  // Key -> the Java client's `Utils.murmur2`: kafkajs' src/producer/partitioners/defaultJava/
  // murmur2.spec.js (generated with the Java function; this partitioner became kafkajs 2's
  // default, while the older default/murmur2.spec.js holds the legacy, non-Java hashes) and
  // Apache Kafka's own UtilsTest.testMurmur2.
  const javaVectors = {
    0: 971027396,
    1: -1993445489,
    128: -326012175,
    2187: -1508407203,
    16384: -325739742,
    78125: -1654490814,
    279936: 1462227128,
    823543: -2014198330,
    2097152: 607668903,
    4782969: -1182699775,
    10000000: -1830336757,
    19487171: -1603849305,
    35831808: -857013643,
    62748517: -1167431028,
    105413504: -381294639,
    170859375: -1658323481,
    '100:48069': 1009543857,
    21: -973932308,
    foobar: -790332482,
    'a-little-bit-long-string': -985981536,
    'a-little-bit-longer-string': -1486304829,
    lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
    abc: 479470107,
  };

  test('the reference murmur2 of this test matches the Java client', () => {
    for (const [key, hash] of Object.entries(javaVectors)) expect({ key, hash: murmur2(key) }).toEqual({ key, hash });
    expect(murmur2(Buffer.from('1'))).toBe(-1993445489);
  });

  test('each key lands on the partition the Java client and kafkajs pick', async () => {
    const partitions = 6;
    const topic = cluster.topic('murmur2', partitions);
    const service = cluster.service();
    const keys = [
      ...Object.keys(javaVectors),
      ...Array.from({ length: 20 }, (_, i) => `job-${i * 7919}`),
      'job-lifecycle/550e8400-e29b-41d4-a716-446655440000',
      'ünïcødé-ключ-鍵',
      'a',
      'ab',
      'abcd',
      'abcde',
      Buffer.from([0, 0, 0, 0]),
      Buffer.from([255, 254, 253]),
      Buffer.from([128, 0, 127, 255, 1]),
    ];
    expect(keys.length).toBeGreaterThanOrEqual(50);

    const single = await Promise.all(keys.map((key) => service.publish(topic, { key, value: 'v' })));
    const batch = await service.publishBatch(topic, keys.map((key) => ({ key, value: 'v' })));

    keys.forEach((key, i) => {
      const predicted = javaPartition(key, partitions);
      expect({ key: String(key), partition: single[i].partition }).toEqual({ key: String(key), partition: predicted });
      expect({ key: String(key), partition: batch[i].partition }).toEqual({ key: String(key), partition: predicted });
    });
    expect(new Set(single.map((r) => r.partition)).size).toBe(partitions);
  });

  test('an explicit partition wins over the key; an unknown one is refused', async () => {
    const topic = cluster.topic('explicit', 3);
    const service = cluster.service();
    await service.connect();
    for (let p = 0; p < 3; p++) {
      const r = await service.publish(topic, { key: 'same-key', value: 'v', partition: p });
      expect(r.partition).toBe(p);
    }
    const error = await expectRejection(() => service.publish(topic, { value: 'v', partition: 99 }), 'ERR__UNKNOWN_PARTITION');
    expect(error.topic).toBe(topic);
  });

  test('messages without a key are spread over valid partitions', async () => {
    const topic = cluster.topic('nokey', 4);
    const service = cluster.service();
    const results = await service.publishBatch(topic, Array.from({ length: 40 }, (_, i) => ({ value: String(i) })));
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(r.partition).toBeGreaterThanOrEqual(0);
      expect(r.partition).toBeLessThan(4);
    }
  });
});
