'use strict';

// Consumer groups on the real single-node broker: a member joining an incremental group
// (cooperative-sticky, and the KIP-848 `consumer` protocol) does not stop the partitions that stay
// with the other member, while an eager group (range) stops them all; a static member that
// restarts within its session timeout gets its partitions back with no rebalance of the others; a
// group moves from the classic to the consumer protocol one member at a time; bad combinations
// are typed errors; `seek` and `seekToTimestamp` move a running partition.

const { BROKERS, describeOn, waitFor, uniqueName, useCluster, keepPublishing, collector, expectKafkaError } = require('./support');

jest.setTimeout(180000);

const PARTITIONS = 6;

describeOn(BROKERS, 'consumer groups on a single broker', () => {
  const cluster = useCluster(BROKERS);
  let admin;
  let producer;
  beforeAll(() => {
    admin = cluster.admin();
    producer = cluster.service();
  });

  /** A member of `groupId` with its own service, recording its rebalance log records. */
  async function member(groupId, topic, options) {
    const rebalances = [];
    const service = cluster.service({
      logLevel: 'info',
      logger: (r) => {
        if (r.facility === 'ASSIGN' || r.facility === 'REVOKE') rebalances.push(r.facility);
      },
    });
    const c = collector();
    const subscription = await service.subscribe({ groupId, topics: [topic], fromBeginning: true, ...options }, { eachMessage: c.eachMessage });
    return { service, subscription, c, rebalances, held: () => subscription.assignments().map((a) => a.partition) };
  }

  /** Samples a member's assignment every few ms until stopped; returns every sample. */
  function sampleAssignments(m) {
    const samples = [];
    const timer = setInterval(() => samples.push(m.held()), 5);
    return () => {
      clearInterval(timer);
      return samples;
    };
  }

  const bothHoldAll = (a, b) => a.held().length > 0 && b.held().length > 0 && a.held().length + b.held().length === PARTITIONS;

  /**
   * Member A holds every partition; B joins. Returns the partitions A kept and whether any sample
   * of A's assignment, taken while B joined, lacked one of them.
   */
  async function joinSecondMember(options) {
    const topic = await cluster.topic(admin, 'join', PARTITIONS);
    const groupId = uniqueName('join');
    const stopPublishing = keepPublishing(producer, topic, PARTITIONS);
    try {
      const a = await member(groupId, topic, options);
      await waitFor(() => a.held().length === PARTITIONS && a.c.received.length > 0, 90000, 'A holding every partition');
      const stopSampling = sampleAssignments(a);
      const b = await member(groupId, topic, options);
      await waitFor(() => bothHoldAll(a, b), 90000, 'A and B sharing the partitions');
      // Let a protocol that moves partitions in steps finish its steps.
      await new Promise((r) => setTimeout(r, 3000));
      await waitFor(() => bothHoldAll(a, b), 90000, 'a stable split');
      const samples = stopSampling();
      const kept = a.held();
      const stopped = samples.some((s) => kept.some((p) => !s.includes(p)));
      expect(new Set([...kept, ...b.held()]).size).toBe(PARTITIONS);
      await b.subscription.stop();
      await a.subscription.stop();
      return { kept, stopped };
    } finally {
      await stopPublishing();
    }
  }

  test('an eager group (range) stops every partition when a member joins', async () => {
    const { kept, stopped } = await joinSecondMember({ assignor: 'range' });
    expect(kept.length).toBeGreaterThan(0);
    expect(stopped).toBe(true);
  });

  test('with cooperative-sticky a joining member does not stop the partitions that stay', async () => {
    const { kept, stopped } = await joinSecondMember({ assignor: 'cooperative-sticky' });
    expect(kept.length).toBeGreaterThan(0);
    expect(stopped).toBe(false);
  });

  test('with the consumer protocol (KIP-848) a joining member does not stop the partitions that stay', async () => {
    const { kept, stopped } = await joinSecondMember({ groupProtocol: 'consumer' });
    expect(kept.length).toBeGreaterThan(0);
    expect(stopped).toBe(false);
  });

  test('describeGroup lists the members of a consumer-protocol (KIP-848) group and their assignments', async () => {
    const topic = await cluster.topic(admin, 'describe848', PARTITIONS);
    const groupId = uniqueName('describe848');
    const a = await member(groupId, topic, { groupProtocol: 'consumer' });
    const b = await member(groupId, topic, { groupProtocol: 'consumer' });
    await waitFor(() => bothHoldAll(a, b), 90000, 'A and B sharing the partitions');
    const group = await waitFor(async () => {
      const g = await admin.describeGroup(groupId);
      const assigned = g.members.flatMap((m) => m.assignment.filter((t) => t.topic === topic).flatMap((t) => t.partitions));
      return g.members.length === 2 && assigned.length === PARTITIONS && g;
    }, 60000, 'both members described with their partitions');
    expect(group).toMatchObject({ groupId, protocolType: 'consumer', state: 'Stable' });
    const described = group.members.map((m) => m.assignment[0].partitions).sort((x, y) => x[0] - y[0]);
    expect(described).toEqual([a.held().sort(), b.held().sort()].sort((x, y) => x[0] - y[0]));
    await b.subscription.stop();
    await a.subscription.stop();
    await waitFor(async () => (await admin.describeGroup(groupId)).members.length === 0, 60000, 'the members to leave');
    expect((await admin.describeGroup(uniqueName('no-such-group'))).state).toBe('Dead');
  });

  test('a static member restarting within the session timeout gets its partitions back, the others do not rebalance', async () => {
    const topic = await cluster.topic(admin, 'static', PARTITIONS);
    const groupId = uniqueName('static');
    const options = { assignor: 'range', sessionTimeoutMs: 45000 };
    const a = await member(groupId, topic, { ...options, groupInstanceId: 'member-a' });
    await waitFor(() => a.held().length === PARTITIONS, 90000, 'A holding every partition');
    const b = await member(groupId, topic, { ...options, groupInstanceId: 'member-b' });
    await waitFor(() => bothHoldAll(a, b), 90000, 'A and B sharing the partitions');
    const heldByB = b.held();
    const heldByA = a.held();
    const rebalancesOfA = a.rebalances.length;

    await b.subscription.stop();
    await b.service.disconnect();
    const b2 = await member(groupId, topic, { ...options, groupInstanceId: 'member-b' });
    await waitFor(() => b2.held().length === heldByB.length, 90000, 'B back with its partitions');
    expect(b2.held()).toEqual(heldByB);
    // Messages published now reach both, without A having rebalanced.
    const marks = [];
    for (let p = 0; p < PARTITIONS; p++) marks.push({ partition: p, value: `after-${p}` });
    await producer.publishBatch(topic, marks);
    const seen = (m) => m.c.received.filter((r) => r.value.startsWith('after-')).map((r) => r.partition);
    await waitFor(() => seen(a).length + seen(b2).length === PARTITIONS, 60000, 'the marks on both members');
    expect(seen(b2).sort()).toEqual(heldByB);
    expect(a.held()).toEqual(heldByA);
    expect(a.rebalances.length).toBe(rebalancesOfA);
    await b2.subscription.stop();
    await a.subscription.stop();
  });

  test('a group moves from the classic to the consumer protocol one member at a time', async () => {
    const topic = await cluster.topic(admin, 'migrate', PARTITIONS);
    const groupId = uniqueName('migrate');
    const stopPublishing = keepPublishing(producer, topic, PARTITIONS);
    const members = [];
    try {
      // The broker converts a classic group only when its members' subscriptions carry no
      // assignor userData: librdkafka's range and roundrobin send none (cooperative-sticky does,
      // and the broker refuses to convert such a group: see README, "Delivery guarantees").
      const classic = { assignor: 'range' };
      members.push(await member(groupId, topic, classic));
      members.push(await member(groupId, topic, classic));
      await waitFor(() => bothHoldAll(members[0], members[1]), 90000, 'the classic group');
      // Roll each member over to the consumer protocol, one at a time.
      for (let i = 0; i < 2; i++) {
        await members[i].subscription.stop();
        members[i] = await member(groupId, topic, { groupProtocol: 'consumer' });
        await waitFor(() => bothHoldAll(members[0], members[1]), 90000, `the mixed group after member ${i}`);
      }
      const before = members.map((m) => m.c.received.length);
      await waitFor(() => members.every((m, i) => m.c.received.length > before[i]), 60000, 'both consuming');
      const held = members.flatMap((m) => m.held());
      expect(new Set(held).size).toBe(PARTITIONS);
      expect(held).toHaveLength(PARTITIONS);
    } finally {
      await stopPublishing();
      for (const m of members) await m.subscription.stop();
    }
  });

  test('protocol, assignor and instance id are checked', async () => {
    const service = cluster.service();
    const subscribe = (o) => service.subscribe({ groupId: 'g', topics: ['t'], ...o }, async () => {});
    await expectKafkaError(subscribe({ groupProtocol: 'eager' }), 'ERR_INVALID_ARG');
    await expectKafkaError(subscribe({ assignor: 'sticky' }), 'ERR_INVALID_ARG');
    await expectKafkaError(subscribe({ groupProtocol: 'consumer', assignor: 'range' }), 'ERR_INVALID_ARG');
    await expectKafkaError(subscribe({ groupProtocol: 'consumer', sessionTimeoutMs: 10000 }), 'ERR_INVALID_ARG');
    await expectKafkaError(subscribe({ groupInstanceId: '' }), 'ERR_INVALID_ARG');
  });

  test('seek and seekToTimestamp move a running partition; commits follow from there', async () => {
    const topic = await cluster.topic(admin, 'seek', 1);
    const first = await producer.publishBatch(topic, Array.from({ length: 20 }, (_, i) => ({ value: `v${i}` })));
    const groupId = uniqueName('seek');
    const service = cluster.service();
    const c = collector();
    const subscription = await service.subscribe({ groupId, topics: [topic], fromBeginning: true }, { eachMessage: c.eachMessage });
    await waitFor(() => c.received.length === 20, 60000, 'the 20 messages');

    await subscription.seek(topic, 0, 5);
    await waitFor(() => c.received.length === 35, 60000, 'offsets 5-19 again');
    expect(c.received.slice(20).map((m) => m.offset)).toEqual(Array.from({ length: 15 }, (_, i) => 5 + i));

    await subscription.seekToTimestamp(topic, 0, first[12].timestamp);
    await waitFor(() => c.received.length >= 35 + 8, 60000, 'from the 12th message again');
    expect(c.received[35].offset).toBeLessThanOrEqual(12);
    expect(c.received[c.received.length - 1].offset).toBe(19);

    // Without new messages, seeking back to 3 commits 3 (auto-commit) until handlers move on.
    subscription.pause();
    await subscription.seek(topic, 0, 3);
    const committed = async () => (await admin.groupOffsets(groupId, { topics: [topic] }))[0].offset;
    await waitFor(async () => (await committed()) === 3, 30000, 'offset 3 committed');
    subscription.resume();

    await expectKafkaError(subscription.seek(topic, 7, 0), 'ERR_INVALID_ARG');
    await expectKafkaError(subscription.seek(topic, 0, -3), 'ERR_INVALID_ARG');
    await expectKafkaError(subscription.seek(topic, 0, '1.5'), 'ERR_INVALID_ARG');
    await subscription.stop();
    await expectKafkaError(subscription.seek(topic, 0, 0), 'ERR_DISCONNECTED');
  });
});
