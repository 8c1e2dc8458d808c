'use strict';

// Schema'd publish and decoding subscriptions on the mock cluster, through the real registry:
// round trips (Avro and JSON Schema), per-slot errors, evolution with a pinned reader schema, and
// undecodable messages on the failure path with their bytes intact (dead letters: dead-letters.test.js).

const { registry, subject, avro, jsonSchema, samples } = require('./helpers');
const { useMockCluster, subscribeOptions, waitFor, expectRejection, expectKafkaError, javaPartition } = require('../helpers');

jest.setTimeout(60000);

const cluster = useMockCluster({ brokers: 1 });

/** A connected service using a fresh registry client. */
async function service() {
  const s = cluster.service();
  const r = registry();
  s.useSchemaRegistry(r);
  await s.connect();
  return { s, r };
}

/** Subscribes with `decode` and collects `[decoded, schemaId]` per message. */
async function decodeAll(s, topic, extra = {}) {
  const got = [];
  const sub = await s.subscribe(subscribeOptions(topic, { decode: true, ...extra }), async ({ message }) => {
    got.push({ decoded: message.decoded, schemaId: message.schemaId, value: message.value });
  });
  return { got, sub };
}

test('every shipped Avro schema round-trips through publishBatch and a decoding subscription', async () => {
  const { s, r } = await service();
  for (const name of Object.keys(avro)) {
    const topic = cluster.topic(name);
    const id = await r.register(`${topic}-value`, avro[name]);
    const results = await s.publishBatch(topic, [{ key: 'k', value: samples[name] }], { schema: { subject: `${topic}-value` } });
    expect(results[0].error).toBeUndefined();
    const { got, sub } = await decodeAll(s, topic);
    await waitFor(() => got.length === 1);
    await sub.stop();
    expect(got[0].decoded).toEqual(samples[name]);
    expect(got[0].schemaId).toBe(id);
    expect(got[0].value.readUInt8(0)).toBe(0);
    expect(got[0].value.readUInt32BE(1)).toBe(id);
  }
});

test('JSON Schema values are validated, framed and decoded', async () => {
  const { s, r } = await service();
  const topic = cluster.topic('json');
  const id = await r.register(`${topic}-value`, jsonSchema['element-telemetry'], 'JSON');
  await s.publish(topic, { value: samples['element-telemetry'] }, { schema: { id } });
  const bad = { ...samples['element-telemetry'], metrics: { ...samples['element-telemetry'].metrics, rfiLevel: 'loud' } };
  const e = await expectRejection(() => s.publish(topic, { value: bad }, { schema: { id } }), 'ERR_SCHEMA_VALIDATION');
  expect(e.path).toBe('/metrics/rfiLevel');
  const { got, sub } = await decodeAll(s, topic);
  await waitFor(() => got.length === 1);
  await sub.stop();
  expect(got[0]).toMatchObject({ decoded: samples['element-telemetry'], schemaId: id });
});

test('a value that does not match fails its own slot with the field path; the others are delivered', async () => {
  const { s, r } = await service();
  const topic = cluster.topic('slots');
  const id = await r.register(`${topic}-value`, avro['job-metrics']);
  const ok = samples['job-metrics'];
  const results = await s.publishBatch(
    topic,
    [{ value: ok }, { value: { ...ok, cpu: 'high' } }, { value: { cpu: 1 } }, { value: ok }],
    { schema: { subject: `${topic}-value`, version: 1 } },
  );
  expect(results.map((x) => x.error && x.error.code)).toEqual([undefined, 'ERR_SCHEMA_VALIDATION', 'ERR_SCHEMA_VALIDATION', undefined]);
  expect(results[1].error.path).toBe('/cpu');
  expect(results[2].error.path).toBe('/job_id');
  expect(results[0].offset).toBeGreaterThanOrEqual(0);
  expect(results[3].offset).toBe(results[0].offset + 1);
  const records = await s.publishBatch([{ topic, value: ok }], { schema: { id } });
  expect(records[0].error).toBeUndefined();
});

test('schema references that do not resolve reject with typed errors', async () => {
  const { s } = await service();
  const topic = cluster.topic('refs');
  await expectRejection(() => s.publish(topic, { value: {} }, { schema: { subject: subject('nobody') } }), 'ERR_SCHEMA_NOT_FOUND');
  await expectRejection(() => s.publish(topic, { value: {} }, { schema: { id: 2147483000 } }), 'ERR_SCHEMA_NOT_FOUND');
  await expectRejection(() => s.publish(topic, { value: {} }, { schema: {} }), 'ERR_INVALID_ARG');
  await expectRejection(() => s.publish(topic, { value: () => 1 }, { schema: { id: 1 } }), 'ERR_INVALID_ARG');
  const plain = cluster.service();
  await expectRejection(() => plain.publish(topic, { value: {} }, { schema: { id: 1 } }), 'ERR_INVALID_ARG');
});

test('evolution under BACKWARD: v1 values read with a pinned v2 reader, v2 values read as written', async () => {
  const { s, r } = await service();
  const topic = cluster.topic('evolve');
  const subj = `${topic}-value`;
  const v1 = { type: 'record', name: 'Reading', fields: [{ name: 'id', type: 'string' }, { name: 'legacy', type: 'int' }] };
  const v2 = { type: 'record', name: 'Reading', fields: [{ name: 'id', type: 'string' }, { name: 'unit', type: 'string', default: 'dBm' }] };
  await r.register(subj, JSON.stringify(v1));
  await r.setCompatibility('BACKWARD', subj);
  expect(await r.isCompatible(subj, JSON.stringify(v2))).toBe(true);
  const id2 = await r.register(subj, JSON.stringify(v2));
  await s.publish(topic, { value: { id: 'a', legacy: 7 } }, { schema: { subject: subj, version: 1 } });
  await s.publish(topic, { value: { id: 'b', unit: 'W' } }, { schema: { subject: subj, version: 2 } });
  const pinned = await decodeAll(s, topic, { decode: { readerSchema: JSON.stringify(v2) } });
  await waitFor(() => pinned.got.length === 2);
  await pinned.sub.stop();
  expect(pinned.got.map((g) => g.decoded)).toEqual([{ id: 'a', unit: 'dBm' }, { id: 'b', unit: 'W' }]);
  const asWritten = await decodeAll(s, topic);
  await waitFor(() => asWritten.got.length === 2);
  await asWritten.sub.stop();
  expect(asWritten.got.map((g) => g.decoded)).toEqual([{ id: 'a', legacy: 7 }, { id: 'b', unit: 'W' }]);
  expect(asWritten.got[1].schemaId).toBe(id2);
  // And back: a v2 value read with the v1 reader has no 'legacy' to fill: a decode failure.
  const r2 = await r.decode(await r.encode({ subject: subj, version: 2 }, { id: 'c' }), { readerSchema: JSON.stringify(v1) }).catch((e) => e);
  expect(r2.code).toBe('ERR_SCHEMA_DECODE');
});

test('an undecodable message goes to onError at once (not retriable), with its bytes intact, and is not skipped', async () => {
  const { s, r } = await service();
  const topic = cluster.topic('undecodable');
  await r.register(`${topic}-value`, avro['system-health']);
  await s.publish(topic, { value: samples['system-health'] }, { schema: { subject: `${topic}-value` } });
  const garbage = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]);
  await s.publish(topic, { value: garbage });
  await s.publish(topic, { value: samples['system-health'] }, { schema: { subject: `${topic}-value` } });
  const errors = [];
  const got = [];
  const options = subscribeOptions(topic, { decode: true, retries: 2, retryBackoffMs: 10, onError: (e) => errors.push(e) });
  await s.subscribe(options, async ({ message }) => got.push(message));
  await waitFor(() => errors.length === 1);
  // An unknown schema id: retrying cannot fix the bytes, so no in-place retry either.
  expect(errors[0]).toMatchObject({ code: 'ERR_SCHEMA_NOT_FOUND', retriable: false, topic, partition: 0 });
  expect(s.stats().consumer.handlerFailures).toBe(1);
  expect(got).toHaveLength(1);
  // The raw bytes are still there for a plain consumer of the same group position.
  const raw = [];
  const plain = await s.subscribe(subscribeOptions(topic), async ({ message }) => raw.push(message.value));
  await waitFor(() => raw.length === 3);
  await plain.stop();
  expect(raw[1].equals(garbage)).toBe(true);
});

test('eachBatch handlers get the decodable prefix, then the batch fails at the undecodable message', async () => {
  const { s, r } = await service();
  const topic = cluster.topic('batch');
  await r.register(`${topic}-value`, avro['job-metrics']);
  await s.publishBatch(topic, [{ value: samples['job-metrics'] }, { value: samples['job-metrics'] }], { schema: { subject: `${topic}-value` } });
  await s.publish(topic, { value: Buffer.from('{"not":"framed"}') });
  const seen = [];
  const errors = [];
  await s.subscribe(subscribeOptions(topic, { decode: true, retries: 1, retryBackoffMs: 10, onError: (e) => errors.push(e) }), {
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) seen.push(m.decoded);
    },
  });
  await waitFor(() => errors.length === 1);
  expect(errors[0]).toMatchObject({ code: 'ERR_SCHEMA_DECODE', retriable: false });
  expect(seen.length).toBeGreaterThanOrEqual(2);
  expect(seen.every((v) => v && v.job_id === 'job-1')).toBe(true);
});

test('a named partition strategy keys schema\'d values by their fields before encoding', async () => {
  const { s, r } = await service();
  const topic = cluster.topic('strategy', 8);
  const schema = JSON.stringify({ type: 'object', properties: { conversationId: { type: 'string' } }, required: ['conversationId'] });
  const id = await r.register(`${topic}-value`, schema, 'JSON');
  const one = await s.publish(topic, { value: { conversationId: 'conv-7' } }, { schema: { id }, strategy: 'conversation_id' });
  expect(one.partition).toBe(javaPartition('conv-7', 8));
  const results = await s.publishBatch(
    topic,
    [{ value: { conversationId: 'conv-1' } }, { value: { conversationId: 'conv-2' }, headers: { userId: 'u-2' } }],
    { schema: { id }, strategy: 'user_id' },
  );
  expectKafkaError(results[0].error, 'ERR_INVALID_ARG');
  expect(results[0].error.retriable).toBe(false);
  expect(results[1].error).toBeUndefined();
  expect(results[1].partition).toBe(javaPartition('u-2', 8));
});

test('schema\'d publishes issued together are queued in call order, whichever encodes first', async () => {
  const { s, r } = await service();
  const topic = cluster.topic('order');
  const id = await r.register(`${topic}-value`, avro['job-lifecycle']);
  const value = (i) => ({ ...samples['job-lifecycle'], payload: { ...samples['job-lifecycle'].payload, details: { seq: String(i) } } });
  // The first call names the subject (a registry round trip the later calls, by id, skip), and a
  // batch sits in the middle: without ordering, the later calls would overtake it.
  const calls = [s.publish(topic, { key: 'job-1', value: value(0) }, { schema: { subject: `${topic}-value` } })];
  for (let i = 1; i < 300; i++) {
    if (i === 150) {
      calls.push(s.publishBatch(topic, [150, 151, 152].map((n) => ({ key: 'job-1', value: value(n) })), { schema: { id } }));
      i = 152;
    } else {
      calls.push(s.publish(topic, { key: 'job-1', value: value(i) }, { schema: { id } }));
    }
  }
  await Promise.all(calls);
  const { got, sub } = await decodeAll(s, topic);
  await waitFor(() => got.length === 300);
  await sub.stop();
  expect(got.map((m) => Number(m.decoded.payload.details.seq))).toEqual(Array.from({ length: 300 }, (_, i) => i));
});

test('one schema\'d batch mixes packed messages and messages with headers or a timestamp; each value is what JSON.stringify gives', async () => {
  const { s, r } = await service();
  const topic = cluster.topic('mixed');
  const id = await r.register(`${topic}-value`, avro['job-metrics']);
  const ok = samples['job-metrics'];
  const results = await s.publishBatch(
    topic,
    [
      { key: 'a', value: ok },
      { key: Buffer.from('b'), value: ok, headers: { h: 'x' } },
      { key: 'c', value: { toJSON: () => ok } },
      { key: 'd', value: 10n },
      { key: 'e', value: undefined },
      { key: 'f', value: ok, timestamp: 1700000000000 },
      { key: 'g', value: { ...ok, job_id: 'jöb ✓ \u0001 "quoted"' } },
    ],
    { schema: { id } },
  );
  expect(results.map((x) => x.error && x.error.code)).toEqual([undefined, undefined, undefined, 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', undefined, undefined]);
  expect(results.filter((x) => !x.error).every((x) => x.topic === topic && x.offset >= 0)).toBe(true);
  // A single publish of a value with no JSON form rejects alone.
  await expectRejection(() => s.publish(topic, { value: 10n }, { schema: { id } }), 'ERR_INVALID_ARG');
  const got = [];
  const sub = await s.subscribe(subscribeOptions(topic, { decode: true }), async ({ message }) => {
    got.push({ key: message.key.toString(), decoded: message.decoded, headers: message.headers, timestamp: message.timestamp });
  });
  await waitFor(() => got.length === 5);
  await sub.stop();
  expect(got.map((m) => m.key)).toEqual(['a', 'b', 'c', 'f', 'g']);
  for (const m of got.slice(0, 4)) expect(m.decoded).toEqual(ok);
  expect(got[1].headers.h.toString()).toBe('x');
  expect(Number(got[3].timestamp)).toBe(1700000000000);
  expect(got[4].decoded).toEqual({ ...ok, job_id: 'jöb ✓ \u0001 "quoted"' });
});
