<?php
/**
 * GET /usersync/v1/deprovision/pending
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Deprovision_Grace;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * The deletions the grace period of the delete policy has scheduled: how many users wait,
 * and when the next one is due. Read-only; site admins only.
 */
class Deprovision_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'deprovision/pending';
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		$this->register_read( '/' . $this->rest_base );
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/(?P<id>\\d+)',
			array(
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_item' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
					'args'                => array(
						'id' => array(
							'description' => __( 'The user whose deletion is cancelled.', 'usersync' ),
							'type'        => 'integer',
							'minimum'     => 1,
						),
					),
				),
			)
		);
	}

	/**
	 * Cancels one pending deletion: the user stays disabled and is not deleted.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|\WP_Error
	 */
	public function delete_item( $request ) {
		$id = (int) $request['id'];
		if ( ! Deprovision_Grace::cancel_one( $id ) ) {
			return new \WP_Error( 'usersync_not_pending', __( 'No deletion is pending for this user.', 'usersync' ), array( 'status' => 404 ) );
		}
		return rest_ensure_response( Deprovision_Grace::summary() + array( 'users' => Deprovision_Grace::pending() ) );
	}

	/**
	 * Admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function get_item_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * The pending deletions.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_item( $request ) {
		return rest_ensure_response( Deprovision_Grace::summary() + array( 'users' => Deprovision_Grace::pending() ) );
	}

	/**
	 * Schema of the answer.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-pending-deletions',
			'type'       => 'object',
			'properties' => array(
				'count'     => array(
					'description' => __( 'Users disabled by deprovisioning and scheduled for deletion.', 'usersync' ),
					'type'        => 'integer',
					'context'     => array( 'view' ),
					'readonly'    => true,
				),
				'users'     => array(
					'description' => __( 'The first 100 of them, soonest first.', 'usersync' ),
					'type'        => 'array',
					'context'     => array( 'view' ),
					'readonly'    => true,
					'items'       => array(
						'type'       => 'object',
						'properties' => array(
							'id'         => array( 'type' => 'integer' ),
							'login'      => array( 'type' => 'string' ),
							'dueAt'      => array(
								'type'   => 'string',
								'format' => 'date-time',
							),
							'connection' => array( 'type' => array( 'string', 'null' ) ),
						),
					),
				),
				'nextDueAt' => array(
					'description' => __( 'When the first of them becomes due (UTC); the daily job deletes it within a day after. Null when none is pending.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'format'      => 'date-time',
					'context'     => array( 'view' ),
					'readonly'    => true,
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
