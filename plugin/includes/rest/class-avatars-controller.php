<?php
/**
 * /usersync/v1/sidecar/avatars: profile pictures from a sync, for the sidecar.
 *
 * @package UserSync
 */

namespace UserSync\REST;

use UserSync\Avatars;
use UserSync\Connection;
use UserSync\Plugin;
use UserSync\Protected_Accounts;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Sets or removes the avatars of users linked to a connection, several per request. Each item
 * is applied on its own; one bad picture never stops the others. Administrators are left
 * alone unless the deprovisioning policy allows touching them, as for every other sync write.
 */
class Avatars_Controller extends Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		register_rest_route(
			$this->namespace,
			'/sidecar/avatars',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'apply' ),
					'permission_callback' => array( $this, 'permissions_check' ),
					'args'                => array(
						'connection' => array(
							'type'     => 'string',
							'pattern'  => Connection::PATTERN,
							'required' => true,
						),
						'source'     => array( 'type' => 'string' ),
						'runId'      => array( 'type' => array( 'string', 'null' ) ),
						'items'      => array(
							'type'     => 'array',
							'required' => true,
							'maxItems' => 50,
							'items'    => array(
								'type'       => 'object',
								'properties' => array(
									'id'          => array(
										'type'     => 'integer',
										'required' => true,
									),
									'contentType' => array( 'type' => 'string' ),
									'data'        => array( 'type' => 'string' ),
									'version'     => array( 'type' => 'string' ),
									'remove'      => array( 'type' => 'boolean' ),
								),
							),
						),
					),
				),
			)
		);
	}

	/**
	 * The sidecar's service user only.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function permissions_check( $request ) {
		return self::service();
	}

	/**
	 * Applies the items; one result each.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function apply( $request ) {
		$connection = (string) $request['connection'];
		$source     = (string) ( $request['source'] ?? 'connection:' . $connection );
		$run_id     = isset( $request['runId'] ) ? (string) $request['runId'] : null;
		$config     = Plugin::config()->get();
		$results    = array();
		foreach ( (array) $request['items'] as $item ) {
			$user_id = (int) $item['id'];
			$user    = get_userdata( $user_id );
			$fail    = static fn( int $status, string $code, string $message ): array => array(
				'id'    => $user_id,
				'ok'    => false,
				'error' => array(
					'status'  => $status,
					'code'    => $code,
					'message' => $message,
				),
			);
			if ( ! $user || ! metadata_exists( 'user', $user_id, Connection::link_key( $connection ) ) ) {
				$results[] = $fail( 404, 'usersync_not_found', __( 'No user linked to this connection has this id.', 'usersync' ) );
				continue;
			}
			$protected = Protected_Accounts::problem( $user, $config['deprovision'], true );
			if ( null !== $protected ) {
				$results[] = $fail( 403, $protected['code'], $protected['message'] );
				continue;
			}
			if ( ! empty( $item['remove'] ) ) {
				$status = Avatars::remove( $user_id );
			} else {
				$bytes = base64_decode( (string) ( $item['data'] ?? '' ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
				if ( false === $bytes || '' === $bytes ) {
					$results[] = $fail( 400, 'usersync_avatar_invalid', __( 'The picture data is not base64.', 'usersync' ) );
					continue;
				}
				$status = Avatars::set( $user_id, $bytes, (string) ( $item['version'] ?? sha1( $bytes ) ), $connection );
			}
			if ( is_wp_error( $status ) ) {
				$data      = (array) $status->get_error_data();
				$results[] = $fail( (int) ( $data['status'] ?? 400 ), $status->get_error_code(), $status->get_error_message() );
				Plugin::audit_log()->write(
					array(
						'actor'      => 'sidecar',
						'source'     => $source,
						'action'     => 'update',
						'user_id'    => $user_id,
						'user_login' => $user->user_login,
						'fields'     => array( 'avatar' ),
						'result'     => 'failure',
						'error'      => $status->get_error_message(),
						'run_id'     => $run_id,
						'connection' => $connection,
					)
				);
				continue;
			}
			if ( 'unchanged' !== $status ) {
				Plugin::audit_log()->write(
					array(
						'actor'      => 'sidecar',
						'source'     => $source,
						'action'     => 'update',
						'user_id'    => $user_id,
						'user_login' => $user->user_login,
						'fields'     => array( 'avatar' ),
						'result'     => 'success',
						'run_id'     => $run_id,
						'connection' => $connection,
					)
				);
			}
			$results[] = array(
				'id'     => $user_id,
				'ok'     => true,
				'status' => $status,
			);
		}
		return rest_ensure_response( array( 'results' => $results ) );
	}
}
