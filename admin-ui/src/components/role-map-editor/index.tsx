/**
 * The role map: group → role rules with a priority, the role of everyone else, and the
 * explicit, confirmed switch that lets a group grant administrator.
 */

/**
 * WordPress dependencies
 */
import {
  Button,
  Flex,
  FlexItem,
  Modal,
  Notice,
  SelectControl,
  TextControl,
  ToggleControl,
} from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { Role, RoleRule, RuleConnection } from '../../api';
import { fieldState } from '../field-state';
import type { RoleMapEditorProps } from './types';
import { DEFAULT_ROLE_PATH, rulePath } from './validate';

/** The site's roles, plus the stored one when it no longer exists (so it can be seen and fixed). */
function roleOptions(roles: Role[], current: string) {
  const options = roles.map((role) => ({ value: role.slug, label: role.name }));
  if (current === '') {
    options.unshift({ value: '', label: __('— Choose a role —', 'usersync') });
  } else if (!roles.some((role) => role.slug === current)) {
    options.unshift({
      value: current,
      label: sprintf(
        /* translators: %s: role name as stored. */
        __('%s (does not exist)', 'usersync'),
        current,
      ),
    });
  }
  return options;
}

/** A rule's `connections` meaning any connection. */
const ANY = '*';

/** Value of the connection select for a rule naming several connections (kept as stored), or none yet. */
const SEVERAL = '';

/** "Any connection", each known connection, and what a stored rule names that is not known. */
function connectionOptions(connections: RuleConnection[], current: string[]) {
  const options: { value: string; label: string }[] = [
    ...(current.length === 0
      ? [{ value: '', label: __('— Choose a connection —', 'usersync') }]
      : []),
    { value: ANY, label: __('Any connection', 'usersync') },
    ...connections.map((connection) => ({
      value: connection.slug,
      label: sprintf(
        /* translators: 1: connection name, 2: connection slug. */
        __('%1$s (%2$s)', 'usersync'),
        connection.name,
        connection.slug,
      ),
    })),
  ];
  if (current.length > 1) {
    options.unshift({
      value: SEVERAL,
      label: sprintf(
        /* translators: %s: connection slugs, comma-separated. */
        __('Several: %s', 'usersync'),
        current.join(', '),
      ),
    });
  } else if (current.length === 1 && !options.some((option) => option.value === current[0])) {
    options.push({
      value: current[0]!,
      label: sprintf(
        /* translators: %s: connection slug as stored. */
        __('%s (no longer exists)', 'usersync'),
        current[0]!,
      ),
    });
  }
  return options;
}

export default function RoleMapEditor({
  roleMap,
  roles,
  connections,
  onChange,
  errors,
  onEdit,
}: RoleMapEditorProps) {
  const list = useRef<HTMLOListElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const [focusRule, setFocusRule] = useState<number | null>(null);
  const [isConfirming, setIsConfirming] = useState(false);

  useEffect(() => {
    if (focusRule === null) {
      return;
    }
    const rule = list.current?.querySelectorAll<HTMLElement>('.usersync-rule')[focusRule];
    (rule?.querySelector<HTMLElement>('input, select') ?? addButton.current)?.focus();
    setFocusRule(null);
  }, [focusRule]);

  const updateRule = (index: number, field: keyof RoleRule, rule: RoleRule) => {
    onEdit(rulePath(index, field));
    onChange({ ...roleMap, rules: roleMap.rules.map((r, i) => (i === index ? rule : r)) });
  };

  const remove = (index: number) => {
    const rules = roleMap.rules.filter((_, i) => i !== index);
    onChange({ ...roleMap, rules });
    if (rules.length === 0) {
      addButton.current?.focus();
    } else {
      setFocusRule(Math.min(index, rules.length - 1));
    }
  };

  const add = () => {
    const lowest = roleMap.rules.reduce(
      (min, rule) => (Number.isInteger(rule.priority) ? Math.min(min, rule.priority) : min),
      20,
    );
    onChange({
      ...roleMap,
      rules: [
        ...roleMap.rules,
        {
          group: '',
          role: '',
          priority: Math.max(0, lowest - 10),
          // Scoped to one connection unless the admin chooses "Any connection"; with several
          // connections the admin picks one (validation asks for it).
          connections:
            connections.length === 1 ? [connections[0]!.slug] : connections.length ? [] : [ANY],
        },
      ],
    });
    setFocusRule(roleMap.rules.length);
  };

  const setAllowAdministrator = (allow: boolean) => {
    onEdit('roleMap[allowAdministrator]');
    onChange({ ...roleMap, allowAdministrator: allow });
  };

  return (
    <div className="usersync-role-map">
      {roleMap.rules.length === 0 ? (
        <p className="usersync-empty">
          {__(
            'No rules: synced users keep the roles WordPress gives them, and new users get the default role.',
            'usersync',
          )}
        </p>
      ) : null}
      <ol className="usersync-rules" ref={list}>
        {roleMap.rules.map((rule, index) => (
          // Rules have no identity of their own; every control is controlled.
          <li key={index}>
            <fieldset className="usersync-rule">
              <legend className="usersync-rule__legend">
                {sprintf(
                  /* translators: %d: rule number. */
                  __('Rule %d', 'usersync'),
                  index + 1,
                )}
              </legend>
              <TextControl
                {...fieldState(errors[rulePath(index, 'group')])}
                label={__('Group', 'usersync')}
                value={rule.group}
                autoComplete="off"
                onChange={(group) => updateRule(index, 'group', { ...rule, group })}
              />
              <SelectControl
                {...fieldState(errors[rulePath(index, 'role')])}
                label={__('Role', 'usersync')}
                value={rule.role}
                options={roleOptions(roles, rule.role)}
                onChange={(role: string) => updateRule(index, 'role', { ...rule, role })}
              />
              <SelectControl
                {...fieldState(errors[rulePath(index, 'connections')])}
                label={__('Connection', 'usersync')}
                value={
                  (rule.connections ?? [ANY]).length === 1
                    ? (rule.connections ?? [ANY])[0]
                    : SEVERAL
                }
                options={connectionOptions(connections, rule.connections ?? [ANY])}
                onChange={(slug: string) => {
                  if (slug !== SEVERAL) {
                    updateRule(index, 'connections', { ...rule, connections: [slug] });
                  }
                }}
              />
              <TextControl
                {...fieldState(
                  errors[rulePath(index, 'priority')],
                  undefined,
                  'usersync-rule__priority',
                )}
                label={__('Priority', 'usersync')}
                type="number"
                step={1}
                value={Number.isNaN(rule.priority) ? '' : String(rule.priority)}
                onChange={(value) =>
                  updateRule(index, 'priority', {
                    ...rule,
                    priority: value.trim() === '' ? Number.NaN : Number(value),
                  })
                }
              />
              <Button
                className="usersync-rule__remove"
                variant="tertiary"
                isDestructive
                label={sprintf(
                  /* translators: %d: rule number. */
                  __('Remove rule %d', 'usersync'),
                  index + 1,
                )}
                showTooltip={false}
                onClick={() => remove(index)}
              >
                {__('Remove', 'usersync')}
              </Button>
            </fieldset>
          </li>
        ))}
      </ol>
      <Button variant="secondary" onClick={add} ref={addButton}>
        {__('Add a rule', 'usersync')}
      </Button>

      <div className="usersync-role-map__default">
        <SelectControl
          {...fieldState(
            errors[DEFAULT_ROLE_PATH],
            __(
              'The role of synced users who are in none of the groups above, and of new users when there are no rules.',
              'usersync',
            ),
          )}
          label={__('Default role', 'usersync')}
          value={roleMap.defaultRole}
          options={roleOptions(roles, roleMap.defaultRole)}
          onChange={(defaultRole: string) => {
            onEdit(DEFAULT_ROLE_PATH);
            onChange({ ...roleMap, defaultRole });
          }}
        />
      </div>

      <div className="usersync-role-map__administrator">
        <ToggleControl
          label={__('Allow the administrator role', 'usersync')}
          help={__(
            'Off by default: no group and no identity provider can make anyone an administrator of this site, or give a role that can manage users, plugins or settings.',
            'usersync',
          )}
          checked={roleMap.allowAdministrator}
          onChange={(allow: boolean) => {
            if (allow) {
              setIsConfirming(true);
            } else {
              setAllowAdministrator(false);
            }
          }}
        />
        {roleMap.allowAdministrator ? (
          <Notice status="warning" isDismissible={false}>
            {__(
              'Groups may grant administrator: whoever can add people to those groups in the identity provider controls this site.',
              'usersync',
            )}
          </Notice>
        ) : null}
      </div>

      {isConfirming ? (
        <Modal
          title={__('Allow groups to grant administrator?', 'usersync')}
          onRequestClose={() => setIsConfirming(false)}
          className="usersync-confirm-modal"
        >
          <p>
            {__(
              'Administrators can do anything on this site: install plugins, change every setting, delete content and other users. With this on, anyone the identity provider puts into a group mapped to administrator gets all of that.',
              'usersync',
            )}
          </p>
          <Flex justify="flex-end">
            <FlexItem>
              <Button variant="tertiary" onClick={() => setIsConfirming(false)}>
                {__('Cancel', 'usersync')}
              </Button>
            </FlexItem>
            <FlexItem>
              <Button
                variant="primary"
                isDestructive
                onClick={() => {
                  setAllowAdministrator(true);
                  setIsConfirming(false);
                }}
              >
                {__('Allow administrator', 'usersync')}
              </Button>
            </FlexItem>
          </Flex>
        </Modal>
      ) : null}
    </div>
  );
}
