// ScimService's PATCH under concurrency, against a repository that loses version races on
// demand: a lost race is read again and re-applied, never a 412 for a client that sent no
// If-Match; PATCHes of one resource in this process run one at a time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScimError } from '../../src/scim/errors.js';
import { ScimError as Error412 } from '../../src/scim/errors.js';
import type {
  ResourceRepository,
  ScimContext,
  WriteOp,
  WriteResult,
} from '../../src/scim/repository.js';
import { USER_RESOURCE } from '../../src/scim/schemas/definitions.js';
import type { ScimResource } from '../../src/scim/schemas/model.js';
import { ScimService } from '../../src/scim/service.js';

const ctx: ScimContext = { connection: 'c', source: 'scim:test', baseUrl: 'http://x/scim/v2' };
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** One user whose writes fail with 412 while `races` > 0, like a write that lost the race. */
class RacingUsers implements ResourceRepository {
  readonly maxBatch = 100;
  races = 0;
  writes = 0;
  inFlight = 0;
  maxInFlight = 0;
  version = 1;
  user: ScimResource = {
    schemas: [USER_RESOURCE.schema.id],
    id: '7',
    userName: 'ann@example.com',
    meta: { resourceType: 'User', version: 'W/"1"' },
  };

  async get(_ctx: ScimContext, id: string) {
    return id === '7' ? structuredClone(this.user) : null;
  }
  async list() {
    return { total: 1, resources: [structuredClone(this.user)] };
  }
  async write(_ctx: ScimContext, ops: WriteOp[]): Promise<WriteResult[]> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 2));
    this.inFlight--;
    this.writes++;
    const op = ops[0]!;
    if (op.action !== 'replace') throw new Error('unexpected');
    const current = (this.user.meta as { version: string }).version;
    if (this.races > 0 || (op.ifMatch && op.ifMatch !== current)) {
      this.races = Math.max(0, this.races - 1);
      return [{ ok: false, error: new Error412(412, undefined, 'changed') }];
    }
    this.version++;
    this.user = {
      ...op.resource,
      id: '7',
      meta: { resourceType: 'User', version: `W/"${this.version}"` },
    };
    return [{ ok: true, status: 'updated', resource: structuredClone(this.user) }];
  }
}

const service = (users: RacingUsers) => new ScimService({ users, groups: users });
const replace = (path: string, value: unknown) => ({
  schemas: [PATCH],
  Operations: [{ op: 'replace', path, value }],
});

describe('ScimService PATCH under concurrency', () => {
  it('a lost version race is read again and re-applied: 200, no 412 without If-Match', async () => {
    const users = new RacingUsers();
    users.races = 3;
    const resource = await service(users).patch(ctx, USER_RESOURCE, '7', replace('title', 'A'));
    assert.equal(resource.title, 'A');
    assert.equal(users.writes, 4);
  });

  it('races that never end: 503 with Retry-After, still no 412', async () => {
    const users = new RacingUsers();
    users.races = Number.POSITIVE_INFINITY;
    await assert.rejects(
      service(users).patch(ctx, USER_RESOURCE, '7', replace('title', 'A')),
      (e: ScimError) => e.status === 503 && e.headers['Retry-After'] === '1',
    );
  });

  it("the client's If-Match is the client's: a stale one is 412 at once", async () => {
    const users = new RacingUsers();
    await assert.rejects(
      service(users).patch(ctx, USER_RESOURCE, '7', replace('title', 'A'), 'W/"0"'),
      (e: ScimError) => e.status === 412,
    );
    assert.equal(users.writes, 0);
  });

  it('8 parallel PATCHes of one user run one at a time and all 8 changes are kept', async () => {
    const users = new RacingUsers();
    const scim = service(users);
    const paths = ['title', 'displayName', 'nickName', 'locale', 'timezone', 'profileUrl'];
    await Promise.all(
      paths.map((path, n) => scim.patch(ctx, USER_RESOURCE, '7', replace(path, `v${n}`))),
    );
    assert.equal(users.maxInFlight, 1);
    paths.forEach((path, n) => assert.equal(users.user[path], `v${n}`, path));
  });
});
