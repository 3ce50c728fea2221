// The adoption rule scheduled pulls and SCIM share: which existing WordPress account may
// become a connection's user when a create collides with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adoptionVerdict } from '../../src/engine/adoption.js';
import type { AdoptionCandidate, AdoptionVerdict } from '../../src/engine/adoption.js';

const unlinked: AdoptionCandidate = { linked: false, externalId: null, roles: ['subscriber'] };
const on = { touchUnlinked: true, touchAdministrators: false };
const off = { touchUnlinked: false, touchAdministrators: false };
const all = { touchUnlinked: true, touchAdministrators: true };

const cases: {
  name: string;
  existing: AdoptionCandidate;
  externalId: string | null;
  policy: typeof on;
  verdict: AdoptionVerdict;
}[] = [
  {
    name: 'an unlinked user, policy on',
    existing: unlinked,
    externalId: 'e1',
    policy: on,
    verdict: 'adopt',
  },
  {
    name: 'an unlinked user, policy off',
    existing: unlinked,
    externalId: 'e1',
    policy: off,
    verdict: 'unmanaged',
  },
  {
    name: 'an unlinked user, no external id at the source',
    existing: unlinked,
    externalId: null,
    policy: on,
    verdict: 'adopt',
  },
  {
    name: 'an unlinked user whose snapshot has no linked flag',
    existing: { externalId: null, roles: [] },
    externalId: 'e1',
    policy: off,
    verdict: 'unmanaged',
  },
  {
    name: 'an unlinked administrator, administrators protected',
    existing: { ...unlinked, roles: ['editor', 'administrator'] },
    externalId: 'e1',
    policy: on,
    verdict: 'administrator',
  },
  {
    name: 'an unlinked administrator, administrators allowed',
    existing: { ...unlinked, roles: ['administrator'] },
    externalId: 'e1',
    policy: all,
    verdict: 'adopt',
  },
  {
    name: 'an unlinked administrator, unlinked users protected',
    existing: { ...unlinked, roles: ['administrator'] },
    externalId: 'e1',
    policy: { touchUnlinked: false, touchAdministrators: true },
    verdict: 'unmanaged',
  },
  {
    name: 'linked under the same external id (policy off: already the connection’s)',
    existing: { linked: true, externalId: 'e1', roles: ['subscriber'] },
    externalId: 'e1',
    policy: off,
    verdict: 'adopt',
  },
  {
    name: 'linked under the same external id, an administrator',
    existing: { linked: true, externalId: 'e1', roles: ['administrator'] },
    externalId: 'e1',
    policy: on,
    verdict: 'administrator',
  },
  {
    name: 'linked under another external id',
    existing: { linked: true, externalId: 'e2', roles: ['subscriber'] },
    externalId: 'e1',
    policy: all,
    verdict: 'linked',
  },
  {
    name: 'linked without an external id, the source sends one',
    existing: { linked: true, externalId: null, roles: ['subscriber'] },
    externalId: 'e1',
    policy: all,
    verdict: 'linked',
  },
  {
    name: 'linked without an external id, the source sends none',
    existing: { linked: true, externalId: '', roles: ['subscriber'] },
    externalId: null,
    policy: all,
    verdict: 'linked',
  },
  {
    name: 'linked, external ids differing in case only',
    existing: { linked: true, externalId: 'ABC', roles: ['subscriber'] },
    externalId: 'abc',
    policy: all,
    verdict: 'linked',
  },
];

describe('adoptionVerdict', () => {
  for (const c of cases)
    it(`${c.name}: ${c.verdict}`, () => {
      assert.equal(adoptionVerdict(c.existing, c.externalId, c.policy), c.verdict);
    });
});
