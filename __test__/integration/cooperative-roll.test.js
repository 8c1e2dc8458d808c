'use strict';

// A cooperative-sticky group on the real single-node broker: a member stopped gracefully while
// the group is between the two rebalances of an incremental join (the joining member has not yet
// rejoined for the second one) still commits what its handlers finished, so the partitions that
// move on are not handled again from an older commit. Duplicates allowed: at most the in-flight
// batch of each partition that moved (none in fact, since a graceful stop drains its handlers).

const fs = require('fs');
const { BROKERS, describeOn, waitFor, uniqueName, useCluster, keepPublishing, sleep } = require('./support');

jest.setTimeout(180000);

const PARTITIONS = 6;
const MAX_BATCH = 5;
// COOP_DEBUG=FILE: every member's engine and librdkafka `cgrp` records go to FILE.
const DEBUG_FILE = process.env.COOP_DEBUG;

describeOn(BROKERS, 'cooperative rolling restart on a single broker', () => {
  const cluster = useCluster(BROKERS);
  let admin;
  let producer;
  beforeAll(() => {
    admin = cluster.admin();
    producer = cluster.service();
  });

  /** A member with its own service; `handled` records every "partition:offset" its handler finished. */
  async function member(name, groupId, topic, handled, librdkafka = {}) {
    const revokes = [];
    const log = DEBUG_FILE ? fs.openSync(DEBUG_FILE, 'a') : undefined;
    const service = cluster.service({
      clientId: uniqueName(name),
      logLevel: DEBUG_FILE ? 'debug' : 'info',
      librdkafka: DEBUG_FILE ? { debug: 'cgrp', ...librdkafka } : librdkafka,
      logger: (r) => {
        if (r.facility === 'REVOKE' && r.level === 'info') revokes.push(r.message);
        if (log !== undefined) fs.writeSync(log, `${Date.now()} ${name} ${r.level} ${r.facility} ${r.message}\n`);
      },
    });
    const subscription = await service.subscribe(
      { groupId, topics: [topic], fromBeginning: true, assignor: 'cooperative-sticky', sessionTimeoutMs: 20000, concurrency: PARTITIONS, maxBatchSize: MAX_BATCH },
      {
        eachMessage: async ({ partition, message }) => {
          await sleep(1);
          handled.push(`${partition}:${message.offset}`);
        },
      },
    );
    return { service, subscription, revokes, held: () => subscription.assignments().map((a) => a.partition) };
  }

  test('a member stopped between the two rebalances of a join commits what it handled', async () => {
    const topic = await cluster.topic(admin, 'coop-roll', PARTITIONS);
    const groupId = uniqueName('coop-roll');
    const handled = [];
    const stopPublishing = keepPublishing(producer, topic, PARTITIONS);
    const a = await member('a', groupId, topic, handled);
    const b = await member('b', groupId, topic, handled);
    await waitFor(() => a.held().length > 0 && b.held().length > 0 && a.held().length + b.held().length === PARTITIONS, 90000, 'A and B sharing the partitions');
    await sleep(2000);

    // C joins. Its first rebalance takes partitions from A and B (A revokes and commits them);
    // C learns of the second one, which hands them to C, only at its next heartbeat: a long
    // heartbeat interval keeps the group in that second rebalance while A stops.
    const revokesBefore = a.revokes.length;
    const c = await member('c', groupId, topic, handled, { 'heartbeat.interval.ms': 8000 });
    await waitFor(() => a.revokes.length > revokesBefore, 60000, "A's revoke in C's first rebalance");
    const moved = a.held();
    await sleep(2000);
    await a.subscription.stop();
    await a.service.disconnect();

    await waitFor(() => c.held().length > 0 && b.held().length + c.held().length === PARTITIONS, 90000, 'B and C holding every partition');
    const acked = await stopPublishing();
    await waitFor(() => {
      const seen = new Set(handled);
      return acked.every((k) => seen.has(k));
    }, 90000, 'every acknowledged message handled');
    await c.subscription.stop();
    await b.subscription.stop();

    const duplicates = handled.length - new Set(handled).size;
    // A kept `moved` partitions through C's first rebalance and gave them up at its stop.
    expect(moved.length).toBeGreaterThan(0);
    expect(duplicates).toBeLessThanOrEqual(PARTITIONS * MAX_BATCH);
  });
});
