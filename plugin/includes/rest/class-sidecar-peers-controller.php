<?php
/**
 * /usersync/v1/sidecar/peers: the peers with their tokens, for the sidecar.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Peers;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * The one place a peer's bearer token leaves WordPress decrypted: towards the service user
 * the sidecar signs in as. Admins see peers through /usersync/v1/config, tokens hidden.
 */
class Sidecar_Peers_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'sidecar/peers';
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
	}

	/**
	 * The service user only: admins never see tokens.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return self::service();
	}

	/**
	 * Every peer, tokens decrypted.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( $request ) {
		$response = rest_ensure_response( ( new Peers() )->for_sidecar() );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Schema of a peer as the sidecar sees it.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( ! $this->schema ) {
			$item                              = Peers::schema()['items'];
			$item['title']                     = 'usersync-sidecar-peer';
			$item['$schema']                   = 'http://json-schema.org/draft-04/schema#';
			$item['properties']['token']       = array(
				'description' => __( 'The bearer token, decrypted; null when none is stored or it can no longer be decrypted.', 'usersync' ),
				'type'        => array( 'string', 'null' ),
				'readonly'    => true,
			);
			$item['additionalProperties']      = true;
			unset( $item['properties']['tokenSet'] );
			$this->schema = $item;
		}
		return $this->add_additional_fields_schema( $this->schema );
	}
}
