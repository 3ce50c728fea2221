/**
 * Runs before each test file: Testing Library's DOM matchers, and text queries that skip
 * the live regions `@wordpress/a11y` fills with copies of announced notices.
 */

/**
 * External dependencies
 */
import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

configure({ defaultIgnore: 'script, style, .a11y-speak-region' });

// jsdom does not lay out, so it has no scrollIntoView; suggestion lists call it.
if (typeof Element !== 'undefined' && !Element.prototype.scrollIntoView) {
  Element.prototype.scrollIntoView = () => undefined;
}
