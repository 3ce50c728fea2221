<?php
/**
 * Secrets at rest: connection credentials encrypted with libsodium.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Encrypts secrets (client secrets of pull connections) before they reach the options table
 * and decrypts them only for the sidecar. XSalsa20-Poly1305 (`sodium_crypto_secretbox`) with
 * a key derived from the site's AUTH salt, so a database dump alone does not reveal them.
 * WordPress bundles sodium_compat, so this works where the PHP extension is missing.
 */
final class Secrets {

	/**
	 * Marks the format: version 1 = base64( nonce . secretbox ).
	 */
	private const PREFIX = 'us1:';

	/**
	 * Encrypts a secret for storage.
	 *
	 * @param string $plain Secret.
	 * @return string Encrypted, printable.
	 */
	public static function encrypt( string $plain ): string {
		$nonce = random_bytes( SODIUM_CRYPTO_SECRETBOX_NONCEBYTES );
		$box   = sodium_crypto_secretbox( $plain, $nonce, self::key() );
		return self::PREFIX . base64_encode( $nonce . $box ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	}

	/**
	 * Decrypts a stored secret.
	 *
	 * @param string $stored Value from encrypt().
	 * @return string|null The secret, or null when it cannot be decrypted (the salts changed).
	 */
	public static function decrypt( string $stored ): ?string {
		if ( 0 !== strpos( $stored, self::PREFIX ) ) {
			return null;
		}
		$raw = base64_decode( substr( $stored, strlen( self::PREFIX ) ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
		if ( false === $raw || strlen( $raw ) <= SODIUM_CRYPTO_SECRETBOX_NONCEBYTES ) {
			return null;
		}
		$nonce = substr( $raw, 0, SODIUM_CRYPTO_SECRETBOX_NONCEBYTES );
		$box   = substr( $raw, SODIUM_CRYPTO_SECRETBOX_NONCEBYTES );
		try {
			$plain = sodium_crypto_secretbox_open( $box, $nonce, self::key() );
		} catch ( \Throwable $error ) {
			return null;
		}
		return false === $plain ? null : $plain;
	}

	/**
	 * The encryption key: a hash of the site's AUTH salt (AUTH_KEY + AUTH_SALT).
	 */
	private static function key(): string {
		return sodium_crypto_generichash( 'usersync-secrets|' . wp_salt( 'auth' ), '', SODIUM_CRYPTO_SECRETBOX_KEYBYTES );
	}
}
