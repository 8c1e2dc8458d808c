// kafkajs' constants, with the values kafkajs gives them, and what each means here.

/** kafkajs' `CompressionTypes` (per-send codec). */
export enum CompressionTypes {
  None = 0,
  GZIP = 1,
  Snappy = 2,
  LZ4 = 3,
  ZSTD = 4,
}

/** The engine's codec name of a kafkajs `CompressionTypes` value. */
export function codecName(type: CompressionTypes | undefined): 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' | undefined {
  switch (type) {
    case undefined:
      return undefined;
    case CompressionTypes.None:
      return 'none';
    case CompressionTypes.GZIP:
      return 'gzip';
    case CompressionTypes.Snappy:
      return 'snappy';
    case CompressionTypes.LZ4:
      return 'lz4';
    case CompressionTypes.ZSTD:
      return 'zstd';
    default:
      return undefined;
  }
}

/**
 * kafkajs' `CompressionCodecs` registry. Every codec is built into librdkafka, so there is nothing
 * to register; the object exists so that `CompressionCodecs[CompressionTypes.Snappy] = ...` (the
 * kafkajs way to add snappy or lz4) keeps compiling and running. What is assigned is not used.
 */
export const CompressionCodecs: Record<number, unknown> = {};

/** kafkajs' `logLevel`. */
export enum logLevel {
  NOTHING = 0,
  ERROR = 1,
  WARN = 2,
  INFO = 4,
  DEBUG = 5,
}

/** A kafkajs partitioner factory: `() => ({topic, partitionMetadata, message}) => partition`. */
export type ICustomPartitioner = () => (args: PartitionerArgs) => number;

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: Array<{ partitionId: number; leader: number; replicas?: number[]; isr?: number[] }>;
  message: { key?: Buffer | string | null; partition?: number; [k: string]: unknown };
}

function javaMurmur2(key: Buffer | string): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (data.length & 3) {
    case 3:
      h ^= data[whole + 2] << 16;
    // falls through
    case 2:
      h ^= data[whole + 1] << 8;
    // falls through
    case 1:
      h ^= data[whole];
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The Java client's partitioner, which is kafkajs' `DefaultPartitioner`: murmur2 of the key
 * modulo the partition count; keyless messages spread over the partitions. The producer does not
 * call it: passing it (or nothing) selects the engine's `murmur2_random`, which computes the same
 * partition for every key natively. Calling it yourself gives the partition a key lands on.
 */
const DefaultPartitioner: ICustomPartitioner = () => {
  let counter = Math.floor(Math.random() * 0x7fffffff);
  return ({ partitionMetadata, message }) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    const count = partitionMetadata.length;
    if (message.key !== undefined && message.key !== null) return partitionForKey(message.key, count);
    counter = (counter + 1) & 0x7fffffff;
    return partitionMetadata[counter % count].partitionId;
  };
};

/**
 * kafkajs 1.x's partitioner (a murmur2 variant that differs from Java's for most keys). Not
 * supported: a producer given it throws `KafkaJSNotImplemented`, because keys would silently land
 * on other partitions than under kafkajs. See "Migrating from kafkajs".
 */
const LegacyPartitioner: ICustomPartitioner = () => {
  throw new Error('LegacyPartitioner is not supported by @cosmic-horizons/kafka-native/kafkajs');
};

/** kafkajs' `Partitioners`. */
export const Partitioners = {
  DefaultPartitioner,
  /** @deprecated kafkajs' old name of `DefaultPartitioner`. */
  JavaCompatiblePartitioner: DefaultPartitioner,
  LegacyPartitioner,
};

/**
 * kafkajs' `PartitionAssigners`. `roundRobin` selects librdkafka's `roundrobin` assignment
 * strategy; a custom assigner is not supported (the consumer throws `KafkaJSNotImplemented`).
 */
export const PartitionAssigners = {
  roundRobin: (_config: { cluster: unknown }) => ({ name: 'RoundRobinAssigner', version: 0 }),
};

/** The partition the Java client and kafkajs' `DefaultPartitioner` pick for `key`. */
export function partitionForKey(key: Buffer | string, partitionCount: number): number {
  return (javaMurmur2(key) & 0x7fffffff) % partitionCount;
}
