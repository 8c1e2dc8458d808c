'use strict';

// Publishing and consuming on the real single-node broker: a round trip, per-key order over ten
// partitions, replay from a timestamp, lag while a group is behind and once it caught up, and a
// group of two members that split the partitions and hand them over when one stops.

const { BROKERS, describeOn, uniqueName, waitFor, useCluster, collector } = require('./support');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(120000);

describeOn(BROKERS, 'KafkaService on a single broker', () => {
  const cluster = useCluster(BROKERS);
  let admin;
  let service;
  beforeAll(() => {
    admin = cluster.admin();
    service = cluster.service();
  });

  test('a published message comes back with its key, value, headers and offset', async () => {
    const topic = await cluster.topic(admin, 'roundtrip', 1);
    const published = await service.publish(topic, { key: 'job-1', value: 'submitted', headers: { trace: 'abc' } });
    expect(published).toMatchObject({ topic, partition: 0, offset: 0 });
    const batch = await service.publishBatch(topic, [{ key: 'job-1', value: 'running' }, { key: 'job-1', value: 'done' }]);
    expect(batch.map((r) => r.offset)).toEqual([1, 2]);

    const c = collector();
    const subscription = await service.subscribe({ groupId: uniqueName('rt'), topics: [topic], fromBeginning: true }, { eachMessage: c.eachMessage });
    await waitFor(() => c.received.length >= 3, 60000, '3 messages');
    await subscription.stop();
    expect(c.received.map((m) => [m.offset, m.key, m.value])).toEqual([
      [0, 'job-1', 'submitted'],
      [1, 'job-1', 'running'],
      [2, 'job-1', 'done'],
    ]);
    expect(c.received[0].headers.trace.toString()).toBe('abc');
    expect(c.received[0].timestamp).toBe(published.timestamp);
  });

  test('each key keeps its order on ten partitions, consumed ten at a time', async () => {
    const topic = await cluster.topic(admin, 'per-key', 10);
    const keys = 40;
    const perKey = 25;
    const messages = [];
    for (let i = 0; i < perKey; i++) {
      for (let k = 0; k < keys; k++) messages.push({ key: `job-${k}`, value: `${k}:${i}` });
    }
    const results = await service.publishBatch(topic, messages);
    const partitionOfKey = new Map();
    results.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      const key = messages[i].key;
      if (!partitionOfKey.has(key)) partitionOfKey.set(key, r.partition);
      expect(r.partition).toBe(partitionOfKey.get(key));
    });
    expect(new Set(partitionOfKey.values()).size).toBeGreaterThan(5);

    const c = collector();
    const subscription = await service.subscribe(
      { groupId: uniqueName('order'), topics: [topic], fromBeginning: true, concurrency: 10 },
      { eachMessage: c.eachMessage },
    );
    await waitFor(() => c.received.length >= keys * perKey, 60000, `${keys * perKey} messages`);
    await subscription.stop();
    const seen = new Map();
    for (const m of c.received) {
      const [k, i] = m.value.split(':').map(Number);
      expect(m.partition).toBe(partitionOfKey.get(`job-${k}`));
      expect(i).toBe((seen.get(k) ?? -1) + 1);
      seen.set(k, i);
    }
    expect([...seen.values()].every((last) => last === perKey - 1)).toBe(true);
  });

  test('subscribe({fromTimestamp}) replays from that time, whatever the group committed', async () => {
    const topic = await cluster.topic(admin, 'replay', 2);
    const now = Date.now();
    const before = [...Array(10).keys()].map((i) => ({ key: `k${i}`, value: `old-${i}`, timestamp: now - 3600000 + i }));
    const after = [...Array(10).keys()].map((i) => ({ key: `k${i}`, value: `new-${i}`, timestamp: now + i }));
    await service.publishBatch(topic, before);
    await service.publishBatch(topic, after);

    const groupId = uniqueName('replay');
    const all = collector();
    const first = await service.subscribe({ groupId, topics: [topic], fromBeginning: true }, { eachMessage: all.eachMessage });
    await waitFor(() => all.received.length >= 20, 60000, 'all 20 messages');
    await first.stop();
    expect((await admin.lag(groupId)).total).toBe(0);

    const replay = collector();
    const second = await service.subscribe({ groupId, topics: [topic], fromTimestamp: new Date(now) }, { eachMessage: replay.eachMessage });
    await waitFor(() => replay.received.length >= 10, 60000, 'the 10 messages from the timestamp');
    await second.stop();
    expect(replay.received.map((m) => m.value).sort()).toEqual(after.map((m) => m.value).sort());
    expect(replay.received.every((m) => m.timestamp >= now)).toBe(true);
  });

  test('lag is reported while the group is behind and is zero once it caught up', async () => {
    const topic = await cluster.topic(admin, 'lag', 2);
    const groupId = uniqueName('lag');
    await service.publishBatch(topic, [...Array(20).keys()].map((i) => ({ key: `k${i}`, value: String(i) })));
    expect((await admin.lag(groupId, { topics: [topic] })).total).toBe(20);

    const c = collector();
    const subscription = await service.subscribe({ groupId, topics: [topic], fromBeginning: true }, { eachMessage: c.eachMessage });
    await waitFor(() => c.received.length >= 20, 60000, '20 messages');
    await subscription.commit();
    const caughtUp = await admin.lag(groupId);
    expect(caughtUp.total).toBe(0);
    expect(caughtUp.partitions.map((p) => p.lag)).toEqual([0, 0]);

    // Paused, the member keeps its partitions but processes (and commits) nothing.
    subscription.pause();
    await service.publishBatch(topic, [...Array(7).keys()].map((i) => ({ key: `k${i}`, value: `more-${i}` })));
    const behind = await admin.lag(groupId);
    expect(behind.total).toBe(7);
    expect(behind.partitions.reduce((n, p) => n + p.high - p.committed, 0)).toBe(7);

    subscription.resume();
    await waitFor(() => c.received.length >= 27, 60000, 'the 7 new messages');
    await subscription.commit();
    expect((await admin.lag(groupId)).total).toBe(0);
    await subscription.stop();
  });

  test('two members split the partitions, and the survivor takes them all over with nothing lost', async () => {
    const topic = await cluster.topic(admin, 'handover', 6);
    const groupId = uniqueName('handover');
    const serviceA = cluster.service();
    const serviceB = cluster.service();
    const a = collector();
    const b = collector();
    const options = { groupId, topics: [topic], fromBeginning: true, concurrency: 6 };
    const memberA = await serviceA.subscribe(options, { eachMessage: a.eachMessage });
    const memberB = await serviceB.subscribe(options, { eachMessage: b.eachMessage });

    const partitionsOf = (s) => s.assignments().map((tp) => tp.partition);
    await waitFor(() => partitionsOf(memberA).length > 0 && partitionsOf(memberB).length > 0 && partitionsOf(memberA).length + partitionsOf(memberB).length === 6, 60000, 'both members assigned');
    const split = [...partitionsOf(memberA), ...partitionsOf(memberB)].sort();
    expect(split).toEqual([0, 1, 2, 3, 4, 5]);
    const described = await admin.describeGroup(groupId);
    expect(described.members).toHaveLength(2);

    const publish = async (from, n) => {
      const results = await service.publishBatch(topic, [...Array(n).keys()].map((i) => ({ key: `job-${(from + i) % 50}`, value: String(from + i) })));
      return results.map((r) => `${r.partition}:${r.offset}`);
    };
    const firstHalf = await publish(0, 300);
    const received = () => new Set([...a.distinct(), ...b.distinct()]);
    await waitFor(() => firstHalf.every((k) => received().has(k)), 60000, 'the first 300 messages');
    expect(a.received.length).toBeGreaterThan(0);
    expect(b.received.length).toBeGreaterThan(0);

    await memberA.stop();
    await waitFor(() => partitionsOf(memberB).length === 6, 60000, 'the survivor to own all six partitions');
    const secondHalf = await publish(300, 300);
    await waitFor(() => secondHalf.every((k) => received().has(k)), 60000, 'the second 300 messages');
    await memberB.stop();

    const all = [...firstHalf, ...secondHalf];
    expect(all.every((k) => received().has(k))).toBe(true);
    // At-least-once: a message may come twice around the handover, never be missing.
    const deliveries = a.received.length + b.received.length;
    expect(deliveries).toBeGreaterThanOrEqual(600);
    expect((await admin.lag(groupId)).total).toBe(0);
  });
});
