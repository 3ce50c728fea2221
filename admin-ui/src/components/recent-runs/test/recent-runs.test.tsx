/**
 * External dependencies
 */
import { render, screen, within } from '@testing-library/react';

/**
 * Internal dependencies
 */
import RecentRuns from '..';
import { runFixture } from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

describe('RecentRuns', () => {
  it('says what started each run, by the source’s name', () => {
    render(
      <RecentRuns
        names={{ contoso: 'Contoso Entra', acme: 'Acme Salesforce' }}
        runs={[
          runFixture({ id: 'a', trigger: 'schedule' }),
          runFixture({ id: 'b', trigger: 'catch-up' }),
          runFixture({ id: 'c', source: 'acme', trigger: 'realtime-gap', full: true }),
          runFixture({ id: 'd', trigger: 'on-demand', dryRun: true }),
        ]}
      />,
    );
    const rows = within(screen.getByRole('table', { name: 'Last runs' })).getAllByRole('row');
    const text = rows.slice(1).map((row) => row.textContent ?? '');
    expect(text[0]).toContain('Schedule');
    expect(text[1]).toContain('Catch-up');
    expect(text[2]).toContain('Acme Salesforce');
    expect(text[2]).toContain('Missed real-time changes');
    expect(text[3]).toContain('Sync now (dry run)');
  });
});
