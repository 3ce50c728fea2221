<?php
/**
 * Keeps the audit log within its retention period.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Deletes entries older than `audit.retentionDays` (0 keeps everything): once a day through
 * wp-cron, and right away when the setting is saved so a shorter period takes effect at once.
 */
class Audit_Retention {

	public const CRON_HOOK = 'usersync_prune_audit';

	/**
	 * Schedules the daily prune if it is not scheduled yet (runs on init; cheap when it is).
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
	 * Deletes the entries older than the retention period.
	 *
	 * @return int Entries deleted.
	 */
	public static function prune(): int {
		$days = (int) Plugin::config()->get()['audit']['retentionDays'];
		if ( $days <= 0 || ! Installer::table_exists( 'audit' ) ) {
			return 0;
		}
		return Audit_Query::delete_before( gmdate( 'Y-m-d H:i:s', time() - $days * DAY_IN_SECONDS ) );
	}

	/**
	 * `update_option_usersync_config` / `add_option_usersync_config`: prune when the
	 * retention period changed.
	 *
	 * @param mixed $old_value Previous value (or the option name, for add_option).
	 * @param mixed $value     New value.
	 */
	public static function on_config_saved( $old_value, $value ): void {
		$before = is_array( $old_value ) && isset( $old_value['audit']['retentionDays'] ) ? (int) $old_value['audit']['retentionDays'] : null;
		$after  = is_array( $value ) && isset( $value['audit']['retentionDays'] ) ? (int) $value['audit']['retentionDays'] : null;
		if ( null !== $after && $before !== $after ) {
			self::prune();
		}
	}
}
