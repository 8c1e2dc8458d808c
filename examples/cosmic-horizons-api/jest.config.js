// e2e suites (supertest) against the embedded MockCluster, or the broker in KAFKA_BROKERS.
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: '<rootDir>/tsconfig.json',
        // The seed port is compiled as it is; its type errors (which it has under kafkajs too)
        // are compared with kafkajs' by test/kafkajs-types.spec.ts instead.
        diagnostics: { exclude: ['**/legacy/**'] },
      },
    ],
  },
  testTimeout: 90000,
};
