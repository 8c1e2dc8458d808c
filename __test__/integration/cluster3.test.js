'use strict';

// The 3-node cluster: replicated topics with min.insync.replicas 2, the prod catalog, the
// cluster's description and health, and health seeing a broker go down and come back.

const path = require('path');
const { execFileSync } = require('child_process');
const { topicCatalog } = require('../../index.js');
const { BROKERS_3, describeOn, uniqueName, waitFor, useCluster, collector } = require('./support');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(120000);

/**
 * Whether the 3-node cluster is the local one scripts/test-integration.sh started (or reused),
 * whose nodes the fault test may stop and restart.
 */
const LOCAL_3 = process.env.KAFKA_NATIVE_LOCAL_3 === '1' && process.env.KAFKA_NATIVE_FAULTS !== '0';
const nodeScript = path.join(__dirname, '..', '..', 'scripts', 'kafka', 'node.sh');
const node = (...args) => execFileSync('bash', [nodeScript, ...args, '--nodes', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });

describeOn(BROKERS_3, 'the 3-node cluster', () => {
  const cluster = useCluster(BROKERS_3);
  let admin;
  beforeAll(() => {
    admin = cluster.admin();
  });

  test('describeCluster lists the three brokers', async () => {
    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => `${b.host}:${b.port}`).sort().join(',')).toBe(BROKERS_3.split(',').sort().join(','));
    expect(described.brokers.map((b) => b.id)).toContain(described.controller);
    expect(typeof described.clusterId).toBe('string');
  });

  test('a topic with replication 3 and min.insync.replicas 2 has three in-sync replicas per partition', async () => {
    const replicated = uniqueName('replicated');
    await admin.createTopics([{ name: replicated, partitions: 3, replicationFactor: 3, minInsyncReplicas: 2 }]);
    const [topic] = await waitFor(async () => {
      const d = await admin.describeTopics([replicated]);
      return d[0].partitions.every((p) => p.isr.length === 3) && d;
    }, 60000, 'every partition to have 3 in-sync replicas');
    expect(topic.replicationFactor).toBe(3);
    const brokerIds = (await admin.describeCluster()).brokers.map((b) => b.id).sort();
    for (const p of topic.partitions) {
      expect([...p.replicas].sort()).toEqual(brokerIds);
      expect([...p.isr].sort()).toEqual(brokerIds);
      expect(p.replicas).toContain(p.leader);
      expect(p.underReplicated).toBe(false);
      expect(p.offline).toBe(false);
    }
    const [configs] = await admin.describeConfigs([replicated]);
    expect(configs.values['min.insync.replicas']).toBe('2');

    const service = cluster.service();
    const results = await service.publishBatch(replicated, [...Array(30).keys()].map((i) => ({ key: `k${i}`, value: String(i) })));
    expect(results.every((r) => r.error === undefined)).toBe(true);
    const c = collector();
    const subscription = await service.subscribe({ groupId: uniqueName('rf3'), topics: [replicated], fromBeginning: true }, { eachMessage: c.eachMessage });
    await waitFor(() => c.received.length >= 30, 60000, '30 messages');
    await subscription.stop();
    expect(c.received.map((m) => Number(m.value)).sort((x, y) => x - y)).toEqual([...Array(30).keys()]);
  });

  test('ensureTopics(topicCatalog("prod")) creates replicated topics, then finds nothing to do', async () => {
    const catalog = topicCatalog('prod');
    const names = catalog.map((s) => s.name);
    const first = await admin.ensureTopics(catalog);
    expect([...first.created, ...first.existing].sort()).toEqual([...names].sort());
    expect(first.differences).toEqual([]);
    expect(await admin.ensureTopics(catalog)).toEqual({ created: [], existing: names, differences: [] });
    const described = await admin.describeTopics(names);
    expect(described.every((t) => t.replicationFactor === 3)).toBe(true);
    const configs = await admin.describeConfigs(names);
    expect(configs.every((c) => c.values['min.insync.replicas'] === '2')).toBe(true);
  });

  test('health: three brokers up, nothing under-replicated', async () => {
    const health = await waitFor(async () => {
      const h = await admin.health();
      return h.healthy && h;
    }, 60000, 'a healthy cluster');
    expect(health.brokers).toHaveLength(3);
    expect(health.brokers.every((b) => b.up)).toBe(true);
    expect(health.topics).toEqual({ underReplicated: [], offline: [] });
    expect(health.brokers.map((b) => b.id)).toContain(health.controller);
    const fromService = await cluster.service().health({ timeoutMs: 10000 });
    expect(fromService).toMatchObject({ healthy: true, clusterId: health.clusterId });
  });

  (LOCAL_3 ? test : test.skip)('health sees a killed broker down, acks=all writes still go through, and recovers', async () => {
    // node.sh numbers nodes in bootstrap order: node 3 listens on the third address.
    const victimPort = Number(BROKERS_3.split(',')[2].split(':')[1]);
    const before = await admin.describeCluster();
    const victim = before.brokers.find((b) => b.port === victimPort);
    expect(victim).toBeDefined();
    const topic = await cluster.topic(admin, 'outage', 3, { replicationFactor: 3, minInsyncReplicas: 2 });
    await waitFor(async () => (await admin.describeTopics([topic]))[0].partitions.every((p) => p.isr.length === 3), 60000, 'a fully replicated topic');
    const service = cluster.service();
    node('kill', '3');
    try {
      const down = await waitFor(async () => {
        const h = await admin.health({ timeoutMs: 5000 });
        const b = h.brokers.find((x) => x.id === victim.id);
        return !h.healthy && b && !b.up && h;
      }, 60000, `broker ${victim.id} to be reported down`);
      expect(down.brokers.filter((b) => b.up)).toHaveLength(2);
      // Two replicas of three stay in sync: min.insync.replicas 2 accepts acks=all writes.
      const result = await service.publish(topic, { key: 'during', value: 'outage' });
      expect(result.offset).toBeGreaterThanOrEqual(0);
      await waitFor(async () => (await admin.health({ timeoutMs: 5000 })).topics.underReplicated.length > 0, 60000, 'under-replicated partitions');
    } finally {
      node('start', '3');
    }
    const recovered = await waitFor(async () => {
      const h = await admin.health({ timeoutMs: 5000 });
      return h.healthy && h;
    }, 90000, 'the cluster to be healthy again');
    expect(recovered.brokers.every((b) => b.up)).toBe(true);
  });
});
