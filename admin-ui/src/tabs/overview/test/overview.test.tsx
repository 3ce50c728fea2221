/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/**
 * Internal dependencies
 */
import Overview from '..';
import {
  deferred,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  statusFixture,
  wpError,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

/** The value shown next to a label in a details list. */
function detail(label: string): HTMLElement {
  const term = screen.getByText(label, { selector: 'dt' });
  const value = term.nextElementSibling;
  if (!(value instanceof HTMLElement)) {
    throw new Error(`No value for ${label}`);
  }
  return value;
}

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('Overview', () => {
  it('shows a spinner while the status loads', async () => {
    const answer = deferred<unknown>();
    mockRoutes({ 'GET /usersync/v1/status': () => answer.promise });

    render(<Overview />);

    expect(screen.getByRole('status')).toHaveTextContent('Loading status…');
    answer.resolve(statusFixture());
    expect(await screen.findByRole('heading', { name: 'Sidecar' })).toBeInTheDocument();
    expect(screen.queryByText('Loading status…')).not.toBeInTheDocument();
  });

  it('shows versions, tables and a healthy sidecar', async () => {
    mockRoutes({ 'GET /usersync/v1/status': statusFixture() });

    render(<Overview />);

    expect(await screen.findByRole('heading', { name: 'WordPress' })).toBeInTheDocument();
    expect(detail('UserSync version')).toHaveTextContent('0.1.0');
    expect(detail('WordPress version')).toHaveTextContent('6.1.9');
    expect(detail('PHP version')).toHaveTextContent('8.2.29');
    expect(detail('Multisite')).toHaveTextContent('No');
    expect(detail('Change outbox table')).toHaveTextContent('OK');
    expect(detail('Audit log table')).toHaveTextContent('OK');

    expect(detail('Address')).toHaveTextContent('http://127.0.0.1:8787');
    expect(detail('Reachable')).toHaveTextContent('Yes');
    expect(detail('Health')).toHaveTextContent('OK');
    expect(detail('Store')).toHaveTextContent('SQLite, OK');
    expect(detail('Connection to WordPress')).toHaveTextContent('OK');
    expect(screen.queryByText(/cannot reach the sidecar/)).not.toBeInTheDocument();
    expect(screen.queryByText(/tables UserSync needs are missing/)).not.toBeInTheDocument();
  });

  it('warns when a table is missing', async () => {
    mockRoutes({
      'GET /usersync/v1/status': statusFixture({ tables: { outbox: true, audit: false } }),
    });

    render(<Overview />);

    expect(await screen.findByText(/tables UserSync needs are missing/)).toBeInTheDocument();
    expect(detail('Audit log table')).toHaveTextContent('Missing');
  });

  it('explains how to configure a sidecar that is not configured', async () => {
    mockRoutes({
      'GET /usersync/v1/status': statusFixture({
        sidecar: { configured: false, url: null, reachable: false, health: null, error: null },
      }),
    });

    render(<Overview />);

    expect(await screen.findByText('Not configured.')).toBeInTheDocument();
    expect(screen.getByText('USERSYNC_SIDECAR_URL')).toBeInTheDocument();
    expect(screen.queryByText(/cannot reach the sidecar/)).not.toBeInTheDocument();
  });

  it('shows why the sidecar is unreachable and checks again on request', async () => {
    const user = userEvent.setup();
    const again = deferred<unknown>();
    let calls = 0;
    mockRoutes({
      'GET /usersync/v1/status': () => {
        calls++;
        if (calls === 1) {
          return statusFixture({
            sidecar: {
              configured: true,
              url: 'http://127.0.0.1:8787',
              reachable: false,
              health: null,
              error: 'cURL error 7: Failed to connect to 127.0.0.1 port 8787: Connection refused',
            },
          });
        }
        return again.promise;
      },
    });

    render(<Overview />);

    expect(await screen.findByText(/WordPress cannot reach the sidecar/)).toBeInTheDocument();
    expect(screen.getByText(/Connection refused/)).toBeInTheDocument();
    expect(detail('Reachable')).toHaveTextContent('No');

    const checkAgain = screen.getByRole('button', { name: 'Check again' });
    await user.click(checkAgain);

    expect(checkAgain).toHaveAttribute('aria-disabled', 'true');
    // A second press while the probe runs does not start another one.
    await user.click(checkAgain);
    expect(requestsMade().filter((r) => r.endsWith('/status'))).toEqual([
      'GET /usersync/v1/status',
      'GET /usersync/v1/status',
    ]);

    again.resolve(statusFixture());
    await waitFor(() => expect(detail('Reachable')).toHaveTextContent('Yes'));
    expect(screen.queryByText(/WordPress cannot reach the sidecar/)).not.toBeInTheDocument();
    expect(checkAgain).not.toHaveAttribute('aria-disabled', 'true');
  });

  it('shows a degraded sidecar and the check that fails', async () => {
    mockRoutes({
      'GET /usersync/v1/status': statusFixture({
        sidecar: {
          configured: true,
          url: 'http://127.0.0.1:8787',
          reachable: true,
          health: {
            status: 'degraded',
            version: '0.1.0',
            store: { ok: true, kind: 'postgres' },
            wordpress: { ok: false, error: '401 rest_not_logged_in' },
          },
          error: null,
        },
      }),
    });

    render(<Overview />);

    expect(await screen.findByText(/one of its checks fails/)).toBeInTheDocument();
    expect(detail('Health')).toHaveTextContent('Degraded');
    expect(detail('Store')).toHaveTextContent('PostgreSQL, OK');
    expect(detail('Connection to WordPress')).toHaveTextContent('Failing: 401 rest_not_logged_in');
  });

  it('shows the error of a failed status request and retries', async () => {
    const user = userEvent.setup();
    let calls = 0;
    mockRoutes({
      'GET /usersync/v1/status': () => {
        calls++;
        if (calls === 1) {
          throw wpError('rest_forbidden', 'Sorry, you are not allowed to do that.', 403);
        }
        return statusFixture();
      },
    });

    render(<Overview />);

    const notice = (await screen.findByText(/Sorry, you are not allowed to do that\./)).closest(
      '.components-notice',
    ) as HTMLElement;
    expect(notice).toHaveTextContent('The status could not be loaded.');
    expect(within(notice).getByText('Error code: rest_forbidden')).toBeInTheDocument();

    await user.click(within(notice).getByRole('button', { name: 'Try again' }));

    expect(await screen.findByRole('heading', { name: 'Sidecar' })).toBeInTheDocument();
    expect(screen.queryByText(/not allowed/)).not.toBeInTheDocument();
  });
});
