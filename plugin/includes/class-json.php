<?php
/**
 * Telling JSON objects from JSON lists after json_decode( …, true ).
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Both decode to PHP arrays; the REST API hands request bodies over that way.
 */
final class Json {

	/**
	 * Whether an array is a JSON list (an empty array counts as both).
	 *
	 * @param array<mixed> $value Value.
	 */
	public static function is_list( array $value ): bool {
		return ! $value || array_keys( $value ) === range( 0, count( $value ) - 1 );
	}

	/**
	 * Whether a value is a JSON object (or an empty array, which may have been one).
	 *
	 * @param mixed $value Value.
	 */
	public static function is_object( $value ): bool {
		return is_array( $value ) && ( ! $value || ! self::is_list( $value ) );
	}
}
