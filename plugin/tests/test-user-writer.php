<?php
/**
 * Checks of User_Writer: logins do not change after creation unless renameLogins is on.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Connection;
use UserSync\Plugin;

/**
 * Creates one linked user and answers its snapshot.
 *
 * @param int    $service    Service user.
 * @param string $connection Connection.
 * @param string $login      Login.
 * @return array<string, mixed>
 */
function writer_user( int $service, string $connection, string $login ): array {
	$result = user_batch(
		$service,
		$connection,
		array(
			array(
				'ref'    => 'new',
				'action' => 'create',
				'user'   => array( 'login' => $login, 'email' => strtolower( $login ) . '@example.test', 'externalId' => 'ext-' . $login ),
			),
		)
	)[0];
	same( true, $result['ok'], 'created: ' . wp_json_encode( $result ) );
	return $result['user'];
}

/**
 * Entries of the audit log about a user filter, as the admin reads them.
 *
 * @param string $user   User filter.
 * @param string $source Source.
 * @return array<int, array<string, mixed>>
 */
function writer_audit( string $user, string $source ): array {
	$admin    = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
	$response = rest( $admin, 'GET', '/audit', array( 'user' => $user, 'source' => $source, 'per_page' => 100 ) );
	same( 200, $response['status'], 'audit status' );
	return $response['data'];
}

/**
 * The users GET /users finds for one match condition on the login.
 *
 * @param int    $service    Service user.
 * @param string $connection Connection.
 * @param string $op         Operator.
 * @param string $value      Value.
 * @return int[]
 */
function writer_find_by_login( int $service, string $connection, string $op, string $value ): array {
	$response = rest(
		$service,
		'GET',
		'/users',
		array(
			'connection' => $connection,
			'match'      => array( array( array( 'attr' => 'login', 'op' => $op, 'value' => $value ) ) ),
		)
	);
	same( 200, $response['status'], 'users status' );
	return array_map( static fn( array $user ): int => (int) $user['id'], $response['data']['users'] );
}

check(
	'user writer: renameLogins is off by default and must be a boolean',
	static function (): void {
		same( false, Plugin::config()->get()['renameLogins'], 'default' );
		ok( is_wp_error( Plugin::config()->update( array( 'renameLogins' => 'sometimes' ) ) ), 'a non-boolean is refused' );
		$saved = Plugin::config()->update( array( 'renameLogins' => true ) );
		ok( ! is_wp_error( $saved ), 'true is stored' );
		same( true, Plugin::config()->get()['renameLogins'], 'read back' );
	}
);

check(
	'user writer: with renames off, a new login from the source is remembered, not applied',
	static function (): void {
		global $wpdb;
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$old        = $connection . '-grace.hopper@example.com';
		$new        = $connection . '-Grace.Hopper';
		$user       = writer_user( $service, $connection, $old );
		$id         = (int) $user['id'];
		$outbox     = (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}usersync_outbox" );

		$result = user_batch( $service, $connection, array( array( 'ref' => 'r', 'action' => 'update', 'id' => $id, 'user' => array( 'login' => $new ) ) ) )[0];
		same( true, $result['ok'], 'the update succeeds: ' . wp_json_encode( $result ) );
		same( 'updated', $result['status'], 'status' );
		same( $old, $result['user']['login'], 'login unchanged' );
		same( $new, $result['user']['sourceLogin'], 'the login the source asked for' );
		same( $old, (string) $wpdb->get_var( $wpdb->prepare( "SELECT user_login FROM {$wpdb->users} WHERE ID = %d", $id ) ), 'database row' );
		same( array(), $wpdb->get_col( $wpdb->prepare( "SELECT changed FROM {$wpdb->prefix}usersync_outbox WHERE id > %d AND user_id = %d", $outbox, $id ) ), 'nothing for the outbox' );

		// The source finds the user by the login it sent, and by the one WordPress kept.
		same( array( $id ), writer_find_by_login( $service, $connection, 'eq', strtoupper( $new ) ), 'eq the sent login' );
		same( array( $id ), writer_find_by_login( $service, $connection, 'sw', $connection . '-grace.h' ), 'sw' );
		same( array( $id ), writer_find_by_login( $service, $connection, 'eq', $old ), 'eq the kept login' );
		same( array(), writer_find_by_login( $service, connection(), 'eq', $new ), 'not through another connection' );

		$again = user_batch( $service, $connection, array( array( 'ref' => 'r', 'action' => 'update', 'id' => $id, 'user' => array( 'login' => $new ) ) ) )[0];
		same( 'unchanged', $again['status'], 'sending it again changes nothing' );
		same( $result['user']['version'], $again['user']['version'], 'same version' );

		$back = user_batch( $service, $connection, array( array( 'ref' => 'r', 'action' => 'update', 'id' => $id, 'user' => array( 'login' => $old ) ) ) )[0];
		same( 'updated', $back['status'], 'back to the kept login' );
		ok( ! isset( $back['user']['sourceLogin'] ), 'nothing to remember then' );
		ok( ! metadata_exists( 'user', $id, Connection::source_login_key( $connection ) ), 'meta removed' );
		same( $user['version'], $back['user']['version'], 'the version it had before' );
	}
);

check(
	'user writer: with renames on, the login follows the source and the audit log knows both',
	static function (): void {
		global $wpdb;
		Plugin::config()->update( array( 'renameLogins' => true ) );
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$old        = $connection . '-ada.lovelace@example.com';
		$new        = $connection . '-Ada.King';
		$user       = writer_user( $service, $connection, $old );
		$id         = (int) $user['id'];

		$result = user_batch( $service, $connection, array( array( 'ref' => 'r', 'action' => 'update', 'id' => $id, 'user' => array( 'login' => $new, 'firstName' => 'Ada' ) ) ) )[0];
		same( true, $result['ok'], 'the update succeeds: ' . wp_json_encode( $result ) );
		same( $new, $result['user']['login'], 'renamed' );
		same( $new, (string) $wpdb->get_var( $wpdb->prepare( "SELECT user_login FROM {$wpdb->users} WHERE ID = %d", $id ) ), 'database row' );

		$source  = 'test:' . $connection;
		$renames = array_values( array_filter( writer_audit( $new, $source ), static fn( array $e ): bool => 'update' === $e['action'] && in_array( 'user_login', $e['fields'], true ) ) );
		same( 1, count( $renames ), 'one rename entry under the new login' );
		same( $new, $renames[0]['userLogin'], 'audited under the new login' );
		ok( in_array( 'previous_login:' . $old, $renames[0]['fields'], true ), 'names the old login: ' . wp_json_encode( $renames[0]['fields'] ) );

		foreach ( array( 'old login' => $old, 'part of the old login' => 'ada.lovelace', 'new login' => $new, 'part of the new login' => 'Ada.King' ) as $name => $filter ) {
			$entries = writer_audit( $filter, $source );
			same( array( 'update', 'create' ), array_column( $entries, 'action' ), $name . ': both entries' );
			same( array( $id, $id ), array_column( $entries, 'userId' ), $name . ': of the user' );
		}

		// Taken logins are still refused with renames on.
		$other  = writer_user( $service, $connection, $connection . '-other' );
		$taken  = user_batch( $service, $connection, array( array( 'ref' => 'r', 'action' => 'update', 'id' => (int) $other['id'], 'user' => array( 'login' => $new ) ) ) )[0];
		same( false, $taken['ok'], 'a taken login is refused' );
		same( 409, $taken['error']['status'], 'as a conflict' );
	}
);

check(
	'user writer: turning renames on applies the remembered login on the next update',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$old        = $connection . '-linus';
		$new        = $connection . '-Linus.T';
		$user       = writer_user( $service, $connection, $old );
		$id         = (int) $user['id'];
		user_batch( $service, $connection, array( array( 'ref' => 'r', 'action' => 'update', 'id' => $id, 'user' => array( 'login' => $new ) ) ) );
		ok( metadata_exists( 'user', $id, Connection::source_login_key( $connection ) ), 'remembered' );

		Plugin::config()->update( array( 'renameLogins' => true ) );
		$result = user_batch( $service, $connection, array( array( 'ref' => 'r', 'action' => 'update', 'id' => $id, 'user' => array( 'login' => $new ) ) ) )[0];
		same( $new, $result['user']['login'], 'renamed' );
		ok( ! isset( $result['user']['sourceLogin'] ), 'nothing left to remember' );
		ok( ! metadata_exists( 'user', $id, Connection::source_login_key( $connection ) ), 'meta removed' );
	}
);
