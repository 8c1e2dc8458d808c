/**
 * @jest-environment ./__test__/helpers/otel-environment.js
 */
'use strict';

// The engine's retry ladder in the traces (the SDK's in-memory exporter, on the mock cluster): the
// consumer span of each failed handler call ends with what the engine did with the message, a
// `retry` event (in place, or republished to a retry topic with its due time) or a `dead-letter`
// event, with the attempt and the error code; every handling, on the main topic or a retry topic,
// is a child of the original producer span (the ladder carries the trace headers along), and the
// handling of a republished copy links to the handling that failed (its `x-failed-traceparent`).

const { useMockCluster, collector, subscribeOptions, uniqueName, waitFor } = require('./helpers');
const { api, useTracing, parentOf } = require('./helpers/otel');

jest.setTimeout(120000);

const cluster = useMockCluster();
const traced = useTracing();
const spans = () => traced.tracing.spans();

const PRODUCER = api.SpanKind.PRODUCER;
const CONSUMER = api.SpanKind.CONSUMER;

/** A group's topics: the main one, one retry step and its dead-letter topic. */
function ladderTopics(prefix) {
  const group = uniqueName(`${prefix}-g`);
  const main = cluster.topic(prefix, 1);
  const retry1 = `${group}.retry.1`;
  const dlq = `${group}.dlq`;
  for (const t of [retry1, dlq]) cluster.mock.createTopic(t, 1, 1);
  return { group, main, retry1, dlq };
}

/** The links of a span as [trace id, span id, why]. */
const linksOf = (span) => span.links.map((l) => [l.context.traceId, l.context.spanId, (l.attributes || {})['kafka_native.link']]);

/** The link to the failed handling `span`, as linksOf gives it. */
const linkTo = (span, why) => [span.spanContext().traceId, span.spanContext().spanId, why];

/** A span's context as a W3C traceparent. */
const traceparentOf = (span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;

/** The events of a span other than `exception`, as [name, attributes]. */
const ladderEvents = (span) => span.events.filter((e) => e.name !== 'exception').map((e) => [e.name, e.attributes]);

test('each failed call ends with a retry event (in place, then to the retry topic) and the last with dead-letter', async () => {
  const service = cluster.service();
  const { group, main, retry1, dlq } = ladderTopics('traced-ladder');
  const calls = [];
  const subscription = await service.subscribe(
    subscribeOptions(main, { groupId: group, retries: 1, retryBackoffMs: 10, retry: { delays: ['200ms'], deadLetterTopic: dlq } }),
    {
      eachMessage: async ({ topic }) => {
        calls.push(topic);
        throw new Error('cannot handle it');
      },
    },
  );
  await api.trace.getTracer('test').startActiveSpan('request', async (request) => {
    await service.publish(main, { key: 'job-1', value: 'poison' });
    request.end();
  });
  const dead = collector();
  const dlqSubscription = await service.subscribe(subscribeOptions(dlq), { eachMessage: dead.eachMessage });
  await waitFor(() => dead.received.length === 1, 60000, 'the dead letter');
  await waitFor(() => spans().filter((s) => s.kind === CONSUMER && s.name !== `process ${dlq}`).length === 4, 30000, 'four ended spans');
  await dlqSubscription.stop();
  await subscription.stop();

  expect(calls).toEqual([main, main, retry1, retry1]);
  const all = spans();
  const publish = all.find((s) => s.kind === PRODUCER && s.name === `publish ${main}`);
  const failed = all.filter((s) => s.kind === CONSUMER && s.name !== `process ${dlq}`);
  expect(failed.map((s) => s.name)).toEqual([`process ${main}`, `process ${main}`, `process ${retry1}`, `process ${retry1}`]);
  for (const span of failed) {
    expect(span.spanContext().traceId).toBe(publish.spanContext().traceId);
    expect(parentOf(span)).toBe(publish.spanContext().spanId);
    expect(span.status).toMatchObject({ code: api.SpanStatusCode.ERROR, message: 'Error' });
  }
  const events = failed.map(ladderEvents);
  const code = 'ERR_HANDLER_FAILED';
  expect(events[0]).toEqual([['retry', { 'messaging.kafka.attempt': 1, 'error.type': code, 'kafka_native.retry.delay_ms': 10 }]]);
  expect(events[1]).toEqual([
    ['retry', { 'messaging.kafka.attempt': 2, 'error.type': code, 'messaging.destination.name': retry1, 'kafka_native.retry.due_time_ms': expect.any(Number) }],
  ]);
  // The due time is when the retry topic hands it over again: at least the step's delay after the failure.
  const due = events[1][0][1]['kafka_native.retry.due_time_ms'];
  const failedAt = failed[1].events.find((e) => e.name === 'exception').time;
  expect(due - (failedAt[0] * 1000 + failedAt[1] / 1e6)).toBeGreaterThanOrEqual(199);
  expect(events[2]).toEqual([['retry', { 'messaging.kafka.attempt': 1, 'error.type': code, 'kafka_native.retry.delay_ms': 10 }]]);
  expect(events[3]).toEqual([['dead-letter', { 'messaging.kafka.attempt': 4, 'error.type': code, 'messaging.destination.name': dlq }]]);
  // The dead letter's own handling continues the same trace.
  const handledDead = all.find((s) => s.kind === CONSUMER && s.name === `process ${dlq}`);
  expect(parentOf(handledDead)).toBe(publish.spanContext().spanId);
  // Each republished copy's handling links to the handling that sent it on: both calls on the
  // retry topic to the last failed call on the main topic, the dead letter's to the last failed
  // call on the retry topic. The retries in place are the same delivery, not a copy: no link.
  expect(linksOf(failed[0])).toEqual([]);
  expect(linksOf(failed[1])).toEqual([]);
  expect(linksOf(failed[2])).toEqual([linkTo(failed[1], 'retry-of')]);
  expect(linksOf(failed[3])).toEqual([linkTo(failed[1], 'retry-of')]);
  expect(linksOf(handledDead)).toEqual([linkTo(failed[3], 'dead-letter-of')]);
  expect(dead.received[0].message.headers['x-failed-traceparent'].toString()).toBe(traceparentOf(failed[3]));
});

test('an error that is not retriable is dead-lettered at once with its code; eachBatch spans get the events too', async () => {
  const service = cluster.service();
  const { group, main, dlq } = ladderTopics('traced-fatal');
  const handled = [];
  const subscription = await service.subscribe(
    subscribeOptions(main, { groupId: group, retries: 3, retryBackoffMs: 10, retry: { delays: ['1m'], deadLetterTopic: dlq } }),
    {
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          if (m.value.toString() === 'bad') throw Object.assign(new Error('bad order'), { code: 'ERR_BAD_ORDER', retriable: false });
          handled.push(m.value.toString());
          resolveOffset(m.offset);
        }
      },
    },
  );
  await service.publishBatch(main, [{ value: 'ok-1' }, { value: 'bad' }, { value: 'ok-2' }]);
  const dead = collector();
  const dlqSubscription = await service.subscribe(subscribeOptions(dlq), { eachMessage: dead.eachMessage });
  await waitFor(() => dead.received.length === 1 && handled.includes('ok-2'), 60000, 'the dead letter and the rest');
  await waitFor(() => spans().some((s) => s.kind === CONSUMER && s.events.some((e) => e.name === 'dead-letter')), 30000, 'the event');
  await dlqSubscription.stop();
  await subscription.stop();

  const batches = spans().filter((s) => s.kind === CONSUMER && s.name === `process ${main}`);
  const failed = batches.filter((s) => s.status.code === api.SpanStatusCode.ERROR);
  expect(failed).toHaveLength(1);
  expect(failed[0].status.message).toBe('ERR_BAD_ORDER');
  expect(ladderEvents(failed[0])).toEqual([
    ['dead-letter', { 'messaging.kafka.attempt': 1, 'error.type': 'ERR_BAD_ORDER', 'messaging.destination.name': dlq }],
  ]);
  for (const span of batches.filter((s) => s !== failed[0])) expect(ladderEvents(span)).toEqual([]);
  // The dead letter's handling (a dead-letter subscription of its own) links to the failed batch.
  const handledDead = spans().find((s) => s.kind === CONSUMER && s.name === `process ${dlq}`);
  expect(linksOf(handledDead)).toEqual([linkTo(failed[0], 'dead-letter-of')]);
});

test('a batch span links to the failed handling of each retried copy in its batch', async () => {
  const service = cluster.service();
  const { group, main, retry1 } = ladderTopics('traced-batch-retry');
  const seen = [];
  const subscription = await service.subscribe(
    subscribeOptions(main, { groupId: group, retries: 0, retry: { delays: ['50ms'] } }),
    {
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          seen.push(batch.topic);
          if (batch.topic === main) throw new Error('later');
          resolveOffset(m.offset);
        }
      },
    },
  );
  await service.publish(main, { value: 'once' });
  await waitFor(() => seen.includes(retry1), 60000, 'the retried copy');
  await waitFor(() => spans().some((s) => s.name === `process ${retry1}`), 30000, 'its span');
  await subscription.stop();
  const publish = spans().find((s) => s.name === `publish ${main}`);
  const failed = spans().find((s) => s.name === `process ${main}`);
  const retried = spans().find((s) => s.name === `process ${retry1}`);
  // The producer's context, as for any message, then the failed batch.
  expect(linksOf(failed)).toEqual([linkTo(publish, undefined)]);
  expect(linksOf(retried)).toEqual([linkTo(publish, undefined), linkTo(failed, 'retry-of')]);
});

test('a header that is not a valid traceparent makes no link', async () => {
  const topic = cluster.topic('traced-bad-link', 1);
  const service = cluster.service();
  const handled = collector();
  const subscription = await service.subscribe(subscribeOptions(topic), { eachMessage: handled.eachMessage });
  const bad = ['garbage', '00-00000000000000000000000000000000-b7ad6b7169203331-01', '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01'];
  for (const value of bad) await service.publish(topic, { value, headers: { 'x-failed-traceparent': value } });
  await waitFor(() => spans().filter((s) => s.kind === CONSUMER).length === bad.length, 30000, 'the spans');
  await subscription.stop();
  for (const span of spans().filter((s) => s.kind === CONSUMER)) expect(span.links).toEqual([]);
});

test('with no tracer provider registered the republished copies carry no failed span', async () => {
  const { group, main, retry1, dlq } = ladderTopics('untraced-ladder');
  api.trace.disable();
  try {
    const service = cluster.service();
    const retried = [];
    const subscription = await service.subscribe(
      subscribeOptions(main, { groupId: group, retries: 0, retry: { delays: ['50ms'], deadLetterTopic: dlq } }),
      {
        eachMessage: async ({ topic, message }) => {
          if (topic === retry1) retried.push(message);
          throw new Error('no');
        },
      },
    );
    await service.publish(main, { value: 'x' });
    const dead = collector();
    const dlqSubscription = await service.subscribe(subscribeOptions(dlq), { eachMessage: dead.eachMessage });
    await waitFor(() => dead.received.length === 1, 60000, 'the dead letter');
    await dlqSubscription.stop();
    await subscription.stop();
    expect(retried).toHaveLength(1);
    for (const message of [retried[0], dead.received[0].message]) {
      expect(message.headers['x-attempts']).toBeDefined();
      expect(message.headers['x-failed-traceparent']).toBeUndefined();
    }
  } finally {
    api.trace.setGlobalTracerProvider(traced.tracing.provider);
  }
});

test('a failure with nowhere to go ends its span without an event when the subscription stops', async () => {
  const topic = cluster.topic('traced-stop', 1);
  const service = cluster.service();
  await service.publish(topic, { value: 'x' });
  const errors = [];
  const subscription = await service.subscribe(subscribeOptions(topic, { retries: 0, onError: (e) => errors.push(e) }), {
    eachMessage: async () => {
      throw new Error('no');
    },
  });
  await waitFor(() => errors.length === 1, 30000, 'the subscription to stop');
  await waitFor(() => spans().some((s) => s.kind === CONSUMER), 30000, 'the span to end');
  await subscription.stop();
  const [span] = spans().filter((s) => s.kind === CONSUMER);
  expect(span.status.code).toBe(api.SpanStatusCode.ERROR);
  expect(ladderEvents(span)).toEqual([]);
});
