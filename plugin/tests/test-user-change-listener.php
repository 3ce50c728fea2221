<?php
/**
 * Checks of the outbox rows that changes made in WordPress itself produce.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Plugin;

/**
 * Outbox rows of a user after an id, as [action, changed, origin].
 *
 * @param int $user_id User.
 * @param int $after   Outbox id.
 * @return array<int, array{0: string, 1: string[], 2: string}>
 */
function outbox_rows( int $user_id, int $after ): array {
	global $wpdb;
	Plugin::outbox()->flush();
	$rows = $wpdb->get_results( $wpdb->prepare( "SELECT action, changed, origin FROM {$wpdb->prefix}usersync_outbox WHERE user_id = %d AND id > %d ORDER BY id", $user_id, $after ) );
	return array_map( static fn( $row ) => array( $row->action, json_decode( $row->changed, true ), $row->origin ), $rows );
}

check(
	'outbox: one row per local change, in the attribute map vocabulary, origin local',
	static function (): void {
		global $wpdb;
		$start = (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}usersync_outbox" );
		$id    = make_user( 'author' );
		same( 'create', outbox_rows( $id, $start )[0][0], 'create' );

		$cases = array(
			'profile save'    => array( static fn() => wp_update_user( array( 'ID' => $id, 'first_name' => 'New', 'user_email' => "changed-$id@example.test" ) ), array( 'update', array( 'first_name', 'user_email' ), 'local' ) ),
			'save, no change' => array( static fn() => wp_update_user( array( 'ID' => $id, 'first_name' => 'New' ) ), null ),
			'role change'     => array( static fn() => get_userdata( $id )->set_role( 'editor' ), array( 'update', array( 'roles' ), 'local' ) ),
			'custom meta'     => array( static fn() => update_user_meta( $id, 'department', 'Ops' ), array( 'update', array( 'meta:department' ), 'local' ) ),
			'screen options'  => array( static fn() => update_user_meta( $id, 'metaboxhidden_dashboard', array( 'x' ) ), null ),
			'password'        => array( static fn() => wp_update_user( array( 'ID' => $id, 'user_pass' => 'another-secret' ) ), array( 'password', array( 'password' ), 'local' ) ),
			'delete'          => array( static fn() => wp_delete_user( $id ), array( 'delete', array(), 'local' ) ),
		);
		foreach ( $cases as $name => $case ) {
			$before = (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}usersync_outbox" );
			$case[0]();
			same( null === $case[1] ? array() : array( $case[1] ), outbox_rows( $id, $before ), $name );
		}
	}
);
