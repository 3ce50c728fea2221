<?php
/**
 * /usersync/v1/sidecar/links: identity links the sidecar records for outbound targets.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Connection;
use UserSync\Links;
use UserSync\Operation_Error;
use UserSync\Transaction;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * When the sidecar creates a user on a peer, the peer answers with its id for that user; the
 * link `usersync_link_<peer>` = that id is recorded on the local user, so later changes on
 * either side find their counterpart (two-way sync writes back through the same link). Only
 * the link meta is written: the user and the outbox are untouched. `externalId: null`
 * removes a link (the peer no longer has the user). The service user only.
 *
 * A request's links are written in one transaction: one commit for the page instead of two
 * per link, and a database failure leaves none of them written (503, the sidecar sends the
 * page again).
 */
class Sidecar_Links_Controller extends Controller {

	public const MAX_LINKS = 500;

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->rest_base = 'sidecar/links';
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
						'connection' => array(
							'type'     => 'string',
							'pattern'  => Connection::PATTERN,
							'required' => true,
						),
						'links'      => array(
							'type'     => 'array',
							'minItems' => 1,
							'maxItems' => self::MAX_LINKS,
							'items'    => array(
								'type'                 => 'object',
								'additionalProperties' => false,
								'properties'           => array(
									'userId'     => array(
										'type'     => 'integer',
										'minimum'  => 1,
										'required' => true,
									),
									'externalId' => array(
										'type'      => array( 'string', 'null' ),
										'maxLength' => 255,
										'required'  => true,
									),
								),
							),
							'required' => true,
						),
					),
				),
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
	 * Sets or removes the links; one result per item.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_items( $request ) {
		$connection = (string) $request['connection'];
		$links      = (array) $request['links'];
		$ids        = array_values( array_unique( array_map( static fn( array $link ): int => (int) $link['userId'], $links ) ) );
		$wanted     = array_values( array_unique( array_filter( array_map( static fn( array $link ) => $link['externalId'], $links ), static fn( $v ): bool => is_string( $v ) && '' !== $v ) ) );

		// The users' locks (those the user writer holds while it writes a user), then the claims
		// on the external ids (those it takes when it links one): a concurrent write of the same
		// users or ids waits, then this one reads what it committed. Each kind sorted, users
		// first as the writer does, so two requests take their common locks in the same order.
		$users  = array_map( static fn( int $id ): string => 'user:' . $id, $ids );
		$claims = array_map( static fn( string $external ): string => 'link:' . $connection . ':' . $external, $wanted );
		sort( $users );
		sort( $claims );
		$keys = array_merge( $users, $claims );

		$results = array();
		try {
			Transaction::retry(
				function () use ( $links, $connection, $ids, $wanted, $keys, &$results ) {
					$transaction = new Transaction();
					$transaction->begin( $keys );
					try {
						$results = $this->write_links( $links, $connection, $ids, $wanted );
						$transaction->commit();
					} catch ( \Throwable $error ) {
						$transaction->rollback( $ids );
						throw $error;
					}
				}
			);
		} catch ( Operation_Error $error ) {
			return new WP_Error( $error->error_code, $error->getMessage(), array( 'status' => $error->status >= 500 ? 503 : $error->status ) );
		}
		return rest_ensure_response( array( 'results' => $results ) );
	}

	/**
	 * Writes the links of one request inside the caller's transaction, under its locks: the
	 * users, their current links and the owners of the wanted ids are read once, the items
	 * are judged in order, and what changed is written in a few multi-row statements (the
	 * link meta and its index row, see Links) instead of several queries per link. The link
	 * keys are UserSync's own, which no other code hooks, so the meta hooks are not fired;
	 * the index is written here instead.
	 *
	 * @param array<int, array<string, mixed>> $links      The request's links.
	 * @param string                           $connection Connection slug.
	 * @param int[]                            $ids        The users named.
	 * @param string[]                         $wanted     The external ids to link.
	 * @return array<int, array<string, mixed>> A result per link.
	 * @throws Operation_Error When a statement fails (the caller rolls back).
	 */
	private function write_links( array $links, string $connection, array $ids, array $wanted ): array {
		global $wpdb;
		$key     = Connection::link_key( $connection );
		$in      = implode( ',', array_map( 'intval', $ids ) );
		$table   = Links::table();
		$owners  = Links::owners( $connection, $wanted );
		$results = array();
		// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.SlowDBQuery
		$exists = array_flip( array_map( 'intval', $wpdb->get_col( "SELECT ID FROM {$wpdb->users} WHERE ID IN ($in)" ) ) );
		// Each user's link as stored (several rows of the key count as a link to rewrite).
		$stored = array();
		foreach ( (array) $wpdb->get_results( $wpdb->prepare( "SELECT user_id, meta_value FROM {$wpdb->usermeta} WHERE meta_key = %s AND user_id IN ($in) ORDER BY umeta_id", $key ) ) as $row ) {
			$stored[ (int) $row->user_id ][] = (string) $row->meta_value;
		}
		$current = array_map( static fn( array $values ): ?string => 1 === count( $values ) ? $values[0] : null, $stored );

		// The links as they will be: null for none.
		$final = array();
		foreach ( $stored as $id => $values ) {
			$final[ $id ] = $values[0];
		}
		foreach ( $links as $link ) {
			$id       = (int) $link['userId'];
			$external = null === $link['externalId'] ? null : (string) $link['externalId'];
			if ( ! isset( $exists[ $id ] ) ) {
				$results[] = self::failure( $id, 404, 'usersync_not_found', __( 'There is no such user.', 'usersync' ) );
				continue;
			}
			$was = $final[ $id ] ?? null;
			if ( null === $external ) {
				$final[ $id ] = null;
				if ( null !== $was && ( $owners[ $was ] ?? null ) === $id ) {
					unset( $owners[ $was ] );
				}
				$results[] = array(
					'userId' => $id,
					'ok'     => true,
					'status' => null !== $was ? 'unlinked' : 'unchanged',
				);
				continue;
			}
			if ( '' !== $external && isset( $owners[ $external ] ) && $owners[ $external ] !== $id ) {
				/* translators: 1: external id, 2: connection */
				$results[] = self::failure( $id, 409, 'usersync_external_id_exists', sprintf( __( 'The external id "%1$s" is already linked to another user in "%2$s".', 'usersync' ), $external, $connection ) );
				continue;
			}
			if ( $was === $external ) {
				$results[] = array(
					'userId' => $id,
					'ok'     => true,
					'status' => 'unchanged',
				);
				continue;
			}
			if ( null !== $was && ( $owners[ $was ] ?? null ) === $id ) {
				unset( $owners[ $was ] );
			}
			$final[ $id ] = $external;
			if ( '' !== $external ) {
				$owners[ $external ] = $id;
			}
			$results[] = array(
				'userId' => $id,
				'ok'     => true,
				'status' => 'linked',
			);
		}

		// Users whose stored link differs from the final one: their rows are replaced.
		$changed = array();
		foreach ( $final as $id => $external ) {
			$unchanged = array_key_exists( $id, $current ) ? $current[ $id ] === $external : null === $external;
			if ( ! $unchanged ) {
				$changed[ $id ] = $external;
			}
		}
		if ( ! $changed ) {
			return $results;
		}
		$touched = implode( ',', array_map( 'intval', array_keys( $changed ) ) );
		$rows    = array();
		$index   = array();
		foreach ( $changed as $id => $external ) {
			if ( null !== $external ) {
				$rows[]  = $wpdb->prepare( '(%d, %s, %s)', $id, $key, $external );
				$index[] = $wpdb->prepare( '(%s, %d, %s)', $connection, $id, $external );
			}
		}
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->usermeta} WHERE meta_key = %s AND user_id IN ($touched)", $key ) );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE connection = %s AND user_id IN ($touched)", $connection ) );
		if ( $rows ) {
			$wpdb->query( "INSERT INTO {$wpdb->usermeta} (user_id, meta_key, meta_value) VALUES " . implode( ', ', $rows ) );
			$wpdb->query( "INSERT IGNORE INTO {$table} (connection, user_id, external_id) VALUES " . implode( ', ', $index ) );
		}
		// phpcs:enable
		foreach ( array_keys( $changed ) as $id ) {
			wp_cache_delete( $id, 'user_meta' );
		}
		return $results;
	}

	/**
	 * A failed item.
	 *
	 * @param int    $id      User id.
	 * @param int    $status  HTTP status.
	 * @param string $code    Error code.
	 * @param string $message Message.
	 * @return array<string, mixed>
	 */
	private static function failure( int $id, int $status, string $code, string $message ): array {
		return array(
			'userId' => $id,
			'ok'     => false,
			'error'  => array(
				'status'  => $status,
				'code'    => $code,
				'message' => $message,
			),
		);
	}
}
