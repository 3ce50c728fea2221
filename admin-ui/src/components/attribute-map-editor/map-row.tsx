/**
 * One row of the attribute map. Memoised: typing in one row does not re-render the others.
 * A row with the transform "Template" shows its template where others show their source.
 */

/**
 * WordPress dependencies
 */
import { Button, SelectControl, TextControl } from '@wordpress/components';
import { memo } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { AttributeMapping, MappingDirection, MappingTransform } from '../../api';
import { singlePath } from '../../scim/template';
import { fieldState } from '../field-state';
import type { MapRowProps } from './types';
import { XPROFILE } from './validate';

export const META = '__meta';
export const PROFILE_FIELD = '__xprofile';
export const SOURCES_LIST_ID = 'usersync-source-attributes';

/**
 * The row with another transform. Choosing "Template" starts the template from the source
 * (`userName` → `{userName}`) and makes the row inbound, the only way a template can go;
 * leaving it keeps a single-placeholder template as the source.
 */
export function withTransform(
  row: AttributeMapping,
  transform: MappingTransform,
): AttributeMapping {
  if (transform === 'template' && row.transform !== 'template') {
    const source = row.source.trim();
    return {
      ...row,
      source: '',
      transform,
      template: row.template || (source === '' ? '' : `{${source}}`),
      direction: 'inbound',
    };
  }
  if (transform !== 'template' && row.transform === 'template') {
    const { template, ...rest } = row;
    return { ...rest, source: singlePath(template ?? '') ?? '', transform };
  }
  return { ...row, transform };
}

function MapRow({ index, row, errors, options, onUpdate, onRemove }: MapRowProps) {
  const number = index + 1;
  const isMeta = row.target.startsWith('meta:');
  const isProfileField = row.target.startsWith(XPROFILE);
  const isTemplate = row.transform === 'template';
  let selected = row.target;
  if (isMeta) {
    selected = META;
  } else if (isProfileField) {
    selected = PROFILE_FIELD;
  }

  return (
    <li>
      <fieldset className="usersync-map-row">
        <legend className="usersync-map-row__legend">
          {sprintf(
            /* translators: %d: row number. */
            __('Row %d', 'usersync'),
            number,
          )}
        </legend>
        {isTemplate ? (
          <TextControl
            {...fieldState(
              errors['template'],
              __(
                'Source attributes in braces, e.g. {name.givenName}.{name.familyName}. If one has no value, the default value is used.',
                'usersync',
              ),
              'usersync-map-row__source',
            )}
            label={__('Template', 'usersync')}
            value={row.template ?? ''}
            autoComplete="off"
            spellCheck={false}
            onChange={(template) => onUpdate(index, 'template', { ...row, template })}
          />
        ) : (
          <TextControl
            {...fieldState(errors['source'], undefined, 'usersync-map-row__source')}
            label={__('Source attribute', 'usersync')}
            value={row.source}
            list={SOURCES_LIST_ID}
            autoComplete="off"
            spellCheck={false}
            onChange={(source) => onUpdate(index, 'source', { ...row, source })}
          />
        )}
        <div className="usersync-map-row__target">
          <SelectControl
            {...fieldState(isMeta || isProfileField ? undefined : errors['target'])}
            label={__('WordPress field', 'usersync')}
            value={selected}
            options={options.targets}
            onChange={(value: string) =>
              onUpdate(index, 'target', {
                ...row,
                target: { [META]: 'meta:', [PROFILE_FIELD]: XPROFILE }[value] ?? value,
              })
            }
          />
          {isMeta ? (
            <TextControl
              {...fieldState(errors['target'])}
              label={__('Meta key', 'usersync')}
              value={row.target.slice(5)}
              autoComplete="off"
              spellCheck={false}
              onChange={(key) => onUpdate(index, 'target', { ...row, target: `meta:${key}` })}
            />
          ) : null}
          {isProfileField ? (
            <TextControl
              {...fieldState(
                errors['target'],
                __('As named in Users → Profile Fields. Needs BuddyPress.', 'usersync'),
              )}
              label={__('Profile field name', 'usersync')}
              value={row.target.slice(XPROFILE.length)}
              autoComplete="off"
              onChange={(name) =>
                onUpdate(index, 'target', { ...row, target: `${XPROFILE}${name}` })
              }
            />
          ) : null}
        </div>
        <SelectControl
          {...fieldState(errors['transform'])}
          label={__('Transform', 'usersync')}
          value={row.transform}
          options={options.transforms}
          onChange={(value: string) =>
            onUpdate(index, 'transform', withTransform(row, value as MappingTransform))
          }
        />
        <TextControl
          {...fieldState(errors['default'])}
          label={__('Default value', 'usersync')}
          value={row.default ?? ''}
          autoComplete="off"
          onChange={(value) =>
            onUpdate(index, 'default', { ...row, default: value === '' ? null : value })
          }
        />
        <SelectControl
          {...fieldState(errors['direction'])}
          label={__('Direction', 'usersync')}
          value={row.direction}
          options={options.directions}
          onChange={(value: string) =>
            onUpdate(index, 'direction', { ...row, direction: value as MappingDirection })
          }
        />
        <Button
          className="usersync-map-row__remove"
          variant="tertiary"
          isDestructive
          onClick={() => onRemove(index)}
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
}

/** Same row, same errors: nothing to draw again. */
function isSameRow(before: MapRowProps, after: MapRowProps): boolean {
  const fields = new Set([...Object.keys(before.errors), ...Object.keys(after.errors)]);
  return (
    before.index === after.index &&
    before.row === after.row &&
    before.options === after.options &&
    before.onUpdate === after.onUpdate &&
    before.onRemove === after.onRemove &&
    [...fields].every(
      (field) =>
        before.errors[field as keyof MapRowProps['errors']] ===
        after.errors[field as keyof MapRowProps['errors']],
    )
  );
}

export default memo(MapRow, isSameRow);
