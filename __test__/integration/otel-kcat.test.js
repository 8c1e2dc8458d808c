/**
 * @jest-environment ./__test__/helpers/otel-environment.js
 */
'use strict';

// Trace headers across tools, on Apache Kafka: kcat (librdkafka's command-line client, Debian
// package `kcat`, installed by scripts/install-test-tools.sh) reads the W3C `traceparent` header of
// a message kafka-native published under a span, and a message kcat produces with a
// `traceparent` header continues its trace in a kafka-native handler. Skipped, saying why, when
// kcat is not installed.

const { execFile, spawnSync } = require('child_process');
const { promisify } = require('util');
const { BROKERS, useCluster, waitFor } = require('./support');
const { api, registerTracing, parentOf } = require('../helpers/otel');

jest.setTimeout(120000);

const run = promisify(execFile);
const KCAT = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
const describeWith = !BROKERS
  ? (name, fn) => describe.skip(`${name} (no cluster configured)`, fn)
  : !KCAT
    ? (name, fn) => describe.skip(`${name} (kcat not installed: bash scripts/install-test-tools.sh)`, fn)
    : describe;

describeWith('trace headers read and written by kcat', () => {
  const cluster = useCluster(BROKERS);
  let tracing;
  let admin;

  beforeAll(async () => {
    tracing = registerTracing();
    admin = cluster.admin();
  });
  afterAll(() => tracing.unregister());

  test('kcat reads the traceparent of the producer span kafka-native injected', async () => {
    const topic = await cluster.topic(admin, 'kcat-read', 1);
    const service = cluster.service();
    await service.connect();
    await api.trace.getTracer('test').startActiveSpan('request', async (request) => {
      await service.publish(topic, { key: 'job-1', value: 'for kcat', headers: { 'content-type': 'text/plain' } });
      request.end();
    });
    const publish = tracing.spans().find((s) => s.name === `publish ${topic}`);
    expect(publish).toBeDefined();

    const { stdout } = await run('kcat', ['-C', '-b', BROKERS, '-t', topic, '-o', 'beginning', '-c', '1', '-e', '-q', '-J'], { timeout: 60000 });
    const record = JSON.parse(stdout.trim().split('\n')[0]);
    const headers = {};
    for (let i = 0; i < record.headers.length; i += 2) headers[record.headers[i]] = record.headers[i + 1];
    const { traceId, spanId } = publish.spanContext();
    expect(headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(headers['content-type']).toBe('text/plain');
    expect(record.key).toBe('job-1');
    expect(record.payload).toBe('for kcat');
  });

  test('a message kcat produces with a traceparent continues its trace in a kafka-native handler', async () => {
    const topic = await cluster.topic(admin, 'kcat-write', 1);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    const produce = execFile('kcat', ['-P', '-b', BROKERS, '-t', topic, '-K', ':', '-H', `traceparent=00-${traceId}-${parentSpanId}-01`], {
      timeout: 60000,
    });
    const exited = new Promise((resolve, reject) => {
      produce.on('error', reject);
      produce.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited with ${code}`))));
    });
    produce.stdin.end('job-2:from kcat\n');
    await exited;

    const service = cluster.service();
    await service.connect();
    const seen = [];
    const subscription = await service.subscribe(
      { groupId: `kcat-${topic}`, topics: [topic], fromBeginning: true },
      {
        eachMessage: async ({ message }) => {
          seen.push({ key: message.key.toString(), active: api.trace.getActiveSpan()?.spanContext() });
        },
      },
    );
    await waitFor(() => seen.length === 1 && tracing.spans().some((s) => s.name === `process ${topic}`), 60000, 'the handler and its span');
    await subscription.stop();

    const process = tracing.spans().find((s) => s.name === `process ${topic}`);
    expect(process.spanContext().traceId).toBe(traceId);
    expect(parentOf(process)).toBe(parentSpanId);
    expect(process.kind).toBe(api.SpanKind.CONSUMER);
    expect(process.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.kafka.message.key': 'job-2' });
    expect(seen[0]).toEqual({ key: 'job-2', active: expect.objectContaining({ traceId, spanId: process.spanContext().spanId }) });
  });
});
