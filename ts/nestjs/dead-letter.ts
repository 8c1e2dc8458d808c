// Dead-letter handling for one subscriber: counts the attempts at each message, lets the engine
// retry it (with its backoff) until the retries run out, then publishes it to the dead-letter
// topic and resolves, so the subscription goes on.

import type { KafkaService, NativeEachMessagePayload, PublishMessage } from '../native/binding';
import { addSpanEvent } from '../otel/active-span';

/** Headers a dead-lettered message carries, besides its own. */
export const DEAD_LETTER_HEADERS = {
  topic: 'x-original-topic',
  partition: 'x-original-partition',
  offset: 'x-original-offset',
  timestamp: 'x-original-timestamp',
  error: 'x-error',
  group: 'x-consumer-group',
  attempts: 'x-attempts',
} as const;

export interface DeadLetterOptions {
  groupId: string;
  /** Failures retried before the message is dead-lettered (the engine's `retries`). */
  retries: number;
  deadLetterTopic?: string;
  service: Pick<KafkaService, 'publish'>;
  /** Told of every failure (attempt numbers start at 1) and of every dead-lettered message. */
  onFailure?: (payload: NativeEachMessagePayload, error: unknown, attempt: number, final: boolean) => void;
  onDeadLetter?: (payload: NativeEachMessagePayload, error: unknown) => void;
}

type Handler = (payload: NativeEachMessagePayload) => Promise<void> | void;

// Entries of messages that were revoked mid-retry are never cleared by a success; the bound
// keeps that leak small.
const MAX_TRACKED = 10000;

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function errorType(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code != null) return String(code);
  return e instanceof Error ? e.name : 'Error';
}

/** `handler`, wrapped to dead-letter a message whose retries ran out (when a topic is set). */
export function withDeadLetter(handler: Handler, options: DeadLetterOptions): Handler {
  const attempts = new Map<string, number>();
  return async (payload) => {
    // The key is built only when needed (a failure, or a success while attempts are tracked);
    // its parts are read before the handler runs, as the key was.
    const { topic, partition } = payload;
    const offset = payload.message.offset;
    const keyOf = () => `${topic}\u0000${partition}\u0000${offset}`;
    try {
      await handler(payload);
      if (attempts.size > 0) attempts.delete(keyOf());
    } catch (error) {
      const key = keyOf();
      const attempt = (attempts.get(key) ?? 0) + 1;
      const final = attempt > options.retries;
      options.onFailure?.(payload, error, attempt, final);
      if (!final) addSpanEvent('retry', { 'messaging.kafka.attempt': attempt, 'error.type': errorType(error) });
      if (!final || !options.deadLetterTopic) {
        if (attempts.size >= MAX_TRACKED) attempts.delete(attempts.keys().next().value as string);
        attempts.set(key, attempt);
        throw error;
      }
      attempts.delete(key);
      const { message } = payload;
      const dead: PublishMessage = {
        value: message.value ?? null,
        headers: {
          ...message.headers,
          [DEAD_LETTER_HEADERS.topic]: payload.topic,
          [DEAD_LETTER_HEADERS.partition]: String(payload.partition),
          [DEAD_LETTER_HEADERS.offset]: message.offset,
          [DEAD_LETTER_HEADERS.timestamp]: message.timestamp,
          [DEAD_LETTER_HEADERS.error]: describe(error),
          [DEAD_LETTER_HEADERS.group]: options.groupId,
          [DEAD_LETTER_HEADERS.attempts]: String(attempt),
        },
      };
      if (message.key) dead.key = message.key;
      // If the dead-letter publish fails, this attempt fails: the message is not committed.
      await options.service.publish(options.deadLetterTopic, dead);
      addSpanEvent('dead-letter', {
        'messaging.destination.name': options.deadLetterTopic,
        'messaging.kafka.attempt': attempt,
        'error.type': errorType(error),
      });
      options.onDeadLetter?.(payload, error);
    }
  };
}
