'use strict';

// The cluster an interop suite (kafkajs facade under NestJS, the microservices transport) runs
// on: the embedded mock cluster (the `subpaths` project) or the Apache Kafka of KAFKA_BROKERS (the
// `integration` project, started by scripts/test-integration.sh). Suites create their topics
// through `topic()`, so the same suite runs on both.

const path = require('path');
const { randomBytes } = require('crypto');
const { MockCluster, KafkaAdmin } = require('../../index.js');

jest.setTimeout(120000);

const dist = path.resolve(__dirname, '../../dist');

/** `{brokers, real, topic(prefix, partitions)}`; `real` says whether it is Apache Kafka. */
function useInteropCluster({ real }) {
  const state = { mock: null, admin: null };
  const brokers = real ? process.env.KAFKA_BROKERS || '' : '';
  beforeAll(() => {
    if (real) state.admin = new KafkaAdmin({ brokers });
    else state.mock = MockCluster.start({ brokers: 1 });
  });
  afterAll(async () => {
    if (state.admin) await state.admin.disconnect();
    if (state.mock) state.mock.close();
  });
  return {
    real,
    get brokers() {
      return (real ? brokers : state.mock.bootstrapServers).split(',');
    },
    /** A topic no other test uses, with `partitions` partitions. */
    async topic(prefix, partitions = 1) {
      return this.topicNamed(`${prefix}-${randomBytes(4).toString('hex')}`, partitions);
    },
    /** Creates the topic `name` with `partitions` partitions; resolves with its name. */
    async topicNamed(name, partitions = 1) {
      if (real) await state.admin.createTopics([{ name, partitions, replicationFactor: 1 }]);
      else state.mock.createTopic(name, partitions, 1);
      return name;
    },
  };
}

/** `describe` on the real broker only when KAFKA_BROKERS names one. */
function describeOn(cluster, name, fn) {
  return !cluster.real || process.env.KAFKA_BROKERS ? describe(name, fn) : describe.skip(`${name} (KAFKA_BROKERS unset)`, fn);
}

const facade = () => require(path.join(dist, 'kafkajs'));

/** Polls `condition` until truthy; fails naming `what` after `timeoutMs`. */
async function waitFor(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A name prefix no other suite (or earlier run on the same broker) uses. */
const uniquePrefix = (what) => `${what}-${randomBytes(4).toString('hex')}`;

module.exports = { useInteropCluster, describeOn, facade, waitFor, uniquePrefix, dist };
