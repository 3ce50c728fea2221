/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import Deprovisioning from '..';
import type { DeprovisionPolicy, PendingDeletions, SyncConfig } from '../../../api';
import {
  configFixture,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  wpError,
} from '../../../test-utils/api-fetch';
import type { RouteHandler } from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const ada = {
  id: 7,
  login: 'ada',
  email: 'ada@example.org',
  displayName: 'Ada Lovelace',
  roles: ['editor'],
};
const grace = {
  id: 9,
  login: 'grace',
  email: 'grace@example.org',
  displayName: 'Grace Hopper',
  roles: ['author'],
};

const nonePending: PendingDeletions = { count: 0, nextDueAt: null };

function routes(
  policy: Partial<DeprovisionPolicy> = {},
  save?: (options: APIFetchOptions) => unknown,
  pending: RouteHandler = nonePending,
) {
  const config = configFixture({ deprovision: { ...configFixture().deprovision, ...policy } });
  mockRoutes({
    'GET /usersync/v1/deprovision/pending': pending,
    'GET /usersync/v1/config': config,
    'PUT /usersync/v1/config':
      save ??
      ((options: APIFetchOptions) => ({ ...config, ...(options.data as Partial<SyncConfig>) })),
    'GET /usersync/v1/users?per_page=20&orderby=login': { total: 2, users: [ada, grace] },
    'GET /usersync/v1/users?per_page=20&orderby=login&search=gra': { total: 1, users: [grace] },
    'GET /usersync/v1/users?id=7': { total: 1, users: [ada] },
    'GET /usersync/v1/users?id=99': { total: 0, users: [] },
  });
}

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('Deprovisioning', () => {
  it('disables by default, touching neither unlinked users nor administrators', async () => {
    routes();
    render(<Deprovisioning />);

    expect(screen.getByRole('status')).toHaveTextContent('Loading the deprovisioning policy…');
    expect(await screen.findByRole('radio', { name: /Disable the account/ })).toBeChecked();
    expect(
      screen.getByRole('checkbox', { name: 'Users not linked to the source' }),
    ).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Administrators' })).not.toBeChecked();
    expect(screen.queryByRole('spinbutton', { name: /Grace period/ })).not.toBeInTheDocument();
  });

  it('deletes after a grace period, giving the content to a user found by searching', async () => {
    const user = userEvent.setup();
    routes();
    render(<Deprovisioning />);

    await user.click(await screen.findByRole('radio', { name: /Delete the account/ }));
    expect(screen.getByText(/are deleted too/)).toBeInTheDocument();
    const days = screen.getByRole('spinbutton', { name: 'Grace period before deleting (days)' });
    await user.clear(days);
    await user.type(days, '30');

    const picker = screen.getByRole('combobox', { name: 'Give their posts and pages to' });
    await user.click(picker);
    await user.type(picker, 'gra');
    await user.click(
      await screen.findByRole('option', { name: 'Grace Hopper (grace, grace@example.org)' }),
    );
    expect(screen.queryByText(/are deleted too/)).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Save deprovisioning' }));
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(lastBody('PUT /usersync/v1/config')).toEqual({
      deprovision: {
        action: 'delete',
        deactivate: 'disable',
        reassignTo: 9,
        touchUnlinked: false,
        touchAdministrators: false,
        graceDays: 30,
      },
    });
  });

  it('shows the stored heir by name', async () => {
    routes({ action: 'delete', reassignTo: 7 });
    render(<Deprovisioning />);

    const picker = await screen.findByRole('combobox', { name: 'Give their posts and pages to' });
    await waitFor(() => expect(picker).toHaveValue('Ada Lovelace (ada, ada@example.org)'));
  });

  it('refuses a grace period out of range and sends nothing', async () => {
    const user = userEvent.setup();
    routes({ action: 'delete' });
    render(<Deprovisioning />);

    const days = await screen.findByRole('spinbutton', {
      name: 'Grace period before deleting (days)',
    });
    await user.clear(days);
    await user.type(days, '400');
    expect(days).toHaveAccessibleDescription('Enter a whole number of days from 0 to 365.');
    await user.click(screen.getByRole('button', { name: 'Save deprovisioning' }));
    expect(screen.getByText('Nothing was saved: fix the problem marked above.')).toBeVisible();
    expect(requestsMade()).not.toContain('PUT /usersync/v1/config');
  });

  it('shows the plugin’s refusal of a missing heir next to the picker', async () => {
    const user = userEvent.setup();
    routes({ action: 'delete', reassignTo: 99 }, () => {
      throw wpError(
        'usersync_invalid_deprovision',
        'deprovision.reassignTo: there is no user with id 99.',
        400,
        {
          'deprovision[reassignTo]': 'deprovision.reassignTo: there is no user with id 99.',
        },
      );
    });
    render(<Deprovisioning />);

    const picker = await screen.findByRole('combobox', { name: 'Give their posts and pages to' });
    await waitFor(() => expect(picker).toHaveValue('User #99 (no longer exists)'));
    await user.click(screen.getByRole('button', { name: 'Save deprovisioning' }));
    // No grace period: the admin is asked before accounts are deleted at once.
    const dialog = screen.getByRole('dialog', { name: 'Delete accounts with no grace period?' });
    expect(dialog).toHaveTextContent('their content goes to the user you chose');
    await user.click(within(dialog).getByRole('button', { name: 'Save: delete at once' }));
    expect(
      await screen.findByText('deprovision.reassignTo: there is no user with id 99.'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Settings saved.')).not.toBeInTheDocument();
  });

  it('warns when administrators may be deprovisioned', async () => {
    const user = userEvent.setup();
    routes();
    render(<Deprovisioning />);

    await user.click(await screen.findByRole('checkbox', { name: 'Administrators' }));
    expect(screen.getByText(/could lock everyone out/)).toBeInTheDocument();
    expect(screen.getByText('Unsaved changes')).toBeInTheDocument();
  });

  describe('scheduled deletions', () => {
    it('shows how many accounts wait for deletion and when the next one is due', async () => {
      routes({ action: 'delete', graceDays: 14 }, undefined, {
        count: 3,
        nextDueAt: '2026-12-04T10:00:00Z',
      });
      render(<Deprovisioning />);

      const summary = await screen.findByText(
        /3 accounts are disabled and scheduled for deletion\./,
      );
      expect(summary).toHaveTextContent('Next deletion due:');
      expect(summary.querySelector('time')).toHaveAttribute('dateTime', '2026-12-04T10:00:00Z');
      expect(screen.queryByText(/does not apply it yet/)).not.toBeInTheDocument();
      expect(
        screen.getByRole('spinbutton', { name: 'Grace period before deleting (days)' }),
      ).toHaveAccessibleDescription(/enabling it again at the source cancels the deletion/);
    });

    it('says so when no account waits', async () => {
      routes({ action: 'delete', graceDays: 7 });
      render(<Deprovisioning />);

      expect(await screen.findByText('No account is waiting for deletion.')).toBeInTheDocument();
    });

    it('warns that the disable policy cancels them, and shows the count again after saving', async () => {
      const user = userEvent.setup();
      let answers = 0;
      routes({ action: 'delete', graceDays: 7 }, undefined, () =>
        answers++ === 0 ? { count: 2, nextDueAt: '2026-12-04T10:00:00Z' } : nonePending,
      );
      render(<Deprovisioning />);

      await screen.findByText(/2 accounts are disabled and scheduled for deletion\./);
      await user.click(screen.getByRole('radio', { name: /Disable the account/ }));
      expect(
        screen.getByText(
          '2 accounts are scheduled for deletion. Saving the disable policy cancels their deletion: they stay disabled.',
        ),
      ).toBeInTheDocument();

      await user.click(screen.getByRole('button', { name: 'Save deprovisioning' }));
      expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
      await waitFor(() =>
        expect(screen.queryByText(/Saving the disable policy cancels/)).not.toBeInTheDocument(),
      );
      expect(
        requestsMade().filter((r) => r === 'GET /usersync/v1/deprovision/pending'),
      ).toHaveLength(2);
    });

    it('explains a failure to load them and retries', async () => {
      const user = userEvent.setup();
      let answers = 0;
      routes({ action: 'delete', graceDays: 7 }, undefined, () => {
        if (answers++ === 0) {
          throw wpError('usersync_forbidden', 'Sorry, you are not allowed to do that.', 403);
        }
        return { count: 1, nextDueAt: '2026-12-04T10:00:00Z' };
      });
      render(<Deprovisioning />);

      expect(
        await screen.findByText('The scheduled deletions could not be loaded.'),
      ).toBeInTheDocument();
      await user.click(screen.getByRole('button', { name: 'Try again' }));
      expect(
        await screen.findByText(/1 account is disabled and scheduled for deletion\./),
      ).toBeInTheDocument();
    });
  });

  it('deletes on deactivation only when the admin says so, with the same grace period', async () => {
    const user = userEvent.setup();
    routes();
    render(<Deprovisioning />);

    await user.click(await screen.findByRole('radio', { name: /Delete it, like a removal/ }));
    expect(screen.getByRole('radio', { name: /Disable the account/ })).toBeChecked();
    const grace = screen.getByRole('spinbutton', { name: 'Grace period before deleting (days)' });
    await user.clear(grace);
    await user.type(grace, '7');
    await user.click(screen.getByRole('button', { name: 'Save deprovisioning' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(lastBody('PUT /usersync/v1/config')).toMatchObject({
      deprovision: { action: 'disable', deactivate: 'delete', graceDays: 7 },
    });
  });

  it('lists who waits for deletion, and keeps one user on request', async () => {
    const user = userEvent.setup();
    let cancelled = 0;
    const waiting = {
      count: 1,
      nextDueAt: '2026-12-10T10:00:00Z',
      users: [
        { id: 7, login: 'grace', dueAt: '2026-12-10T10:00:00Z', connection: 'entra-production' },
      ],
    };
    mockRoutes({
      'GET /usersync/v1/config': configFixture({
        deprovision: { ...configFixture().deprovision, action: 'delete', graceDays: 7 },
      }),
      'GET /usersync/v1/deprovision/pending': () =>
        cancelled ? { count: 0, nextDueAt: null, users: [] } : waiting,
      'DELETE /usersync/v1/deprovision/pending/7': () => {
        cancelled += 1;
        return { count: 0, nextDueAt: null, users: [] };
      },
    });
    render(<Deprovisioning />);

    const table = await screen.findByRole('table', { name: 'Accounts waiting for deletion' });
    expect(within(table).getByRole('link', { name: 'grace' })).toHaveAttribute(
      'href',
      'user-edit.php?user_id=7',
    );
    expect(table).toHaveTextContent('entra-production');
    await user.click(
      within(table).getByRole('button', { name: 'Keep grace: cancel the deletion' }),
    );
    expect(await screen.findByText('No account is waiting for deletion.')).toBeInTheDocument();
    expect(cancelled).toBe(1);
    expect(
      screen.queryByRole('table', { name: 'Accounts waiting for deletion' }),
    ).not.toBeInTheDocument();
  });
});
