/**
 * A text field of a connection or peer form, marked with its name so the form can take the
 * keyboard to it when it is at fault; its problem replaces its help text.
 */

/**
 * WordPress dependencies
 */
import { TextControl } from '@wordpress/components';

/**
 * Internal dependencies
 */
import { fieldState } from '../field-state';
import type { ConnectionFieldProps } from './types';

export default function ConnectionField({ name, error, help, ...control }: ConnectionFieldProps) {
  return (
    <div data-field={name}>
      <TextControl {...fieldState(error, help)} autoComplete="off" {...control} />
    </div>
  );
}
