/**
 * Entry of the UserSync settings app (Users → UserSync).
 */

/**
 * WordPress dependencies
 */
import * as wpElement from '@wordpress/element';

/**
 * Internal dependencies
 */
import App from './app';
import { mountWhenReady } from './mount';
import './index.css';

// WordPress 6.1 ships React 17, whose `wp.element` has no `createRoot`.
mountWhenReady(<App />, {
  createRoot: (wpElement as Partial<typeof wpElement>).createRoot,
  render: wpElement.render,
});
