<?php
/**
 * /usersync/v1/tokens: SCIM bearer tokens, for site admins.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connection;
use UserSync\Plugin;
use UserSync\Tokens;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Lists, creates and revokes tokens. A token is shown once, in the answer that creates it.
 */
class Tokens_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'tokens';
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
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => array( $this, 'create_item_permissions_check' ),
					'args'                => $this->get_endpoint_args_for_item_schema( WP_REST_Server::CREATABLE ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/(?P<id>[A-Za-z0-9_-]+)',
			array(
				'args'   => array(
					'id' => array(
						'description' => __( 'Token id.', 'usersync' ),
						'type'        => 'string',
					),
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_item' ),
					'permission_callback' => array( $this, 'delete_item_permissions_check' ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
	}

	/**
	 * Site admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * Site admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function create_item_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * Site admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function delete_item_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * Active tokens, oldest first.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( $request ) {
		$tokens = array_map( array( Tokens::class, 'to_public' ), array_values( Plugin::tokens()->all() ) );
		return rest_ensure_response( $tokens );
	}

	/**
	 * Creates a token; the answer is the only place the token appears.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		$token = Plugin::tokens()->create( (string) $request['name'], isset( $request['connection'] ) ? (string) $request['connection'] : null );
		if ( is_wp_error( $token ) ) {
			return $token;
		}
		$token['scimUrl'] = Plugin::scim_url();

		Plugin::audit_log()->write(
			array(
				'action'     => 'token_create',
				'user_login' => $token['name'],
				'fields'     => array( 'name', 'connection' ),
				'result'     => 'success',
			)
		);

		$response = rest_ensure_response( $token );
		$response->set_status( 201 );
		$response->header( 'Location', rest_url( sprintf( '%s/%s/%s', $this->namespace, $this->rest_base, $token['id'] ) ) );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Revokes a token.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_item( $request ) {
		$id      = (string) $request['id'];
		$revoked = Plugin::tokens()->revoke( $id );
		if ( null === $revoked ) {
			return new WP_Error( 'usersync_token_not_found', __( 'There is no active token with this id.', 'usersync' ), array( 'status' => 404 ) );
		}

		// The sidecar caches tokens: told now, it refuses this one from the next request on.
		$told = Plugin::sidecar()->token_revoked( $id );

		Plugin::audit_log()->write(
			array(
				'action'     => 'token_revoke',
				'user_login' => $revoked['name'],
				'fields'     => array( 'id' ),
				'result'     => 'success',
				'error'      => is_wp_error( $told )
					/* translators: %s: why the sidecar could not be told */
					? sprintf( __( 'The sidecar could not be told at once (%s); it stops accepting the token within seconds.', 'usersync' ), $told->get_error_message() )
					: null,
			)
		);

		return rest_ensure_response(
			array(
				'deleted' => true,
				'id'      => $id,
			)
		);
	}

	/**
	 * Schema of a token.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-token',
			'type'       => 'object',
			'properties' => array(
				'id'         => array(
					'description' => __( 'Token id.', 'usersync' ),
					'type'        => 'string',
					'readonly'    => true,
					'context'     => array( 'view', 'edit' ),
				),
				'name'       => array(
					'description' => __( 'Name of the token, unique among active tokens (e.g. the identity provider).', 'usersync' ),
					'type'        => 'string',
					'minLength'   => 1,
					'maxLength'   => 100,
					'required'    => true,
					'context'     => array( 'view', 'edit' ),
				),
				'connection' => array(
					'description' => __( 'Connection the token writes as; defaults to a slug of the name.', 'usersync' ),
					'type'        => 'string',
					'pattern'     => Connection::PATTERN,
					'context'     => array( 'view', 'edit' ),
				),
				'prefix'     => array(
					'description' => __( 'First characters of the token, to recognise it.', 'usersync' ),
					'type'        => 'string',
					'readonly'    => true,
					'context'     => array( 'view', 'edit' ),
				),
				'createdAt'  => array(
					'type'     => 'string',
					'format'   => 'date-time',
					'readonly' => true,
					'context'  => array( 'view', 'edit' ),
				),
				'lastUsedAt' => array(
					'type'     => array( 'string', 'null' ),
					'format'   => 'date-time',
					'readonly' => true,
					'context'  => array( 'view', 'edit' ),
				),
				'token'      => array(
					'description' => __( 'The bearer token; only in the answer that creates it.', 'usersync' ),
					'type'        => 'string',
					'readonly'    => true,
					'context'     => array( 'edit' ),
				),
				'scimUrl'    => array(
					'description' => __( 'The SCIM base URL to give the identity provider; only in the answer that creates the token.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'readonly'    => true,
					'context'     => array( 'edit' ),
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
