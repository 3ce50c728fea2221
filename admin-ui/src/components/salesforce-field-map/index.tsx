/**
 * The field map of a Salesforce object map: one row per pair of WordPress field and
 * Salesforce field, each with its direction, transform, default and what clearing a value
 * does. Once the connection is saved, the Salesforce fields are picked from the object's
 * describe, and the required-on-create fields that no outbound row fills are listed, each
 * with a button that adds its row.
 */

/**
 * WordPress dependencies
 */
import { Button, Notice, SelectControl, TextControl } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldState } from '../field-state';
import type { FieldRowValues, SalesforceFieldMapProps } from './types';

/** WordPress fields offered as you type (meta:<key> and xprofile:<Field> are typed). */
export const WORDPRESS_FIELDS = [
  'user_login',
  'user_email',
  'first_name',
  'last_name',
  'display_name',
  'nickname',
  'user_url',
  'description',
];

export const EMPTY_ROW: FieldRowValues = {
  wp: '',
  sf: '',
  direction: 'both',
  transform: 'none',
  default: '',
  template: '',
  valueMap: '',
  nulls: 'propagate',
};

const DATALIST_ID = 'usersync-salesforce-wordpress-fields';

export default function SalesforceFieldMap({
  rows,
  onChange,
  describedFields,
  errors,
  path,
  missingRequired,
}: SalesforceFieldMapProps) {
  const change = (index: number, patch: Partial<FieldRowValues>) =>
    onChange(rows.map((row, at) => (at === index ? { ...row, ...patch } : row)));
  const remove = (index: number) => onChange(rows.filter((_, at) => at !== index));
  const add = (row: Partial<FieldRowValues> = {}) => onChange([...rows, { ...EMPTY_ROW, ...row }]);
  const error = (index: number, key: string) => errors[`${path}[${index}][${key}]`];

  const sfOptions = describedFields
    ? [
        { value: '', label: __('Choose a field…', 'usersync') },
        ...describedFields.map((field) => ({
          value: field.name,
          label: `${field.label} (${field.name})${field.requiredOnCreate ? ' *' : ''}`,
        })),
      ]
    : null;

  return (
    <fieldset className="usersync-salesforce-fields" data-field={path}>
      <legend>{__('Field map', 'usersync')}</legend>
      <p className="description">
        {__(
          'Each row pairs a WordPress field with a Salesforce field. Inbound rows fill WordPress from Salesforce, outbound rows fill Salesforce from WordPress. Roles and capabilities cannot be mapped.',
          'usersync',
        )}
      </p>
      {errors[path] ? (
        <Notice status="error" isDismissible={false}>
          {errors[path]}
        </Notice>
      ) : null}
      {missingRequired.length > 0 ? (
        <Notice status="warning" isDismissible={false} className="usersync-salesforce-required">
          <p>
            {__(
              'Salesforce needs these fields to create a record, and no outbound row or default fills them:',
              'usersync',
            )}
          </p>
          <ul>
            {missingRequired.map((field) => (
              <li key={field.name}>
                {field.label} (<code>{field.name}</code>){' '}
                <Button
                  variant="link"
                  onClick={() => add({ sf: field.name, direction: 'outbound' })}
                >
                  {sprintf(
                    /* translators: %s: Salesforce field label. */
                    __('Map %s', 'usersync'),
                    field.label,
                  )}
                </Button>
              </li>
            ))}
          </ul>
        </Notice>
      ) : null}
      <datalist id={DATALIST_ID}>
        {WORDPRESS_FIELDS.map((field) => (
          <option key={field} value={field} />
        ))}
      </datalist>
      {rows.map((row, index) => {
        const number = index + 1;
        const label = (what: string) =>
          /* translators: 1: what the control is, 2: row number. */
          sprintf(__('%1$s, row %2$d', 'usersync'), what, number);
        return (
          <div
            key={index}
            className="usersync-salesforce-fields__row"
            role="group"
            aria-label={label(__('Field', 'usersync'))}
          >
            <div data-field={`${path}[${index}][wp]`}>
              <TextControl
                {...fieldState(error(index, 'wp'))}
                label={label(__('WordPress field', 'usersync'))}
                value={row.wp}
                list={DATALIST_ID}
                autoComplete="off"
                spellCheck={false}
                onChange={(value: string) => change(index, { wp: value })}
              />
            </div>
            <div data-field={`${path}[${index}][sf]`}>
              {sfOptions ? (
                <SelectControl
                  {...fieldState(error(index, 'sf'))}
                  label={label(__('Salesforce field', 'usersync'))}
                  value={row.sf}
                  options={
                    row.sf !== '' && !sfOptions.some((option) => option.value === row.sf)
                      ? [...sfOptions, { value: row.sf, label: row.sf }]
                      : sfOptions
                  }
                  onChange={(value: string) => change(index, { sf: value })}
                />
              ) : (
                <TextControl
                  {...fieldState(error(index, 'sf'))}
                  label={label(__('Salesforce field', 'usersync'))}
                  value={row.sf}
                  autoComplete="off"
                  spellCheck={false}
                  onChange={(value: string) => change(index, { sf: value })}
                />
              )}
            </div>
            <div data-field={`${path}[${index}][direction]`}>
              <SelectControl
                {...fieldState(error(index, 'direction'))}
                label={label(__('Direction', 'usersync'))}
                value={row.direction}
                options={[
                  { value: 'both', label: __('Both ways', 'usersync') },
                  { value: 'inbound', label: __('Salesforce → WordPress', 'usersync') },
                  { value: 'outbound', label: __('WordPress → Salesforce', 'usersync') },
                ]}
                onChange={(value: string) =>
                  change(index, { direction: value as FieldRowValues['direction'] })
                }
              />
            </div>
            <div data-field={`${path}[${index}][transform]`}>
              <SelectControl
                {...fieldState(error(index, 'transform'))}
                label={label(__('Transform', 'usersync'))}
                value={row.transform}
                options={[
                  { value: 'none', label: __('None', 'usersync') },
                  { value: 'lowercase', label: __('Lowercase', 'usersync') },
                  { value: 'uppercase', label: __('Uppercase', 'usersync') },
                  { value: 'trim', label: __('Trim spaces', 'usersync') },
                  { value: 'template', label: __('Template', 'usersync') },
                  { value: 'picklist-map', label: __('Picklist values', 'usersync') },
                  { value: 'date', label: __('Date', 'usersync') },
                  { value: 'datetime', label: __('Date and time', 'usersync') },
                  { value: 'boolean', label: __('Yes / no', 'usersync') },
                ]}
                onChange={(value: string) =>
                  change(index, { transform: value as FieldRowValues['transform'] })
                }
              />
            </div>
            <div data-field={`${path}[${index}][default]`}>
              <TextControl
                {...fieldState(error(index, 'default'))}
                label={label(__('Default', 'usersync'))}
                value={row.default}
                autoComplete="off"
                onChange={(value: string) => change(index, { default: value })}
              />
            </div>
            <div data-field={`${path}[${index}][nulls]`}>
              <SelectControl
                {...fieldState(error(index, 'nulls'))}
                label={label(__('When cleared', 'usersync'))}
                value={row.nulls}
                options={[
                  { value: 'propagate', label: __('Clear the other side', 'usersync') },
                  { value: 'ignore', label: __('Keep the other side', 'usersync') },
                ]}
                onChange={(value: string) =>
                  change(index, { nulls: value as FieldRowValues['nulls'] })
                }
              />
            </div>
            {row.transform === 'template' ? (
              <div data-field={`${path}[${index}][template]`}>
                <TextControl
                  {...fieldState(
                    error(index, 'template'),
                    __('Salesforce fields in braces, e.g. {FirstName} {LastName}.', 'usersync'),
                  )}
                  label={label(__('Template', 'usersync'))}
                  value={row.template}
                  autoComplete="off"
                  onChange={(value: string) => change(index, { template: value })}
                />
              </div>
            ) : null}
            {row.transform === 'picklist-map' ? (
              <div data-field={`${path}[${index}][valueMap]`}>
                <TextControl
                  {...fieldState(
                    error(index, 'valueMap'),
                    __(
                      'WordPress value=Salesforce value, separated by commas, e.g. gold=Gold, silver=Silver.',
                      'usersync',
                    ),
                  )}
                  label={label(__('Picklist values', 'usersync'))}
                  value={row.valueMap}
                  autoComplete="off"
                  onChange={(value: string) => change(index, { valueMap: value })}
                />
              </div>
            ) : null}
            <Button
              variant="tertiary"
              isDestructive
              aria-label={label(__('Remove field', 'usersync'))}
              onClick={() => remove(index)}
            >
              {__('Remove', 'usersync')}
            </Button>
          </div>
        );
      })}
      <Button variant="secondary" onClick={() => add()}>
        {__('Add a field', 'usersync')}
      </Button>
    </fieldset>
  );
}
