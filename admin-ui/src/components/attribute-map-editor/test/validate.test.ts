/**
 * Internal dependencies
 */
import type { AttributeMapping } from '../../../api';
import { metaKeyProblem, validateAttributeMap } from '../validate';

const row = (
  source: string,
  target: string,
  direction: AttributeMapping['direction'] = 'both',
): AttributeMapping => ({ source, target, direction, transform: 'none', default: null });

describe('validateAttributeMap', () => {
  it('accepts the default map', () => {
    expect(
      validateAttributeMap([
        row('userName', 'user_login'),
        row('emails[primary].value', 'user_email'),
        row('photos[type eq "photo"].value', 'avatar', 'inbound'),
        row('title', 'meta:title'),
      ]),
    ).toEqual({});
  });

  it('names the later of two rows filling one field', () => {
    expect(
      validateAttributeMap([
        row('userName', 'user_login'),
        row('name.givenName', 'first_name'),
        row('nickName', 'first_name', 'inbound'),
      ]),
    ).toEqual({
      'attributeMap[2][target]': 'Row 2 already fills this field. Map each WordPress field once.',
    });
  });

  it('lets one field be written back to two attributes but not two fields to one attribute', () => {
    expect(
      validateAttributeMap([
        row('userName', 'user_login'),
        row('nickName', 'nickname', 'outbound'),
        row('nickName', 'meta:alias', 'outbound'),
      ]),
    ).toEqual({
      'attributeMap[2][source]':
        'Row 2 already writes this attribute back. Send each attribute from one WordPress field.',
    });
    expect(
      validateAttributeMap([
        row('userName', 'user_login'),
        row('nickName', 'nickname', 'inbound'),
        row('nickName', 'meta:alias', 'inbound'),
      ]),
    ).toEqual({});
  });

  it('needs an inbound login row', () => {
    expect(Object.keys(validateAttributeMap([row('userName', 'user_login', 'outbound')]))).toEqual([
      'attributeMap',
    ]);
    expect(validateAttributeMap([])).toHaveProperty('attributeMap');
  });

  it('refuses unknown targets and protected meta keys', () => {
    expect(
      validateAttributeMap([
        row('userName', 'user_login'),
        row('title', 'job', 'inbound'),
        row('title', 'meta:wp_capabilities', 'outbound'),
      ]),
    ).toEqual({
      'attributeMap[1][target]': 'Unknown WordPress field "job".',
      'attributeMap[2][target]':
        'This meta key is protected: it grants roles, holds secrets or belongs to a plugin.',
    });
  });
});

describe('metaKeyProblem', () => {
  it.each([
    ['department', null],
    ['crm:id', null],
    ['', 'Enter the meta key.'],
    ['has space', 'Use letters, digits and _ . : - only (at most 191).'],
    ['_private', /protected/],
    ['usersync_link_x', /protected/],
    ['wp_2_user_level', /protected/],
    ['session_tokens', /protected/],
  ])('%j', (key, expected) => {
    const problem = metaKeyProblem(key);
    if (expected === null || typeof expected === 'string') {
      expect(problem).toBe(expected);
    } else {
      expect(problem).toMatch(expected);
    }
  });
});
