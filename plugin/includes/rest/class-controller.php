<?php
/**
 * Common ground of the plugin's REST controllers.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Installer;
use WP_Error;
use WP_REST_Controller;

defined( 'ABSPATH' ) || exit;

/**
 * Namespace and capability checks shared by every `usersync/v1` controller.
 */
abstract class Controller extends WP_REST_Controller {

	/**
	 * Route namespace.
	 *
	 * @var string
	 */
	protected $namespace = 'usersync/v1';

	/**
	 * True, or the error a caller without any of the capabilities gets.
	 *
	 * @param string[] $caps Any of these capabilities suffices.
	 * @return true|WP_Error
	 */
	protected static function require_any_cap( array $caps ) {
		foreach ( $caps as $cap ) {
			if ( current_user_can( $cap ) ) {
				return true;
			}
		}
		return new WP_Error(
			'usersync_forbidden',
			is_user_logged_in()
				? __( 'Sorry, you are not allowed to do that.', 'usersync' )
				: __( 'You must be signed in (for example with an Application Password) to do that.', 'usersync' ),
			array( 'status' => rest_authorization_required_code() )
		);
	}

	/**
	 * Site admins (usersync_manage).
	 *
	 * @return true|WP_Error
	 */
	protected static function manager() {
		return self::require_any_cap( array( Installer::MANAGE_CAP ) );
	}

	/**
	 * The sidecar's service user (usersync_service).
	 *
	 * @return true|WP_Error
	 */
	protected static function service() {
		return self::require_any_cap( array( Installer::SERVICE_CAP ) );
	}

	/**
	 * Either of them.
	 *
	 * @return true|WP_Error
	 */
	protected static function manager_or_service() {
		return self::require_any_cap( array( Installer::MANAGE_CAP, Installer::SERVICE_CAP ) );
	}
}
