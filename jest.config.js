/**
 * Two projects: `unit` (pure functions, no servers) and `integration` (the real local
 * stack: a Temporal dev server and a MongoDB-wire server started by the global setup).
 * Tests run in band: two cores, and each integration file starts its own workers.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };

/** @type {import('jest').Config} */
module.exports = {
  // Per-project testTimeout is ignored by Jest; integration tests wait on real servers.
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
      transform,
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int.test.ts'],
      // Only integration runs need the servers; Jest runs a project's setup only when it has tests to run.
      globalSetup: '<rootDir>/test/global-setup.ts',
      transform,
      testEnvironment: 'node',
    },
  ],
};
