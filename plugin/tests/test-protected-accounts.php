<?php
/**
 * Checks of the protected accounts (Protected_Accounts): the service account, privileged
 * users and the requester are never adopted, changed, disabled, deleted or given a password
 * by any sync path, whatever touchUnlinked says; touchAdministrators lets privileged users be
 * managed, never the service account. And of the service role's own reach: through core
 * routes it can do no more than a subscriber.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Deprovision_Grace;
use UserSync\Installer;
use UserSync\Login_Guard;

/**
 * Everything about an account that a takeover would change.
 *
 * @param int $id User id.
 * @return array<string, mixed>
 */
function protected_fingerprint( int $id ): array {
	global $wpdb;
	// Outbox bookkeeping of earlier local changes (clock, modified) is not the sync's doing.
	\UserSync\Plugin::outbox()->flush();
	clean_user_cache( $id );
	$row  = $wpdb->get_row( $wpdb->prepare( "SELECT user_login, user_pass, user_email FROM {$wpdb->users} WHERE ID = %d", $id ), ARRAY_A );
	$meta = $wpdb->get_results( $wpdb->prepare( "SELECT meta_key, meta_value FROM {$wpdb->usermeta} WHERE user_id = %d AND meta_key NOT IN ('session_tokens') ORDER BY meta_key, umeta_id", $id ), ARRAY_A );
	return array(
		'row'  => $row,
		'meta' => $meta,
	);
}

/**
 * The kinds of protected account, each made fresh: id and how it was made.
 *
 * @return array<string, callable(): int>
 */
function protected_kinds(): array {
	if ( ! get_role( 'ustest_operator' ) ) {
		// A role that is not called administrator but can promote users: privileged by what it can do.
		add_role( 'ustest_operator', 'Operator', array( 'read' => true, 'promote_users' => true, 'edit_users' => true ) );
	}
	return array(
		'service account'              => static fn(): int => make_user( Installer::SERVICE_ROLE ),
		'administrator'                => static fn(): int => make_user( 'administrator' ),
		'custom role with promote_users' => static fn(): int => make_user( 'ustest_operator' ),
		'editor given edit_users'      => static function (): int {
			$id = make_user( 'editor' );
			get_userdata( $id )->add_cap( 'edit_users' );
			return $id;
		},
		'disabled administrator'       => static function (): int {
			$id = make_user( 'administrator' );
			update_user_meta( $id, 'usersync_disabled_roles', array( 'administrator' ) );
			get_userdata( $id )->set_role( '' );
			update_user_meta( $id, 'usersync_disabled', '1' );
			return $id;
		},
	);
}

/**
 * Stores the deprovisioning policy (and a role map) through the config route, as an admin.
 *
 * @param array<string, mixed> $config Partial configuration.
 */
function protected_config( array $config ): void {
	$admin    = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID', 'orderby' => 'ID' ) )[0];
	$response = rest( $admin, 'PUT', '/config', $config );
	same( 200, $response['status'], 'config stored: ' . wp_json_encode( $response['data'] ) );
}

/**
 * Every sync path, each given a protected account already linked (or not) to the connection.
 * Each returns whether the path reported success.
 *
 * @return array<string, callable(int, int, string): bool>
 */
function protected_paths(): array {
	$batch = static function ( string $action, array $user = array() ): callable {
		return static function ( int $service, int $id, string $connection ) use ( $action, $user ): bool {
			$operation = array(
				'ref'    => 'op',
				'action' => $action,
				'id'     => $id,
			);
			if ( $user ) {
				$operation['user'] = $user;
			}
			$result = user_batch( $service, $connection, array( $operation ) )[0];
			return ! empty( $result['ok'] );
		};
	};
	return array(
		'adopt with a password (SCIM POST of its login)' => $batch(
			'update',
			array(
				'externalId' => 'ext-takeover',
				'password'   => 'Taken-over-1!',
				'firstName'  => 'Mallory',
			)
		),
		'update roles'              => $batch( 'update', array( 'roles' => array( 'subscriber' ) ) ),
		'deprovision'               => $batch( 'deprovision' ),
		'delete'                    => $batch( 'delete' ),
		'reactivate'                => $batch( 'reactivate' ),
		'role recompute by a group' => static function ( int $service, int $id, string $connection ): bool {
			$response = rest(
				$service,
				'POST',
				'/groups/batch',
				array(
					'connection' => $connection,
					'operations' => array(
						array(
							'ref'    => 'g',
							'action' => 'create',
							'group'  => array(
								'displayName' => 'Everyone',
								'members'     => array( $id ),
							),
						),
					),
				)
			);
			same( 200, $response['status'], 'groups/batch status' );
			return ! empty( $response['data']['results'][0]['ok'] ) && array( 'author' ) === array_values( get_userdata( $id )->roles );
		},
		'profile picture'           => static function ( int $service, int $id, string $connection ): bool {
			$response = rest(
				$service,
				'POST',
				'/sidecar/avatars',
				array(
					'connection' => $connection,
					'items'      => array(
						array(
							'id'   => $id,
							// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
							'data' => base64_encode( (string) file_get_contents( ABSPATH . 'wp-admin/images/w-logo-blue.png' ) ),
						),
					),
				)
			);
			return 200 === $response['status'] && ! empty( $response['data']['results'][0]['ok'] );
		},
		'grace-period deletion job' => static function ( int $service, int $id, string $connection ): bool {
			do_action( Deprovision_Grace::CRON_HOOK );
			clean_user_cache( $id );
			return ! get_userdata( $id );
		},
	);
}

check(
	'protected accounts: no sync path adopts or changes the service account or a privileged user (touchUnlinked on, touchAdministrators off)',
	static function (): void {
		$reassign = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID', 'orderby' => 'ID' ) )[0];
		protected_config(
			array(
				'deprovision' => array(
					'touchUnlinked'       => true,
					'touchAdministrators' => false,
					'action'              => 'delete',
					'reassignTo'          => $reassign,
				),
				'roleMap'     => array(
					'rules'       => array( array( 'group' => 'Everyone', 'role' => 'author' ) ),
					'defaultRole' => 'subscriber',
				),
			)
		);
		$service = make_user( Installer::SERVICE_ROLE );
		foreach ( protected_kinds() as $kind => $make ) {
			foreach ( protected_paths() as $path => $run ) {
				foreach ( array( 'unlinked', 'linked' ) as $linked ) {
					$connection = connection();
					$id         = $make();
					if ( 'linked' === $linked ) {
						add_user_meta( $id, 'usersync_link_' . $connection, 'ext-' . $id );
					}
					if ( 'grace-period deletion job' === $path ) {
						// As if a deletion had been scheduled before the account became protected.
						update_user_meta( $id, 'usersync_disabled', '1' );
						update_user_meta( $id, Deprovision_Grace::due_key(), (string) ( time() - MINUTE_IN_SECONDS ) );
					}
					$before = protected_fingerprint( $id );
					$done   = $run( $service, $id, $connection );
					ok( ! $done, "$path refused for the $linked $kind" );
					same( $before, protected_fingerprint( $id ), "$path left the $linked $kind unchanged" );
				}
			}
		}
	}
);

check(
	'protected accounts: an editor nobody manages is not adopted; an editor a connection manages is synced like anyone',
	static function (): void {
		protected_config( array( 'deprovision' => array( 'touchUnlinked' => true, 'touchAdministrators' => false ) ) );
		$service    = make_user( Installer::SERVICE_ROLE );
		$connection = connection();

		$editor = make_user( 'editor' );
		$before = protected_fingerprint( $editor );
		$result = user_batch( $service, $connection, array( array( 'ref' => 'adopt', 'action' => 'update', 'id' => $editor, 'user' => array( 'externalId' => 'ext-ed', 'password' => 'Taken-over-1!' ) ) ) )[0];
		same( 'usersync_administrator_protected', $result['error']['code'] ?? null, 'adoption refused' );
		same( $before, protected_fingerprint( $editor ), 'the editor is unchanged' );

		$made   = user_batch( $service, $connection, array( array( 'ref' => 'c', 'action' => 'create', 'user' => array( 'login' => $connection . '-ed', 'roles' => array( 'editor' ) ) ) ) )[0];
		$id     = (int) $made['user']['id'];
		$result = user_batch( $service, $connection, array( array( 'ref' => 'd', 'action' => 'deprovision', 'id' => $id ) ) )[0];
		same( 'disabled', $result['status'] ?? $result['error']['code'], 'an editor the connection made is deprovisioned' );
		ok( Login_Guard::is_disabled( $id ), 'and disabled' );
	}
);

check(
	'protected accounts: touchAdministrators lets a sync manage privileged users, never the service account',
	static function (): void {
		protected_config( array( 'deprovision' => array( 'touchUnlinked' => true, 'touchAdministrators' => true ) ) );
		$service    = make_user( Installer::SERVICE_ROLE );
		$connection = connection();

		$admin  = make_user( 'administrator' );
		$result = user_batch( $service, $connection, array( array( 'ref' => 'a', 'action' => 'update', 'id' => $admin, 'user' => array( 'firstName' => 'Grace' ) ) ) )[0];
		same( 'updated', $result['status'] ?? $result['error']['code'], 'an administrator is managed when the admin allows it' );

		$other  = make_user( Installer::SERVICE_ROLE );
		$before = protected_fingerprint( $other );
		$result = user_batch( $service, $connection, array( array( 'ref' => 's', 'action' => 'update', 'id' => $other, 'user' => array( 'password' => 'Taken-over-1!' ) ) ) )[0];
		same( 'usersync_service_account_protected', $result['error']['code'] ?? null, 'the service account is refused' );
		same( $before, protected_fingerprint( $other ), 'and unchanged' );

		$before = protected_fingerprint( $service );
		$result = user_batch( $service, $connection, array( array( 'ref' => 'me', 'action' => 'deprovision', 'id' => $service ) ) )[0];
		same( 'usersync_service_account_protected', $result['error']['code'] ?? null, 'the requester itself is refused' );
		same( $before, protected_fingerprint( $service ), 'and unchanged' );
		ok( ! Login_Guard::is_disabled( $service ), 'the requester still works' );
	}
);

check(
	'service role: only read and its own capability, so core routes treat it like a subscriber',
	static function (): void {
		$role = get_role( Installer::SERVICE_ROLE );
		same( array( 'read', Installer::SERVICE_CAP ), array_keys( array_filter( $role->capabilities ) ), 'capabilities of the service role' );

		$service = make_user( Installer::SERVICE_ROLE );
		$victim  = make_user( 'subscriber' );
		$admin   = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID', 'orderby' => 'ID' ) )[0];
		$core    = static function ( string $method, string $route, array $body = array() ) use ( $service ): int {
			wp_set_current_user( $service );
			$request = new \WP_REST_Request( $method, '/wp/v2' . $route );
			if ( 'DELETE' === $method ) {
				$request->set_query_params( $body );
			} else {
				$request->set_header( 'Content-Type', 'application/json' );
				$request->set_body( (string) wp_json_encode( $body ) );
			}
			$status = rest_do_request( $request )->get_status();
			wp_set_current_user( 0 );
			return $status;
		};
		$before = array( protected_fingerprint( $service ), protected_fingerprint( $victim ), protected_fingerprint( $admin ) );
		same( 403, $core( 'POST', '/users/' . $service, array( 'roles' => array( Installer::SERVICE_ROLE, 'administrator' ) ) ), 'promote itself' );
		same( 403, $core( 'POST', '/users/me', array( 'roles' => array( Installer::SERVICE_ROLE, 'administrator' ) ) ), 'promote itself as me' );
		same( 403, $core( 'POST', '/users/' . $admin, array( 'password' => 'Taken-over-1!' ) ), 'edit an administrator' );
		same( 403, $core( 'POST', '/users/' . $victim, array( 'email' => 'mallory@example.test' ) ), 'edit a user' );
		same( 403, $core( 'POST', '/users', array( 'username' => 'mallory', 'email' => 'm@example.test', 'password' => 'x-Y-z-123456' ) ), 'create a user' );
		same( 403, $core( 'DELETE', '/users/' . $victim, array( 'force' => true, 'reassign' => $admin ) ), 'delete a user' );
		same( $before, array( protected_fingerprint( $service ), protected_fingerprint( $victim ), protected_fingerprint( $admin ) ), 'nobody changed' );
	}
);

check(
	'service role: an upgrade takes back the core user capabilities of existing installs',
	static function (): void {
		$role = get_role( Installer::SERVICE_ROLE );
		foreach ( array( 'list_users', 'create_users', 'edit_users', 'delete_users', 'promote_users' ) as $cap ) {
			$role->add_cap( $cap );
		}
		$service = make_user( Installer::SERVICE_ROLE );
		get_userdata( $service )->add_cap( 'edit_users' );
		update_option( Installer::DB_VERSION_OPTION, '2' );
		Installer::maybe_upgrade();
		$role = get_role( Installer::SERVICE_ROLE );
		same( array( 'read', Installer::SERVICE_CAP ), array_keys( array_filter( $role->capabilities ) ), 'role capabilities after the upgrade' );
		clean_user_cache( $service );
		ok( ! user_can( $service, 'edit_users' ), 'a capability given to the service user directly is gone too' );
		same( USERSYNC_DB_VERSION, get_option( Installer::DB_VERSION_OPTION ), 'schema version' );
	}
);

check(
	'role map: no rule grants the service role or a privileged role unless administrators are allowed; judged by capabilities',
	static function (): void {
		$admin = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID', 'orderby' => 'ID' ) )[0];
		if ( ! get_role( 'ustest_operator' ) ) {
			add_role( 'ustest_operator', 'Operator', array( 'read' => true, 'promote_users' => true ) );
		}
		$before = get_option( 'usersync_config' );
		$cases  = array(
			'the service role'              => array( Installer::SERVICE_ROLE, false, 400 ),
			'the service role, admins on'   => array( Installer::SERVICE_ROLE, true, 400 ),
			'administrator'                 => array( 'administrator', false, 400 ),
			'a role with promote_users'     => array( 'ustest_operator', false, 400 ),
			'a role with promote_users, on' => array( 'ustest_operator', true, 200 ),
			'editor'                        => array( 'editor', false, 200 ),
		);
		foreach ( $cases as $name => list( $role, $allow, $status ) ) {
			update_option( 'usersync_config', $before );
			$response = rest(
				$admin,
				'PUT',
				'/config',
				array(
					'roleMap' => array(
						'rules'              => array( array( 'group' => 'Ops', 'role' => $role ) ),
						'allowAdministrator' => $allow,
					),
				)
			);
			same( $status, $response['status'], $name . ': ' . wp_json_encode( $response['data'] ) );
			if ( 400 === $status ) {
				ok( isset( $response['data']['data']['params']['roleMap[rules][0][role]'] ), $name . ': field error on the rule' );
			}
		}
		update_option( 'usersync_config', $before );
		$response = rest( $admin, 'PUT', '/config', array( 'roleMap' => array( 'defaultRole' => 'ustest_operator' ) ) );
		same( 400, $response['status'], 'a privileged default role' );
		ok( isset( $response['data']['data']['params']['roleMap[defaultRole]'] ), 'field error on the default role' );

		$roles = rest( $admin, 'GET', '/roles' );
		$flags = array_column( $roles['data'], 'privileged', 'slug' );
		same( array( true, true, false ), array( $flags['administrator'], $flags['ustest_operator'], $flags['editor'] ), 'the roles route says which roles are privileged' );
		ok( ! isset( $flags[ Installer::SERVICE_ROLE ] ), 'the service role is not offered' );
	}
);

check(
	'role map: a rule scoped to one connection ignores the same group name in another',
	static function (): void {
		$admin = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID', 'orderby' => 'ID' ) )[0];
		$a     = connection();
		$b     = connection();
		$token = rest( $admin, 'POST', '/tokens', array( 'name' => 'Scoped ' . $a, 'connection' => $a ) );
		same( 201, $token['status'], 'token of connection A: ' . wp_json_encode( $token['data'] ) );

		$response = rest(
			$admin,
			'PUT',
			'/config',
			array(
				'roleMap' => array(
					'rules' => array(
						array( 'group' => 'WP Editors', 'role' => 'editor', 'connections' => array( $a ) ),
						array( 'group' => 'Everyone', 'role' => 'author', 'priority' => 20 ),
					),
				),
			)
		);
		same( 200, $response['status'], 'scoped rule stored: ' . wp_json_encode( $response['data'] ) );
		same( array( $a ), $response['data']['roleMap']['rules'][0]['connections'], 'its connections' );
		same( array( '*' ), $response['data']['roleMap']['rules'][1]['connections'], 'a rule without connections applies to any' );

		$unknown = rest( $admin, 'PUT', '/config', array( 'roleMap' => array( 'rules' => array( array( 'group' => 'X', 'role' => 'editor', 'connections' => array( 'no-such-connection' ) ) ) ) ) );
		same( 400, $unknown['status'], 'an unknown connection is refused' );
		ok( isset( $unknown['data']['data']['params']['roleMap[rules][0][connections]'] ), 'with a field error' );

		$service = make_user( Installer::SERVICE_ROLE );
		$members = array();
		foreach ( array( $a, $b ) as $connection ) {
			$user                   = user_batch( $service, $connection, array( array( 'ref' => 'u', 'action' => 'create', 'user' => array( 'login' => $connection . '-member' ) ) ) )[0];
			$members[ $connection ] = (int) $user['user']['id'];
			$result                 = rest(
				$service,
				'POST',
				'/groups/batch',
				array(
					'connection' => $connection,
					'operations' => array(
						array(
							'ref'    => 'g',
							'action' => 'create',
							'group'  => array(
								'displayName' => 'wp editors',
								'members'     => array( $members[ $connection ] ),
							),
						),
					),
				)
			);
			same( true, $result['data']['results'][0]['ok'], 'group created in ' . $connection );
		}
		same( array( 'editor' ), array_values( get_userdata( $members[ $a ] )->roles ), 'connection A\'s group grants the role' );
		same( array( 'subscriber' ), array_values( get_userdata( $members[ $b ] )->roles ), 'the same name in connection B grants nothing' );
	}
);

check(
	'role map: saving a rule gives the group\'s current members its role; the impact route says who would change first',
	static function (): void {
		$admin      = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID', 'orderby' => 'ID' ) )[0];
		$service    = make_user( Installer::SERVICE_ROLE );
		$connection = connection();
		$other      = connection();
		$token      = rest( $admin, 'POST', '/tokens', array( 'name' => 'Staff ' . $connection, 'connection' => $connection ) );
		same( 201, $token['status'], 'token' );

		$grace = (int) user_batch( $service, $connection, array( array( 'ref' => 'g', 'action' => 'create', 'user' => array( 'login' => $connection . '-grace' ) ) ) )[0]['user']['id'];
		$alan  = (int) user_batch( $service, $other, array( array( 'ref' => 'a', 'action' => 'create', 'user' => array( 'login' => $other . '-alan' ) ) ) )[0]['user']['id'];
		$admin_member = make_user( 'administrator' );
		add_user_meta( $admin_member, 'usersync_link_' . $connection, 'adm' );
		foreach ( array( $connection => array( $grace, $admin_member ), $other => array( $alan ) ) as $slug => $members ) {
			$response = rest(
				$service,
				'POST',
				'/groups/batch',
				array(
					'connection' => $slug,
					'operations' => array(
						array(
							'ref'    => 'g',
							'action' => 'create',
							'group'  => array(
								'displayName' => 'Editors-Staff',
								'members'     => $members,
							),
						),
					),
				)
			);
			same( true, $response['data']['results'][0]['ok'], 'group in ' . $slug );
		}
		same( array( 'subscriber' ), array_values( get_userdata( $grace )->roles ), 'no rule yet' );

		$role_map = array(
			'rules'       => array( array( 'group' => 'editors-staff', 'role' => 'editor', 'connections' => array( $connection ) ) ),
			'defaultRole' => 'subscriber',
		);
		$impact   = rest( $admin, 'POST', '/config/role-impact', array( 'roleMap' => $role_map ) );
		same( 200, $impact['status'], 'impact: ' . wp_json_encode( $impact['data'] ) );
		same( 1, $impact['data']['count'], 'one user would change (not the administrator, not the other connection\'s member)' );
		same( array( $grace, array( 'subscriber' ), array( 'editor' ) ), array( $impact['data']['users'][0]['id'], $impact['data']['users'][0]['from'], $impact['data']['users'][0]['to'] ), 'who and how' );
		same( array( 'subscriber' ), array_values( get_userdata( $grace )->roles ), 'the impact route changes nothing' );

		$saved = rest( $admin, 'PUT', '/config', array( 'roleMap' => $role_map ) );
		same( 200, $saved['status'], 'saved' );
		same( 1, $saved['data']['rolesUpdated'], 'the answer counts the users updated' );
		clean_user_cache( $grace );
		same( array( 'editor' ), array_values( get_userdata( $grace )->roles ), 'the member already in the group became editor' );
		same( array( 'subscriber' ), array_values( get_userdata( $alan )->roles ), 'the same group name in another connection did not' );
		same( array( 'administrator' ), array_values( get_userdata( $admin_member )->roles ), 'the administrator is untouched' );

		global $wpdb;
		$audit = $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->prefix}usersync_audit WHERE source = 'role map' AND user_id = %d AND result = 'success'", $grace ) );
		same( '1', $audit, 'audited per user' );

		// With no rule left, groups decide no roles (people keep theirs); with other rules left,
		// the removed rule's members go back to what the others give them.
		$removed = rest( $admin, 'PUT', '/config', array( 'roleMap' => array( 'rules' => array( array( 'group' => 'Authors', 'role' => 'author', 'connections' => array( $connection ) ) ) ) ) );
		same( 1, $removed['data']['rolesUpdated'], 'removing the rule takes the role back' );
		clean_user_cache( $grace );
		same( array( 'subscriber' ), array_values( get_userdata( $grace )->roles ), 'back to the default role' );
	}
);
