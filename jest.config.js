// Two suites: `unit` runs against the embedded mock cluster (no external service); `integration`
// runs against a real Apache Kafka that scripts/test-integration.sh starts (or KAFKA_BROKERS).
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/__test__/*.test.js'],
      testTimeout: 60000,
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/__test__/integration/*.test.js'],
      testTimeout: 120000,
    },
  ],
};
