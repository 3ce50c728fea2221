// The one table of cases (cases.json) through every sidecar path that turns a source person
// into a WordPress user: SCIM writes, scheduled pulls and peer pushes must give the same
// answers (the admin UI's Preview runs the same table in its own test).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { outboundEntries, peerValues } from '../../src/connectors/wordpress-peer/mapper.js';
import { loginCandidate as pullLoginCandidate } from '../../src/engine/logins.js';
import { MappingError, mapUser } from '../../src/engine/mapping.js';
import type { AttributeMapping } from '../../src/engine/types.js';
import { targetKind } from '../../src/provisioning/index.js';
import { loginCandidate as scimLoginCandidate, userToWordPress } from '../../src/scim/mapping.js';

interface Case {
  name: string;
  person: Record<string, unknown>;
  rows: Partial<AttributeMapping>[];
  expect: Record<string, string | null>;
}

const table = JSON.parse(fs.readFileSync(new URL('./cases.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  collisions: { name: string; login: string; attempt: number; expect: string }[];
};

const rowsOf = (c: Case): AttributeMapping[] =>
  c.rows.map((row) => ({
    source: '',
    target: '',
    direction: 'both',
    transform: 'none',
    default: null,
    ...row,
  }));

const orNull = (value: unknown): string | null =>
  value === undefined || value === null || value === '' ? null : String(value);

/** What a SCIM POST writes, by target. */
function scim(c: Case): Record<string, string | null> {
  const input = userToWordPress(c.person, rowsOf(c), { creating: true });
  return Object.fromEntries(
    Object.keys(c.expect).map((target) => {
      const kind = targetKind(target)!;
      if (kind.kind === 'core') return [target, orNull(input[kind.field])];
      if (kind.kind === 'meta') return [target, orNull(input.meta?.[kind.key])];
      if (kind.kind === 'xprofile') return [target, orNull(input.xprofile?.[kind.field])];
      return [target, orNull(input.description)];
    }),
  );
}

/** What a scheduled pull writes, by target; no login means no user at all. */
function pull(c: Case): Record<string, string | null> {
  let fields;
  try {
    fields = mapUser({ externalId: 'e1', attributes: c.person, active: true }, rowsOf(c)).fields;
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    return { user_login: null };
  }
  return Object.fromEntries(
    Object.keys(c.expect).map((target) => {
      const kind = targetKind(target)!;
      if (kind.kind === 'core') return [target, orNull(fields[kind.field])];
      if (kind.kind === 'meta') return [target, orNull(fields.meta?.[kind.key])];
      if (kind.kind === 'xprofile') return [target, orNull(fields.xprofile?.[kind.field])];
      return [target, orNull(fields.meta?.description)];
    }),
  );
}

describe('one table of cases, every sidecar path', () => {
  for (const c of table.cases) {
    it(c.name, () => {
      assert.deepEqual(scim(c), c.expect, 'SCIM write');
      const pulled = pull(c);
      if (c.expect.user_login === null) assert.deepEqual(pulled, { user_login: null }, 'pull');
      else assert.deepEqual(pulled, c.expect, 'scheduled pull');
      // A peer's SCIM User read back: the plain rows it compares, and its login.
      const rows = rowsOf(c);
      const plain = outboundEntries(rows).filter(
        (row) => row.transform === 'none' && row.default === null,
      );
      const peer = peerValues(c.person, plain);
      for (const row of plain) assert.equal(peer[row.target], c.expect[row.target], row.target);
      const loginRow = rows.find((row) => row.target === 'user_login');
      if (loginRow?.source === 'userName' && loginRow.transform === 'none')
        assert.equal(peer.user_login, c.expect.user_login, 'the peer’s login');
    });
  }

  for (const c of table.collisions) {
    it(`collisions: ${c.name}`, () => {
      assert.equal(scimLoginCandidate(c.login, c.attempt), c.expect, 'SCIM');
      assert.equal(pullLoginCandidate(c.login, c.attempt), c.expect, 'pull');
      assert.ok(c.expect.length <= 60);
    });
  }
});
