'use strict';

// Exactly-once consume-transform-produce on the real single-node broker: a child process
// transforms 3 partitions of input through `subscribeTransactional` and is killed with SIGKILL
// twice while it runs, then restarted; read with read_committed, the output holds each input's
// result exactly once (no loss, no duplicate). A subscription whose producer another instance
// fences resets it once and goes on, still exactly once. Also: what subscribeTransactional
// refuses.

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

  test('fenced by another producer with its transactional id, the subscription resets its producer once and loses nothing', async () => {
    const admin = cluster.admin();
    const input = await cluster.topic(admin, 'ctp-fence-in', 3);
    const output = await cluster.topic(admin, 'ctp-fence-out', 3);
    const scratch = await cluster.topic(admin, 'ctp-fence-scratch', 1);
    const total = 1000;
    const inputs = Array.from({ length: total }, (_, i) => ({ key: `k${i % 20}`, value: `v${i}` }));
    const published = await cluster.service().publishBatch(input, inputs);
    expect(published.every((r) => r.error === undefined)).toBe(true);

    const reader = cluster.service();
    const out = collector();
    const reading = await reader.subscribe({ groupId: uniqueName('ctp-read'), topics: [output], fromBeginning: true }, { eachMessage: out.eachMessage });

    const transactionalId = uniqueName('ctp-tid');
    const transforming = cluster.service({ transactionalId });
    const subscription = await transforming.subscribeTransactional(
      { groupId: uniqueName('ctp'), topics: [input], fromBeginning: true, maxBatchSize: 20, retries: 10, retryBackoffMs: 200 },
      async ({ messages }) => {
        await sleep(20);
        return messages.map((m) => ({ topic: output, key: m.key, value: `out:${m.value.toString()}` }));
      },
    );
    await waitFor(() => out.received.length >= total * 0.2, 120000, '20% of the output');
    // Registering the same transactional id fences the subscription's producer.
    const intruder = cluster.service({ transactionalId });
    const first = await intruder.transaction();
    await first.abort();
    await waitFor(() => out.received.length >= total, 180000, 'every output');
    // The subscription's new producer fenced the intruder in turn.
    const late = await intruder.transaction();
    await late.publish(scratch, { value: 'late' }).catch(() => {});
    const fenced = await late.commit().then(
      () => null,
      (e) => e,
    );
    expect(fenced && fenced.fatal).toBe(true);
    await sleep(3000);
    await subscription.stop();
    await reading.stop();

    const counts = new Map();
    for (const m of out.received) counts.set(m.value, (counts.get(m.value) || 0) + 1);
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    const lost = inputs.filter((m) => !counts.has(`out:${m.value}`)).length;
    expect({ outputs: out.received.length, duplicates, lost }).toEqual({ outputs: total, duplicates: 0, lost: 0 });
  });

  test('fenced again and again, the subscription stops with the fatal error', async () => {
    const admin = cluster.admin();
    const input = await cluster.topic(admin, 'ctp-twice-in', 1);
    const output = await cluster.topic(admin, 'ctp-twice-out', 1);
    const total = 2000;
    const published = await cluster.service().publishBatch(
      input,
      Array.from({ length: total }, (_, i) => ({ value: `v${i}` })),
    );
    expect(published.every((r) => r.error === undefined)).toBe(true);
    const reader = cluster.service();
    const out = collector();
    const reading = await reader.subscribe({ groupId: uniqueName('ctp-read'), topics: [output], fromBeginning: true }, { eachMessage: out.eachMessage });

    const transactionalId = uniqueName('ctp-tid');
    const errors = [];
    const transforming = cluster.service({ transactionalId });
    const subscription = await transforming.subscribeTransactional(
      { groupId: uniqueName('ctp'), topics: [input], fromBeginning: true, maxBatchSize: 10, retries: 10, retryBackoffMs: 100, onError: (e) => errors.push(e) },
      async ({ messages }) => {
        await sleep(20);
        return messages.map((m) => ({ topic: output, value: `out:${m.value.toString()}` }));
      },
    );
    await waitFor(() => out.received.length >= 50, 120000, 'the first outputs');
    // Intruders fence it again and again, each once it committed again after its reset: the
    // first does not stop it, more do. Back to back, they make one disturbance, which stops it
    // at its 7th fence; an intruder whose registration lands before the subscription's
    // replacement registers fences nothing, hence the margin.
    let intruders = 0;
    while (errors.length === 0 && intruders < 30) {
      const before = out.received.length;
      await (await cluster.service({ transactionalId }).transaction()).abort();
      intruders++;
      await waitFor(() => errors.length > 0 || out.received.length > before, 120000, 'an output after the reset, or onError');
      if (intruders === 1) expect(errors).toEqual([]);
    }
    expect(errors.length).toBe(1);
    expect({ code: errors[0].code, retriable: errors[0].retriable }).toEqual({ code: 'ERR__FENCED', retriable: false });
    expect(out.received.length).toBeLessThan(total);
    await subscription.stop();
    await reading.stop();
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
