'use strict';

// Trace interop on a real broker, in a plain Node process (Jest's module registry bypasses the
// require hook @opentelemetry/instrumentation-kafkajs patches kafkajs through): kafkajs under that
// instrumentation and kafka-native in one process, one OpenTelemetry SDK with the in-memory
// exporter. Publishes kafkajs → kafka-native handler and kafka-native → kafkajs handler, and
// prints the finished spans and what each handler saw as its active span, as JSON.

const { registerTracing, api, parentOf } = require('../helpers/otel');

const tracing = registerTracing();
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { KafkaJsInstrumentation } = require('@opentelemetry/instrumentation-kafkajs');
registerInstrumentations({ instrumentations: [new KafkaJsInstrumentation()] });
// Required after the instrumentation is registered, so that its hook patches it.
const { Kafka, logLevel } = require('kafkajs');
const { KafkaService } = require('../..');

const brokers = process.env.KAFKA_BROKERS;
const suffix = Math.random().toString(16).slice(2, 10);
const toNative = `interop-to-native-${suffix}`;
const toKafkajs = `interop-to-kafkajs-${suffix}`;
const orders = `interop-orders-${suffix}`;
const invoices = `interop-invoices-${suffix}`;

async function until(condition, what) {
  const deadline = Date.now() + 60000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function describeSpan(s) {
  return {
    name: s.name,
    kind: s.kind,
    scope: (s.instrumentationScope || s.instrumentationLibrary).name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: parentOf(s),
    links: s.links.map((l) => l.context.spanId),
    attributes: s.attributes,
  };
}

(async () => {
  const kafka = new Kafka({ clientId: 'interop', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [toNative, toKafkajs, orders, invoices].map((topic) => ({ topic, numPartitions: 1 })) });
  await admin.disconnect();

  const native = new KafkaService({ brokers, clientId: 'interop-native', logLevel: 'error' });
  await native.connect();
  const tracer = api.trace.getTracer('interop-test');
  const seen = {};

  // kafkajs → kafka-native
  const producer = kafka.producer();
  await producer.connect();
  await tracer.startActiveSpan('kafkajs-request', async (span) => {
    await producer.send({ topic: toNative, messages: [{ key: 'job-1', value: 'from kafkajs' }] });
    span.end();
  });
  const subscription = await native.subscribe(
    { groupId: `native-${suffix}`, topics: [toNative], fromBeginning: true },
    {
      eachMessage: async ({ message }) => {
        seen.native = {
          active: api.trace.getActiveSpan().spanContext().spanId,
          traceparent: message.headers.traceparent && message.headers.traceparent.toString(),
        };
      },
    },
  );
  await until(() => seen.native, 'the kafka-native handler');
  await subscription.stop();

  // kafka-native → kafkajs
  await tracer.startActiveSpan('native-request', async (span) => {
    await native.publish(toKafkajs, { key: 'job-2', value: 'from kafka-native' });
    span.end();
  });
  const consumer = kafka.consumer({ groupId: `kafkajs-${suffix}` });
  await consumer.connect();
  await consumer.subscribe({ topic: toKafkajs, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.kafkajs = {
        active: api.trace.getActiveSpan().spanContext().spanId,
        traceparent: message.headers.traceparent && message.headers.traceparent.toString(),
      };
    },
  });
  await until(() => seen.kafkajs, 'the kafkajs handler');
  await consumer.disconnect();
  await producer.disconnect();

  // Two kafka-native services: `native` publishes an order; `billing` handles it and publishes an
  // invoice from its handler; `native` handles the invoice.
  const billing = new KafkaService({ brokers, clientId: 'interop-billing', logLevel: 'error' });
  await billing.connect();
  const billingSub = await billing.subscribe(
    { groupId: `billing-${suffix}`, topics: [orders], fromBeginning: true },
    { eachMessage: async ({ message }) => billing.publish(invoices, { key: message.key, value: 'invoice' }) },
  );
  const invoiceSub = await native.subscribe(
    { groupId: `invoices-${suffix}`, topics: [invoices], fromBeginning: true },
    { eachMessage: async () => { seen.invoice = true; } },
  );
  await tracer.startActiveSpan('order-request', async (span) => {
    await native.publish(orders, { key: 'order-1', value: 'order' });
    span.end();
  });
  await until(() => seen.invoice, 'the invoice handler');
  await until(() => tracing.spans().some((s) => s.name === `process ${invoices}`), 'the invoice span');
  await invoiceSub.stop();
  await billingSub.stop();
  await billing.disconnect();
  await native.disconnect();

  const spans = tracing.spans().map(describeSpan);
  await tracing.unregister();
  process.stdout.write(JSON.stringify({ toNative, toKafkajs, orders, invoices, seen, spans }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
