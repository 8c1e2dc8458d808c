'use strict';

// KafkaAdmin's calls that rewrite or remove what the cluster keeps for consumers, on the real
// single-node broker: setOffsets on a stopped group, deleteRecords below an offset (and all of
// them), deleteGroups, and the errors each reports.

const { BROKERS, describeOn, uniqueName, waitFor, expectKafkaError, useCluster, collector } = require('./support');

jest.setTimeout(120000);

describeOn(BROKERS, 'KafkaAdmin setOffsets, deleteRecords and deleteGroups', () => {
  const cluster = useCluster(BROKERS);
  let admin;
  beforeAll(() => {
    admin = cluster.admin();
  });

  test('bad arguments reject with ERR_INVALID_ARG before any request', async () => {
    await expectKafkaError(admin.setOffsets('g', 'orders'), 'ERR_INVALID_ARG');
    await expectKafkaError(admin.setOffsets('g', []), 'ERR_INVALID_ARG');
    await expectKafkaError(admin.setOffsets('g', [{ topic: 't', partition: 0, offset: -1 }]), 'ERR_INVALID_ARG');
    await expectKafkaError(admin.setOffsets(7, [{ topic: 't', partition: 0, offset: 1 }]), 'ERR_INVALID_ARG');
    await expectKafkaError(admin.deleteRecords([{ topic: 't', partition: -1, offset: 0 }]), 'ERR_INVALID_ARG');
    await expectKafkaError(admin.deleteRecords([{ topic: 't', partition: 0, offset: -2 }]), 'ERR_INVALID_ARG');
    await expectKafkaError(admin.deleteRecords({ topic: 't' }), 'ERR_INVALID_ARG');
    await expectKafkaError(admin.deleteGroups(['']), 'ERR_INVALID_ARG');
    await expectKafkaError(admin.deleteGroups('g'), 'ERR_INVALID_ARG');
    await expect(admin.deleteGroups([])).resolves.toBeUndefined();
    await expect(admin.deleteRecords([])).resolves.toEqual([]);
  });

  test('setOffsets moves a stopped group, deleteRecords drops the oldest records, deleteGroups removes the group', async () => {
    const service = cluster.service();
    const topic = await cluster.topic(admin, 'maintain', 2);
    const groupId = uniqueName('maintain-group');
    const results = await service.publishBatch(Array.from({ length: 10 }, (_, i) => ({ topic, partition: i % 2, value: String(i) })));
    expect(results.every((r) => r.error === undefined)).toBe(true);

    // A group that never ran: setOffsets commits exactly what it is given.
    expect(await admin.setOffsets(groupId, [{ topic, partition: 0, offset: 3 }])).toEqual([{ topic, partition: 0, offset: 3 }]);
    expect(await admin.groupOffsets(groupId, { topics: [topic] })).toEqual([
      { topic, partition: 0, offset: 3 },
      { topic, partition: 1, offset: -1 },
    ]);
    await expectKafkaError(admin.setOffsets(groupId, [{ topic, partition: 9, offset: 0 }]), 'ERR_UNKNOWN_TOPIC_OR_PART', topic);

    // A member starts where setOffsets put the group; while it runs, the group cannot be moved or deleted.
    const c = collector();
    const subscription = await service.subscribe({ groupId, topics: [topic], fromBeginning: true }, { eachMessage: c.eachMessage });
    await waitFor(() => c.received.length >= 7, 60000, 'partition 0 from offset 3 and all of partition 1');
    expect(c.received.filter((m) => m.partition === 0).map((m) => m.offset)).toEqual([3, 4]);
    await waitFor(async () => (await admin.describeGroup(groupId)).members.length === 1, 30000, 'the member to show');
    await expectKafkaError(admin.setOffsets(groupId, [{ topic, partition: 0, offset: 0 }]), 'ERR_NON_EMPTY_GROUP');
    await expectKafkaError(admin.deleteGroups([groupId]), 'ERR_NON_EMPTY_GROUP');
    await subscription.stop();
    await waitFor(async () => (await admin.describeGroup(groupId)).members.length === 0, 30000, 'the member to leave');

    // Records below offset 2 of partition 0, and all of partition 1.
    const low = await admin.deleteRecords([
      { topic, partition: 0, offset: 2 },
      { topic, partition: 1, offset: -1 },
    ]);
    expect(low).toEqual([
      { topic, partition: 0, offset: 2 },
      { topic, partition: 1, offset: 5 },
    ]);
    expect((await admin.lag(groupId, { topics: [topic] })).partitions.map((p) => p.low)).toEqual([2, 5]);
    await expectKafkaError(admin.deleteRecords([{ topic, partition: 0, offset: 99 }]), 'ERR_OFFSET_OUT_OF_RANGE', topic);

    await admin.deleteGroups([groupId]);
    expect((await admin.listGroups()).map((g) => g.groupId)).not.toContain(groupId);
    expect(await admin.groupOffsets(groupId, { topics: [topic] })).toEqual([
      { topic, partition: 0, offset: -1 },
      { topic, partition: 1, offset: -1 },
    ]);
    await expectKafkaError(admin.deleteGroups([groupId]), 'ERR_GROUP_ID_NOT_FOUND');
  });
});
