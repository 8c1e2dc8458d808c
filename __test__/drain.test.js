'use strict';

// drainOnSignals in a child process on the mock cluster: SIGTERM mid-load lets the running
// handler finish, commits everything handled, leaves the group and exits 0; a second signal
// during a drain exits at once.

const path = require('path');
const { spawn } = require('child_process');
const { KafkaAdmin } = require('../index.js');
const { useMockCluster, uniqueName, waitFor } = require('./helpers');

jest.setTimeout(90000);

const cluster = useMockCluster();

function child(mode, topic, group) {
  const proc = spawn(process.execPath, [path.join(__dirname, 'helpers', 'drain-child.js'), mode], {
    env: { ...process.env, KAFKA_BROKERS: cluster.mock.bootstrapServers, KAFKA_TOPIC: topic, KAFKA_GROUP: group },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = [];
  let buffered = '';
  proc.stdout.on('data', (d) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop();
    lines.push(...parts);
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, lines, exited };
}

test('SIGTERM mid-load: the running handler finishes, everything handled is committed, exit 0', async () => {
  const service = cluster.service();
  const topic = cluster.topic('drain', 1);
  const group = uniqueName('drain');
  await service.publishBatch(topic, Array.from({ length: 300 }, (_, i) => ({ key: 'k', value: String(i) })));
  const c = child('20', topic, group);
  await waitFor(() => c.lines.filter((l) => l.startsWith('DONE')).length >= 10, 60000, 'ten messages handled');
  c.proc.kill('SIGTERM');
  const { code } = await c.exited;
  expect(code).toBe(0);
  expect(c.lines).toContain('SIGNAL SIGTERM');
  expect(c.lines).toContain('DRAINED 0');
  const done = c.lines.filter((l) => l.startsWith('DONE')).map((l) => Number(l.split(' ')[1]));
  expect(done.length).toBeLessThan(300);
  expect(done).toEqual(done.map((_, i) => i));

  const admin = new KafkaAdmin({ brokers: cluster.mock.bootstrapServers, logger: () => {} });
  try {
    const offsets = await admin.groupOffsets(group, { topics: [topic] });
    // Everything handled is committed, nothing more.
    expect(offsets).toEqual([{ topic, partition: 0, offset: done.length }]);
  } finally {
    await admin.disconnect();
  }
});

test('a second signal during the drain exits at once', async () => {
  const service = cluster.service();
  const topic = cluster.topic('drain-hang', 1);
  await service.publish(topic, { value: 'stuck' });
  const c = child('hang', topic, uniqueName('hang'));
  await waitFor(() => c.lines.includes('READY'), 60000, 'the child subscribed');
  // The message reaches the handler, which never settles: the drain waits for it.
  await waitFor(() => c.lines.includes('HANDLING 0'), 60000, 'the handler started');
  c.proc.kill('SIGTERM');
  await waitFor(() => c.lines.includes('SIGNAL SIGTERM'), 30000, 'the drain started');
  c.proc.kill('SIGTERM');
  const { code } = await c.exited;
  expect(code).toBe(143);
  expect(c.lines.some((l) => l.startsWith('DRAINED'))).toBe(false);
});
