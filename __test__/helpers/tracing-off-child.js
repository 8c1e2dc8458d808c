'use strict';

// Publishes and consumes on a mock cluster without any OpenTelemetry registration, then prints
// which OpenTelemetry modules the process loaded and the headers the handler saw. With
// `--with-api`, @opentelemetry/api is loaded (as a dependency of something else would) but no
// tracer provider is registered.

const withApi = process.argv.includes('--with-api');
if (withApi) require('@opentelemetry/api');
const { KafkaService, MockCluster } = require('../..');

(async () => {
  const mock = MockCluster.start({ brokers: 1 });
  mock.createTopic('untraced', 1, 1);
  const service = new KafkaService({ brokers: mock.bootstrapServers, logLevel: 'error' });
  await service.connect();
  await service.publish('untraced', { value: 'one', headers: { a: '1' } });
  await service.publishBatch('untraced', [{ value: 'two' }]);
  const headers = [];
  const subscription = await service.subscribe(
    { groupId: 'g', topics: ['untraced'], fromBeginning: true },
    { eachMessage: async ({ message }) => headers.push(Object.keys(message.headers)) },
  );
  while (headers.length < 2) await new Promise((r) => setTimeout(r, 20));
  await subscription.stop();
  await service.disconnect();
  mock.close();
  const loaded = Object.keys(require.cache).filter((p) => p.includes(`${require('path').sep}@opentelemetry${require('path').sep}`));
  const registry = globalThis[Symbol.for('opentelemetry.js.api.1')];
  process.stdout.write(
    JSON.stringify({ headers, loaded: loaded.length, registered: registry === undefined ? null : Object.keys(registry) }),
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
