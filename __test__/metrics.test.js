'use strict';

// metrics(): the Prometheus text exposition, read with a real parser (parse-prometheus-text-format):
// every advertised family present with its type, and the figures moving under load. stats():
// figures per topic and per event type (eventTypeHeader).

const parsePrometheus = require('parse-prometheus-text-format');
const { useMockCluster, subscribeOptions, waitFor, expectThrow, KafkaService } = require('./helpers');

jest.setTimeout(120000);

const cluster = useMockCluster();

/** The families metrics() advertises (README "Observability"), with their Prometheus types. */
const ADVERTISED = {
  kafka_native_connected: 'GAUGE',
  kafka_native_subscriptions: 'GAUGE',
  kafka_native_messages_sent_total: 'COUNTER',
  kafka_native_sent_bytes_total: 'COUNTER',
  kafka_native_messages_acknowledged_total: 'COUNTER',
  kafka_native_publish_errors_total: 'COUNTER',
  kafka_native_publish_ack_duration_seconds: 'HISTOGRAM',
  kafka_native_producer_in_flight_messages: 'GAUGE',
  kafka_native_producer_queue_messages: 'GAUGE',
  kafka_native_producer_queue_bytes: 'GAUGE',
  kafka_native_producer_reply_queue_events: 'GAUGE',
  kafka_native_messages_consumed_total: 'COUNTER',
  kafka_native_messages_processed_total: 'COUNTER',
  kafka_native_handler_failures_total: 'COUNTER',
  kafka_native_handler_timeouts_total: 'COUNTER',
  kafka_native_handler_duration_seconds: 'HISTOGRAM',
  kafka_native_end_to_end_duration_seconds: 'HISTOGRAM',
  kafka_native_consumer_lag_messages: 'GAUGE',
  kafka_native_consumer_fetch_queue_messages: 'GAUGE',
  kafka_native_rebalances_total: 'COUNTER',
  kafka_native_broker_up: 'GAUGE',
  kafka_native_broker_state: 'GAUGE',
  kafka_native_broker_rtt_avg_seconds: 'GAUGE',
  kafka_native_broker_rtt_p99_seconds: 'GAUGE',
  kafka_native_broker_outbuf_requests: 'GAUGE',
  kafka_native_broker_waitresp_requests: 'GAUGE',
  kafka_native_broker_errors_total: 'COUNTER',
  kafka_native_broker_connects_total: 'COUNTER',
};

/** The parsed exposition as a map: family name → {type, metrics}, plus the raw text. */
function scrape(service) {
  const text = service.metrics();
  expect(typeof text).toBe('string');
  const families = { text };
  for (const f of parsePrometheus(text)) families[f.name] = f;
  return families;
}

/** The value of a counter or gauge sample whose labels include `labels` (0 when absent). */
function value(families, name, labels = {}) {
  const family = families[name];
  if (!family) return 0;
  const matching = family.metrics.filter((m) => Object.entries(labels).every(([k, v]) => (m.labels || {})[k] === v));
  return matching.reduce((sum, m) => sum + Number(m.value), 0);
}

/**
 * A histogram's `_count` or `_sum` for one topic. parse-prometheus-text-format folds a labelled
 * histogram's samples into one bucket map and drops `_count` / `_sum` (its flattening keeps them
 * only for label-less samples), so these two are read from the text that parser validated.
 */
function histogramField(families, name, field, topic) {
  const line = families.text.split('\n').find((l) => l.startsWith(`${name}_${field}{topic="${topic}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

function expectFullLatency(l, count) {
  expect(l.count).toBe(count);
  for (const field of ['min', 'mean', 'max', 'stddev', 'p50', 'p95', 'p99', 'p999']) expect(typeof l[field]).toBe('number');
  expect(l.min).toBeLessThanOrEqual(l.p50);
  expect(l.p50).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.max);
}

test('every advertised family is present, typed, and moves under load', async () => {
  const topic = cluster.topic('metrics', 3);
  const service = cluster.service({ statisticsIntervalMs: 100, eventTypeHeader: 'event-type' });

  const before = scrape(service);
  for (const [name, type] of Object.entries(ADVERTISED)) {
    expect({ name, type: before[name]?.type }).toEqual({ name, type });
  }
  expect(Object.keys(before).filter((k) => k !== 'text').sort()).toEqual(Object.keys(ADVERTISED).sort());
  expect(value(before, 'kafka_native_connected')).toBe(0);

  await service.connect();
  const types = ['job.submitted', 'job.completed'];
  const messages = Array.from({ length: 300 }, (_, i) => ({
    key: `job-${i % 17}`,
    value: `event-${i}`,
    headers: { 'event-type': types[i % 2] },
  }));
  for (let i = 0; i < messages.length; i += 100) {
    const results = await service.publishBatch(topic, messages.slice(i, i + 100));
    expect(results.every((r) => !r.error)).toBe(true);
  }
  await service.publish(topic, { value: 'single', headers: { 'event-type': 'job.submitted' } });
  // A partition the topic does not have: a publish error counted under its code.
  const failed = await service.publishBatch(topic, [{ value: 'nowhere', partition: 99 }]);
  expect(failed[0].error.code).toBe('ERR__UNKNOWN_PARTITION');

  let processed = 0;
  let hung = false;
  const subscription = await service.subscribe(subscribeOptions(topic, { handlerTimeoutMs: 300, retries: 3, retryBackoffMs: 10 }), {
    eachMessage: async () => {
      if (!hung) {
        // The first call never settles: one handler timeout, then the retry goes through.
        hung = true;
        return new Promise(() => {});
      }
      processed++;
    },
  });
  await waitFor(() => processed >= 301, 60000);
  await waitFor(() => value(scrape(service), 'kafka_native_consumer_lag_messages') === 0 && scrape(service).kafka_native_consumer_lag_messages.metrics.length === 3, 30000);
  await waitFor(() => value(scrape(service), 'kafka_native_broker_up') >= 1 && scrape(service).kafka_native_broker_outbuf_requests.metrics.length >= 1, 30000);

  const after = scrape(service);
  expect(value(after, 'kafka_native_connected')).toBe(1);
  expect(value(after, 'kafka_native_subscriptions')).toBe(1);
  expect(value(after, 'kafka_native_messages_sent_total', { topic })).toBe(301);
  expect(value(after, 'kafka_native_sent_bytes_total', { topic })).toBeGreaterThan(301 * 10);
  expect(value(after, 'kafka_native_messages_acknowledged_total', { topic })).toBe(301);
  expect(value(after, 'kafka_native_publish_errors_total', { topic, code: 'ERR__UNKNOWN_PARTITION' })).toBe(1);
  expect(histogramField(after, 'kafka_native_publish_ack_duration_seconds', 'count', topic)).toBe(301);
  const ack = after.kafka_native_publish_ack_duration_seconds.metrics[0];
  expect(Number(ack.buckets['+Inf'])).toBe(301);
  expect(histogramField(after, 'kafka_native_publish_ack_duration_seconds', 'sum', topic)).toBeGreaterThan(0);
  // Cumulative: a count per bound never decreases as the bound grows.
  const bounds = Object.keys(ack.buckets).filter((b) => b !== '+Inf').sort((a, b) => Number(a) - Number(b));
  expect(bounds.length).toBeGreaterThan(10);
  const counts = bounds.map((b) => Number(ack.buckets[b]));
  expect(counts).toEqual([...counts].sort((a, b) => a - b));
  expect(counts[counts.length - 1]).toBeLessThanOrEqual(301);
  expect(value(after, 'kafka_native_messages_consumed_total')).toBeGreaterThanOrEqual(301);
  expect(value(after, 'kafka_native_messages_processed_total', { topic })).toBe(301);
  expect(value(after, 'kafka_native_handler_timeouts_total')).toBe(1);
  expect(value(after, 'kafka_native_handler_failures_total', { topic })).toBe(1);
  expect(histogramField(after, 'kafka_native_handler_duration_seconds', 'count', topic)).toBeGreaterThanOrEqual(2);
  expect(histogramField(after, 'kafka_native_end_to_end_duration_seconds', 'count', topic)).toBe(301);
  expect(value(after, 'kafka_native_rebalances_total', { kind: 'assign' })).toBeGreaterThanOrEqual(1);
  expect(after.kafka_native_consumer_fetch_queue_messages.metrics.length).toBe(3);
  const broker = after.kafka_native_broker_up.metrics[0].labels.broker;
  expect(value(after, 'kafka_native_broker_state', { broker, state: 'UP' })).toBe(1);
  expect(value(after, 'kafka_native_broker_rtt_avg_seconds', { broker })).toBeGreaterThanOrEqual(0);
  expect(value(after, 'kafka_native_broker_connects_total', { broker })).toBeGreaterThanOrEqual(1);
  // No family grew a per-key or per-offset label.
  for (const family of parsePrometheus(after.text)) {
    for (const m of family.metrics) {
      expect(Object.keys(m.labels || {}).every((l) => ['topic', 'partition', 'code', 'kind', 'broker', 'state', 'direction'].includes(l))).toBe(true);
    }
  }

  // The same load, per topic and per event type, in stats().
  const stats = service.stats();
  const t = stats.topics[topic];
  expect(t).toMatchObject({ acknowledged: 301, failed: 1, errors: { ERR__UNKNOWN_PARTITION: 1 }, processed: 301, handlerFailures: 1 });
  expectFullLatency(t.ackLatency, 301);
  expectFullLatency(t.endToEndLatency, 301);
  expect(t.handlerLatency.count).toBeGreaterThanOrEqual(2);
  expect(stats.eventTypes['job.submitted']).toMatchObject({ acknowledged: 151, processed: 151 });
  expect(stats.eventTypes['job.completed']).toMatchObject({ acknowledged: 150, processed: 150 });
  expectFullLatency(stats.eventTypes['job.completed'].ackLatency, 150);
  expectFullLatency(stats.eventTypes['job.completed'].endToEndLatency, 150);
  expect(Object.keys(stats.eventTypes).sort()).toEqual(types.slice().sort());

  await subscription.stop();
  await service.disconnect();
  expect(value(scrape(service), 'kafka_native_connected')).toBe(0);
});

test('without eventTypeHeader no event types are tracked; an empty header name is refused', async () => {
  const topic = cluster.topic('metrics-plain', 1);
  const service = cluster.service();
  await service.connect();
  await service.publish(topic, { value: 'x', headers: { 'event-type': 'a' } });
  expect(service.stats().eventTypes).toEqual({});
  expect(service.stats().topics[topic].acknowledged).toBe(1);
  expectThrow(() => new KafkaService({ brokers: cluster.mock.bootstrapServers, eventTypeHeader: '' }), 'ERR_INVALID_CONFIG');
});
