/**
 * External dependencies
 */
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/**
 * Internal dependencies
 */
import App from '..';
import {
  configFixture,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  statusFixture,
  tokenFixture,
} from '../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

beforeEach(() => {
  mockedApiFetch.mockReset();
  mockRoutes({
    'GET /usersync/v1/status': statusFixture(),
    'GET /usersync/v1/tokens': [tokenFixture()],
    'GET /usersync/v1/connections': [],
    'GET /usersync/v1/config': configFixture(),
    'GET /usersync/v1/runs?limit=10': { runs: [] },
  });
  window.usersyncAdmin = {
    restNamespace: 'usersync/v1',
    version: '0.1.0',
    scimUrl: 'https://sync.example.org/scim/v2',
  };
});

afterEach(() => {
  delete window.usersyncAdmin;
  window.history.replaceState(null, '', '/');
});

describe('App', () => {
  it('shows the page title and opens on the Overview tab', async () => {
    render(<App />);

    expect(screen.getByRole('heading', { level: 1, name: 'UserSync' })).toBeInTheDocument();
    expect(screen.getAllByRole('tab').map((tab) => tab.textContent)).toEqual([
      'Overview',
      'Connections',
      'Attribute mapping',
      'Role mapping',
      'Deprovisioning',
      'Schedule',
      'Audit log',
      'Failed records',
    ]);
    expect(screen.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true');
    expect(await screen.findByRole('heading', { name: 'Sidecar' })).toBeInTheDocument();
    expect(requestsMade()).toEqual([
      'GET /usersync/v1/status',
      'GET /usersync/v1/connections',
      'GET /usersync/v1/tokens',
      'GET /usersync/v1/runs?limit=10',
    ]);
  });

  it('shows SCIM tokens and the page SCIM URL on the Connections tab', async () => {
    const user = userEvent.setup();
    render(<App />);
    await screen.findByRole('heading', { name: 'Sidecar' });

    await user.click(screen.getByRole('tab', { name: 'Connections' }));

    expect(screen.getByRole('tab', { name: 'Connections' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(await screen.findByRole('table', { name: 'Active SCIM tokens' })).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'SCIM base URL' })).toHaveValue(
      'https://sync.example.org/scim/v2',
    );
    expect(screen.queryByRole('heading', { name: 'Sidecar' })).not.toBeInTheDocument();
  });

  it('switches tabs with the arrow keys', async () => {
    const user = userEvent.setup();
    render(<App />);
    await screen.findByRole('heading', { name: 'Sidecar' });

    await user.tab();
    expect(screen.getByRole('tab', { name: 'Overview' })).toHaveFocus();
    await user.keyboard('{ArrowRight}');

    expect(screen.getByRole('tab', { name: 'Connections' })).toHaveFocus();
    expect(await screen.findByRole('tabpanel', { name: 'Connections' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'SCIM tokens' })).toBeInTheDocument();
    await screen.findByRole('table', { name: 'Active SCIM tokens' });
  });

  it('opens the tab the address names and keeps the open tab in the address', async () => {
    const user = userEvent.setup();
    window.history.replaceState(null, '', '/wp-admin/users.php?page=usersync&tab=connections');
    render(<App />);

    expect(screen.getByRole('tab', { name: 'Connections' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    await screen.findByRole('table', { name: 'Active SCIM tokens' });
    await user.click(screen.getByRole('tab', { name: 'Overview' }));
    expect(window.location.search).toBe('?page=usersync&tab=overview');
    await screen.findByRole('heading', { name: 'Sidecar' });
  });

  it('asks before a tab switch would lose unsaved edits, and keeps them on Stay', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/status': statusFixture(),
      'GET /usersync/v1/tokens': [tokenFixture()],
      'GET /usersync/v1/connections': [],
      'GET /usersync/v1/config': configFixture(),
      'GET /usersync/v1/runs?limit=10': { runs: [] },
      'GET /usersync/v1/users?per_page=1&page=1': [],
    });
    window.history.replaceState(null, '', '/wp-admin/users.php?page=usersync&tab=deprovisioning');
    render(<App />);
    const keep = await screen.findByRole('radio', { name: /Delete the account/ });
    await user.click(keep);
    expect(keep).toBeChecked();

    const unload = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(unload);
    expect(unload.defaultPrevented).toBe(true);

    await user.click(screen.getByRole('tab', { name: 'Schedule' }));
    let dialog = screen.getByRole('dialog', { name: 'Leave without saving?' });
    await user.click(within(dialog).getByRole('button', { name: 'Stay and keep editing' }));
    expect(screen.getByRole('tab', { name: 'Deprovisioning' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(screen.getByRole('radio', { name: /Delete the account/ })).toBeChecked();

    act(() => screen.getByRole('tab', { name: 'Deprovisioning' }).focus());
    await user.keyboard('{ArrowRight}');
    dialog = screen.getByRole('dialog', { name: 'Leave without saving?' });
    await user.click(within(dialog).getByRole('button', { name: 'Discard changes' }));
    expect(screen.getByRole('tab', { name: 'Schedule' })).toHaveAttribute('aria-selected', 'true');
    expect(window.location.search).toBe('?page=usersync&tab=schedule');

    const after = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(after);
    expect(after.defaultPrevented).toBe(false);
  });
});
