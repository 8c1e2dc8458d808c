'use strict';

// OpenTelemetry interop on Apache Kafka (otel-interop-child.js runs the clients in a plain Node
// process and prints the spans of the SDK's in-memory exporter): a message published by kafkajs
// under @opentelemetry/instrumentation-kafkajs continues its trace in a kafka-native handler, one
// published by kafka-native continues in a kafkajs handler, and a publish → handle → publish →
// handle chain across two kafka-native services is one span tree.

const { execFileSync } = require('child_process');
const path = require('path');
const { BROKERS, describeOn } = require('./support');

jest.setTimeout(180000);

describeOn(BROKERS, 'OpenTelemetry interop with kafkajs', () => {
  let run;

  beforeAll(() => {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'otel-interop-child.js')], {
      encoding: 'utf8',
      timeout: 150000,
      env: { ...process.env, KAFKA_BROKERS: BROKERS },
    });
    run = JSON.parse(out);
  });

  const span = (name) => {
    const found = run.spans.filter((s) => s.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('kafkajs publish (instrumentation-kafkajs) → kafka-native handler: one trace', () => {
    const request = span('kafkajs-request');
    const send = span(`send ${run.toNative}`);
    const process = span(`process ${run.toNative}`);
    expect(send.scope).toBe('@opentelemetry/instrumentation-kafkajs');
    expect(process.scope).toBe('@cosmic-horizons/kafka-native');
    expect(send.parentSpanId).toBe(request.spanId);
    expect(process.traceId).toBe(request.traceId);
    expect(process.parentSpanId).toBe(send.spanId);
    expect(run.seen.native.active).toBe(process.spanId);
    expect(run.seen.native.traceparent).toBe(`00-${send.traceId}-${send.spanId}-01`);
    expect(process.kind).toBe(4);
  });

  test('kafka-native publish → kafkajs handler (instrumentation-kafkajs): one trace', () => {
    const request = span('native-request');
    const publish = span(`publish ${run.toKafkajs}`);
    const process = span(`process ${run.toKafkajs}`);
    expect(publish.scope).toBe('@cosmic-horizons/kafka-native');
    expect(process.scope).toBe('@opentelemetry/instrumentation-kafkajs');
    expect(publish.parentSpanId).toBe(request.spanId);
    expect(process.traceId).toBe(request.traceId);
    expect(process.parentSpanId).toBe(publish.spanId);
    expect(run.seen.kafkajs.active).toBe(process.spanId);
    // The raw header another client reads is the producer span's W3C context.
    expect(run.seen.kafkajs.traceparent).toBe(`00-${publish.traceId}-${publish.spanId}-01`);
    expect(publish.kind).toBe(3);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': run.toKafkajs,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': 0,
      'messaging.kafka.message.key': 'job-2',
    });
  });

  test('two kafka-native services: request → publish → process → publish → process is one tree', () => {
    const request = span('order-request');
    const publishOrder = span(`publish ${run.orders}`);
    const processOrder = span(`process ${run.orders}`);
    const publishInvoice = span(`publish ${run.invoices}`);
    const processInvoice = span(`process ${run.invoices}`);
    const chain = [request, publishOrder, processOrder, publishInvoice, processInvoice];
    for (let i = 1; i < chain.length; i++) {
      expect({ span: chain[i].name, parent: chain[i].parentSpanId }).toEqual({ span: chain[i].name, parent: chain[i - 1].spanId });
      expect(chain[i].traceId).toBe(request.traceId);
    }
    expect(processOrder.attributes['messaging.consumer.group.name']).toMatch(/^billing-/);
    expect(processInvoice.attributes['messaging.consumer.group.name']).toMatch(/^invoices-/);
  });
});
