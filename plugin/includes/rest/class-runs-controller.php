<?php
/**
 * /usersync/v1/runs and /usersync/v1/sources/<source>/{runs,test}: sync runs, for site admins.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Plugin;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Relays the admin's Sync now, run reads, cancellations and Test connection to the sidecar,
 * server-side, with `USERSYNC_SIDECAR_URL` and `USERSYNC_SIDECAR_KEY`: the browser never
 * holds sidecar credentials. The sidecar's answer comes back as it is; its errors become
 * `usersync_*` WP_Errors with the same status.
 */
class Runs_Controller extends Controller {

	private const SOURCE = '(?P<source>[a-z0-9-]{1,64})';
	private const RUN_ID = '(?P<id>[A-Za-z0-9-]{1,64})';

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		$manage = array( $this, 'permissions_check' );
		register_rest_route(
			$this->namespace,
			'/sources/' . self::SOURCE . '/runs',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'start_run' ),
					'permission_callback' => $manage,
					'args'                => array(
						'dryRun' => array(
							'description' => __( 'Only report what the run would change.', 'usersync' ),
							'type'        => 'boolean',
						),
						'full'   => array(
							'description' => __( 'List the whole source (finds users removed from it) instead of only changes.', 'usersync' ),
							'type'        => 'boolean',
						),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/sources/' . self::SOURCE . '/test',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'test_connection' ),
					'permission_callback' => $manage,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/sources/' . self::SOURCE . '/photos',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'check_photos' ),
					'permission_callback' => $manage,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/runs',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => $manage,
					'args'                => array(
						'source' => array(
							'type'    => 'string',
							'pattern' => '^[a-z0-9-]{1,64}$',
						),
						'limit'  => array(
							'type'    => 'integer',
							'minimum' => 1,
							'maximum' => 200,
							'default' => 20,
						),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/runs/' . self::RUN_ID,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => $manage,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/runs/' . self::RUN_ID . '/cancel',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'cancel_run' ),
					'permission_callback' => $manage,
				),
			)
		);
	}

	/**
	 * Site admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * Sync now (or a dry run): 202 with the run, which may be one already running.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function start_run( $request ) {
		$body = array();
		foreach ( array( 'dryRun', 'full' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$body[ $key ] = (bool) $request[ $key ];
			}
		}
		$source   = self::url_param( $request, 'source' );
		$response = Plugin::sidecar()->relay( 'POST', '/api/v1/sources/' . rawurlencode( $source ) . '/runs', (object) $body, 30 );
		if ( ! is_wp_error( $response ) ) {
			$run = $response->get_data();
			Plugin::audit_log()->write(
				array(
					'action'     => ! empty( $body['dryRun'] ) ? 'run_dry' : 'run_start',
					'source'     => 'connection:' . $source,
					'user_login' => $source,
					'fields'     => array_keys( $body ),
					'result'     => ! empty( $run['joined'] ) ? 'skipped' : 'success',
					'run_id'     => isset( $run['id'] ) ? (string) $run['id'] : null,
					'connection' => $source,
				)
			);
		}
		return $response;
	}

	/**
	 * Test connection: what works and which permission is missing.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function test_connection( $request ) {
		return Plugin::sidecar()->relay( 'POST', '/api/v1/sources/' . rawurlencode( self::url_param( $request, 'source' ) ) . '/test', new \stdClass(), 60 );
	}

	/**
	 * Checks the profile photos of the source's linked users now (photo-only changes never
	 * reach a delta sync): how many were checked, updated and removed.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function check_photos( $request ) {
		$source   = self::url_param( $request, 'source' );
		$response = Plugin::sidecar()->relay( 'POST', '/api/v1/sources/' . rawurlencode( $source ) . '/photos', new \stdClass(), 300 );
		if ( ! is_wp_error( $response ) ) {
			$result = (array) $response->get_data();
			Plugin::audit_log()->write(
				array(
					'action'     => 'photos_check',
					'source'     => 'connection:' . $source,
					'user_login' => $source,
					// The audit log has no free text: the counts go with the fields, as name:value.
					'fields'     => array( 'checked:' . (int) ( $result['checked'] ?? 0 ), 'updated:' . (int) ( $result['updated'] ?? 0 ), 'removed:' . (int) ( $result['removed'] ?? 0 ) ),
					'result'     => 'success',
					'connection' => $source,
				)
			);
		}
		return $response;
	}

	/**
	 * Recent runs, newest first.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$query = array( 'limit' => (int) $request['limit'] );
		if ( null !== $request['source'] ) {
			$query['source'] = (string) $request['source'];
		}
		return Plugin::sidecar()->relay( 'GET', '/api/v1/runs?' . http_build_query( $query ), null, 15 );
	}

	/**
	 * One run with its live progress.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return Plugin::sidecar()->relay( 'GET', '/api/v1/runs/' . rawurlencode( self::url_param( $request, 'id' ) ), null, 15 );
	}

	/**
	 * Cancels a run; it stops between two batches.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function cancel_run( $request ) {
		$id       = self::url_param( $request, 'id' );
		$response = Plugin::sidecar()->relay( 'POST', '/api/v1/runs/' . rawurlencode( $id ) . '/cancel', new \stdClass(), 45 );
		if ( ! is_wp_error( $response ) ) {
			$run = $response->get_data();
			Plugin::audit_log()->write(
				array(
					'action'     => 'run_cancel',
					'source'     => isset( $run['source'] ) ? 'connection:' . $run['source'] : 'sidecar',
					'user_login' => isset( $run['source'] ) ? (string) $run['source'] : '',
					'result'     => 'success',
					'run_id'     => $id,
				)
			);
		}
		return $response;
	}

	/**
	 * A parameter of the route itself (never one of the same name in the body).
	 *
	 * @param WP_REST_Request $request Request.
	 * @param string          $name    Parameter.
	 */
	private static function url_param( WP_REST_Request $request, string $name ): string {
		return (string) ( $request->get_url_params()[ $name ] ?? '' );
	}
}
