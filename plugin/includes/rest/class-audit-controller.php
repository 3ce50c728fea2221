<?php
/**
 * /usersync/v1/audit: the audit log for site admins — search, pages, CSV export.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Audit_Csv;
use UserSync\Audit_Query;
use WP_Error;
use WP_HTTP_Response;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * GET /audit lists entries newest first with X-WP-Total and X-WP-TotalPages; GET /audit/export
 * streams the same filtered entries as CSV; GET /audit/facets names the sources and actions
 * there are to filter by. The retention period is part of /config (`audit.retentionDays`).
 */
class Audit_Controller extends Controller {

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'audit';
	}

	/**
	 * Registers the routes, and the filter that streams exports.
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
			'/' . $this->rest_base . '/export',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'export_items' ),
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
					'args'                => $this->filter_params(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/' . $this->rest_base . '/facets',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_facets' ),
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
					'args'                => array(),
				),
			)
		);
		if ( ! has_filter( 'rest_pre_serve_request', array( self::class, 'serve_csv' ) ) ) {
			add_filter( 'rest_pre_serve_request', array( self::class, 'serve_csv' ), 10, 2 );
		}
	}

	/**
	 * Site admins only: the log names users and what changed about them.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return self::manager();
	}

	/**
	 * One page of entries.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$query = $this->query( $request );
		if ( is_wp_error( $query ) ) {
			return $query;
		}
		$per_page = (int) $request['per_page'];
		$page     = (int) $request['page'];
		$total    = $query->count();
		$pages    = (int) ceil( $total / $per_page );
		if ( $page > 1 && $page > $pages ) {
			return new WP_Error(
				'usersync_invalid_page',
				/* translators: %d: number of pages */
				sprintf( __( 'There are only %d pages of entries for these filters.', 'usersync' ), $pages ),
				array( 'status' => 400 )
			);
		}
		$response = rest_ensure_response( $query->page( $page, $per_page ) );
		$response->header( 'X-WP-Total', (string) $total );
		$response->header( 'X-WP-TotalPages', (string) $pages );
		return $response;
	}

	/**
	 * The filtered entries as a CSV download. The body is written by serve_csv() as the rows
	 * are read, so a long log is never held in memory.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function export_items( $request ) {
		$query = $this->query( $request );
		if ( is_wp_error( $query ) ) {
			return $query;
		}
		$response = new WP_REST_Response( new Audit_Csv( $query ), 200 );
		$response->header( 'Content-Type', 'text/csv; charset=utf-8' );
		$response->header( 'Content-Disposition', 'attachment; filename="' . Audit_Csv::filename() . '"' );
		$response->header( 'X-Content-Type-Options', 'nosniff' );
		return $response;
	}

	/**
	 * Sources (without the one-per-run `run:<id>` sources) and actions found in the log.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_facets( $request ) {
		return rest_ensure_response(
			array(
				'sources' => Audit_Query::distinct( 'source', 100, true ),
				'actions' => Audit_Query::distinct( 'action', 50 ),
				'hasRuns' => Audit_Query::has_runs(),
			)
		);
	}

	/**
	 * `rest_pre_serve_request`: writes an export's CSV instead of JSON.
	 *
	 * @param bool             $served Whether the request was served already.
	 * @param WP_HTTP_Response $result Response.
	 */
	public static function serve_csv( $served, $result ): bool {
		if ( $served || ! $result instanceof WP_HTTP_Response || ! $result->get_data() instanceof Audit_Csv ) {
			return (bool) $served;
		}
		// The REST server sends its no-cache headers after this filter; once the body has
		// started that would be too late, so they go out now.
		nocache_headers();
		add_filter( 'rest_send_nocache_headers', '__return_false' );

		$output = fopen( 'php://output', 'w' );
		if ( false === $output ) {
			return false;
		}
		$result->get_data()->write(
			$output,
			static function (): void {
				if ( ob_get_level() > 0 ) {
					ob_flush();
				}
				flush();
			}
		);
		fclose( $output );
		return true;
	}

	/**
	 * The query a request's filters describe.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return Audit_Query|WP_Error
	 */
	private function query( WP_REST_Request $request ) {
		$after  = self::utc( (string) $request['after'], false );
		$before = self::utc( (string) $request['before'], true );
		if ( false === $after || false === $before ) {
			$field = false === $after ? 'after' : 'before';
			return new WP_Error(
				'rest_invalid_param',
				/* translators: %s: parameter name */
				sprintf( __( 'Invalid parameter: %s', 'usersync' ), $field ),
				array(
					'status' => 400,
					'params' => array( $field => __( 'Use a date (2025-01-31) or a date and time (2025-01-31T17:00:00Z).', 'usersync' ) ),
				)
			);
		}
		if ( '' !== $after && '' !== $before && $after >= $before ) {
			return new WP_Error(
				'rest_invalid_param',
				__( 'Invalid parameter: before', 'usersync' ),
				array(
					'status' => 400,
					'params' => array( 'before' => __( 'The end of the period must be after its start.', 'usersync' ) ),
				)
			);
		}
		return new Audit_Query(
			array(
				'source' => (string) $request['source'],
				'action' => (string) $request['action'],
				'result' => (string) $request['result'],
				'user'   => (string) $request['user'],
				'run'    => (string) $request['run'],
				'search' => (string) $request['search'],
				'after'  => $after,
				'before' => $before,
				'order'  => (string) $request['order'],
			)
		);
	}

	/**
	 * A date or date-time parameter as UTC `Y-m-d H:i:s`; '' when absent, false when unreadable.
	 * A bare date as the end of a period covers that whole day.
	 *
	 * @param string $value  Parameter value.
	 * @param bool   $is_end Whether the value ends a period.
	 * @return string|false
	 */
	private static function utc( string $value, bool $is_end ) {
		$value = trim( $value );
		if ( '' === $value ) {
			return '';
		}
		if ( 1 === preg_match( '/^\d{4}-\d{2}-\d{2}$/', $value ) ) {
			$time = strtotime( $value . ' 00:00:00 UTC' );
			if ( false === $time || gmdate( 'Y-m-d', $time ) !== $value ) {
				return false;
			}
			return gmdate( 'Y-m-d H:i:s', $is_end ? $time + DAY_IN_SECONDS : $time );
		}
		$time = rest_parse_date( $value );
		return false === $time ? false : gmdate( 'Y-m-d H:i:s', $time );
	}

	/**
	 * Filter parameters shared by the list and the export.
	 *
	 * @return array<string, array<string, mixed>>
	 */
	private function filter_params(): array {
		$text = static fn( string $description, int $max = 191 ): array => array(
			'description' => $description,
			'type'        => 'string',
			'maxLength'   => $max,
			'default'     => '',
		);
		return array(
			'source' => $text( __( 'Only entries of this source, e.g. "scim:Entra production"; a value ending in * matches a prefix ("run:*": every run).', 'usersync' ) ),
			'action' => $text( __( 'Only entries of this action, e.g. create, update, disable, delete.', 'usersync' ), 20 ),
			'result' => array(
				'description' => __( 'Only entries with this result.', 'usersync' ),
				'type'        => 'string',
				'enum'        => array( '', 'success', 'failure', 'skipped' ),
				'default'     => '',
			),
			'user'   => $text( __( 'Only entries about this user: a login or a user id.', 'usersync' ) ),
			'run'    => $text( __( 'Only entries written by this run.', 'usersync' ), 64 ),
			'search' => $text( __( 'Entries whose user, actor, source, fields or error contain this text.', 'usersync' ), 200 ),
			'after'  => $text( __( 'Entries from this moment on (a date, or an ISO-8601 date and time).', 'usersync' ), 40 ),
			'before' => $text( __( 'Entries before this moment (a date includes that whole day).', 'usersync' ), 40 ),
			'order'  => array(
				'description' => __( 'Newest first (desc) or oldest first (asc).', 'usersync' ),
				'type'        => 'string',
				'enum'        => array( 'desc', 'asc' ),
				'default'     => 'desc',
			),
		);
	}

	/**
	 * List parameters: the filters and the page.
	 *
	 * @return array<string, array<string, mixed>>
	 */
	public function get_collection_params() {
		return array_merge(
			$this->filter_params(),
			array(
				'page'     => array(
					'description' => __( 'Page of the list, from 1.', 'usersync' ),
					'type'        => 'integer',
					'default'     => 1,
					'minimum'     => 1,
				),
				'per_page' => array(
					'description' => __( 'Entries per page.', 'usersync' ),
					'type'        => 'integer',
					'default'     => 20,
					'minimum'     => 1,
					'maximum'     => 100,
				),
			)
		);
	}

	/**
	 * Schema of an entry.
	 *
	 * @return array<string, mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$string = static fn( string $description ): array => array(
			'description' => $description,
			'type'        => 'string',
			'context'     => array( 'view' ),
			'readonly'    => true,
		);
		$this->schema = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'usersync-audit-entry',
			'type'       => 'object',
			'properties' => array(
				'id'        => array(
					'description' => __( 'Entry id.', 'usersync' ),
					'type'        => 'integer',
					'context'     => array( 'view' ),
					'readonly'    => true,
				),
				'createdAt' => array_merge( $string( __( 'When it happened (UTC).', 'usersync' ) ), array( 'format' => 'date-time' ) ),
				'actor'     => $string( __( 'Who made the change: a WordPress login, "sidecar" or "system".', 'usersync' ) ),
				'source'    => $string( __( 'Where it came from: "scim:<token name>", "run:<id>", "wp-admin".', 'usersync' ) ),
				'action'    => $string( __( 'What was done: create, update, disable, enable, delete, token_create, …', 'usersync' ) ),
				'userId'    => array(
					'description' => __( 'The WordPress user concerned, if any.', 'usersync' ),
					'type'        => array( 'integer', 'null' ),
					'context'     => array( 'view' ),
					'readonly'    => true,
				),
				'userLogin' => $string( __( 'Login of that user when the entry was written.', 'usersync' ) ),
				'fields'    => array(
					'description' => __( 'Names of the attributes that changed (never their values).', 'usersync' ),
					'type'        => 'array',
					'items'       => array( 'type' => 'string' ),
					'context'     => array( 'view' ),
					'readonly'    => true,
				),
				'result'    => array_merge( $string( __( 'success, failure or skipped.', 'usersync' ) ), array( 'enum' => array( 'success', 'failure', 'skipped' ) ) ),
				'error'     => array(
					'description' => __( 'Why it failed, when it did.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'context'     => array( 'view' ),
					'readonly'    => true,
				),
				'runId'     => array(
					'description' => __( 'The run that made the change, if a run did.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'context'     => array( 'view' ),
					'readonly'    => true,
				),
				'connection' => array(
					'description' => __( 'The connection a sync\'s entry belongs to, if any.', 'usersync' ),
					'type'        => array( 'string', 'null' ),
					'context'     => array( 'view' ),
					'readonly'    => true,
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
