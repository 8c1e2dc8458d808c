'use strict';

// Tenant topics on the real broker from the `caas` preset (seed 002): create / delete / list /
// health, idempotent, tenant ids that are prefixes of each other kept apart, bad ids refused,
// and 50 tenants created and deleted twice over. On the 3-node cluster too when it is configured.

const { randomBytes } = require('crypto');
const { BROKERS, BROKERS_3, describeOn, useCluster, expectKafkaError, waitFor } = require('./support');
const { catalogPreset, partitionKey, recommendedPartitions } = require('../../index.js');

jest.setTimeout(600000);

const TEMPLATES = catalogPreset('caas', 'dev').tenantTemplates.map((t) => t.name);
const topicsOf = (tenant) => TEMPLATES.map((t) => t.replace('{tenant}', tenant));

// On the 3-node cluster: the `prod` templates (replication 3, min ISR 2) with one partition each,
// so that 50 tenants stay light for the machine.
const PROD_LIGHT = catalogPreset('caas', 'prod').tenantTemplates.map((t) => ({ ...t, partitions: 1 }));

function tenantSuite(name, brokers, profile) {
  describeOn(brokers, name, () => {
    const cluster = useCluster(brokers);
    let admin;
    const run = randomBytes(3).toString('hex');
    const options = profile === 'prod' ? { templates: PROD_LIGHT, timeoutMs: 60000 } : { profile, timeoutMs: 60000 };
    beforeAll(() => {
      admin = cluster.admin();
    });

    test('tenants whose ids are prefixes of each other never touch each other', async () => {
      const [a, b, c] = [`acme${run}`, `acme${run}-eu`, `acme${run}2`];
      const first = await admin.createTenantTopics(a, options);
      expect(first.created).toEqual(topicsOf(a));
      const again = await admin.createTenantTopics(a, options);
      expect(again).toEqual({ created: [], existing: topicsOf(a), differences: [] });
      await admin.createTenantTopics(b, options);
      await admin.createTenantTopics(c, options);
      // Each answer comes from one broker's metadata: on 3 nodes, a broker other than the one
      // that saw the creation may list the new topics a moment later.
      await waitFor(async () => {
        const tenants = await admin.listTenants(options);
        return [a, b, c].every((t) => tenants.includes(t));
      }, 60000, 'all three tenants listed');
      expect((await admin.describeTopics(['presence.' + a]))[0].partitions.length).toBeGreaterThan(0);

      expect(await admin.deleteTenantTopics(a, options)).toEqual(topicsOf(a));
      const second = await admin.deleteTenantTopics(a, options);
      expect(second.filter((n) => !topicsOf(a).includes(n))).toEqual([]);
      await waitFor(async () => (await admin.deleteTenantTopics(a, options)).length === 0, 60000, 'nothing left to delete');
      // The same for deletions: the figures asserted are the answer that met the condition.
      const healthWhen = async (tenant, done, what) => {
        let health;
        await waitFor(async () => done((health = await admin.tenantHealth(tenant, options))), 60000, what);
        return health;
      };
      for (const other of [b, c]) {
        expect(await healthWhen(other, (h) => h.healthy, `${other} healthy`)).toEqual({
          tenant: other, present: topicsOf(other), missing: [], differences: [],
          offlinePartitions: [], underReplicatedPartitions: [], healthy: true,
        });
      }
      // Drift: a setting changed by hand shows in the tenant's health until it is set back.
      const drifted = topicsOf(b)[0];
      const expected = (await admin.describeConfigs([drifted]))[0].values['retention.ms'];
      await admin.alterConfigs(drifted, { 'retention.ms': '1234567' });
      expect(await healthWhen(b, (h) => h.differences.length > 0, `${b} drifted`)).toMatchObject({
        healthy: false, missing: [],
        differences: [{ topic: drifted, setting: 'retention.ms', expected, actual: '1234567' }],
      });
      await admin.alterConfigs(drifted, { 'retention.ms': expected });
      await healthWhen(b, (h) => h.healthy, `${b} healthy again`);
      expect(await healthWhen(a, (h) => h.present.length === 0, `${a} unhealthy`)).toMatchObject({ healthy: false, missing: topicsOf(a) });
      await waitFor(async () => !(await admin.listTenants(options)).includes(a), 60000, `${a} gone`);
      for (const other of [b, c]) await admin.deleteTenantTopics(other, options);
    });

    test('bad tenant ids are ERR_INVALID_ARG', async () => {
      for (const bad of ['', 'Acme', 'a.b', 'a b', '-a', 'x'.repeat(65), 'a/b']) {
        await expectKafkaError(admin.createTenantTopics(bad, options), 'ERR_INVALID_ARG');
      }
      await expectKafkaError(admin.listTenants({ preset: 'nope' }), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.listTenants({ profile: 'staging' }), 'ERR_INVALID_ARG');
      await expectKafkaError(admin.createTenantTopics('ok', { templates: [{ name: 'no-placeholder' }] }), 'ERR_INVALID_ARG');
    });

    test('50 tenants are created and deleted idempotently', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `t${run}-${i}`);
      const inBatches = async (fn) => {
        const out = [];
        for (let i = 0; i < ids.length; i += 10) out.push(...(await Promise.all(ids.slice(i, i + 10).map(fn))));
        return out;
      };
      const created = await inBatches((id) => admin.createTenantTopics(id, options));
      expect(created.every((r, i) => r.created.length === TEMPLATES.length && r.created[0].endsWith(ids[i]))).toBe(true);
      const again = await inBatches((id) => admin.createTenantTopics(id, options));
      expect(again.every((r) => r.created.length === 0 && r.existing.length === TEMPLATES.length && r.differences.length === 0)).toBe(true);
      // Each broker's metadata catches up with the creations shortly after (the listing may ask
      // another broker than the one that created them).
      await waitFor(
        async () => {
          const listed = await admin.listTenants(options);
          return ids.every((id) => listed.includes(id));
        },
        60000,
        'every tenant listed',
      );
      const deleted = await inBatches((id) => admin.deleteTenantTopics(id, options));
      expect(deleted.every((names, i) => names.length === TEMPLATES.length && names.every((n) => n.endsWith(`.${ids[i]}`)))).toBe(true);
      // Metadata catches up with deletions shortly after.
      await waitFor(async () => (await admin.listTenants(options)).filter((t) => ids.includes(t)).length === 0, 60000, 'the tenants gone');
    });
  });
}

tenantSuite('tenant topics on a single broker', BROKERS, 'dev');
tenantSuite('tenant topics on the 3-node cluster', BROKERS_3, 'prod');

test('named partition strategies and partition sizing', () => {
  expect(partitionKey('conversation_id', { tenantId: 't', conversationId: 'conv-456', userId: 'u' })).toBe('conv-456');
  expect(partitionKey('random', {})).toBeNull();
  expect(recommendedPartitions({ messagesPerSecond: 1000, uniqueKeys: 500, consumers: 3 })).toBe(4);
});
