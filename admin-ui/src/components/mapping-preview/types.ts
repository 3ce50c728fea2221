/**
 * Internal dependencies
 */
import type { AttributeMapping } from '../../api';

export interface MappingPreviewProps {
  /** The attribute map as being edited (unsaved rows included). */
  rows: AttributeMapping[];
}

/** What one inbound row gives for the sample user. */
export interface PreviewRow {
  source: string;
  target: string;
  /** The value WordPress would store, or undefined when the row gives none. */
  value: string | undefined;
  /**
   * Why the value is not the source's own: its default was used, or the login was made
   * WordPress-safe (or made up, when nothing was left of it).
   */
  note: 'default' | 'login-sanitized' | 'login-generated' | null;
}
