/**
 * Internal dependencies
 */
import { ApiError, createToken, getStatus, listTokens, revokeToken, toApiError } from '..';
import { mockedApiFetch, statusFixture, tokenFixture, wpError } from '../../test-utils/api-fetch';

jest.mock('@wordpress/api-fetch', () => ({ __esModule: true, default: jest.fn() }));

beforeEach(() => {
  mockedApiFetch.mockReset();
});

describe('getStatus', () => {
  it('loads the status route', async () => {
    const status = statusFixture();
    mockedApiFetch.mockResolvedValue(status);

    await expect(getStatus()).resolves.toEqual(status);
    expect(mockedApiFetch).toHaveBeenCalledWith({ path: '/usersync/v1/status' });
  });

  it('rejects with an ApiError carrying the WP_Error code, message and status', async () => {
    mockedApiFetch.mockRejectedValue(
      wpError('rest_forbidden', 'Sorry, you are not allowed to do that.', 403),
    );

    const error = await getStatus().catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      code: 'rest_forbidden',
      message: 'Sorry, you are not allowed to do that.',
      status: 403,
    });
  });
});

describe('tokens', () => {
  it('lists tokens', async () => {
    mockedApiFetch.mockResolvedValue([tokenFixture()]);

    await expect(listTokens()).resolves.toEqual([tokenFixture()]);
    expect(mockedApiFetch).toHaveBeenCalledWith({ path: '/usersync/v1/tokens' });
  });

  it('creates a token with a name only when no connection is given', async () => {
    mockedApiFetch.mockResolvedValue({});

    await createToken({ name: 'Okta', connection: '' });

    expect(mockedApiFetch).toHaveBeenCalledWith({
      path: '/usersync/v1/tokens',
      method: 'POST',
      data: { name: 'Okta' },
    });
  });

  it('sends the connection when one is given', async () => {
    mockedApiFetch.mockResolvedValue({});

    await createToken({ name: 'Okta 2', connection: 'okta' });

    expect(mockedApiFetch).toHaveBeenCalledWith({
      path: '/usersync/v1/tokens',
      method: 'POST',
      data: { name: 'Okta 2', connection: 'okta' },
    });
  });

  it('revokes a token by id with DELETE, escaping the id', async () => {
    mockedApiFetch.mockResolvedValue({ deleted: true, id: 'tok_a/b' });

    await expect(revokeToken('tok_a/b')).resolves.toEqual({ deleted: true, id: 'tok_a/b' });
    expect(mockedApiFetch).toHaveBeenCalledWith({
      path: '/usersync/v1/tokens/tok_a%2Fb',
      method: 'DELETE',
    });
  });
});

describe('toApiError', () => {
  it('keeps per-parameter messages of rest_invalid_param', () => {
    const error = toApiError({
      code: 'rest_invalid_param',
      message: 'Invalid parameter(s): name',
      data: { status: 400, params: { name: 'name must be at most 100 characters long.' } },
    });

    expect(error.params).toEqual({ name: 'name must be at most 100 characters long.' });
    expect(error.status).toBe(400);
  });

  it('marks missing parameters as required', () => {
    const error = toApiError({
      code: 'rest_missing_callback_param',
      message: 'Missing parameter(s): name',
      data: { status: 400, params: ['name'] },
    });

    expect(error.params).toEqual({ name: 'This field is required.' });
  });

  it('passes on the network failure message of api-fetch', () => {
    const error = toApiError({ code: 'fetch_error', message: 'You are probably offline.' });

    expect(error).toMatchObject({ code: 'fetch_error', status: null });
    expect(error.message).toBe('You are probably offline.');
  });

  it('explains a failure that carries no message', () => {
    const error = toApiError(undefined);

    expect(error.code).toBe('unknown_error');
    expect(error.message).toMatch(/try again/i);
  });
});
