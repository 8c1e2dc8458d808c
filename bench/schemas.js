#!/usr/bin/env node
'use strict';
// Schema'd publish and consume on a real broker and registry: the job-lifecycle event as Avro
// through the Schema Registry, kafka-native vs kafkajs + @kafkajs/confluent-schema-registry and vs
// @confluentinc/kafka-javascript + @confluentinc/schemaregistry (Confluent's own stack; its KMS
// SDKs make it bench-only: bench/package.json), each beside its own JSON baseline (JSON.stringify to publish, JSON.parse to consume). Msgs/s
// (acknowledged; consumed from the first message on, so group joins do not count), CPU seconds per
// million messages of this process (librdkafka's threads included), and event-loop delay p99
// (perf_hooks, 1 ms resolution, minus that resolution). Each consume row reads what its publish
// row wrote, from the beginning, in eachBatch handlers.
//
//   KAFKA_BROKERS=127.0.0.1:19092 SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7 \
//     node bench/schemas.js [--seconds 5] [--batch 500] [--inflight 4] [--kafka-native-only]
//       [--handler-wait-ms N] [--no-confluent]
// KAFKA_NATIVE_MODULE: another build's directory (for an A/B of two builds).
// --handler-wait-ms: every consume handler awaits N ms per batch (a handler that waits on I/O, as
// a database write does), so that figures show whether decoding overlaps the handler.
// kafkajs and Confluent's packages come from bench/node_modules (npm run setup in bench/), or
// NODE_PATH; without Confluent's, its rows are left out.

const { monitorEventLoopDelay } = require('perf_hooks');
const path = require('path');
const { KafkaService, SchemaRegistry } = require(process.env.KAFKA_NATIVE_MODULE || path.join(__dirname, '..'));
const { avro } = require('../schemas');
const { jobLifecycleEvent } = require('./lib/job-lifecycle');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SECONDS = opt('seconds', 5);
const BATCH = opt('batch', 500);
const INFLIGHT = opt('inflight', 4);
const HANDLER_WAIT_MS = opt('handler-wait-ms', 0);
const handlerWait = () => (HANDLER_WAIT_MS > 0 ? new Promise((resolve) => setTimeout(resolve, HANDLER_WAIT_MS)) : undefined);
const brokers = process.env.KAFKA_BROKERS || '127.0.0.1:19092';
const registryUrl = process.env.SCHEMA_REGISTRY_URL || 'http://127.0.0.1:18081/apis/ccompat/v7';

/** Figures of `n` messages handled since `cpu0` / `t0` with the loop delay histogram `h`. */
function figures(name, n, cpu0, t0, h) {
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const row = {
    name,
    msgsPerSec: Math.round(n / s),
    cpuSPerMillion: +((cpu.user + cpu.system) / n).toFixed(2),
    loopP99Ms: +Math.max(0, h.percentile(99) / 1e6 - 1).toFixed(2),
  };
  console.log(JSON.stringify(row));
  return row;
}

/**
 * Consumes `total` messages with `start(onMessages)` (which subscribes and calls `onMessages(n)`
 * per handled batch, returning a stop function); figures from the first message to the last.
 */
async function measureConsume(name, total, start) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let seen = 0;
  let cpu0;
  let t0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const stop = await start((n) => {
    if (seen === 0) {
      cpu0 = process.cpuUsage();
      t0 = process.hrtime.bigint();
      h.enable();
    }
    seen += n;
    if (seen >= total) done();
  });
  await finished;
  h.disable();
  const row = figures(name, seen, cpu0, t0, h);
  await stop();
  return row;
}

/**
 * A `measureConsume` start function for a KafkaJS-API consumer (kafkajs' or Confluent's):
 * `read` each message of each batch, then report the batch.
 */
function eachBatchConsumer(create, topic, fromBeginning, read) {
  return async (onMessages) => {
    const consumer = create();
    await consumer.connect();
    await consumer.subscribe(fromBeginning ? { topics: [topic], fromBeginning } : { topics: [topic] });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) await read(m);
        await handlerWait();
        onMessages(batch.messages.length);
      },
    });
    return () => consumer.disconnect();
  };
}

/** Runs `sendBatch(start)` with `INFLIGHT` batches in flight for SECONDS; returns the figures. */
async function measure(name, sendBatch) {
  await sendBatch(0); // warm-up: topic created, producer id acquired, schema cached
  const h = monitorEventLoopDelay({ resolution: 1 });
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + SECONDS * 1000;
  h.enable();
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (Date.now() < deadline) {
        await sendBatch(sent);
        sent += BATCH;
      }
    }),
  );
  h.disable();
  const row = figures(name, sent, cpu0, t0, h);
  row.sent = sent + BATCH;
  return row;
}

async function main() {
  const stamp = Date.now();
  const registry = new SchemaRegistry({ url: registryUrl });
  const subject = `bench-job-lifecycle-${stamp}-value`;
  const id = await registry.register(subject, avro['job-lifecycle']);
  const values = Array.from({ length: BATCH }, (_, i) => jobLifecycleEvent(i));

  const service = new KafkaService({ brokers });
  service.useSchemaRegistry(registry);
  await service.connect();
  const rows = [];
  const topic = (c) => `bench-schemas-${c}-${stamp}`;
  const key = (v) => v.payload.job_id;
  rows.push(
    await measure('kafka-native JSON.stringify', () =>
      service.publishBatch(topic('kn-json'), values.map((v) => ({ key: key(v), value: JSON.stringify(v) }))),
    ),
  );
  rows.push(
    await measure('kafka-native Avro (registry)', () =>
      service.publishBatch(topic('kn-avro'), values.map((v) => ({ key: key(v), value: v })), { schema: { subject } }),
    ),
  );
  const group = (c) => `bench-schemas-${c}-${stamp}`;
  const knConsume = (c, options, read) => (onMessages) =>
    service
      .subscribe(
        { groupId: group(c), topics: [topic(c)], fromBeginning: true, ...options },
        {
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) read(m);
            await handlerWait();
            onMessages(batch.messages.length);
          },
        },
      )
      .then((sub) => () => sub.stop());
  let sink = 0;
  rows.push(
    await measureConsume('kafka-native consume JSON.parse', rows[0].sent, knConsume('kn-json', {}, (m) => {
      sink += JSON.parse(m.value.toString()).schema_version;
    })),
  );
  rows.push(
    await measureConsume('kafka-native consume Avro (decode)', rows[1].sent, knConsume('kn-avro', { decode: true }, (m) => {
      sink += m.decoded.schema_version;
    })),
  );
  await service.disconnect();
  if (args.includes('--kafka-native-only')) return;

  const { Kafka, logLevel } = require('kafkajs');
  const { SchemaRegistry: ConfluentRegistry } = require('@kafkajs/confluent-schema-registry');
  const other = new ConfluentRegistry({ host: registryUrl });
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const stack = { topic, key, values, addToSink: (n) => (sink += n) };
  rows.push(
    ...(await kafkaJsStackRows({
      ...stack,
      client: 'kafkajs',
      schemaStack: 'kafkajs + confluent-schema-registry',
      tag: 'kj',
      producer: kafka.producer({ idempotent: true }),
      encode: (v) => other.encode(id, v),
      consume: (c, read) => eachBatchConsumer(() => kafka.consumer({ groupId: group(c) }), topic(c), true, read),
      decode: (buffer) => other.decode(buffer),
    })),
  );
  if (!args.includes('--no-confluent')) rows.push(...(await confluentRows(registry, group, stack)));
  if (sink === 0) throw new Error('nothing was consumed');
  const by = Object.fromEntries(rows.map((r) => [r.name, r]));
  const ratio = (a, b) => (by[a] && by[b] ? +(by[a].msgsPerSec / by[b].msgsPerSec).toFixed(2) : null);
  const avroKn = by['kafka-native Avro (registry)'].msgsPerSec;
  console.log(
    JSON.stringify({
      avroVsOwnJson: +(avroKn / by['kafka-native JSON.stringify'].msgsPerSec).toFixed(2),
      avroVsKafkajsAvro: +(avroKn / by['kafkajs + confluent-schema-registry Avro'].msgsPerSec).toFixed(2),
      consumeAvroVsOwnJson: +(
        by['kafka-native consume Avro (decode)'].msgsPerSec / by['kafka-native consume JSON.parse'].msgsPerSec
      ).toFixed(2),
      consumeAvroVsKafkajsAvro: +(
        by['kafka-native consume Avro (decode)'].msgsPerSec / by['kafkajs + confluent-schema-registry consume Avro'].msgsPerSec
      ).toFixed(2),
      avroVsConfluentAvro: ratio('kafka-native Avro (registry)', 'confluent + schemaregistry Avro'),
      consumeAvroVsConfluentAvro: ratio('kafka-native consume Avro (decode)', 'confluent + schemaregistry consume Avro'),
    }),
  );
}

/**
 * The four rows of a KafkaJS-API stack (kafkajs' or Confluent's): `values` published as
 * `JSON.stringify` text and as `encode`d Avro through `producer`, then each topic consumed back
 * (`consume(tag, read)` gives a `measureConsume` start function) with `JSON.parse` and `decode`.
 */
async function kafkaJsStackRows({ client, schemaStack, tag, producer, encode, consume, decode, topic, key, values, addToSink }) {
  await producer.connect();
  const json = await measure(`${client} JSON.stringify`, () =>
    producer.send({ topic: topic(`${tag}-json`), messages: values.map((v) => ({ key: key(v), value: JSON.stringify(v) })) }),
  );
  const encoded = await measure(`${schemaStack} Avro`, async () =>
    producer.send({
      topic: topic(`${tag}-avro`),
      messages: await Promise.all(values.map(async (v) => ({ key: key(v), value: await encode(v) }))),
    }),
  );
  await producer.disconnect();
  const parsed = await measureConsume(`${client} consume JSON.parse`, json.sent, consume(`${tag}-json`, (m) => {
    addToSink(JSON.parse(m.value.toString()).schema_version);
  }));
  const decoded = await measureConsume(`${schemaStack} consume Avro`, encoded.sent, consume(`${tag}-avro`, async (m) => {
    addToSink((await decode(m.value)).schema_version);
  }));
  return [json, encoded, parsed, decoded];
}

/**
 * The same four rows with @confluentinc/kafka-javascript (KafkaJS API, as bench/lib/clients.js
 * configures it) and @confluentinc/schemaregistry's AvroSerializer / AvroDeserializer (topic
 * name strategy: the schema is registered under `<topic>-value`, the serializer uses its latest
 * version). Empty when the packages are not installed.
 */
async function confluentRows(registry, group, stack) {
  let KafkaJS;
  let sr;
  try {
    ({ KafkaJS } = require('@confluentinc/kafka-javascript'));
    sr = require('@confluentinc/schemaregistry');
  } catch (e) {
    console.error(`confluent rows left out: ${e.message.split('\n')[0]} (npm run setup in bench/)`);
    return [];
  }
  const avroTopic = stack.topic('cf-avro');
  await registry.register(`${avroTopic}-value`, avro['job-lifecycle']);
  const client = new sr.SchemaRegistryClient({ baseURLs: [registryUrl] });
  const serializer = new sr.AvroSerializer(client, sr.SerdeType.VALUE, { autoRegisterSchemas: false, useLatestVersion: true });
  const deserializer = new sr.AvroDeserializer(client, sr.SerdeType.VALUE, {});
  const kafka = new KafkaJS.Kafka({ kafkaJS: { clientId: 'bench-confluent', brokers: brokers.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
  return kafkaJsStackRows({
    ...stack,
    client: 'confluent',
    schemaStack: 'confluent + schemaregistry',
    tag: 'cf',
    producer: kafka.producer({ kafkaJS: { acks: -1, idempotent: true } }),
    encode: (v) => serializer.serialize(avroTopic, v),
    consume: (c, read) =>
      eachBatchConsumer(() => kafka.consumer({ kafkaJS: { groupId: group(c), fromBeginning: true } }), stack.topic(c), false, read),
    decode: (buffer) => deserializer.deserialize(avroTopic, buffer),
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
