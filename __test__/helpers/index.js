'use strict';

// Shared by the Jest files of __test__/: the addon, unique names, polling, error assertions, a
// per-file mock cluster with the services a file created, and a message collector.

const { KafkaService, MockCluster, KafkaNativeError } = require('../../index.js');
const { realCluster, SUBPATHS_BROKERS, mockOnly } = require('./real-cluster');

let sequence = 0;

/** A topic or group name no other test (or earlier run against the same cluster) uses. */
function uniqueName(prefix) {
  sequence += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${sequence}`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` (sync or async) until it returns something truthy, and returns that. Throws
 * after `timeoutMs`, naming `what` (a string, or a function called then, to describe the state
 * the wait ended in).
 */
async function waitFor(condition, timeoutMs = 20000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(25);
  }
}

/** Asserts `error` is a `KafkaNativeError` with this code and well-typed flags; returns it. */
function expectKafkaError(error, code) {
  expect(error).toBeInstanceOf(KafkaNativeError);
  // The addon builds its errors in Node's main realm; Jest runs tests in a realm of their own,
  // where that realm's `Error` is another class. (exit.test.js checks `instanceof Error` in a
  // plain Node process.)
  expect(Object.prototype.toString.call(error)).toBe('[object Error]');
  expect(error.name).toBe('KafkaNativeError');
  expect(error.code).toBe(code);
  expect(typeof error.retriable).toBe('boolean');
  expect(typeof error.fatal).toBe('boolean');
  expect(typeof error.message).toBe('string');
  return error;
}

/**
 * Calls `call` and asserts it returns a Promise (it must not throw synchronously) that rejects
 * with a `KafkaNativeError` of this code; returns the error.
 */
async function expectRejection(call, code) {
  let promise;
  try {
    promise = call();
  } catch (thrown) {
    throw new Error(`expected a rejected Promise, but the call threw synchronously: ${thrown && thrown.code} ${thrown}`, { cause: thrown });
  }
  expect(Object.prototype.toString.call(promise)).toBe('[object Promise]');
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`expected a rejection with ${code}, but the Promise resolved`);
  return expectKafkaError(error, code);
}

/** Asserts `call` throws a `KafkaNativeError` of this code synchronously; returns the error. */
function expectThrow(call, code) {
  let error;
  try {
    call();
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`expected a throw with ${code}, but the call returned`);
  return expectKafkaError(error, code);
}

/**
 * A mock cluster for one test file (or the Apache Kafka of KAFKA_NATIVE_SUBPATHS_BROKERS, see
 * real-cluster.js), and every service the file creates, closed in `afterAll`.
 * Services log to an array instead of stderr (retries and broker faults are expected noise).
 */
function useMockCluster({ brokers = 3 } = {}) {
  const state = { mock: null, services: [], logs: [] };
  beforeAll(() => {
    state.mock = SUBPATHS_BROKERS ? realCluster(SUBPATHS_BROKERS) : MockCluster.start({ brokers });
  });
  afterAll(async () => {
    await Promise.all(state.services.map((s) => s.disconnect({ timeoutMs: 2000 }).catch(() => {})));
    if (state.mock) state.mock.close();
  });
  return {
    get mock() {
      return state.mock;
    },
    get logs() {
      return state.logs;
    },
    /** A new topic of the file's cluster. */
    topic(prefix = 'topic', partitions = 1) {
      const name = uniqueName(prefix);
      state.mock.createTopic(name, partitions, 1);
      return name;
    },
    /** A service on the file's cluster (or `config.brokers`), disconnected after the file. */
    service(config = {}) {
      const service = new KafkaService({
        brokers: state.mock.bootstrapServers,
        logger: (record) => state.logs.push(record),
        ...config,
      });
      state.services.push(service);
      return service;
    },
  };
}

/**
 * An `eachMessage` handler that records what it receives, with an optional `inner(payload)` to
 * run (and await) per message.
 */
function collector(inner) {
  const received = [];
  const eachMessage = async (payload) => {
    received.push({ topic: payload.topic, partition: payload.partition, message: payload.message });
    if (inner) await inner(payload);
  };
  return {
    received,
    eachMessage,
    values: () => received.map((r) => (r.message.value == null ? null : r.message.value.toString())),
    offsets: () => received.map((r) => Number(r.message.offset)),
  };
}

/** Options every test subscription uses: new groups start at the beginning of their topics. */
function subscribeOptions(topics, extra = {}) {
  return {
    groupId: uniqueName('group'),
    topics: Array.isArray(topics) ? topics : [topics],
    fromBeginning: true,
    ...extra,
  };
}

/**
 * The Java client's `Utils.murmur2` (seed 0x9747b28c), which kafkajs' default partitioner also
 * implements: a signed 32-bit hash of the key bytes.
 */
function murmur2(key) {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = Math.floor(length / 4);
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) | ((data[i4 + 1] & 0xff) << 8) | ((data[i4 + 2] & 0xff) << 16) | ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  switch (length % 4) {
    case 3:
      h ^= (data[tail + 2] & 0xff) << 16;
    // falls through
    case 2:
      h ^= (data[tail + 1] & 0xff) << 8;
    // falls through
    case 1:
      h ^= data[tail] & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client (and kafkajs) picks for a non-null key. */
function javaPartition(key, numPartitions) {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}

module.exports = {
  SUBPATHS_BROKERS,
  mockOnly,
  KafkaService,
  MockCluster,
  KafkaNativeError,
  uniqueName,
  sleep,
  waitFor,
  expectKafkaError,
  expectRejection,
  expectThrow,
  useMockCluster,
  collector,
  subscribeOptions,
  murmur2,
  javaPartition,
};
