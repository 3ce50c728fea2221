import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScimError } from '../../src/scim/errors.js';
import { applyPatch, parsePatchRequest } from '../../src/scim/patch.js';
import { validateResource } from '../../src/scim/validate.js';
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schemas/definitions.js';

const E = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const user = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', E],
  id: '12',
  externalId: 'ext-12',
  userName: 'alex@contoso.com',
  active: true,
  displayName: 'Alex Wu',
  name: { givenName: 'Alex', familyName: 'Wu' },
  emails: [{ type: 'work', value: 'alex@contoso.com', primary: true }],
  [E]: { department: 'Sales', manager: { value: '40' } },
  meta: { resourceType: 'User', version: 'W/"abc"' },
});

const group = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: '3',
  displayName: 'Sales',
  members: [{ value: '1' }, { value: '2' }],
});

const patchUser = (...ops: unknown[]) =>
  applyPatch(USER_RESOURCE, user(), parsePatchRequest({ schemas: [PATCH], Operations: ops }));
const patchGroup = (...ops: unknown[]) =>
  applyPatch(GROUP_RESOURCE, group(), parsePatchRequest({ schemas: [PATCH], Operations: ops }));

async function rejects(promise: Promise<unknown>, scimType: string) {
  await assert.rejects(promise, (e: ScimError) => e.status === 400 && e.scimType === scimType);
}

describe('PATCH: Entra ID shapes', () => {
  it('capitalised op with a string boolean: Replace active "False"', async () => {
    const { resource, changed } = await patchUser({
      op: 'Replace',
      path: 'active',
      value: 'False',
    });
    assert.equal(resource.active, false);
    assert.equal(changed, true);
  });
  it('Add with "True" re-activates', async () => {
    const first = await patchUser({ op: 'Replace', path: 'active', value: 'False' });
    const second = await applyPatch(
      USER_RESOURCE,
      first.resource,
      parsePatchRequest({
        schemas: [PATCH],
        Operations: [{ op: 'Add', path: 'active', value: 'True' }],
      }),
    );
    assert.equal(second.resource.active, true);
  });
  it('no path, value with dotted and URN keys', async () => {
    const { resource } = await patchUser({
      op: 'Replace',
      value: {
        active: 'False',
        'name.givenName': 'Alexandra',
        displayName: 'Alexandra Wu',
        [`${E}:department`]: 'Marketing',
        [`${E}:manager`]: '41',
      },
    });
    assert.equal(resource.active, false);
    assert.deepEqual(resource.name, { givenName: 'Alexandra', familyName: 'Wu' });
    assert.equal(resource.displayName, 'Alexandra Wu');
    assert.deepEqual(resource[E], { department: 'Marketing', manager: { value: '41' } });
  });
  it('Add emails[type eq "work"].value replaces the work email', async () => {
    const { resource } = await patchUser({
      op: 'Add',
      path: 'emails[type eq "work"].value',
      value: 'alex.wu@contoso.com',
    });
    assert.deepEqual(resource.emails, [
      { type: 'work', value: 'alex.wu@contoso.com', primary: true },
    ]);
  });
  it('Replace with a value path that matches nothing adds the item it describes', async () => {
    const { resource } = await patchUser(
      { op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
      { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Redmond' },
      { op: 'Add', path: 'emails[type eq "home"].value', value: 'alex@home.example' },
    );
    assert.deepEqual(resource.phoneNumbers, [{ type: 'mobile', value: '+1 555 0100' }]);
    assert.deepEqual(resource.addresses, [{ type: 'work', locality: 'Redmond' }]);
    assert.equal((resource.emails as unknown[]).length, 2);
  });
  it('manager by URN path, as a bare id and removed', async () => {
    const set = await patchUser({ op: 'Add', path: `${E}:manager`, value: '77' });
    assert.deepEqual((set.resource[E] as Record<string, unknown>).manager, { value: '77' });
    const replaced = await patchUser({
      op: 'Replace',
      path: `${E}:manager`,
      value: { value: '78' },
    });
    assert.deepEqual((replaced.resource[E] as Record<string, unknown>).manager, { value: '78' });
    const removed = await patchUser({ op: 'Remove', path: `${E}:manager` });
    assert.deepEqual(removed.resource[E], { department: 'Sales' });
  });
  it('value null clears an attribute', async () => {
    const { resource } = await patchUser({ op: 'Replace', path: 'displayName', value: null });
    assert.equal(resource.displayName, undefined);
  });
  it('Remove of a value path removes the matching item', async () => {
    const { resource } = await patchUser({ op: 'Remove', path: 'emails[type eq "work"]' });
    assert.equal(resource.emails, undefined);
  });
  it('a PATCH that changes nothing reports unchanged', async () => {
    const { changed } = await patchUser({
      op: 'Replace',
      path: 'userName',
      value: 'alex@contoso.com',
    });
    assert.equal(changed, false);
  });
  it('paths are case-insensitive', async () => {
    const { resource } = await patchUser({ op: 'replace', path: 'NAME.FAMILYNAME', value: 'Woo' });
    assert.deepEqual(resource.name, { givenName: 'Alex', familyName: 'Woo' });
  });
  it('replace of a complex attribute keeps sub-attributes not given', async () => {
    const { resource } = await patchUser({
      op: 'replace',
      path: 'name',
      value: { givenName: 'Al' },
    });
    assert.deepEqual(resource.name, { givenName: 'Al', familyName: 'Wu' });
  });
  it('adding a new primary email demotes the old primary', async () => {
    const { resource } = await patchUser({
      op: 'add',
      path: 'emails',
      value: [{ type: 'other', value: 'a@b.c', primary: true }],
    });
    const emails = resource.emails as { primary?: boolean }[];
    assert.deepEqual(
      emails.map((e) => e.primary),
      [false, true],
    );
  });
  it('adding an email already there adds nothing', async () => {
    const { changed } = await patchUser({
      op: 'add',
      path: 'emails',
      value: [{ type: 'work', value: 'alex@contoso.com', primary: true }],
    });
    assert.equal(changed, false);
  });
});

describe('PATCH: Okta shapes', () => {
  it('no-path replace deactivates', async () => {
    const { resource } = await patchUser({ op: 'replace', value: { active: false } });
    assert.equal(resource.active, false);
  });
  it('password change is taken out and never part of the resource', async () => {
    const result = await patchUser({ op: 'replace', value: { password: 'N3w-secret!' } });
    assert.equal(result.password, 'N3w-secret!');
    assert.equal(result.resource.password, undefined);
    assert.equal(result.changed, true);
  });
  it('group rename repeating the id', async () => {
    const { resource, members } = await patchGroup({
      op: 'replace',
      value: { id: '3', displayName: 'Sales EU' },
    });
    assert.equal(resource.displayName, 'Sales EU');
    assert.equal(members, undefined);
  });
  it('group member removal by value filter needs no member list', async () => {
    const { members } = await patchGroup({ op: 'remove', path: 'members[value eq "2"]' });
    assert.deepEqual(members, { add: [], remove: ['2'] });
  });
  it('group members add as Okta and Entra send them', async () => {
    const { members, resource } = await patchGroup({
      op: 'add',
      path: 'members',
      value: [{ value: '5', display: 'E' }, { value: '6' }],
    });
    assert.deepEqual(members, { add: ['5', '6'], remove: [] });
    assert.deepEqual(
      (resource.members as { value: string }[]).map((m) => m.value),
      ['1', '2', '5', '6'],
    );
  });
});

describe('PATCH: group membership batches (Entra)', () => {
  it('Add then Remove in one request nets out', async () => {
    const { members } = await patchGroup(
      { op: 'Add', path: 'members', value: [{ value: '7' }, { value: '8' }] },
      { op: 'Remove', path: 'members', value: [{ value: '7' }, { value: '1' }] },
    );
    assert.deepEqual(members, { add: ['8'], remove: ['7', '1'] });
  });
  it('Replace members replaces the list', async () => {
    const { members, resource } = await patchGroup({
      op: 'Replace',
      path: 'members',
      value: [{ value: '9' }],
    });
    assert.deepEqual(members?.replace, ['9']);
    assert.deepEqual(resource.members, [{ value: '9' }]);
  });
  it('Remove members without value empties the group', async () => {
    const { members, resource } = await patchGroup({ op: 'Remove', path: 'members' });
    assert.deepEqual(members?.replace, []);
    assert.equal(resource.members, undefined);
  });
  it('a member without a value is refused', async () => {
    await rejects(
      patchGroup({ op: 'Add', path: 'members', value: [{ display: 'x' }] }),
      'invalidValue',
    );
  });
});

describe('PATCH: refused requests', () => {
  const cases: [string, unknown, string][] = [
    ['body not an object', [], 'invalidSyntax'],
    [
      'wrong schema',
      { schemas: ['urn:x'], Operations: [{ op: 'add', path: 'title', value: 'x' }] },
      'invalidSyntax',
    ],
    ['no Operations', { schemas: [PATCH] }, 'invalidSyntax'],
    ['empty Operations', { schemas: [PATCH], Operations: [] }, 'invalidSyntax'],
    [
      'unknown op',
      { schemas: [PATCH], Operations: [{ op: 'merge', path: 'title', value: 'x' }] },
      'invalidSyntax',
    ],
    ['remove without path', { schemas: [PATCH], Operations: [{ op: 'remove' }] }, 'noTarget'],
    [
      'add without value',
      { schemas: [PATCH], Operations: [{ op: 'add', path: 'title' }] },
      'invalidValue',
    ],
    [
      'path not a string',
      { schemas: [PATCH], Operations: [{ op: 'add', path: 5, value: 'x' }] },
      'invalidPath',
    ],
  ];
  for (const [name, body, scimType] of cases) {
    it(name, () =>
      assert.throws(
        () => parsePatchRequest(body),
        (e: ScimError) => e.scimType === scimType,
      ),
    );
  }
  it('unknown attribute', () =>
    rejects(patchUser({ op: 'replace', path: 'favouriteColour', value: 'x' }), 'invalidPath'));
  it('read-only id', () =>
    rejects(patchUser({ op: 'replace', path: 'id', value: '13' }), 'mutability'));
  it('changing the id in a no-path value', () =>
    rejects(patchUser({ op: 'replace', value: { id: '99' } }), 'mutability'));
  it('removing the required userName', () =>
    rejects(patchUser({ op: 'remove', path: 'userName' }), 'mutability'));
  it('wrong type', () =>
    rejects(patchUser({ op: 'replace', path: 'active', value: 'perhaps' }), 'invalidValue'));
  it('list for a single-valued attribute', () =>
    rejects(patchUser({ op: 'replace', path: 'title', value: ['a', 'b'] }), 'invalidValue'));
  it('no-path value that is not an object', () =>
    rejects(patchUser({ op: 'replace', value: 'x' }), 'invalidValue'));
  it('value filter on a simple attribute', () =>
    rejects(patchUser({ op: 'replace', path: 'title[value eq "x"]', value: 'y' }), 'invalidPath'));
  it('malformed value filter', () =>
    rejects(patchUser({ op: 'replace', path: 'emails[type eq]', value: 'y' }), 'invalidPath'));
  it('replace with a filter matching nothing that describes no item', () =>
    rejects(
      patchUser({ op: 'replace', path: 'emails[value co "zzz"].type', value: 'home' }),
      'noTarget',
    ));
});

describe('PATCH: any type label of a multi-valued attribute (RFC 7643 §7)', () => {
  // Each attribute with a label Entra, Okta or a directory really sends, outside the
  // suggested canonical list or in another case: accepted on POST, so PATCH must accept it.
  const labels: [string, Record<string, unknown>][] = [
    ['emails', { value: 'alex@contoso.com', type: 'internet' }],
    ['emails', { value: 'alex@contoso.com', type: 'Work' }],
    ['phoneNumbers', { value: '+1 555 0100', type: 'cell' }],
    ['addresses', { streetAddress: '1 Main St', type: 'billing' }],
    ['roles', { value: 'Reader', type: 'WindowsAzureActiveDirectoryRole', primary: false }],
    ['x509Certificates', { value: 'TUlJQw==', type: 'signing' }],
    ['ims', { value: 'alex', type: 'Teams' }],
    ['photos', { value: 'https://example.com/a.png', type: 'Avatar' }],
    ['entitlements', { value: 'premium', type: 'license' }],
  ];
  for (const [attribute, item] of labels) {
    const populated = () => ({ ...user(), [attribute]: [item] });
    it(`${attribute} type "${String(item.type)}": stored as sent, and PATCH active "False" still works`, async () => {
      const validated = validateResource(USER_RESOURCE, populated(), 'create');
      assert.deepEqual((validated[attribute] as unknown[])[0], item);
      const { resource } = await applyPatch(
        USER_RESOURCE,
        { ...validated, id: '12' },
        parsePatchRequest({
          schemas: [PATCH],
          Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        }),
      );
      assert.equal(resource.active, false);
      assert.deepEqual((resource[attribute] as unknown[])[0], item);
    });
    it(`${attribute}: a PATCH can add an item with type "${String(item.type)}"`, async () => {
      const { resource } = await patchUser({ op: 'add', path: attribute, value: [item] });
      assert.ok(
        (resource[attribute] as unknown[]).some((i) => JSON.stringify(i) === JSON.stringify(item)),
      );
    });
  }
  it('a value path compares a canonical type case-insensitively', async () => {
    const { resource } = await applyPatch(
      USER_RESOURCE,
      { ...user(), emails: [{ type: 'Work', value: 'alex@contoso.com', primary: true }] },
      parsePatchRequest({
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'a@b.example' }],
      }),
    );
    assert.deepEqual(resource.emails, [{ type: 'Work', value: 'a@b.example', primary: true }]);
  });
  it('/Schemas still suggests the canonical labels, and none for roles', () => {
    const emails = USER_RESOURCE.schema.attributes.find((a) => a.name === 'emails')!;
    const roles = USER_RESOURCE.schema.attributes.find((a) => a.name === 'roles')!;
    assert.deepEqual(emails.subAttributes!.find((s) => s.name === 'type')!.canonicalValues, [
      'work',
      'home',
      'other',
    ]);
    assert.equal(roles.subAttributes!.find((s) => s.name === 'type')!.canonicalValues, undefined);
  });
});

describe('PATCH: references accepted on POST stay patchable', () => {
  for (const [attribute, value] of [
    ['profileUrl', 'example.com/ann'],
    ['photos', [{ value: 'avatar.png', type: 'photo' }]],
  ] as [string, unknown][]) {
    it(`${attribute} ${JSON.stringify(value)}: PATCH active "False" still works`, async () => {
      const validated = validateResource(
        USER_RESOURCE,
        { ...user(), [attribute]: value },
        'create',
      );
      const { resource } = await applyPatch(
        USER_RESOURCE,
        { ...validated, id: '12' },
        parsePatchRequest({
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'active', value: 'False' }],
        }),
      );
      assert.equal(resource.active, false);
      assert.deepEqual(resource[attribute], value);
    });
  }
  it('/Schemas still says profileUrl refers to an external resource', () => {
    const profileUrl = USER_RESOURCE.schema.attributes.find((a) => a.name === 'profileUrl')!;
    assert.deepEqual(profileUrl.referenceTypes, ['external']);
  });
});
