<?php
/**
 * Keeps disabled users out: password login, Application Passwords, cookies, resets.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * A user is disabled while the meta `usersync_disabled` is '1'. Disabling removes the
 * roles and ends the sessions; this guard refuses every way back in until reactivation.
 */
class Login_Guard {

	/**
	 * Whether a user is disabled.
	 *
	 * @param int $user_id User id.
	 */
	public static function is_disabled( int $user_id ): bool {
		return $user_id > 0 && '1' === (string) get_user_meta( $user_id, 'usersync_disabled', true );
	}

	/**
	 * The error every refusal carries.
	 */
	public static function error(): WP_Error {
		return new WP_Error(
			'usersync_disabled',
			__( 'Your account has been disabled. Contact the site administrator.', 'usersync' ),
			array( 'status' => 401 )
		);
	}

	/**
	 * authenticate (late): refuse a disabled user whatever authenticated them.
	 *
	 * @param WP_User|WP_Error|null $user Result so far.
	 * @return WP_User|WP_Error|null
	 */
	public function on_authenticate( $user ) {
		if ( $user instanceof WP_User && self::is_disabled( $user->ID ) ) {
			return self::error();
		}
		return $user;
	}

	/**
	 * wp_authenticate_application_password_errors: an Application Password of a disabled
	 * user fails; REST then answers 401 usersync_disabled.
	 *
	 * @param WP_Error $error Errors collected so far.
	 * @param WP_User  $user  User the password belongs to.
	 */
	public function on_application_password( $error, $user ): void {
		if ( $error instanceof WP_Error && $user instanceof WP_User && self::is_disabled( $user->ID ) ) {
			$error->add( 'usersync_disabled', self::error()->get_error_message(), array( 'status' => 401 ) );
		}
	}

	/**
	 * rest_authentication_errors (after WordPress's own checks): when the request carried an
	 * Application Password of a disabled user, answer 401 usersync_disabled rather than a
	 * generic "not logged in", which WordPress would otherwise send when it determined the
	 * user before the request was known to be a REST request.
	 *
	 * @param WP_Error|true|null $result Result so far.
	 * @return WP_Error|true|null
	 */
	public function on_rest_authentication_errors( $result ) {
		global $wp_rest_application_password_status;
		if ( is_wp_error( $result ) || ! is_wp_error( $wp_rest_application_password_status ) ) {
			return $result;
		}
		if ( in_array( 'usersync_disabled', $wp_rest_application_password_status->get_error_codes(), true ) ) {
			return self::error();
		}
		return $result;
	}

	/**
	 * determine_current_user (late): a cookie or another plugin's token of a disabled user
	 * does not make them the current user.
	 *
	 * @param int|false $user_id User id found so far.
	 * @return int|false
	 */
	public function on_determine_current_user( $user_id ) {
		if ( $user_id && self::is_disabled( (int) $user_id ) ) {
			return false;
		}
		return $user_id;
	}

	/**
	 * allow_password_reset: no reset link for a disabled user.
	 *
	 * @param bool|WP_Error $allow   Whether to allow.
	 * @param int           $user_id User id.
	 * @return bool|WP_Error
	 */
	public function on_allow_password_reset( $allow, $user_id ) {
		if ( self::is_disabled( (int) $user_id ) ) {
			return self::error();
		}
		return $allow;
	}
}
