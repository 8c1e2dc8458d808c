// Suites: `unit` and `subpaths` (the /kafkajs, /nestjs and /microservices layers, with the
// interop suites of __test__/interop) run against the embedded mock cluster (no external
// service); `integration` (the engine's and the interop suites) against a real Apache Kafka that
// scripts/test-integration.sh starts (or KAFKA_BROKERS); `security` against a broker with TLS and
// SASL listeners (scripts/test-security.sh); `faults` against a 3-node cluster whose brokers it
// kills (scripts/test-faults.sh); `schemas` against a real Schema Registry (scripts/test-schemas.sh)
// and the mock cluster.
//
// Every project's environment (__test__/environment.js) prints the handles a test file left
// keeping Node alive, naming the file.
const testEnvironment = '<rootDir>/__test__/environment.js';

module.exports = {
  // Jest 29 reads testTimeout only at the top level, not inside a project.
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment,
      testMatch: ['<rootDir>/__test__/*.test.js'],
    },
    {
      displayName: 'subpaths',
      testEnvironment,
      testMatch: ['<rootDir>/__test__/subpaths/*.test.js'],
      // Compiles ts/ into dist/ (tsc -p ts/tsconfig.json) before the suites load it.
      globalSetup: '<rootDir>/__test__/subpaths/global-setup.js',
    },
    {
      displayName: 'integration',
      testEnvironment,
      testMatch: ['<rootDir>/__test__/integration/*.test.js'],
    },
    {
      displayName: 'security',
      testEnvironment,
      testMatch: ['<rootDir>/__test__/security/*.test.js'],
    },
    {
      displayName: 'schemas',
      testEnvironment,
      testMatch: ['<rootDir>/__test__/schemas/*.test.js'],
      // nestjs.test.js loads dist/ (compiled as for the subpath suites).
      globalSetup: '<rootDir>/__test__/subpaths/global-setup.js',
    },
    {
      displayName: 'faults',
      testEnvironment,
      testMatch: ['<rootDir>/__test__/faults/*.test.js'],
    },
  ],
};
