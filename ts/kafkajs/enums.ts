// kafkajs' constants, with the values kafkajs gives them, and what each means here.

import { DefaultPartitioner, LegacyPartitioner } from './partitioners';

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

export { partitionForKey, legacyPartitionForKey, type ICustomPartitioner, type PartitionerArgs } from './partitioners';

/** kafkajs' `Partitioners`. */
export const Partitioners = {
  DefaultPartitioner,
  /** @deprecated kafkajs' old name of `DefaultPartitioner`. */
  JavaCompatiblePartitioner: DefaultPartitioner,
  LegacyPartitioner,
};

/**
 * kafkajs' `PartitionAssigners`. `roundRobin` selects librdkafka's `roundrobin` assignment
 * strategy. librdkafka cannot host a JS assignor (its C API has no pluggable assignor), so a
 * custom assigner (NestJS's reply-partition assigner, for one) is accepted but its `protocol()`
 * and `assign()` are never called (the consumer logs this once, at info level): librdkafka's own
 * assignors (`range,roundrobin`) share the partitions, which gives every member a partition
 * whenever there are at least as many partitions as members. NestJS's assigner also keeps each
 * member's lowest partition across rebalances; neither librdkafka assignor does (measured: the
 * README's "Using it from NestJS microservices").
 */
export const PartitionAssigners = {
  roundRobin: (_config: { cluster: unknown }) => ({ name: 'RoundRobinAssigner', version: 0 }),
};
