'use strict';

// A stand-in for the mock cluster when a suite of the `subpaths` project runs on Apache Kafka
// (KAFKA_NATIVE_SUBPATHS_BROKERS, set by the integration project's wrappers): the same
// `bootstrapServers` and synchronous `createTopic(name, partitions)` (a child process creates the
// topic and waits for its leaders, so suites keep their synchronous `cluster.topic()`); broker
// faults are the mock's alone (tests that inject them are skipped on a real broker).

const { execFileSync } = require('child_process');
const path = require('path');

const CREATE = `
const { KafkaAdmin } = require(${JSON.stringify(path.resolve(__dirname, '../../index.js'))});
const [brokers, name, partitions] = process.argv.slice(1);
const admin = new KafkaAdmin({ brokers });
admin.createTopics([{ name, partitions: Number(partitions), replicationFactor: 1 }])
  .then(() => admin.disconnect(), (e) => admin.disconnect().then(() => { console.error(e.code, e.message); process.exit(1); }));
`;

function realCluster(brokers) {
  return {
    bootstrapServers: brokers,
    createTopic(name, partitions) {
      execFileSync(process.execPath, ['-e', CREATE, brokers, name, String(partitions)], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
    },
    close() {},
  };
}

/** The broker a subpath suite runs on instead of the mock cluster, if one is set. */
const SUBPATHS_BROKERS = process.env.KAFKA_NATIVE_SUBPATHS_BROKERS || '';

/** `test`, or `test.skip` on a real broker: for tests that inject broker faults into the mock. */
const mockOnly = (name, fn, timeout) => (SUBPATHS_BROKERS ? test.skip : test)(name, fn, timeout);

module.exports = { realCluster, SUBPATHS_BROKERS, mockOnly };
