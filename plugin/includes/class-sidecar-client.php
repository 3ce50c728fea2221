<?php
/**
 * The plugin's few calls to the sidecar.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;
use WP_REST_Response;

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

	/**
	 * Tells the sidecar that a SCIM token was revoked, so that every replica refuses it from
	 * the next request on. Waits for the answer (at most 3 s): when the revoke's answer reaches
	 * the admin, the token no longer works. A failure only delays it to the sidecar's short
	 * cache lifetime, so it is reported and never undoes the revoke.
	 *
	 * @param string $id Token id.
	 * @return true|WP_Error True when the sidecar confirmed it, or why it did not.
	 */
	public function token_revoked( string $id ) {
		if ( null === $this->url() ) {
			return true;
		}
		$answer = $this->relay( 'POST', '/api/v1/tokens/revoked', (object) array( 'id' => $id ), 3 );
		return is_wp_error( $answer ) ? $answer : true;
	}

	/**
	 * Calls the sidecar for a REST route of the plugin and relays its answer: the sidecar's
	 * errors become WP_Errors with its code (`usersync_<error>`), transport and key problems
	 * WP_Errors that tell the admin what to fix.
	 *
	 * @param string      $method  HTTP method.
	 * @param string      $path    Path under the sidecar's base URL.
	 * @param object|null $body    JSON body.
	 * @param int         $timeout Seconds.
	 * @return WP_REST_Response|WP_Error
	 */
	public function relay( string $method, string $path, ?object $body, int $timeout = 15 ) {
		$base = $this->url();
		if ( null === $base ) {
			return new WP_Error(
				'usersync_sidecar_not_configured',
				__( 'The sidecar is not configured: define USERSYNC_SIDECAR_URL (and USERSYNC_SIDECAR_KEY) in wp-config.php.', 'usersync' ),
				array( 'status' => 503 )
			);
		}
		$headers = $this->headers() + array( 'Content-Type' => 'application/json' );
		// Not wp_safe_remote_request(): the sidecar normally listens on a loopback address.
		$response = wp_remote_request(
			$base . $path,
			array(
				'method'      => $method,
				'timeout'     => $timeout,
				'redirection' => 0,
				'headers'     => $headers,
				'body'        => null === $body ? null : wp_json_encode( $body ),
			)
		);
		if ( is_wp_error( $response ) ) {
			$message = $response->get_error_message();
			if ( 'http_request_not_executed' === $response->get_error_code() ) {
				$message .= ' ' . __( 'WP_HTTP_BLOCK_EXTERNAL is on: add the sidecar host to WP_ACCESSIBLE_HOSTS.', 'usersync' );
			}
			return new WP_Error(
				'usersync_sidecar_unreachable',
				/* translators: %s: error message */
				sprintf( __( 'The sidecar could not be reached: %s', 'usersync' ), $message ),
				array( 'status' => 502 )
			);
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$data   = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( ! is_array( $data ) ) {
			return new WP_Error(
				'usersync_sidecar_bad_answer',
				/* translators: %d: HTTP status code */
				sprintf( __( 'The sidecar answered HTTP %d without JSON.', 'usersync' ), $status ),
				array( 'status' => 502 )
			);
		}
		if ( $status >= 400 ) {
			// `error` on most sidecar routes; `code` (ours or Salesforce's errorCode) on the Salesforce ones.
			$named = $data['error'] ?? ( $data['code'] ?? null );
			$code  = is_string( $named ) && '' !== $named ? preg_replace( '/[^a-z0-9_]/', '', strtolower( $named ) ) : 'error';
			if ( 401 === $status ) {
				// The plugin's key was refused: a configuration problem, not the admin's.
				return new WP_Error(
					'usersync_sidecar_key_refused',
					__( 'The sidecar refused this site\'s key: USERSYNC_SIDECAR_KEY must equal the sidecar\'s SIDECAR_API_KEY.', 'usersync' ),
					array( 'status' => 502 )
				);
			}
			$extra = array( 'status' => $status );
			if ( isset( $data['run'] ) ) {
				$extra['run'] = $data['run'];
			}
			return new WP_Error(
				'usersync_' . $code,
				isset( $data['message'] ) ? (string) $data['message'] : __( 'The sidecar refused the request.', 'usersync' ),
				$extra
			);
		}
		$out = new WP_REST_Response( $data, $status );
		$out->header( 'Cache-Control', 'no-store' );
		return $out;
	}
}
