/**
 * Deprovisioning tab: what happens to a WordPress user when the source removes or
 * deactivates it, and which users a sync may touch at all.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import {
  Button,
  Card,
  CardBody,
  CardHeader,
  Notice,
  RadioControl,
  TextControl,
  ToggleControl,
} from '@wordpress/components';
import { useRef, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { cancelPendingDeletion, getPendingDeletions, toApiError } from '../../api';
import type { ApiError, DeprovisionPolicy, PendingDeletion, PendingDeletions } from '../../api';
import ConfirmDialog from '../../components/confirm-dialog';
import ErrorNotice from '../../components/error-notice';
import { fieldState } from '../../components/field-state';
import FormattedDate from '../../components/formatted-date';
import LoadingState from '../../components/loading-state';
import SaveBar from '../../components/save-bar';
import UserPicker from '../../components/user-picker';
import { useConfigSection } from '../../hooks/use-config-section';
import { useFormChecks } from '../../hooks/use-form-checks';
import { useRequest } from '../../hooks/use-request';

export const MAX_GRACE_DAYS = 365;

/** Problems by field path. */
export function validateDeprovision(policy: DeprovisionPolicy): Record<string, string> {
  const errors: Record<string, string> = {};
  if (
    !Number.isInteger(policy.graceDays) ||
    policy.graceDays < 0 ||
    policy.graceDays > MAX_GRACE_DAYS
  ) {
    errors['deprovision[graceDays]'] = __(
      'Enter a whole number of days from 0 to 365.',
      'usersync',
    );
  }
  return errors;
}

/** How many deprovisioned accounts wait for deletion, and when the next one is due. */
/** Who waits for deletion, soonest first, each with a way to keep them. */
function PendingList({
  pending,
  onCancel,
}: {
  pending: PendingDeletions;
  onCancel: (user: PendingDeletion) => void;
}) {
  const users = pending.users ?? [];
  if (users.length === 0) {
    return null;
  }
  return (
    <div className="usersync-table-scroll">
      <table className="widefat striped usersync-pending-table">
        <caption className="screen-reader-text">
          {__('Accounts waiting for deletion', 'usersync')}
        </caption>
        <thead>
          <tr>
            <th scope="col">{__('User', 'usersync')}</th>
            <th scope="col">{__('Deleted after', 'usersync')}</th>
            <th scope="col">{__('Asked by', 'usersync')}</th>
            <th scope="col">
              <span className="screen-reader-text">{__('Actions', 'usersync')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.id}>
              <th scope="row">
                <a href={`user-edit.php?user_id=${user.id}`}>{user.login}</a>
              </th>
              <td>
                <FormattedDate date={user.dueAt} />
              </td>
              <td>{user.connection ?? '—'}</td>
              <td>
                <Button
                  variant="secondary"
                  onClick={() => onCancel(user)}
                  aria-label={sprintf(
                    /* translators: %s: login */
                    __('Keep %s: cancel the deletion', 'usersync'),
                    user.login,
                  )}
                >
                  {__('Keep (cancel deletion)', 'usersync')}
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PendingSummary({ pending }: { pending: PendingDeletions }) {
  if (pending.count === 0 || pending.nextDueAt === null) {
    return (
      <p className="usersync-deprovisioning__pending">
        {__('No account is waiting for deletion.', 'usersync')}
      </p>
    );
  }
  return (
    <p className="usersync-deprovisioning__pending">
      {sprintf(
        /* translators: %d: number of accounts */
        _n(
          '%d account is disabled and scheduled for deletion.',
          '%d accounts are disabled and scheduled for deletion.',
          pending.count,
          'usersync',
        ),
        pending.count,
      )}{' '}
      {__('Next deletion due:', 'usersync')} <FormattedDate date={pending.nextDueAt} />{' '}
      {__('(a daily job deletes accounts once due).', 'usersync')}
    </p>
  );
}

export default function Deprovisioning() {
  const section = useConfigSection('deprovision');
  const pending = useRequest(getPendingDeletions);
  const [cancelError, setCancelError] = useState<ApiError | null>(null);
  const [isConfirming, setIsConfirming] = useState(false);
  const keep = async (user: PendingDeletion) => {
    setCancelError(null);
    try {
      await cancelPendingDeletion(user.id);
    } catch (failure) {
      setCancelError(toApiError(failure));
    }
    pending.reload();
  };
  const form = useRef<HTMLFormElement>(null);
  const policy = section.draft;
  const problems = policy ? validateDeprovision(policy) : {};
  const checks = useFormChecks(problems, section.serverErrors, () => false);

  if (policy === undefined) {
    if (section.loadError) {
      return (
        <ErrorNotice
          title={__('The deprovisioning policy could not be loaded.', 'usersync')}
          error={section.loadError}
          onRetry={section.reload}
        />
      );
    }
    return <LoadingState label={__('Loading the deprovisioning policy…', 'usersync')} />;
  }

  const set = <K extends keyof DeprovisionPolicy>(field: K, value: DeprovisionPolicy[K]) => {
    const path = `deprovision[${field}]`;
    checks.touch(path);
    section.clearServerError(path);
    section.setDraft((current) => ({ ...current, [field]: value }));
  };

  const save = async () => {
    setIsConfirming(false);
    if (await section.save()) {
      checks.reset();
      // Switching to the disable policy cancels the scheduled deletions.
      pending.reload();
    }
  };

  // Deleting at once, with no grace period to undo a mistake at the source: ask first.
  const deletesAtOnce =
    (policy.action === 'delete' || policy.deactivate === 'delete') && policy.graceDays === 0;

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (section.isSaving || !checks.check(form.current)) {
      return;
    }
    if (deletesAtOnce) {
      setIsConfirming(true);
      return;
    }
    await save();
  };

  const errors = checks.shown;
  const deletes = policy.action === 'delete' || policy.deactivate === 'delete';
  const stored = section.config?.deprovision;
  const storedDeletes = stored?.action === 'delete' || stored?.deactivate === 'delete';
  // Accounts whose deletion saving a policy that never deletes would cancel.
  const cancelled = !deletes && storedDeletes ? (pending.data?.count ?? 0) : 0;

  return (
    <form ref={form} onSubmit={onSubmit} noValidate className="usersync-deprovisioning">
      <Card className="usersync-card">
        <CardHeader>
          <h2 className="usersync-card__title">{__('Deprovisioning', 'usersync')}</h2>
        </CardHeader>
        <CardBody>
          <RadioControl
            className="usersync-deprovisioning__choice"
            label={__(
              'When a source removes a user (SCIM DELETE, deleted in the directory)',
              'usersync',
            )}
            selected={policy.action}
            options={[
              {
                value: 'disable',
                label: __(
                  'Disable the account (recommended): remove its roles, end its sessions and block sign-in; keep the user and their content, so a reactivation restores them.',
                  'usersync',
                ),
              },
              {
                value: 'delete',
                label: __('Delete the account from WordPress.', 'usersync'),
              },
            ]}
            onChange={(action?: string) =>
              set('action', action === 'delete' ? 'delete' : 'disable')
            }
          />
          {errors['deprovision[action]'] ? (
            <p className="usersync-inline-error">{errors['deprovision[action]']}</p>
          ) : null}
          <RadioControl
            className="usersync-deprovisioning__choice"
            label={__(
              'When a source deactivates a user (SCIM active false, account disabled in the directory)',
              'usersync',
            )}
            selected={policy.deactivate}
            options={[
              {
                value: 'disable',
                label: __(
                  'Disable it (recommended), as above: enabling it again at the source gives it back its roles.',
                  'usersync',
                ),
              },
              {
                value: 'delete',
                label: __(
                  'Delete it, like a removal: with the grace period and the heir below. Entra ID deactivates users it unassigns from the app.',
                  'usersync',
                ),
              },
            ]}
            onChange={(deactivate?: string) =>
              set('deactivate', deactivate === 'delete' ? 'delete' : 'disable')
            }
          />
          {cancelled > 0 ? (
            <Notice status="warning" isDismissible={false}>
              {sprintf(
                /* translators: %d: number of accounts */
                _n(
                  '%d account is scheduled for deletion. Saving the disable policy cancels it: the account stays disabled.',
                  '%d accounts are scheduled for deletion. Saving the disable policy cancels their deletion: they stay disabled.',
                  cancelled,
                  'usersync',
                ),
                cancelled,
              )}
            </Notice>
          ) : null}

          {deletes ? (
            <div className="usersync-deprovisioning__delete">
              <TextControl
                {...fieldState(
                  errors['deprovision[graceDays]'],
                  __(
                    'How long a deprovisioned account stays disabled before it is deleted, so a mistake at the source can be undone in time: enabling it again at the source cancels the deletion. 0 deletes at once. A change applies to accounts deprovisioned from then on; those already waiting keep their date.',
                    'usersync',
                  ),
                  'usersync-deprovisioning__grace',
                )}
                label={__('Grace period before deleting (days)', 'usersync')}
                type="number"
                min={0}
                max={MAX_GRACE_DAYS}
                step={1}
                value={Number.isNaN(policy.graceDays) ? '' : String(policy.graceDays)}
                onChange={(value) =>
                  set('graceDays', value.trim() === '' ? Number.NaN : Number(value))
                }
              />
              {pending.data ? <PendingSummary pending={pending.data} /> : null}
              {pending.data ? (
                <PendingList pending={pending.data} onCancel={(user) => void keep(user)} />
              ) : null}
              {cancelError ? (
                <ErrorNotice
                  title={__('The deletion could not be cancelled.', 'usersync')}
                  error={cancelError}
                />
              ) : null}
              {pending.error ? (
                <ErrorNotice
                  title={__('The scheduled deletions could not be loaded.', 'usersync')}
                  error={pending.error}
                  onRetry={pending.reload}
                />
              ) : null}
              <UserPicker
                label={__('Give their posts and pages to', 'usersync')}
                help={__(
                  'Type part of a name, login or email. Leave empty to delete their content with them.',
                  'usersync',
                )}
                value={policy.reassignTo}
                error={errors['deprovision[reassignTo]']}
                onChange={(id) => set('reassignTo', id)}
              />
              {policy.reassignTo === null ? (
                <Notice status="warning" isDismissible={false}>
                  {__(
                    'With no one to give it to, the posts, pages and media of a deleted user are deleted too.',
                    'usersync',
                  )}
                </Notice>
              ) : null}
            </div>
          ) : null}

          <h3>{__('Which users a sync may change', 'usersync')}</h3>
          <ToggleControl
            label={__('Users not linked to the source', 'usersync')}
            help={__(
              'Off: a sync changes, disables and deletes only users linked to its source — those it created, or that were linked to it. On: it may also change existing WordPress accounts it did not create, which then become linked.',
              'usersync',
            )}
            checked={policy.touchUnlinked}
            onChange={(value: boolean) => set('touchUnlinked', value)}
          />
          <ToggleControl
            label={__('Administrators', 'usersync')}
            help={__(
              'Off: no sync ever adopts, changes, disables or deletes an administrator or any account that can manage users, plugins or settings (nor an editor no connection manages). Keep it off unless administrators are managed in the identity provider too. The sidecar’s own service account is never touched, whatever this says.',
              'usersync',
            )}
            checked={policy.touchAdministrators}
            onChange={(value: boolean) => set('touchAdministrators', value)}
          />
          {policy.touchAdministrators ? (
            <Notice status="warning" isDismissible={false}>
              {__(
                'Syncs may now disable or delete administrators: a mistake at the source could lock everyone out of this site.',
                'usersync',
              )}
            </Notice>
          ) : null}

          <SaveBar
            label={__('Save deprovisioning', 'usersync')}
            isSaving={section.isSaving}
            saved={section.saved}
            isDirty={section.isDirty}
            problemCount={Object.keys(errors).length}
            attempted={checks.attempted}
            error={section.saveError}
          />
        </CardBody>
      </Card>
      {isConfirming ? (
        <ConfirmDialog
          title={__('Delete accounts with no grace period?', 'usersync')}
          confirmLabel={__('Save: delete at once', 'usersync')}
          isDestructive
          onConfirm={() => void save()}
          onCancel={() => setIsConfirming(false)}
        >
          <p>
            {policy.reassignTo === null
              ? __(
                  'A source that removes or deactivates someone by mistake deletes their account at once, and their posts, pages and media with it. A grace period of a few days leaves time to undo it.',
                  'usersync',
                )
              : __(
                  'A source that removes or deactivates someone by mistake deletes their account at once; their content goes to the user you chose. A grace period of a few days leaves time to undo it.',
                  'usersync',
                )}
          </p>
        </ConfirmDialog>
      ) : null}
    </form>
  );
}
