/**
 * Props that show a field's error the way the rest of the page does: the message replaces
 * the help text (so it is the field's accessible description), the field is marked invalid
 * and framed in red.
 */

/**
 * Internal dependencies
 */
import type { FieldState } from './types';

export function fieldState(error: string | undefined, help?: string, className = ''): FieldState {
  const classes = ['usersync-field', className, error ? 'has-error' : '']
    .filter((name) => name !== '')
    .join(' ');
  return {
    className: classes,
    help: error || help,
    'aria-invalid': error ? true : undefined,
  };
}
