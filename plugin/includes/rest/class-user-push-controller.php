<?php
/**
 * /usersync/v1/users/<id>/push: "Push now" of one user to one peer, for site admins.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connection;
use UserSync\User_Refresh;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * POST /users/<id>/push { target } — the user's current state is delivered to the peer now
 * (by the sidecar replica that delivers to it), and the answer says what the peer did.
 */
class User_Push_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'users';
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		$this->register_action( '/' . $this->rest_base . '/(?P<id>\d+)/push' );
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
	 * Pushes the user.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|\WP_Error
	 */
	public function create_item( $request ) {
		$result = ( new User_Refresh() )->push( (int) $request['id'], (string) $request->get_param( 'target' ) );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$response = new WP_REST_Response( array( 'userId' => (int) $request['id'] ) + $result, 200 );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
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
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-user-push',
			'type'       => 'object',
			'properties' => array(
				'target'     => array(
					'description' => __( 'Slug of the peer to push the user to.', 'usersync' ),
					'type'        => 'string',
					'pattern'     => Connection::PATTERN,
					'required'    => true,
					'context'     => array( 'edit' ),
				),
				'userId'     => array(
					'type'     => 'integer',
					'context'  => array( 'view' ),
					'readonly' => true,
				),
				'outcome'    => array(
					'type'     => 'string',
					'enum'     => array( 'synced', 'skipped', 'failed' ),
					'context'  => array( 'view' ),
					'readonly' => true,
				),
				'connection' => array(
					'type'     => array( 'string', 'null' ),
					'context'  => array( 'view' ),
					'readonly' => true,
				),
				'message'    => array(
					'type'     => array( 'string', 'null' ),
					'context'  => array( 'view' ),
					'readonly' => true,
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
