'use strict';

// Interop with @kafkajs/confluent-schema-registry (avsc) through the mock cluster and the real
// registry, both ways, for every shipped schema: what kafka-native publishes the other client
// decodes, and what the other client encodes a kafka-native subscription decodes.

const { SchemaRegistry: ConfluentRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const { url, registry, avro, jsonSchema, samples } = require('./helpers');
const { useMockCluster, subscribeOptions, waitFor } = require('../helpers');

jest.setTimeout(60000);

const cluster = useMockCluster({ brokers: 1 });
const other = new ConfluentRegistry({ host: url });

async function service() {
  const s = cluster.service();
  s.useSchemaRegistry(registry());
  await s.connect();
  return s;
}

/** Every message of `topic`, raw, then decoded by kafka-native. */
async function consume(s, topic, n) {
  const got = [];
  const sub = await s.subscribe(subscribeOptions(topic, { decode: true }), async ({ message }) => got.push(message));
  await waitFor(() => got.length === n);
  await sub.stop();
  return got;
}

test.each(Object.keys(avro))('%s: kafka-native encodes, @kafkajs/confluent-schema-registry decodes, and back', async (name) => {
  const s = await service();
  const topic = cluster.topic(name);
  const subj = `${topic}-value`;
  const { id } = await other.register({ type: SchemaType.AVRO, schema: avro[name] }, { subject: subj });
  // kafka-native -> other
  await s.publish(topic, { value: samples[name] }, { schema: { subject: subj } });
  // other -> kafka-native
  await s.publish(topic, { value: await other.encode(id, samples[name]) });
  const got = await consume(s, topic, 2);
  expect(await other.decode(got[0].value)).toEqual(samples[name]);
  expect(got[1].decoded).toEqual(samples[name]);
  expect(got[0].value.equals(got[1].value)).toBe(true); // byte-identical encodings
});

test('JSON Schema: both ways for the telemetry schema', async () => {
  const s = await service();
  const topic = cluster.topic('json-interop');
  const { id } = await other.register({ type: SchemaType.JSON, schema: jsonSchema['element-telemetry'] }, { subject: `${topic}-value` });
  await s.publish(topic, { value: samples['element-telemetry'] }, { schema: { id } });
  await s.publish(topic, { value: await other.encode(id, samples['element-telemetry']) });
  const got = await consume(s, topic, 2);
  expect(await other.decode(got[0].value)).toEqual(samples['element-telemetry']);
  expect(got[1].decoded).toEqual(samples['element-telemetry']);
});

test('optional fields left out take their defaults on both sides', async () => {
  const s = await service();
  const topic = cluster.topic('defaults');
  const { id } = await other.register({ type: SchemaType.AVRO, schema: avro['job-metrics'] }, { subject: `${topic}-value` });
  const minimal = { job_id: 'j', cpu: 0.5 };
  await s.publish(topic, { value: minimal }, { schema: { id } });
  await s.publish(topic, { value: await other.encode(id, minimal) });
  const got = await consume(s, topic, 2);
  const full = { job_id: 'j', cpu: 0.5, timestamp: null, gpu: null, memory_mb: null, io_read_mb: null, io_write_mb: null };
  expect(await other.decode(got[0].value)).toEqual(full);
  expect(got[1].decoded).toEqual(full);
});
