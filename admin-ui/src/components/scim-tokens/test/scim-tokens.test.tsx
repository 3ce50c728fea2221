/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import ScimTokens from '..';
import {
  deferred,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  tokenFixture,
  wpError,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const SECRET = 'us_Qx3b8Zr1m0Yk2dVn5Lw9Tq7Hs4Pe6Ju1Ca0Fo3Gi8Xy';
const SCIM_URL = 'http://127.0.0.1:8787/scim/v2';

function created(overrides: Record<string, unknown> = {}) {
  return {
    ...tokenFixture({
      id: 'tok_2',
      name: 'Okta staging',
      connection: 'okta-staging',
      prefix: 'us_Qx3b',
      createdAt: '2025-02-01T12:00:00Z',
    }),
    token: SECRET,
    scimUrl: SCIM_URL,
    ...overrides,
  };
}

function tokenTable(): HTMLElement {
  return screen.getByRole('table', { name: 'Active SCIM tokens' });
}

function rowOf(name: string): HTMLElement {
  const header = within(tokenTable()).getByRole('rowheader', { name });
  return header.closest('tr') as HTMLElement;
}

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('ScimTokens', () => {
  it('explains what a token is for when there is none', async () => {
    mockRoutes({ 'GET /usersync/v1/tokens': [] });

    render(<ScimTokens scimUrl={SCIM_URL} />);

    expect(screen.getByText('Loading tokens…')).toBeInTheDocument();
    expect(await screen.findByText('No SCIM tokens yet.')).toBeInTheDocument();
    expect(
      screen.getByText(/lets an identity provider such as Microsoft Entra ID/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'SCIM base URL' })).toHaveValue(SCIM_URL);
  });

  it('lists tokens with connection, prefix, creation and last use', async () => {
    mockRoutes({
      'GET /usersync/v1/tokens': [
        tokenFixture(),
        tokenFixture({
          id: 'tok_9',
          name: 'Okta',
          connection: 'okta',
          prefix: 'us_zz99',
          lastUsedAt: '2025-03-02T08:15:00Z',
        }),
      ],
    });

    render(<ScimTokens scimUrl={SCIM_URL} />);

    await screen.findByRole('table', { name: 'Active SCIM tokens' });
    expect(within(tokenTable()).getAllByRole('row')).toHaveLength(3);
    expect(
      within(tokenTable())
        .getAllByRole('columnheader')
        .map((cell) => cell.textContent),
    ).toEqual(['Name', 'Connection', 'Token', 'Created', 'Last used', 'Actions']);

    const entra = rowOf('Entra production');
    expect(entra).toHaveTextContent('entra-production');
    expect(entra).toHaveTextContent('us_ab12…');
    expect(entra.querySelector('time')).toHaveAttribute('dateTime', '2025-01-15T09:30:00Z');
    expect(within(entra).getAllByRole('cell')[3]).toHaveTextContent('Never');

    const okta = rowOf('Okta');
    expect(okta).toHaveTextContent('us_zz99…');
    expect(okta.querySelectorAll('time')[1]).toHaveAttribute('dateTime', '2025-03-02T08:15:00Z');
    expect(within(okta).getAllByRole('cell')[3]).not.toHaveTextContent('Never');
  });

  it('creates a token and shows it once, with copy buttons for it and the SCIM URL', async () => {
    const user = userEvent.setup();
    let posted: APIFetchOptions | undefined;
    mockRoutes({
      'GET /usersync/v1/tokens': [tokenFixture()],
      'POST /usersync/v1/tokens': (options: APIFetchOptions) => {
        posted = options;
        return created();
      },
    });

    render(<ScimTokens scimUrl={null} />);
    await screen.findByRole('table', { name: 'Active SCIM tokens' });

    await user.type(screen.getByRole('textbox', { name: 'Token name' }), '  Okta staging ');
    await user.type(screen.getByRole('textbox', { name: 'Connection (optional)' }), 'okta-staging');
    await user.click(screen.getByRole('button', { name: 'Create token' }));

    const shown = await screen.findByRole('region', { name: 'Token “Okta staging” created' });
    expect(posted?.data).toEqual({ name: 'Okta staging', connection: 'okta-staging' });
    expect(
      within(shown).getByRole('heading', { name: 'Token “Okta staging” created' }),
    ).toHaveFocus();
    expect(within(shown).getByText(/it will not be shown again/)).toBeInTheDocument();
    expect(within(shown).getByRole('textbox', { name: 'SCIM token' })).toHaveValue(SECRET);
    // The page had no SCIM URL; the create answer brings one.
    expect(within(shown).getByRole('textbox', { name: 'SCIM base URL' })).toHaveValue(SCIM_URL);

    await user.click(within(shown).getByRole('button', { name: 'Copy token' }));
    await expect(navigator.clipboard.readText()).resolves.toBe(SECRET);
    expect(within(shown).getByText('Copied.')).toBeInTheDocument();

    await user.click(within(shown).getByRole('button', { name: 'Copy SCIM URL' }));
    await expect(navigator.clipboard.readText()).resolves.toBe(SCIM_URL);

    // The new token is listed, by its prefix only, and the form is ready for the next one.
    expect(rowOf('Okta staging')).toHaveTextContent('us_Qx3b…');
    expect(tokenTable()).not.toHaveTextContent(SECRET);
    expect(screen.getByRole('textbox', { name: 'Token name' })).toHaveValue('');
    expect(screen.getByRole('textbox', { name: 'Connection (optional)' })).toHaveValue('');

    await user.click(within(shown).getByRole('button', { name: 'Done, hide the token' }));
    expect(screen.queryByRole('region', { name: /created/ })).not.toBeInTheDocument();
    // The SCIM URL learnt from the answer stays on the page.
    expect(screen.getByRole('textbox', { name: 'SCIM base URL' })).toHaveValue(SCIM_URL);
    expect(screen.queryByDisplayValue(SECRET)).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it('blocks an empty name before sending anything', async () => {
    const user = userEvent.setup();
    mockRoutes({ 'GET /usersync/v1/tokens': [] });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByText('No SCIM tokens yet.');

    await user.type(screen.getByRole('textbox', { name: 'Token name' }), '   ');
    await user.click(screen.getByRole('button', { name: 'Create token' }));

    const name = screen.getByRole('textbox', { name: 'Token name' });
    expect(name).toHaveAccessibleDescription('Enter a name for the token.');
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveFocus();
    expect(requestsMade()).toEqual(['GET /usersync/v1/tokens']);

    // Typing clears the error.
    await user.type(name, 'Entra');
    expect(name).not.toHaveAttribute('aria-invalid');
    expect(name).not.toHaveAccessibleDescription('Enter a name for the token.');
  });

  it('blocks a connection that is not a slug', async () => {
    const user = userEvent.setup();
    mockRoutes({ 'GET /usersync/v1/tokens': [] });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByText('No SCIM tokens yet.');

    await user.type(screen.getByRole('textbox', { name: 'Token name' }), 'Entra');
    await user.type(screen.getByRole('textbox', { name: 'Connection (optional)' }), 'Entra Prod');
    await user.keyboard('{Enter}');

    const connection = screen.getByRole('textbox', { name: 'Connection (optional)' });
    expect(connection).toHaveAccessibleDescription(/lowercase letters, digits and hyphens/);
    expect(connection).toHaveFocus();
    expect(requestsMade()).toEqual(['GET /usersync/v1/tokens']);
  });

  it('shows a name already in use next to the name field', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/tokens': [tokenFixture()],
      'POST /usersync/v1/tokens': () => {
        throw wpError(
          'usersync_token_name_taken',
          'An active token is already called “Entra production”.',
          409,
        );
      },
    });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByRole('table', { name: 'Active SCIM tokens' });

    const name = screen.getByRole('textbox', { name: 'Token name' });
    await user.type(name, 'Entra production');
    await user.click(screen.getByRole('button', { name: 'Create token' }));

    await waitFor(() =>
      expect(name).toHaveAccessibleDescription(
        'An active token is already called “Entra production”.',
      ),
    );
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveValue('Entra production');
    expect(name).toHaveFocus();
    expect(screen.queryByRole('region', { name: /created/ })).not.toBeInTheDocument();
    expect(within(tokenTable()).getAllByRole('row')).toHaveLength(2);
  });

  it('shows a server error that concerns no field above the button', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/tokens': [],
      'POST /usersync/v1/tokens': () => {
        throw wpError('rest_cookie_invalid_nonce', 'Cookie check failed', 403);
      },
    });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByText('No SCIM tokens yet.');

    await user.type(screen.getByRole('textbox', { name: 'Token name' }), 'Okta');
    await user.click(screen.getByRole('button', { name: 'Create token' }));

    expect(await screen.findByText('The token could not be created.')).toBeInTheDocument();
    expect(screen.getByText('Cookie check failed')).toBeInTheDocument();
    expect(screen.getByText('Error code: rest_cookie_invalid_nonce')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Token name' })).toHaveValue('Okta');
  });

  it('sends one create request even when the button is pressed twice', async () => {
    const user = userEvent.setup();
    const answer = deferred<unknown>();
    mockRoutes({
      'GET /usersync/v1/tokens': [],
      'POST /usersync/v1/tokens': () => answer.promise,
    });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByText('No SCIM tokens yet.');

    await user.type(screen.getByRole('textbox', { name: 'Token name' }), 'Okta staging');
    const button = screen.getByRole('button', { name: 'Create token' });
    await user.click(button);
    await user.click(button);
    expect(button).toHaveAttribute('aria-disabled', 'true');

    answer.resolve(created());
    expect(await screen.findByRole('region', { name: /created/ })).toBeInTheDocument();
    expect(requestsMade()).toEqual(['GET /usersync/v1/tokens', 'POST /usersync/v1/tokens']);
  });

  it('revokes a token only after confirmation', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/tokens': [tokenFixture(), tokenFixture({ id: 'tok_9', name: 'Okta' })],
      'DELETE /usersync/v1/tokens/tok_1': { deleted: true, id: 'tok_1' },
    });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByRole('table', { name: 'Active SCIM tokens' });

    await user.click(screen.getByRole('button', { name: 'Revoke token “Entra production”' }));
    let dialog = screen.getByRole('dialog', { name: 'Revoke this token?' });
    expect(dialog).toHaveTextContent('“Entra production” (us_ab12…) will be refused');

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(requestsMade()).toEqual(['GET /usersync/v1/tokens']);

    await user.click(screen.getByRole('button', { name: 'Revoke token “Entra production”' }));
    dialog = screen.getByRole('dialog', { name: 'Revoke this token?' });
    await user.click(within(dialog).getByRole('button', { name: 'Revoke token' }));

    expect(await screen.findByText(/Token “Entra production” revoked\./)).toBeInTheDocument();
    expect(requestsMade()).toEqual(['GET /usersync/v1/tokens', 'DELETE /usersync/v1/tokens/tok_1']);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(within(tokenTable()).queryByRole('rowheader', { name: 'Entra production' })).toBeNull();
    expect(rowOf('Okta')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'SCIM tokens' })).toHaveFocus();
  });

  it('closes the confirmation with Escape without revoking', async () => {
    const user = userEvent.setup();
    mockRoutes({ 'GET /usersync/v1/tokens': [tokenFixture()] });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByRole('table', { name: 'Active SCIM tokens' });

    await user.click(screen.getByRole('button', { name: 'Revoke token “Entra production”' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke this token?' });
    // Focus moves into the dialog, so the keyboard acts on it.
    await waitFor(() => expect(dialog).toContainElement(document.activeElement as HTMLElement));
    await user.keyboard('{Escape}');

    // The dialog closes after its exit animation.
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(rowOf('Entra production')).toBeInTheDocument();
    expect(requestsMade()).toEqual(['GET /usersync/v1/tokens']);
  });

  it('keeps the token and shows the error when revoking fails', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/tokens': [tokenFixture()],
      'DELETE /usersync/v1/tokens/tok_1': () => {
        throw wpError('rest_forbidden', 'Sorry, you are not allowed to do that.', 403);
      },
    });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByRole('table', { name: 'Active SCIM tokens' });

    await user.click(screen.getByRole('button', { name: 'Revoke token “Entra production”' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke this token?' });
    await user.click(within(dialog).getByRole('button', { name: 'Revoke token' }));

    expect(await within(dialog).findByText('The token was not revoked.')).toBeInTheDocument();
    expect(within(dialog).getByText('Sorry, you are not allowed to do that.')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Revoke token' })).not.toHaveAttribute(
      'aria-disabled',
      'true',
    );

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(rowOf('Entra production')).toBeInTheDocument();
  });

  it('removes a token that was already revoked elsewhere', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/tokens': [tokenFixture()],
      'DELETE /usersync/v1/tokens/tok_1': () => {
        throw wpError('usersync_token_not_found', 'No active token has this id.', 404);
      },
    });

    render(<ScimTokens scimUrl={SCIM_URL} />);
    await screen.findByRole('table', { name: 'Active SCIM tokens' });

    await user.click(screen.getByRole('button', { name: 'Revoke token “Entra production”' }));
    await user.click(
      within(screen.getByRole('dialog')).getByRole('button', { name: 'Revoke token' }),
    );

    expect(
      await screen.findByText('Token “Entra production” had already been revoked.'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByText('No SCIM tokens yet.')).toBeInTheDocument();
  });

  it('shows why the list could not be loaded and loads it again', async () => {
    const user = userEvent.setup();
    let calls = 0;
    mockRoutes({
      'GET /usersync/v1/tokens': () => {
        calls++;
        if (calls === 1) {
          throw { code: 'fetch_error', message: 'You are probably offline.' };
        }
        return [tokenFixture()];
      },
    });

    render(<ScimTokens scimUrl={SCIM_URL} />);

    expect(await screen.findByText('The tokens could not be loaded.')).toBeInTheDocument();
    expect(screen.getByText('You are probably offline.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Try again' }));

    expect(await screen.findByRole('table', { name: 'Active SCIM tokens' })).toBeInTheDocument();
    expect(screen.queryByText('You are probably offline.')).not.toBeInTheDocument();
  });

  it('says the SCIM URL is unknown when the sidecar is not configured', async () => {
    mockRoutes({ 'GET /usersync/v1/tokens': [] });

    render(<ScimTokens scimUrl={null} />);

    await screen.findByText('No SCIM tokens yet.');
    expect(screen.queryByRole('textbox', { name: 'SCIM base URL' })).not.toBeInTheDocument();
    expect(screen.getByText(/The SCIM base URL is not known/)).toBeInTheDocument();
  });
});
