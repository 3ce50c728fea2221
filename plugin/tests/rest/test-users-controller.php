<?php
/**
 * Checks of usersync/v1/users and usersync/v1/users/batch.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Login_Guard;

check(
	'users/batch: create links the user, answers a snapshot, writes one audit and one outbox row',
	static function (): void {
		global $wpdb;
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$outbox     = (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}usersync_outbox" );

		$results = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'    => 'a',
					'action' => 'create',
					'user'   => array(
						'login'      => $connection . '-ann',
						'email'      => $connection . '-ann@example.test',
						'firstName'  => 'Ann & Co',
						'externalId' => 'ext-ann',
						'meta'       => array( 'department' => 'Sales' ),
						'scim'       => array( 'userName' => 'ann' ),
					),
				),
			)
		);
		$result = $results[0];
		same( true, $result['ok'], 'ok' );
		same( 'created', $result['status'], 'status' );
		same( 'ext-ann', $result['user']['externalId'], 'externalId' );
		same( true, $result['user']['linked'], 'linked' );
		same( $connection, $result['user']['createdBy'], 'createdBy' );
		same( array( 'subscriber' ), $result['user']['roles'], 'default role' );
		same( 'Ann & Co', $result['user']['firstName'], 'firstName round-trips' );
		same( 'Sales', $result['user']['meta']['department'], 'meta' );
		same( array( 'userName' => 'ann' ), $result['user']['scim'], 'scim' );
		ok( 1 === preg_match( '/^W\/"[0-9a-f]{16}"$/', $result['user']['version'] ), 'version is a weak ETag' );

		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT action, origin FROM {$wpdb->prefix}usersync_outbox WHERE id > %d AND user_id = %d", $outbox, $result['user']['id'] ) );
		same( 1, count( $rows ), 'one outbox row' );
		same( array( 'create', $connection ), array( $rows[0]->action, $rows[0]->origin ), 'outbox action and origin' );
		$audit = $wpdb->get_results( $wpdb->prepare( "SELECT action, result, actor FROM {$wpdb->prefix}usersync_audit WHERE source = %s", 'test:' . $connection ) );
		same( 1, count( $audit ), 'one audit row' );
		same( array( 'create', 'success', 'sidecar' ), array( $audit[0]->action, $audit[0]->result, $audit[0]->actor ), 'audit row' );
	}
);

check(
	'users/batch: uniqueness conflicts answer 409 and the others are applied',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$login      = $connection . '-bo';
		$cases      = array(
			'same login, other case' => array( 'login' => strtoupper( $login ), 'email' => 'x1-' . $login . '@example.test', 'expect' => 'usersync_login_exists' ),
			'same email, other case' => array( 'login' => $login . '2', 'email' => strtoupper( $login ) . '@EXAMPLE.TEST', 'expect' => 'usersync_email_exists' ),
			'same external id'       => array( 'login' => $login . '3', 'email' => 'x3-' . $login . '@example.test', 'externalId' => 'ext-bo', 'expect' => 'usersync_external_id_exists' ),
		);
		$operations = array(
			array(
				'ref'    => 'first',
				'action' => 'create',
				'user'   => array( 'login' => $login, 'email' => $login . '@example.test', 'externalId' => 'ext-bo' ),
			),
		);
		foreach ( $cases as $name => $case ) {
			$expect = $case['expect'];
			unset( $case['expect'] );
			$operations[] = array( 'ref' => $name, 'action' => 'create', 'user' => $case );
		}
		$operations[] = array(
			'ref'    => 'last',
			'action' => 'create',
			'user'   => array( 'login' => $login . '-last', 'email' => $login . '-last@example.test' ),
		);

		$results = user_batch( $service, $connection, $operations );
		same( 'created', $results[0]['status'], 'first' );
		$index = 1;
		foreach ( $cases as $name => $case ) {
			same( false, $results[ $index ]['ok'], $name );
			same( 409, $results[ $index ]['error']['status'], $name );
			same( $case['expect'], $results[ $index ]['error']['code'], $name );
			same( 'uniqueness', $results[ $index ]['error']['scimType'], $name );
			++$index;
		}
		same( 'created', $results[ $index ]['status'], 'the operation after the conflicts' );
	}
);

check(
	'users/batch: a failure half-way through an operation rolls all of it back',
	static function (): void {
		global $wpdb;
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$created    = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'    => '0',
					'action' => 'create',
					'user'   => array( 'login' => $connection . '-cy', 'email' => $connection . '-cy@example.test', 'firstName' => 'Cy', 'meta' => array( 'department' => 'A' ) ),
				),
			)
		)[0]['user'];
		$id = $created['id'];

		// Another plugin fails after the profile is saved but before the operation ends.
		$explode = static function ( $meta_id, $user_id, $key ) use ( $id ): void {
			if ( (int) $user_id === $id && 'department' === $key ) {
				throw new \RuntimeException( 'boom' );
			}
		};
		add_action( 'updated_user_meta', $explode, 10, 3 );
		$outbox  = (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}usersync_outbox" );
		$results = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'    => 'bad',
					'action' => 'update',
					'id'     => $id,
					'user'   => array( 'login' => $connection . '-cy-renamed', 'firstName' => 'Changed', 'email' => $connection . '-changed@example.test', 'meta' => array( 'department' => 'B' ) ),
				),
				array(
					'ref'    => 'good',
					'action' => 'update',
					'id'     => $id,
					'user'   => array( 'nickname' => 'cy' ),
				),
			)
		);
		remove_action( 'updated_user_meta', $explode, 10 );

		same( false, $results[0]['ok'], 'the failing operation' );
		same( 500, $results[0]['error']['status'], 'its status' );
		same( 'updated', $results[1]['status'], 'the next operation still runs' );
		same( $connection . '-cy', $results[1]['user']['login'], 'login rolled back' );
		same( 'Cy', $results[1]['user']['firstName'], 'first name rolled back' );
		same( $created['email'], $results[1]['user']['email'], 'email rolled back' );
		same( 'A', $results[1]['user']['meta']['department'], 'meta rolled back' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT user_login, user_email FROM {$wpdb->users} WHERE ID = %d", $id ) );
		same( array( $connection . '-cy', $created['email'] ), array( $row->user_login, $row->user_email ), 'database row' );
		$changes = $wpdb->get_col( $wpdb->prepare( "SELECT changed FROM {$wpdb->prefix}usersync_outbox WHERE id > %d AND user_id = %d", $outbox, $id ) );
		same( array( '["nickname"]' ), $changes, 'only the good operation reached the outbox' );
	}
);

check(
	'users/batch: an update that changes nothing writes nothing; ifMatch mismatch is 412',
	static function (): void {
		global $wpdb;
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$user       = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'    => '0',
					'action' => 'create',
					'user'   => array( 'login' => $connection . '-di', 'email' => $connection . '-di@example.test', 'displayName' => 'Di <b>&</b> Co', 'url' => 'example.com/di', 'password' => 'pa"ss\\word' ),
				),
			)
		)[0]['user'];
		$outbox  = (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}usersync_outbox" );
		$results = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'     => 'same',
					'action'  => 'update',
					'id'      => $user['id'],
					'ifMatch' => $user['version'],
					'user'    => array( 'email' => $user['email'], 'displayName' => 'Di <b>&</b> Co', 'url' => 'example.com/di', 'password' => 'pa"ss\\word' ),
				),
				array(
					'ref'     => 'stale',
					'action'  => 'update',
					'id'      => $user['id'],
					'ifMatch' => 'W/"0000000000000000"',
					'user'    => array( 'firstName' => 'X' ),
				),
			)
		);
		same( 'unchanged', $results[0]['status'], 'unchanged' );
		same( $user['version'], $results[0]['user']['version'], 'version kept' );
		same( 412, $results[1]['error']['status'], 'stale ifMatch' );
		same( 'usersync_precondition_failed', $results[1]['error']['code'], 'stale ifMatch code' );
		same( 0, (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->prefix}usersync_outbox WHERE id > %d", $outbox ) ), 'no outbox row' );
		ok( ! is_wp_error( wp_authenticate( $user['login'], wp_slash( 'pa"ss\\word' ) ) ), 'the password set on create signs in' );
	}
);

check(
	'users/batch: deprovision disables (no roles, no login), reactivate restores the roles',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$user       = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'    => '0',
					'action' => 'create',
					'user'   => array( 'login' => $connection . '-ed', 'email' => $connection . '-ed@example.test', 'password' => 'secret-ed', 'roles' => array( 'editor', 'author' ) ),
				),
			)
		)[0]['user'];
		same( array( 'editor', 'author' ), $user['roles'], 'roles on create' );

		$results = user_batch( $service, $connection, array( array( 'ref' => 'd', 'action' => 'deprovision', 'id' => $user['id'] ) ) );
		same( 'disabled', $results[0]['status'], 'disabled' );
		same( array(), $results[0]['user']['roles'], 'no roles while disabled' );
		same( false, $results[0]['user']['active'], 'inactive' );
		$login = wp_authenticate( $user['login'], 'secret-ed' );
		ok( is_wp_error( $login ) && 'usersync_disabled' === $login->get_error_code(), 'login refused with usersync_disabled' );
		ok( Login_Guard::is_disabled( $user['id'] ), 'marked disabled' );

		$results = user_batch( $service, $connection, array( array( 'ref' => 'r', 'action' => 'reactivate', 'id' => $user['id'] ) ) );
		same( 'reactivated', $results[0]['status'], 'reactivated' );
		same( array( 'editor', 'author' ), $results[0]['user']['roles'], 'roles restored' );
		ok( ! is_wp_error( wp_authenticate( $user['login'], 'secret-ed' ) ), 'login works again' );
	}
);

check(
	'users/batch: delete follows the policy (disable + unlink, or delete with reassignment)',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$heir       = make_user( 'editor' );
		$users      = user_batch(
			$service,
			$connection,
			array(
				array( 'ref' => '0', 'action' => 'create', 'user' => array( 'login' => $connection . '-f1', 'email' => $connection . '-f1@example.test', 'externalId' => 'f1' ) ),
				array( 'ref' => '1', 'action' => 'create', 'user' => array( 'login' => $connection . '-f2', 'email' => $connection . '-f2@example.test' ) ),
			)
		);
		$keep = $users[0]['user']['id'];
		$gone = $users[1]['user']['id'];

		$results = user_batch( $service, $connection, array( array( 'ref' => 'x', 'action' => 'delete', 'id' => $keep ) ) );
		same( 'deleted', $results[0]['status'], 'status under the disable policy' );
		same( false, $results[0]['user']['linked'], 'unlinked' );
		same( false, $results[0]['user']['active'], 'disabled' );
		$again = rest( $service, 'GET', '/users', array( 'connection' => $connection, 'external_id' => 'f1' ) );
		same( 0, $again['data']['total'], 'no longer found by external id' );

		$config = rest( (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0], 'PUT', '/config', array( 'deprovision' => array( 'action' => 'delete', 'reassignTo' => $heir ) ) );
		same( 200, $config['status'], 'policy stored' );
		$post    = wp_insert_post( array( 'post_title' => 'Owned', 'post_status' => 'publish', 'post_author' => $gone ) );
		$results = user_batch( $service, $connection, array( array( 'ref' => 'y', 'action' => 'deprovision', 'id' => $gone ) ) );
		same( 'deleted', $results[0]['status'], 'status under the delete policy' );
		same( null, $results[0]['user'], 'no snapshot of a deleted user' );
		same( false, get_userdata( $gone ), 'user deleted' );
		same( $heir, (int) get_post( $post )->post_author, 'content reassigned' );
		wp_delete_post( $post, true );
	}
);

check(
	'users/batch: administrators and unlinked users are out of reach; administrator is never granted',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$admin      = make_user( 'administrator' );
		$local      = make_user( 'subscriber' );
		add_user_meta( $admin, 'usersync_link_' . $connection, 'adm' );

		$results = user_batch(
			$service,
			$connection,
			array(
				array( 'ref' => 'admin', 'action' => 'deprovision', 'id' => $admin ),
				array( 'ref' => 'local', 'action' => 'update', 'id' => $local, 'user' => array( 'firstName' => 'X' ) ),
				array( 'ref' => 'grant', 'action' => 'create', 'user' => array( 'login' => $connection . '-g', 'roles' => array( 'administrator' ) ) ),
				array( 'ref' => 'caps', 'action' => 'create', 'user' => array( 'login' => $connection . '-h', 'meta' => array( 'wp_capabilities' => array( 'administrator' => true ) ) ) ),
			)
		);
		same( array( 403, 'usersync_administrator_protected' ), array( $results[0]['error']['status'], $results[0]['error']['code'] ), 'administrator' );
		same( array( 404, 'usersync_not_found' ), array( $results[1]['error']['status'], $results[1]['error']['code'] ), 'unlinked' );
		same( array( 400, 'usersync_invalid_role' ), array( $results[2]['error']['status'], $results[2]['error']['code'] ), 'administrator role' );
		same( array( 400, 'usersync_invalid_meta_key' ), array( $results[3]['error']['status'], $results[3]['error']['code'] ), 'capabilities meta' );
		same( array( 'administrator' ), array_values( get_userdata( $admin )->roles ), 'administrator untouched' );
	}
);

check(
	'users: filters by connection, link, login and email (case-insensitive)',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		user_batch(
			$service,
			$connection,
			array(
				array( 'ref' => '0', 'action' => 'create', 'user' => array( 'login' => $connection . '-ivy', 'email' => $connection . '-ivy@example.test', 'externalId' => 'ivy' ) ),
			)
		);
		$cases = array(
			'linked'      => array( array( 'connection' => $connection, 'linked' => 1 ), 1 ),
			'external id' => array( array( 'connection' => $connection, 'external_id' => 'ivy' ), 1 ),
			'login'       => array( array( 'login' => strtoupper( $connection . '-ivy' ) ), 1 ),
			'email'       => array( array( 'email' => strtoupper( $connection . '-ivy@example.test' ) ), 1 ),
			'other link'  => array( array( 'connection' => $connection . 'x', 'linked' => 1 ), 0 ),
		);
		foreach ( $cases as $name => $case ) {
			$response = rest( $service, 'GET', '/users', $case[0] );
			same( 200, $response['status'], $name );
			same( $case[1], $response['data']['total'], $name );
		}
		same( 400, rest( $service, 'GET', '/users', array( 'linked' => 1 ) )['status'], 'linked needs a connection' );
	}
);
