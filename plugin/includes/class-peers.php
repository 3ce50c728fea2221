<?php
/**
 * WordPress peers: other sites running UserSync that this site pushes its user changes to.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Peers are stored in the option `usersync_peers` (not autoloaded) and edited through the
 * `peers` section of /usersync/v1/config.
 *
 * A peer's `slug` is the connection its writes to this site carry (the connection of the SCIM
 * token this site gave it): changes with that origin are never sent back to it, and identity
 * links `usersync_link_<slug>` hold the peer's user ids. `scimUrl` + `token` are the peer's
 * SCIM base URL and a bearer token the peer issued; without them the entry only describes
 * what this site accepts from the peer (one-way, receiving side). The token is write-only:
 * stored encrypted (Secrets), never returned to admins, decrypted only for the sidecar.
 *
 * Password hashes travel only when the sending site enables `sendPasswords` for the peer and
 * the receiving site enables `acceptPasswords` for the sender's connection. Off by default.
 */
class Peers {

	public const OPTION    = 'usersync_peers';
	public const MAX_PEERS = 50;

	/**
	 * Booleans of a peer, with their defaults.
	 */
	private const FLAGS = array(
		'push'                  => true,
		'roles'                 => true,
		'sendPasswords'         => false,
		'acceptPasswords'       => false,
		'includeAdministrators' => false,
	);

	/**
	 * JSON schema of the `peers` section (a list that replaces the stored one).
	 *
	 * @return array<string, mixed>
	 */
	public static function schema(): array {
		$flag = static fn( string $description ): array => array(
			'description' => $description,
			'type'        => 'boolean',
		);
		return array(
			'description' => __( 'Other WordPress sites running UserSync that user changes are pushed to (over SCIM) or accepted from.', 'usersync' ),
			'type'        => 'array',
			'context'     => array( 'view', 'edit' ),
			'maxItems'    => self::MAX_PEERS,
			'items'       => array(
				'type'                 => 'object',
				'additionalProperties' => false,
				'properties'           => array(
					'slug'                  => array(
						'description' => __( 'The connection the peer writes to this site with (its SCIM token\'s connection).', 'usersync' ),
						'type'        => 'string',
						'pattern'     => Connection::PATTERN,
						'required'    => true,
					),
					'name'                  => array(
						'type'      => 'string',
						'minLength' => 1,
						'maxLength' => 100,
						'required'  => true,
					),
					'scimUrl'               => array(
						'description' => __( 'The peer\'s SCIM base URL (…/scim/v2); empty for a peer this site only receives from.', 'usersync' ),
						'type'        => array( 'string', 'null' ),
						'maxLength'   => 500,
					),
					'token'                 => array(
						'description' => __( 'Bearer token the peer issued to this site. Write-only; absent keeps the stored one, null removes it.', 'usersync' ),
						'type'        => array( 'string', 'null' ),
						'maxLength'   => 500,
						'context'     => array( 'edit' ),
					),
					'tokenSet'              => array(
						'description' => __( 'Whether a token is stored.', 'usersync' ),
						'type'        => 'boolean',
						'readonly'    => true,
					),
					'push'                  => $flag( __( 'Push this site\'s user changes to the peer.', 'usersync' ) ),
					'roles'                 => $flag( __( 'Send roles, as memberships of groups named after them.', 'usersync' ) ),
					'sendPasswords'         => $flag( __( 'Send password hashes to the peer (never plain text).', 'usersync' ) ),
					'acceptPasswords'       => $flag( __( 'Accept password hashes from the peer.', 'usersync' ) ),
					'includeAdministrators' => $flag( __( 'Also push administrators.', 'usersync' ) ),
					'createdAt'             => array(
						'type'     => array( 'string', 'null' ),
						'readonly' => true,
					),
					'modifiedAt'            => array(
						'type'     => array( 'string', 'null' ),
						'readonly' => true,
					),
				),
			),
		);
	}

	/**
	 * Stored peers, keyed by slug.
	 *
	 * @return array<string, array<string, mixed>>
	 */
	public function stored(): array {
		$stored = get_option( self::OPTION, array() );
		if ( ! is_array( $stored ) ) {
			return array();
		}
		return array_filter( $stored, static fn( $peer ): bool => is_array( $peer ) && isset( $peer['slug'] ) && is_string( $peer['slug'] ) );
	}

	/**
	 * Peers as admins see them: the token only as `tokenSet`.
	 *
	 * @return array<int, array<string, mixed>>
	 */
	public function public_list(): array {
		$list = array();
		foreach ( $this->stored() as $peer ) {
			$list[] = self::to_public( $peer );
		}
		return $list;
	}

	/**
	 * Peers for the sidecar, tokens decrypted (null when absent or no longer decryptable).
	 *
	 * @return array<int, array<string, mixed>>
	 */
	public function for_sidecar(): array {
		$list = array();
		foreach ( $this->stored() as $peer ) {
			$public = self::to_public( $peer );
			unset( $public['tokenSet'] );
			$token           = isset( $peer['token'] ) && is_string( $peer['token'] ) ? Secrets::decrypt( $peer['token'] ) : null;
			$public['token'] = $token;
			$list[]          = $public;
		}
		return $list;
	}

	/**
	 * One peer by slug (stored form), or null.
	 *
	 * @param string $slug Slug.
	 * @return array<string, mixed>|null
	 */
	public function get( string $slug ): ?array {
		return $this->stored()[ $slug ] ?? null;
	}

	/**
	 * Whether any peer sends password hashes (the read route is closed otherwise).
	 */
	public function any_sends_passwords(): bool {
		foreach ( $this->stored() as $peer ) {
			if ( ! empty( $peer['sendPasswords'] ) && self::pushes( $peer ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether a stored peer receives this site's changes: push on, with a URL and a token.
	 *
	 * @param array<string, mixed> $peer Stored peer.
	 */
	public static function pushes( array $peer ): bool {
		return ! empty( $peer['push'] ) && ! empty( $peer['scimUrl'] ) && ! empty( $peer['token'] );
	}

	/**
	 * Whether any peer that sends password hashes also includes administrators.
	 */
	public function sends_administrator_passwords(): bool {
		foreach ( $this->stored() as $peer ) {
			if ( ! empty( $peer['sendPasswords'] ) && self::pushes( $peer ) && ! empty( $peer['includeAdministrators'] ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Validates a new list against the stored one (tokens kept, set or removed per item).
	 *
	 * @param mixed $input The `peers` value of a configuration update.
	 * @return array<string, array<string, mixed>>|WP_Error The list to store, keyed by slug.
	 */
	public function prepare( $input ) {
		if ( ! is_array( $input ) || ! Json::is_list( $input ) ) {
			return self::invalid( 'peers', __( 'peers must be a list.', 'usersync' ) );
		}
		$stored = $this->stored();
		$now    = gmdate( 'Y-m-d\TH:i:s\Z' );
		$result = array();
		foreach ( array_values( $input ) as $index => $item ) {
			$field = 'peers[' . $index . ']';
			if ( ! Json::is_object( $item ) ) {
				return self::invalid( $field, __( 'Each peer must be an object.', 'usersync' ) );
			}
			$slug = isset( $item['slug'] ) ? (string) $item['slug'] : '';
			if ( ! Connection::is_valid( $slug ) ) {
				return self::invalid( $field . '[slug]', __( 'The slug must be 1 to 64 characters of a-z, 0-9 and "-".', 'usersync' ) );
			}
			if ( 'local' === $slug ) {
				return self::invalid( $field . '[slug]', __( '"local" names changes made in this site itself; choose another slug.', 'usersync' ) );
			}
			if ( isset( $result[ $slug ] ) ) {
				/* translators: %s: peer slug */
				return self::invalid( $field . '[slug]', sprintf( __( 'The slug "%s" is used by two peers.', 'usersync' ), $slug ) );
			}
			$name = isset( $item['name'] ) ? trim( (string) $item['name'] ) : '';
			if ( '' === $name || mb_strlen( $name ) > 100 ) {
				return self::invalid( $field . '[name]', __( 'The name must be 1 to 100 characters long.', 'usersync' ) );
			}

			$url = isset( $item['scimUrl'] ) ? trim( (string) $item['scimUrl'] ) : '';
			if ( '' !== $url && ! preg_match( '#^https?://[^\s/]+#i', $url ) ) {
				return self::invalid( $field . '[scimUrl]', __( 'The SCIM URL must be an http(s) URL such as https://peer.example/…/scim/v2.', 'usersync' ) );
			}
			$url = untrailingslashit( $url );

			$previous = $stored[ $slug ] ?? null;
			$token    = $previous['token'] ?? null;
			if ( array_key_exists( 'token', $item ) ) {
				$new = null === $item['token'] ? '' : trim( (string) $item['token'] );
				if ( '' === $new ) {
					$token = null;
				} elseif ( preg_match( '/\s/', $new ) ) {
					return self::invalid( $field . '[token]', __( 'The token cannot contain spaces.', 'usersync' ) );
				} else {
					$token = Secrets::encrypt( $new );
				}
			}

			$peer = array(
				'slug'    => $slug,
				'name'    => $name,
				'scimUrl' => '' === $url ? null : $url,
				'token'   => $token,
			);
			foreach ( self::FLAGS as $flag => $default ) {
				if ( array_key_exists( $flag, $item ) && ! is_bool( $item[ $flag ] ) ) {
					/* translators: %s: field name */
					return self::invalid( $field . '[' . $flag . ']', sprintf( __( '%s must be true or false.', 'usersync' ), $flag ) );
				}
				$peer[ $flag ] = array_key_exists( $flag, $item ) ? $item[ $flag ] : ( $previous[ $flag ] ?? $default );
			}
			// Without a SCIM URL the entry only says what this site accepts from the peer.
			if ( $peer['push'] && null !== $peer['scimUrl'] && null === $peer['token'] ) {
				return self::invalid( $field . '[token]', __( 'Pushing to a peer needs the bearer token the peer issued to this site.', 'usersync' ) );
			}
			$peer['createdAt']  = $previous['createdAt'] ?? $now;
			$peer['modifiedAt'] = $previous && self::same( $previous, $peer ) ? ( $previous['modifiedAt'] ?? $now ) : $now;
			$result[ $slug ]    = $peer;
		}
		return $result;
	}

	/**
	 * Stores a list returned by prepare().
	 *
	 * @param array<string, array<string, mixed>> $peers Peers keyed by slug.
	 */
	public function save( array $peers ): void {
		if ( $peers !== $this->stored() ) {
			update_option( self::OPTION, $peers, false );
			// The sidecar reloads its targets when nudged.
			Change_Nudge::request( true );
		}
	}

	/**
	 * A stored peer as admins see it.
	 *
	 * @param array<string, mixed> $peer Stored peer.
	 * @return array<string, mixed>
	 */
	private static function to_public( array $peer ): array {
		$public = array(
			'slug'    => (string) $peer['slug'],
			'name'    => (string) ( $peer['name'] ?? $peer['slug'] ),
			'scimUrl' => isset( $peer['scimUrl'] ) && '' !== $peer['scimUrl'] ? (string) $peer['scimUrl'] : null,
		);
		foreach ( self::FLAGS as $flag => $default ) {
			$public[ $flag ] = (bool) ( $peer[ $flag ] ?? $default );
		}
		$public['tokenSet']   = isset( $peer['token'] ) && is_string( $peer['token'] ) && '' !== $peer['token'];
		$public['createdAt']  = isset( $peer['createdAt'] ) ? (string) $peer['createdAt'] : null;
		$public['modifiedAt'] = isset( $peer['modifiedAt'] ) ? (string) $peer['modifiedAt'] : null;
		return $public;
	}

	/**
	 * Whether two stored peers hold the same settings (timestamps aside).
	 *
	 * @param array<string, mixed> $a Peer.
	 * @param array<string, mixed> $b Peer.
	 */
	private static function same( array $a, array $b ): bool {
		unset( $a['createdAt'], $a['modifiedAt'], $b['createdAt'], $b['modifiedAt'] );
		ksort( $a );
		ksort( $b );
		return $a === $b;
	}

	/**
	 * A 400 error naming the field.
	 *
	 * @param string $field   Field path.
	 * @param string $message Message.
	 */
	private static function invalid( string $field, string $message ): WP_Error {
		return new WP_Error(
			'usersync_invalid_peers',
			$message,
			array(
				'status' => 400,
				'params' => array( $field => $message ),
			)
		);
	}
}
