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
use WP_REST_Server;

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

	/**
	 * Registers one GET route under the namespace: get_item behind get_item_permissions_check.
	 *
	 * @param string               $route Route below the namespace, e.g. '/settings/export'.
	 * @param array<string, mixed> $args  Query arguments of the route.
	 */
	protected function register_read( string $route, array $args = array() ): void {
		register_rest_route(
			$this->namespace,
			$route,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
					'args'                => $args,
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
	}

	/**
	 * Registers one POST action under the namespace: create_item behind
	 * create_item_permissions_check, its arguments from the item schema.
	 *
	 * @param string $route Route below the namespace, e.g. '/users/(?P<id>\d+)/push'.
	 */
	protected function register_action( string $route ): void {
		register_rest_route(
			$this->namespace,
			$route,
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => array( $this, 'create_item_permissions_check' ),
					'args'                => $this->get_endpoint_args_for_item_schema( WP_REST_Server::CREATABLE ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
	}
}
