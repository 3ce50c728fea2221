// The behaviour every pull connector must show, whatever the system behind it. A connector's
// test file calls `connectorBehaviour` with a harness that can change its source; the suite
// checks the contract the engine relies on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  CanonicalUser,
  Connector,
  PullOptions,
  SourcePage,
} from '../../src/connectors/types.js';

export interface SourceUserInput {
  userName: string;
  givenName: string;
  familyName: string;
  email: string;
}

export interface ConnectorHarness {
  connector: Connector;
  /** Same source, credentials refused. */
  badCredentials: Connector;
  /** Whether `pull(cursor)` returns only changes (else it lists everything each time). */
  incremental: boolean;
  /** How many users the source holds at start. */
  initialUsers: number;
  createUser(input: SourceUserInput): Promise<string>;
  updateUser(externalId: string, change: Partial<SourceUserInput>): Promise<void>;
  deleteUser(externalId: string): Promise<void>;
  close(): Promise<void>;
}

const options: PullOptions = { groupNames: [], attributes: [], photos: false };

async function collect(
  pages: AsyncIterable<SourcePage>,
  stopAfter = Infinity,
): Promise<{
  pages: SourcePage[];
  upserts: CanonicalUser[];
  deletes: string[];
  cursor: string | null;
}> {
  const result = {
    pages: [] as SourcePage[],
    upserts: [] as CanonicalUser[],
    deletes: [] as string[],
    cursor: null as string | null,
  };
  for await (const page of pages) {
    result.pages.push(page);
    result.upserts.push(...page.upserts);
    result.deletes.push(...page.deletes.map((d) => d.externalId));
    result.cursor = page.nextCursor;
    if (result.pages.length >= stopAfter) break;
  }
  return result;
}

export function connectorBehaviour(name: string, make: () => Promise<ConnectorHarness>): void {
  describe(`${name}: connector behaviour`, () => {
    let h: ConnectorHarness;
    before(async () => {
      h = await make();
    });
    after(async () => {
      await h.close();
    });

    it('lists every user once, in SCIM shape, in several pages marked full', async () => {
      const { pages, upserts } = await collect(h.connector.fullScan(options));
      assert.ok(pages.length > 1, 'the listing is paged');
      assert.ok(pages.every((page) => page.full));
      assert.equal(upserts.length, h.initialUsers);
      assert.equal(new Set(upserts.map((u) => u.externalId)).size, h.initialUsers);
      for (const user of upserts) {
        assert.ok(user.externalId);
        assert.equal(typeof user.attributes.userName, 'string');
        assert.equal(user.active, true);
        assert.equal(
          (user.attributes.name as { givenName?: unknown }).givenName !== undefined,
          true,
        );
      }
    });

    it('resumes from the cursor of any page without losing or repeating users', async () => {
      const first = await collect(h.connector.pull(null, options), 1);
      const rest = await collect(h.connector.pull(first.cursor, options));
      const ids = [...first.upserts, ...rest.upserts].map((u) => u.externalId);
      assert.equal(ids.length, h.initialUsers);
      assert.equal(new Set(ids).size, h.initialUsers);
    });

    it('reports creations, updates and deletions after the last cursor', async () => {
      const full = await collect(h.connector.pull(null, options));
      const created = await h.createUser({
        userName: 'grace.hopper',
        givenName: 'Grace',
        familyName: 'Hopper',
        email: 'grace.hopper@example.com',
      });
      const [changed, removed] = full.upserts.map((u) => u.externalId);
      await h.updateUser(changed!, { familyName: 'Changed' });
      await h.deleteUser(removed!);

      const next = await collect(h.connector.pull(full.cursor, options));
      const byId = new Map(next.upserts.map((u) => [u.externalId, u]));
      assert.ok(byId.has(created), 'the new user is reported');
      const grace = byId.get(created)!;
      assert.equal((grace.attributes.name as { familyName: string }).familyName, 'Hopper');
      assert.equal(
        (byId.get(changed!)!.attributes.name as { familyName: string }).familyName,
        'Changed',
      );
      if (h.incremental) {
        assert.equal(
          next.pages.some((p) => p.full),
          false,
          'changes only',
        );
        assert.ok(next.deletes.includes(removed!), 'the deletion is reported');
        assert.ok(next.upserts.length <= 3);
      } else {
        assert.ok(
          next.pages.every((p) => p.full),
          'a full listing',
        );
        assert.equal(byId.has(removed!), false, 'the deleted user is no longer listed');
        assert.equal(next.upserts.length, h.initialUsers);
      }
    });

    it('tests the connection: fine with good credentials, a clear failure without', async () => {
      const good = await h.connector.testConnection(options);
      assert.equal(good.ok, true, JSON.stringify(good.checks));
      assert.deepEqual(good.missingPermissions, []);
      const bad = await h.badCredentials.testConnection(options);
      assert.equal(bad.ok, false);
      assert.ok(bad.checks.some((check) => !check.ok && check.message.length > 10));
    });

    it('fails a pull with bad credentials instead of returning nothing', async () => {
      await assert.rejects(collect(h.badCredentials.pull(null, options)));
    });
  });
}
