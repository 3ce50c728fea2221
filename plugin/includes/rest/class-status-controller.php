<?php
/**
 * GET /usersync/v1/status
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Installer;
use UserSync\Plugin;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's health: versions, tables, and whether the sidecar answers.
 */
class Status_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'status';
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		$this->register_read(
			'/' . $this->rest_base,
			array(
				'sidecar' => array(
					'description' => __( 'Whether to probe the sidecar (its own health check asks with sidecar=0).', 'usersync' ),
					'type'        => 'boolean',
					'default'     => true,
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
	public function get_item_permissions_check( $request ) {
		return self::manager_or_service();
	}

	/**
	 * The status.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_item( $request ) {
		$sidecar = $request['sidecar']
			? Plugin::sidecar()->probe()
			: array(
				'configured' => null !== Plugin::sidecar()->url(),
				'url'        => Plugin::sidecar()->url(),
				'reachable'  => false,
				'health'     => null,
				'error'      => null,
			);

		return rest_ensure_response(
			array(
				'plugin'    => array(
					'version'   => USERSYNC_VERSION,
					'dbVersion' => (string) get_option( Installer::DB_VERSION_OPTION, '' ),
				),
				'wordpress' => array(
					'version'   => get_bloginfo( 'version' ),
					'php'       => PHP_VERSION,
					'multisite' => is_multisite(),
				),
				'tables'    => array(
					'outbox' => Installer::table_exists( 'outbox' ),
					'audit'  => Installer::table_exists( 'audit' ),
				),
				'sidecar'   => $sidecar,
			)
		);
	}

	/**
	 * Schema of the status.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-status',
			'type'       => 'object',
			'properties' => array(
				'plugin'    => array(
					'type'       => 'object',
					'readonly'   => true,
					'context'    => array( 'view' ),
					'properties' => array(
						'version'   => array( 'type' => 'string' ),
						'dbVersion' => array( 'type' => 'string' ),
					),
				),
				'wordpress' => array(
					'type'       => 'object',
					'readonly'   => true,
					'context'    => array( 'view' ),
					'properties' => array(
						'version'   => array( 'type' => 'string' ),
						'php'       => array( 'type' => 'string' ),
						'multisite' => array( 'type' => 'boolean' ),
					),
				),
				'tables'    => array(
					'type'       => 'object',
					'readonly'   => true,
					'context'    => array( 'view' ),
					'properties' => array(
						'outbox' => array( 'type' => 'boolean' ),
						'audit'  => array( 'type' => 'boolean' ),
					),
				),
				'sidecar'   => array(
					'type'       => 'object',
					'readonly'   => true,
					'context'    => array( 'view' ),
					'properties' => array(
						'configured' => array( 'type' => 'boolean' ),
						'url'        => array( 'type' => array( 'string', 'null' ) ),
						'reachable'  => array( 'type' => 'boolean' ),
						'health'     => array( 'type' => array( 'object', 'null' ) ),
						'error'      => array( 'type' => array( 'string', 'null' ) ),
					),
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
