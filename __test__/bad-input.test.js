'use strict';

// Property tests (fast-check) on everything a caller controls, against the embedded mock cluster:
// configuration maps, topic names, keys, header names, values and counts, values of every type and
// size up to and over message.max.bytes, timestamps, partition numbers, subscribe options and
// handler return values. Every case must end as a success or a typed KafkaNativeError: never a
// crash, a plain Error, a synchronous throw where a Promise is documented, or a Promise that
// does not settle. Memory must stay bounded over the whole run. The case count is printed as
// `BAD-INPUT {json}`; BAD_INPUT_RUNS scales it (default 1).

const fc = require('fast-check');
const { KafkaService, useMockCluster, subscribeOptions, waitFor } = require('./helpers');

jest.setTimeout(300000);

const SCALE = Number(process.env.BAD_INPUT_RUNS || 1);
const runs = (n) => Math.max(1, Math.round(n * SCALE));
const MESSAGE_TIMEOUT_MS = 3000;
/** How long a publish may take to settle: its message timeout, plus slack for a loaded machine. */
const SETTLE_BOUND_MS = MESSAGE_TIMEOUT_MS + 12000;
const MAX_BYTES = 1000000; // librdkafka's message.max.bytes default

const cluster = useMockCluster({ brokers: 1 });
const counts = {};
const codes = {};
const count = (what, n = 1) => {
  counts[what] = (counts[what] || 0) + n;
};
const quiet = () => {};
const rss = { start: 0, end: 0 };

afterAll(() => {
  const total = Object.entries(counts).filter(([k]) => !/-(delivered|accepted|running)$/.test(k)).reduce((a, [, b]) => a + b, 0);
  const mbOf = (n) => Math.round(n / 2 ** 20);
  process.stdout.write(`BAD-INPUT ${JSON.stringify({ cases: total, perProperty: counts, errorCodes: codes, rssStartMb: mbOf(rss.start), rssAfterPropertiesMb: mbOf(rss.end), rssEndMb: mbOf(process.memoryUsage().rss) })}\n`);
});

function isKafkaError(e) {
  return e != null && e.name === 'KafkaNativeError' && typeof e.code === 'string' && e.code.startsWith('ERR_') &&
    typeof e.retriable === 'boolean' && typeof e.fatal === 'boolean' && typeof e.message === 'string';
}

function typed(e, where) {
  if (!isKafkaError(e)) throw new Error(`${where}: expected a KafkaNativeError, got ${e && e.stack ? e.stack : String(e)}`);
  codes[e.code] = (codes[e.code] || 0) + 1;
  return e;
}

/** Resolves with the Promise's outcome, or fails the case if it does not settle in time. */
function settles(promise, where, boundMs = SETTLE_BOUND_MS) {
  let timer;
  const bound = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${where}: did not settle within ${boundMs} ms`)), boundMs);
  });
  return Promise.race([promise.then((value) => ({ value }), (error) => ({ error })), bound]).finally(() => clearTimeout(timer));
}

/** Calls a Promise-returning method: it must not throw synchronously, and must settle typed. */
async function call(fn, where) {
  let promise;
  try {
    promise = fn();
  } catch (e) {
    throw new Error(`${where}: threw synchronously instead of rejecting: ${e && e.stack}`, { cause: e });
  }
  if (Object.prototype.toString.call(promise) !== '[object Promise]') throw new Error(`${where}: did not return a Promise`);
  const outcome = await settles(promise, where);
  if ('error' in outcome) typed(outcome.error, where);
  return outcome;
}

// --- Arbitraries -------------------------------------------------------------------------------

const weirdNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, -0, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, Number.MAX_VALUE, 0.5),
);
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.anything() },
  weirdNumber,
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(Symbol('s')),
  fc.constant(() => 1),
  fc.constant(new Date(NaN)),
  fc.date(),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);

/** Mostly `valid`, sometimes `bad`: enough cases reach librdkafka and the broker. */
const mostly = (valid, bad) => fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: bad });

const bytes = (max) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a.buffer, a.byteOffset, a.length));
const payload = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 4, arbitrary: bytes(300) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
  { weight: 2, arbitrary: anyValue },
  // Around and over message.max.bytes.
  { weight: 1, arbitrary: fc.constantFrom(MAX_BYTES - 2000, MAX_BYTES - 200, MAX_BYTES, MAX_BYTES + 1, 2 * MAX_BYTES).map((n) => Buffer.alloc(n, 0x61)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 200000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => new Uint16Array(a.buffer.slice(0, a.length - (a.length % 2)))) },
);

const headerName = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', '\u0000', 'a\u0000b', '__proto__', 'constructor', 'x'.repeat(5000)));
const validBytes = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), bytes(300), fc.constant(null));
const headerValue = mostly(fc.oneof(validBytes, fc.array(validBytes, { maxLength: 4 })), fc.oneof(payload, fc.array(payload, { maxLength: 4 })));
const headers = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(mostly(fc.string({ maxLength: 20 }), headerName), headerValue, { maxKeys: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`h${i}`, `v${i}`]))) },
  { weight: 1, arbitrary: anyValue },
);

const timestamp = mostly(
  fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 2 ** 42 }), fc.date({ min: new Date(0), max: new Date(2 ** 42), noInvalidDate: true }), fc.constant('1700000000000')),
  fc.oneof(weirdNumber, fc.constant(new Date(NaN)), fc.string({ maxLength: 20 }), fc.constantFrom(null, ' 12 ', '-5'), anyValue),
);
const partition = mostly(fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 3 })), fc.oneof(fc.integer({ min: -3, max: 5 }), weirdNumber, fc.constantFrom(null, '0', 1n), anyValue));

const message = fc.oneof(
  { weight: 8, arbitrary: fc.record({ key: mostly(validBytes, payload), value: mostly(validBytes, payload), headers, timestamp, partition }, { requiredKeys: ['value'] }) },
  { weight: 1, arbitrary: anyValue },
  { weight: 1, arbitrary: fc.record({ key: payload }) },
);

const topicName = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '.', '..', 'x'.repeat(249), 'x'.repeat(250), 'a b', 'ü', '__consumer_offsets') },
  { weight: 1, arbitrary: anyValue },
);

const LIBRDKAFKA_KEYS = [
  'debug', 'socket.timeout.ms', 'message.max.bytes', 'linger.ms', 'batch.num.messages', 'queue.buffering.max.messages',
  'queue.buffering.max.kbytes', 'compression.codec', 'acks', 'enable.idempotence', 'retries', 'retry.backoff.ms',
  'statistics.interval.ms', 'client.rack', 'metadata.max.age.ms', 'topic.metadata.refresh.interval.ms', 'api.version.request',
  'security.protocol', 'sasl.mechanisms', 'sasl.username', 'sasl.password', 'ssl.ca.pem', 'ssl.key.pem', 'ssl.certificate.pem',
  'ssl.endpoint.identification.algorithm', 'partitioner', 'message.timeout.ms', 'request.timeout.ms', 'fetch.wait.max.ms',
  'session.timeout.ms', 'max.poll.interval.ms', 'auto.offset.reset', 'group.id', 'enable.auto.commit', 'bootstrap.servers',
  'reconnect.backoff.ms', 'reconnect.backoff.max.ms', 'log_level', 'log.queue', 'enable.ssl.certificate.verification',
];
const librdkafkaMap = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...LIBRDKAFKA_KEYS), fc.string({ maxLength: 30 })), fc.oneof(fc.string({ maxLength: 30 }), weirdNumber, fc.boolean(), anyValue), { maxKeys: 4 }) },
  { weight: 1, arbitrary: anyValue },
);

const config = (brokers) =>
  fc.record(
    {
      brokers: mostly(fc.constantFrom(brokers, [brokers]), fc.oneof(fc.string({ maxLength: 30 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), anyValue)),
      clientId: mostly(fc.string({ minLength: 1, maxLength: 40 }), fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), anyValue)),
      ssl: mostly(fc.constant(false), fc.oneof(fc.boolean(), fc.record({ ca: fc.oneof(fc.string({ maxLength: 80 }), anyValue), rejectUnauthorized: anyValue }, { requiredKeys: [] }), anyValue)),
      sasl: mostly(fc.constant(undefined), fc.oneof(fc.record({ mechanism: fc.oneof(fc.constantFrom('plain', 'scram-sha-256', 'scram-sha-512', 'gssapi'), anyValue), username: anyValue, password: anyValue }), anyValue)),
      producer: mostly(
        fc.record(
          {
            acks: mostly(fc.constant(-1), fc.oneof(fc.constantFrom(0, 1), anyValue)),
            idempotent: mostly(fc.boolean(), anyValue),
            compression: mostly(fc.constantFrom('none', 'gzip', 'snappy', 'lz4', 'zstd'), fc.oneof(fc.constant('brotli'), anyValue)),
            lingerMs: mostly(fc.integer({ min: 0, max: 100 }), weirdNumber),
            batchSize: mostly(fc.integer({ min: 1, max: 2 ** 20 }), weirdNumber),
            maxInFlight: mostly(fc.integer({ min: 1, max: 5 }), weirdNumber),
            messageTimeoutMs: mostly(fc.integer({ min: 1, max: 60000 }), weirdNumber),
            partitioner: mostly(fc.constantFrom('murmur2_random', 'murmur2', 'random', 'consistent', 'fnv1a'), fc.oneof(fc.constant('x'), anyValue)),
          },
          { requiredKeys: [] },
        ),
        anyValue,
      ),
      connectionTimeoutMs: mostly(fc.integer({ min: 1, max: 60000 }), weirdNumber),
      statisticsIntervalMs: mostly(fc.integer({ min: 0, max: 60000 }), weirdNumber),
      logLevel: mostly(fc.constantFrom('error', 'warn', 'info', 'debug', 'trace'), fc.oneof(fc.constant('loud'), anyValue)),
      librdkafka: librdkafkaMap,
    },
    { requiredKeys: [] },
  );

// --- Properties --------------------------------------------------------------------------------

describe('bad input never crashes, hangs or escapes as an untyped error', () => {
  let service;
  let topic;

  beforeAll(async () => {
    topic = cluster.topic('bad-input', 3);
    service = cluster.service({ producer: { messageTimeoutMs: MESSAGE_TIMEOUT_MS }, logger: quiet });
    await service.publish(topic, { value: 'warm-up' });
    rss.start = process.memoryUsage().rss;
  });

  afterAll(() => {
    rss.end = process.memoryUsage().rss;
  });

  test('configuration: new KafkaService(config) returns a service or throws ERR_INVALID_CONFIG', async () => {
    const brokers0 = cluster.mock.bootstrapServers;
    await fc.assert(
      fc.asyncProperty(config(brokers0), async (c) => {
        count('config');
        let s;
        c.brokers = c.brokers === undefined ? brokers0 : c.brokers;
        try {
          s = new KafkaService({ ...c, logger: quiet });
        } catch (e) {
          expect(typed(e, 'constructor').code).toBe('ERR_INVALID_CONFIG');
          return;
        }
        count('config-accepted');
        expect(s.stats().state).toBe('idle');
        await call(() => s.disconnect({ timeoutMs: 500 }), 'disconnect');
      }),
      { numRuns: runs(400) },
    );
  });

  // Regression: reading the fields of `null` left a plain TypeError pending, which escaped
  // instead of our error.
  test.each(['producer', 'sasl', 'librdkafka'])('configuration: %s: null is ERR_INVALID_CONFIG', (key) => {
    count('config');
    let error;
    try {
      new KafkaService({ brokers: cluster.mock.bootstrapServers, logger: quiet, [key]: null });
    } catch (e) {
      error = e;
    }
    expect(typed(error, 'constructor').code).toBe('ERR_INVALID_CONFIG');
  });

  // Regression: a NUL inside a string setting failed as ERR__FAIL ("FFI nul error").
  test.each([
    ['brokers', { brokers: '\u0000\u0000:4' }],
    ['clientId', { clientId: 'a\u0000b' }],
    ['a librdkafka value', { librdkafka: { 'client.rack': 'r\u0000' } }],
    ['a librdkafka name', { librdkafka: { 'client\u0000.rack': 'r' } }],
    ['the SASL password', { sasl: { mechanism: 'plain', username: 'u', password: 'p\u0000w' } }],
    ['the TLS CA', { ssl: { ca: '\u0000' } }],
  ])('configuration: a NUL in %s is ERR_INVALID_CONFIG', (_, extra) => {
    count('config');
    let error;
    try {
      new KafkaService({ brokers: cluster.mock.bootstrapServers, logger: quiet, ...extra });
    } catch (e) {
      error = e;
    }
    expect(typed(error, 'constructor').code).toBe('ERR_INVALID_CONFIG');
  });

  test('subscribe: a NUL in the groupId is ERR_INVALID_ARG', async () => {
    count('subscribe');
    const { error } = await call(() => service.subscribe({ groupId: 'g\u0000', topics: [topic] }, async () => {}), 'subscribe');
    expect(error.code).toBe('ERR_INVALID_ARG');
  });

  test('configuration: a config that is not an object', () => {
    fc.assert(
      fc.property(anyValue, (c) => {
        count('config-shape');
        if (c !== null && typeof c === 'object' && 'brokers' in c) return;
        let error;
        try {
          new KafkaService(c);
        } catch (e) {
          error = e;
        }
        expect(typed(error, 'constructor').code).toBe('ERR_INVALID_CONFIG');
      }),
      { numRuns: runs(200) },
    );
  });

  test('publish(topic, message) settles as a delivery or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: fc.constant(topic) }, topicName), message, async (t, m) => {
        count('publish');
        const { value } = await call(() => service.publish(t, m), 'publish');
        if (value) {
          count('publish-delivered');
          expect(value.offset).toBeGreaterThanOrEqual(0);
          expect(value.partition).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: runs(600) },
    );
  });

  test('publishBatch settles with one typed slot per message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(topic), topicName), fc.array(message, { maxLength: 20 }), async (t, list) => {
        count('publishBatch');
        const { value } = await call(() => service.publishBatch(t, list), 'publishBatch');
        if (value) {
          // A first argument that is not a string is the records form, `publishBatch(records)`.
          if (typeof t === 'string') expect(value).toHaveLength(list.length);
          for (const slot of value) {
            if (slot.error) {
              typed(slot.error, 'batch slot');
              expect(slot.offset).toBe(-1);
            } else {
              expect(slot.offset).toBeGreaterThanOrEqual(0);
              count('publishBatch-delivered');
            }
          }
        }
      }),
      { numRuns: runs(200) },
    );
  });

  test('publishBatch(records) and publishBatch with arguments of any type', async () => {
    const record = fc.oneof(fc.record({ topic: fc.oneof(fc.constant(topic), topicName), value: payload, key: payload, headers, partition, timestamp }, { requiredKeys: ['topic', 'value'] }), anyValue);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(record, { maxLength: 10 }), anyValue), fc.oneof(fc.constant(undefined), anyValue), async (first, second) => {
        count('publishBatch-args');
        await call(() => service.publishBatch(first, second), 'publishBatch(records)');
      }),
      { numRuns: runs(200) },
    );
  });

  test('subscribe options of any shape: a running subscription or a typed rejection', async () => {
    const size = fc.integer({ min: 1, max: 10000 });
    const options = fc.record(
      {
        groupId: mostly(fc.string({ minLength: 1, maxLength: 30 }), anyValue),
        topics: mostly(fc.constant([topic]), fc.oneof(fc.array(fc.oneof(fc.constant(topic), topicName), { maxLength: 3 }), anyValue)),
        fromBeginning: mostly(fc.boolean(), anyValue),
        fromTimestamp: mostly(fc.constant(undefined), timestamp),
        autoCommit: mostly(fc.boolean(), anyValue),
        concurrency: mostly(size, weirdNumber),
        maxBatchSize: mostly(size, weirdNumber),
        retries: mostly(fc.integer({ min: 0, max: 10 }), weirdNumber),
        retryBackoffMs: mostly(size, weirdNumber),
        maxBufferedMessages: mostly(size, weirdNumber),
        drainTimeoutMs: mostly(fc.integer({ min: 0, max: 2000 }), weirdNumber),
        sessionTimeoutMs: mostly(fc.constantFrom(undefined, 6000, 10000, 45000), weirdNumber),
        onError: mostly(fc.constant(undefined), fc.oneof(fc.constant(() => {}), anyValue)),
      },
      { requiredKeys: ['groupId', 'topics'] },
    );
    const handler = fc.oneof(fc.constant(async () => {}), fc.constant({ eachBatch: async () => {} }), fc.constant({ eachMessage: 1 }), fc.constant({ eachMessage: async () => {}, eachBatch: async () => {} }), anyValue);
    await fc.assert(
      fc.asyncProperty(options, handler, async (o, h) => {
        count('subscribe');
        const { value } = await call(() => service.subscribe(o, h), 'subscribe');
        if (value) {
          count('subscribe-running');
          await call(() => value.stop(), 'stop');
        }
      }),
      { numRuns: runs(120) },
    );
  });

  test('memory stays bounded over every case above', () => {
    const growthMb = (process.memoryUsage().rss - rss.start) / 2 ** 20;
    // Over a thousand cases, many of them megabyte payloads: a leak of one payload per case would
    // be gigabytes.
    expect(growthMb).toBeLessThan(400);
  });
});

describe('handler return values', () => {
  // What a handler does with a message, and whether the message then counts as processed.
  const outcomes = fc.oneof(
    fc.record({ kind: fc.constant('return'), value: anyValue }),
    fc.record({ kind: fc.constant('resolve'), value: anyValue }),
    fc.record({ kind: fc.constant('thenable'), value: anyValue }),
    fc.record({ kind: fc.constant('throw'), value: anyValue }),
    fc.record({ kind: fc.constant('reject'), value: anyValue }),
  );
  const act = (o) => {
    switch (o.kind) {
      case 'return':
        return o.value;
      case 'resolve':
        return Promise.resolve(o.value);
      case 'thenable':
        return { then: (resolve) => resolve(o.value) };
      case 'throw':
        throw o.value;
      default:
        return Promise.reject(o.value);
    }
  };
  const fails = (o) => o.kind === 'throw' || o.kind === 'reject';

  test('success is processed and committed; a throw or rejection of any value retries, then onError', async () => {
    const s = cluster.service({ logger: quiet });
    await fc.assert(
      fc.asyncProperty(outcomes, fc.boolean(), async (o, batch) => {
        count('handler');
        const t = cluster.topic('handler', 1);
        await s.publishBatch(t, [{ value: 'a' }, { value: 'b' }]);
        let calls = 0;
        let failure;
        const fn = () => {
          calls += 1;
          return act(o);
        };
        const sub = await s.subscribe(
          subscribeOptions(t, { retries: 2, retryBackoffMs: 1, onError: (e) => (failure = e) }),
          batch ? { eachBatch: fn } : { eachMessage: fn },
        );
        try {
          if (fails(o)) {
            await waitFor(() => failure, 20000, 'onError');
            typed(failure, 'onError');
            expect(failure.code).toBe('ERR_HANDLER_FAILED');
            expect(calls).toBe(3); // the first attempt and 2 retries of the first message
            expect(sub.running).toBe(false);
          } else {
            await waitFor(() => calls >= (batch ? 1 : 2), 20000, 'every message handled');
            await sub.commit();
            expect(sub.running).toBe(true);
            expect(failure).toBeUndefined();
          }
        } finally {
          await settles(sub.stop(), 'stop');
        }
      }),
      { numRuns: runs(20) },
    );
    // Each case joins a group on the mock cluster (about 3 s).
  }, 60000 + runs(20) * 10000);

  // Regression: a handler that threw `undefined` (or rejected with a value JSON cannot describe)
  // was taken for one that processed part of its batch without error, and its message was
  // delivered again at once, forever, with no backoff and no onError.
  test.each([
    ['throws undefined', () => {
      throw undefined;
    }],
    ['rejects with nothing', () => Promise.reject()],
    ['rejects with a Symbol', () => Promise.reject(Symbol('no'))],
    ['rejects with a function', () => Promise.reject(() => {})],
    ['throws an object whose toString throws', () => {
      throw { toJSON() { throw new Error('x'); }, toString() { throw new Error('y'); } };
    }],
  ])('a handler that %s is retried, then onError', async (_, fn) => {
    count('handler');
    const s = cluster.service({ logger: quiet });
    const t = cluster.topic('undescribable', 1);
    await s.publish(t, { value: 'a' });
    let calls = 0;
    let failure;
    const sub = await s.subscribe(subscribeOptions(t, { retries: 2, retryBackoffMs: 1, onError: (e) => (failure = e) }), () => {
      calls += 1;
      return fn();
    });
    await waitFor(() => failure, 20000, 'onError');
    expect(typed(failure, 'onError').code).toBe('ERR_HANDLER_FAILED');
    expect(calls).toBe(3);
    await settles(sub.stop(), 'stop');
  });

  test('a handler that never resolves blocks only its partition; stop() returns after drainTimeoutMs', async () => {
    count('never-resolving');
    const s = cluster.service({ logger: quiet });
    const t = cluster.topic('stuck', 2);
    await s.publishBatch(t, [{ value: 'stuck', partition: 0 }, { value: 'p1-a', partition: 1 }]);
    const seen = [];
    const sub = await s.subscribe(subscribeOptions(t, { concurrency: 2, drainTimeoutMs: 1000 }), {
      eachMessage: ({ partition, message }) => {
        seen.push(`${partition}:${message.value}`);
        return partition === 0 ? new Promise(() => {}) : undefined;
      },
    });
    await waitFor(() => seen.includes('1:p1-a') && seen.includes('0:stuck'), 20000, 'both partitions delivered');
    // Partition 1 keeps flowing while partition 0's handler hangs.
    await s.publishBatch(t, [{ value: 'p0-b', partition: 0 }, { value: 'p1-b', partition: 1 }]);
    await waitFor(() => seen.includes('1:p1-b'), 20000, 'partition 1 to keep flowing');
    expect(seen).not.toContain('0:p0-b');
    expect(sub.running).toBe(true);
    await settles(sub.stop(), 'stop with a stuck handler', 10000);
    expect(sub.running).toBe(false);
  });
});
