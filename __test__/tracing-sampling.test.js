/**
 * @jest-environment ./__test__/helpers/otel-environment.js
 */
'use strict';

// Tracing under sampling (the SDK's in-memory exporter, on the mock cluster). Under the SDK's
// default ParentBased sampler a message whose producer context is unsampled starts no span at all
// (publish nor process: kafka-native learns from the first such span that the sampler drops them),
// yet the trace id and the unsampled flag still travel: the headers carry the parent's context,
// the handler runs in it, and what the handler publishes carries it on. A sampled parent is still
// traced, and a sampler that samples children of unsampled parents gets every span.

const { useMockCluster, subscribeOptions, waitFor } = require('./helpers');
const { api, registerTracing, parentOf } = require('./helpers/otel');
const { ParentBasedSampler, AlwaysOffSampler, AlwaysOnSampler } = require('@opentelemetry/sdk-trace-base');

jest.setTimeout(120000);

const cluster = useMockCluster();
const COUNT = 40;

// A remote parent context (as a request from another service would bring), sampled or not.
function parentContext(sampled) {
  const traceId = require('crypto').randomBytes(16).toString('hex');
  const spanId = require('crypto').randomBytes(8).toString('hex');
  const spanContext = { traceId, spanId, traceFlags: sampled ? 1 : 0, isRemote: true };
  return { spanContext, context: api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext) };
}

// Publishes COUNT messages to `topic` under `parent` (one publishBatch, then single publishes),
// handles them, and has the handler publish each on to `onward`; returns what handlers saw.
async function relay(service, topic, onward, parent) {
  await api.context.with(parent.context, async () => {
    await service.publishBatch(topic, Array.from({ length: COUNT / 2 }, (_, i) => ({ key: `b-${i}`, value: 'x' })));
    for (let i = 0; i < COUNT / 2; i++) await service.publish(topic, { key: `p-${i}`, value: 'x' });
  });
  const handled = [];
  const forwarded = [];
  const first = await service.subscribe(subscribeOptions(topic), {
    eachMessage: async ({ message }) => {
      handled.push({ traceparent: message.headers.traceparent.toString(), active: api.trace.getActiveSpan()?.spanContext() });
      await service.publish(onward, { key: message.key, value: 'y' });
    },
  });
  const second = await service.subscribe(subscribeOptions(onward), {
    eachMessage: async ({ message }) => {
      forwarded.push(message.headers.traceparent.toString());
    },
  });
  await waitFor(() => handled.length === COUNT && forwarded.length === COUNT);
  await first.stop();
  await second.stop();
  return { handled, forwarded };
}

// A sampler that counts its decisions, deciding as `inner` does.
function counting(inner) {
  const sampler = {
    calls: 0,
    shouldSample(...args) {
      sampler.calls++;
      return inner.shouldSample(...args);
    },
    toString: () => `Counting{${inner}}`,
  };
  return sampler;
}

describe('ParentBased sampler (the SDK default)', () => {
  let tracing;
  let sampler;
  beforeAll(() => {
    sampler = counting(new ParentBasedSampler({ root: new AlwaysOffSampler() }));
    tracing = registerTracing({ sampler });
  });
  afterAll(() => tracing.unregister());

  test('an unsampled parent: no spans, its trace id and unsampled flag travel through handlers', async () => {
    const topic = cluster.topic('unsampled', 2);
    const onward = cluster.topic('unsampled-onward', 1);
    const service = cluster.service();
    await service.connect();
    const parent = parentContext(false);
    const { handled, forwarded } = await relay(service, topic, onward, parent);
    await service.disconnect();

    const traceId = parent.spanContext.traceId;
    for (const h of handled) {
      expect(h.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
      expect(h.active).toMatchObject({ traceId, traceFlags: 0 });
    }
    for (const t of forwarded) expect(t).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    expect(tracing.spans()).toEqual([]);
    // One span was started, whose dropping taught kafka-native the sampler's answer; the other
    // 3 × COUNT publishes and handled messages started none.
    expect(sampler.calls).toBe(1);
  });

  test('a sampled parent: every publish and process is a span of its trace', async () => {
    tracing.exporter.reset();
    const topic = cluster.topic('sampled', 1);
    const onward = cluster.topic('sampled-onward', 1);
    const service = cluster.service();
    await service.connect();
    const parent = parentContext(true);
    const { handled } = await relay(service, topic, onward, parent);
    await waitFor(() => tracing.spans().filter((s) => s.name === `process ${onward}`).length === COUNT);
    await service.disconnect();

    const spans = tracing.spans();
    const publishes = spans.filter((s) => s.name === `publish ${topic}`);
    const processes = spans.filter((s) => s.name === `process ${topic}`);
    expect(publishes).toHaveLength(COUNT);
    expect(processes).toHaveLength(COUNT);
    expect(spans.filter((s) => s.name === `publish ${onward}`)).toHaveLength(COUNT);
    for (const s of spans) expect(s.spanContext().traceId).toBe(parent.spanContext.traceId);
    for (const p of publishes) expect(parentOf(p)).toBe(parent.spanContext.spanId);
    const publishIds = new Set(publishes.map((p) => p.spanContext().spanId));
    for (const p of processes) expect(publishIds.has(parentOf(p))).toBe(true);
    for (const h of handled) expect(h.active.traceFlags).toBe(1);
  });
});

describe('a sampler that samples children of unsampled parents', () => {
  let tracing;
  beforeAll(() => {
    tracing = registerTracing({
      sampler: new ParentBasedSampler({
        root: new AlwaysOffSampler(),
        remoteParentNotSampled: new AlwaysOnSampler(),
        localParentNotSampled: new AlwaysOnSampler(),
      }),
    });
  });
  afterAll(() => tracing.unregister());

  test('gets every span: nothing is skipped for it', async () => {
    const topic = cluster.topic('resampled', 1);
    const onward = cluster.topic('resampled-onward', 1);
    const service = cluster.service();
    await service.connect();
    await relay(service, topic, onward, parentContext(false));
    await waitFor(() => tracing.spans().filter((s) => s.name === `process ${onward}`).length === COUNT);
    await service.disconnect();
    const spans = tracing.spans();
    expect(spans.filter((s) => s.name === `publish ${topic}`)).toHaveLength(COUNT);
    expect(spans.filter((s) => s.name === `process ${topic}`)).toHaveLength(COUNT);
    expect(spans.filter((s) => s.name === `publish ${onward}`)).toHaveLength(COUNT);
  });
});
