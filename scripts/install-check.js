'use strict';
// Run by scripts/test-install.sh in a clean directory where @cosmic-horizons/kafka-native was
// installed from a registry: loads it as a user does (the addon from its platform package), and
// publishes and consumes a few messages on the embedded mock cluster. Exits non-zero on failure.

const { KafkaService, MockCluster } = require('@cosmic-horizons/kafka-native');

const COUNT = 20;
const TIMEOUT_MS = 60000;

/** The platform packages npm installed (of the main package's optionalDependencies): exactly one. */
function installedPlatformPackages() {
  const { optionalDependencies = {} } = require('@cosmic-horizons/kafka-native/package.json');
  const installed = Object.keys(optionalDependencies).filter((name) => {
    try {
      require.resolve(`${name}/package.json`);
      return true;
    } catch {
      return false;
    }
  });
  if (installed.length !== 1) throw new Error(`expected one platform package, found: ${installed.join(', ') || 'none'}`);
  return installed;
}

async function main() {
  const mock = MockCluster.start({ brokers: 1 });
  mock.createTopic('install-check', 2, 1);
  const kafka = new KafkaService({ brokers: mock.bootstrapServers, clientId: 'install-check', librdkafka: { 'fetch.wait.max.ms': 5 } });
  try {
    await kafka.connect();
    const received = new Set();
    let done;
    const all = new Promise((resolve) => (done = resolve));
    const subscription = await kafka.subscribe(
      { groupId: 'install-check', topics: ['install-check'], fromBeginning: true },
      {
        eachMessage: async ({ message }) => {
          received.add(message.value.toString());
          if (received.size === COUNT) done();
        },
      },
    );
    for (let i = 0; i < COUNT; i++) await kafka.publish('install-check', { key: `k${i}`, value: `v${i}` });
    let timer;
    const timedOut = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`consumed ${received.size} of ${COUNT}`)), TIMEOUT_MS)));
    await Promise.race([all, timedOut]).finally(() => clearTimeout(timer));
    await subscription.stop();
    console.log(`install-check: ${COUNT} messages published and consumed; addon from ${installedPlatformPackages().join(', ')}`);
  } finally {
    await kafka.disconnect();
    mock.close();
  }
}

main().catch((e) => {
  console.error('install-check: failed:', e);
  process.exit(1);
});
