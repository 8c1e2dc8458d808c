'use strict';

// The retry ladder on the real broker: delays in seconds kept (no delivery before its due time;
// the spacing is printed), a message that always fails ends in the dead-letter topic with every
// header, a waiting retry partition holds up nothing else, and a consumer process killed between
// ladder steps loses nothing. Also `ordering: 'key'` keeping every key's order.

const path = require('path');
const { spawn } = require('child_process');
const { BROKERS, describeOn, uniqueName, waitFor, useCluster, collector } = require('./support');

jest.setTimeout(180000);

const text = (h) => (h == null ? undefined : Buffer.from(h).toString());

function child(args) {
  const proc = spawn(process.execPath, [path.join(__dirname, 'delivery-child.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let buffered = '';
  proc.stdout.on('data', (d) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop();
    lines.push(...parts);
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  return { proc, lines, exited };
}

describeOn(BROKERS, 'retry ladder on a single broker', () => {
  const cluster = useCluster(BROKERS);
  let admin;
  let service;
  beforeAll(() => {
    admin = cluster.admin();
    service = cluster.service();
  });

  async function ladder(prefix, steps) {
    const main = await cluster.topic(admin, prefix, 3);
    const retryTopics = [];
    for (let i = 0; i < steps; i++) retryTopics.push(await cluster.topic(admin, `${prefix}-retry${i + 1}`, 2));
    const dlq = await cluster.topic(admin, `${prefix}-dlq`, 1);
    return { main, retryTopics, dlq };
  }

  test('fails twice then succeeds at the configured spacing; always failing ends in the dead-letter topic', async () => {
    const { main, retryTopics, dlq } = await ladder('spacing', 2);
    const delays = [2000, 4000];
    const calls = [];
    const subscription = await service.subscribe(
      { groupId: uniqueName('spacing'), topics: [main], fromBeginning: true, retries: 0, retry: { delays, topics: retryTopics, deadLetterTopic: dlq } },
      {
        eachMessage: async ({ topic, message }) => {
          const value = message.value.toString();
          calls.push({ topic, value, at: Date.now() });
          const seen = calls.filter((c) => c.value === value).length;
          if (value === 'always' || (value === 'twice' && seen <= 2)) throw new Error(`no ${value}`);
        },
      },
    );
    await service.publish(main, { key: 'a', value: 'twice' });
    await service.publish(main, { key: 'b', value: 'always', headers: { trace: 'x' } });
    // A message published after the failures is handled long before the first retry is due.
    await service.publish(main, { key: 'c', value: 'after' });

    const dead = collector();
    const reader = await service.subscribe({ groupId: uniqueName('dlq'), topics: [dlq], fromBeginning: true }, { eachMessage: dead.eachMessage });
    await waitFor(() => dead.received.length === 1 && calls.filter((c) => c.value === 'twice').length === 3, 60000, 'both messages through the ladder');
    await reader.stop();
    await subscription.stop();

    const twice = calls.filter((c) => c.value === 'twice');
    expect(twice.map((c) => c.topic)).toEqual([main, retryTopics[0], retryTopics[1]]);
    const spacing = [twice[1].at - twice[0].at, twice[2].at - twice[1].at];
    // Measured as behaviour: never before the due time, and not far past it (a generous bound).
    spacing.forEach((s, i) => {
      expect(s).toBeGreaterThanOrEqual(delays[i]);
      expect(s).toBeLessThan(delays[i] * 2 + 5000);
    });
    process.stdout.write(`RETRY_SPACING ${JSON.stringify({ delays, measured: spacing, deviation: spacing.map((s, i) => (s - delays[i]) / delays[i]) })}\n`);
    const after = calls.find((c) => c.value === 'after');
    expect(after.at).toBeLessThan(twice[1].at);

    const h = dead.received[0].headers;
    expect(dead.received[0].key).toBe('b');
    expect(text(h.trace)).toBe('x');
    expect(text(h['x-original-topic'])).toBe(main);
    expect(Number(text(h['x-original-partition']))).toBeGreaterThanOrEqual(0);
    expect(text(h['x-original-offset'])).toBe('0');
    expect(text(h['x-original-key'])).toBe('b');
    expect(Number(text(h['x-original-timestamp']))).toBeGreaterThan(0);
    expect(text(h['x-attempts'])).toBe('3');
    expect(Number(text(h['x-first-failure']))).toBeGreaterThan(0);
    expect(text(h['x-error-code'])).toBe('ERR_HANDLER_FAILED');
    expect(text(h['x-error'])).toBe('Error: no always');
    expect(text(h['x-consumer-group'])).toBeDefined();
  });

  test('a consumer process killed between ladder steps loses nothing', async () => {
    const { main, retryTopics, dlq } = await ladder('crash', 1);
    const group = uniqueName('crash');
    const values = [];
    for (let i = 0; i < 20; i++) values.push(i % 5 === 0 ? `poison-${i}` : `ok-${i}`);
    await service.publishBatch(main, values.map((value, i) => ({ key: `k${i % 4}`, value })));

    const args = [BROKERS, group, main, retryTopics[0], dlq];
    const first = child(args);
    // Killed once it failed on a poison message: some are on their way up the ladder, some not.
    await waitFor(() => first.lines.some((l) => l.startsWith(`CALL ${main} poison`)), 60000, 'a first failure');
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = child(args);
    const dead = collector();
    const reader = await service.subscribe({ groupId: uniqueName('dlq'), topics: [dlq], fromBeginning: true }, { eachMessage: dead.eachMessage });
    const poisons = values.filter((v) => v.startsWith('poison'));
    await waitFor(() => poisons.every((p) => dead.received.some((d) => d.value === p)), 90000, 'every poison message dead-lettered');
    const handled = () => new Set([...first.lines, ...second.lines].filter((l) => l.startsWith('CALL ')).map((l) => l.split(' ')[2]));
    await waitFor(() => values.every((v) => handled().has(v)), 60000, 'every message handled');
    second.proc.kill('SIGTERM');
    await second.exited;
    await reader.stop();
  });

  test("ordering: 'key' keeps each key's order over many messages with random handler times", async () => {
    const topic = await cluster.topic(admin, 'keyed', 1);
    const n = Number(process.env.KEY_ORDER_MESSAGES || 20000);
    const records = [];
    for (let i = 0; i < n; i++) records.push({ key: `k${i % 100}`, value: String(i) });
    for (let i = 0; i < n; i += 5000) await service.publishBatch(topic, records.slice(i, i + 5000));
    const started = Date.now();
    const last = new Map();
    let outOfOrder = 0;
    let handled = 0;
    const subscription = await service.subscribe(
      { groupId: uniqueName('keyed'), topics: [topic], fromBeginning: true, ordering: 'key', concurrency: 10 },
      {
        eachMessage: async ({ message }) => {
          if (Math.random() < 0.05) await new Promise((r) => setTimeout(r, Math.random() * 3));
          const key = message.key.toString();
          const v = Number(message.value.toString());
          if (last.has(key) && last.get(key) >= v) outOfOrder += 1;
          last.set(key, v);
          handled += 1;
        },
      },
    );
    await waitFor(() => handled >= n, 150000, `${n} messages`);
    process.stdout.write(`KEY_ORDER_CHECK ${JSON.stringify({ messages: n, keys: 100, seconds: (Date.now() - started) / 1000 })}\n`);
    await subscription.stop();
    expect(outOfOrder).toBe(0);
    expect(handled).toBe(n);
  });
});
