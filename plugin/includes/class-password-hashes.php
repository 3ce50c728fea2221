<?php
/**
 * Password hashes for WordPress-to-WordPress sync: read on the sending site, set on the
 * receiving one. Never plain text.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * How a password change reaches a peer so that the same login works on both sites:
 *
 * 1. Off by default on both sides. The sending site's admin enables `sendPasswords` for a
 *    peer; the receiving site's admin enables `acceptPasswords` for the sender's connection.
 * 2. The sending sidecar reads the hash from the users table through the service-only route
 *    `GET /usersync/v1/sidecar/passwords` (closed unless some peer sends passwords;
 *    administrators only when that peer includes them). The plain password is never known
 *    to UserSync: the hash WordPress stored is what travels.
 * 3. It posts the hash to the peer's sidecar (`POST /peer/v1/passwords`), authenticated with
 *    the SCIM bearer token the peer issued; that sidecar knows the token's connection and
 *    hands the hash to its WordPress (`POST /usersync/v1/sidecar/passwords`).
 * 4. The receiving site stores it as is, only for users linked to that connection, only in
 *    a format its WordPress can check, and records a `password` change (origin: the
 *    connection, so it is not sent back) and an audit entry. Existing sessions end, since
 *    WordPress's login cookies depend on the hash.
 */
class Password_Hashes {

	/**
	 * Hash formats WordPress checks: phpass portable ($P$, $H$), bcrypt ($2y$ …), argon2,
	 * WordPress 6.8's prefixed bcrypt ($wp$2y$…), and legacy MD5 (which WordPress rehashes at
	 * the next login).
	 */
	private const FORMATS = '/^(\$[PH]\$[.\/0-9A-Za-z]{31}|\$2[abxy]\$\d\d\$[.\/0-9A-Za-z]{53}|\$argon2(i|d|id)\$[^\s]{20,300}|\$wp\$2[abxy]\$\d\d\$[.\/0-9A-Za-z]{53}|[a-f0-9]{32})$/';

	/**
	 * Hashes of users, for the sidecar of a site that sends passwords to a peer.
	 *
	 * @param int[] $ids User ids.
	 * @return array<int, array{id: int, hash: string}>|WP_Error
	 */
	public function read( array $ids ) {
		$peers = new Peers();
		if ( ! $peers->any_sends_passwords() ) {
			return new WP_Error(
				'usersync_password_sync_disabled',
				__( 'No peer is set to receive password hashes: enable sendPasswords for a peer first.', 'usersync' ),
				array( 'status' => 403 )
			);
		}
		$with_admins = $peers->sends_administrator_passwords();
		$ids         = array_values( array_unique( array_filter( array_map( 'intval', $ids ) ) ) );
		if ( $ids ) {
			cache_users( $ids );
		}
		$hashes = array();
		foreach ( $ids as $id ) {
			$user = get_userdata( $id );
			if ( ! $user || self::never_shared( $user, $with_admins ) ) {
				continue;
			}
			$hashes[] = array(
				'id'   => $id,
				'hash' => (string) $user->user_pass,
			);
		}
		return $hashes;
	}

	/**
	 * Sets hashes a peer sent for users linked to its connection.
	 *
	 * @param string                       $connection Connection slug of the peer.
	 * @param array<int, array<string, mixed>> $users  Items { id, hash }.
	 * @return array<int, array<string, mixed>>|WP_Error One result per item.
	 */
	public function accept( string $connection, array $users ) {
		global $wpdb;

		$peer = ( new Peers() )->get( $connection );
		if ( ! $peer || empty( $peer['acceptPasswords'] ) ) {
			return new WP_Error(
				'usersync_password_sync_disabled',
				/* translators: %s: connection slug */
				sprintf( __( 'This site does not accept password hashes from "%s": enable acceptPasswords for that peer first.', 'usersync' ), $connection ),
				array( 'status' => 403 )
			);
		}
		$policy = Plugin::config()->get()['deprovision'];
		$source = 'peer:' . ( (string) ( $peer['name'] ?? $connection ) );
		$ids    = array();
		foreach ( $users as $item ) {
			if ( is_array( $item ) && isset( $item['id'] ) && is_int( $item['id'] ) ) {
				$ids[] = $item['id'];
			}
		}
		if ( $ids ) {
			cache_users( $ids );
		}

		$previous = Plugin::outbox()->set_origin( $connection );
		$results  = array();
		foreach ( $users as $item ) {
			$id   = is_array( $item ) && isset( $item['id'] ) && is_int( $item['id'] ) ? $item['id'] : 0;
			$hash = is_array( $item ) && isset( $item['hash'] ) && is_string( $item['hash'] ) ? $item['hash'] : '';
			$user = $id > 0 ? get_userdata( $id ) : false;
			$fail = static fn( int $status, string $code, string $message ): array => array(
				'id'    => $id,
				'ok'    => false,
				'error' => array(
					'status'  => $status,
					'code'    => $code,
					'message' => $message,
				),
			);

			if ( ! $user || ! metadata_exists( 'user', $id, Connection::link_key( $connection ) ) ) {
				/* translators: 1: user id, 2: connection */
				$results[] = $fail( 404, 'usersync_not_found', sprintf( __( 'User %1$d is not linked to the connection "%2$s".', 'usersync' ), $id, $connection ) );
				continue;
			}
			$protected = Protected_Accounts::problem( $user, $policy, true );
			if ( null !== $protected ) {
				$this->audit( $source, $user, 'failure', $protected['message'] );
				$results[] = $fail( 403, $protected['code'], $protected['message'] );
				continue;
			}
			$error = self::check_format( $hash );
			if ( $error ) {
				$this->audit( $source, $user, 'failure', $error->get_error_message() );
				$results[] = $fail( 400, $error->get_error_code(), $error->get_error_message() );
				continue;
			}
			if ( hash_equals( (string) $user->user_pass, $hash ) ) {
				$results[] = array(
					'id'     => $id,
					'ok'     => true,
					'status' => 'unchanged',
				);
				continue;
			}
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$written = $wpdb->update(
				$wpdb->users,
				array(
					'user_pass'           => $hash,
					'user_activation_key' => '',
				),
				array( 'ID' => $id ),
				array( '%s', '%s' ),
				array( '%d' )
			);
			if ( false === $written ) {
				$this->audit( $source, $user, 'failure', __( 'The database refused the write.', 'usersync' ) );
				$results[] = $fail( 500, 'usersync_write_failed', __( 'WordPress could not store the password hash.', 'usersync' ) );
				continue;
			}
			clean_user_cache( $user );
			Plugin::outbox()->record( $id, 'password', array( 'password' ) );
			$this->audit( $source, $user, 'success', null );
			$results[] = array(
				'id'     => $id,
				'ok'     => true,
				'status' => 'updated',
			);
		}
		Plugin::outbox()->set_origin( $previous );
		return $results;
	}

	/**
	 * Users whose hash never leaves the site: the service user, and administrators unless a
	 * peer includes them.
	 *
	 * @param WP_User $user        User.
	 * @param bool    $with_admins Whether administrators may be sent.
	 */
	private static function never_shared( WP_User $user, bool $with_admins ): bool {
		if ( Protected_Accounts::is_service_account( $user ) ) {
			return true;
		}
		return ! $with_admins && Protected_Accounts::is_privileged( $user );
	}

	/**
	 * Null when this WordPress can check a hash of this format, else why not.
	 *
	 * @param string $hash Hash.
	 */
	private static function check_format( string $hash ): ?WP_Error {
		if ( 1 !== preg_match( self::FORMATS, $hash ) ) {
			return new WP_Error( 'usersync_invalid_password_hash', __( 'The password hash is not in a format WordPress uses.', 'usersync' ) );
		}
		if ( 0 === strpos( $hash, '$wp$' ) && version_compare( get_bloginfo( 'version' ), '6.8', '<' ) ) {
			return new WP_Error( 'usersync_unsupported_password_hash', __( 'The password hash comes from WordPress 6.8 or later, which this site\'s WordPress cannot check: update WordPress here.', 'usersync' ) );
		}
		if ( 0 === strpos( $hash, '$argon2' ) && ! defined( 'PASSWORD_ARGON2I' ) ) {
			return new WP_Error( 'usersync_unsupported_password_hash', __( 'The password hash uses Argon2, which this site\'s PHP does not support.', 'usersync' ) );
		}
		return null;
	}

	/**
	 * Audit entry of a hash write (never the hash).
	 *
	 * @param string      $source Source, e.g. 'peer:Parent site'.
	 * @param WP_User     $user   User.
	 * @param string      $result success|failure.
	 * @param string|null $error  Error message.
	 */
	private function audit( string $source, WP_User $user, string $result, ?string $error ): void {
		Plugin::audit_log()->write(
			array(
				'actor'      => 'sidecar',
				'source'     => $source,
				'action'     => 'password',
				'user_id'    => (int) $user->ID,
				'user_login' => (string) $user->user_login,
				'fields'     => array( 'password' ),
				'result'     => $result,
				'error'      => $error,
			)
		);
	}
}
