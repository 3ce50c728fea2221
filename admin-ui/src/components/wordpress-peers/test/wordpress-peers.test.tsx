/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import WordPressPeers from '..';
import type { Peer, PeerInput } from '../../../api';
import {
  configFixture,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const child: Peer = {
  slug: 'child-site',
  name: 'Child site',
  scimUrl: 'https://child.example/scim/v2',
  tokenSet: true,
  push: true,
  roles: true,
  sendPasswords: false,
  acceptPasswords: false,
  includeAdministrators: false,
  createdAt: '2025-01-01T00:00:00Z',
  modifiedAt: '2025-01-01T00:00:00Z',
};

/** The plugin's answer: the peers sent, tokens replaced by whether one is set. */
function saveAnswer(options: APIFetchOptions) {
  const peers = ((options.data as { peers: PeerInput[] }).peers ?? []).map(
    ({ token, ...peer }) => ({
      ...peer,
      tokenSet: token !== undefined ? token !== null : peer.slug === 'child-site',
      createdAt: null,
      modifiedAt: null,
    }),
  );
  return { ...configFixture(), peers };
}

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('WordPressPeers', () => {
  it('lists peers and says what to give them', async () => {
    mockRoutes({ 'GET /usersync/v1/config': { ...configFixture(), peers: [child] } });
    render(<WordPressPeers scimUrl="https://parent.example/scim/v2" />);

    const section = await screen.findByRole('region', { name: 'Child site' });
    expect(section).toHaveTextContent('https://child.example/scim/v2');
    expect(screen.getByText('https://parent.example/scim/v2')).toBeInTheDocument();
  });

  it('needs a SCIM URL and a token to push, and sends the token once', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': { ...configFixture(), peers: [child] },
      'PUT /usersync/v1/config': saveAnswer,
    });
    render(<WordPressPeers scimUrl={null} />);
    await user.click(await screen.findByRole('button', { name: 'Add a WordPress peer' }));

    const form = screen.getByRole('region', { name: 'New peer' });
    await user.type(within(form).getByRole('textbox', { name: 'Name' }), 'Sister site');
    await user.type(within(form).getByRole('textbox', { name: 'Connection slug' }), 'child-site');
    await user.click(within(form).getByRole('button', { name: 'Add peer' }));

    expect(
      within(form).getByRole('textbox', { name: 'Connection slug' }),
    ).toHaveAccessibleDescription('Another peer has this slug.');
    expect(
      within(form).getByRole('textbox', { name: 'Peer SCIM URL' }),
    ).toHaveAccessibleDescription('Pushing needs the peer’s SCIM URL.');
    expect(within(form).getByLabelText('Peer token')).toHaveAccessibleDescription(
      'Pushing needs the token the peer issued to this site.',
    );
    expect(requestsMade()).toEqual(['GET /usersync/v1/config']);

    await user.clear(within(form).getByRole('textbox', { name: 'Connection slug' }));
    await user.type(within(form).getByRole('textbox', { name: 'Connection slug' }), 'sister');
    await user.type(
      within(form).getByRole('textbox', { name: 'Peer SCIM URL' }),
      'https://sister.example/scim/v2',
    );
    await user.type(within(form).getByLabelText('Peer token'), 'us_token-from-sister');
    await user.click(within(form).getByRole('button', { name: 'Add peer' }));

    expect(await screen.findByText('Peer “Sister site” saved.')).toBeInTheDocument();
    const sent = lastBody('PUT /usersync/v1/config') as { peers: PeerInput[] };
    // The other peer goes back without a token, so its stored one is kept.
    expect(sent.peers[0]).not.toHaveProperty('token');
    expect(sent.peers[1]).toMatchObject({
      slug: 'sister',
      scimUrl: 'https://sister.example/scim/v2',
      token: 'us_token-from-sister',
      push: true,
    });
    await waitFor(() =>
      expect(screen.getByRole('region', { name: 'Sister site' })).toHaveTextContent('Set'),
    );
    expect(document.body.innerHTML).not.toContain('us_token-from-sister');
  });

  it('shows the plugin’s refusal on the peer it concerns', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': { ...configFixture(), peers: [child] },
      'PUT /usersync/v1/config': () => {
        throw {
          code: 'usersync_invalid_peers',
          message: 'The SCIM URL must be an http(s) URL.',
          data: {
            status: 400,
            params: { 'peers[0][scimUrl]': 'The SCIM URL must be an http(s) URL.' },
          },
        };
      },
    });
    render(<WordPressPeers scimUrl={null} />);
    await user.click(await screen.findByRole('button', { name: 'Edit peer “Child site”' }));
    await user.click(screen.getByRole('button', { name: 'Save peer' }));

    await waitFor(() =>
      expect(screen.getByRole('textbox', { name: 'Peer SCIM URL' })).toHaveAccessibleDescription(
        'The SCIM URL must be an http(s) URL.',
      ),
    );
  });
});
