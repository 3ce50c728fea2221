<?php
/**
 * Checks of the role update modes of a connection (roleMap.updateModes): what a sync does to
 * the roles of a user it already has — replace the mapped roles, only add, or leave alone —
 * both for the roles a pull sends with a user (users/batch) and for group changes (SCIM
 * groups through Role_Mapper::recompute), and that Config validates the setting.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Plugin;
use UserSync\Role_Mapper;

/**
 * Stores a role update mode for a connection (bypassing validation: the slug is throwaway).
 *
 * @param string $connection Connection.
 * @param string $mode       Mode.
 */
function set_update_mode( string $connection, string $mode ): void {
	$config                                      = Plugin::config()->get();
	$config['roleMap']['updateModes'][ $connection ] = $mode;
	update_option( 'usersync_config', $config );
}

/**
 * A linked user of a connection with the roles given, created through users/batch.
 *
 * @param int      $service    Service user.
 * @param string   $connection Connection.
 * @param string[] $roles      Roles.
 */
function linked_user( int $service, string $connection, array $roles ): int {
	$results = user_batch(
		$service,
		$connection,
		array(
			array(
				'ref'    => 'a',
				'action' => 'create',
				'user'   => array(
					'login'      => $connection . '-rita',
					'email'      => $connection . '-rita@example.test',
					'externalId' => 'ext-rita',
					'roles'      => $roles,
				),
			),
		)
	);
	same( true, $results[0]['ok'], 'created' );
	same( $roles, $results[0]['user']['roles'], 'a new user gets the mapped roles whatever the mode' );
	return (int) $results[0]['user']['id'];
}

foreach (
	array(
		'replace (default)' => array( null, array( 'contributor' ) ),
		'replace'           => array( 'replace', array( 'contributor' ) ),
		'add'               => array( 'add', array( 'author', 'editor', 'contributor' ) ),
		'keep'              => array( 'keep', array( 'author', 'editor' ) ),
	) as $usersync_case => list( $usersync_mode, $usersync_expected )
) {
	check(
		'role update mode ' . $usersync_case . ': a pull\'s mapped roles on an existing user',
		static function () use ( $usersync_mode, $usersync_expected ): void {
			$service    = make_user( 'usersync_service' );
			$connection = connection();
			$id         = linked_user( $service, $connection, array( 'author', 'editor' ) );
			if ( null !== $usersync_mode ) {
				set_update_mode( $connection, $usersync_mode );
			}
			$results = user_batch(
				$service,
				$connection,
				array(
					array(
						'ref'    => 'u',
						'action' => 'update',
						'id'     => $id,
						'user'   => array( 'roles' => array( 'contributor' ) ),
					),
				)
			);
			same( true, $results[0]['ok'], 'updated' );
			clean_user_cache( $id );
			same( $usersync_expected, array_values( get_userdata( $id )->roles ), 'roles after the sync' );
		}
	);
}

check(
	'role update modes: group changes recompute roles by the connection\'s mode',
	static function (): void {
		$service = make_user( 'usersync_service' );
		// The user is in no mapped group: the map gives the default role (subscriber).
		$expected = array(
			'replace' => array( 'subscriber' ),
			'add'     => array( 'author', 'subscriber' ),
			'keep'    => array( 'author' ),
		);
		foreach ( $expected as $mode => $roles ) {
			$connection                   = connection();
			$id                           = linked_user( $service, $connection, array( 'author' ) );
			$config                       = Plugin::config()->get();
			$config['roleMap']['rules'][] = array(
				'group'       => 'Writers ' . $connection,
				'role'        => 'contributor',
				'priority'    => 1,
				'connections' => array( $connection ),
			);
			$config['roleMap']['updateModes'][ $connection ] = $mode;
			update_option( 'usersync_config', $config );
			$mapper = new Role_Mapper();
			same( $mode, $mapper->update_mode( $connection ), 'mode read back' );
			$changed = $mapper->recompute( array( $id ), $connection );
			clean_user_cache( $id );
			same( $roles, array_values( get_userdata( $id )->roles ), $mode . ': roles after the recompute' );
			same( 'keep' === $mode ? array() : array( $id ), $changed, $mode . ': reported as changed' );
		}
	}
);

check(
	'role update modes: Config refuses an unknown mode and an unknown connection, and keeps a valid one',
	static function (): void {
		$admin = make_user( 'administrator' );
		$token = Plugin::tokens()->create( 'Modes IdP ' . wp_generate_password( 6, false ), connection() );
		ok( is_array( $token ), 'token created' );
		$known = (string) $token['connection'];
		$bad   = rest( $admin, 'PUT', '/config', array( 'roleMap' => array( 'rules' => array(), 'defaultRole' => 'subscriber', 'allowAdministrator' => false, 'updateModes' => array( $known => 'merge' ) ) ) );
		same( 400, $bad['status'], 'unknown mode refused' );
		$unknown = rest( $admin, 'PUT', '/config', array( 'roleMap' => array( 'rules' => array(), 'defaultRole' => 'subscriber', 'allowAdministrator' => false, 'updateModes' => array( 'no-such-connection' => 'add' ) ) ) );
		same( 400, $unknown['status'], 'unknown connection refused' );
		ok( false !== strpos( (string) wp_json_encode( $unknown['data'] ), 'no-such-connection' ), 'the error names the connection' );
		$good = rest( $admin, 'PUT', '/config', array( 'roleMap' => array( 'rules' => array(), 'defaultRole' => 'subscriber', 'allowAdministrator' => false, 'updateModes' => array( $known => 'keep' ) ) ) );
		same( 200, $good['status'], 'valid mode saved: ' . wp_json_encode( $good['data'] ) );
		same( array( $known => 'keep' ), Plugin::config()->get()['roleMap']['updateModes'], 'stored' );
		Plugin::tokens()->revoke( (string) $token['id'] );
	}
);
