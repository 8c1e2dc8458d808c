'use strict';

// The kafkajs facade's admin client. The mapping onto the engine's KafkaAdmin is tested against
// a stand-in that answers in the generated types' shapes (index.d.ts), without a broker, and end
// to end on the mock cluster.

const { kafkajs, useKafkajs, uniqueName, waitFor } = require('./helpers');

const cluster = useKafkajs();

/** An admin client over a stand-in engine service whose `admin()` returns `native`. */
async function adminOver(native, calls) {
  const { Admin } = kafkajs();
  const log = { logger: () => ({}), emit: () => {} };
  const service = {
    connect: async () => ({ brokers: [{ id: 1, host: 'h', port: 1 }], topics: ['x'] }),
    disconnect: async () => {},
    admin: () => native,
  };
  const record = (name) => (...args) => {
    calls.push([name, ...args]);
    return native[`_${name}`](...args);
  };
  for (const k of Object.keys(native)) if (k.startsWith('_')) native[k.slice(1)] = record(k.slice(1));
  const admin = new Admin({ log, service: async () => service });
  await admin.connect();
  return admin;
}

test('createTopics maps kafkajs specs and reports an existing topic as false', async () => {
  const calls = [];
  const native = {
    _createTopics: async (specs) => {
      const existing = specs.find((s) => s.name === 'exists');
      if (existing) throw Object.assign(new Error('exists'), { name: 'KafkaNativeError', code: 'ERR_TOPIC_ALREADY_EXISTS', retriable: false, fatal: false, topic: existing.name });
      return specs.map((s) => s.name);
    },
  };
  const admin = await adminOver(native, calls);
  const created = await admin.createTopics({
    timeout: 5000,
    topics: [
      {
        topic: 'job-lifecycle',
        numPartitions: 3,
        replicationFactor: 3,
        configEntries: [
          { name: 'retention.ms', value: '2592000000' },
          { name: 'min.insync.replicas', value: '2' },
        ],
      },
      { topic: 'defaults' },
    ],
  });
  expect(created).toBe(true);
  expect(calls[0]).toEqual([
    'createTopics',
    [
      { name: 'job-lifecycle', partitions: 3, replicationFactor: 3, configs: { 'retention.ms': '2592000000', 'min.insync.replicas': '2' } },
      { name: 'defaults' },
    ],
    { timeoutMs: 5000 },
  ]);
  expect(await admin.createTopics({ topics: [{ topic: 'exists' }] })).toBe(false);
  native._createTopics = async () => {
    throw Object.assign(new Error('policy'), { name: 'KafkaNativeError', code: 'ERR_POLICY_VIOLATION', retriable: false, fatal: false });
  };
  await expect(admin.createTopics({ topics: [{ topic: 'x' }] })).rejects.toMatchObject({ name: 'KafkaJSProtocolError', code: 44, type: 'POLICY_VIOLATION', engineCode: 'ERR_POLICY_VIOLATION' });
});

test('metadata, offsets, groups and cluster come back in kafkajs shapes', async () => {
  const { AssignerProtocol } = kafkajs();
  const calls = [];
  const admin = await adminOver(
    {
      _describeTopics: async () => [
        {
          name: 't',
          replicationFactor: 2,
          partitions: [
            { partition: 0, leader: 1, replicas: [1, 2], isr: [1], underReplicated: true, offline: false },
            { partition: 1, leader: 2, replicas: [2, 1], isr: [2, 1], underReplicated: false, offline: false },
          ],
        },
      ],
      _lag: async (groupId, { topics }) => ({
        groupId,
        total: 17,
        partitions: [
          { topic: topics[0], partition: 1, committed: -1, low: 2, high: 7, lag: 7 },
          { topic: topics[0], partition: 0, committed: -1, low: 0, high: 10, lag: 10 },
        ],
      }),
      _groupOffsets: async () => [{ topic: 't', partition: 1, offset: 5 }, { topic: 't', partition: 0, offset: -1 }],
      _offsetsForTimes: async (topic) => [{ topic, partition: 0, offset: 4 }],
      _describeCluster: async () => ({ clusterId: 'abc', controller: 2, brokers: [{ id: 1, host: 'a', port: 9092 }] }),
      _listGroups: async () => [{ groupId: 'g', protocolType: 'consumer', state: 'Stable' }],
      _describeGroup: async (id) => ({
        groupId: id,
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'roundrobin',
        members: [{ memberId: 'm1', clientId: 'c', clientHost: '/127.0.0.1', assignment: [{ topic: 't', partitions: [1, 0] }] }],
      }),
    },
    calls,
  );
  expect(await admin.fetchTopicMetadata({ topics: ['t'] })).toEqual({
    topics: [
      {
        name: 't',
        partitions: [
          { partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1, 2], isr: [1], offlineReplicas: [] },
          { partitionErrorCode: 0, partitionId: 1, leader: 2, replicas: [2, 1], isr: [2, 1], offlineReplicas: [] },
        ],
      },
    ],
  });
  expect(await admin.fetchTopicOffsets('t')).toEqual([
    { partition: 0, offset: '10', high: '10', low: '0' },
    { partition: 1, offset: '7', high: '7', low: '2' },
  ]);
  expect(await admin.fetchOffsets({ groupId: 'g', topics: ['t'] })).toEqual([
    { topic: 't', partitions: [{ partition: 0, offset: '-1', metadata: null }, { partition: 1, offset: '5', metadata: null }] },
  ]);
  expect(await admin.fetchOffsets({ groupId: 'g', topic: 't' })).toHaveLength(2);
  expect(await admin.fetchTopicOffsetsByTimestamp('t', 1000)).toEqual([{ partition: 0, offset: '4' }]);
  expect(await admin.describeCluster()).toEqual({ clusterId: 'abc', controller: 2, brokers: [{ nodeId: 1, host: 'a', port: 9092 }] });
  expect(await admin.listGroups()).toEqual({ groups: [{ groupId: 'g', protocolType: 'consumer' }] });
  const { groups } = await admin.describeGroups(['g']);
  expect(groups[0]).toMatchObject({ groupId: 'g', state: 'Stable', protocol: 'roundrobin', protocolType: 'consumer' });
  expect(groups[0].members[0]).toMatchObject({ memberId: 'm1', clientId: 'c', clientHost: '/127.0.0.1' });
  expect(AssignerProtocol.MemberAssignment.decode(groups[0].members[0].memberAssignment).assignment).toEqual({ t: [0, 1] });
  expect(calls.find((c) => c[0] === 'groupOffsets')).toEqual(['groupOffsets', 'g', { topics: ['t'] }]);
  expect(calls.find((c) => c[0] === 'lag')).toEqual(['lag', 'kafka-native.kafkajs.watermarks', { topics: ['t'] }]);
});

test('on the engine admin API: listTopics, describeCluster, fetchTopicMetadata and fetchOffsets', async () => {
  const topic = cluster.topic('real-admin', 3);
  const kafka = cluster.kafka();
  const admin = cluster.track(kafka.admin());
  await admin.connect();
  expect(await admin.listTopics()).toContain(topic);
  const described = await admin.describeCluster();
  // Every broker of the cluster (the mock's three, or the brokers a real cluster bootstraps from).
  expect(described.brokers).toHaveLength(cluster.mock.bootstrapServers.split(',').length);
  expect(described.controller).not.toBeNull();
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  expect(topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);

  const producer = cluster.track(kafka.producer());
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'x', partition: 1 }] });
  const groupId = uniqueName('g');
  const consumer = cluster.track(kafka.consumer({ groupId }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await consumer.run({ eachMessage: async () => void (seen += 1) });
  await waitFor(() => seen === 1, 30000, 'the message');
  await consumer.stop();
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  expect(offsets.partitions.find((p) => p.partition === 1).offset).toBe('1');
  const watermarks = await admin.fetchTopicOffsets(topic);
  expect(watermarks.find((p) => p.partition === 1)).toMatchObject({ high: '1', low: '0' });
});

test('setOffsets, deleteTopicRecords and deleteGroups map onto the engine and check their arguments', async () => {
  const { KafkaJSNonRetriableError } = kafkajs();
  const calls = [];
  const native = {
    _setOffsets: async (_group, offsets) => offsets,
    _deleteRecords: async (offsets) => offsets,
    _deleteGroups: async () => undefined,
  };
  const admin = await adminOver(native, calls);
  await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '0' }] });
  await admin.deleteTopicRecords({ topic: 't', partitions: [{ partition: 2, offset: '-1' }] });
  await expect(admin.deleteGroups(['a', 'b'])).resolves.toEqual([{ groupId: 'a', errorCode: 0 }, { groupId: 'b', errorCode: 0 }]);
  expect(calls).toEqual([
    ['setOffsets', 'g', [{ topic: 't', partition: 0, offset: 5 }, { topic: 't', partition: 1, offset: 0 }]],
    ['deleteRecords', [{ topic: 't', partition: 2, offset: -1 }]],
    ['deleteGroups', ['a', 'b']],
  ]);
  for (const call of [
    () => admin.setOffsets({ groupId: '', topic: 't', partitions: [{ partition: 0, offset: '1' }] }),
    () => admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: '-1' }] }),
    () => admin.setOffsets({ groupId: 'g', topic: 't', partitions: [] }),
    () => admin.deleteTopicRecords({ topic: 't', partitions: [{ partition: 0, offset: '-2' }] }),
    () => admin.deleteTopicRecords({ topic: 't', partitions: [{ partition: 0, offset: 'x' }] }),
    () => admin.deleteTopicRecords({ partitions: [{ partition: 0, offset: '1' }] }),
    () => admin.deleteGroups('g'),
  ]) {
    const error = await call().catch((e) => e);
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
    expect(error.code).toBe('ERR_INVALID_ARG');
  }
  expect(calls).toHaveLength(3);
});
