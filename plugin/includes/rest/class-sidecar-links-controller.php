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
		$key        = Connection::link_key( $connection );
		$links      = (array) $request['links'];
		$ids        = array_map( static fn( array $link ): int => (int) $link['userId'], $links );
		cache_users( $ids );

		// Who holds each external id already, in one query.
		$wanted = array_values( array_filter( array_map( static fn( array $link ) => $link['externalId'], $links ), static fn( $v ): bool => is_string( $v ) && '' !== $v ) );
		$owners = Links::owners( $connection, $wanted );

		$results = array();
		try {
			Transaction::retry(
				function () use ( $links, $key, $connection, $owners, $ids, &$results ) {
					$transaction = new Transaction();
					$transaction->begin();
					try {
						$results = $this->write_links( $links, $key, $connection, $owners );
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
	 * Writes the links of one request inside the caller's transaction.
	 *
	 * @param array<int, array<string, mixed>> $links      The request's links.
	 * @param string                           $key        The connection's link meta key.
	 * @param string                           $connection Connection slug.
	 * @param array<string, int>               $owners     Who holds each wanted external id.
	 * @return array<int, array<string, mixed>> A result per link.
	 */
	private function write_links( array $links, string $key, string $connection, array $owners ): array {
		$results = array();
		foreach ( $links as $link ) {
			$id       = (int) $link['userId'];
			$external = null === $link['externalId'] ? null : (string) $link['externalId'];
			if ( ! get_userdata( $id ) ) {
				$results[] = self::failure( $id, 404, 'usersync_not_found', __( 'There is no such user.', 'usersync' ) );
				continue;
			}
			$current = get_user_meta( $id, $key, false );
			if ( null === $external ) {
				if ( $current ) {
					delete_user_meta( $id, $key );
				}
				$results[] = array(
					'userId' => $id,
					'ok'     => true,
					'status' => $current ? 'unlinked' : 'unchanged',
				);
				continue;
			}
			if ( '' !== $external && isset( $owners[ $external ] ) && $owners[ $external ] !== $id ) {
				/* translators: 1: external id, 2: connection */
				$results[] = self::failure( $id, 409, 'usersync_external_id_exists', sprintf( __( 'The external id "%1$s" is already linked to another user in "%2$s".', 'usersync' ), $external, $connection ) );
				continue;
			}
			if ( $current && (string) $current[0] === $external ) {
				$results[] = array(
					'userId' => $id,
					'ok'     => true,
					'status' => 'unchanged',
				);
				continue;
			}
			update_user_meta( $id, $key, wp_slash( $external ) );
			$owners[ $external ] = $id;
			$results[]           = array(
				'userId' => $id,
				'ok'     => true,
				'status' => 'linked',
			);
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
