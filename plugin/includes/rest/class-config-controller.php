<?php
/**
 * /usersync/v1/config: attribute map, role map, deprovisioning policy and audit retention.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Config;
use UserSync\Plugin;
use UserSync\Role_Mapper;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Admins edit the configuration; the sidecar reads it.
 */
class Config_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'config';
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
					'args'                => array(),
				),
				array(
					'methods'             => WP_REST_Server::EDITABLE,
					'callback'            => array( $this, 'update_item' ),
					'permission_callback' => array( $this, 'update_item_permissions_check' ),
					'args'                => $this->get_endpoint_args_for_item_schema( WP_REST_Server::EDITABLE ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/role-impact',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'role_impact' ),
					'permission_callback' => array( $this, 'update_item_permissions_check' ),
					'args'                => array(
						'roleMap' => array(
							'description' => __( 'The role map to judge, as it would be saved.', 'usersync' ),
							'type'        => 'object',
							'required'    => true,
						),
					),
				),
			)
		);
	}

	/**
	 * Whose roles saving a role map would change: the count, and the first users with their
	 * roles before and after. Nothing is stored.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|\WP_Error
	 */
	public function role_impact( $request ) {
		$next = Plugin::config()->candidate( array( 'roleMap' => $request['roleMap'] ) );
		if ( is_wp_error( $next ) ) {
			return $next;
		}
		$impact = Role_Mapper::impact( Plugin::config()->get(), $next );
		$users  = array();
		foreach ( array_slice( $impact, 0, 20, true ) as $user_id => $change ) {
			$user    = get_userdata( $user_id );
			$users[] = array(
				'id'         => (int) $user_id,
				'login'      => $user ? $user->user_login : '',
				'connection' => $change['connection'],
				'from'       => $change['from'],
				'to'         => $change['to'],
			);
		}
		return rest_ensure_response(
			array(
				'count' => count( $impact ),
				'users' => $users,
			)
		);
	}

	/**
	 * Admins and the service user.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function get_item_permissions_check( $request ) {
		return self::manager_or_service();
	}

	/**
	 * Admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function update_item_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * The complete configuration.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_item( $request ) {
		return rest_ensure_response( Plugin::config()->get_for_route() );
	}

	/**
	 * Stores the top-level keys present in the body; the others keep their value.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|\WP_Error
	 */
	public function update_item( $request ) {
		$body    = (array) $request->get_json_params();
		$partial = array_intersect_key( $body, Config::defaults() + array( 'peers' => true ) );
		$config  = Plugin::config()->update( $partial );
		if ( is_wp_error( $config ) ) {
			return $config;
		}
		Plugin::audit_log()->write(
			array(
				'action' => 'config_update',
				'fields' => array_keys( $partial ),
				'result' => 'success',
			)
		);
		return rest_ensure_response( $config );
	}

	/**
	 * Schema of the configuration.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( ! $this->schema ) {
			$this->schema = Config::schema();
		}
		return $this->add_additional_fields_schema( $this->schema );
	}
}
