// A WordPress user as the peer sees it through the attribute map read backwards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  idFromLocation,
  localValues,
  outboundEntries,
  patchOperations,
  patchPath,
  peerValues,
  scimUser,
  valuesHash,
} from '../../../src/connectors/wordpress-peer/mapper.js';
import { syncConfigSchema } from '../../../src/engine/wordpress-gateway.js';
import type { UserSnapshot } from '../../../src/scim/mapping.js';

const map = syncConfigSchema.parse({}).attributeMap;
const entries = outboundEntries(map);

const snapshot = (over: Partial<UserSnapshot> = {}): UserSnapshot => ({
  id: 7,
  login: 'ada',
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  displayName: 'Ada L.',
  nickname: 'ada',
  url: 'https://ada.example',
  roles: ['editor'],
  active: true,
  registered: '',
  modified: '',
  version: '',
  connection: 'child',
  externalId: null,
  linked: false,
  createdBy: null,
  groups: [],
  scim: null,
  meta: {
    title: 'Countess',
    phone: '+44 1',
    department: 'Engines',
    employee_number: null,
    organization: null,
  },
  ...over,
});

describe('wordpress-peer mapper', () => {
  it('sends only rows WordPress may write out, without the photo or userName rows', () => {
    assert.ok(entries.every((e) => e.direction !== 'inbound' && e.target !== 'avatar'));
    assert.ok(!entries.some((e) => e.source === 'userName'));
    const inboundOnly = outboundEntries(
      map.map((e) => (e.target === 'last_name' ? { ...e, direction: 'inbound' as const } : e)),
    );
    assert.ok(!inboundOnly.some((e) => e.target === 'last_name'));
  });

  it('builds a SCIM User the peer maps back to the same values', () => {
    const values = localValues(snapshot(), entries);
    const user = scimUser(values, entries, '7');
    assert.equal(user.userName, 'ada');
    assert.equal(user.externalId, '7');
    assert.deepEqual(user.emails, [{ value: 'ada@example.com', type: 'work', primary: true }]);
    assert.deepEqual(user.schemas, [
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    ]);
    assert.deepEqual(peerValues(user, entries), values);
  });

  it('sends every target kind an outbound row names: biography, profile picture, BuddyPress fields', () => {
    const row = (source: string, target: string) => ({
      source,
      target,
      direction: 'both' as const,
      transform: 'none' as const,
      default: null,
    });
    const wide = outboundEntries([
      ...map,
      row('urn:ietf:params:scim:schemas:extension:custom:2.0:User:bio', 'description'),
      row('photos[type eq "thumbnail"].value', 'avatar'),
      row('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division', 'xprofile:Team'),
    ]);
    assert.deepEqual(
      wide.slice(-3).map((e) => e.target),
      ['description', 'avatar', 'xprofile:Team'],
    );
    const values = localValues(
      snapshot({
        description: 'Wrote the first program',
        avatarUrl: 'https://pics.example/ada.png',
        xprofile: { Team: 'R&D <Engines>' },
      }),
      wide,
    );
    assert.equal(values.description, 'Wrote the first program');
    assert.equal(values.avatar, 'https://pics.example/ada.png');
    assert.equal(values['xprofile:Team'], 'R&D <Engines>');
    const user = scimUser(values, wide, '7');
    assert.deepEqual(
      (
        user['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'] as Record<
          string,
          unknown
        >
      ).division,
      'R&D <Engines>',
    );
    assert.deepEqual(peerValues(user, wide)['xprofile:Team'], 'R&D <Engines>');
    assert.deepEqual(peerValues(user, wide).avatar, 'https://pics.example/ada.png');
  });

  it('patches the attributes asked for: replace values, remove empty ones, [primary] as a filter', () => {
    const values = localValues(snapshot({ url: '' }), entries);
    const ops = patchOperations(values, entries, ['user_email', 'user_url', 'active'], '7');
    assert.deepEqual(ops, [
      { op: 'replace', path: 'externalId', value: '7' },
      { op: 'replace', path: 'active', value: true },
      { op: 'replace', path: 'emails[primary eq true].value', value: 'ada@example.com' },
      { op: 'remove', path: 'profileUrl' },
    ]);
    assert.equal(
      patchPath('phoneNumbers[type eq "work"].value'),
      'phoneNumbers[type eq "work"].value',
    );
  });

  it('hashes values independently of their order, and tells a disabled user apart', () => {
    assert.equal(valuesHash({ a: '1', b: null }), valuesHash({ b: null, a: '1' }));
    assert.notEqual(
      valuesHash(localValues(snapshot(), entries)),
      valuesHash(localValues(snapshot({ active: false }), entries)),
    );
  });

  it('reads the peer id from a Location', () => {
    assert.equal(idFromLocation('https://peer.example/scim/v2/Users/45'), '45');
    assert.equal(idFromLocation(undefined), null);
  });
});
