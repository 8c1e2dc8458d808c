'use strict';

// Shared by the subpath suites: the compiled layers (dist/), the core suite's helpers, and a
// kafkajs client on the file's mock cluster whose clients are disconnected after the file.

const path = require('path');
const core = require('../helpers');

// Group joins on the mock cluster take ~3 s; a project-level testTimeout is not applied by Jest 29.
jest.setTimeout(60000);

const dist = path.resolve(__dirname, '../../dist');
const kafkajs = () => require(path.join(dist, 'kafkajs'));
const nestjs = () => require(path.join(dist, 'nestjs'));

/**
 * The file's mock cluster (`core.useMockCluster`) plus `kafka(config)`: a facade `Kafka` on it
 * whose log lines are kept in `kafkaLogs`, and `track(client)` to disconnect a client after the file.
 */
function useKafkajs(options) {
  const clients = [];
  const kafkaLogs = [];
  // Declared before the cluster's own afterAll (Jest runs them in order): clients leave their
  // groups while the brokers are still up.
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => {})));
  });
  const cluster = core.useMockCluster(options);
  return Object.assign(cluster, {
    kafkaLogs,
    kafka(config = {}) {
      const { Kafka, logLevel } = kafkajs();
      return new Kafka({
        clientId: 'subpaths',
        brokers: cluster.mock.bootstrapServers.split(','),
        logLevel: logLevel.INFO,
        logCreator: () => (entry) => kafkaLogs.push(entry),
        ...config,
      });
    },
    track(client) {
      clients.push(client);
      return client;
    },
  });
}

module.exports = { ...core, kafkajs, nestjs, useKafkajs };
