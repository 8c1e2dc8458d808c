'use strict';

// The kafkajs facade's producer: kafkajs' RecordMetadata, kafkajs' key → partition mapping,
// per-send acks and compression, kafkajs-shaped errors, and what is refused.

const { kafkajs, useKafkajs, javaPartition, waitFor, uniqueName, mockOnly } = require('./helpers');

const cluster = useKafkajs();

async function consumeAll(kafka, topic, count) {
  const consumer = cluster.track(kafka.consumer({ groupId: uniqueName('g') }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  await consumer.run({ eachMessage: async (p) => void got.push(p) });
  await waitFor(() => got.length >= count, 30000, `${count} messages of ${topic}`);
  await consumer.disconnect();
  return got;
}

test('send resolves kafkajs RecordMetadata: one entry per partition written, offsets as strings', async () => {
  const topic = cluster.topic('rm', 3);
  const producer = cluster.track(cluster.kafka().producer());
  await producer.connect();
  const first = await producer.send({ topic, messages: [{ key: 'job-1', value: 'a' }] });
  expect(first).toEqual([
    { topicName: topic, partition: javaPartition('job-1', 3), errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '-1' },
  ]);
  const keys = ['job-1', 'job-2', 'job-3', 'job-4', 'job-1'];
  const many = await producer.send({ topic, messages: keys.map((key) => ({ key, value: key })) });
  const partitions = new Set(keys.map((k) => javaPartition(k, 3)));
  expect(many).toHaveLength(partitions.size);
  for (const m of many) {
    expect(partitions.has(m.partition)).toBe(true);
    expect(typeof m.baseOffset).toBe('string');
  }
  expect(many.find((m) => m.partition === javaPartition('job-1', 3)).baseOffset).toBe('1');
});

test("a key lands on the partition kafkajs' DefaultPartitioner (Java murmur2) picks", async () => {
  const { Partitioners, partitionForKey } = kafkajs();
  const topic = cluster.topic('keys', 7);
  const producer = cluster.track(cluster.kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner }));
  await producer.connect();
  const keys = Array.from({ length: 200 }, (_, i) => `job-${i}-${(i * 7919).toString(36)}`);
  keys.push('', 'ünïcødé', Buffer.from([0, 1, 2, 255]).toString('latin1'));
  const results = await Promise.all(keys.map((key) => producer.send({ topic, messages: [{ key, value: 'v' }] })));
  const partitioner = Partitioners.DefaultPartitioner();
  const metadata = Array.from({ length: 7 }, (_, partitionId) => ({ partitionId, leader: 1 }));
  results.forEach(([r], i) => {
    expect(r.partition).toBe(javaPartition(keys[i], 7));
    expect(r.partition).toBe(partitionForKey(keys[i], 7));
    expect(r.partition).toBe(partitioner({ topic, partitionMetadata: metadata, message: { key: keys[i] } }));
  });
});

test('sendBatch writes to several topics; headers, null keys and values arrive as kafkajs messages', async () => {
  const a = cluster.topic('batch-a', 2);
  const b = cluster.topic('batch-b', 1);
  const kafka = cluster.kafka();
  const producer = cluster.track(kafka.producer());
  await producer.connect();
  const result = await producer.sendBatch({
    topicMessages: [
      { topic: a, messages: [{ key: 'k', value: 'one', headers: { 'content-type': 'application/json', skipped: undefined, multi: ['x', 'y'] } }] },
      { topic: b, messages: [{ key: null, value: null }, { value: Buffer.from([1, 2, 3]), timestamp: '1600000000000' }] },
    ],
  });
  expect(result.map((r) => r.topicName).sort()).toEqual([a, b].sort());
  const [fromA] = await consumeAll(kafka, a, 1);
  expect(fromA.message.key.toString()).toBe('k');
  expect(fromA.message.headers['content-type'].toString()).toBe('application/json');
  expect(fromA.message.headers.multi.map(String)).toEqual(['x', 'y']);
  expect('skipped' in fromA.message.headers).toBe(false);
  const fromB = await consumeAll(kafka, b, 2);
  expect(fromB[0].message.key).toBeNull();
  expect(fromB[0].message.value).toBeNull();
  expect(fromB[1].message.value).toEqual(Buffer.from([1, 2, 3]));
  expect(fromB[1].message.timestamp).toBe('1600000000000');
});

test('per-send compression and acks use their own engine producer and round-trip', async () => {
  const { CompressionTypes } = kafkajs();
  const topic = cluster.topic('codec', 1);
  const kafka = cluster.kafka();
  const producer = cluster.track(kafka.producer({ compression: CompressionTypes.GZIP }));
  await producer.connect();
  const codecs = [undefined, CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD];
  for (const compression of codecs) {
    await producer.send({ topic, compression, messages: [{ value: `codec-${compression}`.repeat(50) }] });
  }
  await producer.send({ topic, acks: 1, messages: [{ value: 'acks-1' }] });
  const [zero] = await producer.send({ topic, acks: 0, messages: [{ value: 'acks-0' }] });
  expect(zero.topicName).toBe(topic);
  const got = await consumeAll(kafka, topic, codecs.length + 1);
  expect(got.slice(0, codecs.length).map((p) => p.message.value.toString())).toEqual(codecs.map((c) => `codec-${c}`.repeat(50)));
});

test('an idempotent producer refuses acks other than -1, as kafkajs does', async () => {
  const { KafkaJSNonRetriableError } = kafkajs();
  const producer = cluster.track(cluster.kafka().producer({ idempotent: true, maxInFlightRequests: 5, transactionTimeout: 60000 }));
  await producer.connect();
  expect(producer.isIdempotent()).toBe(true);
  const topic = cluster.topic('idem', 1);
  await expect(producer.send({ topic, acks: 1, messages: [{ value: 'x' }] })).rejects.toBeInstanceOf(KafkaJSNonRetriableError);
  await expect(producer.send({ topic, messages: [{ value: 'x' }] })).resolves.toHaveLength(1);
});

// Takes the mock's brokers down: mock cluster only.
mockOnly('engine errors reject as KafkaJS errors that keep code and retriable', async () => {
  const { KafkaJSError, KafkaJSNonRetriableError, KafkaJSConnectionError, KafkaJSRequestTimeoutError } = kafkajs();
  const topic = cluster.topic('errors', 1);
  const producer = cluster.track(cluster.kafka().producer());
  await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toMatchObject({ name: 'KafkaJSError', code: 'ERR_DISCONNECTED' });
  await producer.connect();
  const unknown = await producer.send({ topic, messages: [{ value: 'x', partition: 9 }] }).catch((e) => e);
  expect(unknown).toBeInstanceOf(KafkaJSError);
  expect(unknown).toBeInstanceOf(KafkaJSNonRetriableError);
  expect(unknown.code).toBe('ERR__UNKNOWN_PARTITION');
  expect(unknown.retriable).toBe(false);
  expect(unknown.cause.name).toBe('KafkaNativeError');
  await expect(producer.send({ topic: '', messages: [] })).rejects.toBeInstanceOf(KafkaJSNonRetriableError);

  const nowhere = cluster.track(
    cluster.kafka({ brokers: ['127.0.0.1:1'], requestTimeout: 300, connectionTimeout: 100 }).producer(),
  );
  const refused = await nowhere.connect().catch((e) => e);
  expect(refused).toBeInstanceOf(KafkaJSConnectionError);
  expect(refused.code).toBe('ERR__TIMED_OUT');
  expect(refused.retriable).toBe(true);

  for (let id = 1; id <= 3; id++) cluster.mock.brokerDown(id);
  try {
    const slow = await producer.send({ topic, timeout: 200, messages: [{ value: 'late' }] }).catch((e) => e);
    expect(slow).toBeInstanceOf(KafkaJSRequestTimeoutError);
    expect(slow.retriable).toBe(true);
  } finally {
    for (let id = 1; id <= 3; id++) cluster.mock.brokerUp(id);
  }
});

test('what the engine cannot do throws KafkaJSNotImplemented, naming the feature', async () => {
  const { KafkaJSNotImplemented, KafkaJSNonRetriableError, Kafka, CompressionCodecs, CompressionTypes } = kafkajs();
  const kafka = cluster.kafka();
  const refused = (call, feature) => {
    let error;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KafkaJSNotImplemented);
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
    expect(error.retriable).toBe(false);
    expect(error.code).toBe('ERR_NOT_SUPPORTED');
    expect(error.feature).toContain(feature);
  };
  refused(() => kafka.producer({ retry: { factor: 0.2 } }), 'factor');
  refused(() => new Kafka({ brokers: ['a:1'], socketFactory: () => null }), 'socketFactory');
  refused(() => new Kafka({ brokers: ['a:1'], sasl: { mechanism: 'aws' } }), 'aws');
  refused(() => new Kafka({ brokers: ['a:1'], ssl: { servername: 'x' } }), 'ssl.servername');
  const producer = kafka.producer();
  // Every kafkajs event can be listened to; an unknown name throws, as in kafkajs.
  expect(() => producer.on(producer.events.REQUEST, () => {})).not.toThrow();
  expect(() => producer.on('producer.nope', () => {})).toThrow(KafkaJSNonRetriableError);
  // Transactions need a transactionalId, as in kafkajs.
  await expect(producer.transaction()).rejects.toBeInstanceOf(KafkaJSNonRetriableError);
  // Registering a codec is accepted (they are built in) and changes nothing.
  CompressionCodecs[CompressionTypes.Snappy] = () => ({});
});

test('connect and disconnect events fire; logs reach the logCreator as kafkajs LogEntry', async () => {
  const { logLevel } = kafkajs();
  const kafka = cluster.kafka();
  const producer = kafka.producer();
  const events = [];
  producer.on(producer.events.CONNECT, (e) => events.push(e.type));
  producer.on(producer.events.DISCONNECT, (e) => events.push(e.type));
  await producer.connect();
  await producer.disconnect();
  expect(events).toEqual(['producer.connect', 'producer.disconnect']);
  kafka.logger().warn('hello', { extra: 1 });
  const entry = cluster.kafkaLogs.find((e) => e.log.message === 'hello');
  expect(entry).toMatchObject({ namespace: 'kafkajs', level: logLevel.WARN, label: 'WARN', log: { message: 'hello', extra: 1 } });
  expect(typeof entry.log.timestamp).toBe('string');
});
