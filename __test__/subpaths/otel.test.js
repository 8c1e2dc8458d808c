/**
 * @jest-environment ./__test__/helpers/otel-environment.js
 */
'use strict';

// Observability through the subpath layers: traces through the kafkajs facade (producer.send,
// consumer.run) and the NestJS subscriber (retries and dead-lettering as span events), and the
// NestJS `/metrics` controller serving the engine's Prometheus exposition.

require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const parsePrometheus = require('parse-prometheus-text-format');
const { nestjs, useKafkajs, waitFor, uniqueName, KafkaService } = require('./helpers');
const { api, registerTracing, parentOf } = require('../helpers/otel');

const cluster = useKafkajs();
let tracing;
beforeAll(() => {
  tracing = registerTracing();
});
afterAll(() => tracing.unregister());
beforeEach(() => tracing.exporter.reset());

const apps = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close().catch(() => {})));
});

async function start(imports, providers = [], controllers = []) {
  class Root {}
  Module({ imports, providers, controllers })(Root);
  const app = await NestFactory.createApplicationContext(Root, { logger: false });
  apps.push(app);
  return app;
}

test('kafkajs facade: producer.send and consumer.run make one trace', async () => {
  const kafka = cluster.kafka();
  const topic = cluster.topic('facade-traced', 1);
  const producer = cluster.track(kafka.producer());
  await producer.connect();
  await api.trace.getTracer('test').startActiveSpan('request', async (span) => {
    await producer.send({ topic, messages: [{ key: 'job-1', value: 'v' }] });
    span.end();
  });
  const consumer = cluster.track(kafka.consumer({ groupId: uniqueName('g') }));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let active;
  await consumer.run({ eachMessage: async () => void (active = api.trace.getActiveSpan().spanContext().spanId) });
  await waitFor(() => active !== undefined, 30000, 'the message');
  await waitFor(() => tracing.spans().some((s) => s.name === `process ${topic}`), 10000, 'the consumer span');
  const request = tracing.spans().find((s) => s.name === 'request');
  const publish = tracing.spans().find((s) => s.name === `publish ${topic}`);
  const process = tracing.spans().find((s) => s.name === `process ${topic}`);
  expect(parentOf(publish)).toBe(request.spanContext().spanId);
  expect(parentOf(process)).toBe(publish.spanContext().spanId);
  expect(active).toBe(process.spanContext().spanId);
});

test('NestJS subscriber: retries and the dead letter are events of the consumer spans', async () => {
  const { KafkaNativeModule, KafkaSubscriber } = nestjs();
  const topic = cluster.topic('nest-traced', 1);
  const deadLetterTopic = cluster.topic('nest-traced-dlq', 1);
  let attempts = 0;
  class Subscriber {
    async handle() {
      attempts++;
      throw new RangeError('cannot process');
    }
  }
  Injectable()(Subscriber);
  KafkaSubscriber({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true, retries: 2, retryBackoffMs: 10, deadLetterTopic })(
    Subscriber.prototype,
    'handle',
    Object.getOwnPropertyDescriptor(Subscriber.prototype, 'handle'),
  );
  const app = await start([KafkaNativeModule.forRoot({ brokers: cluster.mock.bootstrapServers })], [Subscriber]);
  const service = app.get(KafkaService);
  await service.publish(topic, { value: 'poison' });
  // The engine's retry ladder moves the message to the dead-letter topic once the in-place
  // retries ran out (from Rust: no JS producer span); each attempt is a consumer span.
  const dead = [];
  const reader = await service.subscribe(
    { groupId: uniqueName('dlq'), topics: [deadLetterTopic], fromBeginning: true },
    { eachMessage: async ({ message }) => void dead.push(message) },
  );
  await waitFor(() => dead.length > 0, 30000, 'the dead letter');
  await reader.stop();
  expect(dead[0].headers['x-original-topic'].toString()).toBe(topic);
  await waitFor(() => tracing.spans().filter((s) => s.name === `process ${topic}`).length === 3, 10000, 'three consumer spans');
  expect(attempts).toBe(3);
  const processes = tracing.spans().filter((s) => s.name === `process ${topic}`);
  const events = processes.map((s) => s.events.filter((e) => e.name !== 'exception').map((e) => [e.name, e.attributes['messaging.kafka.attempt']]));
  expect(events).toEqual([[['retry', 1]], [['retry', 2]], [['dead-letter', 3]]]);
  expect(processes[0].status).toMatchObject({ code: api.SpanStatusCode.ERROR, message: 'RangeError' });
  expect(processes[2].events.find((e) => e.name === 'dead-letter').attributes['messaging.destination.name']).toBe(deadLetterTopic);
});

test('KafkaMetricsController serves the Prometheus exposition at /metrics', async () => {
  const { KafkaNativeModule, KafkaMetricsController, kafkaMetricsController, PROMETHEUS_CONTENT_TYPE } = nestjs();
  const topic = cluster.topic('nest-metrics', 1);
  const Custom = kafkaMetricsController('internal/metrics');
  const app = await start([KafkaNativeModule.forRoot({ brokers: cluster.mock.bootstrapServers })], [], [KafkaMetricsController, Custom]);
  await app.get(KafkaService).publish(topic, { value: 'x' });
  const controller = app.get(KafkaMetricsController);
  const families = parsePrometheus(controller.scrape());
  const sent = families.find((f) => f.name === 'kafka_native_messages_sent_total');
  expect(sent.metrics).toEqual([{ labels: { topic }, value: '1' }]);
  expect(Reflect.getMetadata('path', KafkaMetricsController)).toBe('metrics');
  expect(Reflect.getMetadata('path', Custom)).toBe('internal/metrics');
  const headers = Reflect.getMetadata('__headers__', KafkaMetricsController.prototype.scrape);
  expect(headers).toContainEqual({ name: 'Content-Type', value: PROMETHEUS_CONTENT_TYPE });
  expect(app.get(Custom).scrape()).toContain('# TYPE kafka_native_messages_sent_total counter');
});
