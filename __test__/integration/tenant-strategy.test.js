'use strict';

// Partition strategies on the real broker: a service given the `caas` tenant templates keys the
// unkeyed publishes to a tenant's `chat.messages.{tenant}` by conversation (from the JSON value)
// and a publish naming `{strategy: 'user_id'}` by user (from a header): each message lands on the
// partition the Java client gives its key, is consumed with that key, and each conversation's
// messages stay in order.

const { randomBytes } = require('crypto');
const { BROKERS, describeOn, useCluster, waitFor, collector } = require('./support');
const { javaPartition } = require('../helpers');
const { partitionKey } = require('../../index.js');

jest.setTimeout(300000);

describeOn(BROKERS, 'partition strategies of tenant topics', () => {
  const cluster = useCluster(BROKERS);

  test("a template's strategy and a named one key the messages as partitionKey + key", async () => {
    const admin = cluster.admin();
    const tenant = `s${randomBytes(4).toString('hex')}`;
    const options = { profile: 'dev', timeoutMs: 60000 };
    await admin.createTenantTopics(tenant, options);
    try {
      const messagesTopic = `chat.messages.${tenant}`;
      const eventsTopic = `chat.events.${tenant}`;
      const described = await admin.describeTopics([messagesTopic, eventsTopic]);
      const partitionsOf = (topic) => described.find((d) => d.name === topic).partitions.length;
      const partitions = partitionsOf(messagesTopic);
      expect(partitions).toBeGreaterThan(1);
      const service = cluster.service({ tenantTemplates: 'caas' });
      await service.connect();

      const conversations = Array.from({ length: 12 }, (_, i) => `conv-${i}`);
      const sent = [];
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          conversations.map((conversationId) => {
            const message = { tenantId: tenant, conversationId, userId: `u-${conversationId}`, n: round };
            sent.push(message);
            return service.publish(messagesTopic, { value: JSON.stringify(message) });
          }),
        );
        results.forEach((r, i) => {
          const key = partitionKey('conversation_id', { conversationId: conversations[i] });
          expect(r.partition).toBe(javaPartition(key, partitions));
        });
      }
      const events = await service.publishBatch(
        eventsTopic,
        conversations.map((c) => ({ value: 'typing', headers: { userId: `u-${c}` } })),
        { strategy: 'user_id' },
      );
      events.forEach((r, i) => expect(r.partition).toBe(javaPartition(`u-${conversations[i]}`, partitionsOf(eventsTopic))));
      // Without the template's field: that slot fails, typed, and nothing is stored for it.
      const [missing] = await service.publishBatch(messagesTopic, [{ value: '{"userId":"u"}' }]);
      expect(missing.error.code).toBe('ERR_INVALID_ARG');
      expect(missing.error.retriable).toBe(false);

      const c = collector();
      const reader = cluster.service();
      const subscription = await reader.subscribe(
        { groupId: `strategy-${tenant}`, topics: [messagesTopic], fromBeginning: true },
        { eachMessage: c.eachMessage },
      );
      await waitFor(() => c.received.length >= sent.length, 120000, 'every chat message');
      await subscription.stop();
      expect(c.received).toHaveLength(sent.length);
      const order = new Map();
      for (const m of c.received) {
        const body = JSON.parse(m.value);
        expect(m.key).toBe(body.conversationId);
        expect(m.partition).toBe(javaPartition(body.conversationId, partitions));
        const previous = order.get(body.conversationId) ?? -1;
        expect(body.n).toBe(previous + 1);
        order.set(body.conversationId, body.n);
      }
    } finally {
      await admin.deleteTenantTopics(tenant, options);
    }
  });
});
