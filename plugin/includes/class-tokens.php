<?php
/**
 * SCIM bearer tokens: created here, shown once, stored as SHA-256 hashes.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Token store in the option `usersync_tokens` (not autoloaded). Tokens are 256-bit random
 * values, so a fast hash is enough: there is nothing to brute-force.
 */
class Tokens {

	public const OPTION = 'usersync_tokens';

	/*
	 * Last use is kept apart from the tokens so the sidecar's frequent "used" reports never
	 * rewrite the token list and cannot lose a token an admin creates at the same moment.
	 */
	public const LAST_USED_OPTION = 'usersync_tokens_last_used';

	/**
	 * Active tokens as stored, oldest first.
	 *
	 * @return array<string, array{id: string, name: string, connection: string, prefix: string, hash: string, createdAt: string, lastUsedAt: ?string}>
	 */
	public function all(): array {
		$stored = get_option( self::OPTION, array() );
		if ( ! is_array( $stored ) ) {
			return array();
		}
		$tokens    = array_filter( $stored, static fn( $token ): bool => is_array( $token ) && isset( $token['id'], $token['hash'] ) );
		$last_used = get_option( self::LAST_USED_OPTION, array() );
		foreach ( $tokens as $id => $token ) {
			$tokens[ $id ]['lastUsedAt'] = is_array( $last_used ) && isset( $last_used[ $id ] ) ? (string) $last_used[ $id ] : null;
		}
		uasort( $tokens, static fn( array $a, array $b ): int => strcmp( $a['createdAt'], $b['createdAt'] ) ?: strcmp( $a['id'], $b['id'] ) );
		return $tokens;
	}

	/**
	 * Creates a token for a connection.
	 *
	 * @param string      $name       Human name, 1–100 characters, unique among active tokens.
	 * @param string|null $connection Connection slug; derived from the name when null.
	 * @return array<string, mixed>|WP_Error The public fields plus `token`, the only time it is shown.
	 */
	public function create( string $name, ?string $connection = null ) {
		$name = trim( $name );
		if ( '' === $name || mb_strlen( $name ) > 100 ) {
			return new WP_Error( 'usersync_invalid_token_name', __( 'The token name must be 1 to 100 characters long.', 'usersync' ), array( 'status' => 400 ) );
		}
		if ( null === $connection || '' === $connection ) {
			$connection = Connection::from_name( $name );
		}
		if ( ! Connection::is_valid( $connection ) ) {
			return new WP_Error(
				'usersync_invalid_connection',
				__( 'The connection must be 1 to 64 characters of a-z, 0-9 and "-". Give one explicitly when the name has no such characters.', 'usersync' ),
				array( 'status' => 400 )
			);
		}

		if ( 'local' === $connection ) {
			// "local" is the origin of changes made in WordPress itself; a connection of that
			// name would make its writes look local and be sent back out.
			return new WP_Error(
				'usersync_invalid_connection',
				__( 'The connection "local" is reserved for changes made in WordPress. Choose another name or connection.', 'usersync' ),
				array( 'status' => 400 )
			);
		}

		$tokens = $this->all();
		foreach ( $tokens as $token ) {
			if ( 0 === strcasecmp( $token['name'], $name ) ) {
				return new WP_Error(
					'usersync_token_name_taken',
					/* translators: %s: token name */
					sprintf( __( 'A token named "%s" already exists. Revoke it or choose another name.', 'usersync' ), $name ),
					array( 'status' => 409 )
				);
			}
		}

		$secret = 'us_' . rtrim( strtr( base64_encode( random_bytes( 32 ) ), '+/', '-_' ), '=' );
		$id     = 'tok_' . bin2hex( random_bytes( 8 ) );
		$record = array(
			'id'         => $id,
			'name'       => $name,
			'connection' => $connection,
			'prefix'     => substr( $secret, 0, 7 ),
			'hash'       => hash( 'sha256', $secret ),
			'createdAt'  => gmdate( 'Y-m-d\TH:i:s\Z' ),
			'lastUsedAt' => null,
		);

		$tokens[ $id ] = $record;
		update_option( self::OPTION, self::for_storage( $tokens ), false );

		return self::to_public( $record ) + array( 'token' => $secret );
	}

	/**
	 * Revokes (deletes) a token.
	 *
	 * @param string $id Token id.
	 * @return array<string, mixed>|null The revoked token's public fields, null when unknown.
	 */
	public function revoke( string $id ): ?array {
		$tokens = $this->all();
		if ( ! isset( $tokens[ $id ] ) ) {
			return null;
		}
		$record = $tokens[ $id ];
		unset( $tokens[ $id ] );
		update_option( self::OPTION, self::for_storage( $tokens ), false );

		$last_used = get_option( self::LAST_USED_OPTION, array() );
		if ( is_array( $last_used ) && isset( $last_used[ $id ] ) ) {
			unset( $last_used[ $id ] );
			update_option( self::LAST_USED_OPTION, $last_used, false );
		}
		return self::to_public( $record );
	}

	/**
	 * Records that the sidecar accepted requests with these tokens.
	 *
	 * @param string[] $ids Token ids.
	 * @return int How many active tokens were updated.
	 */
	public function mark_used( array $ids ): int {
		$tokens    = $this->all();
		$last_used = get_option( self::LAST_USED_OPTION, array() );
		$last_used = is_array( $last_used ) ? array_intersect_key( $last_used, $tokens ) : array();
		$now       = gmdate( 'Y-m-d\TH:i:s\Z' );
		$updated   = 0;
		foreach ( array_unique( array_filter( $ids, 'is_string' ) ) as $id ) {
			if ( isset( $tokens[ $id ] ) ) {
				$last_used[ $id ] = $now;
				++$updated;
			}
		}
		if ( $updated > 0 ) {
			update_option( self::LAST_USED_OPTION, $last_used, false );
		}
		return $updated;
	}

	/**
	 * Tokens as stored: without the separately kept lastUsedAt.
	 *
	 * @param array<string, array<string, mixed>> $tokens Tokens.
	 * @return array<string, array<string, mixed>>
	 */
	private static function for_storage( array $tokens ): array {
		return array_map(
			static function ( array $token ): array {
				unset( $token['lastUsedAt'] );
				return $token;
			},
			$tokens
		);
	}

	/**
	 * The fields any admin may see: never the token nor its hash.
	 *
	 * @param array<string, mixed> $record Stored token.
	 * @return array{id: string, name: string, connection: string, prefix: string, createdAt: string, lastUsedAt: ?string}
	 */
	public static function to_public( array $record ): array {
		return array(
			'id'         => (string) $record['id'],
			'name'       => (string) $record['name'],
			'connection' => (string) $record['connection'],
			'prefix'     => (string) $record['prefix'],
			'createdAt'  => (string) $record['createdAt'],
			'lastUsedAt' => isset( $record['lastUsedAt'] ) ? (string) $record['lastUsedAt'] : null,
		);
	}
}
