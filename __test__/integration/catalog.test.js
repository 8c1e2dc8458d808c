'use strict';

// The topic catalog on the real single-node broker: ensureTopics(topicCatalog('dev')) sets up
// the cluster, a second run changes nothing, and a changed spec is reported, not applied.

const { topicCatalog } = require('../../index.js');
const { BROKERS, describeOn, expectKafkaError, useCluster } = require('./support');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(120000);

test('topicCatalog describes the seed topics and the dead-letter topic', () => {
  const dev = topicCatalog('dev');
  expect(dev.map((s) => s.name)).toEqual([
    'job-lifecycle',
    'job-metrics',
    'notifications',
    'audit-trail',
    'system-health',
    'element.raw_data',
    'cosmic-horizons.dlq',
  ]);
  expect(dev.find((s) => s.name === 'job-lifecycle')).toMatchObject({
    partitions: 3,
    replicationFactor: 1,
    retentionMs: 2592000000,
    compressionType: 'gzip',
    minInsyncReplicas: 1,
    keyStrategy: 'job_id',
  });
  expect(dev.find((s) => s.name === 'element.raw_data')).toMatchObject({
    retentionMs: 604800000,
    retentionBytes: 107374182400,
    compressionType: 'snappy',
    cleanupPolicy: 'delete',
  });
  const prod = topicCatalog('prod');
  expect(prod.every((s) => s.replicationFactor === 3 && s.minInsyncReplicas === 2)).toBe(true);
  expect(() => topicCatalog('staging')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
});

describeOn(BROKERS, 'ensureTopics(topicCatalog("dev")) on a single broker', () => {
  const cluster = useCluster(BROKERS);

  test('creates what is missing, then finds nothing to do, then reports a changed spec', async () => {
    const admin = cluster.admin();
    const catalog = topicCatalog('dev');
    const names = catalog.map((s) => s.name);
    const existedBefore = (await admin.listTopics()).filter((t) => names.includes(t));

    const first = await admin.ensureTopics(catalog);
    expect(first.created).toEqual(names.filter((n) => !existedBefore.includes(n)));
    expect(first.existing).toEqual(names.filter((n) => existedBefore.includes(n)));
    expect(first.differences).toEqual([]);

    const second = await admin.ensureTopics(catalog);
    expect(second).toEqual({ created: [], existing: names, differences: [] });

    const described = await admin.describeTopics(names);
    expect(described.map((t) => t.partitions.length)).toEqual(catalog.map((s) => s.partitions));
    const [lifecycle] = await admin.describeConfigs(['job-lifecycle']);
    expect(lifecycle.values).toMatchObject({ 'retention.ms': '2592000000', 'compression.type': 'gzip', 'min.insync.replicas': '1' });

    const changed = catalog.map((s) =>
      s.name === 'job-lifecycle' ? { ...s, partitions: 6, retentionMs: 86400000, compressionType: 'zstd' } : s,
    );
    const third = await admin.ensureTopics(changed);
    expect(third.created).toEqual([]);
    expect(third.differences).toEqual([
      { topic: 'job-lifecycle', setting: 'partitions', expected: '6', actual: '3' },
      { topic: 'job-lifecycle', setting: 'retention.ms', expected: '86400000', actual: '2592000000' },
      { topic: 'job-lifecycle', setting: 'compression.type', expected: 'zstd', actual: 'gzip' },
    ]);
    // Reported, not applied.
    expect((await admin.describeTopics(['job-lifecycle']))[0].partitions).toHaveLength(3);

    await expectKafkaError(admin.ensureTopics([{ name: 'job-lifecycle' }, { name: 'job-lifecycle' }]), 'ERR_INVALID_ARG');
  });
});
