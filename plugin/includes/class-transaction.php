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
	 * Opens the transaction and defers the outbox into it.
	 */
	public function begin(): void {
		global $wpdb;
		// Whatever was noted before belongs to earlier work, not to this transaction.
		Plugin::outbox()->flush();
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

		foreach ( $users as $user ) {
			if ( is_object( $user ) ) {
				clean_user_cache( $user );
				$user_id = $user->ID;
			} else {
				$user_id = $user;
			}
			wp_cache_delete( $user_id, 'users' );
			wp_cache_delete( $user_id, 'user_meta' );
		}
	}
}
