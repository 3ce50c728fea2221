<?php
/**
 * When each attribute of a user last changed, and who changed it.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Per-user meta `usersync_clock`: attribute name (outbox vocabulary) → [time, origin], the
 * time as ISO-8601 UTC with microseconds. Two-way sync compares these times to let the later
 * of two conflicting changes win; the outbox itself only keeps seconds and is pruned.
 */
final class Change_Clock {

	public const META_KEY = 'usersync_clock';

	/**
	 * Records that attributes of a user changed now.
	 *
	 * @param int      $user_id User id.
	 * @param string[] $names   Attribute names.
	 * @param string   $origin  'local' or the connection that made the change.
	 */
	public static function record( int $user_id, array $names, string $origin ): void {
		if ( $user_id <= 0 || ! $names ) {
			return;
		}
		$clock = self::of_user( $user_id );
		$now   = self::now();
		foreach ( $names as $name ) {
			$clock[ (string) $name ] = array( $now, $origin );
		}
		ksort( $clock );
		update_user_meta( $user_id, self::META_KEY, wp_slash( (string) wp_json_encode( $clock ) ) );
	}

	/**
	 * The clock of a user.
	 *
	 * @param int $user_id User id.
	 * @return array<string, array{0: string, 1: string}>
	 */
	public static function of_user( int $user_id ): array {
		$stored  = get_user_meta( $user_id, self::META_KEY, true );
		$decoded = is_string( $stored ) && '' !== $stored ? json_decode( $stored, true ) : null;
		if ( ! is_array( $decoded ) ) {
			return array();
		}
		$clock = array();
		foreach ( $decoded as $name => $entry ) {
			if ( is_array( $entry ) && isset( $entry[0], $entry[1] ) && is_string( $entry[0] ) && is_string( $entry[1] ) ) {
				$clock[ (string) $name ] = array( $entry[0], $entry[1] );
			}
		}
		return $clock;
	}

	/**
	 * Last change times per attribute, leaving out changes made by one connection (a peer
	 * asking when *this* site changed something does not count its own writes).
	 *
	 * @param int         $user_id        User id.
	 * @param string|null $exclude_origin Connection whose changes are left out.
	 * @return array<string, string> Attribute name → time.
	 */
	public static function times( int $user_id, ?string $exclude_origin ): array {
		$times = array();
		foreach ( self::of_user( $user_id ) as $name => $entry ) {
			if ( null === $exclude_origin || $entry[1] !== $exclude_origin ) {
				$times[ $name ] = $entry[0];
			}
		}
		return $times;
	}

	/**
	 * Now as ISO-8601 UTC with microseconds (sortable as a string).
	 */
	public static function now(): string {
		$time    = microtime( true );
		$seconds = (int) floor( $time );
		return gmdate( 'Y-m-d\TH:i:s', $seconds ) . sprintf( '.%06dZ', (int) round( ( $time - $seconds ) * 1e6 ) % 1000000 );
	}
}
