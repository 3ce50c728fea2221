/**
 * Advanced settings of a Microsoft Graph connection, closed until asked for: endpoint
 * overrides (a sovereign cloud not in the list, a proxy, a test emulator), the page size and
 * the number of Graph requests in flight.
 */

/**
 * External dependencies
 */
import type { ComponentProps } from 'react';

/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import ConnectionField from '../connection-field';
import type { GraphAdvancedSettingsProps, GraphAdvancedValues } from './types';

/** Numbers the sections on the page for `aria-controls` (WordPress 6.1's React 17 has no useId). */
let sections = 0;

interface Setting {
  name: keyof GraphAdvancedValues;
  label: string;
  help: string;
  /** Input attributes: a URL keyboard, or a whole number's range. */
  input: Partial<ComponentProps<typeof ConnectionField>>;
}

function settings(): Setting[] {
  const url = { inputMode: 'url', spellCheck: false } as const;
  return [
    {
      name: 'authorityUrl',
      label: __('Sign-in (authority) URL', 'usersync'),
      help: __(
        'Replaces the sign-in endpoint of the selected cloud: for a sovereign cloud not listed, a proxy or testing. Empty: the cloud’s own, e.g. https://login.microsoftonline.com.',
        'usersync',
      ),
      input: url,
    },
    {
      name: 'graphUrl',
      label: __('Microsoft Graph URL', 'usersync'),
      help: __(
        'Replaces the Microsoft Graph endpoint of the selected cloud: for a sovereign cloud not listed, a proxy or testing. Empty: the cloud’s own, e.g. https://graph.microsoft.com.',
        'usersync',
      ),
      input: url,
    },
    {
      name: 'pageSize',
      label: __('Users per page', 'usersync'),
      help: __(
        'Users asked for per Microsoft Graph page, 1 to 999 (default 500). For change tracking this is only a hint: Microsoft Graph picks the page size and may send fewer users per page. In B2C it is the exact page size. Lower it when pages time out.',
        'usersync',
      ),
      input: { type: 'number', min: 1, max: 999, step: 1 },
    },
    {
      name: 'concurrency',
      label: __('Parallel requests', 'usersync'),
      help: __(
        'Microsoft Graph requests in flight at once, for photos and group members, 1 to 32. Default 4; lower it when Microsoft Graph throttles runs.',
        'usersync',
      ),
      input: { type: 'number', min: 1, max: 32, step: 1 },
    },
  ];
}

export default function GraphAdvancedSettings({
  values,
  errors,
  onChange,
  isOpen,
  onToggle,
}: GraphAdvancedSettingsProps) {
  const [id] = useState(() => `usersync-advanced-${++sections}`);
  return (
    <div className="usersync-advanced">
      <h4 className="usersync-advanced__title">
        <Button
          variant="tertiary"
          aria-expanded={isOpen}
          aria-controls={id}
          onClick={() => onToggle(!isOpen)}
        >
          <span aria-hidden="true" className="usersync-advanced__marker">
            {isOpen ? '▾' : '▸'}
          </span>
          {__('Advanced', 'usersync')}
        </Button>
      </h4>
      {isOpen ? (
        <div id={id} className="usersync-graph-form__grid">
          {settings().map(({ name, label, help, input }) => (
            <ConnectionField
              key={name}
              {...input}
              name={name}
              error={errors[name]}
              help={help}
              label={label}
              value={values[name]}
              onChange={(value) => onChange(name, value)}
            />
          ))}
        </div>
      ) : null}
    </div>
  );
}
