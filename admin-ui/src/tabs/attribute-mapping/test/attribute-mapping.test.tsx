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
  deferred,
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

function saveAnswersWhatWasSent() {
  return (options: APIFetchOptions) => ({
    ...configFixture(),
    ...(options.data as Partial<SyncConfig>),
  });
}

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('Attribute mapping', () => {
  it('shows a spinner, then one row per mapping', async () => {
    const answer = deferred<unknown>();
    mockRoutes({ 'GET /usersync/v1/config': () => answer.promise });

    render(<AttributeMapping />);

    expect(screen.getByRole('status')).toHaveTextContent('Loading the attribute map…');
    answer.resolve(configFixture());
    expect(await screen.findByRole('group', { name: 'Row 1' })).toBeInTheDocument();
    expect(screen.getAllByRole('group', { name: /^Row \d+$/ })).toHaveLength(7);
    expect(within(row(1)).getByRole('combobox', { name: 'Source attribute' })).toHaveValue(
      'userName',
    );
    expect(within(row(1)).getByRole('combobox', { name: 'WordPress field' })).toHaveValue(
      'user_login',
    );
    expect(within(row(6)).getByRole('combobox', { name: 'WordPress field' })).toHaveValue('__meta');
    expect(within(row(6)).getByRole('textbox', { name: 'Meta key' })).toHaveValue('department');
    expect(within(row(7)).getByRole('combobox', { name: 'Direction' })).toHaveValue('inbound');
  });

  it('shows why the map could not be loaded and tries again', async () => {
    const user = userEvent.setup();
    let calls = 0;
    mockRoutes({
      'GET /usersync/v1/config': () => {
        calls++;
        if (calls === 1) {
          throw wpError('usersync_forbidden', 'Sorry, you are not allowed to do that.', 403);
        }
        return configFixture();
      },
    });

    render(<AttributeMapping />);

    expect(await screen.findByText(/not allowed to do that/)).toBeInTheDocument();
    expect(screen.getByText('The attribute map could not be loaded.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('group', { name: 'Row 1' })).toBeInTheDocument();
  });

  it('flags a duplicate target as it is chosen, and saves nothing until it is fixed', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': configFixture(),
      'PUT /usersync/v1/config': saveAnswersWhatWasSent(),
    });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    const target = within(row(4)).getByRole('combobox', { name: 'WordPress field' });
    await user.selectOptions(target, 'first_name');

    expect(target).toHaveAttribute('aria-invalid', 'true');
    expect(target).toHaveAccessibleDescription(
      'Row 3 already fills this field. Map each WordPress field once.',
    );

    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));
    expect(
      await screen.findByText('Nothing was saved: fix the problem marked above.'),
    ).toBeVisible();
    expect(requestsMade()).toEqual(['GET /usersync/v1/config']);
    await waitFor(() => expect(target).toHaveFocus());

    await user.selectOptions(target, 'last_name');
    expect(target).not.toHaveAttribute('aria-invalid');
    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(requestsMade()).toEqual(['GET /usersync/v1/config', 'PUT /usersync/v1/config']);
  });

  it('checks source attributes as they are typed', async () => {
    const user = userEvent.setup();
    mockRoutes({ 'GET /usersync/v1/config': configFixture() });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    const source = within(row(3)).getByRole('combobox', { name: 'Source attribute' });
    await user.clear(source);
    await user.type(source, 'name.givenNam');
    expect(source).toHaveAccessibleDescription('"name" has no sub-attribute "givenNam".');
    await user.type(source, 'e');
    expect(source).not.toHaveAttribute('aria-invalid');

    await user.clear(source);
    await user.type(source, 'emial');
    expect(source).toHaveAccessibleDescription('Unknown attribute "emial".');
    await user.clear(source);
    await user.paste('urn:example:custom:1.0:User:badge');
    expect(source).not.toHaveAttribute('aria-invalid');
  });

  it('requires a login mapping', async () => {
    const user = userEvent.setup();
    mockRoutes({ 'GET /usersync/v1/config': configFixture() });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    await user.click(within(row(1)).getByRole('button', { name: 'Remove row 1' }));

    expect(screen.getAllByRole('group', { name: /^Row \d+$/ })).toHaveLength(6);
    expect(screen.getByText(/every WordPress user needs a login/)).toBeInTheDocument();
    // The keyboard stays in the list: on the row that took the removed one's place.
    expect(within(row(1)).getByRole('combobox', { name: 'Source attribute' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));
    expect(requestsMade()).toEqual(['GET /usersync/v1/config']);
  });

  it('adds a meta row whose empty fields turn red only after a save is tried', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': configFixture(),
      'PUT /usersync/v1/config': saveAnswersWhatWasSent(),
    });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    await user.click(screen.getByRole('button', { name: 'Add a row' }));
    const added = row(8);
    const source = within(added).getByRole('combobox', { name: 'Source attribute' });
    expect(source).toHaveFocus();
    expect(source).not.toHaveAttribute('aria-invalid');

    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));
    expect(source).toHaveAccessibleDescription('Enter the source attribute.');
    expect(within(added).getByRole('textbox', { name: 'Meta key' })).toHaveAccessibleDescription(
      'Enter the meta key.',
    );
    expect(screen.getByText('Nothing was saved: fix the 2 problems marked above.')).toBeVisible();

    await user.type(source, 'title');
    await user.type(within(added).getByRole('textbox', { name: 'Meta key' }), 'job_title');
    await user.selectOptions(within(added).getByRole('combobox', { name: 'Transform' }), 'trim');
    await user.type(within(added).getByRole('textbox', { name: 'Default value' }), 'Staff');
    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    const sent = lastBody('PUT /usersync/v1/config') as Pick<SyncConfig, 'attributeMap'>;
    expect(Object.keys(sent)).toEqual(['attributeMap']);
    expect(sent.attributeMap[7]).toEqual({
      source: 'title',
      target: 'meta:job_title',
      direction: 'inbound',
      transform: 'trim',
      default: 'Staff',
    });
  });

  it('shows the plugin’s refusal next to the field it names', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': configFixture(),
      'PUT /usersync/v1/config': () => {
        throw wpError(
          'usersync_invalid_attribute_map',
          'Attribute map row 6: the meta key "department" cannot be written by a sync.',
          400,
          {
            'attributeMap[5][target]':
              'Attribute map row 6: the meta key "department" cannot be written by a sync.',
          },
        );
      },
    });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));

    const key = within(row(6)).getByRole('textbox', { name: 'Meta key' });
    await waitFor(() =>
      expect(key).toHaveAccessibleDescription(
        'Attribute map row 6: the meta key "department" cannot be written by a sync.',
      ),
    );
    expect(screen.queryByText('Settings saved.')).not.toBeInTheDocument();
    await user.type(key, 's');
    expect(key).not.toHaveAttribute('aria-invalid');
  });

  it('shows a schema refusal of WordPress next to its field', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': configFixture(),
      'PUT /usersync/v1/config': () => {
        throw wpError('rest_invalid_param', 'Invalid parameter(s): attributeMap', 400, {
          attributeMap:
            'attributeMap[2][transform] is not one of none, lowercase, uppercase and trim.',
        });
      },
    });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));

    await waitFor(() =>
      expect(
        within(row(3)).getByRole('combobox', { name: 'Transform' }),
      ).toHaveAccessibleDescription(
        'attributeMap[2][transform] is not one of none, lowercase, uppercase and trim.',
      ),
    );
  });

  it('shows a failure that names no field above the button', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': configFixture(),
      'PUT /usersync/v1/config': () => {
        throw { code: 'fetch_error', message: 'You are probably offline.' };
      },
    });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));

    expect(await screen.findByText('You are probably offline.')).toBeInTheDocument();
    expect(screen.getByText('The settings could not be saved.')).toBeInTheDocument();
  });

  it('previews what the sample user becomes, following unsaved edits', async () => {
    const user = userEvent.setup();
    mockRoutes({ 'GET /usersync/v1/config': configFixture() });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    const value = (target: string) =>
      within(screen.getByRole('table', { name: 'What WordPress would store' })).getByRole(
        'rowheader',
        { name: target },
      ).nextElementSibling?.textContent;
    expect(value('user_login')).toBe('AdeleV@contoso.com');
    expect(value('user_email')).toBe('AdeleV@contoso.com');
    expect(value('first_name')).toBe('Adele');
    expect(value('meta:department')).toBe('Retail');
    expect(value('avatar')).toBe('(nothing)');

    await user.selectOptions(
      within(row(1)).getByRole('combobox', { name: 'Transform' }),
      'lowercase',
    );
    expect(value('user_login')).toBe('adelev@contoso.com');

    const sample = screen.getByRole('textbox', { name: 'Sample source user' });
    await user.clear(sample);
    await user.paste('{"userName": "Zoë O\'Brien"}');
    expect(value('user_login')).toBe('zoe obrien — made a valid WordPress login');
    expect(value('first_name')).toBe('(nothing)');

    await user.type(sample, 'x');
    expect(sample).toHaveAccessibleDescription(/This is not valid JSON/);
    expect(
      screen.queryByRole('table', { name: 'What WordPress would store' }),
    ).not.toBeInTheDocument();
  });

  it('maps a BuddyPress profile field, and shows why WordPress refuses it', async () => {
    const user = userEvent.setup();
    const message =
      'Attribute map row 8: "xprofile:Department" is a BuddyPress profile field. BuddyPress is not active.';
    mockRoutes({
      'GET /usersync/v1/config': configFixture(),
      'PUT /usersync/v1/config': () => {
        throw wpError('usersync_xprofile_unavailable', message, 400, {
          'attributeMap[7][target]': message,
        });
      },
    });
    render(<AttributeMapping />);
    await screen.findByRole('group', { name: 'Row 1' });

    await user.click(screen.getByRole('button', { name: 'Add a row' }));
    const added = row(8);
    await user.click(within(added).getByRole('combobox', { name: 'Source attribute' }));
    await user.paste('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department');
    await user.selectOptions(
      within(added).getByRole('combobox', { name: 'WordPress field' }),
      '__xprofile',
    );
    const name = within(added).getByRole('textbox', { name: 'Profile field name' });
    expect(name).toHaveAccessibleDescription('Enter the profile field’s name.');
    await user.type(name, 'Department');
    expect(name).not.toHaveAttribute('aria-invalid');
    await user.click(screen.getByRole('button', { name: 'Save attribute mapping' }));

    await waitFor(() => expect(name).toHaveAccessibleDescription(message));
    const sent = lastBody('PUT /usersync/v1/config') as Pick<SyncConfig, 'attributeMap'>;
    expect(sent.attributeMap[7].target).toBe('xprofile:Department');
  });
});
