'use strict';

// Numeric options must be whole numbers >= 0: a negative or fractional value is refused, never
// wrapped into a huge unsigned number or truncated.

const { KafkaService, expectRejection, expectThrow, useMockCluster } = require('./helpers');

describe('numeric options', () => {
  const cluster = useMockCluster({ brokers: 1 });

  test.each([
    ['connectionTimeoutMs', { connectionTimeoutMs: -1 }],
    ['statisticsIntervalMs', { statisticsIntervalMs: 1.5 }],
    ['producer.messageTimeoutMs', { producer: { messageTimeoutMs: -5 } }],
    ['producer.maxInFlight', { producer: { maxInFlight: Number.NaN } }],
    ['producer.batchSize', { producer: { batchSize: 2 ** 40 } }],
  ])('config %s out of range is ERR_INVALID_CONFIG', (_name, extra) => {
    expectThrow(() => new KafkaService({ brokers: cluster.mock.bootstrapServers, ...extra }), 'ERR_INVALID_CONFIG');
  });

  test.each([
    ['concurrency', { concurrency: -1 }],
    ['retries', { retries: -1 }],
    ['maxBatchSize', { maxBatchSize: 0.5 }],
    ['retryBackoffMs', { retryBackoffMs: -100 }],
    ['maxBufferedMessages', { maxBufferedMessages: Infinity }],
    ['drainTimeoutMs', { drainTimeoutMs: -1 }],
    ['sessionTimeoutMs', { sessionTimeoutMs: -1 }],
  ])('subscribe %s out of range is ERR_INVALID_ARG', async (_name, extra) => {
    const kafka = cluster.service();
    await expectRejection(() => kafka.subscribe({ groupId: 'g', topics: ['t'], ...extra }, { eachMessage: async () => {} }), 'ERR_INVALID_ARG');
  });

  test('disconnect with a negative timeout is ERR_INVALID_ARG', async () => {
    const kafka = cluster.service();
    await expectRejection(() => kafka.disconnect({ timeoutMs: -1 }), 'ERR_INVALID_ARG');
  });
});
