/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import GraphConnections from '..';
import type { ConnectionInput } from '../../../api';
import {
  connectionFixture,
  deferred,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  wpError,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('GraphConnections', () => {
  it('explains what is needed when there is no connection', async () => {
    mockRoutes({ 'GET /usersync/v1/connections': [] });
    render(<GraphConnections />);

    expect(screen.getByRole('status')).toHaveTextContent('Loading connections…');
    expect(await screen.findByText(/No directory connected yet/)).toBeInTheDocument();
    expect(screen.getByText(/User.Read.All and GroupMember.Read.All/)).toBeInTheDocument();
  });

  it('adds a connection, checking the form first and never showing the secret again', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/connections': [],
      'POST /usersync/v1/connections': (options: APIFetchOptions) => {
        const input = options.data as ConnectionInput;
        return connectionFixture({
          slug: 'contoso-entra',
          name: input.name,
          tenantId: input.tenantId,
          clientId: input.clientId,
        });
      },
    });
    render(<GraphConnections />);
    await user.click(
      await screen.findByRole('button', { name: 'Add a Microsoft Entra ID connection' }),
    );

    const form = screen.getByRole('region', { name: 'New connection' });
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));
    const name = within(form).getByRole('textbox', { name: 'Name' });
    expect(name).toHaveAccessibleDescription('Enter a name for the connection.');
    expect(within(form).getByRole('textbox', { name: 'Tenant ID' })).toHaveAttribute(
      'aria-invalid',
      'true',
    );
    expect(within(form).getByLabelText('Client secret')).toHaveAccessibleDescription(
      /secret’s value \(not its ID\)/,
    );
    await waitFor(() => expect(name).toHaveFocus());
    expect(requestsMade()).toEqual(['GET /usersync/v1/connections']);

    await user.type(name, 'Contoso Entra');
    await user.type(
      within(form).getByRole('textbox', { name: 'Tenant ID' }),
      'contoso.onmicrosoft.com',
    );
    await user.type(
      within(form).getByRole('textbox', { name: 'Client ID' }),
      '11111111-2222-3333-4444-555555555555',
    );
    await user.type(within(form).getByLabelText('Client secret'), 's3cr3t~value');
    // Every national cloud is offered, US Gov DoD included.
    expect(within(form).getByRole('option', { name: 'US Government DoD' })).toBeInTheDocument();
    await user.selectOptions(within(form).getByRole('combobox', { name: 'Cloud' }), 'usgov');
    await user.click(within(form).getByRole('checkbox', { name: 'Azure AD B2C tenant' }));
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));

    expect(await screen.findByText(/Connection “Contoso Entra” added/)).toBeInTheDocument();
    expect(lastBody('POST /usersync/v1/connections')).toEqual({
      type: 'microsoft-graph',
      name: 'Contoso Entra',
      tenantId: 'contoso.onmicrosoft.com',
      clientId: '11111111-2222-3333-4444-555555555555',
      clientSecret: 's3cr3t~value',
      cloud: 'usgov',
      b2c: true,
      photos: true,
      enabled: true,
      authorityUrl: null,
      graphUrl: null,
      pageSize: 500,
      concurrency: 4,
    });
    const section = screen.getByRole('region', { name: 'Contoso Entra' });
    expect(section).toHaveTextContent('Set');
    expect(document.body.innerHTML).not.toContain('s3cr3t~value');
  });

  it('refuses a client ID that is not a GUID and a tenant that is neither a GUID nor a domain', async () => {
    const user = userEvent.setup();
    mockRoutes({ 'GET /usersync/v1/connections': [] });
    render(<GraphConnections />);
    await user.click(
      await screen.findByRole('button', { name: 'Add a Microsoft Entra ID connection' }),
    );
    const form = screen.getByRole('region', { name: 'New connection' });
    const tenant = within(form).getByRole('textbox', { name: 'Tenant ID' });
    const client = within(form).getByRole('textbox', { name: 'Client ID' });
    await user.type(within(form).getByRole('textbox', { name: 'Name' }), 'Contoso');
    await user.type(tenant, 'not-a-guid');
    await user.type(client, '123');
    await user.type(within(form).getByLabelText('Client secret'), 'x');
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));

    expect(tenant).toHaveAccessibleDescription(/a GUID such as .* or a domain such as/);
    expect(client).toHaveAccessibleDescription(/application \(client\) ID .* a GUID such as/);
    expect(requestsMade()).toEqual(['GET /usersync/v1/connections']);
  });

  it('shows the plugin’s refusal next to the field it names', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/connections': [],
      'POST /usersync/v1/connections': () => {
        throw {
          code: 'usersync_invalid_connection',
          message: 'tenantId is required: the directory (tenant) id or domain.',
          data: { status: 400, field: 'tenantId' },
        };
      },
    });
    render(<GraphConnections />);
    await user.click(
      await screen.findByRole('button', { name: 'Add a Microsoft Entra ID connection' }),
    );
    const form = screen.getByRole('region', { name: 'New connection' });
    await user.type(within(form).getByRole('textbox', { name: 'Name' }), 'X');
    await user.type(within(form).getByRole('textbox', { name: 'Tenant ID' }), 'contoso.com');
    await user.type(
      within(form).getByRole('textbox', { name: 'Client ID' }),
      '11111111-2222-3333-4444-555555555555',
    );
    await user.type(within(form).getByLabelText('Client secret'), 'x');
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));

    await waitFor(() =>
      expect(within(form).getByRole('textbox', { name: 'Tenant ID' })).toHaveAccessibleDescription(
        'tenantId is required: the directory (tenant) id or domain.',
      ),
    );
  });

  it('edits a connection keeping its secret unless it is replaced', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/connections': [connectionFixture()],
      'PUT /usersync/v1/connections/contoso': (options: APIFetchOptions) =>
        connectionFixture(options.data as Partial<ReturnType<typeof connectionFixture>>),
    });
    render(<GraphConnections />);
    await user.click(await screen.findByRole('button', { name: 'Edit connection “Contoso”' }));

    const section = screen.getByRole('region', { name: 'Contoso' });
    expect(within(section).getByRole('textbox', { name: 'Connection slug' })).toHaveAttribute(
      'readonly',
    );
    expect(
      within(section).getByText(/Set. It is stored encrypted and never shown./),
    ).toBeInTheDocument();
    await user.click(within(section).getByRole('checkbox', { name: 'Profile photos' }));
    await user.click(within(section).getByRole('button', { name: 'Save connection' }));
    await screen.findByText('Connection “Contoso” saved.');
    expect(lastBody('PUT /usersync/v1/connections/contoso')).not.toHaveProperty('clientSecret');

    await user.click(screen.getByRole('button', { name: 'Edit connection “Contoso”' }));
    await user.click(screen.getByRole('button', { name: 'Replace the secret' }));
    await user.click(screen.getByRole('button', { name: 'Save connection' }));
    expect(screen.getByLabelText('New client secret')).toHaveAttribute('aria-invalid', 'true');
    await user.type(screen.getByLabelText('New client secret'), 'new-secret');
    await user.click(screen.getByRole('button', { name: 'Save connection' }));
    await screen.findByText('Connection “Contoso” saved.');
    expect(lastBody('PUT /usersync/v1/connections/contoso')).toMatchObject({
      clientSecret: 'new-secret',
    });
  });

  it('tests a connection and names the missing permission', async () => {
    const user = userEvent.setup();
    const answer = deferred<unknown>();
    mockRoutes({
      'GET /usersync/v1/connections': [connectionFixture()],
      'POST /usersync/v1/sources/contoso/test': () => answer.promise,
    });
    render(<GraphConnections />);

    await user.click(await screen.findByRole('button', { name: 'Test connection “Contoso”' }));
    expect(screen.getByText('Testing the connection…')).toBeInTheDocument();
    answer.resolve({
      ok: false,
      checks: [
        { name: 'Sign in', ok: true, message: 'Signed in as the app registration.' },
        {
          name: 'Read users (User.Read.All)',
          ok: false,
          message: 'Authorization_RequestDenied: Insufficient privileges.',
        },
      ],
      missingPermissions: ['User.Read.All'],
    });

    expect(
      await screen.findByText('Connection test failed: see the checks below.'),
    ).toBeInTheDocument();
    const checks = screen.getAllByRole('listitem');
    expect(checks[0]).toHaveTextContent('Sign in: passed. Signed in as the app registration.');
    expect(checks[1]).toHaveTextContent('Read users (User.Read.All): failed.');
    expect(screen.getByText('User.Read.All', { selector: 'code' })).toBeInTheDocument();
  });

  it('says why a test could not run', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/connections': [connectionFixture()],
      'POST /usersync/v1/sources/contoso/test': () => {
        throw wpError(
          'usersync_sidecar_unreachable',
          'The sidecar could not be reached: refused',
          502,
        );
      },
    });
    render(<GraphConnections />);
    await user.click(await screen.findByRole('button', { name: 'Test connection “Contoso”' }));

    expect(await screen.findByText(/The sidecar could not be reached/)).toBeInTheDocument();
    expect(screen.getByText('The test could not run.')).toBeInTheDocument();
  });

  it('deletes a connection after asking', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/connections': [connectionFixture()],
      'DELETE /usersync/v1/connections/contoso': { deleted: true, slug: 'contoso' },
    });
    render(<GraphConnections />);
    await user.click(await screen.findByRole('button', { name: 'Delete connection “Contoso”' }));

    const dialog = screen.getByRole('dialog', { name: 'Delete the connection “Contoso”?' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete connection' }));

    expect(await screen.findByText(/Connection “Contoso” deleted/)).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Contoso' })).not.toBeInTheDocument();
  });

  describe('advanced settings', () => {
    const stored = connectionFixture({
      authorityUrl: 'https://login.proxy.example',
      graphUrl: 'https://graph.proxy.example/graph',
      pageSize: 250,
      concurrency: 8,
    });

    /** Opens the form of the stored connection and its advanced section. */
    async function openAdvanced(user: ReturnType<typeof userEvent.setup>) {
      await user.click(await screen.findByRole('button', { name: 'Edit connection “Contoso”' }));
      const section = screen.getByRole('region', { name: 'Contoso' });
      const toggle = within(section).getByRole('button', { name: 'Advanced' });
      expect(toggle).toHaveAttribute('aria-expanded', 'false');
      expect(within(section).queryByRole('spinbutton')).not.toBeInTheDocument();
      await user.click(toggle);
      expect(toggle).toHaveAttribute('aria-expanded', 'true');
      return section;
    }

    it('are closed at first and show the stored values with what they are for', async () => {
      const user = userEvent.setup();
      mockRoutes({ 'GET /usersync/v1/connections': [stored] });
      render(<GraphConnections />);
      const section = await openAdvanced(user);

      const authority = within(section).getByRole('textbox', { name: 'Sign-in (authority) URL' });
      expect(authority).toHaveValue('https://login.proxy.example');
      expect(authority).toHaveAccessibleDescription(
        /sovereign cloud not listed, a proxy or testing/,
      );
      expect(within(section).getByRole('textbox', { name: 'Microsoft Graph URL' })).toHaveValue(
        'https://graph.proxy.example/graph',
      );
      const pageSize = within(section).getByRole('spinbutton', { name: 'Users per page' });
      expect(pageSize).toHaveValue(250);
      expect(pageSize).toHaveAccessibleDescription(
        /1 to 999 \(default 500\)\. For change tracking this is only a hint/,
      );
      const concurrency = within(section).getByRole('spinbutton', { name: 'Parallel requests' });
      expect(concurrency).toHaveValue(8);
      expect(concurrency).toHaveAccessibleDescription(/1 to 32\. Default 4/);
    });

    it('check values as they are typed and save nothing while one is wrong', async () => {
      const user = userEvent.setup();
      mockRoutes({ 'GET /usersync/v1/connections': [stored] });
      render(<GraphConnections />);
      const section = await openAdvanced(user);

      const pageSize = within(section).getByRole('spinbutton', { name: 'Users per page' });
      await user.clear(pageSize);
      await user.type(pageSize, '1000');
      expect(pageSize).toHaveAttribute('aria-invalid', 'true');
      expect(pageSize).toHaveAccessibleDescription('Enter a whole number from 1 to 999.');

      const concurrency = within(section).getByRole('spinbutton', { name: 'Parallel requests' });
      await user.clear(concurrency);
      await user.type(concurrency, '0');
      expect(concurrency).toHaveAccessibleDescription('Enter a whole number from 1 to 32.');

      const graphUrl = within(section).getByRole('textbox', { name: 'Microsoft Graph URL' });
      await user.clear(graphUrl);
      await user.type(graphUrl, 'graph.proxy.example');
      expect(graphUrl).toHaveAccessibleDescription(/^Enter an http\(s\) URL/);
      await user.clear(graphUrl);
      await user.type(graphUrl, 'ftp://graph.proxy.example');
      expect(graphUrl).toHaveAttribute('aria-invalid', 'true');
      // Empty means the cloud's own endpoint.
      await user.clear(graphUrl);
      expect(graphUrl).not.toHaveAttribute('aria-invalid');
      expect(graphUrl).toHaveAccessibleDescription(/Empty: the cloud’s own/);

      await user.click(within(section).getByRole('button', { name: 'Save connection' }));
      await waitFor(() => expect(pageSize).toHaveFocus());
      expect(requestsMade()).toEqual(['GET /usersync/v1/connections']);

      await user.clear(pageSize);
      await user.type(pageSize, '999');
      expect(pageSize).not.toHaveAttribute('aria-invalid');
      expect(pageSize).toHaveAccessibleDescription(/default 500/);
    });

    it('show the plugin’s refusal next to the field it names, opening the section', async () => {
      const user = userEvent.setup();
      mockRoutes({
        'GET /usersync/v1/connections': [stored],
        'PUT /usersync/v1/connections/contoso': () => {
          throw {
            code: 'usersync_invalid_connection',
            message: "graphUrl must be an http(s) URL, or empty for the cloud's own.",
            data: { status: 400, field: 'graphUrl' },
          };
        },
      });
      render(<GraphConnections />);
      await user.click(await screen.findByRole('button', { name: 'Edit connection “Contoso”' }));
      const section = screen.getByRole('region', { name: 'Contoso' });
      await user.click(within(section).getByRole('button', { name: 'Save connection' }));

      const graphUrl = await within(section).findByRole('textbox', { name: 'Microsoft Graph URL' });
      expect(within(section).getByRole('button', { name: 'Advanced' })).toHaveAttribute(
        'aria-expanded',
        'true',
      );
      expect(graphUrl).toHaveAttribute('aria-invalid', 'true');
      expect(graphUrl).toHaveAccessibleDescription(
        "graphUrl must be an http(s) URL, or empty for the cloud's own.",
      );
      await waitFor(() => expect(graphUrl).toHaveFocus());
      expect(screen.queryByText('The connection could not be saved.')).not.toBeInTheDocument();

      // Edited, the field is checked again as it is typed.
      await user.type(graphUrl, '/v2');
      expect(graphUrl).not.toHaveAttribute('aria-invalid');
    });

    it('show WordPress’s own range refusal next to the field', async () => {
      const user = userEvent.setup();
      mockRoutes({
        'GET /usersync/v1/connections': [stored],
        'PUT /usersync/v1/connections/contoso': () => {
          throw wpError('rest_invalid_param', 'Invalid parameter(s): concurrency', 400, {
            concurrency: 'concurrency must be between 1 (inclusive) and 32 (inclusive).',
          });
        },
      });
      render(<GraphConnections />);
      await user.click(await screen.findByRole('button', { name: 'Edit connection “Contoso”' }));
      await user.click(screen.getByRole('button', { name: 'Save connection' }));

      expect(
        await screen.findByRole('spinbutton', { name: 'Parallel requests' }),
      ).toHaveAccessibleDescription(
        'concurrency must be between 1 (inclusive) and 32 (inclusive).',
      );
    });

    it('are sent on save: URLs trimmed or null, numbers as numbers', async () => {
      const user = userEvent.setup();
      mockRoutes({
        'GET /usersync/v1/connections': [stored],
        'PUT /usersync/v1/connections/contoso': (options: APIFetchOptions) =>
          connectionFixture(options.data as Partial<ReturnType<typeof connectionFixture>>),
      });
      render(<GraphConnections />);
      const section = await openAdvanced(user);

      const authority = within(section).getByRole('textbox', { name: 'Sign-in (authority) URL' });
      await user.clear(authority);
      await user.type(authority, '  http://127.0.0.1:8080/authority  ');
      await user.clear(within(section).getByRole('textbox', { name: 'Microsoft Graph URL' }));
      const pageSize = within(section).getByRole('spinbutton', { name: 'Users per page' });
      await user.clear(pageSize);
      await user.type(pageSize, '999');
      const concurrency = within(section).getByRole('spinbutton', { name: 'Parallel requests' });
      await user.clear(concurrency);
      await user.type(concurrency, '32');
      await user.click(within(section).getByRole('button', { name: 'Save connection' }));

      await screen.findByText('Connection “Contoso” saved.');
      expect(lastBody('PUT /usersync/v1/connections/contoso')).toMatchObject({
        authorityUrl: 'http://127.0.0.1:8080/authority',
        graphUrl: null,
        pageSize: 999,
        concurrency: 32,
      });

      // The saved values are what the form shows next time.
      await user.click(screen.getByRole('button', { name: 'Edit connection “Contoso”' }));
      await user.click(screen.getByRole('button', { name: 'Advanced' }));
      expect(screen.getByRole('textbox', { name: 'Sign-in (authority) URL' })).toHaveValue(
        'http://127.0.0.1:8080/authority',
      );
      expect(screen.getByRole('textbox', { name: 'Microsoft Graph URL' })).toHaveValue('');
      expect(screen.getByRole('spinbutton', { name: 'Users per page' })).toHaveValue(999);
    });
  });
});
