<?php
/**
 * Checks of usersync/v1/connections, usersync/v1/sidecar/connections, the secret store, the
 * avatars route and the runs relay without a reachable sidecar.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Avatars;
use UserSync\Connection;
use UserSync\Secrets;

check(
	'secrets: encrypted at rest, decrypted with the site key, refused when tampered with',
	static function (): void {
		$stored = Secrets::encrypt( 'very secret' );
		ok( 0 === strpos( $stored, 'us1:' ), 'versioned format' );
		ok( false === strpos( $stored, 'very secret' ), 'not in clear' );
		ok( Secrets::encrypt( 'very secret' ) !== $stored, 'a fresh nonce each time' );
		same( 'very secret', Secrets::decrypt( $stored ), 'round trip' );
		$raw     = base64_decode( substr( $stored, 4 ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
		$raw[30] = chr( ord( $raw[30] ) ^ 1 );
		same( null, Secrets::decrypt( 'us1:' . base64_encode( $raw ) ), 'tampered' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
		same( null, Secrets::decrypt( 'plain text' ), 'not ours' );
	}
);

check(
	'connections: created with a write-only secret, validated, updated, deleted; the sidecar reads the secret',
	static function (): void {
		$admin   = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
		$service = make_user( 'usersync_service' );
		$slug    = connection();
		$body    = array(
			'name'         => 'Check ' . $slug,
			'slug'         => $slug,
			'type'         => 'microsoft-graph',
			'tenantId'     => 'contoso.onmicrosoft.com',
			'clientId'     => '11111111-2222-3333-4444-555555555555',
			'clientSecret' => 'the-secret-value',
			'schedule'     => '*/30 * * * *',
		);

		$created = rest( $admin, 'POST', '/connections', $body );
		same( 201, $created['status'], 'created: ' . wp_json_encode( $created['data'] ) );
		same( array( 'set' => true ), $created['data']['clientSecret'], 'secret shown as set' );
		same( 500, $created['data']['pageSize'], 'default page size' );
		same( 'global', $created['data']['cloud'], 'default cloud' );
		$stored = get_option( 'usersync_connections' )[ $slug ];
		ok( false === strpos( wp_json_encode( $stored ), 'the-secret-value' ), 'the option holds no clear secret' );
		same( 409, rest( $admin, 'POST', '/connections', $body )['status'], 'slug taken' );
		same( 403, rest( $service, 'POST', '/connections', $body )['status'], 'service user may not create' );

		$listed = rest( $admin, 'GET', '/connections' );
		ok( false === strpos( wp_json_encode( $listed['data'] ), 'the-secret-value' ), 'never listed' );

		$bad = array(
			array( 'schedule' => 'every hour' ),
			array( 'pageSize' => 5000 ),
			array( 'cloud' => 'mars' ),
			array( 'graphUrl' => 'ftp://example.com' ),
			array( 'tenantId' => '' ),
			array( 'tenantId' => 'not-a-guid' ),
			array( 'tenantId' => '72f988bf-86f1-41af-91ab' ),
			array( 'clientId' => '123' ),
			array( 'clientId' => 'contoso.onmicrosoft.com' ),
			array( 'slug' => 'other-slug' ),
		);
		foreach ( $bad as $change ) {
			$answer = rest( $admin, 'PATCH', '/connections/' . $slug, $change );
			same( 400, $answer['status'], 'refused: ' . wp_json_encode( $change ) );
			$field = array_key_first( $change );
			if ( in_array( $field, array( 'tenantId', 'clientId' ), true ) ) {
				same( $field, $answer['data']['data']['field'] ?? null, 'the error names the field: ' . wp_json_encode( $change ) );
			}
		}
		foreach ( array( '72F988BF-86F1-41AF-91AB-2D7CD011DB47', 'contoso.com' ) as $tenant ) {
			same( 200, rest( $admin, 'PATCH', '/connections/' . $slug, array( 'tenantId' => $tenant ) )['status'], 'accepted tenant ' . $tenant );
		}

		$updated = rest(
			$admin,
			'PATCH',
			'/connections/' . $slug,
			array(
				'name'         => 'Renamed',
				'clientSecret' => '',
				'cloud'        => 'usgov',
				'graphUrl'     => 'http://127.0.0.1:8790/',
				'schedule'     => null,
			)
		);
		same( 200, $updated['status'], 'updated' );
		same( 'Renamed', $updated['data']['name'], 'name' );
		same( 'http://127.0.0.1:8790', $updated['data']['graphUrl'], 'URL without trailing slash' );
		same( null, $updated['data']['schedule'], 'schedule removed' );

		$sidecar = rest( $service, 'GET', '/sidecar/connections' );
		same( 200, $sidecar['status'], 'sidecar reads' );
		$mine = array_values( array_filter( $sidecar['data'], static fn( $c ) => $c['slug'] === $slug ) )[0];
		same( 'the-secret-value', $mine['settings']['clientSecret'], 'secret kept by the empty update, decrypted for the sidecar' );
		same( 'usgov', $mine['settings']['cloud'], 'settings' );
		same( 403, rest( $admin, 'GET', '/sidecar/connections' )['status'], 'admins never read secrets' );

		same( array( 'deleted' => true, 'slug' => $slug ), rest( $admin, 'DELETE', '/connections/' . $slug )['data'], 'deleted' );
		same( 404, rest( $admin, 'GET', '/connections/' . $slug )['status'], 'gone' );
	}
);

check(
	'avatars: stored for linked users only, served by get_avatar_url(), removed again',
	static function (): void {
		$service = make_user( 'usersync_service' );
		$slug    = connection();
		$linked  = make_user( 'subscriber' );
		$other   = make_user( 'subscriber' );
		update_user_meta( $linked, Connection::link_key( $slug ), 'ext-1' );
		$png = base64_encode( // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
			base64_decode( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC' ) // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
		);
		$answer = rest(
			$service,
			'POST',
			'/sidecar/avatars',
			array(
				'connection' => $slug,
				'items'      => array(
					array(
						'id'          => $linked,
						'contentType' => 'image/png',
						'data'        => $png,
						'version'     => 'W/"v1"',
					),
					array(
						'id'          => $other,
						'contentType' => 'image/png',
						'data'        => $png,
						'version'     => 'W/"v1"',
					),
					array(
						'id'      => $linked,
						'data'    => base64_encode( 'not an image' ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
						'version' => 'W/"v2"',
					),
				),
			)
		);
		same( 200, $answer['status'], 'answered' );
		same( 'updated', $answer['data']['results'][0]['status'] ?? null, 'stored' );
		same( 404, $answer['data']['results'][1]['error']['status'] ?? null, 'unlinked user refused' );
		same( 'usersync_avatar_invalid', $answer['data']['results'][2]['error']['code'] ?? null, 'not an image' );
		same( 'W/"v1"', Avatars::get( $linked )['version'] ?? null, 'version survives the meta round trip' );
		ok( false !== strpos( get_avatar_url( $linked ), '/usersync-avatars/' ), 'served as the avatar' );

		$again = rest( $service, 'POST', '/sidecar/avatars', array( 'connection' => $slug, 'items' => array( array( 'id' => $linked, 'data' => $png, 'version' => 'W/"v1"' ) ) ) );
		same( 'unchanged', $again['data']['results'][0]['status'] ?? null, 'same version: unchanged' );
		$removed = rest( $service, 'POST', '/sidecar/avatars', array( 'connection' => $slug, 'items' => array( array( 'id' => $linked, 'remove' => true ) ) ) );
		same( 'removed', $removed['data']['results'][0]['status'] ?? null, 'removed' );
		ok( false === strpos( get_avatar_url( $linked ), '/usersync-avatars/' ), 'no longer served' );
	}
);

check(
	'runs: site admins only; a clear error when the sidecar cannot be reached',
	static function (): void {
		$admin   = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
		$service = make_user( 'usersync_service' );
		same( 403, rest( $service, 'POST', '/sources/some-source/runs' )['status'], 'service user may not start runs' );
		$unreachable = static fn(): string => 'http://127.0.0.1:9';
		add_filter( 'usersync_sidecar_url', $unreachable );
		try {
			$answer = rest( $admin, 'GET', '/runs' );
			same( 502, $answer['status'], 'unreachable sidecar' );
			same( 'usersync_sidecar_unreachable', $answer['data']['code'] ?? null, 'error code' );
		} finally {
			remove_filter( 'usersync_sidecar_url', $unreachable );
		}
	}
);
