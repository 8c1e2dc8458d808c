'use strict';

// What NestJS's Transport.KAFKA needs of the kafkajs facade, checked against kafkajs itself where
// kafkajs computes something (partitions): custom and legacy partitioners, custom assigners,
// run() without subscribe(), run() resolving after the first assignment with GROUP_JOIN (and
// REBALANCING when a second member joins) and its start positions (a message published right
// after it is consumed), topic auto-creation, numeric protocol codes, and the admin calls that
// move, trim and delete (setOffsets, deleteTopicRecords, deleteGroups).

const fc = require('fast-check');
const realKafkajs = require('kafkajs');
const { describeOn, facade, waitFor } = require('./cluster');

module.exports = function facadeParity(cluster) {
  describeOn(cluster, `kafkajs facade parity for NestJS (${cluster.real ? 'Apache Kafka' : 'mock cluster'})`, () => {
    const clients = [];
    const kafka = (config = {}) => {
      const { Kafka, logLevel } = facade();
      return new Kafka({ clientId: 'parity', brokers: cluster.brokers, logLevel: logLevel.NOTHING, ...config });
    };
    const track = (c) => (clients.push(c), c);
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.disconnect().catch(() => {})));
    });

    test("LegacyPartitioner picks kafkajs' own partition for every key", () => {
      const { Partitioners } = facade();
      const ours = Partitioners.LegacyPartitioner();
      const theirs = realKafkajs.Partitioners.LegacyPartitioner();
      const defaultOurs = Partitioners.DefaultPartitioner();
      const defaultTheirs = realKafkajs.Partitioners.DefaultPartitioner();
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))), fc.integer({ min: 1, max: 64 }), (key, count) => {
          const partitionMetadata = Array.from({ length: count }, (_, i) => ({ partitionId: i, leader: 1 }));
          const args = { topic: 't', partitionMetadata, message: { key } };
          expect(ours(args)).toBe(theirs(args));
          expect(defaultOurs(args)).toBe(defaultTheirs(args));
        }),
        { numRuns: 2000 },
      );
    });

    test('a producer with LegacyPartitioner lands keys where kafkajs would, and runs a custom partitioner', async () => {
      const { Partitioners } = facade();
      const topic = await cluster.topic('legacy', 7);
      const keys = Array.from({ length: 40 }, (_, i) => `element-${i}`);
      const producer = track(kafka().producer({ createPartitioner: Partitioners.LegacyPartitioner }));
      await producer.connect();
      const sent = await Promise.all(keys.map((key) => producer.send({ topic, messages: [{ key, value: key }] })));
      const expected = realKafkajs.Partitioners.LegacyPartitioner();
      const metadata = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 1 }));
      keys.forEach((key, i) => expect(sent[i][0].partition).toBe(expected({ topic, partitionMetadata: metadata, message: { key } })));

      const seen = [];
      const custom = track(
        kafka().producer({
          createPartitioner: () => ({ topic: t, partitionMetadata, message }) => {
            seen.push({ t, count: partitionMetadata.length, ids: partitionMetadata.map((p) => p.partitionId) });
            return Number(message.value.toString()) % partitionMetadata.length;
          },
        }),
      );
      await custom.connect();
      const [result] = await custom.send({ topic, messages: [{ value: '12' }] });
      expect(result.partition).toBe(5);
      expect(seen).toEqual([{ t: topic, count: 7, ids: [0, 1, 2, 3, 4, 5, 6] }]);
    });

    test('run() resolves after the first assignment, GROUP_JOIN carries it, a second member brings REBALANCING', async () => {
      const { PartitionAssigners } = facade();
      const topic = await cluster.topic('join', 4);
      const groupId = `join-${Date.now()}`;
      // NestJS's ClientKafka passes its reply-partition assigner, a kafkajs assigner factory.
      const nestAssigner = (config) => ({ name: 'NestReplyPartitionAssigner', version: 1, assign: async () => [], protocol: () => ({}), config });
      const first = track(kafka().consumer({ groupId, partitionAssigners: [nestAssigner] }));
      const joins = [];
      const rebalances = [];
      first.on(first.events.GROUP_JOIN, (e) => joins.push(e));
      first.on(first.events.REBALANCING, (e) => rebalances.push(e));
      await first.connect();
      await first.subscribe({ topic });
      await first.run({ eachMessage: async () => {} });
      expect(joins).toHaveLength(1);
      expect(joins[0].type).toBe('consumer.group_join');
      expect(joins[0].payload).toMatchObject({ groupId, memberAssignment: { [topic]: [0, 1, 2, 3] }, duration: expect.any(Number) });
      // librdkafka's member ids start with the client id; the mock cluster cannot describe groups.
      expect(joins[0].payload.memberId).toMatch(cluster.real ? /^parity-/ : /^$/);
      // The only member leads its group; librdkafka reports no leader otherwise.
      expect(joins[0].payload).toMatchObject(cluster.real ? { leaderId: joins[0].payload.memberId, isLeader: true } : { leaderId: '', isLeader: false });

      const second = track(kafka().consumer({ groupId, partitionAssigners: [PartitionAssigners.roundRobin, nestAssigner] }));
      await second.connect();
      await second.subscribe({ topic });
      await second.run({ eachMessage: async () => {} });
      await waitFor(() => joins.length >= 2, 60000, 'the first member to join again');
      expect(rebalances.length).toBeGreaterThanOrEqual(1);
      expect(rebalances[0].payload).toMatchObject({ groupId });
      const mine = joins[joins.length - 1].payload.memberAssignment[topic];
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine.length).toBeLessThan(4);
    });

    test('a message published right after run() resolves reaches a fresh group starting at the latest offset, every time', async () => {
      const topic = await cluster.topic('fresh', 3);
      const producer = track(kafka().producer());
      await producer.connect();
      // Earlier messages, so that "latest" is not the start of the log.
      await producer.send({ topic, messages: [0, 1, 2].map((partition) => ({ partition, value: 'earlier' })) });
      const rounds = 2;
      const perRound = 8;
      for (let round = 0; round < rounds; round++) {
        await Promise.all(
          Array.from({ length: perRound }, async (_, i) => {
            const mark = `r${round}-c${i}`;
            // A rejoin right after the first JoinGroup (librdkafka saw the topic's metadata
            // meanwhile) makes the mock cluster wait out the session timeout less a second.
            const consumer = kafka().consumer({ groupId: `fresh-${mark}-${Date.now()}`, sessionTimeout: 10000 });
            const seen = [];
            await consumer.connect();
            try {
              await consumer.subscribe({ topic });
              await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value.toString()) });
              await producer.send({ topic, messages: [{ partition: i % 3, value: mark }] });
              await waitFor(() => seen.includes(mark), 60000, `${mark} at its fresh group`);
              expect(seen).not.toContain('earlier');
            } finally {
              await consumer.disconnect();
            }
          }),
        );
      }
    });

    test('run() without subscribe() resolves (an emit-only NestJS client)', async () => {
      const consumer = track(kafka().consumer({ groupId: `empty-${Date.now()}` }));
      await consumer.connect();
      await expect(consumer.run({ eachMessage: async () => {} })).resolves.toBeUndefined();
      await consumer.disconnect();
    });

    test('protocol errors carry kafkajs numeric code and type', async () => {
      const { KafkaJSProtocolError } = facade();
      const admin = track(kafka().admin());
      await admin.connect();
      const error = await admin.fetchTopicMetadata({ topics: ['does-not-exist-' + Date.now()] }).catch((e) => e);
      expect(error).toBeInstanceOf(KafkaJSProtocolError);
      expect(error.code).toBe(3);
      expect(error.type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    });

    if (cluster.real) {
      test('admin createPartitions, describeConfigs and alterConfigs in kafkajs shapes', async () => {
        const { ConfigResourceTypes } = facade();
        const topic = await cluster.topic('configs', 1);
        const admin = track(kafka().admin());
        await admin.connect();
        await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })).resolves.toBe(true);
        await waitFor(async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length === 3, 30000, 'three partitions');
        await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
        const describe = () => admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] });
        // The broker applies an altered config shortly after answering the alter.
        const described = await waitFor(async () => {
          const d = await describe();
          return d.resources[0].configEntries[0]?.configValue === '3600000' && d;
        }, 30000, 'the altered retention.ms');
        expect(described.resources).toEqual([
          expect.objectContaining({
            errorCode: 0,
            resourceName: topic,
            resourceType: 2,
            configEntries: [expect.objectContaining({ configName: 'retention.ms', configValue: '3600000', isDefault: false, configSource: 1 })],
          }),
        ]);
      });

      // Real broker only: three members joining one by one take minutes of the mock's rebalances.
      test("NestJS's own reply-partition assigner: not run, every member still gets a partition of its own", async () => {
        require('reflect-metadata');
        const { KafkaReplyPartitionAssigner } = require('@nestjs/microservices/helpers/kafka-reply-partition-assigner');
        const topic = await cluster.topic('replies', 4);
        const groupId = `replies-${Date.now()}`;
        const calls = [];
        const latest = new Map();
        for (let i = 0; i < 3; i++) {
          const assigner = (config) => {
            // NestJS's assigner as ClientKafka creates it, its calls recorded.
            const nest = new KafkaReplyPartitionAssigner({ getConsumerAssignments: () => ({}) }, config);
            return { name: nest.name, version: nest.version, assign: (group) => (calls.push('assign'), nest.assign(group)), protocol: (s) => (calls.push('protocol'), nest.protocol(s)) };
          };
          const member = track(kafka().consumer({ groupId, partitionAssigners: [assigner] }));
          member.on(member.events.GROUP_JOIN, (e) => latest.set(i, e.payload.memberAssignment[topic] ?? []));
          await member.connect();
          await member.subscribe({ topic });
          await member.run({ eachMessage: async () => {} });
          // librdkafka's range assignor: each member its own partitions, all of them assigned.
          await waitFor(() => {
            const lists = Array.from({ length: i + 1 }, (_, k) => latest.get(k) ?? []);
            return lists.every((l) => l.length >= 1) && lists.flat().sort().join() === '0,1,2,3';
          }, 60000, `${i + 1} members sharing the 4 partitions`);
        }
        expect(calls).toEqual([]);
      });

      test('admin setOffsets, deleteTopicRecords and deleteGroups in kafkajs shapes', async () => {
        const { KafkaJSProtocolError } = facade();
        const topic = await cluster.topic('maintain', 2);
        const groupId = `maintain-${Date.now()}`;
        const admin = track(kafka().admin());
        await admin.connect();
        const producer = track(kafka().producer());
        await producer.connect();
        await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: String(i) })) });

        await admin.setOffsets({ groupId, topic, partitions: [{ partition: 1, offset: '2' }] });
        expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
          { topic, partitions: [{ partition: 0, offset: '-1', metadata: null }, { partition: 1, offset: '2', metadata: null }] },
        ]);
        const consumer = track(kafka().consumer({ groupId }));
        const seen = [];
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push(`${partition}:${message.offset}`) });
        await waitFor(() => seen.length >= 4, 60000, 'partition 0 and partition 1 from offset 2');
        expect(seen.filter((s) => s.startsWith('1:'))).toEqual(['1:2']);
        const running = await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }).catch((e) => e);
        expect(running).toBeInstanceOf(KafkaJSProtocolError);
        expect(running.type).toBe('NON_EMPTY_GROUP');
        await consumer.disconnect();

        await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '-1' }] });
        const offsets = await admin.fetchTopicOffsets(topic);
        expect(offsets.map(({ partition, low, high }) => ({ partition, low, high }))).toEqual([
          { partition: 0, low: '2', high: '3' },
          { partition: 1, low: '3', high: '3' },
        ]);

        await waitFor(async () => (await admin.describeGroups([groupId])).groups[0].members.length === 0, 30000, 'the member to leave');
        await expect(admin.deleteGroups([groupId])).resolves.toEqual([{ groupId, errorCode: 0 }]);
        expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
        const missing = await admin.deleteGroups([groupId]).catch((e) => e);
        expect(missing.type).toBe('GROUP_ID_NOT_FOUND');
      });

      test('a producer auto-creates a topic for a custom partitioner, as kafkajs does by default', async () => {
        const { Partitioners } = facade();
        const topic = `auto-${Date.now()}`;
        const producer = track(kafka().producer({ createPartitioner: Partitioners.LegacyPartitioner }));
        await producer.connect();
        const [result] = await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
        expect(result.topicName).toBe(topic);
      });
    }
  });
};
