<?php
/**
 * The audit log: who changed what, from which source, with which result.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Writes rows of the `usersync_audit` table. Never stores passwords or tokens: `fields`
 * holds the names of the attributes that changed, not their values.
 */
class Audit_Log {

	/**
	 * Appends one entry.
	 *
	 * @param array{action: string, result: string, actor?: string, source?: string, user_id?: ?int, user_login?: string, fields?: array<int, string>, error?: ?string, run_id?: ?string, connection?: ?string} $entry Entry.
	 * @return bool Whether the row was written.
	 */
	public function write( array $entry ): bool {
		global $wpdb;

		$row = array(
			'created_at' => gmdate( 'Y-m-d H:i:s' ),
			'actor'      => self::clip( $entry['actor'] ?? self::current_actor(), 191 ),
			'source'     => self::clip( $entry['source'] ?? 'wp-admin', 191 ),
			'action'     => self::clip( $entry['action'], 20 ),
			'user_id'    => isset( $entry['user_id'] ) && $entry['user_id'] > 0 ? (int) $entry['user_id'] : null,
			'user_login' => self::clip( $entry['user_login'] ?? '', 191 ),
			'fields'     => wp_json_encode( array_values( $entry['fields'] ?? array() ) ),
			'result'     => self::clip( $entry['result'], 20 ),
			'error'      => $entry['error'] ?? null,
			'run_id'     => isset( $entry['run_id'] ) ? self::clip( $entry['run_id'], 64 ) : null,
			// The connection a sync's entry belongs to, so filtering by it finds its runs' entries.
			'connection' => isset( $entry['connection'] ) && '' !== $entry['connection'] ? self::clip( $entry['connection'], 64 ) : null,
		);

		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return false !== $wpdb->insert(
			Installer::tables()['audit'],
			$row,
			array( '%s', '%s', '%s', '%s', '%d', '%s', '%s', '%s', '%s', '%s', '%s' )
		);
	}

	/**
	 * The login of the signed-in user, or 'system' when nobody is (cron, CLI).
	 */
	public static function current_actor(): string {
		$user = wp_get_current_user();
		return $user->exists() ? $user->user_login : 'system';
	}

	/**
	 * Cuts a string to a column's width.
	 *
	 * @param string $value Value.
	 * @param int    $max   Width in characters.
	 */
	private static function clip( string $value, int $max ): string {
		return mb_substr( $value, 0, $max );
	}
}
