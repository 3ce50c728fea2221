<?php
/**
 * Settings of a Microsoft Graph connection (Microsoft Entra ID, Azure AD B2C).
 *
 * @package UserSync
 */

namespace UserSync\Connections;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Tenant, app registration, national cloud, endpoint overrides (a proxy or the emulator) and
 * paging; the client secret is the one secret, required.
 */
final class Graph_Settings implements Connection_Type {

	public const CLOUDS = array( 'global', 'usgov', 'usgovdod', 'china' );

	private const DEFAULTS = array(
		'tenantId'     => '',
		'clientId'     => '',
		'cloud'        => 'global',
		'b2c'          => false,
		'authorityUrl' => null,
		'graphUrl'     => null,
		'pageSize'     => 500,
		'concurrency'  => 4,
	);

	/** A tenant's domain, e.g. contoso.onmicrosoft.com or contoso.com. */
	private const DOMAIN = '/^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i';

	/**
	 * Integer fields: [min, max].
	 */
	private const RANGES = array(
		'pageSize'    => array( 1, 999 ),
		'concurrency' => array( 1, 32 ),
	);

	/**
	 * Settings of a new connection.
	 *
	 * @return array<string, mixed>
	 */
	public function defaults(): array {
		return self::DEFAULTS;
	}

	/**
	 * Applies input onto settings.
	 *
	 * @param array<string, mixed> $settings Current settings.
	 * @param array<string, mixed> $input    Input fields.
	 * @return array<string, mixed>|WP_Error
	 */
	public function merge( array $settings, array $input ) {
		foreach ( array( 'tenantId', 'clientId' ) as $key ) {
			if ( array_key_exists( $key, $input ) ) {
				$settings[ $key ] = trim( (string) $input[ $key ] );
			}
		}
		// A client ID is a GUID; a tenant is a GUID or one of its domains.
		if ( ! self::is_guid( $settings['tenantId'] ) && 1 !== preg_match( self::DOMAIN, $settings['tenantId'] ) ) {
			return Invalid_Input::field( 'tenantId', __( 'tenantId must be the directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain of the tenant such as contoso.onmicrosoft.com.', 'usersync' ) );
		}
		if ( ! self::is_guid( $settings['clientId'] ) ) {
			return Invalid_Input::field( 'clientId', __( 'clientId must be the application (client) ID of the app registration, a GUID such as 5b1f7e2c-3d4a-4f6b-8c9d-0e1f2a3b4c5d.', 'usersync' ) );
		}
		if ( array_key_exists( 'cloud', $input ) ) {
			if ( ! in_array( $input['cloud'], self::CLOUDS, true ) ) {
				return Invalid_Input::field( 'cloud', __( 'The cloud must be global, usgov, usgovdod or china.', 'usersync' ) );
			}
			$settings['cloud'] = $input['cloud'];
		}
		if ( array_key_exists( 'b2c', $input ) ) {
			$settings['b2c'] = (bool) $input['b2c'];
		}
		foreach ( array( 'authorityUrl', 'graphUrl' ) as $key ) {
			if ( array_key_exists( $key, $input ) ) {
				$url = null === $input[ $key ] ? '' : trim( (string) $input[ $key ] );
				if ( '' !== $url && ( ! filter_var( $url, FILTER_VALIDATE_URL ) || 1 !== preg_match( '#^https?://#i', $url ) ) ) {
					/* translators: %s: field name */
					return Invalid_Input::field( $key, sprintf( __( '%s must be an http(s) URL, or empty for the cloud\'s own.', 'usersync' ), $key ) );
				}
				$settings[ $key ] = '' === $url ? null : untrailingslashit( $url );
			}
		}
		foreach ( self::RANGES as $key => $range ) {
			if ( array_key_exists( $key, $input ) ) {
				$value = $input[ $key ];
				if ( ! is_numeric( $value ) || (int) $value != $value || (int) $value < $range[0] || (int) $value > $range[1] ) { // phpcs:ignore Universal.Operators.StrictComparisons.LooseNotEqual
					/* translators: 1: field name, 2: minimum, 3: maximum */
					return Invalid_Input::field( $key, sprintf( __( '%1$s must be a whole number from %2$d to %3$d.', 'usersync' ), $key, $range[0], $range[1] ) );
				}
				$settings[ $key ] = (int) $value;
			}
		}
		return $settings;
	}

	/**
	 * The client secret.
	 *
	 * @return string[]
	 */
	public function secrets(): array {
		return array( 'clientSecret' );
	}

	/**
	 * The client secret, always.
	 *
	 * @param array<string, mixed> $settings Settings.
	 * @return string[]
	 */
	public function required_secrets( array $settings ): array {
		return array( 'clientSecret' );
	}

	/**
	 * Any client secret of a sensible length will do (Microsoft checks it).
	 *
	 * @param string $name  Secret.
	 * @param string $value Value.
	 */
	public function secret_problem( string $name, string $value ): ?string {
		return strlen( $value ) > 1024 ? __( 'The client secret is too long.', 'usersync' ) : null;
	}

	/**
	 * The settings, each present.
	 *
	 * @param array<string, mixed> $settings Stored settings.
	 * @return array<string, mixed>
	 */
	public function to_public( array $settings ): array {
		$public = array();
		foreach ( self::DEFAULTS as $key => $default ) {
			$public[ $key ] = $settings[ $key ] ?? $default;
		}
		return $public;
	}

	/**
	 * The settings as stored.
	 *
	 * @param array<string, mixed> $settings Stored settings.
	 * @return array<string, mixed>
	 */
	public function to_sidecar( array $settings ): array {
		return $settings;
	}

	/**
	 * Whether a value is a GUID (8-4-4-4-12 hexadecimal digits).
	 *
	 * @param string $value Candidate.
	 */
	private static function is_guid( string $value ): bool {
		return 1 === preg_match( '/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i', $value );
	}
}
