/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/**
 * Internal dependencies
 */
import AuditLog from '..';
import {
  auditEntryFixture,
  configFixture,
  deferred,
  fakeResponse,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  wpError,
} from '../../../test-utils/api-fetch';
import type { RouteHandler } from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const FACETS = {
  sources: ['scim:Entra production', 'wp-admin'],
  actions: ['create', 'update', 'disable'],
  hasRuns: true,
};

const entries = [
  auditEntryFixture({ id: 3, action: 'disable', userLogin: 'linus', fields: [] }),
  auditEntryFixture({
    id: 2,
    action: 'create',
    result: 'failure',
    userLogin: 'grace',
    userId: null,
    fields: [],
    error: 'The email address is already used by another user.',
  }),
  auditEntryFixture({ id: 1 }),
];

function routes(extra: Record<string, RouteHandler> = {}) {
  mockRoutes({
    'GET /usersync/v1/config': configFixture(),
    'GET /usersync/v1/audit/facets': FACETS,
    'GET /usersync/v1/audit?page=1&per_page=20': fakeResponse(entries, {
      'X-WP-Total': '45',
      'X-WP-TotalPages': '3',
    }),
    ...extra,
  });
}

const auditRequests = () => requestsMade().filter((r) => r.startsWith('GET /usersync/v1/audit?'));

beforeEach(() => {
  mockedApiFetch.mockReset();
  window.history.replaceState(null, '', '/wp-admin/users.php?page=usersync&tab=audit');
});

describe('Audit log', () => {
  it('shows a page of entries with their totals and pages through them', async () => {
    const user = userEvent.setup();
    const second = deferred<unknown>();
    routes({ 'GET /usersync/v1/audit?page=2&per_page=20': () => second.promise });
    render(<AuditLog />);

    expect(screen.getAllByRole('status')[0]).toHaveTextContent('Loading entries…');
    const table = await screen.findByRole('table', { name: 'Audit log entries' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    expect(within(rows[0]).getByRole('link', { name: 'linus' })).toHaveAttribute(
      'href',
      'user-edit.php?user_id=12',
    );
    expect(rows[0]).toHaveTextContent('Disable');
    expect(rows[1]).toHaveTextContent('Failed');
    expect(rows[1]).toHaveTextContent('The email address is already used by another user.');
    expect(rows[2]).toHaveTextContent('user_login, user_email');
    expect(within(rows[2]).getByText('SCIM token Entra production')).toHaveAttribute(
      'title',
      'scim:Entra production',
    );

    const pages = screen.getByRole('navigation', { name: 'Pages of the audit log' });
    expect(pages).toHaveTextContent('45 entries');
    expect(pages).toHaveTextContent('Page 1 of 3');
    expect(within(pages).getByRole('button', { name: 'Previous page' })).toHaveAttribute(
      'aria-disabled',
      'true',
    );

    await user.click(within(pages).getByRole('button', { name: 'Next page' }));
    expect(auditRequests()).toEqual([
      'GET /usersync/v1/audit?page=1&per_page=20',
      'GET /usersync/v1/audit?page=2&per_page=20',
    ]);
    second.resolve(
      fakeResponse([auditEntryFixture({ id: 30, userLogin: 'ken' })], {
        'X-WP-Total': '45',
        'X-WP-TotalPages': '3',
      }),
    );
    expect(pages).toHaveTextContent('Page 2 of 3');
    await waitFor(() =>
      expect(screen.getByRole('table', { name: 'Audit log entries' })).toHaveTextContent('ken'),
    );
  });

  it('says so when the log is empty, and when filters match nothing', async () => {
    const user = userEvent.setup();
    routes({
      'GET /usersync/v1/audit?page=1&per_page=20': fakeResponse([], {
        'X-WP-Total': '0',
        'X-WP-TotalPages': '0',
      }),
      'GET /usersync/v1/audit?result=skipped&page=1&per_page=20': fakeResponse([], {
        'X-WP-Total': '0',
        'X-WP-TotalPages': '0',
      }),
    });
    render(<AuditLog />);

    expect(await screen.findByText(/The audit log is empty/)).toBeInTheDocument();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Result' }), 'skipped');
    await user.click(screen.getByRole('button', { name: 'Filter' }));
    expect(await screen.findByText('No entries match these filters.')).toBeInTheDocument();
  });

  it('sends the filters to the server and starts again at page 1', async () => {
    const user = userEvent.setup();
    routes({
      'GET /usersync/v1/audit?page=2&per_page=20': fakeResponse(entries, {
        'X-WP-Total': '45',
        'X-WP-TotalPages': '3',
      }),
      'GET /usersync/v1/audit?source=run%3A*&action=create&result=failure&user=grace&search=already&page=1&per_page=20':
        fakeResponse([entries[1]], { 'X-WP-Total': '1', 'X-WP-TotalPages': '1' }),
    });
    render(<AuditLog />);
    await screen.findByRole('table', { name: 'Audit log entries' });
    await user.click(screen.getAllByRole('button', { name: 'Next page' })[0]);
    await waitFor(() => expect(auditRequests()).toHaveLength(2));

    await user.selectOptions(screen.getByRole('combobox', { name: 'Source' }), 'run:*');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Action' }), 'create');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Result' }), 'failure');
    await user.type(screen.getByRole('textbox', { name: 'User (login or id)' }), 'grace');
    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'already{Enter}');

    await waitFor(() =>
      expect(screen.getByRole('navigation', { name: 'Pages of the audit log' })).toHaveTextContent(
        '1 entry',
      ),
    );
    expect(auditRequests()).toHaveLength(3);
  });

  it('refuses a range whose end comes before its start, without asking the server', async () => {
    const user = userEvent.setup();
    routes();
    render(<AuditLog />);
    await screen.findByRole('table', { name: 'Audit log entries' });

    const from = screen.getByLabelText('From');
    const to = screen.getByLabelText('To');
    await user.type(from, '2025-03-10');
    await user.type(to, '2025-03-01');
    await user.click(screen.getByRole('button', { name: 'Filter' }));

    expect(to).toHaveAccessibleDescription('The last day must not be before the first.');
    expect(auditRequests()).toHaveLength(1);
  });

  it('sends a range of days as the instants they start and end', async () => {
    const user = userEvent.setup();
    routes();
    render(<AuditLog />);
    await screen.findByRole('table', { name: 'Audit log entries' });

    await user.type(screen.getByLabelText('From'), '2025-03-01');
    await user.type(screen.getByLabelText('To'), '2025-03-01');
    await user.click(screen.getByRole('button', { name: 'Filter' }));

    await waitFor(() => expect(auditRequests()).toHaveLength(2));
    const url = new URL(`http://x${auditRequests()[1].slice(4)}`);
    const after = new Date(url.searchParams.get('after') as string);
    const before = new Date(url.searchParams.get('before') as string);
    expect(after).toEqual(new Date(2025, 2, 1));
    expect(before).toEqual(new Date(2025, 2, 2));
  });

  it('shows why the log could not be loaded and tries again', async () => {
    const user = userEvent.setup();
    let calls = 0;
    routes({
      'GET /usersync/v1/audit?page=1&per_page=20': () => {
        calls++;
        if (calls === 1) {
          throw {
            status: 403,
            json: async () =>
              wpError('usersync_forbidden', 'Sorry, you are not allowed to do that.', 403),
          };
        }
        return fakeResponse(entries, { 'X-WP-Total': '3', 'X-WP-TotalPages': '1' });
      },
    });
    render(<AuditLog />);

    expect(await screen.findByText(/not allowed to do that/)).toBeInTheDocument();
    expect(screen.getByText('Error code: usersync_forbidden')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('table', { name: 'Audit log entries' })).toBeInTheDocument();
  });

  it('opens on the entries of one run when the address names it', async () => {
    const user = userEvent.setup();
    window.history.replaceState(null, '', '/wp-admin/users.php?page=usersync&tab=audit&run=42');
    routes({
      'GET /usersync/v1/audit?run=42&page=1&per_page=20': fakeResponse([entries[2]], {
        'X-WP-Total': '1',
        'X-WP-TotalPages': '1',
      }),
    });
    render(<AuditLog />);

    expect(await screen.findByText('Only the entries of run 42.')).toBeInTheDocument();
    await screen.findByRole('table', { name: 'Audit log entries' });
    await user.click(screen.getByRole('button', { name: 'Show every run' }));
    await waitFor(() =>
      expect(auditRequests()).toEqual([
        'GET /usersync/v1/audit?run=42&page=1&per_page=20',
        'GET /usersync/v1/audit?page=1&per_page=20',
      ]),
    );
    // The address forgets the run too: a reload shows every run.
    expect(window.location.search).toBe('?page=usersync&tab=audit');
  });

  it('exports the filtered entries as a CSV download', async () => {
    const user = userEvent.setup();
    const createObjectURL = jest.fn(() => 'blob:audit');
    const revokeObjectURL = jest.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicked: string[] = [];
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(`${this.download} ${this.href}`);
    });
    routes({
      'GET /usersync/v1/audit?result=failure&page=1&per_page=20': fakeResponse([entries[1]], {
        'X-WP-Total': '1',
        'X-WP-TotalPages': '1',
      }),
      'GET /usersync/v1/audit/export?result=failure': fakeResponse('id,time_utc\n2,x\n', {
        'Content-Disposition': 'attachment; filename="usersync-audit-20250301-100000.csv"',
      }),
    });
    render(<AuditLog />);
    await screen.findByRole('table', { name: 'Audit log entries' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Result' }), 'failure');
    await user.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(auditRequests()).toHaveLength(2));

    await user.click(screen.getByRole('button', { name: 'Export CSV' }));

    await waitFor(() => expect(clicked).toEqual(['usersync-audit-20250301-100000.csv blob:audit']));
    expect(requestsMade()).toContain('GET /usersync/v1/audit/export?result=failure');
    click.mockRestore();
  });

  it('saves the retention period and refuses a negative one', async () => {
    const user = userEvent.setup();
    routes({
      'PUT /usersync/v1/config': () => configFixture({ audit: { retentionDays: 30 } }),
    });
    render(<AuditLog />);

    const days = await screen.findByRole('spinbutton', { name: 'Keep entries for (days)' });
    expect(days).toHaveValue(90);
    await user.clear(days);
    await user.type(days, '-1');
    expect(days).toHaveAccessibleDescription('Enter a whole number of days from 0 to 3650.');
    await user.click(screen.getByRole('button', { name: 'Save retention' }));
    expect(requestsMade()).not.toContain('PUT /usersync/v1/config');

    await user.clear(days);
    await user.type(days, '30');
    await user.click(screen.getByRole('button', { name: 'Save retention' }));
    // A shorter period deletes entries at once: the admin is asked first.
    let dialog = screen.getByRole('dialog', { name: 'Delete older entries now?' });
    expect(dialog).toHaveTextContent('Entries older than 30 days are deleted as soon as you save');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(requestsMade()).not.toContain('PUT /usersync/v1/config');
    await user.click(screen.getByRole('button', { name: 'Save retention' }));
    dialog = screen.getByRole('dialog', { name: 'Delete older entries now?' });
    await user.click(within(dialog).getByRole('button', { name: 'Save and delete them' }));
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(lastBody('PUT /usersync/v1/config')).toEqual({ audit: { retentionDays: 30 } });
    // A shorter period may have deleted entries: the list is read again.
    await waitFor(() => expect(auditRequests()).toHaveLength(2));
  });
});
