'use strict';

// The kafkajs facade's transactions on the real single-node broker: `producer.transaction()`
// with `send`, `sendOffsets`, `commit` and `abort` as kafkajs has them; a consumer with
// `readUncommitted: false` reads committed data only; a transactional producer does not send
// outside a transaction.

const path = require('path');
const { BROKERS, describeOn, uniqueName, waitFor, sleep, useCluster } = require('./support');

jest.setTimeout(180000);

const { Kafka, KafkaJSNonRetriableError } = require(path.resolve(__dirname, '../../dist/kafkajs'));

describeOn(BROKERS, 'kafkajs facade transactions on a single broker', () => {
  const cluster = useCluster(BROKERS);
  const clients = [];
  afterAll(async () => {
    for (const c of clients.reverse()) await c.disconnect().catch(() => {});
  });
  const kafka = () => new Kafka({ clientId: uniqueName('kjs'), brokers: [BROKERS], logLevel: 0 });
  const track = (c) => (clients.push(c), c);

  test('committed sends and offsets are visible to read-committed consumers, aborted ones are not', async () => {
    const admin = cluster.admin();
    const topic = await cluster.topic(admin, 'kjs-tx', 1);
    const groupId = uniqueName('kjs-tx-group');
    const producer = track(kafka().producer({ transactionalId: uniqueName('tid'), maxInFlightRequests: 1, idempotent: true }));
    await producer.connect();
    await expect(producer.send({ topic, messages: [{ value: 'outside' }] })).rejects.toThrow(KafkaJSNonRetriableError);

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }] });
    await expect(producer.transaction()).rejects.toMatchObject({ code: 'ERR__STATE' });
    await aborted.abort();
    expect(aborted.isActive()).toBe(false);

    const committed = await producer.transaction();
    const metadata = await committed.send({ topic, messages: [{ value: 'committed' }] });
    expect(metadata[0]).toMatchObject({ topicName: topic, partition: 0 });
    await committed.commit();
    await expect(committed.send({ topic, messages: [{ value: 'late' }] })).rejects.toMatchObject({ code: 'ERR__STATE' });

    const consumer = track(kafka().consumer({ groupId: uniqueName('kjs-read'), readUncommitted: false }));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got = [];
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value.toString()) });
    await waitFor(() => got.length >= 1, 60000, 'the committed message');
    await sleep(1500);
    expect(got).toEqual(['committed']);

    const offsets = await producer.transaction();
    await offsets.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] });
    await offsets.commit();
    expect(await admin.groupOffsets(groupId, { topics: [topic] })).toEqual([{ topic, partition: 0, offset: 2 }]);
  });
});
