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
 */
class Transaction {

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

		$keys = array_values( array_unique( $keys ) );
		if ( $keys ) {
			$names = array_map( static fn( string $key ): string => 'usersync:' . md5( $wpdb->prefix . strtolower( $key ) ), $keys );
			$sql   = 'SELECT ' . implode( ' + ', array_map( static fn( string $name ): string => $wpdb->prepare( 'COALESCE(GET_LOCK(%s, 10), 0)', $name ), $names ) );
			// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared, WordPress.DB.DirectDatabaseQuery
			$granted     = (int) $wpdb->get_var( $sql );
			$this->locks = $names;
			if ( count( $names ) !== $granted ) {
				$this->release_locks();
				throw new Operation_Error( 503, 'usersync_busy', __( 'Another request is writing the same user; try again.', 'usersync' ) );
			}
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( 'START TRANSACTION' );
		$this->open = true;
		Plugin::outbox()->defer();
	}

	/**
	 * Writes the pending outbox rows, then commits.
	 *
	 * @throws Operation_Error When the commit fails.
	 */
	public function commit(): void {
		global $wpdb;
		Plugin::outbox()->settle();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$ok         = $wpdb->query( 'COMMIT' );
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
		global $wpdb;
		if ( ! $this->locks ) {
			return;
		}
		$sql = 'SELECT ' . implode( ', ', array_map( static fn( string $name ): string => $wpdb->prepare( 'RELEASE_LOCK(%s)', $name ), $this->locks ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared, WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $sql );
		$this->locks = array();
	}
}
