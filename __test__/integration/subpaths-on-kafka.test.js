'use strict';

// The subpath layers' own suites (__test__/subpaths: the kafkajs facade and the NestJS module) on
// Apache Kafka: the same files as on the mock cluster, with the broker of KAFKA_BROKERS standing in
// for it (see __test__/helpers/real-cluster.js). Tests that inject broker faults stay mock-only.

process.env.KAFKA_NATIVE_SUBPATHS_BROKERS = process.env.KAFKA_BROKERS || '';

if (!process.env.KAFKA_BROKERS) {
  test.skip('the subpath suites on Apache Kafka (KAFKA_BROKERS unset)', () => {});
} else {
  for (const suite of ['kafkajs-producer', 'kafkajs-consumer', 'kafkajs-admin', 'kafkajs-errors', 'kafkajs-network', 'nestjs']) {
    describe(suite, () => {
      require(`../subpaths/${suite}.test.js`);
    });
  }
}
