/**
 * The frame shared by the forms of connections and peers: the fields in a grid, the toggles
 * under them, what follows, a notice for a refusal that names no field, and the submit and
 * Cancel buttons.
 */

/**
 * WordPress dependencies
 */
import { Button, ToggleControl } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import ErrorNotice from '../error-notice';
import type { ConnectionFormProps } from './types';

export { useConnectionForm } from './use-connection-form';
export type { ConnectionFormState } from './types';

export default function ConnectionForm<Values>({
  state,
  className,
  fields,
  toggles,
  children,
  errorTitle,
  submitLabel,
  onCancel,
}: ConnectionFormProps<Values>) {
  const { values, set, formRef, onSubmit, isSaving, formError } = state;
  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate className={className}>
      <div className="usersync-graph-form__grid">{fields}</div>
      {toggles.map(({ name, label, help }) => (
        <ToggleControl
          key={name}
          label={label}
          help={help}
          checked={Boolean(values[name])}
          onChange={(value: boolean) => set(name, value as Values[typeof name])}
        />
      ))}
      {children}
      {formError ? <ErrorNotice title={errorTitle} error={formError} /> : null}
      <div className="usersync-form-actions">
        <Button variant="primary" type="submit" isBusy={isSaving} aria-disabled={isSaving}>
          {submitLabel}
        </Button>
        <Button variant="tertiary" onClick={onCancel}>
          {__('Cancel', 'usersync')}
        </Button>
      </div>
    </form>
  );
}
