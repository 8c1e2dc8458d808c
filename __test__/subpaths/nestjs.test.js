'use strict';

// The NestJS layer: KafkaNativeModule (forRoot / forRootAsync, global, lifecycle), the
// @KafkaSubscriber decorator with retries and dead-lettering, KafkaHealthIndicator and the
// bridge of engine logs to Nest's Logger. Written in plain JS: decorators are applied as calls.

require('reflect-metadata');
const { Injectable, Inject, Module, Logger } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { nestjs, useMockCluster, uniqueName, waitFor, sleep, KafkaService, mockOnly } = require('./helpers');

const cluster = useMockCluster();

/** Nest log lines, as [level, message, context]. */
const nestLogs = [];
const capture = (level) => (message, ...rest) => nestLogs.push([level, String(message), String(rest[rest.length - 1] ?? '')]);
const captureLogger = { log: capture('log'), error: capture('error'), warn: capture('warn'), debug: capture('debug'), verbose: capture('verbose'), fatal: capture('fatal') };

const apps = [];
// Each test closes its application: the last one takes brokers down, and a subscription still
// running through that outage takes a session timeout to stop (see ts/INTEGRATION.md).
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close().catch(() => {})));
});

function moduleOf(imports, providers = [], exportsList = []) {
  class Dynamic {}
  Module({ imports, providers, exports: exportsList })(Dynamic);
  return Dynamic;
}

/** A Nest application context of these imports and providers, logging into `nestLogs`. */
async function start(imports, providers = []) {
  const app = await NestFactory.createApplicationContext(moduleOf(imports, providers), { logger: captureLogger });
  apps.push(app);
  return app;
}

/** A provider class with `@KafkaSubscriber(options)` on its `handle(payload)` method. */
function subscriberClass(options, handle) {
  const { KafkaSubscriber } = nestjs();
  class Subscriber {
    async handle(payload) {
      return handle(payload);
    }
  }
  Injectable()(Subscriber);
  const descriptor = Object.getOwnPropertyDescriptor(Subscriber.prototype, 'handle');
  KafkaSubscriber(options)(Subscriber.prototype, 'handle', descriptor);
  return Subscriber;
}

test('forRoot provides a KafkaService connected on init and disconnected on close', async () => {
  const { KafkaNativeModule } = nestjs();
  const app = await NestFactory.createApplicationContext(
    moduleOf([KafkaNativeModule.forRoot({ brokers: cluster.mock.bootstrapServers, clientId: 'nest-test' })]),
    { logger: captureLogger },
  );
  const service = app.get(KafkaService);
  expect(service).toBeInstanceOf(KafkaService);
  expect(service.stats().state).toBe('connected');
  const topic = cluster.topic('nest', 1);
  await expect(service.publish(topic, { value: 'x' })).resolves.toMatchObject({ topic, offset: 0 });
  await app.close();
  expect(service.stats().state).toBe('disconnected');
  expect(nestLogs.some(([level, m, ctx]) => level === 'log' && ctx === 'KafkaNative' && m.startsWith('Connected to Kafka'))).toBe(true);
});

test('forRootAsync reads KAFKA_* settings through an injected config, and global exposes the service everywhere', async () => {
  const { KafkaNativeModule, kafkaOptionsFromConfig } = nestjs();
  const CONFIG = Symbol('CONFIG');
  const env = { KAFKA_BROKERS: cluster.mock.bootstrapServers, KAFKA_CLIENT_ID: 'from-env', KAFKA_COMPRESSION: 'lz4' };
  const configModule = moduleOf([], [{ provide: CONFIG, useValue: { get: (k) => env[k] } }], [CONFIG]);
  class Consumer {
    constructor(kafka) {
      this.kafka = kafka;
    }
  }
  Injectable()(Consumer);
  Inject(KafkaService)(Consumer, undefined, 0);
  const feature = moduleOf([], [Consumer], [Consumer]);
  const app = await start([
    KafkaNativeModule.forRootAsync({ global: true, imports: [configModule], inject: [CONFIG], useFactory: (config) => kafkaOptionsFromConfig(config) }),
    feature,
  ]);
  const injected = app.get(Consumer).kafka;
  expect(injected).toBe(app.get(KafkaService));
  const topic = cluster.topic('async', 1);
  await expect(injected.publish(topic, { value: 'y' })).resolves.toMatchObject({ topic });
});

test('kafkaOptionsFromConfig maps brokers, client id, SASL, TLS, timeouts and compression', () => {
  const { kafkaOptionsFromConfig } = nestjs();
  expect(kafkaOptionsFromConfig({})).toEqual({ brokers: 'localhost:9092', producer: {} });
  expect(
    kafkaOptionsFromConfig({
      KAFKA_BROKERS: 'a:9092,b:9092',
      KAFKA_CLIENT_ID: 'api',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA: '-----BEGIN CERTIFICATE-----',
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
      KAFKA_CONNECTION_TIMEOUT: '3000',
      KAFKA_COMPRESSION: 'GZIP',
      KAFKA_LOG_LEVEL: 'info',
    }),
  ).toEqual({
    brokers: 'a:9092,b:9092',
    clientId: 'api',
    sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    ssl: { ca: '-----BEGIN CERTIFICATE-----', rejectUnauthorized: false },
    connectionTimeoutMs: 3000,
    producer: { compression: 'gzip' },
    logLevel: 'info',
  });
  expect(kafkaOptionsFromConfig({ KAFKA_SSL: '1' }).ssl).toBe(true);
  expect(() => kafkaOptionsFromConfig({ KAFKA_CONNECTION_TIMEOUT: 'soon' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
});

test("kafkaOptionsFromConfig reads the seeds' group, request timeout, retries, acks and SASL/SSL toggles", () => {
  const { kafkaOptionsFromConfig } = nestjs();
  expect(
    kafkaOptionsFromConfig({
      KAFKA_HOST: 'kafka',
      KAFKA_PORT: '29092',
      KAFKA_CONSUMER_GROUP: 'cosmic-horizons-api',
      KAFKA_REQUEST_TIMEOUT: '25000',
      KAFKA_RETRY_RETRIES: '8',
      KAFKA_RETRY_INITIAL_RETRY_TIME: '100',
      KAFKA_RETRY_MAX_RETRY_TIME: '30000',
      KAFKA_PRODUCER_ACKS: 'all',
      KAFKA_COMPRESSION: 'gzip',
      KAFKA_SASL_ENABLED: 'true',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_SSL_ENABLED: 'true',
    }),
  ).toEqual({
    brokers: 'kafka:29092',
    groupId: 'cosmic-horizons-api',
    librdkafka: { 'socket.timeout.ms': 25000, 'message.send.max.retries': 8, 'retry.backoff.ms': 100, 'retry.backoff.max.ms': 30000 },
    producer: { compression: 'gzip', acks: -1 },
    sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    ssl: true,
  });
  // KAFKA_BROKERS wins over KAFKA_HOST; a disabled toggle turns SASL off even with a mechanism.
  const off = kafkaOptionsFromConfig({ KAFKA_BROKERS: 'a:1', KAFKA_HOST: 'b', KAFKA_SASL_ENABLED: 'false', KAFKA_SASL_MECHANISM: 'plain', KAFKA_PRODUCER_ACKS: '1' });
  expect(off).toEqual({ brokers: 'a:1', producer: { acks: 1 } });
  expect(() => kafkaOptionsFromConfig({ KAFKA_PRODUCER_ACKS: '2' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  expect(() => kafkaOptionsFromConfig({ KAFKA_RETRY_RETRIES: 'many' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
});

test('@KafkaSubscriber methods are subscribed at bootstrap and receive kafkajs-shaped payloads', async () => {
  const { KafkaNativeModule } = nestjs();
  const topic = cluster.topic('declared', 2);
  const received = [];
  const Subscriber = subscriberClass({ groupId: uniqueName('g'), topics: topic, concurrency: 2, fromBeginning: true }, (p) => void received.push(p));
  const app = await start([KafkaNativeModule.forRoot({ brokers: cluster.mock.bootstrapServers })], [Subscriber]);
  const service = app.get(KafkaService);
  await service.publishBatch(topic, [{ key: 'job-1', value: 'a' }, { key: 'job-2', value: 'b' }]);
  await waitFor(() => received.length === 2, 30000, 'both messages');
  expect(received[0]).toMatchObject({ topic, partition: expect.any(Number), message: { offset: '0' } });
  const { KafkaNativeRuntime } = nestjs();
  expect(app.get(KafkaNativeRuntime).subscribers().map((s) => s.name)).toEqual(['Subscriber.handle']);
  expect(nestLogs.some(([, m]) => m.includes(`Subscriber.handle subscribed to ${topic}`))).toBe(true);
});

test('a message that keeps failing is retried, logged, dead-lettered with its origin, and consumption goes on', async () => {
  const { KafkaNativeModule, DEAD_LETTER_HEADERS } = nestjs();
  const topic = cluster.topic('dlq-source', 1);
  const deadLetterTopic = cluster.topic('dlq', 1);
  const attempts = {};
  const done = [];
  const Subscriber = subscriberClass(
    { groupId: uniqueName('g'), topics: [topic], fromBeginning: true, retries: 2, retryBackoffMs: 10, deadLetterTopic },
    ({ message }) => {
      const value = message.value.toString();
      attempts[value] = (attempts[value] ?? 0) + 1;
      if (value === 'poison') throw new Error('cannot process poison');
      done.push(value);
    },
  );
  const app = await start([KafkaNativeModule.forRoot({ brokers: cluster.mock.bootstrapServers })], [Subscriber]);
  const service = app.get(KafkaService);
  await service.publishBatch(topic, [{ value: 'ok-1' }, { key: 'job-9', value: 'poison', headers: { 'correlation-id': 'c-9' } }, { value: 'ok-2' }]);
  await waitFor(() => done.length === 2, 30000, 'the messages around the poison one');
  expect(attempts.poison).toBe(3);
  expect(done).toEqual(['ok-1', 'ok-2']);

  const dead = [];
  const reader = await service.subscribe({ groupId: uniqueName('reader'), topics: [deadLetterTopic], fromBeginning: true }, (p) => void dead.push(p.message));
  await waitFor(() => dead.length === 1, 30000, 'the dead letter');
  await reader.stop();
  const h = (name) => dead[0].headers[name].toString();
  expect(dead[0].value.toString()).toBe('poison');
  expect(dead[0].key.toString()).toBe('job-9');
  expect(h('correlation-id')).toBe('c-9');
  expect(h(DEAD_LETTER_HEADERS.topic)).toBe(topic);
  expect(h(DEAD_LETTER_HEADERS.partition)).toBe('0');
  expect(h(DEAD_LETTER_HEADERS.offset)).toBe('1');
  expect(h(DEAD_LETTER_HEADERS.error)).toBe('Error: cannot process poison');
  expect(h(DEAD_LETTER_HEADERS.attempts)).toBe('3');
  const warnings = nestLogs.filter(([level, m]) => level === 'warn' && m.includes('Subscriber.handle failed'));
  expect(warnings).toHaveLength(2);
  expect(nestLogs.some(([level, m]) => level === 'error' && m.includes(`sending it to ${deadLetterTopic}`))).toBe(true);
});

test('without a dead-letter topic the subscriber stops, the error is logged and health reports it down', async () => {
  const { KafkaNativeModule, KafkaHealthIndicator } = nestjs();
  const topic = cluster.topic('stops', 1);
  const Subscriber = subscriberClass({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true, retries: 1, retryBackoffMs: 10 }, () => {
    throw new Error('always');
  });
  const app = await start([KafkaNativeModule.forRoot({ brokers: cluster.mock.bootstrapServers })], [Subscriber]);
  const health = app.get(KafkaHealthIndicator);
  expect((await health.isHealthy('kafka')).kafka.status).toBe('up');
  await app.get(KafkaService).publish(topic, { value: 'bad' });
  await waitFor(() => nestLogs.some(([level, m]) => level === 'error' && m.includes(`stopped consuming ${topic}`)), 30000, 'the stop');
  const result = await health.isHealthy('kafka');
  expect(result.kafka.status).toBe('down');
  expect(result.kafka.subscribers).toEqual({ total: 1, stopped: ['Subscriber.handle'] });
});

// Takes the mock's brokers down: mock cluster only.
mockOnly('KafkaHealthIndicator is up with cluster details, down when no broker answers in time', async () => {
  const { KafkaNativeModule, KafkaHealthIndicator } = nestjs();
  const app = await start([KafkaNativeModule.forRoot({ brokers: cluster.mock.bootstrapServers, connectionTimeoutMs: 1000 })]);
  const health = app.get(KafkaHealthIndicator);
  const up = await health.isHealthy('kafka');
  expect(up.kafka).toMatchObject({ status: 'up', brokers: 3, latencyMs: expect.any(Number), underReplicated: 0, offline: 0 });
  expect(typeof up.kafka.healthy).toBe('boolean');
  for (let id = 1; id <= 3; id++) cluster.mock.brokerDown(id);
  try {
    const down = await health.isHealthy('broker', { timeoutMs: 500 });
    expect(down.broker.status).toBe('down');
    expect(typeof down.broker.error).toBe('string');
  } finally {
    for (let id = 1; id <= 3; id++) cluster.mock.brokerUp(id);
  }
  await sleep(100);
});

test('engine logs reach Nest Logger with mapped levels and a KafkaNative:<source> context', () => {
  const { nestLogBridge } = nestjs();
  const lines = [];
  Logger.overrideLogger({
    log: (m, ctx) => lines.push(['log', m, ctx]),
    error: (m, ...rest) => lines.push(['error', m, rest[rest.length - 1]]),
    warn: (m, ctx) => lines.push(['warn', m, ctx]),
    debug: (m, ctx) => lines.push(['debug', m, ctx]),
    verbose: (m, ctx) => lines.push(['verbose', m, ctx]),
  });
  try {
    const bridge = nestLogBridge();
    for (const level of ['error', 'warn', 'info', 'debug', 'trace']) {
      bridge({ level, source: 'librdkafka', facility: 'FAIL', message: `a ${level} line`, clientId: 'c' });
    }
  } finally {
    Logger.overrideLogger(captureLogger);
  }
  expect(lines).toEqual([
    ['error', '[FAIL] a error line', 'KafkaNative:librdkafka'],
    ['warn', '[FAIL] a warn line', 'KafkaNative:librdkafka'],
    ['log', '[FAIL] a info line', 'KafkaNative:librdkafka'],
    ['debug', '[FAIL] a debug line', 'KafkaNative:librdkafka'],
    ['verbose', '[FAIL] a trace line', 'KafkaNative:librdkafka'],
  ]);
});

test('withFailureLog counts attempts per message and always rethrows; subscriberRetry maps the options', async () => {
  const { withFailureLog, subscriberRetry } = nestjs();
  const failures = [];
  const handler = withFailureLog(
    async () => {
      throw new Error('nope');
    },
    { retries: 1, onFailure: (_p, _e, attempt, final) => failures.push([attempt, final]) },
  );
  const payload = (offset) => ({ topic: 't', partition: 0, message: { key: undefined, value: Buffer.from('v'), headers: {}, offset, timestamp: '1' } });
  await expect(handler(payload('5'))).rejects.toThrow('nope');
  await expect(handler(payload('6'))).rejects.toThrow('nope');
  await expect(handler(payload('5'))).rejects.toThrow('nope');
  await expect(handler(payload('5'))).rejects.toThrow('nope');
  expect(failures).toEqual([[1, false], [1, false], [2, true], [1, false]]);
  expect(subscriberRetry(undefined, undefined)).toBeUndefined();
  expect(subscriberRetry(undefined, 'dead')).toEqual({ deadLetterTopic: 'dead' });
  expect(subscriberRetry({ delays: ['1m'] }, 'dead')).toEqual({ delays: ['1m'], deadLetterTopic: 'dead' });
});
