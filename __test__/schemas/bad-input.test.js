'use strict';

// Property tests of bad input against the real registry: random objects against each shipped
// schema, wrong types, missing fields, unknown ids, truncated and garbage frames. Each call ends
// in a success or a typed error; nothing hangs (every call is awaited within the test's timeout).

const fc = require('fast-check');
const { registry, avro, samples } = require('./helpers');
const { KafkaNativeError } = require('../../index.js');
const { uniqueName } = require('../helpers');

jest.setTimeout(120000);

const TYPED = new Set(['ERR_SCHEMA_VALIDATION', 'ERR_SCHEMA_DECODE', 'ERR_SCHEMA_NOT_FOUND', 'ERR_INVALID_ARG']);

/** Runs `call`; asserts it resolves or rejects with one of the typed codes. */
async function typedOrOk(call) {
  try {
    return { ok: true, value: await call() };
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaNativeError);
    expect(TYPED.has(e.code)).toBe(true);
    return { ok: false, error: e };
  }
}

const r = registry();
const ids = {};
beforeAll(async () => {
  for (const name of Object.keys(avro)) ids[name] = await r.register(`${uniqueName(name)}-value`, avro[name]);
});

test.each(Object.keys(avro))('%s: random values encode or fail typed; what encodes decodes to itself', async (name) => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.anything(), fc.jsonValue(), fc.object()), async (value) => {
      const out = await typedOrOk(() => r.encode({ id: ids[name] }, value));
      if (out.ok) {
        const back = await r.decode(out.value);
        expect(back.schemaId).toBe(ids[name]);
        await r.encode({ id: ids[name] }, back.value); // a decoded value is valid again
      }
    }),
    { numRuns: 60 },
  );
});

test.each(Object.keys(avro))('%s: a sample with one field mistyped or removed fails with that field\'s path', async (name) => {
  const sample = samples[name];
  const fields = JSON.parse(avro[name]).fields;
  for (const f of fields) {
    const wrong = { ...sample, [f.name]: typeof sample[f.name] === 'number' ? 'x' : 12345 };
    const out = await typedOrOk(() => r.encode({ id: ids[name] }, wrong));
    if (!out.ok) {
      expect(out.error.code).toBe('ERR_SCHEMA_VALIDATION');
      expect(out.error.path.startsWith(`/${f.name}`)).toBe(true);
    }
    const missing = { ...sample };
    delete missing[f.name];
    const out2 = await typedOrOk(() => r.encode({ id: ids[name] }, missing));
    if (f.default === undefined) {
      expect(out2.ok).toBe(false);
      expect(out2.error.path).toBe(`/${f.name}`);
    } else {
      expect(out2.ok).toBe(true);
    }
  }
});

test('truncated, extended and garbage frames decode or fail typed', async () => {
  const frames = await Promise.all(Object.keys(avro).map((n) => r.encode({ id: ids[n] }, samples[n])));
  for (const frame of frames) {
    for (let cut = 0; cut < frame.length; cut++) {
      const out = await typedOrOk(() => r.decode(frame.subarray(0, cut)));
      expect(out.ok).toBe(false);
    }
    const out = await typedOrOk(() => r.decode(Buffer.concat([frame, Buffer.from([7])])));
    expect(out.ok).toBe(false);
  }
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...Object.values(ids)), async (bytes, id) => {
      const frame = Buffer.concat([Buffer.from([0, id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), Buffer.from(bytes)]);
      await typedOrOk(() => r.decode(frame));
      await typedOrOk(() => r.decode(Buffer.from(bytes)));
    }),
    { numRuns: 200 },
  );
});

test('unknown ids fail with ERR_SCHEMA_NOT_FOUND, on encode and on decode', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1000000, max: 2147483647 }), async (id) => {
      const a = await typedOrOk(() => r.encode({ id }, {}));
      expect(a.error.code).toBe('ERR_SCHEMA_NOT_FOUND');
      const frame = Buffer.from([0, id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255, 0]);
      const b = await typedOrOk(() => r.decode(frame));
      expect(b.error.code).toBe('ERR_SCHEMA_NOT_FOUND');
    }),
    { numRuns: 10 },
  );
});
