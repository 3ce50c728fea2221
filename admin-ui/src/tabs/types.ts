/**
 * External dependencies
 */
import type { ComponentType } from 'react';

/** One tab of the settings page. */
export interface AppTab {
  /** Stable identifier, also used in the tab's element ids. */
  name: string;
  /** Translated title shown on the tab. */
  title: string;
  /** The tab's content; mounted when the tab is selected. */
  Component: ComponentType;
}
