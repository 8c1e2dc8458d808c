// The subpath layers' view of the engine's admin API (`service.admin()` → `KafkaAdmin`) and
// `service.health()`, and the one place that reads their results. Both are feature-detected:
// on a build without them, `adminOf` and `healthOf` return undefined and callers fall back to
// metadata (or throw a clear "not supported by this build" error).
//
// The readers accept a few spellings of each field (`partition` or `partitionId`, offsets as
// number, bigint or string), so a renamed field is absorbed here rather than in every caller.

import type { KafkaService } from './binding';

/** A topic to create, as `KafkaAdmin.createTopics` takes it. */
export interface NativeTopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

/** Options of the admin calls that take a bound. */
export interface NativeAdminCallOptions {
  timeoutMs?: number;
}

type Loose = Record<string, unknown>;

/** The engine's `KafkaAdmin`, every method optional (feature-detected one by one). */
export interface NativeAdmin {
  createTopics?(topics: NativeTopicSpec[], options?: NativeAdminCallOptions): Promise<unknown>;
  deleteTopics?(topics: string[], options?: NativeAdminCallOptions): Promise<unknown>;
  listTopics?(options?: { includeInternal?: boolean; timeoutMs?: number }): Promise<unknown>;
  describeTopics?(topics?: string[] | null, options?: NativeAdminCallOptions): Promise<unknown>;
  describeCluster?(options?: NativeAdminCallOptions): Promise<unknown>;
  listGroups?(options?: NativeAdminCallOptions): Promise<unknown>;
  describeGroup?(groupId: string, options?: NativeAdminCallOptions): Promise<unknown>;
  groupOffsets?(groupId: string, options?: { topics?: string[]; timeoutMs?: number }): Promise<unknown>;
  lag?(groupId: string, options?: { topics?: string[]; timeoutMs?: number }): Promise<unknown>;
  resetOffsets?(groupId: string, options: { topics: string[]; to: 'earliest' | 'latest' | 'timestamp'; timestamp?: number; timeoutMs?: number }): Promise<unknown>;
  /** For each partition, the first offset at or after `timestamp`, or the high watermark. */
  offsetsForTimes?(topic: string, timestamp: number, options?: NativeAdminCallOptions): Promise<unknown>;
  createPartitions?(partitions: Array<{ topic: string; count: number }>, options?: NativeAdminCallOptions): Promise<unknown>;
  describeConfigs?(topics: string[], options?: NativeAdminCallOptions): Promise<unknown>;
  alterConfigs?(topic: string, configs: Record<string, string | null>, options?: NativeAdminCallOptions): Promise<unknown>;
  /** Commits offsets for a group without members; resolves with them. */
  setOffsets?(groupId: string, offsets: Array<{ topic: string; partition: number; offset: number }>, options?: NativeAdminCallOptions): Promise<unknown>;
  deleteGroups?(groupIds: string[], options?: NativeAdminCallOptions): Promise<unknown>;
  /** Deletes records below each offset (-1: all); resolves with the new low watermarks. */
  deleteRecords?(offsets: Array<{ topic: string; partition: number; offset: number }>, options?: NativeAdminCallOptions): Promise<unknown>;
  /** Not in the engine today: low and high watermark of each partition, used when present. */
  watermarks?(topic: string): Promise<unknown>;
  disconnect?(): Promise<void>;
}

/** What `service.health({timeoutMs})` resolves with. */
export interface NativeHealth {
  healthy: boolean;
  latencyMs?: number;
  clusterId?: string | null;
  controller?: number | null;
  brokers: Array<{ id: number; host: string; port: number; up?: boolean }>;
  topics?: { underReplicated?: unknown[]; offline?: unknown[] };
  error?: { code: string; message: string; retriable: boolean };
}

type WithAdmin = { admin?: () => NativeAdmin };
type WithHealth = { health?: (options?: { timeoutMs?: number }) => Promise<NativeHealth> };

/** The service's admin client, or undefined when this build has none (before issue 4). */
export function adminOf(service: KafkaService): NativeAdmin | undefined {
  const s = service as unknown as WithAdmin;
  return typeof s.admin === 'function' ? s.admin() : undefined;
}

/** `service.health`, bound, or undefined when this build has none. */
export function healthOf(service: KafkaService): ((options?: { timeoutMs?: number }) => Promise<NativeHealth>) | undefined {
  const s = service as unknown as WithHealth;
  return typeof s.health === 'function' ? s.health.bind(service) : undefined;
}

/** Whether this build of the addon has the admin API. */
export function hasAdmin(service: KafkaService): boolean {
  return typeof (service as unknown as WithAdmin).admin === 'function';
}

// ---- readers -------------------------------------------------------------------------------

function pick(o: unknown, ...names: string[]): unknown {
  if (o === null || typeof o !== 'object') return undefined;
  for (const n of names) {
    const v = (o as Loose)[n];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** An integer field under any of `names`, or `fallback`. */
export function intOf(o: unknown, fallback: number, ...names: string[]): number {
  const v = pick(o, ...names);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || (typeof v === 'string' && v.trim() !== '')) return Number(v);
  if (v !== null && typeof v === 'object') return intOf(v, fallback, 'id', 'nodeId');
  return fallback;
}

/** An offset field under any of `names`, as kafkajs' decimal string (or `fallback`). */
export function offsetOf(o: unknown, fallback: string, ...names: string[]): string {
  const v = pick(o, ...names);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string' && v !== '') return v;
  return fallback;
}

function stringOf(o: unknown, fallback: string, ...names: string[]): string {
  const v = pick(o, ...names);
  return typeof v === 'string' ? v : fallback;
}

function intsOf(o: unknown, ...names: string[]): number[] {
  const v = pick(o, ...names);
  return Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? intOf(x, -1, 'id', 'nodeId') : Number(x))) : [];
}

function listOf(v: unknown, ...names: string[]): unknown[] {
  if (Array.isArray(v)) return v;
  const inner = pick(v, ...names);
  return Array.isArray(inner) ? inner : [];
}

export interface PartitionDescription {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicDescription {
  name: string;
  partitions: PartitionDescription[];
}

/** `describeTopics` results as `{name, partitions: [{partition, leader, replicas, isr}]}`. */
export function readTopicDescriptions(result: unknown): TopicDescription[] {
  return listOf(result, 'topics').map((t) => ({
    name: stringOf(t, '', 'name', 'topic'),
    partitions: listOf(pick(t, 'partitions')).map((p) => ({
      partition: intOf(p, -1, 'partition', 'partitionId', 'id'),
      leader: intOf(p, -1, 'leader'),
      replicas: intsOf(p, 'replicas'),
      isr: intsOf(p, 'isr', 'inSyncReplicas'),
      offlineReplicas: intsOf(p, 'offlineReplicas', 'offline'),
    })),
  }));
}

export interface ClusterDescription {
  brokers: Array<{ nodeId: number; host: string; port: number }>;
  controller: number | null;
  clusterId: string;
}

/** `describeCluster` as kafkajs shapes it. */
export function readClusterDescription(result: unknown): ClusterDescription {
  const controller = pick(result, 'controller', 'controllerId');
  return {
    brokers: listOf(result, 'brokers').map((b) => ({
      nodeId: intOf(b, -1, 'id', 'nodeId'),
      host: stringOf(b, '', 'host'),
      port: intOf(b, -1, 'port'),
    })),
    controller: controller == null ? null : intOf({ controller }, -1, 'controller'),
    clusterId: stringOf(result, '', 'clusterId', 'id'),
  };
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state?: string;
}

export function readGroupListings(result: unknown): GroupListing[] {
  return listOf(result, 'groups').map((g) => {
    const listing: GroupListing = {
      groupId: stringOf(g, '', 'groupId', 'group', 'name'),
      protocolType: stringOf(g, 'consumer', 'protocolType'),
    };
    const state = pick(g, 'state');
    if (typeof state === 'string') listing.state = state;
    return listing;
  });
}

export interface GroupMemberDescription {
  memberId: string;
  clientId: string;
  clientHost: string;
  assignments: Array<{ topic: string; partition: number }>;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocol: string;
  protocolType: string;
  members: GroupMemberDescription[];
}

/** `describeGroup` with each member's assignment as a list of topic-partitions. */
export function readGroupDescription(groupId: string, result: unknown): GroupDescription {
  return {
    groupId: stringOf(result, groupId, 'groupId', 'group'),
    state: stringOf(result, 'Unknown', 'state'),
    protocol: stringOf(result, '', 'protocol', 'assignor'),
    protocolType: stringOf(result, 'consumer', 'protocolType'),
    members: listOf(pick(result, 'members')).map((m) => ({
      memberId: stringOf(m, '', 'memberId', 'id'),
      clientId: stringOf(m, '', 'clientId'),
      clientHost: stringOf(m, '', 'clientHost', 'host'),
      assignments: readAssignments(pick(m, 'assignments', 'assignment', 'partitions')),
    })),
  };
}

function readAssignments(v: unknown): Array<{ topic: string; partition: number }> {
  const out: Array<{ topic: string; partition: number }> = [];
  for (const a of listOf(v)) {
    const topic = stringOf(a, '', 'topic');
    const partitions = pick(a, 'partitions');
    if (Array.isArray(partitions)) {
      for (const p of partitions) out.push({ topic, partition: typeof p === 'object' ? intOf(p, -1, 'partition') : Number(p) });
    } else {
      out.push({ topic, partition: intOf(a, -1, 'partition') });
    }
  }
  return out;
}

export interface GroupOffset {
  topic: string;
  partition: number;
  offset: string;
  metadata: string | null;
}

/** `groupOffsets` as one row per topic-partition (offset '-1' when the group has none). */
export function readGroupOffsets(result: unknown): GroupOffset[] {
  const rows: GroupOffset[] = [];
  for (const r of listOf(result, 'offsets', 'partitions')) {
    const nested = pick(r, 'partitions');
    if (Array.isArray(nested)) {
      const topic = stringOf(r, '', 'topic');
      for (const p of nested) rows.push(groupOffsetRow(topic, p));
    } else {
      rows.push(groupOffsetRow(stringOf(r, '', 'topic'), r));
    }
  }
  return rows;
}

function groupOffsetRow(topic: string, p: unknown): GroupOffset {
  const metadata = pick(p, 'metadata');
  return {
    topic,
    partition: intOf(p, -1, 'partition', 'partitionId'),
    offset: offsetOf(p, '-1', 'offset', 'committed'),
    metadata: typeof metadata === 'string' ? metadata : null,
  };
}

/** `offsetsForTimes` as `[{partition, offset}]`. */
export function readPartitionOffsets(result: unknown): Array<{ partition: number; offset: string }> {
  return listOf(result, 'partitions', 'offsets').map((p) => ({
    partition: intOf(p, -1, 'partition', 'partitionId'),
    offset: offsetOf(p, '-1', 'offset'),
  }));
}

/** `watermarks` as `[{partition, low, high}]`. */
export function readWatermarks(result: unknown): Array<{ partition: number; low: string; high: string }> {
  return listOf(result, 'partitions').map((p) => ({
    partition: intOf(p, -1, 'partition', 'partitionId'),
    low: offsetOf(p, '0', 'low', 'earliest', 'lowWatermark'),
    high: offsetOf(p, '0', 'high', 'latest', 'highWatermark'),
  }));
}
