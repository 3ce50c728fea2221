<?php
/**
 * /usersync/v1/users/refresh: "Sync now" of chosen users, for site admins.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connection;
use UserSync\User_Refresh;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * POST /users/refresh { users: [id…], connection? } or { externalIds: […], connection } — each
 * user is synced from their sources now (directory connections are asked for them again, peers this site pushes to get them
 * again, SCIM connections are said to be unpullable), with a result per user and the counts
 * of synced, skipped and failed users. The Failed records' "Retry" names the connection.
 */
class User_Refresh_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'users/refresh';
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		$this->register_action( '/' . $this->rest_base );
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
	 * Syncs the users.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		$connection = $request->get_param( 'connection' );
		$users      = $request->get_param( 'users' );
		$external   = $request->get_param( 'externalIds' );
		if ( ( null === $users ) === ( null === $external ) ) {
			return new WP_Error( 'rest_invalid_param', __( 'Give either users or externalIds.', 'usersync' ), array( 'status' => 400 ) );
		}
		if ( null !== $external ) {
			if ( ! is_string( $connection ) || '' === $connection ) {
				return new WP_Error( 'rest_missing_callback_param', __( 'externalIds need the connection they belong to.', 'usersync' ), array( 'status' => 400 ) );
			}
			$summary = ( new User_Refresh() )->sync_external( $connection, (array) $external );
			if ( is_wp_error( $summary ) ) {
				return $summary;
			}
			$response = new WP_REST_Response( $summary, 200 );
			$response->header( 'Cache-Control', 'no-store' );
			return $response;
		}
		$summary = ( new User_Refresh() )->sync(
			array_map( 'intval', (array) $users ),
			is_string( $connection ) && '' !== $connection ? $connection : null
		);
		$response = new WP_REST_Response( $summary, 200 );
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
		$count        = array(
			'type'     => 'integer',
			'context'  => array( 'view' ),
			'readonly' => true,
		);
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-user-refresh',
			'type'       => 'object',
			'properties' => array(
				'users'      => array(
					'description' => __( 'Ids of the users to sync now.', 'usersync' ),
					'type'        => 'array',
					'items'       => array(
						'type'    => 'integer',
						'minimum' => 1,
					),
					'minItems'    => 1,
					'maxItems'    => User_Refresh::CHUNK,
					'context'     => array( 'edit' ),
				),
				'externalIds' => array(
					'description' => __( 'Or: ids in the connection\'s source of people to sync now (with connection).', 'usersync' ),
					'type'        => 'array',
					'items'       => array(
						'type'      => 'string',
						'minLength' => 1,
						'maxLength' => 512,
					),
					'minItems'    => 1,
					'maxItems'    => User_Refresh::CHUNK,
					'context'     => array( 'edit' ),
				),
				'connection' => array(
					'description' => __( 'Only sync from this connection.', 'usersync' ),
					'type'        => 'string',
					'pattern'     => Connection::PATTERN,
					'context'     => array( 'edit' ),
				),
				'synced'     => $count,
				'skipped'    => $count,
				'failed'     => $count,
				'results'    => array(
					'description' => __( 'What happened to each user.', 'usersync' ),
					'type'        => 'array',
					'context'     => array( 'view' ),
					'readonly'    => true,
					'items'       => array(
						'type'       => 'object',
						'properties' => array(
							'userId'     => array( 'type' => 'integer' ),
							'login'      => array( 'type' => 'string' ),
							'outcome'    => array(
								'type' => 'string',
								'enum' => array( 'synced', 'skipped', 'failed' ),
							),
							'connection' => array( 'type' => array( 'string', 'null' ) ),
							'message'    => array( 'type' => array( 'string', 'null' ) ),
						),
					),
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
