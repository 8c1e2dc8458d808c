// kafkajs instrumentation events (`client.on(client.events.X, listener)`). Every event kafkajs
// defines can be listened to; each is emitted with kafkajs' payload where the engine knows it.
// The ones it never emits are listed in `NEVER_EMITTED` with the reason, and listening to one
// logs that reason (a warning, once per client and event) instead of staying silent. An unknown
// event name throws, as in kafkajs.

import { KafkaJSNonRetriableError } from './errors';
import type { InstrumentationEvent, RemoveInstrumentationEventListener } from './types';

let sequence = 0;

export class Instrumentation<Names extends string> {
  private readonly listeners = new Map<string, Set<(event: InstrumentationEvent<unknown>) => void>>();
  private readonly names: ReadonlySet<string>;
  private readonly warned = new Set<string>();

  /** `warn` receives the reason when a listener is added for an event in `NEVER_EMITTED`. */
  constructor(
    events: Record<string, Names>,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    this.names = new Set(Object.values(events));
  }

  on(eventName: Names, listener: (event: InstrumentationEvent<unknown>) => void): RemoveInstrumentationEventListener {
    if (!this.names.has(eventName)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${[...this.names].join(', ')}`, { code: 'ERR_INVALID_ARG' });
    }
    const never = NEVER_EMITTED[eventName];
    if (never !== undefined && !this.warned.has(eventName)) {
      this.warned.add(eventName);
      this.warn(`${eventName} is never emitted by @cosmic-horizons/kafka-native/kafkajs: ${never}`);
    }
    let set = this.listeners.get(eventName);
    if (!set) this.listeners.set(eventName, (set = new Set()));
    set.add(listener);
    return () => {
      set?.delete(listener);
    };
  }

  /** Whether anyone listens to `eventName` (to skip building a payload nobody reads). */
  has(eventName: Names): boolean {
    return (this.listeners.get(eventName)?.size ?? 0) > 0;
  }

  emit(eventName: Names, payload: unknown = null): void {
    const set = this.listeners.get(eventName);
    if (!set || set.size === 0) return;
    sequence += 1;
    const event: InstrumentationEvent<unknown> = { id: String(sequence), type: eventName, timestamp: Date.now(), payload };
    for (const listener of set) {
      try {
        listener(event);
      } catch {
        // A throwing listener must not break the client it listens to (as in kafkajs).
      }
    }
  }
}

export const producerEvents = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const;

export const consumerEvents = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;

export const adminEvents = {
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
} as const;

/** The events the facade never emits, with the reason (README: "Using it from NestJS microservices"). */
export const NEVER_EMITTED: Readonly<Record<string, string>> = {
  [consumerEvents.RECEIVED_UNSUBSCRIBED_TOPICS]:
    "librdkafka's assignors give a member only partitions of the topics it subscribed to, and a group cannot mix them with kafkajs' assigners, so the case it reports does not arise",
};

type ValueOf<T> = T[keyof T];
export type ProducerEventName = ValueOf<typeof producerEvents>;
export type ConsumerEventName = ValueOf<typeof consumerEvents>;
export type AdminEventName = ValueOf<typeof adminEvents>;
