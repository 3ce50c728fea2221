<?php
/**
 * Reading the audit log: filters, pages, totals, and a row-by-row walk for exports.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * One search of the `usersync_audit` table. Filters are combined with AND; every value
 * reaches SQL through $wpdb->prepare().
 */
class Audit_Query {

	/**
	 * WHERE clauses, each with its placeholders already prepared.
	 *
	 * @var string[]
	 */
	private array $where = array();

	/**
	 * Newest first (desc) or oldest first (asc).
	 *
	 * @var string
	 */
	private string $order;

	/**
	 * Builds the query from filters.
	 *
	 * @param array{source?: string, action?: string, result?: string, user?: string, run?: string, search?: string, after?: string, before?: string, order?: string} $filters
	 *        `source` ending in `*` matches a prefix (`run:*`: every run), `connection:<slug>` also
	 *        matches the entries of that connection's runs; `user` is part of a login or a user id;
	 *        `after`/`before` are UTC `Y-m-d H:i:s` bounds (after inclusive, before exclusive).
	 */
	public function __construct( array $filters ) {
		global $wpdb;

		$source = (string) ( $filters['source'] ?? '' );
		if ( '' !== $source ) {
			if ( '*' === substr( $source, -1 ) ) {
				$this->where[] = $wpdb->prepare( 'source LIKE %s', $wpdb->esc_like( substr( $source, 0, -1 ) ) . '%' );
			} elseif ( 0 === strpos( $source, 'connection:' ) ) {
				// A connection's entries: its own, and those of its runs (written as run:<id>).
				$slug          = substr( $source, strlen( 'connection:' ) );
				$table         = self::table();
				$this->where[] = $wpdb->prepare( "(source = %s OR connection = %s OR run_id IN (SELECT r.run_id FROM {$table} r WHERE r.connection = %s AND r.run_id IS NOT NULL))", $source, $slug, $slug ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			} else {
				$this->where[] = $wpdb->prepare( 'source = %s', $source );
			}
		}
		foreach ( array( 'action', 'result' ) as $column ) {
			$value = (string) ( $filters[ $column ] ?? '' );
			if ( '' !== $value ) {
				$this->where[] = $wpdb->prepare( "$column = %s", $value ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- column names are fixed above.
			}
		}
		$run = (string) ( $filters['run'] ?? '' );
		if ( '' !== $run ) {
			$this->where[] = $wpdb->prepare( 'run_id = %s', $run );
		}
		$user = trim( (string) ( $filters['user'] ?? '' ) );
		if ( '' !== $user ) {
			// Part of a login is enough ("grace" finds grace.hopper@contoso.com); a number is also an id.
			// A renamed user is found under every login it had: the entries of any user an entry
			// names by that login, or whose rename names it as the login before (the last field).
			$like          = '%' . $wpdb->esc_like( $user ) . '%';
			$previous      = '%' . $wpdb->esc_like( '"' . User_Writer::PREVIOUS_LOGIN_FIELD ) . '%' . $wpdb->esc_like( $user ) . '%"]';
			$table         = self::table();
			$named         = $wpdb->prepare( "(user_login LIKE %s OR user_id IN (SELECT n.user_id FROM {$table} n WHERE n.user_id IS NOT NULL AND (n.user_login LIKE %s OR n.fields LIKE %s)))", $like, $like, $previous ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$this->where[] = ctype_digit( $user )
				? $wpdb->prepare( '(user_id = %d OR ', (int) $user ) . $named . ')'
				: $named;
		}
		$search = trim( (string) ( $filters['search'] ?? '' ) );
		if ( '' !== $search ) {
			$like          = '%' . $wpdb->esc_like( $search ) . '%';
			$this->where[] = $wpdb->prepare( '(user_login LIKE %s OR actor LIKE %s OR source LIKE %s OR fields LIKE %s OR error LIKE %s)', $like, $like, $like, $like, $like );
		}
		if ( ! empty( $filters['after'] ) ) {
			$this->where[] = $wpdb->prepare( 'created_at >= %s', $filters['after'] );
		}
		if ( ! empty( $filters['before'] ) ) {
			$this->where[] = $wpdb->prepare( 'created_at < %s', $filters['before'] );
		}
		$this->order = 'asc' === ( $filters['order'] ?? 'desc' ) ? 'ASC' : 'DESC';
	}

	/**
	 * How many entries match.
	 */
	public function count(): int {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared -- the WHERE parts are prepared.
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . self::table() . $this->where_sql() );
	}

	/**
	 * One page of entries.
	 *
	 * @param int $page     1-based page.
	 * @param int $per_page Entries per page.
	 * @return array<int, array<string, mixed>> Entries as the REST API shows them.
	 */
	public function page( int $page, int $per_page ): array {
		global $wpdb;
		$offset = max( 0, $page - 1 ) * $per_page;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared -- the WHERE parts are prepared.
		$rows = $wpdb->get_results( 'SELECT * FROM ' . self::table() . $this->where_sql() . " ORDER BY id {$this->order}" . $wpdb->prepare( ' LIMIT %d OFFSET %d', $per_page, $offset ), ARRAY_A );
		return array_map( array( self::class, 'to_entry' ), is_array( $rows ) ? $rows : array() );
	}

	/**
	 * Every matching entry, read in chunks by id so memory stays flat however long the log.
	 *
	 * @param int $chunk Rows per database read.
	 * @return \Generator<int, array<string, mixed>>
	 */
	public function each( int $chunk = 500 ): \Generator {
		global $wpdb;
		$last = null;
		$desc = 'DESC' === $this->order;
		do {
			$where = $this->where;
			if ( null !== $last ) {
				$where[] = $wpdb->prepare( $desc ? 'id < %d' : 'id > %d', $last );
			}
			$sql = 'SELECT * FROM ' . self::table() . ( $where ? ' WHERE ' . implode( ' AND ', $where ) : '' ) . " ORDER BY id {$this->order}" . $wpdb->prepare( ' LIMIT %d', $chunk );
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared -- the WHERE parts are prepared.
			$rows = $wpdb->get_results( $sql, ARRAY_A );
			$rows = is_array( $rows ) ? $rows : array();
			foreach ( $rows as $row ) {
				$last = (int) $row['id'];
				yield self::to_entry( $row );
			}
		} while ( count( $rows ) === $chunk );
	}

	/**
	 * Distinct values of a column, most recently used first.
	 *
	 * @param string $column  `source` or `action`.
	 * @param int    $limit   At most this many.
	 * @param bool   $no_runs Leave out `run:<id>` sources (one per run; they are filtered as `run:*`).
	 * @return string[]
	 */
	public static function distinct( string $column, int $limit, bool $no_runs = false ): array {
		global $wpdb;
		if ( ! in_array( $column, array( 'source', 'action' ), true ) ) {
			return array();
		}
		$where = $no_runs ? $wpdb->prepare( ' WHERE source NOT LIKE %s', 'run:%' ) : '';
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared -- fixed column, prepared WHERE.
		$values = $wpdb->get_col( "SELECT $column FROM " . self::table() . $where . " GROUP BY $column ORDER BY MAX(id) DESC" . $wpdb->prepare( ' LIMIT %d', $limit ) );
		return array_values( array_filter( array_map( 'strval', (array) $values ), static fn( string $value ): bool => '' !== $value ) );
	}

	/**
	 * Whether any entry was written by a run.
	 */
	public static function has_runs(): bool {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared -- prepared.
		return null !== $wpdb->get_var( $wpdb->prepare( 'SELECT id FROM ' . self::table() . ' WHERE source LIKE %s LIMIT 1', 'run:%' ) );
	}

	/**
	 * Deletes entries written before a moment.
	 *
	 * @param string $before UTC `Y-m-d H:i:s`.
	 * @return int Rows deleted.
	 */
	public static function delete_before( string $before ): int {
		global $wpdb;
		$deleted = 0;
		// In slices, so a first prune of a long log does not hold a long lock.
		do {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared -- prepared.
			$rows     = (int) $wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::table() . ' WHERE created_at < %s ORDER BY id LIMIT 5000', $before ) );
			$deleted += $rows;
		} while ( 5000 === $rows );
		return $deleted;
	}

	/**
	 * A row as the REST API and the export show it.
	 *
	 * @param array<string, mixed> $row Database row.
	 * @return array<string, mixed>
	 */
	public static function to_entry( array $row ): array {
		$fields = json_decode( (string) ( $row['fields'] ?? '' ), true );
		return array(
			'id'        => (int) $row['id'],
			'createdAt' => gmdate( 'Y-m-d\TH:i:s\Z', (int) strtotime( $row['created_at'] . ' UTC' ) ),
			'actor'     => (string) $row['actor'],
			'source'    => (string) $row['source'],
			'action'    => (string) $row['action'],
			'userId'    => null === $row['user_id'] ? null : (int) $row['user_id'],
			'userLogin' => (string) $row['user_login'],
			'fields'    => is_array( $fields ) ? array_values( array_map( 'strval', array_filter( $fields, 'is_scalar' ) ) ) : array(),
			'result'    => (string) $row['result'],
			'error'     => null === $row['error'] || '' === $row['error'] ? null : (string) $row['error'],
			'runId'      => null === $row['run_id'] || '' === $row['run_id'] ? null : (string) $row['run_id'],
			'connection' => empty( $row['connection'] ) ? null : (string) $row['connection'],
		);
	}

	/**
	 * The audit table's name.
	 */
	private static function table(): string {
		return Installer::tables()['audit'];
	}

	/**
	 * The WHERE clause, or nothing.
	 */
	private function where_sql(): string {
		return $this->where ? ' WHERE ' . implode( ' AND ', $this->where ) : '';
	}
}
