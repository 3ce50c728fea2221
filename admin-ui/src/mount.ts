/**
 * Mounts the app with whatever React the page has: `createRoot` (React 18, WordPress 6.2+)
 * or the legacy `render` (React 17, WordPress 6.1).
 */

/**
 * External dependencies
 */
import type { ReactElement } from 'react';

/** The parts of `@wordpress/element` used to mount. */
export interface Renderer {
  createRoot?: (container: Element) => { render: (element: ReactElement) => void };
  render: (element: ReactElement, container: Element) => void;
}

/** Id of the element the plugin prints on the settings page. */
export const ROOT_ID = 'usersync-admin-root';

/** Renders `element` into `container`; returns which API was used. */
export function mountInto(
  element: ReactElement,
  container: Element,
  renderer: Renderer,
): 'createRoot' | 'render' {
  if (typeof renderer.createRoot === 'function') {
    renderer.createRoot(container).render(element);
    return 'createRoot';
  }
  renderer.render(element, container);
  return 'render';
}

/**
 * Mounts once the document is parsed (the script may be printed in the head). Does nothing
 * on pages without the root element.
 */
export function mountWhenReady(
  element: ReactElement,
  renderer: Renderer,
  doc: Document = document,
): void {
  const mount = () => {
    const container = doc.getElementById(ROOT_ID);
    if (container) {
      mountInto(element, container, renderer);
    }
  };
  if (doc.readyState === 'loading') {
    doc.addEventListener('DOMContentLoaded', mount, { once: true });
  } else {
    mount();
  }
}
