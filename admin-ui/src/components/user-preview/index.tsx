/**
 * "Test with a user": fetches one person from a source by id, sign-in name or email and shows
 * the attributes the source really returns beside what the attribute and role maps make of
 * them — the WordPress fields, the login and the roles. Nothing is written.
 */

/**
 * WordPress dependencies
 */
import { Button, Notice, TextControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { previewUser, toApiError } from '../../api';
import type { ApiError, UserPreview as Preview } from '../../api';
import ErrorNotice from '../error-notice';
import LoadingState from '../loading-state';
import type { UserPreviewProps } from './types';

/** SCIM-shaped attributes as `path → value` rows (`name.givenName`, `emails[0].value`). */
export function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value === null || value === undefined) return prefix ? [[prefix, '']] : [];
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => flatten(item, `${prefix}[${index}]`));
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
      flatten(item, prefix ? `${prefix}.${key}` : key),
    );
  }
  return [[prefix, String(value)]];
}

function Rows({ caption, rows }: { caption: string; rows: [string, string][] }) {
  return (
    <table className="widefat striped usersync-user-preview__table">
      <caption>{caption}</caption>
      <tbody>
        {rows.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">
              <code>{name}</code>
            </th>
            <td>{value === '' ? <em>{__('(empty)', 'usersync')}</em> : value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Result({ preview }: { preview: Preview }) {
  if (!preview.found) {
    return (
      <Notice status="warning" isDismissible={false}>
        {sprintf(
          /* translators: %s: what the admin looked up. */
          __('The source has no person “%s”.', 'usersync'),
          preview.lookup,
        )}
      </Notice>
    );
  }
  // Meta fields as `meta.department`, like the attribute map's targets read.
  const fields = flatten(preview.fields ?? {});
  return (
    <div className="usersync-user-preview__result">
      {preview.error ? (
        <Notice status="error" isDismissible={false}>
          {sprintf(
            /* translators: %s: why the person cannot become a WordPress user. */
            __('This person would not be synced: %s', 'usersync'),
            preview.error,
          )}
        </Notice>
      ) : null}
      {preview.active === false ? (
        <Notice status="warning" isDismissible={false}>
          {__('The account is disabled in the source: a sync would not create it.', 'usersync')}
        </Notice>
      ) : null}
      <Rows
        caption={__('What WordPress would get', 'usersync')}
        rows={[
          [__('Login', 'usersync'), preview.login ?? ''],
          [
            __('Roles', 'usersync'),
            preview.roles
              ? preview.roles.join(', ')
              : __('Left alone (no role rule applies)', 'usersync'),
          ],
          ...fields.filter(([name]) => name !== 'login'),
        ]}
      />
      <Rows
        caption={__('What the source returns', 'usersync')}
        rows={[
          [__('External ID', 'usersync'), preview.externalId ?? ''],
          ...(preview.groups
            ? ([[__('Groups', 'usersync'), preview.groups.join(', ')]] as [string, string][])
            : []),
          ...flatten(preview.attributes ?? {}),
        ]}
      />
    </div>
  );
}

export default function UserPreview({ source, sourceName }: UserPreviewProps) {
  const [lookup, setLookup] = useState('');
  const [isLoading, setIsLoading] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const onSubmit = async (event: { preventDefault: () => void }) => {
    event.preventDefault();
    if (isLoading || lookup.trim() === '') return;
    setIsLoading(true);
    setError(null);
    setPreview(null);
    try {
      setPreview(await previewUser(source, lookup.trim()));
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setIsLoading(false);
    }
  };

  return (
    <form className="usersync-user-preview" onSubmit={onSubmit}>
      <TextControl
        __next40pxDefaultSize
        __nextHasNoMarginBottom
        label={sprintf(
          /* translators: %s: connection name. */
          __('Person to test from “%s”', 'usersync'),
          sourceName,
        )}
        help={__(
          'Their id in the source, sign-in name (UPN) or email. Nothing is written.',
          'usersync',
        )}
        value={lookup}
        onChange={setLookup}
      />
      <Button
        variant="secondary"
        type="submit"
        isBusy={isLoading}
        disabled={isLoading || lookup.trim() === ''}
        accessibleWhenDisabled
      >
        {__('Test with a user', 'usersync')}
      </Button>
      {isLoading ? <LoadingState label={__('Asking the source…', 'usersync')} /> : null}
      {error ? (
        <ErrorNotice title={__('The person could not be fetched.', 'usersync')} error={error} />
      ) : null}
      {preview ? <Result preview={preview} /> : null}
    </form>
  );
}
