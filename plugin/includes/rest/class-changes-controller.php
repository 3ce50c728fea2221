<?php
/**
 * /usersync/v1/changes: the change feed the sidecar delivers to outbound targets.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Change_Clock;
use UserSync\Change_Feed;
use UserSync\Connection;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * GET  /changes?after=<id>&limit=<n>   outbox rows after a cursor, oldest first
 * POST /changes/ack { "upTo": <id> }    delivered up to an id: prunes old delivered rows
 * GET  /changes/clock?ids=1,2&exclude_origin=<connection>
 *                                       when each attribute of those users last changed
 *
 * All for the service user only.
 */
class Changes_Controller extends Controller {

	/**
	 * Feed.
	 *
	 * @var Change_Feed
	 */
	private Change_Feed $feed;

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'changes';
		$this->feed      = new Change_Feed();
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
			'/' . $this->rest_base . '/ack',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'ack' ),
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
					'args'                => array(
						'upTo' => array(
							'description' => __( 'Highest outbox id delivered to every target.', 'usersync' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'required'    => true,
						),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/clock',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'clock' ),
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
					'args'                => array(
						'ids'            => array(
							'description' => __( 'User ids (comma-separated or a list), at most 500.', 'usersync' ),
							'type'        => 'array',
							'items'       => array(
								'type'    => 'integer',
								'minimum' => 1,
							),
							'maxItems'    => 500,
							'required'    => true,
						),
						'exclude_origin' => array(
							'description' => __( 'Leave out changes made by this connection.', 'usersync' ),
							'type'        => 'string',
							'pattern'     => Connection::PATTERN,
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
	 * @return true|\WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return self::service();
	}

	/**
	 * Rows after the cursor.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( $request ) {
		$after   = (int) $request['after'];
		$changes = $this->feed->after( $after, (int) $request['limit'] );
		$last    = $changes ? $changes[ count( $changes ) - 1 ]['id'] : $after;
		return rest_ensure_response(
			array(
				'changes' => $changes,
				'last'    => $last,
				// Lower than `after` only when the outbox was emptied or restored since.
				'latest'  => max( $this->feed->latest(), $changes ? $last : 0 ),
				'acked'   => $this->feed->acked(),
			)
		);
	}

	/**
	 * Acknowledges delivery up to an id.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function ack( $request ) {
		return rest_ensure_response( $this->feed->ack( (int) $request['upTo'] ) );
	}

	/**
	 * Per-attribute change times.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function clock( $request ) {
		$ids     = array_values( array_unique( array_map( 'intval', (array) $request['ids'] ) ) );
		$exclude = null === $request['exclude_origin'] ? null : (string) $request['exclude_origin'];
		if ( $ids ) {
			cache_users( $ids );
		}
		$clock = array();
		foreach ( $ids as $id ) {
			if ( get_userdata( $id ) ) {
				$times                 = Change_Clock::times( $id, $exclude );
				$clock[ (string) $id ] = $times ? $times : new \stdClass();
			}
		}
		return rest_ensure_response( array( 'clock' => $clock ? $clock : new \stdClass() ) );
	}

	/**
	 * Query parameters of the feed.
	 *
	 * @return array<string, array<string, mixed>>
	 */
	public function get_collection_params() {
		return array(
			'after' => array(
				'description' => __( 'Return rows with a greater id than this (the last id already read).', 'usersync' ),
				'type'        => 'integer',
				'minimum'     => 0,
				'default'     => 0,
			),
			'limit' => array(
				'description' => __( 'Rows at most.', 'usersync' ),
				'type'        => 'integer',
				'minimum'     => 1,
				'maximum'     => Change_Feed::MAX_LIMIT,
				'default'     => 100,
			),
		);
	}

	/**
	 * Schema of one change.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-change',
			'type'       => 'object',
			'properties' => array(
				'id'        => array(
					'description' => __( 'Monotonic id: the feed cursor.', 'usersync' ),
					'type'        => 'integer',
					'readonly'    => true,
				),
				'userId'    => array(
					'type'     => 'integer',
					'readonly' => true,
				),
				'action'    => array(
					'type'     => 'string',
					'enum'     => \UserSync\Outbox::ACTIONS,
					'readonly' => true,
				),
				'changed'   => array(
					'description' => __( 'Changed attributes: user fields by column or meta key, meta:<key>, roles, password, active.', 'usersync' ),
					'type'        => 'array',
					'items'       => array( 'type' => 'string' ),
					'readonly'    => true,
				),
				'origin'    => array(
					'description' => __( '"local" for changes made in WordPress, else the connection that wrote them.', 'usersync' ),
					'type'        => 'string',
					'readonly'    => true,
				),
				'createdAt' => array(
					'type'     => 'string',
					'format'   => 'date-time',
					'readonly' => true,
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
