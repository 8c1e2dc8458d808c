// Where the suites' Kafka is: the broker in KAFKA_BROKERS when it is set, otherwise an embedded
// MockCluster started for the file. Either way the seeds' topics exist before the app starts.

import { MockCluster } from '@cosmic-horizons/kafka-native';
import { Kafka, KafkaJSNotImplemented, logLevel } from '@cosmic-horizons/kafka-native/kafkajs';
import { KAFKA_TOPICS } from '../src/app/modules/events/kafka/topics';

export const DEAD_LETTER_TOPIC = 'events.dlq';

export interface TestKafka {
  /** Set once `beforeAll` ran. */
  brokers: string;
  /** The embedded cluster, when not on an external broker. */
  mock?: MockCluster;
  external: boolean;
}

export function useTestKafka(): TestKafka {
  const external = process.env.KAFKA_BROKERS;
  const state: TestKafka = { brokers: external ?? '', external: Boolean(external) };
  beforeAll(async () => {
    const topics = [...Object.values(KAFKA_TOPICS).map((t) => ({ name: t.name, partitions: t.partitions })), { name: DEAD_LETTER_TOPIC, partitions: 1 }];
    if (external) {
      await ensureTopics(external, topics);
      return;
    }
    state.mock = MockCluster.start({ brokers: 3 });
    for (const t of topics) state.mock.createTopic(t.name, t.partitions, 1);
    state.brokers = state.mock.bootstrapServers;
    process.env.KAFKA_BROKERS = state.brokers;
  });
  afterAll(() => {
    if (!external) {
      delete process.env.KAFKA_BROKERS;
      state.mock?.close();
    }
  });
  return state;
}

/** Creates missing topics through the admin API; on a build without it, lets the broker auto-create them. */
async function ensureTopics(brokers: string, topics: Array<{ name: string; partitions: number }>): Promise<void> {
  const kafka = new Kafka({ clientId: 'test-setup', brokers: brokers.split(','), logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    const missing = topics.filter((t) => !existing.includes(t.name));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })), timeout: 10000 });
    }
  } catch (e) {
    if (!(e instanceof KafkaJSNotImplemented)) throw e;
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.sendBatch({ topicMessages: topics.map((t) => ({ topic: t.name, messages: [{ key: 'warm-up', value: '{"event_type":"warm-up"}' }] })) });
    await producer.disconnect();
  } finally {
    await admin.disconnect();
  }
}

export async function waitFor<T>(condition: () => T | Promise<T>, timeoutMs = 30000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
