<?php
/**
 * Checks of usersync/v1/users/refresh and usersync/v1/users/<id>/push: who may call them,
 * what they refuse, and what each kind of link allows (here without a sidecar: a directory
 * pull fails with the reason, a SCIM link is skipped and says why, an unlinked user is
 * skipped).
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Connection;
use UserSync\Connections;

check(
	'users/refresh: site admins only; either users or externalIds (with their connection)',
	static function (): void {
		$admin  = make_user( 'administrator' );
		$editor = make_user( 'editor' );
		$user   = make_user( 'subscriber' );
		same( 403, rest( $editor, 'POST', '/users/refresh', array( 'users' => array( $user ) ) )['status'], 'editor refused' );
		same( 401, rest( 0, 'POST', '/users/refresh', array( 'users' => array( $user ) ) )['status'], 'anonymous refused' );
		same( 400, rest( $admin, 'POST', '/users/refresh', array() )['status'], 'neither' );
		same( 400, rest( $admin, 'POST', '/users/refresh', array( 'users' => array( $user ), 'externalIds' => array( 'x' ), 'connection' => 'a' ) )['status'], 'both' );
		same( 400, rest( $admin, 'POST', '/users/refresh', array( 'externalIds' => array( 'x' ) ) )['status'], 'externalIds without a connection' );
		same( 400, rest( $admin, 'POST', '/users/refresh', array( 'users' => range( 1, 101 ) ) )['status'], 'at most 100 users' );
		same( 400, rest( $admin, 'POST', '/users/refresh', array( 'users' => array( $user ), 'connection' => 'Not A Slug' ) )['status'], 'connection pattern' );
		$scim = rest( $admin, 'POST', '/users/refresh', array( 'externalIds' => array( 'x' ), 'connection' => connection() ) );
		same( 409, $scim['status'], 'only directory connections can be pulled by external id' );
		same( 'usersync_cannot_pull', $scim['data']['code'], 'code' );
		same( 403, rest( $editor, 'POST', '/users/' . $user . '/push', array( 'target' => 'child' ) )['status'], 'push: editor refused' );
		same( 404, rest( $admin, 'POST', '/users/' . $user . '/push', array( 'target' => 'no-such-peer' ) )['status'], 'push: unknown peer' );
	}
);

check(
	'users/refresh: a result per user — SCIM links skipped with the reason, unlinked users skipped, a directory pull without a sidecar failed with why',
	static function (): void {
		$admin    = make_user( 'administrator' );
		$scim     = make_user( 'subscriber' );
		$unlinked = make_user( 'subscriber' );
		$pulled   = make_user( 'subscriber' );
		$idp      = connection();
		$entra    = connection();
		update_user_meta( $scim, Connection::link_key( $idp ), 'ext-scim' );
		update_user_meta( $pulled, Connection::link_key( $entra ), 'ext-pulled' );
		$stored = get_option( Connections::OPTION, array() );
		update_option(
			Connections::OPTION,
			array(
				$entra => array(
					'slug'      => $entra,
					'name'      => 'Entra test',
					'type'      => 'microsoft-graph',
					'createdAt' => gmdate( 'c' ),
				),
			) + ( is_array( $stored ) ? $stored : array() )
		);
		try {
			$answer = rest( $admin, 'POST', '/users/refresh', array( 'users' => array( $scim, $unlinked, $pulled ) ) );
		} finally {
			update_option( Connections::OPTION, $stored );
		}
		same( 200, $answer['status'], 'status' );
		same( array( 0, 2, 1 ), array( $answer['data']['synced'], $answer['data']['skipped'], $answer['data']['failed'] ), 'counts' );
		$by_user = array_column( $answer['data']['results'], null, 'userId' );
		same( 'skipped', $by_user[ $scim ]['outcome'], 'SCIM link skipped' );
		ok( false !== strpos( (string) $by_user[ $scim ]['message'], 'can\'t be pulled' ), 'says why: ' . $by_user[ $scim ]['message'] );
		same( 'skipped', $by_user[ $unlinked ]['outcome'], 'unlinked skipped' );
		same( 'Not linked to a source.', $by_user[ $unlinked ]['message'], 'says so' );
		same( 'failed', $by_user[ $pulled ]['outcome'], 'pull failed' );
		// This site's sidecar is not running: the relay's reason reaches the admin.
		ok( 1 === preg_match( '/^Entra test: The sidecar (could not be reached|is not configured)/', (string) $by_user[ $pulled ]['message'] ), 'says why: ' . $by_user[ $pulled ]['message'] );
	}
);
