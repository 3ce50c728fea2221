/**
 * Internal dependencies
 */
import { ENTERPRISE_URN, parseAttributePath, sourceProblem } from '../attribute-path';
import { readSource, sanitizeLogin } from '../read';

describe('sourceProblem', () => {
  it.each([
    ['userName'],
    ['USERNAME'],
    ['name.givenName'],
    ['emails[primary].value'],
    ['emails[type eq "work"].value'],
    ['phoneNumbers[type eq "work"].value'],
    ['addresses[type eq "work"].locality'],
    ['identities[signInType eq "emailAddress"].issuerAssignedId'],
    [`${ENTERPRISE_URN}:department`],
    [`${ENTERPRISE_URN}:manager.displayName`],
    ['urn:usersync:graph:User:officeLocation'],
    ['urn:example:custom:1.0:User:badges[type eq "gold"].value'],
  ])('accepts %s', (path) => {
    expect(sourceProblem(path)).toBeNull();
  });

  it.each([
    ['', 'Enter the source attribute.'],
    ['   ', 'Enter the source attribute.'],
    ['emial', 'Unknown attribute "emial".'],
    ['name.givenNam', '"name" has no sub-attribute "givenNam".'],
    [
      'displayName[type eq "x"]',
      '"displayName" has a single value; it cannot be filtered with [ ].',
    ],
    ['name[primary].givenName', '"name" has a single value; it cannot be filtered with [ ].'],
    [`${ENTERPRISE_URN}:departement`, 'Unknown attribute "departement".'],
    ['emails..value', /attribute path such as/],
    ['urn:', 'An extension attribute looks like urn:<schema>:<attribute>.'],
  ])('refuses %j', (path, message) => {
    if (typeof message === 'string') {
      expect(sourceProblem(path)).toBe(message);
    } else {
      expect(sourceProblem(path)).toMatch(message);
    }
  });

  it('splits extension paths at the last colon before the filter', () => {
    expect(parseAttributePath('urn:x:y:User:tags[value eq "a:b"].display')).toEqual({
      schema: 'urn:x:y:User',
      attribute: 'tags',
      filter: 'value eq "a:b"',
      sub: 'display',
    });
  });
});

describe('readSource', () => {
  const user = {
    userName: 'AdeleV@contoso.com',
    name: { givenName: 'Adele', familyName: 'Vance' },
    emails: [
      { type: 'other', value: 'adele@home.example' },
      { type: 'work', primary: true, value: 'AdeleV@contoso.com' },
    ],
    phoneNumbers: [{ type: 'mobile', value: '+1 555 0110' }],
    active: true,
    [ENTERPRISE_URN]: { department: 'Retail', manager: { displayName: 'Megan' } },
  };

  it.each([
    ['userName', 'AdeleV@contoso.com'],
    ['USERNAME', 'AdeleV@contoso.com'],
    ['name.givenName', 'Adele'],
    ['emails[primary].value', 'AdeleV@contoso.com'],
    ['emails[type eq "OTHER"].value', 'adele@home.example'],
    ['emails', 'AdeleV@contoso.com'],
    ['emails.type', 'work'],
    ['phoneNumbers[type eq "work"].value', undefined],
    ['phoneNumbers[primary].value', '+1 555 0110'],
    ['active', 'true'],
    [`${ENTERPRISE_URN}:department`, 'Retail'],
    [`${ENTERPRISE_URN.toLowerCase()}:manager.displayName`, 'Megan'],
    ['title', undefined],
    // The whole SCIM filter grammar, as the sidecar reads it.
    ['emails[value co "x"].value', 'adele@home.example'],
    ['emails[value co "nothing"].value', undefined],
    ['emails[type ne "other"].value', 'AdeleV@contoso.com'],
    ['emails[not (type eq "work")].value', 'adele@home.example'],
    ['emails[type eq "home" or primary eq true].value', 'AdeleV@contoso.com'],
  ])('reads %s', (path, value) => {
    expect(readSource(user, path)).toBe(value);
  });
});

describe('sanitizeLogin', () => {
  it.each([
    ['AdeleV@contoso.com', 'AdeleV@contoso.com'],
    ['Zoë  O’Brien', 'Zoe OBrien'],
    ['<b>bold</b>', 'bold'],
    ['a%20b', 'ab'],
    ['日本', null],
  ])('%j → %j', (name, login) => {
    expect(sanitizeLogin(name)).toBe(login);
  });

  it('shortens a login over 60 characters to 60, ending in a stable hash', () => {
    const login = sanitizeLogin('x'.repeat(70));
    expect(login).toMatch(/^x{51}-[0-9a-z]{8}$/);
    expect(sanitizeLogin('x'.repeat(70))).toBe(login);
    expect(sanitizeLogin('x'.repeat(71))).not.toBe(login);
  });
});
