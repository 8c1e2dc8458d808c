// The partition metadata a JS partitioner needs (kafkajs' `cluster.findTopicPartitionMetadata`),
// read through the engine's admin API and kept for `metadataMaxAge`. A topic that does not exist
// is created with the broker's defaults when auto-creation is allowed, as kafkajs' metadata
// request makes a broker with `auto.create.topics.enable` do.

import type { KafkaAdmin, KafkaService, PartitionDescription } from '../native/binding';
import { toKafkaJSError } from './errors';
import type { PartitionMetadata } from './types';

const UNKNOWN_TOPIC = 'ERR_UNKNOWN_TOPIC_OR_PART';

export class TopicMetadata {
  private readonly cache = new Map<string, { at: number; partitions: Promise<PartitionMetadata[]> }>();
  private admin?: KafkaAdmin;

  constructor(
    private readonly maxAgeMs: number,
    private readonly autoCreate: boolean,
  ) {}

  /** The topic's partitions, sorted by id; rejects with the kafkajs-shaped error of the lookup. */
  partitions(service: KafkaService, topic: string): Promise<PartitionMetadata[]> {
    const cached = this.cache.get(topic);
    if (cached && Date.now() - cached.at < this.maxAgeMs) return cached.partitions;
    const partitions = this.load(service, topic);
    this.cache.set(topic, { at: Date.now(), partitions });
    partitions.catch(() => this.cache.delete(topic));
    return partitions;
  }

  /** Forgets what was read (the producer disconnected). */
  async close(): Promise<void> {
    this.cache.clear();
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async load(service: KafkaService, topic: string): Promise<PartitionMetadata[]> {
    this.admin ??= service.admin();
    const admin = this.admin;
    try {
      return await describe(admin, topic);
    } catch (e) {
      if ((e as { code?: unknown })?.code !== UNKNOWN_TOPIC || !this.autoCreate) throw toKafkaJSError(e);
    }
    try {
      await admin.createTopics([{ name: topic }]);
    } catch (e) {
      if ((e as { code?: unknown })?.code !== 'ERR_TOPIC_ALREADY_EXISTS') throw toKafkaJSError(e);
    }
    try {
      return await describe(admin, topic);
    } catch (e) {
      throw toKafkaJSError(e);
    }
  }
}

/** A partition as kafkajs' metadata describes it (`fetchTopicMetadata`, partitioners). */
export function kafkajsPartition(p: PartitionDescription): PartitionMetadata {
  return {
    partitionErrorCode: 0,
    partitionId: p.partition,
    leader: p.leader,
    replicas: p.replicas,
    isr: p.isr,
    // The engine says whether a partition is offline, not which of its replicas are.
    offlineReplicas: [],
  };
}

async function describe(admin: KafkaAdmin, topic: string): Promise<PartitionMetadata[]> {
  const [description] = await admin.describeTopics([topic]);
  return (description?.partitions ?? []).map(kafkajsPartition).sort((a, b) => a.partitionId - b.partitionId);
}
