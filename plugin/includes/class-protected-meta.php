<?php
/**
 * User meta keys no sync may write.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Keys that grant privileges, hold credentials or sessions, are private to a plugin
 * (leading "_") or belong to UserSync itself. A mapping, a batch operation or a read that
 * names one is refused: writing `wp_capabilities` would grant roles around the role map,
 * reading `session_tokens` would leak sessions.
 */
final class Protected_Meta {

	/**
	 * Whether a meta key may not be written by a sync.
	 *
	 * @param string $key Meta key.
	 */
	public static function is_protected( string $key ): bool {
		global $wpdb;

		$lower = strtolower( $key );
		if ( 0 === strpos( $lower, 'usersync_' ) ) {
			return true;
		}
		// Roles and levels of every site of a network: wp_capabilities, wp_2_user_level, ….
		if ( 0 === strpos( $lower, strtolower( $wpdb->base_prefix ) )
			&& 1 === preg_match( '/(^|_)(capabilities|user_level)$/', $lower ) ) {
			return true;
		}
		$fixed = array( 'session_tokens', 'default_password_nag', 'user_activation_key', 'user_pass' );
		if ( in_array( $lower, $fixed, true ) ) {
			return true;
		}
		// WordPress's own convention: keys starting with "_" are private to their plugin
		// (Application Passwords, two-factor secrets, …).
		if ( is_protected_meta( $key, 'user' ) ) {
			return true;
		}

		/**
		 * Filters whether a user meta key is protected from writes by syncs.
		 *
		 * @param bool   $protected Whether the key is protected.
		 * @param string $key       Meta key.
		 */
		return (bool) apply_filters( 'usersync_protected_meta_key', false, $key );
	}

	/**
	 * Whether a string is an acceptable meta key at all.
	 *
	 * @param mixed $key Candidate.
	 */
	public static function is_valid_key( $key ): bool {
		return is_string( $key ) && 1 === preg_match( '/^[A-Za-z0-9_.:-]{1,191}$/', $key );
	}
}
