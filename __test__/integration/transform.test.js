'use strict';

// Exactly-once consume-transform-produce on the real single-node broker: a child process
// transforms 3 partitions of input through `subscribeTransactional` and is killed with SIGKILL
// twice while it runs, then restarted; read with read_committed, the output holds each input's
// result exactly once (no loss, no duplicate). Also: what subscribeTransactional refuses.

const path = require('path');
const { spawn } = require('child_process');
const { BROKERS, describeOn, uniqueName, waitFor, sleep, useCluster, collector, expectKafkaError } = require('./support');

jest.setTimeout(300000);

const INPUTS = 3000;

describeOn(BROKERS, 'consume-transform-produce on a single broker', () => {
  const cluster = useCluster(BROKERS);
  const children = new Set();
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  function startChild(env) {
    const child = spawn(process.execPath, [path.resolve(__dirname, '../helpers/transform-child.js')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdout.resume();
    child.stderrText = '';
    child.stderr.on('data', (d) => (child.stderrText += d));
    return child;
  }

  async function kill(child) {
    child.kill('SIGKILL');
    await child.exited;
    children.delete(child);
  }

  test('a transforming process killed twice mid-run leaves each input result exactly once', async () => {
    const admin = cluster.admin();
    const input = await cluster.topic(admin, 'ctp-in', 3);
    const output = await cluster.topic(admin, 'ctp-out', 3);
    const producer = cluster.service();
    const inputs = Array.from({ length: INPUTS }, (_, i) => ({ key: `k${i % 50}`, value: `v${i}` }));
    const published = await producer.publishBatch(input, inputs);
    expect(published.every((r) => r.error === undefined)).toBe(true);

    // The output as read_committed readers see it, collected throughout.
    const reader = cluster.service();
    const out = collector();
    const subscription = await reader.subscribe({ groupId: uniqueName('ctp-read'), topics: [output], fromBeginning: true }, { eachMessage: out.eachMessage });

    const env = {
      KAFKA_BROKERS: BROKERS,
      KAFKA_INPUT: input,
      KAFKA_OUTPUT: output,
      KAFKA_GROUP: uniqueName('ctp'),
      KAFKA_TRANSACTIONAL_ID: uniqueName('ctp-tid'),
      TRANSFORM_DELAY_MS: '20',
    };
    for (const fraction of [0.2, 0.5]) {
      const child = startChild(env);
      await waitFor(() => out.received.length >= INPUTS * fraction, 120000, `${fraction * 100}% of the output`);
      await kill(child);
    }
    const last = startChild({ ...env, TRANSFORM_DELAY_MS: '0' });
    await waitFor(() => out.received.length >= INPUTS, 180000, 'every output');
    // A duplicate would come after the last expected result: give it time to show.
    await sleep(3000);
    await kill(last);
    await subscription.stop();

    const values = out.received.map((m) => m.value);
    const counts = new Map();
    for (const v of values) counts.set(v, (counts.get(v) || 0) + 1);
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    const lost = inputs.filter((m) => !counts.has(`out:${m.value}`)).length;
    expect({ outputs: values.length, duplicates, lost }).toEqual({ outputs: INPUTS, duplicates: 0, lost: 0 });
  });

  test('subscribeTransactional needs a transactional id, a transform and no autoCommit', async () => {
    const plain = cluster.service();
    await expectKafkaError(plain.subscribeTransactional({ groupId: 'g', topics: ['t'] }, async () => []), 'ERR_INVALID_CONFIG');
    const service = cluster.service({ transactionalId: uniqueName('tid') });
    await expectKafkaError(service.subscribeTransactional({ groupId: 'g', topics: ['t'] }, 'not a function'), 'ERR_INVALID_ARG');
    await expectKafkaError(service.subscribeTransactional({ groupId: 'g', topics: ['t'], autoCommit: true }, async () => []), 'ERR_INVALID_ARG');
    await expectKafkaError(service.subscribeTransactional({ groupId: '', topics: ['t'] }, async () => []), 'ERR_INVALID_ARG');
  });
});
