/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import Schedule from '..';
import {
  configFixture,
  connectionFixture,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

function routes(schedule: string | null = null, siteTimeZone?: string) {
  mockRoutes({
    'GET /usersync/v1/connections': [connectionFixture({ schedule })],
    'GET /usersync/v1/config': configFixture(siteTimeZone ? { siteTimeZone } : {}),
    'PUT /usersync/v1/connections/contoso': (options: APIFetchOptions) =>
      connectionFixture(options.data as { schedule: string | null }),
  });
}

const form = () => screen.getByRole('form', { name: 'Contoso' });
const runs = () =>
  within(form())
    .queryAllByRole('listitem')
    .map((item) => item.querySelector('time')?.getAttribute('dateTime'));

/** The form's "Runs" select, once the connections have loaded. */
const runsSelect = async () =>
  within(await screen.findByRole('form', { name: 'Contoso' })).findByRole('combobox', {
    name: 'Runs',
  });

/** Switches the form to a custom expression and answers its field. */
async function customField(user: ReturnType<typeof userEvent.setup>) {
  await user.selectOptions(await runsSelect(), 'custom');
  return within(form()).getByRole('textbox', { name: 'Cron expression' });
}

beforeEach(() => {
  mockedApiFetch.mockReset();
  // Only the clock is fixed; timers stay real.
  jest.useFakeTimers({
    now: new Date(2025, 0, 15, 10, 20, 30),
    doNotFake: [
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'setImmediate',
      'clearImmediate',
      'nextTick',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'hrtime',
      'performance',
    ],
  });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('Schedule', () => {
  it('says there is nothing to schedule without pull connections', async () => {
    mockRoutes({
      'GET /usersync/v1/connections': [],
      'GET /usersync/v1/config': configFixture(),
    });
    render(<Schedule />);
    expect(await screen.findByText(/Nothing to schedule yet/)).toBeInTheDocument();
  });

  it('shows a stored daily schedule as its preset with the next runs', async () => {
    routes('30 2 * * *');
    render(<Schedule />);

    const mode = await runsSelect();
    expect(mode).toHaveValue('daily');
    expect(within(form()).getByLabelText('Time')).toHaveValue('02:30');
    expect(within(form()).getByText('Every day at 02:30.')).toBeInTheDocument();
    expect(runs()).toEqual([
      new Date(2025, 0, 16, 2, 30).toISOString(),
      new Date(2025, 0, 17, 2, 30).toISOString(),
      new Date(2025, 0, 18, 2, 30).toISOString(),
      new Date(2025, 0, 19, 2, 30).toISOString(),
      new Date(2025, 0, 20, 2, 30).toISOString(),
    ]);
  });

  it('previews the runs in the site’s time zone, which the sidecar follows', async () => {
    routes('30 2 * * *', 'Asia/Tokyo');
    render(<Schedule />);
    await runsSelect();
    expect(
      within(form()).getByText(
        'Next runs (in the site’s time zone, Asia/Tokyo, which the sidecar follows):',
      ),
    ).toBeInTheDocument();
    // 02:30 in Tokyo is 17:30 UTC the day before.
    const first = runs()[0] as string;
    expect(first).toMatch(/T17:30:00\.000Z$/);
    expect(new Date(first).getTime()).toBeGreaterThan(new Date(2025, 0, 15, 10, 20, 30).getTime());
    expect(runs()).toHaveLength(5);
  });

  it('previews in the browser’s zone when the site’s cannot be read', async () => {
    mockRoutes({
      'GET /usersync/v1/connections': [connectionFixture({ schedule: '30 2 * * *' })],
      'GET /usersync/v1/config': () => {
        throw { code: 'rest_forbidden', message: 'Sorry.', data: { status: 403 } };
      },
    });
    render(<Schedule />);
    await runsSelect();
    expect(within(form()).getByText(/^Next runs \(in your time zone/)).toBeInTheDocument();
    expect(runs()[0]).toBe(new Date(2025, 0, 16, 2, 30).toISOString());
  });

  it('refuses an expression node-cron would not run, though croner alone takes it', async () => {
    const user = userEvent.setup();
    routes();
    render(<Schedule />);
    const expression = await customField(user);
    await user.type(expression, '0 0 31 2 *');
    expect(expression).toHaveAccessibleDescription(
      'This expression never fires: no month has that day.',
    );
    expect(runs()).toEqual([]);
  });

  it('turns a preset into its expression and saves it', async () => {
    const user = userEvent.setup();
    routes();
    render(<Schedule />);
    const mode = await runsSelect();
    expect(mode).toHaveValue('off');
    expect(within(form()).getByText(/syncs only when you press Sync now/)).toBeInTheDocument();

    await user.selectOptions(mode, 'weekly');
    await user.selectOptions(within(form()).getByRole('combobox', { name: 'Day' }), '5');
    const time = within(form()).getByLabelText('Time');
    await user.clear(time);
    await user.type(time, '18:05');
    expect(within(form()).getByText('Every Friday at 18:05.')).toBeInTheDocument();
    expect(runs()[0]).toBe(new Date(2025, 0, 17, 18, 5).toISOString());
    expect(within(form()).getByText('5 18 * * 5')).toBeInTheDocument();

    await user.click(
      within(form()).getByRole('button', { name: 'Save the schedule of “Contoso”' }),
    );
    expect(await within(form()).findByText('Schedule saved.')).toBeInTheDocument();
    expect(lastBody('PUT /usersync/v1/connections/contoso')).toEqual({ schedule: '5 18 * * 5' });
  });

  it('checks a custom expression as it is typed and saves nothing while it is wrong', async () => {
    const user = userEvent.setup();
    routes();
    render(<Schedule />);
    const expression = await customField(user);

    await user.type(expression, '0 25 * * *');
    expect(expression).toHaveAccessibleDescription('The hour must be from 0 to 23, not 25.');
    expect(runs()).toEqual([]);
    await user.click(
      within(form()).getByRole('button', { name: 'Save the schedule of “Contoso”' }),
    );
    expect(
      within(form()).getByText('Nothing was saved: fix the schedule first.'),
    ).toBeInTheDocument();
    expect(requestsMade().sort()).toEqual([
      'GET /usersync/v1/config',
      'GET /usersync/v1/connections',
    ]);

    await user.clear(expression);
    await user.type(expression, '*/30 8-18 * * 1-5');
    expect(expression).not.toHaveAttribute('aria-invalid');
    expect(runs().slice(0, 2)).toEqual([
      new Date(2025, 0, 15, 10, 30).toISOString(),
      new Date(2025, 0, 15, 11, 0).toISOString(),
    ]);
    await user.click(
      within(form()).getByRole('button', { name: 'Save the schedule of “Contoso”' }),
    );
    await waitFor(() =>
      expect(lastBody('PUT /usersync/v1/connections/contoso')).toEqual({
        schedule: '*/30 8-18 * * 1-5',
      }),
    );
  });

  it('shows the plugin’s refusal next to the expression', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/connections': [connectionFixture({ schedule: '0 0 1 * *' })],
      'GET /usersync/v1/config': configFixture(),
      'PUT /usersync/v1/connections/contoso': () => {
        throw {
          code: 'usersync_invalid_connection',
          message: 'The schedule must be a cron expression with 5 or 6 fields.',
          data: { status: 400, field: 'schedule' },
        };
      },
    });
    render(<Schedule />);
    const expression = await within(
      await screen.findByRole('form', { name: 'Contoso' }),
    ).findByRole('textbox', { name: 'Cron expression' });
    await user.click(
      within(form()).getByRole('button', { name: 'Save the schedule of “Contoso”' }),
    );

    await waitFor(() =>
      expect(expression).toHaveAccessibleDescription(
        'The schedule must be a cron expression with 5 or 6 fields.',
      ),
    );
  });

  it('turns a schedule off', async () => {
    const user = userEvent.setup();
    routes('0 * * * *');
    render(<Schedule />);
    const mode = await runsSelect();
    expect(mode).toHaveValue('hourly');
    await user.selectOptions(mode, 'off');
    await user.click(
      within(form()).getByRole('button', { name: 'Save the schedule of “Contoso”' }),
    );
    await waitFor(() =>
      expect(lastBody('PUT /usersync/v1/connections/contoso')).toEqual({ schedule: null }),
    );
  });
});
