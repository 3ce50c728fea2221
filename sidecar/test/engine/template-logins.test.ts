// Logins made by an attribute map template in scheduled pulls: two different people whose
// names give the same login both get a WordPress user (name, name-2, name-3 …), the suffixed
// login stays theirs on later runs, the same person is never given a second account, and a
// create replayed after a crash updates the user it made.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Harness } from './harness.js';
import { harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A harness whose attribute map makes the login `{givenName}.{familyName}`. */
async function templated(options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const current = await harness({ emulator: { users: 2 }, ...options });
  const map = current.wordpress.config.attributeMap;
  const row = map.findIndex((entry) => entry.target === 'user_login');
  map[row] = {
    source: '',
    target: 'user_login',
    direction: 'inbound',
    transform: 'template',
    default: null,
    template: '{name.givenName}.{name.familyName}',
  };
  return current;
}

/** Adds a John Smith to the directory; `n` tells them apart. */
function johnSmith(current: Harness, n: number, mail = `john.smith${n}@contoso.example.com`) {
  return current.emulator.directory.createUser({
    userPrincipalName: `jsmith${n}@contoso.onmicrosoft.com`,
    mail,
    givenName: 'John',
    surname: 'Smith',
    displayName: `John Smith (${n})`,
  });
}

function loginOf(current: Harness, externalId: string): string | undefined {
  return current.wordpress.byExternalId('contoso', externalId)?.login;
}

describe('templated logins in scheduled pulls', () => {
  it('gives people with the same templated login name-2 and name-3, and keeps them', async () => {
    h = await templated();
    const first = johnSmith(h, 1);
    const second = johnSmith(h, 2);
    const third = johnSmith(h, 3);
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.failed, 0, JSON.stringify(run.details.failures));
    assert.equal(run.counts.created, 5);
    assert.equal(loginOf(h, first.id), 'John.Smith');
    assert.equal(loginOf(h, second.id), 'John.Smith-2');
    assert.equal(loginOf(h, third.id), 'John.Smith-3');
    assert.equal(h.wordpress.byExternalId('contoso', second.id)?.email, second.props.mail);
    // The run report names the login WordPress holds.
    const reported = run.details.changes.find((change) => change.externalId === third.id);
    assert.equal(reported?.login, 'John.Smith-3');
    const states = await h.store.getSyncStates('contoso', [second.id, third.id]);
    for (const person of [second, third]) {
      const state = states.get(person.id);
      assert.equal(state?.status, 'active');
      assert.equal(state?.wpUserId, h.wordpress.byExternalId('contoso', person.id)?.id);
    }

    // Nothing changed: no write, neither incrementally nor on a full scan.
    const requests = h.wordpress.requests.length;
    const writes = h.wordpress.writes;
    const again = await h.sync();
    assert.equal(again.state, 'succeeded', again.error ?? '');
    const full = await h.sync({ full: true });
    assert.equal(full.counts.unchanged, 5);
    assert.equal(full.counts.failed, 0);
    assert.equal(h.wordpress.writes, writes, 'no write');
    assert.equal(h.wordpress.requests.length, requests, 'no WordPress request');

    // A change of another attribute updates the user, who keeps the suffixed login.
    h.emulator.directory.updateUser(second.id, { jobTitle: 'Second Smith' });
    const changed = await h.sync();
    assert.equal(changed.counts.failed, 0, JSON.stringify(changed.details.failures));
    assert.equal(changed.counts.updated, 1);
    const wp = h.wordpress.byExternalId('contoso', second.id);
    assert.equal(wp?.meta.title, 'Second Smith');
    assert.equal(wp?.login, 'John.Smith-2');
    assert.equal(loginOf(h, first.id), 'John.Smith');
    const writesAfter = h.wordpress.writes;
    const quiet = await h.sync({ full: true });
    assert.equal(quiet.counts.failed, 0);
    assert.equal(h.wordpress.writes, writesAfter, 'the kept login is not written again');
  });

  it('gives up after the last suffix, naming the logins it tried', async () => {
    h = await templated();
    const people = [1, 2, 3, 4, 5, 6].map((n) => johnSmith(h!, n));
    const run = await h.sync();
    assert.equal(run.counts.created, 7);
    assert.equal(run.counts.failed, 1);
    const failure = run.details.failures[0]!;
    assert.equal(failure.code, 'usersync_login_exists');
    assert.equal(failure.login, 'John.Smith');
    assert.equal(
      failure.message,
      'The logins "John.Smith", "John.Smith-2", "John.Smith-3", "John.Smith-4", ' +
        '"John.Smith-5" all belong to other WordPress users.',
    );
    // Which of the six comes last depends on the order the batches finish in.
    const refused = people.find((person) => person.id === failure.externalId);
    assert.ok(refused, 'the failure is one of the John Smiths');
    assert.equal(h.wordpress.byExternalId('contoso', refused.id), undefined);
    const logins = people
      .filter((person) => person !== refused)
      .map((person) => loginOf(h!, person.id))
      .sort();
    assert.deepEqual(logins, [
      'John.Smith',
      'John.Smith-2',
      'John.Smith-3',
      'John.Smith-4',
      'John.Smith-5',
    ]);
  });

  it('does not suffix the login of a person who already has an account (same email)', async () => {
    h = await templated();
    // An account of the same person the sync did not create, and may not change.
    const existing = h.wordpress.addUser({
      login: 'John.Smith',
      email: 'john.smith1@contoso.example.com',
    });
    const person = johnSmith(h, 1);
    const other = johnSmith(h, 2);
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(loginOf(h, other.id), 'John.Smith-2', 'a different person is suffixed');
    assert.equal(run.counts.failed, 1, JSON.stringify(run.details.failures));
    assert.equal(run.details.failures[0]?.externalId, person.id);
    assert.equal(
      run.details.failures[0]?.message,
      'The WordPress user "John.Smith" has this person\'s login and email, but syncs may not ' +
        'change users they did not create (deprovisioning policy).',
    );
    assert.equal(h.wordpress.byExternalId('contoso', person.id), undefined);
    assert.equal(existing.links.size, 0, 'the existing account is left alone');

    // Another directory account with the email of a linked user: the same person again.
    const twin = johnSmith(h, 3, 'john.smith2@contoso.example.com');
    const next = await h.sync();
    const failure = next.details.failures.find((f) => f.externalId === twin.id);
    assert.equal(
      failure?.message,
      'The email "john.smith2@contoso.example.com" belongs to the WordPress user ' +
        '"John.Smith-2", another user of this source; no second account is made for this person.',
    );
    assert.equal(h.wordpress.byExternalId('contoso', twin.id), undefined);
    assert.equal(h.wordpress.users.size, 4, 'two seeded users, the existing one, John Smith 2');

    // Once syncs may change unlinked users, the same person's account is adopted, unsuffixed.
    h.wordpress.config.deprovision.touchUnlinked = true;
    const adopted = await h.sync({ full: true });
    assert.equal(h.wordpress.byExternalId('contoso', person.id)?.id, existing.id);
    assert.equal(loginOf(h, person.id), 'John.Smith');
    assert.equal(adopted.counts.failed, 1, 'the twin is still refused');
    assert.equal(h.wordpress.users.size, 4);
  });

  it('updates, never duplicates, a suffixed user whose create is replayed after a crash', async () => {
    h = await templated();
    const first = johnSmith(h, 1);
    const second = johnSmith(h, 2);
    // WordPress creates John.Smith-2, but the answer is lost and the run fails.
    h.wordpress.beforeBatch = (operations) => {
      if (operations.some((op) => op.user?.login === 'John.Smith-2')) {
        h!.wordpress.failure = {
          error: new Error('socket hang up'),
          afterApply: true,
          remaining: 1,
        };
      }
    };
    const failed = await h.sync();
    assert.equal(failed.state, 'failed');
    assert.equal(loginOf(h, second.id), 'John.Smith-2');
    h.wordpress.beforeBatch = null;
    h.wordpress.failure = null;

    const resumed = await h.sync();
    assert.equal(resumed.state, 'succeeded', resumed.error ?? '');
    assert.equal(resumed.counts.failed, 0, JSON.stringify(resumed.details.failures));
    assert.equal(h.wordpress.users.size, 4, 'no second user for the replayed create');
    assert.equal(loginOf(h, first.id), 'John.Smith');
    assert.equal(loginOf(h, second.id), 'John.Smith-2', 'not renamed to the planned login');
    // The replayed create became an update of the linked user that leaves its login alone.
    const sent = h.wordpress.requests
      .flatMap((request) => request.operations)
      .filter((op) => op.action === 'update');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.id, h.wordpress.byExternalId('contoso', second.id)?.id);
    assert.equal(sent[0]!.user?.login, undefined);
    const state = (await h.store.getSyncStates('contoso', [second.id])).get(second.id);
    assert.equal(state?.wpUserId, h.wordpress.byExternalId('contoso', second.id)?.id);
    assert.equal(state?.status, 'active');

    const writes = h.wordpress.writes;
    const quiet = await h.sync({ full: true });
    assert.equal(quiet.counts.failed, 0);
    assert.equal(h.wordpress.writes, writes, 'nothing left to write');
  });
});
