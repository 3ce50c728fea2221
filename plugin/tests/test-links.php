<?php
/**
 * Checks of the identity-link index (Links): it follows the link meta on every path, and
 * lookups by external id go through it.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Connection;
use UserSync\Links;

/**
 * The index rows of a connection, as "user_id:external_id", sorted.
 *
 * @param string $connection Connection.
 * @return string[]
 */
function link_rows( string $connection ): array {
	global $wpdb;
	$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT user_id, external_id FROM ' . Links::table() . ' WHERE connection = %s', $connection ) );
	$rows = array_map( static fn( $row ): string => $row->user_id . ':' . $row->external_id, $rows );
	// By user id as a number (98 before 100), as the checks list them.
	sort( $rows, SORT_NATURAL );
	return $rows;
}

check(
	'links: a created user is indexed by external id; an update of the id moves it; a delete removes it',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$results    = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'    => 'a',
					'action' => 'create',
					'user'   => array(
						'login'      => $connection . '-a',
						'externalId' => 'ext-A',
					),
				),
				array(
					'ref'    => 'b',
					'action' => 'create',
					'user'   => array( 'login' => $connection . '-b' ),
				),
			)
		);
		$a = (int) $results[0]['user']['id'];
		$b = (int) $results[1]['user']['id'];
		same( array( "$a:ext-A", "$b:" ), link_rows( $connection ), 'both users indexed, the one without an id under ""' );
		same( $a, Links::owner( $connection, 'ext-A' ), 'owner by external id' );
		same( null, Links::owner( $connection, 'ext-a' ), 'external ids compare exactly (SCIM externalId is case-exact)' );
		same( null, Links::owner( 'other-' . $connection, 'ext-A' ), 'another connection does not see it' );

		$found = rest( $service, 'GET', '/users', array( 'connection' => $connection, 'external_id' => 'ext-A' ) );
		same( array( 1, $a ), array( $found['data']['total'], $found['data']['users'][0]['id'] ?? null ), 'the users route finds it by external id' );

		$results = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'    => 'a',
					'action' => 'update',
					'id'     => $a,
					'user'   => array( 'externalId' => 'ext-A2' ),
				),
			)
		);
		same( 'updated', $results[0]['status'], 'update applied' );
		same( array( "$a:ext-A2", "$b:" ), link_rows( $connection ), 'index follows the new id' );
		same( null, Links::owner( $connection, 'ext-A' ), 'old id no longer owned' );

		$conflict = user_batch(
			$service,
			$connection,
			array(
				array(
					'ref'    => 'c',
					'action' => 'create',
					'user'   => array(
						'login'      => $connection . '-c',
						'externalId' => 'ext-A2',
					),
				),
			)
		);
		same( 'usersync_external_id_exists', $conflict[0]['error']['code'] ?? null, 'a second user cannot take a linked id' );

		$results = user_batch( $service, $connection, array( array( 'ref' => 'a', 'action' => 'delete', 'id' => $a ) ) );
		same( 'deleted', $results[0]['status'], 'unlinked under the disable policy' );
		same( array( "$b:" ), link_rows( $connection ), 'unlinking removes the index row' );

		wp_delete_user( $b );
		same( array(), link_rows( $connection ), 'deleting the user removes its rows' );
	}
);

check(
	'links: link meta written by other code through the metadata API is mirrored',
	static function (): void {
		$connection = connection();
		$key        = Connection::link_key( $connection );
		$user       = make_user( 'subscriber' );

		add_user_meta( $user, $key, 'm-1' );
		same( array( "$user:m-1" ), link_rows( $connection ), 'add_user_meta' );
		update_user_meta( $user, $key, 'm-2' );
		same( array( "$user:m-2" ), link_rows( $connection ), 'update_user_meta' );
		delete_user_meta( $user, $key );
		same( array(), link_rows( $connection ), 'delete_user_meta' );

		add_user_meta( $user, $key, 'm-3' );
		delete_metadata( 'user', 0, $key, '', true );
		same( array(), link_rows( $connection ), 'delete_metadata for every user' );

		update_user_meta( $user, 'usersync_linkage_' . $connection, 'not-a-link' );
		same( array(), link_rows( $connection ), 'other keys are not links' );
		delete_user_meta( $user, 'usersync_linkage_' . $connection );
	}
);

check(
	'links: the installer rebuilds the index from the meta (upgrade from a version without it)',
	static function (): void {
		global $wpdb;
		$connection = connection();
		$key        = Connection::link_key( $connection );
		$user       = make_user( 'subscriber' );
		$other      = make_user( 'subscriber' );
		add_user_meta( $user, $key, 'r-1' );

		// As before the index existed: a link only in meta, and a stale row with no meta.
		$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . Links::table() . ' WHERE connection = %s', $connection ) );
		Links::add( $connection, $other, 'stale' );
		same( array( "$other:stale" ), link_rows( $connection ), 'index out of step' );

		Links::rebuild();
		same( array( "$user:r-1" ), link_rows( $connection ), 'rebuilt from the meta, stale row dropped' );
		Links::rebuild();
		same( array( "$user:r-1" ), link_rows( $connection ), 'rebuilding again changes nothing' );
	}
);

check(
	'links: a create rolled back by its transaction leaves no index row',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		// Fails after wp_insert_user() and the link were written, inside the transaction.
		$explode = static function ( $meta_id, $user_id, $meta_key ): void {
			if ( 'department' === $meta_key ) {
				throw new \RuntimeException( 'disk full' );
			}
		};
		add_action( 'added_user_meta', $explode, 10, 3 );
		try {
			$results = user_batch(
				$service,
				$connection,
				array(
					array(
						'ref'    => 'x',
						'action' => 'create',
						'user'   => array(
							'login'      => $connection . '-x',
							'externalId' => 'x-1',
							'meta'       => array( 'department' => 'Ops' ),
						),
					),
				)
			);
		} finally {
			remove_action( 'added_user_meta', $explode, 10 );
		}
		same( false, $results[0]['ok'], 'the create failed' );
		same( false, get_user_by( 'login', $connection . '-x' ), 'no user' );
		same( array(), link_rows( $connection ), 'no index row' );
		same( null, Links::owner( $connection, 'x-1' ), 'the id is free for the retry' );
	}
);

check(
	'links route: one request links, relinks and unlinks; the meta, its cache and the index agree; an id goes to one user',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$key        = Connection::link_key( $connection );
		$a          = make_user( 'subscriber' );
		$b          = make_user( 'subscriber' );
		$c          = make_user( 'subscriber' );
		$post       = static fn( array $links ): array => rest( $service, 'POST', '/sidecar/links', array( 'connection' => $connection, 'links' => $links ) );
		$statuses   = static fn( array $answer ): array => array_map( static fn( array $r ) => $r['ok'] ? $r['status'] : $r['error']['status'], $answer['data']['results'] );

		// Warm the meta cache: the route must not leave a stale copy behind.
		same( '', get_user_meta( $a, $key, true ), 'no link yet' );
		$first = $post(
			array(
				array( 'userId' => $a, 'externalId' => 'p-1' ),
				array( 'userId' => $b, 'externalId' => 'p-1' ),
				array( 'userId' => $c, 'externalId' => 'p-3' ),
				array( 'userId' => 999999999, 'externalId' => 'p-9' ),
			)
		);
		same( 200, $first['status'], 'links status' );
		same( array( 'linked', 409, 'linked', 404 ), $statuses( $first ), 'the id goes to the first user; an unknown user is 404' );
		same( 'p-1', get_user_meta( $a, $key, true ), 'the link is read back through the cache' );
		same( array( "$a:p-1", "$c:p-3" ), link_rows( $connection ), 'the index follows' );

		// Relink, unlink and hand the freed id over, in that order, in one request.
		$second = $post(
			array(
				array( 'userId' => $a, 'externalId' => 'p-2' ),
				array( 'userId' => $b, 'externalId' => 'p-1' ),
				array( 'userId' => $c, 'externalId' => null ),
				array( 'userId' => $c, 'externalId' => null ),
			)
		);
		same( array( 'linked', 'linked', 'unlinked', 'unchanged' ), $statuses( $second ), 'judged in order' );
		same( array( 'p-2' ), get_user_meta( $a, $key, false ), 'one row for the relinked user' );
		same( array( 'p-1' ), get_user_meta( $b, $key, false ), 'the freed id is linked to the other user' );
		same( array(), get_user_meta( $c, $key, false ), 'unlinked' );
		same( array( "$a:p-2", "$b:p-1" ), link_rows( $connection ), 'the index follows' );
		same( $b, Links::owner( $connection, 'p-1' ), 'owner of the handed-over id' );

		// A user with two rows of the key (written by other code) ends with the one link.
		add_user_meta( $a, $key, 'stray' );
		$third = $post( array( array( 'userId' => $a, 'externalId' => 'p-2' ) ) );
		same( array( 'unchanged' ), $statuses( $third ), 'the link was already so' );
		same( array( 'p-2' ), get_user_meta( $a, $key, false ), 'the stray row is gone' );
		same( array( "$a:p-2", "$b:p-1" ), link_rows( $connection ), 'and so is its index row' );
	}
);
