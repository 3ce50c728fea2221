<?php
/**
 * /usersync/v1/sidecar/audit: audit entries written by the sidecar.
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
 * What the sidecar does outside the batch routes — deliveries to outbound targets that
 * failed for good (dead letters), two-way conflicts and the values they overwrote — goes
 * into the same audit log admins read. The service user only; actor is always 'sidecar'.
 */
class Sidecar_Audit_Controller extends Controller {

	public const MAX_ENTRIES = 100;

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'sidecar/audit';
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
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_items' ),
					'permission_callback' => array( $this, 'create_items_permissions_check' ),
					'args'                => array(
						'entries' => array(
							'type'     => 'array',
							'minItems' => 1,
							'maxItems' => self::MAX_ENTRIES,
							'items'    => $this->get_item_schema(),
							'required' => true,
						),
					),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
	}

	/**
	 * The service user only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function create_items_permissions_check( $request ) {
		return self::service();
	}

	/**
	 * Writes the entries.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_items( $request ) {
		$written = 0;
		foreach ( (array) $request['entries'] as $entry ) {
			$ok = Plugin::audit_log()->write(
				array(
					'actor'      => 'sidecar',
					'source'     => (string) $entry['source'],
					'action'     => (string) $entry['action'],
					'result'     => (string) $entry['result'],
					'user_id'    => isset( $entry['userId'] ) ? (int) $entry['userId'] : null,
					'user_login' => isset( $entry['userLogin'] ) ? (string) $entry['userLogin'] : '',
					'fields'     => isset( $entry['fields'] ) ? array_map( 'strval', (array) $entry['fields'] ) : array(),
					'error'      => isset( $entry['message'] ) ? (string) $entry['message'] : null,
					'run_id'     => isset( $entry['runId'] ) ? (string) $entry['runId'] : null,
				)
			);
			if ( $ok ) {
				++$written;
			}
		}
		return new WP_REST_Response( array( 'written' => $written ), 201 );
	}

	/**
	 * Schema of one entry.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->schema;
		}
		$this->schema = array(
			'$schema'              => 'http://json-schema.org/draft-04/schema#',
			'title'                => 'usersync-sidecar-audit-entry',
			'type'                 => 'object',
			'additionalProperties' => false,
			'properties'           => array(
				'source'    => array(
					'description' => __( 'What made the entry, e.g. "peer:Child site".', 'usersync' ),
					'type'        => 'string',
					'minLength'   => 1,
					'maxLength'   => 191,
					'required'    => true,
				),
				'action'    => array(
					'description' => __( 'create, update, disable, enable, delete, password or conflict.', 'usersync' ),
					'type'        => 'string',
					'pattern'     => '^[a-z_]{1,20}$',
					'required'    => true,
				),
				'result'    => array(
					'type'     => 'string',
					'enum'     => array( 'success', 'failure', 'skipped' ),
					'required' => true,
				),
				'userId'    => array(
					'type'    => array( 'integer', 'null' ),
					'minimum' => 1,
				),
				'userLogin' => array(
					'type'      => 'string',
					'maxLength' => 191,
				),
				'fields'    => array(
					'type'     => 'array',
					'items'    => array(
						'type'      => 'string',
						'maxLength' => 200,
					),
					'maxItems' => 200,
				),
				'message'   => array(
					'description' => __( 'The error, or what a conflict overwrote.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'maxLength'   => 10000,
				),
				'runId'     => array(
					'type'      => array( 'string', 'null' ),
					'maxLength' => 64,
				),
			),
		);
		return $this->schema;
	}
}
