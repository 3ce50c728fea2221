<?php
/**
 * Checks of usersync/v1/groups and usersync/v1/groups/batch.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

/**
 * Runs one batch of group operations as the service user.
 *
 * @param int               $service    Service user.
 * @param string            $connection Connection.
 * @param array<int, mixed> $operations Operations.
 * @return array<int, array<string, mixed>>
 */
function group_batch( int $service, string $connection, array $operations ): array {
	$response = rest( $service, 'POST', '/groups/batch', array( 'connection' => $connection, 'operations' => $operations ) );
	same( 200, $response['status'], 'groups/batch status' );
	return $response['data']['results'];
}

check(
	'groups/batch: membership changes recompute roles from the role map',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$admin      = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
		$connection = connection();
		$config     = rest(
			$admin,
			'PUT',
			'/config',
			array(
				'roleMap' => array(
					'rules'       => array(
						array( 'group' => 'Writers', 'role' => 'author', 'priority' => 20 ),
						array( 'group' => 'Editors', 'role' => 'editor', 'priority' => 10 ),
					),
					'defaultRole' => 'subscriber',
				),
			)
		);
		same( 200, $config['status'], 'role map stored' );

		$users = user_batch(
			$service,
			$connection,
			array(
				array( 'ref' => 'a', 'action' => 'create', 'user' => array( 'login' => $connection . '-a' ) ),
				array( 'ref' => 'b', 'action' => 'create', 'user' => array( 'login' => $connection . '-b', 'active' => false ) ),
			)
		);
		$a = $users[0]['user']['id'];
		$b = $users[1]['user']['id'];

		$results = group_batch(
			$service,
			$connection,
			array(
				array( 'ref' => 'w', 'action' => 'create', 'group' => array( 'displayName' => 'Writers', 'members' => array( $a, $b ) ) ),
				array( 'ref' => 'e', 'action' => 'create', 'group' => array( 'displayName' => 'Editors', 'members' => array( $a ) ) ),
				array( 'ref' => 'dup', 'action' => 'create', 'group' => array( 'displayName' => 'editors' ) ),
				array( 'ref' => 'stranger', 'action' => 'create', 'group' => array( 'displayName' => 'Strangers', 'members' => array( $service ) ) ),
			)
		);
		same( 'created', $results[0]['status'], 'Writers' );
		same( 'created', $results[1]['status'], 'Editors' );
		same( array( 409, 'uniqueness' ), array( $results[2]['error']['status'], $results[2]['error']['scimType'] ), 'display name taken' );
		same( array( 400, 'invalidValue' ), array( $results[3]['error']['status'], $results[3]['error']['scimType'] ), 'unlinked member' );
		same( array( 'editor', 'author' ), array_values( get_userdata( $a )->roles ), 'roles of both groups, by priority' );
		same( array(), array_values( get_userdata( $b )->roles ), 'a disabled member keeps no roles' );
		same( array( 'author' ), get_user_meta( $b, 'usersync_disabled_roles', true ), 'its remembered roles follow' );

		$editors = $results[1]['group'];
		$results = group_batch(
			$service,
			$connection,
			array(
				array( 'ref' => 'stale', 'action' => 'patch', 'id' => $editors['id'], 'ifMatch' => 'W/"0000000000000000"', 'removeMembers' => array( $a ) ),
				array( 'ref' => 'same', 'action' => 'patch', 'id' => $editors['id'], 'ifMatch' => $editors['version'], 'group' => array( 'displayName' => 'Editors' ) ),
				array( 'ref' => 'leave', 'action' => 'patch', 'id' => $editors['id'], 'removeMembers' => array( $a ) ),
			)
		);
		same( 412, $results[0]['error']['status'], 'stale ifMatch' );
		same( 'unchanged', $results[1]['status'], 'nothing to change' );
		same( 'updated', $results[2]['status'], 'member removed' );
		same( array( 'author' ), array_values( get_userdata( $a )->roles ), 'editor role gone' );

		$listed = rest( $service, 'GET', '/groups', array( 'connection' => $connection, 'member' => $a, 'members' => 0 ) );
		same( array( 'Writers' ), array_column( $listed['data']['groups'], 'displayName' ), 'groups of a member' );
		ok( ! isset( $listed['data']['groups'][0]['members'] ), 'members left out on request' );

		$results = group_batch( $service, $connection, array( array( 'ref' => 'del', 'action' => 'delete', 'id' => $results[2]['group']['id'] ), array( 'ref' => 'del-w', 'action' => 'delete', 'id' => $listed['data']['groups'][0]['id'] ) ) );
		same( array( 'deleted', 'deleted' ), array_column( $results, 'status' ), 'deleted' );
		same( array( 'subscriber' ), array_values( get_userdata( $a )->roles ), 'back to the default role' );
	}
);
