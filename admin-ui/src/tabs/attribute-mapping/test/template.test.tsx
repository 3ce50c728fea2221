/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import AttributeMapping from '..';
import type { SyncConfig } from '../../../api';
import {
  configFixture,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  wpError,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

function row(number: number): HTMLElement {
  return screen.getByRole('group', { name: `Row ${number}` });
}

/** The value the preview shows for a WordPress field (with its note, if any). */
function previewed(target: string): string | null | undefined {
  return within(screen.getByRole('table', { name: 'What WordPress would store' })).getByRole(
    'rowheader',
    { name: target },
  ).nextElementSibling?.textContent;
}

async function renderTab(routes: Parameters<typeof mockRoutes>[0] = {}) {
  mockRoutes({ 'GET /usersync/v1/config': configFixture(), ...routes });
  render(<AttributeMapping />);
  await screen.findByRole('group', { name: 'Row 1' });
}

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('Attribute mapping: templates', () => {
  it('choosing Template shows a template field started from the source, and makes the row inbound', async () => {
    const user = userEvent.setup();
    await renderTab();

    await user.selectOptions(
      within(row(1)).getByRole('combobox', { name: 'Transform' }),
      'template',
    );

    expect(
      within(row(1)).queryByRole('combobox', { name: 'Source attribute' }),
    ).not.toBeInTheDocument();
    const template = within(row(1)).getByRole('textbox', { name: 'Template' });
    expect(template).toHaveValue('{userName}');
    expect(template).toHaveAccessibleDescription(
      'Source attributes in braces, e.g. {name.givenName}.{name.familyName}. If one has no value, the default value is used.',
    );
    expect(within(row(1)).getByRole('combobox', { name: 'Direction' })).toHaveValue('inbound');
  });

  it('checks the template as it is typed', async () => {
    const user = userEvent.setup();
    await renderTab();
    await user.selectOptions(
      within(row(5)).getByRole('combobox', { name: 'Transform' }),
      'template',
    );
    const template = within(row(5)).getByRole('textbox', { name: 'Template' });

    await user.clear(template);
    await user.type(template, '{{name.givenName} {{name.familyName');
    expect(template).toHaveAttribute('aria-invalid', 'true');
    expect(template).toHaveAccessibleDescription('The { at character 18 is not closed by a }.');
    await user.type(template, '}');
    expect(template).not.toHaveAttribute('aria-invalid');

    const cases: [string, string][] = [
      ['{givenName}', 'In the placeholder {givenName}: Unknown attribute "givenName".'],
      [
        'name.givenName}',
        'The } at character 15 has no { before it. Braces only surround attribute names.',
      ],
      [
        '{name.{givenName}}',
        'The { at character 1 is not closed by a } before the next {. Braces only surround attribute names.',
      ],
      [
        '{userName} {}',
        'The template has an empty placeholder {}. Put a source attribute between the braces.',
      ],
      [
        'Staff',
        'The template names no attribute. Put source attributes in braces, e.g. {userName}@example.org; for a fixed value use the default value instead.',
      ],
    ];
    for (const [text, problem] of cases) {
      await user.clear(template);
      await user.paste(text);
      expect(template).toHaveAccessibleDescription(problem);
    }

    await user.clear(template);
    expect(template).toHaveAccessibleDescription(
      'Enter the template, e.g. {name.givenName}.{name.familyName}.',
    );
    await user.paste(
      '{urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department}: {phoneNumbers[type eq "work"].value}',
    );
    expect(template).not.toHaveAttribute('aria-invalid');
  });

  it('refuses a template that would be written back or build the profile picture', async () => {
    const user = userEvent.setup();
    await renderTab();

    await user.selectOptions(
      within(row(5)).getByRole('combobox', { name: 'Transform' }),
      'template',
    );
    const direction = within(row(5)).getByRole('combobox', { name: 'Direction' });
    await user.selectOptions(direction, 'both');
    expect(direction).toHaveAccessibleDescription(
      'A value built from a template cannot be split back into source attributes. Choose “Into WordPress”.',
    );
    await user.selectOptions(direction, 'inbound');
    expect(direction).not.toHaveAttribute('aria-invalid');

    const transform = within(row(7)).getByRole('combobox', { name: 'Transform' });
    await user.selectOptions(transform, 'template');
    expect(transform).toHaveAccessibleDescription(
      'Profile pictures come from the source’s photo; a template cannot build one.',
    );
    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));
    expect(requestsMade()).toEqual(['GET /usersync/v1/config']);
  });

  it('previews the filled template, its default, and a template that cannot be filled', async () => {
    const user = userEvent.setup();
    await renderTab();
    await user.selectOptions(
      within(row(1)).getByRole('combobox', { name: 'Transform' }),
      'template',
    );
    const template = within(row(1)).getByRole('textbox', { name: 'Template' });

    await user.clear(template);
    await user.paste('{name.givenName}.{name.familyName}');
    expect(previewed('user_login')).toBe('Adele.Vance');

    await user.clear(template);
    await user.paste('{name.givenName}.{name.middleName}');
    expect(previewed('user_login')).toBe('(nothing) — a placeholder of the template has no value');

    await user.type(within(row(1)).getByRole('textbox', { name: 'Default value' }), 'guest');
    expect(previewed('user_login')).toBe('guest — default value');

    await user.clear(template);
    await user.paste('{name.givenName');
    expect(previewed('user_login')).toBe('guest — default value');
    await user.clear(within(row(1)).getByRole('textbox', { name: 'Default value' }));
    expect(previewed('user_login')).toBe('(nothing) — fix the template first');

    // The display name keeps what a template gives, spaces and case included.
    await user.selectOptions(
      within(row(5)).getByRole('combobox', { name: 'Transform' }),
      'template',
    );
    const name = within(row(5)).getByRole('textbox', { name: 'Template' });
    await user.clear(name);
    await user.paste('{name.familyName}, {name.givenName} ({title})');
    expect(previewed('display_name')).toBe('Vance, Adele (Retail Manager)');
  });

  it('saves the template row, and turning the transform back restores a plain row', async () => {
    const user = userEvent.setup();
    await renderTab({
      'PUT /usersync/v1/config': (options: APIFetchOptions) => ({
        ...configFixture(),
        ...(options.data as Partial<SyncConfig>),
      }),
    });
    const transform = within(row(1)).getByRole('combobox', { name: 'Transform' });
    await user.selectOptions(transform, 'template');
    const template = within(row(1)).getByRole('textbox', { name: 'Template' });
    await user.clear(template);
    await user.paste('{name.givenName}.{name.familyName}');
    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    let sent = lastBody('PUT /usersync/v1/config') as Pick<SyncConfig, 'attributeMap'>;
    expect(sent.attributeMap[0]).toEqual({
      source: '',
      target: 'user_login',
      direction: 'inbound',
      transform: 'template',
      default: null,
      template: '{name.givenName}.{name.familyName}',
    });

    await user.clear(template);
    await user.paste('{ emails[primary].value }');
    await user.selectOptions(transform, 'lowercase');
    expect(within(row(1)).getByRole('combobox', { name: 'Source attribute' })).toHaveValue(
      'emails[primary].value',
    );
    expect(within(row(1)).queryByRole('textbox', { name: 'Template' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));
    await waitFor(() =>
      expect(requestsMade().filter((r) => r === 'PUT /usersync/v1/config')).toHaveLength(2),
    );
    sent = lastBody('PUT /usersync/v1/config') as Pick<SyncConfig, 'attributeMap'>;
    expect(sent.attributeMap[0]).toEqual({
      source: 'emails[primary].value',
      target: 'user_login',
      direction: 'inbound',
      transform: 'lowercase',
      default: null,
    });
  });

  it('an empty template turns red only once a save is tried', async () => {
    const user = userEvent.setup();
    await renderTab();
    await user.click(screen.getByRole('button', { name: 'Add a row' }));
    const added = row(8);
    await user.selectOptions(
      within(added).getByRole('combobox', { name: 'Transform' }),
      'template',
    );
    const template = within(added).getByRole('textbox', { name: 'Template' });
    expect(template).toHaveValue('');
    expect(template).not.toHaveAttribute('aria-invalid');

    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));
    expect(template).toHaveAccessibleDescription(
      'Enter the template, e.g. {name.givenName}.{name.familyName}.',
    );
    expect(requestsMade()).toEqual(['GET /usersync/v1/config']);
  });

  it('shows the plugin’s refusal of a template next to the template field', async () => {
    const user = userEvent.setup();
    const message =
      'Attribute map row 1: in the placeholder {name.nickName}: "name" has no sub-attribute "nickName".';
    await renderTab({
      'GET /usersync/v1/config': configFixture({
        attributeMap: [
          {
            source: '',
            target: 'user_login',
            direction: 'inbound',
            transform: 'template',
            default: null,
            template: '{userName}',
          },
        ],
      }),
      'PUT /usersync/v1/config': () => {
        throw wpError('usersync_invalid_attribute_map', message, 400, {
          'attributeMap[0][template]': message,
        });
      },
    });
    const template = within(row(1)).getByRole('textbox', { name: 'Template' });
    expect(template).toHaveValue('{userName}');
    expect(within(row(1)).getByRole('combobox', { name: 'Transform' })).toHaveValue('template');

    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));
    await waitFor(() => expect(template).toHaveAccessibleDescription(message));
    await user.type(template, 'x');
    expect(template).not.toHaveAttribute('aria-invalid');
  });
});
