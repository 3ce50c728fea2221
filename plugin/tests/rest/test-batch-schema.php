<?php
/**
 * Checks of the operation schemas of usersync/v1/users/batch and usersync/v1/groups/batch.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

/**
 * Posts a batch and answers the response.
 *
 * @param int               $service    Service user.
 * @param string            $route      users/batch or groups/batch.
 * @param string            $connection Connection.
 * @param array<int, mixed> $operations Operations.
 * @return array{status: int, data: mixed}
 */
function batch_post( int $service, string $route, string $connection, array $operations ): array {
	return rest( $service, 'POST', '/' . $route, array( 'connection' => $connection, 'source' => 'test:' . $connection, 'operations' => $operations ) );
}

/**
 * Asserts a 400 that names exactly these operations, and that nothing was written or audited.
 *
 * @param array{status: int, data: mixed} $response   Response.
 * @param array<string, string>           $expected   Path → pattern its message matches.
 * @param string                          $connection Connection.
 */
function batch_refused( array $response, array $expected, string $connection ): void {
	global $wpdb;
	same( 400, $response['status'], 'status: ' . wp_json_encode( $response['data'] ) );
	same( 'rest_invalid_param', $response['data']['code'], 'code' );
	$params = $response['data']['data']['details']['operations']['data']['params'] ?? null;
	ok( is_array( $params ), 'each bad operation is named: ' . wp_json_encode( $response['data'] ) );
	same( array_keys( $expected ), array_keys( $params ), 'the bad operations' );
	foreach ( $expected as $path => $pattern ) {
		ok( 1 === preg_match( $pattern, $params[ $path ] ), "$path: " . $params[ $path ] );
		ok( false !== strpos( $response['data']['data']['params']['operations'], $params[ $path ] ), "$path is in the message" );
	}
	same( 0, (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->prefix}usersync_audit WHERE source = %s", 'test:' . $connection ) ), 'nothing audited' );
}

check(
	'users/batch: malformed operations refuse the whole batch with 400, naming each; nothing is written',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$login      = $connection . '-fine';
		$cases      = array(
			'a good create first'    => array( array( 'ref' => 'good', 'action' => 'create', 'user' => array( 'login' => $login ) ), null ),
			'unknown action'         => array( array( 'action' => 'explode', 'id' => 1 ), '/\[action\] is not one of create, update/' ),
			'no action'              => array( array( 'id' => 1 ), '/action is a required property/' ),
			'update without an id'   => array( array( 'action' => 'update', 'user' => array( 'firstName' => 'A' ) ), '/operations\[3\]: An operation "update" needs the id of the user/' ),
			'id not a number'        => array( array( 'action' => 'update', 'id' => 'abc' ), '/\[id\] is not of type integer/' ),
			'create without a login' => array( array( 'action' => 'create', 'user' => array( 'email' => 'a@example.test' ) ), '/A create needs user\.login/' ),
			'login not a string'     => array( array( 'action' => 'create', 'user' => array( 'login' => 5 ) ), '/\[user\]\[login\] is not of type string/' ),
			'active not a boolean'   => array( array( 'action' => 'create', 'user' => array( 'login' => $login . '2', 'active' => 'yes' ) ), '/\[user\]\[active\] is not of type boolean/' ),
			'roles not a list'       => array( array( 'action' => 'create', 'user' => array( 'login' => $login . '3', 'roles' => array( 'main' => 'editor' ) ) ), '/\[user\]\[roles\] is not of type array/' ),
			'unknown user field'     => array( array( 'action' => 'create', 'user' => array( 'login' => $login . '4', 'shoeSize' => 9 ) ), '/operations\[9\]: shoeSize is not a valid property/' ),
			'unknown operation key'  => array( array( 'action' => 'delete', 'id' => 1, 'force' => true ), '/force is not a valid property/' ),
			'not an object'          => array( 'delete everyone', '/is not of type object/' ),
		);
		$operations = array_values( array_map( static fn( array $case ) => $case[0], $cases ) );
		$expected   = array();
		foreach ( array_values( $cases ) as $index => $case ) {
			if ( null !== $case[1] ) {
				$expected[ 'operations[' . $index . ']' ] = $case[1];
			}
		}
		batch_refused( batch_post( $service, 'users/batch', $connection, $operations ), $expected, $connection );
		same( false, username_exists( $login ), 'the good create was not applied' );

		// The same good operation alone is applied; digit-string ids are taken as numbers.
		$created = user_batch( $service, $connection, array( $cases['a good create first'][0] ) )[0];
		same( 'created', $created['status'], 'alone it is applied' );
		$updated = user_batch( $service, $connection, array( array( 'action' => 'update', 'id' => (string) $created['user']['id'], 'user' => array( 'firstName' => 'Fine' ) ) ) )[0];
		same( 'updated', $updated['status'], 'id as digits: ' . wp_json_encode( $updated ) );
	}
);

check(
	'groups/batch: malformed operations refuse the whole batch with 400, naming each; nothing is written',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$operations = array(
			array( 'action' => 'create', 'group' => array( 'displayName' => 'Fine group' ) ),
			array( 'action' => 'merge', 'id' => 1 ),
			array( 'action' => 'patch', 'id' => 1, 'addMembers' => array( 'someone' ) ),
			array( 'action' => 'create', 'group' => array( 'externalId' => 'g1' ) ),
			array( 'action' => 'replace', 'id' => 1, 'group' => array( 'displayName' => 'X' ), 'removeMembers' => array( 2 ) ),
			array( 'action' => 'create', 'group' => array( 'displayName' => str_repeat( 'x', 256 ) ) ),
		);
		batch_refused(
			batch_post( $service, 'groups/batch', $connection, $operations ),
			array(
				'operations[1]' => '/\[action\] is not one of create, replace, patch/',
				'operations[2]' => '/\[addMembers\]\[0\] is not of type integer/',
				'operations[3]' => '/An operation "create" needs group\.displayName/',
				'operations[4]' => '/belong to patch operations/',
				'operations[5]' => '/\[displayName\] must be at most 255 characters/',
			),
			$connection
		);
		$groups = rest( $service, 'GET', '/groups', array( 'connection' => $connection ) );
		same( 0, $groups['data']['total'], 'no group was created' );
	}
);
