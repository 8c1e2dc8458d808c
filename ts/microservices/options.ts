// Options of the native transport's server and client. The connection is the engine's
// `KafkaConfig`; group ids get NestJS's `-server` / `-client` postfixes, so a service that
// migrates from Transport.KAFKA keeps its consumer groups (and their committed offsets).

import type { Deserializer, Serializer } from '@nestjs/microservices';
import type { KafkaConfig, SubscribeOptions } from '../native/binding';

/** The engine's subscription settings a transport passes through (concurrency, retries, ...). */
export type KafkaNativeSubscribeOptions = Partial<Omit<SubscribeOptions, 'groupId' | 'topics' | 'onError'>>;

export interface KafkaNativeTransportOptions {
  /** The engine's client configuration (brokers, clientId, ssl, sasl, producer, librdkafka). */
  client: KafkaConfig;
  /** The consumer group, before the postfix. Default `nestjs-group` (NestJS's default). */
  groupId?: string;
  /** Appended to the group id: default `-server` for the server, `-client` for the client. */
  postfixId?: string;
  /** The engine's subscription settings (fromBeginning, concurrency, retries, handlerTimeoutMs, ...). */
  subscribe?: KafkaNativeSubscribeOptions;
  /** NestJS's KafkaParser option: keep message values as Buffers. */
  parser?: { keepBinary?: boolean };
  serializer?: Serializer;
  deserializer?: Deserializer;
}

export type KafkaNativeServerOptions = KafkaNativeTransportOptions;

export interface KafkaNativeClientOptions extends KafkaNativeTransportOptions {
  /**
   * How long `send()` waits for a reply before it errors with `ERR__TIMED_OUT`. Default 30000;
   * 0 waits forever (NestJS's Transport.KAFKA behaviour).
   */
  requestTimeoutMs?: number;
  /** Only produce: no reply subscription (`send()` is then refused). Default false. */
  producerOnlyMode?: boolean;
}

/** NestJS's defaults, so that group ids match those of Transport.KAFKA. */
export const DEFAULT_GROUP_ID = 'nestjs-group';
