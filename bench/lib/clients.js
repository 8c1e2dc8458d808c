'use strict';
// One adapter per Node.js client, so the cases are written once. Every producer has
//   send(topic, key, value)          -> Promise (settles on the broker's acknowledgement)
//   sendBatch(topic, [{key, value}]) -> Promise<number of failed messages>
//   close()
// and every consumer `consume({topic, groupId, mode, onMessage, onBatch})` -> {stop()}.
//
// Configuration: acks=all, idempotent, lz4 everywhere; everything else at each client's default
// (see CLIENT_NOTES, which the report prints).

const path = require('path');

const CLIENTS = ['kafka-native', 'kafkajs', 'confluent', 'confluent-native'];

const CLIENT_NOTES = {
  'kafka-native': "KafkaService, producer {compression: 'lz4', idempotent: true, acks: -1}; lingerMs default 0; subscribe defaults (concurrency 1, maxBatchSize 1000)",
  kafkajs: "Kafka.producer({idempotent: true}), send({acks: -1, compression: LZ4}) with the @2l/kafkajs-lz4 codec (lz4-napi); no linger (a send is one request); consumer defaults (partitionsConsumedConcurrently 1)",
  confluent: "@confluentinc/kafka-javascript KafkaJS API, producer {kafkaJS: {acks: -1, idempotent: true, compression: LZ4}}; librdkafka's default linger.ms 5; consumer defaults",
  'confluent-native': "@confluentinc/kafka-javascript node-rdkafka API (Producer, dr_cb, setPollInBackground), acks=all, enable.idempotence, compression.codec=lz4; linger.ms default 5",
};

function brokerList(brokers) {
  return brokers.split(',').map((b) => b.trim()).filter(Boolean);
}

function kafkaNativeModule() {
  return require(process.env.KAFKA_NATIVE_MODULE || path.join(__dirname, '..', '..'));
}

// ---------------------------------------------------------------------------------- kafka-native

async function nativeService(brokers, clientId) {
  const { KafkaService } = kafkaNativeModule();
  const svc = new KafkaService({
    brokers: brokerList(brokers),
    clientId,
    logLevel: 'error',
    // KAFKA_NATIVE_BENCH_PRODUCER (JSON) overrides producer options, for experiments such as
    // {"lingerMs": 0}; the reported runs leave it unset.
    producer: { compression: 'lz4', idempotent: true, acks: -1, ...JSON.parse(process.env.KAFKA_NATIVE_BENCH_PRODUCER || '{}') },
    // KAFKA_NATIVE_BENCH_LIBRDKAFKA (JSON) sets librdkafka properties, for experiments such as
    // {"queued.min.messages": "5000"}; the reported runs leave it unset.
    librdkafka: JSON.parse(process.env.KAFKA_NATIVE_BENCH_LIBRDKAFKA || '{}'),
  });
  await svc.connect();
  return svc;
}

const kafkaNative = {
  async producer(brokers) {
    const svc = await nativeService(brokers, 'bench-kafka-native');
    return {
      send: (topic, key, value) => svc.publish(topic, { key, value }),
      sendBatch: async (topic, messages) => {
        const results = await svc.publishBatch(topic, messages);
        let failed = 0;
        for (let i = 0; i < results.length; i++) if (results[i].error) failed++;
        return failed;
      },
      close: () => svc.disconnect(),
    };
  },
  async consumer(brokers, { topic, groupId, mode, onMessage, onBatch }) {
    const svc = await nativeService(brokers, 'bench-kafka-native-consumer');
    const handler =
      mode === 'eachBatch'
        ? { eachBatch: async ({ batch }) => onBatch(batch.messages) }
        : { eachMessage: async ({ message }) => onMessage(message) };
    // KAFKA_NATIVE_BENCH_SUBSCRIBE (JSON) adds subscribe options, for experiments; the reported
    // runs leave it unset.
    const extra = JSON.parse(process.env.KAFKA_NATIVE_BENCH_SUBSCRIBE || '{}');
    const sub = await svc.subscribe({ groupId, topics: [topic], fromBeginning: true, ...extra }, handler);
    return {
      stop: async () => {
        await sub.stop();
        await svc.disconnect();
      },
    };
  },
};

// --------------------------------------------------------------------------------------- kafkajs

function kafkajsClient(brokers) {
  const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = require('kafkajs');
  const LZ4 = require('@2l/kafkajs-lz4');
  CompressionCodecs[CompressionTypes.LZ4] = new LZ4().codec;
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: brokerList(brokers), logLevel: logLevel.NOTHING });
  return { kafka, CompressionTypes };
}

const kafkajs = {
  async producer(brokers) {
    const { kafka, CompressionTypes } = kafkajsClient(brokers);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const compression = CompressionTypes.LZ4;
    return {
      send: (topic, key, value) => producer.send({ topic, acks: -1, compression, messages: [{ key, value }] }),
      sendBatch: (topic, messages) =>
        producer.send({ topic, acks: -1, compression, messages }).then(
          () => 0,
          () => messages.length,
        ),
      close: () => producer.disconnect(),
    };
  },
  async consumer(brokers, { topic, groupId, mode, onMessage, onBatch }) {
    const { kafka } = kafkajsClient(brokers);
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run(
      mode === 'eachBatch'
        ? { eachBatch: async ({ batch }) => onBatch(batch.messages) }
        : { eachMessage: async ({ message }) => onMessage(message) },
    );
    return { stop: () => consumer.disconnect() };
  },
};

// ----------------------------------------------------------------- @confluentinc/kafka-javascript

function confluentKafka(brokers) {
  const { KafkaJS } = require('@confluentinc/kafka-javascript');
  const kafka = new KafkaJS.Kafka({
    kafkaJS: { clientId: 'bench-confluent', brokers: brokerList(brokers), logLevel: KafkaJS.logLevel.NOTHING },
  });
  return { kafka, KafkaJS };
}

const confluent = {
  async producer(brokers) {
    const { kafka, KafkaJS } = confluentKafka(brokers);
    const producer = kafka.producer({
      kafkaJS: { acks: -1, idempotent: true, compression: KafkaJS.CompressionTypes.LZ4 },
    });
    await producer.connect();
    return {
      send: (topic, key, value) => producer.send({ topic, messages: [{ key, value }] }),
      sendBatch: (topic, messages) =>
        producer.send({ topic, messages }).then(
          () => 0,
          () => messages.length,
        ),
      close: () => producer.disconnect(),
    };
  },
  async consumer(brokers, { topic, groupId, mode, onMessage, onBatch }) {
    const { kafka } = confluentKafka(brokers);
    const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true } });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run(
      mode === 'eachBatch'
        ? { eachBatch: async ({ batch }) => onBatch(batch.messages) }
        : { eachMessage: async ({ message }) => onMessage(message) },
    );
    return { stop: () => consumer.disconnect() };
  },
};

// The node-rdkafka-style API of the same package: produce() is synchronous, delivery reports
// arrive as events (polled on a background thread).
const confluentNative = {
  async producer(brokers) {
    const { Producer } = require('@confluentinc/kafka-javascript');
    const producer = new Producer({
      'bootstrap.servers': brokers,
      'client.id': 'bench-confluent-native',
      acks: 'all',
      'enable.idempotence': true,
      'compression.codec': 'lz4',
      dr_cb: true,
    });
    producer.on('delivery-report', (err, report) => {
      const cb = report && report.opaque;
      if (typeof cb === 'function') cb(err, report);
    });
    producer.on('event.error', () => {});
    await new Promise((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
    producer.setPollInBackground(true);
    const produce = (topic, key, value, cb) => {
      for (;;) {
        try {
          producer.produce(topic, null, value, key, null, cb);
          return;
        } catch (e) {
          // Queue full: let the background poller drain a little. Does not happen with the
          // outstanding counts used here (queue.buffering.max.messages is 100,000).
          if (e && e.code === -184) continue;
          cb(e);
          return;
        }
      }
    };
    return {
      send: (topic, key, value) =>
        new Promise((resolve, reject) => produce(topic, key, value, (err, r) => (err ? reject(err) : resolve(r)))),
      sendBatch: (topic, messages) =>
        new Promise((resolve) => {
          let left = messages.length;
          let failed = 0;
          const done = (err) => {
            if (err) failed++;
            if (--left === 0) resolve(failed);
          };
          for (let i = 0; i < messages.length; i++) produce(topic, messages[i].key, messages[i].value, done);
        }),
      close: () =>
        new Promise((resolve) =>
          producer.flush(10000, () => {
            producer.setPollInBackground(false);
            producer.disconnect(() => resolve());
          }),
        ),
    };
  },
};

const ADAPTERS = { 'kafka-native': kafkaNative, kafkajs, confluent, 'confluent-native': confluentNative };

function versions() {
  const v = { node: process.version };
  const tryVersion = (name, file) => {
    try {
      v[name] = require(file).version;
    } catch (_) {
      v[name] = null;
    }
  };
  tryVersion('kafka-native', path.join(__dirname, '..', '..', 'package.json'));
  tryVersion('kafkajs', 'kafkajs/package.json');
  tryVersion('@confluentinc/kafka-javascript', '@confluentinc/kafka-javascript/package.json');
  tryVersion('@2l/kafkajs-lz4', '@2l/kafkajs-lz4/package.json');
  try {
    v['confluent librdkafka'] = require('@confluentinc/kafka-javascript').librdkafkaVersion;
  } catch (_) {
    v['confluent librdkafka'] = null;
  }
  return v;
}

module.exports = { CLIENTS, CLIENT_NOTES, ADAPTERS, versions };
