<?php
/**
 * Connection names: the slug that ties a token, identity links and groups to one source.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Helpers for connection slugs (`[a-z0-9-]{1,64}`) and the user meta keys derived from them.
 */
final class Connection {

	public const PATTERN = '^[a-z0-9-]{1,64}$';

	/**
	 * Whether a string is a valid connection slug.
	 *
	 * @param mixed $value Candidate.
	 */
	public static function is_valid( $value ): bool {
		return is_string( $value ) && 1 === preg_match( '/' . self::PATTERN . '/', $value );
	}

	/**
	 * A slug derived from a human name ("Entra production" → "entra-production"), or ''
	 * when nothing usable remains.
	 *
	 * @param string $name Human name.
	 */
	public static function from_name( string $name ): string {
		$slug = strtolower( sanitize_title( $name ) );
		$slug = (string) preg_replace( '/[^a-z0-9-]+/', '-', $slug );
		$slug = (string) preg_replace( '/-+/', '-', $slug );
		$slug = trim( substr( trim( $slug, '-' ), 0, 64 ), '-' );
		return $slug;
	}

	/**
	 * Every connection slug the site knows: SCIM tokens' connections, directory connections
	 * (Microsoft Graph) and WordPress peers.
	 *
	 * @return string[]
	 */
	public static function known(): array {
		return array_keys( self::names() );
	}

	/**
	 * What the admin named each connection: its SCIM token's name, its directory connection's
	 * or its peer's (the first found, in that order).
	 *
	 * @return array<string, string> Name by slug.
	 */
	public static function names(): array {
		$names = array();
		foreach ( Plugin::tokens()->all() as $token ) {
			$names[ (string) $token['connection'] ] = $names[ (string) $token['connection'] ] ?? (string) $token['name'];
		}
		foreach ( ( new Connections() )->all() as $slug => $connection ) {
			$names[ (string) $slug ] = $names[ (string) $slug ] ?? (string) ( $connection['name'] ?? $slug );
		}
		foreach ( ( new Peers() )->stored() as $slug => $peer ) {
			$names[ (string) $slug ] = $names[ (string) $slug ] ?? (string) ( $peer['name'] ?? $slug );
		}
		return $names;
	}

	/**
	 * User meta key holding the external id of a user in a connection.
	 *
	 * @param string $connection Connection slug.
	 */
	public static function link_key( string $connection ): string {
		return 'usersync_link_' . $connection;
	}

	/**
	 * User meta key holding the last SCIM resource a connection sent for a user.
	 *
	 * @param string $connection Connection slug.
	 */
	public static function scim_key( string $connection ): string {
		return 'usersync_scim_' . $connection;
	}

	/**
	 * User meta key holding the login a connection asks for when it differs from the user's
	 * own: logins do not change after creation unless `renameLogins` is on, and the source
	 * still reads back (and finds the user by) the value it sent.
	 *
	 * @param string $connection Connection slug.
	 */
	public static function source_login_key( string $connection ): string {
		return 'usersync_source_login_' . $connection;
	}
}
