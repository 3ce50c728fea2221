<?php
/**
 * /usersync/v1/sources/<source>/user-preview: "Test with a user", for site admins.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Plugin;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * POST /sources/<source>/user-preview { lookup } — the sidecar fetches one person from the
 * source by id, sign-in name or email and maps them with the attribute and role maps a sync
 * uses: the attributes the source really returns, and the WordPress fields, login and roles
 * they become. Nothing is written.
 */
class User_Preview_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'sources';
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		$this->register_action( '/' . $this->rest_base . '/(?P<source>[a-z0-9-]{1,64})/user-preview' );
	}

	/**
	 * Site admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function create_item_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * Relays the preview to the sidecar.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|\WP_Error
	 */
	public function create_item( $request ) {
		return Plugin::sidecar()->relay(
			'POST',
			'/api/v1/sources/' . rawurlencode( (string) $request['source'] ) . '/users/preview',
			(object) array( 'lookup' => trim( (string) $request->get_param( 'lookup' ) ) ),
			30
		);
	}

	/**
	 * The request and the answer.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$view         = static fn( $type ): array => array(
			'type'     => $type,
			'context'  => array( 'view' ),
			'readonly' => true,
		);
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-user-preview',
			'type'       => 'object',
			'properties' => array(
				'lookup'     => array(
					'description' => __( 'The person\'s id in the source, sign-in name (UPN) or email.', 'usersync' ),
					'type'        => 'string',
					'minLength'   => 1,
					'maxLength'   => 512,
					'required'    => true,
					'context'     => array( 'view', 'edit' ),
				),
				'found'      => $view( 'boolean' ),
				'externalId' => $view( array( 'string', 'null' ) ),
				'active'     => $view( array( 'boolean', 'null' ) ),
				'attributes' => $view( array( 'object', 'null' ) ),
				'groups'     => $view( array( 'array', 'null' ) ),
				'fields'     => $view( array( 'object', 'null' ) ),
				'login'      => $view( array( 'string', 'null' ) ),
				'roles'      => $view( array( 'array', 'null' ) ),
				'error'      => $view( array( 'string', 'null' ) ),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
