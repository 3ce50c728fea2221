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
};
