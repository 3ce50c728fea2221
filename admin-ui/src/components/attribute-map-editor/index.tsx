/**
 * The attribute map as editable rows: source attribute → WordPress field, with the transform,
 * a default value and the direction. Each control has its own label; on wide screens a row is
 * one line, on narrow ones it wraps.
 */

/**
 * WordPress dependencies
 */
import { Button, SelectControl, TextControl } from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { AttributeMapping, MappingDirection, MappingTransform } from '../../api';
import { SUGGESTED_SOURCES } from '../../scim/attribute-path';
import { fieldState } from '../field-state';
import type { AttributeMapEditorProps } from './types';
import { CORE_TARGETS, rowPath } from './validate';

const META = '__meta';
const SOURCES_LIST_ID = 'usersync-source-attributes';

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

  useEffect(() => {
    if (focusRow === null) {
      return;
    }
    const row = list.current?.querySelectorAll<HTMLElement>('.usersync-map-row')[focusRow];
    (row?.querySelector<HTMLElement>('input, select') ?? addButton.current)?.focus();
    setFocusRow(null);
  }, [focusRow]);

  const update = (index: number, field: keyof AttributeMapping, value: AttributeMapping) => {
    onEdit(rowPath(index, field));
    onChange(rows.map((row, i) => (i === index ? value : row)));
  };

  const remove = (index: number) => {
    onChange(rows.filter((_, i) => i !== index));
    setFocusRow(index < rows.length - 1 ? index : rows.length > 1 ? index - 1 : null);
    if (rows.length === 1) {
      addButton.current?.focus();
    }
  };

  const add = () => {
    onChange([
      ...rows,
      { source: '', target: 'meta:', direction: 'inbound', transform: 'none', default: null },
    ]);
    setFocusRow(rows.length);
  };

  const targetOptions = [
    ...CORE_TARGETS.map((target) => ({ value: target, label: targetLabel(target) })),
    { value: META, label: __('User meta key…', 'usersync') },
  ];
  const transformOptions: { value: MappingTransform; label: string }[] = [
    { value: 'none', label: __('None', 'usersync') },
    { value: 'trim', label: __('Trim spaces', 'usersync') },
    { value: 'lowercase', label: __('Lowercase', 'usersync') },
    { value: 'uppercase', label: __('Uppercase', 'usersync') },
  ];
  const directionOptions: { value: MappingDirection; label: string }[] = [
    { value: 'inbound', label: __('Into WordPress', 'usersync') },
    { value: 'outbound', label: __('Out of WordPress', 'usersync') },
    { value: 'both', label: __('Both ways', 'usersync') },
  ];

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
        {rows.map((row, index) => {
          const number = index + 1;
          const isMeta = row.target.startsWith('meta:');
          return (
            // Rows have no identity of their own; every control is controlled.
            <li key={index}>
              <fieldset className="usersync-map-row">
                <legend className="usersync-map-row__legend">
                  {sprintf(
                    /* translators: %d: row number. */
                    __('Row %d', 'usersync'),
                    number,
                  )}
                </legend>
                <TextControl
                  {...fieldState(
                    errors[rowPath(index, 'source')],
                    undefined,
                    'usersync-map-row__source',
                  )}
                  label={__('Source attribute', 'usersync')}
                  value={row.source}
                  list={SOURCES_LIST_ID}
                  autoComplete="off"
                  spellCheck={false}
                  onChange={(source) => update(index, 'source', { ...row, source })}
                />
                <div className="usersync-map-row__target">
                  <SelectControl
                    {...fieldState(isMeta ? undefined : errors[rowPath(index, 'target')])}
                    label={__('WordPress field', 'usersync')}
                    value={isMeta ? META : row.target}
                    options={targetOptions}
                    onChange={(value: string) =>
                      update(index, 'target', {
                        ...row,
                        target: value === META ? 'meta:' : value,
                      })
                    }
                  />
                  {isMeta ? (
                    <TextControl
                      {...fieldState(errors[rowPath(index, 'target')])}
                      label={__('Meta key', 'usersync')}
                      value={row.target.slice(5)}
                      autoComplete="off"
                      spellCheck={false}
                      onChange={(key) => update(index, 'target', { ...row, target: `meta:${key}` })}
                    />
                  ) : null}
                </div>
                <SelectControl
                  {...fieldState(errors[rowPath(index, 'transform')])}
                  label={__('Transform', 'usersync')}
                  value={row.transform}
                  options={transformOptions}
                  onChange={(value: string) =>
                    update(index, 'transform', { ...row, transform: value as MappingTransform })
                  }
                />
                <TextControl
                  {...fieldState(errors[rowPath(index, 'default')])}
                  label={__('Default value', 'usersync')}
                  value={row.default ?? ''}
                  autoComplete="off"
                  onChange={(value) =>
                    update(index, 'default', { ...row, default: value === '' ? null : value })
                  }
                />
                <SelectControl
                  {...fieldState(errors[rowPath(index, 'direction')])}
                  label={__('Direction', 'usersync')}
                  value={row.direction}
                  options={directionOptions}
                  onChange={(value: string) =>
                    update(index, 'direction', { ...row, direction: value as MappingDirection })
                  }
                />
                <Button
                  className="usersync-map-row__remove"
                  variant="tertiary"
                  isDestructive
                  onClick={() => remove(index)}
                  label={sprintf(
                    /* translators: %d: row number. */
                    __('Remove row %d', 'usersync'),
                    number,
                  )}
                  showTooltip={false}
                >
                  {__('Remove', 'usersync')}
                </Button>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <Button variant="secondary" onClick={add} ref={addButton}>
        {__('Add a row', 'usersync')}
      </Button>
    </div>
  );
}
