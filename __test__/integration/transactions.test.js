'use strict';

// Transactions on the real single-node broker: what a committed transaction published is seen
// by read-committed consumers and what an aborted one published is not (a read-uncommitted
// consumer sees both); offsets sent in a transaction are committed for the group if and only if
// the transaction commits (by group id and by a running subscription); a producer fenced by a
// newer one with the same transactional id fails with a fatal error, and the service stays usable
// outside transactions; resetTransactions gives it a new producer; misuse is typed.

const { KafkaNativeError } = require('../../index.js');
const { BROKERS, describeOn, uniqueName, waitFor, sleep, useCluster, collector, expectKafkaError } = require('./support');

jest.setTimeout(180000);

describeOn(BROKERS, 'transactions on a single broker', () => {
  const cluster = useCluster(BROKERS);
  let admin;
  beforeAll(() => {
    admin = cluster.admin();
  });

  const values = (prefix, n) => Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` }));

  async function readAll(topic, options, expected) {
    const service = cluster.service();
    const c = collector();
    const subscription = await service.subscribe({ groupId: uniqueName('read'), topics: [topic], fromBeginning: true, ...options }, { eachMessage: c.eachMessage });
    await waitFor(() => c.received.length >= expected, 60000, `${expected} messages`);
    // Nothing more arrives (an aborted message would come after the committed ones).
    await sleep(1500);
    await subscription.stop();
    return c.received.map((m) => m.value);
  }

  test('committed messages are visible to read-committed consumers, aborted ones are not', async () => {
    const topic = await cluster.topic(admin, 'tx', 1);
    const service = cluster.service({ transactionalId: uniqueName('tid') });
    const aborted = await service.transaction();
    expect(aborted.open).toBe(true);
    const results = await aborted.publishBatch(topic, values('aborted-', 5));
    expect(results.every((r) => r.error === undefined)).toBe(true);
    await aborted.abort();
    expect(aborted.open).toBe(false);

    const committed = await service.transaction();
    await committed.publishBatch(topic, values('committed-', 5));
    await committed.publish(topic, { value: 'committed-5' });
    await committed.commit();

    const readCommitted = await readAll(topic, {}, 6);
    expect(readCommitted).toEqual(values('committed-', 6).map((m) => m.value));
    const readUncommitted = await readAll(topic, { readCommitted: false }, 11);
    expect(readUncommitted).toEqual([...values('aborted-', 5), ...values('committed-', 6)].map((m) => m.value));
  });

  test('sendOffsets commits the group offsets if and only if the transaction commits', async () => {
    const input = await cluster.topic(admin, 'tx-in', 1);
    const output = await cluster.topic(admin, 'tx-out', 1);
    const producer = cluster.service();
    await producer.publishBatch(input, values('in-', 10));
    const groupId = uniqueName('tx-group');
    const service = cluster.service({ transactionalId: uniqueName('tid') });
    const committed = async () => (await admin.groupOffsets(groupId, { topics: [input] }))[0].offset;

    const aborted = await service.transaction();
    await aborted.publish(output, { value: 'out-aborted' });
    await aborted.sendOffsets({ groupId, offsets: [{ topic: input, partition: 0, offset: 4 }] });
    await aborted.abort();
    expect(await committed()).toBe(-1);

    const tx = await service.transaction();
    await tx.publish(output, { value: 'out-4' });
    await tx.sendOffsets({ groupId, offsets: [{ topic: input, partition: 0, offset: '4' }] });
    await tx.commit();
    expect(await committed()).toBe(4);
    expect(await readAll(output, {}, 1)).toEqual(['out-4']);

    // By a running member: the consumer's own metadata fences a member that lost its partitions.
    const c = collector();
    const consumer = cluster.service();
    const subscription = await consumer.subscribe({ groupId, topics: [input], autoCommit: false }, { eachMessage: c.eachMessage });
    await waitFor(() => c.received.length === 6, 60000, 'offsets 4-9');
    expect(c.received[0].offset).toBe(4);
    const memberTx = await service.transaction();
    await memberTx.sendOffsets({ subscription, offsets: [{ topic: input, partition: 0, offset: 10 }] });
    await memberTx.commit();
    expect(await committed()).toBe(10);
    await subscription.stop();
  });

  test('a fenced producer fails with a fatal error; the service still publishes outside transactions', async () => {
    const topic = await cluster.topic(admin, 'tx-fence', 1);
    const transactionalId = uniqueName('tid');
    const first = cluster.service({ transactionalId });
    const open = await first.transaction();
    await open.publish(topic, { value: 'zombie' });

    const second = cluster.service({ transactionalId });
    const next = await second.transaction();
    await next.publish(topic, { value: 'successor' });
    await next.commit();

    let error;
    try {
      await open.commit();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KafkaNativeError);
    expect(error.fatal).toBe(true);
    expect(open.open).toBe(false);
    const again = await expectKafkaError(first.transaction(), error.code);
    expect(again.fatal).toBe(true);
    const plain = await first.publish(topic, { value: 'plain' });
    expect(plain.offset).toBeGreaterThan(0);
    expect(await readAll(topic, {}, 2)).toEqual(['successor', 'plain']);
  });

  test('resetTransactions replaces a fenced producer, which then fences its successor', async () => {
    const topic = await cluster.topic(admin, 'tx-reset', 1);
    const transactionalId = uniqueName('tid');
    const first = cluster.service({ transactionalId });
    expect(await first.resetTransactions()).toBe(false);
    const open = await first.transaction();
    await open.publish(topic, { value: 'zombie' });
    await expectKafkaError(first.resetTransactions(), 'ERR__STATE');

    const second = cluster.service({ transactionalId });
    const next = await second.transaction();
    await next.publish(topic, { value: 'successor' });
    await next.commit();
    const fenced = await open.commit().then(
      () => null,
      (e) => e,
    );
    expect(fenced && fenced.fatal).toBe(true);

    expect(await first.resetTransactions()).toBe(true);
    const again = await first.transaction();
    await again.publish(topic, { value: 'reset' });
    await again.commit();
    // The successor's message is purged (ERR__PURGE_QUEUE) and its commit fails fatally.
    const late = await second.transaction();
    await late.publish(topic, { value: 'fenced successor' }).catch(() => {});
    const refused = await late.commit().then(
      () => null,
      (e) => e,
    );
    expect(refused && refused.fatal).toBe(true);
    expect(await readAll(topic, {}, 2)).toEqual(['successor', 'reset']);
    await expectKafkaError(cluster.service().resetTransactions(), 'ERR_INVALID_CONFIG');
  });

  test('misuse is typed', async () => {
    const topic = await cluster.topic(admin, 'tx-misuse', 1);
    await expectKafkaError(cluster.service().transaction(), 'ERR_INVALID_CONFIG');
    const service = cluster.service({ transactionalId: uniqueName('tid') });
    const tx = await service.transaction();
    await expectKafkaError(service.transaction(), 'ERR__STATE');
    await expectKafkaError(tx.sendOffsets({ offsets: [] }), 'ERR_INVALID_ARG');
    await expectKafkaError(tx.sendOffsets({ groupId: 'g', offsets: [{ topic, partition: 0, offset: -1 }] }), 'ERR_INVALID_ARG');
    await tx.commit();
    await expectKafkaError(tx.publish(topic, { value: 'late' }), 'ERR__STATE');
    await expectKafkaError(tx.commit(), 'ERR__STATE');
    await service.disconnect();
    await expectKafkaError(service.transaction(), 'ERR_DISCONNECTED');
  });
});
