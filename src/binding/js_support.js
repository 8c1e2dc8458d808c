// JavaScript the binding compiles once per Node environment: the error class the package
// exports, and the loops that hand a batch of consumed messages to a user's handler. A loop runs
// in JS so that a batch crosses the native boundary once, however many handler calls it makes.
(function () {
  'use strict';

  class KafkaNativeError extends Error {
    constructor(message, code, retriable, fatal, topic, partition) {
      super(message);
      this.name = 'KafkaNativeError';
      this.code = code;
      this.retriable = retriable;
      this.fatal = fatal;
      if (topic != null) this.topic = topic;
      if (partition != null) this.partition = partition;
    }
  }

  function describe(e) {
    if (e instanceof Error) return e.stack || e.message || String(e);
    try {
      return typeof e === 'string' ? e : JSON.stringify(e);
    } catch (_) {
      return String(e);
    }
  }

  const heartbeat = async () => {};

  function eachMessage(handler) {
    return async function deliver(batch) {
      const { topic, partition, messages } = batch;
      let i = 0;
      try {
        for (; i < messages.length; i++) {
          await handler({ topic, partition, message: messages[i], heartbeat });
        }
        return { processed: i };
      } catch (e) {
        return { processed: i, error: describe(e) };
      }
    };
  }

  function eachBatch(handler) {
    return async function deliver(batch) {
      const messages = batch.messages;
      let resolved = 0;
      const resolveOffset = (offset) => {
        const o = String(offset);
        for (let i = messages.length - 1; i >= resolved; i--) {
          if (messages[i].offset === o) {
            resolved = i + 1;
            return;
          }
        }
      };
      try {
        await handler({
          batch: {
            topic: batch.topic,
            partition: batch.partition,
            messages,
            firstOffset: () => (messages.length ? messages[0].offset : null),
            lastOffset: () => (messages.length ? messages[messages.length - 1].offset : null),
            isEmpty: () => messages.length === 0,
          },
          resolveOffset,
          heartbeat,
          isRunning: () => true,
          isStale: () => false,
        });
        return { processed: messages.length };
      } catch (e) {
        return { processed: resolved, error: describe(e) };
      }
    };
  }

  return { KafkaNativeError, eachMessage, eachBatch };
})()
