<?php
/**
 * The grace period of the delete policy: deprovisioned users stay disabled until a deadline,
 * then a daily job deletes them.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * Under `deprovision.action` 'delete' with `graceDays` > 0, User_Writer disables a
 * deprovisioned user at once (as the disable policy does) and records here when it becomes
 * due for deletion and who asked. A daily wp-cron job deletes the users whose time has
 * passed, each in its own transaction and audited.
 *
 * - The deadline is fixed when the deletion is scheduled: a later change of graceDays applies
 *   to later deprovisionings only, and deprovisioning a pending user again keeps its deadline.
 * - Enabling the user again (its source reactivates or adopts it) cancels the deletion, and so
 *   does switching the policy to 'disable': those users stay disabled, nothing more.
 * - At the deadline the writer's rules still hold, as configured then: the user must still be
 *   disabled, may not be a protected account (see Protected_Accounts), may not be the user
 *   content goes to, and that user must exist. A refusal or a failure is audited and the
 *   user stays pending for the next run.
 *
 * On a network each site keeps its own schedule (its own meta key): deleting a user there only
 * removes them from that site, and only that site's job may do it.
 */
final class Deprovision_Grace {

	public const CRON_HOOK = 'usersync_delete_due_users';

	/** Audit source of the job's entries. */
	public const AUDIT_SOURCE = 'grace period';

	/** The audit field of a cancelled deletion (a scheduled one names its date). */
	public const CANCELLED_FIELD = 'delete_after:cancelled';

	/** Users read per query by the job. */
	private const BATCH = 100;

	/** Seconds one run of the job may take; what is left continues a minute later. */
	private const TIME_BUDGET = 20;

	/**
	 * Schedules the daily job if it is not scheduled yet (runs on init; cheap when it is).
	 */
	public static function schedule(): void {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::CRON_HOOK );
		}
	}

	/**
	 * Removes the schedule (deactivation).
	 */
	public static function unschedule(): void {
		wp_clear_scheduled_hook( self::CRON_HOOK );
	}

	/**
	 * User meta key of the deadline (a Unix time, so UTC) on this site.
	 */
	public static function due_key(): string {
		return is_multisite() ? 'usersync_delete_after_' . get_current_blog_id() : 'usersync_delete_after';
	}

	/**
	 * User meta key of the request: connection, audit source, run and when it was asked.
	 */
	public static function request_key(): string {
		return is_multisite() ? 'usersync_delete_request_' . get_current_blog_id() : 'usersync_delete_request';
	}

	/**
	 * The deadline of a deletion scheduled now.
	 *
	 * @param int $grace_days Days of grace (> 0).
	 */
	public static function deadline( int $grace_days ): int {
		return time() + $grace_days * DAY_IN_SECONDS;
	}

	/**
	 * When a user is due for deletion, or null when no deletion is pending.
	 *
	 * @param int $user_id User id.
	 */
	public static function due( int $user_id ): ?int {
		$value = get_user_meta( $user_id, self::due_key(), true );
		return '' === $value || ! is_numeric( $value ) ? null : (int) $value;
	}

	/**
	 * The audit field of a deletion scheduled for a time, e.g. `delete_after:2025-02-14T10:00:00Z`.
	 *
	 * @param int $due Deadline.
	 */
	public static function scheduled_field( int $due ): string {
		return 'delete_after:' . gmdate( 'Y-m-d\TH:i:s\Z', $due );
	}

	/**
	 * Records a pending deletion.
	 *
	 * @param int         $user_id    User id.
	 * @param int         $due        Deadline.
	 * @param string      $connection Connection that asked.
	 * @param string      $source     Its audit source.
	 * @param string|null $run_id     Its run, if a run asked.
	 */
	public static function schedule_user( int $user_id, int $due, string $connection, string $source, ?string $run_id ): void {
		update_user_meta( $user_id, self::due_key(), (string) $due );
		update_user_meta(
			$user_id,
			self::request_key(),
			array(
				'connection' => $connection,
				'source'     => $source,
				'runId'      => $run_id,
				'askedAt'    => time(),
			)
		);
	}

	/**
	 * Forgets a pending deletion.
	 *
	 * @param int $user_id User id.
	 * @return bool Whether one was pending.
	 */
	public static function cancel( int $user_id ): bool {
		if ( null === self::due( $user_id ) ) {
			return false;
		}
		delete_user_meta( $user_id, self::due_key() );
		delete_user_meta( $user_id, self::request_key() );
		return true;
	}

	/**
	 * Why the policy may not delete a user (null when it may): the user content goes to can
	 * never be deleted by a sync, and that user must exist.
	 *
	 * @param array<string, mixed> $policy  `deprovision` part of the configuration.
	 * @param int                  $user_id User to delete.
	 */
	public static function reassign_problem( array $policy, int $user_id ): ?string {
		$reassign = $policy['reassignTo'];
		if ( null === $reassign ) {
			return null;
		}
		if ( $reassign === $user_id ) {
			return __( 'The user that content is reassigned to cannot be deleted by a sync.', 'usersync' );
		}
		if ( ! get_userdata( $reassign ) ) {
			/* translators: %d: user id */
			return sprintf( __( 'deprovision.reassignTo names user %d, who does not exist; fix the deprovisioning policy.', 'usersync' ), $reassign );
		}
		return null;
	}

	/**
	 * How many users of this site the job will delete, and when the next one is due.
	 *
	 * @return array{count: int, nextDueAt: ?string}
	 */
	public static function summary(): array {
		global $wpdb;
		// Only users still disabled: the job cancels the deletion of one enabled meanwhile.
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$row = $wpdb->get_row(
			$wpdb->prepare(
				"SELECT COUNT(*) AS pending, MIN(CAST(due.meta_value AS UNSIGNED)) AS next_due
				FROM {$wpdb->usermeta} due
				INNER JOIN {$wpdb->usermeta} off ON off.user_id = due.user_id AND off.meta_key = 'usersync_disabled' AND off.meta_value = '1'
				WHERE due.meta_key = %s",
				self::due_key()
			)
		);
		$count = $row ? (int) $row->pending : 0;
		return array(
			'count'     => $count,
			'nextDueAt' => $count > 0 ? gmdate( 'Y-m-d\TH:i:s\Z', (int) $row->next_due ) : null,
		);
	}

	/**
	 * The pending deletions, soonest first: who, when, and which connection asked.
	 *
	 * @param int $limit At most this many.
	 * @return array<int, array{id: int, login: string, dueAt: string, connection: ?string}>
	 */
	public static function pending( int $limit = 100 ): array {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$rows  = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT due.user_id, CAST(due.meta_value AS UNSIGNED) AS due_at, u.user_login
				FROM {$wpdb->usermeta} due
				INNER JOIN {$wpdb->usermeta} off ON off.user_id = due.user_id AND off.meta_key = 'usersync_disabled' AND off.meta_value = '1'
				INNER JOIN {$wpdb->users} u ON u.ID = due.user_id
				WHERE due.meta_key = %s
				ORDER BY due_at ASC, due.user_id ASC
				LIMIT %d",
				self::due_key(),
				$limit
			)
		);
		// The requests of the listed users, in one query rather than one per user.
		update_meta_cache( 'user', array_map( static fn( $row ): int => (int) $row->user_id, (array) $rows ) );
		$users = array();
		foreach ( (array) $rows as $row ) {
			$request = get_user_meta( (int) $row->user_id, self::request_key(), true );
			$users[] = array(
				'id'         => (int) $row->user_id,
				'login'      => (string) $row->user_login,
				'dueAt'      => gmdate( 'Y-m-d\TH:i:s\Z', (int) $row->due_at ),
				'connection' => is_array( $request ) && isset( $request['connection'] ) && is_string( $request['connection'] ) ? $request['connection'] : null,
			);
		}
		return $users;
	}

	/**
	 * An admin keeps one user: the pending deletion is cancelled (the user stays disabled) and
	 * audited.
	 *
	 * @param int $user_id User.
	 * @return bool Whether a deletion was pending.
	 */
	public static function cancel_one( int $user_id ): bool {
		$user = get_userdata( $user_id );
		if ( ! $user || ! self::cancel( $user_id ) ) {
			return false;
		}
		Plugin::audit_log()->write(
			array(
				'source'     => 'wp-admin',
				'action'     => 'update',
				'user_id'    => $user_id,
				'user_login' => $user->user_login,
				'fields'     => array( self::CANCELLED_FIELD ),
				'result'     => 'success',
			)
		);
		return true;
	}

	/**
	 * The cron hook's callback.
	 */
	public static function run(): void {
		self::delete_due();
	}

	/**
	 * The daily job: deletes the users whose deadline has passed.
	 *
	 * @param int|null $now The time to compare deadlines with (default: now).
	 * @return array{deleted: int, failed: int, cancelled: int}
	 */
	public static function delete_due( ?int $now = null ): array {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/user.php';

		$now    = $now ?? time();
		$counts = array(
			'deleted'   => 0,
			'failed'    => 0,
			'cancelled' => 0,
		);
		$policy = Plugin::config()->get()['deprovision'];
		if ( ! self::deletes( $policy ) ) {
			// The policy no longer deletes: whoever is still pending stays disabled.
			$counts['cancelled'] = self::cancel_all( self::AUDIT_SOURCE );
			return $counts;
		}

		$started = time();
		$after   = 0;
		for ( ;; ) {
			// Users are read by id after the last one seen, so a failure is not retried in this run.
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$ids = array_map(
				'intval',
				$wpdb->get_col(
					$wpdb->prepare(
						"SELECT user_id FROM {$wpdb->usermeta} WHERE meta_key = %s AND CAST(meta_value AS UNSIGNED) <= %d AND user_id > %d ORDER BY user_id LIMIT %d",
						self::due_key(),
						$now,
						$after,
						self::BATCH
					)
				)
			);
			if ( ! $ids ) {
				break;
			}
			cache_users( $ids );
			foreach ( $ids as $id ) {
				$after = $id;
				// Under the user's lock, as a sync's write of the user: a source enabling the
				// user again at this moment either comes first (cancelling this) or after.
				try {
					$outcome = Transaction::hold(
						array( 'user:' . $id ),
						static function () use ( $id, $policy ): string {
							wp_cache_delete( $id, 'users' );
							wp_cache_delete( $id, 'user_meta' );
							return self::delete_one( $id, $policy );
						}
					);
				} catch ( Operation_Error $busy ) {
					$outcome = 'failed'; // Tried again on the next run: the user stays due.
				}
				++$counts[ $outcome ];
				if ( time() - $started >= self::TIME_BUDGET ) {
					// The rest in a minute, in a fresh request.
					wp_schedule_single_event( time() + MINUTE_IN_SECONDS, self::CRON_HOOK );
					return $counts;
				}
			}
		}
		return $counts;
	}

	/**
	 * Deletes one due user, or says why not.
	 *
	 * @param int                  $id     User id.
	 * @param array<string, mixed> $policy `deprovision` part of the configuration.
	 * @return string deleted|failed|cancelled
	 */
	private static function delete_one( int $id, array $policy ): string {
		$user = get_userdata( $id );
		if ( ! $user || ( is_multisite() && ! is_user_member_of_blog( $id ) ) ) {
			// Deleted or removed from the site meanwhile: nothing left to do here.
			self::cancel( $id );
			return 'cancelled';
		}
		if ( ! Login_Guard::is_disabled( $id ) ) {
			self::cancel( $id );
			self::audit( 'update', $user, array( self::CANCELLED_FIELD ), 'success', null );
			return 'cancelled';
		}

		$request = get_user_meta( $id, self::request_key(), true );
		$request = is_array( $request ) ? $request : array();
		$problem = self::reassign_problem( $policy, $id );
		if ( null === $problem ) {
			// Scheduled by the connection that managed it.
			$protected = Protected_Accounts::problem( $user, $policy, true );
			$problem   = null === $protected ? null : $protected['message'];
		}
		if ( null !== $problem ) {
			self::audit( 'delete', $user, array(), 'failure', $problem );
			return 'failed';
		}

		// The deletion reaches the outbox as a change of the connection that asked for it, so
		// it is never sent back there.
		$connection  = isset( $request['connection'] ) && is_string( $request['connection'] ) ? $request['connection'] : 'local';
		$previous    = Plugin::outbox()->set_origin( $connection );
		$transaction = new Transaction();
		try {
			$transaction->begin();
			if ( ! wp_delete_user( $id, $policy['reassignTo'] ) ) {
				throw new Operation_Error( 500, 'usersync_write_failed', __( 'WordPress could not delete the user.', 'usersync' ) );
			}
			if ( is_multisite() ) {
				// Removed from this site only: the user and their meta stay on the network.
				self::cancel( $id );
			}
			self::audit( 'delete', $user, array(), 'success', null );
			$transaction->commit();
			return 'deleted';
		} catch ( \Throwable $throwable ) {
			$transaction->rollback( array( $id ) );
			if ( ! $throwable instanceof Operation_Error ) {
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
				error_log( 'UserSync: scheduled deletion failed: ' . $throwable );
			}
			$message = $throwable instanceof Operation_Error
				? $throwable->getMessage()
				: __( 'The deletion failed unexpectedly; nothing was written.', 'usersync' );
			self::audit( 'delete', $user, array(), 'failure', $message );
			return 'failed';
		} finally {
			Plugin::outbox()->set_origin( $previous );
		}
	}

	/**
	 * Cancels every pending deletion of this site (the policy no longer deletes).
	 *
	 * @param string $source Audit source of the entries.
	 * @return int Deletions cancelled.
	 */
	public static function cancel_all( string $source ): int {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$ids = array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT user_id FROM {$wpdb->usermeta} WHERE meta_key = %s", self::due_key() ) ) );
		if ( ! $ids ) {
			return 0;
		}
		cache_users( $ids );
		foreach ( $ids as $id ) {
			self::cancel( $id );
			$user = get_userdata( $id );
			if ( $user ) {
				Plugin::audit_log()->write(
					array(
						'source'     => $source,
						'action'     => 'update',
						'user_id'    => $id,
						'user_login' => $user->user_login,
						'fields'     => array( self::CANCELLED_FIELD ),
						'result'     => 'success',
					)
				);
			}
		}
		return count( $ids );
	}

	/**
	 * `update_option_usersync_config`: switching the policy to one that never deletes cancels
	 * the pending deletions at once (their users stay disabled).
	 *
	 * @param mixed $old_value Previous value.
	 * @param mixed $value     New value.
	 */
	public static function on_config_saved( $old_value, $value ): void {
		// Pending deletions came from removals or deactivations: they are cancelled once neither
		// deletes any more.
		$before = is_array( $old_value ) && isset( $old_value['deprovision'] ) && is_array( $old_value['deprovision'] ) && self::deletes( $old_value['deprovision'] );
		$after  = is_array( $value ) && isset( $value['deprovision'] ) && is_array( $value['deprovision'] ) && self::deletes( $value['deprovision'] );
		if ( $before && ! $after ) {
			self::cancel_all( 'wp-admin' );
		}
	}

	/**
	 * Whether a deprovisioning policy deletes anyone: on removal, on deactivation or both.
	 *
	 * @param array<string, mixed> $policy The `deprovision` part of the configuration.
	 */
	public static function deletes( array $policy ): bool {
		return 'delete' === ( $policy['action'] ?? null ) || 'delete' === ( $policy['deactivate'] ?? null );
	}

	/**
	 * Writes an audit entry of the job.
	 *
	 * @param string      $action Action.
	 * @param WP_User     $user   User.
	 * @param string[]    $fields Fields.
	 * @param string      $result success|failure.
	 * @param string|null $error  Why it failed.
	 */
	private static function audit( string $action, WP_User $user, array $fields, string $result, ?string $error ): void {
		Plugin::audit_log()->write(
			array(
				'actor'      => 'system',
				'source'     => self::AUDIT_SOURCE,
				'action'     => $action,
				'user_id'    => (int) $user->ID,
				'user_login' => $user->user_login,
				'fields'     => $fields,
				'result'     => $result,
				'error'      => $error,
			)
		);
	}
}
