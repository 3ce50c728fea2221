<?php
/**
 * /usersync/v1/outbound: outbound delivery as admins see it, relayed from the sidecar.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connection;
use UserSync\Plugin;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * GET  /outbound                          targets (peers) with their state, lag, last error,
 *                                         dead letters and push progress (the Overview)
 * GET  /outbound/dead-letters?target=     changes that could not be delivered
 * POST /outbound/dead-letters/<id>/retry  deliver that user's current state again: 200 with
 *                                         the outcome, or 202 with the command still queued
 * POST /outbound/peers/<slug>/push        full push of every user to a peer (202: the run
 *                                         and its command)
 * GET  /outbound/peers/<slug>/push        the latest full push and its progress
 * GET  /outbound/commands/<id>            a push or retry command: queued, running,
 *                                         succeeded or failed (the sidecar replica that
 *                                         delivers to the peer carries it out)
 *
 * Site admins only (usersync_manage). The sidecar is called server-side with this site's key;
 * the browser never holds sidecar credentials.
 */
class Outbound_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'outbound';
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		$slug = '(?P<slug>' . trim( Connection::PATTERN, '^$' ) . ')';
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_status' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/dead-letters',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_dead_letters' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(
						'target'          => array(
							'type'    => 'string',
							'pattern' => Connection::PATTERN,
						),
						'limit'           => array(
							'type'    => 'integer',
							'minimum' => 1,
							'maximum' => 1000,
							'default' => 100,
						),
						'includeResolved' => array(
							'type'    => 'boolean',
							'default' => false,
						),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/dead-letters/(?P<id>\d+)/retry',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'retry_dead_letter' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/commands/(?P<id>[0-9a-f-]{36})',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_command' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/peers/' . $slug . '/push',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'start_push' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(),
				),
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_push' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(),
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
	 * Targets and their state.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_status( $request ) {
		return Plugin::sidecar()->relay( 'GET', '/api/v1/outbound', null );
	}

	/**
	 * Dead letters.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_dead_letters( $request ) {
		$query = array(
			'limit'           => (int) $request['limit'],
			'includeResolved' => $request['includeResolved'] ? '1' : '0',
		);
		if ( null !== $request['target'] ) {
			$query['target'] = (string) $request['target'];
		}
		return Plugin::sidecar()->relay( 'GET', '/api/v1/outbound/dead-letters?' . http_build_query( $query ), null );
	}

	/**
	 * Retries a dead letter.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function retry_dead_letter( $request ) {
		$id = (int) ( $request->get_url_params()['id'] ?? 0 );
		// The sidecar answers once the retry is done, or after 50 s with the command still
		// queued (202; its state is at /outbound/commands/<id>).
		return Plugin::sidecar()->relay( 'POST', '/api/v1/outbound/dead-letters/' . $id . '/retry?wait=50000', new \stdClass(), 60 );
	}

	/**
	 * A push or retry command and its state.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_command( $request ) {
		$id = (string) ( $request->get_url_params()['id'] ?? '' );
		return Plugin::sidecar()->relay( 'GET', '/api/v1/outbound/commands/' . rawurlencode( $id ), null );
	}

	/**
	 * Starts (or joins) a full push to a peer; the admin's request is audited.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function start_push( $request ) {
		$slug     = (string) ( $request->get_url_params()['slug'] ?? '' );
		$response = Plugin::sidecar()->relay( 'POST', '/api/v1/outbound/targets/' . rawurlencode( $slug ) . '/push', new \stdClass() );
		$peer     = ( new \UserSync\Peers() )->get( $slug );
		Plugin::audit_log()->write(
			array(
				'action' => 'push',
				'source' => 'peer:' . ( $peer['name'] ?? $slug ),
				'result' => is_wp_error( $response ) ? 'failure' : 'success',
				'error'  => is_wp_error( $response ) ? $response->get_error_message() : null,
				'run_id' => is_wp_error( $response ) ? null : (string) ( $response->get_data()['id'] ?? '' ),
			)
		);
		return $response;
	}

	/**
	 * The latest full push to a peer.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_push( $request ) {
		$slug = (string) ( $request->get_url_params()['slug'] ?? '' );
		return Plugin::sidecar()->relay( 'GET', '/api/v1/outbound/targets/' . rawurlencode( $slug ) . '/push', null );
	}
}
