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
  /** The row's source attribute, or its template. */
  source: string;
  target: string;
  /** The value WordPress would store, or undefined when the row gives none. */
  value: string | undefined;
  /**
   * Why the value is not the source's own: its default was used, the login was made
   * WordPress-safe (shortened with a hash when over 60 characters, or made up when nothing
   * was left of it), a placeholder of the row's
   * template has no value, or the template is not valid yet.
   */
  note:
    | 'default'
    | 'login-sanitized'
    | 'login-shortened'
    | 'login-generated'
    | 'template-unfilled'
    | 'template-invalid'
    | null;
}
