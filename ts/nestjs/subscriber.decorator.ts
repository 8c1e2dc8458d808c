// `@KafkaSubscriber(...)`: marks a provider or controller method as the `eachMessage` handler of
// a consumer group. The module finds these methods at bootstrap and subscribes them.

import { SetMetadata } from '@nestjs/common';
import type { SubscribeOptions } from '../native/binding';
import { KAFKA_SUBSCRIBER_METADATA } from './tokens';

export interface KafkaSubscriberOptions
  extends Omit<SubscribeOptions, 'groupId' | 'topics' | 'onError' | 'retries'> {
  /** The consumer group. Default: the module's `groupId` (KAFKA_CONSUMER_GROUP). */
  groupId?: string;
  /** One topic or several. */
  topics: string | string[];
  /** Partitions handled in parallel (order within a partition is kept). Default 1. */
  concurrency?: number;
  /**
   * Attempts after a failure before giving up on a message. Default 5. Then the message goes to
   * `deadLetterTopic` and consumption goes on or, without one, the subscription stops (nothing
   * past that message is committed) and the error is logged. A message that cannot be decoded
   * (`decode: true`) gets no retry: it goes there at once, with its decoding code in
   * `x-error-code`.
   */
  retries?: number;
  /**
   * Where a message goes when its retries (and the `retry.delays` steps, if any) run out, with
   * `x-original-*`, `x-attempts`, `x-first-failure`, `x-error-code` and `x-error` headers: the
   * engine's `retry.deadLetterTopic`.
   */
  deadLetterTopic?: string;
}

/**
 * Subscribes the decorated method as `eachMessage` handler: it receives
 * `{topic, partition, message, heartbeat}` (kafkajs' payload shape) and its Promise settles the
 * message (at-least-once: the offset is committed after it resolves).
 */
export function KafkaSubscriber(options: KafkaSubscriberOptions): MethodDecorator {
  return SetMetadata(KAFKA_SUBSCRIBER_METADATA, options);
}
