'use strict';

// Undecodable messages on a decoding subscription with a retry ladder, on the mock cluster and
// the real registry: each goes to the dead-letter topic at once (no in-place retry, no retry
// step: retrying cannot fix bytes), with its exact bytes and the code that says why, and the
// messages behind it on the same partition are handled.

const { registry, avro, jsonSchema, samples } = require('./helpers');
const { useMockCluster, subscribeOptions, uniqueName, waitFor, collector } = require('../helpers');

jest.setTimeout(60000);

const cluster = useMockCluster({ brokers: 1 });

/** A frame in the Confluent wire format: magic byte 0, the schema id, the body. */
function frame(id, body) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, Buffer.from(body)]);
}

test('undecodable messages are dead-lettered at once with their bytes and code; the next ones are handled', async () => {
  const s = cluster.service();
  const r = registry();
  s.useSchemaRegistry(r);
  await s.connect();
  const topic = cluster.topic('poison', 1);
  const group = uniqueName('poison-g');
  const retry1 = `${group}.retry.1`;
  const dlq = `${group}.dlq`;
  for (const t of [retry1, dlq]) cluster.mock.createTopic(t, 1, 1);
  const avroId = await r.register(`${topic}-value`, avro['system-health']);
  const jsonId = await r.register(`${uniqueName('poison-json')}-value`, jsonSchema['element-telemetry'], 'JSON');
  const good = await r.encode({ id: avroId }, samples['system-health']);

  const poison = [
    ['ERR_SCHEMA_DECODE', Buffer.from('{"not":"framed"}')], // bad magic byte
    ['ERR_SCHEMA_DECODE', good.subarray(0, good.length - 4)], // corrupt Avro body
    ['ERR_SCHEMA_NOT_FOUND', frame(0x7ffffff0, [2, 4, 6])], // unknown schema id
    ['ERR_SCHEMA_VALIDATION', frame(jsonId, JSON.stringify({ sourceId: 7 }))], // fails its JSON Schema
  ];
  await s.publishBatch(topic, [
    { value: good },
    ...poison.map(([, value], i) => ({ key: `bad-${i}`, value, headers: { 'correlation-id': `c-${i}` } })),
    { value: good },
  ]);

  const handled = [];
  const errors = [];
  // A retry step due in an hour and slow in-place retries: a poison pill that took either would
  // not reach the dead-letter topic within the test.
  const subscription = await s.subscribe(
    subscribeOptions(topic, {
      groupId: group,
      decode: true,
      retries: 3,
      retryBackoffMs: 20000,
      retry: { delays: ['1h'], deadLetterTopic: dlq },
      onError: (e) => errors.push(e),
    }),
    async ({ message }) => void handled.push({ offset: message.offset, decoded: message.decoded }),
  );
  const dead = collector();
  const reader = await s.subscribe(subscribeOptions(dlq), { eachMessage: dead.eachMessage });
  try {
    await waitFor(() => dead.received.length === poison.length, 30000, 'the dead letters');
    await waitFor(() => handled.length === 2, 30000, 'the message after them');
  } finally {
    await reader.stop();
    await subscription.stop();
  }
  expect(errors).toEqual([]);
  expect(handled).toEqual([
    { offset: '0', decoded: samples['system-health'] },
    { offset: String(poison.length + 1), decoded: samples['system-health'] },
  ]);
  const text = (m, name) => m.headers[name] && Buffer.from(m.headers[name]).toString();
  for (const [i, [code, value]] of poison.entries()) {
    const m = dead.received[i].message;
    expect(m.value.equals(value)).toBe(true);
    expect(m.key.toString()).toBe(`bad-${i}`);
    expect(text(m, 'correlation-id')).toBe(`c-${i}`);
    expect(text(m, 'x-error-code')).toBe(code);
    expect(text(m, 'x-attempts')).toBe('1');
    expect(text(m, 'x-original-topic')).toBe(topic);
    expect(text(m, 'x-original-offset')).toBe(String(i + 1));
    expect(text(m, 'x-error').length).toBeGreaterThan(0);
    expect(text(m, 'x-retry-due')).toBeUndefined();
  }
  // Nothing went to the retry step: its high watermark (no message is that late) is 0.
  const [step] = await s.admin().offsetsForTimes(retry1, Date.now() + 3600000);
  expect(Number(step.offset)).toBe(0);
});
