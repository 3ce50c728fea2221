<?php
/**
 * Finding users for the sidecar: by connection link, external id, login, email, search.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * One count query and one page query per lookup, with the filters the SCIM and connector
 * lookups need. Logins and emails compare case-insensitively (the WordPress tables'
 * collation does).
 */
class User_Directory {

	private const ORDER_COLUMNS = array(
		'id'         => 'u.ID',
		'login'      => 'u.user_login',
		'email'      => 'u.user_email',
		'registered' => 'u.user_registered',
		'modified'   => 'modified_order',
	);

	/** Attributes a match condition can compare. */
	public const MATCH_ATTRIBUTES = array( 'login', 'email', 'display_name', 'external_id', 'modified' );

	/** Operators of a match condition (SCIM's, without ne and not: those stay with the caller). */
	public const MATCH_OPERATORS = array( 'eq', 'sw', 'ew', 'co', 'gt', 'ge', 'lt', 'le', 'pr' );

	/** A stored modification time as the snapshots show it (ISO 8601, UTC, whole seconds). */
	public const MODIFIED_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$';

	private const MATCH_COLUMNS = array(
		'login'        => 'u.user_login',
		'email'        => 'u.user_email',
		'display_name' => 'u.display_name',
	);

	/**
	 * Finds users.
	 *
	 * @param array<string, mixed> $query connection, linked, id (int[]), login, email, external_id, search, match, page, per_page, orderby, order.
	 * @return array{total: int, ids: int[]}
	 */
	public function find( array $query ): array {
		global $wpdb;

		$joins = array();
		$where = array( '1=1' );

		if ( is_multisite() ) {
			// Members of this site only.
			$joins[] = $wpdb->prepare( "INNER JOIN {$wpdb->usermeta} site ON site.user_id = u.ID AND site.meta_key = %s", $wpdb->get_blog_prefix() . 'capabilities' );
		}

		$connection = $query['connection'] ?? null;
		if ( ! empty( $query['match'] ) ) {
			// First: a scan (co, ew) tests the cheap column condition before the link lookup.
			$where[] = $this->match_sql( (array) $query['match'], $connection );
		}
		if ( null !== $connection && isset( $query['external_id'] ) ) {
			// By value through the link index (usermeta has no index on meta_value).
			$owner   = Links::owner( $connection, (string) $query['external_id'] );
			$where[] = null === $owner ? '0=1' : 'u.ID = ' . $owner;
		} elseif ( null !== $connection && ! empty( $query['linked'] ) ) {
			$narrowed = ! empty( $query['match'] ) || ! empty( $query['id'] ) || isset( $query['login'] ) || isset( $query['email'] );
			// With a narrowing condition, a lookup per candidate: as EXISTS, MariaDB
			// materializes every link of the connection first (200 ms at 100,000 users).
			$where[] = $narrowed
				? $wpdb->prepare( "(SELECT 1 FROM {$wpdb->usermeta} link WHERE link.user_id = u.ID AND link.meta_key = %s LIMIT 1) IS NOT NULL", Connection::link_key( $connection ) )
				: $wpdb->prepare( "EXISTS (SELECT 1 FROM {$wpdb->usermeta} link WHERE link.user_id = u.ID AND link.meta_key = %s)", Connection::link_key( $connection ) );
		}
		if ( ! empty( $query['id'] ) ) {
			$where[] = 'u.ID IN (' . implode( ',', array_map( 'intval', $query['id'] ) ) . ')';
		}
		if ( isset( $query['login'] ) ) {
			$where[] = $wpdb->prepare( 'u.user_login = %s', $query['login'] );
		}
		if ( isset( $query['email'] ) ) {
			$where[] = $wpdb->prepare( 'u.user_email = %s', $query['email'] );
		}
		if ( isset( $query['search'] ) && '' !== $query['search'] ) {
			$like    = '%' . $wpdb->esc_like( $query['search'] ) . '%';
			$where[] = $wpdb->prepare( '(u.user_login LIKE %s OR u.user_email LIKE %s OR u.display_name LIKE %s OR u.user_nicename LIKE %s)', $like, $like, $like, $like );
		}


		$orderby = self::ORDER_COLUMNS[ $query['orderby'] ?? 'id' ] ?? 'u.ID';
		$order   = 'desc' === strtolower( (string) ( $query['order'] ?? 'asc' ) ) ? 'DESC' : 'ASC';
		$select  = 'u.ID';
		if ( 'modified_order' === $orderby ) {
			$joins[] = "LEFT JOIN {$wpdb->usermeta} modified ON modified.user_id = u.ID AND modified.meta_key = 'usersync_modified'";
			$select .= ", COALESCE(modified.meta_value, DATE_FORMAT(u.user_registered, '%Y-%m-%dT%H:%i:%sZ')) AS modified_order";
		}

		$per_page = max( 1, min( 500, (int) ( $query['per_page'] ?? 100 ) ) );
		$offset   = ( max( 1, (int) ( $query['page'] ?? 1 ) ) - 1 ) * $per_page;
		$from     = "{$wpdb->users} u " . implode( ' ', $joins );
		$where    = implode( ' AND ', $where );

		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$total = (int) $wpdb->get_var( "SELECT COUNT(DISTINCT u.ID) FROM {$wpdb->users} u " . ( is_multisite() ? $joins[0] : '' ) . " WHERE $where" );
		$ids   = $total > $offset
			? array_map( 'intval', $wpdb->get_col( "SELECT $select FROM $from WHERE $where ORDER BY $orderby $order, u.ID $order LIMIT $offset, $per_page" ) )
			: array();
		// phpcs:enable

		return array(
			'total' => $total,
			'ids'   => $ids,
		);
	}

	/**
	 * The WHERE part of match clauses: any clause (OR), each clause all of its conditions (AND).
	 * Login, email and display name compare case-insensitively, and exactly so: the column's
	 * collation narrows through the indexes (a `sw` is a range on user_login and user_email),
	 * then the lower-cased bytes decide, since the collation also folds accents and trailing
	 * spaces. External ids compare case-exactly. LIKE patterns escape the value's own `%`,
	 * `_` and `\`, so they match literally.
	 *
	 * @param array<int, array<int, array<string, string>>> $clauses    Clauses of conditions {attr, op, value}.
	 * @param string|null                                   $connection Connection of external ids.
	 * @return string
	 */
	private function match_sql( array $clauses, ?string $connection ): string {
		$any = array();
		foreach ( $clauses as $clause ) {
			$all = array();
			foreach ( (array) $clause as $condition ) {
				$all[] = $this->condition_sql( (array) $condition, $connection );
			}
			$any[] = '(' . ( $all ? implode( ' AND ', $all ) : '1=1' ) . ')';
		}
		return '(' . implode( ' OR ', $any ) . ')';
	}

	/**
	 * One match condition as SQL, every value through $wpdb->prepare().
	 *
	 * @param array<string, string> $condition  attr, op, value.
	 * @param string|null           $connection Connection of external ids.
	 * @return string
	 */
	private function condition_sql( array $condition, ?string $connection ): string {
		global $wpdb;
		$attr  = (string) ( $condition['attr'] ?? '' );
		$op    = (string) ( $condition['op'] ?? '' );
		$value = (string) ( $condition['value'] ?? '' );

		if ( 'external_id' === $attr ) {
			$links = Links::table();
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$inner = 'pr' === $op ? "l.external_id <> ''" : self::compare( 'l.external_id', $op, $value, true );
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			return "u.ID IN (SELECT l.user_id FROM {$links} l WHERE l.connection = " . $wpdb->prepare( '%s', (string) $connection ) . " AND $inner)";
		}
		if ( 'modified' === $attr ) {
			if ( 'pr' === $op ) {
				return '1=1';
			}
			$modified = "COALESCE((SELECT m.meta_value FROM {$wpdb->usermeta} m WHERE m.user_id = u.ID AND m.meta_key = 'usersync_modified' LIMIT 1), DATE_FORMAT(u.user_registered, '%Y-%m-%dT%H:%i:%sZ'))";
			$sql      = array(
				'eq' => '=',
				'gt' => '>',
				'ge' => '>=',
				'lt' => '<',
				'le' => '<=',
			);
			// ISO 8601 UTC strings of one shape order as the instants do.
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			return isset( $sql[ $op ] ) ? "BINARY $modified {$sql[ $op ]} CAST(" . $wpdb->prepare( '%s', $value ) . ' AS BINARY)' : '0=1';
		}
		$column = self::MATCH_COLUMNS[ $attr ] ?? null;
		if ( null === $column ) {
			return '0=1';
		}
		if ( 'pr' === $op ) {
			return "$column <> ''";
		}
		$sql = self::compare( $column, $op, $value, false );
		if ( 'login' === $attr && null !== $connection ) {
			// A source whose login WordPress did not take finds the user by the one it sent.
			$sql = '(' . $sql . ' OR u.ID IN (SELECT s.user_id FROM ' . $wpdb->usermeta . ' s WHERE s.meta_key = '
				. $wpdb->prepare( '%s', Connection::source_login_key( $connection ) ) . ' AND ' . self::compare( 's.meta_value', $op, $value, false ) . '))';
		}
		return $sql;
	}

	/**
	 * A comparison of a column with a value: through the column's collation first (which the
	 * indexes follow), then byte by byte (lower-cased unless case-exact).
	 *
	 * @param string $column     Column (trusted SQL).
	 * @param string $op         eq, sw, ew, co, gt, ge, lt or le.
	 * @param string $value      Value.
	 * @param bool   $case_exact Whether case matters.
	 * @return string
	 */
	private static function compare( string $column, string $op, string $value, bool $case_exact ): string {
		global $wpdb;
		$bytes = $case_exact ? "BINARY $column" : "BINARY LOWER($column)";
		$want  = $case_exact ? $value : mb_strtolower( $value, 'UTF-8' );
		$order = array(
			'gt' => '>',
			'ge' => '>=',
			'lt' => '<',
			'le' => '<=',
		);
		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( isset( $order[ $op ] ) ) {
			return $wpdb->prepare( "$bytes {$order[ $op ]} CAST(%s AS BINARY)", $want );
		}
		if ( 'eq' === $op ) {
			return $wpdb->prepare( "($column = %s AND $bytes = CAST(%s AS BINARY))", $value, $want );
		}
		$patterns = array(
			'sw' => array( '', '%' ),
			'ew' => array( '%', '' ),
			'co' => array( '%', '%' ),
		);
		if ( ! isset( $patterns[ $op ] ) ) {
			return '0=1';
		}
		list( $before, $after ) = $patterns[ $op ];
		return $wpdb->prepare(
			"($column LIKE %s AND $bytes LIKE CAST(%s AS BINARY))",
			$before . $wpdb->esc_like( $value ) . $after,
			$before . $wpdb->esc_like( $want ) . $after
		);
		// phpcs:enable
	}
}
