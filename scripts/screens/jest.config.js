// `npm run screens`, step 1: drives every page into its states in the page tests' render (miniprogram-simulate in
// jsdom, real TDesign) and exports each state as one HTML file; step 2 (shoot.ts) turns them into PNG.
const base = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/scripts/screens'],
  testMatch: ['**/*.screens.ts'],
  testTimeout: 120000,
  reporters: ['default'],
};
