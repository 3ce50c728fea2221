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
	 * Whether the sidecar should also reload the peers.
	 *
	 * @var bool
	 */
	private static bool $reload = false;

	/**
	 * Asks for a nudge at the end of this request.
	 *
	 * @param bool $reload Whether the peers changed (the sidecar reloads them at once).
	 */
	public static function request( bool $reload = false ): void {
		self::$requested = true;
		self::$reload    = self::$reload || $reload;
	}

	/**
	 * Sends the nudge when one was asked for (once per request).
	 */
	public static function send_if_requested(): void {
		if ( ! self::$requested ) {
			return;
		}
		self::$requested = false;
		self::send( self::$reload );
		self::$reload = false;
	}

	/**
	 * Sends the nudge now. A failure is ignored: the sidecar polls anyway.
	 *
	 * @param bool $reload Whether the peers changed.
	 */
	public static function send( bool $reload = false ): void {
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
				'body'        => $reload ? '{"reload":true}' : '{}',
			)
		);
	}
}
