'use strict';
// One adapter per Node.js client, so the cases are written once. Every producer has
//   send(topic, key, value)          -> Promise (settles on the broker's acknowledgement)
//   sendBatch(topic, [{key, value}]) -> Promise<number of failed messages>
//   close()
// and every consumer `consume({topic, groupId, mode, onMessage, onBatch})` -> {stop()}.
//
// Configuration: acks=all, idempotent, lz4 everywhere; everything else at each client's default
// (see CLIENT_NOTES, which the report prints).

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const CLIENTS = ['kafka-native', 'kafkajs', 'confluent', 'confluent-native', 'node-rdkafka', 'kafka-crab-js'];

/** Clients measured as producers only (their adapter has no consumer). */
const PRODUCER_ONLY = new Set(['confluent-native', 'node-rdkafka']);

/** The clients with a consumer (fixed-rate and consume cases). */
const CONSUMING_CLIENTS = CLIENTS.filter((c) => !PRODUCER_ONLY.has(c));

const CLIENT_NOTES = {
  'kafka-native': "KafkaService, producer {compression: 'lz4', idempotent: true, acks: -1}; lingerMs default 0; subscribe defaults (concurrency 1, maxBatchSize 1000)",
  kafkajs: "Kafka.producer({idempotent: true}), send({acks: -1, compression: LZ4}) with the @2l/kafkajs-lz4 codec (lz4-napi); no linger (a send is one request); consumer defaults (partitionsConsumedConcurrently 1)",
  confluent: "@confluentinc/kafka-javascript KafkaJS API, producer {kafkaJS: {acks: -1, idempotent: true, compression: LZ4}}; librdkafka's default linger.ms 5; consumer defaults",
  'confluent-native': "@confluentinc/kafka-javascript node-rdkafka API (Producer, dr_cb, setPollInBackground), acks=all, enable.idempotence, compression.codec=lz4; linger.ms default 5",
  'node-rdkafka': 'node-rdkafka Producer (built from source with its bundled librdkafka), used as the confluent native API except for the polling (it has no background poller: setPollInterval(1), a non-blocking poll on the JS thread every millisecond): dr_cb, acks=all, enable.idempotence, compression.codec=lz4; linger.ms default 5; producer only',
  'kafka-crab-js': "KafkaClient({diagnostics: false}), createProducer({configuration: {'enable.idempotence': true, acks: 'all', 'compression.type': 'lz4'}}) with autoFlush (send() resolves on delivery); librdkafka's default linger.ms 5; consumer createWebStreamConsumer (eachMessage: serial stream with its default prefetch; eachBatch: batchSize 1000, batchTimeout 5 ms), auto commit, auto.offset.reset earliest. Declares Node 24; run here on the machine's Node 20",
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

// The node-rdkafka-style API (@confluentinc/kafka-javascript's, and node-rdkafka's own): produce()
// is synchronous, delivery reports arrive as events once polled: on a background thread
// (confluent's setPollInBackground) or, in node-rdkafka, which has none, by a non-blocking poll
// on the JS thread every millisecond (setPollInterval(1); its README's example uses 100 ms, which
// would make an awaited publish take 50 ms on average).
function rdkafkaStyleProducer(moduleName, clientId, startPolling, stopPolling) {
  return async (brokers) => {
    const { Producer } = require(moduleName);
    const producer = new Producer({
      'bootstrap.servers': brokers,
      'client.id': clientId,
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
    startPolling(producer);
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
            stopPolling(producer);
            producer.disconnect(() => resolve());
          }),
        ),
    };
  };
}

const confluentNative = {
  producer: rdkafkaStyleProducer(
    '@confluentinc/kafka-javascript',
    'bench-confluent-native',
    (p) => p.setPollInBackground(true),
    (p) => p.setPollInBackground(false),
  ),
};

// ----------------------------------------------------------------------------------- node-rdkafka

const nodeRdkafka = {
  producer: rdkafkaStyleProducer(
    'node-rdkafka',
    'bench-node-rdkafka',
    (p) => p.setPollInterval(1),
    (p) => p.setPollInterval(0),
  ),
};

// ---------------------------------------------------------------------------------- kafka-crab-js

function crabClient(brokers, clientId) {
  const { KafkaClient } = require('kafka-crab-js');
  // No diagnostics-channel wrappers around send and receive (kafka-native's tracing is off too).
  return new KafkaClient({ brokers, clientId, logLevel: 'error', diagnostics: false });
}

// Its messages carry the value as `payload`: the worker builds and reads them so, as a user would.
const crabMessage = (key, value) => ({ key, payload: value });

const kafkaCrab = {
  message: crabMessage,
  consumedValue: (message) => message.payload,
  async producer(brokers) {
    const producer = crabClient(brokers, 'bench-kafka-crab-js').createProducer({
      configuration: { 'enable.idempotence': true, acks: 'all', 'compression.type': 'lz4' },
    });
    return {
      send: (topic, key, value) => producer.send({ topic, messages: [crabMessage(key, value)] }),
      sendBatch: (topic, messages) =>
        producer.send({ topic, messages }).then(
          (reports) => {
            let failed = 0;
            for (let i = 0; i < reports.length; i++) if (reports[i].error) failed++;
            return failed;
          },
          (e) => (e && Array.isArray(e.confirmedMessages) ? messages.length - e.confirmedMessages.length : messages.length),
        ),
      close: () => producer.flush(),
    };
  },
  async consumer(brokers, { topic, groupId, mode, onMessage, onBatch }) {
    const client = crabClient(brokers, 'bench-kafka-crab-js-consumer');
    const base = { groupId, enableAutoCommit: true, configuration: { 'auto.offset.reset': 'earliest' } };
    const { consumer, stream } = client.createWebStreamConsumer(
      mode === 'eachBatch' ? { ...base, batchSize: 1000, batchTimeout: 5 } : base,
    );
    await consumer.subscribe(topic);
    const reader = stream.getReader();
    const loop = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        if (mode === 'eachBatch') onBatch(value);
        else onMessage(value);
      }
    })().catch(() => {});
    return {
      stop: async () => {
        await reader.cancel('stop').catch(() => {});
        await loop;
        await consumer.disconnect();
      },
    };
  },
};

const ADAPTERS = {
  'kafka-native': kafkaNative,
  kafkajs,
  confluent,
  'confluent-native': confluentNative,
  'node-rdkafka': nodeRdkafka,
  'kafka-crab-js': kafkaCrab,
};

/**
 * The version of `name`, from its package.json (found next to its entry point: some packages,
 * kafka-crab-js among them, do not export `./package.json`), or null when it is not installed.
 */
function packageVersion(name) {
  try {
    for (let dir = path.dirname(require.resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!fs.existsSync(file)) continue;
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === name) return pkg.version.replace(/^v/, '');
    }
  } catch (_) {
    // Not installed.
  }
  return null;
}

/**
 * The librdkafka version `module` runs with, asked in a process of its own: node-rdkafka and
 * confluent's build both load a `librdkafka.so.1`, and in one process the second would report
 * the first one's library.
 */
function librdkafkaOf(module) {
  try {
    return execFileSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(module)}).librdkafkaVersion))`], {
      cwd: __dirname,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
  } catch (_) {
    return null;
  }
}

/**
 * The librdkafka of kafka-crab-js's prebuilt binary, read from the rdkafka-sys source paths
 * compiled into it (it exports no version), e.g. "2.12.1"; null when not found.
 */
function crabLibrdkafka() {
  try {
    const dir = path.dirname(require.resolve('kafka-crab-js-linux-x64-gnu/package.json'));
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.node'));
    const m = /rdkafka-sys-[0-9.]+\+([0-9.]+)\//.exec(fs.readFileSync(path.join(dir, file)).toString('latin1'));
    return m ? m[1] : null;
  } catch (_) {
    return null;
  }
}

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
  for (const name of ['kafkajs', '@confluentinc/kafka-javascript', '@2l/kafkajs-lz4', 'node-rdkafka', 'kafka-crab-js']) {
    v[name] = packageVersion(name);
  }
  v['confluent librdkafka'] = librdkafkaOf('@confluentinc/kafka-javascript');
  v['node-rdkafka librdkafka'] = librdkafkaOf('node-rdkafka');
  v['kafka-crab-js librdkafka'] = crabLibrdkafka();
  return v;
}

module.exports = { CLIENTS, PRODUCER_ONLY, CONSUMING_CLIENTS, CLIENT_NOTES, ADAPTERS, versions };
