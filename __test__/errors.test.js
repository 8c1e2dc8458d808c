'use strict';

// Every error path: a typed KafkaNativeError with a stable code, thrown at construction or
// rejected by an async method (never a crash, a hang or a plain Error), and the producer's
// behaviour under broker faults injected into the mock cluster.

const net = require('net');
const { KafkaAdmin } = require('../index.js');
const {
  KafkaService,
  MockCluster,
  KafkaNativeError,
  useMockCluster,
  subscribeOptions,
  waitFor,
  expectRejection,
  expectThrow,
} = require('./helpers');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(60000);

const cluster = useMockCluster();
const quiet = () => {};

describe('KafkaNativeError', () => {
  test('is exported as an Error subclass with code, retriable and fatal', () => {
    expect(typeof KafkaNativeError).toBe('function');
    const error = expectThrow(() => new KafkaService({ brokers: [] }), 'ERR_INVALID_CONFIG');
    expect(error.retriable).toBe(false);
    expect(error.fatal).toBe(false);
    expect(error.stack).toEqual(expect.any(String));
    // Error.prototype of the realm the addon was loaded in (see expectKafkaError).
    expect(Object.getPrototypeOf(KafkaNativeError.prototype).constructor.name).toBe('Error');
  });
});

describe('invalid configuration throws ERR_INVALID_CONFIG at construction', () => {
  const brokers = '127.0.0.1:1';
  const cases = [
    ['an unknown librdkafka property', { brokers, librdkafka: { 'no.such.property': 'x' } }],
    ['an invalid librdkafka value', { brokers, librdkafka: { 'socket.timeout.ms': 'soon' } }],
    ['an unknown compression', { brokers, producer: { compression: 'brotli' } }],
    ['an idempotent producer with acks 1', { brokers, producer: { acks: 1 } }],
    ['an explicitly idempotent producer with acks 0', { brokers, producer: { idempotent: true, acks: 0 } }],
    ['acks out of range', { brokers, producer: { idempotent: false, acks: 2 } }],
    ['an unknown partitioner', { brokers, producer: { partitioner: 'round_robin' } }],
    ['a negative lingerMs', { brokers, producer: { lingerMs: -1 } }],
    ['an adaptiveLingerMs over 1000', { brokers, producer: { adaptiveLingerMs: 1001 } }],
    ['a zero messageTimeoutMs', { brokers, producer: { messageTimeoutMs: 0 } }],
    ['a zero connectionTimeoutMs', { brokers, connectionTimeoutMs: 0 }],
    ['an unknown logLevel', { brokers, logLevel: 'loud' }],
    ['an unknown SASL mechanism', { brokers, sasl: { mechanism: 'kerberos', username: 'u', password: 'p' } }],
    ['an empty brokers array', { brokers: [] }],
    ['an empty brokers string', { brokers: '' }],
    ['a brokers string of separators', { brokers: ' , ,' }],
    ['a broker without a port', { brokers: 'localhost' }],
    ['a broker with a bad port', { brokers: 'localhost:http' }],
    ['no brokers', {}],
    ['brokers of the wrong type', { brokers: 9092 }],
    ['brokers with a non-string entry', { brokers: ['127.0.0.1:9092', 9093] }],
    ['producer of the wrong type', { brokers, producer: 'fast' }],
    ['producer that is a number', { brokers, producer: 1 }],
    ['ssl of the wrong type', { brokers, ssl: 'yes' }],
    ['sasl of the wrong type', { brokers, sasl: 'plain' }],
    ['acks of the wrong type', { brokers, producer: { idempotent: false, acks: true } }],
    ['an unknown acks name', { brokers, producer: { idempotent: false, acks: 'leader' } }],
    ['an idempotent producer with acks "1"', { brokers, producer: { acks: '1' } }],
    ['connectionTimeoutMs of the wrong type', { brokers, connectionTimeoutMs: '500' }],
    ['clientId of the wrong type', { brokers, clientId: 42 }],
    ['an empty clientId', { brokers, clientId: '' }],
    ['a librdkafka map of the wrong type', { brokers, librdkafka: 'debug=all' }],
    ['a librdkafka value of the wrong type', { brokers, librdkafka: { 'client.rack': { nested: true } } }],
    ['a logger that is not a function', { brokers, logger: 'console' }],
  ];

  test.each(cases)('%s', (_, config) => {
    expectThrow(() => new KafkaService(config), 'ERR_INVALID_CONFIG');
  });

  // KafkaAdmin reads the same configuration the same way (it once skipped the nested-type
  // check, so `sasl: 'plain'` configured no SASL at all, silently).
  test.each(cases)('KafkaAdmin: %s', (_, config) => {
    expectThrow(() => new KafkaAdmin(config), 'ERR_INVALID_CONFIG');
  });

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', '127.0.0.1:9092'],
    ['a number', 9092],
  ])('a config that is %s', (_, config) => {
    expectThrow(() => new KafkaService(config), 'ERR_INVALID_CONFIG');
  });

  test.each([
    ['all', {}],
    ['-1', {}],
    ['1', { idempotent: false }],
    ['0', { idempotent: false }],
  ])("acks '%s' (librdkafka's spelling) is accepted", (acks, producer) => {
    const service = new KafkaService({ brokers: '127.0.0.1:1', logger: quiet, producer: { ...producer, acks } });
    expect(service.stats().state).toBe('idle');
    return service.disconnect();
  });

  test('valid settings of every kind are accepted', () => {
    const service = new KafkaService({
      brokers: ['127.0.0.1:1', ' 127.0.0.1:2 '],
      logger: quiet,
      clientId: 'cosmic-horizons-api',
      connectionTimeoutMs: 1000,
      statisticsIntervalMs: 500,
      logLevel: 'error',
      producer: { acks: 1, idempotent: false, compression: 'zstd', lingerMs: 0.5, batchSize: 65536, maxInFlight: 3, messageTimeoutMs: 5000, partitioner: 'murmur2' },
      librdkafka: { 'socket.keepalive.enable': true, 'retry.backoff.ms': 50, 'client.rack': 'rack-1' },
    });
    expect(service.stats().state).toBe('idle');
    return service.disconnect();
  });
});

describe('publish rejects bad arguments', () => {
  let service;
  let topic;
  beforeAll(() => {
    topic = cluster.topic('publish-args', 1);
    service = cluster.service();
  });

  test.each([
    ['a missing value', { key: 'k' }],
    ['a number value', { value: 42 }],
    ['a boolean value', { value: true }],
    ['an object value', { value: { json: true } }],
    ['a number key', { key: 7, value: 'v' }],
    ['headers that are a string', { value: 'v', headers: 'content-type: json' }],
    ['headers that are an array', { value: 'v', headers: [['a', 'b']] }],
    ['a header value that is a number', { value: 'v', headers: { retries: 3 } }],
    ['a header array holding an object', { value: 'v', headers: { h: ['ok', {}] } }],
    ['a negative partition', { value: 'v', partition: -1 }],
    ['a fractional partition', { value: 'v', partition: 1.5 }],
    ['a string partition', { value: 'v', partition: '0' }],
    ['a negative timestamp', { value: 'v', timestamp: -5 }],
    ['a timestamp that is not a number', { value: 'v', timestamp: 'yesterday' }],
    ['a NaN timestamp', { value: 'v', timestamp: NaN }],
    ['a timestamp that is an object', { value: 'v', timestamp: { ms: 1 } }],
  ])('%s → ERR_INVALID_ARG', async (_, message) => {
    await expectRejection(() => service.publish(topic, message), 'ERR_INVALID_ARG');
  });

  test.each([
    ['no message', undefined],
    ['a null message', null],
    ['a string message', 'value'],
    ['an array message', [{ value: 'v' }]],
  ])('%s → ERR_INVALID_ARG', async (_, message) => {
    await expectRejection(() => service.publish(topic, message), 'ERR_INVALID_ARG');
  });

  test('a topic that is not a string → ERR_INVALID_ARG', async () => {
    await expectRejection(() => service.publish(42, { value: 'v' }), 'ERR_INVALID_ARG');
    await expectRejection(() => service.publish(undefined, { value: 'v' }), 'ERR_INVALID_ARG');
  });

  test.each([
    ['a space', 'has space'],
    ['an empty name', ''],
    ['a slash', 'a/b'],
    ['"."', '.'],
    ['".."', '..'],
    ['250 characters', 'x'.repeat(250)],
  ])('a topic name with %s → ERR_TOPIC_EXCEPTION', async (_, name) => {
    const error = await expectRejection(() => service.publish(name, { value: 'v' }), 'ERR_TOPIC_EXCEPTION');
    expect(error.retriable).toBe(false);
  });

  test('a message over message.max.bytes → ERR_MSG_SIZE_TOO_LARGE', async () => {
    const small = cluster.service({ librdkafka: { 'message.max.bytes': 10000 } });
    const error = await expectRejection(() => small.publish(topic, { value: Buffer.alloc(20000) }), 'ERR_MSG_SIZE_TOO_LARGE');
    expect(error.topic).toBe(topic);
    expect(error.retriable).toBe(false);
    await expect(small.publish(topic, { value: Buffer.alloc(5000) })).resolves.toMatchObject({ topic });
  });

  test('the service still publishes after all of that', async () => {
    await expect(service.publish(topic, { value: 'fine' })).resolves.toMatchObject({ topic, partition: 0 });
  });
});

describe('subscribe rejects bad options and handlers with ERR_INVALID_ARG', () => {
  let service;
  let topic;
  const handler = { eachMessage: async () => {} };
  beforeAll(() => {
    topic = cluster.topic('subscribe-args', 1);
    service = cluster.service();
  });
  afterAll(() => {
    // None of the refused calls left a subscription behind.
    expect(service.stats().subscriptions).toBe(0);
  });

  test.each([
    ['no options', () => undefined],
    ['null options', () => null],
    ['options that are a string', () => 'group'],
    ['no groupId', () => ({ topics: [topic] })],
    ['an empty groupId', () => ({ groupId: '', topics: [topic] })],
    ['a groupId that is a number', () => ({ groupId: 1, topics: [topic] })],
    ['no topics', () => ({ groupId: 'g' })],
    ['an empty topics list', () => ({ groupId: 'g', topics: [] })],
    ['topics that are a string', () => ({ groupId: 'g', topics: topic })],
    ['a topic that is a number', () => ({ groupId: 'g', topics: [42] })],
    ['concurrency 0', () => ({ groupId: 'g', topics: [topic], concurrency: 0 })],
    ['maxBatchSize 0', () => ({ groupId: 'g', topics: [topic], maxBatchSize: 0 })],
    ['a negative fromTimestamp', () => ({ groupId: 'g', topics: [topic], fromTimestamp: -1 })],
    ['retries of the wrong type', () => ({ groupId: 'g', topics: [topic], retries: 'many' })],
    ['an onError that is not a function', () => ({ groupId: 'g', topics: [topic], onError: 'log' })],
  ])('%s', async (_, options) => {
    await expectRejection(() => service.subscribe(options(), handler), 'ERR_INVALID_ARG');
  });

  test.each([
    ['no handler', undefined],
    ['a null handler', null],
    ['a number', 42],
    ['an empty object', {}],
    ['eachMessage that is not a function', { eachMessage: 'log' }],
    ['eachBatch that is not a function', { eachBatch: 1 }],
    ['both eachMessage and eachBatch', { eachMessage: async () => {}, eachBatch: async () => {} }],
  ])('a handler: %s', async (_, badHandler) => {
    await expectRejection(() => service.subscribe({ groupId: 'g', topics: [topic] }, badHandler), 'ERR_INVALID_ARG');
  });

  test('a bad topic name → ERR_TOPIC_EXCEPTION', async () => {
    await expectRejection(() => service.subscribe({ groupId: 'g', topics: ['bad topic'] }, handler), 'ERR_TOPIC_EXCEPTION');
  });
});

describe('disconnect', () => {
  test('afterwards every call rejects with ERR_DISCONNECTED; disconnect itself is idempotent', async () => {
    const topic = cluster.topic('disconnected', 1);
    const service = cluster.service();
    await service.connect();
    await service.publish(topic, { value: 'before' });
    expect(service.stats().state).toBe('connected');

    await Promise.all([service.disconnect(), service.disconnect()]);
    await service.disconnect();
    expect(service.stats().state).toBe('disconnected');

    for (const call of [
      () => service.connect(),
      () => service.publish(topic, { value: 'after' }),
      () => service.publishBatch(topic, [{ value: 'after' }]),
      () => service.publishBatch([{ topic, value: 'after' }]),
      () => service.subscribe(subscribeOptions(topic), { eachMessage: async () => {} }),
    ]) {
      const error = await expectRejection(call, 'ERR_DISCONNECTED');
      expect(error.retriable).toBe(false);
    }
    expect(() => service.stats()).not.toThrow();
  });

  test('stops the subscriptions it holds', async () => {
    const topic = cluster.topic('disconnect-subs', 1);
    const service = cluster.service();
    const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: async () => {} });
    expect(subscription.running).toBe(true);
    await service.disconnect();
    expect(subscription.running).toBe(false);
  });

  test('a service that never connected disconnects', async () => {
    const service = new KafkaService({ brokers: '127.0.0.1:1', logger: quiet });
    await expect(service.disconnect()).resolves.toBeUndefined();
    await expectRejection(() => service.connect(), 'ERR_DISCONNECTED');
  });
});

describe('connect', () => {
  test('resolves with the cluster metadata', async () => {
    const topic = cluster.topic('connect', 2);
    const service = cluster.service();
    const info = await service.connect();
    expect(info.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
    for (const b of info.brokers) {
      expect(typeof b.host).toBe('string');
      expect(b.port).toBeGreaterThan(0);
    }
    expect(info.topics).toContain(topic);
  });

  test('rejects with a retriable ERR__TIMED_OUT when no broker answers', async () => {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));

    const service = cluster.service({ brokers: `127.0.0.1:${port}`, connectionTimeoutMs: 500 });
    const error = await expectRejection(() => service.connect(), 'ERR__TIMED_OUT');
    expect(error.retriable).toBe(true);
    expect(error.fatal).toBe(false);
    expect(service.stats().state).toBe('idle');
  });
});

describe('broker faults', () => {
  test('broker down → ERR__MSG_TIMED_OUT after messageTimeoutMs; publishes work again after brokerUp', async () => {
    const mock = MockCluster.start({ brokers: 1 });
    try {
      const topic = 'fault-down';
      mock.createTopic(topic, 1, 1);
      const service = cluster.service({
        brokers: mock.bootstrapServers,
        statisticsIntervalMs: 100,
        producer: { messageTimeoutMs: 1500 },
        // Reconnect soon after brokerUp rather than after librdkafka's growing backoff (up to 10 s).
        librdkafka: { 'reconnect.backoff.max.ms': 300 },
      });
      await service.connect();
      await service.publish(topic, { value: 'before' });

      mock.brokerDown(1);
      const error = await expectRejection(() => service.publish(topic, { value: 'while down' }), 'ERR__MSG_TIMED_OUT');
      expect(error.retriable).toBe(true);
      expect(error.fatal).toBe(false);
      expect(error.topic).toBe(topic);
      expect(service.stats().producer.failed).toBe(1);
      await waitFor(() => service.stats().brokers.some((b) => b.id === 1 && b.state !== 'UP'), 10000, 'the broker seen down');

      mock.brokerUp(1);
      await waitFor(() => service.stats().brokers.some((b) => b.id === 1 && b.state === 'UP'), 20000, 'the broker seen up');
      const result = await service.publish(topic, { value: 'after' });
      expect(result).toMatchObject({ topic, partition: 0 });
      expect(service.stats().producer.acknowledged).toBe(2);
      await service.disconnect();
    } finally {
      mock.close();
    }
  });

  test('retriable produce errors (NOT_LEADER_FOR_PARTITION) are retried by the idempotent producer', async () => {
    const topic = cluster.topic('fault-retry', 1);
    const service = cluster.service();
    await service.connect();
    const first = await service.publish(topic, { value: 'first' });

    cluster.mock.pushRequestErrors(0 /* Produce */, [6, 6, 6]);
    const second = await service.publish(topic, { value: 'second' });

    // Retried, and stored once: the next offset, no duplicate.
    expect(second.offset).toBe(first.offset + 1);
    const third = await service.publish(topic, { value: 'third' });
    expect(third.offset).toBe(first.offset + 2);
    expect(service.stats().producer.failed).toBe(0);
  });

  test('a non-retriable produce error surfaces with its code; the producer carries on', async () => {
    const topic = cluster.topic('fault-fatal', 1);
    const service = cluster.service();
    await service.connect();
    await service.publish(topic, { value: 'first' });

    cluster.mock.pushRequestErrors(0 /* Produce */, [10 /* MESSAGE_TOO_LARGE */]);
    const error = await expectRejection(() => service.publish(topic, { value: 'refused' }), 'ERR_MSG_SIZE_TOO_LARGE');
    expect(error.retriable).toBe(false);
    expect(error.topic).toBe(topic);
    await expect(service.publish(topic, { value: 'after' })).resolves.toMatchObject({ topic });
  });
});

describe('MockCluster', () => {
  test('refuses bad arguments with typed errors', () => {
    expectThrow(() => MockCluster.start({ brokers: 0 }), 'ERR_INVALID_ARG');
    expectThrow(() => MockCluster.start({ brokers: 17 }), 'ERR_INVALID_ARG');
    const mock = cluster.mock;
    expectThrow(() => mock.createTopic('bad topic', 1, 1), 'ERR_TOPIC_EXCEPTION');
    expectThrow(() => mock.createTopic('fine', 0, 1), 'ERR_INVALID_ARG');
    expectThrow(() => mock.createTopic('fine', 1, 4), 'ERR_INVALID_ARG');
    expectThrow(() => mock.brokerDown(9), 'ERR_INVALID_ARG');
    expectThrow(() => mock.brokerUp(0), 'ERR_INVALID_ARG');
    expectThrow(() => mock.pushRequestErrors(999, [6]), 'ERR_INVALID_ARG');
    expectThrow(() => mock.pushRequestErrors(0, [123456]), 'ERR_INVALID_ARG');
  });

  test('close is idempotent; afterwards calls throw ERR_DISCONNECTED', () => {
    const mock = MockCluster.start({ brokers: 1 });
    expect(mock.bootstrapServers).toMatch(/^[\w.]+:\d+$/);
    mock.close();
    mock.close();
    expectThrow(() => mock.createTopic('late', 1, 1), 'ERR_DISCONNECTED');
    expectThrow(() => mock.brokerDown(1), 'ERR_DISCONNECTED');
  });
});

