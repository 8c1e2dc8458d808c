/**
 * @jest-environment ./__test__/helpers/otel-environment.js
 */
'use strict';

// The OpenTelemetry metrics bridge: with a meter provider registered (@opentelemetry/sdk-metrics), a
// service that connects is observed at each collection, with the messaging conventions' names and
// attributes, and one that disconnects is no longer read.

const api = require('@opentelemetry/api');
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
const { useMockCluster, subscribeOptions, waitFor } = require('./helpers');

jest.setTimeout(120000);

const cluster = useMockCluster();

class CollectingReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

let reader;
let provider;
beforeAll(() => {
  reader = new CollectingReader();
  provider = new MeterProvider({ readers: [reader] });
  api.metrics.setGlobalMeterProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  api.metrics.disable();
});

/** name → [{attributes, value}] of one collection. */
async function collect() {
  const { resourceMetrics } = await reader.collect();
  const out = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    if (scope.scope.name !== '@cosmic-horizons/kafka-native') continue;
    for (const m of scope.metrics) out[m.descriptor.name] = m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }));
  }
  return out;
}

test('a connected service is observed: messages sent and consumed per topic, errors by type, latencies, brokers', async () => {
  const topic = cluster.topic('otel-metrics', 2);
  const service = cluster.service({ statisticsIntervalMs: 100 });
  await service.connect();
  await service.publishBatch(topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 'v' })));
  await service.publishBatch(topic, [{ value: 'nowhere', partition: 99 }]);
  let handled = 0;
  const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: async () => void handled++ });
  await waitFor(() => handled === 20);
  await waitFor(async () => ((await collect())['kafka_native.broker.up'] || []).some((p) => p.value === 1), 30000);

  const m = await collect();
  const attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': topic };
  expect(m['messaging.client.sent.messages']).toEqual(
    expect.arrayContaining([
      { attributes, value: 20 },
      { attributes: { ...attributes, 'error.type': 'ERR__UNKNOWN_PARTITION' }, value: 1 },
    ]),
  );
  expect(m['messaging.client.consumed.messages']).toEqual([{ attributes, value: 20 }]);
  // Lag points, when librdkafka reported them, carry the partition.
  for (const p of m['kafka_native.consumer.lag'] || []) expect(['0', '1']).toContain(p.attributes['messaging.destination.partition.id']);
  expect(m['kafka_native.publish.ack.duration.p99'][0].value).toBeGreaterThan(0);
  expect(m['kafka_native.broker.up'].some((p) => p.value === 1 && typeof p.attributes['kafka.broker.id'] === 'number')).toBe(true);
  expect(m['kafka_native.handler.duration.p99'][0].value).toBeGreaterThan(0);
  expect(m['kafka_native.producer.in_flight'][0].value).toBe(0);

  await subscription.stop();
  await service.disconnect();
  // A disconnected service is no longer read (the SDK keeps its last cumulative points).
  const after = await collect();
  expect(after['messaging.client.consumed.messages'] || []).toEqual([{ attributes, value: 20 }]);
});
