/**
 * WordPress dependencies
 */
import type { TextControl } from '@wordpress/components';

/**
 * External dependencies
 */
import type { ComponentProps } from 'react';

/** A `TextControl` of a connection form; its state props come from `error` and `help`. */
export type ConnectionFieldProps = Omit<
  ComponentProps<typeof TextControl>,
  'help' | 'className' | 'aria-invalid'
> & {
  /** The field's name, as the form's checks and the plugin's errors name it. */
  name: string;
  /** The field's problem, shown instead of the help text. */
  error?: string;
  /** What the field is for. */
  help?: string;
};
