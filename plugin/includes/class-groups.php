<?php
/**
 * Groups a connection provisions, and their members.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Data access for the `usersync_groups` and `usersync_group_members` tables, and the group
 * snapshot the REST routes return.
 */
class Groups {

	/**
	 * Table names.
	 *
	 * @return array{groups: string, members: string}
	 */
	private static function t(): array {
		$tables = Installer::tables();
		return array(
			'groups'  => $tables['groups'],
			'members' => $tables['group_members'],
		);
	}

	/**
	 * Finds groups of a connection.
	 *
	 * @param array{connection: string, id?: int[], display_name?: string, external_id?: string, member?: int, page?: int, per_page?: int} $query Query.
	 * @return array{total: int, rows: array<int, object>}
	 */
	public function find( array $query ): array {
		global $wpdb;
		$t = self::t();

		$where = array( $wpdb->prepare( 'g.connection = %s', $query['connection'] ) );
		if ( ! empty( $query['id'] ) ) {
			$where[] = 'g.id IN (' . implode( ',', array_map( 'intval', $query['id'] ) ) . ')';
		}
		if ( isset( $query['display_name'] ) && '' !== $query['display_name'] ) {
			// The column's collation compares case-insensitively.
			$where[] = $wpdb->prepare( 'g.display_name = %s', $query['display_name'] );
		}
		if ( isset( $query['external_id'] ) && '' !== $query['external_id'] ) {
			$where[] = $wpdb->prepare( 'g.external_id = %s', $query['external_id'] );
		}
		$join = '';
		if ( ! empty( $query['member'] ) ) {
			$join    = "INNER JOIN {$t['members']} m ON m.group_id = g.id";
			$where[] = $wpdb->prepare( 'm.user_id = %d', $query['member'] );
		}
		$where    = implode( ' AND ', $where );
		$per_page = max( 1, min( 500, (int) ( $query['per_page'] ?? 100 ) ) );
		$offset   = ( max( 1, (int) ( $query['page'] ?? 1 ) ) - 1 ) * $per_page;

		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$total = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$t['groups']} g $join WHERE $where" );
		$rows  = $total > $offset
			? $wpdb->get_results( "SELECT g.* FROM {$t['groups']} g $join WHERE $where ORDER BY g.id ASC LIMIT $offset, $per_page" )
			: array();
		// phpcs:enable

		return array(
			'total' => $total,
			'rows'  => $rows,
		);
	}

	/**
	 * One group of a connection.
	 *
	 * @param int    $id         Group id.
	 * @param string $connection Connection slug.
	 */
	public function get( int $id, string $connection ): ?object {
		global $wpdb;
		$t = self::t();
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t['groups']} WHERE id = %d AND connection = %s", $id, $connection ) );
		return $row ?: null;
	}

	/**
	 * The id of the group with this display name (case-insensitive) in a connection.
	 *
	 * @param string $connection   Connection slug.
	 * @param string $display_name Display name.
	 */
	public function id_by_display_name( string $connection, string $display_name ): ?int {
		global $wpdb;
		$t = self::t();
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$id = $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t['groups']} WHERE connection = %s AND display_name = %s", $connection, $display_name ) );
		return null === $id ? null : (int) $id;
	}

	/**
	 * Inserts a group.
	 *
	 * @param string      $connection   Connection slug.
	 * @param string      $display_name Display name.
	 * @param string|null $external_id  External id.
	 * @param array|null  $scim         Last SCIM resource.
	 * @return int|false New id.
	 */
	public function insert( string $connection, string $display_name, ?string $external_id, ?array $scim ) {
		global $wpdb;
		$now = gmdate( 'Y-m-d H:i:s' );
		// A taken name violates the unique index; the caller turns that into a 409, so the
		// database error must not be printed into the REST response.
		$suppress = $wpdb->suppress_errors( true );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$ok = $wpdb->insert(
			self::t()['groups'],
			array(
				'connection'   => $connection,
				'display_name' => $display_name,
				'external_id'  => $external_id,
				'scim'         => null === $scim ? null : self::json( $scim ),
				'created_at'   => $now,
				'modified_at'  => $now,
			),
			array( '%s', '%s', '%s', '%s', '%s', '%s' )
		);
		$wpdb->suppress_errors( $suppress );
		return false === $ok ? false : (int) $wpdb->insert_id;
	}

	/**
	 * Updates a group's own fields and its modification time.
	 *
	 * @param int                  $id     Group id.
	 * @param array<string, mixed> $fields Any of display_name, external_id, scim (array|null).
	 */
	public function update( int $id, array $fields ): bool {
		global $wpdb;
		$data = array();
		foreach ( array( 'display_name', 'external_id' ) as $column ) {
			if ( array_key_exists( $column, $fields ) ) {
				$data[ $column ] = $fields[ $column ];
			}
		}
		if ( array_key_exists( 'scim', $fields ) ) {
			$data['scim'] = null === $fields['scim'] ? null : self::json( $fields['scim'] );
		}
		$data['modified_at'] = gmdate( 'Y-m-d H:i:s' );
		$suppress            = $wpdb->suppress_errors( true ); // See insert().
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$ok = $wpdb->update( self::t()['groups'], $data, array( 'id' => $id ) );
		$wpdb->suppress_errors( $suppress );
		return false !== $ok;
	}

	/**
	 * Deletes a group and its memberships.
	 *
	 * @param int $id Group id.
	 */
	public function delete( int $id ): bool {
		global $wpdb;
		$t = self::t();
		// phpcs:disable WordPress.DB.DirectDatabaseQuery
		$members = $wpdb->delete( $t['members'], array( 'group_id' => $id ), array( '%d' ) );
		$group   = $wpdb->delete( $t['groups'], array( 'id' => $id ), array( '%d' ) );
		// phpcs:enable
		return false !== $members && false !== $group;
	}

	/**
	 * Members of the groups with these display names (compared without regard to case), in
	 * every connection.
	 *
	 * @param string[] $names Display names.
	 * @return array<string, int[]> User ids by connection slug.
	 */
	public function members_by_name( array $names ): array {
		global $wpdb;
		$names = array_values( array_unique( array_filter( array_map( 'strval', $names ), 'strlen' ) ) );
		if ( ! $names ) {
			return array();
		}
		$t  = self::t();
		$in = implode( ',', array_map( static fn( string $name ): string => $wpdb->prepare( '%s', mb_strtolower( $name ) ), $names ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$rows   = $wpdb->get_results( "SELECT DISTINCT g.connection, m.user_id FROM {$t['groups']} g INNER JOIN {$t['members']} m ON m.group_id = g.id WHERE LOWER(g.display_name) IN ($in) ORDER BY m.user_id" );
		$result = array();
		foreach ( $rows as $row ) {
			$result[ (string) $row->connection ][] = (int) $row->user_id;
		}
		return $result;
	}

	/**
	 * Member user ids of groups.
	 *
	 * @param int[] $group_ids Group ids.
	 * @return array<int, int[]> Sorted user ids by group id.
	 */
	public function member_ids( array $group_ids ): array {
		global $wpdb;
		$result = array_fill_keys( array_map( 'intval', $group_ids ), array() );
		if ( ! $result ) {
			return $result;
		}
		$t   = self::t();
		$ids = implode( ',', array_keys( $result ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( "SELECT group_id, user_id FROM {$t['members']} WHERE group_id IN ($ids) ORDER BY user_id ASC" );
		foreach ( $rows as $row ) {
			$result[ (int) $row->group_id ][] = (int) $row->user_id;
		}
		return $result;
	}

	/**
	 * Adds members (existing memberships are kept).
	 *
	 * @param int   $group_id Group id.
	 * @param int[] $user_ids User ids.
	 */
	public function add_members( int $group_id, array $user_ids ): bool {
		global $wpdb;
		if ( ! $user_ids ) {
			return true;
		}
		$t      = self::t();
		$values = array();
		foreach ( array_unique( array_map( 'intval', $user_ids ) ) as $user_id ) {
			$values[] = $wpdb->prepare( '(%d, %d)', $group_id, $user_id );
		}
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		return false !== $wpdb->query( "INSERT IGNORE INTO {$t['members']} (group_id, user_id) VALUES " . implode( ',', $values ) );
	}

	/**
	 * Removes members.
	 *
	 * @param int   $group_id Group id.
	 * @param int[] $user_ids User ids.
	 */
	public function remove_members( int $group_id, array $user_ids ): bool {
		global $wpdb;
		if ( ! $user_ids ) {
			return true;
		}
		$t   = self::t();
		$ids = implode( ',', array_map( 'intval', $user_ids ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		return false !== $wpdb->query( $wpdb->prepare( "DELETE FROM {$t['members']} WHERE group_id = %d AND user_id IN ($ids)", $group_id ) );
	}

	/**
	 * Removes a user from every group (the user was deleted).
	 *
	 * @param int $user_id User id.
	 */
	public function remove_user( int $user_id ): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->delete( self::t()['members'], array( 'user_id' => $user_id ), array( '%d' ) );
	}

	/**
	 * Removes a user from the groups of one connection (the user was unlinked from it).
	 *
	 * @param int    $user_id    User id.
	 * @param string $connection Connection slug.
	 * @return int[] Ids of the groups the user left.
	 */
	public function remove_user_from_connection( int $user_id, string $connection ): array {
		global $wpdb;
		$t = self::t();
		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$group_ids = array_map(
			'intval',
			$wpdb->get_col( $wpdb->prepare( "SELECT m.group_id FROM {$t['members']} m INNER JOIN {$t['groups']} g ON g.id = m.group_id WHERE m.user_id = %d AND g.connection = %s", $user_id, $connection ) )
		);
		if ( $group_ids ) {
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$t['members']} WHERE user_id = %d AND group_id IN (" . implode( ',', $group_ids ) . ')', $user_id ) );
			$wpdb->query( $wpdb->prepare( "UPDATE {$t['groups']} SET modified_at = %s WHERE id IN (" . implode( ',', $group_ids ) . ')', gmdate( 'Y-m-d H:i:s' ) ) );
		}
		// phpcs:enable
		return $group_ids;
	}

	/**
	 * Groups of users, optionally only those of one connection, in one query.
	 *
	 * @param int[]       $user_ids   User ids.
	 * @param string|null $connection Connection slug, or null for all connections.
	 * @return array<int, array<int, array{id: int, displayName: string}>> By user id.
	 */
	public function groups_of_users( array $user_ids, ?string $connection ): array {
		global $wpdb;
		$result = array_fill_keys( array_map( 'intval', $user_ids ), array() );
		if ( ! $result ) {
			return $result;
		}
		$t     = self::t();
		$ids   = implode( ',', array_keys( $result ) );
		$where = null === $connection ? '' : $wpdb->prepare( ' AND g.connection = %s', $connection );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( "SELECT m.user_id, g.id, g.display_name FROM {$t['members']} m INNER JOIN {$t['groups']} g ON g.id = m.group_id WHERE m.user_id IN ($ids)$where ORDER BY g.id ASC" );
		foreach ( $rows as $row ) {
			$result[ (int) $row->user_id ][] = array(
				'id'          => (int) $row->id,
				'displayName' => (string) $row->display_name,
			);
		}
		return $result;
	}

	/**
	 * Snapshots of group rows.
	 *
	 * @param object[] $rows         Rows of the groups table.
	 * @param bool     $with_members Whether to list the members (the version covers them either way).
	 * @return array<int, array<string, mixed>>
	 */
	public function snapshots( array $rows, bool $with_members = true ): array {
		global $wpdb;
		if ( ! $rows ) {
			return array();
		}
		$group_ids  = array_map( static fn( $row ): int => (int) $row->id, $rows );
		$member_ids = $this->member_ids( $group_ids );

		$users = array();
		if ( $with_members ) {
			$all = array_unique( array_merge( array(), ...array_values( $member_ids ) ) );
			if ( $all ) {
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
				$found = $wpdb->get_results( "SELECT ID, user_login, display_name FROM {$wpdb->users} WHERE ID IN (" . implode( ',', $all ) . ')' );
				foreach ( $found as $user ) {
					$users[ (int) $user->ID ] = $user;
				}
			}
		}

		$snapshots = array();
		foreach ( $rows as $row ) {
			$ids      = $member_ids[ (int) $row->id ] ?? array();
			$scim     = null === $row->scim ? null : json_decode( (string) $row->scim );
			$snapshot = array(
				'id'          => (int) $row->id,
				'connection'  => (string) $row->connection,
				'displayName' => (string) $row->display_name,
				'externalId'  => null === $row->external_id || '' === $row->external_id ? null : (string) $row->external_id,
				'created'     => self::iso( (string) $row->created_at ),
				'modified'    => self::iso( (string) $row->modified_at ),
				'version'     => '',
				'members'     => array(),
				'scim'        => is_object( $scim ) ? $scim : null,
			);

			$snapshot['version'] = self::version( $snapshot, $ids );
			if ( $with_members ) {
				foreach ( $ids as $id ) {
					if ( isset( $users[ $id ] ) ) {
						$snapshot['members'][] = array(
							'id'          => $id,
							'login'       => (string) $users[ $id ]->user_login,
							'displayName' => (string) $users[ $id ]->display_name,
						);
					}
				}
			} else {
				unset( $snapshot['members'] );
			}
			$snapshots[] = $snapshot;
		}
		return $snapshots;
	}

	/**
	 * ETag of a group: over its fields and member ids, the same with or without member lists.
	 *
	 * @param array<string, mixed> $snapshot   Snapshot without version.
	 * @param int[]                $member_ids Member ids.
	 */
	private static function version( array $snapshot, array $member_ids ): string {
		unset( $snapshot['version'], $snapshot['members'] );
		$snapshot['memberIds'] = $member_ids;
		return 'W/"' . substr( sha1( (string) wp_json_encode( $snapshot ) ), 0, 16 ) . '"';
	}

	/**
	 * JSON of an object (an empty one stays an object).
	 *
	 * @param array<string, mixed> $value Value.
	 */
	private static function json( array $value ): string {
		return $value ? (string) wp_json_encode( $value ) : '{}';
	}

	/**
	 * ISO-8601 UTC from a DATETIME column.
	 *
	 * @param string $datetime 'Y-m-d H:i:s' in UTC.
	 */
	private static function iso( string $datetime ): string {
		return str_replace( ' ', 'T', $datetime ) . 'Z';
	}
}
