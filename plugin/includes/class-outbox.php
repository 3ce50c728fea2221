<?php
/**
 * The outbox: a durable, ordered feed of user changes for outbound sync.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Writes rows of `usersync_outbox`, one per logical change of a user.
 *
 * WordPress reports a single change as many events (each meta key, the capabilities, the
 * role, the profile itself). Events for the same user are merged into one pending row,
 * written as soon as an event for another user arrives, a batch operation settles, or the
 * request ends. While a change is in progress (wp_insert_user(), a password reset, a deletion) the
 * outbox is *deferred*: nothing is written until the outermost deferral is released. The
 * batch route defers around each operation, inside its transaction, so a rolled back
 * operation leaves no outbox row either.
 */
class Outbox {

	public const ACTIONS = array( 'create', 'update', 'disable', 'enable', 'delete', 'password' );

	/**
	 * Who is writing: 'local' or the connection applying a batch (used for loop prevention).
	 *
	 * @var string
	 */
	private string $origin = 'local';

	/**
	 * Deferral depth.
	 *
	 * @var int
	 */
	private int $depth = 0;

	/**
	 * Merged changes waiting to be written, by user id.
	 *
	 * @var array<int, array{actions: array<string, true>, changed: array<string, true>}>
	 */
	private array $pending = array();

	/**
	 * Rows written during this request (the sidecar is nudged at shutdown when there are any).
	 *
	 * @var int
	 */
	private int $written = 0;

	/**
	 * The origin of the rows written from now on.
	 */
	public function origin(): string {
		return $this->origin;
	}

	/**
	 * Sets the origin of the rows written from now on and returns the previous one.
	 *
	 * @param string $origin 'local' or a connection slug.
	 */
	public function set_origin( string $origin ): string {
		// Changes noted so far belong to the previous origin.
		$this->flush();
		$previous     = $this->origin;
		$this->origin = '' === $origin ? 'local' : $origin;
		return $previous;
	}

	/**
	 * Notes a change of a user.
	 *
	 * @param int      $user_id User id.
	 * @param string   $action  One of ACTIONS.
	 * @param string[] $changed Names of the changed attributes.
	 */
	public function record( int $user_id, string $action, array $changed = array() ): void {
		if ( $user_id <= 0 || ( 'update' === $action && ! $changed ) ) {
			return;
		}
		if ( 0 === $this->depth && $this->pending && ! isset( $this->pending[ $user_id ] ) ) {
			$this->flush(); // Another user: the previous change is complete.
		}
		if ( ! isset( $this->pending[ $user_id ] ) ) {
			$this->pending[ $user_id ] = array(
				'actions' => array(),
				'changed' => array(),
			);
		}
		$this->pending[ $user_id ]['actions'][ $action ] = true;
		foreach ( $changed as $name ) {
			$this->pending[ $user_id ]['changed'][ $name ] = true;
		}
	}

	/**
	 * Starts (or nests) a deferral.
	 */
	public function defer(): void {
		++$this->depth;
	}

	/**
	 * Ends a deferral. What is pending stays pending: the rest of the request may change the
	 * same user again (the REST API sets roles after wp_update_user(), a profile page saves
	 * meta after the user), and one request's changes of a user make one row. It is written
	 * when another user's change arrives, by settle() at the end of a batch operation, or
	 * at shutdown.
	 */
	public function release(): void {
		if ( $this->depth > 0 ) {
			--$this->depth;
		}
	}

	/**
	 * Ends every deferral and writes what is pending (the end of a batch operation, which
	 * is always the outermost scope).
	 */
	public function settle(): void {
		$this->depth = 0;
		$this->flush();
	}

	/**
	 * Drops everything pending and every deferral (the transaction was rolled back).
	 *
	 * @return int[] Ids of the users whose changes were dropped.
	 */
	public function discard(): array {
		$ids           = array_keys( $this->pending );
		$this->pending = array();
		$this->depth   = 0;
		return $ids;
	}

	/**
	 * Ids of users with pending changes.
	 *
	 * @return int[]
	 */
	public function pending_user_ids(): array {
		return array_keys( $this->pending );
	}

	/**
	 * How many rows this request has written so far.
	 */
	public function written(): int {
		return $this->written;
	}

	/**
	 * Writes every pending change now (also at shutdown, should a deferral never end).
	 */
	public function flush(): void {
		global $wpdb;

		if ( ! $this->pending ) {
			return;
		}
		$pending       = $this->pending;
		$this->pending = array();
		$table         = Installer::tables()['outbox'];
		$now           = gmdate( 'Y-m-d H:i:s' );

		foreach ( $pending as $user_id => $change ) {
			$action  = self::resolve_action( array_keys( $change['actions'] ), array_keys( $change['changed'] ) );
			$changed = 'delete' === $action ? array() : array_keys( $change['changed'] );
			sort( $changed );

			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$wpdb->insert(
				$table,
				array(
					'user_id'    => $user_id,
					'action'     => $action,
					'changed'    => wp_json_encode( $changed ),
					'origin'     => mb_substr( $this->origin, 0, 191 ),
					'created_at' => $now,
				),
				array( '%d', '%s', '%s', '%s', '%s' )
			);
			++$this->written;

			// Our own key: the change listener ignores it, so this does not recurse. A user
			// just created has no such row yet, so a plain insert does.
			if ( 'create' === $action ) {
				add_user_meta( $user_id, 'usersync_modified', gmdate( 'Y-m-d\TH:i:s\Z' ) );
			} elseif ( 'delete' !== $action ) {
				update_user_meta( $user_id, 'usersync_modified', gmdate( 'Y-m-d\TH:i:s\Z' ) );
			}
			if ( 'delete' !== $action ) {
				// Per-attribute change times with their origin, for two-way conflict resolution.
				Change_Clock::record( $user_id, $changed, $this->origin );
			}
		}
	}

	/**
	 * The one action that describes several merged events.
	 *
	 * @param string[] $actions Actions seen.
	 * @param string[] $changed Attributes changed.
	 */
	private static function resolve_action( array $actions, array $changed ): string {
		foreach ( array( 'delete', 'create', 'disable', 'enable' ) as $action ) {
			if ( in_array( $action, $actions, true ) ) {
				return $action;
			}
		}
		if ( array( 'password' ) === $changed || ( in_array( 'password', $actions, true ) && ! $changed ) ) {
			return 'password';
		}
		return 'update';
	}
}
