<?php
/**
 * /usersync/v1/roles: the site's roles, for the role map and default role pickers.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Installer;
use UserSync\Protected_Accounts;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Lists roles with their translated names. UserSync's own service role is left out: no
 * mapping should hand out the sidecar's powers.
 */
class Roles_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'roles';
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
					'args'                => array(),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
	}

	/**
	 * Site admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * Roles in the order WordPress lists them (most capable first in a default install).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( $request ) {
		$roles = array();
		foreach ( wp_roles()->get_names() as $slug => $name ) {
			if ( Installer::SERVICE_ROLE === $slug ) {
				continue;
			}
			$roles[] = array(
				'slug'       => (string) $slug,
				'name'       => translate_user_role( $name ),
				'privileged' => Protected_Accounts::is_privileged_role( (string) $slug ),
			);
		}
		return rest_ensure_response( $roles );
	}

	/**
	 * Schema of a role.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( ! $this->schema ) {
			$this->schema = array(
				'$schema'    => 'http://json-schema.org/draft-04/schema#',
				'title'      => 'usersync-role',
				'type'       => 'object',
				'properties' => array(
					'slug' => array(
						'description' => __( 'Role name as stored, e.g. editor.', 'usersync' ),
						'type'        => 'string',
						'context'     => array( 'view' ),
						'readonly'    => true,
					),
					'name'       => array(
						'description' => __( 'Role name as shown, in the site language.', 'usersync' ),
						'type'        => 'string',
						'context'     => array( 'view' ),
						'readonly'    => true,
					),
					'privileged' => array(
						'description' => __( 'Whether the role can manage users, plugins or settings: a sync grants it only when the role map allows administrators.', 'usersync' ),
						'type'        => 'boolean',
						'context'     => array( 'view' ),
						'readonly'    => true,
					),
				),
			);
		}
		return $this->add_additional_fields_schema( $this->schema );
	}
}
