// Suites: `unit` and `subpaths` (the /kafkajs and /nestjs layers) run against the embedded mock
// cluster (no external service); `integration` against a real Apache Kafka that
// scripts/test-integration.sh starts (or KAFKA_BROKERS); `security` against a broker with TLS and
// SASL listeners (scripts/test-security.sh); `faults` against a 3-node cluster whose brokers it
// kills (scripts/test-faults.sh); `schemas` against a real Schema Registry (scripts/test-schemas.sh)
// and the mock cluster.
module.exports = {
  // Jest 29 reads testTimeout only at the top level, not inside a project.
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/__test__/*.test.js'],
    },
    {
      displayName: 'subpaths',
      testMatch: ['<rootDir>/__test__/subpaths/*.test.js'],
      // Compiles ts/ into dist/ (tsc -p ts/tsconfig.json) before the suites load it.
      globalSetup: '<rootDir>/__test__/subpaths/global-setup.js',
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/__test__/integration/*.test.js'],
    },
    {
      displayName: 'security',
      testMatch: ['<rootDir>/__test__/security/*.test.js'],
    },
    {
      displayName: 'schemas',
      testMatch: ['<rootDir>/__test__/schemas/*.test.js'],
      // nestjs.test.js loads dist/ (compiled as for the subpath suites).
      globalSetup: '<rootDir>/__test__/subpaths/global-setup.js',
    },
    {
      displayName: 'faults',
      testMatch: ['<rootDir>/__test__/faults/*.test.js'],
    },
  ],
};
