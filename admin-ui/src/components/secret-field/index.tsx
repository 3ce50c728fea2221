/**
 * A write-only secret of a connection or peer: once stored it is never shown, only whether it
 * is set, with a button to type a new one that replaces it on save.
 */

/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';

/**
 * Internal dependencies
 */
import ConnectionField from '../connection-field';
import type { SecretFieldProps } from './types';

export default function SecretField({
  name,
  isEditing,
  label,
  inputLabel,
  status,
  editLabel,
  onEdit,
  help,
  error,
  value,
  onChange,
}: SecretFieldProps) {
  if (isEditing) {
    return (
      <ConnectionField
        name={name}
        error={error}
        help={help}
        label={inputLabel ?? label}
        type="password"
        value={value}
        autoComplete="new-password"
        onChange={onChange}
      />
    );
  }
  return (
    <div data-field={name} className="usersync-secret-state">
      <span className="components-base-control__label">{label}</span>
      <p>
        {status}{' '}
        <Button variant="link" onClick={onEdit}>
          {editLabel}
        </Button>
      </p>
    </div>
  );
}
