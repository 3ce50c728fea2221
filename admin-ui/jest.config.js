/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS: this workspace is not an ES module package and wp-scripts loads the file with require(). */
/**
 * Unit tests of the settings app: the WordPress preset (jsdom, Babel, console guard) plus
 * Testing Library's DOM matchers.
 */
const path = require('path');
const defaultConfig = require('@wordpress/scripts/config/jest-unit.config');

// The app is tested against the React of this workspace (18). Packages hoisted to the
// repository root would otherwise load a second copy of React, and hooks break across copies.
const react = (name) => path.join(__dirname, 'node_modules', name);

module.exports = {
  ...defaultConfig,
  rootDir: __dirname,
  roots: ['<rootDir>/src'],
  testMatch: ['<rootDir>/src/**/test/*.test.{ts,tsx}'],
  testEnvironment: 'jsdom',
  moduleNameMapper: {
    // The sidecar's provisioning rules, as the Preview imports them (see webpack.config.js).
    '^@usersync/provisioning$': path.join(__dirname, '../sidecar/src/provisioning/index.ts'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^react$': react('react'),
    '^react/(.*)$': `${react('react')}/$1`,
    '^react-dom$': react('react-dom'),
    '^react-dom/(.*)$': `${react('react-dom')}/$1`,
  },
  // A few dependencies of @wordpress/components ship only ES modules (some as .mjs); let
  // Babel compile those to CommonJS like the app's own files.
  transform: {
    '\\.m?[jt]sx?$': require.resolve('@wordpress/scripts/config/babel-transform'),
  },
  transformIgnorePatterns: ['/node_modules/(?!(uuid|@wordpress/theme)/)'],
  setupFilesAfterEnv: ['<rootDir>/src/test-utils/setup.ts'],
  // Typing with user-event into whole forms takes seconds on a busy two-core CI machine;
  // the default 5 s turns load into failures that say nothing about the app.
  testTimeout: 30_000,
};
