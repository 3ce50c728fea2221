/**
 * How long the audit log keeps its entries. Saving a shorter period deletes older entries at
 * once; a daily task keeps it that way.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import { TextControl } from '@wordpress/components';
import { useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { useConfigSection } from '../../hooks/use-config-section';
import { useFormChecks } from '../../hooks/use-form-checks';
import ConfirmDialog from '../confirm-dialog';
import ErrorNotice from '../error-notice';
import { fieldState } from '../field-state';
import LoadingState from '../loading-state';
import SaveBar from '../save-bar';
import type { RetentionSettingProps } from './types';

export const MAX_RETENTION_DAYS = 3650;
const PATH = 'audit[retentionDays]';

export default function RetentionSetting({ onSaved }: RetentionSettingProps) {
  const section = useConfigSection('audit');
  const form = useRef<HTMLFormElement>(null);
  const [isConfirming, setIsConfirming] = useState(false);
  const days = section.draft?.retentionDays;
  const problems: Record<string, string> =
    days === undefined || (Number.isInteger(days) && days >= 0 && days <= MAX_RETENTION_DAYS)
      ? {}
      : { [PATH]: __('Enter a whole number of days from 0 to 3650.', 'usersync') };
  const checks = useFormChecks(problems, section.serverErrors, () => false);

  if (days === undefined) {
    return section.loadError ? (
      <ErrorNotice
        title={__('The retention period could not be loaded.', 'usersync')}
        error={section.loadError}
        onRetry={section.reload}
      />
    ) : (
      <LoadingState label={__('Loading the retention period…', 'usersync')} />
    );
  }

  const save = async () => {
    setIsConfirming(false);
    if (await section.save()) {
      checks.reset();
      onSaved?.();
    }
  };

  // A shorter period deletes entries at once: ask first.
  const stored = section.config?.audit.retentionDays ?? 0;
  const cuts = days > 0 && (stored === 0 || days < stored);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (section.isSaving || !checks.check(form.current)) {
      return;
    }
    if (cuts) {
      setIsConfirming(true);
      return;
    }
    await save();
  };

  return (
    <form ref={form} onSubmit={onSubmit} noValidate className="usersync-retention">
      <TextControl
        {...fieldState(
          checks.shown[PATH],
          __(
            'Entries older than this are deleted every day. 0 keeps every entry. Saving a shorter period deletes older entries right away.',
            'usersync',
          ),
          'usersync-retention__days',
        )}
        label={__('Keep entries for (days)', 'usersync')}
        type="number"
        min={0}
        max={MAX_RETENTION_DAYS}
        step={1}
        value={Number.isNaN(days) ? '' : String(days)}
        onChange={(value) => {
          checks.touch(PATH);
          section.clearServerError(PATH);
          section.setDraft(() => ({
            retentionDays: value.trim() === '' ? Number.NaN : Number(value),
          }));
        }}
      />
      <SaveBar
        label={__('Save retention', 'usersync')}
        isSaving={section.isSaving}
        saved={section.saved}
        isDirty={section.isDirty}
        problemCount={Object.keys(checks.shown).length}
        attempted={checks.attempted}
        error={section.saveError}
      />
      {isConfirming ? (
        <ConfirmDialog
          title={__('Delete older entries now?', 'usersync')}
          confirmLabel={__('Save and delete them', 'usersync')}
          isDestructive
          onConfirm={() => void save()}
          onCancel={() => setIsConfirming(false)}
        >
          <p>
            {sprintf(
              /* translators: %d: number of days. */
              __(
                'Entries older than %d days are deleted as soon as you save, and cannot be brought back. Export them as CSV first if you need them.',
                'usersync',
              ),
              days,
            )}
          </p>
        </ConfirmDialog>
      ) : null}
    </form>
  );
}
