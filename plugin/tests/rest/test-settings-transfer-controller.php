<?php
/**
 * Checks of usersync/v1/settings/export and usersync/v1/settings/import.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Connections;
use UserSync\Peers;

/**
 * The three options an import writes, as stored.
 *
 * @return array<string, mixed>
 */
function transfer_options(): array {
	wp_cache_delete( 'alloptions', 'options' );
	return array(
		'config'      => get_option( 'usersync_config', null ),
		'connections' => get_option( Connections::OPTION, null ),
		'peers'       => get_option( Peers::OPTION, null ),
	);
}

/**
 * Puts the connections and peers options back as they were before a check.
 *
 * @param array<string, mixed> $before transfer_options() from before.
 */
function restore_transfer_options( array $before ): void {
	foreach ( array( 'connections' => Connections::OPTION, 'peers' => Peers::OPTION ) as $key => $option ) {
		if ( null === $before[ $key ] ) {
			delete_option( $option );
		} else {
			update_option( $option, $before[ $key ], false );
		}
	}
}

/**
 * Settings a check can compare, without the timestamps that any write moves.
 *
 * @param int $admin Admin.
 * @return array<string, mixed>
 */
function comparable_settings( int $admin ): array {
	$config = rest( $admin, 'GET', '/config' )['data'];
	$peers  = array_map(
		static function ( array $peer ): array {
			unset( $peer['modifiedAt'] );
			return $peer;
		},
		$config['peers']
	);
	$connections = array_map(
		static function ( array $connection ): array {
			unset( $connection['modifiedAt'] );
			return $connection;
		},
		rest( $admin, 'GET', '/connections' )['data']
	);
	return array(
		'attributeMap' => $config['attributeMap'],
		'renameLogins' => $config['renameLogins'],
		'roleMap'      => $config['roleMap'],
		'deprovision'  => $config['deprovision'],
		'audit'        => $config['audit'],
		'peers'        => $peers,
		'connections'  => $connections,
	);
}

check(
	'settings transfer: the export holds no secret; importing it back reproduces the settings and keeps the secrets',
	static function (): void {
		$before  = transfer_options();
		$admin   = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
		$service = make_user( 'usersync_service' );
		$slug    = connection();
		$peer    = connection();
		try {
			same(
				201,
				rest(
					$admin,
					'POST',
					'/connections',
					array(
						'name'         => 'Transfer ' . $slug,
						'slug'         => $slug,
						'tenantId'     => 'contoso.onmicrosoft.com',
						'clientId'     => '11111111-2222-3333-4444-555555555555',
						'clientSecret' => 'connection-secret-4711',
						'schedule'     => '*/15 * * * *',
						'pageSize'     => 250,
					)
				)['status'],
				'connection created'
			);
			$configured = rest(
				$admin,
				'PATCH',
				'/config',
				array(
					'renameLogins' => true,
					'roleMap'     => array(
						'rules'              => array(
							array(
								'group'    => 'Editors',
								'role'     => 'editor',
								'priority' => 5,
							),
						),
						'defaultRole'        => 'subscriber',
						'allowAdministrator' => false,
					),
					'deprovision' => array(
						'action'    => 'delete',
						'graceDays' => 7,
					),
					'audit'       => array( 'retentionDays' => 30 ),
					'peers'       => array(
						array(
							'slug'    => $peer,
							'name'    => 'Peer site',
							'scimUrl' => 'https://peer.example/wp-json/usersync/v1/scim/v2',
							'token'   => 'peer-token-0815',
						),
					),
				)
			);
			same( 200, $configured['status'], 'configured: ' . wp_json_encode( $configured['data'] ) );
			$original = comparable_settings( $admin );

			$export = rest( $admin, 'GET', '/settings/export' );
			same( 200, $export['status'], 'exported' );
			$file = $export['data'];
			$text = (string) wp_json_encode( $file );
			same( 'usersync-settings', $file['format'], 'format' );
			ok( false === strpos( $text, 'connection-secret-4711' ), 'no client secret in the export' );
			ok( false === strpos( $text, 'peer-token-0815' ), 'no peer token in the export' );
			ok( false === strpos( $text, 'us1:' ), 'no encrypted secret in the export' );
			foreach ( $file['settings']['connections'] as $exported ) {
				ok( ! array_key_exists( 'clientSecret', $exported ), 'connections carry no clientSecret key' );
			}
			foreach ( $file['settings']['peers'] as $exported ) {
				ok( ! array_key_exists( 'token', $exported ) && ! array_key_exists( 'tokenSet', $exported ), 'peers carry no token key' );
			}
			same( 7, $file['settings']['deprovision']['graceDays'], 'deprovisioning exported' );
			same( 'editor', $file['settings']['roleMap']['rules'][0]['role'], 'role rules exported' );
			same( true, $file['settings']['renameLogins'], 'the login-renames setting exported' );

			// Change everything the file holds, then bring the file back.
			same( 200, rest( $admin, 'PATCH', '/config', array( 'audit' => array( 'retentionDays' => 365 ), 'renameLogins' => false, 'roleMap' => array( 'rules' => array() ), 'peers' => array() ) )['status'], 'changed config' );
			same( 200, rest( $admin, 'PATCH', '/connections/' . $slug, array( 'name' => 'Renamed', 'schedule' => null, 'pageSize' => 10 ) )['status'], 'changed connection' );
			ok( comparable_settings( $admin ) !== $original, 'settings differ before the import' );

			$changed = transfer_options();
			$preview = rest( $admin, 'POST', '/settings/import', array( 'file' => $file ) );
			same( 200, $preview['status'], 'preview: ' . wp_json_encode( $preview['data'] ) );
			same( false, $preview['data']['imported'], 'preview imports nothing' );
			ok( in_array( $slug, $preview['data']['connections']['updated'], true ), 'preview names the updated connection' );
			ok( in_array( $peer, $preview['data']['peers']['created'], true ), 'preview names the re-created peer' );
			same( $changed, transfer_options(), 'the preview wrote nothing' );

			$imported = rest( $admin, 'POST', '/settings/import', array( 'file' => $file, 'confirm' => true ) );
			same( 200, $imported['status'], 'imported: ' . wp_json_encode( $imported['data'] ) );
			same( true, $imported['data']['imported'], 'imported' );
			$restored = comparable_settings( $admin );
			// The peer was removed in between, so its token is gone and it comes back with push off.
			same( false, $restored['peers'][0]['push'], 'a peer without its token arrives with push off' );
			$restored['peers'][0]['push'] = true;
			unset( $restored['peers'][0]['createdAt'], $original['peers'][0]['createdAt'] );
			$original['peers'][0]['tokenSet'] = false;
			same( $original, $restored, 'export then import reproduces the settings' );

			$sidecar = rest( $service, 'GET', '/sidecar/connections' )['data'];
			$mine    = array_values( array_filter( $sidecar, static fn( $c ) => $c['slug'] === $slug ) )[0];
			same( 'connection-secret-4711', $mine['settings']['clientSecret'], 'the client secret was kept' );

			// With the peer's token stored, a second import keeps it and push on.
			same( 200, rest( $admin, 'PATCH', '/config', array( 'peers' => array( array( 'slug' => $peer, 'name' => 'Peer site', 'scimUrl' => 'https://peer.example/wp-json/usersync/v1/scim/v2', 'token' => 'peer-token-0815', 'push' => true ) ) ) )['status'], 'token entered again' );
			same( 200, rest( $admin, 'POST', '/settings/import', array( 'file' => $file, 'confirm' => true ) )['status'], 'imported again' );
			$peers = ( new Peers() )->for_sidecar();
			$mine  = array_values( array_filter( $peers, static fn( $p ) => $p['slug'] === $peer ) )[0];
			same( 'peer-token-0815', $mine['token'], 'the peer token was kept' );
			same( true, $mine['push'], 'push stays on' );
		} finally {
			restore_transfer_options( $before );
		}
	}
);

check(
	'settings transfer: a bad file gets field errors for every part and changes nothing',
	static function (): void {
		$before = transfer_options();
		$admin  = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
		try {
			$file                                          = rest( $admin, 'GET', '/settings/export' )['data'];
			$file['settings']['attributeMap'][0]['target'] = 'no_such_field';
			$file['settings']['roleMap']['rules']          = array(
				array(
					'group' => 'Ghosts',
					'role'  => 'no-such-role',
				),
			);
			$file['settings']['audit']['retentionDays']    = 30;
			$file['settings']['connections']               = array(
				array(
					'slug'     => connection(),
					'name'     => 'Broken',
					'tenantId' => 'not a tenant',
					'clientId' => '11111111-2222-3333-4444-555555555555',
				),
			);
			$file['settings']['peers']                     = array(
				array(
					'slug'    => connection(),
					'name'    => 'Bad peer',
					'scimUrl' => 'ftp://peer.example',
				),
			);

			foreach ( array( false, true ) as $confirm ) {
				$answer = rest( $admin, 'POST', '/settings/import', array( 'file' => $file, 'confirm' => $confirm ) );
				same( 400, $answer['status'], 'refused' );
				same( 'usersync_invalid_import', $answer['data']['code'], 'error code' );
				$params = $answer['data']['data']['params'];
				ok( isset( $params['attributeMap[0][target]'] ), 'attribute map field error: ' . wp_json_encode( $params ) );
				ok( isset( $params['roleMap[rules][0][role]'] ), 'role map field error: ' . wp_json_encode( $params ) );
				ok( isset( $params['connections[0][tenantId]'] ), 'connection field error: ' . wp_json_encode( $params ) );
				ok( isset( $params['peers[0][scimUrl]'] ), 'peer field error: ' . wp_json_encode( $params ) );
				same( $before, transfer_options(), 'nothing changed (confirm ' . wp_json_encode( $confirm ) . ')' );
			}

			$cases = array(
				'format'                     => array( 'format' => 'something-else' ) + $file,
				'version'                    => array( 'version' => 99 ) + $file,
				'settings'                   => array( 'settings' => 'none' ) + $file,
				'schedules'                  => array( 'settings' => array( 'schedules' => array() ) ) + $file,
				'connections[0][clientSecret]' => array(
					'settings' => array(
						'connections' => array(
							array(
								'slug'         => 'x',
								'clientSecret' => 'plain',
							),
						),
					),
				) + $file,
			);
			foreach ( $cases as $field => $bad ) {
				$answer = rest( $admin, 'POST', '/settings/import', array( 'file' => $bad, 'confirm' => true ) );
				same( 400, $answer['status'], 'refused: ' . $field );
				ok( isset( $answer['data']['data']['params'][ $field ] ), 'names ' . $field . ': ' . wp_json_encode( $answer['data'] ) );
			}
			same( $before, transfer_options(), 'nothing changed' );
		} finally {
			restore_transfer_options( $before );
		}
	}
);

check(
	'settings transfer: a connection new to the site arrives disabled; only option managers may export or import',
	static function (): void {
		$before = transfer_options();
		$admin  = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
		try {
			$slug                            = connection();
			$file                            = rest( $admin, 'GET', '/settings/export' )['data'];
			$file['settings']['connections'] = array(
				array(
					'slug'     => $slug,
					'name'     => 'From elsewhere',
					'type'     => 'microsoft-graph',
					'enabled'  => true,
					'tenantId' => 'contoso.onmicrosoft.com',
					'clientId' => '11111111-2222-3333-4444-555555555555',
					'schedule' => '0 * * * *',
				),
			);
			$answer = rest( $admin, 'POST', '/settings/import', array( 'file' => $file, 'confirm' => true ) );
			same( 200, $answer['status'], 'imported: ' . wp_json_encode( $answer['data'] ) );
			same( array( $slug ), $answer['data']['connections']['created'], 'created' );
			ok( 1 === count( $answer['data']['notes'] ), 'a note says what to do' );
			$created = rest( $admin, 'GET', '/connections/' . $slug )['data'];
			same( false, $created['enabled'], 'disabled until its secret is entered' );
			same( array( 'set' => false ), $created['clientSecret'], 'no secret' );
			same( '0 * * * *', $created['schedule'], 'schedule imported' );

			foreach ( array( 'subscriber', 'editor', 'usersync_service' ) as $role ) {
				$user = make_user( $role );
				same( 403, rest( $user, 'GET', '/settings/export' )['status'], $role . ' may not export' );
				same( 403, rest( $user, 'POST', '/settings/import', array( 'file' => $file ) )['status'], $role . ' may not import' );
			}
			same( 401, rest( 0, 'GET', '/settings/export' )['status'], 'anonymous may not export' );
		} finally {
			restore_transfer_options( $before );
		}
	}
);
