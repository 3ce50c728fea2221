/**
 * The foot of a settings form: what happened to the last save, and the button that saves.
 * The button is a form submit, so Enter in any field saves too.
 */

/**
 * WordPress dependencies
 */
import { Button, Notice } from '@wordpress/components';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import ErrorNotice from '../error-notice';
import type { SaveBarProps } from './types';

export default function SaveBar({
  label,
  isSaving,
  saved,
  isDirty,
  problemCount,
  attempted,
  error,
}: SaveBarProps) {
  return (
    <div className="usersync-save-bar">
      <div role="status" className="usersync-save-bar__status">
        {attempted && problemCount > 0 ? (
          <Notice status="error" isDismissible={false}>
            {sprintf(
              /* translators: %d: number of problems in the form. */
              _n(
                'Nothing was saved: fix the problem marked above.',
                'Nothing was saved: fix the %d problems marked above.',
                problemCount,
                'usersync',
              ),
              problemCount,
            )}
          </Notice>
        ) : null}
        {saved && !isDirty ? (
          <Notice status="success" isDismissible={false}>
            {__('Settings saved.', 'usersync')}
          </Notice>
        ) : null}
      </div>
      {error ? (
        <ErrorNotice title={__('The settings could not be saved.', 'usersync')} error={error} />
      ) : null}
      <div className="usersync-save-bar__actions">
        <Button
          variant="primary"
          type="submit"
          isBusy={isSaving}
          // Stays focusable while saving so the keyboard focus is not lost.
          aria-disabled={isSaving}
        >
          {label}
        </Button>
        {isDirty && !isSaving ? (
          <span className="usersync-save-bar__dirty">{__('Unsaved changes', 'usersync')}</span>
        ) : null}
      </div>
    </div>
  );
}
