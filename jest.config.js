/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: [
    '<rootDir>/server',
    '<rootDir>/simulator',
    '<rootDir>/devcloud',
    '<rootDir>/test',
    '<rootDir>/cloudfunctions',
    '<rootDir>/scripts',
  ],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/miniprogram_npm/'],
  transform: { '^.+\\.[tj]s$': 'babel-jest' },
  transformIgnorePatterns: ['/node_modules/'],
  testTimeout: 30000,
  globalSetup: '<rootDir>/scripts/jest/global-setup.ts',
  reporters: ['default', '<rootDir>/scripts/jest/summary-reporter.js'],
};
