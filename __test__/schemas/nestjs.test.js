'use strict';

// The NestJS layer with a registry: SCHEMA_REGISTRY_URL read by kafkaOptionsFromConfig, the
// SchemaRegistry provider, publishing with {schema} through the injected KafkaService, and a
// @KafkaSubscriber({decode: true}) handler receiving decoded values.

require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { url, avro, samples } = require('./helpers');
const { useMockCluster, uniqueName, waitFor } = require('../helpers');

jest.setTimeout(60000);

const cluster = useMockCluster({ brokers: 1 });
const nestjs = () => require('../../dist/nestjs');

test('the module provides a SchemaRegistry from SCHEMA_REGISTRY_URL; subscribers get decoded values', async () => {
  const { KafkaNativeModule, KafkaSubscriber, kafkaOptionsFromConfig, KafkaService, SchemaRegistry } = nestjs();
  const topic = cluster.topic('nest-schemas');
  const received = [];
  class Subscriber {
    async handle({ message }) {
      received.push([message.decoded, message.schemaId]);
    }
  }
  Injectable()(Subscriber);
  KafkaSubscriber({ groupId: uniqueName('nest'), topics: topic, fromBeginning: true, decode: true })(
    Subscriber.prototype,
    'handle',
    Object.getOwnPropertyDescriptor(Subscriber.prototype, 'handle'),
  );
  const options = kafkaOptionsFromConfig({ KAFKA_BROKERS: cluster.mock.bootstrapServers, SCHEMA_REGISTRY_URL: url });
  expect(options.schemaRegistry).toEqual({ url });
  class App {}
  Module({ imports: [KafkaNativeModule.forRoot({ ...options, logLevel: 'error' })], providers: [Subscriber] })(App);
  const app = await NestFactory.createApplicationContext(App, { logger: false });
  try {
    const registry = app.get(SchemaRegistry);
    expect(registry).toBeInstanceOf(SchemaRegistry);
    const id = await registry.register(`${topic}-value`, avro.notification);
    await app.get(KafkaService).publish(topic, { value: samples.notification }, { schema: { id } });
    await waitFor(() => received.length === 1);
    expect(received[0]).toEqual([samples.notification, id]);
  } finally {
    await app.close();
  }
});

test('a subscriber message that cannot be decoded is dead-lettered at once with its raw bytes and code; the rest is decoded', async () => {
  const { KafkaNativeModule, KafkaSubscriber, KafkaService, SchemaRegistry, DEAD_LETTER_HEADERS } = nestjs();
  const topic = cluster.topic('nest-undecodable', 1);
  const deadLetterTopic = cluster.topic('nest-undecodable-dlq', 1);
  const received = [];
  class Subscriber {
    async handle({ message }) {
      received.push(message.decoded);
    }
  }
  Injectable()(Subscriber);
  const options = { groupId: uniqueName('nest'), topics: topic, fromBeginning: true, decode: true, retries: 1, retryBackoffMs: 10, deadLetterTopic };
  KafkaSubscriber(options)(Subscriber.prototype, 'handle', Object.getOwnPropertyDescriptor(Subscriber.prototype, 'handle'));
  class App {}
  const root = KafkaNativeModule.forRoot({ brokers: cluster.mock.bootstrapServers, schemaRegistry: { url }, logLevel: 'error' });
  Module({ imports: [root], providers: [Subscriber] })(App);
  const app = await NestFactory.createApplicationContext(App, { logger: false });
  try {
    const id = await app.get(SchemaRegistry).register(`${topic}-value`, avro.notification);
    const service = app.get(KafkaService);
    const encoded = await app.get(SchemaRegistry).encode({ id }, samples.notification);
    // Not framed at all, and framed but truncated: both fail decoding, neither is dropped.
    const garbage = Buffer.from('{"not":"avro"}');
    const truncated = encoded.subarray(0, encoded.length - 3);
    await service.publishBatch(topic, [
      { value: encoded },
      { key: 'k-garbage', value: garbage, headers: { 'correlation-id': 'c-1' } },
      { value: truncated },
      { value: encoded },
    ]);
    await waitFor(() => received.length === 2, 30000, 'the decodable messages');
    expect(received).toEqual([samples.notification, samples.notification]);

    const dead = [];
    const reader = await service.subscribe({ groupId: uniqueName('reader'), topics: [deadLetterTopic], fromBeginning: true }, (p) => void dead.push(p.message));
    try {
      await waitFor(() => dead.length === 2, 30000, 'the dead letters');
    } finally {
      await reader.stop();
    }
    const h = (m, name) => m.headers[name].toString();
    expect(dead.map((m) => m.value)).toEqual([garbage, truncated]);
    expect(dead[0].key.toString()).toBe('k-garbage');
    expect(h(dead[0], 'correlation-id')).toBe('c-1');
    for (const [i, m] of dead.entries()) {
      expect(h(m, DEAD_LETTER_HEADERS.topic)).toBe(topic);
      expect(h(m, DEAD_LETTER_HEADERS.offset)).toBe(String(i + 1));
      // Not retried in place (retries: 1): retrying cannot fix bytes.
      expect(h(m, DEAD_LETTER_HEADERS.attempts)).toBe('1');
      expect(h(m, DEAD_LETTER_HEADERS.errorCode)).toBe('ERR_SCHEMA_DECODE');
    }
  } finally {
    await app.close();
  }
});
