// Dead letters for `@KafkaSubscriber`: the engine's retry ladder does the work (`retry` and
// `deadLetterTopic` become the subscription's `retry` option); this file only maps the options and
// counts a message's failures so that each one is logged with its attempt number. The engine
// itself ends a failed call's consumer span with `retry` / `dead-letter` events (tracing.js).

import type { NativeEachMessagePayload, RetryOptions } from '../native/binding';

/** Headers the engine puts on a message it moves to a retry step or the dead-letter topic. */
export const DEAD_LETTER_HEADERS = {
  topic: 'x-original-topic',
  partition: 'x-original-partition',
  offset: 'x-original-offset',
  timestamp: 'x-original-timestamp',
  key: 'x-original-key',
  error: 'x-error',
  errorCode: 'x-error-code',
  group: 'x-consumer-group',
  attempts: 'x-attempts',
  firstFailure: 'x-first-failure',
  due: 'x-retry-due',
} as const;

/** The subscription's `retry` option for a subscriber's `retry` and `deadLetterTopic`. */
export function subscriberRetry(retry: RetryOptions | undefined, deadLetterTopic: string | undefined): RetryOptions | undefined {
  if (!retry && !deadLetterTopic) return undefined;
  return { ...retry, deadLetterTopic: retry?.deadLetterTopic ?? deadLetterTopic };
}

export interface FailureLogOptions {
  /** In-place retries before the engine gives up on a message at its current step. */
  retries: number;
  /** Told of every failure (attempt numbers start at 1; `final` when the retries ran out). */
  onFailure: (payload: NativeEachMessagePayload, error: unknown, attempt: number, final: boolean) => void;
  /** Ignored, kept for compatibility: the engine itself ends a failed call's span with its `retry` or `dead-letter` event. */
  deadLetterTopic?: string;
}

type Handler = (payload: NativeEachMessagePayload) => Promise<void> | void;

// Entries of messages that were revoked mid-retry are never cleared by a success; the bound
// keeps that leak small.
const MAX_TRACKED = 10000;

/** `handler`, reporting each failure with its attempt number; the error still propagates. */
export function withFailureLog(handler: Handler, options: FailureLogOptions): Handler {
  const attempts = new Map<string, number>();
  return async (payload) => {
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
      options.onFailure(payload, error, attempt, final);
      if (final) {
        attempts.delete(key);
      } else {
        if (attempts.size >= MAX_TRACKED) attempts.delete(attempts.keys().next().value as string);
        attempts.set(key, attempt);
      }
      throw error;
    }
  };
}
