<?php
/**
 * /usersync/v1/groups: a connection's groups and their batch write route.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connection;
use UserSync\Group_Writer;
use UserSync\Plugin;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Reads groups of one connection and applies group operations, recomputing the roles of
 * the members whose memberships change.
 */
class Groups_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'groups';
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
					'args'                => $this->get_collection_params(),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/batch',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'batch' ),
					'permission_callback' => array( $this, 'batch_permissions_check' ),
					'args'                => Users_Controller::batch_args( Group_Writer::operation_schema(), array( Group_Writer::class, 'operation_problem' ) ),
				),
			)
		);
	}

	/**
	 * Admins and the service user.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return self::manager_or_service();
	}

	/**
	 * The service user only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function batch_permissions_check( $request ) {
		return self::service();
	}

	/**
	 * Groups matching the query.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( $request ) {
		$query = array(
			'connection' => (string) $request['connection'],
			'page'       => (int) $request['page'],
			'per_page'   => (int) $request['per_page'],
		);
		if ( ! empty( $request['id'] ) ) {
			$query['id'] = array_map( 'intval', (array) $request['id'] );
		}
		if ( null !== $request['display_name'] ) {
			$query['display_name'] = (string) $request['display_name'];
		}
		if ( null !== $request['external_id'] ) {
			$query['external_id'] = (string) $request['external_id'];
		}
		if ( null !== $request['member'] ) {
			$query['member'] = (int) $request['member'];
		}

		$found    = Plugin::groups()->find( $query );
		$response = rest_ensure_response(
			array(
				'total'  => $found['total'],
				'groups' => Plugin::groups()->snapshots( $found['rows'], (bool) $request['members'] ),
			)
		);
		$response->header( 'X-WP-Total', (string) $found['total'] );
		$response->header( 'X-WP-TotalPages', (string) (int) ceil( $found['total'] / max( 1, $query['per_page'] ) ) );
		return $response;
	}

	/**
	 * Applies a batch of well-shaped group operations: 200 with one result per operation.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function batch( $request ) {
		$connection = (string) $request['connection'];
		$source     = null === $request['source'] || '' === $request['source'] ? 'connection:' . $connection : (string) $request['source'];
		$writer     = new Group_Writer( $connection, $source, $request['runId'] );
		return rest_ensure_response( array( 'results' => $writer->apply( (array) $request['operations'] ) ) );
	}

	/**
	 * Query parameters of the group list.
	 *
	 * @return array<string, array<string, mixed>>
	 */
	public function get_collection_params() {
		return array(
			'connection'   => array(
				'description' => __( 'Connection the groups belong to.', 'usersync' ),
				'type'        => 'string',
				'pattern'     => Connection::PATTERN,
				'required'    => true,
			),
			'id'           => array(
				'description' => __( 'Group ids (comma-separated).', 'usersync' ),
				'type'        => 'array',
				'items'       => array(
					'type'    => 'integer',
					'minimum' => 1,
				),
				'maxItems'    => 500,
			),
			'display_name' => array(
				'description' => __( 'Exact display name, case-insensitive.', 'usersync' ),
				'type'        => 'string',
			),
			'external_id'  => array(
				'type' => 'string',
			),
			'member'       => array(
				'description' => __( 'Only groups this user belongs to.', 'usersync' ),
				'type'        => 'integer',
				'minimum'     => 1,
			),
			'page'         => array(
				'type'    => 'integer',
				'minimum' => 1,
				'default' => 1,
			),
			'per_page'     => array(
				'type'    => 'integer',
				'minimum' => 1,
				'maximum' => 500,
				'default' => 100,
			),
			'members'      => array(
				'description' => __( 'Whether to list members (0 leaves them out; the version is the same).', 'usersync' ),
				'type'        => 'boolean',
				'default'     => true,
			),
		);
	}

	/**
	 * Schema of a group snapshot.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$ro           = array(
			'readonly' => true,
			'context'  => array( 'view' ),
		);
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-group',
			'type'       => 'object',
			'properties' => array(
				'id'          => array( 'type' => 'integer' ) + $ro,
				'connection'  => array( 'type' => 'string' ) + $ro,
				'displayName' => array( 'type' => 'string' ) + $ro,
				'externalId'  => array( 'type' => array( 'string', 'null' ) ) + $ro,
				'created'     => array(
					'type'   => 'string',
					'format' => 'date-time',
				) + $ro,
				'modified'    => array(
					'type'   => 'string',
					'format' => 'date-time',
				) + $ro,
				'version'     => array( 'type' => 'string' ) + $ro,
				'members'     => array(
					'type'  => 'array',
					'items' => array(
						'type'       => 'object',
						'properties' => array(
							'id'          => array( 'type' => 'integer' ),
							'login'       => array( 'type' => 'string' ),
							'displayName' => array( 'type' => 'string' ),
						),
					),
				) + $ro,
				'scim'        => array( 'type' => array( 'object', 'null' ) ) + $ro,
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
