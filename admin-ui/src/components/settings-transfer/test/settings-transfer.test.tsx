/**
 * External dependencies
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/**
 * Internal dependencies
 */
import SettingsTransfer from '..';
import type { SettingsImportSummary } from '../../../api';
import { mockedApiFetch, mockRoutes, requestsMade, wpError } from '../../../test-utils/api-fetch';
import type { APIFetchOptions } from '@wordpress/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const FILE = {
  format: 'usersync-settings',
  version: 1,
  site: 'https://old.example',
  settings: { audit: { retentionDays: 30 }, connections: [], peers: [] },
};

function summary(overrides: Partial<SettingsImportSummary> = {}): SettingsImportSummary {
  return {
    imported: false,
    source: {
      site: 'https://old.example',
      exportedAt: '2025-03-01T10:00:00Z',
      pluginVersion: '0.1.0',
    },
    config: ['attributeMap', 'audit'],
    connections: { created: ['entra'], updated: [] },
    peers: { created: [], updated: ['sister-site'] },
    notes: ['Connection "entra" arrives disabled: enter its client secret, then enable it.'],
    ...overrides,
  };
}

function jsonFile(content: unknown, name = 'usersync-settings.json'): File {
  return new File([typeof content === 'string' ? content : JSON.stringify(content)], name, {
    type: 'application/json',
  });
}

function fileInput(container: HTMLElement): HTMLInputElement {
  const input = container.querySelector<HTMLInputElement>('input[type="file"]');
  if (!input) {
    throw new Error('no file input');
  }
  return input;
}

describe('SettingsTransfer', () => {
  beforeEach(() => mockedApiFetch.mockReset());

  it('exports the settings as a JSON download', async () => {
    const user = userEvent.setup();
    const blobs: Blob[] = [];
    Object.assign(URL, {
      createObjectURL: jest.fn((blob: Blob) => {
        blobs.push(blob);
        return 'blob:settings';
      }),
      revokeObjectURL: jest.fn(),
    });
    const downloads: string[] = [];
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      downloads.push(this.download);
    });
    mockRoutes({ 'GET /usersync/v1/settings/export': FILE });
    render(<SettingsTransfer />);

    await user.click(screen.getByRole('button', { name: 'Export settings' }));

    await waitFor(() => expect(downloads).toHaveLength(1));
    expect(downloads[0]).toMatch(/^usersync-settings-\d{8}-\d{6}\.json$/);
    expect(blobs[0]?.type).toBe('application/json');
    click.mockRestore();
  });

  it('checks a file, shows what it changes and imports it only when confirmed', async () => {
    const user = userEvent.setup();
    const bodies: unknown[] = [];
    const onImported = jest.fn();
    mockRoutes({
      'POST /usersync/v1/settings/import': (options: APIFetchOptions) => {
        bodies.push(options.data);
        const { confirm } = options.data as { confirm: boolean };
        return summary({ imported: confirm });
      },
    });
    const { container } = render(<SettingsTransfer onImported={onImported} />);

    await user.upload(fileInput(container), jsonFile(FILE));

    const dialog = await screen.findByRole('dialog', { name: 'Import these settings?' });
    expect(bodies).toEqual([{ file: FILE, confirm: false }]);
    const changes = within(dialog).getByRole('list', { name: 'What the import changes' });
    expect(
      within(changes)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual([
      'Replaces: Attribute mapping, Audit log retention.',
      'Adds connections: entra.',
      'Updates peers: sister-site.',
    ]);
    expect(dialog).toHaveTextContent('was exported from https://old.example');
    expect(onImported).not.toHaveBeenCalled();

    await user.click(within(dialog).getByRole('button', { name: 'Import' }));

    expect(await screen.findByText('The settings were imported.')).toBeInTheDocument();
    expect(bodies).toEqual([
      { file: FILE, confirm: false },
      { file: FILE, confirm: true },
    ]);
    expect(onImported).toHaveBeenCalledWith(expect.objectContaining({ imported: true }));
    expect(
      screen.getByText(
        'Connection "entra" arrives disabled: enter its client secret, then enable it.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('imports nothing when the admin cancels', async () => {
    const user = userEvent.setup();
    mockRoutes({ 'POST /usersync/v1/settings/import': summary() });
    const { container } = render(<SettingsTransfer />);

    await user.upload(fileInput(container), jsonFile(FILE));
    const dialog = await screen.findByRole('dialog', { name: 'Import these settings?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));

    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(requestsMade()).toEqual(['POST /usersync/v1/settings/import']);
    expect(screen.queryByText('The settings were imported.')).not.toBeInTheDocument();
  });

  it('lists the field errors of a refused file and asks nothing', async () => {
    const user = userEvent.setup();
    mockRoutes({
      'POST /usersync/v1/settings/import': () => {
        throw wpError('usersync_invalid_import', 'Attribute map row 1: unknown target.', 400, {
          'attributeMap[0][target]': 'Attribute map row 1: unknown target "nope".',
          'connections[0][tenantId]': 'tenantId must be the directory (tenant) ID.',
        });
      },
    });
    const { container } = render(<SettingsTransfer />);

    await user.upload(fileInput(container), jsonFile(FILE));

    const problems = await screen.findByRole('list', { name: 'Problems in the file' });
    expect(
      within(problems)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual([
      'attributeMap[0][target]: Attribute map row 1: unknown target "nope".',
      'connections[0][tenantId]: tenantId must be the directory (tenant) ID.',
    ]);
    expect(screen.getByText('The file was not imported; nothing was changed.')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says so when the file is not JSON, without asking the site', async () => {
    const user = userEvent.setup();
    mockRoutes({});
    const { container } = render(<SettingsTransfer />);

    await user.upload(fileInput(container), jsonFile('{ not json', 'notes.json'));

    expect(await screen.findByText(/notes\.json is not a JSON file/)).toBeInTheDocument();
    expect(requestsMade()).toEqual([]);
  });
});
