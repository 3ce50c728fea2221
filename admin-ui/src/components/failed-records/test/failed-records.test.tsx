/**
 * External dependencies
 */
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/**
 * Internal dependencies
 */
import FailedRecords, { externalIdOf } from '..';
import {
  auditEntryFixture,
  deferred,
  fakeResponse,
  lastBody,
  mockRoutes,
  wpError,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const SOURCES = [{ slug: 'contoso', name: 'Contoso Entra' }];
const FAILURES_PATH =
  'GET /usersync/v1/audit?result=failure&source=connection%3Acontoso&page=1&per_page=20';

const failed = auditEntryFixture({
  id: 7,
  source: 'run:abc',
  action: 'update',
  result: 'failure',
  userId: 12,
  userLogin: 'adele.vance',
  error: 'The email address is used by another account (external id ext-adele)',
});
const neverCreated = auditEntryFixture({
  id: 8,
  source: 'run:abc',
  action: 'create',
  result: 'failure',
  userId: null,
  userLogin: 'ext-bob',
  error: 'The login is not valid (external id ext-bob)',
});
const letter = {
  id: 3,
  target: 'child',
  outboxId: 40,
  userId: 21,
  action: 'update',
  changed: ['email'],
  code: 'uniqueness',
  message: 'The peer refused the email address',
  attempts: 5,
  createdAt: '2025-03-01T10:00:00Z',
  resolvedAt: null,
};

function routes(extra: Record<string, unknown> = {}) {
  mockRoutes({
    [FAILURES_PATH]: fakeResponse([failed, neverCreated], {
      'X-WP-Total': '2',
      'X-WP-TotalPages': '1',
    }),
    'GET /usersync/v1/outbound/dead-letters': { deadLetters: [letter] },
    ...extra,
  });
}

describe('FailedRecords', () => {
  it('lists the failures of the chosen source and the undelivered changes, with reasons', async () => {
    routes();
    render(<FailedRecords sources={SOURCES} peerNames={{ child: 'Child site' }} />);

    const inbound = await screen.findByRole('table', { name: 'Records a sync could not write' });
    expect(within(inbound).getByRole('rowheader', { name: 'adele.vance' })).toBeInTheDocument();
    expect(within(inbound).getByText(/used by another account/)).toBeInTheDocument();
    const outbound = await screen.findByRole('table', {
      name: 'Changes that could not be delivered',
    });
    expect(within(outbound).getByText('Child site')).toBeInTheDocument();
    expect(within(outbound).getByText(/The peer refused the email address/)).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Source' })).toHaveValue('contoso');
  });

  it('retries an inbound failure by syncing the user again from its source', async () => {
    const user = userEvent.setup();
    const answer = deferred<unknown>();
    routes({ 'POST /usersync/v1/users/refresh': () => answer.promise });
    render(<FailedRecords sources={SOURCES} />);

    await user.click(await screen.findByRole('button', { name: 'Retry adele.vance' }));
    expect(lastBody('POST /usersync/v1/users/refresh')).toEqual({
      users: [12],
      connection: 'contoso',
    });
    expect(screen.getByText('Retrying…')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Retry adele.vance' })).toHaveAttribute(
      'aria-disabled',
      'true',
    );
    answer.resolve({
      synced: 1,
      skipped: 0,
      failed: 0,
      results: [
        {
          userId: 12,
          login: 'adele.vance',
          outcome: 'synced',
          connection: 'contoso',
          message: 'Contoso Entra: updated from the source.',
        },
      ],
    });
    expect(await screen.findByText('Contoso Entra: updated from the source.')).toHaveClass(
      'is-success',
    );
  });

  it('retries a refused create by its external id, and shows a failure’s reason', async () => {
    const user = userEvent.setup();
    routes({
      'POST /usersync/v1/users/refresh': {
        synced: 0,
        skipped: 0,
        failed: 1,
        results: [
          {
            userId: null,
            login: 'ext-bob',
            outcome: 'failed',
            connection: 'contoso',
            message: 'Contoso Entra: The login is not valid',
          },
        ],
      },
    });
    render(<FailedRecords sources={SOURCES} />);

    await user.click(await screen.findByRole('button', { name: 'Retry ext-bob' }));
    expect(lastBody('POST /usersync/v1/users/refresh')).toEqual({
      externalIds: ['ext-bob'],
      connection: 'contoso',
    });
    expect(await screen.findByText('Contoso Entra: The login is not valid')).toHaveClass(
      'is-error',
    );
  });

  it('finds the source id of a create WordPress refused in its run, to retry it', async () => {
    const user = userEvent.setup();
    const refused = auditEntryFixture({
      id: 9,
      source: 'run:r1',
      runId: 'r1',
      connection: 'contoso',
      action: 'create',
      result: 'failure',
      userId: null,
      userLogin: 'carol@contoso.example',
      error: 'A user with the email "carol@contoso.example" already exists.',
    });
    mockRoutes({
      [FAILURES_PATH]: fakeResponse([refused], { 'X-WP-Total': '1', 'X-WP-TotalPages': '1' }),
      'GET /usersync/v1/outbound/dead-letters': { deadLetters: [] },
      'GET /usersync/v1/runs/r1': {
        id: 'r1',
        details: {
          failures: [
            {
              externalId: 'ext-carol',
              login: 'carol@contoso.example',
              action: 'create',
              code: 'existing_user_email',
              message: 'exists',
            },
          ],
        },
      },
      'POST /usersync/v1/users/refresh': {
        synced: 1,
        skipped: 0,
        failed: 0,
        results: [
          {
            userId: 30,
            login: 'carol@contoso.example',
            outcome: 'synced',
            connection: 'contoso',
            message: 'Contoso Entra: updated from the source.',
          },
        ],
      },
    });
    render(<FailedRecords sources={SOURCES} />);

    await user.click(await screen.findByRole('button', { name: 'Retry carol@contoso.example' }));
    expect(await screen.findByText('Contoso Entra: updated from the source.')).toHaveClass(
      'is-success',
    );
    expect(lastBody('POST /usersync/v1/users/refresh')).toEqual({
      externalIds: ['ext-carol'],
      connection: 'contoso',
    });
  });

  it('retries a dead letter and says when it was delivered', async () => {
    const user = userEvent.setup();
    routes({
      'POST /usersync/v1/outbound/dead-letters/3/retry': { id: 3, resolved: true, error: null },
    });
    render(<FailedRecords sources={SOURCES} peerNames={{ child: 'Child site' }} />);

    await user.click(await screen.findByRole('button', { name: 'Retry user 21 to Child site' }));
    expect(await screen.findByText('Delivered.')).toHaveClass('is-success');
    expect(screen.getByRole('button', { name: 'Retry user 21 to Child site' })).toHaveAttribute(
      'aria-disabled',
      'true',
    );
  });

  it('shows the sidecar’s error when the undelivered changes cannot be read, and tries again', async () => {
    const user = userEvent.setup();
    let calls = 0;
    routes({
      'GET /usersync/v1/outbound/dead-letters': () => {
        calls++;
        if (calls === 1) {
          throw wpError('usersync_sidecar_unreachable', 'The sidecar could not be reached', 502);
        }
        return { deadLetters: [] };
      },
    });
    render(<FailedRecords sources={SOURCES} />);

    expect(await screen.findByText('The sidecar could not be reached')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Every change was delivered.')).toBeInTheDocument();
    expect(calls).toBe(2);
  });

  it('says when a source has no failed records, and asks for a source before a retry it cannot place', async () => {
    const user = userEvent.setup();
    const orphan = auditEntryFixture({
      id: 11,
      source: 'run:old',
      runId: null,
      connection: null,
      action: 'update',
      result: 'failure',
      userId: null,
      userLogin: 'ghost',
      error: 'Gone',
    });
    mockRoutes({
      [FAILURES_PATH]: fakeResponse([], { 'X-WP-Total': '0', 'X-WP-TotalPages': '0' }),
      'GET /usersync/v1/audit?result=failure&source=run%3A*&page=1&per_page=20': fakeResponse(
        [orphan],
        { 'X-WP-Total': '1', 'X-WP-TotalPages': '1' },
      ),
      'GET /usersync/v1/outbound/dead-letters': { deadLetters: [] },
    });
    render(<FailedRecords sources={SOURCES} />);

    expect(await screen.findByText('No failed records.')).toBeInTheDocument();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Source' }), 'Every run');
    const row = await screen.findByRole('row', { name: /ghost/ });
    expect(within(row).getByText('Choose its source to retry')).toBeInTheDocument();
    expect(within(row).queryByRole('button')).not.toBeInTheDocument();
  });

  it('shows why the failures could not be loaded', async () => {
    mockRoutes({
      [FAILURES_PATH]: () => {
        throw wpError('rest_forbidden', 'Sorry, you are not allowed to do that.', 403);
      },
      'GET /usersync/v1/outbound/dead-letters': { deadLetters: [] },
    });
    render(<FailedRecords sources={SOURCES} />);
    expect(await screen.findByText('The failures could not be loaded.')).toBeInTheDocument();
    expect(screen.getByText('Sorry, you are not allowed to do that.')).toBeInTheDocument();
  });

  it('reads the external id a sync names in its failure', () => {
    expect(externalIdOf(neverCreated)).toBe('ext-bob');
    expect(externalIdOf(auditEntryFixture({ error: 'Something else' }))).toBeNull();
  });
});
