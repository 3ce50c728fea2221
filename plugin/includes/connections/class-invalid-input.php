<?php
/**
 * The 400 a connection's settings answer with when they are refused.
 *
 * @package UserSync
 */

namespace UserSync\Connections;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * One refusal naming the field at fault (`data.field`, the path as the settings page names it:
 * `objectMaps[0][fields][2][wp]`) and, in `data.params`, every problem found.
 */
final class Invalid_Input {

	/**
	 * A 400 error naming one field.
	 *
	 * @param string $field   Field path.
	 * @param string $message Message.
	 */
	public static function field( string $field, string $message ): WP_Error {
		return new WP_Error( 'usersync_invalid_connection', $message, array( 'status' => 400, 'field' => $field ) );
	}

	/**
	 * A 400 error for several problems; the first one is the message and the field.
	 *
	 * @param array<string, string> $problems Messages by field path.
	 */
	public static function all( array $problems ): WP_Error {
		$field = (string) array_key_first( $problems );
		return new WP_Error(
			'usersync_invalid_connection',
			$problems[ $field ],
			array(
				'status' => 400,
				'field'  => $field,
				'params' => $problems,
			)
		);
	}
}
