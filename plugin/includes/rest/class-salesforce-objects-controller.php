<?php
/**
 * /usersync/v1/connections/<slug>/salesforce/objects[/<object>]: what the connection's
 * Salesforce org offers, for the settings page's object and field pickers.
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
 * Relays to the sidecar, which signs in to Salesforce with the connection's stored secrets:
 * the object list (describeGlobal: name, label, queryable, createable, updateable) and one
 * object's describe (fields with type, length, createable, updateable, nillable,
 * defaultedOnCreate, externalId, idLookup, requiredOnCreate, picklist values; record types).
 * The browser never sees a Salesforce token. Only a stored Salesforce connection is relayed.
 */
class Salesforce_Objects_Controller extends Controller {

	private const SLUG   = '(?P<slug>[a-z0-9-]{1,64})';
	private const OBJECT = '(?P<object>[A-Za-z][A-Za-z0-9_]{0,79})';

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'connections';
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/' . self::SLUG . '/salesforce/objects',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/' . self::SLUG . '/salesforce/objects/' . self::OBJECT,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
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
	 * The objects of the org.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$slug = self::salesforce_slug( $request );
		if ( is_wp_error( $slug ) ) {
			return $slug;
		}
		return Plugin::sidecar()->relay( 'GET', '/api/v1/sources/' . rawurlencode( $slug ) . '/salesforce/objects', null, 60 );
	}

	/**
	 * One object's fields and record types.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		$slug = self::salesforce_slug( $request );
		if ( is_wp_error( $slug ) ) {
			return $slug;
		}
		$object = (string) ( $request->get_url_params()['object'] ?? '' );
		return Plugin::sidecar()->relay( 'GET', '/api/v1/sources/' . rawurlencode( $slug ) . '/salesforce/objects/' . rawurlencode( $object ), null, 60 );
	}

	/**
	 * The route's slug when it names a stored Salesforce connection, else a 404.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return string|WP_Error
	 */
	private static function salesforce_slug( WP_REST_Request $request ) {
		$slug       = (string) ( $request->get_url_params()['slug'] ?? '' );
		$connection = ( new Connections() )->get( $slug );
		if ( null === $connection || 'salesforce' !== $connection['type'] ) {
			return new WP_Error(
				'usersync_connection_not_found',
				/* translators: %s: connection slug */
				sprintf( __( 'There is no Salesforce connection "%s".', 'usersync' ), $slug ),
				array( 'status' => 404 )
			);
		}
		return $slug;
	}
}
