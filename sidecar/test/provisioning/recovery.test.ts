// The one collision planner SCIM writes and scheduled pulls execute: named cases of a
// refused create, the accounts found, and the step each writer's rules give.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRecovery } from '../../src/provisioning/index.js';
import type {
  CollisionFacts,
  FoundAccount,
  RecoveryRules,
  RefusedWrite,
} from '../../src/provisioning/index.js';

const write = (extra: Partial<RefusedWrite> = {}): RefusedWrite => ({
  code: 'usersync_login_exists',
  externalId: 'e1',
  userName: 'anna@contoso.com',
  plannedLogin: 'anna@contoso.com',
  login: 'anna@contoso.com',
  email: 'anna@contoso.com',
  attempt: 0,
  adopting: false,
  ...extra,
});
const account = (extra: Partial<FoundAccount> = {}): FoundAccount => ({
  id: 7,
  login: 'anna@contoso.com',
  linked: false,
  externalId: null,
  roles: ['subscriber'],
  ...extra,
});
const none: CollisionFacts = { linked: null, loginHolder: null, emailHolder: null };
const scim: RecoveryRules = { replay: 'refuse' };
const pull = (touchUnlinked: boolean): RecoveryRules => ({
  replay: 'update',
  policy: { touchUnlinked, touchAdministrators: false },
});

describe('collision recovery', () => {
  it('a replayed create: pulls update the linked user, SCIM answers 409 externalId', () => {
    const facts = { ...none, linked: account({ linked: true, externalId: 'e1' }) };
    assert.equal(planRecovery(write(), facts, pull(false)).step, 'update-linked');
    assert.deepEqual(planRecovery(write(), facts, scim), {
      step: 'refuse',
      uniqueness: 'externalId',
      message: 'The external id "e1" is already a user of this connection.',
    });
  });

  it('the userName’s own login held by an unlinked account: adopt it (policy permitting)', () => {
    const facts = { ...none, loginHolder: account() };
    assert.deepEqual(planRecovery(write(), facts, scim), {
      step: 'adopt',
      account: facts.loginHolder,
      by: 'login',
    });
    assert.equal(planRecovery(write(), facts, pull(true)).step, 'adopt');
    const refused = planRecovery(write(), facts, pull(false));
    assert.equal(refused.step, 'refuse');
    assert.match(
      (refused as { message: string }).message,
      /has this person's login, but syncs may not change users they did not create/,
    );
  });

  it('an administrator is never adopted by a pull while administrators are protected', () => {
    const facts = { ...none, loginHolder: account({ roles: ['administrator'] }) };
    assert.equal(planRecovery(write(), facts, pull(true)).step, 'refuse');
  });

  it('a templated login held by someone else, email free: the next suffix, within 60', () => {
    const templated = write({ plannedLogin: 'John.Smith', login: 'John.Smith' });
    const facts = { ...none, loginHolder: account({ login: 'John.Smith' }) };
    for (const rules of [scim, pull(true), pull(false)])
      assert.deepEqual(planRecovery(templated, facts, rules), {
        step: 'suffix',
        login: 'John.Smith-2',
        attempt: 1,
      });
    const long = 'x'.repeat(60);
    const step = planRecovery(write({ plannedLogin: long, login: long }), none, scim);
    assert.equal(step.step, 'suffix');
    assert.equal((step as { login: string }).login.length, 60);
  });

  it('after five logins: refused, naming them', () => {
    const step = planRecovery(
      write({ plannedLogin: 'John.Smith', login: 'John.Smith-5', attempt: 4 }),
      { ...none, loginHolder: account({ login: 'John.Smith-5' }) },
      pull(true),
    );
    assert.deepEqual(step, {
      step: 'refuse',
      uniqueness: null,
      message:
        'The logins "John.Smith", "John.Smith-2", "John.Smith-3", "John.Smith-4", "John.Smith-5" all belong to other WordPress users.',
    });
  });

  it('the login names one account and the email another: refused, never merged', () => {
    const facts = { ...none, loginHolder: account(), emailHolder: account({ id: 8, login: 'x' }) };
    for (const rules of [scim, pull(true)]) {
      const step = planRecovery(write(), facts, rules);
      assert.equal(step.step, 'refuse');
      assert.equal((step as { uniqueness: unknown }).uniqueness, 'email');
    }
  });

  it('an email held by another user of this source: refused for both writers', () => {
    const facts = {
      ...none,
      emailHolder: account({ id: 9, login: 'anna-2', linked: true, externalId: 'e9' }),
    };
    const templated = write({ code: 'usersync_email_exists', plannedLogin: 'Anna.Lee' });
    for (const rules of [scim, pull(true)])
      assert.deepEqual(planRecovery(templated, facts, rules), {
        step: 'refuse',
        uniqueness: 'email',
        message:
          'The email "anna@contoso.com" belongs to the WordPress user "anna-2", another user of ' +
          'this source; no second account is made for this person.',
      });
  });

  it('an adopting update whose login someone else holds: the next suffix', () => {
    const adopting = write({ adopting: true, plannedLogin: 'Anna.Lee', login: 'Anna.Lee' });
    const facts = { ...none, loginHolder: account({ login: 'Anna.Lee', id: 3 }) };
    assert.deepEqual(planRecovery(adopting, facts, scim), {
      step: 'suffix',
      login: 'Anna.Lee-2',
      attempt: 1,
    });
  });
});
