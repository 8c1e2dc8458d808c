/**
 * @jest-environment ./__test__/helpers/otel-environment.js
 */
'use strict';

// OpenTelemetry traces (the SDK's in-memory exporter, on the mock cluster): a PRODUCER span per
// publish with W3C trace context injected into the message's headers, a CONSUMER span per handled
// message whose parent is that context, the handler running inside it, errors as span status with
// the code, messaging attributes for Kafka, one linked span per eachBatch call.

const { useMockCluster, subscribeOptions, waitFor } = require('./helpers');
const { api, registerTracing, parentOf } = require('./helpers/otel');

jest.setTimeout(120000);

const cluster = useMockCluster();
let tracing;

beforeAll(() => {
  tracing = registerTracing();
});
afterAll(() => tracing.unregister());
beforeEach(() => tracing.exporter.reset());

const PRODUCER = api.SpanKind.PRODUCER;
const CONSUMER = api.SpanKind.CONSUMER;

test('publish → handle is one trace: producer span under the caller, consumer span under the producer', async () => {
  const topic = cluster.topic('traced', 2);
  const service = cluster.service();
  await service.connect();
  const tracer = api.trace.getTracer('test');

  await tracer.startActiveSpan('request', async (request) => {
    await service.publish(topic, { key: 'job-1', value: 'submitted', headers: { 'content-type': 'text/plain' } });
    request.end();
  });

  const seen = [];
  const subscription = await service.subscribe(subscribeOptions(topic), {
    eachMessage: async ({ message }) => {
      seen.push({ headers: message.headers, active: api.trace.getActiveSpan()?.spanContext() });
    },
  });
  await waitFor(() => seen.length === 1);
  await waitFor(() => tracing.spans().some((s) => s.kind === CONSUMER));
  await subscription.stop();

  const spans = tracing.spans();
  const request = spans.find((s) => s.name === 'request');
  const publish = spans.find((s) => s.kind === PRODUCER);
  const process = spans.find((s) => s.kind === CONSUMER);
  expect(publish.name).toBe(`publish ${topic}`);
  expect(process.name).toBe(`process ${topic}`);
  expect(publish.spanContext().traceId).toBe(request.spanContext().traceId);
  expect(parentOf(publish)).toBe(request.spanContext().spanId);
  expect(process.spanContext().traceId).toBe(request.spanContext().traceId);
  expect(parentOf(process)).toBe(publish.spanContext().spanId);
  // The header the consumer saw is the producer span's W3C context; the caller's headers are kept.
  const { headers, active } = seen[0];
  expect(headers['content-type'].toString()).toBe('text/plain');
  expect(headers.traceparent.toString()).toBe(`00-${publish.spanContext().traceId}-${publish.spanContext().spanId}-01`);
  expect(active.spanId).toBe(process.spanContext().spanId);

  expect(publish.attributes).toMatchObject({
    'messaging.system': 'kafka',
    'messaging.operation.name': 'publish',
    'messaging.destination.name': topic,
    'messaging.kafka.message.key': 'job-1',
    'messaging.message.body.size': 9,
    'messaging.kafka.offset': 0,
  });
  expect(['0', '1']).toContain(publish.attributes['messaging.destination.partition.id']);
  expect(process.attributes).toMatchObject({
    'messaging.system': 'kafka',
    'messaging.operation.name': 'process',
    'messaging.destination.name': topic,
    'messaging.destination.partition.id': publish.attributes['messaging.destination.partition.id'],
    'messaging.consumer.group.name': expect.stringContaining('group'),
    'messaging.kafka.offset': 0,
    'messaging.kafka.message.key': 'job-1',
    'messaging.message.body.size': 9,
  });
  expect(publish.status.code).toBe(api.SpanStatusCode.UNSET);
  expect(process.status.code).toBe(api.SpanStatusCode.UNSET);
});

test('publishBatch: one producer span per message; a failed message sets its span status to its code', async () => {
  const topic = cluster.topic('traced-batch', 1);
  const service = cluster.service();
  await service.connect();
  const results = await service.publishBatch(topic, [{ value: 'a' }, { value: 'b', partition: 99 }, { value: 'c' }]);
  expect(results[1].error.code).toBe('ERR__UNKNOWN_PARTITION');
  const spans = tracing.spans().filter((s) => s.kind === PRODUCER);
  expect(spans).toHaveLength(3);
  const failed = spans.filter((s) => s.status.code === api.SpanStatusCode.ERROR);
  expect(failed).toHaveLength(1);
  expect(failed[0].status.message).toBe('ERR__UNKNOWN_PARTITION');
  expect(failed[0].attributes['error.type']).toBe('ERR__UNKNOWN_PARTITION');
  // Records form: each record names its topic.
  tracing.exporter.reset();
  await service.publishBatch([{ topic, value: 'd' }]);
  expect(tracing.spans().map((s) => s.name)).toEqual([`publish ${topic}`]);
});

test('a failing handler: its span has ERROR status, and the retry gets a span of its own', async () => {
  const topic = cluster.topic('traced-fail', 1);
  const service = cluster.service();
  await service.connect();
  await service.publish(topic, { value: 'x' });
  let calls = 0;
  const subscription = await service.subscribe(subscribeOptions(topic, { retries: 2, retryBackoffMs: 10 }), {
    eachMessage: async () => {
      calls++;
      if (calls === 1) throw new TypeError('bad payload');
    },
  });
  await waitFor(() => calls === 2);
  await waitFor(() => tracing.spans().filter((s) => s.kind === CONSUMER).length === 2);
  await subscription.stop();
  const [first, second] = tracing.spans().filter((s) => s.kind === CONSUMER);
  expect(first.status).toMatchObject({ code: api.SpanStatusCode.ERROR, message: 'TypeError' });
  expect(first.events.map((e) => e.name)).toContain('exception');
  expect(second.status.code).toBe(api.SpanStatusCode.UNSET);
  const publish = tracing.spans().find((s) => s.kind === PRODUCER);
  expect(parentOf(first)).toBe(publish.spanContext().spanId);
  expect(parentOf(second)).toBe(publish.spanContext().spanId);
});

test('eachBatch: one consumer span per call, linked to every message it handled', async () => {
  const topic = cluster.topic('traced-each-batch', 1);
  const service = cluster.service();
  await service.connect();
  await service.publishBatch(topic, [{ value: '1' }, { value: '2' }, { value: '3' }]);
  let handled = 0;
  const subscription = await service.subscribe(subscribeOptions(topic), {
    eachBatch: async ({ batch }) => {
      handled += batch.messages.length;
    },
  });
  await waitFor(() => handled === 3);
  // A later batch too: the first batch span of a tracer takes its links at its start, later ones
  // once they are seen to record.
  await service.publishBatch(topic, [{ value: '4' }, { value: '5' }]);
  await waitFor(() => handled === 5);
  await waitFor(() => tracing.spans().filter((s) => s.kind === CONSUMER).reduce((n, s) => n + s.attributes['messaging.batch.message_count'], 0) === 5);
  await subscription.stop();
  const producerSpans = tracing.spans().filter((s) => s.kind === PRODUCER);
  const batches = tracing.spans().filter((s) => s.kind === CONSUMER);
  expect(batches.length).toBeGreaterThanOrEqual(2);
  const linked = batches.flatMap((s) => s.links.map((l) => l.context.spanId)).sort();
  expect(linked).toEqual(producerSpans.map((s) => s.spanContext().spanId).sort());
});
