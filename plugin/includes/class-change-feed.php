<?php
/**
 * The outbox as a feed: read by cursor, acknowledged, pruned.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * The sidecar reads outbox rows after an id, delivers them, then acknowledges the highest id
 * it no longer needs. Acknowledged rows are deleted once they are older than the retention
 * period (option `usersync_outbox_retention_days`, 7 by default); rows not acknowledged are
 * never deleted, so a sidecar that was down for a while still finds everything.
 */
class Change_Feed {

	public const ACKED_OPTION     = 'usersync_outbox_acked';
	public const RETENTION_OPTION = 'usersync_outbox_retention_days';
	public const MAX_LIMIT        = 1000;

	/**
	 * Rows deleted per acknowledgement at most (a large backlog is pruned over several).
	 */
	private const PRUNE_BATCH = 5000;

	/**
	 * Rows after an id, oldest first.
	 *
	 * @param int $after Cursor: the last id the caller has.
	 * @param int $limit Rows at most (1–1000).
	 * @return array<int, array{id: int, userId: int, action: string, changed: string[], origin: string, createdAt: string}>
	 */
	public function after( int $after, int $limit ): array {
		global $wpdb;
		$table = Installer::tables()['outbox'];
		$limit = max( 1, min( self::MAX_LIMIT, $limit ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT id, user_id, action, changed, origin, created_at FROM {$table} WHERE id > %d ORDER BY id ASC LIMIT %d", max( 0, $after ), $limit ) );

		$changes = array();
		foreach ( (array) $rows as $row ) {
			$changed   = json_decode( (string) $row->changed, true );
			$changes[] = array(
				'id'        => (int) $row->id,
				'userId'    => (int) $row->user_id,
				'action'    => (string) $row->action,
				'changed'   => is_array( $changed ) ? array_values( array_map( 'strval', $changed ) ) : array(),
				'origin'    => (string) $row->origin,
				'createdAt' => str_replace( ' ', 'T', (string) $row->created_at ) . 'Z',
			);
		}
		return $changes;
	}

	/**
	 * The highest id in the outbox (0 when empty).
	 */
	public function latest(): int {
		global $wpdb;
		$table = Installer::tables()['outbox'];
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		return (int) $wpdb->get_var( "SELECT MAX(id) FROM {$table}" );
	}

	/**
	 * The highest id acknowledged so far.
	 */
	public function acked(): int {
		return (int) get_option( self::ACKED_OPTION, 0 );
	}

	/**
	 * Acknowledges every row up to an id (never moves back), then prunes.
	 *
	 * @param int $up_to Highest id delivered.
	 * @return array{acked: int, pruned: int}
	 */
	public function ack( int $up_to ): array {
		$acked = max( $this->acked(), min( $up_to, $this->latest() ) );
		if ( $acked !== $this->acked() ) {
			update_option( self::ACKED_OPTION, $acked, false );
		}
		return array(
			'acked'  => $acked,
			'pruned' => $this->prune( $acked ),
		);
	}

	/**
	 * Days acknowledged rows are kept.
	 */
	public function retention_days(): int {
		$days = (int) get_option( self::RETENTION_OPTION, 7 );
		/**
		 * Filters how many days delivered outbox rows are kept.
		 *
		 * @param int $days Days (0 deletes them as soon as they are acknowledged).
		 */
		return max( 0, (int) apply_filters( 'usersync_outbox_retention_days', $days ) );
	}

	/**
	 * Deletes acknowledged rows older than the retention period.
	 *
	 * @param int $acked Highest acknowledged id.
	 * @return int Rows deleted.
	 */
	public function prune( int $acked ): int {
		global $wpdb;
		if ( $acked <= 0 ) {
			return 0;
		}
		$table  = Installer::tables()['outbox'];
		$cutoff = gmdate( 'Y-m-d H:i:s', time() - $this->retention_days() * DAY_IN_SECONDS );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$deleted = $wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE id <= %d AND created_at <= %s ORDER BY id LIMIT %d", $acked, $cutoff, self::PRUNE_BATCH ) );
		return max( 0, (int) $deleted );
	}
}
