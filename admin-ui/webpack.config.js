/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS: this workspace is not an ES module package and wp-scripts loads the file with require(). */
/**
 * Build of the UserSync settings app: one script entry, written into the plugin so that
 * WordPress can enqueue `build/index.js` with the dependencies listed in `index.asset.php`.
 */
const path = require('path');
const defaultConfig = require('@wordpress/scripts/config/webpack.config');

module.exports = {
  ...defaultConfig,
  entry: {
    index: path.resolve(__dirname, 'src/index.tsx'),
  },
  output: {
    ...defaultConfig.output,
    path: path.resolve(__dirname, '../plugin/build'),
  },
  resolve: {
    ...defaultConfig.resolve,
    // The Preview runs the sidecar's own provisioning rules (sidecar/src/provisioning/),
    // written as Node ES modules: their `./x.js` imports name TypeScript sources.
    alias: {
      ...defaultConfig.resolve?.alias,
      '@usersync/provisioning': path.resolve(__dirname, '../sidecar/src/provisioning/index.ts'),
    },
    extensionAlias: { '.js': ['.ts', '.js'] },
  },
};
