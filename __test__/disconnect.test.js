'use strict';

// disconnect() and stop() are final and bounded: raced against a crashed consumer's restart
// back-off, a run() still joining, a rebalance, a handler that never settles, a second
// disconnect(), a CRASH listener, or brokers that went away, the process still ends by itself
// afterwards. Each scenario runs in a child process (helpers/disconnect-child.js) against this
// file's mock cluster; HANG_MS is a hang detector, far above what any scenario needs.

const path = require('path');
const { startChild, expectCleanExit } = require('./helpers/child');
const { useMockCluster, uniqueName } = require('./helpers');

jest.setTimeout(180000);

const cluster = useMockCluster();
const CHILD = path.join(__dirname, 'helpers', 'disconnect-child.js');
const HANG_MS = 120000;

async function run(scenario) {
  const topic = cluster.topic('disconnect', 1);
  const service = cluster.service();
  await service.publish(topic, { value: 'waiting for a consumer' });
  const env = { KAFKA_BROKERS: cluster.mock.bootstrapServers, KAFKA_TOPIC: topic, KAFKA_GROUP: uniqueName('group') };
  return expectCleanExit(startChild(CHILD, scenario, env, HANG_MS), scenario, HANG_MS);
}

test('kafkajs: disconnect during a restart back-off cancels the restart', async () => {
  expect(await run('restart-backoff')).toEqual(['crashed, restart true', 'disconnected', 'end of script']);
});

test('kafkajs: disconnect from a CRASH listener', async () => {
  expect(await run('crash-listener')).toEqual(['disconnected from the listener', 'end of script']);
});

test('kafkajs: disconnect during run() before the group was joined', async () => {
  const lines = await run('run-before-join');
  expect(lines.slice(1)).toEqual(['disconnected', 'end of script']);
  expect(['run resolved', 'run ERR_DISCONNECTED']).toContain(lines[0]);
});

test('subscribe() not awaited, then disconnect(): the subscription is stopped or refused', async () => {
  expect(await run('subscribe-before-join')).toEqual(['subscribe ended', 'end of script']);
});

test('disconnect during a rebalance, with a busy handler', async () => {
  expect(await run('rebalance')).toEqual(['first member busy', 'both disconnected', 'end of script']);
});

test('disconnect with a handler that never settles', async () => {
  expect(await run('stuck-handler')).toEqual(['disconnected', 'end of script']);
});

test('subscription.stop() with a handler that never settles', async () => {
  expect(await run('stuck-handler-stop')).toEqual(['stopped, running false', 'end of script']);
});

test('disconnect twice at once', async () => {
  expect(await run('twice')).toEqual(['consumer disconnected twice', 'service disconnected twice', 'end of script']);
});

test('disconnect after the brokers went away', async () => {
  expect(await run('brokers-gone')).toEqual(['brokers gone', 'disconnected', 'end of script']);
});
