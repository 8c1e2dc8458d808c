'use strict';

// A schema'd publishBatch crosses its values as one JSON array text (stringified in runs of
// values, written back to back), and the engine finds each element's text
// (src/engine/schema/json_array.rs); a value whose own text could differ (one with toJSON, one
// that stringifies to nothing) is stringified alone, and when a run's stringify throws, every
// value is. Either way the text encoded must be what
// JSON.stringify of the value gives: a JSON Schema value's body is that text itself, so each
// published body is compared byte for byte with JSON.stringify of the value.

const { registry } = require('./helpers');
const { useMockCluster, subscribeOptions, waitFor, expectRejection } = require('../helpers');

jest.setTimeout(60000);

const cluster = useMockCluster({ brokers: 1 });

/** A generator of pseudo-random numbers in [0, 1), the same for the same seed. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// (No lone surrogates: JSON.stringify escapes them, and the engine's JSON parser refuses the
// escape on either path.)
const STRINGS = ['', 'job-1', 'é', 'naïve ✓', '"quoted" \\ back', 'line\nbreak\ttab\u0001\u001f\u007f', '\ud83d\ude80 rocket', '\u2028\u2029', 'ÿ'.repeat(40)];
const NUMBERS = [0, -0, 1, -1, 42, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 60, 1e21, 1e-7, 1.5e-7, 0.1, -2.25, 123456.789, 5e-324, 1.7976931348623157e308, NaN, Infinity, -Infinity];

/** A random value of plain data, nesting at most `depth` more levels. */
function plainValue(next, depth) {
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const kind = depth <= 0 ? Math.floor(next() * 5) : Math.floor(next() * 8);
  switch (kind) {
    case 0:
      return pick(STRINGS) + (next() < 0.5 ? String(Math.floor(next() * 1000)) : '');
    case 1:
      return next() < 0.5 ? pick(NUMBERS) : (next() - 0.5) * 10 ** Math.floor(next() * 30 - 10);
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return Math.floor(next() * 2 ** 31) * (next() < 0.5 ? -1 : 1);
    case 5: {
      const a = Array.from({ length: Math.floor(next() * 5) }, () => plainValue(next, depth - 1));
      if (next() < 0.2) a.push(undefined);
      if (next() < 0.15) a[a.length + 2] = 'after holes';
      if (next() < 0.1) a.named = 'left out by JSON';
      return a;
    }
    default: {
      const o = next() < 0.1 ? Object.create(null) : {};
      const n = Math.floor(next() * 6);
      for (let i = 0; i < n; i++) {
        const key = next() < 0.2 ? String(Math.floor(next() * 10)) : `${pick(STRINGS)}k${i}`;
        o[key] = next() < 0.1 ? undefined : plainValue(next, depth - 1);
      }
      return o;
    }
  }
}

/** A connected service, and the id of a JSON Schema that takes any value. */
async function setUp() {
  const s = cluster.service();
  const r = registry();
  s.useSchemaRegistry(r);
  await s.connect();
  const topic = cluster.topic('array-text');
  const id = await r.register(`${topic}-value`, JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#' }), 'JSON');
  return { s, topic, id };
}

/** The bodies (after the 5-byte frame) of the first `n` messages of `topic`, by key. */
async function bodies(s, topic, n) {
  const got = new Map();
  const sub = await s.subscribe(subscribeOptions(topic), async ({ message }) => {
    got.set(message.key.toString(), message.value.subarray(5).toString());
  });
  await waitFor(() => got.size === n);
  await sub.stop();
  return got;
}

test('random plain values are encoded as exactly the text JSON.stringify gives', async () => {
  const { s, topic, id } = await setUp();
  const next = random(20261205);
  const values = Array.from({ length: 400 }, () => plainValue(next, 4));
  const shared = { shared: ['by', 'several'], n: 1 };
  values.push({ a: shared, b: shared }, { again: shared }, [shared, [shared]]);
  const results = await s.publishBatch(
    topic,
    values.map((value, i) => ({ key: String(i), value })),
    { schema: { id } },
  );
  expect(results.filter((r) => r.error)).toEqual([]);
  const got = await bodies(s, topic, values.length);
  values.forEach((value, i) => expect([i, got.get(String(i))]).toEqual([i, JSON.stringify(value)]));
});

class Money {
  constructor(cents) {
    this.cents = cents;
  }
  toJSON(key) {
    return `${this.cents / 100} EUR${key}`;
  }
}

test('values of every kind, messages crossing as objects between them, each as its own JSON.stringify gives it', async () => {
  const { s, topic, id } = await setUp();
  const values = [
    { at: new Date(Date.UTC(2026, 11, 5)), plain: 1 },
    { price: new Money(1250) },
    new Money(99),
    { map: new Map([['a', 1]]), set: new Set([1]) },
    { buffer: Buffer.from('hi'), bytes: new Uint8Array([1, 2]) },
    { boxed: new String('s'), n: new Number(3) },
    { toJSON: () => ({ replaced: true }) },
    { deep: JSON.parse(`${'['.repeat(40)}1${']'.repeat(40)}`) },
    { skipped: () => 1, kept: 'yes' },
    new Date(0),
    'a plain string, "quoted", with ] and , inside',
    42,
    false,
    null,
    [1, { x: new Date(1) }],
    new Proxy({ inner: 'proxied' }, {}),
  ];
  const messages = values.map((value, i) => (i % 3 === 1 ? { key: String(i), value, headers: { h: 'crosses as an object' } } : { key: String(i), value }));
  const results = await s.publishBatch(topic, messages, { schema: { id } });
  expect(results.filter((r) => r.error)).toEqual([]);
  const got = await bodies(s, topic, values.length);
  values.forEach((value, i) => expect([i, got.get(String(i))]).toEqual([i, JSON.stringify(value)]));
});

test('when the array cannot be stringified, each value is stringified alone', async () => {
  const { s, topic, id } = await setUp();
  let reads = 0;
  const counted = {
    get n() {
      reads++;
      return 7;
    },
  };
  const results = await s.publishBatch(
    topic,
    [
      { key: '0', value: counted },
      { key: '1', value: { big: 10n } },
      { key: '2', value: { after: 1 } },
      { key: '3', value: 'last' },
    ],
    { schema: { id } },
  );
  expect(results.map((r) => r.error && r.error.code)).toEqual([undefined, 'ERR_INVALID_ARG', undefined, undefined]);
  const got = await bodies(s, topic, 3);
  expect([...got.entries()].sort()).toEqual([
    ['0', '{"n":7}'],
    ['2', '{"after":1}'],
    ['3', '"last"'],
  ]);
  // A getter runs again when its value is stringified alone: once in the array's stringify (which
  // threw after it), once on its own.
  expect(reads).toBe(2);
});

test('values stringified in runs of any size join into one array text, and a throw in a later run falls back', async () => {
  const { s, topic, id } = await setUp();
  // Small values, then values of 40 KiB each (a run of one), then small ones again; the
  // runs' texts are written back to back into one array text.
  const sized = (i) => (i >= 100 && i < 110 ? { big: `${i}`.padEnd(40 * 1024, 'x') } : { small: i, s: `é${i}` });
  const values = Array.from({ length: 300 }, (_, i) => sized(i));
  const results = await s.publishBatch(topic, values.map((value, i) => ({ key: String(i), value })), { schema: { id } });
  expect(results.filter((r) => r.error)).toEqual([]);
  const got = await bodies(s, topic, values.length);
  values.forEach((value, i) => expect([i, got.get(String(i))]).toEqual([i, JSON.stringify(value)]));

  // A BigInt well after the first run: the runs before it were written, then each value is
  // stringified alone, and only the BigInt's slot fails.
  const other = cluster.topic('array-text-runs');
  const mixed = Array.from({ length: 200 }, (_, i) => (i === 150 ? { big: 1n } : { i }));
  const mixedResults = await s.publishBatch(other, mixed.map((value, i) => ({ key: String(i), value })), { schema: { id } });
  expect(mixedResults.map((r, i) => [i, r.error && r.error.code]).filter(([, code]) => code)).toEqual([[150, 'ERR_INVALID_ARG']]);
  const mixedGot = await bodies(s, other, 199);
  mixed.forEach((value, i) => {
    if (i !== 150) expect([i, mixedGot.get(String(i))]).toEqual([i, JSON.stringify(value)]);
  });
});

test('a single schema\'d publish and a batch keyed by strategy read the same text', async () => {
  const { s, topic, id } = await setUp();
  const one = await s.publish(topic, { key: 'single', value: { tenantId: 't-1', text: 'x,"]' } }, { schema: { id } });
  expect(one.offset).toBeGreaterThanOrEqual(0);
  const keyed = await s.publishBatch(
    topic,
    [{ value: { tenantId: 'tenant-a', i: 0 } }, { value: { other: 1 } }, { value: { i: 2, tenantId: 'tenant-b' } }],
    { schema: { id }, strategy: 'tenant_id' },
  );
  expect(keyed.map((r) => r.error && r.error.code)).toEqual([undefined, 'ERR_INVALID_ARG', undefined]);
  const got = await bodies(s, topic, 3);
  expect([...got.entries()].sort()).toEqual([
    ['single', '{"tenantId":"t-1","text":"x,\\"]"}'],
    ['tenant-a', '{"tenantId":"tenant-a","i":0}'],
    ['tenant-b', '{"i":2,"tenantId":"tenant-b"}'],
  ]);
});

test('values with no JSON form fail their slot alone, as with JSON.stringify', async () => {
  const { s, topic, id } = await setUp();
  const cyclic = { name: 'loop' };
  cyclic.self = cyclic;
  const results = await s.publishBatch(
    topic,
    [
      { key: '0', value: { ok: 0 } },
      { key: '1', value: cyclic },
      { key: '2', value: { big: 10n } },
      { key: '3', value: undefined },
      { key: '4', value: { ok: 4 } },
    ],
    { schema: { id } },
  );
  expect(results.map((r) => r.error && r.error.code)).toEqual([undefined, 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', undefined]);
  await expectRejection(() => s.publish(topic, { key: 'x', value: cyclic }, { schema: { id } }), 'ERR_INVALID_ARG');
  const got = await bodies(s, topic, 2);
  expect([...got.entries()].sort()).toEqual([
    ['0', '{"ok":0}'],
    ['4', '{"ok":4}'],
  ]);
});
