/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import SourcesCard from '..';
import type { Run } from '../../../api';
import {
  connectionFixture,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  runFixture,
  tokenFixture,
  wpError,
} from '../../../test-utils/api-fetch';
import type { RouteHandler } from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const finished = runFixture({ id: 'run-old', startedAt: '2025-01-14T10:00:00Z' });

function routes(extra: Record<string, RouteHandler> = {}) {
  mockRoutes({
    'GET /usersync/v1/connections': [connectionFixture({ schedule: '15 */3 * * *' })],
    'GET /usersync/v1/tokens': [tokenFixture({ lastUsedAt: '2025-01-15T09:00:00Z' })],
    'GET /usersync/v1/runs?limit=10': { runs: [finished] },
    ...extra,
  });
}

/** Answers successive readings of a run from a list, repeating the last. */
function readings(list: Partial<Run>[]): () => Run {
  let index = 0;
  return () => runFixture({ id: 'run-2', ...list[Math.min(index++, list.length - 1)] });
}

beforeEach(() => {
  mockedApiFetch.mockReset();
  window.history.replaceState(null, '', '/wp-admin/users.php?page=usersync');
});

describe('SourcesCard', () => {
  it('shows each source’s state, SCIM senders and the last runs with their counts', async () => {
    routes();
    render(<SourcesCard />);

    const source = await screen.findByRole('region', { name: 'Contoso' });
    expect(source).toHaveTextContent(
      'Microsoft Entra ID · Every 3 hours from midnight, 15 minutes past the hour',
    );
    expect(screen.getByText('Entra production')).toBeInTheDocument();
    const table = await screen.findByRole('table', { name: 'Last runs' });
    const row = within(table).getAllByRole('row')[1];
    expect(
      within(row)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual([
      expect.stringContaining('30 s'),
      'Finished with 3 failuresSee the failures',
      '100',
      '10',
      '2',
      '0',
      '3',
      '5',
      'Audit entries',
    ]);
    expect(within(row).getByRole('rowheader')).toHaveTextContent('ContosoSync now');
    expect(within(row).getByRole('link', { name: 'Audit entries of run run-old' })).toHaveAttribute(
      'href',
      'http://localhost/wp-admin/users.php?page=usersync&tab=audit&run=run-old',
    );
    expect(within(row).getByText('Finished with 3 failures')).toHaveClass('is-warning');
    expect(within(row).getByRole('link', { name: 'See the failures' })).toHaveAttribute(
      'href',
      'http://localhost/wp-admin/users.php?page=usersync&tab=audit&run=run-old&result=failure',
    );
  });

  it('runs Sync now and follows the progress to 100% with the result and its audit link', async () => {
    const user = userEvent.setup();
    routes({
      'POST /usersync/v1/sources/contoso/runs': runFixture({
        id: 'run-2',
        state: 'queued',
        processed: 0,
        total: null,
        startedAt: null,
        finishedAt: null,
        rate: null,
        elapsedSeconds: null,
        counts: { created: 0, updated: 0, unchanged: 0, disabled: 0, deleted: 0, failed: 0 },
      }),
      'GET /usersync/v1/runs/run-2': readings([
        {
          state: 'running',
          processed: 50,
          total: 200,
          rate: 25,
          elapsedSeconds: 2,
          finishedAt: null,
        },
        {
          state: 'running',
          processed: 150,
          total: 200,
          rate: 30,
          elapsedSeconds: 5,
          finishedAt: null,
        },
        {
          state: 'succeeded',
          processed: 200,
          total: 200,
          rate: 33.3,
          elapsedSeconds: 6,
          counts: { created: 190, updated: 5, unchanged: 4, disabled: 1, deleted: 0, failed: 0 },
        },
      ]),
    });
    render(<SourcesCard pollMs={50} />);

    await user.click(await screen.findByRole('button', { name: 'Sync now: Contoso' }));

    const source = screen.getByRole('region', { name: 'Contoso' });
    const bar = within(source).getByRole('progressbar', { name: 'Progress of the run of contoso' });
    expect(within(source).getByText('Waiting to start…')).toBeInTheDocument();
    expect(within(source).getByRole('button', { name: 'Cancel' })).toBeInTheDocument();

    // Each reading is shown as it comes (checked together: the next one is 50 ms away).
    await waitFor(() => {
      expect(bar).toHaveAttribute('value', '75');
      expect(source).toHaveTextContent('150 of 200 users (75%)');
      expect(source).toHaveTextContent('Rate: 30 users/s');
      expect(source).toHaveTextContent('Elapsed: 5 s');
    });

    await waitFor(() => expect(source).toHaveTextContent('Sync finished:'));
    expect(within(source).getByRole('progressbar')).toHaveAttribute('value', '100');
    expect(source).toHaveTextContent(
      '190 created, 5 updated, 4 unchanged, 1 disabled, 0 deleted, 0 failed',
    );
    expect(
      within(source).getByRole('link', { name: 'See this run’s entries in the audit log' }),
    ).toHaveAttribute(
      'href',
      'http://localhost/wp-admin/users.php?page=usersync&tab=audit&run=run-2',
    );
    expect(within(source).queryByRole('button', { name: 'Cancel' })).not.toBeInTheDocument();
    // The list of runs is read again once the run ends.
    await waitFor(() =>
      expect(requestsMade().filter((r) => r === 'GET /usersync/v1/runs?limit=10')).toHaveLength(2),
    );
  });

  it('runs a dry run: it says nothing was written and what would change', async () => {
    const user = userEvent.setup();
    routes({
      'POST /usersync/v1/sources/contoso/runs': (options: APIFetchOptions) => {
        expect(options.data).toEqual({ dryRun: true });
        return runFixture({
          id: 'run-dry',
          dryRun: true,
          state: 'succeeded',
          processed: 20,
          total: 20,
          counts: { created: 12, updated: 3, unchanged: 5, disabled: 0, deleted: 0, failed: 0 },
          details: {
            failures: [],
            changes: [
              ...Array.from({ length: 12 }, (_, i) => ({
                action: 'create' as const,
                externalId: `new-${i}`,
                login: `new.person${i}`,
                wpUserId: null,
              })),
              {
                action: 'update',
                externalId: 'grace',
                login: 'grace',
                wpUserId: 7,
                fields: ['first_name', 'meta:title'],
              },
            ],
          },
        });
      },
    });
    render(<SourcesCard pollMs={50} />);

    await user.click(await screen.findByRole('button', { name: 'Dry run: Contoso' }));
    const source = screen.getByRole('region', { name: 'Contoso' });
    await waitFor(() =>
      expect(source).toHaveTextContent(
        'Dry run finished (nothing was written): 12 created, 3 updated, 5 unchanged',
      ),
    );
    const sample = within(source).getByRole('list', { name: 'What the dry run would change' });
    expect(within(sample).getAllByRole('listitem')).toHaveLength(10);
    expect(within(sample).getAllByRole('listitem')[0]).toHaveTextContent('Create new.person0');
    expect(source).toHaveTextContent('What would change (the first 10):');
  });

  it('checks the photos of the linked users on request and says what it found', async () => {
    const user = userEvent.setup();
    routes({
      'GET /usersync/v1/connections': [connectionFixture({ photos: true })],
      'POST /usersync/v1/sources/contoso/photos': { checked: 300, updated: 3, removed: 1 },
    });
    render(<SourcesCard />);

    await user.click(await screen.findByRole('button', { name: 'Check photos now: Contoso' }));
    expect(
      await screen.findByText('Photos checked: 300 users, 3 photos updated, 1 removed.'),
    ).toBeInTheDocument();
  });

  it('cancels a running run', async () => {
    const user = userEvent.setup();
    let cancelled = false;
    routes({
      'GET /usersync/v1/runs?limit=10': {
        runs: [
          runFixture({
            id: 'run-2',
            state: 'running',
            processed: 10,
            total: 100,
            finishedAt: null,
          }),
        ],
      },
      'GET /usersync/v1/runs/run-2': () =>
        cancelled
          ? runFixture({ id: 'run-2', state: 'cancelled', processed: 20, total: 100 })
          : runFixture({
              id: 'run-2',
              state: 'running',
              processed: 10,
              total: 100,
              finishedAt: null,
            }),
      'POST /usersync/v1/runs/run-2/cancel': () => {
        cancelled = true;
        return runFixture({
          id: 'run-2',
          state: 'running',
          cancelRequested: true,
          processed: 20,
          total: 100,
          finishedAt: null,
        });
      },
    });
    render(<SourcesCard pollMs={20} />);

    const source = await screen.findByRole('region', { name: 'Contoso' });
    // A run already going when the page opens is shown and followed.
    await user.click(await within(source).findByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(source).toHaveTextContent('Sync cancelled:'));
    expect(requestsMade()).toContain('POST /usersync/v1/runs/run-2/cancel');
  });

  it('says why a sync could not start', async () => {
    const user = userEvent.setup();
    routes({
      'POST /usersync/v1/sources/contoso/runs': () => {
        throw wpError(
          'usersync_sidecar_unreachable',
          'The sidecar could not be reached: Connection refused',
          502,
        );
      },
    });
    render(<SourcesCard />);
    await user.click(await screen.findByRole('button', { name: 'Sync now: Contoso' }));

    expect(await screen.findByText(/The sidecar could not be reached/)).toBeInTheDocument();
    expect(screen.getByText('The sync could not start.')).toBeInTheDocument();
  });

  it('explains an empty Overview and a sidecar that cannot list runs', async () => {
    mockRoutes({
      'GET /usersync/v1/connections': [],
      'GET /usersync/v1/tokens': [],
      'GET /usersync/v1/runs?limit=10': () => {
        throw wpError('usersync_sidecar_not_configured', 'The sidecar is not configured.', 503);
      },
    });
    render(<SourcesCard />);

    expect(await screen.findByText(/No directory to pull from/)).toBeInTheDocument();
    expect(await screen.findByText(/None: create a SCIM token/)).toBeInTheDocument();
    expect(await screen.findByText('The runs could not be loaded.')).toBeInTheDocument();
  });
});
