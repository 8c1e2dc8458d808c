'use strict';

// examples/telemetry-producer: seeds 003/004's Transport.KAFKA producers with LegacyPartitioner,
// run once on real kafkajs and once with `kafkajs` resolved to the facade (what the example's
// package.json override does). Every key must land on the same partition both times.

const path = require('path');
const { describeOn, uniquePrefix, dist } = require('./cluster');

const example = path.resolve(__dirname, '../../examples/telemetry-producer/src');

/** The example's services, loaded with `kafkajs` as it is or resolved to the facade. */
function loadExample(viaFacade) {
  jest.resetModules();
  if (viaFacade) jest.doMock('kafkajs', () => require(path.join(dist, 'kafkajs')));
  else jest.dontMock('kafkajs');
  return { services: require(example), kafkajs: require('kafkajs') };
}

module.exports = function exampleSuite(cluster) {
  describeOn(cluster, `example telemetry-producer (${cluster.real ? 'Apache Kafka' : 'mock cluster'})`, () => {
    const config = (extra = {}) => {
      const values = { KAFKA_BROKERS: cluster.brokers.join(','), KAFKA_CLIENT_ID: 'realtime-service', ...extra };
      return { get: (k) => values[k] };
    };
    const elements = Array.from({ length: 24 }, (_, i) => `element-site${i % 3}-${i}`);
    const users = ['user1', 'user2', 'alice', 'bob', 'carol-with-a-longer-id'];

    async function run(viaFacade, topics) {
      const { services, kafkajs } = loadExample(viaFacade);
      const telemetry = new services.TelemetryService(config(), topics.raw);
      const notifications = new services.NotificationService(config(), { session: topics.session, concept: topics.concept });
      try {
        const partitions = {};
        for (const elementId of elements) {
          const [meta] = await telemetry.emitTelemetry({ elementId, siteId: 'site-1', timestamp: new Date().toISOString(), metrics: { vibration: 1 } });
          partitions[`raw/${elementId}`] = meta.partition;
        }
        const sent = await notifications.sendSessionStartSoonNotification({ sessionId: 's1', userIds: users, message: 'soon', scheduledTime: new Date() });
        sent.forEach(([meta], i) => (partitions[`session/${users[i]}`] = meta.partition));
        return { partitions, kafkajs };
      } finally {
        await telemetry.close();
        await notifications.close();
      }
    }

    test('keys land on the partitions kafkajs puts them on', async () => {
      const prefix = uniquePrefix('example');
      const topics = {
        raw: await cluster.topicNamed(`${prefix}.element.raw_data`, 6),
        session: await cluster.topicNamed(`${prefix}.session-notifications`, 5),
        concept: await cluster.topicNamed(`${prefix}.concept-notifications`, 5),
      };
      const underKafkajs = await run(false, topics);
      const underFacade = await run(true, topics);
      // Real kafkajs the first time, the facade (it has legacyPartitionForKey) the second.
      expect(underKafkajs.kafkajs.legacyPartitionForKey).toBeUndefined();
      expect(underFacade.kafkajs.legacyPartitionForKey).toEqual(expect.any(Function));
      expect(underFacade.partitions).toEqual(underKafkajs.partitions);
      // Legacy, not Java's murmur2: some key must differ from the default partitioner's choice.
      const { partitionForKey } = require(path.join(dist, 'kafkajs'));
      expect(elements.some((e) => partitionForKey(e, 6) !== underKafkajs.partitions[`raw/${e}`])).toBe(true);
    });
  });
};
