'use strict';

// Named partition strategies on publish (`{strategy}`) and the strategies of tenant topic
// templates (`tenantTemplates`): the key comes from a header or the JSON value, maps to the
// partition `partitionKey` + key gives (the Java client's murmur2), an explicit key wins, and a
// message without the strategy's field fails alone with a typed error.

const { useMockCluster, expectKafkaError, expectRejection, expectThrow, uniqueName, javaPartition, KafkaService } = require('./helpers');
const { partitionKey } = require('../index.js');

jest.setTimeout(60000);

const cluster = useMockCluster();
const PARTITIONS = 8;
const ids = Array.from({ length: 24 }, (_, i) => `conv-${i}`);

/** A message of seed 002's chat: JSON with its ids. */
const chat = (conversationId, extra = {}) => ({
  value: JSON.stringify({ tenantId: 'acme', conversationId, userId: `user-${conversationId}`, text: 'hi', ...extra }),
});

describe('publish(topic, message, {strategy})', () => {
  test('a strategy maps the same fields to the same partition as partitionKey + key', async () => {
    const topic = cluster.topic('strategy', PARTITIONS);
    const service = cluster.service();
    for (const id of ids) {
      const named = await service.publish(topic, chat(id), { strategy: 'conversation_id' });
      const keyed = await service.publish(topic, { key: partitionKey('conversation_id', { conversationId: id }), value: 'x' });
      expect(named.partition).toBe(keyed.partition);
      expect(named.partition).toBe(javaPartition(id, PARTITIONS));
      const byHeader = await service.publish(topic, { value: 'not json', headers: { userId: id } }, { strategy: 'user_id' });
      expect(byHeader.partition).toBe(javaPartition(id, PARTITIONS));
    }
    // A header wins over the value; a number is keyed as its JSON text.
    const header = await service.publish(topic, { ...chat('conv-json'), headers: { conversationId: 'conv-3' } }, { strategy: 'conversation_id' });
    expect(header.partition).toBe(javaPartition('conv-3', PARTITIONS));
    const numeric = await service.publish(topic, { value: '{"tenantId": 12345}' }, { strategy: 'tenant_id' });
    expect(numeric.partition).toBe(javaPartition('12345', PARTITIONS));
  });

  test('an explicit key wins; random needs no field', async () => {
    const topic = cluster.topic('strategy-key', PARTITIONS);
    const service = cluster.service();
    for (const id of ids) {
      const r = await service.publish(topic, { key: `k-${id}`, ...chat(id) }, { strategy: 'conversation_id' });
      expect(r.partition).toBe(javaPartition(`k-${id}`, PARTITIONS));
    }
    await expect(service.publish(topic, { value: 'no fields' }, { strategy: 'random' })).resolves.toMatchObject({ topic });
  });

  test('a missing field or an unknown strategy is a typed error', async () => {
    const topic = cluster.topic('strategy-missing', PARTITIONS);
    const service = cluster.service();
    for (const message of [{ value: 'not json' }, { value: '{"userId":"u"}' }, { value: '{"conversationId":""}' }, { value: null }, chat(null)]) {
      const e = await expectRejection(() => service.publish(topic, message, { strategy: 'conversation_id' }), 'ERR_INVALID_ARG');
      expect(e.retriable).toBe(false);
    }
    await expectRejection(() => service.publish(topic, chat('c'), { strategy: 'round_robin' }), 'ERR_INVALID_ARG');
    await expectRejection(() => service.publishBatch(topic, [chat('c')], { strategy: 'round_robin' }), 'ERR_INVALID_ARG');
  });
});

describe('publishBatch(..., {strategy})', () => {
  test('each slot is keyed; a slot without the field fails alone', async () => {
    const topic = cluster.topic('strategy-batch', PARTITIONS);
    const service = cluster.service();
    const messages = ids.map((id) => chat(id));
    messages.splice(3, 0, { value: '{"userId":"u"}' });
    messages.splice(7, 0, { key: 'explicit', value: 'x' });
    const results = await service.publishBatch(topic, messages, { strategy: 'conversation_id' });
    expect(results).toHaveLength(messages.length);
    results.forEach((r, i) => {
      if (i === 3) {
        expectKafkaError(r.error, 'ERR_INVALID_ARG');
        expect(r.error.retriable).toBe(false);
        expect(r.offset).toBe(-1);
        return;
      }
      expect(r.error).toBeUndefined();
      const key = i === 7 ? 'explicit' : JSON.parse(messages[i].value).conversationId;
      expect(r.partition).toBe(javaPartition(key, PARTITIONS));
    });

    const records = ids.map((id) => ({ topic, headers: { userId: id }, value: 'v' }));
    const byRecord = await service.publishBatch(records, { strategy: 'user_id' });
    byRecord.forEach((r, i) => expect(r.partition).toBe(javaPartition(ids[i], PARTITIONS)));
  });
});

describe('tenantTemplates', () => {
  test("a template's strategy keys unkeyed publishes to its topics, on every publish path", async () => {
    const tenant = uniqueName('t');
    const topic = `chat.messages.${tenant}`;
    const events = `chat.events.${tenant}`;
    cluster.mock.createTopic(topic, PARTITIONS, 1);
    cluster.mock.createTopic(events, PARTITIONS, 1);
    const other = cluster.topic('not-a-template', PARTITIONS);
    const service = cluster.service({ tenantTemplates: 'caas' });

    // The single publish paths (alone, and several in one turn), the batch, and the records.
    const alone = await service.publish(topic, chat('conv-1'));
    expect(alone.partition).toBe(javaPartition('conv-1', PARTITIONS));
    const turn = await Promise.all(ids.map((id) => service.publish(topic, chat(id))));
    turn.forEach((r, i) => expect(r.partition).toBe(javaPartition(ids[i], PARTITIONS)));
    const batch = await service.publishBatch(topic, ids.map((id) => chat(id)));
    batch.forEach((r, i) => expect(r.partition).toBe(javaPartition(ids[i], PARTITIONS)));
    const records = await service.publishBatch(ids.map((id) => ({ topic: events, ...chat(id) })));
    records.forEach((r, i) => expect(r.partition).toBe(javaPartition(`user-${ids[i]}`, PARTITIONS)));

    // Precedence: an explicit key, then a named strategy, then the template's.
    const keyed = await service.publish(topic, { key: 'k', ...chat('conv-1') });
    expect(keyed.partition).toBe(javaPartition('k', PARTITIONS));
    const named = await service.publish(topic, chat('conv-1'), { strategy: 'user_id' });
    expect(named.partition).toBe(javaPartition('user-conv-1', PARTITIONS));

    // A message without the template's field fails alone; other topics are left unkeyed.
    await expectRejection(() => service.publish(topic, { value: 'plain' }), 'ERR_INVALID_ARG');
    const mixed = await service.publishBatch(topic, [chat('conv-2'), { value: 'plain' }, chat('conv-3')]);
    expect(mixed.map((r) => (r.error ? r.error.code : r.partition))).toEqual([
      javaPartition('conv-2', PARTITIONS),
      'ERR_INVALID_ARG',
      javaPartition('conv-3', PARTITIONS),
    ]);
    await expect(service.publish(other, { value: 'plain' })).resolves.toMatchObject({ topic: other });
  });

  test('templates given as TopicSpecs; a bad setting is ERR_INVALID_CONFIG', async () => {
    const tenant = uniqueName('t');
    const topic = `orders.${tenant}.v1`;
    cluster.mock.createTopic(topic, PARTITIONS, 1);
    const service = cluster.service({ tenantTemplates: [{ name: 'orders.{tenant}.v1', keyStrategy: 'tenant_id' }] });
    const r = await service.publish(topic, { value: JSON.stringify({ tenantId: tenant }) });
    expect(r.partition).toBe(javaPartition(tenant, PARTITIONS));

    for (const tenantTemplates of ['nope', [{ name: 'no-placeholder', keyStrategy: 'user_id' }], [{ name: 'x.{tenant}', keyStrategy: 'job_id' }]]) {
      expectThrow(() => new KafkaService({ brokers: cluster.mock.bootstrapServers, tenantTemplates }), 'ERR_INVALID_CONFIG');
    }
  });
});
