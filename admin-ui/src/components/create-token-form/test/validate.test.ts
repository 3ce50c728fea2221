/**
 * Internal dependencies
 */
import { ApiError } from '../../../api';
import { fieldErrorsFromApi, suggestConnection, validateToken } from '../validate';

describe('validateToken', () => {
  it.each([
    ['a plain name', 'Entra production', '', {}],
    ['a name and a slug', 'Okta', 'okta-2', {}],
    ['a name of exactly 100 characters', 'x'.repeat(100), '', {}],
  ])('accepts %s', (_case, name, connection, expected) => {
    expect(validateToken(name, connection)).toEqual(expected);
  });

  it.each([
    ['an empty name', '', '', 'name'],
    ['a name of spaces', '   ', '', 'name'],
    ['a name of 101 characters', 'x'.repeat(101), '', 'name'],
    ['a slug with capitals', 'Okta', 'Okta', 'connection'],
    ['a slug with spaces', 'Okta', 'okta prod', 'connection'],
    ['a slug of 65 characters', 'Okta', 'a'.repeat(65), 'connection'],
  ])('refuses %s', (_case, name, connection, field) => {
    expect(Object.keys(validateToken(name, connection))).toEqual([field]);
  });
});

describe('fieldErrorsFromApi', () => {
  it('puts a taken name on the name field', () => {
    const error = new ApiError('Name taken.', 'usersync_token_name_taken', 409);
    expect(fieldErrorsFromApi(error)).toEqual({ name: 'Name taken.' });
  });

  it('uses the per-parameter messages of rest_invalid_param', () => {
    const error = new ApiError('Invalid parameter(s): connection', 'rest_invalid_param', 400, {
      connection: 'connection does not match pattern ^[a-z0-9-]{1,64}$.',
    });
    expect(fieldErrorsFromApi(error)).toEqual({
      connection: 'connection does not match pattern ^[a-z0-9-]{1,64}$.',
    });
  });

  it('leaves errors about nothing in the form to the form', () => {
    expect(fieldErrorsFromApi(new ApiError('Forbidden', 'rest_forbidden', 403))).toEqual({});
  });
});

describe('suggestConnection', () => {
  it.each([
    ['Entra production', 'entra-production'],
    ['  Okta (staging) ', 'okta-staging'],
    ['Société Générale', 'societe-generale'],
    ['!!!', ''],
  ])('derives a slug from %j', (name, slug) => {
    expect(suggestConnection(name)).toBe(slug);
  });
});
