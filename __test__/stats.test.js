'use strict';

// stats(): producer counters that add up to what was sent, consumer counters and lag that follow
// the handler, broker states from librdkafka's statistics, and the service's state.

const { useMockCluster, collector, subscribeOptions, waitFor } = require('./helpers');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(60000);

const cluster = useMockCluster();

/** Bytes `stats()` counts for a message: key, value, and each header's name and value. */
function sizeOf(m) {
  const len = (v) => (v == null ? 0 : Buffer.byteLength(v));
  let size = len(m.key) + len(m.value);
  for (const [name, value] of Object.entries(m.headers || {})) {
    for (const v of Array.isArray(value) ? value : [value]) size += Buffer.byteLength(name) + len(v);
  }
  return size;
}

function expectLatency(latency, count) {
  expect(latency.count).toBe(count);
  for (const field of ['p50', 'p95', 'p99', 'p999', 'max', 'mean', 'stddev']) {
    expect(typeof latency[field]).toBe('number');
    expect(latency[field]).toBeGreaterThanOrEqual(0);
  }
  expect(latency.p50).toBeLessThanOrEqual(latency.p99);
  expect(latency.p99).toBeLessThanOrEqual(latency.max);
}

test('producer, consumer and broker figures agree with what was sent and handled', async () => {
  const topicA = cluster.topic('stats-a', 2);
  const topicB = cluster.topic('stats-b', 1);
  const service = cluster.service({ statisticsIntervalMs: 100 });

  const idle = service.stats();
  expect(idle.state).toBe('idle');
  expect(idle.producer).toMatchObject({ sent: 0, acknowledged: 0, failed: 0, inFlight: 0, bytes: 0 });
  expect(idle.producer.ackLatency.count).toBe(0);
  expect(idle.subscriptions).toBe(0);

  await service.connect();
  expect(service.stats().state).toBe('connected');

  const single = [
    { key: 'job-1', value: 'submitted', headers: { 'content-type': 'text/plain' } },
    { key: 'job-2', value: Buffer.alloc(1000, 7) },
    { value: null, key: 'job-3' },
  ];
  const batchA = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `value-${i}`, headers: { i: [String(i), 'x'] } }));
  const records = [
    { topic: topicB, value: 'b-0' },
    { topic: topicB, key: 'kb', value: 'b-1' },
    { topic: topicA, value: 'a-extra' },
  ];
  // Refused before it is queued: counted nowhere.
  const refused = { topic: topicB, value: 12345 };

  await Promise.all(single.map((m) => service.publish(topicA, m)));
  await service.publishBatch(topicA, batchA);
  const batchResults = await service.publishBatch([...records, refused]);
  expect(batchResults[3].error.code).toBe('ERR_INVALID_ARG');

  const sentA = [...single, ...batchA, records[2]];
  const sentB = records.slice(0, 2);
  const total = sentA.length + sentB.length;
  const bytesA = sentA.reduce((n, m) => n + sizeOf(m), 0);
  const bytesB = sentB.reduce((n, m) => n + sizeOf(m), 0);

  const { producer } = service.stats();
  expect(producer).toMatchObject({ sent: total, acknowledged: total, failed: 0, inFlight: 0, bytes: bytesA + bytesB });
  expect(producer.perTopic[topicA]).toEqual({ sent: sentA.length, acknowledged: sentA.length, failed: 0, bytes: bytesA });
  expect(producer.perTopic[topicB]).toEqual({ sent: sentB.length, acknowledged: sentB.length, failed: 0, bytes: bytesB });
  expectLatency(producer.ackLatency, total);

  // Brokers, from librdkafka's statistics.
  const brokers = await waitFor(() => {
    const list = service.stats().brokers;
    return list.length === 3 && list.some((b) => b.state === 'UP') ? list : null;
  }, 10000, 'three brokers in the statistics');
  expect(brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
  for (const b of brokers) {
    expect(typeof b.name).toBe('string');
    expect(typeof b.state).toBe('string');
    expect(b.rttAvgMs).toBeGreaterThanOrEqual(0);
    expect(b.rttP99Ms).toBeGreaterThanOrEqual(0);
  }

  // Consumer: handlers held after each partition's first message leave lag (librdkafka reports a
  // partition's lag once an offset was stored: one message per batch, the first one let through).
  let release;
  const gate = new Promise((resolve) => {
    release = resolve;
  });
  const c = collector(async ({ message }) => {
    if (message.offset !== '0') await gate;
  });
  let subscription;
  try {
    subscription = await service.subscribe(
      subscribeOptions([topicA, topicB], { concurrency: 3, maxBatchSize: 1, drainTimeoutMs: 2000 }),
      { eachMessage: c.eachMessage },
    );
    expect(service.stats().subscriptions).toBe(1);
    await waitFor(() => service.stats().consumer.consumed === total, 30000, 'every message consumed');
    await waitFor(
      () => service.stats().consumer.lag.reduce((n, l) => n + l.lag, 0) > 0,
      10000,
      'lag while handlers are held',
    );
    expect(service.stats().consumer.processed).toBeLessThan(total);
  } finally {
    release();
  }
  await waitFor(() => service.stats().consumer.processed === total, 30000, 'every message processed');
  const lag = await waitFor(() => {
    const l = service.stats().consumer.lag;
    return l.length === 3 && l.every((p) => p.lag === 0) ? l : null;
  }, 10000, 'lag 0 on the three partitions');
  expect(lag.map((l) => `${l.topic}/${l.partition}`).sort()).toEqual([`${topicA}/0`, `${topicA}/1`, `${topicB}/0`].sort());

  const { consumer } = service.stats();
  expect(consumer.consumed).toBe(total);
  expect(consumer.processed).toBe(total);
  expect(consumer.handlerFailures).toBe(0);
  expect(consumer.handlerLatency.count).toBeGreaterThan(0);
  expectLatency(consumer.handlerLatency, consumer.handlerLatency.count);
  expect(c.received).toHaveLength(total);

  await subscription.stop();
  expect(service.stats().subscriptions).toBe(0);
  await service.disconnect();
  expect(service.stats().state).toBe('disconnected');
});
