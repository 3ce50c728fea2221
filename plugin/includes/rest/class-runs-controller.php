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
		$response = $this->call( 'POST', '/api/v1/sources/' . rawurlencode( $source ) . '/runs', (object) $body, 30 );
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
		return $this->call( 'POST', '/api/v1/sources/' . rawurlencode( self::url_param( $request, 'source' ) ) . '/test', new \stdClass(), 60 );
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
		return $this->call( 'GET', '/api/v1/runs?' . http_build_query( $query ), null, 15 );
	}

	/**
	 * One run with its live progress.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return $this->call( 'GET', '/api/v1/runs/' . rawurlencode( self::url_param( $request, 'id' ) ), null, 15 );
	}

	/**
	 * Cancels a run; it stops between two batches.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function cancel_run( $request ) {
		$id       = self::url_param( $request, 'id' );
		$response = $this->call( 'POST', '/api/v1/runs/' . rawurlencode( $id ) . '/cancel', new \stdClass(), 45 );
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

	/**
	 * Calls the sidecar and relays its answer.
	 *
	 * @param string      $method  HTTP method.
	 * @param string      $path    Path under the sidecar's base URL.
	 * @param object|null $body    JSON body.
	 * @param int         $timeout Seconds.
	 * @return WP_REST_Response|WP_Error
	 */
	private function call( string $method, string $path, ?object $body, int $timeout ) {
		$base = Plugin::sidecar()->url();
		if ( null === $base ) {
			return new WP_Error(
				'usersync_sidecar_not_configured',
				__( 'The sidecar is not configured: define USERSYNC_SIDECAR_URL (and USERSYNC_SIDECAR_KEY) in wp-config.php.', 'usersync' ),
				array( 'status' => 503 )
			);
		}
		$headers = array(
			'Accept'       => 'application/json',
			'Content-Type' => 'application/json',
		);
		$key     = defined( 'USERSYNC_SIDECAR_KEY' ) ? (string) constant( 'USERSYNC_SIDECAR_KEY' ) : '';
		if ( '' !== $key ) {
			$headers['Authorization'] = 'Bearer ' . $key;
		}
		// Not wp_safe_remote_request(): the sidecar normally listens on a loopback address.
		$response = wp_remote_request(
			$base . $path,
			array(
				'method'      => $method,
				'timeout'     => $timeout,
				'redirection' => 0,
				'headers'     => $headers,
				'body'        => null === $body ? null : wp_json_encode( $body ),
			)
		);
		if ( is_wp_error( $response ) ) {
			$message = $response->get_error_message();
			if ( 'http_request_not_executed' === $response->get_error_code() ) {
				$message .= ' ' . __( 'WP_HTTP_BLOCK_EXTERNAL is on: add the sidecar host to WP_ACCESSIBLE_HOSTS.', 'usersync' );
			}
			return new WP_Error(
				'usersync_sidecar_unreachable',
				/* translators: %s: error message */
				sprintf( __( 'The sidecar could not be reached: %s', 'usersync' ), $message ),
				array( 'status' => 502 )
			);
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$data   = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( ! is_array( $data ) ) {
			return new WP_Error(
				'usersync_sidecar_bad_answer',
				/* translators: %d: HTTP status code */
				sprintf( __( 'The sidecar answered HTTP %d without JSON.', 'usersync' ), $status ),
				array( 'status' => 502 )
			);
		}
		if ( $status >= 400 ) {
			$code = isset( $data['error'] ) && is_string( $data['error'] ) ? preg_replace( '/[^a-z0-9_]/', '', strtolower( $data['error'] ) ) : 'error';
			if ( 401 === $status ) {
				// The plugin's key was refused: a configuration problem, not the admin's.
				return new WP_Error(
					'usersync_sidecar_key_refused',
					__( 'The sidecar refused this site\'s key: USERSYNC_SIDECAR_KEY must equal the sidecar\'s SIDECAR_API_KEY.', 'usersync' ),
					array( 'status' => 502 )
				);
			}
			$extra = array( 'status' => $status );
			if ( isset( $data['run'] ) ) {
				$extra['run'] = $data['run'];
			}
			return new WP_Error(
				'usersync_' . $code,
				isset( $data['message'] ) ? (string) $data['message'] : __( 'The sidecar refused the request.', 'usersync' ),
				$extra
			);
		}
		$out = new WP_REST_Response( $data, $status );
		$out->header( 'Cache-Control', 'no-store' );
		return $out;
	}
}
