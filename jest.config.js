const { availableParallelism } = require('node:os');

/**
 * Workers: Jest's default is one fewer than the cores (1 on the 2-core machines), but the integration and
 * end-to-end files spend most of their time waiting on DynamoDB Local (Java) and on HTTP round trips, so
 * more workers than cores finish sooner. JEST_MAX_WORKERS overrides it.
 */
const maxWorkers = Number(process.env.JEST_MAX_WORKERS) || Math.max(2, availableParallelism() + 1);

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // middy 7 is ESM-only: map it to its entry file and let swc turn it into CommonJS.
  moduleNameMapper: {
    '^@middy/([^/]+)$': '<rootDir>/node_modules/@middy/$1/index.js',
    // The SDK as its users import it (examples/), from source — as tsconfig.json's paths say.
    '^@switchyard/sdk$': '<rootDir>/sdk/js/src/index.ts',
    '^@switchyard/sdk/openfeature$': '<rootDir>/sdk/js/src/openfeature/index.ts',
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFiles: ['<rootDir>/test/support/jest-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-timeout.ts'],
  // One DynamoDB Local for the whole run, stopped at the end (test/support/global-setup.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/jest.skip-reporter.js'],
  maxWorkers,
  // The default per-test deadline is set in jest-timeout.ts, scaled to the machine's load.
};
