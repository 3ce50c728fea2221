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

	/**
	 * Finds users.
	 *
	 * @param array<string, mixed> $query connection, linked, id (int[]), login, email, external_id, search, page, per_page, orderby, order.
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
		if ( null !== $connection && isset( $query['external_id'] ) ) {
			// By value through the link index (usermeta has no index on meta_value).
			$owner   = Links::owner( $connection, (string) $query['external_id'] );
			$where[] = null === $owner ? '0=1' : 'u.ID = ' . $owner;
		} elseif ( null !== $connection && ! empty( $query['linked'] ) ) {
			$where[] = $wpdb->prepare( "EXISTS (SELECT 1 FROM {$wpdb->usermeta} link WHERE link.user_id = u.ID AND link.meta_key = %s)", Connection::link_key( $connection ) );
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
}
