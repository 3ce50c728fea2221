// SCIM attributes mapped to BuddyPress profile fields (`xprofile:<Field Name>`), checked up to
// the edge of BuddyPress. BuddyPress itself cannot be installed here (no network to
// wordpress.org), so the site gets a small stand-in must-use plugin that defines the four
// xprofile functions UserSync calls, with BuddyPress's signatures, over an option, saving
// values through the same kses, balance and nofollow filters BuddyPress does. What this
// proves: the configuration accepts the targets once the functions exist and refuses unknown
// fields, the batch route writes and clears the values through those functions inside the
// operation's transaction, snapshots and SCIM reads show them, and a value changed in
// WordPress (the stand-in fires BuddyPress's xprofile_data_after_save/_after_delete, as
// BP_XProfile_ProfileData does) becomes a change in the outbox. What it does not prove: that
// BuddyPress's real functions accept these values (field types, visibility, validation).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, restUrl, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { feed, latestChange, wpEval } from './peer-support.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

/** BuddyPress's xprofile API as far as UserSync uses it; values live in one option. */
const STAND_IN = `<?php
/**
 * Plugin Name: xprofile stand-in (tests only)
 * Description: The BuddyPress xprofile functions UserSync calls, over an option.
 */
const USERSYNC_TEST_XPROFILE_FIELDS = array( 'Cost Center' => 7, 'Division' => 8 );
function xprofile_get_field_id_from_name( $field_name ) {
	return USERSYNC_TEST_XPROFILE_FIELDS[ $field_name ] ?? 0;
}
function usersync_test_xprofile_id( $field ) {
	return is_numeric( $field ) ? (int) $field : xprofile_get_field_id_from_name( $field );
}
// What BuddyPress's xprofile_sanitize_data_value_before_save() does to a single value.
function usersync_test_xprofile_sanitize( $value ) {
	global $allowedtags;
	$tags             = $allowedtags;
	$tags['a']['rel'] = array();
	return trim( wp_rel_nofollow( force_balance_tags( wp_kses( $value, $tags ) ) ) );
}
function xprofile_set_field_data( $field, $user_id, $value, $is_required = false ) {
	$id = usersync_test_xprofile_id( $field );
	if ( ! $id || ! is_string( $value ) || 'refuse me' === $value ) {
		return false;
	}
	$data                     = get_option( 'usersync_test_xprofile', array() );
	$data[ $user_id ][ $id ] = usersync_test_xprofile_sanitize( $value );
	update_option( 'usersync_test_xprofile', $data );
	// BP_XProfile_ProfileData::save() passes itself (user_id, field_id, value).
	do_action_ref_array( 'xprofile_data_after_save', array( (object) array( 'user_id' => $user_id, 'field_id' => $id, 'value' => $data[ $user_id ][ $id ] ) ) );
	return true;
}
function xprofile_get_field( $field, $user_id = null, $get_data = true ) {
	$name = array_search( (int) $field, USERSYNC_TEST_XPROFILE_FIELDS, true );
	return false === $name ? null : (object) array( 'id' => (int) $field, 'name' => $name );
}
// BuddyPress's raw read (no display filters).
class BP_XProfile_ProfileData {
	public static function get_value_byid( $field_id, $user_ids = null ) {
		$data = get_option( 'usersync_test_xprofile', array() );
		return $data[ $user_ids ][ (int) $field_id ] ?? '';
	}
}
function xprofile_delete_field_data( $field = '', $user_id = 0 ) {
	$id   = usersync_test_xprofile_id( $field );
	$data = get_option( 'usersync_test_xprofile', array() );
	unset( $data[ $user_id ][ $id ] );
	update_option( 'usersync_test_xprofile', $data );
	// BP_XProfile_ProfileData::delete() passes itself too.
	do_action_ref_array( 'xprofile_data_after_delete', array( (object) array( 'user_id' => $user_id, 'field_id' => $id ) ) );
	return true;
}
function xprofile_get_field_data( $field, $user_id = 0, $multi_format = 'array' ) {
	global $allowedtags;
	$data = get_option( 'usersync_test_xprofile', array() );
	// BuddyPress's read filters: kses, balanced tags, no slashes.
	return stripslashes( force_balance_tags( wp_kses( $data[ $user_id ][ usersync_test_xprofile_id( $field ) ] ?? '', $allowedtags ) ) );
}
`;

let stack: Stack;

before(
  async () => {
    stack = await startStack({ name: 'scim-xprofile', tokenName: 'Okta' });
    fs.writeFileSync(
      path.join(stack.wordpress.dir, 'wp-content', 'mu-plugins', 'xprofile-stand-in.php'),
      STAND_IN,
    );
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

const scim = (method: string, route: string, body?: unknown) =>
  scimRequest(stack, method, route, body);

async function snapshot(id: string) {
  const connection = stack.sidecar.scimConnection ?? 'okta';
  const answer = await request<{ users: Json[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?connection=${connection}&id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users[0];
}

async function auditCount(): Promise<number> {
  const answer = await request<Json[]>(`${restUrl(stack, 'usersync/v1/audit')}?per_page=1`, {
    basic: asAdmin(stack),
  });
  assert.equal(answer.status, 200, answer.text);
  return Number(answer.headers.get('x-wp-total'));
}

/** Audit entries written after there were `count`, newest first. */
async function auditSince(count: number): Promise<Json[]> {
  const total = await auditCount();
  if (total === count) return [];
  const answer = await request<Json[]>(
    `${restUrl(stack, 'usersync/v1/audit')}?per_page=${total - count}`,
    { basic: asAdmin(stack) },
  );
  return answer.body;
}

const row = (source: string, target: string) => ({
  source,
  target,
  direction: 'both',
  transform: 'none',
  default: null,
});

describe('BuddyPress profile fields through SCIM (stand-in xprofile functions)', () => {
  let id: string;

  test('the map accepts xprofile targets that name a field, and refuses others', async () => {
    const current = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
    });
    const refused = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      method: 'PUT',
      basic: asAdmin(stack),
      body: {
        attributeMap: [
          ...current.body.attributeMap,
          row(`${ENTERPRISE}:division`, 'xprofile:Nope'),
        ],
      },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.body.message, /no BuddyPress profile field named "Nope"/);
    const saved = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      method: 'PUT',
      basic: asAdmin(stack),
      body: {
        attributeMap: [
          ...current.body.attributeMap,
          row(`${ENTERPRISE}:costCenter`, 'xprofile:Cost Center'),
          row(`${ENTERPRISE}:division`, 'xprofile:Division'),
        ],
      },
    });
    assert.equal(saved.status, 200, saved.text);
  });

  test('create writes the fields; the snapshot and SCIM show them', async () => {
    const r = await scim('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      userName: 'dana@okta.example',
      emails: [{ value: 'dana@okta.example', primary: true }],
      [ENTERPRISE]: { costCenter: 'CC-100', division: 'Field Ops' },
    });
    assert.equal(r.status, 201, r.text);
    id = r.body.id;
    const user = await snapshot(id);
    assert.deepEqual(user.xprofile, { 'Cost Center': 'CC-100', Division: 'Field Ops' });
    assert.equal(r.body[ENTERPRISE].costCenter, 'CC-100');
  });

  test('a PATCH changes one field and a Remove clears the other', async () => {
    let r = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Replace', path: `${ENTERPRISE}:costCenter`, value: 'CC-200' },
        { op: 'Remove', path: `${ENTERPRISE}:division` },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await snapshot(id)).xprofile, { 'Cost Center': 'CC-200', Division: '' });
    r = await scim('GET', `/Users/${id}`);
    assert.deepEqual(r.body[ENTERPRISE], { costCenter: 'CC-200' });
  });

  test('values with &, <, > and quotes read back as sent; sending them again writes nothing', async () => {
    const value = `R&D Lead <EMEA> "North" O'Brien & Co &amp; a\\b`;
    let r = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: `${ENTERPRISE}:costCenter`, value }],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body[ENTERPRISE].costCenter, value);
    const stored = await snapshot(id);
    assert.equal(stored.xprofile['Cost Center'], value);
    r = await scim('GET', `/Users/${id}`);
    assert.equal(r.body[ENTERPRISE].costCenter, value);

    const since = await auditCount();
    r = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: `${ENTERPRISE}:costCenter`, value }],
    });
    assert.equal(r.status, 200, r.text);
    const again = await snapshot(id);
    assert.equal(again.version, stored.version, 'nothing changed');
    const entries = await auditSince(since);
    assert.deepEqual(
      entries.filter((entry: Json) => entry.result === 'success'),
      [],
      'no write was audited',
    );
  });

  test('a profile field changed in WordPress is a change in the outbox (real-time pushes see it)', async () => {
    const mark = await latestChange(stack);
    await wpEval(stack, `xprofile_set_field_data( 'Division', ${id}, 'North' );`);
    await wpEval(stack, `xprofile_delete_field_data( 'Cost Center', ${id} );`);
    const rows = (await feed(stack, mark)).changes.map((r) => [
      r.userId,
      r.action,
      r.changed,
      r.origin,
    ]);
    assert.deepEqual(rows, [
      [Number(id), 'update', ['xprofile:Division'], 'local'],
      [Number(id), 'update', ['xprofile:Cost Center'], 'local'],
    ]);
    const user = await snapshot(id);
    assert.equal(user.xprofile.Division, 'North');
  });

  test('a value the profile refuses fails the whole operation and writes nothing', async () => {
    const before = await snapshot(id);
    const r = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Replace', path: 'displayName', value: 'Dana Changed' },
        { op: 'Replace', path: `${ENTERPRISE}:costCenter`, value: 'refuse me' },
      ],
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.scimType, 'invalidValue');
    assert.match(r.body.detail, /BuddyPress refused "refuse me"/);
    const after = await snapshot(id);
    assert.deepEqual(after, before);
    assert.equal(after.version, before.version);
    assert.equal(after.displayName, before.displayName);
  });
});
