/**
 * The attribute map as editable rows: source attribute (or a template of several) → WordPress
 * field, with the transform, a default value and the direction. Each control has its own
 * label; on wide screens a row is one line, on narrow ones it wraps.
 */

/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { useCallback, useEffect, useMemo, useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { AttributeMapping, MappingDirection, MappingTransform } from '../../api';
import { SUGGESTED_SOURCES } from '../../scim/attribute-path';
import MapRow, { META, PROFILE_FIELD, SOURCES_LIST_ID } from './map-row';
import type { AttributeMapEditorProps, MapRowErrors, MapRowOptions } from './types';
import { CORE_TARGETS, rowPath } from './validate';

function targetLabel(target: (typeof CORE_TARGETS)[number]): string {
  switch (target) {
    case 'user_login':
      return __('Login (user_login)', 'usersync');
    case 'user_email':
      return __('Email (user_email)', 'usersync');
    case 'first_name':
      return __('First name', 'usersync');
    case 'last_name':
      return __('Last name', 'usersync');
    case 'display_name':
      return __('Display name', 'usersync');
    case 'nickname':
      return __('Nickname', 'usersync');
    case 'user_url':
      return __('Website (user_url)', 'usersync');
    case 'description':
      return __('Biographical info', 'usersync');
    case 'avatar':
      return __('Profile picture', 'usersync');
  }
}

const FIELDS: (keyof AttributeMapping)[] = [
  'source',
  'template',
  'target',
  'transform',
  'default',
  'direction',
];

/** The errors of one row, by field. */
function rowErrors(errors: Record<string, string>, index: number): MapRowErrors {
  const found: MapRowErrors = {};
  for (const field of FIELDS) {
    const message = errors[rowPath(index, field)];
    if (message) {
      found[field] = message;
    }
  }
  return found;
}

export default function AttributeMapEditor({
  rows,
  onChange,
  errors,
  onEdit,
}: AttributeMapEditorProps) {
  const list = useRef<HTMLOListElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  // Where the keyboard goes after a row is added or removed.
  const [focusRow, setFocusRow] = useState<number | null>(null);
  // The rows' callbacks stay the same across renders (so unchanged rows are not re-rendered)
  // and read the latest rows and handlers from here.
  const latest = useRef({ rows, onChange, onEdit });
  latest.current = { rows, onChange, onEdit };

  useEffect(() => {
    if (focusRow === null) {
      return;
    }
    const row = list.current?.querySelectorAll<HTMLElement>('.usersync-map-row')[focusRow];
    (row?.querySelector<HTMLElement>('input, select') ?? addButton.current)?.focus();
    setFocusRow(null);
  }, [focusRow]);

  const onUpdate = useCallback(
    (index: number, field: keyof AttributeMapping, value: AttributeMapping) => {
      const current = latest.current;
      current.onEdit(rowPath(index, field));
      current.onChange(current.rows.map((row, i) => (i === index ? value : row)));
    },
    [],
  );

  const onRemove = useCallback((index: number) => {
    const current = latest.current;
    const count = current.rows.length;
    current.onChange(current.rows.filter((_, i) => i !== index));
    if (count === 1) {
      addButton.current?.focus();
    } else {
      setFocusRow(index < count - 1 ? index : index - 1);
    }
  }, []);

  const add = () => {
    onChange([
      ...rows,
      { source: '', target: 'meta:', direction: 'inbound', transform: 'none', default: null },
    ]);
    setFocusRow(rows.length);
  };

  const options = useMemo<MapRowOptions>(
    () => ({
      targets: [
        ...CORE_TARGETS.map((target) => ({ value: target, label: targetLabel(target) })),
        { value: META, label: __('User meta key…', 'usersync') },
        { value: PROFILE_FIELD, label: __('BuddyPress profile field…', 'usersync') },
      ],
      transforms: [
        { value: 'none', label: __('None', 'usersync') },
        { value: 'trim', label: __('Trim spaces', 'usersync') },
        { value: 'lowercase', label: __('Lowercase', 'usersync') },
        { value: 'uppercase', label: __('Uppercase', 'usersync') },
        { value: 'template', label: __('Template', 'usersync') },
      ] as { value: MappingTransform; label: string }[],
      directions: [
        { value: 'inbound', label: __('Into WordPress', 'usersync') },
        { value: 'outbound', label: __('Out of WordPress', 'usersync') },
        { value: 'both', label: __('Both ways', 'usersync') },
      ] as { value: MappingDirection; label: string }[],
    }),
    [],
  );

  return (
    <div className="usersync-map-editor">
      <datalist id={SOURCES_LIST_ID}>
        {SUGGESTED_SOURCES.map((source) => (
          <option key={source} value={source} />
        ))}
      </datalist>
      {rows.length === 0 ? (
        <p className="usersync-empty">{__('No rows: nothing is mapped yet.', 'usersync')}</p>
      ) : null}
      <ol className="usersync-map-rows" ref={list}>
        {rows.map((row, index) => (
          // Rows have no identity of their own; every control is controlled.
          <MapRow
            key={index}
            index={index}
            row={row}
            errors={rowErrors(errors, index)}
            options={options}
            onUpdate={onUpdate}
            onRemove={onRemove}
          />
        ))}
      </ol>
      <Button variant="secondary" onClick={add} ref={addButton}>
        {__('Add a row', 'usersync')}
      </Button>
    </div>
  );
}
