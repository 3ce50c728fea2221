<?php
/**
 * Tells the sidecar that the change feed has news, without waiting for it.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * One non-blocking `POST {USERSYNC_SIDECAR_URL}/api/v1/outbound/nudge` at the end of a
 * request that wrote outbox rows (or changed the peers). Delivery never depends on it: the
 * sidecar also polls the feed; the nudge only makes delivery real-time.
 */
final class Change_Nudge {

	public const ROUTE = '/api/v1/outbound/nudge';

	/**
	 * Whether this request asked for a nudge.
	 *
	 * @var bool
	 */
	private static bool $requested = false;

	/**
	 * Asks for a nudge at the end of this request.
	 */
	public static function request(): void {
		self::$requested = true;
	}

	/**
	 * Sends the nudge when one was asked for (once per request).
	 */
	public static function send_if_requested(): void {
		if ( ! self::$requested ) {
			return;
		}
		self::$requested = false;
		self::send();
	}

	/**
	 * Sends the nudge now. A failure is ignored: the sidecar polls anyway.
	 */
	public static function send(): void {
		$url = Plugin::sidecar()->url();
		if ( null === $url ) {
			return;
		}
		$headers = array( 'Content-Type' => 'application/json' );
		$key     = defined( 'USERSYNC_SIDECAR_KEY' ) ? (string) constant( 'USERSYNC_SIDECAR_KEY' ) : '';
		if ( '' !== $key ) {
			$headers['Authorization'] = 'Bearer ' . $key;
		}
		// Not wp_safe_remote_post(): the sidecar normally listens on a loopback address.
		wp_remote_post(
			$url . self::ROUTE,
			array(
				'blocking'    => false,
				'timeout'     => 0.5,
				'redirection' => 0,
				'headers'     => $headers,
				'body'        => '{}',
			)
		);
	}
}
