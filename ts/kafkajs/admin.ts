// kafkajs' `Admin` over the engine's admin API (`service.admin()` → `KafkaAdmin`): kafkajs'
// arguments checked and mapped onto its calls, its results reshaped as kafkajs returns them
// (offsets as decimal strings, brokers as `nodeId`).

import type { KafkaAdmin, KafkaService, PartitionOffset, TopicSpec } from '../native/binding';
import { KafkaJSNonRetriableError, KafkaJSNotImplemented, kafkajsErrors, refuse, toKafkaJSError } from './errors';
import { logLevel } from './enums';
import { Instrumentation, adminEvents, type AdminEventName } from './events';
import { networkOptions } from './network-events';
import { kafkajsGroup } from './member-assignment';
import { kafkajsPartition } from './topic-metadata';
import type { ClientFactory } from './producer';
import { ClientServices } from './services';
import type {
  AdminConfig,
  FetchOffsetsPartition,
  GroupDescriptions,
  GroupOverview,
  ITopicConfig,
  ITopicMetadata,
  InstrumentationEvent,
  Logger,
  SeekEntry,
} from './types';

export class Admin {
  readonly events = adminEvents;
  private readonly instrumentation = new Instrumentation<AdminEventName>(adminEvents, (message) => this.factory.log.emit('Admin', logLevel.WARN, message));
  private service?: KafkaService;
  private native?: KafkaAdmin;
  private readonly engines: ClientServices;

  constructor(
    private readonly factory: ClientFactory,
    config: AdminConfig = {},
  ) {
    refuse(config.retry?.restartOnFailure, 'admin retry.restartOnFailure');
    this.engines = new ClientServices(factory, 'admin client', () => networkOptions(this.instrumentation, adminEvents, factory.clientId));
  }

  async connect(): Promise<void> {
    if (this.service) return;
    const service = await this.engines.connect({});
    this.service = service;
    this.native = service.admin();
    this.instrumentation.emit(adminEvents.CONNECT);
  }

  /** Closes the client. Idempotent and final: a `connect()` under way rejects with `ERR_DISCONNECTED`. */
  async disconnect(): Promise<void> {
    const service = this.service;
    const native = this.native;
    this.service = undefined;
    this.native = undefined;
    await native?.disconnect().catch(() => undefined);
    await this.engines.closeAll();
    if (service) this.instrumentation.emit(adminEvents.DISCONNECT);
  }

  async listTopics(): Promise<string[]> {
    const native = this.engine();
    // kafkajs lists internal topics (`__consumer_offsets`) too.
    return kafkajsErrors(() => native.listTopics({ includeInternal: true }));
  }

  /**
   * Creates topics; resolves true when all were created and false when one already existed
   * (as kafkajs does). `replicaAssignment` and `validateOnly` are not supported;
   * `waitForLeaders` is what the engine always does.
   */
  async createTopics(options: { topics: ITopicConfig[]; validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number }): Promise<boolean> {
    const topics = options?.topics;
    if (!Array.isArray(topics) || topics.some((t) => !t || typeof t.topic !== 'string' || t.topic === '')) {
      throw new KafkaJSNonRetriableError(`Invalid topics array ${JSON.stringify(topics)}`, { code: 'ERR_INVALID_ARG' });
    }
    for (const t of topics) if (t.replicaAssignment && t.replicaAssignment.length > 0) throw new KafkaJSNotImplemented('createTopics replicaAssignment');
    if (options.validateOnly) throw new KafkaJSNotImplemented('createTopics validateOnly');
    const native = this.engine();
    const specs = topics.map((t) => {
      const spec: TopicSpec = { name: t.topic };
      if (t.numPartitions !== undefined && t.numPartitions !== -1) spec.partitions = t.numPartitions;
      if (t.replicationFactor !== undefined && t.replicationFactor !== -1) spec.replicationFactor = t.replicationFactor;
      if (t.configEntries && t.configEntries.length > 0) spec.configs = Object.fromEntries(t.configEntries.map((e) => [e.name, String(e.value)]));
      return spec;
    });
    const callOptions: { timeoutMs?: number } = {};
    if (options.timeout !== undefined) callOptions.timeoutMs = options.timeout;
    try {
      await native.createTopics(specs, callOptions);
      return true;
    } catch (e) {
      if (isAlreadyExists(e)) return false;
      throw toKafkaJSError(e);
    }
  }

  async deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void> {
    if (!options || !Array.isArray(options.topics) || options.topics.some((t) => typeof t !== 'string' || t === '')) {
      throw new KafkaJSNonRetriableError(`Invalid topics array ${JSON.stringify(options?.topics)}`, { code: 'ERR_INVALID_ARG' });
    }
    const native = this.engine();
    await kafkajsErrors(() => native.deleteTopics(options.topics, options.timeout === undefined ? {} : { timeoutMs: options.timeout }));
  }

  async fetchTopicMetadata(options?: { topics?: string[] }): Promise<{ topics: ITopicMetadata[] }> {
    const native = this.engine();
    const described = await kafkajsErrors(() => native.describeTopics(options?.topics));
    return {
      topics: described.map((t) => ({
        name: t.name,
        partitions: t.partitions.map(kafkajsPartition),
      })),
    };
  }

  /** Low and high watermark of each partition: `[{partition, offset (= high), high, low}]`. */
  async fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> {
    const native = this.engine();
    // `lag` reports both watermarks of every partition of the topics it is given; a group that
    // never committed (this id is never used to consume) has a lag row for each of them.
    const lag = await kafkajsErrors(() => native.lag(WATERMARK_GROUP, { topics: [topic] }));
    return lag.partitions
      .map((p) => ({ partition: p.partition, offset: String(p.high), high: String(p.high), low: String(p.low) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<SeekEntry[]> {
    const native = this.engine();
    const offsets = await kafkajsErrors(() => native.offsetsForTimes(topic, timestamp ?? Date.now()));
    return offsets.map((p) => ({ partition: p.partition, offset: String(p.offset) }));
  }

  /**
   * A group's committed offsets. kafkajs 2 form `{groupId, topics?}` resolves
   * `[{topic, partitions: [{partition, offset, metadata}]}]`; the old `{groupId, topic}` form
   * resolves that topic's partitions.
   */
  async fetchOffsets(options: { groupId: string; topics?: string[]; resolveOffsets?: boolean }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>>;
  async fetchOffsets(options: { groupId: string; topic: string; resolveOffsets?: boolean }): Promise<FetchOffsetsPartition[]>;
  async fetchOffsets(options: {
    groupId: string;
    topic?: string;
    topics?: string[];
    resolveOffsets?: boolean;
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }> | FetchOffsetsPartition[]> {
    if (!options || typeof options.groupId !== 'string' || options.groupId === '') {
      throw new KafkaJSNonRetriableError(`Invalid groupId ${JSON.stringify(options?.groupId)}`, { code: 'ERR_INVALID_ARG' });
    }
    if (options.resolveOffsets) throw new KafkaJSNotImplemented('fetchOffsets resolveOffsets');
    const native = this.engine();
    const topics = options.topic !== undefined ? [options.topic] : options.topics;
    const rows = await kafkajsErrors(() => native.groupOffsets(options.groupId, topics ? { topics } : {}));
    const byTopic = new Map<string, FetchOffsetsPartition[]>();
    for (const t of topics ?? []) byTopic.set(t, []);
    for (const r of rows) {
      const list = byTopic.get(r.topic) ?? [];
      list.push({ partition: r.partition, offset: String(r.offset), metadata: null });
      byTopic.set(r.topic, list);
    }
    for (const list of byTopic.values()) list.sort((a, b) => a.partition - b.partition);
    if (options.topic !== undefined) return byTopic.get(options.topic) ?? [];
    return [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /** Moves a stopped group's offsets to the earliest (or latest) offset of `topic`. */
  async resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    const native = this.engine();
    await kafkajsErrors(() => native.resetOffsets(options.groupId, { topics: [options.topic], to: options.earliest ? 'earliest' : 'latest' }));
  }

  async describeCluster(): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controller: number | null; clusterId: string }> {
    const native = this.engine();
    const cluster = await kafkajsErrors(() => native.describeCluster());
    return {
      brokers: cluster.brokers.map((b) => ({ nodeId: b.id, host: b.host, port: b.port })),
      controller: cluster.controller ?? null,
      clusterId: cluster.clusterId ?? '',
    };
  }

  async listGroups(): Promise<{ groups: GroupOverview[] }> {
    const native = this.engine();
    return { groups: (await kafkajsErrors(() => native.listGroups())).map(({ groupId, protocolType }) => ({ groupId, protocolType })) };
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescriptions> {
    if (!Array.isArray(groupIds)) throw new KafkaJSNonRetriableError('describeGroups needs an array of group ids', { code: 'ERR_INVALID_ARG' });
    const native = this.engine();
    const groups = await Promise.all(groupIds.map(async (id) => kafkajsGroup(await kafkajsErrors(() => native.describeGroup(id)))));
    return { groups };
  }

  /**
   * Raises topics' partition counts (`topicPartitions: [{topic, count}]`). `assignments` and
   * `validateOnly` are not supported.
   */
  async createPartitions(options: { topicPartitions: Array<{ topic: string; count: number; assignments?: unknown }>; validateOnly?: boolean; timeout?: number }): Promise<boolean> {
    const list = options?.topicPartitions;
    if (!Array.isArray(list) || list.length === 0 || list.some((t) => !t || typeof t.topic !== 'string' || !Number.isInteger(t.count))) {
      throw new KafkaJSNonRetriableError(`Invalid topic partitions array ${JSON.stringify(list)}`, { code: 'ERR_INVALID_ARG' });
    }
    for (const t of list) refuse(t.assignments, 'createPartitions assignments');
    if (options.validateOnly) throw new KafkaJSNotImplemented('createPartitions validateOnly');
    const native = this.engine();
    await kafkajsErrors(() => native.createPartitions(list.map(({ topic, count }) => ({ topic, count })), timeoutOf(options.timeout)));
    return true;
  }

  /** Topic configs (`resources: [{type: ConfigResourceTypes.TOPIC, name, configNames?}]`), in kafkajs' response shape. */
  async describeConfigs(options: { resources: ConfigResource[]; includeSynonyms?: boolean }): Promise<{ resources: DescribeConfigResource[]; throttleTime: number }> {
    const resources = topicResources(options?.resources, 'describeConfigs');
    const native = this.engine();
    const found = await kafkajsErrors(() => native.describeConfigs(resources.map((r) => r.name)));
    return {
      throttleTime: 0,
      resources: resources.map((r) => {
        const entries = found.find((f) => f.topic === r.name)?.entries ?? [];
        const wanted = r.configNames && r.configNames.length > 0 ? new Set(r.configNames) : undefined;
        return {
          errorCode: 0,
          errorMessage: null,
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: r.name,
          configEntries: entries
            .filter((e) => !wanted || wanted.has(e.name))
            .map((e) => ({
              configName: e.name,
              configValue: e.value ?? null,
              readOnly: e.readOnly,
              isDefault: e.isDefault,
              configSource: CONFIG_SOURCES[e.source] ?? 0,
              isSensitive: e.sensitive,
              configSynonyms: [],
            })),
        };
      }),
    };
  }

  /**
   * Sets topic configs (`resources: [{type: ConfigResourceTypes.TOPIC, name, configEntries: [{name, value}]}]`).
   * Only the named configs change (an incremental alter); kafkajs' AlterConfigs also reverts the
   * configs it does not name to their defaults.
   */
  async alterConfigs(options: { resources: Array<ConfigResource & { configEntries: Array<{ name: string; value: string }> }>; validateOnly?: boolean }): Promise<{ resources: Array<{ errorCode: number; errorMessage: string | null; resourceName: string; resourceType: number }>; throttleTime: number }> {
    const resources = topicResources(options?.resources, 'alterConfigs');
    if (options.validateOnly) throw new KafkaJSNotImplemented('alterConfigs validateOnly');
    for (const r of resources) {
      if (!Array.isArray(r.configEntries) || r.configEntries.some((e) => typeof e?.name !== 'string' || typeof e.value !== 'string')) {
        throw new KafkaJSNonRetriableError(`Invalid resource configEntries: ${JSON.stringify(r)}`, { code: 'ERR_INVALID_ARG' });
      }
    }
    const native = this.engine();
    for (const r of resources) {
      await kafkajsErrors(() => native.alterConfigs(r.name, Object.fromEntries(r.configEntries.map((e) => [e.name, e.value]))));
    }
    return {
      throttleTime: 0,
      resources: resources.map((r) => ({ errorCode: 0, errorMessage: null, resourceName: r.name, resourceType: ConfigResourceTypes.TOPIC })),
    };
  }

  /**
   * Commits `partitions`' offsets for a group with no running member (kafkajs' `setOffsets`).
   * Rejects with `ERR_NON_EMPTY_GROUP` while the group has members.
   */
  async setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> {
    const { groupId, topic } = options ?? ({} as typeof options);
    if (typeof groupId !== 'string' || groupId === '') throw new KafkaJSNonRetriableError(`Invalid groupId ${JSON.stringify(groupId)}`, { code: 'ERR_INVALID_ARG' });
    const offsets = partitionOffsets(topic, options.partitions, 'setOffsets', 0);
    const native = this.engine();
    await kafkajsErrors(() => native.setOffsets(groupId, offsets));
  }

  /**
   * Deletes groups with their committed offsets; resolves `[{groupId, errorCode: 0}]`. Rejects
   * with the first group's error (`ERR_NON_EMPTY_GROUP`, `ERR_GROUP_ID_NOT_FOUND`); kafkajs
   * rejects with one error listing every failed group.
   */
  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    if (!Array.isArray(groupIds) || groupIds.some((g) => typeof g !== 'string' || g === '')) {
      throw new KafkaJSNonRetriableError(`Invalid groupIds array ${JSON.stringify(groupIds)}`, { code: 'ERR_INVALID_ARG' });
    }
    const native = this.engine();
    await kafkajsErrors(() => native.deleteGroups(groupIds));
    return groupIds.map((groupId) => ({ groupId, errorCode: 0 }));
  }

  /** Deletes a topic's records below each partition's `offset` ('-1': all of them). */
  async deleteTopicRecords(options: { topic: string; partitions: SeekEntry[] }): Promise<void> {
    const offsets = partitionOffsets(options?.topic, options?.partitions, 'deleteTopicRecords', -1);
    const native = this.engine();
    await kafkajsErrors(() => native.deleteRecords(offsets));
  }

  logger(): Logger {
    return this.factory.log.logger('Admin');
  }

  on(eventName: AdminEventName, listener: (event: InstrumentationEvent<unknown>) => void): () => void {
    return this.instrumentation.on(eventName, listener);
  }

  /** The engine's admin client; throws `ERR_DISCONNECTED` before `connect()`. */
  private engine(): KafkaAdmin {
    if (!this.native) throw new KafkaJSNonRetriableError('The admin client is not connected; call connect() first', { code: 'ERR_DISCONNECTED' });
    return this.native;
  }
}

/** A consumer group id nothing consumes with, whose `lag` rows carry the watermarks. */
const WATERMARK_GROUP = 'kafka-native.kafkajs.watermarks';

/** kafkajs' `ConfigResourceTypes`; the engine's admin describes and alters topic configs. */
export enum ConfigResourceTypes {
  UNKNOWN = 0,
  TOPIC = 2,
  BROKER = 4,
  BROKER_LOGGER = 8,
}

/** kafkajs' `ConfigSource` numbers by the engine's source names. */
const CONFIG_SOURCES: Record<string, number> = {
  unknown: 0,
  topic: 1,
  'dynamic-broker': 2,
  'dynamic-default-broker': 3,
  'static-broker': 4,
  default: 5,
};

interface ConfigResource {
  type: number;
  name: string;
  configNames?: string[] | null;
}

interface DescribeConfigResource {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configEntries: Array<{
    configName: string;
    configValue: string | null;
    readOnly: boolean;
    isDefault: boolean;
    configSource: number;
    isSensitive: boolean;
    configSynonyms: unknown[];
  }>;
}

/** Checks kafkajs' `resources` argument; only topic resources are supported. */
function topicResources<R extends ConfigResource>(resources: R[] | undefined, call: string): R[] {
  if (!Array.isArray(resources) || resources.length === 0) {
    throw new KafkaJSNonRetriableError(`Invalid resources array ${JSON.stringify(resources)}`, { code: 'ERR_INVALID_ARG' });
  }
  for (const r of resources) {
    if (!r || typeof r.name !== 'string' || r.name === '') {
      throw new KafkaJSNonRetriableError(`Invalid resource name: ${JSON.stringify(r)}`, { code: 'ERR_INVALID_ARG' });
    }
    if (r.type !== ConfigResourceTypes.TOPIC) throw new KafkaJSNotImplemented(`${call} of resource type ${String(r.type)}`, 'topic resources are supported');
  }
  return resources;
}

/** kafkajs' `{topic, partitions: [{partition, offset}]}` as the engine's offset list; offsets below `min` are refused. */
function partitionOffsets(topic: string | undefined, partitions: SeekEntry[] | undefined, call: string, min: number): PartitionOffset[] {
  if (typeof topic !== 'string' || topic === '') throw new KafkaJSNonRetriableError(`${call}: invalid topic ${JSON.stringify(topic)}`, { code: 'ERR_INVALID_ARG' });
  if (!Array.isArray(partitions) || partitions.length === 0) {
    throw new KafkaJSNonRetriableError(`${call}: invalid partitions ${JSON.stringify(partitions)}`, { code: 'ERR_INVALID_ARG' });
  }
  return partitions.map((p) => {
    const offset = Number(p?.offset);
    if (!p || !Number.isInteger(p.partition) || p.partition < 0 || !Number.isSafeInteger(offset) || offset < min || !/^-?\d+$/.test(String(p.offset))) {
      throw new KafkaJSNonRetriableError(`${call}: invalid partition entry ${JSON.stringify(p)}`, { code: 'ERR_INVALID_ARG' });
    }
    return { topic, partition: p.partition, offset };
  });
}

function timeoutOf(timeout: number | undefined): { timeoutMs?: number } {
  return timeout === undefined ? {} : { timeoutMs: timeout };
}

function isAlreadyExists(e: unknown): boolean {
  return (e as { code?: unknown })?.code === 'ERR_TOPIC_ALREADY_EXISTS';
}
