/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import SalesforceConnections from '..';
import type {
  SalesforceConnection,
  SalesforceConnectionInput,
  SalesforceFieldInfo,
} from '../../../api';
import {
  connectionFixture,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  runFixture,
  wpError,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const LIST = 'GET /usersync/v1/connections';
const RUNS = 'GET /usersync/v1/runs?limit=50';

function salesforceFixture(overrides: Partial<SalesforceConnection> = {}): SalesforceConnection {
  return {
    slug: 'acme',
    name: 'Acme',
    type: 'salesforce',
    enabled: true,
    schedule: '*/15 * * * *',
    photos: false,
    loginUrl: 'https://acme.my.salesforce.com',
    flow: 'client_credentials',
    clientId: '3MVG9acme',
    username: '',
    apiVersion: '62.0',
    callOptionsClient: 'usersync',
    apiBudgetShare: 0.8,
    push: true,
    realtime: 'none',
    objectMaps: [
      {
        id: 'contacts',
        wpObject: 'user',
        sfObject: 'Contact',
        recordTypeId: null,
        filter: '',
        operations: { create: ['push', 'pull'], update: ['push', 'pull'], delete: [] },
        match: [{ kind: 'idLookup', sf: 'Email', wp: 'user_email', caseInsensitive: true }],
        deletePolicy: { pull: 'disable', push: 'ignore' },
        conflict: 'last-writer-wins',
        fields: [
          {
            wp: 'user_email',
            sf: 'Email',
            direction: 'both',
            transform: 'none',
            default: null,
            template: null,
            valueMap: null,
            nulls: 'propagate',
          },
        ],
      },
    ],
    batchSize: 100,
    batchConcurrency: 2,
    clientSecret: { set: true },
    privateKey: { set: false },
    refreshToken: { set: false },
    createdAt: '2025-01-10T08:00:00Z',
    modifiedAt: '2025-01-10T08:00:00Z',
    ...overrides,
  };
}

function describedField(overrides: Partial<SalesforceFieldInfo>): SalesforceFieldInfo {
  return {
    name: 'Email',
    label: 'Email',
    type: 'email',
    length: 80,
    createable: true,
    updateable: true,
    nillable: true,
    defaultedOnCreate: false,
    externalId: false,
    idLookup: true,
    requiredOnCreate: false,
    picklistValues: [],
    ...overrides,
  };
}

/** What the org answers for the connection `acme`: Contact and Lead; Contact needs LastName. */
const ORG_ROUTES = {
  'GET /usersync/v1/connections/acme/salesforce/objects': {
    objects: [
      { name: 'Contact', label: 'Contact', queryable: true, createable: true, updateable: true },
      { name: 'Lead', label: 'Lead', queryable: true, createable: true, updateable: true },
    ],
  },
  'GET /usersync/v1/connections/acme/salesforce/objects/Contact': {
    name: 'Contact',
    label: 'Contact',
    recordTypes: [
      { id: '012000000000001AAA', name: 'Customer', default: true },
      { id: '012000000000002AAA', name: 'Partner', default: false },
    ],
    fields: [
      describedField({ name: 'Email', label: 'Email' }),
      describedField({ name: 'FirstName', label: 'First Name', idLookup: false }),
      describedField({
        name: 'LastName',
        label: 'Last Name',
        nillable: false,
        requiredOnCreate: true,
        idLookup: false,
      }),
    ],
  },
};

beforeEach(() => {
  mockedApiFetch.mockReset();
});

async function openNewForm(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole('button', { name: 'Add a Salesforce connection' }));
  return screen.getByRole('region', { name: 'New Salesforce connection' });
}

describe('SalesforceConnections', () => {
  it('lists only Salesforce connections, with their login URL, flow, object, push and last run', async () => {
    mockRoutes({
      [LIST]: [connectionFixture(), salesforceFixture()],
      [RUNS]: {
        runs: [runFixture({ source: 'acme', state: 'failed', error: 'INVALID_SESSION_ID' })],
      },
    });
    render(<SalesforceConnections />);

    const section = await screen.findByRole('region', { name: 'Acme' });
    expect(section).toHaveTextContent('https://acme.my.salesforce.com');
    expect(section).toHaveTextContent('Client credentials');
    expect(section).toHaveTextContent('Contact (1 fields mapped)');
    expect(section).toHaveTextContent(/Push to Salesforce\s*On/);
    expect(await within(section).findByText(/Failed/)).toBeInTheDocument();
    expect(section).toHaveTextContent('INVALID_SESSION_ID');
    expect(screen.queryByRole('region', { name: 'Contoso' })).not.toBeInTheDocument();
  });

  it('adds a connection with only the chosen flow’s fields, and never shows the secret again', async () => {
    const user = userEvent.setup();
    mockRoutes({
      [LIST]: [],
      [RUNS]: { runs: [] },
      'POST /usersync/v1/connections': (options: APIFetchOptions) => {
        const input = options.data as SalesforceConnectionInput;
        return salesforceFixture({ name: input.name, loginUrl: input.loginUrl });
      },
    });
    render(<SalesforceConnections />);
    expect(await screen.findByText(/No Salesforce org connected yet/)).toBeInTheDocument();
    const form = await openNewForm(user);

    // Nothing typed: every required field is named, and nothing is sent.
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));
    expect(within(form).getByRole('textbox', { name: 'Name' })).toHaveAccessibleDescription(
      'Enter a name for the connection.',
    );
    expect(within(form).getByLabelText('Consumer secret')).toHaveAttribute('aria-invalid', 'true');
    expect(requestsMade()).not.toContain('POST /usersync/v1/connections');

    // Client credentials on login.salesforce.com cannot work: said before saving.
    await user.type(within(form).getByRole('textbox', { name: 'Name' }), 'Acme');
    const loginUrl = within(form).getByRole('textbox', { name: 'Login or My Domain URL' });
    await user.type(loginUrl, 'https://login.salesforce.com');
    await user.type(within(form).getByRole('textbox', { name: 'Consumer key' }), '3MVG9acme');
    await user.type(within(form).getByLabelText('Consumer secret'), 'cs-value');
    expect(within(form).queryByLabelText('Private key (PEM)')).not.toBeInTheDocument();
    expect(within(form).queryByRole('textbox', { name: 'Username' })).not.toBeInTheDocument();
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));
    expect(loginUrl).toHaveAccessibleDescription(/only on your org’s My Domain URL/);

    await user.clear(loginUrl);
    await user.type(loginUrl, 'https://acme.my.salesforce.com');
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));

    expect(await screen.findByText(/Connection “Acme” added/)).toBeInTheDocument();
    const body = lastBody('POST /usersync/v1/connections') as SalesforceConnectionInput;
    expect(body).toMatchObject({
      type: 'salesforce',
      name: 'Acme',
      loginUrl: 'https://acme.my.salesforce.com',
      flow: 'client_credentials',
      clientId: '3MVG9acme',
      clientSecret: 'cs-value',
      apiVersion: '62.0',
      push: true,
      photos: false,
    });
    expect(body).not.toHaveProperty('privateKey');
    expect(body.objectMaps![0]).toMatchObject({
      id: 'contacts',
      sfObject: 'Contact',
      operations: { create: ['push', 'pull'], update: ['push', 'pull'], delete: [] },
      match: [{ kind: 'idLookup', sf: 'Email', wp: 'user_email' }],
    });
    expect(body.objectMaps![0]!.fields.map((row) => [row.wp, row.sf])).toEqual([
      ['user_email', 'Email'],
      ['first_name', 'FirstName'],
      ['last_name', 'LastName'],
    ]);
    expect(document.body.innerHTML).not.toContain('cs-value');
  });

  it('switching to JWT bearer asks for the username and private key instead of the secret', async () => {
    const user = userEvent.setup();
    mockRoutes({
      [LIST]: [],
      [RUNS]: { runs: [] },
      'POST /usersync/v1/connections': () => salesforceFixture({ flow: 'jwt' }),
    });
    render(<SalesforceConnections />);
    const form = await openNewForm(user);
    await user.type(within(form).getByRole('textbox', { name: 'Name' }), 'Acme');
    await user.type(
      within(form).getByRole('textbox', { name: 'Login or My Domain URL' }),
      'https://login.salesforce.com',
    );
    await user.type(within(form).getByRole('textbox', { name: 'Consumer key' }), '3MVG9acme');
    await user.selectOptions(within(form).getByRole('combobox', { name: 'Sign-in flow' }), 'jwt');

    expect(within(form).queryByLabelText('Consumer secret')).not.toBeInTheDocument();
    const key = within(form).getByLabelText('Private key (PEM)');
    expect(key).toHaveAttribute('type', 'password');
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));
    expect(within(form).getByRole('textbox', { name: 'Username' })).toHaveAccessibleDescription(
      /integration@acme.com/,
    );
    expect(key).toHaveAttribute('aria-invalid', 'true');

    await user.type(within(form).getByRole('textbox', { name: 'Username' }), 'int@acme.com');
    // A password input drops the key's line breaks; they are put back before sending.
    const body64 = 'A'.repeat(100);
    await user.click(key);
    await user.paste(`-----BEGIN PRIVATE KEY-----${body64}-----END PRIVATE KEY-----`);
    await user.click(within(form).getByRole('button', { name: 'Add connection' }));
    await screen.findByText(/Connection “Acme” added/);
    const body = lastBody('POST /usersync/v1/connections') as SalesforceConnectionInput;
    expect(body).toMatchObject({ flow: 'jwt', username: 'int@acme.com' });
    expect(body.privateKey).toBe(
      `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n${'A'.repeat(36)}\n-----END PRIVATE KEY-----\n`,
    );
    expect(body).not.toHaveProperty('clientSecret');
  });

  it('edits a connection keeping its stored secret, and edits the field map rows', async () => {
    const user = userEvent.setup();
    mockRoutes({
      [LIST]: [salesforceFixture()],
      [RUNS]: { runs: [] },
      ...ORG_ROUTES,
      'PUT /usersync/v1/connections/acme': (options: APIFetchOptions) =>
        salesforceFixture(options.data as Partial<SalesforceConnection>),
    });
    render(<SalesforceConnections />);
    await user.click(await screen.findByRole('button', { name: 'Edit connection “Acme”' }));
    const section = screen.getByRole('region', { name: 'Acme' });

    expect(within(section).getByText(/Stored. It is kept encrypted/)).toBeInTheDocument();
    expect(within(section).queryByLabelText('Consumer secret')).not.toBeInTheDocument();

    // Once described, Salesforce fields are picked from the org's; LastName is required.
    const sfField = await within(section).findByRole('combobox', {
      name: 'Salesforce field, row 1',
    });
    expect(
      within(sfField).getByRole('option', { name: 'Last Name (LastName) *' }),
    ).toBeInTheDocument();
    expect(
      within(section).getByText(/Salesforce needs these fields to create a record/),
    ).toBeInTheDocument();
    await user.click(within(section).getByRole('button', { name: 'Map Last Name' }));
    await user.type(
      within(section).getByRole('combobox', { name: 'WordPress field, row 2' }),
      'last_name',
    );
    expect(within(section).queryByText(/Salesforce needs these fields/)).not.toBeInTheDocument();

    // A third row, set up and then removed again; a picklist row stays.
    await user.click(within(section).getByRole('button', { name: 'Add a field' }));
    await user.type(
      within(section).getByRole('combobox', { name: 'WordPress field, row 3' }),
      'meta:phone',
    );
    await user.click(within(section).getByRole('button', { name: 'Remove field, row 3' }));
    expect(within(section).queryByRole('combobox', { name: 'WordPress field, row 3' })).toBeNull();
    await user.click(within(section).getByRole('button', { name: 'Add a field' }));
    await user.type(
      within(section).getByRole('combobox', { name: 'WordPress field, row 3' }),
      'meta:level',
    );
    await user.selectOptions(
      within(section).getByRole('combobox', { name: 'Salesforce field, row 3' }),
      'FirstName',
    );
    await user.selectOptions(
      within(section).getByRole('combobox', { name: 'Direction, row 3' }),
      'inbound',
    );
    await user.selectOptions(
      within(section).getByRole('combobox', { name: 'Transform, row 3' }),
      'picklist-map',
    );
    await user.type(
      within(section).getByRole('textbox', { name: 'Picklist values, row 3' }),
      'gold=Gold, silver=Silver',
    );
    await user.selectOptions(
      within(section).getByRole('combobox', { name: 'When cleared, row 3' }),
      'ignore',
    );
    await user.selectOptions(
      within(section).getByRole('combobox', { name: 'Record type' }),
      'Partner',
    );
    await user.click(within(section).getByRole('button', { name: 'Save connection' }));

    await screen.findByText('Connection “Acme” saved.');
    const body = lastBody('PUT /usersync/v1/connections/acme') as SalesforceConnectionInput;
    expect(body).not.toHaveProperty('clientSecret');
    expect(body.objectMaps![0]!.recordTypeId).toBe('012000000000002AAA');
    expect(body.objectMaps![0]!.fields).toEqual([
      expect.objectContaining({ wp: 'user_email', sf: 'Email', direction: 'both' }),
      expect.objectContaining({ wp: 'last_name', sf: 'LastName', direction: 'outbound' }),
      {
        wp: 'meta:level',
        sf: 'FirstName',
        direction: 'inbound',
        transform: 'picklist-map',
        default: null,
        template: null,
        valueMap: { gold: 'Gold', silver: 'Silver' },
        nulls: 'ignore',
      },
    ]);
    // The stored match key keeps what the form does not show.
    expect(body.objectMaps![0]!.match).toEqual([
      { kind: 'idLookup', sf: 'Email', wp: 'user_email', caseInsensitive: true },
    ]);
  });

  it('refuses to save while a required Salesforce field is not mapped, and says which', async () => {
    const user = userEvent.setup();
    mockRoutes({ [LIST]: [salesforceFixture()], [RUNS]: { runs: [] }, ...ORG_ROUTES });
    render(<SalesforceConnections />);
    await user.click(await screen.findByRole('button', { name: 'Edit connection “Acme”' }));
    const section = screen.getByRole('region', { name: 'Acme' });
    await within(section).findByRole('combobox', { name: 'Salesforce field, row 1' });

    await user.click(within(section).getByRole('button', { name: 'Save connection' }));
    expect(
      await within(section).findByText(
        /Not saved: creating a record in Salesforce needs Last Name \(LastName\)/,
      ),
    ).toBeInTheDocument();
    expect(requestsMade()).not.toContain('PUT /usersync/v1/connections/acme');

    // Not creating records from WordPress: nothing is required.
    mockRoutes({
      [LIST]: [salesforceFixture()],
      [RUNS]: { runs: [] },
      ...ORG_ROUTES,
      'PUT /usersync/v1/connections/acme': () => salesforceFixture(),
    });
    const create = within(section).getByRole('group', { name: 'Create records' });
    await user.click(
      within(create).getByRole('checkbox', { name: 'From WordPress to Salesforce' }),
    );
    await user.click(within(section).getByRole('button', { name: 'Save connection' }));
    await screen.findByText('Connection “Acme” saved.');
    expect(
      (lastBody('PUT /usersync/v1/connections/acme') as SalesforceConnectionInput).objectMaps![0]!
        .operations.create,
    ).toEqual(['pull']);
  });

  it('shows the plugin’s refusal next to the field row it names, and other refusals above the buttons', async () => {
    const user = userEvent.setup();
    let answer: unknown = wpError(
      'usersync_invalid_connection',
      'Field row 1: the meta key "wp_capabilities" cannot be written by a sync.',
      400,
      {
        'objectMaps[0][fields][0][wp]':
          'Field row 1: the meta key "wp_capabilities" cannot be written by a sync.',
      },
    );
    mockRoutes({
      [LIST]: [salesforceFixture()],
      [RUNS]: { runs: [] },
      'GET /usersync/v1/connections/acme/salesforce/objects': () => {
        throw wpError('usersync_sidecar_unreachable', 'The sidecar could not be reached.', 502);
      },
      'GET /usersync/v1/connections/acme/salesforce/objects/Contact': () => {
        throw wpError('usersync_sidecar_unreachable', 'The sidecar could not be reached.', 502);
      },
      'PUT /usersync/v1/connections/acme': () => {
        throw answer;
      },
    });
    render(<SalesforceConnections />);
    await user.click(await screen.findByRole('button', { name: 'Edit connection “Acme”' }));
    const section = screen.getByRole('region', { name: 'Acme' });

    // The org cannot be asked: standard objects offered, field names typed.
    expect(
      await within(section).findByText(/The org’s objects could not be read/),
    ).toBeInTheDocument();
    const sf = await within(section).findByRole('textbox', { name: 'Salesforce field, row 1' });
    expect(sf).toHaveValue('Email');

    await user.click(within(section).getByRole('button', { name: 'Save connection' }));
    await waitFor(() =>
      expect(
        within(section).getByRole('combobox', { name: 'WordPress field, row 1' }),
      ).toHaveAccessibleDescription(/wp_capabilities" cannot be written/),
    );

    answer = wpError('usersync_sidecar_unreachable', 'Something else went wrong.', 502);
    await user.click(within(section).getByRole('button', { name: 'Save connection' }));
    expect(await within(section).findByText('Something else went wrong.')).toBeInTheDocument();
    expect(within(section).getByText('The connection could not be saved.')).toBeInTheDocument();
  });

  it('refuses a WordPress field that would write roles before sending anything', async () => {
    const user = userEvent.setup();
    mockRoutes({ [LIST]: [salesforceFixture()], [RUNS]: { runs: [] }, ...ORG_ROUTES });
    render(<SalesforceConnections />);
    await user.click(await screen.findByRole('button', { name: 'Edit connection “Acme”' }));
    const section = screen.getByRole('region', { name: 'Acme' });
    const wp = within(section).getByRole('combobox', { name: 'WordPress field, row 1' });
    await user.clear(wp);
    await user.type(wp, 'meta:wp_capabilities');
    await user.click(within(section).getByRole('button', { name: 'Save connection' }));
    expect(wp).toHaveAccessibleDescription(/cannot be written by a sync/);
    expect(requestsMade()).not.toContain('PUT /usersync/v1/connections/acme');
  });

  it('tests, dry-runs and syncs a connection through the connections’ own routes, following the run on the card', async () => {
    const user = userEvent.setup();
    let reads = 0;
    mockRoutes({
      'GET /usersync/v1/runs/run-1': () =>
        ++reads < 2
          ? runFixture({ source: 'acme', state: 'running', processed: 2, total: 5 })
          : runFixture({
              source: 'acme',
              state: 'succeeded',
              processed: 5,
              total: 5,
              counts: { created: 4, updated: 0, unchanged: 1, disabled: 0, deleted: 0, failed: 0 },
              details: { failures: [], withheld: { create: 1, update: 0 } },
            }),
      [LIST]: [salesforceFixture()],
      [RUNS]: { runs: [] },
      'POST /usersync/v1/sources/acme/test': {
        ok: false,
        checks: [
          { name: 'Sign in', ok: true, message: 'Signed in.' },
          { name: 'Required fields of Contact', ok: false, message: 'LastName is not mapped.' },
        ],
        missingPermissions: [],
      },
      'POST /usersync/v1/sources/acme/runs': (options: APIFetchOptions) =>
        runFixture({
          source: 'acme',
          state: 'queued',
          dryRun: Boolean((options.data as { dryRun?: boolean }).dryRun),
        }),
    });
    render(<SalesforceConnections pollMs={5} />);
    await user.click(await screen.findByRole('button', { name: 'Test connection “Acme”' }));
    await waitFor(() =>
      expect(screen.getAllByRole('listitem')[1]).toHaveTextContent(
        'Required fields of Contact: failed. LastName is not mapped.',
      ),
    );

    await user.click(screen.getByRole('button', { name: 'Dry run: Acme' }));
    expect(
      await screen.findByRole('progressbar', { name: 'Progress of the run of acme' }),
    ).toBeInTheDocument();
    expect(lastBody('POST /usersync/v1/sources/acme/runs')).toEqual({ dryRun: true });
    await user.click(screen.getByRole('button', { name: 'Sync now: Acme' }));
    await waitFor(() => expect(lastBody('POST /usersync/v1/sources/acme/runs')).toEqual({}));
    expect(
      await screen.findByText(/4 created, 0 updated, 1 unchanged, 0 disabled, 0 deleted, 0 failed/),
    ).toBeInTheDocument();
    expect(screen.getByText(/1 not created \(pulls may not create users\)/)).toBeInTheDocument();
  });
});
