'use strict';

// Shared by the integration tests: the clusters from the environment (set by
// scripts/test-integration.sh), unique names, clients that are disconnected after each file,
// message collectors and polling helpers. Tests assert behaviour and codes, never wall time.

const { randomBytes } = require('crypto');
const { KafkaService, KafkaAdmin, KafkaNativeError } = require('../../index.js');

/** Bootstrap servers of the single node, and of the 3-node cluster. */
const BROKERS = process.env.KAFKA_BROKERS || '';
const BROKERS_3 = process.env.KAFKA_BROKERS_3 || '';

/** `describe` when the cluster is configured, else skipped (with its reason in the name). */
function describeOn(brokers, name, fn) {
  return brokers ? describe(name, fn) : describe.skip(`${name} (no cluster configured)`, fn);
}

function uniqueName(prefix) {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` (sync or async) until it is truthy; fails with `what` after `timeoutMs`. */
async function waitFor(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await condition();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await sleep(100);
  }
}

/** Expects `promise` to reject with a KafkaNativeError of `code` (and `topic`, if given). */
async function expectKafkaError(promise, code, topic) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(KafkaNativeError);
  expect(error.code).toBe(code);
  if (topic !== undefined) expect(error.topic).toBe(topic);
  return error;
}

/**
 * Clients of one cluster for one test file; every client made through it is disconnected after
 * the file's tests.
 */
function useCluster(brokers) {
  const clients = [];
  afterAll(async () => {
    for (const c of clients.reverse()) await c.disconnect();
  });
  const config = (extra) => ({ brokers, clientId: uniqueName('it'), logLevel: 'error', ...extra });
  return {
    brokers,
    service(extra) {
      const s = new KafkaService(config(extra));
      clients.push(s);
      return s;
    },
    admin(extra) {
      const a = new KafkaAdmin(config(extra));
      clients.push(a);
      return a;
    },
    /** Creates a topic of `partitions` partitions (and `spec` settings) with a unique name. */
    async topic(admin, prefix, partitions, spec) {
      const name = uniqueName(prefix);
      await admin.createTopics([{ name, partitions, ...spec }]);
      return name;
    },
  };
}

/**
 * Publishes one message to each of `partitions` partitions of `topic` at a time, until stopped, so
 * every partition always has work. The stop resolves with every acknowledged "partition:offset".
 */
function keepPublishing(producer, topic, partitions) {
  let running = true;
  const acked = [];
  const done = (async () => {
    let i = 0;
    while (running) {
      const batch = [];
      for (let p = 0; p < partitions; p++) batch.push({ partition: p, value: `m-${i++}` });
      for (const r of await producer.publishBatch(topic, batch)) acked.push(`${r.partition}:${r.offset}`);
      await sleep(20);
    }
  })();
  return async () => {
    running = false;
    await done;
    return acked;
  };
}

/** Records what an `eachMessage` handler receives. */
function collector(onMessage) {
  const received = [];
  return {
    received,
    async eachMessage(payload) {
      if (onMessage) await onMessage(payload);
      const { topic, partition, message } = payload;
      received.push({
        topic,
        partition,
        offset: Number(message.offset),
        key: message.key ? message.key.toString() : null,
        value: message.value ? message.value.toString() : null,
        timestamp: Number(message.timestamp),
        headers: message.headers,
      });
    },
    /** Distinct `partition:offset` pairs received. */
    distinct() {
      return new Set(received.map((m) => `${m.partition}:${m.offset}`));
    },
  };
}

module.exports = {
  BROKERS,
  BROKERS_3,
  describeOn,
  uniqueName,
  sleep,
  waitFor,
  expectKafkaError,
  useCluster,
  keepPublishing,
  collector,
};
