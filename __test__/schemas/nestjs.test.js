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
