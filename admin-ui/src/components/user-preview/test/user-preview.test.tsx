/**
 * External dependencies
 */
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/**
 * Internal dependencies
 */
import UserPreview, { flatten } from '..';
import { deferred, lastBody, mockRoutes, wpError } from '../../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

const ROUTE = 'POST /usersync/v1/sources/contoso/user-preview';

const found = {
  source: 'contoso',
  lookup: 'adele@contoso.com',
  found: true,
  externalId: 'ext-adele',
  active: true,
  attributes: {
    userName: 'adele@contoso.com',
    name: { givenName: 'Adele', familyName: 'Vance' },
    emails: [{ value: 'adele@contoso.example', primary: true }],
  },
  groups: ['Site Editors'],
  fields: { login: 'adele@contoso.com', email: 'adele@contoso.example', firstName: 'Adele' },
  login: 'adele@contoso.com',
  roles: ['editor'],
  error: null,
};

async function ask(value: string) {
  const user = userEvent.setup();
  render(<UserPreview source="contoso" sourceName="Contoso" />);
  await user.type(screen.getByRole('textbox', { name: 'Person to test from “Contoso”' }), value);
  await user.click(screen.getByRole('button', { name: 'Test with a user' }));
  return user;
}

describe('UserPreview', () => {
  it('cannot be asked without a person', () => {
    mockRoutes({});
    render(<UserPreview source="contoso" sourceName="Contoso" />);
    expect(screen.getByRole('button', { name: 'Test with a user' })).toHaveAttribute(
      'aria-disabled',
      'true',
    );
  });

  it('shows what the source returns and what WordPress would get, while nothing is written', async () => {
    const answer = deferred<unknown>();
    mockRoutes({ [ROUTE]: () => answer.promise });
    await ask('adele@contoso.com');
    expect(lastBody(ROUTE)).toEqual({ lookup: 'adele@contoso.com' });
    expect(screen.getByText('Asking the source…')).toBeInTheDocument();
    answer.resolve(found);

    const wp = await screen.findByRole('table', { name: 'What WordPress would get' });
    expect(within(wp).getByRole('row', { name: /Login adele@contoso\.com/ })).toBeInTheDocument();
    expect(within(wp).getByRole('row', { name: /Roles editor/ })).toBeInTheDocument();
    expect(
      within(wp).getByRole('row', { name: /email adele@contoso\.example/ }),
    ).toBeInTheDocument();
    const source = screen.getByRole('table', { name: 'What the source returns' });
    expect(within(source).getByRole('row', { name: /name\.givenName Adele/ })).toBeInTheDocument();
    expect(
      within(source).getByRole('row', { name: /emails\[0\]\.value adele@contoso\.example/ }),
    ).toBeInTheDocument();
    expect(within(source).getByRole('row', { name: /Groups Site Editors/ })).toBeInTheDocument();
  });

  it('says when the source has no such person', async () => {
    mockRoutes({ [ROUTE]: { ...found, found: false, lookup: 'nobody', attributes: null } });
    await ask('nobody');
    expect(await screen.findByText('The source has no person “nobody”.')).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('says why a person would not be synced', async () => {
    mockRoutes({
      [ROUTE]: { ...found, fields: null, login: null, error: 'No value for the login' },
    });
    await ask('adele@contoso.com');
    expect(
      await screen.findByText('This person would not be synced: No value for the login'),
    ).toBeInTheDocument();
  });

  it('shows the source’s error', async () => {
    mockRoutes({
      [ROUTE]: () => {
        throw wpError('usersync_source_error', 'The source answered: Insufficient privileges', 502);
      },
    });
    await ask('adele@contoso.com');
    expect(
      await screen.findByText('The source answered: Insufficient privileges'),
    ).toBeInTheDocument();
    expect(screen.getByText('Error code: usersync_source_error')).toBeInTheDocument();
  });

  it('flattens SCIM attributes into paths', () => {
    expect(flatten({ a: { b: 1 }, c: [{ d: 'x' }], e: null })).toEqual([
      ['a.b', '1'],
      ['c[0].d', 'x'],
      ['e', ''],
    ]);
  });
});
