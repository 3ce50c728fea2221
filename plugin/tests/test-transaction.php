<?php
/**
 * Checks of Transaction: a write WordPress reported as done but the database refused is an
 * error and leaves nothing behind; a deadlock reruns the operation from its first read.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

/**
 * Creates a linked user in the connection and returns its id.
 *
 * @param int    $service    Service user.
 * @param string $connection Connection.
 * @param string $name       Login suffix.
 */
function transaction_user( int $service, string $connection, string $name ): int {
	$results = user_batch(
		$service,
		$connection,
		array(
			array(
				'action' => 'create',
				'user'   => array(
					'login'     => $connection . '-' . $name,
					'email'     => $connection . '-' . $name . '@example.test',
					'firstName' => 'Before',
				),
			),
		)
	);
	same( true, $results[0]['ok'], 'created' );
	return (int) $results[0]['user']['id'];
}

/**
 * An update of firstName and the meta `title`.
 *
 * @param int $id User id.
 * @return array<int, array<string, mixed>>
 */
function transaction_update( int $id ): array {
	return array(
		array(
			'action' => 'update',
			'id'     => $id,
			'user'   => array(
				'firstName' => 'After',
				'meta'      => array( 'title' => 'Engineer' ),
			),
		),
	);
}

check(
	'transaction: a database error WordPress swallows fails the write (500) and nothing of it is stored',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$id         = transaction_user( $service, $connection, 'broken' );
		// The meta insert of `title` fails in the database; update_user_meta() only says false.
		$break = static function ( string $query ): string {
			return false !== strpos( $query, "'title'" ) && 0 === stripos( ltrim( $query ), 'INSERT' ) ? 'INSERT INTO usersync_no_such_table VALUES (1)' : $query;
		};
		add_filter( 'query', $break );
		try {
			$results = user_batch( $service, $connection, transaction_update( $id ) );
		} finally {
			remove_filter( 'query', $break );
		}
		same( false, $results[0]['ok'], 'not ok' );
		same( 500, $results[0]['error']['status'], 'status' );
		clean_user_cache( $id );
		wp_cache_delete( $id, 'user_meta' );
		same( 'Before', get_user_meta( $id, 'first_name', true ), 'first name rolled back' );
		same( '', get_user_meta( $id, 'title', true ), 'no title' );
	}
);

check(
	'transaction: a deadlock reruns the operation from its first read; a lasting one answers 503, nothing stored',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$id         = transaction_user( $service, $connection, 'deadlock' );
		$deadlocks  = 1;
		// What MariaDB reports when it undid the transaction to break a deadlock.
		$deadlock = static function () use ( &$deadlocks ): void {
			global $EZSQL_ERROR;
			if ( $deadlocks-- > 0 ) {
				$EZSQL_ERROR[] = array(
					'query'     => 'UPDATE …',
					'error_str' => 'Deadlock found when trying to get lock; try restarting transaction',
				);
			}
		};
		add_action( 'updated_user_meta', $deadlock );
		add_action( 'added_user_meta', $deadlock );
		try {
			$results = user_batch( $service, $connection, transaction_update( $id ) );
			same( true, $results[0]['ok'], 'ok after a rerun' );
			same( 'After', $results[0]['user']['firstName'], 'stored' );
			same( 'Engineer', $results[0]['user']['meta']['title'] ?? get_user_meta( $id, 'title', true ), 'meta stored' );

			$other     = transaction_user( $service, $connection, 'deadlock-lasting' );
			$deadlocks = PHP_INT_MAX;
			$results   = user_batch( $service, $connection, transaction_update( $other ) );
		} finally {
			remove_action( 'updated_user_meta', $deadlock );
			remove_action( 'added_user_meta', $deadlock );
		}
		same( false, $results[0]['ok'], 'a lasting deadlock fails' );
		same( 503, $results[0]['error']['status'], 'status' );
		same( 'usersync_deadlock', $results[0]['error']['code'], 'code' );
		clean_user_cache( $other );
		wp_cache_delete( $other, 'user_meta' );
		same( 'Before', get_user_meta( $other, 'first_name', true ), 'nothing stored' );
	}
);

check(
	'transaction: ifMatch is checked on the user as committed; no ifMatch never answers 412',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$id         = transaction_user( $service, $connection, 'version' );
		$read       = user_batch( $service, $connection, array( array( 'action' => 'update', 'id' => $id, 'user' => array( 'lastName' => 'One' ) ) ) );
		$version    = $read[0]['user']['version'];
		$results    = user_batch(
			$service,
			$connection,
			array(
				array( 'action' => 'update', 'id' => $id, 'ifMatch' => $version, 'user' => array( 'lastName' => 'Two' ) ),
				array( 'action' => 'update', 'id' => $id, 'ifMatch' => $version, 'user' => array( 'lastName' => 'Three' ) ),
				array( 'action' => 'update', 'id' => $id, 'user' => array( 'nickname' => 'four' ) ),
			)
		);
		same( true, $results[0]['ok'], 'the first write with the version read' );
		same( 412, $results[1]['error']['status'] ?? null, 'the second with the same version: 412' );
		same( true, $results[2]['ok'], 'without ifMatch: written' );
		same( 'Two', get_user_meta( $id, 'last_name', true ), 'the stale write changed nothing' );
	}
);
