<?php
/**
 * The identity-link index: which WordPress user holds which external id in a connection.
 *
 * A link is stored as user meta `usersync_link_<connection>` (the record every other part of
 * WordPress can read), and mirrored here into a table indexed by (connection, external_id),
 * because usermeta has no index on meta_value: finding the owner of an external id there
 * scans every link of the connection, which makes a sync of n users cost O(n²).
 *
 * The mirror follows the meta through the meta hooks, so every path that writes, updates or
 * deletes a link through the metadata API (and wp_delete_user()) keeps it in step inside the
 * same database transaction; code that inserts link meta with its own SQL calls add().
 * Uniqueness of an external id within a connection is enforced by the writers under their
 * lock, as before; the table only answers "who holds this id" quickly.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Mirror of the link meta, and the lookups that use it.
 */
class Links {

	private const PREFIX = 'usersync_link_';

	/**
	 * The table: one per network, like the usermeta it mirrors.
	 */
	public static function table(): string {
		global $wpdb;
		return $wpdb->base_prefix . 'usersync_links';
	}

	/**
	 * The CREATE TABLE statement for dbDelta.
	 *
	 * @param string $charset_collate Charset and collation clause.
	 */
	public static function schema( string $charset_collate ): string {
		$table = self::table();
		return "CREATE TABLE {$table} (
  connection varchar(64) NOT NULL,
  user_id bigint(20) unsigned NOT NULL,
  external_id varchar(255) NOT NULL DEFAULT '',
  UNIQUE KEY link (connection,user_id,external_id(191)),
  KEY external_id (connection,external_id(191)),
  KEY user_id (user_id)
) $charset_collate;";
	}

	/**
	 * Fills the table from the link meta: after the table is created, and whenever the
	 * installer runs (it is idempotent: rows already there are kept).
	 */
	public static function rebuild(): void {
		global $wpdb;
		$table  = self::table();
		$prefix = strlen( self::PREFIX ) + 1;
		// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query(
			$wpdb->prepare(
				"DELETE l FROM {$table} l LEFT JOIN {$wpdb->usermeta} m
				 ON m.user_id = l.user_id AND m.meta_key = CONCAT(%s, l.connection) AND m.meta_value = l.external_id
				 WHERE m.umeta_id IS NULL",
				self::PREFIX
			)
		);
		$wpdb->query(
			$wpdb->prepare(
				"INSERT IGNORE INTO {$table} (connection, user_id, external_id)
				 SELECT SUBSTRING(meta_key, %d), user_id, COALESCE(meta_value, '') FROM {$wpdb->usermeta}
				 WHERE meta_key LIKE %s AND CHAR_LENGTH(meta_key) <= %d",
				$prefix,
				$wpdb->esc_like( self::PREFIX ) . '%',
				strlen( self::PREFIX ) + 64
			)
		);
		// phpcs:enable
	}

	/**
	 * The users holding some external ids in a connection.
	 *
	 * @param string   $connection   Connection slug.
	 * @param string[] $external_ids External ids.
	 * @return array<string, int> External id → user id.
	 */
	public static function owners( string $connection, array $external_ids ): array {
		global $wpdb;
		$external_ids = array_values( array_unique( array_map( 'strval', $external_ids ) ) );
		if ( ! $external_ids ) {
			return array();
		}
		$table  = self::table();
		$owners = array();
		foreach ( array_chunk( $external_ids, 500 ) as $chunk ) {
			$wanted = array_flip( $chunk );
			$in = implode( ',', array_map( static fn( string $v ): string => $wpdb->prepare( '%s', $v ), $chunk ) );
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
			$rows = $wpdb->get_results( $wpdb->prepare( "SELECT user_id, external_id FROM {$table} WHERE connection = %s AND external_id IN ($in)", $connection ) );
			foreach ( (array) $rows as $row ) {
				// The index compares like MariaDB does (case-insensitively): keep exact matches.
				if ( isset( $wanted[ (string) $row->external_id ] ) ) {
					$owners[ (string) $row->external_id ] = (int) $row->user_id;
				}
			}
		}
		return $owners;
	}

	/**
	 * The user holding an external id in a connection, or null.
	 *
	 * @param string $connection  Connection slug.
	 * @param string $external_id External id.
	 */
	public static function owner( string $connection, string $external_id ): ?int {
		return self::owners( $connection, array( $external_id ) )[ $external_id ] ?? null;
	}

	/**
	 * The links of users, in one query: for a list of users (the Users screen).
	 *
	 * @param int[] $user_ids User ids.
	 * @return array<int, array<int, array{connection: string, externalId: string}>> By user id.
	 */
	public static function of_users( array $user_ids ): array {
		global $wpdb;
		$user_ids = array_values( array_unique( array_filter( array_map( 'intval', $user_ids ) ) ) );
		$links    = array_fill_keys( $user_ids, array() );
		if ( ! $user_ids ) {
			return $links;
		}
		$table = self::table();
		$in    = implode( ',', $user_ids );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( "SELECT user_id, connection, external_id FROM {$table} WHERE user_id IN ($in) ORDER BY connection" );
		foreach ( (array) $rows as $row ) {
			$links[ (int) $row->user_id ][] = array(
				'connection' => (string) $row->connection,
				'externalId' => (string) $row->external_id,
			);
		}
		return $links;
	}

	/**
	 * Records a link whose meta was inserted without the metadata API.
	 *
	 * @param string $connection  Connection slug.
	 * @param int    $user_id     User id.
	 * @param string $external_id External id ('' when the source gave none).
	 * @return bool Whether the row was written.
	 */
	public static function add( string $connection, int $user_id, string $external_id ): bool {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return false !== $wpdb->query( $wpdb->prepare( 'INSERT IGNORE INTO ' . self::table() . ' (connection, user_id, external_id) VALUES (%s, %d, %s)', $connection, $user_id, $external_id ) );
	}

	/**
	 * `added_user_meta`.
	 *
	 * @param int    $meta_id    Meta id.
	 * @param int    $user_id    User id.
	 * @param string $meta_key   Key.
	 * @param mixed  $meta_value Value.
	 */
	public static function on_meta_added( $meta_id, $user_id, $meta_key, $meta_value ): void {
		$connection = self::connection_of( $meta_key );
		if ( null !== $connection && is_scalar( $meta_value ) ) {
			self::add( $connection, (int) $user_id, (string) $meta_value );
		}
	}

	/**
	 * `updated_user_meta` and `deleted_user_meta`: the user's links in that connection are
	 * read back from usermeta (by user id, which is indexed) and copied.
	 *
	 * @param int|int[] $meta_id  Meta id(s).
	 * @param int       $user_id  User id (0 when every user's meta of that key was deleted).
	 * @param string    $meta_key Key.
	 */
	public static function on_meta_changed( $meta_id, $user_id, $meta_key ): void {
		global $wpdb;
		$connection = self::connection_of( $meta_key );
		if ( null === $connection ) {
			return;
		}
		$table = self::table();
		// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( (int) $user_id <= 0 ) {
			// delete_metadata( …, delete_all: true ) ran for the key: copy the whole connection.
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE connection = %s", $connection ) );
			$wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$table} (connection, user_id, external_id) SELECT %s, user_id, COALESCE(meta_value, '') FROM {$wpdb->usermeta} WHERE meta_key = %s", $connection, $meta_key ) );
			return;
		}
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE connection = %s AND user_id = %d", $connection, $user_id ) );
		$wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$table} (connection, user_id, external_id) SELECT %s, user_id, COALESCE(meta_value, '') FROM {$wpdb->usermeta} WHERE user_id = %d AND meta_key = %s", $connection, $user_id, $meta_key ) );
		// phpcs:enable
	}

	/**
	 * `deleted_user`: whatever remains of the user's links goes with them.
	 *
	 * @param int $user_id User id.
	 */
	public static function on_user_deleted( $user_id ): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::table() . ' WHERE user_id = %d', $user_id ) );
	}

	/**
	 * The connection a meta key links to, or null when it is not a link key.
	 *
	 * @param mixed $meta_key Key.
	 */
	private static function connection_of( $meta_key ): ?string {
		if ( ! is_string( $meta_key ) || 0 !== strpos( $meta_key, self::PREFIX ) ) {
			return null;
		}
		$connection = substr( $meta_key, strlen( self::PREFIX ) );
		return '' === $connection || strlen( $connection ) > 64 ? null : $connection;
	}
}
