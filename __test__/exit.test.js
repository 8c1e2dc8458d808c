'use strict';

// A Node process that holds a service exits on its own when its work is done, whether the service
// never connected, was left connected, or was disconnected; a stopped or failed subscription lets
// it go too. A running subscription is a running consumer and keeps it alive. Each scenario runs
// in a child process (helpers/exit-child.js) against this file's mock cluster; one that has not
// exited after HANG_MS is killed and fails its test.

const path = require('path');
const child = require('./helpers/child');
const { useMockCluster, uniqueName, waitFor, sleep } = require('./helpers');

// The project's testTimeout sits in a `projects` entry, where Jest 29 ignores it.
jest.setTimeout(120000);

const cluster = useMockCluster();
const CHILD = path.join(__dirname, 'helpers', 'exit-child.js');
const HANG_MS = 60000;

function startChild(scenario, env) {
  return child.startChild(CHILD, scenario, env, HANG_MS);
}

/** A topic of one partition holding one message, and the env a child needs to use it. */
async function fixture() {
  const topic = cluster.topic('exit', 1);
  const service = cluster.service();
  await service.publish(topic, { value: 'waiting for a consumer' });
  return { KAFKA_BROKERS: cluster.mock.bootstrapServers, KAFKA_TOPIC: topic, KAFKA_GROUP: uniqueName('group') };
}

async function expectCleanExit(scenario) {
  return child.expectCleanExit(startChild(scenario, await fixture()), scenario, HANG_MS);
}

test('a service that never connected', async () => {
  expect(await expectCleanExit('never-connect')).toEqual(['created idle', 'end of script']);
});

test('a connected service that published and never called disconnect', async () => {
  expect(await expectCleanExit('no-disconnect')).toEqual(['published 1', 'batch 2,3', 'end of script']);
});

test('a disconnected service (disconnect delivers what was queued)', async () => {
  expect(await expectCleanExit('disconnect')).toEqual(['delivered 1', 'disconnected', 'end of script']);
});

test('a subscription that was stopped', async () => {
  expect(await expectCleanExit('subscribe-stop')).toEqual(['received 0', 'stopped false', 'end of script']);
});

test('a subscription that stopped on a failing handler, after telling onError', async () => {
  expect(await expectCleanExit('subscribe-fail')).toEqual([
    'subscribed',
    'end of script',
    'onError ERR_HANDLER_FAILED true true',
  ]);
});

test('errors are instances of Error and KafkaNativeError in a plain Node realm', async () => {
  expect(await expectCleanExit('error-class')).toEqual([
    'config ERR_INVALID_CONFIG true true',
    'publish ERR_INVALID_ARG true true',
    'end of script',
  ]);
});

// Documented behaviour rather than a bug: a subscription that is neither stopped nor failed is a
// running consumer and keeps Node alive (as a listening server would). The child is killed here.
test('a running subscription keeps the process alive', async () => {
  const running = startChild('subscribe-running', await fixture());
  try {
    await waitFor(() => running.lines().includes('received 0'), 20000, 'the child to consume');
    expect(running.lines()).toContain('end of script');
    await sleep(2000);
    expect(running.child.exitCode).toBeNull();
    expect(running.child.signalCode).toBeNull();
  } finally {
    running.child.kill('SIGKILL');
  }
  const result = await running.exited;
  expect(result.signal).toBe('SIGKILL');
});
