/**
 * External dependencies
 */
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import AttributeMapping from '..';
import type { SyncConfig } from '../../../api';
import {
  configFixture,
  lastBody,
  mockRoutes,
  mockedApiFetch,
  requestsMade,
  wpError,
} from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const TOGGLE = 'Keep WordPress logins in step with the source';

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('Attribute mapping: logins', () => {
  it('is off by default, warns when turned on, and saves only renameLogins', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': () => configFixture(),
      'PUT /usersync/v1/config': (options: APIFetchOptions) => ({
        ...configFixture(),
        ...(options.data as Partial<SyncConfig>),
      }),
    });

    render(<AttributeMapping />);

    const toggle = await screen.findByRole('checkbox', { name: TOGGLE });
    expect(toggle).not.toBeChecked();
    expect(screen.queryByText(/WordPress does not expect logins to change/)).toBeNull();

    await user.click(toggle);
    expect(toggle).toBeChecked();
    expect(screen.getByText(/WordPress does not expect logins to change/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Save login setting' }));
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(lastBody('PUT /usersync/v1/config')).toEqual({ renameLogins: true });
    expect(requestsMade()).toEqual(['GET /usersync/v1/config', 'PUT /usersync/v1/config']);
  });

  it('shows a stored "on" and why a save failed', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'GET /usersync/v1/config': () => ({ ...configFixture(), renameLogins: true }),
      'PUT /usersync/v1/config': () => {
        throw wpError('rest_invalid_param', 'Invalid parameter(s): renameLogins', 400);
      },
    });

    render(<AttributeMapping />);

    const toggle = await screen.findByRole('checkbox', { name: TOGGLE });
    expect(toggle).toBeChecked();
    expect(screen.getByText(/WordPress does not expect logins to change/)).toBeInTheDocument();
    await user.click(toggle);
    await user.click(screen.getByRole('button', { name: 'Save login setting' }));
    const failure = await screen.findByText('The settings could not be saved.');
    expect(
      within(failure.closest('.components-notice') as HTMLElement).getByText(/renameLogins/),
    ).toBeInTheDocument();
    expect(toggle).not.toBeChecked();
  });
});
