<?php
/**
 * /usersync/v1/users: user snapshots and the batch write route.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connection;
use UserSync\Plugin;
use UserSync\Protected_Meta;
use UserSync\User_Directory;
use UserSync\User_Operation;
use UserSync\User_Snapshot;
use UserSync\User_Writer;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Reads users as a connection sees them, and applies up to 500 user operations per request.
 */
class Users_Controller extends Controller {

	public const MAX_OPERATIONS = 500;

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'users';
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
					'args'                => $this->get_collection_params(),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/batch',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'batch' ),
					'permission_callback' => array( $this, 'batch_permissions_check' ),
					'args'                => self::batch_args( User_Operation::schema(), array( User_Operation::class, 'problem' ) ),
				),
			)
		);
	}

	/**
	 * Admins and the service user.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return self::manager_or_service();
	}

	/**
	 * The service user only: writes come from connections.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function batch_permissions_check( $request ) {
		return self::service();
	}

	/**
	 * Users matching the query.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$connection = $request['connection'];
		$match          = (array) ( $request['match'] ?? array() );
		$by_external_id = false;
		foreach ( $match as $clause ) {
			foreach ( (array) $clause as $condition ) {
				$by_external_id = $by_external_id || 'external_id' === ( $condition['attr'] ?? '' );
			}
		}
		if ( null === $connection && ( ! empty( $request['linked'] ) || null !== $request['external_id'] || $by_external_id ) ) {
			return new WP_Error( 'usersync_connection_required', __( 'linked and external_id need a connection.', 'usersync' ), array( 'status' => 400 ) );
		}
		$meta_keys = (array) ( $request['meta_keys'] ?? array() );
		foreach ( $meta_keys as $key ) {
			if ( ! Protected_Meta::is_valid_key( $key ) || 0 === strpos( $key, 'usersync_' ) || Protected_Meta::is_protected( $key ) ) {
				/* translators: %s: meta key */
				return new WP_Error( 'usersync_invalid_meta_key', sprintf( __( 'The meta key "%s" cannot be read through this route.', 'usersync' ), $key ), array( 'status' => 400 ) );
			}
		}

		$query = array(
			'connection' => $connection,
			'linked'     => (bool) $request['linked'],
			'page'       => (int) $request['page'],
			'per_page'   => (int) $request['per_page'],
			'orderby'    => (string) $request['orderby'],
			'order'      => (string) $request['order'],
		);
		foreach ( array( 'login', 'email', 'external_id', 'search' ) as $param ) {
			if ( null !== $request[ $param ] ) {
				$query[ $param ] = (string) $request[ $param ];
			}
		}
		if ( $match ) {
			$query['match'] = $match;
		}
		if ( ! empty( $request['id'] ) ) {
			$query['id'] = array_map( 'intval', (array) $request['id'] );
		}

		$found     = ( new User_Directory() )->find( $query );
		$snapshots = ( new User_Snapshot( $connection, $meta_keys ) )->build_many( $found['ids'] );

		$response = rest_ensure_response(
			array(
				'total' => $found['total'],
				'users' => array_values( $snapshots ),
			)
		);
		$response->header( 'X-WP-Total', (string) $found['total'] );
		$response->header( 'X-WP-TotalPages', (string) (int) ceil( $found['total'] / max( 1, $query['per_page'] ) ) );
		return $response;
	}

	/**
	 * Applies a batch of well-shaped operations: 200 with one result per operation.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function batch( $request ) {
		$connection = (string) $request['connection'];
		$source     = null === $request['source'] || '' === $request['source'] ? 'connection:' . $connection : (string) $request['source'];
		$writer     = new User_Writer( $connection, $source, $request['runId'] );
		return rest_ensure_response( array( 'results' => $writer->apply( (array) $request['operations'] ) ) );
	}

	/**
	 * Arguments of a batch route (users/batch, groups/batch). Every operation is checked
	 * against its JSON schema before anything is written: a malformed one refuses the whole
	 * request with 400 `rest_invalid_param`, naming each bad operation by its path
	 * (`operations[3][action]`). What the values mean is checked by the writer, so an
	 * operation with a taken email or an unknown role fails alone.
	 *
	 * @param array<string, mixed> $operation Schema of one operation.
	 * @param callable             $problem   What a well-shaped operation lacks for its action (string), or null.
	 * @return array<string, array<string, mixed>>
	 */
	public static function batch_args( array $operation, callable $problem ): array {
		$list = array(
			'type'     => 'array',
			'maxItems' => self::MAX_OPERATIONS,
			'items'    => $operation,
		);
		return array(
			'connection' => array(
				'description' => __( 'Connection the operations come from.', 'usersync' ),
				'type'        => 'string',
				'pattern'     => Connection::PATTERN,
				'required'    => true,
			),
			'source'     => array(
				'description' => __( 'Where the change comes from, for the audit log (e.g. "scim:Entra production").', 'usersync' ),
				'type'        => array( 'string', 'null' ),
				'maxLength'   => 191,
			),
			'runId'      => array(
				'description' => __( 'Sidecar run the operations belong to, for the audit log.', 'usersync' ),
				'type'        => array( 'string', 'null' ),
				'maxLength'   => 64,
			),
			'operations' => $list + array(
				'description'       => __( 'Operations, applied in order, each in its own transaction.', 'usersync' ),
				'required'          => true,
				// Checked before it is sanitized (as rest_parse_request_arg() does): sanitizing
				// first would turn `"active": "yes"` into true.
				'sanitize_callback' => static function ( $value, $request, string $param ) use ( $list, $problem ) {
					$valid = self::validate_operations( $value, $list, $problem, $param );
					return is_wp_error( $valid ) ? $valid : rest_sanitize_value_from_schema( $value, $list, $param );
				},
			),
		);
	}

	/**
	 * Checks every operation of a batch against the schema, and reports all that fail.
	 *
	 * @param mixed                $value   The `operations` parameter.
	 * @param array<string, mixed> $list    Schema of the list.
	 * @param callable             $problem See batch_args().
	 * @param string               $param   Parameter name.
	 * @return true|WP_Error
	 */
	private static function validate_operations( $value, array $list, callable $problem, string $param ) {
		if ( ! is_array( $value ) || ! wp_is_numeric_array( $value ) || count( $value ) > self::MAX_OPERATIONS ) {
			return rest_validate_value_from_schema( $value, $list, $param );
		}
		$problems = array();
		foreach ( array_values( $value ) as $index => $operation ) {
			$path  = $param . '[' . $index . ']';
			$valid = rest_validate_value_from_schema( $operation, $list['items'], $path );
			if ( is_wp_error( $valid ) ) {
				$message           = $valid->get_error_message();
				$problems[ $path ] = false === strpos( $message, $path ) ? $path . ': ' . $message : $message;
			} else {
				$lacks = $problem( rest_sanitize_value_from_schema( $operation, $list['items'], $path ) );
				if ( null !== $lacks ) {
					$problems[ $path ] = $path . ': ' . $lacks;
				}
			}
			if ( count( $problems ) >= 20 ) {
				break; // Enough to see what is wrong.
			}
		}
		if ( ! $problems ) {
			return true;
		}
		return new WP_Error(
			'rest_invalid_param',
			implode( ' ', $problems ),
			array(
				'status' => 400,
				'params' => $problems,
			)
		);
	}

	/**
	 * Query parameters of the user list.
	 *
	 * @return array<string, array<string, mixed>>
	 */
	public function get_collection_params() {
		return array(
			'connection'  => array(
				'description' => __( 'Connection whose link, external id and SCIM data the snapshots show.', 'usersync' ),
				'type'        => 'string',
				'pattern'     => Connection::PATTERN,
			),
			'linked'      => array(
				'description' => __( 'Only users linked to the connection.', 'usersync' ),
				'type'        => 'boolean',
				'default'     => false,
			),
			'id'          => array(
				'description' => __( 'User ids (comma-separated).', 'usersync' ),
				'type'        => 'array',
				'items'       => array(
					'type'    => 'integer',
					'minimum' => 1,
				),
				'maxItems'    => 500,
			),
			'login'       => array(
				'description' => __( 'Exact login, case-insensitive.', 'usersync' ),
				'type'        => 'string',
			),
			'email'       => array(
				'description' => __( 'Exact email, case-insensitive.', 'usersync' ),
				'type'        => 'string',
			),
			'external_id' => array(
				'description' => __( 'External id in the connection.', 'usersync' ),
				'type'        => 'string',
			),
			'search'      => array(
				'description' => __( 'Text contained in the login, email, display name or slug.', 'usersync' ),
				'type'        => 'string',
			),
			'match'       => array(
				'description' => __( 'Users matching any of these clauses, each a list of conditions that all hold (how the SCIM filters reach SQL).', 'usersync' ),
				'type'        => 'array',
				'maxItems'    => 16,
				'items'       => array(
					'type'     => 'array',
					'minItems' => 1,
					'maxItems' => 16,
					'items'    => array(
						'type'                 => 'object',
						'additionalProperties' => false,
						'required'             => array( 'attr', 'op' ),
						'properties'           => array(
							'attr'  => array(
								'type' => 'string',
								'enum' => User_Directory::MATCH_ATTRIBUTES,
							),
							'op'    => array(
								'type' => 'string',
								'enum' => User_Directory::MATCH_OPERATORS,
							),
							'value' => array(
								'type'      => 'string',
								'maxLength' => 1000,
							),
						),
					),
				),
				'validate_callback' => array( self::class, 'validate_match' ),
			),
			'page'        => array(
				'type'    => 'integer',
				'minimum' => 1,
				'default' => 1,
			),
			'per_page'    => array(
				'type'    => 'integer',
				'minimum' => 1,
				'maximum' => 500,
				'default' => 100,
			),
			'orderby'     => array(
				'type'    => 'string',
				'enum'    => array( 'id', 'login', 'email', 'registered', 'modified' ),
				'default' => 'id',
			),
			'order'       => array(
				'type'    => 'string',
				'enum'    => array( 'asc', 'desc' ),
				'default' => 'asc',
			),
			'meta_keys'   => array(
				'description' => __( 'Further meta keys to include (comma-separated).', 'usersync' ),
				'type'        => 'array',
				'items'       => array( 'type' => 'string' ),
				'maxItems'    => 50,
			),
		);
	}

	/**
	 * Checks match clauses against their schema, then what a schema cannot say: every
	 * operator but pr needs a value, substrings are not for dates, and a date is ISO 8601 UTC.
	 *
	 * @param mixed           $value   Clauses.
	 * @param WP_REST_Request $request Request.
	 * @param string          $param   Parameter name.
	 * @return true|WP_Error
	 */
	public static function validate_match( $value, $request, $param ) {
		$valid = rest_validate_request_arg( $value, $request, $param );
		if ( true !== $valid ) {
			return $valid;
		}
		foreach ( (array) $value as $clause ) {
			foreach ( (array) $clause as $condition ) {
				$op   = $condition['op'];
				$text = $condition['value'] ?? null;
				if ( 'pr' !== $op && null === $text ) {
					/* translators: %s: operator */
					return new WP_Error( 'rest_invalid_param', sprintf( __( 'The %s condition needs a value.', 'usersync' ), $op ), array( 'status' => 400 ) );
				}
				if ( 'modified' === $condition['attr'] && 'pr' !== $op ) {
					if ( in_array( $op, array( 'sw', 'ew', 'co' ), true ) ) {
						return new WP_Error( 'rest_invalid_param', __( 'The modification time compares with eq, gt, ge, lt or le.', 'usersync' ), array( 'status' => 400 ) );
					}
					if ( ! preg_match( '#' . User_Directory::MODIFIED_PATTERN . '#', (string) $text ) ) {
						return new WP_Error( 'rest_invalid_param', __( 'The modification time is compared with YYYY-MM-DDTHH:MM:SSZ.', 'usersync' ), array( 'status' => 400 ) );
					}
				}
			}
		}
		return true;
	}

	/**
	 * Schema of a user snapshot.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$string = array(
			'type'     => 'string',
			'readonly' => true,
			'context'  => array( 'view' ),
		);
		$nullable_string = array(
			'type'     => array( 'string', 'null' ),
			'readonly' => true,
			'context'  => array( 'view' ),
		);

		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-user',
			'type'       => 'object',
			'properties' => array(
				'id'          => array(
					'type'     => 'integer',
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'login'       => $string,
				'sourceLogin' => $string + array( 'description' => __( 'The login the connection asked for, when WordPress kept the user\'s own (logins do not change unless renameLogins is on). Only present then.', 'usersync' ) ),
				'email'       => $string,
				'firstName'   => $string,
				'lastName'    => $string,
				'displayName' => $string,
				'nickname'    => $string,
				'url'         => $string,
				'description' => $string + array( 'description' => __( 'Biographical info.', 'usersync' ) ),
				'avatarUrl'   => $nullable_string + array( 'description' => __( 'Profile picture URL a connection set (served as the avatar), or null.', 'usersync' ) ),
				'roles'       => array(
					'type'     => 'array',
					'items'    => array( 'type' => 'string' ),
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'active'      => array(
					'type'     => 'boolean',
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'registered'  => $string + array( 'format' => 'date-time' ),
				'modified'    => $string + array( 'format' => 'date-time' ),
				'version'     => $string + array( 'description' => __( 'Weak ETag of the snapshot, for ifMatch.', 'usersync' ) ),
				'connection'  => $nullable_string,
				'externalId'  => $nullable_string,
				'linked'      => array(
					'type'     => 'boolean',
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'createdBy'   => $nullable_string,
				'groups'      => array(
					'type'     => 'array',
					'readonly' => true,
					'context'  => array( 'view' ),
					'items'    => array(
						'type'       => 'object',
						'properties' => array(
							'id'          => array( 'type' => 'integer' ),
							'displayName' => array( 'type' => 'string' ),
						),
					),
				),
				'scim'        => array(
					'type'     => array( 'object', 'null' ),
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'meta'        => array(
					'type'     => 'object',
					'readonly' => true,
					'context'  => array( 'view' ),
				),
				'xprofile'    => array(
					'description' => __( 'BuddyPress profile fields named by the attribute map (only when it names some).', 'usersync' ),
					'type'        => 'object',
					'readonly'    => true,
					'context'     => array( 'view' ),
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
