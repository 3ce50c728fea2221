/**
 * What a sync does to the roles of users it already has, per connection: replace the roles
 * the role map manages (the default), only add roles, or leave roles alone. New users always
 * get the roles the map gives.
 */

/**
 * WordPress dependencies
 */
import { SelectControl } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { RoleUpdateMode } from '../../api';
import type { RoleUpdateModesProps } from './types';

function options(): { value: RoleUpdateMode; label: string }[] {
  return [
    { value: 'replace', label: __('Replace the roles the role map manages', 'usersync') },
    { value: 'add', label: __('Only add roles (never remove one)', 'usersync') },
    { value: 'keep', label: __('Leave roles alone', 'usersync') },
  ];
}

export default function RoleUpdateModes({
  modes,
  connections,
  onChange,
  errors = {},
}: RoleUpdateModesProps) {
  if (connections.length === 0) return null;
  return (
    <fieldset className="usersync-role-update-modes">
      <legend>
        <h3>{__('Roles of existing users', 'usersync')}</h3>
      </legend>
      <p className="description">
        {__(
          'What a sync does to the roles of users it already has when their groups change. New users always get the roles the role map gives.',
          'usersync',
        )}
      </p>
      {connections.map((connection) => {
        const path = `roleMap[updateModes][${connection.slug}]`;
        const error = errors[path];
        return (
          <div key={connection.slug} className="usersync-role-update-modes__row">
            <SelectControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={sprintf(
                /* translators: %s: connection name. */
                __('Roles from “%s”', 'usersync'),
                connection.name,
              )}
              value={modes[connection.slug] ?? 'replace'}
              options={options()}
              aria-invalid={error ? true : undefined}
              onChange={(value) => {
                const next = { ...modes };
                if (value === 'replace') {
                  delete next[connection.slug];
                } else {
                  next[connection.slug] = value as RoleUpdateMode;
                }
                onChange(next);
              }}
            />
            {error ? (
              <p className="usersync-field-error" role="alert">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
    </fieldset>
  );
}
