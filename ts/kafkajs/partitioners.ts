// kafkajs' partitioners as JS functions: the Java-compatible `DefaultPartitioner` and kafkajs 1.x's
// `LegacyPartitioner`. A producer given `DefaultPartitioner` (or nothing) lets the engine partition
// (`murmur2_random`, the same mapping computed natively); any other `createPartitioner`, the legacy
// one included, is called in JS for every message with the topic's partition metadata.

import { randomBytes } from 'crypto';
import type { PartitionMetadata } from './types';

/** A kafkajs partitioner factory: `() => ({topic, partitionMetadata, message}) => partition`. */
export type ICustomPartitioner = () => (args: PartitionerArgs) => number;

/** What kafkajs passes a partitioner: the topic, its partitions (`cluster.findTopicPartitionMetadata`), the message. */
export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: { key?: Buffer | string | null; partition?: number | null; [k: string]: unknown };
}

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

function keyBytes(key: Buffer | string): Buffer {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key));
}

/** murmur2 as the Java client computes it (32-bit integer arithmetic). */
function javaMurmur2(key: Buffer | string): number {
  const data = keyBytes(key);
  let h = (SEED ^ data.length) | 0;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
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
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * kafkajs 1.x's murmur2, which is not Java's: its products are JS doubles (they lose low bits
 * beyond 2^53 before the next xor truncates them to 32 bits), and its block loop runs
 * `ceil(length / 4)` times, reading missing bytes as 0. Keys therefore land on other partitions
 * than with the Java client; reproducing these operations exactly keeps them where kafkajs put them.
 */
function legacyMurmur2(key: Buffer | string): number {
  const data = keyBytes(key);
  const length = data.length;
  const byte = (i: number) => (i < length ? data[i] : 0);
  let h = SEED ^ length;
  const blocks = Math.ceil(length / 4);
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = byte(at) + (byte(at + 1) << 8) + (byte(at + 2) << 16) + (byte(at + 3) << 24);
    k *= M;
    k ^= k >>> 24;
    k *= M;
    h *= M;
    h ^= k;
  }
  const tail = length & ~3;
  switch (length % 4) {
    case 3:
      h ^= byte(tail + 2) << 16;
    // falls through
    case 2:
      h ^= byte(tail + 1) << 8;
    // falls through
    case 1:
      h ^= byte(tail);
      h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}

const toPositive = (x: number) => x & 0x7fffffff;

/**
 * A partitioner over `hash`: an explicit `message.partition` wins, a key maps to
 * `hash(key) % partitions`, keyless messages go round-robin (from a random start per topic) over
 * the partitions that have a leader.
 */
function hashPartitioner(hash: (key: Buffer | string) => number): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }) => {
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      const count = partitionMetadata.length;
      if (message.key !== null && message.key !== undefined) return toPositive(hash(message.key)) % count;
      const next = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
      counters.set(topic, next);
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      if (available.length > 0) return available[toPositive(next) % available.length].partitionId;
      return toPositive(next) % count;
    };
  };
}

/**
 * The Java client's partitioner, which is kafkajs 2's `DefaultPartitioner`. The producer does not
 * call it: passing it (or nothing) selects the engine's `murmur2_random`, which computes the same
 * partition for every key natively. Calling it yourself gives the partition a key lands on.
 */
export const DefaultPartitioner: ICustomPartitioner = hashPartitioner(javaMurmur2);

/** kafkajs 1.x's partitioner (kafkajs 2's `LegacyPartitioner`): keys land where kafkajs put them. */
export const LegacyPartitioner: ICustomPartitioner = hashPartitioner(legacyMurmur2);

/** The partition the Java client and kafkajs' `DefaultPartitioner` pick for `key`. */
export function partitionForKey(key: Buffer | string, partitionCount: number): number {
  return toPositive(javaMurmur2(key)) % partitionCount;
}

/** The partition kafkajs' `LegacyPartitioner` picks for `key`. */
export function legacyPartitionForKey(key: Buffer | string, partitionCount: number): number {
  return toPositive(legacyMurmur2(key)) % partitionCount;
}
