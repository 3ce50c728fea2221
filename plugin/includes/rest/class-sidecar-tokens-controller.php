<?php
/**
 * /usersync/v1/sidecar/tokens: token hashes for the sidecar.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Plugin;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * The sidecar verifies SCIM bearer tokens itself against these hashes, and reports which
 * tokens it accepted so admins see when each was last used.
 */
class Sidecar_Tokens_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'sidecar/tokens';
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
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
					'args'                => array(),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/used',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'mark_used' ),
					'permission_callback' => array( $this, 'mark_used_permissions_check' ),
					'args'                => array(
						'ids' => array(
							'description' => __( 'Ids of the tokens the sidecar accepted.', 'usersync' ),
							'type'        => 'array',
							'items'       => array( 'type' => 'string' ),
							'maxItems'    => 1000,
							'required'    => true,
						),
					),
				),
			)
		);
	}

	/**
	 * The service user only: admins never see hashes.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return self::service();
	}

	/**
	 * The service user only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function mark_used_permissions_check( $request ) {
		return self::service();
	}

	/**
	 * Active tokens with their hashes.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( $request ) {
		$tokens = array();
		foreach ( Plugin::tokens()->all() as $token ) {
			$tokens[] = array(
				'id'         => $token['id'],
				'name'       => $token['name'],
				'connection' => $token['connection'],
				'hash'       => $token['hash'],
			);
		}
		$response = rest_ensure_response( $tokens );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Sets lastUsedAt of the given tokens to now.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function mark_used( $request ) {
		return rest_ensure_response( array( 'updated' => Plugin::tokens()->mark_used( (array) $request['ids'] ) ) );
	}

	/**
	 * Schema of a token as the sidecar sees it.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-sidecar-token',
			'type'       => 'object',
			'properties' => array(
				'id'         => array(
					'type'     => 'string',
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'name'       => array(
					'type'     => 'string',
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'connection' => array(
					'type'     => 'string',
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'hash'       => array(
					'description' => __( 'SHA-256 of the token, hex.', 'usersync' ),
					'type'        => 'string',
					'readonly'    => true,
					'context'     => array( 'view' ),
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
