'use strict';

// The kafkajs facade's network events (REQUEST, REQUEST_TIMEOUT, REQUEST_QUEUE_SIZE) of the
// producer, consumer and admin client: kafkajs' payloads, asked of the engine only by a client
// with such a listener when it connects, and librdkafka's protocol lines kept out of the logs.

const { kafkajs, useKafkajs, waitFor, uniqueName, mockOnly } = require('./helpers');

const cluster = useKafkajs();

const REQUEST_KEYS = ['apiKey', 'apiName', 'apiVersion', 'broker', 'clientId', 'correlationId', 'createdAt', 'duration', 'pendingDuration', 'sentAt', 'size'];
const TIMEOUT_KEYS = ['apiKey', 'apiName', 'apiVersion', 'broker', 'clientId', 'correlationId', 'createdAt', 'pendingDuration', 'sentAt'];

function expectRequest(event, type) {
  expect(event).toMatchObject({ id: expect.any(String), type, timestamp: expect.any(Number) });
  const p = event.payload;
  expect(Object.keys(p).sort()).toEqual(REQUEST_KEYS);
  expect(p).toMatchObject({
    broker: expect.stringMatching(/^[^/]+:\d+$/),
    clientId: 'network',
    correlationId: expect.any(Number),
    size: expect.any(Number),
    apiName: expect.any(String),
    apiKey: expect.any(Number),
    apiVersion: expect.any(Number),
    pendingDuration: 0,
  });
  expect(p.size).toBeGreaterThan(0);
  expect(p.createdAt).toBe(p.sentAt);
  expect(p.duration).toBeGreaterThanOrEqual(0);
  expect(Math.abs(p.sentAt - Date.now())).toBeLessThan(10 * 60 * 1000);
}

/** Log entries that are librdkafka's protocol lines (the engine consumes them as reports). */
const protocolLines = () =>
  cluster.kafkaLogs.filter((e) => /\b(Sent \w+Request|Received \w+Response) \(v\d+/.test(e.log.message) || ['SEND', 'RECV'].includes(e.log.facility));

function collect(client, name) {
  const events = [];
  client.on(name, (e) => events.push(e));
  return events;
}

test('producer: REQUEST and REQUEST_QUEUE_SIZE with kafkajs payloads, none of the protocol lines logged', async () => {
  const { logLevel } = kafkajs();
  const kafka = cluster.kafka({ clientId: 'network', logLevel: logLevel.DEBUG });
  const topic = cluster.topic('net-produce', 1);
  const producer = cluster.track(kafka.producer());
  const requests = collect(producer, producer.events.REQUEST);
  const queueSizes = collect(producer, producer.events.REQUEST_QUEUE_SIZE);
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'x' }] });
  const produce = await waitFor(() => requests.find((e) => e.payload.apiName === 'Produce'), 30000, 'a Produce request');
  expectRequest(produce, 'producer.network.request');
  expect(produce.payload.apiKey).toBe(0);
  const metadata = requests.find((e) => e.payload.apiName === 'Metadata');
  expect(metadata.payload.apiKey).toBe(3);
  expect(requests.some((e) => e.payload.apiName === 'ApiVersions' && e.payload.apiKey === 18)).toBe(true);
  const queue = await waitFor(() => queueSizes[0], 30000, 'a queue size');
  expect(queue).toMatchObject({ type: 'producer.network.request_queue_size', payload: { broker: expect.stringMatching(/:\d+$/), clientId: 'network', queueSize: expect.any(Number) } });
  expect(Object.keys(queue.payload).sort()).toEqual(['broker', 'clientId', 'queueSize']);
  expect(protocolLines()).toEqual([]);
});

test('consumer: a REQUEST listener added before run() hears the group and fetch requests', async () => {
  const kafka = cluster.kafka({ clientId: 'network' });
  const topic = cluster.topic('net-consume', 1);
  const producer = cluster.track(kafka.producer());
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'm' }] });
  const consumer = cluster.track(kafka.consumer({ groupId: uniqueName('g'), sessionTimeout: 10000 }));
  await consumer.connect();
  // Added after connect(): run() then asks the engine for the reports.
  const requests = collect(consumer, consumer.events.REQUEST);
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const got = [];
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  await waitFor(() => got.length === 1, 30000, 'the message');
  const fetch = await waitFor(() => requests.find((e) => e.payload.apiName === 'Fetch'), 30000, 'a Fetch request');
  expectRequest(fetch, 'consumer.network.request');
  expect(fetch.payload.apiKey).toBe(1);
  expect(requests.some((e) => ['JoinGroup', 'ConsumerGroupHeartbeat'].includes(e.payload.apiName))).toBe(true);
  expect(protocolLines()).toEqual([]);
});

test('admin: REQUEST for its metadata calls; a client without a listener at connect() reports nothing', async () => {
  const kafka = cluster.kafka({ clientId: 'network' });
  const topic = cluster.topic('net-admin', 1);
  const admin = cluster.track(kafka.admin());
  const requests = collect(admin, admin.events.REQUEST);
  await admin.connect();
  const silent = cluster.track(kafka.admin());
  await silent.connect();
  const late = collect(silent, silent.events.REQUEST);
  await silent.fetchTopicMetadata({ topics: [topic] });
  const before = requests.length;
  await admin.fetchTopicMetadata({ topics: [topic] });
  const metadata = await waitFor(() => requests.slice(before).find((e) => e.payload.apiName === 'Metadata'), 30000, 'a Metadata request');
  expectRequest(metadata, 'admin.network.request');
  // The silent admin's requests were answered before the listening one's: had they been
  // reported, they would have arrived by now.
  expect(late).toEqual([]);
});

mockOnly('REQUEST_TIMEOUT names the request in flight that timed out', async () => {
  const kafka = cluster.kafka({ clientId: 'network', requestTimeout: 1000 });
  const topic = cluster.topic('net-timeout', 1);
  const producer = cluster.track(kafka.producer());
  const timeouts = collect(producer, producer.events.REQUEST_TIMEOUT);
  await producer.connect();
  for (const id of [1, 2, 3]) cluster.mock.setRtt(id, 3000);
  try {
    const sent = producer.send({ topic, messages: [{ value: 'late' }] }).catch(() => undefined);
    const timeout = await waitFor(() => timeouts[0], 30000, 'a request timeout');
    expect(timeout).toMatchObject({ type: 'producer.network.request_timeout' });
    expect(Object.keys(timeout.payload).sort()).toEqual(TIMEOUT_KEYS);
    expect(timeout.payload).toMatchObject({
      broker: expect.stringMatching(/:\d+$/),
      clientId: 'network',
      correlationId: expect.any(Number),
      apiName: expect.any(String),
      apiKey: expect.any(Number),
      pendingDuration: 0,
    });
    expect(timeout.payload.correlationId).toBeGreaterThan(0);
    expect(timeout.payload.apiVersion).toBeGreaterThanOrEqual(0);
    for (const id of [1, 2, 3]) cluster.mock.setRtt(id, 0);
    await sent;
  } finally {
    for (const id of [1, 2, 3]) cluster.mock.setRtt(id, 0);
  }
});
