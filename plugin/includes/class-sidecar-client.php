<?php
/**
 * The plugin's few calls to the sidecar.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Reads the sidecar's address from wp-config (`USERSYNC_SIDECAR_URL`, `USERSYNC_SIDECAR_KEY`)
 * and probes its health.
 */
class Sidecar_Client {

	/**
	 * Base URL without trailing slash, or null when not configured.
	 */
	public function url(): ?string {
		$url = defined( 'USERSYNC_SIDECAR_URL' ) ? (string) constant( 'USERSYNC_SIDECAR_URL' ) : '';
		/**
		 * Filters the sidecar's base URL.
		 *
		 * @param string $url Base URL from wp-config, or ''.
		 */
		$url = (string) apply_filters( 'usersync_sidecar_url', $url );
		$url = untrailingslashit( trim( $url ) );
		return '' === $url ? null : $url;
	}

	/**
	 * Headers of every plugin→sidecar request.
	 *
	 * @return array<string, string>
	 */
	private function headers(): array {
		$headers = array( 'Accept' => 'application/json' );
		$key     = defined( 'USERSYNC_SIDECAR_KEY' ) ? (string) constant( 'USERSYNC_SIDECAR_KEY' ) : '';
		if ( '' !== $key ) {
			$headers['Authorization'] = 'Bearer ' . $key;
		}
		return $headers;
	}

	/**
	 * `GET {url}/healthz` with a 3 s timeout.
	 *
	 * @return array{configured: bool, url: ?string, reachable: bool, health: ?array, error: ?string}
	 */
	public function probe(): array {
		$url    = $this->url();
		$result = array(
			'configured' => null !== $url,
			'url'        => $url,
			'reachable'  => false,
			'health'     => null,
			'error'      => null,
		);
		if ( null === $url ) {
			return $result;
		}

		// Not wp_safe_remote_get(): the sidecar normally listens on a loopback address.
		$response = wp_remote_get(
			$url . '/healthz',
			array(
				'timeout'     => 3,
				'redirection' => 0,
				'headers'     => $this->headers(),
			)
		);
		if ( is_wp_error( $response ) ) {
			$result['error'] = $response->get_error_message();
			if ( 'http_request_not_executed' === $response->get_error_code() ) {
				$result['error'] .= ' ' . __( 'WP_HTTP_BLOCK_EXTERNAL is on: add the sidecar host to WP_ACCESSIBLE_HOSTS.', 'usersync' );
			}
			return $result;
		}

		$code   = (int) wp_remote_retrieve_response_code( $response );
		$health = json_decode( (string) wp_remote_retrieve_body( $response ), true );

		$result['reachable'] = true;
		$result['health']    = is_array( $health ) ? $health : null;
		if ( 200 !== $code ) {
			/* translators: %d: HTTP status code */
			$result['error'] = sprintf( __( 'The sidecar answered HTTP %d.', 'usersync' ), $code );
		} elseif ( ! is_array( $health ) ) {
			$result['error'] = __( 'The sidecar answered with something other than JSON.', 'usersync' );
		}
		return $result;
	}
}
