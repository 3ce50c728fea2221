/**
 * Preview: paste or edit a sample source user (SCIM JSON) and see what WordPress would store
 * under the attribute map as it is being edited, before anything is saved.
 */

/**
 * WordPress dependencies
 */
import { TextareaControl } from '@wordpress/components';
import { useMemo, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldState } from '../field-state';
import { previewUser, SAMPLE_USER } from './preview';
import type { MappingPreviewProps, PreviewRow } from './types';

function parseSample(text: string): { user: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      error: sprintf(
        /* translators: %s: the JSON parser's message. */
        __('This is not valid JSON: %s', 'usersync'),
        (error as Error).message,
      ),
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: __('Enter one user as a JSON object: { "userName": … }.', 'usersync') };
  }
  return { user: value as Record<string, unknown> };
}

function noteText(note: PreviewRow['note']): string | null {
  switch (note) {
    case 'default':
      return __('default value', 'usersync');
    case 'login-sanitized':
      return __('made a valid WordPress login', 'usersync');
    case 'login-shortened':
      return __('over 60 characters: shortened, ending in a hash', 'usersync');
    case 'login-generated':
      return __('nothing usable: a login is made up', 'usersync');
    case 'template-unfilled':
      return __('a placeholder of the template has no value', 'usersync');
    case 'template-invalid':
      return __('fix the template first', 'usersync');
    default:
      return null;
  }
}

export default function MappingPreview({ rows }: MappingPreviewProps) {
  const [text, setText] = useState(() => JSON.stringify(SAMPLE_USER, null, 2));
  const sample = useMemo(() => parseSample(text), [text]);
  const preview = 'user' in sample ? previewUser(sample.user, rows) : null;

  return (
    <div className="usersync-preview">
      <TextareaControl
        {...fieldState(
          'error' in sample ? sample.error : undefined,
          __(
            'A source user as SCIM JSON. Change it to try the rows above; nothing is saved.',
            'usersync',
          ),
          'usersync-preview__sample',
        )}
        label={__('Sample source user', 'usersync')}
        value={text}
        rows={14}
        spellCheck={false}
        onChange={setText}
      />
      <div className="usersync-preview__result">
        {preview ? (
          <table className="widefat striped">
            <caption>{__('What WordPress would store', 'usersync')}</caption>
            <thead>
              <tr>
                <th scope="col">{__('WordPress field', 'usersync')}</th>
                <th scope="col">{__('Value', 'usersync')}</th>
                <th scope="col">{__('From', 'usersync')}</th>
              </tr>
            </thead>
            <tbody>
              {preview.map((row, index) => (
                <tr key={index}>
                  <th scope="row">
                    <code>{row.target}</code>
                  </th>
                  <td>
                    {row.value === undefined ? (
                      <em>{__('(nothing)', 'usersync')}</em>
                    ) : (
                      <code>{row.value}</code>
                    )}
                    {noteText(row.note) ? (
                      <span className="usersync-preview__note"> — {noteText(row.note)}</span>
                    ) : null}
                  </td>
                  <td>
                    <code>{row.source}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>{__('Fix the sample user to see the preview.', 'usersync')}</p>
        )}
      </div>
    </div>
  );
}
