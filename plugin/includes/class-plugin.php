<?php
/**
 * Shared instances of the plugin's services, created on first use.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * One instance of each service per request, so the outbox's pending changes and the
 * write origin are shared by the hooks and the REST routes.
 */
final class Plugin {

	/**
	 * Instances keyed by class name.
	 *
	 * @var array<string, object>
	 */
	private static array $instances = array();

	/**
	 * The instance of a service class.
	 *
	 * @template T of object
	 * @param class-string<T> $class_name Service class.
	 * @return T
	 */
	private static function get( string $class_name ): object {
		if ( ! isset( self::$instances[ $class_name ] ) ) {
			self::$instances[ $class_name ] = new $class_name();
		}
		return self::$instances[ $class_name ];
	}

	/**
	 * The sync configuration.
	 */
	public static function config(): Config {
		return self::get( Config::class );
	}

	/**
	 * The SCIM bearer tokens.
	 */
	public static function tokens(): Tokens {
		return self::get( Tokens::class );
	}

	/**
	 * The audit log writer.
	 */
	public static function audit_log(): Audit_Log {
		return self::get( Audit_Log::class );
	}

	/**
	 * The outbox of user changes.
	 */
	public static function outbox(): Outbox {
		return self::get( Outbox::class );
	}

	/**
	 * The groups of the connections.
	 */
	public static function groups(): Groups {
		return self::get( Groups::class );
	}

	/**
	 * The listener that records local user changes in the outbox.
	 */
	public static function user_changes(): User_Change_Listener {
		return self::get( User_Change_Listener::class );
	}

	/**
	 * The login block of disabled users.
	 */
	public static function login_guard(): Login_Guard {
		return self::get( Login_Guard::class );
	}

	/**
	 * The client of the sidecar.
	 */
	public static function sidecar(): Sidecar_Client {
		return self::get( Sidecar_Client::class );
	}

	/**
	 * The URL the sidecar serves SCIM on, or null when the sidecar is not configured.
	 */
	public static function scim_url(): ?string {
		$base = self::sidecar()->url();
		return null === $base ? null : $base . '/scim/v2';
	}
}
