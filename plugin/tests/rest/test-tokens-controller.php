<?php
/**
 * Checks of usersync/v1/tokens and usersync/v1/sidecar/tokens.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

check(
	'tokens: shown once, stored hashed, listed without secrets, revocable',
	static function (): void {
		$admin   = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
		$service = make_user( 'usersync_service' );
		$name    = 'Test ' . wp_generate_password( 8, false );

		$created = rest( $admin, 'POST', '/tokens', array( 'name' => $name ) );
		same( 201, $created['status'], 'created' );
		ok( 1 === preg_match( '/^us_[A-Za-z0-9_-]{43}$/', $created['data']['token'] ), 'token format' );
		same( substr( $created['data']['token'], 0, 7 ), $created['data']['prefix'], 'prefix' );
		same( 409, rest( $admin, 'POST', '/tokens', array( 'name' => strtoupper( $name ) ) )['status'], 'name taken' );
		same( 403, rest( $service, 'POST', '/tokens', array( 'name' => 'x' ) )['status'], 'service user may not create' );

		$listed = rest( $admin, 'GET', '/tokens' );
		$mine   = array_values( array_filter( $listed['data'], static fn( $t ) => $t['id'] === $created['data']['id'] ) );
		same( 1, count( $mine ), 'listed' );
		ok( ! isset( $mine[0]['token'] ) && ! isset( $mine[0]['hash'] ), 'no secret in the list' );

		$hashes = rest( $service, 'GET', '/sidecar/tokens' );
		$entry  = array_values( array_filter( $hashes['data'], static fn( $t ) => $t['id'] === $created['data']['id'] ) );
		same( hash( 'sha256', $created['data']['token'] ), $entry[0]['hash'], 'hash for the sidecar' );
		same( 403, rest( $admin, 'GET', '/sidecar/tokens' )['status'], 'admins never see hashes' );

		same( array( 'updated' => 1 ), rest( $service, 'POST', '/sidecar/tokens/used', array( 'ids' => array( $created['data']['id'], 'tok_unknown' ) ) )['data'], 'used' );
		same( array( 'deleted' => true, 'id' => $created['data']['id'] ), rest( $admin, 'DELETE', '/tokens/' . $created['data']['id'] )['data'], 'revoked' );
		same( 404, rest( $admin, 'DELETE', '/tokens/' . $created['data']['id'] )['status'], 'revoked twice' );
	}
);
