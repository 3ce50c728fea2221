/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import RoleMapping from '..';
import type { RoleMap, SyncConfig } from '../../../api';
import {
  configFixture,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  rolesFixture,
  wpError,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const rule = (number: number) => screen.getByRole('group', { name: `Rule ${number}` });

function routes(
  roleMap: Partial<RoleMap> = {},
  save?: (options: APIFetchOptions) => unknown,
  impact: unknown = { count: 0, users: [] },
) {
  const config = configFixture({
    roleMap: { ...configFixture().roleMap, ...roleMap },
  });
  mockRoutes({
    'GET /usersync/v1/config': config,
    'GET /usersync/v1/roles': rolesFixture(),
    ...connectionRoutes,
    'POST /usersync/v1/config/role-impact': impact,
    'PUT /usersync/v1/config':
      save ??
      ((options: APIFetchOptions) => ({ ...config, ...(options.data as Partial<SyncConfig>) })),
  });
}

// The connections a rule can name: a SCIM token's and a directory's.
const connectionRoutes = {
  'GET /usersync/v1/tokens': [
    {
      id: 'tok_1',
      name: 'Entra production',
      connection: 'entra-production',
      prefix: 'us_ab12',
      createdAt: '2026-11-01T10:00:00Z',
      lastUsedAt: null,
    },
  ],
  'GET /usersync/v1/connections': [{ slug: 'okta-directory', name: 'Okta directory' }],
};

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('Role mapping', () => {
  it('explains that there are no rules yet and adds one', async () => {
    const user = userEvent.setup();
    routes();
    render(<RoleMapping />);

    expect(screen.getByRole('status')).toHaveTextContent('Loading the role map…');
    expect(await screen.findByText(/No rules: synced users keep the roles/)).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Default role' })).toHaveValue('subscriber');

    await user.click(screen.getByRole('button', { name: 'Add a rule' }));
    const group = within(rule(1)).getByRole('textbox', { name: 'Group' });
    expect(group).toHaveFocus();
    await user.type(group, 'Editors');
    await user.selectOptions(within(rule(1)).getByRole('combobox', { name: 'Role' }), 'editor');
    await user.selectOptions(
      within(rule(1)).getByRole('combobox', { name: 'Connection' }),
      'entra-production',
    );
    await user.click(screen.getByRole('button', { name: 'Save role mapping' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(lastBody('PUT /usersync/v1/config')).toEqual({
      roleMap: {
        rules: [
          { group: 'Editors', role: 'editor', priority: 10, connections: ['entra-production'] },
        ],
        defaultRole: 'subscriber',
        allowAdministrator: false,
      },
    });
  });

  it('shows a stored role that no longer exists, and saves nothing until it is replaced', async () => {
    const user = userEvent.setup();
    routes({ rules: [{ group: 'Wizards', role: 'wizard', priority: 10 }] });
    render(<RoleMapping />);

    const role = await within(await screen.findByRole('group', { name: 'Rule 1' })).findByRole(
      'combobox',
      { name: 'Role' },
    );
    expect(role).toHaveDisplayValue('wizard (does not exist)');
    expect(role).toHaveAccessibleDescription('The role "wizard" does not exist on this site.');

    await user.click(screen.getByRole('button', { name: 'Save role mapping' }));
    expect(screen.getByText('Nothing was saved: fix the problem marked above.')).toBeVisible();
    expect(requestsMade()).not.toContain('PUT /usersync/v1/config');

    await user.selectOptions(role, 'author');
    expect(role).not.toHaveAttribute('aria-invalid');
  });

  it('refuses administrator until the switch is turned on, which asks first', async () => {
    const user = userEvent.setup();
    routes({ rules: [{ group: 'IT', role: 'editor', priority: 10 }] });
    render(<RoleMapping />);
    const role = within(await screen.findByRole('group', { name: 'Rule 1' })).getByRole(
      'combobox',
      { name: 'Role' },
    );

    await user.selectOptions(role, 'administrator');
    expect(role).toHaveAccessibleDescription(/Turn on “Allow the administrator role”/);

    const allow = screen.getByRole('checkbox', { name: 'Allow the administrator role' });
    expect(allow).not.toBeChecked();
    await user.click(allow);
    let dialog = screen.getByRole('dialog', { name: 'Allow groups to grant administrator?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(allow).not.toBeChecked();
    expect(role).toHaveAttribute('aria-invalid', 'true');

    await user.click(allow);
    dialog = screen.getByRole('dialog', { name: 'Allow groups to grant administrator?' });
    await user.click(within(dialog).getByRole('button', { name: 'Allow administrator' }));
    expect(allow).toBeChecked();
    expect(screen.getByText(/Groups may grant administrator/)).toBeInTheDocument();
    expect(role).not.toHaveAttribute('aria-invalid');

    await user.click(allow);
    expect(allow).not.toBeChecked();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('asks which connection a new rule reads; any connection is an explicit choice', async () => {
    const user = userEvent.setup();
    routes({ rules: [{ group: 'Legacy', role: 'author', priority: 10, connections: ['*'] }] });
    render(<RoleMapping />);

    const stored = within(await screen.findByRole('group', { name: 'Rule 1' })).getByRole(
      'combobox',
      { name: 'Connection' },
    );
    expect(stored).toHaveDisplayValue('Any connection');

    await user.click(screen.getByRole('button', { name: 'Add a rule' }));
    const connection = within(rule(2)).getByRole('combobox', { name: 'Connection' });
    expect(connection).toHaveDisplayValue('— Choose a connection —');
    expect(
      within(connection)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([
      '— Choose a connection —',
      'Any connection',
      'Entra production (entra-production)',
      'Okta directory (okta-directory)',
    ]);
    await user.type(within(rule(2)).getByRole('textbox', { name: 'Group' }), 'Staff');
    await user.selectOptions(within(rule(2)).getByRole('combobox', { name: 'Role' }), 'author');
    await user.click(screen.getByRole('button', { name: 'Save role mapping' }));
    expect(connection).toHaveAccessibleDescription(
      'Choose the connection whose groups this rule reads.',
    );
    expect(requestsMade()).not.toContain('PUT /usersync/v1/config');
    await user.selectOptions(connection, 'okta-directory');
    expect(connection).not.toHaveAttribute('aria-invalid');
    await user.click(screen.getByRole('button', { name: 'Save role mapping' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect((lastBody('PUT /usersync/v1/config') as { roleMap: RoleMap }).roleMap.rules).toEqual([
      { group: 'Legacy', role: 'author', priority: 10, connections: ['*'] },
      { group: 'Staff', role: 'author', priority: 0, connections: ['okta-directory'] },
    ]);
  });

  it('says whose roles a save changes, and saves only when the admin agrees', async () => {
    const user = userEvent.setup();
    routes(
      { rules: [{ group: 'Editors-Staff', role: 'author', priority: 10, connections: ['*'] }] },
      (options: APIFetchOptions) => ({
        ...configFixture(),
        ...(options.data as Partial<SyncConfig>),
        rolesUpdated: 2,
      }),
      {
        count: 2,
        users: [
          {
            id: 7,
            login: 'grace',
            connection: 'entra-production',
            from: ['subscriber'],
            to: ['editor'],
          },
          { id: 9, login: 'alan', connection: 'entra-production', from: [], to: ['editor'] },
        ],
      },
    );
    render(<RoleMapping />);
    const role = within(await screen.findByRole('group', { name: 'Rule 1' })).getByRole(
      'combobox',
      { name: 'Role' },
    );
    await user.selectOptions(role, 'editor');
    await user.click(screen.getByRole('button', { name: 'Save role mapping' }));

    let dialog = await screen.findByRole('dialog', { name: 'Change the roles of 2 users?' });
    expect(within(dialog).getByText('grace: subscriber → editor')).toBeInTheDocument();
    expect(within(dialog).getByText('alan: no role → editor')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(requestsMade()).not.toContain('PUT /usersync/v1/config');

    await user.click(screen.getByRole('button', { name: 'Save role mapping' }));
    dialog = await screen.findByRole('dialog', { name: 'Change the roles of 2 users?' });
    await user.click(within(dialog).getByRole('button', { name: 'Save and update their roles' }));
    expect(
      await screen.findByText('The roles of 2 users already in the mapped groups were updated.'),
    ).toBeInTheDocument();
    expect(lastBody('POST /usersync/v1/config/role-impact')).toEqual({
      roleMap: (lastBody('PUT /usersync/v1/config') as { roleMap: RoleMap }).roleMap,
    });
  });

  it('refuses any privileged role, not only administrator, until administrators are allowed', async () => {
    const user = userEvent.setup();
    routes({ rules: [{ group: 'Shop', role: 'editor', priority: 10 }] });
    render(<RoleMapping />);
    const role = within(await screen.findByRole('group', { name: 'Rule 1' })).getByRole(
      'combobox',
      { name: 'Role' },
    );

    await user.selectOptions(role, 'shop_manager');
    expect(role).toHaveAccessibleDescription(/can manage users, plugins or settings/);
    await user.click(screen.getByRole('button', { name: 'Save role mapping' }));
    expect(requestsMade()).not.toContain('PUT /usersync/v1/config');
  });

  it('checks group names, priorities and repeated rules', async () => {
    const user = userEvent.setup();
    routes({
      rules: [
        { group: 'Sales', role: 'author', priority: 10 },
        { group: 'sales', role: 'author', priority: 5 },
      ],
    });
    render(<RoleMapping />);
    await screen.findByRole('group', { name: 'Rule 2' });

    expect(within(rule(2)).getByRole('textbox', { name: 'Group' })).toHaveAccessibleDescription(
      'Rule 1 already gives this group this role.',
    );
    const priority = within(rule(1)).getByRole('spinbutton', { name: 'Priority' });
    await user.clear(priority);
    expect(priority).toHaveAccessibleDescription('Enter a whole number.');
    await user.type(priority, '2.5');
    expect(priority).toHaveAccessibleDescription('Enter a whole number.');
    await user.clear(priority);
    await user.type(priority, '30');
    expect(priority).not.toHaveAttribute('aria-invalid');

    await user.click(within(rule(2)).getByRole('button', { name: 'Remove rule 2' }));
    expect(screen.queryByRole('group', { name: 'Rule 2' })).not.toBeInTheDocument();
    expect(within(rule(1)).getByRole('textbox', { name: 'Group' })).toHaveFocus();
  });

  it('shows the plugin’s refusal next to the default role', async () => {
    const user = userEvent.setup();
    routes({}, () => {
      throw wpError('usersync_invalid_role_map', 'The role "subscriber" does not exist.', 400, {
        'roleMap[defaultRole]': 'The role "subscriber" does not exist.',
      });
    });
    render(<RoleMapping />);
    await screen.findByRole('combobox', { name: 'Default role' });

    await user.click(screen.getByRole('button', { name: 'Save role mapping' }));

    await waitFor(() =>
      expect(screen.getByRole('combobox', { name: 'Default role' })).toHaveAccessibleDescription(
        'The role "subscriber" does not exist.',
      ),
    );
  });

  it('shows why the roles could not be loaded', async () => {
    mockRoutes({
      'GET /usersync/v1/config': configFixture(),
      ...connectionRoutes,
      'GET /usersync/v1/roles': () => {
        throw wpError('usersync_forbidden', 'Sorry, you are not allowed to do that.', 403);
      },
    });
    render(<RoleMapping />);

    expect(await screen.findByText('The role map could not be loaded.')).toBeInTheDocument();
  });
});
