'use strict';

// Every KafkaAdmin call round-tripped on the real single-node broker: topics, configs,
// partitions, the cluster, consumer groups, offsets, lag, resets, lookups by time, health, and
// the errors each one reports.

const { KafkaAdmin, KafkaService } = require('../../index.js');
const { BROKERS, describeOn, uniqueName, waitFor, expectKafkaError, useCluster, collector } = require('./support');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(120000);

describeOn(BROKERS, 'KafkaAdmin on a single broker', () => {
  const cluster = useCluster(BROKERS);
  let admin;
  beforeAll(() => {
    admin = cluster.admin();
  });

  describe('topics', () => {
    test('create, list, describe, describe and alter configs, add partitions, delete', async () => {
      const topic = uniqueName('admin-topic');
      const created = await admin.createTopics([
        {
          name: topic,
          partitions: 2,
          replicationFactor: 1,
          retentionMs: 3600000,
          cleanupPolicy: 'delete',
          compressionType: 'lz4',
          minInsyncReplicas: 1,
          configs: { 'segment.ms': '600000' },
        },
      ]);
      expect(created).toEqual([topic]);
      await expectKafkaError(admin.createTopics([{ name: topic, partitions: 1 }]), 'ERR_TOPIC_ALREADY_EXISTS', topic);

      expect(await admin.listTopics()).toContain(topic);
      expect((await admin.listTopics()).every((t) => !t.startsWith('__'))).toBe(true);

      const [described] = await admin.describeTopics([topic]);
      expect(described.name).toBe(topic);
      expect(described.replicationFactor).toBe(1);
      expect(described.partitions.map((p) => p.partition)).toEqual([0, 1]);
      for (const p of described.partitions) {
        expect(p.replicas).toHaveLength(1);
        expect(p.leader).toBe(p.replicas[0]);
        expect(p.isr).toEqual(p.replicas);
        expect(p.underReplicated).toBe(false);
        expect(p.offline).toBe(false);
      }
      expect((await admin.describeTopics()).map((t) => t.name)).toContain(topic);

      const [configs] = await admin.describeConfigs([topic]);
      expect(configs.topic).toBe(topic);
      expect(configs.values).toMatchObject({
        'retention.ms': '3600000',
        'cleanup.policy': 'delete',
        'compression.type': 'lz4',
        'min.insync.replicas': '1',
        'segment.ms': '600000',
      });
      const retention = configs.entries.find((e) => e.name === 'retention.ms');
      expect(retention).toMatchObject({ source: 'topic', isDefault: false, readOnly: false, sensitive: false });
      expect(configs.entries.find((e) => e.name === 'segment.bytes').isDefault).toBe(true);

      // Incremental: only the named configs change; null reverts to the default.
      // The controller accepts the change before every broker has applied it, so a describe right after may
      // still show the old value: wait for it (Kafka's own tests do the same).
      await admin.alterConfigs(topic, { 'retention.ms': '7200000', 'segment.ms': null });
      const [altered] = await waitFor(async () => {
        const described = await admin.describeConfigs([topic]);
        return described[0].values['retention.ms'] === '7200000' ? described : null;
      }, 30000, 'retention.ms to become 7200000');
      expect(altered.values['retention.ms']).toBe('7200000');
      expect(altered.values['compression.type']).toBe('lz4');
      expect(altered.entries.find((e) => e.name === 'segment.ms').source).not.toBe('topic');
      await expectKafkaError(admin.alterConfigs(topic, { 'retention.ms': 'next week' }), 'ERR_INVALID_CONFIG', topic);

      await admin.createPartitions([{ topic, count: 4 }]);
      await waitFor(async () => (await admin.describeTopics([topic]))[0].partitions.length === 4, 30000, '4 partitions');
      await expectKafkaError(admin.createPartitions([{ topic, count: 2 }]), 'ERR_INVALID_PARTITIONS', topic);

      await admin.deleteTopics([topic]);
      await waitFor(async () => !(await admin.listTopics()).includes(topic), 30000, 'the topic to be gone');
      await expectKafkaError(admin.describeTopics([topic]), 'ERR_UNKNOWN_TOPIC_OR_PART', topic);
    });

    test('missing topics and impossible specs are refused with the broker codes', async () => {
      const missing = uniqueName('missing');
      await expectKafkaError(admin.deleteTopics([missing]), 'ERR_UNKNOWN_TOPIC_OR_PART', missing);
      await expectKafkaError(admin.describeConfigs([missing]), 'ERR_UNKNOWN_TOPIC_OR_PART', missing);
      await expectKafkaError(admin.alterConfigs(missing, { 'retention.ms': '1000' }), 'ERR_UNKNOWN_TOPIC_OR_PART', missing);
      await expectKafkaError(admin.offsetsForTimes(missing, 0), 'ERR_UNKNOWN_TOPIC_OR_PART', missing);
      const tooReplicated = uniqueName('three-replicas');
      await expectKafkaError(
        admin.createTopics([{ name: tooReplicated, partitions: 1, replicationFactor: 3 }]),
        'ERR_INVALID_REPLICATION_FACTOR',
        tooReplicated,
      );
      expect(await admin.listTopics()).not.toContain(tooReplicated);
    });

    test('bad arguments reject with ERR_INVALID_ARG before any request', async () => {
      await expectKafkaError(admin.createTopics('orders'), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.createTopics([{ name: 'x', partitions: 0 }]), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.createTopics([{ name: 'x', replicationFactor: 1, minInsyncReplicas: 2 }]), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.createTopics([{ name: 'x', compressionType: 'brotli' }]), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.createTopics([{ name: 'bad name' }]), 'ERR_TOPIC_EXCEPTION');
      await expectKafkaError(admin.describeTopics('orders'), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.alterConfigs('orders', ['retention.ms']), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.describeGroup(''), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.resetOffsets('g', { topics: ['t'], to: 'yesterday' }), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.resetOffsets('g', { topics: ['t'], to: 'timestamp' }), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.offsetsForTimes('t', -5), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.listTopics({ timeoutMs: 0 }), 'ERR_INVALID_ARG');
    });
  });

  test('describeCluster and health describe the one broker', async () => {
    const described = await admin.describeCluster();
    expect(described.brokers).toHaveLength(1);
    const [broker] = described.brokers;
    expect(`${broker.host}:${broker.port}`).toBe(BROKERS);
    expect(typeof described.clusterId).toBe('string');
    expect(described.controller).toBe(broker.id);

    const health = await admin.health({ timeoutMs: 10000 });
    expect(health).toMatchObject({
      healthy: true,
      clusterId: described.clusterId,
      controller: broker.id,
      brokers: [{ id: broker.id, host: broker.host, port: broker.port, up: true }],
      topics: { underReplicated: [], offline: [] },
    });
    expect(health.latencyMs).toBeGreaterThan(0);
    expect(health.error).toBeUndefined();
  });

  test('KafkaService.health and KafkaService.admin use the service configuration', async () => {
    const service = cluster.service();
    const health = await service.health();
    expect(health.healthy).toBe(true);
    expect(health.brokers.map((b) => b.up)).toEqual([true]);
    const fromService = service.admin();
    expect(fromService).toBeInstanceOf(KafkaAdmin);
    try {
      expect((await fromService.describeCluster()).clusterId).toBe(health.clusterId);
    } finally {
      await fromService.disconnect();
    }
  });

  test('an unreachable cluster: health resolves unhealthy, other calls time out', async () => {
    const nowhere = new KafkaAdmin({ brokers: '127.0.0.1:1', logLevel: 'error' });
    try {
      const health = await nowhere.health({ timeoutMs: 1500 });
      expect(health).toMatchObject({
        healthy: false,
        brokers: [{ id: -1, host: '127.0.0.1', port: 1, up: false }],
        error: { code: 'ERR__TIMED_OUT', retriable: true },
      });
      expect(health.latencyMs).toBeUndefined();
      const e = await expectKafkaError(nowhere.listTopics({ timeoutMs: 1000 }), 'ERR__TIMED_OUT');
      expect(e.retriable).toBe(true);
    } finally {
      await nowhere.disconnect();
    }
    const service = new KafkaService({ brokers: '127.0.0.1:1', logLevel: 'error' });
    expect((await service.health({ timeoutMs: 1000 })).healthy).toBe(false);
    await service.disconnect();
    await expectKafkaError(service.health(), 'ERR_DISCONNECTED');
    expect(() => service.admin()).toThrow(expect.objectContaining({ code: 'ERR_DISCONNECTED' }));
  });

  test('disconnect is idempotent and later calls reject with ERR_DISCONNECTED', async () => {
    const short = new KafkaAdmin({ brokers: BROKERS, logLevel: 'error' });
    await short.disconnect();
    await short.disconnect();
    await expectKafkaError(short.listTopics(), 'ERR_DISCONNECTED');
    await expectKafkaError(short.health(), 'ERR_DISCONNECTED');
  });

  describe('groups and offsets', () => {
    test('groups, committed offsets, lag, resets and lookups by time round-trip', async () => {
      const service = cluster.service();
      const topic = await cluster.topic(admin, 'admin-groups', 3);
      const groupId = uniqueName('admin-group');
      const now = Date.now();
      const old = now - 10 * 60 * 1000;
      const records = [];
      for (let i = 0; i < 30; i++) {
        records.push({ topic, key: `key-${i % 6}`, value: String(i), timestamp: i < 15 ? old : now });
      }
      const results = await service.publishBatch(records);
      expect(results.every((r) => r.error === undefined)).toBe(true);
      const highs = [0, 0, 0];
      results.forEach((r) => (highs[r.partition] = Math.max(highs[r.partition], r.offset + 1)));

      // Lookups by time: the first message at or after the time, else the end.
      const fromNow = await admin.offsetsForTimes(topic, now);
      expect(fromNow.map((o) => o.partition)).toEqual([0, 1, 2]);
      expect(fromNow.reduce((n, o) => n + (highs[o.partition] - o.offset), 0)).toBe(15);
      expect((await admin.offsetsForTimes(topic, 0)).map((o) => o.offset)).toEqual([0, 0, 0]);
      expect((await admin.offsetsForTimes(topic, new Date(now + 3600000))).map((o) => o.offset)).toEqual(highs);

      // No commits yet: everything retained is lag.
      expect(await admin.groupOffsets(groupId)).toEqual([]);
      const before = await admin.lag(groupId, { topics: [topic] });
      expect(before.total).toBe(30);
      expect(before.partitions.every((p) => p.committed === -1 && p.lag === p.high - p.low)).toBe(true);

      const c = collector();
      const subscription = await service.subscribe({ groupId, topics: [topic], fromBeginning: true }, { eachMessage: c.eachMessage });
      await waitFor(() => c.received.length >= 30, 60000, '30 messages');

      const group = await waitFor(async () => {
        const g = await admin.describeGroup(groupId);
        return g.state === 'Stable' && g.members.length === 1 && g.members[0].assignment.length === 1 && g;
      }, 30000, 'a stable group with one assigned member');
      expect(group).toMatchObject({ groupId, protocolType: 'consumer' });
      expect(group.members[0].assignment).toEqual([{ topic, partitions: [0, 1, 2] }]);
      expect(typeof group.members[0].memberId).toBe('string');
      expect(await admin.listGroups()).toContainEqual({ groupId, protocolType: 'consumer', state: 'Stable' });
      await expectKafkaError(admin.resetOffsets(groupId, { topics: [topic], to: 'earliest' }), 'ERR_NON_EMPTY_GROUP');

      await subscription.stop();
      await waitFor(async () => (await admin.describeGroup(groupId)).members.length === 0, 30000, 'the member to leave');
      const committed = await admin.groupOffsets(groupId);
      expect(committed).toEqual(highs.map((offset, partition) => ({ topic, partition, offset })));
      const caughtUp = await admin.lag(groupId);
      expect(caughtUp.total).toBe(0);
      expect(caughtUp.partitions.map((p) => p.high)).toEqual(highs);

      const earliest = await admin.resetOffsets(groupId, { topics: [topic], to: 'earliest' });
      expect(earliest.map((o) => o.offset)).toEqual([0, 0, 0]);
      expect((await admin.lag(groupId)).total).toBe(30);

      const fromTime = await admin.resetOffsets(groupId, { topics: [topic], to: 'timestamp', timestamp: new Date(now) });
      expect(fromTime).toEqual(fromNow);
      expect((await admin.groupOffsets(groupId, { topics: [topic] })).map((o) => o.offset)).toEqual(fromNow.map((o) => o.offset));
      expect((await admin.lag(groupId)).total).toBe(15);

      await admin.resetOffsets(groupId, { topics: [topic], to: 'latest' });
      expect((await admin.lag(groupId)).total).toBe(0);

      // A new member starts where the reset put the group.
      await admin.resetOffsets(groupId, { topics: [topic], to: 'timestamp', timestamp: now });
      const replay = collector();
      const again = await service.subscribe({ groupId, topics: [topic] }, { eachMessage: replay.eachMessage });
      await waitFor(() => replay.received.length >= 15, 60000, 'the 15 messages after the reset point');
      await again.stop();
      expect(replay.received.map((m) => Number(m.value)).sort((a, b) => a - b)).toEqual([...Array(15).keys()].map((i) => i + 15));
    });
  });
});
