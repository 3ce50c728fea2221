<?php
/**
 * One database transaction around one batch operation.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * START TRANSACTION / COMMIT / ROLLBACK on the WordPress connection (InnoDB tables), plus
 * what a rollback must also undo in memory: the object cache of the users it touched and
 * the outbox rows still pending.
 *
 * WordPress swallows database errors (update_user_meta() just returns false), so a
 * deadlock in the middle of a write used to leave the rest of it autocommitted and answer
 * success. Here autocommit is off for the whole transaction, and every database error
 * raised inside it fails the commit: a deadlock or lock wait timeout as a retryable
 * `usersync_deadlock` (see retry()), anything else as `usersync_write_failed`.
 */
class Transaction {

	/** Attempts of an operation that keeps meeting deadlocks, the first one included. */
	public const MAX_ATTEMPTS = 4;

	/** Error code of a write the database refused for a deadlock or a lock wait timeout. */
	public const DEADLOCK = 'usersync_deadlock';

	/** Named locks taken (or released) by one statement. */
	private const LOCKS_PER_STATEMENT = 50;

	/**
	 * Whether a transaction is open.
	 *
	 * @var bool
	 */
	private bool $open = false;

	/**
	 * Named locks held until the transaction ends.
	 *
	 * @var string[]
	 */
	private array $locks = array();

	/**
	 * Database errors recorded before the transaction began (index into $EZSQL_ERROR).
	 *
	 * @var int
	 */
	private int $errors_before = 0;

	/**
	 * Opens the transaction and defers the outbox into it.
	 *
	 * WordPress has no unique index on logins or emails, so two requests creating the same
	 * login at once would both succeed. Creations therefore take a named lock per login,
	 * email and external id first: the second request waits, then sees the first one's
	 * committed user and fails its uniqueness check instead of duplicating the user.
	 *
	 * @param string[] $keys Values to lock (e.g. 'login:alice'); none by default.
	 * @throws Operation_Error When a lock is not granted within 10 seconds.
	 */
	public function begin( array $keys = array() ): void {
		global $wpdb;
		// Whatever was noted before belongs to earlier work, not to this transaction.
		Plugin::outbox()->flush();

		$this->locks = self::acquire( $keys );
		// Off for the whole transaction: after a deadlock rolled it back, the statements that
		// follow must not be committed one by one (they are rolled back with the rest).
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( 'SET autocommit = 0' );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( 'START TRANSACTION' );
		$this->open          = true;
		$this->errors_before = self::error_count();
		Plugin::outbox()->defer();
	}

	/**
	 * Runs work while holding named locks (e.g. 'user:12'), released whatever happens. A
	 * write holds its object's lock across read, check and write, so that a concurrent write
	 * of the same object waits and then reads what this one committed.
	 *
	 * @param string[] $keys Values to lock; none runs the work unlocked.
	 * @param callable $work The work; its return value is returned.
	 * @return mixed
	 * @throws Operation_Error When a lock is not granted within 10 seconds, or what work throws.
	 */
	public static function hold( array $keys, callable $work ) {
		$names = self::acquire( $keys );
		try {
			return $work();
		} finally {
			self::release( $names );
		}
	}

	/**
	 * Runs an operation again, from its first read, while it fails for a deadlock or a lock
	 * wait timeout; at most MAX_ATTEMPTS times, with a short randomised pause between.
	 *
	 * @param callable $operation Reads, checks and writes (in its own transaction).
	 * @return mixed What the operation returns.
	 * @throws Operation_Error What the last attempt threw.
	 */
	public static function retry( callable $operation ) {
		for ( $attempt = 1; ; $attempt++ ) {
			try {
				return $operation( $attempt );
			} catch ( Operation_Error $error ) {
				if ( self::DEADLOCK !== $error->error_code || $attempt >= self::MAX_ATTEMPTS ) {
					throw $error;
				}
				usleep( wp_rand( 10, 50 ) * 1000 * $attempt );
			}
		}
	}

	/**
	 * Fails when a database error was raised since the transaction began.
	 *
	 * @throws Operation_Error Retryable for a deadlock or a lock wait timeout.
	 */
	public function check_errors(): void {
		global $EZSQL_ERROR;
		if ( self::error_count() <= $this->errors_before ) {
			return;
		}
		$raised = array_slice( (array) $EZSQL_ERROR, $this->errors_before );
		foreach ( $raised as $error ) {
			if ( preg_match( '/deadlock|lock wait timeout/i', (string) ( $error['error_str'] ?? '' ) ) ) {
				throw new Operation_Error( 503, self::DEADLOCK, __( 'The database resolved a conflict with a concurrent write by undoing this one; nothing was written.', 'usersync' ) );
			}
		}
		// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
		error_log( 'UserSync: database error during a write: ' . (string) ( end( $raised )['error_str'] ?? '' ) );
		throw new Operation_Error( 500, 'usersync_write_failed', __( 'The database refused part of the write; nothing was written.', 'usersync' ) );
	}

	/**
	 * How many database errors WordPress has recorded in this request.
	 */
	private static function error_count(): int {
		global $EZSQL_ERROR;
		return is_array( $EZSQL_ERROR ) ? count( $EZSQL_ERROR ) : 0;
	}

	/**
	 * Takes named locks, all or none, in the order given.
	 *
	 * @param string[] $keys Values to lock.
	 * @return string[] Lock names taken.
	 * @throws Operation_Error When a lock is not granted within 10 seconds.
	 */
	private static function acquire( array $keys ): array {
		global $wpdb;
		$keys = array_values( array_unique( $keys ) );
		if ( ! $keys ) {
			return array();
		}
		$names = array_map( static fn( string $key ): string => 'usersync:' . md5( $wpdb->prefix . strtolower( $key ) ), $keys );
		$taken = array();
		// A statement per LOCKS_PER_STATEMENT locks: one expression of hundreds of them
		// overruns the database thread's stack.
		foreach ( array_chunk( $names, self::LOCKS_PER_STATEMENT ) as $chunk ) {
			$sql = 'SELECT ' . implode( ' + ', array_map( static fn( string $name ): string => $wpdb->prepare( 'COALESCE(GET_LOCK(%s, 10), 0)', $name ), $chunk ) );
			// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared, WordPress.DB.DirectDatabaseQuery
			$granted = (int) $wpdb->get_var( $sql );
			$taken   = array_merge( $taken, $chunk );
			if ( count( $chunk ) !== $granted ) {
				self::release( $taken );
				throw new Operation_Error( 503, 'usersync_busy', __( 'Another request is writing the same user; try again.', 'usersync' ) );
			}
		}
		return $names;
	}

	/**
	 * Releases named locks.
	 *
	 * @param string[] $names Lock names.
	 */
	private static function release( array $names ): void {
		global $wpdb;
		foreach ( array_chunk( $names, self::LOCKS_PER_STATEMENT ) as $chunk ) {
			$sql = 'SELECT ' . implode( ', ', array_map( static fn( string $name ): string => $wpdb->prepare( 'RELEASE_LOCK(%s)', $name ), $chunk ) );
			// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared, WordPress.DB.DirectDatabaseQuery
			$wpdb->query( $sql );
		}
	}

	/**
	 * Writes the pending outbox rows, then commits.
	 *
	 * @throws Operation_Error When a database error was raised inside the transaction (the
	 *                        caller rolls back) or the commit fails.
	 */
	public function commit(): void {
		global $wpdb;
		Plugin::outbox()->settle();
		// Nothing is committed after a swallowed error: the caller rolls back instead.
		$this->check_errors();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$ok = $wpdb->query( 'COMMIT' );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( 'SET autocommit = 1' );
		$this->open = false;
		$this->release_locks();
		if ( false === $ok ) {
			throw new Operation_Error( 500, 'usersync_commit_failed', __( 'The database refused to commit the change.', 'usersync' ) );
		}
	}

	/**
	 * Rolls back and forgets cached copies of what the transaction changed.
	 *
	 * @param int[] $user_ids Users the operation may have touched.
	 */
	public function rollback( array $user_ids = array() ): void {
		global $wpdb;
		if ( ! $this->open ) {
			return;
		}
		$user_ids = array_unique( array_merge( array_map( 'intval', $user_ids ), Plugin::outbox()->discard() ) );

		// Read the users as the transaction left them: their login, email and slug name the
		// cache entries that now point at rows that will not exist.
		$users = array();
		foreach ( $user_ids as $user_id ) {
			if ( $user_id > 0 ) {
				$user    = get_userdata( $user_id );
				$users[] = $user ? $user : $user_id;
			}
		}

		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( 'ROLLBACK' );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( 'SET autocommit = 1' );
		$this->open = false;
		$this->release_locks();

		foreach ( $users as $user ) {
			$user_id = is_object( $user ) ? (int) $user->ID : (int) $user;
			if ( is_object( $user ) ) {
				wp_cache_delete( $user->user_login, 'userlogins' );
				wp_cache_delete( $user->user_email, 'useremail' );
				wp_cache_delete( $user->user_nicename, 'userslugs' );
			}
			wp_cache_delete( $user_id, 'users' );
			wp_cache_delete( $user_id, 'user_meta' );
			// Then clean as WordPress does, from the user as the rollback restored it: whoever
			// listens to clean_user_cache sees the user as it is again, not a change.
			if ( get_userdata( $user_id ) ) {
				clean_user_cache( $user_id );
			}
		}
	}

	/**
	 * Releases the named locks.
	 */
	private function release_locks(): void {
		self::release( $this->locks );
		$this->locks = array();
	}
}
