<?php
/**
 * /usersync/v1/connections: the systems the sidecar syncs with (Microsoft Graph, Salesforce).
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connections;
use UserSync\Plugin;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Site admins list, create, update and delete connections; secrets are write-only (GET shows
 * `"clientSecret": { "set": true }`, likewise a Salesforce connection's `privateKey` and
 * `refreshToken`). The sidecar reads them, secrets decrypted, from the
 * service-only `GET /usersync/v1/sidecar/connections`.
 */
class Connections_Controller extends Controller {

	/**
	 * The connection store.
	 *
	 * @var Connections
	 */
	private Connections $connections;

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base   = 'connections';
		$this->connections = new Connections();
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
			'/' . $this->rest_base . '/(?P<slug>[a-z0-9-]{1,64})',
			array(
				'args'   => array(
					'slug' => array(
						'description' => __( 'Connection slug.', 'usersync' ),
						'type'        => 'string',
					),
				),
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
				),
				array(
					'methods'             => WP_REST_Server::EDITABLE,
					'callback'            => array( $this, 'update_item' ),
					'permission_callback' => array( $this, 'update_item_permissions_check' ),
					'args'                => $this->get_endpoint_args_for_item_schema( WP_REST_Server::EDITABLE ),
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_item' ),
					'permission_callback' => array( $this, 'delete_item_permissions_check' ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/sidecar/' . $this->rest_base,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_sidecar_items' ),
					'permission_callback' => array( $this, 'get_sidecar_items_permissions_check' ),
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
	public function get_items_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * Site admins only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_item_permissions_check( $request ) {
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
	public function update_item_permissions_check( $request ) {
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
	 * The sidecar's service user only: this answer holds secrets.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_sidecar_items_permissions_check( $request ) {
		return self::service();
	}

	/**
	 * All connections, oldest first, without secrets.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( $request ) {
		return rest_ensure_response( array_values( array_map( array( Connections::class, 'to_public' ), $this->connections->all() ) ) );
	}

	/**
	 * One connection, without secrets.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		$connection = $this->connections->get( self::slug( $request ) );
		if ( null === $connection ) {
			return new WP_Error( 'usersync_connection_not_found', __( 'There is no such connection.', 'usersync' ), array( 'status' => 404 ) );
		}
		return rest_ensure_response( Connections::to_public( $connection ) );
	}

	/**
	 * Creates a connection.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		$connection = $this->connections->create( $this->input( $request ) );
		if ( is_wp_error( $connection ) ) {
			return $connection;
		}
		$this->audit( 'connection_create', $connection['slug'], array_keys( $this->input( $request ) ) );
		self::nudge_sidecar();
		$response = rest_ensure_response( Connections::to_public( $connection ) );
		$response->set_status( 201 );
		$response->header( 'Location', rest_url( sprintf( '%s/%s/%s', $this->namespace, $this->rest_base, $connection['slug'] ) ) );
		return $response;
	}

	/**
	 * Updates a connection (PUT or PATCH; fields not given are kept).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_item( $request ) {
		$input      = $this->input( $request );
		$connection = $this->connections->update( self::slug( $request ), $input );
		if ( is_wp_error( $connection ) ) {
			return $connection;
		}
		$this->audit( 'connection_update', $connection['slug'], array_keys( $input ) );
		self::nudge_sidecar();
		return rest_ensure_response( Connections::to_public( $connection ) );
	}

	/**
	 * Deletes a connection. Users it brought stay, linked, until the admin deals with them.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_item( $request ) {
		$slug   = self::slug( $request );
		$result = $this->connections->delete( $slug );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$this->audit( 'connection_delete', $slug, array() );
		self::nudge_sidecar();
		return rest_ensure_response(
			array(
				'deleted' => true,
				'slug'    => $slug,
			)
		);
	}

	/**
	 * Connections with their secrets, for the sidecar.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_sidecar_items( $request ) {
		$response = rest_ensure_response( array_values( array_map( array( Connections::class, 'to_sidecar' ), $this->connections->all() ) ) );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Tells the sidecar to re-read its sources, so a new schedule applies at once. Fire and
	 * forget: the sidecar also re-reads them every minute.
	 */
	private static function nudge_sidecar(): void {
		$base = Plugin::sidecar()->url();
		if ( null === $base ) {
			return;
		}
		$key     = defined( 'USERSYNC_SIDECAR_KEY' ) ? (string) constant( 'USERSYNC_SIDECAR_KEY' ) : '';
		$headers = array( 'Content-Type' => 'application/json' );
		if ( '' !== $key ) {
			$headers['Authorization'] = 'Bearer ' . $key;
		}
		wp_remote_post(
			$base . '/api/v1/sources/reload',
			array(
				'timeout'     => 1,
				'blocking'    => false,
				'redirection' => 0,
				'headers'     => $headers,
				'body'        => '{}',
			)
		);
	}

	/**
	 * The slug in the route (a `slug` in the body must not stand in for it).
	 *
	 * @param WP_REST_Request $request Request.
	 */
	private static function slug( WP_REST_Request $request ): string {
		return (string) ( $request->get_url_params()['slug'] ?? '' );
	}

	/**
	 * The fields of the schema present in the request body.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array<string, mixed>
	 */
	private function input( WP_REST_Request $request ): array {
		$input  = array();
		$params = $request->get_json_params();
		$params = is_array( $params ) ? $params : $request->get_body_params();
		foreach ( array_keys( $this->get_item_schema()['properties'] ) as $key ) {
			if ( is_array( $params ) && array_key_exists( $key, $params ) && ! in_array( $key, array( 'createdAt', 'modifiedAt' ), true ) ) {
				$input[ $key ] = $request[ $key ];
			}
		}
		return $input;
	}

	/**
	 * Writes an audit row for a configuration change.
	 *
	 * @param string   $action Action.
	 * @param string   $slug   Connection.
	 * @param string[] $fields Fields given (the secret's name at most, never its value).
	 */
	private function audit( string $action, string $slug, array $fields ): void {
		Plugin::audit_log()->write(
			array(
				'action'     => $action,
				'source'     => 'connection:' . $slug,
				'user_login' => $slug,
				'fields'     => array_values( $fields ),
				'result'     => 'success',
			)
		);
	}

	/**
	 * The connection as admins see it.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema(): array {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$integer = static fn( string $description, int $min, int $max ): array => array(
			'description' => $description,
			'type'        => 'integer',
			'minimum'     => $min,
			'maximum'     => $max,
			'context'     => array( 'view', 'edit' ),
		);
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-connection',
			'type'       => 'object',
			'properties' => array(
				'slug'             => array(
					'description' => __( 'Identifies the connection and the identity links of its users; derived from the name when not given; never changes.', 'usersync' ),
					'type'        => 'string',
					'pattern'     => '^[a-z0-9-]{1,64}$',
					'context'     => array( 'view', 'edit' ),
				),
				'name'             => array(
					'description' => __( 'Name shown to admins, e.g. "Contoso Entra ID".', 'usersync' ),
					'type'        => 'string',
					'minLength'   => 1,
					'maxLength'   => 100,
					'context'     => array( 'view', 'edit' ),
				),
				'type'             => array(
					'description' => __( 'What the connection pulls from.', 'usersync' ),
					'type'        => 'string',
					'enum'        => Connections::TYPES,
					'context'     => array( 'view', 'edit' ),
				),
				'enabled'          => array(
					'description' => __( 'Scheduled runs happen only for enabled connections.', 'usersync' ),
					'type'        => 'boolean',
					'context'     => array( 'view', 'edit' ),
				),
				'schedule'         => array(
					'description' => __( 'Cron expression of scheduled runs (5 or 6 fields), or null for Sync now only.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'maxLength'   => 100,
					'context'     => array( 'view', 'edit' ),
				),
				'photos'           => array(
					'description' => __( 'Bring profile photos as WordPress profile pictures.', 'usersync' ),
					'type'        => 'boolean',
					'context'     => array( 'view', 'edit' ),
				),
				'tenantId'         => array(
					'description' => __( 'Directory (tenant) id or a verified domain.', 'usersync' ),
					'type'        => 'string',
					'maxLength'   => 256,
					'context'     => array( 'view', 'edit' ),
				),
				'clientId'         => array(
					'description' => __( 'Application (client) id of the app registration.', 'usersync' ),
					'type'        => 'string',
					'maxLength'   => 256,
					'context'     => array( 'view', 'edit' ),
				),
				'clientSecret'     => array(
					'description' => __( 'Client secret value. Write-only: reads show only whether one is set.', 'usersync' ),
					'type'        => array( 'string', 'object' ),
					'context'     => array( 'view', 'edit' ),
					'properties'  => array( 'set' => array( 'type' => 'boolean' ) ),
				),
				'cloud'            => array(
					'description' => __( 'National cloud: global, usgov (Azure Government), usgovdod (Azure Government DoD) or china (21Vianet).', 'usersync' ),
					'type'        => 'string',
					'enum'        => Connections::CLOUDS,
					'context'     => array( 'view', 'edit' ),
				),
				'b2c'              => array(
					'description' => __( 'An Azure AD B2C tenant (no delta query: every run is a full scan).', 'usersync' ),
					'type'        => 'boolean',
					'context'     => array( 'view', 'edit' ),
				),
				'authorityUrl'     => array(
					'description' => __( 'Sign-in endpoint override (a proxy or the emulator); null for the cloud\'s own.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'context'     => array( 'view', 'edit' ),
				),
				'graphUrl'         => array(
					'description' => __( 'Microsoft Graph endpoint override; null for the cloud\'s own.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'context'     => array( 'view', 'edit' ),
				),
				'pageSize'         => $integer( __( 'Users asked for per Graph page: a hint to delta queries (Graph picks the size), exact for B2C lists.', 'usersync' ), 1, 999 ),
				'concurrency'      => $integer( __( 'Graph requests in flight (photos, group members).', 'usersync' ), 1, 32 ),
				'loginUrl'          => array(
					'description' => __( 'Salesforce: https://login.salesforce.com, https://test.salesforce.com or the org\'s My Domain URL (the client credentials flow needs My Domain).', 'usersync' ),
					'type'        => 'string',
					'maxLength'   => 2048,
					'context'     => array( 'view', 'edit' ),
				),
				'flow'              => array(
					'description' => __( 'Salesforce: how the sidecar signs in (client_credentials, jwt or refresh_token).', 'usersync' ),
					'type'        => 'string',
					'context'     => array( 'view', 'edit' ),
				),
				'username'          => array(
					'description' => __( 'Salesforce, JWT bearer flow: the username the sidecar signs in as.', 'usersync' ),
					'type'        => 'string',
					'context'     => array( 'view', 'edit' ),
				),
				'privateKey'        => array(
					'description' => __( 'Salesforce, JWT bearer flow: the RS256 private key (PEM). Write-only: reads show only whether one is set.', 'usersync' ),
					'type'        => array( 'string', 'object' ),
					'context'     => array( 'view', 'edit' ),
					'properties'  => array( 'set' => array( 'type' => 'boolean' ) ),
				),
				'refreshToken'      => array(
					'description' => __( 'Salesforce, refresh token flow: the refresh token. Write-only: reads show only whether one is set.', 'usersync' ),
					'type'        => array( 'string', 'object' ),
					'context'     => array( 'view', 'edit' ),
					'properties'  => array( 'set' => array( 'type' => 'boolean' ) ),
				),
				'apiVersion'        => array(
					'description' => __( 'Salesforce: the REST API version used, e.g. "62.0".', 'usersync' ),
					'type'        => 'string',
					'context'     => array( 'view', 'edit' ),
				),
				'callOptionsClient' => array(
					'description' => __( 'Salesforce: client id sent in Sforce-Call-Options, so change events from the sync are recognised.', 'usersync' ),
					'type'        => 'string',
					'context'     => array( 'view', 'edit' ),
				),
				'apiBudgetShare'    => array(
					'description' => __( 'Salesforce: share of the daily API allocation (0.1 to 1) at which pulls pause.', 'usersync' ),
					'type'        => 'number',
					'context'     => array( 'view', 'edit' ),
				),
				'push'              => array(
					'description' => __( 'Salesforce: deliver WordPress user changes to Salesforce.', 'usersync' ),
					'type'        => 'boolean',
					'context'     => array( 'view', 'edit' ),
				),
				'realtime'          => array(
					'description' => __( 'Salesforce: none, or cometd to receive change events as they happen.', 'usersync' ),
					'type'        => 'string',
					'context'     => array( 'view', 'edit' ),
				),
				'objectMaps'        => array(
					'description' => __( 'Salesforce: 1 to 10 object maps (WordPress object, Salesforce object, filter, operations, match keys, delete and conflict policies, field rows).', 'usersync' ),
					'type'        => 'array',
					'items'       => array( 'type' => 'object' ),
					'context'     => array( 'view', 'edit' ),
				),
				'batchSize'        => $integer( __( 'Users per WordPress write batch.', 'usersync' ), 1, 500 ),
				'batchConcurrency' => $integer( __( 'WordPress write batches in flight.', 'usersync' ), 1, 8 ),
				'createdAt'        => array(
					'type'     => 'string',
					'format'   => 'date-time',
					'context'  => array( 'view' ),
					'readonly' => true,
				),
				'modifiedAt'       => array(
					'type'     => 'string',
					'format'   => 'date-time',
					'context'  => array( 'view' ),
					'readonly' => true,
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
