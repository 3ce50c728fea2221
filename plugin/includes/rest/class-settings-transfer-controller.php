<?php
/**
 * /usersync/v1/settings/export and /usersync/v1/settings/import: the settings as a file.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Plugin;
use UserSync\Settings_Transfer;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Export answers the file (secrets left out); import checks a file and answers what it would
 * change, and with `confirm` writes it, all or nothing. Both are for site admins who may also
 * manage the site's options: the file describes, and an import rewrites, the whole setup.
 */
class Settings_Transfer_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'settings';
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		$this->register_read( '/' . $this->rest_base . '/export' );
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/import',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => array( $this, 'create_item_permissions_check' ),
					'args'                => array(
						'file'    => array(
							'description' => __( 'The settings file, as exported.', 'usersync' ),
							'type'        => 'object',
							'required'    => true,
						),
						'confirm' => array(
							'description' => __( 'Write the settings. Without it nothing is written and the answer says what would change.', 'usersync' ),
							'type'        => 'boolean',
							'default'     => false,
						),
					),
				),
			)
		);
	}

	/**
	 * Admins who manage the site's options.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function get_item_permissions_check( $request ) {
		$manager = self::manager();
		return true === $manager ? self::require_any_cap( array( 'manage_options' ) ) : $manager;
	}

	/**
	 * The same admins.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function create_item_permissions_check( $request ) {
		return $this->get_item_permissions_check( $request );
	}

	/**
	 * The export file.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_item( $request ) {
		$response = rest_ensure_response( ( new Settings_Transfer() )->export() );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Checks a file; with `confirm`, writes it.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|\WP_Error
	 */
	public function create_item( $request ) {
		$transfer = new Settings_Transfer();
		$plan     = $transfer->plan( $request['file'] );
		if ( is_wp_error( $plan ) ) {
			return $plan;
		}
		$confirm = (bool) $request['confirm'];
		if ( $confirm ) {
			$applied = $transfer->apply( $plan );
			if ( is_wp_error( $applied ) ) {
				return $applied;
			}
			Plugin::audit_log()->write(
				array(
					'action' => 'settings_import',
					'fields' => array_merge( $plan['summary']['config'], array( 'connections', 'peers' ) ),
					'result' => 'success',
				)
			);
		}
		return rest_ensure_response( array( 'imported' => $confirm ) + $plan['summary'] );
	}

	/**
	 * Schema of the export file.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( ! $this->schema ) {
			$this->schema = array(
				'$schema'    => 'http://json-schema.org/draft-04/schema#',
				'title'      => 'usersync-settings',
				'type'       => 'object',
				'properties' => array(
					'format'        => array(
						'description' => __( 'Always "usersync-settings".', 'usersync' ),
						'type'        => 'string',
						'enum'        => array( Settings_Transfer::FORMAT ),
						'readonly'    => true,
					),
					'version'       => array(
						'description' => __( 'Version of the file format.', 'usersync' ),
						'type'        => 'integer',
						'readonly'    => true,
					),
					'exportedAt'    => array(
						'type'     => 'string',
						'format'   => 'date-time',
						'readonly' => true,
					),
					'site'          => array(
						'description' => __( 'The site the file was exported from.', 'usersync' ),
						'type'        => 'string',
						'readonly'    => true,
					),
					'pluginVersion' => array(
						'type'     => 'string',
						'readonly' => true,
					),
					'settings'      => array(
						'description' => __( 'attributeMap, roleMap, deprovision and audit as in usersync/v1/config; connections as in usersync/v1/connections and peers as in the config\'s peers, without secrets.', 'usersync' ),
						'type'        => 'object',
						'readonly'    => true,
					),
				),
			);
		}
		return $this->add_additional_fields_schema( $this->schema );
	}
}
