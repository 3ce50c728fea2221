<?php
/**
 * /usersync/v1/sidecar/passwords: password hashes for WordPress-to-WordPress sync.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connection;
use UserSync\Password_Hashes;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * GET  ?ids=1,2                         hashes to send to a peer (only when a peer sends them)
 * POST { connection, users: [{id, hash}] }  hashes a peer sent (only when this site accepts
 *                                       them from that connection)
 *
 * The service user only. See Password_Hashes for the whole design.
 */
class Sidecar_Passwords_Controller extends Controller {

	public const MAX_USERS = 500;

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'sidecar/passwords';
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
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(
						'ids' => array(
							'type'     => 'array',
							'items'    => array(
								'type'    => 'integer',
								'minimum' => 1,
							),
							'minItems' => 1,
							'maxItems' => self::MAX_USERS,
							'required' => true,
						),
					),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_items' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(
						'connection' => array(
							'type'     => 'string',
							'pattern'  => Connection::PATTERN,
							'required' => true,
						),
						'users'      => array(
							'type'     => 'array',
							'minItems' => 1,
							'maxItems' => self::MAX_USERS,
							'items'    => array(
								'type'                 => 'object',
								'additionalProperties' => false,
								'properties'           => array(
									'id'   => array(
										'type'     => 'integer',
										'minimum'  => 1,
										'required' => true,
									),
									'hash' => array(
										'type'      => 'string',
										'minLength' => 1,
										'maxLength' => 400,
										'required'  => true,
									),
								),
							),
							'required' => true,
						),
					),
				),
			)
		);
	}

	/**
	 * The service user only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function permissions_check( $request ) {
		return self::service();
	}

	/**
	 * Hashes of the asked users that may leave the site.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$hashes = ( new Password_Hashes() )->read( (array) $request['ids'] );
		if ( is_wp_error( $hashes ) ) {
			return $hashes;
		}
		$response = rest_ensure_response( array( 'hashes' => $hashes ) );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Stores hashes a peer sent.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_items( $request ) {
		$results = ( new Password_Hashes() )->accept( (string) $request['connection'], (array) $request['users'] );
		if ( is_wp_error( $results ) ) {
			return $results;
		}
		return rest_ensure_response( array( 'results' => $results ) );
	}
}
